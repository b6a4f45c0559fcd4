/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "tunable.h"

/* The state file "learned": the watermark levels the engine held and learned
 * (engine_resume()), one line per tunable, "NAME LEVEL LEARNED". A clean stop
 * restores the original values, so without it a restart would begin at the
 * kernel's values and climb again through the stalls that taught the engine
 * its levels. Under /run it does not outlive a boot. The engine clamps what
 * it resumes into the policy's bounds, like any level. */

#define LEARNED_STATE_FILE "learned"

/* The tunables the file holds. */
#define LEARNED_N 2
extern const TunableId learned_ids[LEARNED_N];

typedef struct LearnedLevel {
        uint64_t level, learned;
        bool known; /* a line for it was there (parse), or it is to be written (format) */
} LearnedLevel;

/* Parses the file's text (n bytes, need not be NUL terminated) into ret,
 * indexed like learned_ids. Returns 0; -EBADMSG for a malformed line, an
 * unknown or repeated name, or a tunable the file does not hold (ret
 * untouched then). */
int learned_parse(const char *text, size_t n, LearnedLevel ret[LEARNED_N]);

/* Formats levels (only the known ones) into buf. Returns the length, or
 * -ENOBUFS when size is too small. */
int learned_format(const LearnedLevel levels[LEARNED_N], char *buf, size_t size);
