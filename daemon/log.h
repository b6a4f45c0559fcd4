/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "macro.h"

/* Logging for manager, bus and main. Lines go to stderr; when stderr is the
 * journal (JOURNAL_STREAM matches) or log_set_prefix(true), each line carries a
 * "<N>" priority prefix that journald turns into the record's priority. */

void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_prefix(int on);
void log_setup(void);

/* Logs and returns -abs(error) (or 0 when error is 0), so callers can write
 * "return log_error_errno(r, ...)". "%m" in format prints strerror(error). */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)

/* The MESSAGE_ID of every decision record: `journalctl MESSAGE_ID=...` lists
 * them all. Generated once with `systemd-id128 new`; never change it. */
#define MEMTUNED_DECISION_MESSAGE_ID "301a7168b66240559984fd2a91fc2dd5"

typedef struct Decision Decision;

/* Logs one decision at LOG_INFO. Under the journal it is a structured record
 * with MESSAGE_ID=MEMTUNED_DECISION_MESSAGE_ID and the fields MEMTUNED_TUNABLE,
 * MEMTUNED_OLD, MEMTUNED_NEW, MEMTUNED_SOURCE, MEMTUNED_REASON (the reason
 * without the "name old -> new: " prefix), MEMTUNED_MODE (enforce or
 * observe), MEMTUNED_TRIGGER (what started the decision: trigger, e.g. "psi")
 * and MEMTUNED_REACTION_USEC (from that event to the decision complete, its
 * writes done: reaction_usec); MESSAGE is the plain line. Elsewhere, or when
 * the journal refuses the record, it is the plain line:
 * "[(observe) ]name old -> new: reason". */
void log_decision(const Decision *d, bool observe, const char *trigger, uint64_t reaction_usec);
