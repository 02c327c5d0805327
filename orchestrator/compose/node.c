#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "hindex.h"
#include "node.h"

/* File names, numbered from 1 (a position's file is its number). A process
 * reads a few files; past the 65535th, positions name none. */
static struct cc_strv cc__files;

unsigned cc_pos_intern(const char *file)
{
        if (!file)
                return 0;
        for (size_t i = 0; i < cc__files.n; i++)
                if (strcmp(cc__files.v[i], file) == 0)
                        return (unsigned) i + 1;
        if (cc__files.n >= UINT16_MAX)
                return 0;
        cc_strv_push(&cc__files, file);
        return (unsigned) cc__files.n;
}

const char *cc_pos_file(const struct cc_pos *pos)
{
        return pos && pos->file && pos->file <= cc__files.n ? cc__files.v[pos->file - 1] : NULL;
}

char *cc_pos_str(const struct cc_pos *pos)
{
        const char *f = cc_pos_file(pos);
        if (!f)
                f = "<input>";
        if (!pos || pos->line == 0)
                return cc_xstrdup(f);
        return cc_xasprintf("%s:%u:%u", f, (unsigned) pos->line, (unsigned) pos->col);
}

int cc_pos_vfail(struct cc_error *err, const struct cc_pos *pos, const char *fmt, va_list ap)
{
        struct cc_buf b = {0};
        cc_buf_vprintf(&b, fmt, ap);
        _cleanup_free_ char *what = cc_buf_steal(&b);
        if (!pos)
                return cc_error_set(err, -EINVAL, "%s", what);
        _cleanup_free_ char *where = cc_pos_str(pos);
        return cc_error_set(err, -EINVAL, "%s: %s", where, what);
}

int cc_pos_fail(struct cc_error *err, const struct cc_pos *pos, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = cc_pos_vfail(err, pos, fmt, ap);
        va_end(ap);
        return r;
}

/* ---- memory ----
 * A large compose file has millions of nodes, most of them a few dozen
 * bytes, and malloc would add 8 to 24 bytes to each. Nodes and the small
 * arrays of collections are carved instead from 1 MiB blocks in sizes that
 * are multiples of 8 bytes, with a free list for each size: a freed piece
 * is the next one of its size handed out, and blocks are never given back
 * (as malloc rarely gives its heap back). Larger arrays and texts use
 * malloc. The lists are per thread, like the allocator's own state in
 * malloc: they are no program state.
 * Under AddressSanitizer each piece is malloc'd on its own, so that reads
 * past a node's end (a scalar's SEQ/MAP fields) and leaks are reported. */
#if defined(__SANITIZE_ADDRESS__)
#define CC__MEM_PLAIN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CC__MEM_PLAIN 1
#endif
#endif

static size_t cc__mem_round(size_t size)
{
        return (size + 7) & ~(size_t) 7;
}

#ifdef CC__MEM_PLAIN
static void *cc__mem_alloc(size_t size)
{
        return cc_xmalloc(size);
}

static void cc__mem_free(void *p, size_t size)
{
        (void) size;
        free(p);
}
#else
#define CC__MEM_BLOCK ((size_t) 1 << 20)
#define CC__MEM_SMALL 256 /* the largest piece carved from blocks */

struct cc__mem {
        void *free[CC__MEM_SMALL / 8 + 1]; /* by size / 8; a free piece holds the next */
        char *cur, *end;                   /* what is left of the newest block */
};
static __thread struct cc__mem cc__mem;

static void *cc__mem_alloc(size_t size)
{
        size = cc__mem_round(size);
        if (size > CC__MEM_SMALL)
                return cc_xmalloc(size);
        void **head = &cc__mem.free[size / 8];
        void *p = *head;
        if (p) {
                memcpy(head, p, sizeof(*head));
                return p;
        }
        if ((size_t) (cc__mem.end - cc__mem.cur) < size) {
                /* the rest of the old block (less than CC__MEM_SMALL) stays unused */
                cc__mem.cur = cc_xmalloc(CC__MEM_BLOCK);
                cc__mem.end = cc__mem.cur + CC__MEM_BLOCK;
        }
        p = cc__mem.cur;
        cc__mem.cur += size;
        return p;
}

static void cc__mem_free(void *p, size_t size)
{
        size = cc__mem_round(size);
        if (!p || size > CC__MEM_SMALL) {
                free(p);
                return;
        }
        void **head = &cc__mem.free[size / 8];
        memcpy(p, head, sizeof(*head));
        *head = p;
}
#endif

/* A scalar is the node's head (see struct cc_node) and its text's room. */
#define CC__SCALAR_SIZE offsetof(struct cc_node, items)
#define CC__ROOM_MAX (63 * 8)
_Static_assert(CC__SCALAR_SIZE == 24, "a scalar's head is 24 bytes");

static size_t cc__node_size(const struct cc_node *n)
{
        return n->kind == CC_NODE_SCALAR ? CC__SCALAR_SIZE + (size_t) n->str_room * 8 : sizeof(*n);
}

/* A scalar's text of its own (str_heap), from the same pieces. */
static char *cc__str_dup(const char *s)
{
        size_t len = strlen(s) + 1;
        return memcpy(cc__mem_alloc(len), s, len);
}

static void cc__str_free(char *s)
{
        cc__mem_free(s, strlen(s) + 1);
}

/* A node; with s, a scalar whose text is stored right after the node's
 * head, in the same piece (the longest texts, in a malloc'd string). */
static struct cc_node *cc__node_alloc(enum cc_node_kind kind, const struct cc_pos *pos, const char *s)
{
        struct cc_node *n;
        if (kind != CC_NODE_SCALAR) {
                n = cc__mem_alloc(sizeof(*n));
                memset(n, 0, sizeof(*n));
        } else {
                size_t len = strlen(s) + 1;
                size_t room = len <= CC__ROOM_MAX ? cc__mem_round(len) : 0;
                n = cc__mem_alloc(CC__SCALAR_SIZE + room);
                memset(n, 0, CC__SCALAR_SIZE);
                n->str_room = room / 8;
                if (room) {
                        n->str = (char *) n + CC__SCALAR_SIZE;
                        memcpy(n->str, s, len);
                } else {
                        n->str = cc__str_dup(s);
                        n->str_heap = true;
                }
        }
        n->kind = kind;
        if (pos)
                n->pos = *pos;
        return n;
}

/* ---- map keys ----
 * Keys repeat (every service has an image, every port a target): outside
 * ASan builds a key's text is kept once, for the life of the process (like
 * file names), and key nodes point at it: such a node is its head alone,
 * with neither room nor a malloc'd string. */
#ifndef CC__MEM_PLAIN
#define CC__KEY_MAX 256           /* longer keys are stored as other scalars */
#define CC__VALUE_SHARED_MAX 8    /* other scalars of up to 7 characters share their text too */
#define CC__KEY_BLOCK ((size_t) 64 << 10)

/* A text's position in the index is its block's number (high 16 bits)
 * and its offset in the block: the index reads texts from the blocks
 * without a table of them. */
#define CC__KEY_RECENT 512 /* a power of two */

struct cc__keys {
        struct cc_hindex index;
        char **blocks;
        size_t n_blocks, cap_blocks;
        char *cur, *end; /* what is left of the newest block */
        /* texts found lately, by their first two characters and length: the
         * same few keys come again and again (image, environment, ...) */
        struct {
                const char *text;
                size_t len;
        } recent[CC__KEY_RECENT];
};
static __thread struct cc__keys cc__keys;

static const char *cc__key_at(const void *keys, size_t pos)
{
        return ((const struct cc__keys *) keys)->blocks[pos >> 16] + (pos & 0xffff);
}

static const char *cc__key_text(const char *s, size_t len)
{
        struct cc__keys *k = &cc__keys;
        unsigned c1 = s[0] ? (unsigned char) s[1] : 0;
        size_t slot = ((unsigned char) s[0] * 31u + c1 * 7u + len) & (CC__KEY_RECENT - 1);
        if (k->recent[slot].len == len && memcmp(k->recent[slot].text, s, len) == 0)
                return k->recent[slot].text;
        ssize_t i = cc_hindex_find(&k->index, s, cc__key_at, k);
        if (i >= 0) {
                const char *t = cc__key_at(k, (size_t) i);
                k->recent[slot].text = t;
                k->recent[slot].len = len;
                return t;
        }
        if ((size_t) (k->end - k->cur) < len) {
                if (k->n_blocks == k->cap_blocks) {
                        k->cap_blocks = k->cap_blocks ? k->cap_blocks * 2 : 16;
                        k->blocks = cc_xrealloc(k->blocks, k->cap_blocks * sizeof(*k->blocks));
                }
                if (k->n_blocks > UINT16_MAX)
                        abort();
                k->cur = k->blocks[k->n_blocks++] = cc_xmalloc(CC__KEY_BLOCK);
                k->end = k->cur + CC__KEY_BLOCK;
        }
        char *t = memcpy(k->cur, s, len);
        k->cur += len;
        size_t b = k->n_blocks - 1;
        cc_hindex_add(&k->index, t, b << 16 | (size_t) (t - k->blocks[b]));
        k->recent[slot].text = t;
        k->recent[slot].len = len;
        return t;
}
#endif

static bool cc__str_shared(const struct cc_node *n)
{
        return n->kind == CC_NODE_SCALAR && !n->str_heap && !n->str_room;
}

/* A scalar of a text kept for the process. */
static struct cc_node *cc__shared_scalar(const char *text, enum cc_scalar_type type, const struct cc_pos *pos)
{
        struct cc_node *n = cc__mem_alloc(CC__SCALAR_SIZE);
        memset(n, 0, CC__SCALAR_SIZE);
        n->str = (char *) text;
        n->type = type;
        if (pos)
                n->pos = *pos;
        return n;
}

struct cc_node *cc_node_new_key(const char *s, enum cc_scalar_type type, const struct cc_pos *pos)
{
#ifndef CC__MEM_PLAIN
        size_t len = strlen(s) + 1;
        if (len <= CC__KEY_MAX)
                return cc__shared_scalar(cc__key_text(s, len), type, pos);
#endif
        return cc_node_new_scalar(s, type, pos);
}

/* The room of a collection's arrays for n entries: n up to 8 (most maps
 * and lists are small, and a new piece from a free list is cheap), then n
 * rounded up to its three highest bits (10, 12, 14, 16, 20, ...: at most a
 * quarter more). The room is not stored: it follows from n, and when code
 * outside node.c shortens a collection (n smaller, same arrays), the room
 * this gives is smaller than the real one, which is safe (the rest of the
 * piece is unused). */
static size_t cc__room(size_t n)
{
        if (n <= 8)
                return n;
        unsigned shift = (unsigned) (63 - __builtin_clzll(n)) - 2;
        return ((n + ((size_t) 1 << shift) - 1) >> shift) << shift;
}

/* The items (and, for a map, the keys after them) of a collection with
 * room for room entries are one piece. */
static size_t cc__arrays_size(const struct cc_node *n, size_t room)
{
        return room * sizeof(*n->items) * (n->kind == CC_NODE_MAP ? 2 : 1);
}

/* Make the room of a collection of n entries that for want entries. */
static void cc__node_resize(struct cc_node *n, size_t want)
{
        if (want > UINT32_MAX)
                abort();
        size_t room = cc__room(want);
        struct cc_node **items = room ? cc__mem_alloc(cc__arrays_size(n, room)) : NULL;
        if (n->n) {
                memcpy(items, n->items, n->n * sizeof(*items));
                if (n->kind == CC_NODE_MAP)
                        memcpy(items + room, n->keys, n->n * sizeof(*items));
        }
        cc__mem_free(n->items, cc__arrays_size(n, cc__room(n->n)));
        n->items = items;
        n->keys = n->kind == CC_NODE_MAP && room ? items + room : NULL;
}

static struct cc_node *cc__node_new(enum cc_node_kind kind, const struct cc_pos *pos)
{
        return cc__node_alloc(kind, pos, NULL);
}

struct cc_node *cc_node_new_scalar(const char *s, enum cc_scalar_type type, const struct cc_pos *pos)
{
        if (!s)
                s = "";
#ifndef CC__MEM_PLAIN
        /* short texts repeat as keys do ("true", "tcp", "80"), and sharing
         * one costs less than its room would */
        size_t len = strlen(s) + 1;
        if (len <= CC__VALUE_SHARED_MAX)
                return cc__shared_scalar(cc__key_text(s, len), type, pos);
#endif
        struct cc_node *n = cc__node_alloc(CC_NODE_SCALAR, pos, s);
        n->type = type;
        return n;
}

struct cc_node *cc_node_new_str(const char *s, const struct cc_pos *pos)
{
        struct cc_node *n = cc_node_new_scalar(s, CC_STR, pos);
        n->quoted = true;
        return n;
}

struct cc_node *cc_node_new_int(long long v, const struct cc_pos *pos)
{
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%lld", v);
        return cc_node_new_scalar(tmp, CC_INT, pos);
}

/* booleans and nulls share their (static) text */
struct cc_node *cc_node_new_bool(bool v, const struct cc_pos *pos)
{
        return cc__shared_scalar(v ? "true" : "false", CC_BOOL, pos);
}

struct cc_node *cc_node_new_null(const struct cc_pos *pos)
{
        return cc__shared_scalar("null", CC_NULL, pos);
}

struct cc_node *cc_node_new_seq(const struct cc_pos *pos)
{
        return cc__node_new(CC_NODE_SEQ, pos);
}

struct cc_node *cc_node_new_map(const struct cc_pos *pos)
{
        return cc__node_new(CC_NODE_MAP, pos);
}

/* Two bits of 64 for a key, from its first two characters (what most
 * keys of a compose map differ in already; a few instructions). */
static uint64_t cc__key_bits(const char *k)
{
        unsigned c0 = (unsigned char) k[0], c1 = c0 ? (unsigned char) k[1] : 0;
        uint32_t h = (c0 << 8 | c1) * 0x9e3779b1u;
        return (uint64_t) 1 << (h >> 26) | (uint64_t) 1 << (h >> 20 & 63);
}

static void cc__map_drop_index(struct cc_node *map)
{
        if (map->kind != CC_NODE_MAP || !map->indexed)
                return;
        cc_hindex_free(map->index);
        free(map->index);
        map->indexed = false;
}

void cc_node_map_reordered(struct cc_node *map)
{
        if (map->kind != CC_NODE_MAP)
                return;
        cc__map_drop_index(map);
        map->key_bits = 0;
        for (size_t i = 0; i < map->n; i++)
                map->key_bits |= cc__key_bits(map->keys[i]->str);
}

struct cc_node *cc_node_copy(const struct cc_node *n)
{
        if (!n)
                return NULL;
        struct cc_node *c = cc__str_shared(n) ? cc__shared_scalar(n->str, n->type, &n->pos)
                                              : cc__node_alloc(n->kind, &n->pos, n->str);
        c->type = n->type;
        c->quoted = n->quoted;
        c->flags = n->flags;
        if (n->n) {
                cc__node_resize(c, n->n);
                c->n = n->n;
                for (size_t i = 0; i < n->n; i++) {
                        c->items[i] = cc_node_copy(n->items[i]);
                        if (n->kind == CC_NODE_MAP)
                                c->keys[i] = cc_node_copy(n->keys[i]);
                }
                cc_node_map_reordered(c);
        }
        return c;
}

struct cc_node *cc_node_move(struct cc_node *n)
{
        if (!n || n->kind == CC_NODE_SCALAR)
                return cc_node_copy(n);
        struct cc_node *c = cc__node_alloc(n->kind, &n->pos, NULL);
        c->flags = n->flags;
        c->n = n->n;
        c->items = n->items;
        c->keys = n->keys;
        c->indexed = n->indexed;
        c->key_bits = n->key_bits; /* or the index: the union's one value */
        n->n = 0;
        n->items = n->keys = NULL;
        n->indexed = false;
        n->key_bits = 0;
        return c;
}

void cc_node_free(struct cc_node *n)
{
        if (!n)
                return;
        if (n->kind != CC_NODE_SCALAR) {
                for (size_t i = 0; i < n->n; i++) {
                        cc_node_free(n->items[i]);
                        if (n->keys)
                                cc_node_free(n->keys[i]);
                }
                cc__mem_free(n->items, cc__arrays_size(n, cc__room(n->n)));
                cc__map_drop_index(n);
        } else if (n->str_heap) {
                cc__str_free(n->str);
        }
        cc__mem_free(n, cc__node_size(n));
}


void cc_node_set_scalar(struct cc_node *n, const char *s, enum cc_scalar_type type)
{
        /* a new string, as the text in the node's room may still be read
         * through pointers taken before */
        char *dup = cc__str_dup(s);
        if (n->str_heap)
                cc__str_free(n->str);
        n->str = dup;
        n->str_heap = true;
        n->type = type;
}

static bool cc__is_int(const char *s)
{
        const char *p = s;
        if (*p == '-' || *p == '+')
                p++;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
                p += 2;
                if (!*p)
                        return false;
                for (; *p; p++)
                        if (!(s[1] == 'x' || s[2] == 'x' ? (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') : (*p >= '0' && *p <= '7')))
                                return false;
                return true;
        }
        if (!*p)
                return false;
        for (; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return true;
}

static bool cc__is_float(const char *s)
{
        static const char *const special[] = {".inf", "+.inf", "-.inf", ".Inf", "+.Inf", "-.Inf",
                                               ".INF", "+.INF", "-.INF", ".nan", ".NaN", ".NAN"};
        /* all of them have a '.' first or after the sign */
        bool dotted = s[0] == '.' || ((s[0] == '+' || s[0] == '-') && s[1] == '.');
        for (size_t i = 0; dotted && i < CC_ARRAY_SIZE(special); i++)
                if (strcmp(s, special[i]) == 0)
                        return true;
        const char *p = s;
        if (*p == '-' || *p == '+')
                p++;
        bool digits = false, dot = false;
        for (; *p && *p != 'e' && *p != 'E'; p++) {
                if (*p >= '0' && *p <= '9')
                        digits = true;
                else if (*p == '.' && !dot)
                        dot = true;
                else
                        return false;
        }
        if (!digits)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '-' || *p == '+')
                        p++;
                if (!*p)
                        return false;
                for (; *p; p++)
                        if (*p < '0' || *p > '9')
                                return false;
        }
        return true;
}

enum cc_scalar_type cc_scalar_resolve(const char *s)
{
        /* most scalars are words: only these first bytes can start a null,
         * a boolean or a number */
        if (*s && !strchr("~nNtTfF0123456789+-.", *s))
                return CC_STR;
        if (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
            strcmp(s, "NULL") == 0)
                return CC_NULL;
        if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0 ||
            strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
                return CC_BOOL;
        if (cc__is_int(s))
                return CC_INT;
        if (cc__is_float(s))
                return CC_FLOAT;
        return CC_STR;
}

const char *cc_node_type_name(const struct cc_node *n)
{
        if (!n)
                return "null";
        switch (n->kind) {
        case CC_NODE_SEQ:
                return "array";
        case CC_NODE_MAP:
                return "mapping";
        case CC_NODE_SCALAR:
                break;
        }
        switch (n->type) {
        case CC_STR:
                return "string";
        case CC_INT:
        case CC_FLOAT:
                return "number";
        case CC_BOOL:
                return "boolean";
        case CC_NULL:
                return "null";
        }
        return "string";
}

static void cc__node_grow(struct cc_node *n)
{
        if (n->n == cc__room(n->n))
                cc__node_resize(n, (size_t) n->n + 1);
}

void cc_node_seq_push(struct cc_node *seq, struct cc_node *item)
{
        cc__node_grow(seq);
        seq->items[seq->n++] = item;
}

void cc_node_seq_insert(struct cc_node *seq, size_t at, struct cc_node *item)
{
        cc__node_grow(seq);
        if (at > seq->n)
                at = seq->n;
        memmove(seq->items + at + 1, seq->items + at, (seq->n - at) * sizeof(*seq->items));
        seq->items[at] = item;
        seq->n++;
}

struct cc_node *cc_node_seq_take(struct cc_node *seq, size_t i)
{
        if (i >= seq->n)
                return NULL;
        struct cc_node *it = seq->items[i];
        memmove(seq->items + i, seq->items + i + 1, (seq->n - i - 1) * sizeof(*seq->items));
        if (seq->keys) {
                cc_node_map_reordered(seq);
                cc_node_free(seq->keys[i]);
                memmove(seq->keys + i, seq->keys + i + 1, (seq->n - i - 1) * sizeof(*seq->keys));
        }
        seq->n--;
        return it;
}

static const char *cc__map_key_at(const void *map, size_t i)
{
        return ((const struct cc_node *) map)->keys[i]->str;
}

/* The search of cc_node_map_index(), out of line so that the filter
 * before it is a few instructions. */
static ssize_t __attribute__((noinline)) cc__map_find(const struct cc_node *map, const char *key)
{
        if (map->n <= CC_NODE_INDEX_MIN && !map->indexed) {
                /* two characters first (safe: k[1] exists when k[0] is
                 * key[0] and not its end): most keys of a compose map
                 * differ there, and strcmp is then never called */
                for (size_t i = 0; i < map->n; i++) {
                        const char *k = map->keys[i]->str;
                        if (k[0] == key[0] && (!key[0] || (k[1] == key[1] && strcmp(k, key) == 0)))
                                return (ssize_t) i;
                }
                return -1;
        }
        if (!map->indexed) {
                /* the index is a cache: building it does not change the map */
                struct cc_node *m = (struct cc_node *) map;
                struct cc_hindex *index = cc_xcalloc(1, sizeof(*index));
                cc_hindex_build(index, m->n, cc__map_key_at, m);
                m->index = index;
                m->indexed = true;
        }
        return cc_hindex_find(map->index, key, cc__map_key_at, map);
}

ssize_t cc_node_map_index(const struct cc_node *map, const char *key)
{
        if (!map || map->kind != CC_NODE_MAP)
                return -1;
        if (map->n <= CC_NODE_INDEX_MIN && !map->indexed) {
                uint64_t bits = cc__key_bits(key);
                if ((map->key_bits & bits) != bits)
                        return -1;
        }
        return cc__map_find(map, key);
}

struct cc_node *cc_node_map_get(const struct cc_node *map, const char *key)
{
        ssize_t i = cc_node_map_index(map, key);
        return i < 0 ? NULL : map->items[i];
}

const char *cc_node_map_str(const struct cc_node *map, const char *key)
{
        struct cc_node *v = cc_node_map_get(map, key);
        return v && v->kind == CC_NODE_SCALAR && v->type != CC_NULL ? v->str : NULL;
}

void cc_node_map_set(struct cc_node *map, const char *key, const struct cc_pos *keypos, struct cc_node *value)
{
        ssize_t i = cc_node_map_index(map, key);
        if (i >= 0) {
                if (map->items[i] != value)
                        cc_node_free(map->items[i]);
                map->items[i] = value;
                return;
        }
        cc_node_map_append(map, key, keypos, value);
}

void cc_node_map_append(struct cc_node *map, const char *key, const struct cc_pos *keypos, struct cc_node *value)
{
        struct cc_node *k = cc_node_new_key(key, CC_STR, keypos ? keypos : value ? &value->pos : NULL);
        k->quoted = true;
        cc_node_map_add(map, k, value);
}

void cc_node_map_add(struct cc_node *map, struct cc_node *key, struct cc_node *value)
{
        cc__node_grow(map);
        map->keys[map->n] = key;
        map->items[map->n] = value;
        if (map->indexed)
                cc_hindex_add(map->index, key->str, map->n);
        else
                map->key_bits |= cc__key_bits(key->str);
        map->n++;
}

struct cc_node *cc_node_map_take(struct cc_node *map, const char *key)
{
        ssize_t i = cc_node_map_index(map, key);
        if (i < 0)
                return NULL;
        return cc_node_seq_take(map, (size_t) i);
}

void cc_node_map_del(struct cc_node *map, const char *key)
{
        cc_node_free(cc_node_map_take(map, key));
}

struct cc__map_entry {
        struct cc_node *key, *value;
};

struct cc__key_order {
        int (*cmp)(const char *, const char *);
};

static int cc__map_entry_cmp(const void *a, const void *b, void *order)
{
        return ((const struct cc__key_order *) order)
                ->cmp(((const struct cc__map_entry *) a)->key->str, ((const struct cc__map_entry *) b)->key->str);
}

void cc_node_map_sort_with(struct cc_node *map, int (*cmp)(const char *a, const char *b))
{
        /* keys are unique: any sort gives the one order */
        if (map->n < 2)
                return;
        struct cc__map_entry *e = cc_xcalloc(map->n, sizeof(*e));
        for (size_t i = 0; i < map->n; i++)
                e[i] = (struct cc__map_entry){map->keys[i], map->items[i]};
        struct cc__key_order order = {cmp};
        qsort_r(e, map->n, sizeof(*e), cc__map_entry_cmp, &order);
        for (size_t i = 0; i < map->n; i++) {
                map->keys[i] = e[i].key;
                map->items[i] = e[i].value;
        }
        free(e);
        cc_node_map_reordered(map);
}

void cc_node_map_sort(struct cc_node *map)
{
        cc_node_map_sort_with(map, strcmp);
}
