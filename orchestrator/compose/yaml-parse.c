/* libyaml events -> struct cc_node tree, with anchors, aliases, merge keys
 * and the compose tags (!reset, !override). */
#include <errno.h>
#include <yaml.h>

#include "node.h"

#define CC_YAML_MAX_DEPTH 512
#define CC_YAML_MAX_NODES 2000000

struct cc_anchor {
        char *name;
        struct cc_node *node; /* NULL while the anchored node is being built */
};

struct cc_yaml_ctx {
        yaml_parser_t parser;
        unsigned file; /* cc_pos_intern() */
        struct cc_anchor *anchors;
        size_t n_anchors, cap_anchors;
        size_t n_nodes;
        struct cc_node *kept; /* merge keys and values, kept to the end: anchors may name them */
        struct cc_error *err;
};

static struct cc_pos cc__mark_pos(struct cc_yaml_ctx *c, yaml_mark_t m)
{
        return cc_pos_of(c->file, (unsigned long) m.line + 1, (unsigned long) m.column + 1);
}

static int cc__yerr(struct cc_yaml_ctx *c, yaml_mark_t m, const char *fmt, ...) CC_PRINTF(3, 4);
static int cc__yerr(struct cc_yaml_ctx *c, yaml_mark_t m, const char *fmt, ...)
{
        struct cc_pos p = cc__mark_pos(c, m);
        va_list ap;
        va_start(ap, fmt);
        int r = cc_pos_vfail(c->err, &p, fmt, ap);
        va_end(ap);
        return r;
}

static int cc__next(struct cc_yaml_ctx *c, yaml_event_t *ev)
{
        if (yaml_parser_parse(&c->parser, ev))
                return 0;
        yaml_mark_t m = c->parser.problem_mark;
        if (m.line == 0 && m.column == 0 && c->parser.context)
                m = c->parser.context_mark;
        const char *problem = c->parser.problem ? c->parser.problem : "invalid YAML";
        struct cc_pos p = cc__mark_pos(c, m);
        _cleanup_free_ char *where = cc_pos_str(&p);
        if (c->parser.context)
                return cc_error_set(c->err, -EINVAL, "%s: yaml: %s %s", where, problem, c->parser.context);
        return cc_error_set(c->err, -EINVAL, "%s: yaml: %s", where, problem);
}

static size_t cc__count(const struct cc_node *n)
{
        size_t t = 1;
        for (size_t i = 0; i < n->n; i++)
                t += cc__count(n->items[i]) + (n->keys ? 1 : 0);
        return t;
}

static int cc__apply_tag(struct cc_yaml_ctx *c, struct cc_node *n, const char *tag, yaml_mark_t m)
{
        if (!tag)
                return 0;
        if (strcmp(tag, "!reset") == 0) {
                n->flags |= CC_NODE_RESET;
                return 0;
        }
        if (strcmp(tag, "!override") == 0) {
                n->flags |= CC_NODE_OVERRIDE;
                return 0;
        }
        if (cc_startswith(tag, "tag:yaml.org,2002:")) {
                const char *t = tag + strlen("tag:yaml.org,2002:");
                if (n->kind == CC_NODE_SCALAR) {
                        if (strcmp(t, "str") == 0)
                                n->type = CC_STR, n->quoted = true;
                        else if (strcmp(t, "int") == 0 && cc_scalar_resolve(n->str) == CC_INT)
                                n->type = CC_INT;
                        else if (strcmp(t, "float") == 0 &&
                                 (cc_scalar_resolve(n->str) == CC_FLOAT || cc_scalar_resolve(n->str) == CC_INT))
                                n->type = CC_FLOAT;
                        else if (strcmp(t, "bool") == 0 && cc_scalar_resolve(n->str) == CC_BOOL)
                                n->type = CC_BOOL;
                        else if (strcmp(t, "null") == 0)
                                n->type = CC_NULL;
                        else
                                return cc__yerr(c, m, "yaml: cannot decode value as !!%s", t);
                        return 0;
                }
                if ((strcmp(t, "map") == 0 && n->kind == CC_NODE_MAP) ||
                    (strcmp(t, "seq") == 0 && n->kind == CC_NODE_SEQ))
                        return 0;
                return cc__yerr(c, m, "yaml: tag !!%s does not match the node", t);
        }
        return cc__yerr(c, m, "yaml: unsupported tag %s", tag);
}

static void cc__anchor_start(struct cc_yaml_ctx *c, const char *name)
{
        if (c->n_anchors == c->cap_anchors) {
                c->cap_anchors = c->cap_anchors ? c->cap_anchors * 2 : 8;
                c->anchors = cc_xrealloc(c->anchors, c->cap_anchors * sizeof(*c->anchors));
        }
        c->anchors[c->n_anchors++] = (struct cc_anchor){cc_xstrdup(name), NULL};
}

static void cc__anchor_done(struct cc_yaml_ctx *c, const char *name, struct cc_node *n)
{
        /* The newest anchor of that name is the one being defined. */
        for (size_t i = c->n_anchors; i-- > 0;)
                if (strcmp(c->anchors[i].name, name) == 0 && !c->anchors[i].node) {
                        c->anchors[i].node = n;
                        return;
                }
}

static int cc__parse_node(struct cc_yaml_ctx *c, yaml_event_t *ev, int depth, bool key, struct cc_node **out);

/* Merge key: copy every key of src not already in dst (explicit keys win). */
static void cc__merge_into(struct cc_node *dst, const struct cc_node *src)
{
        for (size_t i = 0; i < src->n; i++)
                if (cc_node_map_index(dst, src->keys[i]->str) < 0)
                        cc_node_map_append(dst, src->keys[i]->str, &src->keys[i]->pos, cc_node_copy(src->items[i]));
}

static int cc__parse_map(struct cc_yaml_ctx *c, yaml_event_t *start, int depth, struct cc_node **out)
{
        struct cc_pos pos = cc__mark_pos(c, start->start_mark);
        _cleanup_node_ struct cc_node *map = cc_node_new_map(&pos);
        _cleanup_node_ struct cc_node *merges = NULL; /* values of merge keys (<<), when there are any */
        int r;

        for (;;) {
                yaml_event_t kev;
                if ((r = cc__next(c, &kev)) < 0)
                        return r;
                if (kev.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&kev);
                        break;
                }
                bool is_merge = kev.type == YAML_SCALAR_EVENT &&
                                kev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                                strcmp((const char *) kev.data.scalar.value, "<<") == 0;
                yaml_mark_t km = kev.start_mark;
                _cleanup_node_ struct cc_node *key = NULL;
                r = cc__parse_node(c, &kev, depth + 1, true, &key);
                yaml_event_delete(&kev);
                if (r < 0)
                        return r;
                if (!key || key->kind != CC_NODE_SCALAR)
                        return cc__yerr(c, km, "yaml: mapping keys must be scalars");

                yaml_event_t vev;
                if ((r = cc__next(c, &vev)) < 0)
                        return r;
                yaml_mark_t vm = vev.start_mark;
                _cleanup_node_ struct cc_node *val = NULL;
                r = cc__parse_node(c, &vev, depth + 1, false, &val);
                yaml_event_delete(&vev);
                if (r < 0)
                        return r;

                if (is_merge) {
                        bool maps = cc_node_is_map(val) || cc_node_is_seq(val);
                        for (size_t i = 0; maps && cc_node_is_seq(val) && i < val->n; i++)
                                maps = cc_node_is_map(val->items[i]);
                        if (!maps)
                                return cc__yerr(c, vm, "yaml: map merge requires map or sequence of maps as the value");
                        if (!merges)
                                merges = cc_node_new_seq(&pos);
                        cc_node_seq_push(merges, cc_steal(&val));
                        cc_node_seq_push(c->kept, cc_steal(&key));
                        continue;
                }
                ssize_t prev = cc_node_map_index(map, key->str);
                if (prev >= 0) {
                        return cc__yerr(c, km, "yaml: mapping key \"%s\" already defined at line %u", key->str,
                                        map->keys[prev]->pos.line);
                }
                cc_node_map_add(map, cc_steal(&key), cc_steal(&val));
        }
        for (size_t i = 0; merges && i < merges->n; i++) {
                struct cc_node *m = merges->items[i];
                if (cc_node_is_map(m))
                        cc__merge_into(map, m);
                else
                        for (size_t j = 0; j < m->n; j++)
                                cc__merge_into(map, m->items[j]);
        }
        if (merges)
                cc_node_seq_push(c->kept, cc_steal(&merges));
        *out = cc_steal(&map);
        return 0;
}

static int cc__parse_seq(struct cc_yaml_ctx *c, yaml_event_t *start, int depth, struct cc_node **out)
{
        struct cc_pos pos = cc__mark_pos(c, start->start_mark);
        _cleanup_node_ struct cc_node *seq = cc_node_new_seq(&pos);
        int r;
        for (;;) {
                yaml_event_t ev;
                if ((r = cc__next(c, &ev)) < 0)
                        return r;
                if (ev.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&ev);
                        break;
                }
                struct cc_node *item = NULL;
                r = cc__parse_node(c, &ev, depth + 1, false, &item);
                yaml_event_delete(&ev);
                if (r < 0)
                        return r;
                cc_node_seq_push(seq, item);
        }
        *out = cc_steal(&seq);
        return 0;
}

/* key: the node is a mapping's key (a scalar one is made with cc_node_new_key) */
static int cc__parse_node(struct cc_yaml_ctx *c, yaml_event_t *ev, int depth, bool key, struct cc_node **out)
{
        int r;
        const char *anchor = NULL, *tag = NULL;

        if (depth > CC_YAML_MAX_DEPTH)
                return cc__yerr(c, ev->start_mark, "yaml: document nested too deeply");
        if (++c->n_nodes > CC_YAML_MAX_NODES)
                return cc__yerr(c, ev->start_mark, "yaml: document too large (aliases expand to too many nodes)");

        switch (ev->type) {
        case YAML_ALIAS_EVENT: {
                const char *name = (const char *) ev->data.alias.anchor;
                for (size_t i = c->n_anchors; i-- > 0;) {
                        if (strcmp(c->anchors[i].name, name) != 0)
                                continue;
                        if (!c->anchors[i].node)
                                return cc__yerr(c, ev->start_mark, "yaml: anchor '%s' value contains itself", name);
                        c->n_nodes += cc__count(c->anchors[i].node);
                        if (c->n_nodes > CC_YAML_MAX_NODES)
                                return cc__yerr(c, ev->start_mark, "yaml: document too large (aliases expand to too many nodes)");
                        struct cc_node *copy = cc_node_copy(c->anchors[i].node);
                        struct cc_pos p = cc__mark_pos(c, ev->start_mark);
                        copy->pos = p;
                        *out = copy;
                        return 0;
                }
                return cc__yerr(c, ev->start_mark, "yaml: unknown anchor '%s' referenced", name);
        }
        case YAML_SCALAR_EVENT: {
                anchor = (const char *) ev->data.scalar.anchor;
                tag = (const char *) ev->data.scalar.tag;
                struct cc_pos p = cc__mark_pos(c, ev->start_mark);
                const char *v = (const char *) ev->data.scalar.value;
                bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                if (memchr(v, '\0', ev->data.scalar.length))
                        return cc__yerr(c, ev->start_mark, "yaml: NUL character in scalar");
                enum cc_scalar_type type = plain ? cc_scalar_resolve(v) : CC_STR;
                struct cc_node *n = key ? cc_node_new_key(v, type, &p) : cc_node_new_scalar(v, type, &p);
                n->quoted = !plain;
                if (plain && tag && strcmp(tag, "!") == 0)
                        tag = NULL;
                if ((r = cc__apply_tag(c, n, tag, ev->start_mark)) < 0) {
                        cc_node_free(n);
                        return r;
                }
                if (anchor) {
                        cc__anchor_start(c, anchor);
                        cc__anchor_done(c, anchor, n);
                }
                *out = n;
                return 0;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
                bool is_map = ev->type == YAML_MAPPING_START_EVENT;
                anchor = (const char *) (is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
                tag = (const char *) (is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
                _cleanup_free_ char *anchor_copy = anchor ? cc_xstrdup(anchor) : NULL;
                if (anchor_copy)
                        cc__anchor_start(c, anchor_copy);
                struct cc_node *n = NULL;
                r = is_map ? cc__parse_map(c, ev, depth, &n) : cc__parse_seq(c, ev, depth, &n);
                if (r < 0)
                        return r;
                if ((r = cc__apply_tag(c, n, tag, ev->start_mark)) < 0) {
                        cc_node_free(n);
                        return r;
                }
                if (anchor_copy)
                        cc__anchor_done(c, anchor_copy, n);
                *out = n;
                return 0;
        }
        default:
                return cc__yerr(c, ev->start_mark, "yaml: unexpected event");
        }
}

static void cc__anchors_clear(struct cc_yaml_ctx *c)
{
        for (size_t i = 0; i < c->n_anchors; i++)
                free(c->anchors[i].name);
        c->n_anchors = 0;
}

/* The documents of a stream; *docs gets one node per document that is not
 * empty (a sequence when docs_seq, else the one document, and more than one
 * is an error). Anchors do not reach across documents. */
static int cc__parse_stream(const char *data, size_t len, const char *file, bool docs_seq, struct cc_node **out,
                            struct cc_error *err)
{
        struct cc_yaml_ctx c = {.file = cc_pos_intern(file), .kept = cc_node_new_seq(NULL), .err = err};
        struct cc_node *root = NULL;
        _cleanup_node_ struct cc_node *docs = docs_seq ? cc_node_new_seq(NULL) : NULL;
        int r = 0;
        bool done = false, got_doc = false;

        *out = NULL;
        if (!yaml_parser_initialize(&c.parser))
                return cc_error_set(err, -ENOMEM, "%s: cannot initialise YAML parser", file);
        yaml_parser_set_input_string(&c.parser, (const unsigned char *) data, len);

        while (!done) {
                yaml_event_t ev;
                if ((r = cc__next(&c, &ev)) < 0)
                        break;
                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_DOCUMENT_START_EVENT:
                        if (got_doc && !docs_seq) {
                                r = cc__yerr(&c, ev.start_mark, "yaml: multiple documents in one compose file are not supported");
                                done = true;
                        }
                        got_doc = true;
                        break;
                case YAML_DOCUMENT_END_EVENT:
                        if (docs_seq && root && !(root->kind == CC_NODE_SCALAR && root->type == CC_NULL))
                                cc_node_seq_push(docs, root);
                        else if (docs_seq)
                                cc_node_free(root);
                        if (docs_seq) {
                                root = NULL;
                                cc__anchors_clear(&c);
                        }
                        break;
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                case YAML_SCALAR_EVENT:
                case YAML_ALIAS_EVENT:
                        r = cc__parse_node(&c, &ev, 0, false, &root);
                        if (r < 0)
                                done = true;
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }
        cc__anchors_clear(&c);
        free(c.anchors);
        cc_node_free(c.kept);
        yaml_parser_delete(&c.parser);
        if (r < 0) {
                cc_node_free(root);
                return r;
        }
        if (docs_seq) {
                *out = cc_steal(&docs);
                return 0;
        }
        if (root && root->kind == CC_NODE_SCALAR && root->type == CC_NULL) {
                cc_node_free(root);
                root = NULL;
        }
        *out = root;
        return 0;
}

int cc_yaml_parse(const char *data, size_t len, const char *file, struct cc_node **out, struct cc_error *err)
{
        return cc__parse_stream(data, len, file, false, out, err);
}

int cc_yaml_parse_documents(const char *data, size_t len, const char *file, struct cc_node **docs,
                            struct cc_error *err)
{
        return cc__parse_stream(data, len, file, true, docs, err);
}
