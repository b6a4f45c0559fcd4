/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "meminfo.h"
#include "procfs.h"

/* The OOM killer's choice, computed the way the kernel does it, so memtuned
 * can show the kill order and explain it. mm/oom_kill.c oom_badness() and
 * fs/proc/base.c proc_oom_score(), identical from 5.9 through 6.1 and the
 * current kernels (6.18 checked):
 *
 *   badness = rss + swap + page_tables            (pages)
 *           + oom_score_adj * (totalpages / 1000)  (integer division first)
 *   oom_score = (1000 + badness * 1000 / totalpages) * 2 / 3   in 0..2000
 *   totalpages = totalram_pages() + total_swap_pages = MemTotal + SwapTotal
 *
 * PID 1, kernel threads, processes at -1000 and processes without an mm
 * (zombies) are never chosen: the kernel's badness is LONG_MIN and oom_score
 * reads 0. Two differences are out of reach of /proc and ignored: tasks in
 * vfork() and mms already reaped (MMF_OOM_SKIP). The kernel's counters are
 * per-CPU and it reads them without summing, so its value may lag by a few
 * pages behind /proc/PID/status; the normalised score hides that. */

#define OOM_BADNESS_UNKILLABLE INT64_MIN

typedef struct OomCandidate {
        pid_t pid;
        bool killable;
        char comm[PROC_COMM_MAX];
        int oom_score_adj;
        uint64_t rss_pages; /* RssAnon + RssFile + RssShmem */
        uint64_t swap_pages;
        uint64_t pgtable_pages;
        int64_t badness;       /* OOM_BADNESS_UNKILLABLE if !killable */
        unsigned score;        /* memtuned's normalisation, 0..2000 */
        unsigned kernel_score; /* /proc/PID/oom_score as read */
} OomCandidate;

/* MemTotal + SwapTotal in pages of page_size bytes. */
uint64_t oom_totalpages(const MemInfo *m, uint64_t page_size);

/* The kernel's badness in pages; OOM_BADNESS_UNKILLABLE when adj is -1000.
 * totalpages must be > 0. */
int64_t oom_badness(uint64_t rss_pages, uint64_t swap_pages, uint64_t pgtable_pages, int oom_score_adj,
                    uint64_t totalpages);

/* The kernel's /proc/PID/oom_score for a badness: 0 for unkillable. */
unsigned oom_score_normalise(int64_t badness, uint64_t totalpages);

/* Fills *ret from a ProcInfo holding STAT, STATUS and OOM_SCORE_ADJ (and
 * OOM_SCORE, else kernel_score is 0). Returns 0, -ENODATA if info lacks one
 * of the required parts. */
int oomscore_from_info(const ProcInfo *info, uint64_t totalpages, uint64_t page_size, OomCandidate *ret);

/* Sorts into kill order: killable first, by badness, highest first; equal
 * badness puts the higher pid first (the kernel keeps the last of equals in
 * task-list order, which is creation order); unkillable last, by pid. */
void oomscore_sort(OomCandidate *c, size_t n);

/* Scans proc_fd (a procfs root) and returns every process, sorted in kill
 * order, in a malloc'ed array the caller frees. info is scratch space.
 * Processes that vanish during the scan are left out. Returns 0 or -errno. */
int oomscore_rank(int proc_fd, uint64_t totalpages, uint64_t page_size, ProcInfo *info, OomCandidate **ret,
                  size_t *ret_n);
