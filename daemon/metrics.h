/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "tunable.h"
#include "vmstat.h"

/* Prometheus metrics: memtuned's evidence and decisions as the text
 * exposition format (version 0.0.4, what node_exporter's textfile collector
 * reads). Pure: from a plain MetricsInput to text, no I/O, no clock. The
 * manager gathers the input (manager-metrics.c) and writes the file.
 *
 * The families have the memtuned_ prefix, seconds as the unit of time,
 * _total on counters, no per-process labels. Tunable values are in the
 * sysctl's own unit (kB for min_free_kbytes), as /proc/sys/vm, the bus and
 * memtunectl show them. Every label set is bounded: 60 series at most on
 * any host (METRICS_SERIES_MAX), whatever the number of NUMA nodes. */

/* What started a decision, in TickCause's order (manager.h). */
#define METRICS_TRIGGERS 4

/* The reaction-time histogram's finite upper bounds. memtuned answers a PSI
 * wake in well under 1 ms on an idle machine (bench/psi-reaction); 10 ms is
 * a busy machine's scheduling delay, 100 ms a reload or a stalled daemon. */
#define METRICS_REACTION_BUCKETS 3
extern const uint64_t metrics_reaction_bounds_usec[METRICS_REACTION_BUCKETS];

/* The most series one rendering holds: the 4 steered tunables with every
 * label value (the fixed-only knobs have no series), every trigger, PSI some
 * and full, the two zone boost gauges, the OOM incidents' three scopes.
 * tests/test-metrics.c checks the count; the budget is 60. */
#define METRICS_SERIES_MAX 60

/* The text of METRICS_SERIES_MAX series with their HELP and TYPE lines is
 * about 7 kB; a policy name can add up to 4 times its length (escaped). */
#define METRICS_TEXT_MAX (32 * 1024)

/* OOM incidents by scope, in IncidentScope's order (incident.h): "global",
 * "cgroup", "unknown". */
#define METRICS_INCIDENT_SCOPES 3
extern const char *const metrics_incident_scopes[METRICS_INCIDENT_SCOPES];

typedef enum MetricsDirection {
        METRICS_UP,
        METRICS_DOWN,
        _METRICS_DIRECTION_MAX,
} MetricsDirection;

/* The counters the manager keeps for the metrics, incremented where each
 * event happens. Plain values. */
typedef struct MetricsCounters {
        uint64_t samples_skipped; /* ticks whose sample failed to read or parse */
        uint64_t decisions[_TUNABLE_MANAGED_MAX][_METRICS_DIRECTION_MAX];
        uint64_t triggers[METRICS_TRIGGERS]; /* decisions by what started them */
        uint64_t reaction[METRICS_REACTION_BUCKETS +
                          1]; /* decisions per bucket (not cumulative); last: +Inf */
        uint64_t reaction_usec_sum;
        uint64_t external_changes; /* managed tunables changed by someone else */
        uint64_t reloads_applied, reloads_rejected;
        uint64_t rule_matches;                     /* processes a rule decided (apply or reset) */
        uint64_t rule_writes, rule_write_failures; /* oom_score_adj written; failed (not: vanished) */
        /* OOM incidents recorded, by IncidentScope */
        uint64_t incidents[METRICS_INCIDENT_SCOPES];
} MetricsCounters;

/* Counts one decision: by tunable and direction, by trigger (a TickCause;
 * out of range: not counted by trigger), and its reaction time. */
void metrics_count_decision(MetricsCounters *c, const Decision *d, unsigned trigger, uint64_t reaction_usec);

typedef struct MetricsTunable {
        bool present; /* the kernel has it: its series are shown */
        uint64_t current, original, target;
        const char *source; /* "none", "baseline", "fixed", "adaptive", "override" */
        bool override_active;
        uint64_t override_expiry_usec; /* CLOCK_REALTIME; USEC_INFINITY: until cleared (+Inf) */
} MetricsTunable;

typedef struct MetricsInput {
        const char *version;
        const char *policy_name;   /* any text: escaped */
        const char *mode;          /* "enforce" or "observe" */
        const char *policy_digest; /* hex, "" for the built-in policy */
        bool policy_rejected;      /* the last policy read was rejected; an older one is in force */

        bool psi_available, psi_has_full;
        uint64_t psi_some_usec, psi_full_usec; /* the kernel's total= */
        uint64_t vmstat[_VMSTAT_FIELD_MAX];
        uint32_t vmstat_present; /* bit (1 << VmStatField) */
        uint32_t zones_boosted;  /* zones whose boost is above 0 */
        uint64_t boost_pages;    /* the boost summed over the zones */

        MetricsTunable tunables[_TUNABLE_MANAGED_MAX];
        uint64_t samples;
        MetricsCounters counters;

        uint64_t timestamp_usec; /* CLOCK_REALTIME of the writing */
} MetricsInput;

/* Renders in as text into buf, NUL terminated. The sample count and the
 * timestamp come last: the text before METRICS_LIVENESS_FAMILY changes only
 * when a value does (the writer compares it). Returns the length, or
 * -ENOBUFS when size is too small. */
#define METRICS_LIVENESS_FAMILY "memtuned_samples_total"
#define METRICS_TIMESTAMP_FAMILY "memtuned_metrics_write_timestamp_seconds"
int metrics_render(const MetricsInput *in, char *buf, size_t size);

/* The length of the text before the liveness families (all of it if there
 * are none). */
size_t metrics_body_length(const char *text, size_t len);
