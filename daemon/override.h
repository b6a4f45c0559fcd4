/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "tunable.h"

/* Administrators' overrides (D-Bus SetOverride): checking a request against
 * the hard safety bounds, and keeping active overrides in the state directory
 * so that a daemon restart keeps the unexpired ones. The engine applies them
 * (engine.h, Override); this module never logs and never touches the kernel.
 *
 * Expiry is CLOCK_MONOTONIC in memory (like every time in the daemon) and a
 * CLOCK_REALTIME deadline on disk: the monotonic clock's origin means nothing
 * to the next process once the state file outlives it, while a wall-clock
 * deadline is what the administrator meant ("for 1h" set at 14:00 ends at
 * 15:00, whenever the daemon restarts in between). The state directory is
 * /run, so the file does not survive a reboot, where neither clock would
 * help. A wall-clock step while the daemon is down shifts the deadline by the
 * step: accepted, the override still ends. */

#define OVERRIDE_STATE_FILE "overrides"

/* Tunable names are short ASCII ("watermark_scale_factor" is 22 bytes); 64
 * bytes leaves room and bounds what an error message echoes back. */
#define OVERRIDE_NAME_MAX 64

/* An override meant to last longer than a year is a setting: it belongs in a
 * policy file (or use duration 0, "until cleared"). The bound also keeps every
 * deadline far from 64-bit overflow on either clock. */
#define OVERRIDE_DURATION_MAX_USEC (UINT64_C(366) * 24 * 3600 * USEC_PER_SEC)

/* What the bounds of an override depend on. */
typedef struct OverrideContext {
        const Tunables *tunables;          /* the latest sample: which tunables exist */
        uint64_t mem_total_kb;             /* MemTotal, for the reserve cap */
        double max_reserve_ram_percent;    /* the policy's cap; 0 or above the engine's: the engine's */
        uint64_t min_free_kbytes_baseline; /* the engine's baseline: a reserve above the cap stays allowed */
        const char *refused[_TUNABLE_MANAGED_MAX]; /* why memtuned never sets it here; NULL or "": it may */
} OverrideContext;

/* The hard bounds of an override of id: the kernel's range, and for
 * min_free_kbytes the policy loader's floor (TUNABLE_MIN_FREE_KBYTES_FLOOR)
 * and the reserve cap exactly as the engine applies it
 * (engine.c, safety_clamp(): the smaller of the policy's
 * max_reserve_ram_percent and ENGINE_RESERVE_CAP_RAM_PERCENT of MemTotal, but
 * never below the baseline). An override within them is applied unchanged.
 * ret_cap_percent (may be NULL) gets the cap's percentage when the cap, not
 * the kernel, sets the maximum, else 0. */
void override_bounds(const OverrideContext *c, TunableId id, uint64_t *ret_min, uint64_t *ret_max,
                     double *ret_cap_percent);

/* Checks a tunable name from outside: at most OVERRIDE_NAME_MAX bytes,
 * printable ASCII, a managed tunable that this kernel has. Returns its id;
 * -EINVAL (too long, control characters or other bytes), -ENOENT (no such
 * tunable, or one memtuned never manages), -ENODEV (not on this kernel: e.g.
 * zone_reclaim_mode without NUMA; or refused on this host: zone_reclaim_mode
 * with memory tiering). A sentence for the caller goes to msg. */
int override_check_name(const OverrideContext *c, const char *name, char *msg, size_t msg_size);

/* Checks a whole request: the name as above, the value within
 * override_bounds(), the duration (0: until cleared) at most
 * OVERRIDE_DURATION_MAX_USEC. Returns the tunable id, or -EINVAL, -ENOENT,
 * -ENODEV, -ERANGE (value or duration out of range), with a sentence in msg. */
int override_check(const OverrideContext *c, const char *name, uint64_t value, uint64_t duration_usec,
                   char *msg, size_t msg_size);

/* A CLOCK_MONOTONIC deadline (USEC_INFINITY: none) as CLOCK_REALTIME, given
 * both clocks now; 0 for none. */
uint64_t override_deadline_realtime(uint64_t expires_mono, uint64_t now_mono, uint64_t now_real);

/* The state file's text for the active overrides that have not expired at
 * now_mono: one line "NAME VALUE DEADLINE", DEADLINE the CLOCK_REALTIME usec
 * or "infinity". Returns the length written (< size), or -ENOBUFS. */
int overrides_format(const Override o[], uint64_t now_mono, uint64_t now_real, char *buf, size_t size);

/* Parses the state file's text (len bytes at buf, not NUL terminated) into
 * ret (_TUNABLE_MANAGED_MAX entries, inactive where no line names the
 * tunable), converting deadlines to CLOCK_MONOTONIC: an active entry expires
 * at USEC_INFINITY or after now_mono, at most OVERRIDE_DURATION_MAX_USEC
 * later. Lines whose deadline has passed at now_real are skipped and counted
 * in *ret_expired (if given). Returns 0, or -EBADMSG for anything else than
 * well-formed lines naming distinct managed tunables (a NUL byte included);
 * ret and *ret_expired are untouched then. Values are not checked against
 * bounds here: the caller does that with override_check(). */
int overrides_parse(const char *buf, size_t len, uint64_t now_mono, uint64_t now_real, Override ret[],
                    unsigned *ret_expired);

/* Writes the file below dir_fd atomically (util/statefile.h), or removes it
 * when no override is active. Returns 0 or -errno. */
int overrides_save(int dir_fd, const Override o[], uint64_t now_mono, uint64_t now_real);

/* Reads and parses the file below dir_fd. Returns 0 (also when there is no
 * file: nothing active), -EBADMSG for a corrupt file or anything but a regular
 * file in its place (moved aside to OVERRIDE_STATE_FILE ".corrupt", ret
 * empty), or -errno. */
int overrides_load(int dir_fd, uint64_t now_mono, uint64_t now_real, Override ret[], unsigned *ret_expired);
