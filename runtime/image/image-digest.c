/* SHA-256 through OpenSSL EVP. */
#include <openssl/evp.h>
#include <stdio.h>

#include "cc-util.h"
#include "image-digest.h"

void cc_sha256_init(struct cc_sha256 *h)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
                fputs("ccompose: cannot initialise SHA-256\n", stderr);
                abort();
        }
        h->ctx = ctx;
}

void cc_sha256_update(struct cc_sha256 *h, const void *p, size_t n)
{
        if (n > 0)
                EVP_DigestUpdate(h->ctx, p, n);
}

void cc_sha256_final(struct cc_sha256 *h, char *out)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        static const char hexd[] = "0123456789abcdef";

        EVP_DigestFinal_ex(h->ctx, md, &len);
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < len; i++) {
                out[7 + 2 * i] = hexd[md[i] >> 4];
                out[7 + 2 * i + 1] = hexd[md[i] & 15];
        }
        out[7 + 2 * len] = '\0';
}

void cc_sha256_abort(struct cc_sha256 *h)
{
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
}

void cc_sha256_digest(const void *p, size_t n, char *out)
{
        struct cc_sha256 h;
        cc_sha256_init(&h);
        cc_sha256_update(&h, p, n);
        cc_sha256_final(&h, out);
}

bool cc_is_hex(const char *s, size_t min, size_t max)
{
        size_t n = 0;
        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
                        return false;
        return n >= min && n <= max;
}

bool cc_digest_valid(const char *d)
{
        return d && cc_startswith(d, "sha256:") &&
               cc_is_hex(d + 7, CC_SHA256_HEX_LEN, CC_SHA256_HEX_LEN);
}
