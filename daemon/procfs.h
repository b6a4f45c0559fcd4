/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reading one process from /proc/PID: stat, status, cmdline, exe, cgroup,
 * oom_score_adj, oom_score. Pure parsers take text and a length; readers take
 * a directory fd (the procfs root or a pinned /proc/PID) and never follow a
 * path outside it. Nothing here allocates: a ProcInfo is a caller-owned
 * scratch buffer (about 13 kB) reused for every process. */

/* /proc/PID/stat prints task->comm for user processes (TASK_COMM_LEN 16), but
 * the full name of kernel threads and workqueue workers
 * ("kworker/u8:3-events_unbound"), which since 6.x may exceed 16 bytes; the
 * kernel caps it at 64. Longer names are truncated and flagged. */
#define PROC_COMM_MAX 64
/* Rules match cmdline with an ERE; 4 kB holds every argv seen on the test
 * machines (the longest, a JVM, 2.3 kB). Longer ones are truncated, flagged. */
#define PROC_CMDLINE_MAX 4096
#define PROC_PATH_MAX 4096
/* systemd caps unit names at 256 bytes (UNIT_NAME_MAX). */
#define PROC_UNIT_MAX 256

/* The kernel's per-task flag for kernel threads (include/linux/sched.h). */
#define PROC_PF_KTHREAD 0x00200000U

#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000

typedef struct ProcStat {
        pid_t pid;
        pid_t ppid;
        char state; /* 'R', 'S', 'D', 'Z', ... */
        bool comm_truncated;
        char comm[PROC_COMM_MAX]; /* raw: may hold ')', blanks, newlines */
        uint32_t flags;           /* PF_*: PROC_PF_KTHREAD */
        int32_t nice;
        uint32_t num_threads;
        uint64_t start_time; /* clock ticks after boot */
        uint64_t vsize;      /* bytes */
        uint64_t rss_pages;
} ProcStat;

typedef struct ProcStatus {
        uid_t uid[4]; /* real, effective, saved, filesystem */
        pid_t ppid;
        bool has_kthread; /* "Kthread:" line present (6.x) */
        bool kthread;
        bool has_mm; /* Vm* lines present: not a kernel thread, not a zombie */
        uint64_t vm_rss_kb;
        uint64_t rss_anon_kb, rss_file_kb, rss_shmem_kb;
        uint64_t vm_swap_kb;
        uint64_t vm_pte_kb;
} ProcStatus;

/* What procfs_read() reads; a ProcInfo's "have" says what it holds. */
typedef enum ProcInfoFlags {
        PROC_INFO_STAT = 1U << 0,
        PROC_INFO_STATUS = 1U << 1,
        PROC_INFO_CMDLINE = 1U << 2,
        PROC_INFO_EXE = 1U << 3,
        PROC_INFO_CGROUP = 1U << 4, /* cgroup path and the unit derived from it */
        PROC_INFO_OOM_SCORE_ADJ = 1U << 5,
        PROC_INFO_OOM_SCORE = 1U << 6,
        PROC_INFO_ALL = (1U << 7) - 1,
} ProcInfoFlags;

typedef struct ProcInfo {
        unsigned have;    /* ProcInfoFlags read successfully */
        int exe_error;    /* why PROC_INFO_EXE is missing when asked for:
                                         * -EACCES another user's process without
                                         * CAP_SYS_PTRACE, -ENOENT kernel thread or zombie */
        int cgroup_error; /* why PROC_INFO_CGROUP is missing when asked for */
        ProcStat stat;
        ProcStatus status;
        int oom_score_adj;
        unsigned oom_score;
        bool cmdline_truncated;
        bool exe_deleted; /* the link ended in " (deleted)", stripped from exe */
        size_t cmdline_len;
        char cmdline[PROC_CMDLINE_MAX]; /* arguments joined by spaces, NUL terminated */
        char exe[PROC_PATH_MAX];
        char cgroup[PROC_PATH_MAX]; /* cgroup v2 path ("0::"), or name=systemd on v1 */
        char unit[PROC_UNIT_MAX];   /* systemd unit derived from cgroup, "" if none */
} ProcInfo;

/* Parses /proc/PID/stat. comm is what lies between the first '(' and the last
 * ')', so any name parses. Returns 0; -EINVAL for malformed text, -ERANGE for
 * numbers out of range. *ret is written only on success. */
int procfs_parse_stat(const char *buf, size_t len, ProcStat *ret);

/* Parses /proc/PID/status: Uid, PPid (required: -ENODATA without), Kthread,
 * VmRSS, RssAnon, RssFile, RssShmem, VmSwap, VmPTE (absent for kernel threads
 * and zombies). A repeated key is -EINVAL: the kernel escapes newlines in
 * Name:, so a repeat means text we do not understand. */
int procfs_parse_status(const char *buf, size_t len, ProcStatus *ret);

/* Picks the unified ("0::") path from /proc/PID/cgroup text, or the
 * "name=systemd" path on a pure v1 host. Writes it NUL terminated to ret
 * (size bytes). Returns its length, -ENODATA if neither line exists, -EINVAL if
 * a line is malformed or "0::" appears twice (a cgroup name with a newline
 * could forge a line; such a process matches no cgroup or unit rule),
 * -ENAMETOOLONG if it does not fit. */
int procfs_parse_cgroup(const char *buf, size_t len, char *ret, size_t size);

/* Derives the systemd unit from a cgroup path as systemd's cg_path_get_unit()
 * does: leading "*.slice" components are skipped, the next component is the
 * unit if it ends in .service, .scope, .socket, .mount or .swap
 * ("/user.slice/user-1000.slice/user@1000.service/app.slice/x.service" ->
 * "user@1000.service"). Returns its length, -ENXIO when the path names no
 * unit ("/", "/system.slice", "/docker/abc"), -ENAMETOOLONG. */
int procfs_cgroup_unit(const char *path, char *ret, size_t size);

/* Turns raw cmdline bytes into one string: NULs become spaces, trailing NULs
 * are dropped. Returns the new length; buf[len] must be writable (NUL). */
size_t procfs_cmdline_join(char *buf, size_t len);

/* Opens /proc/PID as a directory fd relative to proc_fd. The fd stays bound to
 * that process: once it is gone, every file below gives ENOENT/ESRCH, even if
 * the number is reused. Returns the fd, -ESRCH if there is no such process. */
int procfs_open_pid(int proc_fd, pid_t pid);

/* Parses oom_score_adj's text ("-900\n"). Returns 0, -EINVAL, or -ERANGE
 * outside -1000..1000. */
int procfs_parse_oom_score_adj(const char *buf, int *ret);

/* Readers relative to a /proc/PID directory fd. -ESRCH when the process is
 * gone (the kernel's ENOENT and ESRCH both map to it); other -errno as is;
 * parse errors as the parsers. The daemon reads stat through these; status,
 * oom_score_adj and oom_score are read for tests on fixture trees (the
 * daemon takes them through procfs_read_at() and procadj.c). */
int procfs_read_stat(int pid_fd, ProcStat *ret);
int procfs_read_status(int pid_fd, ProcStatus *ret);
int procfs_read_oom_score_adj(int pid_fd, int *ret);
int procfs_read_oom_score(int pid_fd, unsigned *ret);

/* Reads the parts in "what" of process pid below proc_fd into *ret (paths
 * "PID/stat", ...: no directory fd is opened, which keeps a full scan near the
 * cost of the reads themselves). stat is always read. An unreadable exe or
 * cgroup is not an error: the bit stays clear in ret->have and exe_error /
 * cgroup_error say why. Returns 0, -ESRCH if the process is gone (at any
 * step), or another -errno / parse error. */
int procfs_read(int proc_fd, pid_t pid, unsigned what, ProcInfo *ret);

/* The same below a /proc/PID directory fd from procfs_open_pid(). */
int procfs_read_at(int pid_fd, unsigned what, ProcInfo *ret);
