/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "parse.h"
#include "procfile.h"
#include "tunable.h"

/* Kernel ranges as of 6.1: min_free_kbytes >= 0 (the kernel also refuses
 * values that starve the system, and we cap far below that in the engine);
 * watermark_scale_factor 1..3000 (1000 before 5.19: the write then fails and is
 * reported); swappiness 0..200; zone_reclaim_mode a 3-bit mask;
 * watermark_boost_factor any non-negative int (mm/page_alloc.c, 5.0+).
 * lru_gen/enabled is a mask of the multi-gen LRU's capabilities (0x1 the
 * MGLRU itself, 0x2 page table walks, 0x4 non-leaf PMD young bits; the kernel
 * shows "0x%04x" and takes kstrtouint base 0, mm/vmscan.c); min_ttl_ms an
 * unsigned int of milliseconds that the kernel keeps in jiffies, so it reads
 * back rounded to the tick (4 ms at Debian's HZ=250). */
/* clang-format off: one entry per line */
static const TunableInfo table[_TUNABLE_MAX] = {
        [TUNABLE_MIN_FREE_KBYTES] = {
                .name = "min_free_kbytes", .kernel_min = 0, .kernel_max = INT32_MAX,
                .path = "sys/vm/min_free_kbytes", .display = "vm.min_free_kbytes",
                .absent = "no /proc/sys/vm/min_free_kbytes",
        },
        [TUNABLE_WATERMARK_SCALE_FACTOR] = {
                .name = "watermark_scale_factor", .kernel_min = 1, .kernel_max = 3000,
                .path = "sys/vm/watermark_scale_factor", .display = "vm.watermark_scale_factor",
                .absent = "no /proc/sys/vm/watermark_scale_factor (Linux before 4.6)",
        },
        [TUNABLE_SWAPPINESS] = {
                .name = "swappiness", .kernel_min = 0, .kernel_max = 200,
                .path = "sys/vm/swappiness", .display = "vm.swappiness",
                .absent = "no /proc/sys/vm/swappiness (a kernel without swap support, CONFIG_SWAP=n)",
        },
        [TUNABLE_ZONE_RECLAIM_MODE] = {
                .name = "zone_reclaim_mode", .kernel_min = 0, .kernel_max = 7, .numa_only = true,
                .path = "sys/vm/zone_reclaim_mode", .display = "vm.zone_reclaim_mode",
                .absent = "no /proc/sys/vm/zone_reclaim_mode (a kernel without NUMA, CONFIG_NUMA=n)",
        },
        [TUNABLE_WATERMARK_BOOST_FACTOR] = {
                .name = "watermark_boost_factor", .kernel_min = 0, .kernel_max = INT32_MAX,
                .path = "sys/vm/watermark_boost_factor", .fixed_only = true,
                .display = "vm.watermark_boost_factor",
                .absent = "no /proc/sys/vm/watermark_boost_factor (Linux before 5.0)",
        },
        [TUNABLE_LRU_GEN_ENABLED] = {
                .name = "lru_gen_enabled", .kernel_min = 0, .kernel_max = 7,
                .path = "kernel/mm/lru_gen/enabled", .root = TUNABLE_ROOT_SYS, .hex = true,
                .fixed_only = true, .display = "/sys/kernel/mm/lru_gen/enabled",
                .absent = "no /sys/kernel/mm/lru_gen/enabled: this kernel has no multi-gen LRU "
                          "(CONFIG_LRU_GEN, Linux 6.1+)",
        },
        [TUNABLE_LRU_GEN_MIN_TTL_MS] = {
                .name = "lru_gen_min_ttl_ms", .kernel_min = 0, .kernel_max = INT32_MAX,
                .path = "kernel/mm/lru_gen/min_ttl_ms", .root = TUNABLE_ROOT_SYS,
                .fixed_only = true, .display = "/sys/kernel/mm/lru_gen/min_ttl_ms",
                .absent = "no /sys/kernel/mm/lru_gen/min_ttl_ms: this kernel has no multi-gen LRU "
                          "(CONFIG_LRU_GEN, Linux 6.1+)",
        },
};
/* clang-format on */

const TunableInfo *tunable_info(TunableId id) {
        return id < _TUNABLE_MAX ? &table[id] : NULL;
}

int tunable_from_name(const char *name) {
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                if (strcmp(table[i].name, name) == 0)
                        return (int) i;
        return -EINVAL;
}

int tunable_parse(const char *buf, size_t len, uint64_t *ret) {
        /* parse_u64_full() stops at a NUL: "30\0garbage" would pass as 30. */
        if (memchr(buf, 0, len))
                return -EINVAL;
        return parse_u64_full(buf, ret);
}

int tunable_parse_value(TunableId id, const char *buf, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        size_t i, digits = 0;

        if (id >= _TUNABLE_MAX)
                return -EINVAL;
        if (!table[id].hex)
                return tunable_parse(buf, len, ret);
        if (len < 3 || buf[0] != '0' || buf[1] != 'x')
                return -EINVAL;
        for (i = 2; i < len && buf[i] != '\n'; i++, digits++) {
                char c = buf[i];
                unsigned d;

                if (c >= '0' && c <= '9')
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned) (c - 'A' + 10);
                else
                        return -EINVAL;
                if (digits >= 16)
                        return -ERANGE;
                v = v << 4 | d;
        }
        /* One newline at most, and only at the end. */
        if (digits == 0 || (i < len && i + 1 != len))
                return -EINVAL;
        *ret = v;
        return 0;
}

int tunable_read(int proc_dirfd, int sys_dirfd, TunableId id, uint64_t *ret) {
        char buf[32];
        int fd, r;

        if (id >= _TUNABLE_MAX)
                return -EINVAL;
        fd = tunable_root_fd(id, proc_dirfd, sys_dirfd);
        if (fd < 0)
                return -ENOENT;
        r = read_small_file_at(fd, table[id].path, buf, sizeof(buf));
        if (r == -EFBIG)
                return -EINVAL;
        if (r < 0)
                return r;
        return tunable_parse_value(id, buf, (size_t) r, ret);
}
