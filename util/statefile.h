/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Small state files in one directory, all through its fd: the directory is
 * opened once and checked, nothing below it follows a symlink, a reader never
 * blocks on a FIFO or reads a device, and a writer replaces a file atomically
 * and durably. A daemon writes back what these files say, so whoever can write
 * the directory could make it write anything: the directory must belong to
 * root or to the process's own user and be writable by nobody else. */

/* Creates path (mode, where it does not exist) and opens it without following
 * a symlink in its last component. Returns 0 with the fd in *ret_fd, -EPERM
 * when it belongs to another user than root or the effective uid, -EACCES when
 * group or others may write it, -ENOTDIR, or -errno. *ret_st (may be NULL) gets
 * its stat, also on -EPERM and -EACCES, to name the owner and the mode. */
int statefile_dir_open(const char *path, mode_t mode, int *ret_fd, struct stat *ret_st);

/* Reads dir_fd/name (never following a symlink, never blocking) into buf, NUL
 * terminated. Returns the length; -ENOENT; -EFBIG when it does not fit in
 * size - 1 bytes; for anything but a regular file -EISDIR (a directory),
 * -ELOOP (a symlink) or -EBADFD (a FIFO, socket or device); or -errno. */
int statefile_read(int dir_fd, const char *name, char *buf, size_t size);

/* Replaces dir_fd/name with the len bytes at buf (mode 0644 before the umask):
 * a temporary NAME.tmp created exclusively (a stale one, or anything else of
 * that name, is removed first without following it), written, fsync()ed,
 * renamed over name, and the directory fsync()ed, so that after a crash name
 * holds either the old text or the new, never a mix or nothing. Returns 0 or
 * -errno; on failure name is untouched. */
int statefile_write(int dir_fd, const char *name, const void *buf, size_t len);

/* statefile_write() with exactly mode, whatever the umask: for a file that
 * another user's process reads (node_exporter under memtuned's UMask=0077). */
int statefile_write_mode(int dir_fd, const char *name, const void *buf, size_t len, mode_t mode);

/* Removes dir_fd/name (nothing there is fine) and fsync()s the directory.
 * Returns 0 or -errno. */
int statefile_remove(int dir_fd, const char *name);

/* Renames dir_fd/name to NAME.corrupt, whatever it is (keeping the evidence
 * and freeing the name). Returns 0 or -errno. */
int statefile_move_aside(int dir_fd, const char *name);

/* "a FIFO", "a directory", "a socket", ...: for messages about what was found
 * where a regular file belongs. */
const char *statefile_type_name(mode_t mode);

/* Takes an exclusive lock (an open file description lock, released when the
 * fd closes, also on SIGKILL) on dir_fd/name, creating it, and writes the
 * PID into it. Returns 0 with the fd in *ret_fd (keep it open as long as the
 * lock is meant to hold); -EBUSY when another process holds it, with that
 * process's PID in *ret_holder (0 when the file does not say yet); or
 * -errno. */
int statefile_lock(int dir_fd, const char *name, int *ret_fd, pid_t *ret_holder);
