/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sysctld.h"

const char *const sysctl_dirs[] = {
        "etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d", "lib/sysctl.d", NULL,
};

void conf_list_done(ConfList *l) {
        for (size_t i = 0; i < l->n_settings; i++) {
                free(l->settings[i].key);
                free(l->settings[i].value);
                free(l->settings[i].file);
        }
        free(l->settings);
        for (size_t i = 0; i < l->n_files; i++)
                free(l->files[i]);
        free(l->files);
        for (size_t i = 0; i < l->n_errors; i++)
                free(l->errors[i]);
        free(l->errors);
        *l = (ConfList) {};
}

static int strv_push(char ***v, size_t *n, char *s) {
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = realloc(*v, (*n + 1) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        *v = nv;
        return 0;
}

int conf_refuse_binary(ConfList *l, const char *file, const char *text, size_t len) {
        const char *z = memchr(text, '\0', len);
        unsigned line = 1;
        int r;

        if (!z)
                return 0;
        for (const char *q = text; q < z; q++)
                line += *q == '\n';
        r = conf_list_error(l, file, line, "contains a NUL byte, not a text file; ignoring the file");
        return r < 0 ? r : 1;
}

int conf_list_error(ConfList *l, const char *file, unsigned line, const char *fmt, ...) {
        char msg[512], *s;
        va_list ap;

        if (l->n_errors > CONF_ERRORS_MAX)
                return 0;
        if (l->n_errors == CONF_ERRORS_MAX)
                snprintf(msg, sizeof(msg), "more than %u errors; the rest are not listed", CONF_ERRORS_MAX);
        else {
                va_start(ap, fmt);
                vsnprintf(msg, sizeof(msg), fmt, ap);
                va_end(ap);
        }
        if (line > 0 && l->n_errors < CONF_ERRORS_MAX) {
                if (asprintf(&s, "%s:%u: %s", file, line, msg) < 0)
                        return -ENOMEM;
        } else if (asprintf(&s, "%s: %s", file, msg) < 0)
                return -ENOMEM;
        return strv_push(&l->errors, &l->n_errors, s);
}

int conf_list_add(ConfList *l, const char *key, const char *value, const char *file, unsigned line) {
        ConfSetting s = { .line = line, .glob = strpbrk(key, "*?[") != NULL }, *n;

        if (l->n_settings >= CONF_SETTINGS_MAX)
                return -E2BIG;
        s.key = strdup(key);
        s.value = value ? strdup(value) : NULL;
        s.file = strdup(file);
        if (!s.key || (value && !s.value) || !s.file)
                goto oom;
        /* Doubling: a file of thousands of lines must not cost a realloc each. */
        if (l->n_settings == l->n_settings_allocated) {
                size_t k = MAX(l->n_settings_allocated * 2, (size_t) 16);

                n = realloc(l->settings, k * sizeof(ConfSetting));
                if (!n)
                        goto oom;
                l->settings = n;
                l->n_settings_allocated = k;
        }
        l->settings[l->n_settings++] = s;
        return 0;
oom:
        free(s.key);
        free(s.value);
        free(s.file);
        return -ENOMEM;
}

int sysctl_normalize(const char *name, char *buf, size_t size) {
        size_t n = strlen(name);
        const char *sep = strpbrk(name, "./");
        bool swap = sep && *sep == '.';

        if (n == 0 || n >= size)
                return -EINVAL;
        for (size_t i = 0; i <= n; i++) {
                char ch = name[i];

                if (swap && ch == '.')
                        ch = '/';
                else if (swap && ch == '/')
                        ch = '.';
                buf[i] = ch;
        }
        return 0;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

void conf_trim(const char **b, const char **e) {
        while (*b < *e && is_blank(**b))
                (*b)++;
        while (*e > *b && is_blank((*e)[-1]))
                (*e)--;
}

bool conf_printable(const char *b, const char *e) {
        for (const unsigned char *p = (const unsigned char *) b; p < (const unsigned char *) e; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int sysctl_parse(const char *file, const char *text, size_t len, ConfList *l) {
        const char *p = text, *end = text + len;
        size_t n0 = l->n_settings;
        unsigned line = 0;
        int errors = 0, r;

        /* Not text: say so once, add nothing. */
        r = conf_refuse_binary(l, file, text, len);
        if (r != 0)
                return r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *e = nl ?: end, *b = p, *eq;
                const char *kb, *ke, *vb, *ve;
                char key[CONF_KEY_MAX + 1], norm[CONF_KEY_MAX + 1], value[CONF_VALUE_MAX + 1];
                bool dash = false;

                p = nl ? nl + 1 : end;
                line++;
                conf_trim(&b, &e);
                if (b == e || *b == '#' || *b == ';')
                        continue;

                eq = memchr(b, '=', (size_t) (e - b));
                kb = b;
                ke = eq ?: e;
                conf_trim(&kb, &ke);
                if (kb < ke && *kb == '-') {
                        dash = true;
                        kb++;
                }
                if (!eq && !dash) {
                        r = conf_list_error(l, file, line,
                                            "line is not an assignment (KEY = VALUE), ignoring it");
                        goto error;
                }
                if (kb == ke) {
                        r = conf_list_error(l, file, line, "empty sysctl name, ignoring the line");
                        goto error;
                }
                if ((size_t) (ke - kb) > CONF_KEY_MAX || !conf_printable(kb, ke)) {
                        r = conf_list_error(l, file, line,
                                            "sysctl name is not a printable name of at most %u bytes, "
                                            "ignoring the line",
                                            CONF_KEY_MAX);
                        goto error;
                }
                memcpy(key, kb, (size_t) (ke - kb));
                key[ke - kb] = 0;
                if (sysctl_normalize(key, norm, sizeof(norm)) < 0) {
                        r = conf_list_error(l, file, line, "bad sysctl name '%s', ignoring the line", key);
                        goto error;
                }
                if (eq) {
                        vb = eq + 1;
                        ve = e;
                        conf_trim(&vb, &ve);
                        if ((size_t) (ve - vb) > CONF_VALUE_MAX || !conf_printable(vb, ve)) {
                                r = conf_list_error(
                                        l, file, line,
                                        "value of '%s' is not printable text of at most %u bytes, "
                                        "ignoring the line",
                                        key, CONF_VALUE_MAX);
                                goto error;
                        }
                        memcpy(value, vb, (size_t) (ve - vb));
                        value[ve - vb] = 0;
                }
                r = conf_list_add(l, norm, eq ? value : NULL, file, line);
                if (r == -E2BIG) {
                        r = conf_list_error(l, file, line, "more than %u settings; ignoring the file",
                                            CONF_SETTINGS_MAX);
                        goto drop;
                }
                if (r < 0)
                        return r;
                continue;
error:
                if (r < 0)
                        return r;
                errors++;
        }
        return errors;

drop:
        /* Nothing of a file too large to hold stays half-applied. */
        while (l->n_settings > n0) {
                ConfSetting *s = &l->settings[--l->n_settings];
                free(s->key);
                free(s->value);
                free(s->file);
        }
        return r < 0 ? r : errors + 1;
}

int conf_read_file(int root_fd, const char *path, const char *shown, ConfList *l, char **ret,
                   size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;
        int r;

        fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                r = -errno;
                (void) conf_list_error(l, shown, 0, "cannot open: %s; ignoring it", strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) conf_list_error(l, shown, 0, "cannot stat: %s; ignoring it", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                (void) conf_list_error(l, shown, 0, "not a regular file; ignoring it");
                return -EBADFD;
        }
        if ((uint64_t) st.st_size > CONF_FILE_SIZE_MAX) {
                (void) conf_list_error(l, shown, 0, "too large (%lld bytes, at most %u); ignoring it",
                                       (long long) st.st_size, CONF_FILE_SIZE_MAX);
                return -EFBIG;
        }
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        /* The size may change under us: read what fits and no more. */
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        (void) conf_list_error(l, shown, 0, "cannot read: %s; ignoring it", strerror(-r));
                        return r;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

/* Whether dir_fd/name is a symlink to /dev/null: systemd's way to mask. */
static bool is_masked(int dir_fd, const char *name, const struct stat *st) {
        char target[64];
        ssize_t k;

        if (S_ISCHR(st->st_mode))
                return true; /* followed to /dev/null itself */
        k = readlinkat(dir_fd, name, target, sizeof(target) - 1);
        if (k < 0)
                return st->st_size == 0 && S_ISREG(st->st_mode);
        target[k] = 0;
        return strcmp(target, "/dev/null") == 0;
}

typedef struct Candidate {
        char *name;
        size_t dir; /* index into sysctl_dirs */
} Candidate;

static int candidate_cmp(const void *a, const void *b) {
        const Candidate *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c != 0 ? c : (x->dir > y->dir) - (x->dir < y->dir);
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The same inode as etc/sysctl.conf below root (Debian's 99-sysctl.conf). */
static bool same_as_sysctl_conf(int root_fd, const char *path) {
        struct stat a, b;

        return fstatat(root_fd, path, &a, 0) >= 0 && fstatat(root_fd, SYSCTL_CONF, &b, 0) >= 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int apply_file(int root_fd, const char *path, ConfList *l) {
        _cleanup_free_ char *buf = NULL, *shown = NULL;
        size_t len;
        int r;

        if (asprintf(&shown, "/%s", path) < 0)
                return -ENOMEM;
        r = conf_read_file(root_fd, path, shown, l, &buf, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        r = strv_push(&l->files, &l->n_files, TAKE_PTR(shown));
        if (r < 0)
                return r;
        r = sysctl_parse(l->files[l->n_files - 1], buf, len, l);
        return r < 0 ? r : 0;
}

int sysctl_load(int root_fd, ConfList *ret) {
        Candidate *c = NULL;
        size_t n = 0;
        bool conf_seen = false;
        int r = 0;

        for (size_t d = 0; sysctl_dirs[d]; d++) {
                _cleanup_close_ int dfd =
                        openat(root_fd, sysctl_dirs[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *dir;
                struct dirent *de;

                if (dfd < 0)
                        continue;
                dir = fdopendir(dfd);
                if (!dir)
                        continue;
                dfd = -EBADF; /* the DIR owns it now */
                while ((de = readdir(dir))) {
                        Candidate *nc;

                        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".conf"))
                                continue;
                        if (n >= CONF_FILES_MAX) {
                                char shown[300];

                                snprintf(shown, sizeof(shown), "/%s", sysctl_dirs[d]);
                                (void) conf_list_error(ret, shown, 0,
                                                       "more than %u files; the rest are ignored",
                                                       CONF_FILES_MAX);
                                break;
                        }
                        nc = realloc(c, (n + 1) * sizeof(Candidate));
                        if (!nc) {
                                r = -ENOMEM;
                                break;
                        }
                        c = nc;
                        c[n].name = strdup(de->d_name);
                        c[n].dir = d;
                        if (!c[n].name) {
                                r = -ENOMEM;
                                break;
                        }
                        n++;
                }
                closedir(dir);
                if (r < 0)
                        goto finish;
        }

        if (n > 0) /* qsort() takes no NULL, even for nothing */
                qsort(c, n, sizeof(Candidate), candidate_cmp);
        for (size_t i = 0; i < n; i++) {
                char path[512];
                struct stat st;
                _cleanup_close_ int dfd = -EBADF;

                /* The first of a name is from the highest-priority directory. */
                if (i > 0 && strcmp(c[i].name, c[i - 1].name) == 0)
                        continue;
                dfd = openat(root_fd, sysctl_dirs[c[i].dir], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0 || fstatat(dfd, c[i].name, &st, 0) < 0 || is_masked(dfd, c[i].name, &st))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", sysctl_dirs[c[i].dir], c[i].name);
                if (same_as_sysctl_conf(root_fd, path))
                        conf_seen = true;
                r = apply_file(root_fd, path, ret);
                if (r < 0)
                        goto finish;
        }
        if (!conf_seen)
                r = apply_file(root_fd, SYSCTL_CONF, ret);

finish:
        for (size_t i = 0; i < n; i++)
                free(c[i].name);
        free(c);
        return r;
}

const ConfSetting *conf_list_find(const ConfList *l, const char *key) {
        const ConfSetting *glob = NULL;
        bool excluded = false;

        for (size_t i = l->n_settings; i > 0; i--) {
                const ConfSetting *s = &l->settings[i - 1];

                if (!s->glob && strcmp(s->key, key) == 0) {
                        if (s->value)
                                return s;
                        excluded = true;
                } else if (s->glob && s->value && !glob && fnmatch(s->key, key, 0) == 0)
                        glob = s;
        }
        return excluded ? NULL : glob;
}
