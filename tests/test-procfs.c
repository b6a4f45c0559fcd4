/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID readers: the parsers on literals (hostile names, truncation,
 * forged lines), the readers on the fixture trees tests/data/proc-hostile and
 * tests/data/proc-host-6.18, and on real processes this test starts (a name
 * with ") " and a newline, an exe another user may not read, a directory fd
 * that outlives its process). */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "macro.h"
#include "procfs.h"
#include "test-util.h"

#define STAT_TAIL " 1 1 0 -1 4194560 102 0 0 0 0 0 0 0 20 0 1 0 1000 3133440 387 18446744 9 9 0 0\n"

static ProcStat st;
static ProcStatus ss;
static ProcInfo info;

static int stat_of(const char *s) {
        return procfs_parse_stat(s, strlen(s), &st);
}

static int status_of(const char *s) {
        return procfs_parse_status(s, strlen(s), &ss);
}

static void test_stat_literals(void) {
        char buf[512];

        CHECK_EQ_INT(stat_of("42 (a) Z 1) S 7" STAT_TAIL), 0);
        CHECK_STREQ(st.comm, "a) Z 1");
        CHECK_EQ_INT(st.pid, 42);
        CHECK_EQ_INT(st.state, 'S');
        CHECK_EQ_INT(st.ppid, 7);
        CHECK_EQ_U64(st.flags, 4194560);
        CHECK_EQ_INT(st.nice, 0);
        CHECK_EQ_U64(st.start_time, 1000);
        CHECK_EQ_U64(st.vsize, 3133440);
        CHECK_EQ_U64(st.rss_pages, 387);
        CHECK(!st.comm_truncated);

        /* The kernel prints comm raw: newlines, parentheses, a fake tail. */
        CHECK_EQ_INT(stat_of("42 (x\n) R 1 2 3\n) S 7" STAT_TAIL), 0);
        CHECK_STREQ(st.comm, "x\n) R 1 2 3\n");
        CHECK_EQ_INT(st.ppid, 7);
        CHECK_EQ_INT(stat_of("42 () S 7" STAT_TAIL), 0);
        CHECK_STREQ(st.comm, "");
        CHECK_EQ_INT(stat_of("42 ((()) S 7" STAT_TAIL), 0);
        CHECK_STREQ(st.comm, "(()");
        /* Negative fields where the kernel prints them: tpgid -1, an RT
         * priority, nice -20. */
        CHECK_EQ_INT(stat_of("9 (rt) S 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 -100 -20 1 0 23 0 0 1 0\n"), 0);
        CHECK_EQ_INT(st.nice, -20);
        /* Without the trailing newline, and ending right after rss. */
        CHECK_EQ_INT(stat_of("9 (k) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 23 0 0"), 0);
        CHECK_EQ_U64(st.rss_pages, 0);

        /* A 70-byte name is cut to PROC_COMM_MAX - 1 and flagged. */
        snprintf(buf, sizeof(buf), "5 (%070d) S 1" STAT_TAIL, 0);
        CHECK_EQ_INT(stat_of(buf), 0);
        CHECK(st.comm_truncated);
        CHECK_EQ_U64(strlen(st.comm), PROC_COMM_MAX - 1);

        st = (ProcStat) { .pid = 12345 };
        CHECK_EQ_INT(stat_of(""), -EINVAL);
        CHECK_EQ_INT(stat_of("42"), -EINVAL);
        CHECK_EQ_INT(stat_of("42 (x"), -EINVAL); /* no ')' */
        CHECK_EQ_INT(stat_of("42 (x)"), -EINVAL);
        CHECK_EQ_INT(stat_of("42 (x) S"), -EINVAL);
        CHECK_EQ_INT(stat_of("42 (x) S 1 2"), -EINVAL);         /* truncated */
        CHECK_EQ_INT(stat_of("42 (x) 1 1" STAT_TAIL), -EINVAL); /* state not a letter */
        CHECK_EQ_INT(stat_of("42 (x) SS 1" STAT_TAIL), -EINVAL);
        CHECK_EQ_INT(stat_of("42 x) S 1" STAT_TAIL), -EINVAL);
        CHECK_EQ_INT(stat_of("-42 (x) S 1" STAT_TAIL), -EINVAL);
        CHECK_EQ_INT(stat_of("0 (x) S 1" STAT_TAIL), -ERANGE);
        CHECK_EQ_INT(stat_of("4294967296 (x) S 1" STAT_TAIL), -ERANGE);
        CHECK_EQ_INT(stat_of("42 (x) S -1" STAT_TAIL), -ERANGE); /* negative ppid */
        CHECK_EQ_INT(stat_of("42 (x) S 1 1 1 0 -1 4x 102" STAT_TAIL), -EINVAL);
        CHECK_EQ_INT(stat_of("42 (x) S 1 1 1 0 -1 99999999999999999999 102" STAT_TAIL), -ERANGE);
        CHECK_EQ_INT(stat_of("42 (x) S 1  1 1 0 -1 4 102" STAT_TAIL), -EINVAL); /* double blank */
        CHECK_EQ_INT(procfs_parse_stat("42 (a\0b) S 1" STAT_TAIL, 12 + strlen(STAT_TAIL), &st), -EINVAL);
        CHECK_EQ_INT(st.pid, 12345); /* untouched on failure */
}

static void test_status_literals(void) {
        CHECK_EQ_INT(status_of("Name:\tx\nUid:\t1\t2\t3\t4\nPPid:\t5\n"), 0);
        CHECK_EQ_INT(ss.uid[0], 1);
        CHECK_EQ_INT(ss.uid[1], 2);
        CHECK_EQ_INT(ss.uid[3], 4);
        CHECK_EQ_INT(ss.ppid, 5);
        CHECK(!ss.has_mm);
        CHECK(!ss.has_kthread);

        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\nPPid:\t0\nKthread:\t1\nVmRSSx:\t9 kB\n"), 0);
        CHECK(ss.has_kthread && ss.kthread);
        CHECK(!ss.has_mm); /* VmRSSx is not VmRSS */

        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\nPPid:\t1\nVmRSS:\t  1760 kB\nRssAnon:\t112 kB\n"
                               "RssFile:\t1648 kB\nRssShmem:\t0 kB\nVmPTE:\t44 kB\nVmSwap:\t8 kB"),
                     0);
        CHECK(ss.has_mm);
        CHECK_EQ_U64(ss.vm_rss_kb, 1760);
        CHECK_EQ_U64(ss.rss_anon_kb, 112);
        CHECK_EQ_U64(ss.rss_file_kb, 1648);
        CHECK_EQ_U64(ss.vm_pte_kb, 44);
        CHECK_EQ_U64(ss.vm_swap_kb, 8);

        ss = (ProcStatus) { .ppid = 777 };
        CHECK_EQ_INT(status_of(""), -ENODATA);
        CHECK_EQ_INT(status_of("PPid:\t1\n"), -ENODATA);
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\n"), -ENODATA);
        /* A name with a raw newline could forge a line: the kernel escapes
         * it, so a repeat means text we do not understand. */
        CHECK_EQ_INT(status_of("Name:\tx\nUid:\t0\t0\t0\t0\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\n"),
                     -EINVAL);
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\nPPid:\t1\n"), -EINVAL);       /* 3 uids */
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\t0\nPPid:\t1\n"), -EINVAL); /* 5 uids */
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t4294967295\nPPid:\t1\n"), -ERANGE);
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\nPPid:\t-1\n"), -EINVAL);
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\nPPid:\t1\nVmRSS:\t5\n"), -EINVAL); /* no unit */
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\nPPid:\t1\nVmRSS:\t5 MB\n"), -EINVAL);
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\nPPid:\t1\nVmRSS:\t99999999999999999999 kB\n"), -ERANGE);
        CHECK_EQ_INT(status_of("Uid:\t0\t0\t0\t0\nPPid:\t1\nKthread:\t2\n"), -EINVAL);
        CHECK_EQ_INT(ss.ppid, 777);
}

static void test_cgroup_literals(void) {
        char path[64], unit[PROC_UNIT_MAX];

#define CG(text) procfs_parse_cgroup((text), strlen(text), path, sizeof(path))
        CHECK_EQ_INT(CG("0::/system.slice/ssh.service\n"), 25);
        CHECK_STREQ(path, "/system.slice/ssh.service");
        CHECK_EQ_INT(CG("9:name=systemd:/a.service\n4:memory:/x\n0::/b.service\n"),
                     10); /* hybrid: unified wins */
        CHECK_STREQ(path, "/b.service");
        CHECK_EQ_INT(CG("12:pids:/\n1:name=systemd:/system.slice/legacy.service\n"), 28);
        CHECK_STREQ(path, "/system.slice/legacy.service");
        CHECK_EQ_INT(CG("0::/"), 1);
        CHECK_STREQ(path, "/");
        CHECK_EQ_INT(CG("0::/a:b\n"), 4); /* ':' inside the path */
        CHECK_STREQ(path, "/a:b");
        CHECK_EQ_INT(CG("0::/x\n0::/system.slice/ssh.service\n"), -EINVAL); /* forged by a newline */
        CHECK_EQ_INT(CG("1:name=systemd:/a\n1:name=systemd:/b\n"), -EINVAL);
        CHECK_EQ_INT(CG("4:memory:/x\n"), -ENODATA);
        CHECK_EQ_INT(CG(""), -ENODATA);
        CHECK_EQ_INT(CG("0:/x\n"), -EINVAL);
        CHECK_EQ_INT(CG("x::/x\n"), -EINVAL);
        CHECK_EQ_INT(CG("0::relative\n"), -EINVAL);
        CHECK_EQ_INT(CG("0::\n"), -EINVAL);
        CHECK_EQ_INT(CG("0::/0123456789012345678901234567890123456789012345678901234567890123\n"),
                     -ENAMETOOLONG);
#undef CG

#define UNIT(p) procfs_cgroup_unit((p), unit, sizeof(unit))
        CHECK_EQ_INT(UNIT("/system.slice/ssh.service"), 11);
        CHECK_STREQ(unit, "ssh.service");
        CHECK_EQ_INT(UNIT("/system.slice/app.service/worker"), 11);
        CHECK_STREQ(unit, "app.service");
        CHECK_EQ_INT(UNIT("/init.scope"), 10);
        CHECK_STREQ(unit, "init.scope");
        CHECK_EQ_INT(UNIT("/user.slice/user-1000.slice/session-3.scope"), 15);
        CHECK_STREQ(unit, "session-3.scope");
        CHECK_EQ_INT(UNIT("/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope"), 17);
        CHECK_STREQ(unit, "user@1000.service");
        CHECK_EQ_INT(UNIT("/system.slice/system-getty.slice/getty@tty1.service"), 18);
        CHECK_STREQ(unit, "getty@tty1.service");
        CHECK_EQ_INT(UNIT("/system.slice/var-lib.mount"), 13);
        CHECK_EQ_INT(UNIT("//system.slice//x.socket/"), 8);
        CHECK_STREQ(unit, "x.socket");
        CHECK_EQ_INT(UNIT("/"), -ENXIO);
        CHECK_EQ_INT(UNIT(""), -ENXIO);
        CHECK_EQ_INT(UNIT("/system.slice"), -ENXIO);
        CHECK_EQ_INT(UNIT("/process_api/a3a30c251840d080b16472942dd70c98"), -ENXIO);
        CHECK_EQ_INT(UNIT("/docker/abc/x.service"), -ENXIO); /* not first after the slices */
        CHECK_EQ_INT(UNIT("/.service"), -ENXIO);             /* nothing before the suffix */
        CHECK_EQ_INT(procfs_cgroup_unit("/toolong.service", unit, 8), -ENAMETOOLONG);
#undef UNIT
}

static void test_cmdline_join(void) {
        char a[] = "ls\0-l\0/tmp\0";
        char b[] = "\0\0";
        char c[] = "setproctitle: no NULs";

        CHECK_EQ_U64(procfs_cmdline_join(a, sizeof(a) - 1), 10);
        CHECK_STREQ(a, "ls -l /tmp");
        CHECK_EQ_U64(procfs_cmdline_join(b, 2), 0);
        CHECK_STREQ(b, "");
        CHECK_EQ_U64(procfs_cmdline_join(c, strlen(c)), strlen("setproctitle: no NULs"));
}

static int read_fixture(int fd, pid_t pid) {
        memset(&info, 0x5a, sizeof(info));
        return procfs_read(fd, pid, PROC_INFO_ALL, &info);
}

static void test_fixture_hostile(void) {
        int fd = test_open_data_dir("proc-hostile/proc");

        CHECK_EQ_INT(read_fixture(fd, 1), 0);
        CHECK_EQ_U64(info.have, PROC_INFO_ALL);
        CHECK_STREQ(info.stat.comm, "systemd");
        CHECK_STREQ(info.exe, "/usr/lib/systemd/systemd");
        CHECK_STREQ(info.cmdline, "/sbin/init splash");
        CHECK_STREQ(info.cgroup, "/init.scope");
        CHECK_STREQ(info.unit, "init.scope");

        /* kthreadd: no exe (ENOENT), no mm, Kthread: 1, PF_KTHREAD. */
        CHECK_EQ_INT(read_fixture(fd, 2), 0);
        CHECK_EQ_U64(info.have, PROC_INFO_ALL & ~PROC_INFO_EXE);
        CHECK_EQ_INT(info.exe_error, -ENOENT);
        CHECK(info.stat.flags & PROC_PF_KTHREAD);
        CHECK(info.status.kthread);
        CHECK(!info.status.has_mm);
        CHECK_STREQ(info.cmdline, "");
        CHECK_EQ_U64(info.cmdline_len, 0);
        CHECK_STREQ(info.unit, "");

        CHECK_EQ_INT(read_fixture(fd, 100), 0);
        CHECK_STREQ(info.stat.comm, "a) Z 1");
        CHECK_EQ_INT(info.stat.state, 'S');
        CHECK_EQ_INT(info.stat.ppid, 1);
        CHECK_STREQ(info.cmdline, "hostile --name a) Z 1");
        CHECK_EQ_INT(info.status.uid[1], 1000);
        CHECK_STREQ(info.unit, "session-3.scope");

        /* A newline and a fake "Uid:" in the name: stat has it raw, status
         * escaped, so neither is fooled. */
        CHECK_EQ_INT(read_fixture(fd, 101), 0);
        CHECK_STREQ(info.stat.comm, "evil\nUid:\t0");
        CHECK_EQ_INT(info.status.uid[0], 1000);
        CHECK_STREQ(info.cmdline, "evil line1\nline2");

        /* A 5 kB cmdline: cut at PROC_CMDLINE_MAX - 1 and flagged. */
        CHECK_EQ_INT(read_fixture(fd, 102), 0);
        CHECK(info.cmdline_truncated);
        CHECK_EQ_U64(info.cmdline_len, PROC_CMDLINE_MAX - 1);
        CHECK_EQ_U64(strlen(info.cmdline), PROC_CMDLINE_MAX - 1);
        CHECK(strncmp(info.cmdline, "java -Xmx4g -Dpadding=xxx", 25) == 0);
        CHECK(!strstr(info.cmdline, "--marker-past-4k"));
        CHECK_EQ_U64(info.status.rss_anon_kb, 409600);
        CHECK_EQ_U64(info.status.vm_swap_kb, 8192);
        CHECK_STREQ(info.unit, "app.service");

        /* An exe that cannot be read as a link. */
        CHECK_EQ_INT(read_fixture(fd, 103), 0);
        CHECK(!(info.have & PROC_INFO_EXE));
        CHECK_EQ_INT(info.exe_error, -EINVAL);
        CHECK_STREQ(info.stat.comm, "secret");

        /* A binary replaced by an upgrade: " (deleted)" is stripped. */
        CHECK_EQ_INT(read_fixture(fd, 104), 0);
        ASSERT(info.have & PROC_INFO_EXE); /* a dangling link: the checkout must keep it */
        CHECK_STREQ(info.exe, "/usr/sbin/sshd");
        CHECK(info.exe_deleted);
        CHECK_STREQ(info.unit, "ssh.service");
        CHECK_STREQ(info.cmdline, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");

        CHECK_EQ_INT(read_fixture(fd, 105), 0);
        CHECK_EQ_INT(info.oom_score_adj, -1000);
        CHECK_EQ_U64(info.oom_score, 0);

        CHECK_EQ_INT(read_fixture(fd, 106), 0);
        CHECK_EQ_INT(info.stat.state, 'Z');
        CHECK(!info.status.has_mm);
        CHECK_EQ_INT(info.exe_error, -ENOENT);

        /* A forged second "0::" line: the cgroup is refused, the rest read. */
        CHECK_EQ_INT(read_fixture(fd, 107), 0);
        CHECK(!(info.have & PROC_INFO_CGROUP));
        CHECK_EQ_INT(info.cgroup_error, -EINVAL);
        CHECK(info.have & PROC_INFO_EXE);

        CHECK_EQ_INT(read_fixture(fd, 108), 0);
        CHECK_STREQ(info.unit, "user@1000.service");

        CHECK_EQ_INT(read_fixture(fd, 109), 0);
        CHECK_STREQ(info.stat.comm, "kworker/u8:3-events_unbound");
        CHECK_EQ_INT(info.stat.ppid, 2);

        CHECK_EQ_INT(read_fixture(fd, 112), 0);
        CHECK_STREQ(info.cgroup, "/system.slice/legacy.service");
        CHECK_STREQ(info.unit, "legacy.service");

        /* Only what is asked for is read. */
        memset(&info, 0, sizeof(info));
        CHECK_EQ_INT(procfs_read(fd, 100, PROC_INFO_CMDLINE, &info), 0);
        CHECK_EQ_U64(info.have, PROC_INFO_STAT | PROC_INFO_CMDLINE);

        CHECK_EQ_INT(procfs_read(fd, 999, PROC_INFO_ALL, &info), -ESRCH);
        CHECK_EQ_INT(procfs_read(fd, 0, PROC_INFO_ALL, &info), -EINVAL);
        CHECK_EQ_INT(procfs_open_pid(fd, 999), -ESRCH);

        /* The directory-fd readers. */
        int pfd = procfs_open_pid(fd, 100);
        int adj = 1;
        unsigned score = 0;
        CHECK(pfd >= 0);
        CHECK_EQ_INT(procfs_read_stat(pfd, &st), 0);
        CHECK_STREQ(st.comm, "a) Z 1");
        CHECK_EQ_INT(procfs_read_status(pfd, &ss), 0);
        CHECK_EQ_INT(procfs_read_oom_score_adj(pfd, &adj), 0);
        CHECK_EQ_INT(adj, 0);
        CHECK_EQ_INT(procfs_read_oom_score(pfd, &score), 0);
        CHECK_EQ_INT(score, 666);
        CHECK_EQ_INT(procfs_read_at(pfd, PROC_INFO_ALL, &info), 0);
        CHECK_STREQ(info.exe, "/usr/bin/hostile");
        close(pfd);
        close(fd);
}

static void test_fixture_host(void) {
        int fd = test_open_data_dir("proc-host-6.18/proc");

        /* PID 1 of this VM: exe not readable even for root (a container's
         * init), a hybrid cgroup hierarchy. */
        CHECK_EQ_INT(read_fixture(fd, 1), 0);
        CHECK_STREQ(info.stat.comm, "process_api");
        CHECK(!(info.have & PROC_INFO_EXE));
        CHECK_STREQ(info.cgroup, "/");
        CHECK_STREQ(info.unit, "");
        CHECK_EQ_U64(info.status.vm_rss_kb, 15644);
        CHECK_EQ_U64(info.status.rss_anon_kb + info.status.rss_file_kb + info.status.rss_shmem_kb, 15644);
        CHECK(strncmp(info.cmdline, "/process_api --firecracker-init ", 32) == 0);

        CHECK_EQ_INT(read_fixture(fd, 10), 0);
        CHECK_STREQ(info.stat.comm, "kworker/0:0H-events_highpri");
        CHECK_EQ_INT(info.stat.state, 'I');
        CHECK_EQ_INT(info.stat.nice, -20);
        CHECK(info.stat.flags & PROC_PF_KTHREAD);
        CHECK(!info.status.has_mm);

        CHECK_EQ_INT(read_fixture(fd, 26448), 0);
        CHECK_STREQ(info.stat.comm, "sleep");
        CHECK_STREQ(info.exe, "/usr/bin/sleep");
        CHECK_STREQ(info.cmdline, "sleep 300");
        CHECK_EQ_U64(info.stat.start_time, 157390);
        CHECK_EQ_U64(info.status.vm_pte_kb, 44);
        CHECK_EQ_INT(info.oom_score_adj, 0);
        CHECK_EQ_INT(info.oom_score, 666);
        close(fd);
}

/* A child that renames itself to a hostile name and waits. */
static pid_t spawn_named(const char *name, int *ret_pipe) {
        int p[2];
        pid_t pid;

        ASSERT(pipe(p) == 0);
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                char c;

                close(p[1]);
                prctl(PR_SET_NAME, name);
                (void) !read(p[0], &c, 1); /* until the parent closes */
                _exit(0);
        }
        close(p[0]);
        *ret_pipe = p[1];
        return pid;
}

static void test_real(void) {
        int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int w, pid_fd;
        pid_t pid;

        ASSERT(proc_fd >= 0);

        /* Our own process, fully. */
        CHECK_EQ_INT(procfs_read(proc_fd, getpid(), PROC_INFO_ALL, &info), 0);
        CHECK_EQ_INT(info.stat.pid, getpid());
        CHECK_EQ_INT(info.stat.ppid, getppid());
        CHECK_EQ_INT(info.status.ppid, getppid());
        CHECK_EQ_INT(info.status.uid[1], geteuid());
        CHECK(info.status.has_mm);
        CHECK(info.have & PROC_INFO_EXE);
        CHECK(strstr(info.exe, "test-procfs") != NULL);

        /* Names the kernel holds raw in stat and escapes in status. */
        static const char *const names[] = { "a) Z 1", "x\nUid:\t0", ")", "(", "a b) R 1 2 3" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                pid = spawn_named(names[i], &w);
                usleep(20000);
                CHECK_EQ_INT(procfs_read(proc_fd, pid, PROC_INFO_ALL, &info), 0);
                CHECK_STREQ(info.stat.comm, names[i]);
                CHECK_EQ_INT(info.stat.ppid, getpid());
                CHECK_EQ_INT(info.status.ppid, getpid());
                CHECK_EQ_INT(info.status.uid[0], getuid());
                close(w);
                waitpid(pid, NULL, 0);
        }

        /* A /proc/PID directory fd stays bound to its process: after it is
         * reaped, reads through it fail with ESRCH. */
        pid = spawn_named("bound", &w);
        usleep(20000);
        pid_fd = procfs_open_pid(proc_fd, pid);
        CHECK(pid_fd >= 0);
        CHECK_EQ_INT(procfs_read_stat(pid_fd, &st), 0);
        CHECK_STREQ(st.comm, "bound");
        close(w);
        waitpid(pid, NULL, 0);
        CHECK_EQ_INT(procfs_read_stat(pid_fd, &st), -ESRCH);
        CHECK_EQ_INT(procfs_read_at(pid_fd, PROC_INFO_ALL, &info), -ESRCH);
        CHECK_EQ_INT(procfs_read(proc_fd, pid, 0, &info), -ESRCH);
        close(pid_fd);

        /* Another user's exe: EACCES for an unprivileged reader (uid 65534
         * reading PID 1's), and the rest of the process still reads. */
        if (geteuid() == 0) {
                pid = fork();
                ASSERT(pid >= 0);
                if (pid == 0) {
                        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                                _exit(99);
                        if (procfs_read(proc_fd, 1, PROC_INFO_EXE | PROC_INFO_STATUS, &info) < 0)
                                _exit(98);
                        _exit(!(info.have & PROC_INFO_EXE) && info.exe_error == -EACCES ? 0 : 1);
                }
                int status;
                ASSERT(waitpid(pid, &status, 0) == pid);
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        } else
                printf("skip: reading another user's exe as uid 65534 needs root\n");

        close(proc_fd);
}

static void test_oom_score_adj_literals(void) {
        int v = 7;

        CHECK_EQ_INT(procfs_parse_oom_score_adj("-900\n", &v), 0);
        CHECK_EQ_INT(v, -900);
        CHECK_EQ_INT(procfs_parse_oom_score_adj("1000", &v), 0);
        CHECK_EQ_INT(v, 1000);
        v = 7;
        CHECK_EQ_INT(procfs_parse_oom_score_adj("1001\n", &v), -ERANGE);
        CHECK_EQ_INT(procfs_parse_oom_score_adj("-1001\n", &v), -ERANGE);
        CHECK_EQ_INT(procfs_parse_oom_score_adj("99999999999999999999\n", &v), -ERANGE);
        CHECK_EQ_INT(procfs_parse_oom_score_adj("", &v), -EINVAL);
        CHECK_EQ_INT(procfs_parse_oom_score_adj("12 \n", &v), -EINVAL);
        CHECK_EQ_INT(procfs_parse_oom_score_adj("x", &v), -EINVAL);
        CHECK_EQ_INT(v, 7);
}

int main(void) {
        test_oom_score_adj_literals();
        test_stat_literals();
        test_status_literals();
        test_cgroup_literals();
        test_cmdline_join();
        test_fixture_hostile();
        test_fixture_host();
        test_real();
        return test_result("test-procfs");
}
