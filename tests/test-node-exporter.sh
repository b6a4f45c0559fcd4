#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# memtuned's metrics through the real prometheus-node-exporter: memtuned
# (on a private system-type bus, on a writable fixture tree) writes into a
# directory that node_exporter's textfile collector reads; node_exporter
# listens on 127.0.0.1 only, on a free port, with every other collector off.
#  - a scrape of /metrics has memtuned's families and no textfile error;
#  - a tunable's value there equals the same value on the bus (Tunables);
#  - `memtunectl metrics` (GetMetrics) passes promtool check metrics;
#  - an override (memtunectl set) shows in a later scrape;
#  - scrapes while memtuned rewrites the file again and again (each start
#    writes it at once) all parse: never a half-written file.
# Skips (77) without dbus-daemon or prometheus-node-exporter.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_command dbus-daemon dbus
need_command busctl systemd
need_command prometheus-node-exporter prometheus-node-exporter
[ -x "$PY" ] || skip "$PY is needed"
make_tmp
ADDR="unix:path=$tmp/system_bus_socket"
buspid= nepid= scraperpid=
on_exit() {
        for p in $scraperpid $nepid $buspid; do kill "$p" 2>/dev/null; done
        if [ -n "${KEEP_LOG:-}" ]; then mkdir -p /tmp/test-node-exporter.last && cp "$tmp"/*.log /tmp/test-node-exporter.last/; fi
}
bctl() { busctl --address="$ADDR" "$@"; }
mctl() { "$memtunectl" --bus-address="$ADDR" "$@"; }

# The bus: only our policy file lets memtuned own the name.
mkdir "$tmp/system.d"
cp "$top_srcdir/dbus/org.memtuned1.conf" "$tmp/system.d/"
sed "s|@DIR@|$tmp|g" "$top_srcdir/tests/bus/system.conf.in" >"$tmp/bus.conf"
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nosyslog >"$tmp/dbus.log" 2>&1 &
buspid=$!
wait_for 5 bctl list >/dev/null 2>&1 || hard_error "the private bus did not start"

# memtuned samples every second at most 2 s apart here (the metrics file is
# still written at most every 10 s).
cp -r "$top_srcdir/tests/data/host-6.18/proc" "$tmp/proc"
mkdir -p "$tmp/policy" "$tmp/metrics"
cat >"$tmp/policy/50-test.conf" <<'POLICY'
policy: { name = "node-exporter-test"; };
tunables: { swappiness: { mode = "adaptive"; min = 0; max = 200; }; };
thresholds: { sample_interval_min = "1s"; sample_interval_max = "2s"; };
POLICY
start_daemon() { # extra args...
        : >"$tmp/log"
        "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --metrics-dir "$tmp/metrics" "$@" >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 logged "memtuned running"
}
check "memtuned starts on the private bus" start_daemon --bus "$ADDR"
check "memtuned owns its name" wait_for 5 logged "Serving org.memtuned1 on the bus."
check "memtuned.prom written" wait_for 5 test -s "$tmp/metrics/memtuned.prom"

# node_exporter: 127.0.0.1 and a port nobody uses, only the textfile collector.
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
        --collector.textfile --collector.textfile.directory="$tmp/metrics" >"$tmp/node-exporter.log" 2>&1 &
nepid=$!
scrape() { # to stdout
        "$PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$port"
}
check "node_exporter answers on 127.0.0.1:$port" wait_for 10 sh -c "$(declare -f scrape); PY=$PY port=$port scrape >/dev/null 2>&1"
scrape >"$tmp/scrape1" 2>>"$tmp/node-exporter.log"
for f in memtuned_build_info memtuned_policy_info memtuned_pressure_stall_seconds_total memtuned_pgscan_pages_total \
         memtuned_tunable_current memtuned_decisions_total memtuned_decision_reaction_seconds_bucket \
         memtuned_metrics_write_timestamp_seconds; do
        check "the scrape has $f" grep -q "^$f[{ ]" "$tmp/scrape1"
done
check "node_exporter read the file without error" grep -qx 'node_textfile_scrape_error 0' "$tmp/scrape1"
check "the scrape names the policy" grep -q '^memtuned_policy_info{.*policy="node-exporter-test"' "$tmp/scrape1"

# The same value on the bus and in the scrape.
scraped() { # series (with labels): its value in the newest scrape, stdin
        awk -v s="$1" 'index($0, s " ") == 1 { print $2 }'
}
bus_current() { # tunable: current value from the Tunables property
        bctl get-property org.memtuned1 /org/memtuned1 org.memtuned1.Manager Tunables |
                tr ' ' '\n' | awk -v t="\"$1\"" '$0 == t { getline; print; exit }'
}
m=$(scraped 'memtuned_tunable_current{tunable="min_free_kbytes"}' <"$tmp/scrape1")
b=$(bus_current min_free_kbytes)
check "min_free_kbytes: scrape ($m) equals the bus ($b)" test -n "$m" -a "$m" = "$b"

# GetMetrics through memtunectl.
mctl metrics >"$tmp/ctl.prom" 2>"$tmp/ctl.log"
check "memtunectl metrics" test -s "$tmp/ctl.prom"
check "memtunectl metrics: the same families as the file" \
        test "$(grep '^# TYPE' "$tmp/ctl.prom")" = "$(grep '^# TYPE' "$tmp/metrics/memtuned.prom")"
if command -v promtool >/dev/null; then
        check "memtunectl metrics: promtool check metrics" sh -c "promtool check metrics <'$tmp/ctl.prom'"
else
        echo "# skipped: promtool check metrics (no promtool)"
fi

# A change shows in a later scrape (within the 10 s the file may wait, and a tick).
check "memtunectl set swappiness 33" mctl set swappiness 33
check "the override is on the bus" test "$(bus_current swappiness)" = 33
in_scrape() { scrape 2>/dev/null | grep -qF "$1"; }
check "the override shows in a scrape" wait_for 20 in_scrape 'memtuned_tunable_current{tunable="swappiness"} 33'
check "with its source" in_scrape 'memtuned_tunable_target{source="override",tunable="swappiness"} 33'  # node_exporter sorts labels
check "and its expiry (+Inf: until cleared)" \
        in_scrape 'memtuned_override_expiry_timestamp_seconds{tunable="swappiness"} +Inf'
check "and the admin decision" in_scrape 'memtuned_decision_triggers_total{trigger="admin"} 1'
stop_daemon

# Rewrites while scraping: every scrape must parse (node_textfile_scrape_error
# 0, the timestamp line there). Each start writes the file at once.
"$PY" - "$port" "$tmp/scrapes.log" <<'SCRAPER' &
import sys, time, urllib.request
port, log = sys.argv[1], sys.argv[2]
n = bad = 0
deadline = time.time() + 60
with open(log, "w") as out:
    while time.time() < deadline:
        try:
            text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5).read().decode()
        except Exception as e:
            out.write("error %s\n" % e); out.flush(); continue
        n += 1
        ok = "node_textfile_scrape_error 0\n" in text and "\nmemtuned_metrics_write_timestamp_seconds " in text
        if not ok:
            bad += 1
        out.write("scrape %d %s\n" % (n, "ok" if ok else "BAD")); out.flush()
        try:
            open(log + ".stop").close(); break
        except OSError:
            pass
SCRAPER
scraperpid=$!
writes=0
for _ in $(seq 15); do
        before=$(stat -c %Y.%i "$tmp/metrics/memtuned.prom")
        start_daemon --bus none || break
        wait_for 5 sh -c "test \"\$(stat -c %Y.%i '$tmp/metrics/memtuned.prom')\" != '$before'" && writes=$((writes + 1))
        stop_daemon
done
touch "$tmp/scrapes.log.stop"
wait "$scraperpid"; scraperpid=
n=$(grep -c '^scrape' "$tmp/scrapes.log")
echo "# $writes rewrites, $n scrapes"
check "15 rewrites" test "$writes" -eq 15
check "many scrapes during them ($n)" test "$n" -ge 50
check "every scrape parsed" test "$(grep -c 'BAD\|^error' "$tmp/scrapes.log")" -eq 0

echo "# $passed checks passed"
exit $fail
