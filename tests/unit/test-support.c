/* The table of what the engine does with each key (support.c): every key
 * the schema accepts is decided, every rule names a key the schema has,
 * and the warnings come out for a loaded project as `up` prints them. */
#include <unistd.h>

#include "loader.h"
#include "schema.h"
#include "support.h"
#include "tap.h"

struct walk {
        struct cc_strv paths;
        struct cc_strv undecided;
};

static void collect(const char *path, void *data)
{
        struct walk *w = data;
        cc_strv_push(&w->paths, path);
        if (!cc_support_decide(path))
                cc_strv_push(&w->undecided, path);
}

TEST(every_schema_key_is_decided)
{
        struct walk w = {0};
        cc_schema_walk(collect, &w);
        ASSERT(w.paths.n > 300);
        ASSERT(cc_strv_contains(&w.paths, "services.*.deploy.placement.constraints"));
        ASSERT(cc_strv_contains(&w.paths, "services.*.volumes[].bind.propagation"));
        ASSERT(cc_strv_contains(&w.paths, "networks.*.ipam.config[].aux_addresses"));
        if (w.undecided.n) {
                struct cc_buf b = {0};
                for (size_t i = 0; i < w.undecided.n; i++)
                        cc_buf_printf(&b, " %s", w.undecided.v[i]);
                tap_fail(__FILE__, __LINE__,
                         "%zu schema keys are neither supported nor warned about (add them to support.c):%s",
                         w.undecided.n, b.s);
        }
        cc_strv_free(&w.paths);
        cc_strv_free(&w.undecided);
}

/* A rule for a key the schema does not have (a typo, a key removed) would
 * decide nothing. */
TEST(every_rule_names_a_schema_key)
{
        struct walk w = {0};
        cc_schema_walk(collect, &w);
        size_t n;
        const struct cc_support_rule *rules = cc_support_rules(&n);
        for (size_t i = 0; i < n; i++) {
                if (!cc_strv_contains(&w.paths, rules[i].path))
                        tap_fail(__FILE__, __LINE__, "rule for \"%s\": no such key in the schema", rules[i].path);
                if (rules[i].support != CC_SUPPORTED && (!rules[i].reason || !*rules[i].reason))
                        tap_fail(__FILE__, __LINE__, "rule for \"%s\" warns without a reason", rules[i].path);
                if (rules[i].support == CC_PARTLY && !rules[i].ok)
                        tap_fail(__FILE__, __LINE__, "rule for \"%s\": partly supported, but no value is",
                                 rules[i].path);
                /* one rule per key: a second would never be read */
                ASSERT(cc_support_rule(rules[i].path) == &rules[i]);
        }
        cc_strv_free(&w.paths);
        cc_strv_free(&w.undecided);
}

TEST(unsupported_keys_decide_their_children)
{
        const struct cc_support_rule *r = cc_support_decide("services.*.deploy.placement.preferences[].spread");
        ASSERT_NOT_NULL(r);
        ASSERT_STREQ(r->path, "services.*.deploy.placement");
        ASSERT_INTEQ(r->support, CC_UNSUPPORTED);
        r = cc_support_decide("services.*.build.ulimits.nofile.soft");
        ASSERT_NOT_NULL(r);
        ASSERT_STREQ(r->path, "services.*.build.ulimits");
        /* a supported key decides only itself */
        ASSERT_NULL(cc_support_decide("services.*.healthcheck.no_such_key"));
        /* a prefix of a name is not an ancestor */
        ASSERT_STREQ(cc_support_decide("services.*.cpus")->path, "services.*.cpus");
        ASSERT_NULL(cc_support_decide("services.*.cpusx"));
}

static struct cc_project *load(const char *yaml)
{
        _cleanup_free_ char *dir = tap_tmpdir("support");
        _cleanup_free_ char *file = cc_path_join(dir, "compose.yaml");
        if (cc_write_file_atomic(file, yaml, strlen(yaml), 0644) < 0)
                tap_fail(__FILE__, __LINE__, "write %s", file);
        struct cc_env shell = {0};
        struct cc_load_options o = {.cwd = dir, .shell = &shell};
        struct cc_error err = {0};
        struct cc_project *p = NULL;
        int r = cc_project_load(&o, &p, &err);
        unlink(file);
        rmdir(dir);
        cc_env_free(&shell);
        if (r < 0)
                tap_fail(__FILE__, __LINE__, "load failed: %s", cc_error_msg(&err));
        return p;
}

static char *warnings(const struct cc_project *p, const struct cc_strv *services)
{
        struct cc_strv w = {0};
        cc_support_warnings(p, services, &w);
        struct cc_buf b = {0};
        cc_buf_puts(&b, "");
        for (size_t i = 0; i < w.n; i++)
                cc_buf_printf(&b, "%s\n", w.v[i]);
        cc_strv_free(&w);
        return cc_buf_steal(&b);
}

TEST(warnings_name_service_key_and_values)
{
        struct cc_project *p = load("services:\n"
                                    "  web:\n"
                                    "    image: busybox\n"
                                    "    deploy:\n"
                                    "      placement: {constraints: [node.role==manager]}\n"
                                    "      resources: {reservations: {devices: [{capabilities: [gpu]}]}}\n"
                                    "    logging: {driver: syslog, options: {max-size: 1m, tag: web, mode: x}}\n"
                                    "    security_opt: [no-new-privileges:true, label=disable]\n"
                                    "    volumes:\n"
                                    "      - {type: bind, source: /tmp, target: /a, bind: {propagation: rshared}}\n"
                                    "      - {type: bind, source: /tmp, target: /b, bind: {propagation: rshared}}\n"
                                    "    networks:\n"
                                    "      front: {link_local_ips: [169.254.1.1]}\n"
                                    "networks:\n"
                                    "  front:\n"
                                    "    driver_opts: {com.docker.network.driver.mtu: 1400, foo: bar}\n"
                                    "    attachable: true\n");
        _cleanup_free_ char *w = warnings(p, NULL);
        ASSERT_STREQ(w, "service web: deploy.resources.reservations.devices is not supported: no device (GPU) is "
                        "given to the container\n"
                        "service web: deploy.placement has no effect on a single host\n"
                        "service web: logging.driver \"syslog\" is not supported: logs are kept in json-file format\n"
                        "service web: logging.options \"mode\", \"tag\" is not supported\n"
                        "service web: networks.front.link_local_ips is not supported\n"
                        "service web: security_opt \"label=disable\" has no effect: ccompose applies no SELinux or "
                        "AppArmor profile\n"
                        "service web: volumes.bind.propagation \"rshared\" is not supported: bind mounts are "
                        "private\n"
                        "network front: driver_opts \"foo\" is not supported\n"
                        "network front: attachable has no effect on a single host\n");
        cc_project_free(p);
}

/* Keys there with values that mean nothing (defaults, false, empty) and
 * supported keys: no warning. */
TEST(no_warning_for_defaults_and_supported_keys)
{
        struct cc_project *p = load("services:\n"
                                    "  web:\n"
                                    "    image: busybox\n"
                                    "    tty: true\n"
                                    "    stdin_open: false\n"
                                    "    oom_kill_disable: false\n"
                                    "    ipc: private\n"
                                    "    labels: {}\n"
                                    "    devices: []\n"
                                    "    cpu_count: 0\n"
                                    "    logging: {driver: json-file, options: {max-size: 1m, max-file: '3'}}\n"
                                    "    deploy: {mode: replicated, replicas: 2, resources: {limits: {memory: 64m}}}\n"
                                    "    volumes: [{type: bind, source: /tmp, target: /a, bind: {propagation: rprivate}}]\n"
                                    "    security_opt: [no-new-privileges]\n"
                                    "    healthcheck: {test: [CMD, 'true'], interval: 1s}\n"
                                    "    ulimits: {nofile: 1024}\n"
                                    "    sysctls: {net.ipv4.ip_forward: 1}\n"
                                    "networks:\n"
                                    "  default: {driver_opts: {com.docker.network.driver.mtu: 1400}, attachable: false}\n"
                                    "volumes:\n"
                                    "  data: {driver: local}\n"
                                    "  bound: {driver_opts: {type: none, o: bind, device: /srv/data}}\n");
        _cleanup_free_ char *w = warnings(p, NULL);
        ASSERT_STREQ(w, "");
        cc_project_free(p);
}

/* up web: the warnings of web only; resources always. */
TEST(warnings_of_the_selected_services)
{
        struct cc_project *p = load("services:\n"
                                    "  web: {image: busybox, storage_opt: {size: 1G}}\n"
                                    "  db: {image: busybox, runtime: nvidia, models: [llm]}\n"
                                    "volumes:\n"
                                    "  data: {labels: {a: b}}\n"
                                    "models:\n"
                                    "  llm: {model: ai/smollm2}\n");
        struct cc_strv sel = {0};
        cc_strv_push(&sel, "db");
        _cleanup_free_ char *w = warnings(p, &sel);
        ASSERT_STREQ(w, "service db: models is not supported: ccompose runs no model runner\n"
                        "service db: runtime \"nvidia\" is not supported: ccompose runs containers itself\n"
                        "volume data: labels are not recorded\n");
        cc_strv_free(&sel);
        cc_project_free(p);
}

static void mark_rule(const struct cc_support_rule *r, const char *msg, void *data)
{
        (void) msg;
        size_t n;
        const struct cc_support_rule *rules = cc_support_rules(&n);
        ((bool *) data)[r - rules] = true;
}

/* The file the system test brings up (test-support-warnings.sh) sets
 * every key the table warns about: each warning is seen through the
 * binary there. */
TEST(system_test_file_sets_every_warned_key)
{
        struct cc_env shell = {0};
        cc_env_set(&shell, "HOME", "/home/tester");
        struct cc_load_options o = {.cwd = "../system/support-warnings", .shell = &shell};
        struct cc_error err = {0};
        struct cc_project *p = NULL;
        if (cc_project_load(&o, &p, &err) < 0)
                tap_fail(__FILE__, __LINE__, "load failed: %s", cc_error_msg(&err));
        size_t n;
        const struct cc_support_rule *rules = cc_support_rules(&n);
        bool *seen = cc_xcalloc(n, sizeof(bool));
        cc_support_check(p, NULL, mark_rule, seen);
        struct cc_buf b = {0};
        for (size_t i = 0; i < n; i++)
                /* the loader keeps no top-level models (services.*.models warns) */
                if (rules[i].support != CC_SUPPORTED && !seen[i] && !cc_streq(rules[i].path, "models"))
                        cc_buf_printf(&b, " %s", rules[i].path);
        if (b.len)
                tap_fail(__FILE__, __LINE__, "no warning from support-warnings/compose.yaml for:%s", b.s);
        free(seen);
        cc_project_free(p);
        cc_env_free(&shell);
}

TEST(local_bind_volume_device)
{
        struct cc_project *p = load("services:\n"
                                    "  web: {image: busybox}\n"
                                    "volumes:\n"
                                    "  a: {driver_opts: {type: none, o: bind, device: /srv/a}}\n"
                                    "  b: {driver_opts: {type: none, o: 'ro,bind', device: /srv/b}}\n"
                                    "  c: {driver_opts: {type: none, o: rbind, device: /srv/c}}\n"
                                    "  d: {driver_opts: {type: nfs, o: bind, device: /srv/d}}\n"
                                    "  e: {driver_opts: {type: none, o: bind, device: srv/e}}\n");
        const struct cc_node *vols = cc_node_map_get(p->model, "volumes");
        const char *want[] = {"/srv/a", "/srv/b", NULL, NULL, NULL};
        for (size_t i = 0; i < CC_ARRAY_SIZE(want); i++) {
                const char *key = (const char[][2]){"a", "b", "c", "d", "e"}[i];
                const char *got = cc_support_volume_device(cc_node_map_get(cc_node_map_get(vols, key), "driver_opts"));
                if (want[i])
                        ASSERT_STREQ(got, want[i]);
                else
                        ASSERT_NULL(got);
        }
        _cleanup_free_ char *w = warnings(p, NULL);
        ASSERT_CONTAINS(w, "volume c: driver_opts is not supported");
        ASSERT(!strstr(w, "volume a:") && !strstr(w, "volume b:"));
        cc_project_free(p);
}
