/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "killorder.h"
#include "macro.h"

int killorder_list(int proc_fd, const MemInfo *meminfo, ProcRules *pr, size_t limit, KillOrderEntry **ret,
                   size_t *ret_n) {
        _cleanup_free_ OomCandidate *c = NULL;
        _cleanup_free_ ProcInfo *info = NULL;
        uint64_t page_size = (uint64_t) sysconf(_SC_PAGESIZE);
        uint64_t total = oom_totalpages(meminfo, page_size);
        KillOrderEntry *e;
        size_t n = 0;
        int r;

        if (total == 0)
                return -EINVAL;
        info = malloc(sizeof(ProcInfo));
        if (!info)
                return -ENOMEM;

        r = oomscore_rank(proc_fd, total, page_size, info, &c, &n);
        if (r < 0)
                return r;
        if (limit > 0 && n > limit)
                n = limit;

        e = calloc(MAX(n, (size_t) 1), sizeof(KillOrderEntry));
        if (!e)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                e[i].candidate = c[i];
                const ProcEntry *pe;

                if (!pr || procrules_explain(pr, c[i].pid, &e[i].rule, &e[i].tracked) <= 0) {
                        e[i].rule = NULL; /* no rule, or gone since the scan */
                        continue;
                }
                pe = e[i].tracked ? proctable_get(procrules_table(pr), c[i].pid) : NULL;
                if (pe) {
                        e[i].rule_adj = pe->adj_set;
                        e[i].overridden = pe->adj_set != c[i].oom_score_adj;
                }
        }

        *ret = e;
        *ret_n = n;
        return 0;
}

const char *killorder_rule_text(const KillOrderEntry *e, char *buf, size_t size) {
        if (!e->rule)
                snprintf(buf, size, "-");
        else if (e->overridden)
                snprintf(buf, size, "%s (overridden: adj %d)", e->rule, e->candidate.oom_score_adj);
        else
                snprintf(buf, size, "%s", e->rule);
        return buf;
}
