/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#include "policy.h"
#include "procfs.h"
#include "proctable.h"

/* Process rules: which rule a process matches, whether memtuned may touch it,
 * and applying the result race-free (procadj) while remembering it
 * (proctable). The pure part (procrules_match() ... procrules_decide()) works
 * on a ProcInfo and is what the fixture tests exercise; the ProcRules object
 * wires it to /proc for the manager: one call per exec/comm event
 * (procrules_apply_pid()) and one per rescan (procrules_rescan()).
 *
 * Matching: every criterion a rule's match sets must hold; criteria left
 * unset match anything; a match with no criterion at all matches nothing (the
 * loader should refuse it). comm, exe, cgroup and unit are fnmatch(3) globs
 * without flags ('*' crosses '/'); cmdline is the rule's compiled ERE, run
 * over the arguments joined by single spaces (at most PROC_CMDLINE_MAX - 1
 * bytes); uid compares the effective uid (what ps shows as USER). A criterion
 * that cannot be evaluated (exe unreadable, cgroup unparsable, no unit)
 * fails. The first matching rule in policy order wins.
 *
 * comm is chosen by the process itself (prctl(PR_SET_NAME)); rules that
 * protect (negative oom_score_adj) should match exe, uid, or unit, which a
 * process cannot forge. */

/* Why memtuned leaves a process alone although a rule matched. */
typedef enum ProcGuard {
        PROC_GUARD_NONE,
        PROC_GUARD_PID1,         /* init */
        PROC_GUARD_KTHREAD,      /* a kernel thread (PF_KTHREAD) */
        PROC_GUARD_SELF,         /* memtuned itself */
        PROC_GUARD_OOM_DISABLED, /* found at -1000: someone made it unkillable */
        _PROC_GUARD_MAX,
} ProcGuard;

typedef enum ProcVerdict {
        PROC_VERDICT_NONE,    /* no rule: leave it */
        PROC_VERDICT_APPLY,   /* set the matching rule's oom_score_adj */
        PROC_VERDICT_RESET,   /* no rule, but the parent's rule resets children: set 0 */
        PROC_VERDICT_GUARDED, /* a rule matched, a guard forbids it, and the rule does not name the process */
        _PROC_VERDICT_MAX,
} ProcVerdict;

typedef struct ProcDecision {
        ProcVerdict verdict;
        ProcGuard guard;   /* GUARDED: which; APPLY: the guard an explicit rule overrode */
        ssize_t rule;      /* APPLY/GUARDED: the matching rule; RESET: the parent's; else -1 */
        int oom_score_adj; /* APPLY/RESET: the value to set */
} ProcDecision;

/* What memtuned knows of a process's parent, for reset_children. */
typedef struct ProcParent {
        ssize_t rule;      /* index of the rule that set the parent's score, -1: none */
        int oom_score_adj; /* the value memtuned set on the parent */
} ProcParent;

#define PROC_PARENT_NONE ((ProcParent) { .rule = -1 })

/* The ProcInfo parts the rules need (beyond STAT, always read). */
unsigned procrules_needs(const ProcessRule *rules, size_t n_rules);

/* True if every criterion of rule's match holds for info. */
bool procrules_rule_matches(const ProcessRule *rule, const ProcInfo *info);

/* The index of the first rule that matches, or -ENOENT. */
ssize_t procrules_match(const ProcessRule *rules, size_t n_rules, const ProcInfo *info);

/* True if rule matches info and names it explicitly: its comm or its exe is
 * set without glob characters (* ? [ \) and equals the process's comm or exe
 * exactly. A uid, cgroup, unit or cmdline never names a process: they cover
 * groups of processes, and a guard exists to keep such broad rules off
 * init, kernel threads, memtuned and deliberately unkillable processes. */
bool procrules_names_explicitly(const ProcessRule *rule, const ProcInfo *info);

/* Decides for one process. info should hold what procrules_needs() asks for
 * plus PROC_INFO_OOM_SCORE_ADJ. A child is RESET only when no rule matches,
 * parent->rule has reset_children, and the child still has the value
 * memtuned set on the parent (it inherited it; a different value was set on
 * purpose by someone and stays); a guard turns a reset into NONE. Pure;
 * always returns 0. */
int procrules_decide(const ProcessRule *rules, size_t n_rules, const ProcInfo *info, pid_t self_pid,
                     const ProcParent *parent, ProcDecision *ret);

const char *proc_guard_to_string(ProcGuard g);
const char *proc_verdict_to_string(ProcVerdict v);

/* ---- applying: the manager's interface ----------------------------------- */

typedef struct ProcRules ProcRules;

/* What happened to one process. */
typedef struct ProcOutcome {
        pid_t pid;
        ProcVerdict verdict;
        ProcGuard guard;
        ssize_t rule;          /* index into the current rules, -1 */
        const char *rule_name; /* borrowed from the rules, NULL */
        char comm[PROC_COMM_MAX];
        int old_adj; /* before (valid when result >= 0) */
        int new_adj; /* the value decided */
        /* PROCADJ_WRITTEN, PROCADJ_UNCHANGED, PROCADJ_SPARED, or -errno:
         * -ESRCH gone before the write (normal), -ESTALE impostor (never
         * written), -EACCES/-EPERM a capability is missing, others as
         * procadj_write_at() (-EIO: read back differs). For NONE and GUARDED:
         * 0. With dry_run or a fixture root: PROCADJ_UNCHANGED, nothing
         * written. */
        int result;
        /* true on the first -EACCES/-EPERM of this rule since the rules were
         * set: the caller warns once per rule, not once per process. */
        bool first_denial;
        /* pid was tracked for a process that has been reaped, and the number
         * names another process now: that entry was dropped and this
         * process judged on its own. */
        bool replaced;
        /* The table was full (PROCTABLE_ENTRIES_MAX): the score was set, the
         * process is not remembered. first_untracked: the first such refusal
         * since the table last had a quarter free; the caller warns once. */
        bool untracked;
        bool first_untracked;
} ProcOutcome;

/* Creates the applier over proc_fd (borrowed): the real /proc of memtuned's
 * PID namespace. A proc_fd that is not a procfs (a fixture tree given with
 * --proc-root) gets decisions only: no pidfd, no write (result
 * PROCADJ_UNCHANGED), no tracking. self_pid is memtuned's pid (getpid()).
 * max_pidfds as for proctable_new(). Returns 0 or -ENOMEM. */
int procrules_new(int proc_fd, pid_t self_pid, size_t max_pidfds, ProcRules **ret);

/* Frees, closing every held pidfd; NULL is fine. Returns NULL. */
ProcRules *procrules_free(ProcRules *pr);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcRules *, procrules_free);

/* Switches to new rules (borrowed: they must stay valid until the next call
 * or procrules_free(); after a reload, call this before the old Policy is
 * freed, then procrules_rescan(full = true)). Resets the once-per-rule
 * denial flags. Returns 0 or -ENOMEM/-E2BIG (the old rules stay). */
int procrules_set_rules(ProcRules *pr, const ProcessRule *rules, size_t n_rules);

/* In dry-run (observe mode) decisions are made and reported, nothing is
 * written and nothing tracked. */
void procrules_set_dry_run(ProcRules *pr, bool dry_run);

/* Handles one process, e.g. on an exec or comm event: takes a pidfd, reads
 * /proc/PID below the directory that the pidfd proves is the same process,
 * decides, writes through that directory, and tracks the process. *ret says
 * what happened, including a process that vanished (result -ESRCH, verdict
 * NONE if it vanished before the decision) and every write failure. Returns
 * 0, or -errno when memtuned itself failed (-ENOMEM, -EMFILE, -EINVAL for a
 * pid that is a thread id, an unparsable /proc file). */
int procrules_apply_pid(ProcRules *pr, pid_t pid, ProcOutcome *ret);

/* Called for every outcome other than NONE. A negative return stops the
 * rescan and is returned from it. */
typedef int (*ProcOutcomeCallback)(const ProcOutcome *o, void *userdata);

typedef struct ProcRescanStats {
        unsigned seen;      /* processes read */
        unsigned skipped;   /* tracked and unchanged: not re-read beyond stat */
        unsigned matched;   /* APPLY or RESET verdicts */
        unsigned written;   /* PROCADJ_WRITTEN */
        unsigned vanished;  /* -ESRCH at any step */
        unsigned impostors; /* -ESTALE, or a tracked number that names another process now */
        unsigned denied;    /* -EACCES/-EPERM */
        unsigned guarded;
        unsigned pruned; /* tracked entries dropped because the process was gone */
        uint64_t duration_usec;
} ProcRescanStats;

/* Walks /proc. Untracked processes are read (stat plus what the rules need)
 * and matched; only candidates go through procrules_apply_pid(). Tracked
 * processes whose pidfd is alive and whose comm is unchanged are skipped
 * unless full (use full after procrules_set_rules()). Dead entries are
 * pruned. Returns 0 or the first -errno of memtuned itself / the callback. */
int procrules_rescan(ProcRules *pr, bool full, ProcOutcomeCallback cb, void *userdata,
                     ProcRescanStats *ret_stats);

/* Drops pid's entry and closes its pidfd: on the exit event of its leader.
 * Entries of processes that exit unseen (lost events, no connector) are
 * pruned by the next rescan. */
void procrules_forget(ProcRules *pr, pid_t pid);

/* Which rule governs pid, for the kill-order listing: the rule that set its
 * score if memtuned tracks it (*ret_tracked true), else the rule that would
 * match it now (read from /proc; *ret_tracked false). Returns 1 with the name
 * (borrowed: from the table or the rules), 0 when no rule matches (name
 * NULL), -ESRCH if the process is gone, or another -errno. */
int procrules_explain(ProcRules *pr, pid_t pid, const char **ret_rule_name, bool *ret_tracked);

/* The table, for listing, the footprint and the tests (proctable_get()). */
ProcTable *procrules_table(ProcRules *pr);
