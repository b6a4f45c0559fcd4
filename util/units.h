/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Sizes and durations as people write and read them: one grammar for policy
 * files, the client and the logs. */

/* Formats kB for people, the one size format of logs, --once and the client:
 * binary units, one decimal unless whole: "64 MiB", "1.5 GiB", "900 kB" (kB as the kernel
 * writes it in /proc/meminfo: 1024 bytes).
 * Returns buf. */
const char *format_size(char *buf, size_t size, uint64_t kb);
#define SIZE_BUF 32
#define FORMAT_SIZE(kb) format_size((char[SIZE_BUF]) {}, SIZE_BUF, (kb))

/* Formats microseconds exactly, with the largest unit that divides them:
 * "10min", "1500ms", "0us" (for --check --dump, which must parse again).
 * Returns buf. */
const char *format_duration(char *buf, size_t size, uint64_t usec);
#define DURATION_BUF 32
#define FORMAT_DURATION(u) format_duration((char[DURATION_BUF]) {}, DURATION_BUF, (u))

/* Parses a size into kB: "64M", "1.5G", "512K", "1T" (binary units; "KiB",
 * "MB" and the like are accepted and also binary), or "2%" / "0.5%" of ram_kb.
 * Returns 0; -EINVAL for text that is not a size (no unit included), -ERANGE
 * past 64 bits or for a percentage not in (0, 100]. */
int parse_size(const char *s, uint64_t ram_kb, uint64_t *ret_kb);

/* The duration grammar: terms NUMBER UNIT without spaces, units "us", "ms",
 * "s", "m" or "min", "h", "d"; a decimal point is allowed ("1.5h", at most
 * three decimals); terms add up ("1h30m"). A bare number is not a duration:
 * a caller that means seconds by it says so itself (memtunectl --for, the
 * policy's integers).
 * Returns 0, -EINVAL, or -ERANGE past 64 bits of microseconds. */
int parse_duration_full(const char *s, uint64_t *ret_usec);

/* Formats microseconds for people (the client, the engine's reasons), rounded
 * down to seconds, in at most two units: "1h 30min", "45s", "1d 1h"; below a
 * second in milliseconds: "250ms", "0s". Returns buf. */
const char *format_duration_human(char *buf, size_t size, uint64_t usec);
#define FORMAT_DURATION_HUMAN(u) format_duration_human((char[DURATION_BUF]) {}, DURATION_BUF, (u))

/* Parses "5.15" or "6.1.0" (at most three numbers, each below 65536) into
 * ret (missing parts 0) and the count of parts given. Returns 0 or -EINVAL. */
int parse_kernel_version(const char *s, unsigned ret[3], unsigned *ret_n);
