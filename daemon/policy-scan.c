/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy loader's groundwork: near misses for unknown keys, the load
 * context and its messages, the pre-scan of raw text, typed access to
 * libconfig settings, fnmatch() globs. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"
#include "units.h"

/* ---- near misses ------------------------------------------------------------------ */

#define SUGGEST_LEN_MAX 64

static unsigned levenshtein(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[SUGGEST_LEN_MAX + 1];

        if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX)
                return UINT_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];

                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned cost =
                                tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]);

                        row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
                        diag = up;
                }
        }
        return row[lb];
}

/* Names that people reach for, from other tools and from early drafts. */
static const struct {
        const char *wrong, *right;
} aliases[] = {
        { "triggers", "thresholds" },
        { "rules", "processes" },
        { "process", "processes" },
        { "oom_adj", "oom_score_adj" },
        { "oom_score", "oom_score_adj" },
        { "regex", "cmdline" },
        { "path", "exe" },
        { "username", "user" },
        { "conditions", "when" },
        { "condition", "when" },
        { "if", "when" },
        { "max_ram_percent", "thresholds.max_reserve_ram_percent" },
};

/* Returns the best candidate within distance 2 (shorter keys need a closer
 * match), or NULL. candidates ends with NULL. */
const char *suggest(const char *key, const char *const *candidates) {
        const char *best = NULL;
        unsigned best_d = UINT_MAX;

        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (strcmp(key, aliases[i].wrong) == 0)
                        return aliases[i].right;

        for (size_t i = 0; candidates[i]; i++) {
                unsigned d = levenshtein(key, candidates[i]);
                if (d < best_d) {
                        best_d = d;
                        best = candidates[i];
                }
        }
        if (best_d <= 2 && best_d < strlen(key) / 2 + 1)
                return best;
        return NULL;
}

/* ---- the load context ----------------------------------------------------------- */

void ctx_done(Ctx *c) {
        for (size_t i = 0; i < c->n_seen; i++)
                free(c->seen[i].name);
        free(c->seen);
        c->seen = NULL;
        c->n_seen = 0;
}

_printf_(4, 0) void ctx_verror(Ctx *c, unsigned line, const char *where, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL;
        char *full;

        if (c->n_errors >= POLICY_ERRORS_PER_FILE_MAX) {
                if (c->n_errors++ == POLICY_ERRORS_PER_FILE_MAX &&
                    strv_push(&c->errors->messages, &c->errors->n,
                              format("%s: too many errors, the rest are not shown", c->path)) < 0)
                        c->oom = true;
                return;
        }
        c->n_errors++;

        msg = vformat(fmt, ap);
        if (!msg) {
                c->oom = true;
                return;
        }
        if (line > 0)
                full = format("%s:%u: %s%s%s", c->path, line, where ?: "", where ? ": " : "", msg);
        else
                full = format("%s: %s%s%s", c->path, where ?: "", where ? ": " : "", msg);
        if (strv_push(&c->errors->messages, &c->errors->n, full) < 0)
                c->oom = true;
}

_printf_(4, 5) void ctx_error(Ctx *c, unsigned line, const char *where, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        ctx_verror(c, line, where, fmt, ap);
        va_end(ap);
}

_printf_(2, 3) void ctx_note(Ctx *c, const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vformat(fmt, ap);
        va_end(ap);
        if (strv_push(&c->p->notes, &c->p->n_notes, s) < 0)
                c->oom = true;
}

PolicyOrigin ctx_origin(const Ctx *c, const config_setting_t *s) {
        return (PolicyOrigin) { .file = c->origin_file, .line = config_setting_source_line(s) };
}

unsigned line_of(const config_setting_t *s) {
        return config_setting_source_line(s);
}

/* ---- the pre-scan ------------------------------------------------------------------ */

static bool is_name_start(char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '*';
}

static bool is_name_char(char ch) {
        return is_name_start(ch) || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

bool is_digit(char ch) {
        return ch >= '0' && ch <= '9';
}

/* Checks an integer literal [s, e) (sign, digits or hex, maybe an L suffix)
 * the way libconfig 1.5 as Debian ships it reads it: without L, a value that
 * does not fit in 32 bits is silently truncated (4294967296 reads as 0), so it
 * is refused here. */
static void prescan_integer(Ctx *c, unsigned line, const char *s, const char *e, bool hex, bool wide) {
        char text[48];
        const char *p = s;
        bool neg = false;
        uint64_t v = 0, limit;
        bool overflow = false;

        snprintf(text, sizeof(text), "%.*s%s", (int) MIN((size_t) (e - s), (size_t) 40), s,
                 (size_t) (e - s) > 40 ? "..." : "");

        if (*p == '-' || *p == '+')
                neg = *p++ == '-';
        if (hex)
                p += 2;
        for (; p < e && *p != 'L'; p++) {
                unsigned d = is_digit(*p) ? (unsigned) (*p - '0')
                                          : (unsigned) (tolower((unsigned char) *p) - 'a' + 10);
                if (__builtin_mul_overflow(v, hex ? 16u : 10u, &v) || __builtin_add_overflow(v, d, &v))
                        overflow = true;
        }

        if (wide) {
                limit = hex ? UINT64_MAX : neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
                if (overflow || v > limit)
                        ctx_error(c, line, NULL, "integer %s does not fit in 64 bits", text);
                return;
        }

        limit = hex ? (uint64_t) INT32_MAX : neg ? (uint64_t) INT32_MAX + 1 : (uint64_t) INT32_MAX;
        if (overflow || v > limit)
                ctx_error(c, line, NULL,
                          "integer %s is out of range: without an L suffix integers must lie within %d..%d",
                          text, INT32_MIN, INT32_MAX);
}

/* Walks the text with libconfig's lexical rules (comments, strings, names,
 * numbers) and reports what libconfig must never see. */
void prescan(Ctx *c, const char *text, size_t len) {
        enum {
                INITIAL,
                COMMENT,
                STRING
        } state = INITIAL;
        const char *p = text, *end = text + len;
        unsigned line = 1;
        bool bol = true; /* only blanks since the line began */

        const char *nul = memchr(text, 0, len);
        if (nul) {
                for (const char *q = text; q < nul; q++)
                        line += *q == '\n';
                ctx_error(c, line, NULL, "the file contains a NUL byte: policy files are text");
                return;
        }

        while (p < end) {
                char ch = *p;

                switch (state) {
                case COMMENT:
                        if (ch == '*' && p + 1 < end && p[1] == '/') {
                                state = INITIAL;
                                p += 2;
                                continue;
                        }
                        line += ch == '\n';
                        p++;
                        continue;

                case STRING:
                        if (ch == '\\' && p + 1 < end) {
                                line += p[1] == '\n';
                                p += 2;
                                continue;
                        }
                        if (ch == '"')
                                state = INITIAL;
                        line += ch == '\n';
                        p++;
                        continue;

                case INITIAL: break;
                }

                if (ch == '\n') {
                        line++;
                        bol = true;
                        p++;
                        continue;
                }
                if (ch == ' ' || ch == '\t') {
                        p++;
                        continue;
                }
                if (bol && ch == '@' && (size_t) (end - p) >= 8 && memcmp(p, "@include", 8) == 0) {
                        ctx_error(c, line, NULL,
                                  "@include is not allowed: a policy file must be self-contained");
                        while (p < end && *p != '\n')
                                p++;
                        continue;
                }
                bol = false;

                if (ch == '"') {
                        state = STRING;
                        p++;
                } else if (ch == '#' || (ch == '/' && p + 1 < end && p[1] == '/')) {
                        while (p < end && *p != '\n')
                                p++;
                } else if (ch == '/' && p + 1 < end && p[1] == '*') {
                        state = COMMENT;
                        p += 2;
                } else if (is_name_start(ch)) {
                        while (p < end && is_name_char(*p))
                                p++;
                } else if (is_digit(ch) || ch == '.' ||
                           ((ch == '-' || ch == '+') && p + 1 < end && (is_digit(p[1]) || p[1] == '.'))) {
                        const char *s = p, *q = p;
                        bool hex = false, wide = false;

                        if (*q == '-' || *q == '+')
                                q++;
                        if (q == p && q + 2 < end && q[0] == '0' && (q[1] == 'x' || q[1] == 'X') &&
                            isxdigit((unsigned char) q[2])) {
                                hex = true;
                                q += 2;
                                while (q < end && isxdigit((unsigned char) *q))
                                        q++;
                        } else {
                                while (q < end && is_digit(*q))
                                        q++;
                                bool exp = q < end && (*q == 'e' || *q == 'E') &&
                                           ((q + 1 < end && is_digit(q[1])) ||
                                            (q + 2 < end && (q[1] == '-' || q[1] == '+') && is_digit(q[2])));
                                if ((q < end && *q == '.') || exp) {
                                        /* A float: libconfig reads it with atof(), no truncation. */
                                        if (q < end && *q == '.')
                                                for (q++; q < end && is_digit(*q); q++)
                                                        ;
                                        if (q < end && (*q == 'e' || *q == 'E')) {
                                                const char *x = q + 1;
                                                if (x < end && (*x == '-' || *x == '+'))
                                                        x++;
                                                if (x < end && is_digit(*x)) {
                                                        for (q = x; q < end && is_digit(*q); q++)
                                                                ;
                                                }
                                        }
                                        p = q;
                                        continue;
                                }
                        }
                        if (q < end && *q == 'L') {
                                wide = true;
                                q++;
                                if (q < end && *q == 'L')
                                        q++;
                        }
                        prescan_integer(c, line, s, q, hex, wide);
                        p = q;
                } else
                        p++;
        }
}

/* ---- typed access to settings ---------------------------------------------------- */

const char *describe(const config_setting_t *s, char *buf, size_t size) {
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64: snprintf(buf, size, "the integer %lld", config_setting_get_int64(s)); break;
        case CONFIG_TYPE_FLOAT: snprintf(buf, size, "the number %g", config_setting_get_float(s)); break;
        case CONFIG_TYPE_STRING:
                snprintf(buf, size, "the string %s", QUOTED(config_setting_get_string(s)));
                break;
        case CONFIG_TYPE_BOOL:
                snprintf(buf, size, "%s", config_setting_get_bool(s) ? "true" : "false");
                break;
        case CONFIG_TYPE_GROUP: snprintf(buf, size, "a group { ... }"); break;
        case CONFIG_TYPE_ARRAY: snprintf(buf, size, "an array [ ... ]"); break;
        case CONFIG_TYPE_LIST: snprintf(buf, size, "a list ( ... )"); break;
        default: snprintf(buf, size, "something else");
        }
        return buf;
}

bool get_int(Ctx *c, const config_setting_t *s, const char *where, int64_t lo, int64_t hi, int64_t *ret) {
        int64_t v;

        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
                ctx_error(c, line_of(s), where, "expected an integer, got %s", DESCRIBE(s));
                return false;
        }
        v = config_setting_get_int64(s);
        if (v < lo || v > hi) {
                ctx_error(c, line_of(s), where, "%" PRIi64 " is out of range %" PRIi64 "..%" PRIi64, v, lo,
                          hi);
                return false;
        }
        *ret = v;
        return true;
}

/* A number (integer or decimal) in (lo, hi] when lo_open, else [lo, hi]. */
bool get_number(Ctx *c, const config_setting_t *s, const char *where, double lo, bool lo_open, double hi,
                double *ret) {
        double v;

        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64: v = (double) config_setting_get_int64(s); break;
        case CONFIG_TYPE_FLOAT: v = config_setting_get_float(s); break;
        default: ctx_error(c, line_of(s), where, "expected a number, got %s", DESCRIBE(s)); return false;
        }
        if (!isfinite(v) || (lo_open ? v <= lo : v < lo) || v > hi) {
                ctx_error(c, line_of(s), where, "%g is out of range: it must be %s %g and at most %g", v,
                          lo_open ? "above" : "at least", lo, hi);
                return false;
        }
        *ret = v;
        return true;
}

bool get_bool(Ctx *c, const config_setting_t *s, const char *where, bool *ret) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                ctx_error(c, line_of(s), where, "expected true or false, got %s", DESCRIBE(s));
                return false;
        }
        *ret = config_setting_get_bool(s);
        return true;
}

bool get_string(Ctx *c, const config_setting_t *s, const char *where, const char **ret) {
        const char *v;

        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                ctx_error(c, line_of(s), where, "expected a string, got %s", DESCRIBE(s));
                return false;
        }
        v = config_setting_get_string(s);
        if (!v || !*v) {
                ctx_error(c, line_of(s), where, "must not be empty");
                return false;
        }
        *ret = v;
        return true;
}

bool check_group(Ctx *c, const config_setting_t *s, const char *where) {
        if (!config_setting_is_group(s)) {
                ctx_error(c, line_of(s), where, "expected a group { ... }, got %s", DESCRIBE(s));
                return false;
        }
        return true;
}

void unknown_key(Ctx *c, const config_setting_t *s, const char *where, const char *what,
                 const char *const *candidates) {
        const char *name = config_setting_name(s) ?: "";
        const char *hint = suggest(name, candidates);

        if (hint)
                ctx_error(c, line_of(s), where, "unknown %s %s; did you mean \"%s\"?", what, QUOTED(name),
                          hint);
        else
                ctx_error(c, line_of(s), where, "unknown %s %s", what, QUOTED(name));
}

/* Returns the index of name in the NULL-terminated keys, or -1. */
int key_index(const char *name, const char *const *keys) {
        for (int i = 0; keys[i]; i++)
                if (strcmp(name, keys[i]) == 0)
                        return i;
        return -1;
}

/* A size for min_free_kbytes or a RAM condition: an integer in kB, or a string
 * with a unit or (when allowed) a percentage of RAM. */
bool get_size(Ctx *c, const config_setting_t *s, const char *where, bool allow_percent, uint64_t *ret_kb) {
        const char *str;
        int64_t v;
        int r;

        if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
                /* The only way out of range is below 0: say so, not the int64 range. */
                if (config_setting_get_int64(s) < 0) {
                        ctx_error(c, line_of(s), where,
                                  "%lld is negative: a size is an integer in kB, at least 0",
                                  (long long) config_setting_get_int64(s));
                        return false;
                }
                if (!get_int(c, s, where, 0, INT64_MAX, &v))
                        return false;
                *ret_kb = (uint64_t) v;
                return true;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                ctx_error(c, line_of(s), where,
                          "expected a size such as \"64M\" or an integer in kB, got %s", DESCRIBE(s));
                return false;
        }
        str = config_setting_get_string(s);
        if (str[0] && str[strlen(str) - 1] == '%' && !allow_percent) {
                ctx_error(c, line_of(s), where,
                          "a percentage of RAM makes no sense here: use a size such as \"8G\"");
                return false;
        }
        r = parse_size(str, c->host->ram_kb, ret_kb);
        if (r == -ERANGE && str[0] && str[strlen(str) - 1] == '%')
                ctx_error(c, line_of(s), where,
                          "percentage %s is out of range: it must be above 0%% and at most 100%%",
                          QUOTED(str));
        else if (r == -ERANGE)
                ctx_error(c, line_of(s), where, "size %s is too large", QUOTED(str));
        else if (r < 0)
                ctx_error(c, line_of(s), where,
                          "invalid size %s: use a number with a unit K, M, G or T (\"64M\", \"1.5G\")%s",
                          QUOTED(str),
                          allow_percent ? ", a percentage of RAM (\"2%\"), or an integer in kB" : "");
        return r >= 0;
}

/* A duration: a string with a unit, or an integer number of seconds. */
bool get_duration(Ctx *c, const config_setting_t *s, const char *where, uint64_t lo, uint64_t hi,
                  uint64_t *ret) {
        uint64_t v;
        int r;

        if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
                int64_t secs = config_setting_get_int64(s);

                /* In the key's own bounds, not the range of the arithmetic. */
                if (secs < 0 || (uint64_t) secs > hi / USEC_PER_SEC) {
                        ctx_error(c, line_of(s), where, "%" PRIi64 "s is out of range %s..%s", secs,
                                  FORMAT_DURATION(lo), FORMAT_DURATION(hi));
                        return false;
                }
                v = (uint64_t) secs * USEC_PER_SEC;
        } else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
                const char *str = config_setting_get_string(s);
                r = parse_duration_full(str, &v);
                if (r == -ERANGE) {
                        ctx_error(c, line_of(s), where, "%s is out of range %s..%s", QUOTED(str),
                                  FORMAT_DURATION(lo), FORMAT_DURATION(hi));
                        return false;
                }
                if (r < 0) {
                        ctx_error(c, line_of(s), where,
                                  "invalid duration %s: use numbers with a unit us, ms, s, min, h or d "
                                  "(\"10s\", \"500ms\", \"1h30min\")",
                                  QUOTED(str));
                        return false;
                }
        } else {
                ctx_error(c, line_of(s), where, "expected a duration such as \"10s\", got %s", DESCRIBE(s));
                return false;
        }
        if (v < lo || v > hi) {
                ctx_error(c, line_of(s), where, "%s is out of range %s..%s", FORMAT_DURATION(v),
                          FORMAT_DURATION(lo), FORMAT_DURATION(hi));
                return false;
        }
        *ret = v;
        return true;
}

/* ---- globs ------------------------------------------------------------------------- */

bool glob_has_magic(const char *g) {
        return strpbrk(g, "*?[\\") != NULL;
}

/* Checks an fnmatch() pattern (flags 0). Returns NULL when it is well formed,
 * or what is wrong; stores the fewest characters a match has. */
const char *glob_check(const char *g, size_t *ret_min_len) {
        static const char *const classes[] = { "alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                               "lower", "print", "punct", "space", "upper", "xdigit" };
        size_t min_len = 0;

        for (const char *p = g; *p; p++) {
                switch (*p) {
                case '*': break;
                case '\\':
                        if (!p[1])
                                return "ends in a lone backslash";
                        p++;
                        min_len++;
                        break;
                case '[': {
                        const char *q = p + 1;

                        if (*q == '!' || *q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        for (; *q && *q != ']'; q++) {
                                if (q[0] == '[' && q[1] == ':') {
                                        const char *e = strstr(q + 2, ":]");
                                        bool known = false;

                                        if (!e)
                                                return "has an unterminated [: character class";
                                        for (size_t i = 0; i < ELEMENTSOF(classes); i++)
                                                if ((size_t) (e - q - 2) == strlen(classes[i]) &&
                                                    memcmp(q + 2, classes[i], strlen(classes[i])) == 0)
                                                        known = true;
                                        if (!known)
                                                return "names an unknown character class";
                                        q = e + 1;
                                }
                        }
                        if (!*q)
                                return "has an unterminated [ bracket expression";
                        p = q;
                        min_len++;
                        break;
                }
                default: min_len++;
                }
        }
        *ret_min_len = min_len;
        return NULL;
}

bool get_glob(Ctx *c, const config_setting_t *s, const char *where, const char **ret) {
        const char *g, *problem;
        size_t min_len;

        if (!get_string(c, s, where, &g))
                return false;
        problem = glob_check(g, &min_len);
        if (problem) {
                ctx_error(c, line_of(s), where, "invalid pattern %s: it %s", QUOTED(g), problem);
                return false;
        }
        *ret = g;
        return true;
}
