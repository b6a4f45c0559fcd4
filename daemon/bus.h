/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "bus-contract.h"
#include "macro.h"

/* The only module that knows D-Bus on the daemon's side: org.memtuned1 on
 * the system bus (or any bus given by address). A skin over the manager:
 * handlers unpack, call manager_*() (its read API and its administrator's
 * calls), pack; the manager hands what changed to bus_publish(), which turns
 * it into signals. The
 * interface is documented in dbus/org.memtuned1.Manager.xml (which equals
 * what the daemon introspects) and memtunectl(1).
 *
 * Authorization of the privileged methods (SetOverride, ClearOverride,
 * SetMode, Reload), three layers:
 *  1. dbus/org.memtuned1.conf lets only root send them;
 *  2. the daemon asks the bus daemon for the sender's uid (never /proc: the
 *     bus daemon's answer comes from the socket's credentials and cannot be
 *     raced by PID reuse); uid 0 is allowed at once;
 *  3. anyone else needs polkit's yes for BUS_POLKIT_ACTION, asked
 *     asynchronously; no polkit on the bus means no. */

/* Pending polkit queries at most: each holds a call message until polkit
 * answers (up to the timeout). 128 is far more than administrators type, and
 * bounds what a flood of unauthorized calls can make the daemon hold. Per
 * uid at most BUS_AUTH_PENDING_PER_UID_MAX, so that one user holding the
 * global cap cannot make another user's call fail: 8 is more than a person
 * has waiting at once (one password prompt answers one call). */
#define BUS_AUTH_PENDING_MAX 128
#define BUS_AUTH_PENDING_PER_UID_MAX 8

typedef struct Bus Bus;
typedef struct Manager Manager;
typedef struct ManagerChanges ManagerChanges;

/* Connects to address ("system", "user", or a D-Bus address such as
 * "unix:path=/run/x"), attaches to the manager's event loop (event), exports the
 * object and asks for BUS_NAME. manager_notify_ready() is called once the
 * name is owned; failing to own it (another instance, a bus policy that
 * refuses) ends the event loop with an error, as does losing the connection.
 * Returns 0 or -errno, having logged why.
 * optional: nobody asked for the bus (memtuned without --bus), so memory
 * tuning must not depend on it: when the bus cannot be reached, or its policy
 * does not let memtuned own the name (no org.memtuned1.conf installed), say
 * so and go on without (0 and *ret NULL; or manager_drop_bus() later). Another
 * owner of the name stops memtuned either way: two daemons would fight over
 * the same sysctls. */
int bus_new(Manager *m, sd_event *event, const char *address, bool optional, Bus **ret);

/* Drops pending polkit queries (their callers get no answer: the connection
 * closes), releases the name, closes. NULL is fine; returns NULL. */
Bus *bus_free(Bus *b);

/* What changed since the last call (manager_flush_changes()), as signals:
 * PolicyReloaded, TunableChanged for each new decision (oldest first),
 * PressureLevelChanged, ProcessAdjusted for each process, then one
 * PropertiesChanged naming every property whose value changed. Describe()'s
 * cached answer is built again at the next call. NULL is fine. */
void bus_publish(Bus *b, const ManagerChanges *changes);
