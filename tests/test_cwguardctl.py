#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Integration test of the real `cwguardctl` binary against the local AWS simulator: `check`
(table and --json, exit status 0/1/2, --debug without secrets, configuration errors with
file:line:column) and `policy` (valid JSON naming exactly the configured resources).

Run by meson with CWGUARD_CTL pointing at the binary; exits 77 (skip) when the simulator cannot
run here and CWGUARD_REQUIRE_SIM is unset.
"""

import sys

sys.dont_write_bytecode = True

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simharness import Simulator, scaled, valgrind_assert_clean, valgrind_prefix  # noqa: E402

CTL = os.environ.get('CWGUARD_CTL', '')
SIM = os.environ.get('CWGUARD_SIM', '')
AKID = 'AKIDCWGUARDCTLTEST01'
SECRET = 'cwguardctl/SECRET/do-not-leak-9876543210'
TOKEN = 'cwguardctl-SESSION-TOKEN-do-not-leak'
PROBE_KEYS = {'id', 'kind', 'target', 'endpoint', 'ok', 'class', 'latency_ms', 'http_status',
              'aws_error_code', 'request_id', 'message', 'principal', 'action', 'resource',
              'policy_type', 'deny', 'policy_arn', 'remedy', 'source'}


sim = None


def setUpModule():
    global sim
    if not CTL or not SIM:
        raise unittest.SkipTest('CWGUARD_CTL/CWGUARD_SIM not set')
    sim = Simulator('cwguardctl-test-')


def tearDownModule():
    if sim:
        sim.stop()


class CwguardctlTest(unittest.TestCase):
    def setUp(self):
        sim.control('/reset')
        self.config = os.path.join(sim.dir, 'cwguard.yaml')
        self.write_config()

    def write_config(self, extra=''):
        if 'agent:' not in extra:
            # Hermetic: not the host's agent (the agent probes are not-applicable).
            extra += (f'agent:\n  config: {sim.dir}/no-agent.json\n'
                      f'  log: {sim.dir}/no-agent.log\n')
        with open(self.config, 'w') as f:
            f.write(sim.config(sim.dir, extra='probes:\n  metrics: [CWAgent, Custom/App]\n'
                               '  logs: [/aws/ec2/app]\n' + extra))

    def run_ctl(self, *args, env_extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update(env_extra or {})
        vg_dir = tempfile.mkdtemp(prefix='valgrind-', dir=sim.dir)
        p = subprocess.run(valgrind_prefix(vg_dir) + [CTL, *args], capture_output=True,
                           text=True, env=env, timeout=scaled(60))
        valgrind_assert_clean(vg_dir, p.returncode)
        return p

    def check_json(self, *args, env_extra=None):
        p = self.run_ctl('check', '--config', self.config, '--json', *args, env_extra=env_extra)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return p, json.loads(p.stdout)

    def test_check_all_ok(self):
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(doc['version'], 1)
        self.assertEqual(doc['host']['instance_id'], 'i-0123456789abcdef0')
        self.assertEqual(doc['host']['region'], 'us-east-1')
        self.assertEqual(doc['host']['account_id'], '123456789012')
        self.assertEqual(doc['host']['availability_zone'], 'us-east-1a')
        self.assertEqual(doc['identity']['credential_source'], 'imds')
        self.assertTrue(doc['identity']['arn'].startswith('arn:aws:sts::123456789012:assumed-role/'))
        self.assertIsNotNone(doc['identity']['expires_at'])
        ids = [p['id'] for p in doc['probes']]
        self.assertEqual(ids, ['imds', 'identity', 'metrics:CWAgent', 'metrics:Custom/App',
                               'logs:/aws/ec2/app', 'endpoint:monitoring', 'endpoint:logs',
                               'endpoint:sts', 'agent:unit', 'agent:log'])
        for pr in doc['probes']:
            self.assertTrue(PROBE_KEYS <= set(pr), pr)
            self.assertTrue(pr['ok'], pr)
            # No agent here: its probes do not apply, and say so.
            self.assertEqual(pr['class'], 'not-applicable' if pr['kind'] == 'agent' else 'ok')
            self.assertIsNone(pr['remedy'])
            self.assertIsNone(pr['policy_type'])
        by = {p['id']: p for p in doc['probes']}
        self.assertEqual(by['metrics:CWAgent']['source'], 'config')
        self.assertEqual(by['identity']['source'], 'default')
        self.assertEqual(by['metrics:CWAgent']['kind'], 'metrics')
        self.assertEqual(by['metrics:CWAgent']['target'], 'CWAgent')
        self.assertEqual(by['endpoint:sts']['endpoint'], sim.info['aws_url'])
        self.assertEqual(doc['heartbeat_value'], 1)

        # The readable table says the same.
        p = self.run_ctl('check', '--config', self.config)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('10 probes, 0 failing', p.stdout)
        self.assertIn('metrics:Custom/App', p.stdout)

    def test_check_denied_exit_1(self):
        sim.control('/scenario', {'deny': [{
            'action': 'cloudwatch:PutMetricData', 'namespace': 'Custom/App',
            'policy_type': 'permissions-boundary', 'deny': 'implicit'}]})
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 1)
        by = {p['id']: p for p in doc['probes']}
        bad = by['metrics:Custom/App']
        self.assertFalse(bad['ok'])
        self.assertEqual(bad['class'], 'access-denied')
        self.assertEqual(bad['policy_type'], 'permissions-boundary')
        self.assertEqual(bad['deny'], 'implicit')
        self.assertEqual(bad['action'], 'cloudwatch:PutMetricData')
        self.assertIsNone(bad['resource'])
        self.assertEqual(bad['http_status'], 403)
        self.assertEqual(bad['aws_error_code'], 'AccessDenied')
        self.assertTrue(bad['request_id'])
        self.assertIn('permissions boundary', bad['remedy'])
        # Denied in one namespace, allowed in the other: the namespace condition.
        self.assertIn("'CWAgent'", bad['message'])
        self.assertIn('cloudwatch:namespace', bad['message'])
        self.assertEqual(doc['heartbeat_value'], 0)

        p = self.run_ctl('check', '--config', self.config)
        self.assertEqual(p.returncode, 1)
        self.assertIn('FAIL', p.stdout)
        self.assertIn('remedy:', p.stdout)
        self.assertIn('permissions boundary', p.stdout)

    def test_debug_never_prints_secrets(self):
        sim.control('/scenario', {'keys': {AKID: {'secret': SECRET, 'token': TOKEN}}})
        env = {'AWS_ACCESS_KEY_ID': AKID, 'AWS_SECRET_ACCESS_KEY': SECRET,
               'AWS_SESSION_TOKEN': TOKEN}
        p, doc = self.check_json('--debug', env_extra=env)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(doc['identity']['credential_source'], 'environment')
        self.assertEqual(doc['identity']['access_key_id'], AKID)
        debug = [d for pr in doc['probes'] for d in (pr.get('debug') or [])]
        self.assertGreaterEqual(len(debug), 4)
        self.assertTrue(all(d['canonical_request'] and d['string_to_sign'] for d in debug))
        self.assertTrue(all('x-amz-date' in d['signed_headers'] for d in debug))
        p2 = self.run_ctl('check', '--config', self.config, '--debug', env_extra=env)
        self.assertIn('canonical request:', p2.stdout)
        for out in (p.stdout, p.stderr, p2.stdout, p2.stderr):
            self.assertNotIn(SECRET, out)
            self.assertNotIn(TOKEN, out)

    def test_hostile_aws_message(self):
        # An endpoint (or whatever answers in AWS's place) sends an error message built to
        # forge a line ("CWGUARD_CLASS=ok" at the start of one), to drive the terminal (ESC
        # sequences, BEL, U+009B: the 8-bit CSI) and to break JSON. The table shows no control
        # character and no forged line, the JSON stays one valid document whose strings hold
        # no control characters but the newlines AWS messages carry, with --debug too.
        msg = ('User: arn:aws:sts::123456789012:assumed-role/r/i\x1b[2J\u009b31m\n'
               'CWGUARD_CLASS=ok is not authorized to perform: logs:PutLogEvents\x1b]0;pwned\x07'
               ' on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:'
               'log-stream:x\u009b2J"}, {"ok": true\nCWGUARD_PRIORITY=7 because no '
               'identity-based policy allows the logs:PutLogEvents action')
        sim.control('/scenario', {'faults': [{'action': 'logs:PutLogEvents', 'type': 'status',
                                              'status': 400, 'code': 'AccessDeniedException',
                                              'message': msg}]})

        def no_control(text, ok=''):
            bad = [c for c in text if (ord(c) < 0x20 and c not in ok) or 0x7f <= ord(c) <= 0x9f]
            self.assertEqual(bad, [], repr(text))

        for debug in ([], ['--debug']):
            p = self.run_ctl('check', '--config', self.config, *debug)
            self.assertEqual(p.returncode, 1, p.stderr)
            no_control(p.stdout, '\n')
            for line in p.stdout.splitlines():
                self.assertFalse(line.startswith('CWGUARD_'), line)
            self.assertIn('access-denied', p.stdout)

            p, doc = self.check_json(*debug)
            no_control(p.stdout, '\n')
            by = {pr['id']: pr for pr in doc['probes']}
            bad = by['logs:/aws/ec2/app']
            self.assertEqual(bad['class'], 'access-denied')
            self.assertFalse(bad['ok'])
            self.assertEqual(len(doc['probes']), 10)  # the quote did not end the document
            self.assertTrue(all(pr['ok'] for i, pr in by.items() if i != 'logs:/aws/ec2/app'))
            for key in ('message', 'remedy', 'principal', 'action', 'resource', 'aws_message'):
                no_control(bad[key] or '', '\n' if key == 'aws_message' else '')
            self.assertIn('CWGUARD_CLASS=ok', bad['aws_message'])  # quoted, not obeyed

    def test_credentials_file_readable_by_others(self):
        # A shared credentials file others can read: `check` warns under the identity (the
        # daemon logs it, see test_cwguardd); once it is 0600, no warning.
        creds = os.path.join(sim.dir, 'credentials')
        with open(creds, 'w') as f:
            f.write(f'[AmazonCloudWatchAgent]\naws_access_key_id = {AKID}\n'
                    f'aws_secret_access_key = {SECRET}\n')
        sim.control('/scenario', {'keys': {AKID: {'secret': SECRET}}})
        with open(self.config, 'w') as f:
            f.write(sim.config(sim.dir).replace('/no-such-credentials', '/credentials'))
        try:
            for mode in (0o644, 0o640):
                os.chmod(creds, mode)
                p = self.run_ctl('check', '--config', self.config)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn(f'credentials: shared-file (profile AmazonCloudWatchAgent in '
                              f'{creds})', p.stdout)
                self.assertEqual(p.stdout.count('warning: the credentials file'), 1, p.stdout)
                self.assertIn('readable by group or other users', p.stdout)
                self.assertIn('chmod 600', p.stdout)
                self.assertNotIn(SECRET, p.stdout + p.stderr)
            os.chmod(creds, 0o600)
            p = self.run_ctl('check', '--config', self.config)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertNotIn('warning:', p.stdout)
        finally:
            os.unlink(creds)

    def test_config_error_exit_2(self):
        self.write_config('heartbeat:\n  intervall: 5m\n')
        p = self.run_ctl('check', '--config', self.config)
        self.assertEqual(p.returncode, 2)
        self.assertIn(self.config + ':19:', p.stderr)
        self.assertIn('intervall', p.stderr)
        self.assertEqual(p.stdout, '')
        for args in (['frobnicate'], [], ['check', 'extra'], ['policy', '--account-id', '12']):
            p = self.run_ctl(*args)
            self.assertEqual(p.returncode, 2, args)
        p = self.run_ctl('--help')
        self.assertEqual(p.returncode, 0)
        self.assertIn('check', p.stdout)

    def test_policy(self):
        self.write_config('heartbeat:\n  namespace: Fleet/Heartbeat\n')
        p = self.run_ctl('policy', '--config', self.config, '--account-id', '123456789012')
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc['Version'], '2012-10-17')
        st = {s['Sid']: s for s in doc['Statement']}
        self.assertEqual(st['PutMetricData']['Resource'], '*')
        self.assertEqual(st['PutMetricData']['Condition']['StringEquals']['cloudwatch:namespace'],
                         ['Fleet/Heartbeat', 'CWAgent', 'Custom/App'])
        self.assertEqual(st['PutLogEvents']['Resource'],
                         ['arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:log-stream:*'])
        self.assertNotIn('logs:*', p.stdout)

    def write_role(self, role):
        self.write_config()
        with open(self.config) as f:
            text = f.read()
        with open(self.config, 'w') as f:
            f.write(text.replace('credentials:\n', f'credentials:\n  role_arn: {role}\n', 1))

    def test_assume_role(self):
        # credentials.role_arn: every probe runs as the role, signed with the IMDS credentials;
        # what each principal needs is printed per principal, and a role that cannot be
        # assumed fails the probes with the AssumeRole diagnosis (exit 1), never a fallback.
        role = 'arn:aws:iam::123456789012:role/cw-target'
        self.write_role(role)
        sim.control('/scenario', {'roles': {'cw-target': {}}, 'deny': [
            {'action': 'cloudwatch:*', 'principal': '*:assumed-role/cwguard-test-role/*'}]})
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(doc['identity']['credential_source'], 'assume-role')
        self.assertEqual(doc['identity']['role_arn'], role)
        self.assertIn('imds', doc['identity']['credential_detail'])
        for pr in doc['probes']:
            if pr['kind'] in ('identity', 'metrics', 'logs'):
                self.assertEqual(pr['role_arn'], role, pr)
        self.assertEqual(len(sim.requests('sts:AssumeRole')), 1)

        p = self.run_ctl('policy', '--config', self.config, '--account-id', '123456789012')
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        base = doc['BaseCredentials']['Policy']['Statement']
        self.assertEqual([s['Sid'] for s in base], ['AssumeRole'])
        self.assertEqual(base[0]['Resource'], [role])
        self.assertEqual([s['Sid'] for s in doc['Roles'][role]['Policy']['Statement']],
                         ['PutMetricData', 'CreateLogStream', 'PutLogEvents'])
        self.assertEqual(doc['Roles'][role]['TrustPolicy']['Statement'][0]['Action'],
                         'sts:AssumeRole')

        sim.control('/reset')
        sim.control('/scenario', {'roles': {'cw-target': {'trust': ['arn:aws:iam::*:role/x']}}})
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 1, p.stdout)
        by = {q['id']: q for q in doc['probes']}
        for pid in ('identity', 'metrics:CWAgent', 'logs:/aws/ec2/app'):
            self.assertEqual(by[pid]['class'], 'access-denied', by[pid])
            self.assertEqual(by[pid]['operation'], 'AssumeRole')
            self.assertEqual(by[pid]['action'], 'sts:AssumeRole')
            self.assertEqual(by[pid]['resource'], role)
            self.assertIn('trust policy', by[pid]['remedy'])
        self.assertEqual(sim.requests('cloudwatch:PutMetricData'), [])
        self.assertEqual(sim.requests('logs:PutLogEvents'), [])
        self.assertIsNone(doc['heartbeat_value'])

        # A bad role ARN is a configuration error.
        self.write_role('arn:aws:iam::123:role/x')
        p = self.run_ctl('check', '--config', self.config)
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn('credentials.role_arn', p.stderr)
        self.assertIn('12 digits', p.stderr)

    def test_alarm(self):
        self.write_config('heartbeat:\n  namespace: "it\'s/ns"\n  interval: 90s\n'
                          '  auto_scaling_group: web-asg\n')
        p = self.run_ctl('alarm', '--config', self.config, '--instance-id', 'i-0abc123')
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        for want in ('put-metric-alarm', '--metric-name Heartbeat', '--statistic Minimum',
                     '--period 120', '--evaluation-periods 2 --datapoints-to-alarm 2',
                     '--threshold 1', 'LessThanThreshold',
                     '--treat-missing-data breaching', 'Name=InstanceId,Value=i-0abc123',
                     "'Name=AutoScalingGroupName,Value=web-asg'", '--region us-east-1'):
            self.assertIn(want, out)
        # The quoted namespace survives a real shell word split.
        words = subprocess.run(['bash', '-c', 'printf "%s\\n" ' + out.replace(
            'aws cloudwatch put-metric-alarm', '').replace('\\\n', ' ')],
            capture_output=True, text=True).stdout.split('\n')
        self.assertIn("it's/ns", words)
        p = self.run_ctl('alarm', '--config', self.config, '--instance-id', 'i-0abc123',
                         '--format', 'cloudformation', '--sns-topic',
                         'arn:aws:sns:us-east-1:123456789012:ops')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('TreatMissingData: breaching', p.stdout)
        self.assertIn('EvaluationPeriods: 2\n      DatapointsToAlarm: 2\n', p.stdout)
        self.assertIn('Namespace: "it\'s/ns"', p.stdout)
        self.assertIn('AlarmActions:\n        - arn:aws:sns:us-east-1:123456789012:ops', p.stdout)
        # Without --instance-id: this instance's id from IMDS.
        p = self.run_ctl('alarm', '--config', self.config)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('Value=i-0123456789abcdef0', p.stdout)
        for bad in (['--instance-id', "i-1'; rm -rf /"], ['--sns-topic', "arn:x'y"],
                    ['--format', 'xml']):
            self.assertEqual(self.run_ctl('alarm', '--config', self.config, *bad).returncode, 2)

    def test_check_discovers_the_agent(self):
        # probes: auto (the default): the namespace and log groups come from the agent's JSON
        # configuration and its .d/ fragments, each probe says which file, and check says
        # what it could not use.
        agent = os.path.join(sim.dir, 'agent-etc')
        os.makedirs(os.path.join(agent, 'amazon-cloudwatch-agent.d'), exist_ok=True)
        main = os.path.join(agent, 'amazon-cloudwatch-agent.json')
        frag = os.path.join(agent, 'amazon-cloudwatch-agent.d', 'file_app')
        with open(main, 'w') as f:
            json.dump({'agent': {'credentials': {'role_arn':
                                                 'arn:aws:iam::123456789012:role/Other'}},
                       'metrics': {'namespace': 'Agent/NS', 'metrics_collected': {}}}, f)
        with open(frag, 'w') as f:
            json.dump({'logs': {'logs_collected': {'files': {'collect_list': [
                {'file_path': '/var/log/a', 'log_group_name': '/aws/ec2/app'},
                {'file_path': '/var/log/b'}]}}}}, f)
        with open(self.config, 'w') as f:
            f.write(sim.config(sim.dir, extra=f'agent:\n  config: {main}\n'))
        # The agent assumes role Other: so do the probes.
        sim.control('/scenario', {'roles': {'Other': {}}})
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 0, p.stdout)
        probes = {q['id']: q for q in doc['probes']}
        other = 'arn:aws:iam::123456789012:role/Other'
        self.assertEqual(probes['metrics:Agent/NS']['role_arn'], other)
        self.assertEqual(doc['identity']['role_arn'], other)
        self.assertEqual(doc['identity']['credential_source'], 'assume-role')
        self.assertTrue(doc['identity']['arn'].startswith(
            'arn:aws:sts::123456789012:assumed-role/Other/'), doc['identity'])
        self.assertIn('metrics:Agent/NS', probes)
        self.assertEqual(probes['metrics:Agent/NS']['source'], main + ': metrics.namespace')
        self.assertEqual(probes['logs:/aws/ec2/app']['source'],
                         frag + ': logs.logs_collected.files.collect_list[0].log_group_name')
        self.assertEqual(len(sim.requests('cloudwatch:PutMetricData')) > 0, True)
        p = self.run_ctl('check', '--config', self.config)
        self.assertIn('from ' + frag, p.stdout)
        self.assertIn('CloudWatch agent: ' + main + ': namespace and log groups taken from it',
                      p.stdout)
        self.assertIn('assume-role', p.stdout)
        self.assertIn('collect_list[1]', p.stdout)  # the entry without a group: skipped, said
        # The policy covers what was discovered.
        p = self.run_ctl('policy', '--config', self.config)
        self.assertIn('Agent/NS', p.stdout)
        self.assertIn('log-group:/aws/ec2/app', p.stdout)
        # No agent: said so, the defaults ran.
        with open(self.config, 'w') as f:
            f.write(sim.config(sim.dir, extra='agent:\n  config: /nonexistent/agent.json\n'))
        p = self.run_ctl('check', '--config', self.config)
        self.assertIn('CloudWatch agent: not installed (no /nonexistent/agent.json)', p.stdout)

    def test_check_agent_probes(self):
        # agent.log with an AccessDenied line inside agent.log_window: agent-errors, the denial
        # diagnosed as for a probe, the heartbeat 0; the line outside the window is not counted.
        now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        old = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 3600))
        log = os.path.join(sim.dir, 'amazon-cloudwatch-agent.log')
        with open(log, 'w') as f:
            f.write(f'{old} E! [outputs.cloudwatchlogs] an hour ago: outside the window\n')
            f.write(f'{now} I! [logagent] piping log from app/i-0abc(/var/log/app.log)\n')
            f.write(f'{now} E! [outputs.cloudwatchlogs] Aws error received when sending logs to '
                    'app/i-0abc: AccessDeniedException: User: arn:aws:sts::123456789012:'
                    'assumed-role/CloudWatchAgentRole/i-0abc is not authorized to perform: '
                    'logs:PutLogEvents on resource: arn:aws:logs:us-east-1:123456789012:'
                    'log-group:app:log-stream:i-0abc because no identity-based policy allows '
                    'the logs:PutLogEvents action \x1b[31m\n')
        self.write_config(f'agent:\n  log: {log}\n  unit: ""\n  log_window: 5m\n')
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 1, p.stdout)
        probes = {q['id']: q for q in doc['probes']}
        self.assertNotIn('agent:unit', probes)  # unit: "" disables it
        a = probes['agent:log']
        self.assertEqual((a['kind'], a['class'], a['ok']), ('agent', 'agent-errors', False))
        self.assertEqual(a['principal'],
                         'arn:aws:sts::123456789012:assumed-role/CloudWatchAgentRole/i-0abc')
        self.assertEqual(a['action'], 'logs:PutLogEvents')
        self.assertEqual(a['resource'],
                         'arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:i-0abc')
        self.assertEqual((a['policy_type'], a['deny']), ('identity-based', 'implicit'))
        self.assertEqual(a['aws_error_code'], 'AccessDeniedException')
        self.assertEqual(a['agent']['error_lines'], 1)
        self.assertEqual(a['agent']['log'], log)
        self.assertIn('Aws error received when sending logs', a['agent']['last_line'])
        self.assertNotIn('\x1b', a['agent']['last_line'])
        self.assertIn('Aws error received when sending logs', a['message'])
        self.assertIn('CloudWatchAgentRole', a['remedy'])
        self.assertEqual(doc['heartbeat_value'], 0)
        self.assertEqual(probes['metrics:CWAgent']['class'], 'ok')
        p = self.run_ctl('check', '--config', self.config)
        self.assertEqual(p.returncode, 1)
        self.assertIn('agent:log', p.stdout)
        self.assertIn('agent-errors', p.stdout)
        self.assertNotIn('\x1b[31m', p.stdout)

        # No agent installed: both probes not-applicable, ok, and the check passes.
        self.write_config('agent:\n  config: /nonexistent/agent.json\n'
                          '  log: /nonexistent/amazon-cloudwatch-agent.log\n')
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 0, p.stdout)
        probes = {q['id']: q for q in doc['probes']}
        for pid in ('agent:unit', 'agent:log'):
            self.assertEqual((probes[pid]['class'], probes[pid]['ok']), ('not-applicable', True))
            self.assertIsNone(probes[pid]['remedy'])
        self.assertIn('agent not installed (no log at /nonexistent/amazon-cloudwatch-agent.log)',
                      probes['agent:log']['message'])
        self.assertEqual(doc['heartbeat_value'], 1)

        # Both turned off ("" each): no agent probe at all.
        self.write_config('agent:\n  log: ""\n  unit: ""\n')
        p, doc = self.check_json()
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual([q['id'] for q in doc['probes'] if q['kind'] == 'agent'], [])

        # A bad unit name is a configuration error.
        self.write_config('agent:\n  unit: "no unit"\n')
        p = self.run_ctl('check', '--config', self.config)
        self.assertEqual(p.returncode, 2)
        self.assertIn('agent.unit', p.stderr)

    def test_alarm_auto_scaling_group_from_tags(self):
        # auto (the default): the same dimensions the daemon's heartbeat carries, from the
        # instance tag when IMDS exposes tags, none otherwise.
        self.write_config('')
        p = self.run_ctl('alarm', '--config', self.config)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('AutoScalingGroupName', p.stdout)
        sim.control('/scenario', {'imds': {'tags': {'aws:autoscaling:groupName': "web's asg"}}})
        try:
            p = self.run_ctl('alarm', '--config', self.config)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("'Name=AutoScalingGroupName,Value=web'\\''s asg'", p.stdout)
            p = self.run_ctl('alarm', '--config', self.config, '--format', 'cloudformation')
            self.assertIn('- Name: AutoScalingGroupName\n          Value: "web\'s asg"', p.stdout)
            # Another instance's alarm: its tags cannot be read from here; say so.
            p = self.run_ctl('alarm', '--config', self.config, '--instance-id', 'i-0abc123')
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn('AutoScalingGroupName', p.stdout)
            self.assertIn('heartbeat.auto_scaling_group is auto', p.stderr)
            # "" turns it off even when the tag is there.
            self.write_config('heartbeat:\n  auto_scaling_group: ""\n')
            p = self.run_ctl('alarm', '--config', self.config)
            self.assertNotIn('AutoScalingGroupName', p.stdout)
        finally:
            sim.control('/scenario', {'imds': {'tags': None}})

    def test_status(self):
        status = os.path.join(sim.dir, 'status.json')
        p = self.run_ctl('status', '--status-file', status + '.missing')
        self.assertEqual(p.returncode, 3)
        self.assertIn('not running', p.stdout)
        # A snapshot as the daemon writes it: a check's document plus "daemon" and "heartbeat".
        _, doc = self.check_json()
        doc['daemon'] = {'pid': os.getpid(), 'started_at': doc['generated_at'],
                         'config': self.config, 'interval_s': 60, 'rounds': 3}
        doc['heartbeat'] = {'last_sent_at': doc['generated_at'], 'ok': True, 'class': 'ok'}
        with open(status, 'w') as f:
            json.dump(doc, f)
        p = self.run_ctl('status', '--status-file', status)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('10 probes, 0 failing', p.stdout)
        self.assertIn('rounds', p.stdout)
        p = self.run_ctl('status', '--status-file', status, '--json')
        self.assertEqual(json.loads(p.stdout)['daemon']['rounds'], 3)
        # A failing probe: exit 1.
        doc['probes'][1]['ok'] = False
        doc['probes'][1]['class'] = 'access-denied'
        with open(status, 'w') as f:
            json.dump(doc, f)
        self.assertEqual(self.run_ctl('status', '--status-file', status).returncode, 1)
        # The daemon is gone (a pid that does not exist): exit 3, and it says so.
        doc['daemon']['pid'] = 2 ** 22 + 12345
        with open(status, 'w') as f:
            json.dump(doc, f)
        p = self.run_ctl('status', '--status-file', status)
        self.assertEqual(p.returncode, 3)
        self.assertIn('not running', p.stdout)
        # With --json stdout stays one JSON document (for jq); the verdict goes to stderr.
        p = self.run_ctl('status', '--status-file', status, '--json')
        self.assertEqual(p.returncode, 3)
        self.assertEqual(json.loads(p.stdout)['daemon']['pid'], doc['daemon']['pid'])
        self.assertIn('not running', p.stderr)
        p = self.run_ctl('status', '--status-file', status + '.missing', '--json')
        self.assertEqual((p.returncode, p.stdout), (3, ''))
        self.assertIn('not running', p.stderr)
        # Garbage: a usage error, not a crash.
        with open(status, 'w') as f:
            f.write('{"version": 1, "probes": [')
        self.assertEqual(self.run_ctl('status', '--status-file', status).returncode, 2)


if __name__ == '__main__':
    unittest.main(verbosity=2)
