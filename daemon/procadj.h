/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The race-free writer of /proc/PID/oom_score_adj: the only code in memtuned
 * that writes it.
 *
 * PID numbers are reused, and a new process can even get the same start time
 * (clock ticks of 10 ms) as the dead one, so neither the number nor the start
 * time identifies a process. A pidfd does: memtuned takes one when it first
 * sees a process, and pidfd_send_signal(pidfd, 0) fails with ESRCH once that
 * process has been reaped, which is exactly when its number becomes free.
 *
 * A write goes: open /proc/PID (a directory fd, bound to whichever process
 * holds the number at that instant), then check the pidfd. If the pidfd's
 * process is still there, it held the number when the directory was opened,
 * so the directory is that process; the directory fd then stays bound to it
 * (a later exit gives ESRCH, never another process), and oom_score_adj is
 * opened and written through it. If the pidfd's process is gone and the
 * directory still answers, the directory belongs to a newer process with the
 * same number: an impostor, reported and never written. */

/* Positive results of procadj_write_at(). */
#define PROCADJ_UNCHANGED 0 /* already had the value: nothing written */
#define PROCADJ_WRITTEN 1   /* written, and read back equal */
#define PROCADJ_SPARED 2    /* found at -1000 with PROCADJ_SPARE_DISABLED: nothing written */

/* Flags for procadj_write_at(). */
#define PROCADJ_SPARE_DISABLED 1U /* leave a process found at -1000 alone */

/* pidfd_open(2) through syscall(2) (glibc wrappers arrived in 2.36). Returns
 * the fd (O_CLOEXEC), -ESRCH if there is no such process, -EINVAL for a
 * thread that is not a thread-group leader, -EMFILE, or -errno. */
int procadj_pidfd_open(pid_t pid);

/* Returns 1 while the pidfd's process exists (running or a zombie not yet
 * reaped: either way its number is not free), 0 once it has been reaped,
 * -errno for other failures (-EBADF). */
int procadj_pidfd_alive(int pidfd);

/* The pin step, the first half of every write: opens /proc/PID below proc_fd
 * (the procfs of the caller's PID namespace: pidfd and /proc must number
 * alike) and proves with pidfd that the directory is pidfd's process.
 * Returns the directory fd (owned by the caller), through which the process
 * is read and written, or:
 *   -ESRCH   the process is gone: normal for short-lived ones, not an error
 *   -ESTALE  pidfd's process has been reaped and /proc/PID names another
 *            process now (the number was reused): nothing may be written
 *   -errno   from open() or the pidfd */
int procadj_pin(int proc_fd, pid_t pid, int pidfd);

/* The second half: sets oom_score_adj through pid_fd, a directory that
 * procadj_pin() returned for pidfd. pidfd is checked again after the write.
 * Returns PROCADJ_WRITTEN, PROCADJ_UNCHANGED or PROCADJ_SPARED, or:
 *   -ESRCH   the process went away meanwhile (the write reached nobody else)
 *   -EACCES  lowering below the process's floor (oom_score_adj_min, normally
 *            0) without CAP_SYS_RESOURCE, or another user's process without
 *            CAP_DAC_OVERRIDE; -EPERM from LSMs
 *   -EINVAL  value outside -1000..1000
 *   -EIO     the value read back differs from the one written
 *   -EXDEV   pid_fd is not in a procfs (a fixture tree): never written
 * The previous value is stored in *ret_old when known (>= 0 results). */
int procadj_write_at(int pid_fd, int pidfd, int value, unsigned flags, int *ret_old);
