/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "meminfo.h"
#include "test-util.h"

static MemInfo m;

static int parse(const char *s) {
        return meminfo_parse(s, strlen(s), &m);
}

#define REQUIRED                                                                      \
        "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    500 kB\n" \
        "Cached:          200 kB\nSwapTotal:       0 kB\nSwapFree:        0 kB\n"

static void test_literals(void) {
        CHECK_EQ_INT(
                parse("SwapCached:       7 kB\n" REQUIRED "HugePages_Total:       3\nNewThing:  5 kB\n"), 0);
        CHECK_EQ_U64(m.field[MEMINFO_CACHED], 200); /* not SwapCached */
        CHECK_EQ_U64(m.field[MEMINFO_SWAP_CACHED], 7);
        CHECK_EQ_U64(m.field[MEMINFO_HUGEPAGES_TOTAL], 3);
        CHECK(!(m.present & (UINT32_C(1) << MEMINFO_DIRTY)));
        CHECK_STREQ(meminfo_field_name(MEMINFO_ACTIVE_ANON), "Active(anon)");
}

static void test_hostile(void) {
        MemInfo before;

        CHECK_EQ_INT(parse(REQUIRED), 0);
        before = m;

        CHECK_EQ_INT(parse(""), -ENODATA);
        CHECK_EQ_INT(parse("MemTotal: 1000 kB\n"), -ENODATA);
        CHECK_EQ_INT(parse(REQUIRED "MemTotal: 1000 kB\n"), -EINVAL);     /* repeated */
        CHECK_EQ_INT(parse(REQUIRED "Dirty: 5\n"), -EINVAL);              /* unit missing */
        CHECK_EQ_INT(parse(REQUIRED "HugePages_Total: 5 kB\n"), -EINVAL); /* unit unexpected */
        CHECK_EQ_INT(parse(REQUIRED "Dirty: 5 MB\n"), -EINVAL);
        CHECK_EQ_INT(parse(REQUIRED "Dirty: 18446744073709551616 kB\n"), -ERANGE);
        CHECK_EQ_INT(parse(REQUIRED "Dirty:\n"), -EINVAL);     /* truncated */
        CHECK_EQ_INT(parse(REQUIRED "Dirty 5 kB\n"), -EINVAL); /* no colon */
        CHECK_EQ_INT(parse(REQUIRED ": 5 kB\n"), -EINVAL);
        CHECK_EQ_INT(parse("MemTotal: 10 kB\nMemFree: 100 kB\nMemAvailable: 5 kB\nCached: 1 kB\n"
                           "SwapTotal: 0 kB\nSwapFree: 0 kB\n"),
                     -EINVAL); /* free > total */
        CHECK_EQ_INT(parse("MemTotal: 10 kB\nMemFree: 1 kB\nMemAvailable: 5 kB\nCached: 1 kB\n"
                           "SwapTotal: 0 kB\nSwapFree: 1 kB\n"),
                     -EINVAL);
        CHECK(memcmp(&before, &m, sizeof(m)) == 0);
}

static void test_fixture_host(void) {
        size_t len;
        char *buf = test_read_data("host-6.18/proc/meminfo", &len);

        CHECK_EQ_INT(meminfo_parse(buf, len, &m), 0);
        CHECK_EQ_U64(m.field[MEMINFO_MEM_TOTAL], 24684084);
        CHECK_EQ_U64(m.field[MEMINFO_MEM_FREE], 23875168);
        CHECK_EQ_U64(m.field[MEMINFO_MEM_AVAILABLE], 24309032);
        CHECK_EQ_U64(m.field[MEMINFO_CACHED], 585936);
        CHECK_EQ_U64(m.field[MEMINFO_SWAP_CACHED], 0);
        CHECK_EQ_U64(m.field[MEMINFO_ACTIVE_FILE], 166928);
        CHECK_EQ_U64(m.field[MEMINFO_INACTIVE_FILE], 432492);
        CHECK_EQ_U64(m.field[MEMINFO_INACTIVE_ANON], 3160);
        CHECK_EQ_U64(m.field[MEMINFO_SWAP_TOTAL], 0);
        CHECK_EQ_U64(m.field[MEMINFO_SWAP_FREE], 0);
        CHECK_EQ_U64(m.field[MEMINFO_HUGEPAGE_SIZE], 2048);
        for (MemInfoField f = 0; f < _MEMINFO_FIELD_MAX; f++)
                CHECK(m.present & (UINT32_C(1) << f));
        free(buf);
}

int main(void) {
        test_literals();
        test_hostile();
        test_fixture_host();
        return test_result("test-meminfo");
}
