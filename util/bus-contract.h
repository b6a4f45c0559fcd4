/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* The contract between memtuned and its clients on the bus: names, errors
 * and timeouts that both sides use (dbus/org.memtuned1.Manager.xml documents
 * the interface). The daemon's side is daemon/bus.c, the client's ctl/. */

#define BUS_NAME "org.memtuned1"
#define BUS_PATH "/org/memtuned1"
#define BUS_INTERFACE "org.memtuned1.Manager"
#define BUS_POLKIT_ACTION "org.memtuned1.manage"

#define BUS_ERROR_UNKNOWN_TUNABLE "org.memtuned1.Error.UnknownTunable"
#define BUS_ERROR_NOT_AVAILABLE "org.memtuned1.Error.NotAvailable"
#define BUS_ERROR_OUT_OF_RANGE "org.memtuned1.Error.OutOfRange"
#define BUS_ERROR_INVALID_ARGUMENT "org.memtuned1.Error.InvalidArgument"
#define BUS_ERROR_PERMISSION_DENIED "org.memtuned1.Error.PermissionDenied"
#define BUS_ERROR_POLICY_REJECTED "org.memtuned1.Error.PolicyRejected"
#define BUS_ERROR_OBSERVE_ONLY "org.memtuned1.Error.ObserveOnly"
#define BUS_ERROR_FAILED "org.memtuned1.Error.Failed"
#define BUS_ERROR_NO_SUCH_PROCESS "org.memtuned1.Error.NoSuchProcess"

/* The signatures of the structured values, one place for both sides: a
 * change here is a change of the interface (dbus/org.memtuned1.Manager.xml).
 * Each _ROW is the struct's contents, each "(" _ROW ")" one element. */
#define BUS_TUNABLE_ROW "stttsss" /* name, current, original, target, source, mode, reason */
#define BUS_TUNABLE "(" BUS_TUNABLE_ROW ")"
#define BUS_KNOB_ROW "ssss" /* name, file, state (managed, unmanaged, unsupported), reason */
#define BUS_KNOB "(" BUS_KNOB_ROW ")"
/* class (none, zram, zswap, ssd, disk, unknown), the device swapped to first ("" for none), how many
 * devices, zswap on, how the class was found */
#define BUS_SWAP "(ssubs)"
#define BUS_ZONE_ROW "ustttttt" /* node, zone, free, min, low, high, boost, managed */
#define BUS_ZONE "(" BUS_ZONE_ROW ")"
#define BUS_OVERRIDE "(stt)"        /* name, value, expiry (CLOCK_REALTIME usec, 0: until cleared) */
#define BUS_PROCESS_ROW "usttixuus" /* pid, comm, rss kB, swap kB, adj, points, score, kernel score, rule */
#define BUS_PROCESS "(" BUS_PROCESS_ROW ")"
#define BUS_DECISION_ROW "tsttss" /* time, tunable, old, new, source, reason */
#define BUS_DECISION "(" BUS_DECISION_ROW ")"
#define BUS_PSI "(dddt)" /* avg10, avg60, avg300 (percent), total usec */
/* An OOM incident: id, time (CLOCK_REALTIME usec), victim pid (0: unknown),
 * comm, unit, scope ("global", "cgroup", "unknown"), the cgroup whose limit
 * was hit, identification ("certain", "uncertain", "unknown"), rank in
 * memtuned's prediction (0: not in it), a one-line summary, the whole
 * record as JSON (memtuned(8), "INCIDENTS"). */
#define BUS_INCIDENT_ROW "ttusssssuss"
#define BUS_INCIDENT "(" BUS_INCIDENT_ROW ")"

/* How long polkit may take. Without user interaction it answers from its
 * rules at once; with it, a person types a password into an agent. The
 * caller's own method-call timeout applies on its side as well. */
#define BUS_POLKIT_TIMEOUT_USEC (25 * USEC_PER_SEC)
#define BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC (300 * USEC_PER_SEC)
