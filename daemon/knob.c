/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "knob.h"
#include "string-table.h"

static const char *const knob_state_table[_KNOB_STATE_MAX] = {
        [KNOB_MANAGED] = "managed",
        [KNOB_UNMANAGED] = "unmanaged",
        [KNOB_UNSUPPORTED] = "unsupported",
};
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(knob_state, KnobState, );

void knob_describe(TunableId id, const char *probe, const char *refusal, const TunablePlan *plan,
                   Knob *ret) {
        Knob k = { .id = id };

        if (probe && probe[0]) {
                k.state = KNOB_UNSUPPORTED;
                snprintf(k.reason, sizeof(k.reason), "%s", probe);
        } else if (refusal && refusal[0]) {
                k.state = KNOB_UNMANAGED;
                snprintf(k.reason, sizeof(k.reason), "%s", refusal);
        } else if (!plan) {
                k.state = KNOB_UNMANAGED;
                snprintf(k.reason, sizeof(k.reason), "no sample yet");
        } else if (!plan->present) {
                /* Probed, but the last sample could not read it. */
                k.state = KNOB_UNMANAGED;
                snprintf(k.reason, sizeof(k.reason), "%s", plan->reason[0] ? plan->reason : "not read");
        } else {
                k.state = plan->managed ? KNOB_MANAGED : KNOB_UNMANAGED;
                snprintf(k.reason, sizeof(k.reason), "%s", plan->reason);
        }
        *ret = k;
}
