/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-side helpers of bench/vm-effect, one static binary. Every program
 * writes CSV on stdout, times in seconds since its own start (CLOCK_MONOTONIC):
 *
 *   vm-effect-load sample INTERVAL_MS SECONDS            the system's timeline
 *   vm-effect-load probe PERIOD_MS KIB SECONDS           allocation latency
 *   vm-effect-load burst MIB HOLD_MS PAUSE_MS SECONDS    anonymous bursts
 *   vm-effect-load stream FILE OFFSET_MIB SECONDS        a file streamed once per pass
 *   vm-effect-load warm FILE OFFSET_MIB MIB              reads a file into the page cache
 *   vm-effect-load cache FILE BLOCK_KIB SECONDS          random re-reads of a file
 *   vm-effect-load request RATE_PER_S KIB SECONDS        a fixed-rate request loop
 *
 * sample: every INTERVAL_MS, t, the reclaim counters of /proc/vmstat
 *   (allocstall = sum of allocstall_*; refault = workingset_refault_file, or
 *   workingset_refault on kernels before 5.9), PSI some/full totals (us),
 *   MemFree, the sums of min/low/high over all zones (kB) and the four vm
 *   sysctls.
 * probe: every PERIOD_MS, maps KIB of fresh anonymous memory (no THP),
 *   writes one byte per page, prints t and how long that took (us), unmaps.
 *   What a latency-sensitive service feels when it allocates.
 * burst: maps MIB, writes every page, holds it HOLD_MS, unmaps, pauses
 *   PAUSE_MS; again until SECONDS have passed. One line per 16 MiB written:
 *   t at its end, its duration (us), MiB. Throughput = MiB written per
 *   second.
 * stream: reads FILE sequentially into the page cache from OFFSET_MIB with
 *   readahead(2), wrapping at its end, as a server that sends files with
 *   sendfile(2) does (no copy to user space: with read() two streamers
 *   under TCG managed ~10 MiB/s each, too slow to refill the page cache
 *   between the bursts, and the kernel's defaults then showed no direct
 *   reclaim after the first seconds); every 500 ms t and the MiB so far.
 * warm: readahead(2) of MIB from OFFSET_MIB of FILE: fills the page cache
 *   without copying to user space or faulting (several times faster than
 *   read() under TCG), so that the load meets a full memory at once
 *   instead of spending its first tens of seconds filling it; prints the
 *   seconds it took.
 * cache: BLOCK_KIB preads at pseudo-random block-aligned offsets of FILE
 *   (fixed seed: every run reads the same sequence), POSIX_FADV_RANDOM so
 *   that readahead does not read what is not asked for; every 500 ms t and
 *   the MiB read so far.
 * request: RATE_PER_S requests a second on a fixed schedule; a request maps
 *   KIB of anonymous memory (no THP), writes every page, sums it, unmaps.
 *   One line per request: its scheduled time (ms) and its latency (us),
 *   measured from the scheduled time, so that a request delayed by a slow
 *   predecessor counts the wait (no coordinated omission).
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

/* The interval of the stream and cache progress lines: the sampler's
 * interval, so that both line up in a timeline. */
#define PROGRESS_INTERVAL_S 0.5

/* A burst reports its progress every 16 MiB: a 626 MiB burst of the 4 GiB
 * guest took 12 s and more under TCG, too coarse a unit for a 20 s window
 * (and a burst cut at the load's end would not count at all). */
#define BURST_CHUNK_MIB 16

/* readahead() in steps of 128 KiB: the kernel cuts each call to the
 * device's readahead window (read_ahead_kb, 128 by default) or its largest
 * request; a larger call reads only its first part (measured: 64 MiB calls
 * cached 8 MiB each). */
#define READAHEAD_CHUNK (128 * 1024)

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
               "refault,psi_some_us,psi_full_us,memfree_kb,min_kb,low_kb,high_kb,"
               "min_free_kbytes,watermark_scale_factor,swappiness,zone_reclaim_mode,boost_kb\n");
        for (;;) {
                uint64_t stall = 0, scand = 0, steald = 0, scank = 0, stealk = 0, compact = 0;
                uint64_t refault_file = 0, refault_any = 0;
                uint64_t some = 0, full = 0, memfree = 0, wmin = 0, wlow = 0, whigh = 0, boost = 0;
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
                        else if (strcmp(key, "workingset_refault_file") == 0)
                                refault_file = v;
                        else if (strcmp(key, "workingset_refault") == 0)
                                refault_any = v;
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
                if ((p = strstr(big, "\nMemFree:")))
                        memfree = strtoull(p + 9, NULL, 10);
                read_file("/proc/zoneinfo", big, sizeof(big));
                for (line = strtok_r(big, "\n", &p); line; line = strtok_r(NULL, "\n", &p)) {
                        uint64_t v;
                        /* boost: the kernel's own raise of the watermarks
                                 * (watermark_boost_factor), which stops memtuned's
                                 * calm clock */
                        if (sscanf(line, " boost %" SCNu64, &v) == 1)
                                boost += v;
                        else if (sscanf(line, " min %" SCNu64, &v) == 1)
                                wmin += v;
                        else if (sscanf(line, " low %" SCNu64, &v) == 1)
                                wlow += v;
                        else if (sscanf(line, " high %" SCNu64, &v) == 1)
                                whigh += v;
                }
                printf("%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                       ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                       ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                       t - t0, stall, scand, steald, scank, stealk, compact,
                       refault_file ? refault_file : refault_any, some, full, memfree,
                       wmin * page_kb, wlow * page_kb, whigh * page_kb, sysctl_vm("min_free_kbytes"),
                       sysctl_vm("watermark_scale_factor"), sysctl_vm("swappiness"),
                       sysctl_vm("zone_reclaim_mode"), boost * page_kb);
                fflush(stdout);
                if (t - t0 >= seconds)
                        return 0;
                next += interval_ms / 1000.0;
                sleep_until(next);
        }
}

/* Maps len bytes of anonymous memory without THP (a huge page would turn
 * 512 faults into one and hide what reclaim does to each) and writes one
 * byte per page. Returns the mapping or NULL. */
static char *map_touch(size_t len) {
        long page = sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (m == MAP_FAILED)
                return NULL;
        (void) madvise(m, len, MADV_NOHUGEPAGE);
        for (size_t off = 0; off < len; off += (size_t) page)
                m[off] = 1;
        return m;
}

static int cmd_probe(int period_ms, long kib, int seconds) {
        double t0 = now_s(), next = t0;
        size_t len = (size_t) kib * 1024;

        printf("t,us\n");
        while (now_s() - t0 < seconds) {
                double a, b;
                char *m;

                a = now_s();
                m = map_touch(len);
                if (!m)
                        return 1;
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
        size_t len = (size_t) mib << 20, chunk = (size_t) BURST_CHUNK_MIB << 20;

        printf("t,us,mib\n");
        while (now_s() - t0 < seconds) {
                char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                        return 1;
                for (size_t done = 0; done < len; done += chunk) {
                        size_t n = len - done < chunk ? len - done : chunk;
                        double a = now_s(), b;

                        for (size_t off = 0; off < n; off += (size_t) page)
                                m[done + off] = 1;
                        b = now_s();
                        printf("%.3f,%.0f,%.3f\n", b - t0, (b - a) * 1e6, (double) n / 1048576.0);
                        fflush(stdout);
                }
                usleep((useconds_t) hold_ms * 1000);
                munmap(m, len);
                usleep((useconds_t) pause_ms * 1000);
        }
        return 0;
}

static int cmd_stream(const char *path, long offset_mib, int seconds) {
        double t0 = now_s(), next = t0 + PROGRESS_INTERVAL_S;
        uint64_t bytes = 0;
        off_t size, pos;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                perror(path);
                return 1;
        }
        size = lseek(fd, 0, SEEK_END);
        if (size < (1 << 20)) {
                fprintf(stderr, "%s: too small\n", path);
                return 1;
        }
        pos = ((off_t) offset_mib << 20) % size;
        printf("t,mib\n");
        for (;;) {
                double t;

                if (readahead(fd, pos, READAHEAD_CHUNK) < 0 && errno != EINTR)
                        return 1;
                bytes += READAHEAD_CHUNK;
                pos += READAHEAD_CHUNK;
                if (pos >= size)
                        pos = 0;
                t = now_s();
                if (t >= next) {
                        printf("%.3f,%.3f\n", t - t0, (double) bytes / 1048576.0);
                        fflush(stdout);
                        next += PROGRESS_INTERVAL_S;
                        if (t - t0 >= seconds)
                                return 0;
                }
        }
}

static int cmd_warm(const char *path, long offset_mib, long mib) {
        double t0 = now_s();
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                perror(path);
                return 1;
        }
        for (off64_t off = (off64_t) offset_mib << 20, end = off + ((off64_t) mib << 20); off < end;
             off += READAHEAD_CHUNK)
                if (readahead(fd, off, READAHEAD_CHUNK) < 0) {
                        perror("readahead");
                        return 1;
                }
        close(fd);
        printf("%.3f\n", now_s() - t0);
        return 0;
}

static int cmd_cache(const char *path, long block_kib, int seconds) {
        double t0 = now_s(), next = t0 + PROGRESS_INTERVAL_S;
        size_t block = (size_t) block_kib * 1024;
        uint64_t bytes = 0, x = 88172645463325252ULL;     /* xorshift64's usual seed */
        off_t size, nblocks;
        int fd;

        if (block == 0 || block > sizeof(big))
                return 2;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                perror(path);
                return 1;
        }
        size = lseek(fd, 0, SEEK_END);
        nblocks = size / (off_t) block;
        if (nblocks < 1) {
                fprintf(stderr, "%s: too small\n", path);
                return 1;
        }
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
        printf("t,mib\n");
        for (;;) {
                ssize_t n;
                double t;

                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                n = pread(fd, big, block, (off_t) (x % (uint64_t) nblocks) * (off_t) block);
                if (n < 0 && errno != EINTR)
                        return 1;
                if (n > 0)
                        bytes += (uint64_t) n;
                t = now_s();
                if (t >= next) {
                        printf("%.3f,%.3f\n", t - t0, (double) bytes / 1048576.0);
                        fflush(stdout);
                        next += PROGRESS_INTERVAL_S;
                        if (t - t0 >= seconds)
                                return 0;
                }
        }
}

static int cmd_request(int rate, long kib, int seconds) {
        double t0 = now_s(), period, sched;
        size_t len = (size_t) kib * 1024;
        long page = sysconf(_SC_PAGESIZE);
        volatile uint64_t sink = 0;

        if (rate <= 0)
                return 2;
        period = 1.0 / rate;
        printf("t_ms,us\n");
        for (long i = 0;; i++) {
                uint64_t sum = 0;
                char *m;

                sched = t0 + (double) i * period;
                if (sched - t0 >= seconds)
                        return 0;
                sleep_until(sched);
                m = map_touch(len);
                if (!m)
                        return 1;
                /* the request's work: read back what it wrote */
                for (size_t off = 0; off < len; off += (size_t) page)
                        sum += (uint64_t) m[off];
                sink += sum;
                munmap(m, len);
                printf("%.0f,%.0f\n", (sched - t0) * 1e3, (now_s() - sched) * 1e6);
        }
}

int main(int argc, char *argv[]) {
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
        if (argc == 4 && strcmp(argv[1], "sample") == 0)
                return cmd_sample(atoi(argv[2]), atoi(argv[3]));
        if (argc == 5 && strcmp(argv[1], "probe") == 0)
                return cmd_probe(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
        if (argc == 6 && strcmp(argv[1], "burst") == 0)
                return cmd_burst(atol(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
        if (argc == 5 && strcmp(argv[1], "stream") == 0)
                return cmd_stream(argv[2], atol(argv[3]), atoi(argv[4]));
        if (argc == 5 && strcmp(argv[1], "warm") == 0)
                return cmd_warm(argv[2], atol(argv[3]), atol(argv[4]));
        if (argc == 5 && strcmp(argv[1], "cache") == 0)
                return cmd_cache(argv[2], atol(argv[3]), atoi(argv[4]));
        if (argc == 5 && strcmp(argv[1], "request") == 0)
                return cmd_request(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
        fprintf(stderr, "usage: %s sample INTERVAL_MS SECONDS | probe PERIOD_MS KIB SECONDS |\n"
                        "       burst MIB HOLD_MS PAUSE_MS SECONDS | stream FILE OFFSET_MIB SECONDS |\n"
                        "       warm FILE OFFSET_MIB MIB | cache FILE BLOCK_KIB SECONDS | request RATE_PER_S KIB SECONDS\n",
                argv[0]);
        return 2;
}
