/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static int max_level = LOG_INFO;
static int use_prefix = 0;
static bool on_journal = false;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
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

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format,
                 ...) {
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

bool log_on_journal(void) {
        return on_journal;
}
