#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A decision answering a PSI trigger says so: its journal record carries
# MEMTUNED_TRIGGER=psi and MEMTUNED_REACTION_USEC (from the trigger's wake to
# the decision complete), and the debug log has the wake's line that
# bench/psi-reaction reads. No timing is asserted.
#
# The daemon runs on a writable copy of a captured /proc tree, except that
# the real /proc/pressure/memory is bind-mounted over the copy's (a trigger
# needs the kernel's file). Its policy fixes swappiness at 10 and samples on
# the timer only once an hour, so after the first tick only a PSI wake makes
# it sample again. The test sets swappiness to 30 behind its back, then makes
# memory pressure inside a 16 MiB memory cgroup: the tick that answers the
# trigger sees the change and decides "swappiness 30 -> 10". The records go
# to a stand-in journal on a tmpfs over /run in a private mount namespace, as
# in tests/test-journal.sh.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
MESSAGE_ID=$(sed -n 's/^#define MEMTUNED_DECISION_MESSAGE_ID "\([0-9a-f]*\)"$/\1/p' "$top_srcdir/daemon/decisionlog.h")

if [ "${1:-}" != --inside ]; then
        need_root "unshare -m, a memory cgroup"
        need_command unshare util-linux
        [ -x "$PY" ] || skip "$PY not installed (package python3)"
        [ -r /proc/pressure/memory ] || skip "the kernel has no PSI (/proc/pressure/memory)"
        "$PY" -c 'import os
fd = os.open("/proc/pressure/memory", os.O_RDWR | os.O_NONBLOCK)
os.write(fd, b"some 100000 2000000\0")' 2>/dev/null ||
                skip "the kernel refuses a PSI trigger on /proc/pressure/memory (psi=0?)"
        [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] ||
                grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
                skip "no memory cgroup to make pressure in (neither cgroup-v1 memory nor v2 with memory enabled)"
        [ ${#MESSAGE_ID} -eq 32 ] || hard_error "no MEMTUNED_DECISION_MESSAGE_ID in daemon/decisionlog.h"
        make_tmp
        unshare --mount --propagation private -- "$0" --inside "$tmp"
        exit $?
fi

# ---- inside the private mount namespace -------------------------------------
tmp=$2    # made and removed outside
listener=
loaders=()
if [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
        cg=/sys/fs/cgroup/memory/memtuned-test-psi-$$
else
        cg=/sys/fs/cgroup/memtuned-test-psi-$$
fi
stop_load() {
        local p
        for p in "${loaders[@]}"; do kill -9 "$p" 2>/dev/null; done
        { while read -r p; do kill -9 "$p"; done <"$cg/cgroup.procs"; } 2>/dev/null
        for p in "${loaders[@]}"; do { wait "$p"; } 2>/dev/null; done
        loaders=()
}
# lib.sh's exit handler then kills the daemon $pid.
on_exit() {
        local i
        stop_load
        if [ -n "$listener" ]; then kill "$listener" 2>/dev/null; fi
        for i in $(seq 50); do [ -d "$cg" ] || break; rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
}

mount -t tmpfs -o size=4m,mode=0755 tmpfs /run || hard_error "cannot mount a tmpfs over /run"
mkdir -p /run/systemd/journal

# The stand-in journal (tests/journal-standin.py): one JSON object per datagram.
"$PY" "$top_srcdir/tests/journal-standin.py" "$tmp/records" &
listener=$!
wait_for 5 test -S /run/systemd/journal/socket || hard_error "the stand-in journal did not start"

# field OLD KEY: the value of KEY in the first decision record from OLD.
field() {
        "$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("MESSAGE_ID") == sys.argv[2] and r.get("MEMTUNED_OLD") == sys.argv[3]:
        print(r.get(sys.argv[4], "<none>")); break' "$tmp/records" "$MESSAGE_ID" "$1" "$2" 2>/dev/null
}
has_record() { [ -n "$(field "$1" MESSAGE_ID)" ]; }

cp -r "$top_srcdir/tests/data/host-6.18/proc" "$tmp/proc"
mount --bind /proc/pressure/memory "$tmp/proc/pressure/memory" ||
        hard_error "cannot bind-mount /proc/pressure/memory"
mkdir -p "$tmp/policy"
printf '%s\n' 'policy: { name = "psi"; };' \
        'tunables: { swappiness: { mode = "fixed"; value = 10; }; };' \
        'thresholds: { sample_interval_min = "1h"; sample_interval_max = "1h"; };' >"$tmp/policy/50-psi.conf"
: >"$tmp/stderr"
: >"$tmp/records"
JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/stderr") MEMTUNED_LOG_LEVEL=debug "$memtuned" --proc-root "$tmp/proc" \
        --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none 2>>"$tmp/stderr" &
pid=$!

check "the daemon runs" wait_for 10 grep -q "memtuned running" "$tmp/stderr"
check "it has a PSI trigger on the bound file" bash -c "! grep -q 'No PSI trigger' '$tmp/stderr'"
check "the first tick decides swappiness 60 -> 10" wait_for 10 has_record 60
# The timer's first tick, unless a PSI wake came in the same loop iteration.
check "... with MEMTUNED_TRIGGER (timer or psi)" bash -c "[[ '$(field 60 MEMTUNED_TRIGGER)' =~ ^(timer|psi)$ ]]"
check "... with MEMTUNED_REACTION_USEC" bash -c "[[ '$(field 60 MEMTUNED_REACTION_USEC)' =~ ^[0-9]+$ ]]"
wait_for 5 grep -qx 10 "$tmp/proc/sys/vm/swappiness"

# Behind its back; only a PSI wake makes the daemon look again.
echo 30 >"$tmp/proc/sys/vm/swappiness"

mkdir -p "$cg"
if [ -e "$cg/memory.limit_in_bytes" ]; then
        echo $((16 << 20)) >"$cg/memory.limit_in_bytes"
else
        echo $((16 << 20)) >"$cg/memory.max"
fi
for i in 0 1; do
        dd if=/dev/zero of="$tmp/big.$i" bs=1M count=64 conv=fsync status=none
        dd if="$tmp/big.$i" iflag=nocache count=0 status=none   # out of the page cache
done
# The cgroup's OOM killer sometimes runs under this load: each dd asks to be
# its victim (raising oom_score_adj needs no privilege), so the loop goes on.
for i in 0 1; do
        bash -c "echo \$\$ >'$cg/cgroup.procs' && while :; do
                (echo 1000 >/proc/self/oom_score_adj; exec dd if='$tmp/big.$i' of=/dev/null bs=1M iflag=nocache status=none)
                (echo 1000 >/proc/self/oom_score_adj; exec dd if='$tmp/big.$i' of=/dev/null bs=1M status=none); done" \
                2>/dev/null &
        loaders+=($!)
done
check "under memory pressure, a PSI wake decides swappiness 30 -> 10" wait_for 60 has_record 30
stop_load

trigger=$(field 30 MEMTUNED_TRIGGER)
reaction=$(field 30 MEMTUNED_REACTION_USEC)
echo "# MEMTUNED_TRIGGER=$trigger MEMTUNED_REACTION_USEC=$reaction"
check "the record says MEMTUNED_TRIGGER=psi" test "$trigger" = psi
check "the record carries MEMTUNED_REACTION_USEC, a number of microseconds" \
        bash -c "[[ '$reaction' =~ ^[0-9]+$ ]]"
check "the debug log has the wake's line" \
        grep -qE '^<7>PSI trigger: woke at [0-9]+ us, decision complete [0-9]+ us later \((at once|answered by a tick of cause [a-z]+):' \
        "$tmp/stderr"
check "the debug line counts the decision" grep -qE '^<7>PSI trigger: .*; pressure [a-z]+, 1 decision[.,]' "$tmp/stderr"

stop_daemon

[ -n "${KEEP_LOG:-}" ] && cp "$tmp/stderr" /tmp/test-psi-trigger.last.log
if [ $fail -ne 0 ]; then
        echo "---- stderr"; cat "$tmp/stderr"
        echo "---- records"; cat "$tmp/records"
fi
exit $fail
