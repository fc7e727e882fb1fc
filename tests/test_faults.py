#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The fault matrix of issue 8 against the real `cwguardd` and the local AWS simulator: one test
method per row (tests/FAULTS.md lists them). For every row the daemon must stay up (the process
alive, WATCHDOG=1 still coming on a private NOTIFY_SOCKET), report the right class on the right
probe in its status file, recover within one round once the fault is cleared (every probe ok,
heartbeat value 1 again) and keep its file descriptors and memory flat.

Run by meson with CWGUARD_DAEMON (and CWGUARD_CTL) pointing at the binaries; exits 77 when the
simulator cannot run here and CWGUARD_REQUIRE_SIM is unset. Nothing leaves 127.0.0.0/8: every
endpoint is the simulator's, and the DNS row runs the daemon in a private mount namespace whose
resolv.conf names a resolver of ours on 127.0.0.77.
FAULTS_VERBOSE=1 prints every row's timeline (rounds, classes, footprint).
"""

import sys

sys.dont_write_bytecode = True

import calendar  # noqa: E402
import ctypes  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness  # noqa: E402
from simharness import NotifySocket, Simulator  # noqa: E402

DAEMON = os.environ.get('CWGUARD_DAEMON', '')
CTL = os.environ.get('CWGUARD_CTL', '')
SIM = os.environ.get('CWGUARD_SIM', '')
VERBOSE = bool(os.environ.get('FAULTS_VERBOSE'))
scaled = getattr(simharness, 'scaled', lambda s: s)

# The footprint bounds of every row (tests/FAULTS.md): open descriptors after recovery within
# FD_SLACK of the settled count before the fault, resident memory grown by less than RSS_SLACK.
FD_SLACK = 2
RSS_SLACK_KIB = 1024


def sanitized(path):
    """Whether @path is built with AddressSanitizer (tests/run's second pass): its quarantine
    keeps freed memory resident (tens of MiB), so VmRSS says nothing there; LeakSanitizer's
    report at exit (a non-zero exit status, which every row checks) takes its place."""
    try:
        with open(path, 'rb') as f:
            return b'__asan_init' in f.read()
    except OSError:
        return False


SANITIZED = sanitized(DAEMON) if DAEMON else False

# Probe ids of the configuration every row uses.
IMDS, IDENTITY, METRICS, LOGS = 'imds', 'identity', 'metrics:CWAgent', 'logs:/aws/ec2/app'
EP_STS = 'endpoint:sts'
SIGNED = (IDENTITY, METRICS, LOGS)

sim = None


def setUpModule():
    global sim
    if not DAEMON or not SIM:
        raise unittest.SkipTest('CWGUARD_DAEMON/CWGUARD_SIM not set')
    sim = Simulator('cwguard-faults-')


def tearDownModule():
    if sim:
        sim.stop()


def log(*args):
    if VERBOSE:
        print('   ', *args, file=sys.stderr, flush=True)


def wait_for(pred, timeout=10, what='condition', interval=0.03):
    end = time.monotonic() + scaled(timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))
        time.sleep(interval)


def probes(st):
    return {p['id']: p for p in (st or {}).get('probes', [])}


def classes(st):
    return {p['id']: p['class'] for p in (st or {}).get('probes', [])}


def all_ok(st):
    return bool(st and st.get('probes')) and all(p['ok'] for p in st['probes'])


def recovered(st):
    """Every probe ok and the heartbeat accepted with value 1."""
    return all_ok(st) and st['heartbeat_value'] == 1 and st['heartbeat']['ok'] is True


def write_atomic(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def drop_dac_override():
    """preexec_fn: root without CAP_DAC_OVERRIDE (dropped from the bounding set, so exec gives
    it no more), so file modes bind it like any user: a read-only directory is read-only."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):          # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:   # PR_CAPBSET_DROP
            os._exit(126)


class Daemon:
    """cwguardd with a private notify socket; collects every notify message and its stderr."""

    def __init__(self, workdir, config, status, env_extra=None, wrap=(), preexec=None,
                 watchdog_usec=1000000):
        self.dir = workdir
        self.notify = NotifySocket(os.path.join(workdir, 'notify.sock'))
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update({'NOTIFY_SOCKET': self.notify.path, 'WATCHDOG_USEC': str(watchdog_usec)})
        env.update(env_extra or {})
        self.stderr_path = os.path.join(workdir, 'cwguardd.stderr')
        self.stderr = open(self.stderr_path, 'w+')
        self.proc = subprocess.Popen(list(wrap) + [DAEMON, '--config', config,
                                                   '--status-file', status],
                                     env=env, stdout=self.stderr, stderr=self.stderr,
                                     preexec_fn=preexec)
        self.pid = self.proc.pid
        self.status_path = status

    def poll(self):
        return self.notify.messages()

    def count(self, prefix):
        return sum(1 for m in self.poll() if m.startswith(prefix))

    def wait_message(self, prefix, timeout=10, after=0):
        return wait_for(lambda: next((m for m in self.poll()[after:] if m.startswith(prefix)),
                                     None), timeout, 'notify ' + prefix)

    def alive(self):
        return self.proc.poll() is None

    def status(self):
        try:
            with open(self.status_path) as f:
                return json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def footprint(self):
        """(open descriptors, VmRSS in KiB) from /proc."""
        n = len(os.listdir('/proc/%d/fd' % self.pid))
        with open('/proc/%d/status' % self.pid) as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))
        return n, rss

    def err(self):
        with open(self.stderr_path, errors='replace') as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(scaled(10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.notify.close()
        self.stderr.close()
        return rc


class DnsSink:
    """A resolver on 127.0.0.77:53 that answers NXDOMAIN to everything and records the names
    asked, so a test proves the lookups stayed on the loopback (root only: port 53)."""

    ADDR = ('127.0.0.77', 53)

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(self.ADDR)
        self.sock.settimeout(0.1)
        self.names = []
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                q, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(q) < 12:
                continue
            qid, flags = struct.unpack('>HH', q[:4])
            name, i = [], 12
            while i < len(q) and q[i]:
                name.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace'))
                i += 1 + q[i]
            self.names.append('.'.join(name))
            # The question echoed, no answers, RCODE 3 (NXDOMAIN), RD copied, RA set.
            self.sock.sendto(struct.pack('>HHHHHH', qid, 0x8180 | (flags & 0x0100) | 3, 1, 0,
                                         0, 0) + q[12:i + 5], peer)

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


class DaemonCase(unittest.TestCase):
    """One cwguardd per test against the shared simulator (reset first), and the helpers of a
    row: settle, expect a class, recover, footprint."""

    def setUp(self):
        sim.control('/reset')
        self.dir = tempfile.mkdtemp(prefix='faults-', dir=sim.dir)
        self.config = os.path.join(self.dir, 'cwguard.yaml')
        self.status = os.path.join(self.dir, 'status.json')
        self.daemon = None
        self.t0 = time.monotonic()

    def tearDown(self):
        if self.daemon and self.daemon.alive():
            self.daemon.stop()
        log('%s: %.1fs' % (self.id().split('.')[-1], time.monotonic() - self.t0))

    # -- configuration --------------------------------------------------------------------------
    def config_text(self, interval='300ms', heartbeat='600ms', timeout='1s', imds_timeout='250ms',
                    endpoints=None, extra='', role_arn=None, region='us-east-1'):
        i = sim.info
        eps = {'monitoring': i['aws_url'], 'logs': i['aws_url'], 'sts': i['aws_url']}
        eps.update(endpoints or {})
        return f"""region: {region}
interval: {interval}
timeout: {timeout}
endpoints:
  monitoring: {eps['monitoring']}
  logs: {eps['logs']}
  sts: {eps['sts']}
ca_bundle: {i['ca']}
proxy:
  url: ""
imds:
  endpoint: {i['imds_url']}
  timeout: {imds_timeout}
credentials:
  file: {self.dir}/no-such-credentials
{f"  role_arn: {role_arn}" if role_arn else ""}
probes:
  metrics: [CWAgent]
  logs: [/aws/ec2/app]
heartbeat:
  interval: {heartbeat}
{extra}"""

    def write_config(self, **kw):
        write_atomic(self.config, self.config_text(**kw))

    # Rows that exercise a transport timeout or the retries need a round that outlasts the
    # request timeout (a round never outlasts `interval`, and no retry starts later than
    # `timeout` before the round's end): 1 s rounds, 300 ms requests.
    SLOW = {'interval': '1s', 'heartbeat': '2s', 'timeout': '300ms'}

    # -- the daemon -----------------------------------------------------------------------------
    def start(self, env_extra=None, wrap=(), preexec=None, **cfg):
        self.write_config(**cfg)
        self.daemon = Daemon(self.dir, self.config, self.status, env_extra, wrap, preexec)
        self.daemon.wait_message('READY=1', timeout=15)
        return self.daemon

    def wait_status(self, pred, timeout=15, what='status'):
        d = self.daemon
        last = [None]

        def check():
            self.assertTrue(d.alive(), 'cwguardd died:\n' + d.err()[-4000:])
            st = d.status()
            if st is not None:
                last[0] = st
            return st if st is not None and pred(st) else None
        try:
            return wait_for(check, timeout, what)
        except AssertionError as e:
            raise AssertionError('%s; last status: rounds %s, classes %s, heartbeat %s/%s' % (
                e, (last[0] or {}).get('daemon', {}).get('rounds'), classes(last[0]),
                (last[0] or {}).get('heartbeat_value'), (last[0] or {}).get('heartbeat')))

    def settle(self, rounds=3):
        """Wait for a settled healthy daemon: `rounds` rounds done, the last all ok."""
        st = self.wait_status(lambda s: s['daemon']['rounds'] >= rounds and recovered(s),
                              what='%d rounds, all ok' % rounds)
        # Let the round that just wrote this snapshot's successor start and end as well.
        n = st['daemon']['rounds']
        return self.wait_status(lambda s: s['daemon']['rounds'] > n and recovered(s),
                                what='one more healthy round')

    def expect(self, want, timeout=15, also=None):
        """Wait for one snapshot in which every probe of @want has its class (and @also(st),
        which sees only those snapshots)."""
        def match(st):
            c = classes(st)
            return all(c.get(p) == cls for p, cls in want.items()) and (also is None or also(st))
        st = self.wait_status(match, timeout, 'classes %s' % want)
        log('fault seen at round %d: %s' % (st['daemon']['rounds'], classes(st)))
        return st

    def recover(self, clear, free_within=2, all_within=3, timeout=20):
        """Clear the fault and check recovery: counting from the last round written when it was
        cleared (r0), the round in flight may still see it; every free probe is ok by round
        r0 + @free_within and every probe, heartbeat value 1 included, by r0 + @all_within (the
        billed probes run every other round: heartbeat.interval is twice interval)."""
        d = self.daemon
        clear()
        r0 = (d.status() or {}).get('daemon', {}).get('rounds', 0)
        first_free = [None]

        def watch(st):
            ps = probes(st)
            if first_free[0] is None and ps and all(p['ok'] for i, p in ps.items()
                                                    if not i.startswith('metrics:')):
                first_free[0] = st['daemon']['rounds']
            return recovered(st)
        st = self.wait_status(watch, timeout, 'recovery (every probe ok, heartbeat 1)')
        n = st['daemon']['rounds']
        log('cleared after round %d: free probes ok at %s, all ok at %d' % (r0, first_free[0], n))
        self.assertLessEqual(first_free[0], r0 + free_within,
                             'free probes still failing %d rounds after the fault cleared'
                             % (first_free[0] - r0))
        self.assertLessEqual(n, r0 + all_within,
                             'not recovered %d rounds after the fault cleared' % (n - r0))
        return st

    def footprint_settled(self, rounds=2):
        """The footprint once @rounds more healthy rounds have run (connections re-made)."""
        n = self.daemon.status()['daemon']['rounds']
        self.wait_status(lambda s: s['daemon']['rounds'] >= n + rounds and recovered(s),
                         what='%d healthy rounds' % rounds)
        return self.daemon.footprint()

    def assert_flat(self, before, after):
        log('footprint: fds %d -> %d, VmRSS %d -> %d KiB'
            % (before[0], after[0], before[1], after[1]))
        self.assertLessEqual(abs(after[0] - before[0]), FD_SLACK,
                             'open descriptors %d -> %d' % (before[0], after[0]))
        if not SANITIZED:
            self.assertLess(after[1] - before[1], RSS_SLACK_KIB,
                            'VmRSS %d -> %d KiB' % (before[1], after[1]))

    def watchdog_after(self, n, when):
        """The loop is alive: a WATCHDOG=1 beyond the first @n arrives (WATCHDOG_USEC is 1 s:
        sd-event pings every 0.25-0.5 s)."""
        wait_for(lambda: self.daemon.count('WATCHDOG=1') > n, 5, 'WATCHDOG=1 ' + when)

    def finish(self, watchdogs_before):
        d = self.daemon
        self.assertTrue(d.alive())
        self.watchdog_after(watchdogs_before, 'since the fault cleared')
        rc = d.stop()
        self.assertEqual(rc, 0, d.err()[-4000:])

    def row(self, inject, want, clear, also=None, free_within=2, all_within=3,
            fault_timeout=15, settle=None, settled=None, **start):
        """The common shape of a row: settle, footprint, inject, expect the classes, clear,
        recover, footprint again, the daemon alive and pinging its watchdog throughout. Slow
        rounds (SLOW) settle and count fewer of them."""
        slow = start.get('interval', '300ms') != '300ms'
        d = self.start(**start)
        self.settle(rounds=settle or (2 if slow else 3))
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        inject()
        st = self.expect(want, fault_timeout, also)
        self.assertTrue(d.alive())
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        self.recover(clear, free_within, all_within)
        self.assert_flat(before, self.footprint_settled(rounds=settled or 2))
        self.finish(wd)
        return st

    def scenario(self, patch):
        return lambda: sim.control('/scenario', patch)


class FaultMatrix(DaemonCase):
    """Each test is one row of tests/FAULTS.md."""

    # == IMDS =====================================================================================
    def test_imds_down_at_start(self):
        # No IMDS from the start, as off EC2: the chain finds no credentials at all, so the
        # signed probes are not sent and carry `no-credentials` (the region is configured).
        sim.control('/imds/stop')
        d = self.start()
        st = self.expect({IMDS: 'imds-unreachable', IDENTITY: 'no-credentials',
                          METRICS: 'no-credentials', LOGS: 'no-credentials'})
        self.assertIsNone(st['identity']['credential_source'])
        self.assertTrue(all(probes(st)[p]['skipped'] for p in SIGNED))
        self.assertEqual(sim.requests('sts:*') + sim.requests('cloudwatch:*'), [])
        n = st['daemon']['rounds']
        self.wait_status(lambda s: s['daemon']['rounds'] >= n + 3, what='rounds without IMDS')
        during = d.footprint()
        wd = d.count('WATCHDOG=1')
        self.assertGreater(wd, 0)
        self.recover(lambda: sim.control('/imds/start'))
        # There is no healthy "before": the healthy footprint after recovery is held to itself
        # some rounds on, and the one without IMDS to it within the connections made since.
        healthy = self.footprint_settled()
        self.assert_flat(healthy, self.footprint_settled(rounds=4))
        self.assertLessEqual(abs(healthy[0] - during[0]), 6)
        self.finish(wd)

    def test_imds_down_mid_run(self):
        # Credentials are cached (6 h): only the imds probe fails, the heartbeat says 0.
        st = self.row(lambda: sim.control('/imds/stop'), {IMDS: 'imds-unreachable'},
                      lambda: sim.control('/imds/start'),
                      also=lambda s: probes(s)[IDENTITY]['ok'] and s['heartbeat_value'] == 0)
        self.assertIn('metadata endpoint', probes(st)[IMDS]['remedy'])

    def test_imds_token_never_answered(self):
        # The hop-limit symptom: the token PUT accepted, never answered. The round waits for
        # the imds probe (imds.timeout 250 ms), so it gets 1 s here.
        st = self.row(self.scenario({'imds': {'mode': 'token-blackhole'}}),
                      {IMDS: 'imds-token-timeout'}, self.scenario({'imds': {'mode': 'ok'}}),
                      also=lambda s: all(probes(s)[p]['ok'] for p in SIGNED),
                      interval='1s', heartbeat='2s', timeout='500ms', settle=2, settled=2)
        self.assertIn('hop limit', probes(st)[IMDS]['remedy'])

    def test_imds_token_refused(self):
        st = self.row(self.scenario({'imds': {'mode': 'token-refused'}}),
                      {IMDS: 'imds-token-refused'}, self.scenario({'imds': {'mode': 'ok'}}),
                      also=lambda s: probes(s)[IDENTITY]['ok'])
        self.assertEqual(probes(st)[IMDS]['http_status'], 403)

    def test_imds_role_detached_at_start(self):
        # No role from the start: nothing to sign with; the credentials' class is IMDS's own.
        self.row_at_start({'imds': {'mode': 'no-role'}},
                          {IMDS: 'ok', IDENTITY: 'imds-no-role', METRICS: 'imds-no-role',
                           LOGS: 'imds-no-role'}, {'imds': {'mode': 'ok'}})

    def test_imds_role_detached_mid_run(self):
        # The role detached while running (404 on security-credentials/): the next refresh
        # (half the 4 s life) sees it and the imds probe says imds-no-role at once, while the
        # signed probes keep working on the old key (AWS honours it until it expires); once it
        # has expired the signed probes carry imds-no-role too, not credentials-expired.
        early, st = self.row_ttl({'imds': {'mode': 'no-role'}}, {'imds': {'mode': 'ok'}},
                                 'imds-no-role')
        self.assertIn('No IAM role is attached', probes(early)[IMDS]['aws_message'])
        self.assertIn('still valid and used until', probes(early)[IMDS]['aws_message'])
        self.assertIn('attach', probes(st)[IDENTITY]['remedy'].lower())

    def test_imds_credentials_code_error_at_start(self):
        self.row_at_start({'imds': {'mode': 'creds-error',
                                    'creds_code': 'AssumeRoleUnauthorizedAccess'}},
                          {IMDS: 'ok', IDENTITY: 'imds-credentials-error',
                           METRICS: 'imds-credentials-error', LOGS: 'imds-credentials-error'},
                          {'imds': {'mode': 'ok', 'creds_code': 'Success'}})

    def test_imds_credentials_code_error_mid_run(self):
        # A credentials document with Code AssumeRoleUnauthorizedAccess at the next refresh:
        # as the row above, with imds-credentials-error.
        early, st = self.row_ttl({'imds': {'mode': 'creds-error',
                                           'creds_code': 'AssumeRoleUnauthorizedAccess'}},
                                 {'imds': {'mode': 'ok', 'creds_code': 'Success'}},
                                 'imds-credentials-error')
        self.assertIn('AssumeRoleUnauthorizedAccess', probes(early)[IMDS]['aws_message'])
        self.assertIn('AssumeRoleUnauthorizedAccess', probes(st)[IDENTITY]['message'])
        self.assertIn('trust policy', probes(st)[IDENTITY]['remedy'])

    def row_at_start(self, fault, want, clear):
        sim.control('/scenario', fault)
        d = self.start()
        st = self.expect(want)
        self.assertIsNone(st['identity']['credential_source'])
        self.assertEqual(sim.requests('sts:*'), [])
        n = st['daemon']['rounds']
        self.wait_status(lambda s: s['daemon']['rounds'] >= n + 3, what='rounds in the fault')
        wd = d.count('WATCHDOG=1')
        self.assertGreater(wd, 0)
        self.recover(self.scenario(clear))
        healthy = self.footprint_settled()
        self.assert_flat(healthy, self.footprint_settled(rounds=4))
        self.finish(wd)

    TTL = 4

    def row_ttl(self, fault, clear, want):
        """IMDS credentials of TTL seconds (refreshed at half their life); @fault makes the next
        refresh fail with IMDS's verdict @want. Returns the first snapshot that shows it (old
        key still in use) and the first after the credentials expired."""
        sim.control('/scenario', {'imds': {'creds_ttl': self.TTL}})
        d = self.start()
        self.settle()
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        akid = d.status()['identity']['access_key_id']
        expires = iso_epoch(d.status()['identity']['expires_at'])
        sim.control('/scenario', fault)
        early = self.expect({IMDS: want, IDENTITY: 'ok', LOGS: 'ok'}, timeout=self.TTL + 5)
        self.assertEqual(early['identity']['access_key_id'], akid)
        self.assertLess(iso_epoch(early['generated_at']), expires + 1)
        st = self.expect({IDENTITY: want, METRICS: want, LOGS: want, IMDS: want},
                         timeout=self.TTL + 10)
        self.assertTrue(all(probes(st)[p]['skipped'] for p in SIGNED))
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        self.recover(self.scenario(clear))
        self.assert_flat(before, self.footprint_settled())
        self.finish(wd)
        return early, st

    def test_assume_role_denied(self):
        # credentials.role_arn with 2 s sessions: the role's trust policy stops naming the base
        # role; at the next renewal every probe that runs as the role fails with STS's
        # AccessDenied for sts:AssumeRole (the remedy names the trust policy), nothing is sent
        # with the base credentials instead, and the heartbeat is not sent.
        role = 'arn:aws:iam::123456789012:role/cw-row'
        sim.control('/scenario', {'roles': {'cw-row': {'session_ttl': 2}}})
        sim.control('/clear')

        def inject():
            sim.control('/scenario', {'roles': {'cw-row': {'trust': ['arn:aws:iam::*:role/x']}}})
            sim.control('/clear')
        st = self.row(inject, {IDENTITY: 'access-denied', METRICS: 'access-denied',
                               LOGS: 'access-denied'},
                      self.scenario({'roles': {'cw-row': {'trust': ['*']}}}),
                      role_arn=role)
        for p in SIGNED:
            pr = probes(st)[p]
            self.assertEqual((pr['operation'], pr['action'], pr['resource']),
                             ('AssumeRole', 'sts:AssumeRole', role), pr)
            self.assertIn('trust policy', pr['remedy'])
        # Once the fault showed, no call went out with the base key.
        base = {r['access_key_id'] for r in sim.requests('sts:AssumeRole')}
        used = {r['access_key_id'] for r in sim.requests('cloudwatch:*') + sim.requests('logs:*')}
        self.assertFalse(base & used, (base, used))
        self.assertEqual(st['identity']['role_arn'], role)

    def test_sts_region_disabled(self):
        # The role's account deactivates STS in the host's region (eu-west-1) while 2 s
        # sessions run: at the next renewal the role is assumed at us-east-1 instead, as the
        # agent does, and everything stays green (the identity says where the session came
        # from). Then us-east-1 refuses too (the simulator can deactivate it; AWS cannot): every
        # probe that runs as the role is sts-region-disabled, nothing is sent with the base key.
        # Reactivated: a new session at the regional endpoint.
        role = 'arn:aws:iam::123456789012:role/cw-row'
        active = {'eu-west-1': 'active', 'us-east-1': 'active'}
        sim.control('/scenario', {'region': 'eu-west-1', 'roles': {'cw-row': {'session_ttl': 2}},
                                  'sts_regions': active})
        d = self.start(role_arn=role, region='eu-west-1')
        self.settle()
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        sim.control('/scenario', {'sts_regions': {'eu-west-1': 'inactive'}})
        st = self.wait_status(lambda s: 'fallback STS region us-east-1' in
                              (s['identity']['credential_detail'] or '') and recovered(s),
                              what='sessions from us-east-1')
        self.assertIn('STS is deactivated in eu-west-1', st['identity']['credential_detail'])
        regions = {r['signing_region'] for r in sim.requests('sts:AssumeRole')}
        self.assertEqual(regions, {'eu-west-1', 'us-east-1'})
        sim.control('/clear')
        want = {IDENTITY: 'sts-region-disabled', METRICS: 'sts-region-disabled',
                LOGS: 'sts-region-disabled'}
        sim.control('/scenario', {'sts_regions': {'us-east-1': 'inactive'}})
        st = self.expect(want)
        for p in SIGNED:
            pr = probes(st)[p]
            self.assertEqual((pr['operation'], pr['aws_error_code']),
                             ('AssumeRole', 'RegionDisabledException'), pr)
            self.assertIn('Activate STS in eu-west-1 for account 123456789012', pr['remedy'])
            self.assertIn("The agent's fallback, STS in us-east-1", pr['message'])
        used = {r['access_key_id'] for r in sim.requests('cloudwatch:*') + sim.requests('logs:*')}
        base = {r['access_key_id'] for r in sim.requests('sts:AssumeRole')}
        self.assertFalse(base & used, (base, used))
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        st = self.recover(self.scenario({'sts_regions': active}), all_within=6)
        self.assertNotIn('fallback', st['identity']['credential_detail'])
        self.assert_flat(before, self.footprint_settled())
        self.finish(wd)

    def test_credentials_expire_while_imds_down(self):
        # IMDS goes away with credentials that have a few seconds left: they are used until
        # they expire (signed probes ok, imds failing), then credentials-expired; IMDS back:
        # fresh credentials within a round.
        sim.control('/scenario', {'imds': {'creds_ttl': self.TTL}})
        d = self.start()
        self.settle()
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        # Stop IMDS right after a refresh, while the credentials have >= 2.5 s left.
        st = self.wait_status(lambda s: iso_epoch(s['identity']['expires_at']) - time.time()
                              >= 2.5 and recovered(s), what='fresh credentials')
        sim.control('/imds/stop')
        expires = iso_epoch(self.daemon.status()['identity']['expires_at'])
        akid = self.daemon.status()['identity']['access_key_id']
        using = self.expect({IMDS: 'imds-unreachable', IDENTITY: 'ok', LOGS: 'ok'})
        self.assertEqual(using['identity']['access_key_id'], akid)
        self.assertLess(iso_epoch(using['generated_at']), expires + 1)
        st = self.expect({IMDS: 'imds-unreachable', IDENTITY: 'credentials-expired',
                          METRICS: 'credentials-expired', LOGS: 'credentials-expired'},
                         timeout=self.TTL + 10)
        # Not before they expired (the snapshot's clock has whole seconds).
        self.assertGreaterEqual(iso_epoch(st['generated_at']), int(expires))
        self.assertIn('expired', probes(st)[IDENTITY]['message'])
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        st = self.recover(lambda: sim.control('/imds/start'))
        self.assertNotEqual(st['identity']['access_key_id'], akid)
        self.assert_flat(before, self.footprint_settled())
        self.finish(wd)

    def test_credentials_rotated(self):
        # IMDS rotates the key pair (the old one stays valid until it expires) and forgets the
        # session tokens it issued: the next refresh (half the credentials' life) picks the new
        # pair up, with no failure and no request signed with a key AWS refuses.
        sim.control('/scenario', {'imds': {'creds_ttl': 8}})
        d = self.start()
        self.settle()
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        old = d.status()['identity']['access_key_id']
        sim.control('/clear')
        new = sim.control('/imds/rotate')['access_key_id']
        sim.control('/imds/expire-tokens')
        st = self.wait_status(lambda s: s['identity']['access_key_id'] == new and recovered(s),
                              timeout=15, what='the rotated key in use')
        used = {r['access_key_id'] for r in sim.requests('sts:*')}
        self.assertIn(new, used)
        self.assertLessEqual(used, {old, new})
        refused = [(r['action'], r['status'], r['error_code']) for r in sim.requests('*')
                   if r['status'] != 200]
        self.assertEqual(refused, [])
        self.assertEqual(st['identity']['credential_source'], 'imds')
        self.watchdog_after(wd, 'during the fault')
        self.assert_flat(before, self.footprint_settled())
        self.finish(wd)

    # == clock ====================================================================================
    def test_clock_skew_plus_20min(self):
        # AWS's clock 20 minutes ahead of ours: every signed request is refused as expired.
        st = self.row(self.scenario({'clock_offset': 1200}),
                      {IDENTITY: 'clock-skew', METRICS: 'clock-skew', LOGS: 'clock-skew'},
                      self.scenario({'clock_offset': 0}))
        p = probes(st)[IDENTITY]
        self.assertTrue(1195 <= p['clock_offset_s'] <= 1205, p)
        self.assertIn('1200 seconds behind', p['message'])

    def test_clock_skew_minus_20min(self):
        st = self.row(self.scenario({'clock_offset': -1200}),
                      {IDENTITY: 'clock-skew', METRICS: 'clock-skew', LOGS: 'clock-skew'},
                      self.scenario({'clock_offset': 0}))
        p = probes(st)[IDENTITY]
        self.assertTrue(-1205 <= p['clock_offset_s'] <= -1195, p)
        self.assertIn('1200 seconds ahead', p['message'])

    # == network ==================================================================================
    def timed_out_by_curl(self, ids, pattern):
        """An @also for expect(): every probe of @ids was seen (in some snapshot of the fault)
        timed out by its own request timeout, @pattern in curl's message, at least one attempt
        made. With these short rounds a probe's last retry, the heartbeat (it waits for the
        others) and the endpoints' evidence may instead end with the round (its budget is the
        interval): "not finished when the round's time budget ... ran out", also `timeout`."""
        seen = set()

        def also(st):
            for p in ids:
                r = probes(st)[p]
                if re.search(pattern, r['aws_message'] or '') and r['attempts'] >= 1:
                    seen.add(p)
            return seen == set(ids)
        return also

    def test_endpoint_drops_packets(self):
        # The AWS port stops answering SYNs (the simulator's SynDrop on the same port: a full
        # accept queue, so the kernel drops them): a real connect timeout, not a refusal.
        self.row(lambda: sim.control('/aws/stop', {'drop': True}),
                 {IDENTITY: 'timeout', LOGS: 'timeout', EP_STS: 'timeout'},
                 lambda: sim.control('/aws/start'),
                 also=self.timed_out_by_curl((IDENTITY, LOGS), r'^Connection timed out after '
                                             r'\d+ milliseconds'), **self.SLOW)

    def test_endpoint_accepts_never_answers(self):
        # `hang`: TCP and TLS accepted, the request read, no answer ever.
        self.row(self.scenario({'faults': [{'action': '*', 'type': 'hang'}]}),
                 {IDENTITY: 'timeout', LOGS: 'timeout', METRICS: 'timeout'},
                 self.scenario({'faults': []}),
                 also=self.timed_out_by_curl((IDENTITY, LOGS), r'^Operation timed out after '
                                             r'\d+ milliseconds with 0 bytes received'),
                 **self.SLOW)

    def test_dns_failure(self):
        # The STS endpoint's name does not resolve (.invalid never does). The daemon runs in a
        # private mount namespace whose resolv.conf names our resolver on 127.0.0.77 (it says
        # NXDOMAIN), so no lookup leaves the loopback; the fault comes and goes by SIGHUP.
        if os.geteuid() != 0 or not shutil.which('unshare'):
            self.skipTest('needs root and unshare (a private /etc/resolv.conf)')
        try:
            sink = DnsSink()
        except OSError as e:
            self.skipTest('cannot listen on %s:53: %s' % (DnsSink.ADDR[0], e))
        self.addCleanup(sink.close)
        resolv = os.path.join(self.dir, 'resolv.conf')
        nss = os.path.join(self.dir, 'nsswitch.conf')
        with open(resolv, 'w') as f:
            f.write('nameserver %s\noptions timeout:1 attempts:1\n' % DnsSink.ADDR[0])
        with open(nss, 'w') as f:
            f.write('hosts: files dns\n')
        wrap = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
                'mount --bind "$0" /etc/resolv.conf && '
                '{ [ ! -e /etc/nsswitch.conf ] || mount --bind "$1" /etc/nsswitch.conf; } && '
                'shift && exec "$@"', resolv, nss]
        bad = 'https://nonexistent.invalid:%d' % sim.info['aws']

        def sighup(**cfg):
            def go():
                self.write_config(**cfg)
                self.daemon.proc.send_signal(signal.SIGHUP)
            return go
        st = self.row(sighup(endpoints={'sts': bad}), {IDENTITY: 'dns-failure',
                                                       EP_STS: 'dns-failure'},
                      sighup(), free_within=2, all_within=2, wrap=wrap)
        self.assertIn('nonexistent.invalid', probes(st)[EP_STS]['message'])
        self.assertIn('nonexistent.invalid', sink.names)
        self.assertTrue(all(n.startswith('nonexistent.invalid') for n in sink.names),
                        sink.names)

    def test_tls_wrong_name(self):
        # A certificate for wrong.example where localhost was asked for; cleared by SIGHUP.
        def sighup(**cfg):
            def go():
                self.write_config(**cfg)
                self.daemon.proc.send_signal(signal.SIGHUP)
            return go
        st = self.row(sighup(endpoints={'sts': sim.info['aws_wrongname_url']}),
                      {IDENTITY: 'tls-failure', EP_STS: 'tls-failure'}, sighup(),
                      free_within=2, all_within=2)
        self.assertIn('certificate', probes(st)[EP_STS]['message'].lower())
        self.assertEqual([r for r in sim.requests('*') if r['listener'] == 'aws_wrongname'], [])

    # == AWS answers ==============================================================================
    def test_server_errors_500_503(self):
        # A burst shorter than the retries is absorbed (ok on the second attempt); a sustained
        # one is server-error after 3 attempts (2 s rounds: see test_throttling_storm).
        d = self.start(**dict(self.SLOW, interval='2s'))
        self.settle(rounds=2)
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        sim.control('/scenario', {'faults': [
            {'action': 'sts:GetCallerIdentity', 'type': 'status', 'status': 500, 'count': 1},
            {'action': 'logs:PutLogEvents', 'type': 'status', 'status': 503, 'count': 1},
            {'action': 'cloudwatch:PutMetricData', 'type': 'status', 'status': 503,
             'count': 1}]})
        seen = {}

        def absorbed(s):
            for p in SIGNED:
                if probes(s)[p]['ok'] and probes(s)[p]['attempts'] == 2:
                    seen[p] = True
            return len(seen) == 3
        self.wait_status(absorbed, what='the burst absorbed by the retries')
        self.assertTrue(all(f['count'] == 0 for f in
                            sim.control('/scenario', method='GET')['faults']))
        sim.control('/scenario', {'faults': [
            {'action': 'sts:*', 'type': 'status', 'status': 500},
            {'action': '*', 'type': 'status', 'status': 503}]})
        st = self.expect({IDENTITY: 'server-error', METRICS: 'server-error',
                          LOGS: 'server-error'})
        self.assertEqual(probes(st)[IDENTITY]['http_status'], 500)
        self.assertEqual(probes(st)[LOGS]['http_status'], 503)
        self.assertEqual(probes(st)[LOGS]['attempts'], 3)
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        self.recover(self.scenario({'faults': []}))
        self.assert_flat(before, self.footprint_settled(rounds=2))
        self.finish(wd)

    def test_throttling_storm(self):
        # Throttled on every request for several rounds: at most 3 attempts per probe per
        # round, spaced by full-jitter backoff (never a burst of immediate retries). Rounds start
        # >= 1 s apart; the attempts of one round lie within 0.8 s of its first. (2 s rounds:
        # a retry must be able to end a timeout before the budget, leaving the heartbeat its
        # attempt, and in 1 s rounds the third attempt did not always fit.)
        d = self.start(**dict(self.SLOW, interval='2s'))
        self.settle(rounds=2)
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        sim.control('/scenario', {'faults': [{'action': '*', 'type': 'status',
                                              'status': 'throttle'}]})
        sim.control('/clear')
        st = self.expect({IDENTITY: 'throttled', METRICS: 'throttled', LOGS: 'throttled'})
        r1 = st['daemon']['rounds']
        self.wait_status(lambda s: s['daemon']['rounds'] >= r1 + 2, what='two more rounds')
        sim.control('/scenario', {'faults': []})
        rounds = self.daemon.status()['daemon']['rounds'] - r1 + 2   # + the first and in flight
        self.assertEqual(probes(self.daemon.status())[LOGS]['attempts'], 3)
        gaps = []
        for action in ('sts:GetCallerIdentity', 'logs:PutLogEvents', 'cloudwatch:PutMetricData'):
            times = sorted(r['time'] for r in sim.requests(action)
                           if r['error_code'] in ('Throttling', 'ThrottlingException'))
            self.assertGreater(len(times), 0, action)
            self.assertLessEqual(len(times), 3 * rounds, action)
            group = [times[0]]
            for t in times[1:] + [None]:
                if t is not None and t - group[0] < 0.8:
                    group.append(t)
                    continue
                self.assertLessEqual(len(group), 3, '%s: %d attempts in one round'
                                     % (action, len(group)))
                gaps += [b - a for a, b in zip(group, group[1:])]
                group = [t]
        log('retry gaps (ms):', sorted(round(g * 1000) for g in gaps))
        self.assertGreaterEqual(len(gaps), 4)
        self.assertTrue(all(g < 0.7 for g in gaps), gaps)      # capped: 200 ms, then 400 ms
        self.assertGreater(max(gaps), 0.01, gaps)              # backed off, not immediate
        self.assertGreater(len({round(g, 3) for g in gaps}), len(gaps) // 2, gaps)  # jitter
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        self.recover(lambda: None)
        self.assert_flat(before, self.footprint_settled(rounds=2))
        self.finish(wd)

    def fault_row(self, ftype, want, **extra):
        fault = {'action': '*', 'type': ftype}
        fault.update(extra)
        return self.row(self.scenario({'faults': [fault]}), want,
                        self.scenario({'faults': []}))

    def test_truncated_response(self):
        # Content-Length larger than what is sent, then the connection closes.
        st = self.fault_row('truncate', {IDENTITY: 'bad-response', METRICS: 'bad-response',
                                         LOGS: 'bad-response'})
        self.assertIn('bytes remaining', probes(st)[IDENTITY]['aws_message'])

    def test_malformed_response(self):
        # 200 with a body that is neither XML nor JSON. (PutMetricData was ok before the fix
        # in common/probe-aws.c: its answer was never looked at.)
        st = self.fault_row('garbage', {IDENTITY: 'bad-response', METRICS: 'bad-response',
                                        LOGS: 'bad-response'})
        self.assertEqual(probes(st)[METRICS]['http_status'], 200)

    def test_wrong_content_type(self):
        # 200 with an HTML page (Content-Type text/html), as a web filter or captive portal in
        # the path answers: not AWS's answer, whatever the status says.
        st = self.fault_row('html', {IDENTITY: 'bad-response', METRICS: 'bad-response',
                                     LOGS: 'bad-response'})
        for pid in (IDENTITY, METRICS, LOGS):
            self.assertEqual(probes(st)[pid]['http_status'], 200)
            self.assertIn('text/html', probes(st)[pid]['message'])

    def test_oversized_response(self):
        # A 10 MB body: refused from its Content-Length (the cap is 1 MiB), not read.
        st = self.fault_row('oversize', {IDENTITY: 'bad-response', METRICS: 'bad-response',
                                         LOGS: 'bad-response'})
        self.assertIn('Maximum file size exceeded', probes(st)[IDENTITY]['aws_message'])

    def test_slow_drip_response(self):
        # Headers at once, then one body byte every 200 ms: each attempt ends at the request
        # timeout (300 ms) with part of the body read.
        self.row(self.scenario({'faults': [{'action': '*', 'type': 'drip', 'interval': 0.2}]}),
                 {IDENTITY: 'timeout', LOGS: 'timeout', METRICS: 'timeout'},
                 self.scenario({'faults': []}),
                 also=self.timed_out_by_curl((IDENTITY, LOGS), r'^Operation timed out after '
                                             r'\d+ milliseconds with [1-9]\d* out of \d+ '
                                             r'bytes received'), **self.SLOW)

    def test_simulator_restart_mid_request(self):
        # GetCallerIdentity takes 500 ms; 200 ms into a round (its identity request in flight)
        # the simulator restarts: its AWS and IMDS listeners close, every open connection is
        # cut, 1.5 s of refused connections, then the same ports again. The cut request and the
        # refused ones are connect-failed, IMDS unreachable. (timeout = interval: no retries.)
        d = self.start(interval='1s', heartbeat='2s', timeout='1s')
        sim.control('/scenario', {'faults': [{'action': 'sts:GetCallerIdentity', 'type': 'delay',
                                              'delay': 0.5}]})
        self.settle(rounds=2)
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        n = len(sim.requests('imds:token'))
        wait_for(lambda: len(sim.requests('imds:token')) > n, what='a round starting')
        time.sleep(0.2)
        t = time.time()
        cut = sim.control('/restart', {'down': 1.5})['cut']
        sim.control('/scenario', {'faults': []})
        self.assertGreater(cut, 0)
        inflight = [r for r in sim.requests('sts:GetCallerIdentity')
                    if r['fault'] == 'delay' and r['time'] < t < r['time'] + 0.5]
        self.assertEqual(len(inflight), 1, 'no GetCallerIdentity in flight at the restart')
        self.expect({IDENTITY: 'connect-failed', IMDS: 'imds-unreachable'}, timeout=10)
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        self.recover(lambda: None)
        self.assert_flat(before, self.footprint_settled(rounds=2))
        self.finish(wd)

    # == the daemon itself ========================================================================
    def test_sighup_storm(self):
        # Dozens of SIGHUPs, good and broken configurations interleaved, as fast as they come.
        # Signals of one kind coalesce while pending: each one the loop sees is one reload,
        # RELOADING=1 ... READY=1, a journal entry (reloaded or rejected); the last good file
        # is what runs; rounds go on.
        d = self.start()
        self.settle()
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        n0 = len(d.poll())
        n_sent = 0
        for i in range(40):
            if i % 3 == 2:
                write_atomic(self.config, self.config_text() + 'bogus_key_%d: 1\n' % i)
            else:
                self.write_config(interval='%dms' % (300 + i))
            d.proc.send_signal(signal.SIGHUP)
            n_sent += 1
            if i % 4 == 0:
                time.sleep(0.02)
        # The last one written was good: interval 339ms. Two rounds later no SIGHUP is left.
        st = self.wait_status(lambda s: abs(s['daemon']['interval_s'] - 0.339) < 1e-6 and
                              recovered(s), what='the last good configuration running')
        n = st['daemon']['rounds']
        st = self.wait_status(lambda s: s['daemon']['rounds'] >= n + 2 and recovered(s),
                              what='rounds after the storm')
        self.assertTrue(d.alive())
        self.assertEqual(abs(st['daemon']['interval_s'] - 0.339) < 1e-6, True)
        self.assert_flat(before, self.footprint_settled())
        self.finish(wd)
        # Counted once the daemon has stopped: every notify datagram read, all stderr written.
        pairs = self.reload_pairs(d.poll()[n0:])
        self.assertIsNotNone(pairs, 'RELOADING=1/READY=1 do not pair up')
        log('%d SIGHUPs sent, %d reloads' % (n_sent, pairs))
        self.assertGreaterEqual(pairs, 1)
        self.assertLessEqual(pairs, n_sent)
        err = d.err()
        if self.stderr_logging():
            reloaded = err.count('[event=reloaded]')
            rejected = err.count('[event=reload-rejected]')
            self.assertEqual(reloaded + rejected, pairs, err[-3000:])
            self.assertIn(self.config + ':', err)

    @staticmethod
    def reload_pairs(msgs):
        """The number of RELOADING=1 ... READY=1 pairs in @msgs, or None if they do not pair
        up (a RELOADING=1 without its READY=1, or a READY=1 outside a reload)."""
        pairs, open_ = 0, False
        for m in msgs:
            if m == 'RELOADING=1':
                if open_:
                    return None
                open_ = True
            elif m == 'READY=1':
                if not open_:
                    return None
                open_ = False
                pairs += 1
        return None if open_ else pairs

    @staticmethod
    def stderr_logging():
        # Under journald (its socket present) the daemon logs there instead of stderr.
        return not os.path.exists('/run/systemd/journal/socket')

    def status_dir_row(self, break_dir, fix_dir, preexec=None):
        rundir = os.path.join(self.dir, 'run')
        os.mkdir(rundir, 0o755)
        self.status = os.path.join(rundir, 'status.json')
        d = self.start(preexec=preexec)
        self.settle()
        before = d.footprint()
        wd = d.count('WATCHDOG=1')
        frozen = d.status()['daemon']['rounds']
        break_dir(rundir)
        n = d.count('STATUS=')
        # The loop goes on (STATUS= after each round, WATCHDOG=1), the snapshot cannot follow.
        wait_for(lambda: d.count('STATUS=') >= n + 4, what='four rounds with no status dir')
        self.assertTrue(d.alive())
        st = d.status()
        self.assertTrue(st is None or st['daemon']['rounds'] <= frozen + 1)
        if self.stderr_logging():
            self.assertIn("Failed to write status file '%s'" % self.status, d.err())
        self.watchdog_after(wd, 'during the fault')
        wd = d.count('WATCHDOG=1')
        fix_dir(rundir)
        k = d.count('STATUS=')
        st = self.wait_status(lambda s: s['daemon']['rounds'] > frozen + 4 and recovered(s),
                              what='the status file written again')
        # Within a round of the directory coming back.
        self.assertLessEqual(d.count('STATUS='), k + 2)
        self.assertEqual(os.stat(self.status).st_mode & 0o777, 0o644)
        self.assertEqual(sorted(os.listdir(rundir)), ['status.json'])   # no temporary left
        self.assert_flat(before, self.footprint_settled())
        self.finish(wd)
        return st

    def test_status_dir_read_only(self):
        # Root writes anywhere: the daemon runs without CAP_DAC_OVERRIDE so that mode 0555
        # binds it as it would bind the unit's dynamic user.
        preexec = drop_dac_override if os.geteuid() == 0 else None
        self.status_dir_row(lambda p: os.chmod(p, 0o555), lambda p: os.chmod(p, 0o755),
                            preexec=preexec)

    def test_status_dir_removed(self):
        self.status_dir_row(lambda p: shutil.rmtree(p), lambda p: os.mkdir(p, 0o755))


def iso_epoch(s):
    return calendar.timegm(time.strptime(s, '%Y-%m-%dT%H:%M:%SZ'))


# == secrets never leak =========================================================================
SECRET_MARK = 'CWGLEAKSECRET-'      # every secret key IMDS issues starts so (imds.secret_prefix)
TOKEN_MARK = 'CWGLEAKTOKEN-'        # every session token (imds.token_prefix)
ROLE_SECRET_MARK = 'CWGROLESECRET-'  # every secret of an assumed-role session (roles.*.secret_prefix)
ROLE_TOKEN_MARK = 'CWGROLETOKEN-'    # every session token of one
LEAK_ROLE = 'cwguard-leak-target'
LEAK_ROLE_ARN = 'arn:aws:iam::123456789012:role/' + LEAK_ROLE
STATIC_AKID = 'AKIACWGLEAKTEST00001'
STATIC_SECRET = 'cwg/Static+SECRET-do-not-leak-0123456789'
STATIC_TOKEN = 'cwgStaticSESSIONtoken-do-not-leak-' + 'Zm9vYmFy' * 20


def imds_credentials(info):
    """The credentials IMDS hands out now, fetched as cwguard does (IMDSv2)."""
    u = urlsplit(info['imds_url'])
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    try:
        c.request('PUT', '/latest/api/token', headers={'X-aws-ec2-metadata-token-ttl-seconds':
                                                         '60'})
        tok = c.getresponse().read().decode()
        path = '/latest/meta-data/iam/security-credentials/'
        c.request('GET', path, headers={'X-aws-ec2-metadata-token': tok})
        role = c.getresponse().read().decode()
        c.request('GET', path + role, headers={'X-aws-ec2-metadata-token': tok})
        return json.loads(c.getresponse().read())
    finally:
        c.close()


def needles(pairs):
    """{label: text} for every secret and token in @pairs [(secret, token)], whole and their
    first 16 characters (a leak of part of one is a leak)."""
    out = {}
    for i, (secret, token) in enumerate(pairs):
        for name, v in (('secret', secret), ('token', token)):
            if v:
                out['%s %d' % (name, i)] = v
                out['%s %d[:16]' % (name, i)] = v[:16]
    return out


def corpus_of(root, extra=None):
    """{name: bytes} of every regular file under @root (what cwguard wrote there, and the
    outputs the tests saved), plus @extra."""
    out = dict(extra or {})
    for d, _, files in os.walk(root):
        for f in files:
            path = os.path.join(d, f)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, 'rb') as fh:
                    out[path] = fh.read()
    return out


class SecretsNeverLeak(DaemonCase):
    """Issue 8, Security, first bullet: with a distinctive secret key and session token, run
    faults (and `cwguardctl check --debug`), then scan everything cwguard wrote for them."""

    def setUp(self):
        if not CTL:
            self.skipTest('CWGUARD_CTL not set')
        super().setUp()

    def assert_no_leak(self, corpus, found, marks=()):
        """No needle (nor any mark) in any item of @corpus; and the scan saw real output:
        @found (not secret, e.g. the access key id) occurs in it."""
        total = sum(len(v) for v in corpus.values())
        log('scanned %d items, %d bytes' % (len(corpus), total))
        self.assertGreater(total, 20000, 'the scanned corpus is (nearly) empty')
        for what in found:
            self.assertTrue(any(what.encode() in v for v in corpus.values()),
                            '%r is nowhere in what was scanned' % what)
        hits = ['%s in %s' % (label, name) for name, data in corpus.items()
                for label, n in list(needles(self.pairs).items()) + [(m, m) for m in marks]
                if n.encode() in data]
        self.assertEqual(hits, [])

    def run_ctl(self, name, *args, env_extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update(env_extra or {})
        p = subprocess.run([CTL, *args], capture_output=True, env=env, timeout=scaled(60))
        for stream, data in (('stdout', p.stdout), ('stderr', p.stderr)):
            with open(os.path.join(self.dir, 'ctl-%s.%s' % (name, stream)), 'wb') as f:
                f.write(data)
        return p

    def faults(self, env_creds):
        """A representative set of faults, each until its class shows in the status file."""
        steps = [
            ({'deny': [{'action': 'logs:PutLogEvents', 'policy_type': 'service-control',
                        'deny': 'explicit'}]}, {LOGS: 'access-denied'}),
            ({'deny': [], 'faults': [{'action': 'sts:*', 'type': 'expired-token'}]},
             {IDENTITY: 'credentials-expired'}),
            ({'faults': [{'action': 'sts:*', 'type': 'invalid-token'}]},
             {IDENTITY: 'credentials-invalid'}),
            ({'faults': [{'action': 'sts:*', 'type': 'status', 'status': 403,
                          'code': 'SignatureDoesNotMatch',
                          'message': 'The request signature we calculated does not match'}]},
             {IDENTITY: 'signature-mismatch'}),
            ({'faults': [{'action': '*', 'type': 'garbage'}]}, {IDENTITY: 'bad-response'}),
            ({'faults': [{'action': '*', 'type': 'status', 'status': 'throttle'}]},
             {IDENTITY: 'throttled'}),
            ({'faults': [], 'clock_offset': 1200}, {IDENTITY: 'clock-skew'}),
            ({'clock_offset': 0}, {IDENTITY: 'ok', LOGS: 'ok'}),
        ]
        for patch, want in steps:
            sim.control('/scenario', patch)
            self.expect(want)
        if not env_creds:
            sim.control('/imds/rotate')
            sim.control('/imds/stop')
            self.expect({IMDS: 'imds-unreachable'})
            sim.control('/imds/start')
            self.expect({IMDS: 'ok'})

    def run_session(self, env_creds, role=False):
        rundir = os.path.join(self.dir, 'run')
        os.mkdir(rundir, 0o755)
        self.status = os.path.join(rundir, 'status.json')
        env = {}
        if env_creds:
            sim.control('/scenario', {'keys': {STATIC_AKID: {'secret': STATIC_SECRET,
                                                             'token': STATIC_TOKEN}}})
            env = {'AWS_ACCESS_KEY_ID': STATIC_AKID, 'AWS_SECRET_ACCESS_KEY': STATIC_SECRET,
                   'AWS_SESSION_TOKEN': STATIC_TOKEN}
            self.pairs = [(STATIC_SECRET, STATIC_TOKEN)]
        else:
            sim.control('/scenario', {'imds': {'secret_prefix': SECRET_MARK,
                                               'token_prefix': TOKEN_MARK, 'creds_ttl': 4}})
            self.pairs = []
        if role:
            # Every session STS issues is recognisable, and short-lived so that several are.
            sim.control('/scenario', {'roles': {LEAK_ROLE: {
                'secret_prefix': ROLE_SECRET_MARK, 'token_prefix': ROLE_TOKEN_MARK,
                'session_ttl': 3}}})
        d = self.start(env_extra=env, role_arn=LEAK_ROLE_ARN if role else None)
        self.settle(rounds=2)
        if not env_creds:
            c = imds_credentials(sim.info)
            self.assertTrue(c['SecretAccessKey'].startswith(SECRET_MARK))
            self.assertTrue(c['Token'].startswith(TOKEN_MARK))
            self.pairs.append((c['SecretAccessKey'], c['Token']))
        self.faults(env_creds)
        akid = d.status()['identity']['access_key_id']
        # The command line, with the daemon's configuration and credentials.
        outs = {}
        for name, args in (('check', ('check', '--config', self.config)),
                           ('check-json', ('check', '--config', self.config, '--json')),
                           ('check-debug', ('check', '--config', self.config, '--debug')),
                           ('check-debug-json', ('check', '--config', self.config, '--debug',
                                                 '--json')),
                           ('status', ('status', '--status-file', self.status)),
                           ('status-json', ('status', '--status-file', self.status, '--json'))):
            p = self.run_ctl(name, *args, env_extra=env)
            # `status` may say 3 (stale): its snapshot times have whole seconds, and three of
            # these 300 ms intervals are less than one.
            self.assertIn(p.returncode, (0, 1, 3) if name.startswith('status') else (0, 1),
                          p.stderr)
            self.assertTrue(p.stdout, name)
            outs[name] = p.stdout + p.stderr
        self.assertIn(b'canonical request', outs['check-debug'])
        with open(os.path.join(self.dir, 'ctl-check-debug-json.stdout'), 'rb') as f:
            debug = json.load(f)
        self.assertTrue(any(pr.get('debug') for pr in debug['probes']))
        if not env_creds:
            c = imds_credentials(sim.info)
            self.pairs.append((c['SecretAccessKey'], c['Token']))
        rc = d.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(sorted(os.listdir(rundir)), ['status.json'])
        return akid

    def test_static_credentials_never_leak(self):
        akid = self.run_session(env_creds=True)
        self.assertEqual(akid, STATIC_AKID)
        self.assert_no_leak(corpus_of(self.dir), [STATIC_AKID, 'cwguard-test',
                                                  'SignatureDoesNotMatch'])

    def test_imds_credentials_never_leak(self):
        akid = self.run_session(env_creds=False)
        self.assertTrue(akid.startswith('ASIA'))
        corpus = corpus_of(self.dir)
        self.assert_no_leak(corpus, ['assumed-role/cwguard-test-role', 'ThrottlingException'],
                            marks=(SECRET_MARK, TOKEN_MARK))
        # The scan saw the credentials in use: one of the key ids IMDS handed out (they rotate
        # every few seconds here, so not necessarily the one read above) is in the output.
        issued = {r['access_key_id'] for r in sim.requests('imds:credentials')
                  if r.get('access_key_id')}
        self.assertIn(akid, issued)
        self.assertTrue(any(k.encode() in v for k in issued for v in corpus.values()),
                        'no issued access key id in what was scanned')

    def test_assumed_role_credentials_never_leak(self):
        # credentials.role_arn: the probes run as sessions of the role (assumed with the IMDS
        # credentials); neither the base nor any assumed secret or token may appear anywhere.
        akid = self.run_session(env_creds=False, role=True)
        self.assertTrue(akid.startswith('ASIA'))
        corpus = corpus_of(self.dir)
        self.assert_no_leak(corpus, ['assumed-role/' + LEAK_ROLE, LEAK_ROLE_ARN, 'assume-role'],
                            marks=(SECRET_MARK, TOKEN_MARK, ROLE_SECRET_MARK, ROLE_TOKEN_MARK))
        # Sessions were issued (and renewed), and the one in use is in the output.
        issued = {r['params']['issued_access_key_id'] for r in sim.requests('sts:AssumeRole')
                  if 'issued_access_key_id' in r['params']}
        self.assertGreater(len(issued), 1)
        self.assertIn(akid, issued)

    def test_journal_never_gets_secrets(self):
        # The same under a real systemd-journald (private mount and network namespaces, as
        # tests/journal/run-journal-test does): every entry journald stored is scanned.
        if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('journalctl') \
                or not shutil.which('ip') or not JOURNALD or not os.path.exists('/etc/machine-id'):
            self.skipTest('needs root, unshare, ip, journalctl and systemd-journald')
        out = os.path.join(self.dir, 'journal')
        os.mkdir(out)
        p = subprocess.run(['unshare', '--mount', '--net', '--propagation', 'private', '--',
                            sys.executable, os.path.abspath(__file__), '--journal-inside', out],
                           capture_output=True, timeout=scaled(120))
        if p.returncode == 77:
            self.skipTest(p.stderr.decode()[-500:])
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-4000:])
        with open(out + '.secrets.json') as f:    # outside the scanned directory
            self.pairs = [tuple(x) for x in json.load(f)]
        with open(os.path.join(out, 'journal.json'), 'rb') as f:
            journal = f.read()
        entries = [json.loads(line) for line in journal.splitlines() if line.strip()]
        ours = [e for e in entries if e.get('SYSLOG_IDENTIFIER') == 'cwguardd']
        log('%d journal entries, %d from cwguardd' % (len(entries), len(ours)))
        self.assertGreater(len(ours), 20)
        self.assertTrue(any(e.get('CWGUARD_CLASS') == 'access-denied' for e in ours))
        self.assertTrue(any(e.get('CWGUARD_CLASS') == 'credentials-expired' for e in ours))
        with open(os.path.join(out, 'cwguardd.stderr'), 'rb') as f:
            stderr = f.read()
        self.assert_no_leak({'journal': journal, 'cwguardd stderr (under journald)': stderr,
                             **corpus_of(out)},
                            ['assumed-role/cwguard-test-role', 'CWGUARD_REQUEST_ID'],
                            marks=(SECRET_MARK, TOKEN_MARK))


JOURNALD = next((j for j in ('/usr/lib/systemd/systemd-journald',
                             '/lib/systemd/systemd-journald') if os.access(j, os.X_OK)), None)
JOURNALD_CONF = """[Journal]
Storage=volatile
ReadKMsg=no
Audit=
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitBurst=0
MaxLevelStore=debug
"""


def journal_inside(out):
    """Run by test_journal_never_gets_secrets inside private mount and network namespaces: a
    journald of our own on a tmpfs /run, the simulator on our own loopback, cwguardd through
    some faults; then journalctl's JSON of everything stored goes to @out."""
    global sim
    subprocess.run(['mount', '-n', '-t', 'tmpfs', '-o', 'mode=0755,size=64m', 'tmpfs', '/run'],
                   check=True)
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    os.makedirs('/run/systemd/journald.conf.d')
    with open('/run/systemd/journald.conf.d/zz-cwguard-test.conf', 'w') as f:
        f.write(JOURNALD_CONF)
    jlog = open(os.path.join(out, 'journald.log'), 'w')
    jd = subprocess.Popen([JOURNALD], stdout=jlog, stderr=jlog,
                          env=dict(os.environ, SYSTEMD_LOG_TARGET='console'))
    try:
        wait_for(lambda: os.path.exists('/run/systemd/journal/socket'), 10, 'journald socket')
        sim = Simulator('cwguard-journal-')
        try:
            t = SecretsNeverLeak('test_journal_never_gets_secrets')
            t.setUp()
            t.dir = out
            t.config = os.path.join(out, 'cwguard.yaml')
            t.status = os.path.join(out, 'status.json')
            sim.control('/scenario', {'imds': {'secret_prefix': SECRET_MARK,
                                               'token_prefix': TOKEN_MARK}})
            d = t.start()
            t.settle(rounds=2)
            c = imds_credentials(sim.info)
            pairs = [(c['SecretAccessKey'], c['Token'])]
            t.faults(env_creds=False)
            c = imds_credentials(sim.info)
            pairs.append((c['SecretAccessKey'], c['Token']))
            if d.stop() != 0:
                raise RuntimeError('cwguardd failed: ' + d.err()[-2000:])
        finally:
            sim.stop()
        with open(out + '.secrets.json', 'w') as f:
            json.dump(pairs, f)
        subprocess.run(['journalctl', '--sync'], check=True)
    finally:
        jd.terminate()
        jd.wait(10)
        jlog.close()
    with open(os.path.join(out, 'journal.json'), 'wb') as f:
        subprocess.run(['journalctl', '-D', '/run/log/journal', '-o', 'json', '--no-pager'],
                       stdout=f, check=True)
    return 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['--journal-inside']:
        sys.exit(journal_inside(sys.argv[2]))
    unittest.main(verbosity=2)
