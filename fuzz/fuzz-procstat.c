/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ProcStat st;
        int r;

        r = procfs_parse_stat((const char *) data, size, &st);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE);
        if (r < 0)
                return 0;

        /* comm is NUL terminated inside its buffer, flagged when cut. */
        FUZZ_ASSERT(memchr(st.comm, 0, sizeof(st.comm)));
        FUZZ_ASSERT(!st.comm_truncated || strlen(st.comm) == sizeof(st.comm) - 1);
        FUZZ_ASSERT(st.pid > 0);
        FUZZ_ASSERT(st.ppid >= 0);
        FUZZ_ASSERT((st.state >= 'A' && st.state <= 'Z') || (st.state >= 'a' && st.state <= 'z'));
        FUZZ_ASSERT(st.nice >= -20 && st.nice <= 20);
        return 0;
}
