/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine on synthetic timelines with explicit time. Times are seconds
 * after the start (T0); every sample is 1 s after the previous one unless a
 * test says otherwise. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "engine-sim.h"
#include "test-util.h"

#define T0 (1000 * SEC)
#define AT(s) (T0 + (uint64_t) (s) *SEC)

static Sim sim, sim2;

static const TunableId MFK = TUNABLE_MIN_FREE_KBYTES, WSF = TUNABLE_WATERMARK_SCALE_FACTOR,
                       SWP = TUNABLE_SWAPPINESS, ZRM = TUNABLE_ZONE_RECLAIM_MODE;

/* Checks one logged decision. */
static void check_decision(const Decision *d, uint64_t at, TunableId id, uint64_t old_value,
                           uint64_t new_value, TunableSource source, const char *reason, int line) {
        if (!d) {
                fprintf(stderr, "test-engine.c:%d: decision missing\n", line);
                test_failures++;
                return;
        }
        if (d->time_usec != at || d->tunable != id || d->old_value != old_value ||
            d->new_value != new_value || d->source != source || (reason && strcmp(d->reason, reason) != 0)) {
                fprintf(stderr,
                        "test-engine.c:%d: decision differs:\n  got  t=%" PRIu64
                        " s %s %s\n  want t=%" PRIu64 " s %s %s\n",
                        line, (d->time_usec - T0) / SEC, tunable_source_to_string(d->source), d->reason,
                        (at - T0) / SEC, tunable_source_to_string(source), reason ? reason : "(any)");
                test_failures++;
        }
}
#define CHECK_DECISION(d, at, id, o, n, src, reason) check_decision(d, at, id, o, n, src, reason, __LINE__)

static const Decision *nth(const Sim *m, TunableId id, size_t i) {
        const Decision *d[256];
        size_t n = sim_decisions(m, id, d, ELEMENTSOF(d));

        return i < n && i < ELEMENTSOF(d) ? d[i] : NULL;
}

static size_t count(const Sim *m, TunableId id) {
        return sim_decisions(m, id, NULL, 0);
}

/* Number of times the direction of a tunable's decisions reverses. */
static size_t direction_changes(const Sim *m, TunableId id) {
        size_t changes = 0;
        int last = 0;

        for (size_t i = 0; i < m->n_log; i++) {
                const Decision *d = &m->log[i];
                int dir;

                if (d->tunable != id)
                        continue;
                dir = d->new_value > d->old_value ? 1 : -1;
                if (last != 0 && dir != last)
                        changes++;
                last = dir;
        }
        return changes;
}

/* Smallest time between two decisions about a tunable (USEC_INFINITY: < 2). */
static uint64_t min_spacing(const Sim *m, TunableId id) {
        uint64_t min = USEC_INFINITY, last = USEC_INFINITY;

        for (size_t i = 0; i < m->n_log; i++) {
                if (m->log[i].tunable != id)
                        continue;
                if (last != USEC_INFINITY)
                        min = MIN(min, m->log[i].time_usec - last);
                last = m->log[i].time_usec;
        }
        return min;
}

static void load_trouble(Sim *m) {
        m->load = (Load) { .direct = 1840, .stall = 35 };
}

/* A burst of direct reclaim for 100 s: steps 30 s apart (the cool-down), then
 * after 10 min of calm straight back to the baseline, remembering the level;
 * the memory fades by one step per further 10 min of calm. */
static void test_burst(void) {
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);

        load_trouble(&sim);
        sim_run(&sim, 9 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0); /* 9 s of evidence: not yet the window */
        CHECK(!sim.plan.trouble);
        sim_run(&sim, 91 * SEC, SEC);
        CHECK(sim.plan.trouble);
        CHECK_EQ_U64(count(&sim, MFK), 4);
        CHECK_DECISION(nth(&sim, MFK, 0), AT(10), MFK, 67584, 84480, TUNABLE_SOURCE_ADAPTIVE,
                       "min_free_kbytes 67584 -> 84480: pgscan_direct 1840/s, allocstall 35/s over 10s");
        CHECK_DECISION(nth(&sim, MFK, 1), AT(40), MFK, 84480, 105600, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_DECISION(nth(&sim, MFK, 2), AT(70), MFK, 105600, 132000, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_DECISION(nth(&sim, MFK, 3), AT(100), MFK, 132000, 165000, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_EQ_U64(sim.s.tunables.value[MFK], 165000);
        CHECK_EQ_U64(sim.plan.tunables[MFK].baseline, 67584);

        /* Calm: back to the baseline in one step, 10 min after the burst. */
        sim.load = (Load) {};
        sim_run(&sim, 599 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 4);
        CHECK(sim.plan.calm);
        CHECK_STREQ(
                sim.plan.tunables[MFK].reason,
                "adaptive 0..503316, baseline 67584: calm for 9min 59s; back to the baseline after 10min of calm");
        sim_run(&sim, 1 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 5);
        CHECK_DECISION(
                nth(&sim, MFK, 4), AT(700), MFK, 165000, 67584, TUNABLE_SOURCE_ADAPTIVE,
                "min_free_kbytes 165000 -> 67584: calm for 10min (pgscan_direct 0/s, allocstall 0/s): "
                "back to the baseline 67584; remembers 165000 for the next direct reclaim");
        CHECK_EQ_U64(sim_target(&sim, MFK), 67584);
        sim_run(&sim, 1 * SEC, SEC);
        CHECK_STREQ(
                sim.plan.tunables[MFK].reason,
                "adaptive 0..503316, baseline 67584: calm; remembers 165000 for the next direct reclaim");
        /* The memory fades: 165000 / 1.25 per further 10 min of calm, and is
         * gone once it reaches the baseline. */
        sim_run(&sim, 599 * SEC, SEC);
        CHECK_EQ_U64(sim.e.tunables[MFK].learned, 132000);
        sim_run(&sim, 1800 * SEC, SEC);
        CHECK_EQ_U64(sim.e.tunables[MFK].learned, 0);
        CHECK_STREQ(sim.plan.tunables[MFK].reason, "adaptive 0..503316, baseline 67584: calm");
        CHECK_EQ_U64(count(&sim, MFK), 5);
        CHECK_EQ_U64(sim.plan.pressure, PRESSURE_NONE);
        CHECK_EQ_INT(sim.plan.tunables[MFK].source, TUNABLE_SOURCE_ADAPTIVE);
        CHECK(sim.plan.tunables[MFK].managed);

        /* Other tunables stayed unmanaged and untouched. */
        CHECK_EQ_U64(sim.n_log, 5);
        CHECK(!sim.plan.tunables[SWP].managed);
        CHECK_STREQ(sim.plan.tunables[SWP].reason, "unmanaged by policy");
}

/* PSI corroborates: it is quoted in the reason. */
static void test_burst_psi(void) {
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .psi_some = 12.5, .psi_full = 3 };
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_DECISION(nth(&sim, MFK, 0), AT(10), MFK, 67584, 84480, TUNABLE_SOURCE_ADAPTIVE,
                       "min_free_kbytes 67584 -> 84480: pgscan_direct 1840/s, allocstall 35/s over 10s, "
                       "PSI some 12.5% full 3.0%");
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_LOW);

        /* allocstall alone is trouble too. */
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 100, .stall = 12 };
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_DECISION(nth(&sim, MFK, 0), AT(10), MFK, 67584, 84480, TUNABLE_SOURCE_ADAPTIVE,
                       "min_free_kbytes 67584 -> 84480: pgscan_direct 100/s, allocstall 12/s over 10s");
}

/* A cool-down shorter than the window: each step still waits for a whole
 * window of evidence gathered after the previous one. */
static void test_window_after_step(void) {
        sim_new(&sim);
        sim.p.thresholds.cooldown_usec = 5 * SEC;
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 35 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 3);
        CHECK_DECISION(nth(&sim, MFK, 0), AT(10), MFK, 67584, 84480, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_DECISION(nth(&sim, MFK, 1), AT(20), MFK, 84480, 105600, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_DECISION(nth(&sim, MFK, 2), AT(30), MFK, 105600, 132000, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_STREQ(sim.plan.tunables[MFK].reason,
                    "adaptive 0..503316, baseline 67584: direct reclaim; next step in 5s");
}

/* Sustained pressure: watermark_scale_factor first, then min_free_kbytes,
 * each up to the policy's maximum, and then nothing more. */
static void test_sustained(void) {
        /* 10 -> 44 at once: the simulated zone's min/4 spaces its watermarks
         * up to 21 (test_wsf_effective()), and 44 doubles that gap; then
         * doubling. Every step passes its trial (sim_alloc()). */
        static const uint64_t wsf_steps[] = { 44, 88, 100 };
        static const uint64_t mfk_steps[] = { 84480, 105600, 132000, 165000, 206250, 257813, 262144 };
        uint64_t t = 10;

        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 100);
        sim_adaptive(&sim, MFK, 65536, 262144);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 1200 * SEC, SEC);

        CHECK_EQ_U64(count(&sim, WSF), ELEMENTSOF(wsf_steps));
        CHECK_EQ_U64(count(&sim, MFK), ELEMENTSOF(mfk_steps));
        for (size_t i = 0; i < ELEMENTSOF(wsf_steps); i++, t += 30)
                CHECK_DECISION(nth(&sim, WSF, i), AT(t), WSF, i == 0 ? 10 : wsf_steps[i - 1], wsf_steps[i],
                               TUNABLE_SOURCE_ADAPTIVE, NULL);
        for (size_t i = 0; i < ELEMENTSOF(mfk_steps); i++, t += 30)
                CHECK_DECISION(nth(&sim, MFK, i), AT(t), MFK, i == 0 ? 67584 : mfk_steps[i - 1],
                               mfk_steps[i], TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_STREQ(
                nth(&sim, WSF, 2)->reason,
                "watermark_scale_factor 88 -> 100: pgscan_direct 1840/s, allocstall 35/s over 10s; the last "
                "step paid: allocstall/page -50%; reached the policy's maximum");
        CHECK_STREQ(
                nth(&sim, MFK, 0)->reason,
                "min_free_kbytes 67584 -> 84480: pgscan_direct 1840/s, allocstall 35/s over 10s; the last step "
                "paid: allocstall/page -12%; watermark_scale_factor at its maximum 100");
        CHECK_STREQ(
                nth(&sim, MFK, 6)->reason,
                "min_free_kbytes 257813 -> 262144: pgscan_direct 1840/s, allocstall 35/s over 10s; the last "
                "step paid: allocstall/page -20%; watermark_scale_factor at its maximum 100; reached the "
                "policy's maximum");
        CHECK_EQ_U64(sim_target(&sim, WSF), 100);
        CHECK_EQ_U64(sim_target(&sim, MFK), 262144);
        CHECK_STREQ(sim.plan.tunables[MFK].reason,
                    "adaptive 65536..262144, baseline 67584: direct reclaim, but at its maximum");
        CHECK(min_spacing(&sim, WSF) >= 30 * SEC);
        CHECK_EQ_U64(direction_changes(&sim, WSF) + direction_changes(&sim, MFK), 0);
}

/* The kernel spaces the watermarks by max(min/4, managed x wsf / 10000): the
 * simulated zone (min 16896 pages, 2,000,000 managed) needs 22 before the
 * second term counts. The engine steps straight to twice that, the first
 * value whose effect a trial can see, and on the way back straight from
 * there to the baseline; where the baseline already counts it steps by its
 * factor. */
static void test_wsf_effective(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 200);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 11 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 1);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(10), WSF, 10, 44, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 10 -> 44: pgscan_direct 1840/s, allocstall 35/s over 10s; "
                       "straight to 44: min/4 spaces the watermarks up to 21");
        sim.load = (Load) {};
        sim_run(&sim, 11 * MINUTE, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_DECISION(
                nth(&sim, WSF, 1), AT(611), WSF, 44, 10, TUNABLE_SOURCE_ADAPTIVE,
                "watermark_scale_factor 44 -> 10: calm for 10min (pgscan_direct 0/s, allocstall 0/s): "
                "back to the baseline 10; remembers 44 for the next direct reclaim");

        /* A boost raises zoneinfo's min, not the base the kernel divides. */
        sim_new(&sim);
        sim.s.zoneinfo.zones[0].boost = 16896;
        sim.s.zoneinfo.zones[0].min = 2 * 16896;
        sim_adaptive(&sim, WSF, 10, 200);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 11 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(10), WSF, 10, 44, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* min/4 = 1000 pages: 10 already widens the gap, so it doubles. */
        sim_new(&sim);
        sim.s.zoneinfo.zones[0].min = 4000;
        sim_adaptive(&sim, WSF, 10, 200);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 11 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(10), WSF, 10, 20, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 10 -> 20: pgscan_direct 1840/s, allocstall 35/s over 10s");

        /* A first effective value above the policy's maximum: plain steps. */
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 15);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 11 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(10), WSF, 10, 15, TUNABLE_SOURCE_ADAPTIVE, NULL);
}

/* The reserve cap: the policy's max_reserve_ram_percent, and the hard 5% above
 * whatever the policy says. */
static void test_reserve_cap(void) {
        sim_new(&sim);
        sim.s.meminfo.field[MEMINFO_MEM_TOTAL] = 4194304; /* 4 GiB: 3% = 125829 kB */
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 600 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 3);
        CHECK_DECISION(
                nth(&sim, MFK, 2), AT(70), MFK, 105600, 125829, TUNABLE_SOURCE_ADAPTIVE,
                "min_free_kbytes 105600 -> 125829: pgscan_direct 1840/s, allocstall 35/s over 10s; the last "
                "step paid: allocstall/page -20%; reached the reserve cap (3% of RAM)");
        CHECK_STREQ(sim.plan.tunables[MFK].reason,
                    "adaptive 0..125829, baseline 67584: direct reclaim, but at its reserve cap");

        sim_new(&sim);
        sim.s.meminfo.field[MEMINFO_MEM_TOTAL] = 4194304; /* 5% = 209715 kB */
        sim.p.thresholds.max_reserve_ram_percent = 50;
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 600 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 6);
        CHECK_DECISION(nth(&sim, MFK, 4), AT(130), MFK, 165000, 206250, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_DECISION(
                nth(&sim, MFK, 5), AT(160), MFK, 206250, 209715, TUNABLE_SOURCE_ADAPTIVE,
                "min_free_kbytes 206250 -> 209715: pgscan_direct 1840/s, allocstall 35/s over 10s; the last "
                "step paid: allocstall/page -20%; reached the reserve cap (5% of RAM)");

        /* A policy minimum above the cap: the cap wins. */
        sim_new(&sim);
        sim.s.meminfo.field[MEMINFO_MEM_TOTAL] = 2097152; /* 2 GiB: 3% = 62914 kB */
        sim_adaptive(&sim, MFK, 100000, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 0); /* baseline 67584 is above the cap: kept, never raised */
        CHECK_EQ_U64(sim_target(&sim, MFK), 67584);

        /* A fixed value above the cap is capped. */
        sim_new(&sim);
        sim.s.meminfo.field[MEMINFO_MEM_TOTAL] = 4194304;
        sim_fixed(&sim, MFK, 1000000);
        sim_start(&sim, T0);
        sim_step(&sim, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 1);
        CHECK_DECISION(
                nth(&sim, MFK, 0), AT(1), MFK, 67584, 125829, TUNABLE_SOURCE_FIXED,
                "min_free_kbytes 67584 -> 125829: fixed by policy, capped at 125829 (the reserve cap, "
                "3% of RAM)");
}

/* Flapping pressure never makes the engine oscillate. */
static void test_flapping(void) {
        /* Direct reclaim every other second for 2 h: the window average says
         * trouble, so the reserve goes up to the cap; calm never lasts 10 min,
         * so it never comes down. */
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        for (unsigned i = 0; i < 7200; i++) {
                sim.load = (Load) { .direct = (i % 2) ? 0 : 2500 };
                sim_step(&sim, SEC);
        }
        CHECK_EQ_U64(count(&sim, MFK), 9);
        CHECK_EQ_U64(sim_target(&sim, MFK), 503316);
        CHECK_EQ_U64(direction_changes(&sim, MFK), 0);
        CHECK(min_spacing(&sim, MFK) >= 30 * SEC);

        /* Then reclaim between half and the whole threshold: hold, both ways. */
        sim.n_log = 0;
        for (unsigned i = 0; i < 3600; i++) {
                sim.load = (Load) { .direct = (i % 3) ? 600 : 950 };
                sim_step(&sim, SEC);
        }
        CHECK_EQ_U64(sim.n_log, 0);
        CHECK(!sim.plan.trouble);
        CHECK(!sim.plan.calm);

        /* Slow cycles of 1 min trouble and 15 min calm for 8 cycles: at most
         * one reversal per cycle, and steps stay 30 s apart. */
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        for (unsigned c = 0; c < 8; c++) {
                load_trouble(&sim);
                sim_run(&sim, 60 * SEC, SEC);
                sim.load = (Load) {};
                sim_run(&sim, 15 * MINUTE, SEC);
        }
        CHECK(direction_changes(&sim, MFK) <= 2 * 8);
        CHECK(min_spacing(&sim, MFK) >= 30 * SEC);
        /* Each trouble minute steps twice (at 10 s and 40 s; from the
         * second cycle on the first is straight back to the learned level),
         * each calm period goes back to the baseline once: what is learned
         * creeps up, the steps do not swing within a cycle. */
        CHECK_EQ_U64(count(&sim, MFK), 8 * 2 + 8);
        CHECK_EQ_U64(sim_target(&sim, MFK), 67584);
        CHECK(sim.e.tunables[MFK].learned > 132000);
}

static void numa_two_nodes(Sim *m) {
        m->s.zoneinfo.n_zones = 0;
        sim_zone(&m->s, 0, 20000, 16896);          /* below high (25344) */
        sim_zone(&m->s, 1, 25344 + 122880, 16896); /* 480 MiB above high */
        m->s.tunables.value[ZRM] = 1;
        m->load = (Load) { .zrf = 12, .direct = 900 };
}

static void test_numa(void) {
        sim_new(&sim);
        numa_two_nodes(&sim);
        sim_adaptive(&sim, ZRM, 0, 7);
        sim_start(&sim, T0);
        sim_run(&sim, 9 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, ZRM), 0);
        CHECK_STREQ(
                sim.plan.tunables[ZRM].reason,
                "adaptive 0..7, baseline 1: local reclaim on node 0 while node 1 has 480 MiB free, for 9s");
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, ZRM), 1);
        CHECK_DECISION(
                nth(&sim, ZRM, 0), AT(10), ZRM, 1, 0, TUNABLE_SOURCE_ADAPTIVE,
                "zone_reclaim_mode 1 -> 0: node 0 reclaimed locally (zone_reclaim_failed 12/s, "
                "pgscan_direct 900/s over 10s) while node 1 had 480 MiB free above its high watermark");
        CHECK_STREQ(sim.plan.tunables[ZRM].reason,
                    "adaptive 0..7, baseline 1: 0: allocations use other nodes before reclaiming");

        /* Pinned by the policy: left alone. */
        sim_new(&sim);
        numa_two_nodes(&sim);
        sim_fixed(&sim, ZRM, 1);
        sim_start(&sim, T0);
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);
        CHECK_EQ_U64(sim_target(&sim, ZRM), 1);
        CHECK_EQ_INT(sim.plan.tunables[ZRM].source, TUNABLE_SOURCE_FIXED);

        /* An adaptive minimum of 1 keeps it on. */
        sim_new(&sim);
        numa_two_nodes(&sim);
        sim_adaptive(&sim, ZRM, 1, 7);
        sim_start(&sim, T0);
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);
        CHECK_STREQ(sim.plan.tunables[ZRM].reason,
                    "adaptive 1..7, baseline 1: the policy's minimum 1 keeps zone reclaim on");

        /* Unmanaged: nothing. */
        sim_new(&sim);
        numa_two_nodes(&sim);
        sim_start(&sim, T0);
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);

        /* The other node is below its high watermark too: memory is short
         * everywhere, zone reclaim is not the problem. */
        sim_new(&sim);
        numa_two_nodes(&sim);
        sim.s.zoneinfo.zones[1].free = 25000;
        sim_adaptive(&sim, ZRM, 0, 7);
        sim_start(&sim, T0);
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);

        /* One node: nothing to fall back to. */
        sim_new(&sim);
        sim.s.tunables.value[ZRM] = 1;
        sim.load = (Load) { .zrf = 12, .direct = 900 };
        sim_adaptive(&sim, ZRM, 0, 7);
        sim_start(&sim, T0);
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);
        CHECK_STREQ(sim.plan.tunables[ZRM].reason,
                    "adaptive 0..7, baseline 1: one NUMA node: no other node to allocate from");

        /* Evidence that stops before the window is over: nothing. */
        sim_new(&sim);
        numa_two_nodes(&sim);
        sim_adaptive(&sim, ZRM, 0, 7);
        sim_start(&sim, T0);
        for (unsigned i = 0; i < 300; i++) {
                sim.load = (Load) { .direct = (i % 10) < 5 ? 900 : 0 };
                sim_step(&sim, SEC);
        }
        CHECK_EQ_U64(sim.n_log, 0);
}

static void test_swap(void) {
        /* File thrashing, anon cold: up by 10 per 2 min (4 cool-downs). */
        sim_new(&sim);
        sim_swap(&sim, 2097152);
        sim_adaptive(&sim, SWP, 0, 200);
        sim_start(&sim, T0);
        sim.load = (Load) { .refault_file = 2400, .refault_anon = 20 };
        sim_run(&sim, 300 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, SWP), 3);
        CHECK_DECISION(
                nth(&sim, SWP, 0), AT(10), SWP, 60, 70, TUNABLE_SOURCE_ADAPTIVE,
                "swappiness 60 -> 70: file refaults 2400/s, anon refaults and swap-ins 20/s over 10s: "
                "the page cache thrashes while anon memory is cold");
        CHECK_DECISION(nth(&sim, SWP, 1), AT(130), SWP, 70, 80, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_DECISION(nth(&sim, SWP, 2), AT(250), SWP, 80, 90, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* Calm: back to the baseline, one step of 10 per 10 min. */
        sim.load = (Load) {};
        sim_run(&sim, 1800 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, SWP), 6);
        CHECK_DECISION(
                nth(&sim, SWP, 3), AT(900), SWP, 90, 80, TUNABLE_SOURCE_ADAPTIVE,
                "swappiness 90 -> 80: calm for 10min and refaults balanced: back towards the baseline 60");
        CHECK_DECISION(nth(&sim, SWP, 5), AT(2100), SWP, 70, 60, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* Anon thrashing through swap: down. */
        sim_new(&sim);
        sim_swap(&sim, 2097152);
        sim_adaptive(&sim, SWP, 20, 200);
        sim_start(&sim, T0);
        sim.load = (Load) { .refault_anon = 500, .pswpin = 400, .refault_file = 100 };
        sim_run(&sim, 1000 * SEC, SEC);
        CHECK_DECISION(
                nth(&sim, SWP, 0), AT(10), SWP, 60, 50, TUNABLE_SOURCE_ADAPTIVE,
                "swappiness 60 -> 50: anon refaults and swap-ins 900/s, file refaults 100/s over 10s: "
                "anon memory thrashes through swap");
        CHECK_EQ_U64(count(&sim, SWP), 4); /* 50, 40, 30, 20: the policy's minimum */
        CHECK_EQ_U64(sim_target(&sim, SWP), 20);
        CHECK_STREQ(sim.plan.tunables[SWP].reason,
                    "adaptive 20..200, baseline 60: anon memory thrashing, but at the policy's minimum 20");

        /* Both sides thrash: memory is short, swappiness cannot help. */
        sim_new(&sim);
        sim_swap(&sim, 2097152);
        sim_adaptive(&sim, SWP, 0, 200);
        sim_start(&sim, T0);
        sim.load = (Load) { .refault_anon = 800, .pswpin = 200, .refault_file = 2000 };
        sim_run(&sim, 600 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);

        /* No swap: left alone, and the plan says why. */
        sim_new(&sim);
        sim_adaptive(&sim, SWP, 0, 200);
        sim_start(&sim, T0);
        sim.load = (Load) { .refault_file = 2400, .refault_anon = 20 };
        sim_run(&sim, 600 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);
        CHECK_STREQ(sim.plan.tunables[SWP].reason,
                    "adaptive 0..200, baseline 60: no swap: swappiness has no effect, left at 60");
        CHECK(sim.plan.tunables[SWP].managed);
        CHECK_EQ_U64(sim_target(&sim, SWP), 60);

        /* A kernel without split refault counters (before 5.9). */
        sim_new(&sim);
        sim_swap(&sim, 2097152);
        sim_adaptive(&sim, SWP, 0, 200);
        sim.s.vmstat.present &= ~(UINT32_C(1) << VMSTAT_WORKINGSET_REFAULT_ANON);
        sim_start(&sim, T0);
        sim.load = (Load) { .refault_file = 2400 };
        for (unsigned i = 0; i < 100; i++) {
                Rates r;

                sim.now += SEC;
                sim_rates(&sim, SEC, &r);
                r.valid &= ~(UINT32_C(1) << VMSTAT_WORKINGSET_REFAULT_ANON);
                CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, &r, sim.now, &sim.plan), 0);
        }
        CHECK_STREQ(
                sim.plan.tunables[SWP].reason,
                "adaptive 0..200, baseline 60: no workingset_refault_anon/_file counters (kernel before 5.9): "
                "left at 60");
}

static void test_fixed(void) {
        sim_new(&sim);
        sim_fixed(&sim, SWP, 10);
        sim_fixed(&sim, WSF, 10); /* equal to the current value: nothing to do */
        sim_start(&sim, T0);
        sim.no_rates = true; /* the first sample: fixed values need no rates */
        sim_step(&sim, SEC);
        CHECK_EQ_INT(sim.r, 1);
        CHECK_DECISION(nth(&sim, SWP, 0), AT(1), SWP, 60, 10, TUNABLE_SOURCE_FIXED,
                       "swappiness 60 -> 10: fixed by policy");
        CHECK_EQ_INT(sim.plan.tunables[WSF].source, TUNABLE_SOURCE_FIXED);
        CHECK(sim.plan.tunables[WSF].managed);
        CHECK_STREQ(sim.plan.tunables[SWP].reason, "fixed by policy");
        load_trouble(&sim);
        sim_run(&sim, 600 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 1);
        CHECK_EQ_U64(sim_target(&sim, SWP), 10);

        /* Out of the kernel's range (the loader refuses it; still safe). */
        sim_new(&sim);
        sim_fixed(&sim, SWP, 1000);
        sim_start(&sim, T0);
        sim_step(&sim, SEC);
        CHECK_DECISION(nth(&sim, SWP, 0), AT(1), SWP, 60, 200, TUNABLE_SOURCE_FIXED,
                       "swappiness 60 -> 200: fixed by policy, clamped to the kernel's range 0..200");
}

static void test_overrides(void) {
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        sim.ov[MFK] = (Override) { .active = true, .value = 131072, .expires_usec = AT(301) };
        load_trouble(&sim);
        sim_step(&sim, SEC);
        CHECK_DECISION(nth(&sim, MFK, 0), AT(1), MFK, 67584, 131072, TUNABLE_SOURCE_OVERRIDE,
                       "min_free_kbytes 67584 -> 131072: override for 5min");
        CHECK_EQ_INT(sim.plan.tunables[MFK].source, TUNABLE_SOURCE_OVERRIDE);
        CHECK_STREQ(sim.plan.tunables[MFK].reason, "override for 5min");
        /* Trouble for 5 min under the override: the adaptive position waits. */
        sim_run(&sim, 299 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 1);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 1 * SEC);
        CHECK_EQ_U64(sim_target(&sim, MFK), 131072);
        CHECK(!sim.plan.tunables[MFK].override_expired);
        sim_step(&sim, SEC); /* t = 301: expired */
        CHECK(sim.plan.tunables[MFK].override_expired);
        CHECK_DECISION(
                nth(&sim, MFK, 1), AT(301), MFK, 131072, 84480, TUNABLE_SOURCE_ADAPTIVE,
                "min_free_kbytes 131072 -> 84480: override expired; pgscan_direct 1840/s, allocstall 35/s "
                "over 10s");
        sim.ov[MFK].active = false;
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(nth(&sim, MFK, 2), AT(331), MFK, 84480, 105600, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* Clamped to the hard bounds, not the policy's. */
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 100000);
        sim_start(&sim, T0);
        sim.ov[MFK] = (Override) { .active = true, .value = 1000000000, .expires_usec = USEC_INFINITY };
        sim.ov[SWP] = (Override) { .active = true, .value = 500, .expires_usec = USEC_INFINITY };
        sim.ov[WSF] = (Override) { .active = true, .value = 200, .expires_usec = USEC_INFINITY };
        sim_step(&sim, SEC);
        CHECK_EQ_INT(sim.r, 3);
        CHECK_DECISION(
                nth(&sim, MFK, 0), AT(1), MFK, 67584, 503316, TUNABLE_SOURCE_OVERRIDE,
                "min_free_kbytes 67584 -> 503316: override until cleared, capped at 503316 (the reserve "
                "cap, 3% of RAM)");
        CHECK_DECISION(nth(&sim, SWP, 0), AT(1), SWP, 60, 200, TUNABLE_SOURCE_OVERRIDE,
                       "swappiness 60 -> 200: override until cleared, clamped to the kernel's range 0..200");
        CHECK_DECISION(nth(&sim, WSF, 0), AT(1), WSF, 10, 200, TUNABLE_SOURCE_OVERRIDE,
                       "watermark_scale_factor 10 -> 200: override until cleared");
        CHECK_EQ_U64(sim.plan.next_sample_usec, 1 * SEC);

        /* On an unmanaged tunable: applied; cleared, the baseline comes back
         * once and the tunable is the kernel's again. */
        sim_new(&sim);
        sim_start(&sim, T0);
        sim.ov[SWP] = (Override) { .active = true, .value = 5, .expires_usec = USEC_INFINITY };
        sim_run(&sim, 5 * SEC, SEC);
        CHECK_DECISION(nth(&sim, SWP, 0), AT(1), SWP, 60, 5, TUNABLE_SOURCE_OVERRIDE, NULL);
        CHECK_EQ_U64(sim.s.tunables.value[SWP], 5);
        sim.ov[SWP].active = false;
        sim_step(&sim, SEC);
        CHECK_DECISION(nth(&sim, SWP, 1), AT(6), SWP, 5, 60, TUNABLE_SOURCE_BASELINE,
                       "swappiness 5 -> 60: override cleared; unmanaged by policy: back to the baseline");
        CHECK(sim.plan.tunables[SWP].managed);
        sim_step(&sim, SEC);
        CHECK(!sim.plan.tunables[SWP].managed);
        CHECK_EQ_INT(sim.plan.tunables[SWP].source, TUNABLE_SOURCE_NONE);
        sim.s.tunables.value[SWP] = 33; /* someone else's business now */
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim_target(&sim, SWP), 33);
        CHECK_EQ_U64(count(&sim, SWP), 2);

        /* The sample interval shrinks to wake up at the expiry. */
        sim_new(&sim);
        sim_start(&sim, T0);
        sim_run(&sim, 100 * SEC, SEC);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 60 * SEC);
        sim.ov[SWP] = (Override) { .active = true, .value = 30, .expires_usec = sim.now + 7 * SEC };
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 1 * SEC); /* a decision: sample soon */
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 2 * SEC);
        sim_step(&sim, 2 * SEC);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 3 * SEC); /* 4 s, but the override ends in 3 */
        sim_step(&sim, 3 * SEC);
        CHECK_EQ_INT(sim.r, 1);
        CHECK_EQ_U64(sim_target(&sim, SWP), 60);

        /* An override on a tunable this kernel does not have: ignored. */
        sim_new(&sim);
        sim.s.tunables.present &= ~(UINT32_C(1) << ZRM);
        sim_start(&sim, T0);
        sim.ov[ZRM] = (Override) { .active = true, .value = 1, .expires_usec = USEC_INFINITY };
        sim_step(&sim, SEC);
        CHECK_EQ_INT(sim.r, 0);
        CHECK(!sim.plan.tunables[ZRM].managed);
        CHECK(!sim.plan.tunables[ZRM].present);
        CHECK_STREQ(sim.plan.tunables[ZRM].reason, "not available on this kernel");
}

/* Everything but the sample's current values, which differ when observing. */
static bool plan_equal(const Plan *a, const Plan *b) {
        if (a->n_decisions != b->n_decisions || a->pressure != b->pressure ||
            a->pressure_changed != b->pressure_changed || a->trouble != b->trouble || a->calm != b->calm ||
            a->next_sample_usec != b->next_sample_usec || strcmp(a->evidence, b->evidence) != 0)
                return false;
        for (size_t i = 0; i < a->n_decisions; i++) {
                const Decision *x = &a->decisions[i], *y = &b->decisions[i];

                if (x->time_usec != y->time_usec || x->tunable != y->tunable ||
                    x->old_value != y->old_value || x->new_value != y->new_value || x->source != y->source ||
                    strcmp(x->reason, y->reason) != 0)
                        return false;
        }
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunablePlan *x = &a->tunables[id], *y = &b->tunables[id];

                if (x->present != y->present || x->managed != y->managed ||
                    x->override_expired != y->override_expired || x->baseline != y->baseline ||
                    x->target != y->target || x->source != y->source || strcmp(x->reason, y->reason) != 0)
                        return false;
        }
        return true;
}

/* The same timeline in enforce and observe mode gives the same plans. */
static void test_observe(void) {
        static Plan plans[2][2000];

        for (unsigned k = 0; k < 2; k++) {
                Sim *m = k == 0 ? &sim : &sim2;

                sim_new(m);
                sim_swap(m, 1048576);
                numa_two_nodes(m);
                sim_adaptive(m, MFK, 0, 1048576);
                sim_adaptive(m, WSF, 10, 50);
                sim_adaptive(m, SWP, 0, 200);
                sim_adaptive(m, ZRM, 0, 7);
                if (k == 1) {
                        m->observe = true;
                        m->p.mode = POLICY_MODE_OBSERVE;
                }
                sim_start(m, T0);
                for (unsigned i = 0; i < 2000; i++) {
                        m->load = (Load) {
                                .direct = (i / 200) % 2 ? 0 : 3000,
                                .stall = (i / 300) % 2 ? 0 : 20,
                                .refault_file = (i / 500) % 2 ? 0 : 1000,
                                .zrf = 3,
                                .psi_some = (i % 97) / 4.0,
                        };
                        if (i == 1000)
                                m->ov[SWP] = (Override) { .active = true,
                                                          .value = 100,
                                                          .expires_usec = m->now + 60 * SEC };
                        sim_step(m, SEC);
                        plans[k][i] = m->plan;
                }
        }
        CHECK(sim.n_log > 10);
        /* The same plans up to the first step a trial judges (observe mode
         * judges none: the sample never shows its steps). */
        unsigned same = 0;
        while (same < 2000 && !sim_judged(&plans[0][same]))
                if (!plan_equal(&plans[0][same], &plans[1][same])) {
                        fprintf(stderr, "test-engine.c:%d: plans differ at step %u\n", __LINE__, same);
                        test_failures++;
                        break;
                } else
                        same++;
        CHECK(same >= 20);
        /* And the kernel's values did stay put in observe mode. */
        CHECK_EQ_U64(sim2.s.tunables.value[MFK], 67584);
        CHECK_EQ_U64(sim2.s.tunables.value[ZRM], 1);
        CHECK_EQ_U64(sim.s.tunables.value[ZRM], 0);
}

static void test_pressure(void) {
        size_t changes = 0;

        sim_new(&sim);
        sim_start(&sim, T0);
        sim.load.psi_some = 12;
        sim_step(&sim, SEC); /* t = 1 */
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_LOW);
        CHECK(sim.plan.pressure_changed);
        CHECK(!sim.plan.calm);
        sim.load.psi_some = 8;        /* above 75% of 10%: stays */
        sim_run(&sim, 20 * SEC, SEC); /* t = 21 */
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_LOW);
        CHECK(!sim.plan.pressure_changed);
        sim.load.psi_some = 5;
        sim_step(&sim, SEC); /* t = 22 */
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_NONE);
        CHECK(sim.plan.pressure_changed);
        sim.load.psi_some = 35;
        sim_step(&sim, SEC); /* t = 23: straight to medium */
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_MEDIUM);
        sim.load.psi_some = 15;
        sim_run(&sim, 9 * SEC, SEC); /* t = 32: held for 9 s only */
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_MEDIUM);
        sim_step(&sim, SEC); /* t = 33 */
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_LOW);
        sim.load.psi_full = 25;
        sim_step(&sim, SEC);
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_CRITICAL);
        CHECK_STREQ(
                sim.plan.evidence,
                "pgscan_direct 0/s, allocstall 0/s, refaults anon 0/s file 0/s over 1s; PSI some 15.0% full 25.0%; "
                "pressure critical");

        /* Around one threshold, within the hysteresis band: one change. */
        sim_new(&sim);
        sim_start(&sim, T0);
        for (unsigned i = 0; i < 300; i++) {
                sim.load.psi_some = i % 2 ? 9 : 11;
                sim_step(&sim, SEC);
                changes += sim.plan.pressure_changed;
        }
        CHECK_EQ_U64(changes, 1);

        /* Swinging across the band: at most one change per hold time each way. */
        sim_new(&sim);
        sim_start(&sim, T0);
        changes = 0;
        for (unsigned i = 0; i < 300; i++) {
                sim.load.psi_some = i % 2 ? 5 : 11;
                sim_step(&sim, SEC);
                changes += sim.plan.pressure_changed;
        }
        CHECK(changes >= 2);
        CHECK(changes <= 2 * 300 / 10);

        /* No PSI on this kernel: no level, and the evidence says so. */
        sim_new(&sim);
        sim.s.psi.available = false;
        sim_start(&sim, T0);
        sim.no_rates = true;
        sim_step(&sim, SEC);
        CHECK_EQ_INT(sim.plan.pressure, PRESSURE_NONE);
        CHECK_STREQ(sim.plan.evidence, "no rates yet; no PSI; pressure none");
}

static void test_interval(void) {
        static const uint64_t want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };

        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                sim_step(&sim, i == 0 ? SEC : sim.plan.next_sample_usec);
                CHECK_EQ_U64(sim.plan.next_sample_usec, want[i] * SEC);
        }
        /* Any reclaim above half the threshold: back to the minimum at once. */
        sim.load.direct = 600;
        sim_step(&sim, sim.plan.next_sample_usec);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 1 * SEC);
        sim.load.direct = 0;
        sim_step(&sim, SEC);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 2 * SEC);
        sim.load.psi_some = 11; /* pressure: busy */
        sim_step(&sim, 2 * SEC);
        CHECK_EQ_U64(sim.plan.next_sample_usec, 1 * SEC);

        /* A long calm interval followed by trouble: one sample covers the
         * window, the step comes at once. */
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        sim_run(&sim, 600 * SEC, 60 * SEC);
        load_trouble(&sim);
        sim_step(&sim, 60 * SEC);
        CHECK_EQ_INT(sim.r, 1);
        CHECK_STREQ(sim.plan.decisions[0].reason,
                    "min_free_kbytes 67584 -> 84480: pgscan_direct 1840/s, allocstall 35/s over 10s");
}

/* A value changed behind memtuned's back becomes the baseline. */
static void test_set_baseline(void) {
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 20 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, MFK), 84480);

        sim.s.tunables.value[MFK] = 70000;
        engine_set_baseline(&sim.e, MFK, 70000);
        sim_step(&sim, SEC); /* t = 21 */
        CHECK_EQ_INT(sim.r, 0);
        CHECK_EQ_U64(sim_target(&sim, MFK), 70000);
        CHECK_EQ_U64(sim.plan.tunables[MFK].baseline, 70000);
        sim_run(&sim, 19 * SEC, SEC); /* t = 40: the cool-down from t = 10 */
        CHECK_DECISION(nth(&sim, MFK, 1), AT(40), MFK, 70000, 87500, TUNABLE_SOURCE_ADAPTIVE, NULL);
        sim.load = (Load) {};
        sim_run(&sim, 700 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, MFK), 70000);

        /* A fixed policy reasserts its value. */
        sim_new(&sim);
        sim_fixed(&sim, SWP, 10);
        sim_start(&sim, T0);
        sim_step(&sim, SEC);
        sim.s.tunables.value[SWP] = 60;
        engine_set_baseline(&sim.e, SWP, 60);
        sim_step(&sim, SEC);
        CHECK_DECISION(nth(&sim, SWP, 1), AT(2), SWP, 60, 10, TUNABLE_SOURCE_FIXED,
                       "swappiness 60 -> 10: fixed by policy");
}

/* After a restart the value found was memtuned's own: the true original
 * comes back when calm. */
static void test_restore_baseline(void) {
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim.s.tunables.value[MFK] = 84480;
        sim_start(&sim, T0);
        engine_restore_baseline(&sim.e, MFK, 67584);
        sim_run(&sim, 700 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 1);
        CHECK_DECISION(
                nth(&sim, MFK, 0), AT(600), MFK, 84480, 67584, TUNABLE_SOURCE_ADAPTIVE,
                "min_free_kbytes 84480 -> 67584: calm for 10min (pgscan_direct 0/s, allocstall 0/s): back "
                "to the baseline 67584; remembers 84480 for the next direct reclaim");

        /* Unmanaged after a restart: handed back at once. */
        sim_new(&sim);
        sim.s.tunables.value[MFK] = 84480;
        sim_start(&sim, T0);
        engine_restore_baseline(&sim.e, MFK, 67584);
        sim_step(&sim, SEC);
        CHECK_DECISION(nth(&sim, MFK, 0), AT(1), MFK, 84480, 67584, TUNABLE_SOURCE_BASELINE,
                       "min_free_kbytes 84480 -> 67584: unmanaged by policy: back to the baseline");
}

/* A policy that stops managing a tunable hands it back to its baseline. */
static void test_hand_back(void) {
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, MFK), 84480);
        sim.p.tunables[MFK] = (TunablePolicy) { .mode = TUNABLE_MODE_UNMANAGED };
        sim_step(&sim, SEC);
        CHECK_DECISION(nth(&sim, MFK, 1), AT(11), MFK, 84480, 67584, TUNABLE_SOURCE_BASELINE,
                       "min_free_kbytes 84480 -> 67584: unmanaged by policy: back to the baseline");
        CHECK_STREQ(sim.plan.tunables[MFK].reason, "unmanaged by policy: back to the baseline 67584");
        sim_run(&sim, 100 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 2);
        CHECK(!sim.plan.tunables[MFK].managed);

        /* And managed again: adaptive control starts from the value found. */
        sim.s.tunables.value[MFK] = 90000;
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(sim.plan.tunables[MFK].baseline, 90000);
        CHECK_DECISION(nth(&sim, MFK, 2), AT(112), MFK, 90000, 112500, TUNABLE_SOURCE_ADAPTIVE, NULL);
}

/* A hand-back whose write did not happen (the actuator's rate limit, a
 * transient error) stays managed, without a second decision, until the kernel
 * holds the baseline. */
static void test_hand_back_retry(void) {
        size_t before;

        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, MFK), 84480);
        sim.load = (Load) {};
        sim.p.tunables[MFK] = (TunablePolicy) { .mode = TUNABLE_MODE_UNMANAGED };
        sim.observe = true; /* the write is refused: the kernel keeps its value */
        before = count(&sim, MFK);
        sim_run(&sim, 5 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), before + 1);
        CHECK(sim.plan.tunables[MFK].managed);
        CHECK_EQ_INT(sim.plan.tunables[MFK].source, TUNABLE_SOURCE_BASELINE);
        CHECK_EQ_U64(sim.plan.tunables[MFK].target, 67584);
        CHECK_EQ_U64(sim.s.tunables.value[MFK], 84480);
        sim.observe = false; /* now it goes through */
        sim_run(&sim, 2 * SEC, SEC);
        CHECK_EQ_U64(sim.s.tunables.value[MFK], 67584);
        CHECK(!sim.plan.tunables[MFK].managed);
        CHECK_EQ_U64(count(&sim, MFK), before + 1);
}

/* A baseline outside the policy's bounds is brought inside at once. */
static void test_bounds(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 20, 100);
        sim_adaptive(&sim, SWP, 0, 30);
        sim_start(&sim, T0);
        sim.no_rates = true;
        sim_step(&sim, SEC);
        CHECK_EQ_INT(sim.r, 2);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(1), WSF, 10, 20, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 10 -> 20: below the policy's minimum 20");
        CHECK_DECISION(nth(&sim, SWP, 0), AT(1), SWP, 60, 30, TUNABLE_SOURCE_ADAPTIVE,
                       "swappiness 60 -> 30: above the policy's maximum 30");
        /* The first step waits for the cool-down after that change. */
        load_trouble(&sim);
        sim_run(&sim, 60 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(31), WSF, 20, 44, TUNABLE_SOURCE_ADAPTIVE, NULL);
        /* Calm never goes below the policy's minimum. */
        sim.load = (Load) {};
        sim_run(&sim, 3600 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 20);
}

static bool reason_has(const Decision *d, const char *s) {
        return d && strstr(d->reason, s);
}

/* After a return to the baselines the next trouble restores what was
 * learned in one step, both watermark tunables at once. */
static void test_recall(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 100);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 100 * SEC, SEC);
        /* 44 (twice the first effective gap), 88, 100 (maximum), then the
         * reserve. */
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_EQ_U64(count(&sim, MFK), 1);
        CHECK_DECISION(nth(&sim, MFK, 0), AT(100), MFK, 67584, 84480, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* 10 min of calm (from 100 s, the start of the first calm sample's
         * interval): both back in one step. */
        sim.load = (Load) {};
        sim_run(&sim, 600 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 4);
        CHECK_EQ_U64(count(&sim, MFK), 2);
        CHECK_DECISION(nth(&sim, MFK, 1), AT(700), MFK, 84480, 67584, TUNABLE_SOURCE_ADAPTIVE,
                       "min_free_kbytes 84480 -> 67584: calm for 10min (pgscan_direct 0/s, allocstall 0/s): "
                       "back to the baseline 67584; remembers 84480 for the next direct reclaim");
        CHECK_DECISION(nth(&sim, WSF, 3), AT(700), WSF, 100, 10, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_EQ_U64(sim.e.tunables[WSF].learned, 100);
        CHECK_EQ_U64(sim.e.tunables[MFK].learned, 84480);

        /* Trouble again: after the cool-down that follows the return, both
         * straight back in one step. */
        load_trouble(&sim);
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 5);
        CHECK_EQ_U64(count(&sim, MFK), 3);
        CHECK_DECISION(nth(&sim, WSF, 4), AT(730), WSF, 10, 100, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 10 -> 100: pgscan_direct 1840/s, allocstall 35/s over 10s; "
                       "straight back to 100, the level that stopped direct reclaim before");
        CHECK_DECISION(nth(&sim, MFK, 2), AT(730), MFK, 67584, 84480, TUNABLE_SOURCE_ADAPTIVE, NULL);
        /* Still trouble: climbing goes on from there, a cool-down later. */
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(nth(&sim, MFK, 3), AT(760), MFK, 84480, 105600, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* A learned level above a policy's new maximum comes back clamped. */
        sim.load = (Load) {};
        sim_run(&sim, 601 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 10);
        sim.p.tunables[WSF].max = 50;
        load_trouble(&sim);
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 50);
}

/* Two steps (10 -> 44 -> 88) under a steady load of 35 stalls/s and 5000
 * pages allocated per second, with PSI full at psi_full %. */
static void trial_cost_start(double psi_full) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .alloc = 5000, .psi_full = psi_full };
        sim_run(&sim, 40 * SEC, SEC);
}

/* A step that does not lower the stalls per page allocated, at no cost,
 * stays once its trial window (and the cool-down) is over, but its tunable
 * widens no further, and the next tunable gets its turn; the hold ends
 * after ENGINE_CEILING_WINDOWS windows, and a return to the baselines
 * forgets it. The first step from the baselines comes as the trouble grows
 * and is kept unless the work done falls. */
static void test_trial_no_help(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .alloc = 5000 }; /* answers nothing */
        sim_run(&sim, 40 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(10), WSF, 10, 44, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(40), WSF, 44, 88, TUNABLE_SOURCE_ADAPTIVE, NULL);
        /* 88 did not pay: it stays, no wider, and the reserve gets its
         * turn at once (a cool-down after the last step), its reason
         * saying why. */
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_EQ_U64(sim_target(&sim, WSF), 88);
        CHECK_DECISION(
                nth(&sim, MFK, 0), AT(70), MFK, 67584, 84480, TUNABLE_SOURCE_ADAPTIVE,
                "min_free_kbytes 67584 -> 84480: pgscan_direct 1840/s, allocstall 35/s over 10s; the last "
                "step did not pay: allocstall/page +0%; watermark_scale_factor held at 88: wider did not "
                "pay");
        /* The reserve's step did not pay either (a 25 % step asks for 6 %
         * fewer stalls): both held, nothing moves until the first hold
         * ends, 30 windows after it. */
        sim_run(&sim, 299 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 3);
        CHECK_EQ_U64(sim_target(&sim, MFK), 84480);
        CHECK(strstr(sim.plan.tunables[WSF].reason,
                     "direct reclaim; held at 88: wider did not pay, for 1s"));
        CHECK(strstr(sim.plan.tunables[MFK].reason,
                     "direct reclaim; held at 84480: wider did not pay, for 31s"));
        sim_run(&sim, 1 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(370), WSF, 88, 176, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* The same step on a machine that answers it is kept. */
        trial_cost_start(0);
        sim.load.stall = 20; /* 43 % fewer */
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(70), WSF, 88, 176, TUNABLE_SOURCE_ADAPTIVE, NULL);
}

/* Fewer stalls are not enough when the work done falls with them (even at
 * the onset), or when PSI full rises: the step is taken back and says
 * which. */
static void test_trial_cost(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .alloc = 5000 };
        sim_run(&sim, 10 * SEC, SEC);
        sim.load = (Load) { .direct = 600, .stall = 10, .alloc = 3000 }; /* per page: -52 % */
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(
                nth(&sim, WSF, 1), AT(40), WSF, 44, 10, TUNABLE_SOURCE_ADAPTIVE,
                "watermark_scale_factor 44 -> 10: pages allocated 5000/s -> 3000/s: the workload slowed "
                "over 30s: took the step back; holds there for 5min");

        /* PSI full judges the steps after the first. */
        trial_cost_start(4);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(40), WSF, 44, 88, TUNABLE_SOURCE_ADAPTIVE, NULL);
        sim.load = (Load) { .direct = 600, .stall = 10, .alloc = 5000, .psi_full = 7 };
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(
                nth(&sim, WSF, 2), AT(70), WSF, 88, 44, TUNABLE_SOURCE_ADAPTIVE,
                "watermark_scale_factor 88 -> 44: PSI full 4.0% -> 7.0% over 30s: took the step back; "
                "holds there for 5min");
        /* Within the margins it stays: PSI full 25 % and one point up, and
         * a tenth of the work for stalls per page down by 68 % (20 % of
         * that is 13.7 %). */
        trial_cost_start(4);
        sim.load = (Load) { .direct = 600, .stall = 10, .alloc = 4500, .psi_full = 5.9 };
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(70), WSF, 88, 176, TUNABLE_SOURCE_ADAPTIVE, NULL);
        /* The cost is weighed against the gain: 18 % of the work for those
         * 65 % is too much, and 8 % is too much for stalls that did not
         * fall by a quarter. */
        trial_cost_start(0);
        sim.load = (Load) { .direct = 600, .stall = 10, .alloc = 4100 };
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(70), WSF, 88, 44, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 88 -> 44: pages allocated 5000/s -> 4100/s: the workload "
                       "slowed over 30s: took the step back; holds there for 5min");
        trial_cost_start(0);
        sim.load = (Load) { .direct = 1700, .stall = 30, .alloc = 4600 };
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(70), WSF, 88, 44, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 88 -> 44: allocstall 35/s -> 30/s (per page allocated), not "
                       "25% less; pages allocated 5000/s -> 4600/s: the workload slowed over 30s: took the "
                       "step back; holds there for 5min");
        /* At the onset, stalls and PSI full that grow with the trouble do
         * not take the first step back. */
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .alloc = 5000, .psi_full = 2 };
        sim_run(&sim, 10 * SEC, SEC);
        sim.load = (Load) { .direct = 9000, .stall = 110, .alloc = 5000, .psi_full = 20 };
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(40), WSF, 44, 88, TUNABLE_SOURCE_ADAPTIVE, NULL);
}

/* The default policy's 2 s window and cool-down, and 4 s of a load that
 * the first two steps (10 -> 44 -> 88) do not end. */
static void trial_windows_start(void) {
        sim_new(&sim);
        sim.p.thresholds.window_usec = 2 * SEC;
        sim.p.thresholds.cooldown_usec = 2 * SEC;
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .alloc = 5000 };
        sim_run(&sim, 4 * SEC, SEC);
}

/* With the default policy's 2 s window and cool-down a step that paid
 * at no cost is kept after one window, and the next comes at once; any
 * other verdict waits, with no step meanwhile, for ENGINE_TRIAL_WINDOWS
 * windows and is taken on their average: one burst right after a step
 * neither takes it back nor holds its tunable, a cost that lasts does. */
static void test_trial_windows(void) {
        trial_windows_start();
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(4), WSF, 44, 88, TUNABLE_SOURCE_ADAPTIVE, NULL);
        /* A burst: more stalls, fewer pages allocated, for one window. */
        sim.load = (Load) { .direct = 4000, .stall = 45, .alloc = 3000 };
        sim_run(&sim, 2 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_STREQ(
                sim.plan.tunables[WSF].reason,
                "adaptive 10..1000, baseline 10: direct reclaim; judging the last step over up to 4s more");
        /* Then a lull: counted from the step, it paid at no cost, and the
         * next step comes. */
        sim.load = (Load) { .direct = 1500, .stall = 12, .alloc = 6000 };
        sim_run(&sim, 4 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(9), WSF, 88, 176, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 88 -> 176: pgscan_direct 1500/s, allocstall 12/s over 2s; "
                       "the last step paid: allocstall/page -25%");

        /* The same step when the workload stays slowed: taken back after
         * the three windows, and said so. */
        trial_windows_start();
        sim.load = (Load) { .direct = 1000, .stall = 20, .alloc = 3000 };
        sim_run(&sim, 6 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(10), WSF, 88, 44, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 88 -> 44: allocstall 35/s -> 20/s (per page allocated), not "
                       "25% less; pages allocated 5000/s -> 3000/s: the workload slowed over 6s: took the "
                       "step back; holds there for 1min");
}

/* A step is judged on the samples in trouble alone (a bursty load), added
 * up over the bursts, and no further step comes before the verdict: one
 * that paid at no cost after one window of them, one that costs after
 * three, even where each burst is a single sample. The samples between
 * bursts are no evidence of cost. */
static void trial_pause_start(void) {
        trial_windows_start();
        sim.load = (Load) { .alloc = 1000 }; /* between bursts: no reclaim, little work */
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
}

static void test_trial_pause(void) {
        trial_pause_start();
        sim.load = (Load) { .direct = 1000, .stall = 10, .alloc = 5000 };
        sim_run(&sim, 2 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(16), WSF, 88, 176, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 88 -> 176: pgscan_direct 1000/s, allocstall 10/s over 2s; "
                       "the last step paid: allocstall/page -71%");

        trial_pause_start();
        sim.load = (Load) { .direct = 1000, .stall = 10, .alloc = 3000 };
        sim_run(&sim, 12 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(20), WSF, 88, 44, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 88 -> 44: pages allocated 5000/s -> 3000/s: the workload "
                       "slowed over 6s: took the step back; holds there for 1min");

        /* Bursts of one sample every 5 s: judged on six of them. */
        trial_windows_start();
        for (int i = 0; i < 8; i++) {
                sim.load = (Load) { .alloc = 1000 };
                sim_run(&sim, 4 * SEC, SEC);
                sim.load = (Load) { .direct = 2000, .stall = 20, .alloc = 3000 };
                sim_run(&sim, 1 * SEC, SEC);
        }
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(34), WSF, 88, 44, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 88 -> 44: allocstall 35/s -> 20/s (per page allocated), not "
                       "25% less; pages allocated 5000/s -> 3000/s: the workload slowed over 6s: took the "
                       "step back; holds there for 1min");

        /* Reclaim below the thresholds but not calm for 30 windows (1 min)
         * ends the trial with no verdict: the next trouble steps at once. */
        trial_windows_start();
        sim.load = (Load) { .direct = 700, .stall = 7, .alloc = 3000 };
        sim_run(&sim, 62 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        sim.load = (Load) { .direct = 2000, .stall = 20, .alloc = 3000 };
        sim_run(&sim, 2 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 2), AT(67), WSF, 88, 176, TUNABLE_SOURCE_ADAPTIVE, NULL);
}

/* A trial judges only a step in force, from a quiet start: in observe mode,
 * or when an override changes a watermark meanwhile, the step stays. */
static void test_trial_void(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim.observe = true;
        sim.p.mode = POLICY_MODE_OBSERVE;
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .alloc = 5000 };
        sim_run(&sim, 100 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 4); /* 44, 88, 176, 352: never taken back */
        CHECK_EQ_U64(direction_changes(&sim, WSF), 0);

        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        sim.load = (Load) { .direct = 1840, .stall = 35, .alloc = 5000 };
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 1);
        sim.ov[MFK] = (Override) { .active = true, .value = 100000, .expires_usec = USEC_INFINITY };
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(40), WSF, 44, 88, TUNABLE_SOURCE_ADAPTIVE, NULL);
}

/* While the kernel boosts a zone's watermarks the calm clock stops: quiet
 * then is the kernel's doing, not a sign memtuned's level can go. */
static void test_boost_hold(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(10), WSF, 10, 44, TUNABLE_SOURCE_ADAPTIVE, NULL);

        sim.load = (Load) {};
        sim_run(&sim, 90 * SEC, SEC);
        /* 300 s of boost (zoneinfo's min includes it). */
        sim.s.zoneinfo.zones[0].boost = 4096;
        sim.s.zoneinfo.zones[0].min += 4096;
        sim_run(&sim, 300 * SEC, SEC);
        CHECK(sim.plan.calm);
        CHECK(strstr(sim.plan.tunables[WSF].reason,
                     "the kernel is boosting the watermarks: the calm clock waits"));
        sim.s.zoneinfo.zones[0].boost = 0;
        sim.s.zoneinfo.zones[0].min -= 4096;

        /* Calm from 10 s, 300 s of it boosted: back at 910 s, not 610 s. */
        sim_run(&sim, 509 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 1);
        CHECK_EQ_U64(sim_target(&sim, WSF), 44);
        sim_run(&sim, 1 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(910), WSF, 44, 10, TUNABLE_SOURCE_ADAPTIVE, NULL);

        /* Trouble while boosted still counts: stalls despite the kernel's
         * own boost are stalls. */
        sim.s.zoneinfo.zones[0].boost = 4096;
        sim.s.zoneinfo.zones[0].min += 4096;
        load_trouble(&sim);
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_EQ_U64(sim_target(&sim, WSF), 44);
}

/* The watermarks are back at their baselines when the calm time is up, not
 * up to a calm sample interval (60 s) later: the engine wakes for it. */
static void test_calm_deadline(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 44);
        sim.load = (Load) {};
        while (sim.now < AT(1000))
                sim_step(&sim, sim.plan.next_sample_usec);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_DECISION(nth(&sim, WSF, 1), AT(610), WSF, 44, 10, TUNABLE_SOURCE_ADAPTIVE, NULL);
        /* At the baseline the calm interval is back to its maximum. */
        CHECK_EQ_U64(sim.plan.next_sample_usec, 60 * SEC);
}

/* PSI pressure from a thrashing page cache (file refaults dominate, no
 * direct reclaim) does not hold the watermarks up: it counts as calm, and
 * the wider gap goes back after ENGINE_THRASH_CALM_WINDOWS windows rather
 * than the calm time, once per calm time; the same pressure without the
 * refaults still holds them. */
static void test_thrash_back(void) {
        const Load thrash = { .refault_file = 2000, .psi_some = 35, .psi_full = 5 };

        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 10 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 44);

        /* Pressure without refaults: not calm, held. */
        sim.load = (Load) { .psi_some = 35, .psi_full = 5 };
        sim_run(&sim, 200 * SEC, SEC);
        CHECK(!sim.plan.calm);
        CHECK_EQ_U64(count(&sim, WSF), 1);

        /* The same pressure from file refaults: calm from 210 s, back 15
         * windows (150 s) later, at the sample the engine wakes for. */
        sim.load = thrash;
        sim_run(&sim, 100 * SEC, SEC);
        CHECK_STREQ(
                sim.plan.tunables[WSF].reason,
                "adaptive 10..1000, baseline 10: calm for 1min 40s, the page cache thrashing; back to the "
                "baseline in 50s");
        while (sim.now < AT(400))
                sim_step(&sim, sim.plan.next_sample_usec);
        CHECK_EQ_U64(count(&sim, WSF), 2);
        CHECK_DECISION(
                nth(&sim, WSF, 1), AT(360), WSF, 44, 10, TUNABLE_SOURCE_ADAPTIVE,
                "watermark_scale_factor 44 -> 10: calm for 2min 30s (pgscan_direct 0/s, allocstall 0/s), "
                "the page cache thrashing (file refaults 2000/s): back to the baseline 10 early, a wide "
                "gap costs cache; remembers 44 for the next direct reclaim");

        /* The stalls come back: the learned level at once; when they stop
         * again the gap stays until 10 min after the early return. */
        load_trouble(&sim);
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 44);
        sim.load = thrash;
        sim_run(&sim, AT(959) - sim.now, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 44);
        CHECK(sim.plan.calm);
        sim_run(&sim, 1 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 10);
        CHECK_DECISION(nth(&sim, WSF, count(&sim, WSF) - 1), AT(960), WSF, 44, 10, TUNABLE_SOURCE_ADAPTIVE,
                       NULL);
}

/* After a restart the daemon hands back the levels it held: they are
 * written at the first step, and go back to the baselines after calm. */
static void test_resume(void) {
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        engine_resume(&sim.e, WSF, 176, 352, T0);
        engine_resume(&sim.e, MFK, 67584, 84480, T0); /* at the baseline, remembers more */
        engine_resume(&sim.e, SWP, 80, 0, T0);        /* not a watermark: ignored */
        sim_step(&sim, SEC);
        CHECK_EQ_INT(sim.r, 1);
        CHECK_DECISION(
                nth(&sim, WSF, 0), AT(1), WSF, 10, 176, TUNABLE_SOURCE_ADAPTIVE,
                "watermark_scale_factor 10 -> 176: resumed: the level memtuned held before it restarted");
        CHECK_EQ_U64(sim.e.tunables[MFK].learned, 84480);
        sim_run(&sim, 600 * SEC, SEC);
        CHECK_EQ_U64(sim_target(&sim, WSF), 10);
        sim_run(&sim, 1 * SEC, SEC);
        /* Calm since 0 s, but the resumed level counts as a step at 1 s. */
        CHECK_DECISION(nth(&sim, WSF, 1), AT(601), WSF, 176, 10, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_EQ_U64(sim.e.tunables[WSF].learned, 176);

        /* A resumed level outside the policy's bounds is clamped at once. */
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 200);
        sim_start(&sim, T0);
        engine_resume(&sim.e, WSF, 1000, 0, T0);
        sim_step(&sim, SEC);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(1), WSF, 10, 200, TUNABLE_SOURCE_ADAPTIVE,
                       "watermark_scale_factor 10 -> 200: above the policy's maximum 200");

        /* A baseline changed behind memtuned's back forgets what was learned. */
        sim_new(&sim);
        sim_adaptive(&sim, WSF, 10, 1000);
        sim_start(&sim, T0);
        engine_resume(&sim.e, WSF, 10, 352, T0);
        engine_set_baseline(&sim.e, WSF, 50);
        CHECK_EQ_U64(sim.e.tunables[WSF].learned, 0);
}

/* thresholds.max_reserve: adaptive min_free_kbytes stops there, and a
 * baseline above it is kept, not lowered. */
static void test_max_reserve(void) {
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim.p.thresholds.max_reserve_kb = 100000;
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 200 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 2);
        CHECK_DECISION(nth(&sim, MFK, 1), AT(40), MFK, 84480, 100000, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK(reason_has(nth(&sim, MFK, 1), "reached the policy's maximum"));

        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim.p.thresholds.max_reserve_kb = 100000;
        sim.s.tunables.value[MFK] = 135168;
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 200 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, MFK), 0);
        CHECK_EQ_U64(sim_target(&sim, MFK), 135168);
}

/* The shipped default policy on the two guests of issue 14, with the 1 GiB
 * guest's zones (DMA and DMA32, min_free_kbytes 45056 with THP) and the
 * 4 GiB guest's (DMA32 and Normal, 67584): the fixture's 30 s of heavy
 * direct reclaim (40,000 pages/s, 800 stalls/s) on a machine that answers
 * every step (sim_alloc()) takes watermark_scale_factor to 1000 within
 * seconds, then the reserve to its cap, never above
 * min(135168 kB, 5 % of RAM); 10 min after the load all is back. */
/* sim set up with the shipped default policy on a guest with two zones,
 * started at T0. */
static void default_policy_sim(uint64_t mem_kb, uint64_t min_free_kb, const uint64_t managed[2]) {
        char path[PATH_MAX];
        char *paths[] = { path };
        HostInfo host = { .ram_kb = mem_kb, .numa_nodes = 1, .kernel_version = { 6, 1, 0 } };
        _cleanup_(policy_errors_free) PolicyErrors err = {};
        Policy *p = NULL;
        uint64_t total = managed[0] + managed[1], min_pages = min_free_kb / 4;

        snprintf(path, sizeof(path), "%s/policies/50-default.conf", getenv("top_srcdir") ?: ".");
        ASSERT(policy_load_files(paths, 1, &host, &p, &err) == 0);

        sim_new(&sim);
        sim.p.thresholds = p->thresholds;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                sim.p.tunables[id] = p->tunables[id];
        policy_free(p);
        sim.s.meminfo.field[MEMINFO_MEM_TOTAL] = mem_kb;
        sim.s.tunables.value[MFK] = min_free_kb;
        sim.s.zoneinfo.n_zones = 0;
        for (size_t i = 0; i < 2; i++) {
                sim_zone(&sim.s, 0, managed[i] / 10, min_pages * managed[i] / total);
                sim.s.zoneinfo.zones[i].managed = sim.s.zoneinfo.zones[i].present = managed[i];
        }
        sim_start(&sim, T0);
}

static void default_policy_guest(uint64_t mem_kb, uint64_t min_free_kb, const uint64_t managed[2],
                                 const uint64_t wsf_steps[], size_t n_wsf, uint64_t reserve_max) {
        default_policy_sim(mem_kb, min_free_kb, managed);
        sim_run(&sim, 5 * SEC, SEC);
        CHECK_EQ_U64(sim.n_log, 0);

        sim.load = (Load) { .direct = 40000, .stall = 800, .psi_some = 40, .psi_full = 20 };
        sim_run(&sim, 30 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), n_wsf);
        for (size_t i = 0; i < n_wsf; i++)
                CHECK_DECISION(nth(&sim, WSF, i), AT(6 + 2 * i), WSF, i == 0 ? 10 : wsf_steps[i - 1],
                               wsf_steps[i], TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_EQ_U64(sim_target(&sim, MFK), reserve_max);
        CHECK(count(&sim, MFK) >= 1);
        CHECK(nth(&sim, MFK, 0) && nth(&sim, MFK, 0)->time_usec == AT(6 + 2 * n_wsf));
        CHECK(reserve_max <= 135168 && reserve_max <= mem_kb / 20);

        /* Calm: everything back at the kernel's values 10 min after the load
         * stopped, however long the calm sample interval has grown. */
        sim.load = (Load) {};
        while (sim.now < AT(35 + 600))
                sim_step(&sim, sim.plan.next_sample_usec);
        CHECK_EQ_U64(sim_target(&sim, WSF), 10);
        CHECK_EQ_U64(sim_target(&sim, MFK), min_free_kb);
}

/* Bursts like bench/vm-effect's churn in the 4 GiB guest (1,000,000 pages
 * managed): 2 s of direct reclaim while 37,000 pages/s are allocated, every
 * 7 s. The first step stays the smallest that doubles the gap; when the
 * stalls come back, the next goes to the gap that holds two seconds of
 * those allocations (740) rather than doubling (172), then to the maximum.
 * A burst that does not come back leaves only the first step. */
static void test_wsf_cover(void) {
        static const uint64_t managed[2] = { 700000, 300000 };
        static const Load quiet = { .alloc = 20000 },
                          burst = { .direct = 15000, .stall = 115, .alloc = 37000, .psi_some = 60 };
        const Decision *d;

        default_policy_sim(4060000, 67584, managed);
        for (unsigned i = 0; i < 3; i++) {
                /* Each step answers: the stalls fall as the gap widens. */
                double cut = 86.0 / (double) MAX(sim_target(&sim, WSF), 86);

                sim.load = quiet;
                sim_run(&sim, 5 * SEC, SEC);
                sim.load = burst;
                sim.load.direct *= cut;
                sim.load.stall *= cut;
                sim_run(&sim, 2 * SEC, SEC);
        }
        CHECK_EQ_U64(count(&sim, WSF), 3);
        CHECK_DECISION(nth(&sim, WSF, 0), AT(6), WSF, 10, 86, TUNABLE_SOURCE_ADAPTIVE, NULL);
        d = nth(&sim, WSF, 1);
        CHECK_DECISION(d, AT(13), WSF, 86, 740, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK(d && strstr(d->reason, "; to 740: a gap for 2s of 37000 pages/s allocated"));
        CHECK_DECISION(nth(&sim, WSF, 2), AT(20), WSF, 740, 1000, TUNABLE_SOURCE_ADAPTIVE, NULL);
        CHECK_EQ_U64(count(&sim, MFK), 0);

        default_policy_sim(4060000, 67584, managed);
        sim.load = quiet;
        sim_run(&sim, 5 * SEC, SEC);
        sim.load = burst;
        sim_run(&sim, 2 * SEC, SEC);
        sim.load = quiet;
        sim_run(&sim, 60 * SEC, SEC);
        CHECK_EQ_U64(count(&sim, WSF), 1);
        CHECK_EQ_U64(sim_target(&sim, WSF), 86);
}

static void test_default_policy(void) {
        static const uint64_t small_managed[2] = { 3840, 240000 }, large_managed[2] = { 700000, 300000 };
        /* The stalls' first sample (at 6 s) already makes the 2 s window's
         * average trouble; then one step per 2 s. */
        static const uint64_t small_wsf[] = { 232, 1000 };
        static const uint64_t large_wsf[] = { 86, 172, 344, 688, 1000 };

        /* 1 GiB: 5 % of MemTotal (50,200 kB) binds. */
        default_policy_guest(1004000, 45056, small_managed, small_wsf, ELEMENTSOF(small_wsf), 50200);
        /* 4 GiB: TuneD's 135168 kB binds (5 % would be 203,000 kB). */
        default_policy_guest(4060000, 67584, large_managed, large_wsf, ELEMENTSOF(large_wsf), 135168);
}

static void test_errors(void) {
        static Engine saved;
        Plan plan;

        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        load_trouble(&sim);
        sim_run(&sim, 20 * SEC, SEC);
        saved = sim.e;

        CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, NULL, sim.now - 1, &plan), -EINVAL);
        CHECK(memcmp(&saved, &sim.e, sizeof(saved)) == 0);
        sim.p.thresholds.step_factor = 1.0;
        CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, NULL, sim.now + 1, &plan), -EINVAL);
        sim.p.thresholds.step_factor = NAN;
        CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, NULL, sim.now + 1, &plan), -EINVAL);
        sim.p.thresholds.step_factor = 1.25;
        sim.p.thresholds.sample_interval_min_usec = 0;
        CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, NULL, sim.now + 1, &plan), -EINVAL);
        sim.p.thresholds.sample_interval_min_usec = 120 * SEC;
        CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, NULL, sim.now + 1, &plan), -EINVAL);
        CHECK(memcmp(&saved, &sim.e, sizeof(saved)) == 0);

        /* The same time again is fine (a PSI wake-up right after a sample). */
        sim.p.thresholds.sample_interval_min_usec = SEC;
        CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, NULL, sim.now, &plan), 0);

        /* Counters that were reset give no evidence, in either direction. */
        sim_new(&sim);
        sim_adaptive(&sim, MFK, 0, 1048576);
        sim_start(&sim, T0);
        for (unsigned i = 0; i < 100; i++) {
                Rates r;

                sim.now += SEC;
                sim_rates(&sim, SEC, &r);
                r.reset = UINT32_C(1) << VMSTAT_PGSCAN_DIRECT;
                CHECK_EQ_INT(engine_step(&sim.e, &sim.p, NULL, &sim.s, &r, sim.now, &sim.plan), 0);
                CHECK(!sim.plan.calm);
        }

        CHECK_STREQ(pressure_level_to_string(PRESSURE_MEDIUM), "medium");
        CHECK(pressure_level_to_string(_PRESSURE_LEVEL_MAX) == NULL);
        CHECK_STREQ(tunable_source_to_string(TUNABLE_SOURCE_OVERRIDE), "override");
        CHECK(tunable_source_to_string((TunableSource) -1) == NULL);
}

int main(void) {
        test_burst();
        test_burst_psi();
        test_window_after_step();
        test_sustained();
        test_wsf_effective();
        test_reserve_cap();
        test_flapping();
        test_numa();
        test_swap();
        test_fixed();
        test_overrides();
        test_observe();
        test_pressure();
        test_interval();
        test_set_baseline();
        test_restore_baseline();
        test_hand_back();
        test_hand_back_retry();
        test_bounds();
        test_errors();
        test_recall();
        test_trial_no_help();
        test_trial_cost();
        test_trial_windows();
        test_trial_pause();
        test_trial_void();
        test_boost_hold();
        test_calm_deadline();
        test_thrash_back();
        test_resume();
        test_max_reserve();
        test_default_policy();
        test_wsf_cover();
        return test_result("test-engine");
}
