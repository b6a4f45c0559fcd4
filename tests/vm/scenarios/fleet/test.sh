#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in a 1-node guest: memtuned runs with a base policy (swappiness fixed
# 17); ansible-playbook pushes 60-fleet.conf twice, broken then good.
. /mnt/share/lib/guest.sh

mt_install
command -v ansible-playbook >/dev/null || bail "ansible-playbook is not in the image (tests/vm/build-image)"
log "$(ansible-playbook --version | head -n1)"

mt_policy 50-default.conf <<'POLICY'
# tests/vm/scenarios/fleet: the base policy (replaces the vendor default)
policy: { name = "vm-base"; };
tunables: {
        swappiness: { mode = "fixed"; value = 17; };
};
POLICY
rm -f /etc/memtuned/policies.d/60-fleet.conf
mt_start
wait_for 20 sysctl_is swappiness 17 || bail "the base policy was not applied"
pid=$(mt_pid)
loads() { mt_log | grep -cE "^Policy '.*' in force" || true; }

export ANSIBLE_NOCOLOR=1 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_RETRY_FILES_ENABLED=0
play() {
    local rc=0
    ansible-playbook -i localhost, -c local -e "policy_src=$1" "$SHARE/files/policy.yml" >/tmp/play.log 2>&1 || rc=$?
    cp /tmp/play.log "$SHARE/play-${1##*/}.log"
    return "$rc"
}

# ---- the broken file --------------------------------------------------------------
n0=$(loads)
t0=$(date +%s)
if play "$SHARE/files/broken.conf"; then
    not_ok "ansible refuses the broken policy (validate: memtuned --check %s)" "$(tail -n 20 /tmp/play.log)"
else
    ok "ansible refuses the broken policy (validate: memtuned --check %s)"
fi
log "ansible-playbook took $(( $(date +%s) - t0 )) s"
check "ansible's message carries memtuned --check's diagnosis" \
    grep -q 'unknown tunable \\\?"swapiness\\\?"; did you mean \\\?"swappiness\\\?"' /tmp/play.log
check "the broken file was not installed" test ! -e /etc/memtuned/policies.d/60-fleet.conf
sleep 3
check "the running policy is unchanged: swappiness stays 17" sysctl_is swappiness 17
check "the daemon did not reload" test "$(loads)" = "$n0"
check "the daemon was not restarted" test "$(mt_pid)" = "$pid"

# ---- the good file ------------------------------------------------------------------
t0=$(date +%s)
if play "$SHARE/files/good.conf" && grep -q 'changed=1' /tmp/play.log; then
    ok "ansible installs the good policy"
else
    not_ok "ansible installs the good policy" "$(tail -n 20 /tmp/play.log)"
fi
log "ansible-playbook took $(( $(date +%s) - t0 )) s"
check "memtuned applies it live: swappiness 17 -> 33" wait_for 30 sysctl_is swappiness 33
check "the log shows the reload" mt_log_has "^Policy 'fleet' in force"
check "the log shows the decision" mt_log_has "^swappiness 17 -> 33: fixed by policy"
check "without a restart (same MainPID $pid, NRestarts 0)" \
    bash -c "[ \"\$(systemctl show -p MainPID --value memtuned)\" = $pid ] && [ \"\$(systemctl show -p NRestarts --value memtuned)\" = 0 ]"
check "/run/memtuned/originals still holds the kernel's swappiness" grep -qx 'swappiness 60 33' /run/memtuned/originals

if play "$SHARE/files/good.conf" && grep -q 'changed=0' /tmp/play.log; then
    ok "pushing the same file again changes nothing"
else
    not_ok "pushing the same file again changes nothing" "$(tail -n 8 /tmp/play.log)"
fi

# ---- a broken file that bypasses validation: the daemon's own guard ---------------------
n1=$(loads)
cp "$SHARE/files/broken.conf" /etc/memtuned/policies.d/70-unvalidated.conf
check "a broken file copied in without validation is rejected by the daemon" \
    wait_for 30 mt_log_has "Rejected the new policy; the last good policy \(fleet\) stays in force"
check "the last good policy stays: swappiness 33" sysctl_is swappiness 33
check "no new policy was put in force" test "$(loads)" = "$n1"
rm -f /etc/memtuned/policies.d/70-unvalidated.conf

mt_stop
check "stop restores swappiness=60" sysctl_is swappiness 60
mt_finish
