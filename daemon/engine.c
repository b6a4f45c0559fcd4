/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "macro.h"
#include "string-table.h"
#include "units.h"

#define NEVER USEC_INFINITY
#define BIT32(n) (UINT32_C(1) << (n))

/* clang-format off: one entry per line */
static const char *const pressure_level_table[_PRESSURE_LEVEL_MAX] = {
        [PRESSURE_NONE] = "none",
        [PRESSURE_LOW] = "low",
        [PRESSURE_MEDIUM] = "medium",
        [PRESSURE_CRITICAL] = "critical",
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(pressure_level, PressureLevel, );

/* clang-format off: one entry per line */
static const char *const tunable_source_table[_TUNABLE_SOURCE_MAX] = {
        [TUNABLE_SOURCE_NONE] = "none",         [TUNABLE_SOURCE_BASELINE] = "baseline",
        [TUNABLE_SOURCE_FIXED] = "fixed",       [TUNABLE_SOURCE_ADAPTIVE] = "adaptive",
        [TUNABLE_SOURCE_OVERRIDE] = "override",
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(tunable_source, TunableSource, );

/* ---- text ------------------------------------------------------------------ */

/* Appends into a fixed buffer; output past its end is cut, never overflows. */
typedef struct Text {
        char *buf;
        size_t size, len;
} Text;

static Text text_start(char *buf, size_t size) {
        buf[0] = 0;
        return (Text) { .buf = buf, .size = size };
}

_printf_(2, 3) static void text_add(Text *t, const char *fmt, ...) {
        va_list ap;
        int n;

        if (t->len + 1 >= t->size)
                return;
        va_start(ap, fmt);
        n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
        va_end(ap);
        if (n > 0)
                t->len = MIN(t->len + (size_t) n, t->size - 1);
}

/* Replaces buf's text; cut at size, like text_add. */
_printf_(3, 4) static void text_set(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

/* Short formatted values, returned by value so that they can be used inline. */
typedef struct Str {
        char s[48];
} Str;

/* "1840", "35", "0", "2.5": whole numbers from 10 up, one decimal below. */
static Str fmt_rate(double v) {
        Str r;

        if (!(v > 0))
                v = 0;
        if (v >= 10 || v == pos_floor(v))
                snprintf(r.s, sizeof(r.s), "%.0f", v);
        else
                snprintf(r.s, sizeof(r.s), "%.1f", v);
        return r;
}

/* ---- time ------------------------------------------------------------------ */

static uint64_t usec_sub(uint64_t a, uint64_t b) {
        return a > b ? a - b : 0;
}

/* Saturates at NEVER (UINT64_MAX). */
static uint64_t usec_add(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The last event was at least span ago (or there was none). */
static bool cooled(uint64_t now, uint64_t last, uint64_t span) {
        return last == NEVER || usec_sub(now, last) >= span;
}

/* A state that began at since (NEVER: not in it) has lasted span. */
static bool lasted(uint64_t now, uint64_t since, uint64_t span) {
        return since != NEVER && now >= since && now - since >= span;
}

/* The later of two start times, NEVER counting as "none". */
static uint64_t later(uint64_t a, uint64_t b) {
        if (a == NEVER)
                return b;
        if (b == NEVER)
                return a;
        return MAX(a, b);
}

/* ---- state ----------------------------------------------------------------- */

void engine_init(Engine *e, const Sample *s, uint64_t now_usec) {
        long page = sysconf(_SC_PAGESIZE);

        *e = (Engine) {
                .page_kb = page >= 1024 ? (uint64_t) page / 1024 : 4,
                .last_usec = now_usec,
                .watermark_step_usec = NEVER,
                .trial_usec = NEVER,
                .watermark_target_usec = NEVER,
                .calm_since_usec = NEVER,
                .thrash_back_usec = NEVER,
                .pressure = PRESSURE_NONE,
                .pressure_since_usec = now_usec,
                .numa_since_usec = NEVER,
                .swap_since_usec = NEVER,
                .swap_quiet_since_usec = now_usec,
                .swap_class = -1,
        };

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                EngineTunable *t = &e->tunables[id];

                t->last_step_usec = NEVER;
                t->ceiling_usec = NEVER;
                if (!tunables_has(&s->tunables, id))
                        continue;
                t->known = true;
                t->baseline = t->level = t->target = s->tunables.value[id];
                /* Held at the baseline until the first step says otherwise. */
                t->source = TUNABLE_SOURCE_BASELINE;
        }
}

void engine_set_baseline(Engine *e, TunableId id, uint64_t value) {
        EngineTunable *t;

        if ((unsigned) id >= _TUNABLE_MANAGED_MAX)
                return;
        t = &e->tunables[id];
        t->known = true;
        t->baseline = t->level = t->target = value;
        /* What was learned relative to the old baseline says nothing about
         * the new one. */
        t->learned = 0;
        t->resumed = false;
        t->on_trial = false;
        t->ceiling_usec = NEVER;
        if (t->source == TUNABLE_SOURCE_NONE)
                return;
        /* Whatever memtuned planned before is void; the next step plans again
         * from the new value. */
        t->source = TUNABLE_SOURCE_BASELINE;
}

void engine_restore_baseline(Engine *e, TunableId id, uint64_t value) {
        if ((unsigned) id >= _TUNABLE_MANAGED_MAX || !e->tunables[id].known)
                return;
        e->tunables[id].baseline = value;
}

void engine_resume(Engine *e, TunableId id, uint64_t level, uint64_t learned, uint64_t now_usec) {
        EngineTunable *t;

        if ((id != TUNABLE_MIN_FREE_KBYTES && id != TUNABLE_WATERMARK_SCALE_FACTOR) ||
            !e->tunables[id].known)
                return;
        t = &e->tunables[id];
        t->learned = learned;
        t->learned_usec = now_usec;
        if (level == t->level)
                return;
        t->level = level;
        t->last_step_usec = now_usec;
        t->resumed = true;
        e->watermark_step_usec = now_usec;
}

/* ---- one step -------------------------------------------------------------- */

/* What this sample says, each value only where it can be trusted: a counter
 * that was reset or is missing gives no evidence either way. */
typedef struct Obs {
        bool rates;
        uint64_t interval, start; /* the rates cover [start, now] */
        bool has_direct, has_stall, has_zrf, has_refault, has_pswpin, has_alloc;
        double direct, stall, zrf, refault_anon, refault_file, pswpin, alloc;
        double full_interval; /* PSI full over the interval alone, percent; NAN: unknown */
        bool has_psi, has_full;
        double psi_some, psi_full; /* percent */
} Obs;

typedef struct Bounds {
        uint64_t lo, hi;     /* where an adaptive level may be */
        uint64_t rest;       /* where it returns to when calm: the baseline within lo..hi */
        uint64_t safety_max; /* the kernel's max; for min_free_kbytes also the reserve ceiling */
        bool capped;         /* hi is the reserve ceiling, below the policy's max */
} Bounds;

typedef struct Step {
        Engine *e;
        const Policy *p;
        const PolicyThresholds *th;
        const Sample *s;
        uint64_t now;
        Obs o;
        uint64_t window;              /* the policy's window, at least 1 usec */
        bool calm;                    /* this sample */
        bool boosted;                 /* a zone's watermarks carry the kernel's boost */
        bool thrash;                  /* this sample: the page cache thrashes (swap_trend_of) */
        bool judged;                  /* a trial ended with a verdict or waits for more evidence */
        bool trouble;                 /* the window average reaches a threshold */
        EngineAverage avg;            /* over the window up to now */
        double avg_direct, avg_stall; /* avg's, or 0 where the history is short */
        double cap_percent;
        uint64_t cap_kb; /* 0: MemTotal unknown */
        bool present[_TUNABLE_MANAGED_MAX];
        bool overridden[_TUNABLE_MANAGED_MAX];
        bool controlled[_TUNABLE_MANAGED_MAX]; /* adaptive, present, not overridden */
        bool stepped[_TUNABLE_MANAGED_MAX];    /* the level moved this step; why says why */
        char why[_TUNABLE_MANAGED_MAX][ENGINE_REASON_MAX];
        char note[_TUNABLE_MANAGED_MAX][ENGINE_REASON_MAX]; /* the controller's state */
        char paid[96]; /* the trial's verdict on the last step, for the next step's reason */
} Step;

static bool rate_get(const Rates *r, VmStatField f, double *ret) {
        if (!r || !rates_has(r, f) || (r->reset & BIT32(f)))
                return false;
        if (!(r->vmstat[f] >= 0) || !isfinite(r->vmstat[f]))
                return false;
        *ret = r->vmstat[f];
        return true;
}

static void observe(const Sample *s, const Rates *r, uint64_t now, Obs *ret) {
        Obs o = { .full_interval = NAN };

        if (r && r->interval_usec > 0) {
                o.rates = true;
                o.interval = r->interval_usec;
                o.start = usec_sub(now, r->interval_usec);
                o.has_direct = rate_get(r, VMSTAT_PGSCAN_DIRECT, &o.direct);
                o.has_stall = rate_get(r, VMSTAT_ALLOCSTALL, &o.stall);
                o.has_zrf = rate_get(r, VMSTAT_ZONE_RECLAIM_FAILED, &o.zrf);
                o.has_pswpin = rate_get(r, VMSTAT_PSWPIN, &o.pswpin);
                o.has_alloc = rate_get(r, VMSTAT_PGALLOC, &o.alloc);
                o.has_refault = rate_get(r, VMSTAT_WORKINGSET_REFAULT_ANON, &o.refault_anon) &&
                                rate_get(r, VMSTAT_WORKINGSET_REFAULT_FILE, &o.refault_file);
        }

        /* The larger of the kernel's 10 s average and the share over the
         * whole interval: a long interval must not hide a stall that avg10 has
         * already forgotten, and avg10 catches a stall that began just before
         * the sample. */
        if (s->psi.available) {
                o.has_psi = true;
                o.has_full = s->psi.has_full;
                o.psi_some = s->psi.some.avg10 / 100.0;
                o.psi_full = s->psi.has_full ? s->psi.full.avg10 / 100.0 : 0;
        }
        if (r && r->psi_valid && isfinite(r->psi_some_pct) && isfinite(r->psi_full_pct)) {
                o.has_psi = true;
                o.psi_some = MAX(o.psi_some, r->psi_some_pct);
                o.psi_full = MAX(o.psi_full, r->psi_full_pct);
                if (o.has_full)
                        o.full_interval = r->psi_full_pct;
        }
        *ret = o;
}

/* Which side thrashes in this sample: +1 the page cache (file refaults
 * dominate), -1 anon memory (anon refaults and swap-ins dominate), 0 neither.
 * The rates go to *ret_anon and *ret_file. */
static int swap_trend_of(const Obs *o, double *ret_anon, double *ret_file) {
        double anon = 0, file = 0;
        int trend = 0;

        if (o->rates) {
                anon = o->refault_anon + (o->has_pswpin ? o->pswpin : 0);
                file = o->refault_file;
                if (file >= ENGINE_REFAULT_THRASH_PAGES_PER_S && anon * ENGINE_REFAULT_DOMINANCE <= file)
                        trend = +1;
                else if (anon >= ENGINE_REFAULT_THRASH_PAGES_PER_S &&
                         file * ENGINE_REFAULT_DOMINANCE <= anon)
                        trend = -1;
        }
        *ret_anon = anon;
        *ret_file = file;
        return trend;
}

static void history_push(Engine *e, const Obs *o, uint64_t now) {
        EngineHistory *h;
        uint64_t start = o->start;

        if (!o->rates || !o->has_direct)
                return;
        /* Never count a stretch of time twice. */
        if (e->history_n > 0) {
                const EngineHistory *prev =
                        &e->history[(e->history_next + ENGINE_HISTORY_MAX - 1) % ENGINE_HISTORY_MAX];
                start = MAX(start, prev->end_usec);
        }
        if (start >= now)
                return;

        h = &e->history[e->history_next];
        *h = (EngineHistory) {
                .end_usec = now,
                .interval_usec = now - start,
                .pgscan_direct = o->direct,
                .allocstall = o->has_stall ? o->stall : 0,
                .alloc = o->has_alloc ? o->alloc : NAN,
                .psi_full = o->full_interval,
        };
        e->history_next = (e->history_next + 1) % ENGINE_HISTORY_MAX;
        if (e->history_n < ENGINE_HISTORY_MAX)
                e->history_n++;
}

/* Sums of history samples' rates weighted by how long each counts; alloc
 * and PSI full only where they are known. */
typedef struct HistorySum {
        double direct, stall, alloc, full;
        uint64_t covered, alloc_covered, full_covered;
} HistorySum;

static void history_sum_add(HistorySum *sum, const EngineHistory *h, uint64_t len) {
        sum->direct += h->pgscan_direct * (double) len;
        sum->stall += h->allocstall * (double) len;
        sum->covered += len;
        if (!isnan(h->alloc)) {
                sum->alloc += h->alloc * (double) len;
                sum->alloc_covered += len;
        }
        if (!isnan(h->psi_full)) {
                sum->full += h->psi_full * (double) len;
                sum->full_covered += len;
        }
}

/* Returns false (and leaves *ret alone) when the sum holds nothing. */
static bool history_sum_average(const HistorySum *sum, EngineAverage *ret) {
        if (sum->covered == 0)
                return false;
        *ret = (EngineAverage) {
                .pgscan_direct = sum->direct / (double) sum->covered,
                .allocstall = sum->stall / (double) sum->covered,
                .has_alloc = sum->alloc_covered > 0,
                .alloc = sum->alloc_covered > 0 ? sum->alloc / (double) sum->alloc_covered : 0,
                .has_psi_full = sum->full_covered > 0,
                .psi_full = sum->full_covered > 0 ? sum->full / (double) sum->full_covered : 0,
        };
        return true;
}

/* The i-th newest sample of the history. */
static const EngineHistory *history_nth(const Engine *e, size_t i) {
        return &e->history[(e->history_next + ENGINE_HISTORY_MAX - 1 - i) % ENGINE_HISTORY_MAX];
}

/* Averages the rates over [from, to]; alloc and PSI full over the part of
 * it where they are known. Returns whether the history covers all of it (or
 * all it can hold). */
static bool history_average(const Engine *e, uint64_t from, uint64_t to, EngineAverage *ret) {
        HistorySum sum = {};
        size_t i;

        for (i = 0; i < e->history_n; i++) {
                const EngineHistory *h = history_nth(e, i);
                uint64_t start = h->end_usec - h->interval_usec;
                uint64_t lo = MAX(start, from), hi = MIN(h->end_usec, to);

                if (hi > lo)
                        history_sum_add(&sum, h, hi - lo);
                if (start <= from)
                        break;
        }
        if (!history_sum_average(&sum, ret))
                return false;
        return sum.covered >= to - from || (i == e->history_n && e->history_n == ENGINE_HISTORY_MAX);
}

/* The level PSI points at: thresholds are avg10 hundredths of a percent,
 * scaled (ENGINE_PRESSURE_FALL_RATIO) for the level to keep; 0 disables one. */
static PressureLevel pressure_of(const PolicyThresholds *th, const Obs *o, double scale) {
        PressureLevel l = PRESSURE_NONE;

        if (!o->has_psi)
                return PRESSURE_NONE;
        if (th->psi_some_low > 0 && o->psi_some >= th->psi_some_low / 100.0 * scale)
                l = PRESSURE_LOW;
        if (th->psi_some_medium > 0 && o->psi_some >= th->psi_some_medium / 100.0 * scale)
                l = PRESSURE_MEDIUM;
        if ((th->psi_some_critical > 0 && o->psi_some >= th->psi_some_critical / 100.0 * scale) ||
            (th->psi_full_critical > 0 && o->has_full &&
             o->psi_full >= th->psi_full_critical / 100.0 * scale))
                l = PRESSURE_CRITICAL;
        return l;
}

static void pressure_update(Step *st) {
        Engine *e = st->e;
        PressureLevel up = pressure_of(st->th, &st->o, 1.0);

        if (up > e->pressure) {
                e->pressure = up;
                e->pressure_since_usec = st->now;
        } else if (up < e->pressure && lasted(st->now, e->pressure_since_usec, ENGINE_PRESSURE_HOLD_USEC)) {
                PressureLevel keep = pressure_of(st->th, &st->o, ENGINE_PRESSURE_FALL_RATIO);

                if (keep < e->pressure) {
                        e->pressure = MAX(up, keep);
                        e->pressure_since_usec = st->now;
                }
        }
}

/* A rate below the calm share of its threshold (a threshold of 0 is off). */
static bool below(double rate, double threshold, double ratio) {
        return !(threshold > 0) || rate < threshold * ratio;
}

static bool at_or_above(double rate, double threshold) {
        return threshold > 0 && rate >= threshold;
}

/* Averages the samples from to back to since (the newest first) whose own
 * direct reclaim reached a threshold, until they cover limit. Returns how
 * long they cover (0: none, *ret untouched). */
static uint64_t trouble_average(const Step *st, uint64_t to, uint64_t since, uint64_t limit,
                                EngineAverage *ret) {
        const Engine *e = st->e;
        const PolicyThresholds *th = st->th;
        HistorySum sum = {};

        for (size_t i = 0; i < e->history_n && sum.covered < limit; i++) {
                const EngineHistory *h = history_nth(e, i);
                uint64_t start = h->end_usec - h->interval_usec;

                if (h->end_usec <= since)
                        break;
                if (start >= to || (!at_or_above(h->pgscan_direct, th->direct_reclaim_pages_per_s) &&
                                    !at_or_above(h->allocstall, th->allocstall_per_s)))
                        continue;
                history_sum_add(&sum, h, MIN(h->end_usec, to) - MAX(start, since));
        }
        return history_sum_average(&sum, ret) ? sum.covered : 0;
}

static void reclaim_update(Step *st) {
        const PolicyThresholds *th = st->th;
        const Obs *o = &st->o;
        Engine *e = st->e;
        double anon, file;

        history_push(e, o, st->now);

        /* PSI counts the stalls on refaulted working-set pages as memory
         * pressure; without direct reclaim a wider watermark gap only adds
         * to them (kswapd keeps more memory free, so less page cache), so
         * that pressure does not hold the watermarks up. */
        st->thrash = swap_trend_of(o, &anon, &file) > 0;
        st->calm = o->rates && o->has_direct &&
                   below(o->direct, th->direct_reclaim_pages_per_s, ENGINE_CALM_RATIO) &&
                   below(o->has_stall ? o->stall : 0, th->allocstall_per_s, ENGINE_CALM_RATIO) &&
                   (e->pressure == PRESSURE_NONE || st->thrash);
        for (size_t i = 0; i < st->s->zoneinfo.n_zones && i < ZONEINFO_ZONES_MAX; i++)
                st->boosted = st->boosted || st->s->zoneinfo.zones[i].boost > 0;
        if (!st->calm)
                e->calm_since_usec = NEVER;
        else if (st->boosted) {
                /* The kernel raises the watermarks itself after a
                 * fragmenting fallback (watermark_boost_factor) until kswapd
                 * has reclaimed the boost: quiet while it lasts is the
                 * kernel's doing, not proof that memtuned's levels are no
                 * longer needed. The calm clock stops (it does not restart:
                 * frequent short boosts must not keep a wide gap forever). */
                if (e->calm_since_usec != NEVER)
                        e->calm_since_usec = MIN(e->calm_since_usec + o->interval, st->now);
        } else if (e->calm_since_usec == NEVER)
                e->calm_since_usec = o->start;

        st->trouble = false;
        if (history_average(e, usec_sub(st->now, st->window), st->now, &st->avg)) {
                st->avg_direct = st->avg.pgscan_direct;
                st->avg_stall = st->avg.allocstall;
                st->trouble = at_or_above(st->avg_direct, th->direct_reclaim_pages_per_s) ||
                              at_or_above(st->avg_stall, th->allocstall_per_s);
        }
}

static uint64_t reserve_ceiling(const Step *st) {
        /* Never above the cap, but never below the baseline because of it:
         * an administrator's reserve above the cap is theirs to keep. */
        return MAX(st->cap_kb, st->e->tunables[TUNABLE_MIN_FREE_KBYTES].baseline);
}

/* by-swap-class: the policy's value for the sample's swap class; without
 * swap, the baseline (swappiness then has no effect). */
static uint64_t swap_class_value(const Step *st) {
        SwapClass cl = st->s->swap.class;

        if (cl == SWAP_CLASS_NONE || cl >= _SWAP_CLASS_MAX)
                return st->e->tunables[TUNABLE_SWAPPINESS].baseline;
        return MIN(st->p->swap_classes.value[cl], tunable_info(TUNABLE_SWAPPINESS)->kernel_max);
}

static Bounds bounds_of(const Step *st, TunableId id) {
        const TunablePolicy *tp = &st->p->tunables[id];
        const TunableInfo *info = tunable_info(id);
        uint64_t lo = MAX(tp->min, info->kernel_min), hi = MIN(tp->max, info->kernel_max);
        Bounds b;

        if (lo > hi) /* the loader refuses this; stay safe anyway */
                lo = hi;
        /* The policy's absolute reserve ceiling limits what adaptive control
         * adds, like the percentage cap: it never lowers a baseline above it
         * (a many-node host whose kernel reserves more than the ceiling
         * keeps its own value). */
        if (id == TUNABLE_MIN_FREE_KBYTES && st->th->max_reserve_kb > 0)
                hi = MIN(hi, MAX(st->th->max_reserve_kb, st->e->tunables[id].baseline));
        if (lo > hi)
                lo = hi;
        b.safety_max = info->kernel_max;
        if (id == TUNABLE_MIN_FREE_KBYTES)
                b.safety_max = MIN(b.safety_max, reserve_ceiling(st));
        b.capped = hi > b.safety_max;
        b.hi = MIN(hi, b.safety_max);
        b.lo = MIN(lo, b.hi); /* the cap wins over the policy's minimum */
        b.rest = CLAMP(st->e->tunables[id].baseline, b.lo, b.hi);
        if (tp->mode == TUNABLE_MODE_BY_SWAP_CLASS && id == TUNABLE_SWAPPINESS) {
                /* The swap class's value is the rest, refaults move it at
                 * most the correction either way. */
                uint64_t c = st->p->swap_classes.correction;

                b.rest = swap_class_value(st);
                b.lo = b.rest > c ? b.rest - c : 0;
                b.hi = MIN(b.rest + c, info->kernel_max);
                b.capped = false;
        }
        return b;
}

/* Clamps an explicit value (fixed, override) to the hard safety bounds. */
static uint64_t safety_clamp(const Step *st, TunableId id, uint64_t v, Text *why) {
        const TunableInfo *info = tunable_info(id);
        uint64_t max = info->kernel_max;

        if (id == TUNABLE_MIN_FREE_KBYTES && reserve_ceiling(st) < max) {
                max = reserve_ceiling(st);
                if (v > max) {
                        if (max == st->cap_kb)
                                text_add(why, ", capped at %" PRIu64 " (the reserve cap, %g%% of RAM)", max,
                                         st->cap_percent);
                        else
                                text_add(why, ", capped at the baseline %" PRIu64, max);
                        return max;
                }
        }
        if (v > max || v < info->kernel_min) {
                text_add(why, ", clamped to the kernel's range %" PRIu64 "..%" PRIu64, info->kernel_min,
                         max);
                return CLAMP(v, info->kernel_min, max);
        }
        return v;
}

/* The watermark tunables, in the order they go up. */
static const TunableId watermark_ids[] = { TUNABLE_WATERMARK_SCALE_FACTOR, TUNABLE_MIN_FREE_KBYTES };

static bool is_watermark(TunableId id) {
        return id == TUNABLE_MIN_FREE_KBYTES || id == TUNABLE_WATERMARK_SCALE_FACTOR;
}

/* Moves the adaptive level; why is the evidence, without name and values. */
static void level_move(Step *st, TunableId id, uint64_t value, const char *why) {
        EngineTunable *t = &st->e->tunables[id];

        t->level = value;
        t->last_step_usec = st->now;
        if (is_watermark(id))
                st->e->watermark_step_usec = st->now;
        st->stepped[id] = true;
        text_set(st->why[id], sizeof(st->why[id]), "%s", why);
}

static uint64_t step_up(uint64_t v, double f, uint64_t hi) {
        double x = pos_ceil((double) v * f);
        uint64_t n = x >= (double) hi ? hi : (uint64_t) x;

        return MIN(MAX(n, v + 1), hi);
}

/* Levels outside the bounds (a baseline outside the policy's range, a
 * policy reloaded with other bounds) move inside at once, cool-down or not. */
static void adaptive_clamp(Step *st, TunableId id) {
        EngineTunable *t = &st->e->tunables[id];
        Bounds b = bounds_of(st, id);
        char why[ENGINE_REASON_MAX];
        Text w = text_start(why, sizeof(why));

        if (t->level >= b.lo && t->level <= b.hi)
                return;
        if (t->level > b.hi && b.capped && b.hi == st->cap_kb)
                text_add(&w, "above the reserve cap (%g%% of RAM)", st->cap_percent);
        else if (t->level > b.hi)
                text_add(&w, "above the policy's maximum %" PRIu64, b.hi);
        else
                text_add(&w, "below the policy's minimum %" PRIu64, b.lo);
        level_move(st, id, CLAMP(t->level, b.lo, b.hi), why);
}

/* pgscan_direct 1840/s, allocstall 35/s over 10 s, PSI some 12.5% */
static void add_reclaim_evidence(const Step *st, Text *w) {
        text_add(w, "pgscan_direct %s/s, allocstall %s/s over %s", fmt_rate(st->avg_direct).s,
                 fmt_rate(st->avg_stall).s, FORMAT_DURATION_HUMAN(st->window));
        if (st->o.has_psi && st->o.psi_some > 0) {
                text_add(w, ", PSI some %.1f%%", st->o.psi_some);
                if (st->o.has_full && st->o.psi_full > 0)
                        text_add(w, " full %.1f%%", st->o.psi_full);
        }
}

/* The kernel spaces a zone's watermarks by max(min/4, managed x
 * watermark_scale_factor / 10000) (mm/page_alloc.c,
 * __setup_per_zone_wmarks()): below the value where the second term passes
 * the first, watermark_scale_factor moves nothing. The smallest value that
 * widens the gap of some zone holding at least 1/16 of the managed pages
 * (small DMA zones do not count), or 0 when the zones are unknown. */
static uint64_t wsf_first_effective(const Sample *s) {
        const ZoneInfo *zi = &s->zoneinfo;
        uint64_t total = 0, best = 0;

        for (size_t i = 0; i < zi->n_zones; i++)
                total += zi->zones[i].managed;
        for (size_t i = 0; i < zi->n_zones; i++) {
                const Zone *z = &zi->zones[i];
                uint64_t quarter, v;

                if (z->managed == 0 || z->managed < total / 16 || z->min < z->boost)
                        continue;
                /* zoneinfo's min includes the temporary boost. */
                quarter = (z->min - z->boost) / 4;
                if (quarter > UINT64_MAX / 10000)
                        continue;
                v = quarter * 10000 / z->managed + 1;
                if (best == 0 || v < best)
                        best = v;
        }
        return best;
}

/* The watermark_scale_factor whose low-min gaps, summed over the zones
 * (managed x wsf / 10000 each), hold ENGINE_WSF_COVER_SEC of the pages
 * allocated per second in the window's samples in trouble (the quiet ones
 * would understate a burst), in *ret_alloc; 0 where the zones or the
 * allocations are unknown. */
static uint64_t wsf_cover(const Step *st, double *ret_alloc) {
        const ZoneInfo *zi = &st->s->zoneinfo;
        EngineAverage a;
        double total = 0, v;

        for (size_t i = 0; i < zi->n_zones; i++)
                total += (double) zi->zones[i].managed;
        if (!(total > 0) ||
            trouble_average(st, st->now, usec_sub(st->now, st->window), UINT64_MAX, &a) == 0 ||
            !a.has_alloc || !(a.alloc > 0))
                return 0;
        *ret_alloc = a.alloc;
        v = pos_ceil(a.alloc * ENGINE_WSF_COVER_SEC * 10000.0 / total);
        return v >= (double) UINT64_MAX ? UINT64_MAX : (uint64_t) v;
}

/* watermark_scale_factor's next value up. Below the first effective value
 * nothing moves, and at it the gap is still the kernel's min/4, so the first
 * step goes straight to twice that value: the first step that doubles the
 * gap, which the trial after it can judge. Above it the gap is managed x wsf
 * / 10000, linear in the value, so doubling doubles the gap: each step widens
 * it by as much as all the steps before it together, and the kernel's limit
 * is reached in a handful of steps from anywhere (1 GiB guest: 234, 468,
 * 936). Once the gap is wider than the baseline's and the trouble is back,
 * the step is at least wsf_cover(). */
static uint64_t wsf_step_up(const Step *st, uint64_t level, uint64_t effective, uint64_t rest, uint64_t hi,
                            Text *w) {
        uint64_t next = step_up(level, MAX(st->th->step_factor, ENGINE_WSF_STEP_FACTOR), hi);
        uint64_t doubled = effective > UINT64_MAX / ENGINE_WSF_STEP_FACTOR
                                   ? UINT64_MAX
                                   : effective * ENGINE_WSF_STEP_FACTOR;

        if (effective > 0 && level < effective && effective <= hi && next < doubled) {
                next = MIN(doubled, hi);
                text_add(w, "; straight to %" PRIu64 ": min/4 spaces the watermarks up to %" PRIu64, next,
                         effective - 1);
        } else if (level > rest && level >= effective) {
                double alloc = 0;
                uint64_t cover = wsf_cover(st, &alloc);

                if (cover > next) {
                        next = MIN(cover, hi);
                        text_add(w, "; to %" PRIu64 ": a gap for %gs of %s pages/s allocated", next,
                                 ENGINE_WSF_COVER_SEC, fmt_rate(alloc).s);
                }
        }
        return next;
}

/* ---- trials: a watermark step is kept only where it helped ---------------- */

/* Puts the move of id from the level from on trial, before level_move()
 * (a step may move both watermark tunables: the larger widening sets the
 * gain asked for). from_gap and to_gap stand for the watermarks' spacing
 * before and after. */
static void trial_start(Step *st, TunableId id, uint64_t from, double from_gap, double to_gap) {
        EngineTunable *t = &st->e->tunables[id];
        Engine *e = st->e;
        double gain = ENGINE_STEP_MIN_GAIN * MIN(1.0, to_gap / MAX(from_gap, 1.0) - 1.0);

        /* Only a step from the value in force can be judged: not one that
         * leaves an override or a fixed value behind. */
        if (t->target != from)
                return;
        if (e->trial_usec != st->now) {
                e->trial_gain = 0;
                e->trial_onset = true;
                for (size_t i = 0; i < ELEMENTSOF(watermark_ids); i++) {
                        TunableId w = watermark_ids[i];

                        if (st->controlled[w] && e->tunables[w].level != bounds_of(st, w).rest)
                                e->trial_onset = false;
                }
        }
        t->on_trial = true;
        t->trial_from = from;
        e->trial_usec = st->now;
        e->trial_before = st->avg;
        if (!history_average(e, st->o.start, st->now, &e->trial_last))
                e->trial_last = st->avg;
        e->trial_gain = MAX(e->trial_gain, gain);
}

/* What a level spaces the watermarks by, in units of the tunable: the
 * reserve moves all of them in proportion; watermark_scale_factor below its
 * first effective value leaves the spacing at min/4. */
static double trial_gap(TunableId id, uint64_t level, uint64_t effective) {
        return id == TUNABLE_WATERMARK_SCALE_FACTOR ? (double) MAX(level, effective) : (double) level;
}

static void trial_end(Engine *e) {
        e->trial_usec = NEVER;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                e->tunables[id].on_trial = false;
}

/* A step above the ceiling was taken back, and the ceiling still holds. */
static bool trial_capped(const Step *st, TunableId id) {
        const EngineTunable *t = &st->e->tunables[id];

        return t->ceiling_usec != NEVER && t->level >= t->ceiling;
}

/* n windows, saturating at NEVER. */
static uint64_t windows_span(const Step *st, uint64_t n) {
        return st->window > UINT64_MAX / n ? UINT64_MAX : st->window * n;
}

static uint64_t ceiling_span(const Step *st) {
        return windows_span(st, ENGINE_CEILING_WINDOWS);
}

/* What a trial compares: allocstall where the window before the step had
 * any (pgscan_direct otherwise), per page allocated where both windows
 * count allocations, so that a load that merely slows down does not look
 * like a step that helped. */
static double trial_measure(const EngineAverage *a, bool stalls, bool per_alloc) {
        double x = stalls ? a->allocstall : a->pgscan_direct;

        return per_alloc ? x / a->alloc : x;
}

/* The worse of the window before the step and its last sample: for the
 * stalls and PSI full the higher, for the pages allocated the lower. */
static EngineAverage trial_baseline(const EngineAverage *w, const EngineAverage *l, bool stalls,
                                    bool per_alloc) {
        EngineAverage b =
                trial_measure(l, stalls, per_alloc) > trial_measure(w, stalls, per_alloc) ? *l : *w;

        b.has_alloc = w->has_alloc && l->has_alloc;
        b.alloc = MIN(w->alloc, l->alloc);
        b.has_psi_full = w->has_psi_full && l->has_psi_full;
        b.psi_full = MAX(w->psi_full, l->psi_full);
        return b;
}

/* The share of the pages allocated a step may cost: ENGINE_STEP_MAX_WORK_LOSS
 * times the share of the stalls (per page) it saved, at least
 * ENGINE_STEP_FREE_WORK_LOSS; at the onset, where the stalls prove nothing,
 * ENGINE_STEP_MAX_WORK_LOSS. */
static double trial_loss_allowed(const Engine *e, double before, double after) {
        double saved = before > 0 ? 1.0 - after / before : 0.0;

        if (e->trial_onset)
                return ENGINE_STEP_MAX_WORK_LOSS;
        return MAX(ENGINE_STEP_FREE_WORK_LOSS, ENGINE_STEP_MAX_WORK_LOSS * MIN(1.0, MAX(0.0, saved)));
}

/* Caps each watermark tunable the step on trial raised: at its new level,
 * or (back) at the level before it, moving it back there with why.
 * Returns whether a level moved. */
static bool trial_cap(Step *st, bool back, const char *why) {
        bool any = false;

        for (size_t i = 0; i < ELEMENTSOF(watermark_ids); i++) {
                EngineTunable *t = &st->e->tunables[watermark_ids[i]];

                if (!t->on_trial || !st->controlled[watermark_ids[i]] || t->level <= t->trial_from)
                        continue;
                t->ceiling = back ? t->trial_from : t->level;
                t->ceiling_usec = st->now;
                if (back) {
                        level_move(st, watermark_ids[i], t->trial_from, why);
                        any = true;
                }
        }
        return any;
}

/* Judges the step on trial once a window of samples in trouble has
 * gathered since it (engine.h): keeps it when it paid at no cost; any other
 * verdict only on ENGINE_TRIAL_WINDOWS windows of them, meanwhile no
 * further step. Keeps the step, or takes it back and caps its tunable
 * there. Returns whether a step was taken back. */
static bool trial_judge(Step *st) {
        Engine *e = st->e;
        EngineAverage after, span_before, before;
        const EngineAverage *a = &after, *b = &before;
        char why[ENGINE_REASON_MAX];
        Text w = text_start(why, sizeof(why));
        bool stalls, per_alloc, helped, slowed, fuller, any;
        uint64_t span;
        double mb, ma;

        if (e->trial_usec == NEVER)
                return false;
        /* Another change of a watermark while the trial ran (an override
         * set or ended, a policy reload) leaves nothing to compare. */
        if (e->watermark_target_usec != NEVER && e->watermark_target_usec > e->trial_usec) {
                trial_end(e);
                return false;
        }
        /* A trial that found nothing clear within a ceiling's span ends
         * without a verdict, so that bursts too short to judge do not hold
         * the next step for good. */
        if (lasted(st->now, e->trial_usec, ceiling_span(st))) {
                trial_end(e);
                return false;
        }
        /* A window of evidence, the samples in trouble since the step
         * (engine.h), and no sooner than the cool-down allows the next
         * watermark change. */
        span = trouble_average(st, st->now, e->trial_usec, UINT64_MAX, &after);
        if (span < st->window || !cooled(st->now, e->trial_usec, st->th->cooldown_usec))
                return false;
        /* Judged only where the sample shows the step: in observe mode, or
         * while the write has not happened, nothing can have helped or
         * cost. */
        for (size_t i = 0; i < ELEMENTSOF(watermark_ids); i++) {
                const EngineTunable *t = &e->tunables[watermark_ids[i]];

                if (t->on_trial && st->present[watermark_ids[i]] &&
                    st->s->tunables.value[watermark_ids[i]] != t->level) {
                        trial_end(e);
                        return false;
                }
        }

        /* Against as many samples in trouble before the step. */
        if (trouble_average(st, e->trial_usec, 0, span, &span_before) == 0)
                span_before = e->trial_before;
        stalls = span_before.allocstall > 0 && st->th->allocstall_per_s > 0;
        per_alloc = span_before.has_alloc && e->trial_last.has_alloc && a->has_alloc &&
                    span_before.alloc > 0 && e->trial_last.alloc > 0 && a->alloc > 0;
        before = trial_baseline(&span_before, &e->trial_last, stalls, per_alloc);
        mb = trial_measure(b, stalls, per_alloc);
        ma = trial_measure(a, stalls, per_alloc);
        /* At the onset the span before holds the start of the trouble,
         * still growing: fewer stalls or less PSI full than then prove
         * nothing either way, and only a workload that slowed counts. */
        helped = e->trial_onset || ma <= mb * (1.0 - e->trial_gain);
        slowed = per_alloc && a->alloc < b->alloc * (1.0 - trial_loss_allowed(e, mb, ma));
        fuller = !e->trial_onset && b->has_psi_full && a->has_psi_full &&
                 a->psi_full >
                         b->psi_full * (1.0 + ENGINE_STEP_MAX_FULL_RISE) + ENGINE_STEP_MAX_FULL_RISE_POINTS;
        st->judged = true;
        if (!(helped && !slowed && !fuller) && span < windows_span(st, ENGINE_TRIAL_WINDOWS))
                return false;
        if (!slowed && !fuller) {
                /* Not enough fewer stalls, at no cost: the step stays (taking
                 * it back would add stalls while they happen), and this
                 * tunable widens no further. */
                if (!helped)
                        trial_cap(st, false, NULL);
                if (e->trial_onset)
                        text_set(st->paid, sizeof(st->paid), "; the last step kept: allocated %s/s -> %s/s",
                                 fmt_rate(b->alloc).s, fmt_rate(a->alloc).s);
                else
                        text_set(st->paid, sizeof(st->paid), "; the last step %s: %s%s %+.0f%%",
                                 helped ? "paid" : "did not pay", stalls ? "allocstall" : "pgscan_direct",
                                 per_alloc ? "/page" : "", mb > 0 ? (ma / mb - 1.0) * 100 : 0.0);
                trial_end(e);
                return false;
        }

        if (!helped)
                text_add(&w, "%s %s/s -> %s/s%s, not %.0f%% less", stalls ? "allocstall" : "pgscan_direct",
                         fmt_rate(stalls ? b->allocstall : b->pgscan_direct).s,
                         fmt_rate(stalls ? a->allocstall : a->pgscan_direct).s,
                         per_alloc ? " (per page allocated)" : "", e->trial_gain * 100);
        if (slowed)
                text_add(&w, "%spages allocated %s/s -> %s/s: the workload slowed", helped ? "" : "; ",
                         fmt_rate(b->alloc).s, fmt_rate(a->alloc).s);
        if (fuller)
                text_add(&w, "%sPSI full %.1f%% -> %.1f%%", helped && !slowed ? "" : "; ", b->psi_full,
                         a->psi_full);
        text_add(&w, " over %s: took the step back; holds there for %s", FORMAT_DURATION_HUMAN(span),
                 FORMAT_DURATION_HUMAN(ceiling_span(st)));

        any = trial_cap(st, true, why);
        trial_end(e);
        return any;
}

/* A ceiling lasts ENGINE_CEILING_WINDOWS windows: the load may have changed
 * since, and one more trial costs one window. */
static void ceilings_expire(Step *st) {
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                EngineTunable *t = &st->e->tunables[id];

                if (t->ceiling_usec != NEVER && lasted(st->now, t->ceiling_usec, ceiling_span(st)))
                        t->ceiling_usec = NEVER;
        }
}

/* The next trouble after a return to the baselines restores the learned
 * levels at once, both tunables in one step: they were proven together, and
 * climbing again would repeat the stalls they stopped. Returns whether any
 * level moved. */
static bool watermarks_recall(Step *st, uint64_t effective) {
        static const TunableId order[] = { TUNABLE_WATERMARK_SCALE_FACTOR, TUNABLE_MIN_FREE_KBYTES };
        bool any = false;

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                TunableId id = order[i];
                EngineTunable *t = &st->e->tunables[id];
                char why[ENGINE_REASON_MAX];
                Text w;
                uint64_t next;

                if (!st->controlled[id] || t->learned <= t->level)
                        continue;
                next = MIN(t->learned, bounds_of(st, id).hi);
                if (t->ceiling_usec != NEVER)
                        next = MIN(next, t->ceiling);
                if (next <= t->level)
                        continue;
                w = text_start(why, sizeof(why));
                add_reclaim_evidence(st, &w);
                text_add(&w, "; straight back to %" PRIu64 ", the level that stopped direct reclaim before",
                         next);
                trial_start(st, id, t->level, trial_gap(id, t->level, effective),
                            trial_gap(id, next, effective));
                level_move(st, id, next, why);
                any = true;
        }
        return any;
}

/* A learned level fades: after each further calm_usec of calm at the
 * baseline it drops by one step (watermark_scale_factor halves, and is
 * forgotten below the first effective value; min_free_kbytes divides by
 * step_factor), so that one bad hour does not set the response for good. */
static void watermarks_decay(Step *st, uint64_t effective) {
        static const TunableId ids[] = { TUNABLE_WATERMARK_SCALE_FACTOR, TUNABLE_MIN_FREE_KBYTES };
        Engine *e = st->e;

        if (!st->calm)
                return;
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                TunableId id = ids[i];
                EngineTunable *t = &e->tunables[id];
                uint64_t rest, next;

                if (!st->controlled[id] || t->learned == 0)
                        continue;
                rest = bounds_of(st, id).rest;
                if (t->level != rest ||
                    !lasted(st->now, later(e->calm_since_usec, t->learned_usec), st->th->calm_usec))
                        continue;
                if (id == TUNABLE_WATERMARK_SCALE_FACTOR)
                        next = t->learned / ENGINE_WSF_STEP_FACTOR;
                else
                        next = (uint64_t) ((double) t->learned / st->th->step_factor);
                t->learned = next <= rest || (id == TUNABLE_WATERMARK_SCALE_FACTOR && next < effective)
                                     ? 0
                                     : next;
                t->learned_usec = st->now;
        }
}

/* One step up of id (min_free_kbytes or watermark_scale_factor) towards
 * b->hi, with the evidence and any limit reached as the reason. */
static void watermark_step_up(Step *st, TunableId id, uint64_t effective, const Bounds *b) {
        const TunableId wsf = TUNABLE_WATERMARK_SCALE_FACTOR;
        Engine *e = st->e;
        uint64_t level = e->tunables[id].level, next;
        char why[ENGINE_REASON_MAX];
        Text w = text_start(why, sizeof(why));

        add_reclaim_evidence(st, &w);
        text_add(&w, "%s", st->paid);
        if (id == TUNABLE_MIN_FREE_KBYTES && st->controlled[wsf])
                text_add(&w,
                         trial_capped(st, wsf) ? "; watermark_scale_factor held at %" PRIu64
                                                 ": wider did not pay"
                                               : "; watermark_scale_factor at its maximum %" PRIu64,
                         e->tunables[wsf].level);
        if (id == wsf)
                next = wsf_step_up(st, level, effective, b->rest, b->hi, &w);
        else
                next = step_up(level, st->th->step_factor, b->hi);
        trial_start(st, id, level, trial_gap(id, level, effective), trial_gap(id, next, effective));
        if (next == b->hi) {
                if (b->capped && b->hi == st->cap_kb)
                        text_add(&w, "; reached the reserve cap (%g%% of RAM)", st->cap_percent);
                else if (b->capped)
                        text_add(&w, "; reached the baseline, above the reserve cap");
                else
                        text_add(&w, "; reached the policy's maximum");
        }
        level_move(st, id, next, why);
}

/* Under direct reclaim: back to the learned levels, or one step of the first
 * tunable with room (watermark_scale_factor first), once a whole window of
 * evidence has been gathered since the last step. */
static void watermarks_up(Step *st, uint64_t effective, bool cool) {
        static const TunableId up_order[] = { TUNABLE_WATERMARK_SCALE_FACTOR, TUNABLE_MIN_FREE_KBYTES };
        Engine *e = st->e;
        uint64_t wait = MAX(st->th->cooldown_usec, st->window);
        /* Each step is judged on a whole window of evidence gathered after
         * the previous one, so kswapd has had time to respond. */
        bool ready = cool && cooled(st->now, e->watermark_step_usec, st->window);
        /* A trial that waits for more evidence (trial_judge()), between
         * bursts too, holds the next step. */
        bool judging = e->trial_usec != NEVER;

        if (ready && !judging && watermarks_recall(st, effective))
                return;

        for (size_t i = 0; i < ELEMENTSOF(up_order); i++) {
                TunableId id = up_order[i];
                Bounds b;

                if (!st->controlled[id])
                        continue;
                b = bounds_of(st, id);
                if (e->tunables[id].level >= b.hi)
                        continue;
                if (trial_capped(st, id)) {
                        text_set(
                                st->note[id], sizeof(st->note[id]),
                                "direct reclaim; held at %" PRIu64 ": wider did not pay, for %s",
                                e->tunables[id].ceiling,
                                FORMAT_DURATION_HUMAN(usec_sub(
                                        ceiling_span(st), usec_sub(st->now, e->tunables[id].ceiling_usec))));
                        continue;
                }
                if (ready && judging)
                        text_set(st->note[id], sizeof(st->note[id]),
                                 "direct reclaim; judging the last step over up to %s more",
                                 FORMAT_DURATION_HUMAN(
                                         usec_sub(windows_span(st, ENGINE_TRIAL_WINDOWS),
                                                  trouble_average(st, st->now, e->trial_usec, UINT64_MAX,
                                                                  &(EngineAverage) {}))));
                else if (!ready)
                        text_set(st->note[id], sizeof(st->note[id]), "direct reclaim; next step in %s",
                                 FORMAT_DURATION_HUMAN(
                                         usec_sub(wait, usec_sub(st->now, e->watermark_step_usec))));
                else
                        watermark_step_up(st, id, effective, &b);
                return;
        }
}

/* Calm for calm_usec: both go back to their baselines in this one step.
 * Steps down in between would test nothing (a calm machine gives no evidence
 * of what the next load needs, and the learned level brings that back in one
 * step), while every minute at a wide gap costs page cache that a re-read
 * working set must fault back in; so the cost ends within calm_usec of the
 * load. */
static void watermarks_back(Step *st, bool early) {
        static const TunableId down_order[] = { TUNABLE_MIN_FREE_KBYTES, TUNABLE_WATERMARK_SCALE_FACTOR };
        Engine *e = st->e;
        char why[ENGINE_REASON_MAX];

        if (early)
                e->thrash_back_usec = st->now;

        for (size_t i = 0; i < ELEMENTSOF(down_order); i++) {
                TunableId id = down_order[i];
                EngineTunable *t = &e->tunables[id];
                Bounds b;
                Text w;

                if (!st->controlled[id])
                        continue;
                b = bounds_of(st, id);
                if (t->level == b.rest)
                        continue;
                w = text_start(why, sizeof(why));
                text_add(&w, "calm for %s (pgscan_direct %s/s, allocstall %s/s",
                         FORMAT_DURATION_HUMAN(st->now - e->calm_since_usec), fmt_rate(st->o.direct).s,
                         fmt_rate(st->o.has_stall ? st->o.stall : 0).s);
                if (early)
                        text_add(&w,
                                 "), the page cache thrashing (file refaults %s/s): back to the "
                                 "baseline %" PRIu64 " early, a wide gap costs cache",
                                 fmt_rate(st->o.refault_file).s, b.rest);
                else
                        text_add(&w, "): back to the baseline %" PRIu64, b.rest);
                if (t->level > b.rest) {
                        text_add(&w, "; remembers %" PRIu64 " for the next direct reclaim", t->level);
                        t->learned = t->level;
                        t->learned_usec = st->now;
                }
                level_move(st, id, b.rest, why);
        }
        /* The next load starts afresh: what did not pay under this one may
         * under the next. */
        trial_end(e);
        for (size_t i = 0; i < ELEMENTSOF(down_order); i++)
                e->tunables[down_order[i]].ceiling_usec = NEVER;
}

/* When the watermarks are due back at their baselines while calm: calm_usec
 * after the calm began (or after the last step). While the page cache
 * thrashes without direct reclaim, the wider gap is a cost with nothing to
 * show for it: back after ENGINE_THRASH_CALM_WINDOWS windows instead, but
 * only once per calm_usec, so that a load which does need the gap (its
 * stalls come back, and the learned level with them) keeps it for the
 * whole calm time after that. NEVER: not calm. */
static uint64_t watermarks_back_due(const Step *st, bool *ret_early) {
        const Engine *e = st->e;
        uint64_t since, due, thrash_span;

        *ret_early = false;
        if (!st->calm || e->calm_since_usec == NEVER)
                return NEVER;
        since = later(e->calm_since_usec, e->watermark_step_usec);
        due = usec_add(since, st->th->calm_usec);
        thrash_span = windows_span(st, ENGINE_THRASH_CALM_WINDOWS);
        if (st->thrash &&
            (e->thrash_back_usec == NEVER || lasted(st->now, e->thrash_back_usec, st->th->calm_usec)) &&
            usec_add(since, thrash_span) < due) {
                due = usec_add(since, thrash_span);
                *ret_early = true;
        }
        return due;
}

static void watermarks(Step *st) {
        Engine *e = st->e;
        bool cool = cooled(st->now, e->watermark_step_usec, st->th->cooldown_usec), early;
        uint64_t effective, due;

        if (!st->controlled[TUNABLE_MIN_FREE_KBYTES] && !st->controlled[TUNABLE_WATERMARK_SCALE_FACTOR])
                return;
        effective = wsf_first_effective(st->s);

        ceilings_expire(st);
        if (trial_judge(st))
                return;
        if (st->trouble && !st->calm) {
                watermarks_up(st, effective, cool);
                return;
        }

        watermarks_decay(st, effective);
        due = watermarks_back_due(st, &early);
        if (cool && due != NEVER && st->now >= due)
                watermarks_back(st, early);
}

typedef struct NodeFree {
        uint32_t node;
        uint64_t free, high; /* pages, over the node's zones with managed pages */
} NodeFree;

static int64_t node_surplus(const NodeFree *n) {
        return (int64_t) n->free - (int64_t) n->high;
}

/* Finds the node with the least and the one with the most free memory above
 * its high watermark. Returns the number of nodes with managed memory. */
static unsigned numa_nodes(const ZoneInfo *zi, NodeFree *ret_low, NodeFree *ret_high) {
        unsigned n = 0;

        for (size_t i = 0; i < zi->n_zones && i < ZONEINFO_ZONES_MAX; i++) {
                NodeFree nf = { .node = zi->zones[i].node };
                bool seen = false;

                /* Each node once, at its first zone. */
                for (size_t j = 0; j < i; j++)
                        if (zi->zones[j].node == nf.node)
                                seen = true;
                if (seen)
                        continue;
                for (size_t j = i; j < zi->n_zones && j < ZONEINFO_ZONES_MAX; j++)
                        if (zi->zones[j].node == nf.node && zi->zones[j].managed > 0) {
                                nf.free += zi->zones[j].free;
                                nf.high += zi->zones[j].high;
                                seen = true;
                        }
                if (!seen)
                        continue;
                if (n == 0 || node_surplus(&nf) < node_surplus(ret_low))
                        *ret_low = nf;
                if (n == 0 || node_surplus(&nf) > node_surplus(ret_high))
                        *ret_high = nf;
                n++;
        }
        return n;
}

static void numa(Step *st) {
        const TunableId id = TUNABLE_ZONE_RECLAIM_MODE;
        Engine *e = st->e;
        EngineTunable *t = &e->tunables[id];
        const Obs *o = &st->o;
        NodeFree low = {}, high = {};
        char *note = st->note[id];
        unsigned n;
        Bounds b;

        if (!st->controlled[id])
                return;
        b = bounds_of(st, id);
        n = numa_nodes(&st->s->zoneinfo, &low, &high);
        if (n < 2 || t->level == 0 || b.lo > 0) {
                e->numa_since_usec = NEVER;
                if (n < 2)
                        text_set(note, ENGINE_REASON_MAX, "one NUMA node: no other node to allocate from");
                else if (t->level == 0)
                        text_set(note, ENGINE_REASON_MAX,
                                 "0: allocations use other nodes before reclaiming");
                else
                        text_set(note, ENGINE_REASON_MAX,
                                 "the policy's minimum %" PRIu64 " keeps zone reclaim on", b.lo);
                return;
        }

        if (!o->rates || !((o->has_zrf && o->zrf > 0) || (o->has_direct && o->direct > 0)) ||
            low.node == high.node || high.free <= high.high) {
                e->numa_since_usec = NEVER;
                text_set(note, ENGINE_REASON_MAX, "no local reclaim while another node has free memory");
                return;
        }

        if (e->numa_since_usec == NEVER) {
                e->numa_since_usec = o->start;
                e->numa_failed_pages = e->numa_direct_pages = 0;
        }
        e->numa_failed_pages += (o->has_zrf ? o->zrf : 0) * ((double) o->interval / USEC_PER_SEC);
        e->numa_direct_pages += (o->has_direct ? o->direct : 0) * ((double) o->interval / USEC_PER_SEC);

        if (lasted(st->now, e->numa_since_usec, st->window) &&
            cooled(st->now, t->last_step_usec, st->th->cooldown_usec)) {
                double secs = (double) (st->now - e->numa_since_usec) / USEC_PER_SEC;
                char why[ENGINE_REASON_MAX];
                Text w = text_start(why, sizeof(why));

                text_add(&w, "node %" PRIu32 " reclaimed locally (", low.node);
                if (o->has_zrf)
                        text_add(&w, "zone_reclaim_failed %s/s, ", fmt_rate(e->numa_failed_pages / secs).s);
                text_add(&w,
                         "pgscan_direct %s/s over %s) while node %" PRIu32
                         " had %s free above its high watermark",
                         fmt_rate(e->numa_direct_pages / secs).s,
                         FORMAT_DURATION_HUMAN(st->now - e->numa_since_usec), high.node,
                         FORMAT_SIZE((high.free - high.high) * e->page_kb));
                level_move(st, id, 0, why);
                e->numa_since_usec = NEVER;
                return;
        }
        text_set(note, ENGINE_REASON_MAX,
                 "local reclaim on node %" PRIu32 " while node %" PRIu32 " has %s free, for %s", low.node,
                 high.node, FORMAT_SIZE((high.free - high.high) * e->page_kb),
                 FORMAT_DURATION_HUMAN(st->now - e->numa_since_usec));
}

static void swap_forget(Engine *e) {
        e->swap_trend = 0;
        e->swap_since_usec = NEVER;
        e->swap_quiet_since_usec = NEVER;
}

/* Keeps the running evidence: since when the trend holds (and the pages
 * refaulted since), or since when neither side thrashes. */
static void swap_track(Step *st, int trend, double anon, double file) {
        Engine *e = st->e;
        const Obs *o = &st->o;
        double secs;

        if (trend == 0) {
                if (e->swap_trend != 0 || e->swap_quiet_since_usec == NEVER)
                        e->swap_quiet_since_usec = o->rates ? o->start : st->now;
                e->swap_trend = 0;
                e->swap_since_usec = NEVER;
                return;
        }
        e->swap_quiet_since_usec = NEVER;
        if (trend != e->swap_trend || e->swap_since_usec == NEVER) {
                e->swap_trend = trend;
                e->swap_since_usec = o->start;
                e->swap_anon_pages = e->swap_file_pages = 0;
        }
        secs = (double) o->interval / USEC_PER_SEC;
        e->swap_anon_pages += anon * secs;
        e->swap_file_pages += file * secs;
}

/* One side thrashes: a step towards the other once it has lasted a window
 * and the cool-down has passed. */
static void swap_step(Step *st, int trend, const Bounds *b, uint64_t cooldown) {
        const TunableId id = TUNABLE_SWAPPINESS;
        Engine *e = st->e;
        EngineTunable *t = &e->tunables[id];
        char *note = st->note[id];
        bool room = trend > 0 ? t->level < b->hi : t->level > b->lo;
        char why[ENGINE_REASON_MAX];
        uint64_t next;
        double secs;
        Text w;

        if (!room) {
                text_set(note, ENGINE_REASON_MAX, "%s thrashing, but at the policy's %s %" PRIu64,
                         trend > 0 ? "page cache" : "anon memory", trend > 0 ? "maximum" : "minimum",
                         t->level);
                return;
        }
        if (!lasted(st->now, e->swap_since_usec, st->window) ||
            !cooled(st->now, t->last_step_usec, cooldown)) {
                text_set(note, ENGINE_REASON_MAX, "%s thrashing for %s",
                         trend > 0 ? "page cache" : "anon memory",
                         FORMAT_DURATION_HUMAN(st->now - e->swap_since_usec));
                return;
        }

        secs = (double) (st->now - e->swap_since_usec) / USEC_PER_SEC;
        w = text_start(why, sizeof(why));
        if (trend > 0)
                text_add(&w,
                         "file refaults %s/s, anon refaults and swap-ins %s/s over %s: "
                         "the page cache thrashes while anon memory is cold",
                         fmt_rate(e->swap_file_pages / secs).s, fmt_rate(e->swap_anon_pages / secs).s,
                         FORMAT_DURATION_HUMAN(st->now - e->swap_since_usec));
        else
                text_add(&w,
                         "anon refaults and swap-ins %s/s, file refaults %s/s over %s: "
                         "anon memory thrashes through swap",
                         fmt_rate(e->swap_anon_pages / secs).s, fmt_rate(e->swap_file_pages / secs).s,
                         FORMAT_DURATION_HUMAN(st->now - e->swap_since_usec));
        if (trend > 0)
                next = MIN(t->level + ENGINE_SWAPPINESS_STEP, b->hi);
        else
                next = t->level > b->lo + ENGINE_SWAPPINESS_STEP ? t->level - ENGINE_SWAPPINESS_STEP : b->lo;
        if (st->p->tunables[id].mode == TUNABLE_MODE_BY_SWAP_CLASS)
                text_add(&w,
                         "; refault correction %+" PRId64 " of at most %" PRIu64
                         " around swap class %s's %" PRIu64,
                         (int64_t) next - (int64_t) b->rest, st->p->swap_classes.correction,
                         swap_class_to_string(st->s->swap.class), b->rest);
        level_move(st, id, next, why);
        /* The next step is judged on evidence after this one. */
        e->swap_since_usec = st->now;
        e->swap_anon_pages = e->swap_file_pages = 0;
}

/* Calm, and refaults balanced, for calm_usec since both began and since the
 * last step: one step back towards the baseline. */
static void swap_back(Step *st, const Bounds *b, uint64_t cooldown) {
        const TunableId id = TUNABLE_SWAPPINESS;
        Engine *e = st->e;
        EngineTunable *t = &e->tunables[id];
        char why[ENGINE_REASON_MAX];
        Text w;

        if (t->level == b->rest || !st->calm || e->swap_quiet_since_usec == NEVER ||
            !cooled(st->now, t->last_step_usec, cooldown) ||
            !lasted(st->now, later(later(e->calm_since_usec, e->swap_quiet_since_usec), t->last_step_usec),
                    st->th->calm_usec))
                return;

        w = text_start(why, sizeof(why));
        text_add(&w, "calm for %s and refaults balanced: back towards the baseline %" PRIu64,
                 FORMAT_DURATION_HUMAN(st->now - later(e->calm_since_usec, e->swap_quiet_since_usec)),
                 b->rest);
        if (t->level > b->rest)
                level_move(st, id, t->level - MIN(t->level - b->rest, (uint64_t) ENGINE_SWAPPINESS_STEP),
                           why);
        else
                level_move(st, id, t->level + MIN(b->rest - t->level, (uint64_t) ENGINE_SWAPPINESS_STEP),
                           why);
}

/* by-swap-class: a new class (swapon, swapoff, zswap switched; or the
 * first sample) moves the level to its table value at once, saying which
 * class and why; the refault evidence gathered for the old one is void.
 * Returns true when it moved the level. */
static bool swap_class_follow(Step *st, const Bounds *b) {
        const SwapState *sw = &st->s->swap;
        Engine *e = st->e;
        char why[ENGINE_REASON_MAX];
        Text w;

        if (st->p->tunables[TUNABLE_SWAPPINESS].mode != TUNABLE_MODE_BY_SWAP_CLASS) {
                e->swap_class = -1;
                return false;
        }
        if (e->swap_class == (int) sw->class)
                return false; /* the class's value, or a refault correction of it, holds */
        e->swap_class = (int) sw->class;
        swap_forget(e);
        w = text_start(why, sizeof(why));
        if (sw->class == SWAP_CLASS_NONE)
                text_add(&w, "swap class none (no swap): swappiness has no effect, the baseline %" PRIu64,
                         b->rest);
        else
                text_add(&w, "swap class %s (%s: %s): %" PRIu64 " by the policy's table",
                         swap_class_to_string(sw->class), sw->device, sw->detail, b->rest);
        if (e->tunables[TUNABLE_SWAPPINESS].level == b->rest) {
                text_set(st->note[TUNABLE_SWAPPINESS], ENGINE_REASON_MAX, "%s", why);
                return false;
        }
        level_move(st, TUNABLE_SWAPPINESS, b->rest, why);
        return true;
}

static void swappiness(Step *st) {
        const TunableId id = TUNABLE_SWAPPINESS;
        Engine *e = st->e;
        EngineTunable *t = &e->tunables[id];
        const Obs *o = &st->o;
        uint64_t cooldown = st->th->cooldown_usec * ENGINE_SWAPPINESS_COOLDOWN_FACTOR;
        double anon, file;
        int trend;
        Bounds b;

        if (!st->controlled[id]) {
                e->swap_class = -1; /* steered again later: the class's value first */
                return;
        }
        b = bounds_of(st, id);
        if (swap_class_follow(st, &b))
                return;

        if (st->s->meminfo.field[MEMINFO_SWAP_TOTAL] == 0) {
                swap_forget(e);
                text_set(st->note[id], ENGINE_REASON_MAX,
                         "no swap: swappiness has no effect, left at %" PRIu64, t->level);
                return;
        }
        if (o->rates && !o->has_refault) {
                swap_forget(e);
                text_set(st->note[id], ENGINE_REASON_MAX,
                         "no workingset_refault_anon/_file counters (kernel before 5.9): left at %" PRIu64,
                         t->level);
                return;
        }

        trend = swap_trend_of(o, &anon, &file);
        swap_track(st, trend, anon, file);
        if (trend != 0)
                swap_step(st, trend, &b, cooldown);
        else
                swap_back(st, &b, cooldown);
}

/* The state of an adaptive watermark tunable that did not move, for the plan. */
static void note_watermark(Step *st, TunableId id, const Bounds *b, Text *w) {
        const EngineTunable *t = &st->e->tunables[id];
        const TunableId wsf = TUNABLE_WATERMARK_SCALE_FACTOR;

        if (st->note[id][0]) {
                text_add(w, "%s", st->note[id]);
                return;
        }
        if (st->trouble && !st->calm) {
                if (t->level >= b->hi)
                        text_add(w, "direct reclaim, but at its %s",
                                 b->capped && b->hi == st->cap_kb ? "reserve cap" : "maximum");
                else if (id == TUNABLE_MIN_FREE_KBYTES && st->controlled[wsf])
                        text_add(w, "direct reclaim; widening watermark_scale_factor first");
                else
                        text_add(w, "direct reclaim");
                return;
        }
        if (st->calm && st->boosted)
                text_add(w, "calm, but the kernel is boosting the watermarks: the calm clock waits; ");
        if (st->calm && t->level != b->rest) {
                bool early;
                uint64_t due = watermarks_back_due(st, &early);

                text_add(w, "calm for %s", FORMAT_DURATION_HUMAN(usec_sub(st->now, st->e->calm_since_usec)));
                if (early)
                        text_add(w, ", the page cache thrashing; back to the baseline in %s",
                                 FORMAT_DURATION_HUMAN(usec_sub(due, st->now)));
                else
                        text_add(w, "; back to the baseline after %s of calm",
                                 FORMAT_DURATION_HUMAN(st->th->calm_usec));
                return;
        }
        if (st->calm && t->learned > 0)
                text_add(w, "calm; remembers %" PRIu64 " for the next direct reclaim", t->learned);
        else if (st->calm)
                text_add(w, "calm");
        else if (!st->o.rates || !st->o.has_direct)
                text_add(w, "no reclaim rates yet");
        else
                text_add(w, "no sustained direct reclaim");
}

static bool override_in_force(const Override *ov, uint64_t now) {
        return ov && ov->active && now < ov->expires_usec;
}

/* What one tunable's target is this step, where it comes from, and why:
 * the decision's reason into w, the state line into n. Each returns the
 * target and sets *ret_source. */
static uint64_t target_override(Step *st, TunableId id, const Override *ov, Text *w, Text *n,
                                TunableSource *ret_source) {
        const TunablePolicy *tp = &st->p->tunables[id];
        uint64_t target;

        text_add(w, "override");
        if (ov->expires_usec == NEVER)
                text_add(w, " until cleared");
        else
                text_add(w, " for %s", FORMAT_DURATION_HUMAN(ov->expires_usec - st->now));
        target = safety_clamp(st, id, ov->value, w);
        text_add(n, "%s", w->buf);
        /* The fixed value stays what the engine returns to afterwards. */
        if (tp->mode == TUNABLE_MODE_FIXED) {
                char scratch[ENGINE_REASON_MAX];
                Text c = text_start(scratch, sizeof(scratch));

                st->e->tunables[id].level = safety_clamp(st, id, tp->value, &c);
        }
        *ret_source = TUNABLE_SOURCE_OVERRIDE;
        return target;
}

static uint64_t target_fixed(Step *st, TunableId id, Text *w, Text *n, TunableSource *ret_source) {
        EngineTunable *t = &st->e->tunables[id];
        char clamp[ENGINE_REASON_MAX];
        Text c = text_start(clamp, sizeof(clamp));

        t->level = safety_clamp(st, id, st->p->tunables[id].value, &c);
        text_add(w, "fixed by policy%s", clamp);
        text_add(n, "fixed by policy%s", clamp);
        *ret_source = TUNABLE_SOURCE_FIXED;
        return t->level;
}

static uint64_t target_adaptive(Step *st, TunableId id, Text *w, Text *n, TunableSource *ret_source) {
        EngineTunable *t = &st->e->tunables[id];
        Bounds b = bounds_of(st, id);

        if (st->p->tunables[id].mode == TUNABLE_MODE_BY_SWAP_CLASS)
                text_add(n,
                         "by swap class %s: %" PRIu64 ", refault correction within %" PRIu64 "..%" PRIu64
                         ": ",
                         swap_class_to_string(st->s->swap.class), b.rest, b.lo, b.hi);
        else
                text_add(n, "adaptive %" PRIu64 "..%" PRIu64 ", baseline %" PRIu64 ": ", b.lo, b.hi, b.rest);
        if (st->stepped[id]) {
                text_add(w, "%s", st->why[id]);
                text_add(n, "%s", st->why[id]);
        } else {
                if (is_watermark(id))
                        note_watermark(st, id, &b, n);
                else if (st->note[id][0])
                        text_add(n, "%s", st->note[id]);
                else
                        text_add(n, "%s",
                                 t->level != b.rest ? "holding"
                                 : st->p->tunables[id].mode == TUNABLE_MODE_BY_SWAP_CLASS
                                         ? "at the class's value"
                                         : "at the baseline");
                text_add(w, "back to the adaptive value");
        }
        *ret_source = TUNABLE_SOURCE_ADAPTIVE;
        return t->level;
}

static uint64_t target_unmanaged(Step *st, TunableId id, uint64_t current, Text *w, Text *n,
                                 TunableSource *ret_source) {
        EngineTunable *t = &st->e->tunables[id];

        if (t->source == TUNABLE_SOURCE_NONE || (t->target == t->baseline && current == t->baseline)) {
                /* Not ours (or nothing to hand back): follow the kernel. */
                t->baseline = t->level = t->target = current;
                text_add(n, "unmanaged by policy");
                *ret_source = TUNABLE_SOURCE_NONE;
                return current;
        }
        t->level = t->baseline;
        text_add(w, "unmanaged by policy: back to the baseline");
        text_add(n, "unmanaged by policy: back to the baseline %" PRIu64, t->baseline);
        *ret_source = TUNABLE_SOURCE_BASELINE;
        return t->baseline;
}

/* Records a change of target as a decision, "name old -> new: why". */
static void plan_decision(Step *st, TunableId id, uint64_t target, TunableSource source, const char *why,
                          Plan *plan) {
        EngineTunable *t = &st->e->tunables[id];
        Decision *d;

        if (target == t->target || plan->n_decisions >= ELEMENTSOF(plan->decisions))
                return;
        d = &plan->decisions[plan->n_decisions++];
        *d = (Decision) {
                .time_usec = st->now,
                .tunable = id,
                .old_value = t->target,
                .new_value = target,
                .source = source,
        };
        text_set(d->reason, sizeof(d->reason), "%s %" PRIu64 " -> %" PRIu64 ": %s", tunable_info(id)->name,
                 t->target, target, why);
}

static void plan_one(Step *st, TunableId id, const Override *ov, Plan *plan) {
        EngineTunable *t = &st->e->tunables[id];
        TunablePlan *pl = &plan->tunables[id];
        char why[ENGINE_REASON_MAX];
        Text w = text_start(why, sizeof(why));
        Text n = text_start(pl->reason, sizeof(pl->reason));
        TunableSource source;
        uint64_t target;

        pl->present = st->present[id];
        pl->current = st->present[id] ? st->s->tunables.value[id] : 0;
        pl->override_expired = ov && ov->active && !override_in_force(ov, st->now);
        if (!t->known || !st->present[id]) {
                pl->target = t->target;
                pl->baseline = t->baseline;
                pl->source = TUNABLE_SOURCE_NONE;
                text_add(&n, "%s", t->known ? "missing in this sample" : "not available on this kernel");
                return;
        }

        if (st->overridden[id])
                target = target_override(st, id, ov, &w, &n, &source);
        else {
                if (t->source == TUNABLE_SOURCE_OVERRIDE)
                        text_add(&w, "override %s; ", pl->override_expired ? "expired" : "cleared");
                switch (st->p->tunables[id].mode) {
                case TUNABLE_MODE_FIXED: target = target_fixed(st, id, &w, &n, &source); break;
                case TUNABLE_MODE_ADAPTIVE:
                case TUNABLE_MODE_BY_SWAP_CLASS: target = target_adaptive(st, id, &w, &n, &source); break;
                default: target = target_unmanaged(st, id, pl->current, &w, &n, &source); break;
                }
        }

        plan_decision(st, id, target, source, why, plan);
        if (is_watermark(id) && target != t->target)
                st->e->watermark_target_usec = st->now;
        t->target = target;
        /* A hand-back lasts until the kernel holds the baseline (a refused or
         * failed write is retried); then the tunable is the kernel's. */
        t->source =
                source == TUNABLE_SOURCE_BASELINE && pl->current == target ? TUNABLE_SOURCE_NONE : source;
        pl->target = target;
        pl->baseline = t->baseline;
        pl->source = source;
        pl->managed = source != TUNABLE_SOURCE_NONE;
}

static void plan_tunables(Step *st, const Override overrides[], Plan *plan) {
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                plan_one(st, id, overrides ? &overrides[id] : NULL, plan);
}

static void plan_evidence(const Step *st, Plan *plan) {
        const Obs *o = &st->o;
        Text w = text_start(plan->evidence, sizeof(plan->evidence));

        if (!o->rates)
                text_add(&w, "no rates yet");
        else {
                text_add(&w, "pgscan_direct %s/s", o->has_direct ? fmt_rate(o->direct).s : "?");
                text_add(&w, ", allocstall %s/s", o->has_stall ? fmt_rate(o->stall).s : "?");
                if (o->has_refault)
                        text_add(&w, ", refaults anon %s/s file %s/s", fmt_rate(o->refault_anon).s,
                                 fmt_rate(o->refault_file).s);
                if (o->has_pswpin && o->pswpin > 0)
                        text_add(&w, ", pswpin %s/s", fmt_rate(o->pswpin).s);
                if (o->has_zrf && o->zrf > 0)
                        text_add(&w, ", zone_reclaim_failed %s/s", fmt_rate(o->zrf).s);
                text_add(&w, " over %s", FORMAT_DURATION_HUMAN(o->interval));
        }
        if (o->has_psi) {
                text_add(&w, "; PSI some %.1f%%", o->psi_some);
                if (o->has_full)
                        text_add(&w, " full %.1f%%", o->psi_full);
        } else
                text_add(&w, "; no PSI");
        text_add(&w, "; pressure %s", pressure_level_to_string(st->e->pressure));
        if (st->trouble)
                text_add(&w, "; direct reclaim over the window (pgscan_direct %s/s, allocstall %s/s)",
                         fmt_rate(st->avg_direct).s, fmt_rate(st->avg_stall).s);
}

static uint64_t sample_interval(Step *st, const Override overrides[], const Plan *plan) {
        const PolicyThresholds *th = st->th;
        Engine *e = st->e;
        uint64_t next, end;
        bool early;

        if (!st->calm || st->trouble || e->pressure > PRESSURE_NONE || plan->n_decisions > 0 ||
            e->sample_interval_usec == 0)
                e->sample_interval_usec = th->sample_interval_min_usec;
        else if (e->sample_interval_usec > th->sample_interval_max_usec / ENGINE_SAMPLE_INTERVAL_GROWTH)
                e->sample_interval_usec = th->sample_interval_max_usec;
        else
                e->sample_interval_usec = MAX(e->sample_interval_usec * ENGINE_SAMPLE_INTERVAL_GROWTH,
                                              th->sample_interval_min_usec);
        e->sample_interval_usec = MIN(e->sample_interval_usec, th->sample_interval_max_usec);

        /* Wake up when an override expires, so control returns on time. */
        next = e->sample_interval_usec;
        /* And when the calm time is up, so that the watermarks are back at
         * their baselines within it, not up to a calm sample interval later. */
        end = watermarks_back_due(st, &early);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX && end != NEVER && end > st->now; id++)
                if (is_watermark(id) && st->controlled[id] &&
                    e->tunables[id].level != bounds_of(st, id).rest)
                        next = MIN(next, MAX(end - st->now, th->sample_interval_min_usec));
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                if (st->overridden[id] && overrides[id].expires_usec != NEVER)
                        next = MIN(next, overrides[id].expires_usec - st->now);
        return next;
}

int engine_step(Engine *e, const Policy *p, const Override overrides[], const Sample *s, const Rates *r,
                uint64_t now_usec, Plan *ret) {
        const PolicyThresholds *th = &p->thresholds;
        PressureLevel old_pressure = e->pressure;
        Plan plan = {};
        Step st = {
                .e = e,
                .p = p,
                .th = th,
                .s = s,
                .now = now_usec,
                .window = MAX(th->window_usec, 1),
        };

        if (now_usec < e->last_usec)
                return -EINVAL;
        if (!(th->step_factor > 1.0) || !isfinite(th->step_factor))
                return -EINVAL;
        if (th->sample_interval_min_usec == 0 || th->sample_interval_min_usec > th->sample_interval_max_usec)
                return -EINVAL;

        e->last_usec = now_usec;
        observe(s, r, now_usec, &st.o);

        st.cap_percent = ENGINE_RESERVE_CAP_RAM_PERCENT;
        if (th->max_reserve_ram_percent > 0 && th->max_reserve_ram_percent < st.cap_percent)
                st.cap_percent = th->max_reserve_ram_percent;
        st.cap_kb = (uint64_t) ((double) s->meminfo.field[MEMINFO_MEM_TOTAL] * st.cap_percent / 100.0);

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                EngineTunable *t = &e->tunables[id];

                st.present[id] = tunables_has(&s->tunables, id);
                if (st.present[id] && !t->known) {
                        /* Appeared after start: its value now is the baseline. */
                        t->known = true;
                        t->baseline = t->level = t->target = s->tunables.value[id];
                        t->source = TUNABLE_SOURCE_BASELINE;
                }
                st.overridden[id] =
                        st.present[id] && overrides && override_in_force(&overrides[id], now_usec);
                st.controlled[id] =
                        st.present[id] && !st.overridden[id] && tunable_mode_steers(p->tunables[id].mode);
                /* Coming from unmanaged (or a hand-back) the adaptive position
                 * starts from the value found. */
                if (st.controlled[id] && t->source == TUNABLE_SOURCE_NONE)
                        t->baseline = t->level = t->target = s->tunables.value[id];
        }

        pressure_update(&st);
        reclaim_update(&st);

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                if (e->tunables[id].resumed && st.controlled[id])
                        level_move(&st, id, e->tunables[id].level,
                                   "resumed: the level memtuned held before it restarted");
                e->tunables[id].resumed = false;
                if (st.controlled[id])
                        adaptive_clamp(&st, id);
        }
        watermarks(&st);
        numa(&st);
        swappiness(&st);

        plan_tunables(&st, overrides, &plan);
        plan_evidence(&st, &plan);
        plan.pressure = e->pressure;
        plan.pressure_changed = e->pressure != old_pressure;
        plan.trouble = st.trouble;
        plan.calm = st.calm;
        plan.judged = st.judged;
        plan.next_sample_usec = sample_interval(&st, overrides, &plan);

        *ret = plan;
        return (int) plan.n_decisions;
}
