/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "schedslice.h"

/* Debian 12's glibc has no sched_setattr() and its headers no struct
 * sched_attr outside <linux/sched/types.h>, which clashes with <sched.h>:
 * the first 48 bytes of the kernel's layout (SCHED_ATTR_SIZE_VER0). */
struct slice_attr {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};

int sched_slice_set(uint64_t nsec) {
        struct slice_attr a = { .size = sizeof(a), .sched_runtime = nsec };
        int policy, nice_value;

        policy = sched_getscheduler(0);
        if (policy < 0)
                return negative_errno();
        if (policy != SCHED_OTHER && policy != SCHED_BATCH)
                return -EINVAL;
        /* sched_setattr() sets the nice value too: pass the current one. */
        errno = 0;
        nice_value = getpriority(PRIO_PROCESS, 0);
        if (nice_value == -1 && errno != 0)
                return negative_errno();

        a.sched_policy = (uint32_t) policy;
        a.sched_nice = nice_value;
        if (syscall(SYS_sched_setattr, 0, &a, 0U) < 0)
                return negative_errno();
        return 0;
}
