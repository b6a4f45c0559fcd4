#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# memtuned --check's command line: the daemon's options that --check would
# ignore are usage errors (exit 2) with the exact message, not silently
# accepted (issue 16); what goes with --check still works.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
make_tmp
proc=$top_srcdir/tests/data/policy/host/proc
printf 'tunables: { swappiness: { mode = "fixed"; value = 10; }; };\n' >"$tmp/good.conf"

# usage_error WANT ARGS...: memtuned ARGS exits 2 with exactly WANT on stderr.
usage_error() {
        local want=$1; shift
        "$memtuned" "$@" >"$tmp/out" 2>"$tmp/err"
        local status=$?
        [ $status -eq 2 ] && [ "$(cat "$tmp/err")" = "$want" ] && [ ! -s "$tmp/out" ] && return 0
        echo "  memtuned $*: exit $status, stderr: $(cat "$tmp/err")"
        return 1
}

check "--check --observe is a usage error" \
        usage_error "--observe cannot be combined with --check." --check --observe "$tmp/good.conf"
check "--observe --check is a usage error" \
        usage_error "--observe cannot be combined with --check." --observe --check "$tmp/good.conf"
check "--check --bus is a usage error" \
        usage_error "--bus cannot be combined with --check." --check --bus none "$tmp/good.conf"
check "--check --state-dir is a usage error" \
        usage_error "--state-dir cannot be combined with --check." --check --state-dir "$tmp" "$tmp/good.conf"
check "--dump without --check is a usage error" usage_error "--dump needs --check." --dump

check "--check --dump --proc-root --policy-dir PATH is valid" \
        "$memtuned" --check --dump --proc-root "$proc" --policy-dir "$tmp" "$tmp/good.conf" >"$tmp/out"
check "... and dumps" grep -q 'value = 10;' "$tmp/out"

exit $fail
