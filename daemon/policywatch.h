/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "macro.h"

/* The manager's watch on the policy directories: it calls back when a reload
 * is due. Part of the daemon's shell (it logs what it cannot watch).
 *
 * A directory that does not exist yet (nothing creates /run/memtuned/
 * policies.d or /etc/memtuned/policies.d; configuration management may make
 * them later) is watched through its nearest existing parent; when it
 * appears, or is removed or renamed, every watch is re-armed and a reload is
 * due, so files dropped into it before the re-arm count too.
 *
 * Changes come in bursts (an editor's save, a configuration management run
 * writing several files): the reload waits until POLICYWATCH_DEBOUNCE_USEC
 * have passed without a change, but never longer than
 * POLICYWATCH_MAX_DELAY_USEC after the first change of a burst, so a steady
 * stream of changes cannot postpone it forever. Events are drained with one
 * read() per wake; each costs a few comparisons and the timer is moved once
 * per wake. */

#define POLICYWATCH_DEBOUNCE_USEC (500 * USEC_PER_MSEC)
/* A stream of changes (a log written into the directory by mistake, a tool
 * that rewrites a file in a loop) gets a reload at least this often: long
 * enough that a slow configuration run's files land together, short enough
 * that an administrator sees the policy apply while still looking. */
#define POLICYWATCH_MAX_DELAY_USEC (5 * USEC_PER_SEC)

typedef struct PolicyWatch PolicyWatch;

/* Called from the event loop when a reload is due. */
typedef void (*PolicyWatchCallback)(void *userdata);

/* Watches dirs (borrowed; they must outlive the watch) on event. Returns 0,
 * or -errno having logged: the inotify fd, or a directory that exists but
 * cannot be watched (-EACCES, -ENOSPC for the inotify watch limit). */
int policywatch_new(sd_event *event, char *const *dirs, size_t n_dirs, PolicyWatchCallback cb,
                    void *userdata, PolicyWatch **ret);

/* Stops watching and frees; NULL is fine. Returns NULL. */
PolicyWatch *policywatch_free(PolicyWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyWatch *, policywatch_free);
