#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One run of bench/vm-effect, inside the guest (test.sh of the share).
# $SHARE/params sets ARM, WARMUP, MEASURE and the workload's shape; results
# go to $SHARE/out/: timeline.csv (vm-effect-load sample), probe.csv
# (vm-effect-load probe), memtuned.log, run.txt (key=value facts).
. /mnt/share/lib/guest.sh
# shellcheck source=/dev/null
. "$SHARE/params"

out=$SHARE/out
rm -rf "$out"
mkdir -p "$out"
L=/usr/local/bin/vm-effect-load
cp "$SHARE/vm-effect-load" "$L"
mt_install >/dev/null

fact() { echo "$1=$2" >>"$out/run.txt"; }
fact arm "$ARM"
fact kernel "$(uname -r)"
fact mem_total_kb "$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)"
fact kernel_min_free_kbytes "$(sysctl_get min_free_kbytes)"
fact kernel_watermark_scale_factor "$(sysctl_get watermark_scale_factor)"
fact thp "$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)"

# ---- the arm ------------------------------------------------------------------------
case "$ARM" in
    default) ;;
    tuned-hpc)
        # TuneD's hpc-compute profile, [sysctl] vm.min_free_kbytes=135168 (a
        # constant, not computed; profiles/hpc-compute/tuned.conf since TuneD
        # 2.11). Its other settings (THP always, readahead, zone_reclaim_mode=1,
        # numa_balancing=0, network) are left out: one node, THP already
        # always, no network, and this compares reserves only.
        sysctl_set min_free_kbytes 135168 ;;
    memtuned)
        mt_policy 50-default.conf <"$SHARE/policy.conf"
        mt_start ;;
    memtuned-default)
        # the vendor policy as installed (/usr/lib/memtuned/policies.d/50-default.conf)
        mt_start ;;
    *) echo "unknown arm $ARM"; exit 2 ;;
esac
sleep 2
fact start_min_free_kbytes "$(sysctl_get min_free_kbytes)"
fact start_watermark_scale_factor "$(sysctl_get watermark_scale_factor)"

# ---- the workload ------------------------------------------------------------------
total=$((WARMUP + MEASURE))
# the timeline and the probe are written to tmpfs (a few hundred kB) and
# copied to the share at the end: 9p writes under memory pressure are slow
"$L" sample 500 "$((total + 2))" >/dev/shm/timeline.csv &
sampler=$!
truncate -s 4G /var/tmp/stream.bin
streams=()
for i in $(seq 1 "$STREAMERS"); do
    # each reader starts at its own offset, so that they do not share pages
    bg_loop dd if=/var/tmp/stream.bin of=/dev/null bs=1M skip=$(( (i - 1) * 1024 )) status=none
    streams+=($!)
done
"$L" probe "$PROBE_MS" "$PROBE_KIB" "$total" >/dev/shm/probe.csv &
probe=$!
bursts=()
for _ in $(seq 1 "$BURST_WORKERS"); do
    nice -n "$BURST_NICE" "$L" burst "$BURST_MIB" "$BURST_HOLD_MS" "$BURST_PAUSE_MS" "$total" &
    bursts+=($!)
done
wait "${bursts[@]}" "$probe"
kill "${streams[@]}" 2>/dev/null
wait "$sampler"
wait 2>/dev/null

fact end_min_free_kbytes "$(sysctl_get min_free_kbytes)"
fact end_watermark_scale_factor "$(sysctl_get watermark_scale_factor)"
cp /dev/shm/timeline.csv /dev/shm/probe.csv "$out/"
case "$ARM" in
    memtuned*) mt_log >"$out/memtuned.log"; mt_stop ;;
esac
fact "done" 1
exit 0
