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

# fetch_source PKG DEST: the distribution's source of PKG, Debian's patches applied, unpacked into
# DEST (which must not exist); prints its version. `apt-get source` with a private apt state
# made from the system's own deb lines (deb-src twins, one-line and deb822 alike), so the
# newest version of the release and of its security suite, without touching the system's apt
# configuration; apt checks the .dsc against the signed Release, dpkg-source the tarballs
# against the .dsc. quilt's .pc bookkeeping is dropped: the tree is what gets built.
fetch_source() {
        local pkg=$1 dest=$2 tmp dsc f
        command -v apt-get >/dev/null 2>&1 || die "apt-get not found: cannot fetch $pkg's source"
        command -v dpkg-source >/dev/null 2>&1 || die "dpkg-source not found (apt-get install dpkg-dev)"
        [ ! -e "$dest" ] || die "$dest exists"
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/cwguard-src-$pkg.XXXXXX")
        # shellcheck disable=SC2064
        trap "rm -rf '$tmp'" RETURN
        mkdir -p "$tmp/parts" "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/src"
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -f "$f" ] || continue
                sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$tmp/parts/src.list"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                awk 'BEGIN { RS = ""; ORS = "\n\n" }
                     /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/ {
                             sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); print
                     }' "$f" >>"$tmp/parts/src-$(basename "$f")"
        done
        [ -n "$(ls "$tmp/parts")" ] || die "no deb lines in /etc/apt/sources.list*"
        local -a apt=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$tmp/parts"
                -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::Archives=$tmp/archives"
                -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "Debug::NoLocking=1"
                -o "APT::Sandbox::User=root" -qq)
        log "fetching the $pkg source (apt-get source)"
        apt-get "${apt[@]}" update >&2
        (cd "$tmp/src" && apt-get "${apt[@]}" source --download-only "$pkg" >&2)
        dsc=$(find "$tmp/src" -maxdepth 1 -name "${pkg}_*.dsc" | head -n 1)
        [ -n "$dsc" ] || die "apt-get source $pkg fetched no .dsc"
        (cd "$tmp/src" && dpkg-source -x "$dsc" "$pkg" >&2)
        rm -rf "${tmp:?}/src/$pkg/.pc"
        mkdir -p "$(dirname "$dest")"
        mv "$tmp/src/$pkg" "$dest"
        basename "$dsc" .dsc | sed "s/^${pkg}_//"
}
