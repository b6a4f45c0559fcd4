/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

#include "macro.h"

/* The time on a clock in microseconds, memtuned's unit of time everywhere. */
static inline uint64_t clock_usec(clockid_t id) {
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static inline uint64_t now_monotonic(void) {
        return clock_usec(CLOCK_MONOTONIC);
}
