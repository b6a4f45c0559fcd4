/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* /proc/meminfo, the fields memtuned uses, in kB (HugePages_* in pages). */

typedef enum MemInfoField {
        MEMINFO_MEM_TOTAL,
        MEMINFO_MEM_FREE,
        MEMINFO_MEM_AVAILABLE,
        MEMINFO_BUFFERS,
        MEMINFO_CACHED,
        MEMINFO_SWAP_CACHED,
        MEMINFO_ACTIVE_ANON,
        MEMINFO_INACTIVE_ANON,
        MEMINFO_ACTIVE_FILE,
        MEMINFO_INACTIVE_FILE,
        MEMINFO_UNEVICTABLE,
        MEMINFO_MLOCKED,
        MEMINFO_SWAP_TOTAL,
        MEMINFO_SWAP_FREE,
        MEMINFO_DIRTY,
        MEMINFO_WRITEBACK,
        MEMINFO_ANON_PAGES,
        MEMINFO_MAPPED,
        MEMINFO_SHMEM,
        MEMINFO_SLAB_RECLAIMABLE,
        MEMINFO_SLAB_UNRECLAIMABLE,
        MEMINFO_PAGE_TABLES,
        MEMINFO_COMMIT_LIMIT,
        MEMINFO_COMMITTED_AS,
        MEMINFO_HUGEPAGES_TOTAL,
        MEMINFO_HUGEPAGE_SIZE,
        _MEMINFO_FIELD_MAX,
} MemInfoField;

typedef struct MemInfo {
        uint64_t field[_MEMINFO_FIELD_MAX];
        uint32_t present;
} MemInfo;

/* Parses /proc/meminfo text. Keys match whole ("Cached:" never
 * "SwapCached:"); unknown keys are skipped. Returns 0; -EINVAL for a malformed
 * or repeated line, a missing or unexpected "kB" unit, or free above total;
 * -ERANGE past 64 bits; -ENODATA when MemTotal, MemFree, MemAvailable, Cached,
 * SwapTotal or SwapFree is missing. *ret is written only on success. */
int meminfo_parse(const char *buf, size_t len, MemInfo *ret);

/* The kernel's key for a field, without the colon. */
const char *meminfo_field_name(MemInfoField f);
