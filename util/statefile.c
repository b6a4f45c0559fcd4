/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"
#include "statefile.h"

/* "NAME.tmp", "NAME.corrupt": state file names are short constants. */
#define STATEFILE_NAME_MAX 128

static int suffixed(const char *name, const char *suffix, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s%s", name, suffix);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

int statefile_dir_open(const char *path, mode_t mode, int *ret_fd, struct stat *ret_st) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        assert(path);
        assert(ret_fd);

        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return negative_errno();
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (ret_st)
                *ret_st = st;
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return -EPERM;
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return -EACCES;

        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int verify_regular(mode_t mode) {
        /* The codes systemd's stat_verify_regular() uses. */
        if (S_ISDIR(mode))
                return -EISDIR;
        if (S_ISLNK(mode))
                return -ELOOP;
        if (!S_ISREG(mode))
                return -EBADFD;
        return 0;
}

const char *statefile_type_name(mode_t mode) {
        if (S_ISREG(mode))
                return "a regular file";
        if (S_ISDIR(mode))
                return "a directory";
        if (S_ISLNK(mode))
                return "a symbolic link";
        if (S_ISFIFO(mode))
                return "a FIFO";
        if (S_ISSOCK(mode))
                return "a socket";
        if (S_ISCHR(mode))
                return "a character device";
        if (S_ISBLK(mode))
                return "a block device";
        return "of an unknown type";
}

int statefile_read(int dir_fd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t n = 0;
        int r;

        assert(name);
        assert(buf);
        assert(size > 0);

        /* Looked at before it is opened: opening a device may do something,
         * opening a FIFO for reading would block without O_NONBLOCK. */
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        r = verify_regular(st.st_mode);
        if (r < 0)
                return r;

        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        /* ...and again once open: it may have been swapped meanwhile. */
        if (fstat(fd, &st) < 0)
                return negative_errno();
        r = verify_regular(st.st_mode);
        if (r < 0)
                return r;
        if ((uint64_t) st.st_size >= size)
                return -EFBIG;

        for (;;) {
                ssize_t k = read(fd, buf + n, size - 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n >= size - 1) {
                        char c;

                        /* Grown since fstat(): larger than we read. */
                        k = read(fd, &c, 1);
                        if (k != 0)
                                return -EFBIG;
                        break;
                }
        }
        buf[n] = 0;
        return (int) n;
}

int statefile_remove(int dir_fd, const char *name) {
        assert(name);

        if (unlinkat(dir_fd, name, 0) < 0) {
                if (errno == ENOENT)
                        return 0;
                return negative_errno();
        }
        if (fsync(dir_fd) < 0)
                return negative_errno();
        return 0;
}

int statefile_write(int dir_fd, const char *name, const void *buf, size_t len) {
        return statefile_write_mode(dir_fd, name, buf, len, (mode_t) -1);
}

int statefile_write_mode(int dir_fd, const char *name, const void *buf, size_t len, mode_t mode) {
        char tmp[STATEFILE_NAME_MAX];
        _cleanup_close_ int fd = -1;
        size_t n = 0;
        int r;

        assert(name);
        assert(buf || len == 0);

        r = suffixed(name, ".tmp", tmp, sizeof(tmp));
        if (r < 0)
                return r;

        /* unlinkat() never follows a symlink: a link planted as NAME.tmp goes,
         * its target stays untouched. O_EXCL|O_NOFOLLOW then refuses anything
         * that appeared in between instead of writing through it. */
        if (unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT)
                return negative_errno();
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return negative_errno();
        /* Before the rename: the file is never seen with another mode. */
        if (mode != (mode_t) -1 && fchmod(fd, mode) < 0) {
                r = negative_errno();
                goto fail;
        }

        while (n < len) {
                ssize_t k = write(fd, (const char *) buf + n, len - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        goto fail;
                }
                if (k == 0) {
                        r = -EIO;
                        goto fail;
                }
                n += (size_t) k;
        }
        if (fsync(fd) < 0) {
                r = negative_errno();
                goto fail;
        }
        fd = safe_close(fd);

        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                r = negative_errno();
                goto fail;
        }
        /* The rename itself is durable only once the directory is. */
        if (fsync(dir_fd) < 0)
                return negative_errno();
        return 0;

fail:
        (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

int statefile_move_aside(int dir_fd, const char *name) {
        char aside[STATEFILE_NAME_MAX];
        int r;

        assert(name);

        r = suffixed(name, ".corrupt", aside, sizeof(aside));
        if (r < 0)
                return r;
        if (renameat(dir_fd, name, dir_fd, aside) < 0)
                return negative_errno();
        (void) fsync(dir_fd);
        return 0;
}

static pid_t read_pid(int fd) {
        char buf[32];
        uint64_t pid;
        ssize_t n;

        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        if (parse_u64_full(buf, &pid) < 0 || pid == 0 || pid > INT_MAX)
                return 0;
        return (pid_t) pid;
}

int statefile_lock(int dir_fd, const char *name, int *ret_fd, pid_t *ret_holder) {
        struct flock fl = {
                .l_type = F_WRLCK,
                .l_whence = SEEK_SET,
        };
        _cleanup_close_ int fd = -1;
        char buf[32];
        struct stat st;
        int n, r;

        assert(name);
        assert(ret_fd);

        fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        r = verify_regular(st.st_mode);
        if (r < 0)
                return r;

        /* An open file description lock, not a POSIX one: it belongs to this
         * fd, so no close() of another fd on the file elsewhere in the
         * process drops it; and not flock(): this one can be tested. The
         * kernel reports no PID for these locks (l_pid is -1), so the holder
         * writes its own into the file. */
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
                if (errno != EAGAIN && errno != EACCES)
                        return negative_errno();
                if (ret_holder)
                        *ret_holder = read_pid(fd);
                return -EBUSY;
        }

        n = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
        errno = 0;
        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t) n, 0) != n)
                return errno ? negative_errno() : -EIO;

        *ret_fd = TAKE_FD(fd);
        return 0;
}
