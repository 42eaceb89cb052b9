/*
 * SHA-256 (FIPS 180-4), for naming configuration versions by their content:
 * the same digest `sha256sum` prints, so an operator can check a file by hand.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN     32
#define SHA256_HEX_LEN 64

struct sha256 {
    uint32_t h[8];
    uint64_t total; /* bytes so far */
    uint8_t buf[64];
    size_t n_buf;
};

/* Starts a digest in s (caller-owned storage; nothing is allocated). */
void sha256_init(struct sha256 *s);
/* Adds len bytes of data (len may be 0) to the digest in s. */
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the digest to out; s must be initialised again before reuse. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* The digest of data as 64 lowercase hex digits and a NUL, into hex. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);
