/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
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
                if (pr && procrules_explain(pr, c[i].pid, &e[i].rule, &e[i].tracked) <= 0)
                        e[i].rule = NULL; /* no rule, or gone since the scan */
        }

        *ret = e;
        *ret_n = n;
        return 0;
}
