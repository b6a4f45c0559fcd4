#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 15: "Test it as an unprivileged user in a guest". The guest has
# CAP_SYS_RESOURCE, so a rule that matched would really lower the score. The
# vendor default policy as installed (nothing in /etc), the unit as shipped
# on the real system bus. uid 65534 starts what it can to look like each
# protected process:
#   - copies of sleep named sshd, systemd-journald, memtuned, dbus-daemon;
#   - /usr/bin/python3 renaming itself (prctl PR_SET_NAME) to sshd,
#     sshd-session, systemd-journal, memtuned, holding 32 MiB (a hog);
#   - /usr/bin/dbus-daemon --session --fork, and --config-file with a
#     system-type configuration of its own;
#   - /usr/bin/dbus-daemon --session as the unit dbus.service of its own user
#     manager (lingering), the way session buses run on desktops;
# some before memtuned starts (its first rescan), some after (exec and comm
# events). Each keeps the kernel's oom_score_adj (0; for the user unit the
# 200 its user manager gave it), memtuned's log has no
# decision for it, and memtunectl processes shows no rule for it; uid 65534
# cannot move itself into dbus.service's cgroup. Meanwhile the real system
# bus (dbus.service), systemd-journald, sshd (ssh.service) and memtuned get
# -900 from their rules, and a root /usr/bin/dbus-daemon outside
# dbus.service stays 0.
. /mnt/share/lib/guest.sh

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
adj() { cat "/proc/$1/oom_score_adj" 2>/dev/null; }
adj_is() { [ "$(adj "$1")" = "$2" ]; }
main_pid() { systemctl show -p MainPID --value "$1"; }
prctl_hog='import ctypes, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
hog = b"x" * (32 << 20)
time.sleep(600)'

mt_install
check "the vendor default policy is installed" test -s /usr/lib/memtuned/policies.d/50-default.conf
check "no local policy masks it" test -z "$(ls -A /etc/memtuned/policies.d 2>/dev/null)"

# ---- uid 65534's imitations -----------------------------------------------------------
imitators=()    # "PID EXPECTED-SCORE WHAT"
# add PID WHAT [SCORE]: the kernel's score for it is SCORE (default 0, what
# the test's unit runs at).
add() { imitators+=("$1 ${3:-0} $2"); }
d=/tmp/nobody
mkdir -p "$d/bin"
chown 65534:65534 "$d"
for name in sshd systemd-journald memtuned dbus-daemon; do cp /bin/sleep "$d/bin/$name"; done
chmod 755 "$d/bin" "$d/bin"/*
cat >"$d/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$d/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow user="*"/><allow own="*"/></policy>
</busconfig>
CONF
chmod 644 "$d/bus.conf"

start_imitators() { # round
    local r=$1 name out
    for name in sshd systemd-journald memtuned dbus-daemon; do
        "${NOBODY[@]}" "$d/bin/$name" 600 &
        add $! "$r: uid 65534, a copy of sleep named $name"
    done
    for name in sshd sshd-session systemd-journal memtuned; do
        "${NOBODY[@]}" /usr/bin/python3 -c "$prctl_hog" "$name" &
        add $! "$r: uid 65534, python3 prctl(PR_SET_NAME, $name), 32 MiB"
    done
    out=$("${NOBODY[@]}" /usr/bin/dbus-daemon --session --fork --print-address=1 --print-pid=1 2>&1)
    if [ -n "$(echo "$out" | sed -n 2p)" ]; then
        add "$(echo "$out" | sed -n 2p)" "$r: uid 65534, /usr/bin/dbus-daemon --session --fork"
    else
        not_ok "$r: uid 65534 starts dbus-daemon --session --fork" "$out"
    fi
    "${NOBODY[@]}" /usr/bin/dbus-daemon --config-file="$d/bus.conf" --nofork --address="unix:path=$d/$r.sock" \
        >/dev/null 2>&1 &
    add $! "$r: uid 65534, /usr/bin/dbus-daemon --config-file (its own system-type bus)"
}

start_imitators early
sleep 2   # the prctl()s have run

# ---- the real processes the rules are for ------------------------------------------------
# sshd: ssh.service is disabled in the image and its host keys removed.
ssh-keygen -A >/dev/null 2>&1
systemctl start ssh.service >/dev/null 2>&1 || log "ssh.service did not start: $(systemctl status ssh.service 2>&1 | tail -n 3)"
dbus_pid=$(main_pid dbus.service)
journald_pid=$(main_pid systemd-journald.service)
sshd_pid=$(main_pid ssh.service)
log "dbus.service $dbus_pid ($(readlink /proc/"$dbus_pid"/exe), $(cut -d: -f3 /proc/"$dbus_pid"/cgroup)), journald $journald_pid, sshd $sshd_pid"
# Their units may set a score of their own (Debian's dbus.service has
# OOMScoreAdjust=-900, sshd sets itself -1000): back to 0, so that a -900
# is memtuned's doing.
for p in "$dbus_pid" "$journald_pid" "$sshd_pid"; do
    [ "${p:-0}" = 0 ] || choom -n 0 -p "$p" >/dev/null
done
log "their scores before memtuned: dbus $(adj "$dbus_pid"), journald $(adj "$journald_pid"), sshd $(adj "$sshd_pid")"
# Root's /usr/bin/dbus-daemon outside dbus.service (here, in this test's unit).
/usr/bin/dbus-daemon --config-file="$d/bus.conf" --nofork --address="unix:path=$d/root.sock" >/dev/null 2>&1 &
rootbus=$!

mt_start
mtpid=$(mt_pid)
check "the real system bus (dbus.service, pid $dbus_pid) gets -900" wait_for 30 adj_is "$dbus_pid" -900
check "the log names protect-dbus-daemon for it" mt_log_has "pid $dbus_pid \(dbus-daemon\): oom_score_adj 0 -> -900 \(rule 'protect-dbus-daemon'\)"
check "systemd-journald (pid $journald_pid) gets -900" wait_for 10 adj_is "$journald_pid" -900
check "the log names protect-journald for it" mt_log_has "pid $journald_pid \(systemd-journal\): oom_score_adj 0 -> -900 \(rule 'protect-journald'\)"
if [ "${sshd_pid:-0}" != 0 ]; then
    check "sshd (ssh.service, pid $sshd_pid) gets -900" wait_for 10 adj_is "$sshd_pid" -900
    check "the log names protect-sshd for it" mt_log_has "pid $sshd_pid \(sshd\): oom_score_adj 0 -> -900 \(rule 'protect-sshd'\)"
fi
# (the unit sets OOMScoreAdjust=-900 too; the rule keeps it there)
check "memtuned (pid $mtpid) has -900" wait_for 10 adj_is "$mtpid" -900

# ---- after the start: the connector's exec and comm events ---------------------------------
start_imitators late
# A session bus as its own user manager's dbus.service: cgroup
# /user.slice/user-65534.slice/user@65534.service/.../dbus.service.
userbus=""
# What logind does when the user logs in (or lingers): the manager is root's
# doing, what runs in it uid 65534's.
# The image has no libpam-systemd, whose pam_systemd sets XDG_RUNTIME_DIR for
# the manager: a runtime drop-in sets it instead.
mkdir -p /run/systemd/system/user@65534.service.d
printf '[Service]\nEnvironment=XDG_RUNTIME_DIR=/run/user/65534\n' \
    >/run/systemd/system/user@65534.service.d/50-vm-test.conf
systemctl daemon-reload
loginctl enable-linger nobody >/tmp/linger.log 2>&1
timeout 30 systemctl start user@65534.service >>/tmp/linger.log 2>&1
if wait_for 15 test -S /run/user/65534/systemd/private; then
    "${NOBODY[@]}" env XDG_RUNTIME_DIR=/run/user/65534 systemd-run --user --quiet --unit=dbus.service \
        /usr/bin/dbus-daemon --session --nofork --address=unix:path=/run/user/65534/mybus >/tmp/userbus.log 2>&1
    if wait_for 15 pgrep -u 65534 -f /run/user/65534/mybus; then
        userbus=$(pgrep -u 65534 -f /run/user/65534/mybus | head -n 1)
        # Its user manager sets the score of what it starts (200 here:
        # user@.service runs at 100, its units at 100 more) before the exec:
        # the value now is the kernel's, and -900 had memtuned matched it.
        ubadj=$(adj "$userbus")
        check "the user unit dbus.service's score ($ubadj) is no protection" test "${ubadj:--1}" -ge 0
        add "$userbus" "late: uid 65534, /usr/bin/dbus-daemon --session as dbus.service of user@65534.service ($(cut -d: -f3 /proc/"$userbus"/cgroup))" "$ubadj"
    else
        not_ok "uid 65534 starts dbus.service in its user manager" "$(cat /tmp/userbus.log)"
    fi
else
    log "no user manager for uid 65534: the user unit dbus.service is not tried ($(tr '\n' ' ' </tmp/linger.log))"
    systemctl status --no-pager user@65534.service 2>&1 | tail -n 8 | sed 's/^/#   /'
fi
# A root process with comm sshd after the imitators: once memtuned has
# decided it, the events before it have been handled.
cp /bin/sleep /tmp/sshd
/tmp/sshd 600 &
control=$!
check "positive control: root's sshd started after them (pid $control) gets -900" wait_for 20 adj_is "$control" -900
sleep 2

procs=/sys/fs/cgroup/system.slice/dbus.service/cgroup.procs
check "dbus.service's cgroup is $procs" test -e "$procs"
check "uid 65534 cannot move itself into it" \
    bash -c '! "$@" sh -c "echo \$\$ >$0" 2>/dev/null' "$procs" "${NOBODY[@]}"

memtunectl processes --limit 0 --json >/tmp/processes.json 2>/tmp/processes.err
cp /tmp/processes.json "$SHARE/processes.json" 2>/dev/null
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for p in d["processes"] if isinstance(d, dict) else d:
    print(p["pid"], p.get("rule") or "-")' /tmp/processes.json >/tmp/rules 2>/tmp/rules.err
check "memtunectl processes --limit 0 --json lists processes" test -s /tmp/rules
rule_of() { awk -v p="$1" '$1 == p { print $2 }' /tmp/rules; }
check "memtunectl: dbus.service's dbus-daemon shows protect-dbus-daemon" test "$(rule_of "$dbus_pid")" = protect-dbus-daemon
check "memtunectl: journald shows protect-journald" test "$(rule_of "$journald_pid")" = protect-journald

mt_log >/tmp/mt.log
for i in "${imitators[@]}"; do
    read -r p want what <<<"$i"
    if ! kill -0 "$p" 2>/dev/null; then
        not_ok "$what (pid $p) runs"
        continue
    fi
    check "$what (pid $p): oom_score_adj still $want (got $(adj "$p"))" adj_is "$p" "$want"
    check "$what (pid $p): no decision in memtuned's log" bash -c '! grep -qE "pid $0 [(]" /tmp/mt.log' "$p"
    check "$what (pid $p): memtunectl shows no rule" test "$(rule_of "$p")" = -
done
check "root's /usr/bin/dbus-daemon outside dbus.service (pid $rootbus) stays 0" adj_is "$rootbus" 0
check "no decision for it in the log" bash -c '! grep -qE "pid $0 [(]" /tmp/mt.log' "$rootbus"

kill "$control" "$rootbus" 2>/dev/null
for i in "${imitators[@]}"; do kill "${i%% *}" 2>/dev/null; done
[ -z "$userbus" ] || systemctl stop user@65534.service >/dev/null 2>&1
loginctl disable-linger nobody >/dev/null 2>&1
mt_stop
mt_finish
