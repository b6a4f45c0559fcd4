/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Who else sets a sysctl at boot: the sysctl.d(5) files that systemd-sysctl
 * and `sysctl --system` apply. Generic (no memtuned types): the daemon's
 * owner detection and memtunectl doctor read the same files the same way.
 *
 * Every path is read below a root directory fd ("/" on a real host, a
 * fixture tree in tests) and shown as the host would name it
 * ("/etc/sysctl.d/60-swap.conf"). A file that cannot be used is an error
 * "FILE:LINE: message" (or "FILE: message") in the list and is skipped as
 * a whole: it changes nothing else. */

/* Hostile-input limits. 1 MiB is far above any real sysctl.d file (Debian's
 * largest is under 4 kB) and bounds the memory one file can make us hold;
 * 4096 settings and 256 files likewise. A key longer than 256 bytes names
 * no sysctl (the longest under /proc/sys is under 100). */
#define CONF_FILE_SIZE_MAX (1024u * 1024u)
#define CONF_SETTINGS_MAX 4096u
#define CONF_FILES_MAX 256u
#define CONF_KEY_MAX 256u
#define CONF_VALUE_MAX 4096u
#define CONF_ERRORS_MAX 64u

/* One assignment: key (a sysctl as a path below /proc/sys, "vm/swappiness";
 * may be a glob), value as written and trimmed (NULL: "-key", an exclusion
 * from globs), where it was written. */
typedef struct ConfSetting {
        char *key;
        char *value;
        char *file; /* as the host names it */
        unsigned line;
        bool glob;
} ConfSetting;

/* Settings in the order they apply (a later one wins), the files read, and
 * what could not be used. Start zeroed; conf_list_done() frees. */
typedef struct ConfList {
        ConfSetting *settings;
        size_t n_settings, n_settings_allocated;
        char **files;
        size_t n_files;
        char **errors; /* "FILE:LINE: message", at most CONF_ERRORS_MAX (the last one says so) */
        size_t n_errors;
} ConfList;

void conf_list_done(ConfList *l);

/* Appends "FILE:LINE: message" (line 0: "FILE: message"). Returns 0 or -ENOMEM. */
int conf_list_error(ConfList *l, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Trims blanks (space, tab, CR) at both ends of [*b, *e). */
void conf_trim(const char **b, const char **e);

/* No control character in [b, e). */
bool conf_printable(const char *b, const char *e);

/* A file with a NUL byte is not text: records the error once, at the line
 * of the first NUL. Returns 0 for text, 1 for a refused file, -ENOMEM. */
int conf_refuse_binary(ConfList *l, const char *file, const char *text, size_t len);

/* Appends a copy of a setting. Returns 0, -E2BIG beyond CONF_SETTINGS_MAX, or -ENOMEM. */
int conf_list_add(ConfList *l, const char *key, const char *value, const char *file, unsigned line);

/* Turns a sysctl name as sysctl.d(5) allows it ("vm.swappiness",
 * "vm/swappiness", "net.ipv4.conf.eth0/100.rp_filter") into the path below
 * /proc/sys ("vm/swappiness"): when the first separator is a dot, dots and
 * slashes swap. Writes at most size bytes. Returns 0, or -EINVAL for an empty
 * name or one that does not fit. */
int sysctl_normalize(const char *name, char *buf, size_t size);

/* Parses one sysctl.d file's text (len bytes, need not be NUL-terminated),
 * named file in messages, and appends its settings to l. A line that is not
 * an assignment is an error and is skipped (systemd-sysctl skips it too); a
 * NUL byte means the file is not text: nothing of it is added. Returns the
 * number of errors added (>= 0), or -ENOMEM. */
int sysctl_parse(const char *file, const char *text, size_t len, ConfList *l);

/* Reads a configuration file dir_fd/path (shown as `shown`) into a new
 * NUL-terminated buffer: it must be a regular file of at most
 * CONF_FILE_SIZE_MAX bytes. Returns 0; -ENOENT when absent (no error added);
 * other -errno with the error added to l. */
int conf_read_file(int root_fd, const char *path, const char *shown, ConfList *l, char **ret,
                   size_t *ret_len);

/* The sysctl.d directories, highest priority first (sysctl.d(5),
 * sysctl(8) --system): a file name in an earlier one masks the same name in
 * later ones. Paths are relative to the root. */
extern const char *const sysctl_dirs[];
#define SYSCTL_CONF "etc/sysctl.conf"

/* Loads every sysctl.d file below root_fd as systemd-sysctl would: the
 * *.conf names of all directories, each name from its highest-priority
 * directory (a symlink to /dev/null or an empty file masks it), applied in
 * name order, then /etc/sysctl.conf (as `sysctl --system` does; skipped when
 * a sysctl.d file is that very file, as Debian's 99-sysctl.conf symlink is).
 * Errors go to ret's list. Returns 0 or -ENOMEM. */
int sysctl_load(int root_fd, ConfList *ret);

/* The setting that wins for key (a path below /proc/sys, "vm/swappiness"):
 * the last explicit one; without one, the last glob that matches unless a
 * "-key" exclusion names it. NULL: nothing sets it. */
const ConfSetting *conf_list_find(const ConfList *l, const char *key);
