/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>

#include "psi.h"
#include "test-util.h"

static Psi p;

static int parse(const char *s) {
        return psi_parse(s, strlen(s), &p);
}

static void test_literals(void) {
        CHECK_EQ_INT(parse("some avg10=1.50 avg60=0.25 avg300=100.00 total=123456\n"
                           "full avg10=0.01 avg60=0.00 avg300=0.00 total=7\n"),
                     0);
        CHECK(p.available);
        CHECK(p.has_full);
        CHECK_EQ_U64(p.some.avg10, 150);
        CHECK_EQ_U64(p.some.avg60, 25);
        CHECK_EQ_U64(p.some.avg300, 10000);
        CHECK_EQ_U64(p.some.total, 123456);
        CHECK_EQ_U64(p.full.avg10, 1);
        CHECK_EQ_U64(p.full.total, 7);

        /* Kernels before 5.13 had no "full" line for some resources. */
        CHECK_EQ_INT(parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"), 0);
        CHECK(!p.has_full);
}

static void test_hostile(void) {
        Psi before;

        CHECK_EQ_INT(parse("some avg10=1.00 avg60=0.00 avg300=0.00 total=1\n"), 0);
        before = p;

        CHECK_EQ_INT(parse(""), -ENODATA);
        CHECK_EQ_INT(parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"), -ENODATA);
        CHECK_EQ_INT(parse("some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n"), -EINVAL);
        CHECK_EQ_INT(parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n"), -ERANGE);
        CHECK_EQ_INT(parse("some avg10=0.00 avg60=0.00 avg300=0.00\n"), -EINVAL); /* truncated */
        CHECK_EQ_INT(parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0 x=1\n"), -EINVAL);
        CHECK_EQ_INT(parse("some avg60=0.00 avg10=0.00 avg300=0.00 total=0\n"), -EINVAL);
        CHECK_EQ_INT(parse("some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n"), -EINVAL);
        CHECK_EQ_INT(parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                           "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
                     -EINVAL);
        CHECK_EQ_INT(parse("somewhat avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"), -EINVAL);
        CHECK_EQ_INT(parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\ncpu 5\n"), -EINVAL);
        CHECK(memcmp(&before, &p, sizeof(p)) == 0);
}

static void test_fixture_host(void) {
        size_t len;
        char *buf = test_read_data("host-6.18/proc/pressure/memory", &len);

        CHECK_EQ_INT(psi_parse(buf, len, &p), 0);
        CHECK(p.has_full);
        CHECK_EQ_U64(p.some.avg10, 0);
        CHECK_EQ_U64(p.some.total, 0);
        CHECK_EQ_U64(p.full.total, 0);
        free(buf);
}

/* The real kernel: a trigger registers (2 s window: without CAP_SYS_RESOURCE
 * the kernel accepts only multiples of 2 s), and a window it refuses is
 * reported as such. */
static void test_trigger_real(void) {
        int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

        ASSERT(proc >= 0);
        fd = psi_trigger_open(proc, false, 150000, 2000000);
        if (fd == -ENOENT || fd == -EOPNOTSUPP) {
                printf("PSI not available on this kernel, trigger test not run\n");
                close(proc);
                return;
        }
        CHECK(fd >= 0);
        if (fd >= 0) {
                struct pollfd pfd = { .fd = fd, .events = POLLPRI };
                CHECK(poll(&pfd, 1, 0) >= 0);
                close(fd);
        }
        CHECK_EQ_INT(psi_trigger_open(proc, false, 3000000, 2000000), -EINVAL); /* stall > window */
        close(proc);
}

int main(void) {
        test_literals();
        test_hostile();
        test_fixture_host();
        test_trigger_real();
        return test_result("test-psi");
}
