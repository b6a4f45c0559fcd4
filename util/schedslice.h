/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* memtuned's work per wakeup is short (an exec event takes 15-40 us, a
 * sample about 30 us), but under a burst of execs a woken task waits for a
 * CPU: the scheduler lets the running task finish its slice (1.4 ms on a
 * 2-CPU machine) first, and with that default slice the exec-to-score p99 of
 * a burst of 2,000 was 2.4-5.5 ms, nearly all of it queueing
 * (bench/bench-exec). Since Linux 6.12, a SCHED_OTHER task may ask for a
 * shorter slice (sched_attr's sched_runtime, 0.1-100 ms): its deadline comes
 * sooner, so it preempts on wakeup, while its share of CPU time stays what
 * its nice value gives. With 100 us the same burst's p99 was about 1 ms.
 * Older kernels accept the request and ignore it. */
#define SCHED_SLICE_NSEC (100ULL * 1000)

/* Asks for a slice of nsec for the calling thread, keeping its policy
 * (SCHED_OTHER or SCHED_BATCH; other policies are left alone: -EINVAL) and
 * its nice value. Returns 0 or -errno (-EPERM under a seccomp filter that
 * denies sched_setattr, -ENOSYS before Linux 3.14). */
int sched_slice_set(uint64_t nsec);
