#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# org.memtuned1 on a real, private dbus-daemon (a system-type bus whose only
# service policy is our dbus/org.memtuned1.conf), with memtuned on a writable
# fixture tree:
#  - the name is owned only thanks to our policy file; READY=1 only once it is;
#  - the introspection equals dbus/org.memtuned1.Manager.xml;
#  - every property and method through busctl, and every memtunectl command;
#  - bad arguments: exact org.memtuned1.Error.* names, and nothing changes;
#  - the authorization matrix {our policy, a permissive copy} x {no polkit,
#    polkit denies, polkit allows (python3-dbusmock's polkitd template)} x
#    {root, uid 65534} x every member: non-root changes succeed only where
#    polkit allows, and never through our policy file;
#  - read-only calls answer while a polkit query hangs;
#  - overrides expire on time (signals seen by `memtunectl monitor`), a
#    restart (SIGTERM or SIGKILL) keeps the unexpired ones;
#  - --observe refuses SetMode("enforce"); Reload() of a broken policy is
#    PolicyRejected; losing the bus stops the daemon, which restores.
# Needs root (setpriv, a root-owned bus), dbus-daemon, busctl, dbus-send and
# /usr/bin/python3 with dbusmock; skips (77) without them.
# KEEP_LOG=1 keeps the daemon's and the bus's logs in /tmp/test-bus.last/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_root "a root-owned private bus, setpriv to uid 65534"
for t in dbus-daemon busctl dbus-send setpriv; do
        command -v "$t" >/dev/null || skip "$t is not installed"
done
[ -x "$PY" ] && "$PY" -c 'import dbus, dbusmock' 2>/dev/null ||
        skip "/usr/bin/python3 with dbus and dbusmock (python3-dbusmock) is needed for the polkit mock"
# uid 65534 must reach the binaries.
setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$memtunectl" ||
        skip "uid 65534 cannot execute $memtunectl (a build directory it cannot read)"

make_tmp
chmod 755 "$tmp"    # uid 65534 connects to the socket inside
buspid= pkpid= monpid= notifypid=

# Stops everything (the daemon with SIGTERM too) before lib.sh removes $tmp.
on_exit() {
        for p in $monpid $pkpid $pid $notifypid $buspid; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        pid=
        if [ -n "${KEEP_LOG:-}" ]; then
                rm -rf /tmp/test-bus.last && mkdir -p /tmp/test-bus.last
                cp "$tmp"/*.log "$tmp"/log "$tmp"/monitor.json /tmp/test-bus.last/ 2>/dev/null
        fi
}

ADDR="unix:path=$tmp/system_bus_socket"
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
unset DBUS_SESSION_BUS_ADDRESS
OUR_POLICY=$top_srcdir/dbus/org.memtuned1.conf

as() { # root|nobody command...
        local who=$1; shift
        if [ "$who" = root ]; then "$@"; else setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; fi
}
bctl() { busctl --address="$ADDR" "$@"; }
mctl() { "$memtunectl" --bus-address="$ADDR" "$@"; }
getp() { bctl get-property org.memtuned1 /org/memtuned1 org.memtuned1.Manager "$@"; }
is_prop() { [ "$(getp "$1" 2>&1)" = "$2" ]; }

# dsend who member args...: "ok", or the D-Bus error name of the reply.
dsend() {
        local who=$1 out; shift
        if out=$(as "$who" dbus-send --bus="$ADDR" --print-reply --reply-timeout=15000 --dest=org.memtuned1 \
                        /org/memtuned1 "$@" 2>&1); then
                echo ok
        else
                printf '%s\n' "$out" | sed -n 's/^Error \([^:]*\):.*/\1/p' | head -n 1
        fi
}
# expect RESULT who member args...
expect() {
        local want=$1; shift
        local got
        got=$(dsend "$@")
        [ "$got" = "$want" ] || { echo "  # $2 by $1: expected $want, got '${got}'" >&2; return 1; }
}

# ---- the bus -------------------------------------------------------------------------
start_bus() { # policy files for system.d...
        rm -rf "$tmp/system.d" && mkdir "$tmp/system.d"
        for f in "$@"; do cp "$f" "$tmp/system.d/"; done
        sed "s|@DIR@|$tmp|g" "$top_srcdir/tests/bus/system.conf.in" >"$tmp/bus.conf"
        dbus-daemon --config-file="$tmp/bus.conf" --nofork --nosyslog >"$tmp/dbus.log" 2>&1 &
        buspid=$!
        wait_for 5 bctl list >/dev/null 2>&1
}
stop_bus() {
        kill "$buspid" 2>/dev/null; wait "$buspid" 2>/dev/null; buspid=
        rm -f "$tmp/system_bus_socket"
}
# Swaps the service policy and has the bus reload it (synchronously).
use_policy() { # file
        rm -f "$tmp/system.d/"*.conf
        cp "$1" "$tmp/system.d/org.memtuned1.conf"
        bctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
}

# ---- polkit (python3-dbusmock) -----------------------------------------------------------
PK="org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority"
pkmock() { bctl call $PK org.freedesktop.DBus.Mock "$@"; }
start_polkit() { # deny|allow|hang-deny|hang-allow
        "$PY" -m dbusmock --system --template polkitd >>"$tmp/polkit.log" 2>&1 &
        pkpid=$!
        wait_for 10 pkmock HaveHangingCalls >/dev/null 2>&1 || { echo "polkit mock did not start" >&2; return 1; }
        case $1 in
        allow|hang-allow) pkmock SetAllowed as 1 org.memtuned1.manage ;;
        esac
        case $1 in
        hang-*) pkmock SimulateHang b true ;;
        esac
}
stop_polkit() {
        [ -n "$pkpid" ] || return 0
        kill "$pkpid" 2>/dev/null; wait "$pkpid" 2>/dev/null; pkpid=
        wait_for 5 sh -c "! busctl --address='$ADDR' status org.freedesktop.PolicyKit1 >/dev/null 2>&1"
}

# ---- the daemon ----------------------------------------------------------------------------
POLICY_TEXT='policy: { name = "test"; };
tunables: { swappiness: { mode = "fixed"; value = 10; }; };'

start_daemon() { # extra args...; waits until the name is owned
        : >"$tmp/log"
        NOTIFY_SOCKET=$tmp/notify "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" \
                --state-dir "$tmp/state" --bus "$ADDR" "$@" >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 logged "Serving org.memtuned1 on the bus."
}
start_notify() {
        rm -f "$tmp/notify" "$tmp/notify.log"
        "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    with open(sys.argv[2], "a") as f:
        f.write(s.recv(65536).decode() + "\n")
' "$tmp/notify" "$tmp/notify.log" &
        notifypid=$!
        wait_for 5 test -S "$tmp/notify"
}
notified() { grep -qx -- "$1" "$tmp/notify.log" 2>/dev/null; }

# Everything a call could change, for "nothing changes".
snapshot() {
        getp Overrides Mode ModeSource PolicyName PolicyError
        cat "$tmp/state/overrides" 2>/dev/null
        count_logged "() by uid"
}

quiet() { "$@" >/dev/null; }

# =============================================================================================
# 1. The name belongs to memtuned only through our policy file, and READY=1
#    waits for it.
reset_tree 50-test.conf "$POLICY_TEXT"
# as on a kernel without NUMA: zone_reclaim_mode does not exist
rm -f "$tmp/proc/sys/vm/zone_reclaim_mode"
start_notify
start_bus
: >"$tmp/log"
NOTIFY_SOCKET=$tmp/notify "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
        --bus "$ADDR" >>"$tmp/log" 2>&1
rc=$?
check "without our policy file the name cannot be owned: exit 1" test $rc -eq 1
check "... and says why" logged "Failed to own the bus name org.memtuned1"
check "... and never said READY=1" sh -c "! grep -q READY=1 '$tmp/notify.log' 2>/dev/null"
check "... and leaves the original value" is_value swappiness 60
stop_bus

# Without --bus the system bus is optional: memory tuning goes on without it.
: >"$tmp/log"; : >"$tmp/notify.log"
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus NOTIFY_SOCKET=$tmp/notify "$memtuned" --proc-root "$tmp/proc" \
        --policy-dir "$tmp/policy" --state-dir "$tmp/state" >>"$tmp/log" 2>&1 &
pid=$!
check "no --bus and no system bus: memtuned runs" wait_for 5 logged "No system bus ("
check "... says READY=1" wait_for 5 notified "READY=1"
check "... and tunes" wait_for 5 is_value swappiness 10
stop_daemon TERM; rc=$?
check "... and stops cleanly" test $rc -eq 0
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" \
        --state-dir "$tmp/state" --bus system >"$tmp/log" 2>&1
check "--bus system without a system bus: exit 1" test $? -eq 1
start_bus
: >"$tmp/log"; : >"$tmp/notify.log"
NOTIFY_SOCKET=$tmp/notify "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
        >>"$tmp/log" 2>&1 &
pid=$!
check "no --bus, a system bus without our policy file: memtuned says so" \
        wait_for 5 logged "The bus does not let memtuned own org.memtuned1"
check "... says READY=1" wait_for 5 notified "READY=1"
check "... and tunes" wait_for 5 is_value swappiness 10
check "... having left the bus" sh -c "! busctl --address='$ADDR' list | grep -q memtuned"
stop_daemon TERM; rc=$?
check "... and stops cleanly" test $rc -eq 0
stop_bus

start_bus "$OUR_POLICY"
: >"$tmp/notify.log"
check "with our policy file memtuned owns org.memtuned1" start_daemon
check "READY=1 once the name is owned" wait_for 5 notified "READY=1"
check "the bus name's owner is memtuned" sh -c "busctl --address='$ADDR' status org.memtuned1 | grep -qx 'PID=$pid'"
check "the fixed policy is applied" wait_for 5 is_value swappiness 10

# 2. Introspection equals dbus/org.memtuned1.Manager.xml (the interface block).
iface() { awk '/<interface name="org.memtuned1.Manager">/{f=1} f{print} f&&/<\/interface>/{exit}'; }
bctl introspect --xml-interface org.memtuned1 /org/memtuned1 | iface >"$tmp/live.xml"
iface <"$top_srcdir/dbus/org.memtuned1.Manager.xml" >"$tmp/file.xml"
check "the introspected interface is not empty" test "$(wc -l <"$tmp/live.xml")" -gt 50
check "the introspected interface equals dbus/org.memtuned1.Manager.xml" diff -u "$tmp/file.xml" "$tmp/live.xml"
if command -v xmllint >/dev/null; then
        check "dbus/*.xml, *.conf and *.policy are well-formed XML" \
                xmllint --noout "$top_srcdir/dbus/org.memtuned1.Manager.xml" "$OUR_POLICY" \
                "$top_srcdir/dbus/org.memtuned1.policy"
fi

# 3. Every property and method through busctl, as root and as uid 65534.
PROPERTIES="Version Mode ModeSource PolicyName PolicyFiles PolicyError PressureLevel PSIAvailable PSISome
PSIFull Tunables Knobs Overrides Swap Zones VmstatRates SampleTimestamp"
for who in root nobody; do
        for p in $PROPERTIES; do
                check "busctl get-property $p as $who" \
                        quiet as $who busctl --address="$ADDR" get-property org.memtuned1 /org/memtuned1 \
                        org.memtuned1.Manager "$p"
        done
        check "busctl GetAll as $who lists every property" \
                sh -c "busctl --address='$ADDR' --json=short call org.memtuned1 /org/memtuned1 \
                        org.freedesktop.DBus.Properties GetAll s org.memtuned1.Manager | \
                        $PY -c 'import json,sys; d=json.load(sys.stdin)[\"data\"][0]; sys.exit(len(d) != 17)'"
        check "busctl Describe as $who returns JSON" \
                sh -c "busctl --address='$ADDR' --json=short call org.memtuned1 /org/memtuned1 \
                        org.memtuned1.Manager Describe | \
                        $PY -c 'import json,sys; d=json.loads(json.load(sys.stdin)[\"data\"][0]); \
                        sys.exit(not (d[\"policy\"][\"name\"] == \"test\" and d[\"mode\"] == \"enforce\" and d[\"zones\"]))'"
        check "busctl ListProcesses as $who" quiet as $who busctl --address="$ADDR" call org.memtuned1 \
                /org/memtuned1 org.memtuned1.Manager ListProcesses u 10
        check "busctl GetDecisions as $who" quiet as $who busctl --address="$ADDR" call org.memtuned1 \
                /org/memtuned1 org.memtuned1.Manager GetDecisions u 10
done
check "Mode is enforce, from the policy" is_prop Mode 's "enforce"'
check "PolicyName is the file's" is_prop PolicyName 's "test"'
check "PolicyFiles lists the file" is_prop PolicyFiles "as 1 \"$tmp/policy/50-test.conf\""
check "PolicyError is empty" is_prop PolicyError 's ""'
check "Tunables: swappiness current, original, target, source, mode" \
        sh -c "busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 org.memtuned1.Manager Tunables | \
                grep -q '\"swappiness\" 10 60 10 \"fixed\" \"fixed\" \"fixed by policy\"'"
check "Tunables leaves out what this kernel lacks (zone_reclaim_mode)" \
        sh -c "! busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 org.memtuned1.Manager Tunables | \
                grep -q zone_reclaim_mode"
check "Zones: node, zone, free, min, low, high, boost, managed" \
        sh -c "busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 org.memtuned1.Manager Zones | \
                grep -q '0 \"DMA32\" 772915 9790 12237 14684 0 772915'"
check "GetDecisions: the policy's decision" \
        sh -c "busctl --address='$ADDR' call org.memtuned1 /org/memtuned1 org.memtuned1.Manager GetDecisions u 1 | \
                grep -q '\"swappiness\" 60 10 \"fixed\" \"swappiness 60 -> 10: fixed by policy\"'"
check "busctl SetOverride as root" bctl call org.memtuned1 /org/memtuned1 org.memtuned1.Manager SetOverride stt \
        swappiness 20 0
check "... Overrides shows it, until cleared" is_prop Overrides 'a(stt) 1 "swappiness" 20 0'
check "... and it is written" wait_for 3 is_value swappiness 20
check "... the state file holds it" grep -qx "swappiness 20 infinity" "$tmp/state/overrides"
check "busctl ClearOverride as root" bctl call org.memtuned1 /org/memtuned1 org.memtuned1.Manager ClearOverride s \
        swappiness
check "... the policy's value returns" wait_for 3 is_value swappiness 10
check "... and the state file is gone" test ! -e "$tmp/state/overrides"
check "busctl SetMode observe as root" bctl call org.memtuned1 /org/memtuned1 org.memtuned1.Manager SetMode s observe
check "... Mode and ModeSource" sh -c "[ \"\$(busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 \
        org.memtuned1.Manager Mode ModeSource | tr '\n' ' ')\" = 's \"observe\" s \"runtime\" ' ]"
check "busctl SetMode '' (back to the policy) as root" bctl call org.memtuned1 /org/memtuned1 \
        org.memtuned1.Manager SetMode s ""
check "... ModeSource is the policy again" is_prop ModeSource 's "policy"'
check "busctl Reload as root" bctl call org.memtuned1 /org/memtuned1 org.memtuned1.Manager Reload
check "... the policy is loaded again" logged "Policy 'test' reloaded, unchanged."

# 4. memtunectl: every command, its JSON, its exit statuses.
check "memtunectl status" sh -c "'$memtunectl' --bus-address='$ADDR' status >'$tmp/status.txt'"
check "... shows the tunables" grep -qE '^swappiness +10 +60 +10 +fixed' "$tmp/status.txt"
check "... draws each zone's gauge" grep -qE '^node 0  DMA32 +\[#{10}\|#{10}\|#{10}\|#{10}\] +772915 free' \
        "$tmp/status.txt"
check "... and the recent decisions" grep -qF "swappiness 60 -> 10: fixed by policy" "$tmp/status.txt"
check "... and each knob's state with the probe's reason" grep -qE \
        '^lru_gen_enabled +unsupported +not probed: /sys is not read \(--proc-root without --sys-root\)$' \
        "$tmp/status.txt"
check "... a managed knob says so" grep -qE '^swappiness +managed +fixed by policy$' "$tmp/status.txt"
check "memtunectl status as uid 65534" quiet as nobody "$memtunectl" --bus-address="$ADDR" status
check "memtunectl status honours DBUS_SYSTEM_BUS_ADDRESS" sh -c "'$memtunectl' status | grep -q TUNABLE"
check "memtunectl status --json is Describe()'s JSON" sh -c "'$memtunectl' --bus-address='$ADDR' status --json | \
        $PY -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d[\"control\"][2][\"name\"] != \"swappiness\")'"
check "memtunectl processes" sh -c "'$memtunectl' --bus-address='$ADDR' processes --limit 5 | grep -q '^ *PID COMM'"
check "memtunectl processes --json" sh -c "'$memtunectl' --bus-address='$ADDR' processes --json | $PY -c \
        'import json,sys; sys.exit(not isinstance(json.load(sys.stdin), list))'"
check "memtunectl decisions" sh -c "'$memtunectl' --bus-address='$ADDR' decisions | grep -q 'swappiness 60 -> 10'"
check "memtunectl decisions --json --limit 1" sh -c "'$memtunectl' --bus-address='$ADDR' decisions --json -n 1 | \
        $PY -c 'import json,sys; d=json.load(sys.stdin); sys.exit(len(d) != 1 or d[0][\"new_value\"] != 10)'"
check "memtunectl mode" sh -c "[ \"\$('$memtunectl' --bus-address='$ADDR' mode)\" = 'enforce (policy)' ]"
check "memtunectl mode --json" sh -c "'$memtunectl' --bus-address='$ADDR' mode --json | \
        grep -qx '{\"mode\":\"enforce\",\"source\":\"policy\"}'"
check "memtunectl set swappiness 30 --for 1h" mctl set swappiness 30 --for 1h
check "... Overrides has it for an hour" sh -c "busctl --address='$ADDR' --json=short get-property org.memtuned1 \
        /org/memtuned1 org.memtuned1.Manager Overrides | $PY -c 'import json,sys,time; \
        d=json.load(sys.stdin)[\"data\"][0]; left=d[2]/1e6-time.time(); \
        sys.exit(not (d[0]==\"swappiness\" and d[1]==30 and 3590 < left <= 3600))'"
check "memtunectl set min_free_kbytes 80M (a size)" mctl set min_free_kbytes 80M
check "... in kB" sh -c "busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 org.memtuned1.Manager \
        Overrides | grep -q '\"min_free_kbytes\" 81920 0'"
check "memtunectl status lists the overrides" sh -c "'$memtunectl' --bus-address='$ADDR' status | \
        grep -qE '^  swappiness = 30 for (59min|1h)'"
check "memtunectl reset swappiness" mctl reset swappiness
check "... only that one" is_prop Overrides 'a(stt) 1 "min_free_kbytes" 81920 0'
check "memtunectl mode observe" mctl mode observe
check "... runtime" is_prop ModeSource 's "runtime"'
check "memtunectl reset (everything)" mctl reset
check "... no override, the policy's mode" sh -c "[ \"\$(busctl --address='$ADDR' get-property org.memtuned1 \
        /org/memtuned1 org.memtuned1.Manager Overrides ModeSource | tr '\n' ' ')\" = 'a(stt) 0 s \"policy\" ' ]"
check "memtunectl reload" mctl reload
mctl set swapiness 1 2>/dev/null; rc=$?
check "memtunectl set of an unknown tunable: exit 1" test $rc -eq 1
mctl set swappiness lots 2>/dev/null; rc=$?
check "memtunectl set of a non-number: exit 2" test $rc -eq 2
mctl frobnicate 2>/dev/null; rc=$?
check "memtunectl unknown command: exit 2" test $rc -eq 2
mctl mode sometimes 2>/dev/null; rc=$?
check "memtunectl mode sometimes: exit 2" test $rc -eq 2
mctl set swappiness -1 2>"$tmp/neg.txt"; rc=$?
check "memtunectl set swappiness -1: exit 2" test $rc -eq 2
check "... negative values are not allowed" grep -qx "Invalid value '-1': negative values are not allowed." \
        "$tmp/neg.txt"
check "memtunectl set --help is set's help" sh -c "'$memtunectl' set --help | grep -q '^Usage: memtunectl \[OPTIONS\] set NAME VALUE'"
check "memtunectl processes --help is processes' help" sh -c "'$memtunectl' processes --help | grep -q 'oom_score'"
as nobody "$memtunectl" --bus-address="$ADDR" reset 2>"$tmp/reset-denied.txt"; rc=$?
check "memtunectl reset as uid 65534: exit 3" test $rc -eq 3
check "... says permission denied, and what it is" grep -q \
        "^Failed to reset (clear every override and the runtime mode): permission denied; the bus policy allows this to root only" \
        "$tmp/reset-denied.txt"
as nobody "$memtunectl" --bus-address="$ADDR" set swappiness 1 2>"$tmp/denied.txt"; rc=$?
check "memtunectl set as uid 65534 (our bus policy): exit 3" test $rc -eq 3
check "... saying that only root may" grep -q "the bus policy allows this to root only" "$tmp/denied.txt"
"$memtunectl" --bus-address="unix:path=$tmp/nothing" status 2>/dev/null; rc=$?
check "memtunectl without a bus: exit 4" test $rc -eq 4
check "memtunectl --help" sh -c "'$memtunectl' --help | grep -q 'Usage:'"
check "memtunectl --version" sh -c "'$memtunectl' --version | grep -q '^memtuned '"
check "memtunectl check of a valid file: exit 0 (offline)" \
        env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent "$memtunectl" check "$tmp/policy/50-test.conf"
printf 'tunables: { swappiness: { mode = "fixed"; value = 999; }; };\n' >"$tmp/bad.conf"
"$memtunectl" check "$tmp/bad.conf" 2>"$tmp/check.txt"; rc=$?
check "memtunectl check of an invalid file: exit 1, FILE:LINE" \
        sh -c "[ $rc -eq 1 ] && grep -q '^$tmp/bad.conf:1:' '$tmp/check.txt'"

# 5. Bad arguments: the exact error names, and nothing changes.
M=org.memtuned1.Manager
E=org.memtuned1.Error
check "SetOverride at the reserve cap is accepted" expect ok root $M.SetOverride \
        string:min_free_kbytes uint64:1234204 uint64:0
bctl call org.memtuned1 /org/memtuned1 org.memtuned1.Manager SetOverride stt min_free_kbytes 70000 0
before=$(snapshot)
LONG=$(printf 'x%.0s' $(seq 1 65))
HUGE=$(printf 'y%.0s' $(seq 1 10000))
check "SetOverride of an unknown tunable: UnknownTunable" expect $E.UnknownTunable root $M.SetOverride \
        string:swapiness uint64:10 uint64:0
check "SetOverride of a knob this kernel lacks (no multi-gen LRU): NotAvailable" expect $E.NotAvailable root \
        $M.SetOverride string:lru_gen_min_ttl_ms uint64:1000 uint64:0
check "SetOverride of a tunable this kernel lacks: NotAvailable" expect $E.NotAvailable root $M.SetOverride \
        string:zone_reclaim_mode uint64:0 uint64:0
check "SetOverride above the kernel's range: OutOfRange" expect $E.OutOfRange root $M.SetOverride \
        string:swappiness uint64:201 uint64:0
check "SetOverride below the kernel's range: OutOfRange" expect $E.OutOfRange root $M.SetOverride \
        string:watermark_scale_factor uint64:0 uint64:0
check "SetOverride above the reserve cap: OutOfRange" expect $E.OutOfRange root $M.SetOverride \
        string:min_free_kbytes uint64:1234205 uint64:0
check "SetOverride of 2^64-1: OutOfRange" expect $E.OutOfRange root $M.SetOverride \
        string:swappiness uint64:18446744073709551615 uint64:0
check "SetOverride for longer than a year: OutOfRange" expect $E.OutOfRange root $M.SetOverride \
        string:swappiness uint64:10 uint64:31708800000001
check "SetOverride of '': InvalidArgument" expect $E.InvalidArgument root $M.SetOverride \
        string: uint64:10 uint64:0
check "SetOverride of a 65-byte name: InvalidArgument" expect $E.InvalidArgument root $M.SetOverride \
        "string:$LONG" uint64:10 uint64:0
check "SetOverride of a 10000-byte name: InvalidArgument" expect $E.InvalidArgument root $M.SetOverride \
        "string:$HUGE" uint64:10 uint64:0
check "SetOverride of a name with a control character: InvalidArgument" expect $E.InvalidArgument root \
        $M.SetOverride "string:swap$(printf '\t')piness" uint64:10 uint64:0
check "SetOverride of a name with an escape sequence: InvalidArgument" expect $E.InvalidArgument root \
        $M.SetOverride "string:$(printf '\033[2J')" uint64:10 uint64:0
check "SetOverride of a non-ASCII name: InvalidArgument" expect $E.InvalidArgument root $M.SetOverride \
        "string:swäppiness" uint64:10 uint64:0
check "SetOverride with a wrong signature: InvalidArgs" expect org.freedesktop.DBus.Error.InvalidArgs root \
        $M.SetOverride string:swappiness uint32:10 uint64:0
check "ClearOverride of an unknown tunable: UnknownTunable" expect $E.UnknownTunable root $M.ClearOverride \
        string:nope
check "ClearOverride of a name with a newline: InvalidArgument" expect $E.InvalidArgument root $M.ClearOverride \
        $'string:swap\npiness'
check "ClearOverride of a lone newline: InvalidArgument" expect $E.InvalidArgument root $M.ClearOverride \
        $'string:\n'
check "ClearOverride of a 10000-byte name: InvalidArgument" expect $E.InvalidArgument root $M.ClearOverride \
        "string:$HUGE"
check "SetMode bogus: InvalidArgument" expect $E.InvalidArgument root $M.SetMode string:bogus
check "SetMode of 10000 bytes: InvalidArgument" expect $E.InvalidArgument root $M.SetMode "string:$HUGE"
check "SetMode with a newline: InvalidArgument" expect $E.InvalidArgument root $M.SetMode $'string:enforce\n'
check "SetMode with an escape character: InvalidArgument" expect $E.InvalidArgument root $M.SetMode $'string:\033observe'
check "a property cannot be set: PropertyReadOnly" expect org.freedesktop.DBus.Error.PropertyReadOnly root \
        org.freedesktop.DBus.Properties.Set string:$M string:Mode variant:string:observe
check "the error message is clear" sh -c "busctl --address='$ADDR' call org.memtuned1 /org/memtuned1 $M SetOverride \
        stt swappiness 201 0 2>&1 | grep -qF 'vm.swappiness=201 is out of range; allowed: 0..200.'"
check "the reserve cap's message names it" sh -c "busctl --address='$ADDR' call org.memtuned1 /org/memtuned1 $M \
        SetOverride stt min_free_kbytes 99999999 0 2>&1 | grep -qF 'above the reserve cap of 1234204 (5% of RAM)'"
check "the policies' 128 kB floor holds for an override, with the unit" sh -c "busctl --address='$ADDR' call \
        org.memtuned1 /org/memtuned1 $M SetOverride stt min_free_kbytes 64 0 2>&1 | grep -qF \
        'vm.min_free_kbytes=64 kB is below the 128 kB floor (a plain number is kB: write 64M for 64 MiB)'"
after=$(snapshot)
check "nothing changed after the bad calls" test "$before" = "$after"
check "... and the daemon still answers" sh -c "busctl --address='$ADDR' call org.memtuned1 /org/memtuned1 \
        org.memtuned1.Manager Describe >/dev/null"

# Reload of a broken policy: PolicyRejected, the last good policy stays.
"$memtunectl" --bus-address="$ADDR" monitor --json >"$tmp/monitor.json" 2>&1 &
monpid=$!
wait_for 5 grep -q . "$tmp/monitor.json" 2>/dev/null || sleep 0.5
printf 'policy: { name = "broken"; };\ntunables: { swapiness: { mode = "fixed"; value = 20; }; };\n' \
        >"$tmp/policy/50-test.conf"
check "Reload of a broken policy: PolicyRejected" expect $E.PolicyRejected root $M.Reload
check "... the message carries FILE:LINE" sh -c "busctl --address='$ADDR' call org.memtuned1 /org/memtuned1 $M \
        Reload 2>&1 | grep -qF '$tmp/policy/50-test.conf:2:'"
check "... the last good policy stays" is_prop PolicyName 's "test"'
check "... PolicyError says why" sh -c "busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 $M \
        PolicyError | grep -qF '50-test.conf:2:'"
check "... memtunectl reload: exit 1" sh -c "! '$memtunectl' --bus-address='$ADDR' reload 2>/dev/null"
printf '%s\n' "$POLICY_TEXT" >"$tmp/policy/50-test.conf"
check "Reload of the fixed policy" expect ok root $M.Reload
check "... PolicyError is empty again" is_prop PolicyError 's ""'
check "PolicyReloaded(false, ...) was signalled" wait_for 3 \
        grep -q '"event":"PolicyReloaded","success":false,"policy":"test","error":"[^"]*50-test.conf:2:' \
        "$tmp/monitor.json"
check "PolicyReloaded(true, ...) was signalled" wait_for 3 \
        grep -q '"event":"PolicyReloaded","success":true,"policy":"test","error":null' "$tmp/monitor.json"
check "PropertiesChanged carried PolicyError" wait_for 3 grep -q '"changed":{"PolicyError":"' "$tmp/monitor.json"
bctl call org.memtuned1 /org/memtuned1 org.memtuned1.Manager ClearOverride s ""

# 6. The authorization matrix.
READ_MEMBERS=(
        "$M.Describe"
        "$M.ListProcesses uint32:5"
        "$M.GetDecisions uint32:5"
        "$M.GetIncidents uint32:5"
        "org.freedesktop.DBus.Properties.Get string:$M string:Tunables"
        "org.freedesktop.DBus.Properties.GetAll string:$M"
        "org.freedesktop.DBus.Introspectable.Introspect"
        "org.freedesktop.DBus.Peer.Ping"
)
reset_state() {
        bctl call org.memtuned1 /org/memtuned1 $M ClearOverride s "" &&
        bctl call org.memtuned1 /org/memtuned1 $M SetMode s ""
}
# Each privileged member: prepare (as root), the call, and whether its effect shows.
prep_SetOverride() { :; }
call_SetOverride() { echo "$M.SetOverride string:swappiness uint64:20 uint64:0"; }
done_SetOverride() { is_prop Overrides 'a(stt) 1 "swappiness" 20 0'; }
prep_ClearOverride() { bctl call org.memtuned1 /org/memtuned1 $M SetOverride stt swappiness 30 0; }
call_ClearOverride() { echo "$M.ClearOverride string:swappiness"; }
done_ClearOverride() { is_prop Overrides 'a(stt) 0'; }
prep_SetMode() { :; }
call_SetMode() { echo "$M.SetMode string:observe"; }
done_SetMode() { is_prop Mode 's "observe"'; }
prep_Reload() { reloads=$(count_logged "Reload() by uid"); }
call_Reload() { echo "$M.Reload"; }
done_Reload() { [ "$(count_logged "Reload() by uid")" -gt "$reloads" ]; }

sed 's|<deny send_destination="org.memtuned1"/>|<allow send_destination="org.memtuned1"/>|' "$OUR_POLICY" \
        >"$tmp/permissive.conf"
check "the permissive copy differs from our policy file" sh -c "! cmp -s '$OUR_POLICY' '$tmp/permissive.conf'"

for policy in ours permissive; do
        if [ $policy = ours ]; then use_policy "$OUR_POLICY" >/dev/null; else use_policy "$tmp/permissive.conf" >/dev/null; fi
        for pk in none deny allow; do
                stop_polkit
                [ $pk = none ] || start_polkit $pk
                for who in root nobody; do
                        cell="$policy policy, polkit $pk, $who"
                        for member in "${READ_MEMBERS[@]}"; do
                                # shellcheck disable=SC2086
                                check "$cell: ${member##*.} answers" expect ok $who $member
                        done
                        # Why() is read-only too; the fixture tree has no process.
                        check "$cell: Why answers" expect $E.NoSuchProcess $who $M.Why uint32:4000000
                        for m in SetOverride ClearOverride SetMode Reload; do
                                reset_state >/dev/null
                                prep_$m >/dev/null
                                if [ $who = root ]; then
                                        want=ok
                                elif [ $policy = ours ]; then
                                        want=org.freedesktop.DBus.Error.AccessDenied
                                elif [ $pk = allow ]; then
                                        want=ok
                                else
                                        want=$E.PermissionDenied
                                fi
                                before=$(snapshot)
                                # shellcheck disable=SC2046
                                check "$cell: $m -> $want" expect $want $who $(call_$m)
                                if [ $want = ok ]; then
                                        check "$cell: $m took effect" done_$m
                                else
                                        check "$cell: $m changed nothing" test "$before" = "$(snapshot)"
                                fi
                        done
                done
        done
done
check "polkit's yes is logged with the uid" logged "SetOverride() by uid 65534 (authorized by polkit)."
check "polkit's no is logged" logged "polkit denied SetOverride() to uid 65534."
check "no polkit is logged" logged "polkit did not answer for uid 65534 (org.freedesktop.DBus.Error.ServiceUnknown"
stop_polkit
reset_state >/dev/null

# 7. Read-only calls answer while a polkit query hangs (permissive policy still in force).
start_polkit hang-allow
dbus-send --bus="$ADDR" --print-reply --reply-timeout=20000 --dest=org.memtuned1 /org/memtuned1 \
        $M.SetMode string:observe >"$tmp/hang.out" 2>&1 &
hang1=$!
setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --bus="$ADDR" --print-reply --reply-timeout=20000 \
        --dest=org.memtuned1 /org/memtuned1 $M.SetOverride string:swappiness uint64:25 uint64:0 \
        >"$tmp/hang2.out" 2>&1 &
hang2=$!
check "the polkit query is pending" wait_for 5 sh -c "busctl --address='$ADDR' call $PK org.freedesktop.DBus.Mock \
        HaveHangingCalls | grep -qx 'b true'"
wait $hang1
check "root's SetMode went ahead without polkit" grep -q 'method return' "$tmp/hang.out"
start_s=$(date +%s%N)
for who in root nobody; do
        check "while polkit hangs: Describe answers $who" expect ok $who $M.Describe
        check "while polkit hangs: Get answers $who" expect ok $who org.freedesktop.DBus.Properties.Get \
                string:$M string:Overrides
        check "while polkit hangs: memtunectl status answers $who" \
                quiet as $who timeout 2 "$memtunectl" --bus-address="$ADDR" status
done
elapsed_ms=$(( ($(date +%s%N) - start_s) / 1000000 ))
check "... within 2 s all together (took ${elapsed_ms} ms)" test $elapsed_ms -lt 2000
check "... and the pending override has not been applied" is_prop Overrides 'a(stt) 0'
pkmock ReleaseHangingCalls >/dev/null
wait $hang2
check "once polkit answers yes, the pending call completes" grep -q 'method return' "$tmp/hang2.out"
check "... and takes effect" is_prop Overrides 'a(stt) 1 "swappiness" 25 0'
reset_state >/dev/null

# Pending authorizations are limited per uid (8), under the global cap (128):
# one uid holding its maximum does not make another uid's call fail.
stop_polkit
start_polkit hang-allow
floods=
for i in 1 2 3 4 5 6 7 8; do
        setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --bus="$ADDR" --print-reply \
                --reply-timeout=20000 --dest=org.memtuned1 /org/memtuned1 $M.SetOverride string:swappiness \
                uint64:27 uint64:0 >"$tmp/flood$i.out" 2>&1 &
        floods="$floods $!"
done
probe_limit() {
        setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --bus="$ADDR" --print-reply \
                --reply-timeout=1000 --dest=org.memtuned1 /org/memtuned1 $M.SetOverride string:swappiness \
                uint64:27 uint64:0 >"$tmp/probe.out" 2>&1
        grep -q "Error org.freedesktop.DBus.Error.LimitsExceeded" "$tmp/probe.out"
}
check "uid 65534 past its 8 pending authorizations: LimitsExceeded" wait_for 10 probe_limit
check "... the message names the uid and the limit" grep -qF \
        "Too many authorization requests of uid 65534 are pending (at most 8)" "$tmp/probe.out"
# Another user the bus daemon knows (it looks up each connection's groups).
other_uid=$(id -u daemon 2>/dev/null || echo 1)
setpriv --reuid="$other_uid" --regid="$other_uid" --clear-groups dbus-send --bus="$ADDR" --print-reply --reply-timeout=20000 \
        --dest=org.memtuned1 /org/memtuned1 $M.SetMode string:observe >"$tmp/other-uid.out" 2>&1 &
other=$!
sleep 0.5
check "... meanwhile uid $other_uid's call is not refused (it waits for polkit)" kill -0 $other
pkmock ReleaseHangingCalls >/dev/null
wait $other
check "... and completes once polkit answers" grep -q 'method return' "$tmp/other-uid.out"
# shellcheck disable=SC2086
wait $floods
# (a probe that timed out on its side may have taken one of the eight places)
check "... as do uid 65534's pending calls" sh -c "for f in '$tmp'/flood?.out; do \
        grep -q -e 'method return' -e LimitsExceeded \"\$f\" || exit 1; done; cat '$tmp'/flood?.out | \
        grep -q 'method return'"
reset_state >/dev/null
stop_polkit
start_polkit hang-deny
setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --bus="$ADDR" --print-reply --reply-timeout=20000 \
        --dest=org.memtuned1 /org/memtuned1 $M.SetOverride string:swappiness uint64:25 uint64:0 \
        >"$tmp/hang3.out" 2>&1 &
hang3=$!
wait_for 5 sh -c "busctl --address='$ADDR' call $PK org.freedesktop.DBus.Mock HaveHangingCalls | grep -qx 'b true'"
check "while a denial is pending, Describe answers" expect ok nobody $M.Describe
pkmock ReleaseHangingCalls >/dev/null
wait $hang3
check "once polkit answers no: PermissionDenied" grep -q "Error $E.PermissionDenied" "$tmp/hang3.out"
check "... and nothing changed" is_prop Overrides 'a(stt) 0'
# Stopping with a polkit query pending: a clean exit, the caller told.
setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --bus="$ADDR" --print-reply --reply-timeout=20000 \
        --dest=org.memtuned1 /org/memtuned1 $M.SetOverride string:swappiness uint64:25 uint64:0 \
        >"$tmp/hang4.out" 2>&1 &
hang4=$!
wait_for 5 sh -c "busctl --address='$ADDR' call $PK org.freedesktop.DBus.Mock HaveHangingCalls | grep -qx 'b true'"
start_s=$(date +%s%N)
stop_daemon TERM; rc=$?
check "stopping with a polkit query pending: exit 0" test $rc -eq 0
check "... at once" test $(( ($(date +%s%N) - start_s) / 1000000 )) -lt 3000
wait $hang4
check "... and the waiting caller gets an error, not a hang" grep -q '^Error ' "$tmp/hang4.out"
stop_polkit
use_policy "$OUR_POLICY" >/dev/null
start_daemon

# 8. An override expires on time and hands control back to the policy.
check "the policy's swappiness holds" wait_for 5 is_value swappiness 10
sleep 1.1    # the actuator writes a tunable at most once a second
t0=$(date +%s%N)
bctl call org.memtuned1 /org/memtuned1 $M SetOverride stt swappiness 33 1500000
t0_end=$(date +%s%N)
check "a 1.5 s override is written" wait_for 2 is_value swappiness 33
# the daemon reads its clock while the call is under way: the expiry lies
# 1.5 s after a moment between t0 and t0_end (10 ms for the clocks' grain),
# however long a loaded machine makes the call take
check "... its expiry is 1.5 s after the call, in CLOCK_REALTIME" sh -c "busctl --address='$ADDR' --json=short \
        get-property org.memtuned1 /org/memtuned1 $M Overrides | $PY -c 'import json,sys; \
        d=json.load(sys.stdin)[\"data\"][0]; e=d[2]*1000; \
        sys.exit(not ($t0 + 1.49e9 <= e <= $t0_end + 1.51e9))'"
sleep_until() { "$PY" -c "import sys, time; time.sleep(max(0, (int(sys.argv[1]) - time.time_ns()) / 1e9))" "$1"; }
sleep_until $((t0 + 1200000000))
check "... still in force at 1.2 s" sh -c "[ \"\$(cat '$tmp/proc/sys/vm/swappiness')\" = 33 ] && \
        busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 $M Overrides | grep -q swappiness"
check "... gone by 2.5 s: the policy's value is back" wait_for 2 is_value swappiness 10
t1=$(date +%s%N)
check "... within 2.5 s of setting it ($(( (t1 - t0) / 1000000 )) ms)" test $((t1 - t0)) -lt 2500000000
check "... the Overrides property is empty" is_prop Overrides 'a(stt) 0'
check "... the state file is gone" test ! -e "$tmp/state/overrides"
check "... the expiry is logged" logged "The override of vm.swappiness expired; the policy is in control again."
check "monitor saw TunableChanged swappiness 33 -> 10 (override expired)" wait_for 3 grep -q \
        '"event":"TunableChanged","name":"swappiness","old_value":33,"new_value":10,"source":"fixed","reason":"swappiness 33 -> 10: override expired' \
        "$tmp/monitor.json"
check "... once, as was the override's own (each decision is signalled once)" sh -c "[ \"\$(grep -c \
        '\"event\":\"TunableChanged\",\"name\":\"swappiness\",\"old_value\":10,\"new_value\":33,' \
        '$tmp/monitor.json')\" = 1 ] && [ \"\$(grep -c \
        '\"event\":\"TunableChanged\",\"name\":\"swappiness\",\"old_value\":33,\"new_value\":10,' \
        '$tmp/monitor.json')\" = 1 ]"
check "monitor saw PropertiesChanged Overrides [] " grep -q '"Overrides":\[\]' "$tmp/monitor.json"
check "monitor --json writes one JSON document per line" sh -c "while read -r l; do printf '%s' \"\$l\" | \
        $PY -c 'import json,sys; json.load(sys.stdin)' || exit 1; done <'$tmp/monitor.json'"
check "monitor --json prints no event with an empty changed object" sh -c "! grep -q '\"changed\":{}' '$tmp/monitor.json'"
kill $monpid; wait $monpid 2>/dev/null; monpid=

# 8b. A change returns once it is written: the actuator's one-second interval
# between writes does not delay an administrator (it made `set && sysctl`
# show the old value for up to a second).
for v in 21 22 23; do
        mctl set swappiness $v
        check "set swappiness $v: written when memtunectl returns" is_value swappiness $v
done
mctl reset swappiness
check "reset swappiness: the policy's value is written when memtunectl returns" is_value swappiness 10
mctl set swappiness 24 && mctl reset
check "reset (everything): written when memtunectl returns" is_value swappiness 10
mctl mode observe && mctl set swappiness 25 && mctl reset
check "mode observe, set, reset: the policy's value again at once" is_value swappiness 10
bctl call org.memtuned1 /org/memtuned1 $M SetOverride stt swappiness 26 0 >/dev/null
check "busctl SetOverride: written when the call returns" is_value swappiness 26
bctl call org.memtuned1 /org/memtuned1 $M ClearOverride s swappiness >/dev/null
check "busctl ClearOverride: written when the call returns" is_value swappiness 10

# 8c. A fixed tunable changed by someone else: the log says what happens (the
# new value is what is restored on stop; the fixed value is written again).
sleep 1.1
echo 55 >"$tmp/proc/sys/vm/swappiness"
mctl reload    # a tick, which notices the change
check "a change by someone else is logged with what follows" wait_for 3 logged \
        "vm.swappiness was set to 55 by someone else (memtuned expected 10); 55 is now the value restored on stop, and the policy's fixed value 10 is written again."
check "... and the fixed value is written again" wait_for 3 is_value swappiness 10
check "... the original shown is the new value" sh -c "busctl --address='$ADDR' get-property org.memtuned1 \
        /org/memtuned1 $M Tunables | grep -q '\"swappiness\" 10 55 10 \"fixed\"'"
sleep 1.1
echo 60 >"$tmp/proc/sys/vm/swappiness"   # back to the fixture's original, for what follows
mctl reload
check "... and so is the next one" wait_for 3 logged "vm.swappiness was set to 60 by someone else"
wait_for 3 is_value swappiness 10

# 8d. A change of the pressure level is logged once, as well as signalled.
printf 'some avg10=30.00 avg60=30.00 avg300=5.00 total=90000000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
        >"$tmp/proc/pressure/memory"
mctl reload    # a tick
check "a pressure level change is logged" wait_for 3 logged "Memory pressure none -> critical: "
mctl reload
check "... once" test "$(count_logged "Memory pressure none -> ")" -eq 1
printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=90000000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
        >"$tmp/proc/pressure/memory"

# 9. A restart keeps the unexpired overrides (SIGTERM and SIGKILL).
bctl call org.memtuned1 /org/memtuned1 $M SetOverride stt min_free_kbytes 70000 0
bctl call org.memtuned1 /org/memtuned1 $M SetOverride stt swappiness 44 60000000
bctl call org.memtuned1 /org/memtuned1 $M SetOverride stt watermark_scale_factor 20 1000000
overrides_before=$(getp Overrides)
stop_daemon TERM; rc=$?
check "SIGTERM exits 0 (with overrides set)" test $rc -eq 0
check "... the originals are restored" sh -c "[ \"\$(cat '$tmp/proc/sys/vm/swappiness')\" = 60 ] && \
        [ \"\$(cat '$tmp/proc/sys/vm/min_free_kbytes')\" = 67584 ]"
check "... the overrides are kept on disk" test "$(wc -l <"$tmp/state/overrides")" -eq 3
sleep 1.1
check "restart" start_daemon
check "... keeps the unexpired overrides, with their deadlines" sh -c "$PY - '$overrides_before' \
        \"\$(busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 $M Overrides)\" <<'EOF'
import sys
a, b = sys.argv[1].split(), sys.argv[2].split()
# a(stt) 3 \"min_free_kbytes\" 70000 0 \"watermark_scale_factor\" 20 T \"swappiness\" 44 T
exp = {a[i]: (a[i + 1], int(a[i + 2])) for i in range(2, len(a), 3)}
got = {b[i]: (b[i + 1], int(b[i + 2])) for i in range(2, len(b), 3)}
ok = b[1] == '2' and got['\"min_free_kbytes\"'] == ('70000', 0) and got['\"swappiness\"'][0] == '44' \
    and abs(got['\"swappiness\"'][1] - exp['\"swappiness\"'][1]) < 10000 and '\"watermark_scale_factor\"' not in got
sys.exit(0 if ok else 1)
EOF"
check "... says one expired meanwhile" logged "1 override expired while memtuned was not running."
check "... and applies them again" wait_for 3 sh -c "[ \"\$(cat '$tmp/proc/sys/vm/swappiness')\" = 44 ] && \
        [ \"\$(cat '$tmp/proc/sys/vm/min_free_kbytes')\" = 70000 ]"
check "... the expired one is not applied" is_value watermark_scale_factor 10
stop_daemon KILL
check "after SIGKILL" start_daemon
check "... the overrides are still there" sh -c "busctl --address='$ADDR' get-property org.memtuned1 /org/memtuned1 \
        $M Overrides | grep -q '^a(stt) 2 \"min_free_kbytes\" 70000 0 \"swappiness\" 44 '"
check "... and the true originals are remembered" sh -c "busctl --address='$ADDR' get-property org.memtuned1 \
        /org/memtuned1 $M Tunables | grep -q '\"swappiness\" 44 60 44 \"override\"'"
stop_daemon TERM
check "... and restored on stop" is_value swappiness 60
printf 'swappiness lots\n' >"$tmp/state/overrides"
check "a corrupt overrides file" start_daemon
check "... is reported" logged "The overrides file '$tmp/state/overrides' was corrupt"
check "... moved aside" test -e "$tmp/state/overrides.corrupt"
check "... and no override is in force" is_prop Overrides 'a(stt) 0'
printf 'swappiness 500 infinity\n' >"$tmp/state/overrides"
stop_daemon TERM
start_daemon
check "a saved override now out of range is dropped" logged "Dropping a saved override: vm.swappiness=500 is out of range"
check "... with nothing in force" is_prop Overrides 'a(stt) 0'
stop_daemon TERM

# 10. --observe: the mode from the command line cannot be lifted over the bus.
check "start with --observe" start_daemon --observe
check "... Mode observe from the command line" sh -c "[ \"\$(busctl --address='$ADDR' get-property org.memtuned1 \
        /org/memtuned1 $M Mode ModeSource | tr '\n' ' ')\" = 's \"observe\" s \"command-line\" ' ]"
check "... SetMode enforce: ObserveOnly" expect $E.ObserveOnly root $M.SetMode string:enforce
check "... nothing is written" is_value swappiness 60
stop_daemon TERM

# 11. Losing the bus stops the daemon with an error, and it restores.
start_daemon
check "before the bus goes away, the policy is applied" wait_for 5 is_value swappiness 10
stop_bus
wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid" 2>/dev/null; rc=$?; pid=
check "losing the bus: exit 1" test $rc -eq 1
check "... says so" logged "Lost the connection to the bus; stopping."
check "... and restores the original" is_value swappiness 60

# 12. Process rules on this machine's real /proc: ProcessAdjusted, and
# ListProcesses with the rule. The machine's vm sysctls are protected as in
# tests/test-daemon-procs.sh: a private mount namespace with a copy of
# /proc/sys/vm bound over the real one, and a policy that manages no tunable.
if unshare -m true 2>/dev/null; then
        start_bus "$OUR_POLICY"
        cp /bin/sleep "$tmp/mtbvictim"
        mkdir -p "$tmp/procs-policy" "$tmp/vm"
        cp /proc/sys/vm/* "$tmp/vm/" 2>/dev/null
        cat >"$tmp/procs-policy/50-procs.conf" <<'CONF'
policy: { name = "procs"; };
processes: ( { name = "victim-first"; match = { comm = "mtbvictim"; }; oom_score_adj = 500; } );
CONF
        "$memtunectl" --bus-address="$ADDR" monitor --json >"$tmp/monitor2.json" 2>&1 &
        monpid=$!
        : >"$tmp/log"
        unshare -m bash -c 'mount --bind "$1" /proc/sys/vm && shift && exec "$@"' _ "$tmp/vm" \
                "$memtuned" --policy-dir "$tmp/procs-policy" --state-dir "$tmp/state2" --bus "$ADDR" \
                >>"$tmp/log" 2>&1 &
        pid=$!
        check "on the real /proc: memtuned serves the bus" wait_for 10 logged "Serving org.memtuned1 on the bus."
        "$tmp/mtbvictim" 300 &
        victim=$!
        check "a rule sets a new process's oom_score_adj" wait_for 15 sh -c "[ \"\$(cat /proc/$victim/oom_score_adj)\" = 500 ]"
        check "ProcessAdjusted(pid, comm, 0, 500, rule) was signalled" wait_for 5 grep -q \
                "\"event\":\"ProcessAdjusted\",\"pid\":$victim,\"comm\":\"mtbvictim\",\"old_oom_score_adj\":0,\"new_oom_score_adj\":500,\"rule\":\"victim-first\"" \
                "$tmp/monitor2.json"
        check "ListProcesses: the process with its score, the kernel's, and the rule" sh -c "busctl --address='$ADDR' \
                --json=short call org.memtuned1 /org/memtuned1 $M ListProcesses u 0 | $PY -c 'import json,sys; \
                rows=[r for r in json.load(sys.stdin)[\"data\"][0] if r[0]==$victim]; \
                sys.exit(not (len(rows)==1 and rows[0][1]==\"mtbvictim\" and rows[0][4]==500 and \
                abs(rows[0][6]-rows[0][7]) <= 2 and rows[0][8]==\"victim-first\"))'"
        check "ListProcesses(1) returns one process" sh -c "[ \"\$(busctl --address='$ADDR' call org.memtuned1 \
                /org/memtuned1 $M ListProcesses u 1 | awk '{print \$2}')\" = 1 ]"
        check "memtunectl processes shows the rule" sh -c "'$memtunectl' --bus-address='$ADDR' processes | \
                grep -qE '^ *$victim mtbvictim .* victim-first\$'"
        # Someone changes the score by hand: the rule is shown as not in force.
        echo 0 >/proc/$victim/oom_score_adj
        sleep 1.1    # ListProcesses answers from a list at most a second old
        check "ListProcesses: a score changed by hand shows the rule overridden" sh -c "busctl --address='$ADDR' \
                --json=short call org.memtuned1 /org/memtuned1 $M ListProcesses u 0 | $PY -c 'import json,sys; \
                rows=[r for r in json.load(sys.stdin)[\"data\"][0] if r[0]==$victim]; \
                sys.exit(not (rows[0][4]==0 and rows[0][8]==\"victim-first (overridden: adj 0)\"))'"
        check "memtunectl processes --json names the points 'points'" sh -c "'$memtunectl' --bus-address='$ADDR' \
                processes --json | $PY -c 'import json,sys; d=json.load(sys.stdin); sys.exit(\"points\" not in d[0])'"
        # Issue 18: why PID, read-only like ListProcesses, and a userspace
        # SIGKILL that is no OOM kill.
        "$memtunectl" --bus-address="$ADDR" why "$victim" >"$tmp/why.txt" 2>&1
        check "memtunectl why: the rule, and that someone changed its score" \
                grep -qx "Rule: rule 'victim-first' set oom_score_adj 500, but someone changed it since to 0." "$tmp/why.txt"
        check "memtunectl why: the badness terms, both scores, the rank" sh -c "grep -q '^  rss ' '$tmp/why.txt' && \
                grep -q '^oom_score: memtuned [0-9]*, kernel [0-9]*\$' '$tmp/why.txt' && grep -Eq '^Rank: [0-9]+ of [0-9]+' '$tmp/why.txt'"
        as nobody busctl --address="$ADDR" --json=short call org.memtuned1 /org/memtuned1 $M Why u "$victim" \
                >"$tmp/why.json" 2>&1
        check "Why as nobody: the text and the JSON" sh -c "$PY -c 'import json,sys; d=json.load(sys.stdin)[\"data\"]; \
                j=json.loads(d[1]); sys.exit(not (j[\"pid\"]==$victim and j[\"comm\"]==\"mtbvictim\" and \"Rank:\" in d[0]))' \
                <'$tmp/why.json'"
        check "memtunectl why of no process: exit 1, says so" sh -c "! '$memtunectl' --bus-address='$ADDR' why 2147483647 \
                2>'$tmp/why.err' && grep -qx 'Failed to explain the process: No process 2147483647.' '$tmp/why.err'"
        check "Why(0): InvalidArgument" sh -c "busctl --address='$ADDR' call org.memtuned1 /org/memtuned1 $M Why u 0 2>&1 | \
                grep -q 'Not a process id: 0.'"
        check "memtunectl why with a bad PID: usage, exit 2" sh -c "'$memtunectl' --bus-address='$ADDR' why abc 2>'$tmp/why.err'; \
                [ \$? = 2 ] && grep -qx \"Invalid PID (expected a process id from 1 to 2147483647) 'abc'.\" '$tmp/why.err'"
        # A thread's id: /proc/TID answers, but it is no process.
        $PY -c 'import threading, time; threading.Thread(target=time.sleep, args=(300,), daemon=True).start(); time.sleep(300)' &
        threaded=$!
        wait_for 5 sh -c "[ \$(ls /proc/$threaded/task | wc -l) -ge 2 ]"
        tid=$(ls /proc/$threaded/task | grep -vx "$threaded" | head -n1)
        check "memtunectl why of a thread's id: exit 1, says so" sh -c "! '$memtunectl' --bus-address='$ADDR' why $tid \
                2>'$tmp/why.err' && grep -qx 'Failed to explain the process: $tid is a thread, not a process.' '$tmp/why.err'"
        kill "$threaded"
        wait "$threaded" 2>/dev/null
        kill -9 "$victim"
        wait "$victim" 2>/dev/null
        sleep 1.5
        check "a userspace SIGKILL is no OOM incident: GetIncidents is empty" sh -c "busctl --address='$ADDR' call \
                org.memtuned1 /org/memtuned1 $M GetIncidents u 0 | grep -qx 'a(ttusssssuss) 0'"
        check "... memtunectl incidents says so" sh -c "'$memtunectl' --bus-address='$ADDR' incidents | grep -qx 'No OOM kills recorded.'"
        check "... and no OomKill was signalled" sh -c "! grep -q OomKill '$tmp/monitor2.json'"
        stop_daemon TERM
        kill "$victim" "$monpid" 2>/dev/null; wait "$victim" "$monpid" 2>/dev/null; monpid=
        stop_bus
else
        echo "# skipped the process rules on the real /proc: no mount namespace here"
fi

echo "# $passed passed"
exit $fail
