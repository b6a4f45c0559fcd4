#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Each decision is a structured journal record when memtuned runs under the
# journal, and a plain line otherwise (daemon/decisionlog.c, log_decision()).
#
# In a private mount namespace a tmpfs over /run holds a stand-in journal:
# a datagram socket at /run/systemd/journal/socket (where sd_journal_send()
# writes) that records every field. memtuned believes stderr is the journal
# when JOURNAL_STREAM names stderr's device and inode, as journald sets it.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
MESSAGE_ID=$(sed -n 's/^#define MEMTUNED_DECISION_MESSAGE_ID "\([0-9a-f]*\)"$/\1/p' "$top_srcdir/daemon/decisionlog.h")

if [ "${1:-}" != --inside ]; then
        need_root "unshare -m, a tmpfs over /run"
        need_command unshare util-linux
        [ -x "$PY" ] || skip "$PY not installed (package python3)"
        [ ${#MESSAGE_ID} -eq 32 ] || hard_error "no MEMTUNED_DECISION_MESSAGE_ID in daemon/decisionlog.h"
        make_tmp
        unshare --mount --propagation private -- "$0" --inside "$tmp"
        exit $?
fi

# ---- inside the private mount namespace -------------------------------------
tmp=$2    # made and removed outside
listener=
on_exit() { if [ -n "$listener" ]; then kill "$listener" 2>/dev/null; fi; }

mount -t tmpfs -o size=4m,mode=0755 tmpfs /run || hard_error "cannot mount a tmpfs over /run"
mkdir -p /run/systemd/journal

# The stand-in journal: one JSON object per datagram (native protocol:
# KEY=VALUE lines, or KEY, a 64-bit little-endian length and the value).
start_journal() {
        rm -f "$tmp/records" /run/systemd/journal/socket
        "$PY" "$top_srcdir/tests/journal-standin.py" "$tmp/records" &
        listener=$!
        wait_for 5 test -S /run/systemd/journal/socket
}
stop_journal() { kill $listener 2>/dev/null; wait $listener 2>/dev/null; listener=; rm -f /run/systemd/journal/socket; }

# field KEY: the value in the first decision record.
field() {
        "$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("MESSAGE_ID") == sys.argv[2]:
        print(r.get(sys.argv[3], "<none>")); break' "$tmp/records" "$MESSAGE_ID" "$1" 2>/dev/null
}
has_record() { [ -n "$(field MESSAGE_ID)" ]; }

POLICY_TEXT='policy: { name = "journal"; };
tunables: { swappiness: { mode = "fixed"; value = 10; }; };'

start_daemon() { # journal|plain, memtuned options...
        local how=$1; shift
        reset_tree 50-journal.conf "$POLICY_TEXT"
        : >"$tmp/stderr"
        : >"$tmp/records"
        if [ "$how" = journal ]; then
                JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/stderr") "$memtuned" --proc-root "$tmp/proc" \
                        --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none "$@" 2>>"$tmp/stderr" &
        else
                env -u JOURNAL_STREAM "$memtuned" --proc-root "$tmp/proc" \
                        --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none "$@" 2>>"$tmp/stderr" &
        fi
        pid=$!
        wait_for 5 grep -q "memtuned running" "$tmp/stderr"
}

# 1. Under the journal: a structured record, not a line on stderr.
start_journal
check "under the journal: the daemon runs" start_daemon journal
check "a record with MESSAGE_ID=$MESSAGE_ID arrives" wait_for 5 has_record
check "MEMTUNED_TUNABLE=swappiness" test "$(field MEMTUNED_TUNABLE)" = swappiness
check "MEMTUNED_OLD=60" test "$(field MEMTUNED_OLD)" = 60
check "MEMTUNED_NEW=10" test "$(field MEMTUNED_NEW)" = 10
check "MEMTUNED_SOURCE=fixed" test "$(field MEMTUNED_SOURCE)" = fixed
check "MEMTUNED_MODE=enforce" test "$(field MEMTUNED_MODE)" = enforce
reason=$(field MEMTUNED_REASON)
echo "# MEMTUNED_REASON=$reason"
check "MEMTUNED_REASON is the reason alone" bash -c "[ -n '$reason' ] && [ '$reason' != '<none>' ] && [[ '$reason' != swappiness* ]]"
check "MESSAGE is the whole line" test "$(field MESSAGE)" = "swappiness 60 -> 10: $reason"
check "PRIORITY=6 (info)" test "$(field PRIORITY)" = 6
check "SYSLOG_IDENTIFIER=memtuned" test "$(field SYSLOG_IDENTIFIER)" = memtuned
check "the decision is not also on stderr" bash -c "! grep -q 'swappiness 60 -> 10' '$tmp/stderr'"
check "stderr lines carry priority prefixes" grep -q '^<6>memtuned running' "$tmp/stderr"
stop_daemon

# 2. --observe: the record says so.
check "--observe under the journal: the daemon runs" start_daemon journal --observe
check "--observe: a record arrives" wait_for 5 has_record
check "--observe: MEMTUNED_MODE=observe" test "$(field MEMTUNED_MODE)" = observe
check "--observe: MESSAGE starts with (observe)" bash -c "[[ '$(field MESSAGE)' == '(observe) swappiness 60 -> 10: '* ]]"
stop_daemon

# 3. Not under the journal: the plain line, no record.
check "without JOURNAL_STREAM: the daemon runs" start_daemon plain
check "without JOURNAL_STREAM: the plain line" wait_for 5 grep -q '^swappiness 60 -> 10: ' "$tmp/stderr"
check "without JOURNAL_STREAM: no record" test ! -s "$tmp/records"
stop_daemon
stop_journal

# 4. The journal gone (its socket missing): the line on stderr, with its prefix.
check "journal socket missing: the daemon runs" start_daemon journal
check "journal socket missing: the line falls back to stderr" wait_for 5 grep -q '^<6>swappiness 60 -> 10: ' "$tmp/stderr"
stop_daemon

if [ $fail -ne 0 ]; then
        echo "---- stderr"; cat "$tmp/stderr"
        echo "---- records"; cat "$tmp/records"
fi
exit $fail
