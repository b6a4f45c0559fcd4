/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fixture trees captured from real kernels (see each tree's KERNEL file):
 * every field the engine uses is asserted against the captured value. */
#include <math.h>

#include "report.h"
#include "sample.h"
#include "test-util.h"

static Sample s0, s1;

static void load(const char *tree, uint64_t now, Sample *ret) {
        int fd = test_open_data_dir(tree);
        const char *failed = NULL;
        Sampler sampler;

        CHECK_EQ_INT(sampler_open(&sampler, fd, -1, &failed), 0);
        CHECK_EQ_INT(sampler_read(&sampler, now, ret, &failed), 0);
        if (failed)
                fprintf(stderr, "%s: failed at %s\n", tree, failed);
        sampler_close(&sampler);
        close(fd);
}

static void check_zone(const Zone *z, uint32_t node, const char *name, uint64_t free, uint64_t min,
                       uint64_t low, uint64_t high, uint64_t managed) {
        CHECK_EQ_U64(z->node, node);
        CHECK_STREQ(z->name, name);
        CHECK_EQ_U64(z->free, free);
        CHECK_EQ_U64(z->min, min);
        CHECK_EQ_U64(z->low, low);
        CHECK_EQ_U64(z->high, high);
        CHECK_EQ_U64(z->managed, managed);
}

/* Debian 12, kernel 6.1.0-56-amd64, QEMU guest with two NUMA nodes, calm. */
static void test_debian12_numa2(void) {
        load("debian12-numa2/proc", 1, &s0);

        CHECK_EQ_U64(s0.vmstat.n_counters, 173);
        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++) {
                CHECK(vmstat_has(&s0.vmstat, f));
                if (f != VMSTAT_PGALLOC) /* calm: nothing else has happened */
                        CHECK_EQ_U64(s0.vmstat.field[f], 0);
        }
        /* pgalloc_dma 32 + pgalloc_dma32 59701, the other zones 0 */
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_PGALLOC], 59733);

        CHECK_EQ_U64(s0.zoneinfo.n_nodes, 2);
        CHECK_EQ_U64(s0.zoneinfo.n_zones, 10);
        check_zone(&s0.zoneinfo.zones[0], 0, "DMA", 3808, 190, 237, 284, 3840);
        check_zone(&s0.zoneinfo.zones[1], 0, "DMA32", 95338, 5540, 6925, 8310, 113500);
        check_zone(&s0.zoneinfo.zones[2], 0, "Normal", 0, 0, 0, 0, 0);
        check_zone(&s0.zoneinfo.zones[6], 1, "DMA32", 112044, 6303, 7878, 9453, 128366);
        CHECK_EQ_INT(zone_state(&s0.zoneinfo.zones[1]), ZONE_ABOVE_HIGH);
        CHECK_EQ_INT(zone_state(&s0.zoneinfo.zones[2]), ZONE_EMPTY);

        CHECK_EQ_U64(s0.meminfo.field[MEMINFO_MEM_TOTAL], 982824);
        CHECK_EQ_U64(s0.meminfo.field[MEMINFO_MEM_FREE], 844760);
        CHECK_EQ_U64(s0.meminfo.field[MEMINFO_MEM_AVAILABLE], 793212);
        CHECK_EQ_U64(s0.meminfo.field[MEMINFO_CACHED], 28172);
        CHECK_EQ_U64(s0.meminfo.field[MEMINFO_SWAP_TOTAL], 0);

        CHECK(s0.psi.available && s0.psi.has_full);
        CHECK_EQ_U64(s0.psi.some.total, 0);

        CHECK_EQ_U64(s0.tunables.value[TUNABLE_MIN_FREE_KBYTES], 48140);
        CHECK_EQ_U64(s0.tunables.value[TUNABLE_WATERMARK_SCALE_FACTOR], 10);
        CHECK_EQ_U64(s0.tunables.value[TUNABLE_SWAPPINESS], 60);
        CHECK_EQ_U64(s0.tunables.value[TUNABLE_ZONE_RECLAIM_MODE], 0);
        CHECK_EQ_U64(s0.tunables.value[TUNABLE_WATERMARK_BOOST_FACTOR], 15000);
}

/* The same guest under direct reclaim with swap: two snapshots ~2 s apart. */
static void test_debian12_pressure(void) {
        Rates r;

        load("debian12-numa2-pressure/t0/proc", 1000000, &s0);
        load("debian12-numa2-pressure/t1/proc", 3000000, &s1);

        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_PGSCAN_KSWAPD], 92296);
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_PGSCAN_DIRECT], 1755);
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_PGSTEAL_KSWAPD], 81000);
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_PGSTEAL_DIRECT], 1370);
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_ALLOCSTALL], 38); /* normal 1 + movable 37 */
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_PSWPOUT], 186);
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_WORKINGSET_REFAULT_FILE], 4810);
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_KSWAPD_LOW_WMARK_HIT_QUICKLY], 141);
        CHECK_EQ_U64(s0.vmstat.field[VMSTAT_KSWAPD_HIGH_WMARK_HIT_QUICKLY], 6);

        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_PGSCAN_KSWAPD], 114041);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_PGSCAN_DIRECT], 6337);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_PGSTEAL_DIRECT], 5373);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_ALLOCSTALL], 77);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_PSWPIN], 1378);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_PSWPOUT], 1412);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_WORKINGSET_REFAULT_ANON], 1378);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_WORKINGSET_REFAULT_FILE], 7595);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_ZONE_RECLAIM_FAILED], 0);
        CHECK_EQ_U64(s1.vmstat.field[VMSTAT_OOM_KILL], 0);

        /* Node 1's DMA32 is below min in t1 (watermarks boosted): direct reclaim. */
        check_zone(&s1.zoneinfo.zones[6], 1, "DMA32", 524, 645, 678, 711, 128366);
        CHECK_EQ_INT(zone_state(&s1.zoneinfo.zones[6]), ZONE_BELOW_MIN);
        check_zone(&s0.zoneinfo.zones[1], 0, "DMA32", 1189, 118, 147, 176, 113500);

        CHECK_EQ_U64(s1.meminfo.field[MEMINFO_SWAP_TOTAL], 262140);
        CHECK_EQ_U64(s1.meminfo.field[MEMINFO_SWAP_FREE], 256216);
        CHECK_EQ_U64(s1.meminfo.field[MEMINFO_MEM_FREE], 5268);
        CHECK_EQ_U64(s1.meminfo.field[MEMINFO_CACHED], 504156);

        CHECK_EQ_U64(s0.psi.some.avg10, 223);
        CHECK_EQ_U64(s0.psi.some.total, 1060436);
        CHECK_EQ_U64(s1.psi.some.avg10, 1762);
        CHECK_EQ_U64(s1.psi.full.avg10, 532);
        CHECK_EQ_U64(s1.psi.full.total, 777015);

        CHECK_EQ_U64(s1.tunables.value[TUNABLE_MIN_FREE_KBYTES], 1024);
        CHECK_EQ_U64(s1.tunables.value[TUNABLE_WATERMARK_SCALE_FACTOR], 1);

        /* Rates over the (here: declared) 2 s between the snapshots. */
        CHECK_EQ_INT(rates_compute(&s0, &s1, &r), 0);
        CHECK(r.vmstat[VMSTAT_PGSCAN_DIRECT] == 4582 / 2.0);
        CHECK(r.vmstat[VMSTAT_ALLOCSTALL] == 39 / 2.0);
        CHECK(r.vmstat[VMSTAT_PSWPIN] == 1378 / 2.0);
        CHECK(r.vmstat[VMSTAT_PGSCAN_KSWAPD] == 21745 / 2.0);
        CHECK_EQ_U64(r.reset, 0);
        CHECK(r.psi_valid);
        /* (2289043 - 1060436) us stalled over 2 s, capped at 100%. */
        CHECK(fabs(r.psi_some_pct - 61.43035) < 1e-9);
        CHECK(fabs(r.psi_full_pct - 12.95095) < 1e-9);
}

int main(void) {
        test_debian12_numa2();
        test_debian12_pressure();
        return test_result("test-fixtures");
}
