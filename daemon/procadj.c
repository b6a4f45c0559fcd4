/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"
#include "procadj.h"
#include "procfs.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int procadj_pidfd_open(pid_t pid) {
        int fd;

        if (pid <= 0)
                return -EINVAL;
        /* pidfds are always close-on-exec. */
        fd = (int) syscall(SYS_pidfd_open, pid, 0U);
        if (fd < 0)
                return negative_errno();
        return fd;
}

int procadj_pidfd_alive(int pidfd) {
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0U) >= 0)
                return 1;
        if (errno == ESRCH)
                return 0;
        /* Signal 0 checks permission too; a process we may not signal
         * (EPERM) still exists. */
        if (errno == EPERM)
                return 1;
        return negative_errno();
}

/* Reads the current value through the open oom_score_adj fd. */
static int adj_read(int fd, int *ret) {
        char buf[16];
        ssize_t n;

        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        buf[n] = 0;
        return procfs_parse_oom_score_adj(buf, ret);
}

int procadj_write_at(int pid_fd, int pidfd, int value, unsigned flags, int *ret_old) {
        _cleanup_close_ int fd = -1;
        struct statfs sfs;
        char buf[16];
        int old, now, r, n;

        if (value < OOM_SCORE_ADJ_MIN || value > OOM_SCORE_ADJ_MAX)
                return -EINVAL;

        fd = openat(pid_fd, "oom_score_adj", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = negative_errno();
                return r == -ENOENT ? -ESRCH : r;
        }
        /* Only ever the kernel's file: a fixture tree given as the proc root
         * must not be written, even when its pid exists on this machine. */
        if (fstatfs(fd, &sfs) < 0)
                return negative_errno();
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return -EXDEV;

        r = adj_read(fd, &old);
        if (r < 0)
                return r;
        if (old == value) {
                if (ret_old)
                        *ret_old = old;
                return PROCADJ_UNCHANGED;
        }
        if (old == OOM_SCORE_ADJ_MIN && (flags & PROCADJ_SPARE_DISABLED)) {
                if (ret_old)
                        *ret_old = old;
                return PROCADJ_SPARED;
        }

        n = snprintf(buf, sizeof(buf), "%d\n", value);
        if (pwrite(fd, buf, (size_t) n, 0) != n) {
                r = negative_errno();
                return r == -ENOENT ? -ESRCH : r;
        }

        /* The write went to the fd's process or to nobody; a process that
         * went away meanwhile is simply gone. */
        r = procadj_pidfd_alive(pidfd);
        if (r < 0)
                return r;
        if (r == 0)
                return -ESRCH;

        r = adj_read(fd, &now);
        if (r < 0)
                return r;
        if (now != value)
                return -EIO;

        if (ret_old)
                *ret_old = old;
        return PROCADJ_WRITTEN;
}

int procadj_pin(int proc_fd, pid_t pid, int pidfd) {
        _cleanup_close_ int pid_fd = -1;
        int r;

        pid_fd = procfs_open_pid(proc_fd, pid);
        if (pid_fd < 0)
                return pid_fd;

        r = procadj_pidfd_alive(pidfd);
        if (r < 0)
                return r;
        if (r == 0) {
                ProcStat st;

                /* Our process has been reaped. If the directory opened above
                 * still answers, a newer process holds the number. */
                r = procfs_read_stat(pid_fd, &st);
                return r >= 0 ? -ESTALE : -ESRCH;
        }
        return TAKE_FD(pid_fd);
}
