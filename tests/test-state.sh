#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The state directory from outside, on a writable copy of a captured /proc
# tree: a directory others may write is refused before anything is touched, a
# second daemon on the same directory is refused and the first one's state
# stays, planted originals are refused by name, a FIFO or a directory named
# originals neither hangs nor stops the start, and a bad sysctl is reported
# by its whole path (a NUL byte in it too); the OOM incident history: kept,
# or refused by line and fault and set aside.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
make_tmp

start_daemon() { # extra args...
        : >"$tmp/log"
        "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none "$@" >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 logged "memtuned running"
}

# run_daemon: runs one that must refuse to start; its exit status, log in $tmp/log2.
run_daemon() {
        timeout 10 "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none >"$tmp/log2" 2>&1
}
logged2() { grep -qF -- "$1" "$tmp/log2"; }

FIXED='policy: { name = "fixed"; };
tunables: { swappiness: { mode = "fixed"; value = 10; }; };'

# 1. A state directory others may write: uid 65534 planted swappiness 0 in
# one, and the daemon wrote it back at stop (issue 15.4).
reset_tree 50-test.conf "$FIXED"
mkdir -m 0777 "$tmp/state"
chmod 0777 "$tmp/state"
printf 'swappiness 0 60\n' >"$tmp/state/originals"
run_daemon; rc=$?
check "a world-writable state directory: exit 1 ($rc)" test $rc -eq 1
check "... saying why" logged2 "The state directory '$tmp/state' is writable by group or others (mode 0777): anyone could plant the values memtuned writes back. Refusing to start; make it 0755 or stricter."
check "... before writing anything" is_value swappiness 60
check "... or touching the state" grep -qx "swappiness 0 60" "$tmp/state/originals"
if [ "$(id -u)" -eq 0 ]; then
        chmod 0755 "$tmp/state"
        chown 65534:65534 "$tmp/state"
        run_daemon; rc=$?
        check "a state directory of another user: exit 1 ($rc)" test $rc -eq 1
        check "... saying whose" logged2 "The state directory '$tmp/state' belongs to uid 65534, not to root or memtuned's own uid 0"
        check "... before writing anything" is_value swappiness 60
fi

# 2. A second daemon on the same state directory (issue 16.2): it wrote its
# policy's values, then "restored" the first one's originals and deleted its
# state.
reset_tree 50-test.conf "$FIXED"
check "the first daemon starts" start_daemon
check "it writes swappiness 10" wait_for 5 is_value swappiness 10
first=$pid
mkdir -p "$tmp/policy2"
printf 'policy: { name = "other"; };\ntunables: { swappiness: { mode = "fixed"; value = 99; }; };\n' \
        >"$tmp/policy2/50-test.conf"
timeout 10 "$memtuned" --proc-root "$tmp/proc" --policy-dir "$tmp/policy2" --state-dir "$tmp/state" \
        --bus none >"$tmp/log2" 2>&1; rc=$?
check "a second daemon on the same state directory: exit 1 ($rc)" test $rc -eq 1
check "... naming the first one's PID" logged2 "memtuned (PID $first) already runs on state directory '$tmp/state'"
check "... having written nothing" is_value swappiness 10
check "... the first one's state intact" grep -qx "swappiness 60 10" "$tmp/state/originals"
check "--observe with a private state directory still runs" bash -c \
        "timeout -s TERM 1 '$memtuned' --observe --proc-root '$tmp/proc' --policy-dir '$tmp/policy' \
         --state-dir '$tmp/state-observe' --bus none >'$tmp/log3' 2>&1; grep -qF 'memtuned running' '$tmp/log3'"
check "--once beside it still runs" "$memtuned" --once --interval 0.01 --proc-root "$tmp/proc" >/dev/null
stop_daemon TERM
check "the first one restores at stop" is_value swappiness 60
check "... and its state is gone" test ! -e "$tmp/state/originals"

# 3. Planted originals are refused by file, key and value (issue 15.4).
reset_tree 50-test.conf "$FIXED"
mkdir -m 0755 "$tmp/state"
printf 'min_free_kbytes 20000000 67584\nswappiness 18446744073709551615 60\n' >"$tmp/state/originals"
check "the daemon starts beside planted originals" start_daemon
check "81% of RAM is refused by name" logged "Ignoring the original vm.min_free_kbytes = 20000000 in '$tmp/state/originals': above the reserve cap of 1234204 kB (5% of RAM). The current value 67584 counts as the original."
check "2^64-1 is refused by name" logged "Ignoring the original vm.swappiness = 18446744073709551615 in '$tmp/state/originals': outside the kernel's range 0..200. The current value 60 counts as the original."
check "swappiness is written" wait_for 5 is_value swappiness 10
stop_daemon TERM
check "stop restores the true original" is_value swappiness 60
check "min_free_kbytes is never touched" is_value min_free_kbytes 67584

# 4. A FIFO named originals hung the start before the watchdog was armed; a
# directory of that name stopped it with a misleading message (issue 15.9).
for kind in fifo dir; do
        reset_tree 50-test.conf "$FIXED"
        mkdir -m 0755 "$tmp/state"
        if [ $kind = fifo ]; then mkfifo "$tmp/state/originals"; what="a FIFO"; else mkdir "$tmp/state/originals"; what="a directory"; fi
        check "$kind named originals: the daemon starts" start_daemon
        check "... saying what it found" logged "The state file '$tmp/state/originals' is $what, not a regular file (moved aside to originals.corrupt); the current values count as the originals."
        check "... and works" wait_for 5 is_value swappiness 10
        stop_daemon TERM
        check "... and restores" is_value swappiness 60
done
reset_tree 50-test.conf "$FIXED"
mkdir -m 0755 "$tmp/state"
mkfifo "$tmp/state/overrides"
check "a FIFO named overrides: the daemon starts" start_daemon
check "... saying so" logged "The overrides file '$tmp/state/overrides' was corrupt (moved aside to overrides.corrupt)"
stop_daemon TERM

# 5. A bad sysctl is named by its path below the proc root (issue 16.6: it
# said /proc/swappiness), and a NUL byte in one is no number (issue 15.12).
reset_tree
printf 'abc\n' >"$tmp/proc/sys/vm/swappiness"
"$memtuned" --once --interval 0.01 --proc-root "$tmp/proc" >/dev/null 2>"$tmp/err"; rc=$?
check "--once on a bad sysctl: exit 1 ($rc)" test $rc -eq 1
check "... naming its whole path" grep -qF "Failed to parse '$tmp/proc/sys/vm/swappiness': Invalid argument" "$tmp/err"
printf '30\0000\n' >"$tmp/proc/sys/vm/swappiness"
"$memtuned" --once --interval 0.01 --proc-root "$tmp/proc" >/dev/null 2>"$tmp/err"; rc=$?
check "a NUL byte in a sysctl is refused ($rc)" test $rc -eq 1
check "... naming it" grep -qF "Failed to parse '$tmp/proc/sys/vm/swappiness': Invalid argument" "$tmp/err"

# 6. The OOM incident history (issue 18): a good one is kept across the
# restart; a garbled one is refused with its line and fault, set aside, and
# the daemon starts with an empty history; a FIFO, or a file too large, is
# refused without hanging.
reset_tree 50-test.conf "$FIXED"
mkdir -m 0755 "$tmp/state"
printf 'memtuned-incidents 1\nid=4\ttime=1765000000000000\tscope=global\tpid=77\tcomm=hog\nid=5\ttime=1765000001000000\tscope=cgroup\tcgroup=/a.slice\n' \
        >"$tmp/state/incidents"
check "a good incident history: the daemon starts" start_daemon
check "... and keeps its records" logged "2 OOM incidents kept from before the restart."
stop_daemon TERM
check "... which stop leaves in place" grep -q '^id=5' "$tmp/state/incidents"
printf 'memtuned-incidents 1\nid=4\ttime=1\tscope=global\nid=5\ttime=1\tscope=global\tadj=-4000\n' >"$tmp/state/incidents"
check "a garbled incident history: the daemon starts" start_daemon
check "... naming the file, the line and the fault" logged "$tmp/state/incidents:3: adj: invalid or out of range: '-4000'; the incident history is ignored (moved aside to incidents.corrupt) and starts empty."
check "... set aside" test -e "$tmp/state/incidents.corrupt"
stop_daemon TERM
printf 'not a history\n' >"$tmp/state/incidents"
check "a history of another format: the daemon starts" start_daemon
check "... saying so" logged "$tmp/state/incidents:1: not a history of this version (the first line is not 'memtuned-incidents 1')"
stop_daemon TERM
rm -f "$tmp/state/incidents"
mkfifo "$tmp/state/incidents"
check "a FIFO named incidents: the daemon starts" start_daemon
check "... saying what it is" logged "Failed to read '$tmp/state/incidents', starting with an empty incident history:"
stop_daemon TERM
rm -f "$tmp/state/incidents"
head -c 200000 /dev/zero | tr '\0' 'x' >"$tmp/state/incidents"
check "an incident history too large: the daemon starts" start_daemon
check "... saying so" logged "Failed to read '$tmp/state/incidents', starting with an empty incident history: File too large"
stop_daemon TERM

echo "$passed checks passed"
exit $fail
