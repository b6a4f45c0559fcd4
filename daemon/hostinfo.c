/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "hostinfo.h"
#include "macro.h"
#include "meminfo.h"
#include "procfile.h"
#include "units.h"
#include "zoneinfo.h"

/* Same limits as the sampler: zoneinfo lists every CPU's pageset per zone, so
 * it grows with CPUs times zones. */
#define MEMINFO_BUF_SIZE (8u * 1024)
#define MEMINFO_BUF_MAX (64u * 1024)
#define ZONEINFO_BUF_SIZE (64u * 1024)
#define ZONEINFO_BUF_MAX (16u * 1024 * 1024)

static int read_meminfo(int proc_fd, MemInfo *ret) {
        ProcFile f = PROC_FILE_NULL;
        const char *buf;
        size_t len;
        int r;

        r = procfile_open(&f, proc_fd, "meminfo", MEMINFO_BUF_SIZE, MEMINFO_BUF_MAX, true);
        if (r < 0)
                return r;
        r = procfile_read(&f, &buf, &len);
        if (r >= 0)
                r = meminfo_parse(buf, len, ret);
        procfile_close(&f);
        return r;
}

static int read_zoneinfo(int proc_fd, ZoneInfo *ret) {
        ProcFile f = PROC_FILE_NULL;
        const char *buf;
        size_t len;
        int r;

        r = procfile_open(&f, proc_fd, "zoneinfo", ZONEINFO_BUF_SIZE, ZONEINFO_BUF_MAX, false);
        if (r < 0)
                return r;
        r = procfile_read(&f, &buf, &len);
        if (r >= 0)
                r = zoneinfo_parse(buf, len, ret);
        procfile_close(&f);
        return r;
}

/* The nodes with memory the allocator can use: memory-less nodes (CPUs only)
 * list zones with managed 0. Nodes appear in order, zones grouped by node.
 * At least 1. */
static uint32_t numa_nodes(const ZoneInfo *z) {
        uint32_t n = 0;

        for (size_t i = 0; i < z->n_zones; i++) {
                bool seen = false;

                if (z->zones[i].managed == 0)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (z->zones[j].node == z->zones[i].node && z->zones[j].managed > 0) {
                                seen = true;
                                break;
                        }
                if (!seen)
                        n++;
        }
        return MAX(n, 1u);
}

int hostinfo_parse_release(const char *release, unsigned ret[3]) {
        char prefix[32];
        unsigned n_parts;
        size_t n;

        /* The numeric prefix, at most three numbers: "6.1.0" of "6.1.0-18-amd64",
         * "4.19.0" of "4.19.0.1", "6.9" of "6.9-rc1". */
        n = strspn(release, "0123456789");
        for (unsigned parts = 1;
             parts < 3 && release[n] == '.' && release[n + 1] >= '0' && release[n + 1] <= '9'; parts++)
                n += 1 + strspn(release + n + 1, "0123456789");
        if (n == 0 || n >= sizeof(prefix))
                return -EINVAL;
        memcpy(prefix, release, n);
        prefix[n] = 0;
        return parse_kernel_version(prefix, ret, &n_parts);
}

/* Reads a one-line sysctl into buf without its newline. */
static int read_line_at(int proc_fd, const char *path, char *buf, size_t size) {
        int r;

        r = read_small_file_at(proc_fd, path, buf, size);
        if (r < 0)
                return r;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

int hostinfo_from(int proc_fd, const MemInfo *meminfo, const ZoneInfo *zoneinfo, HostInfo *ret) {
        HostInfo h = {};
        char release[256];
        struct utsname u;
        bool have_uname = false;
        int r;

        h.ram_kb = meminfo->field[MEMINFO_MEM_TOTAL];
        h.swap_kb = meminfo->field[MEMINFO_SWAP_TOTAL];
        h.numa_nodes = numa_nodes(zoneinfo);

        r = read_line_at(proc_fd, "sys/kernel/hostname", h.hostname, sizeof(h.hostname));
        if (r < 0) {
                if (uname(&u) < 0)
                        return negative_errno();
                have_uname = true;
                snprintf(h.hostname, sizeof(h.hostname), "%s", u.nodename);
        }

        r = read_line_at(proc_fd, "sys/kernel/osrelease", release, sizeof(release));
        if (r < 0) {
                if (!have_uname && uname(&u) < 0)
                        return negative_errno();
                snprintf(release, sizeof(release), "%s", u.release);
        }
        r = hostinfo_parse_release(release, h.kernel_version);
        if (r < 0)
                return r;

        *ret = h;
        return 0;
}

int hostinfo_read(int proc_fd, HostInfo *ret) {
        _cleanup_free_ ZoneInfo *z = NULL;
        MemInfo m;
        int r;

        r = read_meminfo(proc_fd, &m);
        if (r < 0)
                return r;

        z = malloc(sizeof(ZoneInfo));
        if (!z)
                return -ENOMEM;
        r = read_zoneinfo(proc_fd, z);
        if (r < 0)
                return r;

        return hostinfo_from(proc_fd, &m, z, ret);
}
