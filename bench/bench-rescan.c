/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cost of a full /proc rescan with 10,000 processes against the floor of
 * a bare readdir() plus open/read/close of the same files and nothing else,
 * and the footprint of tracking 10,000 processes.
 *
 * A spawner forks children (renamed "mt-rescan-kid", each in pause()) until
 * /proc holds about 10,000 processes. Then, in rotation (each going first in
 * turn, so drift and caches hit all alike):
 *   - floor: readdir + stat + cmdline of every process, unparsed;
 *   - procrules_rescan() with rules that need comm and cmdline and match
 *     nothing (stat + cmdline, parsed, matched);
 *   - floor of every file a rule can need: stat, status, cmdline, exe
 *     (readlink), cgroup;
 *   - procrules_rescan() with rules needing all of them, matching nothing.
 * Then a rule that matches the children (+1: raising needs no capability):
 * the first rescan writes and tracks them all (a pidfd each); later rescans
 * find them tracked and read stat only. The table's size and the process's
 * RssAnon before and after tracking give the footprint. Target (docs): a
 * rescan within 1.5x of the floor; at most 1 MiB anonymous memory for 10,000
 * tracked processes. Needs about 2 GB of memory and pid_max above 10,000; run
 * by bench/run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "macro.h"
#include "procrules.h"

#define TARGET_RATIO 1.5
#define TARGET_TABLE_BYTES (1024 * 1024)

static unsigned arg_processes = 10000;
static unsigned arg_rounds = 7;
static bool arg_markdown = false;

static unsigned count_processes(int proc_fd) {
        unsigned n = 0;
        DIR *d = fdopendir(openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));

        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d)); )
                n += de->d_name[0] >= '1' && de->d_name[0] <= '9';
        closedir(d);
        return n;
}

/* ---- the spawner ------------------------------------------------------------- */

/* Forks n children that wait; when the pipe closes, kills and reaps them. */
static pid_t spawner_start(unsigned n, int *ret_pipe) {
        int p[2];
        pid_t pid;

        if (pipe(p) < 0)
                return -1;
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                pid_t *kids = calloc(n, sizeof(pid_t));
                unsigned made = 0;
                char ch;

                close(p[1]);
                if (!kids)
                        _exit(1);
                for (; made < n; made++) {
                        kids[made] = fork();
                        if (kids[made] < 0)
                                break;
                        if (kids[made] == 0) {
                                prctl(PR_SET_NAME, "mt-rescan-kid");
                                prctl(PR_SET_PDEATHSIG, SIGKILL);
                                for (;;)
                                        pause();
                        }
                }
                /* Until the parent closes the pipe. */
                (void) !read(p[0], &ch, 1);
                for (unsigned i = 0; i < made; i++)
                        kill(kids[i], SIGKILL);
                for (unsigned i = 0; i < made; i++)
                        waitpid(kids[i], NULL, 0);
                _exit(0);
        }
        close(p[0]);
        *ret_pipe = p[1];
        return pid;
}

/* ---- the floors ---------------------------------------------------------------- */

typedef enum FloorKind { FLOOR_STAT_CMDLINE, FLOOR_ALL } FloorKind;

static void read_file(int proc_fd, const char *path, char *buf, size_t size) {
        int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return;
        while (read(fd, buf, size) > 0)
                ;
        close(fd);
}

static unsigned floor_scan(int proc_fd, FloorKind kind) {
        static char buf[16384];
        unsigned n = 0;
        DIR *d = fdopendir(openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));

        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d)); ) {
                char path[sizeof(de->d_name) + 16];

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "%s/stat", de->d_name);
                read_file(proc_fd, path, buf, sizeof(buf));
                snprintf(path, sizeof(path), "%s/cmdline", de->d_name);
                read_file(proc_fd, path, buf, sizeof(buf));
                if (kind == FLOOR_ALL) {
                        snprintf(path, sizeof(path), "%s/status", de->d_name);
                        read_file(proc_fd, path, buf, sizeof(buf));
                        snprintf(path, sizeof(path), "%s/cgroup", de->d_name);
                        read_file(proc_fd, path, buf, sizeof(buf));
                        snprintf(path, sizeof(path), "%s/exe", de->d_name);
                        (void) !readlinkat(proc_fd, path, buf, sizeof(buf));
                }
                n++;
        }
        closedir(d);
        return n;
}

/* ---- measurements ---------------------------------------------------------------- */

enum { M_FLOOR_MIN, M_RESCAN_MIN, M_FLOOR_ALL, M_RESCAN_ALL, _M_MAX };

static const char *const m_name[_M_MAX] = {
        [M_FLOOR_MIN] = "floor: readdir + stat + cmdline",
        [M_RESCAN_MIN] = "procrules_rescan(), rules on comm and cmdline",
        [M_FLOOR_ALL] = "floor: readdir + stat, status, cmdline, cgroup, exe",
        [M_RESCAN_ALL] = "procrules_rescan(), rules on exe, uid, cgroup/unit, cmdline",
};

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

static double median_ms(uint64_t *v, size_t n) {
        qsort(v, n, sizeof(uint64_t), cmp_u64);
        return (double) v[n / 2] / 1e6;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "processes", required_argument, NULL, 'n' },
                { "rounds", required_argument, NULL, 'r' },
                { "markdown", no_argument, NULL, 'm' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hn:r:m", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: %s [--processes N] [--rounds N] [--markdown]\n", argv[0]);
                        return 0;
                case 'n':
                        arg_processes = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        arg_rounds = MAX((unsigned) strtoul(optarg, NULL, 10), 1u);
                        break;
                case 'm':
                        arg_markdown = true;
                        break;
                default:
                        return -EINVAL;
                }
        return 1;
}

int main(int argc, char *argv[]) {
        ProcessRule none_min[2] = {
                { .name = (char *) "comm", .oom_score_adj = 1 },
                { .name = (char *) "cmdline", .oom_score_adj = 1 },
        };
        ProcessRule none_all[3] = {
                { .name = (char *) "exe-uid", .oom_score_adj = 1 },
                { .name = (char *) "unit", .oom_score_adj = 1 },
                { .name = (char *) "cmdline", .oom_score_adj = 1 },
        };
        ProcessRule kids_rule[1] = { { .name = (char *) "kids", .oom_score_adj = 1 } };
        _cleanup_(procrules_freep) ProcRules *pr_min = NULL, *pr_all = NULL, *pr_kids = NULL;
        uint64_t *t[_M_MAX], first_apply, *steady;
        ProcRescanStats st_first, st;
        unsigned before, present, seen[_M_MAX] = {};
        long rss_before, rss_after;
        struct rlimit rl;
        int proc_fd, spawner_pipe = -1, r;
        pid_t spawner;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        /* 10,000 pidfds in the table. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);

        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return 1;
        before = count_processes(proc_fd);
        spawner = spawner_start(arg_processes > before ? arg_processes - before : 0, &spawner_pipe);
        if (spawner < 0)
                return 1;
        /* Wait until the children are there (or stop growing). */
        for (unsigned last = 0, stable = 0; stable < 20; usleep(50000)) {
                present = count_processes(proc_fd);
                stable = present == last || present >= arg_processes ? stable + 1 : 0;
                last = present;
                if (present >= arg_processes)
                        break;
        }
        present = count_processes(proc_fd);
        fprintf(stderr, "bench-rescan: %u processes in /proc\n", present);

        none_min[0].match.comm = (char *) "no-such-comm";
        none_min[1].match.cmdline = (char *) "^/usr/bin/no-such-program( |$)";
        none_all[0].match.exe = (char *) "/usr/bin/no-such-program";
        none_all[0].match.has_uid = true;
        none_all[0].match.uid = 4242;
        none_all[1].match.unit = (char *) "no-such.service";
        none_all[1].match.cgroup = (char *) "/system.slice/*";
        none_all[2].match.cmdline = (char *) "^/usr/bin/no-such-program( |$)";
        if (regcomp(&none_min[1].match.cmdline_re, none_min[1].match.cmdline, REG_EXTENDED | REG_NOSUB) != 0 ||
            regcomp(&none_all[2].match.cmdline_re, none_all[2].match.cmdline, REG_EXTENDED | REG_NOSUB) != 0)
                return 1;
        none_min[1].match.has_cmdline_re = none_all[2].match.has_cmdline_re = true;
        kids_rule[0].match.comm = (char *) "mt-rescan-kid";

        if (procrules_new(proc_fd, getpid(), 0, &pr_min) < 0 || procrules_set_rules(pr_min, none_min, 2) < 0 ||
            procrules_new(proc_fd, getpid(), 0, &pr_all) < 0 || procrules_set_rules(pr_all, none_all, 3) < 0)
                return 1;

        for (size_t m = 0; m < _M_MAX; m++) {
                t[m] = calloc(arg_rounds, sizeof(uint64_t));
                if (!t[m])
                        return 1;
        }
        steady = calloc(arg_rounds, sizeof(uint64_t));
        if (!steady)
                return 1;

        /* Warm the dentry caches once. */
        (void) floor_scan(proc_fd, FLOOR_ALL);

        for (unsigned round = 0; round < arg_rounds; round++)
                for (unsigned k = 0; k < _M_MAX; k++) {
                        unsigned m = (round + k) % _M_MAX;
                        uint64_t a = now_ns();

                        switch (m) {
                        case M_FLOOR_MIN:
                                seen[m] = floor_scan(proc_fd, FLOOR_STAT_CMDLINE);
                                break;
                        case M_FLOOR_ALL:
                                seen[m] = floor_scan(proc_fd, FLOOR_ALL);
                                break;
                        case M_RESCAN_MIN:
                                if (procrules_rescan(pr_min, false, NULL, NULL, &st) < 0)
                                        return 1;
                                seen[m] = st.seen;
                                break;
                        case M_RESCAN_ALL:
                                if (procrules_rescan(pr_all, false, NULL, NULL, &st) < 0)
                                        return 1;
                                seen[m] = st.seen;
                                break;
                        }
                        t[m][round] = now_ns() - a;
                }

        /* Tracking them all. */
        rss_before = rss_anon_kb();
        if (procrules_new(proc_fd, getpid(), 0, &pr_kids) < 0 || procrules_set_rules(pr_kids, kids_rule, 1) < 0)
                return 1;
        uint64_t a = now_ns();
        if (procrules_rescan(pr_kids, false, NULL, NULL, &st_first) < 0)
                return 1;
        first_apply = now_ns() - a;
        rss_after = rss_anon_kb();
        for (unsigned round = 0; round < arg_rounds; round++) {
                a = now_ns();
                if (procrules_rescan(pr_kids, false, NULL, NULL, &st) < 0)
                        return 1;
                steady[round] = now_ns() - a;
        }
        ProcTable *table = procrules_table(pr_kids);
        size_t tracked = proctable_size(table), table_bytes = proctable_memory(table);

        double f_min = median_ms(t[M_FLOOR_MIN], arg_rounds), r_min = median_ms(t[M_RESCAN_MIN], arg_rounds);
        double f_all = median_ms(t[M_FLOOR_ALL], arg_rounds), r_all = median_ms(t[M_RESCAN_ALL], arg_rounds);
        double s_ms = median_ms(steady, arg_rounds);
        bool met = r_min <= TARGET_RATIO * f_min && r_all <= TARGET_RATIO * f_all;
        bool met_mem = table_bytes <= TARGET_TABLE_BYTES && rss_after - rss_before <= TARGET_TABLE_BYTES / 1024;

        if (arg_markdown) {
                printf("## bench-rescan: a /proc rescan with %u processes against the readdir + read floor\n\n"
                       "%u processes in /proc (forked children in `pause()`, plus the machine's own). "
                       "The floor reads the same files as the rescan with nothing else (open, read to "
                       "EOF, close; `readlink` for exe). Median of %u rounds in rotation, milliseconds. "
                       "Target: the rescan within %.1fx of its floor.\n\n"
                       "| measurement | processes | median ms | min ms | ratio to floor |\n"
                       "| --- | ---: | ---: | ---: | ---: |\n",
                       arg_processes, present, arg_rounds, TARGET_RATIO);
                for (unsigned m = 0; m < _M_MAX; m++) {
                        double med = median_ms(t[m], arg_rounds), floor_ms = m < M_FLOOR_ALL ? f_min : f_all;
                        printf("| %s | %u | %.1f | %.1f | %s%.2fx%s |\n", m_name[m], seen[m], med,
                               (double) t[m][0] / 1e6, m == M_RESCAN_MIN || m == M_RESCAN_ALL ? "**" : "",
                               med / floor_ms, m == M_RESCAN_MIN || m == M_RESCAN_ALL ? "**" : "");
                }
                printf("\nTracking: a rule matching the %zu children (+1). The first rescan wrote %u and "
                       "took %.1f ms (pidfd, /proc/PID pinned, read, decide, write, read back each); later "
                       "rescans find them tracked (pidfd alive, comm unchanged: stat only) and take "
                       "%.1f ms (median of %u). The table holds %zu entries in %zu bytes; RssAnon %ld -> "
                       "%ld kB (+%ld kB). Target: at most 1 MiB.\n\n",
                       tracked, st_first.written, (double) first_apply / 1e6, s_ms, arg_rounds, tracked,
                       table_bytes, rss_before, rss_after, rss_after - rss_before);
                printf("Result: rescan/floor %.2fx (comm + cmdline) and %.2fx (all criteria), target %.1fx: %s; "
                       "footprint %s.\n",
                       r_min / f_min, r_all / f_all, TARGET_RATIO, met ? "**met**" : "**not met**",
                       met_mem ? "**met**" : "**not met**");
        } else {
                for (unsigned m = 0; m < _M_MAX; m++)
                        printf("%-62s %6u processes  median %7.1f ms\n", m_name[m], seen[m], median_ms(t[m], arg_rounds));
                printf("ratio comm+cmdline %.2fx, all %.2fx\n", r_min / f_min, r_all / f_all);
                printf("first tracking rescan: %u written in %.1f ms; steady %.1f ms; table %zu entries %zu bytes; "
                       "RssAnon %ld -> %ld kB\n", st_first.written, (double) first_apply / 1e6, s_ms, tracked,
                       table_bytes, rss_before, rss_after);
        }

        procrules_free(TAKE_PTR(pr_kids));
        close(spawner_pipe);
        waitpid(spawner, NULL, 0);
        regfree(&none_min[1].match.cmdline_re);
        regfree(&none_all[2].match.cmdline_re);
        for (size_t m = 0; m < _M_MAX; m++)
                free(t[m]);
        free(steady);
        close(proc_fd);
        return 0;
}
