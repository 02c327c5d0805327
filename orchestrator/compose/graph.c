/* The service dependency graph. docker compose (compose-go) turns links,
 * network_mode/ipc/pid "service:X" and volumes_from into implicit depends_on
 * entries, so all of them are edges here, and an unknown service in any of
 * them reads "service "web" depends on undefined service "x"". Cycles are
 * searched as compose-go does (services in name order, dependencies in name
 * order), so the same project names the same cycle. */
#include <errno.h>
#include <stdio.h>

#include "graph.h"
#include "hindex.h"

/* Building state: where each edge was declared, for messages. */
struct graph_build {
        struct cc_graph *g;
        struct cc_pos **dep_pos;          /* dep_pos[i][k]: where deps[i][k] was declared */
        size_t *cap;                      /* capacity of deps[i] and dep_pos[i] */
        size_t *seen;                     /* seen[j] == i + 1: i already depends on j */
        const struct cc_strv *disabled;   /* NULL: any optional dependency may be missing */
        struct cc_error *err;
};

void cc_graph_free(struct cc_graph *g)
{
        if (!g)
                return;
        for (size_t i = 0; i < g->n; i++) {
                free(g->names[i]);
                if (g->deps)
                        free(g->deps[i]);
        }
        free(g->names);
        free(g->deps);
        free(g->n_deps);
        free(g->wave);
        if (g->index)
                cc_hindex_free(g->index);
        free(g->index);
        memset(g, 0, sizeof(*g));
}

static const char *name_at(const void *g, size_t i)
{
        return ((const struct cc_graph *) g)->names[i];
}

ssize_t cc_graph_index(const struct cc_graph *g, const char *name)
{
        if (!g->index)
                return -1;
        return cc_hindex_find(g->index, name, name_at, g);
}

bool cc_graph_depends(const struct cc_graph *g, size_t i, size_t j)
{
        for (size_t k = 0; k < g->n_deps[i]; k++)
                if (g->deps[i][k] == j)
                        return true;
        return false;
}

static int undefined_service(struct graph_build *b, size_t from, const char *dep, const struct cc_pos *pos)
{
        _cleanup_free_ char *where = cc_pos_str(pos);
        return cc_error_set(b->err, -EINVAL, "%s: service \"%s\" depends on undefined service \"%s\": invalid compose project",
                            where, b->g->names[from], dep);
}

static int add_edge(struct graph_build *b, size_t from, const char *dep, const struct cc_pos *pos, bool required)
{
        struct cc_graph *g = b->g;
        ssize_t to = cc_graph_index(g, dep);

        if (to < 0) {
                /* compose-go: an optional dependency on a service that is
                 * disabled (by profiles) is dropped; anything else is an error */
                if (!required && (!b->disabled || cc_strv_contains(b->disabled, dep)))
                        return 0;
                return undefined_service(b, from, dep, pos);
        }
        if (b->seen[to] == from + 1)
                return 0;
        b->seen[to] = from + 1;
        size_t k = g->n_deps[from]++;
        if (k == b->cap[from]) {
                b->cap[from] = b->cap[from] ? 2 * b->cap[from] : 4;
                g->deps[from] = cc_xrealloc(g->deps[from], b->cap[from] * sizeof(**g->deps));
                b->dep_pos[from] = cc_xrealloc(b->dep_pos[from], b->cap[from] * sizeof(**b->dep_pos));
        }
        g->deps[from][k] = (size_t) to;
        b->dep_pos[from][k] = *pos;
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

static int name_cmp(const void *a, const void *b, void *g)
{
        const struct cc_graph *gr = g;
        return strcmp(gr->names[*(const size_t *) a], gr->names[*(const size_t *) b]);
}

/* Indexes of the services in name order. */
static size_t *name_order(const struct cc_graph *g)
{
        size_t *o = cc_xcalloc(g->n ? g->n : 1, sizeof(*o));
        for (size_t i = 0; i < g->n; i++)
                o[i] = i;
        qsort_r(o, g->n, sizeof(*o), name_cmp, (void *) g);
        return o;
}

static int rank_cmp(const void *a, const void *b, void *rank)
{
        size_t ra = ((const size_t *) rank)[*(const size_t *) a], rb = ((const size_t *) rank)[*(const size_t *) b];
        return ra < rb ? -1 : ra > rb;
}

struct cycle_search {
        const struct cc_graph *g;
        size_t **sorted;     /* sorted[v]: the dependencies of v in name order */
        size_t *path;        /* the services being searched from, path[0] first */
        size_t *next;        /* next[d]: the next dependency of path[d] to look at */
        size_t depth;
        bool *on_path;
        bool *clear;         /* no cycle is reachable from here */
};

/* Depth-first from path[0], without recursion (a chain of dependencies may
 * be as long as the project); returns the index in path where a cycle
 * starts (the path then ends with the service that closes it), or -1. */
static ssize_t search_cycle(struct cycle_search *s)
{
        while (s->depth > 0) {
                size_t d = s->depth - 1, v = s->path[d];
                if (s->next[d] == s->g->n_deps[v]) {
                        s->clear[v] = true;
                        s->on_path[v] = false;
                        s->depth--;
                        continue;
                }
                size_t c = s->sorted[v][s->next[d]++];
                if (s->clear[c])
                        continue;
                s->path[s->depth++] = c;
                if (s->on_path[c]) {
                        size_t i = 0;
                        while (s->path[i] != c)
                                i++;
                        return (ssize_t) i;
                }
                s->next[s->depth - 1] = 0;
                s->on_path[c] = true;
        }
        return -1;
}

static int cycle_error(struct graph_build *b, const struct cycle_search *s, size_t at)
{
        const struct cc_graph *g = b->g;
        size_t from = s->path[at], to = s->path[at + 1], k = 0;
        while (g->deps[from][k] != to)
                k++;
        struct cc_buf msg = {0};
        for (size_t i = at; i < s->depth; i++)
                cc_buf_printf(&msg, "%s%s", i > at ? " -> " : "", g->names[s->path[i]]);
        _cleanup_free_ char *where = cc_pos_str(&b->dep_pos[from][k]);
        int r = cc_error_set(b->err, -ELOOP, "%s: dependency cycle detected: %s", where, msg.s);
        cc_buf_free(&msg);
        return r;
}

/* Cycles are searched as compose-go does: from the services in name order,
 * following dependencies in name order. */
static int check_cycles(struct graph_build *b)
{
        const struct cc_graph *g = b->g;
        size_t n1 = g->n ? g->n : 1;
        _cleanup_free_ size_t *order = name_order(g);
        _cleanup_free_ size_t *rank = cc_xcalloc(n1, sizeof(*rank));
        _cleanup_free_ size_t **sorted = cc_xcalloc(n1, sizeof(*sorted));
        _cleanup_free_ size_t *path = cc_xcalloc(g->n + 1, sizeof(*path));
        _cleanup_free_ size_t *next = cc_xcalloc(g->n + 1, sizeof(*next));
        _cleanup_free_ bool *on_path = cc_xcalloc(n1, sizeof(*on_path));
        _cleanup_free_ bool *clear = cc_xcalloc(n1, sizeof(*clear));
        struct cycle_search s = {.g = g, .sorted = sorted, .path = path, .next = next, .on_path = on_path,
                                 .clear = clear};
        int r = 0;

        for (size_t k = 0; k < g->n; k++)
                rank[order[k]] = k;
        for (size_t v = 0; v < g->n; v++) {
                sorted[v] = cc_xcalloc(g->n_deps[v] ? g->n_deps[v] : 1, sizeof(**sorted));
                if (g->n_deps[v] == 0)
                        continue; /* deps[v] may be NULL: no memcpy from it */
                memcpy(sorted[v], g->deps[v], g->n_deps[v] * sizeof(**sorted));
                qsort_r(sorted[v], g->n_deps[v], sizeof(**sorted), rank_cmp, rank);
        }
        for (size_t k = 0; k < g->n && r >= 0; k++) {
                size_t start = order[k];
                if (clear[start])
                        continue;
                s.depth = 1;
                path[0] = start;
                next[0] = 0;
                on_path[start] = true;
                ssize_t at = search_cycle(&s);
                if (at >= 0)
                        r = cycle_error(b, &s, (size_t) at);
        }
        for (size_t v = 0; v < g->n; v++)
                free(sorted[v]);
        return r;
}

/* wave[i]: 0 without dependencies, else one more than its latest
 * dependency's; depth-first without recursion (the graph has no cycle). */
static void compute_waves(struct cc_graph *g)
{
        size_t n1 = g->n ? g->n : 1;
        _cleanup_free_ bool *done = cc_xcalloc(n1, sizeof(*done));
        _cleanup_free_ size_t *stack = cc_xcalloc(n1, sizeof(*stack));
        _cleanup_free_ size_t *next = cc_xcalloc(n1, sizeof(*next));

        g->n_waves = 0;
        for (size_t i = 0; i < g->n; i++) {
                size_t depth = 0;
                if (done[i])
                        continue;
                stack[depth] = i;
                next[depth++] = 0;
                while (depth > 0) {
                        size_t v = stack[depth - 1];
                        if (next[depth - 1] < g->n_deps[v]) {
                                size_t c = g->deps[v][next[depth - 1]++];
                                if (!done[c]) {
                                        stack[depth] = c;
                                        next[depth++] = 0;
                                }
                                continue;
                        }
                        size_t w = 0;
                        for (size_t k = 0; k < g->n_deps[v]; k++)
                                if (g->wave[g->deps[v][k]] + 1 > w)
                                        w = g->wave[g->deps[v][k]] + 1;
                        g->wave[v] = w;
                        done[v] = true;
                        depth--;
                        if (w + 1 > g->n_waves)
                                g->n_waves = w + 1;
                }
        }
}

static void graph_alloc(struct cc_graph *g, const struct cc_node *services)
{
        size_t n1;

        g->n = services->n;
        n1 = g->n ? g->n : 1;
        g->names = cc_xcalloc(n1, sizeof(*g->names));
        g->deps = cc_xcalloc(n1, sizeof(*g->deps));
        g->n_deps = cc_xcalloc(n1, sizeof(*g->n_deps));
        g->wave = cc_xcalloc(n1, sizeof(*g->wave));
        for (size_t i = 0; i < g->n; i++)
                g->names[i] = cc_xstrdup(cc_node_key(services, i));
        g->index = cc_xcalloc(1, sizeof(*g->index));
        cc_hindex_build(g->index, g->n, name_at, g);
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
        graph_alloc(g, services);
        size_t n1 = g->n ? g->n : 1;
        struct graph_build b = {.g = g, .disabled = disabled, .err = err};
        b.dep_pos = cc_xcalloc(n1, sizeof(*b.dep_pos));
        b.cap = cc_xcalloc(n1, sizeof(*b.cap));
        b.seen = cc_xcalloc(n1, sizeof(*b.seen));
        for (size_t i = 0; r >= 0 && i < g->n; i++)
                r = add_service_edges(&b, i, services->items[i]);
        if (r >= 0)
                r = check_cycles(&b);
        for (size_t i = 0; i < g->n; i++)
                free(b.dep_pos[i]);
        free(b.dep_pos);
        free(b.cap);
        free(b.seen);
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
        /* by wave, then model order: a counting sort, stable */
        _cleanup_free_ size_t *start = cc_xcalloc(g->n_waves + 1, sizeof(*start));

        for (size_t i = 0; i < g->n; i++)
                start[g->wave[i] + 1]++;
        for (size_t w = 0; w < g->n_waves; w++)
                start[w + 1] += start[w];
        for (size_t i = 0; i < g->n; i++)
                idx[start[g->wave[i]]++] = i;
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

/* Mark i and everything it depends on, without recursion. */
static void select_with_deps(const struct cc_graph *g, size_t i, bool *selected, size_t *stack)
{
        size_t depth = 0;

        if (selected[i])
                return;
        selected[i] = true;
        stack[depth++] = i;
        while (depth > 0) {
                size_t v = stack[--depth];
                for (size_t k = 0; k < g->n_deps[v]; k++) {
                        size_t c = g->deps[v][k];
                        if (!selected[c]) {
                                selected[c] = true;
                                stack[depth++] = c;
                        }
                }
        }
}

void cc_graph_select(const struct cc_graph *g, const struct cc_strv *names, bool no_deps, bool *selected)
{
        _cleanup_free_ size_t *stack = cc_xcalloc(g->n ? g->n : 1, sizeof(*stack));

        for (size_t i = 0; i < g->n; i++)
                selected[i] = false;
        for (size_t k = 0; names && k < names->n; k++) {
                ssize_t i = cc_graph_index(g, names->v[k]);
                if (i < 0)
                        continue;
                if (no_deps)
                        selected[i] = true;
                else
                        select_with_deps(g, (size_t) i, selected, stack);
        }
}
