/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"
#include "swapinfo.h"
#include "tunable.h"

/* The effective policy: policy files merged in order, validated, with every
 * size resolved to absolute units for this host. Only this module knows
 * libconfig. A Policy is immutable once loaded; a reload builds a new one and
 * the manager swaps pointers. */

typedef enum PolicyMode {
        POLICY_MODE_ENFORCE,
        POLICY_MODE_OBSERVE, /* compute and report, write nothing */
        _POLICY_MODE_MAX,
} PolicyMode;

typedef enum TunableMode {
        TUNABLE_MODE_UNMANAGED, /* never written */
        TUNABLE_MODE_FIXED,     /* set to value */
        TUNABLE_MODE_ADAPTIVE,  /* steered by the engine within [min, max] */
        /* swappiness only: the swap class's value from the policy's table,
         * moved by refaults at most SwapClassTable.correction either way */
        TUNABLE_MODE_BY_SWAP_CLASS,
        _TUNABLE_MODE_MAX,
} TunableMode;

/* Where a setting came from, for --check --dump and for error messages. file
 * points into Policy.files (or is NULL for a built-in default). */
typedef struct PolicyOrigin {
        const char *file;
        unsigned line;
} PolicyOrigin;

typedef struct TunablePolicy {
        TunableMode mode;
        uint64_t value;      /* fixed: the value, in the sysctl's unit (kB for min_free_kbytes) */
        uint64_t min, max;   /* adaptive: bounds in the sysctl's unit, min <= max */
        bool take_over;      /* managed even where sysctl.d or TuneD sets it (daemon/owners.h) */
        PolicyOrigin origin; /* where mode was set */
        PolicyOrigin take_over_origin;
        PolicyOrigin value_origin, min_origin, max_origin; /* .file NULL: not set by any file */
} TunablePolicy;

/* swappiness by the class of the swap in use (mode "by-swap-class"): the
 * value per class and the bound of the refault correction around it.
 * Defaults and their reasons in memtuned.policy(5); value[SWAP_CLASS_NONE]
 * is unused (without swap, swappiness stays at the value found). */
typedef struct SwapClassTable {
        uint64_t value[_SWAP_CLASS_MAX];
        uint64_t correction;
        PolicyOrigin origins[_SWAP_CLASS_MAX], correction_origin; /* .file NULL: built-in default */
} SwapClassTable;

/* The built-in table: zram 150, zswap 100, ssd 60, disk 20, unknown 60,
 * correction 20. */
extern const SwapClassTable swap_class_table_default;

/* Whether the engine steers a tunable in mode m (adaptive, by-swap-class). */
static inline bool tunable_mode_steers(TunableMode m) {
        return m == TUNABLE_MODE_ADAPTIVE || m == TUNABLE_MODE_BY_SWAP_CLASS;
}

/* The keys of the thresholds section, in PolicyThresholds order. */
typedef enum PolicyThreshold {
        POLICY_THRESHOLD_DIRECT_RECLAIM_PAGES_PER_S,
        POLICY_THRESHOLD_ALLOCSTALL_PER_S,
        POLICY_THRESHOLD_PSI_SOME_LOW,
        POLICY_THRESHOLD_PSI_SOME_MEDIUM,
        POLICY_THRESHOLD_PSI_SOME_CRITICAL,
        POLICY_THRESHOLD_PSI_FULL_CRITICAL,
        POLICY_THRESHOLD_WINDOW,
        POLICY_THRESHOLD_CALM,
        POLICY_THRESHOLD_COOLDOWN,
        POLICY_THRESHOLD_STEP_FACTOR,
        POLICY_THRESHOLD_MAX_RESERVE_RAM_PERCENT,
        POLICY_THRESHOLD_MAX_RESERVE,
        POLICY_THRESHOLD_SAMPLE_INTERVAL_MIN,
        POLICY_THRESHOLD_SAMPLE_INTERVAL_MAX,
        _POLICY_THRESHOLD_MAX,
} PolicyThreshold;

/* What the engine reacts to. Defaults are documented in memtuned.policy(5). */
typedef struct PolicyThresholds {
        double direct_reclaim_pages_per_s; /* pgscan_direct rate that counts as trouble */
        double allocstall_per_s;           /* allocstall rate that counts as trouble */
        uint32_t psi_some_low, psi_some_medium, psi_some_critical; /* avg10, hundredths of % */
        uint32_t psi_full_critical;                                /* avg10, hundredths of % */
        uint64_t window_usec;                        /* trouble must last this long before a step */
        uint64_t calm_usec;                          /* calm this long before stepping back down */
        uint64_t cooldown_usec;                      /* at least this long between two steps of a tunable */
        double step_factor;                          /* multiplicative step, > 1.0 */
        double max_reserve_ram_percent;              /* hard cap of min_free_kbytes as % of RAM */
        uint64_t max_reserve_kb;                     /* adaptive min_free_kbytes never above it (nor a
                                                 * baseline lowered to it); 0: none */
        uint64_t sample_interval_min_usec;           /* sampling when busy */
        uint64_t sample_interval_max_usec;           /* sampling when calm */
        PolicyOrigin origin;                         /* the last place that set any threshold */
        PolicyOrigin origins[_POLICY_THRESHOLD_MAX]; /* per key; .file NULL: built-in default */
} PolicyThresholds;

typedef struct ProcessMatch {
        char *comm;    /* fnmatch glob against /proc/PID/comm, NULL: any */
        char *exe;     /* fnmatch glob against the /proc/PID/exe target */
        char *cmdline; /* POSIX ERE source; compiled into cmdline_re */
        regex_t cmdline_re;
        bool has_cmdline_re;
        bool has_uid;
        uid_t uid;    /* from user = "name" (resolved at load) or uid = N */
        char *user;   /* the name as written, for display; NULL with uid = N */
        char *cgroup; /* fnmatch glob against the cgroup v2 path */
        char *unit;   /* fnmatch glob against the systemd unit name */
} ProcessMatch;

typedef struct ProcessRule {
        char *name;
        ProcessMatch match;
        int oom_score_adj;   /* -1000..1000 */
        bool reset_children; /* children of a matched process that match no rule get 0 */
        bool kubepods;       /* may adjust processes in kubelet's pods (kubelet sets theirs) */
        PolicyOrigin origin;
} ProcessRule;

typedef struct Policy {
        char *name;
        char *description;
        PolicyMode mode;
        PolicyOrigin mode_origin;
        TunablePolicy tunables[_TUNABLE_MANAGED_MAX];
        SwapClassTable swap_classes;
        PolicyThresholds thresholds;
        ProcessRule *rules; /* in policy order: the first match wins */
        size_t n_rules;
        char **files; /* absolute paths of the files that applied, in order */
        size_t n_files;
        PolicyOrigin name_origin, description_origin;
        /* What did not apply and why, for --dump and the bus: "FILE: masked by
         * /etc/.../FILE -> /dev/null", "FILE:LINE: tunables.swappiness skipped:
         * ...". In load order. */
        char **notes;
        size_t n_notes;
        /* What is valid but will not do what it seems to say, such as a
         * min_free_kbytes max above the reserve cap: "FILE:LINE: warning:
         * ...". --check prints them. */
        char **warnings;
        size_t n_warnings;
} Policy;

/* The facts host conditions test, read once per load. */
typedef struct HostInfo {
        uint64_t ram_kb;     /* MemTotal */
        uint64_t swap_kb;    /* SwapTotal */
        uint32_t numa_nodes; /* nodes with memory */
        char hostname[256];
        unsigned kernel_version[3]; /* uname release "6.1.0-..." -> {6, 1, 0} */
} HostInfo;

/* The conditions of a "when" group, parsed. Every condition given must hold;
 * an empty one holds everywhere. Strings are borrowed. */
typedef struct PolicyCondition {
        bool has_numa_nodes_min, has_numa_nodes_max;
        uint32_t numa_nodes_min, numa_nodes_max; /* nodes with memory */
        bool has_ram_min, has_ram_max;
        uint64_t ram_min_kb, ram_max_kb;
        bool has_swap;
        bool swap;                                 /* true: needs swap; false: needs none */
        const char *hostname;                      /* fnmatch() glob, case-insensitive; NULL: any */
        const char *kernel_min, *kernel_max;       /* as written ("5.15"); NULL: not given */
        unsigned kernel_min_v[3], kernel_max_v[3]; /* parsed; compared on the parts given */
        unsigned kernel_min_n, kernel_max_n;
} PolicyCondition;

/* Whether every condition of c holds on host. When one does not, returns false
 * with the first that fails in words in why ("needs at least 2 NUMA nodes,
 * this host has 1"); otherwise why is "". Pure: no I/O, no libconfig. */
bool policy_condition_holds(const PolicyCondition *c, const HostInfo *host, char *why, size_t why_size);

/* The directories policy files are read from, lowest priority first: a file in
 * a later directory masks the same name in the earlier ones. The vendor
 * directory follows --prefix (POLICY_DIR_VENDOR in paths.h, made by
 * Makefile.am), so that a /usr/local build reads the policies it installed. */
#define POLICY_DIR_RUNTIME "/run/memtuned/policies.d"
#define POLICY_DIR_ADMIN "/etc/memtuned/policies.d"
#define POLICY_DIRS_STANDARD_N 3
extern char *const policy_dirs_standard[POLICY_DIRS_STANDARD_N];

/* Hostile-input limits. 1 MiB is a thousand times the largest sensible policy
 * file, and bounds what libconfig and the error list can be made to hold. At
 * most 100 errors per file are listed: beyond that the file is not a policy.
 * 1024 rules and files: the rule engine matches every new process against every
 * rule, so a few thousand regexes would cost real CPU on fork-heavy hosts. */
#define POLICY_FILE_SIZE_MAX (1024u * 1024u)
#define POLICY_ERRORS_PER_FILE_MAX 100u
#define POLICY_RULES_MAX 1024u
#define POLICY_FILES_MAX 1024u

/* The errors of a load: "FILE:LINE: message" (or "FILE: message" for what has
 * no line), every error of every file, in load order. Start zeroed. */
typedef struct PolicyErrors {
        char **messages;
        size_t n;
} PolicyErrors;

/* Frees the messages and leaves e empty (usable with _cleanup_). */
void policy_errors_free(PolicyErrors *e);

/* How text is parsed before the policy module trusts libconfig with it: in a
 * forked child, with these limits (the address space above what the process
 * already maps, CPU seconds, and wall-clock time until the child is killed).
 * Tests lower them; skip_prescan is for tests that prove the child contains
 * what the pre-scan would have refused (such as "@include"). */
typedef struct PolicyParseLimits {
        uint64_t as_headroom_bytes;
        unsigned cpu_seconds;
        uint64_t timeout_usec;
        bool skip_prescan;
} PolicyParseLimits;
extern PolicyParseLimits policy_parse_limits;

const char *policy_mode_to_string(PolicyMode m);
const char *tunable_mode_to_string(TunableMode m);

/* The built-in policy: mode enforce, every tunable unmanaged, no process
 * rules, the default thresholds (documented in memtuned.policy(5)). Returns 0
 * or -ENOMEM. */
int policy_new_default(Policy **ret);

/* Frees p and everything it owns (compiled regexes too). Accepts NULL; returns
 * NULL. */
Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

/* Loads the *.conf files of the layered directories dirs (lowest priority
 * first; a missing directory is skipped): a name in a later directory masks the
 * same name in earlier ones, a symlink to /dev/null masks without replacing,
 * and the surviving files apply on top of the built-in policy in file-name
 * order, later files overriding earlier keys. Every file is validated even when
 * its conditions do not hold on host. Returns 0 and the policy in *ret;
 * -EINVAL when any file has an error (then *ret is untouched and every error
 * is appended to ret_errors, if given); -ENOMEM. */
int policy_load(char *const *dirs, size_t n_dirs, const HostInfo *host, Policy **ret,
                PolicyErrors *ret_errors);

/* Like policy_load() for --check PATH...: each path is a file (of any name) or
 * a directory (its *.conf files in name order); they apply in the order given,
 * without masking. */
int policy_load_files(char *const *paths, size_t n, const HostInfo *host, Policy **ret,
                      PolicyErrors *ret_errors);

/* Loads text (len bytes, need not be NUL-terminated) as the only policy file,
 * called name in messages and origins. contain=false parses in this process
 * without the forked pre-parse: for the fuzzer, whose findings are exactly what
 * the child would have contained. Same returns as policy_load(). */
int policy_load_string(const char *name, const char *text, size_t len, const HostInfo *host, bool contain,
                       Policy **ret, PolicyErrors *ret_errors);

/* Writes p in policy syntax: a valid policy file for this host that loads into
 * the same policy, each value followed by "# FILE:LINE" or "# built-in
 * default", what did not apply as comments. */
void policy_dump(const Policy *p, FILE *f);
