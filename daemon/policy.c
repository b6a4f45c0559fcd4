/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy loader: layered directories of libconfig files, validated into one
 * Policy. The only module that knows libconfig.
 *
 * libconfig 1.5 (Debian 12) is not safe on hostile text: its flex scanner
 * calls exit() on some input (an "@include" of a directory), it leaks on
 * error paths, it does not check malloc(), and it silently truncates integer
 * literals beyond 32 bits. So each file is read into memory once, pre-scanned
 * here (NUL bytes, @include, integer literals), then parsed and validated in a
 * forked child under resource limits, and only when the child reports a clean
 * file does this process parse the same bytes with config_read_string(). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "clock.h"
#include "macro.h"
#include "paths.h"
#include "policy-internal.h"
#include "string-table.h"
#include "units.h"

char *const policy_dirs_standard[POLICY_DIRS_STANDARD_N] = {
        POLICY_DIR_VENDOR,
        POLICY_DIR_RUNTIME,
        POLICY_DIR_ADMIN,
};

/* 256 MiB: the largest file (1 MiB) parses in under 30 MiB of libconfig
 * settings; the rest is room for glibc's regcomp(), whose automata grow fast
 * with nested repetition, before the child is stopped. 2 s of CPU: the largest
 * file parses and validates in well under 100 ms; 5 s of wall time covers a
 * loaded machine and a slow NSS lookup for user names. */
PolicyParseLimits policy_parse_limits = {
        .as_headroom_bytes = UINT64_C(256) * 1024 * 1024,
        .cpu_seconds = 2,
        .timeout_usec = 5 * USEC_PER_SEC,
        .skip_prescan = false,
};

/* ---- defaults ---------------------------------------------------------------- */

/* Each default, and why (memtuned.policy(5) repeats these):
 * - 1000 pages/s of pgscan_direct: 4 MB/s scanned by allocating tasks
 *   themselves. A host whose kswapd keeps up shows 0; sustained scanning at
 *   this rate means allocations stall every second.
 * - 10 allocstalls/s: each is a task that entered direct reclaim; single
 *   stalls are noise on a busy host, ten a second for a whole window are not.
 * - PSI some avg10 5/10/20 %: at 5 % tasks lose a twentieth of their time to
 *   memory stalls, which latency-sensitive services notice; 20 % is where
 *   interactive use degrades visibly. full avg10 10 %: a tenth of the time no
 *   task made progress.
 * - window 10 s: the horizon of PSI's avg10, and long enough that a single
 *   burst (a fork storm, a cache drop) does not count as trouble.
 * - calm 10 min: step back down only after a long quiet period, so that a
 *   workload with minute-scale phases does not make the reserve oscillate.
 * - cooldown 30 s: three windows, the time a step needs to show in kswapd's
 *   work and in avg10 before the next one is judged.
 * - step factor 1.25: four steps give 2.4x; one step never takes a visible
 *   share of usable memory.
 * - max reserve 5 % of RAM: vendor guidance (Red Hat, SUSE) warns that
 *   min_free_kbytes above 5 % of RAM causes OOM kills; the kernel's own
 *   auto-tuning stops at 256 MiB. No absolute max_reserve: the percentage
 *   already scales with the machine; a policy may add one.
 * - sampling 1 s when busy, 60 s when calm: rates need a few samples per
 *   window; a calm host should cost nothing. */
static const PolicyThresholds thresholds_default = {
        .direct_reclaim_pages_per_s = 1000,
        .allocstall_per_s = 10,
        .psi_some_low = 500,
        .psi_some_medium = 1000,
        .psi_some_critical = 2000,
        .psi_full_critical = 1000,
        .window_usec = 10 * USEC_PER_SEC,
        .calm_usec = 600 * USEC_PER_SEC,
        .cooldown_usec = 30 * USEC_PER_SEC,
        .step_factor = 1.25,
        .max_reserve_ram_percent = 5.0,
        .sample_interval_min_usec = 1 * USEC_PER_SEC,
        .sample_interval_max_usec = 60 * USEC_PER_SEC,
};

const char *const policy_mode_table[_POLICY_MODE_MAX] = {
        [POLICY_MODE_ENFORCE] = "enforce",
        [POLICY_MODE_OBSERVE] = "observe",
};

/* clang-format off: one entry per line */
const char *const tunable_mode_table[_TUNABLE_MODE_MAX] = {
        [TUNABLE_MODE_UNMANAGED] = "unmanaged",
        [TUNABLE_MODE_FIXED] = "fixed",
        [TUNABLE_MODE_ADAPTIVE] = "adaptive",
        [TUNABLE_MODE_BY_SWAP_CLASS] = "by-swap-class",
};

/* swappiness is the relative I/O cost of swapping against re-reading the
 * page cache (100: equal; Documentation/admin-guide/sysctl/vm.rst). zram:
 * a swap-in is a decompression in RAM, microseconds against a file read's
 * ~100 us on SSD, but its pages still take RAM and CPU: 150 (swap three
 * times as cheap). zswap: most swap-ins come from its compressed pool, the
 * rest from the device: 100. SSD: the kernel's default 60, which prices a
 * swapped page (written out, then read back) above a clean file page (read
 * back only). Rotating disk: swap-ins are scattered 4 KiB seeks while file
 * reads get readahead: 20. Unknown: the kernel's default. The refault
 * correction moves at most 20 (two of the engine's steps) either way. */
const SwapClassTable swap_class_table_default = {
        .value = {
                [SWAP_CLASS_ZRAM] = 150,
                [SWAP_CLASS_ZSWAP] = 100,
                [SWAP_CLASS_SSD] = 60,
                [SWAP_CLASS_DISK] = 20,
                [SWAP_CLASS_UNKNOWN] = 60,
        },
        .correction = 20,
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(policy_mode, PolicyMode, );
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(tunable_mode, TunableMode, );

/* ---- small helpers ------------------------------------------------------------- */

/* Makes room for element n (0-based) of the array a of n elements of size
 * bytes each: the array holds 8, then each power of two, and is realloc'ed
 * only when n reaches one of those: grown one element at a time, each array
 * would pass through every size from one element up at each reload, and
 * glibc parks the blocks of each size in its per-size caches, a few more
 * with every reload. Returns the array, moved or not, or NULL on ENOMEM (a
 * is then untouched). */
void *array_grow(void *a, size_t n, size_t size) {
        size_t cap;

        if (n > 0 && (n < 8 || (n & (n - 1)) != 0))
                return a;
        cap = n == 0 ? 8 : n * 2;
        if (cap > SIZE_MAX / size)
                return NULL;
        return realloc(a, cap * size);
}

int strv_push(char ***v, size_t *n, char *s) {
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = array_grow(*v, *n, sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        *v = nv;
        return 0;
}

void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

_printf_(1, 0) char *vformat(const char *fmt, va_list ap) {
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return NULL;
        return s;
}

_printf_(1, 2) char *format(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vformat(fmt, ap);
        va_end(ap);
        return s;
}

void policy_errors_free(PolicyErrors *e) {
        if (!e)
                return;
        strv_free(e->messages, e->n);
        e->messages = NULL;
        e->n = 0;
}

const char *quote(char *buf, const char *s) {
        size_t n = 0, i;

        buf[n++] = '"';
        for (i = 0; s[i] && i < QUOTE_CHARS_MAX; i++) {
                unsigned char ch = (unsigned char) s[i];

                if (ch == '"' || ch == '\\') {
                        buf[n++] = '\\';
                        buf[n++] = (char) ch;
                } else if (ch < 0x20 || ch >= 0x7f)
                        n += (size_t) snprintf(buf + n, 5, "\\x%02x", ch);
                else
                        buf[n++] = (char) ch;
        }
        if (s[i]) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n++] = '"';
        buf[n] = 0;
        return buf;
}

const char *format_centi(char *buf, size_t size, uint32_t v) {
        snprintf(buf, size, "%" PRIu32 ".%02" PRIu32, v / 100, v % 100);
        return buf;
}

/* ---- reading files ----------------------------------------------------------------------------- */

/* Applies one policy text (NUL-terminated, len bytes) to p: the pre-scan, the
 * contained parse, then the real one. Returns 0 (errors in errors) or -ENOMEM. */
static int load_text(Policy *p, const char *path, const char *text, size_t len, const HostInfo *host,
                     bool contain, PolicyErrors *errors) {
        size_t n0 = errors->n;
        int r;

        if (!policy_parse_limits.skip_prescan) {
                Ctx c = { .p = p, .host = host, .path = path, .errors = errors };

                prescan(&c, text, len);
                if (c.oom)
                        return -ENOMEM;
                if (errors->n > n0)
                        return 0;
        }

        if (contain) {
                r = contained_check(p, path, text, host, errors);
                if (r < 0)
                        return r;
                if (errors->n > n0)
                        return 0;
        }

        return file_apply(p, path, text, host, errors);
}

static int add_error(PolicyErrors *errors, const char *path, const char *fmt, ...) _printf_(3, 4);
static int add_error(PolicyErrors *errors, const char *path, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = vformat(fmt, ap);
        va_end(ap);
        if (!msg)
                return -ENOMEM;
        return strv_push(&errors->messages, &errors->n, format("%s: %s", path, msg));
}

static int add_note(Policy *p, const char *fmt, ...) _printf_(2, 3);
static int add_note(Policy *p, const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vformat(fmt, ap);
        va_end(ap);
        return strv_push(&p->notes, &p->n_notes, s);
}

/* Whether st (a policy file or directory, what = "file" or "directory") is
 * one that only root, or the user this process runs as, can change. The
 * daemon runs as root and a policy decides what it writes to the kernel and
 * to every process's oom_score_adj: a file that another user can write hands
 * them that power, so it is refused as sudo refuses such a sudoers file.
 * Group-writable is fine for root's group and, for tests and --check run by a
 * user, that user's own group. Returns 0, or 1 after adding the error, or
 * -ENOMEM. */
static int check_permissions(const char *path, const char *what, const struct stat *st,
                             PolicyErrors *errors) {
        uid_t euid = geteuid();
        gid_t egid = getegid();
        char owner[64];

        if (euid == 0)
                snprintf(owner, sizeof(owner), "root");
        else
                snprintf(owner, sizeof(owner), "root or uid %u (memtuned's user)", (unsigned) euid);

        if (st->st_uid != 0 && st->st_uid != euid)
                return add_error(
                               errors, path,
                               "refused: the %s is owned by uid %u, not by %s, and its owner could change what "
                               "memtuned does; make root its owner (\"chown root: %s\")",
                               what, (unsigned) st->st_uid, owner, path)
                               ?: 1;
        if (st->st_mode & S_IWOTH)
                return add_error(
                               errors, path,
                               "refused: the %s is writable by every user (mode %04o), who could change what "
                               "memtuned does; remove that permission (\"chmod go-w %s\")",
                               what, (unsigned) (st->st_mode & 07777), path)
                               ?: 1;
        if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && !(euid != 0 && st->st_gid == egid))
                return add_error(
                               errors, path,
                               "refused: the %s is writable by group %u (mode %04o), whose members could change "
                               "what memtuned does; remove that permission (\"chmod g-w %s\")",
                               what, (unsigned) st->st_gid, (unsigned) (st->st_mode & 07777), path)
                               ?: 1;
        return 0;
}

/* Reads and applies the file at path. A symlink to /dev/null (or the device
 * itself) masks: nothing applies. Returns 0 (errors in errors) or -ENOMEM. */
static int load_file(Policy *p, const char *path, const HostInfo *host, PolicyErrors *errors) {
        _cleanup_close_ int fd = -1;
        _cleanup_(scratch_done) Scratch buf = SCRATCH_NULL;
        char *text;
        struct stat st;
        int r;
        size_t n = 0;

        /* O_NONBLOCK: a FIFO named *.conf must not hang the daemon. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return add_error(errors, path, "cannot open: %s", strerror(errno));
        if (fstat(fd, &st) < 0)
                return add_error(errors, path, "cannot stat: %s", strerror(errno));
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
                return add_note(p, "%s: masked (a link to /dev/null)", path);
        if (!S_ISREG(st.st_mode))
                return add_error(errors, path, "not a regular file");
        /* fstat() follows a symlink: the target is what gets read. */
        r = check_permissions(path, "file", &st, errors);
        if (r != 0)
                return MIN(r, 0);
        if ((uint64_t) st.st_size > POLICY_FILE_SIZE_MAX)
                return add_error(errors, path, "the file is larger than %s",
                                 FORMAT_SIZE(POLICY_FILE_SIZE_MAX / 1024));

        /* Read to EOF: the file may grow while we read. */
        if (scratch_new(&buf, POLICY_FILE_SIZE_MAX + 2) < 0)
                return -ENOMEM;
        text = buf.p;
        for (;;) {
                ssize_t k = read(fd, text + n, POLICY_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return add_error(errors, path, "cannot read: %s", strerror(errno));
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > POLICY_FILE_SIZE_MAX)
                        return add_error(errors, path, "the file is larger than %s",
                                         FORMAT_SIZE(POLICY_FILE_SIZE_MAX / 1024));
        }
        text[n] = 0;
        fd = safe_close(fd);

        return load_text(p, path, text, n, host, true, errors);
}

typedef struct Entry {
        char *name;
        char *path;
} Entry;

static int entry_cmp(const void *a, const void *b) {
        return strcmp(((const Entry *) a)->name, ((const Entry *) b)->name);
}

static void entries_free(Entry *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(e[i].name);
                free(e[i].path);
        }
        free(e);
}

static bool is_policy_name(const char *name) {
        size_t n = strlen(name);

        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static char *path_join(const char *dir, const char *name) {
        size_t n = strlen(dir);

        return format("%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", name);
}

/* Adds the *.conf files of dir to entries. With mask, a name already listed
 * is replaced (a later directory masks an earlier one); without, both stay.
 * A missing directory adds nothing. Returns 0 (errors in errors) or -ENOMEM.
 *
 * The entries are read with getdents64() into a buffer on the stack:
 * opendir() mallocs 32 KiB per directory, and at every reload that block
 * landed a little higher in the heap than the last time (bench/growth: a new
 * heap page every few dozen reloads, for as long as the daemon ran). */
static int list_dir(Policy *p, const char *dir, bool mask, Entry **entries, size_t *n_entries,
                    PolicyErrors *errors) {
        _cleanup_close_ int fd = -1;
        /* Room for about 200 entries per call, 8-byte aligned like struct dirent64. */
        uint64_t buf[8192 / sizeof(uint64_t)];
        struct stat st;
        int r = 0;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return add_error(errors, dir, "cannot read the directory: %s", strerror(errno));
        }
        /* Whoever can write the directory can add files or replace ours. */
        if (fstat(fd, &st) < 0)
                return add_error(errors, dir, "cannot stat: %s", strerror(errno));
        r = check_permissions(dir, "directory", &st, errors);
        if (r != 0)
                return MIN(r, 0);

        for (;;) {
                ssize_t n = getdents64(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return add_error(errors, dir, "cannot read the directory: %s", strerror(errno));
                if (n == 0)
                        return 0;

                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *de = (const struct dirent64 *) ((const char *) buf + off);
                        Entry *e = NULL;

                        off += de->d_reclen;
                        if (!is_policy_name(de->d_name))
                                continue;
                        if (!is_printable(de->d_name, true)) {
                                /* It would break the "FILE:LINE: message" lines. */
                                r = add_error(errors, dir, "the file name %s contains control characters",
                                              QUOTED(de->d_name));
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (mask)
                                for (size_t i = 0; i < *n_entries; i++)
                                        if (strcmp((*entries)[i].name, de->d_name) == 0)
                                                e = &(*entries)[i];

                        char *path = path_join(dir, de->d_name);
                        if (!path)
                                return -ENOMEM;
                        if (e) {
                                r = add_note(p, "%s: overridden by %s", e->path, path);
                                free(e->path);
                                e->path = path;
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (*n_entries >= POLICY_FILES_MAX) {
                                free(path);
                                return add_error(errors, dir, "more than %u policy files", POLICY_FILES_MAX);
                        }
                        Entry *ne = array_grow(*entries, *n_entries, sizeof(Entry));
                        char *name = strdup(de->d_name);
                        if (!ne || !name) {
                                if (ne)
                                        *entries = ne;
                                free(name);
                                free(path);
                                return -ENOMEM;
                        }
                        *entries = ne;
                        (*entries)[(*n_entries)++] = (Entry) { .name = name, .path = path };
                }
        }
}

/* ---- the API ------------------------------------------------------------------------------------- */

int policy_new_default(Policy **ret) {
        Policy *p;

        p = calloc(1, sizeof(Policy));
        if (!p)
                return -ENOMEM;
        p->name = strdup("built-in");
        if (!p->name) {
                free(p);
                return -ENOMEM;
        }
        p->mode = POLICY_MODE_ENFORCE;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++)
                p->tunables[id] = (TunablePolicy) { .mode = TUNABLE_MODE_UNMANAGED };
        p->swap_classes = swap_class_table_default;
        p->thresholds = thresholds_default;

        *ret = p;
        return 0;
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->description);
        for (size_t i = 0; i < p->n_rules; i++)
                process_rule_done(&p->rules[i]);
        free(p->rules);
        strv_free(p->files, p->n_files);
        strv_free(p->notes, p->n_notes);
        strv_free(p->warnings, p->n_warnings);
        free(p);
        return NULL;
}

/* Common tail of the loaders: the checks across files (only when every file
 * was clean, so that one broken file does not cause errors elsewhere), then
 * the verdict. */
static int load_finish(Policy **p, const HostInfo *host, PolicyErrors *errors, Policy **ret,
                       PolicyErrors *ret_errors) {
        if (errors->n == 0)
                policy_finish(*p, host, errors);

        if (errors->n > 0) {
                if (ret_errors) {
                        for (size_t i = 0; i < errors->n; i++) {
                                int r = strv_push(&ret_errors->messages, &ret_errors->n,
                                                  errors->messages[i]);
                                errors->messages[i] = NULL;
                                if (r < 0)
                                        return r;
                        }
                }
                return -EINVAL;
        }

        *ret = TAKE_PTR(*p);
        return 0;
}

int policy_load(char *const *dirs, size_t n_dirs, const HostInfo *host, Policy **ret,
                PolicyErrors *ret_errors) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        Entry *entries = NULL;
        size_t n_entries = 0;
        int r;

        r = policy_new_default(&p);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_dirs; i++) {
                r = list_dir(p, dirs[i], true, &entries, &n_entries, &errors);
                if (r < 0)
                        goto finish;
        }
        if (n_entries > 0)
                qsort(entries, n_entries, sizeof(Entry), entry_cmp);
        for (size_t i = 0; i < n_entries; i++) {
                r = load_file(p, entries[i].path, host, &errors);
                if (r < 0)
                        goto finish;
        }
        r = load_finish(&p, host, &errors, ret, ret_errors);

finish:
        entries_free(entries, n_entries);
        return r;
}

int policy_load_files(char *const *paths, size_t n, const HostInfo *host, Policy **ret,
                      PolicyErrors *ret_errors) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        int r;

        r = policy_new_default(&p);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                struct stat st;

                if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        Entry *entries = NULL;
                        size_t n_entries = 0;

                        r = list_dir(p, paths[i], false, &entries, &n_entries, &errors);
                        if (r >= 0 && n_entries > 0)
                                qsort(entries, n_entries, sizeof(Entry), entry_cmp);
                        for (size_t j = 0; r >= 0 && j < n_entries; j++)
                                r = load_file(p, entries[j].path, host, &errors);
                        entries_free(entries, n_entries);
                } else
                        r = load_file(p, paths[i], host, &errors);
                if (r < 0)
                        return r;
        }

        return load_finish(&p, host, &errors, ret, ret_errors);
}

int policy_load_string(const char *name, const char *text, size_t len, const HostInfo *host, bool contain,
                       Policy **ret, PolicyErrors *ret_errors) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(policy_errors_free) PolicyErrors errors = {};
        _cleanup_free_ char *copy = NULL;
        int r;

        if (len > POLICY_FILE_SIZE_MAX) {
                r = add_error(&errors, name, "the file is larger than %s",
                              FORMAT_SIZE(POLICY_FILE_SIZE_MAX / 1024));
                if (r < 0)
                        return r;
                return load_finish(&p, host, &errors, ret, ret_errors);
        }

        r = policy_new_default(&p);
        if (r < 0)
                return r;

        copy = malloc(len + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, text, len);
        copy[len] = 0;

        r = load_text(p, name, copy, len, host, contain, &errors);
        if (r < 0)
                return r;

        return load_finish(&p, host, &errors, ret, ret_errors);
}
