#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# memtuned.service's file-system sandbox, emulated in a private mount
# namespace (unshare -m) the way systemd builds it: ProtectKernelTunables=yes
# bind-mounts /proc/sys read-only (recursively), then each ReadWritePaths=
# entry is bind-mounted read-write again.
#
# 1. The real /proc/sys under that sandbox: of all of /proc/sys/vm exactly the
#    unit's four files can be opened for writing, nothing in /proc/sys/kernel.
#    Probed with open(O_WRONLY|O_APPEND) and close: nothing is ever written to
#    a real sysctl (TESTBED.md), and an open alone does nothing in the kernel.
# 2. The daemon in the same sandbox, on the real /proc (vmstat, PSI, ...) but
#    with a copy of /proc/sys/vm bind-mounted over it first: a policy that
#    fixes all four tunables is applied (to the copy) and restored on stop.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

if [ "${1:-}" != --inside ]; then
        need_root "unshare -m, bind mounts"
        need_command unshare util-linux
        [ -e "$unit" ] || hard_error "$unit not built (make builds it)"
        [ -w /proc/sys/vm/swappiness ] || skip "/proc/sys/vm is not writable here"
        make_tmp
        unshare --mount --propagation private -- "$0" --inside "$tmp"
        exit $?
fi

# ---- inside the private mount namespace -------------------------------------
tmp=$2    # made and removed outside

# The unit's ReadWritePaths=; a "-" prefix: the file may not exist.
rw_paths=$(sed -n 's/^ReadWritePaths=//p' "$unit" | tr ' ' '\n')

# ProtectKernelTunables=yes: /proc/sys and every mount below it read-only.
protect_kernel_tunables() {
        mount --rbind /proc/sys /proc/sys || return 1
        awk '{ print $5 }' /proc/self/mountinfo | grep -E '^/proc/sys(/|$)' | sort -u |
                while read -r m; do mount -o remount,bind,ro "$m" || exit 1; done
}
# ReadWritePaths=: each path read-write again.
read_write_paths() {
        local p
        for p in $rw_paths; do
                case $p in -*) p=${p#-}; [ -e "$p" ] || continue ;; esac
                mount --bind "$p" "$p" && mount -o remount,bind,rw "$p" || return 1
        done
}
# Files below DIR that open for writing (nothing is written).
writable_files() {
        local f
        for f in "$1"/*; do
                [ -f "$f" ] || continue
                if (exec 3>>"$f") 2>/dev/null; then echo "${f#/proc/sys/}"; fi
        done
}
expected=$(for p in $rw_paths; do
        case $p in -*) p=${p#-}; [ -e "$p" ] || continue ;; esac
        case $p in /proc/sys/vm/*) ;; *) continue ;; esac  # the metrics directory
        echo "${p#/proc/sys/}"
done | sort)

# 1. The real /proc/sys.
check "ProtectKernelTunables= emulated: /proc/sys read-only" protect_kernel_tunables
check "ReadWritePaths= emulated: the unit's vm files read-write" read_write_paths
got=$(writable_files /proc/sys/vm | sort)
echo "# writable in /proc/sys/vm: $(echo $got)"
check "exactly the unit's vm files are writable ($(echo $expected))" test "$got" = "$expected"
check "nothing in /proc/sys/kernel is writable" test -z "$(writable_files /proc/sys/kernel)"
check "a write elsewhere fails with EROFS" bash -c \
        "(exec 3>>/proc/sys/vm/overcommit_memory) 2>&1 | grep -q 'Read-only file system'"
# Back to the host's view for part 2.
umount -R /proc/sys 2>/dev/null || umount -l /proc/sys

# 2. The daemon, on a copy of /proc/sys/vm.
mkdir -p "$tmp/vm" "$tmp/state" "$tmp/policy"
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$tmp/vm" || hard_error "cannot mount a tmpfs"
for f in /proc/sys/vm/*; do
        [ -f "$f" ] || continue
        cat "$f" >"$tmp/vm/${f##*/}" 2>/dev/null || : >"$tmp/vm/${f##*/}"
done
mount --bind "$tmp/vm" /proc/sys/vm || hard_error "cannot bind the copy over /proc/sys/vm"
# Never touch the real sysctls: from here on /proc/sys/vm must be the copy.
[ "$(stat -f -c %T /proc/sys/vm/swappiness)" = tmpfs ] || hard_error "/proc/sys/vm is not the copy"
protect_kernel_tunables && read_write_paths || hard_error "cannot build the sandbox around the copy"
[ "$(stat -f -c %T /proc/sys/vm/swappiness)" = tmpfs ] || hard_error "/proc/sys/vm is not the copy"
check "the copy is sandboxed like the real files" test "$(writable_files /proc/sys/vm | sort)" = "$expected"

# Values the kernel accepts that differ from the copy's. min_free_kbytes goes
# down a little: the policy caps it at a share of RAM, which a small machine
# (the 1 GiB guest) reaches soon above the kernel's default.
declare -A want orig
for t in min_free_kbytes watermark_scale_factor swappiness zone_reclaim_mode; do
        [ -e "/proc/sys/vm/$t" ] || continue
        orig[$t]=$(cat "/proc/sys/vm/$t")
done
want[min_free_kbytes]=$(( ${orig[min_free_kbytes]} > 8192 ? ${orig[min_free_kbytes]} - 1024 : ${orig[min_free_kbytes]} + 1024 ))
want[watermark_scale_factor]=$(( ${orig[watermark_scale_factor]} == 77 ? 78 : 77 ))
want[swappiness]=$(( ${orig[swappiness]} == 17 ? 18 : 17 ))
[ -n "${orig[zone_reclaim_mode]:-}" ] && want[zone_reclaim_mode]=$(( ${orig[zone_reclaim_mode]} == 0 ? 1 : 0 ))
{
        echo 'policy: { name = "sandbox"; };'
        echo 'tunables: {'
        for t in "${!want[@]}"; do echo "  $t: { mode = \"fixed\"; value = ${want[$t]}; };"; done
        echo '};'
} >"$tmp/policy/50-sandbox.conf"

all_are() { # the array name: every tunable holds that value
        local -n v=$1
        local t
        for t in "${!v[@]}"; do [ "$(cat "/proc/sys/vm/$t")" = "${v[$t]}" ] || return 1; done
}
"$memtuned" --policy-dir "$tmp/policy" --state-dir "$tmp/state" --bus none >"$tmp/log" 2>&1 &
pid=$!
check "the daemon runs in the sandbox on the real /proc" wait_for 5 logged "memtuned running"
check "it sets all ${#want[@]} tunables (${!want[*]})" wait_for 10 all_are want
check "no write failed" bash -c "! grep -qiE 'failed to set|read-only' '$tmp/log'"
stop_daemon; rc=$?
check "SIGTERM exits 0" test $rc -eq 0
check "stop restores every original" all_are orig
if [ $fail -ne 0 ]; then
        echo "---- memtuned's log"
        cat "$tmp/log"
fi
exit $fail
