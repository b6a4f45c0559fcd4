#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 512 MiB guest without swap (issue 18). memtuned as installed and
# shipped (the vendor policy, the real system bus). Scripted OOM kills, one
# at a time: global ones (a process that grows until the kernel kills it)
# and cgroup ones (the same under systemd-run -p MemoryMax=); then a
# userspace SIGKILL, which must not be reported. The kernel's log says which
# process it killed and why (oom-kill:constraint=...); every kill must have
# one record in the journal and on the bus, within 1 s of the victim's exit
# and 2 s of the kernel's kill line, naming that process, with the right
# scope; for the global kills memtuned's predicted rank 1 must be the victim
# (all but one; a disagreement explained).
. /mnt/share/lib/guest.sh

N_GLOBAL=${N_GLOBAL:-12}
N_CGROUP=${N_CGROUP:-8}
GROW=$SHARE/files/grow.py
CHECK=$SHARE/files/check.py

mt_install
command -v memtunectl >/dev/null || skip_all "the build installs no memtunectl"
mt_start
check "memtuned serves GetIncidents: none yet" sh -c "memtunectl incidents | grep -qx 'No OOM kills recorded.'"

# Most of the guest's memory goes to a tmpfs file, once: without swap nothing
# can reclaim it, and no process owns it, so the kernel never kills for it.
# Each grower then needs about 100 MiB to run the machine out (memory is
# written at about 30 MB/s under emulation: 450 MiB per kill took 16 s;
# and the victim exits only once its memory is unmapped, which took up to
# 0.87 s after the kernel's kill line with 140 MiB).
avail=$(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo)
mkdir -p /mnt/ballast
mount -t tmpfs -o size=$((avail))M ballast /mnt/ballast
head -c $(( (avail - 100) << 20 )) /dev/zero >/mnt/ballast/fill
log "ballast: $((avail - 100)) MiB in tmpfs; MemAvailable $(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo) MiB left"

dmesg -C
# ---- global kills: the grower is the largest process, the machine runs out -----------
for i in $(seq "$N_GLOBAL"); do
    python3 "$GROW" /tmp/grow.pid
    rc=$?
    log "global $i: grower $(cat /tmp/grow.pid) exited with $rc"
    sleep 0.5
done
# ---- cgroup kills: the same under a limit of its own -----------------------------
for i in $(seq "$N_CGROUP"); do
    systemd-run --quiet --wait --unit="mt-limited-$i" -p MemoryMax=40M -p MemorySwapMax=0 \
        python3 "$GROW" >/dev/null 2>&1
    log "cgroup $i: mt-limited-$i.service ended ($(systemctl show -p Result --value "mt-limited-$i" 2>/dev/null))"
    systemctl reset-failed "mt-limited-$i" 2>/dev/null
    sleep 0.5
done
sleep 1.5
rm -f /mnt/ballast/fill
umount /mnt/ballast

# ---- a userspace killer's SIGKILL is not a kernel OOM kill ---------------------------
before=$(memtunectl incidents --json --limit 0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
oom_before=$(vmstat_get oom_kill)
sleep 300 & victim=$!
systemd-run --quiet --unit=mt-userkill sleep 300
sleep 0.5
kill -9 "$victim"
systemctl kill -s SIGKILL mt-userkill
sleep 2
after=$(memtunectl incidents --json --limit 0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "two SIGKILLs from userspace: the kernel counted no OOM kill" test "$(vmstat_get oom_kill)" = "$oom_before"
check "... and memtuned recorded no incident ($before before, $after after)" test "$before" = "$after"
systemctl reset-failed mt-userkill 2>/dev/null

python3 "$CHECK" collect /tmp/incidents.json
cp /tmp/incidents.json "$SHARE/incidents.json"
check "the kernel's log: $N_GLOBAL global and $N_CGROUP cgroup OOM kills" python3 "$CHECK" kernel-kills /tmp/incidents.json "$N_GLOBAL" "$N_CGROUP"
check "one record per kill, in the journal (MESSAGE_ID) and on the bus" python3 "$CHECK" records /tmp/incidents.json
check "every victim identified, the process the kernel named" python3 "$CHECK" identified /tmp/incidents.json
check "every record within 1 s of the victim's exit, 2 s of the kernel's kill" python3 "$CHECK" latency /tmp/incidents.json
check "global or which cgroup, as the kernel's constraint says" python3 "$CHECK" scope /tmp/incidents.json
check "global kills: memtuned's rank 1 was the victim (all but one at most, explained)" \
    python3 "$CHECK" rank /tmp/incidents.json $((N_GLOBAL - 1))
check "a record has the badness terms, who set the adj, the next five, the minute before, the tunables" \
    python3 "$CHECK" fields /tmp/incidents.json
python3 "$CHECK" latency /tmp/incidents.json | sed 's/^# /# /'
python3 "$CHECK" rank /tmp/incidents.json 0 | sed 's/^# /# /'
memtunectl incidents | head -n 8 | sed 's/^/#   /'

# ---- why PID -----------------------------------------------------------------------
memtunectl why $$ >/tmp/why.txt 2>&1
sed 's/^/#   /' /tmp/why.txt
check "memtunectl why: the badness terms" grep -q '^  rss ' /tmp/why.txt
check "memtunectl why: the kernel's oom_score beside memtuned's" grep -q '^oom_score: memtuned [0-9]*, kernel [0-9]*$' /tmp/why.txt
check "memtunectl why: the rule, or why none matched" grep -q '^Rule: ' /tmp/why.txt
check "memtunectl why: the rank and the adj to rank below the next" grep -Eq '^Rank: [0-9]+ of [0-9]+' /tmp/why.txt
check "memtunectl why 1 --json: init is never chosen" sh -c "memtunectl why 1 --json | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"killable\"])'"
check "memtunectl why of no process: exit 1, says so" sh -c "! memtunectl why 4000000 2>/tmp/why.err && grep -q 'No process 4000000' /tmp/why.err"

# ---- the history survives a restart; a garbled one is refused and set aside -----------
n=$(memtunectl incidents --json --limit 0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
systemctl restart memtuned
check "after a restart the $n records are still there" sh -c "[ \"\$(memtunectl incidents --json --limit 0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = $n ]"
mt_stop
printf 'memtuned-incidents 1\nid=1\ttime=1\tscope=nowhere\n' >/run/memtuned/incidents
mt_start
check "a garbled history: the journal names the file, line and fault" mt_log_has "/run/memtuned/incidents:2: scope: unknown value 'nowhere'; the incident history is ignored"
check "... it is set aside, and the history starts empty" sh -c "test -e /run/memtuned/incidents.corrupt && memtunectl incidents | grep -qx 'No OOM kills recorded.'"
check "memtuned survived every kill" systemctl is-active --quiet memtuned
mt_stop
mt_finish
