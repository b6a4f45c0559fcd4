#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 1 GiB guest: memtuned installed as every scenario installs it
# and started as shipped (the vendor policy, the unit's sandbox, the real
# system bus), then configured as README.Debian tells an administrator;
# Debian's prometheus-node-exporter (in the image, its unit disabled there)
# enabled with its package defaults. The scrape goes through node_exporter,
# as a Prometheus server's would.
. /mnt/share/lib/guest.sh

DIR=/var/lib/prometheus/node-exporter
PROM_FILE=$DIR/memtuned.prom
URL=http://127.0.0.1:9100/metrics
OBJ=(org.memtuned1 /org/memtuned1 org.memtuned1.Manager)
prom() { python3 "$SHARE/files/prom.py" "$@"; }
# scrape OUT: node_exporter's /metrics into OUT
scrape() { prom scrape "$URL" "$1"; }
# series FILE SERIES: its value, or "none"
series() { prom get "$1" "$2" || echo none; }
# the bus's Tunables current value of NAME
bus_current() {
    busctl --system --json=short get-property "${OBJ[@]}" Tunables |
        python3 -c 'import json, sys; print([r[1] for r in json.load(sys.stdin)["data"] if r[0] == sys.argv[1]][0])' "$1"
}

mt_install
mt_have_service || skip_all "the unit or the bus policy is not installed"
command -v prometheus-node-exporter >/dev/null ||
    skip_all "the image has no prometheus-node-exporter (tests/vm/build-image adds it)"

# ---- 1. node_exporter as the package ships it ------------------------------------------
check "/etc/default/prometheus-node-exporter passes no arguments (the textfile directory is the built-in default)" \
    grep -qx 'ARGS=""' /etc/default/prometheus-node-exporter
check "prometheus-node-exporter --help: the textfile collector's default is $DIR" \
    bash -c "prometheus-node-exporter --help 2>&1 | grep -qF -- '--collector.textfile.directory=\"$DIR\"'"
check "$DIR exists (the package's), owned by root" test "$(stat -c %U "$DIR")" = root
systemctl enable --now prometheus-node-exporter >/dev/null 2>&1 || bail "systemctl enable --now prometheus-node-exporter"
wait_for 60 scrape /tmp/scrape0.txt || bail "node_exporter does not answer on $URL"
log "node_exporter answers ($(wc -l </tmp/scrape0.txt) lines)"
check "prometheus-node-exporter.service runs as user prometheus" \
    test "$(ps -o user= -p "$(systemctl show -p MainPID --value prometheus-node-exporter)")" = prometheus

# ---- 2. memtuned as shipped: no metrics until configured --------------------------------
mt_start
check "memtuned active without --metrics-dir" systemctl is-active --quiet memtuned
check "... and no $PROM_FILE" test ! -e "$PROM_FILE"
check "... and no memtuned_ series in the scrape" bash -c "! grep -q '^memtuned_' /tmp/scrape0.txt"

# ---- 3. configured as README.Debian says ------------------------------------------------
echo 'MEMTUNED_OPTIONS="--metrics-dir /var/lib/prometheus/node-exporter"' >/etc/default/memtuned
log "wrote /etc/default/memtuned; systemctl restart memtuned"
systemctl restart memtuned || bail "systemctl restart memtuned"
check "memtuned active after the restart" systemctl is-active --quiet memtuned
pid=$(mt_pid)
check "its command line has --metrics-dir $DIR (EnvironmentFile=, \$MEMTUNED_OPTIONS)" \
    bash -c "tr '\\0' ' ' </proc/$pid/cmdline | grep -qF -- '--metrics-dir $DIR'"
check "the unit's sandbox is the shipped one (ProtectSystem=strict, no drop-in)" \
    bash -c "[ \"\$(systemctl show -p ProtectSystem --value memtuned)\" = strict ] && [ -z \"\$(systemctl show -p DropInPaths --value memtuned)\" ]"
# In the unit's mount namespace: / read-only, the collector's directory a
# writable mount of its own (ReadWritePaths=-/var/lib/prometheus/node-exporter).
findmnt -N "$pid" -T /var/lib/prometheus -n -o TARGET,OPTIONS >/tmp/mnt-parent.txt 2>&1 || true
findmnt -N "$pid" -T "$DIR" -n -o TARGET,OPTIONS >/tmp/mnt-dir.txt 2>&1 || true
log "in memtuned's namespace: /var/lib/prometheus on $(cat /tmp/mnt-parent.txt); $DIR on $(cat /tmp/mnt-dir.txt)"
check "in memtuned's mount namespace /var/lib/prometheus is read-only" grep -qE '(^|,| )ro(,|$)' /tmp/mnt-parent.txt
check "... and $DIR is a read-write mount of its own" grep -qE "^$DIR +(.*,)?rw(,|\$)" /tmp/mnt-dir.txt
t_written=$(date +%s.%N)
check "memtuned writes $PROM_FILE (within 30 s)" wait_for 30 test -s "$PROM_FILE"
log "the file appeared $(awk -v a="$t_written" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the restart"
check "... mode 0644, owned by root:root" test "$(stat -c '%a %U:%G' "$PROM_FILE" 2>&1)" = "644 root:root"
check "... no memtuned.prom.tmp left behind" test ! -e "$DIR/memtuned.prom.tmp"
check "... readable by node_exporter's user" setpriv --reuid=prometheus --regid=prometheus --clear-groups -- head -c1 "$PROM_FILE"
check "memtuned's journal has no metrics warning" bash -c "journalctl --sync >/dev/null 2>&1; ! journalctl -b -u memtuned -o cat | grep -q 'Cannot write metrics'"

# ---- 4. node_exporter serves them -------------------------------------------------------
scrape_has() { scrape /tmp/scrape.txt && grep -q "^$1" /tmp/scrape.txt; }
check "a scrape of $URL has memtuned_ series" wait_for 20 scrape_has 'memtuned_build_info{'
for f in memtuned_build_info memtuned_policy_info memtuned_tunable_current memtuned_tunable_original \
    memtuned_tunable_target memtuned_overrides_active memtuned_decisions_total memtuned_samples_total \
    memtuned_metrics_write_timestamp_seconds; do
    check "the scrape has $f" grep -q "^${f}[ {]" /tmp/scrape.txt
done
check "the scrape's memtuned_policy_info names the vendor policy, enforcing" \
    grep -qE '^memtuned_policy_info\{.*mode="enforce".*policy="default"' /tmp/scrape.txt
check "node_textfile_scrape_error is 0" test "$(series /tmp/scrape.txt node_textfile_scrape_error)" = 0
ts_first=$(series /tmp/scrape.txt memtuned_metrics_write_timestamp_seconds)
check "node_textfile_mtime_seconds names memtuned.prom" grep -q '^node_textfile_mtime_seconds{file=".*memtuned.prom"}' /tmp/scrape.txt
grep '^memtuned_tunable_current' /tmp/scrape.txt | sed 's/^/#   /'
# The file changes only every 10 s at most: compare until they agree.
# shellcheck disable=SC2317 # called through wait_for
agree() {
    local name=$1 k b s
    k=$(sysctl_get "$name"); b=$(bus_current "$name")
    scrape /tmp/scrape.txt || return 1
    s=$(series /tmp/scrape.txt "memtuned_tunable_current{tunable=\"$name\"}")
    echo "sysctl $k, bus $b, scrape $s" >"/tmp/agree-$name.txt"
    [ "$k" = "$b" ] && [ "$b" = "$s" ]
}
for t in swappiness watermark_scale_factor min_free_kbytes; do
    if wait_for 25 agree "$t"; then
        ok "memtuned_tunable_current{tunable=\"$t\"} in the scrape = the bus's Tunables = sysctl vm.$t ($(cat "/tmp/agree-$t.txt"))"
    else
        not_ok "memtuned_tunable_current{tunable=\"$t\"} in the scrape = the bus's Tunables = sysctl vm.$t" "$(cat "/tmp/agree-$t.txt")"
    fi
done

# ---- 5. memtunectl metrics ----------------------------------------------------------------
check "memtunectl metrics" bash -c "memtunectl metrics >/tmp/ctl.txt"
prom names /tmp/ctl.txt memtuned_ >/tmp/ctl-names.txt
prom names /tmp/scrape.txt memtuned_ >/tmp/scrape-names.txt
prom names "$PROM_FILE" memtuned_ >/tmp/file-names.txt
log "$(wc -l </tmp/ctl-names.txt) memtuned_ sample names in memtunectl metrics, $(wc -l </tmp/scrape-names.txt) in the scrape, $(wc -l </tmp/file-names.txt) in the file"
check "memtunectl metrics has the same memtuned_ sample names as the scrape" diff /tmp/ctl-names.txt /tmp/scrape-names.txt
check "... and as the file" diff /tmp/ctl-names.txt /tmp/file-names.txt
check "memtunectl metrics: memtuned_tunable_current{tunable=\"swappiness\"} = sysctl vm.swappiness" \
    test "$(series /tmp/ctl.txt 'memtuned_tunable_current{tunable="swappiness"}')" = "$(sysctl_get swappiness)"

# ---- 6. an override shows in a later scrape --------------------------------------------
SWAP0=$(sysctl_get swappiness)
t_set=$(date +%s)
check "memtunectl set swappiness 33 --for 10min" memtunectl set swappiness 33 --for 10min
check "... the kernel has 33" sysctl_is swappiness 33
override_seen() {
    scrape /tmp/scrape.txt &&
        [ "$(series /tmp/scrape.txt 'memtuned_tunable_current{tunable="swappiness"}')" = 33 ] &&
        [ "$(series /tmp/scrape.txt 'memtuned_tunable_target{tunable="swappiness",source="override"}')" = 33 ] &&
        [ "$(series /tmp/scrape.txt memtuned_overrides_active)" = 1 ]
}
if wait_for 75 override_seen; then
    secs=$(( $(date +%s) - t_set ))
    log "the override was in the scrape after $secs s"
    if [ "$secs" -le 30 ]; then
        ok "the override (current 33, target 33 source override, overrides_active 1) is in a scrape within 30 s ($secs s)"
    else
        not_ok "the override is in a scrape within 30 s" "it took $secs s"
    fi
else
    not_ok "the override is in a scrape within 30 s" "not after 75 s:" \
        "$(grep -E '^memtuned_(tunable_current|tunable_target|overrides_active)' /tmp/scrape.txt | tr '\n' ' ')"
fi
exp=$(series /tmp/scrape.txt 'memtuned_override_expiry_timestamp_seconds{tunable="swappiness"}')
check "memtuned_override_expiry_timestamp_seconds is 10 min after the set ($exp, set at $t_set)" \
    bash -c "[ '$exp' != none ] && [ \$(( ${exp%%.*} - $t_set )) -ge 590 ] && [ \$(( ${exp%%.*} - $t_set )) -le 610 ]"
check "node_textfile_scrape_error is still 0" test "$(series /tmp/scrape.txt node_textfile_scrape_error)" = 0

# ---- 7. stop: the file stays, its timestamp stops ---------------------------------------
ts_run=$(series "$PROM_FILE" memtuned_metrics_write_timestamp_seconds)
# while memtuned runs the file is rewritten (the override of step 6 changed it)
check "while memtuned runs memtuned_metrics_write_timestamp_seconds advances ($ts_first in the first scrape, $ts_run before the stop)" \
    bash -c "[ '$ts_first' != none ] && [ '$ts_run' != none ] && [ ${ts_run%%.*} -gt ${ts_first%%.*} ]"
mt_stop
t_stop=$(date +%s)
check "systemctl stop restores swappiness=$SWAP0" sysctl_is swappiness "$SWAP0"
check "the file stays after the stop" test -s "$PROM_FILE"
ts_stop=$(series "$PROM_FILE" memtuned_metrics_write_timestamp_seconds)
log "write timestamp: $ts_run while running, $ts_stop at the stop ($t_stop)"
sleep 11
scrape /tmp/scrape-stopped.txt || true
ts_later=$(series /tmp/scrape-stopped.txt memtuned_metrics_write_timestamp_seconds)
check "11 s after the stop the scrape's memtuned_metrics_write_timestamp_seconds has not advanced ($ts_later, at the stop $ts_stop)" \
    bash -c "[ '$ts_later' != none ] && [ '$ts_later' = '$ts_stop' ] && [ ${ts_later%%.*} -le $t_stop ]"
check "node_textfile_scrape_error is 0 after the stop" test "$(series /tmp/scrape-stopped.txt node_textfile_scrape_error)" = 0

mt_finish
