/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* actuator_parse_originals() on arbitrary bytes (the state file "originals",
 * whose values memtuned writes back to the kernel at stop): only -EBADMSG as
 * an error, and ret untouched then; on success, formatting what it read and
 * parsing that again gives the same entries. */
#include <errno.h>
#include <string.h>

#include "actuator.h"
#include "fuzz.h"

static void assert_same(const ActuatorSaved *a, const ActuatorSaved *b) {
        FUZZ_ASSERT(a->present == b->present);
        if (!a->present)
                return;
        FUZZ_ASSERT(a->original == b->original && a->written == b->written &&
                    a->has_pending == b->has_pending);
        FUZZ_ASSERT(!a->has_pending || a->pending == b->pending);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ActuatorSaved s[_TUNABLE_MANAGED_MAX], back[_TUNABLE_MANAGED_MAX];
        /* Four lines of a name, three 20-digit numbers and " writing=": ~300 bytes. */
        char buf[512];
        int r, n;

        memset(s, 0xa5, sizeof(s));
        r = actuator_parse_originals((const char *) data, size, s);
        FUZZ_ASSERT_ERRNO(r, -EBADMSG);
        if (r < 0) {
                for (size_t i = 0; i < sizeof(s); i++)
                        FUZZ_ASSERT(((const unsigned char *) s)[i] == 0xa5);
                return 0;
        }
        FUZZ_ASSERT(r == 0);

        n = actuator_format_originals(s, buf, sizeof(buf));
        FUZZ_ASSERT(n >= 0 && (size_t) n < sizeof(buf));
        FUZZ_ASSERT(actuator_parse_originals(buf, (size_t) n, back) == 0);
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                assert_same(&s[id], &back[id]);
        return 0;
}
