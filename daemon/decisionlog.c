/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "decisionlog.h"
#include "engine.h"
#include "log.h"
#include "tunable.h"

/* Where sd_journal_send() writes (the journal's native protocol). */
#define JOURNAL_SOCKET_PATH "/run/systemd/journal/socket"

void log_decision(const Decision *d, bool observe, const char *trigger, uint64_t reaction_usec) {
        const TunableInfo *info = tunable_info(d->tunable);
        const char *name = info ? info->name : "unknown", *reason = d->reason, *source;
        char prefix[128];
        int n;

        if (LOG_INFO > log_get_max_level())
                return;

        /* The reason line starts with "name old -> new: " (engine.h); the
         * record carries those as fields of their own. */
        n = snprintf(prefix, sizeof(prefix), "%s %" PRIu64 " -> %" PRIu64 ": ", name, d->old_value,
                     d->new_value);
        if (n > 0 && (size_t) n < sizeof(prefix) && strncmp(reason, prefix, (size_t) n) == 0)
                reason += n;
        source = tunable_source_to_string(d->source);

        /* sd_journal_send() reports success when journald's socket is gone
         * (ENOENT, by design): then the line is all there is. */
        if (log_on_journal() && access(JOURNAL_SOCKET_PATH, F_OK) >= 0 &&
            sd_journal_send("MESSAGE=%s%s", observe ? "(observe) " : "", d->reason,
                            "MESSAGE_ID=" MEMTUNED_DECISION_MESSAGE_ID, "PRIORITY=%i", LOG_INFO,
                            "SYSLOG_IDENTIFIER=%s", program_invocation_short_name, "MEMTUNED_TUNABLE=%s",
                            name, "MEMTUNED_OLD=%" PRIu64, d->old_value, "MEMTUNED_NEW=%" PRIu64,
                            d->new_value, "MEMTUNED_SOURCE=%s", source ? source : "unknown",
                            "MEMTUNED_REASON=%s", reason, "MEMTUNED_MODE=%s",
                            observe ? "observe" : "enforce", "MEMTUNED_TRIGGER=%s",
                            trigger ? trigger : "unknown", "MEMTUNED_REACTION_USEC=%" PRIu64, reaction_usec,
                            NULL) >= 0)
                return;

        log_info("%s%s", observe ? "(observe) " : "", d->reason);
}
