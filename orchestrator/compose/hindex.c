/* Open addressing with linear probing, at most half full. The hash is
 * seeded per process (from where the loader's code and heap were mapped),
 * so that a file cannot be crafted to make every key collide. */
#include <stdlib.h>
#include <string.h>

#include "cc-util.h"
#include "hindex.h"

static uint64_t cc__hindex_seed(void)
{
        static uint64_t seed;
        if (!seed) {
                void *probe = malloc(1);
                seed = (uint64_t) (uintptr_t) &cc__hindex_seed ^ ((uint64_t) (uintptr_t) probe << 17) ^
                       0x9e3779b97f4a7c15ULL;
                free(probe);
        }
        return seed;
}

/* FNV-1a over the bytes from the seed, then a 64-bit finaliser (MurmurHash3's). */
uint64_t cc_hindex_hash(const char *s)
{
        uint64_t h = cc__hindex_seed();
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

/* A slot keeps 32 bits of the hash, which place it too (so that the index
 * can grow from what it keeps); an index has fewer than 2^32 slots. */
static uint32_t cc__hindex_short(uint64_t hash)
{
        return (uint32_t) (hash >> 32);
}

ssize_t cc_hindex_find(const struct cc_hindex *h, const char *key, cc_hindex_key_fn key_at, const void *owner)
{
        if (!h->cap)
                return -1;
        uint32_t hash = cc__hindex_short(cc_hindex_hash(key));
        for (size_t i = hash & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
                const struct cc_hindex_slot *s = &h->slots[i];
                if (!s->pos1)
                        return -1;
                if (s->hash == hash && strcmp(key_at(owner, s->pos1 - 1), key) == 0)
                        return (ssize_t) (s->pos1 - 1);
        }
}

static void cc__hindex_put(struct cc_hindex *h, uint32_t hash, size_t pos1)
{
        if (pos1 > UINT32_MAX)
                abort();
        size_t i = hash & (h->cap - 1);
        while (h->slots[i].pos1)
                i = (i + 1) & (h->cap - 1);
        h->slots[i] = (struct cc_hindex_slot){(uint32_t) pos1, hash};
        h->used++;
}

static void cc__hindex_grow(struct cc_hindex *h, size_t want)
{
        if (2 * want <= h->cap)
                return;
        size_t cap = h->cap ? h->cap : 32;
        while (2 * want > cap)
                cap *= 2;
        struct cc_hindex old = *h;
        h->cap = cap;
        h->used = 0;
        h->slots = cc_xcalloc(cap, sizeof(*h->slots));
        for (size_t i = 0; i < old.cap; i++)
                if (old.slots[i].pos1)
                        cc__hindex_put(h, old.slots[i].hash, old.slots[i].pos1);
        free(old.slots);
}

void cc_hindex_add(struct cc_hindex *h, const char *key, size_t pos)
{
        cc__hindex_grow(h, h->used + 1);
        cc__hindex_put(h, cc__hindex_short(cc_hindex_hash(key)), pos + 1);
}

void cc_hindex_build(struct cc_hindex *h, size_t n, cc_hindex_key_fn key_at, const void *owner)
{
        cc__hindex_grow(h, n);
        for (size_t i = 0; i < n; i++)
                cc__hindex_put(h, cc__hindex_short(cc_hindex_hash(key_at(owner, i))), i + 1);
}

void cc_hindex_free(struct cc_hindex *h)
{
        free(h->slots);
        memset(h, 0, sizeof(*h));
}

void cc_hindex_add_hashed(struct cc_hindex *h, uint64_t hash, size_t pos)
{
        cc__hindex_grow(h, h->used + 1);
        cc__hindex_put(h, cc__hindex_short(hash), pos + 1);
}

ssize_t cc_hindex_next(const struct cc_hindex *h, uint64_t hash, size_t *cursor)
{
        if (!h->cap)
                return -1;
        /* *cursor counts the slots already looked at from the hash's home */
        uint32_t short_hash = cc__hindex_short(hash);
        for (size_t i = (short_hash + *cursor) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
                const struct cc_hindex_slot *s = &h->slots[i];
                ++*cursor;
                if (!s->pos1)
                        return -1;
                if (s->hash == short_hash)
                        return (ssize_t) (s->pos1 - 1);
        }
}
