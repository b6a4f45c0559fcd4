/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"
#include "vmstat.h"

static VmStat v;

static int parse(const char *s) {
        return vmstat_parse(s, strlen(s), &v);
}

#define REQUIRED "pgscan_kswapd 1\npgscan_direct 2\npgsteal_kswapd 3\npgsteal_direct 4\n"

static void test_literals(void) {
        uint64_t x;

        CHECK_EQ_INT(parse(REQUIRED "allocstall_dma32 5\nallocstall_normal 7\nfuture_counter 9\n"), 0);
        CHECK_EQ_U64(v.field[VMSTAT_PGSCAN_KSWAPD], 1);
        CHECK_EQ_U64(v.field[VMSTAT_PGSTEAL_DIRECT], 4);
        CHECK_EQ_U64(v.field[VMSTAT_ALLOCSTALL], 12);
        CHECK(vmstat_has(&v, VMSTAT_ALLOCSTALL));
        CHECK(!vmstat_has(&v, VMSTAT_PSWPIN)); /* a kernel without swap support */
        CHECK(!vmstat_has(&v, VMSTAT_ZONE_RECLAIM_FAILED));
        CHECK_EQ_U64(v.n_counters, 7);
        CHECK_EQ_INT(vmstat_get(&v, "future_counter", &x), 0);
        CHECK_EQ_U64(x, 9);
        CHECK_EQ_INT(vmstat_get(&v, "future", &x), -ENOENT);

        /* Pre-4.8 kernels have one "allocstall" counter. */
        CHECK_EQ_INT(parse(REQUIRED "allocstall 3\n"), 0);
        CHECK_EQ_U64(v.field[VMSTAT_ALLOCSTALL], 3);

        /* No trailing newline is fine. */
        CHECK_EQ_INT(parse("pgscan_kswapd 1\npgscan_direct 2\npgsteal_kswapd 3\npgsteal_direct 4"), 0);

        /* A name longer than we keep is skipped, not an error. */
        CHECK_EQ_INT(parse(REQUIRED "a_counter_name_that_is_much_longer_than_forty_seven_bytes 1\n"), 0);
        CHECK_EQ_U64(v.n_counters, 4);

        /* Summing per-zone stalls saturates. */
        CHECK_EQ_INT(parse(REQUIRED "allocstall_normal 18446744073709551615\nallocstall_dma 1\n"), 0);
        CHECK_EQ_U64(v.field[VMSTAT_ALLOCSTALL], UINT64_MAX);

        /* pgalloc_<zone> sums the same way, beside allocstall_<zone>. */
        CHECK_EQ_INT(parse(REQUIRED
                           "pgalloc_dma 1\npgalloc_dma32 20\nallocstall_dma32 5\npgalloc_normal 300\n"
                           "pgalloc_movable 0\npgalloc_device 4000\n"),
                     0);
        CHECK_EQ_U64(v.field[VMSTAT_PGALLOC], 4321);
        CHECK_EQ_U64(v.field[VMSTAT_ALLOCSTALL], 5);
        CHECK(!vmstat_has(&(VmStat) {}, VMSTAT_PGALLOC));
}

static void test_hostile(void) {
        VmStat before;

        CHECK_EQ_INT(parse(REQUIRED), 0);
        before = v;

        CHECK_EQ_INT(parse(""), -ENODATA);
        CHECK_EQ_INT(parse("pgscan_kswapd 1\n"), -ENODATA);
        CHECK_EQ_INT(parse(REQUIRED "pgscan_direct 5\n"), -EINVAL); /* repeated */
        CHECK_EQ_INT(parse(REQUIRED "allocstall_normal 1\nallocstall_normal 1\n"), -EINVAL);
        CHECK_EQ_INT(parse(REQUIRED "pgalloc_normal 1\nallocstall_normal 1\npgalloc_normal 1\n"), -EINVAL);
        CHECK_EQ_INT(parse(REQUIRED "oom_kill 18446744073709551616\n"), -ERANGE);
        CHECK_EQ_INT(parse(REQUIRED "oom_kill -1\n"), -EINVAL);
        CHECK_EQ_INT(parse(REQUIRED "oom_kill\n"), -EINVAL); /* truncated line */
        CHECK_EQ_INT(parse(REQUIRED "oom_kill 1 2\n"), -EINVAL);
        CHECK_EQ_INT(parse(REQUIRED "oom_kill  1\n"), -EINVAL);
        CHECK_EQ_INT(parse(REQUIRED "\x01\x02 garbage\n"), -EINVAL);
        CHECK_EQ_INT(parse(REQUIRED "pgscan_kswapd"), -EINVAL);
        CHECK_EQ_INT(vmstat_parse("pgscan_kswapd 1\0pgscan_direct 2\n", 32, &v), -EINVAL);

        /* Failed parses leave the previous result alone. */
        CHECK(memcmp(&before, &v, offsetof(VmStat, counters)) == 0);

        /* More counters than we keep. */
        size_t n = (VMSTAT_COUNTERS_MAX + 1) * 16 + 128;
        char *big = malloc(n), *p = big;
        ASSERT(big);
        p += sprintf(p, REQUIRED);
        for (int i = 0; i < VMSTAT_COUNTERS_MAX; i++)
                p += sprintf(p, "c%d 1\n", i);
        CHECK_EQ_INT(vmstat_parse(big, (size_t) (p - big), &v), -E2BIG);
        free(big);
}

static void test_fixture_host(void) {
        size_t len;
        char *buf = test_read_data("host-6.18/proc/vmstat", &len);
        uint64_t x;

        CHECK_EQ_INT(vmstat_parse(buf, len, &v), 0);
        CHECK_EQ_U64(v.n_counters, 192);
        CHECK_EQ_U64(v.field[VMSTAT_PGSCAN_KSWAPD], 0);
        CHECK_EQ_U64(v.field[VMSTAT_PGSCAN_DIRECT], 0);
        CHECK_EQ_U64(v.field[VMSTAT_ALLOCSTALL], 0);
        CHECK_EQ_U64(v.field[VMSTAT_WORKINGSET_REFAULT_FILE], 27492);
        CHECK_EQ_U64(v.field[VMSTAT_WORKINGSET_REFAULT_ANON], 0);
        CHECK_EQ_U64(v.field[VMSTAT_OOM_KILL], 0);
        CHECK_EQ_U64(v.field[VMSTAT_COMPACT_STALL], 0);
        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++)
                CHECK(vmstat_has(&v, f));
        CHECK_EQ_INT(vmstat_get(&v, "nr_free_pages", &x), 0);
        CHECK_EQ_U64(x, 1131595);
        free(buf);
}

int main(void) {
        test_literals();
        test_hostile();
        test_fixture_host();
        return test_result("test-vmstat");
}
