/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The vm sysctls memtuned reads, and the ones it may manage. */

typedef enum TunableId {
        TUNABLE_MIN_FREE_KBYTES,
        TUNABLE_WATERMARK_SCALE_FACTOR,
        TUNABLE_SWAPPINESS,
        TUNABLE_ZONE_RECLAIM_MODE,
        TUNABLE_WATERMARK_BOOST_FACTOR, /* read and shown, never managed */
        _TUNABLE_MAX,
        _TUNABLE_MANAGED_MAX = TUNABLE_WATERMARK_BOOST_FACTOR,
} TunableId;

typedef struct TunableInfo {
        const char *name;    /* "min_free_kbytes": the policy key and the file under sys/vm/ */
        uint64_t kernel_min; /* what the kernel accepts (mm/page_alloc.c, mm/vmscan.c) */
        uint64_t kernel_max;
        bool numa_only;   /* the file exists only on CONFIG_NUMA kernels */
        const char *path; /* "sys/vm/min_free_kbytes": below the proc root */
} TunableInfo;

/* The kernel computes min_free_kbytes itself with a floor of 128 kB
 * (mm/page_alloc.c, init_per_zone_wmark_min); below that atomic allocations
 * in interrupts start to fail. No input may ask for less: not a policy, not
 * an override, not a value read back from the state directory. */
#define TUNABLE_MIN_FREE_KBYTES_FLOOR 128u

typedef struct Tunables {
        uint64_t value[_TUNABLE_MAX];
        uint32_t present; /* bit (1 << TunableId) when the file exists */
} Tunables;

const TunableInfo *tunable_info(TunableId id);

/* Returns the id for a name, or -EINVAL. */
int tunable_from_name(const char *name);

static inline bool tunables_has(const Tunables *t, TunableId id) {
        return t->present & (UINT32_C(1) << id);
}

/* Parses a sysctl's text (len bytes at buf): decimal digits, optionally one
 * newline, nothing else; a NUL byte anywhere is refused, not taken for the end.
 * Returns 0, -EINVAL or -ERANGE. */
int tunable_parse(const char *buf, size_t len, uint64_t *ret);

/* Reads sys/vm/<name> below proc_dirfd into value. Returns 0, -ENOENT when the
 * file does not exist, -EINVAL for text that is not a number, or -errno. */
int tunable_read(int proc_dirfd, TunableId id, uint64_t *ret);
