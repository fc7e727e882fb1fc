#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-journal.py ENTRIES.json EXPLAINED.txt

Assert on what systemd-journald stored for test-journal.c's scenario: ENTRIES.json is
`journalctl -o json`, EXPLAINED.txt `journalctl -x` of the same entries with our catalog.
Every entry of the scenario is found by its probe and transition, its event, or its message;
for each, the exact set of CWGUARD_* fields, their values, PRIORITY, MESSAGE_ID, ERRNO and the
code location are checked. A hostile message must not have created fields, and every @FIELD@
the catalog shows for an entry must be one the entry has (journalctl prints the bare name of a
missing one).
"""

import json
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parents[2]
failures = []


def fail(what):
    failures.append(what)
    print('FAIL:', what, file=sys.stderr)


def load_ids():
    text = (SRC / 'common' / 'catalog-ids.h').read_text()
    return dict(re.findall(r'^#define CWGUARD_MESSAGE_(\w+)\s+"([0-9a-f]{32})"', text, re.M))


def load_catalog():
    """{id: text of the entry}, as journald's catalog parser reads it (# lines are comments)."""
    entries, current = {}, None
    for line in (SRC / 'systemd' / 'cwguard.catalog').read_text().splitlines():
        if line.startswith('#'):
            continue
        m = re.match(r'^-- ([0-9a-f]{32})$', line)
        if m:
            current = m.group(1)
            entries[current] = []
        elif current:
            entries[current].append(line)
    return {k: '\n'.join(v) for k, v in entries.items()}


IDS = load_ids()
CATALOG = load_catalog()


def sanitised(s):
    return re.sub(r'[\x00-\x1f\x7f]', ' ', s)


HOSTILE = sanitised('\nCWGUARD_CLASS=ok\nMESSAGE_ID=' + IDS['PROBE_RECOVERED'] + '\r\x1b[2J')
PRINCIPAL = 'arn:aws:sts::123456789012:assumed-role/CWAgent/i-0abc'

THROTTLED = {
    'KIND': 'metrics', 'CLASS': 'throttled', 'OK': '0', 'TARGET': 'CWAgent',
    'ENDPOINT': 'https://monitoring.eu-west-1.amazonaws.com', 'OPERATION': 'PutMetricData',
    'LATENCY_MS': '1500', 'ATTEMPTS': '3', 'HTTP_STATUS': '400',
    'AWS_ERROR_CODE': 'Throttling', 'REQUEST_ID': 'req-throttled-3',
    'REMEDY': 'Request a higher PutMetricData quota',
}
THROTTLED_MESSAGE = ("metrics:CWAgent: PutMetricData into 'CWAgent' is throttled — remedy: "
                     'Request a higher PutMetricData quota')

# (probe, transition) -> (PRIORITY, MESSAGE_ID name or None, {CWGUARD_ field: value}, MESSAGE)
PROBES = {
    ('identity', 'first-ok'): (6, None, {
        'KIND': 'identity', 'CLASS': 'ok', 'OK': '1',
        'ENDPOINT': 'https://sts.eu-west-1.amazonaws.com', 'OPERATION': 'GetCallerIdentity',
        'LATENCY_MS': '12.345', 'ATTEMPTS': '1', 'HTTP_STATUS': '200', 'REQUEST_ID': 'req-ok-1',
    }, 'identity: GetCallerIdentity answered as ' + PRINCIPAL),
    ('logs:/aws/ec2/app', 'failed'): (3, 'PROBE_ACCESS_DENIED', {
        'KIND': 'logs', 'CLASS': 'access-denied', 'OK': '0', 'TARGET': '/aws/ec2/app',
        'ENDPOINT': 'https://logs.eu-west-1.amazonaws.com', 'OPERATION': 'PutLogEvents',
        'LATENCY_MS': '80', 'ATTEMPTS': '1', 'HTTP_STATUS': '400',
        'AWS_ERROR_CODE': 'AccessDeniedException',
        'AWS_MESSAGE': 'User: ' + PRINCIPAL + ' is not authorized' + HOSTILE,
        'REQUEST_ID': '0f9d3c2e-1b2a-4c5d-8e9f-0a1b2c3d4e5f',
        'PRINCIPAL': PRINCIPAL, 'ACTION': 'logs:PutLogEvents',
        'RESOURCE': 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ec2/app:'
                    'log-stream:i-0abc',
        'POLICY_TYPE': 'service-control', 'DENY': 'explicit',
        'POLICY_ARN': 'arn:aws:organizations::111122223333:policy/o-abc/'
                      'service_control_policy/p-1234',
        'REMEDY': 'Remove the explicit deny of logs:PutLogEvents from SCP p-1234 in the '
                  'management account' + HOSTILE,
        'CONSECUTIVE_FAILURES': '1',
    }, "logs:/aws/ec2/app: PutLogEvents into '/aws/ec2/app' is denied by a service control "
       'policy' + HOSTILE + ' — remedy: Remove the explicit deny of logs:PutLogEvents from SCP '
       'p-1234 in the management account' + HOSTILE),
    ('metrics:CWAgent', 'failed'): (3, 'PROBE_ACCESS_DENIED', {
        'KIND': 'metrics', 'CLASS': 'access-denied', 'OK': '0', 'TARGET': 'CWAgent',
        'ENDPOINT': 'https://monitoring.eu-west-1.amazonaws.com', 'HTTP_STATUS': '403',
        'AWS_ERROR_CODE': 'AccessDenied', 'REQUEST_ID': 'req-denied-metrics',
        'PRINCIPAL': PRINCIPAL, 'ACTION': 'cloudwatch:PutMetricData',
        'POLICY_TYPE': 'unknown', 'DENY': 'unknown',
        'REMEDY': 'Allow cloudwatch:PutMetricData', 'CONSECUTIVE_FAILURES': '1',
    }, "metrics:CWAgent: PutMetricData into 'CWAgent' is denied — remedy: Allow "
       'cloudwatch:PutMetricData'),
    ('metrics:CWAgent', 'changed'): (3, 'PROBE_THROTTLED', dict(THROTTLED,
                                     CONSECUTIVE_FAILURES='2'), THROTTLED_MESSAGE),
    ('metrics:CWAgent', 'steady-failing'): (4, 'PROBE_THROTTLED', dict(THROTTLED,
                                            CONSECUTIVE_FAILURES='3'), THROTTLED_MESSAGE),
    ('endpoint:logs', 'recovered'): (5, 'PROBE_RECOVERED', {
        'KIND': 'endpoint', 'CLASS': 'ok', 'OK': '1', 'TARGET': 'logs',
        'ENDPOINT': 'https://logs.eu-west-1.amazonaws.com', 'LATENCY_MS': '3',
        'ADDRESS': '10.0.1.5', 'ADDRESS_SCOPE': 'private',
    }, 'endpoint:logs: DNS, TCP and TLS to logs.eu-west-1.amazonaws.com ok'),
    ('imds', 'changed'): (3, 'PROBE_IMDS_TOKEN_TIMEOUT', {
        'KIND': 'imds', 'CLASS': 'imds-token-timeout', 'OK': '0',
        'ENDPOINT': 'http://169.254.169.254', 'REMEDY': 'Raise the hop limit to 2',
        'CONSECUTIVE_FAILURES': '4',
    }, 'imds: the IMDSv2 token PUT was never answered — remedy: Raise the hop limit to 2'),
    ('identity', 'failed'): (3, 'PROBE_CLOCK_SKEW', {
        'KIND': 'identity', 'CLASS': 'clock-skew', 'OK': '0', 'HTTP_STATUS': '403',
        'AWS_ERROR_CODE': 'SignatureDoesNotMatch', 'CLOCK_OFFSET_SEC': '-1200',
        'REMEDY': 'Start chronyd', 'CONSECUTIVE_FAILURES': '1',
    }, 'identity: the local clock is 20 minutes ahead — remedy: Start chronyd'),
    ('metrics:Other', 'steady-failing'): (4, 'PROBE_NO_CREDENTIALS', {
        'KIND': 'metrics', 'CLASS': 'no-credentials', 'OK': '0', 'TARGET': 'Other',
        'SKIPPED': '1', 'REMEDY': 'Attach an instance profile', 'CONSECUTIVE_FAILURES': '2',
    }, 'metrics:Other: not sent: no credentials — remedy: Attach an instance profile'),
}

# event -> (PRIORITY, MESSAGE_ID name or None, MESSAGE, ERRNO or None)
EVENTS = {
    'started': (6, 'DAEMON_STARTED', 'cwguardd 0.1.0 starting', None),
    'ready': (6, 'DAEMON_READY', 'cwguardd ready: probes every 60s', None),
    'reloaded': (6, None, 'Configuration reloaded', None),
    'config-invalid': (3, 'CONFIG_REJECTED',
                       "/etc/cwguard/cwguard.yaml:7:3: unknown key 'intervall'", None),
    'reload-rejected': (4, 'CONFIG_REJECTED',
                        "/etc/cwguard/cwguard.yaml:9:12: 'interval' must be a duration "
                        'CWGUARD_EVENT=ready, ignoring', None),
    'heartbeat-failed': (3, 'HEARTBEAT_FAILED',
                         "Heartbeat to namespace 'CWGuard' failed (access-denied)", None),
    'heartbeat-recovered': (5, 'HEARTBEAT_RECOVERED',
                            "Heartbeat to namespace 'CWGuard' is accepted again", None),
    'credentials-unavailable': (3, 'CREDENTIALS_UNAVAILABLE',
                                'No credentials from IMDS: Required key not available', '126'),
    'stopping': (6, None, 'cwguardd stopping', None),
}

# MESSAGE -> (PRIORITY, ERRNO or None, {other fields})
PLAIN = {
    'plain info 1': (6, None, {}),
    "Failed to open '/nonexistent': No such file or directory": (3, '2', {}),
    'Synthetic: Invalid argument, ignoring': (4, None, {}),
    'no error': (5, None, {}),
    'structured entry 7': (5, None, {
        'CWGUARD_TEST_INT': '42', 'CWGUARD_TEST_LL': '1099511627776',
        'CWGUARD_TEST_DOUBLE': '2.5', 'CWGUARD_TEST_SIZE': '7', 'CWGUARD_TEST_WIDTH': '    3',
        # log_struct() values are sent binary-safe: the newline stays inside the value and
        # starts no CWGUARD_CLASS field (the set of fields is compared exactly).
        'CWGUARD_TEST_INJECT': 'x\nCWGUARD_CLASS=ok',
    }),
    'structured errno: Permission denied': (3, '13', {'CWGUARD_TEST_ERRNO': '1'}),
}


def cwguard_fields(e):
    return {k[len('CWGUARD_'):]: v for k, v in e.items() if k.startswith('CWGUARD_')}


def check_common(e, name, priority, message_id, errno=None, func=None):
    if e.get('PRIORITY') != str(priority):
        fail(f'{name}: PRIORITY {e.get("PRIORITY")!r}, expected {priority}')
    want_id = IDS[message_id] if message_id else None
    if e.get('MESSAGE_ID') != want_id:
        fail(f'{name}: MESSAGE_ID {e.get("MESSAGE_ID")!r}, expected {want_id!r} ({message_id})')
    if e.get('ERRNO') != errno:
        fail(f'{name}: ERRNO {e.get("ERRNO")!r}, expected {errno!r}')
    if e.get('SYSLOG_IDENTIFIER') != 'cwguardd' or e.get('_TRANSPORT') != 'journal':
        fail(f'{name}: SYSLOG_IDENTIFIER/_TRANSPORT {e.get("SYSLOG_IDENTIFIER")!r}/'
             f'{e.get("_TRANSPORT")!r}')
    code_file = e.get('CODE_FILE', '')
    if not re.fullmatch(r'[0-9]+', e.get('CODE_LINE', '')) or code_file.startswith('../') or \
            not code_file.endswith('.c'):
        fail(f'{name}: CODE_FILE/CODE_LINE {code_file!r}/{e.get("CODE_LINE")!r}')
    if func and (e.get('CODE_FUNC') != func or code_file != 'tests/journal/test-journal.c'):
        fail(f'{name}: location {code_file}:{e.get("CODE_FUNC")}, expected test-journal.c:{func}')
    # No field was sent twice (journalctl shows repeated fields as a list of values), and no
    # value but the deliberate binary one holds a control character.
    for k, v in e.items():
        if k == 'CWGUARD_TEST_INJECT':
            continue
        if not isinstance(v, str):
            fail(f'{name}: field {k} is not one text value: {v!r}')
        elif not k.startswith('__') and re.search(r'[\x00-\x1f\x7f]', v):
            fail(f'{name}: field {k} holds a control character: {v!r}')
    # Every @FIELD@ of the entry's catalog text is a field the entry has.
    if want_id:
        text = CATALOG.get(want_id)
        if text is None:
            fail(f'{name}: MESSAGE_ID {want_id} has no catalog entry')
        else:
            for var in sorted(set(re.findall(r'@([A-Z_]+)@', text))):
                if var not in e:
                    fail(f'{name}: the catalog shows @{var}@, which the entry lacks')


def main():
    entries = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8')]
    explained = open(sys.argv[2], encoding='utf-8').read()
    ours = [e for e in entries if e.get('SYSLOG_IDENTIFIER') == 'cwguardd']
    for e in entries:
        if e not in ours and any(k.startswith('CWGUARD_') for k in e):
            fail(f'an entry with CWGUARD_ fields but another identifier: {e}')

    seen = set()
    for e in ours:
        if 'CWGUARD_PROBE' in e:
            key = (e['CWGUARD_PROBE'], e.get('CWGUARD_TRANSITION'))
            name = 'probe %s/%s' % key
            if key not in PROBES or key in seen:
                fail(f'{name}: unexpected or repeated: {e.get("MESSAGE")!r}')
                continue
            seen.add(key)
            priority, message_id, fields, message = PROBES[key]
            check_common(e, name, priority, message_id)
            if e.get('CODE_FILE') != 'daemon/journal.c':
                fail(f'{name}: CODE_FILE {e.get("CODE_FILE")!r}')
            # Exactly these CWGUARD_ fields: the ones that apply present, the others absent.
            got = cwguard_fields(e)
            want = dict(fields, PROBE=key[0], TRANSITION=key[1])
            for k in sorted(set(want) | set(got)):
                if want.get(k) != got.get(k):
                    fail(f'{name}: CWGUARD_{k} is {got.get(k)!r}, expected {want.get(k)!r}')
            if e.get('MESSAGE') != message:
                fail(f'{name}: MESSAGE {e.get("MESSAGE")!r}, expected {message!r}')
        elif 'CWGUARD_EVENT' in e:
            ev = e['CWGUARD_EVENT']
            name = f'event {ev}'
            if ev not in EVENTS or ev in seen:
                fail(f'{name}: unexpected or repeated')
                continue
            seen.add(ev)
            priority, message_id, message, errno = EVENTS[ev]
            check_common(e, name, priority, message_id, errno, func='emit_events')
            if set(cwguard_fields(e)) != {'EVENT'}:
                fail(f'{name}: CWGUARD_ fields {sorted(cwguard_fields(e))}')
            if e.get('MESSAGE') != message:
                fail(f'{name}: MESSAGE {e.get("MESSAGE")!r}, expected {message!r}')
        else:
            msg = e.get('MESSAGE')
            name = f'message {msg!r}'
            if msg not in PLAIN or msg in seen:
                fail(f'{name}: unexpected or repeated')
                continue
            seen.add(msg)
            priority, errno, fields = PLAIN[msg]
            check_common(e, name, priority, None, errno, func='emit_plain')
            got = {k: v for k, v in e.items() if k.startswith('CWGUARD_')}
            if got != fields:
                fail(f'{name}: fields {got!r}, expected {fields!r}')

    for key in list(PROBES) + list(EVENTS) + list(PLAIN):
        if key not in seen:
            fail(f'missing from the journal: {key!r}')
    if any('plain debug' in (e.get('MESSAGE') or '') for e in entries):
        fail('a LOG_DEBUG message was stored although the maximum level is LOG_INFO')

    # `journalctl -x`: one explanation per entry with a MESSAGE_ID, substituted.
    with_id = sum(1 for e in ours if 'MESSAGE_ID' in e)
    subjects = explained.count('░░ Subject: ')
    if subjects != with_id:
        fail(f'journalctl -x shows {subjects} explanations for {with_id} entries with an id')
    for needle in ['░░ Subject: Probe logs:/aws/ec2/app failed: access denied',
                   '░░   Principal:    ' + PRINCIPAL,
                   '░░   Policy layer: service-control (explicit deny)',
                   '░░   Policy layer: unknown (unknown deny)',
                   '░░ Subject: Probe endpoint:logs recovered',
                   '░░ Subject: Configuration rejected']:
        if needle not in explained:
            fail(f'journalctl -x output lacks {needle!r}')

    print(f'{len(ours)} entries checked, {len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
