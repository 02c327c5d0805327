/* A hash index over an array of strings the caller keeps (the keys of a
 * mapping node, the names of a graph, the keys of an environment): it maps
 * a string to its position in that array, so that lookups in large maps
 * are O(1) and loading stays linear in the size of the input. The index
 * stores positions and hashes only; the strings are read through a
 * callback, from the caller's array. */
#ifndef CC_HINDEX_H
#define CC_HINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The string at position i of the caller's array. */
typedef const char *(*cc_hindex_key_fn)(const void *owner, size_t i);

/* 8 bytes: an index has two to four slots for each key. */
struct cc_hindex_slot {
        uint32_t pos1; /* position + 1; 0: empty */
        uint32_t hash; /* 32 bits of the key's hash (hindex.c) */
};

struct cc_hindex {
        size_t cap;  /* a power of two, or 0 */
        size_t used;
        struct cc_hindex_slot *slots;
};

/* Position of key, or -1. */
ssize_t cc_hindex_find(const struct cc_hindex *h, const char *key, cc_hindex_key_fn key_at, const void *owner);
/* Record key at pos (the key must not be in the index yet; pos < UINT32_MAX). */
void cc_hindex_add(struct cc_hindex *h, const char *key, size_t pos);
/* Index positions 0..n-1 of the caller's array (h must be empty). */
void cc_hindex_build(struct cc_hindex *h, size_t n, cc_hindex_key_fn key_at, const void *owner);
void cc_hindex_free(struct cc_hindex *h);

/* For keys that are not strings (a whole node, say): the caller hashes them
 * (cc_hindex_hash, cc_hindex_mix), records positions with their hash, and
 * compares the candidates cc_hindex_next gives for a hash (*cursor starts
 * at 0; -1 when there are no more). */
uint64_t cc_hindex_hash(const char *s);
static inline uint64_t cc_hindex_mix(uint64_t h, uint64_t v)
{
        h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        return h * 0xff51afd7ed558ccdULL;
}
void cc_hindex_add_hashed(struct cc_hindex *h, uint64_t hash, size_t pos);
ssize_t cc_hindex_next(const struct cc_hindex *h, uint64_t hash, size_t *cursor);

#endif
