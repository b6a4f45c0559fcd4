/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* psi_parse() on arbitrary bytes; on success, averages are at most 100%. */
#include <errno.h>

#include "fuzz.h"
#include "psi.h"

static void check_line(const PsiLine *l) {
        /* Averages are percent in hundredths: never above 100.00%. */
        FUZZ_ASSERT(l->avg10 <= 10000 && l->avg60 <= 10000 && l->avg300 <= 10000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Psi p;
        int r;

        r = psi_parse((const char *) data, size, &p);
        FUZZ_ASSERT_ERRNO(r, -EINVAL, -ERANGE, -ENODATA);
        if (r < 0)
                return 0;

        FUZZ_ASSERT(p.available);
        check_line(&p.some);
        if (p.has_full)
                check_line(&p.full);
        return 0;
}
