/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "metrics.h"

const uint64_t metrics_reaction_bounds_usec[METRICS_REACTION_BUCKETS] = {
        1 * USEC_PER_MSEC,
        10 * USEC_PER_MSEC,
        100 * USEC_PER_MSEC,
};

/* TickCause's names (manager.h), in its order. */
static const char *const trigger_names[METRICS_TRIGGERS] = { "timer", "psi", "policy", "admin" };

void metrics_count_decision(MetricsCounters *c, const Decision *d, unsigned trigger,
                            uint64_t reaction_usec) {
        size_t b = 0;

        if (d->tunable < _TUNABLE_MANAGED_MAX)
                c->decisions[d->tunable][d->new_value > d->old_value ? METRICS_UP : METRICS_DOWN]++;
        if (trigger < METRICS_TRIGGERS)
                c->triggers[trigger]++;
        while (b < METRICS_REACTION_BUCKETS && reaction_usec > metrics_reaction_bounds_usec[b])
                b++;
        c->reaction[b]++;
        c->reaction_usec_sum += reaction_usec;
}

typedef struct Out {
        char *buf;
        size_t size, len;
        bool overflow;
} Out;

_printf_(2, 3) static void out(Out *o, const char *fmt, ...) {
        va_list ap;
        int n;

        if (o->overflow)
                return;
        va_start(ap, fmt);
        n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= o->size - o->len) {
                o->overflow = true;
                return;
        }
        o->len += (size_t) n;
}

/* A label value: backslash, double quote and newline escaped, as the format
 * asks; other bytes as they are (the format is UTF-8, and the bus already
 * refuses policy names that are not). */
static void out_label_value(Out *o, const char *s) {
        for (; s && *s; s++) {
                if (*s == '\\')
                        out(o, "\\\\");
                else if (*s == '"')
                        out(o, "\\\"");
                else if (*s == '\n')
                        out(o, "\\n");
                else
                        out(o, "%c", *s);
        }
}

static void family(Out *o, const char *name, const char *type, const char *help) {
        out(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* usec as seconds, exactly (the format's numbers are floats). */
static void out_seconds(Out *o, uint64_t usec) {
        out(o, "%" PRIu64 ".%06" PRIu64, usec / USEC_PER_SEC, usec % USEC_PER_SEC);
}

/* usec as seconds without trailing zeros ("0.001", "1"): bucket bounds as
 * Prometheus's own clients write them. */
static void out_seconds_short(Out *o, uint64_t usec) {
        char frac[8];
        size_t n;

        if (usec % USEC_PER_SEC == 0) {
                out(o, "%" PRIu64, usec / USEC_PER_SEC);
                return;
        }
        snprintf(frac, sizeof(frac), "%06" PRIu64, usec % USEC_PER_SEC);
        for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
                frac[n - 1] = 0;
        out(o, "%" PRIu64 ".%s", usec / USEC_PER_SEC, frac);
}

static bool has(const MetricsInput *in, VmStatField f) {
        return in->vmstat_present & (UINT32_C(1) << f);
}

static void vmstat_counter(Out *o, const MetricsInput *in, VmStatField f, const char *name,
                           const char *labels) {
        if (has(in, f))
                out(o, "%s%s %" PRIu64 "\n", name, labels, in->vmstat[f]);
}

static void render_info(Out *o, const MetricsInput *in) {
        family(o, "memtuned_build_info", "gauge", "memtuned's version; always 1.");
        out(o, "memtuned_build_info{version=\"");
        out_label_value(o, in->version);
        out(o, "\"} 1\n");

        family(o, "memtuned_policy_info", "gauge",
               "The policy in force: its name, the effective mode (enforce or observe) and a digest of its files "
               "(the first 16 hex digits of the SHA-256 of their contents in the order they apply); always 1.");
        out(o, "memtuned_policy_info{policy=\"");
        out_label_value(o, in->policy_name);
        out(o, "\",mode=\"");
        out_label_value(o, in->mode);
        out(o, "\",digest=\"");
        out_label_value(o, in->policy_digest);
        out(o, "\"} 1\n");

        family(o, "memtuned_policy_rejected", "gauge",
               "1 when the last policy read was rejected and an older one (or the built-in one) is in force.");
        out(o, "memtuned_policy_rejected %d\n", in->policy_rejected ? 1 : 0);

        family(o, "memtuned_policy_reloads_total", "counter",
               "Policy reloads, by result (applied or rejected).");
        out(o, "memtuned_policy_reloads_total{result=\"applied\"} %" PRIu64 "\n",
            in->counters.reloads_applied);
        out(o, "memtuned_policy_reloads_total{result=\"rejected\"} %" PRIu64 "\n",
            in->counters.reloads_rejected);
}

static void render_kernel(Out *o, const MetricsInput *in) {
        if (in->psi_available) {
                family(o, "memtuned_pressure_stall_seconds_total", "counter",
                       "Time tasks stalled on memory (/proc/pressure/memory total=): some or full.");
                out(o, "memtuned_pressure_stall_seconds_total{kind=\"some\"} ");
                out_seconds(o, in->psi_some_usec);
                out(o, "\n");
                if (in->psi_has_full) {
                        out(o, "memtuned_pressure_stall_seconds_total{kind=\"full\"} ");
                        out_seconds(o, in->psi_full_usec);
                        out(o, "\n");
                }
        }

        if (has(in, VMSTAT_ALLOCSTALL)) {
                family(o, "memtuned_allocstall_total", "counter",
                       "Allocations that entered direct reclaim (/proc/vmstat allocstall_*).");
                vmstat_counter(o, in, VMSTAT_ALLOCSTALL, "memtuned_allocstall_total", "");
        }
        family(o, "memtuned_pgscan_pages_total", "counter",
               "Pages scanned for reclaim (/proc/vmstat pgscan_direct, pgscan_kswapd), by reclaimer.");
        vmstat_counter(o, in, VMSTAT_PGSCAN_DIRECT, "memtuned_pgscan_pages_total", "{reclaimer=\"direct\"}");
        vmstat_counter(o, in, VMSTAT_PGSCAN_KSWAPD, "memtuned_pgscan_pages_total", "{reclaimer=\"kswapd\"}");
        if (has(in, VMSTAT_WORKINGSET_REFAULT_ANON) || has(in, VMSTAT_WORKINGSET_REFAULT_FILE)) {
                family(o, "memtuned_workingset_refaults_total", "counter",
                       "Pages read back soon after their eviction (/proc/vmstat workingset_refault_*), by type.");
                vmstat_counter(o, in, VMSTAT_WORKINGSET_REFAULT_ANON, "memtuned_workingset_refaults_total",
                               "{type=\"anon\"}");
                vmstat_counter(o, in, VMSTAT_WORKINGSET_REFAULT_FILE, "memtuned_workingset_refaults_total",
                               "{type=\"file\"}");
        }
        /* The kernel raises a zone's watermarks itself after a fragmenting
         * allocation (vm.watermark_boost_factor): an administrator sees it
         * here, summed over the zones so the series stay bounded. */
        family(o, "memtuned_zones_boosted", "gauge",
               "Zones whose watermarks the kernel boosts now (/proc/zoneinfo boost above 0).");
        out(o, "memtuned_zones_boosted %" PRIu32 "\n", in->zones_boosted);
        family(o, "memtuned_watermark_boost_pages", "gauge",
               "The kernel's watermark boost summed over all zones, in pages (/proc/zoneinfo boost).");
        out(o, "memtuned_watermark_boost_pages %" PRIu64 "\n", in->boost_pages);

        if (has(in, VMSTAT_OOM_KILL)) {
                family(o, "memtuned_oom_kills_total", "counter",
                       "Processes the kernel's OOM killer killed "
                       "(/proc/vmstat oom_kill).");
                vmstat_counter(o, in, VMSTAT_OOM_KILL, "memtuned_oom_kills_total", "");
        }
}

/* The steered sysctls only: the fixed-only knobs (watermark_boost_factor,
 * the multi-gen LRU's) hold what the policy says and would take the
 * series budget past METRICS_SERIES_MAX; the bus and memtunectl show them. */
static bool shown(const MetricsInput *in, TunableId id) {
        return in->tunables[id].present && !tunable_info(id)->fixed_only;
}

static void render_tunables(Out *o, const MetricsInput *in) {
        static const struct {
                const char *name, *help;
                size_t offset;
        } values[] = {
                { "memtuned_tunable_current", "The vm sysctl's value now, in its own unit.",
                  offsetof(MetricsTunable, current) },
                { "memtuned_tunable_original",
                  "The value found before memtuned changed it (restored on stop).",
                  offsetof(MetricsTunable, original) },
                { "memtuned_tunable_target", "The value memtuned wants, with where it comes from (source).",
                  offsetof(MetricsTunable, target) },
        };
        unsigned n_overrides = 0;

        for (size_t v = 0; v < ELEMENTSOF(values); v++) {
                family(o, values[v].name, "gauge", values[v].help);
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                        const MetricsTunable *t = &in->tunables[id];
                        uint64_t value;

                        if (!shown(in, id))
                                continue;
                        memcpy(&value, (const char *) t + values[v].offset, sizeof(value));
                        out(o, "%s{tunable=\"%s\"", values[v].name, tunable_info(id)->name);
                        if (values[v].offset == offsetof(MetricsTunable, target)) {
                                out(o, ",source=\"");
                                out_label_value(o, t->source ?: "none");
                                out(o, "\"");
                        }
                        out(o, "} %" PRIu64 "\n", value);
                }
        }

        family(o, "memtuned_overrides_active", "gauge", "Administrators' overrides in force.");
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                n_overrides += shown(in, id) && in->tunables[id].override_active;
        out(o, "memtuned_overrides_active %u\n", n_overrides);
        family(o, "memtuned_override_expiry_timestamp_seconds", "gauge",
               "When each override in force ends (Unix time; +Inf: until cleared).");
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const MetricsTunable *t = &in->tunables[id];

                if (!shown(in, id) || !t->override_active)
                        continue;
                out(o, "memtuned_override_expiry_timestamp_seconds{tunable=\"%s\"} ",
                    tunable_info(id)->name);
                if (t->override_expiry_usec == USEC_INFINITY)
                        out(o, "+Inf");
                else
                        out_seconds(o, t->override_expiry_usec);
                out(o, "\n");
        }

        family(o, "memtuned_external_changes_total", "counter",
               "Changes of a managed vm sysctl by someone other than memtuned.");
        out(o, "memtuned_external_changes_total %" PRIu64 "\n", in->counters.external_changes);
}

static void render_decisions(Out *o, const MetricsInput *in) {
        const MetricsCounters *c = &in->counters;
        uint64_t cumulative = 0;

        family(o, "memtuned_decisions_total", "counter",
               "Changes of a tunable's target, by tunable and direction (observe mode included).");
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                if (!shown(in, id))
                        continue;
                out(o, "memtuned_decisions_total{tunable=\"%s\",direction=\"up\"} %" PRIu64 "\n",
                    tunable_info(id)->name, c->decisions[id][METRICS_UP]);
                out(o, "memtuned_decisions_total{tunable=\"%s\",direction=\"down\"} %" PRIu64 "\n",
                    tunable_info(id)->name, c->decisions[id][METRICS_DOWN]);
        }

        family(o, "memtuned_decision_triggers_total", "counter",
               "Decisions by what started them: timer (a sample), psi (a PSI trigger's wake), policy (a reload), "
               "admin (an override or mode change).");
        for (unsigned i = 0; i < METRICS_TRIGGERS; i++)
                out(o, "memtuned_decision_triggers_total{trigger=\"%s\"} %" PRIu64 "\n", trigger_names[i],
                    c->triggers[i]);

        family(o, "memtuned_decision_reaction_seconds", "histogram",
               "Time from the event that started a decision (e.g. the PSI trigger's wake) to the decision with "
               "its writes done.");
        for (size_t b = 0; b <= METRICS_REACTION_BUCKETS; b++) {
                cumulative += c->reaction[b];
                if (b < METRICS_REACTION_BUCKETS) {
                        out(o, "memtuned_decision_reaction_seconds_bucket{le=\"");
                        out_seconds_short(o, metrics_reaction_bounds_usec[b]);
                        out(o, "\"} %" PRIu64 "\n", cumulative);
                } else
                        out(o, "memtuned_decision_reaction_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
                            cumulative);
        }
        out(o, "memtuned_decision_reaction_seconds_sum ");
        out_seconds(o, c->reaction_usec_sum);
        out(o, "\nmemtuned_decision_reaction_seconds_count %" PRIu64 "\n", cumulative);
}

const char *const metrics_incident_scopes[METRICS_INCIDENT_SCOPES] = { "global", "cgroup", "unknown" };

static void render_processes(Out *o, const MetricsInput *in) {
        const MetricsCounters *c = &in->counters;

        family(o, "memtuned_process_rule_matches_total", "counter",
               "Processes a process rule decided (its oom_score_adj, or a reset by the parent's rule).");
        out(o, "memtuned_process_rule_matches_total %" PRIu64 "\n", c->rule_matches);
        family(o, "memtuned_process_adjustments_total", "counter",
               "oom_score_adj writes by result: written, or failed (a process that exited first is neither).");
        out(o, "memtuned_process_adjustments_total{result=\"written\"} %" PRIu64 "\n", c->rule_writes);
        out(o, "memtuned_process_adjustments_total{result=\"failed\"} %" PRIu64 "\n",
            c->rule_write_failures);
        family(o, "memtuned_oom_incidents_total", "counter",
               "Kernel OOM kills memtuned recorded as incidents (memtunectl incidents), by scope: the machine "
               "(global), a cgroup's limit, or unknown.");
        for (size_t i = 0; i < METRICS_INCIDENT_SCOPES; i++)
                out(o, "memtuned_oom_incidents_total{scope=\"%s\"} %" PRIu64 "\n",
                    metrics_incident_scopes[i], c->incidents[i]);
}

static void render_samples_skipped(Out *o, const MetricsInput *in) {
        family(o, "memtuned_samples_skipped_total", "counter",
               "Samples skipped because a /proc file could not be read or parsed.");
        out(o, "memtuned_samples_skipped_total %" PRIu64 "\n", in->counters.samples_skipped);
}

int metrics_render(const MetricsInput *in, char *buf, size_t size) {
        Out o = { .buf = buf, .size = size };

        if (size == 0)
                return -ENOBUFS;
        buf[0] = 0;
        render_info(&o, in);
        render_kernel(&o, in);
        render_tunables(&o, in);
        render_decisions(&o, in);
        render_processes(&o, in);
        render_samples_skipped(&o, in);

        /* Last, the liveness families: they change at every sample, so the
         * writer leaves them out of its comparison; everything before them
         * changes only when a value does, and an idle machine gets no write
         * (and no fsync) for a sample count alone. */
        family(&o, METRICS_LIVENESS_FAMILY, "counter", "Samples of /proc taken.");
        out(&o, METRICS_LIVENESS_FAMILY " %" PRIu64 "\n", in->samples);
        family(&o, METRICS_TIMESTAMP_FAMILY, "gauge",
               "When memtuned wrote these values (Unix time); it rewrites them at least every 5 minutes while "
               "it runs, so an older time means stale data.");
        out(&o, METRICS_TIMESTAMP_FAMILY " ");
        out_seconds(&o, in->timestamp_usec);
        out(&o, "\n");

        if (o.overflow)
                return -ENOBUFS;
        return (int) o.len;
}

size_t metrics_body_length(const char *text, size_t len) {
        const char *needle = "# HELP " METRICS_LIVENESS_FAMILY " ";
        const char *p = memmem(text, len, needle, strlen(needle));

        return p ? (size_t) (p - text) : len;
}
