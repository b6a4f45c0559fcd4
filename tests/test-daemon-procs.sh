#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Process rules in the running daemon on this machine's real /proc: a process
# that exists at start gets its score from the first rescan, a new one from
# the proc connector (or a rescan where the connector is unavailable), and
# observe mode writes nothing. The machine's vm sysctls are protected: the
# daemon runs in a private mount namespace with a copy of /proc/sys/vm bound
# over the real one, and its policy manages no tunable.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_root "the proc connector and a mount namespace"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"

make_tmp
pids=()    # every process started, the daemons too: killed when the test exits
on_exit() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; { wait "$p"; } 2>/dev/null; done; pid=; }

adj_is() { [ "$(cat /proc/$1/oom_score_adj 2>/dev/null)" = "$2" ]; }

# A program whose comm no other process has, not even this test run
# elsewhere on the machine at the same time (its daemon would score ours).
victim=mtdv$$
cp /bin/sleep "$tmp/$victim"
mkdir -p "$tmp/policy" "$tmp/vm"
cp /proc/sys/vm/* "$tmp/vm/" 2>/dev/null
cat >"$tmp/policy/50-procs.conf" <<CONF
policy: { name = "procs"; };
processes: (
        { name = "victim-first"; match = { comm = "$victim"; }; oom_score_adj = 500; }
);
CONF
before=$(cat /proc/sys/vm/min_free_kbytes /proc/sys/vm/swappiness /proc/sys/vm/watermark_scale_factor)

start_daemon() { # extra args
        : >"$tmp/log"
        unshare -m bash -c 'mount --bind "$1" /proc/sys/vm && shift && exec "$@"' _ "$tmp/vm" \
                "$memtuned" --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none "$@" >>"$tmp/log" 2>&1 &
        pid=$!
        pids+=("$pid")
        wait_for 10 logged "memtuned running"
}

"$tmp/$victim" 300 &
early=$!
pids+=("$early")
check "the early process starts at 0" adj_is "$early" 0

check "daemon starts" start_daemon
check "the first rescan scores the process that was there" wait_for 10 adj_is "$early" 500
check "the change is logged with its rule" logged "pid $early ($victim): oom_score_adj 0 -> 500 (rule 'victim-first')"

"$tmp/$victim" 300 &
late=$!
pids+=("$late")
# With the connector this takes milliseconds; without, the next rescan (10 s).
check "a new process gets its score" wait_for 15 adj_is "$late" 500
if logged "No process events from the kernel's proc connector"; then
        echo "# the connector was unavailable: the rescan did it"
else
        check "via the connector: within 2 s" adj_is "$late" 500
fi
/bin/sleep 300 &
other=$!
pids+=("$other")
sleep 0.5
check "a process no rule matches is left alone" adj_is "$other" 0

# Without process rules the daemon stops listening to the connector, and
# listens again when a reload brings rules back: a process started after that
# gets its score long before the next periodic rescan (60 s).
if ! logged "No process events from the kernel's proc connector"; then
        cp "$tmp/policy/50-procs.conf" "$tmp/procs.conf"
        printf 'policy: { name = "no-rules"; };\n' >"$tmp/policy/50-procs.conf.tmp"
        mv "$tmp/policy/50-procs.conf.tmp" "$tmp/policy/50-procs.conf"
        check "no rules: it stops listening" wait_for 10 logged "No process rules: not listening to process events."
        cp "$tmp/procs.conf" "$tmp/policy/50-procs.conf.tmp"
        mv "$tmp/policy/50-procs.conf.tmp" "$tmp/policy/50-procs.conf"
        check "rules again: it listens again" wait_for 10 logged "Process rules: listening to process events again."
        sleep 1 # the reload's own rescan is over
        "$tmp/$victim" 300 &
        fourth=$!
        pids+=("$fourth")
        check "rules again: a new process gets its score from the connector" wait_for 10 adj_is "$fourth" 500
fi
stop_daemon

# Observe mode decides and says so, and writes nothing.
"$tmp/$victim" 300 &
third=$!
pids+=("$third")
check "observe: daemon starts" start_daemon --observe
check "observe: the decision is logged" wait_for 10 logged "(observe) pid $third ($victim): oom_score_adj 0 -> 500"
check "observe: nothing is written" adj_is "$third" 0
stop_daemon

after=$(cat /proc/sys/vm/min_free_kbytes /proc/sys/vm/swappiness /proc/sys/vm/watermark_scale_factor)
check "the machine's vm sysctls are untouched" test "$before" = "$after"
check "no originals were recorded" test ! -e "$tmp/state/originals"
[ $fail = 0 ] || { echo "# ---- the last daemon's log ----"; sed 's/^/# /' "$tmp/log"; }
exit $fail
