/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* memtuned --check [--dump] [PATH...]: validates policy files or directories
 * offline. With no PATH, validates the policy directories (the standard ones,
 * or those given with --policy-dir). proc_fd is the --proc-root directory,
 * read for the host facts that conditions and percentages need. Prints errors
 * as "FILE:LINE: message" on stderr; with dump, prints the merged effective
 * policy with each value's FILE:LINE on stdout. Returns the exit status: 0
 * valid, 1 invalid. */
int check_run(char *const *paths, size_t n_paths, char *const *policy_dirs, size_t n_policy_dirs, bool dump,
              int proc_fd);
