/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "engine.h"
#include "log.h"
#include "tunable.h"

/* Where sd_journal_send() writes (the journal's native protocol). */
#define JOURNAL_SOCKET_PATH "/run/systemd/journal/socket"

static int max_level = LOG_INFO;
static int use_prefix = 0;
static bool on_journal = false;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_prefix(int on) {
        use_prefix = on;
}

/* journald sets JOURNAL_STREAM=DEV:INO for the stream it hands a service; when
 * stderr is that stream, priority prefixes are understood. */
void log_setup(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) >= 0 &&
            (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino) {
                use_prefix = 1;
                on_journal = true;
        }

        e = getenv("MEMTUNED_LOG_LEVEL");
        if (e && strcmp(e, "debug") == 0)
                max_level = LOG_DEBUG;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        char buf[2048];
        va_list ap;

        if (error < 0)
                error = -error;

        if (level > max_level)
                return -error;

        /* %m must print our error, not whatever errno happens to be. */
        errno = error;
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (use_prefix)
                fprintf(stderr, "<%d>%s\n", level, buf);
        else
                fprintf(stderr, "%s\n", buf);

        (void) file;
        (void) line;
        (void) func;
        return -error;
}

void log_decision(const Decision *d, bool observe, const char *trigger, uint64_t reaction_usec) {
        const TunableInfo *info = tunable_info(d->tunable);
        const char *name = info ? info->name : "unknown", *reason = d->reason, *source;
        char prefix[128];
        int n;

        if (LOG_INFO > max_level)
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
        if (on_journal && access(JOURNAL_SOCKET_PATH, F_OK) >= 0 &&
            sd_journal_send("MESSAGE=%s%s", observe ? "(observe) " : "", d->reason,
                            "MESSAGE_ID=" MEMTUNED_DECISION_MESSAGE_ID,
                            "PRIORITY=%i", LOG_INFO,
                            "SYSLOG_IDENTIFIER=%s", program_invocation_short_name,
                            "MEMTUNED_TUNABLE=%s", name,
                            "MEMTUNED_OLD=%" PRIu64, d->old_value,
                            "MEMTUNED_NEW=%" PRIu64, d->new_value,
                            "MEMTUNED_SOURCE=%s", source ? source : "unknown",
                            "MEMTUNED_REASON=%s", reason,
                            "MEMTUNED_MODE=%s", observe ? "observe" : "enforce",
                            "MEMTUNED_TRIGGER=%s", trigger ? trigger : "unknown",
                            "MEMTUNED_REACTION_USEC=%" PRIu64, reaction_usec,
                            NULL) >= 0)
                return;

        log_info("%s%s", observe ? "(observe) " : "", d->reason);
}
