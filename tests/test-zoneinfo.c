/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"
#include "zoneinfo.h"

static ZoneInfo zi;

static int parse(const char *s) {
        return zoneinfo_parse(s, strlen(s), &zi);
}

#define ZONE(node, name, free, min, low, high) \
        "Node " #node ", zone " name "\n"      \
        "  pages free     " #free "\n"         \
        "        min      " #min "\n"          \
        "        low      " #low "\n"          \
        "        high     " #high "\n"         \
        "        present  100\n"               \
        "        managed  90\n"                \
        "        protection: (0, 10, 20)\n"    \
        "  pagesets\n"                         \
        "    cpu: 0\n"                         \
        "              count:    0\n"          \
        "              high:     7176\n"

static void test_literals(void) {
        CHECK_EQ_INT(parse(ZONE(0, "   DMA", 50, 1, 2, 3) ZONE(0, "Normal", 60, 4, 5, 6)
                                   ZONE(1, "Normal", 70, 7, 8, 9)),
                     0);
        CHECK_EQ_U64(zi.n_zones, 3);
        CHECK_EQ_U64(zi.n_nodes, 2);
        CHECK_STREQ(zi.zones[0].name, "DMA");
        CHECK_EQ_U64(zi.zones[1].free, 60);
        CHECK_EQ_U64(zi.zones[1].high, 6); /* not the pageset's "high:" */
        CHECK_EQ_U64(zi.zones[2].node, 1);
        CHECK_EQ_U64(zi.zones[2].min, 7);
        CHECK_EQ_U64(zi.zones[2].managed, 90);
        CHECK_EQ_U64(zi.zones[2].n_protection, 3);
        CHECK_EQ_U64(zi.zones[2].protection[2], 20);
        CHECK_EQ_U64(zoneinfo_size(&zi), offsetof(ZoneInfo, zones) + 3 * sizeof(Zone));
}

static void test_hostile(void) {
        ZoneInfo before;

        CHECK_EQ_INT(parse(ZONE(0, "DMA", 50, 1, 2, 3)), 0);
        before = zi;

        CHECK_EQ_INT(parse(""), -ENODATA);
        CHECK_EQ_INT(parse("garbage\n"), -EINVAL);
        CHECK_EQ_INT(parse("Node 0, zone DMA\n  pages free 5\n"), -ENODATA); /* truncated */
        CHECK_EQ_INT(parse(ZONE(0, "DMA", 50, 3, 2, 1)), -EINVAL);           /* min > high */
        CHECK_EQ_INT(parse(ZONE(0, "DMA", 18446744073709551616, 1, 2, 3)), -ERANGE);
        CHECK_EQ_INT(parse(ZONE(0, "DMA", 50, 1, 2, 3) "        min      1\n"), -EINVAL); /* repeated */
        CHECK_EQ_INT(parse("Node x, zone DMA\n"), -EINVAL);
        CHECK_EQ_INT(parse("Node 4294967296, zone DMA\n"), -ERANGE);
        CHECK_EQ_INT(parse("Node 0, zone \n"), -EINVAL);
        CHECK_EQ_INT(parse("Node 0, zone ThisNameIsFarTooLong\n"), -EINVAL);
        CHECK_EQ_INT(parse("Node 0, zone D$A\n"), -EINVAL);
        CHECK_EQ_INT(parse(ZONE(0, "DMA", 5x, 1, 2, 3)), -EINVAL);
        CHECK_EQ_INT(parse("Node 0, zone DMA\n  pages free 5\n        min 1\n        low 2\n        high 3\n"
                           "        present 1\n        managed 1\n        protection: (1, 2\n"),
                     -EINVAL);
        CHECK_EQ_INT(
                parse("Node 0, zone DMA\n  pages free 5\n        min 1\n        low 2\n        high 3\n"
                      "        present 1\n        managed 1\n        protection: (1,2,3,4,5,6,7,8,9)\n"),
                -E2BIG);
        CHECK(memcmp(&before, &zi, zoneinfo_size(&before)) == 0);

        /* More populated zones than we keep: once -E2BIG, which stopped the
         * daemon; now the first 256 are kept and the rest counted. */
        size_t n = (ZONEINFO_ZONES_MAX + 2) * 200;
        char *big = malloc(n), *p = big;
        ASSERT(big);
        for (int i = 0; i <= ZONEINFO_ZONES_MAX; i++)
                p += sprintf(
                        p,
                        "Node %d, zone Normal\n  pages free 1\n        min 0\n        low 0\n        high 0\n"
                        "        present 1\n        managed 1\n",
                        i);
        CHECK_EQ_INT(zoneinfo_parse(big, (size_t) (p - big), &zi), 0);
        CHECK_EQ_U64(zi.n_zones, ZONEINFO_ZONES_MAX);
        CHECK_EQ_U64(zi.n_nodes, ZONEINFO_ZONES_MAX + 1);
        CHECK_EQ_U64(zi.n_zones_skipped, 1);
        CHECK_EQ_U64(zi.n_zones_dropped, 0);
        CHECK_EQ_U64(zi.zones[ZONEINFO_ZONES_MAX - 1].node, ZONEINFO_ZONES_MAX - 1);
        /* A zone that does not fit is still checked. */
        p += sprintf(p,
                     "Node 999, zone Normal\n  pages free 1\n        min 2\n        low 1\n        high 0\n"
                     "        present 1\n        managed 1\n");
        CHECK_EQ_INT(zoneinfo_parse(big, (size_t) (p - big), &zi), -EINVAL);

        /* More than the table holds and all empty: no zone to keep. */
        p = big;
        for (int i = 0; i <= ZONEINFO_ZONES_MAX; i++)
                p += sprintf(
                        p,
                        "Node %d, zone Movable\n  pages free 0\n        min 0\n        low 0\n        high 0\n"
                        "        present 0\n        managed 0\n",
                        i);
        CHECK_EQ_INT(zoneinfo_parse(big, (size_t) (p - big), &zi), -ENODATA);
        free(big);
}

/* 64 nodes, 320 zones of which 65 hold memory (tests/data/numa64, grown
 * from debian12-numa2 by its make-zoneinfo.sh): the empty zones make room. */
static void test_fixture_numa64(void) {
        size_t len;
        char *buf = test_read_data("numa64/proc/zoneinfo", &len);

        CHECK_EQ_INT(zoneinfo_parse(buf, len, &zi), 0);
        CHECK_EQ_U64(zi.n_nodes, 64);
        CHECK_EQ_U64(zi.n_zones, 65);
        CHECK_EQ_U64(zi.n_zones_dropped, 320 - 65);
        CHECK_EQ_U64(zi.n_zones_skipped, 0);
        CHECK_EQ_U64(zi.zones[0].node, 0);
        CHECK_STREQ(zi.zones[0].name, "DMA");
        CHECK_EQ_U64(zi.zones[1].managed, 113500);
        for (size_t i = 2; i < zi.n_zones; i++) {
                CHECK_EQ_U64(zi.zones[i].node, i - 1);
                CHECK_STREQ(zi.zones[i].name, "DMA32");
                CHECK_EQ_U64(zi.zones[i].managed, 128366);
        }
        free(buf);

        /* Below the limit nothing is dropped: empty zones stay listed. */
        buf = test_read_data("debian12-numa2/proc/zoneinfo", &len);
        CHECK_EQ_INT(zoneinfo_parse(buf, len, &zi), 0);
        CHECK_EQ_U64(zi.n_zones, 10);
        CHECK_EQ_U64(zi.n_zones_dropped, 0);
        free(buf);
}

static void test_fixture_host(void) {
        size_t len;
        char *buf = test_read_data("host-6.18/proc/zoneinfo", &len);

        CHECK_EQ_INT(zoneinfo_parse(buf, len, &zi), 0);
        CHECK_EQ_U64(zi.n_nodes, 1);
        CHECK_EQ_U64(zi.n_zones, 5);
        CHECK_STREQ(zi.zones[0].name, "DMA");
        CHECK_STREQ(zi.zones[2].name, "Normal");
        CHECK_STREQ(zi.zones[4].name, "Device");
        /* Node 0, zone DMA32 as captured. */
        CHECK_EQ_U64(zi.zones[1].min, 9790);
        CHECK_EQ_U64(zi.zones[1].low, 12237);
        CHECK_EQ_U64(zi.zones[1].high, 14684);
        CHECK_EQ_U64(zi.zones[1].managed, 772915);
        CHECK_EQ_U64(zi.zones[1].present, 782336);
        CHECK_EQ_U64(zi.zones[1].spanned, 1044480);
        CHECK_EQ_U64(zi.zones[1].n_protection, 5);
        CHECK_EQ_U64(zi.zones[1].protection[2], 2176);
        CHECK_EQ_U64(zi.zones[2].min, 7056);
        CHECK_EQ_U64(zi.zones[2].managed, 557056);
        CHECK_EQ_U64(zi.zones[3].managed, 0);
        free(buf);
}

int main(void) {
        test_literals();
        test_hostile();
        test_fixture_host();
        test_fixture_numa64();
        return test_result("test-zoneinfo");
}
