/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/pressure/memory (pressure stall information). */

typedef struct PsiLine {
        uint32_t avg10, avg60, avg300; /* percent in hundredths: 1234 = 12.34% */
        uint64_t total;                /* cumulative stall time, usec */
} PsiLine;

typedef struct Psi {
        bool available; /* false: the kernel has no PSI (file missing, or psi=0) */
        bool has_full;
        PsiLine some, full;
} Psi;

/* Parses the text of a pressure file: a "some" line and, optionally, a "full"
 * line, each "avg10=A avg60=B avg300=C total=T". Returns 0; -EINVAL for a
 * malformed, repeated or unknown line or an average above 100%; -ERANGE past 64
 * bits; -ENODATA without a "some" line. Sets available. */
int psi_parse(const char *buf, size_t len, Psi *ret);

/* Registers a PSI trigger: opens pressure/memory below proc_dirfd read-write,
 * writes "<some|full> <stall_usec> <window_usec>". Returns the fd to poll for
 * POLLPRI, or -errno (-EINVAL from the kernel for a window it refuses,
 * -EOPNOTSUPP when the file is not the kernel's, e.g. a captured tree). */
int psi_trigger_open(int proc_dirfd, bool full, uint64_t stall_usec, uint64_t window_usec);
