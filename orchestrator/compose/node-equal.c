/* Comparing nodes by content, and finding equal ones by hash (see node.h). */
#include <stdint.h>
#include <stdlib.h>

#include "hindex.h"
#include "node.h"

bool cc_node_equal(const struct cc_node *a, const struct cc_node *b)
{
        if (cc_node_is_null(a) || cc_node_is_null(b))
                return cc_node_is_null(a) && cc_node_is_null(b);
        if (a->kind != b->kind || a->n != b->n)
                return false;
        switch (a->kind) {
        case CC_NODE_SCALAR:
                return a->type == b->type && strcmp(a->str, b->str) == 0;
        case CC_NODE_SEQ:
                for (size_t i = 0; i < a->n; i++)
                        if (!cc_node_equal(a->items[i], b->items[i]))
                                return false;
                return true;
        case CC_NODE_MAP:
                for (size_t i = 0; i < a->n; i++) {
                        ssize_t j = cc_node_map_index(b, cc_node_key(a, i));
                        if (j < 0 || !cc_node_equal(a->items[i], b->items[j]))
                                return false;
                }
                return true;
        }
        return false;
}

/* Mapping entries are combined in any order, as cc_node_equal compares them. */
uint64_t cc_node_hash(const struct cc_node *n)
{
        if (cc_node_is_null(n))
                return 0x6e756c6cULL;
        uint64_t h = cc_hindex_mix((uint64_t) n->kind, n->n);
        switch (n->kind) {
        case CC_NODE_SCALAR:
                return cc_hindex_mix(h + (uint64_t) n->type, cc_hindex_hash(n->str));
        case CC_NODE_SEQ:
                for (size_t i = 0; i < n->n; i++)
                        h = cc_hindex_mix(h, cc_node_hash(n->items[i]));
                return h;
        case CC_NODE_MAP: {
                uint64_t sum = 0;
                for (size_t i = 0; i < n->n; i++)
                        sum += cc_hindex_mix(cc_hindex_hash(cc_node_key(n, i)), cc_node_hash(n->items[i]));
                return cc_hindex_mix(h, sum);
        }
        }
        return h;
}

void cc_node_set_add(struct cc_node_set *s, size_t i)
{
        if (!s->index)
                s->index = cc_xcalloc(1, sizeof(*s->index));
        cc_hindex_add_hashed(s->index, cc_node_hash(s->seq->items[i]), i);
}

bool cc_node_set_has(const struct cc_node_set *s, const struct cc_node *n)
{
        if (!s->index)
                return false;
        uint64_t h = cc_node_hash(n);
        size_t cursor = 0;
        for (ssize_t i; (i = cc_hindex_next(s->index, h, &cursor)) >= 0;)
                if (cc_node_equal(s->seq->items[i], n))
                        return true;
        return false;
}

void cc_node_set_free(struct cc_node_set *s)
{
        if (!s->index)
                return;
        cc_hindex_free(s->index);
        free(s->index);
        s->index = NULL;
}
