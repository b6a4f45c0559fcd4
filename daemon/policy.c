/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy loader: layered directories of libconfig files, validated into one
 * Policy. The only module that knows libconfig.
 *
 * libconfig 1.5 (Debian 12) is not safe on hostile text: its flex scanner
 * calls exit() on some input (an "@include" of a directory), it leaks on
 * error paths, it does not check malloc(), and it silently truncates integer
 * literals beyond 32 bits. So each file is read into memory once, pre-scanned
 * here (NUL bytes, @include, integer literals), then parsed and validated in a
 * forked child under resource limits, and only when the child reports a clean
 * file does this process parse the same bytes with config_read_string(). */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libconfig.h>

#include "clock.h"
#include "macro.h"
#include "policy.h"
#include "units.h"

char *const policy_dirs_standard[POLICY_DIRS_STANDARD_N] = {
        POLICY_DIR_VENDOR,
        POLICY_DIR_RUNTIME,
        POLICY_DIR_ADMIN,
};

/* 256 MiB: the largest file (1 MiB) parses in under 30 MiB of libconfig
 * settings; the rest is room for glibc's regcomp(), whose automata grow fast
 * with nested repetition, before the child is stopped. 2 s of CPU: the largest
 * file parses and validates in well under 100 ms; 5 s of wall time covers a
 * loaded machine and a slow NSS lookup for user names. */
PolicyParseLimits policy_parse_limits = {
        .as_headroom_bytes = UINT64_C(256) * 1024 * 1024,
        .cpu_seconds = 2,
        .timeout_usec = 5 * USEC_PER_SEC,
        .skip_prescan = false,
};

/* ---- defaults ---------------------------------------------------------------- */

/* Each default, and why (memtuned.policy(5) repeats these):
 * - 1000 pages/s of pgscan_direct: 4 MB/s scanned by allocating tasks
 *   themselves. A host whose kswapd keeps up shows 0; sustained scanning at
 *   this rate means allocations stall every second.
 * - 10 allocstalls/s: each is a task that entered direct reclaim; single
 *   stalls are noise on a busy host, ten a second for a whole window are not.
 * - PSI some avg10 5/10/20 %: at 5 % tasks lose a twentieth of their time to
 *   memory stalls, which latency-sensitive services notice; 20 % is where
 *   interactive use degrades visibly. full avg10 10 %: a tenth of the time no
 *   task made progress.
 * - window 10 s: the horizon of PSI's avg10, and long enough that a single
 *   burst (a fork storm, a cache drop) does not count as trouble.
 * - calm 10 min: step back down only after a long quiet period, so that a
 *   workload with minute-scale phases does not make the reserve oscillate.
 * - cooldown 30 s: three windows, the time a step needs to show in kswapd's
 *   work and in avg10 before the next one is judged.
 * - step factor 1.25: four steps give 2.4x; one step never takes a visible
 *   share of usable memory.
 * - max reserve 5 % of RAM: vendor guidance (Red Hat, SUSE) warns that
 *   min_free_kbytes above 5 % of RAM causes OOM kills; the kernel's own
 *   auto-tuning stops at 256 MiB. No absolute max_reserve: the percentage
 *   already scales with the machine; a policy may add one.
 * - sampling 1 s when busy, 60 s when calm: rates need a few samples per
 *   window; a calm host should cost nothing. */
static const PolicyThresholds thresholds_default = {
        .direct_reclaim_pages_per_s = 1000,
        .allocstall_per_s = 10,
        .psi_some_low = 500,
        .psi_some_medium = 1000,
        .psi_some_critical = 2000,
        .psi_full_critical = 1000,
        .window_usec = 10 * USEC_PER_SEC,
        .calm_usec = 600 * USEC_PER_SEC,
        .cooldown_usec = 30 * USEC_PER_SEC,
        .step_factor = 1.25,
        .max_reserve_ram_percent = 5.0,
        .sample_interval_min_usec = 1 * USEC_PER_SEC,
        .sample_interval_max_usec = 60 * USEC_PER_SEC,
};

/* The kernel computes min_free_kbytes itself with a floor of 128 kB
 * (mm/page_alloc.c, init_per_zone_wmark_min); below that atomic allocations
 * in interrupts start to fail. Policies may not go lower. */
#define MIN_FREE_KBYTES_FLOOR 128u

static const char *const policy_mode_table[_POLICY_MODE_MAX] = {
        [POLICY_MODE_ENFORCE] = "enforce",
        [POLICY_MODE_OBSERVE] = "observe",
};

static const char *const tunable_mode_table[_TUNABLE_MODE_MAX] = {
        [TUNABLE_MODE_UNMANAGED] = "unmanaged",
        [TUNABLE_MODE_FIXED] = "fixed",
        [TUNABLE_MODE_ADAPTIVE] = "adaptive",
};

const char *policy_mode_to_string(PolicyMode m) {
        return m < _POLICY_MODE_MAX ? policy_mode_table[m] : NULL;
}

const char *tunable_mode_to_string(TunableMode m) {
        return m < _TUNABLE_MODE_MAX ? tunable_mode_table[m] : NULL;
}

/* ---- small helpers ------------------------------------------------------------- */

/* Makes room for element n (0-based) of the array a of n elements of size
 * bytes each: the array holds 8, then each power of two, and is realloc'ed
 * only when n reaches one of those. Growing it one element at a time made a
 * reload realloc() each array through every size from one element up, and
 * glibc parked the blocks of each size in its per-size caches, a few more
 * with every reload. Returns the array, moved or not, or NULL on ENOMEM (a
 * is then untouched). */
static void *array_grow(void *a, size_t n, size_t size) {
        size_t cap;

        if (n > 0 && (n < 8 || (n & (n - 1)) != 0))
                return a;
        cap = n == 0 ? 8 : n * 2;
        if (cap > SIZE_MAX / size)
                return NULL;
        return realloc(a, cap * size);
}

static int strv_push(char ***v, size_t *n, char *s) {
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = array_grow(*v, *n, sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        *v = nv;
        return 0;
}

static void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static _printf_(1, 0) char *vformat(const char *fmt, va_list ap) {
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return NULL;
        return s;
}

static _printf_(1, 2) char *format(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vformat(fmt, ap);
        va_end(ap);
        return s;
}

void policy_errors_free(PolicyErrors *e) {
        if (!e)
                return;
        strv_free(e->messages, e->n);
        e->messages = NULL;
        e->n = 0;
}

/* Quotes text for a message: in double quotes, control characters, quotes,
 * backslashes and non-ASCII bytes escaped, cut after QUOTE_CHARS_MAX
 * characters, so that no policy text can break a "FILE:LINE: message" line. */
#define QUOTE_CHARS_MAX 64
#define QUOTE_BUF_SIZE (2 + QUOTE_CHARS_MAX * 4 + 3 + 1)
static const char *quote(char *buf, const char *s) {
        size_t n = 0, i;

        buf[n++] = '"';
        for (i = 0; s[i] && i < QUOTE_CHARS_MAX; i++) {
                unsigned char ch = (unsigned char) s[i];

                if (ch == '"' || ch == '\\') {
                        buf[n++] = '\\';
                        buf[n++] = (char) ch;
                } else if (ch < 0x20 || ch >= 0x7f)
                        n += (size_t) snprintf(buf + n, 5, "\\x%02x", ch);
                else
                        buf[n++] = (char) ch;
        }
        if (s[i]) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n++] = '"';
        buf[n] = 0;
        return buf;
}
#define QUOTED(s) quote((char[QUOTE_BUF_SIZE]) {}, (s))

/* Hundredths of a percent as "5.00%". */
static const char *format_centi(char *buf, size_t size, uint32_t v) {
        snprintf(buf, size, "%" PRIu32 ".%02" PRIu32, v / 100, v % 100);
        return buf;
}
#define FORMAT_CENTI(v) format_centi((char[16]) {}, 16, (v))

/* ---- value parsers ---------------------------------------------------------------- */

/* Compares the host's version with a condition's on the parts the condition
 * gives: "5.15" matches every 5.15.x. Returns <0, 0, >0. */
static int kernel_version_compare(const unsigned host[3], const unsigned want[3], unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (host[i] != want[i])
                        return host[i] < want[i] ? -1 : 1;
        return 0;
}

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
                        unsigned cost = tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]);

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
static const char *suggest(const char *key, const char *const *candidates) {
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

typedef struct SeenRule {
        char *name;
        unsigned line;
} SeenRule;

/* One file being applied to the policy built so far. */
typedef struct Ctx {
        Policy *p;
        const HostInfo *host;
        const char *path;               /* as shown in messages */
        const char *origin_file;        /* path's copy in p->files, once the file applies */
        PolicyErrors *errors;
        unsigned n_errors;              /* in this file */
        bool apply;                     /* the file's conditions hold: commit what it says */
        bool oom;
        SeenRule *seen;                 /* rule names in this file, for duplicates */
        size_t n_seen;
} Ctx;

static void ctx_done(Ctx *c) {
        for (size_t i = 0; i < c->n_seen; i++)
                free(c->seen[i].name);
        free(c->seen);
        c->seen = NULL;
        c->n_seen = 0;
}

static _printf_(4, 0) void ctx_verror(Ctx *c, unsigned line, const char *where, const char *fmt, va_list ap) {
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

static _printf_(4, 5) void ctx_error(Ctx *c, unsigned line, const char *where, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        ctx_verror(c, line, where, fmt, ap);
        va_end(ap);
}

static _printf_(2, 3) void ctx_note(Ctx *c, const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vformat(fmt, ap);
        va_end(ap);
        if (strv_push(&c->p->notes, &c->p->n_notes, s) < 0)
                c->oom = true;
}

static PolicyOrigin ctx_origin(const Ctx *c, const config_setting_t *s) {
        return (PolicyOrigin) { .file = c->origin_file, .line = config_setting_source_line(s) };
}

static unsigned line_of(const config_setting_t *s) {
        return config_setting_source_line(s);
}

/* ---- the pre-scan ------------------------------------------------------------------ */

static bool is_name_start(char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '*';
}

static bool is_name_char(char ch) {
        return is_name_start(ch) || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

static bool is_digit(char ch) {
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
                unsigned d = is_digit(*p) ? (unsigned) (*p - '0') : (unsigned) (tolower((unsigned char) *p) - 'a' + 10);
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
static void prescan(Ctx *c, const char *text, size_t len) {
        enum { INITIAL, COMMENT, STRING } state = INITIAL;
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

                case INITIAL:
                        break;
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
                        ctx_error(c, line, NULL, "@include is not allowed: a policy file must be self-contained");
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

static const char *describe(const config_setting_t *s, char *buf, size_t size) {
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                snprintf(buf, size, "the integer %lld", config_setting_get_int64(s));
                break;
        case CONFIG_TYPE_FLOAT:
                snprintf(buf, size, "the number %g", config_setting_get_float(s));
                break;
        case CONFIG_TYPE_STRING:
                snprintf(buf, size, "the string %s", QUOTED(config_setting_get_string(s)));
                break;
        case CONFIG_TYPE_BOOL:
                snprintf(buf, size, "%s", config_setting_get_bool(s) ? "true" : "false");
                break;
        case CONFIG_TYPE_GROUP:
                snprintf(buf, size, "a group { ... }");
                break;
        case CONFIG_TYPE_ARRAY:
                snprintf(buf, size, "an array [ ... ]");
                break;
        case CONFIG_TYPE_LIST:
                snprintf(buf, size, "a list ( ... )");
                break;
        default:
                snprintf(buf, size, "something else");
        }
        return buf;
}
#define DESCRIBE(s) describe((s), (char[QUOTE_BUF_SIZE + 32]) {}, QUOTE_BUF_SIZE + 32)

static bool get_int(Ctx *c, const config_setting_t *s, const char *where, int64_t lo, int64_t hi, int64_t *ret) {
        int64_t v;

        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
                ctx_error(c, line_of(s), where, "expected an integer, got %s", DESCRIBE(s));
                return false;
        }
        v = config_setting_get_int64(s);
        if (v < lo || v > hi) {
                ctx_error(c, line_of(s), where, "%" PRIi64 " is out of range %" PRIi64 "..%" PRIi64, v, lo, hi);
                return false;
        }
        *ret = v;
        return true;
}

/* A number (integer or decimal) in (lo, hi] when lo_open, else [lo, hi]. */
static bool get_number(Ctx *c, const config_setting_t *s, const char *where, double lo, bool lo_open, double hi,
                       double *ret) {
        double v;

        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                v = (double) config_setting_get_int64(s);
                break;
        case CONFIG_TYPE_FLOAT:
                v = config_setting_get_float(s);
                break;
        default:
                ctx_error(c, line_of(s), where, "expected a number, got %s", DESCRIBE(s));
                return false;
        }
        if (!isfinite(v) || (lo_open ? v <= lo : v < lo) || v > hi) {
                ctx_error(c, line_of(s), where, "%g is out of range: it must be %s %g and at most %g", v,
                          lo_open ? "above" : "at least", lo, hi);
                return false;
        }
        *ret = v;
        return true;
}

static bool get_bool(Ctx *c, const config_setting_t *s, const char *where, bool *ret) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                ctx_error(c, line_of(s), where, "expected true or false, got %s", DESCRIBE(s));
                return false;
        }
        *ret = config_setting_get_bool(s);
        return true;
}

static bool get_string(Ctx *c, const config_setting_t *s, const char *where, const char **ret) {
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

static bool check_group(Ctx *c, const config_setting_t *s, const char *where) {
        if (!config_setting_is_group(s)) {
                ctx_error(c, line_of(s), where, "expected a group { ... }, got %s", DESCRIBE(s));
                return false;
        }
        return true;
}

static void unknown_key(Ctx *c, const config_setting_t *s, const char *where, const char *what,
                        const char *const *candidates) {
        const char *name = config_setting_name(s) ?: "";
        const char *hint = suggest(name, candidates);

        if (hint)
                ctx_error(c, line_of(s), where, "unknown %s %s; did you mean \"%s\"?", what, QUOTED(name), hint);
        else
                ctx_error(c, line_of(s), where, "unknown %s %s", what, QUOTED(name));
}

/* Returns the index of name in the NULL-terminated keys, or -1. */
static int key_index(const char *name, const char *const *keys) {
        for (int i = 0; keys[i]; i++)
                if (strcmp(name, keys[i]) == 0)
                        return i;
        return -1;
}

/* A size for min_free_kbytes or a RAM condition: an integer in kB, or a string
 * with a unit or (when allowed) a percentage of RAM. */
static bool get_size(Ctx *c, const config_setting_t *s, const char *where, bool allow_percent, uint64_t *ret_kb) {
        const char *str;
        int64_t v;
        int r;

        if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
                if (!get_int(c, s, where, 0, INT64_MAX, &v))
                        return false;
                *ret_kb = (uint64_t) v;
                return true;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                ctx_error(c, line_of(s), where, "expected a size such as \"64M\" or an integer in kB, got %s",
                          DESCRIBE(s));
                return false;
        }
        str = config_setting_get_string(s);
        if (str[0] && str[strlen(str) - 1] == '%' && !allow_percent) {
                ctx_error(c, line_of(s), where, "a percentage of RAM makes no sense here: use a size such as \"8G\"");
                return false;
        }
        r = parse_size(str, c->host->ram_kb, ret_kb);
        if (r == -ERANGE && str[0] && str[strlen(str) - 1] == '%')
                ctx_error(c, line_of(s), where, "percentage %s is out of range: it must be above 0%% and at most 100%%",
                          QUOTED(str));
        else if (r == -ERANGE)
                ctx_error(c, line_of(s), where, "size %s is too large", QUOTED(str));
        else if (r < 0)
                ctx_error(c, line_of(s), where,
                          "invalid size %s: use a number with a unit K, M, G or T (\"64M\", \"1.5G\")%s",
                          QUOTED(str), allow_percent ? ", a percentage of RAM (\"2%\"), or an integer in kB" : "");
        return r >= 0;
}

/* A duration: a string with a unit, or an integer number of seconds. */
static bool get_duration(Ctx *c, const config_setting_t *s, const char *where, uint64_t lo, uint64_t hi,
                         uint64_t *ret) {
        uint64_t v;
        int r;

        if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
                int64_t secs;
                if (!get_int(c, s, where, 0, INT64_MAX / (int64_t) USEC_PER_SEC, &secs))
                        return false;
                v = (uint64_t) secs * USEC_PER_SEC;
        } else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
                const char *str = config_setting_get_string(s);
                r = parse_duration(str, &v);
                if (r < 0) {
                        ctx_error(c, line_of(s), where,
                                  "invalid duration %s: use a number with a unit ms, s, min or h (\"10s\", \"500ms\")",
                                  QUOTED(str));
                        return false;
                }
        } else {
                ctx_error(c, line_of(s), where, "expected a duration such as \"10s\", got %s", DESCRIBE(s));
                return false;
        }
        if (v < lo || v > hi) {
                ctx_error(c, line_of(s), where, "%s is out of range %s..%s", FORMAT_DURATION(v), FORMAT_DURATION(lo),
                          FORMAT_DURATION(hi));
                return false;
        }
        *ret = v;
        return true;
}

/* ---- globs ------------------------------------------------------------------------- */

static bool glob_has_magic(const char *g) {
        return strpbrk(g, "*?[\\") != NULL;
}

/* Checks an fnmatch() pattern (flags 0). Returns NULL when it is well formed,
 * or what is wrong; stores the fewest characters a match has. */
static const char *glob_check(const char *g, size_t *ret_min_len) {
        static const char *const classes[] = { "alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                               "lower", "print", "punct", "space", "upper", "xdigit" };
        size_t min_len = 0;

        for (const char *p = g; *p; p++) {
                switch (*p) {
                case '*':
                        break;
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
                default:
                        min_len++;
                }
        }
        *ret_min_len = min_len;
        return NULL;
}

static bool get_glob(Ctx *c, const config_setting_t *s, const char *where, const char **ret) {
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

/* ---- conditions ---------------------------------------------------------------------- */

enum {
        WHEN_NUMA_NODES_MIN,
        WHEN_NUMA_NODES_MAX,
        WHEN_RAM_MIN,
        WHEN_RAM_MAX,
        WHEN_SWAP,
        WHEN_HOSTNAME,
        WHEN_KERNEL_MIN,
        WHEN_KERNEL_MAX,
        _WHEN_MAX,
};

static const char *const when_keys[_WHEN_MAX + 1] = {
        [WHEN_NUMA_NODES_MIN] = "numa_nodes_min",
        [WHEN_NUMA_NODES_MAX] = "numa_nodes_max",
        [WHEN_RAM_MIN] = "ram_min",
        [WHEN_RAM_MAX] = "ram_max",
        [WHEN_SWAP] = "swap",
        [WHEN_HOSTNAME] = "hostname",
        [WHEN_KERNEL_MIN] = "kernel_min",
        [WHEN_KERNEL_MAX] = "kernel_max",
};

/* 4096 nodes: the kernel's NODES_SHIFT is at most 10 (1024) on every
 * architecture Linux supports; a larger number is a typo. */
#define NUMA_NODES_MAX 4096

/* Validates the when group w (whose parent is at `parent`, NULL for the top
 * level) and evaluates it on the host. Returns false on errors; stores whether
 * every condition holds and, if not, the first that fails in words. */
static bool parse_when(Ctx *c, const config_setting_t *w, const char *parent, bool *ret_holds, char *why,
                       size_t why_size) {
        const config_setting_t *set[_WHEN_MAX] = {};
        int64_t nodes[2] = { 0, NUMA_NODES_MAX };
        uint64_t ram[2] = { 0, UINT64_MAX };
        unsigned kernel[2][3] = {}, kernel_n[2] = {};
        bool swap = false;
        const char *hostname = NULL;
        unsigned err0 = c->n_errors;
        char where[128], kw[160];

        snprintf(where, sizeof(where), "%s%swhen", parent ?: "", parent ? "." : "");
        *ret_holds = false;
        if (!check_group(c, w, where))
                return false;

        for (int i = 0; i < config_setting_length(w); i++) {
                const config_setting_t *m = config_setting_get_elem(w, (unsigned) i);
                int k = key_index(config_setting_name(m), when_keys);

                if (k < 0) {
                        unknown_key(c, m, where, "condition", when_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, when_keys[k]);
                set[k] = m;

                switch (k) {
                case WHEN_NUMA_NODES_MIN:
                case WHEN_NUMA_NODES_MAX:
                        if (!get_int(c, m, kw, 1, NUMA_NODES_MAX, &nodes[k - WHEN_NUMA_NODES_MIN]))
                                set[k] = NULL;
                        break;
                case WHEN_RAM_MIN:
                case WHEN_RAM_MAX:
                        if (!get_size(c, m, kw, false, &ram[k - WHEN_RAM_MIN]))
                                set[k] = NULL;
                        break;
                case WHEN_SWAP:
                        if (!get_bool(c, m, kw, &swap))
                                set[k] = NULL;
                        break;
                case WHEN_HOSTNAME:
                        if (!get_glob(c, m, kw, &hostname))
                                set[k] = NULL;
                        break;
                case WHEN_KERNEL_MIN:
                case WHEN_KERNEL_MAX: {
                        const char *v;
                        size_t j = (size_t) (k - WHEN_KERNEL_MIN);

                        if (!get_string(c, m, kw, &v)) {
                                set[k] = NULL;
                                break;
                        }
                        if (parse_kernel_version(v, kernel[j], &kernel_n[j]) < 0) {
                                ctx_error(c, line_of(m), kw,
                                          "invalid kernel version %s: use numbers such as \"5.15\" or \"6.1.0\"",
                                          QUOTED(v));
                                set[k] = NULL;
                        }
                        break;
                }
                }
        }

        if (set[WHEN_NUMA_NODES_MIN] && set[WHEN_NUMA_NODES_MAX] && nodes[0] > nodes[1])
                ctx_error(c, line_of(set[WHEN_NUMA_NODES_MAX]), where,
                          "numa_nodes_min (%" PRIi64 ") is above numa_nodes_max (%" PRIi64 "): no host matches",
                          nodes[0], nodes[1]);
        if (set[WHEN_RAM_MIN] && set[WHEN_RAM_MAX] && ram[0] > ram[1])
                ctx_error(c, line_of(set[WHEN_RAM_MAX]), where, "ram_min (%s) is above ram_max (%s): no host matches",
                          FORMAT_SIZE(ram[0]), FORMAT_SIZE(ram[1]));
        if (set[WHEN_KERNEL_MIN] && set[WHEN_KERNEL_MAX] &&
            kernel_version_compare(kernel[0], kernel[1], MIN(kernel_n[0], kernel_n[1])) > 0)
                ctx_error(c, line_of(set[WHEN_KERNEL_MAX]), where, "kernel_min is above kernel_max: no host matches");

        if (c->n_errors > err0)
                return false;

        const HostInfo *h = c->host;
        const unsigned *kv = h->kernel_version;
        why[0] = 0;
        if (set[WHEN_NUMA_NODES_MIN] && h->numa_nodes < nodes[0])
                snprintf(why, why_size, "needs at least %" PRIi64 " NUMA nodes, this host has %" PRIu32, nodes[0],
                         h->numa_nodes);
        else if (set[WHEN_NUMA_NODES_MAX] && h->numa_nodes > nodes[1])
                snprintf(why, why_size, "needs at most %" PRIi64 " NUMA nodes, this host has %" PRIu32, nodes[1],
                         h->numa_nodes);
        else if (set[WHEN_RAM_MIN] && h->ram_kb < ram[0])
                snprintf(why, why_size, "needs at least %s of RAM, this host has %s", FORMAT_SIZE(ram[0]),
                         FORMAT_SIZE(h->ram_kb));
        else if (set[WHEN_RAM_MAX] && h->ram_kb > ram[1])
                snprintf(why, why_size, "needs at most %s of RAM, this host has %s", FORMAT_SIZE(ram[1]),
                         FORMAT_SIZE(h->ram_kb));
        else if (set[WHEN_SWAP] && swap && h->swap_kb == 0)
                snprintf(why, why_size, "needs swap, this host has none");
        else if (set[WHEN_SWAP] && !swap && h->swap_kb > 0)
                snprintf(why, why_size, "needs a host without swap, this host has %s", FORMAT_SIZE(h->swap_kb));
        else if (set[WHEN_HOSTNAME] && fnmatch(hostname, h->hostname, FNM_CASEFOLD) != 0)
                snprintf(why, why_size, "hostname %s does not match %s", QUOTED(h->hostname), QUOTED(hostname));
        else if (set[WHEN_KERNEL_MIN] && kernel_version_compare(kv, kernel[0], kernel_n[0]) < 0)
                snprintf(why, why_size, "needs kernel %s or later, this host runs %u.%u.%u",
                         config_setting_get_string(set[WHEN_KERNEL_MIN]), kv[0], kv[1], kv[2]);
        else if (set[WHEN_KERNEL_MAX] && kernel_version_compare(kv, kernel[1], kernel_n[1]) > 0)
                snprintf(why, why_size, "needs kernel %s or earlier, this host runs %u.%u.%u",
                         config_setting_get_string(set[WHEN_KERNEL_MAX]), kv[0], kv[1], kv[2]);

        *ret_holds = why[0] == 0;
        return true;
}

/* Evaluates the optional "when" member of group s. Returns false on errors. */
static bool section_holds(Ctx *c, const config_setting_t *s, const char *where, bool *ret_holds, char *why,
                          size_t why_size) {
        const config_setting_t *w = config_setting_get_member(s, "when");

        if (!w) {
                *ret_holds = true;
                why[0] = 0;
                return true;
        }
        return parse_when(c, w, where, ret_holds, why, why_size);
}

/* ---- policy: { ... } ------------------------------------------------------------------- */

static const char *const policy_keys[] = { "name", "description", "mode", NULL };

#define POLICY_NAME_MAX 64
#define POLICY_DESCRIPTION_MAX 1024

static bool is_printable(const char *s, bool allow_utf8) {
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
                         i == 0 ? "" : i + 1 == n ? " or " : ", ", table[i]);
        {
                const char *cand[8] = {};
                for (size_t i = 0; i < n && i < ELEMENTSOF(cand) - 1; i++)
                        cand[i] = table[i];
                hint = suggest(v, cand);
        }
        if (hint)
                ctx_error(c, line_of(s), where, "%s is not a %s: use %s; did you mean \"%s\"?", QUOTED(v), what, list,
                          hint);
        else
                ctx_error(c, line_of(s), where, "%s is not a %s: use %s", QUOTED(v), what, list);
        return -1;
}

static void set_string(Ctx *c, char **field, const char *v) {
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
                                ctx_error(c, line_of(m), "policy.description",
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
                default:
                        unknown_key(c, m, "policy", "key", policy_keys);
                }
        }
}

/* ---- tunables: { ... } ------------------------------------------------------------------ */

static const char *const tunables_names[] = {
        "min_free_kbytes", "watermark_scale_factor", "swappiness", "zone_reclaim_mode", NULL,
};

enum {
        TKEY_MODE,
        TKEY_VALUE,
        TKEY_MIN,
        TKEY_MAX,
        TKEY_WHEN,
        _TKEY_MAX,
};

static const char *const tunable_keys[_TKEY_MAX + 1] = {
        [TKEY_MODE] = "mode", [TKEY_VALUE] = "value", [TKEY_MIN] = "min", [TKEY_MAX] = "max", [TKEY_WHEN] = "when",
};

/* The lowest value a policy may ask for. */
static uint64_t tunable_floor(TunableId id) {
        return id == TUNABLE_MIN_FREE_KBYTES ? MIN_FREE_KBYTES_FLOOR : tunable_info(id)->kernel_min;
}

static bool get_tunable_value(Ctx *c, TunableId id, const config_setting_t *s, const char *where, uint64_t *ret) {
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
        if (kb < MIN_FREE_KBYTES_FLOOR) {
                ctx_error(c, line_of(s), where, "%s is below %u kB, the least the kernel itself ever sets",
                          FORMAT_SIZE(kb), MIN_FREE_KBYTES_FLOOR);
                return false;
        }
        if (kb > info->kernel_max) {
                ctx_error(c, line_of(s), where, "%s is above the kernel's limit of %" PRIu64 " kB", FORMAT_SIZE(kb),
                          info->kernel_max);
                return false;
        }
        *ret = kb;
        return true;
}

static void parse_tunable(Ctx *c, TunableId id, const config_setting_t *s) {
        const config_setting_t *set[_TKEY_MAX] = {};
        uint64_t v[_TKEY_MAX] = {};
        int mode = -1;
        unsigned err0 = c->n_errors;
        bool holds;
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
                case TKEY_WHEN:
                        break;
                }
        }

        if (mode >= 0 && mode != TUNABLE_MODE_FIXED && set[TKEY_VALUE])
                ctx_error(c, line_of(set[TKEY_VALUE]), where, "value is used only with mode \"fixed\", not \"%s\"",
                          tunable_mode_table[mode]);
        for (int k = TKEY_MIN; k <= TKEY_MAX; k++)
                if (mode >= 0 && mode != TUNABLE_MODE_ADAPTIVE && set[k])
                        ctx_error(c, line_of(set[k]), where, "%s is used only with mode \"adaptive\", not \"%s\"",
                                  tunable_keys[k], tunable_mode_table[mode]);

        if (c->n_errors > err0 || !c->apply)
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
}

static void parse_tunables_section(Ctx *c, const config_setting_t *s) {
        if (!check_group(c, s, "tunables"))
                return;

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                int id = tunable_from_name(config_setting_name(m));

                if (id < 0)
                        unknown_key(c, m, "tunables", "tunable", tunables_names);
                else if (id >= _TUNABLE_MANAGED_MAX)
                        ctx_error(c, line_of(m), "tunables", "%s is shown but never managed: memtuned manages %s, %s, %s and %s",
                                  config_setting_name(m), tunables_names[0], tunables_names[1], tunables_names[2],
                                  tunables_names[3]);
                else
                        parse_tunable(c, (TunableId) id, m);
        }
}

/* ---- thresholds: { ... } ------------------------------------------------------------------ */

static const char *const threshold_keys[_POLICY_THRESHOLD_MAX + 2] = {
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
                case POLICY_THRESHOLD_PSI_SOME_LOW:
                        ok = get_percent_centi(c, m, kw, &t.psi_some_low);
                        break;
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
                case POLICY_THRESHOLD_MAX_RESERVE:
                        ok = get_size(c, m, kw, true, &t.max_reserve_kb);
                        break;
                case POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN:
                        ok = get_duration(c, m, kw, SAMPLE_INTERVAL_MIN_USEC, SAMPLE_INTERVAL_MAX_USEC,
                                          &t.sample_interval_min_usec);
                        break;
                case POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX:
                        ok = get_duration(c, m, kw, SAMPLE_INTERVAL_MIN_USEC, SAMPLE_INTERVAL_MAX_USEC,
                                          &t.sample_interval_max_usec);
                        break;
                default:
                        ok = false;
                }
                if (ok)
                        set[k] = m;
        }

        if (c->n_errors > err0 || !c->apply)
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

/* ---- processes: ( ... ) ---------------------------------------------------------------- */

enum {
        RKEY_NAME,
        RKEY_MATCH,
        RKEY_OOM_SCORE_ADJ,
        RKEY_RESET_CHILDREN,
        RKEY_ENABLED,
        RKEY_WHEN,
        _RKEY_MAX,
};

static const char *const rule_keys[_RKEY_MAX + 1] = {
        [RKEY_NAME] = "name",
        [RKEY_MATCH] = "match",
        [RKEY_OOM_SCORE_ADJ] = "oom_score_adj",
        [RKEY_RESET_CHILDREN] = "reset_children",
        [RKEY_ENABLED] = "enabled",
        [RKEY_WHEN] = "when",
};

enum {
        MKEY_COMM,
        MKEY_EXE,
        MKEY_CMDLINE,
        MKEY_USER,
        MKEY_UID,
        MKEY_CGROUP,
        MKEY_UNIT,
        _MKEY_MAX,
};

static const char *const match_keys[_MKEY_MAX + 1] = {
        [MKEY_COMM] = "comm",     [MKEY_EXE] = "exe",       [MKEY_CMDLINE] = "cmdline", [MKEY_USER] = "user",
        [MKEY_UID] = "uid",       [MKEY_CGROUP] = "cgroup", [MKEY_UNIT] = "unit",
};

/* The kernel keeps 15 characters of a task's name (TASK_COMM_LEN 16 with the
 * NUL): "systemd-journald" runs as "systemd-journal". */
#define COMM_LEN_MAX 15
#define RULE_NAME_MAX 64
/* A cmdline regex longer than this is not a pattern someone maintains. */
#define CMDLINE_REGEX_MAX 1024
/* getpwnam_r() buffers grow up to this; entries from LDAP can be large. */
#define PASSWD_BUF_MAX (1024u * 1024u)

/* glibc's regcomp() builds its automaton from the expression with every
 * repetition expanded: "x+" is "xx*", "x{1,100}" a hundred copies of x, and
 * nested repetitions multiply ("a+++++" doubles five times). Each element
 * costs it around 700 bytes: "(a|b|...){1,1000}" of 1000 characters takes
 * 2.5 GiB, "a" followed by 20 "+" 700 MiB. The expanded size is estimated
 * below and capped at 5000 elements (a few MiB); real cmdline patterns such as
 * "^/usr/bin/python3 .*worker-[0-9]+" stay under 100. */
#define REGEX_EXPANDED_MAX 5000u

static uint64_t regex_size_sequence(const char **pp) {
        const char *p = *pp;
        uint64_t size = 0;

        while (*p && *p != ')') {
                uint64_t atom = 1;

                if (*p == '|') {
                        p++;
                        continue;
                }
                if (*p == '(') {
                        p++;
                        atom = regex_size_sequence(&p) + 1;
                        if (*p == ')')
                                p++;
                } else if (*p == '[') {
                        /* A bracket expression is one element; "]" first is literal. */
                        p++;
                        if (*p == '^')
                                p++;
                        if (*p == ']')
                                p++;
                        while (*p && *p != ']') {
                                if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                                        const char *e = strchr(p + 2, ']');
                                        p = e ? e + 1 : p + strlen(p);
                                } else
                                        p++;
                        }
                        if (*p)
                                p++;
                } else if (*p == '\\' && p[1])
                        p += 2;
                else
                        p++;

                /* Repetitions of this atom, possibly several in a row. */
                for (;;) {
                        if (*p == '*' || *p == '?') {
                                atom += 1;
                                p++;
                        } else if (*p == '+') {
                                atom *= 2;
                                p++;
                        } else if (*p == '{' && is_digit(p[1])) {
                                uint64_t m = 0, n = 0;
                                bool open = false;

                                for (p++; is_digit(*p); p++)
                                        m = MIN(m * 10 + (uint64_t) (*p - '0'), (uint64_t) REGEX_EXPANDED_MAX + 1);
                                if (*p == ',') {
                                        open = !is_digit(p[1]);
                                        for (p++; is_digit(*p); p++)
                                                n = MIN(n * 10 + (uint64_t) (*p - '0'), (uint64_t) REGEX_EXPANDED_MAX + 1);
                                }
                                if (*p == '}')
                                        p++;
                                atom *= MAX(MAX(m, n) + (open ? 1 : 0), (uint64_t) 1);
                        } else
                                break;
                        atom = MIN(atom, (uint64_t) REGEX_EXPANDED_MAX + 1);
                }
                size = MIN(size + atom, (uint64_t) REGEX_EXPANDED_MAX + 1);
        }

        *pp = p;
        return size;
}

/* Returns NULL for an expression glibc compiles and matches in bounded time
 * and memory, or what is wrong with it. */
static const char *regex_check(const char *re) {
        uint64_t size = 0;

        for (const char *p = re; *p; p++) {
                if (*p == '[') {
                        /* Skip bracket expressions: "\\1" in there is not a back-reference. */
                        const char *q = p + 1;
                        if (*q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        q = strchr(q, ']');
                        if (!q)
                                break;
                        p = q;
                } else if (*p == '\\' && p[1]) {
                        /* glibc's back-references make matching exponential. */
                        if (p[1] >= '1' && p[1] <= '9')
                                return "uses a back-reference (\\1 to \\9), which can make matching take exponential time";
                        p++;
                }
        }

        for (const char *p = re; *p;) {
                size += regex_size_sequence(&p);
                if (*p == ')')
                        p++; /* unbalanced: regcomp() reports it */
                if (size > REGEX_EXPANDED_MAX)
                        return "is too complex: its repetitions expand it to more than 5000 elements";
        }
        return NULL;
}

static void process_match_done(ProcessMatch *m) {
        free(m->comm);
        free(m->exe);
        free(m->cmdline);
        if (m->has_cmdline_re)
                regfree(&m->cmdline_re);
        free(m->user);
        free(m->cgroup);
        free(m->unit);
        *m = (ProcessMatch) {};
}

static void process_rule_done(ProcessRule *r) {
        free(r->name);
        process_match_done(&r->match);
        *r = (ProcessRule) {};
}

static bool is_valid_rule_name(const char *s) {
        if (strlen(s) > RULE_NAME_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!(isalnum((unsigned char) *p) || strchr("._-@:", *p)))
                        return false;
        return true;
}

/* Returns 0 and the uid, -ENOENT for an unknown user, or -errno. */
static int resolve_user(const char *name, uid_t *ret) {
        struct passwd pw, *result = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 4096;

        for (;;) {
                char *nbuf = realloc(buf, size);
                int r;

                if (!nbuf)
                        return -ENOMEM;
                buf = nbuf;
                r = getpwnam_r(name, &pw, buf, size, &result);
                if (r == ERANGE && size < PASSWD_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (!result)
                        return -ENOENT;
                *ret = pw.pw_uid;
                return 0;
        }
}

static void parse_match(Ctx *c, const config_setting_t *s, const char *parent, bool resolve, ProcessMatch *m) {
        const config_setting_t *set[_MKEY_MAX] = {};
        char where[96], kw[128];
        unsigned err0 = c->n_errors;
        size_t n = 0;

        snprintf(where, sizeof(where), "%s.match", parent);
        if (!check_group(c, s, where))
                return;

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                int k = key_index(config_setting_name(e), match_keys);
                const char *v;
                size_t min_len;
                int64_t uid;
                int r;

                if (k < 0) {
                        unknown_key(c, e, where, "match key", match_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, match_keys[k]);
                set[k] = e;
                n++;

                switch (k) {
                case MKEY_COMM:
                        if (!get_glob(c, e, kw, &v))
                                break;
                        (void) glob_check(v, &min_len);
                        if (min_len > COMM_LEN_MAX) {
                                if (!glob_has_magic(v)) {
                                        char cut[COMM_LEN_MAX + 1];

                                        snprintf(cut, sizeof(cut), "%s", v);
                                        ctx_error(c, line_of(e), kw,
                                                  "%s can never match: the kernel keeps only the first %d characters "
                                                  "of a process name; did you mean %s?",
                                                  QUOTED(v), COMM_LEN_MAX, QUOTED(cut));
                                } else
                                        ctx_error(c, line_of(e), kw,
                                                  "%s can never match: the kernel keeps only the first %d characters "
                                                  "of a process name",
                                                  QUOTED(v), COMM_LEN_MAX);
                                break;
                        }
                        set_string(c, &m->comm, v);
                        break;
                case MKEY_EXE:
                case MKEY_CGROUP:
                        if (!get_glob(c, e, kw, &v))
                                break;
                        if (v[0] != '/' && v[0] != '*') {
                                ctx_error(c, line_of(e), kw, "%s must be an absolute path (or start with *)",
                                          QUOTED(v));
                                break;
                        }
                        set_string(c, k == MKEY_EXE ? &m->exe : &m->cgroup, v);
                        break;
                case MKEY_UNIT:
                        if (!get_glob(c, e, kw, &v))
                                break;
                        if (!glob_has_magic(v) && !strchr(v, '.')) {
                                _cleanup_free_ char *service = format("%s.service", v);

                                ctx_error(c, line_of(e), kw,
                                          "%s has no unit type and can never match; did you mean %s?", QUOTED(v),
                                          QUOTED(service ?: v));
                                break;
                        }
                        set_string(c, &m->unit, v);
                        break;
                case MKEY_CMDLINE:
                        if (!get_string(c, e, kw, &v))
                                break;
                        if (strlen(v) > CMDLINE_REGEX_MAX) {
                                ctx_error(c, line_of(e), kw, "the regular expression is longer than %d characters",
                                          CMDLINE_REGEX_MAX);
                                break;
                        }
                        const char *problem = regex_check(v);
                        if (problem) {
                                ctx_error(c, line_of(e), kw, "the regular expression %s", problem);
                                break;
                        }
                        if (m->has_cmdline_re) {
                                regfree(&m->cmdline_re);
                                m->has_cmdline_re = false;
                        }
                        r = regcomp(&m->cmdline_re, v, REG_EXTENDED | REG_NOSUB);
                        if (r != 0) {
                                char msg[128];

                                regerror(r, &m->cmdline_re, msg, sizeof(msg));
                                ctx_error(c, line_of(e), kw, "invalid regular expression %s: %s", QUOTED(v), msg);
                                break;
                        }
                        m->has_cmdline_re = true;
                        set_string(c, &m->cmdline, v);
                        break;
                case MKEY_USER:
                        if (!get_string(c, e, kw, &v))
                                break;
                        if (!is_printable(v, true) || strchr(v, ':')) {
                                ctx_error(c, line_of(e), kw, "%s is not a valid user name", QUOTED(v));
                                break;
                        }
                        set_string(c, &m->user, v);
                        if (!resolve)
                                break;
                        uid_t u = 0;
                        r = resolve_user(v, &u);
                        if (r == -ENOENT)
                                ctx_error(c, line_of(e), kw, "unknown user %s", QUOTED(v));
                        else if (r < 0)
                                ctx_error(c, line_of(e), kw, "cannot look up user %s: %s", QUOTED(v), strerror(-r));
                        else {
                                m->uid = u;
                                m->has_uid = true;
                        }
                        break;
                case MKEY_UID:
                        /* (uid_t) -1 means "no user" to the kernel's set*id() calls. */
                        if (!get_int(c, e, kw, 0, (int64_t) UINT32_MAX - 1, &uid))
                                break;
                        m->uid = (uid_t) uid;
                        m->has_uid = true;
                        break;
                }
        }

        if (set[MKEY_USER] && set[MKEY_UID])
                ctx_error(c, line_of(set[MKEY_UID]), where, "give user or uid, not both");
        if (n == 0 && c->n_errors == err0)
                ctx_error(c, line_of(s), where,
                          "an empty match would apply to every process: give at least one of comm, exe, cmdline, "
                          "user, uid, cgroup or unit");
}

static ProcessRule *find_rule(Policy *p, const char *name) {
        for (size_t i = 0; i < p->n_rules; i++)
                if (strcmp(p->rules[i].name, name) == 0)
                        return &p->rules[i];
        return NULL;
}

static void parse_rule(Ctx *c, const config_setting_t *s, size_t index) {
        const config_setting_t *name_s, *enabled_s;
        _cleanup_(process_rule_done) ProcessRule r = {};
        unsigned err0 = c->n_errors;
        bool holds, enabled = true, has_adj = false, has_match = false;
        const char *name = NULL;
        char where[64], kw[96], why[256];
        int64_t adj;

        snprintf(where, sizeof(where), "processes[%zu]", index);
        if (!check_group(c, s, where))
                return;

        name_s = config_setting_get_member(s, "name");
        snprintf(kw, sizeof(kw), "%s.name", where);
        if (!name_s)
                ctx_error(c, line_of(s), where, "missing name: every rule needs one, for logs and overrides");
        else if (get_string(c, name_s, kw, &name)) {
                if (!is_valid_rule_name(name)) {
                        ctx_error(c, line_of(name_s), kw,
                                  "%s: a rule name is at most %d letters, digits and . _ - @ :", QUOTED(name),
                                  RULE_NAME_MAX);
                        name = NULL;
                } else {
                        for (size_t i = 0; i < c->n_seen; i++)
                                if (strcmp(c->seen[i].name, name) == 0) {
                                        ctx_error(c, line_of(name_s), kw,
                                                  "duplicate rule name %s (first used at line %u)", QUOTED(name),
                                                  c->seen[i].line);
                                        name = NULL;
                                        break;
                                }
                        if (name) {
                                SeenRule *ns = array_grow(c->seen, c->n_seen, sizeof(SeenRule));
                                if (!ns) {
                                        c->oom = true;
                                        return;
                                }
                                c->seen = ns;
                                c->seen[c->n_seen].name = strdup(name);
                                c->seen[c->n_seen].line = line_of(name_s);
                                if (!c->seen[c->n_seen].name) {
                                        c->oom = true;
                                        return;
                                }
                                c->n_seen++;
                        }
                }
        }

        section_holds(c, s, where, &holds, why, sizeof(why));
        enabled_s = config_setting_get_member(s, "enabled");
        if (enabled_s) {
                snprintf(kw, sizeof(kw), "%s.enabled", where);
                (void) get_bool(c, enabled_s, kw, &enabled);
        }

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                int k = key_index(config_setting_name(m), rule_keys);
                bool b;

                if (k < 0) {
                        unknown_key(c, m, where, "key", rule_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, rule_keys[k]);
                switch (k) {
                case RKEY_MATCH:
                        has_match = true;
                        parse_match(c, m, where, c->apply && holds && enabled, &r.match);
                        break;
                case RKEY_OOM_SCORE_ADJ:
                        has_adj = true;
                        if (get_int(c, m, kw, -1000, 1000, &adj))
                                r.oom_score_adj = (int) adj;
                        break;
                case RKEY_RESET_CHILDREN:
                        if (get_bool(c, m, kw, &b))
                                r.reset_children = b;
                        break;
                default:
                        break; /* name, enabled, when: done above */
                }
        }

        if (enabled && !has_match)
                ctx_error(c, line_of(s), where, "missing match: say which processes the rule is for");
        if (enabled && !has_adj)
                ctx_error(c, line_of(s), where, "missing oom_score_adj");

        if (c->n_errors > err0 || !c->apply || !name)
                return;
        if (!holds) {
                ctx_note(c, "%s:%u: rule \"%s\" does not apply: %s", c->path, line_of(s), name, why);
                return;
        }

        Policy *p = c->p;
        ProcessRule *old = find_rule(p, name);
        if (!enabled) {
                if (old) {
                        size_t i = (size_t) (old - p->rules);
                        process_rule_done(old);
                        memmove(p->rules + i, p->rules + i + 1, (p->n_rules - i - 1) * sizeof(ProcessRule));
                        p->n_rules--;
                }
                ctx_note(c, "%s:%u: rule \"%s\" is disabled", c->path, line_of(s), name);
                return;
        }

        r.name = strdup(name);
        if (!r.name) {
                c->oom = true;
                return;
        }
        r.origin = ctx_origin(c, s);
        if (old) {
                process_rule_done(old);
                *old = r;
                r = (ProcessRule) {};
                return;
        }
        if (p->n_rules >= POLICY_RULES_MAX) {
                ctx_error(c, line_of(s), where, "too many process rules: at most %u", POLICY_RULES_MAX);
                return;
        }
        ProcessRule *nr = array_grow(p->rules, p->n_rules, sizeof(ProcessRule));
        if (!nr) {
                c->oom = true;
                return;
        }
        p->rules = nr;
        p->rules[p->n_rules++] = r;
        r = (ProcessRule) {};
}

static void parse_processes_section(Ctx *c, const config_setting_t *s) {
        /* An empty [] is an array to libconfig; accept it as "no rules". */
        if (config_setting_is_array(s) && config_setting_length(s) == 0)
                return;
        if (!config_setting_is_list(s)) {
                ctx_error(c, line_of(s), "processes", "expected a list ( { ... }, ... ), got %s", DESCRIBE(s));
                return;
        }
        /* Past the error cap nothing more is shown: stop early. */
        for (int i = 0; i < config_setting_length(s) && c->n_errors <= POLICY_ERRORS_PER_FILE_MAX; i++)
                parse_rule(c, config_setting_get_elem(s, (unsigned) i), (size_t) i);
}

/* ---- a whole file -------------------------------------------------------------------------- */

static const char *const top_keys[] = { "policy", "when", "tunables", "thresholds", "processes", NULL };

/* Parses text (NUL-terminated) with libconfig, validates it, and applies what
 * holds on the host to p. Errors go to errors. Returns 0 or -ENOMEM. */
static int file_apply(Policy *p, const char *path, const char *text, const HostInfo *host, PolicyErrors *errors) {
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

        for (int i = 0; !c.oom && c.n_errors <= POLICY_ERRORS_PER_FILE_MAX && i < config_setting_length(root); i++) {
                const config_setting_t *s = config_setting_get_elem(root, (unsigned) i);

                switch (key_index(config_setting_name(s), top_keys)) {
                case 0:
                        parse_policy_section(&c, s);
                        break;
                case 1:
                        break;
                case 2:
                        parse_tunables_section(&c, s);
                        break;
                case 3:
                        parse_thresholds_section(&c, s);
                        break;
                case 4:
                        parse_processes_section(&c, s);
                        break;
                default:
                        unknown_key(&c, s, NULL, "section", top_keys);
                }
        }

        config_destroy(&cfg);
        ctx_done(&c);
        return c.oom ? -ENOMEM : 0;
}

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

static const char *origin_string(char *buf, size_t size, PolicyOrigin o) {
        if (!o.file)
                snprintf(buf, size, "built-in default");
        else
                snprintf(buf, size, "%s:%u", o.file, o.line);
        return buf;
}
#define ORIGIN(o) origin_string((char[PATH_MAX + 32]) {}, PATH_MAX + 32, (o))

static _printf_(4, 5) void finish_error(PolicyErrors *errors, PolicyOrigin o, const char *where, const char *fmt,
                                        ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = vformat(fmt, ap);
        va_end(ap);
        (void) strv_push(&errors->messages, &errors->n,
                         format("%s:%u: %s: %s", o.file ?: "built-in policy", o.line, where, msg ?: "out of memory"));
}

static PolicyOrigin later(const Policy *p, PolicyOrigin a, PolicyOrigin b) {
        return origin_cmp(p, a, b) >= 0 ? a : b;
}

/* What no single file can check: bounds that meet across files, a mode whose
 * value comes from elsewhere. */
static void policy_finish(Policy *p, PolicyErrors *errors) {
        char where[64];

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                TunablePolicy *t = &p->tunables[id];
                const char *mode = tunable_mode_table[t->mode];

                snprintf(where, sizeof(where), "tunables.%s", tunable_info(id)->name);

                /* A key set after the mode was decided, that the mode ignores. */
                if (t->mode != TUNABLE_MODE_FIXED && t->value_origin.file &&
                    origin_cmp(p, t->value_origin, t->origin) > 0)
                        finish_error(errors, t->value_origin, where,
                                     "value has no effect: the mode is \"%s\" (%s); set mode = \"fixed\"", mode,
                                     ORIGIN(t->origin));
                if (t->mode != TUNABLE_MODE_ADAPTIVE && t->min_origin.file && origin_cmp(p, t->min_origin, t->origin) > 0)
                        finish_error(errors, t->min_origin, where,
                                     "min has no effect: the mode is \"%s\" (%s); set mode = \"adaptive\"", mode,
                                     ORIGIN(t->origin));
                if (t->mode != TUNABLE_MODE_ADAPTIVE && t->max_origin.file && origin_cmp(p, t->max_origin, t->origin) > 0)
                        finish_error(errors, t->max_origin, where,
                                     "max has no effect: the mode is \"%s\" (%s); set mode = \"adaptive\"", mode,
                                     ORIGIN(t->origin));

                switch (t->mode) {
                case TUNABLE_MODE_FIXED:
                        if (!t->value_origin.file)
                                finish_error(errors, t->origin, where, "mode \"fixed\" needs a value");
                        break;
                case TUNABLE_MODE_ADAPTIVE:
                        if (!t->max_origin.file) {
                                finish_error(errors, t->origin, where, "mode \"adaptive\" needs max, the upper bound");
                                break;
                        }
                        if (!t->min_origin.file)
                                t->min = tunable_floor(id);
                        if (t->min > t->max) {
                                if (id == TUNABLE_MIN_FREE_KBYTES)
                                        finish_error(errors, later(p, t->min_origin, t->max_origin), where,
                                                     "min (%s, %s) is above max (%s, %s)", FORMAT_SIZE(t->min),
                                                     ORIGIN(t->min_origin), FORMAT_SIZE(t->max), ORIGIN(t->max_origin));
                                else
                                        finish_error(errors, later(p, t->min_origin, t->max_origin), where,
                                                     "min (%" PRIu64 ", %s) is above max (%" PRIu64 ", %s)", t->min,
                                                     ORIGIN(t->min_origin), t->max, ORIGIN(t->max_origin));
                        }
                        break;
                default:
                        break;
                }
        }

        const PolicyThresholds *t = &p->thresholds;
        const struct {
                PolicyThreshold a, b;
                uint32_t va, vb;
        } psi[] = {
                { POLICY_THRESHOLD_PSI_SOME_LOW, POLICY_THRESHOLD_PSI_SOME_MEDIUM, t->psi_some_low, t->psi_some_medium },
                { POLICY_THRESHOLD_PSI_SOME_MEDIUM, POLICY_THRESHOLD_PSI_SOME_CRITICAL, t->psi_some_medium,
                  t->psi_some_critical },
        };
        for (size_t i = 0; i < ELEMENTSOF(psi); i++)
                if (psi[i].va >= psi[i].vb) {
                        PolicyOrigin o = later(p, t->origins[psi[i].a], t->origins[psi[i].b]);
                        snprintf(where, sizeof(where), "thresholds");
                        finish_error(errors, o, where, "%s (%s%%, %s) must be below %s (%s%%, %s)",
                                     threshold_keys[psi[i].a], FORMAT_CENTI(psi[i].va), ORIGIN(t->origins[psi[i].a]),
                                     threshold_keys[psi[i].b], FORMAT_CENTI(psi[i].vb), ORIGIN(t->origins[psi[i].b]));
                }
        if (t->sample_interval_min_usec > t->sample_interval_max_usec)
                finish_error(errors,
                             later(p, t->origins[POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN],
                                   t->origins[POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX]),
                             "thresholds", "sample_interval_min (%s, %s) is above sample_interval_max (%s, %s)",
                             FORMAT_DURATION(t->sample_interval_min_usec),
                             ORIGIN(t->origins[POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN]),
                             FORMAT_DURATION(t->sample_interval_max_usec),
                             ORIGIN(t->origins[POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX]));
}

/* ---- scratch buffers ------------------------------------------------------------------------- */

/* The loader's two big buffers (a file's text, up to POLICY_FILE_SIZE_MAX, and
 * the child's report, up to CHILD_REPORT_MAX) are mapped rather than
 * malloc'ed. glibc serves a malloc() of 128 KiB or more with mmap() and, when
 * such a block is freed, raises that threshold to the block's size and the
 * heap's trim threshold to twice it. The 1 MiB text buffer of the first load
 * did that: from then on the reload path's buffers came from the heap, landed
 * at different addresses from one reload to the next, and the heap kept
 * every page it had touched (bench/growth: the heap grew to 2.6 MB and
 * RssAnon by about 100 kB over 1,000 reloads, while valgrind showed the live
 * heap flat). A mapping costs two system calls per file, holds only the pages
 * written, and munmap() gives them all back. */
typedef struct Scratch {
        char *p;
        size_t size;
} Scratch;

#define SCRATCH_NULL ((Scratch) {})

/* Maps size bytes of zeroed memory. Returns 0 or -ENOMEM. */
static int scratch_new(Scratch *s, size_t size) {
        void *p;

        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return -ENOMEM;
        *s = (Scratch) { .p = p, .size = size };
        return 0;
}

/* Unmaps s (SCRATCH_NULL is fine) and leaves SCRATCH_NULL; for _cleanup_. */
static void scratch_done(Scratch *s) {
        if (s->p)
                (void) munmap(s->p, s->size);
        *s = SCRATCH_NULL;
}

/* ---- the contained pre-parse ------------------------------------------------------------------ */

/* The address space this process maps now, from /proc/self/statm (the real
 * one: --proc-root may point at a fixture). 0 when unknown. */
static uint64_t address_space_bytes(void) {
        char buf[128];
        unsigned long long pages;
        ssize_t n;
        int fd;

        fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        if (sscanf(buf, "%llu", &pages) != 1)
                return 0;
        return (uint64_t) pages * (uint64_t) sysconf(_SC_PAGESIZE);
}

static void write_all(int fd, const void *buf, size_t n) {
        const char *p = buf;

        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        _exit(3);
                p += k;
                n -= (size_t) k;
        }
}

/* In the child: limits, then the same parse as the parent's, then the
 * verdict as records "E<message>\0" ... "D\0" on fd. Never returns. */
static _Noreturn void child_run(int fd, int stderr_fd, Policy *p, const char *path, const char *text,
                                const HostInfo *host, uint64_t as_limit) {
        PolicyErrors e = {};
        sigset_t all;
        struct rlimit rl;
        int r;

        /* The daemon blocks the signals sd-event handles; the limits below
         * must be able to kill. */
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGXCPU, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);

        rl = (struct rlimit) { 0, 0 };
        (void) setrlimit(RLIMIT_CORE, &rl);
        if (getrlimit(RLIMIT_CPU, &rl) == 0) {
                rlim_t soft = policy_parse_limits.cpu_seconds, hard = soft + 1;
                if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < hard)
                        hard = rl.rlim_max;
                rl = (struct rlimit) { MIN(soft, hard), hard };
                (void) setrlimit(RLIMIT_CPU, &rl);
        }
        if (as_limit > 0) {
                rl = (struct rlimit) { as_limit, as_limit };
                (void) setrlimit(RLIMIT_AS, &rl);
        }
        if (stderr_fd >= 0)
                (void) dup2(stderr_fd, STDERR_FILENO);

        r = file_apply(p, path, text, host, &e);
        if (r < 0)
                (void) strv_push(&e.messages, &e.n, format("%s: parsing failed: %s", path, strerror(-r)));
        for (size_t i = 0; i < e.n; i++) {
                write_all(fd, "E", 1);
                write_all(fd, e.messages[i], strlen(e.messages[i]) + 1);
        }
        write_all(fd, "D", 2);
        _exit(0);
}

/* The child's whole report: POLICY_ERRORS_PER_FILE_MAX messages of bounded
 * length (quoted values are cut) fit easily. */
#define CHILD_REPORT_MAX (256u * 1024u)

/* Parses and validates text in a forked child with the limits of
 * policy_parse_limits. Appends the child's errors, or one saying how it
 * failed. Returns 0 (check errors->n) or -ENOMEM. */
static int contained_check(Policy *p, const char *path, const char *text, const HostInfo *host,
                           PolicyErrors *errors) {
        _cleanup_close_ int stderr_fd = -1;
        _cleanup_(scratch_done) Scratch buf = SCRATCH_NULL;
        char *report;
        int pipefd[2], status = 0;
        size_t n = 0;
        bool killed = false, done = false;
        uint64_t as_limit = 0, deadline;
        pid_t pid;

        if (scratch_new(&buf, CHILD_REPORT_MAX + 1) < 0)
                return -ENOMEM;
        report = buf.p;

        uint64_t as = address_space_bytes();
        if (as > 0)
                as_limit = as + policy_parse_limits.as_headroom_bytes;

        /* libconfig prints its fatal errors before it exits; keep them. */
        stderr_fd = memfd_create("memtuned-policy-stderr", MFD_CLOEXEC);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return strv_push(&errors->messages, &errors->n,
                                 format("%s: cannot start the parser: %s", path, strerror(errno)));

        /* Whatever stdio holds would otherwise be written twice if libconfig
         * exit()s in the child. */
        fflush(NULL);

        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return strv_push(&errors->messages, &errors->n,
                                 format("%s: cannot start the parser: %s", path, strerror(e)));
        }
        if (pid == 0) {
                close(pipefd[0]);
                child_run(pipefd[1], stderr_fd, p, path, text, host, as_limit);
        }
        close(pipefd[1]);

        deadline = now_monotonic() + policy_parse_limits.timeout_usec;
        for (;;) {
                uint64_t now = now_monotonic();
                struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
                ssize_t k;
                int r;

                if (now >= deadline) {
                        killed = true;
                        break;
                }
                r = poll(&pfd, 1, (int) MIN((deadline - now + 999) / 1000, (uint64_t) INT_MAX));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        break;
                if (r == 0)
                        continue;
                if (n >= CHILD_REPORT_MAX) {
                        killed = true;
                        break;
                }
                k = read(pipefd[0], report + n, CHILD_REPORT_MAX - n);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        close(pipefd[0]);
        if (killed)
                (void) kill(pid, SIGKILL);

        bool reaped = false;
        for (;;) {
                if (waitpid(pid, &status, 0) >= 0) {
                        reaped = true;
                        break;
                }
                if (errno != EINTR)
                        break; /* ECHILD: SIGCHLD is ignored and the kernel reaped it */
        }

        /* Records: "E<message>\0" for each error, then "D\0" last. */
        report[n] = 0;
        for (size_t i = 0; i < n && !done;) {
                size_t len = strnlen(report + i, n - i);

                if (i + len >= n)
                        break; /* cut short */
                if (report[i] == 'D' && len == 1 && i + 2 == n)
                        done = true;
                else if (report[i] != 'E')
                        break;
                i += len + 1;
        }

        if (killed) {
                if (n >= CHILD_REPORT_MAX)
                        return strv_push(&errors->messages, &errors->n,
                                         format("%s: the parser produced too much output and was stopped", path));
                return strv_push(&errors->messages, &errors->n,
                                 format("%s: parsing took longer than %s and was stopped", path,
                                        FORMAT_DURATION(policy_parse_limits.timeout_usec)));
        }
        if (!done || (reaped && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))) {
                char out[256] = "";

                if (stderr_fd >= 0) {
                        ssize_t k = pread(stderr_fd, out, sizeof(out) - 1, 0);
                        if (k > 0) {
                                out[k] = 0;
                                out[strcspn(out, "\n")] = 0;
                        }
                }
                char how[64];
                if (reaped && WIFSIGNALED(status))
                        snprintf(how, sizeof(how), "was killed by signal %s", strsignal(WTERMSIG(status)) ?: "?");
                else if (reaped && WIFEXITED(status))
                        snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
                else
                        snprintf(how, sizeof(how), "ended without a verdict");
                return strv_push(&errors->messages, &errors->n,
                                 format("%s: the parser %s%s%s%s: the file cannot be read safely", path, how,
                                        out[0] ? " (" : "", out[0] ? QUOTED(out) : "", out[0] ? ")" : ""));
        }

        for (size_t i = 0; i + 2 < n;) {
                size_t len = strlen(report + i);

                if (strv_push(&errors->messages, &errors->n, strdup(report + i + 1)) < 0)
                        return -ENOMEM;
                i += len + 1;
        }
        return 0;
}

/* ---- reading files ----------------------------------------------------------------------------- */

/* Applies one policy text (NUL-terminated, len bytes) to p: the pre-scan, the
 * contained parse, then the real one. Returns 0 (errors in errors) or -ENOMEM. */
static int load_text(Policy *p, const char *path, const char *text, size_t len, const HostInfo *host,
                     bool contain, PolicyErrors *errors) {
        size_t n0 = errors->n;
        int r;

        if (!policy_parse_limits.skip_prescan) {
                Ctx c = { .p = p, .host = host, .path = path, .errors = errors };

                prescan(&c, text, len);
                if (c.oom)
                        return -ENOMEM;
                if (errors->n > n0)
                        return 0;
        }

        if (contain) {
                r = contained_check(p, path, text, host, errors);
                if (r < 0)
                        return r;
                if (errors->n > n0)
                        return 0;
        }

        return file_apply(p, path, text, host, errors);
}

static int add_error(PolicyErrors *errors, const char *path, const char *fmt, ...) _printf_(3, 4);
static int add_error(PolicyErrors *errors, const char *path, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = vformat(fmt, ap);
        va_end(ap);
        if (!msg)
                return -ENOMEM;
        return strv_push(&errors->messages, &errors->n, format("%s: %s", path, msg));
}

static int add_note(Policy *p, const char *fmt, ...) _printf_(2, 3);
static int add_note(Policy *p, const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vformat(fmt, ap);
        va_end(ap);
        return strv_push(&p->notes, &p->n_notes, s);
}

/* Reads and applies the file at path. A symlink to /dev/null (or the device
 * itself) masks: nothing applies. Returns 0 (errors in errors) or -ENOMEM. */
static int load_file(Policy *p, const char *path, const HostInfo *host, PolicyErrors *errors) {
        _cleanup_close_ int fd = -1;
        _cleanup_(scratch_done) Scratch buf = SCRATCH_NULL;
        char *text;
        struct stat st;
        size_t n = 0;

        /* O_NONBLOCK: a FIFO named *.conf must not hang the daemon. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return add_error(errors, path, "cannot open: %s", strerror(errno));
        if (fstat(fd, &st) < 0)
                return add_error(errors, path, "cannot stat: %s", strerror(errno));
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
                return add_note(p, "%s: masked (a link to /dev/null)", path);
        if (!S_ISREG(st.st_mode))
                return add_error(errors, path, "not a regular file");
        if ((uint64_t) st.st_size > POLICY_FILE_SIZE_MAX)
                return add_error(errors, path, "the file is larger than %u KiB", POLICY_FILE_SIZE_MAX / 1024);

        /* Read to EOF: the file may grow while we read. */
        if (scratch_new(&buf, POLICY_FILE_SIZE_MAX + 2) < 0)
                return -ENOMEM;
        text = buf.p;
        for (;;) {
                ssize_t k = read(fd, text + n, POLICY_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return add_error(errors, path, "cannot read: %s", strerror(errno));
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > POLICY_FILE_SIZE_MAX)
                        return add_error(errors, path, "the file is larger than %u KiB",
                                         POLICY_FILE_SIZE_MAX / 1024);
        }
        text[n] = 0;
        fd = safe_close(fd);

        return load_text(p, path, text, n, host, true, errors);
}

typedef struct Entry {
        char *name;
        char *path;
} Entry;

static int entry_cmp(const void *a, const void *b) {
        return strcmp(((const Entry *) a)->name, ((const Entry *) b)->name);
}

static void entries_free(Entry *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(e[i].name);
                free(e[i].path);
        }
        free(e);
}

static bool is_policy_name(const char *name) {
        size_t n = strlen(name);

        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static char *path_join(const char *dir, const char *name) {
        size_t n = strlen(dir);

        return format("%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", name);
}

/* Adds the *.conf files of dir to entries. With mask, a name already listed
 * is replaced (a later directory masks an earlier one); without, both stay.
 * A missing directory adds nothing. Returns 0 (errors in errors) or -ENOMEM.
 *
 * The entries are read with getdents64() into a buffer on the stack:
 * opendir() mallocs 32 KiB per directory, and at every reload that block
 * landed a little higher in the heap than the last time (bench/growth: a new
 * heap page every few dozen reloads, for as long as the daemon ran). */
static int list_dir(Policy *p, const char *dir, bool mask, Entry **entries, size_t *n_entries,
                    PolicyErrors *errors) {
        _cleanup_close_ int fd = -1;
        /* Room for about 200 entries per call, 8-byte aligned like struct dirent64. */
        uint64_t buf[8192 / sizeof(uint64_t)];
        int r = 0;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return add_error(errors, dir, "cannot read the directory: %s", strerror(errno));
        }

        for (;;) {
                ssize_t n = getdents64(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return add_error(errors, dir, "cannot read the directory: %s", strerror(errno));
                if (n == 0)
                        return 0;

                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *de = (const struct dirent64 *) ((const char *) buf + off);
                        Entry *e = NULL;

                        off += de->d_reclen;
                        if (!is_policy_name(de->d_name))
                                continue;
                        if (!is_printable(de->d_name, true)) {
                                /* It would break the "FILE:LINE: message" lines. */
                                r = add_error(errors, dir, "the file name %s contains control characters",
                                              QUOTED(de->d_name));
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (mask)
                                for (size_t i = 0; i < *n_entries; i++)
                                        if (strcmp((*entries)[i].name, de->d_name) == 0)
                                                e = &(*entries)[i];

                        char *path = path_join(dir, de->d_name);
                        if (!path)
                                return -ENOMEM;
                        if (e) {
                                r = add_note(p, "%s: overridden by %s", e->path, path);
                                free(e->path);
                                e->path = path;
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (*n_entries >= POLICY_FILES_MAX) {
                                free(path);
                                return add_error(errors, dir, "more than %u policy files", POLICY_FILES_MAX);
                        }
                        Entry *ne = array_grow(*entries, *n_entries, sizeof(Entry));
                        char *name = strdup(de->d_name);
                        if (!ne || !name) {
                                if (ne)
                                        *entries = ne;
                                free(name);
                                free(path);
                                return -ENOMEM;
                        }
                        *entries = ne;
                        (*entries)[(*n_entries)++] = (Entry) { .name = name, .path = path };
                }
        }
}

/* ---- the API ------------------------------------------------------------------------------------- */

int policy_new_default(Policy **ret) {
        Policy *p;

        p = calloc(1, sizeof(Policy));
        if (!p)
                return -ENOMEM;
        p->name = strdup("built-in");
        if (!p->name) {
                free(p);
                return -ENOMEM;
        }
        p->mode = POLICY_MODE_ENFORCE;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                p->tunables[id] = (TunablePolicy) { .mode = TUNABLE_MODE_UNMANAGED };
        p->thresholds = thresholds_default;

        *ret = p;
        return 0;
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->description);
        for (size_t i = 0; i < p->n_rules; i++)
                process_rule_done(&p->rules[i]);
        free(p->rules);
        strv_free(p->files, p->n_files);
        strv_free(p->notes, p->n_notes);
        free(p);
        return NULL;
}

/* Common tail of the loaders: the checks across files (only when every file
 * was clean, so that one broken file does not cause errors elsewhere), then
 * the verdict. */
static int load_finish(Policy **p, PolicyErrors *errors, Policy **ret, PolicyErrors *ret_errors) {
        if (errors->n == 0)
                policy_finish(*p, errors);

        if (errors->n > 0) {
                if (ret_errors) {
                        for (size_t i = 0; i < errors->n; i++) {
                                int r = strv_push(&ret_errors->messages, &ret_errors->n, errors->messages[i]);
                                errors->messages[i] = NULL;
                                if (r < 0)
                                        return r;
                        }
                }
                return -EINVAL;
        }

        *ret = TAKE_PTR(*p);
        return 0;
}

int policy_load(char *const *dirs, size_t n_dirs, const HostInfo *host, Policy **ret, PolicyErrors *ret_errors) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        Entry *entries = NULL;
        size_t n_entries = 0;
        int r;

        r = policy_new_default(&p);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_dirs; i++) {
                r = list_dir(p, dirs[i], true, &entries, &n_entries, &errors);
                if (r < 0)
                        goto finish;
        }
        if (n_entries > 0)
                qsort(entries, n_entries, sizeof(Entry), entry_cmp);
        for (size_t i = 0; i < n_entries; i++) {
                r = load_file(p, entries[i].path, host, &errors);
                if (r < 0)
                        goto finish;
        }
        r = load_finish(&p, &errors, ret, ret_errors);

finish:
        entries_free(entries, n_entries);
        return r;
}

int policy_load_files(char *const *paths, size_t n, const HostInfo *host, Policy **ret, PolicyErrors *ret_errors) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        int r;

        r = policy_new_default(&p);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                struct stat st;

                if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        Entry *entries = NULL;
                        size_t n_entries = 0;

                        r = list_dir(p, paths[i], false, &entries, &n_entries, &errors);
                        if (r >= 0 && n_entries > 0)
                                qsort(entries, n_entries, sizeof(Entry), entry_cmp);
                        for (size_t j = 0; r >= 0 && j < n_entries; j++)
                                r = load_file(p, entries[j].path, host, &errors);
                        entries_free(entries, n_entries);
                } else
                        r = load_file(p, paths[i], host, &errors);
                if (r < 0)
                        return r;
        }

        return load_finish(&p, &errors, ret, ret_errors);
}

int policy_load_string(const char *name, const char *text, size_t len, const HostInfo *host, bool contain,
                       Policy **ret, PolicyErrors *ret_errors) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        _cleanup_free_ char *copy = NULL;
        int r;

        if (len > POLICY_FILE_SIZE_MAX) {
                r = add_error(&errors, name, "the file is larger than %u KiB", POLICY_FILE_SIZE_MAX / 1024);
                if (r < 0)
                        return r;
                return load_finish(&p, &errors, ret, ret_errors);
        }

        r = policy_new_default(&p);
        if (r < 0)
                return r;

        copy = malloc(len + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, text, len);
        copy[len] = 0;

        r = load_text(p, name, copy, len, host, contain, &errors);
        if (r < 0)
                return r;

        return load_finish(&p, &errors, ret, ret_errors);
}

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
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
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
        fprintf(f, "%s%*s# %s%s%s\n", text, MAX(DUMP_COMMENT_COLUMN - n, 1), "", ORIGIN(o), extra ? ", " : "",
                extra ?: "");
}

static const char *format_double(char *buf, size_t size, double v) {
        snprintf(buf, size, "%.15g", v);
        if (!strpbrk(buf, ".eEni"))
                strncat(buf, ".0", size - strlen(buf) - 1);
        return buf;
}

static void dump_tunable_value(FILE *f, TunableId id, const char *key, uint64_t v, PolicyOrigin o) {
        dump_line(f, o, id == TUNABLE_MIN_FREE_KBYTES ? FORMAT_SIZE(v) : NULL, "                %s = %" PRIu64 ";",
                  key, v);
}

static void dump_match_string(FILE *f, const char *key, const char *v) {
        _cleanup_free_ char *e = NULL;

        if (!v)
                return;
        e = escape_string(v);
        fprintf(f, "                        %s = %s;\n", key, e ?: "\"\"");
}

void policy_dump(const Policy *p, FILE *f) {
        const PolicyThresholds *t = &p->thresholds;
        char value[64];

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
        fputs("};\n\ntunables: {\n", f);

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunablePolicy *tp = &p->tunables[id];

                fprintf(f, "        %s: {\n", tunable_info(id)->name);
                dump_line(f, tp->origin, NULL, "                mode = \"%s\";", tunable_mode_to_string(tp->mode));
                if (tp->mode == TUNABLE_MODE_FIXED)
                        dump_tunable_value(f, id, "value", tp->value, tp->value_origin);
                else if (tp->mode == TUNABLE_MODE_ADAPTIVE) {
                        dump_tunable_value(f, id, "min", tp->min, tp->min_origin);
                        dump_tunable_value(f, id, "max", tp->max, tp->max_origin);
                }
                fputs("        };\n", f);
        }

        fputs("};\n\nthresholds: {\n", f);
        for (PolicyThreshold k = 0; k < _POLICY_THRESHOLD_MAX; k++) {
                switch (k) {
                case POLICY_THRESHOLD_DIRECT_RECLAIM_PAGES_PER_S:
                        format_double(value, sizeof(value), t->direct_reclaim_pages_per_s);
                        break;
                case POLICY_THRESHOLD_ALLOCSTALL_PER_S:
                        format_double(value, sizeof(value), t->allocstall_per_s);
                        break;
                case POLICY_THRESHOLD_PSI_SOME_LOW:
                        format_centi(value, sizeof(value), t->psi_some_low);
                        break;
                case POLICY_THRESHOLD_PSI_SOME_MEDIUM:
                        format_centi(value, sizeof(value), t->psi_some_medium);
                        break;
                case POLICY_THRESHOLD_PSI_SOME_CRITICAL:
                        format_centi(value, sizeof(value), t->psi_some_critical);
                        break;
                case POLICY_THRESHOLD_PSI_FULL_CRITICAL:
                        format_centi(value, sizeof(value), t->psi_full_critical);
                        break;
                case POLICY_THRESHOLD_WINDOW:
                        snprintf(value, sizeof(value), "\"%s\"", FORMAT_DURATION(t->window_usec));
                        break;
                case POLICY_THRESHOLD_CALM:
                        snprintf(value, sizeof(value), "\"%s\"", FORMAT_DURATION(t->calm_usec));
                        break;
                case POLICY_THRESHOLD_COOLDOWN:
                        snprintf(value, sizeof(value), "\"%s\"", FORMAT_DURATION(t->cooldown_usec));
                        break;
                case POLICY_THRESHOLD_STEP_FACTOR:
                        format_double(value, sizeof(value), t->step_factor);
                        break;
                case POLICY_THRESHOLD_MAX_RESERVE_RAM_PERCENT:
                        format_double(value, sizeof(value), t->max_reserve_ram_percent);
                        break;
                case POLICY_THRESHOLD_MAX_RESERVE:
                        snprintf(value, sizeof(value), "%" PRIu64, t->max_reserve_kb);
                        break;
                case POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN:
                        snprintf(value, sizeof(value), "\"%s\"", FORMAT_DURATION(t->sample_interval_min_usec));
                        break;
                case POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX:
                        snprintf(value, sizeof(value), "\"%s\"", FORMAT_DURATION(t->sample_interval_max_usec));
                        break;
                default:
                        value[0] = 0;
                }
                dump_line(f, t->origins[k], NULL, "        %s = %s;", threshold_keys[k], value);
        }

        fputs("};\n\nprocesses: (", f);
        for (size_t i = 0; i < p->n_rules; i++) {
                const ProcessRule *r = &p->rules[i];
                const ProcessMatch *m = &r->match;
                _cleanup_free_ char *name = escape_string(r->name);

                fprintf(f, "%s\n        { # %s\n", i > 0 ? "," : "", ORIGIN(r->origin));
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
                fputs("        }", f);
        }
        fputs(p->n_rules > 0 ? "\n);\n" : ");\n", f);
}
