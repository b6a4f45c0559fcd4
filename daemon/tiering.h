/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Memory tiering (Linux 6.1+: /sys/devices/virtual/memory_tiering/) and
 * demotion (5.15+: /sys/kernel/mm/numa/demotion_enabled). Where reclaim on a
 * fast node demotes pages to a slower one instead of dropping them, zone
 * reclaim (vm.zone_reclaim_mode) would make the fast node reclaim its own
 * pages before allocating on the next tier: the opposite of what tiering is
 * configured for. memtuned never sets zone_reclaim_mode there. */

#define TIERING_TIERS_MAX 16

typedef struct Tiering {
        bool demotion_known; /* demotion_enabled exists */
        bool demotion;       /* and reads true */
        unsigned n_tiers;    /* memory tiers that hold at least one node */
        char tiers[192];     /* "memory_tier4 (nodes 0), memory_tier22 (nodes 1)" */
} Tiering;

/* Parses demotion_enabled's text ("true\n" or "false\n", as the kernel's
 * sysfs_emit of a bool; kstrtobool's "1"/"0"/"y"/"n" are taken too, for a
 * hand-written fixture). Returns 0, or -EINVAL. */
int tiering_parse_bool(const char *buf, size_t len, bool *ret);

/* Parses a memory tier's nodelist ("0-1\n", "" for none). Returns 1 when it
 * names a node, 0 when empty, -EINVAL for anything else than node list
 * characters (digits, ',' and '-'). */
int tiering_parse_nodelist(const char *buf, size_t len);

/* Reads both below sys_dirfd (-1: nothing to read, an empty result). A
 * missing file or directory is an older kernel, not an error. Returns 0, or
 * -errno for a file that exists but cannot be read or parsed. */
int tiering_read(int sys_dirfd, Tiering *ret);

/* Whether reclaim here demotes: demotion is enabled, or two or more tiers
 * hold memory. */
bool tiering_active(const Tiering *t);

/* Why zone_reclaim_mode is left alone on this host, in one line, into buf;
 * "" when tiering is not active. Returns buf. */
const char *tiering_refusal(const Tiering *t, char *buf, size_t size);
