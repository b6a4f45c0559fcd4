/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procfile: a file kept open and re-read. In a fixture tree (not the
 * kernel's files) a file replaced by rename, as an editor or sed -i does,
 * must be read from its new inode; the kernel's own files are never checked. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "procfile.h"
#include "test-util.h"

static char dir[4096];

static void put(const char *name, const char *text) {
        char path[4200];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static void rename_over(const char *from, const char *to) {
        char a[4200], b[4200];

        snprintf(a, sizeof(a), "%s/%s", dir, from);
        snprintf(b, sizeof(b), "%s/%s", dir, to);
        ASSERT(rename(a, b) == 0);
}

static const char *read_text(ProcFile *f) {
        const char *buf;
        size_t len;

        if (procfile_read(f, &buf, &len) < 0)
                return "(error)";
        return buf;
}

static void test_replaced(void) {
        const char *tmp = getenv("TMPDIR");
        ProcFile f = PROC_FILE_NULL;
        char path[4200];
        int dfd;

        snprintf(dir, sizeof(dir), "%s/test-procfile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        ASSERT(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(dfd >= 0);

        put("swappiness", "60\n");
        CHECK_EQ_INT(procfile_open(&f, dfd, "swappiness", 16, 64, true), 0);
        CHECK(f.check_replaced);
        CHECK_STREQ(read_text(&f), "60\n");

        /* Rewritten in place: the same inode, seen without a reopen. */
        put("swappiness", "30\n");
        CHECK_STREQ(read_text(&f), "30\n");

        /* Replaced by rename (sed -i, an editor): a new inode. */
        put("swappiness.new", "10\n");
        rename_over("swappiness.new", "swappiness");
        CHECK_STREQ(read_text(&f), "10\n");
        put("swappiness.new", "20\n");
        rename_over("swappiness.new", "swappiness");
        CHECK_STREQ(read_text(&f), "20\n");

        /* Removed: the last text stays readable; written again: the new one. */
        snprintf(path, sizeof(path), "%s/swappiness", dir);
        ASSERT(unlink(path) == 0);
        CHECK_STREQ(read_text(&f), "20\n");
        put("swappiness", "5\n");
        CHECK_STREQ(read_text(&f), "5\n");

        procfile_close(&f);
        CHECK(!f.path);
        procfile_close(&f); /* twice is fine */
        ASSERT(unlink(path) == 0);
        close(dfd);
        rmdir(dir);
}

/* The kernel's files are not checked: their reads stay one pread(). */
static void test_kernel_file(void) {
        ProcFile f = PROC_FILE_NULL;
        int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT(proc >= 0);
        CHECK_EQ_INT(procfile_open(&f, proc, "meminfo", 4096, 65536, true), 0);
        CHECK(!f.check_replaced);
        CHECK(!f.path);
        CHECK(strncmp(read_text(&f), "MemTotal:", 9) == 0);
        procfile_close(&f);
        close(proc);
}

int main(void) {
        test_replaced();
        test_kernel_file();
        return test_result("test-procfile");
}
