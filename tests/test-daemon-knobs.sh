#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 19, the whole daemon on writable copies of captured trees (the 6.1
# guest's /proc and /sys): the multi-gen LRU's knobs written below
# --sys-root and restored on SIGTERM and after SIGKILL; swappiness by the
# swap class following a swapon and a swapoff within a sample; on a host
# with memory tiering zone_reclaim_mode is never written, whatever the
# policy says.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
make_tmp
data=$top_srcdir/tests/data
HEADER='Filename				Type		Size		Used		Priority'

reset_knobs() { # SYS-TREE
        rm -rf "$tmp/proc" "$tmp/sys" "$tmp/state" "$tmp/policy"
        cp -r "$data/debian12-numa2/proc" "$tmp/proc"
        cp -r "$data/$1/sys" "$tmp/sys"
        printf '%s\n' "$HEADER" >"$tmp/proc/swaps"
        mkdir -p "$tmp/policy"
}
start_daemon() {
        : >"$tmp/log"
        "$memtuned" --proc-root "$tmp/proc" --sys-root "$tmp/sys" --policy-dir "$tmp/policy" \
                --state-dir "$tmp/state" --bus none >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 logged "memtuned running"
}
policy() { printf '%s\n' "$1" >"$tmp/policy/50-test.conf"; }
lru() { cat "$tmp/sys/kernel/mm/lru_gen/$1"; }
lru_is() { [ "$(lru "$1")" = "$2" ]; }
swaps() { # replaced, as a changed kernel file would read
        printf '%s\n' "$HEADER" "$@" >"$tmp/proc/swaps.tmp" && mv "$tmp/proc/swaps.tmp" "$tmp/proc/swaps"
}

MGLRU='policy: { name = "reachable"; };
tunables: {
        lru_gen_enabled: { mode = "fixed"; value = 7; };
        lru_gen_min_ttl_ms: { mode = "fixed"; value = 1000; };
        watermark_boost_factor: { mode = "fixed"; value = 0; };
};'

# 1. The multi-gen LRU's knobs, written as the kernel shows them, restored.
reset_knobs debian12-numa2
policy "$MGLRU"
check "daemon starts with --sys-root" start_daemon
check "lru_gen/enabled is written in the kernel's hex" wait_for 5 lru_is enabled 0x0007
check "lru_gen/min_ttl_ms is written" lru_is min_ttl_ms 1000
check "watermark_boost_factor is written" wait_for 5 is_value watermark_boost_factor 0
check "the decision names the knob" wait_for 3 logged "lru_gen_min_ttl_ms 0 -> 1000: fixed by policy"
check "the originals are persisted" grep -qx "lru_gen_enabled 0 7" "$tmp/state/originals"
stop_daemon TERM; check "SIGTERM exits 0" test $? -eq 0
check "SIGTERM restores lru_gen/enabled" lru_is enabled 0x0000
check "SIGTERM restores lru_gen/min_ttl_ms" lru_is min_ttl_ms 0
check "SIGTERM restores watermark_boost_factor" is_value watermark_boost_factor 15000
check "stop says what it restored" logged "Restored 3 original vm values."

# 2. SIGKILL, a restart that manages nothing: the true originals come back.
policy "$MGLRU"
start_daemon
check "written before the crash" wait_for 5 lru_is min_ttl_ms 1000
stop_daemon KILL
check "the state survives SIGKILL" grep -qx "lru_gen_min_ttl_ms 0 1000" "$tmp/state/originals"
rm "$tmp/policy/50-test.conf"
start_daemon
check "after restart, unmanaged: min_ttl_ms handed back" wait_for 5 lru_is min_ttl_ms 0
check "after restart, unmanaged: enabled handed back" wait_for 5 lru_is enabled 0x0000
stop_daemon TERM
check "after restart and stop, the true originals" lru_is enabled 0x0000

# 3. A kernel without the multi-gen LRU: nothing written, nothing created.
reset_knobs debian12-numa2
rm -r "$tmp/sys/kernel/mm/lru_gen"
policy "$MGLRU"
start_daemon
check "the other knobs are still managed" wait_for 5 is_value watermark_boost_factor 0
sleep 0.3
check "no lru_gen file is created" test ! -e "$tmp/sys/kernel/mm/lru_gen"
check "no write of lru_gen is attempted or logged" sh -c "! grep -q 'lru_gen' '$tmp/log'"
stop_daemon TERM

# 4. swappiness by the swap class: swapon and swapoff seen within a sample.
reset_knobs debian12-numa2
policy 'tunables: { swappiness: { mode = "by-swap-class"; }; };
thresholds: { sample_interval_max = "1s"; };'
start_daemon
sleep 0.5
check "no swap: swappiness stays at the value found" is_value swappiness 60
swaps "/dev/zram0                              partition	262140		0		100"
check "zram swapped on: 150 within a sample" wait_for 3 is_value swappiness 150
# (the decision is logged right after the write: wait for it too)
check "the reason names the class and the device" wait_for 3 \
        logged "swappiness 60 -> 150: swap class zram (/dev/zram0: a zram device): 150 by the policy's table"
swaps "/dev/vda2                               partition	262140		0		-2"
check "a partition of the rotating vda: 20 within a sample" wait_for 3 is_value swappiness 20
check "the reason says how the class was found" wait_for 3 \
        logged "swap class disk (/dev/vda2: rotational 1 (/sys/block/vda/queue/rotational)): 20 by the policy's table"
swaps
check "swapoff: back to the value found" wait_for 3 is_value swappiness 60
stop_daemon TERM
check "stop restores swappiness" is_value swappiness 60

# 5. Memory tiering: zone_reclaim_mode is never written.
reset_knobs tiered-demotion
echo 1 >"$tmp/proc/sys/vm/zone_reclaim_mode"
policy 'tunables: { zone_reclaim_mode: { mode = "fixed"; value = 0; };
        swappiness: { mode = "fixed"; value = 10; }; };'
start_daemon
check "the rest of the policy applies" wait_for 5 is_value swappiness 10
sleep 0.5
check "zone_reclaim_mode stays as it was" is_value zone_reclaim_mode 1
check "the log says why" logged "vm.zone_reclaim_mode: memory tiering (demotion enabled"
check "no decision for zone_reclaim_mode" sh -c "! grep -q 'zone_reclaim_mode 1 -> 0' '$tmp/log'"
check "no original is kept for it" sh -c "! grep -q '^zone_reclaim_mode' '$tmp/state/originals'"
stop_daemon TERM

exit $fail
