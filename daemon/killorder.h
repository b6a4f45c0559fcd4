/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "meminfo.h"
#include "oomscore.h"
#include "procrules.h"

/* The OOM killer's order of choice as memtuned computes it, each process with
 * the kernel's own /proc/PID/oom_score beside memtuned's points and the rule
 * that set (or would set) its oom_score_adj. For memtuned --once and the
 * bus's ListProcesses(). */

typedef struct KillOrderEntry {
        OomCandidate candidate;
        const char *rule; /* borrowed from the rules or the process table: valid until the rules change */
        bool tracked;     /* memtuned set this process's score (else: the rule that would match) */
        bool overridden; /* tracked, but its oom_score_adj is no longer what the rule set: someone changed it */
        int rule_adj;    /* tracked: the value the rule set */
} KillOrderEntry;

/* How a listing shows e's rule: "-" for none, the rule's name, or
 * "protect-sshd (overridden: adj 0)" when someone else changed the score the
 * rule set (the rule's value is not in force). Returns buf. */
#define KILLORDER_RULE_MAX 128
const char *killorder_rule_text(const KillOrderEntry *e, char *buf, size_t size);

/* Ranks every process below proc_fd (a procfs root) in kill order, using
 * meminfo for totalpages, and names the rule of the first `limit` entries
 * (0: all) through pr (NULL: no rule names). Returns the entries (at most
 * limit, malloc'ed, the caller frees) and their number, or -errno. */
int killorder_list(int proc_fd, const MemInfo *meminfo, ProcRules *pr, size_t limit, KillOrderEntry **ret,
                   size_t *ret_n);
