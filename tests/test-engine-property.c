/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Properties of the engine over thousands of random timelines: random
 * policies, hosts, loads, sampling intervals, overrides and changes behind
 * the engine's back. Each timeline has its own seed; a failure prints it, and
 *   MEMTUNED_TEST_SEED=<seed> MEMTUNED_TEST_TIMELINES=1 tests/test-engine-property
 * replays that timeline alone (MEMTUNED_TEST_VERBOSE=1 prints its decisions). */
#include "engine-sim.h"
#include "test-util.h"

#define TIMELINES_DEFAULT 3000
#define SEED_DEFAULT UINT64_C(20261124)

static Sim sim, twin;
static uint64_t seed;
static bool verbose;
static unsigned long n_steps_total, n_decisions_total, n_timeline_failures;
static unsigned long n_decisions_by_source[_TUNABLE_SOURCE_MAX];

/* splitmix64: tiny, fast, good enough for test inputs. */
static uint64_t rnd_state;

static uint64_t rnd(void) {
        uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t rnd_range(uint64_t lo, uint64_t hi) {
        return hi <= lo ? lo : lo + rnd() % (hi - lo + 1);
}

static double rnd_double(double lo, double hi) {
        return lo + (hi - lo) * ((double) (rnd() >> 11) / (double) (UINT64_C(1) << 53));
}

static bool rnd_chance(unsigned percent) {
        return rnd() % 100 < percent;
}

static int failures_here;

#define PROP(expr, ...)                                                                             \
        do {                                                                                        \
                if (!(expr)) {                                                                      \
                        if (failures_here++ < 5) {                                                  \
                                fprintf(stderr, "seed %" PRIu64 " step %zu (t=%.1f s): %s: ", seed, \
                                        sim.n_steps, (double) (sim.now - T0) / SEC, #expr);         \
                                fprintf(stderr, __VA_ARGS__);                                       \
                                fputc('\n', stderr);                                                \
                        }                                                                           \
                        test_failures++;                                                            \
                }                                                                                   \
        } while (0)

#define T0 (1000 * SEC)

/* ---- the random world -------------------------------------------------------- */

static void random_policy(Policy *p) {
        PolicyThresholds *th = &p->thresholds;

        sim_policy(p);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunableInfo *info = tunable_info(id);
                uint64_t top = id == TUNABLE_MIN_FREE_KBYTES ? 4000000 : info->kernel_max;
                TunablePolicy *tp = &p->tunables[id];

                tp->mode = (TunableMode) rnd_range(0, 2);
                if (rnd_chance(40))
                        tp->mode = TUNABLE_MODE_ADAPTIVE;
                tp->value = rnd_range(info->kernel_min, top);
                tp->min = rnd_range(info->kernel_min, top / 2);
                tp->max = rnd_range(tp->min, top);
                if (id == TUNABLE_MIN_FREE_KBYTES && rnd_chance(50)) {
                        tp->min = rnd_range(0, 100000);
                        tp->max = rnd_range(tp->min, 1000000);
                }
                if (id == TUNABLE_WATERMARK_SCALE_FACTOR && rnd_chance(50)) {
                        tp->min = rnd_range(1, 20);
                        tp->max = rnd_range(tp->min, 300);
                }
                if (id == TUNABLE_ZONE_RECLAIM_MODE && rnd_chance(60))
                        tp->min = 0;
        }

        th->direct_reclaim_pages_per_s = rnd_chance(5) ? 0 : rnd_double(50, 5000);
        th->allocstall_per_s = rnd_chance(10) ? 0 : rnd_double(1, 100);
        th->psi_some_low = rnd_chance(10) ? 0 : (uint32_t) rnd_range(100, 2000);
        th->psi_some_medium = rnd_chance(10) ? 0 : th->psi_some_low + (uint32_t) rnd_range(0, 3000);
        th->psi_some_critical = rnd_chance(10) ? 0 : th->psi_some_medium + (uint32_t) rnd_range(0, 4000);
        th->psi_full_critical = rnd_chance(10) ? 0 : (uint32_t) rnd_range(100, 5000);
        th->window_usec = rnd_chance(5) ? 0 : rnd_range(1, 60) * SEC;
        th->calm_usec = rnd_range(0, 20 * 60) * SEC;
        th->cooldown_usec = rnd_chance(5) ? 0 : rnd_range(1, 120) * SEC;
        th->step_factor = rnd_double(1.01, 3.0);
        th->max_reserve_ram_percent = rnd_chance(20) ? 0 : rnd_double(0.1, 20);
        th->sample_interval_min_usec = rnd_range(100, 5000) * USEC_PER_MSEC;
        th->sample_interval_max_usec = th->sample_interval_min_usec + rnd_range(0, 120) * SEC;
}

static void random_host(Sim *m) {
        unsigned nodes = rnd_chance(60) ? 1 : (unsigned) rnd_range(2, 4);

        m->s.meminfo.field[MEMINFO_MEM_TOTAL] = rnd_chance(3) ? 0 : rnd_range(256 * 1024, UINT64_C(1) << 30);
        sim_swap(m, rnd_chance(50) ? 0 : rnd_range(1024, 64 * 1024 * 1024));
        m->s.tunables.value[TUNABLE_MIN_FREE_KBYTES] = rnd_range(1000, 400000);
        m->s.tunables.value[TUNABLE_WATERMARK_SCALE_FACTOR] = rnd_range(1, 1000);
        m->s.tunables.value[TUNABLE_SWAPPINESS] = rnd_range(0, 200);
        m->s.tunables.value[TUNABLE_ZONE_RECLAIM_MODE] = rnd_chance(50) ? 0 : rnd_range(1, 7);
        if (rnd_chance(20))
                m->s.tunables.present &= ~(UINT32_C(1) << TUNABLE_ZONE_RECLAIM_MODE);
        if (rnd_chance(5))
                m->s.tunables.present &= ~(UINT32_C(1) << TUNABLE_WATERMARK_SCALE_FACTOR);
        m->s.psi.available = !rnd_chance(10);
        m->s.psi.has_full = rnd_chance(80);

        m->s.zoneinfo.n_zones = 0;
        for (unsigned n = 0; n < nodes; n++) {
                uint64_t min = rnd_range(100, 50000);

                sim_zone(&m->s, n, rnd_range(0, 5 * min), min);
                if (rnd_chance(30))
                        sim_zone(&m->s, n, rnd_range(0, 5 * min), min / 2);
        }
}

typedef enum Regime {
        REGIME_CALM,
        REGIME_TROUBLE,
        REGIME_FLAP,
        REGIME_BAND,
        REGIME_THRASH,
        REGIME_CHAOS,
        _REGIME_MAX,
} Regime;

/* A decision of this plan sized a step to the pages allocated (wsf_cover()). */
static bool sized_to_alloc(const Plan *p) {
        for (size_t i = 0; i < p->n_decisions; i++)
                if (strstr(p->decisions[i].reason, "pages/s allocated"))
                        return true;
        return false;
}

static void random_load(Sim *m, Regime regime, unsigned i) {
        double d = m->p.thresholds.direct_reclaim_pages_per_s, a = m->p.thresholds.allocstall_per_s;
        Load *l = &m->load;

        if (d <= 0)
                d = 1000;
        if (a <= 0)
                a = 10;
        switch (regime) {
        case REGIME_CALM: *l = (Load) {}; break;
        case REGIME_TROUBLE:
                *l = (Load) { .direct = rnd_double(1, 5) * d,
                              .stall = rnd_double(0, 3) * a,
                              .psi_some = rnd_double(0, 40),
                              .psi_full = rnd_double(0, 10),
                              .zrf = rnd_double(0, 30) };
                break;
        case REGIME_FLAP:
                *l = (i % 2) ? (Load) {} : (Load) { .direct = 3 * d, .stall = 3 * a, .psi_some = 30 };
                break;
        case REGIME_BAND:
                *l = (Load) { .direct = rnd_double(0.5, 0.99) * d, .stall = rnd_double(0, 0.49) * a };
                break;
        case REGIME_THRASH:
                *l = rnd_chance(50) ? (Load) { .refault_file = rnd_double(200, 5000),
                                               .refault_anon = rnd_double(0, 50) }
                                    : (Load) { .refault_anon = rnd_double(200, 3000),
                                               .pswpin = rnd_double(0, 2000),
                                               .refault_file = rnd_double(0, 100) };
                break;
        default:
                *l = (Load) {
                        .direct = rnd_chance(50) ? 0 : rnd_double(0, 10 * d),
                        .stall = rnd_chance(50) ? 0 : rnd_double(0, 10 * a),
                        .zrf = rnd_chance(70) ? 0 : rnd_double(0, 100),
                        .refault_anon = rnd_double(0, 3000),
                        .refault_file = rnd_double(0, 3000),
                        .pswpin = rnd_double(0, 1000),
                        .psi_some = rnd_chance(50) ? 0 : rnd_double(0, 100),
                        .psi_full = rnd_chance(70) ? 0 : rnd_double(0, 100),
                };
                break;
        }
}

/* ---- what must hold ------------------------------------------------------------ */

typedef struct Track {
        bool known;      /* we have seen this tunable's target */
        uint64_t target; /* the target after the last step */
        bool adaptive_seen;
        uint64_t adaptive_value;       /* the last target while the source was adaptive */
        uint64_t adaptive_change_usec; /* when it last changed; USEC_INFINITY: not yet */
        uint64_t before_up;            /* the adaptive target before its last step up */
} Track;

/* Early returns and steps taken back seen: the load generator must reach
 * the rules. */
static unsigned long n_thrash_backs, n_taken_back;

typedef struct World {
        Track t[_TUNABLE_MANAGED_MAX];
        uint64_t watermark_change_usec;
        uint64_t thrash_back_usec; /* the last early return; USEC_INFINITY: none */
        int watermark_direction;   /* of the last watermark change: +1, -1, 0 unknown */
        PressureLevel pressure;
        uint64_t pressure_change_usec;
        bool swap;
} World;

static World world;

static uint64_t cap_kb(const Sim *m) {
        double pct = ENGINE_RESERVE_CAP_RAM_PERCENT;

        if (m->p.thresholds.max_reserve_ram_percent > 0 && m->p.thresholds.max_reserve_ram_percent < pct)
                pct = m->p.thresholds.max_reserve_ram_percent;
        return (uint64_t) ((double) m->s.meminfo.field[MEMINFO_MEM_TOTAL] * pct / 100.0);
}

/* The hard ceiling for a tunable, as the header documents it. */
static uint64_t ceiling(const Sim *m, TunableId id, uint64_t baseline) {
        uint64_t max = tunable_info(id)->kernel_max;

        if (id == TUNABLE_MIN_FREE_KBYTES)
                max = MIN(max, MAX(cap_kb(m), baseline));
        return max;
}

static void forget(TunableId id) {
        world.t[id].adaptive_seen = false;
        world.t[id].adaptive_change_usec = USEC_INFINITY;
        if (id == TUNABLE_MIN_FREE_KBYTES || id == TUNABLE_WATERMARK_SCALE_FACTOR) {
                world.watermark_change_usec = USEC_INFINITY;
                world.watermark_direction = 0;
        }
}

/* An adaptive target changed from old_value to new_value now; first: the
 * first sight of the tunable as adaptive (a clamp into the bounds), which
 * starts the clock but has no direction to check. */
static void check_adaptive_change(const Sim *m, TunableId id, uint64_t old_value, uint64_t new_value,
                                  bool first) {
        const PolicyThresholds *th = &m->p.thresholds;
        Track *t = &world.t[id];
        bool watermark = id == TUNABLE_MIN_FREE_KBYTES || id == TUNABLE_WATERMARK_SCALE_FACTOR;
        int dir = new_value > old_value ? 1 : -1;
        bool taken_back = false, thrash_back = false;

        for (size_t i = 0; i < m->plan.n_decisions; i++) {
                taken_back = taken_back || (m->plan.decisions[i].tunable == id &&
                                            strstr(m->plan.decisions[i].reason, "took the step back"));
                thrash_back =
                        thrash_back || (m->plan.decisions[i].tunable == id &&
                                        strstr(m->plan.decisions[i].reason, "the page cache thrashing"));
        }

        if (first) {
        } else if (id == TUNABLE_SWAPPINESS) {
                PROP(t->adaptive_change_usec == USEC_INFINITY ||
                             m->now - t->adaptive_change_usec >=
                                     th->cooldown_usec * ENGINE_SWAPPINESS_COOLDOWN_FACTOR,
                     "swappiness changed %.1f s after its last change",
                     (double) (m->now - t->adaptive_change_usec) / SEC);
                PROP(world.swap, "swappiness stepped without swap");
                PROP((new_value > old_value ? new_value - old_value : old_value - new_value) <=
                             ENGINE_SWAPPINESS_STEP,
                     "swappiness %" PRIu64 " -> %" PRIu64 ": more than one step", old_value, new_value);
        } else if (id == TUNABLE_ZONE_RECLAIM_MODE) {
                PROP(t->adaptive_change_usec == USEC_INFINITY ||
                             m->now - t->adaptive_change_usec >= th->cooldown_usec,
                     "zone_reclaim_mode changed within the cool-down");
                PROP(new_value < old_value, "zone_reclaim_mode raised %" PRIu64 " -> %" PRIu64, old_value,
                     new_value);
        } else if (watermark && world.watermark_change_usec != USEC_INFINITY &&
                   world.watermark_change_usec != m->now) {
                uint64_t since = m->now - world.watermark_change_usec;

                /* One watermark step per cool-down (both tunables may move
                 * in that one step: back to the baselines, or back to the
                 * learned levels); a step up needs a whole window after the
                 * last step, a step down a whole calm time. */
                PROP(since >= th->cooldown_usec, "%s changed %.1f s after the last watermark change",
                     tunable_info(id)->name, (double) since / SEC);
                if (taken_back) {
                        /* A step that did not pay goes back to where it
                         * came from, once its trial window is over. */
                        PROP(dir < 0 && world.watermark_direction > 0 && new_value == t->before_up,
                             "%s taken back %" PRIu64 " -> %" PRIu64 ", not to %" PRIu64
                             " before its step up",
                             tunable_info(id)->name, old_value, new_value, t->before_up);
                        /* A cost is judged on ENGINE_TRIAL_WINDOWS
                         * windows, never on one. */
                        PROP(since >= th->window_usec * ENGINE_TRIAL_WINDOWS,
                             "%s taken back %.1f s after the step (window %.0f s)", tunable_info(id)->name,
                             (double) since / SEC, (double) th->window_usec / SEC);
                        n_taken_back++;
                } else if (dir > 0)
                        PROP(since >= th->window_usec,
                             "%s up %.1f s after the last watermark change (window %.0f s)",
                             tunable_info(id)->name, (double) since / SEC, (double) th->window_usec / SEC);
                else if (thrash_back) {
                        /* Early, while the page cache thrashes: after
                         * ENGINE_THRASH_CALM_WINDOWS windows, at most once
                         * per calm time. */
                        PROP(since >= MIN(th->calm_usec, th->window_usec * ENGINE_THRASH_CALM_WINDOWS),
                             "%s down early %.1f s after the last watermark change (window %.0f s)",
                             tunable_info(id)->name, (double) since / SEC, (double) th->window_usec / SEC);
                        PROP(world.thrash_back_usec == USEC_INFINITY ||
                                     m->now - world.thrash_back_usec >= th->calm_usec,
                             "%s down early twice within the calm time", tunable_info(id)->name);
                        world.thrash_back_usec = m->now;
                        n_thrash_backs++;
                } else
                        PROP(since >= th->calm_usec,
                             "%s down %.1f s after the last watermark change (calm %.0f s)",
                             tunable_info(id)->name, (double) since / SEC, (double) th->calm_usec / SEC);
        }

        t->adaptive_change_usec = m->now;
        if (dir > 0)
                t->before_up = old_value;
        if (watermark) {
                world.watermark_change_usec = m->now;
                world.watermark_direction = dir;
        }
}

static void check_step(Sim *m, const Override ov_before[], const uint64_t current_before[]) {
        const Plan *plan = &m->plan;
        const PolicyThresholds *th = &m->p.thresholds;
        bool seen[_TUNABLE_MANAGED_MAX] = {};
        bool expiry_soon = false;

        PROP(m->r >= 0, "engine_step failed: %d", m->r);
        if (m->r < 0)
                return;
        PROP((size_t) m->r == plan->n_decisions, "returned %d for %zu decisions", m->r, plan->n_decisions);
        PROP(plan->evidence[0] != 0, "no evidence line");

        for (size_t i = 0; i < plan->n_decisions; i++) {
                const Decision *d = &plan->decisions[i];
                const char *name = tunable_info(d->tunable)->name;
                char prefix[128];
                Track *t = &world.t[d->tunable];

                n_decisions_total++;
                n_decisions_by_source[d->source]++;
                if (verbose)
                        printf("  t=%.1f s %s\n", (double) (m->now - T0) / SEC, d->reason);
                PROP((unsigned) d->tunable < _TUNABLE_MANAGED_MAX, "decision for tunable %d", d->tunable);
                if ((unsigned) d->tunable >= _TUNABLE_MANAGED_MAX)
                        continue;
                PROP(!seen[d->tunable], "two decisions for %s in one step", name);
                seen[d->tunable] = true;
                PROP(d->time_usec == m->now, "decision time");
                PROP(d->old_value != d->new_value, "%s: a decision that changes nothing", name);
                PROP(t->known && d->old_value == t->target,
                     "%s: decision from %" PRIu64 ", last target %" PRIu64, name, d->old_value, t->target);
                snprintf(prefix, sizeof(prefix), "%s %" PRIu64 " -> %" PRIu64 ": ", name, d->old_value,
                         d->new_value);
                PROP(strncmp(d->reason, prefix, strlen(prefix)) == 0 &&
                             strlen(d->reason) > strlen(prefix) + 3,
                     "reason \"%s\"", d->reason);
                PROP(d->source == plan->tunables[d->tunable].source,
                     "%s: decision source differs from the plan's", name);
        }

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunablePlan *tp = &plan->tunables[id];
                const TunablePolicy *pol = &m->p.tunables[id];
                const TunableInfo *info = tunable_info(id);
                const Override *ov = &ov_before[id];
                bool in_force = ov->active && m->now < ov->expires_usec;
                uint64_t ceil = ceiling(m, id, tp->baseline);
                Track *t = &world.t[id];

                PROP(tp->reason[0] != 0, "%s: no reason in the plan", info->name);
                if (!tp->present) {
                        PROP(!tp->managed && !seen[id], "%s: absent but managed", info->name);
                        continue;
                }
                PROP(tp->current == current_before[id], "%s: current", info->name);
                PROP(tp->managed == (tp->source != TUNABLE_SOURCE_NONE), "%s: managed/source", info->name);
                PROP(tp->override_expired == (ov->active && !in_force), "%s: override_expired", info->name);
                if (in_force && ov->expires_usec != USEC_INFINITY &&
                    ov->expires_usec - m->now < th->sample_interval_max_usec)
                        expiry_soon = true;

                if (tp->managed) {
                        PROP(tp->target >= info->kernel_min && tp->target <= info->kernel_max,
                             "%s: target %" PRIu64 " outside the kernel's range", info->name, tp->target);
                        PROP(tp->target <= ceil,
                             "%s: target %" PRIu64 " above the safety ceiling %" PRIu64 " (baseline %" PRIu64
                             ")",
                             info->name, tp->target, ceil, tp->baseline);
                }

                if (in_force) {
                        PROP(tp->source == TUNABLE_SOURCE_OVERRIDE &&
                                     tp->target == CLAMP(ov->value, info->kernel_min, ceil),
                             "%s: override %" PRIu64 " not respected: target %" PRIu64 " source %s",
                             info->name, ov->value, tp->target, tunable_source_to_string(tp->source));
                } else if (pol->mode == TUNABLE_MODE_FIXED) {
                        PROP(tp->source == TUNABLE_SOURCE_FIXED &&
                                     tp->target == CLAMP(pol->value, info->kernel_min, ceil),
                             "%s: fixed %" PRIu64 ": target %" PRIu64, info->name, pol->value, tp->target);
                } else if (pol->mode == TUNABLE_MODE_UNMANAGED) {
                        PROP(tp->source == TUNABLE_SOURCE_NONE || tp->source == TUNABLE_SOURCE_BASELINE,
                             "%s: unmanaged with source %s", info->name,
                             tunable_source_to_string(tp->source));
                        if (tp->source == TUNABLE_SOURCE_NONE)
                                PROP(tp->target == tp->current && !seen[id], "%s: unmanaged but planned",
                                     info->name);
                        else
                                PROP(tp->target == tp->baseline,
                                     "%s: handed back to %" PRIu64 ", baseline %" PRIu64, info->name,
                                     tp->target, tp->baseline);
                } else {
                        uint64_t lo = MAX(pol->min, info->kernel_min), hi = MIN(pol->max, info->kernel_max);
                        uint64_t ehi = MIN(hi, ceil), elo = MIN(lo, ehi);

                        PROP(tp->source == TUNABLE_SOURCE_ADAPTIVE, "%s: adaptive with source %s",
                             info->name, tunable_source_to_string(tp->source));
                        PROP(tp->target >= elo && tp->target <= ehi,
                             "%s: adaptive target %" PRIu64 " outside %" PRIu64 "..%" PRIu64
                             " (policy %" PRIu64 "..%" PRIu64 ")",
                             info->name, tp->target, elo, ehi, pol->min, pol->max);
                        if (lo <= ceil)
                                PROP(tp->target >= lo && tp->target <= hi, "%s: outside the policy's bounds",
                                     info->name);

                        if (!t->adaptive_seen) {
                                /* First sight: a value other than the baseline is a clamp, i.e. a change now. */
                                if (tp->target != tp->baseline)
                                        check_adaptive_change(m, id, tp->baseline, tp->target, true);
                        } else if (tp->target != t->adaptive_value)
                                check_adaptive_change(m, id, t->adaptive_value, tp->target, false);
                        t->adaptive_seen = true;
                        t->adaptive_value = tp->target;
                }

                t->known = true;
                t->target = tp->target;
        }

        PROP(plan->next_sample_usec > 0 && plan->next_sample_usec <= th->sample_interval_max_usec,
             "next sample in %" PRIu64 " usec", plan->next_sample_usec);
        PROP(plan->next_sample_usec >= th->sample_interval_min_usec || expiry_soon,
             "next sample in %" PRIu64 " usec, below the minimum", plan->next_sample_usec);
        PROP(plan->n_decisions == 0 || plan->next_sample_usec == th->sample_interval_min_usec || expiry_soon,
             "a decision, yet the next sample is in %" PRIu64 " usec", plan->next_sample_usec);

        if (plan->pressure != world.pressure) {
                PROP(plan->pressure_changed, "pressure changed unflagged");
                if (plan->pressure < world.pressure)
                        PROP(m->now - world.pressure_change_usec >= ENGINE_PRESSURE_HOLD_USEC,
                             "pressure fell %.1f s after its last change",
                             (double) (m->now - world.pressure_change_usec) / SEC);
                world.pressure = plan->pressure;
                world.pressure_change_usec = m->now;
        } else
                PROP(!plan->pressure_changed, "pressure_changed without a change");
}

/* ---- one timeline ------------------------------------------------------------------ */

/* Runs the timeline of seed s in m. With check, verifies every step (m must be
 * &sim); plans[] (if given) receives each step's plan. external: allow changes
 * behind the engine's back. */
static void timeline(Sim *m, uint64_t s, bool check, bool observe, bool external, Plan *plans,
                     size_t n_plans) {
        Regime regime = REGIME_CALM;
        unsigned n, regime_left = 0;

        rnd_state = s;
        sim_new(m);
        random_policy(&m->p);
        random_host(m);
        m->observe = observe;
        if (observe)
                m->p.mode = POLICY_MODE_OBSERVE;
        sim_start(m, T0);

        if (check) {
                world = (World) { .pressure = PRESSURE_NONE,
                                  .pressure_change_usec = T0,
                                  .thrash_back_usec = USEC_INFINITY,
                                  .swap = m->s.meminfo.field[MEMINFO_SWAP_TOTAL] > 0 };
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                        world.t[id] = (Track) { .known = tunables_has(&m->s.tunables, id),
                                                .target = m->s.tunables.value[id] };
                        forget(id);
                }
        }

        n = (unsigned) rnd_range(50, 700);
        for (unsigned i = 0; i < n; i++) {
                Override before[_TUNABLE_MANAGED_MAX];
                uint64_t current[_TUNABLE_MANAGED_MAX], dt;

                if (regime_left == 0) {
                        regime = (Regime) rnd_range(0, _REGIME_MAX - 1);
                        regime_left = (unsigned) rnd_range(1, 200);
                }
                regime_left--;
                random_load(m, regime, i);

                /* Sampling: mostly as the plan says, sometimes early (a PSI
                 * wake-up) or late (a busy loop), sometimes the same time. */
                if (i == 0 || rnd_chance(30))
                        dt = rnd_range(0, 90000) * USEC_PER_MSEC;
                else
                        dt = m->plan.next_sample_usec;
                if (dt == 0 && rnd_chance(50))
                        dt = 1;

                if (rnd_chance(2)) {
                        TunableId id = (TunableId) rnd_range(0, _TUNABLE_MANAGED_MAX - 1);
                        const TunableInfo *info = tunable_info(id);

                        m->ov[id] = (Override) {
                                .active = rnd_chance(80),
                                .value = rnd_chance(20) ? rnd() % 10000000
                                                        : rnd_range(info->kernel_min,
                                                                    MIN(info->kernel_max, 500000)),
                                .expires_usec = rnd_chance(30) ? USEC_INFINITY
                                                               : m->now + dt + rnd_range(0, 600) * SEC,
                        };
                }
                if (external && rnd_chance(1)) {
                        /* Someone else changed a value; the daemon tells the engine. */
                        TunableId id = (TunableId) rnd_range(0, _TUNABLE_MANAGED_MAX - 1);

                        if (tunables_has(&m->s.tunables, id)) {
                                uint64_t v = rnd_range(tunable_info(id)->kernel_min,
                                                       MIN(tunable_info(id)->kernel_max, 500000));

                                m->s.tunables.value[id] = v;
                                engine_set_baseline(&m->e, id, v);
                                if (check) {
                                        world.t[id].target = v;
                                        forget(id);
                                }
                        }
                }
                m->no_rates = rnd_chance(2);

                memcpy(before, m->ov, sizeof(before));
                for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                        current[id] = m->s.tunables.value[id];
                sim_step(m, dt);
                if (check)
                        check_step(m, before, current);
                if (plans && i < n_plans)
                        plans[i] = m->plan;
        }
        n_steps_total += n;
}

static bool plan_equal(const Plan *a, const Plan *b) {
        if (a->n_decisions != b->n_decisions || a->pressure != b->pressure || a->trouble != b->trouble ||
            a->calm != b->calm || a->next_sample_usec != b->next_sample_usec ||
            strcmp(a->evidence, b->evidence) != 0)
                return false;
        for (size_t i = 0; i < a->n_decisions; i++)
                if (a->decisions[i].new_value != b->decisions[i].new_value ||
                    strcmp(a->decisions[i].reason, b->decisions[i].reason) != 0)
                        return false;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                if (a->tunables[id].target != b->tunables[id].target ||
                    a->tunables[id].source != b->tunables[id].source ||
                    strcmp(a->tunables[id].reason, b->tunables[id].reason) != 0)
                        return false;
        return true;
}

static Plan plans_a[700], plans_b[700];

int main(void) {
        const char *e;
        uint64_t base = SEED_DEFAULT;
        unsigned long timelines = TIMELINES_DEFAULT;
        unsigned long n_twins = 0;

        if ((e = getenv("MEMTUNED_TEST_SEED")))
                base = strtoull(e, NULL, 0);
        if ((e = getenv("MEMTUNED_TEST_TIMELINES")))
                timelines = strtoul(e, NULL, 0);
        verbose = getenv("MEMTUNED_TEST_VERBOSE") != NULL;

        for (unsigned long i = 0; i < timelines; i++) {
                int before = test_failures;

                seed = base + i;
                failures_here = 0;
                timeline(&sim, seed, true, rnd_chance(30), true, NULL, 0);
                if (test_failures != before) {
                        n_timeline_failures++;
                        fprintf(stderr,
                                "timeline failed: MEMTUNED_TEST_SEED=%" PRIu64
                                " MEMTUNED_TEST_TIMELINES=1\n",
                                seed);
                        if (n_timeline_failures >= 10)
                                break;
                }

                /* Every 10th timeline: purity (the same inputs give the same
                 * plans) and observe mode (whether the values get written
                 * makes no difference to the plans until a trial judges a
                 * step in enforce mode, or a step is sized to the pages
                 * allocated, which the simulated machine raises with the
                 * values written). */
                if (i % 10 == 0) {
                        timeline(&sim, seed, false, false, false, plans_a, ELEMENTSOF(plans_a));
                        timeline(&twin, seed, false, true, false, plans_b, ELEMENTSOF(plans_b));
                        n_twins++;
                        for (size_t k = 0;
                             k < ELEMENTSOF(plans_a) && k < sim.n_steps && !sim_judged(&plans_a[k]) &&
                             !sized_to_alloc(&plans_a[k]) && !sized_to_alloc(&plans_b[k]);
                             k++)
                                if (!plan_equal(&plans_a[k], &plans_b[k])) {
                                        fprintf(stderr,
                                                "seed %" PRIu64
                                                ": enforce and observe plans differ at step %zu\n",
                                                seed, k);
                                        test_failures++;
                                        break;
                                }
                }
        }

        printf("%lu timelines, %lu steps, %lu decisions (adaptive %lu, fixed %lu, override %lu, baseline %lu), "
               "%lu enforce/observe twins; seeds %" PRIu64 "..%" PRIu64 "\n",
               timelines, n_steps_total, n_decisions_total, n_decisions_by_source[TUNABLE_SOURCE_ADAPTIVE],
               n_decisions_by_source[TUNABLE_SOURCE_FIXED], n_decisions_by_source[TUNABLE_SOURCE_OVERRIDE],
               n_decisions_by_source[TUNABLE_SOURCE_BASELINE], n_twins, base, base + timelines - 1);
        printf("%lu early returns while the page cache thrashed, %lu steps taken back\n", n_thrash_backs,
               n_taken_back);
        if (timelines >= 1000) {
                CHECK(n_thrash_backs > 0);
                CHECK(n_taken_back > 0);
        }
        return test_result("test-engine-property");
}
