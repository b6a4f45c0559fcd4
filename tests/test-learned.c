/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state file "learned": its parser on good and hostile text, and the
 * round trip through the formatter. */
#include "learned.h"
#include "test-util.h"

static int parse(const char *s, LearnedLevel l[LEARNED_N]) {
        return learned_parse(s, strlen(s), l);
}

static void test_good(void) {
        LearnedLevel l[LEARNED_N], back[LEARNED_N];
        char buf[256];
        int n;

        CHECK_EQ_INT(parse("min_free_kbytes 67584 84480\nwatermark_scale_factor 10 936\n", l), 0);
        CHECK(l[0].known && l[0].level == 67584 && l[0].learned == 84480);
        CHECK(l[1].known && l[1].level == 10 && l[1].learned == 936);

        /* One line, in any order, without the last newline. */
        CHECK_EQ_INT(parse("watermark_scale_factor 234 0", l), 0);
        CHECK(!l[0].known && l[1].known && l[1].level == 234 && l[1].learned == 0);
        CHECK_EQ_INT(parse("", l), 0);
        CHECK(!l[0].known && !l[1].known);

        l[0] = (LearnedLevel) { .level = 45056, .learned = 70400, .known = true };
        l[1] = (LearnedLevel) { .level = 117, .learned = 1000, .known = true };
        n = learned_format(l, buf, sizeof(buf));
        CHECK_STREQ(buf, "min_free_kbytes 45056 70400\nwatermark_scale_factor 117 1000\n");
        CHECK_EQ_INT(learned_parse(buf, (size_t) n, back), 0);
        CHECK(back[0].level == 45056 && back[0].learned == 70400 && back[1].learned == 1000);
        CHECK_EQ_INT(learned_format(l, buf, 10), -ENOBUFS);
}

static void test_hostile(void) {
        static const char *const bad[] = {
                "swappiness 60 0\n", /* not a watermark */
                "nonsense 1 2\n",
                "min_free_kbytes 1\n",     /* a number missing */
                "min_free_kbytes 1 2 3\n", /* one too many */
                "min_free_kbytes -1 2\n",
                "min_free_kbytes 18446744073709551616 2\n",   /* past 64 bits */
                "min_free_kbytes 1 2\nmin_free_kbytes 3 4\n", /* twice */
                "min_free_kbytes  1 2\n",
                "\nmin_free_kbytes 1 2\n",
                "min_free_kbytes 1 2x\n",
                "min_free_kbytes",
        };
        LearnedLevel l[LEARNED_N] = { { .level = 7, .learned = 7, .known = true } };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_EQ_INT(parse(bad[i], l), -EBADMSG);
                /* ret untouched on failure */
                CHECK(l[0].known && l[0].level == 7);
        }
        /* A NUL inside the text is not a separator. */
        CHECK_EQ_INT(learned_parse("min_free_kbytes 1\0002\n", 19, l), -EBADMSG);
}

int main(void) {
        test_good();
        test_hostile();
        return test_result("test-learned");
}
