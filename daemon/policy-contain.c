/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scratch buffers and the contained pre-parse: each file is parsed first in a
 * forked child under resource limits (policy.c explains why). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "policy-internal.h"
#include "units.h"

/* ---- scratch buffers ------------------------------------------------------------------------- */

/* Maps size bytes of zeroed memory. Returns 0 or -ENOMEM. */
int scratch_new(Scratch *s, size_t size) {
        void *p;

        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return -ENOMEM;
        *s = (Scratch) { .p = p, .size = size };
        return 0;
}

/* Unmaps s (SCRATCH_NULL is fine) and leaves SCRATCH_NULL; for _cleanup_. */
void scratch_done(Scratch *s) {
        if (s->p)
                (void) munmap(s->p, s->size);
        *s = SCRATCH_NULL;
}

/* ---- the contained pre-parse ------------------------------------------------------------------ */

/* The address space this process maps now, from /proc/self/statm (the real
 * one: --proc-root may point at a fixture). 0 when unknown. */
static uint64_t address_space_bytes(void) {
        char buf[128];
        unsigned long long pages;
        ssize_t n;
        int fd;

        fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        if (sscanf(buf, "%llu", &pages) != 1)
                return 0;
        return (uint64_t) pages * (uint64_t) sysconf(_SC_PAGESIZE);
}

static void write_all(int fd, const void *buf, size_t n) {
        const char *p = buf;

        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        _exit(3);
                p += k;
                n -= (size_t) k;
        }
}

/* In the child: limits, then the same parse as the parent's, then the
 * verdict as records "E<message>\0" ... "D\0" on fd. Never returns. */
static _Noreturn void child_run(int fd, int stderr_fd, Policy *p, const char *path, const char *text,
                                const HostInfo *host, uint64_t as_limit) {
        PolicyErrors e = {};
        sigset_t all;
        struct rlimit rl;
        int r;

        /* The daemon blocks the signals sd-event handles; the limits below
         * must be able to kill. */
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGXCPU, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);

        rl = (struct rlimit) { 0, 0 };
        (void) setrlimit(RLIMIT_CORE, &rl);
        if (getrlimit(RLIMIT_CPU, &rl) == 0) {
                rlim_t soft = policy_parse_limits.cpu_seconds, hard = soft + 1;
                if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < hard)
                        hard = rl.rlim_max;
                rl = (struct rlimit) { MIN(soft, hard), hard };
                (void) setrlimit(RLIMIT_CPU, &rl);
        }
        if (as_limit > 0) {
                rl = (struct rlimit) { as_limit, as_limit };
                (void) setrlimit(RLIMIT_AS, &rl);
        }
        if (stderr_fd >= 0)
                (void) dup2(stderr_fd, STDERR_FILENO);

        r = file_apply(p, path, text, host, &e);
        if (r < 0)
                (void) strv_push(&e.messages, &e.n, format("%s: parsing failed: %s", path, strerror(-r)));
        for (size_t i = 0; i < e.n; i++) {
                write_all(fd, "E", 1);
                write_all(fd, e.messages[i], strlen(e.messages[i]) + 1);
        }
        write_all(fd, "D", 2);
        _exit(0);
}

/* The child's whole report: POLICY_ERRORS_PER_FILE_MAX messages of bounded
 * length (quoted values are cut) fit easily. */
#define CHILD_REPORT_MAX (256u * 1024u)

/* Reads the child's report from fd into report (up to CHILD_REPORT_MAX bytes)
 * until the child closes it, the deadline passes or the report is full.
 * Returns the bytes read; *ret_killed says whether the child must be
 * stopped (too slow, or too much output). */
static size_t report_read(int fd, char *report, uint64_t deadline, bool *ret_killed) {
        size_t n = 0;

        *ret_killed = false;
        for (;;) {
                uint64_t now = now_monotonic();
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t k;
                int r;

                if (now >= deadline) {
                        *ret_killed = true;
                        break;
                }
                r = poll(&pfd, 1, (int) MIN((deadline - now + 999) / 1000, (uint64_t) INT_MAX));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        break;
                if (r == 0)
                        continue;
                if (n >= CHILD_REPORT_MAX) {
                        *ret_killed = true;
                        break;
                }
                k = read(fd, report + n, CHILD_REPORT_MAX - n);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        return n;
}

/* Waits for pid. Returns true with its status, false when it cannot be
 * reaped (ECHILD: SIGCHLD is ignored and the kernel reaped it). */
static bool child_reap(pid_t pid, int *ret_status) {
        for (;;) {
                if (waitpid(pid, ret_status, 0) >= 0)
                        return true;
                if (errno != EINTR)
                        return false;
        }
}

/* Whether the report is whole: records "E<message>\0" for each error, then
 * "D\0" last. report[n] must be writable. */
static bool report_complete(char *report, size_t n) {
        report[n] = 0;
        for (size_t i = 0; i < n;) {
                size_t len = strnlen(report + i, n - i);

                if (i + len >= n)
                        return false; /* cut short */
                if (report[i] == 'D' && len == 1 && i + 2 == n)
                        return true;
                if (report[i] != 'E')
                        return false;
                i += len + 1;
        }
        return false;
}

/* Appends the error for a child that ended without a whole report or a zero
 * exit status: how it ended, and the first line it wrote to stderr_fd. */
static int push_child_failure(PolicyErrors *errors, const char *path, int stderr_fd, bool reaped,
                              int status) {
        char out[256] = "", how[64];

        if (stderr_fd >= 0) {
                ssize_t k = pread(stderr_fd, out, sizeof(out) - 1, 0);
                if (k > 0) {
                        out[k] = 0;
                        out[strcspn(out, "\n")] = 0;
                }
        }
        if (reaped && WIFSIGNALED(status))
                snprintf(how, sizeof(how), "was killed by signal %s", strsignal(WTERMSIG(status)) ?: "?");
        else if (reaped && WIFEXITED(status))
                snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
        else
                snprintf(how, sizeof(how), "ended without a verdict");
        return strv_push(&errors->messages, &errors->n,
                         format("%s: the parser %s%s%s%s: the file cannot be read safely", path, how,
                                out[0] ? " (" : "", out[0] ? QUOTED(out) : "", out[0] ? ")" : ""));
}

/* Parses and validates text in a forked child with the limits of
 * policy_parse_limits. Appends the child's errors, or one saying how it
 * failed. Returns 0 (check errors->n) or -ENOMEM. */
int contained_check(Policy *p, const char *path, const char *text, const HostInfo *host,
                    PolicyErrors *errors) {
        _cleanup_close_ int stderr_fd = -1;
        _cleanup_(scratch_done) Scratch buf = SCRATCH_NULL;
        char *report;
        int pipefd[2], status = 0;
        size_t n;
        bool killed, done, reaped;
        uint64_t as_limit = 0;
        pid_t pid;

        if (scratch_new(&buf, CHILD_REPORT_MAX + 1) < 0)
                return -ENOMEM;
        report = buf.p;

        uint64_t as = address_space_bytes();
        if (as > 0)
                as_limit = as + policy_parse_limits.as_headroom_bytes;

        /* libconfig prints its fatal errors before it exits; keep them. */
        stderr_fd = memfd_create("memtuned-policy-stderr", MFD_CLOEXEC);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return strv_push(&errors->messages, &errors->n,
                                 format("%s: cannot start the parser: %s", path, strerror(errno)));

        /* Whatever stdio holds would otherwise be written twice if libconfig
         * exit()s in the child. */
        fflush(NULL);

        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return strv_push(&errors->messages, &errors->n,
                                 format("%s: cannot start the parser: %s", path, strerror(e)));
        }
        if (pid == 0) {
                close(pipefd[0]);
                child_run(pipefd[1], stderr_fd, p, path, text, host, as_limit);
        }
        close(pipefd[1]);

        n = report_read(pipefd[0], report, now_monotonic() + policy_parse_limits.timeout_usec, &killed);
        close(pipefd[0]);
        if (killed)
                (void) kill(pid, SIGKILL);
        reaped = child_reap(pid, &status);
        done = report_complete(report, n);

        if (killed) {
                if (n >= CHILD_REPORT_MAX)
                        return strv_push(
                                &errors->messages, &errors->n,
                                format("%s: the parser produced too much output and was stopped", path));
                return strv_push(&errors->messages, &errors->n,
                                 format("%s: parsing took longer than %s and was stopped", path,
                                        FORMAT_DURATION(policy_parse_limits.timeout_usec)));
        }
        if (!done || (reaped && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)))
                return push_child_failure(errors, path, stderr_fd, reaped, status);

        for (size_t i = 0; i + 2 < n;) {
                size_t len = strlen(report + i);

                if (strv_push(&errors->messages, &errors->n, strdup(report + i + 1)) < 0)
                        return -ENOMEM;
                i += len + 1;
        }
        return 0;
}
