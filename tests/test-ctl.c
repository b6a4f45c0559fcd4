/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memtunectl's pure helpers: the zone gauge, values and durations from the
 * command line, durations for people, exit statuses from bus errors. */
#include "bus-contract.h"
#include "ctl.h"
#include "test-util.h"
#include "units.h"

static void test_gauge(void) {
        char g[CTL_GAUGE_SIZE];

        /* the four regions, each a quarter */
        CHECK_STREQ(ctl_gauge(0, 100, 125, 150, g, sizeof(g)), "below min");
        CHECK_STREQ(g, "[..........|..........|..........|..........]");
        CHECK_STREQ(ctl_gauge(50, 100, 125, 150, g, sizeof(g)), "below min");
        CHECK_STREQ(g, "[#####.....|..........|..........|..........]");
        CHECK_STREQ(ctl_gauge(100, 100, 125, 150, g, sizeof(g)), "below low");
        CHECK_STREQ(g, "[##########|..........|..........|..........]");
        CHECK_STREQ(ctl_gauge(120, 100, 125, 150, g, sizeof(g)), "below low");
        CHECK_STREQ(g, "[##########|########..|..........|..........]");
        CHECK_STREQ(ctl_gauge(140, 100, 125, 150, g, sizeof(g)), "below high");
        CHECK_STREQ(g, "[##########|##########|######....|..........]");
        CHECK_STREQ(ctl_gauge(225, 100, 125, 150, g, sizeof(g)), "above high");
        CHECK_STREQ(g, "[##########|##########|##########|#####.....]");
        CHECK_STREQ(ctl_gauge(1000000, 100, 125, 150, g, sizeof(g)), "above high");
        CHECK_STREQ(g, "[##########|##########|##########|##########]");
        /* one page into a region shows */
        CHECK_STREQ(ctl_gauge(101, 100, 1000, 2000, g, sizeof(g)), "below low");
        CHECK_STREQ(g, "[##########|#.........|..........|..........]");
        /* equal watermarks (an empty region) and a zone without any */
        CHECK_STREQ(ctl_gauge(32, 32, 32, 32, g, sizeof(g)), "above high");
        CHECK_STREQ(g, "[##########|##########|##########|..........]");
        CHECK_STREQ(ctl_gauge(0, 0, 0, 0, g, sizeof(g)), "empty");
        CHECK_EQ_INT((int) strlen(g), CTL_GAUGE_SIZE - 1);
        /* huge values do not overflow */
        CHECK_STREQ(ctl_gauge(UINT64_MAX, UINT64_MAX - 2, UINT64_MAX - 1, UINT64_MAX - 1, g, sizeof(g)),
                    "above high");
        /* a short buffer truncates */
        CHECK_STREQ(ctl_gauge(50, 100, 125, 150, g, 5), "below min");
        CHECK_STREQ(g, "[###");
}

static void test_value(void) {
        uint64_t v;

        CHECK_EQ_INT(ctl_parse_value("swappiness", "10", &v), 0);
        CHECK_EQ_U64(v, 10);
        CHECK_EQ_INT(ctl_parse_value("swappiness", "10M", &v), -EINVAL);
        CHECK_EQ_INT(ctl_parse_value("swappiness", "-1", &v), -EINVAL);
        CHECK_EQ_INT(ctl_parse_value("swappiness", "", &v), -EINVAL);
        CHECK_EQ_INT(ctl_parse_value("swappiness", "10\n", &v), -EINVAL);
        CHECK_EQ_INT(ctl_parse_value("swappiness", "99999999999999999999", &v), -ERANGE);
        CHECK_EQ_INT(ctl_parse_value("min_free_kbytes", "67584", &v), 0);
        CHECK_EQ_U64(v, 67584);
        CHECK_EQ_INT(ctl_parse_value("min_free_kbytes", "64M", &v), 0);
        CHECK_EQ_U64(v, 65536);
        CHECK_EQ_INT(ctl_parse_value("min_free_kbytes", "1.5G", &v), 0);
        CHECK_EQ_U64(v, 1572864);
        CHECK_EQ_INT(ctl_parse_value("min_free_kbytes", "2%", &v), -EINVAL);
        CHECK_EQ_INT(ctl_parse_value(NULL, "64M", &v), -EINVAL);
}

static void test_duration(void) {
        char buf[64];
        uint64_t u;

        CHECK_EQ_INT(ctl_parse_duration("90", &u), 0);
        CHECK_EQ_U64(u, 90 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("90s", &u), 0);
        CHECK_EQ_U64(u, 90 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("500ms", &u), 0);
        CHECK_EQ_U64(u, 500 * USEC_PER_MSEC);
        CHECK_EQ_INT(ctl_parse_duration("10min", &u), 0);
        CHECK_EQ_U64(u, 600 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("10m", &u), 0);
        CHECK_EQ_U64(u, 600 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("1h30m", &u), 0);
        CHECK_EQ_U64(u, 5400 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("1.5h", &u), 0);
        CHECK_EQ_U64(u, 5400 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("2d", &u), 0);
        CHECK_EQ_U64(u, 172800 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("h", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("10x", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("-5s", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("1h 30m", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("1h30", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("nan", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("1e30d", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("99999999999999999d", &u), -ERANGE);
        CHECK_EQ_INT(ctl_parse_duration("213503d", &u), 0);
        CHECK_EQ_INT(ctl_parse_duration("213504d", &u), 0);
        CHECK_EQ_INT(ctl_parse_duration("213503d213503d213503d", &u), 0);
        CHECK_EQ_INT(ctl_parse_duration("18446744073709551615us", &u), 0);
        CHECK_EQ_U64(u, UINT64_MAX);
        CHECK_EQ_INT(ctl_parse_duration("18446744073709551615us1us", &u), -ERANGE);
        CHECK_EQ_INT(ctl_parse_duration("213503982335d", &u), -ERANGE);
        CHECK_EQ_INT(ctl_parse_duration("10sec", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("1.2345s", &u), -EINVAL);
        CHECK_EQ_INT(ctl_parse_duration("1.5", &u), 0);
        CHECK_EQ_U64(u, 1500 * USEC_PER_MSEC);
        CHECK_EQ_INT(ctl_parse_duration("1m30s", &u), 0);
        CHECK_EQ_U64(u, 90 * USEC_PER_SEC);
        CHECK_EQ_INT(ctl_parse_duration("1d2h3m4s5ms6us", &u), 0);
        CHECK_EQ_U64(u, 93784 * USEC_PER_SEC + 5006);

        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 0), "0s");
        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 45 * USEC_PER_SEC + 999999), "45s");
        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 5400 * USEC_PER_SEC), "1h 30min");
        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 3600 * USEC_PER_SEC), "1h");
        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 3599 * USEC_PER_SEC), "59min 59s");
        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 90061 * USEC_PER_SEC), "1d 1h");
        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 3661 * USEC_PER_SEC), "1h 1min");
        CHECK_STREQ(format_duration_human(buf, sizeof(buf), 3605 * USEC_PER_SEC), "1h");
        /* one size format: binary units, one decimal unless whole */
        CHECK_STREQ(format_size(buf, sizeof(buf), 900), "900 kB");
        CHECK_STREQ(format_size(buf, sizeof(buf), 65536), "64 MiB");
        CHECK_STREQ(format_size(buf, sizeof(buf), 1572864), "1.5 GiB");
}

static void test_exit_status(void) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        CHECK_EQ_INT(ctl_exit_status(-EINVAL, NULL), CTL_EXIT_FAILURE);
        CHECK_EQ_INT(ctl_exit_status(-ENOENT, NULL), CTL_EXIT_UNREACHABLE);
        CHECK_EQ_INT(ctl_exit_status(-ECONNREFUSED, NULL), CTL_EXIT_UNREACHABLE);
        CHECK_EQ_INT(ctl_exit_status(-EACCES, NULL), CTL_EXIT_DENIED);

        sd_bus_error_set(&e, BUS_ERROR_PERMISSION_DENIED, "no");
        CHECK_EQ_INT(ctl_exit_status(-EACCES, &e), CTL_EXIT_DENIED);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, SD_BUS_ERROR_ACCESS_DENIED, "no");
        CHECK_EQ_INT(ctl_exit_status(-EACCES, &e), CTL_EXIT_DENIED);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, "no");
        CHECK_EQ_INT(ctl_exit_status(-EACCES, &e), CTL_EXIT_DENIED);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, SD_BUS_ERROR_SERVICE_UNKNOWN, "no");
        CHECK_EQ_INT(ctl_exit_status(-EHOSTDOWN, &e), CTL_EXIT_UNREACHABLE);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, BUS_ERROR_OUT_OF_RANGE, "no");
        CHECK_EQ_INT(ctl_exit_status(-EIO, &e), CTL_EXIT_FAILURE);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, BUS_ERROR_POLICY_REJECTED, "no");
        CHECK_EQ_INT(ctl_exit_status(-EIO, &e), CTL_EXIT_FAILURE);
        sd_bus_error_free(&e);

        /* What sd_bus_call() hands back when the transport ended under it
         * (memtunectl -H, ssh could not connect): an errno without a D-Bus
         * name, "System.Error.ENOTCONN". Unreachable, not a refusal. */
        sd_bus_error_set_errno(&e, ENOTCONN);
        CHECK_STREQ(e.name, "System.Error.ENOTCONN");
        CHECK_EQ_INT(ctl_exit_status(-ENOTCONN, &e), CTL_EXIT_UNREACHABLE);
        sd_bus_error_free(&e);
        sd_bus_error_set_errno(&e, ECONNRESET);
        CHECK_EQ_INT(ctl_exit_status(-ECONNRESET, &e), CTL_EXIT_UNREACHABLE);
        sd_bus_error_free(&e);
        sd_bus_error_set_errno(&e, EPIPE);
        CHECK_EQ_INT(ctl_exit_status(-EPIPE, &e), CTL_EXIT_UNREACHABLE);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, "System.Error.EPERM", "no");
        CHECK_EQ_INT(ctl_exit_status(-EPERM, &e), CTL_EXIT_DENIED);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, "System.Error.EBADMSG", "bad");
        CHECK_EQ_INT(ctl_exit_status(-EBADMSG, &e), CTL_EXIT_FAILURE);
        sd_bus_error_free(&e);
        CHECK_EQ_INT(ctl_exit_status(-ECONNRESET, NULL), CTL_EXIT_UNREACHABLE);
}

int main(void) {
        test_gauge();
        test_value();
        test_duration();
        test_exit_status();
        return test_result("test-ctl");
}
