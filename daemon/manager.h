/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "actuator.h"
#include "engine.h"
#include "killorder.h"
#include "metrics.h"
#include "procwatch.h"
#include "override.h"
#include "policy.h"
#include "sample.h"

/* The daemon: one sd-event loop that samples, decides, acts, reloads policy
 * and restores the kernel's values on stop. Owns every other module's state. */

typedef struct ManagerConfig {
        int proc_fd;                    /* borrowed */
        int sys_fd;                     /* borrowed */
        char *const *policy_dirs;       /* borrowed, lowest priority first */
        size_t n_policy_dirs;
        const char *state_dir;
        bool observe;                   /* --observe: never write, whatever the policy says */
        const char *bus;                /* --bus: "system", "user", an address; NULL or "none": no bus */
        bool bus_optional;              /* no --bus given: without a bus (or the name), run anyway */
        const char *metrics_dir;        /* --metrics-dir: write MANAGER_METRICS_FILE there; NULL: not */
} ManagerConfig;

typedef struct Bus Bus;
typedef struct ManagerMetrics ManagerMetrics;

/* The decisions kept for the bus and --once; older ones are dropped. */
#define MANAGER_DECISIONS_MAX 256

/* A PSI trigger: 5% of a 2 s window stalled ("some"). 2 s is the shortest
 * window the kernel grants without CAP_SYS_RESOURCE (TESTBED.md); 100 ms of
 * stall in it is where latency becomes visible. */
#define MANAGER_PSI_STALL_USEC (100 * USEC_PER_MSEC)
#define MANAGER_PSI_WINDOW_USEC (2 * USEC_PER_SEC)

/* A PSI wake is answered at once (the kernel fires a trigger at most once per
 * window). When the last sample is less than this old, the rates of that
 * tick also cover the previous tick's interval: the share of time stalled
 * over the few ms since a timed sample says little (all of them, or none). */
#define MANAGER_PSI_MIN_INTERVAL_USEC (200 * USEC_PER_MSEC)

/* What started a tick. Decision records name it (MEMTUNED_TRIGGER) with the
 * time from that event to the decision (MEMTUNED_REACTION_USEC). */
typedef enum TickCause {
        TICK_TIMER,     /* the sample timer */
        TICK_PSI,       /* the PSI trigger, or any tick that answers its wake */
        TICK_POLICY,    /* a policy reload */
        TICK_ADMIN,     /* SetOverride(), ClearOverride(), SetMode() */
        _TICK_CAUSE_MAX,
} TickCause;

/* "timer", "psi", "policy", "admin"; NULL when out of range. from_string:
 * the cause, or -EINVAL. */
const char *tick_cause_to_string(TickCause c);
int tick_cause_from_string(const char *s);

typedef struct Manager {
        ManagerConfig config;
        char proc_root[256];            /* the --proc-root directory's path, for messages */
        sd_event *event;
        sd_event_source *sample_timer;
        sd_event_source *psi_source;
        struct PolicyWatch *policywatch; /* the policy directories (policywatch.c) */
        int psi_fd;

        Policy *policy;                 /* the last good policy */
        char *policy_error;             /* the last rejected policy's errors, or NULL */
        HostInfo host;

        Sampler sampler;
        bool sampler_ready;
        Sample *prev, *cur;             /* allocated once at start */
        bool have_prev;
        Rates rates;
        bool have_rates;
        Engine engine;
        Plan plan;
        PressureLevel pressure_logged;  /* the level plan_log() last logged */
        Override overrides[_TUNABLE_MANAGED_MAX];
        Actuator actuator;
        bool actuator_open;
        /* What each tunable should hold now: the last sample's value, or what
         * memtuned wrote since. Anything else was changed behind its back. */
        uint64_t expected[_TUNABLE_MANAGED_MAX];
        bool expected_valid[_TUNABLE_MANAGED_MAX];
        /* The last tick's write of each tunable: 1 written, 0 nothing to
         * write, or -errno; what an administrator's call reports. */
        int write_result[_TUNABLE_MANAGED_MAX];

        Decision decisions[MANAGER_DECISIONS_MAX];
        size_t n_decisions, decisions_next;

        uint64_t n_samples;
        /* The PSI trigger's oldest wake no tick has answered yet: sd-event's
         * CLOCK_MONOTONIC time of the epoll wake that reported the fd ready.
         * USEC_INFINITY: none waiting. */
        uint64_t psi_wake_usec;
        /* systemd's watchdog (WATCHDOG_USEC), 0 if off. The tick pings it,
         * so the interval between ticks is at most half of it: a calm
         * daemon wakes once for both, and a stuck sampler trips it too. */
        uint64_t watchdog_usec;
        uint64_t watchdog_ping_usec;
        bool warned_sample_failure;
        char status[320];               /* the last STATUS= sent */

        ProcRules *procrules;           /* process rules, oom_score_adj (manager-procs.c) */
        ProcWatch *procwatch;           /* NULL without the proc connector */
        sd_event_source *procwatch_source, *rescan_timer;
        bool rescan_full;               /* the next rescan re-decides tracked processes too */
        KillOrderEntry *killorder;      /* manager_list_processes()'s cache, or NULL */
        size_t n_killorder, killorder_limit;
        uint64_t killorder_usec;        /* when it was built */

        Bus *bus;                       /* NULL without a bus */
        bool has_runtime_mode;          /* SetMode(): runtime_mode wins over the policy's until reset */
        PolicyMode runtime_mode;

        MetricsCounters metrics_counters; /* incremented where each event happens */
        ManagerMetrics *metrics;        /* manager-metrics.c, NULL until first used */
} Manager;

/* Opens everything the daemon needs (sampler, state directory, policy). An
 * invalid policy at start is logged and replaced by the built-in default (all
 * tunables unmanaged), so the daemon still observes. Returns 0 or -errno,
 * having logged why. */
int manager_new(const ManagerConfig *config, Manager **ret);

/* Restores the original values (unless observing) and frees everything. */
Manager *manager_free(Manager *m);

DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Runs the loop until SIGTERM or SIGINT. Returns 0 or -errno. */
int manager_run(Manager *m);

/* Loads the policy again; a valid one replaces the current one, an invalid
 * one is logged and leaves the current one in force. Returns 0 when the new
 * policy is in force, -EINVAL when it was rejected. */
int manager_reload(Manager *m);

/* Whether writes happen: the policy says enforce and --observe was not given. */
bool manager_enforcing(const Manager *m);

/* The administrator's interface (the bus calls these). Each returns 0 or a
 * negative errno and, on failure, a sentence for the caller in msg; nothing
 * changes on failure. A change applies at once (a tick runs, whose writes the
 * actuator's minimum interval does not hold back): the call returns once the
 * values are written, or -EIO with msg naming the write that failed (the
 * change then stays in force and is written again at each sample). */

/* The bounds context for overrides, from the current state. */
void manager_override_context(const Manager *m, OverrideContext *ret);

/* Checks an override without applying it: the tunable's id, or -EINVAL,
 * -ENOENT, -ENODEV, -ERANGE (override_check()). */
int manager_check_override(Manager *m, const char *name, uint64_t value, uint64_t duration_usec, char *msg,
                           size_t msg_size);

/* Pins a tunable at value for duration_usec (0: until cleared), replacing an
 * override it had, and persists the overrides in the state directory. The
 * errors of manager_check_override(), or -errno from saving. */
int manager_set_override(Manager *m, const char *name, uint64_t value, uint64_t duration_usec, char *msg,
                         size_t msg_size);

/* Ends the override of name, or of every tunable for "" (control returns to
 * the policy). Returns 1 if any was active, 0 if none was; the name errors of
 * manager_check_override(); -errno from saving. */
int manager_clear_override(Manager *m, const char *name, char *msg, size_t msg_size);

/* "enforce" or "observe" until restart, or "" to follow the policy's mode
 * again. -EINVAL for another word, -EPERM for "enforce" under --observe. */
int manager_set_mode(Manager *m, const char *mode, char *msg, size_t msg_size);

/* Where the effective mode comes from: "command-line" (--observe), "runtime"
 * (SetMode) or "policy". */
const char *manager_mode_source(const Manager *m);

/* The newest sample (valid from manager_new() on). */
const Sample *manager_sample(const Manager *m);

/* Process rules (manager-procs.c). A full /proc rescan runs at start, after
 * a policy change, after the kernel reports lost events, and every
 * MANAGER_RESCAN_INTERVAL_USEC as a safety net for what has no event (a uid
 * change or a cgroup move of a process no rule matched yet; a rescan of a
 * hundred processes costs more than all else an idle daemon does); more often
 * without the connector, when rescans are all there is. */
#define MANAGER_RESCAN_INTERVAL_USEC (300 * USEC_PER_SEC)
#define MANAGER_RESCAN_INTERVAL_NO_CONNECTOR_USEC (10 * USEC_PER_SEC)

/* Sets up the rules, the connector (or says once that rescans must do) and
 * the rescan timer. Returns 0 or -errno, having logged. */
int manager_procs_start(Manager *m);

/* Switches to p's rules (before the old policy is freed) and rescans. */
int manager_procs_policy_changed(Manager *m, const Policy *p);

/* Observe or enforce changed: decide only, or write too. */
void manager_procs_mode_changed(Manager *m);

void manager_procs_stop(Manager *m);

/* The kill order, the first limit entries (0: all) with their rules:
 * borrowed, valid until the next call or policy change. Answered from a list
 * built at most once per MANAGER_PROCESSES_CACHE_USEC (when it holds enough
 * entries), so that any number of callers costs one walk of /proc per
 * interval: four unprivileged clients calling ListProcesses in a loop drove
 * the daemon to half a core. */
#define MANAGER_PROCESSES_CACHE_USEC (1 * USEC_PER_SEC)
int manager_list_processes(Manager *m, size_t limit, const KillOrderEntry **ret, size_t *ret_n);

/* Drops the cached kill order (its rule names belong to the old rules). */
void manager_processes_invalidate(Manager *m);

/* READY=1 with a status line; at start once the bus name is owned. */
void manager_notify_ready(Manager *m);

/* Sends prefix (e.g. "READY=1\n", or "") and STATUS= with the mode, the
 * pressure level, the policy and the last decision: with an empty prefix only
 * when the line changed. */
void manager_notify_status(Manager *m, const char *prefix);

/* At the end of every tick: pings systemd's watchdog if it is on, together
 * with the status line; otherwise sends the status line if it changed. */
void manager_ping(Manager *m, uint64_t now);

/* Prometheus metrics (manager-metrics.c). The file node_exporter's textfile
 * collector reads is written from the tick, never from a timer of its own:
 * at most every MANAGER_METRICS_INTERVAL_USEC and only when a value changed,
 * but at least every MANAGER_METRICS_REFRESH_USEC, so that its timestamp
 * tells stale data from a quiet machine. 10 s is a scrape interval's order;
 * 5 min is the calm tick (60 s) several times over. */
#define MANAGER_METRICS_FILE "memtuned.prom"
#define MANAGER_METRICS_INTERVAL_USEC (10 * USEC_PER_SEC)
#define MANAGER_METRICS_REFRESH_USEC (300 * USEC_PER_SEC)

/* The manager's state as metrics input (strings borrowed until the next
 * tick); now is CLOCK_MONOTONIC, realtime CLOCK_REALTIME at the same moment. */
void manager_metrics_gather(Manager *m, uint64_t now, uint64_t realtime, MetricsInput *ret);

/* The metrics text now, for the bus: 0 with a malloc()ed string, or -errno. */
int manager_metrics_text(Manager *m, char **ret);

/* At the end of a tick: writes the file when due (with --metrics-dir). A
 * directory that is missing, a symlink or not writable gets one warning per
 * run of failures; the daemon goes on. */
void manager_metrics_publish(Manager *m, uint64_t now);

ManagerMetrics *manager_metrics_free(ManagerMetrics *mm);
