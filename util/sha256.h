/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), incremental: for digests that people compare with
 * sha256sum(1). Not for secrets (no constant-time guarantees needed). */

#define SHA256_DIGEST_SIZE 32

typedef struct Sha256 {
        uint32_t h[8];
        uint64_t length; /* bytes hashed so far */
        uint8_t block[64];
        size_t n_block; /* bytes waiting in block */
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t len);
void sha256_final(Sha256 *s, uint8_t ret[SHA256_DIGEST_SIZE]);

/* The digest as lowercase hex, NUL terminated, cut to size - 1 digits
 * (size 65 for all of it). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char *buf, size_t size);
