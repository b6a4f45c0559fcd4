/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "engine.h"
#include "tunable.h"

/* Each knob's state as an administrator asks about it: does memtuned manage
 * it here, leave it to the kernel and others, or does this kernel not have
 * it (and why the probe said so). One pure function, so that the bus,
 * --once and memtunectl say the same thing. */

typedef enum KnobState {
        KNOB_MANAGED,     /* memtuned writes it (or would, in observe mode) */
        KNOB_UNMANAGED,   /* the kernel has it; memtuned leaves it (policy, or a refusal) */
        KNOB_UNSUPPORTED, /* the probe found no such file: never read, never written */
        _KNOB_STATE_MAX,
} KnobState;

/* "managed", "unmanaged", "unsupported"; NULL when out of range. */
const char *knob_state_to_string(KnobState s);

#define KNOB_REASON_MAX 256

typedef struct Knob {
        TunableId id;
        KnobState state;
        char reason[KNOB_REASON_MAX];
} Knob;

/* The state of knob id: probe is why its probe failed ("" when it
 * succeeded), refusal why memtuned will not write it on this host even if
 * asked (memory tiering for zone_reclaim_mode; "" for none), plan the
 * engine's plan for it (NULL before the first step). */
void knob_describe(TunableId id, const char *probe, const char *refusal, const TunablePlan *plan, Knob *ret);
