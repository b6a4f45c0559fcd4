# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by run.sh, tests/run-all and bench/run. Sourced, not run.

# Debian 12 packages that building memtuned needs.
MEMTUNED_BUILD_DEPS=(make gcc libc6-dev autoconf automake autoconf-archive pkg-config
                     libsystemd-dev libconfig-dev libcap-dev)
# And what the whole test suite needs on top: clang and its sanitizer and
# libFuzzer runtimes (libclang-rt-dev is only a Recommends of clang), python3
# for the tests' JSON checks, dbus and python3-dbusmock (polkit) for the bus
# tests, xz-utils for make dist, the Debian packaging tools for the package
# stage, and util-linux (unshare, setpriv) for the sandbox tests.
MEMTUNED_TEST_DEPS=(clang clang-format libclang-rt-dev python3 dbus python3-dbusmock xz-utils prometheus prometheus-node-exporter
                    dpkg-dev debhelper lintian util-linux)

# Installs the Debian packages given that are not installed yet: apt-get
# update and install run only when something is missing. Returns non-zero if
# it cannot (not root, apt failed).
memtuned_install_deps() {
        local missing=() p

        if ! command -v dpkg-query >/dev/null; then
                echo "Not a Debian system: make sure these (or their equivalents) are installed: $*" >&2
                return 0
        fi
        for p in "$@"; do
                dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0

        if [ "$(id -u)" -ne 0 ]; then
                echo "Missing packages: ${missing[*]}. Run this as root, or: sudo apt-get install ${missing[*]}" >&2
                return 1
        fi
        echo "Installing missing packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq &&
                apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Runs autogen.sh in the source directory $1 unless configure is there and
# newer than configure.ac and Makefile.am (a tarball ships configure).
memtuned_autogen() {
        local src=$1

        if [ -x "$src/configure" ] && [ -e "$src/Makefile.in" ] &&
           [ "$src/configure" -nt "$src/configure.ac" ] && [ "$src/Makefile.in" -nt "$src/Makefile.am" ]; then
                return 0
        fi
        [ -x "$src/autogen.sh" ] || { echo "No configure and no autogen.sh in $src." >&2; return 1; }
        echo "Running autogen.sh in $src"
        local log
        log=$(mktemp) || return 1
        if ! (cd "$src" && ./autogen.sh) >"$log" 2>&1; then
                cat "$log" >&2
                rm -f "$log"
                return 1
        fi
        rm -f "$log"
}

# Prints a source directory that out-of-tree (VPATH) builds can use, after
# making sure it has a configure script. That is the checkout $1 itself,
# unless it was configured in place (automake then refuses VPATH builds): then
# a snapshot of its files (tracked and untracked, not ignored: what
# `git status` would show) made in $2.
memtuned_vpath_source() {
        local root=$1 snap=$2

        if [ ! -e "$root/config.status" ]; then
                memtuned_autogen "$root" >&2 || return 1
                echo "$root"
                return 0
        fi
        if ! git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
                echo "$root is configured in place and is not a git checkout: run 'make distclean' there first." >&2
                return 1
        fi
        echo "$root is configured in place: building from a snapshot of its files in $snap" >&2
        rm -rf "$snap" && mkdir -p "$snap" || return 1
        (cd "$root" && git ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do { [ -e "$f" ] || [ -L "$f" ]; } && printf '%s\0' "$f"; done |
                tar --null -T - -cf -) | tar -xf - -C "$snap" || return 1
        memtuned_autogen "$snap" >&2 || return 1
        echo "$snap"
}
