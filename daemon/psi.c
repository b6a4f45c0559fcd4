/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"
#include "psi.h"

#define PERCENT_MAX_CENTI 10000u

static int parse_line(const char *p, const char *eol, PsiLine *ret) {
        static const char *const keys[] = { "avg10=", "avg60=", "avg300=", "total=" };
        uint32_t avg[3];
        uint64_t total;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                size_t n = strlen(keys[i]);

                if (p >= eol || *p != ' ')
                        return -EINVAL;
                p++;
                if ((size_t) (eol - p) < n || memcmp(p, keys[i], n) != 0)
                        return -EINVAL;
                p += n;
                if (i < 3) {
                        r = parse_centi(p, eol, &p, &avg[i]);
                        if (r < 0)
                                return r;
                        if (avg[i] > PERCENT_MAX_CENTI)
                                return -EINVAL;
                } else {
                        r = parse_u64(p, eol, &p, &total);
                        if (r < 0)
                                return r;
                }
        }
        if (p != eol)
                return -EINVAL;

        *ret = (PsiLine) { .avg10 = avg[0], .avg60 = avg[1], .avg300 = avg[2], .total = total };
        return 0;
}

int psi_parse(const char *buf, size_t len, Psi *ret) {
        const char *end = buf + len;
        bool has_some = false;
        Psi psi = {};
        int r;

        for (const char *p = buf; p < end; p = line_next(p, end)) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                bool *seen;
                PsiLine *l;

                if (!eol)
                        eol = end;
                if (eol == p)
                        continue;

                if ((size_t) (eol - p) >= 4 && memcmp(p, "some", 4) == 0)
                        seen = &has_some, l = &psi.some;
                else if ((size_t) (eol - p) >= 4 && memcmp(p, "full", 4) == 0)
                        seen = &psi.has_full, l = &psi.full;
                else
                        return -EINVAL;
                if (*seen)
                        return -EINVAL;

                r = parse_line(p + 4, eol, l);
                if (r < 0)
                        return r;
                *seen = true;
        }

        if (!has_some)
                return -ENODATA;

        psi.available = true;
        *ret = psi;
        return 0;
}

int psi_trigger_open(int proc_dirfd, bool full, uint64_t stall_usec, uint64_t window_usec) {
        _cleanup_close_ int fd = -1;
        struct statfs sfs;
        char spec[64];
        int n;

        fd = openat(proc_dirfd, "pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        /* A captured tree (--proc-root) holds a plain file: writing the spec
         * would only corrupt the copy, and it cannot be polled. */
        if (fstatfs(fd, &sfs) < 0)
                return negative_errno();
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return -EOPNOTSUPP;

        /* The kernel wants the terminating NUL written with the spec. */
        n = snprintf(spec, sizeof(spec), "%s %" PRIu64 " %" PRIu64, full ? "full" : "some", stall_usec,
                     window_usec);
        if (write(fd, spec, (size_t) n + 1) < 0)
                return negative_errno();

        return TAKE_FD(fd);
}
