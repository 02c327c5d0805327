/* The loading pipeline as a library: files on disk in a temporary
 * directory, an explicit shell environment, and the resulting model. */
#include <errno.h>
#include <sys/stat.h>

#include "input.h"
#include "loader.h"
#include "tap.h"

static char *tmpdir(void)
{
        return tap_tmpdir("loader");
}

static void put(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *p = cc_path_join(dir, name);
        _cleanup_free_ char *d = cc_xstrdup(p);
        *strrchr(d, '/') = '\0';
        cc_mkdir_p(d, 0755);
        if (cc_write_file_atomic(p, text, strlen(text), 0644) < 0)
                tap_fail(__FILE__, __LINE__, "write %s", p);
}

struct fixture {
        char *dir;
        struct cc_env shell;
        struct cc_load_options o;
};

static void fx_free(struct fixture *f)
{
        _cleanup_free_ char *cmd = cc_xasprintf("rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", f->dir);
        free(f->dir);
        cc_env_free(&f->shell);
        cc_strv_free(&f->o.files);
        cc_strv_free(&f->o.profiles);
}
#define _cleanup_fixture_ __attribute__((cleanup(fx_free)))

static void fx_init(struct fixture *f)
{
        memset(f, 0, sizeof(*f));
        f->dir = tmpdir();
        cc_env_set(&f->shell, "HOME", "/home/tester");
        f->o.cwd = f->dir;
        f->o.shell = &f->shell;
}

static struct cc_project *load_ok(struct fixture *f)
{
        struct cc_error err = {0};
        struct cc_project *p = NULL;
        if (cc_project_load(&f->o, &p, &err) < 0)
                tap_fail(__FILE__, __LINE__, "load failed: %s", cc_error_msg(&err));
        return p;
}

/* dir/name: head, then '#' comment lines up to exactly size bytes. */
static void put_sized(const char *dir, const char *name, const char *head, size_t size)
{
        _cleanup_free_ char *p = cc_path_join(dir, name);
        FILE *fp = fopen(p, "we");
        if (!fp)
                tap_fail(__FILE__, __LINE__, "open %s", p);
        static char line[4096];
        memset(line, '#', sizeof(line) - 1);
        line[sizeof(line) - 1] = '\n';
        size_t done = strlen(head);
        fputs(head, fp);
        while (done < size) {
                size_t n = size - done < sizeof(line) ? size - done : sizeof(line);
                if (n < sizeof(line)) /* the last line still ends the file */
                        line[n - 1] = '\n';
                fwrite(line, 1, n, fp);
                done += n;
        }
        if (fclose(fp) != 0)
                tap_fail(__FILE__, __LINE__, "write %s", p);
}

/* The error message of a failing load (kept in a static buffer). */
static const char *load_err(struct fixture *f)
{
        static char msg[4096];
        struct cc_error err = {0};
        struct cc_project *p = NULL;
        if (cc_project_load(&f->o, &p, &err) >= 0)
                tap_fail(__FILE__, __LINE__, "load unexpectedly succeeded");
        snprintf(msg, sizeof(msg), "%s", cc_error_msg(&err));
        cc_error_clear(&err);
        return msg;
}

/* JSON of services.svc.key (kept in a static buffer). */
static const char *svc_json(struct cc_project *p, const char *svc, const char *key)
{
        static char out[8192];
        struct cc_buf b = {0};
        struct cc_node *s = cc_node_map_get(cc_project_services(p), svc);
        cc_emit_json(&b, key ? cc_node_map_get(s, key) : s, 0);
        snprintf(out, sizeof(out), "%s", b.s);
        cc_buf_free(&b);
        return out;
}

TEST(project_name_normalisation)
{
        static const char *const cases[][2] = {
                {"My App.v2", "myappv2"}, {"__x__", "x__"}, {"Web_Shop-1", "web_shop-1"}, {"...", ""}};
        for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *got = cc_project_name_normalize(cases[i][0]);
                ASSERT_STREQ(got, cases[i][1]);
        }
}

TEST(discovers_file_and_names_project_after_directory)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: nginx\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        const char *base = strrchr(f.dir, '/') + 1;
        _cleanup_free_ char *want = cc_project_name_normalize(base);
        ASSERT_STREQ(p->name, want);
        ASSERT_STREQ(p->workdir, f.dir);
        ASSERT_INTEQ(p->files.n, 1);
}

TEST(hash_is_stable_and_tracks_configuration)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "h";
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: nginx:1\n    ports: ['80:80']\n");
        _cleanup_project_ struct cc_project *a = load_ok(&f);
        _cleanup_project_ struct cc_project *b = load_ok(&f);
        _cleanup_free_ char *ha = cc_project_service_hash(a, "web");
        _cleanup_free_ char *hb = cc_project_service_hash(b, "web");
        ASSERT_INTEQ(strlen(ha), 64);
        ASSERT_STREQ(ha, hb);
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: nginx:2\n    ports: ['80:80']\n");
        _cleanup_project_ struct cc_project *c = load_ok(&f);
        _cleanup_free_ char *hc = cc_project_service_hash(c, "web");
        ASSERT(strcmp(ha, hc) != 0);
        ASSERT_NULL(cc_project_service_hash(c, "nope"));
}

TEST(hash_ignores_replicas_and_pull_policy)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "h";
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 1\n");
        _cleanup_project_ struct cc_project *a = load_ok(&f);
        put(f.dir, "compose.yaml",
            "services:\n  web:\n    image: nginx\n    pull_policy: always\n    deploy:\n      replicas: 4\n");
        _cleanup_project_ struct cc_project *b = load_ok(&f);
        _cleanup_free_ char *ha = cc_project_service_hash(a, "web");
        _cleanup_free_ char *hb = cc_project_service_hash(b, "web");
        ASSERT_STREQ(ha, hb);
}

TEST(short_syntax_equals_long_syntax_hash)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "h";
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n"
                                   "    environment: [A=1]\n");
        _cleanup_project_ struct cc_project *a = load_ok(&f);
        put(f.dir, "compose.yaml",
            "services:\n  web:\n    image: nginx\n    environment:\n      A: '1'\n    ports:\n"
            "      - target: 80\n        published: '8080'\n");
        _cleanup_project_ struct cc_project *b = load_ok(&f);
        _cleanup_free_ char *ha = cc_project_service_hash(a, "web");
        _cleanup_free_ char *hb = cc_project_service_hash(b, "web");
        ASSERT_STREQ(ha, hb);
}

TEST(graph_waves_follow_dependencies)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "g";
        put(f.dir, "compose.yaml",
            "services:\n"
            "  web:\n    image: w\n    depends_on: [api, cache]\n"
            "  api:\n    image: a\n    depends_on:\n      db:\n        condition: service_healthy\n"
            "  db:\n    image: d\n"
            "  cache:\n    image: c\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_INTEQ(p->graph.n, 4);
        ASSERT_INTEQ(p->graph.n_waves, 3);
        ASSERT_INTEQ(p->graph.wave[cc_graph_index(&p->graph, "db")], 0);
        ASSERT_INTEQ(p->graph.wave[cc_graph_index(&p->graph, "cache")], 0);
        ASSERT_INTEQ(p->graph.wave[cc_graph_index(&p->graph, "api")], 1);
        ASSERT_INTEQ(p->graph.wave[cc_graph_index(&p->graph, "web")], 2);
        size_t order[4];
        cc_graph_start_order(&p->graph, order);
        ASSERT_STREQ(p->graph.names[order[3]], "web");
}

TEST(profiles_leave_disabled_services_out)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "p";
        put(f.dir, "compose.yaml",
            "services:\n  web:\n    image: w\n  dbg:\n    image: d\n    profiles: [debug]\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_NULL(cc_node_map_get(cc_project_services(p), "dbg"));
        ASSERT_INTEQ(p->disabled.n, 1);
        ASSERT_STREQ(p->disabled.v[0], "dbg");
        cc_strv_push(&f.o.profiles, "debug");
        _cleanup_project_ struct cc_project *q = load_ok(&f);
        ASSERT_NOT_NULL(cc_node_map_get(cc_project_services(q), "dbg"));
}

TEST(compose_profiles_env_used_without_flag)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "p";
        cc_env_set(&f.shell, "COMPOSE_PROFILES", "a, b");
        put(f.dir, "compose.yaml",
            "services:\n  x:\n    image: w\n    profiles: [b]\n  y:\n    image: w\n    profiles: [c]\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_INTEQ(p->profiles.n, 2);
        ASSERT_STREQ(p->profiles.v[1], "b");
        ASSERT_NOT_NULL(cc_node_map_get(cc_project_services(p), "x"));
        ASSERT_NULL(cc_node_map_get(cc_project_services(p), "y"));
}

TEST(override_file_found_next_to_main_file)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "o";
        put(f.dir, "docker-compose.yml", "services:\n  web:\n    image: a\n");
        put(f.dir, "docker-compose.override.yml", "services:\n  web:\n    image: b\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_INTEQ(p->files.n, 2);
        ASSERT_STREQ(svc_json(p, "web", "image"), "\"b\"");
}

TEST(discovery_walks_up_to_parent)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "o";
        put(f.dir, "compose.yml", "services:\n  web:\n    image: a\n");
        put(f.dir, "x/y/keep", "");
        _cleanup_free_ char *sub = cc_path_join(f.dir, "x/y");
        f.o.cwd = sub;
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_STREQ(p->workdir, f.dir);
}

TEST(no_file_anywhere_is_an_error)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        ASSERT_CONTAINS(load_err(&f), "no configuration file provided");
}

TEST(stdin_file_uses_working_directory)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        cc_strv_push(&f.o.files, "-");
        f.o.stdin_data = "name: s\nservices:\n  web:\n    image: a\n    volumes: ['./d:/d']\n";
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_STREQ(p->name, "s");
        _cleanup_free_ char *want = cc_xasprintf("\"%s/d\"", f.dir);
        struct cc_node *v = cc_node_map_get(cc_node_map_get(cc_project_services(p), "web"), "volumes");
        struct cc_buf b __attribute__((cleanup(cc_buf_free))) = {0};
        cc_emit_json(&b, cc_node_map_get(v->items[0], "source"), 0);
        ASSERT_STREQ(b.s, want);
}

TEST(dotenv_feeds_interpolation_but_shell_wins)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "e";
        put(f.dir, ".env", "A=dot\nB=dot\n");
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: \"i:${A}-${B}\"\n");
        cc_env_set(&f.shell, "B", "shell");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_STREQ(svc_json(p, "web", "image"), "\"i:dot-shell\"");
        ASSERT_STREQ(cc_env_get(&p->env, "A"), "dot");
}

TEST(compose_file_env_selects_files)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "cf";
        put(f.dir, "one.yaml", "services:\n  web:\n    image: a\n");
        put(f.dir, "two.yaml", "services:\n  web:\n    image: b\n");
        cc_env_set(&f.shell, "COMPOSE_FILE", "one.yaml:two.yaml");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_INTEQ(p->files.n, 2);
        ASSERT_STREQ(svc_json(p, "web", "image"), "\"b\"");
}

TEST(include_cycle_is_an_error)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "ic";
        put(f.dir, "compose.yaml", "include: [a.yaml]\nservices:\n  web:\n    image: a\n");
        put(f.dir, "a.yaml", "include: [b.yaml]\nservices:\n  x:\n    image: a\n");
        put(f.dir, "b.yaml", "include: [a.yaml]\nservices:\n  y:\n    image: a\n");
        ASSERT_CONTAINS(load_err(&f), "include cycle");
}

TEST(extends_keeps_own_values_over_base)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "ex";
        put(f.dir, "compose.yaml",
            "services:\n  base:\n    image: b\n    restart: always\n    cap_add: [NET_ADMIN]\n"
            "  web:\n    extends: base\n    restart: 'no'\n    cap_add: [SYS_TIME]\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_STREQ(svc_json(p, "web", "restart"), "\"no\"");
        ASSERT_STREQ(svc_json(p, "web", "cap_add"), "[\"NET_ADMIN\",\"SYS_TIME\"]");
        ASSERT_STREQ(svc_json(p, "web", "image"), "\"b\"");
}

TEST(default_network_only_when_used)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "n";
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: a\n    network_mode: host\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_NULL(cc_node_map_get(p->model, "networks"));
        ASSERT_STREQ(svc_json(p, "web", "networks"), "null");
}

TEST(model_top_level_order_is_docker_compose_order)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "ord";
        put(f.dir, "compose.yaml",
            "volumes:\n  v: {}\nx-top: 1\nnetworks:\n  n: {}\nservices:\n  web:\n    image: a\n    networks: [n]\n"
            "    volumes: ['v:/v']\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        ASSERT_STREQ(cc_node_key(p->model, 0), "name");
        ASSERT_STREQ(cc_node_key(p->model, 1), "services");
        ASSERT_STREQ(cc_node_key(p->model, 2), "networks");
        ASSERT_STREQ(cc_node_key(p->model, 3), "volumes");
        ASSERT_STREQ(cc_node_key(p->model, 4), "x-top");
}

TEST(errors_from_second_file_name_that_file)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "ef";
        put(f.dir, "a.yaml", "services:\n  web:\n    image: a\n");
        put(f.dir, "b.yaml", "services:\n  web:\n    imag: b\n");
        cc_strv_push(&f.o.files, "a.yaml");
        cc_strv_push(&f.o.files, "b.yaml");
        const char *m = load_err(&f);
        ASSERT_CONTAINS(m, "b.yaml:3:5");
        ASSERT_CONTAINS(m, "imag");
}

TEST(secret_file_resolved_against_project_directory)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "s";
        put(f.dir, "compose.yaml",
            "services:\n  db:\n    image: a\n    secrets: [pw]\nsecrets:\n  pw:\n    file: ./pw.txt\n");
        _cleanup_project_ struct cc_project *p = load_ok(&f);
        struct cc_node *pw = cc_node_map_get(cc_node_map_get(p->model, "secrets"), "pw");
        _cleanup_free_ char *want = cc_xasprintf("%s/pw.txt", f.dir);
        ASSERT_STREQ(cc_node_map_str(pw, "file"), want);
        ASSERT_STREQ(cc_node_map_str(pw, "name"), "s_pw");
}

TEST(compose_file_from_endless_device_is_refused_at_the_limit)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        cc_strv_push(&f.o.files, "/dev/zero");
        const char *msg = load_err(&f);
        ASSERT_CONTAINS(msg, "compose file /dev/zero is larger than 16 MiB");
}

TEST(compose_file_over_the_limit_is_refused_at_the_limit_it_loads)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "big";
        const char *head = "services:\n  web:\n    image: a\n";
        put_sized(f.dir, "compose.yaml", head, CC_INPUT_MAX_SIZE);
        {
                _cleanup_project_ struct cc_project *p = load_ok(&f);
                ASSERT_STREQ(svc_json(p, "web", "image"), "\"a\"");
        }
        put_sized(f.dir, "compose.yaml", head, CC_INPUT_MAX_SIZE + 1);
        _cleanup_free_ char *path = cc_path_join(f.dir, "compose.yaml");
        _cleanup_free_ char *want = cc_xasprintf("compose file %s is larger than 16 MiB", path);
        ASSERT_CONTAINS(load_err(&f), want);
}

TEST(dotenv_over_the_limit_is_refused)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "big";
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: a\n");
        put_sized(f.dir, ".env", "A=1\n", CC_INPUT_MAX_SIZE + 1);
        _cleanup_free_ char *path = cc_path_join(f.dir, ".env");
        _cleanup_free_ char *want = cc_xasprintf("env file %s is larger than 16 MiB (16777216 bytes)", path);
        ASSERT_CONTAINS(load_err(&f), want);
}

TEST(env_file_over_the_limit_is_refused)
{
        _cleanup_fixture_ struct fixture f;
        fx_init(&f);
        f.o.project_name = "big";
        put(f.dir, "compose.yaml", "services:\n  web:\n    image: a\n    env_file: big.env\n");
        put_sized(f.dir, "big.env", "A=1\n", CC_INPUT_MAX_SIZE + 1);
        _cleanup_free_ char *path = cc_path_join(f.dir, "big.env");
        _cleanup_free_ char *want = cc_xasprintf("env file %s is larger than 16 MiB", path);
        ASSERT_CONTAINS(load_err(&f), want);
}
