#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 1 GiB guest: memtuned installed and started as shipped, with a
# policy that fixes swappiness and watermark_scale_factor and raises a
# process's oom_score_adj. Five owners in turn (each disabled in the image,
# started here): a sysctl.d file, TuneD (throughput-performance sets
# vm.swappiness = 10), earlyoom, systemd-oomd, a kubepods slice; then a
# loop that rewrites a managed knob every second (a fight). "No write"
# is checked three ways: the value, no decision in the journal, no original
# kept in /run/memtuned/originals (only a write keeps one).
. /mnt/share/lib/guest.sh

mt_install
mt_have_service || skip_all "the unit or the bus policy is not installed"
for t in tuned earlyoom /lib/systemd/systemd-oomd; do
    command -v "$t" >/dev/null || [ -x "$t" ] ||
        skip_all "the image has no $t (tests/vm/build-image adds tuned, earlyoom, systemd-oomd)"
done

policy() { # [take_over] [kubepods]
    local take=false pods=false
    [ "${1:-}" = take_over ] && take=true
    [ "${2:-}" = kubepods ] && pods=true
    mt_policy 90-owners.conf <<POLICY
# tests/vm/scenarios/owners
policy: { name = "owners"; };
tunables: {
        swappiness: { mode = "fixed"; value = 30; take_over = $take; };
        watermark_scale_factor: { mode = "fixed"; value = 150; };
};
processes: (
        { name = "mt-sleep"; match = { comm = "mt-sleep"; }; oom_score_adj = 500; kubepods = $pods; }
);
POLICY
}
decisions() { mt_log | grep -cE "(^|\\) )$1 [0-9]+ -> [0-9]+" || true; }
no_original() { ! grep -q "^$1 " /run/memtuned/originals 2>/dev/null; }
doctor() { memtunectl doctor "$@" >/tmp/doctor.txt 2>&1; echo $? >/tmp/doctor.rc; }
doctor_has() { grep -qE -- "$1" /tmp/doctor.txt || { cat /tmp/doctor.txt; return 1; }; }
doctor_rc() { [ "$(cat /tmp/doctor.rc)" = "$1" ] || { cat /tmp/doctor.txt; return 1; }; }
in_force() { mt_log | grep -cE "^Policy '.*' (in force|reloaded)" || true; }
reloaded_since() { [ "$(in_force)" -gt "$1" ]; }
reload() { # systemctl reload, then waits for the reload's line
    local n
    n=$(in_force)
    systemctl reload memtuned || bail "systemctl reload memtuned"
    wait_for 30 reloaded_since "$n" || bail "memtuned logged no reload"
}

# ---- 1. a sysctl.d file sets vm.swappiness ---------------------------------------------
sysctl_set swappiness 60
echo 'vm.swappiness = 10' >/etc/sysctl.d/60-owners.conf
sysctl -q --system >/dev/null 2>&1
check "sysctl --system applied the file" sysctl_is swappiness 10
policy
mt_start
check "memtuned writes the knob no one else sets (watermark_scale_factor 150)" \
    wait_for 30 sysctl_is watermark_scale_factor 150
check "the journal says swappiness is left to sysctl.d" \
    mt_log_has "vm.swappiness: left to sysctl.d \\(/etc/sysctl.d/60-owners.conf:1 sets 10\\)"
sleep 3
check "swappiness stays 10" sysctl_is swappiness 10
check "no decision for swappiness" test "$(decisions swappiness)" = 0
check "no original kept for swappiness (never written)" no_original swappiness
doctor
check "doctor: no conflict, exit 0" doctor_rc 0
check "doctor: memtuned runs" doctor_has "^memtuned: running"
check "doctor names sysctl.d as swappiness's owner" \
    doctor_has "^swappiness +10 +owned-elsewhere +sysctl.d +/etc/sysctl.d/60-owners.conf:1 = 10$"
check "doctor: watermark_scale_factor is managed" doctor_has "^watermark_scale_factor +150 +managed +- *$"

# take_over = true: memtuned wins and says so
policy take_over
reload
check "taken over: swappiness 30" wait_for 30 sysctl_is swappiness 30
check "the journal says it takes it over" \
    mt_log_has "vm.swappiness: taken over from sysctl.d \\(/etc/sysctl.d/60-owners.conf:1 sets 10\\): the policy says take_over = true"
doctor
check "doctor: taken-over" doctor_has "^swappiness +30 +taken-over +sysctl.d"
mt_stop
check "stop gives sysctl.d's value back" sysctl_is swappiness 10
rm -f /etc/sysctl.d/60-owners.conf

# ---- 2. TuneD runs throughput-performance ----------------------------------------------
sysctl_set swappiness 60
policy
echo throughput-performance >/etc/tuned/active_profile
echo manual >/etc/tuned/profile_mode
log "systemctl start tuned (profile throughput-performance)"
systemctl start tuned || bail "systemctl start tuned"
check "TuneD applies its profile (swappiness 10)" wait_for 120 sysctl_is swappiness 10
line=$(grep -n '^vm.swappiness' /usr/lib/tuned/throughput-performance/tuned.conf | cut -d: -f1)
before=$(decisions swappiness) # case 1's take_over wrote it: the journal is the boot's
mt_start
check "the journal says swappiness is left to TuneD" \
    mt_log_has "vm.swappiness: left to TuneD \\(/usr/lib/tuned/throughput-performance/tuned.conf:$line sets 10\\)"
check "the journal names tuned running" mt_log_has "^tuned runs \\(PID [0-9]+\\)"
sleep 3
check "swappiness stays TuneD's 10" sysctl_is swappiness 10
check "no decision for swappiness beside TuneD" test "$(decisions swappiness)" = "$before"
check "no original kept for swappiness beside TuneD" no_original swappiness
doctor
check "doctor names TuneD as swappiness's owner" \
    doctor_has "^swappiness +10 +owned-elsewhere +TuneD +/usr/lib/tuned/throughput-performance/tuned.conf:$line = 10$"
check "doctor names the profile" doctor_has "^TuneD: profile throughput-performance, applied"
check "doctor: TuneD alone is no conflict" doctor_rc 0
mt_stop
systemctl stop tuned
echo >/etc/tuned/active_profile

# ---- 3. earlyoom ---------------------------------------------------------------------
systemctl start earlyoom || bail "systemctl start earlyoom"
eo=$(systemctl show -p MainPID --value earlyoom)
mt_start
check "the journal names earlyoom" mt_log_has "^earlyoom runs \\(PID $eo\\)"
doctor
check "doctor names earlyoom" doctor_has "^Peers: .*earlyoom \\(PID $eo\\)"
check "doctor: earlyoom alone is no conflict" doctor_rc 0

# ---- 4. systemd-oomd (beside earlyoom: two OOM killers) -------------------------------
systemctl start systemd-oomd || bail "systemctl start systemd-oomd"
oomd=$(systemctl show -p MainPID --value systemd-oomd)
reload
check "after a reload the journal names systemd-oomd" mt_log_has "^systemd-oomd runs \\(PID $oomd\\)"
doctor
check "doctor names systemd-oomd" doctor_has "systemd-oomd \\(PID $oomd\\)"
check "doctor: two OOM killers are a conflict, exit 1" doctor_rc 1
check "... named as such" doctor_has "2 userspace OOM killers run \\(earlyoom, systemd-oomd\\)"
doctor --json
check "doctor --json says so" python3 -c '
import json
d = json.load(open("/tmp/doctor.txt"))
assert d["daemon_running"] is True, d
assert sorted(p["name"] for p in d["peers"]) == ["earlyoom", "systemd-oomd"], d
assert len(d["conflicts"]) == 1, d
'
systemctl stop earlyoom
doctor
check "systemd-oomd alone: exit 0" doctor_rc 0
systemctl stop systemd-oomd

# ---- 5. a kubepods slice: kubelet's processes ------------------------------------------
cp /bin/sleep /tmp/mt-sleep
systemd-run --quiet --unit=mt-host /tmp/mt-sleep 600
systemd-run --quiet --unit=mt-pod --slice=kubepods-besteffort.slice /tmp/mt-sleep 600
hostpid=$(systemctl show -p MainPID --value mt-host)
podpid=$(systemctl show -p MainPID --value mt-pod)
log "mt-host $hostpid in $(cut -d: -f3 /proc/$hostpid/cgroup); mt-pod $podpid in $(cut -d: -f3 /proc/$podpid/cgroup)"
check "the pod's process is under kubepods.slice" grep -q "^0::/kubepods.slice/" /proc/$podpid/cgroup
adj() { cat "/proc/$1/oom_score_adj"; }
reload
check "the rule sets the host's process (500)" wait_for 30 test "$(adj "$hostpid")" = 500
sleep 3
check "the pod's process keeps kubelet's value (0)" test "$(adj "$podpid")" = 0
doctor
check "doctor counts the pod's process" doctor_has "1 process in kubelet pods"
policy "" kubepods
reload
check "kubepods = true: the pod's process gets 500" wait_for 30 test "$(adj "$podpid")" = 500
systemctl stop mt-host mt-pod
mt_stop

# ---- 6. a fight: a loop rewrites a managed knob every second ------------------------------
# Sampling every second (on top of the same policy) so that three outside
# changes come within seconds, as they would within minutes at the default.
mt_policy 91-fight.conf <<'POLICY'
thresholds: { sample_interval_min = "1s"; sample_interval_max = "1s"; };
POLICY
mt_start
check "watermark_scale_factor is memtuned's (150)" wait_for 30 sysctl_is watermark_scale_factor 150
before=$(decisions watermark_scale_factor)
bg_loop bash -c 'sysctl -qw vm.watermark_scale_factor=10; sleep 1'
fighter=$!
check "memtuned backs off" wait_for 60 mt_log_has \
    "vm.watermark_scale_factor: backed off: changed from outside 3 times within 10 min \\(last to 10"
kill "$fighter"
writes=$(( $(decisions watermark_scale_factor) - before ))
check "at most 3 writes against the loop ($writes)" test "$writes" -le 3
sleep 3
check "no write after backing off" test $(( $(decisions watermark_scale_factor) - before )) = "$writes"
check "the loop's value stays" sysctl_is watermark_scale_factor 10
doctor
check "doctor: the fight is a conflict, exit 1" doctor_rc 1
check "doctor: backed-off" doctor_has "^watermark_scale_factor +10 +backed-off"
mt_stop
rm -f /etc/memtuned/policies.d/91-fight.conf

mt_finish
