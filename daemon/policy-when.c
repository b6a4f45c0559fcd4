/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Conditions: "when" groups, at the top of a file and in sections and rules. */

#include <assert.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "policy-internal.h"
#include "units.h"

/* ---- value parsers ---------------------------------------------------------------- */

/* Compares the host's version with a condition's on the parts the condition
 * gives: "5.15" matches every 5.15.x. Returns <0, 0, >0. */
static int kernel_version_compare(const unsigned host[3], const unsigned want[3], unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (host[i] != want[i])
                        return host[i] < want[i] ? -1 : 1;
        return 0;
}

/* ---- conditions ---------------------------------------------------------------------- */

enum {
        WHEN_NUMA_NODES_MIN,
        WHEN_NUMA_NODES_MAX,
        WHEN_RAM_MIN,
        WHEN_RAM_MAX,
        WHEN_SWAP,
        WHEN_HOSTNAME,
        WHEN_KERNEL_MIN,
        WHEN_KERNEL_MAX,
        _WHEN_MAX,
};

/* clang-format off: one entry per line */
static const char *const when_keys[_WHEN_MAX + 1] = {
        [WHEN_NUMA_NODES_MIN] = "numa_nodes_min",
        [WHEN_NUMA_NODES_MAX] = "numa_nodes_max",
        [WHEN_RAM_MIN] = "ram_min",
        [WHEN_RAM_MAX] = "ram_max",
        [WHEN_SWAP] = "swap",
        [WHEN_HOSTNAME] = "hostname",
        [WHEN_KERNEL_MIN] = "kernel_min",
        [WHEN_KERNEL_MAX] = "kernel_max",
};
/* clang-format on */

/* 4096 nodes: the kernel's NODES_SHIFT is at most 10 (1024) on every
 * architecture Linux supports; a larger number is a typo. */
#define NUMA_NODES_MAX 4096

bool policy_condition_holds(const PolicyCondition *w, const HostInfo *h, char *why, size_t why_size) {
        const unsigned *kv = h->kernel_version;

        assert(w);
        assert(h);
        assert(why && why_size > 0);

        why[0] = 0;
        if (w->has_numa_nodes_min && h->numa_nodes < w->numa_nodes_min)
                snprintf(why, why_size, "needs at least %" PRIu32 " NUMA nodes, this host has %" PRIu32,
                         w->numa_nodes_min, h->numa_nodes);
        else if (w->has_numa_nodes_max && h->numa_nodes > w->numa_nodes_max)
                snprintf(why, why_size, "needs at most %" PRIu32 " NUMA nodes, this host has %" PRIu32,
                         w->numa_nodes_max, h->numa_nodes);
        else if (w->has_ram_min && h->ram_kb < w->ram_min_kb)
                snprintf(why, why_size, "needs at least %s of RAM, this host has %s",
                         FORMAT_SIZE(w->ram_min_kb), FORMAT_SIZE(h->ram_kb));
        else if (w->has_ram_max && h->ram_kb > w->ram_max_kb)
                snprintf(why, why_size, "needs at most %s of RAM, this host has %s",
                         FORMAT_SIZE(w->ram_max_kb), FORMAT_SIZE(h->ram_kb));
        else if (w->has_swap && w->swap && h->swap_kb == 0)
                snprintf(why, why_size, "needs swap, this host has none");
        else if (w->has_swap && !w->swap && h->swap_kb > 0)
                snprintf(why, why_size, "needs a host without swap, this host has %s",
                         FORMAT_SIZE(h->swap_kb));
        else if (w->hostname && fnmatch(w->hostname, h->hostname, FNM_CASEFOLD) != 0)
                snprintf(why, why_size, "hostname %s does not match %s", QUOTED(h->hostname),
                         QUOTED(w->hostname));
        else if (w->kernel_min && kernel_version_compare(kv, w->kernel_min_v, w->kernel_min_n) < 0)
                snprintf(why, why_size, "needs kernel %s or later, this host runs %u.%u.%u", w->kernel_min,
                         kv[0], kv[1], kv[2]);
        else if (w->kernel_max && kernel_version_compare(kv, w->kernel_max_v, w->kernel_max_n) > 0)
                snprintf(why, why_size, "needs kernel %s or earlier, this host runs %u.%u.%u", w->kernel_max,
                         kv[0], kv[1], kv[2]);

        return why[0] == 0;
}

/* Reads the conditions of the when group w into *ret (strings borrowed from
 * libconfig). Returns false on errors, each reported. */
static bool parse_condition(Ctx *c, const config_setting_t *w, const char *where, PolicyCondition *ret) {
        const config_setting_t *set[_WHEN_MAX] = {};
        PolicyCondition cond = {};
        int64_t nodes[2] = { 0, NUMA_NODES_MAX };
        uint64_t ram[2] = { 0, UINT64_MAX };
        unsigned kernel[2][3] = {}, kernel_n[2] = {};
        const char *kernel_s[2] = {};
        bool swap = false;
        const char *hostname = NULL;
        unsigned err0 = c->n_errors;
        char kw[160];

        for (int i = 0; i < config_setting_length(w); i++) {
                const config_setting_t *m = config_setting_get_elem(w, (unsigned) i);
                int k = key_index(config_setting_name(m), when_keys);

                if (k < 0) {
                        unknown_key(c, m, where, "condition", when_keys);
                        continue;
                }
                snprintf(kw, sizeof(kw), "%s.%s", where, when_keys[k]);
                set[k] = m;

                switch (k) {
                case WHEN_NUMA_NODES_MIN:
                case WHEN_NUMA_NODES_MAX:
                        if (!get_int(c, m, kw, 1, NUMA_NODES_MAX, &nodes[k - WHEN_NUMA_NODES_MIN]))
                                set[k] = NULL;
                        break;
                case WHEN_RAM_MIN:
                case WHEN_RAM_MAX:
                        if (!get_size(c, m, kw, false, &ram[k - WHEN_RAM_MIN]))
                                set[k] = NULL;
                        break;
                case WHEN_SWAP:
                        if (!get_bool(c, m, kw, &swap))
                                set[k] = NULL;
                        break;
                case WHEN_HOSTNAME:
                        if (!get_glob(c, m, kw, &hostname))
                                set[k] = NULL;
                        break;
                case WHEN_KERNEL_MIN:
                case WHEN_KERNEL_MAX: {
                        size_t j = (size_t) (k - WHEN_KERNEL_MIN);

                        if (!get_string(c, m, kw, &kernel_s[j])) {
                                set[k] = NULL;
                                break;
                        }
                        if (parse_kernel_version(kernel_s[j], kernel[j], &kernel_n[j]) < 0) {
                                ctx_error(
                                        c, line_of(m), kw,
                                        "invalid kernel version %s: use numbers such as \"5.15\" or \"6.1.0\"",
                                        QUOTED(kernel_s[j]));
                                set[k] = NULL;
                        }
                        break;
                }
                }
        }

        if (set[WHEN_NUMA_NODES_MIN] && set[WHEN_NUMA_NODES_MAX] && nodes[0] > nodes[1])
                ctx_error(c, line_of(set[WHEN_NUMA_NODES_MAX]), where,
                          "numa_nodes_min (%" PRIi64 ") is above numa_nodes_max (%" PRIi64
                          "): no host matches",
                          nodes[0], nodes[1]);
        if (set[WHEN_RAM_MIN] && set[WHEN_RAM_MAX] && ram[0] > ram[1])
                ctx_error(c, line_of(set[WHEN_RAM_MAX]), where,
                          "ram_min (%s) is above ram_max (%s): no host matches", FORMAT_SIZE(ram[0]),
                          FORMAT_SIZE(ram[1]));
        if (set[WHEN_KERNEL_MIN] && set[WHEN_KERNEL_MAX] &&
            kernel_version_compare(kernel[0], kernel[1], MIN(kernel_n[0], kernel_n[1])) > 0)
                ctx_error(c, line_of(set[WHEN_KERNEL_MAX]), where,
                          "kernel_min is above kernel_max: no host matches");

        if (c->n_errors > err0)
                return false;

        cond = (PolicyCondition) {
                .has_numa_nodes_min = set[WHEN_NUMA_NODES_MIN],
                .has_numa_nodes_max = set[WHEN_NUMA_NODES_MAX],
                .numa_nodes_min = (uint32_t) nodes[0],
                .numa_nodes_max = (uint32_t) nodes[1],
                .has_ram_min = set[WHEN_RAM_MIN],
                .has_ram_max = set[WHEN_RAM_MAX],
                .ram_min_kb = ram[0],
                .ram_max_kb = ram[1],
                .has_swap = set[WHEN_SWAP],
                .swap = swap,
                .hostname = set[WHEN_HOSTNAME] ? hostname : NULL,
                .kernel_min = set[WHEN_KERNEL_MIN] ? kernel_s[0] : NULL,
                .kernel_max = set[WHEN_KERNEL_MAX] ? kernel_s[1] : NULL,
                .kernel_min_n = kernel_n[0],
                .kernel_max_n = kernel_n[1],
        };
        memcpy(cond.kernel_min_v, kernel[0], sizeof(cond.kernel_min_v));
        memcpy(cond.kernel_max_v, kernel[1], sizeof(cond.kernel_max_v));
        *ret = cond;
        return true;
}

/* Validates the when group w (whose parent is at `parent`, NULL for the top
 * level) and evaluates it on the host. Returns false on errors; stores whether
 * every condition holds and, if not, the first that fails in words. */
bool parse_when(Ctx *c, const config_setting_t *w, const char *parent, bool *ret_holds, char *why,
                size_t why_size) {
        PolicyCondition cond;
        char where[128];

        snprintf(where, sizeof(where), "%s%swhen", parent ?: "", parent ? "." : "");
        *ret_holds = false;
        if (!check_group(c, w, where))
                return false;
        if (!parse_condition(c, w, where, &cond))
                return false;

        *ret_holds = policy_condition_holds(&cond, c->host, why, why_size);
        return true;
}

/* Evaluates the optional "when" member of group s. Returns false on errors. */
bool section_holds(Ctx *c, const config_setting_t *s, const char *where, bool *ret_holds, char *why,
                   size_t why_size) {
        const config_setting_t *w = config_setting_get_member(s, "when");

        if (!w) {
                *ret_holds = true;
                why[0] = 0;
                return true;
        }
        return parse_when(c, w, where, ret_holds, why, why_size);
}
