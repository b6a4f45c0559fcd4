/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "parse.h"
#include "vmstat.h"

/* clang-format off: one entry per line */
static const char *const field_names[_VMSTAT_FIELD_MAX] = {
        [VMSTAT_PGSCAN_KSWAPD] = "pgscan_kswapd",
        [VMSTAT_PGSCAN_DIRECT] = "pgscan_direct",
        [VMSTAT_PGSTEAL_KSWAPD] = "pgsteal_kswapd",
        [VMSTAT_PGSTEAL_DIRECT] = "pgsteal_direct",
        [VMSTAT_ALLOCSTALL] = "allocstall",
        [VMSTAT_PSWPIN] = "pswpin",
        [VMSTAT_PSWPOUT] = "pswpout",
        [VMSTAT_WORKINGSET_REFAULT_ANON] = "workingset_refault_anon",
        [VMSTAT_WORKINGSET_REFAULT_FILE] = "workingset_refault_file",
        [VMSTAT_OOM_KILL] = "oom_kill",
        [VMSTAT_ZONE_RECLAIM_FAILED] = "zone_reclaim_failed",
        [VMSTAT_KSWAPD_LOW_WMARK_HIT_QUICKLY] = "kswapd_low_wmark_hit_quickly",
        [VMSTAT_KSWAPD_HIGH_WMARK_HIT_QUICKLY] = "kswapd_high_wmark_hit_quickly",
        [VMSTAT_COMPACT_STALL] = "compact_stall",
        [VMSTAT_PGALLOC] = "pgalloc",
};
/* clang-format on */

#define REQUIRED_FIELDS                                                                  \
        ((UINT32_C(1) << VMSTAT_PGSCAN_KSWAPD) | (UINT32_C(1) << VMSTAT_PGSCAN_DIRECT) | \
         (UINT32_C(1) << VMSTAT_PGSTEAL_KSWAPD) | (UINT32_C(1) << VMSTAT_PGSTEAL_DIRECT))

const char *vmstat_field_name(VmStatField f) {
        return f < _VMSTAT_FIELD_MAX ? field_names[f] : NULL;
}

/* The names' lengths, known at compile time: comparing lengths and first
 * bytes first keeps the lookup off memcmp() for almost every line. */
#define L(s) (sizeof(s) - 1)
/* clang-format off: one entry per line */
static const uint8_t field_name_len[_VMSTAT_FIELD_MAX] = {
        [VMSTAT_PGSCAN_KSWAPD] = L("pgscan_kswapd"),
        [VMSTAT_PGSCAN_DIRECT] = L("pgscan_direct"),
        [VMSTAT_PGSTEAL_KSWAPD] = L("pgsteal_kswapd"),
        [VMSTAT_PGSTEAL_DIRECT] = L("pgsteal_direct"),
        [VMSTAT_ALLOCSTALL] = L("allocstall"),
        [VMSTAT_PSWPIN] = L("pswpin"),
        [VMSTAT_PSWPOUT] = L("pswpout"),
        [VMSTAT_WORKINGSET_REFAULT_ANON] = L("workingset_refault_anon"),
        [VMSTAT_WORKINGSET_REFAULT_FILE] = L("workingset_refault_file"),
        [VMSTAT_OOM_KILL] = L("oom_kill"),
        [VMSTAT_ZONE_RECLAIM_FAILED] = L("zone_reclaim_failed"),
        [VMSTAT_KSWAPD_LOW_WMARK_HIT_QUICKLY] = L("kswapd_low_wmark_hit_quickly"),
        [VMSTAT_KSWAPD_HIGH_WMARK_HIT_QUICKLY] = L("kswapd_high_wmark_hit_quickly"),
        [VMSTAT_COMPACT_STALL] = L("compact_stall"),
        [VMSTAT_PGALLOC] = L("pgalloc"),
};
/* clang-format on */
#undef L

/* Fields the kernel counts per zone (allocstall_movable, pgalloc_dma32...)
 * and memtuned sums. */
static bool summed(int f) {
        return f == VMSTAT_ALLOCSTALL || f == VMSTAT_PGALLOC;
}

/* Maps a counter name to a field; allocstall_<zone> counts into
 * VMSTAT_ALLOCSTALL, pgalloc_<zone> into VMSTAT_PGALLOC. */
static int field_lookup(const char *name, size_t n) {
        if (n > 11 && memcmp(name, "allocstall_", 11) == 0)
                return VMSTAT_ALLOCSTALL;
        if (n > 8 && memcmp(name, "pgalloc_", 8) == 0)
                return VMSTAT_PGALLOC;

        for (size_t i = 0; i < _VMSTAT_FIELD_MAX; i++)
                if (field_name_len[i] == n && field_names[i][0] == name[0] &&
                    memcmp(field_names[i], name, n) == 0)
                        return (int) i;
        return -1;
}

/* The per-zone counters seen so far (indexes into counters[]): a repeated
 * one would be summed twice. Two families of at most 8 zones each. */
#define SUMMED_ZONES_MAX 16

/* The bytes of a counter name: [A-Za-z0-9_-]. */
static const bool name_char[256] = {
        ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true, ['_'] = true, ['-'] = true,
};

int vmstat_parse(const char *buf, size_t len, VmStat *ret) {
        /* Static: VmStat is ~30 KiB, too large for a daemon's stack frame to
         * carry twice; parsing is single-threaded. The result is copied out
         * only on success. */
        static VmStat v;
        const char *end = buf + len;
        size_t summed_idx[SUMMED_ZONES_MAX], n_summed = 0;

        memset(&v, 0, offsetof(VmStat, counters));

        for (const char *p = buf, *q; p < end; p = q < end ? q + 1 : end) {
                const char *name = p;
                uint64_t value;
                size_t n;
                int r, f;

                while (p < end && name_char[(unsigned char) *p])
                        p++;
                n = (size_t) (p - name);
                if (n == 0) {
                        q = p;
                        if (p < end && *p == '\n') /* a blank line */
                                continue;
                        return -EINVAL;
                }
                if (p >= end || *p != ' ')
                        return -EINVAL;

                r = parse_u64(p + 1, end, &q, &value);
                if (r < 0)
                        return r;
                if (q < end && *q != '\n')
                        return -EINVAL;

                f = field_lookup(name, n);
                if (summed(f)) {
                        for (size_t i = 0; i < n_summed; i++)
                                if (strncmp(v.counters[summed_idx[i]].name, name, n) == 0 &&
                                    v.counters[summed_idx[i]].name[n] == 0)
                                        return -EINVAL;
                        if (n_summed >= SUMMED_ZONES_MAX || n >= VMSTAT_NAME_MAX)
                                return -EINVAL;
                        summed_idx[n_summed++] = v.n_counters;
                } else if (f >= 0 && vmstat_has(&v, (VmStatField) f))
                        /* A repeated name means the text is not one kernel's
                         * vmstat; trusting either copy could be wrong. */
                        return -EINVAL;

                if (n < VMSTAT_NAME_MAX) {
                        if (v.n_counters >= VMSTAT_COUNTERS_MAX)
                                return -E2BIG;
                        memcpy(v.counters[v.n_counters].name, name, n);
                        v.counters[v.n_counters].name[n] = 0;
                        v.counters[v.n_counters].value = value;
                        v.n_counters++;
                }

                if (f < 0)
                        continue;
                if (summed(f)) {
                        /* Summing per-zone counters: saturate rather than wrap. */
                        v.field[f] = v.field[f] > UINT64_MAX - value ? UINT64_MAX : v.field[f] + value;
                } else
                        v.field[f] = value;
                v.present |= UINT32_C(1) << f;
        }

        if ((v.present & REQUIRED_FIELDS) != REQUIRED_FIELDS)
                return -ENODATA;

        memcpy(ret, &v, offsetof(VmStat, counters) + v.n_counters * sizeof(VmStatCounter));
        return 0;
}

int vmstat_get(const VmStat *v, const char *name, uint64_t *ret) {
        for (size_t i = 0; i < v->n_counters; i++)
                if (strcmp(v->counters[i].name, name) == 0) {
                        *ret = v->counters[i].value;
                        return 0;
                }
        return -ENOENT;
}
