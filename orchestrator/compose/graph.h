/* The service dependency graph: depends_on, links, network_mode
 * service:X, volumes_from service:X. */
#ifndef CC_GRAPH_H
#define CC_GRAPH_H

#include "node.h"

struct cc_hindex;

struct cc_graph {
        size_t n;            /* services */
        char **names;        /* service names, in the model's order */
        size_t *n_deps;      /* n_deps[i]: how many services service i depends on */
        size_t **deps;       /* deps[i][0..n_deps[i]): the services i depends on, each once */
        size_t n_waves;
        size_t *wave;        /* wave[i]: start wave of service i (0 first) */
        struct cc_hindex *index; /* names -> position */
};

/* Build from a normalised "services" mapping. Unknown services in
 * depends_on, links, network_mode or volumes_from are errors naming
 * file:line:col ("service web depends on undefined service dbb"); a cycle
 * is an error naming the services on it ("dependency cycle detected:
 * a -> b -> c -> a"). */
int cc_graph_build(const struct cc_node *services, struct cc_graph *g, struct cc_error *err);
/* Like cc_graph_build, with compose-go's exact rule for depends_on entries
 * with required: false: a missing service is ignored only when it is one of
 * disabled (left out by profiles); an undefined one is an error.
 * cc_graph_build (disabled NULL) ignores every missing optional service.
 * network_mode, ipc, pid "service:X" are edges too. */
int cc_graph_build_with_disabled(const struct cc_node *services, const struct cc_strv *disabled, struct cc_graph *g,
                                 struct cc_error *err);
void cc_graph_free(struct cc_graph *g);
ssize_t cc_graph_index(const struct cc_graph *g, const char *name);
/* Service i depends on service j (directly). */
bool cc_graph_depends(const struct cc_graph *g, size_t i, size_t j);
/* Start order: services sorted by wave, then by model order. Stop order is
 * the reverse. Fills idx (g->n entries). */
void cc_graph_start_order(const struct cc_graph *g, size_t *idx);
/* The reverse of the start order (dependents first). Fills idx (g->n). */
void cc_graph_stop_order(const struct cc_graph *g, size_t *idx);
/* Mark selected[i] for services named and, unless no_deps, everything they
 * depend on (transitively). */
void cc_graph_select(const struct cc_graph *g, const struct cc_strv *names, bool no_deps, bool *selected);

#endif
