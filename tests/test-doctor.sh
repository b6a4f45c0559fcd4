#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# memtunectl doctor (issue 20) on fixture roots (--root: DIR/etc, DIR/proc,
# DIR/sys). Without the daemon: it says so, names each knob's owner, the
# peers, PSI and MGLRU, and exits 1 on a conflict (sysctl.d and TuneD
# disagreeing, two userspace OOM killers), 0 without one; --json says the
# same. With the daemon on a private bus (root and dbus-daemon, else those
# checks are skipped): its states (owned-elsewhere, backed-off after a
# fight) and notes come through GetOwners().
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
make_tmp
buspid= writer=
on_exit() {
        for p in $writer $buspid; do kill "$p" 2>/dev/null; done
        if [ -n "${KEEP_LOG:-}" ]; then cp "$tmp/log" /tmp/test-doctor.last.log 2>/dev/null; fi
}

ADDR="unix:path=$tmp/system_bus_socket"
NOBUS="unix:path=$tmp/no-such-bus"
doctor() { "$memtunectl" --bus-address="${BUS:-$NOBUS}" doctor --root "$tmp" "$@" 2>"$tmp/doctor.err"; }

fresh() {
        reset_tree
        rm -rf "$tmp/etc" "$tmp/usr" "$tmp/sys"
        mkdir -p "$tmp/etc/sysctl.d" "$tmp/sys/kernel/mm/lru_gen"
        echo 0x0007 >"$tmp/sys/kernel/mm/lru_gen/enabled"
}
fake_process() { # pid comm cgroup argv0
        mkdir -p "$tmp/proc/$1"
        echo "$2" >"$tmp/proc/$1/comm"
        echo "0::$3" >"$tmp/proc/$1/cgroup"
        printf '%s\0' "$4" >"$tmp/proc/$1/cmdline"
}

# 1. No daemon, sysctl.d owns swappiness, nothing disagrees: exit 0.
fresh
printf 'vm.swappiness = 10\n' >"$tmp/etc/sysctl.d/60-swap.conf"
out=$(doctor); rc=$?
check "no conflict: exit 0 ($rc)" test $rc -eq 0
check "it says the daemon is not reachable" grep -q "^memtuned: not reachable (.*); what follows is read from this host only.$" <<<"$out"
check "the owner and its file" grep -qE "^swappiness +60 +- +sysctl.d +/etc/sysctl.d/60-swap.conf:1 = 10$" <<<"$out"
check "an unowned knob" grep -qE "^min_free_kbytes +67584 +- +- *$" <<<"$out"
check "PSI" grep -qx "PSI: available (/proc/pressure/memory)" <<<"$out"
check "MGLRU" grep -qx "MGLRU: enabled (0x0007)" <<<"$out"
check "no conflicts" grep -qx "No conflicts." <<<"$out"

# 2. TuneD (enabled) sets another value; earlyoom and systemd-oomd both run;
#    a pod's process; a broken sysctl.d line: exit 1, every conflict named.
mkdir -p "$tmp/etc/tuned" "$tmp/usr/lib/tuned/tp" "$tmp/etc/systemd/system/multi-user.target.wants"
echo tp >"$tmp/etc/tuned/active_profile"
printf '[sysctl]\nvm.swappiness = 30\n' >"$tmp/usr/lib/tuned/tp/tuned.conf"
ln -s /lib/systemd/system/tuned.service "$tmp/etc/systemd/system/multi-user.target.wants/"
printf 'not an assignment\n' >"$tmp/etc/sysctl.d/70-broken.conf"
fake_process 500 earlyoom /system.slice/earlyoom.service /usr/bin/earlyoom
fake_process 501 systemd-oomd /system.slice/systemd-oomd.service /lib/systemd/systemd-oomd
fake_process 502 pause /kubepods/besteffort/pod1/c1 /pause
rm -rf "$tmp/sys/kernel/mm/lru_gen"
rm -f "$tmp/proc/pressure/memory"
out=$(doctor); rc=$?
check "conflicts: exit 1 ($rc)" test $rc -eq 1
check "sysctl.d against TuneD" grep -qF "vm.swappiness: sysctl.d sets 10 (/etc/sysctl.d/60-swap.conf:1) and TuneD's profile 30 (/usr/lib/tuned/tp/tuned.conf:2); TuneD's reapply_sysctl makes the value flip when tuned starts" <<<"$out"
check "two OOM killers" grep -qF "2 userspace OOM killers run (earlyoom, systemd-oomd): each kills on its own thresholds" <<<"$out"
check "TuneD's other value is shown" grep -qF "also TuneD: /usr/lib/tuned/tp/tuned.conf:2 = 30" <<<"$out"
check "the profile" grep -qx "TuneD: profile tp, applied (tuned runs or is enabled)" <<<"$out"
check "the peers and pods" grep -qx "Peers: earlyoom (PID 500), systemd-oomd (PID 501); 1 process in kubelet pods" <<<"$out"
check "the broken line names its file and line" grep -qx "error: /etc/sysctl.d/70-broken.conf:1: line is not an assignment (KEY = VALUE), ignoring it" <<<"$out"
check "no PSI" grep -qx "PSI: not available: memtuned samples on a timer only" <<<"$out"
check "no MGLRU" grep -qx "MGLRU: not built in" <<<"$out"
json=$(doctor --json); rc=$?
check "--json: exit 1 ($rc)" test $rc -eq 1
check "--json says the same" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["daemon_running"] is False, d
k = {x["name"]: x for x in d["knobs"]}
assert k["swappiness"]["owner"] == "sysctl.d", k
assert k["swappiness"]["sysctl_d"] == {"file": "/etc/sysctl.d/60-swap.conf", "line": 1, "value": "10"}, k
assert k["swappiness"]["tuned"]["value"] == "30", k
assert k["min_free_kbytes"]["owner"] is None and k["min_free_kbytes"]["current"] == "67584", k
assert d["tuned_profile"] == "tp" and d["tuned_active"] is True, d
assert [p["name"] for p in d["peers"]] == ["earlyoom", "systemd-oomd"], d
assert d["kubepods_processes"] == 1 and d["psi"] is False and d["mglru"] == "not built in", d
assert len(d["conflicts"]) == 2, d
assert d["errors"] == ["/etc/sysctl.d/70-broken.conf:1: line is not an assignment (KEY = VALUE), ignoring it"], d
' "$json"

# 3. Usage errors.
"$memtunectl" status --root "$tmp" >/dev/null 2>"$tmp/err"; rc=$?
check "--root goes with doctor only ($rc)" test $rc -eq 2
check "... and says so" grep -qx -- "--root goes with doctor only." "$tmp/err"
"$memtunectl" doctor extra >/dev/null 2>"$tmp/err"; rc=$?
check "doctor takes no argument ($rc)" test $rc -eq 2
check "... and says so" grep -qx "Unexpected argument 'extra'." "$tmp/err"
"$memtunectl" doctor --root "$tmp/none" >/dev/null 2>"$tmp/err"; rc=$?
check "a missing root fails ($rc)" test $rc -eq 1
check "... naming it" grep -qx "Failed to open the root directory '$tmp/none': No such file or directory" "$tmp/err"

# 4. With the daemon on a private bus: its states and notes.
if [ "$(id -u)" -ne 0 ] || ! command -v dbus-daemon >/dev/null; then
        echo "SKIP (part) - the daemon on a private bus needs root and dbus-daemon"
        exit $fail
fi
mkdir -p "$tmp/system.d" && cp "$top_srcdir/dbus/org.memtuned1.conf" "$tmp/system.d/"
sed "s|@DIR@|$tmp|g" "$top_srcdir/tests/bus/system.conf.in" >"$tmp/bus.conf"
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nosyslog >"$tmp/dbus.log" 2>&1 &
buspid=$!
wait_for 5 busctl --address="$ADDR" list >/dev/null 2>&1 || hard_error "the private bus did not start"

fresh
printf 'vm.swappiness = 10\n' >"$tmp/etc/sysctl.d/60-swap.conf"
printf 'policy: { name = "doctor"; };
tunables: { swappiness: { mode = "fixed"; value = 30; };
  watermark_scale_factor: { mode = "fixed"; value = 150; }; };
thresholds: { sample_interval_min = "100ms"; sample_interval_max = "500ms"; };\n' >"$tmp/policy/50-test.conf"
: >"$tmp/log"
"$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus "$ADDR" \
        >>"$tmp/log" 2>&1 &
pid=$!
check "daemon serves the bus" wait_for 5 logged "Serving org.memtuned1 on the bus."
out=$(BUS=$ADDR doctor); rc=$?
check "with the daemon: exit 0 ($rc)" test $rc -eq 0
check "it says the daemon runs" grep -qx "memtuned: running; the states below are its own." <<<"$out"
check "the daemon's state for the owned knob" grep -qE "^swappiness +60 +owned-elsewhere +sysctl.d +/etc/sysctl.d/60-swap.conf:1 = 10$" <<<"$out"
check "... and why" grep -qx "    left to sysctl.d (/etc/sysctl.d/60-swap.conf:1 sets 10); take_over = true in the policy takes it over" <<<"$out"
check "the managed knob" grep -qE "^watermark_scale_factor +150 +managed +- *$" <<<"$out"
check "an unmanaged knob" grep -qE "^zone_reclaim_mode +0 +unmanaged +- *$" <<<"$out"
check "busctl sees GetOwners" sh -c "busctl --address='$ADDR' call org.memtuned1 /org/memtuned1 org.memtuned1.Manager GetOwners | grep -q 'owned-elsewhere'"

# A fight: the daemon backs off, doctor names it and exits 1.
wait_for 5 is_value watermark_scale_factor 150
(while :; do echo 10 >"$tmp/proc/sys/vm/watermark_scale_factor"; sleep 0.2; done) &
writer=$!
check "the daemon backs off" wait_for 20 logged "vm.watermark_scale_factor: backed off"
kill "$writer"; wait "$writer" 2>/dev/null; writer=
out=$(BUS=$ADDR doctor); rc=$?
check "after the fight: exit 1 ($rc)" test $rc -eq 1
check "the backed-off state" grep -qE "^watermark_scale_factor +10 +backed-off +- *$" <<<"$out"
check "the fight is a conflict" grep -qF "vm.watermark_scale_factor: memtuned and another tool fought over it: backed off: changed from outside 3 times within 10 min (last to 10, by an unknown writer)" <<<"$out"
json=$(BUS=$ADDR doctor --json)
check "--json with the daemon" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["daemon_running"] is True, d
k = {x["name"]: x for x in d["knobs"]}
assert k["watermark_scale_factor"]["state"] == "backed-off", k
assert k["swappiness"]["state"] == "owned-elsewhere" and k["swappiness"]["owner"] == "sysctl.d", k
assert len(d["conflicts"]) == 1, d
' "$json"
stop_daemon TERM

exit $fail
