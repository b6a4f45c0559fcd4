/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "meminfo.h"
#include "procfile.h"
#include "psi.h"
#include "swapinfo.h"
#include "tunable.h"
#include "vmstat.h"
#include "zoneinfo.h"

/* One observation of the kernel's memory state: plain values, no heap. */
typedef struct Sample {
        uint64_t timestamp_usec; /* CLOCK_MONOTONIC */
        MemInfo meminfo;
        Psi psi;
        Tunables tunables;
        SwapState swap; /* the swap in use and its class */
        VmStat vmstat;
        ZoneInfo zoneinfo; /* last: variable used length */
} Sample;

/* Per-second rates between two samples. A counter that went backwards (a reset,
 * or a different machine) gives rate 0 and sets its bit in reset; a counter
 * missing in either sample leaves its bit in valid clear. */
typedef struct Rates {
        uint64_t interval_usec;
        double vmstat[_VMSTAT_FIELD_MAX];
        uint32_t valid;
        uint32_t reset;
        /* Share of the interval that some/full tasks stalled, in percent,
         * from the PSI totals (not the kernel's running averages). */
        double psi_some_pct, psi_full_pct;
        bool psi_valid;
} Rates;

/* The open files sampling reads: one open() at start, pread() afterwards. */
typedef struct Sampler {
        int proc_fd, sys_fd;
        ProcFile vmstat, zoneinfo, meminfo, psi;
        ProcFile tunable[_TUNABLE_MAX];
        /* The probe of each knob: 0 when its file is open, else the -errno
         * of opening it (-ENOENT: the kernel lacks it). A knob that failed its
         * probe is never read nor written. */
        int tunable_probe[_TUNABLE_MAX];
        /* /proc/swaps and zswap's switch, read every sample; the devices
         * are classified (a few /sys reads) only when either changed. */
        ProcFile swaps, zswap;
        uint64_t swaps_hash; /* of the last devices (path, type, priority) and switch; 0: none yet */
        SwapState swap;
        SwapDevice swap_devices[SWAPS_MAX];
} Sampler;

/* Opens the files below proc_dirfd and sys_dirfd (borrowed; they must outlive
 * the sampler; sys_dirfd may be -1 for no /sys, and then its knobs count as
 * absent). A missing PSI file or tunable is not an error: the sample says
 * so. Returns -errno when vmstat, zoneinfo or meminfo cannot be opened, or a
 * /proc/sys/vm file exists but cannot be opened; the failing path is stored
 * in *ret_failed_path (static string) if given. */
int sampler_open(Sampler *s, int proc_dirfd, int sys_dirfd, const char **ret_failed_path);

/* Why knob id is not available, in words ("no /sys/kernel/mm/lru_gen/enabled:
 * ..." or "cannot open /sys/...: Permission denied"), into buf; "" when its
 * probe succeeded. Returns buf. */
const char *sampler_probe_reason(const Sampler *s, TunableId id, char *buf, size_t size);

void sampler_close(Sampler *s);

/* Reads and parses everything. Returns 0, or the reader's error with the file
 * that failed in *ret_failed_path. *ret is fully written only on success. */
int sampler_read(Sampler *s, uint64_t now_usec, Sample *ret, const char **ret_failed_path);

/* At start, before the event loop, a failed read is tried again: the running
 * daemon skips a torn read (a file that changed while it was read) and takes
 * the next tick's sample, but at start there is no tick yet, and a torn read
 * stopped the daemon (2 of 211 starts in a kill loop). SAMPLER_START_ATTEMPTS
 * reads, SAMPLER_START_RETRY_USEC apart: a torn read does not repeat, a
 * broken file still stops the start within half a second. */
#define SAMPLER_START_ATTEMPTS 10
#define SAMPLER_START_RETRY_USEC (50 * USEC_PER_MSEC)

/* sampler_read() at the time of each attempt, up to SAMPLER_START_ATTEMPTS
 * times while it fails (sleeping in between: only before the event loop).
 * Returns what the last attempt returned. */
int sampler_read_start(Sampler *s, Sample *ret, const char **ret_failed_path);

/* Computes rates from prev to cur. Returns -EINVAL unless cur is later. */
int rates_compute(const Sample *prev, const Sample *cur, Rates *ret);

/* Extends r, computed over a short interval, back over older's interval,
 * which ends where r's begins (the rates of the previous pair of samples). A
 * rate is a count over an interval, so this equals rates_compute() over both:
 * (r1 i1 + r2 i2) / (i1 + i2); a field is valid only if valid in both, reset
 * if reset in either. */
void rates_extend(Rates *r, const Rates *older);

static inline bool rates_has(const Rates *r, VmStatField f) {
        return r->valid & (UINT32_C(1) << f);
}
