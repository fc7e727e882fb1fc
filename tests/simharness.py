# SPDX-License-Identifier: MIT
"""The local AWS simulator (tests/sim/awssim.py) for the Python integration tests: start it in
a private directory, steer it through the control port, stop it. Exits 77 (skip) when it cannot
run here (python3-botocore missing) unless CWGUARD_REQUIRE_SIM is set.

With CWGUARD_VALGRIND=1 the programs under test run under valgrind's memcheck
(valgrind_prefix()), every time limit of the tests is multiplied by TIME_FACTOR (scaled()), and
valgrind_assert_clean() fails a test on any report: an error, a definite or indirect leak.
CWGUARD_TIME_FACTOR overrides the factor (default 1, or VALGRIND_TIME_FACTOR under valgrind)."""

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET

SIM = os.environ.get('CWGUARD_SIM', '')
PYTHON = os.environ.get('CWGUARD_PYTHON') or '/usr/bin/python3'

VALGRIND = os.environ.get('CWGUARD_VALGRIND', '') not in ('', '0')
# Memcheck runs our code 20-50x slower, but the programs mostly wait on the network: measured,
# startup and a round take 5-10x as long; 10 leaves a margin on a loaded CI machine.
VALGRIND_TIME_FACTOR = 10
TIME_FACTOR = float(os.environ.get('CWGUARD_TIME_FACTOR') or
                    (VALGRIND_TIME_FACTOR if VALGRIND else 1))
VALGRIND_EXIT = 99
VALGRIND_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'valgrind.supp')


def scaled(seconds):
    """A test's time limit, stretched under valgrind (never dropped)."""
    return seconds * TIME_FACTOR


def scaled_duration(text):
    """A cwguard.yaml duration ("300ms", "2s") stretched by TIME_FACTOR: under valgrind the
    programs' own time limits (round budget, request and IMDS timeouts) must grow with the
    tests' ones. Unchanged when the factor is 1."""
    if TIME_FACTOR == 1:
        return text
    m = re.fullmatch(r'(\d+(?:\.\d+)?)(ms|s|m|h)', text)
    if not m:
        raise ValueError('not a duration: ' + text)
    ms = float(m.group(1)) * {'ms': 1, 's': 1000, 'm': 60000, 'h': 3600000}[m.group(2)]
    return '%dms' % round(ms * TIME_FACTOR)


def valgrind_prefix(log_dir):
    """The command prefix that runs a program under memcheck, or [] without CWGUARD_VALGRIND.
    Each process writes its reports to log_dir/vg.PID.xml (read by valgrind_reports()) and
    valgrind's own messages to vg.PID.log.
    Errors and definite or indirect leaks make the program exit VALGRIND_EXIT; still-reachable
    blocks (libraries' globals) are not reports."""
    if not VALGRIND:
        return []
    os.makedirs(log_dir, exist_ok=True)
    cmd = ['valgrind', '--tool=memcheck', f'--error-exitcode={VALGRIND_EXIT}',
           '--leak-check=full', '--show-leak-kinds=definite,indirect',
           '--errors-for-leak-kinds=definite,indirect', '--track-fds=no',
           '--num-callers=30', '--quiet',
           '--log-file=' + os.path.join(log_dir, 'vg.%p.log'),
           '--xml=yes', '--xml-file=' + os.path.join(log_dir, 'vg.%p.xml')]
    if os.path.exists(VALGRIND_SUPP):
        cmd.append('--suppressions=' + VALGRIND_SUPP)
    return cmd


def _valgrind_render(error):
    """One <error> of valgrind's XML as text: its kind, what it says, and the stacks."""
    what = error.findtext('what') or error.findtext('xwhat/text') or ''
    out = [f"{error.findtext('kind')}: {what}"]
    for child in error:
        if child.tag == 'auxwhat':
            out.append('  ' + (child.text or ''))
        elif child.tag == 'stack':
            for fr in child.findall('frame'):
                where = (f"{fr.findtext('file')}:{fr.findtext('line')}" if fr.findtext('file')
                         else fr.findtext('obj') or '?')
                out.append(f"    at {fr.findtext('fn') or fr.findtext('ip')} ({where})")
    return '\n'.join(out)


def valgrind_reports(log_dir):
    """{pid: [report text, ...]} for every process under log_dir that valgrind reported
    anything for: one entry per <error> of its XML (leaks included). A process whose XML is
    unreadable or unfinished (valgrind itself died) gets its text log as one report."""
    out = {}
    for xml in sorted(glob.glob(os.path.join(log_dir, 'vg.*.xml'))):
        pid = xml.rsplit('.', 2)[-2]
        try:
            root = ET.parse(xml).getroot()
            reports = [_valgrind_render(e) for e in root.iter('error')]
        except ET.ParseError:
            try:
                with open(os.path.join(log_dir, f'vg.{pid}.log'), errors='replace') as f:
                    reports = ['valgrind did not finish its report:\n' + f.read()]
            except OSError:
                reports = ['valgrind did not finish its report']
        if reports:
            out[pid] = reports
    return out


def valgrind_assert_clean(log_dir, returncode=None):
    """Raise AssertionError with valgrind's reports if log_dir holds any, or if the program
    exited with valgrind's error exit code. Without CWGUARD_VALGRIND: nothing to check."""
    if not VALGRIND:
        return
    reports = valgrind_reports(log_dir)
    if reports or returncode == VALGRIND_EXIT:
        raise AssertionError(
            'valgrind: %d report(s), exit status %s\n' % (
                sum(len(r) for r in reports.values()), returncode) +
            '\n'.join(f'--- pid {pid}\n' + '\n'.join(r) for pid, r in reports.items()))


class NotifySocket:
    """systemd's end of NOTIFY_SOCKET for a daemon under test: a datagram socket at @path,
    read all the time by a thread, as systemd does (sd_notify() blocks once the datagram queue,
    net.unix.max_dgram_qlen, is full). messages() is every line received so far, in order."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.lines = []
        self.lock = threading.Lock()
        self.reading = True
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()

    def _take(self, data):
        with self.lock:
            self.lines.extend(m for m in data.decode().split('\n') if m)

    def _read_loop(self):
        while self.reading:
            try:
                self._take(self.sock.recv(4096))
            except socket.timeout:
                continue
            except OSError:
                return

    def messages(self):
        with self.lock:
            return list(self.lines)

    def close(self):
        """Stop reading and take what is still queued. Call it once the sender has exited:
        every datagram it sent is queued by then (sendmsg() enqueues it), so none is lost to
        the reader thread's pace."""
        self.reading = False
        self.reader.join()
        self.sock.setblocking(False)
        while True:
            try:
                self._take(self.sock.recv(4096))
            except OSError:       # BlockingIOError included: the queue is empty
                break
        self.sock.close()


class Simulator:
    def __init__(self, prefix='cwguard-test-'):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        ready = os.path.join(self.dir, 'ready.json')
        self.proc = subprocess.Popen([PYTHON, SIM, '--state-dir', self.dir + '/sim',
                                      '--ready-file', ready],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(300):
            if os.path.exists(ready):
                break
            if self.proc.poll() is not None:
                if self.proc.returncode == 77 and not os.environ.get('CWGUARD_REQUIRE_SIM'):
                    sys.exit(77)
                raise RuntimeError('simulator failed: ' + self.proc.stderr.read().decode())
            time.sleep(0.05)
        with open(ready) as f:
            self.info = json.load(f)

    def control(self, path, body=None, method='POST'):
        data = json.dumps(body if body is not None else {}).encode() if method == 'POST' else None
        req = urllib.request.Request(self.info['control_url'] + path, data,
                                     {'Content-Type': 'application/json'}, method=method)
        return json.loads(urllib.request.urlopen(req).read() or b'null')

    def requests(self, action):
        return self.control('/requests?action=' + action, method='GET')

    def config(self, state_dir, interval='60s', extra=''):
        """A cwguard.yaml pointing every endpoint at the simulator."""
        i = self.info
        if TIME_FACTOR == 1:
            imds = f"imds:\n  endpoint: {i['imds_url']}"
        else:
            # IMDS's timeout (1s by default) scaled too, on as many lines (tests name lines).
            imds = (f"imds: {{endpoint: {i['imds_url']}, timeout: {scaled_duration('1s')}}}\n"
                    "# imds.timeout scaled by CWGUARD_TIME_FACTOR")
        return f"""region: us-east-1
interval: {scaled_duration(interval)}
timeout: {scaled_duration('2s')}
endpoints:
  monitoring: {i['aws_url']}
  logs: {i['aws_url']}
  sts: {i['aws_url']}
ca_bundle: {i['ca']}
proxy:
  url: ""
{imds}
credentials:
  file: {state_dir}/no-such-credentials
{extra}"""

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
