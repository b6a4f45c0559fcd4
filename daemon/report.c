/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "macro.h"
#include "report.h"
#include "string-table.h"
#include "units.h"
#include "utf8.h"

ZoneState zone_state(const Zone *z) {
        if (z->managed == 0)
                return ZONE_EMPTY;
        if (z->free < z->min)
                return ZONE_BELOW_MIN;
        if (z->free < z->low)
                return ZONE_BELOW_LOW;
        if (z->free < z->high)
                return ZONE_BELOW_HIGH;
        return ZONE_ABOVE_HIGH;
}

/* clang-format off: one entry per line */
static const char *const zone_state_table[] = {
        [ZONE_ABOVE_HIGH] = "above-high", [ZONE_BELOW_HIGH] = "below-high", [ZONE_BELOW_LOW] = "below-low",
        [ZONE_BELOW_MIN] = "below-min",   [ZONE_EMPTY] = "empty",
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP(zone_state, ZoneState);

/* The JSON key of a meminfo field: the kernel's name made snake_case, in kB. */
/* clang-format off: one entry per line */
static const char *const meminfo_keys[_MEMINFO_FIELD_MAX] = {
        [MEMINFO_MEM_TOTAL] = "total_kb",
        [MEMINFO_MEM_FREE] = "free_kb",
        [MEMINFO_MEM_AVAILABLE] = "available_kb",
        [MEMINFO_BUFFERS] = "buffers_kb",
        [MEMINFO_CACHED] = "cached_kb",
        [MEMINFO_SWAP_CACHED] = "swap_cached_kb",
        [MEMINFO_ACTIVE_ANON] = "active_anon_kb",
        [MEMINFO_INACTIVE_ANON] = "inactive_anon_kb",
        [MEMINFO_ACTIVE_FILE] = "active_file_kb",
        [MEMINFO_INACTIVE_FILE] = "inactive_file_kb",
        [MEMINFO_UNEVICTABLE] = "unevictable_kb",
        [MEMINFO_MLOCKED] = "mlocked_kb",
        [MEMINFO_SWAP_TOTAL] = "swap_total_kb",
        [MEMINFO_SWAP_FREE] = "swap_free_kb",
        [MEMINFO_DIRTY] = "dirty_kb",
        [MEMINFO_WRITEBACK] = "writeback_kb",
        [MEMINFO_ANON_PAGES] = "anon_pages_kb",
        [MEMINFO_MAPPED] = "mapped_kb",
        [MEMINFO_SHMEM] = "shmem_kb",
        [MEMINFO_SLAB_RECLAIMABLE] = "slab_reclaimable_kb",
        [MEMINFO_SLAB_UNRECLAIMABLE] = "slab_unreclaimable_kb",
        [MEMINFO_PAGE_TABLES] = "page_tables_kb",
        [MEMINFO_COMMIT_LIMIT] = "commit_limit_kb",
        [MEMINFO_COMMITTED_AS] = "committed_as_kb",
        [MEMINFO_HUGEPAGES_TOTAL] = "hugepages_total",
        [MEMINFO_HUGEPAGE_SIZE] = "hugepage_size_kb",
};
/* clang-format on */

static void json_psi_line(JsonWriter *w, const char *key, const PsiLine *l) {
        json_object_begin(w, key);
        json_double(w, "avg10", l->avg10 / 100.0, 2);
        json_double(w, "avg60", l->avg60 / 100.0, 2);
        json_double(w, "avg300", l->avg300 / 100.0, 2);
        json_u64(w, "total_usec", l->total);
        json_object_end(w);
}

void report_json_fields(JsonWriter *w, const Sample *s, const Rates *r) {
        json_u64(w, "interval_usec", r ? r->interval_usec : 0);

        json_object_begin(w, "memory");
        for (MemInfoField f = 0; f < _MEMINFO_FIELD_MAX; f++)
                if (s->meminfo.present & (UINT32_C(1) << f))
                        json_u64(w, meminfo_keys[f], s->meminfo.field[f]);
        json_object_end(w);

        json_object_begin(w, "swap");
        json_string(w, "class", swap_class_to_string(s->swap.class));
        json_u64(w, "devices", s->swap.n_devices);
        if (s->swap.device[0])
                json_string(w, "device", s->swap.device);
        else
                json_null(w, "device");
        json_bool(w, "zswap", s->swap.zswap);
        json_string(w, "detail", s->swap.detail);
        json_object_end(w);

        json_object_begin(w, "psi");
        json_bool(w, "available", s->psi.available);
        if (s->psi.available) {
                json_psi_line(w, "some", &s->psi.some);
                if (s->psi.has_full)
                        json_psi_line(w, "full", &s->psi.full);
                else
                        json_null(w, "full");
                if (r && r->psi_valid) {
                        json_double(w, "some_interval_pct", r->psi_some_pct, 2);
                        json_double(w, "full_interval_pct", r->psi_full_pct, 2);
                }
        }
        json_object_end(w);

        json_object_begin(w, "vmstat");
        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++) {
                if (!vmstat_has(&s->vmstat, f)) {
                        json_null(w, vmstat_field_name(f));
                        continue;
                }
                json_object_begin(w, vmstat_field_name(f));
                json_u64(w, "value", s->vmstat.field[f]);
                if (r && rates_has(r, f)) {
                        json_double(w, "per_second", r->vmstat[f], 1);
                        json_bool(w, "reset", r->reset & (UINT32_C(1) << f));
                }
                json_object_end(w);
        }
        json_object_end(w);

        json_u64(w, "nodes", s->zoneinfo.n_nodes);
        json_array_begin(w, "zones");
        for (size_t i = 0; i < s->zoneinfo.n_zones; i++) {
                const Zone *z = &s->zoneinfo.zones[i];

                json_object_begin(w, NULL);
                json_u64(w, "node", z->node);
                json_string(w, "zone", z->name);
                json_u64(w, "free", z->free);
                json_u64(w, "min", z->min);
                json_u64(w, "low", z->low);
                json_u64(w, "high", z->high);
                json_u64(w, "boost", z->boost);
                json_u64(w, "managed", z->managed);
                json_u64(w, "present", z->present);
                json_u64(w, "spanned", z->spanned);
                json_array_begin(w, "protection");
                for (uint32_t k = 0; k < z->n_protection; k++)
                        json_u64(w, NULL, z->protection[k]);
                json_array_end(w);
                json_string(w, "state", zone_state_to_string(zone_state(z)));
                json_object_end(w);
        }
        json_array_end(w);

        json_object_begin(w, "tunables");
        for (TunableId t = 0; t < _TUNABLE_MAX; t++)
                if (tunables_has(&s->tunables, t))
                        json_u64(w, tunable_info(t)->name, s->tunables.value[t]);
                else
                        json_null(w, tunable_info(t)->name);
        json_object_end(w);
}

static void text_rate(FILE *f, const Sample *s, const Rates *r, VmStatField field, int *col) {
        char buf[32];

        if (!vmstat_has(&s->vmstat, field))
                snprintf(buf, sizeof(buf), "n/a");
        else if (r && rates_has(r, field))
                snprintf(buf, sizeof(buf), "%.0f/s", r->vmstat[field]);
        else
                snprintf(buf, sizeof(buf), "%" PRIu64, s->vmstat.field[field]);

        if (*col == 2) {
                fputs("\n          ", f);
                *col = 0;
        }
        fprintf(f, "%-30s %-10s", vmstat_field_name(field), buf);
        (*col)++;
}

void report_text(FILE *f, const Sample *s, const Rates *r) {
        const MemInfo *m = &s->meminfo;
        char a[32], b[32], c[32], d[32], e[32];
        size_t boosted = 0;
        int col = 0;

        fprintf(f, "Memory    total %s, free %s, available %s, cached %s\n",
                format_size(a, sizeof(a), m->field[MEMINFO_MEM_TOTAL]),
                format_size(b, sizeof(b), m->field[MEMINFO_MEM_FREE]),
                format_size(c, sizeof(c), m->field[MEMINFO_MEM_AVAILABLE]),
                format_size(d, sizeof(d), m->field[MEMINFO_CACHED]));
        if (m->field[MEMINFO_SWAP_TOTAL] == 0)
                fprintf(f, "Swap      none\n");
        else
                fprintf(f, "Swap      total %s, free %s; class %s (%s: %s)\n",
                        format_size(a, sizeof(a), m->field[MEMINFO_SWAP_TOTAL]),
                        format_size(e, sizeof(e), m->field[MEMINFO_SWAP_FREE]),
                        swap_class_to_string(s->swap.class), s->swap.device, s->swap.detail);

        if (!s->psi.available)
                fprintf(f, "PSI       unavailable (kernel without CONFIG_PSI, or psi=0)\n");
        else {
                fprintf(f, "PSI       some avg10 %.2f%% avg60 %.2f%% avg300 %.2f%%",
                        s->psi.some.avg10 / 100.0, s->psi.some.avg60 / 100.0, s->psi.some.avg300 / 100.0);
                if (r && r->psi_valid)
                        fprintf(f, ", %.2f%% over the interval", r->psi_some_pct);
                fputc('\n', f);
                if (s->psi.has_full) {
                        fprintf(f, "          full avg10 %.2f%% avg60 %.2f%% avg300 %.2f%%",
                                s->psi.full.avg10 / 100.0, s->psi.full.avg60 / 100.0,
                                s->psi.full.avg300 / 100.0);
                        if (r && r->psi_valid)
                                fprintf(f, ", %.2f%% over the interval", r->psi_full_pct);
                        fputc('\n', f);
                }
        }

        fprintf(f, "Reclaim   ");
        for (VmStatField field = 0; field < _VMSTAT_FIELD_MAX; field++)
                text_rate(f, s, r, field, &col);
        fputc('\n', f);
        if (r)
                fprintf(f, "          (rates over %.1f s; n/a: not reported by this kernel)\n",
                        (double) r->interval_usec / (double) USEC_PER_SEC);

        fprintf(f, "Zones     %" PRIu32 " node%s; pages, free against the watermarks\n", s->zoneinfo.n_nodes,
                s->zoneinfo.n_nodes == 1 ? "" : "s");
        fprintf(f, "          %-4s %-8s %12s %10s %10s %10s %8s %12s  %s\n", "node", "zone", "free", "min",
                "low", "high", "boost", "managed", "state");
        for (size_t i = 0; i < s->zoneinfo.n_zones; i++) {
                const Zone *z = &s->zoneinfo.zones[i];

                boosted += z->boost > 0;
                fprintf(f,
                        "          %-4" PRIu32 " %-8s %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
                        " %8" PRIu64 " %12" PRIu64 "  %s\n",
                        z->node, z->name, z->free, z->min, z->low, z->high, z->boost, z->managed,
                        zone_state_to_string(zone_state(z)));
        }
        /* The kernel raised these watermarks itself after a fragmenting
         * allocation (vm.watermark_boost_factor); kswapd reclaims the boost. */
        if (boosted > 0)
                fprintf(f,
                        "          %zu zone%s boosted by the kernel (vm.watermark_boost_factor): min, low "
                        "and high include the boost until kswapd has reclaimed it\n",
                        boosted, boosted == 1 ? "" : "s");

        fprintf(f, "Tunables  ");
        for (TunableId t = 0; t < _TUNABLE_MAX; t++) {
                const TunableInfo *info = tunable_info(t);

                if (!tunables_has(&s->tunables, t))
                        fprintf(f, "%s=n/a", info->display);
                else if (info->hex)
                        fprintf(f, "%s=0x%04" PRIx64, info->display, s->tunables.value[t]);
                else
                        fprintf(f, "%s=%" PRIu64, info->display, s->tunables.value[t]);
                /* Two sysctls a line; the long /sys paths one each. */
                fputs(t + 1 >= _TUNABLE_MAX ? "\n"
                      : t % 2 == 1 || info->root == TUNABLE_ROOT_SYS ||
                                      tunable_info(t + 1)->root == TUNABLE_ROOT_SYS
                              ? "\n          "
                              : "  ",
                      f);
        }
}

void report_plan_text(FILE *f, const Policy *p, const Plan *plan) {
        fprintf(f, "Engine    policy '%s' (%s), pressure %s\n", p->name ? p->name : "built-in default",
                policy_mode_to_string(p->mode), pressure_level_to_string(plan->pressure));
        for (TunableId t = 0; t < _TUNABLE_MANAGED_MAX; t++) {
                const TunablePlan *tp = &plan->tunables[t];

                if (!tp->present) {
                        fprintf(f, "          %-24s not on this kernel\n", tunable_info(t)->name);
                        continue;
                }
                fprintf(f, "          %-24s %10" PRIu64 " -> %-10" PRIu64 " %-9s %s\n",
                        tunable_info(t)->name, tp->current, tp->target, tunable_source_to_string(tp->source),
                        tp->reason);
        }
        for (size_t i = 0; i < plan->n_decisions; i++)
                fprintf(f, "          decision: %s\n", plan->decisions[i].reason);
}

void report_plan_json(JsonWriter *w, const Policy *p, const Plan *plan) {
        json_object_begin(w, "engine");
        json_string(w, "policy", p->name);
        json_string(w, "mode", policy_mode_to_string(p->mode));
        json_string(w, "pressure", pressure_level_to_string(plan->pressure));
        json_object_begin(w, "tunables");
        for (TunableId t = 0; t < _TUNABLE_MANAGED_MAX; t++) {
                const TunablePlan *tp = &plan->tunables[t];

                if (!tp->present) {
                        json_null(w, tunable_info(t)->name);
                        continue;
                }
                json_object_begin(w, tunable_info(t)->name);
                json_u64(w, "current", tp->current);
                json_u64(w, "baseline", tp->baseline);
                json_u64(w, "target", tp->target);
                json_string(w, "source", tunable_source_to_string(tp->source));
                json_string(w, "policy_mode", tunable_mode_to_string(p->tunables[t].mode));
                json_string(w, "reason", tp->reason);
                json_object_end(w);
        }
        json_object_end(w);
        json_array_begin(w, "decisions");
        for (size_t i = 0; i < plan->n_decisions; i++)
                json_string(w, NULL, plan->decisions[i].reason);
        json_array_end(w);
        json_object_end(w);
}

void report_knobs_text(FILE *f, const ManagerKnobRow *k, size_t n) {
        fprintf(f, "Knobs     %-24s %-12s %s\n", "knob", "state", "why");
        for (size_t i = 0; i < n; i++)
                fprintf(f, "          %-24s %-12s %s\n", k[i].name, k[i].state, k[i].reason);
}

void report_knobs_json(JsonWriter *w, const ManagerKnobRow *k, size_t n) {
        json_array_begin(w, "knobs");
        for (size_t i = 0; i < n; i++) {
                json_object_begin(w, NULL);
                json_string(w, "name", k[i].name);
                json_string(w, "file", k[i].file);
                json_string(w, "state", k[i].state);
                json_string(w, "reason", k[i].reason);
                json_object_end(w);
        }
        json_array_end(w);
}

void report_killorder_text(FILE *f, const KillOrderEntry *e, size_t n, size_t n_total) {
        uint64_t page_kb = (uint64_t) sysconf(_SC_PAGESIZE) / 1024;

        fprintf(f, "Kill order (the OOM killer's next choice first; %zu of %zu processes)\n", n, n_total);
        fprintf(f, "          %7s %-16s %10s %10s %5s %10s %6s %6s  %s\n", "pid", "comm", "rss", "swap",
                "adj", "points", "score", "kernel", "rule");
        for (size_t i = 0; i < n; i++) {
                const OomCandidate *c = &e[i].candidate;
                char rss[32], swap[32], points[32], rule[KILLORDER_RULE_MAX];

                format_size(rss, sizeof(rss), c->rss_pages * page_kb);
                format_size(swap, sizeof(swap), c->swap_pages * page_kb);
                if (c->killable)
                        snprintf(points, sizeof(points), "%" PRIi64, c->badness);
                else
                        snprintf(points, sizeof(points), "never");
                fprintf(f, "          %7d %-16.16s %10s %10s %5d %10s %6u %6u  %s\n", (int) c->pid, c->comm,
                        rss, swap, c->oom_score_adj, points, c->score, c->kernel_score,
                        killorder_rule_text(&e[i], rule, sizeof(rule)));
        }
}

void report_killorder_json(JsonWriter *w, const KillOrderEntry *e, size_t n) {
        uint64_t page_kb = (uint64_t) sysconf(_SC_PAGESIZE) / 1024;

        json_array_begin(w, "processes");
        for (size_t i = 0; i < n; i++) {
                const OomCandidate *c = &e[i].candidate;

                json_object_begin(w, NULL);
                json_i64(w, "pid", c->pid);
                json_string(w, "comm", c->comm);
                json_u64(w, "rss_kb", c->rss_pages * page_kb);
                json_u64(w, "swap_kb", c->swap_pages * page_kb);
                json_u64(w, "page_tables_kb", c->pgtable_pages * page_kb);
                json_i64(w, "oom_score_adj", c->oom_score_adj);
                json_bool(w, "killable", c->killable);
                if (c->killable)
                        json_i64(w, "points", c->badness);
                else
                        json_null(w, "points");
                json_u64(w, "score", c->score);
                json_u64(w, "kernel_score", c->kernel_score);
                json_string(w, "rule", e[i].rule);
                /* The rule's value is not in force: someone changed the score. */
                json_bool(w, "overridden", e[i].overridden);
                json_object_end(w);
        }
        json_array_end(w);
}

/* A CLOCK_MONOTONIC time as CLOCK_REALTIME, given the offset between them;
 * 0 stays 0 (never). */
static uint64_t mono_to_real(int64_t offset, uint64_t t) {
        int64_t r = (int64_t) t + offset;

        return t == 0 || r <= 0 ? 0 : (uint64_t) r;
}

void report_describe_json(FILE *f, const Manager *m, int64_t realtime_offset) {
        const Decision *decisions[REPORT_DESCRIBE_DECISIONS_MAX];
        ManagerOverrideRow overrides[_TUNABLE_MANAGED_MAX];
        ManagerTunableRow tunables[_TUNABLE_MAX];
        ManagerKnobRow knobs[_TUNABLE_MAX];
        ManagerStatus st;
        size_t n;
        JsonWriter w;

        manager_get_status(m, &st);
        json_init(&w, f, false);
        json_object_begin(&w, NULL);
        json_u64(&w, "version", 1);
        json_string(&w, "memtuned", PACKAGE_VERSION);
        json_string(&w, "mode", st.mode);
        json_string(&w, "mode_source", st.mode_source);
        json_object_begin(&w, "policy");
        json_string(&w, "name", st.policy_name);
        json_string(&w, "policy_mode", st.policy_mode);
        json_array_begin(&w, "files");
        for (size_t i = 0; i < st.n_policy_files; i++)
                json_string(&w, NULL, st.policy_files[i]);
        json_array_end(&w);
        json_string(&w, "error", st.policy_error);
        json_object_end(&w);
        json_string(&w, "pressure_level", st.pressure_level);
        json_u64(&w, "sample_time_usec", mono_to_real(realtime_offset, st.sample_usec));
        json_u64(&w, "samples", st.n_samples);

        report_json_fields(&w, st.sample, st.rates);

        json_array_begin(&w, "control");
        n = manager_get_tunables(m, tunables);
        for (size_t i = 0; i < n; i++) {
                const ManagerTunableRow *t = &tunables[i];

                json_object_begin(&w, NULL);
                json_string(&w, "name", t->name);
                json_u64(&w, "current", t->current);
                json_u64(&w, "original", t->original);
                json_u64(&w, "target", t->target);
                json_string(&w, "source", t->source);
                json_string(&w, "mode", t->mode);
                json_string(&w, "reason", t->reason);
                json_object_end(&w);
        }
        json_array_end(&w);

        n = manager_get_knobs(m, knobs);
        report_knobs_json(&w, knobs, n);

        json_array_begin(&w, "overrides");
        n = manager_get_overrides(m, overrides);
        for (size_t i = 0; i < n; i++) {
                const ManagerOverrideRow *o = &overrides[i];

                json_object_begin(&w, NULL);
                json_string(&w, "name", o->name);
                json_u64(&w, "value", o->value);
                if (o->expires_usec == USEC_INFINITY)
                        json_null(&w, "expires_usec");
                else
                        json_u64(&w, "expires_usec", mono_to_real(realtime_offset, o->expires_usec));
                json_object_end(&w);
        }
        json_array_end(&w);

        json_array_begin(&w, "decisions");
        n = manager_get_decisions(m, REPORT_DESCRIBE_DECISIONS_MAX, decisions);
        for (size_t i = 0; i < n; i++) {
                const Decision *d = decisions[i];

                json_object_begin(&w, NULL);
                json_u64(&w, "time_usec", mono_to_real(realtime_offset, d->time_usec));
                json_string(&w, "tunable", tunable_info(d->tunable)->name);
                json_u64(&w, "old_value", d->old_value);
                json_u64(&w, "new_value", d->new_value);
                json_string(&w, "source", tunable_source_to_string(d->source));
                json_string(&w, "reason", d->reason);
                json_object_end(&w);
        }
        json_array_end(&w);

        json_object_end(&w);
}

int report_describe_string(const Manager *m, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        report_describe_json(f, m,
                             (int64_t) clock_usec(CLOCK_REALTIME) - (int64_t) clock_usec(CLOCK_MONOTONIC));
        if (fclose(f) != 0)
                return -ENOMEM;
        utf8_sanitize(buf);
        *ret = TAKE_PTR(buf);
        return 0;
}
