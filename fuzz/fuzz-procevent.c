/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procwatch_parse() on a datagram as the proc connector socket hands it over
 * (recvmmsg() fills 8-aligned buffers, so the input is copied into one),
 * including the exit event's status (what tells an OOM kill's SIGKILL). */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "procwatch.h"

static int check_event(const ProcWatchEvent *ev, void *userdata) {
        unsigned *n = userdata;

        FUZZ_ASSERT((unsigned) ev->type < _PROC_WATCH_EVENT_MAX);
        FUZZ_ASSERT(ev->type != PROC_WATCH_LOST);
        FUZZ_ASSERT(ev->pid > 0);
        FUZZ_ASSERT(memchr(ev->comm, 0, sizeof(ev->comm)));
        if (ev->type == PROC_WATCH_COMM || ev->type == PROC_WATCH_FORK)
                FUZZ_ASSERT(ev->tid == ev->pid);
        /* Only an exit carries a status, and its killing signal is 0..127. */
        FUZZ_ASSERT(!ev->has_exit_code || ev->type == PROC_WATCH_EXIT);
        FUZZ_ASSERT(procwatch_exit_signal(ev) >= 0 && procwatch_exit_signal(ev) < 128);
        (*n)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const unsigned all = PROC_WATCH_MASK(PROC_WATCH_EXEC) | PROC_WATCH_MASK(PROC_WATCH_COMM) |
                             PROC_WATCH_MASK(PROC_WATCH_FORK) | PROC_WATCH_MASK(PROC_WATCH_EXIT);
        unsigned n = 0;
        uint8_t *buf;
        int r;

        buf = malloc(size ? size : 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        r = procwatch_parse(buf, size, all, check_event, &n);
        FUZZ_ASSERT(r >= 0);
        FUZZ_ASSERT((unsigned) r == n);
        free(buf);
        return 0;
}
