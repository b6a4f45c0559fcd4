# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# vm_free_port: prints a TCP port on which nothing listens on this machine
# (any address, IPv4 or IPv6), chosen at random below the kernel's
# ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), where outgoing
# connections do not take ports meanwhile. Never a fixed port: other
# people's tests and services share the machine. Whoever binds it can still
# lose a race for it; run-guest --ssh starts QEMU again with another port
# when the forwarding cannot bind. Sourced by run-guest and lib/host.sh.
vm_free_port() {
    local lo _hi used=" " st addr p _i
    read -r lo _hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    [ "$lo" -gt 12000 ] || lo=32768
    # /proc/net/tcp{,6}: "sl local_address rem_address st ...", the port in
    # hex after the last colon; st 0A is LISTEN
    while read -r _ addr _ st _; do
        [ "$st" = 0A ] && used+="$((16#${addr##*:})) "
    done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
    for _i in $(seq 1 100); do
        p=$(( 10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000) ))
        case "$used" in *" $p "*) continue ;; esac
        echo "$p"
        return 0
    done
    return 1
}
