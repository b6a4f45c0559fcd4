/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "macro.h"
#include "parse.h"
#include "peers.h"
#include "procadj.h"
#include "procrules.h"
#include "string-table.h"

/* ---- the pure part ------------------------------------------------------- */

unsigned procrules_needs(const ProcessRule *rules, size_t n_rules) {
        unsigned needs = PROC_INFO_STAT;

        for (size_t i = 0; i < n_rules; i++) {
                const ProcessMatch *m = &rules[i].match;

                if (m->exe)
                        needs |= PROC_INFO_EXE;
                if (m->cmdline || m->has_cmdline_re)
                        needs |= PROC_INFO_CMDLINE;
                if (m->has_uid)
                        needs |= PROC_INFO_STATUS;
                if (m->cgroup || m->unit)
                        needs |= PROC_INFO_CGROUP;
        }
        return needs;
}

static bool in_kubepods(const ProcInfo *info) {
        return (info->have & PROC_INFO_CGROUP) && cgroup_is_kubepods(info->cgroup);
}

bool procrules_rule_matches(const ProcessRule *rule, const ProcInfo *info) {
        const ProcessMatch *m = &rule->match;
        bool any = false;

        /* kubelet sets the oom_score_adj of its pods' processes by QoS
         * class; only a rule that says kubepods = true overrides it. */
        if (!rule->kubepods && in_kubepods(info))
                return false;

        if (m->comm) {
                any = true;
                if (!(info->have & PROC_INFO_STAT) || fnmatch(m->comm, info->stat.comm, 0) != 0)
                        return false;
        }
        if (m->exe) {
                any = true;
                if (!(info->have & PROC_INFO_EXE) || fnmatch(m->exe, info->exe, 0) != 0)
                        return false;
        }
        if (m->cmdline || m->has_cmdline_re) {
                any = true;
                if (!m->has_cmdline_re || !(info->have & PROC_INFO_CMDLINE) ||
                    regexec(&m->cmdline_re, info->cmdline, 0, NULL, 0) != 0)
                        return false;
        }
        if (m->has_uid) {
                any = true;
                if (!(info->have & PROC_INFO_STATUS) || info->status.uid[1] != m->uid)
                        return false;
        }
        if (m->cgroup) {
                any = true;
                if (!(info->have & PROC_INFO_CGROUP) || fnmatch(m->cgroup, info->cgroup, 0) != 0)
                        return false;
        }
        if (m->unit) {
                any = true;
                if (!(info->have & PROC_INFO_CGROUP) || info->unit[0] == 0 ||
                    fnmatch(m->unit, info->unit, 0) != 0)
                        return false;
        }
        return any;
}

ssize_t procrules_match(const ProcessRule *rules, size_t n_rules, const ProcInfo *info) {
        for (size_t i = 0; i < n_rules; i++)
                if (procrules_rule_matches(&rules[i], info))
                        return (ssize_t) i;
        return -ENOENT;
}

static bool has_glob(const char *s) {
        return strpbrk(s, "*?[\\") != NULL;
}

bool procrules_names_explicitly(const ProcessRule *rule, const ProcInfo *info) {
        const ProcessMatch *m = &rule->match;

        if (!procrules_rule_matches(rule, info))
                return false;
        if (m->comm && !has_glob(m->comm) && strcmp(m->comm, info->stat.comm) == 0)
                return true;
        if (m->exe && !has_glob(m->exe) && (info->have & PROC_INFO_EXE) && strcmp(m->exe, info->exe) == 0)
                return true;
        return false;
}

/* The first guard that applies: PID 1, kernel thread (PF_KTHREAD in stat,
 * or "Kthread: 1"), self_pid, oom_score_adj -1000 (only checked when info
 * holds PROC_INFO_OOM_SCORE_ADJ). */
static ProcGuard procrules_guard(const ProcInfo *info, pid_t self_pid) {
        if (info->stat.pid == 1)
                return PROC_GUARD_PID1;
        if ((info->stat.flags & PROC_PF_KTHREAD) ||
            ((info->have & PROC_INFO_STATUS) && info->status.kthread))
                return PROC_GUARD_KTHREAD;
        if (info->stat.pid == self_pid)
                return PROC_GUARD_SELF;
        if ((info->have & PROC_INFO_OOM_SCORE_ADJ) && info->oom_score_adj == OOM_SCORE_ADJ_MIN)
                return PROC_GUARD_OOM_DISABLED;
        return PROC_GUARD_NONE;
}

int procrules_decide(const ProcessRule *rules, size_t n_rules, const ProcInfo *info, pid_t self_pid,
                     const ProcParent *parent, ProcDecision *ret) {
        ProcGuard g = procrules_guard(info, self_pid);
        ssize_t m = procrules_match(rules, n_rules, info);

        if (m >= 0) {
                bool allowed = g == PROC_GUARD_NONE || procrules_names_explicitly(&rules[m], info);

                *ret = (ProcDecision) {
                        .verdict = allowed ? PROC_VERDICT_APPLY : PROC_VERDICT_GUARDED,
                        .guard = g,
                        .rule = m,
                        .oom_score_adj = rules[m].oom_score_adj,
                };
                return 0;
        }

        if (parent && parent->rule >= 0 && (size_t) parent->rule < n_rules &&
            rules[parent->rule].reset_children && g == PROC_GUARD_NONE && !in_kubepods(info) &&
            (info->have & PROC_INFO_OOM_SCORE_ADJ) && info->oom_score_adj == parent->oom_score_adj &&
            info->oom_score_adj != 0) {
                *ret = (ProcDecision) {
                        .verdict = PROC_VERDICT_RESET,
                        .rule = parent->rule,
                        .oom_score_adj = 0,
                };
                return 0;
        }

        *ret = (ProcDecision) { .verdict = PROC_VERDICT_NONE, .guard = g, .rule = -1 };
        return 0;
}

/* clang-format off: one entry per line */
static const char *const proc_guard_table[_PROC_GUARD_MAX] = {
        [PROC_GUARD_NONE] = "none",
        [PROC_GUARD_PID1] = "pid1",
        [PROC_GUARD_KTHREAD] = "kernel-thread",
        [PROC_GUARD_SELF] = "memtuned",
        [PROC_GUARD_OOM_DISABLED] = "oom-disabled",
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(proc_guard, ProcGuard, );

/* clang-format off: one entry per line */
static const char *const proc_verdict_table[_PROC_VERDICT_MAX] = {
        [PROC_VERDICT_NONE] = "none",
        [PROC_VERDICT_APPLY] = "apply",
        [PROC_VERDICT_RESET] = "reset",
        [PROC_VERDICT_GUARDED] = "guarded",
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(proc_verdict, ProcVerdict, );

/* ---- applying --------------------------------------------------------------- */

struct ProcRules {
        int proc_fd;
        pid_t self_pid;
        bool dry_run;
        bool fixture; /* proc_fd is not a procfs: decide only */
        const ProcessRule *rules;
        size_t n_rules;
        unsigned needs;
        uint16_t *rule_name; /* per rule: its interned name */
        ssize_t *name_rule;  /* per interned name: the current rule of that name, -1 */
        size_t n_name_rule;
        bool *denied;     /* per rule: a denial has been reported */
        bool warned_full; /* a refusal of the full table has been reported */
        ProcTable *table;
        DIR *proc_dir; /* kept open: a rescan rewinds it instead of allocating */
        ProcInfo info; /* scratch: the hot path does not allocate */
};

int procrules_new(int proc_fd, pid_t self_pid, size_t max_pidfds, ProcRules **ret) {
        ProcRules *pr;
        int r;

        pr = calloc(1, sizeof(*pr));
        if (!pr)
                return -ENOMEM;
        r = proctable_new(max_pidfds, &pr->table);
        if (r < 0) {
                free(pr);
                return r;
        }
        pr->proc_fd = proc_fd;
        pr->self_pid = self_pid;
        pr->needs = PROC_INFO_STAT;
        {
                struct statfs sfs;

                pr->fixture = fstatfs(proc_fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC;
        }
        *ret = pr;
        return 0;
}

ProcRules *procrules_free(ProcRules *pr) {
        if (!pr)
                return NULL;
        proctable_free(pr->table);
        if (pr->proc_dir)
                closedir(pr->proc_dir);
        free(pr->rule_name);
        free(pr->name_rule);
        free(pr->denied);
        free(pr);
        return NULL;
}

int procrules_set_rules(ProcRules *pr, const ProcessRule *rules, size_t n_rules) {
        _cleanup_free_ uint16_t *rule_name = NULL;
        _cleanup_free_ ssize_t *name_rule = NULL;
        _cleanup_free_ bool *denied = NULL;
        size_t n_names = 0;
        int r;

        rule_name = calloc(MAX(n_rules, (size_t) 1), sizeof(uint16_t));
        denied = calloc(MAX(n_rules, (size_t) 1), sizeof(bool));
        if (!rule_name || !denied)
                return -ENOMEM;

        for (size_t i = 0; i < n_rules; i++) {
                r = proctable_intern(pr->table, rules[i].name ? rules[i].name : "", &rule_name[i]);
                if (r < 0)
                        return r;
                n_names = MAX(n_names, (size_t) rule_name[i] + 1);
        }
        /* Names interned for earlier rules keep their index; map them all. */
        while (proctable_name(pr->table, (uint16_t) n_names))
                n_names++;
        name_rule = calloc(MAX(n_names, (size_t) 1), sizeof(ssize_t));
        if (!name_rule)
                return -ENOMEM;
        for (size_t i = 0; i < n_names; i++)
                name_rule[i] = -1;
        for (size_t i = n_rules; i > 0; i--) /* the first rule of a name wins */
                name_rule[rule_name[i - 1]] = (ssize_t) (i - 1);

        free(pr->rule_name);
        free(pr->name_rule);
        free(pr->denied);
        pr->rule_name = TAKE_PTR(rule_name);
        pr->name_rule = TAKE_PTR(name_rule);
        pr->n_name_rule = n_names;
        pr->denied = TAKE_PTR(denied);
        pr->rules = rules;
        pr->n_rules = n_rules;
        /* The cgroup whenever there are rules: a process in a kubelet pod
         * is kubelet's (procrules_rule_matches()). */
        pr->needs = procrules_needs(rules, n_rules) | (n_rules > 0 ? PROC_INFO_CGROUP : 0);
        return 0;
}

void procrules_set_dry_run(ProcRules *pr, bool dry_run) {
        pr->dry_run = dry_run;
}

ProcTable *procrules_table(ProcRules *pr) {
        return pr->table;
}

void procrules_forget(ProcRules *pr, pid_t pid) {
        proctable_remove(pr->table, pid);
}

int procrules_explain(ProcRules *pr, pid_t pid, const char **ret_rule_name, bool *ret_tracked) {
        const ProcEntry *e = proctable_get(pr->table, pid);
        ssize_t m;
        int r;

        if (e && (e->pidfd < 0 || procadj_pidfd_alive(e->pidfd) == 1)) {
                *ret_rule_name = proctable_name(pr->table, e->name);
                *ret_tracked = true;
                return 1;
        }
        r = procfs_read(pr->proc_fd, pid, pr->needs, &pr->info);
        if (r < 0)
                return r;
        m = procrules_match(pr->rules, pr->n_rules, &pr->info);
        *ret_tracked = false;
        *ret_rule_name = m >= 0 ? pr->rules[m].name : NULL;
        return m >= 0;
}

/* The parent's rule for reset_children: only a live, tracked parent whose
 * score a rule that still exists set. */
static ProcParent parent_of(ProcRules *pr, pid_t ppid) {
        ProcEntry *e = proctable_get(pr->table, ppid);

        if (!e || e->kind != PROC_ENTRY_RULE || (e->flags & PROC_ENTRY_DENIED))
                return PROC_PARENT_NONE;
        if (e->pidfd >= 0 && procadj_pidfd_alive(e->pidfd) != 1)
                return PROC_PARENT_NONE;
        if (e->name >= pr->n_name_rule || pr->name_rule[e->name] < 0)
                return PROC_PARENT_NONE;
        return (ProcParent) { .rule = pr->name_rule[e->name], .oom_score_adj = e->adj_set };
}

static bool is_denial(int r) {
        return r == -EACCES || r == -EPERM;
}

static void outcome_from(ProcRules *pr, const ProcInfo *info, const ProcDecision *d, ProcOutcome *ret) {
        memcpy(ret->comm, info->stat.comm, sizeof(ret->comm));
        ret->verdict = d->verdict;
        ret->guard = d->guard;
        ret->rule = d->rule;
        ret->rule_name = d->rule >= 0 ? pr->rules[d->rule].name : NULL;
        ret->old_adj = info->oom_score_adj;
        ret->new_adj = d->verdict == PROC_VERDICT_APPLY || d->verdict == PROC_VERDICT_RESET
                               ? d->oom_score_adj
                               : info->oom_score_adj;
}

/* A fixture tree (--proc-root): its pids are not this machine's processes, so
 * no pidfd, no write, no tracking; the decision alone. */
static int apply_fixture(ProcRules *pr, pid_t pid, ProcOutcome *ret) {
        ProcDecision d;
        int r;

        r = procfs_read(pr->proc_fd, pid, pr->needs | PROC_INFO_OOM_SCORE_ADJ, &pr->info);
        if (r == -ESRCH) {
                ret->result = -ESRCH;
                return 0;
        }
        if (r < 0)
                return r;
        procrules_decide(pr->rules, pr->n_rules, &pr->info, pr->self_pid, NULL, &d);
        outcome_from(pr, &pr->info, &d, ret);
        if (d.verdict == PROC_VERDICT_APPLY || d.verdict == PROC_VERDICT_RESET)
                ret->result = PROCADJ_UNCHANGED;
        return 0;
}

/* Pins pid (procadj_pin()) to the pidfd of its tracked entry when it has
 * one, else to a fresh pidfd (*fresh_pidfd, owned by the caller). A tracked
 * process that has been reaped loses its entry; when its number names
 * another process now (-ESTALE), *ret_replaced says so and that process is
 * pinned on its own. Returns the /proc/PID directory fd with the pidfd in
 * *ret_pidfd and the surviving entry (with a pidfd or without one) in
 * *ret_entry, or -ESRCH, -ESTALE, -errno. */
static int pin(ProcRules *pr, pid_t pid, int *fresh_pidfd, int *ret_pidfd, ProcEntry **ret_entry,
               bool *ret_replaced) {
        ProcEntry *e = proctable_get(pr->table, pid);
        int fd;

        if (e && e->pidfd >= 0) {
                fd = procadj_pin(pr->proc_fd, pid, e->pidfd);
                if (fd >= 0) {
                        *ret_pidfd = e->pidfd;
                        *ret_entry = e;
                        return fd;
                }
                if (fd != -ESRCH && fd != -ESTALE)
                        return fd;
                *ret_replaced = fd == -ESTALE;
                proctable_remove(pr->table, pid);
                e = NULL;
        }

        *fresh_pidfd = procadj_pidfd_open(pid);
        if (*fresh_pidfd < 0)
                return *fresh_pidfd;
        fd = procadj_pin(pr->proc_fd, pid, *fresh_pidfd);
        if (fd < 0)
                return fd;
        *ret_pidfd = *fresh_pidfd;
        *ret_entry = e;
        return fd;
}

/* Remembers a process whose score a rule set (or tried to: a denied write
 * is remembered too, so rescans do not retry and warn every time). The
 * pidfd moves into the table unless the entry has one already. A full table
 * (PROCTABLE_ENTRIES_MAX) refuses: the process keeps its score, untracked. */
static int track(ProcRules *pr, const ProcInfo *info, const ProcDecision *d, int r, int *fresh_pidfd,
                 ProcOutcome *ret) {
        ProcEntry *entry = proctable_get(pr->table, info->stat.pid), ne;
        int k;

        ne = (ProcEntry) {
                .start_time = PROC_ENTRY_START(info->stat.start_time),
                .pid = info->stat.pid,
                .pidfd = entry && entry->pidfd >= 0 ? entry->pidfd : TAKE_FD(*fresh_pidfd),
                .comm_hash = proctable_comm_hash(info->stat.comm),
                .adj_set = (int16_t) (r >= 0 ? d->oom_score_adj : info->oom_score_adj),
                .adj_found = (int16_t) (entry ? entry->adj_found : info->oom_score_adj),
                .name = pr->rule_name[d->rule],
                .kind = d->verdict == PROC_VERDICT_RESET ? PROC_ENTRY_RESET : PROC_ENTRY_RULE,
                .flags = r < 0 ? PROC_ENTRY_DENIED : 0,
        };
        k = proctable_add(pr->table, &ne, NULL);
        if (k == -ENOSPC) {
                ret->untracked = true;
                if (!pr->warned_full) {
                        pr->warned_full = true;
                        ret->first_untracked = true;
                }
                return 0;
        }
        return k;
}

int procrules_apply_pid(ProcRules *pr, pid_t pid, ProcOutcome *ret) {
        _cleanup_close_ int fresh_pidfd = -1, pid_fd = -1;
        ProcInfo *info = &pr->info;
        ProcEntry *entry = NULL;
        ProcDecision d;
        ProcParent parent;
        bool replaced = false;
        int pidfd = -1, r, old = 0;
        unsigned flags = 0;

        *ret = (ProcOutcome) { .pid = pid, .verdict = PROC_VERDICT_NONE, .rule = -1 };

        if (pr->fixture)
                return apply_fixture(pr, pid, ret);

        /* The directory is bound to whoever holds the number now; the pidfd
         * still alive afterwards proves that is our process. */
        pid_fd = pin(pr, pid, &fresh_pidfd, &pidfd, &entry, &replaced);
        ret->replaced = replaced;
        if (pid_fd == -ESRCH || pid_fd == -ESTALE) {
                ret->result = pid_fd;
                return 0;
        }
        if (pid_fd < 0)
                return pid_fd;

        r = procfs_read_at(pid_fd, pr->needs | PROC_INFO_OOM_SCORE_ADJ, info);
        if (r == -ESRCH) {
                ret->result = -ESRCH;
                return 0;
        }
        if (r < 0)
                return r;

        /* An entry kept without a pidfd (fd budget) is ours only if the start
         * time agrees; otherwise it is stale. */
        if (entry && entry->pidfd < 0 && entry->start_time != PROC_ENTRY_START(info->stat.start_time)) {
                proctable_remove(pr->table, pid);
                entry = NULL;
        }

        parent = parent_of(pr, info->stat.ppid);
        procrules_decide(pr->rules, pr->n_rules, info, pr->self_pid, &parent, &d);

        outcome_from(pr, info, &d, ret);

        if (d.verdict != PROC_VERDICT_APPLY && d.verdict != PROC_VERDICT_RESET) {
                /* The process keeps whatever memtuned set before, if anything;
                 * remember its new comm so a rescan does not ask again. */
                entry = proctable_get(pr->table, pid);
                if (entry)
                        entry->comm_hash = proctable_comm_hash(info->stat.comm);
                return 0;
        }

        if (pr->dry_run) {
                ret->result = PROCADJ_UNCHANGED;
                return 0;
        }

        /* Spare a process that became unkillable since it was read, unless
         * the rule names it explicitly (then the guard was overridden). */
        if (d.guard == PROC_GUARD_NONE)
                flags |= PROCADJ_SPARE_DISABLED;

        r = procadj_write_at(pid_fd, pidfd, d.oom_score_adj, flags, &old);
        ret->result = r;
        if (r >= 0)
                ret->old_adj = old;
        if (is_denial(r) && !pr->denied[d.rule]) {
                pr->denied[d.rule] = true;
                ret->first_denial = true;
        }
        if (r < 0 && !is_denial(r)) {
                /* Gone, or not written for another reason the outcome
                 * carries; a stale entry goes. */
                if (entry && r == -ESRCH)
                        proctable_remove(pr->table, pid);
                return 0;
        }
        if (r == PROCADJ_SPARED)
                return 0;

        return track(pr, info, &d, r, &fresh_pidfd, ret);
}

/* Could procrules_apply_pid() do anything for this untracked process? */
static bool is_candidate(ProcRules *pr, const ProcInfo *info) {
        ProcParent parent;

        if (procrules_match(pr->rules, pr->n_rules, info) >= 0)
                return true;
        parent = parent_of(pr, info->stat.ppid);
        return parent.rule >= 0 && pr->rules[parent.rule].reset_children;
}

static bool is_fatal(int r) {
        return r == -ENOMEM || r == -EMFILE || r == -ENFILE;
}

int procrules_rescan(ProcRules *pr, bool full, ProcOutcomeCallback cb, void *userdata,
                     ProcRescanStats *ret_stats) {
        ProcRescanStats s = {};
        uint64_t start = now_monotonic();
        ProcInfo *info = &pr->info;
        DIR *d;
        int fd, r = 0;

        s.pruned = (unsigned) proctable_prune(pr->table, pr->proc_fd);
        /* Report the next refusal of a full table again once it has room. */
        if (proctable_size(pr->table) <= PROCTABLE_ENTRIES_MAX / 4 * 3)
                pr->warned_full = false;

        if (!pr->proc_dir) {
                fd = openat(pr->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                pr->proc_dir = fdopendir(fd);
                if (!pr->proc_dir) {
                        r = negative_errno();
                        close(fd);
                        return r;
                }
        } else
                rewinddir(pr->proc_dir);
        d = pr->proc_dir;

        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                ProcOutcome o;
                ProcEntry *e;
                uint64_t v;
                const char *end;
                pid_t pid;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                if (parse_u64(de->d_name, de->d_name + strlen(de->d_name), &end, &v) < 0 || *end ||
                    v > INT32_MAX)
                        continue;
                pid = (pid_t) v;
                s.seen++;

                e = proctable_get(pr->table, pid);
                if (!e || !full) {
                        /* A tracked process: prune() just checked its pidfd,
                         * only an exec (new comm) is worth a second look. An
                         * untracked one: what the rules need to decide. */
                        r = procfs_read(pr->proc_fd, pid, e ? 0 : pr->needs, info);
                        if (r == -ESRCH) {
                                s.vanished++;
                                continue;
                        }
                        if (r < 0) {
                                if (is_fatal(r))
                                        goto finish;
                                continue;
                        }
                        if (e && proctable_comm_hash(info->stat.comm) == e->comm_hash &&
                            (e->pidfd >= 0 || e->start_time == PROC_ENTRY_START(info->stat.start_time))) {
                                s.skipped++;
                                continue;
                        }
                        if (!e && !is_candidate(pr, info))
                                continue;
                }

                r = procrules_apply_pid(pr, pid, &o);
                if (r < 0) {
                        if (is_fatal(r))
                                goto finish;
                        continue;
                }
                if (o.verdict == PROC_VERDICT_APPLY || o.verdict == PROC_VERDICT_RESET)
                        s.matched++;
                if (o.verdict == PROC_VERDICT_GUARDED)
                        s.guarded++;
                if (o.result == PROCADJ_WRITTEN)
                        s.written++;
                else if (o.result == -ESRCH)
                        s.vanished++;
                else if (o.result == -ESTALE || o.replaced)
                        s.impostors++;
                else if (is_denial(o.result))
                        s.denied++;

                if (o.verdict != PROC_VERDICT_NONE && cb) {
                        r = cb(&o, userdata);
                        if (r < 0)
                                goto finish;
                }
        }
        r = errno != 0 ? negative_errno() : 0;

finish:
        s.duration_usec = now_monotonic() - start;
        if (ret_stats)
                *ret_stats = s;
        return r < 0 ? r : 0;
}
