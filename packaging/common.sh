# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared by build-deb and build-rpm (sourced, not run): where the checkout is, its version, and
# a copy of its working tree. Packages are built from a copy so that the checkout (and the
# build*/ trees in it) is never written to, and from the working tree rather than HEAD so that
# uncommitted work is what gets packaged.

PKG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(cd "$PKG_DIR/.." && pwd)

# For the package manager when not root; used by the scripts that source this file.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
fi
export SUDO

log() {
        printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

die() {
        log "error: $*"
        exit 1
}

# The version in meson.build's project() call: the one number both packages carry.
meson_version() {
        local v
        v=$(sed -n "s/^[[:space:]]*version:[[:space:]]*'\([^']*\)'.*/\1/p" "$SRC_ROOT/meson.build" | head -n 1)
        [ -n "$v" ] || die "no version: in $SRC_ROOT/meson.build"
        printf '%s\n' "$v"
}

# copy_tree DEST: the working tree (tracked and untracked-but-not-ignored files, as they are on
# disk now) into DEST, without .git and the build*/ directories. Without git (an unpacked
# tarball), everything but those.
copy_tree() {
        local dest=$1
        mkdir -p "$dest"
        if git -C "$SRC_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
                # Tracked files deleted in the working tree are skipped: the copy is what is on disk.
                (cd "$SRC_ROOT" &&
                        git ls-files -z --cached --others --exclude-standard |
                        while IFS= read -r -d '' f; do
                                case "$f" in build*/*) continue ;; esac
                                if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
                        done |
                        tar --null --no-recursion -T - -cf -) |
                        tar -C "$dest" -xf -
        else
                tar -C "$SRC_ROOT" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$dest" -xf -
        fi
        [ -f "$dest/meson.build" ] || die "copying the tree to $dest failed"
}

# Where packages go: $1, else $CWGUARD_PACKAGE_DIR, else <checkout>/build-packages.
output_dir() {
        local out=${1:-${CWGUARD_PACKAGE_DIR:-$SRC_ROOT/build-packages}}
        mkdir -p "$out"
        (cd "$out" && pwd)
}
