/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's side of process rules: the proc connector, rescans, and
 * logging what happened to each process. The rules themselves live in
 * procrules.c; this file only wires them into the event loop. */
#include <errno.h>
#include <string.h>
#include <inttypes.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "procadj.h"

static const char *rule_name(const ProcOutcome *o) {
        return o->rule_name ? o->rule_name : "?";
}

/* Logs one process's outcome; never fails (it is also a rescan callback). */
static int on_outcome(const ProcOutcome *o, void *userdata) {
        Manager *m = userdata;
        bool observe = !manager_enforcing(m);
        const char *what = o->verdict == PROC_VERDICT_RESET ? "reset by the parent's rule" : "rule";

        if (o->verdict != PROC_VERDICT_APPLY && o->verdict != PROC_VERDICT_RESET)
                return 0;
        m->metrics_counters.rule_matches++;
        if (o->result == PROCADJ_WRITTEN)
                m->metrics_counters.rule_writes++;
        else if (o->result < 0 && o->result != -ESRCH && o->result != -ESTALE)
                m->metrics_counters.rule_write_failures++;

        if (o->first_untracked)
                log_warning(
                        "Tracking %u processes, the most memtuned remembers: pid %d (%s) and further new "
                        "processes get their score but are not remembered until tracked ones exit.",
                        PROCTABLE_ENTRIES_MAX, (int) o->pid, o->comm);

        switch (o->result) {
        case PROCADJ_WRITTEN:
                log_info("pid %d (%s): oom_score_adj %d -> %d (%s '%s')", (int) o->pid, o->comm, o->old_adj,
                         o->new_adj, what, rule_name(o));
                manager_note_process_adjusted(m, o->pid, o->comm, o->old_adj, o->new_adj, rule_name(o));
                break;
        case PROCADJ_UNCHANGED:
                if (observe && o->old_adj != o->new_adj)
                        log_info("(observe) pid %d (%s): oom_score_adj %d -> %d (%s '%s')", (int) o->pid,
                                 o->comm, o->old_adj, o->new_adj, what, rule_name(o));
                break;
        case PROCADJ_SPARED:
        case -ESRCH: /* exited between the event and the write: normal */ break;
        case -ESTALE:
                log_warning("pid %d: the number now names another process; nothing written (rule '%s').",
                            (int) o->pid, rule_name(o));
                break;
        case -EACCES:
        case -EPERM:
                /* Once per rule, not once per process. */
                if (o->first_denial)
                        log_warning_errno(
                                o->result,
                                "Rule '%s': cannot set oom_score_adj %d on pid %d (%s): %m. Lowering a "
                                "score needs CAP_SYS_RESOURCE, another user's process CAP_DAC_OVERRIDE; "
                                "further refusals for this rule are not logged.",
                                rule_name(o), o->new_adj, (int) o->pid, o->comm);
                break;
        default:
                if (o->result < 0)
                        log_warning_errno(o->result,
                                          "Failed to set oom_score_adj %d on pid %d (%s), ignoring: %m",
                                          o->new_adj, (int) o->pid, o->comm);
        }
        return 0;
}

static void rescan(Manager *m, bool full) {
        ProcRescanStats stats;
        int r;

        r = procrules_rescan(m->procrules, full, on_outcome, m, &stats);
        if (r < 0)
                log_warning_errno(r, "Process rescan failed, ignoring: %m");
        else
                log_debug("Rescanned %u processes in %" PRIu64 " us: %u matched, %u written, %u pruned.",
                          stats.seen, stats.duration_usec, stats.matched, stats.written, stats.pruned);
}

/* The periodic rescan is a safety net and may run anywhere in the next
 * interval: with that much slack sd-event runs it when the loop wakes anyway
 * (a sample, the watchdog), which a calm machine's loop does at least once a
 * minute, instead of waking the daemon for it alone. A rescan asked for now
 * (lost events, new rules) runs now. */
static void arm_rescan(Manager *m, uint64_t usec_from_now) {
        int r;

        r = sd_event_source_set_time(m->rescan_timer, now_monotonic() + usec_from_now);
        if (r >= 0)
                r = sd_event_source_set_time_accuracy(m->rescan_timer, usec_from_now ?: 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->rescan_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to arm the process rescan timer: %m");
}

static int on_rescan_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        rescan(m, m->rescan_full);
        m->rescan_full = false;
        arm_rescan(m,
                   m->procwatch ? MANAGER_RESCAN_INTERVAL_USEC : MANAGER_RESCAN_INTERVAL_NO_CONNECTOR_USEC);
        manager_flush_changes(m);
        return 0;
}

static int on_proc_event(const ProcWatchEvent *ev, void *userdata) {
        Manager *m = userdata;
        ProcOutcome o;
        int r;

        switch (ev->type) {
        case PROC_WATCH_LOST:
                log_notice("The kernel dropped process events; rescanning /proc.");
                arm_rescan(m, 0);
                return 0;
        case PROC_WATCH_EXIT:
                /* The leader's exit ends the process for us: its entry and
                 * pidfd go now, not at the next rescan. Other threads' exits
                 * (the kernel cannot filter them out) change nothing. */
                if (ev->tid == ev->pid) {
                        manager_incidents_exit(m, ev);
                        procrules_forget(m->procrules, ev->pid);
                }
                return 0;
        case PROC_WATCH_EXEC:
        case PROC_WATCH_COMM: break;
        default: return 0;
        }

        r = procrules_apply_pid(m->procrules, ev->pid, &o);
        if (r < 0) {
                log_debug_errno(r, "pid %d: cannot apply rules, ignoring: %m", (int) ev->pid);
                return 0;
        }
        return on_outcome(&o, m);
}

/* The proc connector socket that memtuned.service gets from PID 1
 * (memtuned-procevents.socket, FileDescriptorName=procevents), or -1 when
 * run otherwise. Other passed descriptors are closed. */
static int take_listen_fd(const char *name) {
        char **names = NULL;
        int n, fd = -1;

        n = sd_listen_fds_with_names(true, &names);
        for (int i = 0; i < n; i++) {
                if (fd < 0 && names && names[i] && strcmp(names[i], name) == 0)
                        fd = SD_LISTEN_FDS_START + i;
                else
                        (void) close(SD_LISTEN_FDS_START + i);
                if (names)
                        free(names[i]);
        }
        free(names);
        return fd;
}

static int on_procwatch(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int r;

        r = procwatch_receive(m->procwatch, on_proc_event, m);
        if (r < 0)
                log_warning_errno(r, "Failed to receive process events, ignoring: %m");
        manager_flush_changes(m);
        return 0;
}

/* Each tracked process holds a pidfd: lift the soft file limit to the hard
 * one (systemd's default hard limit is 524288). */
static void raise_nofile(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                log_debug_errno(errno, "Failed to raise RLIMIT_NOFILE, ignoring: %m");
}

/* Without process rules the events are of no use: memtuned stops listening
 * rather than wake for every exec on the machine. */
static void listen_if_rules(Manager *m, size_t n_rules) {
        bool pause = n_rules == 0;
        int r;

        if (!m->procwatch || procwatch_paused(m->procwatch) == pause)
                return;
        r = procwatch_set_paused(m->procwatch, pause);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->procwatch_source, pause ? SD_EVENT_OFF : SD_EVENT_ON);
        if (r < 0)
                log_warning_errno(r, "Failed to %s process events, ignoring: %m",
                                  pause ? "pause" : "resume");
        else
                log_info(pause ? "No process rules: not listening to process events."
                               : "Process rules: listening to process events again.");
}

int manager_procs_start(Manager *m) {
        int r;

        raise_nofile();
        r = procrules_new(m->config.proc_fd, getpid(), 0, &m->procrules);
        if (r < 0)
                return log_error_errno(r, "Failed to set up process rules: %m");
        r = procrules_set_rules(m->procrules, m->policy->rules, m->policy->n_rules);
        if (r < 0)
                return log_error_errno(r, "Failed to set the process rules: %m");
        procrules_set_dry_run(m->procrules, !manager_enforcing(m));

        r = procwatch_open_fd(take_listen_fd("procevents"), PROC_WATCH_TRACK_MASK, &m->procwatch);
        if (r < 0)
                log_notice_errno(
                        r,
                        "No process events from the kernel's proc connector (%m); relying on a /proc "
                        "rescan every %" PRIu64 " s.",
                        MANAGER_RESCAN_INTERVAL_NO_CONNECTOR_USEC / USEC_PER_SEC);
        else {
                r = sd_event_add_io(m->event, &m->procwatch_source, procwatch_fd(m->procwatch), EPOLLIN,
                                    on_procwatch, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch process events: %m");
                listen_if_rules(m, m->policy->n_rules);
        }

        /* The first full scan runs as soon as the loop starts. */
        m->rescan_full = true;
        r = sd_event_add_time(m->event, &m->rescan_timer, CLOCK_MONOTONIC, 0, 0, on_rescan_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the process rescan timer: %m");
        return 0;
}

int manager_procs_policy_changed(Manager *m, const Policy *p) {
        int r;

        if (!m->procrules)
                return 0;
        /* The cached kill order borrows rule names from the old rules. */
        manager_processes_invalidate(m);
        r = procrules_set_rules(m->procrules, p->rules, p->n_rules);
        if (r < 0)
                return log_error_errno(r, "Failed to set the new process rules: %m");
        listen_if_rules(m, p->n_rules);
        manager_procs_mode_changed(m);
        m->rescan_full = true;
        arm_rescan(m, 0);
        return 0;
}

void manager_procs_mode_changed(Manager *m) {
        if (m->procrules)
                procrules_set_dry_run(m->procrules, !manager_enforcing(m));
}

void manager_procs_stop(Manager *m) {
        manager_processes_invalidate(m);
        m->procwatch_source = sd_event_source_disable_unref(m->procwatch_source);
        m->rescan_timer = sd_event_source_disable_unref(m->rescan_timer);
        m->procwatch = procwatch_free(m->procwatch);
        m->procrules = procrules_free(m->procrules);
}

void manager_processes_invalidate(Manager *m) {
        m->killorder = mfree(m->killorder);
        m->n_killorder = 0;
}

/* Whether the cached list answers a request for limit entries: it is fresh,
 * and it was built for at least as many (or held every process). */
static bool killorder_cache_fits(const Manager *m, size_t limit, uint64_t now) {
        if (!m->killorder || now >= m->killorder_usec + MANAGER_PROCESSES_CACHE_USEC)
                return false;
        if (m->killorder_limit == 0 || m->n_killorder < m->killorder_limit)
                return true; /* every process is in it */
        return limit != 0 && limit <= m->killorder_limit;
}

int manager_list_processes(Manager *m, size_t limit, const KillOrderEntry **ret, size_t *ret_n) {
        uint64_t now = now_monotonic();
        KillOrderEntry *e = NULL;
        size_t n = 0;
        int r;

        if (!killorder_cache_fits(m, limit, now)) {
                r = killorder_list(m->config.proc_fd, &manager_sample(m)->meminfo, m->procrules, limit, &e,
                                   &n);
                if (r < 0)
                        return r;
                free(m->killorder);
                m->killorder = e;
                m->n_killorder = n;
                m->killorder_limit = limit;
                m->killorder_usec = now;
        }
        *ret = m->killorder;
        *ret_n = limit == 0 ? m->n_killorder : MIN(limit, m->n_killorder);
        return 0;
}
