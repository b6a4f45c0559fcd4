/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "macro.h"
#include "parse.h"
#include "procfile.h"
#include "string-table.h"
#include "swapinfo.h"

static const char *const swap_class_table[_SWAP_CLASS_MAX] = {
        [SWAP_CLASS_NONE] = "none", [SWAP_CLASS_ZRAM] = "zram", [SWAP_CLASS_ZSWAP] = "zswap",
        [SWAP_CLASS_SSD] = "ssd",   [SWAP_CLASS_DISK] = "disk", [SWAP_CLASS_UNKNOWN] = "unknown",
};
DEFINE_STRING_TABLE_LOOKUP(swap_class, SwapClass);

/* The next whitespace-separated field of [*p, end) on this line. */
static bool next_field(const char **p, const char *end, const char **ret, size_t *ret_len) {
        const char *s = *p, *e;

        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        e = s;
        while (e < end && *e != ' ' && *e != '\t' && *e != '\n')
                e++;
        if (e == s)
                return false;
        *ret = s;
        *ret_len = (size_t) (e - s);
        *p = e;
        return true;
}

static int parse_number(const char *s, size_t n, uint64_t *ret) {
        const char *next;
        int r;

        r = parse_u64(s, s + n, &next, ret);
        if (r < 0)
                return r;
        return next == s + n ? 0 : -EINVAL;
}

int swaps_parse(const char *buf, size_t len, SwapDevice devs[], size_t *ret_n) {
        SwapDevice found[SWAPS_MAX];
        const char *end = buf + len, *p;
        size_t n = 0;

        if (memchr(buf, 0, len))
                return -EINVAL;
        if (len < strlen("Filename") || memcmp(buf, "Filename", strlen("Filename")) != 0)
                return -EINVAL;
        for (p = line_next(buf, end); p < end; p = line_next(p, end)) {
                const char *q = p, *f[5];
                size_t l[5];
                uint64_t prio;
                bool neg;
                int r;

                if (*p == '\n')
                        return -EINVAL;
                for (size_t i = 0; i < 5; i++)
                        if (!next_field(&q, end, &f[i], &l[i]))
                                return -EINVAL;
                while (q < end && (*q == ' ' || *q == '\t'))
                        q++;
                if (q < end && *q != '\n')
                        return -EINVAL;
                if (n >= SWAPS_MAX)
                        return -E2BIG;
                SwapDevice *d = &found[n];
                *d = (SwapDevice) {};
                if (l[0] >= sizeof(d->path))
                        return -EINVAL;
                memcpy(d->path, f[0], l[0]);
                d->path[l[0]] = 0;
                if (l[1] == 4 && memcmp(f[1], "file", 4) == 0)
                        d->is_file = true;
                else if (!(l[1] == 9 && memcmp(f[1], "partition", 9) == 0))
                        return -EINVAL;
                r = parse_number(f[2], l[2], &d->size_kb);
                if (r >= 0)
                        r = parse_number(f[3], l[3], &d->used_kb);
                if (r < 0)
                        return r;
                neg = f[4][0] == '-';
                if (neg && l[4] == 1)
                        return -EINVAL;
                r = parse_number(f[4] + neg, l[4] - neg, &prio);
                if (r < 0)
                        return r;
                if (prio > (uint64_t) INT32_MAX + neg)
                        return -ERANGE;
                d->priority = neg ? -(int64_t) prio : (int64_t) prio;
                n++;
        }
        memcpy(devs, found, n * sizeof(SwapDevice));
        *ret_n = n;
        return 0;
}

/* Reads a rotational flag ("0\n" or "1\n") at path below sys_dirfd. Returns
 * 0 or 1, or -errno. */
static int read_rotational(int sys_dirfd, const char *path) {
        char buf[16];
        int r;

        r = read_small_file_at(sys_dirfd, path, buf, sizeof(buf));
        if (r < 0)
                return r;
        if (strcmp(buf, "0\n") == 0 || strcmp(buf, "0") == 0)
                return 0;
        if (strcmp(buf, "1\n") == 0 || strcmp(buf, "1") == 0)
                return 1;
        return -EINVAL;
}

/* A block device's class from its name ("vda2", "nvme0n1p2", "dm-0"): its
 * own queue (whole disks, device mapper), else its disk's (a partition: the
 * name without the partition number, and an nvme "p"). */
static int classify_block(int sys_dirfd, const char *name, SwapState *s) {
        char path[SWAP_PATH_MAX + 64], disk[SWAP_PATH_MAX];
        size_t n = strlen(name);
        int r;

        snprintf(path, sizeof(path), "block/%s/queue/rotational", name);
        r = read_rotational(sys_dirfd, path);
        if (r == -ENOENT) {
                while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9')
                        n--;
                if (n > 1 && name[n - 1] == 'p' && name[n - 2] >= '0' && name[n - 2] <= '9')
                        n--;
                snprintf(disk, sizeof(disk), "%.*s", (int) n, name);
                snprintf(path, sizeof(path), "block/%s/queue/rotational", disk);
                r = read_rotational(sys_dirfd, path);
        }
        if (r < 0)
                return r;
        snprintf(s->detail, sizeof(s->detail), "rotational %d (/sys/%.320s)", r, path);
        return r;
}

/* A swap file's class: the device its filesystem is on. */
static int classify_file(int sys_dirfd, const char *file, SwapState *s) {
        char path[96];
        struct stat st;
        int r;

        if (stat(file, &st) < 0)
                return -errno;
        if (major(st.st_dev) == 0)
                return -ENODEV; /* btrfs, overlay, tmpfs: no one block device */
        snprintf(path, sizeof(path), "dev/block/%u:%u/queue/rotational", major(st.st_dev), minor(st.st_dev));
        r = read_rotational(sys_dirfd, path);
        if (r == -ENOENT) {
                snprintf(path, sizeof(path), "dev/block/%u:%u/../queue/rotational", major(st.st_dev),
                         minor(st.st_dev));
                r = read_rotational(sys_dirfd, path);
        }
        if (r < 0)
                return r;
        snprintf(s->detail, sizeof(s->detail), "rotational %d (/sys/%s)", r, path);
        return r;
}

void swap_classify(int sys_dirfd, const SwapDevice devs[], size_t n, bool zswap, SwapState *ret) {
        SwapState s = { .n_devices = (uint32_t) n, .zswap = zswap };
        const SwapDevice *first = NULL;
        const char *base;
        int r;

        for (size_t i = 0; i < n; i++)
                if (!first || devs[i].priority > first->priority)
                        first = &devs[i];
        if (!first) {
                s.class = SWAP_CLASS_NONE;
                snprintf(s.detail, sizeof(s.detail), "no swap in /proc/swaps");
                *ret = s;
                return;
        }
        snprintf(s.device, sizeof(s.device), "%s", first->path);
        base = strrchr(first->path, '/');
        base = base ? base + 1 : first->path;

        if (!first->is_file && strncmp(base, "zram", 4) == 0) {
                /* Compressed in RAM: zswap in front of it would only
                 * compress twice, so zram wins. */
                s.class = SWAP_CLASS_ZRAM;
                snprintf(s.detail, sizeof(s.detail), "a zram device");
                *ret = s;
                return;
        }
        if (sys_dirfd < 0)
                r = -ENOENT;
        else if (first->is_file)
                r = classify_file(sys_dirfd, first->path, &s);
        else
                r = classify_block(sys_dirfd, base, &s);
        if (r < 0) {
                s.class = SWAP_CLASS_UNKNOWN;
                snprintf(s.detail, sizeof(s.detail), "%s: %s",
                         sys_dirfd < 0    ? "/sys is not read"
                         : r == -ENODEV   ? "its filesystem has no single block device"
                         : first->is_file ? "the file's device has no rotational flag"
                                          : "the device has no rotational flag",
                         strerror(-r));
        } else
                s.class = r ? SWAP_CLASS_DISK : SWAP_CLASS_SSD;
        /* zswap compresses in RAM first and writes to the device only when
         * its pool is full or a page is cold: most swap-ins come from RAM. */
        if (zswap) {
                char detail[sizeof(s.detail)];

                snprintf(detail, sizeof(detail), "zswap in front of a%s device, %.340s",
                         s.class == SWAP_CLASS_DISK  ? " rotating"
                         : s.class == SWAP_CLASS_SSD ? " solid-state"
                                                     : "n unclassified",
                         s.detail);
                memcpy(s.detail, detail, sizeof(s.detail));
                s.class = SWAP_CLASS_ZSWAP;
        }
        *ret = s;
}
