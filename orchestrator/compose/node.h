/* The document tree every compose file is loaded into: YAML mappings,
 * sequences and scalars, each with the file, line and column it came from,
 * so that every later stage (interpolation, merge, validation,
 * normalisation) can point at the source of a problem. */
#ifndef CC_NODE_H
#define CC_NODE_H

#include <stdarg.h>
#include <stdint.h>

#include "cc-error.h"
#include "cc-util.h"

struct cc_hindex;

enum cc_node_kind {
        CC_NODE_SCALAR,
        CC_NODE_SEQ,
        CC_NODE_MAP,
};

/* The resolved type of a scalar (YAML 1.2 core schema, as go-yaml v3 resolves
 * plain scalars: quoted scalars are always strings). */
enum cc_scalar_type {
        CC_STR,
        CC_INT,
        CC_FLOAT,
        CC_BOOL,
        CC_NULL,
};

/* Node flags from YAML tags. */
#define CC_NODE_RESET    0x1u /* !reset: remove the value inherited from earlier files */
#define CC_NODE_OVERRIDE 0x2u /* !override: replace, do not merge */

/* 8 bytes, as every node has one. Lines and columns go up to 2^24 - 1
 * (inputs are at most 16 MiB); larger ones are cut to that. */
struct cc_pos {
        uint64_t line : 24; /* 1-based, 0 when unknown */
        uint64_t col : 24;  /* 1-based */
        uint64_t file : 16; /* the file's number from cc_pos_intern(), 0 for none:
                             * cc_pos_file() names it */
};
#define CC_POS_MAX ((1u << 24) - 1)

struct cc_node {
        /* A scalar is only the fields up to `str` (24 bytes) and its text;
         * node.c allocates SEQ and MAP nodes whole. Fields after `str` are
         * for SEQ and MAP nodes only: never read them on a scalar. A large
         * file has millions of nodes, most of them scalars. */
        enum cc_node_kind kind : 4;
        enum cc_scalar_type type : 4; /* scalars only */
        bool quoted : 1;          /* scalar was quoted (or a block scalar) in the source */
        bool str_heap : 1;        /* node.c: str is a string of its own, freed with the node */
        unsigned str_room : 6;    /* node.c: 8-byte units of text room after the node */
        unsigned flags : 8;       /* CC_NODE_RESET / CC_NODE_OVERRIDE / ... (8 bits) */
        bool indexed : 1;         /* node.c: MAP has an index (else key_bits) */
        uint32_t n;               /* SEQ items or MAP entries; 0 for scalars */
        struct cc_pos pos;
        char *str;                /* scalar text, NUL-terminated; NULL for SEQ/MAP */
        /* SEQ and MAP only (the room of the arrays follows from n, node.c): */
        struct cc_node **items;   /* SEQ items, or MAP values */
        struct cc_node **keys;    /* MAP keys (scalar nodes), parallel to items: keys come
                                   * in through the functions below only; code may move
                                   * or drop entries in place, then calls
                                   * cc_node_map_reordered() */
        union {                   /* MAP, node.c: */
                struct cc_hindex *index; /* key -> position, built on the first lookup in
                                          * a map of more than CC_NODE_INDEX_MIN keys */
                uint64_t key_bits;       /* smaller maps: two bits for each key, to
                                          * answer most lookups of a missing key at once */
        };
};

/* Maps up to this many keys are searched in order; larger ones get a hash
 * index, so that loading stays linear however many keys a map has. */
#define CC_NODE_INDEX_MIN 16

/* A number for a file name (0 for NULL), which is kept for the life of the
 * process: positions are copied freely between nodes and files. */
unsigned cc_pos_intern(const char *file);
/* The file name of pos, NULL when it has none. */
const char *cc_pos_file(const struct cc_pos *pos);
static inline struct cc_pos cc_pos_of(unsigned file, unsigned long line, unsigned long col)
{
        return (struct cc_pos){.line = line < CC_POS_MAX ? line : CC_POS_MAX,
                               .col = col < CC_POS_MAX ? col : CC_POS_MAX,
                               .file = file};
}
static inline struct cc_pos cc_pos_at(const char *file, unsigned long line, unsigned long col)
{
        return cc_pos_of(cc_pos_intern(file), line, col);
}
/* "file:line:col" or "file" when no line is known. Caller frees. */
char *cc_pos_str(const struct cc_pos *pos);
/* Set err to "where: what" (EINVAL) with where from cc_pos_str; with a NULL
 * pos only "what". Returns the error code. */
int cc_pos_fail(struct cc_error *err, const struct cc_pos *pos, const char *fmt, ...) CC_PRINTF(3, 4);
int cc_pos_vfail(struct cc_error *err, const struct cc_pos *pos, const char *fmt, va_list ap) CC_PRINTF(3, 0);

struct cc_node *cc_node_new_scalar(const char *s, enum cc_scalar_type type, const struct cc_pos *pos);
struct cc_node *cc_node_new_str(const char *s, const struct cc_pos *pos);
struct cc_node *cc_node_new_int(long long v, const struct cc_pos *pos);
struct cc_node *cc_node_new_bool(bool v, const struct cc_pos *pos);
struct cc_node *cc_node_new_null(const struct cc_pos *pos);
/* A scalar for a map key: its text is shared by the keys that have it. */
struct cc_node *cc_node_new_key(const char *s, enum cc_scalar_type type, const struct cc_pos *pos);
struct cc_node *cc_node_new_seq(const struct cc_pos *pos);
struct cc_node *cc_node_new_map(const struct cc_pos *pos);
struct cc_node *cc_node_copy(const struct cc_node *n);
/* A node with n's content, n left an empty SEQ or MAP (a scalar is copied):
 * for a value taken out of a tree that is freed afterwards. */
struct cc_node *cc_node_move(struct cc_node *n);
void cc_node_free(struct cc_node *n);
static inline void cc__node_freep(struct cc_node **n) { cc_node_free(*n); }
#define _cleanup_node_ __attribute__((cleanup(cc__node_freep)))

/* Replace a scalar's text and type in place. */
void cc_node_set_scalar(struct cc_node *n, const char *s, enum cc_scalar_type type);
/* Resolve the type of a plain scalar's text ("123" -> INT, "true" -> BOOL, ...). */
enum cc_scalar_type cc_scalar_resolve(const char *s);

static inline bool cc_node_is_map(const struct cc_node *n) { return n && n->kind == CC_NODE_MAP; }
static inline bool cc_node_is_seq(const struct cc_node *n) { return n && n->kind == CC_NODE_SEQ; }
static inline bool cc_node_is_scalar(const struct cc_node *n) { return n && n->kind == CC_NODE_SCALAR; }
static inline bool cc_node_is_null(const struct cc_node *n)
{
        return !n || (n->kind == CC_NODE_SCALAR && n->type == CC_NULL);
}
/* "string", "number", "boolean", "null", "array", "mapping" (for messages). */
const char *cc_node_type_name(const struct cc_node *n);

/* Sequences (take ownership of item). */
void cc_node_seq_push(struct cc_node *seq, struct cc_node *item);
void cc_node_seq_insert(struct cc_node *seq, size_t at, struct cc_node *item);
struct cc_node *cc_node_seq_take(struct cc_node *seq, size_t i); /* detach item i */

/* Mappings. Keys are unique strings; order is kept. */
static inline const char *cc_node_key(const struct cc_node *map, size_t i) { return map->keys[i]->str; }
ssize_t cc_node_map_index(const struct cc_node *map, const char *key);
struct cc_node *cc_node_map_get(const struct cc_node *map, const char *key);
/* Scalar text of map[key] or NULL when missing or not a scalar. */
const char *cc_node_map_str(const struct cc_node *map, const char *key);
/* Set map[key] = value (value owned by the map), replacing an existing value
 * in place. keypos may be NULL (the value's position is used). */
void cc_node_map_set(struct cc_node *map, const char *key, const struct cc_pos *keypos, struct cc_node *value);
/* Add key (which the map does not have yet: the caller looked) at the end. */
void cc_node_map_append(struct cc_node *map, const char *key, const struct cc_pos *keypos, struct cc_node *value);
/* The same with the key's node (a scalar: the map owns it from now on). */
void cc_node_map_add(struct cc_node *map, struct cc_node *key, struct cc_node *value);
/* Detach and return map[key] (NULL if missing). */
struct cc_node *cc_node_map_take(struct cc_node *map, const char *key);
void cc_node_map_del(struct cc_node *map, const char *key);
/* Sort a mapping's keys (strcmp order). */
void cc_node_map_sort(struct cc_node *map);
/* Sort a mapping's keys in the order of cmp (negative: a first). */
void cc_node_map_sort_with(struct cc_node *map, int (*cmp)(const char *a, const char *b));
/* Code that moves a map's keys and items itself (rather than through these
 * functions) calls this afterwards: the key index is dropped and rebuilt on
 * the next lookup. */
void cc_node_map_reordered(struct cc_node *map);

/* Equality by content, as compose-go compares values: nulls are equal,
 * scalars by type and text, sequences in order, mappings key by key in any
 * order. */
bool cc_node_equal(const struct cc_node *a, const struct cc_node *b);
/* A hash equal nodes share. */
uint64_t cc_node_hash(const struct cc_node *n);
/* Entries of a sequence found by content (cc_node_equal) through their
 * hash, so that deduplicating a list is linear. */
struct cc_node_set {
        const struct cc_node *seq;
        struct cc_hindex *index;
};
/* Add seq->items[i]. */
void cc_node_set_add(struct cc_node_set *s, size_t i);
/* Whether an entry added is equal to n. */
bool cc_node_set_has(const struct cc_node_set *s, const struct cc_node *n);
void cc_node_set_free(struct cc_node_set *s);

/* Parse one YAML document. Anchors, aliases and merge keys (<<) are
 * resolved; !reset / !override become flags. An empty document gives NULL.
 * Errors name file:line:col. */
int cc_yaml_parse(const char *data, size_t len, const char *file, struct cc_node **out, struct cc_error *err);
/* Every document of a stream (---), as a sequence of the documents that are
 * not empty (an empty or comment-only stream gives an empty sequence). */
int cc_yaml_parse_documents(const char *data, size_t len, const char *file, struct cc_node **docs,
                            struct cc_error *err);

/* Emit as docker compose config does: YAML with 2-space indents, or JSON
 * (indent > 0 pretty-prints with that many spaces). */
void cc_emit_yaml(struct cc_buf *b, const struct cc_node *n);
void cc_emit_json(struct cc_buf *b, const struct cc_node *n, int indent);

#endif
