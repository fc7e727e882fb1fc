#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-man.py: the man pages (man/*.scd) against the sources they document.

Everything is found by parsing the sources, never from a list kept here, so a key, field,
option, verb or class added to the code without its documentation fails this test:

  cwguard.yaml.5  every key of the key tables of config/config.c, by its path
                  ("heartbeat.auto_scaling_group"), is a term of KEYS, and every term of KEYS
                  is a key; every environment variable config-env.c, credentials-file.c and
                  http.c read is in ENVIRONMENT.
  cwguardd.8      every CWGUARD_* field daemon/*.c writes is a term of JOURNAL FIELDS, and
                  every term there is written; every MESSAGE_ID of common/catalog-ids.h is in
                  MESSAGE IDS; every event and transition name of daemon/journal.c is in
                  JOURNAL; every key of the status JSON (common/status.c, daemon/manager.c) is
                  in STATUS FILE; every option of cwguardd.c is in OPTIONS.
  cwguardctl.1    every verb of cwguardctl.c's table is in SYNOPSIS and a term of COMMANDS;
                  every option of its getopt table is in OPTIONS; every class of
                  common/result-class.c is a term of DIAGNOSIS CLASSES, and every term there is
                  a class.

The rendered pages given after the source root are also run through
`man --warnings -E UTF-8 -l -Tutf8`, which must print nothing on stderr (skipped when man is
not installed).

usage: check-man.py SRCROOT [RENDERED-PAGE...]
Prints what is missing and exits 1; exits 0 when everything is documented.
"""

import os
import re
import shutil
import subprocess
import sys

problems = []


def problem(msg):
    problems.append(msg)


def read(root, path):
    with open(os.path.join(root, path), encoding='utf-8') as f:
        return f.read()


def strip_c_comments(text):
    return re.sub(r'/\*.*?\*/', ' ', re.sub(r'//[^\n]*', '', text), flags=re.S)


def c_block(text, start_regex, what):
    """The text of the brace-enclosed initializer that follows start_regex."""
    m = re.search(start_regex, text)
    if not m:
        problem(f'cannot find {what} in the sources (has the code changed shape?)')
        return ''
    i = text.index('{', m.end() - 1)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == '{':
            depth += 1
        elif text[j] == '}':
            depth -= 1
            if depth == 0:
                return text[i + 1:j]
    problem(f'unterminated initializer for {what}')
    return ''


def nonempty(items, what):
    if not items:
        problem(f'found no {what} in the sources (has the code changed shape?)')
    return items


def section(page, text, name):
    """The lines of `# NAME` up to the next top-level heading (subsections included)."""
    m = re.search(r'^# ' + re.escape(name) + r'[ \t]*$', text, flags=re.M)
    if not m:
        problem(f'{page}: no section "# {name}"')
        return ''
    rest = text[m.end():]
    n = re.search(r'^# ', rest, flags=re.M)
    return rest[:n.start()] if n else rest


# A bold span: an unescaped '*', no blank after it, escapes (\*, \_) or other characters, '*'.
BOLD = r'(?<!\\)\*(?=\S)((?:\\.|[^*\\\n])+)\*'


def unescape(s):
    return re.sub(r'\\(.)', r'\1', s)


def terms(text):
    """The bold terms that start a line (definition-list entries): '*x*', '*x*, *y*'."""
    out = set()
    for line in text.splitlines():
        m = re.match(BOLD + r'((?:,\s*' + BOLD + r')*)', line)
        if m:
            out.add(unescape(m.group(1)))
            out |= {unescape(t) for t in re.findall(BOLD, m.group(2))}
    return out


def bolds(text):
    """Every bold span of the text, scdoc escapes removed."""
    return {unescape(t) for t in re.findall(BOLD, text)}


def missing(page, where, wanted, have, what):
    for w in sorted(wanted):
        if w not in have:
            problem(f'{page}: {what} "{w}" is not documented in {where}')


def stale(page, where, documented, real, what):
    for d in sorted(documented):
        if d not in real:
            problem(f'{page}: {where} documents {what} "{d}", which the code does not have')


# ---- the sources ------------------------------------------------------------------------------

def config_keys(root):
    """Every key path of the configuration: 'region', 'endpoints', 'endpoints.monitoring'..."""
    text = strip_c_comments(read(root, 'config/config.c'))
    # A macro whose first parameter is the key name, e.g. KEY_ENDPOINT("monitoring", MONITORING).
    name_macros = set()
    for m in re.finditer(r'^#define\s+(\w+)\(\s*(\w+)\s*,((?:[^\n]*\\\n)*[^\n]*)', text,
                         flags=re.M):
        if re.search(r'\.name\s*=\s*' + re.escape(m.group(2)) + r'\b', m.group(3)):
            name_macros.add(m.group(1))
    tables = {}
    for m in re.finditer(r'static\s+const\s+ConfigKey\s+(\w+)\s*\[\]\s*=', text):
        body = c_block(text[m.start():], r'=\s*\{', m.group(1))
        rows = []
        for row in re.finditer(r'\.name\s*=\s*"([^"]+)"([^}]*)', body):
            sec = re.search(r'\.section\s*=\s*(\w+)', row.group(2))
            rows.append((row.group(1), sec.group(1) if sec else None))
        for macro in name_macros:
            for call in re.finditer(re.escape(macro) + r'\(\s*"([^"]+)"', body):
                rows.append((call.group(1), None))
        tables[m.group(1)] = rows
    if 'root_keys' not in tables:
        problem('config/config.c: no root_keys table (has the code changed shape?)')
        return set()
    paths, reached = set(), set()

    def walk(table, prefix):
        reached.add(table)
        if not tables.get(table):
            problem(f'config/config.c: no keys found in {table}')
        for name, sub in tables.get(table, []):
            path = prefix + name
            paths.add(path)
            if sub:
                if sub not in tables:
                    problem(f'config/config.c: {path} names an unknown table {sub}')
                else:
                    walk(sub, path + '.')
    walk('root_keys', '')
    for t in sorted(set(tables) - reached):
        problem(f'config/config.c: key table {t} is not reachable from root_keys')
    return paths


def environment_variables(root):
    names = set()
    for path in ('config/config-env.c', 'common/credentials-file.c'):
        names |= set(re.findall(r'"(AWS_[A-Z0-9_]+)"', strip_c_comments(read(root, path))))
    # The proxy variables libcurl reads, as common/http.c names them.
    http = strip_c_comments(read(root, 'common/http.c'))
    names |= set(re.findall(r'getenv(?:_nonempty)?\("((?:https?|all|no)_proxy|'
                            r'(?:HTTPS|ALL|NO)_PROXY)"\)', http))
    return nonempty(names, 'environment variables')


def journal_fields(root):
    names = set()
    daemon = os.path.join(root, 'daemon')
    for f in sorted(os.listdir(daemon)):
        if f.endswith('.c'):
            text = strip_c_comments(read(root, os.path.join('daemon', f)))
            names |= set(re.findall(r'"(CWGUARD_[A-Z0-9_]*[A-Z0-9])"', text))
    return nonempty(names, 'CWGUARD_* journal fields in daemon/*.c')


def message_ids(root):
    text = read(root, 'common/catalog-ids.h')
    return nonempty(set(re.findall(r'#define\s+CWGUARD_MESSAGE_\w+\s+"([0-9a-f]{32})"', text)),
                    'MESSAGE_IDs in common/catalog-ids.h')


def string_table(root, path, table):
    text = strip_c_comments(read(root, path))
    body = c_block(text, r'\b' + re.escape(table) + r'\s*\[[^\]]*\]\s*=\s*\{', f'{path}: {table}')
    return nonempty(set(re.findall(r'\]\s*=\s*"([^"]+)"', body)), f'strings of {table} in {path}')


def status_keys(root):
    keys = set()
    status = strip_c_comments(read(root, 'common/status.c'))
    keys |= set(re.findall(r'\bjson_add\w*\(\s*\w+\s*,\s*"([a-z_]+)"', status))
    manager = strip_c_comments(read(root, 'daemon/manager.c'))
    keys |= set(re.findall(r'\bjson_(?:object_object_add|add_time)\(\s*\w+\s*,\s*"([a-z_]+)"',
                           manager))
    return nonempty(keys, 'status JSON keys')


def getopt_options(root, path):
    """(long options, short options) of the struct option table and optstring of @path."""
    text = strip_c_comments(read(root, path))
    body = c_block(text, r'static\s+const\s+struct\s+option\s+\w+\s*\[\]\s*=\s*\{',
                   f'{path}: the getopt table')
    longs = set(re.findall(r'\{\s*"([a-z0-9-]+)"\s*,', body))
    shorts = set(re.findall(r"'([A-Za-z0-9])'\s*\}", body))
    m = re.search(r'getopt_long\([^,]+,[^,]+,\s*"([^"]*)"', text)
    if m:
        shorts |= set(re.findall(r'[A-Za-z0-9]', m.group(1)))
    else:
        problem(f'{path}: no getopt_long() optstring found')
    return nonempty(longs, f'long options in {path}'), shorts


def verbs(root):
    text = strip_c_comments(read(root, 'daemon/cwguardctl.c'))
    body = c_block(text, r'static\s+const\s+Verb\s+\w+\s*\[\]\s*=\s*\{', 'the verb table')
    return nonempty(set(re.findall(r'\{\s*"([a-z-]+)"\s*,\s*verb_', body)),
                    'verbs in daemon/cwguardctl.c')


# ---- the checks -------------------------------------------------------------------------------

def check_options(page, text, longs, shorts):
    opts = section(page, text, 'OPTIONS')
    have = bolds(opts)
    missing(page, 'OPTIONS', {'--' + o for o in longs}, have, 'option')
    missing(page, 'OPTIONS', {'-' + o for o in shorts}, have, 'option')
    stale(page, 'OPTIONS', {b for b in have if re.fullmatch(r'--?[a-z0-9-]+', b)},
          {'--' + o for o in longs} | {'-' + o for o in shorts}, 'the option')


def check_yaml(root, page, text):
    keys = config_keys(root)
    documented = {t for t in terms(section(page, text, 'KEYS')) if re.fullmatch(r'[a-z0-9_.]+', t)}
    missing(page, 'KEYS', keys, documented, 'configuration key')
    stale(page, 'KEYS', documented, keys, 'the key')
    env = environment_variables(root)
    missing(page, 'ENVIRONMENT', env, bolds(section(page, text, 'ENVIRONMENT')),
            'environment variable')


def check_daemon(root, page, text):
    fields = journal_fields(root)
    documented = {t.rstrip('=') for t in terms(section(page, text, 'JOURNAL FIELDS'))
                  if t.startswith('CWGUARD_')}
    missing(page, 'JOURNAL FIELDS', fields, documented, 'journal field')
    stale(page, 'JOURNAL FIELDS', documented, fields, 'the field')

    ids = message_ids(root)
    listed = {t for t in terms(section(page, text, 'MESSAGE IDS'))
              if re.fullmatch(r'[0-9a-f]{32}', t)}
    missing(page, 'MESSAGE IDS', ids, listed, 'MESSAGE_ID')
    stale(page, 'MESSAGE IDS', listed, ids, 'the MESSAGE_ID')

    journal = bolds(section(page, text, 'JOURNAL'))
    missing(page, 'JOURNAL', string_table(root, 'daemon/journal.c', 'journal_event_table'),
            journal, 'daemon event (CWGUARD_EVENT=)')
    missing(page, 'JOURNAL', string_table(root, 'daemon/journal.c', 'probe_transition_table'),
            journal, 'transition (CWGUARD_TRANSITION=)')

    missing(page, 'STATUS FILE', status_keys(root), bolds(section(page, text, 'STATUS FILE')),
            'status file key')

    longs, shorts = getopt_options(root, 'daemon/cwguardd.c')
    check_options(page, text, longs, shorts)


def check_ctl(root, page, text):
    vs = verbs(root)
    synopsis = section(page, text, 'SYNOPSIS')
    missing(page, 'SYNOPSIS', {'cwguardctl ' + v for v in vs}, bolds(synopsis), 'command')
    commands = {t for t in terms(section(page, text, 'COMMANDS')) if re.fullmatch(r'[a-z-]+', t)}
    missing(page, 'COMMANDS', vs, commands, 'command')
    stale(page, 'COMMANDS', commands, vs, 'the command')

    longs, shorts = getopt_options(root, 'daemon/cwguardctl.c')
    check_options(page, text, longs, shorts)

    classes = string_table(root, 'common/result-class.c', 'result_class_table')
    documented = {t for t in terms(section(page, text, 'DIAGNOSIS CLASSES'))
                  if re.fullmatch(r'[a-z-]+', t)}
    missing(page, 'DIAGNOSIS CLASSES', classes, documented, 'diagnosis class')
    stale(page, 'DIAGNOSIS CLASSES', documented, classes, 'the class')


def check_rendered(pages):
    if not pages:
        return
    man = shutil.which('man')
    if not man:
        print('check-man: man is not installed; the rendered pages are not checked')
        return
    env = dict(os.environ, LC_ALL='C.UTF-8', MANWIDTH='80')
    env.pop('MANPAGER', None)
    env.pop('PAGER', None)
    for p in pages:
        r = subprocess.run([man, '--warnings', '-E', 'UTF-8', '-l', '-Tutf8', p],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                           timeout=120, check=False)
        err = r.stderr.decode('utf-8', 'replace').strip()
        if r.returncode != 0 or err:
            problem(f'{p}: man --warnings (exit {r.returncode}): {err or "no message"}')


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().split('\n\n')[-2], file=sys.stderr)
        return 2
    root, rendered = argv[1], argv[2:]
    pages = {
        'cwguard.yaml.5.scd': check_yaml,
        'cwguardd.8.scd': check_daemon,
        'cwguardctl.1.scd': check_ctl,
    }
    for name, check in pages.items():
        path = os.path.join('man', name)
        try:
            text = read(root, path)
        except OSError as e:
            problem(f'{path}: {e.strerror}')
            continue
        check(root, path, text)
    check_rendered(rendered)

    if problems:
        for p in problems:
            print('check-man: ' + p)
        print(f'check-man: {len(problems)} problem(s): document them in man/*.scd')
        return 1
    print(f'check-man: the man pages document every key, field, option, verb and class'
          f'{"; " + str(len(rendered)) + " rendered page(s) without warnings" if rendered else ""}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
