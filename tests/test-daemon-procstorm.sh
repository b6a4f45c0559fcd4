#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An exec storm must not leave the daemon holding a descriptor per dead
# process: 2,000 short-lived processes that match a rule each get a pidfd
# while memtuned scores them, and their exit events must close it. Before
# exit events were handled, every pidfd stayed open until the next periodic
# rescan (300 s): 20,000 runs left 19,744 open. Runs the daemon on this
# machine's real /proc with a private copy of /proc/sys/vm, as
# test-daemon-procs.sh does; skips where the proc connector is unavailable.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_root "the proc connector and a mount namespace"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"

make_tmp
storm=2000
# A comm no other process has, not even a parallel run of this test.
victim=mtds$$
cp /bin/true "$tmp/$victim"
mkdir -p "$tmp/policy" "$tmp/vm"
cp /proc/sys/vm/* "$tmp/vm/" 2>/dev/null
cat >"$tmp/policy/50-procs.conf" <<CONF
policy: { name = "storm"; };
processes: (
        { name = "storm-first"; match = { comm = "$victim"; }; oom_score_adj = 500; }
);
CONF

: >"$tmp/log"
unshare -m bash -c 'mount --bind "$1" /proc/sys/vm && shift && exec "$@"' _ "$tmp/vm" \
        "$memtuned" --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none >"$tmp/log" 2>&1 &
pid=$!
wait_for 10 logged "memtuned running" || hard_error "the daemon did not start: $(cat "$tmp/log")"
if logged "No process events from the kernel's proc connector"; then
        skip "the proc connector is unavailable here"
fi
sleep 1 # the first rescan is over
nfds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
before=$(nfds)
echo "# open descriptors before the storm: $before"


"$tmp/$victim" 2>/dev/null # warm the page cache

for ((i = 0; i < storm; i++)); do "$tmp/$victim"; done

# The daemon works through the queued events; give it a moment.
settled() { [ "$(nfds)" -le $((before + 16)) ]; }
check "after $storm short-lived matching processes the daemon holds at most 16 more descriptors" \
        wait_for 10 settled
echo "# open descriptors after the storm: $(nfds)"
check "the daemon is still running" kill -0 "$pid"
check "the storm's processes were scored (logged)" logged "($victim): oom_score_adj 0 -> 500 (rule 'storm-first')"
stop_daemon
[ $fail = 0 ] || { echo "# ---- the daemon's log (tail) ----"; tail -n 30 "$tmp/log" | sed 's/^/# /'; }
exit $fail
