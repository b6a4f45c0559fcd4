/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sysctld.h"

/* TuneD's active profile and the sysctls it sets: /etc/tuned/active_profile
 * names one or more profiles; each is <dir>/<name>/tuned.conf in the first
 * of tuned_profile_dirs that has it (/etc over /usr/lib); "include=" in its
 * [main] section loads other profiles first, which the including profile then
 * overrides. Keys of [sysctl] are sysctls ("vm.swappiness" becomes
 * "vm/swappiness"); of [vm], dirty_* are the vm sysctls of the same name and
 * the rest ("transparent_hugepages") are kept as "tuned-vm/KEY". A section of
 * another name with type=sysctl or type=vm (a plugin instance) counts the
 * same, unless it is conditional (uname_regex, cpuinfo_regex: not evaluated,
 * so not counted) or enabled=false. */

/* A profile name: letters, digits, '.', '_', '-', at most 64 bytes, not "."
 * or "..": anything else could walk out of the profile directories. Include
 * chains deeper than 8 are loops or nonsense (TuneD's own profiles nest 3). */
#define TUNED_NAME_MAX 64u
#define TUNED_INCLUDE_DEPTH_MAX 8u
#define TUNED_INCLUDES_MAX 16u
/* Profile files read for one active profile list, includes counted: TuneD's
 * own deepest chain reads 4; fan-out without a loop could otherwise read
 * 16^8. */
#define TUNED_LOADS_MAX 64u

extern const char *const tuned_profile_dirs[];
#define TUNED_ACTIVE_PROFILE "etc/tuned/active_profile"

typedef struct TunedInclude {
        char name[TUNED_NAME_MAX + 1];
        unsigned line;
} TunedInclude;

/* Whether s is an acceptable profile name (see TUNED_NAME_MAX). */
bool tuned_name_valid(const char *s);

/* Parses one tuned.conf's text (len bytes, need not be NUL-terminated),
 * named file in messages: its [sysctl] and [vm] settings are appended to l,
 * its includes (in order) to includes[] (room for TUNED_INCLUDES_MAX) with
 * their count in *n_includes. A bad line is an error and is skipped; a NUL
 * byte means the file is not text and nothing of it is added. Returns the
 * number of errors added (>= 0), or -ENOMEM. */
int tuned_parse(const char *file, const char *text, size_t len, ConfList *l, TunedInclude includes[],
                size_t *n_includes);

/* The TuneD configuration below root_fd. */
typedef struct TunedConfig {
        char **profiles; /* the active profile names, in order; none: TuneD has no active profile */
        size_t n_profiles;
        ConfList list; /* what they set, in the order applied; the files read; errors */
} TunedConfig;

void tuned_config_done(TunedConfig *c);

/* Reads active_profile and every profile it names, includes first. A missing
 * active_profile is no error (no TuneD); every problem (a bad name, a profile
 * not found, an include loop) is an error in c->list naming file and line,
 * and skips only what it concerns. Returns 0 or -ENOMEM. */
int tuned_load(int root_fd, TunedConfig *ret);
