/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every benchmark program needs: a nanosecond clock and a comparison
 * for sorting samples into percentiles. */

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

/* qsort() comparison of uint64_t samples, ascending. */
static inline int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}
