/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* overrides_parse() on arbitrary bytes (the state file "overrides"): only
 * -EBADMSG as an error, and ret and the expired count untouched then; on
 * success every active override ends at USEC_INFINITY or after now, at most
 * OVERRIDE_DURATION_MAX_USEC later, and formatting what it read at the same
 * clocks and parsing that again gives the same overrides. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "override.h"

/* A monotonic and a wall clock as a running system has them: the deadlines
 * in the seeds lie on both sides of now_real. */
#define NOW_MONO (UINT64_C(1000) * USEC_PER_SEC)
#define NOW_REAL (UINT64_C(1700000000) * USEC_PER_SEC)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Override o[_TUNABLE_MANAGED_MAX], back[_TUNABLE_MANAGED_MAX];
        unsigned expired = 0xa5a5a5a5u, expired_back;
        char buf[512];
        int r, n;

        memset(o, 0xa5, sizeof(o));
        r = overrides_parse((const char *) data, size, NOW_MONO, NOW_REAL, o, &expired);
        FUZZ_ASSERT_ERRNO(r, -EBADMSG);
        if (r < 0) {
                for (size_t i = 0; i < sizeof(o); i++)
                        FUZZ_ASSERT(((const unsigned char *) o)[i] == 0xa5);
                FUZZ_ASSERT(expired == 0xa5a5a5a5u);
                return 0;
        }
        FUZZ_ASSERT(r == 0);
        FUZZ_ASSERT(expired <= size);

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                if (!o[id].active)
                        continue;
                FUZZ_ASSERT(o[id].expires_usec == USEC_INFINITY ||
                            (o[id].expires_usec > NOW_MONO &&
                             o[id].expires_usec - NOW_MONO <= OVERRIDE_DURATION_MAX_USEC));
        }

        n = overrides_format(o, NOW_MONO, NOW_REAL, buf, sizeof(buf));
        FUZZ_ASSERT(n >= 0 && (size_t) n < sizeof(buf));
        FUZZ_ASSERT(overrides_parse(buf, (size_t) n, NOW_MONO, NOW_REAL, back, &expired_back) == 0);
        FUZZ_ASSERT(expired_back == 0);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                FUZZ_ASSERT(back[id].active == o[id].active);
                if (o[id].active)
                        FUZZ_ASSERT(back[id].value == o[id].value &&
                                    back[id].expires_usec == o[id].expires_usec);
        }
        return 0;
}
