/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-side helpers of bench/vm-effect, one static binary:
 *
 *   vm-effect-load sample INTERVAL_MS SECONDS      timeline CSV on stdout
 *   vm-effect-load probe PERIOD_MS KIB SECONDS     allocation-latency CSV on stdout
 *   vm-effect-load burst MIB HOLD_MS PAUSE_MS SECONDS
 *
 * sample: every INTERVAL_MS, t (s since start), the reclaim counters of
 *   /proc/vmstat (allocstall = sum of allocstall_*), PSI some/full totals
 *   (us), MemFree, the sums of min/low/high over all zones (kB) and the four
 *   vm sysctls.
 * probe: every PERIOD_MS, maps KIB of fresh anonymous memory (no THP),
 *   writes one byte per page, and prints t and how long that took (us);
 *   then unmaps it. It is what a latency-sensitive service feels when it
 *   allocates: page faults, and any direct reclaim they run into.
 * burst: maps MIB, writes every page, holds it HOLD_MS, unmaps, pauses
 *   PAUSE_MS; again until SECONDS have passed. The anonymous bursts of the
 *   churn workload (the page-cache streaming is dd).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void sleep_until(double t) {
        struct timespec ts;
        ts.tv_sec = (time_t) t;
        ts.tv_nsec = (long) ((t - (double) ts.tv_sec) * 1e9);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

static size_t read_file(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t n = 0;
        ssize_t r;

        if (fd < 0)
                return 0;
        while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
                n += (size_t) r;
        close(fd);
        buf[n] = 0;
        return n;
}

static uint64_t sysctl_vm(const char *name) {
        char path[128], buf[64];
        snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
        if (read_file(path, buf, sizeof(buf)) == 0)
                return 0;
        return strtoull(buf, NULL, 10);
}

static char big[1 << 20];

static int cmd_sample(int interval_ms, int seconds) {
        double t0 = now_s(), next = t0;
        long page_kb = sysconf(_SC_PAGESIZE) / 1024;

        printf("t,allocstall,pgscan_direct,pgsteal_direct,pgscan_kswapd,pgsteal_kswapd,compact_stall,"
               "psi_some_us,psi_full_us,memfree_kb,min_kb,low_kb,high_kb,"
               "min_free_kbytes,watermark_scale_factor,swappiness,zone_reclaim_mode\n");
        for (;;) {
                uint64_t stall = 0, scand = 0, steald = 0, scank = 0, stealk = 0, compact = 0;
                uint64_t some = 0, full = 0, memfree = 0, wmin = 0, wlow = 0, whigh = 0;
                double t = now_s();
                char *p, *line;

                read_file("/proc/vmstat", big, sizeof(big));
                for (line = strtok_r(big, "\n", &p); line; line = strtok_r(NULL, "\n", &p)) {
                        char key[64];
                        uint64_t v;
                        if (sscanf(line, "%63s %" SCNu64, key, &v) != 2)
                                continue;
                        if (strncmp(key, "allocstall_", 11) == 0)
                                stall += v;
                        else if (strcmp(key, "pgscan_direct") == 0)
                                scand = v;
                        else if (strcmp(key, "pgsteal_direct") == 0)
                                steald = v;
                        else if (strcmp(key, "pgscan_kswapd") == 0)
                                scank = v;
                        else if (strcmp(key, "pgsteal_kswapd") == 0)
                                stealk = v;
                        else if (strcmp(key, "compact_stall") == 0)
                                compact = v;
                }
                read_file("/proc/pressure/memory", big, sizeof(big));
                for (line = strtok_r(big, "\n", &p); line; line = strtok_r(NULL, "\n", &p)) {
                        char *tot = strstr(line, "total=");
                        if (!tot)
                                continue;
                        if (strncmp(line, "some", 4) == 0)
                                some = strtoull(tot + 6, NULL, 10);
                        else if (strncmp(line, "full", 4) == 0)
                                full = strtoull(tot + 6, NULL, 10);
                }
                read_file("/proc/meminfo", big, sizeof(big));
                if ((p = strstr(big, "MemFree:")))
                        memfree = strtoull(p + 8, NULL, 10);
                read_file("/proc/zoneinfo", big, sizeof(big));
                for (line = strtok_r(big, "\n", &p); line; line = strtok_r(NULL, "\n", &p)) {
                        uint64_t v;
                        if (sscanf(line, " min %" SCNu64, &v) == 1)
                                wmin += v;
                        else if (sscanf(line, " low %" SCNu64, &v) == 1)
                                wlow += v;
                        else if (sscanf(line, " high %" SCNu64, &v) == 1)
                                whigh += v;
                }
                printf("%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                       ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                       ",%" PRIu64 ",%" PRIu64 "\n",
                       t - t0, stall, scand, steald, scank, stealk, compact, some, full, memfree,
                       wmin * page_kb, wlow * page_kb, whigh * page_kb, sysctl_vm("min_free_kbytes"),
                       sysctl_vm("watermark_scale_factor"), sysctl_vm("swappiness"),
                       sysctl_vm("zone_reclaim_mode"));
                fflush(stdout);
                if (t - t0 >= seconds)
                        return 0;
                next += interval_ms / 1000.0;
                sleep_until(next);
        }
}

static int cmd_probe(int period_ms, long kib, int seconds) {
        double t0 = now_s(), next = t0;
        long page = sysconf(_SC_PAGESIZE);
        size_t len = (size_t) kib * 1024;

        printf("t,us\n");
        while (now_s() - t0 < seconds) {
                double a, b;
                char *m;

                a = now_s();
                m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                        return 1;
                (void) madvise(m, len, MADV_NOHUGEPAGE);
                for (size_t off = 0; off < len; off += (size_t) page)
                        m[off] = 1;
                b = now_s();
                munmap(m, len);
                printf("%.3f,%.0f\n", a - t0, (b - a) * 1e6);
                fflush(stdout);
                next += period_ms / 1000.0;
                if (next < now_s())
                        next = now_s();
                sleep_until(next);
        }
        return 0;
}

static int cmd_burst(long mib, int hold_ms, int pause_ms, int seconds) {
        double t0 = now_s();
        long page = sysconf(_SC_PAGESIZE);
        size_t len = (size_t) mib << 20;

        while (now_s() - t0 < seconds) {
                char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                        return 1;
                for (size_t off = 0; off < len; off += (size_t) page)
                        m[off] = 1;
                usleep((useconds_t) hold_ms * 1000);
                munmap(m, len);
                usleep((useconds_t) pause_ms * 1000);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 4 && strcmp(argv[1], "sample") == 0)
                return cmd_sample(atoi(argv[2]), atoi(argv[3]));
        if (argc == 5 && strcmp(argv[1], "probe") == 0)
                return cmd_probe(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
        if (argc == 6 && strcmp(argv[1], "burst") == 0)
                return cmd_burst(atol(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
        fprintf(stderr, "usage: %s sample INTERVAL_MS SECONDS | probe PERIOD_MS KIB SECONDS | "
                        "burst MIB HOLD_MS PAUSE_MS SECONDS\n", argv[0]);
        return 2;
}
