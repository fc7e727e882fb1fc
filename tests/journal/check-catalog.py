#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-catalog.py CATALOG-IDS.H CWGUARD.CATALOG

The catalog and the list of MESSAGE_IDs agree: every CWGUARD_MESSAGE_* id of catalog-ids.h has
exactly one entry in the catalog and the catalog has no other; ids are distinct, well-formed
and random (version 4 or systemd-id128's); each entry has a Subject and "Defined-By: cwguard";
substitutions name CWGUARD_ fields only. Then journalctl itself must accept the file:
`journalctl --root=TMP --update-catalog` with the catalog alone in TMP, silently, and
`--list-catalog` must list exactly our ids. That part is skipped (with a note) when journalctl
is missing; it needs no privileges.
"""

import collections
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def fail(what):
    failures.append(what)
    print('FAIL:', what, file=sys.stderr)


def main():
    header, catalog = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

    defines = re.findall(r'^#define (CWGUARD_MESSAGE_\w+)\s+"([^"]*)"', header.read_text(), re.M)
    ids = {}
    for name, value in defines:
        if not re.fullmatch(r'[0-9a-f]{32}', value):
            fail(f'{name}: {value!r} is not 32 lower-case hex digits')
        elif value[12] != '4' or value[16] not in '89ab':
            fail(f'{name}: {value} is not a random (v4) id: use systemd-id128 new')
        if value in ids.values():
            fail(f'{name}: {value} is used twice')
        ids[name] = value
    if len(ids) < 20:
        fail(f'only {len(ids)} ids found in {header}')

    # As journald's catalog parser reads it: "-- <id>" starts an entry, # lines are comments.
    entries = collections.defaultdict(list)
    current = None
    for n, line in enumerate(catalog.read_text().splitlines(), 1):
        if line.startswith('#'):
            continue
        if line.startswith('-- '):
            m = re.fullmatch(r'-- ([0-9a-f]{32})', line)
            if not m:
                fail(f'{catalog}:{n}: malformed entry line {line!r}')
                continue
            current = m.group(1)
            entries[current].append([])
        elif current:
            entries[current][-1].append(line)
        elif line.strip():
            fail(f'{catalog}:{n}: text before the first entry')

    by_value = {v: k for k, v in ids.items()}
    for i, texts in entries.items():
        if i not in by_value:
            fail(f'catalog entry {i} has no CWGUARD_MESSAGE_ in {header.name}')
        if len(texts) != 1:
            fail(f'catalog entry {i} appears {len(texts)} times')
        lines = texts[0]
        head = lines[:lines.index('')] if '' in lines else lines
        if not any(h.startswith('Subject: ') for h in head):
            fail(f'catalog entry {i} has no Subject:')
        if 'Defined-By: cwguard' not in head:
            fail(f'catalog entry {i} lacks "Defined-By: cwguard"')
        body = '\n'.join(lines[len(head):]).strip()
        if not body:
            fail(f'catalog entry {i} has no text')
        for var in re.findall(r'@([A-Za-z0-9_]+)@', '\n'.join(lines)):
            if not re.fullmatch(r'CWGUARD_[A-Z_]+', var):
                fail(f'catalog entry {i}: substitution @{var}@ is not a CWGUARD_ field '
                     '(journalctl only substitutes upper-case letters and "_")')
    for name, value in ids.items():
        if value not in entries:
            fail(f'{name} ({value}) has no catalog entry')

    journalctl = shutil.which('journalctl')
    if not journalctl:
        print('NOTE: journalctl not installed, not checked by journalctl')
    else:
        with tempfile.TemporaryDirectory() as root:
            d = pathlib.Path(root, 'usr/lib/systemd/catalog')
            d.mkdir(parents=True)
            shutil.copy(catalog, d)
            r = subprocess.run([journalctl, f'--root={root}', '--update-catalog'],
                               capture_output=True, text=True)
            if r.returncode != 0 or r.stdout or r.stderr:
                fail(f'journalctl --update-catalog: exit {r.returncode}: {r.stdout}{r.stderr}')
            r = subprocess.run([journalctl, f'--root={root}', '--list-catalog', '--no-pager'],
                               capture_output=True, text=True)
            listed = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
            if r.returncode != 0 or sorted(listed) != sorted(ids.values()):
                fail(f'journalctl --list-catalog: exit {r.returncode}, lists {len(listed)} ids, '
                     f'expected {len(ids)}: {r.stderr}')
            for line in r.stdout.splitlines():
                if not re.fullmatch(r'[0-9a-f]{32} cwguard: \S.*', line):
                    fail(f'journalctl --list-catalog: unexpected line {line!r}')

    print(f'{len(ids)} ids, {len(entries)} catalog entries, {len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
