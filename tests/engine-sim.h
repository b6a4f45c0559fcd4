/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small simulator for engine tests: a synthetic machine whose counters the
 * test sets as rates ("load"), explicit time, and a log of every decision.
 * In enforce mode (the default) the sample's tunables follow the plan, as the
 * actuator would make them; with observe set they stay as they are. */

#include <string.h>

#include "engine.h"
#include "macro.h"

#define SEC USEC_PER_SEC
#define MINUTE (60 * USEC_PER_SEC)
#define SIM_LOG_MAX 4096

/* 16 GiB of RAM, like a small server; the watermarks of a real 16 GiB host. */
#define SIM_MEM_TOTAL_KB UINT64_C(16777216)

typedef struct Load {
        double direct, stall, zrf, refault_anon, refault_file, pswpin; /* per second */
        double psi_some, psi_full; /* percent, as avg10 and as the interval's share */
        double alloc;              /* pages allocated per second; 0: sim_alloc()'s model */
} Load;

typedef struct Sim {
        Engine e;
        Policy p;
        Sample s;
        Override ov[_TUNABLE_MANAGED_MAX];
        Plan plan;
        Load load;
        uint64_t now;
        bool observe;  /* the daemon does not write: the sample keeps its values */
        bool no_rates; /* the next step gets no rates */
        int r;         /* engine_step's last return */
        Decision log[SIM_LOG_MAX];
        size_t n_log;
        size_t n_steps;
        uint64_t start_value[_TUNABLE_MANAGED_MAX]; /* the tunables at sim_start() */
} Sim;

/* Thresholds as a default policy might set them; every tunable unmanaged. */
static inline void sim_policy(Policy *p) {
        *p = (Policy) {
                .mode = POLICY_MODE_ENFORCE,
                .thresholds = {
                        .direct_reclaim_pages_per_s = 1000,
                        .allocstall_per_s = 10,
                        .psi_some_low = 1000,           /* 10% */
                        .psi_some_medium = 3000,        /* 30% */
                        .psi_some_critical = 6000,      /* 60% */
                        .psi_full_critical = 2000,      /* 20% */
                        .window_usec = 10 * SEC,
                        .calm_usec = 10 * MINUTE,
                        .cooldown_usec = 30 * SEC,
                        .step_factor = 1.25,
                        .max_reserve_ram_percent = 3.0,
                        .sample_interval_min_usec = 1 * SEC,
                        .sample_interval_max_usec = 60 * SEC,
                },
        };
}

static inline void sim_adaptive(Sim *m, TunableId id, uint64_t min, uint64_t max) {
        m->p.tunables[id] = (TunablePolicy) { .mode = TUNABLE_MODE_ADAPTIVE, .min = min, .max = max };
}

static inline void sim_fixed(Sim *m, TunableId id, uint64_t value) {
        m->p.tunables[id] = (TunablePolicy) { .mode = TUNABLE_MODE_FIXED, .value = value };
}

static inline void sim_zone(Sample *s, uint32_t node, uint64_t free, uint64_t min) {
        Zone *z = &s->zoneinfo.zones[s->zoneinfo.n_zones++];

        *z = (Zone) {
                .node = node,
                .free = free,
                .min = min,
                .low = min * 5 / 4,
                .high = min * 3 / 2,
                .spanned = 2097152,
                .present = 2097152,
                .managed = 2000000,
        };
        snprintf(z->name, sizeof(z->name), "Normal");
        s->zoneinfo.n_nodes = 0;
        for (size_t i = 0; i < s->zoneinfo.n_zones; i++) {
                bool seen = false;

                for (size_t j = 0; j < i; j++)
                        seen = seen || s->zoneinfo.zones[j].node == s->zoneinfo.zones[i].node;
                s->zoneinfo.n_nodes += !seen;
        }
}

/* A 16 GiB host, one node, no swap, the kernel's defaults for the tunables. */
static inline void sim_new(Sim *m) {
        memset(m, 0, sizeof(*m));
        sim_policy(&m->p);

        m->s.meminfo.field[MEMINFO_MEM_TOTAL] = SIM_MEM_TOTAL_KB;
        m->s.meminfo.field[MEMINFO_MEM_FREE] = SIM_MEM_TOTAL_KB / 4;
        m->s.meminfo.field[MEMINFO_MEM_AVAILABLE] = SIM_MEM_TOTAL_KB / 2;
        m->s.meminfo.present = (UINT32_C(1) << _MEMINFO_FIELD_MAX) - 1;

        m->s.tunables.value[TUNABLE_MIN_FREE_KBYTES] = 67584;
        m->s.tunables.value[TUNABLE_WATERMARK_SCALE_FACTOR] = 10;
        m->s.tunables.value[TUNABLE_SWAPPINESS] = 60;
        m->s.tunables.value[TUNABLE_ZONE_RECLAIM_MODE] = 0;
        m->s.tunables.value[TUNABLE_WATERMARK_BOOST_FACTOR] = 15000;
        m->s.tunables.present = (UINT32_C(1) << _TUNABLE_MAX) - 1;

        m->s.psi.available = true;
        m->s.psi.has_full = true;
        sim_zone(&m->s, 0, 1000000, 16896);

        m->s.vmstat.present = (UINT32_C(1) << _VMSTAT_FIELD_MAX) - 1;
}

static inline void sim_swap(Sim *m, uint64_t kb) {
        m->s.meminfo.field[MEMINFO_SWAP_TOTAL] = kb;
        m->s.meminfo.field[MEMINFO_SWAP_FREE] = kb;
}

static inline void sim_start(Sim *m, uint64_t now) {
        m->now = now;
        m->s.timestamp_usec = now;
        memcpy(m->start_value, m->s.tunables.value, sizeof(m->start_value));
        engine_init(&m->e, &m->s, now);
        m->e.page_kb = 4; /* reasons in MiB independent of the build host */
}

/* Pages allocated per second: load.alloc where a test sets it, otherwise a
 * machine that answers every watermark step: its work rises in proportion
 * to each watermark tunable's ratio to its start value, so that at an
 * unchanged stall rate each step lowers the stalls per page allocated by
 * more than a trial asks (ENGINE_STEP_MIN_GAIN times the widening) and is
 * kept, and steps sized to the allocations (ENGINE_WSF_COVER_SEC) stay
 * below doubling on the 2,000,000 pages of sim_new()'s zone. Tests about
 * trials set load.alloc. */
static inline double sim_alloc(const Sim *m) {
        static const TunableId ids[] = { TUNABLE_WATERMARK_SCALE_FACTOR, TUNABLE_MIN_FREE_KBYTES };
        double a = 1000;

        if (m->load.alloc > 0)
                return m->load.alloc;
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                double ratio = m->start_value[ids[i]] > 0 ? (double) m->s.tunables.value[ids[i]] /
                                                                    (double) m->start_value[ids[i]]
                                                          : 1;

                a *= ratio;
        }
        return a;
}

static inline void sim_rates(const Sim *m, uint64_t dt, Rates *r) {
        const Load *l = &m->load;

        *r = (Rates) {
                .interval_usec = dt,
                .valid = (UINT32_C(1) << _VMSTAT_FIELD_MAX) - 1,
                .psi_valid = true,
                .psi_some_pct = l->psi_some,
                .psi_full_pct = l->psi_full,
        };
        r->vmstat[VMSTAT_PGSCAN_DIRECT] = l->direct;
        r->vmstat[VMSTAT_ALLOCSTALL] = l->stall;
        r->vmstat[VMSTAT_ZONE_RECLAIM_FAILED] = l->zrf;
        r->vmstat[VMSTAT_WORKINGSET_REFAULT_ANON] = l->refault_anon;
        r->vmstat[VMSTAT_WORKINGSET_REFAULT_FILE] = l->refault_file;
        r->vmstat[VMSTAT_PSWPIN] = l->pswpin;
        r->vmstat[VMSTAT_PGALLOC] = sim_alloc(m);
}

/* One sample dt after the previous one. Returns engine_step's result. */
static inline int sim_step(Sim *m, uint64_t dt) {
        Rates r;

        m->now += dt;
        m->s.timestamp_usec = m->now;
        m->s.psi.some.avg10 = (uint32_t) (m->load.psi_some * 100);
        m->s.psi.full.avg10 = (uint32_t) (m->load.psi_full * 100);
        sim_rates(m, dt, &r);

        m->r = engine_step(&m->e, &m->p, m->ov, &m->s, m->no_rates ? NULL : &r, m->now, &m->plan);
        m->no_rates = false;
        m->n_steps++;
        if (m->r < 0)
                return m->r;
        for (size_t i = 0; i < m->plan.n_decisions && m->n_log < SIM_LOG_MAX; i++)
                m->log[m->n_log++] = m->plan.decisions[i];
        if (!m->observe)
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                        if (m->plan.tunables[id].managed)
                                m->s.tunables.value[id] = m->plan.tunables[id].target;
        return m->r;
}

/* Samples every dt for duration. */
static inline void sim_run(Sim *m, uint64_t duration, uint64_t dt) {
        uint64_t end = m->now + duration;

        while (m->now + dt <= end)
                sim_step(m, dt);
}

static inline uint64_t sim_target(const Sim *m, TunableId id) {
        return m->plan.tunables[id].target;
}

/* A step's trial judged it in this plan, or held the next step for more
 * evidence: only a step in force can be judged, so from here on observe
 * mode (which judges none) may plan otherwise. */
static inline bool sim_judged(const Plan *p) {
        return p->judged;
}

/* The decisions about one tunable, in order, copied to ret (up to n). */
static inline size_t sim_decisions(const Sim *m, TunableId id, const Decision **ret, size_t n) {
        size_t k = 0;

        for (size_t i = 0; i < m->n_log; i++)
                if (m->log[i].tunable == id) {
                        if (k < n)
                                ret[k] = &m->log[i];
                        k++;
                }
        return k;
}
