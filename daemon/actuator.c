/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actuator.h"
#include "macro.h"
#include "parse.h"
#include "procfile.h"

#define STATE_FILE_MAX 4096

static int sysctl_path(TunableId id, char *buf, size_t size) {
        int n = snprintf(buf, size, "sys/vm/%s", tunable_info(id)->name);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* Writes the state file atomically: temporary file, fsync, rename. */
static int state_save(Actuator *a) {
        char buf[STATE_FILE_MAX];
        size_t n = 0;
        bool any = false;
        int fd, r = 0;

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const ActuatorEntry *e = &a->entry[id];

                if (!e->has_original)
                        continue;
                any = true;
                n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s %" PRIu64 " %" PRIu64 "\n",
                                       tunable_info(id)->name, e->original, e->has_written ? e->written : e->original);
        }

        if (!any) {
                if (unlinkat(a->state_fd, ACTUATOR_STATE_FILE, 0) < 0 && errno != ENOENT)
                        return negative_errno();
                return 0;
        }

        fd = openat(a->state_fd, ACTUATOR_STATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return negative_errno();
        if (write(fd, buf, n) != (ssize_t) n || fsync(fd) < 0)
                r = errno ? negative_errno() : -EIO;
        close(fd);
        if (r >= 0 && renameat(a->state_fd, ACTUATOR_STATE_FILE ".tmp", a->state_fd, ACTUATOR_STATE_FILE) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlinkat(a->state_fd, ACTUATOR_STATE_FILE ".tmp", 0);
        return r;
}

/* Lines "NAME ORIGINAL WRITTEN". */
static int state_parse(const char *buf, size_t len, ActuatorEntry entries[]) {
        const char *end = buf + len;

        for (const char *p = buf; p < end; p = line_next(p, end)) {
                const char *sp = memchr(p, ' ', (size_t) (end - p)), *q;
                char name[64];
                uint64_t orig, written;
                int id, r;

                if (!sp || (size_t) (sp - p) >= sizeof(name))
                        return -EBADMSG;
                memcpy(name, p, (size_t) (sp - p));
                name[sp - p] = 0;
                id = tunable_from_name(name);
                if (id < 0 || id >= _TUNABLE_MANAGED_MAX || entries[id].has_original)
                        return -EBADMSG;
                r = parse_u64(sp + 1, end, &q, &orig);
                if (r < 0 || q >= end || *q != ' ')
                        return -EBADMSG;
                r = parse_u64(q + 1, end, &q, &written);
                if (r < 0 || (q < end && *q != '\n'))
                        return -EBADMSG;
                entries[id] = (ActuatorEntry) {
                        .has_original = true,
                        .original = orig,
                        .has_written = true,
                        .written = written,
                };
        }
        return 0;
}

int actuator_open(Actuator *a, int proc_fd, const char *state_dir) {
        ActuatorEntry loaded[_TUNABLE_MANAGED_MAX] = {};
        char buf[STATE_FILE_MAX];
        int fd, r, dropped = 0;

        *a = (Actuator) { .proc_fd = proc_fd, .state_fd = -1 };

        if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        a->state_fd = fd;

        r = read_small_file_at(fd, ACTUATOR_STATE_FILE, buf, sizeof(buf));
        if (r == -ENOENT)
                return 0;
        if (r >= 0)
                r = state_parse(buf, (size_t) r, loaded);
        if (r < 0) {
                /* Keep the evidence, and go on without originals: the values
                 * now in the kernel are the best we know. */
                (void) renameat(fd, ACTUATOR_STATE_FILE, fd, ACTUATOR_STATE_FILE ".corrupt");
                return r == -EFBIG || r == -EBADMSG ? -EBADMSG : r;
        }

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                uint64_t current;

                if (!loaded[id].has_original)
                        continue;
                r = tunable_read(proc_fd, id, &current);
                if (r < 0 || current != loaded[id].written) {
                        /* Changed while we were not running (or gone): not ours to restore. */
                        dropped++;
                        continue;
                }
                a->entry[id] = loaded[id];
        }
        if (dropped > 0) {
                r = state_save(a);
                if (r < 0)
                        return r;
        }
        return dropped;
}

void actuator_close(Actuator *a) {
        a->state_fd = safe_close(a->state_fd);
}

static int write_value(int proc_fd, TunableId id, uint64_t value) {
        char path[64], buf[32];
        int fd, n, r = 0;

        r = sysctl_path(id, path, sizeof(path));
        if (r < 0)
                return r;
        n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", value);
        /* O_TRUNC: what the shell does for sysctls, and what a captured tree needs. */
        fd = openat(proc_fd, path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (write(fd, buf, (size_t) n) != n)
                r = errno ? negative_errno() : -EIO;
        close(fd);
        return r;
}

int actuator_write(Actuator *a, TunableId id, uint64_t value, uint64_t now_usec, uint64_t *ret_actual) {
        const TunableInfo *info = tunable_info(id);
        ActuatorEntry *e;
        uint64_t current, readback;
        int r;

        if (id >= _TUNABLE_MANAGED_MAX)
                return -EINVAL;
        if (value < info->kernel_min || value > info->kernel_max)
                return -ERANGE;
        e = &a->entry[id];

        r = tunable_read(a->proc_fd, id, &current);
        if (r < 0)
                return r;
        if (current == value)
                return 0;

        if (e->last_write_usec != 0 && now_usec < e->last_write_usec + ACTUATOR_MIN_WRITE_INTERVAL_USEC)
                return -EBUSY;

        bool fresh = !e->has_original;
        if (fresh) {
                /* Persist the original before the kernel sees our value, so a
                 * crash between the two can never lose it. */
                e->has_original = true;
                e->original = current;
                e->has_written = true;
                e->written = value;
                r = state_save(a);
                if (r < 0) {
                        *e = (ActuatorEntry) { .last_write_usec = e->last_write_usec };
                        return r;
                }
        }

        r = write_value(a->proc_fd, id, value);
        if (r < 0) {
                if (fresh) {
                        *e = (ActuatorEntry) { .last_write_usec = e->last_write_usec };
                        (void) state_save(a);
                }
                return r;
        }
        e->last_write_usec = now_usec;
        e->has_written = true;
        e->written = value;

        r = tunable_read(a->proc_fd, id, &readback);
        if (r < 0)
                return r;
        if (readback != value) {
                /* Remember what the kernel actually holds, so it is not taken
                 * for someone else's change. */
                e->written = readback;
                (void) state_save(a);
                if (ret_actual)
                        *ret_actual = readback;
                return -EIO;
        }
        r = state_save(a);
        if (r < 0)
                return r;
        if (ret_actual)
                *ret_actual = readback;
        return 1;
}

void actuator_allow_next_write(Actuator *a, TunableId id) {
        if (id < _TUNABLE_MANAGED_MAX)
                a->entry[id].last_write_usec = 0;
}

int actuator_note_current(Actuator *a, TunableId id, uint64_t current) {
        ActuatorEntry *e;

        if (id >= _TUNABLE_MANAGED_MAX)
                return 0;
        e = &a->entry[id];
        if (!e->has_written || e->written == current)
                return 0;

        /* Someone else set it: their value is what stands now, and what stop
         * leaves behind. */
        *e = (ActuatorEntry) { .last_write_usec = e->last_write_usec };
        (void) state_save(a);
        return 1;
}

int actuator_restore(Actuator *a) {
        int n = 0, first_error = 0;

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                ActuatorEntry *e = &a->entry[id];
                uint64_t current;
                int r;

                if (!e->has_original)
                        continue;
                r = tunable_read(a->proc_fd, id, &current);
                if (r >= 0 && current == e->written && current != e->original)
                        r = write_value(a->proc_fd, id, e->original);
                if (r < 0) {
                        if (first_error == 0)
                                first_error = r;
                        continue;
                }
                if (current == e->written && current != e->original)
                        n++;
                *e = (ActuatorEntry) {};
        }

        if (first_error == 0) {
                int r = state_save(a);
                if (r < 0)
                        first_error = r;
        }
        return first_error < 0 ? first_error : n;
}
