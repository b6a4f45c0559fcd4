#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Watching the policy directories, on a fixture tree:
# - a steady stream of changes does not postpone the reload forever: with a
#   file touched every 100 ms for 15 s, a reload comes while the changes go
#   on (the debounce's maximum delay), and handling the stream is cheap;
# - a --policy-dir that does not exist at start is watched through its
#   parent: created later with a file in it, the policy loads; edited, it
#   loads again; removed and created again, it loads again.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
make_tmp
toucher=
on_exit() { [ -z "$toucher" ] || kill "$toucher" 2>/dev/null; }

start_daemon() { # policy dir
        : >"$tmp/log"
        "$memtuned" --proc-root "$tmp/proc" --policy-dir "$1" --state-dir "$tmp/state" --bus none \
                >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 10 logged "memtuned running"
}
policy() { # name: a valid policy file's text
        printf 'policy: { name = "%s"; };\ntunables: { swappiness: { mode = "fixed"; value = 10; }; };\n' "$1"
}
# cpu_ticks: the daemon's user + system time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# ---- a stream of changes ----
reset_tree 50-a.conf "$(policy stream)"
check "daemon starts" start_daemon "$tmp/policy"
check "the policy is in force" logged "memtuned running: policy 'stream'"
# Touching changes nothing: each reload says so.
before=$(count_logged "Policy 'stream' reloaded, unchanged.")
ticks0=$(cpu_ticks)
# 15 s of changes at least, three times the maximum delay: what is asserted
# is that a reload comes while they go on, not how soon (the machine may be
# busy).
( for _ in $(seq 150); do touch "$tmp/policy/50-a.conf"; sleep 0.1; done ) &
toucher=$!
start=$SECONDS
reloaded() { [ "$(count_logged "Policy 'stream' reloaded, unchanged.")" -gt "$before" ]; }
reloaded_meanwhile() { reloaded && kill -0 "$toucher" 2>/dev/null; }
check "a reload comes while the changes go on (the debounce ends at most 5 s after the first)" \
        wait_for 30 reloaded_meanwhile
echo "# first reload after about $((SECONDS - start)) s"
wait "$toucher"
toucher=
elapsed=$((SECONDS - start))
ticks1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
echo "# daemon CPU during $elapsed s of changes: $((ticks1 - ticks0)) ticks of 1/$hz s"
check "handling the changes cost under 5% of a core" test $(((ticks1 - ticks0) * 100)) -lt $((hz * elapsed * 5))
sleep 1 # the last burst's reload
n=$(count_logged "Policy 'stream' reloaded, unchanged.")
sleep 1
check "quiet again: no more reloads" test "$(count_logged "Policy 'stream' reloaded, unchanged.")" -eq "$n"
check "an unchanged policy is not announced as a new one" test "$(count_logged "Policy 'stream' in force")" -eq 0
[ $fail = 0 ] || { echo "# ---- the daemon's log ----"; sed 's/^/# /' "$tmp/log"; }
stop_daemon

# ---- a directory that does not exist at start ----
dir=$tmp/later/memtuned/policies.d
check "daemon starts without its policy directory" start_daemon "$dir"
mkdir -p "$dir"
policy first >"$dir/50-x.conf.tmp"
mv "$dir/50-x.conf.tmp" "$dir/50-x.conf"
check "created later with a file: the policy loads" wait_for 5 logged "Policy 'first' in force"
sleep 0.2
policy second >"$dir/50-x.conf"
check "edited in place: it loads again" wait_for 5 logged "Policy 'second' in force"
policy third >"$dir/50-x.conf.tmp"
mv "$dir/50-x.conf.tmp" "$dir/50-x.conf"
check "replaced by rename: it loads again" wait_for 5 logged "Policy 'third' in force"
rm -rf "$tmp/later/memtuned"
check "removed: the daemon goes on" wait_for 5 logged "Policy 'built-in"
mkdir -p "$dir"
policy fourth >"$dir/50-x.conf"
check "created again: it loads again" wait_for 5 logged "Policy 'fourth' in force"
policy fifth >"$dir/50-x.conf"
check "and is watched again" wait_for 5 logged "Policy 'fifth' in force"
check "the daemon is still running" kill -0 "$pid"
stop_daemon
[ $fail = 0 ] || { echo "# ---- the daemon's log ----"; sed 's/^/# /' "$tmp/log"; }
exit $fail
