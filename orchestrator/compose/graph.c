/* The service dependency graph. docker compose (compose-go) turns links,
 * network_mode/ipc/pid "service:X" and volumes_from into implicit depends_on
 * entries, so all of them are edges here, and an unknown service in any of
 * them reads "service "web" depends on undefined service "x"". Cycles are
 * searched as compose-go does (services in name order, dependencies in name
 * order), so the same project names the same cycle. */
#include <errno.h>
#include <stdio.h>

#include "graph.h"

/* Building state: where each edge was declared, for messages. */
struct graph_build {
        struct cc_graph *g;
        struct cc_pos *edge_pos;          /* n * n */
        const struct cc_strv *disabled;   /* NULL: any optional dependency may be missing */
        struct cc_error *err;
};

void cc_graph_free(struct cc_graph *g)
{
        if (!g)
                return;
        for (size_t i = 0; i < g->n; i++) {
                free(g->names[i]);
                if (g->edge)
                        free(g->edge[i]);
        }
        free(g->names);
        free(g->edge);
        free(g->wave);
        memset(g, 0, sizeof(*g));
}

ssize_t cc_graph_index(const struct cc_graph *g, const char *name)
{
        for (size_t i = 0; i < g->n; i++)
                if (strcmp(g->names[i], name) == 0)
                        return (ssize_t) i;
        return -1;
}

static int undefined_service(struct graph_build *b, size_t from, const char *dep, const struct cc_pos *pos)
{
        _cleanup_free_ char *where = cc_pos_str(pos);
        return cc_error_set(b->err, -EINVAL, "%s: service \"%s\" depends on undefined service \"%s\": invalid compose project",
                            where, b->g->names[from], dep);
}

static int add_edge(struct graph_build *b, size_t from, const char *dep, const struct cc_pos *pos, bool required)
{
        ssize_t to = cc_graph_index(b->g, dep);

        if (to < 0) {
                /* compose-go: an optional dependency on a service that is
                 * disabled (by profiles) is dropped; anything else is an error */
                if (!required && (!b->disabled || cc_strv_contains(b->disabled, dep)))
                        return 0;
                return undefined_service(b, from, dep, pos);
        }
        if (!b->g->edge[from][to]) {
                b->g->edge[from][to] = true;
                b->edge_pos[from * b->g->n + (size_t) to] = *pos;
        }
        return 0;
}

/* required: false in a long-form depends_on entry. */
static bool dependency_required(const struct cc_node *v)
{
        const struct cc_node *req = cc_node_is_map(v) ? cc_node_map_get(v, "required") : NULL;
        if (!cc_node_is_scalar(req) || cc_node_is_null(req))
                return true;
        return !(strcmp(req->str, "false") == 0 || strcmp(req->str, "False") == 0 || strcmp(req->str, "FALSE") == 0);
}

static int add_depends_on(struct graph_build *b, size_t i, const struct cc_node *dep)
{
        int r = 0;

        if (cc_node_is_map(dep)) {
                for (size_t j = 0; r >= 0 && j < dep->n; j++)
                        r = add_edge(b, i, cc_node_key(dep, j), &dep->keys[j]->pos,
                                     dependency_required(dep->items[j]));
        } else if (cc_node_is_seq(dep)) {
                for (size_t j = 0; r >= 0 && j < dep->n; j++)
                        if (cc_node_is_scalar(dep->items[j]))
                                r = add_edge(b, i, dep->items[j]->str, &dep->items[j]->pos, true);
        }
        return r;
}

/* links: "svc" or "svc:alias". */
static int add_links(struct graph_build *b, size_t i, const struct cc_node *links)
{
        for (size_t j = 0; cc_node_is_seq(links) && j < links->n; j++) {
                const struct cc_node *l = links->items[j];
                if (!cc_node_is_scalar(l))
                        continue;
                const char *c = strchr(l->str, ':');
                _cleanup_free_ char *name = c ? cc_xstrndup(l->str, (size_t) (c - l->str)) : cc_xstrdup(l->str);
                int r = add_edge(b, i, name, &l->pos, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* volumes_from: "svc", "svc:ro", "service:svc[:mode]"; "container:X" names
 * a container, not a service. */
static int add_volumes_from(struct graph_build *b, size_t i, const struct cc_node *vf)
{
        for (size_t j = 0; cc_node_is_seq(vf) && j < vf->n; j++) {
                const struct cc_node *v = vf->items[j];
                if (!cc_node_is_scalar(v) || cc_startswith(v->str, "container:"))
                        continue;
                const char *s = cc_startswith(v->str, "service:") ? v->str + strlen("service:") : v->str;
                const char *c = strchr(s, ':');
                _cleanup_free_ char *name = c ? cc_xstrndup(s, (size_t) (c - s)) : cc_xstrdup(s);
                int r = add_edge(b, i, name, &v->pos, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_service_edges(struct graph_build *b, size_t i, const struct cc_node *svc)
{
        static const char *const namespaces[] = {"network_mode", "ipc", "pid", "uts", "cgroup"};
        int r;

        if (!cc_node_is_map(svc))
                return 0;
        if ((r = add_depends_on(b, i, cc_node_map_get(svc, "depends_on"))) < 0)
                return r;
        if ((r = add_links(b, i, cc_node_map_get(svc, "links"))) < 0)
                return r;
        for (size_t k = 0; k < CC_ARRAY_SIZE(namespaces); k++) {
                const struct cc_node *ns = cc_node_map_get(svc, namespaces[k]);
                if (!cc_node_is_scalar(ns) || !cc_startswith(ns->str, "service:"))
                        continue;
                if ((r = add_edge(b, i, ns->str + strlen("service:"), &ns->pos, true)) < 0)
                        return r;
        }
        return add_volumes_from(b, i, cc_node_map_get(svc, "volumes_from"));
}

/* Indexes of the services in name order. */
static size_t *name_order(const struct cc_graph *g)
{
        size_t *o = cc_xcalloc(g->n ? g->n : 1, sizeof(*o));

        for (size_t i = 0; i < g->n; i++) {
                size_t j = i;
                while (j > 0 && strcmp(g->names[o[j - 1]], g->names[i]) > 0) {
                        o[j] = o[j - 1];
                        j--;
                }
                o[j] = i;
        }
        return o;
}

struct cycle_search {
        const struct cc_graph *g;
        const size_t *order; /* name order */
        size_t *path;
        size_t depth;
        bool *on_path;
        bool *clear;         /* no cycle is reachable from here */
};

/* Depth-first from the last service on the path; returns the index in path
 * where a cycle starts (the path then ends with the service that closes
 * it), or -1. */
static ssize_t search_cycle(struct cycle_search *s)
{
        size_t v = s->path[s->depth - 1];

        for (size_t k = 0; k < s->g->n; k++) {
                size_t c = s->order[k];
                if (!s->g->edge[v][c] || s->clear[c])
                        continue;
                if (s->on_path[c]) {
                        size_t i = 0;
                        while (s->path[i] != c)
                                i++;
                        s->path[s->depth++] = c;
                        return (ssize_t) i;
                }
                s->path[s->depth++] = c;
                s->on_path[c] = true;
                ssize_t r = search_cycle(s);
                if (r >= 0)
                        return r;
                s->on_path[c] = false;
                s->depth--;
        }
        s->clear[v] = true;
        return -1;
}

static int check_cycles(struct graph_build *b)
{
        const struct cc_graph *g = b->g;
        _cleanup_free_ size_t *order = name_order(g);
        _cleanup_free_ size_t *path = cc_xcalloc(g->n + 1, sizeof(*path));
        _cleanup_free_ bool *on_path = cc_xcalloc(g->n ? g->n : 1, sizeof(*on_path));
        _cleanup_free_ bool *clear = cc_xcalloc(g->n ? g->n : 1, sizeof(*clear));
        struct cycle_search s = {.g = g, .order = order, .path = path, .on_path = on_path, .clear = clear};

        for (size_t k = 0; k < g->n; k++) {
                size_t start = order[k];
                if (clear[start])
                        continue;
                s.depth = 1;
                path[0] = start;
                on_path[start] = true;
                ssize_t at = search_cycle(&s);
                on_path[start] = false;
                if (at < 0)
                        continue;
                struct cc_buf msg = {0};
                for (size_t i = (size_t) at; i < s.depth; i++)
                        cc_buf_printf(&msg, "%s%s", i > (size_t) at ? " -> " : "", g->names[path[i]]);
                _cleanup_free_ char *where = cc_pos_str(&b->edge_pos[path[at] * g->n + path[at + 1]]);
                int r = cc_error_set(b->err, -ELOOP, "%s: dependency cycle detected: %s", where, msg.s);
                cc_buf_free(&msg);
                return r;
        }
        return 0;
}

static size_t compute_wave(struct cc_graph *g, size_t i, bool *done)
{
        if (done[i])
                return g->wave[i];
        size_t w = 0;
        for (size_t j = 0; j < g->n; j++)
                if (g->edge[i][j]) {
                        size_t dw = compute_wave(g, j, done) + 1;
                        if (dw > w)
                                w = dw;
                }
        g->wave[i] = w;
        done[i] = true;
        return w;
}

static void compute_waves(struct cc_graph *g)
{
        _cleanup_free_ bool *done = cc_xcalloc(g->n ? g->n : 1, sizeof(*done));

        g->n_waves = 0;
        for (size_t i = 0; i < g->n; i++) {
                size_t w = compute_wave(g, i, done);
                if (w + 1 > g->n_waves)
                        g->n_waves = w + 1;
        }
}

int cc_graph_build_with_disabled(const struct cc_node *services, const struct cc_strv *disabled, struct cc_graph *g,
                                 struct cc_error *err)
{
        int r = 0;

        memset(g, 0, sizeof(*g));
        if (cc_node_is_null(services))
                return 0;
        if (!cc_node_is_map(services)) {
                _cleanup_free_ char *where = cc_pos_str(&services->pos);
                return cc_error_set(err, -EINVAL, "%s: services must be a mapping", where);
        }
        g->n = services->n;
        g->names = cc_xcalloc(g->n ? g->n : 1, sizeof(*g->names));
        g->edge = cc_xcalloc(g->n ? g->n : 1, sizeof(*g->edge));
        g->wave = cc_xcalloc(g->n ? g->n : 1, sizeof(*g->wave));
        for (size_t i = 0; i < g->n; i++) {
                g->names[i] = cc_xstrdup(cc_node_key(services, i));
                g->edge[i] = cc_xcalloc(g->n, sizeof(**g->edge));
        }

        struct graph_build b = {.g = g, .disabled = disabled, .err = err};
        b.edge_pos = cc_xcalloc(g->n ? g->n * g->n : 1, sizeof(*b.edge_pos));
        for (size_t i = 0; r >= 0 && i < g->n; i++)
                r = add_service_edges(&b, i, services->items[i]);
        if (r >= 0)
                r = check_cycles(&b);
        free(b.edge_pos);
        if (r < 0) {
                cc_graph_free(g);
                return r;
        }
        compute_waves(g);
        return 0;
}

int cc_graph_build(const struct cc_node *services, struct cc_graph *g, struct cc_error *err)
{
        return cc_graph_build_with_disabled(services, NULL, g, err);
}

void cc_graph_start_order(const struct cc_graph *g, size_t *idx)
{
        size_t k = 0;

        for (size_t w = 0; w < g->n_waves; w++)
                for (size_t i = 0; i < g->n; i++)
                        if (g->wave[i] == w)
                                idx[k++] = i;
}

void cc_graph_stop_order(const struct cc_graph *g, size_t *idx)
{
        cc_graph_start_order(g, idx);
        for (size_t i = 0; i < g->n / 2; i++) {
                size_t t = idx[i];
                idx[i] = idx[g->n - 1 - i];
                idx[g->n - 1 - i] = t;
        }
}

static void select_with_deps(const struct cc_graph *g, size_t i, bool *selected)
{
        if (selected[i])
                return;
        selected[i] = true;
        for (size_t j = 0; j < g->n; j++)
                if (g->edge[i][j])
                        select_with_deps(g, j, selected);
}

void cc_graph_select(const struct cc_graph *g, const struct cc_strv *names, bool no_deps, bool *selected)
{
        for (size_t i = 0; i < g->n; i++)
                selected[i] = false;
        for (size_t k = 0; names && k < names->n; k++) {
                ssize_t i = cc_graph_index(g, names->v[k]);
                if (i < 0)
                        continue;
                if (no_deps)
                        selected[i] = true;
                else
                        select_with_deps(g, (size_t) i, selected);
        }
}
