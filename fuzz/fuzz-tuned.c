/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tuned_parse() (util/tuned.h) on arbitrary bytes as one TuneD profile:
 * only -ENOMEM as an error; at most TUNED_INCLUDES_MAX includes, each a
 * valid profile name (no path can be built from one); every setting has a
 * printable key and value; a file with a NUL byte adds nothing. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "tuned.h"

static bool printable(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TunedInclude inc[TUNED_INCLUDES_MAX];
        ConfList l = {};
        size_t n = 0;
        int r;

        if (size > CONF_FILE_SIZE_MAX)
                return 0;
        r = tuned_parse("/usr/lib/tuned/fuzz/tuned.conf", (const char *) data, size, &l, inc, &n);
        FUZZ_ASSERT_ERRNO(r, -ENOMEM);
        FUZZ_ASSERT(n <= TUNED_INCLUDES_MAX);
        for (size_t i = 0; i < n; i++) {
                FUZZ_ASSERT(tuned_name_valid(inc[i].name));
                FUZZ_ASSERT(!strchr(inc[i].name, '/'));
        }
        if (memchr(data, '\0', size))
                FUZZ_ASSERT(l.n_settings == 0 && n == 0);
        FUZZ_ASSERT(l.n_errors <= CONF_ERRORS_MAX + 1);
        for (size_t i = 0; i < l.n_settings; i++) {
                const ConfSetting *s = &l.settings[i];

                FUZZ_ASSERT(s->key[0] && printable(s->key) && s->value && printable(s->value));
                FUZZ_ASSERT(strlen(s->value) <= CONF_VALUE_MAX);
        }
        conf_list_done(&l);
        return 0;
}
