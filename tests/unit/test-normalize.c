/* normalize: every expectation is what `docker compose config --format
 * json` prints for the service (compose-go v2 semantics), or the exact
 * error text with file:line:col and the service name. */
#include <errno.h>

#include "normalize.h"
#include "tap.h"

/* The environment docker compose would resolve bare keys from. Filled by
 * hand so the test does not depend on env.c. */
static char *env_keys[] = {(char *) "FOO", (char *) "EMPTY", (char *) "DECLARED"};
static char *env_vals[] = {(char *) "bar", (char *) "", NULL};
static const struct cc_env test_env = {3, 3, env_keys, env_vals};
static const struct cc_norm_ctx ctx = {"proj", "/proj", "/home/u", &test_env};

enum stage { PER_FILE, FINISH, TWICE, JSON };

/* The service "web" of a document ("services: web: ...") or the document
 * itself when it has no services key. */
static struct cc_node *service_of(struct cc_node *root)
{
        struct cc_node *s = cc_node_map_get(cc_node_map_get(root, "services"), "web");
        return s ? s : root;
}

static char *to_json(const struct cc_node *n)
{
        struct cc_buf b = {0};
        cc_emit_json(&b, n, 0);
        return cc_buf_steal(&b);
}

/* Normalise and return the JSON of service[key] (the whole service when
 * key is NULL; "(missing)" when the key is absent), or the error text. */
static char *run(const char *file, int line, const char *y, const char *key, enum stage stage, bool *failed)
{
        struct cc_error err = {0};
        struct cc_node *root = NULL;
        if (cc_yaml_parse(y, strlen(y), "compose.yaml", &root, &err) < 0)
                tap_fail(file, line, "fixture does not parse: %s", cc_error_msg(&err));
        struct cc_node *svc = service_of(root);
        int r = cc_normalize_service(svc, "web", &ctx, &err);
        if (r >= 0 && stage == TWICE)
                r = cc_normalize_service(svc, "web", &ctx, &err);
        if (r >= 0 && (stage == FINISH || stage == JSON))
                r = cc_normalize_service_finish(svc, "web", &ctx, &err);
        if (r >= 0 && stage == JSON)
                cc_norm_json_structs(svc);
        char *out;
        *failed = r < 0;
        if (r < 0) {
                if (r != err.code)
                        tap_fail(file, line, "returned %d but err.code is %d", r, err.code);
                out = cc_xstrdup(cc_error_msg(&err));
        } else {
                struct cc_node *v = key ? cc_node_map_get(svc, key) : svc;
                out = v ? to_json(v) : cc_xstrdup("(missing)");
        }
        cc_error_clear(&err);
        cc_node_free(root);
        return out;
}

static void check(const char *file, int line, const char *y, const char *key, enum stage stage, const char *want)
{
        bool failed;
        char *got = run(file, line, y, key, stage, &failed);
        if (failed)
                tap_fail(file, line, "unexpected error: %s", got);
        if (strcmp(got, want) != 0)
                tap_fail(file, line, "\n#   got:  %s\n#   want: %s", got, want);
        free(got);
}

static void check_err(const char *file, int line, const char *y, const char *want)
{
        bool failed;
        char *got = run(file, line, y, NULL, PER_FILE, &failed);
        if (!failed)
                tap_fail(file, line, "expected error \"%s\", got success: %s", want, got);
        if (strcmp(got, want) != 0)
                tap_fail(file, line, "\n#   got error:  %s\n#   want error: %s", got, want);
        free(got);
}

#define EXPECT(y, key, want) check(__FILE__, __LINE__, y, key, PER_FILE, want)
#define EXPECT_FIN(y, key, want) check(__FILE__, __LINE__, y, key, FINISH, want)
/* finish, then shaped for JSON output (cc_norm_json_structs) */
#define EXPECT_JSON(y, key, want) check(__FILE__, __LINE__, y, key, JSON, want)
#define EXPECT_ERR(y, want) check_err(__FILE__, __LINE__, y, want)

/* A service document whose first key line is line 3, indented 4. */
#define SVC "services:\n  web:\n"

/* ---------------------------------------------------------------- ports */

#define P(target, published, proto) \
        "{\"mode\":\"ingress\",\"target\":" #target ",\"published\":\"" published "\",\"protocol\":\"" proto "\"}"
#define P0(target, proto) "{\"mode\":\"ingress\",\"target\":" #target ",\"protocol\":\"" proto "\"}"

TEST(port_short_host_container)
{
        EXPECT("ports: ['8080:80']", "ports", "[" P(80, "8080", "tcp") "]");
}

TEST(port_short_with_host_ip)
{
        EXPECT("ports: ['127.0.0.1:8080:80']", "ports",
               "[{\"mode\":\"ingress\",\"host_ip\":\"127.0.0.1\",\"target\":80,\"published\":\"8080\","
               "\"protocol\":\"tcp\"}]");
}

TEST(port_short_udp)
{
        EXPECT("ports: ['8080:80/udp']", "ports", "[" P(80, "8080", "udp") "]");
}

TEST(port_short_protocol_is_lowercased)
{
        EXPECT("ports: ['53:53/UDP', '80/sctp']", "ports", "[" P(53, "53", "udp") "," P0(80, "sctp") "]");
}

TEST(port_container_only_string_and_number)
{
        EXPECT("ports: ['80', 81]", "ports", "[" P0(80, "tcp") "," P0(81, "tcp") "]");
}

TEST(port_container_range_expands)
{
        EXPECT("ports: ['3000-3002']", "ports", "[" P0(3000, "tcp") "," P0(3001, "tcp") "," P0(3002, "tcp") "]");
}

TEST(port_ranges_map_one_to_one)
{
        EXPECT("ports: ['9090-9091:8080-8081']", "ports", "[" P(8080, "9090", "tcp") "," P(8081, "9091", "tcp") "]");
}

TEST(port_host_range_for_single_container_port_is_kept_as_range)
{
        EXPECT("ports: ['8000-8010:80']", "ports", "[" P(80, "8000-8010", "tcp") "]");
}

TEST(port_range_entries_sorted_as_strings_like_compose_go)
{
        EXPECT("ports: ['9998-10001']", "ports",
               "[" P0(10000, "tcp") "," P0(10001, "tcp") "," P0(9998, "tcp") "," P0(9999, "tcp") "]");
}

TEST(port_ipv6_host_ip_in_brackets)
{
        EXPECT("ports: ['[::1]:8080:80']", "ports",
               "[{\"mode\":\"ingress\",\"host_ip\":\"::1\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]");
}

TEST(port_ipv6_host_ip_without_brackets)
{
        EXPECT("ports: ['::1:8080:80']", "ports",
               "[{\"mode\":\"ingress\",\"host_ip\":\"::1\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]");
}

TEST(port_ephemeral_host_port_with_ip)
{
        EXPECT("ports: ['127.0.0.1::80']", "ports",
               "[{\"mode\":\"ingress\",\"host_ip\":\"127.0.0.1\",\"target\":80,\"protocol\":\"tcp\"}]");
}

TEST(port_unquoted_sexagesimal_looking_is_a_string)
{
        EXPECT("ports:\n  - 49100:22\n", "ports", "[" P(22, "49100", "tcp") "]");
}

TEST(port_long_syntax_gets_defaults_and_string_published)
{
        EXPECT("ports: [{target: 80, published: 8080}]", "ports", "[" P(80, "8080", "tcp") "]");
}

TEST(port_long_syntax_key_order)
{
        EXPECT("ports:\n  - app_protocol: http\n    protocol: udp\n    published: '8080'\n    target: 80\n"
               "    host_ip: 0.0.0.0\n    mode: host\n    name: web\n",
               "ports",
               "[{\"name\":\"web\",\"mode\":\"host\",\"host_ip\":\"0.0.0.0\",\"target\":80,\"published\":\"8080\","
               "\"protocol\":\"udp\",\"app_protocol\":\"http\"}]");
}

TEST(port_long_syntax_string_target_and_range)
{
        EXPECT("ports: [{target: '80', published: 8000-8001}]", "ports", "[" P(80, "8000-8001", "tcp") "]");
}

TEST(port_long_syntax_extension_keys_follow)
{
        EXPECT("ports: [{x-note: hi, target: 80}]", "ports",
               "[{\"mode\":\"ingress\",\"target\":80,\"protocol\":\"tcp\",\"x-note\":\"hi\"}]");
}

TEST(port_long_zero_values_dropped_in_the_end)
{
        EXPECT_FIN("ports: [{target: 80, published: '', host_ip: ''}]", "ports", "[" P0(80, "tcp") "]");
}

TEST(port_host_out_of_range_is_an_error)
{
        EXPECT_ERR(SVC "    ports:\n      - '8080:80'\n      - '99999:80'\n",
                   "compose.yaml:5:9: service web: invalid port \"99999:80\": port 99999 out of range");
}

TEST(port_container_out_of_range_is_an_error)
{
        EXPECT_ERR(SVC "    ports: ['80:70000']\n",
                   "compose.yaml:3:13: service web: invalid port \"80:70000\": port 70000 out of range");
}

TEST(port_number_out_of_range_is_an_error)
{
        EXPECT_ERR(SVC "    ports: [65536]\n",
                   "compose.yaml:3:13: service web: invalid port \"65536\": port 65536 out of range");
}

TEST(port_non_numeric_host_is_an_error)
{
        EXPECT_ERR(SVC "    ports: ['abc:80']\n",
                   "compose.yaml:3:13: service web: invalid port \"abc:80\": invalid hostPort: abc");
}

TEST(port_non_numeric_container_is_an_error)
{
        EXPECT_ERR(SVC "    ports: ['80:http']\n",
                   "compose.yaml:3:13: service web: invalid port \"80:http\": invalid containerPort: http");
}

TEST(port_mismatched_ranges_are_an_error)
{
        EXPECT_ERR(SVC "    ports: ['8000-8001:80-82']\n",
                   "compose.yaml:3:13: service web: invalid port \"8000-8001:80-82\": invalid ranges specified for "
                   "container and host Ports: 80-82 and 8000-8001");
}

TEST(port_reversed_range_is_an_error)
{
        EXPECT_ERR(SVC "    ports: ['90-80']\n",
                   "compose.yaml:3:13: service web: invalid port \"90-80\": invalid range specified for port: 90-80");
}

TEST(port_unknown_protocol_is_an_error)
{
        EXPECT_ERR(SVC "    ports: ['80/quic']\n",
                   "compose.yaml:3:13: service web: invalid port \"80/quic\": invalid proto: quic");
}

TEST(port_bad_ip_is_an_error)
{
        EXPECT_ERR(SVC "    ports: ['localhost:80:80']\n",
                   "compose.yaml:3:13: service web: invalid port \"localhost:80:80\": invalid IP address: localhost");
}

TEST(port_missing_container_port_is_an_error)
{
        EXPECT_ERR(SVC "    ports: ['8080:']\n",
                   "compose.yaml:3:13: service web: invalid port \"8080:\": no port specified");
}

TEST(port_long_bad_target_is_an_error)
{
        EXPECT_ERR(SVC "    ports:\n      - target: http\n",
                   "compose.yaml:4:17: service web: invalid port target \"http\"");
}

/* --------------------------------------------------------------- expose */

TEST(expose_items_become_strings)
{
        EXPECT("expose: [3306, '8080', 9000-9001, 0x10]", "expose", "[\"3306\",\"8080\",\"9000-9001\",\"16\"]");
}

/* -------------------------------------------------------------- volumes */

TEST(volume_named)
{
        EXPECT("volumes: ['db-data:/var/lib/mysql']", "volumes",
               "[{\"type\":\"volume\",\"source\":\"db-data\",\"target\":\"/var/lib/mysql\",\"volume\":{}}]");
}

TEST(volume_relative_bind_read_only)
{
        EXPECT("volumes: ['./data:/data:ro']", "volumes",
               "[{\"type\":\"bind\",\"source\":\"/proj/data\",\"target\":\"/data\",\"read_only\":true,"
               "\"bind\":{\"create_host_path\":true}}]");
}

TEST(volume_absolute_bind_rw)
{
        EXPECT("volumes: ['/abs//dir:/x:rw']", "volumes",
               "[{\"type\":\"bind\",\"source\":\"/abs//dir\",\"target\":\"/x\",\"bind\":{\"create_host_path\":true}}]");
}

TEST(volume_home_bind)
{
        EXPECT("volumes: ['~/x:/y']", "volumes",
               "[{\"type\":\"bind\",\"source\":\"/home/u/x\",\"target\":\"/y\",\"bind\":{\"create_host_path\":true}}]");
}

TEST(volume_dot_and_parent_binds_are_cleaned)
{
        EXPECT("volumes: ['.:/app', '../up/./x:/x']", "volumes",
               "[{\"type\":\"bind\",\"source\":\"/proj\",\"target\":\"/app\",\"bind\":{\"create_host_path\":true}},"
               "{\"type\":\"bind\",\"source\":\"/up/x\",\"target\":\"/x\",\"bind\":{\"create_host_path\":true}}]");
}

TEST(volume_anonymous)
{
        EXPECT("volumes: ['/only-target']", "volumes", "[{\"type\":\"volume\",\"target\":\"/only-target\",\"volume\":{}}]");
}

TEST(volume_target_is_cleaned)
{
        EXPECT("volumes: ['/data/', 'vol:/srv/app/../www/']", "volumes",
               "[{\"type\":\"volume\",\"target\":\"/data\",\"volume\":{}},"
               "{\"type\":\"volume\",\"source\":\"vol\",\"target\":\"/srv/www\",\"volume\":{}}]");
}

TEST(volume_two_character_spec_has_no_volume_options)
{
        EXPECT("volumes: ['/a']", "volumes", "[{\"type\":\"volume\",\"target\":\"/a\"}]");
}

TEST(volume_named_with_selinux_option)
{
        EXPECT("volumes: ['src:/dst:ro,z']", "volumes",
               "[{\"type\":\"volume\",\"source\":\"src\",\"target\":\"/dst\",\"read_only\":true,"
               "\"bind\":{\"selinux\":\"z\"},\"volume\":{}}]");
}

TEST(volume_bind_propagation_and_private_label)
{
        EXPECT("volumes: ['./a:/b:Z,rshared']", "volumes",
               "[{\"type\":\"bind\",\"source\":\"/proj/a\",\"target\":\"/b\","
               "\"bind\":{\"selinux\":\"Z\",\"propagation\":\"rshared\",\"create_host_path\":true}}]");
}

TEST(volume_nocopy_and_unknown_options)
{
        EXPECT("volumes: ['data:/x:nocopy,bogus,rw']", "volumes",
               "[{\"type\":\"volume\",\"source\":\"data\",\"target\":\"/x\",\"volume\":{\"nocopy\":true}}]");
}

TEST(volume_variable_with_colon_is_one_field)
{
        EXPECT("volumes: ['${A:-x}:/y']", "volumes",
               "[{\"type\":\"volume\",\"source\":\"${A:-x}\",\"target\":\"/y\",\"volume\":{}}]");
}

TEST(volume_windows_drive_source_is_a_bind_kept_as_is)
{
        EXPECT("volumes: ['C:\\data:/data']", "volumes",
               "[{\"type\":\"bind\",\"source\":\"C:\\\\data\",\"target\":\"/data\",\"bind\":{\"create_host_path\":true}}]");
}

/* compose-go reads a one-letter source followed by ':' as a Windows drive. */
TEST(volume_one_letter_source_is_read_as_a_drive_like_compose_go)
{
        EXPECT("volumes: ['v:/data']", "volumes", "[{\"type\":\"volume\",\"target\":\"v:/data\",\"volume\":{}}]");
        EXPECT("volumes: ['d:/x:ro']", "volumes",
               "[{\"type\":\"bind\",\"source\":\"d:/x\",\"target\":\"ro\",\"bind\":{\"create_host_path\":true}}]");
}

TEST(volume_too_many_colons_is_an_error)
{
        EXPECT_ERR(SVC "    volumes:\n      - ab:/b:ro:x\n",
                   "compose.yaml:4:9: service web: invalid volume \"ab:/b:ro:x\": too many colons");
}

TEST(volume_empty_section_is_an_error)
{
        EXPECT_ERR(SVC "    volumes: ['ab::/b']\n",
                   "compose.yaml:3:15: service web: invalid volume \"ab::/b\": empty section between colons");
}

TEST(volume_empty_spec_is_an_error)
{
        EXPECT_ERR(SVC "    volumes: ['']\n",
                   "compose.yaml:3:15: service web: invalid volume \"\": invalid empty volume spec");
}

TEST(volume_long_bind_source_resolved_without_bind_defaults)
{
        EXPECT("volumes: [{type: bind, source: ./src, target: /dst}]", "volumes",
               "[{\"type\":\"bind\",\"source\":\"/proj/src\",\"target\":\"/dst\"}]");
}

TEST(volume_long_bind_options_get_create_host_path)
{
        EXPECT("volumes: [{type: bind, source: /s, target: /d, bind: {propagation: rprivate}}]", "volumes",
               "[{\"type\":\"bind\",\"source\":\"/s\",\"target\":\"/d\","
               "\"bind\":{\"propagation\":\"rprivate\",\"create_host_path\":true}}]");
}

/* create_host_path is compose-go's OptOut: printed only when false. */
TEST(volume_long_create_host_path_true_is_omitted_in_the_end)
{
        const char *y = "volumes: [{type: bind, source: /s, target: /d, bind: {create_host_path: false}}]";
        EXPECT(y, "volumes",
               "[{\"type\":\"bind\",\"source\":\"/s\",\"target\":\"/d\",\"bind\":{\"create_host_path\":false}}]");
        EXPECT_FIN(y, "volumes",
                   "[{\"type\":\"bind\",\"source\":\"/s\",\"target\":\"/d\",\"bind\":{\"create_host_path\":false}}]");
        EXPECT_FIN("volumes: [/s:/d]", "volumes", "[{\"type\":\"bind\",\"source\":\"/s\",\"target\":\"/d\",\"bind\":{}}]");
}

TEST(volume_long_key_order)
{
        EXPECT("volumes: [{volume: {subpath: sub, nocopy: true}, target: /x, read_only: true, source: v, type: volume}]",
               "volumes",
               "[{\"type\":\"volume\",\"source\":\"v\",\"target\":\"/x\",\"read_only\":true,"
               "\"volume\":{\"nocopy\":true,\"subpath\":\"sub\"}}]");
}

TEST(volume_long_tmpfs_size_in_bytes)
{
        EXPECT("volumes: [{type: tmpfs, target: /tmp, tmpfs: {mode: 1777, size: 64m}}]", "volumes",
               "[{\"type\":\"tmpfs\",\"target\":\"/tmp\",\"tmpfs\":{\"size\":\"67108864\",\"mode\":1777}}]");
}

TEST(volume_long_read_only_false_dropped_in_the_end)
{
        EXPECT_FIN("volumes: [{type: volume, source: v, target: /x, read_only: false}]", "volumes",
                   "[{\"type\":\"volume\",\"source\":\"v\",\"target\":\"/x\"}]");
}

TEST(volume_long_volume_labels_become_sorted_strings)
{
        EXPECT("volumes: [{type: volume, source: v, target: /x, volume: {labels: [b=1, a]}}]", "volumes",
               "[{\"type\":\"volume\",\"source\":\"v\",\"target\":\"/x\","
               "\"volume\":{\"labels\":{\"a\":\"\",\"b\":\"1\"}}}]");
}

TEST(volume_long_read_only_string_is_a_bool)
{
        EXPECT("volumes: [{type: volume, source: v, target: /x, read_only: 'true'}]", "volumes",
               "[{\"type\":\"volume\",\"source\":\"v\",\"target\":\"/x\",\"read_only\":true}]");
}

TEST(volume_long_bind_without_source_is_an_error)
{
        EXPECT_ERR(SVC "    volumes:\n      - type: bind\n        target: /x\n",
                   "compose.yaml:4:9: service web: invalid mount config for type \"bind\": field Source must not be "
                   "empty");
}

/* ---------------------------------------------------------- environment */

TEST(environment_list_becomes_map)
{
        EXPECT("environment: [B=1, A, C=, X=a=b]", "environment", "{\"A\":null,\"B\":\"1\",\"C\":\"\",\"X\":\"a=b\"}");
}

TEST(environment_map_values_become_strings)
{
        EXPECT("environment: {B: 2, A: true, C: null, D: 1.5, F: 0x1F, G: off}", "environment",
               "{\"A\":\"true\",\"B\":\"2\",\"C\":null,\"D\":\"1.5\",\"F\":\"31\",\"G\":\"off\"}");
}

TEST(environment_numbers_print_as_go_does)
{
        EXPECT("environment: {A: 1.0, B: 1e6, C: 123456.0, D: 0.00001, E: 010, F: -0.5}", "environment",
               "{\"A\":\"1\",\"B\":\"1e+06\",\"C\":\"123456\",\"D\":\"1e-05\",\"E\":\"8\",\"F\":\"-0.5\"}");
}

TEST(environment_bare_keys_resolved_from_env)
{
        EXPECT_FIN("environment: [FOO, NOPE, DECLARED, EMPTY, X=1]", "environment",
                   "{\"DECLARED\":null,\"EMPTY\":\"\",\"FOO\":\"bar\",\"NOPE\":null,\"X\":\"1\"}");
}

TEST(environment_null_map_values_resolved_from_env)
{
        EXPECT_FIN("environment: {FOO: null, OTHER: ~, SET: x}", "environment",
                   "{\"FOO\":\"bar\",\"OTHER\":null,\"SET\":\"x\"}");
}

TEST(environment_explicit_value_not_overridden_by_env)
{
        EXPECT_FIN("environment: {FOO: mine}", "environment", "{\"FOO\":\"mine\"}");
}

TEST(environment_empty_is_dropped_in_the_end)
{
        EXPECT_FIN("image: x\nenvironment: {}", "environment", "(missing)");
}

/* --------------------------------------------- labels, sysctls, annotations */

TEST(labels_list_becomes_map)
{
        EXPECT("labels: [com.example.b=1, com.example.a]", "labels", "{\"com.example.a\":\"\",\"com.example.b\":\"1\"}");
}

TEST(labels_map_values_become_strings)
{
        EXPECT("labels: {z: 1, a: null, m: false}", "labels", "{\"a\":\"\",\"m\":\"false\",\"z\":\"1\"}");
}

TEST(sysctls_list_and_numbers)
{
        EXPECT("sysctls: [net.core.somaxconn=1024, net.ipv4.tcp_syncookies=0]", "sysctls",
               "{\"net.core.somaxconn\":\"1024\",\"net.ipv4.tcp_syncookies\":\"0\"}");
        EXPECT("sysctls: {net.core.somaxconn: 1024}", "sysctls", "{\"net.core.somaxconn\":\"1024\"}");
}

TEST(annotations_list_becomes_map)
{
        EXPECT("annotations: [b=2, a=1]", "annotations", "{\"a\":\"1\",\"b\":\"2\"}");
}

TEST(storage_opt_and_log_opt_values_are_strings)
{
        EXPECT("storage_opt: {size: 20}", "storage_opt", "{\"size\":\"20\"}");
}

/* ---------------------------------------------------------- extra_hosts */
/* in the order given (the container's /etc/hosts has them so); config's
 * output sorts them as compose-go marshals them (cli/config) */

TEST(extra_hosts_colon_and_equals_forms)
{
        EXPECT("extra_hosts: ['somehost:162.242.195.82', 'otherhost=50.31.209.229']", "extra_hosts",
               "[\"somehost=162.242.195.82\",\"otherhost=50.31.209.229\"]");
}

TEST(extra_hosts_ipv6_forms)
{
        EXPECT("extra_hosts: ['myhostv6:::1', 'h6=[::1]', 'h:[fe80::1]', 'x=::2']", "extra_hosts",
               "[\"myhostv6=::1\",\"h6=::1\",\"h=fe80::1\",\"x=::2\"]");
}

TEST(extra_hosts_several_ips)
{
        EXPECT("extra_hosts: ['a=1.1.1.1,2.2.2.2']", "extra_hosts", "[\"a=1.1.1.1\",\"a=2.2.2.2\"]");
}

TEST(extra_hosts_mapping_form)
{
        EXPECT("extra_hosts: {b: 10.0.0.2, a: [10.0.0.1, '::1']}", "extra_hosts",
               "[\"b=10.0.0.2\",\"a=10.0.0.1\",\"a=::1\"]");
}

TEST(extra_hosts_missing_ip_is_an_error)
{
        EXPECT_ERR(SVC "    extra_hosts:\n      - noip\n",
                   "compose.yaml:4:9: service web: extra_hosts: invalid additional host, missing IP: noip");
}

TEST(extra_hosts_empty_host_is_an_error)
{
        EXPECT_ERR(SVC "    extra_hosts: ['=1.2.3.4']\n",
                   "compose.yaml:3:19: service web: extra_hosts: bad host name ''");
}

/* ----------------------------------------------------------- depends_on */

#define DEP_STARTED "{\"condition\":\"service_started\",\"required\":true}"

TEST(depends_on_list_becomes_map)
{
        EXPECT("depends_on: [db, cache]", "depends_on", "{\"cache\":" DEP_STARTED ",\"db\":" DEP_STARTED "}");
}

TEST(depends_on_long_form_gets_defaults)
{
        EXPECT("depends_on: {db: {condition: service_healthy}}", "depends_on",
               "{\"db\":{\"condition\":\"service_healthy\",\"required\":true}}");
}

TEST(depends_on_long_form_keeps_restart_and_required)
{
        EXPECT("depends_on: {db: {required: false, restart: true}}", "depends_on",
               "{\"db\":{\"condition\":\"service_started\",\"restart\":true,\"required\":false}}");
}

TEST(depends_on_restart_false_dropped_in_the_end)
{
        EXPECT_FIN("depends_on: {db: {restart: false}}", "depends_on", "{\"db\":" DEP_STARTED "}");
}

TEST(depends_on_implied_by_links)
{
        EXPECT_FIN("links: ['db:database', cache]\ndepends_on: {db: {condition: service_healthy}}", "depends_on",
                   "{\"cache\":{\"condition\":\"service_started\",\"restart\":true,\"required\":true},"
                   "\"db\":{\"condition\":\"service_healthy\",\"required\":true}}");
}

TEST(depends_on_implied_by_network_mode_service)
{
        const char *y = "network_mode: service:vpn\nimage: x";
        EXPECT_FIN(y, "depends_on", "{\"vpn\":{\"condition\":\"service_started\",\"restart\":true,\"required\":true}}");
        EXPECT_FIN(y, "networks", "(missing)");
}

TEST(depends_on_implied_by_volumes_from)
{
        EXPECT_FIN("volumes_from: ['data:ro', 'container:abc', logs]", "depends_on",
                   "{\"data\":" DEP_STARTED ",\"logs\":" DEP_STARTED "}");
}

/* ---------------------------------------------------------- healthcheck */

TEST(healthcheck_string_test_is_cmd_shell)
{
        EXPECT("healthcheck: {test: curl -f http://localhost}", "healthcheck",
               "{\"test\":[\"CMD-SHELL\",\"curl -f http://localhost\"]}");
}

TEST(healthcheck_list_test_kept)
{
        EXPECT("healthcheck: {test: [CMD, curl, -f, 8080]}", "healthcheck",
               "{\"test\":[\"CMD\",\"curl\",\"-f\",\"8080\"]}");
}

TEST(healthcheck_durations_printed_as_go_durations)
{
        EXPECT("healthcheck: {start_interval: 2.5s, retries: '3', start_period: 1h, interval: 90s, timeout: 500ms, "
               "test: [NONE]}",
               "healthcheck",
               "{\"test\":[\"NONE\"],\"timeout\":\"500ms\",\"interval\":\"1m30s\",\"retries\":3,"
               "\"start_period\":\"1h0m0s\",\"start_interval\":\"2.5s\"}");
}

TEST(healthcheck_zero_duration)
{
        EXPECT("healthcheck: {interval: 0}", "healthcheck", "{\"interval\":\"0s\"}");
}

TEST(healthcheck_disable_kept_and_false_dropped)
{
        EXPECT_FIN("healthcheck: {disable: true}", "healthcheck", "{\"disable\":true}");
        EXPECT_FIN("healthcheck: {disable: false, retries: 0}", "healthcheck", "{\"retries\":0}");
}

TEST(healthcheck_duration_without_unit_is_an_error)
{
        EXPECT_ERR(SVC "    healthcheck:\n      interval: 10\n",
                   "compose.yaml:4:17: service web: healthcheck.interval: invalid duration \"10\"");
}

/* --------------------------------------------------- command, entrypoint */

TEST(command_string_split_like_a_shell)
{
        EXPECT("command: echo \"hello world\" 'a b' c\\ d", "command", "[\"echo\",\"hello world\",\"a b\",\"c d\"]");
}

TEST(command_single_quotes_keep_dollar_and_backslash)
{
        EXPECT("command: sh -c 'echo $HOME \\n'", "command", "[\"sh\",\"-c\",\"echo $HOME \\\\n\"]");
}

TEST(command_list_kept_numbers_as_strings)
{
        EXPECT("command: [sleep, 10, true]", "command", "[\"sleep\",\"10\",\"true\"]");
}

TEST(command_empty_string_is_empty_list)
{
        EXPECT("command: ''", "command", "[]");
}

TEST(command_null_kept_and_missing_is_null_in_the_end)
{
        EXPECT("command: null", "command", "null");
        EXPECT_FIN("image: x", "command", "null");
        EXPECT_FIN("image: x", "entrypoint", "null");
}

TEST(command_stops_at_shell_operators_like_compose)
{
        EXPECT("command: echo a && echo b", "command", "[\"echo\",\"a\"]");
        EXPECT("command: echo a; echo b", "command", "[\"echo\",\"a\"]");
        EXPECT("command: \"echo 'a;b' | wc\"", "command", "[\"echo\",\"a;b\"]");
}

TEST(command_unterminated_quote_is_an_error)
{
        EXPECT_ERR(SVC "    command: echo 'a\n",
                   "compose.yaml:3:14: service web: command: invalid command line string \"echo 'a\"");
}

TEST(entrypoint_string_split)
{
        EXPECT("entrypoint: /bin/sh -c", "entrypoint", "[\"/bin/sh\",\"-c\"]");
}

/* ---------------------------------------------------------------- build */

TEST(build_string_is_context)
{
        EXPECT("build: ./app", "build", "{\"context\":\"/proj/app\"}");
}

TEST(build_string_gets_dockerfile_in_the_end)
{
        EXPECT_FIN("build: .", "build", "{\"context\":\"/proj\",\"dockerfile\":\"Dockerfile\"}");
}

TEST(build_missing_context_defaults_to_workdir)
{
        EXPECT_FIN("build: {dockerfile: Dockerfile.dev}", "build",
                   "{\"context\":\"/proj\",\"dockerfile\":\"Dockerfile.dev\"}");
}

TEST(build_inline_dockerfile_gets_no_dockerfile)
{
        EXPECT_FIN("build: {dockerfile_inline: FROM x}", "build",
                   "{\"context\":\"/proj\",\"dockerfile_inline\":\"FROM x\"}");
}

TEST(build_remote_contexts_are_kept)
{
        EXPECT("build: https://github.com/x/y.git#main", "build", "{\"context\":\"https://github.com/x/y.git#main\"}");
        EXPECT("build: git@github.com:x/y.git", "build", "{\"context\":\"git@github.com:x/y.git\"}");
}

TEST(build_args_list_and_resolution)
{
        const char *y = "build: {args: [A=1, B, FOO], context: ../x}";
        EXPECT(y, "build", "{\"context\":\"/x\",\"args\":{\"A\":\"1\",\"B\":null,\"FOO\":null}}");
        EXPECT_FIN(y, "build", "{\"context\":\"/x\",\"dockerfile\":\"Dockerfile\",\"args\":{\"A\":\"1\",\"FOO\":\"bar\"}}");
}

TEST(build_key_order)
{
        EXPECT("build: {target: prod, labels: [b=1], args: {X: 1}, dockerfile: D, context: ., tags: t1}", "build",
               "{\"context\":\"/proj\",\"dockerfile\":\"D\",\"args\":{\"X\":\"1\"},\"labels\":{\"b\":\"1\"},"
               "\"target\":\"prod\",\"tags\":[\"t1\"]}");
}

TEST(build_additional_contexts)
{
        EXPECT("build: {context: ., additional_contexts: [a=./dir, b=docker-image://alpine]}", "build",
               "{\"context\":\"/proj\",\"additional_contexts\":{\"a\":\"/proj/dir\",\"b\":\"docker-image://alpine\"}}");
}

TEST(build_additional_context_without_equals_is_an_error)
{
        EXPECT_ERR(SVC "    build:\n      additional_contexts: [nope]\n",
                   "compose.yaml:4:29: service web: build.additional_contexts: invalid value nope, expected key=value");
}

TEST(build_shm_size_and_extra_hosts)
{
        EXPECT("build: {context: ., shm_size: 2g, extra_hosts: ['b:1.1.1.1', 'a=::1']}", "build",
               "{\"context\":\"/proj\",\"extra_hosts\":[\"b=1.1.1.1\",\"a=::1\"],\"shm_size\":\"2147483648\"}");
}

TEST(build_secrets_and_ulimits)
{
        EXPECT("build: {context: ., secrets: [npmrc], ulimits: {nofile: 1024}}", "build",
               "{\"context\":\"/proj\",\"secrets\":[{\"source\":\"npmrc\"}],\"ulimits\":{\"nofile\":1024}}");
        /* only service secrets get a default target */
        EXPECT_FIN("build: {context: ., secrets: [npmrc]}", "build",
                   "{\"context\":\"/proj\",\"dockerfile\":\"Dockerfile\",\"secrets\":[{\"source\":\"npmrc\"}]}");
}

TEST(build_zero_values_dropped_in_the_end)
{
        EXPECT_FIN("build: {context: ., no_cache: false, pull: true, shm_size: 0}", "build",
                   "{\"context\":\"/proj\",\"dockerfile\":\"Dockerfile\",\"pull\":true}");
}

/* ------------------------------------------------------------- env_file */

TEST(env_file_string)
{
        EXPECT("env_file: .env", "env_file", "[{\"path\":\"/proj/.env\",\"required\":true}]");
}

TEST(env_file_list_and_long_form)
{
        EXPECT("env_file: [a.env, {required: false, path: /etc/b.env}, {path: ~/c.env, format: raw}]", "env_file",
               "[{\"path\":\"/proj/a.env\",\"required\":true},{\"path\":\"/etc/b.env\",\"required\":false},"
               "{\"path\":\"/home/u/c.env\",\"required\":true,\"format\":\"raw\"}]");
}

/* ------------------------------------------------------------- networks */

TEST(networks_list_becomes_map)
{
        EXPECT("networks: [front, back]", "networks", "{\"back\":null,\"front\":null}");
}

TEST(networks_default_added_in_the_end)
{
        EXPECT_FIN("image: x", "networks", "{\"default\":null}");
        EXPECT_FIN("networks: {}", "networks", "{\"default\":null}");
        EXPECT_FIN("network_mode: host", "networks", "(missing)");
        EXPECT_FIN("networks: [front]", "networks", "{\"front\":null}");
}

TEST(networks_long_form_order_and_types)
{
        EXPECT("networks: {front: {priority: '10', ipv4_address: 172.16.0.2, aliases: [web, 1]}, back: null}",
               "networks",
               "{\"back\":null,\"front\":{\"aliases\":[\"web\",\"1\"],\"ipv4_address\":\"172.16.0.2\",\"priority\":10}}");
}

TEST(networks_driver_opts_are_sorted_strings)
{
        EXPECT("networks: {front: {driver_opts: {z: 1, a: true}, gw_priority: 1}}", "networks",
               "{\"front\":{\"driver_opts\":{\"a\":\"true\",\"z\":\"1\"},\"gw_priority\":1}}");
}

TEST(env_file_required_as_string)
{
        EXPECT("env_file: [{path: a.env, required: 'false'}]", "env_file",
               "[{\"path\":\"/proj/a.env\",\"required\":false}]");
}

/* ------------------------------------------------------ secrets, configs */

TEST(secrets_short_syntax)
{
        EXPECT("secrets: [db_pass]", "secrets", "[{\"source\":\"db_pass\"}]");
        EXPECT_FIN("secrets: [db_pass]", "secrets", "[{\"source\":\"db_pass\",\"target\":\"/run/secrets/db_pass\"}]");
}

TEST(configs_short_syntax_has_no_default_target)
{
        EXPECT_FIN("configs: [cfg]", "configs", "[{\"source\":\"cfg\"}]");
}

TEST(secrets_long_syntax_mode_uid_gid)
{
        EXPECT("secrets: [{mode: 0440, gid: 103, uid: 103, target: t, source: s}]", "secrets",
               "[{\"source\":\"s\",\"target\":\"t\",\"uid\":\"103\",\"gid\":\"103\",\"mode\":\"0440\"}]");
}

TEST(secrets_mode_as_decimal_number_and_octal_string)
{
        EXPECT("configs: [{source: a, mode: 420}, {source: b, mode: '0400'}, {source: c, mode: 0o755}]", "configs",
               "[{\"source\":\"a\",\"mode\":\"0644\"},{\"source\":\"b\",\"mode\":\"0400\"},"
               "{\"source\":\"c\",\"mode\":\"0755\"}]");
}

/* -------------------------------------------------------------- ulimits */

TEST(ulimits_single_and_soft_hard)
{
        EXPECT("ulimits: {nproc: 65535, nofile: {hard: 40000, soft: '20000'}}", "ulimits",
               "{\"nofile\":{\"soft\":20000,\"hard\":40000},\"nproc\":65535}");
}

/* ---------------------------------------------- sizes, cpus, durations */

TEST(memory_sizes_are_byte_strings)
{
        const char *y = "mem_limit: 64m\nshm_size: 1gb\nmemswap_limit: -1\nmem_reservation: 1024\n";
        EXPECT(y, "mem_limit", "\"67108864\"");
        EXPECT(y, "shm_size", "\"1073741824\"");
        EXPECT(y, "memswap_limit", "\"-1\"");
        EXPECT(y, "mem_reservation", "\"1024\"");
}

TEST(memory_size_invalid_is_an_error)
{
        EXPECT_ERR(SVC "    mem_limit: 12x\n", "compose.yaml:3:16: service web: mem_limit: invalid size \"12x\"");
}

TEST(cpus_are_float32_numbers)
{
        EXPECT("cpus: 0.5", "cpus", "0.5");
        EXPECT("cpus: '1.5'", "cpus", "1.5");
        EXPECT("cpus: 2", "cpus", "2");
        EXPECT("cpus: 0.1", "cpus", "0.1");
}

TEST(cpus_invalid_is_an_error)
{
        EXPECT_ERR(SVC "    cpus: lots\n", "compose.yaml:3:11: service web: cpus: invalid number \"lots\"");
}

TEST(stop_grace_period_is_a_go_duration)
{
        EXPECT("stop_grace_period: 90s", "stop_grace_period", "\"1m30s\"");
        EXPECT("stop_grace_period: 1m30s", "stop_grace_period", "\"1m30s\"");
}

TEST(cpu_percent_and_zero_cpus)
{
        EXPECT("cpu_percent: 50\ncpus: 0\n", "cpu_percent", "50");
        EXPECT_FIN("cpus: 0\nimage: x\n", "cpus", "(missing)");
}

TEST(links_with_alias_and_without)
{
        EXPECT_FIN("links: ['db:database', 'cache', 'a:b:c']", "depends_on",
                   "{\"a:b:c\":{\"condition\":\"service_started\",\"restart\":true,\"required\":true},"
                   "\"cache\":{\"condition\":\"service_started\",\"restart\":true,\"required\":true},"
                   "\"db\":{\"condition\":\"service_started\",\"restart\":true,\"required\":true}}");
}

TEST(integer_fields_accept_strings)
{
        const char *y = "pids_limit: '100'\ncpu_shares: 512\noom_score_adj: '-500'\n";
        EXPECT(y, "pids_limit", "100");
        EXPECT(y, "oom_score_adj", "-500");
}

/* --------------------------------------------------------------- deploy */

TEST(deploy_resources_and_restart_policy)
{
        EXPECT("deploy:\n  restart_policy: {window: 120s, delay: 5s, condition: on-failure, max_attempts: 3}\n"
               "  resources:\n    reservations: {devices: [{capabilities: [gpu]}]}\n"
               "    limits: {pids: 100, memory: 50M, cpus: '0.50'}\n",
               "deploy",
               "{\"resources\":{\"limits\":{\"cpus\":0.5,\"memory\":\"52428800\",\"pids\":100},"
               "\"reservations\":{\"devices\":[{\"capabilities\":[\"gpu\"],\"count\":-1}]}},"
               "\"restart_policy\":{\"condition\":\"on-failure\",\"delay\":\"5s\",\"max_attempts\":3,"
               "\"window\":\"2m0s\"}}");
}

/* DeployConfig.Resources and .Placement are structs: go-yaml leaves them
 * out when empty, encoding/json prints them whatever */
TEST(deploy_resources_and_placement_printed_in_json_only)
{
        const char *y = "deploy: {replicas: 2, labels: [b=1, a=2], resources: {}}";
        EXPECT_FIN(y, "deploy", "{\"replicas\":2,\"labels\":{\"a\":\"2\",\"b\":\"1\"}}");
        EXPECT_JSON(y, "deploy",
                    "{\"replicas\":2,\"labels\":{\"a\":\"2\",\"b\":\"1\"},\"resources\":{},\"placement\":{}}");
}

TEST(deploy_device_count_all)
{
        EXPECT("deploy: {resources: {reservations: {devices: [{count: all, driver: nvidia}, {count: 2}]}}}", "deploy",
               "{\"resources\":{\"reservations\":{\"devices\":[{\"driver\":\"nvidia\",\"count\":-1},{\"count\":2}]}}}");
}

TEST(deploy_update_config_and_placement)
{
        const char *y = "deploy:\n  update_config: {order: start-first, max_failure_ratio: '0.25', monitor: 60s, "
                        "parallelism: '2', delay: 0s}\n  placement: {max_replicas_per_node: '3', constraints: [a==b]}\n";
        EXPECT(y, "deploy",
               "{\"update_config\":{\"parallelism\":2,\"delay\":\"0s\",\"monitor\":\"1m0s\","
               "\"max_failure_ratio\":0.25,\"order\":\"start-first\"},"
               "\"placement\":{\"constraints\":[\"a==b\"],\"max_replicas_per_node\":3}}");
        /* delay is a plain Duration in compose-go: "0s" is its zero value */
        EXPECT_FIN(y, "deploy",
                   "{\"update_config\":{\"parallelism\":2,\"monitor\":\"1m0s\",\"max_failure_ratio\":0.25,"
                   "\"order\":\"start-first\"},"
                   "\"placement\":{\"constraints\":[\"a==b\"],\"max_replicas_per_node\":3}}");
}

TEST(deploy_restart_policy_pointer_durations_kept_when_zero)
{
        EXPECT_FIN("deploy: {restart_policy: {delay: 0s, max_attempts: 0}}", "deploy",
                   "{\"restart_policy\":{\"delay\":\"0s\",\"max_attempts\":0}}");
}

/* ------------------------------------------------------ devices, gpus */

TEST(devices_short_syntax)
{
        EXPECT("devices: ['/dev/ttyUSB0:/dev/ttyUSB1', '/dev/sda:/dev/xvda:r', /dev/fuse]", "devices",
               "[{\"source\":\"/dev/ttyUSB0\",\"target\":\"/dev/ttyUSB1\",\"permissions\":\"rwm\"},"
               "{\"source\":\"/dev/sda\",\"target\":\"/dev/xvda\",\"permissions\":\"r\"},"
               "{\"source\":\"/dev/fuse\",\"target\":\"/dev/fuse\",\"permissions\":\"rwm\"}]");
}

TEST(devices_too_many_colons_is_an_error)
{
        EXPECT_ERR(SVC "    devices: ['a:b:c:d']\n",
                   "compose.yaml:3:15: service web: confusing device mapping, please use long syntax: a:b:c:d");
}

TEST(gpus_all)
{
        EXPECT("gpus: all", "gpus", "[{\"count\":-1}]");
}

/* ------------------------------------------------------------- logging */

TEST(logging_options_are_sorted_strings)
{
        EXPECT("logging: {options: {max-size: 10m, max-file: 3}, driver: json-file}", "logging",
               "{\"driver\":\"json-file\",\"options\":{\"max-file\":\"3\",\"max-size\":\"10m\"}}");
}

/* --------------------------------------------------------- misc fields */

TEST(string_or_list_fields)
{
        const char *y = "dns: 8.8.8.8\ndns_search: example.com\ntmpfs: /run\n";
        EXPECT(y, "dns", "[\"8.8.8.8\"]");
        EXPECT(y, "dns_search", "[\"example.com\"]");
        EXPECT(y, "tmpfs", "[\"/run\"]");
}

TEST(label_file_paths_resolved)
{
        EXPECT("label_file: ./labels", "label_file", "[\"/proj/labels\"]");
}

TEST(group_add_items_are_strings)
{
        EXPECT("group_add: [100, wheel]", "group_add", "[\"100\",\"wheel\"]");
}

TEST(hooks_command_and_environment)
{
        EXPECT("post_start: [{command: echo hi, environment: [B=2, A]}]", "post_start",
               "[{\"command\":[\"echo\",\"hi\"],\"environment\":{\"A\":null,\"B\":\"2\"}}]");
}

TEST(pull_policy_if_not_present_is_missing)
{
        EXPECT_FIN("pull_policy: if_not_present", "pull_policy", "\"missing\"");
}

TEST(zero_values_dropped_in_the_end)
{
        const char *y = "image: x\nprivileged: false\nread_only: false\ntty: false\nuser: ''\ncap_add: []\n"
                        "init: false\ncpu_shares: 0\nmem_limit: 0\n";
        EXPECT_FIN(y, NULL,
                   "{\"image\":\"x\",\"init\":false,\"networks\":{\"default\":null},\"command\":null,"
                   "\"entrypoint\":null}");
}

TEST(extensions_are_kept)
{
        EXPECT_FIN("x-custom: {a: 1}\nimage: x", "x-custom", "{\"a\":1}");
}

TEST(reset_and_override_flags_survive)
{
        struct cc_error err = {0};
        struct cc_node *root = NULL;
        const char *y = "ports: !override ['80']\nenvironment: !reset []\ncommand: !override echo hi\n";
        ASSERT_INTEQ(cc_yaml_parse(y, strlen(y), "compose.yaml", &root, &err), 0);
        ASSERT_INTEQ(cc_normalize_service(root, "web", &ctx, &err), 0);
        ASSERT(cc_node_map_get(root, "ports")->flags & CC_NODE_OVERRIDE);
        ASSERT(cc_node_map_get(root, "environment")->flags & CC_NODE_RESET);
        ASSERT(cc_node_map_get(root, "command")->flags & CC_NODE_OVERRIDE);
        ASSERT(cc_node_is_seq(cc_node_map_get(root, "command")));
        cc_node_free(root);
}

TEST(service_must_be_a_mapping)
{
        EXPECT_ERR("[1]", "compose.yaml:1:1: service web: expected a mapping, got array");
}

/* A fixture with every short syntax: normalising twice, or finishing
 * twice, gives the same result as once. */
static const char *const full =
        "image: nginx\nports: ['8080:80', '3000-3001', {target: 81}]\nexpose: [1]\n"
        "volumes: ['./d:/d:ro', 'v:/v', '/anon', {type: tmpfs, target: /t, tmpfs: {size: 1m}}]\n"
        "environment: [A=1, FOO]\nlabels: [x=1]\nextra_hosts: ['h:1.2.3.4']\ndepends_on: [db]\n"
        "healthcheck: {test: true, interval: 90s}\ncommand: echo hi\nentrypoint: [sh]\nbuild: .\n"
        "env_file: .env\nnetworks: [n]\nsecrets: [s]\nconfigs: [{source: c, mode: 0444}]\n"
        "ulimits: {nofile: 10}\nmem_limit: 1g\ncpus: 0.25\nstop_grace_period: 1m\ndns: 1.1.1.1\n"
        "deploy: {resources: {limits: {memory: 1k}}}\ndevices: [/dev/x]\ngpus: all\nlinks: [db]\n";

TEST(normalize_is_idempotent)
{
        bool f1, f2;
        char *once = run(__FILE__, __LINE__, full, NULL, PER_FILE, &f1);
        char *twice = run(__FILE__, __LINE__, full, NULL, TWICE, &f2);
        ASSERT(!f1 && !f2);
        ASSERT_STREQ(twice, once);
        free(once);
        free(twice);
}

TEST(finish_is_idempotent)
{
        struct cc_error err = {0};
        struct cc_node *root = NULL;
        ASSERT_INTEQ(cc_yaml_parse(full, strlen(full), "compose.yaml", &root, &err), 0);
        ASSERT_INTEQ(cc_normalize_service(root, "web", &ctx, &err), 0);
        ASSERT_INTEQ(cc_normalize_service_finish(root, "web", &ctx, &err), 0);
        char *once = to_json(root);
        ASSERT_INTEQ(cc_normalize_service(root, "web", &ctx, &err), 0);
        ASSERT_INTEQ(cc_normalize_service_finish(root, "web", &ctx, &err), 0);
        char *twice = to_json(root);
        ASSERT_STREQ(twice, once);
        free(once);
        free(twice);
        cc_node_free(root);
}

TEST(full_service_as_docker_compose_prints_it)
{
        EXPECT_FIN(full, "depends_on", "{\"db\":" DEP_STARTED "}");
        EXPECT_FIN(full, "healthcheck", "{\"test\":[\"CMD-SHELL\",\"true\"],\"interval\":\"1m30s\"}");
        EXPECT_FIN(full, "environment", "{\"A\":\"1\",\"FOO\":\"bar\"}");
        EXPECT_FIN(full, "configs", "[{\"source\":\"c\",\"mode\":\"0444\"}]");
        EXPECT_FIN(full, "deploy", "{\"resources\":{\"limits\":{\"memory\":\"1024\"}}}");
        EXPECT_JSON(full, "deploy", "{\"resources\":{\"limits\":{\"memory\":\"1024\"}},\"placement\":{}}");
}

/* ------------------------------------------------------------ durations */

static long long dur(const char *s)
{
        long long ns = 12345;
        int r = cc_parse_duration(s, &ns);
        return r < 0 ? r : ns;
}

TEST(parse_duration_go_syntax)
{
        ASSERT_INTEQ(dur("1m30s"), 90000000000LL);
        ASSERT_INTEQ(dur("500ms"), 500000000LL);
        ASSERT_INTEQ(dur("10s"), 10000000000LL);
        ASSERT_INTEQ(dur("1h"), 3600000000000LL);
        ASSERT_INTEQ(dur("2.5s"), 2500000000LL);
        ASSERT_INTEQ(dur("1h2m3s"), 3723000000000LL);
        ASSERT_INTEQ(dur("1.5h"), 5400000000000LL);
        ASSERT_INTEQ(dur(".5s"), 500000000LL);
        ASSERT_INTEQ(dur("1.s"), 1000000000LL);
        ASSERT_INTEQ(dur("100ns"), 100);
        ASSERT_INTEQ(dur("3us"), 3000);
        ASSERT_INTEQ(dur("3\xc2\xb5s"), 3000);
        ASSERT_INTEQ(dur("+5s"), 5000000000LL);
}

TEST(parse_duration_days_and_weeks)
{
        ASSERT_INTEQ(dur("2d"), 172800000000000LL);
        ASSERT_INTEQ(dur("1w"), 604800000000000LL);
}

TEST(parse_duration_zero_and_negative)
{
        ASSERT_INTEQ(dur("0"), 0);
        ASSERT_INTEQ(dur("-0"), 0);
        ASSERT_INTEQ(dur("-1s"), -1000000000LL);
}

TEST(parse_duration_rejects_invalid)
{
        ASSERT_INTEQ(dur("10"), -EINVAL);
        ASSERT_INTEQ(dur(""), -EINVAL);
        ASSERT_INTEQ(dur("s"), -EINVAL);
        ASSERT_INTEQ(dur("1x"), -EINVAL);
        ASSERT_INTEQ(dur("1h30"), -EINVAL);
        ASSERT_INTEQ(dur("-"), -EINVAL);
        ASSERT_INTEQ(dur("1.5.5s"), -EINVAL);
        ASSERT_INTEQ(dur(".s"), -EINVAL);
        ASSERT_INTEQ(dur("1 s"), -EINVAL);
        ASSERT_INTEQ(dur("9999999999h"), -EINVAL);
}

static void fmt_is(long long ns, const char *want)
{
        char *s = cc_format_duration(ns);
        ASSERT_STREQ(s, want);
        free(s);
}

TEST(format_duration_like_go)
{
        fmt_is(0, "0s");
        fmt_is(1, "1ns");
        fmt_is(1500, "1.5\xc2\xb5s");
        fmt_is(1500000, "1.5ms");
        fmt_is(90000000000LL, "1m30s");
        fmt_is(3600000000000LL, "1h0m0s");
        fmt_is(3723000000000LL, "1h2m3s");
        fmt_is(2500000000LL, "2.5s");
        fmt_is(-1000000000LL, "-1s");
        fmt_is(86400000000000LL, "24h0m0s");
        fmt_is(60000000000LL, "1m0s");
        fmt_is(1000000001LL, "1.000000001s");
}

/* ---------------------------------------------------------------- bytes */

static long long bytes(const char *s)
{
        long long b = 12345;
        int r = cc_parse_bytes(s, &b);
        return r < 0 ? r : b;
}

TEST(parse_bytes_units)
{
        ASSERT_INTEQ(bytes("64m"), 67108864);
        ASSERT_INTEQ(bytes("1g"), 1073741824);
        ASSERT_INTEQ(bytes("512k"), 524288);
        ASSERT_INTEQ(bytes("1024"), 1024);
        ASSERT_INTEQ(bytes("100b"), 100);
        ASSERT_INTEQ(bytes("1.5gb"), 1610612736);
        ASSERT_INTEQ(bytes("1GiB"), 1073741824);
        ASSERT_INTEQ(bytes("10 MB"), 10485760);
        ASSERT_INTEQ(bytes("1kb"), 1024);
        ASSERT_INTEQ(bytes("2T"), 2199023255552LL);
        ASSERT_INTEQ(bytes("1p"), 1125899906842624LL);
        ASSERT_INTEQ(bytes("0"), 0);
        ASSERT_INTEQ(bytes("0.5k"), 512);
}

TEST(parse_bytes_rejects_invalid)
{
        ASSERT_INTEQ(bytes(""), -EINVAL);
        ASSERT_INTEQ(bytes("m"), -EINVAL);
        ASSERT_INTEQ(bytes("1x"), -EINVAL);
        ASSERT_INTEQ(bytes("1kk"), -EINVAL);
        ASSERT_INTEQ(bytes("-1"), -EINVAL);
        ASSERT_INTEQ(bytes("1bb"), -EINVAL);
        ASSERT_INTEQ(bytes("1.5.5m"), -EINVAL);
        ASSERT_INTEQ(bytes("1mbx"), -EINVAL);
}

/* ---------------------------------------------------------- shell split */

static char *split(const char *s)
{
        struct cc_strv v = {0};
        if (cc_shell_split(s, &v) < 0)
                return cc_xstrdup("ERROR");
        struct cc_buf b = {0};
        cc_buf_puts(&b, "");
        for (size_t i = 0; i < v.n; i++)
                cc_buf_printf(&b, "%s<%s>", i ? " " : "", v.v[i]);
        cc_strv_free(&v);
        return cc_buf_steal(&b);
}

static void split_is(const char *s, const char *want)
{
        char *got = split(s);
        ASSERT_STREQ(got, want);
        free(got);
}

TEST(shell_split_words_and_quotes)
{
        split_is("echo hello  world", "<echo> <hello> <world>");
        split_is("  lead\ttab\nnl ", "<lead> <tab> <nl>");
        split_is("a\"b c\"d", "<ab cd>");
        split_is("'' \"\"", "<> <>");
        split_is("sh -c 'echo \"$X\"'", "<sh> <-c> <echo \"$X\">");
        split_is("", "");
}

TEST(shell_split_backslashes)
{
        split_is("a\\ b", "<a b>");
        split_is("\"a\\\"b\"", "<a\"b>");
        split_is("'a\\b'", "<a\\b>");
        split_is("\\$HOME", "<$HOME>");
}

TEST(shell_split_keeps_substitutions_as_text)
{
        split_is("echo $(date) `id`", "<echo> <$(date)> <`id`>");
        split_is("echo $HOME ${X}", "<echo> <$HOME> <${X}>");
}

TEST(shell_split_stops_at_operators)
{
        split_is("a;b", "<a>");
        split_is("a | b", "<a>");
        split_is("echo 2>/dev/null", "<echo>");
        split_is("echo x>f", "<echo> <x>");
        split_is("echo '<a>' \"|\"", "<echo> <<a>> <|>");
}

TEST(shell_split_errors)
{
        split_is("echo 'a", "ERROR");
        split_is("echo \"a", "ERROR");
        split_is("echo a\\", "ERROR");
        split_is("echo (a)", "ERROR");
        split_is("echo `a", "ERROR");
}

TEST(shell_split_appends_and_leaves_out_alone_on_error)
{
        struct cc_strv v = {0};
        cc_strv_push(&v, "first");
        ASSERT_INTEQ(cc_shell_split("a b", &v), 0);
        ASSERT_INTEQ(v.n, 3);
        ASSERT_STREQ(v.v[2], "b");
        ASSERT_INTEQ(cc_shell_split("c 'd", &v), -EINVAL);
        ASSERT_INTEQ(v.n, 3);
        cc_strv_free(&v);
}
