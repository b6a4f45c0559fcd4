/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "sample.h"
#include "tunable.h"

/* The tuning engine: a pure function of (state, policy, overrides, sample,
 * rates, time) that gives, for each managed tunable, a target value, where it
 * comes from and why, and the decisions (value changes) of this step. No I/O,
 * no clock reads, no allocation: the state is plain values the daemon keeps.
 * The policy's mode (enforce or observe) does not enter: in observe mode the
 * plan is the same and the daemon just does not write it, except that a
 * step's trial (below) can judge only a step the sample shows in force, so
 * in observe mode no step is ever taken back.
 *
 * Behaviour, in short (the constants below give the numbers and reasons):
 * - Direct reclaim (pgscan_direct or allocstall rate at or above the policy's
 *   threshold, averaged over the policy's window) raises the watermarks: first
 *   watermark_scale_factor (wider low-high gap, no memory reserved), then, once
 *   that is at its maximum or not adaptive, min_free_kbytes. One watermark
 *   step per cool-down, and each step is judged on a window of evidence
 *   gathered after the previous one (up to ENGINE_TRIAL_WINDOWS windows
 *   where one is not clear). watermark_scale_factor goes straight to
 *   the first value that widens a zone's gap, then doubles (each step widens
 *   the gap by as much as all before it), or more where the trouble's
 *   allocations need it (ENGINE_WSF_COVER_SEC); min_free_kbytes multiplies by
 *   step_factor (or by 2 for the gap as well, if step_factor is larger).
 * - Calm (every sample below half the thresholds, pressure level none, and no
 *   zone's watermarks boosted by the kernel) for calm_usec since the calm
 *   began and since the last step: both watermark tunables go back to their
 *   baselines at once, so the cost of a wide gap (page cache dropped ahead of
 *   need) ends within calm_usec of the load. Time while the kernel boosts a
 *   zone's watermarks (watermark_boost_factor) does not count as calm: the
 *   kernel is then raising the watermarks itself.
 * - What stopped the stalls is remembered: the levels in force when the
 *   engine went back to the baselines are its learned levels, and the next
 *   trouble restores them in one step. Each further calm_usec of calm decays
 *   them by one step; the daemon persists them (engine_resume()).
 * - zone_reclaim_mode: with two or more nodes, local reclaim (zone_reclaim_failed
 *   or pgscan_direct above 0) for the window while another node has free pages
 *   above its high watermark sets 0. It is never raised again while running.
 * - swappiness (only with swap): file refaults thrashing while anon refaults
 *   and swap-ins are cold raises it by ENGINE_SWAPPINESS_STEP, the opposite
 *   lowers it; slowly; back towards the baseline when calm. In mode
 *   by-swap-class the policy's table value for the sample's swap class takes
 *   the baseline's place (at once, when the class changes), and refaults
 *   move it at most the table's correction either way.
 * - Fixed: the policy's value. Unmanaged: not written; a tunable that stops
 *   being managed (policy reload, override ending) first goes back to its
 *   baseline. Overrides win while active and unexpired, clamped to the hard
 *   safety bounds only (kernel range, reserve cap); the adaptive position is
 *   frozen meanwhile and resumes when the override ends.
 * - Adaptive targets stay within the policy's [min, max] and the kernel's
 *   range; min_free_kbytes never goes above the reserve cap (the smaller of
 *   the policy's max_reserve_ram_percent and ENGINE_RESERVE_CAP_RAM_PERCENT of
 *   MemTotal) unless the baseline itself was above it: memtuned never raises
 *   the reserve past the cap, nor lowers an administrator's value to meet it
 *   (except where the policy's maximum says so). The cap wins over the
 *   policy's minimum. */

/* The hard cap on min_free_kbytes, whatever the policy says: 5% of MemTotal.
 * Below the min watermark only atomic and PF_MEMALLOC allocations may take
 * pages, and kswapd keeps free memory up to the high watermark (min * 1.5 at
 * least), so 5% in min_free_kbytes already keeps 7.5% of RAM out of the
 * applications' reach. The kernel caps its own THP recommendation for
 * min_free_kbytes at the same 5% of lowmem (set_recommended_min_free_kbytes in
 * mm/khugepaged.c); beyond it the reserve itself drives the OOM killer. */
#define ENGINE_RESERVE_CAP_RAM_PERCENT 5.0

/* watermark_scale_factor doubles per step above the first value that moves a
 * watermark (a policy's larger step_factor wins): the kernel's gap is linear
 * in it there, so each step widens the gap by as much as all steps before it.
 * Measured with a factor of 1.25 on the 1 GiB guest of bench/vm-effect: 115 ->
 * 144 -> 180 in 60 s while the stalls go on; they stop at 1000. */
#define ENGINE_WSF_STEP_FACTOR 2

/* When direct reclaim comes back after watermark_scale_factor has already
 * widened the gaps, the next step is at least the value whose low-min gaps
 * (summed over the zones) hold ENGINE_WSF_COVER_SEC of the pages allocated
 * per second in the window's samples in trouble: the memory a burst takes
 * before kswapd, woken at the low watermark, catches up. In bench/vm-effect's
 * churn, 4 GiB guest, a gap of 0.46 s of the allocations cut the stalls by
 * 41 %, 1.0 s about as much (one run), 1.3 s by 92 % (1 GiB guest: 0.46 s,
 * 82 %); doubling from the first step took one burst (7 s) per step. The
 * first step from the baseline stays small: trouble that does not come
 * back (a cache warming up once) must not leave a wide gap behind. */
#define ENGINE_WSF_COVER_SEC 2.0

/* Every watermark step is on trial after it: the engine keeps it when the
 * stall rate per allocated page (pgalloc_*; per second where the kernel
 * does not count allocations) fell by at least ENGINE_STEP_MIN_GAIN against
 * as much evidence before the step (for a step that widens the watermarks
 * less than twofold, that share times the widening: a last step of 10 % to
 * a maximum cannot show as much). It takes the step back when it cost more
 * than it saved: the pages allocated per second (the work memory-bound
 * tasks get done) fell by more than ENGINE_STEP_MAX_WORK_LOSS times the
 * share by which the stalls per page fell, and by more than
 * ENGINE_STEP_FREE_WORK_LOSS (a margin for the spread between spans; at the
 * onset, where the stalls prove nothing, by more than
 * ENGINE_STEP_MAX_WORK_LOSS), or PSI memory full rose by more than
 * ENGINE_STEP_MAX_FULL_RISE of itself and ENGINE_STEP_MAX_FULL_RISE_POINTS
 * percentage points. A wider gap makes kswapd reclaim longer and keep more
 * memory free: in bench/vm-effect a gap that stopped every stall halved a
 * CPU-bound stream's throughput (the first shape of its churn load; 1000
 * cost the 4 GiB churn 6 % in the full matrix), so fewer stalls alone do
 * not prove a step, and a step that saved few stalls may cost little. Only
 * the samples in trouble count, on both sides (each sample's own rates at
 * a threshold), and no further step comes before the verdict: between bursts there is little reclaim for the step to change,
 * and a load that pauses would look slowed. A bursty load otherwise climbed
 * on steps never judged (churn, 1 GiB: 460 -> 920 -> 1000, each between
 * two bursts), and with the evidence restarting at each burst, bursts of 2
 * s every 9 s (churn, 4 GiB) held the steps for good. A trial with no
 * verdict after ENGINE_CEILING_WINDOWS windows ends without one. A step that
 * paid at no cost is kept after one window, so that the next step can come
 * at once; any other verdict waits, with no further step, until
 * ENGINE_TRIAL_WINDOWS windows of samples in trouble have been gathered and
 * is taken on their average: one window of a bursty load
 * is weak evidence either way (in bench/vm-effect a step into a lull was
 * judged against the next burst, 7/s -> 85/s, and a burst cut the pages
 * allocated of a step that cost nothing). A step that did not lower the
 * stalls enough, at no cost, stays but its tunable widens no further:
 * undoing a step adds stalls while they happen.
 * Either way the tunable is capped (at the step's level, or below it when
 * taken back) for ENGINE_CEILING_WINDOWS windows (or until the levels go
 * back to the baselines), and the next tunable gets its turn. "Before" is
 * the worse of that evidence and the last window before the step. The
 * first step from the baselines (or back to learned levels) comes as the
 * trouble begins, while it is still growing: it is judged on the pages
 * allocated alone. */
#define ENGINE_STEP_MIN_GAIN 0.25
#define ENGINE_STEP_MAX_WORK_LOSS 0.2
#define ENGINE_STEP_FREE_WORK_LOSS 0.05
#define ENGINE_STEP_MAX_FULL_RISE 0.25
#define ENGINE_STEP_MAX_FULL_RISE_POINTS 1.0
#define ENGINE_CEILING_WINDOWS 30
#define ENGINE_TRIAL_WINDOWS 3

/* Calm means below this share of each trouble threshold: between the two the
 * engine holds (hysteresis). A rate hovering around the threshold then never
 * steps down, and only steps up when its window average crosses it. */
#define ENGINE_CALM_RATIO 0.5

/* A pressure level is entered when PSI reaches its threshold and left only
 * when PSI falls below this share of it, and not before the level has been
 * held for ENGINE_PRESSURE_HOLD_USEC: PSI's avg10 itself decays over 10 s, so
 * one stall cannot flap the level more often than that. */
#define ENGINE_PRESSURE_FALL_RATIO 0.75
#define ENGINE_PRESSURE_HOLD_USEC (10 * USEC_PER_SEC)

/* swappiness moves by 10 (of 0..200) per step: the kernel's anon/file cost
 * model (get_scan_count) reacts to swappiness proportionally, and 10 is 1/6 of
 * the default 60, a change whose effect shows in refault rates without
 * flipping the balance at once. Steps are ENGINE_SWAPPINESS_COOLDOWN_FACTOR
 * times the watermark cool-down apart, because the LRU balance settles over
 * several reclaim cycles before refaults show the effect. */
#define ENGINE_SWAPPINESS_STEP 10
#define ENGINE_SWAPPINESS_COOLDOWN_FACTOR 4

/* Refaults are pages read back shortly after their eviction (the workingset
 * shadow entries say so): any sustained rate means a working set that does
 * not fit. 256 pages/s is 1 MiB/s with 4 KiB pages, about the random-read
 * rate of one rotating disk, where thrashing starts to cost real latency. One
 * side counts as cold only when the other side refaults at least
 * ENGINE_REFAULT_DOMINANCE times as fast: with both sides thrashing, memory is
 * simply short and swappiness cannot help. */
#define ENGINE_REFAULT_THRASH_PAGES_PER_S 256.0
#define ENGINE_REFAULT_DOMINANCE 4.0

/* Calm while the page cache thrashes (file refaults above, and dominating,
 * as for swappiness): the watermarks go back to their baselines after this
 * many windows rather than the whole calm time, once per calm time. 15
 * windows of the shipped 2 s are 30 s: longer than the gaps between a
 * bursty load's bursts that stall, and short against the minutes of page
 * cache a wider gap costs a re-read working set (bench/vm-effect's
 * cache-reuse: +18-37 % refaults while the gap stayed wide). */
#define ENGINE_THRASH_CALM_WINDOWS 15

/* Calm samples double the sample interval, from the policy's minimum to its
 * maximum (1 s to 60 s in 6 calm samples); anything else drops it to the
 * minimum at once. */
#define ENGINE_SAMPLE_INTERVAL_GROWTH 2

/* Rate history for window averages: 256 samples cover a 4 min window at 1 s
 * sampling; a longer window is averaged over the newest 256 samples. */
#define ENGINE_HISTORY_MAX 256

/* A decision's reason: "min_free_kbytes 67584 -> 84480: pgscan_direct 1840/s,
 * allocstall 35/s over 10s" fits with room for a cap note. */
#define ENGINE_REASON_MAX 256

typedef enum PressureLevel {
        PRESSURE_NONE,
        PRESSURE_LOW,
        PRESSURE_MEDIUM,
        PRESSURE_CRITICAL,
        _PRESSURE_LEVEL_MAX,
} PressureLevel;

/* "none", "low", "medium", "critical"; NULL when out of range. */
const char *pressure_level_to_string(PressureLevel l);

typedef enum TunableSource {
        TUNABLE_SOURCE_NONE,     /* unmanaged or absent: memtuned does not write it */
        TUNABLE_SOURCE_BASELINE, /* handed back: the baseline is written once, then NONE */
        TUNABLE_SOURCE_FIXED,    /* the policy's fixed value */
        TUNABLE_SOURCE_ADAPTIVE, /* the engine's position within the policy's bounds */
        TUNABLE_SOURCE_OVERRIDE, /* an administrator's override */
        _TUNABLE_SOURCE_MAX,
} TunableSource;

/* "none", "baseline", "fixed", "adaptive", "override"; NULL when out of range. */
const char *tunable_source_to_string(TunableSource s);

/* An administrator's override of one tunable (D-Bus SetOverride). expires_usec
 * is CLOCK_MONOTONIC like now_usec; USEC_INFINITY means until cleared. The
 * override is in force while active and now_usec < expires_usec. */
typedef struct Override {
        bool active;
        uint64_t value;
        uint64_t expires_usec;
} Override;

/* A change of a tunable's target. reason is the whole log line, starting with
 * the tunable's name and the change: "min_free_kbytes 67584 -> 84480: ...". */
typedef struct Decision {
        uint64_t time_usec;
        TunableId tunable;
        uint64_t old_value, new_value;
        TunableSource source;
        char reason[ENGINE_REASON_MAX];
} Decision;

typedef struct TunablePlan {
        bool present;          /* the kernel has the file (in this sample) */
        bool managed;          /* source != NONE: the actuator writes target (unless observing) */
        bool override_expired; /* overrides[id] is active but expired: the caller may drop it */
        uint64_t current;      /* the value in the sample */
        uint64_t baseline;     /* the value memtuned returns to */
        uint64_t target;       /* what memtuned wants; equals current when unmanaged */
        TunableSource source;
        char reason[ENGINE_REASON_MAX]; /* the state in one line, without the tunable's name */
} TunablePlan;

typedef struct Plan {
        TunablePlan tunables[_TUNABLE_MANAGED_MAX];
        Decision decisions[_TUNABLE_MANAGED_MAX]; /* at most one per tunable, in TunableId order */
        size_t n_decisions;
        PressureLevel pressure;    /* with hysteresis */
        bool pressure_changed;     /* differs from the previous step's level */
        bool trouble;              /* reclaim at or above a threshold, averaged over the window */
        bool calm;                 /* this sample is calm (below half the thresholds, no pressure) */
        bool judged;               /* a watermark step's trial ended (kept, held or taken back) or waits */
        uint64_t next_sample_usec; /* RELATIVE: sample again this long after now_usec */
        char evidence[ENGINE_REASON_MAX]; /* this sample's rates and PSI, one line */
} Plan;

/* Per tunable state. Read-only outside engine.c. */
typedef struct EngineTunable {
        bool known; /* seen in a sample: baseline, level, target hold values */
        uint64_t baseline;
        uint64_t level;          /* what the policy alone wants (adaptive position or fixed value) */
        uint64_t target;         /* the last planned target: level, an override, or the baseline */
        TunableSource source;    /* of target */
        uint64_t last_step_usec; /* the last change of level by the engine; USEC_INFINITY: never */
        uint64_t learned;        /* watermarks: the level that last stopped direct reclaim; 0: none */
        uint64_t learned_usec;   /* when learned was set or last decayed */
        bool resumed;            /* level came from engine_resume(): the next step says so */
        bool on_trial;           /* the last watermark step moved it from trial_from */
        uint64_t trial_from;
        uint64_t ceiling;      /* watermarks: a step above this did not pay (held or taken back) */
        uint64_t ceiling_usec; /* when ceiling was set */
} EngineTunable;

/* One sample's rates over [end_usec - interval_usec, end_usec]. alloc
 * (pages allocated/s) and psi_full (percent) are NAN where unknown. */
typedef struct EngineHistory {
        uint64_t end_usec, interval_usec;
        double pgscan_direct, allocstall, alloc, psi_full;
} EngineHistory;

/* Averages over a span of the history; has_* says whether it held any. */
typedef struct EngineAverage {
        double pgscan_direct, allocstall, alloc, psi_full;
        bool has_alloc, has_psi_full;
} EngineAverage;

/* The engine's whole state: plain values, no pointers, copyable. Read-only
 * outside engine.c. Times are CLOCK_MONOTONIC usec; USEC_INFINITY: never/none. */
typedef struct Engine {
        EngineTunable tunables[_TUNABLE_MANAGED_MAX];
        uint64_t page_kb;              /* page size for the NUMA reasons; 4 on x86 */
        uint64_t last_usec;            /* the last step (or init) */
        uint64_t sample_interval_usec; /* 0 before the first step */

        EngineHistory history[ENGINE_HISTORY_MAX];
        size_t history_next, history_n;
        uint64_t watermark_step_usec;   /* last step of either watermark tunable */
        uint64_t trial_usec;            /* the watermark step on trial; NEVER: none */
        uint64_t watermark_target_usec; /* the last change of a watermark tunable's target */
        EngineAverage trial_before;     /* the window before it; the baseline if the history lost the span */
        EngineAverage trial_last;       /* the last sample before it */
        double trial_gain;              /* the share by which the stalls must fall */
        bool trial_onset;               /* the step left the baselines: only "slowed" judges it */
        uint64_t calm_since_usec;       /* start of the current run of calm samples */
        uint64_t thrash_back_usec;      /* the last return before the calm time; NEVER: none */

        PressureLevel pressure;
        uint64_t pressure_since_usec;

        uint64_t numa_since_usec;                    /* start of the current run of local-reclaim evidence */
        double numa_failed_pages, numa_direct_pages; /* counted over that run */

        int swap_trend;                          /* +1 file thrashing, -1 anon thrashing, 0 neither */
        uint64_t swap_since_usec;                /* start of the current run of that trend */
        uint64_t swap_quiet_since_usec;          /* start of the current run without a trend */
        double swap_anon_pages, swap_file_pages; /* counted over that run */
        int swap_class; /* by-swap-class: the SwapClass the level follows; -1: none yet */
} Engine;

/* Sets up the state from the first sample: every tunable present in s gets
 * its current value as baseline and target. Never fails; engine_step needs
 * it first. page_kb comes from sysconf(_SC_PAGESIZE) (tests may overwrite it). */
void engine_init(Engine *e, const Sample *s, uint64_t now_usec);

/* A value changed behind memtuned's back (an administrator, sysctl.d, the
 * kernel recomputing min_free_kbytes on hotplug): it becomes the baseline and
 * the target, and adaptive control starts again from it. No decision is made
 * for this change itself; a fixed policy or an override reasserts itself at
 * the next step (with a decision). */
void engine_set_baseline(Engine *e, TunableId id, uint64_t value);

/* After a restart: the value found at start was memtuned's own (state
 * persisted under /run), the true original is value. Sets only the baseline;
 * the target stays at what was found and steps back to the baseline when calm
 * (or at once where the tunable is no longer managed). */
void engine_restore_baseline(Engine *e, TunableId id, uint64_t value);

/* After a restart: the adaptive level and the learned level (0: none) that
 * memtuned held before it stopped (persisted under /run). The level holds as
 * if stepped to now, the calm clock starts again, and the next step writes it
 * (clamped to the policy's bounds) with a decision saying so. Only for
 * watermark tunables already known; others are ignored. */
void engine_resume(Engine *e, TunableId id, uint64_t level, uint64_t learned, uint64_t now_usec);

/* One step: s is the sample at now_usec, r the rates from the previous sample
 * to s (NULL for none, e.g. the first sample), overrides an array of
 * _TUNABLE_MANAGED_MAX (NULL for none). Returns the number of decisions in
 * *ret (>= 0), or -EINVAL when now_usec is earlier than the previous step or
 * the thresholds are unusable (step_factor not above 1, sample interval
 * minimum 0 or above the maximum); then neither *e nor *ret is changed. */
int engine_step(Engine *e, const Policy *p, const Override overrides[], const Sample *s, const Rates *r,
                uint64_t now_usec, Plan *ret);
