/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/zoneinfo: per node and zone, free pages against the watermarks. */

/* A node lists 5 zones (DMA, DMA32, Normal, Movable, Device), most of them
 * empty: a 64-node server (or one whose CXL memory expanders add nodes) lists
 * 320, of which about 66 hold memory. The table keeps 256; when a host lists
 * more, empty zones (no present or managed pages: nothing to watch, nothing
 * the engine counts) make room first, and populated zones past 256 (more
 * than 250 populated nodes) are skipped and counted, never an error. A fixed
 * table keeps samples plain values that the sampling path never allocates. */
#define ZONEINFO_ZONES_MAX 256
#define ZONE_NAME_MAX 16
#define ZONE_PROTECTION_MAX 8

typedef struct Zone {
        uint32_t node;
        char name[ZONE_NAME_MAX];
        uint64_t free, boost, min, low, high, spanned, present, managed;
        uint64_t protection[ZONE_PROTECTION_MAX];
        uint32_t n_protection;
} Zone;

typedef struct ZoneInfo {
        uint32_t n_nodes;         /* distinct nodes listed, skipped zones' too */
        uint32_t n_zones_dropped; /* empty zones left out to make room */
        uint32_t n_zones_skipped; /* populated zones that did not fit: the caller warns */
        size_t n_zones;
        Zone zones[ZONEINFO_ZONES_MAX];
} ZoneInfo;

/* Parses the text of /proc/zoneinfo. Per-node stats and per-CPU pagesets are
 * skipped. Returns 0; -EINVAL for malformed or repeated keys, a zone header
 * that cannot be read, or watermarks out of order (min <= low <= high);
 * -ERANGE past 64 bits; -E2BIG for more than ZONE_PROTECTION_MAX
 * protection values; -ENODATA when no zone is listed (or more than the
 * table holds, none with memory) or a zone lacks free, min, low, high,
 * present or managed. More than ZONEINFO_ZONES_MAX zones are not an error
 * (see above: n_zones_dropped, n_zones_skipped). *ret is written only on
 * success. */
int zoneinfo_parse(const char *buf, size_t len, ZoneInfo *ret);

/* Bytes of a ZoneInfo that hold data (for copying only the used part). */
size_t zoneinfo_size(const ZoneInfo *z);
