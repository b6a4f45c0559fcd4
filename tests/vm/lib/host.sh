# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the host side of a scenario (tests/vm/scenarios/NAME/run),
# sourced by it. A scenario's run script is called by tests/vm/check-vm as
#
#   SHARE=DIR MEMTUNED_VM_STAGE=DIR scenarios/NAME/run
#
# (or by hand, without them: it then stages memtuned itself). It exits with
# 0 (pass), 1 (fail), 77 (skip; the reason in $SHARE/skip-reason and as the
# last line "SKIP: reason") or 99 (hard error).

set -euo pipefail

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VM_SRCDIR=$(cd "$VM_DIR/../.." && pwd)
VM_SCENARIO_DIR=$(cd "$(dirname "$0")" && pwd)
VM_SCENARIO=${VM_SCENARIO_DIR##*/}

vm_skip() {
    echo "SKIP: $*"
    [ -n "${SHARE:-}" ] && echo "$*" >"$SHARE/skip-reason"
    exit 77
}

# ---- staging memtuned for the guest ----------------------------------------------
#
# vm_stage DIR: puts what the guest installs into DIR, once:
#   DIR/pkg/*.deb   when MEMTUNED_VM_DEB names Debian package files
#                   (the guest then installs them with apt, offline), else
#   DIR/root/       `make install DESTDIR=DIR/root` of the build tree
#                   (MEMTUNED_BUILDDIR, default the source tree: an in-tree
#                   build) with prefix=/usr sysconfdir=/etc localstatedir=/var.
# Everything the build installs comes along (memtunectl, the unit, the bus
# policy, the vendor policy) as soon as Makefile.am installs it.
vm_stage() {
    local dir=$1 builddir=${MEMTUNED_BUILDDIR:-${top_builddir:-$VM_SRCDIR}}
    [ -e "$dir/.staged" ] && return 0
    rm -rf "$dir/pkg" "$dir/root"
    mkdir -p "$dir"
    if [ -n "${MEMTUNED_VM_DEB:-}" ]; then
        local f
        mkdir -p "$dir/pkg"
        for f in $MEMTUNED_VM_DEB; do
            [ -s "$f" ] || { echo "vm_stage: MEMTUNED_VM_DEB: no such file $f" >&2; return 1; }
            cp "$f" "$dir/pkg/"
        done
        echo "staged: package $(cd "$dir/pkg" && echo *.deb)" >"$dir/.staged"
        return 0
    fi
    if [ ! -e "$builddir/Makefile" ]; then
        echo "vm_stage: $builddir is not a configured build tree (set MEMTUNED_BUILDDIR)" >&2
        return 1
    fi
    if ! make -C "$builddir" -s install DESTDIR="$dir/root" prefix=/usr exec_prefix=/usr \
            sysconfdir=/etc localstatedir=/var >"$dir/make-install.log" 2>&1; then
        echo "vm_stage: make install in $builddir failed:" >&2
        tail -n 30 "$dir/make-install.log" >&2
        return 1
    fi
    [ -x "$dir/root/usr/sbin/memtuned" ] || { echo "vm_stage: no usr/sbin/memtuned after make install" >&2; return 1; }
    echo "staged: make install of $builddir ($(cd "$dir/root" && find . -type f | wc -l) files)" >"$dir/.staged"
}

# true if the staged install has FILE (a path under / in the guest)
vm_staged_has() {
    local stage=$1 f=$2
    if [ -d "$stage/pkg" ]; then
        local d
        for d in "$stage"/pkg/*.deb; do
            dpkg-deb -c "$d" 2>/dev/null | awk '{ print $6 }' | sed 's|^\./|/|' | grep -qx -- "$f" && return 0
        done
        return 1
    fi
    [ -e "$stage/root$f" ] || [ -L "$stage/root$f" ]
}

# ---- running the guest ---------------------------------------------------------
#
# vm_run_guest [run-guest options]: fills $SHARE with lib/guest.sh, the
# scenario's test.sh and files/, and the staged memtuned, boots the guest,
# and returns test.sh's status. The guest's console stays in
# $SHARE/console.log (check-vm shows it on failure).
vm_run_guest() {
    : "${SHARE:=$(mktemp -d "${TMPDIR:-/tmp}/memtuned-vm-$VM_SCENARIO.XXXXXX")}"
    local stage=${MEMTUNED_VM_STAGE:-$SHARE/.stage}
    vm_stage "$stage" || exit 99
    mkdir -p "$SHARE/lib"
    cp "$VM_DIR/lib/guest.sh" "$SHARE/lib/"
    cp "$VM_SCENARIO_DIR/test.sh" "$SHARE/test.sh"
    chmod +x "$SHARE/test.sh"
    if [ -d "$VM_SCENARIO_DIR/files" ]; then
        rm -rf "$SHARE/files"
        cp -r "$VM_SCENARIO_DIR/files" "$SHARE/files"
    fi
    rm -rf "$SHARE/pkg" "$SHARE/root"
    [ -d "$stage/pkg" ] && cp -r "$stage/pkg" "$SHARE/pkg"
    [ -d "$stage/root" ] && cp -a "$stage/root" "$SHARE/root"
    local rc=0
    MEMTUNED_VM_QUIET=${MEMTUNED_VM_QUIET:-1} "$VM_DIR/run-guest" "$@" "$SHARE" || rc=$?
    if [ "$rc" = 77 ] && [ ! -e "$SHARE/skip-reason" ]; then
        # run-guest's own skip (no QEMU, no image): its reason is on stderr
        echo "the guest cannot run here (see run-guest's message above)" >"$SHARE/skip-reason"
    fi
    return "$rc"
}
