/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* incident_history_parse() on arbitrary bytes (the state file "incidents"):
 * only -EBADMSG with a line inside the text and a sentence; at most max
 * records, each with an id, a known scope and identification, n_next in
 * bounds, strings NUL-terminated; formatting what it read parses back to
 * the same records. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "incident.h"

#define RECORDS_MAX 4

static Incident v[RECORDS_MAX], back[RECORDS_MAX];
static char text[INCIDENT_HISTORY_FILE_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char err[256];
        unsigned line = 0;
        int r, n, k;

        r = incident_history_parse((const char *) data, size, v, RECORDS_MAX, &line, err, sizeof(err));
        FUZZ_ASSERT_ERRNO(r, -EBADMSG);
        if (r < 0) {
                FUZZ_ASSERT(line >= 1 && line <= size + 1 && err[0] != 0);
                return 0;
        }
        FUZZ_ASSERT(r <= RECORDS_MAX);
        for (int i = 0; i < r; i++) {
                FUZZ_ASSERT(v[i].id > 0 && v[i].n_next <= INCIDENT_NEXT_MAX);
                FUZZ_ASSERT(incident_scope_to_string(v[i].scope) && incident_ident_to_string(v[i].ident));
                FUZZ_ASSERT(strnlen(v[i].comm, sizeof(v[i].comm)) < sizeof(v[i].comm));
                FUZZ_ASSERT(strnlen(v[i].explanation, sizeof(v[i].explanation)) < sizeof(v[i].explanation));
                FUZZ_ASSERT(v[i].oom_score_adj >= -1000 && v[i].oom_score_adj <= 1000);
        }
        n = incident_history_format(v, (size_t) r, text, sizeof(text));
        FUZZ_ASSERT(n > 0);
        k = incident_history_parse(text, (size_t) n, back, RECORDS_MAX, &line, err, sizeof(err));
        FUZZ_ASSERT(k == r);
        for (int i = 0; i < r; i++) {
                FUZZ_ASSERT(back[i].id == v[i].id && back[i].time_usec == v[i].time_usec);
                FUZZ_ASSERT(back[i].pid == v[i].pid && back[i].scope == v[i].scope &&
                            back[i].rank == v[i].rank);
                FUZZ_ASSERT(strcmp(back[i].comm, v[i].comm) == 0 &&
                            strcmp(back[i].cgroup, v[i].cgroup) == 0);
                FUZZ_ASSERT(back[i].n_next == v[i].n_next);
                for (size_t j = 0; j < v[i].n_next; j++)
                        FUZZ_ASSERT(back[i].next[j].pid == v[i].next[j].pid &&
                                    strcmp(back[i].next[j].comm, v[i].next[j].comm) == 0);
        }
        return 0;
}
