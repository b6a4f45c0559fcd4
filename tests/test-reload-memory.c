/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy reload path's memory, run as manager_reload() runs it: a sample
 * read with the daemon's sampler for the host facts (hostinfo_from()), then
 * policy_load() of the shipped policy under an admin file with process rules
 * (a user to resolve, a regex to compile), the new policy swapped in and the
 * old one freed; RELOADS times over. What glibc's malloc and the kernel
 * report must come back to where they were after the first WARMUP reloads:
 *
 * - no block of a load raises malloc's mmap threshold: a 256 KiB malloc()
 *   is still served by mmap() afterwards. A 1 MiB text buffer freed at the
 *   first load raised it to 1 MiB (and the heap's trim threshold to 2 MiB),
 *   after which every reload's buffers came from the heap and the daemon's
 *   RssAnon crept (bench/growth);
 * - the bytes in use (mallinfo2().uordblks) are back to their level: a
 *   string that policy_free() forgets, once per reload, is RELOADS - WARMUP
 *   blocks here;
 * - the heap (mallinfo2().arena) and the pages the process has touched
 *   (RssAnon) stay within a few pages of their level.
 *
 * No timing. Under AddressSanitizer malloc is ASan's and mallinfo2() says
 * nothing about it: exit 77. Files are written below a mkdtemp() directory. */
#include <malloc.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hostinfo.h"
#include "policy.h"
#include "procfile.h"
#include "sample.h"
#include "test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define WARMUP 20
#define RELOADS 300

/* Allowances, each a few blocks or pages, far below what one leaked or moving
 * block per reload adds over RELOADS - WARMUP = 280 reloads (at least 32 bytes
 * of heap per block, so 9 KiB; a page per few dozen reloads, so 20 KiB and
 * more). */
#define IN_USE_SLACK_BYTES (4u * 1024)
#define ARENA_SLACK_BYTES (16u * 1024)
#define RSS_ANON_SLACK_KB 16u

/* 256 KiB: twice glibc's default mmap threshold (128 KiB). */
#define PROBE_BLOCK_BYTES (256u * 1024)

/* An admin file on top of the shipped policy: rules whose loading resolves a
 * user name (NSS) and compiles a regular expression (regcomp()), both freed
 * again with the policy. */
static const char admin_policy[] =
        "policy: { name = \"reload-test\"; };\n"
        "tunables: { swappiness: { mode = \"fixed\"; value = 10; }; };\n"
        "processes: (\n"
        "  { name = \"reports-first\"; match = { cmdline = \"^(/usr/bin/)?python3 .*/reports/\"; };\n"
        "    oom_score_adj = 800; },\n"
        "  { name = \"root-shells\"; match = { user = \"root\"; comm = \"bash\"; }; oom_score_adj = 100; }\n"
        ");\n";

typedef struct Daemon {
        Sampler sampler;
        Sample *sample;
        char *dirs[2];
        Policy *policy;
        int proc_fd;
} Daemon;

/* What manager_reload() does with the policy: facts, load, swap, free. */
static void reload(Daemon *d) {
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        const char *failed = NULL;
        HostInfo host;
        Policy *p = NULL;

        ASSERT(sampler_read(&d->sampler, 1, d->sample, &failed) == 0);
        ASSERT(hostinfo_from(d->proc_fd, &d->sample->meminfo, &d->sample->zoneinfo, &host) == 0);
        if (policy_load(d->dirs, 2, &host, &p, &errors) < 0) {
                for (size_t i = 0; i < errors.n; i++)
                        fprintf(stderr, "%s\n", errors.messages[i]);
                ASSERT(!"the policy loads");
        }
        policy_free(d->policy);
        d->policy = p;
}

static uint64_t rss_anon_kb(void) {
        char buf[4096];
        const char *p;
        int r;

        r = read_small_file_at(AT_FDCWD, "/proc/self/status", buf, sizeof(buf));
        ASSERT(r > 0);
        p = strstr(buf, "\nRssAnon:");
        ASSERT(p);
        return strtoull(p + strlen("\nRssAnon:"), NULL, 10);
}

/* Whether a block above the default mmap threshold is still served by
 * mmap(). Asked in a child: freeing the probe block would itself raise the
 * threshold in this process. */
static bool big_block_is_mapped(void) {
        int status = 0;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                size_t before = mallinfo2().hblks;
                void *p = malloc(PROBE_BLOCK_BYTES);

                _exit(p && mallinfo2().hblks == before + 1 ? 0 : 1);
        }
        ASSERT(waitpid(pid, &status, 0) == pid);
        ASSERT(WIFEXITED(status));
        return WEXITSTATUS(status) == 0;
}

/* mallinfo2() counts the blocks glibc keeps in its per-thread cache (tcache,
 * up to 7 of each size) as in use: how many sit there depends on the sizes of
 * earlier requests, which depend on path lengths (a distcheck build reads
 * longer paths than an in-tree one and ended 4.4 kB up, while the heap and
 * RssAnon stayed flat). Without the cache the figure is exact: the test runs
 * itself again with it turned off. */
static void without_tcache(char *argv[]) {
        static const char tunable[] = "glibc.malloc.tcache_count=0";
        const char *cur = getenv("GLIBC_TUNABLES");

        if (cur && strstr(cur, tunable))
                return;
        if (setenv("GLIBC_TUNABLES", tunable, 1) < 0)
                return;
        execv("/proc/self/exe", argv);
        perror("execv /proc/self/exe"); /* then measure with the cache, as before */
        unsetenv("GLIBC_TUNABLES");
}

int main(int argc, char *argv[]) {
        char tmp[] = "/tmp/memtuned-test-reload-XXXXXX", path[4096 + 64];
        struct mallinfo2 warm, end;
        uint64_t warm_rss, end_rss;
        const char *failed = NULL;
        Daemon d = {};
        FILE *f;

        if (UNDER_ASAN) {
                printf("test-reload-memory: skipped: mallinfo2() describes glibc's heap, which AddressSanitizer "
                       "replaces\n");
                return 77;
        }
        without_tcache(argv);
        d.sample = malloc(sizeof(Sample));
        ASSERT(d.sample);
        if (mallinfo2().arena == 0) {
                /* valgrind, or another malloc preloaded */
                printf("test-reload-memory: skipped: malloc is not glibc's, mallinfo2() reports nothing\n");
                free(d.sample);
                return 77;
        }

        ASSERT(mkdtemp(tmp));
        snprintf(path, sizeof(path), "%s/60-local.conf", tmp);
        f = fopen(path, "we");
        ASSERT(f);
        ASSERT(fputs(admin_policy, f) >= 0);
        ASSERT(fclose(f) == 0);
        /* The shipped policy as the vendor layer, the file above as the admin's. */
        ASSERT(asprintf(&d.dirs[0], "%s/policies", getenv("top_srcdir") ?: ".") > 0);
        d.dirs[1] = tmp;

        /* A two-node host, so that the shipped zone_reclaim_mode section
         * (numa_nodes_min = 2) applies too. */
        d.proc_fd = test_open_data_dir("debian12-numa2/proc");
        ASSERT(sampler_open(&d.sampler, d.proc_fd, -1, &failed) == 0);

        CHECK(big_block_is_mapped());

        for (unsigned i = 0; i < WARMUP; i++)
                reload(&d);
        CHECK_STREQ(d.policy->name, "reload-test");
        CHECK_EQ_U64(d.policy->n_files, 2);
        CHECK(d.policy->n_rules >= 2);

        /* The first load's buffers are gone: malloc's thresholds are still
         * the defaults. */
        CHECK(big_block_is_mapped());

        warm = mallinfo2();
        warm_rss = rss_anon_kb();
        for (unsigned i = WARMUP; i < RELOADS; i++)
                reload(&d);
        end = mallinfo2();
        end_rss = rss_anon_kb();

        printf("after %u reloads: in use %zu bytes, heap %zu bytes, RssAnon %" PRIu64 " kB\n", WARMUP,
               warm.uordblks, warm.arena, warm_rss);
        printf("after %u reloads: in use %zu bytes, heap %zu bytes, RssAnon %" PRIu64 " kB\n", RELOADS,
               end.uordblks, end.arena, end_rss);
        CHECK(end.uordblks <= warm.uordblks + IN_USE_SLACK_BYTES);
        CHECK(end.arena <= warm.arena + ARENA_SLACK_BYTES);
        CHECK(end_rss <= warm_rss + RSS_ANON_SLACK_KB);
        CHECK(big_block_is_mapped());

        policy_free(d.policy);
        sampler_close(&d.sampler);
        free(d.sample);
        free(d.dirs[0]);
        close(d.proc_fd);
        CHECK(unlink(path) == 0);
        CHECK(rmdir(tmp) == 0);
        return test_result("test-reload-memory");
}
