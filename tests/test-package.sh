#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the Debian package (dpkg-buildpackage -us -uc -b) from a snapshot of
# the checkout, then checks it: the package holds exactly what `make install`
# installs (plus Debian's own documentation files), the unit names
# /usr/sbin/memtuned, the maintainer scripts enable and start
# memtuned.service and purge /etc/memtuned and /run/memtuned, the shared
# libraries become dependencies, and lintian reports no error.
#
# Not part of `make check` (it takes about a minute); CI runs it on its own:
#   tests/test-package.sh
# Exit 0 pass, 1 fail, 77 skip (no dpkg-buildpackage, dh or lintian here),
# 99 hard error. Needs no root (Rules-Requires-Root: no). Writes only below a
# temporary directory; MEMTUNED_PACKAGE_OUT=DIR keeps the .deb files there.
# DEB_BUILD_OPTIONS=nocheck unless MEMTUNED_PACKAGE_CHECK=1: make check has
# its own CI stage.
set -u -o pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

for t in dpkg-buildpackage dh lintian dpkg-deb; do
        command -v $t >/dev/null || skip "$t not installed (apt-get install dpkg-dev debhelper lintian)"
done
[ -d "$top_srcdir/debian" ] || hard_error "no debian/ directory in $top_srcdir"

make_tmp
version=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
upstream=${version%-*}
src=$tmp/memtuned-$upstream
mkdir -p "$src"

# The snapshot: what git would commit (tracked and untracked, not ignored),
# so that an in-place configured checkout's build products stay out.
if git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
                tar --null -T - -cf -) | tar -xf - -C "$src" || hard_error "snapshot failed"
else
        cp -a "$top_srcdir/." "$src/" || hard_error "copy failed"
fi

echo "# building memtuned $version in $src"
opts=nocheck
[ "${MEMTUNED_PACKAGE_CHECK:-0}" = 1 ] && opts=
if ! (cd "$src" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
        tail -n 60 "$tmp/build.log"
        echo "FAIL - dpkg-buildpackage -us -uc -b"
        exit 1
fi
echo "ok - dpkg-buildpackage -us -uc -b"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$tmp/memtuned_${version}_${arch}.deb
changes=$tmp/memtuned_${version}_${arch}.changes
check "the package memtuned_${version}_${arch}.deb exists" test -f "$deb"
[ -f "$deb" ] || exit 1
if [ -n "${MEMTUNED_PACKAGE_OUT:-}" ]; then
        mkdir -p "$MEMTUNED_PACKAGE_OUT" && cp "$tmp"/*.deb "$MEMTUNED_PACKAGE_OUT/"
fi

# Contents: files (not directories), without the leading ".".
dpkg-deb --fsys-tarfile "$deb" | tar -tvf - | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||' | sort >"$tmp/files"
echo "# files in the package:"
sed 's/^/#   /' "$tmp/files"

# What make install installs, in the tree dpkg-buildpackage configured.
make -C "$src" install DESTDIR="$tmp/inst" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 99; }
(cd "$tmp/inst" && find . ! -type d | sed 's|^\.||' | sort) >"$tmp/installed"
# dh_compress gzips the man pages and larger documentation; debhelper adds
# the copyright file, the Debian changelog and README.Debian.
sed -E 's/\.gz$//' "$tmp/files" | grep -vE '^/usr/share/doc/memtuned/(copyright|changelog\.Debian|README\.Debian)$' |
        sort >"$tmp/files-normalised"
check "the package holds exactly what make install installs" \
        diff -u "$tmp/installed" "$tmp/files-normalised"
for f in /usr/sbin/memtuned /lib/systemd/system/memtuned.service \
        /lib/systemd/system/memtuned-procevents.socket /usr/lib/memtuned/policies.d/50-default.conf \
        /usr/share/man/man8/memtuned.8.gz /usr/share/doc/memtuned/copyright; do
        check "the package has $f" grep -qx "$f" "$tmp/files"
done
check "no file below /etc/memtuned but the policies.d directory" \
        test -z "$(grep '^/etc/' "$tmp/files")"

mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x/root"
dpkg-deb -e "$deb" "$tmp/x/DEBIAN"
# $MEMTUNED_OPTIONS comes from /etc/default/memtuned (e.g. --metrics-dir).
check "the installed unit runs /usr/sbin/memtuned" \
        grep -qx 'ExecStart=/usr/sbin/memtuned $MEMTUNED_OPTIONS' "$tmp/x/root/lib/systemd/system/memtuned.service"
check "/etc/memtuned/policies.d/ is shipped, empty, for the administrators' files" \
        test -d "$tmp/x/root/etc/memtuned/policies.d"
check "postinst enables memtuned.service" \
        grep -q 'deb-systemd-helper .*enable.* memtuned.service\|deb-systemd-helper unmask .memtuned.service' "$tmp/x/DEBIAN/postinst"
check "postinst starts (or restarts on upgrade) memtuned.service" \
        grep -qE "deb-systemd-invoke (\\\$_dh_action|start|restart).*memtuned.service" "$tmp/x/DEBIAN/postinst"
check "postrm purge removes /etc/memtuned and /run/memtuned" \
        grep -q 'rm -rf /etc/memtuned /run/memtuned' "$tmp/x/DEBIAN/postrm"
check "postrm purge disables the unit" grep -q 'deb-systemd-helper purge' "$tmp/x/DEBIAN/postrm"
check "no conffile: nothing of the administrators' is the package's" test ! -s "$tmp/x/DEBIAN/conffiles"
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
for lib in libc6 libsystemd0 libconfig9 libcap2; do
        check "Depends has $lib (shlibs)" grep -q "$lib" <<<"$depends"
done
check "Depends has a system bus" grep -q 'default-dbus-system-bus | dbus-system-bus' <<<"$depends"

# lintian: errors fail, the rest is shown.
lintian --fail-on error --display-info "$changes" >"$tmp/lintian.log" 2>&1
rc=$?
sed 's/^/# lintian: /' "$tmp/lintian.log"
check "lintian reports no error" test $rc -eq 0

exit $fail
