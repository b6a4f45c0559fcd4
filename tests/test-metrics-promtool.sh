#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# memtuned --metrics-dir with Prometheus's own checker:
#  - `promtool check metrics` finds no problem in the file memtuned writes,
#    on each fixture tree (tests/data/*/proc that the daemon can sample) and
#    on the real /proc (--observe: nothing is written to the kernel);
#  - the alert rules (contrib/prometheus) pass `promtool check rules` and
#    their unit tests (`promtool test rules`);
#  - bad configuration: a relative path is a usage error; a directory that
#    does not exist, a symlink, a file, a read-only directory each get one
#    warning naming the path and the cause, and memtuned runs on.
# Skips (77) without promtool (Debian package prometheus).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_command promtool prometheus
make_tmp

start_daemon() { # proc-root, extra args...
        local root=$1; shift
        : >"$tmp/log"
        "$memtuned" --proc-root "$root" --policy-dir "$tmp/policy" --state-dir "$tmp/state" \
                --bus none --observe "$@" >>"$tmp/log" 2>&1 &
        pid=$!
        wait_for 5 logged "memtuned running"
}

# ---- the alert rules ----------------------------------------------------------
check "promtool check rules contrib/prometheus/memtuned-alerts.yml" \
        promtool check rules "$top_srcdir/contrib/prometheus/memtuned-alerts.yml"
check "promtool test rules contrib/prometheus/memtuned-alerts.test.yml" \
        sh -c "cd '$top_srcdir/contrib/prometheus' && promtool test rules memtuned-alerts.test.yml"

# ---- the file, on each fixture tree and the real /proc --------------------------
mkdir -p "$tmp/policy"
cp "$top_srcdir/policies/50-default.conf" "$tmp/policy/"
for tree in "$top_srcdir"/tests/data/*/proc /proc; do
        name=${tree#"$top_srcdir"/tests/data/}
        rm -rf "$tmp/state" "$tmp/metrics" "$tmp/proc"
        mkdir "$tmp/metrics"
        if [ "$tree" != /proc ]; then
                # The daemon refuses a tree it cannot sample: not this test's matter.
                "$memtuned" --once --proc-root "$tree" >/dev/null 2>&1 || continue
                cp -r "$tree" "$tmp/proc"
                tree=$tmp/proc
        fi
        start_daemon "$tree" --metrics-dir "$tmp/metrics" ||
                { echo "FAIL - $name: daemon starts"; fail=1; stop_daemon; continue; }
        check "$name: memtuned.prom written" wait_for 5 test -s "$tmp/metrics/memtuned.prom"
        check "$name: promtool check metrics" sh -c "promtool check metrics <'$tmp/metrics/memtuned.prom'"
        check "$name: mode 0644 (node_exporter reads it as another user)" \
                test "$(stat -c %a "$tmp/metrics/memtuned.prom")" = 644
        check "$name: no temporary file left" test ! -e "$tmp/metrics/memtuned.prom.tmp"
        check "$name: at most 60 series" \
                test "$(grep -vc '^#' "$tmp/metrics/memtuned.prom")" -le 60
        check "$name: the policy's digest is sha256sum's" grep -q \
                "^memtuned_policy_info{policy=\"default\",mode=\"observe\",digest=\"$(cat "$tmp/policy/50-default.conf" |
                sha256sum | cut -c1-16)\"} 1\$" "$tmp/metrics/memtuned.prom"
        stop_daemon
done

# ---- bad configuration -----------------------------------------------------------
rm -rf "$tmp/proc" "$tmp/state"
cp -r "$top_srcdir/tests/data/host-6.18/proc" "$tmp/proc"

"$memtuned" --metrics-dir metrics --bus none >"$tmp/out" 2>&1
rc=$?
check "a relative --metrics-dir: usage error (exit $rc)" test $rc -eq 2
check "a relative --metrics-dir: the message" grep -qxF \
        "Invalid --metrics-dir 'metrics': expected an absolute path such as /var/lib/prometheus/node-exporter." "$tmp/out"
"$memtuned" --check --metrics-dir /tmp "$tmp/policy" >"$tmp/out" 2>&1
rc=$?
check "--metrics-dir with --check: usage error (exit $rc)" test $rc -eq 2
check "--metrics-dir with --check: the message" grep -qxF -- \
        "--metrics-dir cannot be combined with --check." "$tmp/out"

bad_dir() { # description, path, expected cause
        start_daemon "$tmp/proc" --metrics-dir "$2" ||
                { echo "FAIL - $1: daemon starts"; fail=1; return; }
        check "$1: one warning" wait_for 5 logged "Cannot write metrics to '$2/memtuned.prom': $3"
        sleep 1.2
        check "$1: only one" test "$(count_logged "Cannot write metrics")" -eq 1
        check "$1: memtuned runs on" kill -0 "$pid"
        stop_daemon
}
bad_dir "a directory that does not exist" "$tmp/nonexistent" "it does not exist (No such file or directory)"
mkdir -p "$tmp/elsewhere"
ln -s "$tmp/elsewhere" "$tmp/link"
bad_dir "a symlink to another directory" "$tmp/link" \
        "it is a symbolic link; give the directory it points to (Too many levels of symbolic links)"
check "nothing written through the symlink" test ! -e "$tmp/elsewhere/memtuned.prom"
: >"$tmp/file"
bad_dir "a file" "$tmp/file" "it is not a directory (Not a directory)"
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
        # Read-only as under the unit without ReadWritePaths=: a bind mount,
        # in a mount namespace of the daemon's own.
        mkdir -p "$tmp/ro"
        memtuned_real=$memtuned
        memtuned=$tmp/memtuned-ro
        printf '#!/bin/sh\nmount --bind "%s" "%s" && mount -o remount,bind,ro "%s" && exec "%s" "$@"\n' \
                "$tmp/ro" "$tmp/ro" "$tmp/ro" "$memtuned_real" >"$memtuned"
        chmod +x "$memtuned"
        memtuned="unshare -m --propagation private $memtuned"
        # shellcheck disable=SC2086 # the command line above, split on purpose
        start_daemon_ro() { : >"$tmp/log"; $memtuned --proc-root "$tmp/proc" --policy-dir "$tmp/policy" \
                --state-dir "$tmp/state" --bus none --observe --metrics-dir "$tmp/ro" >>"$tmp/log" 2>&1 & pid=$!; }
        start_daemon_ro
        check "a read-only directory: one warning" wait_for 5 logged \
                "Cannot write metrics to '$tmp/ro/memtuned.prom': it is read-only here (memtuned.service needs it in ReadWritePaths=) (Read-only file system)"
        check "a read-only directory: memtuned runs on" kill -0 "$pid"
        stop_daemon
        memtuned=$memtuned_real
else
        echo "# skipped: a read-only directory (needs root for a mount namespace)"
fi

echo "# $passed checks passed"
exit $fail
