/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunable.h"

/* The only module that writes vm sysctls. It remembers the values found
 * before memtuned's first write of each tunable (persisted in the state
 * directory, so a restart after a crash still knows the true originals) and
 * what it wrote last (so a change behind its back is recognised). It owns the
 * state directory: it checks it, locks it against a second daemon, and logs
 * what it finds wrong there itself (only it knows the file, key and value). */

/* Writes to one tunable closer together than this are refused: the engine's
 * cool-down is far longer, so this only stops a bug from hammering the kernel. */
#define ACTUATOR_MIN_WRITE_INTERVAL_USEC (1 * 1000 * 1000ULL)

#define ACTUATOR_STATE_FILE "originals"
/* Held (an OFD lock) by the daemon that uses the state directory; holds its PID. */
#define ACTUATOR_LOCK_FILE "lock"

typedef struct ActuatorEntry {
        bool has_original; /* we changed it, and this is what to restore */
        uint64_t original;
        bool has_written;
        uint64_t written; /* the value we last wrote */
        uint64_t last_write_usec;
} ActuatorEntry;

typedef struct Actuator {
        int proc_fd;           /* borrowed */
        int sys_fd;            /* borrowed; -1: no /sys, its knobs are never written */
        int state_fd;          /* the state directory, owned */
        int lock_fd;           /* ACTUATOR_LOCK_FILE, locked, owned */
        const char *state_dir; /* borrowed, for messages */
        ActuatorEntry entry[_TUNABLE_MANAGED_MAX];
        /* Tests only: actuator_write() returns -ECANCELED right after the
         * kernel write, before anything else is recorded, as a SIGKILL at
         * that point would leave things. */
        bool test_stop_after_kernel_write;
} Actuator;

/* One tunable's line in the state file ACTUATOR_STATE_FILE:
 * "NAME ORIGINAL WRITTEN", with " writing=PENDING" while a write is under way. */
typedef struct ActuatorSaved {
        bool present;      /* the file has a line for this tunable */
        uint64_t original; /* the value before memtuned's first write */
        uint64_t written;  /* the value memtuned wrote last */
        bool has_pending;  /* a write of pending was under way */
        uint64_t pending;
} ActuatorSaved;

/* Parses the state file's text (n bytes at text, not NUL terminated): lines
 * as above, for distinct managed tunables, separated by newlines. Fills
 * ret[_TUNABLE_MANAGED_MAX] (present false where no line names the tunable)
 * and returns 0; -EBADMSG for anything else (a NUL byte, an unknown, unmanaged
 * or repeated name, a number missing or past 64 bits, text after the numbers),
 * ret untouched then. Values are not checked against bounds here:
 * actuator_open() does. */
int actuator_parse_originals(const char *text, size_t n, ActuatorSaved ret[]);

/* Formats saved[_TUNABLE_MANAGED_MAX] as the state file's text, one line per
 * present entry in TunableId order, which actuator_parse_originals() reads
 * back to the same entries. Returns the length (< size), or -ENOBUFS. */
int actuator_format_originals(const ActuatorSaved saved[], char *buf, size_t size);

/* Opens the state directory (creating it, mode 0755), refuses one that
 * belongs to another user than root or the effective uid or that group or
 * others may write (-EPERM, -EACCES), locks it (-EBUSY when another process
 * holds it), and loads the persisted originals. An original outside the
 * tunable's safety bounds (the kernel's range; for min_free_kbytes
 * TUNABLE_MIN_FREE_KBYTES_FLOOR up to ENGINE_RESERVE_CAP_RAM_PERCENT of
 * MemTotal) is dropped with a warning: the current value then counts as the
 * original. Entries whose current value is no longer what memtuned wrote were
 * changed while memtuned was not running; they are dropped (the
 * administrator's value stands) and reported through the return value: the
 * number of such entries (>= 0), or -errno (logged). A corrupt state file, or
 * something else than a regular file in its place, gives -EBADMSG after it
 * has been moved aside to originals.corrupt (logged); the actuator is then
 * usable with no originals. */
int actuator_open(Actuator *a, int proc_fd, int sys_fd, const char *state_dir);

/* Closes the state directory and releases the lock. */
void actuator_close(Actuator *a);

/* Sets a tunable. Returns 1 if written (and read back equal), 0 if the kernel
 * already had that value (nothing written), -EBUSY inside the minimum write
 * interval, -ERANGE outside the kernel's range, -EIO if the read-back differs
 * (the kernel clamped it; the value read is stored in *ret_actual if given),
 * -errno from the write. Before the kernel sees a value, the state file already
 * names the original and both the previous and the new value as memtuned's,
 * so that a crash at any point leaves the original known. */
int actuator_write(Actuator *a, TunableId id, uint64_t value, uint64_t now_usec, uint64_t *ret_actual);

/* Lets the next write of id through the minimum write interval: an
 * administrator's change (SetOverride and the like) is written before the
 * call returns, and the interval guards against a looping bug, not a person. */
void actuator_allow_next_write(Actuator *a, TunableId id);

/* Compares a freshly read value with what memtuned last wrote. Returns 1 when
 * someone else changed it: the change is adopted (it becomes the value to
 * restore and memtuned forgets its own write); 0 otherwise. */
int actuator_note_current(Actuator *a, TunableId id, uint64_t current);

/* Writes every original back (only where the current value is still the one
 * memtuned wrote) and removes the state file. Each failure is logged with the
 * tunable and what failed (reading it, writing it, removing the file).
 * Returns the number restored, or the first error writing or reading a value
 * (after trying all); the file's removal failing alone is no such error. */
int actuator_restore(Actuator *a);
