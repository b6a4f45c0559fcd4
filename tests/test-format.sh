#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The C files of util/, daemon/, ctl/, tests/ and fuzz/ are as .clang-format makes them
# (clang-format 14, Debian 12's): a change that is not formatted fails here,
# naming the files and the first lines that differ.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
need_command clang-format clang-format
[ -e "$top_srcdir/.clang-format" ] || hard_error "no .clang-format in $top_srcdir"

n=0
for f in "$top_srcdir"/{util,daemon,ctl,tests,fuzz}/*.[ch]; do
        n=$((n + 1))
        out=$(clang-format --style=file:"$top_srcdir/.clang-format" "$f" | diff -u "$f" - | head -n 12)
        if [ -n "$out" ]; then
                fail=1
                echo "not ok - ${f#"$top_srcdir"/} is not formatted (clang-format -i ${f#"$top_srcdir"/}):"
                sed 's/^/#   /' <<<"$out"
        fi
done
[ "$n" -gt 50 ] || hard_error "found only $n C files below $top_srcdir"
[ $fail = 0 ] && echo "ok - $n C files formatted as .clang-format says"
exit $fail
