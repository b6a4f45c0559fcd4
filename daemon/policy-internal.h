/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the policy loader's files (daemon/policy*.c) share: the load context,
 * message helpers, typed access to libconfig settings. Only these files
 * include it, and so only they know libconfig.
 *
 *   policy.c           defaults, small helpers, reading layered directories, the API
 *   policy-scan.c      near misses, the load context, the pre-scan, typed access, globs
 *   policy-when.c      conditions
 *   policy-sections.c  the policy, tunables and thresholds sections; a whole file
 *   policy-rules.c     the processes section
 *   policy-finish.c    checks across files
 *   policy-contain.c   scratch buffers and the contained pre-parse in a child
 *   policy-dump.c      --dump */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "macro.h"
#include "policy.h"

/* ---- policy.c: defaults and small helpers ----------------------------------------- */

extern const char *const policy_mode_table[_POLICY_MODE_MAX];
extern const char *const tunable_mode_table[_TUNABLE_MODE_MAX];

/* Makes room for element n (0-based) of the array a of n elements of size
 * bytes each (see policy.c for the growth rule). Returns the array, or NULL
 * on ENOMEM (a is then untouched). */
void *array_grow(void *a, size_t n, size_t size);
/* Appends s (owned; NULL means ENOMEM) to the string vector *v of *n. Returns
 * 0 or -ENOMEM, and frees s on failure. */
int strv_push(char ***v, size_t *n, char *s);
void strv_free(char **v, size_t n);
/* vasprintf() and asprintf() that return the string, or NULL on ENOMEM. */
_printf_(1, 0) char *vformat(const char *fmt, va_list ap);
_printf_(1, 2) char *format(const char *fmt, ...);

/* Quotes text for a message: in double quotes, control characters, quotes,
 * backslashes and non-ASCII bytes escaped, cut after QUOTE_CHARS_MAX
 * characters, so that no policy text can break a "FILE:LINE: message" line. */
#define QUOTE_CHARS_MAX 64
#define QUOTE_BUF_SIZE (2 + QUOTE_CHARS_MAX * 4 + 3 + 1)
const char *quote(char *buf, const char *s);
#define QUOTED(s) quote((char[QUOTE_BUF_SIZE]) {}, (s))

/* Hundredths of a percent as "5.00%". */
const char *format_centi(char *buf, size_t size, uint32_t v);
#define FORMAT_CENTI(v) format_centi((char[16]) {}, 16, (v))

/* ---- policy-scan.c: the load context and typed access ----------------------------- */

typedef struct SeenRule {
        char *name;
        unsigned line;
} SeenRule;

/* One file being applied to the policy built so far. */
typedef struct Ctx {
        Policy *p;
        const HostInfo *host;
        const char *path;        /* as shown in messages */
        const char *origin_file; /* path's copy in p->files, once the file applies */
        PolicyErrors *errors;
        unsigned n_errors; /* in this file */
        bool apply;        /* the file's conditions hold: commit what it says */
        bool oom;
        SeenRule *seen; /* rule names in this file, for duplicates */
        size_t n_seen;
} Ctx;

/* Returns the best candidate within distance 2, or NULL. candidates ends with NULL. */
const char *suggest(const char *key, const char *const *candidates);

void ctx_done(Ctx *c);
/* Adds "FILE:LINE: where: message" to the errors (line 0: no line). */
_printf_(4, 0) void ctx_verror(Ctx *c, unsigned line, const char *where, const char *fmt, va_list ap);
_printf_(4, 5) void ctx_error(Ctx *c, unsigned line, const char *where, const char *fmt, ...);
/* Adds a note: what did not apply and why. */
_printf_(2, 3) void ctx_note(Ctx *c, const char *fmt, ...);
PolicyOrigin ctx_origin(const Ctx *c, const config_setting_t *s);
unsigned line_of(const config_setting_t *s);

/* Reports what libconfig must never see in text (len bytes). */
void prescan(Ctx *c, const char *text, size_t len);
bool is_digit(char ch);

/* The get_*() helpers report a wrong type or value as an error at s and
 * return false; on success they store the value and return true. */
const char *describe(const config_setting_t *s, char *buf, size_t size);
#define DESCRIBE(s) describe((s), (char[QUOTE_BUF_SIZE + 32]) {}, QUOTE_BUF_SIZE + 32)
bool get_int(Ctx *c, const config_setting_t *s, const char *where, int64_t lo, int64_t hi, int64_t *ret);
bool get_number(Ctx *c, const config_setting_t *s, const char *where, double lo, bool lo_open, double hi,
                double *ret);
bool get_bool(Ctx *c, const config_setting_t *s, const char *where, bool *ret);
bool get_string(Ctx *c, const config_setting_t *s, const char *where, const char **ret);
bool check_group(Ctx *c, const config_setting_t *s, const char *where);
void unknown_key(Ctx *c, const config_setting_t *s, const char *where, const char *what,
                 const char *const *candidates);
/* Returns the index of name in the NULL-terminated keys, or -1. */
int key_index(const char *name, const char *const *keys);
bool get_size(Ctx *c, const config_setting_t *s, const char *where, bool allow_percent, uint64_t *ret_kb);
bool get_duration(Ctx *c, const config_setting_t *s, const char *where, uint64_t lo, uint64_t hi,
                  uint64_t *ret);

bool glob_has_magic(const char *g);
/* Returns NULL for a well-formed fnmatch() pattern, or what is wrong. */
const char *glob_check(const char *g, size_t *ret_min_len);
bool get_glob(Ctx *c, const config_setting_t *s, const char *where, const char **ret);

/* ---- policy-when.c: conditions ------------------------------------------------------ */

/* Validates the when group w and evaluates it on c->host. Returns false on
 * errors; stores whether every condition holds and, if not, why. */
bool parse_when(Ctx *c, const config_setting_t *w, const char *parent, bool *ret_holds, char *why,
                size_t why_size);
/* The same for the optional "when" member of group s. */
bool section_holds(Ctx *c, const config_setting_t *s, const char *where, bool *ret_holds, char *why,
                   size_t why_size);

/* ---- policy-sections.c -------------------------------------------------------------- */

extern const char *const threshold_keys[_POLICY_THRESHOLD_MAX + 2];
bool is_printable(const char *s, bool allow_utf8);
void set_string(Ctx *c, char **field, const char *v);
/* The lowest value a policy may ask for. */
uint64_t tunable_floor(TunableId id);
/* Parses text (NUL-terminated) with libconfig, validates it, and applies what
 * holds on the host to p. Errors go to errors. Returns 0 or -ENOMEM. */
int file_apply(Policy *p, const char *path, const char *text, const HostInfo *host, PolicyErrors *errors);

/* ---- policy-rules.c ----------------------------------------------------------------- */

void process_rule_done(ProcessRule *r);
void parse_processes_section(Ctx *c, const config_setting_t *s);

/* ---- policy-finish.c ---------------------------------------------------------------- */

const char *origin_string(char *buf, size_t size, PolicyOrigin o);
#define ORIGIN(o) origin_string((char[PATH_MAX + 32]) {}, PATH_MAX + 32, (o))
/* The checks across files on the merged policy; errors go to errors, what
 * is valid but misleading to p->warnings. */
void policy_finish(Policy *p, const HostInfo *host, PolicyErrors *errors);
/* The checks across keys, also run on a section with errors, whose values
 * never reach the merged policy (so that they show in the same run). here:
 * the file being read, whose keys are the latest and the only ones reported
 * on; NULL for the merged policy. */
void tunable_check_bounds(const Policy *p, const char *here, TunableId id, const TunablePolicy *t,
                          PolicyErrors *errors);
void thresholds_check_order(const Policy *p, const char *here, const PolicyThresholds *t,
                            PolicyErrors *errors);

/* ---- policy-contain.c --------------------------------------------------------------- */

/* The loader's two big buffers (a file's text, up to POLICY_FILE_SIZE_MAX, and
 * the child's report, up to CHILD_REPORT_MAX) are mapped rather than
 * malloc'ed. glibc serves a malloc() of 128 KiB or more with mmap() and, when
 * such a block is freed, raises that threshold to the block's size and the
 * heap's trim threshold to twice it. A malloc'ed 1 MiB text buffer does that
 * at the first load: from then on the reload path's buffers come from the
 * heap, land at different addresses from one reload to the next, and the
 * heap keeps every page it has touched (measured with bench/growth: the heap
 * grows to 2.6 MB and RssAnon by about 100 kB over 1,000 reloads, while
 * valgrind shows the live heap flat). A mapping costs two system calls per
 * file, holds only the pages written, and munmap() gives them all back. */
typedef struct Scratch {
        char *p;
        size_t size;
} Scratch;

#define SCRATCH_NULL ((Scratch) {})

int scratch_new(Scratch *s, size_t size);
void scratch_done(Scratch *s);

/* Parses and validates text in a forked child with the limits of
 * policy_parse_limits. Appends the child's errors, or one saying how it
 * failed. Returns 0 (check errors->n) or -ENOMEM. */
int contained_check(Policy *p, const char *path, const char *text, const HostInfo *host,
                    PolicyErrors *errors);
