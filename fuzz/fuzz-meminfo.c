/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* meminfo_parse() on arbitrary bytes; on success, the required fields are there. */
#include <errno.h>

#include "fuzz.h"
#include "meminfo.h"

#define BIT(f) (UINT32_C(1) << (f))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint32_t required = BIT(MEMINFO_MEM_TOTAL) | BIT(MEMINFO_MEM_FREE) |
                                  BIT(MEMINFO_MEM_AVAILABLE) | BIT(MEMINFO_CACHED) |
                                  BIT(MEMINFO_SWAP_TOTAL) | BIT(MEMINFO_SWAP_FREE);
        MemInfo m;
        int r;

        r = meminfo_parse((const char *) data, size, &m);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE, -ENODATA);
        if (r < 0)
                return 0;

        FUZZ_ASSERT((m.present & required) == required);
        FUZZ_ASSERT((m.present >> _MEMINFO_FIELD_MAX) == 0);
        FUZZ_ASSERT(m.field[MEMINFO_MEM_FREE] <= m.field[MEMINFO_MEM_TOTAL]);
        for (MemInfoField f = 0; f < _MEMINFO_FIELD_MAX; f++)
                FUZZ_ASSERT(meminfo_field_name(f));
        return 0;
}
