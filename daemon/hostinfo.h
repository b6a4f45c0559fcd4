/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "meminfo.h"
#include "policy.h"
#include "zoneinfo.h"

/* The host facts that policy conditions and percentages need (HostInfo is
 * defined in policy.h). */

/* Reads them below proc_fd (the --proc-root directory): MemTotal and SwapTotal
 * from meminfo, the nodes that have managed pages from zoneinfo, the hostname
 * and kernel release from sys/kernel/{hostname,osrelease}, falling back to
 * uname(2) where a fixture tree lacks those. Returns 0, or the reader's error
 * (-ENOENT, -EINVAL, -ENODATA, ...). *ret is written only on success. Tests
 * that need other facts fill a HostInfo themselves. */
int hostinfo_read(int proc_fd, HostInfo *ret);

/* The same facts from a meminfo and zoneinfo the caller has parsed already
 * (the daemon's sampler keeps both files open with buffers sized at start),
 * the hostname and release read below proc_fd into stack buffers: no heap
 * allocation, so that a policy reload does not allocate and free the 64 KiB
 * zoneinfo buffer and a ZoneInfo each time. Same returns as hostinfo_read(). */
int hostinfo_from(int proc_fd, const MemInfo *meminfo, const ZoneInfo *zoneinfo, HostInfo *ret);

/* Parses a kernel release ("6.1.0-18-amd64", "6.18.44-fc") into its first
 * three numbers with parse_kernel_version() (util/units.h), so a policy's
 * "kernel" condition and the host read alike; missing ones are 0. Returns 0
 * or -EINVAL when it does not start with a number, or a number is above 65535. */
int hostinfo_parse_release(const char *release, unsigned ret[3]);
