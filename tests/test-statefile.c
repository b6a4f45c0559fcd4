/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util/statefile: the directory's checks, reading only regular files (never
 * blocking on a FIFO), atomic writes that never follow a planted symlink,
 * removal, moving aside, and the lock that names its holder. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "statefile.h"
#include "test-util.h"

static char tmpdir[] = "/tmp/test-statefile-XXXXXX";

static void path_of(char *buf, size_t size, const char *name) {
        snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void test_dir(void) {
        char dir[600], link[600];
        struct stat st;
        int fd = -1;

        path_of(dir, sizeof(dir), "state");
        CHECK_EQ_INT(statefile_dir_open(dir, 0755, &fd, &st), 0);
        CHECK(fd >= 0);
        CHECK(S_ISDIR(st.st_mode));
        fd = safe_close(fd);
        /* exists already: fine */
        CHECK_EQ_INT(statefile_dir_open(dir, 0755, &fd, NULL), 0);
        fd = safe_close(fd);

        ASSERT(chmod(dir, 0777) == 0);
        CHECK_EQ_INT(statefile_dir_open(dir, 0755, &fd, &st), -EACCES);
        CHECK_EQ_INT(st.st_mode & 07777, 0777);
        CHECK_EQ_INT(fd, -1);
        ASSERT(chmod(dir, 0730) == 0);
        CHECK_EQ_INT(statefile_dir_open(dir, 0755, &fd, NULL), -EACCES);
        ASSERT(chmod(dir, 0700) == 0);
        if (geteuid() == 0) {
                ASSERT(chown(dir, 65534, 65534) == 0);
                CHECK_EQ_INT(statefile_dir_open(dir, 0755, &fd, &st), -EPERM);
                CHECK_EQ_INT(st.st_uid, 65534);
                ASSERT(chown(dir, 0, 0) == 0);
        }

        path_of(link, sizeof(link), "state-link");
        ASSERT(symlink(dir, link) == 0);
        CHECK_EQ_INT(statefile_dir_open(link, 0755, &fd, NULL), -ENOTDIR);
        unlink(link);
        path_of(link, sizeof(link), "state/file");
        fclose(fopen(link, "we"));
        CHECK_EQ_INT(statefile_dir_open(link, 0755, &fd, NULL), -ENOTDIR);
        unlink(link);
}

static void test_read_write(int dfd) {
        char buf[64], path[600], target[600];
        struct stat st;
        FILE *f;

        CHECK_EQ_INT(statefile_read(dfd, "s", buf, sizeof(buf)), -ENOENT);
        CHECK_EQ_INT(statefile_write(dfd, "s", "one 1\n", 6), 0);
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, sizeof(buf)), 6);
        CHECK_STREQ(buf, "one 1\n");
        path_of(path, sizeof(path), "state/s");
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
        CHECK_EQ_INT(statefile_write(dfd, "s", "", 0), 0);
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, sizeof(buf)), 0);
        CHECK_STREQ(buf, "");

        /* size bound: size - 1 bytes fit, one more does not */
        CHECK_EQ_INT(statefile_write(dfd, "s", "0123456789", 10), 0);
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, 11), 10);
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, 10), -EFBIG);

        /* A symlink planted as the temporary file: removed, its target
         * untouched: root must never write through a link placed there. */
        path_of(target, sizeof(target), "target");
        f = fopen(target, "we");
        ASSERT(f);
        fputs("precious\n", f);
        fclose(f);
        path_of(path, sizeof(path), "state/s.tmp");
        ASSERT(symlink(target, path) == 0);
        CHECK_EQ_INT(statefile_write(dfd, "s", "two 2\n", 6), 0);
        CHECK(lstat(path, &st) < 0 && errno == ENOENT);
        f = fopen(target, "re");
        ASSERT(f);
        ASSERT(fgets(buf, sizeof(buf), f));
        fclose(f);
        CHECK_STREQ(buf, "precious\n");
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, sizeof(buf)), 6);
        CHECK_STREQ(buf, "two 2\n");

        /* A directory in the temporary file's place: the write fails, the
         * file stays as it was. */
        ASSERT(mkdir(path, 0700) == 0);
        CHECK(statefile_write(dfd, "s", "three 3\n", 8) < 0);
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, sizeof(buf)), 6);
        CHECK_STREQ(buf, "two 2\n");
        ASSERT(rmdir(path) == 0);

        /* What is not a regular file is not read, and a FIFO does not block. */
        path_of(path, sizeof(path), "state/fifo");
        ASSERT(mkfifo(path, 0600) == 0);
        CHECK_EQ_INT(statefile_read(dfd, "fifo", buf, sizeof(buf)), -EBADFD);
        CHECK(lstat(path, &st) == 0);
        CHECK_STREQ(statefile_type_name(st.st_mode), "a FIFO");
        CHECK_EQ_INT(statefile_move_aside(dfd, "fifo"), 0);
        CHECK(lstat(path, &st) < 0);
        path_of(path, sizeof(path), "state/fifo.corrupt");
        CHECK(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
        unlink(path);
        path_of(path, sizeof(path), "state/dir");
        ASSERT(mkdir(path, 0700) == 0);
        CHECK_EQ_INT(statefile_read(dfd, "dir", buf, sizeof(buf)), -EISDIR);
        CHECK_STREQ(statefile_type_name(S_IFDIR), "a directory");
        rmdir(path);
        path_of(path, sizeof(path), "state/link");
        ASSERT(symlink(target, path) == 0);
        CHECK_EQ_INT(statefile_read(dfd, "link", buf, sizeof(buf)), -ELOOP);
        unlink(path);
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, sizeof(buf)), 6);

        CHECK_EQ_INT(statefile_remove(dfd, "s"), 0);
        CHECK_EQ_INT(statefile_remove(dfd, "s"), 0);
        CHECK_EQ_INT(statefile_read(dfd, "s", buf, sizeof(buf)), -ENOENT);
        unlink(target);
}

static void test_lock(int dfd) {
        int fd = -1, fd2 = -1, pipefd[2], status;
        char buf[64];
        pid_t holder = -1, child;

        CHECK_EQ_INT(statefile_lock(dfd, "lock", &fd, &holder), 0);
        CHECK(fd >= 0);
        snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
        {
                char text[64];
                CHECK_EQ_INT(statefile_read(dfd, "lock", text, sizeof(text)), (int) strlen(buf));
                CHECK_STREQ(text, buf);
        }
        /* Another open file description, even in this process, is refused
         * and told who holds it. */
        CHECK_EQ_INT(statefile_lock(dfd, "lock", &fd2, &holder), -EBUSY);
        CHECK_EQ_INT(holder, getpid());
        CHECK_EQ_INT(fd2, -1);
        fd = safe_close(fd);

        /* Held by a process that is then killed: free again. */
        ASSERT(pipe(pipefd) == 0);
        child = fork();
        ASSERT(child >= 0);
        if (child == 0) {
                int cfd;

                if (statefile_lock(dfd, "lock", &cfd, NULL) < 0)
                        _exit(1);
                (void) !write(pipefd[1], "x", 1);
                pause();
                _exit(0);
        }
        ASSERT(read(pipefd[0], buf, 1) == 1);
        CHECK_EQ_INT(statefile_lock(dfd, "lock", &fd2, &holder), -EBUSY);
        CHECK_EQ_INT(holder, child);
        kill(child, SIGKILL);
        ASSERT(waitpid(child, &status, 0) == child);
        CHECK_EQ_INT(statefile_lock(dfd, "lock", &fd2, &holder), 0);
        fd2 = safe_close(fd2);
        close(pipefd[0]);
        close(pipefd[1]);
}

int main(void) {
        char dir[600], cmd[700];
        int dfd;

        ASSERT(mkdtemp(tmpdir));
        test_dir();
        path_of(dir, sizeof(dir), "state");
        ASSERT(chmod(dir, 0755) == 0);
        ASSERT(statefile_dir_open(dir, 0755, &dfd, NULL) == 0);
        test_read_write(dfd);
        test_lock(dfd);
        close(dfd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        (void) system(cmd);
        return test_result("test-statefile");
}
