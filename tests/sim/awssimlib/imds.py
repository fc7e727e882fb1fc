# SPDX-License-Identifier: MIT
"""The `imds` listener: IMDSv2 as in aws-wire-formats.md §1 (token PUT with TTL 1..21600 echoed
back, 401 for GETs without a valid token, XHTML error pages, the credentials document in the real
instance formatting) and the scenario's failure modes and faults.
"""

import re
import time
import urllib.parse

from .net import BaseHandler
from .state import iso_z

TOKEN_PATH = '/latest/api/token'
REASONS = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
           405: 'Method Not Allowed', 429: 'Too Many Requests', 500: 'Internal Server Error',
           502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout'}


def xhtml(status):
    reason = REASONS.get(status, 'Error')
    enc = 'iso-8859-1' if status == 404 else 'UTF-8'
    return ('<?xml version="1.0" encoding="%s"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
            '   <head>\n'
            '      <title>%d - %s</title>\n'
            '   </head>\n'
            '   <body>\n'
            '      <h1>%d - %s</h1>\n'
            '   </body>\n'
            '</html>\n' % (enc, status, reason, status, reason)).encode()


def aws_json(pairs):
    """The IMDS document layout: two-space indent, `"Key" : "Value"`, no trailing newline."""
    def val(v):
        if v is None:
            return 'null'
        if isinstance(v, bool):
            return 'true' if v else 'false'
        if isinstance(v, (int, float)):
            return str(v)
        return '"%s"' % str(v).replace('\\', '\\\\').replace('"', '\\"')
    return ('{\n' + ',\n'.join('  "%s" : %s' % (k, val(v)) for k, v in pairs) + '\n}').encode()


def classify(method, path):
    p = path.split('?', 1)[0]
    if method == 'PUT' and p.endswith('/api/token'):
        return 'imds:token'
    if p.rstrip('/') == '/latest/meta-data/iam/security-credentials':
        return 'imds:role'
    if p.startswith('/latest/meta-data/iam/security-credentials/'):
        return 'imds:credentials'
    if p == '/latest/meta-data/iam/info':
        return 'imds:info'
    if p == '/latest/dynamic/instance-identity/document':
        return 'imds:identity'
    if p.startswith('/latest/meta-data/tags/'):
        return 'imds:tags'
    return 'imds:other'


class ImdsHandler(BaseHandler):
    server_version = 'EC2ws'

    def do_GET(self):
        self.handle_imds()

    do_PUT = do_HEAD = do_POST = do_DELETE = do_PATCH = do_GET

    def reply(self, status, body=None, ctype='text/plain', headers=()):
        if body is None:
            body = xhtml(status)
            ctype = 'text/html'
        self.rec['status'] = status
        self.sim.add_record(self.rec)
        self.send_full(status, [('Content-Type', ctype)] + list(headers), body,
                       reason=REASONS.get(status))

    def handle_imds(self):
        sim = self.sim
        self.read_body()
        path = self.path.split('?', 1)[0]
        action = classify(self.command, self.path)
        sim.count(action)
        self.rec = {'time': time.time(), 'listener': 'imds', 'method': self.command,
                    'path': self.path, 'service': 'imds', 'action': action, 'protocol': None,
                    'access_key_id': None, 'signature_ok': None, 'status': None,
                    'error_code': None, 'params': {}, 'request_id': None,
                    'connection': self.conn_seq, 'fault': None}
        im = sim.get_scenario()['imds']
        if im['mode'] == 'disabled':
            return self.reply(403)
        f = sim.take_fault(action)
        if f is not None:
            self.rec['fault'] = f['type']
            if f['delay']:
                time.sleep(f['delay'])
            if self.apply_fault(f, action):
                return
        if self.command == 'PUT':
            return self.put_token(path, im)
        if self.command not in ('GET', 'HEAD'):
            return self.reply(405)
        tok = self.headers.get('X-aws-ec2-metadata-token')
        if tok is not None:
            if not sim.imds_token_ok(tok.strip()):
                return self.reply(401)
        elif not im['allow_v1']:
            return self.reply(401)
        return self.get(path, im)

    def apply_fault(self, f, action):
        t = f['type']
        if t == 'delay':
            return False
        if t == 'drip':
            self.drip = f['interval']
            return False
        if t == 'status':
            st = 429 if f['status'] == 'throttle' else f['status']
            self.reply(st)
        elif t in ('expired-token', 'invalid-token'):
            self.reply(401)
        else:
            self.sim.add_record(self.rec)
            if t == 'hang':
                self.fault_hang()
            elif t == 'close':
                self.fault_close()
            elif t == 'garbage':
                self.rec['status'] = 200
                self.send_full(200, [('Content-Type', 'text/plain')],
                               b'\x00\xff<<garbage {{ not a token, not JSON\n')
            elif t == 'truncate':
                self.rec['status'] = 200
                self.fault_truncate(200, [('Content-Type', 'text/plain')],
                                    b'{\n  "Code" : "Success",\n  "LastUpdated" : "')
            elif t == 'oversize':
                self.rec['status'] = 200
                self.fault_oversize([('Content-Type', 'text/plain')],
                                    f['size'] if f['size'] is not None else 10 * 1024 * 1024)
        return True

    def put_token(self, path, im):
        ttl_raw = self.headers.get('X-aws-ec2-metadata-token-ttl-seconds')
        self.rec['params'] = {'ttl': ttl_raw}
        if path != TOKEN_PATH:
            # "PUT requests to any version-specific path ... 403 Forbidden"
            return self.reply(403 if path.endswith('/api/token') else 405)
        if self.headers.get('X-Forwarded-For') is not None:
            return self.reply(403)
        if im['mode'] == 'token-blackhole':
            # Hop limit 1 behind a bridge: the answer never arrives.
            self.sim.add_record(self.rec)
            return self.fault_hang()
        if im['mode'] == 'token-refused':
            return self.reply(403)
        try:
            ttl = int((ttl_raw or '').strip())
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= 21600:
            return self.reply(400)
        self.rec['params'] = {'ttl': ttl}
        tok = self.sim.imds_new_token(ttl)
        return self.reply(200, tok.encode(),
                          headers=[('X-aws-ec2-metadata-token-ttl-seconds', str(ttl))])

    def get(self, path, im):
        sim = self.sim
        sc = sim.get_scenario()
        has_role = im['mode'] != 'no-role'
        role = im['role']
        region = sc['region']
        text = {
            '/latest/meta-data/instance-id': sc['instance_id'],
            '/latest/meta-data/ami-id': 'ami-0abcdef1234567890',
            '/latest/meta-data/instance-type': 't3.micro',
            '/latest/meta-data/local-ipv4': '10.0.0.10',
            '/latest/meta-data/local-hostname': 'ip-10-0-0-10.ec2.internal',
            '/latest/meta-data/hostname': 'ip-10-0-0-10.ec2.internal',
            '/latest/meta-data/placement/region': region,
            '/latest/meta-data/placement/availability-zone': sc['availability_zone'],
            '/latest/meta-data/placement/': 'availability-zone\nregion',
            '/latest/meta-data/': '\n'.join(['ami-id', 'hostname'] + (['iam/'] if has_role else [])
                                            + ['instance-id', 'instance-type', 'local-hostname',
                                               'local-ipv4', 'placement/']),
            '/latest/': 'dynamic\nmeta-data',
            '/latest/dynamic/': 'instance-identity/',
            '/latest/dynamic/instance-identity/': 'document',
        }
        if path in text:
            return self.reply(200, text[path].encode())
        if path.startswith('/latest/meta-data/tags/'):
            # Only when "Allow tags in instance metadata" is on (tags not null); else 404.
            tags = im['tags']
            if tags is None:
                return self.reply(404)
            if path.rstrip('/') in ('/latest/meta-data/tags', '/latest/meta-data/tags/instance'):
                listing = 'instance' if path.rstrip('/').endswith('tags') else '\n'.join(tags)
                return self.reply(200, listing.encode())
            key = urllib.parse.unquote(path[len('/latest/meta-data/tags/instance/'):])
            if path.startswith('/latest/meta-data/tags/instance/') and key in tags:
                return self.reply(200, tags[key].encode())
            return self.reply(404)
        if path == '/latest/dynamic/instance-identity/document':
            doc = [('accountId', sc['account_id']), ('architecture', 'x86_64'),
                   ('availabilityZone', sc['availability_zone']), ('billingProducts', None),
                   ('devpayProductCodes', None), ('marketplaceProductCodes', None),
                   ('imageId', 'ami-0abcdef1234567890'), ('instanceId', sc['instance_id']),
                   ('instanceType', 't3.micro'), ('kernelId', None),
                   ('pendingTime', iso_z(sim.now() - 86400)), ('privateIp', '10.0.0.10'),
                   ('ramdiskId', None), ('region', region), ('version', '2017-09-30')]
            return self.reply(200, aws_json(doc))
        if not path.startswith('/latest/meta-data/iam'):
            return self.reply(404)
        if not has_role:
            return self.reply(404)
        if path.rstrip('/') == '/latest/meta-data/iam':
            return self.reply(200, b'info\nsecurity-credentials/')
        if path == '/latest/meta-data/iam/info':
            doc = [('Code', 'Success'), ('LastUpdated', iso_z(sim.now() - 60)),
                   ('InstanceProfileArn', 'arn:aws:iam::%s:instance-profile/%s'
                    % (sc['account_id'], role)),
                   ('InstanceProfileId', 'AIPA' + sim.role_id(role)[4:])]
            return self.reply(200, aws_json(doc))
        if path.rstrip('/') == '/latest/meta-data/iam/security-credentials':
            return self.reply(200, role.encode())
        m = re.fullmatch(r'/latest/meta-data/iam/security-credentials/([^/]+)', path)
        if not m or m.group(1) != role:
            return self.reply(404)
        if im['mode'] == 'creds-error':
            code = im['creds_code'] if im['creds_code'] != 'Success' else \
                'AssumeRoleUnauthorizedAccess'
            msg = im['creds_message'] or (
                'EC2 cannot assume the role %s.  Please see documentation at '
                'http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html.'
                % role)
            return self.reply(200, aws_json([('Code', code), ('Message', msg),
                                             ('LastUpdated', iso_z(sim.now()))]))
        k = sim.imds_credentials()
        self.rec['access_key_id'] = k.access_key_id
        if im['mode'] == 'malformed':
            return self.reply(200, b'{\n  "Code" : "Success",\n  "LastUpdated" : "%s",\n  '
                              b'"Type" : "AWS-HMAC",\n  "AccessKeyId" : "%s",\n  '
                              b'"SecretAccessKey" : ' % (iso_z(k.issued).encode(),
                                                         k.access_key_id.encode()))
        doc = [('Code', im['creds_code']), ('LastUpdated', iso_z(k.issued)),
               ('Type', 'AWS-HMAC'), ('AccessKeyId', k.access_key_id),
               ('SecretAccessKey', k.secret), ('Token', k.token),
               ('Expiration', iso_z(k.expiration))]
        return self.reply(200, aws_json(doc))
