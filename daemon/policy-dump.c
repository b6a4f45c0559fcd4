/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memtuned --check --dump: the effective policy in policy syntax. */

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"
#include "units.h"

/* ---- --dump ------------------------------------------------------------------------------------------ */

/* Returns s as a libconfig string literal, quotes included (malloc'ed), or
 * NULL on ENOMEM. */
static char *escape_string(const char *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                switch (*p) {
                case '"': fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\t': fputs("\\t", f); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\x%02x", *p);
                        else
                                fputc(*p, f);
                }
        fputc('"', f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

#define DUMP_COMMENT_COLUMN 48

/* Writes one line: the formatted text, then "# FILE:LINE" (or "# built-in
 * default") aligned at DUMP_COMMENT_COLUMN, and extra after a comma. */
static _printf_(4, 5) void dump_line(FILE *f, PolicyOrigin o, const char *extra, const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0) {
                text = NULL;
                return;
        }
        fprintf(f, "%s%*s# %s%s%s\n", text, MAX(DUMP_COMMENT_COLUMN - n, 1), "", ORIGIN(o),
                extra ? ", " : "", extra ?: "");
}

static const char *format_double(char *buf, size_t size, double v) {
        snprintf(buf, size, "%.15g", v);
        if (!strpbrk(buf, ".eEni"))
                strncat(buf, ".0", size - strlen(buf) - 1);
        return buf;
}

static void dump_tunable_value(FILE *f, TunableId id, const char *key, uint64_t v, PolicyOrigin o) {
        dump_line(f, o, id == TUNABLE_MIN_FREE_KBYTES ? FORMAT_SIZE(v) : NULL,
                  "                %s = %" PRIu64 ";", key, v);
}

static void dump_match_string(FILE *f, const char *key, const char *v) {
        _cleanup_free_ char *e = NULL;

        if (!v)
                return;
        e = escape_string(v);
        fprintf(f, "                        %s = %s;\n", key, e ?: "\"\"");
}

/* The header: the files that applied, what did not, the warnings. */
static void dump_header(const Policy *p, FILE *f) {
        fputs("# The effective memtuned policy.\n", f);
        if (p->n_files == 0)
                fputs("# No policy file applied: these are the built-in defaults.\n", f);
        else {
                fputs("# Files, in the order they applied:\n", f);
                for (size_t i = 0; i < p->n_files; i++)
                        fprintf(f, "#   %s\n", p->files[i]);
        }
        if (p->n_notes > 0) {
                fputs("# Not applied:\n", f);
                for (size_t i = 0; i < p->n_notes; i++)
                        fprintf(f, "#   %s\n", p->notes[i]);
        }

        if (p->n_warnings > 0) {
                fputs("# Warnings:\n", f);
                for (size_t i = 0; i < p->n_warnings; i++)
                        fprintf(f, "#   %s\n", p->warnings[i]);
        }
}

static void dump_policy_section(const Policy *p, FILE *f) {
        fputs("\npolicy: {\n", f);
        {
                _cleanup_free_ char *name = escape_string(p->name);
                dump_line(f, p->name_origin, NULL, "        name = %s;", name ?: "\"\"");
        }
        if (p->description) {
                _cleanup_free_ char *d = escape_string(p->description);
                dump_line(f, p->description_origin, NULL, "        description = %s;", d ?: "\"\"");
        }
        dump_line(f, p->mode_origin, NULL, "        mode = \"%s\";", policy_mode_to_string(p->mode));
        fputs("};\n", f);
}

static void dump_tunables(const Policy *p, FILE *f) {
        fputs("\ntunables: {\n", f);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunablePolicy *tp = &p->tunables[id];

                fprintf(f, "        %s: {\n", tunable_info(id)->name);
                dump_line(f, tp->origin, NULL, "                mode = \"%s\";",
                          tunable_mode_to_string(tp->mode));
                if (tp->mode == TUNABLE_MODE_FIXED)
                        dump_tunable_value(f, id, "value", tp->value, tp->value_origin);
                else if (tp->mode == TUNABLE_MODE_ADAPTIVE) {
                        dump_tunable_value(f, id, "min", tp->min, tp->min_origin);
                        dump_tunable_value(f, id, "max", tp->max, tp->max_origin);
                } else if (tp->mode == TUNABLE_MODE_BY_SWAP_CLASS) {
                        const SwapClassTable *ct = &p->swap_classes;

                        fputs("                classes: {\n", f);
                        for (SwapClass cl = SWAP_CLASS_NONE + 1; cl < _SWAP_CLASS_MAX; cl++)
                                dump_line(f, ct->origins[cl], NULL,
                                          "                        %s = %" PRIu64 ";",
                                          swap_class_to_string(cl), ct->value[cl]);
                        fputs("                };\n", f);
                        dump_tunable_value(f, id, "correction", ct->correction, ct->correction_origin);
                }
                /* Only where a file says it: the default needs no line. */
                if (tp->take_over_origin.file)
                        dump_line(f, tp->take_over_origin, NULL, "                take_over = %s;",
                                  tp->take_over ? "true" : "false");
                fputs("        };\n", f);
        }
        fputs("};\n", f);
}

static const char *format_quoted_duration(char *buf, size_t size, uint64_t usec) {
        snprintf(buf, size, "\"%s\"", FORMAT_DURATION(usec));
        return buf;
}

/* Threshold k's value in policy syntax. */
static const char *format_threshold(const PolicyThresholds *t, PolicyThreshold k, char *buf, size_t size) {
        switch (k) {
        case POLICY_THRESHOLD_DIRECT_RECLAIM_PAGES_PER_S:
                return format_double(buf, size, t->direct_reclaim_pages_per_s);
        case POLICY_THRESHOLD_ALLOCSTALL_PER_S: return format_double(buf, size, t->allocstall_per_s);
        case POLICY_THRESHOLD_PSI_SOME_LOW: return format_centi(buf, size, t->psi_some_low);
        case POLICY_THRESHOLD_PSI_SOME_MEDIUM: return format_centi(buf, size, t->psi_some_medium);
        case POLICY_THRESHOLD_PSI_SOME_CRITICAL: return format_centi(buf, size, t->psi_some_critical);
        case POLICY_THRESHOLD_PSI_FULL_CRITICAL: return format_centi(buf, size, t->psi_full_critical);
        case POLICY_THRESHOLD_WINDOW: return format_quoted_duration(buf, size, t->window_usec);
        case POLICY_THRESHOLD_CALM: return format_quoted_duration(buf, size, t->calm_usec);
        case POLICY_THRESHOLD_COOLDOWN: return format_quoted_duration(buf, size, t->cooldown_usec);
        case POLICY_THRESHOLD_STEP_FACTOR: return format_double(buf, size, t->step_factor);
        case POLICY_THRESHOLD_MAX_RESERVE_RAM_PERCENT:
                return format_double(buf, size, t->max_reserve_ram_percent);
        case POLICY_THRESHOLD_MAX_RESERVE: snprintf(buf, size, "%" PRIu64, t->max_reserve_kb); return buf;
        case POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN:
                return format_quoted_duration(buf, size, t->sample_interval_min_usec);
        case POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX:
                return format_quoted_duration(buf, size, t->sample_interval_max_usec);
        default: buf[0] = 0; return buf;
        }
}

static void dump_thresholds(const Policy *p, FILE *f) {
        char value[64];

        fputs("\nthresholds: {\n", f);
        for (PolicyThreshold k = 0; k < _POLICY_THRESHOLD_MAX; k++)
                dump_line(f, p->thresholds.origins[k], NULL, "        %s = %s;", threshold_keys[k],
                          format_threshold(&p->thresholds, k, value, sizeof(value)));
        fputs("};\n", f);
}

static void dump_rule(const ProcessRule *r, bool first, FILE *f) {
        const ProcessMatch *m = &r->match;
        _cleanup_free_ char *name = escape_string(r->name);

        fprintf(f, "%s\n        { # %s\n", first ? "" : ",", ORIGIN(r->origin));
        fprintf(f, "                name = %s;\n", name ?: "\"\"");
        fputs("                match: {\n", f);
        dump_match_string(f, "comm", m->comm);
        dump_match_string(f, "exe", m->exe);
        dump_match_string(f, "cmdline", m->cmdline);
        if (m->user)
                dump_match_string(f, "user", m->user);
        else if (m->has_uid)
                fprintf(f, "                        uid = %" PRIu32 "%s;\n", (uint32_t) m->uid,
                        m->uid > INT32_MAX ? "L" : "");
        dump_match_string(f, "cgroup", m->cgroup);
        dump_match_string(f, "unit", m->unit);
        fputs("                };\n", f);
        fprintf(f, "                oom_score_adj = %d;\n", r->oom_score_adj);
        fprintf(f, "                reset_children = %s;\n", r->reset_children ? "true" : "false");
        if (r->kubepods)
                fputs("                kubepods = true;\n", f);
        fputs("        }", f);
}

static void dump_rules(const Policy *p, FILE *f) {
        fputs("\nprocesses: (", f);
        for (size_t i = 0; i < p->n_rules; i++)
                dump_rule(&p->rules[i], i == 0, f);
        fputs(p->n_rules > 0 ? "\n);\n" : ");\n", f);
}

void policy_dump(const Policy *p, FILE *f) {
        dump_header(p, f);
        dump_policy_section(p, f);
        dump_tunables(p, f);
        dump_thresholds(p, f);
        dump_rules(p, f);
}
