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
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_root "setpriv --bounding-set"
for t in setpriv prlimit; do need_command $t util-linux; done
[ -e "$unit" ] || hard_error "$unit not built (make builds it)"

declare -A CAPNUM=([cap_dac_override]=1 [cap_net_admin]=12 [cap_sys_ptrace]=19 [cap_sys_resource]=24)
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z')
bnd=$((16#$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))
want=0
for c in $unit_caps; do
        [ -n "${CAPNUM[$c]:-}" ] || hard_error "the unit grants $c, which this test does not know"
        (( (bnd >> CAPNUM[$c]) & 1 )) || skip "this machine's bounding set lacks $c (the unit grants it)"
        want=$((want | (1 << CAPNUM[$c])))
done
want=$(printf '%016x' $want)
set_arg=-all
for c in $unit_caps; do set_arg+=",+${c#cap_}"; done

make_tmp

start_daemon() { # command prefix...
        reset_tree
        : >"$tmp/log"
        "$@" "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 logged "memtuned running"
}

check "as the unit starts it: the daemon runs" \
        start_daemon prlimit --memlock=unlimited:unlimited setpriv --bounding-set="$set_arg" --inh-caps=-all
check "as the unit starts it: CapEff is exactly the unit's set ($want)" test "$(proc_status CapEff)" = "$want"
check "as the unit starts it: no warning" bash -c "! grep -qE 'Capability CAP_|Missing capability|Not locking|Failed to lock' '$tmp/log'"
check "as the unit starts it: memory locked" grep -q "memory locked" "$tmp/log"
lck=$(proc_status VmLck | tr -dc 0-9)
echo "# VmLck $(proc_status VmLck), VmRSS $(proc_status VmRSS), VmSize $(proc_status VmSize)"
check "as the unit starts it: VmLck > 0" test "${lck:-0}" -gt 0
stop_daemon

check "as full root: the daemon runs" start_daemon env
check "as full root: CapEff is exactly the unit's set" test "$(proc_status CapEff)" = "$want"
check "as full root: it raised RLIMIT_MEMLOCK and locked its memory" grep -q "memory locked" "$tmp/log"
stop_daemon

exit $fail
