/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procfs_parse_cgroup() and, on what it accepts, procfs_cgroup_unit(). */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "procfs.h"

static bool endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);

        return n > k && strcmp(s + n - k, suffix) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[PROC_PATH_MAX], unit[PROC_UNIT_MAX];
        int r;

        r = procfs_parse_cgroup((const char *) data, size, path, sizeof(path));
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ENODATA, -ENAMETOOLONG);
        if (r < 0)
                return 0;

        FUZZ_ASSERT((size_t) r == strlen(path));
        FUZZ_ASSERT(path[0] == '/');
        FUZZ_ASSERT(!strchr(path, '\n'));

        r = procfs_cgroup_unit(path, unit, sizeof(unit));
        FUZZ_ASSERT_ERRNO(r, -ENXIO, -ENAMETOOLONG);
        if (r < 0)
                return 0;
        FUZZ_ASSERT((size_t) r == strlen(unit));
        FUZZ_ASSERT(!strchr(unit, '/'));
        FUZZ_ASSERT(strstr(path, unit));
        FUZZ_ASSERT(endswith(unit, ".service") || endswith(unit, ".scope") || endswith(unit, ".socket") ||
                    endswith(unit, ".mount") || endswith(unit, ".swap"));
        return 0;
}
