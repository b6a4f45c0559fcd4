/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sections policy, tunables and thresholds, and a whole file. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"
#include "units.h"

/* ---- policy: { ... } ------------------------------------------------------------------- */

static const char *const policy_keys[] = { "name", "description", "mode", NULL };

#define POLICY_NAME_MAX 64
#define POLICY_DESCRIPTION_MAX 1024

bool is_printable(const char *s, bool allow_utf8) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !allow_utf8))
                        return false;
        return true;
}

/* Looks name up in a table of n strings; on failure reports it with the list
 * of choices and a near miss. */
static int get_choice(Ctx *c, const config_setting_t *s, const char *where, const char *what,
                      const char *const *table, size_t n) {
        const char *v, *hint;
        char list[128] = "";

        if (!get_string(c, s, where, &v))
                return -1;
        for (size_t i = 0; i < n; i++)
                if (strcmp(v, table[i]) == 0)
                        return (int) i;

        for (size_t i = 0; i < n; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
                         i == 0       ? ""
                         : i + 1 == n ? " or "
                                      : ", ",
                         table[i]);
        {
                const char *cand[8] = {};
                for (size_t i = 0; i < n && i < ELEMENTSOF(cand) - 1; i++)
                        cand[i] = table[i];
                hint = suggest(v, cand);
        }
        if (hint)
                ctx_error(c, line_of(s), where, "%s is not a %s: use %s; did you mean \"%s\"?", QUOTED(v),
                          what, list, hint);
        else
                ctx_error(c, line_of(s), where, "%s is not a %s: use %s", QUOTED(v), what, list);
        return -1;
}

void set_string(Ctx *c, char **field, const char *v) {
        char *copy = strdup(v);

        if (!copy) {
                c->oom = true;
                return;
        }
        free(*field);
        *field = copy;
}

static void parse_policy_section(Ctx *c, const config_setting_t *s) {
        if (!check_group(c, s, "policy"))
                return;

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                const char *name = config_setting_name(m), *v;
                int mode;

                switch (key_index(name, policy_keys)) {
                case 0:
                        if (!get_string(c, m, "policy.name", &v))
                                break;
                        if (strlen(v) > POLICY_NAME_MAX || !is_printable(v, false)) {
                                ctx_error(c, line_of(m), "policy.name",
                                          "%s: a name is at most %d printable ASCII characters", QUOTED(v),
                                          POLICY_NAME_MAX);
                                break;
                        }
                        if (c->apply) {
                                set_string(c, &c->p->name, v);
                                c->p->name_origin = ctx_origin(c, m);
                        }
                        break;
                case 1:
                        if (!get_string(c, m, "policy.description", &v))
                                break;
                        if (strlen(v) > POLICY_DESCRIPTION_MAX || !is_printable(v, true)) {
                                ctx_error(
                                        c, line_of(m), "policy.description",
                                        "a description is at most %d characters without control characters",
                                        POLICY_DESCRIPTION_MAX);
                                break;
                        }
                        if (c->apply) {
                                set_string(c, &c->p->description, v);
                                c->p->description_origin = ctx_origin(c, m);
                        }
                        break;
                case 2:
                        mode = get_choice(c, m, "policy.mode", "mode", policy_mode_table, _POLICY_MODE_MAX);
                        if (mode >= 0 && c->apply) {
                                c->p->mode = (PolicyMode) mode;
                                c->p->mode_origin = ctx_origin(c, m);
                        }
                        break;
                default: unknown_key(c, m, "policy", "key", policy_keys);
                }
        }
}

/* ---- tunables: { ... } ------------------------------------------------------------------ */

static const char *const tunables_names[] = {
        "min_free_kbytes",        "watermark_scale_factor", "swappiness",         "zone_reclaim_mode",
        "watermark_boost_factor", "lru_gen_enabled",        "lru_gen_min_ttl_ms", NULL,
};

enum {
        TKEY_MODE,
        TKEY_VALUE,
        TKEY_MIN,
        TKEY_MAX,
        TKEY_WHEN,
        TKEY_TAKE_OVER,
        TKEY_CLASSES,
        TKEY_CORRECTION,
        _TKEY_MAX,
};

static const char *const tunable_keys[_TKEY_MAX + 1] = {
        [TKEY_MODE] = "mode",       [TKEY_VALUE] = "value",
        [TKEY_MIN] = "min",         [TKEY_MAX] = "max",
        [TKEY_WHEN] = "when",       [TKEY_TAKE_OVER] = "take_over",
        [TKEY_CLASSES] = "classes", [TKEY_CORRECTION] = "correction",
};

/* The class names a "classes" group takes: every class but none. */
static const char *const swap_class_keys[] = { "zram", "zswap", "ssd", "disk", "unknown", NULL };

/* tunables.swappiness.classes = { zram = 150; ... }: each value 0..200 into
 * v (indexed by SwapClass), set[] marking the classes given. */
static void parse_swap_classes(Ctx *c, const config_setting_t *s, const char *where, uint64_t *v,
                               const config_setting_t **set) {
        if (!check_group(c, s, where))
                return;
        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                int k = key_index(config_setting_name(m), swap_class_keys);
                char kw[160];
                int64_t x;

                if (k < 0) {
                        unknown_key(c, m, where, "swap class", swap_class_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, swap_class_keys[k]);
                if (get_int(c, m, kw, 0, 200, &x)) {
                        SwapClass cl = (SwapClass) swap_class_from_string(swap_class_keys[k]);

                        v[cl] = (uint64_t) x;
                        set[cl] = m;
                }
        }
}

/* The lowest value a policy may ask for. */
uint64_t tunable_floor(TunableId id) {
        return id == TUNABLE_MIN_FREE_KBYTES ? TUNABLE_MIN_FREE_KBYTES_FLOOR : tunable_info(id)->kernel_min;
}

static bool get_tunable_value(Ctx *c, TunableId id, const config_setting_t *s, const char *where,
                              uint64_t *ret) {
        const TunableInfo *info = tunable_info(id);
        int64_t v;
        uint64_t kb;

        if (id != TUNABLE_MIN_FREE_KBYTES) {
                if (!get_int(c, s, where, (int64_t) info->kernel_min, (int64_t) info->kernel_max, &v))
                        return false;
                *ret = (uint64_t) v;
                return true;
        }

        if (!get_size(c, s, where, true, &kb))
                return false;
        if (kb < TUNABLE_MIN_FREE_KBYTES_FLOOR) {
                ctx_error(c, line_of(s), where, "%s is below %u kB, the least the kernel itself ever sets",
                          FORMAT_SIZE(kb), TUNABLE_MIN_FREE_KBYTES_FLOOR);
                return false;
        }
        if (kb > info->kernel_max) {
                ctx_error(c, line_of(s), where, "%s is above the kernel's limit of %" PRIu64 " kB",
                          FORMAT_SIZE(kb), info->kernel_max);
                return false;
        }
        *ret = kb;
        return true;
}

/* A tunable group with errors is never applied, so the merged checks will
 * not see its bounds: check them here, on what it sets over what earlier
 * files set, so that min above max shows in the same run as the rest. */
static void check_bounds_unapplied(Ctx *c, TunableId id, const config_setting_t *const *set,
                                   const uint64_t *v, int mode) {
        TunablePolicy t = c->p->tunables[id];
        size_t n0 = c->errors->n;

        if (!set[TKEY_MIN] && !set[TKEY_MAX])
                return;
        if (set[TKEY_MODE])
                t.mode = (TunableMode) mode;
        if (set[TKEY_MIN]) {
                t.min = v[TKEY_MIN];
                t.min_origin = (PolicyOrigin) { .file = c->path, .line = line_of(set[TKEY_MIN]) };
        }
        if (set[TKEY_MAX]) {
                t.max = v[TKEY_MAX];
                t.max_origin = (PolicyOrigin) { .file = c->path, .line = line_of(set[TKEY_MAX]) };
        }
        if (t.mode != TUNABLE_MODE_ADAPTIVE || !t.max_origin.file)
                return;
        if (!t.min_origin.file)
                t.min = tunable_floor(id);
        tunable_check_bounds(c->p, c->path, id, &t, c->errors);
        c->n_errors += (unsigned) (c->errors->n - n0);
}

static void parse_tunable(Ctx *c, TunableId id, const config_setting_t *s) {
        const config_setting_t *set[_TKEY_MAX] = {}, *class_set[_SWAP_CLASS_MAX] = {};
        uint64_t v[_TKEY_MAX] = {}, class_v[_SWAP_CLASS_MAX] = {};
        int mode = -1;
        unsigned err0 = c->n_errors;
        bool holds, take_over = false;
        char where[96], kw[128], why[256];

        snprintf(where, sizeof(where), "tunables.%s", tunable_info(id)->name);
        if (!check_group(c, s, where))
                return;
        section_holds(c, s, where, &holds, why, sizeof(why));

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                int k = key_index(config_setting_name(m), tunable_keys);

                if (k < 0) {
                        unknown_key(c, m, where, "key", tunable_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, tunable_keys[k]);
                switch (k) {
                case TKEY_MODE:
                        mode = get_choice(c, m, kw, "mode", tunable_mode_table, _TUNABLE_MODE_MAX);
                        if (mode >= 0)
                                set[k] = m;
                        break;
                case TKEY_VALUE:
                case TKEY_MIN:
                case TKEY_MAX:
                        if (get_tunable_value(c, id, m, kw, &v[k]))
                                set[k] = m;
                        break;
                case TKEY_WHEN: break;
                case TKEY_TAKE_OVER:
                        if (get_bool(c, m, kw, &take_over))
                                set[k] = m;
                        break;
                case TKEY_CLASSES:
                        set[k] = m;
                        if (id == TUNABLE_SWAPPINESS)
                                parse_swap_classes(c, m, kw, class_v, class_set);
                        break;
                case TKEY_CORRECTION: {
                        int64_t x;

                        if (id == TUNABLE_SWAPPINESS && get_int(c, m, kw, 0, 100, &x)) {
                                v[k] = (uint64_t) x;
                                set[k] = m;
                        } else if (id != TUNABLE_SWAPPINESS)
                                set[k] = m;
                        break;
                }
                }
        }

        /* The swap class decides the I/O cost of swapping; no other
         * tunable has a class. */
        if (id != TUNABLE_SWAPPINESS) {
                if (mode == TUNABLE_MODE_BY_SWAP_CLASS)
                        ctx_error(c, line_of(set[TKEY_MODE]), where,
                                  "mode \"by-swap-class\" is only for swappiness");
                for (int k = TKEY_CLASSES; k <= TKEY_CORRECTION; k++)
                        if (set[k])
                                ctx_error(c, line_of(set[k]), where, "%s is only for swappiness",
                                          tunable_keys[k]);
        } else
                for (int k = TKEY_CLASSES; k <= TKEY_CORRECTION; k++)
                        if (mode >= 0 && mode != TUNABLE_MODE_BY_SWAP_CLASS && set[k])
                                ctx_error(c, line_of(set[k]), where,
                                          "%s is used only with mode \"by-swap-class\", not \"%s\"",
                                          tunable_keys[k], tunable_mode_to_string(mode));

        /* The kernel keeps min_ttl_ms in jiffies and shows it back rounded
         * up to a whole tick: a value that does not read back would be
         * written again at every sample. 20 ms is a whole number of ticks at
         * HZ 100, 250, 300 and 1000. */
        if (id == TUNABLE_LRU_GEN_MIN_TTL_MS && set[TKEY_VALUE] && v[TKEY_VALUE] % 20 != 0)
                ctx_error(c, line_of(set[TKEY_VALUE]), where,
                          "%" PRIu64 " ms is not a multiple of 20 ms: the kernel keeps it in jiffies and "
                          "reads back a rounded value (%" PRIu64 " at HZ=250); use %" PRIu64 " or %" PRIu64,
                          v[TKEY_VALUE], (v[TKEY_VALUE] + 3) / 4 * 4, v[TKEY_VALUE] / 20 * 20,
                          v[TKEY_VALUE] / 20 * 20 + 20);
        /* No controller moves these: a fixed value or the kernel's own. */
        if (mode == TUNABLE_MODE_ADAPTIVE && tunable_info(id)->fixed_only)
                ctx_error(c, line_of(set[TKEY_MODE]), where,
                          "mode \"adaptive\" is not available for %s: memtuned has no controller for it; "
                          "use \"fixed\" or \"unmanaged\"",
                          tunable_info(id)->name);
        if (mode >= 0 && mode != TUNABLE_MODE_FIXED && set[TKEY_VALUE])
                ctx_error(c, line_of(set[TKEY_VALUE]), where,
                          "value is used only with mode \"fixed\", not \"%s\"",
                          tunable_mode_to_string(mode));
        for (int k = TKEY_MIN; k <= TKEY_MAX; k++)
                if (mode >= 0 && mode != TUNABLE_MODE_ADAPTIVE && set[k])
                        ctx_error(c, line_of(set[k]), where,
                                  "%s is used only with mode \"adaptive\", not \"%s\"", tunable_keys[k],
                                  tunable_mode_to_string(mode));

        if (c->n_errors > err0) {
                check_bounds_unapplied(c, id, set, v, mode);
                return;
        }
        if (!c->apply)
                return;
        if (!holds) {
                ctx_note(c, "%s:%u: %s does not apply: %s", c->path, line_of(s), where, why);
                return;
        }

        TunablePolicy *t = &c->p->tunables[id];
        if (set[TKEY_MODE]) {
                t->mode = (TunableMode) mode;
                t->origin = ctx_origin(c, set[TKEY_MODE]);
        }
        if (set[TKEY_VALUE]) {
                t->value = v[TKEY_VALUE];
                t->value_origin = ctx_origin(c, set[TKEY_VALUE]);
        }
        if (set[TKEY_MIN]) {
                t->min = v[TKEY_MIN];
                t->min_origin = ctx_origin(c, set[TKEY_MIN]);
        }
        if (set[TKEY_MAX]) {
                t->max = v[TKEY_MAX];
                t->max_origin = ctx_origin(c, set[TKEY_MAX]);
        }
        if (set[TKEY_TAKE_OVER]) {
                t->take_over = take_over;
                t->take_over_origin = ctx_origin(c, set[TKEY_TAKE_OVER]);
        }
        for (SwapClass cl = 0; cl < _SWAP_CLASS_MAX; cl++)
                if (class_set[cl]) {
                        c->p->swap_classes.value[cl] = class_v[cl];
                        c->p->swap_classes.origins[cl] = ctx_origin(c, class_set[cl]);
                }
        if (id == TUNABLE_SWAPPINESS && set[TKEY_CORRECTION]) {
                c->p->swap_classes.correction = v[TKEY_CORRECTION];
                c->p->swap_classes.correction_origin = ctx_origin(c, set[TKEY_CORRECTION]);
        }
}

static void parse_tunables_section(Ctx *c, const config_setting_t *s) {
        if (!check_group(c, s, "tunables"))
                return;

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                int id = tunable_from_name(config_setting_name(m));

                if (id < 0)
                        unknown_key(c, m, "tunables", "tunable", tunables_names);
                else
                        parse_tunable(c, (TunableId) id, m);
        }
}

/* ---- thresholds: { ... } ------------------------------------------------------------------ */

/* clang-format off: one entry per line */
const char *const threshold_keys[_POLICY_THRESHOLD_MAX + 2] = {
        [POLICY_THRESHOLD_DIRECT_RECLAIM_PAGES_PER_S] = "direct_reclaim_pages_per_s",
        [POLICY_THRESHOLD_ALLOCSTALL_PER_S] = "allocstall_per_s",
        [POLICY_THRESHOLD_PSI_SOME_LOW] = "psi_some_low",
        [POLICY_THRESHOLD_PSI_SOME_MEDIUM] = "psi_some_medium",
        [POLICY_THRESHOLD_PSI_SOME_CRITICAL] = "psi_some_critical",
        [POLICY_THRESHOLD_PSI_FULL_CRITICAL] = "psi_full_critical",
        [POLICY_THRESHOLD_WINDOW] = "window",
        [POLICY_THRESHOLD_CALM] = "calm",
        [POLICY_THRESHOLD_COOLDOWN] = "cooldown",
        [POLICY_THRESHOLD_STEP_FACTOR] = "step_factor",
        [POLICY_THRESHOLD_MAX_RESERVE_RAM_PERCENT] = "max_reserve_ram_percent",
        [POLICY_THRESHOLD_MAX_RESERVE] = "max_reserve",
        [POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN] = "sample_interval_min",
        [POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX] = "sample_interval_max",
        [_POLICY_THRESHOLD_MAX] = "when",
};
/* clang-format on */

/* Ranges, with reasons: rates above 1e9/s are beyond what any machine can
 * do; a window under 1 s is shorter than one busy sample; calm longer than a
 * day never decays; a step factor above 4 jumps past any sensible reserve in
 * one step; the reserve cap can only be lowered: the engine never lets
 * min_free_kbytes exceed 5 % of RAM (ENGINE_RESERVE_CAP_RAM_PERCENT), since
 * beyond that the reserve itself drives the OOM killer; sampling faster than
 * 100 ms costs more than it tells. */
#define RATE_MAX 1e9
#define WINDOW_MIN_USEC (1 * USEC_PER_SEC)
#define WINDOW_MAX_USEC (3600 * USEC_PER_SEC)
#define CALM_MAX_USEC (24 * 3600 * USEC_PER_SEC)
#define COOLDOWN_MAX_USEC (24 * 3600 * USEC_PER_SEC)
#define STEP_FACTOR_MAX 4.0
#define RESERVE_PERCENT_MAX 5.0
#define SAMPLE_INTERVAL_MIN_USEC (100 * USEC_PER_MSEC)
#define SAMPLE_INTERVAL_MAX_USEC (3600 * USEC_PER_SEC)

static bool get_percent_centi(Ctx *c, const config_setting_t *s, const char *where, uint32_t *ret) {
        double v;

        if (!get_number(c, s, where, 0, true, 100, &v))
                return false;
        if (pos_round(v * 100) < 1) {
                ctx_error(c, line_of(s), where, "%g is below 0.01, the finest PSI reports", v);
                return false;
        }
        *ret = (uint32_t) pos_round(v * 100);
        return true;
}

static void parse_thresholds_section(Ctx *c, const config_setting_t *s) {
        PolicyThresholds t = c->p->thresholds;
        const config_setting_t *set[_POLICY_THRESHOLD_MAX] = {};
        unsigned err0 = c->n_errors;
        bool holds, ok;
        char kw[96], why[256];

        if (!check_group(c, s, "thresholds"))
                return;
        section_holds(c, s, "thresholds", &holds, why, sizeof(why));

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                int k = key_index(config_setting_name(m), threshold_keys);

                if (k < 0) {
                        unknown_key(c, m, "thresholds", "threshold", threshold_keys);
                        continue;
                }
                if (k == _POLICY_THRESHOLD_MAX)
                        continue; /* when */
                snprintf(kw, sizeof(kw), "thresholds.%s", threshold_keys[k]);

                switch ((PolicyThreshold) k) {
                case POLICY_THRESHOLD_DIRECT_RECLAIM_PAGES_PER_S:
                        ok = get_number(c, m, kw, 0, true, RATE_MAX, &t.direct_reclaim_pages_per_s);
                        break;
                case POLICY_THRESHOLD_ALLOCSTALL_PER_S:
                        ok = get_number(c, m, kw, 0, true, RATE_MAX, &t.allocstall_per_s);
                        break;
                case POLICY_THRESHOLD_PSI_SOME_LOW: ok = get_percent_centi(c, m, kw, &t.psi_some_low); break;
                case POLICY_THRESHOLD_PSI_SOME_MEDIUM:
                        ok = get_percent_centi(c, m, kw, &t.psi_some_medium);
                        break;
                case POLICY_THRESHOLD_PSI_SOME_CRITICAL:
                        ok = get_percent_centi(c, m, kw, &t.psi_some_critical);
                        break;
                case POLICY_THRESHOLD_PSI_FULL_CRITICAL:
                        ok = get_percent_centi(c, m, kw, &t.psi_full_critical);
                        break;
                case POLICY_THRESHOLD_WINDOW:
                        ok = get_duration(c, m, kw, WINDOW_MIN_USEC, WINDOW_MAX_USEC, &t.window_usec);
                        break;
                case POLICY_THRESHOLD_CALM:
                        ok = get_duration(c, m, kw, WINDOW_MIN_USEC, CALM_MAX_USEC, &t.calm_usec);
                        break;
                case POLICY_THRESHOLD_COOLDOWN:
                        ok = get_duration(c, m, kw, 0, COOLDOWN_MAX_USEC, &t.cooldown_usec);
                        break;
                case POLICY_THRESHOLD_STEP_FACTOR:
                        ok = get_number(c, m, kw, 1.0, true, STEP_FACTOR_MAX, &t.step_factor);
                        break;
                case POLICY_THRESHOLD_MAX_RESERVE_RAM_PERCENT:
                        ok = get_number(c, m, kw, 0, true, RESERVE_PERCENT_MAX, &t.max_reserve_ram_percent);
                        break;
                case POLICY_THRESHOLD_MAX_RESERVE: ok = get_size(c, m, kw, true, &t.max_reserve_kb); break;
                case POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN:
                        ok = get_duration(c, m, kw, SAMPLE_INTERVAL_MIN_USEC, SAMPLE_INTERVAL_MAX_USEC,
                                          &t.sample_interval_min_usec);
                        break;
                case POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX:
                        ok = get_duration(c, m, kw, SAMPLE_INTERVAL_MIN_USEC, SAMPLE_INTERVAL_MAX_USEC,
                                          &t.sample_interval_max_usec);
                        break;
                default: ok = false;
                }
                if (ok)
                        set[k] = m;
        }

        if (c->n_errors > err0) {
                /* Never applied, so the merged checks will not see it. */
                size_t n0 = c->errors->n;

                for (size_t k = 0; k < _POLICY_THRESHOLD_MAX; k++)
                        if (set[k])
                                t.origins[k] = (PolicyOrigin) { .file = c->path, .line = line_of(set[k]) };
                thresholds_check_order(c->p, c->path, &t, c->errors);
                c->n_errors += (unsigned) (c->errors->n - n0);
                return;
        }
        if (!c->apply)
                return;
        if (!holds) {
                ctx_note(c, "%s:%u: thresholds do not apply: %s", c->path, line_of(s), why);
                return;
        }

        PolicyOrigin origins[_POLICY_THRESHOLD_MAX];
        memcpy(origins, c->p->thresholds.origins, sizeof(origins));
        for (size_t k = 0; k < _POLICY_THRESHOLD_MAX; k++)
                if (set[k]) {
                        origins[k] = ctx_origin(c, set[k]);
                        t.origin = origins[k];
                }
        memcpy(t.origins, origins, sizeof(origins));
        c->p->thresholds = t;
}

/* ---- a whole file -------------------------------------------------------------------------- */

static const char *const top_keys[] = { "policy", "when", "tunables", "thresholds", "processes", NULL };

/* Parses text (NUL-terminated) with libconfig, validates it, and applies what
 * holds on the host to p. Errors go to errors. Returns 0 or -ENOMEM. */
int file_apply(Policy *p, const char *path, const char *text, const HostInfo *host, PolicyErrors *errors) {
        Ctx c = {
                .p = p,
                .host = host,
                .path = path,
                .errors = errors,
                .apply = true,
        };
        const config_setting_t *root, *w;
        config_t cfg;
        char why[256];
        bool holds = true;

        config_init(&cfg);
        if (!config_read_string(&cfg, text)) {
                ctx_error(&c, (unsigned) MAX(config_error_line(&cfg), 0), NULL, "%s",
                          config_error_text(&cfg) ?: "syntax error");
                config_destroy(&cfg);
                return c.oom ? -ENOMEM : 0;
        }

        root = config_root_setting(&cfg);
        w = config_setting_get_member(root, "when");
        if (w && !parse_when(&c, w, NULL, &holds, why, sizeof(why)))
                holds = false;
        if (!holds) {
                c.apply = false;
                if (c.n_errors == 0)
                        ctx_note(&c, "%s: skipped: %s", path, why);
        } else if (strv_push(&p->files, &p->n_files, strdup(path)) < 0)
                c.oom = true;
        else
                c.origin_file = p->files[p->n_files - 1];

        for (int i = 0;
             !c.oom && c.n_errors <= POLICY_ERRORS_PER_FILE_MAX && i < config_setting_length(root); i++) {
                const config_setting_t *s = config_setting_get_elem(root, (unsigned) i);

                switch (key_index(config_setting_name(s), top_keys)) {
                case 0: parse_policy_section(&c, s); break;
                case 1: break;
                case 2: parse_tunables_section(&c, s); break;
                case 3: parse_thresholds_section(&c, s); break;
                case 4: parse_processes_section(&c, s); break;
                default: unknown_key(&c, s, NULL, "section", top_keys);
                }
        }

        config_destroy(&cfg);
        ctx_done(&c);
        return c.oom ? -ENOMEM : 0;
}
