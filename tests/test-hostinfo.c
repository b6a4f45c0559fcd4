/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hostinfo.h"
#include "test-util.h"

static void test_release(void) {
        unsigned v[3];

        CHECK_EQ_INT(hostinfo_parse_release("6.1.0-18-amd64", v), 0);
        CHECK(v[0] == 6 && v[1] == 1 && v[2] == 0);
        CHECK_EQ_INT(hostinfo_parse_release("6.18.44-fc-v669", v), 0);
        CHECK(v[0] == 6 && v[1] == 18 && v[2] == 44);
        CHECK_EQ_INT(hostinfo_parse_release("5.15", v), 0);
        CHECK(v[0] == 5 && v[1] == 15 && v[2] == 0);
        CHECK_EQ_INT(hostinfo_parse_release("6.9-rc1", v), 0);
        CHECK(v[0] == 6 && v[1] == 9 && v[2] == 0);
        CHECK_EQ_INT(hostinfo_parse_release("4.19.0.1", v), 0);
        CHECK(v[0] == 4 && v[1] == 19 && v[2] == 0);
        CHECK_EQ_INT(hostinfo_parse_release("", v), -EINVAL);
        CHECK_EQ_INT(hostinfo_parse_release("linux-6.1", v), -EINVAL);
        CHECK_EQ_INT(hostinfo_parse_release("99999999.1", v), -EINVAL);
        CHECK_EQ_INT(hostinfo_parse_release("6.70000", v), -EINVAL);
        CHECK_EQ_INT(hostinfo_parse_release("6.-rc1", v), 0);
        CHECK(v[0] == 6 && v[1] == 0 && v[2] == 0);
        CHECK_EQ_INT(hostinfo_parse_release("0000000000000000000000000000000006.1", v), -EINVAL);
}

static void test_fixtures(void) {
        HostInfo h = {};
        int fd;

        /* 24 GiB, no swap, one node (its Movable and Device zones are empty). */
        fd = test_open_data_dir("policy/host/proc");
        CHECK_EQ_INT(hostinfo_read(fd, &h), 0);
        CHECK_EQ_U64(h.ram_kb, 24684084);
        CHECK_EQ_U64(h.swap_kb, 0);
        CHECK_EQ_U64(h.numa_nodes, 1);
        CHECK_STREQ(h.hostname, "test-host");
        CHECK(h.kernel_version[0] == 6 && h.kernel_version[1] == 1 && h.kernel_version[2] == 0);
        close(fd);

        /* The same zones as node 1 too, with swap. */
        fd = test_open_data_dir("policy/host-numa/proc");
        CHECK_EQ_INT(hostinfo_read(fd, &h), 0);
        CHECK_EQ_U64(h.swap_kb, 4194304);
        CHECK_EQ_U64(h.numa_nodes, 2);
        CHECK_STREQ(h.hostname, "db-7");
        CHECK(h.kernel_version[0] == 5 && h.kernel_version[1] == 10);
        close(fd);

        /* A capture without sys/kernel: uname(2) fills in. */
        fd = test_open_data_dir("host-6.18/proc");
        CHECK_EQ_INT(hostinfo_read(fd, &h), 0);
        CHECK_EQ_U64(h.ram_kb, 24684084);
        CHECK(h.hostname[0] != 0);
        CHECK(h.kernel_version[0] >= 2);
        close(fd);

        /* Broken trees: the reader's error, nothing written. */
        HostInfo before = h;
        fd = test_open_data_dir("hostile-meminfo-missing/proc");
        CHECK_EQ_INT(hostinfo_read(fd, &h), -ENODATA);
        close(fd);
        fd = test_open_data_dir("hostile-zoneinfo-truncated/proc");
        CHECK(hostinfo_read(fd, &h) < 0);
        close(fd);
        CHECK(memcmp(&before, &h, sizeof(h)) == 0);
}

/* hostinfo_from() on the meminfo and zoneinfo a caller parsed (the daemon's
 * sampler) gives what hostinfo_read() reads itself. */
static void test_from(void) {
        static const char *const trees[] = { "policy/host", "policy/host-numa", "host-6.18",
                                             "debian12-numa2" };

        for (size_t i = 0; i < ELEMENTSOF(trees); i++) {
                _cleanup_free_ ZoneInfo *z = malloc(sizeof(ZoneInfo));
                _cleanup_free_ char *mtext = NULL, *ztext = NULL;
                HostInfo a = {}, b = {};
                char name[256];
                size_t mlen, zlen;
                MemInfo m;
                int fd;

                ASSERT(z);
                snprintf(name, sizeof(name), "%s/proc/meminfo", trees[i]);
                mtext = test_read_data(name, &mlen);
                snprintf(name, sizeof(name), "%s/proc/zoneinfo", trees[i]);
                ztext = test_read_data(name, &zlen);
                CHECK_EQ_INT(meminfo_parse(mtext, mlen, &m), 0);
                CHECK_EQ_INT(zoneinfo_parse(ztext, zlen, z), 0);

                snprintf(name, sizeof(name), "%s/proc", trees[i]);
                fd = test_open_data_dir(name);
                CHECK_EQ_INT(hostinfo_read(fd, &a), 0);
                CHECK_EQ_INT(hostinfo_from(fd, &m, z, &b), 0);
                close(fd);
                CHECK_EQ_U64(b.ram_kb, a.ram_kb);
                CHECK_EQ_U64(b.swap_kb, a.swap_kb);
                CHECK_EQ_U64(b.numa_nodes, a.numa_nodes);
                CHECK_STREQ(b.hostname, a.hostname);
                CHECK(memcmp(a.kernel_version, b.kernel_version, sizeof(a.kernel_version)) == 0);
        }
}

static void test_real(void) {
        HostInfo h = {};
        int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return;
        CHECK_EQ_INT(hostinfo_read(fd, &h), 0);
        CHECK(h.ram_kb > 0);
        CHECK(h.numa_nodes >= 1);
        close(fd);
}

int main(void) {
        test_release();
        test_fixtures();
        test_from();
        test_real();
        return test_result("test-hostinfo");
}
