/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The small /sys readers of issue 19 on arbitrary bytes; the first byte
 * picks one: 0 tunable_parse_value() of the hex lru_gen/enabled (and of the
 * decimal min_ttl_ms), 1 tiering_parse_bool(), 2 tiering_parse_nodelist().
 * Only documented errors; a value parsed is written back the way the
 * actuator writes it and reads back the same. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "tiering.h"
#include "tunable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data + 1;
        char copy[64], back[32];
        uint64_t v, again;
        bool b;
        int r, n;

        if (size == 0)
                return 0;
        size--;
        switch (data[0] % 3) {
        case 0:
                r = tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, text, size, &v);
                FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE);
                if (r >= 0) {
                        n = snprintf(back, sizeof(back), "0x%04" PRIx64 "\n", v);
                        FUZZ_ASSERT(tunable_parse_value(TUNABLE_LRU_GEN_ENABLED, back, (size_t) n, &again) ==
                                    0);
                        FUZZ_ASSERT(again == v);
                }
                /* The decimal grammar wants a NUL-terminated buffer. */
                if (size < sizeof(copy)) {
                        memcpy(copy, text, size);
                        copy[size] = 0;
                        r = tunable_parse_value(TUNABLE_LRU_GEN_MIN_TTL_MS, copy, size, &v);
                        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE);
                }
                break;
        case 1:
                r = tiering_parse_bool(text, size, &b);
                FUZZ_ASSERT_ERRNO(r, -EINVAL);
                break;
        case 2:
                r = tiering_parse_nodelist(text, size);
                FUZZ_ASSERT_ERRNO(r, -EINVAL);
                FUZZ_ASSERT(r <= 1);
                break;
        }
        return 0;
}
