# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for a scenario's test.sh, sourced INSIDE the guest:
#
#   . /mnt/share/lib/guest.sh
#
# Installing and starting memtuned happens here and nowhere else
# (mt_install, mt_start, mt_stop): when the Debian package and the unit
# exist, this is the one file that changes. Checks print TAP-like lines
# ("ok - ...", "not ok - ...") on the console; mt_finish exits 1 if any
# check failed, 0 otherwise.

set -u
SHARE=${SHARE:-/mnt/share}
export LC_ALL=C.UTF-8
_failed=0
_checks=0
_t0=$(cut -d' ' -f1 /proc/uptime)

log() { echo "# [$(awk -v t0="$_t0" '{ printf "%6.1f", $1 - t0 }' /proc/uptime)] $*"; }

# ok DESC / not_ok DESC [DETAIL...]
ok() { _checks=$((_checks + 1)); echo "ok - $1"; }
not_ok() {
    _checks=$((_checks + 1)); _failed=$((_failed + 1))
    echo "not ok - $1"
    shift
    local l
    for l in "$@"; do echo "#   $l"; done
}

# check DESC CMD...: runs CMD, ok if it succeeds
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "command: $*" "${out:0:2000}"; fi
}

# skip_all REASON: the scenario cannot run here (exit 77)
skip_all() {
    echo "SKIP: $*"
    echo "$*" >"$SHARE/skip-reason"
    exit 77
}

# bail REASON: setup failed, no point going on
bail() {
    not_ok "$*"
    mt_dump_log
    exit 1
}

# true while no check has failed
mt_all_passed() { [ "$_failed" = 0 ]; }
mt_checks() { echo "$_checks"; }

mt_finish() {
    log "$_checks checks, $_failed failed"
    [ "$_failed" = 0 ] || { mt_dump_log; exit 1; }
    exit 0
}

# wait_for SECONDS CMD...: polls CMD every 0.5 s until it succeeds
wait_for() {
    local limit=$1 end
    shift
    end=$(( $(date +%s) + limit ))
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.5
    done
}

sysctl_get() { cat "/proc/sys/vm/$1"; }
sysctl_set() { echo "$2" >"/proc/sys/vm/$1"; }
# sysctl_is NAME VALUE
sysctl_is() { [ "$(sysctl_get "$1")" = "$2" ]; }
vmstat_get() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' /proc/vmstat; }
allocstall_sum() { awk '$1 ~ /^allocstall_/ { s += $2 } END { print s + 0 }' /proc/vmstat; }

# ---- memtuned: install, start, stop --------------------------------------------
#
# The host puts either the Debian package(s) in $SHARE/pkg/ or a
# `make install DESTDIR=` tree in $SHARE/root/ (tests/vm/lib/host.sh,
# vm_stage). The guest has no network: the package's dependencies
# (libsystemd0, libconfig9, libcap2) are baked into the image.
MT_UNIT=memtuned
MT_HOW=""       # "package" or "tree", set by mt_install

mt_install() {
    local debs=()
    shopt -s nullglob
    debs=("$SHARE"/pkg/*.deb)
    shopt -u nullglob
    if [ ${#debs[@]} -gt 0 ]; then
        log "installing ${debs[*]##*/}"
        # the package's own maintainer scripts may enable and start the unit;
        # scenarios start it themselves when they are ready
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        # dpkg first: the dependencies are baked into the image, and apt-get
        # spends most of a TCG guest's 20-30 s install reading its lists;
        # apt-get when dpkg cannot (it also finishes a half-done dpkg -i)
        if ! dpkg -i "${debs[@]}" >/tmp/apt.log 2>&1 &&
           ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download "${debs[@]}" >>/tmp/apt.log 2>&1; then
            cat /tmp/apt.log
            rm -f /usr/sbin/policy-rc.d
            bail "installing the package"
        fi
        rm -f /usr/sbin/policy-rc.d
        MT_HOW=package
    elif [ -d "$SHARE/root" ]; then
        log "installing the build tree ($(cd "$SHARE/root" && find . -type f | wc -l) files)"
        # tar keeps Debian's merged-/usr symlinks (/lib -> usr/lib) intact
        tar -C "$SHARE/root" -cf - . | tar -C / -xf - --keep-directory-symlink --no-same-owner ||
            bail "installing the build tree"
        MT_HOW=tree
    else
        bail "nothing to install: neither $SHARE/pkg/*.deb nor $SHARE/root/"
    fi
    systemctl daemon-reload
    mkdir -p /etc/memtuned/policies.d
    command -v memtuned >/dev/null || bail "memtuned is not installed in PATH"
    log "memtuned $(memtuned --version 2>&1 | head -n1) installed from the $MT_HOW"
}

mt_have_unit() {
    local u
    for u in /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system; do
        [ -e "$u/memtuned.service" ] && return 0
    done
    return 1
}

# The bus policy the unit needs (it has BusName=org.memtuned1; without the
# policy the daemon cannot own its name).
mt_have_bus_policy() {
    local d
    for d in /usr/share/dbus-1/system.d /etc/dbus-1/system.d; do
        [ -e "$d/org.memtuned1.conf" ] && return 0
    done
    return 1
}

# The packaged service with the bus is usable.
mt_have_service() { mt_have_unit && mt_have_bus_policy; }

# mt_start [--no-bus] [--no-restart] [MEMTUNED ARGS...]
#   With the installed unit: `systemctl enable --now memtuned`, the unit as
#   shipped (its sandbox, its Restart=). A runtime drop-in
#   (/run/systemd/system/memtuned.service.d/50-vm-test.conf) changes only
#   what the scenario asks for: --no-bus (or no bus policy installed yet)
#   runs `memtuned --bus none ARGS`; --no-restart sets
#   Restart=no.
#   Without a unit: a transient Type=notify unit of the same name
#   (systemd-run) running /usr/sbin/memtuned --bus none ARGS.
#   Either way the unit is called memtuned, logs to the journal, and
#   mt_start returns once it is READY (or fails the scenario).
mt_start() {
    local nobus=0 restart="" dropin=/run/systemd/system/memtuned.service.d
    while [ $# -gt 0 ]; do
        case "$1" in
            --no-bus) nobus=1 ;;
            --no-restart) restart=no ;;
            *) break ;;
        esac
        shift
    done
    systemctl reset-failed "$MT_UNIT" >/dev/null 2>&1 || true
    if mt_have_unit; then
        mt_have_bus_policy || nobus=1
        rm -rf "$dropin"
        if [ "$nobus" = 1 ] || [ -n "$restart" ] || [ $# -gt 0 ]; then
            mkdir -p "$dropin"
            {
                echo "# tests/vm: what this scenario changes in the installed unit"
                echo "[Service]"
                if [ "$nobus" = 1 ]; then
                    echo "ExecStart="
                    echo "ExecStart=/usr/sbin/memtuned --bus none $*"
                elif [ $# -gt 0 ]; then
                    echo "ExecStart="
                    echo "ExecStart=/usr/sbin/memtuned $*"
                fi
                [ -z "$restart" ] || echo "Restart=$restart"
            } >"$dropin/50-vm-test.conf"
        fi
        systemctl daemon-reload
        [ "$nobus" = 1 ] || systemctl reload dbus 2>/dev/null || true
        log "systemctl enable --now $MT_UNIT (the installed unit$([ -e "$dropin/50-vm-test.conf" ] && echo ", with $(grep -c . "$dropin/50-vm-test.conf") lines of drop-in: $(grep -v '^#' "$dropin/50-vm-test.conf" | grep -v '^\[' | tr '\n' ' ')"))"
        systemctl enable --now "$MT_UNIT" >/dev/null 2>&1 || bail "systemctl enable --now $MT_UNIT"
    else
        log "systemd-run --unit=$MT_UNIT memtuned --bus none $* (no unit installed)"
        systemd-run --quiet --unit="$MT_UNIT" --description="memtuned (test, transient unit)" \
            -p Type=notify -p NotifyAccess=main -p Restart="${restart:-on-failure}" -p RestartSec=1 \
            -p TimeoutStartSec=60 -p TimeoutStopSec=30 \
            /usr/sbin/memtuned --bus none "$@" || bail "starting memtuned"
    fi
    systemctl is-active --quiet "$MT_UNIT" || bail "memtuned is not active after start"
}

# SIGTERM through systemd; returns once the unit is inactive
mt_stop() {
    log "systemctl stop $MT_UNIT"
    systemctl stop "$MT_UNIT"
}

mt_pid() { systemctl show -p MainPID --value "$MT_UNIT"; }
mt_restarts() { systemctl show -p NRestarts --value "$MT_UNIT"; }

# the daemon's log, across restarts, since boot
mt_log() {
    journalctl --sync >/dev/null 2>&1 || true
    journalctl -b -u "$MT_UNIT" -o cat --no-pager 2>/dev/null
}

# mt_log_has REGEX (extended)
mt_log_has() { mt_log | grep -Eq -- "$1"; }

mt_dump_log() {
    echo "# ---- memtuned's log ----"
    mt_log | tail -n 60 | sed 's/^/#   /'
    echo "# ---- vm sysctls: min_free_kbytes=$(sysctl_get min_free_kbytes) watermark_scale_factor=$(sysctl_get watermark_scale_factor) swappiness=$(sysctl_get swappiness) zone_reclaim_mode=$(sysctl_get zone_reclaim_mode 2>/dev/null || echo -)"
    if [ -e /run/memtuned/originals ]; then
        echo "# ---- /run/memtuned/originals ----"
        sed 's/^/#   /' /run/memtuned/originals
    fi
}

# mt_policy NAME: installs stdin as /etc/memtuned/policies.d/NAME (a file
# named 50-default.conf masks the vendor's default policy)
mt_policy() {
    mkdir -p /etc/memtuned/policies.d
    cat >"/etc/memtuned/policies.d/$1"
    memtuned --check "/etc/memtuned/policies.d/$1" || bail "the scenario's policy $1 does not validate"
}

# bg_loop CMD...: runs CMD over and over in the background (the subshell's
# PID is in $!); `kill PID` stops the loop and the running CMD
bg_loop() {
    (
        c=""
        trap '[ -n "$c" ] && kill "$c" 2>/dev/null; exit 0' TERM
        while :; do "$@" & c=$!; wait "$c"; done
    ) &
}
