/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/vmstat: every counter by name, and the ones the engine uses in fields.
 * Plain values, no heap: a VmStat can be copied and kept. */

typedef enum VmStatField {
        VMSTAT_PGSCAN_KSWAPD,
        VMSTAT_PGSCAN_DIRECT,
        VMSTAT_PGSTEAL_KSWAPD,
        VMSTAT_PGSTEAL_DIRECT,
        VMSTAT_ALLOCSTALL, /* sum of allocstall_* (or the pre-4.8 "allocstall") */
        VMSTAT_PSWPIN,
        VMSTAT_PSWPOUT,
        VMSTAT_WORKINGSET_REFAULT_ANON,
        VMSTAT_WORKINGSET_REFAULT_FILE,
        VMSTAT_OOM_KILL,
        VMSTAT_ZONE_RECLAIM_FAILED,
        VMSTAT_KSWAPD_LOW_WMARK_HIT_QUICKLY,
        VMSTAT_KSWAPD_HIGH_WMARK_HIT_QUICKLY,
        VMSTAT_COMPACT_STALL,
        VMSTAT_PGALLOC, /* sum of pgalloc_*: pages allocated, the engine's measure of work done */
        _VMSTAT_FIELD_MAX,
} VmStatField;

/* 6.18 reports 192 counters; 512 leaves room for kernels to come. */
#define VMSTAT_COUNTERS_MAX 512
#define VMSTAT_NAME_MAX 48

typedef struct VmStatCounter {
        char name[VMSTAT_NAME_MAX];
        uint64_t value;
} VmStatCounter;

typedef struct VmStat {
        uint64_t field[_VMSTAT_FIELD_MAX];
        uint32_t present; /* bit (1 << VmStatField) set when this kernel reports it */
        size_t n_counters;
        VmStatCounter counters[VMSTAT_COUNTERS_MAX];
} VmStat;

/* Parses the text of /proc/vmstat (len bytes at buf, need not be NUL
 * terminated). Unknown counters are kept by name; a name too long to keep is
 * skipped. Returns 0, -EINVAL on malformed or duplicated lines, -ERANGE for a
 * number past 64 bits, -E2BIG for more than VMSTAT_COUNTERS_MAX counters,
 * -ENODATA when a required counter (pgscan_kswapd, pgscan_direct,
 * pgsteal_kswapd, pgsteal_direct) is missing. *ret is written only on success. */
int vmstat_parse(const char *buf, size_t len, VmStat *ret);

static inline bool vmstat_has(const VmStat *v, VmStatField f) {
        return v->present & (UINT32_C(1) << f);
}

/* Looks a counter up by its kernel name. Returns 0 or -ENOENT. */
int vmstat_get(const VmStat *v, const char *name, uint64_t *ret);

/* The kernel name of a field ("allocstall" for the sum). */
const char *vmstat_field_name(VmStatField f);
