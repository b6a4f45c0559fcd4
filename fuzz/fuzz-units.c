/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one grammar for durations and sizes (util/units.c), which policy files,
 * memtunectl's --for and the logs share: no input crashes it, and what the
 * exact formatter prints parses back to the same value. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char buf[DURATION_BUF], human[DURATION_BUF], sbuf[SIZE_BUF];
        uint64_t full = 0, again = 0, kb = 0;
        unsigned v[3], n;
        char *s;
        int r;

        s = strndup((const char *) data, size);
        if (!s)
                return 0;

        r = parse_duration_full(s, &full);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0) {
                format_duration(buf, sizeof(buf), full);
                FUZZ_ASSERT(parse_duration_full(buf, &again) == 0 && again == full);
                format_duration_human(human, sizeof(human), full);
                FUZZ_ASSERT(strlen(human) < sizeof(human) - 1);
        }

        r = parse_size(s, UINT64_C(1) << 24, &kb);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0)
                format_size(sbuf, sizeof(sbuf), kb);

        r = parse_kernel_version(s, v, &n);
        if (r == 0)
                FUZZ_ASSERT(n >= 1 && n <= 3 && v[0] <= 65535 && v[1] <= 65535 && v[2] <= 65535);

        free(s);
        return 0;
}
