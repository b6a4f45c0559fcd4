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
# vm_free_port
# shellcheck source=port.sh
. "$VM_DIR/lib/port.sh"

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
#   DIR/root/       `make install DESTDIR=DIR/root` of a private copy of the
#                   build tree (MEMTUNED_BUILDDIR, default the source tree:
#                   an in-tree build), reconfigured with its own configure
#                   options plus --prefix=/usr --sysconfdir=/etc
#                   --localstatedir=/var, as a distribution would build it.
# The copy is needed because files made at build time embed $(sbindir)
# (the unit's ExecStart=): `make install prefix=/usr` in the shared tree
# would install a unit pointing at /usr/local/sbin, and rebuilding them
# there would change other people's build. Objects are copied with their
# times, so only what depends on the prefix is rebuilt (config.h stays).
# Everything the build installs comes along (memtunectl, the unit, the bus
# policy, the vendor policy) as soon as Makefile.am installs it.
vm_stage() {
    local dir=$1 builddir=${MEMTUNED_BUILDDIR:-${top_builddir:-$VM_SRCDIR}}
    [ -e "$dir/.staged" ] && return 0
    rm -rf "$dir/pkg" "$dir/root" "$dir/build"
    mkdir -p "$dir"
    if [ -n "${MEMTUNED_VM_DEB:-}" ]; then
        local f
        mkdir -p "$dir/pkg"
        for f in $MEMTUNED_VM_DEB; do
            [ -s "$f" ] || { echo "vm_stage: MEMTUNED_VM_DEB: no such file $f" >&2; return 1; }
            cp "$f" "$dir/pkg/"
        done
        echo "package $(cd "$dir/pkg" && echo *.deb)" >"$dir/.staged"
        return 0
    fi
    builddir=$(cd "$builddir" 2>/dev/null && pwd) || { echo "vm_stage: no build tree $builddir" >&2; return 1; }
    if [ ! -x "$builddir/config.status" ] || [ ! -e "$builddir/Makefile" ]; then
        echo "vm_stage: $builddir is not a configured build tree (set MEMTUNED_BUILDDIR)" >&2
        return 1
    fi
    local srcrel abs_src cfg copy=$dir/build t0
    t0=$(date +%s)
    srcrel=$(sed -n 's/^srcdir = //p' "$builddir/Makefile" | head -n1)
    abs_src=$(cd "$builddir" && cd "${srcrel:-.}" && pwd)
    cfg=$("$builddir/config.status" --config)
    mkdir -p "$copy"
    # The copy reuses the objects when their paths hold in another directory,
    # that is when configure was run by an absolute path; with a relative one
    # ("../configure") it is a fresh build of the same configuration.
    case $srcrel in
    /*) tar -C "$builddir" --exclude=./.git --exclude='./_build*' --exclude='*.log' --exclude='*.trs' -cf - . |
            tar -C "$copy" -xf - ;;
    esac
    local configure=./configure how
    [ "$abs_src" = "$builddir" ] || configure=$abs_src/configure
    if (cd "$copy" && eval "$configure $cfg --prefix=/usr --sysconfdir=/etc --localstatedir=/var" \
            >"$dir/build.log" 2>&1); then
        how="configured $cfg --prefix=/usr --sysconfdir=/etc --localstatedir=/var"
        (cd "$copy" && make -j"$(nproc)" >>"$dir/build.log" 2>&1 &&
            make install DESTDIR="$dir/root" >>"$dir/build.log" 2>&1) || how=""
    else
        # A VPATH build whose source tree is also configured in place
        # ("source directory already configured"): install with the
        # directories overridden, remaking what depends on the Makefile
        # (the unit, made with $(sbindir)); config.h keeps its values.
        echo "vm_stage: configure failed in the copy; installing with overridden directories" >>"$dir/build.log"
        how="make -W Makefile install prefix=/usr exec_prefix=/usr sysconfdir=/etc localstatedir=/var"
        (cd "$copy" && make -j"$(nproc)" >>"$dir/build.log" 2>&1 &&
            make -W Makefile install DESTDIR="$dir/root" prefix=/usr exec_prefix=/usr sysconfdir=/etc \
                localstatedir=/var >>"$dir/build.log" 2>&1) || how=""
    fi
    if [ -z "$how" ]; then
        echo "vm_stage: building and installing a prefix=/usr copy of $builddir failed:" >&2
        tail -n 30 "$dir/build.log" >&2
        return 1
    fi
    rm -rf "$copy"
    [ -x "$dir/root/usr/sbin/memtuned" ] || { echo "vm_stage: no usr/sbin/memtuned after make install" >&2; return 1; }
    # The daemon must look for vendor policies where they were installed:
    # objects once kept a /usr/local path from an earlier configure.
    if ! grep -qaF /usr/lib/memtuned/policies.d "$dir/root/usr/sbin/memtuned"; then
        echo "vm_stage: the staged memtuned does not read /usr/lib/memtuned/policies.d" >&2
        return 1
    fi
    # nothing installed may point below /usr/local (the guest has nothing there)
    local bad
    bad=$( { grep -rla '/usr/local' "$dir/root" 2>/dev/null || true; } | sed "s|^$dir/root||" | tr '\n' ' ')
    if [ -n "$bad" ]; then
        echo "vm_stage: installed files refer to /usr/local: $bad" >&2
        return 1
    fi
    echo "make install of $builddir ($how; $(cd "$dir/root" && find . -type f | wc -l) files; $(( $(date +%s) - t0 )) s)" >"$dir/.staged"
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

# ---- feature probes ---------------------------------------------------------------
#
# vm_probe_process_rules MEMTUNED: does this memtuned apply process rules?
# Runs it on the host for a few seconds with a policy that manages no
# tunable and has one rule for a process of our own (a copy of sleep with a
# unique name), inside `unshare -m` with a copy of /proc/sys/vm bound over
# the real one, so that even a bug cannot touch the host's sysctls. Raising
# oom_score_adj needs no privilege. Returns 0 if the rule took effect, 1 if
# not, 2 if the probe cannot run here.
vm_probe_process_rules() {
    local bin=$1 tmp target daemon rc=1 i
    command -v unshare >/dev/null && [ "$(id -u)" = 0 ] || return 2
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/memtuned-probe.XXXXXX") || return 2
    mkdir -p "$tmp/policies" "$tmp/state" "$tmp/vm"
    for i in /proc/sys/vm/*; do cat "$i" >"$tmp/vm/${i##*/}" 2>/dev/null || true; done
    cp /bin/sleep "$tmp/mtprobe-target"
    cat >"$tmp/policies/50-probe.conf" <<'POLICY'
policy: { name = "probe"; };
processes: ( { name = "probe"; match = { comm = "mtprobe-target"; }; oom_score_adj = 123; } );
POLICY
    "$tmp/mtprobe-target" 60 &
    target=$!
    # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
    unshare -m --propagation private -- sh -c \
        'mount --bind "$1/vm" /proc/sys/vm || exit 2; exec timeout 15 "$2" --bus none --policy-dir "$1/policies" --state-dir "$1/state"' \
        sh "$tmp" "$bin" >"$tmp/log" 2>&1 &
    daemon=$!
    for i in $(seq 1 20); do
        if [ "$(cat "/proc/$target/oom_score_adj" 2>/dev/null)" = 123 ]; then rc=0; break; fi
        if ! kill -0 "$daemon" 2>/dev/null; then
            # it ended early: 2 = the bind mount failed (cannot probe here)
            local st=0
            wait "$daemon" || st=$?
            if [ "$st" = 2 ]; then rc=2; else rc=1; fi
            break
        fi
        sleep 0.5
    done
    kill "$target" 2>/dev/null || true
    kill "$daemon" 2>/dev/null || true
    wait "$target" "$daemon" 2>/dev/null || true
    rm -rf "$tmp"
    return "$rc"
}
