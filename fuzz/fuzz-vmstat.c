/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstat_parse() on arbitrary bytes; on success, the counters and fields agree. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "vmstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static VmStat v; /* ~30 KiB: not on the stack */
        int r;

        r = vmstat_parse((const char *) data, size, &v);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE, -E2BIG, -ENODATA);
        if (r < 0)
                return 0;

        FUZZ_ASSERT(v.n_counters <= VMSTAT_COUNTERS_MAX);
        FUZZ_ASSERT(vmstat_has(&v, VMSTAT_PGSCAN_KSWAPD) && vmstat_has(&v, VMSTAT_PGSCAN_DIRECT) &&
                    vmstat_has(&v, VMSTAT_PGSTEAL_KSWAPD) && vmstat_has(&v, VMSTAT_PGSTEAL_DIRECT));
        FUZZ_ASSERT((v.present >> _VMSTAT_FIELD_MAX) == 0);

        /* Every kept counter can be looked up by its name, and a field that
         * is a single counter holds the same value as the counter (allocstall
         * and pgalloc sum their per-zone counters). */
        for (size_t i = 0; i < v.n_counters; i++) {
                size_t n = strnlen(v.counters[i].name, VMSTAT_NAME_MAX);
                uint64_t value;

                FUZZ_ASSERT(n > 0 && n < VMSTAT_NAME_MAX);
                FUZZ_ASSERT(vmstat_get(&v, v.counters[i].name, &value) == 0);
        }
        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++) {
                uint64_t value;

                if (f == VMSTAT_ALLOCSTALL || f == VMSTAT_PGALLOC || !vmstat_has(&v, f))
                        continue;
                if (vmstat_get(&v, vmstat_field_name(f), &value) == 0)
                        FUZZ_ASSERT(value == v.field[f]);
        }
        return 0;
}
