/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "learned.h"
#include "macro.h"
#include "parse.h"

const TunableId learned_ids[LEARNED_N] = { TUNABLE_MIN_FREE_KBYTES, TUNABLE_WATERMARK_SCALE_FACTOR };

static int learned_index(const char *name, size_t len) {
        for (size_t i = 0; i < LEARNED_N; i++) {
                const char *n = tunable_info(learned_ids[i])->name;

                if (strlen(n) == len && memcmp(n, name, len) == 0)
                        return (int) i;
        }
        return -1;
}

int learned_parse(const char *text, size_t n, LearnedLevel ret[LEARNED_N]) {
        LearnedLevel l[LEARNED_N] = {};
        const char *end = text + n;

        for (const char *p = text; p < end; p = line_next(p, end)) {
                const char *sp = memchr(p, ' ', (size_t) (end - p)), *q;
                uint64_t level, learned;
                int i;

                if (!sp)
                        return -EBADMSG;
                i = learned_index(p, (size_t) (sp - p));
                if (i < 0 || l[i].known)
                        return -EBADMSG;
                if (parse_u64(sp + 1, end, &q, &level) < 0 || q >= end || *q != ' ' ||
                    parse_u64(q + 1, end, &q, &learned) < 0 || (q < end && *q != '\n'))
                        return -EBADMSG;
                l[i] = (LearnedLevel) { .level = level, .learned = learned, .known = true };
        }
        memcpy(ret, l, sizeof(l));
        return 0;
}

int learned_format(const LearnedLevel levels[LEARNED_N], char *buf, size_t size) {
        size_t len = 0;

        for (size_t i = 0; i < LEARNED_N; i++) {
                int k;

                if (!levels[i].known)
                        continue;
                k = snprintf(buf + len, size - len, "%s %" PRIu64 " %" PRIu64 "\n",
                             tunable_info(learned_ids[i])->name, levels[i].level, levels[i].learned);
                if (k < 0 || (size_t) k >= size - len)
                        return -ENOBUFS;
                len += (size_t) k;
        }
        return (int) len;
}
