#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds numa64/proc/zoneinfo from debian12-numa2's: node 0 as captured,
# then node 1's five zones (DMA32 populated, the others empty) repeated for
# nodes 1..63 with the node number changed. 320 zones, 66 of them populated:
# the shape of a 64-node server (or one whose CXL expanders add nodes), past
# the 256-zone table. The other files are debian12-numa2's. Run from
# tests/data: sh numa64/make-zoneinfo.sh
set -eu
src=debian12-numa2/proc/zoneinfo
out=numa64/proc/zoneinfo
awk '/^Node 1,/ { exit } { print }' "$src" >"$out"
for n in $(seq 1 63); do
        awk -v n="$n" '/^Node 1,/ { on = 1; sub(/^Node 1,/, "Node " n ",") } on { print }' "$src" >>"$out"
done
