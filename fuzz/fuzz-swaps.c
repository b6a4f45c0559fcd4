/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swaps_parse() on arbitrary bytes: only its documented errors; on success
 * at most SWAPS_MAX devices, each path NUL-terminated within its buffer and
 * free of whitespace, priorities within int32. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "swapinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SwapDevice d[SWAPS_MAX];
        size_t n = 0;
        int r;

        r = swaps_parse((const char *) data, size, d, &n);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE, -E2BIG);
        if (r < 0)
                return 0;
        FUZZ_ASSERT(n <= SWAPS_MAX);
        for (size_t i = 0; i < n; i++) {
                size_t l = strnlen(d[i].path, sizeof(d[i].path));

                FUZZ_ASSERT(l > 0 && l < sizeof(d[i].path));
                FUZZ_ASSERT(!strpbrk(d[i].path, " \t\n"));
                FUZZ_ASSERT(d[i].priority >= INT32_MIN && d[i].priority <= INT32_MAX);
        }
        return 0;
}
