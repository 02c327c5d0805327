/* Merging compose files as docker compose does (compose-go override/merge.go
 * for the merge rules, override/uncity.go for the duplicate removal that
 * follows every merge, loader/reset.go for the !reset and !override tags).
 *
 * The rules are chosen by the path of a value in the project, with "*" for
 * any one key: "services.*.logging" is the logging of every service. Mappings
 * merge key by key, scalars are replaced, sequences are appended. Every rule
 * that differs from that is in merge_rules[]; the sequences that are made
 * unique by a key afterwards are in unique_rules[]. */
#include <errno.h>
#include <stdio.h>

#include "hindex.h"
#include "merge.h"

#define MERGE_MAX_DEPTH 32

/* The path of the value being merged, one key per segment. */
struct mpath {
        const char *seg[MERGE_MAX_DEPTH];
        size_t depth; /* may exceed MERGE_MAX_DEPTH: then no rule matches */
        size_t shown; /* messages show the path from this segment on */
        bool move;    /* the override is the caller's to consume: its values are
                       * moved into the result rather than copied */
};

enum merge_rule {
        MR_DEFAULT,
        MR_REPLACE,     /* command, entrypoint, healthcheck.test */
        MR_KEY_VALUE,   /* environment, labels, ...: override entries replace by key */
        MR_SEQUENCE,    /* dns, tmpfs, env_file, ...: a scalar is a one-entry list */
        MR_EXTRA_HOSTS, /* appended, entries already in base dropped */
        MR_DEPENDS_ON,  /* list -> map with the long-form defaults, then by key */
        MR_TO_MAP,      /* networks, models: list -> map of nulls, then by key */
        MR_LOGGING,     /* options merged only for the same driver */
        MR_BUILD,       /* a string is {context: string} */
        MR_ULIMIT,      /* both long form: by key; else replaced */
        MR_IPAM_CONFIG, /* by subnet */
};

static const struct {
        const char *pattern;
        enum merge_rule rule;
} merge_rules[] = {
        {"networks.*.ipam.config", MR_IPAM_CONFIG},
        {"networks.*.labels", MR_KEY_VALUE},
        {"volumes.*.labels", MR_KEY_VALUE},
        {"services.*.annotations", MR_KEY_VALUE},
        {"services.*.build", MR_BUILD},
        {"services.*.build.args", MR_KEY_VALUE},
        {"services.*.build.additional_contexts", MR_KEY_VALUE},
        {"services.*.build.extra_hosts", MR_EXTRA_HOSTS},
        {"services.*.build.labels", MR_KEY_VALUE},
        {"services.*.command", MR_REPLACE},
        {"services.*.depends_on", MR_DEPENDS_ON},
        {"services.*.deploy.labels", MR_KEY_VALUE},
        {"services.*.dns", MR_SEQUENCE},
        {"services.*.dns_opt", MR_SEQUENCE},
        {"services.*.dns_search", MR_SEQUENCE},
        {"services.*.entrypoint", MR_REPLACE},
        {"services.*.env_file", MR_SEQUENCE},
        {"services.*.label_file", MR_SEQUENCE},
        {"services.*.environment", MR_KEY_VALUE},
        {"services.*.extra_hosts", MR_EXTRA_HOSTS},
        {"services.*.healthcheck.test", MR_REPLACE},
        {"services.*.labels", MR_KEY_VALUE},
        {"services.*.logging", MR_LOGGING},
        {"services.*.models", MR_TO_MAP},
        {"services.*.networks", MR_TO_MAP},
        {"services.*.sysctls", MR_KEY_VALUE},
        {"services.*.tmpfs", MR_SEQUENCE},
        {"services.*.ulimits.*", MR_ULIMIT},
};

enum unique_rule {
        UR_NONE,
        UR_KEY_VALUE, /* the text before "=" (all of it when there is none) */
        UR_ENV_FILE,  /* path */
        UR_EXPOSE,    /* the port as text */
        UR_PORT,      /* host_ip:published:target/protocol */
        UR_SECRET,    /* target, default /run/secrets/<source> */
        UR_CONFIG,    /* target, default /<source> */
        UR_VOLUME,    /* target */
        UR_DEVICE,    /* target (container path) */
};

static const struct {
        const char *pattern;
        enum unique_rule rule;
} unique_rules[] = {
        {"networks.*.labels", UR_KEY_VALUE},
        {"services.*.annotations", UR_KEY_VALUE},
        {"services.*.build.args", UR_KEY_VALUE},
        {"services.*.build.additional_contexts", UR_KEY_VALUE},
        {"services.*.build.tags", UR_KEY_VALUE},
        {"services.*.build.labels", UR_KEY_VALUE},
        {"services.*.cap_add", UR_KEY_VALUE},
        {"services.*.cap_drop", UR_KEY_VALUE},
        {"services.*.configs", UR_CONFIG},
        {"services.*.deploy.labels", UR_KEY_VALUE},
        {"services.*.devices", UR_DEVICE},
        {"services.*.dns", UR_KEY_VALUE},
        {"services.*.dns_opt", UR_KEY_VALUE},
        {"services.*.dns_search", UR_KEY_VALUE},
        {"services.*.environment", UR_KEY_VALUE},
        {"services.*.env_file", UR_ENV_FILE},
        {"services.*.expose", UR_EXPOSE},
        {"services.*.labels", UR_KEY_VALUE},
        {"services.*.links", UR_KEY_VALUE},
        {"services.*.networks.*.aliases", UR_KEY_VALUE},
        {"services.*.networks.*.link_local_ips", UR_KEY_VALUE},
        {"services.*.ports", UR_PORT},
        {"services.*.profiles", UR_KEY_VALUE},
        {"services.*.secrets", UR_SECRET},
        {"services.*.sysctls", UR_KEY_VALUE},
        {"services.*.tmpfs", UR_KEY_VALUE},
        {"services.*.volumes", UR_VOLUME},
};

static void path_push(struct mpath *p, const char *seg)
{
        if (p->depth < MERGE_MAX_DEPTH)
                p->seg[p->depth] = seg;
        p->depth++;
}

static void path_pop(struct mpath *p)
{
        p->depth--;
}

static bool path_matches(const struct mpath *p, const char *pattern)
{
        size_t i = 0;
        const char *s = pattern;

        if (p->depth > MERGE_MAX_DEPTH || p->depth == 0)
                return false;
        /* the last segment first: it tells most patterns apart at once
         * (this runs for every list of every service) */
        const char *last = strrchr(pattern, '.'), *seg = p->seg[p->depth - 1];
        last = last ? last + 1 : pattern;
        if (strcmp(last, "*") != 0 && (last[0] != seg[0] || strcmp(last, seg) != 0))
                return false;
        for (;;) {
                const char *dot = strchr(s, '.');
                size_t len = dot ? (size_t) (dot - s) : strlen(s);
                if (i >= p->depth)
                        return false;
                if (!(len == 1 && s[0] == '*') &&
                    (strlen(p->seg[i]) != len || strncmp(p->seg[i], s, len) != 0))
                        return false;
                i++;
                if (!dot)
                        break;
                s = dot + 1;
        }
        return i == p->depth;
}

/* "services.web.ports", for messages. Caller frees. */
static char *path_str(const struct mpath *p)
{
        struct cc_buf b = {0};
        size_t n = p->depth < MERGE_MAX_DEPTH ? p->depth : MERGE_MAX_DEPTH;

        for (size_t i = p->shown; i < n; i++) {
                if (i > p->shown)
                        cc_buf_putc(&b, '.');
                cc_buf_puts(&b, p->seg[i]);
        }
        return cc_buf_steal(&b);
}

static enum merge_rule find_merge_rule(const struct mpath *p)
{
        for (size_t i = 0; i < CC_ARRAY_SIZE(merge_rules); i++)
                if (path_matches(p, merge_rules[i].pattern))
                        return merge_rules[i].rule;
        return MR_DEFAULT;
}

static enum unique_rule find_unique_rule(const struct mpath *p)
{
        for (size_t i = 0; i < CC_ARRAY_SIZE(unique_rules); i++)
                if (path_matches(p, unique_rules[i].pattern))
                        return unique_rules[i].rule;
        return UR_NONE;
}

/* Drop the entries tagged !reset, in one pass (a take per entry would be
 * quadratic in a long list). */
static void strip_reset(struct cc_node *n, bool clear_flags)
{
        size_t kept = 0;

        if (!n)
                return;
        if (clear_flags)
                n->flags = 0;
        for (size_t i = 0; i < n->n; i++) {
                if (n->items[i]->flags & CC_NODE_RESET) {
                        cc_node_free(n->items[i]);
                        if (n->keys)
                                cc_node_free(n->keys[i]);
                        continue;
                }
                strip_reset(n->items[i], clear_flags);
                n->items[kept] = n->items[i];
                if (n->keys)
                        n->keys[kept] = n->keys[i];
                kept++;
        }
        if (kept != n->n) {
                n->n = kept;
                if (n->kind == CC_NODE_MAP)
                        cc_node_map_reordered(n);
        }
}

void cc_merge_strip_reset(struct cc_node *n)
{
        strip_reset(n, false);
}

/* A copy of an override value for the result: !reset entries inside it
 * dropped (they have nothing to remove), tags cleared. When the override
 * is consumed (p->move, cc_merge_project), the value's content is moved
 * instead: the override keeps an empty shell. */
static struct cc_node *clean_copy(const struct cc_node *n, const struct mpath *p)
{
        struct cc_node *c = p->move ? cc_node_move((struct cc_node *) n) : cc_node_copy(n);
        strip_reset(c, true);
        return c;
}

static void replace(struct cc_node **slot, const struct cc_node *o, const struct mpath *p)
{
        struct cc_node *c = clean_copy(o, p);
        cc_node_free(*slot);
        *slot = c;
}

static int cannot_override(const struct cc_node *o, const struct mpath *p, struct cc_error *err)
{
        _cleanup_free_ char *where = cc_pos_str(&o->pos);
        _cleanup_free_ char *path = path_str(p);
        return cc_error_set(err, -EINVAL, "%s: cannot override %s", where, path);
}

/* "KEY=VALUE" entries of a list -> mapping (KEY alone maps to null). */
static struct cc_node *key_value_map(const struct cc_node *seq)
{
        struct cc_node *m = cc_node_new_map(&seq->pos);

        for (size_t i = 0; i < seq->n; i++) {
                const struct cc_node *it = seq->items[i];
                if (!cc_node_is_scalar(it) || (it->flags & CC_NODE_RESET))
                        continue;
                const char *eq = strchr(it->str, '=');
                if (!eq) {
                        cc_node_map_set(m, it->str, &it->pos, cc_node_new_null(&it->pos));
                        continue;
                }
                _cleanup_free_ char *k = cc_xstrndup(it->str, (size_t) (eq - it->str));
                cc_node_map_set(m, k, &it->pos, cc_node_new_str(eq + 1, &it->pos));
        }
        return m;
}

/* A list of names -> mapping name: defaults (a copy each) or name: null. */
static struct cc_node *names_map(const struct cc_node *seq, const struct cc_node *defaults)
{
        struct cc_node *m = cc_node_new_map(&seq->pos);

        for (size_t i = 0; i < seq->n; i++) {
                const struct cc_node *it = seq->items[i];
                if (!cc_node_is_scalar(it) || (it->flags & CC_NODE_RESET))
                        continue;
                cc_node_map_set(m, it->str, &it->pos,
                                defaults ? cc_node_copy(defaults) : cc_node_new_null(&it->pos));
        }
        return m;
}

static int key_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* A value of a list-or-mapping key as a list: a scalar is a one-entry list,
 * a mapping "key=value" entries sorted (convertIntoSequence). NULL for null. */
static struct cc_node *as_sequence(const struct cc_node *n)
{
        if (cc_node_is_null(n))
                return NULL;
        if (cc_node_is_seq(n))
                return cc_node_copy(n);
        struct cc_node *s = cc_node_new_seq(&n->pos);
        if (cc_node_is_scalar(n)) {
                cc_node_seq_push(s, cc_node_copy(n));
                return s;
        }
        struct cc_strv entries = {0};
        for (size_t i = 0; i < n->n; i++) {
                const struct cc_node *v = n->items[i];
                if (v->flags & CC_NODE_RESET)
                        continue;
                if (cc_node_is_null(v))
                        cc_strv_push(&entries, cc_node_key(n, i));
                else if (cc_node_is_seq(v))
                        for (size_t j = 0; j < v->n; j++)
                                cc_strv_push_owned(&entries, cc_xasprintf("%s=%s", cc_node_key(n, i),
                                                                          v->items[j]->str ? v->items[j]->str : ""));
                else
                        cc_strv_push_owned(&entries, cc_xasprintf("%s=%s", cc_node_key(n, i), v->str ? v->str : ""));
        }
        if (entries.n)
                qsort(entries.v, entries.n, sizeof(*entries.v), key_cmp);
        for (size_t i = 0; i < entries.n; i++)
                cc_node_seq_push(s, cc_node_new_str(entries.v[i], &n->pos));
        cc_strv_free(&entries);
        return s;
}

static int merge_value(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err);

/* Merge mapping o into mapping b. deep: values merge by the rules of their
 * path; otherwise an override value replaces the base value whole. */
/* Remove from b the keys o resets (!reset), in one pass. */
static void drop_reset_keys(struct cc_node *b, const struct cc_node *o)
{
        size_t kept = 0;

        for (size_t i = 0; i < b->n; i++) {
                const struct cc_node *ov = cc_node_map_get(o, cc_node_key(b, i));
                if (ov && (ov->flags & CC_NODE_RESET)) {
                        cc_node_free(b->items[i]);
                        cc_node_free(b->keys[i]);
                        continue;
                }
                b->items[kept] = b->items[i];
                b->keys[kept++] = b->keys[i];
        }
        if (kept != b->n) {
                b->n = kept;
                cc_node_map_reordered(b);
        }
}

static int merge_map(struct cc_node *b, const struct cc_node *o, struct mpath *p, bool deep, struct cc_error *err)
{
        drop_reset_keys(b, o);
        for (size_t i = 0; i < o->n; i++) {
                const char *key = cc_node_key(o, i);
                const struct cc_node *ov = o->items[i];
                int r;

                if (ov->flags & CC_NODE_RESET)
                        continue;
                ssize_t j = cc_node_map_index(b, key);
                if (j < 0) {
                        cc_node_map_set(b, key, &o->keys[i]->pos, clean_copy(ov, p));
                        continue;
                }
                if (!deep || (ov->flags & CC_NODE_OVERRIDE)) {
                        replace(&b->items[j], ov, p);
                        continue;
                }
                path_push(p, key);
                r = merge_value(&b->items[j], ov, p, err);
                path_pop(p);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Append the entries of o to b. Unless the list is made unique by a key
 * afterwards, an entry identical to one already there is not added again
 * (merging the same override twice changes nothing). */
static void append_seq(struct cc_node *b, const struct cc_node *o, bool keep_identical, const struct mpath *p)
{
        struct cc_node_set known = {.seq = b};

        for (size_t j = 0; !keep_identical && j < b->n; j++)
                cc_node_set_add(&known, j);
        for (size_t i = 0; i < o->n; i++) {
                const struct cc_node *it = o->items[i];

                if (it->flags & CC_NODE_RESET)
                        continue;
                if (!keep_identical && cc_node_set_has(&known, it))
                        continue;
                cc_node_seq_push(b, clean_copy(it, p));
                if (!keep_identical)
                        cc_node_set_add(&known, b->n - 1);
        }
        cc_node_set_free(&known);
}

static int merge_key_value(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err)
{
        if (cc_node_is_null(o))
                return 0;
        if (cc_node_is_null(*slot) || cc_node_is_scalar(*slot)) {
                replace(slot, o, p);
                if (cc_node_is_seq(*slot)) {
                        struct cc_node *m = key_value_map(*slot);
                        cc_node_free(*slot);
                        *slot = m;
                }
                return 0;
        }
        if (cc_node_is_seq(*slot)) {
                struct cc_node *m = key_value_map(*slot);
                cc_node_free(*slot);
                *slot = m;
        }
        if (cc_node_is_map(o))
                return merge_map(*slot, o, p, false, err);
        if (!cc_node_is_seq(o))
                return cannot_override(o, p, err);
        _cleanup_node_ struct cc_node *om = key_value_map(o);
        return merge_map(*slot, om, p, false, err);
}

static void merge_sequence(struct cc_node **slot, const struct cc_node *o, bool drop_known, const struct mpath *p)
{
        struct cc_node *b = as_sequence(*slot);
        _cleanup_node_ struct cc_node *os = as_sequence(o);

        if (!b)
                b = cc_node_new_seq(os ? &os->pos : NULL);
        if (os) {
                /* drop_known: leave out what the base list has already */
                struct cc_node_set base = {.seq = b};
                for (size_t j = 0; drop_known && j < b->n; j++)
                        cc_node_set_add(&base, j);
                for (size_t i = 0; i < os->n; i++) {
                        const struct cc_node *it = os->items[i];
                        if (it->flags & CC_NODE_RESET)
                                continue;
                        if (!drop_known || !cc_node_set_has(&base, it))
                                cc_node_seq_push(b, clean_copy(it, p));
                }
                cc_node_set_free(&base);
        }
        cc_node_free(*slot);
        *slot = b;
}

static int merge_to_map(struct cc_node **slot, const struct cc_node *o, struct mpath *p, const struct cc_node *defaults,
                        struct cc_error *err)
{
        if (cc_node_is_null(o))
                return 0;
        if (cc_node_is_seq(*slot)) {
                struct cc_node *m = names_map(*slot, defaults);
                cc_node_free(*slot);
                *slot = m;
        }
        if (!cc_node_is_map(*slot)) {
                replace(slot, o, p);
                if (cc_node_is_seq(*slot)) {
                        struct cc_node *m = names_map(*slot, defaults);
                        cc_node_free(*slot);
                        *slot = m;
                }
                return 0;
        }
        if (cc_node_is_map(o))
                return merge_map(*slot, o, p, true, err);
        if (!cc_node_is_seq(o))
                return cannot_override(o, p, err);
        _cleanup_node_ struct cc_node *om = names_map(o, defaults);
        return merge_map(*slot, om, p, true, err);
}

static int merge_depends_on(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err)
{
        _cleanup_node_ struct cc_node *defaults = cc_node_new_map(&o->pos);
        cc_node_map_set(defaults, "condition", NULL, cc_node_new_str("service_started", &o->pos));
        cc_node_map_set(defaults, "required", NULL, cc_node_new_bool(true, &o->pos));
        return merge_to_map(slot, o, p, defaults, err);
}

static int merge_logging(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err)
{
        if (!cc_node_is_map(*slot)) {
                replace(slot, o, p);
                return 0;
        }
        if (!cc_node_is_map(o))
                return 0;
        struct cc_node *bd = cc_node_map_get(*slot, "driver");
        struct cc_node *od = cc_node_map_get(o, "driver");
        if (bd && od && !cc_node_equal(bd, od)) {
                replace(slot, o, p);
                return 0;
        }
        return merge_map(*slot, o, p, true, err);
}

/* build: "dir" is {context: "dir"}. */
static struct cc_node *build_map(const struct cc_node *n)
{
        struct cc_node *m = cc_node_new_map(&n->pos);
        cc_node_map_set(m, "context", &n->pos, cc_node_copy(n));
        return m;
}

static int merge_build(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err)
{
        if (cc_node_is_null(o))
                return 0;
        if (cc_node_is_scalar(*slot) && !cc_node_is_null(*slot)) {
                struct cc_node *m = build_map(*slot);
                cc_node_free(*slot);
                *slot = m;
        }
        if (!cc_node_is_map(*slot)) {
                replace(slot, o, p);
                return 0;
        }
        if (cc_node_is_map(o))
                return merge_map(*slot, o, p, true, err);
        if (!cc_node_is_scalar(o))
                return cannot_override(o, p, err);
        _cleanup_node_ struct cc_node *om = build_map(o);
        return merge_map(*slot, om, p, true, err);
}

static bool same_subnet(const struct cc_node *a, const struct cc_node *b)
{
        struct cc_node *sa = cc_node_is_map(a) ? cc_node_map_get(a, "subnet") : NULL;
        struct cc_node *sb = cc_node_is_map(b) ? cc_node_map_get(b, "subnet") : NULL;
        return cc_node_equal(sa, sb);
}

static ssize_t find_subnet(const struct cc_node *seq, const struct cc_node *like)
{
        for (size_t i = 0; i < seq->n; i++)
                if (same_subnet(seq->items[i], like))
                        return (ssize_t) i;
        return -1;
}

/* ipam.config: entries with the same subnet merge; an override entry for
 * another subnet is taken as is; a base entry no override entry names is
 * dropped (compose-go mergeIPAMConfig). */
static int merge_ipam_config(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err)
{
        if (cc_node_is_null(o))
                return 0;
        if (!cc_node_is_seq(*slot) || !cc_node_is_seq(o))
                return cannot_override(o, p, err);
        if ((*slot)->n == 0) {
                replace(slot, o, p);
                return 0;
        }
        _cleanup_node_ struct cc_node *res = cc_node_new_seq(&(*slot)->pos);
        for (size_t i = 0; i < (*slot)->n; i++) {
                struct cc_node *orig = (*slot)->items[i];
                for (size_t j = 0; j < o->n; j++) {
                        const struct cc_node *ov = o->items[j];
                        if (ov->flags & CC_NODE_RESET)
                                continue;
                        if (!same_subnet(orig, ov)) {
                                if (find_subnet(res, ov) < 0)
                                        cc_node_seq_push(res, clean_copy(ov, p));
                                continue;
                        }
                        int r = cc_node_is_map(orig) && cc_node_is_map(ov) ? merge_map(orig, ov, p, true, err) : 0;
                        if (r < 0)
                                return r;
                        ssize_t k = find_subnet(res, orig);
                        if (k >= 0) {
                                cc_node_free(res->items[k]);
                                res->items[k] = cc_node_copy(orig);
                        } else {
                                cc_node_seq_push(res, cc_node_copy(orig));
                        }
                }
        }
        cc_node_free(*slot);
        *slot = cc_steal(&res);
        return 0;
}

static int merge_default(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err)
{
        struct cc_node *b = *slot;

        if (cc_node_is_null(o))
                return 0;
        if (cc_node_is_map(b)) {
                if (!cc_node_is_map(o))
                        return cannot_override(o, p, err);
                return merge_map(b, o, p, true, err);
        }
        if (cc_node_is_seq(b)) {
                if (!cc_node_is_seq(o))
                        return cannot_override(o, p, err);
                append_seq(b, o, find_unique_rule(p) != UR_NONE, p);
                return 0;
        }
        replace(slot, o, p);
        return 0;
}

static int merge_value(struct cc_node **slot, const struct cc_node *o, struct mpath *p, struct cc_error *err)
{
        switch (find_merge_rule(p)) {
        case MR_REPLACE:
                replace(slot, o, p);
                return 0;
        case MR_KEY_VALUE:
                return merge_key_value(slot, o, p, err);
        case MR_SEQUENCE:
                merge_sequence(slot, o, false, p);
                return 0;
        case MR_EXTRA_HOSTS:
                merge_sequence(slot, o, true, p);
                return 0;
        case MR_DEPENDS_ON:
                return merge_depends_on(slot, o, p, err);
        case MR_TO_MAP:
                return merge_to_map(slot, o, p, NULL, err);
        case MR_LOGGING:
                return merge_logging(slot, o, p, err);
        case MR_BUILD:
                return merge_build(slot, o, p, err);
        case MR_ULIMIT:
                if (cc_node_is_map(*slot) && cc_node_is_map(o))
                        return merge_map(*slot, o, p, true, err);
                replace(slot, o, p);
                return 0;
        case MR_IPAM_CONFIG:
                return merge_ipam_config(slot, o, p, err);
        case MR_DEFAULT:
                break;
        }
        return merge_default(slot, o, p, err);
}

/* The key a list entry is made unique by; NULL (and *r < 0) on error. */
static char *unique_key(enum unique_rule rule, const struct cc_node *it, const struct mpath *p, int *r,
                        struct cc_error *err)
{
        const char *what = NULL;

        *r = 0;
        switch (rule) {
        case UR_NONE:
                return NULL;
        case UR_KEY_VALUE:
        case UR_EXPOSE:
                if (!cc_node_is_scalar(it))
                        break;
                if (rule == UR_KEY_VALUE && strchr(it->str, '='))
                        return cc_xstrndup(it->str, (size_t) (strchr(it->str, '=') - it->str));
                return cc_xstrdup(it->str);
        case UR_ENV_FILE:
                if (cc_node_is_scalar(it))
                        return cc_xstrdup(it->str);
                if (cc_node_is_map(it) && cc_node_map_str(it, "path"))
                        return cc_xstrdup(cc_node_map_str(it, "path"));
                what = "env_file entry is missing a path";
                break;
        case UR_PORT:
                if (cc_node_is_scalar(it))
                        return cc_xstrdup(it->str);
                if (cc_node_is_map(it) && cc_node_map_str(it, "target")) {
                        const char *host = cc_node_map_str(it, "host_ip");
                        const char *published = cc_node_map_str(it, "published");
                        const char *protocol = cc_node_map_str(it, "protocol");
                        return cc_xasprintf("%s:%s:%s/%s", host ? host : "0.0.0.0", published ? published : "",
                                            cc_node_map_str(it, "target"), protocol ? protocol : "tcp");
                }
                what = "port is missing a target port";
                break;
        case UR_SECRET:
        case UR_CONFIG: {
                const char *prefix = rule == UR_SECRET ? "/run/secrets" : "";
                if (cc_node_is_scalar(it))
                        return cc_xasprintf("%s/%s", prefix, it->str);
                if (cc_node_is_map(it) && cc_node_map_str(it, "target"))
                        return cc_xstrdup(cc_node_map_str(it, "target"));
                if (cc_node_is_map(it) && cc_node_map_str(it, "source"))
                        return cc_xasprintf("%s/%s", prefix, cc_node_map_str(it, "source"));
                what = rule == UR_SECRET ? "secret is missing a source" : "config is missing a source";
                break;
        }
        case UR_VOLUME:
        case UR_DEVICE:
                if (cc_node_is_map(it) && cc_node_map_str(it, "target"))
                        return cc_xstrdup(cc_node_map_str(it, "target"));
                if (cc_node_is_scalar(it)) {
                        /* short syntax: SOURCE:TARGET[:MODE] or TARGET alone */
                        const char *c = strchr(it->str, ':');
                        if (!c)
                                return cc_xstrdup(it->str);
                        const char *e = strchr(c + 1, ':');
                        return e ? cc_xstrndup(c + 1, (size_t) (e - c - 1)) : cc_xstrdup(c + 1);
                }
                what = rule == UR_VOLUME ? "volume is missing a mount target" : "device is missing a target";
                break;
        }
        _cleanup_free_ char *where = cc_pos_str(&it->pos);
        _cleanup_free_ char *path = path_str(p);
        if (what)
                *r = cc_error_set(err, -EINVAL, "%s: %s: %s", where, path, what);
        else
                *r = cc_error_set(err, -EINVAL, "%s: %s: unexpected %s entry", where, path, cc_node_type_name(it));
        return NULL;
}

/* Keep one entry per key: a later entry replaces the earlier one in its
 * place (compose-go EnforceUnicity). */
static const char *strv_at(const void *sv, size_t i)
{
        return ((const struct cc_strv *) sv)->v[i];
}

static int unique_seq(struct cc_node *seq, enum unique_rule rule, const struct mpath *p, struct cc_error *err)
{
        struct cc_strv keys = {0};
        struct cc_hindex index = {0};
        size_t kept = 0, i;
        int r = 0;

        for (i = 0; i < seq->n; i++) {
                struct cc_node *it = seq->items[i];
                char *k = unique_key(rule, it, p, &r, err);
                if (!k)
                        break;
                seq->items[i] = NULL;
                ssize_t j = cc_hindex_find(&index, k, strv_at, &keys);
                if (j >= 0) {
                        cc_node_free(seq->items[j]);
                        seq->items[j] = it;
                        free(k);
                } else {
                        seq->items[kept++] = it;
                        cc_strv_push_owned(&keys, k);
                        cc_hindex_add(&index, keys.v[keys.n - 1], keys.n - 1);
                }
        }
        /* on error, keep what was not looked at yet */
        for (; i < seq->n; i++)
                seq->items[kept++] = seq->items[i];
        seq->n = kept;
        cc_hindex_free(&index);
        cc_strv_free(&keys);
        return r;
}

static int enforce_unicity(struct cc_node *n, struct mpath *p, struct cc_error *err)
{
        if (cc_node_is_seq(n)) {
                enum unique_rule rule = find_unique_rule(p);
                return rule == UR_NONE ? 0 : unique_seq(n, rule, p, err);
        }
        if (!cc_node_is_map(n))
                return 0;
        for (size_t i = 0; i < n->n; i++) {
                path_push(p, cc_node_key(n, i));
                int r = enforce_unicity(n->items[i], p, err);
                path_pop(p);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cc_merge_enforce_unicity(struct cc_node *project, struct cc_error *err)
{
        struct mpath p = {0};
        return enforce_unicity(project, &p, err);
}

/* Merge override into base (both mappings, "what" in the error), then the
 * unicity rules. */
static int merge_top(struct cc_node *base, const struct cc_node *override, struct mpath *p, const char *what,
                     struct cc_error *err)
{
        if (cc_node_is_null(override))
                return 0;
        if (!cc_node_is_map(base) || !cc_node_is_map(override)) {
                const struct cc_node *bad = cc_node_is_map(override) ? base : override;
                _cleanup_free_ char *where = cc_pos_str(bad ? &bad->pos : NULL);
                return cc_error_set(err, -EINVAL, "%s: %s must be a mapping", where, what);
        }
        int r = merge_map(base, override, p, true, err);
        return r < 0 ? r : enforce_unicity(base, p, err);
}

int cc_merge_project(struct cc_node *base, struct cc_node *override, struct cc_error *err)
{
        struct mpath p = {.move = true};
        return merge_top(base, override, &p, "top-level object", err);
}

int cc_merge_service(struct cc_node *base, const struct cc_node *override, struct cc_error *err)
{
        /* the rules name "services.*": any service name does */
        struct mpath p = {.seg = {"services", "x"}, .depth = 2, .shown = 2};
        return merge_top(base, override, &p, "service", err);
}
