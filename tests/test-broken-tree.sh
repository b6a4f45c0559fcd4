#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The daemon on a broken --proc-root tree: every error names the whole path of
# the file at fault and the real cause, never a file relative to the tree,
# never "No valid policy" of a valid policy; at start and at a reload.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

make_tmp
POLICY_TEXT='policy: { name = "test"; };
tunables: { swappiness: { mode = "fixed"; value = 10; }; };'

run() { # runs the daemon once on $tmp/proc; its output in $tmp/log
        timeout 10 "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none >"$tmp/log" 2>&1
}

# A truncated zoneinfo: the host facts and the samples need it.
reset_tree 50-test.conf "$POLICY_TEXT"
head -c 300 "$top_srcdir/tests/data/host-6.18/proc/zoneinfo" >"$tmp/proc/zoneinfo"
run; rc=$?
check "a truncated zoneinfo: exit 1" test $rc -eq 1
check "... names the whole path and the cause" logged "Failed to parse '$tmp/proc/zoneinfo': No data available"
check "... does not call the valid policy invalid" sh -c "! grep -q 'No valid policy' '$tmp/log'"
check "... says nothing about host facts without a file" sh -c "! grep -q 'host facts for the policy: ' '$tmp/log'"
check "... and leaves the value alone" is_value swappiness 60

# An empty vmstat: named with the whole path.
reset_tree 50-test.conf "$POLICY_TEXT"
: >"$tmp/proc/vmstat"
run; rc=$?
check "an empty vmstat: exit 1" test $rc -eq 1
check "... names the whole path" logged "Failed to parse '$tmp/proc/vmstat': No data available"

# A missing meminfo: the open fails, naming it.
reset_tree 50-test.conf "$POLICY_TEXT"
rm "$tmp/proc/meminfo"
run; rc=$?
check "a missing meminfo: exit 1" test $rc -eq 1
check "... names the whole path" logged "Failed to open '$tmp/proc/meminfo': No such file or directory"

# A reload while zoneinfo is broken: the host facts' file is named, and the
# policy in force stays.
reset_tree 50-test.conf "$POLICY_TEXT"
"$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none \
        >"$tmp/log" 2>&1 &
pid=$!
check "a good tree: the daemon runs" wait_for 10 logged "memtuned running: policy 'test'"
check "... and applies the policy" wait_for 5 is_value swappiness 10
head -c 300 "$top_srcdir/tests/data/host-6.18/proc/zoneinfo" >"$tmp/proc/zoneinfo.new"
mv "$tmp/proc/zoneinfo.new" "$tmp/proc/zoneinfo"
kill -HUP "$pid"
check "zoneinfo broken, then a reload: the file is named" \
        wait_for 5 logged "Failed to read the host facts for the policy from '$tmp/proc/zoneinfo': No data available"
check "... the policy in force stays" \
        logged "Could not evaluate the policy without the host facts; the last good policy (test) stays in force."
check "... the daemon goes on" kill -0 "$pid"
check "... with the policy's value" is_value swappiness 10
stop_daemon

echo "# $passed passed"
exit $fail
