#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One run of bench/vm-effect, inside the guest (test.sh of the share).
# $SHARE/params sets ARM, WORKLOAD, the phases (WARMUP, MEASURE, CALM_PHASE,
# CALM) and the workload's shape; results go to $SHARE/out/:
#   timeline.csv          vm-effect-load sample, over all three phases
#   probe.csv             allocation probe (churn, cache-reuse)
#   burstN.csv            each burst worker's bursts (churn, cache-reuse)
#   streamN.csv           each file streamer's progress (churn, latency)
#   cache.csv             the cache reader's progress (cache-reuse)
#   request.csv           the request loop's latencies (latency)
#   memtuned.log          the daemon's journal
#   status-end.txt        memtunectl status after the calm phase (memtuned arms)
#   dmesg-notes.txt       the kernel's clock and stall messages
#   run.txt               key=value facts (cpu_load_*_s: the CPU seconds
#                         memtuned and kswapd0 used during the load)
# Exit 0 when the run is complete, 3 when an assertion about the arm failed
# (the memtuned arm did not run the policy it should), other: setup failed.
. /mnt/share/lib/guest.sh
# shellcheck source=/dev/null
. "$SHARE/params"

out=$SHARE/out
rm -rf "$out"
mkdir -p "$out"
L=/usr/local/bin/vm-effect-load
cp "$SHARE/vm-effect-load" "$L"
# Every arm installs memtuned and starts it with its policy; the other arms
# stop it before the load, so that the arms differ only by the daemon
# running during the load. With memtuned's setup in its arm alone, that
# setup (not the daemon: stopped before the load, the same) cut the 1 GiB
# cache-reuse load to a third in most runs, and a later install did not
# reliably avoid it (bench/vm-effect.md, "The cache-reuse deficit").
t_inst=$(cut -d' ' -f1 /proc/uptime)
mt_install >/dev/null
echo "install_s=$(awk -v t="$t_inst" '{ printf "%.1f", $1 - t }' /proc/uptime)" >>"$out/run.txt"

fact() { echo "$1=$2" >>"$out/run.txt"; }
# every figure the workload's shape is scaled by: the guest's own RAM, so
# that a 1 GiB and a 4 GiB guest see the same pressure relative to their size
fact uptime_at_start_s "$(cut -d' ' -f1 /proc/uptime)"
mem_kb=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
mem_mib=$((mem_kb / 1024))
fact arm "$ARM"
fact workload "$WORKLOAD"
fact kernel "$(uname -r)"
fact mem_total_kb "$mem_kb"
fact install "${MT_HOW:-none}"
fact kernel_min_free_kbytes "$(sysctl_get min_free_kbytes)"
fact kernel_watermark_scale_factor "$(sysctl_get watermark_scale_factor)"
fact thp "$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)"

burst_mib=$((mem_mib * BURST_PCT / 100))
stream_mib=$((mem_mib * STREAM_FILE_RAM_X))
cache_mib=$((mem_mib * CACHE_PCT / 100))

# ---- the workload's files (before the arm: the same start for every arm) ----
case "$WORKLOAD" in
    churn|latency)
        truncate -s "${stream_mib}M" /var/tmp/stream.bin
        fact stream_file_mib "$stream_mib"
        # fill the free memory with cold page cache (a part of the file the
        # streamers do not reach within a run), so that the load meets a
        # full memory at once: the streamers alone took ~40 s to fill the
        # 1 GiB guest under TCG (smoke run), and would take 4 times longer
        # in the 4 GiB one
        # (two readers, one per vCPU: 850 MiB took 6-10 s with one). The
        # bursts' first round takes its share at once: what they will fill
        # is left free (3.8 GiB took 29 s in the 4 GiB guest on a loaded
        # host, about a third of a run)
        n_bursts=$BURST_WORKERS
        [ "$WORKLOAD" = latency ] && n_bursts=$LATENCY_BURST_WORKERS
        half=$(awk -v b=$((n_bursts * burst_mib)) '/^MemFree/ { w = int($2 / 1024) - b; print (w > 0 ? int(w / 2) : 0) }' /proc/meminfo)
        fact warm_mib $((2 * half))
        t_warm=$(cut -d' ' -f1 /proc/uptime)
        "$L" warm /var/tmp/stream.bin $((2 * mem_mib)) "$half" >/dev/null &
        "$L" warm /var/tmp/stream.bin $((2 * mem_mib + half)) "$half" >/dev/null
        wait
        fact warm_s "$(awk -v t="$t_warm" '{ printf "%.1f", $1 - t }' /proc/uptime)" ;;
    cache-reuse)
        # A sparse file: the guest's root file system has ~1.5 GiB free, so
        # real blocks for the 4 GiB guest's 2 GiB working set do not fit
        # (smoke run: the fill stopped short), and writing them cost 9 s
        # of the 1 GiB guest's run. Evicted pages of a hole leave shadow
        # entries like any others, so refaults count alike; a refault
        # costs a zero-fill here instead of a disk read. The working set
        # starts cached (warm, two readers), as a warm cache would be.
        truncate -s "${cache_mib}M" /var/tmp/cache.bin
        fact cache_file_mib "$cache_mib"
        half=$((cache_mib / 2))
        t_warm=$(cut -d' ' -f1 /proc/uptime)
        "$L" warm /var/tmp/cache.bin 0 "$half" >/dev/null &
        "$L" warm /var/tmp/cache.bin "$half" $((cache_mib - half)) >/dev/null
        wait
        fact warm_s "$(awk -v t="$t_warm" '{ printf "%.1f", $1 - t }' /proc/uptime)" ;;
    *) echo "unknown workload $WORKLOAD"; exit 2 ;;
esac

# ---- memtuned, in every arm ---------------------------------------------------
# memtuned: the shipped default policy as the package installs it
# (/usr/lib/memtuned/policies.d/50-default.conf); memtuned-fast: the old fast
# policy bench/vm-effect.conf in its place. Both with one admin file that
# overrides only the calm time (layering: a later file overrides single
# keys), so that the step back to the baseline fits in the run's calm phase.
[ "$ARM" = memtuned-fast ] && mt_policy 50-default.conf <"$SHARE/fast.conf"
mt_policy 60-vm-effect-calm.conf <<POLICY
# bench/vm-effect: only the calm time, shortened to fit the run
thresholds: { calm = "$CALM"; };
POLICY
memtuned --check --dump >"$out/policy-dump.txt" 2>&1 || true
mt_start
want=default
[ "$ARM" = memtuned-fast ] && want=vm-effect
# the known trap: a daemon built for /usr/local looks for its vendor policy
# there and silently runs the built-in policy. It logs "memtuned running:
# policy 'NAME', MODE." at start ("Policy 'NAME' in force" after a reload).
wait_for 20 mt_log_has "[Pp]olicy '[^']*'" || true
got=$(mt_log | sed -n "s/.*running: policy '\\([^']*\\)'.*/\\1/p; s/.*Policy '\\([^']*\\)' in force.*/\\1/p" |
    tail -n1)
fact policy_name "$got"
mt_log >"$out/memtuned.log"
if [ "$got" != "$want" ]; then
    echo "ASSERTION FAILED: the $ARM arm's memtuned runs policy '$got', not '$want'"
    mt_log | head -n 20
    exit 3
fi
if [ "${ARM#memtuned}" = "$ARM" ]; then
    mt_stop
    sysctl_is min_free_kbytes "$(sed -n 's/^kernel_min_free_kbytes=//p' "$out/run.txt")" &&
        sysctl_is watermark_scale_factor "$(sed -n 's/^kernel_watermark_scale_factor=//p' "$out/run.txt")" ||
        bail "memtuned did not leave the kernel's values after its stop"
fi

# ---- the arm ----------------------------------------------------------------
case "$ARM" in
    default) ;;
    tuned-hpc)
        # TuneD's hpc-compute profile, [sysctl] vm.min_free_kbytes=135168 (a
        # constant, not computed; profiles/hpc-compute/tuned.conf since TuneD
        # 2.11). Its other settings (THP always, readahead, zone_reclaim_mode=1,
        # numa_balancing=0, network) are left out: one node, THP already
        # always, no network, and this compares reserves only.
        sysctl_set min_free_kbytes 135168 ;;
    static)
        # what memtuned ended at (the runner's --static, "name=value ...")
        for kv in $STATIC; do
            sysctl_set "${kv%%=*}" "${kv#*=}" || bail "static: cannot set $kv"
        done ;;
    memtuned|memtuned-fast) ;;
    *) echo "unknown arm $ARM"; exit 2 ;;
esac
sleep 1
fact start_min_free_kbytes "$(sysctl_get min_free_kbytes)"
fact start_watermark_scale_factor "$(sysctl_get watermark_scale_factor)"

# CPU seconds (user + system) a process has used ("nan": none such): what
# the daemon costs, and what a wider gap asks of kswapd's single thread
cpu_s() {
    [ -r "/proc/$1/stat" ] || { echo nan; return; }
    awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"
}
# the CPU seconds process $1 has used since it had used $2
cpu_since() {
    awk -v a="$2" -v b="$(cpu_s "$1")" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else printf "%.2f", b - a }'
}
daemon_pid() { case "$ARM" in memtuned*) mt_pid ;; *) echo 0 ;; esac; }
kswapd_pid=$(pgrep -x kswapd0 | head -n 1)

# ---- the load ---------------------------------------------------------------
cpu0_daemon=$(cpu_s "$(daemon_pid)")
cpu0_kswapd=$(cpu_s "$kswapd_pid")
load=$((WARMUP + MEASURE))
total=$((load + CALM_PHASE))
# everything is written to tmpfs (a few hundred kB) and copied to the share
# at the end: 9p writes under memory pressure are slow
o=/dev/shm/vm-effect
mkdir -p "$o"
# the sampler above the load (nice -10; it reads /proc for ~1 ms every
# 500 ms): at nice 0 the nice -5 workers starved it, with gaps of up to
# 5 s in the timeline (smoke runs)
nice -n -10 "$L" sample 500 "$total" >"$o/timeline.csv" &
sampler=$!
pids=()
streams() {
    local i
    for i in $(seq 1 "$STREAMERS"); do
        # each reader starts one RAM size further in, so they share no pages
        "$L" stream /var/tmp/stream.bin $(( (i - 1) * mem_mib )) "$load" >"$o/stream$i.csv" &
        pids+=($!)
    done
}
bursts() {
    local i
    for i in $(seq 1 "$1"); do
        nice -n "$BURST_NICE" "$L" burst "$burst_mib" "$BURST_HOLD_MS" "$BURST_PAUSE_MS" "$load" \
            >"$o/burst$i.csv" &
        pids+=($!)
    done
}
probe() {
    "$L" probe "$PROBE_MS" "$PROBE_KIB" "$load" >"$o/probe.csv" &
    pids+=($!)
}
case "$WORKLOAD" in
    churn)
        streams; bursts "$BURST_WORKERS"; probe ;;
    cache-reuse)
        "$L" cache /var/tmp/cache.bin "$CACHE_BLOCK_KIB" "$load" >"$o/cache.csv" &
        pids+=($!)
        bursts "$BURST_WORKERS"; probe ;;
    latency)
        streams
        bursts "$LATENCY_BURST_WORKERS"
        nice -n "$REQUEST_NICE" "$L" request "$REQUEST_RATE" "$REQUEST_KIB" "$load" >"$o/request.csv" &
        pids+=($!) ;;
esac
fact burst_mib "$burst_mib"
# The load ends on time: a burst worker checks the time only between
# bursts, and a 626 MiB burst (4 GiB guest) took 12 s and more, so waiting
# for them ran the load up to ~15 s into the calm phase (smoke run).
sleep "$load"
running=0
for p in "${pids[@]}"; do kill "$p" 2>/dev/null && running=$((running + 1)); done
wait "${pids[@]}" 2>/dev/null || true
fact load_killed "$running"
fact cpu_load_memtuned_s "$(cpu_since "$(daemon_pid)" "$cpu0_daemon")"
fact cpu_load_kswapd_s "$(cpu_since "$kswapd_pid" "$cpu0_kswapd")"
fact load_end_min_free_kbytes "$(sysctl_get min_free_kbytes)"
fact load_end_watermark_scale_factor "$(sysctl_get watermark_scale_factor)"
# The calm phase: no load; the sampler goes on. The memtuned arms end it
# once both tunables are back at the kernel's values (plus 2 s of
# timeline), at the latest after CALM_PHASE s: when the step back comes
# depends on the cooldown since the last step and on PSI's decay (smoke
# runs: 25 s after the load in one, not within 35 s in another).
if [ "${ARM#memtuned}" != "$ARM" ]; then
    t_calm=$(cut -d' ' -f1 /proc/uptime)
    while kill -0 "$sampler" 2>/dev/null; do
        if sysctl_is min_free_kbytes "$(sed -n 's/^kernel_min_free_kbytes=//p' "$out/run.txt")" &&
           sysctl_is watermark_scale_factor "$(sed -n 's/^kernel_watermark_scale_factor=//p' "$out/run.txt")"; then
            fact calm_back_s "$(awk -v t="$t_calm" '{ printf "%.1f", $1 - t }' /proc/uptime)"
            sleep 2
            kill "$sampler" 2>/dev/null
            break
        fi
        sleep 1
    done
fi
wait "$sampler" 2>/dev/null || true
fact end_min_free_kbytes "$(sysctl_get min_free_kbytes)"
fact end_watermark_scale_factor "$(sysctl_get watermark_scale_factor)"
cp "$o"/*.csv "$out/"
case "$ARM" in
    memtuned*)
        mt_log >"$out/memtuned.log"
        # why each value is where it is, as the daemon says (a value not
        # back after the calm phase)
        memtunectl status >"$out/status-end.txt" 2>&1 || true
        mt_stop ;;
esac
# what the kernel said about its clock and about stalls: a TCG guest that
# loses its TSC clocksource reads time through an emulated device
fact clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
dmesg | grep -iE 'clocksource|tsc|lockup|stall|hung|watchdog' >"$out/dmesg-notes.txt" 2>/dev/null || true
fact uptime_at_end_s "$(cut -d' ' -f1 /proc/uptime)"
fact "done" 1
exit 0
