#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Tests of the local AWS simulator (tests/sim/awssim.py), driven by botocore as a real client
(its own signer and serializers) and by http.client for IMDS and hand-made requests.

Run by meson (`meson test -C build simulator`); exits 77 (skip) when python3-botocore is missing.
"""

import sys

sys.dont_write_bytecode = True

import gzip  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import select  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402
import warnings  # noqa: E402
import email.utils  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

try:
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.exceptions import ClientError, ReadTimeoutError, ConnectionClosedError
except ImportError:
    print('python3-botocore is not installed: skipping')
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.environ.get('CWGUARD_SIM') or os.path.join(HERE, 'awssim.py')
PYTHON = os.environ.get('CWGUARD_PYTHON') or '/usr/bin/python3'
ACCOUNT = '123456789012'
ROLE = 'cwguard-test-role'
INSTANCE = 'i-0123456789abcdef0'
AKID, SECRET = 'AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
USER_ARN = 'arn:aws:iam::123456789012:user/test'
GROUP = '/aws/ec2/app'


class Simulator:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='awssim-test-')
        ready = os.path.join(self.dir, 'ready.json')
        self.proc = subprocess.Popen([PYTHON, SIM, '--state-dir', self.dir, '--ready-file', ready],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        r, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline() if r else b''
        if not line:
            err = self.proc.stderr.read() if self.proc.poll() is not None else b''
            self.stop()
            if self.proc.returncode == 77:
                raise unittest.SkipTest('simulator cannot run here: %s' % err.decode())
            raise RuntimeError('simulator did not start: %r' % err)
        self.ready = json.loads(line)
        with open(ready) as f:
            self.ready_file = json.load(f)
        # Drain stderr (signature-mismatch dumps) so that the pipe never fills up.
        self._stderr = open(os.path.join(self.dir, 'stderr.log'), 'wb')
        import threading
        threading.Thread(target=shutil.copyfileobj, args=(self.proc.stderr, self._stderr),
                         daemon=True).start()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, getattr(self, '_stderr', None)):
            if f:
                f.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def control(self, method, path, body=None, expect=200):
        u = urlsplit(self.ready['control_url'])
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {'Content-Type': 'application/json'})
        r = c.getresponse()
        data = json.loads(r.read() or b'null')
        c.close()
        if expect is not None and r.status != expect:
            raise AssertionError('%s %s -> %d %r' % (method, path, r.status, data))
        return data

    def scenario(self, patch):
        return self.control('POST', '/scenario', patch)

    def stats(self):
        return self.control('GET', '/stats')

    def records(self):
        return self.control('GET', '/requests')


SIMULATOR = None


def setUpModule():
    global SIMULATOR
    # botocore keeps its pooled connections open until garbage collection.
    warnings.simplefilter('ignore', ResourceWarning)
    SIMULATOR = Simulator()


def tearDownModule():
    if SIMULATOR:
        SIMULATOR.stop()


class SimTest(unittest.TestCase):
    def setUp(self):
        self.sim = SIMULATOR
        self.sim.control('POST', '/reset', {})
        self.sim.scenario({'keys': {AKID: {'secret': SECRET, 'arn': USER_ARN}}})
        self.aws = self.sim.ready['aws_url']
        self.ca = self.sim.ready['ca']

    # -- helpers ----------------------------------------------------------------------------------
    def client(self, service, akid=AKID, secret=SECRET, token=None, region='us-east-1',
               url=None, read_timeout=10, proxy=None):
        s = botocore.session.get_session()
        return s.create_client(service, endpoint_url=url or self.aws, verify=self.ca,
                               region_name=region, aws_access_key_id=akid,
                               aws_secret_access_key=secret, aws_session_token=token,
                               config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'},
                                             connect_timeout=2, read_timeout=read_timeout,
                                             proxies={'https': proxy} if proxy else None))

    def imds(self, method, path, headers=None, timeout=5):
        u = urlsplit(self.sim.ready['imds_url'])
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def imds_token(self, ttl=60):
        st, hdrs, body = self.imds('PUT', '/latest/api/token',
                                   {'X-aws-ec2-metadata-token-ttl-seconds': str(ttl)})
        self.assertEqual(st, 200)
        return body.decode()

    def imds_creds(self):
        tok = self.imds_token()
        st, _, body = self.imds('GET', '/latest/meta-data/iam/security-credentials/' + ROLE,
                                {'X-aws-ec2-metadata-token': tok})
        self.assertEqual(st, 200)
        return json.loads(body)

    def signed(self, service, body, headers, akid=AKID, secret=SECRET, token=None,
               region='us-east-1', send_body=None, timeout=10):
        """Sign with botocore's SigV4Auth and send with http.client: (status, headers, body)."""
        req = AWSRequest(method='POST', url=self.aws + '/', data=body, headers=headers)
        SigV4Auth(Credentials(akid, secret, token), service, region).add_auth(req)
        p = req.prepare()
        u = urlsplit(self.aws)
        ctx = ssl.create_default_context(cafile=self.ca)
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=timeout)
        try:
            c.request('POST', '/', body=send_body if send_body is not None else body,
                      headers=dict(p.headers.items()))
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def assertClientError(self, cm, code, status, message=None):
        e = cm.exception
        self.assertEqual(e.response['Error']['Code'], code, e.response)
        self.assertEqual(e.response['ResponseMetadata']['HTTPStatusCode'], status)
        if message is not None:
            self.assertEqual(e.response['Error']['Message'], message)

    def put_metric(self, cw, ns='CWGuard/Probe'):
        return cw.put_metric_data(Namespace=ns, MetricData=[{
            'MetricName': 'ProbeHeartbeat', 'Value': 1.0, 'Unit': 'Count',
            'StorageResolution': 60,
            'Dimensions': [{'Name': 'InstanceId', 'Value': INSTANCE}]}])


class ReadyAndControl(SimTest):
    def test_ready(self):
        r = self.sim.ready
        self.assertEqual(r, self.sim.ready_file)
        for k in ('aws', 'aws_wrongname', 'imds', 'control', 'blackhole', 'proxy', 'drop'):
            self.assertIsInstance(r[k], int)
        self.assertEqual(r['drop_url'], 'https://127.0.0.1:%d' % r['drop'])
        self.assertEqual(r['aws_url'], 'https://localhost:%d' % r['aws'])
        self.assertEqual(r['imds_url'], 'http://127.0.0.1:%d' % r['imds'])
        self.assertTrue(os.path.exists(r['ca']))
        self.assertEqual(r['pid'], self.sim.proc.pid)

    def test_scenario_validation(self):
        self.sim.control('POST', '/scenario', {'bogus': 1}, expect=400)
        self.sim.control('POST', '/scenario', {'imds': {'mode': 'nope'}}, expect=400)
        self.sim.control('POST', '/scenario', {'deny': [{'action': 'logs:*', 'deny': 'implicit',
                                                         'policy_type': 'resource-control'}]},
                         expect=400)
        self.sim.control('POST', '/scenario', {'faults': [{'action': '*', 'type': 'explode'}]},
                         expect=400)
        self.sim.control('POST', '/scenario', {'faults': [{'action': '*', 'type': 'drip',
                                                           'interval': 0}]}, expect=400)
        self.sim.control('POST', '/scenario', {'imds': {'secret_prefix': 'a"b'}}, expect=400)
        self.sim.control('POST', '/restart', {'down': -1}, expect=400)
        self.sim.control('POST', '/aws/stop', {'drop': 'yes'}, expect=400)
        sc = self.sim.scenario({'log_groups': {'/x': {}}, 'deny': [{'action': 'logs:*'}]})
        self.assertEqual(sc['log_groups']['/x'], {'kms_denied': False, 'streams': []})
        self.assertEqual(sc['deny'][0]['policy_type'], 'identity-based')
        self.assertIn(GROUP, sc['log_groups'])
        sc = self.sim.scenario({'log_groups': {GROUP: None}})
        self.assertNotIn(GROUP, sc['log_groups'])
        self.sim.control('POST', '/reset', {})
        self.assertIn(GROUP, self.sim.control('GET', '/scenario')['log_groups'])
        self.sim.control('GET', '/nope', expect=404)


class Signatures(SimTest):
    def test_sts_static_key(self):
        r = self.client('sts').get_caller_identity()
        self.assertEqual(r['Arn'], USER_ARN)
        self.assertEqual(r['Account'], ACCOUNT)
        rec = self.sim.records()[-1]
        self.assertEqual(rec['action'], 'sts:GetCallerIdentity')
        self.assertEqual((rec['service'], rec['protocol'], rec['status']), ('sts', 'query', 200))
        self.assertTrue(rec['signature_ok'])
        self.assertEqual(rec['access_key_id'], AKID)
        self.assertEqual(rec['params'], {'Action': 'GetCallerIdentity', 'Version': '2011-06-15'})

    def test_sts_imds_credentials(self):
        c = self.imds_creds()
        r = self.client('sts', c['AccessKeyId'], c['SecretAccessKey'],
                        c['Token']).get_caller_identity()
        self.assertEqual(r['Arn'], 'arn:aws:sts::%s:assumed-role/%s/%s' % (ACCOUNT, ROLE,
                                                                          INSTANCE))
        self.assertRegex(r['UserId'], r'^AROA[A-Z0-9]{17}:' + INSTANCE + '$')
        self.assertEqual(r['Account'], ACCOUNT)
        # Never a secret, token or signature in the records.
        dump = json.dumps(self.sim.records())
        self.assertNotIn(c['SecretAccessKey'], dump)
        self.assertNotIn(c['Token'], dump)
        self.assertNotIn('Signature=', dump)

    def test_session_token_required(self):
        c = self.imds_creds()
        with self.assertRaises(ClientError) as cm:
            self.client('sts', c['AccessKeyId'], c['SecretAccessKey']).get_caller_identity()
        self.assertClientError(cm, 'InvalidClientTokenId', 403,
                               'The security token included in the request is invalid.')
        with self.assertRaises(ClientError) as cm:
            self.client('logs', c['AccessKeyId'], c['SecretAccessKey'],
                        c['Token'][:-4] + 'AAAA').describe_log_streams(logGroupName=GROUP)
        self.assertClientError(cm, 'UnrecognizedClientException', 400)

    def test_unknown_key(self):
        with self.assertRaises(ClientError) as cm:
            self.client('sts', 'AKIANOTKNOWN00000000', 'x' * 40).get_caller_identity()
        self.assertClientError(cm, 'InvalidClientTokenId', 403,
                               'The security token included in the request is invalid.')
        with self.assertRaises(ClientError) as cm:
            self.client('logs', 'AKIANOTKNOWN00000000', 'x' * 40).create_log_group(
                logGroupName='/a')
        self.assertClientError(cm, 'UnrecognizedClientException', 400)

    def test_wrong_secret(self):
        with self.assertRaises(ClientError) as cm:
            self.client('sts', secret='wrong').get_caller_identity()
        self.assertClientError(cm, 'SignatureDoesNotMatch', 403)
        self.assertTrue(cm.exception.response['Error']['Message'].startswith(
            'The request signature we calculated does not match the signature you provided.'))
        rec = self.sim.records()[-1]
        self.assertIs(rec['signature_ok'], False)
        self.assertEqual(rec['error_code'], 'SignatureDoesNotMatch')
        with self.assertRaises(ClientError) as cm:
            self.client('logs', secret='wrong').describe_log_streams(logGroupName=GROUP)
        self.assertClientError(cm, 'InvalidSignatureException', 400)

    def test_tampered_body(self):
        body = b'Action=GetCallerIdentity&Version=2011-06-15'
        hdrs = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}
        st, _, out = self.signed('sts', body, hdrs)
        self.assertEqual(st, 200, out)
        st, _, out = self.signed('sts', body, hdrs, send_body=body.replace(b'2011', b'2012'))
        self.assertEqual(st, 403)
        self.assertIn(b'<Code>SignatureDoesNotMatch</Code>', out)

    def test_user_agent_signed(self):
        # botocore's own signer leaves user-agent out; a C signer may sign it. Both must verify.
        body = b'Action=GetCallerIdentity&Version=2011-06-15'
        hdrs = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
                'User-Agent': 'cwguard/0.1'}

        class WithUA(SigV4Auth):
            def headers_to_sign(self, request):
                h = super().headers_to_sign(request)
                h['user-agent'] = request.headers['User-Agent']
                return h
        req = AWSRequest(method='POST', url=self.aws + '/', data=body, headers=hdrs)
        WithUA(Credentials(AKID, SECRET), 'sts', 'us-east-1').add_auth(req)
        self.assertIn('user-agent', req.headers['Authorization'])
        u = urlsplit(self.aws)
        c = http.client.HTTPSConnection(u.hostname, u.port,
                                        context=ssl.create_default_context(cafile=self.ca))
        c.request('POST', '/', body, dict(req.prepare().headers.items()))
        r = c.getresponse()
        self.assertEqual(r.status, 200, r.read())
        c.close()

    def test_missing_authentication(self):
        u = urlsplit(self.aws)
        c = http.client.HTTPSConnection(u.hostname, u.port,
                                        context=ssl.create_default_context(cafile=self.ca))
        c.request('POST', '/', b'Action=GetCallerIdentity&Version=2011-06-15',
                  {'Content-Type': 'application/x-www-form-urlencoded'})
        r = c.getresponse()
        out = r.read()
        self.assertEqual(r.status, 403)
        self.assertIn(b'<Code>MissingAuthenticationToken</Code>', out)
        self.assertIn(b'<RequestId>', out)
        self.assertTrue(r.getheader('x-amzn-RequestId'))
        self.assertTrue(r.getheader('Date'))
        c.close()

    def test_scope_mismatch(self):
        body = b'Action=PutMetricData&Version=2010-08-01&Namespace=X&MetricData.member.1.' \
               b'MetricName=m&MetricData.member.1.Value=1'
        hdrs = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}
        st, _, out = self.signed('sts', body, hdrs)
        self.assertEqual(st, 403)
        self.assertIn(b"Credential should be scoped to correct service: 'monitoring'. ", out)
        st, _, out = self.signed('monitoring', body, hdrs, region='eu-west-1')
        self.assertEqual(st, 403)
        self.assertIn(b"Credential should be scoped to a valid region, not 'eu-west-1'. ", out)

    def test_expired_keys(self):
        self.sim.scenario({'keys': {AKID: {'expired': True}}})
        with self.assertRaises(ClientError) as cm:
            self.client('sts').get_caller_identity()
        self.assertClientError(cm, 'ExpiredToken', 403,
                               'The security token included in the request is expired')
        with self.assertRaises(ClientError) as cm:
            self.client('logs').describe_log_streams(logGroupName=GROUP)
        self.assertClientError(cm, 'ExpiredTokenException', 400)
        # IMDS hands out already expired credentials with a negative creds_ttl.
        self.sim.scenario({'imds': {'creds_ttl': -60}})
        c = self.imds_creds()
        exp = time.mktime(time.strptime(c['Expiration'], '%Y-%m-%dT%H:%M:%SZ')) - time.timezone
        self.assertLess(exp, time.time())
        with self.assertRaises(ClientError) as cm:
            self.client('sts', c['AccessKeyId'], c['SecretAccessKey'],
                        c['Token']).get_caller_identity()
        self.assertClientError(cm, 'ExpiredToken', 403)

    def test_clock_skew(self):
        self.sim.scenario({'clock_offset': 1200})
        with self.assertRaises(ClientError) as cm:
            self.client('sts').get_caller_identity()
        self.assertClientError(cm, 'SignatureDoesNotMatch', 403)
        msg = cm.exception.response['Error']['Message']
        m = re.fullmatch(r'Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) '
                         r'\((\d{8}T\d{6}Z) - 15 min\.\)', msg)
        self.assertTrue(m, msg)
        date = cm.exception.response['ResponseMetadata']['HTTPHeaders']['date']
        skew = email.utils.parsedate_to_datetime(date).timestamp() - time.time()
        self.assertAlmostEqual(skew, 1200, delta=5)
        self.sim.scenario({'clock_offset': -1200})
        with self.assertRaises(ClientError) as cm:
            self.client('sts').get_caller_identity()
        self.assertRegex(cm.exception.response['Error']['Message'],
                         r'^Signature not yet current: \d{8}T\d{6}Z is still later than '
                         r'\d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$')
        # CloudWatch and Logs allow 5 minutes only.
        self.sim.scenario({'clock_offset': 400})
        self.client('sts').get_caller_identity()
        with self.assertRaises(ClientError) as cm:
            self.client('logs').describe_log_streams(logGroupName=GROUP)
        self.assertClientError(cm, 'InvalidSignatureException', 400)
        self.assertRegex(cm.exception.response['Error']['Message'], r' - 5 min\.\)$')


class CloudWatch(SimTest):
    def test_query(self):
        cw = self.client('cloudwatch')
        self.put_metric(cw)
        rec = self.sim.records()[-1]
        self.assertEqual((rec['action'], rec['protocol'], rec['status']),
                         ('cloudwatch:PutMetricData', 'query', 200))
        self.assertEqual(rec['params'], {'Namespace': 'CWGuard/Probe', 'MetricData': [{
            'MetricName': 'ProbeHeartbeat', 'Value': 1.0, 'Unit': 'Count',
            'StorageResolution': 60,
            'Dimensions': [{'Name': 'InstanceId', 'Value': INSTANCE}]}]})
        with self.assertRaises(ClientError) as cm:
            self.put_metric(cw, 'AWS/EC2')
        self.assertClientError(cm, 'InvalidParameterValue', 400,
                               'The value AWS/ for parameter Namespace is invalid.')

    def test_json_and_gzip(self):
        doc = {'Namespace': 'CWGuard/Probe', 'MetricData': [{
            'MetricName': 'ProbeHeartbeat', 'Value': 1.0, 'Unit': 'Count',
            'Timestamp': 1785585600,
            'Dimensions': [{'Name': 'InstanceId', 'Value': INSTANCE}]}]}
        hdrs = {'Content-Type': 'application/x-amz-json-1.0',
                'X-Amz-Target': 'GraniteServiceVersion20100801.PutMetricData',
                'x-amzn-query-mode': 'true'}
        st, h, out = self.signed('monitoring', json.dumps(doc).encode(), hdrs)
        self.assertEqual(st, 200, out)
        self.assertEqual(json.loads(out), {})
        self.assertTrue(h['x-amzn-requestid'])
        rec = self.sim.records()[-1]
        self.assertEqual(rec['protocol'], 'json')
        self.assertEqual(rec['params']['MetricData'][0]['Timestamp'], 1785585600.0)
        # gzip body, JSON and query
        st, _, out = self.signed('monitoring', gzip.compress(json.dumps(doc).encode()),
                                 dict(hdrs, **{'Content-Encoding': 'gzip'}))
        self.assertEqual(st, 200, out)
        self.assertEqual(self.sim.records()[-1]['params']['Namespace'], 'CWGuard/Probe')
        form = (b'Action=PutMetricData&Version=2010-08-01&Namespace=CWGuard%2FProbe&'
                b'MetricData.member.1.MetricName=m&MetricData.member.1.Value=2&'
                b'MetricData.member.1.Timestamp=2026-08-01T12%3A00%3A00Z')
        st, _, out = self.signed('monitoring', gzip.compress(form), {
            'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
            'Content-Encoding': 'gzip'})
        self.assertEqual(st, 200, out)
        md = self.sim.records()[-1]['params']['MetricData'][0]
        self.assertEqual((md['Value'], md['Timestamp']), (2.0, 1785585600.0))
        # errors in query-compatible JSON
        doc['Namespace'] = 'AWS/EC2'
        st, h, out = self.signed('monitoring', json.dumps(doc).encode(), hdrs)
        self.assertEqual(st, 400)
        self.assertEqual(h['x-amzn-query-error'], 'InvalidParameterValue;Sender')
        self.assertEqual(json.loads(out), {
            '__type': 'com.amazonaws.cloudwatch#InvalidParameterValueException',
            'message': 'The value AWS/ for parameter Namespace is invalid.'})
        doc['Namespace'] = 'X'
        doc['MetricData'][0]['Value'] = float('nan')
        st, h, out = self.signed('monitoring', json.dumps(doc).encode(), hdrs)
        self.assertEqual(st, 400)
        self.assertIn('NaN for parameter MetricData.member.1.Value', json.loads(out)['message'])
        st, h, out = self.signed('monitoring', json.dumps(doc).encode(), hdrs, secret='bad')
        self.assertEqual(h['x-amzn-query-error'], 'SignatureDoesNotMatch;Sender')

    def test_deny_namespace(self):
        self.sim.scenario({'deny': [{'action': 'cloudwatch:PutMetricData',
                                     'namespace': 'CWAgent'}]})
        cw = self.client('cloudwatch')
        self.put_metric(cw, 'cwagent')     # the condition is case-sensitive
        with self.assertRaises(ClientError) as cm:
            self.put_metric(cw, 'CWAgent')
        self.assertClientError(cm, 'AccessDenied', 403,
                               'User: %s is not authorized to perform: cloudwatch:PutMetricData '
                               'because no identity-based policy allows the '
                               'cloudwatch:PutMetricData action' % USER_ARN)


TARGET = 'cwguard-target'
TARGET_ARN = 'arn:aws:iam::%s:role/%s' % (ACCOUNT, TARGET)


class AssumeRole(SimTest):
    """STS AssumeRole: botocore's own serializer and XML parser against the simulator."""

    def assume(self, sts, arn=TARGET_ARN, name='cwguard-test', **kw):
        return sts.assume_role(RoleArn=arn, RoleSessionName=name, **kw)

    def test_assume_and_use(self):
        self.sim.scenario({'roles': {TARGET: {'secret_prefix': 'ASSUMEDSECRET',
                                              'token_prefix': 'ASSUMEDTOKEN'}}})
        r = self.assume(self.client('sts'), DurationSeconds=900)
        c = r['Credentials']
        self.assertRegex(c['AccessKeyId'], r'^ASIA[A-Z2-7]{16}$')
        self.assertTrue(c['SecretAccessKey'].startswith('ASSUMEDSECRET'))
        self.assertTrue(c['SessionToken'].startswith('ASSUMEDTOKEN'))
        left = c['Expiration'].timestamp() - time.time()
        self.assertTrue(890 <= left <= 905, left)
        arn = 'arn:aws:sts::%s:assumed-role/%s/cwguard-test' % (ACCOUNT, TARGET)
        self.assertEqual(r['AssumedRoleUser']['Arn'], arn)
        self.assertRegex(r['AssumedRoleUser']['AssumedRoleId'], r'^AROA[A-Z0-9]{17}:cwguard-test$')
        # The session is a principal of its own.
        me = self.client('sts', c['AccessKeyId'], c['SecretAccessKey'],
                         c['SessionToken']).get_caller_identity()
        self.assertEqual(me['Arn'], arn)
        self.assertEqual(self.sim.stats()['requests']['sts:AssumeRole'], 1)
        rec = [x for x in self.sim.records() if x['action'] == 'sts:AssumeRole'][0]
        self.assertEqual(rec['params']['RoleArn'], TARGET_ARN)
        self.assertEqual(rec['params']['DurationSeconds'], 900)
        dump = json.dumps(self.sim.records())
        self.assertNotIn(c['SecretAccessKey'], dump)
        self.assertNotIn(c['SessionToken'], dump)

    def test_default_duration_and_session_ttl(self):
        self.sim.scenario({'roles': {TARGET: {}}})
        c = self.assume(self.client('sts'))['Credentials']
        self.assertAlmostEqual(c['Expiration'].timestamp() - time.time(), 3600, delta=10)
        self.sim.scenario({'roles': {TARGET: {'session_ttl': 2}}})
        c = self.assume(self.client('sts'))['Credentials']
        sts = self.client('sts', c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])
        sts.get_caller_identity()
        time.sleep(2.2)
        with self.assertRaises(ClientError) as cm:
            sts.get_caller_identity()
        self.assertClientError(cm, 'ExpiredToken', 403)

    def test_per_principal_policies(self):
        self.sim.scenario({'roles': {TARGET: {}}, 'deny': [
            {'action': 'cloudwatch:PutMetricData', 'principal': '*:assumed-role/%s/*' % TARGET}]})
        c = self.assume(self.client('sts'))['Credentials']
        assumed = self.client('cloudwatch', c['AccessKeyId'], c['SecretAccessKey'],
                              c['SessionToken'])
        self.put_metric(self.client('cloudwatch'))      # the base principal may
        with self.assertRaises(ClientError) as cm:
            self.put_metric(assumed)
        self.assertIn('assumed-role/%s/cwguard-test is not authorized to perform: '
                      'cloudwatch:PutMetricData' % TARGET,
                      cm.exception.response['Error']['Message'])
        # And the other way round.
        self.sim.scenario({'deny': [{'action': 'cloudwatch:PutMetricData',
                                     'principal': USER_ARN}]})
        self.put_metric(assumed)
        with self.assertRaises(ClientError):
            self.put_metric(self.client('cloudwatch'))

    def test_denied(self):
        sts = self.client('sts')
        # No such role: the same answer as a trust policy that does not name the caller.
        msg = ('User: %s is not authorized to perform: sts:AssumeRole on resource: %s'
               % (USER_ARN, TARGET_ARN))
        with self.assertRaises(ClientError) as cm:
            self.assume(sts)
        self.assertClientError(cm, 'AccessDenied', 403, msg)
        self.sim.scenario({'roles': {TARGET: {'trust': ['arn:aws:iam::*:role/other']}}})
        with self.assertRaises(ClientError) as cm:
            self.assume(sts)
        self.assertClientError(cm, 'AccessDenied', 403, msg)
        self.sim.scenario({'roles': {TARGET: {'trust': [USER_ARN]}}})
        self.assume(sts)
        # The caller's own permission, with the policy layer as usual.
        self.sim.scenario({'deny': [{'action': 'sts:AssumeRole', 'resource': TARGET_ARN,
                                     'deny': 'explicit'}]})
        with self.assertRaises(ClientError) as cm:
            self.assume(sts)
        self.assertClientError(cm, 'AccessDenied', 403, msg + ' with an explicit deny in an '
                               'identity-based policy')

    def test_sts_regions(self):
        # One simulator plays each regional STS endpoint: the credential scope says which.
        self.sim.scenario({'region': 'eu-west-1', 'roles': {TARGET: {}},
                           'sts_regions': {'eu-west-1': 'inactive', 'us-east-1': 'active'}})
        with self.assertRaises(ClientError) as cm:
            self.assume(self.client('sts', region='eu-west-1'))
        self.assertClientError(cm, 'RegionDisabledException', 403,
                               'STS is not activated in this region for account:%s. Your account '
                               'administrator can activate STS in this region using the IAM '
                               'Console.' % ACCOUNT)
        # Not a credential-issuing call: GetCallerIdentity still answers there.
        self.client('sts', region='eu-west-1').get_caller_identity()
        self.assume(self.client('sts', region='us-east-1'))
        recs = [x for x in self.sim.records() if x['action'] == 'sts:AssumeRole']
        self.assertEqual([(r['signing_region'], r['status']) for r in recs],
                         [('eu-west-1', 403), ('us-east-1', 200)])
        # A region the scenario does not name is still a scope error, and other services accept
        # only the scenario's region.
        with self.assertRaises(ClientError) as cm:
            self.assume(self.client('sts', region='ap-south-1'))
        self.assertClientError(cm, 'SignatureDoesNotMatch', 403)
        with self.assertRaises(ClientError) as cm:
            self.put_metric(self.client('cloudwatch', region='us-east-1'))
        self.assertClientError(cm, 'SignatureDoesNotMatch', 403)
        self.sim.control('POST', '/scenario', {'sts_regions': {'us-east-1': 'off'}}, expect=400)

    def test_validation(self):
        self.sim.scenario({'roles': {TARGET: {}}})
        hdrs = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}
        base = {'Action': 'AssumeRole', 'Version': '2011-06-15', 'RoleArn': TARGET_ARN,
                'RoleSessionName': 'ok'}
        from urllib.parse import urlencode
        for bad in ({'RoleSessionName': 'has space'}, {'RoleSessionName': 'x'},
                    {'DurationSeconds': '899'}, {'DurationSeconds': 'x'},
                    {'RoleArn': 'arn:aws:iam::1'}, {'RoleArn': None}):
            body = {k: v for k, v in {**base, **bad}.items() if v is not None}
            st, _, out = self.signed('sts', urlencode(body), hdrs)
            self.assertEqual(st, 400, (bad, out))
            self.assertIn(b'<Code>ValidationError</Code>', out)
        st, _, out = self.signed('sts', urlencode(base), hdrs)
        self.assertEqual(st, 200, out)
        self.sim.control('POST', '/scenario', {'roles': {TARGET: {'trust': 'x'}}}, expect=400)
        self.sim.control('POST', '/scenario', {'roles': {'bad name': {}}}, expect=400)
        self.sim.control('POST', '/scenario', {'roles': {TARGET: {'bogus': 1}}}, expect=400)
        self.assertNotIn(TARGET, self.sim.scenario({'roles': {TARGET: None}})['roles'])


class Logs(SimTest):
    def test_flow_and_errors(self):
        logs = self.client('logs')
        logs.create_log_group(logGroupName='/cwguard/probe')
        with self.assertRaises(ClientError) as cm:
            logs.create_log_group(logGroupName='/cwguard/probe')
        self.assertClientError(cm, 'ResourceAlreadyExistsException', 400)
        with self.assertRaises(ClientError) as cm:
            logs.create_log_stream(logGroupName='/nope', logStreamName='s')
        self.assertClientError(cm, 'ResourceNotFoundException', 400,
                               'The specified log group does not exist.')
        logs.create_log_stream(logGroupName=GROUP, logStreamName=INSTANCE)
        with self.assertRaises(ClientError) as cm:
            logs.create_log_stream(logGroupName=GROUP, logStreamName=INSTANCE)
        self.assertClientError(cm, 'ResourceAlreadyExistsException', 400)
        now = int(time.time() * 1000)
        r = logs.put_log_events(logGroupName=GROUP, logStreamName=INSTANCE,
                                logEvents=[{'timestamp': now, 'message': 'a'},
                                           {'timestamp': now + 1, 'message': 'b'}])
        self.assertIn('nextSequenceToken', r)
        self.assertNotIn('rejectedLogEventsInfo', r)
        r = logs.put_log_events(logGroupName=GROUP, logStreamName=INSTANCE,
                                logEvents=[{'timestamp': now - 15 * 86400000, 'message': 'old'},
                                           {'timestamp': now, 'message': 'b'}])
        self.assertEqual(r['rejectedLogEventsInfo'], {'tooOldLogEventEndIndex': 0})
        with self.assertRaises(ClientError) as cm:
            logs.put_log_events(logGroupName=GROUP, logStreamName=INSTANCE,
                                logEvents=[{'timestamp': now, 'message': 'a'},
                                           {'timestamp': now - 1, 'message': 'b'}])
        self.assertClientError(cm, 'InvalidParameterException', 400)
        with self.assertRaises(ClientError) as cm:
            logs.put_log_events(logGroupName=GROUP, logStreamName='missing',
                                logEvents=[{'timestamp': now, 'message': 'a'}])
        self.assertClientError(cm, 'ResourceNotFoundException', 400,
                               'The specified log stream does not exist.')
        d = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix='i-', limit=1)
        s = d['logStreams'][0]
        self.assertEqual(s['logStreamName'], INSTANCE)
        self.assertEqual(s['arn'], 'arn:aws:logs:us-east-1:%s:log-group:%s:log-stream:%s'
                         % (ACCOUNT, GROUP, INSTANCE))
        self.assertEqual(s['lastEventTimestamp'], now + 1)
        groups = self.sim.control('GET', '/scenario')['log_groups']
        self.assertIn(INSTANCE, groups[GROUP]['streams'])
        rec = self.sim.records()[-1]
        self.assertEqual((rec['action'], rec['protocol']), ('logs:DescribeLogStreams', 'json'))
        self.assertEqual(rec['params']['logStreamNamePrefix'], 'i-')

    def test_kms_denied(self):
        self.sim.scenario({'log_groups': {GROUP: {'kms_denied': True, 'streams': ['s']}}})
        with self.assertRaises(ClientError) as cm:
            self.client('logs').put_log_events(logGroupName=GROUP, logStreamName='s', logEvents=[
                {'timestamp': int(time.time() * 1000), 'message': 'x'}])
        self.assertClientError(cm, 'AccessDeniedException', 400,
                               "The specified KMS key does not exist or is not allowed to be used "
                               "with Arn 'arn:aws:logs:us-east-1:%s:log-group:%s'"
                               % (ACCOUNT, GROUP))

    def test_deny_layers(self):
        logs = self.client('logs')
        self.sim.scenario({'log_groups': {GROUP: {'streams': ['s1']}}})
        res = 'arn:aws:logs:us-east-1:%s:log-group:%s:log-stream:s1' % (ACCOUNT, GROUP)
        layers = {'identity-based': 'an identity-based policy',
                  'service-control': 'a service control policy',
                  'resource-control': 'a resource control policy',
                  'permissions-boundary': 'a permissions boundary',
                  'session': 'a session policy', 'resource-based': 'a resource-based policy',
                  'vpc-endpoint': 'a VPC endpoint policy'}
        ev = [{'timestamp': int(time.time() * 1000), 'message': 'x'}]
        base = 'User: %s is not authorized to perform: logs:PutLogEvents on resource: %s ' % (
            USER_ARN, res)
        for ptype, phrase in layers.items():
            for kind in ('explicit', 'implicit'):
                if ptype == 'resource-control' and kind == 'implicit':
                    continue
                for parn in (None, 'arn:aws:organizations::987654321098:policy/o-x/'
                                   'service_control_policy/p-1'):
                    self.sim.scenario({'deny': [{'action': 'logs:Put*', 'resource':
                                                 'arn:aws:logs:*:log-group:/aws/ec2/*',
                                                 'policy_type': ptype, 'deny': kind,
                                                 'policy_arn': parn, 'count': 1}]})
                    with self.assertRaises(ClientError) as cm:
                        logs.put_log_events(logGroupName=GROUP, logStreamName='s1', logEvents=ev)
                    want = base + ('with an explicit deny in %s' % phrase if kind == 'explicit'
                                   else 'because no %s allows the logs:PutLogEvents action'
                                   % phrase.split(' ', 1)[1])
                    if parn:
                        want += ': ' + parn
                    self.assertClientError(cm, 'AccessDeniedException', 400, want)
                    # count: 1 -> the next request passes
                    logs.put_log_events(logGroupName=GROUP, logStreamName='s1', logEvents=ev)
        # a resource pattern that does not match
        self.sim.scenario({'deny': [{'action': 'logs:*', 'resource': '*:log-group:/other*'}]})
        logs.put_log_events(logGroupName=GROUP, logStreamName='s1', logEvents=ev)
        # CloudWatch query: AccessDenied 403, no "on resource"
        self.sim.scenario({'deny': [{'action': 'cloudwatch:*', 'deny': 'explicit',
                                     'policy_type': 'service-control'}]})
        with self.assertRaises(ClientError) as cm:
            self.put_metric(self.client('cloudwatch'))
        self.assertClientError(cm, 'AccessDenied', 403,
                               'User: %s is not authorized to perform: cloudwatch:PutMetricData '
                               'with an explicit deny in a service control policy' % USER_ARN)

    def test_sts_cannot_be_denied(self):
        self.sim.scenario({'deny': [{'action': '*', 'deny': 'explicit'}]})
        self.client('sts').get_caller_identity()
        with self.assertRaises(ClientError):
            self.client('logs').create_log_group(logGroupName='/x')


class Imds(SimTest):
    def test_instance_tags(self):
        tok = self.imds_token()
        hdr = {'X-aws-ec2-metadata-token': tok}
        path = '/latest/meta-data/tags/instance/aws:autoscaling:groupName'
        st, _, _ = self.imds('GET', path, hdr)
        self.assertEqual(st, 404)  # tags not exposed by default
        self.sim.scenario({'imds': {'tags': {'aws:autoscaling:groupName': 'web-asg',
                                             'Name': 'web-1'}}})
        st, _, body = self.imds('GET', path, hdr)
        self.assertEqual((st, body), (200, b'web-asg'))
        st, _, body = self.imds('GET', '/latest/meta-data/tags/instance', hdr)
        self.assertEqual((st, sorted(body.decode().split('\n'))),
                         (200, ['Name', 'aws:autoscaling:groupName']))
        st, _, _ = self.imds('GET', '/latest/meta-data/tags/instance/Owner', hdr)
        self.assertEqual(st, 404)
        st, _, _ = self.imds('GET', path)
        self.assertEqual(st, 401)
        self.sim.control('POST', '/scenario', {'imds': {'tags': ['x']}}, expect=400)
        self.assertEqual(len(self.sim.control('GET', '/requests?action=imds:tags')), 5)

    def test_token_flow(self):
        st, h, body = self.imds('PUT', '/latest/api/token',
                                {'X-aws-ec2-metadata-token-ttl-seconds': '21600'})
        self.assertEqual(st, 200)
        self.assertEqual(h['X-aws-ec2-metadata-token-ttl-seconds'], '21600')
        tok = body.decode()
        for ttl in ('0', '21601', 'abc', None):
            st, _, body = self.imds('PUT', '/latest/api/token',
                                    {'X-aws-ec2-metadata-token-ttl-seconds': ttl} if ttl else {})
            self.assertEqual(st, 400, ttl)
            self.assertIn(b'<h1>400 - Bad Request</h1>', body)
        st, _, _ = self.imds('PUT', '/latest/api/token',
                             {'X-aws-ec2-metadata-token-ttl-seconds': '60',
                              'X-Forwarded-For': '10.0.0.1'})
        self.assertEqual(st, 403)
        st, _, _ = self.imds('PUT', '/2021-03-23/api/token',
                             {'X-aws-ec2-metadata-token-ttl-seconds': '60'})
        self.assertEqual(st, 403)
        st, h, body = self.imds('GET', '/latest/meta-data/instance-id')
        self.assertEqual(st, 401)
        self.assertIn(b'<title>401 - Unauthorized</title>', body)
        self.assertEqual(h['Content-Type'], 'text/html')
        hdr = {'X-aws-ec2-metadata-token': tok}
        for path, want in (('/latest/meta-data/instance-id', INSTANCE),
                           ('/latest/meta-data/placement/region', 'us-east-1'),
                           ('/latest/meta-data/placement/availability-zone', 'us-east-1a'),
                           ('/latest/meta-data/iam/security-credentials/', ROLE)):
            st, _, body = self.imds('GET', path, hdr)
            self.assertEqual((st, body.decode()), (200, want))
        st, _, body = self.imds('GET', '/latest/meta-data/nope', hdr)
        self.assertEqual(st, 404)
        self.assertIn(b'encoding="iso-8859-1"', body)
        st, _, body = self.imds('GET', '/latest/dynamic/instance-identity/document', hdr)
        doc = json.loads(body)
        self.assertEqual((doc['accountId'], doc['region'], doc['instanceId']),
                         (ACCOUNT, 'us-east-1', INSTANCE))
        st, _, body = self.imds('GET', '/latest/meta-data/iam/info', hdr)
        self.assertEqual(json.loads(body)['InstanceProfileArn'],
                         'arn:aws:iam::%s:instance-profile/%s' % (ACCOUNT, ROLE))
        st, _, body = self.imds('GET', '/latest/meta-data/iam/security-credentials/' + ROLE, hdr)
        self.assertRegex(body.decode(),
                         r'^\{\n  "Code" : "Success",\n  "LastUpdated" : "[0-9T:-]+Z",\n'
                         r'  "Type" : "AWS-HMAC",\n  "AccessKeyId" : "ASIA[A-Z0-9]{16}",\n'
                         r'  "SecretAccessKey" : "[A-Za-z0-9+/]{40}",\n'
                         r'  "Token" : "IQoJb3JpZ2luX2Vj[A-Za-z0-9+/=]+",\n'
                         r'  "Expiration" : "[0-9T:-]+Z"\n\}$')
        # stale tokens
        self.sim.control('POST', '/imds/expire-tokens', {})
        self.assertEqual(self.imds('GET', '/latest/meta-data/instance-id', hdr)[0], 401)
        short = self.imds_token(ttl=1)
        self.assertEqual(self.imds('GET', '/latest/meta-data/instance-id',
                                   {'X-aws-ec2-metadata-token': short})[0], 200)
        time.sleep(1.1)
        self.assertEqual(self.imds('GET', '/latest/meta-data/instance-id',
                                   {'X-aws-ec2-metadata-token': short})[0], 401)
        # IMDSv1 allowed
        self.sim.scenario({'imds': {'allow_v1': True}})
        self.assertEqual(self.imds('GET', '/latest/meta-data/instance-id')[0], 200)
        st = self.sim.stats()['requests']
        self.assertEqual(st['imds:token'], 8)
        self.assertEqual(st['imds:credentials'], 1)
        rec = [r for r in self.sim.records() if r['action'] == 'imds:token'][0]
        self.assertEqual((rec['listener'], rec['service'], rec['params']),
                         ('imds', 'imds', {'ttl': 21600}))

    def test_modes(self):
        tok = self.imds_token()
        hdr = {'X-aws-ec2-metadata-token': tok}
        creds = '/latest/meta-data/iam/security-credentials/'
        self.sim.scenario({'imds': {'mode': 'no-role'}})
        self.assertEqual(self.imds('GET', creds, hdr)[0], 404)
        self.sim.scenario({'imds': {'mode': 'creds-error',
                                    'creds_code': 'AssumeRoleUnauthorizedAccess'}})
        st, _, body = self.imds('GET', creds + ROLE, hdr)
        doc = json.loads(body)
        self.assertEqual((st, doc['Code']), (200, 'AssumeRoleUnauthorizedAccess'))
        self.assertIn('Message', doc)
        self.sim.scenario({'imds': {'mode': 'malformed'}})
        st, _, body = self.imds('GET', creds + ROLE, hdr)
        self.assertEqual(st, 200)
        self.assertRaises(ValueError, json.loads, body)
        self.sim.scenario({'imds': {'mode': 'token-refused'}})
        self.assertEqual(self.imds('PUT', '/latest/api/token',
                                   {'X-aws-ec2-metadata-token-ttl-seconds': '60'})[0], 403)
        self.sim.scenario({'imds': {'mode': 'token-blackhole'}})
        t0 = time.monotonic()
        with self.assertRaises((socket.timeout, TimeoutError)):
            self.imds('PUT', '/latest/api/token', {'X-aws-ec2-metadata-token-ttl-seconds': '60'},
                      timeout=0.5)
        self.assertLess(time.monotonic() - t0, 2)
        self.sim.scenario({'imds': {'mode': 'disabled'}})
        self.assertEqual(self.imds('GET', '/latest/meta-data/instance-id', hdr)[0], 403)

    def test_creds_ttl_and_rotate(self):
        self.sim.scenario({'imds': {'creds_ttl': 600}})
        c1 = self.imds_creds()
        exp = email.utils.parsedate_to_datetime(
            time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.strptime(c1['Expiration'],
                                                                     '%Y-%m-%dT%H:%M:%SZ')))
        self.assertAlmostEqual(exp.timestamp() - time.time(), 600, delta=5)
        self.assertEqual(self.imds_creds()['AccessKeyId'], c1['AccessKeyId'])
        new = self.sim.control('POST', '/imds/rotate', {})['access_key_id']
        c2 = self.imds_creds()
        self.assertEqual(c2['AccessKeyId'], new)
        self.assertNotEqual(c1['AccessKeyId'], new)
        for c in (c1, c2):   # the old pair stays valid until it expires
            self.client('sts', c['AccessKeyId'], c['SecretAccessKey'],
                        c['Token']).get_caller_identity()

    def test_secret_and_token_prefix(self):
        self.sim.scenario({'imds': {'secret_prefix': 'LEAKMARK-', 'token_prefix': 'TOKMARK-'}})
        new = self.sim.control('POST', '/imds/rotate', {})['access_key_id']
        c = self.imds_creds()
        self.assertEqual(c['AccessKeyId'], new)
        self.assertRegex(c['SecretAccessKey'], r'^LEAKMARK-[A-Za-z0-9+/]{31}$')
        self.assertRegex(c['Token'], r'^TOKMARK-[A-Za-z0-9+/=]{1000}$')
        # Still a key pair AWS accepts.
        self.client('sts', c['AccessKeyId'], c['SecretAccessKey'],
                    c['Token']).get_caller_identity()

    def test_stop_start(self):
        port = self.sim.ready['imds']
        self.imds_token()
        self.sim.control('POST', '/imds/stop', {})
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(('127.0.0.1', port), timeout=2)
        self.sim.control('POST', '/imds/start', {})
        self.imds_token()

    def test_imds_faults(self):
        self.sim.scenario({'faults': [{'action': 'imds:token', 'type': 'status', 'status': 503,
                                       'count': 1}]})
        st, _, body = self.imds('PUT', '/latest/api/token',
                                {'X-aws-ec2-metadata-token-ttl-seconds': '60'})
        self.assertEqual(st, 503)
        self.assertIn(b'503 - Service Unavailable', body)
        self.imds_token()
        # "*" is for AWS actions only
        self.sim.scenario({'faults': [{'action': '*', 'type': 'close'}]})
        self.imds_token()
        self.sim.scenario({'faults': [{'action': 'imds:*', 'type': 'close'}]})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.imds_token()


class Faults(SimTest):
    def test_status_count(self):
        self.sim.scenario({'faults': [{'action': 'sts:GetCallerIdentity', 'type': 'status',
                                       'status': 503, 'count': 2}]})
        sts = self.client('sts')
        for _ in range(2):
            with self.assertRaises(ClientError) as cm:
                sts.get_caller_identity()
            self.assertClientError(cm, 'ServiceUnavailable', 503)
        sts.get_caller_identity()
        self.assertEqual(self.sim.stats()['requests']['sts:GetCallerIdentity'], 3)
        self.assertEqual([r['fault'] for r in self.sim.records()], ['status', 'status', None])

    def test_throttle_and_tokens(self):
        self.sim.scenario({'faults': [{'action': '*', 'type': 'status', 'status': 'throttle',
                                       'count': 2}]})
        with self.assertRaises(ClientError) as cm:
            self.client('sts').get_caller_identity()
        self.assertClientError(cm, 'Throttling', 400, 'Rate exceeded')
        with self.assertRaises(ClientError) as cm:
            self.client('logs').describe_log_streams(logGroupName=GROUP)
        self.assertClientError(cm, 'ThrottlingException', 400)
        self.sim.scenario({'faults': [{'action': 'logs:*', 'type': 'status', 'status': 500}]})
        with self.assertRaises(ClientError) as cm:
            self.client('logs').describe_log_streams(logGroupName=GROUP)
        self.assertClientError(cm, 'ServiceUnavailableException', 500)
        self.sim.scenario({'faults': [{'action': 'sts:*', 'type': 'expired-token', 'count': 1},
                                      {'action': 'sts:*', 'type': 'invalid-token', 'count': 1}]})
        with self.assertRaises(ClientError) as cm:
            self.client('sts').get_caller_identity()
        self.assertClientError(cm, 'ExpiredToken', 403)
        with self.assertRaises(ClientError) as cm:
            self.client('sts').get_caller_identity()
        self.assertClientError(cm, 'InvalidClientTokenId', 403)

    def test_transport_faults(self):
        sts = self.client('sts', read_timeout=0.5)
        self.sim.scenario({'faults': [{'action': '*', 'type': 'delay', 'delay': 0.3,
                                       'count': 1}]})
        t0 = time.monotonic()
        sts.get_caller_identity()
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        self.sim.scenario({'faults': [{'action': '*', 'type': 'hang', 'count': 1}]})
        with self.assertRaises(ReadTimeoutError):
            sts.get_caller_identity()
        self.sim.scenario({'faults': [{'action': '*', 'type': 'close', 'count': 1}]})
        with self.assertRaises(ConnectionClosedError):
            sts.get_caller_identity()
        for ftype in ('garbage', 'truncate', 'oversize'):
            self.sim.scenario({'faults': [{'action': '*', 'type': ftype, 'size': 100000,
                                           'count': 1}]})
            st, h, out = None, None, None
            try:
                st, h, out = self.signed('sts', b'Action=GetCallerIdentity&Version=2011-06-15',
                                         {'Content-Type': 'application/x-www-form-urlencoded'})
            except http.client.IncompleteRead:
                self.assertEqual(ftype, 'truncate')
                continue
            self.assertEqual(st, 200, ftype)
            if ftype == 'garbage':
                self.assertNotIn(b'<', out[:2])
            else:
                self.assertEqual(len(out), 100000)
                self.assertEqual(ftype, 'oversize')
        sts.get_caller_identity()


    def test_drip(self):
        # Headers at once, then the body one byte per interval: a client with a 0.5 s read
        # timeout gets the status line, then times out reading the body.
        self.sim.scenario({'faults': [{'action': 'sts:*', 'type': 'drip', 'interval': 0.05,
                                       'count': 1}]})
        t0 = time.monotonic()
        st, _, body = self.signed('sts', b'Action=GetCallerIdentity&Version=2011-06-15',
                                  {'Content-Type': 'application/x-www-form-urlencoded'},
                                  timeout=5)
        dt = time.monotonic() - t0
        self.assertEqual(st, 200)
        self.assertIn(b'<GetCallerIdentityResult>', body)
        self.assertGreater(dt, 0.05 * len(body) * 0.9)
        self.sim.scenario({'faults': [{'action': 'sts:*', 'type': 'drip', 'interval': 1,
                                       'count': 1}]})
        with self.assertRaises(ReadTimeoutError):
            self.client('sts', read_timeout=0.5).get_caller_identity()
        self.assertEqual([r['fault'] for r in self.sim.records()], ['drip', 'drip'])
        self.client('sts').get_caller_identity()
        # IMDS too.
        self.sim.scenario({'faults': [{'action': 'imds:token', 'type': 'drip',
                                       'interval': 0.02, 'count': 1}]})
        t0 = time.monotonic()
        tok = self.imds_token()
        self.assertGreater(time.monotonic() - t0, 0.02 * len(tok) * 0.9)


class Transport(SimTest):
    def test_keepalive_stats(self):
        sts = self.client('sts')
        for _ in range(3):
            sts.get_caller_identity()
        st = self.sim.stats()
        self.assertEqual((st['tls_handshakes'], st['connections']), (1, 1))
        self.client('logs').describe_log_streams(logGroupName=GROUP)
        st = self.sim.stats()
        self.assertEqual(st['requests'], {'sts:GetCallerIdentity': 3,
                                          'logs:DescribeLogStreams': 1})
        self.assertEqual(st['tls_handshakes'], 2)
        self.assertEqual(st['connections'], 2)
        recs = self.sim.records()
        self.assertEqual(len({r['connection'] for r in recs[:3]}), 1)

    def test_wrong_name(self):
        with self.assertRaises(Exception) as cm:
            self.client('sts', url=self.sim.ready['aws_wrongname_url']).get_caller_identity()
        self.assertRegex(str(cm.exception), 'certificate|wrong.example')
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.check_hostname = False
        with socket.create_connection(('127.0.0.1', self.sim.ready['aws_wrongname'])) as s:
            with ctx.wrap_socket(s) as t:
                sans = t.getpeercert()['subjectAltName']
        self.assertEqual(sans, (('DNS', 'wrong.example'),))

    def test_blackhole(self):
        with socket.create_connection(('127.0.0.1', self.sim.ready['blackhole']), 2) as s:
            s.sendall(b'\x16\x03\x01\x00\x00')
            s.settimeout(0.3)
            self.assertRaises(socket.timeout, s.recv, 1)
        time.sleep(0.05)
        self.assertEqual(self.sim.stats()['blackhole_connections'], 1)

    def test_proxy(self):
        pu = urlsplit(self.sim.ready['proxy_url'])
        ctx = ssl.create_default_context(cafile=self.ca)
        c = http.client.HTTPSConnection(pu.hostname, pu.port, context=ctx, timeout=5)
        c.set_tunnel('localhost', self.sim.ready['aws'])
        c.request('POST', '/', b'Action=GetCallerIdentity&Version=2011-06-15',
                  {'Content-Type': 'application/x-www-form-urlencoded'})
        r = c.getresponse()
        self.assertEqual(r.status, 403)      # unsigned, but it went through the tunnel
        r.read()
        c.close()
        c = http.client.HTTPConnection(pu.hostname, pu.port, timeout=5)
        c.request('CONNECT', '192.0.2.1:443')
        self.assertEqual(c.getresponse().status, 403)
        c.close()
        sts = self.client('sts', proxy=self.sim.ready['proxy_url'])
        self.assertEqual(sts.get_caller_identity()['Arn'], USER_ARN)
        sts.get_caller_identity()
        st = self.sim.stats()
        self.assertEqual((st['proxy_tunnels'], st['proxy_refused']), (2, 1))
        self.assertEqual(st['requests'], {'sts:GetCallerIdentity': 3})
        self.assertTrue(self.sim.records()[-1]['signature_ok'])

    def test_wire_variants(self):
        """GET query, a chunked body and the Date header instead of X-Amz-Date."""
        u = urlsplit(self.aws)
        ctx = ssl.create_default_context(cafile=self.ca)
        req = AWSRequest(method='GET', url=self.aws + '/?Action=GetCallerIdentity&Version='
                         '2011-06-15')
        SigV4Auth(Credentials(AKID, SECRET), 'sts', 'us-east-1').add_auth(req)
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
        c.request('GET', '/?Action=GetCallerIdentity&Version=2011-06-15',
                  headers=dict(req.prepare().headers.items()))
        r = c.getresponse()
        out = r.read()
        self.assertEqual(r.status, 200, out)
        body = b'{"logGroupName": "/aws/ec2/app"}'
        hdrs = {'Content-Type': 'application/x-amz-json-1.1',
                'X-Amz-Target': 'Logs_20140328.DescribeLogStreams'}
        req = AWSRequest(method='POST', url=self.aws + '/', data=body, headers=hdrs)
        SigV4Auth(Credentials(AKID, SECRET), 'logs', 'us-east-1').add_auth(req)
        h = dict(req.prepare().headers.items())
        h.pop('Content-Length', None)
        c.request('POST', '/', body=iter([body[:10], body[10:]]), headers=h,
                  encode_chunked=True)
        r = c.getresponse()
        out = r.read()
        self.assertEqual(r.status, 200, out)
        self.assertEqual(json.loads(out), {'logStreams': []})

        class DateHeader(SigV4Auth):
            def _set_necessary_date_headers(self, request):
                request.headers['Date'] = email.utils.formatdate(usegmt=True)
        req = AWSRequest(method='POST', url=self.aws + '/', data=body, headers=hdrs)
        DateHeader(Credentials(AKID, SECRET), 'logs', 'us-east-1').add_auth(req)
        h = dict(req.prepare().headers.items())
        self.assertNotIn('X-Amz-Date', h)
        c.request('POST', '/', body=body, headers=h)
        r = c.getresponse()
        out = r.read()
        self.assertEqual(r.status, 200, out)
        c.close()
        self.assertEqual(self.sim.stats()['connections'], 1)

    def test_drop_listener(self):
        # SYNs go unanswered: connect() neither succeeds nor is refused.
        s = socket.socket()
        s.settimeout(0.3)
        t0 = time.monotonic()
        with self.assertRaises((socket.timeout, TimeoutError)):
            s.connect(('127.0.0.1', self.sim.ready['drop']))
        self.assertGreaterEqual(time.monotonic() - t0, 0.29)
        s.close()

    def test_aws_stop_start(self):
        port = self.sim.ready['aws']
        self.client('sts').get_caller_identity()
        self.sim.control('POST', '/aws/stop', {})
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(('127.0.0.1', port), timeout=2)
        self.sim.control('POST', '/aws/stop', {'drop': True})
        s = socket.socket()
        s.settimeout(0.3)
        with self.assertRaises((socket.timeout, TimeoutError)):
            s.connect(('127.0.0.1', port))
        s.close()
        self.sim.control('POST', '/aws/start', {})
        self.client('sts').get_caller_identity()
        # /reset brings stopped listeners back too.
        self.sim.control('POST', '/aws/stop', {})
        self.sim.control('POST', '/reset', {})
        socket.create_connection(('127.0.0.1', port), timeout=2).close()

    def test_restart_mid_request(self):
        import threading
        self.sim.scenario({'faults': [{'action': 'sts:*', 'type': 'delay', 'delay': 1,
                                       'count': 1}]})
        out = {}

        def call():
            try:
                self.client('sts').get_caller_identity()
                out['ok'] = True
            except Exception as e:   # noqa: BLE001 - whatever botocore makes of the cut
                out['error'] = e
        t = threading.Thread(target=call)
        t.start()
        wait_until = time.monotonic() + 5
        while self.sim.stats()['requests'].get('sts:GetCallerIdentity', 0) < 1:
            self.assertLess(time.monotonic(), wait_until)
            time.sleep(0.02)
        imds_port, aws_port = self.sim.ready['imds'], self.sim.ready['aws']
        done = {}
        r = threading.Thread(target=lambda: done.update(
            self.sim.control('POST', '/restart', {'down': 0.5})))
        r.start()
        for port in (aws_port, imds_port):     # down: refused (once the listeners closed)
            deadline = time.monotonic() + 5
            while True:
                try:
                    socket.create_connection(('127.0.0.1', port), timeout=2).close()
                except ConnectionRefusedError:
                    break
                self.assertLess(time.monotonic(), deadline, 'port %d never refused' % port)
                time.sleep(0.02)
        r.join(10)
        t.join(10)
        self.assertGreaterEqual(done['cut'], 1)
        self.assertIn('error', out)            # the request in flight got no answer
        self.assertEqual(done['restarts'], 1)
        self.assertEqual(self.sim.stats()['restarts'], 1)
        # Back on the same ports, state kept.
        self.client('sts').get_caller_identity()
        self.imds_token()

    def test_sigterm(self):
        d = tempfile.mkdtemp(prefix='awssim-test-')
        try:
            p = subprocess.Popen([PYTHON, SIM, '--state-dir', d], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            ready = json.loads(p.stdout.readline())
            self.assertTrue(os.path.exists(os.path.join(d, 'ready.json')))
            self.assertEqual(ready['pid'], p.pid)
            t0 = time.monotonic()
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(5), 0)
            self.assertLess(time.monotonic() - t0, 2)
            p.stdout.close()
        finally:
            shutil.rmtree(d)


if __name__ == '__main__':
    unittest.main(verbosity=2)
