#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-unit.py: the gates on systemd/cwguard.service.

The unit is what fleets run, so three things are checked on the unit meson rendered:
`systemd-analyze verify` accepts it with nothing at all on stderr (ExecStart= pointed at the
binary just built, so "not executable" cannot hide a typo; Documentation= checked against the
man pages just built when there are any), `systemd-analyze security --offline=true` scores it
2.0 or better, and the settings the issue names are there (Type=notify, User=cwguard with
DynamicUser=, an empty CapabilityBoundingSet=...), so a later edit cannot drop one quietly and
still score well.

usage: check-unit.py UNIT CWGUARDD [MANPAGE...]
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

MAX_EXPOSURE = 2.0

# setting -> required value (None: present with any value)
REQUIRED = {
    'Type': 'notify',
    'WatchdogSec': None,
    'Restart': 'on-failure',
    'ExecReload': None,
    'DynamicUser': 'yes',     # the sandbox; with User= an existing static user is used
    'User': 'cwguard',        # static (sysusers.d): dbus-daemon refuses dynamic users
    'Group': 'cwguard',       # the group an operator grants the agent's log to
    'RuntimeDirectory': 'cwguard',
    'ConfigurationDirectory': 'cwguard',
    'CapabilityBoundingSet': '',
    'AmbientCapabilities': '',
    'NoNewPrivileges': 'yes',
    'ProtectSystem': 'strict',
    'ProtectHome': 'yes',
    'PrivateTmp': 'yes',
    'PrivateDevices': 'yes',
    'ProtectKernelTunables': 'yes',
    'ProtectKernelModules': 'yes',
    'ProtectKernelLogs': 'yes',
    'ProtectControlGroups': 'yes',
    'ProtectClock': 'yes',
    'RestrictAddressFamilies': 'AF_UNIX AF_INET AF_INET6',
    'MemoryDenyWriteExecute': 'yes',
    'LockPersonality': 'yes',
    'SystemCallFilter': '@system-service',
    'SystemCallArchitectures': 'native',
    'LimitCORE': '0',   # a core dump would hold the secret key and session token
}


def settings(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in '#;[':
            continue
        k, _, v = line.partition('=')
        out.setdefault(k.strip(), []).append(v.strip())
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    unit, daemon = sys.argv[1], os.path.abspath(sys.argv[2])
    pages = [os.path.abspath(p) for p in sys.argv[3:]]
    analyze = shutil.which('systemd-analyze')
    if not analyze:
        print('systemd-analyze not found (Debian package: systemd)', file=sys.stderr)
        return 77

    with open(unit) as f:
        text = f.read()
    failures = []

    found = settings(text)
    for k, want in REQUIRED.items():
        if k not in found:
            failures.append('%s= is missing' % k)
        elif want is not None and want not in found[k]:
            failures.append('%s= is %r, want %r' % (k, found[k], want))
    if not re.search(r'^ExecStart=\S*/cwguardd( |$)', text, re.M):
        failures.append('ExecStart= does not run cwguardd')

    with tempfile.TemporaryDirectory() as tmp:
        # Same file name (verify derives the unit name from it), ExecStart= on the built binary.
        copy = os.path.join(tmp, 'cwguard.service')
        with open(copy, 'w') as f:
            f.write(re.sub(r'^ExecStart=\S*/cwguardd', 'ExecStart=' + daemon, text, flags=re.M))
        env = dict(os.environ, SYSTEMD_LOG_COLOR='0', SYSTEMD_PAGER='')
        cmd = [analyze, 'verify']
        if pages and shutil.which('man'):
            # Documentation=man:... must name pages that exist: the ones just built, laid out
            # as man(1) expects (manN/page.N).
            mandir = os.path.join(tmp, 'man')
            for p in pages:
                d = os.path.join(mandir, 'man' + p.rsplit('.', 1)[1])
                os.makedirs(d, exist_ok=True)
                os.symlink(p, os.path.join(d, os.path.basename(p)))
            env['MANPATH'] = mandir
        else:
            mandir = None
            cmd.append('--man=no')
        p = subprocess.run(cmd + [copy], env=env, capture_output=True, text=True)
        if p.returncode != 0 or p.stderr.strip():
            failures.append('systemd-analyze verify (exit %d):\n%s' % (p.returncode, p.stderr))
        else:
            print('systemd-analyze verify: clean%s' % ('' if mandir else ' (man pages not built)'))

        p = subprocess.run([analyze, 'security', '--offline=true', '--no-pager', copy], env=env,
                           capture_output=True, text=True)
        m = re.search(r'Overall exposure level for cwguard\.service: ([0-9.]+) (\S+)', p.stdout)
        if not m:
            failures.append('systemd-analyze security printed no score (exit %d):\n%s%s'
                            % (p.returncode, p.stdout[-2000:], p.stderr))
        else:
            score = float(m.group(1))
            print('systemd-analyze security --offline=true: %.1f %s' % (score, m.group(2)))
            if score > MAX_EXPOSURE:
                failures.append('exposure %.1f is above %.1f:\n%s'
                                % (score, MAX_EXPOSURE,
                                   '\n'.join(l for l in p.stdout.splitlines()
                                             if l.startswith('\u2717'))))

    for f in failures:
        print('FAIL: ' + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
