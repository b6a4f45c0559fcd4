/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "macro.h"
#include "procfile.h"

int procfile_open(ProcFile *f, int dirfd, const char *path, size_t initial_size, size_t max_size,
                  bool whole) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *copy = NULL;
        struct statfs sfs;
        struct stat st;
        bool check;
        char *buf;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        check = sfs.f_type != PROC_SUPER_MAGIC && sfs.f_type != SYSFS_MAGIC;
        if (check) {
                copy = strdup(path);
                if (!copy)
                        return -ENOMEM;
        }

        buf = malloc(initial_size);
        if (!buf)
                return -ENOMEM;

        *f = (ProcFile) {
                .fd = TAKE_FD(fd),
                .buf = buf,
                .size = initial_size,
                .max_size = MAX(max_size, initial_size),
                .whole = whole,
                .check_replaced = check,
                .dirfd = dirfd,
                .path = TAKE_PTR(copy),
                .dev = st.st_dev,
                .ino = st.st_ino,
        };
        return 0;
}

/* Moves f to the file now at its path if that is another inode. A path
 * that cannot be opened leaves the old fd: a file removed and not yet
 * written again still has its last text. */
static void reopen_if_replaced(ProcFile *f) {
        struct stat st;
        int fd;

        if (fstatat(f->dirfd, f->path, &st, 0) < 0 || (st.st_ino == f->ino && st.st_dev == f->dev))
                return;
        fd = openat(f->dirfd, f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                safe_close(fd);
                return;
        }
        safe_close(f->fd);
        f->fd = fd;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
}

/* Reads until EOF: pread() returns 0, or, for a file that hands out its whole
 * text in one read (see procfile_open()), a short read. */
static ssize_t read_all(int fd, char *buf, size_t size, bool whole) {
        size_t n = 0;

        while (n < size) {
                size_t want = size - n;
                ssize_t k = pread(fd, buf + n, want, (off_t) n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                n += (size_t) k;
                if (k == 0 || (whole && (size_t) k < want))
                        break;
        }
        return (ssize_t) n;
}

int procfile_read(ProcFile *f, const char **ret_buf, size_t *ret_len) {
        if (f->check_replaced)
                reopen_if_replaced(f);

        for (;;) {
                ssize_t n = read_all(f->fd, f->buf, f->size - 1, f->whole);
                if (n < 0)
                        return (int) n;

                if ((size_t) n < f->size - 1) {
                        f->buf[n] = 0;
                        *ret_buf = f->buf;
                        *ret_len = (size_t) n;
                        return 0;
                }

                /* Filled the buffer: the file may be larger. Grow (rare: the
                 * first samples find the size) and read again from the start. */
                if (f->size >= f->max_size)
                        return -EFBIG;

                size_t nsize = MIN(f->size * 2, f->max_size);
                char *nbuf = realloc(f->buf, nsize);
                if (!nbuf)
                        return -ENOMEM;
                f->buf = nbuf;
                f->size = nsize;
        }
}

void procfile_close(ProcFile *f) {
        f->fd = safe_close(f->fd);
        free(f->buf);
        f->buf = NULL;
        f->size = 0;
        f->path = mfree(f->path);
        f->check_replaced = false;
}

int read_small_file_at(int dirfd, const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = -1;
        ssize_t n;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();

        n = read_all(fd, buf, size - 1, true);
        if (n < 0)
                return (int) n;
        if ((size_t) n >= size - 1)
                return -EFBIG;

        buf[n] = 0;
        return (int) n;
}
