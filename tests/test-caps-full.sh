#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The daemon with the unit's whole capability set and LimitMEMLOCK=infinity
# (emulated with setpriv and prlimit) on a writable fixture tree: no warning
# at all, exactly the unit's capabilities, memory locked. And as full root
# with the default RLIMIT_MEMLOCK, it raises the limit and locks too.
# Needs every capability of the unit in the bounding set: the development
# machine lacks CAP_SYS_RESOURCE (77 there); the QEMU guest has them all.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
memtuned=$top_builddir/memtuned
unit=$top_builddir/systemd/memtuned.service
fail=0

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (setpriv --bounding-set)"; exit 77; }
for t in setpriv prlimit; do
        command -v $t >/dev/null || { echo "SKIP: $t not installed (package util-linux)"; exit 77; }
done
[ -e "$unit" ] || { echo "ERROR: $unit not built (make builds it)"; exit 99; }

declare -A CAPNUM=([cap_dac_override]=1 [cap_net_admin]=12 [cap_sys_ptrace]=19 [cap_sys_resource]=24)
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z')
bnd=$((16#$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))
want=0
for c in $unit_caps; do
        [ -n "${CAPNUM[$c]:-}" ] || { echo "ERROR: the unit grants $c, which this test does not know"; exit 99; }
        (( (bnd >> CAPNUM[$c]) & 1 )) || { echo "SKIP: this machine's bounding set lacks $c (the unit grants it)"; exit 77; }
        want=$((want | (1 << CAPNUM[$c])))
done
want=$(printf '%016x' $want)
set_arg=-all
for c in $unit_caps; do set_arg+=",+${c#cap_}"; done

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

check() { # description, command...
        local what=$1; shift
        if "$@"; then echo "ok - $what"; else echo "FAIL - $what"; fail=1; fi
}
wait_for() { # seconds, command...
        local deadline=$((SECONDS + $1)); shift
        until "$@"; do
                [ $SECONDS -ge $deadline ] && return 1
                sleep 0.05
        done
}
status() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status"; }
start() { # command prefix...
        rm -rf "$tmp/proc" "$tmp/state" "$tmp/policy"
        cp -r "$top_srcdir/tests/data/host-6.18/proc" "$tmp/proc"
        mkdir -p "$tmp/policy"
        : >"$tmp/log"
        "$@" "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 grep -q "memtuned running" "$tmp/log"
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null; pid=; }

check "as the unit starts it: the daemon runs" \
        start prlimit --memlock=unlimited:unlimited setpriv --bounding-set="$set_arg" --inh-caps=-all
check "as the unit starts it: CapEff is exactly the unit's set ($want)" test "$(status CapEff)" = "$want"
check "as the unit starts it: no warning" bash -c "! grep -qE 'Capability CAP_|Missing capability|Not locking|Failed to lock' '$tmp/log'"
check "as the unit starts it: memory locked" grep -q "memory locked" "$tmp/log"
lck=$(status VmLck | tr -dc 0-9)
echo "# VmLck $(status VmLck), VmRSS $(status VmRSS), VmSize $(status VmSize)"
check "as the unit starts it: VmLck > 0" test "${lck:-0}" -gt 0
stop

check "as full root: the daemon runs" start env
check "as full root: CapEff is exactly the unit's set" test "$(status CapEff)" = "$want"
check "as full root: it raised RLIMIT_MEMLOCK and locked its memory" grep -q "memory locked" "$tmp/log"
stop

exit $fail
