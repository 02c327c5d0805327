/* Merging compose files: every case merges two small documents in the
 * normalised shape and compares the JSON of the result with what docker
 * compose (compose-go override/merge.go + uncity.go + loader/reset.go)
 * produces for them. */
#include "merge.h"
#include "tap.h"

/* Strings handed to assertions live as long as the test's process: kept
 * reachable here so the leak checker of sanitizer builds stays quiet. */
static char *keep(char *s)
{
        static struct cc_strv pool;
        cc_strv_push_owned(&pool, s);
        return s;
}

static struct cc_node *parse(const char *y, const char *file)
{
        struct cc_error err = {0};
        struct cc_node *n = NULL;
        if (cc_yaml_parse(y, strlen(y), file, &n, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse: %s", cc_error_msg(&err));
        return n;
}

static char *json(const struct cc_node *n)
{
        struct cc_buf b = {0};
        cc_emit_json(&b, n, 0);
        return keep(cc_buf_steal(&b));
}

/* Merge two whole documents; returns the JSON of the result. */
static char *merge_docs(const char *base, const char *over)
{
        struct cc_error err = {0};
        struct cc_node *b = parse(base, "base.yaml");
        struct cc_node *o = parse(over, "override.yaml");
        cc_merge_strip_reset(b);
        if (cc_merge_project(b, o, &err) < 0)
                tap_fail(__FILE__, __LINE__, "merge: %s", cc_error_msg(&err));
        char *s = json(b);
        cc_node_free(b);
        cc_node_free(o);
        return s;
}

static char *merge_docs_err(const char *base, const char *over)
{
        struct cc_error err = {0};
        struct cc_node *b = parse(base, "base.yaml");
        struct cc_node *o = parse(over, "override.yaml");
        if (cc_merge_project(b, o, &err) >= 0)
                tap_fail(__FILE__, __LINE__, "expected a merge error");
        cc_node_free(b);
        cc_node_free(o);
        return keep(err.msg);
}

/* Merge two definitions of service "web" (flow mappings) through the
 * project merge; returns the JSON of the merged service. */
static char *merge_web(const char *base, const char *over)
{
        struct cc_error err = {0};
        _cleanup_free_ char *by = cc_xasprintf("services:\n  web: %s\n", base);
        _cleanup_free_ char *oy = cc_xasprintf("services:\n  web: %s\n", over);
        struct cc_node *b = parse(by, "base.yaml");
        struct cc_node *o = parse(oy, "override.yaml");
        cc_merge_strip_reset(b);
        if (cc_merge_project(b, o, &err) < 0)
                tap_fail(__FILE__, __LINE__, "merge: %s", cc_error_msg(&err));
        char *s = json(cc_node_map_get(cc_node_map_get(b, "services"), "web"));
        cc_node_free(b);
        cc_node_free(o);
        return s;
}

#define PORT(pub, tgt) "{mode: ingress, target: " #tgt ", published: '" #pub "', protocol: tcp}"
#define PORT_JSON(pub, tgt) "{\"mode\":\"ingress\",\"target\":" #tgt ",\"published\":\"" #pub "\",\"protocol\":\"tcp\"}"

/* ---- scalars and plain mappings ---- */

TEST(scalar_is_replaced)
{
        ASSERT_STREQ(merge_web("{image: a, restart: always}", "{image: b}"), "{\"image\":\"b\",\"restart\":\"always\"}");
}

TEST(new_keys_are_appended_in_override_order)
{
        ASSERT_STREQ(merge_web("{image: a}", "{user: u, init: true}"), "{\"image\":\"a\",\"user\":\"u\",\"init\":true}");
}

TEST(null_override_keeps_base_value)
{
        ASSERT_STREQ(merge_web("{image: a, working_dir: /w}", "{working_dir: null}"),
                     "{\"image\":\"a\",\"working_dir\":\"/w\"}");
}

TEST(null_base_value_is_replaced)
{
        ASSERT_STREQ(merge_web("{image: a, stop_signal: null}", "{stop_signal: SIGINT}"),
                     "{\"image\":\"a\",\"stop_signal\":\"SIGINT\"}");
}

TEST(scalar_type_follows_override)
{
        ASSERT_STREQ(merge_web("{image: a, stop_grace_period: '10'}", "{stop_grace_period: 20}"),
                     "{\"image\":\"a\",\"stop_grace_period\":20}");
}

TEST(deploy_merges_recursively)
{
        ASSERT_STREQ(merge_web("{deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 50M}}}}",
                               "{deploy: {resources: {limits: {memory: 100M}, reservations: {memory: 10M}}}}"),
                     "{\"deploy\":{\"replicas\":2,\"resources\":{\"limits\":{\"cpus\":\"0.5\",\"memory\":\"100M\"},"
                     "\"reservations\":{\"memory\":\"10M\"}}}}");
}

TEST(deploy_labels_merge_by_key)
{
        ASSERT_STREQ(merge_web("{deploy: {labels: {a: '1', b: '2'}}}", "{deploy: {labels: {b: '3'}}}"),
                     "{\"deploy\":{\"labels\":{\"a\":\"1\",\"b\":\"3\"}}}");
}

TEST(deploy_placement_constraints_are_appended)
{
        ASSERT_STREQ(merge_web("{deploy: {placement: {constraints: [a==1]}}}",
                               "{deploy: {placement: {constraints: [a==1, b==2]}}}"),
                     "{\"deploy\":{\"placement\":{\"constraints\":[\"a==1\",\"b==2\"]}}}");
}

/* ---- replaced whole ---- */

TEST(command_is_replaced_not_appended)
{
        ASSERT_STREQ(merge_web("{command: [sh, -c, 'echo a']}", "{command: [run]}"), "{\"command\":[\"run\"]}");
}

TEST(entrypoint_is_replaced)
{
        ASSERT_STREQ(merge_web("{entrypoint: [/a, x]}", "{entrypoint: [/b]}"), "{\"entrypoint\":[\"/b\"]}");
}

TEST(command_null_in_override_clears_it)
{
        /* compose-go's override rule returns the override value, null included */
        ASSERT_STREQ(merge_web("{image: a, command: [x]}", "{command: null}"), "{\"image\":\"a\",\"command\":null}");
}

TEST(healthcheck_test_is_replaced_other_keys_merge)
{
        ASSERT_STREQ(merge_web("{healthcheck: {test: [CMD, a, b], interval: 10s, retries: 3}}",
                               "{healthcheck: {test: [CMD-SHELL, c], retries: 5}}"),
                     "{\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"c\"],\"interval\":\"10s\",\"retries\":5}}");
}

/* ---- key/value mappings ---- */

TEST(environment_merges_by_key)
{
        ASSERT_STREQ(merge_web("{environment: {A: '1', B: '2'}}", "{environment: {B: '3', C: '4'}}"),
                     "{\"environment\":{\"A\":\"1\",\"B\":\"3\",\"C\":\"4\"}}");
}

TEST(environment_null_value_in_override_replaces)
{
        ASSERT_STREQ(merge_web("{environment: {A: '1', B: '2'}}", "{environment: {A: null}}"),
                     "{\"environment\":{\"A\":null,\"B\":\"2\"}}");
}

TEST(environment_list_override_is_read_as_key_value)
{
        ASSERT_STREQ(merge_web("{environment: {A: '1'}}", "{environment: ['A=2', 'B=x=y', C]}"),
                     "{\"environment\":{\"A\":\"2\",\"B\":\"x=y\",\"C\":null}}");
}

TEST(environment_null_override_keeps_base)
{
        ASSERT_STREQ(merge_web("{environment: {A: '1'}}", "{environment: null}"), "{\"environment\":{\"A\":\"1\"}}");
}

TEST(environment_values_are_not_merged_deeper)
{
        /* a key/value entry is replaced whole, never merged */
        ASSERT_STREQ(merge_web("{labels: {a: '1'}}", "{labels: {a: '2', b: ''}}"),
                     "{\"labels\":{\"a\":\"2\",\"b\":\"\"}}");
}

TEST(labels_merge_by_key)
{
        ASSERT_STREQ(merge_web("{labels: {com.example.a: x, com.example.b: y}}", "{labels: {com.example.b: z}}"),
                     "{\"labels\":{\"com.example.a\":\"x\",\"com.example.b\":\"z\"}}");
}

TEST(sysctls_and_annotations_merge_by_key)
{
        ASSERT_STREQ(merge_web("{sysctls: {net.core.somaxconn: '1024'}, annotations: {a: '1'}}",
                               "{sysctls: {net.core.somaxconn: '2048', net.ipv4.ip_forward: '1'}, annotations: {b: '2'}}"),
                     "{\"sysctls\":{\"net.core.somaxconn\":\"2048\",\"net.ipv4.ip_forward\":\"1\"},"
                     "\"annotations\":{\"a\":\"1\",\"b\":\"2\"}}");
}

/* ---- ports ---- */

TEST(ports_are_appended)
{
        ASSERT_STREQ(merge_web("{ports: [" PORT(8080, 80) "]}", "{ports: [" PORT(9090, 90) "]}"),
                     "{\"ports\":[" PORT_JSON(8080, 80) "," PORT_JSON(9090, 90) "]}");
}

TEST(identical_ports_appear_once)
{
        ASSERT_STREQ(merge_web("{ports: [" PORT(8080, 80) "]}", "{ports: [" PORT(8080, 80) ", " PORT(443, 443) "]}"),
                     "{\"ports\":[" PORT_JSON(8080, 80) "," PORT_JSON(443, 443) "]}");
}

TEST(port_with_same_key_replaces_earlier_in_place)
{
        /* key host_ip:published:target/protocol; mode is not part of it */
        ASSERT_STREQ(merge_web("{ports: [" PORT(8080, 80) ", " PORT(81, 81) "]}",
                               "{ports: [{mode: host, target: 80, published: '8080', protocol: tcp}]}"),
                     "{\"ports\":[{\"mode\":\"host\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"},"
                     PORT_JSON(81, 81) "]}");
}

TEST(ports_differing_in_protocol_are_both_kept)
{
        ASSERT_STREQ(merge_web("{ports: [" PORT(53, 53) "]}", "{ports: [{mode: ingress, target: 53, published: '53', protocol: udp}]}"),
                     "{\"ports\":[" PORT_JSON(53, 53) ",{\"mode\":\"ingress\",\"target\":53,\"published\":\"53\",\"protocol\":\"udp\"}]}");
}

TEST(ports_differing_in_host_ip_are_both_kept)
{
        ASSERT_STREQ(merge_web("{ports: [" PORT(80, 80) "]}",
                               "{ports: [{mode: ingress, host_ip: 127.0.0.1, target: 80, published: '80', protocol: tcp}]}"),
                     "{\"ports\":[" PORT_JSON(80, 80) ",{\"mode\":\"ingress\",\"host_ip\":\"127.0.0.1\",\"target\":80,"
                     "\"published\":\"80\",\"protocol\":\"tcp\"}]}");
}

TEST(port_without_host_ip_equals_port_on_0_0_0_0)
{
        ASSERT_STREQ(merge_web("{ports: [" PORT(80, 80) "]}",
                               "{ports: [{mode: ingress, host_ip: 0.0.0.0, target: 80, published: '80', protocol: tcp}]}"),
                     "{\"ports\":[{\"mode\":\"ingress\",\"host_ip\":\"0.0.0.0\",\"target\":80,\"published\":\"80\","
                     "\"protocol\":\"tcp\"}]}");
}

TEST(unpublished_ports_with_same_target_appear_once)
{
        ASSERT_STREQ(merge_web("{ports: [{mode: ingress, target: 80, protocol: tcp}]}",
                               "{ports: [{mode: ingress, target: 80, protocol: tcp}, {mode: ingress, target: 81, protocol: tcp}]}"),
                     "{\"ports\":[{\"mode\":\"ingress\",\"target\":80,\"protocol\":\"tcp\"},"
                     "{\"mode\":\"ingress\",\"target\":81,\"protocol\":\"tcp\"}]}");
}

/* ---- other lists ---- */

TEST(expose_is_appended_without_duplicates)
{
        ASSERT_STREQ(merge_web("{expose: ['80', '443']}", "{expose: ['443', '8080']}"),
                     "{\"expose\":[\"80\",\"443\",\"8080\"]}");
}

TEST(dns_is_appended_without_duplicates)
{
        ASSERT_STREQ(merge_web("{dns: [8.8.8.8]}", "{dns: [8.8.8.8, 9.9.9.9]}"), "{\"dns\":[\"8.8.8.8\",\"9.9.9.9\"]}");
}

TEST(dns_scalar_is_a_one_entry_list)
{
        ASSERT_STREQ(merge_web("{dns: 1.1.1.1}", "{dns: 8.8.8.8}"), "{\"dns\":[\"1.1.1.1\",\"8.8.8.8\"]}");
}

TEST(dns_search_and_dns_opt_are_appended_without_duplicates)
{
        ASSERT_STREQ(merge_web("{dns_search: [a.example], dns_opt: ['ndots:2']}",
                               "{dns_search: [a.example, b.example], dns_opt: ['ndots:2', rotate]}"),
                     "{\"dns_search\":[\"a.example\",\"b.example\"],\"dns_opt\":[\"ndots:2\",\"rotate\"]}");
}

TEST(cap_add_and_cap_drop_are_appended_without_duplicates)
{
        ASSERT_STREQ(merge_web("{cap_add: [NET_ADMIN], cap_drop: [ALL]}", "{cap_add: [NET_ADMIN, SYS_PTRACE], cap_drop: [ALL]}"),
                     "{\"cap_add\":[\"NET_ADMIN\",\"SYS_PTRACE\"],\"cap_drop\":[\"ALL\"]}");
}

TEST(security_opt_group_add_external_links_drop_identical_entries)
{
        ASSERT_STREQ(merge_web("{security_opt: ['label:disable'], group_add: [audio], external_links: [x]}",
                               "{security_opt: ['label:disable', 'no-new-privileges:true'], group_add: [audio, video],"
                               " external_links: [x, y]}"),
                     "{\"security_opt\":[\"label:disable\",\"no-new-privileges:true\"],\"group_add\":[\"audio\",\"video\"],"
                     "\"external_links\":[\"x\",\"y\"]}");
}

TEST(links_and_profiles_are_appended_without_duplicates)
{
        ASSERT_STREQ(merge_web("{links: [db, 'cache:c'], profiles: [dev]}", "{links: [db, queue], profiles: [dev, debug]}"),
                     "{\"links\":[\"db\",\"cache:c\",\"queue\"],\"profiles\":[\"dev\",\"debug\"]}");
}

TEST(tmpfs_is_appended_without_duplicates)
{
        ASSERT_STREQ(merge_web("{tmpfs: [/run, /tmp]}", "{tmpfs: [/tmp, /cache]}"), "{\"tmpfs\":[\"/run\",\"/tmp\",\"/cache\"]}");
}

TEST(volumes_from_drop_identical_entries)
{
        ASSERT_STREQ(merge_web("{volumes_from: [data]}", "{volumes_from: [data, 'logs:ro']}"),
                     "{\"volumes_from\":[\"data\",\"logs:ro\"]}");
}

TEST(devices_merge_by_container_path)
{
        ASSERT_STREQ(merge_web("{devices: ['/dev/a:/dev/x', '/dev/b:/dev/y:r']}", "{devices: ['/dev/c:/dev/x:rwm']}"),
                     "{\"devices\":[\"/dev/c:/dev/x:rwm\",\"/dev/b:/dev/y:r\"]}");
}

TEST(long_form_devices_merge_by_target)
{
        ASSERT_STREQ(merge_web("{devices: [{source: /dev/a, target: /dev/x, permissions: rwm}]}",
                               "{devices: [{source: /dev/b, target: /dev/x, permissions: r}]}"),
                     "{\"devices\":[{\"source\":\"/dev/b\",\"target\":\"/dev/x\",\"permissions\":\"r\"}]}");
}

TEST(env_file_merges_by_path_later_entry_wins)
{
        ASSERT_STREQ(merge_web("{env_file: [{path: /p/a.env, required: true}]}",
                               "{env_file: [{path: /p/a.env, required: false}, {path: /p/b.env, required: true}]}"),
                     "{\"env_file\":[{\"path\":\"/p/a.env\",\"required\":false},{\"path\":\"/p/b.env\",\"required\":true}]}");
}

TEST(extra_hosts_drop_entries_already_in_base)
{
        ASSERT_STREQ(merge_web("{extra_hosts: ['a=1.1.1.1']}", "{extra_hosts: ['a=1.1.1.1', 'b=2.2.2.2']}"),
                     "{\"extra_hosts\":[\"a=1.1.1.1\",\"b=2.2.2.2\"]}");
}

TEST(extra_hosts_same_host_other_address_is_kept)
{
        /* compose-go only drops identical entries: a host may have several addresses */
        ASSERT_STREQ(merge_web("{extra_hosts: ['a=1.1.1.1']}", "{extra_hosts: ['a=::1']}"),
                     "{\"extra_hosts\":[\"a=1.1.1.1\",\"a=::1\"]}");
}

TEST(extra_hosts_mapping_becomes_sorted_list)
{
        ASSERT_STREQ(merge_web("{extra_hosts: ['z=9.9.9.9']}", "{extra_hosts: {b: 2.2.2.2, a: 1.1.1.1}}"),
                     "{\"extra_hosts\":[\"z=9.9.9.9\",\"a=1.1.1.1\",\"b=2.2.2.2\"]}");
}

/* ---- volumes, secrets, configs ---- */

TEST(volume_with_same_target_replaces_base_entry_in_place)
{
        ASSERT_STREQ(merge_web("{volumes: [{type: volume, source: data, target: /data}, {type: bind, source: /src, target: /app}]}",
                               "{volumes: [{type: bind, source: /other, target: /data, read_only: true}]}"),
                     "{\"volumes\":[{\"type\":\"bind\",\"source\":\"/other\",\"target\":\"/data\",\"read_only\":true},"
                     "{\"type\":\"bind\",\"source\":\"/src\",\"target\":\"/app\"}]}");
}

TEST(volume_with_new_target_is_appended)
{
        ASSERT_STREQ(merge_web("{volumes: [{type: volume, source: data, target: /data}]}",
                               "{volumes: [{type: tmpfs, target: /tmp}]}"),
                     "{\"volumes\":[{\"type\":\"volume\",\"source\":\"data\",\"target\":\"/data\"},"
                     "{\"type\":\"tmpfs\",\"target\":\"/tmp\"}]}");
}

TEST(secret_with_default_target_is_replaced)
{
        ASSERT_STREQ(merge_web("{secrets: [{source: a}]}", "{secrets: [{source: a, uid: '1000'}]}"),
                     "{\"secrets\":[{\"source\":\"a\",\"uid\":\"1000\"}]}");
}

TEST(same_secret_at_another_target_is_kept)
{
        /* secrets are unique by target (default /run/secrets/<source>), not by source */
        ASSERT_STREQ(merge_web("{secrets: [{source: a}]}", "{secrets: [{source: a, target: /etc/a}]}"),
                     "{\"secrets\":[{\"source\":\"a\"},{\"source\":\"a\",\"target\":\"/etc/a\"}]}");
}

TEST(other_secret_at_same_target_replaces)
{
        ASSERT_STREQ(merge_web("{secrets: [{source: a}, {source: c}]}", "{secrets: [{source: b, target: /run/secrets/a}]}"),
                     "{\"secrets\":[{\"source\":\"b\",\"target\":\"/run/secrets/a\"},{\"source\":\"c\"}]}");
}

TEST(config_default_target_is_slash_source)
{
        ASSERT_STREQ(merge_web("{configs: [{source: c}]}", "{configs: [{source: d, target: /c}, {source: e}]}"),
                     "{\"configs\":[{\"source\":\"d\",\"target\":\"/c\"},{\"source\":\"e\"}]}");
}

/* ---- depends_on, networks, ulimits, logging, build ---- */

TEST(depends_on_merges_by_service_and_by_key)
{
        ASSERT_STREQ(merge_web("{depends_on: {db: {condition: service_started, required: true}}}",
                               "{depends_on: {db: {condition: service_healthy}, cache: {condition: service_started, required: false}}}"),
                     "{\"depends_on\":{\"db\":{\"condition\":\"service_healthy\",\"required\":true},"
                     "\"cache\":{\"condition\":\"service_started\",\"required\":false}}}");
}

TEST(depends_on_list_gets_long_form_defaults)
{
        ASSERT_STREQ(merge_web("{depends_on: {db: {condition: service_healthy, required: true}}}", "{depends_on: [cache]}"),
                     "{\"depends_on\":{\"db\":{\"condition\":\"service_healthy\",\"required\":true},"
                     "\"cache\":{\"condition\":\"service_started\",\"required\":true}}}");
}

TEST(depends_on_null_override_keeps_base)
{
        ASSERT_STREQ(merge_web("{depends_on: {db: {condition: service_started, required: true}}}", "{depends_on: null}"),
                     "{\"depends_on\":{\"db\":{\"condition\":\"service_started\",\"required\":true}}}");
}

TEST(service_networks_merge_by_name)
{
        ASSERT_STREQ(merge_web("{networks: {front: null, back: {priority: 1}}}", "{networks: {back: {ipv4_address: 10.0.0.2}, admin: null}}"),
                     "{\"networks\":{\"front\":null,\"back\":{\"priority\":1,\"ipv4_address\":\"10.0.0.2\"},\"admin\":null}}");
}

TEST(service_network_null_base_takes_override_settings)
{
        ASSERT_STREQ(merge_web("{networks: {front: null}}", "{networks: {front: {aliases: [web1]}}}"),
                     "{\"networks\":{\"front\":{\"aliases\":[\"web1\"]}}}");
}

TEST(service_network_null_override_keeps_settings)
{
        ASSERT_STREQ(merge_web("{networks: {front: {aliases: [web1]}}}", "{networks: {front: null}}"),
                     "{\"networks\":{\"front\":{\"aliases\":[\"web1\"]}}}");
}

TEST(service_network_aliases_are_appended_without_duplicates)
{
        ASSERT_STREQ(merge_web("{networks: {n1: {aliases: [a1, a2], link_local_ips: [57.123.22.11]}}}",
                               "{networks: {n1: {aliases: [a3, a1], link_local_ips: [57.123.22.12, 57.123.22.11]}}}"),
                     "{\"networks\":{\"n1\":{\"aliases\":[\"a1\",\"a2\",\"a3\"],"
                     "\"link_local_ips\":[\"57.123.22.11\",\"57.123.22.12\"]}}}");
}

TEST(service_networks_list_override_becomes_mapping)
{
        ASSERT_STREQ(merge_web("{networks: {front: {aliases: [x]}}}", "{networks: [front, back]}"),
                     "{\"networks\":{\"front\":{\"aliases\":[\"x\"]},\"back\":null}}");
}

TEST(ulimits_merge_by_limit_and_by_key)
{
        ASSERT_STREQ(merge_web("{ulimits: {nofile: {soft: 20000, hard: 40000}, locks: {soft: 1, hard: 2}}}",
                               "{ulimits: {nofile: {soft: 10000}, nproc: 65535}}"),
                     "{\"ulimits\":{\"nofile\":{\"soft\":10000,\"hard\":40000},\"locks\":{\"soft\":1,\"hard\":2},"
                     "\"nproc\":65535}}");
}

TEST(ulimit_short_form_replaces_long_form)
{
        ASSERT_STREQ(merge_web("{ulimits: {nofile: {soft: 1, hard: 2}, nproc: 5}}", "{ulimits: {nofile: 3, nproc: {soft: 6, hard: 7}}}"),
                     "{\"ulimits\":{\"nofile\":3,\"nproc\":{\"soft\":6,\"hard\":7}}}");
}

TEST(logging_same_driver_merges_options)
{
        ASSERT_STREQ(merge_web("{logging: {driver: syslog, options: {syslog-address: 'tcp://1.2.3.4:1', tag: web}}}",
                               "{logging: {driver: syslog, options: {syslog-address: 'tcp://127.0.0.1:1'}}}"),
                     "{\"logging\":{\"driver\":\"syslog\",\"options\":{\"syslog-address\":\"tcp://127.0.0.1:1\",\"tag\":\"web\"}}}");
}

TEST(logging_other_driver_replaces_whole)
{
        ASSERT_STREQ(merge_web("{logging: {driver: local, options: {max-size: 10m}}}",
                               "{logging: {driver: syslog, options: {syslog-address: 'tcp://127.0.0.1:1'}}}"),
                     "{\"logging\":{\"driver\":\"syslog\",\"options\":{\"syslog-address\":\"tcp://127.0.0.1:1\"}}}");
}

TEST(logging_without_driver_in_override_merges)
{
        ASSERT_STREQ(merge_web("{logging: {driver: json-file, options: {max-size: 10m}}}", "{logging: {options: {max-file: '3'}}}"),
                     "{\"logging\":{\"driver\":\"json-file\",\"options\":{\"max-size\":\"10m\",\"max-file\":\"3\"}}}");
}

TEST(build_merges_by_key_and_args_by_name)
{
        ASSERT_STREQ(merge_web("{build: {context: /a, dockerfile: Dockerfile, args: {A: '1', B: '2'}}}",
                               "{build: {dockerfile: Dockerfile.dev, args: {B: '3', C: null}}}"),
                     "{\"build\":{\"context\":\"/a\",\"dockerfile\":\"Dockerfile.dev\",\"args\":{\"A\":\"1\",\"B\":\"3\",\"C\":null}}}");
}

TEST(build_string_override_is_the_context)
{
        ASSERT_STREQ(merge_web("{build: {context: /a, target: prod}}", "{build: /b}"),
                     "{\"build\":{\"context\":\"/b\",\"target\":\"prod\"}}");
}

TEST(build_lists_tags_and_cache_from)
{
        ASSERT_STREQ(merge_web("{build: {context: /a, tags: ['x:1'], cache_from: [a]}}",
                               "{build: {tags: ['x:1', 'x:2'], cache_from: [a, b]}}"),
                     "{\"build\":{\"context\":\"/a\",\"tags\":[\"x:1\",\"x:2\"],\"cache_from\":[\"a\",\"b\"]}}");
}

/* ---- !reset and !override ---- */

TEST(reset_removes_the_key)
{
        ASSERT_STREQ(merge_web("{image: a, ports: [" PORT(80, 80) "]}", "{ports: !reset []}"), "{\"image\":\"a\"}");
}

TEST(reset_of_a_scalar_removes_it)
{
        ASSERT_STREQ(merge_web("{image: a, user: root}", "{user: !reset null}"), "{\"image\":\"a\"}");
}

TEST(reset_removes_one_environment_entry)
{
        ASSERT_STREQ(merge_web("{environment: {A: '1', KEEP: me}}", "{environment: {A: !reset null, B: '2'}}"),
                     "{\"environment\":{\"KEEP\":\"me\",\"B\":\"2\"}}");
}

TEST(reset_removes_nested_build_arg)
{
        ASSERT_STREQ(merge_web("{build: {context: /a, args: {A: '1', B: '2'}}}", "{build: {args: {B: !reset ''}}}"),
                     "{\"build\":{\"context\":\"/a\",\"args\":{\"A\":\"1\"}}}");
}

TEST(reset_removes_one_dependency)
{
        ASSERT_STREQ(merge_web("{depends_on: {db: {condition: service_started, required: true}, cache: {condition: service_started, required: true}}}",
                               "{depends_on: {cache: !reset {}}}"),
                     "{\"depends_on\":{\"db\":{\"condition\":\"service_started\",\"required\":true}}}");
}

TEST(reset_of_a_missing_key_adds_nothing)
{
        ASSERT_STREQ(merge_web("{image: a}", "{ports: !reset [], user: u}"), "{\"image\":\"a\",\"user\":\"u\"}");
}

TEST(reset_removes_a_whole_service)
{
        ASSERT_STREQ(merge_docs("services:\n  web: {image: a}\n  db: {image: b}\n", "services:\n  web: !reset\n"),
                     "{\"services\":{\"db\":{\"image\":\"b\"}}}");
}

TEST(reset_inside_a_new_service_is_dropped)
{
        ASSERT_STREQ(merge_docs("services:\n  web: {image: a}\n",
                                "services:\n  db: {image: b, environment: {A: !reset '', B: '1'}, ports: !reset []}\n"),
                     "{\"services\":{\"web\":{\"image\":\"a\"},\"db\":{\"image\":\"b\",\"environment\":{\"B\":\"1\"}}}}");
}

TEST(reset_sequence_item_is_dropped_and_base_items_stay)
{
        /* compose-go does not remove items from a base sequence (reset.go
         * TODO): the tagged item only disappears from the override */
        ASSERT_STREQ(merge_web("{cap_add: [A, B]}", "{cap_add: [!reset A, C]}"), "{\"cap_add\":[\"A\",\"B\",\"C\"]}");
}

TEST(override_replaces_a_mapping_whole)
{
        ASSERT_STREQ(merge_web("{environment: {A: '1', B: '2'}}", "{environment: !override {C: '3'}}"),
                     "{\"environment\":{\"C\":\"3\"}}");
}

TEST(override_replaces_a_sequence_whole)
{
        ASSERT_STREQ(merge_web("{ports: [" PORT(80, 80) ", " PORT(81, 81) "]}", "{ports: !override [" PORT(82, 82) "]}"),
                     "{\"ports\":[" PORT_JSON(82, 82) "]}");
}

TEST(override_of_a_nested_mapping_keeps_siblings)
{
        ASSERT_STREQ(merge_web("{deploy: {replicas: 2, resources: {limits: {cpus: '1', memory: 1G}}}}",
                               "{deploy: {resources: !override {reservations: {memory: 1M}}}}"),
                     "{\"deploy\":{\"replicas\":2,\"resources\":{\"reservations\":{\"memory\":\"1M\"}}}}");
}

TEST(override_replaces_a_top_level_network)
{
        ASSERT_STREQ(merge_docs("networks:\n  test: {name: test, external: true}\n", "networks:\n  test: !override {}\n"),
                     "{\"networks\":{\"test\":{}}}");
}

TEST(override_with_reset_inside_drops_the_reset_entry)
{
        ASSERT_STREQ(merge_web("{environment: {A: '1'}}", "{environment: !override {B: '2', C: !reset ''}}"),
                     "{\"environment\":{\"B\":\"2\"}}");
}

/* ---- top level ---- */

TEST(new_services_are_appended)
{
        ASSERT_STREQ(merge_docs("services:\n  web: {image: a}\n  db: {image: b}\n", "services:\n  cache: {image: c}\n  web: {user: u}\n"),
                     "{\"services\":{\"web\":{\"image\":\"a\",\"user\":\"u\"},\"db\":{\"image\":\"b\"},\"cache\":{\"image\":\"c\"}}}");
}

TEST(null_service_in_override_keeps_base_service)
{
        ASSERT_STREQ(merge_docs("services:\n  web: {image: a}\n", "services:\n  web:\n"), "{\"services\":{\"web\":{\"image\":\"a\"}}}");
}

TEST(project_name_is_replaced)
{
        ASSERT_STREQ(merge_docs("name: one\nservices: {}\n", "name: two\n"), "{\"name\":\"two\",\"services\":{}}");
}

TEST(top_level_networks_merge_by_name_recursively)
{
        ASSERT_STREQ(merge_docs("networks:\n  front: {driver: bridge, labels: {a: '1'}, driver_opts: {mtu: '1400'}}\n",
                                "networks:\n  front: {labels: {b: '2'}, driver_opts: {x: y}}\n  back: {internal: true}\n"),
                     "{\"networks\":{\"front\":{\"driver\":\"bridge\",\"labels\":{\"a\":\"1\",\"b\":\"2\"},"
                     "\"driver_opts\":{\"mtu\":\"1400\",\"x\":\"y\"}},\"back\":{\"internal\":true}}}");
}

TEST(top_level_volumes_secrets_configs_merge_by_name)
{
        ASSERT_STREQ(merge_docs("volumes:\n  data: {driver: local}\nsecrets:\n  s: {file: /a}\nconfigs:\n  c: {file: /c}\n",
                                "volumes:\n  data: {labels: {x: '1'}}\n  logs: {}\nsecrets:\n  s: {file: /b}\nconfigs:\n  d: {environment: D}\n"),
                     "{\"volumes\":{\"data\":{\"driver\":\"local\",\"labels\":{\"x\":\"1\"}},\"logs\":{}},"
                     "\"secrets\":{\"s\":{\"file\":\"/b\"}},\"configs\":{\"c\":{\"file\":\"/c\"},\"d\":{\"environment\":\"D\"}}}");
}

TEST(ipam_config_entries_merge_by_subnet)
{
        ASSERT_STREQ(merge_docs("networks:\n  n: {ipam: {driver: default, config: [{subnet: 10.5.0.0/16, gateway: 10.5.0.1}]}}\n",
                                "networks:\n  n: {ipam: {config: [{subnet: 10.5.0.0/16, ip_range: 10.5.1.0/24}]}}\n"),
                     "{\"networks\":{\"n\":{\"ipam\":{\"driver\":\"default\",\"config\":[{\"subnet\":\"10.5.0.0/16\","
                     "\"gateway\":\"10.5.0.1\",\"ip_range\":\"10.5.1.0/24\"}]}}}}");
}

TEST(ipam_config_of_another_subnet_replaces_base_entries)
{
        ASSERT_STREQ(merge_docs("networks:\n  n: {ipam: {config: [{subnet: 10.5.0.0/16}]}}\n",
                                "networks:\n  n: {ipam: {config: [{subnet: 10.6.0.0/16}]}}\n"),
                     "{\"networks\":{\"n\":{\"ipam\":{\"config\":[{\"subnet\":\"10.6.0.0/16\"}]}}}}");
}

TEST(extension_fields_merge_recursively)
{
        /* compose-go >= 2.6 (compose-spec/compose-go#768) merges x- keys like any mapping */
        ASSERT_STREQ(merge_docs("x-common: {a: 1, list: [x]}\nservices: {}\n", "x-common: {b: 2, list: [y]}\n"),
                     "{\"x-common\":{\"a\":1,\"list\":[\"x\",\"y\"],\"b\":2},\"services\":{}}");
}

TEST(extension_scalar_is_replaced)
{
        ASSERT_STREQ(merge_web("{image: a, x-tier: front}", "{x-tier: back}"), "{\"image\":\"a\",\"x-tier\":\"back\"}");
}

TEST(empty_override_document_changes_nothing)
{
        struct cc_error err = {0};
        struct cc_node *b = parse("services:\n  web: {image: a}\n", "base.yaml");
        ASSERT_INTEQ(cc_merge_project(b, NULL, &err), 0);
        ASSERT_STREQ(json(b), "{\"services\":{\"web\":{\"image\":\"a\"}}}");
        cc_node_free(b);
}

/* ---- errors ---- */

TEST(mapping_over_list_is_an_error_with_position)
{
        ASSERT_STREQ(merge_docs_err("services:\n  web: {deploy: {replicas: 1}}\n", "services:\n  web: {deploy: [a]}\n"),
                     "override.yaml:2:17: cannot override services.web.deploy");
}

TEST(list_over_mapping_is_an_error)
{
        ASSERT_STREQ(merge_docs_err("services:\n  web:\n    volumes_from: [a]\n", "services:\n  web:\n    volumes_from: {a: 1}\n"),
                     "override.yaml:3:19: cannot override services.web.volumes_from");
}

TEST(top_level_sequence_is_an_error)
{
        ASSERT_CONTAINS(merge_docs_err("services: {}\n", "- a\n"), "override.yaml:1:1: top-level object must be a mapping");
}

TEST(volume_without_target_is_an_error)
{
        ASSERT_STREQ(merge_docs_err("services:\n  web: {volumes: [{type: volume, target: /a}]}\n",
                                    "services:\n  web: {volumes: [{type: volume, source: x}]}\n"),
                     "override.yaml:2:19: services.web.volumes: volume is missing a mount target");
}

/* ---- cc_merge_service (extends) ---- */

TEST(merge_service_uses_service_rules)
{
        struct cc_error err = {0};
        struct cc_node *b = parse("{image: a, command: [x], ports: [" PORT(80, 80) "], environment: {A: '1'}}", "base.yaml");
        struct cc_node *o = parse("{command: [y], ports: [" PORT(80, 80) "], environment: {B: '2'}}", "override.yaml");
        ASSERT_INTEQ(cc_merge_service(b, o, &err), 0);
        ASSERT_STREQ(json(b), "{\"image\":\"a\",\"command\":[\"y\"],\"ports\":[" PORT_JSON(80, 80) "],"
                              "\"environment\":{\"A\":\"1\",\"B\":\"2\"}}");
        /* the override is not touched */
        ASSERT_STREQ(json(o), "{\"command\":[\"y\"],\"ports\":[" PORT_JSON(80, 80) "],\"environment\":{\"B\":\"2\"}}");
        cc_node_free(b);
        cc_node_free(o);
}

TEST(merge_service_error_names_the_key_only)
{
        struct cc_error err = {0};
        struct cc_node *b = parse("{healthcheck: {interval: 1s}}", "base.yaml");
        struct cc_node *o = parse("{healthcheck: [x]}", "override.yaml");
        ASSERT(cc_merge_service(b, o, &err) < 0);
        ASSERT_STREQ(err.msg, "override.yaml:1:15: cannot override healthcheck");
        cc_node_free(b);
        cc_node_free(o);
        cc_error_clear(&err);
}

TEST(merge_service_reset_removes_inherited_key)
{
        struct cc_error err = {0};
        struct cc_node *b = parse("{image: a, volumes: [{type: volume, source: d, target: /d}]}", "base.yaml");
        struct cc_node *o = parse("{volumes: !reset []}", "override.yaml");
        ASSERT_INTEQ(cc_merge_service(b, o, &err), 0);
        ASSERT_STREQ(json(b), "{\"image\":\"a\"}");
        cc_node_free(b);
        cc_node_free(o);
}

/* ---- strip, unicity, properties ---- */

TEST(strip_reset_removes_tagged_entries_at_any_depth)
{
        struct cc_node *n = parse("services:\n  web:\n    image: a\n    user: !reset root\n"
                                  "    environment: {A: '1', B: !reset ''}\n    cap_add: [X, !reset Y]\n"
                                  "  gone: !reset {image: b}\n", "base.yaml");
        cc_merge_strip_reset(n);
        ASSERT_STREQ(json(n), "{\"services\":{\"web\":{\"image\":\"a\",\"environment\":{\"A\":\"1\"},\"cap_add\":[\"X\"]}}}");
        cc_node_free(n);
}

TEST(enforce_unicity_on_a_single_file)
{
        struct cc_error err = {0};
        struct cc_node *n = parse("services:\n  web:\n    ports: [" PORT(80, 80) ", " PORT(80, 80) "]\n"
                                  "    volumes: [{type: volume, source: a, target: /d}, {type: volume, source: b, target: /d}]\n"
                                  "    security_opt: [x, x]\n", "base.yaml");
        ASSERT_INTEQ(cc_merge_enforce_unicity(n, &err), 0);
        ASSERT_STREQ(json(n), "{\"services\":{\"web\":{\"ports\":[" PORT_JSON(80, 80) "],"
                              "\"volumes\":[{\"type\":\"volume\",\"source\":\"b\",\"target\":\"/d\"}],"
                              "\"security_opt\":[\"x\",\"x\"]}}}");
        cc_node_free(n);
}

TEST(merging_the_same_override_twice_changes_nothing)
{
        const char *over = "services:\n  web: {dns: [9.9.9.9], env_file: [{path: /c.env, required: true}, {path: /t.env, required: true}],"
                           " extra_hosts: ['h1=127.0.0.1', 'h2=127.0.0.2'], security_opt: [a], ports: [" PORT(80, 80) "]}\n";
        struct cc_error err = {0};
        struct cc_node *b = parse("services:\n  web: {dns: [8.8.8.8], env_file: [{path: /c.env, required: true}],"
                                  " extra_hosts: ['h1=127.0.0.1']}\n", "base.yaml");
        struct cc_node *o = parse(over, "override.yaml");
        ASSERT_INTEQ(cc_merge_project(b, o, &err), 0);
        char *once = json(b);
        ASSERT_INTEQ(cc_merge_project(b, o, &err), 0);
        char *twice = json(b);
        ASSERT_STREQ(twice, once);
        ASSERT_CONTAINS(once, "\"dns\":[\"8.8.8.8\",\"9.9.9.9\"]");
        cc_node_free(b);
        cc_node_free(o);
}

TEST(merged_values_keep_their_source_positions)
{
        struct cc_error err = {0};
        struct cc_node *b = parse("services:\n  web:\n    image: a\n", "base.yaml");
        struct cc_node *o = parse("services:\n  web:\n    user: u\n    image: b\n", "override.yaml");
        ASSERT_INTEQ(cc_merge_project(b, o, &err), 0);
        struct cc_node *web = cc_node_map_get(cc_node_map_get(b, "services"), "web");
        struct cc_node *user = cc_node_map_get(web, "user");
        struct cc_node *image = cc_node_map_get(web, "image");
        ASSERT_STREQ(cc_pos_file(&user->pos), "override.yaml");
        ASSERT_INTEQ(user->pos.line, 3);
        ASSERT_STREQ(cc_pos_file(&image->pos), "override.yaml");
        ASSERT_INTEQ(image->pos.line, 4);
        cc_node_free(b);
        cc_node_free(o);
}

TEST(three_files_merge_in_order)
{
        struct cc_error err = {0};
        struct cc_node *b = parse("services:\n  test: {image: foo, scale: 1}\n", "a.yaml");
        struct cc_node *o1 = parse("services:\n  test: {image: bar}\n", "b.yaml");
        struct cc_node *o2 = parse("services:\n  test: {scale: 2}\n", "c.yaml");
        ASSERT_INTEQ(cc_merge_project(b, o1, &err), 0);
        ASSERT_INTEQ(cc_merge_project(b, o2, &err), 0);
        ASSERT_STREQ(json(b), "{\"services\":{\"test\":{\"image\":\"bar\",\"scale\":2}}}");
        cc_node_free(b);
        cc_node_free(o1);
        cc_node_free(o2);
}

TEST(tags_do_not_leak_into_the_result)
{
        struct cc_error err = {0};
        struct cc_node *b = parse("services:\n  web: {image: a}\n", "base.yaml");
        struct cc_node *o = parse("services:\n  web: {environment: !override {A: '1'}}\n  db: !override {image: d}\n", "override.yaml");
        ASSERT_INTEQ(cc_merge_project(b, o, &err), 0);
        struct cc_node *svcs = cc_node_map_get(b, "services");
        ASSERT_INTEQ(cc_node_map_get(cc_node_map_get(svcs, "web"), "environment")->flags, 0);
        ASSERT_INTEQ(cc_node_map_get(svcs, "db")->flags, 0);
        cc_node_free(b);
        cc_node_free(o);
}

/* Long lists and maps merge as short ones do (not timed; the merge is
 * linear: entries are found by hash, not by comparing with each other). */
TEST(large_lists_and_maps_merge_like_small_ones)
{
        enum { N = 20000 };
        struct cc_buf b = {0}, o = {0};
        cc_buf_puts(&b, "services:\n  web:\n    ports:\n");
        cc_buf_puts(&o, "services:\n  web:\n    ports:\n");
        for (int i = 0; i < N; i++) {
                cc_buf_printf(&b, "      - {target: %d, published: \"%d\", protocol: tcp}\n", i, 30000 + i % 20000);
                /* half of them again (same key: replaced in place), half new */
                cc_buf_printf(&o, "      - {target: %d, published: \"%d\", protocol: tcp, mode: host}\n", i + N / 2,
                              30000 + (i + N / 2) % 20000);
        }
        cc_buf_puts(&b, "    x-items:\n");
        cc_buf_puts(&o, "    x-items:\n");
        for (int i = 0; i < N; i++) {
                cc_buf_printf(&b, "      - {a: %d, b: x}\n", i);
                cc_buf_printf(&o, "      - {b: x, a: %d}\n", i + N / 2); /* same mapping, keys reordered */
        }
        cc_buf_puts(&b, "    extra_hosts:\n");
        cc_buf_puts(&o, "    extra_hosts:\n");
        for (int i = 0; i < N; i++) {
                cc_buf_printf(&b, "      - \"h%d=10.0.0.1\"\n", i);
                cc_buf_printf(&o, "      - \"h%d=10.0.0.1\"\n", i + N / 2);
        }
        cc_buf_puts(&b, "    labels:\n");
        cc_buf_puts(&o, "    labels: !override\n");
        for (int i = 0; i < N; i++)
                cc_buf_printf(&b, "      l%d: v\n", i);
        cc_buf_puts(&o, "      l1: w\n");
        cc_buf_puts(&b, "    annotations:\n");
        cc_buf_puts(&o, "    annotations:\n");
        for (int i = 0; i < N; i++) {
                cc_buf_printf(&b, "      a%d: v\n", i);
                if (i % 2)
                        cc_buf_printf(&o, "      a%d: !reset null\n", i);
        }
        struct cc_error err = {0};
        struct cc_node *bn = parse(b.s, "base.yaml"), *on = parse(o.s, "override.yaml");
        cc_merge_strip_reset(bn);
        if (cc_merge_project(bn, on, &err) < 0)
                tap_fail(__FILE__, __LINE__, "merge: %s", cc_error_msg(&err));
        struct cc_node *web = cc_node_map_get(cc_node_map_get(bn, "services"), "web");
        struct cc_node *ports = cc_node_map_get(web, "ports");
        ASSERT_INTEQ(ports->n, N + N / 2);
        ASSERT(!cc_node_map_get(ports->items[N / 2 - 1], "mode"));
        ASSERT_STREQ(cc_node_map_str(ports->items[N / 2], "mode"), "host");
        ASSERT_STREQ(cc_node_map_str(ports->items[N / 2], "target"), "10000");
        ASSERT_STREQ(cc_node_map_str(ports->items[N + N / 2 - 1], "target"), "29999");
        ASSERT_INTEQ(cc_node_map_get(web, "x-items")->n, N + N / 2);
        ASSERT_INTEQ(cc_node_map_get(web, "extra_hosts")->n, N + N / 2);
        ASSERT_STREQ(json(cc_node_map_get(web, "labels")), "{\"l1\":\"w\"}");
        struct cc_node *ann = cc_node_map_get(web, "annotations");
        ASSERT_INTEQ(ann->n, N / 2);
        ASSERT_STREQ(cc_node_key(ann, 0), "a0");
        ASSERT_STREQ(cc_node_key(ann, 1), "a2");
        ASSERT_NULL(cc_node_map_get(ann, "a19999"));
        ASSERT_STREQ(cc_node_map_str(ann, "a19998"), "v");
        cc_node_free(bn);
        cc_node_free(on);
        cc_buf_free(&b);
        cc_buf_free(&o);
}
