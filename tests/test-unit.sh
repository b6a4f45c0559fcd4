#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The systemd units as make builds them: `systemd-analyze verify` finds no
# error, and `systemd-analyze security --offline=true` rates memtuned.service
# at most 1.5 (--threshold=15). This machine's PID 1 need not be systemd:
# both commands work on unit files alone.
#
# verify checks that ExecStart='s program exists; the built unit names
# $(sbindir)/memtuned, which is not installed at `make check` time, so the
# copy that is verified names the build tree's memtuned instead. Nothing else
# is changed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
socket=$top_srcdir/systemd/memtuned-procevents.socket
# The highest exposure accepted, in tenths (systemd-analyze's --threshold).
THRESHOLD=15

need_command systemd-analyze systemd
[ -e "$unit" ] || hard_error "$unit not built (make builds it)"

make_tmp

check "the built unit has no @placeholder@ left" bash -c "! grep -n '@[a-z_]*@' '$unit'"
check "ExecStart= is an absolute path to memtuned" grep -qE '^ExecStart=/[^ ]*/memtuned( |$)' "$unit"

sed -E "s|^ExecStart=[^ ]*/memtuned|ExecStart=$top_builddir/memtuned|" "$unit" >"$tmp/memtuned.service"
cp "$socket" "$tmp/memtuned-procevents.socket"

# verify prints problems on stderr and may still exit 0 for some of them:
# any output counts as a failure. --man=no: the man pages are not installed.
verify() {
        (cd "$tmp" && systemd-analyze verify --man=no ./memtuned.service ./memtuned-procevents.socket) \
                >"$tmp/verify.log" 2>&1
        local rc=$?
        cat "$tmp/verify.log"
        [ $rc -eq 0 ] && [ ! -s "$tmp/verify.log" ]
}
check "systemd-analyze verify memtuned.service memtuned-procevents.socket" verify

systemd-analyze security --offline=true --threshold=$THRESHOLD "$tmp/memtuned.service" >"$tmp/security.log" 2>&1
rc=$?
exposure=$(sed -n 's/.*Overall exposure level for memtuned.service: \([0-9.]*\).*/\1/p' "$tmp/security.log")
echo "# exposure: ${exposure:-?} (at most $((THRESHOLD / 10)).$((THRESHOLD % 10)))"
if [ $rc -ne 0 ] || [ -z "$exposure" ]; then
        # What costs exposure, for whoever has to fix it.
        grep -E '✗|Overall' "$tmp/security.log"
fi
check "systemd-analyze security --offline=true --threshold=$THRESHOLD" test $rc -eq 0 -a -n "$exposure"

# The unit mirrors the code (daemon/caps.c) and the actuator: exactly these.
check "CapabilityBoundingSet= is the daemon's set" \
        grep -qx 'CapabilityBoundingSet=CAP_DAC_OVERRIDE CAP_SYS_PTRACE CAP_NET_ADMIN CAP_SYS_RESOURCE' "$unit"
rw=$(sed -n 's/^ReadWritePaths=//p' "$unit" | tr ' ' '\n' | sort | tr '\n' ' ')
check "ReadWritePaths= is exactly the knob files and the metrics directory ($rw)" test "$rw" = \
        "-/proc/sys/vm/watermark_boost_factor -/proc/sys/vm/zone_reclaim_mode -/sys/kernel/mm/lru_gen/enabled -/sys/kernel/mm/lru_gen/min_ttl_ms -/var/lib/prometheus/node-exporter /proc/sys/vm/min_free_kbytes /proc/sys/vm/swappiness /proc/sys/vm/watermark_scale_factor "

exit $fail
