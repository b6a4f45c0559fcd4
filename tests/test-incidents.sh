#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# OOM incidents on this machine's real kernel (issue 18): a memory cgroup of
# our own with a 48 MiB limit, a process in it that grows until the kernel's
# OOM killer kills it, and memtuned (real /proc, the machine's vm sysctls
# protected by a copy bound over them in a private mount namespace, a
# policy with a rule so that it listens to process events) must record it:
# the victim by pid and comm, certain, who set its oom_score_adj (the rule),
# within a second; a SIGKILL from userspace must not count. The history is
# bounded: 32 records planted before the start, one more kill, and the
# oldest is gone. Skips (77) without root, unshare, or a memory cgroup we
# may create (cgroup v1's memory controller, or v2 with it delegated).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_root "a memory cgroup and a private mount namespace"
unshare -m true 2>/dev/null || skip "no mount namespace here (unshare -m)"
PY=/usr/bin/python3
[ -x $PY ] || skip "no /usr/bin/python3"
make_tmp

# Our own memory cgroup, below the one this test runs in.
cg=""
v1=$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' /proc/self/cgroup)
if [ -n "$v1" ] && [ -d "/sys/fs/cgroup/memory$v1" ]; then
        cg="/sys/fs/cgroup/memory${v1%/}/memtuned-test-$$"
        mkdir "$cg" 2>/dev/null && echo $((48 << 20)) >"$cg/memory.limit_in_bytes" 2>/dev/null || cg=""
        [ -n "$cg" ] && [ -e "$cg/memory.memsw.limit_in_bytes" ] &&
                echo $((48 << 20)) >"$cg/memory.memsw.limit_in_bytes" 2>/dev/null
elif [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
        v2=$(sed -n 's/^0::\(.*\)$/\1/p' /proc/self/cgroup)
        cg="/sys/fs/cgroup${v2%/}/memtuned-test-$$"
        mkdir "$cg" 2>/dev/null && echo $((48 << 20)) >"$cg/memory.max" 2>/dev/null &&
                echo 0 >"$cg/memory.swap.max" 2>/dev/null || cg=""
fi
if [ -z "$cg" ]; then
        [ -n "${cg_try:-}" ] && rmdir "$cg_try" 2>/dev/null
        skip "cannot create a memory cgroup with a limit here"
fi
on_exit() { [ -n "$cg" ] && rmdir "$cg" 2>/dev/null; }

mkdir -p "$tmp/policy" "$tmp/vm" "$tmp/state"
cp /proc/sys/vm/* "$tmp/vm/" 2>/dev/null
cat >"$tmp/policy/50-incidents.conf" <<'CONF'
policy: { name = "incidents"; };
processes: ( { name = "hog-first"; match = { comm = "mtihog"; }; oom_score_adj = 300; } );
CONF
# 32 records from before: the history is full.
{
        echo "memtuned-incidents 1"
        for i in $(seq 1 32); do
                printf 'id=%d\ttime=%d000000\tscope=global\tpid=%d\tcomm=old%d\n' "$i" $((1765000000 + i)) $((100 + i)) "$i"
        done
} >"$tmp/state/incidents"
cp "$(readlink -f $PY)" "$tmp/mtihog"

: >"$tmp/log"
unshare -m bash -c 'mount --bind "$1" /proc/sys/vm && shift && exec "$@"' _ "$tmp/vm" \
        "$memtuned" --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none >>"$tmp/log" 2>&1 &
pid=$!
check "memtuned runs on the real /proc" wait_for 10 logged "memtuned running"
check "... with the 32 records from before" logged "32 OOM incidents kept from before the restart."
sleep 0.5

cat >"$tmp/hog.py" <<'HOG'
# Grows by 4 MiB steps until the OOM killer kills it.
import time
b = []
while True:
    b.append(bytearray(4 << 20))
    time.sleep(0.005)
HOG
# run_hog PIDFILE STATUSFILE REAP_AFTER: the hog joins the cgroup and runs
# under a parent that reaps it REAP_AFTER seconds after it started (a
# parent that reaps at once, a shell waiting for it, leaves memtuned no
# zombie to read: its name and cgroup are then lost, but not the kill).
run_hog() {
        $PY - "$@" sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3"' _ "$cg" "$tmp/mtihog" "$tmp/hog.py" <<'PARENT'
import subprocess, sys, time
p = subprocess.Popen(sys.argv[4:])
open(sys.argv[1], "w").write(str(p.pid))
time.sleep(float(sys.argv[3]))
open(sys.argv[2], "w").write(str(p.wait()))
PARENT
}

oom_before=$(awk '$1 == "oom_kill" { print $2 }' /proc/vmstat)
run_hog "$tmp/hog.pid" "$tmp/hog.status" 3
hog=$(cat "$tmp/hog.pid")
check "the hog was killed by SIGKILL (status $(cat "$tmp/hog.status"))" test "$(cat "$tmp/hog.status")" = -9
check "... by the kernel's OOM killer (oom_kill rose)" \
        test "$(awk '$1 == "oom_kill" { print $2 }' /proc/vmstat)" -gt "$oom_before"
recorded() { grep -Eq "^OOM kill.*: pid $1 \($2\)" "$tmp/log"; }
check "memtuned recorded it (within the parent's 3 s)" recorded "$hog" mtihog
# ", rss N MiB" only when the prediction caught it, which depends on timing.
check "... naming the rule that set its oom_score_adj" \
        grep -Eq "pid $hog \(mtihog\)(, rss [0-9]+ MiB)?, oom_score_adj 300 set by memtuned's rule 'hog-first'" "$tmp/log"
check "... certain: the only SIGKILL death as the count rose" sh -c "! grep -F 'pid $hog (mtihog)' '$tmp/log' | grep -q 'identification'"
check "the history holds 32 records, the newest this kill" wait_for 2 sh -c "[ \$(grep -c '^id=' '$tmp/state/incidents') = 32 ] && \
        tail -n1 '$tmp/state/incidents' | grep -q \"^id=33	.*	pid=$hog	comm=mtihog	\""
check "... the oldest dropped" sh -c "! grep -q '^id=1	' '$tmp/state/incidents'"

# Reaped at once: the kill is still recorded, with the pid and the rule
# (memtuned's own table); the name only if memtuned was quicker.
run_hog "$tmp/hog.pid" "$tmp/hog.status" 0
hog2=$(cat "$tmp/hog.pid")
check "a hog reaped at once: recorded within a second" wait_for 1 grep -Eq "^OOM kill.*: pid $hog2 \((mtihog|\?)\)" "$tmp/log"
check "... with the rule's oom_score_adj" grep -Eq "pid $hog2 \((mtihog|\?)\)(, rss [0-9]+ MiB)?, oom_score_adj 300 set by memtuned's rule 'hog-first'" "$tmp/log"

# A userspace SIGKILL: no OOM kill, no record.
sleep 300 &
victim=$!
sleep 0.3
kill -9 "$victim"
wait "$victim" 2>/dev/null
sleep 1
check "a SIGKILL from userspace is no incident" sh -c "! grep -q 'pid $victim' '$tmp/log'"
check "... and the history is unchanged" sh -c "tail -n1 '$tmp/state/incidents' | grep -q '^id=34	'"

stop_daemon TERM
[ "$fail" = 0 ] || { echo "# the daemon's log:"; sed 's/^/#   /' "$tmp/log"; echo "# the history:"; tail -n 2 "$tmp/state/incidents" | sed 's/^/#   /'; }
echo "# $passed checks passed"
exit $fail
