#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 19, in the guest: the knobs of today's kernels under the installed
# unit (its sandbox opens exactly the knob files).
#   1. Each knob's state (memtuned --once --json): all present on 6.1.
#   2. The policy's fixed values land: watermark_boost_factor 0,
#      lru_gen/enabled 0x0007, min_ttl_ms 1000; swappiness by the swap
#      class: no swap -> the value found; swapon of a zram device -> 150
#      within a sample; swapoff and a swap file on the virtio disk -> the
#      disk's class (its queue/rotational says which); swapoff -> back.
#   3. systemctl stop restores every knob.
#   4. SIGKILL, systemd restarts memtuned, /run/memtuned/originals still
#      names the kernel's values; stop restores them.
#   5. The /sys files the fixture trees mirror are copied to the share.
. /mnt/share/lib/guest.sh

LRU=/sys/kernel/mm/lru_gen
[ -e "$LRU/enabled" ] || skip_all "this guest kernel has no multi-gen LRU ($LRU)"
mt_install

knob_values() {
    echo "wbf=$(sysctl_get watermark_boost_factor) lru=$(cat $LRU/enabled) ttl=$(cat $LRU/min_ttl_ms) swp=$(sysctl_get swappiness)"
}
WBF0=$(sysctl_get watermark_boost_factor)
LRU0=$(cat $LRU/enabled)
TTL0=$(cat $LRU/min_ttl_ms)
SWP0=$(sysctl_get swappiness)
log "the kernel's values: $(knob_values)"
ORIG="wbf=$WBF0 lru=$LRU0 ttl=$TTL0 swp=$SWP0"
SET_FIXED="wbf=0 lru=0x0007 ttl=1000"

# ---- 5 first: what the fixture trees mirror, before anything changes ---------
mkdir -p /mnt/share/out/sys
for f in kernel/mm/lru_gen/enabled kernel/mm/lru_gen/min_ttl_ms kernel/mm/numa/demotion_enabled \
         module/zswap/parameters/enabled block/vda/queue/rotational; do
    if [ -e "/sys/$f" ]; then
        mkdir -p "/mnt/share/out/sys/$(dirname "$f")"
        cat "/sys/$f" >"/mnt/share/out/sys/$f"
    fi
done
for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
    [ -e "$t/nodelist" ] || continue
    mkdir -p "/mnt/share/out/sys/devices/virtual/memory_tiering/${t##*/}"
    cat "$t/nodelist" >"/mnt/share/out/sys/devices/virtual/memory_tiering/${t##*/}/nodelist"
done
uname -a >/mnt/share/out/uname
log "copied $(find /mnt/share/out/sys -type f | wc -l) /sys files to the share"

mt_policy 60-knobs.conf <<'POLICY'
# tests/vm/scenarios/knobs
policy: { name = "vm-knobs"; };
tunables: {
        watermark_boost_factor: { mode = "fixed"; value = 0; };
        lru_gen_enabled: { mode = "fixed"; value = 7; };
        lru_gen_min_ttl_ms: { mode = "fixed"; value = 1000; };
        swappiness: { mode = "by-swap-class"; };
};
# A sample every 2 s at most, so that "within a sample" is short here.
thresholds: { sample_interval_max = "2s"; };
POLICY

fixed_set() { [ "$(knob_values | cut -d' ' -f1-3)" = "$SET_FIXED" ]; }
restored() { [ "$(knob_values)" = "$ORIG" ]; }
swp_is() { sysctl_is swappiness "$1"; }

# ---- 1, 2: states and values ---------------------------------------------------
rm -f /run/memtuned/originals
swapoff -a 2>/dev/null
mt_start
check "the fixed knobs are set ($SET_FIXED)" wait_for 20 fixed_set
log "after start: $(knob_values)"
check "no swap: swappiness stays the value found ($SWP0)" swp_is "$SWP0"
memtuned --once --json --interval 0.2 >/tmp/once.json 2>/tmp/once.err || log "--once: $(cat /tmp/once.err)"
check "--once: every knob managed on 6.1" python3 -c '
import json, sys
d = json.load(open("/tmp/once.json"))
k = {x["name"]: x["state"] for x in d["knobs"]}
assert all(k[n] == "managed" for n in ("watermark_boost_factor", "lru_gen_enabled", "lru_gen_min_ttl_ms", "swappiness")), k
assert d["swap"]["class"] == "none", d["swap"]'
check "/run/memtuned/originals names the lru_gen knobs' originals" \
    grep -qx "lru_gen_enabled $((LRU0)) 7" /run/memtuned/originals

# zram, made after start
modprobe zram num_devices=1 2>/dev/null || log "modprobe zram failed"
if dev=$(zramctl --find --size 128M 2>/tmp/zram.err); then
    mkswap "$dev" >/dev/null && swapon -p 100 "$dev"
    log "swapon $dev: $(tr '\n' ';' </proc/swaps)"
    t0=$(date +%s.%N)
    check "zram swapped on after start: swappiness 150 within a sample" wait_for 10 swp_is 150
    log "seen after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
    check "the decision names the class and the device" \
        mt_log_has "swappiness $SWP0 -> 150: swap class zram \\($dev: a zram device\\): 150 by the policy's table"
    swapoff "$dev"
    check "swapoff: back to the value found ($SWP0)" wait_for 10 swp_is "$SWP0"
    check "the decision says no swap" mt_log_has "swap class none \\(no swap\\)"
    zramctl --reset "$dev"
else
    not_ok "a zram device" "$(cat /tmp/zram.err)"
fi

# a swap file on the virtio disk
rot=$(cat /sys/block/vda/queue/rotational)
want=$([ "$rot" = 1 ] && echo 20 || echo 60)
class=$([ "$rot" = 1 ] && echo disk || echo ssd)
dd if=/dev/zero of=/swapfile bs=1M count=64 status=none && chmod 600 /swapfile && mkswap /swapfile >/dev/null
swapon /swapfile
check "a swap file on vda (rotational $rot): swappiness $want (class $class)" wait_for 10 swp_is "$want"
check "the decision names the class and how it was found" \
    mt_log_has "swap class $class \\(/swapfile: rotational $rot \\(/sys/dev/block/"
swapoff /swapfile
check "swapoff: back to $SWP0" wait_for 10 swp_is "$SWP0"

# ---- 3: stop restores every knob ----------------------------------------------------
mt_stop
check "stop restores every knob ($ORIG)" restored
log "after stop: $(knob_values)"
check "a clean stop leaves no originals behind" test ! -s /run/memtuned/originals

# ---- 4: SIGKILL, restart, stop --------------------------------------------------------
mt_start
wait_for 20 fixed_set || bail "the knobs were not set after the second start"
pid1=$(mt_pid)
systemctl kill -s SIGKILL --kill-who=main memtuned
if wait_for 30 bash -c "[ \"\$(systemctl show -p NRestarts --value memtuned)\" -ge 1 ] && systemctl is-active --quiet memtuned"; then
    ok "systemd restarted memtuned after SIGKILL"
else
    not_ok "systemd restarted memtuned after SIGKILL" "$(systemctl status memtuned 2>&1 | head -n 12)"
fi
check "a new process" test "$pid1" != "$(mt_pid)"
check "after the restart the knobs are still the policy's" wait_for 10 fixed_set
check "the originals are still the kernel's" grep -qx "lru_gen_min_ttl_ms $TTL0 1000" /run/memtuned/originals
mt_stop
check "stop after SIGKILL and restart restores every knob ($ORIG)" restored
log "at the end: $(knob_values)"

mt_finish
