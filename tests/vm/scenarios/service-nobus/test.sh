#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 1-node guest. memtuned runs with --bus none: the installed unit
# with a drop-in, or a transient Type=notify unit while the build installs
# none (lib/guest.sh, mt_start). This scenario is about the daemon and
# systemd, not the bus; scenarios/service-bus covers the unit with the bus.
. /mnt/share/lib/guest.sh

mt_install

SWAP0=$(sysctl_get swappiness)
WSF0=$(sysctl_get watermark_scale_factor)
MFK0=$(sysctl_get min_free_kbytes)
log "kernel values: swappiness=$SWAP0 watermark_scale_factor=$WSF0 min_free_kbytes=$MFK0"
# the test's values must differ from the kernel's
SWAP=17
WSF=$(( WSF0 == 77 ? 78 : 77 ))

mt_policy 50-default.conf <<POLICY
# tests/vm/scenarios/service-nobus: replaces the vendor default policy
policy: { name = "vm-service"; };
tunables: {
        swappiness: { mode = "fixed"; value = $SWAP; };
        watermark_scale_factor: { mode = "fixed"; value = $WSF; };
};
POLICY

# values_are SWAPPINESS WSF
values_are() { sysctl_is swappiness "$1" && sysctl_is watermark_scale_factor "$2" && sysctl_is min_free_kbytes "$MFK0"; }
originals_are() {
    grep -qx "swappiness $1 $SWAP" /run/memtuned/originals &&
        grep -qx "watermark_scale_factor $2 $WSF" /run/memtuned/originals &&
        ! grep -q '^min_free_kbytes' /run/memtuned/originals
}

# ---- 1. start, stop ------------------------------------------------------------
rm -f /run/memtuned/originals
mt_start --no-bus
check "the unit is active and READY (Type=notify)" systemctl is-active --quiet memtuned
check "systemd shows the daemon's STATUS" bash -c "systemctl show -p StatusText --value memtuned | grep -q ."
log "status: $(systemctl show -p StatusText --value memtuned)"
check "the policy's values are set (swappiness=$SWAP watermark_scale_factor=$WSF), min_free_kbytes untouched" \
    wait_for 20 values_are "$SWAP" "$WSF"
check "/run/memtuned/originals holds the kernel's values" originals_are "$SWAP0" "$WSF0"
check "the log names the policy" mt_log_has "Policy 'vm-service'|policy 'vm-service'"
# The unit's system call filter lets the daemon ask for its short slice
# (sched_setattr; the 6.1 guest kernel accepts the request and ignores it).
check "the unit allows the scheduler slice request" mt_log_has "scheduler slice 100 us"
mt_stop
check "SIGTERM (systemctl stop) restores swappiness=$SWAP0 watermark_scale_factor=$WSF0" values_are "$SWAP0" "$WSF0"
check "the log says the originals were restored" mt_log_has "Restored 2 original vm values"
check "a clean stop leaves no originals behind" test ! -s /run/memtuned/originals

# ---- 2. SIGKILL, systemd restarts it, stop restores the true originals ----------
mt_start --no-bus
wait_for 20 values_are "$SWAP" "$WSF" || bail "the values were not set after the second start"
pid1=$(mt_pid)
log "SIGKILL to memtuned ($pid1); Restart=on-failure"
systemctl kill -s SIGKILL --kill-who=main memtuned
if wait_for 30 bash -c "[ \"\$(systemctl show -p NRestarts --value memtuned)\" -ge 1 ] && systemctl is-active --quiet memtuned"; then
    ok "systemd restarted memtuned after SIGKILL"
else
    not_ok "systemd restarted memtuned after SIGKILL" "$(systemctl status memtuned 2>&1 | head -n 12)"
fi
pid2=$(mt_pid)
check "a new process ($pid1 -> $pid2)" test "$pid1" != "$pid2"
check "after the restart the values are still the policy's" wait_for 10 values_are "$SWAP" "$WSF"
check "after the restart /run/memtuned/originals still holds the kernel's values, not memtuned's" \
    originals_are "$SWAP0" "$WSF0"
mt_stop
check "stop after the restart restores the true originals swappiness=$SWAP0 watermark_scale_factor=$WSF0" \
    values_are "$SWAP0" "$WSF0"

# ---- 3. a value changed while memtuned was down is the administrator's ----------
mt_start --no-bus --no-restart
wait_for 20 values_are "$SWAP" "$WSF" || bail "the values were not set after the third start"
systemctl kill -s SIGKILL --kill-who=main memtuned
wait_for 20 bash -c '! systemctl is-active --quiet memtuned' || bail "memtuned did not die on SIGKILL"
check "SIGKILL leaves memtuned's values in place" values_are "$SWAP" "$WSF"
ADMIN=42
sysctl_set swappiness "$ADMIN"
log "administrator: swappiness=$ADMIN while memtuned is down"
mt_start --no-bus
check "the restarted daemon notices the change" mt_log_has "1 value changed while memtuned was not running"
check "the policy is applied again" wait_for 20 values_are "$SWAP" "$WSF"
check "the administrator's swappiness=$ADMIN is now the original; watermark_scale_factor's stays $WSF0" \
    originals_are "$ADMIN" "$WSF0"
mt_stop
check "stop restores swappiness=$ADMIN (the administrator's) and watermark_scale_factor=$WSF0" \
    values_are "$ADMIN" "$WSF0"

mt_finish
