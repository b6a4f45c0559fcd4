#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's first command: installs what is missing (Debian, as root),
# builds memtuned and memtunectl and runs the daemon in the foreground with the
# shipped default policy (policies/ in this tree, then /run and /etc as
# usual), on the system bus when there is one. Ctrl-C stops it, and it writes
# back every vm value it changed. Arguments replace the daemon's and go to
# memtuned as they are: ./run.sh --once --json
set -eu -o pipefail

# Everything but memtuned's own output goes to stderr: ./run.sh --once --json | jq
exec 3>&1 1>&2

root=$(cd "$(dirname "$0")" && pwd)
. "$root/tools/lib.sh"

memtuned_install_deps "${MEMTUNED_BUILD_DEPS[@]}"

if [ -e "$root/config.status" ]; then
        # Configured in place (./configure in the checkout): build there.
        build=$root
else
        # Otherwise out of tree, in _build-run/ (git-ignored).
        memtuned_autogen "$root"
        build=$root/_build-run
        mkdir -p "$build"
        if [ ! -e "$build/config.status" ]; then
                echo "Configuring in $build"
                (cd "$build" && "$root/configure" --quiet)
        fi
fi
echo "Building memtuned in $build"
make -C "$build" -j"$(nproc)" --no-print-directory memtuned memtunectl >"$build/run-build.log" 2>&1 || {
        cat "$build/run-build.log" >&2
        exit 1
}

[ $# -gt 0 ] || set -- --policy-dir "$root/policies" --policy-dir /run/memtuned/policies.d \
        --policy-dir /etc/memtuned/policies.d
echo "Running: memtuned $*"
exec "$build/memtuned" "$@" 1>&3 3>&-
