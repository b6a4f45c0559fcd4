/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "override.h"
#include "parse.h"
#include "statefile.h"

/* Four short lines at most; 4 KiB bounds what a hostile file can make us
 * read. */
#define OVERRIDE_FILE_MAX 4096

void override_bounds(const OverrideContext *c, TunableId id, uint64_t *ret_min, uint64_t *ret_max,
                     double *ret_cap_percent) {
        const TunableInfo *info = tunable_info(id);
        uint64_t max = info->kernel_max;
        double cap_percent = 0;

        if (id == TUNABLE_MIN_FREE_KBYTES) {
                /* The same arithmetic as the engine's step: otherwise an
                 * accepted override could be clamped behind the caller's back. */
                double percent = ENGINE_RESERVE_CAP_RAM_PERCENT;
                uint64_t cap_kb, ceiling;

                if (c->max_reserve_ram_percent > 0 && c->max_reserve_ram_percent < percent)
                        percent = c->max_reserve_ram_percent;
                cap_kb = (uint64_t) ((double) c->mem_total_kb * percent / 100.0);
                ceiling = MAX(cap_kb, c->min_free_kbytes_baseline);
                if (ceiling < max) {
                        max = ceiling;
                        if (ceiling == cap_kb)
                                cap_percent = percent;
                }
        }

        /* The policy loader's floor holds for overrides too: an override
         * is the same request from another door. */
        *ret_min = id == TUNABLE_MIN_FREE_KBYTES ? TUNABLE_MIN_FREE_KBYTES_FLOOR : info->kernel_min;
        *ret_max = max;
        if (ret_cap_percent)
                *ret_cap_percent = cap_percent;
}

static void list_managed(const OverrideContext *c, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX && n < size; id++) {
                if (!tunables_has(c->tunables, id))
                        continue;
                n += (size_t) snprintf(buf + n, size - n, "%s%s", n > 0 ? ", " : "", tunable_info(id)->name);
        }
}

int override_check_name(const OverrideContext *c, const char *name, char *msg, size_t msg_size) {
        char list[256];
        size_t len;
        int id;

        len = strnlen(name, OVERRIDE_NAME_MAX + 1);
        if (len == 0) {
                snprintf(msg, msg_size, "The tunable name is empty.");
                return -EINVAL;
        }
        if (len > OVERRIDE_NAME_MAX) {
                snprintf(msg, msg_size, "The tunable name is longer than %d bytes.", OVERRIDE_NAME_MAX);
                return -EINVAL;
        }
        for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
                if (*p < 0x20 || *p == 0x7f) {
                        snprintf(msg, msg_size, "The tunable name contains control characters.");
                        return -EINVAL;
                }
                if (*p > 0x7e) {
                        snprintf(msg, msg_size, "The tunable name contains bytes other than ASCII.");
                        return -EINVAL;
                }
        }

        list_managed(c, list, sizeof(list));
        id = tunable_from_name(name);
        if (id < 0) {
                snprintf(msg, msg_size, "No tunable '%s'; memtuned manages: %s.", name, list);
                return -ENOENT;
        }
        if (!tunables_has(c->tunables, id)) {
                const TunableInfo *info = tunable_info(id);

                snprintf(msg, msg_size, "%s does not exist on this kernel%s.", info->display,
                         info->numa_only                  ? " (it is built only with NUMA support)"
                         : info->root == TUNABLE_ROOT_SYS ? " (it needs the multi-gen LRU, Linux 6.1+)"
                                                          : "");
                return -ENODEV;
        }
        if (c->refused[id] && c->refused[id][0]) {
                snprintf(msg, msg_size, "%s is not set on this host: %s.", tunable_info(id)->display,
                         c->refused[id]);
                return -ENODEV;
        }
        return id;
}

int override_check(const OverrideContext *c, const char *name, uint64_t value, uint64_t duration_usec,
                   char *msg, size_t msg_size) {
        uint64_t min, max;
        double cap;
        int id;

        id = override_check_name(c, name, msg, msg_size);
        if (id < 0)
                return id;

        override_bounds(c, id, &min, &max, &cap);
        if (value < min || value > max) {
                if (id == TUNABLE_MIN_FREE_KBYTES && value < min)
                        snprintf(msg, msg_size,
                                 "vm.%s=%" PRIu64 " kB is below the %" PRIu64
                                 " kB floor (a plain number is kB: "
                                 "write %" PRIu64 "M for %" PRIu64 " MiB); allowed: %" PRIu64 "..%" PRIu64
                                 ".",
                                 name, value, min, value, value, min, max);
                else if (cap > 0 && value > max)
                        snprintf(msg, msg_size,
                                 "%s=%" PRIu64 " is above the reserve cap of %" PRIu64 " (%g%% of RAM); "
                                 "allowed: %" PRIu64 "..%" PRIu64 ".",
                                 tunable_info(id)->display, value, max, cap, min, max);
                else
                        snprintf(msg, msg_size,
                                 "%s=%" PRIu64 " is out of range; allowed: %" PRIu64 "..%" PRIu64 ".",
                                 tunable_info(id)->display, value, min, max);
                return -ERANGE;
        }
        if (duration_usec > OVERRIDE_DURATION_MAX_USEC) {
                snprintf(msg, msg_size,
                         "A duration of %" PRIu64 " s is longer than the maximum of 366 days; "
                         "use 0 for an override until cleared.",
                         duration_usec / USEC_PER_SEC);
                return -ERANGE;
        }
        return id;
}

uint64_t override_deadline_realtime(uint64_t expires_mono, uint64_t now_mono, uint64_t now_real) {
        if (expires_mono == USEC_INFINITY)
                return 0;
        if (expires_mono <= now_mono) /* already past: still a time in the past, never 0 */
                return now_real > now_mono - expires_mono ? now_real - (now_mono - expires_mono) : 1;
        return now_real + (expires_mono - now_mono);
}

int overrides_format(const Override o[], uint64_t now_mono, uint64_t now_real, char *buf, size_t size) {
        size_t n = 0;

        if (size == 0)
                return -ENOBUFS;
        buf[0] = 0;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                int k;

                if (!o[id].active || o[id].expires_usec <= now_mono)
                        continue;
                if (o[id].expires_usec == USEC_INFINITY)
                        k = snprintf(buf + n, size - n, "%s %" PRIu64 " infinity\n", tunable_info(id)->name,
                                     o[id].value);
                else
                        k = snprintf(buf + n, size - n, "%s %" PRIu64 " %" PRIu64 "\n",
                                     tunable_info(id)->name, o[id].value,
                                     override_deadline_realtime(o[id].expires_usec, now_mono, now_real));
                if (k < 0 || (size_t) k >= size - n)
                        return -ENOBUFS;
                n += (size_t) k;
        }
        return (int) n;
}

int overrides_parse(const char *buf, size_t len, uint64_t now_mono, uint64_t now_real, Override ret[],
                    unsigned *ret_expired) {
        Override o[_TUNABLE_MANAGED_MAX] = {};
        const char *end = buf + len;
        unsigned expired = 0;

        /* A NUL would end a name early: "swappiness\0junk" is no swappiness. */
        if (memchr(buf, 0, len))
                return -EBADMSG;
        for (const char *p = buf; p < end; p = line_next(p, end)) {
                const char *sp = memchr(p, ' ', (size_t) (end - p)), *q;
                char name[OVERRIDE_NAME_MAX + 1];
                uint64_t value, deadline;
                int id, r;

                if (!sp || sp == p || (size_t) (sp - p) > OVERRIDE_NAME_MAX)
                        return -EBADMSG;
                memcpy(name, p, (size_t) (sp - p));
                name[sp - p] = 0;
                id = tunable_from_name(name);
                if (id < 0 || id >= _TUNABLE_MANAGED_MAX || o[id].active)
                        return -EBADMSG;
                r = parse_u64(sp + 1, end, &q, &value);
                if (r < 0 || q >= end || *q != ' ')
                        return -EBADMSG;
                q++;
                if ((size_t) (end - q) >= strlen("infinity") &&
                    memcmp(q, "infinity", strlen("infinity")) == 0) {
                        deadline = 0;
                        q += strlen("infinity");
                } else {
                        r = parse_u64(q, end, &q, &deadline);
                        if (r < 0 || deadline == 0)
                                return -EBADMSG;
                }
                if (q < end && *q != '\n')
                        return -EBADMSG;

                if (deadline == 0)
                        o[id] = (Override) { .active = true, .value = value, .expires_usec = USEC_INFINITY };
                else if (deadline <= now_real)
                        expired++;
                else {
                        uint64_t left = deadline - now_real;

                        if (left >
                            OVERRIDE_DURATION_MAX_USEC) /* the clock went back: never longer than allowed */
                                left = OVERRIDE_DURATION_MAX_USEC;
                        o[id] = (Override) { .active = true,
                                             .value = value,
                                             .expires_usec = now_mono + left };
                }
        }

        memcpy(ret, o, sizeof(o));
        if (ret_expired)
                *ret_expired = expired;
        return 0;
}

int overrides_save(int dir_fd, const Override o[], uint64_t now_mono, uint64_t now_real) {
        char buf[OVERRIDE_FILE_MAX];
        int n;

        n = overrides_format(o, now_mono, now_real, buf, sizeof(buf));
        if (n < 0)
                return n;
        if (n == 0)
                return statefile_remove(dir_fd, OVERRIDE_STATE_FILE);
        return statefile_write(dir_fd, OVERRIDE_STATE_FILE, buf, (size_t) n);
}

int overrides_load(int dir_fd, uint64_t now_mono, uint64_t now_real, Override ret[], unsigned *ret_expired) {
        char buf[OVERRIDE_FILE_MAX];
        int r;

        memset(ret, 0, sizeof(Override) * _TUNABLE_MANAGED_MAX);
        if (ret_expired)
                *ret_expired = 0;

        r = statefile_read(dir_fd, OVERRIDE_STATE_FILE, buf, sizeof(buf));
        if (r == -ENOENT)
                return 0;
        if (r >= 0)
                r = overrides_parse(buf, (size_t) r, now_mono, now_real, ret, ret_expired);
        /* Something else than a regular file (a FIFO, a directory) is no
         * state file either, and in the way of the next save. */
        if (r == -EFBIG || r == -EBADMSG || r == -EISDIR || r == -ELOOP || r == -EBADFD) {
                r = statefile_move_aside(dir_fd, OVERRIDE_STATE_FILE);
                return r < 0 ? r : -EBADMSG;
        }
        return r;
}
