/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cost of one full sample (sampler_read(): every reader and parser on the
 * real /proc) against the floor of only pread()ing the same files with their
 * fds kept open. The kernel's text generation dominates both; what the sample
 * adds on top of the floor is memtuned's own cost. Target: within 1.5x.
 *
 * The floor, the floor with procfile_read()'s end-of-file check, and the full
 * sample are measured in rotation (each going first in turn), so drift and
 * cache effects hit all alike. A second pass breaks the sample down per
 * file: one pread(), procfile_read(), and parsing alone from memory. Run by bench/run, which writes BENCHMARKS.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "macro.h"
#include "parse.h"
#include "sample.h"

/* 20,000 iterations at ~20-60 us each take ~0.5-1 s per measurement and give
 * a p99 backed by 200 samples. */
#define TARGET_RATIO 1.5
#define ITERATIONS_DEFAULT 20000u
#define WARMUP_ITERATIONS 500u

static unsigned arg_iterations = ITERATIONS_DEFAULT;
static const char *arg_proc_root = "/proc";
static bool arg_markdown = false;

typedef struct Stats {
        const char *name;
        uint64_t *ns; /* one duration per iteration */
        size_t n;
} Stats;

static int stats_init(Stats *s, const char *name, size_t n) {
        *s = (Stats) { .name = name, .ns = calloc(n, sizeof(uint64_t)) };
        return s->ns ? 0 : -ENOMEM;
}

static void stats_sort(Stats *s) {
        qsort(s->ns, s->n, sizeof(uint64_t), cmp_u64);
}

/* Nearest-rank percentile in microseconds; s must be sorted. */
static double pct_us(const Stats *s, double p) {
        size_t i;

        if (s->n == 0)
                return 0;
        i = (size_t) (p / 100.0 * (double) s->n);
        return (double) s->ns[MIN(i, s->n - 1)] / 1000.0;
}

/* The floor: the same files, opened once, one pread() each at offset 0 into a
 * buffer of the size the sampler uses (the kernel allocates a sysctl read's
 * buffer from the requested count, so the count must match). */
typedef struct FloorFile {
        const char *path;
        int fd;
        size_t count;
        char *buf;
} FloorFile;

typedef struct Floor {
        FloorFile file[4 + _TUNABLE_MAX];
        size_t n;
} Floor;

static int floor_add(Floor *f, int proc_fd, const char *path, const ProcFile *like) {
        FloorFile *ff = &f->file[f->n];

        if (like->fd < 0) /* the sampler does not read it either */
                return 0;
        ff->path = path;
        ff->count = like->size - 1; /* what procfile_read() asks for */
        ff->buf = malloc(like->size);
        if (!ff->buf)
                return -ENOMEM;
        ff->fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (ff->fd < 0)
                return -errno;
        f->n++;
        return 0;
}

static int floor_read(Floor *f) {
        for (size_t i = 0; i < f->n; i++)
                if (pread(f->file[i].fd, f->file[i].buf, f->file[i].count, 0) < 0)
                        return -errno;
        return 0;
}

/* The floor plus the check for end of file that procfile_read() makes: a
 * second pread() at the end, which returns 0. */
static int floor_read_eof(Floor *f) {
        for (size_t i = 0; i < f->n; i++) {
                ssize_t n = pread(f->file[i].fd, f->file[i].buf, f->file[i].count, 0);
                if (n < 0)
                        return -errno;
                if (pread(f->file[i].fd, f->file[i].buf + n, f->file[i].count - (size_t) n, n) < 0)
                        return -errno;
        }
        return 0;
}

/* One pread() is a floor only if it returns the whole file, as procfile_read()
 * does: a kernel that hands the text out in pieces would make it too low. */
static int floor_check(Floor *f, Sampler *s) {
        ProcFile *pf[4 + _TUNABLE_MAX];
        size_t k = 0;

        if (s->vmstat.fd >= 0)
                pf[k++] = &s->vmstat;
        if (s->zoneinfo.fd >= 0)
                pf[k++] = &s->zoneinfo;
        if (s->meminfo.fd >= 0)
                pf[k++] = &s->meminfo;
        if (s->psi.fd >= 0)
                pf[k++] = &s->psi;
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                if (s->tunable[i].fd >= 0)
                        pf[k++] = &s->tunable[i];
        if (k != f->n)
                return -EINVAL;

        for (size_t i = 0; i < f->n; i++) {
                const char *buf;
                size_t len;
                ssize_t n;
                int r;

                r = procfile_read(pf[i], &buf, &len);
                if (r < 0)
                        return r;
                n = pread(f->file[i].fd, f->file[i].buf, f->file[i].count, 0);
                if (n < 0)
                        return -errno;
                /* Counters move between the two reads; the length may differ
                 * by a few digits, not by a page. */
                if ((size_t) n + 64 < len) {
                        fprintf(stderr, "One pread() of '%s' returned %zd of %zu bytes: not a floor.\n",
                                f->file[i].path, n, len);
                        return -EIO;
                }
        }
        return 0;
}

static void print_row(const char *what, const Stats *s) {
        if (arg_markdown)
                printf("| %s | %.1f | %.1f | %.1f |\n", what, pct_us(s, 50), pct_us(s, 90), pct_us(s, 99));
        else
                printf("%-58s %9.1f %9.1f %9.1f\n", what, pct_us(s, 50), pct_us(s, 90), pct_us(s, 99));
}

static void print_header(const char *first) {
        if (arg_markdown)
                printf("| %s | p50 us | p90 us | p99 us |\n| --- | ---: | ---: | ---: |\n", first);
        else
                printf("%-58s %9s %9s %9s\n", first, "p50 us", "p90 us", "p99 us");
}

/* Per-file breakdown: pread once, procfile_read, parse from memory. */
typedef int (*ParseFn)(const char *buf, size_t len, void *ret);

static int parse_vmstat(const char *b, size_t n, void *o) { return vmstat_parse(b, n, o); }
static int parse_zoneinfo(const char *b, size_t n, void *o) { return zoneinfo_parse(b, n, o); }
static int parse_meminfo(const char *b, size_t n, void *o) { return meminfo_parse(b, n, o); }
static int parse_psi(const char *b, size_t n, void *o) { return psi_parse(b, n, o); }
static int parse_tunable(const char *b, size_t n, void *o) { return parse_u64_full(b, o); }

/* Times n files together (the vm sysctls are five small files): one pread()
 * each, procfile_read() each, and each parser on the text just read, already
 * in cache, so that the last is parsing alone. */
static int breakdown(const char *name, ProcFile *const *pf, const FloorFile *ff, size_t n, ParseFn parse,
                     void *out, unsigned iterations) {
        Stats st[3] = {};
        char label[3][80];
        int r;

        snprintf(label[0], sizeof(label[0]), "%s: one pread()", name);
        snprintf(label[1], sizeof(label[1]), "%s: procfile_read()", name);
        snprintf(label[2], sizeof(label[2]), "%s: parse", name);
        for (size_t k = 0; k < 3; k++) {
                r = stats_init(&st[k], label[k], iterations);
                if (r < 0)
                        return r;
        }

        for (unsigned i = 0; i < iterations; i++) {
                uint64_t t_pread = 0, t_read = 0, t_parse = 0;

                for (size_t j = 0; j < n; j++) {
                        const char *buf;
                        size_t len;
                        uint64_t t0, t1, t2, t3, t4;

                        t0 = now_ns();
                        if (pread(ff[j].fd, ff[j].buf, ff[j].count, 0) < 0)
                                return -errno;
                        t1 = now_ns();
                        r = procfile_read(pf[j], &buf, &len);
                        t2 = now_ns();
                        if (r < 0)
                                return r;
                        t3 = now_ns();
                        r = parse(buf, len, out);
                        t4 = now_ns();
                        if (r < 0)
                                return r;

                        t_pread += t1 - t0;
                        t_read += t2 - t1;
                        t_parse += t4 - t3;
                }
                st[0].ns[st[0].n++] = t_pread;
                st[1].ns[st[1].n++] = t_read;
                st[2].ns[st[2].n++] = t_parse;
        }

        for (size_t k = 0; k < 3; k++) {
                stats_sort(&st[k]);
                print_row(st[k].name, &st[k]);
                free(st[k].ns);
        }
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "iterations", required_argument, NULL, 'n' },
                { "proc-root", required_argument, NULL, 'p' },
                { "markdown", no_argument, NULL, 'm' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hn:p:m", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: %s [--iterations N] [--proc-root DIR] [--markdown]\n"
                               "Times sampler_read() against one pread() of each file it reads.\n",
                               program_invocation_short_name);
                        return 0;
                case 'n': {
                        uint64_t v;

                        if (parse_u64_full(optarg, &v) < 0 || v < 100 || v > 10000000) {
                                fprintf(stderr, "Invalid --iterations '%s': expected 100..10000000.\n", optarg);
                                return -EINVAL;
                        }
                        arg_iterations = (unsigned) v;
                        break;
                }
                case 'p':
                        arg_proc_root = optarg;
                        break;
                case 'm':
                        arg_markdown = true;
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
        _cleanup_free_ Sample *sample = NULL;
        _cleanup_close_ int proc_fd = -1;
        const char *failed = NULL;
        Stats floor_st, eof_st, sample_st;
        Sampler sampler;
        Floor fl = {};
        cpu_set_t cpus;
        int r, cpu;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        /* One CPU for the whole run: no migrations between the two sides. */
        cpu = sched_getcpu();
        if (cpu >= 0) {
                CPU_ZERO(&cpus);
                CPU_SET(cpu, &cpus);
                (void) sched_setaffinity(0, sizeof(cpus), &cpus);
        }

        proc_fd = open(arg_proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0) {
                fprintf(stderr, "Failed to open '%s': %m\n", arg_proc_root);
                return 1;
        }
        sample = malloc(sizeof(Sample));
        if (!sample)
                return 1;

        r = sampler_open(&sampler, proc_fd, -1, &failed);
        if (r < 0) {
                fprintf(stderr, "Failed to open '%s/%s': %s\n", arg_proc_root, failed, strerror(-r));
                return 1;
        }
        /* Warm up: buffers reach their final size, caches fill. */
        for (unsigned i = 0; i < WARMUP_ITERATIONS; i++) {
                r = sampler_read(&sampler, 0, sample, &failed);
                if (r < 0) {
                        fprintf(stderr, "Failed to read '%s/%s': %s\n", arg_proc_root, failed, strerror(-r));
                        return 1;
                }
        }

        if (floor_add(&fl, proc_fd, "vmstat", &sampler.vmstat) < 0 ||
            floor_add(&fl, proc_fd, "zoneinfo", &sampler.zoneinfo) < 0 ||
            floor_add(&fl, proc_fd, "meminfo", &sampler.meminfo) < 0 ||
            floor_add(&fl, proc_fd, "pressure/memory", &sampler.psi) < 0) {
                fprintf(stderr, "Failed to set up the floor: %m\n");
                return 1;
        }
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                if (floor_add(&fl, proc_fd, tunable_info(i)->path, &sampler.tunable[i]) < 0) {
                        fprintf(stderr, "Failed to open '%s': %m\n", tunable_info(i)->path);
                        return 1;
                }

        if (floor_check(&fl, &sampler) < 0)
                return 1;

        if (stats_init(&floor_st, "floor", arg_iterations) < 0 ||
            stats_init(&eof_st, "floor+eof", arg_iterations) < 0 ||
            stats_init(&sample_st, "sample", arg_iterations) < 0)
                return 1;

        for (unsigned i = 0; i < WARMUP_ITERATIONS; i++)
                (void) floor_read(&fl);

        /* The three in rotation, each going first in turn. */
        for (unsigned i = 0; i < arg_iterations; i++) {
                for (unsigned k = 0; k < 3; k++) {
                        unsigned which = (i + k) % 3;
                        uint64_t t0, t1;

                        t0 = now_ns();
                        r = which == 0 ? floor_read(&fl) :
                            which == 1 ? floor_read_eof(&fl) :
                                         sampler_read(&sampler, i, sample, &failed);
                        t1 = now_ns();
                        if (r < 0) {
                                fprintf(stderr, "Read failed: %s\n", strerror(-r));
                                return 1;
                        }
                        Stats *st = which == 0 ? &floor_st : which == 1 ? &eof_st : &sample_st;
                        st->ns[st->n++] = t1 - t0;
                }
        }
        stats_sort(&floor_st);
        stats_sort(&eof_st);
        stats_sort(&sample_st);

        if (arg_markdown)
                printf("## bench-sample: one full sample against the pread() floor\n\n"
                       "`sampler_read()` (every reader and parser of a sample: vmstat, zoneinfo, meminfo,\n"
                       "PSI and the vm sysctls, on the real `/proc`) against the floor of one `pread()` of\n"
                       "each of the same files with their fds kept open. %u iterations, the three\n"
                       "measured in rotation; times in microseconds. Target: the sample within %.1fx of\n"
                       "the floor.\n\n",
                       arg_iterations, TARGET_RATIO);
        else
                printf("One full sample against the pread() floor (%u iterations, in rotation)\n\n",
                       arg_iterations);
        print_header("measurement");
        {
                char what[128];

                snprintf(what, sizeof(what), "floor: one pread() of each of the %zu files", fl.n);
                print_row(what, &floor_st);
        }
        print_row("floor + the end-of-file pread() of each file", &eof_st);
        print_row("sampler_read(): read + parse everything", &sample_st);
        {
                double r50 = pct_us(&sample_st, 50) / pct_us(&floor_st, 50),
                       r90 = pct_us(&sample_st, 90) / pct_us(&floor_st, 90),
                       r99 = pct_us(&sample_st, 99) / pct_us(&floor_st, 99);

                if (arg_markdown) {
                        printf("| **ratio sample / floor** | **%.2fx** | **%.2fx** | **%.2fx** |\n\n", r50, r90, r99);
                        printf("Result: p50 ratio %.2fx, target %.1fx: **%s**.\n", r50, TARGET_RATIO,
                               r50 <= TARGET_RATIO ? "met" : "not met");
                } else {
                        printf("%-58s %8.2fx %8.2fx %8.2fx\n", "ratio sample / floor", r50, r90, r99);
                        printf("\nResult: p50 ratio %.2fx, target %.1fx: %s.\n", r50, TARGET_RATIO,
                               r50 <= TARGET_RATIO ? "met" : "not met");
                }
        }

        /* Breakdown per file, a quarter of the iterations. */
        {
                unsigned n = MAX(arg_iterations / 4, 100u);
                static VmStat vmstat;
                static ZoneInfo zoneinfo;
                MemInfo meminfo;
                Psi psi;
                uint64_t tv;
                size_t k = 0, n_tu = 0;
                ProcFile *vm[] = { &sampler.vmstat }, *zi[] = { &sampler.zoneinfo },
                         *mi[] = { &sampler.meminfo }, *ps[] = { &sampler.psi }, *tu[_TUNABLE_MAX];
                char tu_name[64];

                if (arg_markdown)
                        printf("\n### Where the time goes, per file (%u iterations)\n\n"
                               "One `pread()`; `procfile_read()`, as the sampler reads; the parser alone on the\n"
                               "text just read.\n\n", n);
                else
                        printf("\nWhere the time goes, per file (%u iterations): one pread(); procfile_read(),\n"
                               "as the sampler reads; the parser alone.\n\n", n);
                print_header("step");
                if (breakdown("vmstat", vm, &fl.file[k++], 1, parse_vmstat, &vmstat, n) < 0 ||
                    breakdown("zoneinfo", zi, &fl.file[k++], 1, parse_zoneinfo, &zoneinfo, n) < 0 ||
                    breakdown("meminfo", mi, &fl.file[k++], 1, parse_meminfo, &meminfo, n) < 0 ||
                    (sampler.psi.fd >= 0 &&
                     breakdown("pressure/memory", ps, &fl.file[k++], 1, parse_psi, &psi, n) < 0)) {
                        fprintf(stderr, "Breakdown failed.\n");
                        return 1;
                }
                /* The floor's files are in the sampler's order, tunables last. */
                for (size_t i = 0; i < _TUNABLE_MAX; i++)
                        if (sampler.tunable[i].fd >= 0)
                                tu[n_tu++] = &sampler.tunable[i];
                snprintf(tu_name, sizeof(tu_name), "sys/vm/* (%zu files)", n_tu);
                if (n_tu > 0 && breakdown(tu_name, tu, &fl.file[k], n_tu, parse_tunable, &tv, n) < 0) {
                        fprintf(stderr, "Breakdown failed.\n");
                        return 1;
                }
        }

        sampler_close(&sampler);
        for (size_t i = 0; i < fl.n; i++) {
                close(fl.file[i].fd);
                free(fl.file[i].buf);
        }
        free(floor_st.ns);
        free(eof_st.ns);
        free(sample_st.ns);
        return 0;
}
