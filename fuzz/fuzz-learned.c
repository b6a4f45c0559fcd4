/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* learned_parse() on arbitrary bytes (the state file "learned"); on success,
 * formatting what it read and parsing that again gives the same levels. */
#include <errno.h>

#include "fuzz.h"
#include "learned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        LearnedLevel l[LEARNED_N], back[LEARNED_N];
        char buf[256];
        int r, n;

        r = learned_parse((const char *) data, size, l);
        FUZZ_ASSERT_ERRNO(r, -EBADMSG);
        if (r < 0)
                return 0;
        n = learned_format(l, buf, sizeof(buf));
        FUZZ_ASSERT(n >= 0);
        FUZZ_ASSERT(learned_parse(buf, (size_t) n, back) == 0);
        for (size_t i = 0; i < LEARNED_N; i++)
                FUZZ_ASSERT(
                        back[i].known == l[i].known &&
                        (!l[i].known || (back[i].level == l[i].level && back[i].learned == l[i].learned)));
        return 0;
}
