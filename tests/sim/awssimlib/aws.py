# SPDX-License-Identifier: MIT
"""The `aws` listener: STS GetCallerIdentity (query), CloudWatch PutMetricData (query and
awsJson1_0) and CloudWatch Logs (awsJson1_1) on one port, routed by the request itself.

Per request: route and parse, count, verify the SigV4 signature (sigv4.py), apply a matching
fault, answer an authentication error, then run the operation (policy denials first, then
validation and the operation's own errors). Every request becomes a record (never secrets).
"""

import gzip
import json
import math
import re
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from .state import glob_match
from .errors import AwsError, access_denied_message, fault_error, render_error, XMLNS
from .net import BaseHandler
from .sigv4 import verify

LOGS_PREFIX = 'Logs_20140328.'
CW_PREFIX = 'GraniteServiceVersion20100801.'
QUERY_ACTIONS = {'GetCallerIdentity': 'sts', 'AssumeRole': 'sts', 'PutMetricData': 'monitoring'}
ROLE_ARN_RE = re.compile(r'arn:aws[-a-z]*:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})')
SESSION_NAME_RE = re.compile(r'[\w+=,.@-]{2,64}')
ACTION_PREFIX = {'sts': 'sts', 'monitoring': 'cloudwatch', 'logs': 'logs'}
STRIP_QUERY = ('X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Credential')
LOG_GROUP_RE = re.compile(r'[\.\-_/#A-Za-z0-9]{1,512}')
DAY_MS = 24 * 3600 * 1000


class Request:
    """A routed request."""

    def __init__(self):
        self.service = None      # sts | monitoring | logs
        self.proto = None        # query | json1.0 | json1.1
        self.op = None
        self.action = 'unknown'
        self.params = {}
        self.error = None        # a routing/parsing AwsError
        self.query_mode = False


def _scope_service(headers):
    for k, v in headers:
        if k.lower() == 'authorization':
            m = re.search(r'Credential=[^/,\s]*/[^/]*/[^/]*/([^/,\s]*)', v)
            if m:
                return m.group(1)
    return None


def route(method, path, headers, body):
    r = Request()
    hd = {k.lower(): v for k, v in headers}
    target = hd.get('x-amz-target', '')
    if (hd.get('content-encoding') or '').lower() == 'gzip':
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            r.error = AwsError('MalformedInput', 400, 'SerializationException', 400,
                               'The request body could not be decompressed.',
                               json_ns='com.amazon.coral.service#')
    if target.startswith(LOGS_PREFIX) or target.startswith(CW_PREFIX):
        logs = target.startswith(LOGS_PREFIX)
        r.service, r.proto = ('logs', 'json1.1') if logs else ('monitoring', 'json1.0')
        r.op = target.split('.', 1)[1]
        r.action = ACTION_PREFIX[r.service] + ':' + r.op
        r.query_mode = hd.get('x-amzn-query-mode', '').strip().lower() == 'true'
        if r.error is None:
            try:
                r.params = json.loads(body.decode('utf-8') or '{}')
                if not isinstance(r.params, dict):
                    raise ValueError
            except ValueError:
                r.params = {}
                r.error = AwsError('SerializationException', 400, 'SerializationException', 400,
                                   'Start of structure or map found where not expected.',
                                   json_ns='com.amazon.coral.service#')
        return r
    r.proto = 'query'
    params = parse_qsl(urlsplit(path).query, keep_blank_values=True)
    if method == 'POST' and r.error is None:
        try:
            params += parse_qsl(body.decode('utf-8'), keep_blank_values=True)
        except UnicodeDecodeError:
            pass
    r.params = {k: v for k, v in params if k not in STRIP_QUERY}
    r.op = r.params.get('Action')
    r.service = QUERY_ACTIONS.get(r.op) or (_scope_service(headers)
                                            if _scope_service(headers) in XMLNS else 'sts')
    r.action = ACTION_PREFIX[r.service] + ':' + (r.op or 'unknown')
    return r


def _epoch(v):
    """A timestamp (query ISO-8601 or JSON epoch seconds) as epoch seconds, or None."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        try:
            return float(s)
        except ValueError:
            pass
        try:
            dt = datetime.fromisoformat(s.replace('Z', '+00:00'))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            return dt.timestamp()
        except ValueError:
            return None
    return None


def _num(v):
    if isinstance(v, bool):
        raise ValueError
    return float(v)


def normalise_metric_data(req):
    """PutMetricData params in one shape for both protocols: {"Namespace", "MetricData": [{
    "MetricName", "Value", "Dimensions": [{"Name", "Value"}], "Unit", "StorageResolution",
    "Timestamp" (epoch seconds), "Values", "Counts", "StatisticValues"}]} (optional fields only
    when sent)."""
    p = req.params
    if req.proto == 'query':
        members = {}
        for k, v in p.items():
            m = re.fullmatch(r'MetricData\.member\.(\d+)\.(.+)', k)
            if m:
                members.setdefault(int(m.group(1)), {})[m.group(2)] = v
        data = []
        for _, f in sorted(members.items()):
            md = {}
            for key in ('MetricName', 'Value', 'Unit', 'StorageResolution', 'Timestamp'):
                if key in f:
                    md[key] = f[key]
            dims = {}
            for k, v in f.items():
                m = re.fullmatch(r'Dimensions\.member\.(\d+)\.(Name|Value)', k)
                if m:
                    dims.setdefault(int(m.group(1)), {})[m.group(2)] = v
            md['Dimensions'] = [d for _, d in sorted(dims.items())]
            for lst in ('Values', 'Counts'):
                vals = sorted((int(m.group(1)), v) for k, v in f.items()
                              for m in [re.fullmatch(lst + r'\.member\.(\d+)', k)] if m)
                if vals:
                    md[lst] = [v for _, v in vals]
            sv = {k.split('.', 1)[1]: v for k, v in f.items() if k.startswith('StatisticValues.')}
            if sv:
                md['StatisticValues'] = sv
            data.append(md)
        out = {'Namespace': p.get('Namespace'), 'MetricData': data}
    else:
        data = []
        for md in p.get('MetricData') or []:
            if not isinstance(md, dict):
                continue
            md = dict(md)
            md['Dimensions'] = [dict(d) for d in md.get('Dimensions') or [] if isinstance(d, dict)]
            data.append(md)
        out = {'Namespace': p.get('Namespace'), 'MetricData': data}
    for md in out['MetricData']:
        for key, conv in (('Value', _num), ('StorageResolution', int)):
            if key in md:
                try:
                    md[key] = conv(md[key])
                except (TypeError, ValueError):
                    pass
        for lst in ('Values', 'Counts'):
            if lst in md:
                try:
                    md[lst] = [_num(x) for x in md[lst]]
                except (TypeError, ValueError):
                    pass
        if 'StatisticValues' in md and isinstance(md['StatisticValues'], dict):
            try:
                md['StatisticValues'] = {k: _num(v) for k, v in md['StatisticValues'].items()}
            except (TypeError, ValueError):
                pass
        if 'Timestamp' in md:
            t = _epoch(md['Timestamp'])
            md['Timestamp'] = t if t is not None else md['Timestamp']
    return out


def _fmt_value(v):
    if isinstance(v, float):
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
    return str(v)


class AwsHandler(BaseHandler):
    def do_POST(self):
        self.handle_aws()

    do_GET = do_PUT = do_DELETE = do_HEAD = do_POST

    # -- plumbing ---------------------------------------------------------------------------------
    def handle_aws(self):
        sim = self.sim
        body = self.read_body()
        headers = self.raw_headers()
        self.rid = str(uuid.uuid4())
        req = self.req = route(self.command, self.path, headers, body)
        sim.count(req.action)
        region = [sim.scenario['region']]
        if req.service == 'sts':
            # One simulator stands in for every regional STS endpoint the scenario names.
            region += list(sim.scenario['sts_regions'])
        verdict = verify(sim, req.service, self.command, self.path, headers, body, region)
        self.verdict = verdict
        self.rec = {
            'time': time.time(), 'listener': self.server.listener, 'method': self.command,
            'path': self.path, 'service': req.service, 'action': req.action,
            'protocol': 'query' if req.proto == 'query' else 'json',
            'access_key_id': verdict.access_key_id, 'signature_ok': verdict.ok,
            'status': None, 'error_code': None, 'params': req.params,
            'request_id': self.rid, 'connection': self.conn_seq, 'fault': None,
            'signing_region': verdict.region,
        }
        if req.op == 'PutMetricData' and req.service == 'monitoring' and req.error is None:
            self.rec['params'] = normalise_metric_data(req)
        try:
            fault = sim.take_fault(req.action)
            if fault is not None:
                self.rec['fault'] = fault['type']
                if fault['delay']:
                    time.sleep(fault['delay'])
                if self.apply_fault(fault):
                    return
            if verdict.error is not None:
                raise verdict.error
            if req.error is not None:
                raise req.error
            status, hdrs, out = self.dispatch()
            self.respond(status, hdrs, out)
        except AwsError as err:
            self.respond_error(err)

    def respond(self, status, hdrs, out, error_code=None):
        self.rec['status'] = status
        self.rec['error_code'] = error_code
        self.sim.add_record(self.rec)
        self.send_full(status, [('x-amzn-RequestId', self.rid)] + hdrs, out)

    def respond_error(self, err):
        req = self.req
        status, hdrs, out = render_error(req.proto, req.service, err, self.rid, req.query_mode)
        if req.proto == 'query' or (req.proto == 'json1.0' and req.query_mode):
            code = err.query_code
        else:
            code = err.cw_type or err.json_code if req.proto == 'json1.0' else err.json_code
        self.respond(status, hdrs, out, error_code=code)

    def content_type(self):
        return {'query': 'text/xml', 'json1.0': 'application/x-amz-json-1.0',
                'json1.1': 'application/x-amz-json-1.1'}[self.req.proto]

    def apply_fault(self, f):
        """Carry out a fault; False when the request should then be answered normally."""
        t = f['type']
        req = self.req
        if t == 'delay':
            return False
        if t == 'drip':
            # Answered as usual, but the body trickles out (net.BaseHandler.send_full).
            self.drip = f['interval']
            return False
        if t in ('status', 'expired-token', 'invalid-token'):
            if t == 'status':
                err = fault_error(req.service, req.proto, f['status'], f['code'], f['message'])
            else:
                err = AwsError.common(t, f['message'])
            self.respond_error(err)
            return True
        self.sim.add_record(self.rec)
        ct = [('Content-Type', self.content_type()), ('x-amzn-RequestId', self.rid)]
        if t == 'hang':
            self.fault_hang()
        elif t == 'close':
            self.fault_close()
        elif t == 'garbage':
            self.rec['status'] = 200
            self.send_full(200, ct, b'\x00\xff<<garbage not XML, not JSON {{\n')
        elif t == 'html':
            # What a web filter or captive portal in the path answers: 200, an HTML page.
            self.rec['status'] = 200
            self.send_full(200, [('Content-Type', 'text/html; charset=utf-8')],
                           b'<!DOCTYPE html>\n<html><head><title>Blocked</title></head><body>'
                           b'<h1>Access to this site is blocked by your network policy</h1>'
                           b'</body></html>\n')
        elif t == 'truncate':
            self.rec['status'] = 200
            ok = self.success_body()
            self.fault_truncate(200, ct, ok)
        elif t == 'oversize':
            self.rec['status'] = 200
            self.fault_oversize(ct, f['size'] if f['size'] is not None else 10 * 1024 * 1024)
        return True

    def success_body(self):
        if self.req.proto == 'query':
            return ('<%sResponse xmlns="%s">\n  <ResponseMetadata>\n    <RequestId>%s</RequestId>'
                    '\n  </ResponseMetadata>\n</%sResponse>\n' % (
                        self.req.op, XMLNS.get(self.req.service, ''), self.rid, self.req.op)
                    ).encode()
        return b'{}'

    # -- operations -------------------------------------------------------------------------------
    def dispatch(self):
        req = self.req
        fn = {('sts', 'GetCallerIdentity'): self.op_get_caller_identity,
              ('sts', 'AssumeRole'): self.op_assume_role,
              ('monitoring', 'PutMetricData'): self.op_put_metric_data,
              ('logs', 'CreateLogGroup'): self.op_create_log_group,
              ('logs', 'CreateLogStream'): self.op_create_log_stream,
              ('logs', 'DescribeLogGroups'): self.op_describe_log_groups,
              ('logs', 'DescribeLogStreams'): self.op_describe_log_streams,
              ('logs', 'PutLogEvents'): self.op_put_log_events}.get((req.service, req.op))
        if fn is None:
            if req.proto != 'query':
                raise AwsError('InvalidAction', 400, 'UnknownOperationException', 400, '',
                               json_ns='com.amazon.coral.service#')
            if req.op is None:
                raise AwsError('MissingAction', 400, 'MissingAction', 400,
                               'Missing Action')
            if req.service == 'sts':
                raise AwsError.common('unknown-op', 'Could not find operation %s for version '
                                      '2011-06-15' % req.op)
            raise AwsError.common('unknown-op', 'The action %s is not valid for this web '
                                  'service.' % req.op)
        return fn()

    def authorize(self, resource=None, namespace=None):
        rule = self.sim.take_deny(self.req.action, namespace=namespace, resource=resource,
                                  principal=self.verdict.arn)
        if rule is None:
            return
        msg = access_denied_message(self.verdict.arn, self.req.action, resource,
                                    rule['policy_type'], rule['deny'], rule['policy_arn'])
        if self.req.service == 'logs':
            raise AwsError.logs('AccessDeniedException', msg)
        raise AwsError.common('access-denied', msg)

    def json_ok(self, obj=None):
        out = json.dumps(obj).encode() if obj is not None else b''
        return 200, [('Content-Type', self.content_type())], out

    def op_get_caller_identity(self):
        # No permission needed, and an explicit deny does not block it: no authorize() here.
        arn = self.verdict.arn
        account = arn.split(':')[4] or self.sim.scenario['account_id']
        out = ('<GetCallerIdentityResponse xmlns="%s">\n'
               '  <GetCallerIdentityResult>\n'
               '    <Arn>%s</Arn>\n'
               '    <UserId>%s</UserId>\n'
               '    <Account>%s</Account>\n'
               '  </GetCallerIdentityResult>\n'
               '  <ResponseMetadata>\n'
               '    <RequestId>%s</RequestId>\n'
               '  </ResponseMetadata>\n'
               '</GetCallerIdentityResponse>\n' % (XMLNS['sts'], escape(arn),
                                                  escape(self.verdict.user_id),
                                                  escape(account), self.rid)).encode()
        return 200, [('Content-Type', 'text/xml')], out

    def op_assume_role(self):
        p = self.req.params

        def validation(msg):
            return AwsError('ValidationError', 400, 'ValidationError', 400, msg)
        arn = p.get('RoleArn')
        session = p.get('RoleSessionName')
        if arn is None:
            raise validation("1 validation error detected: Value null at 'roleArn' failed to "
                             "satisfy constraint: Member must not be null")
        if session is None:
            raise validation("1 validation error detected: Value null at 'roleSessionName' "
                             "failed to satisfy constraint: Member must not be null")
        if not SESSION_NAME_RE.fullmatch(session):
            raise validation("1 validation error detected: Value '%s' at 'roleSessionName' "
                             "failed to satisfy constraint: Member must satisfy regular "
                             "expression pattern: [\\w+=,.@-]*" % session)
        try:
            duration = int(p.get('DurationSeconds', '3600'))
        except ValueError:
            duration = -1
        if not 900 <= duration <= 43200:
            raise validation("1 validation error detected: Value '%s' at 'durationSeconds' "
                             "failed to satisfy constraint: Member must have value greater than "
                             "or equal to 900" % p.get('DurationSeconds'))
        if len(arn) < 20:
            raise validation("1 validation error detected: Value '%s' at 'roleArn' failed to "
                             "satisfy constraint: Member must have length greater than or "
                             "equal to 20" % arn)
        sc = self.sim.scenario
        m = ROLE_ARN_RE.fullmatch(arn)
        # STS deactivated in the region the request was signed for (the endpoint's region), for
        # the account whose credentials are asked for: the role's.
        if sc['sts_regions'].get(self.verdict.region) == 'inactive':
            raise AwsError('RegionDisabledException', 403, 'RegionDisabledException', 403,
                           'STS is not activated in this region for account:%s. Your account '
                           'administrator can activate STS in this region using the IAM '
                           'Console.' % (m.group(1) if m else sc['account_id']))
        # The caller's own permission first (deny rules on sts:AssumeRole, resource the role).
        self.authorize(resource=arn)
        role = sc['roles'].get(m.group(2)) if m and m.group(1) == sc['account_id'] else None
        caller = self.verdict.arn
        # A missing role and a trust policy that does not name the caller get the same answer
        # from STS, with no policy layer in it.
        if role is None or not any(glob_match(t, caller) for t in role['trust']):
            raise AwsError.common('access-denied', 'User: %s is not authorized to perform: '
                                  'sts:AssumeRole on resource: %s' % (caller, arn))
        k = self.sim.assume_role(m.group(2), session, duration)
        exp = datetime.fromtimestamp(int(k.expiration), timezone.utc).strftime(
            '%Y-%m-%dT%H:%M:%SZ')
        out = ('<AssumeRoleResponse xmlns="%s">\n'
               '  <AssumeRoleResult>\n'
               '    <SourceIdentity></SourceIdentity>\n'
               '    <AssumedRoleUser>\n'
               '      <AssumedRoleId>%s:%s</AssumedRoleId>\n'
               '      <Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>\n'
               '    </AssumedRoleUser>\n'
               '    <Credentials>\n'
               '      <AccessKeyId>%s</AccessKeyId>\n'
               '      <SecretAccessKey>%s</SecretAccessKey>\n'
               '      <SessionToken>%s</SessionToken>\n'
               '      <Expiration>%s</Expiration>\n'
               '    </Credentials>\n'
               '    <PackedPolicySize>0</PackedPolicySize>\n'
               '  </AssumeRoleResult>\n'
               '  <ResponseMetadata>\n'
               '    <RequestId>%s</RequestId>\n'
               '  </ResponseMetadata>\n'
               '</AssumeRoleResponse>\n' % (
                   XMLNS['sts'], k.role_id, escape(session), sc['account_id'], escape(k.role),
                   escape(session), k.access_key_id, escape(k.secret), escape(k.token), exp,
                   self.rid)).encode()
        self.rec['params'] = {'RoleArn': arn, 'RoleSessionName': session,
                              'DurationSeconds': duration, 'issued_access_key_id': k.access_key_id}
        return 200, [('Content-Type', 'text/xml')], out

    def op_put_metric_data(self):
        pm = self.rec['params']
        ns = pm.get('Namespace')
        self.authorize(namespace=ns)

        def invalid(value, param):
            return AwsError.cloudwatch('InvalidParameterValue', 'The value %s for parameter %s '
                                       'is invalid.' % (value, param),
                                       shape='InvalidParameterValueException')

        def missing(param):
            return AwsError.cloudwatch('MissingParameter', 'The parameter %s is required.' % param,
                                       shape='MissingRequiredParameterException')
        if not ns:
            raise missing('Namespace')
        if ns.startswith('AWS/'):
            raise invalid('AWS/', 'Namespace')
        if ns.startswith(':') or len(ns) > 255:
            raise invalid(ns, 'Namespace')
        data = pm['MetricData']
        if not data:
            raise missing('MetricData')
        if len(data) > 1000:
            raise invalid(len(data), 'MetricData')
        for i, md in enumerate(data, 1):
            where = 'MetricData.member.%d' % i
            if not md.get('MetricName'):
                raise missing(where + '.MetricName')
            if 'Value' in md:
                v = md['Value']
                if not isinstance(v, float) or not math.isfinite(v):
                    raise invalid(_fmt_value(v), where + '.Value')
            for j, x in enumerate(md.get('Values') or [], 1):
                if not isinstance(x, float) or not math.isfinite(x):
                    raise invalid(_fmt_value(x), '%s.Values.member.%d' % (where, j))
            if len(md['Dimensions']) > 30:
                raise invalid(len(md['Dimensions']), where + '.Dimensions')
            for j, d in enumerate(md['Dimensions'], 1):
                for part in ('Name', 'Value'):
                    if not d.get(part):
                        raise missing('%s.Dimensions.member.%d.%s' % (where, j, part))
            if 'Timestamp' in md and not isinstance(md['Timestamp'], float):
                raise invalid(md['Timestamp'], where + '.Timestamp')
        if self.req.proto == 'query':
            return 200, [('Content-Type', 'text/xml')], self.success_body()
        return self.json_ok({})

    # Logs -----------------------------------------------------------------------------------------
    def logs_arn(self, group, stream=None):
        sc = self.sim.scenario
        arn = 'arn:aws:logs:%s:%s:log-group:%s' % (sc['region'], sc['account_id'], group)
        return arn if stream is None else arn + ':log-stream:' + stream

    @staticmethod
    def validation(value, member, constraint):
        shown = 'null' if value is None else "'%s'" % value
        return AwsError.logs('InvalidParameterException', '1 validation error detected: Value %s '
                             "at '%s' failed to satisfy constraint: %s" % (shown, member,
                                                                          constraint))

    def group_name(self, key='logGroupName'):
        g = self.req.params.get(key)
        if key == 'logGroupName' and g is None:
            g = self.req.params.get('logGroupIdentifier')
        if g is None:
            raise self.validation(None, key, 'Member must not be null')
        if not isinstance(g, str) or not LOG_GROUP_RE.fullmatch(g):
            raise self.validation(g, key, r'Member must satisfy regular expression pattern: '
                                  r'[\.\-_/#A-Za-z0-9]+')
        return g

    def stream_name(self):
        s = self.req.params.get('logStreamName')
        if s is None:
            raise self.validation(None, 'logStreamName', 'Member must not be null')
        if not isinstance(s, str) or not s or len(s) > 512 or ':' in s or '*' in s:
            raise self.validation(s, 'logStreamName',
                                  'Member must satisfy regular expression pattern: [^:*]*')
        return s

    def group(self, name):
        g = self.sim.scenario['log_groups'].get(name)
        if g is None:
            raise AwsError.logs('ResourceNotFoundException',
                                'The specified log group does not exist.')
        return g

    def op_create_log_group(self):
        name = self.group_name()
        # Observed resource in real denials: "...:log-group:NAME:log-stream:" (empty stream).
        self.authorize(resource=self.logs_arn(name, ''))
        with self.sim.lock:
            groups = self.sim.scenario['log_groups']
            if name in groups:
                raise AwsError.logs('ResourceAlreadyExistsException',
                                    'The specified log group already exists')
            groups[name] = {'kms_denied': False, 'streams': []}
        return self.json_ok()

    def op_create_log_stream(self):
        name = self.group_name()
        stream = self.stream_name()
        self.authorize(resource=self.logs_arn(name, stream))
        with self.sim.lock:
            g = self.group(name)
            if stream in g['streams']:
                raise AwsError.logs('ResourceAlreadyExistsException',
                                    'The specified log stream already exists')
            g['streams'].append(stream)
            self.sim.stream_meta[(name, stream)] = {'creationTime': int(self.sim.now() * 1000)}
        return self.json_ok()

    def op_describe_log_groups(self):
        self.authorize(resource=self.logs_arn('', ''))
        prefix = self.req.params.get('logGroupNamePrefix') or ''
        sc = self.sim.scenario
        with self.sim.lock:
            out = [{'logGroupName': n, 'creationTime': 0, 'metricFilterCount': 0,
                    'arn': self.logs_arn(n) + ':*', 'storedBytes': 0,
                    'logGroupArn': self.logs_arn(n)}
                   for n in sorted(sc['log_groups']) if n.startswith(prefix)]
        return self.json_ok({'logGroups': out})

    def op_describe_log_streams(self):
        name = self.group_name()
        self.authorize(resource=self.logs_arn(name, ''))
        p = self.req.params
        limit = p.get('limit', 50)
        if not isinstance(limit, int) or not 1 <= limit <= 50:
            raise self.validation(limit, 'limit', 'Member must have value less than or equal to '
                                  '50' if isinstance(limit, int) and limit > 50 else
                                  'Member must have value greater than or equal to 1')
        prefix = p.get('logStreamNamePrefix') or ''
        if prefix and p.get('orderBy') == 'LastEventTime':
            raise AwsError.logs('InvalidParameterException', 'Cannot order by LastEventTime with '
                                'a logStreamNamePrefix.')
        with self.sim.lock:
            g = self.group(name)
            streams = []
            for s in g['streams']:
                if not s.startswith(prefix):
                    continue
                meta = self.sim.stream_meta.setdefault((name, s), {
                    'creationTime': int(self.sim.now() * 1000)})
                d = {'logStreamName': s, 'creationTime': meta['creationTime'],
                     'arn': self.logs_arn(name, s), 'storedBytes': 0}
                for k in ('firstEventTimestamp', 'lastEventTimestamp', 'lastIngestionTime',
                          'uploadSequenceToken'):
                    if k in meta:
                        d[k] = meta[k]
                streams.append(d)
        key = 'lastEventTimestamp' if p.get('orderBy') == 'LastEventTime' else 'logStreamName'
        streams.sort(key=lambda d: d.get(key, 0), reverse=bool(p.get('descending')))
        return self.json_ok({'logStreams': streams[:limit]})

    def op_put_log_events(self):
        name = self.group_name()
        stream = self.stream_name()
        self.authorize(resource=self.logs_arn(name, stream))
        events = self.req.params.get('logEvents')
        if events is None:
            raise self.validation(None, 'logEvents', 'Member must not be null')
        if not isinstance(events, list) or not 1 <= len(events) <= 10000:
            raise self.validation('[]' if events == [] else events, 'logEvents',
                                  'Member must have length greater than or equal to 1'
                                  if events == [] else
                                  'Member must have length less than or equal to 10000')
        size = 0
        for i, e in enumerate(events, 1):
            if not isinstance(e, dict) or not isinstance(e.get('timestamp'), int) or \
                    isinstance(e.get('timestamp'), bool):
                raise self.validation(None, 'logEvents.%d.member.timestamp' % i,
                                      'Member must not be null')
            if not isinstance(e.get('message'), str) or not e['message']:
                raise self.validation(None, 'logEvents.%d.member.message' % i,
                                      'Member must have length greater than or equal to 1')
            size += len(e['message'].encode()) + 26
        if size > 1048576:
            raise AwsError.logs('InvalidParameterException', 'Upload too large: %d bytes exceeds '
                                'limit of 1048576' % size)
        ts = [e['timestamp'] for e in events]
        if any(b < a for a, b in zip(ts, ts[1:])):
            raise AwsError.logs('InvalidParameterException', 'Log events in a single '
                                'PutLogEvents request must be in chronological order.')
        now_ms = int(self.sim.now() * 1000)
        too_new = [i for i, t in enumerate(ts) if t > now_ms + 2 * 3600 * 1000]
        too_old = [i for i, t in enumerate(ts) if t < now_ms - 14 * DAY_MS]
        valid = [t for t in ts if now_ms - 14 * DAY_MS <= t <= now_ms + 2 * 3600 * 1000]
        if valid and valid[-1] - valid[0] > DAY_MS:
            raise AwsError.logs('InvalidParameterException', 'The batch of log events in a single '
                                'PutLogEvents request cannot span more than 24 hours.')
        with self.sim.lock:
            g = self.group(name)
            if stream not in g['streams']:
                raise AwsError.logs('ResourceNotFoundException',
                                    'The specified log stream does not exist.')
            if g['kms_denied']:
                raise AwsError.logs('AccessDeniedException', 'The specified KMS key does not '
                                    "exist or is not allowed to be used with Arn '%s'"
                                    % self.logs_arn(name))
            meta = self.sim.stream_meta.setdefault((name, stream), {'creationTime': now_ms})
            seq = '%056d' % (int(meta.get('uploadSequenceToken', '4' + '0' * 55)) + 1)
            meta['uploadSequenceToken'] = seq
            if valid:
                meta.setdefault('firstEventTimestamp', valid[0])
                meta['lastEventTimestamp'] = max(meta.get('lastEventTimestamp', 0), valid[-1])
                meta['lastIngestionTime'] = now_ms
        out = {'nextSequenceToken': seq}
        rej = {}
        if too_new:
            rej['tooNewLogEventStartIndex'] = too_new[0]
        if too_old:
            rej['tooOldLogEventEndIndex'] = too_old[-1]
        if rej:
            out['rejectedLogEventsInfo'] = rej
        return self.json_ok(out)
