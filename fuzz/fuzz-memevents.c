/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* incident_parse_memory_events() and incident_parse_memory_max() on
 * arbitrary bytes (a cgroup's memory.events and memory.max): only their
 * documented errors, and the outputs untouched on failure. */
#include <errno.h>

#include "fuzz.h"
#include "incident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint64_t oom = 7, kill = 7, limit = 7;
        int r;

        r = incident_parse_memory_events((const char *) data, size, &oom, &kill);
        FUZZ_ASSERT_ERRNO(r, -ENODATA, -EINVAL, -ERANGE);
        if (r < 0)
                FUZZ_ASSERT(oom == 7 && kill == 7);

        r = incident_parse_memory_max((const char *) data, size, &limit);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE);
        if (r < 0)
                FUZZ_ASSERT(limit == 7);
        return 0;
}
