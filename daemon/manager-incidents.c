/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's side of OOM incidents (incident.h): noticing each kernel
 * OOM kill, gathering the evidence, and handing the record to the journal,
 * the history file, the bus and the metrics; and `why PID`.
 *
 * Noticing: the kernel counts every OOM kill in /proc/vmstat oom_kill, and
 * counts it before it sends the victim SIGKILL (mm/oom_kill.c
 * __oom_kill_process()). So a SIGKILL death that the proc connector reports
 * while the counter has not risen is not an OOM kill (a userspace killer,
 * earlyoom, systemd-oomd), and one that comes with a rise is the candidate.
 * Each SIGKILL exit costs a read of /proc/vmstat (about 22 us); nothing
 * else wakes the daemon at idle. The tick compares the counter too: without
 * the connector (or events lost) a kill is still counted, with a victim that
 * is not named. While memory is low, a timer (250 ms to 5 s, by the cost of
 * a walk of /proc) keeps the prediction fresh and compares the counter as
 * well.
 *
 * Global or cgroup: memory.events "oom" of a cgroup v2 counts the times it
 * (or a cgroup below it) hit its limit and found nothing to reclaim; a
 * global OOM does not count there. The deepest cgroup on the victim's path
 * whose "oom" rose with the kill is the one whose limit was hit. They are
 * read at the victim's exit (its /proc/PID/cgroup is still there while it
 * is a zombie), against the values read the last time; the first time a
 * cgroup is seen it is judged from its own counts (oom >= oom_kill, and not
 * 0: every kill in it was a limit's), and the record says so.
 *
 * Two races: systemd removes a unit's cgroup as soon as its processes are
 * dead, which can be before memtuned reads it. A cgroup gone (the directory
 * too, not just memory.events) below the deepest one whose "oom" rose, when
 * that one has no limit of its own (memory.max "max"), is taken as the one
 * whose limit was hit, and the record says it is inferred. And a parent
 * may reap the victim before its /proc/PID/cgroup is read: then the
 * top-level cgroups (the children of the root, at most 64) tell, since "oom"
 * counts the OOMs below too and the root has no limit: none rose, and all
 * were read, is global; one rose is a limit at or below it (approximate: an
 * OOM in a limited cgroup that killed nothing counts as well). They are
 * read at start, at each SIGKILL exit with a rise and after each record,
 * and also give a top-level cgroup on a victim's path its baseline. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "clock.h"
#include "incident.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "parse.h"
#include "statefile.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"
#define JOURNAL_SOCKET_PATH "/run/systemd/journal/socket"

/* SIGKILL deaths waiting for a rise of the counter. A rise claims those seen
 * within INCIDENT_SETTLE_USEC after it; more than 16 at once are beyond what
 * a record can tell apart anyway. */
#define EXITS_MAX 16
/* After a rise, further SIGKILL deaths are collected this long before the
 * record is made: a userspace killer's victim that died at the same count
 * must make the record say "uncertain" rather than be taken for the OOM's.
 * Short, because the record should follow the kill within a second, and
 * under emulation the victim's exit alone came up to 0.87 s after the
 * kernel's "Killed process" line (its 140 MiB unmapped first). */
#define INCIDENT_SETTLE_USEC (50 * USEC_PER_MSEC)
/* A rise seen (by the tick) before any SIGKILL death: the victim's exit is
 * waited for this long, then the record says it is not named. The victim
 * exits once it runs again, which in a thrashing guest took over a second:
 * a 0.9 s wait lost the first of ten victims. */
#define INCIDENT_EXIT_WAIT_USEC (5 * USEC_PER_SEC)
/* After an OOM kill the next one is likely (a service restarted, a loop of
 * jobs): the prediction stays fast this long after the last kill. */
#define INCIDENT_AFTER_KILL_USEC (60 * USEC_PER_SEC)
/* Memory is low below this share of MemTotal available; under pressure
 * or after a kill the prediction is refreshed every 20 walks' time (at most
 * 5% of a CPU), but not more often than every 250 ms nor less than every
 * 5 s: a process that grows by 100 MiB/s crosses the last 15% of a 512 MiB
 * guest in under a second, and the kill order must have seen it grown.
 * See predict_interval(). */
#define INCIDENT_LOW_PERCENT 15
#define INCIDENT_PREDICT_MIN_USEC (250 * USEC_PER_MSEC)
#define INCIDENT_PREDICT_MAX_USEC (5 * USEC_PER_SEC)
#define INCIDENT_PREDICT_COST_FACTOR 20
#define INCIDENT_PREDICT_QUIET_USEC (10 * USEC_PER_SEC)
/* On a calm machine the prediction is refreshed at a tick at most this
 * often: a walk of /proc costs 3 ms at 300 processes. */
#define INCIDENT_PREDICT_CALM_USEC (300 * USEC_PER_SEC)
/* Window points: one per tick (at least 1 s apart while memory is low): 64
 * cover the minute before even at one tick a second. */
#define WINDOW_POINTS 64
/* The cgroups whose memory.events were read, with the counts then: the
 * baseline that tells a rise from an old count. A kill reads the victim's
 * path (a few cgroups); 32, replaced in turn, hold the paths of several. */
#define CGROUP_CACHE 32

typedef struct WindowPoint {
        uint64_t usec;
        uint64_t allocstall, pgscan_direct, pgscan_kswapd;
} WindowPoint;

typedef struct CgroupCount {
        char path[INCIDENT_TEXT_MAX];
        uint64_t oom, oom_kill;
} CgroupCount;

typedef struct ManagerIncidents {
        int cgroup_fd;     /* the cgroup2 mount, -1 without */
        uint64_t oom_kill; /* the counter as last compared */
        bool have_oom_kill;
        /* Rises not yet turned into records: from pending_before to oom_kill. */
        uint64_t pending_before;
        uint64_t last_kill_usec; /* of the last rise; 0 none */
        MemInfo meminfo;         /* read by the prediction timer */
        sd_event_source *settle_timer, *predict_timer;

        IncidentPrediction prediction;
        IncidentPrediction scratch; /* the next prediction, until it proves taken before any kill */
        uint64_t predict_cost_usec; /* the last walk's duration */
        IncidentExit exits[EXITS_MAX];
        size_t n_exits;

        WindowPoint points[WINDOW_POINTS];
        size_t n_points, next_point;
        CgroupCount cgroups[CGROUP_CACHE];
        size_t n_cgroups, next_cgroup;
        /* The top-level cgroups as read last (at start, each SIGKILL exit
         * with a rise, each record), and a scratch for the next reading. */
        IncidentTopCgroups top, top_now;

        /* Oldest first, as the file lists them: a new record past the last
         * slot moves the others down one (110 kB copied once per OOM kill),
         * so that saving needs no second copy in memory that is short. */
        Incident history[INCIDENT_HISTORY_MAX];
        size_t n_history;
        uint64_t next_id;
        size_t unpublished;

        Incident fresh[4];
        VmStat vmstat;
        ProcInfo info;
        char text[INCIDENT_HISTORY_FILE_MAX];
} ManagerIncidents;

static const Incident *history_at(const ManagerIncidents *mi, size_t i) {
        return &mi->history[i];
}

/* ---- the history file ---------------------------------------------------------- */

static void history_save(Manager *m) {
        ManagerIncidents *mi = m->incidents;
        int n, r;

        n = incident_history_format(mi->history, mi->n_history, mi->text, sizeof(mi->text));
        r = n < 0 ? n : statefile_write(m->actuator.state_fd, INCIDENT_HISTORY_FILE, mi->text, (size_t) n);
        if (r < 0)
                log_warning_errno(r,
                                  "Failed to save the incident history in '%s/" INCIDENT_HISTORY_FILE
                                  "', ignoring: %m",
                                  m->config.state_dir);
}

static void history_load(Manager *m) {
        ManagerIncidents *mi = m->incidents;
        char err[256];
        unsigned line = 0;
        int r;

        r = statefile_read(m->actuator.state_fd, INCIDENT_HISTORY_FILE, mi->text, sizeof(mi->text));
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_error_errno(r,
                                "Failed to read '%s/" INCIDENT_HISTORY_FILE
                                "', starting with an empty incident history: %m",
                                m->config.state_dir);
                return;
        }
        r = incident_history_parse(mi->text, (size_t) r, mi->history, INCIDENT_HISTORY_MAX, &line, err,
                                   sizeof(err));
        if (r < 0) {
                memset(mi->history, 0, sizeof(mi->history));
                log_error("%s/" INCIDENT_HISTORY_FILE ":%u: %s; the incident history is ignored (moved "
                          "aside to " INCIDENT_HISTORY_FILE ".corrupt) and starts empty.",
                          m->config.state_dir, line, err);
                (void) statefile_move_aside(m->actuator.state_fd, INCIDENT_HISTORY_FILE);
                return;
        }
        mi->n_history = (size_t) r;
        for (size_t i = 0; i < mi->n_history; i++)
                mi->next_id = MAX(mi->next_id, mi->history[i].id + 1);
        if (r > 0)
                log_info("%d OOM incident%s kept from before the restart.", r, r == 1 ? "" : "s");
}

/* ---- evidence ------------------------------------------------------------------ */

/* /proc/vmstat's oom_kill now, and the whole vmstat into mi->vmstat. */
static int read_vmstat(Manager *m, uint64_t *ret) {
        ManagerIncidents *mi = m->incidents;
        const char *buf;
        size_t len;
        int r;

        r = procfile_read(&m->sampler.vmstat, &buf, &len);
        if (r < 0)
                return r;
        r = vmstat_parse(buf, len, &mi->vmstat);
        if (r < 0)
                return r;
        if (!vmstat_has(&mi->vmstat, VMSTAT_OOM_KILL))
                return -ENODATA;
        *ret = mi->vmstat.field[VMSTAT_OOM_KILL];
        return 0;
}

/* A rise of the counter not yet recorded: a prediction now would be of
 * the machine after the kill, without its victim. */
static bool kill_pending(const ManagerIncidents *mi) {
        return mi->have_oom_kill && mi->oom_kill > mi->pending_before;
}

static void adj_source_text(const KillOrderEntry *e, char *buf, size_t size) {
        int adj = e->candidate.oom_score_adj;

        if (e->rule && e->tracked && !e->overridden)
                snprintf(buf, size, "memtuned's rule '%s'", e->rule);
        else if (e->rule && e->tracked)
                snprintf(buf, size, "someone else (memtuned's rule '%s' had set %d)", e->rule, e->rule_adj);
        else if (adj == 0)
                snprintf(buf, size, "nobody (the default 0)%s%s%s", e->rule ? "; rule '" : "", e->rule ?: "",
                         e->rule ? "' matches but memtuned did not apply it" : "");
        else
                snprintf(buf, size,
                         "not memtuned: its parent (inherited), the program itself or its service "
                         "(OOMScoreAdjust=)%s%s%s",
                         e->rule ? "; rule '" : "", e->rule ?: "", e->rule ? "' matches" : "");
}

/* Takes memtuned's kill order now as the prediction. */
static void compare(Manager *m, uint64_t count, uint64_t now);

static void predict(Manager *m, uint64_t now) {
        ManagerIncidents *mi = m->incidents;
        IncidentPrediction *p = &mi->scratch;
        const KillOrderEntry *e;
        uint64_t count;
        uint64_t page_size = (uint64_t) sysconf(_SC_PAGESIZE);
        size_t n;
        int r;

        /* A kill since the last look: record it from the prediction before. */
        if (read_vmstat(m, &count) >= 0)
                compare(m, count, now);
        if (kill_pending(mi))
                return;
        r = manager_list_processes(m, INCIDENT_PREDICTION_MAX, &e, &n);
        mi->predict_cost_usec = now_monotonic() - now;
        if (r < 0) {
                log_debug_errno(r, "Failed to rank the processes for the incident prediction, ignoring: %m");
                return;
        }
        p->time_usec = now;
        p->totalpages = oom_totalpages(&manager_sample(m)->meminfo, page_size);
        p->n = MIN(n, (size_t) INCIDENT_PREDICTION_MAX);
        for (size_t i = 0; i < p->n; i++) {
                const OomCandidate *c = &e[i].candidate;
                char path[32];
                ssize_t l;

                p->p[i] = (IncidentProcess) {
                        .pid = c->pid,
                        .oom_score_adj = c->oom_score_adj,
                        .rss_pages = c->rss_pages,
                        .swap_pages = c->swap_pages,
                        .pgtable_pages = c->pgtable_pages,
                        .points = c->badness,
                        .score = c->score,
                        .kernel_score = c->kernel_score,
                };
                snprintf(p->p[i].comm, sizeof(p->p[i].comm), "%s", c->comm);
                adj_source_text(&e[i], p->adj_source[i], sizeof(p->adj_source[i]));
                /* The exe is gone with the victim's memory at its exit:
                 * read it now (another user's needs CAP_SYS_PTRACE). */
                snprintf(path, sizeof(path), "%d/exe", (int) c->pid);
                l = readlinkat(m->config.proc_fd, path, p->exe[i], sizeof(p->exe[i]) - 1);
                p->exe[i][l > 0 ? l : 0] = 0;
                p->uid[i] = -1;
                snprintf(path, sizeof(path), "%d/status", (int) c->pid);
                l = read_small_file_at(m->config.proc_fd, path, mi->text, 8192);
                if (l >= 0 && procfs_parse_status(mi->text, (size_t) l, &mi->info.status) >= 0)
                        p->uid[i] = (int64_t) mi->info.status.uid[1];
                p->cgroup[i][0] = 0;
                snprintf(path, sizeof(path), "%d/cgroup", (int) c->pid);
                l = read_small_file_at(m->config.proc_fd, path, mi->text, 4096);
                if (l >= 0 &&
                    procfs_parse_cgroup(mi->text, (size_t) l, mi->info.cgroup, sizeof(mi->info.cgroup)) >=
                            0 &&
                    strlen(mi->info.cgroup) < sizeof(p->cgroup[i]))
                        memcpy(p->cgroup[i], mi->info.cgroup, strlen(mi->info.cgroup) + 1);
        }
        /* A kill during the walk (200 ms under emulation) may have taken the
         * victim out of it, dying: the prediction before stays in force. */
        if (read_vmstat(m, &count) >= 0 && mi->have_oom_kill && count != mi->oom_kill) {
                compare(m, count, now_monotonic());
                return;
        }
        memcpy(&mi->prediction, p, sizeof(*p));
}

/* How often the prediction is taken between ticks (0: not, the ticks do):
 * under pressure or within a minute of a kill, every 20 walks' time within
 * 250 ms..5 s; with little memory available and nothing else going on,
 * every 10 s (a database that fills 90% of a host for good must not wake
 * memtuned 4 times a second; as it runs out, reclaim stalls raise the
 * pressure). mem: the tick's sample, or read by the timer just now. */
static uint64_t predict_interval(const Manager *m, const MemInfo *mem, uint64_t now) {
        const ManagerIncidents *mi = m->incidents;
        uint64_t total = mem->field[MEMINFO_MEM_TOTAL], avail = mem->field[MEMINFO_MEM_AVAILABLE];
        uint64_t t = mi->predict_cost_usec * INCIDENT_PREDICT_COST_FACTOR;

        t = MIN(MAX(t, INCIDENT_PREDICT_MIN_USEC), INCIDENT_PREDICT_MAX_USEC);
        if (m->plan.pressure != PRESSURE_NONE ||
            (mi->last_kill_usec > 0 && now < mi->last_kill_usec + INCIDENT_AFTER_KILL_USEC))
                return t;
        if (avail * 100 < total * INCIDENT_LOW_PERCENT)
                return MAX(t, INCIDENT_PREDICT_QUIET_USEC);
        return 0;
}

static void window_push(ManagerIncidents *mi, uint64_t now, const VmStat *v) {
        WindowPoint *w;

        if (mi->n_points > 0) {
                const WindowPoint *last = &mi->points[(mi->next_point + WINDOW_POINTS - 1) % WINDOW_POINTS];
                if (now < last->usec + USEC_PER_SEC)
                        return;
        }
        w = &mi->points[mi->next_point];
        *w = (WindowPoint) {
                .usec = now,
                .allocstall = v->field[VMSTAT_ALLOCSTALL],
                .pgscan_direct = v->field[VMSTAT_PGSCAN_DIRECT],
                .pgscan_kswapd = v->field[VMSTAT_PGSCAN_KSWAPD],
        };
        mi->next_point = (mi->next_point + 1) % WINDOW_POINTS;
        if (mi->n_points < WINDOW_POINTS)
                mi->n_points++;
}

static double rate(uint64_t now_v, uint64_t then_v, uint64_t usec) {
        return now_v > then_v && usec > 0 ? (double) (now_v - then_v) * 1e6 / (double) usec : 0;
}

/* The minute before now, from the window points and mi->vmstat (read now). */
static void window_fill(Manager *m, uint64_t now, IncidentWindow *ret) {
        ManagerIncidents *mi = m->incidents;
        const WindowPoint *from = NULL;
        const char *buf;
        size_t len;
        Psi psi;

        *ret = (IncidentWindow) {};
        /* The newest point at least a minute old, else the oldest. */
        for (size_t i = 0; i < mi->n_points; i++) {
                const WindowPoint *w = &mi->points[(mi->next_point + WINDOW_POINTS - 1 - i) % WINDOW_POINTS];

                if (w->usec >= now)
                        continue;
                from = w;
                if (now - w->usec >= INCIDENT_WINDOW_USEC)
                        break;
        }
        if (from) {
                ret->usec = now - from->usec;
                ret->allocstall_per_s =
                        rate(mi->vmstat.field[VMSTAT_ALLOCSTALL], from->allocstall, ret->usec);
                ret->pgscan_direct_per_s =
                        rate(mi->vmstat.field[VMSTAT_PGSCAN_DIRECT], from->pgscan_direct, ret->usec);
                ret->pgscan_kswapd_per_s =
                        rate(mi->vmstat.field[VMSTAT_PGSCAN_KSWAPD], from->pgscan_kswapd, ret->usec);
        }
        /* The kernel's own averages over 10 and 60 s. */
        if (m->sampler.psi.fd >= 0 && procfile_read(&m->sampler.psi, &buf, &len) >= 0 &&
            psi_parse(buf, len, &psi) >= 0) {
                ret->psi = true;
                ret->psi_some_avg10 = psi.some.avg10 / 100.0;
                ret->psi_some_avg60 = psi.some.avg60 / 100.0;
                ret->psi_full_avg10 = psi.full.avg10 / 100.0;
                ret->psi_full_avg60 = psi.full.avg60 / 100.0;
        }
}

static void decisions_text(const Manager *m, uint64_t now, char *buf, size_t size) {
        const Decision *d[MANAGER_DECISIONS_MAX];
        size_t n = manager_get_decisions(m, 0, d), len = 0;

        buf[0] = 0;
        for (size_t i = n; i > 0; i--) { /* oldest first */
                const Decision *x = d[i - 1];
                int k;

                if (x->time_usec + INCIDENT_WINDOW_USEC < now)
                        continue;
                k = snprintf(buf + len, size - len, "%s%s %" PRIu64 " -> %" PRIu64 " (%s)", len ? "; " : "",
                             tunable_info(x->tunable)->name, x->old_value, x->new_value,
                             tunable_source_to_string(x->source));
                if (k < 0 || (size_t) k >= size - len)
                        break;
                len += (size_t) k;
        }
}

static void tunables_text(const Manager *m, char *buf, size_t size) {
        const Tunables *t = &manager_sample(m)->tunables;
        size_t len = 0;

        buf[0] = 0;
        for (TunableId id = 0; id < _TUNABLE_MAX; id++) {
                int k;

                if (!tunables_has(t, id))
                        continue;
                k = snprintf(buf + len, size - len, "%s%s=%" PRIu64, len ? " " : "", tunable_info(id)->name,
                             id < _TUNABLE_MANAGED_MAX && m->expected_valid[id] ? m->expected[id]
                                                                                : t->value[id]);
                if (k < 0 || (size_t) k >= size - len)
                        break;
                len += (size_t) k;
        }
}

static CgroupCount *cgroup_cached(ManagerIncidents *mi, const char *path) {
        for (size_t i = 0; i < mi->n_cgroups; i++)
                if (strcmp(mi->cgroups[i].path, path) == 0)
                        return &mi->cgroups[i];
        return NULL;
}

/* Reads a cgroup's memory.events (path relative to the cgroup2 root):
 * READ with its counts, NO_MEMORY when the directory is there without the
 * file, GONE when the directory is gone too. */
static IncidentCgroupState cgroup_read_events(int fd, const char *path, uint64_t *ret_oom,
                                              uint64_t *ret_kill) {
        char file[INCIDENT_TEXT_MAX + 32], buf[512];
        struct stat st;
        int r;

        snprintf(file, sizeof(file), "%s/memory.events", path);
        r = read_small_file_at(fd, file, buf, sizeof(buf));
        if (r >= 0)
                r = incident_parse_memory_events(buf, (size_t) r, ret_oom, ret_kill);
        if (r >= 0)
                return INCIDENT_CGROUP_READ;
        if (r != -ENOENT)
                return INCIDENT_CGROUP_FAILED;
        /* Without the file: no memory controller there, or the cgroup was
         * removed (systemd removes a unit's once its processes are dead,
         * which may be before memtuned reads it). */
        if (fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return S_ISDIR(st.st_mode) ? INCIDENT_CGROUP_NO_MEMORY : INCIDENT_CGROUP_FAILED;
        return errno == ENOENT ? INCIDENT_CGROUP_GONE : INCIDENT_CGROUP_FAILED;
}

/* Reads the top-level cgroups' memory.events "oom" into ret. */
static void top_read(ManagerIncidents *mi, IncidentTopCgroups *ret) {
        struct dirent *de;
        DIR *d;
        int fd;

        ret->n = 0;
        ret->complete = false;
        if (mi->cgroup_fd < 0)
                return;
        fd = openat(mi->cgroup_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return;
        }
        ret->complete = true;
        while ((errno = 0, de = readdir(d))) {
                IncidentCgroupState st;
                uint64_t oom, kill;

                if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                        continue;
                st = cgroup_read_events(mi->cgroup_fd, de->d_name, &oom, &kill);
                if (st == INCIDENT_CGROUP_NO_MEMORY || st == INCIDENT_CGROUP_GONE)
                        continue;
                if (st == INCIDENT_CGROUP_FAILED || ret->n >= INCIDENT_TOP_MAX ||
                    strlen(de->d_name) + 2 > sizeof(ret->c[0].path)) {
                        ret->complete = false;
                        continue;
                }
                snprintf(ret->c[ret->n].path, sizeof(ret->c[ret->n].path), "/%s", de->d_name);
                ret->c[ret->n++].oom = oom;
        }
        if (errno != 0)
                ret->complete = false;
        closedir(d);
}

/* Reads memory.events along x->cgroup, deepest first, and judges it
 * (incident_judge_path()). A cgroup not read before takes the top-level
 * reading as its baseline when it is one. When one is gone, memory.max of
 * those read says which has a limit of its own. */
static void cgroup_evidence(ManagerIncidents *mi, IncidentExit *x) {
        IncidentCgroupReading r[INCIDENT_TEXT_MAX / 2];
        char path[INCIDENT_TEXT_MAX], buf[64];
        bool gone = false;
        size_t n = 0;

        if (mi->cgroup_fd < 0 || x->cgroup[0] != '/' || strstr(x->cgroup, "/.."))
                return;
        snprintf(path, sizeof(path), "%s", x->cgroup);
        while (strlen(path) > 1 && n < ELEMENTSOF(r)) {
                IncidentCgroupReading *c = &r[n++];
                const IncidentTopCgroup *t = NULL;
                const CgroupCount *cached;
                char *slash;

                *c = (IncidentCgroupReading) { .len = strlen(path), .limited = -1 };
                c->state = cgroup_read_events(mi->cgroup_fd, path + 1, &c->oom, &c->oom_kill);
                gone = gone || c->state == INCIDENT_CGROUP_GONE;
                cached = cgroup_cached(mi, path);
                if (!cached)
                        for (size_t i = 0; i < mi->top.n; i++)
                                if (strcmp(mi->top.c[i].path, path) == 0)
                                        t = &mi->top.c[i];
                if (cached || t) {
                        c->have_before = true;
                        c->oom_before = cached ? cached->oom : t->oom;
                }
                slash = strrchr(path, '/');
                if (!slash || slash == path)
                        break;
                *slash = 0;
        }
        for (size_t i = 0; gone && i < n; i++) {
                uint64_t limit;
                ssize_t l;

                if (r[i].state != INCIDENT_CGROUP_READ)
                        continue;
                snprintf(path, sizeof(path), "%.*s/memory.max", (int) r[i].len - 1, x->cgroup + 1);
                l = read_small_file_at(mi->cgroup_fd, path, buf, sizeof(buf));
                if (l >= 0 && incident_parse_memory_max(buf, (size_t) l, &limit) >= 0)
                        r[i].limited = limit != UINT64_MAX;
        }
        incident_judge_path(r, n, x);

        /* The counts now are the baseline of the next kill. */
        for (size_t i = 0; i < n; i++) {
                CgroupCount *c;

                if (r[i].state != INCIDENT_CGROUP_READ)
                        continue;
                snprintf(path, sizeof(path), "%.*s", (int) r[i].len, x->cgroup);
                c = cgroup_cached(mi, path);
                if (!c) {
                        c = &mi->cgroups[mi->next_cgroup];
                        mi->next_cgroup = (mi->next_cgroup + 1) % CGROUP_CACHE;
                        mi->n_cgroups =
                                MAX(mi->n_cgroups, mi->next_cgroup == 0 ? CGROUP_CACHE : mi->next_cgroup);
                        snprintf(c->path, sizeof(c->path), "%s", path);
                }
                c->oom = r[i].oom;
                c->oom_kill = r[i].oom_kill;
        }
}

/* The victim's scope when its own cgroups did not tell (its path unknown
 * or unreadable): from the top-level cgroups' counts against the last
 * reading; the reading now becomes the baseline either way. */
static void top_evidence(ManagerIncidents *mi, IncidentExit *x) {
        IncidentScope s;

        if (mi->cgroup_fd < 0)
                return;
        top_read(mi, &mi->top_now);
        if (!x->oom_cgroup[0] && !x->cgroup_read) {
                s = incident_judge_top(&mi->top, &mi->top_now, x->oom_cgroup, sizeof(x->oom_cgroup));
                if (s != INCIDENT_SCOPE_UNKNOWN)
                        x->inference = INCIDENT_INFERENCE_TOP_LEVEL;
                x->cgroup_read = s == INCIDENT_SCOPE_GLOBAL;
        }
        memcpy(&mi->top, &mi->top_now, sizeof(mi->top));
}

/* ---- records ------------------------------------------------------------------- */

static void log_incident(const Incident *v) {
        char summary[1024], next[512] = "", rank[16];
        size_t len = 0;

        incident_summary(v, summary, sizeof(summary));
        for (size_t i = 0; i < v->n_next; i++) {
                int k = snprintf(next + len, sizeof(next) - len, "%s%d (%s) %" PRIi64, i ? ", " : "",
                                 (int) v->next[i].pid, v->next[i].comm, v->next[i].points);
                if (k < 0 || (size_t) k >= sizeof(next) - len)
                        break;
                len += (size_t) k;
        }
        snprintf(rank, sizeof(rank), "%u", v->rank);

        if (log_on_journal() && access(JOURNAL_SOCKET_PATH, F_OK) >= 0 &&
            sd_journal_send(
                    "MESSAGE=%s", summary, "MESSAGE_ID=" MEMTUNED_INCIDENT_MESSAGE_ID, "PRIORITY=%i",
                    LOG_WARNING, "SYSLOG_IDENTIFIER=%s", program_invocation_short_name,
                    "MEMTUNED_INCIDENT_ID=%" PRIu64, v->id, "MEMTUNED_SCOPE=%s",
                    incident_scope_to_string(v->scope), "MEMTUNED_CGROUP=%s", v->cgroup,
                    "MEMTUNED_IDENTIFICATION=%s", incident_ident_to_string(v->ident),
                    "MEMTUNED_IDENTIFICATION_REASON=%s", v->ident_reason, "MEMTUNED_VICTIM_PID=%d",
                    (int) v->pid, "MEMTUNED_VICTIM_COMM=%s", v->comm, "MEMTUNED_VICTIM_EXE=%s", v->exe,
                    "MEMTUNED_VICTIM_UNIT=%s", v->unit, "MEMTUNED_VICTIM_UID=%" PRIi64, v->uid,
                    "MEMTUNED_RSS_PAGES=%" PRIu64, v->rss_pages, "MEMTUNED_SWAP_PAGES=%" PRIu64,
                    v->swap_pages, "MEMTUNED_PAGE_TABLE_PAGES=%" PRIu64, v->pgtable_pages,
                    "MEMTUNED_OOM_SCORE_ADJ=%d", v->oom_score_adj, "MEMTUNED_OOM_SCORE_ADJ_SET_BY=%s",
                    v->adj_source, "MEMTUNED_POINTS=%" PRIi64, v->points, "MEMTUNED_KERNEL_OOM_SCORE=%u",
                    v->kernel_score, "MEMTUNED_RANK=%s", rank, "MEMTUNED_NEXT=%s", next,
                    "MEMTUNED_EXPLANATION=%s", v->explanation, "MEMTUNED_DETECT_DELAY_USEC=%" PRIu64,
                    v->detect_delay_usec, "MEMTUNED_PSI_SOME_AVG10=%.2f", v->window.psi_some_avg10,
                    "MEMTUNED_PSI_FULL_AVG10=%.2f", v->window.psi_full_avg10,
                    "MEMTUNED_ALLOCSTALL_PER_S=%.1f", v->window.allocstall_per_s,
                    "MEMTUNED_PGSCAN_DIRECT_PER_S=%.1f", v->window.pgscan_direct_per_s,
                    "MEMTUNED_DECISIONS=%s", v->decisions, "MEMTUNED_TUNABLES=%s", v->tunables, NULL) >= 0)
                return;
        log_warning("%s", summary);
}

static void record(Manager *m, const Incident *v) {
        ManagerIncidents *mi = m->incidents;
        Incident *slot;

        if (mi->n_history == INCIDENT_HISTORY_MAX) {
                memmove(&mi->history[0], &mi->history[1], sizeof(Incident) * (INCIDENT_HISTORY_MAX - 1));
                mi->n_history--;
        }
        slot = &mi->history[mi->n_history++];
        *slot = *v;
        mi->next_id = v->id + 1;
        if ((size_t) v->scope < METRICS_INCIDENT_SCOPES)
                m->metrics_counters.incidents[v->scope]++;
        if (mi->unpublished < INCIDENT_HISTORY_MAX)
                mi->unpublished++;
        log_incident(v);
}

/* Turns the pending rise into records with the exits collected. */
static void settle(Manager *m) {
        ManagerIncidents *mi = m->incidents;
        char decisions[INCIDENT_LONG_TEXT_MAX], tunables[INCIDENT_TEXT_MAX];
        uint64_t now = now_monotonic(), used = 0;
        IncidentInput in;
        size_t n;

        if (mi->oom_kill <= mi->pending_before)
                return;
        /* The rates up to now (a rise the tick saw leaves mi->vmstat older);
         * a further rise in it is the next record's. */
        (void) read_vmstat(m, &(uint64_t) { 0 });
        in = (IncidentInput) {
                .now_usec = now,
                .realtime_usec = clock_usec(CLOCK_REALTIME),
                .oom_kill_before = mi->pending_before,
                .oom_kill_after = mi->oom_kill,
                .exits = mi->exits,
                .n_exits = mi->n_exits,
                .exits_watched = m->procwatch && !procwatch_paused(m->procwatch),
                .prediction = &mi->prediction,
                .next_id = mi->next_id ?: 1,
        };
        window_fill(m, now, &in.window);
        decisions_text(m, now, decisions, sizeof(decisions));
        tunables_text(m, tunables, sizeof(tunables));
        in.decisions = decisions;
        in.tunables = tunables;

        n = incident_assemble(&in, mi->fresh, ELEMENTSOF(mi->fresh), &used);
        for (size_t i = 0; i < n; i++)
                record(m, &mi->fresh[i]);
        if (mi->oom_kill - mi->pending_before > n)
                log_warning("%" PRIu64 " more OOM kills at once than memtuned describes; counted only.",
                            mi->oom_kill - mi->pending_before - n);
        mi->pending_before = mi->oom_kill;
        /* A kill whose victim's exit was not seen raised the counts too. */
        top_read(mi, &mi->top);
        /* Exits not claimed were not OOM kills (their SIGKILL came from
         * elsewhere): forgotten. */
        mi->n_exits = 0;
        (void) used;
        if (n > 0)
                history_save(m);
        manager_flush_changes(m);
}

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        settle(userdata);
        return 0;
}

static void arm_settle(Manager *m, uint64_t usec_from_now) {
        ManagerIncidents *mi = m->incidents;
        int r;

        r = sd_event_source_set_time(mi->settle_timer, now_monotonic() + usec_from_now);
        if (r >= 0)
                r = sd_event_source_set_enabled(mi->settle_timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the incident timer, recording now: %m");
                settle(m);
        }
}

/* Compares the counter; a rise starts a record (after the settle time, or
 * the wait for the victim's exit when none is in yet). */
static void compare(Manager *m, uint64_t count, uint64_t now) {
        ManagerIncidents *mi = m->incidents;

        if (!mi->have_oom_kill || count < mi->oom_kill) { /* first reading, or another machine */
                mi->oom_kill = mi->pending_before = count;
                mi->have_oom_kill = true;
                mi->n_exits = 0;
                return;
        }
        if (count == mi->oom_kill)
                return;
        mi->oom_kill = count;
        mi->last_kill_usec = now;
        arm_settle(m, mi->n_exits > 0 ? INCIDENT_SETTLE_USEC : INCIDENT_EXIT_WAIT_USEC);
}

/* Who set a dead process's oom_score_adj: memtuned's table still has it
 * (the caller forgets it after this). info NULL: the process was reaped
 * before it could be read; only the value memtuned set is known then. */
static void exit_adj(Manager *m, IncidentExit *x, const ProcInfo *info) {
        const ProcEntry *e = m->procrules ? proctable_get(procrules_table(m->procrules), x->pid) : NULL;
        const char *rule = e ? proctable_name(procrules_table(m->procrules), e->name) : NULL;
        KillOrderEntry k = {};

        if (info && !(info->have & PROC_INFO_OOM_SCORE_ADJ))
                return;
        if (!info && !(e && rule))
                return;
        x->has_adj = true;
        x->oom_score_adj = info ? info->oom_score_adj : e->adj_set;
        k.candidate.oom_score_adj = x->oom_score_adj;
        if (e && rule) {
                k.rule = rule;
                k.tracked = true;
                k.rule_adj = e->adj_set;
                k.overridden = e->adj_set != x->oom_score_adj;
        }
        adj_source_text(&k, x->adj_source, sizeof(x->adj_source));
}

void manager_incidents_exit(Manager *m, const ProcWatchEvent *ev) {
        ManagerIncidents *mi = m->incidents;
        uint64_t count, now = now_monotonic();
        IncidentExit *x;
        int r;

        if (!mi || ev->tid != ev->pid || procwatch_exit_signal(ev) != SIGKILL)
                return;
        r = read_vmstat(m, &count);
        if (r < 0) {
                log_debug_errno(r, "Failed to read oom_kill at pid %d's SIGKILL, ignoring: %m",
                                (int) ev->pid);
                return;
        }
        /* No rise, none pending: someone else's SIGKILL, not the kernel's. */
        if (mi->have_oom_kill && count == mi->oom_kill && mi->oom_kill == mi->pending_before) {
                log_debug("pid %d died of SIGKILL without an OOM kill counted: not an incident.",
                          (int) ev->pid);
                return;
        }
        if (mi->n_exits >= EXITS_MAX)
                return;
        x = &mi->exits[mi->n_exits++];
        *x = (IncidentExit) { .pid = ev->pid, .uid = -1, .oom_kill_seen = count };
        /* The kernel's CLOCK_MONOTONIC nanoseconds, as ours. */
        x->time_usec = ev->timestamp_nsec / 1000;
        if (x->time_usec == 0 || x->time_usec > now)
                x->time_usec = now;
        /* A zombie until its parent reaps it: stat, status and cgroup are there. */
        r = procfs_read(m->config.proc_fd, ev->pid,
                        PROC_INFO_STATUS | PROC_INFO_CGROUP | PROC_INFO_OOM_SCORE_ADJ, &mi->info);
        if (r >= 0) {
                exit_adj(m, x, &mi->info);
                snprintf(x->comm, sizeof(x->comm), "%s", mi->info.stat.comm);
                x->uid = (int64_t) mi->info.status.uid[1];
                if (mi->info.have & PROC_INFO_CGROUP) {
                        /* A longer path is cut: it names no cgroup then, and none is read. */
                        if (strlen(mi->info.cgroup) < sizeof(x->cgroup))
                                memcpy(x->cgroup, mi->info.cgroup, strlen(mi->info.cgroup) + 1);
                        snprintf(x->unit, sizeof(x->unit), "%s", mi->info.unit);
                }
        } else {
                log_debug_errno(r, "pid %d: reaped before its exit could be read: %m", (int) ev->pid);
                exit_adj(m, x, NULL);
        }
        /* Reaped already (a shell waits for it): what the prediction saw. */
        for (size_t i = 0; !x->cgroup[0] && i < mi->prediction.n; i++)
                if (mi->prediction.p[i].pid == x->pid && mi->prediction.cgroup[i][0]) {
                        if (x->uid < 0)
                                x->uid = mi->prediction.uid[i];
                        memcpy(x->cgroup, mi->prediction.cgroup[i], sizeof(x->cgroup));
                        if (procfs_cgroup_unit(x->cgroup, x->unit, sizeof(x->unit)) < 0)
                                x->unit[0] = 0;
                }
        cgroup_evidence(mi, x);
        top_evidence(mi, x);

        if (count != mi->oom_kill || !mi->have_oom_kill)
                compare(m, count, now);
        else /* a rise the tick saw first: the wait for this exit ends */
                arm_settle(m, INCIDENT_SETTLE_USEC);
}

static int on_predict_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        ManagerIncidents *mi = m->incidents;
        uint64_t now = now_monotonic(), count;

        const MemInfo *mem = &manager_sample(m)->meminfo;
        uint64_t interval;
        const char *buf;
        size_t len;

        if (read_vmstat(m, &count) >= 0) {
                window_push(mi, now, &mi->vmstat);
                compare(m, count, now);
        }
        /* Between ticks memory is read here: the tick's may be a minute old. */
        if (procfile_read(&m->sampler.meminfo, &buf, &len) >= 0 &&
            meminfo_parse(buf, len, &mi->meminfo) >= 0)
                mem = &mi->meminfo;
        interval = predict_interval(m, mem, now);
        if (interval == 0)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        predict(m, now);
        (void) sd_event_source_set_time(s, now + interval);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

void manager_incidents_tick(Manager *m, uint64_t now) {
        ManagerIncidents *mi = m->incidents;
        const Sample *s = manager_sample(m);
        int enabled = SD_EVENT_OFF;
        uint64_t interval, due = USEC_INFINITY;

        if (!mi)
                return;
        window_push(mi, now, &s->vmstat);
        if (vmstat_has(&s->vmstat, VMSTAT_OOM_KILL))
                compare(m, s->vmstat.field[VMSTAT_OOM_KILL], now);

        interval = predict_interval(m, &s->meminfo, now);
        if (interval > 0) {
                if (now >= mi->prediction.time_usec + interval)
                        predict(m, now);
                /* Armed, or sooner than it was (pressure came since). */
                (void) sd_event_source_get_enabled(mi->predict_timer, &enabled);
                if (enabled != SD_EVENT_OFF)
                        (void) sd_event_source_get_time(mi->predict_timer, &due);
                if (enabled == SD_EVENT_OFF || due > now + interval) {
                        (void) sd_event_source_set_time(mi->predict_timer, now + interval);
                        (void) sd_event_source_set_enabled(mi->predict_timer, SD_EVENT_ONESHOT);
                }
        } else if (mi->prediction.time_usec == 0 ||
                   now >= mi->prediction.time_usec + INCIDENT_PREDICT_CALM_USEC)
                predict(m, now);
}

int manager_incidents_start(Manager *m) {
        ManagerIncidents *mi;
        struct statfs sf;
        int r;

        mi = calloc(1, sizeof(ManagerIncidents));
        if (!mi)
                return log_error_errno(ENOMEM, "Out of memory.");
        m->incidents = mi;
        mi->next_id = 1;
        mi->cgroup_fd = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mi->cgroup_fd >= 0 && (fstatfs(mi->cgroup_fd, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC))
                mi->cgroup_fd = safe_close(mi->cgroup_fd);
        if (mi->cgroup_fd < 0)
                log_debug("No cgroup v2 at " CGROUP_ROOT ": OOM kills are not told apart by cgroup.");

        r = sd_event_add_time(m->event, &mi->settle_timer, CLOCK_MONOTONIC, USEC_INFINITY,
                              10 * USEC_PER_MSEC, on_settle_timer, m);
        if (r >= 0)
                r = sd_event_add_time(m->event, &mi->predict_timer, CLOCK_MONOTONIC, USEC_INFINITY,
                                      100 * USEC_PER_MSEC, on_predict_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(mi->settle_timer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_source_set_enabled(mi->predict_timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to add the incident timers: %m");

        top_read(mi, &mi->top);
        history_load(m);
        if (vmstat_has(&m->cur->vmstat, VMSTAT_OOM_KILL))
                compare(m, m->cur->vmstat.field[VMSTAT_OOM_KILL], m->cur->timestamp_usec);
        return 0;
}

void manager_incidents_stop(Manager *m) {
        ManagerIncidents *mi = m->incidents;

        if (!mi)
                return;
        mi->settle_timer = sd_event_source_disable_unref(mi->settle_timer);
        mi->predict_timer = sd_event_source_disable_unref(mi->predict_timer);
        safe_close(mi->cgroup_fd);
        free(mi);
        m->incidents = NULL;
}

size_t manager_get_incidents(const Manager *m, size_t limit, const Incident *ret[]) {
        const ManagerIncidents *mi = m->incidents;
        size_t n;

        if (!mi)
                return 0;
        n = limit == 0 ? mi->n_history : MIN(limit, mi->n_history);
        for (size_t i = 0; i < n; i++)
                ret[i] = history_at(mi, mi->n_history - 1 - i);
        return n;
}

size_t manager_incidents_take_unpublished(Manager *m) {
        size_t n;

        if (!m->incidents)
                return 0;
        n = MIN(m->incidents->unpublished, m->incidents->n_history);
        m->incidents->unpublished = 0;
        return n;
}

/* ---- why PID ---------------------------------------------------------------------- */

/* Whether a ranks before b in the kernel's choice (oomscore_sort()'s order). */
static bool ranks_before(const OomCandidate *a, const OomCandidate *b) {
        if (a->killable != b->killable)
                return a->killable;
        if (a->badness != b->badness)
                return a->badness > b->badness;
        return a->pid > b->pid;
}

typedef struct WhyFacts {
        OomCandidate c;
        uint64_t totalpages;
        int64_t adj_pages;
        size_t rank, ranked; /* among the killable processes; rank 0: unkillable */
        const OomCandidate *next, *prev;
        int adj_below;
        bool adj_possible;
        char rule[INCIDENT_LONG_TEXT_MAX];
} WhyFacts;

static void why_rule(Manager *m, const ProcInfo *info, const OomCandidate *c, char *buf, size_t size) {
        const Policy *p = m->policy;
        const char *name = NULL;
        bool tracked = false;
        ProcDecision d;
        int r;

        (void) procrules_decide(p->rules, p->n_rules, info, getpid(), &PROC_PARENT_NONE, &d);
        if (m->procrules && procrules_explain(m->procrules, c->pid, &name, &tracked) > 0 && tracked) {
                const ProcEntry *e = proctable_get(procrules_table(m->procrules), c->pid);

                if (e && e->adj_set != c->oom_score_adj)
                        snprintf(buf, size,
                                 "rule '%s' set oom_score_adj %d, but someone changed it since to %d", name,
                                 e->adj_set, c->oom_score_adj);
                else
                        snprintf(buf, size, "rule '%s' set oom_score_adj %d%s", name ?: "?",
                                 c->oom_score_adj,
                                 e && e->kind == PROC_ENTRY_RESET ? " (its parent's rule resets children)"
                                                                  : "");
                return;
        }
        switch (d.verdict) {
        case PROC_VERDICT_APPLY:
                snprintf(buf, size, "rule '%s' matches (oom_score_adj %d)%s", p->rules[d.rule].name,
                         d.oom_score_adj,
                         manager_enforcing(m) ? "" : "; memtuned observes only and does not write it");
                break;
        case PROC_VERDICT_GUARDED:
                snprintf(buf, size,
                         "rule '%s' matches, but memtuned leaves the process alone (%s) because the rule "
                         "does not name it by its comm or exe",
                         p->rules[d.rule].name, proc_guard_to_string(d.guard));
                break;
        default:
                r = snprintf(buf, size, "none of the %zu rules of policy '%s' matches (comm '%s'",
                             p->n_rules, p->name, info->stat.comm);
                if (r > 0 && (size_t) r < size)
                        snprintf(buf + r, size - (size_t) r, ", exe %.200s, unit %s, uid %u)",
                                 info->have & PROC_INFO_EXE ? info->exe : "(unreadable)",
                                 info->unit[0] ? info->unit : "(none)", (unsigned) info->status.uid[1]);
                if (c->oom_score_adj != 0)
                        snprintf(
                                buf + strlen(buf), size - strlen(buf),
                                "; its oom_score_adj %d was inherited from its parent or set by the program "
                                "or its service (OOMScoreAdjust=)",
                                c->oom_score_adj);
        }
}

static void why_text(FILE *f, const WhyFacts *w, const ProcInfo *info) {
        const OomCandidate *c = &w->c;
        double total = (double) c->rss_pages + (double) c->swap_pages + (double) c->pgtable_pages +
                       (double) (w->adj_pages < 0 ? -w->adj_pages : w->adj_pages);

#define SHARE(x) (total > 0 ? 100.0 * (double) (x) / total : 0.0)
        fprintf(f, "pid %d (%s)", (int) c->pid, c->comm);
        if (info->have & PROC_INFO_EXE)
                fprintf(f, " exe %s", info->exe);
        if (info->unit[0])
                fprintf(f, " unit %s", info->unit);
        fprintf(f, " uid %u\n", (unsigned) info->status.uid[1]);
        if (!c->killable) {
                fprintf(f, "Never chosen by the OOM killer: %s.\n",
                        c->pid == 1                             ? "it is init"
                        : info->stat.flags & PROC_PF_KTHREAD    ? "a kernel thread"
                        : c->oom_score_adj <= OOM_SCORE_ADJ_MIN ? "oom_score_adj -1000"
                                                                : "it has no memory (a zombie)");
        } else {
                fprintf(f, "Badness %" PRIi64 " points (pages; totalpages %" PRIu64 "):\n", c->badness,
                        w->totalpages);
                fprintf(f, "  %-16s %12" PRIu64 " %6.1f%%\n", "rss", c->rss_pages, SHARE(c->rss_pages));
                fprintf(f, "  %-16s %12" PRIu64 " %6.1f%%\n", "swap", c->swap_pages, SHARE(c->swap_pages));
                fprintf(f, "  %-16s %12" PRIu64 " %6.1f%%\n", "page tables", c->pgtable_pages,
                        SHARE(c->pgtable_pages));
                fprintf(f, "  %-16s %12" PRIi64 " %6.1f%%  (%d x %" PRIu64 " pages)\n", "oom_score_adj",
                        w->adj_pages, SHARE(w->adj_pages < 0 ? -w->adj_pages : w->adj_pages),
                        c->oom_score_adj, w->totalpages / 1000);
        }
        fprintf(f, "oom_score: memtuned %u, kernel %u\n", c->score, c->kernel_score);
        fprintf(f, "Rule: %s.\n", w->rule);
        if (w->rank > 0) {
                fprintf(f, "Rank: %zu of %zu killable processes", w->rank, w->ranked);
                if (w->prev)
                        fprintf(f, "; after pid %d (%s) with %" PRIi64 " points", (int) w->prev->pid,
                                w->prev->comm, w->prev->badness);
                fprintf(f, ".\n");
                if (w->next && w->adj_possible)
                        fprintf(f,
                                "To rank below the next, pid %d (%s) with %" PRIi64
                                " points: oom_score_adj %d or lower (now %d).\n",
                                (int) w->next->pid, w->next->comm, w->next->badness, w->adj_below,
                                c->oom_score_adj);
                else if (w->next)
                        fprintf(f,
                                "No oom_score_adj above -1000 ranks it below the next, pid %d (%s) with %" PRIi64
                                " points; -1000 exempts it.\n",
                                (int) w->next->pid, w->next->comm, w->next->badness);
                else
                        fprintf(f, "It is the last killable process.\n");
        }
#undef SHARE
}

static void why_json(FILE *f, const WhyFacts *w, const ProcInfo *info) {
        const OomCandidate *c = &w->c;
        JsonWriter j;

        json_init(&j, f, false);
        json_object_begin(&j, NULL);
        json_i64(&j, "pid", c->pid);
        json_string(&j, "comm", c->comm);
        json_string(&j, "exe", info->have & PROC_INFO_EXE ? info->exe : NULL);
        json_string(&j, "unit", info->unit[0] ? info->unit : NULL);
        json_u64(&j, "uid", info->status.uid[1]);
        json_bool(&j, "killable", c->killable);
        json_u64(&j, "totalpages", w->totalpages);
        json_u64(&j, "rss_pages", c->rss_pages);
        json_u64(&j, "swap_pages", c->swap_pages);
        json_u64(&j, "page_table_pages", c->pgtable_pages);
        json_i64(&j, "oom_score_adj", c->oom_score_adj);
        json_i64(&j, "oom_score_adj_pages", w->adj_pages);
        if (c->killable)
                json_i64(&j, "points", c->badness);
        else
                json_null(&j, "points");
        json_u64(&j, "score", c->score);
        json_u64(&j, "kernel_score", c->kernel_score);
        json_string(&j, "rule", w->rule);
        json_u64(&j, "rank", w->rank);
        json_u64(&j, "ranked", w->ranked);
        if (w->next) {
                json_object_begin(&j, "next");
                json_i64(&j, "pid", w->next->pid);
                json_string(&j, "comm", w->next->comm);
                json_i64(&j, "points", w->next->badness);
                json_object_end(&j);
                if (w->adj_possible)
                        json_i64(&j, "oom_score_adj_to_rank_below_next", w->adj_below);
                else
                        json_null(&j, "oom_score_adj_to_rank_below_next");
        }
        json_object_end(&j);
        json_finish(&j);
}

static int memstream_run(void (*fn)(FILE *, const WhyFacts *, const ProcInfo *), const WhyFacts *w,
                         const ProcInfo *info, char **ret) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        if (!f)
                return -ENOMEM;
        fn(f, w, info);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/* The Tgid of /proc/PID/status: pid itself for a process, its process's
 * for a thread; pid when it cannot be read (the caller reads it anyway). */
static pid_t thread_group(Manager *m, pid_t pid) {
        char path[32], buf[2048];
        const char *end, *q;
        uint64_t v;
        int n;

        snprintf(path, sizeof(path), "%d/status", (int) pid);
        n = read_small_file_at(m->config.proc_fd, path, buf, sizeof(buf));
        if (n < 0)
                return pid;
        end = buf + n;
        for (const char *p = buf; p < end; p = line_next(p, end))
                if (line_startswith_word(p, end, "Tgid", &q) && q < end && *q == ':' &&
                    parse_u64(skip_blanks(q + 1, end), end, &q, &v) >= 0 && v > 0 && v <= INT32_MAX)
                        return (pid_t) v;
        return pid;
}

int manager_why(Manager *m, pid_t pid, char **ret_text, char **ret_json, char *msg, size_t msg_size) {
        ManagerIncidents *mi = m->incidents;
        uint64_t page_size = (uint64_t) sysconf(_SC_PAGESIZE);
        const KillOrderEntry *e;
        WhyFacts w = {};
        size_t n;
        int r;

        if (!mi || pid <= 0) {
                snprintf(msg, msg_size, "No process %d.", (int) pid);
                return -ESRCH;
        }
        r = procfs_read(m->config.proc_fd, pid, PROC_INFO_ALL, &mi->info);
        if (r == -ESRCH || r == -ENOENT) {
                snprintf(msg, msg_size, "No process %d.", (int) pid);
                return -ESRCH;
        }
        if (r < 0) {
                snprintf(msg, msg_size, "Cannot read process %d: %s", (int) pid, strerror(-r));
                return r;
        }
        if (thread_group(m, pid) != pid) { /* /proc/TID answers for a thread too */
                snprintf(msg, msg_size, "%d is a thread, not a process.", (int) pid);
                return -ESRCH;
        }
        w.totalpages = oom_totalpages(&manager_sample(m)->meminfo, page_size);
        r = oomscore_from_info(&mi->info, w.totalpages ?: 1, page_size, &w.c);
        if (r < 0) {
                snprintf(msg, msg_size, "Cannot read the memory of process %d.", (int) pid);
                return r;
        }
        w.adj_pages = (int64_t) w.c.oom_score_adj * (int64_t) (w.totalpages / 1000);
        why_rule(m, &mi->info, &w.c, w.rule, sizeof(w.rule));

        r = manager_list_processes(m, 0, &e, &n);
        if (r < 0) {
                snprintf(msg, msg_size, "Cannot rank the processes: %s", strerror(-r));
                return r;
        }
        /* Ranked against the others as listed (at most 1 s old), with its
         * own terms read now. */
        if (w.c.killable) {
                w.rank = 1;
                for (size_t i = 0; i < n; i++) {
                        const OomCandidate *o = &e[i].candidate;

                        if (o->pid == pid || !o->killable)
                                continue;
                        w.ranked++;
                        if (ranks_before(o, &w.c)) {
                                w.rank++;
                                w.prev = o;
                        } else if (!w.next)
                                w.next = o;
                }
                w.ranked++;
                if (w.next)
                        w.adj_below = incident_adj_below(w.c.rss_pages + w.c.swap_pages + w.c.pgtable_pages,
                                                         w.next->badness, w.totalpages, &w.adj_possible);
        }

        r = memstream_run(why_text, &w, &mi->info, ret_text);
        if (r < 0)
                return r;
        r = memstream_run(why_json, &w, &mi->info, ret_json);
        if (r < 0) {
                *ret_text = mfree(*ret_text);
                return r;
        }
        return 0;
}
