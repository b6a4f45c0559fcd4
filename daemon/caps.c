/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sys/capability.h>

#include "caps.h"
#include "log.h"
#include "macro.h"
#include "schedslice.h"
#include "units.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

/* What the daemon keeps. Measured on 6.18 (the development machine) and
 * 6.1.0-56 (Debian 12, QEMU guest) by probing each feature as root with
 * `setpriv --bounding-set=-all` plus one capability at a time; the table in
 * systemd/memtuned.service.in has the results. Nothing else is needed: the
 * vm sysctls, /proc and /sys reads, the PSI trigger (2 s window), the state
 * directory, the policy files, the bus and the journal all work for uid 0
 * with no capability. */
typedef struct CapNeed {
        cap_value_t cap;
        const char *name;
        bool required;       /* for the daemon; --observe only warns */
        const char *without; /* what does not work without it */
} CapNeed;

static const CapNeed daemon_caps[] = {
        { CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE", true,
          "process rules cannot write /proc/PID/oom_score_adj of other users' processes "
          "(the file belongs to the process's user)" },
        { CAP_SYS_PTRACE, "CAP_SYS_PTRACE", true,
          "process rules cannot read /proc/PID/exe of other users' processes or of "
          "non-dumpable ones such as sshd" },
        { CAP_NET_ADMIN, "CAP_NET_ADMIN", false,
          "kernels before 6.6 refuse the proc connector and its socket buffer cannot exceed "
          "net.core.rmem_max, so new processes may be found only by the periodic /proc rescan" },
        { CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE", false,
          "oom_score_adj cannot be lowered below a process's floor (oom_score_adj_min), PSI "
          "trigger windows must be multiples of 2 s, and kernels without the 6.5 change refuse "
          "PSI triggers altogether (sampling then runs on its timer only)" },
};

static void cap_freep(cap_t *c) {
        if (*c)
                cap_free(*c);
}

static bool cap_has(cap_t c, cap_value_t v, cap_flag_t flag) {
        cap_flag_value_t f = CAP_CLEAR;

        return cap_get_flag(c, v, flag, &f) >= 0 && f == CAP_SET;
}

static bool profile_keeps(CapsProfile profile, cap_value_t v) {
        if (profile == CAPS_PROFILE_TOOL)
                return false;
        if (profile == CAPS_PROFILE_REPORT)
                return v == CAP_SYS_PTRACE;
        for (size_t i = 0; i < ELEMENTSOF(daemon_caps); i++)
                if (daemon_caps[i].cap == v)
                        return true;
        return false;
}

/* One line per capability the daemon lacks. Returns -EPERM when a required
 * one is missing and the profile needs it. */
static int check_missing(CapsProfile profile, cap_t cur) {
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(daemon_caps); i++) {
                const CapNeed *n = &daemon_caps[i];
                const char *where;

                if (cap_has(cur, n->cap, CAP_PERMITTED))
                        continue;
                where = cap_get_bound(n->cap) == 1 ? "not in the permitted set" : "not in the bounding set";
                if (n->required && profile == CAPS_PROFILE_DAEMON) {
                        log_error("Missing capability %s (%s): without it %s. memtuned.service grants it; "
                                  "run memtuned as root with %s, or with --observe.",
                                  n->name, where, n->without, n->name);
                        r = -EPERM;
                } else
                        log_warning("Capability %s is %s: %s.", n->name, where, n->without);
        }
        return r;
}

/* PR_CAPBSET_DROP needs CAP_SETPCAP, which memtuned.service does not grant:
 * there the bounding set is already exactly the daemon's. By hand, as full
 * root, it is dropped here. With no_new_privs and a reduced permitted set,
 * no later execve() could regain anything anyway. */
static int drop_bounding(CapsProfile profile, cap_t cur) {
        if (!cap_has(cur, CAP_SETPCAP, CAP_EFFECTIVE))
                return 0;
        for (cap_value_t v = 0; v < 64; v++) {
                int b = cap_get_bound(v);

                if (b < 0)
                        break; /* past the kernel's last capability */
                if (b == 0 || profile_keeps(profile, v) || v == CAP_SETPCAP)
                        continue;
                if (cap_drop_bound(v) < 0)
                        return log_error_errno(errno,
                                               "Failed to drop capability %d from the bounding set: %m", v);
        }
        /* Last, since dropping it needs it. */
        if (cap_drop_bound(CAP_SETPCAP) < 0)
                return log_error_errno(errno, "Failed to drop CAP_SETPCAP from the bounding set: %m");
        return 0;
}

/* Permitted and effective: what the profile keeps of what we have;
 * inheritable: nothing. Skipped when that is already so. */
static int drop_process(CapsProfile profile, cap_t cur) {
        _cleanup_(cap_freep) cap_t want = NULL;
        bool extra = false;

        want = cap_init();
        if (!want)
                return log_error_errno(ENOMEM, "Out of memory.");
        for (cap_value_t v = 0; v < 64 && cap_get_bound(v) >= 0; v++) {
                if (!cap_has(cur, v, CAP_PERMITTED))
                        continue;
                if (!profile_keeps(profile, v)) {
                        extra = true;
                        continue;
                }
                if (cap_set_flag(want, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
                    cap_set_flag(want, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0)
                        return log_error_errno(errno, "Failed to build the capability set: %m");
        }
        if (cap_compare(cur, want) == 0)
                return 0;
        if (cap_set_proc(want) < 0) {
                /* Only the inheritable or effective set differs: nothing is
                 * held that should not be, and without exec it is harmless. */
                if (!extra)
                        return 0;
                return log_error_errno(errno, "Failed to drop capabilities: %m");
        }
        return 0;
}

/* MCL_FUTURE under a finite RLIMIT_MEMLOCK turns every later mapping past the
 * limit into an allocation failure, so memory is locked only with an unlimited
 * one: memtuned.service sets LimitMEMLOCK=infinity (MemoryMax= still caps the
 * daemon), and by hand root raises it here while it still has
 * CAP_SYS_RESOURCE. MCL_ONFAULT locks pages as they are touched instead of
 * faulting in every mapping at once: measured 3.5 MB locked against 8.6 MB
 * of mappings, most of them library code that never runs. The hot path is
 * touched by the first samples, long before any pressure. */
static void memlock_raise(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return;
        if (setrlimit(RLIMIT_MEMLOCK, &(struct rlimit) { RLIM_INFINITY, RLIM_INFINITY }) < 0)
                log_debug_errno(errno, "Cannot raise RLIMIT_MEMLOCK: %m");
}

static bool memory_lock(void) {
        struct rlimit rl = {};

        if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur != RLIM_INFINITY) {
                log_warning(
                        "Not locking memtuned's memory: RLIMIT_MEMLOCK is %s (hard limit %s); "
                        "memtuned.service sets LimitMEMLOCK=infinity. Under the pressure it manages, its own "
                        "pages may be reclaimed and its reactions delayed.",
                        FORMAT_SIZE((uint64_t) rl.rlim_cur / 1024),
                        FORMAT_SIZE((uint64_t) rl.rlim_max / 1024));
                return false;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) >= 0)
                return true;
        /* Kernels before 4.4 know no MCL_ONFAULT. */
        if (errno == EINVAL && mlockall(MCL_CURRENT | MCL_FUTURE) >= 0)
                return true;
        log_warning_errno(errno,
                          "Failed to lock memtuned's memory (mlockall): %m. Under the pressure it manages, "
                          "its own pages may be reclaimed and its reactions delayed.");
        return false;
}

int caps_setup(CapsProfile profile) {
        _cleanup_(cap_freep) cap_t cur = NULL;
        bool daemon = profile == CAPS_PROFILE_DAEMON || profile == CAPS_PROFILE_OBSERVE, locked = false;
        int r, sliced;

        if ((unsigned) profile >= _CAPS_PROFILE_MAX)
                return -EINVAL;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "Failed to set no_new_privs: %m");
        /* Kernels before 4.3 have no ambient set: nothing to clear. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return log_error_errno(errno, "Failed to clear the ambient capabilities: %m");

        cur = cap_get_proc();
        if (!cur)
                return log_error_errno(errno, "Failed to read the capabilities: %m");

        /* Only root can write /proc/sys/vm: a daemon run as another user is a
         * test on a fixture tree, where capabilities make no difference. */
        if (daemon && geteuid() == 0) {
                r = check_missing(profile, cur);
                if (r < 0)
                        return r;
        }
        if (daemon)
                memlock_raise();

        r = drop_bounding(profile, cur);
        if (r < 0)
                return r;
        r = drop_process(profile, cur);
        if (r < 0)
                return r;

        if (!daemon)
                return 0;

        locked = memory_lock();
        sliced = sched_slice_set(SCHED_SLICE_NSEC);
        if (sliced < 0)
                log_notice_errno(
                        sliced,
                        "Cannot ask for a %llu us scheduler slice (sched_setattr: %m); events may wait "
                        "for the kernel's default slice under load.",
                        (unsigned long long) SCHED_SLICE_NSEC / 1000);
        if (log_get_max_level() >= LOG_INFO) {
                _cleanup_(cap_freep) cap_t now = cap_get_proc();
                char *text = now ? cap_to_text(now, NULL) : NULL, slice[32] = "the kernel's default";

                if (sliced >= 0)
                        snprintf(slice, sizeof(slice), "%llu us",
                                 (unsigned long long) SCHED_SLICE_NSEC / 1000);
                log_info("Capabilities: %s; memory %s; scheduler slice %s.", text ? text : "?",
                         locked ? "locked (mlockall, MCL_ONFAULT)" : "not locked", slice);
                if (text)
                        cap_free(text);
        }
        return 0;
}
