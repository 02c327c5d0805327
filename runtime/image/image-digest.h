/* SHA-256 digests ("sha256:<64 hex>") through OpenSSL's EVP interface.
 * Owner: the image store. */
#ifndef CC_IMAGE_DIGEST_H
#define CC_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define CC_SHA256_HEX_LEN 64
#define CC_DIGEST_LEN (7 + CC_SHA256_HEX_LEN) /* "sha256:" + hex */

struct cc_sha256 {
        void *ctx; /* EVP_MD_CTX */
};

void cc_sha256_init(struct cc_sha256 *h);
void cc_sha256_update(struct cc_sha256 *h, const void *p, size_t n);
/* Write "sha256:<hex>" (CC_DIGEST_LEN + 1 bytes) and free the context. */
void cc_sha256_final(struct cc_sha256 *h, char *out);
/* Free the context without a result (error paths). */
void cc_sha256_abort(struct cc_sha256 *h);
/* One-shot digest of a buffer. */
void cc_sha256_digest(const void *p, size_t n, char *out);

/* "sha256:" followed by exactly 64 lowercase hex digits. */
bool cc_digest_valid(const char *d);
/* The hex part of a valid digest. */
static inline const char *cc_digest_hex(const char *d) { return d + 7; }
/* True when s is 1..64 lowercase hex digits. */
bool cc_is_hex(const char *s, size_t min, size_t max);

#endif
