/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The first sample at start: a torn read (a file that changed while it was
 * read) is read again instead of stopping the daemon (issue 15.11), and a
 * file that stays broken still fails, within a bounded time. */
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "sample.h"
#include "test-util.h"

static char tmpdir[] = "/tmp/test-startup-XXXXXX";
static char procdir[512];

static void put_vmstat(const char *text, size_t len) {
        char path[600];
        int fd;

        /* In place: the sampler keeps the file open and re-reads it. */
        snprintf(path, sizeof(path), "%s/vmstat", procdir);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT(write(fd, text, len) == (ssize_t) len);
        close(fd);
}

int main(void) {
        static char good[64 * 1024];
        char cmd[8400], path[600];
        const char *failed = NULL;
        Sample *sample = malloc(sizeof(Sample));
        uint64_t t0;
        Sampler s;
        ssize_t n;
        pid_t child;
        int proc, fd, status;

        ASSERT(sample);
        ASSERT(mkdtemp(tmpdir));
        snprintf(procdir, sizeof(procdir), "%s/proc", tmpdir);
        snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", test_data_path("host-6.18/proc"), procdir);
        ASSERT(system(cmd) == 0);
        snprintf(path, sizeof(path), "%s/vmstat", procdir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0);
        n = read(fd, good, sizeof(good));
        ASSERT(n > 0 && (size_t) n < sizeof(good));
        close(fd);

        proc = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(proc >= 0);
        ASSERT(sampler_open(&s, proc, -1, &failed) == 0);

        /* Torn: the first read sees half a line; the file is whole again
         * 50 ms later, as after a torn read the next one is. */
        put_vmstat("nr_free_pages 12\nnr_zone_inactive", 33);
        CHECK(sampler_read(&s, 1, sample, &failed) < 0);
        child = fork();
        ASSERT(child >= 0);
        if (child == 0) {
                struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };

                nanosleep(&ts, NULL);
                put_vmstat(good, (size_t) n);
                _exit(0);
        }
        CHECK_EQ_INT(sampler_read_start(&s, sample, &failed), 0);
        ASSERT(waitpid(child, &status, 0) == child);

        /* Broken for good: the last error, after a bounded time. */
        put_vmstat("nr_free_pages x\n", 16);
        t0 = now_monotonic();
        failed = NULL;
        CHECK(sampler_read_start(&s, sample, &failed) < 0);
        CHECK_STREQ(failed, "vmstat");
        CHECK(now_monotonic() - t0 >= (SAMPLER_START_ATTEMPTS - 1) * SAMPLER_START_RETRY_USEC);
        CHECK(now_monotonic() - t0 < 5 * USEC_PER_SEC);

        /* A bad sysctl is named by its path below the proc root (issue
         * 16.6), and a NUL byte inside one is no number (issue 15.12). */
        put_vmstat(good, (size_t) n);
        snprintf(path, sizeof(path), "%s/sys/vm/swappiness", procdir);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT(write(fd, "30\0000\n", 5) == 5);
        close(fd);
        failed = NULL;
        CHECK_EQ_INT(sampler_read(&s, 2, sample, &failed), -EINVAL);
        CHECK_STREQ(failed, "sys/vm/swappiness");

        sampler_close(&s);
        close(proc);
        free(sample);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        (void) system(cmd);
        return test_result("test-startup");
}
