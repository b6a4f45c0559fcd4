/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "meminfo.h"
#include "parse.h"

static const struct {
        const char *name;
        uint8_t len;
        bool kb; /* the kernel prints " kB" after the number */
        /* clang-format off: one entry per line */
} fields[_MEMINFO_FIELD_MAX] = {
        [MEMINFO_MEM_TOTAL] = { "MemTotal", 8, true },
        [MEMINFO_MEM_FREE] = { "MemFree", 7, true },
        [MEMINFO_MEM_AVAILABLE] = { "MemAvailable", 12, true },
        [MEMINFO_BUFFERS] = { "Buffers", 7, true },
        [MEMINFO_CACHED] = { "Cached", 6, true },
        [MEMINFO_SWAP_CACHED] = { "SwapCached", 10, true },
        [MEMINFO_ACTIVE_ANON] = { "Active(anon)", 12, true },
        [MEMINFO_INACTIVE_ANON] = { "Inactive(anon)", 14, true },
        [MEMINFO_ACTIVE_FILE] = { "Active(file)", 12, true },
        [MEMINFO_INACTIVE_FILE] = { "Inactive(file)", 14, true },
        [MEMINFO_UNEVICTABLE] = { "Unevictable", 11, true },
        [MEMINFO_MLOCKED] = { "Mlocked", 7, true },
        [MEMINFO_SWAP_TOTAL] = { "SwapTotal", 9, true },
        [MEMINFO_SWAP_FREE] = { "SwapFree", 8, true },
        [MEMINFO_DIRTY] = { "Dirty", 5, true },
        [MEMINFO_WRITEBACK] = { "Writeback", 9, true },
        [MEMINFO_ANON_PAGES] = { "AnonPages", 9, true },
        [MEMINFO_MAPPED] = { "Mapped", 6, true },
        [MEMINFO_SHMEM] = { "Shmem", 5, true },
        [MEMINFO_SLAB_RECLAIMABLE] = { "SReclaimable", 12, true },
        [MEMINFO_SLAB_UNRECLAIMABLE] = { "SUnreclaim", 10, true },
        [MEMINFO_PAGE_TABLES] = { "PageTables", 10, true },
        [MEMINFO_COMMIT_LIMIT] = { "CommitLimit", 11, true },
        [MEMINFO_COMMITTED_AS] = { "Committed_AS", 12, true },
        [MEMINFO_HUGEPAGES_TOTAL] = { "HugePages_Total", 15, false },
        [MEMINFO_HUGEPAGE_SIZE] = { "Hugepagesize", 12, true },
};
/* clang-format on */

#define BIT(f) (UINT32_C(1) << (f))
#define REQUIRED_FIELDS                                                                \
        (BIT(MEMINFO_MEM_TOTAL) | BIT(MEMINFO_MEM_FREE) | BIT(MEMINFO_MEM_AVAILABLE) | \
         BIT(MEMINFO_CACHED) | BIT(MEMINFO_SWAP_TOTAL) | BIT(MEMINFO_SWAP_FREE))

const char *meminfo_field_name(MemInfoField f) {
        return f < _MEMINFO_FIELD_MAX ? fields[f].name : NULL;
}

int meminfo_parse(const char *buf, size_t len, MemInfo *ret) {
        const char *end = buf + len;
        MemInfo m = {};

        for (const char *p = buf, *eol; p < end; p = eol < end ? eol + 1 : end) {
                const char *colon, *q;
                uint64_t value;
                size_t n;
                int r;

                eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                if (eol == p)
                        continue;
                colon = memchr(p, ':', (size_t) (eol - p));
                if (!colon || colon == p)
                        return -EINVAL;
                n = (size_t) (colon - p);

                /* Every line must be "Key: <number>[ kB]", known or not. */
                q = skip_blanks(colon + 1, eol);
                r = parse_u64(q, eol, &q, &value);
                if (r < 0)
                        return r;
                bool kb = false;
                if (eol - q == 3 && memcmp(q, " kB", 3) == 0)
                        kb = true;
                else if (q != eol)
                        return -EINVAL;

                for (size_t f = 0; f < _MEMINFO_FIELD_MAX; f++) {
                        if (fields[f].len != n || fields[f].name[0] != p[0] ||
                            memcmp(fields[f].name, p, n) != 0)
                                continue;
                        if ((m.present & BIT(f)) || kb != fields[f].kb)
                                return -EINVAL;
                        m.field[f] = value;
                        m.present |= BIT(f);
                        break;
                }
        }

        if ((m.present & REQUIRED_FIELDS) != REQUIRED_FIELDS)
                return -ENODATA;
        if (m.field[MEMINFO_MEM_FREE] > m.field[MEMINFO_MEM_TOTAL] ||
            m.field[MEMINFO_MEM_AVAILABLE] > m.field[MEMINFO_MEM_TOTAL] ||
            m.field[MEMINFO_SWAP_FREE] > m.field[MEMINFO_SWAP_TOTAL])
                return -EINVAL;

        *ret = m;
        return 0;
}
