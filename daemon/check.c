/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memtuned --check: the policy loader run offline, for administrators and for
 * configuration management ("validate:" in Ansible, "validate_cmd" in
 * Puppet). */
#include <stdio.h>

#include "check.h"
#include "hostinfo.h"
#include "log.h"
#include "policy.h"

int check_run(char *const *paths, size_t n_paths, char *const *policy_dirs, size_t n_policy_dirs, bool dump,
              int proc_fd) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        HostInfo host;
        int r;

        r = hostinfo_read(proc_fd, &host);
        if (r < 0) {
                log_error_errno(
                        r, "Failed to read the host facts (meminfo, zoneinfo) that policies depend on: %m");
                return 1;
        }

        if (n_paths > 0)
                r = policy_load_files(paths, n_paths, &host, &p, &errors);
        else if (n_policy_dirs > 0)
                r = policy_load(policy_dirs, n_policy_dirs, &host, &p, &errors);
        else
                r = policy_load(policy_dirs_standard, POLICY_DIRS_STANDARD_N, &host, &p, &errors);

        /* The errors are the output of --check, not log messages: one
         * "FILE:LINE: message" per line, as compilers print them. */
        fflush(stdout);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.messages[i]);
        fflush(stderr);

        if (r == -EINVAL)
                return 1;
        if (r < 0) {
                log_error_errno(r, "Failed to load the policy: %m");
                return 1;
        }

        /* Valid, but not what it seems to say: shown, exit status 0. */
        for (size_t i = 0; i < p->n_warnings; i++)
                fprintf(stderr, "%s\n", p->warnings[i]);
        fflush(stderr);

        if (dump) {
                policy_dump(p, stdout);
                fflush(stdout);
        }
        return 0;
}
