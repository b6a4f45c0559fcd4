/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* A kernel text file kept open and re-read with pread() at offset 0, so that
 * sampling costs no open()/close() and, once the buffer has its size, no
 * allocation. */
typedef struct ProcFile {
        int fd;
        char *buf;
        size_t size;     /* allocated bytes */
        size_t max_size; /* a file larger than this is refused with -EFBIG */
} ProcFile;

#define PROC_FILE_NULL ((ProcFile) { .fd = -1 })

/* Opens path relative to dirfd (O_RDONLY|O_CLOEXEC) with a buffer of
 * initial_size bytes that may grow to max_size. Returns -errno of open(). */
int procfile_open(ProcFile *f, int dirfd, const char *path, size_t initial_size, size_t max_size);

/* Reads the whole file again. On success *ret_buf holds its text, NUL
 * terminated, *ret_len its length; both stay valid until the next read or
 * close. A file that does not fit in max_size gives -EFBIG. */
int procfile_read(ProcFile *f, const char **ret_buf, size_t *ret_len);

/* Closes the fd and frees the buffer; f may be PROC_FILE_NULL. */
void procfile_close(ProcFile *f);

/* One-shot read of a small file at dirfd/path into buf (NUL terminated).
 * Returns the length, -EFBIG if it does not fit, or -errno. */
int read_small_file_at(int dirfd, const char *path, char *buf, size_t size);
