#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The guest side of `memtunectl -H` (see run, which does the checking from
# the host): memtuned as the installed unit on the real system bus with a
# policy named by the host (a name only this guest has), sshd with the host
# key the host made (so the host knows it in advance), root and an
# unprivileged user "mtviewer" with the keys the host made, and the address
# 10.0.2.15/24 on QEMU's user-mode network (run-guest --ssh forwards a
# port of the host's 127.0.0.1 to port 22 here). Then it tells the host
# what only the guest knows ($SHARE/guest-ready), waits until the host has
# done its checks ($SHARE/host-done) and reports them with its own.
. /mnt/share/lib/guest.sh

mt_install
mt_have_service || skip_all "the unit or the bus policy is not installed"
command -v sshd >/dev/null || bail "no sshd in the image (tests/vm/build-image: openssh-server)"
command -v systemd-stdio-bridge >/dev/null || bail "no systemd-stdio-bridge in the guest"
for f in ssh/ssh_host_ed25519_key ssh/id_root.pub ssh/id_mtviewer.pub policy-name; do
    [ -s "$SHARE/$f" ] || bail "the host left no $f in the share"
done

POLICY=$(cat "$SHARE/policy-name")
SWAP0=$(sysctl_get swappiness)
log "kernel values: swappiness=$SWAP0; policy name from the host: $POLICY"
mt_policy 60-vm-remote.conf <<POLICY
# tests/vm/scenarios/remote: on top of the vendor default policy
policy: { name = "$POLICY"; };
tunables: {
        swappiness: { mode = "fixed"; value = 23; };
};
POLICY

# ---- memtuned, the network, sshd ------------------------------------------------------
mt_start
wait_for 20 sysctl_is swappiness 23 || bail "the policy was not applied (swappiness $(sysctl_get swappiness))"

# systemd-networkd (part of systemd): the static first address of QEMU's
# user-mode network; the host's forwarded connections come from 10.0.2.2
mkdir -p /run/systemd/network
cat >/run/systemd/network/50-vm-remote.network <<'NETWORK'
[Match]
Type=ether

[Network]
Address=10.0.2.15/24
LinkLocalAddressing=no
IPv6AcceptRA=no
NETWORK
systemctl start systemd-networkd || bail "systemctl start systemd-networkd"

install -m 0600 "$SHARE/ssh/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
install -m 0644 "$SHARE/ssh/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub
cat >/etc/ssh/sshd_config.d/50-vm-remote.conf <<'SSHD'
# tests/vm/scenarios/remote: keys only, the one host key the host knows
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
SSHD
install -d -m 0700 /root/.ssh
install -m 0600 "$SHARE/ssh/id_root.pub" /root/.ssh/authorized_keys
# the unprivileged remote user: its own key; "*" rather than useradd's
# locked "!" so that sshd lets it log in with the key
useradd --create-home --shell /bin/sh mtviewer || bail "useradd mtviewer"
usermod -p '*' mtviewer
install -d -m 0700 -o mtviewer -g mtviewer /home/mtviewer/.ssh
install -m 0600 -o mtviewer -g mtviewer "$SHARE/ssh/id_mtviewer.pub" /home/mtviewer/.ssh/authorized_keys
systemctl start ssh || { journalctl -b -u ssh --no-pager | tail -n 20; bail "systemctl start ssh"; }
wait_for 20 grep -q '10\.0\.2\.15' /proc/net/fib_trie || bail "networkd did not give the card 10.0.2.15"
check "sshd is running" systemctl is-active --quiet ssh

# ---- what only the guest knows, for the host -------------------------------------------
{
    echo "MAINPID=$(mt_pid)"
    echo "MEMTOTAL_KB=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
    echo "SWAP0=$SWAP0"
    echo "POLICY=$POLICY"
} >"$SHARE/guest-ready.tmp" && mv "$SHARE/guest-ready.tmp" "$SHARE/guest-ready"
log "ready for the host: $(tr '\n' ' ' <"$SHARE/guest-ready")"

# ---- the host's checks --------------------------------------------------------------------
# the host writes host-done whatever happens (run's EXIT trap); the limit
# only matters if the host side dies without it
if ! wait_for 300 test -e "$SHARE/host-done"; then
    not_ok "the host finished its checks within 300 s"
else
    log "the host is done ($(cat "$SHARE/host-done"))"
fi
while IFS= read -r line; do
    case "$line" in
        "ok - "*) ok "host: ${line#ok - }" ;;
        "not ok - "*) not_ok "host: ${line#not ok - }" ;;
        *) echo "$line" ;;
    esac
done <"$SHARE/host-results" 2>/dev/null
[ -s "$SHARE/host-results" ] || not_ok "the host reported its checks (no $SHARE/host-results)"

# ---- and what the guest saw of them ---------------------------------------------------------
check "the guest's memtuned logged the override set over ssh (swappiness 23 -> 37)" \
    mt_log_has "^swappiness 23 -> 37"
check "... and its end (swappiness 37 -> 23)" mt_log_has "^swappiness 37 -> 23"
check "nothing that mtviewer tried took effect (swappiness never 5)" bash -c "! journalctl -b -u memtuned -o cat | grep -Eq '^swappiness [0-9]+ -> 5:'"
check "swappiness is the policy's 23 again" sysctl_is swappiness 23
check "memtuned ran all along (no restart)" test "$(mt_restarts)" = 0
mt_stop
check "stop restores swappiness=$SWAP0" sysctl_is swappiness "$SWAP0"
mt_finish
