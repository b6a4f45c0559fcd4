/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"
#include "procfile.h"
#include "procfs.h"

/* stat is one line of 52 fields, usually about 300 bytes; at most about
 * 52 * 20 digits plus comm (64). */
#define STAT_BUF_SIZE 2048
/* status is about 1.5 kB; "Groups:" grows with supplementary groups, which
 * only root can give a process. 16 kB holds about 2,000 groups. */
#define STATUS_BUF_SIZE (16 * 1024)
/* cgroup: one line per v1 hierarchy plus "0::", each at most a path. */
#define CGROUP_BUF_SIZE (PROC_PATH_MAX + 1024)

/* ---- parsers ------------------------------------------------------------- */

/* One blank-separated field of stat: an optional '-' and digits, then a blank,
 * a newline or the end. */
static int stat_field(const char **p, const char *end, bool *ret_neg, uint64_t *ret) {
        const char *q = *p;
        bool neg = false;
        int r;

        if (q < end && *q == '-') {
                neg = true;
                q++;
        }
        r = parse_u64(q, end, &q, ret);
        if (r < 0)
                return r;
        if (q < end) {
                if (*q != ' ' && *q != '\n')
                        return -EINVAL;
                q++;
        }
        *ret_neg = neg;
        *p = q;
        return 0;
}

int procfs_parse_stat(const char *buf, size_t len, ProcStat *ret) {
        const char *end = buf + len, *p, *open, *close;
        ProcStat s = {};
        uint64_t v;
        size_t n;
        int r;

        r = parse_u64(buf, end, &p, &v);
        if (r < 0)
                return r;
        if (v == 0 || v > INT32_MAX)
                return -ERANGE;
        s.pid = (pid_t) v;

        if (end - p < 2 || p[0] != ' ' || p[1] != '(')
                return -EINVAL;
        open = p + 2;

        /* Only the last ')' ends comm: the fields after it are numbers and a
         * state letter, and a name may itself hold ") S 1 ". */
        close = memrchr(open, ')', (size_t) (end - open));
        if (!close)
                return -EINVAL;
        n = (size_t) (close - open);
        if (memchr(open, 0, n))
                return -EINVAL;
        s.comm_truncated = n >= sizeof(s.comm);
        n = MIN(n, sizeof(s.comm) - 1);
        memcpy(s.comm, open, n);
        s.comm[n] = 0;

        p = close + 1;
        if (end - p < 3 || p[0] != ' ' || p[2] != ' ')
                return -EINVAL;
        if (!((p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z')))
                return -EINVAL;
        s.state = p[1];
        p += 3;

        /* Fields 4 (ppid) to 24 (rss), see proc(5). */
        for (unsigned field = 4; field <= 24; field++) {
                bool neg;

                if (p >= end)
                        return -EINVAL;
                r = stat_field(&p, end, &neg, &v);
                if (r < 0)
                        return r;

                switch (field) {
                case 4:
                        if (neg || v > INT32_MAX)
                                return -ERANGE;
                        s.ppid = (pid_t) v;
                        break;
                case 9:
                        if (neg || v > UINT32_MAX)
                                return -ERANGE;
                        s.flags = (uint32_t) v;
                        break;
                case 19:
                        if (v > 20)
                                return -ERANGE;
                        s.nice = neg ? -(int32_t) v : (int32_t) v;
                        break;
                case 20:
                        if (neg || v > UINT32_MAX)
                                return -ERANGE;
                        s.num_threads = (uint32_t) v;
                        break;
                case 22:
                        if (neg)
                                return -ERANGE;
                        s.start_time = v;
                        break;
                case 23:
                        if (neg)
                                return -ERANGE;
                        s.vsize = v;
                        break;
                case 24:
                        if (neg)
                                return -ERANGE;
                        s.rss_pages = v;
                        break;
                default:
                        /* Signed in the kernel (tpgid -1, priority of RT
                         * tasks): accepted, not kept. */
                        break;
                }
        }

        *ret = s;
        return 0;
}

enum {
        STATUS_UID,
        STATUS_PPID,
        STATUS_KTHREAD,
        STATUS_VMRSS,
        STATUS_RSSANON,
        STATUS_RSSFILE,
        STATUS_RSSSHMEM,
        STATUS_VMSWAP,
        STATUS_VMPTE,
        _STATUS_MAX,
};

/* clang-format off: one entry per line */
static const char *const status_key[_STATUS_MAX] = {
        [STATUS_UID] = "Uid",           [STATUS_PPID] = "PPid",       [STATUS_KTHREAD] = "Kthread",
        [STATUS_VMRSS] = "VmRSS",       [STATUS_RSSANON] = "RssAnon", [STATUS_RSSFILE] = "RssFile",
        [STATUS_RSSSHMEM] = "RssShmem", [STATUS_VMSWAP] = "VmSwap",   [STATUS_VMPTE] = "VmPTE",
};
/* clang-format on */

/* "<blanks>123 kB" up to the end of the line. */
static int status_kb(const char *p, const char *eol, uint64_t *ret) {
        int r;

        p = skip_blanks(p, eol);
        r = parse_u64(p, eol, &p, ret);
        if (r < 0)
                return r;
        if (eol - p != 3 || memcmp(p, " kB", 3) != 0)
                return -EINVAL;
        return 0;
}

/* "<blanks>N" up to the end of the line. */
static int status_number(const char *p, const char *eol, uint64_t *ret) {
        int r;

        p = skip_blanks(p, eol);
        r = parse_u64(p, eol, &p, ret);
        if (r < 0)
                return r;
        if (skip_blanks(p, eol) != eol)
                return -EINVAL;
        return 0;
}

int procfs_parse_status(const char *buf, size_t len, ProcStatus *ret) {
        const char *end = buf + len, *p = buf;
        ProcStatus s = {};
        uint32_t seen = 0;
        uint64_t v;
        int r;

        while (p < end) {
                const char *next = line_next(p, end);
                const char *eol = next > p && next[-1] == '\n' ? next - 1 : next;
                const char *q = NULL;
                unsigned k;

                for (k = 0; k < _STATUS_MAX; k++)
                        if (line_startswith_word(p, eol, status_key[k], &q) && *q == ':')
                                break;
                if (k == _STATUS_MAX) {
                        p = next;
                        continue;
                }
                if (seen & (UINT32_C(1) << k))
                        return -EINVAL;
                seen |= UINT32_C(1) << k;
                q++;

                switch (k) {
                case STATUS_UID:
                        for (unsigned i = 0; i < 4; i++) {
                                q = skip_blanks(q, eol);
                                r = parse_u64(q, eol, &q, &v);
                                if (r < 0)
                                        return r;
                                if (v >= UINT32_MAX) /* (uid_t) -1 is never a task's */
                                        return -ERANGE;
                                s.uid[i] = (uid_t) v;
                        }
                        if (skip_blanks(q, eol) != eol)
                                return -EINVAL;
                        break;
                case STATUS_PPID:
                        r = status_number(q, eol, &v);
                        if (r < 0)
                                return r;
                        if (v > INT32_MAX)
                                return -ERANGE;
                        s.ppid = (pid_t) v;
                        break;
                case STATUS_KTHREAD:
                        r = status_number(q, eol, &v);
                        if (r < 0)
                                return r;
                        if (v > 1)
                                return -EINVAL;
                        s.has_kthread = true;
                        s.kthread = v;
                        break;
                default: {
                        /* clang-format off: one entry per line */
                        static const size_t offset[_STATUS_MAX] = {
                                [STATUS_VMRSS] = offsetof(ProcStatus, vm_rss_kb),
                                [STATUS_RSSANON] = offsetof(ProcStatus, rss_anon_kb),
                                [STATUS_RSSFILE] = offsetof(ProcStatus, rss_file_kb),
                                [STATUS_RSSSHMEM] = offsetof(ProcStatus, rss_shmem_kb),
                                [STATUS_VMSWAP] = offsetof(ProcStatus, vm_swap_kb),
                                [STATUS_VMPTE] = offsetof(ProcStatus, vm_pte_kb),
                        };
                        /* clang-format on */
                        r = status_kb(q, eol, &v);
                        if (r < 0)
                                return r;
                        memcpy((char *) &s + offset[k], &v, sizeof(v));
                        break;
                }
                }
                p = next;
        }

        if (!(seen & (UINT32_C(1) << STATUS_UID)) || !(seen & (UINT32_C(1) << STATUS_PPID)))
                return -ENODATA;
        s.has_mm = seen & (UINT32_C(1) << STATUS_VMRSS);

        *ret = s;
        return 0;
}

int procfs_parse_cgroup(const char *buf, size_t len, char *ret, size_t size) {
        const char *end = buf + len, *p = buf;
        const char *v2 = NULL, *v2_end = NULL, *v1 = NULL, *v1_end = NULL;
        const char *path, *path_end;
        size_t n;

        while (p < end) {
                const char *next = line_next(p, end);
                const char *eol = next > p && next[-1] == '\n' ? next - 1 : next;
                const char *ctl, *ctl_end;
                uint64_t id;
                int r;

                if (eol == p) { /* an empty last line */
                        p = next;
                        continue;
                }
                r = parse_u64(p, eol, &ctl, &id);
                if (r < 0)
                        return -EINVAL;
                if (ctl >= eol || *ctl != ':')
                        return -EINVAL;
                ctl++;
                ctl_end = memchr(ctl, ':', (size_t) (eol - ctl));
                if (!ctl_end)
                        return -EINVAL;
                path = ctl_end + 1;
                if (path >= eol || *path != '/')
                        return -EINVAL;
                if (memchr(path, 0, (size_t) (eol - path)))
                        return -EINVAL;

                if (id == 0 && ctl_end == ctl) {
                        if (v2)
                                return -EINVAL;
                        v2 = path;
                        v2_end = eol;
                } else if ((size_t) (ctl_end - ctl) == strlen("name=systemd") &&
                           memcmp(ctl, "name=systemd", ctl_end - ctl) == 0) {
                        if (v1)
                                return -EINVAL;
                        v1 = path;
                        v1_end = eol;
                }
                p = next;
        }

        path = v2 ? v2 : v1;
        path_end = v2 ? v2_end : v1_end;
        if (!path)
                return -ENODATA;
        n = (size_t) (path_end - path);
        if (n >= size || n > INT_MAX)
                return -ENAMETOOLONG;
        memcpy(ret, path, n);
        ret[n] = 0;
        return (int) n;
}

static bool endswith(const char *s, size_t n, const char *suffix) {
        size_t k = strlen(suffix);

        return n > k && memcmp(s + n - k, suffix, k) == 0;
}

int procfs_cgroup_unit(const char *path, char *ret, size_t size) {
        static const char *const unit_suffix[] = {
                ".service", ".scope", ".socket", ".mount", ".swap",
        };
        const char *p = path;

        for (;;) {
                const char *e;
                size_t n;

                while (*p == '/')
                        p++;
                if (!*p)
                        return -ENXIO;
                e = strchrnul(p, '/');
                n = (size_t) (e - p);

                if (endswith(p, n, ".slice")) {
                        p = e;
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(unit_suffix); i++)
                        if (endswith(p, n, unit_suffix[i])) {
                                if (n >= size || n >= PROC_UNIT_MAX)
                                        return -ENAMETOOLONG;
                                memcpy(ret, p, n);
                                ret[n] = 0;
                                return (int) n;
                        }
                return -ENXIO;
        }
}

size_t procfs_cmdline_join(char *buf, size_t len) {
        while (len > 0 && buf[len - 1] == 0)
                len--;
        for (size_t i = 0; i < len; i++)
                if (buf[i] == 0)
                        buf[i] = ' ';
        buf[len] = 0;
        return len;
}

/* ---- readers --------------------------------------------------------------- */

/* A vanished process shows as ENOENT (its directory is gone) or ESRCH (a
 * held directory fd whose task has exited). */
static int gone_errno(int r) {
        return r == -ENOENT ? -ESRCH : r;
}

/* "PID/" or "": files are named relative to proc_fd or to a pid_fd. */
typedef struct Prefix {
        char s[16];
} Prefix;

static int path_at(char *buf, size_t size, const Prefix *pre, const char *name) {
        int n = snprintf(buf, size, "%s%s", pre->s, name);

        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

static int read_at(int dirfd, const Prefix *pre, const char *name, char *buf, size_t size) {
        char path[64];
        int r;

        r = path_at(path, sizeof(path), pre, name);
        if (r < 0)
                return r;
        r = read_small_file_at(dirfd, path, buf, size);
        return gone_errno(r);
}

static int read_stat(int dirfd, const Prefix *pre, ProcStat *ret) {
        char buf[STAT_BUF_SIZE];
        int n;

        n = read_at(dirfd, pre, "stat", buf, sizeof(buf));
        if (n < 0)
                return n;
        return procfs_parse_stat(buf, (size_t) n, ret);
}

static int read_status(int dirfd, const Prefix *pre, ProcStatus *ret) {
        char buf[STATUS_BUF_SIZE];
        int n;

        n = read_at(dirfd, pre, "status", buf, sizeof(buf));
        if (n < 0)
                return n;
        return procfs_parse_status(buf, (size_t) n, ret);
}

int procfs_parse_oom_score_adj(const char *buf, int *ret) {
        int64_t v;
        int r;

        r = parse_i64_full(buf, &v);
        if (r < 0)
                return r;
        if (v < OOM_SCORE_ADJ_MIN || v > OOM_SCORE_ADJ_MAX)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

static int read_oom_score_adj(int dirfd, const Prefix *pre, int *ret) {
        char buf[32];
        int n;

        n = read_at(dirfd, pre, "oom_score_adj", buf, sizeof(buf));
        if (n < 0)
                return n;
        return procfs_parse_oom_score_adj(buf, ret);
}

static int read_oom_score(int dirfd, const Prefix *pre, unsigned *ret) {
        char buf[32];
        uint64_t v;
        int n, r;

        n = read_at(dirfd, pre, "oom_score", buf, sizeof(buf));
        if (n < 0)
                return n;
        r = parse_u64_full(buf, &v);
        if (r < 0)
                return r;
        if (v > 2000)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* Reads at most size-1 bytes: a longer cmdline is cut, not refused. */
static int read_cmdline(int dirfd, const Prefix *pre, char *buf, size_t size, size_t *ret_len,
                        bool *ret_truncated) {
        _cleanup_close_ int fd = -1;
        char path[64];
        size_t n = 0;
        int r;

        r = path_at(path, sizeof(path), pre, "cmdline");
        if (r < 0)
                return r;
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return gone_errno(negative_errno());

        while (n < size - 1) {
                ssize_t k = read(fd, buf + n, size - 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return gone_errno(negative_errno());
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }

        *ret_truncated = n == size - 1;
        *ret_len = procfs_cmdline_join(buf, n);
        return 0;
}

static int read_exe(int dirfd, const Prefix *pre, char *buf, size_t size, bool *ret_deleted) {
        static const char deleted[] = " (deleted)";
        char path[64];
        ssize_t n;
        int r;

        r = path_at(path, sizeof(path), pre, "exe");
        if (r < 0)
                return r;
        n = readlinkat(dirfd, path, buf, size);
        if (n < 0)
                return negative_errno();
        if ((size_t) n >= size)
                return -ENAMETOOLONG;
        buf[n] = 0;

        *ret_deleted = endswith(buf, (size_t) n, deleted);
        if (*ret_deleted)
                buf[(size_t) n - strlen(deleted)] = 0;
        return 0;
}

static int read_info(int dirfd, const Prefix *pre, unsigned what, ProcInfo *ret) {
        int r;

        ret->have = 0;
        ret->exe_error = 0;
        ret->cgroup_error = 0;

        r = read_stat(dirfd, pre, &ret->stat);
        if (r < 0)
                return r;
        ret->have |= PROC_INFO_STAT;

        if (what & PROC_INFO_STATUS) {
                r = read_status(dirfd, pre, &ret->status);
                if (r < 0)
                        return r;
                ret->have |= PROC_INFO_STATUS;
        }

        if (what & PROC_INFO_CMDLINE) {
                r = read_cmdline(dirfd, pre, ret->cmdline, sizeof(ret->cmdline), &ret->cmdline_len,
                                 &ret->cmdline_truncated);
                if (r < 0)
                        return r;
                ret->have |= PROC_INFO_CMDLINE;
        }

        if (what & PROC_INFO_EXE) {
                r = read_exe(dirfd, pre, ret->exe, sizeof(ret->exe), &ret->exe_deleted);
                if (r >= 0)
                        ret->have |= PROC_INFO_EXE;
                else if (r == -ESRCH)
                        return r;
                else
                        ret->exe_error = r;
        }

        if (what & PROC_INFO_CGROUP) {
                char buf[CGROUP_BUF_SIZE];
                int n;

                n = read_at(dirfd, pre, "cgroup", buf, sizeof(buf));
                if (n == -ESRCH)
                        return n;
                if (n >= 0)
                        n = procfs_parse_cgroup(buf, (size_t) n, ret->cgroup, sizeof(ret->cgroup));
                if (n >= 0) {
                        if (procfs_cgroup_unit(ret->cgroup, ret->unit, sizeof(ret->unit)) < 0)
                                ret->unit[0] = 0;
                        ret->have |= PROC_INFO_CGROUP;
                } else
                        ret->cgroup_error = n;
        }

        if (what & PROC_INFO_OOM_SCORE_ADJ) {
                r = read_oom_score_adj(dirfd, pre, &ret->oom_score_adj);
                if (r < 0)
                        return r;
                ret->have |= PROC_INFO_OOM_SCORE_ADJ;
        }

        if (what & PROC_INFO_OOM_SCORE) {
                r = read_oom_score(dirfd, pre, &ret->oom_score);
                if (r < 0)
                        return r;
                ret->have |= PROC_INFO_OOM_SCORE;
        }

        return 0;
}

int procfs_open_pid(int proc_fd, pid_t pid) {
        char name[16];
        int fd;

        if (pid <= 0)
                return -EINVAL;
        snprintf(name, sizeof(name), "%d", (int) pid);
        fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return gone_errno(negative_errno());
        return fd;
}

static const Prefix no_prefix = {};

int procfs_read_stat(int pid_fd, ProcStat *ret) {
        return read_stat(pid_fd, &no_prefix, ret);
}

int procfs_read_status(int pid_fd, ProcStatus *ret) {
        return read_status(pid_fd, &no_prefix, ret);
}

int procfs_read_oom_score_adj(int pid_fd, int *ret) {
        return read_oom_score_adj(pid_fd, &no_prefix, ret);
}

int procfs_read_oom_score(int pid_fd, unsigned *ret) {
        return read_oom_score(pid_fd, &no_prefix, ret);
}

int procfs_read(int proc_fd, pid_t pid, unsigned what, ProcInfo *ret) {
        Prefix pre;

        if (pid <= 0)
                return -EINVAL;
        snprintf(pre.s, sizeof(pre.s), "%d/", (int) pid);
        return read_info(proc_fd, &pre, what, ret);
}

int procfs_read_at(int pid_fd, unsigned what, ProcInfo *ret) {
        return read_info(pid_fd, &no_prefix, what, ret);
}
