#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in the guest for bench/mglru-thrash: one arm ($ARM in files/params).
# Writes /mnt/share/out/{summary.txt,heartbeat.txt,vmstat.csv,memtuned.log}.
. /mnt/share/lib/guest.sh
# shellcheck disable=SC1091
. /mnt/share/files/params
OUT=/mnt/share/out
mkdir -p "$OUT"
THRASH_PAGES=2048   # swap-ins (8 MiB) since the hog started: thrashing has begun

mt_install
LRU=/sys/kernel/mm/lru_gen
log "arm $ARM; kernel $(uname -r); lru_gen $(cat $LRU/enabled 2>/dev/null) min_ttl_ms $(cat $LRU/min_ttl_ms 2>/dev/null)"

# Swap: a file on the virtio disk, as large as RAM.
mem_kb=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
dd if=/dev/zero of=/swapfile bs=1M count=$((mem_kb / 1024)) status=none
chmod 600 /swapfile && mkswap /swapfile >/dev/null && swapon /swapfile || bail "swapon"

# The heartbeat: a tick every 50 ms to a file in /run (tmpfs).
cp /usr/bin/python3 /usr/local/bin/heartbeat
cat >/run/heartbeat.py <<'PY'
import time
with open("/run/heartbeat.txt", "w", buffering=1) as f:
    while True:
        f.write("%.3f\n" % time.monotonic())
        time.sleep(0.05)
PY

if [ "$ARM" = memtuned ]; then
    cp /mnt/share/files/reachable-host.conf /etc/memtuned/policies.d/60-reachable.conf
    mt_policy 61-heartbeat.conf <<'POLICY'
processes: ( { name = "protect-heartbeat"; match = { comm = "heartbeat"; uid = 0; }; oom_score_adj = -900; } );
POLICY
    mt_start
    wait_for 20 bash -c "[ \"\$(cat $LRU/enabled)\" = 0x0007 ] && [ \"\$(cat $LRU/min_ttl_ms)\" = 1000 ]" ||
        bail "memtuned did not set the multi-gen LRU's knobs"
fi
/usr/local/bin/heartbeat /run/heartbeat.py &
hb=$!
if [ "$ARM" = memtuned ]; then
    wait_for 20 bash -c "[ \"\$(cat /proc/$hb/oom_score_adj)\" = -900 ]" || bail "the rule did not protect the heartbeat"
else
    choom -n -900 -p "$hb" >/dev/null
fi
log "heartbeat $hb at $(cat /proc/$hb/oom_score_adj); lru_gen $(cat $LRU/enabled) min_ttl_ms $(cat $LRU/min_ttl_ms)"

# The hog: RAM + half the swap, every page touched over and over.
hog_mb=$(( mem_kb * 3 / 2 / 1024 ))
# Private anonymous memory (a bytearray): what the OOM reaper frees at
# once. (A shared mapping is shmem, which the reaper cannot free, and the
# kernel then killed a second process before the first one's memory was
# back.)
python3 -c "
n = $hog_mb << 20
m = bytearray(n)
while True:
    for i in range(0, n, 4096):
        m[i] = (m[i] + 1) & 255
" &
hog=$!
echo 500 >/proc/$hog/oom_score_adj
t_start=$(cut -d' ' -f1 /proc/uptime)
log "hog $hog: $hog_mb MiB; limit $LIMIT s"

vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
pswpin0=$(vm pswpin) oom0=$(vm oom_kill)
echo "t,pswpin,pswpout,oom_kill,pgscan_direct" >"$OUT/vmstat.csv"
t_thrash="" t_oom=""
while :; do
    t=$(cut -d' ' -f1 /proc/uptime)
    echo "$t,$(vm pswpin),$(vm pswpout),$(vm oom_kill),$(vm pgscan_direct)" >>"$OUT/vmstat.csv"
    [ -z "$t_thrash" ] && [ $(( $(vm pswpin) - pswpin0 )) -ge $THRASH_PAGES ] && t_thrash=$t
    if [ "$(vm oom_kill)" != "$oom0" ] || ! kill -0 "$hog" 2>/dev/null; then
        t_oom=$t
        break
    fi
    awk -v a="$t_start" -v b="$t" -v l="$LIMIT" 'BEGIN { exit !(b - a >= l) }' && break
    sleep 0.5
done
kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null
sleep 2
hb_alive=$(kill -0 "$hb" 2>/dev/null && echo survived || echo killed)
mt_alive=n/a
[ "$ARM" = memtuned ] && mt_alive=$(systemctl is-active --quiet memtuned && echo survived || echo gone)
kill "$hb" 2>/dev/null
cp /run/heartbeat.txt "$OUT/heartbeat.txt"
max_gap=$(awk 'NR > 1 { g = $1 - p; if (g > m) m = g } { p = $1 } END { printf "%.1f", m }' /run/heartbeat.txt)
if [ -n "$t_oom" ] && [ -n "$t_thrash" ]; then
    thrash_to_oom="$(awk -v a="$t_thrash" -v b="$t_oom" 'BEGIN { printf "%.1f s", b - a }')"
elif [ -n "$t_oom" ]; then
    thrash_to_oom="killed before thrashing"
else
    thrash_to_oom="none within ${LIMIT} s"
fi
{
    echo "arm=$ARM"
    echo "max_gap_s=$max_gap"
    echo "thrash_to_oom_s='$thrash_to_oom'"
    echo "oom_kills=$(( $(vm oom_kill) - oom0 ))"
    echo "heartbeat=$hb_alive"
    echo "memtuned=$mt_alive"
    echo "swapped_in_mib=$(( ($(vm pswpin) - pswpin0) / 256 ))"
} >"$OUT/summary.txt"
cat "$OUT/summary.txt" | sed 's/^/# /'
dmesg | grep -iE "out of memory|oom-kill|Killed process" | tail -n 5 >"$OUT/oom.txt" || true
[ "$ARM" = memtuned ] && { mt_log >"$OUT/memtuned.log"; mt_stop; }
ok "the run completed"
mt_finish
