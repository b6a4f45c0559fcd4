#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 15's first attack, run against the shipped default policy: any local
# user could get OOM protection, because a protecting rule matched only what a
# user chooses (a process's comm, or /usr/bin/dbus-daemon run with a
# configuration of one's own). For every rule of policies/50-default.conf that
# lowers oom_score_adj (protect-sshd, -journald, -dbus-daemon, -dbus-broker,
# -memtuned), uid 65534 starts processes that imitate what the rule matches as
# far as a user can:
#  - the same comm: a copy of sleep named like the program, prctl(PR_SET_NAME)
#    from /usr/bin/python3 after the exec (a comm event, and a memory hog),
#    and "exec -a NAME" (only the command line);
#  - the same exe: the real /usr/bin/dbus-daemon, as a session bus
#    (--session) and as a "system" bus with its own configuration file (and
#    /usr/bin/dbus-broker, if installed);
# some before memtuned starts (its first rescan) and the same again after
# (the proc connector's exec and comm events). memtuned runs as root on the
# real /proc with the tree's policies/ (--policy-dir), its own --state-dir,
# --observe (it logs every decision and writes nothing: this machine lacks
# CAP_SYS_RESOURCE, so a lowering would fail anyway) and a private bus, and
# must not apply any protect-* rule to them:
#  - its log has no decision for their PIDs;
#  - ListProcesses over the bus (memtunectl processes --limit 0 --json: the
#    running daemon's own view) shows no rule for them, nor does
#    memtuned --once --json (the kill order it predicts, its top 10);
#  - their oom_score_adj is unchanged.
# Positive controls, so that the test can fail: root processes with comm sshd,
# systemd-journal and memtuned (a copy, and prctl) are matched by their rule
# in the log and the kill order. A root /usr/bin/dbus-daemon outside
# dbus.service is not (the rule needs the unit: only the service manager puts
# processes there; the guest scenario tests/vm/scenarios/protect checks the
# real dbus.service).
# The machine's vm sysctls are protected as in test-daemon-procs.sh: a copy
# of /proc/sys/vm is bound over the real one in the daemon's mount namespace.
# Needs root, setpriv, unshare, the proc connector; skips (77) without them.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_root "setpriv to uid 65534, the proc connector and a mount namespace"
need_command setpriv util-linux
need_command choom util-linux
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
[ -x "$PY" ] || skip "$PY is not installed (uid 65534 cannot run another python)"
# MEMTUNED_TEST_POLICY_DIR: another tree of the same five rules (to see this test fail).
policy_dir=${MEMTUNED_TEST_POLICY_DIR:-$top_srcdir/policies}
[ -r "$policy_dir/50-default.conf" ] || hard_error "$policy_dir/50-default.conf is missing"

make_tmp
chmod 755 "$tmp"   # uid 65534 runs the copies and its bus's socket lives here
pids=()            # every process started (daemon, bus, imitators): killed at exit
on_exit() {
        for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
        for p in "${pids[@]}"; do { wait "$p"; } 2>/dev/null; done
        pid=
}

adj() { cat "/proc/$1/oom_score_adj" 2>/dev/null; }
adj_is() { [ "$(adj "$1")" = "$2" ]; }
# An array, not a function: "${nobody[@]}" CMD & makes $! the process that
# becomes CMD (setpriv execs it), not a subshell that would outlive a kill.
# The score 999 is set before the exec (as any user may raise their own): a
# kill order that lists its top 10 (--once) lists them, and the exec event
# carries it already.
nobody=(choom -n 999 -- setpriv --reuid=65534 --regid=65534 --clear-groups)
as_root=(choom -n 1000 --)

# What the daemon is checked against: which rules of the shipped policy
# protect. If a rule is added there, this test must learn to imitate it.
protecting=$("$memtuned" --check --dump "$policy_dir" 2>/dev/null | awk '
        /^processes:/ { in_rules = 1 }
        in_rules && $1 == "name" { name = $3; gsub(/[";]/, "", name) }
        in_rules && $1 == "oom_score_adj" && $3 + 0 < 0 { print name }' | sort | tr '\n' ' ')
check "the shipped policy's protecting rules are the five this test imitates (got: $protecting)" \
        test "$protecting" = "protect-dbus-broker protect-dbus-daemon protect-journald protect-memtuned protect-sshd "

# ---- the programs uid 65534 runs -----------------------------------------------------
mkdir -p "$tmp/bin" "$tmp/nobody" "$tmp/vm" "$tmp/state"
chown 65534:65534 "$tmp/nobody"
for name in sshd sshd-session systemd-journald memtuned dbus-daemon dbus-broker dbus-broker-launch; do
        cp /bin/sleep "$tmp/bin/$name"
done
chmod 755 "$tmp/bin" "$tmp/bin"/*
cp /proc/sys/vm/* "$tmp/vm/" 2>/dev/null
# A bus of the system type that uid 65534 runs with its own configuration:
# /usr/bin/dbus-daemon, as the system bus, but outside dbus.service.
cat >"$tmp/nobody-bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/nobody/@NAME@</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow user="*"/><allow own="*"/></policy>
</busconfig>
CONF
bus_conf() { # NAME: a copy of the configuration listening on $tmp/nobody/NAME
        sed "s|@NAME@|$1|" "$tmp/nobody-bus.conf" >"$tmp/nobody/$1.conf"
        chmod 644 "$tmp/nobody/$1.conf"
        echo "$tmp/nobody/$1.conf"
}
# prctl(PR_SET_NAME) after the exec, with 32 MiB resident: a hog named like
# a protected process.
prctl_hog='import ctypes, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
hog = b"x" * (32 << 20)
time.sleep(600)'

imitators=()       # "PID WHAT" of uid 65534's processes
# started PID WHAT: records an imitator.
started() {
        imitators+=("$1 $2")
        pids+=("$1")
}
start_imitators() { # round: "early" (before memtuned) or "late"
        local r=$1 name
        for name in sshd sshd-session systemd-journald memtuned dbus-daemon dbus-broker dbus-broker-launch; do
                "${nobody[@]}" "$tmp/bin/$name" 600 &
                started $! "$r: uid 65534, a copy of sleep named $name"
        done
        for name in sshd sshd-session systemd-journal memtuned dbus-daemon dbus-broker dbus-broker-lau; do
                "${nobody[@]}" "$PY" -c "$prctl_hog" "$name" &
                started $! "$r: uid 65534, python3 prctl(PR_SET_NAME, $name), 32 MiB"
        done
        "${nobody[@]}" bash -c 'exec -a sshd /bin/sleep 600' &
        started $! "$r: uid 65534, exec -a sshd /bin/sleep"
        "${nobody[@]}" /usr/bin/dbus-daemon --session --nofork --print-address=1 >/dev/null 2>&1 &
        started $! "$r: uid 65534, /usr/bin/dbus-daemon --session"
        "${nobody[@]}" /usr/bin/dbus-daemon --config-file="$(bus_conf "$r-bus")" --nofork >/dev/null 2>&1 &
        started $! "$r: uid 65534, /usr/bin/dbus-daemon --config-file (its own system-type bus)"
        for name in dbus-broker dbus-broker-launch; do
                [ -x "/usr/bin/$name" ] || continue
                "${nobody[@]}" "/usr/bin/$name" --help >/dev/null 2>&1   # it exits: only proves it runs
                "${nobody[@]}" bash -c 'exec "$0" --verbose 3>/dev/null </dev/null' "/usr/bin/$name" >/dev/null 2>&1 &
                started $! "$r: uid 65534, /usr/bin/$name"
        done
}

# ---- the root processes the rules are for ---------------------------------------------
controls=()        # "PID RULE WHAT"
control() { # PID RULE WHAT
        controls+=("$1 $2 $3")
        pids+=("$1")
}
start_controls() { # round
        "${as_root[@]}" "$tmp/bin/sshd" 600 &
        control $! protect-sshd "$1: root, a copy of sleep named sshd"
        "${as_root[@]}" "$tmp/bin/systemd-journald" 600 &
        control $! protect-journald "$1: root, a copy of sleep named systemd-journald"
        "${as_root[@]}" "$PY" -c "$prctl_hog" memtuned &
        control $! protect-memtuned "$1: root, python3 prctl(PR_SET_NAME, memtuned)"
}

# ---- a private bus for ListProcesses (as tests/test-bus.sh) ---------------------------
ADDR=
if command -v dbus-daemon >/dev/null; then
        mkdir "$tmp/system.d"
        cp "$top_srcdir/dbus/org.memtuned1.conf" "$tmp/system.d/"
        sed "s|@DIR@|$tmp|g" "$top_srcdir/tests/bus/system.conf.in" >"$tmp/bus.conf"
        # Root's /usr/bin/dbus-daemon, not in dbus.service: not protected either.
        dbus-daemon --config-file="$tmp/bus.conf" --nofork --nosyslog >"$tmp/dbus.log" 2>&1 &
        buspid=$!
        pids+=("$buspid")
        ADDR="unix:path=$tmp/system_bus_socket"
        wait_for 5 busctl --address="$ADDR" list >/dev/null 2>&1 || hard_error "the private bus did not start"
fi

start_imitators early
start_controls early
sleep 1   # the prctl()s have run (python3 starts in ~50 ms)

: >"$tmp/log"
# A root-owned state dir of its own, the vm sysctls a copy (never the machine's).
unshare -m bash -c 'mount --bind "$1" /proc/sys/vm && shift && exec "$@"' _ "$tmp/vm" \
        "$memtuned" --policy-dir "$policy_dir" --state-dir "$tmp/state" --observe \
        --bus "${ADDR:-none}" >>"$tmp/log" 2>&1 &
pid=$!
pids+=("$pid")
wait_for 15 logged "memtuned running" || { sed 's/^/# /' "$tmp/log"; hard_error "memtuned did not start"; }
if logged "No process events from the kernel's proc connector"; then
        stop_daemon
        skip "no proc connector here (memtuned relies on rescans): $(grep -F "proc connector" "$tmp/log")"
fi
check "memtuned loaded the shipped default policy" logged "'default'"

# The rescan at start has seen the early ones; the connector sees the late ones.
start_imitators late
sleep 1   # the late prctl()s after their exec: comm events
start_controls late

for c in "${controls[@]}"; do
        read -r cpid rule what <<<"$c"
        check "positive control: $what (pid $cpid) is decided by $rule" \
                wait_for 15 logged "(observe) pid $cpid ("
        check "positive control: the log names $rule for pid $cpid" \
                grep -qE "\(observe\) pid $cpid \([^)]*\): oom_score_adj 1000 -> -900 \(rule '$rule'\)" "$tmp/log"
done
# The late controls started last: their events came after every imitator's.
sleep 1

for i in "${imitators[@]}"; do
        read -r ipid what <<<"$i"
        if ! kill -0 "$ipid" 2>/dev/null; then
                check "$what (pid $ipid) is still running (could not imitate)" false
                continue
        fi
        check "$what (pid $ipid): no decision in memtuned's log" \
                bash -c '! grep -qE "pid $0 [(]" "$1"' "$ipid" "$tmp/log"
        check "$what (pid $ipid): oom_score_adj still 999" adj_is "$ipid" 999
done
# A dbus-daemon's comm is dbus-daemon and its exe /usr/bin/dbus-daemon: the
# imitation is exact but for the unit.
for i in "${imitators[@]}"; do
        read -r ipid what <<<"$i"
        case $what in
        *"/usr/bin/dbus-daemon"*)
                check "$what: exe is /usr/bin/dbus-daemon" \
                        test "$(readlink "/proc/$ipid/exe")" = /usr/bin/dbus-daemon ;;
        esac
done
check "uid 65534's prctl(PR_SET_NAME) took: a python3 named sshd exists" \
        bash -c 'for i in "$@"; do p=${i%% *}; case $i in *"prctl(PR_SET_NAME, sshd)"*) [ "$(cat /proc/$p/comm)" = sshd ] || exit 1;; esac; done' _ "${imitators[@]}"
check "no protect-* decision in the log for any uid 65534 process" \
        bash -c '! grep -E "pid [0-9]+ .*rule .protect-" "$1" | grep -qE "pid ($2) [(]"' _ "$tmp/log" \
        "$(printf '%s\n' "${imitators[@]}" | cut -d' ' -f1 | paste -sd'|')"
if [ -n "$ADDR" ]; then
        check "the private bus (root's /usr/bin/dbus-daemon, no unit): no decision" \
                bash -c '! grep -qE "pid $0 [(]" "$1"' "$buspid" "$tmp/log"
fi

# ---- what memtuned shows: the kill order --------------------------------------------------
# rules_in FILE: "PID RULE" for every process of a kill order in JSON.
rules_in() {
        "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
for p in d["processes"] if isinstance(d, dict) else d:
    print(p["pid"], p.get("rule") or "-")' "$1"
}
kill_order_check() { # SOURCE FILE ALL: ALL=1 if every process is listed
        local src=$1 file=$2 all=$3 listed=0 c i cpid rule what ipid got
        rules_in "$file" >"$file.rules" || { check "$src: parsable JSON" false; return; }
        for c in "${controls[@]}"; do
                read -r cpid rule what <<<"$c"
                got=$(awk -v p="$cpid" '$1 == p { print $2 }' "$file.rules")
                [ "$all" = 1 ] || [ -n "$got" ] || continue
                check "$src: positive control $what (pid $cpid) shows rule $rule" test "$got" = "$rule"
        done
        for i in "${imitators[@]}"; do
                read -r ipid what <<<"$i"
                got=$(awk -v p="$ipid" '$1 == p { print $2 }' "$file.rules")
                if [ -z "$got" ]; then
                        [ "$all" = 1 ] && check "$src: $what (pid $ipid) is listed" false
                        continue
                fi
                listed=$((listed + 1))
                check "$src: $what (pid $ipid) shows no rule (got '$got')" test "$got" = -
        done
        check "$src: lists uid 65534's imitators ($listed)" test "$listed" -gt 0
}

if [ -n "$ADDR" ]; then
        "$memtunectl" --bus-address="$ADDR" processes --limit 0 --json >"$tmp/bus.json" 2>"$tmp/bus.err"
        check "memtunectl processes --limit 0 --json answers" test -s "$tmp/bus.json"
        kill_order_check "the daemon's ListProcesses" "$tmp/bus.json" 1
else
        echo "# no dbus-daemon: the daemon's ListProcesses is not checked"
fi
# --once: the same policy, its own rescan (dry run), the top 10 of the kill
# order: the controls (1000) first, then the imitators (999).
"$memtuned" --once --json --interval 0.1 --policy-dir "$policy_dir" >"$tmp/once.json" 2>"$tmp/once.err"
check "memtuned --once --json runs" test -s "$tmp/once.json"
kill_order_check "memtuned --once's kill order" "$tmp/once.json" 0

stop_daemon
check "no originals were recorded (observe wrote nothing)" test ! -e "$tmp/state/originals"
[ $fail = 0 ] || { echo "# ---- memtuned's log ----"; sed 's/^/# /' "$tmp/log"; }
exit $fail
