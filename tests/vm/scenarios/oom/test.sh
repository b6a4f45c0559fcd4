#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 768 MiB guest without swap. The protected process is a copy of
# sleep named mt-protected holding nothing; it starts at oom_score_adj +500
# (the kernel would kill it first), and the policy's rule gives it -900.
. /mnt/share/lib/guest.sh

mt_install

mt_policy 50-default.conf <<'POLICY'
# tests/vm/scenarios/oom: replaces the vendor default policy
policy: { name = "vm-oom"; };
processes: (
        { name = "protect-test"; match = { comm = "mt-protected"; uid = 0; }; oom_score_adj = -900; },
        { name = "protect-memtuned"; match = { comm = "memtuned"; uid = 0; }; oom_score_adj = -900; }
);
POLICY

# "$(cat ...)" inside wait_for's arguments would be read once: poll a function.
adj_is() { [ "$(cat /proc/"$1"/oom_score_adj 2>/dev/null)" = "$2" ]; }

cp /bin/sleep /usr/local/bin/mt-protected
choom -n 500 -- /usr/local/bin/mt-protected infinity &
prot=$!
# choom sets the score after the fork, before it execs: wait for it.
check "the protected process starts at oom_score_adj 500" wait_for 5 adj_is "$prot" 500

mt_start
if [ -e "$SHARE/simulate-rule" ]; then
    log "SIMULATION: setting the rule's -900 by hand (MEMTUNED_VM_OOM_SIMULATE_RULE=1)"
    choom -n -900 -p "$prot" >/dev/null
fi
if ! wait_for 20 adj_is "$prot" -900; then
    # the host's probe could not run; the daemon does not apply rules yet
    kill "$prot"
    mt_stop
    skip_all "waiting for process rules in the daemon (mt-protected kept oom_score_adj $(cat /proc/$prot/oom_score_adj 2>/dev/null))"
fi
ok "memtuned applied the rule: mt-protected oom_score_adj 500 -> -900"
[ -e "$SHARE/simulate-rule" ] || check "the log names the rule" mt_log_has "protect-test"

# ---- the hog grows to most of RAM, then memtuned predicts the kill order -------------
rm -f /tmp/hog.ready /tmp/hog.go
avail=$(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo)
python3 "$SHARE/files/hog.py" $(( avail * 2 / 3 )) /tmp/hog.ready /tmp/hog.go &
hog=$!
wait_for 120 test -s /tmp/hog.ready || bail "the hog did not reach its first size"
log "hog $hog at $(awk '/VmRSS/ { print $2, $3 }' /proc/$hog/status) (MemAvailable was $avail MiB)"

predicted=""
if command -v memtunectl >/dev/null; then
    memtunectl processes --json >/tmp/processes.json 2>&1 || true
    cp /tmp/processes.json "$SHARE/processes.json"
    predicted=$(python3 -c 'import json,sys
d = json.load(open("/tmp/processes.json"))
ps = d["processes"] if isinstance(d, dict) else d
print(ps[0]["pid"])' 2>/dev/null || true)
    log "memtuned predicts first: ${predicted:-?} ($(head -c 300 /tmp/processes.json | tr '\n' ' '))"
else
    log "no memtunectl yet: the kill-order prediction is not checked"
fi

dmesg -C
touch /tmp/hog.go
wait "$hog" 2>/dev/null
hog_status=$?
log "hog exited with status $hog_status"
killed=$(dmesg | sed -n 's/.*Out of memory: Killed process \([0-9]*\) .*/\1/p' | head -n1)
dmesg | grep -E 'Out of memory|oom-kill:' | sed 's/^/#   /'
check "the OOM killer killed the hog ($hog)" test "${killed:-none}" = "$hog"
check "the protected process survived" kill -0 "$prot"
check "memtuned survived" systemctl is-active --quiet memtuned
if command -v memtunectl >/dev/null; then
    check "memtuned's predicted kill order named the process the kernel killed ($killed)" \
        test "${predicted:-none}" = "$killed"
fi

kill "$prot"
mt_stop
if [ -e "$SHARE/simulate-rule" ]; then
    mt_all_passed && skip_all "simulation: all $(mt_checks) checks passed with the rule's value set by hand"
    mt_finish
fi
mt_finish
