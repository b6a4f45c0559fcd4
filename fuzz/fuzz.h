/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the libFuzzer targets (fuzz/fuzz-*.c). Each target hands the
 * input bytes to one pure parser exactly as libFuzzer gives them: len bytes,
 * not NUL terminated, so AddressSanitizer catches any read past the end. On
 * success the target checks what the parser's header promises; a broken
 * promise aborts, which libFuzzer reports as a crash. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(expr)                                                                          \
        do {                                                                                       \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* The parsers' documented error codes: anything else is a bug. */
#define FUZZ_ASSERT_ERRNO(r, ...)                                                                          \
        do {                                                                                               \
                const int _allowed[] = { __VA_ARGS__ };                                                    \
                int _ok = (r) >= 0;                                                                        \
                for (size_t _i = 0; !_ok && _i < sizeof(_allowed) / sizeof(_allowed[0]); _i++)             \
                        _ok = (r) == _allowed[_i];                                                         \
                if (!_ok) {                                                                                \
                        fprintf(stderr, "%s:%d: undocumented return value %d\n", __FILE__, __LINE__, (r)); \
                        abort();                                                                           \
                }                                                                                          \
        } while (0)
