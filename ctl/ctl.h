/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* memtunectl's commands (memtunectl.c holds only main() and the command
 * line). Each command takes an open bus connection, prints its result on
 * stdout, its errors on stderr, and returns the exit status below. */

/* Exit statuses, documented in memtunectl(1). */
enum {
        CTL_EXIT_SUCCESS = 0,
        CTL_EXIT_FAILURE = 1, /* memtuned refused (bad value, rejected policy) or failed; check: invalid */
        CTL_EXIT_USAGE = 2,   /* bad command line */
        CTL_EXIT_DENIED = 3,  /* not authorized */
        CTL_EXIT_UNREACHABLE = 4, /* no bus, or memtuned not running on it */
};

typedef struct CtlOptions {
        bool json;              /* JSON on stdout (one line per document) */
        uint32_t limit;         /* processes, decisions: 0 = all */
        uint64_t duration_usec; /* set --for: 0 = until cleared */
} CtlOptions;

/* Widths of the zone gauge: four regions of CTL_GAUGE_REGION_WIDTH columns. */
#define CTL_GAUGE_REGION_WIDTH 10
#define CTL_GAUGE_SIZE (4 * CTL_GAUGE_REGION_WIDTH + 6)

/* Draws free pages against a zone's watermarks into buf (at least
 * CTL_GAUGE_SIZE bytes): "[##########|##########|####......|..........]".
 * Each quarter is one region, whatever its size in pages: [0, min) where
 * allocations reclaim directly, [min, low), [low, high) where kswapd works,
 * [high, 2 * high) and above; the filled part ends where free stands inside
 * its region (linearly). Returns the region's name: "below min", "below
 * low", "below high", "above high", or "empty" for a zone without watermarks
 * (then the gauge is blank). */
const char *ctl_gauge(uint64_t free, uint64_t min, uint64_t low, uint64_t high, char *buf, size_t size);

/* Parses a tunable's value as given to `set`: a decimal number in the
 * sysctl's unit; for min_free_kbytes also a size with a binary unit ("64M",
 * "1.5G", converted to kB). Returns 0, -EINVAL, -ERANGE. */
int ctl_parse_value(const char *name, const char *text, uint64_t *ret);

/* Parses `--for`: parse_duration_full()'s grammar ("500ms", "10s",
 * "10m"/"10min", "2h", "1d", sums such as "1h30m"), and a bare number as
 * seconds ("90"). Returns 0, -EINVAL, -ERANGE. */
int ctl_parse_duration(const char *text, uint64_t *ret_usec);

/* The exit status for a failed call: r is the call's return, e its error.
 * A local failure that sd-bus names "System.Error.<ERRNO>" counts as that
 * errno (a broken transport is CTL_EXIT_UNREACHABLE, not a refusal). */
int ctl_exit_status(int r, const sd_bus_error *e);

int ctl_status(sd_bus *bus, const CtlOptions *o);
int ctl_monitor(sd_bus *bus, const CtlOptions *o);
int ctl_processes(sd_bus *bus, const CtlOptions *o);
int ctl_decisions(sd_bus *bus, const CtlOptions *o);
/* GetMetrics(): the Prometheus text that --metrics-dir writes, as it is now. */
int ctl_metrics(sd_bus *bus, const CtlOptions *o);
int ctl_set(sd_bus *bus, const CtlOptions *o, const char *name, const char *value);
/* name NULL: every override, and the runtime mode. */
int ctl_reset(sd_bus *bus, const CtlOptions *o, const char *name);
/* mode NULL: print the mode and where it comes from. */
int ctl_mode(sd_bus *bus, const CtlOptions *o, const char *mode);
int ctl_reload(sd_bus *bus, const CtlOptions *o);

/* doctor (ctl/doctor.c): each knob's owner, conflicts, peers, PSI, MGLRU,
 * capabilities. bus NULL or without memtuned: says so and reports what the
 * files below root show; local false (-H): memtuned's answer only. Returns
 * CTL_EXIT_FAILURE when there is a conflict. */
int ctl_doctor(sd_bus *bus, const CtlOptions *o, const char *root, bool local);
/* GetIncidents(): the OOM kills recorded, newest first (--json: the records). */
int ctl_incidents(sd_bus *bus, const CtlOptions *o);
/* Why(): the live explanation of pid's place in the kill order. */
int ctl_why(sd_bus *bus, const CtlOptions *o, uint32_t pid);
