# SPDX-License-Identifier: MIT
"""Scenario (defaults, validation, deep merge), the shifted clock, records, counters and the
IMDS-issued key pairs. One SimState per simulator, shared by every listener thread under one lock.
"""

import base64
import copy
import datetime
import re
import secrets
import string
import threading
import time

IMDS_MODES = ('ok', 'no-role', 'token-refused', 'token-blackhole', 'creds-error', 'malformed',
              'disabled')
POLICY_TYPES = ('identity-based', 'service-control', 'resource-control', 'permissions-boundary',
                'session', 'resource-based', 'vpc-endpoint')
STS_REGION_STATES = ('active', 'inactive')
FAULT_TYPES = ('status', 'delay', 'hang', 'close', 'garbage', 'truncate', 'oversize',
               'expired-token', 'invalid-token', 'drip', 'html')

DEFAULT_SCENARIO = {
    'account_id': '123456789012',
    'region': 'us-east-1',
    'instance_id': 'i-0123456789abcdef0',
    'availability_zone': 'us-east-1a',
    'clock_offset': 0,
    'keys': {},
    'imds': {'mode': 'ok', 'role': 'cwguard-test-role', 'creds_ttl': 21600,
             'creds_code': 'Success', 'creds_message': None, 'allow_v1': False,
             'tags': None, 'secret_prefix': None, 'token_prefix': None},
    'log_groups': {'/aws/ec2/app': {'kms_denied': False, 'streams': []}},
    'deny': [],
    'faults': [],
    'roles': {},
    'sts_regions': {},
}

KEY_DEFAULTS = {'secret': None, 'token': None, 'expired': False, 'arn': None}
LOG_GROUP_DEFAULTS = {'kms_denied': False, 'streams': []}
ROLE_DEFAULTS = {'trust': ['*'], 'session_ttl': None, 'secret_prefix': None,
                 'token_prefix': None}
DENY_DEFAULTS = {'action': None, 'namespace': None, 'resource': None, 'principal': None,
                 'policy_type': 'identity-based', 'deny': 'implicit', 'policy_arn': None,
                 'count': None}
FAULT_DEFAULTS = {'action': None, 'type': None, 'status': None, 'count': None, 'delay': 0,
                  'size': None, 'code': None, 'message': None, 'interval': 0.2}


class ScenarioError(ValueError):
    pass


def _isnum(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check(cond, msg):
    if not cond:
        raise ScenarioError(msg)


def _entry(obj, defaults, label):
    """A list entry of the scenario: an object with only known fields, defaults filled in."""
    _check(isinstance(obj, dict), '%s must be an object' % label)
    bad = set(obj) - set(defaults)
    _check(not bad, '%s: unknown fields %s' % (label, ', '.join(sorted(bad))))
    return {**copy.deepcopy(defaults), **obj}


def _opt_str(v):
    return v is None or isinstance(v, str)


def _opt_count(v):
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


def merge(base, patch, path=''):
    """Deep-merge patch into a copy of base: dicts merge, everything else (lists too) replaces.
    Inside the `keys` and `log_groups` maps a null value removes the entry."""
    out = dict(base)
    for k, v in patch.items():
        if v is None and path in ('keys', 'log_groups', 'roles', 'sts_regions'):
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v, (path + '.' + k) if path else k)
        else:
            out[k] = copy.deepcopy(v)
    return out


def normalise(sc):
    """Validate a merged scenario and fill the per-entry defaults; raises ScenarioError."""
    _check(isinstance(sc, dict), 'scenario must be an object')
    unknown = set(sc) - set(DEFAULT_SCENARIO)
    _check(not unknown, 'unknown scenario keys: %s' % ', '.join(sorted(unknown)))
    for k in ('account_id', 'region', 'instance_id', 'availability_zone'):
        _check(isinstance(sc[k], str) and sc[k], '%s must be a non-empty string' % k)
    _check(_isnum(sc['clock_offset']), 'clock_offset must be a number')

    _check(isinstance(sc['keys'], dict), 'keys must be an object')
    keys = {}
    for akid, kv in sc['keys'].items():
        _check(isinstance(kv, dict), 'keys.%s must be an object' % akid)
        bad = set(kv) - set(KEY_DEFAULTS)
        _check(not bad, 'keys.%s: unknown fields %s' % (akid, ', '.join(sorted(bad))))
        kv = {**KEY_DEFAULTS, **kv}
        _check(isinstance(kv['secret'], str) and kv['secret'], 'keys.%s.secret required' % akid)
        _check(_opt_str(kv['token']) and _opt_str(kv['arn']), 'keys.%s: bad token/arn' % akid)
        _check(isinstance(kv['expired'], bool), 'keys.%s.expired must be a boolean' % akid)
        keys[akid] = kv
    sc['keys'] = keys

    im = sc['imds']
    _check(isinstance(im, dict), 'imds must be an object')
    bad = set(im) - set(DEFAULT_SCENARIO['imds'])
    _check(not bad, 'imds: unknown fields %s' % ', '.join(sorted(bad)))
    im = {**DEFAULT_SCENARIO['imds'], **im}
    _check(im['mode'] in IMDS_MODES, 'imds.mode must be one of %s' % ', '.join(IMDS_MODES))
    _check(isinstance(im['role'], str) and re.fullmatch(r'[\w+=,.@-]{1,64}', im['role']),
           'imds.role must be a role name')
    _check(_isnum(im['creds_ttl']), 'imds.creds_ttl must be a number')
    _check(isinstance(im['creds_code'], str), 'imds.creds_code must be a string')
    _check(_opt_str(im['creds_message']), 'imds.creds_message must be a string')
    _check(isinstance(im['allow_v1'], bool), 'imds.allow_v1 must be a boolean')
    _check(im['tags'] is None or (isinstance(im['tags'], dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in im['tags'].items())),
        'imds.tags must be null or an object of strings')
    for k in ('secret_prefix', 'token_prefix'):
        # Printable, no quote or backslash: the credentials document stays valid JSON as is.
        _check(im[k] is None or (isinstance(im[k], str) and len(im[k]) <= 64 and
                                 re.fullmatch(r'[A-Za-z0-9+/=_.-]*', im[k])),
               'imds.%s must be null or up to 64 of [A-Za-z0-9+/=_.-]' % k)
    sc['imds'] = im

    _check(isinstance(sc['log_groups'], dict), 'log_groups must be an object')
    groups = {}
    for name, g in sc['log_groups'].items():
        _check(isinstance(g, dict), 'log_groups.%s must be an object' % name)
        bad = set(g) - set(LOG_GROUP_DEFAULTS)
        _check(not bad, 'log_groups.%s: unknown fields %s' % (name, ', '.join(sorted(bad))))
        g = {**copy.deepcopy(LOG_GROUP_DEFAULTS), **g}
        _check(isinstance(g['kms_denied'], bool), 'log_groups.%s.kms_denied: boolean' % name)
        _check(isinstance(g['streams'], list) and all(isinstance(s, str) for s in g['streams']),
               'log_groups.%s.streams must be a list of strings' % name)
        groups[name] = g
    sc['log_groups'] = groups

    _check(isinstance(sc['roles'], dict), 'roles must be an object')
    roles = {}
    for name, ro in sc['roles'].items():
        _check(re.fullmatch(r'[\w+=,.@-]{1,64}', name), 'roles: %r is not a role name' % name)
        ro = _entry(ro, ROLE_DEFAULTS, 'roles.%s' % name)
        _check(isinstance(ro['trust'], list) and all(isinstance(t, str) for t in ro['trust']),
               'roles.%s.trust must be a list of principal ARN patterns' % name)
        _check(ro['session_ttl'] is None or _isnum(ro['session_ttl']),
               'roles.%s.session_ttl must be null or a number' % name)
        for k in ('secret_prefix', 'token_prefix'):
            _check(ro[k] is None or (isinstance(ro[k], str) and len(ro[k]) <= 64 and
                                     re.fullmatch(r'[A-Za-z0-9+/=_.-]*', ro[k])),
                   'roles.%s.%s must be null or up to 64 of [A-Za-z0-9+/=_.-]' % (name, k))
        roles[name] = ro
    sc['roles'] = roles
    _check(isinstance(sc['sts_regions'], dict) and all(
        isinstance(k, str) and re.fullmatch(r'[a-z0-9-]{1,32}', k) and v in STS_REGION_STATES
        for k, v in sc['sts_regions'].items()),
        'sts_regions must map region names to one of %s' % ', '.join(STS_REGION_STATES))
    _check(isinstance(sc['deny'], list), 'deny must be a list')
    rules = []
    for i, r in enumerate(sc['deny']):
        r = _entry(r, DENY_DEFAULTS, 'deny[%d]' % i)
        _check(isinstance(r['action'], str) and r['action'], 'deny[%d].action required' % i)
        _check(_opt_str(r['namespace']) and _opt_str(r['resource']) and
               _opt_str(r['policy_arn']) and _opt_str(r['principal']),
               'deny[%d]: namespace/resource/policy_arn/principal: strings' % i)
        _check(r['policy_type'] in POLICY_TYPES,
               'deny[%d].policy_type must be one of %s' % (i, ', '.join(POLICY_TYPES)))
        _check(r['deny'] in ('explicit', 'implicit'), 'deny[%d].deny: explicit|implicit' % i)
        # "RCPs only support Deny statements": there is no implicit RCP denial.
        _check(not (r['policy_type'] == 'resource-control' and r['deny'] == 'implicit'),
               'deny[%d]: a resource control policy can only deny explicitly' % i)
        _check(_opt_count(r['count']), 'deny[%d].count must be null or >= 0' % i)
        rules.append(r)
    sc['deny'] = rules

    _check(isinstance(sc['faults'], list), 'faults must be a list')
    faults = []
    for i, f in enumerate(sc['faults']):
        f = _entry(f, FAULT_DEFAULTS, 'faults[%d]' % i)
        _check(isinstance(f['action'], str) and f['action'], 'faults[%d].action required' % i)
        _check(f['type'] in FAULT_TYPES,
               'faults[%d].type must be one of %s' % (i, ', '.join(FAULT_TYPES)))
        if f['type'] == 'status':
            _check(f['status'] == 'throttle' or
                   (isinstance(f['status'], int) and 400 <= f['status'] <= 599),
                   'faults[%d].status must be 400..599 or "throttle"' % i)
        _check(_opt_count(f['count']), 'faults[%d].count must be null or >= 0' % i)
        _check(_isnum(f['delay']) and f['delay'] >= 0, 'faults[%d].delay must be >= 0' % i)
        _check(f['size'] is None or (isinstance(f['size'], int) and f['size'] >= 0),
               'faults[%d].size must be >= 0' % i)
        _check(_opt_str(f['code']) and _opt_str(f['message']), 'faults[%d]: code/message' % i)
        _check(_isnum(f['interval']) and 0 < f['interval'] <= 60,
               'faults[%d].interval must be > 0 and <= 60' % i)
        faults.append(f)
    sc['faults'] = faults
    return sc


def glob_match(pattern, value):
    """IAM-style wildcard match (only * and ?), case-sensitive."""
    rx = ''.join('.*' if c == '*' else '.' if c == '?' else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.S) is not None


def action_match(pattern, action):
    """`*` matches every AWS action (not IMDS); `imds:*`, `logs:*`, `logs:Put*` ... as globs."""
    if pattern == '*':
        return not action.startswith('imds:')
    return glob_match(pattern, action)


def iso_z(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def amz_date(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        '%Y%m%dT%H%M%SZ')


def _rand(alphabet, n):
    return ''.join(secrets.choice(alphabet) for _ in range(n))


class ImdsKey:
    """One IMDS-issued key pair (role credentials)."""

    def __init__(self, role, ttl, now, secret_prefix=None, token_prefix=None):
        self.access_key_id = 'ASIA' + _rand(string.ascii_uppercase + '234567', 16)
        # A scenario's secret_prefix/token_prefix make every issued pair recognisable (tests
        # that scan for leaked secrets); the random rest keeps each pair distinct.
        sp = secret_prefix or ''
        self.secret = sp + _rand(string.ascii_letters + string.digits + '+/', max(16, 40 - len(sp)))
        # Real tokens are ~1 KB of base64 that starts with "IQoJb3JpZ2luX2Vj".
        self.token = ((token_prefix if token_prefix is not None else 'IQoJb3JpZ2luX2Vj') +
                      base64.b64encode(secrets.token_bytes(750)).decode())
        self.role = role
        self.ttl = ttl
        self.issued = now
        self.expiration = now + ttl
        self.role_id = 'AROA' + _rand(string.ascii_uppercase + '234567', 17)


class AssumedKey(ImdsKey):
    """One STS AssumeRole session: a key pair of role ROLE, session SESSION."""

    def __init__(self, account, role, session, ttl, now, secret_prefix=None, token_prefix=None):
        super().__init__(role, ttl, now, secret_prefix,
                         token_prefix if token_prefix is not None else 'FwoGZXIvYXdzE')
        self.account = account
        self.session = session


class SimState:
    def __init__(self):
        self.lock = threading.RLock()
        self.scenario = normalise(copy.deepcopy(DEFAULT_SCENARIO))
        self.records = []
        self.counts = {}
        self.tls_handshakes = 0
        self.connections = 0
        self.imds_connections = 0
        self.proxy_tunnels = 0
        self.proxy_refused = 0
        self.blackhole_connections = 0
        self.restarts = 0
        self.stream_meta = {}        # (group, stream) -> dict
        self.imds_keys = {}          # access key id -> ImdsKey (every pair ever issued)
        self.imds_current = None     # the pair IMDS hands out now
        self.imds_tokens = {}        # token -> monotonic expiry
        self.role_ids = {}           # role name -> stable AROA id
        self.assumed_keys = {}       # access key id -> AssumedKey (every session ever issued)
        self.seq = 0

    # -- clock ----------------------------------------------------------------------------------
    def now(self):
        """The simulator's (AWS's) clock: real time shifted by the scenario's clock_offset."""
        return time.time() + self.scenario['clock_offset']

    # -- scenario -------------------------------------------------------------------------------
    def get_scenario(self):
        with self.lock:
            return copy.deepcopy(self.scenario)

    def post_scenario(self, patch):
        if not isinstance(patch, dict):
            raise ScenarioError('scenario must be an object')
        with self.lock:
            self.scenario = normalise(merge(self.scenario, patch))

    def reset(self):
        """Default scenario, no records, zero counters. Issued IMDS keys and tokens stay valid
        until they expire (a client may still hold them)."""
        with self.lock:
            self.scenario = normalise(copy.deepcopy(DEFAULT_SCENARIO))
            self.stream_meta = {}
            self.imds_current = None
            self.clear_records()

    def clear_records(self):
        with self.lock:
            self.records = []
            self.counts = {}
            self.tls_handshakes = 0
            self.connections = 0
            self.imds_connections = 0
            self.proxy_tunnels = 0
            self.proxy_refused = 0
            self.blackhole_connections = 0
            self.restarts = 0

    # -- records --------------------------------------------------------------------------------
    def count(self, action):
        with self.lock:
            self.counts[action] = self.counts.get(action, 0) + 1

    def add_record(self, rec):
        with self.lock:
            self.records.append(rec)

    def stats(self):
        with self.lock:
            return {'requests': dict(self.counts), 'tls_handshakes': self.tls_handshakes,
                    'connections': self.connections, 'imds_connections': self.imds_connections,
                    'proxy_tunnels': self.proxy_tunnels, 'proxy_refused': self.proxy_refused,
                    'blackhole_connections': self.blackhole_connections,
                    'restarts': self.restarts}

    def bump(self, field):
        with self.lock:
            setattr(self, field, getattr(self, field) + 1)

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    # -- rules ----------------------------------------------------------------------------------
    def take_fault(self, action):
        """The first active fault matching action (its count consumed), or None."""
        with self.lock:
            for f in self.scenario['faults']:
                if f['count'] == 0 or not action_match(f['action'], action):
                    continue
                if f['count'] is not None:
                    f['count'] -= 1
                return dict(f)
            return None

    def take_deny(self, action, namespace=None, resource=None, principal=None):
        with self.lock:
            for r in self.scenario['deny']:
                if r['count'] == 0 or not action_match(r['action'], action):
                    continue
                if r['principal'] is not None and (principal is None or
                                                   not glob_match(r['principal'], principal)):
                    continue
                if r['namespace'] is not None and r['namespace'] != namespace:
                    continue
                if r['resource'] is not None and (resource is None or
                                                  not glob_match(r['resource'], resource)):
                    continue
                if r['count'] is not None:
                    r['count'] -= 1
                return dict(r)
            return None

    # -- IMDS credentials -------------------------------------------------------------------------
    def role_id(self, role):
        with self.lock:
            if role not in self.role_ids:
                self.role_ids[role] = 'AROA' + _rand(string.ascii_uppercase + '234567', 17)
            return self.role_ids[role]

    def imds_credentials(self):
        """The key pair IMDS serves now. A new pair is issued when none exists, when the role or
        creds_ttl changed, or when a pair with a positive TTL has expired (IMDS "makes new
        credentials available at least five minutes before the expiration of the old")."""
        with self.lock:
            im = self.scenario['imds']
            now = self.now()
            cur = self.imds_current
            ttl = im['creds_ttl']
            renew = (cur is None or cur.role != im['role'] or cur.ttl != ttl or
                     (ttl > 0 and now >= cur.expiration - min(300, ttl / 2)))
            if renew:
                cur = ImdsKey(im['role'], im['creds_ttl'], now, im['secret_prefix'],
                              im['token_prefix'])
                cur.role_id = self.role_id(im['role'])
                self.imds_keys[cur.access_key_id] = cur
                self.imds_current = cur
            return cur

    def imds_rotate(self):
        with self.lock:
            im = self.scenario['imds']
            cur = ImdsKey(im['role'], im['creds_ttl'], self.now(), im['secret_prefix'],
                          im['token_prefix'])
            cur.role_id = self.role_id(im['role'])
            self.imds_keys[cur.access_key_id] = cur
            self.imds_current = cur
            return cur

    def lookup_key(self, akid):
        """(secret, token, expired, arn, user_id) for an access key, or None."""
        with self.lock:
            sc = self.scenario
            k = sc['keys'].get(akid)
            if k is not None:
                arn = k['arn'] or 'arn:aws:iam::%s:user/cwguard-test' % sc['account_id']
                return (k['secret'], k['token'], k['expired'], arn,
                        'AIDA' + akid[4:].ljust(17, 'X')[:17] if akid.startswith('AKIA') else akid)
            ak = self.assumed_keys.get(akid)
            if ak is not None:
                arn = 'arn:aws:sts::%s:assumed-role/%s/%s' % (ak.account, ak.role, ak.session)
                return (ak.secret, ak.token, self.now() >= ak.expiration, arn,
                        '%s:%s' % (ak.role_id, ak.session))
            ik = self.imds_keys.get(akid)
            if ik is not None:
                arn = 'arn:aws:sts::%s:assumed-role/%s/%s' % (sc['account_id'], ik.role,
                                                             sc['instance_id'])
                return (ik.secret, ik.token, self.now() >= ik.expiration, arn,
                        '%s:%s' % (ik.role_id, sc['instance_id']))
            return None

    # -- STS AssumeRole ---------------------------------------------------------------------------
    def assume_role(self, role, session, duration):
        """Issue a session of scenario role `role` (which must exist) for `duration` seconds,
        or the role's `session_ttl` when set. Returns the AssumedKey."""
        with self.lock:
            sc = self.scenario
            ro = sc['roles'][role]
            ttl = ro['session_ttl'] if ro['session_ttl'] is not None else duration
            k = AssumedKey(sc['account_id'], role, session, ttl, self.now(), ro['secret_prefix'],
                           ro['token_prefix'])
            k.role_id = self.role_id(role)
            self.assumed_keys[k.access_key_id] = k
            return k

    # -- IMDS tokens ----------------------------------------------------------------------------
    def imds_new_token(self, ttl):
        tok = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
        with self.lock:
            self.imds_tokens[tok] = time.monotonic() + ttl
        return tok

    def imds_token_ok(self, tok):
        with self.lock:
            exp = self.imds_tokens.get(tok)
            if exp is None:
                return False
            if time.monotonic() >= exp:
                del self.imds_tokens[tok]
                return False
            return True

    def imds_expire_tokens(self):
        with self.lock:
            self.imds_tokens.clear()
