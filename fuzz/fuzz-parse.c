/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The small helpers of util/parse.h against straightforward reference
 * implementations: every reader's numbers go through them. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "parse.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Reference: the value of the digit run at s..end, 0 or -EINVAL/-ERANGE. */
static int ref_u64(const char *s, const char *end, const char **ret_next, uint64_t *ret) {
        uint64_t v = 0;
        bool overflow = false;
        const char *p = s;

        if (p >= end || !is_digit(*p))
                return -EINVAL;
        for (; p < end && is_digit(*p); p++)
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (*p - '0'), &v))
                        overflow = true;
        if (overflow)
                return -ERANGE;
        *ret_next = p;
        *ret = v;
        return 0;
}

static void check_u64(const char *s, const char *end) {
        const char *next = NULL, *ref_next = NULL;
        uint64_t v = 0, ref = 0;
        int r, rr;

        r = parse_u64(s, end, &next, &v);
        rr = ref_u64(s, end, &ref_next, &ref);
        FUZZ_ASSERT(r == rr);
        if (r == 0)
                FUZZ_ASSERT(v == ref && next == ref_next);
}

static void check_u64_full(const char *s) {
        const char *end = s + strlen(s), *next;
        uint64_t v, ref;
        int r, rr;

        r = parse_u64_full(s, &v);
        rr = ref_u64(s, end, &next, &ref);
        if (rr == 0 && next < end && *next == '\n')
                next++;
        if (rr == 0 && next != end)
                rr = -EINVAL;
        FUZZ_ASSERT(r == rr);
        if (r == 0)
                FUZZ_ASSERT(v == ref);
}

static void check_i64_full(const char *s) {
        int64_t v;
        uint64_t u;
        bool neg = s[0] == '-';
        int r, ru;

        r = parse_i64_full(s, &v);
        ru = parse_u64_full(s + neg, &u);
        if (ru < 0) {
                FUZZ_ASSERT(r == ru);
                return;
        }
        if (u > (uint64_t) INT64_MAX + neg) {
                FUZZ_ASSERT(r == -ERANGE);
                return;
        }
        FUZZ_ASSERT(r == 0);
        if (neg)
                FUZZ_ASSERT(v <= 0 && (uint64_t) - (v + 1) + 1 == u);
        else
                FUZZ_ASSERT(v >= 0 && (uint64_t) v == u);
}

static void check_centi(const char *s, const char *end) {
        const char *next = NULL, *p;
        uint64_t whole;
        uint32_t v = 0;
        int r, rr, digits = 0;
        unsigned frac = 0;

        r = parse_centi(s, end, &next, &v);

        rr = ref_u64(s, end, &p, &whole);
        if (rr == 0 && whole >= UINT32_MAX / 100)
                rr = -ERANGE;
        if (rr == 0 && p < end && *p == '.') {
                for (p++; p < end && is_digit(*p); p++, digits++)
                        if (digits < 2)
                                frac = frac * 10 + (unsigned) (*p - '0');
                if (digits == 0 || digits > 2)
                        rr = -EINVAL;
                if (digits == 1)
                        frac *= 10;
        }
        FUZZ_ASSERT(r == rr);
        if (r == 0)
                FUZZ_ASSERT(next == p && v == whole * 100 + frac);
}

static void check_lines(const char *s, const char *end) {
        for (const char *p = s; p < end;) {
                const char *n = line_next(p, end), *b = skip_blanks(p, end);

                FUZZ_ASSERT(n > p && n <= end);
                FUZZ_ASSERT(n == end || n[-1] == '\n');
                FUZZ_ASSERT(!memchr(p, '\n', (size_t) (n - p - 1)));
                FUZZ_ASSERT(b >= p && b <= end && (b == end || (*b != ' ' && *b != '\t')));
                p = n;
        }
}

static void check_word(const char *text, const char *end, const char *word) {
        size_t n = strlen(word), len = (size_t) (end - text);
        const char *next = NULL;
        bool r, ref;

        r = line_startswith_word(text, end, word, &next);
        ref = len > n && memcmp(text, word, n) == 0 && memchr(" \t:=", text[n], 4) && text[n] != 0;
        FUZZ_ASSERT(r == ref);
        if (r)
                FUZZ_ASSERT(next == text + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *s = (const char *) data, *end = s + size, *nul;
        char *str;

        check_u64(s, end);
        check_centi(s, end);
        check_lines(s, end);

        /* The NUL-terminated helpers get the text up to the first NUL. */
        str = strndup(s, size);
        if (!str)
                return 0;
        check_u64_full(str);
        check_i64_full(str);

        /* line_startswith_word: the word is the text before the first NUL,
         * the line is what follows it. */
        nul = memchr(s, 0, size);
        if (nul)
                check_word(nul + 1, end, str);
        free(str);
        return 0;
}
