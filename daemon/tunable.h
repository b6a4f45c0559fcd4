/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's memory knobs memtuned reads and may manage: the vm sysctls
 * below /proc and the multi-gen LRU's files below /sys. Each is probed (its
 * file opened) at start; one the kernel lacks is never written. */

typedef enum TunableId {
        TUNABLE_MIN_FREE_KBYTES,
        TUNABLE_WATERMARK_SCALE_FACTOR,
        TUNABLE_SWAPPINESS,
        TUNABLE_ZONE_RECLAIM_MODE,
        TUNABLE_WATERMARK_BOOST_FACTOR,
        TUNABLE_LRU_GEN_ENABLED,
        TUNABLE_LRU_GEN_MIN_TTL_MS,
        _TUNABLE_MAX,
        _TUNABLE_MANAGED_MAX = _TUNABLE_MAX,
} TunableId;

/* Which root a knob's file lies below: --proc-root or --sys-root. */
typedef enum TunableRoot {
        TUNABLE_ROOT_PROC,
        TUNABLE_ROOT_SYS,
} TunableRoot;

typedef struct TunableInfo {
        const char *name;    /* "min_free_kbytes": the policy key, the bus and state file name */
        uint64_t kernel_min; /* what the kernel accepts (mm/page_alloc.c, mm/vmscan.c) */
        uint64_t kernel_max;
        bool numa_only;   /* the file exists only on CONFIG_NUMA kernels */
        const char *path; /* "sys/vm/min_free_kbytes": below the root */
        TunableRoot root;
        bool hex;            /* the kernel shows it as "0x0007" (lru_gen/enabled); written in decimal */
        bool fixed_only;     /* no adaptive controller: the policy may fix it or leave it */
        const char *display; /* "vm.min_free_kbytes", "/sys/kernel/mm/lru_gen/enabled": in messages */
        const char *absent;  /* why a kernel lacks the file, for the knob's "unsupported" state */
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

/* Parses id's file text as the kernel shows it: tunable_parse(), or for a hex
 * knob "0x" and 1-16 hex digits, optionally one newline, nothing else.
 * Returns 0, -EINVAL or -ERANGE. */
int tunable_parse_value(TunableId id, const char *buf, size_t len, uint64_t *ret);

/* The directory fd id's file lies below: proc_dirfd or sys_dirfd (which may
 * be -1: no /sys). */
static inline int tunable_root_fd(TunableId id, int proc_dirfd, int sys_dirfd) {
        return tunable_info(id)->root == TUNABLE_ROOT_SYS ? sys_dirfd : proc_dirfd;
}

/* Reads id's file below its root (proc_dirfd or sys_dirfd) into value.
 * Returns 0, -ENOENT when the file (or the root, -1) does not exist, -EINVAL
 * for text that is not a number, or -errno. */
int tunable_read(int proc_dirfd, int sys_dirfd, TunableId id, uint64_t *ret);
