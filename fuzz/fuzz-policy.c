/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy loader on arbitrary text: the pre-scan, libconfig, validation,
 * the merge checks and --dump, all in this process. The daemon parses each
 * file in a forked child first (policy-contain.c, contained_check()); here nothing
 * forks, so whatever the child would contain (an abort, a crash, a hang,
 * runaway memory) is a finding. The parse that runs is the one the daemon
 * runs in the parent once the child found the file clean. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"

/* libconfig 1.5 leaks on some of its own error paths (a string token after a
 * completed setting, for one); the daemon only ever parses text in the parent
 * that parsed cleanly in the child. Leaks whose allocation stack passes
 * through libconfig are its, not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
        return "leak:libconfig.so\n";
}

/* A 16 GiB, two-node host with swap: every condition can go either way. */
static const HostInfo host = {
        .ram_kb = 16 * 1024 * 1024,
        .swap_kb = 1024 * 1024,
        .numa_nodes = 2,
        .hostname = "fuzz-1",
        .kernel_version = { 6, 1, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        _cleanup_(policy_freep) Policy *p = NULL;
        FILE *null;
        int r;

        r = policy_load_string("fuzz.conf", (const char *) data, size, &host, false, &p, &errors);
        FUZZ_ASSERT_ERRNO(r, -EINVAL);
        if (r < 0) {
                /* Every error says where: "fuzz.conf:LINE: " or "fuzz.conf: ". */
                FUZZ_ASSERT(errors.n > 0);
                for (size_t i = 0; i < errors.n; i++) {
                        FUZZ_ASSERT(strncmp(errors.messages[i], "fuzz.conf:", 10) == 0);
                        FUZZ_ASSERT(!strchr(errors.messages[i], '\n'));
                }
                FUZZ_ASSERT(!p);
                return 0;
        }

        /* What the header promises of a loaded policy. */
        FUZZ_ASSERT(errors.n == 0);
        FUZZ_ASSERT(p->name);
        FUZZ_ASSERT(p->mode < _POLICY_MODE_MAX);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const TunablePolicy *t = &p->tunables[id];
                const TunableInfo *info = tunable_info(id);

                FUZZ_ASSERT(t->mode < _TUNABLE_MODE_MAX);
                if (t->mode == TUNABLE_MODE_FIXED)
                        FUZZ_ASSERT(t->value >= info->kernel_min && t->value <= info->kernel_max);
                if (t->mode == TUNABLE_MODE_ADAPTIVE)
                        FUZZ_ASSERT(t->min <= t->max && t->min >= info->kernel_min &&
                                    t->max <= info->kernel_max);
        }
        FUZZ_ASSERT(p->thresholds.step_factor > 1.0);
        FUZZ_ASSERT(p->thresholds.psi_some_low < p->thresholds.psi_some_medium);
        FUZZ_ASSERT(p->thresholds.psi_some_medium < p->thresholds.psi_some_critical);
        FUZZ_ASSERT(p->thresholds.sample_interval_min_usec <= p->thresholds.sample_interval_max_usec);
        FUZZ_ASSERT(p->n_rules <= POLICY_RULES_MAX);
        for (size_t i = 0; i < p->n_rules; i++) {
                const ProcessRule *rule = &p->rules[i];

                FUZZ_ASSERT(rule->name && rule->oom_score_adj >= -1000 && rule->oom_score_adj <= 1000);
                FUZZ_ASSERT(rule->match.comm || rule->match.exe || rule->match.has_cmdline_re ||
                            rule->match.has_uid || rule->match.cgroup || rule->match.unit);
                for (size_t j = 0; j < i; j++)
                        FUZZ_ASSERT(strcmp(p->rules[j].name, rule->name) != 0);
        }

        null = fopen("/dev/null", "we");
        if (null) {
                policy_dump(p, null);
                fclose(null);
        }
        return 0;
}
