/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict number parsing for kernel text. None of these accept a sign, leading
 * white space is the caller's business. */

/* Parses decimal digits at s. Returns 0 and stores the value and the first
 * byte after the digits; -EINVAL if s does not start with a digit, -ERANGE past
 * 64 bits. end bounds the text (parsing never reads at or past it). */
int parse_u64(const char *s, const char *end, const char **ret_next, uint64_t *ret);

/* Parses a whole string: digits, optionally followed by one newline. */
int parse_u64_full(const char *s, uint64_t *ret);

/* Same for a signed value (sysctls such as oom_score_adj are signed). */
int parse_i64_full(const char *s, int64_t *ret);

/* Parses "12.34" (PSI averages) into hundredths: 1234. At most two decimals. */
int parse_centi(const char *s, const char *end, const char **ret_next, uint32_t *ret);

/* Returns the start of the line after p, or end when p is on the last line. */
const char *line_next(const char *p, const char *end);

/* Skips spaces and tabs (never a newline). */
const char *skip_blanks(const char *p, const char *end);

/* True if the line at p starts with word followed by a blank, ':' or '='
 * (so "Cached" never matches "SwapCached" and "pgscan" never "pgscan_direct").
 * On success stores the byte after the word. */
bool line_startswith_word(const char *p, const char *end, const char *word, const char **ret_next);
