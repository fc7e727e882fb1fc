#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-lean.py: the lean build's programs are linked the way issue 7's numbers need.

-Dlean=true (packaging/README.md) is only worth its trade-off when it actually takes effect,
and each part of it can silently stop doing so: a libcurl found through the wrong
pkg-config path links Debian's shared one (or libsystemd.so) again, a linker that ignores hot-text.ld or a
regenerated list that matches nothing leaves the executed code scattered, an older toolchain
drops DT_RELR. Each is a property of the ELF file, checked here with readelf:

  - NEEDED lists only glibc (libc.so.6, ld-linux): no libcurl, libssl, libcrypto, libjson-c,
    libyaml, libexpat, libm, and no libsystemd (packaging/build-libsystemd's is static);
  - the dynamic section has DT_RELR (relative relocations packed);
  - with hot text (the second argument is "true"), the section .text.cwg_hot exists and holds
    at least 1 MiB: OpenSSL's, libcurl's and our executed code, as packaging/hot-text/gen
    listed it (about 2 MiB when the list matches the linked libraries).

usage: check-lean.py HOT-TEXT(true|false) PROGRAM...
Prints what is wrong and exits 1; exits 0 when every program is linked as described.
"""

import re
import subprocess
import sys

ALLOWED_NEEDED = {'libc.so.6'}
ALLOWED_NEEDED_RE = re.compile(r'^ld-linux[-.\w]*\.so\.\d+$')
HOT_MIN_BYTES = 1 << 20


def readelf(*args):
    return subprocess.run(['readelf', '-W'] + list(args), capture_output=True, text=True,
                          check=True).stdout


def check(program, hot):
    errors = []
    dynamic = readelf('-d', program)
    needed = re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', dynamic)
    for lib in needed:
        if lib not in ALLOWED_NEEDED and not ALLOWED_NEEDED_RE.match(lib):
            errors.append(f'{program}: links {lib} dynamically (the lean build links only '
                          'glibc so)')
    if '(RELR)' not in dynamic:
        errors.append(f'{program}: no DT_RELR (-z pack-relative-relocs did not take effect)')
    if hot:
        size = None
        for line in readelf('-S', program).splitlines():
            m = re.search(r'\]\s+\.text\.cwg_hot\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)',
                          line)
            if m:
                size = int(m.group(1), 16)
        if size is None:
            errors.append(f'{program}: no .text.cwg_hot section (hot-text.ld not applied)')
        elif size < HOT_MIN_BYTES:
            errors.append(f'{program}: .text.cwg_hot is {size} bytes, under {HOT_MIN_BYTES}: '
                          'hot-text.ld matches little of what is linked (regenerate it with '
                          'packaging/hot-text/gen)')
    return errors


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ('true', 'false'):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    hot = sys.argv[1] == 'true'
    errors = []
    for program in sys.argv[2:]:
        errors += check(program, hot)
    for e in errors:
        print('FAIL: ' + e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
