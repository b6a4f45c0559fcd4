/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Assertions for test programs: a failed check prints where and what, and the
 * test exits 1 at the end (or at once for ASSERT_*). Exit codes follow the
 * Automake harness: 0 pass, 77 skip (say why), 99 hard error. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

static int test_failures = 0;

#define CHECK(expr)                                                                              \
        do {                                                                                     \
                if (!(expr)) {                                                                   \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        test_failures++;                                                         \
                }                                                                                \
        } while (0)

#define CHECK_EQ_U64(a, b)                                                                                \
        do {                                                                                              \
                uint64_t _a = (uint64_t) (a), _b = (uint64_t) (b);                                        \
                if (_a != _b) {                                                                           \
                        fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n", __FILE__, \
                                __LINE__, #a, #b, _a, _b);                                                \
                        test_failures++;                                                                  \
                }                                                                                         \
        } while (0)

#define CHECK_EQ_INT(a, b)                                                                                \
        do {                                                                                              \
                long long _a = (long long) (a), _b = (long long) (b);                                     \
                if (_a != _b) {                                                                           \
                        fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, \
                                #b, _a, _b);                                                              \
                        test_failures++;                                                                  \
                }                                                                                         \
        } while (0)

#define CHECK_STREQ(a, b)                                                                          \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
                        fprintf(stderr, "%s:%d: %s == %s failed:\n  \"%s\"\n  \"%s\"\n", __FILE__, \
                                __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");         \
                        test_failures++;                                                           \
                }                                                                                  \
        } while (0)

#define ASSERT(expr)                                                                                 \
        do {                                                                                         \
                if (!(expr)) {                                                                       \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #expr); \
                        exit(1);                                                                     \
                }                                                                                    \
        } while (0)

static inline int test_result(const char *name) {
        if (test_failures) {
                fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
                return 1;
        }
        printf("%s: all checks passed\n", name);
        return 0;
}

/* The source tree's tests/data/<name>, from $top_srcdir set by the harness. */
static inline const char *test_data_path(const char *name) {
        static char buf[4096];
        const char *top = getenv("top_srcdir");

        snprintf(buf, sizeof(buf), "%s/tests/data/%s", top ? top : ".", name);
        return buf;
}

/* Symbolic links do not survive `make dist` (its tar follows them, and a
 * /proc fixture's exe links point at paths that need not exist), so the
 * fixtures store each link as NAME.symlink holding its target. Trees that have
 * any are copied once to a temporary directory (removed at exit) with the
 * links made; others are used in place. */
static char test_data_copy[4096];

static inline void test_data_copy_remove(void) {
        char cmd[4200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_data_copy);
        (void) system(cmd);
}

static inline const char *test_data_dir(const char *name) {
        char cmd[16384], top[256], src[4096];
        static char path[8192];
        size_t n = strcspn(name, "/");

        /* The fixture tree: the first component of name. */
        snprintf(top, sizeof(top), "%.*s", (int) MIN(n, sizeof(top) - 1), name);
        snprintf(src, sizeof(src), "%s", test_data_path(top));
        snprintf(cmd, sizeof(cmd), "find '%s' -name '*.symlink' -print -quit | grep -q .", src);
        if (system(cmd) != 0)
                return test_data_path(name);

        if (!test_data_copy[0]) {
                snprintf(test_data_copy, sizeof(test_data_copy), "/tmp/memtuned-test-data-XXXXXX");
                if (!mkdtemp(test_data_copy))
                        exit(99);
                atexit(test_data_copy_remove);
        }
        snprintf(
                cmd, sizeof(cmd),
                "cd '%s' && { test -e '%s' || { cp -r '%s' . && find '%s' -name '*.symlink' | "
                "while IFS= read -r f; do ln -s \"$(cat \"$f\")\" \"${f%%.symlink}\" && rm \"$f\" || exit 1; done; }; }",
                test_data_copy, top, src, top);
        if (system(cmd) != 0) {
                fprintf(stderr, "cannot copy %s to %s\n", src, test_data_copy);
                exit(99);
        }
        snprintf(path, sizeof(path), "%s/%s", test_data_copy, name);
        return path;
}

/* Opens tests/data/<name> as a directory fd, or exits 99 (a broken checkout). */
static inline int test_open_data_dir(const char *name) {
        const char *p = test_data_dir(name);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "cannot open %s: %s\n", p, strerror(errno));
                exit(99);
        }
        return fd;
}

/* Reads tests/data/<name> into a malloc'ed NUL-terminated buffer, or exits 99. */
static inline char *test_read_data(const char *name, size_t *ret_len) {
        FILE *f = fopen(test_data_path(name), "re");
        char *buf;
        long n;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
                fprintf(stderr, "cannot read %s\n", test_data_path(name));
                exit(99);
        }
        buf = malloc((size_t) n + 1);
        if (!buf || fread(buf, 1, (size_t) n, f) != (size_t) n)
                exit(99);
        buf[n] = 0;
        fclose(f);
        if (ret_len)
                *ret_len = (size_t) n;
        return buf;
}
