#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# memtuned --once end to end: on fixture trees (exact values), on this
# machine's real /proc, and with bad options and hostile trees.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
data=$top_srcdir/tests/data
make_tmp

# JSON on the fixture tree: exact values from the capture.
"$memtuned" --once --json --interval 0.01 --proc-root "$data/host-6.18/proc" >"$tmp/out.json" 2>"$tmp/err"
check "--once --json on host-6.18 exits 0" test $? -eq 0
check "JSON carries the captured values" "$PY" - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1
assert d["memory"]["total_kb"] == 24684084, d["memory"]
assert d["memory"]["swap_total_kb"] == 0
assert d["psi"]["available"] is True and d["psi"]["some"]["avg10"] == 0.0
assert d["vmstat"]["pgscan_direct"]["value"] == 0
assert d["vmstat"]["pgscan_direct"]["per_second"] == 0.0
assert d["vmstat"]["workingset_refault_file"]["value"] == 27492
assert d["nodes"] == 1 and len(d["zones"]) == 5
z = d["zones"][1]
assert (z["zone"], z["min"], z["low"], z["high"], z["state"]) == ("DMA32", 9790, 12237, 14684, "above-high"), z
assert d["zones"][3]["state"] == "empty"
assert d["tunables"] == {"min_free_kbytes": 67584, "watermark_scale_factor": 10, "swappiness": 60,
                         "zone_reclaim_mode": 0, "watermark_boost_factor": 15000,
                         "lru_gen_enabled": None, "lru_gen_min_ttl_ms": None}, d["tunables"]
# --proc-root without --sys-root: /sys is not read, and the knobs say so.
k = {x["name"]: x for x in d["knobs"]}
assert k["lru_gen_enabled"]["state"] == "unsupported", k
assert k["lru_gen_enabled"]["reason"] == "not probed: /sys is not read (--proc-root without --sys-root)", k
assert k["min_free_kbytes"]["state"] == "unmanaged", k
PY

# Issue 19: each knob's state, with the probe's reason, on a 6.18 kernel
# without the multi-gen LRU and on Debian 12's 6.1 with it.
mkdir -p "$tmp/knobs"
printf 'tunables: { lru_gen_enabled: { mode = "fixed"; value = 7; };\n  lru_gen_min_ttl_ms: { mode = "fixed"; value = 1000; };\n  watermark_boost_factor: { mode = "fixed"; value = 0; };\n  zone_reclaim_mode: { mode = "fixed"; value = 1; }; };\n' >"$tmp/knobs/50-knobs.conf"
"$memtuned" --once --json --interval 0.01 --proc-root "$data/host-6.18/proc" --sys-root "$data/host-6.18/sys" \
        --policy-dir "$tmp/knobs" >"$tmp/k618.json"
check "knobs on 6.18: --once exits 0" test $? -eq 0
check "knobs on 6.18: no multi-gen LRU, unsupported with the probe's reason" "$PY" - "$tmp/k618.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = {x["name"]: x for x in d["knobs"]}
assert list(k) == ["min_free_kbytes", "watermark_scale_factor", "swappiness", "zone_reclaim_mode",
                   "watermark_boost_factor", "lru_gen_enabled", "lru_gen_min_ttl_ms"], list(k)
for n in ("lru_gen_enabled", "lru_gen_min_ttl_ms"):
    assert k[n]["state"] == "unsupported", k[n]
    assert k[n]["reason"] == "no /sys/kernel/mm/lru_gen/%s: this kernel has no multi-gen LRU (CONFIG_LRU_GEN, Linux 6.1+)" % n[len("lru_gen_"):], k[n]
    assert d["engine"]["tunables"][n] is None
assert k["watermark_boost_factor"] == {"name": "watermark_boost_factor", "file": "vm.watermark_boost_factor",
                                       "state": "managed", "reason": "fixed by policy"}, k
assert k["zone_reclaim_mode"]["state"] == "managed", k
assert k["swappiness"] == {"name": "swappiness", "file": "vm.swappiness", "state": "unmanaged",
                           "reason": "unmanaged by policy"}, k
assert d["engine"]["decisions"] == ["zone_reclaim_mode 0 -> 1: fixed by policy",
                                    "watermark_boost_factor 15000 -> 0: fixed by policy"], d["engine"]
PY
"$memtuned" --once --json --interval 0.01 --proc-root "$data/debian12-numa2/proc" \
        --sys-root "$data/debian12-numa2/sys" --policy-dir "$tmp/knobs" >"$tmp/k61.json"
check "knobs on 6.1: the multi-gen LRU is managed" "$PY" - "$tmp/k61.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = {x["name"]: x for x in d["knobs"]}
assert d["tunables"]["lru_gen_enabled"] == 0 and d["tunables"]["lru_gen_min_ttl_ms"] == 0, d["tunables"]
assert k["lru_gen_enabled"]["state"] == "managed" and k["lru_gen_enabled"]["file"] == "/sys/kernel/mm/lru_gen/enabled", k
assert k["lru_gen_min_ttl_ms"]["state"] == "managed", k
e = d["engine"]["tunables"]
assert (e["lru_gen_enabled"]["current"], e["lru_gen_enabled"]["target"]) == (0, 7), e
assert (e["lru_gen_min_ttl_ms"]["current"], e["lru_gen_min_ttl_ms"]["target"]) == (0, 1000), e
PY
"$memtuned" --once --interval 0.01 --proc-root "$data/debian12-numa2/proc" \
        --sys-root "$data/debian12-numa2/sys" --policy-dir "$tmp/knobs" >"$tmp/k61.txt"
check "knobs on 6.1: text shows lru_gen/enabled in the kernel's hex" \
        grep -q "^          /sys/kernel/mm/lru_gen/enabled=0x0000$" "$tmp/k61.txt"
check "knobs on 6.1: text has the Knobs table" grep -Eq "^          lru_gen_min_ttl_ms +managed +fixed by policy$" "$tmp/k61.txt"
check "zones show the boost column" grep -Eq "^          node zone +free +min +low +high +boost +managed  state$" "$tmp/k61.txt"

# Memory tiering: zone_reclaim_mode is never set, whatever the policy says.
"$memtuned" --once --json --interval 0.01 --proc-root "$data/debian12-numa2/proc" \
        --sys-root "$data/tiered-demotion/sys" --policy-dir "$tmp/knobs" >"$tmp/tier.json"
check "tiered host: zone_reclaim_mode unmanaged, and why" "$PY" - "$tmp/tier.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = {x["name"]: x for x in d["knobs"]}["zone_reclaim_mode"]
assert k["state"] == "unmanaged", k
assert k["reason"] == ("memory tiering (demotion enabled, tiers memory_tier22 (nodes 1), memory_tier4 (nodes 0)): "
                       "reclaim demotes to the next tier, and zone reclaim would keep a node reclaiming its own "
                       "pages instead; memtuned never sets zone_reclaim_mode here") or \
       k["reason"] == ("memory tiering (demotion enabled, tiers memory_tier4 (nodes 0), memory_tier22 (nodes 1)): "
                       "reclaim demotes to the next tier, and zone reclaim would keep a node reclaiming its own "
                       "pages instead; memtuned never sets zone_reclaim_mode here"), k
t = d["engine"]["tunables"]["zone_reclaim_mode"]
assert (t["target"], t["source"]) == (0, "none"), t
assert all(not x.startswith("zone_reclaim_mode") for x in d["engine"]["decisions"]), d["engine"]["decisions"]
PY
"$memtuned" --once --interval 0.01 --sys-root "$tmp/no-such-dir" >/dev/null 2>"$tmp/err"
check "--sys-root that does not exist: exit 1" test $? -eq 1
check "--sys-root that does not exist: names it" grep -qF "Failed to open root directory '$tmp/no-such-dir'" "$tmp/err"

# What the engine would do now, under a policy.
mkdir -p "$tmp/policy"
printf 'policy: { name = "once"; };\ntunables: { swappiness: { mode = "fixed"; value = 10; }; };\n' >"$tmp/policy/50-once.conf"
"$memtuned" --once --json --interval 0.01 --proc-root "$data/host-6.18/proc" --policy-dir "$tmp/policy" >"$tmp/plan.json"
check "--once with a policy exits 0" test $? -eq 0
check "JSON carries the engine's plan" "$PY" - "$tmp/plan.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["engine"]
assert e["policy"] == "once" and e["mode"] == "enforce" and e["pressure"] == "none", e
t = e["tunables"]["swappiness"]
assert (t["current"], t["target"], t["source"], t["policy_mode"]) == (60, 10, "fixed", "fixed"), t
assert e["tunables"]["min_free_kbytes"]["source"] == "none"
assert e["decisions"] == ["swappiness 60 -> 10: fixed by policy"], e["decisions"]
PY
"$memtuned" --once --interval 0.01 --proc-root "$data/host-6.18/proc" --policy-dir "$tmp/policy" >"$tmp/plan.txt"
check "text shows the decision" grep -q "decision: swappiness 60 -> 10: fixed by policy" "$tmp/plan.txt"
printf 'tunables: { swapiness: { mode = "fixed"; value = 10; }; };\n' >"$tmp/policy/50-once.conf"
"$memtuned" --once --interval 0.01 --proc-root "$data/host-6.18/proc" --policy-dir "$tmp/policy" >"$tmp/plan.txt" 2>"$tmp/plan.err"
check "--once with a broken policy still shows the state" test $? -eq 0
check "--once names the policy error" grep -qF "$tmp/policy/50-once.conf:1:" "$tmp/plan.err"
check "--once falls back to the built-in default" grep -q "showing what the built-in default would do" "$tmp/plan.err"

# A kernel without PSI and NUMA: valid, and said so.
"$memtuned" --once --json --interval 0.01 --proc-root "$data/old-kernel-no-psi/proc" >"$tmp/old.json"
check "no PSI, no zone_reclaim_mode: exit 0" test $? -eq 0
check "no PSI is reported as unavailable" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["psi"] == {"available": False}, d["psi"]
assert d["tunables"]["zone_reclaim_mode"] is None' "$tmp/old.json"
"$memtuned" --once --interval 0.01 --proc-root "$data/old-kernel-no-psi/proc" >"$tmp/old.txt"
check "text says PSI unavailable" grep -q '^PSI       unavailable' "$tmp/old.txt"

# Text output on the real machine.
"$memtuned" --once --interval 0.2 >"$tmp/real.txt" 2>"$tmp/err"
check "--once on the real /proc exits 0" test $? -eq 0
check "text shows memory, zones and tunables" grep -q '^Memory    total' "$tmp/real.txt"
check "text shows this machine's min_free_kbytes" \
        grep -q "vm.min_free_kbytes=$(cat /proc/sys/vm/min_free_kbytes)" "$tmp/real.txt"
check "text lists the Normal zone" grep -Eq '^ +0 +Normal ' "$tmp/real.txt"

# The real machine in JSON agrees with the kernel's files.
"$memtuned" --once --json --interval 0.1 >"$tmp/real.json"
check "real JSON agrees with /proc/meminfo and sysctls" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
total=int(open("/proc/meminfo").read().split("MemTotal:")[1].split()[0])
assert d["memory"]["total_kb"] == total
assert d["tunables"]["swappiness"] == int(open("/proc/sys/vm/swappiness").read())
assert d["interval_usec"] >= 100000' "$tmp/real.json"

# The kill order on the real machine, with the rule that governs a process.
cp /bin/sleep "$tmp/mtdonce"
"$tmp/mtdonce" 60 &
victim=$!
cat >"$tmp/policy/50-once.conf" <<'CONF'
processes: ( { name = "once-victim"; match = { comm = "mtdonce"; }; oom_score_adj = 700; } );
CONF
"$memtuned" --once --json --interval 0.01 --policy-dir "$tmp/policy" >"$tmp/kill.json"
check "--once lists the kill order" "$PY" - "$tmp/kill.json" "$victim" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["processes"]
assert 1 <= len(p) <= 10, len(p)
k = [x["points"] for x in p if x["killable"]]
assert k == sorted(k, reverse=True), k
for x in p:
    assert set(x) >= {"pid", "comm", "rss_kb", "oom_score_adj", "points", "score", "kernel_score", "rule"}, x
PY
"$memtuned" --once --interval 0.01 --policy-dir "$tmp/policy" >"$tmp/kill.txt"
check "--once names the kill order" grep -q "^Kill order" "$tmp/kill.txt"
# Give the victim the highest score so it heads the list, then look for its rule.
echo 1000 >/proc/$victim/oom_score_adj
"$memtuned" --once --json --interval 0.01 --policy-dir "$tmp/policy" >"$tmp/kill.json"
# (Looked up by pid: on a shared machine another process may be at 1000 too.)
check "the process a rule matches is named with its rule" "$PY" -c '
import json, sys
p = [x for x in json.load(open(sys.argv[1]))["processes"] if x["pid"] == int(sys.argv[2])][0]
assert p["rule"] == "once-victim" and p["oom_score_adj"] == 1000, p
assert p["score"] == p["kernel_score"], p' "$tmp/kill.json" "$victim"
check "--once wrote nothing (dry run)" test "$(cat /proc/$victim/oom_score_adj)" = 1000
kill "$victim" 2>/dev/null; { wait "$victim"; } 2>/dev/null

# Another user's process matched by exe: reading its /proc/PID/exe takes
# CAP_SYS_PTRACE, which --once keeps (and only that) when it has it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        chmod 755 "$tmp"
        cp /bin/sleep "$tmp/mtdexe"
        setpriv --reuid 65534 --regid 65534 --clear-groups "$tmp/mtdexe" 60 &
        other=$!
        sleep 0.2
        echo 1000 >/proc/$other/oom_score_adj
        cat >"$tmp/policy/50-once.conf" <<CONF
processes: ( { name = "once-exe"; match = { exe = "$tmp/mtdexe"; }; oom_score_adj = 600; } );
CONF
        "$memtuned" --once --json --interval 0.01 --policy-dir "$tmp/policy" >"$tmp/kill.json"
        check "another user's process matched by exe is named with its rule" "$PY" -c '
import json, sys
p = [x for x in json.load(open(sys.argv[1]))["processes"] if x["pid"] == int(sys.argv[2])][0]
assert p["rule"] == "once-exe", p' "$tmp/kill.json" "$other"
        kill "$other" 2>/dev/null; { wait "$other"; } 2>/dev/null
else
        echo "# not root or no setpriv: the exe rule for another user's process is not checked"
fi

# Hostile trees: a clear error naming the file, exit 1, nothing on stdout.
hostile() { # tree, expected message
        "$memtuned" --once --interval 0.01 --proc-root "$data/$1/proc" >"$tmp/h.out" 2>"$tmp/h.err"
        local rc=$?
        check "$1: exit 1" test $rc -eq 1
        check "$1: message '$2'" grep -qF -- "$2" "$tmp/h.err"
        check "$1: nothing on stdout" test ! -s "$tmp/h.out"
}
hostile hostile-zoneinfo-truncated "Failed to parse '$data/hostile-zoneinfo-truncated/proc/zoneinfo': No data available"
hostile hostile-vmstat-overflow "/proc/vmstat': Numerical result out of range"
hostile hostile-meminfo-missing "/proc/meminfo': No data available"
hostile hostile-psi-garbage "/proc/pressure/memory': Invalid argument"
hostile hostile-vmstat-huge "/proc/vmstat': File too large"
hostile hostile-sysctl-garbage "Failed to parse '$data/hostile-sysctl-garbage/proc/sys/vm/swappiness': Invalid argument"

# Usage errors exit 2 and say what is wrong.
usage() { # expected message, args...
        local msg=$1; shift
        "$memtuned" "$@" >/dev/null 2>"$tmp/u.err"
        local rc=$?
        check "usage '$*': exit 2" test $rc -eq 2
        check "usage '$*': says '$msg'" grep -qF -- "$msg" "$tmp/u.err"
}
usage "Invalid --interval 'abc'" --once --interval abc
usage "Invalid --interval '0'" --once --interval 0
usage "Invalid --interval '-1'" --once --interval -1
usage "Invalid --interval '1e9'" --once --interval 1e9
usage "--json and --interval need --once" --json
usage "Unexpected argument 'extra'" --once extra
usage "unrecognized option" --bogus

"$memtuned" --once --proc-root "$tmp/nonexistent" >/dev/null 2>"$tmp/n.err"
check "missing --proc-root: exit 1" test $? -eq 1
check "missing --proc-root: names it" grep -qF "Failed to open root directory '$tmp/nonexistent'" "$tmp/n.err"

"$memtuned" --help >"$tmp/help"
check "--help exits 0 and lists --once" grep -q -- '--once' "$tmp/help"

exit $fail
