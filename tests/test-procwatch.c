/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The proc connector. First the parser on datagrams built here (exec, comm,
 * fork, exit, acks, thread events, foreign connector ids, truncated and
 * batched messages, the event mask). Then, when the connector is usable
 * (root, or CAP_NET_ADMIN before 6.6; the initial namespaces), live: a process
 * this test execs gets its score from the exec event within a bound, a rename
 * is seen, a forged message from another socket is ignored, and an overflowing
 * buffer is reported as lost events. Without the connector: exit 77. */
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "macro.h"
#include "procadj.h"
#include "procrules.h"
#include "procwatch.h"
#include "test-util.h"

/* A generous bound for exec-to-score on a shared, loaded test machine; the
 * benchmark measures the real figure (tens of microseconds). */
#define EXEC_TO_SCORE_BOUND_USEC (200 * 1000)

typedef struct Collected {
        ProcWatchEvent ev[64];
        unsigned n;
} Collected;

static int collect(const ProcWatchEvent *ev, void *userdata) {
        Collected *c = userdata;

        if (c->n < ELEMENTSOF(c->ev))
                c->ev[c->n] = *ev;
        c->n++;
        return 0;
}

static int stop_cb(const ProcWatchEvent *ev, void *userdata) {
        return -ECANCELED;
}

/* Appends one connector message to buf at *off. */
static void put_msg(uint8_t *buf, size_t *off, uint16_t type, uint32_t idx, const struct proc_event *pe,
                    size_t ev_len) {
        struct nlmsghdr nh = {
                .nlmsg_len = (uint32_t) NLMSG_LENGTH(sizeof(struct cn_msg) + ev_len),
                .nlmsg_type = type,
        };
        struct cn_msg cn = { .id = { .idx = idx, .val = CN_VAL_PROC }, .len = (uint16_t) ev_len };

        memcpy(buf + *off, &nh, sizeof(nh));
        memcpy(buf + *off + NLMSG_HDRLEN, &cn, sizeof(cn));
        memcpy(buf + *off + NLMSG_HDRLEN + sizeof(cn), pe, ev_len);
        *off += NLMSG_ALIGN(nh.nlmsg_len);
}

/* The exit event's status: a death by SIGKILL (the low 7 bits) is what an
 * OOM kill looks like; an exit(3) is status << 8; an event too short to
 * hold the status says nothing. */
static void test_parse_exit_code(void) {
        uint8_t buf[1024] __attribute__((aligned(8))) = {};
        struct proc_event pe = { .what = PROC_EVENT_EXIT, .timestamp_ns = 5000 };
        Collected c = {};
        size_t off = 0;

        pe.event_data.exit.process_pid = 300;
        pe.event_data.exit.process_tgid = 300;
        pe.event_data.exit.exit_code = 9;
        pe.event_data.exit.exit_signal = 17;
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));
        pe.event_data.exit.exit_code = 3 << 8; /* exit(3) */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));
        pe.event_data.exit.exit_code = 0x80 | 6; /* SIGABRT, core dumped */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));
        pe.event_data.exit.exit_code = 9; /* too short to carry it */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe,
                offsetof(struct proc_event, event_data) + offsetof(struct exit_proc_event, exit_code));

        CHECK_EQ_INT(procwatch_parse(buf, off, PROC_WATCH_TRACK_MASK, collect, &c), 4);
        CHECK(c.ev[0].has_exit_code);
        CHECK_EQ_INT(procwatch_exit_signal(&c.ev[0]), 9);
        CHECK_EQ_INT(procwatch_exit_signal(&c.ev[1]), 0);
        CHECK_EQ_INT(procwatch_exit_signal(&c.ev[2]), 6);
        CHECK(!c.ev[3].has_exit_code);
        CHECK_EQ_INT(procwatch_exit_signal(&c.ev[3]), 0);
        c.ev[0].type = PROC_WATCH_EXEC; /* only exits have one */
        CHECK_EQ_INT(procwatch_exit_signal(&c.ev[0]), 0);
}

static void test_parse(void) {
        uint8_t buf[4096] __attribute__((aligned(8))) = {};
        struct proc_event pe;
        Collected c = {};
        size_t off = 0;
        const unsigned all = PROC_WATCH_MASK(PROC_WATCH_EXEC) | PROC_WATCH_MASK(PROC_WATCH_COMM) |
                             PROC_WATCH_MASK(PROC_WATCH_FORK) | PROC_WATCH_MASK(PROC_WATCH_EXIT);

        pe = (struct proc_event) { .what = PROC_EVENT_EXEC, .cpu = 1, .timestamp_ns = 123456789 };
        pe.event_data.exec.process_pid = 4242;
        pe.event_data.exec.process_tgid = 4242;
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));

        pe = (struct proc_event) { .what = PROC_EVENT_COMM };
        pe.event_data.comm.process_pid = 77;
        pe.event_data.comm.process_tgid = 77;
        memcpy(pe.event_data.comm.comm, "a) Z 1\nxxxxxxxxx", 16); /* 16 bytes, no NUL */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));

        pe.event_data.comm.process_pid = 78; /* a thread's rename: dropped */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));

        pe = (struct proc_event) { .what = PROC_EVENT_FORK };
        pe.event_data.fork.parent_tgid = 1;
        pe.event_data.fork.child_pid = 90;
        pe.event_data.fork.child_tgid = 90;
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));
        pe.event_data.fork.child_pid = 91; /* a new thread: dropped */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));

        pe = (struct proc_event) { .what = PROC_EVENT_EXIT };
        pe.event_data.exit.process_pid = 92;
        pe.event_data.exit.process_tgid = 90;
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));

        pe = (struct proc_event) { .what = PROC_EVENT_NONE }; /* an ack */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));
        pe = (struct proc_event) { .what = PROC_EVENT_UID };
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));

        pe = (struct proc_event) { .what = PROC_EVENT_EXEC };
        pe.event_data.exec.process_pid = 5;
        pe.event_data.exec.process_tgid = 5;
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC + 1, &pe, sizeof(pe)); /* another connector */
        put_msg(buf, &off, NLMSG_NOOP, CN_IDX_PROC, &pe, sizeof(pe));
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe,
                offsetof(struct proc_event, event_data) + 4); /* short */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe,
                offsetof(struct proc_event, event_data) + 8); /* exact */
        pe.event_data.exec.process_tgid = 0;                  /* pid 0 */
        put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));

        CHECK_EQ_INT(procwatch_parse(buf, off, all, collect, &c), 5);
        CHECK_EQ_INT(c.n, 5);
        CHECK_EQ_INT(c.ev[0].type, PROC_WATCH_EXEC);
        CHECK_EQ_INT(c.ev[0].pid, 4242);
        CHECK_EQ_INT(c.ev[0].cpu, 1);
        CHECK_EQ_U64(c.ev[0].timestamp_nsec, 123456789);
        CHECK_EQ_INT(c.ev[1].type, PROC_WATCH_COMM);
        CHECK_EQ_INT(c.ev[1].pid, 77);
        CHECK_STREQ(c.ev[1].comm, "a) Z 1\nxxxxxxxx"); /* NUL terminated at 15 */
        CHECK_EQ_INT(c.ev[2].type, PROC_WATCH_FORK);
        CHECK_EQ_INT(c.ev[2].pid, 90);
        CHECK_EQ_INT(c.ev[2].parent, 1);
        CHECK_EQ_INT(c.ev[3].type, PROC_WATCH_EXIT);
        CHECK_EQ_INT(c.ev[3].pid, 90);
        CHECK_EQ_INT(c.ev[3].tid, 92);
        CHECK_EQ_INT(c.ev[4].type, PROC_WATCH_EXEC); /* exactly as long as an exec event */
        CHECK_EQ_INT(c.ev[4].pid, 5);

        /* The mask selects. */
        c = (Collected) {};
        CHECK_EQ_INT(procwatch_parse(buf, off, PROC_WATCH_DEFAULT_MASK, collect, &c), 3);
        CHECK_EQ_INT(c.ev[0].type, PROC_WATCH_EXEC);
        CHECK_EQ_INT(c.ev[1].type, PROC_WATCH_COMM);
        CHECK_EQ_INT(c.ev[2].type, PROC_WATCH_EXEC);

        /* Truncated datagrams: never read past the end. */
        for (size_t cut = 0; cut < 200; cut++) {
                c = (Collected) {};
                CHECK(procwatch_parse(buf, cut, all, collect, &c) >= 0);
        }
        /* A cn_msg claiming more than the netlink message holds. */
        {
                uint8_t bad[256] __attribute__((aligned(8))) = {};
                size_t o = 0;
                struct cn_msg cn;

                pe = (struct proc_event) { .what = PROC_EVENT_EXEC };
                pe.event_data.exec.process_tgid = 9;
                put_msg(bad, &o, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));
                memcpy(&cn, bad + NLMSG_HDRLEN, sizeof(cn));
                cn.len = 200;
                memcpy(bad + NLMSG_HDRLEN, &cn, sizeof(cn));
                c = (Collected) {};
                CHECK_EQ_INT(procwatch_parse(bad, o, all, collect, &c), 0);
        }

        /* The callback's error stops the parse. */
        CHECK_EQ_INT(procwatch_parse(buf, off, all, stop_cb, NULL), -ECANCELED);
}

static uint64_t now_nsec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

typedef struct Live {
        ProcRules *pr;
        pid_t want;
        bool scored;
        bool renamed;
        char new_comm[16];
        uint64_t exec_to_score_nsec;
        ProcOutcome outcome;
        unsigned lost;
} Live;

static int on_event(const ProcWatchEvent *ev, void *userdata) {
        Live *l = userdata;

        if (ev->type == PROC_WATCH_LOST) {
                l->lost++;
                return 0;
        }
        if (ev->pid != l->want)
                return 0;
        if (ev->type == PROC_WATCH_EXEC && !l->scored) {
                int r = procrules_apply_pid(l->pr, ev->pid, &l->outcome);
                if (r < 0)
                        return r;
                l->exec_to_score_nsec = now_nsec() - ev->timestamp_nsec;
                l->scored = true;
        }
        if (ev->type == PROC_WATCH_COMM) {
                l->renamed = true;
                memcpy(l->new_comm, ev->comm, sizeof(l->new_comm));
        }
        return 0;
}

static void pump(ProcWatch *w, Live *l, bool *done, int timeout_msec) {
        uint64_t deadline = now_nsec() + (uint64_t) timeout_msec * 1000000;

        while (!*done && now_nsec() < deadline) {
                struct pollfd p = { .fd = procwatch_fd(w), .events = POLLIN };

                if (poll(&p, 1, 50) > 0)
                        CHECK(procwatch_receive(w, on_event, l) >= 0);
        }
}

static int adj_of(pid_t pid) {
        char path[64], buf[32] = "";
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return INT32_MIN;
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = 0;
        fclose(f);
        return atoi(buf);
}

static void test_live(ProcWatch *w) {
        ProcessRule rule = { .name = (char *) "from-exec", .oom_score_adj = 321 };
        _cleanup_(procrules_freep) ProcRules *pr = NULL;
        int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        Live l = {};
        pid_t pid;

        ASSERT(proc_fd >= 0);
        ASSERT(regcomp(&rule.match.cmdline_re, "^memtuned-test-procwatch", REG_EXTENDED | REG_NOSUB) == 0);
        rule.match.cmdline = (char *) "^memtuned-test-procwatch";
        rule.match.has_cmdline_re = true;
        ASSERT(procrules_new(proc_fd, getpid(), 0, &pr) == 0);
        ASSERT(procrules_set_rules(pr, &rule, 1) == 0);
        l.pr = pr;

        printf("connector: receive buffer %zu bytes, kernel-side filter %s\n", procwatch_rcvbuf(w),
               procwatch_filtered(w) ? "yes" : "no");
        CHECK(procwatch_rcvbuf(w) >= 1024 * 1024 || geteuid() != 0);

        /* exec -> event -> score. */
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                execl("/bin/sleep", "memtuned-test-procwatch", "30", (char *) NULL);
                _exit(127);
        }
        l.want = pid;
        pump(w, &l, &l.scored, 5000);
        CHECK(l.scored);
        CHECK_EQ_INT(l.outcome.verdict, PROC_VERDICT_APPLY);
        CHECK_EQ_INT(l.outcome.result, PROCADJ_WRITTEN);
        CHECK_EQ_INT(adj_of(pid), 321);
        printf("exec to score: %.1f us (bound %u us)\n", l.exec_to_score_nsec / 1000.0,
               EXEC_TO_SCORE_BOUND_USEC);
        CHECK(l.exec_to_score_nsec <= (uint64_t) EXEC_TO_SCORE_BOUND_USEC * 1000);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);

        /* A rename of the main thread. */
        int go[2];
        ASSERT(pipe(go) == 0);
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                char ch;

                close(go[1]);
                prctl(PR_SET_NAME, "renamed) x");
                (void) !read(go[0], &ch, 1);
                _exit(0);
        }
        close(go[0]);
        l.want = pid;
        pump(w, &l, &l.renamed, 5000);
        CHECK(l.renamed);
        CHECK_STREQ(l.new_comm, "renamed) x");
        close(go[1]);
        waitpid(pid, NULL, 0);

        /* Anyone may send to our port: such a message is not an event. */
        {
                struct sockaddr_nl me = {}, to = { .nl_family = AF_NETLINK };
                socklen_t sl = sizeof(me);
                uint8_t buf[256] __attribute__((aligned(8))) = {};
                struct proc_event pe = { .what = PROC_EVENT_EXEC };
                size_t off = 0;
                int s;
                Collected c = {};

                ASSERT(getsockname(procwatch_fd(w), (struct sockaddr *) &me, &sl) == 0);
                to.nl_pid = me.nl_pid;
                pe.event_data.exec.process_pid = pe.event_data.exec.process_tgid = 999999;
                put_msg(buf, &off, NLMSG_DONE, CN_IDX_PROC, &pe, sizeof(pe));
                s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
                ASSERT(s >= 0);
                if (sendto(s, buf, off, 0, (struct sockaddr *) &to, sizeof(to)) == (ssize_t) off) {
                        usleep(20000);
                        while (procwatch_receive(w, collect, &c) > 0)
                                ;
                        for (unsigned i = 0; i < MIN(c.n, (unsigned) ELEMENTSOF(c.ev)); i++)
                                CHECK(c.ev[i].pid != 999999);
                } else
                        printf("forged unicast refused by the kernel (%m): nothing to filter\n");
                close(s);
        }

        /* Overflow: shrink the buffer, exec a burst without reading, and the
         * next receive reports lost events. */
        {
                int small = 1; /* the kernel rounds up to its minimum */
                Live quiet = { .pr = pr, .want = -1 };
                pid_t kids[300];
                uint64_t lost_before = procwatch_lost_count(w);

                ASSERT(setsockopt(procwatch_fd(w), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) == 0);
                for (size_t i = 0; i < ELEMENTSOF(kids); i++) {
                        kids[i] = fork();
                        if (kids[i] == 0) {
                                execl("/bin/true", "true", (char *) NULL);
                                _exit(127);
                        }
                }
                for (size_t i = 0; i < ELEMENTSOF(kids); i++)
                        if (kids[i] > 0)
                                waitpid(kids[i], NULL, 0);
                while (procwatch_receive(w, on_event, &quiet) > 0)
                        ;
                CHECK(quiet.lost >= 1);
                CHECK(procwatch_lost_count(w) > lost_before);
                printf("burst into a tiny buffer: lost-event reports %u\n", quiet.lost);
        }

        regfree(&rule.match.cmdline_re);
        close(proc_fd);
}

int main(void) {
        _cleanup_(procwatch_freep) ProcWatch *w = NULL;
        int r;

        test_parse();
        test_parse_exit_code();
        if (test_failures)
                return test_result("test-procwatch");

        r = procwatch_open(PROC_WATCH_DEFAULT_MASK, &w);
        if (r < 0) {
                printf("skip: the proc connector is not available here (%s): the live part needs root "
                       "(CAP_NET_ADMIN before Linux 6.6) in the initial namespaces\n",
                       strerror(-r));
                return test_failures ? 1 : 77;
        }
        test_live(w);
        return test_result("test-procwatch");
}
