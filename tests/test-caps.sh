#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Privileges (daemon/caps.c) on a writable fixture tree, as root:
# - started with exactly the unit's CapabilityBoundingSet= (setpriv), the
#   daemon works and holds exactly that set, less what this machine's
#   bounding set lacks, with one warning per missing optional capability;
# - started as full root, it drops everything else, the bounding set too;
# - without a required capability it exits 1 at once, naming it, having
#   written nothing; with --observe it only warns;
# - --once keeps only CAP_SYS_PTRACE; no_new_privs and an empty ambient set always.
# The same with the whole set present (no warning, memory locked) is
# tests/test-caps-full.sh, which needs CAP_SYS_RESOURCE in the bounding set.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_root "setpriv --bounding-set"
need_command setpriv util-linux
[ -e "$unit" ] || hard_error "$unit not built (make builds it)"

make_tmp

# Capability numbers (linux/capability.h) and names.
declare -A CAPNUM=([cap_dac_override]=1 [cap_net_admin]=12 [cap_sys_ptrace]=19 [cap_sys_resource]=24)
REQUIRED="cap_dac_override cap_sys_ptrace"
OPTIONAL="cap_net_admin cap_sys_resource"

# The unit's set, lower case: "cap_dac_override cap_sys_ptrace ...".
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z')
for c in $unit_caps; do
        [ -n "${CAPNUM[$c]:-}" ] || hard_error "the unit grants $c, which this test does not know"
done
bnd=$((16#$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))
have() { (( (bnd >> CAPNUM[$1]) & 1 )); }
mask() { # caps... -> the hex mask /proc/PID/status shows
        local m=0 c
        for c in "$@"; do have "$c" && m=$((m | (1 << CAPNUM[$c]))); done
        printf '%016x' "$m"
}
setpriv_set() { # caps... -> setpriv's --bounding-set argument
        local s=-all c
        for c in "$@"; do s+=",+${c#cap_}"; done
        echo "$s"
}
for c in $REQUIRED; do
        have "$c" || skip "this machine's bounding set lacks the required $c"
done
missing_here=""
for c in $OPTIONAL; do have "$c" || missing_here+=" $c"; done
echo "# this machine's bounding set lacks:${missing_here:- nothing}"

POLICY_TEXT='policy: { name = "caps"; };
tunables: { swappiness: { mode = "fixed"; value = 10; }; };'

start_daemon() { # command prefix... (then memtuned's options)
        : >"$tmp/log"
        "$@" "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none >>"$tmp/log" 2>&1 &
        pid=$!
}
status_is() { [ "$(proc_status "$1")" = "$2" ]; }   # field, value: /proc/$pid/status
running() { wait_for 5 logged "memtuned running"; }

want=$(mask $unit_caps)

# 1. Exactly the unit's set: works, holds it, warns once per missing optional.
reset_tree 50-caps.conf "$POLICY_TEXT"
start_daemon setpriv --bounding-set="$(setpriv_set $unit_caps)" --inh-caps=-all
check "with the unit's set: the daemon runs" running
check "with the unit's set: it writes (swappiness 60 -> 10)" wait_for 5 bash -c "[ \"\$(cat '$tmp/proc/sys/vm/swappiness')\" = 10 ]"
check "with the unit's set: CapEff is the unit's set ($want)" status_is CapEff "$want"
check "with the unit's set: CapPrm is the unit's set" status_is CapPrm "$want"
check "inheritable and ambient sets are empty" bash -c "$(declare -f proc_status status_is); pid=$pid; status_is CapInh 0000000000000000 && status_is CapAmb 0000000000000000"
check "no_new_privs is set" status_is NoNewPrivs 1
for c in $missing_here; do
        C=$(tr 'a-z' 'A-Z' <<<"$c")
        check "exactly one warning names the missing optional $C" test "$(count_logged "$C")" -eq 1
done
check "no error is logged" bash -c "! grep -qiE 'missing capability|failed to drop' '$tmp/log'"
check "memory is locked or the log says why not" bash -c \
        "grep -qE 'memory locked|Not locking|Failed to lock' '$tmp/log'"
stop_daemon; check "SIGTERM exits 0" test $? -eq 0
check "stop restores swappiness" test "$(value swappiness)" = 60

# 2. As full root: everything else is dropped, the bounding set too.
reset_tree 50-caps.conf "$POLICY_TEXT"
start_daemon env
check "as full root: the daemon runs" running
check "as full root: CapEff is only the unit's set ($want)" status_is CapEff "$want"
check "as full root: the bounding set is dropped to the unit's set" status_is CapBnd "$want"
check "as full root: CapInh and CapAmb are empty" bash -c "$(declare -f proc_status status_is); pid=$pid; status_is CapInh 0000000000000000 && status_is CapAmb 0000000000000000"
stop_daemon

# 3. A required capability missing: exit 1 at once, naming it, nothing written.
for c in $REQUIRED; do
        C=$(tr 'a-z' 'A-Z' <<<"$c")
        others=$(tr ' ' '\n' <<<"$unit_caps" | grep -vx "$c" | tr '\n' ' ')
        reset_tree 50-caps.conf "$POLICY_TEXT"
        start_daemon setpriv --bounding-set="$(setpriv_set $others)" --inh-caps=-all
        wait "$pid"; rc=$?; pid=
        check "without $C: exit status 1 (got $rc)" test $rc -eq 1
        check "without $C: the error names it" grep -q "Missing capability $C (not in the bounding set)" "$tmp/log"
        check "without $C: the error says how to run it" grep -q "memtuned.service grants it" "$tmp/log"
        check "without $C: it never ran" bash -c "! grep -q 'memtuned running' '$tmp/log'"
        check "without $C: nothing was written" test "$(value swappiness)" = 60 -a ! -e "$tmp/state/originals"
done

# --observe writes nothing: a missing required capability is only a warning.
reset_tree 50-caps.conf "$POLICY_TEXT"
others=$(tr ' ' '\n' <<<"$unit_caps" | grep -vx cap_dac_override | tr '\n' ' ')
: >"$tmp/log"
setpriv --bounding-set="$(setpriv_set $others)" --inh-caps=-all "$memtuned" --observe --proc-root "$tmp/proc" \
        --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none >>"$tmp/log" 2>&1 &
pid=$!
check "--observe without CAP_DAC_OVERRIDE: the daemon runs" running
check "--observe without CAP_DAC_OVERRIDE: a warning names it" grep -q "Capability CAP_DAC_OVERRIDE is not in the bounding set" "$tmp/log"
stop_daemon

# 4. --once keeps only CAP_SYS_PTRACE (looked at while it sleeps between its two
# samples); --check keeps nothing.
"$memtuned" --once --interval 2 --proc-root "$tmp/proc" >/dev/null 2>"$tmp/log" &
pid=$!
sleep 0.5
check "--once: only CAP_SYS_PTRACE left (CapEff, CapPrm, CapBnd)" bash -c "$(declare -f proc_status status_is); pid=$pid; \
        status_is CapEff 0000000000080000 && status_is CapPrm 0000000000080000 && status_is CapBnd 0000000000080000"
check "--once: no_new_privs" status_is NoNewPrivs 1
wait "$pid"; rc=$?; pid=
check "--once: still works (exit 0)" test $rc -eq 0
check "--check: works without capabilities" "$memtuned" --check "$tmp/policy"

exit $fail
