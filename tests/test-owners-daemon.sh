#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 20 on a fixture tree: the configuration root is the directory above
# --proc-root ($tmp), so $tmp/etc/sysctl.d and $tmp/etc/tuned are the host's.
# A knob sysctl.d or TuneD sets is never written unless the policy takes it
# over, and a reload that drops take_over hands it back; --once and its JSON
# name the owners and the peers; a loop that rewrites a managed knob makes
# memtuned back off after 3 changes; a sysctl.d file that appears while it
# runs is never written over; hostile files and a TuneD include loop are
# named with file and line and change nothing else.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
make_tmp
writer=
on_exit() {
        if [ -n "$writer" ]; then kill "$writer" 2>/dev/null; fi
        if [ -n "${KEEP_LOG:-}" ]; then cp "$tmp/log" /tmp/test-owners-daemon.last.log; fi
}

start_daemon() { # extra args...
        : >"$tmp/log"
        "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none "$@" >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 logged "memtuned running"
}

policy() { # file name, text
        printf '%s\n' "$2" >"$tmp/policy/$1.tmp" && mv "$tmp/policy/$1.tmp" "$tmp/policy/$1"
}

fresh() {
        reset_tree
        rm -rf "$tmp/etc" "$tmp/usr"
        mkdir -p "$tmp/etc/sysctl.d"
}

FAST='thresholds: { sample_interval_min = "100ms"; sample_interval_max = "500ms"; };'

# 1. sysctl.d sets swappiness: a fixed policy leaves it alone, says why,
#    and writes the knob no one else sets.
fresh
printf 'vm.swappiness = 10\n' >"$tmp/etc/sysctl.d/60-swap.conf"
policy 50-test.conf "tunables: { swappiness: { mode = \"fixed\"; value = 30; };
  watermark_scale_factor: { mode = \"fixed\"; value = 150; }; }; $FAST"
check "daemon starts" start_daemon
check "the owner is logged" logged "vm.swappiness: left to sysctl.d (/etc/sysctl.d/60-swap.conf:1 sets 10); take_over = true in the policy takes it over."
check "the knob no one else sets is written" wait_for 5 is_value watermark_scale_factor 150
sleep 1.5
check "swappiness is never written" is_value swappiness 60
check "no decision for swappiness" test "$(count_logged 'swappiness 60 ->')" -eq 0
check "no original kept for swappiness" sh -c "! grep -q '^swappiness' '$tmp/state/originals'"

# 2. A reload that adds take_over = true: memtuned wins and says so.
policy 50-test.conf "tunables: { swappiness: { mode = \"fixed\"; value = 30; take_over = true; }; }; $FAST"
kill -HUP "$pid"
check "take_over is logged" wait_for 5 logged "vm.swappiness: taken over from sysctl.d (/etc/sysctl.d/60-swap.conf:1 sets 10): the policy says take_over = true."
check "swappiness is written when taken over" wait_for 5 is_value swappiness 30

# 3. take_over off again (a reload): the knob goes back to what memtuned
#    found, and is left alone from then on.
policy 50-test.conf "tunables: { swappiness: { mode = \"fixed\"; value = 30; }; }; $FAST"
kill -HUP "$pid"
check "handed back on reload" wait_for 5 is_value swappiness 60
sleep 1
check "and left alone" is_value swappiness 60
stop_daemon TERM
check "stop exits 0" test $? -eq 0

# 4. TuneD's active profile (included profile, tuned enabled) owns
#    min_free_kbytes; a running earlyoom and a pod's process are named.
fresh
mkdir -p "$tmp/etc/tuned" "$tmp/usr/lib/tuned/hpc" "$tmp/usr/lib/tuned/base" \
        "$tmp/etc/systemd/system/multi-user.target.wants"
echo hpc >"$tmp/etc/tuned/active_profile"
printf '[main]\ninclude=base\n[sysctl]\nvm.swappiness=10\n' >"$tmp/usr/lib/tuned/hpc/tuned.conf"
printf '[sysctl]\nvm.min_free_kbytes=135168\n' >"$tmp/usr/lib/tuned/base/tuned.conf"
ln -s /lib/systemd/system/tuned.service "$tmp/etc/systemd/system/multi-user.target.wants/tuned.service"
mkdir -p "$tmp/proc/4242" "$tmp/proc/4343"
echo earlyoom >"$tmp/proc/4242/comm"
printf '/usr/bin/earlyoom\0-r\0' >"$tmp/proc/4242/cmdline"
echo '0::/system.slice/earlyoom.service' >"$tmp/proc/4242/cgroup"
echo pause >"$tmp/proc/4343/comm"
printf '/pause\0' >"$tmp/proc/4343/cmdline"
echo '0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-1.scope' \
        >"$tmp/proc/4343/cgroup"
policy 50-test.conf "tunables: { min_free_kbytes: { mode = \"fixed\"; value = \"100M\"; }; }; $FAST"
check "daemon starts with TuneD" start_daemon
check "TuneD's knob is left to it" logged "vm.min_free_kbytes: left to TuneD (/usr/lib/tuned/base/tuned.conf:2 sets 135168)"
check "earlyoom is named" logged "earlyoom runs (PID 4242)"
check "the pod's process is counted" logged "1 process in kubelet's pods"
sleep 1
check "min_free_kbytes is never written" is_value min_free_kbytes 67584
stop_daemon TERM

out=$("$memtuned" --once --interval 0.1 --proc-root "$tmp/proc" --policy-dir "$tmp/policy" 2>&1)
check "--once names the owner" grep -qF "min_free_kbytes          owned-elsewhere  TuneD /usr/lib/tuned/base/tuned.conf:2 = 135168" <<<"$out"
check "--once names the profile" grep -qF "TuneD profile: hpc (applied)" <<<"$out"
check "--once names the peers" grep -qF "Peers: earlyoom (PID 4242); 1 process in kubelet pods" <<<"$out"
check "--once plans no write for it" grep -qE "min_free_kbytes +67584 -> 67584 +none" <<<"$out"
json=$("$memtuned" --once --json --interval 0.1 --proc-root "$tmp/proc" --policy-dir "$tmp/policy" 2>&1)
check "--once --json has the owners" $PY -c '
import json, sys
o = json.loads(sys.argv[1])["owners"]
k = {x["name"]: x for x in o["knobs"]}
assert k["min_free_kbytes"]["owner"] == "TuneD", k
assert k["min_free_kbytes"]["state"] == "owned-elsewhere", k
assert k["min_free_kbytes"]["tuned"]["value"] == "135168", k
assert k["swappiness"]["state"] == "unmanaged", k
assert o["tuned_profile"] == "hpc" and o["tuned_active"] is True, o
assert o["peers"] == [{"name": "earlyoom", "pid": 4242}], o
assert o["kubepods_processes"] == 1, o
' "$json"

# 5. A fight: a loop rewrites a managed knob every 0.2 s. memtuned backs off
#    after 3 outside changes and writes it no more.
fresh
policy 50-test.conf "tunables: { watermark_scale_factor: { mode = \"fixed\"; value = 150; }; }; $FAST"
check "daemon starts for the fight" start_daemon
check "the knob is written" wait_for 5 is_value watermark_scale_factor 150
(while :; do echo 10 >"$tmp/proc/sys/vm/watermark_scale_factor"; sleep 0.2; done) &
writer=$!
check "memtuned backs off" wait_for 20 logged "vm.watermark_scale_factor: backed off: changed from outside 3 times within 10 min (last to 10, by an unknown writer); left to that tool until the next reload; memtuned stops writing it."
writes=$(count_logged "watermark_scale_factor 10 -> 150")
check "at most 3 writes against the loop ($writes)" test "$writes" -le 3
sleep 2
check "no write after backing off" test "$(count_logged 'watermark_scale_factor 10 -> 150')" -eq "$writes"
kill "$writer"; wait "$writer" 2>/dev/null; writer=
check "the value stays the loop's" is_value watermark_scale_factor 10
stop_daemon TERM
check "stop exits 0 after backing off" test $? -eq 0

# 6. A sysctl.d file that appears while memtuned runs, applied by
#    `sysctl --system`: the knob is left to it with no write over it.
fresh
policy 50-test.conf "tunables: { swappiness: { mode = \"fixed\"; value = 30; }; }; $FAST"
check "daemon starts before the file" start_daemon
check "swappiness is managed" wait_for 5 is_value swappiness 30
printf 'vm.swappiness = 10\n' >"$tmp/etc/sysctl.d/60-swap.conf"
echo 10 >"$tmp/proc/sys/vm/swappiness"
check "the new owner is found" wait_for 5 logged "vm.swappiness: left to sysctl.d (/etc/sysctl.d/60-swap.conf:1 sets 10)"
check "the change is not written over" test "$(count_logged 'swappiness 10 -> 30')" -eq 0
sleep 1.5
check "swappiness stays sysctl.d's" is_value swappiness 10
check "still no write" test "$(count_logged 'swappiness 10 ->')" -eq 0
stop_daemon TERM

# 7. A hostile sysctl.d file names itself and changes nothing else.
fresh
printf 'vm.swappiness = 10\n\0\1\2' >"$tmp/etc/sysctl.d/10-binary.conf"
printf 'vm.min_free_kbytes = 90112\n' >"$tmp/etc/sysctl.d/20-ok.conf"
head -c 1048577 /dev/zero >"$tmp/etc/sysctl.d/30-huge.conf"
policy 50-test.conf "tunables: { swappiness: { mode = \"fixed\"; value = 30; };
  min_free_kbytes: { mode = \"fixed\"; value = \"100M\"; }; }; $FAST"
check "daemon starts beside hostile files" start_daemon
check "the binary file is named" logged "/etc/sysctl.d/10-binary.conf:2: contains a NUL byte, not a text file; ignoring the file"
check "the huge file is named" logged "/etc/sysctl.d/30-huge.conf: too large (1048577 bytes, at most 1048576); ignoring it"
check "the good file still owns its knob" logged "vm.min_free_kbytes: left to sysctl.d (/etc/sysctl.d/20-ok.conf:1 sets 90112)"
check "the binary file's knob is managed" wait_for 5 is_value swappiness 30
stop_daemon TERM

# 8. TuneD profiles that include each other: the loop is named with file and
#    line, and what the profiles set still counts.
fresh
mkdir -p "$tmp/etc/tuned" "$tmp/usr/lib/tuned/a" "$tmp/usr/lib/tuned/b" "$tmp/etc/systemd/system/multi-user.target.wants"
echo a >"$tmp/etc/tuned/active_profile"
printf '[main]\ninclude=b\n[sysctl]\nvm.swappiness=5\n' >"$tmp/usr/lib/tuned/a/tuned.conf"
printf '[main]\ninclude=a\n' >"$tmp/usr/lib/tuned/b/tuned.conf"
ln -s /lib/systemd/system/tuned.service "$tmp/etc/systemd/system/multi-user.target.wants/tuned.service"
policy 50-test.conf "tunables: { swappiness: { mode = \"fixed\"; value = 30; }; }; $FAST"
check "daemon starts beside an include loop" start_daemon
check "the loop is named with file and line" logged "/usr/lib/tuned/b/tuned.conf:2: include loop a -> b -> a; not followed"
check "the profile still owns swappiness" logged "vm.swappiness: left to TuneD (/usr/lib/tuned/a/tuned.conf:4 sets 5)"
sleep 1
check "swappiness is not written" is_value swappiness 60
stop_daemon TERM

exit $fail
