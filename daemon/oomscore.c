/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "oomscore.h"
#include "parse.h"

uint64_t oom_totalpages(const MemInfo *m, uint64_t page_size) {
        uint64_t kb = m->field[MEMINFO_MEM_TOTAL] + m->field[MEMINFO_SWAP_TOTAL];

        return page_size >= 1024 ? kb / (page_size / 1024) : 0;
}

int64_t oom_badness(uint64_t rss_pages, uint64_t swap_pages, uint64_t pgtable_pages, int oom_score_adj,
                    uint64_t totalpages) {
        int64_t points;

        if (oom_score_adj <= OOM_SCORE_ADJ_MIN)
                return OOM_BADNESS_UNKILLABLE;

        /* Page counts of a real machine are far below 2^62: no overflow. */
        points = (int64_t) (rss_pages + swap_pages + pgtable_pages);
        /* adj *= totalpages / 1000: the division comes first in the kernel. */
        points += (int64_t) oom_score_adj * (int64_t) (totalpages / 1000);
        return points;
}

unsigned oom_score_normalise(int64_t badness, uint64_t totalpages) {
        int64_t points;

        if (badness == OOM_BADNESS_UNKILLABLE || totalpages == 0)
                return 0;
        /* C division truncates toward zero, as the kernel's long division. */
        points = (1000 + badness * 1000 / (int64_t) totalpages) * 2 / 3;
        return (unsigned) CLAMP(points, 0, 2000);
}

int oomscore_from_info(const ProcInfo *info, uint64_t totalpages, uint64_t page_size, OomCandidate *ret) {
        const unsigned need = PROC_INFO_STAT | PROC_INFO_STATUS | PROC_INFO_OOM_SCORE_ADJ;
        const ProcStatus *st = &info->status;
        uint64_t kb_per_page = page_size / 1024;
        OomCandidate c = {};

        if ((info->have & need) != need || kb_per_page == 0)
                return -ENODATA;

        c.pid = info->stat.pid;
        memcpy(c.comm, info->stat.comm, sizeof(c.comm));
        c.oom_score_adj = info->oom_score_adj;
        c.kernel_score = info->have & PROC_INFO_OOM_SCORE ? info->oom_score : 0;
        c.rss_pages = (st->rss_anon_kb + st->rss_file_kb + st->rss_shmem_kb) / kb_per_page;
        c.swap_pages = st->vm_swap_kb / kb_per_page;
        c.pgtable_pages = st->vm_pte_kb / kb_per_page;

        /* oom_unkillable_task(): the global init and kernel threads; then
         * find_lock_task_mm() fails for tasks without an mm (zombies). */
        c.killable = c.pid != 1 && !(info->stat.flags & PROC_PF_KTHREAD) && st->has_mm &&
                     info->stat.state != 'Z' && c.oom_score_adj > OOM_SCORE_ADJ_MIN;

        c.badness = c.killable ? oom_badness(c.rss_pages, c.swap_pages, c.pgtable_pages, c.oom_score_adj,
                                             totalpages)
                               : OOM_BADNESS_UNKILLABLE;
        c.score = oom_score_normalise(c.badness, totalpages);

        *ret = c;
        return 0;
}

static int candidate_cmp(const void *a, const void *b) {
        const OomCandidate *x = a, *y = b;

        if (x->killable != y->killable)
                return x->killable ? -1 : 1;
        if (x->killable && x->badness != y->badness)
                return x->badness > y->badness ? -1 : 1;
        if (x->killable)
                return x->pid > y->pid ? -1 : x->pid < y->pid;
        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void oomscore_sort(OomCandidate *c, size_t n) {
        if (n > 1)
                qsort(c, n, sizeof(*c), candidate_cmp);
}

int oomscore_rank(int proc_fd, uint64_t totalpages, uint64_t page_size, ProcInfo *info, OomCandidate **ret,
                  size_t *ret_n) {
        _cleanup_free_ OomCandidate *list = NULL;
        size_t n = 0, allocated = 0;
        DIR *d;
        int fd, r = 0;

        fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                close(fd);
                return r;
        }

        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                uint64_t pid;
                const char *e;

                if (parse_u64(de->d_name, de->d_name + strlen(de->d_name), &e, &pid) < 0 || *e || pid == 0 ||
                    pid > INT32_MAX)
                        continue;

                r = procfs_read(proc_fd, (pid_t) pid,
                                PROC_INFO_STATUS | PROC_INFO_OOM_SCORE_ADJ | PROC_INFO_OOM_SCORE, info);
                if (r == -ESRCH)
                        continue;
                if (r < 0)
                        goto finish;

                if (n == allocated) {
                        size_t na = MAX(allocated * 2, (size_t) 256);
                        OomCandidate *nl = reallocarray(list, na, sizeof(*nl));
                        if (!nl) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        list = nl;
                        allocated = na;
                }
                r = oomscore_from_info(info, totalpages, page_size, &list[n]);
                if (r < 0)
                        goto finish;
                n++;
        }
        if (errno != 0) {
                r = negative_errno();
                goto finish;
        }
        r = 0;

        oomscore_sort(list, n);
        *ret = TAKE_PTR(list);
        *ret_n = n;
finish:
        closedir(d);
        return r;
}
