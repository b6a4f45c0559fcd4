/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "parse.h"

int parse_u64(const char *s, const char *end, const char **ret_next, uint64_t *ret) {
        uint64_t v = 0;
        const char *p = s;

        if (p >= end || *p < '0' || *p > '9')
                return -EINVAL;

        for (; p < end && *p >= '0' && *p <= '9'; p++)
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (*p - '0'), &v))
                        return -ERANGE;

        if (ret_next)
                *ret_next = p;
        *ret = v;
        return 0;
}

int parse_u64_full(const char *s, uint64_t *ret) {
        const char *end = s + strlen(s), *next;
        uint64_t v;
        int r;

        r = parse_u64(s, end, &next, &v);
        if (r < 0)
                return r;
        if (next < end && *next == '\n')
                next++;
        if (next != end)
                return -EINVAL;

        *ret = v;
        return 0;
}

int parse_i64_full(const char *s, int64_t *ret) {
        bool neg = s[0] == '-';
        uint64_t v;
        int r;

        r = parse_u64_full(s + neg, &v);
        if (r < 0)
                return r;
        if (v > (uint64_t) INT64_MAX + neg)
                return -ERANGE;

        *ret = neg ? (int64_t) (0 - v) : (int64_t) v;
        return 0;
}

int parse_centi(const char *s, const char *end, const char **ret_next, uint32_t *ret) {
        const char *p;
        uint64_t whole, frac = 0;
        int r, digits = 0;

        r = parse_u64(s, end, &p, &whole);
        if (r < 0)
                return r;
        if (whole > UINT32_MAX / 100 - 1)
                return -ERANGE;

        if (p < end && *p == '.') {
                p++;
                for (; p < end && *p >= '0' && *p <= '9'; p++) {
                        if (++digits > 2)
                                return -EINVAL;
                        frac = frac * 10 + (uint64_t) (*p - '0');
                }
                if (digits == 0)
                        return -EINVAL;
                if (digits == 1)
                        frac *= 10;
        }

        if (ret_next)
                *ret_next = p;
        *ret = (uint32_t) (whole * 100 + frac);
        return 0;
}

const char *line_next(const char *p, const char *end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));

        return nl ? nl + 1 : end;
}

const char *skip_blanks(const char *p, const char *end) {
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

bool line_startswith_word(const char *p, const char *end, const char *word, const char **ret_next) {
        size_t n = strlen(word);

        if ((size_t) (end - p) <= n || memcmp(p, word, n) != 0)
                return false;
        if (p[n] != ' ' && p[n] != '\t' && p[n] != ':' && p[n] != '=')
                return false;

        if (ret_next)
                *ret_next = p + n;
        return true;
}
