#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "hindex.h"
#include "node.h"

/* File names are interned once and live as long as the process: positions
 * are copied freely between nodes and files. */
static struct cc_strv cc__interned;

const char *cc_pos_intern(const char *file)
{
        if (!file)
                return NULL;
        for (size_t i = 0; i < cc__interned.n; i++)
                if (strcmp(cc__interned.v[i], file) == 0)
                        return cc__interned.v[i];
        cc_strv_push(&cc__interned, file);
        return cc__interned.v[cc__interned.n - 1];
}

char *cc_pos_str(const struct cc_pos *pos)
{
        const char *f = pos && pos->file ? pos->file : "<input>";
        if (!pos || pos->line == 0)
                return cc_xstrdup(f);
        return cc_xasprintf("%s:%u:%u", f, pos->line, pos->col);
}

/* A node; with s, a scalar whose text is stored right after the node, in
 * the same allocation (one allocation per scalar instead of two). */
static struct cc_node *cc__node_alloc(enum cc_node_kind kind, const struct cc_pos *pos, const char *s)
{
        size_t len = s ? strlen(s) + 1 : 0;
        struct cc_node *n = cc_xcalloc(1, sizeof(*n) + len);
        n->kind = kind;
        if (pos)
                n->pos = *pos;
        if (s) {
                n->str = (char *) (n + 1);
                memcpy(n->str, s, len);
                n->str_inline = true;
        }
        return n;
}

static struct cc_node *cc__node_new(enum cc_node_kind kind, const struct cc_pos *pos)
{
        return cc__node_alloc(kind, pos, NULL);
}

struct cc_node *cc_node_new_scalar(const char *s, enum cc_scalar_type type, const struct cc_pos *pos)
{
        struct cc_node *n = cc__node_alloc(CC_NODE_SCALAR, pos, s ? s : "");
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

struct cc_node *cc_node_new_bool(bool v, const struct cc_pos *pos)
{
        return cc_node_new_scalar(v ? "true" : "false", CC_BOOL, pos);
}

struct cc_node *cc_node_new_null(const struct cc_pos *pos)
{
        return cc_node_new_scalar("null", CC_NULL, pos);
}

struct cc_node *cc_node_new_seq(const struct cc_pos *pos)
{
        return cc__node_new(CC_NODE_SEQ, pos);
}

struct cc_node *cc_node_new_map(const struct cc_pos *pos)
{
        return cc__node_new(CC_NODE_MAP, pos);
}

struct cc_node *cc_node_copy(const struct cc_node *n)
{
        if (!n)
                return NULL;
        struct cc_node *c = cc__node_alloc(n->kind, &n->pos, n->str);
        c->type = n->type;
        c->quoted = n->quoted;
        c->flags = n->flags;
        if (n->n) {
                c->cap = n->n;
                c->n = n->n;
                c->items = cc_xcalloc(n->n, sizeof(*c->items));
                if (n->kind == CC_NODE_MAP)
                        c->keys = cc_xcalloc(n->n, sizeof(*c->keys));
                for (size_t i = 0; i < n->n; i++) {
                        c->items[i] = cc_node_copy(n->items[i]);
                        if (n->kind == CC_NODE_MAP)
                                c->keys[i] = cc_node_copy(n->keys[i]);
                }
        }
        return c;
}

void cc_node_free(struct cc_node *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++) {
                cc_node_free(n->items[i]);
                if (n->keys)
                        cc_node_free(n->keys[i]);
        }
        free(n->items);
        free(n->keys);
        if (!n->str_inline)
                free(n->str);
        cc_node_map_reordered(n);
        free(n);
}

void cc_node_map_reordered(struct cc_node *map)
{
        if (!map->index)
                return;
        cc_hindex_free(map->index);
        free(map->index);
        map->index = NULL;
}

void cc_node_set_scalar(struct cc_node *n, const char *s, enum cc_scalar_type type)
{
        char *dup = cc_xstrdup(s);
        if (!n->str_inline)
                free(n->str);
        n->str = dup;
        n->str_inline = false;
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
        for (size_t i = 0; i < CC_ARRAY_SIZE(special); i++)
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
        if (n->n < n->cap)
                return;
        n->cap = n->cap ? n->cap * 2 : 4;
        n->items = cc_xrealloc(n->items, n->cap * sizeof(*n->items));
        if (n->kind == CC_NODE_MAP)
                n->keys = cc_xrealloc(n->keys, n->cap * sizeof(*n->keys));
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

ssize_t cc_node_map_index(const struct cc_node *map, const char *key)
{
        if (!map || map->kind != CC_NODE_MAP)
                return -1;
        if (map->n <= CC_NODE_INDEX_MIN && !map->index) {
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
        if (!map->index) {
                /* the index is a cache: building it does not change the map */
                struct cc_node *m = (struct cc_node *) map;
                m->index = cc_xcalloc(1, sizeof(*m->index));
                cc_hindex_build(m->index, m->n, cc__map_key_at, m);
        }
        return cc_hindex_find(map->index, key, cc__map_key_at, map);
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
        cc__node_grow(map);
        map->keys[map->n] = cc_node_new_str(key, keypos ? keypos : value ? &value->pos : NULL);
        map->items[map->n] = value;
        if (map->index)
                cc_hindex_add(map->index, key, map->n);
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

static int cc__map_entry_cmp(const void *a, const void *b)
{
        return strcmp(((const struct cc__map_entry *) a)->key->str, ((const struct cc__map_entry *) b)->key->str);
}

void cc_node_map_sort(struct cc_node *map)
{
        /* keys are unique: any sort gives the one order */
        if (map->n < 2)
                return;
        struct cc__map_entry *e = cc_xcalloc(map->n, sizeof(*e));
        for (size_t i = 0; i < map->n; i++)
                e[i] = (struct cc__map_entry){map->keys[i], map->items[i]};
        qsort(e, map->n, sizeof(*e), cc__map_entry_cmp);
        for (size_t i = 0; i < map->n; i++) {
                map->keys[i] = e[i].key;
                map->items[i] = e[i].value;
        }
        free(e);
        cc_node_map_reordered(map);
}
