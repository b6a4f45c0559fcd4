/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor of memtuned's reaction to a PSI trigger, for bench/psi-reaction:
 * the same trigger as the daemon's (MANAGER_PSI_STALL_USEC of "some" stall in
 * MANAGER_PSI_WINDOW_USEC, on <proc>/pressure/memory), and on each wake the
 * least any decision needs: the clock, then one pread() of each file a sample
 * reads (vmstat, zoneinfo, meminfo, pressure/memory, the vm sysctls; the same
 * files and read sizes as bench-sample's floor) with their fds kept open.
 * Nothing is parsed, nothing decided, nothing written. Like the daemon
 * (caps_setup()), it asks for a SCHED_SLICE_NSEC scheduler slice, so both
 * wait for a CPU alike.
 *
 * Prints "ready N SLICE_US" (N: the files it reads; SLICE_US: the slice it
 * got, 0 for the kernel's default) once the trigger is armed, then one line
 * per wake:
 *   wake WAKE_USEC read READ_NS preempted N
 * WAKE_USEC is CLOCK_MONOTONIC right after epoll_wait() returned (memtuned
 * stamps its own wakes the same way, sd_event_now()); READ_NS is from there
 * to the last pread() done; N is the times it was preempted meanwhile (as
 * memtuned's debug line counts its tick's). Runs until SIGTERM or SIGINT. Not run by make
 * check, nor by bench/run directly. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "macro.h"
#include "manager.h"
#include "parse.h"
#include "psi.h"
#include "sample.h"
#include "schedslice.h"

/* Warm-up reads through the sampler, so that its buffers reach the size the
 * daemon's reach: the floor reads with the same counts (the kernel sizes a
 * sysctl's buffer from the count asked for). */
#define WARMUP_READS 10

static uint64_t arg_stall_usec = MANAGER_PSI_STALL_USEC;
static uint64_t arg_window_usec = MANAGER_PSI_WINDOW_USEC;
static const char *arg_proc_root = "/proc";

typedef struct FloorFile {
        int fd;
        size_t count;
        char *buf;
} FloorFile;

static FloorFile floor_files[4 + _TUNABLE_MAX];
static size_t n_floor_files;

static int floor_add(int proc_fd, const char *path, const ProcFile *like) {
        FloorFile *f = &floor_files[n_floor_files];

        if (like->fd < 0) /* the sampler does not read it either */
                return 0;
        f->count = like->size - 1; /* what procfile_read() asks for */
        f->buf = malloc(like->size);
        if (!f->buf)
                return -ENOMEM;
        f->fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0)
                return -errno;
        n_floor_files++;
        return 0;
}

static int floor_setup(int proc_fd) {
        _cleanup_free_ Sample *sample = NULL;
        const char *failed = NULL;
        Sampler sampler;
        int r;

        sample = malloc(sizeof(Sample));
        if (!sample)
                return -ENOMEM;
        r = sampler_open(&sampler, proc_fd, -1, &failed);
        if (r < 0) {
                fprintf(stderr, "Failed to open '%s/%s': %s\n", arg_proc_root, failed, strerror(-r));
                return r;
        }
        for (unsigned i = 0; i < WARMUP_READS && r >= 0; i++)
                r = sampler_read(&sampler, i, sample, &failed);
        if (r < 0) {
                fprintf(stderr, "Failed to read '%s/%s': %s\n", arg_proc_root, failed, strerror(-r));
                sampler_close(&sampler);
                return r;
        }

        r = floor_add(proc_fd, "vmstat", &sampler.vmstat);
        if (r >= 0)
                r = floor_add(proc_fd, "zoneinfo", &sampler.zoneinfo);
        if (r >= 0)
                r = floor_add(proc_fd, "meminfo", &sampler.meminfo);
        if (r >= 0)
                r = floor_add(proc_fd, "pressure/memory", &sampler.psi);
        for (TunableId id = 0; id < _TUNABLE_MAX && r >= 0; id++)
                r = floor_add(proc_fd, tunable_info(id)->path, &sampler.tunable[id]);
        sampler_close(&sampler);
        if (r < 0)
                fprintf(stderr, "Failed to set up the floor's files: %s\n", strerror(-r));
        return r;
}

static int floor_read(void) {
        for (size_t i = 0; i < n_floor_files; i++)
                if (pread(floor_files[i].fd, floor_files[i].buf, floor_files[i].count, 0) < 0)
                        return -errno;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "stall", required_argument, NULL, 's' },
                { "window", required_argument, NULL, 'w' },
                { "proc-root", required_argument, NULL, 'p' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hs:w:p:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: %s [--stall USEC] [--window USEC] [--proc-root DIR]\n"
                               "Waits on memtuned's PSI trigger (some %" PRIu64 " us in %" PRIu64 " us) and on each\n"
                               "wake pread()s the files a sample reads; prints \"wake WAKE_USEC read READ_NS\".\n",
                               program_invocation_short_name, (uint64_t) MANAGER_PSI_STALL_USEC,
                               (uint64_t) MANAGER_PSI_WINDOW_USEC);
                        return 0;
                case 's':
                case 'w': {
                        uint64_t v;

                        if (parse_u64_full(optarg, &v) < 0 || v == 0) {
                                fprintf(stderr, "Invalid --%s '%s'.\n", c == 's' ? "stall" : "window", optarg);
                                return -EINVAL;
                        }
                        *(c == 's' ? &arg_stall_usec : &arg_window_usec) = v;
                        break;
                }
                case 'p':
                        arg_proc_root = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument '%s'.\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_close_ int proc_fd = -1, trigger_fd = -1, epoll_fd = -1;
        struct epoll_event ev = { .events = EPOLLPRI };
        sigset_t mask;
        int r, sliced;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        /* Line by line: bench/psi-reaction reads the wakes as they come. */
        setvbuf(stdout, NULL, _IOLBF, 0);
        sliced = sched_slice_set(SCHED_SLICE_NSEC);

        proc_fd = open(arg_proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0) {
                fprintf(stderr, "Failed to open '%s': %m\n", arg_proc_root);
                return 1;
        }
        if (floor_setup(proc_fd) < 0)
                return 1;

        trigger_fd = psi_trigger_open(proc_fd, false, arg_stall_usec, arg_window_usec);
        if (trigger_fd < 0) {
                fprintf(stderr, "Failed to open the PSI trigger: %s\n", strerror(-trigger_fd));
                return 1;
        }
        epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, trigger_fd, &ev) < 0) {
                fprintf(stderr, "Failed to watch the PSI trigger: %m\n");
                return 1;
        }

        /* SIGTERM and SIGINT end epoll_wait() with EINTR through the default
         * action, which ends the process: nothing to clean up. */
        sigemptyset(&mask);
        (void) sigprocmask(SIG_SETMASK, &mask, NULL);

        printf("ready %zu %llu\n", n_floor_files, sliced < 0 ? 0ULL : (unsigned long long) SCHED_SLICE_NSEC / 1000);
        for (;;) {
                struct epoll_event got;
                struct rusage ru0, ru1;
                uint64_t wake_ns, done_ns;
                int n;

                n = epoll_wait(epoll_fd, &got, 1, -1);
                wake_ns = now_ns();
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "epoll_wait() failed: %m\n");
                        return 1;
                }
                if (got.events & EPOLLERR) {
                        fprintf(stderr, "The kernel dropped the PSI trigger.\n");
                        return 1;
                }
                (void) getrusage(RUSAGE_THREAD, &ru0);
                r = floor_read();
                done_ns = now_ns();
                (void) getrusage(RUSAGE_THREAD, &ru1);
                if (r < 0) {
                        fprintf(stderr, "pread() failed: %s\n", strerror(-r));
                        return 1;
                }
                printf("wake %" PRIu64 " read %" PRIu64 " preempted %ld\n", wake_ns / 1000, done_ns - wake_ns,
                       ru1.ru_nivcsw - ru0.ru_nivcsw);
        }
}
