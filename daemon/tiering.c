/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "procfile.h"
#include "tiering.h"

#define DEMOTION_PATH "kernel/mm/numa/demotion_enabled"
#define TIERS_PATH "devices/virtual/memory_tiering"

/* The text without one trailing newline; a NUL byte anywhere is refused. */
static int trim(const char *buf, size_t len, size_t *ret_len) {
        if (memchr(buf, 0, len))
                return -EINVAL;
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        *ret_len = len;
        return 0;
}

int tiering_parse_bool(const char *buf, size_t len, bool *ret) {
        static const struct {
                const char *text;
                bool value;
        } words[] = {
                { "true", true }, { "false", false }, { "1", true }, { "0", false },
                { "y", true },    { "n", false },     { "Y", true }, { "N", false },
        };
        size_t n;

        if (trim(buf, len, &n) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strlen(words[i].text) == n && memcmp(words[i].text, buf, n) == 0) {
                        *ret = words[i].value;
                        return 0;
                }
        return -EINVAL;
}

int tiering_parse_nodelist(const char *buf, size_t len) {
        size_t n;

        if (trim(buf, len, &n) < 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!strchr("0123456789,-", buf[i]) || buf[i] == 0)
                        return -EINVAL;
        return n > 0;
}

static void tiers_add(Tiering *t, const char *name, const char *nodes, size_t n) {
        size_t used = strlen(t->tiers);

        /* Names are "memory_tierN", lists short; a longer text is cut. */
        if (used + 1 < sizeof(t->tiers))
                snprintf(t->tiers + used, sizeof(t->tiers) - used, "%s%.24s (nodes %.*s)", used ? ", " : "",
                         name, (int) MIN(n, (size_t) 64), nodes);
}

static int read_tiers(int sys_dirfd, Tiering *t) {
        _cleanup_close_ int fd = -1;
        DIR *d;
        struct dirent *de;
        int r = 0;

        fd = openat(sys_dirfd, TIERS_PATH, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1; /* the DIR owns it now */
        while ((de = readdir(d))) {
                char path[300], buf[256];
                int k;

                if (strncmp(de->d_name, "memory_tier", strlen("memory_tier")) != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/nodelist", de->d_name);
                k = read_small_file_at(dirfd(d), path, buf, sizeof(buf));
                if (k == -ENOENT)
                        continue;
                if (k < 0) {
                        r = k == -EFBIG ? -EINVAL : k;
                        break;
                }
                k = tiering_parse_nodelist(buf, (size_t) k);
                if (k < 0) {
                        r = k;
                        break;
                }
                if (k == 0)
                        continue;
                t->n_tiers++;
                tiers_add(t, de->d_name, buf, strcspn(buf, "\n"));
        }
        closedir(d);
        return r;
}

int tiering_read(int sys_dirfd, Tiering *ret) {
        Tiering t = {};
        char buf[32];
        int r;

        if (sys_dirfd >= 0) {
                r = read_small_file_at(sys_dirfd, DEMOTION_PATH, buf, sizeof(buf));
                if (r >= 0) {
                        r = tiering_parse_bool(buf, (size_t) r, &t.demotion);
                        if (r < 0)
                                return r;
                        t.demotion_known = true;
                } else if (r != -ENOENT)
                        return r == -EFBIG ? -EINVAL : r;
                r = read_tiers(sys_dirfd, &t);
                if (r < 0)
                        return r;
        }
        *ret = t;
        return 0;
}

bool tiering_active(const Tiering *t) {
        return t->demotion || t->n_tiers >= 2;
}

const char *tiering_refusal(const Tiering *t, char *buf, size_t size) {
        if (!tiering_active(t)) {
                buf[0] = 0;
                return buf;
        }
        snprintf(buf, size,
                 "memory tiering (%s%s%s%s): reclaim demotes to the next tier, and zone reclaim would keep "
                 "a node reclaiming its own pages instead; memtuned never sets zone_reclaim_mode here",
                 t->demotion ? "demotion enabled" : "demotion disabled", t->n_tiers > 0 ? ", " : "",
                 t->n_tiers > 0 ? "tiers " : "", t->tiers);
        return buf;
}
