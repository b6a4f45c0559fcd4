/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse.h"
#include "test-util.h"

static void test_u64(void) {
        const char *s = "18446744073709551615 x", *next;
        uint64_t v;

        CHECK_EQ_INT(parse_u64(s, s + strlen(s), &next, &v), 0);
        CHECK_EQ_U64(v, UINT64_MAX);
        CHECK(*next == ' ');

        s = "18446744073709551616";
        CHECK_EQ_INT(parse_u64(s, s + strlen(s), NULL, &v), -ERANGE);
        s = "99999999999999999999999";
        CHECK_EQ_INT(parse_u64(s, s + strlen(s), NULL, &v), -ERANGE);
        s = "-1";
        CHECK_EQ_INT(parse_u64(s, s + strlen(s), NULL, &v), -EINVAL);
        s = "";
        CHECK_EQ_INT(parse_u64(s, s, NULL, &v), -EINVAL);

        /* The end bound is respected: "12" with end after "1". */
        s = "12";
        CHECK_EQ_INT(parse_u64(s, s + 1, &next, &v), 0);
        CHECK_EQ_U64(v, 1);

        CHECK_EQ_INT(parse_u64_full("42\n", &v), 0);
        CHECK_EQ_U64(v, 42);
        CHECK_EQ_INT(parse_u64_full("42\n\n", &v), -EINVAL);
        CHECK_EQ_INT(parse_u64_full("42 ", &v), -EINVAL);
        CHECK_EQ_INT(parse_u64_full(" 42", &v), -EINVAL);
        CHECK_EQ_INT(parse_u64_full("4x", &v), -EINVAL);
}

static void test_i64(void) {
        int64_t v;

        CHECK_EQ_INT(parse_i64_full("-1000\n", &v), 0);
        CHECK_EQ_INT(v, -1000);
        CHECK_EQ_INT(parse_i64_full("-9223372036854775808", &v), 0);
        CHECK(v == INT64_MIN);
        CHECK_EQ_INT(parse_i64_full("9223372036854775808", &v), -ERANGE);
        CHECK_EQ_INT(parse_i64_full("--1", &v), -EINVAL);
}

static void test_centi(void) {
        const char *s;
        uint32_t v;

        s = "12.34";
        CHECK_EQ_INT(parse_centi(s, s + strlen(s), NULL, &v), 0);
        CHECK_EQ_U64(v, 1234);
        s = "0.5";
        CHECK_EQ_INT(parse_centi(s, s + strlen(s), NULL, &v), 0);
        CHECK_EQ_U64(v, 50);
        s = "100";
        CHECK_EQ_INT(parse_centi(s, s + strlen(s), NULL, &v), 0);
        CHECK_EQ_U64(v, 10000);
        s = "1.234";
        CHECK_EQ_INT(parse_centi(s, s + strlen(s), NULL, &v), -EINVAL);
        s = "1.";
        CHECK_EQ_INT(parse_centi(s, s + strlen(s), NULL, &v), -EINVAL);
        s = "99999999999.00";
        CHECK_EQ_INT(parse_centi(s, s + strlen(s), NULL, &v), -ERANGE);
}

static void test_words(void) {
        const char *s = "SwapCached: 0 kB\nCached: 5 kB\n", *end = s + strlen(s), *next;

        CHECK(!line_startswith_word(s, end, "Cached", NULL));
        CHECK(line_startswith_word(s, end, "SwapCached", &next));
        CHECK(*next == ':');
        CHECK(line_startswith_word(line_next(s, end), end, "Cached", NULL));
        CHECK(line_next(line_next(s, end), end) == end);
        CHECK(!line_startswith_word(s, end, "Swap", NULL));
}

int main(void) {
        test_u64();
        test_i64();
        test_centi();
        test_words();
        return test_result("test-parse");
}
