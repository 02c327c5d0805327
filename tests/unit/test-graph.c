/* The service dependency graph: edges, waves, cycles, selection, order.
 * Messages follow compose-go (loader/validate.go, graph/cycle.go), with the
 * position of the reference in front. */
#include "graph.h"
#include "tap.h"

/* Strings handed to assertions live as long as the test's process: kept
 * reachable here so the leak checker of sanitizer builds stays quiet. */
static char *keep(char *s)
{
        static struct cc_strv pool;
        cc_strv_push_owned(&pool, s);
        return s;
}

static struct cc_node *parse(const char *y)
{
        struct cc_error err = {0};
        struct cc_node *n = NULL;
        if (cc_yaml_parse(y, strlen(y), "compose.yaml", &n, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse: %s", cc_error_msg(&err));
        return n;
}

/* Build the graph of a document's services; the test fails on error. */
static void build(const char *y, struct cc_graph *g)
{
        struct cc_error err = {0};
        struct cc_node *doc = parse(y);
        if (cc_graph_build(cc_node_map_get(doc, "services"), g, &err) < 0)
                tap_fail(__FILE__, __LINE__, "build: %s", cc_error_msg(&err));
        cc_node_free(doc);
}

/* Build and expect an error; returns its message. */
static char *build_err(const char *y)
{
        struct cc_error err = {0};
        struct cc_graph g;
        struct cc_node *doc = parse(y);
        if (cc_graph_build(cc_node_map_get(doc, "services"), &g, &err) >= 0)
                tap_fail(__FILE__, __LINE__, "expected a graph error");
        if (g.n != 0 || g.names || g.deps || g.wave)
                tap_fail(__FILE__, __LINE__, "graph not emptied after an error");
        cc_node_free(doc);
        return keep(err.msg);
}

static size_t wave(const struct cc_graph *g, const char *name)
{
        ssize_t i = cc_graph_index(g, name);
        if (i < 0)
                tap_fail(__FILE__, __LINE__, "no service %s", name);
        return g->wave[i];
}

static bool depends(const struct cc_graph *g, const char *a, const char *b)
{
        return cc_graph_depends(g, (size_t) cc_graph_index(g, a), (size_t) cc_graph_index(g, b));
}

/* "a b c" for an order of indexes. */
static char *order_str(const struct cc_graph *g, const size_t *idx)
{
        struct cc_buf b = {0};
        cc_buf_puts(&b, "");
        for (size_t i = 0; i < g->n; i++)
                cc_buf_printf(&b, "%s%s", i ? " " : "", g->names[idx[i]]);
        return keep(cc_buf_steal(&b));
}

static char *start_order(const struct cc_graph *g)
{
        size_t idx[64];
        cc_graph_start_order(g, idx);
        return order_str(g, idx);
}

static char *stop_order(const struct cc_graph *g)
{
        size_t idx[64];
        cc_graph_stop_order(g, idx);
        return order_str(g, idx);
}

/* Selected services for `up NAMES...`, as "a b". */
static char *selection(const struct cc_graph *g, const char *names, bool no_deps)
{
        struct cc_strv sv = {0};
        _cleanup_free_ char *copy = cc_xstrdup(names);
        for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                cc_strv_push(&sv, t);
        bool sel[64];
        memset(sel, 0xff, sizeof(sel));
        cc_graph_select(g, &sv, no_deps, sel);
        struct cc_buf b = {0};
        cc_buf_puts(&b, "");
        for (size_t i = 0; i < g->n; i++)
                if (sel[i])
                        cc_buf_printf(&b, "%s%s", b.len ? " " : "", g->names[i]);
        cc_strv_free(&sv);
        return keep(cc_buf_steal(&b));
}

static const char *const web_stack =
        "services:\n"
        "  web:\n"
        "    image: nginx\n"
        "    depends_on:\n"
        "      db: {condition: service_healthy, required: true}\n"
        "      cache: {condition: service_started, required: true}\n"
        "  db:\n"
        "    image: postgres\n"
        "  cache:\n"
        "    image: redis\n"
        "  worker:\n"
        "    image: app\n"
        "    depends_on:\n"
        "      db: {condition: service_started, required: true}\n";

/* ---- waves and order ---- */

TEST(no_services_no_waves)
{
        struct cc_graph g;
        build("services: {}\n", &g);
        ASSERT_INTEQ(g.n, 0);
        ASSERT_INTEQ(g.n_waves, 0);
        cc_graph_free(&g);
}

TEST(missing_services_section_is_an_empty_graph)
{
        struct cc_graph g;
        build("name: x\n", &g);
        ASSERT_INTEQ(g.n, 0);
        cc_graph_free(&g);
}

TEST(single_service_is_wave_zero)
{
        struct cc_graph g;
        build("services:\n  web: {image: a}\n", &g);
        ASSERT_INTEQ(g.n, 1);
        ASSERT_INTEQ(g.n_waves, 1);
        ASSERT_INTEQ(wave(&g, "web"), 0);
        cc_graph_free(&g);
}

TEST(null_service_body_has_no_dependencies)
{
        struct cc_graph g;
        build("services:\n  web:\n  db: {depends_on: {web: {condition: service_started}}}\n", &g);
        ASSERT_INTEQ(wave(&g, "web"), 0);
        ASSERT_INTEQ(wave(&g, "db"), 1);
        cc_graph_free(&g);
}

TEST(web_db_cache_waves)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_INTEQ(g.n, 4);
        ASSERT_INTEQ(g.n_waves, 2);
        ASSERT_INTEQ(wave(&g, "db"), 0);
        ASSERT_INTEQ(wave(&g, "cache"), 0);
        ASSERT_INTEQ(wave(&g, "web"), 1);
        ASSERT_INTEQ(wave(&g, "worker"), 1);
        cc_graph_free(&g);
}

TEST(edges_point_from_dependent_to_dependency)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT(depends(&g, "web", "db"));
        ASSERT(depends(&g, "web", "cache"));
        ASSERT(depends(&g, "worker", "db"));
        ASSERT(!depends(&g, "db", "web"));
        ASSERT(!depends(&g, "web", "worker"));
        ASSERT(!depends(&g, "worker", "cache"));
        cc_graph_free(&g);
}

TEST(names_are_in_model_order)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_STREQ(g.names[0], "web");
        ASSERT_STREQ(g.names[3], "worker");
        ASSERT_INTEQ(cc_graph_index(&g, "cache"), 2);
        ASSERT_INTEQ(cc_graph_index(&g, "nope"), -1);
        cc_graph_free(&g);
}

TEST(start_order_is_by_wave_then_model_order)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_STREQ(start_order(&g), "db cache web worker");
        cc_graph_free(&g);
}

TEST(stop_order_is_the_reverse_of_start_order)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_STREQ(stop_order(&g), "worker web cache db");
        cc_graph_free(&g);
}

TEST(independent_services_start_in_model_order)
{
        struct cc_graph g;
        build("services:\n  c: {}\n  a: {}\n  b: {}\n", &g);
        ASSERT_INTEQ(g.n_waves, 1);
        ASSERT_STREQ(start_order(&g), "c a b");
        ASSERT_STREQ(stop_order(&g), "b a c");
        cc_graph_free(&g);
}

TEST(diamond_waves)
{
        struct cc_graph g;
        build("services:\n"
              "  top: {depends_on: {left: {}, right: {}}}\n"
              "  left: {depends_on: {bottom: {}}}\n"
              "  right: {depends_on: {bottom: {}}}\n"
              "  bottom: {}\n", &g);
        ASSERT_INTEQ(wave(&g, "bottom"), 0);
        ASSERT_INTEQ(wave(&g, "left"), 1);
        ASSERT_INTEQ(wave(&g, "right"), 1);
        ASSERT_INTEQ(wave(&g, "top"), 2);
        ASSERT_INTEQ(g.n_waves, 3);
        ASSERT_STREQ(start_order(&g), "bottom left right top");
        cc_graph_free(&g);
}

TEST(wave_is_one_more_than_the_deepest_dependency)
{
        struct cc_graph g;
        build("services:\n"
              "  app: {depends_on: {db: {}, proxy: {}}}\n"
              "  proxy: {depends_on: {auth: {}}}\n"
              "  auth: {depends_on: {db: {}}}\n"
              "  db: {}\n", &g);
        ASSERT_INTEQ(wave(&g, "db"), 0);
        ASSERT_INTEQ(wave(&g, "auth"), 1);
        ASSERT_INTEQ(wave(&g, "proxy"), 2);
        ASSERT_INTEQ(wave(&g, "app"), 3);
        cc_graph_free(&g);
}

TEST(long_chain_has_one_wave_per_service)
{
        struct cc_buf y = {0};
        cc_buf_puts(&y, "services:\n");
        for (int i = 0; i < 12; i++) {
                if (i < 11)
                        cc_buf_printf(&y, "  s%d: {depends_on: {s%d: {condition: service_started}}}\n", i, i + 1);
                else
                        cc_buf_printf(&y, "  s%d: {image: x}\n", i);
        }
        struct cc_graph g;
        build(y.s, &g);
        ASSERT_INTEQ(g.n_waves, 12);
        ASSERT_INTEQ(wave(&g, "s0"), 11);
        ASSERT_INTEQ(wave(&g, "s11"), 0);
        ASSERT_STREQ(start_order(&g), "s11 s10 s9 s8 s7 s6 s5 s4 s3 s2 s1 s0");
        cc_graph_free(&g);
        cc_buf_free(&y);
}

/* A chain as long as a large project (each service depends on the next):
 * waves, order and the cycle search work without recursion. Not timed. */
TEST(very_long_chain_and_a_cycle_at_its_end)
{
        enum { N = 50000 };
        struct cc_buf y = {0};
        cc_buf_puts(&y, "services:\n");
        for (int i = 0; i < N; i++) {
                if (i < N - 1)
                        cc_buf_printf(&y, "  s%d: {depends_on: [s%d]}\n", i, i + 1);
                else
                        cc_buf_printf(&y, "  s%d: {image: x}\n", i);
        }
        struct cc_graph g;
        build(y.s, &g);
        ASSERT_INTEQ(g.n_waves, N);
        ASSERT_INTEQ(wave(&g, "s0"), N - 1);
        ASSERT_INTEQ(wave(&g, "s49999"), 0);
        size_t *idx = cc_xcalloc(N, sizeof(*idx));
        cc_graph_start_order(&g, idx);
        ASSERT_STREQ(g.names[idx[0]], "s49999");
        ASSERT_STREQ(g.names[idx[N - 1]], "s0");
        bool *sel = cc_xcalloc(N, sizeof(*sel));
        struct cc_strv names = {0};
        cc_strv_push(&names, "s1");
        cc_graph_select(&g, &names, false, sel);
        size_t count = 0;
        for (size_t i = 0; i < N; i++)
                count += sel[i];
        ASSERT_INTEQ(count, N - 1);
        ASSERT(!sel[cc_graph_index(&g, "s0")]);
        cc_strv_free(&names);
        free(sel);
        free(idx);
        cc_graph_free(&g);

        /* the last service depends on the first: one cycle through all */
        y.len = 0;
        cc_buf_puts(&y, "services:\n");
        for (int i = 0; i < N; i++)
                cc_buf_printf(&y, "  s%d: {depends_on: [s%d]}\n", i, (i + 1) % N);
        char *msg = build_err(y.s);
        ASSERT_CONTAINS(msg, "compose.yaml:2:21: dependency cycle");
        ASSERT_CONTAINS(msg, "dependency cycle detected: s0 -> s1 -> s2 -> s3 -> ");
        ASSERT_CONTAINS(msg, " -> s49998 -> s49999 -> s0");
        cc_buf_free(&y);
}

TEST(chain_declared_dependency_first_keeps_wave_order)
{
        struct cc_graph g;
        build("services:\n  a: {}\n  b: {depends_on: {a: {}}}\n  c: {depends_on: {b: {}}}\n  d: {}\n", &g);
        ASSERT_STREQ(start_order(&g), "a d b c");
        cc_graph_free(&g);
}

TEST(depends_on_short_list_form_is_accepted)
{
        struct cc_graph g;
        build("services:\n  web: {depends_on: [db]}\n  db: {}\n", &g);
        ASSERT(depends(&g, "web", "db"));
        ASSERT_INTEQ(wave(&g, "web"), 1);
        cc_graph_free(&g);
}

TEST(same_dependency_by_several_routes_is_one_edge)
{
        struct cc_graph g;
        build("services:\n  web: {depends_on: {db: {}}, links: ['db:database', db], volumes_from: [db]}\n  db: {}\n", &g);
        ASSERT(depends(&g, "web", "db"));
        ASSERT_INTEQ(g.n_waves, 2);
        cc_graph_free(&g);
}

/* ---- implicit dependencies ---- */

TEST(links_are_dependencies)
{
        struct cc_graph g;
        build("services:\n  web: {links: [db, 'cache:kv']}\n  db: {}\n  cache: {}\n", &g);
        ASSERT(depends(&g, "web", "db"));
        ASSERT(depends(&g, "web", "cache"));
        ASSERT_INTEQ(wave(&g, "web"), 1);
        cc_graph_free(&g);
}

TEST(network_mode_service_is_a_dependency)
{
        struct cc_graph g;
        build("services:\n  app: {network_mode: 'service:vpn'}\n  vpn: {}\n  h: {network_mode: host}\n"
              "  c: {network_mode: 'container:abc'}\n", &g);
        ASSERT(depends(&g, "app", "vpn"));
        ASSERT_INTEQ(wave(&g, "app"), 1);
        ASSERT_INTEQ(wave(&g, "h"), 0);
        ASSERT_INTEQ(wave(&g, "c"), 0);
        cc_graph_free(&g);
}

TEST(ipc_and_pid_service_are_dependencies)
{
        struct cc_graph g;
        build("services:\n  a: {ipc: 'service:b'}\n  b: {pid: 'service:c'}\n  c: {}\n", &g);
        ASSERT(depends(&g, "a", "b"));
        ASSERT(depends(&g, "b", "c"));
        ASSERT_INTEQ(wave(&g, "a"), 2);
        cc_graph_free(&g);
}

TEST(volumes_from_services_are_dependencies)
{
        struct cc_graph g;
        build("services:\n  app: {volumes_from: [data, 'logs:ro', 'service:conf', 'service:certs:rw', 'container:other']}\n"
              "  data: {}\n  logs: {}\n  conf: {}\n  certs: {}\n", &g);
        ASSERT(depends(&g, "app", "data"));
        ASSERT(depends(&g, "app", "logs"));
        ASSERT(depends(&g, "app", "conf"));
        ASSERT(depends(&g, "app", "certs"));
        ASSERT_INTEQ(wave(&g, "app"), 1);
        cc_graph_free(&g);
}

TEST(volumes_from_container_needs_no_service)
{
        struct cc_graph g;
        build("services:\n  app: {volumes_from: ['container:other:ro']}\n", &g);
        ASSERT_INTEQ(g.n_waves, 1);
        cc_graph_free(&g);
}

/* ---- unknown services ---- */

TEST(unknown_depends_on_names_file_line_column)
{
        ASSERT_STREQ(build_err("services:\n"
                               "  web:\n"
                               "    image: nginx\n"
                               "    depends_on:\n"
                               "      db:\n"
                               "        condition: service_started\n"
                               "      dbb:\n"
                               "        condition: service_started\n"
                               "  db:\n"
                               "    image: postgres\n"),
                     "compose.yaml:7:7: service \"web\" depends on undefined service \"dbb\": invalid compose project");
}

TEST(unknown_depends_on_in_list_form)
{
        ASSERT_STREQ(build_err("services:\n  web:\n    depends_on:\n      - dbb\n"),
                     "compose.yaml:4:9: service \"web\" depends on undefined service \"dbb\": invalid compose project");
}

TEST(optional_dependency_on_missing_service_is_ignored)
{
        struct cc_graph g;
        build("services:\n  web: {depends_on: {db: {condition: service_started, required: false}}}\n", &g);
        ASSERT_INTEQ(g.n, 1);
        ASSERT_INTEQ(wave(&g, "web"), 0);
        cc_graph_free(&g);
}

TEST(optional_dependency_on_existing_service_is_an_edge)
{
        struct cc_graph g;
        build("services:\n  web: {depends_on: {db: {required: false}}}\n  db: {}\n", &g);
        ASSERT(depends(&g, "web", "db"));
        cc_graph_free(&g);
}

TEST(with_disabled_optional_dependency_must_be_disabled_not_undefined)
{
        struct cc_error err = {0};
        struct cc_graph g;
        struct cc_strv disabled = {0};
        cc_strv_push(&disabled, "debug");
        struct cc_node *doc = parse("services:\n  web:\n    depends_on:\n      debug: {required: false}\n"
                                    "      typo: {required: false}\n");
        ASSERT(cc_graph_build_with_disabled(cc_node_map_get(doc, "services"), &disabled, &g, &err) < 0);
        ASSERT_STREQ(err.msg, "compose.yaml:5:7: service \"web\" depends on undefined service \"typo\": invalid compose project");
        cc_error_clear(&err);
        cc_node_map_del(cc_node_map_get(cc_node_map_get(cc_node_map_get(doc, "services"), "web"), "depends_on"), "typo");
        ASSERT_INTEQ(cc_graph_build_with_disabled(cc_node_map_get(doc, "services"), &disabled, &g, &err), 0);
        ASSERT_INTEQ(g.n_waves, 1);
        cc_graph_free(&g);
        cc_node_free(doc);
        cc_strv_free(&disabled);
}

TEST(with_disabled_required_dependency_on_disabled_service_is_an_error)
{
        struct cc_error err = {0};
        struct cc_graph g;
        struct cc_strv disabled = {0};
        cc_strv_push(&disabled, "db");
        struct cc_node *doc = parse("services:\n  web:\n    depends_on:\n      db: {required: true}\n");
        ASSERT(cc_graph_build_with_disabled(cc_node_map_get(doc, "services"), &disabled, &g, &err) < 0);
        ASSERT_STREQ(err.msg, "compose.yaml:4:7: service \"web\" depends on undefined service \"db\": invalid compose project");
        cc_node_free(doc);
        cc_strv_free(&disabled);
        cc_error_clear(&err);
}

TEST(unknown_link_is_an_error)
{
        ASSERT_STREQ(build_err("services:\n  web:\n    links:\n      - 'dbx:db'\n"),
                     "compose.yaml:4:9: service \"web\" depends on undefined service \"dbx\": invalid compose project");
}

TEST(unknown_network_mode_service_is_an_error)
{
        ASSERT_STREQ(build_err("services:\n  app:\n    network_mode: service:vpnn\n  vpn: {}\n"),
                     "compose.yaml:3:19: service \"app\" depends on undefined service \"vpnn\": invalid compose project");
}

TEST(unknown_volumes_from_service_is_an_error)
{
        ASSERT_STREQ(build_err("services:\n  app:\n    volumes_from:\n      - container:ok\n      - dataa:ro\n"),
                     "compose.yaml:5:9: service \"app\" depends on undefined service \"dataa\": invalid compose project");
}

TEST(services_not_a_mapping_is_an_error)
{
        ASSERT_STREQ(build_err("services: [web]\n"), "compose.yaml:1:11: services must be a mapping");
}

/* ---- cycles ---- */

TEST(self_dependency_is_a_cycle)
{
        ASSERT_STREQ(build_err("services:\n  service1:\n    depends_on:\n      - service1\n"),
                     "compose.yaml:4:9: dependency cycle detected: service1 -> service1");
}

TEST(two_service_cycle)
{
        ASSERT_STREQ(build_err("services:\n"
                               "  b:\n    depends_on: {a: {condition: service_started}}\n"
                               "  a:\n    depends_on: {b: {condition: service_started}}\n"),
                     "compose.yaml:5:18: dependency cycle detected: a -> b -> a");
}

TEST(three_service_cycle_starts_at_first_name)
{
        ASSERT_STREQ(build_err("services:\n"
                               "  c:\n    depends_on: [a]\n"
                               "  b:\n    depends_on: [c]\n"
                               "  a:\n    depends_on: [b]\n"),
                     "compose.yaml:7:18: dependency cycle detected: a -> b -> c -> a");
}

TEST(cycle_not_through_the_first_service_is_named_alone)
{
        ASSERT_STREQ(build_err("services:\n"
                               "  app:\n    depends_on: [queue]\n"
                               "  queue:\n    depends_on: [worker]\n"
                               "  worker:\n    depends_on: [queue]\n"),
                     "compose.yaml:5:18: dependency cycle detected: queue -> worker -> queue");
}

TEST(cycle_search_visits_dependencies_in_name_order)
{
        /* both z and c close a cycle with a; compose-go looks at c first */
        ASSERT_STREQ(build_err("services:\n"
                               "  z: {depends_on: [a]}\n  c: {depends_on: [a]}\n  a: {depends_on: [z, c]}\n"),
                     "compose.yaml:4:23: dependency cycle detected: a -> c -> a");
}

TEST(cycle_matches_compose_go_example)
{
        /* compose-go graph_test: A B / G C E / D / F plus B -> D */
        ASSERT_STREQ(build_err("services:\n"
                               "  A: {}\n  B: {depends_on: [D]}\n  C: {depends_on: [A, B]}\n  D: {depends_on: [C, E]}\n"
                               "  E: {depends_on: [B]}\n  F: {depends_on: [D]}\n  G: {depends_on: [A]}\n"),
                     "compose.yaml:3:20: dependency cycle detected: B -> D -> C -> B");
}

TEST(cycle_through_links_and_network_mode)
{
        ASSERT_STREQ(build_err("services:\n  a:\n    links: [b]\n  b:\n    network_mode: service:a\n"),
                     "compose.yaml:3:13: dependency cycle detected: a -> b -> a");
}

TEST(cycle_through_volumes_from)
{
        ASSERT_STREQ(build_err("services:\n  x:\n    volumes_from: ['y:ro']\n  y:\n    depends_on: [x]\n"),
                     "compose.yaml:3:20: dependency cycle detected: x -> y -> x");
}

TEST(acyclic_graph_with_shared_dependencies_is_not_a_cycle)
{
        struct cc_graph g;
        build("services:\n  a: {depends_on: [b, c]}\n  b: {depends_on: [c]}\n  c: {}\n", &g);
        ASSERT_INTEQ(g.n_waves, 3);
        cc_graph_free(&g);
}

/* ---- selection (up SERVICE...) ---- */

TEST(select_includes_dependencies_transitively)
{
        struct cc_graph g;
        build("services:\n  web: {depends_on: [api]}\n  api: {depends_on: [db]}\n  db: {}\n  other: {}\n", &g);
        ASSERT_STREQ(selection(&g, "web", false), "web api db");
        cc_graph_free(&g);
}

TEST(select_no_deps_is_only_the_named_services)
{
        struct cc_graph g;
        build("services:\n  web: {depends_on: [api]}\n  api: {depends_on: [db]}\n  db: {}\n  other: {}\n", &g);
        ASSERT_STREQ(selection(&g, "web", true), "web");
        ASSERT_STREQ(selection(&g, "web other", true), "web other");
        cc_graph_free(&g);
}

TEST(select_several_names_with_shared_dependencies)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_STREQ(selection(&g, "worker cache", false), "db cache worker");
        cc_graph_free(&g);
}

TEST(select_leaf_is_itself)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_STREQ(selection(&g, "db", false), "db");
        cc_graph_free(&g);
}

TEST(select_does_not_include_dependents)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_STREQ(selection(&g, "cache", false), "cache");
        cc_graph_free(&g);
}

TEST(select_unknown_name_selects_nothing)
{
        struct cc_graph g;
        build(web_stack, &g);
        ASSERT_STREQ(selection(&g, "nope", false), "");
        cc_graph_free(&g);
}

TEST(select_follows_implicit_dependencies)
{
        struct cc_graph g;
        build("services:\n  app: {network_mode: 'service:vpn', volumes_from: [data]}\n  vpn: {}\n  data: {}\n  x: {}\n", &g);
        ASSERT_STREQ(selection(&g, "app", false), "app vpn data");
        cc_graph_free(&g);
}

TEST(free_twice_is_harmless)
{
        struct cc_graph g;
        build(web_stack, &g);
        cc_graph_free(&g);
        ASSERT_INTEQ(g.n, 0);
        ASSERT_NULL(g.names);
        cc_graph_free(&g);
}
