#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/systemd/memtuned.catalog: journalctl builds its database from it in
# a temporary root (--root: never the machine's /var), lists the decision
# record's MESSAGE_ID (daemon/decisionlog.h's) and the OOM incident's
# (daemon/incident.h's), and every @FIELD@ an entry uses is a field that its
# writer (daemon/decisionlog.c, daemon/manager-incidents.c) sends. Skips (77)
# without journalctl.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

need_command journalctl systemd
make_tmp
catalog=$top_srcdir/contrib/systemd/memtuned.catalog
id=$(sed -n 's/^#define MEMTUNED_DECISION_MESSAGE_ID "\([0-9a-f]*\)"$/\1/p' "$top_srcdir/daemon/decisionlog.h")
incident_id=$(sed -n 's/^#define MEMTUNED_INCIDENT_MESSAGE_ID "\([0-9a-f]*\)"$/\1/p' "$top_srcdir/daemon/incident.h")

mkdir -p "$tmp/usr/lib/systemd/catalog"
cp "$catalog" "$tmp/usr/lib/systemd/catalog/"
check "journalctl --update-catalog accepts it" journalctl --root="$tmp" --update-catalog
check "the database is in the temporary root" test -s "$tmp/var/lib/systemd/catalog/database"
check "the decision record's MESSAGE_ID $id is listed" sh -c \
        "journalctl --root='$tmp' --list-catalog | grep -q '^$id memtuned: '"
check "its entry has the text" sh -c \
        "journalctl --root='$tmp' --dump-catalog '$id' | grep -q 'What an administrator can do'"
check "the OOM incident's MESSAGE_ID $incident_id is listed" sh -c \
        "journalctl --root='$tmp' --list-catalog | grep -q '^$incident_id memtuned: '"
check "its entry has the text" sh -c \
        "journalctl --root='$tmp' --dump-catalog '$incident_id' | grep -q 'points = rss + swap + page_tables'"
# Each entry's fields, from its own text (up to the next entry or the end).
entry() { awk -v id="$1" '/^-- / { on = ($2 == id) } on' "$catalog"; }
for f in $(entry "$id" | grep -o '@[A-Z_]*@' | sort -u | tr -d @); do
        check "$f is a field of the decision record" grep -q "\"$f=" "$top_srcdir/daemon/decisionlog.c"
done
for f in $(entry "$incident_id" | grep -o '@[A-Z_]*@' | sort -u | tr -d @); do
        check "$f is a field of the incident record" grep -q "\"$f=" "$top_srcdir/daemon/manager-incidents.c"
done
echo "# $passed checks passed"
exit $fail
