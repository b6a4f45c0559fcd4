/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "parse.h"
#include "procfile.h"
#include "tunable.h"

/* Kernel ranges as of 6.1: min_free_kbytes >= 0 (the kernel also refuses
 * values that starve the system, and we cap far below that in the engine);
 * watermark_scale_factor 1..3000 (1000 before 5.19: the write then fails and is
 * reported); swappiness 0..200; zone_reclaim_mode a 3-bit mask;
 * watermark_boost_factor any non-negative int. */
/* clang-format off: one entry per line */
static const TunableInfo table[_TUNABLE_MAX] = {
        [TUNABLE_MIN_FREE_KBYTES] = { "min_free_kbytes", 0, INT32_MAX, false, "sys/vm/min_free_kbytes" },
        [TUNABLE_WATERMARK_SCALE_FACTOR] = { "watermark_scale_factor", 1, 3000, false,
                                             "sys/vm/watermark_scale_factor" },
        [TUNABLE_SWAPPINESS] = { "swappiness", 0, 200, false, "sys/vm/swappiness" },
        [TUNABLE_ZONE_RECLAIM_MODE] = { "zone_reclaim_mode", 0, 7, true, "sys/vm/zone_reclaim_mode" },
        [TUNABLE_WATERMARK_BOOST_FACTOR] = { "watermark_boost_factor", 0, INT32_MAX, false,
                                             "sys/vm/watermark_boost_factor" },
};
/* clang-format on */

const TunableInfo *tunable_info(TunableId id) {
        return id < _TUNABLE_MAX ? &table[id] : NULL;
}

int tunable_from_name(const char *name) {
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                if (strcmp(table[i].name, name) == 0)
                        return (int) i;
        return -EINVAL;
}

int tunable_parse(const char *buf, size_t len, uint64_t *ret) {
        /* parse_u64_full() stops at a NUL: "30\0garbage" would pass as 30. */
        if (memchr(buf, 0, len))
                return -EINVAL;
        return parse_u64_full(buf, ret);
}

int tunable_read(int proc_dirfd, TunableId id, uint64_t *ret) {
        char buf[32];
        int r;

        r = read_small_file_at(proc_dirfd, table[id].path, buf, sizeof(buf));
        if (r == -EFBIG)
                return -EINVAL;
        if (r < 0)
                return r;
        return tunable_parse(buf, (size_t) r, ret);
}
