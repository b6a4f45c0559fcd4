/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process table: lookups against a reference after random inserts and
 * deletes (backward-shift deletion must never lose an entry), pidfd ownership
 * and the fd budget, pruning of reaped processes, interned names, and the
 * footprint with 10,000 tracked processes (the daemon's target is 1 MiB of
 * anonymous memory in all; the table takes 384 kB of it) and after they
 * are gone. */
#include <signal.h>
#include <sys/wait.h>

#include "procadj.h"
#include "proctable.h"
#include "test-util.h"

#define N_PIDS 4194304 /* PID_MAX_LIMIT on 64-bit */

#ifndef __has_feature
#define __has_feature(x) 0
#endif
/* Under AddressSanitizer RssAnon also counts the shadow of the table's
 * mapping, which stays after munmap(). */
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

static uint32_t rnd_state = 12345;

static uint32_t rnd(void) {
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 17;
        rnd_state ^= rnd_state << 5;
        return rnd_state;
}

static ProcEntry entry(pid_t pid, int pidfd) {
        return (ProcEntry) {
                .pid = pid,
                .pidfd = pidfd,
                .start_time = (uint64_t) pid * 3,
                .adj_set = (int16_t) (pid % 2001 - 1000),
                .name = PROCTABLE_NAME_NONE,
        };
}

static void test_random(void) {
        _cleanup_(proctable_freep) ProcTable *t = NULL;
        uint8_t *in = calloc(N_PIDS, 1);
        size_t n = 0;

        ASSERT(in);
        ASSERT(proctable_new(SIZE_MAX, &t) == 0);

        /* Dense neighbours (real pids are sequential) and random ones;
         * 60,000 operations with deletes. */
        for (unsigned i = 0; i < 60000; i++) {
                pid_t pid = i % 3 == 0 ? (pid_t) (300 + i / 3) : (pid_t) (rnd() % (N_PIDS - 1) + 1);

                if (rnd() % 3 == 0) {
                        CHECK_EQ_INT(proctable_remove(t, pid), in[pid]);
                        n -= in[pid];
                        in[pid] = 0;
                } else {
                        ProcEntry e = entry(pid, -1);
                        CHECK_EQ_INT(proctable_add(t, &e, NULL), 0);
                        n += !in[pid];
                        in[pid] = 1;
                }
        }
        CHECK_EQ_U64(proctable_size(t), n);

        size_t found = 0, iter = 0;
        for (ProcEntry *e; (e = proctable_next(t, &iter));) {
                CHECK(in[e->pid]);
                CHECK_EQ_U64(e->start_time, (uint64_t) e->pid * 3);
                found++;
        }
        CHECK_EQ_U64(found, n);
        for (pid_t pid = 1; pid < 30000; pid++) {
                ProcEntry *e = proctable_get(t, pid);
                CHECK(!!e == !!in[pid]);
                if (e)
                        CHECK_EQ_INT(e->adj_set, pid % 2001 - 1000);
        }
        CHECK(!proctable_get(t, 0));
        CHECK(!proctable_get(t, -5));
        ProcEntry bad = entry(0, -1);
        CHECK_EQ_INT(proctable_add(t, &bad, NULL), -EINVAL);
        free(in);
}

static bool fd_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

static pid_t spawn(void) {
        pid_t pid = fork();

        ASSERT(pid >= 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        return pid;
}

static void test_pidfds(void) {
        _cleanup_(proctable_freep) ProcTable *t = NULL;
        pid_t kids[3];
        int fds[3];
        ProcEntry e, *p;

        ASSERT(proctable_new(2, &t) == 0);
        for (int i = 0; i < 3; i++) {
                kids[i] = spawn();
                fds[i] = procadj_pidfd_open(kids[i]);
                ASSERT(fds[i] >= 0);
                e = entry(kids[i], fds[i]);
                CHECK_EQ_INT(proctable_add(t, &e, &p), 0);
                CHECK_EQ_INT(p->pid, kids[i]);
        }
        /* The budget is 2: the third pidfd was closed, its entry kept. */
        CHECK(fd_open(fds[0]) && fd_open(fds[1]));
        CHECK(!fd_open(fds[2]));
        CHECK_EQ_INT(proctable_get(t, kids[2])->pidfd, -1);

        /* Replacing an entry closes the old pidfd and frees budget. */
        int nfd = procadj_pidfd_open(kids[0]);
        e = entry(kids[0], nfd);
        CHECK_EQ_INT(proctable_add(t, &e, NULL), 0);
        CHECK(!fd_open(fds[0]));
        CHECK_EQ_INT(proctable_get(t, kids[0])->pidfd, nfd);
        /* Re-adding with the same pidfd keeps it open. */
        e = *proctable_get(t, kids[0]);
        e.adj_set = 42;
        CHECK_EQ_INT(proctable_add(t, &e, NULL), 0);
        CHECK(fd_open(nfd));
        CHECK_EQ_INT(proctable_get(t, kids[0])->adj_set, 42);

        /* Reaped processes are pruned: by pidfd, or by /proc and start time
         * for the entry without one (its start time here is fake, so it goes
         * while its process still lives). */
        int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(proc_fd >= 0);
        kill(kids[1], SIGKILL);
        waitpid(kids[1], NULL, 0);
        CHECK_EQ_U64(proctable_prune(t, proc_fd), 2);
        CHECK(proctable_get(t, kids[0]));
        CHECK(!proctable_get(t, kids[1]));
        CHECK(!proctable_get(t, kids[2]));
        CHECK(!fd_open(fds[1]));
        CHECK_EQ_INT(proctable_remove(t, kids[0]), 1);
        CHECK(!fd_open(nfd));
        CHECK_EQ_INT(proctable_remove(t, kids[0]), 0);
        close(proc_fd);
        for (int i = 0; i < 3; i++)
                if (i != 1) {
                        kill(kids[i], SIGKILL);
                        waitpid(kids[i], NULL, 0);
                }
}

static void test_names(void) {
        _cleanup_(proctable_freep) ProcTable *t = NULL;
        uint16_t a, b, c;

        ASSERT(proctable_new(SIZE_MAX, &t) == 0);
        CHECK_EQ_INT(proctable_intern(t, "protect-sshd", &a), 0);
        CHECK_EQ_INT(proctable_intern(t, "batch-first", &b), 0);
        CHECK_EQ_INT(proctable_intern(t, "protect-sshd", &c), 0);
        CHECK_EQ_INT(a, c);
        CHECK(a != b);
        CHECK_STREQ(proctable_name(t, a), "protect-sshd");
        CHECK(!proctable_name(t, PROCTABLE_NAME_NONE));
        CHECK(!proctable_name(t, 7));
        CHECK(proctable_comm_hash("sshd") != proctable_comm_hash("sshd "));
        CHECK_EQ_U64(proctable_comm_hash(""), 2166136261U);
}

static long rss_anon_kb(void) {
        char line[256];
        long kb = -1;
        FILE *f = fopen("/proc/self/status", "re");

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "RssAnon:", 8) == 0)
                        kb = atol(line + 8);
        if (f)
                fclose(f);
        return kb;
}

/* The slots are a mapping of their own (not heap): RssAnon follows the
 * table both ways. */
static void test_footprint(void) {
        _cleanup_(proctable_freep) ProcTable *t = NULL;
        long before, after, emptied;
        uint16_t name;

        before = rss_anon_kb();
        ASSERT(proctable_new(SIZE_MAX, &t) == 0);
        ASSERT(proctable_intern(t, "a-rule-name", &name) == 0);
        for (pid_t pid = 1000; pid < 11000; pid++) {
                ProcEntry e = entry(pid, -1);
                e.name = name;
                ASSERT(proctable_add(t, &e, NULL) == 0);
        }
        after = rss_anon_kb();
        printf("10,000 tracked processes: table %zu bytes; RssAnon %ld -> %ld kB\n", proctable_memory(t),
               before, after);
        CHECK(proctable_memory(t) <= 16384 * sizeof(ProcEntry) + 1024);
        if (!UNDER_ASAN)
                CHECK(after - before <= 16384 * (long) sizeof(ProcEntry) / 1024 + 64);
        CHECK_EQ_U64(proctable_size(t), 10000);

        /* All but ten go: the table shrinks to between 1/8 and 1/4 full (or
         * its minimum), gives its pages back, and still finds the ten. */
        for (pid_t pid = 1000; pid < 11000; pid++)
                if (pid % 1000 != 7)
                        CHECK_EQ_INT(proctable_remove(t, pid), 1);
        emptied = rss_anon_kb();
        printf("10 left: table %zu bytes; RssAnon %ld kB\n", proctable_memory(t), emptied);
        CHECK_EQ_U64(proctable_size(t), 10);
        CHECK(proctable_memory(t) <= 128 * sizeof(ProcEntry) + 1024);
        if (!UNDER_ASAN)
                CHECK(emptied - before <= 64);
        for (pid_t pid = 1000; pid < 11000; pid++)
                CHECK(!!proctable_get(t, pid) == (pid % 1000 == 7));
}

/* The table is bounded whatever users do: past PROCTABLE_ENTRIES_MAX a new
 * pid is refused (its pidfd closed), while tracked pids are still updated,
 * and room made by a removal is usable again. */
static void test_cap(void) {
        _cleanup_(proctable_freep) ProcTable *t = NULL;
        ProcEntry e;
        int fd;

        ASSERT(proctable_new(SIZE_MAX, &t) == 0);
        for (pid_t pid = 1; pid <= (pid_t) PROCTABLE_ENTRIES_MAX; pid++) {
                e = entry(pid, -1);
                ASSERT(proctable_add(t, &e, NULL) == 0);
        }
        CHECK_EQ_U64(proctable_size(t), PROCTABLE_ENTRIES_MAX);

        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0);
        e = entry((pid_t) PROCTABLE_ENTRIES_MAX + 1, fd);
        CHECK_EQ_INT(proctable_add(t, &e, NULL), -ENOSPC);
        CHECK(!fd_open(fd)); /* taken and closed, as on any failure */
        CHECK(!proctable_get(t, (pid_t) PROCTABLE_ENTRIES_MAX + 1));
        CHECK_EQ_U64(proctable_size(t), PROCTABLE_ENTRIES_MAX);

        e = entry(7, -1);
        e.adj_set = 77;
        CHECK_EQ_INT(proctable_add(t, &e, NULL), 0);
        CHECK_EQ_INT(proctable_get(t, 7)->adj_set, 77);

        CHECK_EQ_INT(proctable_remove(t, 7), 1);
        e = entry((pid_t) PROCTABLE_ENTRIES_MAX + 1, -1);
        CHECK_EQ_INT(proctable_add(t, &e, NULL), 0);
        CHECK_EQ_U64(proctable_size(t), PROCTABLE_ENTRIES_MAX);
        /* 3 MiB of slots at most. */
        CHECK(proctable_memory(t) < 4U * 1024 * 1024);
}

int main(void) {
        test_random();
        test_pidfds();
        test_names();
        test_footprint();
        test_cap();
        return test_result("test-proctable");
}
