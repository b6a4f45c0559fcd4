#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 1-node guest with the packaged unit on the real system bus
# (dbus-daemon, systemd 252). uid 65534 is the unprivileged caller.
. /mnt/share/lib/guest.sh

mt_install
mt_have_service || skip_all "the unit or the bus policy is not installed"

SWAP0=$(sysctl_get swappiness)
WSF0=$(sysctl_get watermark_scale_factor)
log "kernel values: swappiness=$SWAP0 watermark_scale_factor=$WSF0"
mt_policy 60-vm-service.conf <<'POLICY'
# tests/vm/scenarios/service-bus: on top of the vendor default policy
policy: { name = "vm-service-bus"; };
tunables: {
        swappiness: { mode = "fixed"; value = 17; };
        watermark_scale_factor: { mode = "fixed"; value = 77; };
};
POLICY

B=(busctl --system)
OBJ=(org.memtuned1 /org/memtuned1 org.memtuned1.Manager)
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
# A reload logs "Policy 'NAME' in force" (changed) or "... reloaded, unchanged."
in_force() { mt_log | grep -cE "^Policy '.*' (in force|reloaded)" || true; }

# ---- 1. enable --now, status --------------------------------------------------------
mt_start
check "systemctl enable --now: enabled" test "$(systemctl is-enabled memtuned)" = enabled
check "systemctl enable --now: active" systemctl is-active --quiet memtuned
# shellcheck disable=SC2016 # expanded by the inner bash
check "the policy is applied (swappiness=17 watermark_scale_factor=77)" \
    wait_for 20 bash -c '[ "$(cat /proc/sys/vm/swappiness)" = 17 ] && [ "$(cat /proc/sys/vm/watermark_scale_factor)" = 77 ]'
systemctl status --no-pager memtuned >/tmp/status.txt 2>&1 || true
check "systemctl status shows the daemon's STATUS line (naming the policy)" \
    grep -qE 'Status: ".*vm-service-bus' /tmp/status.txt
sed 's/^/#   /' /tmp/status.txt | head -n 8
# The staged daemon must read the vendor directory it was installed with
# (a build configured for /usr/local once looked there and ran the built-in
# policy): the vendor file plus this scenario's make two.
check "the installed vendor default policy is in force beneath this scenario's file" \
    bash -c "busctl --system get-property ${OBJ[*]} PolicyFiles | grep -q '2 \"/usr/lib/memtuned/policies.d/50-default.conf\"'"
check "memtuned --check --dump names the vendor file" \
    bash -c "memtuned --check --dump 2>&1 | grep -q /usr/lib/memtuned/policies.d/50-default.conf"

# ---- 2. busctl on the system bus --------------------------------------------------------
check "the bus name's owner is the unit's main process" \
    bash -c "busctl --system status org.memtuned1 | grep -qx \"PID=\$(systemctl show -p MainPID --value memtuned)\""
"${B[@]}" introspect org.memtuned1 /org/memtuned1 >/tmp/introspect.txt 2>&1 || true
for m in Describe ListProcesses GetDecisions SetOverride ClearOverride SetMode Reload; do
    check "busctl introspect lists .$m" grep -q "^\\.$m " /tmp/introspect.txt
done
check "busctl get-property PolicyName (as root)" \
    bash -c "busctl --system get-property ${OBJ[*]} PolicyName | grep -q vm-service-bus"
check "busctl get-property Tunables as uid 65534" \
    nobody busctl --system get-property "${OBJ[@]}" Tunables
check "busctl call Describe returns JSON" \
    bash -c "busctl --system --json=short call ${OBJ[*]} Describe | python3 -c 'import json,sys; json.loads(json.load(sys.stdin)[\"data\"][0])'"
check "busctl call GetDecisions names the policy's decision" \
    bash -c "busctl --system call ${OBJ[*]} GetDecisions u 8 | grep -q 'swappiness $SWAP0 -> 17'"
check "busctl call ListProcesses" "${B[@]}" call "${OBJ[@]}" ListProcesses u 5
check "memtunectl status" bash -c "memtunectl status | grep -q swappiness"
check "memtunectl status as uid 65534" nobody memtunectl status

# ---- 3. mutations: root may, uid 65534 may not ------------------------------------------
check "SetOverride as root" "${B[@]}" call "${OBJ[@]}" SetOverride stt swappiness 23 0
check "... takes effect" wait_for 10 sysctl_is swappiness 23
check "ClearOverride as root" "${B[@]}" call "${OBJ[@]}" ClearOverride s swappiness
check "... back to the policy's 17" wait_for 10 sysctl_is swappiness 17
denied() {
    local out
    if out=$(nobody "$@" 2>&1); then
        echo "allowed: $out"
        return 1
    fi
    echo "$out" | grep -qiE 'denied|not allowed|permission|root only' || { echo "failed, but not denied: $out"; return 1; }
}
n0=$(in_force)
check "uid 65534: SetOverride denied" denied busctl --system call "${OBJ[@]}" SetOverride stt swappiness 5 0
check "uid 65534: ClearOverride denied" denied busctl --system call "${OBJ[@]}" ClearOverride s swappiness
check "uid 65534: SetMode denied" denied busctl --system call "${OBJ[@]}" SetMode s observe
check "uid 65534: Reload denied" denied busctl --system call "${OBJ[@]}" Reload
check "uid 65534: memtunectl set denied" denied memtunectl set swappiness 5
check "uid 65534: memtunectl mode observe denied" denied memtunectl mode observe
check "uid 65534: memtunectl reload denied" denied memtunectl reload
sleep 2
check "nothing changed: swappiness 17, mode enforce, no reload" \
    bash -c "[ \"\$(cat /proc/sys/vm/swappiness)\" = 17 ] && busctl --system get-property ${OBJ[*]} Mode | grep -q enforce && [ \"\$(journalctl --sync; journalctl -b -u memtuned -o cat | grep -cE \"^Policy '.*' (in force|reloaded)\")\" = $n0 ]"

# ---- 4. systemctl reload ---------------------------------------------------------------
pid=$(mt_pid)
check "systemctl reload" systemctl reload memtuned
check "... the daemon reloaded its policy" wait_for 15 bash -c "[ \"\$(journalctl --sync; journalctl -b -u memtuned -o cat | grep -cE \"^Policy '.*' (in force|reloaded)\")\" -gt $n0 ]"
check "... without a restart" test "$(mt_pid)" = "$pid"

# ---- 5. stop restores; kill -9, restart, stop restores the true originals ---------------
mt_stop
check "systemctl stop restores swappiness=$SWAP0 watermark_scale_factor=$WSF0" \
    bash -c "[ \"\$(cat /proc/sys/vm/swappiness)\" = $SWAP0 ] && [ \"\$(cat /proc/sys/vm/watermark_scale_factor)\" = $WSF0 ]"
# the unit is triggered by memtuned-procevents.socket: process events after
# the stop must not start it again behind the administrator's back
for _ in $(seq 1 50); do /bin/true; done
sleep 3
check "after stop, new processes do not activate memtuned again (socket)" \
    bash -c "! systemctl is-active --quiet memtuned && [ \"\$(cat /proc/sys/vm/swappiness)\" = $SWAP0 ]"
log "after stop: memtuned $(systemctl is-active memtuned), memtuned-procevents.socket $(systemctl is-active memtuned-procevents.socket)"
systemctl start memtuned || bail "systemctl start memtuned"
wait_for 20 sysctl_is swappiness 17 || bail "the policy was not applied after the restart"
pid1=$(mt_pid)
log "kill -9 $pid1"
kill -9 "$pid1"
check "systemd restarts memtuned after kill -9" \
    wait_for 30 bash -c "[ \"\$(systemctl show -p NRestarts --value memtuned)\" -ge 1 ] && systemctl is-active --quiet memtuned"
check "... a new process" test "$(mt_pid)" != "$pid1"
check "... the originals are still the kernel's" grep -qx "swappiness $SWAP0 17" /run/memtuned/originals
mt_stop
for _ in $(seq 1 50); do /bin/true; done
sleep 3
check "stop restores the true originals swappiness=$SWAP0 watermark_scale_factor=$WSF0" \
    bash -c "[ \"\$(cat /proc/sys/vm/swappiness)\" = $SWAP0 ] && [ \"\$(cat /proc/sys/vm/watermark_scale_factor)\" = $WSF0 ]"
mt_finish
