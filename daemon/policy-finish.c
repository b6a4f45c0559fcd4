/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The checks that need the merged policy of every file. */

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "policy-internal.h"
#include "units.h"

/* ---- checks across files ------------------------------------------------------------------- */

/* Orders origins by file (in application order; built-in defaults first),
 * then line. */
static int origin_cmp(const Policy *p, PolicyOrigin a, PolicyOrigin b) {
        ssize_t ia = -1, ib = -1;

        for (size_t i = 0; i < p->n_files; i++) {
                if (p->files[i] == a.file)
                        ia = (ssize_t) i;
                if (p->files[i] == b.file)
                        ib = (ssize_t) i;
        }
        if (ia != ib)
                return ia < ib ? -1 : 1;
        return a.line < b.line ? -1 : a.line > b.line ? 1 : 0;
}

const char *origin_string(char *buf, size_t size, PolicyOrigin o) {
        if (!o.file)
                snprintf(buf, size, "built-in default");
        else
                snprintf(buf, size, "%s:%u", o.file, o.line);
        return buf;
}

static _printf_(4, 5) void finish_error(PolicyErrors *errors, PolicyOrigin o, const char *where,
                                        const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = vformat(fmt, ap);
        va_end(ap);
        (void) strv_push(
                &errors->messages, &errors->n,
                format("%s:%u: %s: %s", o.file ?: "built-in policy", o.line, where, msg ?: "out of memory"));
}

/* The later of two origins. here names a file being read that is not in
 * p->files yet (a section with errors is never applied): what it sets comes
 * after everything else. */
static PolicyOrigin later_here(const Policy *p, const char *here, PolicyOrigin a, PolicyOrigin b) {
        bool ha = here && a.file == here, hb = here && b.file == here;

        if (ha && hb)
                return a.line >= b.line ? a : b;
        if (ha || hb)
                return ha ? a : b;
        return origin_cmp(p, a, b) >= 0 ? a : b;
}

void tunable_check_bounds(const Policy *p, const char *here, TunableId id, const TunablePolicy *t,
                          PolicyErrors *errors) {
        char where[64];

        if (t->min <= t->max)
                return;
        snprintf(where, sizeof(where), "tunables.%s", tunable_info(id)->name);
        if (id == TUNABLE_MIN_FREE_KBYTES)
                finish_error(errors, later_here(p, here, t->min_origin, t->max_origin), where,
                             "min (%s, %s) is above max (%s, %s)", FORMAT_SIZE(t->min),
                             ORIGIN(t->min_origin), FORMAT_SIZE(t->max), ORIGIN(t->max_origin));
        else
                finish_error(errors, later_here(p, here, t->min_origin, t->max_origin), where,
                             "min (%" PRIu64 ", %s) is above max (%" PRIu64 ", %s)", t->min,
                             ORIGIN(t->min_origin), t->max, ORIGIN(t->max_origin));
}

void thresholds_check_order(const Policy *p, const char *here, const PolicyThresholds *t,
                            PolicyErrors *errors) {
        const struct {
                PolicyThreshold a, b;
                uint32_t va, vb;
        } psi[] = {
                { POLICY_THRESHOLD_PSI_SOME_LOW, POLICY_THRESHOLD_PSI_SOME_MEDIUM, t->psi_some_low,
                  t->psi_some_medium },
                { POLICY_THRESHOLD_PSI_SOME_MEDIUM, POLICY_THRESHOLD_PSI_SOME_CRITICAL, t->psi_some_medium,
                  t->psi_some_critical },
        };

        for (size_t i = 0; i < ELEMENTSOF(psi); i++) {
                PolicyOrigin oa = t->origins[psi[i].a], ob = t->origins[psi[i].b];

                /* A section being read reports only what it takes part in. */
                if (here && oa.file != here && ob.file != here)
                        continue;
                if (psi[i].va >= psi[i].vb)
                        finish_error(errors, later_here(p, here, oa, ob), "thresholds",
                                     "%s (%s%%, %s) must be below %s (%s%%, %s)", threshold_keys[psi[i].a],
                                     FORMAT_CENTI(psi[i].va), ORIGIN(oa), threshold_keys[psi[i].b],
                                     FORMAT_CENTI(psi[i].vb), ORIGIN(ob));
        }

        PolicyOrigin omin = t->origins[POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN],
                     omax = t->origins[POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX];
        if ((!here || omin.file == here || omax.file == here) &&
            t->sample_interval_min_usec > t->sample_interval_max_usec)
                finish_error(errors, later_here(p, here, omin, omax), "thresholds",
                             "sample_interval_min (%s, %s) is above sample_interval_max (%s, %s)",
                             FORMAT_DURATION(t->sample_interval_min_usec), ORIGIN(omin),
                             FORMAT_DURATION(t->sample_interval_max_usec), ORIGIN(omax));
}

/* What no single file can check: bounds that meet across files, a mode whose
 * value comes from elsewhere. */
/* The engine never raises min_free_kbytes above max_reserve_ram_percent of
 * RAM (ENGINE_RESERVE_CAP_RAM_PERCENT, 5 %, the highest the thresholds
 * allow): a higher max is valid (a fleet's "1G" is above 5 % of a small
 * host's RAM) but does not do what it says, so say so. */
static void check_reserve_cap(Policy *p, const HostInfo *host) {
        const TunablePolicy *t = &p->tunables[TUNABLE_MIN_FREE_KBYTES];
        const PolicyThresholds *th = &p->thresholds;
        uint64_t cap_kb = (uint64_t) ((double) host->ram_kb * th->max_reserve_ram_percent / 100.0);

        if (t->mode != TUNABLE_MODE_ADAPTIVE || !t->max_origin.file || t->max <= cap_kb)
                return;
        (void) strv_push(
                &p->warnings, &p->n_warnings,
                format("%s:%u: warning: tunables.min_free_kbytes: max (%s) is above the reserve cap, %g%% "
                       "of RAM (%s; thresholds.max_reserve_ram_percent, %s): memtuned never raises "
                       "min_free_kbytes past the cap",
                       t->max_origin.file, t->max_origin.line, FORMAT_SIZE(t->max),
                       th->max_reserve_ram_percent, FORMAT_SIZE(cap_kb),
                       ORIGIN(th->origins[POLICY_THRESHOLD_MAX_RESERVE_RAM_PERCENT])));
}

void policy_finish(Policy *p, const HostInfo *host, PolicyErrors *errors) {
        char where[64];

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                TunablePolicy *t = &p->tunables[id];
                const char *mode = tunable_mode_to_string(t->mode);

                snprintf(where, sizeof(where), "tunables.%s", tunable_info(id)->name);

                /* A key set after the mode was decided, that the mode ignores. */
                if (t->mode != TUNABLE_MODE_FIXED && t->value_origin.file &&
                    origin_cmp(p, t->value_origin, t->origin) > 0)
                        finish_error(errors, t->value_origin, where,
                                     "value has no effect: the mode is \"%s\" (%s); set mode = \"fixed\"",
                                     mode, ORIGIN(t->origin));
                if (t->mode != TUNABLE_MODE_ADAPTIVE && t->min_origin.file &&
                    origin_cmp(p, t->min_origin, t->origin) > 0)
                        finish_error(errors, t->min_origin, where,
                                     "min has no effect: the mode is \"%s\" (%s); set mode = \"adaptive\"",
                                     mode, ORIGIN(t->origin));
                if (t->mode != TUNABLE_MODE_ADAPTIVE && t->max_origin.file &&
                    origin_cmp(p, t->max_origin, t->origin) > 0)
                        finish_error(errors, t->max_origin, where,
                                     "max has no effect: the mode is \"%s\" (%s); set mode = \"adaptive\"",
                                     mode, ORIGIN(t->origin));

                switch (t->mode) {
                case TUNABLE_MODE_FIXED:
                        if (!t->value_origin.file)
                                finish_error(errors, t->origin, where, "mode \"fixed\" needs a value");
                        break;
                case TUNABLE_MODE_ADAPTIVE:
                        if (!t->max_origin.file) {
                                finish_error(errors, t->origin, where,
                                             "mode \"adaptive\" needs max, the upper bound");
                                break;
                        }
                        if (!t->min_origin.file)
                                t->min = tunable_floor(id);
                        tunable_check_bounds(p, NULL, id, t, errors);
                        break;
                default: break;
                }
        }

        thresholds_check_order(p, NULL, &p->thresholds, errors);
        check_reserve_cap(p, host);
}
