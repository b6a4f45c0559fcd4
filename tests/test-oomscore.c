/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OOM killer's badness and kill order. The formula against values worked
 * out by hand from the kernel's code (mm/oom_kill.c oom_badness(),
 * fs/proc/base.c proc_oom_score()); candidates from the fixture tree; and on
 * this machine's real processes, plus memory hogs this test starts with
 * different sizes and scores: memtuned's score equals the kernel's
 * /proc/PID/oom_score (within 1, the kernel reads its per-CPU counters
 * unsummed) and memtuned's kill order agrees with the kernel's ranking. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "macro.h"
#include "meminfo.h"
#include "oomscore.h"
#include "test-util.h"

/* This machine's fixture: MemTotal 24684084 kB, no swap. */
#define TOTALPAGES UINT64_C(6171021)

static void test_formula(void) {
        MemInfo m = {};

        m.field[MEMINFO_MEM_TOTAL] = 24684084;
        m.field[MEMINFO_SWAP_TOTAL] = 0;
        CHECK_EQ_U64(oom_totalpages(&m, 4096), TOTALPAGES);
        m.field[MEMINFO_SWAP_TOTAL] = 4194304;
        CHECK_EQ_U64(oom_totalpages(&m, 4096), TOTALPAGES + 1048576);
        CHECK_EQ_U64(oom_totalpages(&m, 65536), (24684084 + 4194304) / 64);
        CHECK_EQ_U64(oom_totalpages(&m, 512), 0);

        /* sleep: 447 pages; adj 0 -> 666, as the kernel printed. */
        CHECK_EQ_INT(oom_badness(436, 0, 11, 0, TOTALPAGES), 447);
        CHECK_EQ_INT(oom_score_normalise(447, TOTALPAGES), 666);
        /* adj 1000: 1000 * (6171021 / 1000) = 6171000 pages on top. */
        CHECK_EQ_INT(oom_badness(436, 0, 11, 1000, TOTALPAGES), 447 + 6171000);
        CHECK_EQ_INT(oom_score_normalise(447 + 6171000, TOTALPAGES), 1333);
        /* adj -999: 447 - 999 * 6171 = -6164382; * 1000 / totalpages
         * truncates toward zero to -998: (1000 - 998) * 2 / 3 = 1. */
        CHECK_EQ_INT(oom_badness(436, 0, 11, -999, TOTALPAGES), -6164382);
        CHECK_EQ_INT(oom_score_normalise(-6164382, TOTALPAGES), 1);
        /* All of memory, adj 1000: the top of the range. */
        CHECK_EQ_INT(oom_score_normalise(oom_badness(TOTALPAGES, 0, 0, 1000, TOTALPAGES), TOTALPAGES), 1999);
        CHECK_EQ_INT(oom_score_normalise(2 * (int64_t) TOTALPAGES, TOTALPAGES), 2000);
        /* Half of memory in swap and page tables counts as much as RSS. */
        CHECK_EQ_INT(oom_badness(100, 200, 300, 0, TOTALPAGES), 600);
        /* -1000: never. */
        CHECK(oom_badness(1000000, 0, 0, -1000, TOTALPAGES) == OOM_BADNESS_UNKILLABLE);
        CHECK_EQ_INT(oom_score_normalise(OOM_BADNESS_UNKILLABLE, TOTALPAGES), 0);
        CHECK_EQ_INT(oom_score_normalise(5, 0), 0);
        /* A small totalpages: the division before the multiplication. */
        CHECK_EQ_INT(oom_badness(0, 0, 0, 500, 1999), 500); /* 1999 / 1000 = 1 */
}

static void test_fixture(void) {
        int fd = test_open_data_dir("proc-hostile/proc");
        ProcInfo info;
        OomCandidate c[8];
        size_t n = 0;

        static const pid_t pids[] = { 1, 2, 100, 102, 105, 106, 109, 111 };
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                ASSERT(procfs_read(fd, pids[i], PROC_INFO_ALL, &info) == 0);
                CHECK_EQ_INT(oomscore_from_info(&info, TOTALPAGES, 4096, &c[n]), 0);
                n++;
        }
        info.have &= ~PROC_INFO_STATUS;
        CHECK_EQ_INT(oomscore_from_info(&info, TOTALPAGES, 4096, &c[0]), -ENODATA);
        close(fd);

        /* java (102): (409600 + 20000 + 1024) / 4 rss + 8192 / 4 swap +
         * 1200 / 4 page tables. */
        CHECK_EQ_INT(c[3].pid, 102);
        CHECK(c[3].killable);
        CHECK_EQ_U64(c[3].rss_pages, 107656);
        CHECK_EQ_U64(c[3].swap_pages, 2048);
        CHECK_EQ_U64(c[3].pgtable_pages, 300);
        CHECK_EQ_INT(c[3].badness, 110004);
        CHECK_EQ_INT(c[3].score, (1000 + 110004 * 1000 / 6171021) * 2 / 3);

        CHECK(!c[0].killable); /* PID 1 */
        CHECK(!c[1].killable); /* kthreadd */
        CHECK(!c[4].killable); /* -1000 */
        CHECK(!c[5].killable); /* zombie */
        CHECK(!c[6].killable); /* kworker */
        CHECK(c[7].killable);  /* bash at -900 */
        CHECK_EQ_INT(c[7].score, (1000 + (440LL - 900 * 6171) * 1000 / 6171021) * 2 / 3);
        CHECK_EQ_INT(c[0].score, 0);
        CHECK_EQ_INT(c[0].kernel_score, 666); /* as the fixture says */

        oomscore_sort(c, n);
        CHECK_EQ_INT(c[0].pid, 102); /* biggest */
        CHECK_EQ_INT(c[1].pid, 100); /* 440 pages, adj 0 */
        CHECK_EQ_INT(c[2].pid, 111); /* adj -900 */
        /* Then the unkillable, by pid. */
        CHECK_EQ_INT(c[3].pid, 1);
        CHECK_EQ_INT(c[4].pid, 2);
        CHECK_EQ_INT(c[7].pid, 109);

        /* Equal badness: the later process (higher pid) first. */
        OomCandidate t[3] = {
                { .pid = 10, .killable = true, .badness = 5 },
                { .pid = 30, .killable = true, .badness = 5 },
                { .pid = 20, .killable = true, .badness = 7 },
        };
        oomscore_sort(t, 3);
        CHECK_EQ_INT(t[0].pid, 20);
        CHECK_EQ_INT(t[1].pid, 30);
        CHECK_EQ_INT(t[2].pid, 10);
}

/* A child that touches size bytes, sets its own oom_score_adj (raising is
 * allowed), reports ready and waits. */
static pid_t spawn_hog(size_t size, int adj, int *ret_fd) {
        int p[2];
        pid_t pid;

        ASSERT(pipe(p) == 0);
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                FILE *f;

                if (mem == MAP_FAILED)
                        _exit(1);
                for (size_t i = 0; i < size; i += 4096)
                        mem[i] = 1;
                f = fopen("/proc/self/oom_score_adj", "we");
                if (!f)
                        _exit(1);
                fprintf(f, "%d\n", adj);
                if (fclose(f) != 0)
                        _exit(1);
                close(p[0]);
                if (write(p[1], "r", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        *ret_fd = p[0];
        return pid;
}

static void test_real(void) {
        int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), meminfo_fd;
        const size_t MiB = 1024 * 1024;
        struct {
                size_t size;
                int adj;
                pid_t pid;
                int fd;
        } hogs[] = {
                { 300 * MiB, 0 },
                { 80 * MiB, 500 },
                { 150 * MiB, 0 },
                { 20 * MiB, 100 },
        };
        _cleanup_free_ OomCandidate *c = NULL;
        char buf[8192];
        MemInfo m;
        ProcInfo info;
        uint64_t totalpages;
        size_t n = 0, killable = 0, exact = 0;
        int len;

        ASSERT(proc_fd >= 0);
        meminfo_fd = openat(proc_fd, "meminfo", O_RDONLY | O_CLOEXEC);
        ASSERT(meminfo_fd >= 0);
        len = (int) read(meminfo_fd, buf, sizeof(buf) - 1);
        ASSERT(len > 0);
        close(meminfo_fd);
        ASSERT(meminfo_parse(buf, (size_t) len, &m) == 0);
        totalpages = oom_totalpages(&m, (uint64_t) sysconf(_SC_PAGESIZE));

        for (size_t i = 0; i < ELEMENTSOF(hogs); i++) {
                char ch;

                hogs[i].pid = spawn_hog(hogs[i].size, hogs[i].adj, &hogs[i].fd);
                ASSERT(read(hogs[i].fd, &ch, 1) == 1);
        }

        CHECK_EQ_INT(oomscore_rank(proc_fd, totalpages, (uint64_t) sysconf(_SC_PAGESIZE), &info, &c, &n), 0);
        CHECK(n > ELEMENTSOF(hogs));

        /* Every score agrees with the kernel's, within 1. */
        for (size_t i = 0; i < n; i++) {
                int d = (int) c[i].score - (int) c[i].kernel_score;

                if (c[i].killable)
                        killable++;
                if (d == 0)
                        exact++;
                if (d < -1 || d > 1)
                        fprintf(stderr,
                                "pid %d (%s): memtuned %u, kernel %u (badness %" PRIi64 ", adj %d)\n",
                                (int) c[i].pid, c[i].comm, c[i].score, c[i].kernel_score, c[i].badness,
                                c[i].oom_score_adj);
                CHECK(d >= -1 && d <= 1);
                if (!c[i].killable)
                        CHECK_EQ_INT(c[i].kernel_score, 0);
        }
        printf("%zu processes (%zu killable): %zu scores equal to the kernel's, the rest within 1\n", n,
               killable, exact);

        /* The order agrees: down memtuned's list the kernel's score never
         * rises by more than the rounding. */
        for (size_t i = 1; i < n; i++)
                if (c[i].killable && c[i - 1].killable) {
                        if (c[i].kernel_score > c[i - 1].kernel_score + 1)
                                fprintf(stderr, "order: %d (%u) before %d (%u)\n", (int) c[i - 1].pid,
                                        c[i - 1].kernel_score, (int) c[i].pid, c[i].kernel_score);
                        CHECK(c[i].kernel_score <= c[i - 1].kernel_score + 1);
                }

        /* The hogs in the order their sizes and scores demand: 80 MiB at +500,
         * 20 MiB at +100, then 300 MiB and 150 MiB at 0, and the kernel
         * ranks them the same way. */
        ssize_t pos[ELEMENTSOF(hogs)];
        for (size_t h = 0; h < ELEMENTSOF(hogs); h++) {
                pos[h] = -1;
                for (size_t i = 0; i < n; i++)
                        if (c[i].pid == hogs[h].pid)
                                pos[h] = (ssize_t) i;
                CHECK(pos[h] >= 0);
        }
        CHECK(pos[1] < pos[3] && pos[3] < pos[0] && pos[0] < pos[2]);
        if (pos[0] >= 0 && pos[1] >= 0 && pos[2] >= 0 && pos[3] >= 0) {
                CHECK(c[pos[1]].kernel_score > c[pos[3]].kernel_score);
                CHECK(c[pos[3]].kernel_score > c[pos[0]].kernel_score);
                CHECK(c[pos[0]].kernel_score >= c[pos[2]].kernel_score);
                CHECK(c[pos[0]].rss_pages >= 300 * MiB / 4096);
        }

        for (size_t i = 0; i < ELEMENTSOF(hogs); i++) {
                kill(hogs[i].pid, SIGKILL);
                waitpid(hogs[i].pid, NULL, 0);
                close(hogs[i].fd);
        }
        close(proc_fd);
}

int main(void) {
        test_formula();
        test_fixture();
        test_real();
        return test_result("test-oomscore");
}
