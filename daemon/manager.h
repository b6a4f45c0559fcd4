/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "actuator.h"
#include "engine.h"
#include "incident.h"
#include "killorder.h"
#include "metrics.h"
#include "procwatch.h"
#include "override.h"
#include "policy.h"
#include "procrules.h"
#include "sample.h"

/* The daemon: one sd-event loop that samples, decides, acts, reloads policy
 * and restores the kernel's values on stop. Owns every other module's state. */

typedef struct ManagerConfig {
        int proc_fd;              /* borrowed */
        int sys_fd;               /* borrowed; -1: no /sys (its knobs are unsupported) */
        char *const *policy_dirs; /* borrowed, lowest priority first */
        size_t n_policy_dirs;
        const char *state_dir;
        bool observe;            /* --observe: never write, whatever the policy says */
        const char *bus;         /* --bus: "system", "user", an address; NULL or "none": no bus */
        bool bus_optional;       /* no --bus given: without a bus (or the name), run anyway */
        const char *metrics_dir; /* --metrics-dir: write MANAGER_METRICS_FILE there; NULL: not */
        const char *config_root; /* --config-root: where sysctl.d and TuneD are read; NULL: "/" */
} ManagerConfig;

typedef struct ManagerMetrics ManagerMetrics;

/* The decisions kept for the bus and --once; older ones are dropped. */
#define MANAGER_DECISIONS_MAX 256

/* A PSI trigger: 5% of a 2 s window stalled ("some"). 2 s is the shortest
 * window the kernel grants without CAP_SYS_RESOURCE (measured: "some 150000
 * 1000000" gives EINVAL, "... 2000000" works); 100 ms of
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
        TICK_TIMER,  /* the sample timer */
        TICK_PSI,    /* the PSI trigger, or any tick that answers its wake */
        TICK_POLICY, /* a policy reload */
        TICK_ADMIN,  /* SetOverride(), ClearOverride(), SetMode() */
        _TICK_CAUSE_MAX,
} TickCause;

/* "timer", "psi", "policy", "admin"; NULL when out of range. from_string:
 * the cause, or -EINVAL. */
const char *tick_cause_to_string(TickCause c);
int tick_cause_from_string(const char *s);

/* The daemon's state; its fields are manager*.c's own (manager-internal.h).
 * Everyone else reads it through the functions below. */
typedef struct Manager Manager;

/* ---- Reading the state (the bus, Describe(), metrics) ------------------------
 * Plain values, no D-Bus types. Strings and pointers are borrowed from the
 * manager and stay valid until it next runs (a tick, a reload, a method, a
 * process event): a reader copies what it keeps. None of these allocate or
 * fail. Times are CLOCK_MONOTONIC microseconds. */

typedef struct ManagerStatus {
        bool enforcing;            /* writes happen (manager_enforcing()) */
        bool observe_only;         /* --observe: never writes, whatever a policy or SetMode() says */
        const char *mode;          /* "enforce" or "observe": the effective mode */
        const char *mode_source;   /* "command-line" (--observe), "runtime" (SetMode) or "policy" */
        const char *policy_name;   /* the policy in force (the last good one) */
        const char *policy_mode;   /* what that policy says: "enforce" or "observe" */
        char *const *policy_files; /* the files it came from, lowest priority first */
        size_t n_policy_files;
        const char *policy_error; /* the last rejected policy's errors, one per line; NULL: none */
        PressureLevel pressure;
        const char *pressure_level; /* pressure as text: "none", "moderate", ... */
        const Sample *sample;       /* the newest sample: meminfo, vmstat, zones, tunables as read */
        const Psi *psi;             /* its PSI averages (psi->available false: no PSI) */
        uint64_t sample_usec;       /* its time */
        uint64_t n_samples;         /* samples taken since start */
        const Rates *rates;         /* between the last two samples; NULL before there are two */
} ManagerStatus;

void manager_get_status(const Manager *m, ManagerStatus *ret);

/* One vm tunable as memtuned sees it. */
typedef struct ManagerTunableRow {
        TunableId id;
        const char *name;   /* "swappiness" */
        uint64_t current;   /* what the kernel holds: the last sample's value, or what memtuned
                                         * wrote since */
        uint64_t original;  /* what is restored on stop: the value before memtuned's first write
                                         * (the actuator's record), else current */
        uint64_t target;    /* what memtuned steers to; current when it steers nothing */
        const char *source; /* who sets target: "fixed", "adaptive", "override", ... or "none" */
        const char *mode;   /* the policy's mode for it; "unmanaged" for one never managed */
        const char *reason; /* the state in one line; "" when there is none */
        const char *owner;  /* who else sets it: "sysctl.d", "TuneD"; NULL: no one (daemon/owners.h) */
} ManagerTunableRow;

/* The tunables this kernel has, in TunableId order, into rows. Returns how
 * many (at most _TUNABLE_MAX). */
size_t manager_get_tunables(const Manager *m, ManagerTunableRow rows[static _TUNABLE_MAX]);

/* Who owns each knob, the peers and the parsers' errors as JSON (an object
 * with "owners"), freshly allocated. Returns 0 or -ENOMEM. */
int manager_get_owners_json(const Manager *m, char **ret);

/* One vm knob's owner as memtuned sees it (GetOwners(), memtunectl doctor). */
typedef struct ManagerOwnerRow {
        const char *name;  /* "swappiness" */
        const char *state; /* "managed", "unmanaged", "owned-elsewhere", "taken-over", "backed-off" */
        const char *owner; /* "sysctl.d", "TuneD", "" */
        char where[352];   /* "/etc/sysctl.d/60-swap.conf:2 = 10", "" */
        char reason[320];  /* the state in words, "" when plain */
} ManagerOwnerRow;

/* The sysctl knobs this kernel has, in TunableId order, into rows. Returns
 * how many. */
size_t manager_get_owner_rows(const Manager *m, ManagerOwnerRow rows[static _TUNABLE_MAX]);

/* What an administrator should know beside the knobs, one line each: the
 * other memory managers running, kubelet's pods, the sysctl.d and TuneD
 * files that could not be read, the policy's notes and warnings. A new
 * NULL-terminated array of new strings in *ret. Returns 0 or -ENOMEM. */
int manager_get_owner_notes(const Manager *m, char ***ret);

typedef struct ManagerKnobRow {
        TunableId id;
        const char *name;  /* "lru_gen_enabled": the policy key */
        const char *file;  /* "/sys/kernel/mm/lru_gen/enabled", "vm.swappiness" */
        const char *state; /* "managed", "unmanaged", "unsupported" */
        char reason[256];  /* the probe's reason, the refusal, or the plan's state line */
} ManagerKnobRow;

/* Every knob memtuned knows, in TunableId order, with its state on this
 * kernel and host, into rows. Returns _TUNABLE_MAX. */
size_t manager_get_knobs(const Manager *m, ManagerKnobRow rows[static _TUNABLE_MAX]);

/* One knob's row from the probe's reason, the host's refusal (NULL: none)
 * and its plan (NULL: none yet): the daemon's and --once's. */
void manager_knob_row(TunableId id, const char *probe, const char *refusal, const TunablePlan *plan,
                      ManagerKnobRow *ret);

/* The newest sample's zones (borrowed). Returns how many. */
size_t manager_get_zones(const Manager *m, const Zone **ret);

typedef struct ManagerRateRow {
        VmStatField field;
        const char *name; /* vmstat's name, "pgscan_direct" */
        double per_second;
} ManagerRateRow;

/* The vmstat rates between the last two samples, the fields this kernel
 * reports, into rows. Returns how many (0 before there are two samples). */
size_t manager_get_rates(const Manager *m, ManagerRateRow rows[static _VMSTAT_FIELD_MAX]);

typedef struct ManagerOverrideRow {
        TunableId id;
        const char *name;
        uint64_t value;
        uint64_t expires_usec; /* USEC_INFINITY: until cleared */
} ManagerOverrideRow;

/* The overrides in force, in TunableId order, into rows. Returns how many. */
size_t manager_get_overrides(const Manager *m, ManagerOverrideRow rows[static _TUNABLE_MANAGED_MAX]);

/* The decisions remembered (at most MANAGER_DECISIONS_MAX), newest first:
 * the newest limit of them (0: all) as pointers into ret, which has room for
 * that many. The decisions are borrowed until the next tick. Returns how
 * many. */
size_t manager_get_decisions(const Manager *m, size_t limit, const Decision *ret[]);

/* The kill order: see manager_list_processes() below. */

/* ---- What changed: announced in one place -------------------------------------
 * The manager marks what it changes; at the end of each tick, method, reload
 * and batch of process events it hands everything marked since the last time
 * to bus_publish() (manager-internal.h: manager_flush_changes()). One bit per
 * published item: */
typedef enum ManagerChange {
        MANAGER_CHANGE_MODE = 1u << 0,
        MANAGER_CHANGE_MODE_SOURCE = 1u << 1,
        MANAGER_CHANGE_POLICY_NAME = 1u << 2,
        MANAGER_CHANGE_POLICY_FILES = 1u << 3,
        MANAGER_CHANGE_POLICY_ERROR = 1u << 4,
        MANAGER_CHANGE_PRESSURE = 1u << 5,
        MANAGER_CHANGE_PSI_AVAILABLE = 1u << 6,
        MANAGER_CHANGE_PSI_SOME = 1u << 7,
        MANAGER_CHANGE_PSI_FULL = 1u << 8,
        MANAGER_CHANGE_TUNABLES = 1u << 9,
        MANAGER_CHANGE_OVERRIDES = 1u << 10,
        MANAGER_CHANGE_ZONES = 1u << 11,
        MANAGER_CHANGE_RATES = 1u << 12,
        MANAGER_CHANGE_SAMPLE = 1u << 13, /* a new sample (its time) */
} ManagerChange;

/* A process whose oom_score_adj a rule wrote. */
typedef struct ManagerProcessAdjusted {
        pid_t pid;
        char comm[PROC_COMM_MAX];
        int old_adj, new_adj;
        const char *rule; /* borrowed from the rules in force */
} ManagerProcessAdjusted;

/* Everything since the last flush; borrowed for the call. */
typedef struct ManagerChanges {
        unsigned changed;                /* ManagerChange bits: these values differ */
        size_t n_decisions;              /* new decisions: the newest n of manager_get_decisions()
                                         * (0: none; not a limit of 0, which means all) */
        PressureLevel pressure_previous; /* with MANAGER_CHANGE_PRESSURE: the level announced before */
        bool reloaded;                   /* a reload was tried (manager_reload()) */
        bool reload_failed;              /* ... and its policy was rejected (policy_error says why) */
        const ManagerProcessAdjusted *adjusted;
        size_t n_adjusted;
        size_t n_incidents; /* new OOM incidents: the newest n of manager_get_incidents() */
} ManagerChanges;

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

/* The bus gave up the name it was not allowed to own (bus_new()'s optional
 * case): frees it, and memtuned goes on without, saying READY=1. */
void manager_drop_bus(Manager *m);

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

/* OOM incidents (manager-incidents.c, incident.h). Set up after the event
 * loop: reads the history file (a garbled one is logged with its line,
 * moved aside and ignored). Returns 0 or -errno, having logged. */
int manager_incidents_start(Manager *m);
void manager_incidents_stop(Manager *m);

/* At the end of every tick: compares the oom_kill counter, keeps the
 * minute's evidence and the kill-order prediction fresh. */
void manager_incidents_tick(Manager *m, uint64_t now);

/* An exit event of the proc connector: a leader's death by SIGKILL is a
 * candidate victim when the oom_kill counter rose with it. */
void manager_incidents_exit(Manager *m, const ProcWatchEvent *ev);

/* The incidents remembered (at most INCIDENT_HISTORY_MAX), newest first:
 * the newest limit (0: all) as pointers into ret, which has room for that
 * many; borrowed until the next incident. Returns how many. */
size_t manager_get_incidents(const Manager *m, size_t limit, const Incident *ret[]);

/* How many incidents were recorded since the last call (for the signals). */
size_t manager_incidents_take_unpublished(Manager *m);

/* The live explanation of pid's place in the kill order: malloc()ed text
 * for people and the same as a JSON object. -ESRCH (msg says so) when
 * there is no such process, other -errno. */
int manager_why(Manager *m, pid_t pid, char **ret_text, char **ret_json, char *msg, size_t msg_size);
