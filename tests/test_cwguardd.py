#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Integration test of the real `cwguardd` against the local AWS simulator, with a private
NOTIFY_SOCKET: READY/STATUS/WATCHDOG/RELOADING/STOPPING, the status snapshot, the heartbeat on
the wire (namespace, metric, value, dimensions, signed), a permission revoked mid-run and
restored, the heartbeat's own path denied, SIGHUP with a broken config (kept) and a good one,
credentials rotated in IMDS, SIGTERM exiting 0 promptly.

Run by meson with CWGUARD_DAEMON pointing at the binary; exits 77 when the simulator cannot run
here and CWGUARD_REQUIRE_SIM is unset.
"""

import sys

sys.dont_write_bytecode = True

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simharness import (NotifySocket, Simulator, scaled, scaled_duration,  # noqa: E402
                        valgrind_assert_clean, valgrind_prefix)

DAEMON = os.environ.get('CWGUARD_DAEMON', '')
SIM = os.environ.get('CWGUARD_SIM', '')
INSTANCE = 'i-0123456789abcdef0'


sim = None


def setUpModule():
    global sim
    if not DAEMON or not SIM:
        raise unittest.SkipTest('CWGUARD_DAEMON/CWGUARD_SIM not set')
    sim = Simulator('cwguardd-test-')


def tearDownModule():
    if sim:
        sim.stop()


def wait_for(pred, timeout=10, what='condition'):
    end = time.monotonic() + scaled(timeout)
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError('timed out waiting for ' + what)


class Daemon:
    """cwguardd with a private notify socket; collects every notify message."""

    def __init__(self, config, status, env_extra=None):
        self.dir = os.path.dirname(config)
        self.notify = NotifySocket(os.path.join(self.dir, 'notify.sock'))
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update({'NOTIFY_SOCKET': self.notify.path, 'WATCHDOG_USEC': '2000000'})
        env.update(env_extra or {})
        self.stderr = open(os.path.join(self.dir, 'cwguardd.stderr'), 'w+')
        self.vg_dir = os.path.join(self.dir, 'valgrind')
        self.proc = subprocess.Popen(valgrind_prefix(self.vg_dir) +
                                     [DAEMON, '--config', config, '--status-file', status],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self.stderr)
        env_pid = self.proc.pid
        self.pid = env_pid

    def poll(self):
        return self.notify.messages()

    def wait_message(self, prefix, timeout=10, after=0):
        return wait_for(lambda: next((m for m in self.poll()[after:] if m.startswith(prefix)),
                                     None), timeout, 'notify ' + prefix)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(scaled(10))
        self.notify.close()
        self.stderr.seek(0)
        err = self.stderr.read()
        self.stderr.close()
        valgrind_assert_clean(self.vg_dir, rc)
        return rc, err


class CwguarddTest(unittest.TestCase):
    def setUp(self):
        sim.control('/reset')
        self.dir = tempfile.mkdtemp(prefix='cwguardd-', dir=sim.dir)
        self.config = os.path.join(self.dir, 'cwguard.yaml')
        self.status = os.path.join(self.dir, 'status.json')
        self.write_config()

    def write_config(self, extra='', interval='300ms', heartbeat='600ms'):
        with open(self.config, 'w') as f:
            f.write(sim.config(self.dir, interval=interval,
                               extra='probes:\n  metrics: [CWAgent]\n  logs: [/aws/ec2/app]\n'
                               f'heartbeat:\n  interval: {scaled_duration(heartbeat)}\n' + extra))

    def read_status(self):
        try:
            with open(self.status) as f:
                return json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def heartbeats(self):
        out = []
        for rec in sim.requests('cloudwatch:PutMetricData'):
            p = rec['params']
            for md in p['MetricData']:
                if md['MetricName'] == 'Heartbeat':
                    out.append((p['Namespace'], md['Value'], md['Dimensions'], rec['status'],
                                rec['signature_ok']))
        return out

    def test_lifecycle(self):
        d = Daemon(self.config, self.status)
        try:
            d.wait_message('READY=1')
            d.wait_message('WATCHDOG=1', timeout=5)
            st = wait_for(lambda: (s := self.read_status()) and s['daemon']['rounds'] >= 2 and s,
                          what='two rounds in the status file')
            self.assertEqual(st['version'], 1)
            self.assertEqual(st['daemon']['pid'], d.pid)
            self.assertEqual(st['daemon']['config'], self.config)
            self.assertTrue(all(p['ok'] for p in st['probes']), st['probes'])
            self.assertTrue(all('since' in p and p['consecutive_failures'] == 0
                                for p in st['probes']))
            self.assertTrue(st['heartbeat']['ok'])
            self.assertIsNotNone(st['heartbeat']['last_sent_at'])
            self.assertEqual(os.stat(self.status).st_mode & 0o777, 0o644)
            self.assertTrue(any(m.startswith('STATUS=') and 'probes ok' in m
                                for m in d.poll()))

            hb = wait_for(lambda: self.heartbeats(), what='a heartbeat')
            ns, value, dims, status, sig = hb[0]
            self.assertEqual(ns, 'CWAgent')
            self.assertEqual(value, 1.0)
            self.assertEqual(dims, [{'Name': 'InstanceId', 'Value': INSTANCE}])
            self.assertEqual(status, 200)
            self.assertTrue(sig)

            # Billed requests follow heartbeat.interval, free probes `interval`.
            time.sleep(scaled(1.5))
            n_sts = len(sim.requests('sts:GetCallerIdentity'))
            n_hb = len(self.heartbeats())
            self.assertGreater(n_sts, n_hb)

            # Revoke PutLogEvents: failing within a round, Heartbeat 0; restore: recovers.
            sim.control('/scenario', {'deny': [{'action': 'logs:PutLogEvents',
                                                'policy_type': 'service-control',
                                                'deny': 'explicit'}]})
            wait_for(lambda: (s := self.read_status()) and
                     any(p['id'] == 'logs:/aws/ec2/app' and p['class'] == 'access-denied'
                         for p in s['probes']), what='logs probe access-denied')
            wait_for(lambda: any(v == 0.0 for _, v, _, _, _ in self.heartbeats()),
                     what='Heartbeat 0')
            sim.control('/scenario', {'deny': []})
            wait_for(lambda: (s := self.read_status()) and all(p['ok'] for p in s['probes']),
                     what='recovery')

            # The heartbeat's own path denied: the heartbeat probe fails (the alarm then sees
            # missing data), and the status says so.
            sim.control('/scenario', {'deny': [{'action': 'cloudwatch:PutMetricData'}]})
            wait_for(lambda: (s := self.read_status()) and s['heartbeat']['ok'] is False,
                     what='heartbeat failing')
            sim.control('/scenario', {'deny': []})
            wait_for(lambda: (s := self.read_status()) and s['heartbeat']['ok'] is True,
                     what='heartbeat recovered')

            # Credentials rotated in IMDS: picked up without a restart.
            sim.control('/imds/rotate')
            sim.control('/imds/expire-tokens')
            wait_for(lambda: (s := self.read_status()) and all(p['ok'] for p in s['probes']),
                     what='ok after rotation')

            # SIGHUP with a broken config: RELOADING then READY, old config kept.
            n = len(d.poll())
            with open(self.config, 'a') as f:
                f.write('bogus_key: 1\n')
            d.proc.send_signal(signal.SIGHUP)
            d.wait_message('RELOADING=1', after=n)
            d.wait_message('READY=1', after=n)
            rounds = self.read_status()['daemon']['rounds']
            wait_for(lambda: self.read_status()['daemon']['rounds'] > rounds + 1,
                     what='rounds go on after a rejected reload')
            self.assertIsNone(d.proc.poll())

            # A good config on SIGHUP is applied.
            self.write_config(interval='250ms')
            n = len(d.poll())
            d.proc.send_signal(signal.SIGHUP)
            d.wait_message('READY=1', after=n)
            wait_for(lambda: self.read_status()['daemon']['interval_s'] == scaled(0.25),
                     what='new interval in the status')

            # SIGTERM: STOPPING=1 and exit 0 within a second.
            t0 = time.monotonic()
            d.proc.send_signal(signal.SIGTERM)
            rc = d.proc.wait(scaled(5))
            self.assertLess(time.monotonic() - t0, scaled(1.0))
            self.assertEqual(rc, 0)
            d.wait_message('STOPPING=1', timeout=1)
        finally:
            rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        self.assertIn('bogus_key', err)   # the rejected reload names the key (stderr logging)

    def test_heartbeat_auto_scaling_group_from_tags(self):
        # Instance tags exposed in IMDS: the group joins the heartbeat's dimensions (looked up
        # once, not every round) and the status snapshot.
        sim.control('/scenario', {'imds': {'tags': {'aws:autoscaling:groupName': 'web-asg'}}})
        d = Daemon(self.config, self.status)
        try:
            d.wait_message('READY=1')
            hb = wait_for(lambda: len(self.heartbeats()) >= 2 and self.heartbeats(),
                          what='two heartbeats')
            for _, value, dims, status, _ in hb:
                self.assertEqual(dims, [{'Name': 'InstanceId', 'Value': INSTANCE},
                                        {'Name': 'AutoScalingGroupName', 'Value': 'web-asg'}])
                self.assertEqual((value, status), (1.0, 200))
            st = wait_for(lambda: (s := self.read_status()) and s['host']['auto_scaling_group']
                          and s, what='the group in the status file')
            self.assertEqual(st['host']['auto_scaling_group'], 'web-asg')
            self.assertEqual(len(sim.requests('imds:tags')), 1)
        finally:
            rc, err = d.stop()
        self.assertEqual(rc, 0, err)

    def test_credentials_unavailable_once(self):
        # No source has credentials: one entry on entering that state, not one per round; the
        # signed probes are skipped and the daemon goes on until a role appears.
        sim.control('/scenario', {'imds': {'mode': 'no-role'}})
        d = Daemon(self.config, self.status,
                   env_extra={'HOME': self.dir,
                              'AWS_SHARED_CREDENTIALS_FILE': self.dir + '/none'})
        try:
            d.wait_message('READY=1')
            wait_for(lambda: (s := self.read_status()) and s['daemon']['rounds'] >= 3,
                     what='three rounds without credentials')
            st = self.read_status()
            self.assertIsNone(st['identity']['credential_source'])
            self.assertEqual(next(p for p in st['probes'] if p['id'] == 'identity')['class'],
                             'imds-no-role')
            self.assertEqual(self.heartbeats(), [])
            sim.control('/scenario', {'imds': {'mode': 'ok'}})
            wait_for(lambda: self.heartbeats(), what='a heartbeat once the role is back')
        finally:
            rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        self.assertEqual(err.count('No AWS credentials'), 1, err)
        self.assertIn('IMDS (imds-no-role)', err)

    def test_credentials_file_warning_once(self):
        # A shared credentials file readable by others: one warning, not one per round.
        akid, secret = 'AKIDCWGUARDDTEST0001', 'cwguardd/SECRET/do-not-leak-0123456789'
        creds = os.path.join(self.dir, 'credentials')
        with open(creds, 'w') as f:
            f.write(f'[AmazonCloudWatchAgent]\naws_access_key_id = {akid}\n'
                    f'aws_secret_access_key = {secret}\n')
        os.chmod(creds, 0o644)
        sim.control('/scenario', {'keys': {akid: {'secret': secret}}})
        with open(self.config) as f:
            text = f.read().replace('/no-such-credentials', '/credentials')
        with open(self.config, 'w') as f:
            f.write(text)
        d = Daemon(self.config, self.status)
        try:
            d.wait_message('READY=1')
            st = wait_for(lambda: (s := self.read_status()) and s['daemon']['rounds'] >= 3 and s,
                          what='three rounds')
            self.assertEqual(st['identity']['credential_source'], 'shared-file')
        finally:
            rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        self.assertEqual(err.count('Insecure credentials: the credentials file (profile '
                                   f'AmazonCloudWatchAgent in {creds}) is readable by group or '
                                   'other users'), 1, err)
        self.assertNotIn(secret, err)

    def test_hostile_aws_message(self):
        # An error message built to forge journal fields and drive a terminal: stderr (the
        # journal's stream under systemd) keeps one line per entry without control characters,
        # and the status file stays one valid document.
        msg = ('User: arn:aws:sts::123456789012:assumed-role/r/i\n'
               'CWGUARD_CLASS=ok\x1b[2J\u009b31m is not authorized to perform: '
               'logs:PutLogEvents\x1b]0;pwned\x07 because no identity-based policy allows the '
               'logs:PutLogEvents action"}\n<3>CWGUARD_PROBE=x')
        sim.control('/scenario', {'faults': [{'action': 'logs:PutLogEvents', 'type': 'status',
                                              'status': 400, 'code': 'AccessDeniedException',
                                              'message': msg}]})
        d = Daemon(self.config, self.status)
        try:
            d.wait_message('READY=1')
            st = wait_for(lambda: (s := self.read_status()) and s['daemon']['rounds'] >= 2 and s,
                          what='two rounds')
            by = {p['id']: p for p in st['probes']}
            self.assertEqual(by['logs:/aws/ec2/app']['class'], 'access-denied')
            with open(self.status) as f:
                raw = f.read()
            self.assertFalse([c for c in raw if (ord(c) < 0x20 and c != '\n') or
                              0x7f <= ord(c) <= 0x9f])
        finally:
            rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        self.assertIn('CWGUARD_CLASS=ok', err)   # quoted in the message, never a line or field
        for line in err.splitlines():
            self.assertFalse(line.startswith(('CWGUARD_', '<')), line)
            self.assertFalse([c for c in line if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f], line)

    def test_agent_log_rounds(self):
        # The daemon's agent:log: the errors of the last agent.log_window at start fail it and
        # the heartbeat carries 0; the next rounds, with nothing new, are ok and the heartbeat
        # 1 again; a line written after a rename rotation is found in the new file. A hostile
        # line never reaches stderr or the status file raw.
        log = os.path.join(self.dir, 'amazon-cloudwatch-agent.log')

        def now():
            return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())

        def agent_log(s):
            return next((p for p in (s or {}).get('probes', []) if p['id'] == 'agent:log'), None)

        with open(log, 'w') as f:
            f.write(f'{now()} E! [outputs.cloudwatchlogs] Aws error received when sending logs '
                    'to app/i-0abc: AccessDeniedException: User: arn:aws:sts::123456789012:'
                    'assumed-role/R/i-0abc is not authorized to perform: logs:PutLogEvents on '
                    'resource: arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:'
                    'i-0abc because no identity-based policy allows the logs:PutLogEvents '
                    'action\n')
        self.write_config(f'agent:\n  config: {self.dir}/no-agent.json\n  log: {log}\n')
        d = Daemon(self.config, self.status)
        try:
            d.wait_message('READY=1')
            a = wait_for(lambda: (p := agent_log(self.read_status())) and
                         p['class'] == 'agent-errors' and p, what='agent:log failing')
            self.assertEqual((a['action'], a['policy_type']), ('logs:PutLogEvents',
                                                               'identity-based'))
            wait_for(lambda: any(v == 0.0 for _, v, _, _, _ in self.heartbeats()),
                     what='a heartbeat of 0')
            wait_for(lambda: (p := agent_log(self.read_status())) and p['ok'],
                     what='agent:log ok with nothing new')
            wait_for(lambda: self.heartbeats() and self.heartbeats()[-1][1] == 1.0,
                     what='a heartbeat of 1 again')

            # A reload (SIGHUP, same file) carries on where the log was read: the error,
            # still within agent.log_window, is not reported again.
            # (A reload starts with a billed round: its heartbeat says what that round saw.)
            n, hb = len(d.poll()), len(self.heartbeats())
            d.proc.send_signal(signal.SIGHUP)
            d.wait_message('READY=1', after=n)
            wait_for(lambda: len(self.heartbeats()) > hb, what='a heartbeat after the reload')
            self.assertEqual(self.heartbeats()[hb][1], 1.0, agent_log(self.read_status()))

            os.rename(log, log + '.1')
            with open(log, 'w') as f:
                f.write(f'{now()} E! after rotation \x1b[2J\r\nCWGUARD_CLASS=ok\n')
            a = wait_for(lambda: (p := agent_log(self.read_status())) and
                         p['class'] == 'agent-errors' and p, what='agent:log failing again')
            self.assertIn('after rotation', a['agent']['last_line'])
            self.assertEqual(a['agent']['error_lines'], 1)  # CWGUARD_CLASS=ok has no time: a
            self.assertIsNone(a['action'])                  # continuation of the E! record
            with open(self.status) as f:
                raw = f.read()
            self.assertNotIn('\x1b', raw)
        finally:
            rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        for line in err.splitlines():
            self.assertFalse(line.startswith(('CWGUARD_', '<')), line)
            self.assertFalse([c for c in line if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f], line)

    def test_bad_config_at_start(self):
        with open(self.config, 'a') as f:
            f.write('interval: fast\n')
        d = Daemon(self.config, self.status)
        d.proc.wait(scaled(10))
        rc, err = d.stop()
        msgs = d.poll()       # after stop(): every datagram read, none left to the reader's pace
        self.assertEqual(rc, 1)
        self.assertIn(self.config + ':', err)
        self.assertFalse(os.path.exists(self.status))
        # systemd learns why: STOPPING with the errno (EINVAL) and the exit status.
        i = msgs.index('STOPPING=1')
        self.assertEqual(msgs[i:i + 3], ['STOPPING=1', 'ERRNO=22', 'EXIT_STATUS=1'])
        self.assertFalse(any(m.startswith('READY=1') for m in msgs))


if __name__ == '__main__':
    unittest.main(verbosity=2)
