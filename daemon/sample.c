/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "macro.h"
#include "parse.h"
#include "sample.h"

/* Initial sizes fit this machine's files with room to spare (vmstat 3.9 KiB,
 * zoneinfo 5.3 KiB on 2 CPUs; zoneinfo grows with CPUs and nodes, so it may
 * grow to 16 MiB, enough for 1024 CPUs x 4 nodes). Larger text is refused. */
#define VMSTAT_BUF_SIZE (16u * 1024)
#define VMSTAT_BUF_MAX (256u * 1024)
#define ZONEINFO_BUF_SIZE (64u * 1024)
#define ZONEINFO_BUF_MAX (16u * 1024 * 1024)
#define MEMINFO_BUF_SIZE (8u * 1024)
#define MEMINFO_BUF_MAX (64u * 1024)
#define PSI_BUF_SIZE 256u
#define PSI_BUF_MAX 4096u
#define TUNABLE_BUF_SIZE 32u
/* /proc/swaps: a header and at most 32 lines of a path (up to PATH_MAX,
 * escaped) and four numbers. */
#define SWAPS_BUF_SIZE 1024u
#define SWAPS_BUF_MAX (SWAPS_MAX * 4200u)

void sampler_close(Sampler *s) {
        procfile_close(&s->vmstat);
        procfile_close(&s->zoneinfo);
        procfile_close(&s->meminfo);
        procfile_close(&s->psi);
        procfile_close(&s->swaps);
        procfile_close(&s->zswap);
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                procfile_close(&s->tunable[i]);
}

int sampler_open(Sampler *s, int proc_dirfd, int sys_dirfd, const char **ret_failed_path) {
        const struct {
                ProcFile *f;
                const char *path;
                size_t size, max;
                bool optional, whole;
        } files[] = {
                { &s->vmstat, "vmstat", VMSTAT_BUF_SIZE, VMSTAT_BUF_MAX, false, false },
                { &s->zoneinfo, "zoneinfo", ZONEINFO_BUF_SIZE, ZONEINFO_BUF_MAX, false, false },
                { &s->meminfo, "meminfo", MEMINFO_BUF_SIZE, MEMINFO_BUF_MAX, false, true },
                { &s->psi, "pressure/memory", PSI_BUF_SIZE, PSI_BUF_MAX, true, true },
        };
        int r;

        *s = (Sampler) { .proc_fd = proc_dirfd, .sys_fd = sys_dirfd };
        s->vmstat = s->zoneinfo = s->meminfo = s->psi = s->swaps = s->zswap = PROC_FILE_NULL;
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                s->tunable[i] = PROC_FILE_NULL;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                r = procfile_open(files[i].f, proc_dirfd, files[i].path, files[i].size, files[i].max,
                                  files[i].whole);
                /* PSI is absent on kernels built without it; with psi=0 on the
                 * command line the file exists but reading fails (EOPNOTSUPP). */
                if (r < 0 && files[i].optional)
                        continue;
                if (r < 0) {
                        if (ret_failed_path)
                                *ret_failed_path = files[i].path;
                        sampler_close(s);
                        return r;
                }
        }

        /* Both optional: a kernel without swap support has no /proc/swaps,
         * one without zswap no module parameter. */
        (void) procfile_open(&s->swaps, proc_dirfd, "swaps", SWAPS_BUF_SIZE, SWAPS_BUF_MAX, true);
        if (sys_dirfd >= 0)
                (void) procfile_open(&s->zswap, sys_dirfd, "module/zswap/parameters/enabled", 16, 16, true);

        for (TunableId i = 0; i < _TUNABLE_MAX; i++) {
                int root = tunable_root_fd(i, proc_dirfd, sys_dirfd);

                r = root < 0 ? -ENOENT
                             : procfile_open(&s->tunable[i], root, tunable_info(i)->path, TUNABLE_BUF_SIZE,
                                             TUNABLE_BUF_SIZE, true);
                s->tunable_probe[i] = MIN(r, 0);
                /* /sys may deny what /proc/sys/vm never does (a sandbox that
                 * hides a directory): the knob is then unsupported here, and
                 * says why, rather than the daemon failing to start. */
                if (r < 0 && r != -ENOENT && tunable_info(i)->root == TUNABLE_ROOT_PROC) {
                        if (ret_failed_path)
                                *ret_failed_path = tunable_info(i)->path;
                        sampler_close(s);
                        return r;
                }
        }
        return 0;
}

static int read_parse(ProcFile *f, void *out, int (*parse)(const char *, size_t, void *)) {
        const char *buf;
        size_t len;
        int r;

        r = procfile_read(f, &buf, &len);
        if (r < 0)
                return r;
        return parse(buf, len, out);
}

static int parse_vmstat(const char *b, size_t n, void *o) {
        return vmstat_parse(b, n, o);
}
static int parse_zoneinfo(const char *b, size_t n, void *o) {
        return zoneinfo_parse(b, n, o);
}
static int parse_meminfo(const char *b, size_t n, void *o) {
        return meminfo_parse(b, n, o);
}
static int parse_psi(const char *b, size_t n, void *o) {
        return psi_parse(b, n, o);
}

/* FNV-1a: only to notice that the text changed. */
static uint64_t hash_text(const char *buf, size_t len, uint64_t h) {
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char) buf[i]) * UINT64_C(1099511628211);
        return h;
}

/* Reads /proc/swaps and zswap's switch every sample (a few microseconds);
 * classifies again (a few /sys reads) only when the devices or the switch
 * changed since the last sample: swapon, swapoff, a zram device set up
 * later, zswap switched. Returns 0 or the parser's error. */
static int read_swap(Sampler *s, SwapState *ret) {
        const char *buf = "Filename\n";
        size_t len = strlen(buf), n = 0;
        uint64_t h = UINT64_C(14695981039346656037);
        bool zswap = false;
        int r;

        if (s->swaps.fd >= 0) {
                r = procfile_read(&s->swaps, &buf, &len);
                if (r < 0)
                        return r == -EFBIG ? -EINVAL : r;
        }
        if (s->zswap.fd >= 0) {
                const char *z;
                size_t zl;

                /* A module parameter the kernel shows as Y or N. */
                if (procfile_read(&s->zswap, &z, &zl) >= 0)
                        zswap = zl > 0 && (z[0] == 'Y' || z[0] == 'y' || z[0] == '1');
        }
        r = swaps_parse(buf, len, s->swap_devices, &n);
        if (r < 0)
                return r;
        /* Which devices, of which type and priority: not their use, which
         * moves at every sample while the host swaps. */
        for (size_t i = 0; i < n; i++) {
                const SwapDevice *d = &s->swap_devices[i];

                h = hash_text(d->path, strlen(d->path) + 1, h);
                h = hash_text((const char *) &d->is_file, sizeof(d->is_file), h);
                h = hash_text((const char *) &d->priority, sizeof(d->priority), h);
        }
        h = hash_text(zswap ? "Y" : "N", 1, h);
        if (h != s->swaps_hash || s->swaps_hash == 0) {
                swap_classify(s->sys_fd, s->swap_devices, n, zswap, &s->swap);
                s->swaps_hash = h ?: 1;
        }
        *ret = s->swap;
        return 0;
}

int sampler_read(Sampler *s, uint64_t now_usec, Sample *ret, const char **ret_failed_path) {
        const char *failed = NULL;
        int r;

        /* Each parser writes its part of *ret only on success; on failure the
         * caller discards the whole sample. */
        ret->timestamp_usec = now_usec;

        if ((r = read_parse(&s->vmstat, &ret->vmstat, parse_vmstat)) < 0)
                failed = "vmstat";
        else if ((r = read_parse(&s->zoneinfo, &ret->zoneinfo, parse_zoneinfo)) < 0)
                failed = "zoneinfo";
        else if ((r = read_parse(&s->meminfo, &ret->meminfo, parse_meminfo)) < 0)
                failed = "meminfo";
        else if (s->psi.fd >= 0 && (r = read_parse(&s->psi, &ret->psi, parse_psi)) < 0)
                failed = "pressure/memory";
        else if ((r = read_swap(s, &ret->swap)) < 0)
                failed = "swaps";
        if (failed) {
                if (ret_failed_path)
                        *ret_failed_path = failed;
                return r;
        }
        if (s->psi.fd < 0)
                ret->psi = (Psi) { .available = false };

        ret->tunables = (Tunables) {};
        for (size_t i = 0; i < _TUNABLE_MAX; i++) {
                const char *buf;
                size_t len;

                if (s->tunable[i].fd < 0)
                        continue;
                r = procfile_read(&s->tunable[i], &buf, &len);
                if (r >= 0)
                        r = tunable_parse_value(i, buf, len, &ret->tunables.value[i]);
                if (r < 0) {
                        if (ret_failed_path)
                                *ret_failed_path = tunable_info(i)->root == TUNABLE_ROOT_SYS
                                                           ? tunable_info(i)->display
                                                           : tunable_info(i)->path;
                        return r == -EFBIG ? -EINVAL : r;
                }
                ret->tunables.present |= UINT32_C(1) << i;
        }
        return 0;
}

const char *sampler_probe_reason(const Sampler *s, TunableId id, char *buf, size_t size) {
        const TunableInfo *info = tunable_info(id);
        int r = s->tunable_probe[id];

        if (r == 0)
                buf[0] = 0;
        else if (info->root == TUNABLE_ROOT_SYS && s->sys_fd < 0)
                snprintf(buf, size, "not probed: /sys is not read (--proc-root without --sys-root)");
        else if (r == -ENOENT)
                snprintf(buf, size, "%s", info->absent);
        else
                snprintf(buf, size, "cannot open %s%s: %s",
                         info->root == TUNABLE_ROOT_SYS ? "/sys/" : "/proc/", info->path, strerror(-r));
        return buf;
}

int sampler_read_start(Sampler *s, Sample *ret, const char **ret_failed_path) {
        int r = 0;

        for (unsigned i = 0; i < SAMPLER_START_ATTEMPTS; i++) {
                struct timespec ts = { .tv_nsec = (long) (SAMPLER_START_RETRY_USEC * 1000) };

                if (i > 0)
                        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                                ;
                r = sampler_read(s, now_monotonic(), ret, ret_failed_path);
                if (r >= 0)
                        return r;
        }
        return r;
}

int rates_compute(const Sample *prev, const Sample *cur, Rates *ret) {
        Rates r = {};
        double secs;

        if (cur->timestamp_usec <= prev->timestamp_usec)
                return -EINVAL;

        r.interval_usec = cur->timestamp_usec - prev->timestamp_usec;
        secs = (double) r.interval_usec / (double) USEC_PER_SEC;

        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++) {
                uint64_t a = prev->vmstat.field[f], b = cur->vmstat.field[f];

                if (!vmstat_has(&prev->vmstat, f) || !vmstat_has(&cur->vmstat, f))
                        continue;
                r.valid |= UINT32_C(1) << f;
                if (b < a) {
                        r.reset |= UINT32_C(1) << f;
                        continue;
                }
                r.vmstat[f] = (double) (b - a) / secs;
        }

        if (prev->psi.available && cur->psi.available && cur->psi.some.total >= prev->psi.some.total) {
                r.psi_valid = true;
                r.psi_some_pct = MIN(100.0, 100.0 * (double) (cur->psi.some.total - prev->psi.some.total) /
                                                    (double) r.interval_usec);
                if (prev->psi.has_full && cur->psi.has_full && cur->psi.full.total >= prev->psi.full.total)
                        r.psi_full_pct =
                                MIN(100.0, 100.0 * (double) (cur->psi.full.total - prev->psi.full.total) /
                                                   (double) r.interval_usec);
        }

        *ret = r;
        return 0;
}

void rates_extend(Rates *r, const Rates *older) {
        uint64_t i1 = older->interval_usec, i2 = r->interval_usec;
        double w1 = (double) i1 / (double) (i1 + i2), w2 = 1.0 - w1;

        for (VmStatField f = 0; f < _VMSTAT_FIELD_MAX; f++)
                r->vmstat[f] = older->vmstat[f] * w1 + r->vmstat[f] * w2;
        r->valid &= older->valid;
        r->reset |= older->reset;
        r->psi_valid = r->psi_valid && older->psi_valid;
        r->psi_some_pct = older->psi_some_pct * w1 + r->psi_some_pct * w2;
        r->psi_full_pct = older->psi_full_pct * w1 + r->psi_full_pct * w2;
        r->interval_usec = i1 + i2;
}
