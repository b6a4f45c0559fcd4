#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole daemon on a writable copy of a captured /proc tree: writes,
# skipped no-op writes, observe mode, restore on SIGTERM, SIGKILL then restart
# restores the true originals, a change behind its back, reload on SIGHUP and
# on file changes, and a rejected policy that leaves the last good one.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
make_tmp
# KEEP_LOG=1 keeps the last daemon's log in /tmp/test-daemon.last.log.
on_exit() { if [ -n "${KEEP_LOG:-}" ]; then cp "$tmp/log" /tmp/test-daemon.last.log; fi; }

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

FIXED_SWAPPINESS='policy: { name = "fixed-10"; };
tunables: { swappiness: { mode = "fixed"; value = 10; }; };'

# 1. A fixed value is written, logged with its reason, and restored on SIGTERM.
reset_tree
policy 50-test.conf "$FIXED_SWAPPINESS"
check "daemon starts" start_daemon
# A short slice lets exec events preempt (util/schedslice.h); /proc/PID/sched
# shows it since Linux 6.6.
check "the daemon asked for a 100 us scheduler slice" logged "scheduler slice 100 us"
if grep -q '^se.slice' "/proc/$pid/sched" 2>/dev/null; then
        check "the kernel gives it the 100 us slice" grep -Eq '^se\.slice +: +100000$' "/proc/$pid/sched"
fi
check "fixed swappiness is written" wait_for 5 is_value swappiness 10
check "the decision is logged" logged "swappiness 60 -> 10"
check "the original is persisted" grep -qx "swappiness 60 10" "$tmp/state/originals"
check "untouched tunables stay" is_value min_free_kbytes 67584
stop_daemon TERM; check "SIGTERM exits 0" test $? -eq 0
check "SIGTERM restores swappiness" is_value swappiness 60
check "stop removes the state file" test ! -e "$tmp/state/originals"
check "stop says what it restored" logged "Restored 1 original vm value."

# 2. Observe mode computes and writes nothing.
reset_tree
policy 50-test.conf "$FIXED_SWAPPINESS"
start_daemon --observe
check "observe mode logs the decision" wait_for 5 logged "(observe) swappiness 60 -> 10"
sleep 0.3
check "observe mode writes nothing" is_value swappiness 60
check "observe mode keeps no state" test ! -e "$tmp/state/originals"
stop_daemon TERM

# 3. SIGKILL, then a restart restores the true originals on stop.
reset_tree
policy 50-test.conf "$FIXED_SWAPPINESS"
start_daemon
check "written before the crash" wait_for 5 is_value swappiness 10
stop_daemon KILL
check "the state survives SIGKILL" grep -qx "swappiness 60 10" "$tmp/state/originals"
rm "$tmp/policy/50-test.conf"      # the restarted daemon manages nothing
start_daemon
check "after restart, unmanaged: handed back to the original" wait_for 5 is_value swappiness 60
stop_daemon TERM
check "after restart and stop, the true original" is_value swappiness 60

# 4. A change behind memtuned's back is detected and respected.
reset_tree
policy 50-test.conf 'policy: { name = "adaptive"; };
tunables: { min_free_kbytes: { mode = "adaptive"; min = "64M"; max = "256M"; }; };'
start_daemon
echo 70000 >"$tmp/proc/sys/vm/min_free_kbytes"
kill -HUP "$pid"    # a sample is taken at each reload at the latest
check "external change is noticed" wait_for 10 logged "vm.min_free_kbytes was set to 70000 by someone else"
stop_daemon TERM
check "external value stands after stop" is_value min_free_kbytes 70000

# 5. Reload: SIGHUP with a good file, a bad file, and a change picked up by inotify.
reset_tree
policy 50-test.conf "$FIXED_SWAPPINESS"
start_daemon
check "first policy in force" wait_for 5 is_value swappiness 10
policy 50-test.conf 'policy: { name = "broken"; };
tunables: { swapiness: { mode = "fixed"; value = 20; }; };'
kill -HUP "$pid"
check "a broken policy is rejected with FILE:LINE" wait_for 5 logged "$tmp/policy/50-test.conf:2:"
check "the rejection names the last good policy" wait_for 5 logged "the last good policy (fixed-10) stays in force"
sleep 0.3
check "the last good policy stays" is_value swappiness 10
kill -HUP "$pid"
check "the same errors again are not repeated" \
        wait_for 5 logged "The policy files still have the errors reported before; the last good policy (fixed-10)"
check "... the FILE:LINE line stays single" test "$(count_logged "$tmp/policy/50-test.conf:2:")" -eq 1
policy 50-test.conf 'policy: { name = "fixed-20"; };
tunables: { swappiness: { mode = "fixed"; value = 20; }; };'
check "inotify picks up a new file and applies it" wait_for 10 is_value swappiness 20
check "the reload is logged" logged "Policy 'fixed-20' in force"
for i in $(seq 1 100); do policy "60-burst.conf" "policy: { name = \"burst-$i\"; };"; done
check "a burst of 100 writes ends in the last one" wait_for 10 logged "Policy 'burst-100' in force"
check "a burst is debounced (far fewer than 100 reloads)" \
        test "$(grep -c "Policy 'burst-" "$tmp/log")" -lt 20
rm "$tmp/policy/60-burst.conf" "$tmp/policy/50-test.conf"
check "deleting the file hands the tunable back" wait_for 10 is_value swappiness 60
stop_daemon TERM

# 6. sd_notify: READY=1 once running, and a STATUS= line with the mode, the
# pressure level, the policy and the last decision (what systemctl status shows).
reset_tree
policy 50-test.conf "$FIXED_SWAPPINESS"
"$PY" - "$tmp/notify" "$tmp/notify.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "a") as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + "\n--\n")
            out.flush()
    except socket.timeout:
        pass
PY
listener=$!
wait_for 5 test -S "$tmp/notify"
NOTIFY_SOCKET=$tmp/notify start_daemon
notified() { grep -qF -- "$1" "$tmp/notify.log" 2>/dev/null; }
check "READY=1 is sent" wait_for 5 notified "READY=1"
check "STATUS= names mode, pressure, policy and the last decision" \
        wait_for 5 notified "STATUS=Enforcing, pressure none, policy fixed-10; last: swappiness 60 -> 10: fixed by policy"
kill -HUP "$pid"
check "a reload says RELOADING=1 and READY=1 again" wait_for 5 notified "RELOADING=1"
stop_daemon TERM
check "stop says STOPPING=1" wait_for 5 notified "STOPPING=1"
check "no watchdog, no WATCHDOG=1" bash -c "! grep -q WATCHDOG=1 '$tmp/notify.log'"
# With systemd's watchdog on (2 s here), the tick pings it and runs at least
# every second, although the policy lets a calm daemon sample once a minute.
: >"$tmp/notify.log"
NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=2000000 start_daemon
sleep 3.5
pings=$(grep -c '^WATCHDOG=1' "$tmp/notify.log")
check "the tick pings the watchdog at least every half of it ($pings in 3.5 s)" test "$pings" -ge 3
stop_daemon TERM
kill "$listener" 2>/dev/null; { wait "$listener"; } 2>/dev/null

# 7. Synthetic direct reclaim: the watermarks go up in steps, stop at the
# policy's maximum, come back down when calm, and stop restores the original.
# Counters are rewritten in place, zero-padded to a fixed width, because the
# daemon keeps the file open and re-reads it with pread. The synthetic
# machine answers each step as every step's trial asks (engine.h): at the
# same stall rate it allocates more pages per second, by the square of
# min_free_kbytes over its start value.
reset_tree
"$PY" - "$tmp/proc/vmstat" <<'PY'
import re, sys
p = sys.argv[1]
t = open(p).read()
t = re.sub(r"^(pgscan_direct|allocstall_normal|pgalloc_normal) \d+$", lambda m: "%s %012d" % (m.group(1), 0), t,
           flags=re.M)
open(p, "w").write(t)
PY
bump() { # seconds: raise pgscan_direct by 5000, allocstall_normal by 100, pgalloc_normal by 10000 x (mfk/67584)^2 every 0.1 s
        "$PY" - "$tmp/proc/vmstat" "$1" "$tmp/proc/sys/vm/min_free_kbytes" <<'PY'
import sys, time
path, secs, mfk_path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
with open(path, "r+b") as f:
    text = f.read().decode()
    keys = ("pgscan_direct", "allocstall_normal", "pgalloc_normal")
    offs = {k: text.index("\n%s " % k) + len(k) + 2 for k in keys}
    end = time.monotonic() + secs
    n, alloc = 0, 0
    while time.monotonic() < end:
        n += 1
        alloc += int(10000 * (int(open(mfk_path).read()) / 67584) ** 2)
        for k, v in (("pgscan_direct", n * 5000), ("allocstall_normal", n * 100), ("pgalloc_normal", alloc)):
            f.seek(offs[k]); f.write(b"%012d" % v); f.flush()
        time.sleep(0.1)
PY
}
policy 50-test.conf 'policy: { name = "sim"; };
tunables: { min_free_kbytes: { mode = "adaptive"; min = "64M"; max = "128M"; }; };
thresholds: { window = "1s"; cooldown = "1s"; calm = "2s"; sample_interval_min = "100ms"; sample_interval_max = "1s"; };'
start_daemon
bump 8 &
bumper=$!
check "sustained direct reclaim raises min_free_kbytes" wait_for 8 logged "min_free_kbytes 67584 -> 84480: "
check "the reason carries the evidence" grep -qE "min_free_kbytes 67584 -> 84480: .*pgscan_direct [0-9]+/s" "$tmp/log"
check "it stops at the policy maximum" wait_for 10 is_value min_free_kbytes 131072
wait $bumper
check "calm brings it back to the baseline" wait_for 20 is_value min_free_kbytes 67584
check "steps never exceeded the maximum" \
        test -z "$(grep -oE 'min_free_kbytes [0-9]+ -> [0-9]+' "$tmp/log" | awk '$4 > 131072')"
stop_daemon TERM
check "stop leaves the original" is_value min_free_kbytes 67584

exit $fail
