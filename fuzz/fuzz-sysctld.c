/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysctl_parse() (util/sysctld.h) on arbitrary bytes as one sysctl.d file:
 * only -ENOMEM as an error; every setting has a printable key of at most
 * CONF_KEY_MAX bytes and a printable value; a file with a NUL byte adds
 * nothing; the error list stays bounded; conf_list_find() finds each
 * explicit key. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "sysctld.h"

static bool printable(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConfList l = {};
        int r;

        if (size > CONF_FILE_SIZE_MAX)
                return 0;
        r = sysctl_parse("/etc/sysctl.d/fuzz.conf", (const char *) data, size, &l);
        FUZZ_ASSERT_ERRNO(r, -ENOMEM);
        if (memchr(data, '\0', size))
                FUZZ_ASSERT(l.n_settings == 0);
        FUZZ_ASSERT(l.n_settings <= CONF_SETTINGS_MAX);
        FUZZ_ASSERT(l.n_errors <= CONF_ERRORS_MAX + 1);
        for (size_t i = 0; i < l.n_settings; i++) {
                const ConfSetting *s = &l.settings[i];

                FUZZ_ASSERT(s->key[0] && strlen(s->key) <= CONF_KEY_MAX && printable(s->key));
                FUZZ_ASSERT(!s->value || (strlen(s->value) <= CONF_VALUE_MAX && printable(s->value)));
                FUZZ_ASSERT(s->line >= 1);
                if (!s->glob && s->value)
                        FUZZ_ASSERT(conf_list_find(&l, s->key) != NULL);
        }
        conf_list_done(&l);
        return 0;
}
