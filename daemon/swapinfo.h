/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The swap in use and its class. Since Linux 5.8 the kernel balances anon
 * against file reclaim by what refaults cost, and vm.swappiness (0-200) is
 * the relative I/O cost of swapping against re-reading the page cache
 * (Documentation/admin-guide/sysctl/vm.rst): 100 means equal, 133 swap twice
 * as cheap. What that cost is depends on where swap goes, so memtuned
 * classifies it: compressed in RAM (zram), compressed in RAM in front of a
 * device (zswap), a solid-state device, a rotating disk. */

typedef enum SwapClass {
        SWAP_CLASS_NONE,    /* no swap in use */
        SWAP_CLASS_ZRAM,    /* the first device is /dev/zramN */
        SWAP_CLASS_ZSWAP,   /* zswap enabled in front of a device or file */
        SWAP_CLASS_SSD,     /* the device (or the file's) is not rotational */
        SWAP_CLASS_DISK,    /* rotational */
        SWAP_CLASS_UNKNOWN, /* a device /sys does not describe (a file on a stacked filesystem) */
        _SWAP_CLASS_MAX,
} SwapClass;

/* "none", "zram", "zswap", "ssd", "disk", "unknown"; NULL when out of range.
 * from_string: the class or -EINVAL. */
const char *swap_class_to_string(SwapClass c);
int swap_class_from_string(const char *s);

/* The kernel allows MAX_SWAPFILES (at most 32 less what migration entries
 * take); /proc/swaps lists each with its escaped path (space as \040). */
#define SWAPS_MAX 32
#define SWAP_PATH_MAX 256

typedef struct SwapDevice {
        char path[SWAP_PATH_MAX]; /* as /proc/swaps shows it, escapes kept */
        bool is_file;             /* "file"; else "partition" (any block device) */
        uint64_t size_kb, used_kb;
        int64_t priority;
} SwapDevice;

/* Parses /proc/swaps (len bytes at buf): the header line "Filename ... Type
 * ... Priority", then per device its path, "partition" or "file", size and
 * used in kB, and the priority. Fills devs[SWAPS_MAX] and *ret_n. Returns 0;
 * -EINVAL for a missing header, a line with other fields or a NUL byte;
 * -ERANGE past 64 bits or a priority beyond int32; -E2BIG for more than
 * SWAPS_MAX devices. ret_n and devs are written only on success. */
int swaps_parse(const char *buf, size_t len, SwapDevice devs[], size_t *ret_n);

/* The swap in use, classified. */
typedef struct SwapState {
        SwapClass class;
        uint32_t n_devices;
        bool zswap;                 /* /sys/module/zswap/parameters/enabled is Y */
        char device[SWAP_PATH_MAX]; /* the device the kernel fills first (highest priority), "" for none */
        char detail[400]; /* how the class was found: "rotational 1 (/sys/block/vda/queue/rotational)" */
} SwapState;

/* Classifies the device the kernel swaps to first (the highest priority; the
 * first listed among equals) below sys_dirfd (-1: no /sys, the class is
 * unknown unless zram), zswap given by the caller. A partition's class is its
 * disk's block/DISK/queue/rotational; a file's that of the device its
 * filesystem is on (stat(), /sys/dev/block/MAJ:MIN). Never fails: what
 * cannot be found out is SWAP_CLASS_UNKNOWN, with the reason in detail. */
void swap_classify(int sys_dirfd, const SwapDevice devs[], size_t n, bool zswap, SwapState *ret);
