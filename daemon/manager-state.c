/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's read API (manager.h) and the one place its changes leave it
 * (manager_flush_changes()): what a tunable's current, original and target
 * mean is decided here, not by the readers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "macro.h"
#include "knob.h"
#include "manager-internal.h"

void manager_get_status(const Manager *m, ManagerStatus *ret) {
        const Sample *s = manager_sample(m);
        bool enforcing = manager_enforcing(m);

        *ret = (ManagerStatus) {
                .enforcing = enforcing,
                .observe_only = m->config.observe,
                .mode = enforcing ? "enforce" : "observe",
                .mode_source = manager_mode_source(m),
                .policy_name = m->policy->name,
                .policy_mode = policy_mode_to_string(m->policy->mode),
                .policy_files = m->policy->files,
                .n_policy_files = m->policy->n_files,
                .policy_error = m->policy_error,
                .pressure = m->plan.pressure,
                .pressure_level = pressure_level_to_string(m->plan.pressure) ?: "none",
                .sample = s,
                .psi = &s->psi,
                .sample_usec = s->timestamp_usec,
                .n_samples = m->n_samples,
                .rates = m->have_rates ? &m->rates : NULL,
        };
}

/* False when the kernel does not have the tunable. */
static bool tunable_row(const Manager *m, TunableId id, ManagerTunableRow *ret) {
        const Sample *s = manager_sample(m);
        ManagerTunableRow r = { .id = id, .name = tunable_info(id)->name };

        if (!tunables_has(&s->tunables, id))
                return false;
        r.current = s->tunables.value[id];
        /* What memtuned wrote since the sample, if it did: the kernel holds
         * that now (manager_tick() notices any change by others). */
        if (id < _TUNABLE_MANAGED_MAX && m->expected_valid[id])
                r.current = m->expected[id];
        if (id >= _TUNABLE_MANAGED_MAX) {
                r.original = r.target = r.current;
                r.source = "none";
                r.mode = "unmanaged";
                r.reason = "shown, never managed";
        } else {
                const TunablePlan *p = &m->plan.tunables[id];

                /* The actuator owns what memtuned wrote, and so the value
                 * found before its first write. */
                r.original = m->actuator.entry[id].has_original ? m->actuator.entry[id].original : r.current;
                if (p->present) {
                        r.target = p->target;
                        r.source = tunable_source_to_string(p->source);
                        r.reason = p->reason;
                } else {
                        r.target = r.current;
                        r.source = "none";
                        r.reason = "";
                }
                r.mode = tunable_mode_to_string(m->policy->tunables[id].mode);
                /* Left to another tool, taken over or backed off: that is
                 * the state to show. */
                if (m->hold[id] != KNOB_HOLD_NONE && m->hold[id] != KNOB_HOLD_MANAGED)
                        r.reason = m->hold_reason[id];
        }
        (void) owners_claim(&m->owners, id, &r.owner);
        *ret = r;
        return true;
}

size_t manager_get_tunables(const Manager *m, ManagerTunableRow rows[static _TUNABLE_MAX]) {
        size_t n = 0;

        for (TunableId id = 0; id < _TUNABLE_MAX; id++)
                n += tunable_row(m, id, &rows[n]);
        return n;
}

size_t manager_get_knobs(const Manager *m, ManagerKnobRow rows[static _TUNABLE_MAX]) {
        for (TunableId id = 0; id < _TUNABLE_MAX; id++) {
                char probe[KNOB_REASON_MAX];

                if (m->sampler_ready)
                        sampler_probe_reason(&m->sampler, id, probe, sizeof(probe));
                else
                        snprintf(probe, sizeof(probe), "not probed yet");
                manager_knob_row(id, probe, m->refused[id], m->have_prev ? &m->plan.tunables[id] : NULL,
                                 &rows[id]);
        }
        return _TUNABLE_MAX;
}

void manager_knob_row(TunableId id, const char *probe, const char *refusal, const TunablePlan *plan,
                      ManagerKnobRow *ret) {
        Knob k;

        knob_describe(id, probe, refusal, plan, &k);
        *ret = (ManagerKnobRow) {
                .id = id,
                .name = tunable_info(id)->name,
                .file = tunable_info(id)->display,
                .state = knob_state_to_string(k.state),
        };
        snprintf(ret->reason, sizeof(ret->reason), "%s", k.reason);
}

size_t manager_get_zones(const Manager *m, const Zone **ret) {
        const ZoneInfo *z = &manager_sample(m)->zoneinfo;

        *ret = z->zones;
        return z->n_zones;
}

size_t manager_get_rates(const Manager *m, ManagerRateRow rows[static _VMSTAT_FIELD_MAX]) {
        size_t n = 0;

        for (VmStatField f = 0; m->have_rates && f < _VMSTAT_FIELD_MAX; f++)
                if (rates_has(&m->rates, f))
                        rows[n++] = (ManagerRateRow) {
                                .field = f,
                                .name = vmstat_field_name(f),
                                .per_second = m->rates.vmstat[f],
                        };
        return n;
}

size_t manager_get_overrides(const Manager *m, ManagerOverrideRow rows[static _TUNABLE_MANAGED_MAX]) {
        size_t n = 0;

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                if (m->overrides[id].active)
                        rows[n++] = (ManagerOverrideRow) {
                                .id = id,
                                .name = tunable_info(id)->name,
                                .value = m->overrides[id].value,
                                .expires_usec = m->overrides[id].expires_usec,
                        };
        return n;
}

size_t manager_get_decisions(const Manager *m, size_t limit, const Decision *ret[]) {
        size_t n = limit == 0 ? m->n_decisions : MIN(limit, m->n_decisions);

        for (size_t i = 0; i < n; i++)
                ret[i] = &m->decisions[(m->decisions_next + MANAGER_DECISIONS_MAX - 1 - i) %
                                       MANAGER_DECISIONS_MAX];
        return n;
}

/* ---- the one place changes leave the manager ---------------------------------- */

void manager_note_process_adjusted(Manager *m, pid_t pid, const char *comm, int old_adj, int new_adj,
                                   const char *rule) {
        ManagerProcessAdjusted *a;

        if (m->n_adjusted == m->n_adjusted_allocated) {
                size_t n = MAX(m->n_adjusted_allocated * 2, (size_t) 16);

                a = reallocarray(m->adjusted, n, sizeof(ManagerProcessAdjusted));
                if (!a) {
                        log_warning_errno(ENOMEM,
                                          "Failed to remember the adjustment of pid %d for the bus, "
                                          "ignoring: %m",
                                          (int) pid);
                        return;
                }
                m->adjusted = a;
                m->n_adjusted_allocated = n;
        }
        a = &m->adjusted[m->n_adjusted++];
        *a = (ManagerProcessAdjusted) { .pid = pid, .old_adj = old_adj, .new_adj = new_adj, .rule = rule };
        snprintf(a->comm, sizeof(a->comm), "%s", comm);
}

static bool str_eq(const char *a, const char *b) {
        return strcmp(a ?: "", b ?: "") == 0;
}

static bool tunable_rows_equal(const ManagerTunableRow *a, const ManagerTunableRow *b) {
        return a->id == b->id && a->current == b->current && a->original == b->original &&
               a->target == b->target && str_eq(a->source, b->source) && str_eq(a->mode, b->mode) &&
               str_eq(a->reason, b->reason) && str_eq(a->owner, b->owner);
}

/* Marks MANAGER_CHANGE_TUNABLES when the rows differ from those last
 * announced, and keeps them (with copies of their reasons) as such. */
static void tunables_check(Manager *m) {
        ManagerTunableRow rows[_TUNABLE_MAX];
        size_t n = manager_get_tunables(m, rows);
        bool same = n == m->n_tunables_published;

        for (size_t i = 0; same && i < n; i++)
                same = tunable_rows_equal(&rows[i], &m->tunables_published[i]);
        if (same)
                return;
        manager_mark(m, MANAGER_CHANGE_TUNABLES);
        for (size_t i = 0; i < n; i++) {
                snprintf(m->tunables_published_reason[i], ENGINE_REASON_MAX, "%s", rows[i].reason);
                rows[i].reason = m->tunables_published_reason[i];
                m->tunables_published[i] = rows[i];
        }
        m->n_tunables_published = n;
}

void manager_flush_changes(Manager *m) {
        ManagerChanges c = {};

        tunables_check(m);
        if (m->plan.pressure != m->pressure_published) {
                manager_mark(m, MANAGER_CHANGE_PRESSURE);
                c.pressure_previous = m->pressure_published;
                m->pressure_published = m->plan.pressure;
        }
        c.changed = m->changed;
        c.n_decisions = m->decisions_unpublished;
        c.reloaded = m->reloaded;
        c.reload_failed = m->reload_failed;
        c.adjusted = m->adjusted;
        c.n_adjusted = m->n_adjusted;
        c.n_incidents = manager_incidents_take_unpublished(m);
        if (c.changed != 0 || c.n_decisions > 0 || c.reloaded || c.n_adjusted > 0 || c.n_incidents > 0)
                bus_publish(m->bus, &c);

        m->changed = 0;
        m->decisions_unpublished = 0;
        m->reloaded = m->reload_failed = false;
        m->n_adjusted = 0;
}
