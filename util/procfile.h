/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A kernel text file kept open and re-read with pread() at offset 0, so that
 * sampling costs no open()/close() and, once the buffer has its size, no
 * allocation. */
typedef struct ProcFile {
        int fd;
        char *buf;
        size_t size;     /* allocated bytes */
        size_t max_size; /* a file larger than this is refused with -EFBIG */
        bool whole;      /* one read hands out the whole text: a short read is the end */
        /* Not the kernel's file (a fixture tree given with --proc-root): a
         * file replaced by rename (an editor, sed -i, a test) is a new inode
         * that the open fd never shows, so each read first compares the path's
         * inode with the fd's and reopens on change. The kernel's files are
         * never replaced, and their reads stay one pread(). */
        bool check_replaced;
        int dirfd;  /* borrowed, for the reopen */
        char *path; /* owned, for the reopen */
        dev_t dev;  /* of the open file */
        ino_t ino;
} ProcFile;

#define PROC_FILE_NULL ((ProcFile) { .fd = -1 })

/* Opens path relative to dirfd (O_RDONLY|O_CLOEXEC; dirfd must outlive f
 * when the file is not the kernel's) with a buffer of
 * initial_size bytes that may grow to max_size. whole: the file hands out all
 * its text in one read (single_open files like meminfo and PSI, sysctls), so
 * a short read is the end and the pread() that would return 0 is saved;
 * seq_file files with one record per line (vmstat, zoneinfo) hand out about a
 * page per read and must not set it. Returns -errno of open(). */
int procfile_open(ProcFile *f, int dirfd, const char *path, size_t initial_size, size_t max_size,
                  bool whole);

/* Reads the whole file again, through a new fd if the file was replaced
 * (check_replaced; if the path is missing the open fd is read). On success *ret_buf holds its text, NUL
 * terminated, *ret_len its length; both stay valid until the next read or
 * close. A file that does not fit in max_size gives -EFBIG. */
int procfile_read(ProcFile *f, const char **ret_buf, size_t *ret_len);

/* Closes the fd and frees the buffer; f may be PROC_FILE_NULL. */
void procfile_close(ProcFile *f);

/* One-shot read of a small file that hands out its whole text in one read
 * (a sysctl, /proc/PID/status, a state file) at dirfd/path into buf (NUL terminated).
 * Returns the length, -EFBIG if it does not fit, or -errno. */
int read_small_file_at(int dirfd, const char *path, char *buf, size_t size);
