/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <sys/mman.h>

#include "sample.h"
#include "test-util.h"

static Sample a, b;

static void test_fixture_tree(void) {
        int fd = test_open_data_dir("host-6.18/proc");
        const char *failed = NULL;
        Sampler s;

        CHECK_EQ_INT(sampler_open(&s, fd, -1, &failed), 0);
        CHECK_EQ_INT(sampler_read(&s, 1000, &a, &failed), 0);
        CHECK_EQ_U64(a.timestamp_usec, 1000);
        CHECK_EQ_U64(a.meminfo.field[MEMINFO_MEM_TOTAL], 24684084);
        CHECK_EQ_U64(a.zoneinfo.n_zones, 5);
        CHECK(a.psi.available);
        CHECK_EQ_U64(a.tunables.value[TUNABLE_MIN_FREE_KBYTES], 67584);
        CHECK_EQ_U64(a.tunables.value[TUNABLE_SWAPPINESS], 60);
        CHECK_EQ_U64(a.tunables.value[TUNABLE_ZONE_RECLAIM_MODE], 0);
        CHECK_EQ_U64(a.tunables.value[TUNABLE_WATERMARK_SCALE_FACTOR], 10);
        CHECK_EQ_U64(a.tunables.value[TUNABLE_WATERMARK_BOOST_FACTOR], 15000);
        /* Every sysctl; the multi-gen LRU's files are below /sys, not read here. */
        CHECK_EQ_U64(a.tunables.present, (1u << TUNABLE_LRU_GEN_ENABLED) - 1);

        /* Re-reading the open files gives the same result (pread at 0). */
        CHECK_EQ_INT(sampler_read(&s, 2000, &b, &failed), 0);
        CHECK(memcmp(&a.vmstat, &b.vmstat, sizeof(a.vmstat)) == 0);
        sampler_close(&s);
        close(fd);
}

static void test_optional(void) {
        int fd = test_open_data_dir("old-kernel-no-psi/proc");
        Sampler s;

        CHECK_EQ_INT(sampler_open(&s, fd, -1, NULL), 0);
        CHECK_EQ_INT(sampler_read(&s, 1, &a, NULL), 0);
        CHECK(!a.psi.available);
        CHECK(!tunables_has(&a.tunables, TUNABLE_ZONE_RECLAIM_MODE));
        CHECK(tunables_has(&a.tunables, TUNABLE_SWAPPINESS));
        sampler_close(&s);
        close(fd);
}

static void expect_failure(const char *tree, int error, const char *path) {
        char name[256];
        const char *failed = NULL;
        Sampler s;
        int fd;

        snprintf(name, sizeof(name), "%s/proc", tree);
        fd = test_open_data_dir(name);
        CHECK_EQ_INT(sampler_open(&s, fd, -1, &failed), 0);
        CHECK_EQ_INT(sampler_read(&s, 1, &a, &failed), error);
        CHECK_STREQ(failed, path);
        sampler_close(&s);
        close(fd);
}

static void test_hostile_trees(void) {
        expect_failure("hostile-zoneinfo-truncated", -ENODATA, "zoneinfo");
        expect_failure("hostile-vmstat-overflow", -ERANGE, "vmstat");
        expect_failure("hostile-meminfo-missing", -ENODATA, "meminfo");
        expect_failure("hostile-psi-garbage", -EINVAL, "pressure/memory");
        expect_failure("hostile-vmstat-huge", -EFBIG, "vmstat");
        expect_failure("hostile-sysctl-garbage", -EINVAL, "sys/vm/swappiness");
}

static void test_real_proc(void) {
        int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const char *failed = NULL;
        Sampler s;

        ASSERT(fd >= 0);
        CHECK_EQ_INT(sampler_open(&s, fd, -1, &failed), 0);
        CHECK_EQ_INT(sampler_read(&s, 1, &a, &failed), 0);
        CHECK(a.meminfo.field[MEMINFO_MEM_TOTAL] > 0);
        CHECK(a.zoneinfo.n_zones > 0);
        CHECK(a.zoneinfo.n_nodes > 0);
        CHECK(tunables_has(&a.tunables, TUNABLE_MIN_FREE_KBYTES));
        sampler_close(&s);
        close(fd);
}

/* A seq_file hands out about a page per read: /proc/self/maps with many
 * mappings is several pages, and procfile_read() must return all of it (as
 * vmstat and zoneinfo on large machines need). */
/* Sanitizer builds map far more than plain ones. */
#define MAPS_MAX ((size_t) 16 << 20)

static void test_multipage_seq_file(void) {
        int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
        char *expected = malloc(MAPS_MAX);
        const char *buf;
        size_t len, n = 0;
        ProcFile f;

        ASSERT(proc >= 0 && expected);
        /* Alternating protections keep the kernel from merging the mappings. */
        for (int i = 0; i < 400; i++)
                ASSERT(mmap(NULL, 4096, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);

        /* Every allocation first (a sanitizer maps memory for it), so that
         * both reads below see the same mappings. */
        CHECK_EQ_INT(procfile_open(&f, proc, "self/maps", MAPS_MAX, MAPS_MAX, false), 0);
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0);
        for (;;) {
                ssize_t k = read(fd, expected + n, MAPS_MAX - 1 - n);
                ASSERT(k >= 0);
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        close(fd);
        ASSERT(n > 4 * 4096);

        CHECK_EQ_INT(procfile_read(&f, &buf, &len), 0);
        CHECK_EQ_U64(len, n);
        CHECK(len == n && memcmp(buf, expected, n) == 0);
        procfile_close(&f);
        free(expected);
        close(proc);
}

static void test_rates(void) {
        Rates r;

        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        a.timestamp_usec = 1000000;
        b.timestamp_usec = 3000000; /* 2 s later */
        a.vmstat.present = b.vmstat.present = (1u << VMSTAT_PGSCAN_DIRECT) | (1u << VMSTAT_ALLOCSTALL);
        a.vmstat.field[VMSTAT_PGSCAN_DIRECT] = 1000;
        b.vmstat.field[VMSTAT_PGSCAN_DIRECT] = 5000;
        a.vmstat.field[VMSTAT_ALLOCSTALL] = UINT64_MAX - 5; /* counter reset */
        b.vmstat.field[VMSTAT_ALLOCSTALL] = 3;
        b.vmstat.present |= 1u << VMSTAT_PSWPIN; /* only in one sample */
        a.psi.available = b.psi.available = true;
        a.psi.some.total = 100;
        b.psi.some.total = 500100; /* 0.5 s of 2 s */

        CHECK_EQ_INT(rates_compute(&a, &b, &r), 0);
        CHECK_EQ_U64(r.interval_usec, 2000000);
        CHECK(rates_has(&r, VMSTAT_PGSCAN_DIRECT));
        CHECK(r.vmstat[VMSTAT_PGSCAN_DIRECT] == 2000.0);
        CHECK(rates_has(&r, VMSTAT_ALLOCSTALL));
        CHECK(r.vmstat[VMSTAT_ALLOCSTALL] == 0.0);
        CHECK(r.reset & (1u << VMSTAT_ALLOCSTALL));
        CHECK(!rates_has(&r, VMSTAT_PSWPIN));
        CHECK(r.psi_valid);
        CHECK(r.psi_some_pct == 25.0);

        CHECK_EQ_INT(rates_compute(&b, &a, &r), -EINVAL);
        CHECK_EQ_INT(rates_compute(&a, &a, &r), -EINVAL);
}

/* Rates over a 2 s and a following 0.1 s interval, extended, equal the rates
 * over the whole 2.1 s (what a PSI tick soon after a sample uses). */
static void test_rates_extend(void) {
        static Sample c;
        Rates older, r, whole;

        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        memset(&c, 0, sizeof(c));
        a.timestamp_usec = 1000000;
        b.timestamp_usec = 3000000;
        c.timestamp_usec = 3100000;
        a.vmstat.present = b.vmstat.present = c.vmstat.present =
                (1u << VMSTAT_PGSCAN_DIRECT) | (1u << VMSTAT_ALLOCSTALL);
        a.vmstat.field[VMSTAT_PGSCAN_DIRECT] = 1000;
        b.vmstat.field[VMSTAT_PGSCAN_DIRECT] = 5000;
        c.vmstat.field[VMSTAT_PGSCAN_DIRECT] = 9200;
        a.vmstat.field[VMSTAT_ALLOCSTALL] = 10;
        b.vmstat.field[VMSTAT_ALLOCSTALL] = 10;
        c.vmstat.field[VMSTAT_ALLOCSTALL] = 31;
        a.psi.available = b.psi.available = c.psi.available = true;
        a.psi.some.total = 100;
        b.psi.some.total = 100100;
        c.psi.some.total = 150100;

        CHECK_EQ_INT(rates_compute(&a, &b, &older), 0);
        CHECK_EQ_INT(rates_compute(&b, &c, &r), 0);
        CHECK_EQ_INT(rates_compute(&a, &c, &whole), 0);
        rates_extend(&r, &older);
        CHECK_EQ_U64(r.interval_usec, 2100000);
        CHECK_EQ_U64(r.valid, whole.valid);
        CHECK_EQ_U64(r.reset, 0);
        CHECK(fabs(r.vmstat[VMSTAT_PGSCAN_DIRECT] - whole.vmstat[VMSTAT_PGSCAN_DIRECT]) < 1e-9);
        CHECK(fabs(r.vmstat[VMSTAT_PGSCAN_DIRECT] - 8200.0 / 2.1) < 1e-9);
        CHECK(fabs(r.vmstat[VMSTAT_ALLOCSTALL] - 10.0) < 1e-9);
        CHECK(r.psi_valid);
        CHECK(fabs(r.psi_some_pct - whole.psi_some_pct) < 1e-9);

        /* A counter reset in the older interval stays reported. */
        older.reset |= 1u << VMSTAT_ALLOCSTALL;
        CHECK_EQ_INT(rates_compute(&b, &c, &r), 0);
        rates_extend(&r, &older);
        CHECK(r.reset & (1u << VMSTAT_ALLOCSTALL));
}

int main(void) {
        test_fixture_tree();
        test_optional();
        test_hostile_trees();
        test_real_proc();
        test_multipage_seq_file();
        test_rates();
        test_rates_extend();
        return test_result("test-sample");
}
