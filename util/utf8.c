/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

/* Decodes one UTF-8 sequence at s; returns its length, 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s) {
        uint32_t c;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
                return 0;
        return n;
}

bool utf8_is_valid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_sequence(p);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

bool utf8_sanitize(char *s) {
        bool changed = false;

        for (unsigned char *p = (unsigned char *) s; *p;) {
                size_t n = utf8_sequence(p);
                if (n == 0) {
                        *p++ = '?';
                        changed = true;
                } else
                        p += n;
        }
        return changed;
}
