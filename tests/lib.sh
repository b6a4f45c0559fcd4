# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # what it sets is for the tests
# What the shell tests (tests/test-*.sh) share. Sourced, not run, once the
# test knows top_srcdir: make check exports it (AM_TESTS_ENVIRONMENT; the
# source tree, not the build tree, in a VPATH build); run by hand, the test
# finds it from $0:
#
#   top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
#   # shellcheck source=tests/lib.sh
#   . "$top_srcdir/tests/lib.sh"
#
# The conventions the helpers rely on: the test's scratch directory is $tmp,
# the daemon it runs in the background is $pid and writes to $tmp/log, and a
# daemon on a fixture tree gets $tmp/proc, $tmp/policy and $tmp/state.

# What make builds: in the build tree, which is the source tree when a test
# runs by hand after an in-tree build.
top_builddir=${top_builddir:-$top_srcdir}
memtuned=$top_builddir/memtuned
memtunectl=$top_builddir/memtunectl
# memtunectl check runs this daemon's --check, not the installed one.
export MEMTUNECTL_MEMTUNED=$memtuned
unit=$top_builddir/systemd/memtuned.service
# The system's python3, not whatever PATH finds first: a pyenv one, say,
# lacks the Debian packages' modules (python3-dbusmock).
PY=/usr/bin/python3

fail=0          # 1 once a check has failed; a test ends with exit $fail
passed=0        # how many checks have passed
pid=            # the daemon under test: killed when the test exits
lib_tmp=        # what make_tmp made: removed when the test exits

# skip REASON...: exit 77 (the harness's SKIP), saying why.
skip() { echo "SKIP: $*"; exit 77; }
# hard_error REASON...: exit 99, the test cannot run as it should.
hard_error() { echo "ERROR: $*"; exit 99; }
# need_root WHAT-FOR: skips unless the test runs as root.
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root ($1)"; }
# need_command PROGRAM PACKAGE: skips unless PROGRAM is installed.
need_command() { command -v "$1" >/dev/null || skip "$1 not installed (package $2)"; }

# check DESCRIPTION COMMAND...: runs COMMAND and prints "ok - DESCRIPTION",
# or "FAIL - DESCRIPTION" and fails the test, which goes on.
check() {
        local what=$1; shift
        if "$@"; then
                echo "ok - $what"
                passed=$((passed + 1))
        else
                echo "FAIL - $what"
                fail=1
        fi
}

# wait_for SECONDS COMMAND...: runs COMMAND every 50 ms until it succeeds;
# returns 1 if it has not within SECONDS.
# The limit is scaled by MEMTUNED_TEST_WAIT_SCALE (run-all's ASan stage: 3):
# a sanitized daemon on a busy host starts several times slower, and these
# are limits on waiting, not timings.
wait_for() {
        local deadline=$((SECONDS + $1 * ${MEMTUNED_TEST_WAIT_SCALE:-1})); shift
        until "$@"; do
                [ $SECONDS -ge $deadline ] && return 1
                sleep 0.05
        done
}

# make_tmp: $tmp, a new directory, removed when the test exits.
make_tmp() {
        tmp=$(mktemp -d) || hard_error "mktemp -d failed"
        lib_tmp=$tmp
}

# When the test exits, for whatever reason: the test's own on_exit if it
# defines one, then the daemon $pid is killed and make_tmp's directory goes.
lib_exit() {
        if declare -F on_exit >/dev/null; then on_exit; fi
        if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null; fi
        if [ -n "$lib_tmp" ]; then rm -rf "$lib_tmp"; fi
}
trap lib_exit EXIT

# stop_daemon [SIGNAL]: sends the daemon $pid SIGNAL (TERM by default), waits
# for it and returns its exit status.
# shellcheck disable=SC2120 # the signal is optional
stop_daemon() {
        kill -"${1:-TERM}" "$pid" 2>/dev/null
        { wait "$pid"; } 2>/dev/null
        local rc=$?
        pid=
        return $rc
}

# logged TEXT: whether the daemon's log has TEXT (a fixed string).
logged() { grep -qF -- "$1" "$tmp/log"; }
# count_logged TEXT: how many lines of the daemon's log have TEXT.
count_logged() { grep -cF -- "$1" "$tmp/log"; }

# proc_status FIELD: FIELD's value in /proc/$pid/status (CapEff, VmLck, ...).
proc_status() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status"; }

# reset_tree [FILE TEXT]: $tmp/proc a fresh, writable copy of the captured
# tests/data/host-6.18/proc, no $tmp/state, and $tmp/policy empty or holding
# only FILE with the line(s) TEXT.
# shellcheck disable=SC2120 # FILE TEXT is optional
reset_tree() {
        rm -rf "$tmp/proc" "$tmp/state" "$tmp/policy"
        cp -r "$top_srcdir/tests/data/host-6.18/proc" "$tmp/proc"
        mkdir -p "$tmp/policy"
        if [ $# -eq 2 ]; then printf '%s\n' "$2" >"$tmp/policy/$1"; fi
}

# value NAME: the vm tunable NAME in $tmp/proc. is_value NAME VALUE: whether
# it is VALUE.
value() { cat "$tmp/proc/sys/vm/$1"; }
is_value() { [ "$(value "$1")" = "$2" ]; }
