/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "procfile.h"

int procfile_open(ProcFile *f, int dirfd, const char *path, size_t initial_size, size_t max_size, bool whole) {
        _cleanup_close_ int fd = -1;
        char *buf;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();

        buf = malloc(initial_size);
        if (!buf)
                return -ENOMEM;

        *f = (ProcFile) {
                .fd = TAKE_FD(fd),
                .buf = buf,
                .size = initial_size,
                .max_size = MAX(max_size, initial_size),
                .whole = whole,
        };
        return 0;
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
