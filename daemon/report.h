/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "engine.h"
#include "json.h"
#include "killorder.h"
#include "manager.h"
#include "policy.h"
#include "sample.h"

/* Renders a sample and its rates: a compact table for people, or the stable
 * JSON that tools consume (documented in memtuned(8), "JSON OUTPUT"). */

/* Where free pages stand against a zone's watermarks. */
typedef enum ZoneState {
        ZONE_ABOVE_HIGH,
        ZONE_BELOW_HIGH, /* kswapd, once woken, keeps reclaiming */
        ZONE_BELOW_LOW,  /* kswapd is awake */
        ZONE_BELOW_MIN,  /* allocations do direct reclaim */
        ZONE_EMPTY,      /* no managed pages */
} ZoneState;

ZoneState zone_state(const Zone *z);
/* "above-high", ...; NULL when out of range. from_string: the state or -EINVAL. */
const char *zone_state_to_string(ZoneState s);
int zone_state_from_string(const char *s);

void report_text(FILE *f, const Sample *s, const Rates *r);

/* Writes the sample's members into the JSON object that w is in. */
void report_json_fields(JsonWriter *w, const Sample *s, const Rates *r);

/* What the engine plans now under policy p: per tunable current, baseline,
 * target, source and reason, the pressure level and the decisions. */
void report_plan_text(FILE *f, const Policy *p, const Plan *plan);
void report_plan_json(JsonWriter *w, const Policy *p, const Plan *plan);

/* Each knob's state (managed, unmanaged, unsupported) and why: a table,
 * or a "knobs" array of {name, file, state, reason} in the object w is in. */
void report_knobs_text(FILE *f, const ManagerKnobRow *k, size_t n);
void report_knobs_json(JsonWriter *w, const ManagerKnobRow *k, size_t n);

/* The kill order: pid, comm, memory, oom_score_adj, memtuned's points and
 * normalised score beside the kernel's oom_score, and the rule. n_total is
 * how many processes there were in all (the table shows the first n). */
void report_killorder_text(FILE *f, const KillOrderEntry *e, size_t n, size_t n_total);
void report_killorder_json(JsonWriter *w, const KillOrderEntry *e, size_t n);

/* Describe()'s JSON (memtunectl status --json; dbus/org.memtuned1.Manager.xml):
 * the daemon's whole state, built from manager.h's read API only. Describe()
 * lists the newest REPORT_DESCRIBE_DECISIONS_MAX decisions. Times are shown
 * in CLOCK_REALTIME: realtime_offset is CLOCK_REALTIME minus CLOCK_MONOTONIC,
 * taken once by the caller so that one state always reads the same. Errors
 * show in f's error flag. */
#define REPORT_DESCRIBE_DECISIONS_MAX 16
void report_describe_json(FILE *f, const Manager *m, int64_t realtime_offset);

/* The same, freshly built into a malloc'ed string (valid UTF-8) with the
 * clocks' offset of now. Returns 0, or -ENOMEM. */
int report_describe_string(const Manager *m, char **ret);
