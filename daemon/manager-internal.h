/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The manager's state, for manager*.c only: every other module reads it
 * through manager.h's functions (the bus, Describe(), the metrics), so what
 * a field means is decided here, once. */

#include "bus.h"
#include "manager.h"
#include "owners.h"
#include "policywatch.h"
#include "tiering.h"

typedef struct Manager {
        ManagerConfig config;
        char proc_root[256]; /* the --proc-root directory's path, for messages */
        sd_event *event;
        sd_event_source *sample_timer;
        sd_event_source *psi_source;
        struct PolicyWatch *policywatch; /* the policy directories (policywatch.c) */
        int psi_fd;

        Policy *policy;     /* the last good policy */
        char *policy_error; /* the last rejected policy's errors, or NULL */
        HostInfo host;

        Sampler sampler;
        bool sampler_ready;
        /* Memory tiering, read at start and at each reload; while active,
         * zone_reclaim_mode is never written and refused[] says why. */
        Tiering tiering;
        char refused[_TUNABLE_MANAGED_MAX][320];
        Sample *prev, *cur; /* allocated once at start */
        bool have_prev;
        Rates rates;
        bool have_rates;
        Engine engine;
        Plan plan;
        PressureLevel pressure_logged; /* the level plan_log() last logged */
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
        char status[320]; /* the last STATUS= sent */

        ProcRules *procrules; /* process rules, oom_score_adj (manager-procs.c) */
        ProcWatch *procwatch; /* NULL without the proc connector */
        sd_event_source *procwatch_source, *rescan_timer;
        bool rescan_full;          /* the next rescan re-decides tracked processes too */
        KillOrderEntry *killorder; /* manager_list_processes()'s cache, or NULL */
        size_t n_killorder, killorder_limit;
        uint64_t killorder_usec; /* when it was built */

        Bus *bus; /* NULL without a bus */
        /* What changed since the last manager_flush_changes() (ManagerChange
         * bits), and the events to announce with it. */
        unsigned changed;
        size_t decisions_unpublished;     /* decisions remembered since then */
        PressureLevel pressure_published; /* the level last announced */
        bool reloaded, reload_failed;
        ManagerProcessAdjusted *adjusted; /* grows to the largest batch, kept */
        size_t n_adjusted, n_adjusted_allocated;
        /* The tunables' rows as last announced: they derive from five
         * sources (sample, writes, originals, plan, policy), so comparing the
         * rows is simpler than tracking each. */
        ManagerTunableRow tunables_published[_TUNABLE_MAX];
        char tunables_published_reason[_TUNABLE_MAX][ENGINE_REASON_MAX];
        size_t n_tunables_published;
        bool has_runtime_mode; /* SetMode(): runtime_mode wins over the policy's until reset */
        PolicyMode runtime_mode;

        /* Who else sets the knobs (manager-owners.c): detected at start and
         * each reload; hold[] is what that means under the policy, and
         * effective the policy the engine gets, with the knobs left to
         * others unmanaged. */
        int config_root_fd;
        Owners owners;
        sd_event_source *owners_defer; /* reads the owners again after an outside change */
        /* Changed from outside, owners not read again yet: not written
         * until they are (a new sysctl.d file must not see a write). */
        bool owners_pending[_TUNABLE_MANAGED_MAX];
        KnobHold hold[_TUNABLE_MANAGED_MAX];
        char hold_reason[_TUNABLE_MANAGED_MAX][320];
        Policy effective;

        MetricsCounters metrics_counters; /* incremented where each event happens */
        ManagerMetrics *metrics;          /* manager-metrics.c, NULL until first used */
        /* OOM incidents (manager-incidents.c) */
        struct ManagerIncidents *incidents;
} Manager;

/* Marks what changed (ManagerChange bits); manager_flush_changes() announces
 * it. */
static inline void manager_mark(Manager *m, unsigned changes) {
        m->changed |= changes;
}

/* Remembers a process whose oom_score_adj a rule wrote, for the next flush. */
void manager_note_process_adjusted(Manager *m, pid_t pid, const char *comm, int old_adj, int new_adj,
                                   const char *rule);

/* The one place changes leave the manager: turns what was marked since the
 * last call into the bus's signals (bus_publish()), then forgets it. Called
 * at the end of every tick, method, reload and process event batch, before
 * a method's reply: a caller sees the signals of its change no later than
 * the reply. */
void manager_flush_changes(Manager *m);

/* manager-owners.c. Opens the configuration root and detects the owners
 * (start); detects them again and forgets fights (reload). Logged. */
int manager_owners_start(Manager *m);
void manager_owners_reload(Manager *m);
void manager_owners_stop(Manager *m);
/* The policy the engine steers by: m->policy with each knob another tool
 * owns (and no take_over) or that memtuned backed off from unmanaged. */
const Policy *manager_owners_policy(Manager *m);
/* An outside change of id to value at now (notice_outside_changes()): a
 * managed knob's change is attributed and counted; a fight backs it off. */
void manager_owners_outside_change(Manager *m, TunableId id, uint64_t value, uint64_t now);
/* Whether memtuned leaves id to another tool now (owned, backed off). */
bool manager_owners_leaves(const Manager *m, TunableId id);
