/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actuator.h"
#include "engine.h"
#include "log.h"
#include "macro.h"
#include "meminfo.h"
#include "parse.h"
#include "procfile.h"
#include "statefile.h"

#define STATE_FILE_MAX 4096

int actuator_format_originals(const ActuatorSaved saved[], char *buf, size_t size) {
        size_t n = 0;

        if (size == 0)
                return -ENOBUFS;
        buf[0] = 0;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const ActuatorSaved *s = &saved[id];
                int k;

                if (!s->present)
                        continue;
                k = snprintf(buf + n, size - n, "%s %" PRIu64 " %" PRIu64, tunable_info(id)->name,
                             s->original, s->written);
                if (k >= 0 && (size_t) k < size - n && s->has_pending)
                        k += snprintf(buf + n + k, size - n - k, " writing=%" PRIu64, s->pending);
                if (k >= 0 && (size_t) k < size - n)
                        k += snprintf(buf + n + k, size - n - k, "\n");
                if (k < 0 || (size_t) k >= size - n)
                        return -ENOBUFS;
                n += (size_t) k;
        }
        return (int) n;
}

/* The state file's text for a: the tunable about to be written (pending_id,
 * or _TUNABLE_MANAGED_MAX for none) carries "writing=PENDING", since a crash
 * between the kernel write and the next save leaves the kernel at PENDING,
 * which must still count as memtuned's. Returns the length, or -ENOBUFS. */
static int state_format(const Actuator *a, TunableId pending_id, uint64_t pending, char *buf, size_t size) {
        ActuatorSaved saved[_TUNABLE_MANAGED_MAX] = {};

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const ActuatorEntry *e = &a->entry[id];

                if (!e->has_original)
                        continue;
                saved[id] = (ActuatorSaved) {
                        .present = true,
                        .original = e->original,
                        .written = e->has_written ? e->written : e->original,
                        .has_pending = id == pending_id,
                        .pending = pending,
                };
        }
        return actuator_format_originals(saved, buf, size);
}

/* Writes the state file atomically (util/statefile.h), or removes it when
 * nothing is to be restored. */
static int state_save_pending(Actuator *a, TunableId pending_id, uint64_t pending) {
        char buf[STATE_FILE_MAX];
        int n;

        n = state_format(a, pending_id, pending, buf, sizeof(buf));
        if (n < 0)
                return n;
        if (n == 0)
                return statefile_remove(a->state_fd, ACTUATOR_STATE_FILE);
        return statefile_write(a->state_fd, ACTUATOR_STATE_FILE, buf, (size_t) n);
}

static int state_save(Actuator *a) {
        return state_save_pending(a, _TUNABLE_MANAGED_MAX, 0);
}

int actuator_parse_originals(const char *text, size_t n, ActuatorSaved ret[]) {
        ActuatorSaved saved[_TUNABLE_MANAGED_MAX] = {};
        const char *end = text + n;

        if (memchr(text, 0, n))
                return -EBADMSG;
        for (const char *p = text; p < end; p = line_next(p, end)) {
                const char *sp = memchr(p, ' ', (size_t) (end - p)), *q;
                char name[64];
                uint64_t orig, written, pending = 0;
                bool has_pending = false;
                int id, r;

                if (!sp || (size_t) (sp - p) >= sizeof(name))
                        return -EBADMSG;
                memcpy(name, p, (size_t) (sp - p));
                name[sp - p] = 0;
                id = tunable_from_name(name);
                if (id < 0 || id >= _TUNABLE_MANAGED_MAX || saved[id].present)
                        return -EBADMSG;
                r = parse_u64(sp + 1, end, &q, &orig);
                if (r < 0 || q >= end || *q != ' ')
                        return -EBADMSG;
                r = parse_u64(q + 1, end, &q, &written);
                if (r < 0)
                        return -EBADMSG;
                if ((size_t) (end - q) > strlen(" writing=") &&
                    memcmp(q, " writing=", strlen(" writing=")) == 0) {
                        r = parse_u64(q + strlen(" writing="), end, &q, &pending);
                        if (r < 0)
                                return -EBADMSG;
                        has_pending = true;
                }
                if (q < end && *q != '\n')
                        return -EBADMSG;
                saved[id] = (ActuatorSaved) {
                        .present = true,
                        .original = orig,
                        .written = written,
                        .has_pending = has_pending,
                        .pending = pending,
                };
        }

        memcpy(ret, saved, sizeof(saved));
        return 0;
}

static int read_mem_total(int proc_fd, uint64_t *ret) {
        ProcFile f = PROC_FILE_NULL;
        const char *buf;
        size_t len;
        MemInfo m;
        int r;

        r = procfile_open(&f, proc_fd, "meminfo", 8 * 1024, 64 * 1024, true);
        if (r < 0)
                return r;
        r = procfile_read(&f, &buf, &len);
        if (r >= 0)
                r = meminfo_parse(buf, len, &m);
        procfile_close(&f);
        if (r < 0)
                return r;
        *ret = m.field[MEMINFO_MEM_TOTAL];
        return 0;
}

/* Whether an original read back from the state file may be written to the
 * kernel: the state file is input like any other, and a value planted there
 * is written at stop. An original is what the kernel had, so it lies within
 * the kernel's range; for min_free_kbytes also within what the kernel ever
 * sets itself and what memtuned ever sets (the reserve cap): a reserve of
 * most of RAM written back would start the OOM killer. Returns 0, or -ERANGE
 * with the reason in why. */
static int original_check(TunableId id, uint64_t value, uint64_t mem_total_kb, char *why, size_t why_size) {
        const TunableInfo *info = tunable_info(id);

        if (value < info->kernel_min || value > info->kernel_max) {
                snprintf(why, why_size, "outside the kernel's range %" PRIu64 "..%" PRIu64, info->kernel_min,
                         info->kernel_max);
                return -ERANGE;
        }
        if (id != TUNABLE_MIN_FREE_KBYTES)
                return 0;
        if (value < TUNABLE_MIN_FREE_KBYTES_FLOOR) {
                snprintf(why, why_size, "below the %u kB floor", TUNABLE_MIN_FREE_KBYTES_FLOOR);
                return -ERANGE;
        }
        uint64_t cap = (uint64_t) ((double) mem_total_kb * ENGINE_RESERVE_CAP_RAM_PERCENT / 100.0);
        if (value > cap) {
                snprintf(why, why_size, "above the reserve cap of %" PRIu64 " kB (%g%% of RAM)", cap,
                         ENGINE_RESERVE_CAP_RAM_PERCENT);
                return -ERANGE;
        }
        return 0;
}

static int open_state_dir(Actuator *a, const char *state_dir) {
        struct stat st = {};
        pid_t holder = 0;
        int r;

        r = statefile_dir_open(state_dir, 0755, &a->state_fd, &st);
        if (r == -EPERM)
                return log_error_errno(
                        r,
                        "The state directory '%s' belongs to uid %u, not to root or memtuned's own uid %u: "
                        "its owner could plant the values memtuned writes back. Refusing to start.",
                        state_dir, (unsigned) st.st_uid, (unsigned) geteuid());
        if (r == -EACCES)
                return log_error_errno(
                        r,
                        "The state directory '%s' is writable by group or others (mode %04o): anyone "
                        "could plant the values memtuned writes back. Refusing to start; make it 0755 "
                        "or stricter.",
                        state_dir, (unsigned) (st.st_mode & 07777));
        if (r == -ENOTDIR)
                return log_error_errno(
                        r,
                        "The state directory '%s' is not a directory (or is a symbolic link). "
                        "Refusing to start.",
                        state_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to open the state directory '%s': %m", state_dir);

        r = statefile_lock(a->state_fd, ACTUATOR_LOCK_FILE, &a->lock_fd, &holder);
        if (r == -EBUSY && holder > 0)
                return log_error_errno(
                        r,
                        "memtuned (PID %d) already runs on state directory '%s'; refusing to start "
                        "a second instance, which would change the values it manages and delete its "
                        "state.",
                        (int) holder, state_dir);
        if (r == -EBUSY)
                return log_error_errno(
                        r,
                        "Another memtuned already runs on state directory '%s' (its lock file names "
                        "no PID yet); refusing to start a second instance.",
                        state_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to lock '%s/" ACTUATOR_LOCK_FILE "': %m", state_dir);
        return 0;
}

/* Moves an unusable state file aside: logged, -EBADMSG (the actuator goes on
 * with no originals), or the error when even that fails (a directory there
 * would fail every later save). */
static int state_move_aside(Actuator *a, const char *what) {
        int r;

        r = statefile_move_aside(a->state_fd, ACTUATOR_STATE_FILE);
        if (r < 0)
                return log_error_errno(r,
                                       "The state file '%s/" ACTUATOR_STATE_FILE
                                       "' %s, and moving it aside to " ACTUATOR_STATE_FILE
                                       ".corrupt failed: %m. Refusing to start.",
                                       a->state_dir, what);
        log_error("The state file '%s/" ACTUATOR_STATE_FILE "' %s (moved aside to " ACTUATOR_STATE_FILE
                  ".corrupt); the current values count as the originals.",
                  a->state_dir, what);
        return -EBADMSG;
}

static int state_load(Actuator *a, int proc_fd, int sys_fd, const char *state_dir) {
        ActuatorSaved loaded[_TUNABLE_MANAGED_MAX];
        char buf[STATE_FILE_MAX];
        uint64_t mem_total_kb = 0;
        bool changed = false;
        int r, dropped = 0;

        r = statefile_read(a->state_fd, ACTUATOR_STATE_FILE, buf, sizeof(buf));
        if (r == -ENOENT)
                return 0;
        if (r == -EISDIR || r == -ELOOP || r == -EBADFD) {
                struct stat st = {};

                (void) fstatat(a->state_fd, ACTUATOR_STATE_FILE, &st, AT_SYMLINK_NOFOLLOW);
                snprintf(buf, sizeof(buf), "is %s, not a regular file", statefile_type_name(st.st_mode));
                return state_move_aside(a, buf);
        }
        if (r == -EFBIG)
                return state_move_aside(a, "is larger than memtuned ever writes it");
        if (r < 0)
                return log_error_errno(r, "Failed to read the state file '%s/" ACTUATOR_STATE_FILE "': %m",
                                       state_dir);
        r = actuator_parse_originals(buf, (size_t) r, loaded);
        if (r < 0)
                /* Keep the evidence, and go on without originals: the values
                 * now in the kernel are the best we know. */
                return state_move_aside(a, "was corrupt");

        r = read_mem_total(proc_fd, &mem_total_kb);
        if (r < 0)
                return log_error_errno(r, "Failed to read MemTotal to check the saved originals: %m");

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                const ActuatorSaved *l = &loaded[id];
                uint64_t current;
                char why[128];

                if (!l->present)
                        continue;
                r = tunable_read(proc_fd, sys_fd, id, &current);
                if (r >= 0 && original_check(id, l->original, mem_total_kb, why, sizeof(why)) < 0) {
                        log_warning("Ignoring the original %s = %" PRIu64 " in '%s/" ACTUATOR_STATE_FILE
                                    "': %s. "
                                    "The current value %" PRIu64 " counts as the original.",
                                    tunable_info(id)->display, l->original, state_dir, why, current);
                        changed = true;
                        continue;
                }
                if (r < 0 || (current != l->written && !(l->has_pending && current == l->pending))) {
                        /* Changed while we were not running (or gone): not ours to restore. */
                        dropped++;
                        continue;
                }
                /* The kernel holds the value about to be written when the
                 * last instance stopped: that one is memtuned's now. */
                if (current != l->written)
                        changed = true;
                a->entry[id] = (ActuatorEntry) {
                        .has_original = true,
                        .original = l->original,
                        .has_written = true,
                        .written = current,
                };
        }
        if (dropped > 0 || changed) {
                r = state_save(a);
                if (r < 0)
                        return log_error_errno(
                                r, "Failed to save the state file '%s/" ACTUATOR_STATE_FILE "': %m",
                                state_dir);
        }
        return dropped;
}

int actuator_open(Actuator *a, int proc_fd, int sys_fd, const char *state_dir) {
        int r;

        *a = (Actuator) {
                .proc_fd = proc_fd,
                .sys_fd = sys_fd,
                .state_fd = -1,
                .lock_fd = -1,
                .state_dir = state_dir,
        };

        r = open_state_dir(a, state_dir);
        if (r >= 0)
                r = state_load(a, proc_fd, sys_fd, state_dir);
        if (r < 0 && r != -EBADMSG) /* -EBADMSG: usable, with no originals */
                actuator_close(a);
        return r;
}

void actuator_close(Actuator *a) {
        a->state_fd = safe_close(a->state_fd);
        a->lock_fd = safe_close(a->lock_fd);
}

static int write_value(const Actuator *a, TunableId id, uint64_t value) {
        int root = tunable_root_fd(id, a->proc_fd, a->sys_fd);
        char buf[32];
        int fd, n, r = 0;

        if (root < 0)
                return -ENOENT;
        /* As the kernel shows it, so that a fixture tree reads back what the
         * kernel would: lru_gen/enabled parses with kstrtouint(base 0),
         * which takes "0x0007". */
        if (tunable_info(id)->hex)
                n = snprintf(buf, sizeof(buf), "0x%04" PRIx64 "\n", value);
        else
                n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", value);
        /* O_TRUNC: what the shell does for sysctls, and what a captured tree needs. */
        fd = openat(root, tunable_info(id)->path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        errno = 0;
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

        r = tunable_read(a->proc_fd, a->sys_fd, id, &current);
        if (r < 0)
                return r;
        if (current == value)
                return 0;

        if (e->last_write_usec != 0 && now_usec < e->last_write_usec + ACTUATOR_MIN_WRITE_INTERVAL_USEC)
                return -EBUSY;

        /* Durable before the kernel sees the value: the original, and both
         * the value there now and the new one as memtuned's. A kill between
         * any write and its record then still leaves a value the restarted
         * daemon knows as its own; one it does not know it takes for the
         * administrator's, and it would never restore the original. */
        ActuatorEntry saved = *e;
        if (!e->has_original)
                *e = (ActuatorEntry) {
                        .has_original = true,
                        .original = current,
                        .has_written = true,
                        .written = current,
                        .last_write_usec = e->last_write_usec,
                };
        r = state_save_pending(a, id, value);
        if (r < 0) {
                *e = saved;
                return r;
        }

        r = write_value(a, id, value);
        if (r < 0) {
                *e = saved;
                (void) state_save(a);
                return r;
        }
        if (a->test_stop_after_kernel_write)
                return -ECANCELED;
        e->last_write_usec = now_usec;
        e->has_written = true;
        e->written = value;

        r = tunable_read(a->proc_fd, a->sys_fd, id, &readback);
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
        int n = 0, first_error = 0, r;

        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                ActuatorEntry *e = &a->entry[id];
                const char *name = tunable_info(id)->display;
                uint64_t current;

                if (!e->has_original)
                        continue;
                r = tunable_read(a->proc_fd, a->sys_fd, id, &current);
                if (r < 0) {
                        /* Say which step failed: "failed to restore" alone
                         * read as if the write had been refused. */
                        log_error_errno(
                                r,
                                "Cannot restore %s to its original %" PRIu64 ": reading its current "
                                "value failed: %m. It is left as it is; the state file keeps the original.",
                                name, e->original);
                        if (first_error == 0)
                                first_error = r;
                        continue;
                }
                if (current != e->written) {
                        log_info("%s is %" PRIu64 ", not the %" PRIu64
                                 " memtuned wrote: someone else set it, "
                                 "so it stays.",
                                 name, current, e->written);
                } else if (current != e->original) {
                        r = write_value(a, id, e->original);
                        if (r < 0) {
                                log_error_errno(r,
                                                "Failed to write the original %" PRIu64
                                                " to %s (it stays at "
                                                "%" PRIu64 "): %m. The state file keeps the original.",
                                                e->original, name, current);
                                if (first_error == 0)
                                        first_error = r;
                                continue;
                        }
                        n++;
                }
                *e = (ActuatorEntry) {};
        }

        /* What could not be restored stays in the file for the next start. */
        r = state_save(a);
        if (r < 0)
                log_warning_errno(
                        r, "Failed to update the state file '%s/" ACTUATOR_STATE_FILE "', ignoring: %m",
                        a->state_dir);
        return first_error < 0 ? first_error : n;
}
