/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/zoneinfo: per node and zone, free pages against the watermarks. */

/* A node has at most 5 zones (DMA, DMA32, Normal, Movable, Device); 256 zones
 * covers 51 nodes, more than any server we know of. */
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
        uint32_t n_nodes;       /* distinct nodes listed */
        size_t n_zones;
        Zone zones[ZONEINFO_ZONES_MAX];
} ZoneInfo;

/* Parses the text of /proc/zoneinfo. Per-node stats and per-CPU pagesets are
 * skipped. Returns 0; -EINVAL for malformed or repeated keys, a zone header
 * that cannot be read, or watermarks out of order (min <= low <= high);
 * -ERANGE past 64 bits; -E2BIG for more than ZONEINFO_ZONES_MAX zones;
 * -ENODATA when no zone is listed or a zone lacks free, min, low, high,
 * present or managed. *ret is written only on success. */
int zoneinfo_parse(const char *buf, size_t len, ZoneInfo *ret);

/* Bytes of a ZoneInfo that hold data (for copying only the used part). */
size_t zoneinfo_size(const ZoneInfo *z);
