/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* zoneinfo_parse() on arbitrary bytes; on success, zones and watermarks are sane. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "zoneinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static ZoneInfo z; /* ~43 KiB: not on the stack */
        int r;

        r = zoneinfo_parse((const char *) data, size, &z);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE, -E2BIG, -ENODATA); /* -E2BIG: protection */
        if (r < 0)
                return 0;

        FUZZ_ASSERT(z.n_zones > 0 && z.n_zones <= ZONEINFO_ZONES_MAX);
        FUZZ_ASSERT(z.n_nodes > 0 && z.n_nodes <= z.n_zones);
        FUZZ_ASSERT(zoneinfo_size(&z) <= sizeof(z));
        for (size_t i = 0; i < z.n_zones; i++) {
                const Zone *zone = &z.zones[i];
                size_t n = strnlen(zone->name, ZONE_NAME_MAX);

                FUZZ_ASSERT(n > 0 && n < ZONE_NAME_MAX);
                FUZZ_ASSERT(zone->min <= zone->low && zone->low <= zone->high);
                FUZZ_ASSERT(zone->n_protection <= ZONE_PROTECTION_MAX);
        }
        return 0;
}
