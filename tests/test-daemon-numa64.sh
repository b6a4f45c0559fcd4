#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A host with 64 NUMA nodes lists 320 zones in /proc/zoneinfo, past the
# 256-zone table; the daemon exited with "Argument list too long". It must
# run, keep every node's populated zones and manage on them, on the fixture
# tests/data/numa64 (debian12-numa2 grown to 64 nodes by its make-zoneinfo.sh).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
data=$top_srcdir/tests/data
make_tmp

"$memtuned" --once --json --interval 0.01 --proc-root "$data/numa64/proc" >"$tmp/out.json" 2>"$tmp/err"
check "--once on 64 nodes exits 0" test $? -eq 0
check "--once reports 64 nodes and every populated zone" "$PY" - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["nodes"] == 64, d["nodes"]
populated = [z for z in d["zones"] if z["state"] != "empty"]
assert len(populated) == 65, len(populated)
assert {z["node"] for z in populated} == set(range(64)), sorted({z["node"] for z in populated})
PY

rm -rf "$tmp/proc"
cp -r "$data/numa64/proc" "$tmp/proc"
chmod -R u+w "$tmp/proc"
mkdir -p "$tmp/policy"
printf 'policy: { name = "numa"; };\ntunables: { swappiness: { mode = "fixed"; value = 10; }; };\n' \
        >"$tmp/policy/50-numa.conf"
: >"$tmp/log"
"$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none \
        >>"$tmp/log" 2>&1 &
pid=$!
check "the daemon starts on 64 nodes" wait_for 10 logged "memtuned running"
check "it applies the policy" wait_for 10 test "$(cat "$tmp/proc/sys/vm/swappiness")" = 10
sleep 0.5 # a few more samples
check "it is still running after several samples" kill -0 "$pid"
check "no sample failed" test "$(count_logged "zoneinfo")" -eq 0
check "it stops cleanly" stop_daemon
[ $fail = 0 ] || { echo "# ---- the daemon's log ----"; sed 's/^/# /' "$tmp/log"; cat "$tmp/err"; }
exit $fail
