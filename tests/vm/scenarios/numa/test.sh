#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 2-node guest (2 x 512 MiB, one vCPU per node).
#
# zone_reclaim_mode=1 makes node 0 reclaim its own page cache before it
# allocates from node 1 (TESTBED.md measured pgscan_direct +254719 with 1 and
# 0 with 0 for the same node-bound load). The policy makes zone_reclaim_mode
# adaptive with short thresholds; the engine's rule (daemon/engine.c, numa()):
# pgscan_direct or zone_reclaim_failed in every sample for a whole window
# while another node has free pages above its high watermark -> 0, once.
. /mnt/share/lib/guest.sh

mt_install

nodes=$(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' | wc -l)
[ "$nodes" -ge 2 ] || bail "expected 2 NUMA nodes, the guest has $nodes"
log "$(numactl -H | grep -E 'available|size' | tr '\n' ';')"

# the kernel's default here is 0; an administrator (or TuneD's hpc-compute
# profile) set 1 before memtuned starts
sysctl_set zone_reclaim_mode 1
check "zone_reclaim_mode is 1 before memtuned starts" sysctl_is zone_reclaim_mode 1

mt_policy 50-default.conf <<'POLICY'
# tests/vm/scenarios/numa: replaces the vendor default policy
policy: { name = "vm-numa"; };
tunables: {
        zone_reclaim_mode: { mode = "adaptive"; min = 0; max = 7; };
};
thresholds: {
        window = "2s";
        cooldown = "2s";
        sample_interval_min = "500ms";
        sample_interval_max = "2s";
};
POLICY

mt_start

# idle: no local reclaim, so no reason to touch it
sleep 4
check "memtuned leaves zone_reclaim_mode=1 while nothing reclaims" sysctl_is zone_reclaim_mode 1

# the workload, on node 0's CPU with local allocation (it may spill to
# node 1; zone reclaim is what keeps it local): a file twice node 0's size
# streamed through the page cache, plus 192 MiB of anonymous memory
truncate -s 1024M /var/tmp/stream.bin
scan0=$(vmstat_get pgscan_direct)
zrf0=$(vmstat_get zone_reclaim_failed)
miss0=$(vmstat_get numa_miss)
numactl --cpunodebind=0 --localalloc -- \
    stress-ng --vm 1 --vm-bytes 192M --vm-keep --vm-method write64 --no-oom-adjust --timeout 300s --quiet &
anon=$!
bg_loop numactl --cpunodebind=0 --localalloc -- dd if=/var/tmp/stream.bin of=/dev/null bs=1M status=none
stream=$!
log "workload started (stress-ng $anon, stream $stream)"

if wait_for 180 sysctl_is zone_reclaim_mode 0; then
    ok "memtuned set zone_reclaim_mode 0 under local reclaim"
else
    not_ok "memtuned set zone_reclaim_mode 0 under local reclaim" \
        "still $(sysctl_get zone_reclaim_mode) after 180 s; pgscan_direct +$(( $(vmstat_get pgscan_direct) - scan0 ))"
fi
scan1=$(vmstat_get pgscan_direct)
zrf1=$(vmstat_get zone_reclaim_failed)
miss1=$(vmstat_get numa_miss)
log "until the decision: pgscan_direct +$((scan1 - scan0)), zone_reclaim_failed +$((zrf1 - zrf0)), numa_miss +$((miss1 - miss0))"

decision=$(mt_log | grep -E 'zone_reclaim_mode 1 -> 0' | head -n1)
log "decision: $decision"
check "the decision log says why, naming both nodes" \
    grep -Eq 'zone_reclaim_mode 1 -> 0: node 0 reclaimed locally \(.*pgscan_direct [0-9.]+/s over [0-9]+(ms|s|min|h)( [0-9]+(min|s))?\) while node 1 had [0-9.]+ [kMG]i?B free above its high watermark' <<<"$decision"
check "the workload did reclaim directly before the decision" test "$((scan1 - scan0))" -gt 0

# with 0, node 0's allocations spill over to node 1 instead
sleep 6
scan2=$(vmstat_get pgscan_direct)
miss2=$(vmstat_get numa_miss)
log "6 s after the decision: pgscan_direct +$((scan2 - scan1)), numa_miss +$((miss2 - miss1))"
check "after the decision node 0's allocations spill to node 1 (numa_miss grew)" test "$((miss2 - miss1))" -gt 0
check "zone_reclaim_mode stays 0 (memtuned never raises it again)" sysctl_is zone_reclaim_mode 0

kill "$stream" "$anon" 2>/dev/null
wait 2>/dev/null

check "/run/memtuned/originals records the original 1" grep -qx 'zone_reclaim_mode 1 0' /run/memtuned/originals
mt_stop
check "stop restores the original zone_reclaim_mode=1" sysctl_is zone_reclaim_mode 1
mt_finish
