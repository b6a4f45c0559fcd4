/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ProcStatus s;
        int r;

        r = procfs_parse_status((const char *) data, size, &s);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE, -ENODATA);
        if (r < 0)
                return 0;

        for (unsigned i = 0; i < 4; i++)
                FUZZ_ASSERT(s.uid[i] != (uid_t) -1);
        FUZZ_ASSERT(s.ppid >= 0);
        FUZZ_ASSERT(s.has_kthread || !s.kthread);
        FUZZ_ASSERT(s.has_mm || s.vm_rss_kb == 0);
        return 0;
}
