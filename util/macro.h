/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers in the style of systemd's macro.h: scoped cleanup and
 * ownership transfer. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _const_ __attribute__((const))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))

#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_INFINITY UINT64_MAX

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

/* Returns the pointer and leaves NULL behind, so cleanup does nothing. */
#define TAKE_PTR(p)                     \
        ({                              \
                __typeof__(p) _p = (p); \
                (p) = NULL;             \
                _p;                     \
        })

/* Returns the fd and leaves -1 behind. */
#define TAKE_FD(fd)             \
        ({                      \
                int _fd = (fd); \
                (fd) = -1;      \
                _fd;            \
        })

/* Closes fd if it is valid and returns -1, for "fd = safe_close(fd);". */
static inline int safe_close(int fd) {
        if (fd >= 0)
                close(fd);
        return -1;
}

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        *p = func(*p);          \
        }

static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* Rounding for non-negative doubles below 2^63, which is all memtuned
 * rounds. It needs nothing else from libm, and linking libm only for ceil()
 * and llround() cost 328 kB of resident memory (its pages mapped at load),
 * against a 4 MiB target for the whole daemon (BENCHMARKS.md). */
static inline double pos_floor(double x) {
        return (double) (uint64_t) x;
}

static inline double pos_ceil(double x) {
        double t = (double) (uint64_t) x;

        return t < x ? t + 1 : t;
}

/* Half away from zero, as llround(). x - trunc(x) is exact below 2^52. */
static inline uint64_t pos_round(double x) {
        uint64_t t = (uint64_t) x;

        return x - (double) t >= 0.5 ? t + 1 : t;
}
