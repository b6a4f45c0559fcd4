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
        test_real();
        return test_result("test-hostinfo");
}
