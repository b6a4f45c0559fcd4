/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The race-free oom_score_adj writer: writes, unchanged values, vanished
 * processes, liveness of zombies, EACCES for another user's process and for
 * lowering without CAP_SYS_RESOURCE, and PID reuse forced inside a private PID
 * namespace (ns_last_pid): a new process gets the number of the one memtuned
 * holds a pidfd for, often with the same start time, and must never be
 * written. The namespace part needs root (CAP_SYS_ADMIN); without it that
 * part is skipped and says so. */
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "macro.h"
#include "procadj.h"
#include "procfs.h"
#include "procrules.h"
#include "test-util.h"

/* The daemon's two steps (procrules_apply_pid() reads and decides between
 * them): pin /proc/PID to the pidfd, write through the pinned directory. */
static int pin_write(int proc_fd, pid_t pid, int pidfd, int value, unsigned flags, int *ret_old) {
        _cleanup_close_ int pid_fd = procadj_pin(proc_fd, pid, pidfd);

        if (pid_fd < 0)
                return pid_fd;
        return procadj_write_at(pid_fd, pidfd, value, flags, ret_old);
}

static pid_t spawn_pause(void) {
        pid_t pid = fork();

        ASSERT(pid >= 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        return pid;
}

static int adj_at(int proc_fd, pid_t pid) {
        _cleanup_close_ int fd = procfs_open_pid(proc_fd, pid);
        int v;

        if (fd < 0 || procfs_read_oom_score_adj(fd, &v) < 0)
                return INT32_MIN;
        return v;
}

static bool have_cap(int cap) {
        char line[256];
        bool r = false;
        FILE *f = fopen("/proc/self/status", "re");

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "CapEff:", 7) == 0)
                        r = strtoull(line + 7, NULL, 16) & (1ULL << cap);
        if (f)
                fclose(f);
        return r;
}

static void test_basic(int proc_fd) {
        pid_t pid = spawn_pause();
        int pidfd = procadj_pidfd_open(pid), old = 12345;

        ASSERT(pidfd >= 0);
        CHECK_EQ_INT(procadj_pidfd_alive(pidfd), 1);

        CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, 250, 0, &old), PROCADJ_WRITTEN);
        CHECK_EQ_INT(old, 0);
        CHECK_EQ_INT(adj_at(proc_fd, pid), 250);
        CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, 250, 0, &old), PROCADJ_UNCHANGED);
        CHECK_EQ_INT(old, 250);
        CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, 1001, 0, NULL), -EINVAL);
        CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, -1001, 0, NULL), -EINVAL);
        CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, 1000, 0, NULL), PROCADJ_WRITTEN);
        /* Down to the floor (0 for a process started by an unprivileged
         * parent... and by us) is allowed without CAP_SYS_RESOURCE. */
        CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, 0, 0, NULL), PROCADJ_WRITTEN);

        /* Below the floor: EACCES without CAP_SYS_RESOURCE. */
        if (have_cap(24)) {
                CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, -1000, 0, NULL), PROCADJ_WRITTEN);
                CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, 5, PROCADJ_SPARE_DISABLED, &old),
                             PROCADJ_SPARED);
                CHECK_EQ_INT(old, -1000);
                CHECK_EQ_INT(adj_at(proc_fd, pid), -1000);
                CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, 5, 0, NULL), PROCADJ_WRITTEN);
        } else {
                CHECK_EQ_INT(pin_write(proc_fd, pid, pidfd, -500, 0, NULL), -EACCES);
                CHECK_EQ_INT(adj_at(proc_fd, pid), 0);
                printf("skip: lowering below 0 and PROCADJ_SPARED need CAP_SYS_RESOURCE (not in this "
                       "machine's bounding set): EACCES checked instead\n");
        }

        /* A zombie still holds its number: alive for the pidfd. */
        kill(pid, SIGKILL);
        siginfo_t si;
        ASSERT(waitid(P_PID, (id_t) pid, &si, WEXITED | WNOWAIT) == 0);
        CHECK_EQ_INT(procadj_pidfd_alive(pidfd), 1);
        waitpid(pid, NULL, 0);
        CHECK_EQ_INT(procadj_pidfd_alive(pidfd), 0);
        int r = pin_write(proc_fd, pid, pidfd, 300, 0, NULL);
        CHECK(r == -ESRCH || r == -ESTALE); /* -ESTALE only if the number was reused meanwhile */
        close(pidfd);

        CHECK_EQ_INT(procadj_pidfd_open(pid), -ESRCH);
        CHECK_EQ_INT(procadj_pidfd_open(0), -EINVAL);
        CHECK_EQ_INT(procadj_pidfd_alive(-1), -EBADF);
}

/* A fixture tree is never written, even when its pid is a live process. */
static void test_fixture_refused(void) {
        char dir[4096], path[4200];
        const char *tmp = getenv("TMPDIR");
        int pidfd = procadj_pidfd_open(getpid()), fd, root;
        char buf[16] = "";
        FILE *f;

        snprintf(dir, sizeof(dir), "%s/test-procadj-fixture-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        ASSERT(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/%d", dir, (int) getpid());
        ASSERT(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/%d/oom_score_adj", dir, (int) getpid());
        f = fopen(path, "we");
        ASSERT(f && fputs("0\n", f) >= 0 && fclose(f) == 0);

        root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(root >= 0 && pidfd >= 0);
        CHECK_EQ_INT(pin_write(root, getpid(), pidfd, 500, 0, NULL), -EXDEV);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0);
        CHECK_STREQ(buf, "0\n");
        close(fd);
        close(root);
        close(pidfd);
        unlink(path);
        snprintf(path, sizeof(path), "%s/%d", dir, (int) getpid());
        rmdir(path);
        rmdir(dir);
}

/* Another user's process without CAP_DAC_OVERRIDE: EACCES. */
static void test_other_user(int proc_fd) {
        pid_t target, writer;
        int status;

        if (geteuid() != 0) {
                printf("skip: writing as uid 65534 to a root process needs root to set up\n");
                return;
        }
        target = spawn_pause();
        writer = fork();
        ASSERT(writer >= 0);
        if (writer == 0) {
                int fd = procadj_pidfd_open(target);
                if (fd < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(99);
                _exit(pin_write(proc_fd, target, fd, 100, 0, NULL) == -EACCES ? 0 : 1);
        }
        ASSERT(waitpid(writer, &status, 0) == writer);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK_EQ_INT(adj_at(proc_fd, target), 0);
        kill(target, SIGKILL);
        waitpid(target, NULL, 0);
}

/* ---- PID reuse inside a private PID namespace ----------------------------- */

#define REUSE_ROUNDS 50

static int write_ns_last_pid(int proc_fd, pid_t v) {
        _cleanup_close_ int fd = openat(proc_fd, "sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
        char buf[16];
        int n;

        if (fd < 0)
                return negative_errno();
        n = snprintf(buf, sizeof(buf), "%d", (int) v);
        return write(fd, buf, (size_t) n) == n ? 0 : negative_errno();
}

/* fork() with the next pid forced to want (ns_last_pid = want - 1). */
static pid_t spawn_at(int proc_fd, pid_t want, bool exec_sleep) {
        for (int attempt = 0; attempt < 10; attempt++) {
                pid_t pid;

                if (write_ns_last_pid(proc_fd, want - 1) < 0)
                        return -1;
                pid = fork();
                if (pid < 0)
                        return -1;
                if (pid == 0) {
                        if (exec_sleep)
                                execl("/bin/sleep", "sleep", "30", (char *) NULL);
                        pause();
                        _exit(0);
                }
                if (pid == want)
                        return pid;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        return -1;
}

static int wait_exec(int proc_fd, pid_t pid) {
        ProcStat st;

        for (int i = 0; i < 1000; i++) {
                _cleanup_close_ int fd = procfs_open_pid(proc_fd, pid);
                if (fd >= 0 && procfs_read_stat(fd, &st) == 0 && strcmp(st.comm, "sleep") == 0)
                        return 0;
                usleep(1000);
        }
        return -ETIMEDOUT;
}

static uint64_t start_time_of(int proc_fd, pid_t pid) {
        _cleanup_close_ int fd = procfs_open_pid(proc_fd, pid);
        ProcStat st;

        return fd >= 0 && procfs_read_stat(fd, &st) == 0 ? st.start_time : 0;
}

/* Runs as PID 1 of a new PID namespace with its own /proc mounted at dir.
 * Each round goes through the daemon's own path: procrules_apply_pid()
 * scores and tracks a victim; the victim dies and a new process gets its
 * number (in even rounds the same program, often with the same start time;
 * in odd rounds one that no rule matches). The pin step that
 * procrules_apply_pid() runs, given the tracked pidfd, must see an impostor
 * (-ESTALE), and procrules_apply_pid() must drop the stale entry and judge
 * the new process on its own: scored as a new process when it matches,
 * untouched when it does not. */
static int reuse_in_namespace(const char *dir) {
        ProcessRule rule = { .name = (char *) "sleepers", .oom_score_adj = 300 };
        unsigned same_start = 0, impostors = 0, failures = 0;
        ProcRules *pr;
        int proc_fd;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                fprintf(stderr, "mount proc: %s\n", strerror(errno));
                return 77;
        }
        proc_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return 99;
        rule.match.comm = (char *) "sleep";
        if (procrules_new(proc_fd, 1, 0, &pr) < 0 || procrules_set_rules(pr, &rule, 1) < 0)
                return 99;

        for (unsigned round = 0; round < REUSE_ROUNDS; round++) {
                pid_t want = (pid_t) (100 + round), victim, impostor;
                bool same_program = round % 2 == 0;
                uint64_t t_victim, t_impostor;
                const ProcEntry *e;
                ProcOutcome o;
                int pidfd, r;

                victim = spawn_at(proc_fd, want, true);
                if (victim < 0 || wait_exec(proc_fd, victim) < 0) {
                        fprintf(stderr, "cannot place a process at pid %d: %m\n", (int) want);
                        return 77;
                }
                if (procrules_apply_pid(pr, victim, &o) < 0 || o.result != PROCADJ_WRITTEN) {
                        fprintf(stderr, "round %u: the victim was not scored: result %d\n", round, o.result);
                        failures++;
                }
                e = proctable_get(procrules_table(pr), victim);
                if (!e || e->pidfd < 0) {
                        fprintf(stderr, "round %u: the victim is not tracked with a pidfd\n", round);
                        return 99;
                }
                pidfd = e->pidfd;
                t_victim = start_time_of(proc_fd, victim);

                /* The victim dies and is reaped (no exit event here: its
                 * entry stays); a new process gets its number. */
                kill(victim, SIGKILL);
                waitpid(victim, NULL, 0);
                impostor = spawn_at(proc_fd, want, same_program);
                if (impostor != want || (same_program && wait_exec(proc_fd, impostor) < 0))
                        return 77;
                t_impostor = start_time_of(proc_fd, impostor);
                same_start += t_victim == t_impostor;

                r = procadj_pin(proc_fd, want, pidfd);
                if (r == -ESTALE)
                        impostors++;
                else {
                        fprintf(stderr, "round %u: procadj_pin() gave %d, expected -ESTALE\n", round, r);
                        failures++;
                        if (r >= 0)
                                close(r);
                }

                r = procrules_apply_pid(pr, want, &o);
                e = proctable_get(procrules_table(pr), want);
                if (r < 0 || !o.replaced) {
                        fprintf(stderr, "round %u: apply gave %d, replaced %d\n", round, r, o.replaced);
                        failures++;
                } else if (same_program) {
                        if (o.result != PROCADJ_WRITTEN || adj_at(proc_fd, impostor) != 300 || !e ||
                            e->pidfd < 0 || e->start_time != PROC_ENTRY_START(t_impostor)) {
                                fprintf(stderr,
                                        "round %u: the new process was not scored as new: result %d\n",
                                        round, o.result);
                                failures++;
                        }
                } else if (o.verdict != PROC_VERDICT_NONE || adj_at(proc_fd, impostor) != 0 || e) {
                        fprintf(stderr,
                                "round %u: the impostor was written or tracked: verdict %d, adj %d\n", round,
                                o.verdict, adj_at(proc_fd, impostor));
                        failures++;
                }
                kill(impostor, SIGKILL);
                waitpid(impostor, NULL, 0);
        }
        procrules_free(pr);

        printf("PID reuse: %u/%u impostors detected (-ESTALE) by the daemon's pin step, none written as the "
               "victim; the impostor had the victim's start time in %u rounds\n",
               impostors, REUSE_ROUNDS, same_start);
        fflush(stdout);
        umount2(dir, MNT_DETACH);
        return failures ? 1 : 0;
}

static void test_pid_reuse(void) {
        const char *tmp = getenv("TMPDIR");
        char path[4096];
        pid_t child;
        int status;

        if (geteuid() != 0) {
                printf("skip: PID reuse in a private PID namespace needs root\n");
                return;
        }
        snprintf(path, sizeof(path), "%s/test-procadj-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        ASSERT(mkdtemp(path));
        fflush(stdout);

        child = fork();
        ASSERT(child >= 0);
        if (child == 0) {
                pid_t init;

                if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0) {
                        fprintf(stderr, "unshare: %m\n");
                        _exit(77);
                }
                init = fork();
                if (init < 0)
                        _exit(99);
                if (init == 0)
                        _exit(reuse_in_namespace(path));
                if (waitpid(init, &status, 0) != init || !WIFEXITED(status))
                        _exit(99);
                _exit(WEXITSTATUS(status));
        }
        ASSERT(waitpid(child, &status, 0) == child);
        rmdir(path);
        CHECK(WIFEXITED(status));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                printf("skip: could not set up the private PID namespace (see above)\n");
        else
                CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

int main(void) {
        int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT(proc_fd >= 0);
        test_basic(proc_fd);
        test_other_user(proc_fd);
        test_fixture_refused();
        test_pid_reuse();
        close(proc_fd);
        return test_result("test-procadj");
}
