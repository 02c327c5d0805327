#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "interpolate.h"
#include "node.h"
#include "schema.h"
#include "tap.h"

static struct cc_node *parse(const char *y)
{
        struct cc_error err = {0};
        struct cc_node *n = NULL;
        if (cc_yaml_parse(y, strlen(y), "compose.yaml", &n, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse: %s", cc_error_msg(&err));
        return n;
}

/* Flag every string value as if interpolation had produced it. */
static void mark_interpolated(struct cc_node *n)
{
        if (!n)
                return;
        if (n->kind == CC_NODE_SCALAR && n->type == CC_STR)
                n->flags |= CC_NODE_INTERPOLATED;
        for (size_t i = 0; i < n->n; i++)
                mark_interpolated(n->items[i]);
}

/* NULL when the document validates, else the message. */
static char *check(struct cc_node *n)
{
        struct cc_error err = {0};
        int r = cc_schema_validate(n, &err);
        if (r == 0)
                return NULL;
        ASSERT(r < 0);
        ASSERT_NOT_NULL(err.msg);
        return err.msg;
}

static char *validate(const char *y)
{
        struct cc_node *n = parse(y);
        char *m = check(n);
        cc_node_free(n);
        return m;
}

#define VALID(y)                                                                              \
        do {                                                                                  \
                char *m_ = validate(y);                                                       \
                if (m_)                                                                       \
                        tap_fail(__FILE__, __LINE__, "unexpected error: %s", m_);             \
        } while (0)

#define INVALID(y, want)                                                                      \
        do {                                                                                  \
                char *m_ = validate(y);                                                       \
                if (!m_)                                                                      \
                        tap_fail(__FILE__, __LINE__, "expected an error: %s", want);          \
                ASSERT_STREQ(m_, want);                                                       \
                free(m_);                                                                     \
        } while (0)

/* The document is refused (the message itself is checked elsewhere). */
#define REFUSED(y)                                                                            \
        do {                                                                                  \
                char *m_ = validate(y);                                                       \
                if (!m_)                                                                      \
                        tap_fail(__FILE__, __LINE__, "expected an error for: %s", y);         \
                free(m_);                                                                     \
        } while (0)

/* Validate a tree in place and compare the message. */
#define CHECK_MSG(n, want)                                                                    \
        do {                                                                                  \
                char *m_ = check(n);                                                          \
                ASSERT_STREQ(m_, want);                                                       \
                free(m_);                                                                     \
        } while (0)

static struct cc_node *get(struct cc_node *n, const char *path)
{
        char *dup = strdup(path), *save = NULL;
        for (char *t = strtok_r(dup, "/", &save); t && n; t = strtok_r(NULL, "/", &save)) {
                if (n->kind == CC_NODE_SEQ)
                        n = (size_t) atoi(t) < n->n ? n->items[atoi(t)] : NULL;
                else
                        n = cc_node_map_get(n, t);
        }
        free(dup);
        return n;
}

/* ---- valid documents ---- */

TEST(minimal_service)
{
        VALID("services:\n  web:\n    image: nginx\n");
}

TEST(empty_document_is_left_to_the_loader)
{
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_schema_validate(NULL, &err), 0);
}

TEST(web_db_cache_stack)
{
        VALID("name: shop\n"
              "services:\n"
              "  web:\n"
              "    build: ./web\n"
              "    ports:\n"
              "      - \"8080:80\"\n"
              "      - 443\n"
              "      - 127.0.0.1:9000-9001:9000-9001/udp\n"
              "    environment:\n"
              "      DATABASE_URL: postgres://db/shop\n"
              "      WORKERS: 4\n"
              "      DEBUG: false\n"
              "      EMPTY:\n"
              "    depends_on:\n"
              "      - db\n"
              "      - cache\n"
              "    restart: unless-stopped\n"
              "    healthcheck:\n"
              "      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]\n"
              "      interval: 30s\n"
              "      timeout: 10s\n"
              "      retries: 3\n"
              "      start_period: 5s\n"
              "  db:\n"
              "    image: postgres:16\n"
              "    volumes:\n"
              "      - db-data:/var/lib/postgresql/data\n"
              "      - ./init.sql:/docker-entrypoint-initdb.d/init.sql:ro\n"
              "    environment:\n"
              "      - POSTGRES_PASSWORD=secret\n"
              "      - POSTGRES_DB=shop\n"
              "    secrets: [db_password]\n"
              "  cache:\n"
              "    image: redis:7\n"
              "    command: redis-server --appendonly yes\n"
              "    restart: on-failure:5\n"
              "volumes:\n"
              "  db-data:\n"
              "secrets:\n"
              "  db_password:\n"
              "    file: ./db_password.txt\n");
}

TEST(long_syntax_of_every_service_key)
{
        VALID("services:\n"
              "  app:\n"
              "    annotations: {com.example.a: b}\n"
              "    attach: false\n"
              "    build:\n"
              "      context: .\n"
              "      dockerfile: Dockerfile.dev\n"
              "      dockerfile_inline: FROM busybox\n"
              "      args: {VERSION: 1, DEBUG: true}\n"
              "      ssh: [default]\n"
              "      labels: [a=b]\n"
              "      cache_from: [type=local,src=/tmp]\n"
              "      cache_to: [type=inline]\n"
              "      no_cache: true\n"
              "      additional_contexts: {base: docker-image://alpine}\n"
              "      network: host\n"
              "      pull: true\n"
              "      target: prod\n"
              "      shm_size: 256m\n"
              "      extra_hosts: {somehost: 162.242.195.82}\n"
              "      isolation: default\n"
              "      privileged: false\n"
              "      secrets: [npm_token, {source: gh, target: /run/gh}]\n"
              "      tags: [app:latest]\n"
              "      ulimits: {nofile: 1024}\n"
              "      platforms: [linux/amd64]\n"
              "      entitlements: [network.host]\n"
              "      provenance: mode=max\n"
              "      sbom: true\n"
              "      x-build-note: hi\n"
              "    blkio_config:\n"
              "      weight: 300\n"
              "      weight_device: [{path: /dev/sda, weight: 400}]\n"
              "      device_read_bps: [{path: /dev/sdb, rate: 12mb}]\n"
              "      device_read_iops: [{path: /dev/sdb, rate: 120}]\n"
              "      device_write_bps: [{path: /dev/sdb, rate: 1024k}]\n"
              "      device_write_iops: [{path: /dev/sdb, rate: 30}]\n"
              "    cpu_count: 2\n"
              "    cpu_percent: 50\n"
              "    cpu_shares: 73\n"
              "    cpu_quota: 50000\n"
              "    cpu_period: 100000\n"
              "    cpu_rt_period: 1400us\n"
              "    cpu_rt_runtime: 400\n"
              "    cpus: 1.5\n"
              "    cpuset: 0-3\n"
              "    cap_add: [ALL]\n"
              "    cap_drop: [NET_ADMIN, SYS_ADMIN]\n"
              "    cgroup: private\n"
              "    cgroup_parent: m-executor-abcd\n"
              "    command: [\"bundle\", \"exec\", \"thin\"]\n"
              "    configs: [cfg, {source: cfg2, target: /etc/cfg2, uid: '103', gid: '103', mode: 0440}]\n"
              "    container_name: my-web-container\n"
              "    credential_spec: {file: my-credential-spec.json}\n"
              "    depends_on:\n"
              "      db: {condition: service_healthy, restart: true}\n"
              "      init: {condition: service_completed_successfully, required: false}\n"
              "      cache: {condition: service_started, x-note: 1}\n"
              "    device_cgroup_rules: ['c 1:3 mr', 'a 7:* rmw']\n"
              "    devices: ['/dev/ttyUSB0:/dev/ttyUSB0', {source: /dev/sda, target: /dev/xvda, permissions: rwm}]\n"
              "    dns: 8.8.8.8\n"
              "    dns_opt: [use-vc, no-tld-query]\n"
              "    dns_search: [dc1.example.com, dc2.example.com]\n"
              "    domainname: foo.com\n"
              "    entrypoint: /code/entrypoint.sh -p 3000\n"
              "    env_file: [a.env, {path: b.env, required: false, format: raw}]\n"
              "    label_file: ./app.labels\n"
              "    expose: ['3000', 8000, '8080-8085/tcp']\n"
              "    external_links: [redis, 'database:mysql']\n"
              "    extra_hosts: ['somehost=162.242.195.82', 'otherhost:50.31.209.229']\n"
              "    gpus: all\n"
              "    group_add: [mail, 42]\n"
              "    hostname: app\n"
              "    image: example/app:1.0\n"
              "    init: true\n"
              "    ipc: shareable\n"
              "    isolation: default\n"
              "    labels: [com.example.description=Accounting]\n"
              "    links: [db, 'db:database']\n"
              "    logging: {driver: syslog, options: {syslog-address: 'tcp://192.168.0.42:123', max-file: 3, x: null}}\n"
              "    mac_address: 02:42:ac:11:65:43\n"
              "    mem_limit: 1g\n"
              "    mem_reservation: 512m\n"
              "    mem_swappiness: 60\n"
              "    memswap_limit: -1\n"
              "    models: [llm]\n"
              "    networks:\n"
              "      front:\n"
              "        aliases: [alias1]\n"
              "        ipv4_address: 172.16.238.10\n"
              "        ipv6_address: 2001:3984:3989::10\n"
              "        link_local_ips: [57.123.22.11]\n"
              "        mac_address: 02:42:ac:11:65:44\n"
              "        driver_opts: {com.docker.network.bridge.host_binding_ipv4: 127.0.0.1, mtu: 1500}\n"
              "        priority: 1000\n"
              "        gw_priority: 1\n"
              "        interface_name: eth1\n"
              "        x-net-note: ok\n"
              "      back:\n"
              "    oom_kill_disable: true\n"
              "    oom_score_adj: -500\n"
              "    pid: host\n"
              "    pids_limit: 10\n"
              "    platform: linux/arm64\n"
              "    ports:\n"
              "      - target: 80\n"
              "        published: '8080'\n"
              "        host_ip: 127.0.0.1\n"
              "        protocol: tcp\n"
              "        mode: host\n"
              "        app_protocol: http\n"
              "        name: web\n"
              "        x-port-note: 1\n"
              "    post_start: [{command: ./hook.sh, user: root, privileged: true, working_dir: /, environment: [A=1]}]\n"
              "    pre_stop: [{command: [./drain.sh]}]\n"
              "    privileged: false\n"
              "    profiles: [debug]\n"
              "    pull_policy: every_12h30m\n"
              "    pull_refresh_after: 1h\n"
              "    read_only: true\n"
              "    restart: always\n"
              "    runtime: runc\n"
              "    scale: 2\n"
              "    secrets: [{source: s, target: /run/s, mode: 0400}]\n"
              "    security_opt: ['label=user:USER']\n"
              "    shm_size: 64M\n"
              "    stdin_open: true\n"
              "    stop_grace_period: 1m30s\n"
              "    stop_signal: SIGUSR1\n"
              "    storage_opt: {size: 20G}\n"
              "    sysctls: {net.core.somaxconn: 1024}\n"
              "    tmpfs: [/run, /tmp]\n"
              "    tty: true\n"
              "    ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}\n"
              "    use_api_socket: true\n"
              "    user: '1000:1000'\n"
              "    userns_mode: host\n"
              "    uts: host\n"
              "    volumes_from: ['service_name:ro']\n"
              "    working_dir: /code\n"
              "    x-service-note: fine\n"
              "  hooked:\n"
              "    extends: {service: app, file: common.yaml}\n"
              "    provider: {type: model, options: {model: ai/smollm2, flags: [a, 1, true]}}\n"
              "    models: {llm: {endpoint_var: URL, model_var: NAME}}\n"
              "    gpus: [{driver: nvidia, count: 1, capabilities: [gpu], device_ids: ['0'], options: {a: b}}]\n"
              "    depends_on: [app]\n");
}

TEST(volume_long_syntax_with_every_sub_option)
{
        VALID("services:\n"
              "  app:\n"
              "    image: a\n"
              "    volumes:\n"
              "      - type: bind\n"
              "        source: ./static\n"
              "        target: /opt/app/static\n"
              "        read_only: true\n"
              "        consistency: cached\n"
              "        bind: {propagation: rshared, create_host_path: true, recursive: readonly, selinux: z}\n"
              "      - type: volume\n"
              "        source: data\n"
              "        target: /data\n"
              "        volume: {nocopy: true, subpath: sub, labels: {a: b}}\n"
              "      - type: tmpfs\n"
              "        target: /cache\n"
              "        tmpfs: {size: 10000, mode: 1777}\n"
              "      - type: tmpfs\n"
              "        target: /cache2\n"
              "        tmpfs: {size: 10m}\n"
              "      - type: image\n"
              "        source: alpine\n"
              "        target: /img\n"
              "        image: {subpath: etc}\n"
              "      - type: npipe\n"
              "        source: \\\\.\\pipe\\docker_engine\n"
              "        target: \\\\.\\pipe\\docker_engine\n"
              "      - type: cluster\n"
              "        source: group:x\n"
              "        target: /c\n"
              "        x-mount-note: 1\n"
              "      - /var/run/postgres/postgres.sock:/var/run/postgres/postgres.sock\n"
              "volumes:\n"
              "  data:\n");
}

TEST(deploy_and_develop_long_syntax)
{
        VALID("services:\n"
              "  app:\n"
              "    image: a\n"
              "    deploy:\n"
              "      mode: replicated\n"
              "      replicas: 6\n"
              "      endpoint_mode: dnsrr\n"
              "      labels: {com.example.description: x}\n"
              "      update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 5s,\n"
              "                      max_failure_ratio: 0.3, order: stop-first}\n"
              "      rollback_config: {parallelism: 0, order: start-first}\n"
              "      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 120s}\n"
              "      placement:\n"
              "        constraints: ['node.role==manager']\n"
              "        preferences: [{spread: node.labels.zone}]\n"
              "        max_replicas_per_node: 1\n"
              "      resources:\n"
              "        limits: {cpus: '0.50', memory: 50M, pids: 1}\n"
              "        reservations:\n"
              "          cpus: 0.25\n"
              "          memory: 20M\n"
              "          generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}]\n"
              "          devices:\n"
              "            - {capabilities: [gpu], driver: nvidia, count: all, device_ids: ['0', '3']}\n"
              "            - {driver: nvidia, capabilities: [gpu]}\n"
              "      x-deploy-note: 1\n"
              "    develop:\n"
              "      watch:\n"
              "        - {path: ./src, action: sync, target: /app/src, ignore: node_modules/}\n"
              "        - {path: package.json, action: rebuild, include: ['*.json']}\n"
              "        - {path: ./cfg, action: sync+exec, target: /cfg, exec: {command: [reload]}}\n"
              "  bare:\n"
              "    image: b\n"
              "    deploy:\n"
              "    develop:\n");
}

TEST(top_level_sections)
{
        VALID("version: '3.9'\n"
              "name: demo\n"
              "include:\n"
              "  - other.yaml\n"
              "  - path: [a.yaml, b.yaml]\n"
              "    env_file: a.env\n"
              "    project_directory: ..\n"
              "services:\n"
              "  a: {image: busybox}\n"
              "networks:\n"
              "  front:\n"
              "  back:\n"
              "    driver: bridge\n"
              "    driver_opts: {com.docker.network.bridge.name: br0, mtu: 1400}\n"
              "    ipam:\n"
              "      driver: default\n"
              "      config:\n"
              "        - subnet: 172.28.0.0/16\n"
              "          ip_range: 172.28.5.0/24\n"
              "          gateway: 172.28.5.254\n"
              "          aux_addresses: {host1: 172.28.1.5}\n"
              "      options: {foo: bar}\n"
              "    internal: true\n"
              "    attachable: true\n"
              "    enable_ipv6: false\n"
              "    enable_ipv4: true\n"
              "    labels: [a=b]\n"
              "    name: my-back\n"
              "    x-net: 1\n"
              "  outside:\n"
              "    external: true\n"
              "  legacy:\n"
              "    external: {name: actual-name}\n"
              "volumes:\n"
              "  data: {}\n"
              "  nfs:\n"
              "    driver: local\n"
              "    driver_opts: {type: nfs, o: 'addr=10.40.0.199,nolock,soft,rw', device: ':/docker/example'}\n"
              "    labels: {a: b}\n"
              "    name: nfs-data\n"
              "    x-vol: 1\n"
              "  ext: {external: true, name: pre-existing}\n"
              "secrets:\n"
              "  s1: {file: ./s1.txt}\n"
              "  s2: {environment: TOKEN}\n"
              "  s3: {external: true, name: shared}\n"
              "  s4: {file: x, driver: d, driver_opts: {a: 1}, template_driver: golang, labels: [a=b], x-s: 1}\n"
              "configs:\n"
              "  c1: {file: ./c1.conf}\n"
              "  c2: {content: 'hello ${X}', x-c: 1}\n"
              "  c3: {environment: CFG, template_driver: golang, labels: {a: b}}\n"
              "  c4: {external: true}\n"
              "models:\n"
              "  llm: {model: ai/smollm2, context_size: 1024, runtime_flags: [--verbose], name: m, x-m: 1}\n"
              "x-common: &common\n"
              "  anything: [goes, 1, {here: true}]\n");
}

TEST(version_may_be_a_number)
{
        VALID("version: 3.8\nservices:\n  a: {image: x}\n");
        VALID("version: 3\nservices:\n  a: {image: x}\n");
}

TEST(command_forms)
{
        VALID("services:\n  a:\n    image: x\n    command:\n    entrypoint: [sh, -c]\n");
        VALID("services:\n  a:\n    image: x\n    command: echo hi\n    entrypoint: []\n");
}

TEST(list_or_dict_values)
{
        VALID("services:\n  a:\n    image: x\n    labels: {a: 1, b: 1.5, c: true, d: null, e: text, x-f: ok}\n"
              "    environment: [A=1, A=2]\n    sysctls: [net.core.somaxconn=1024]\n");
}

TEST(null_attachments_and_definitions)
{
        VALID("services:\n  a:\n    image: x\n    networks:\n      front:\n      back: null\n"
              "networks:\n  front:\n  back: null\n");
}

TEST(reset_values_are_not_checked)
{
        VALID("services:\n  a:\n    image: !reset null\n    ports: !reset []\n    build: !reset {}\n"
              "    environment:\n      FOO: !reset null\n");
}

TEST(override_values_are_checked)
{
        INVALID("services:\n  a:\n    ports: !override 8080\n",
                "compose.yaml:3:12: services.a.ports must be an array");
}

TEST(pull_policy_values)
{
        const char *ok[] = {"always", "never", "build", "if_not_present", "missing", "refresh", "daily", "weekly",
                            "every_1d", "every_2h30m10s"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(ok); i++) {
                char *y = cc_xasprintf("services:\n  a:\n    image: x\n    pull_policy: %s\n", ok[i]);
                VALID(y);
                free(y);
        }
}

TEST(restart_values)
{
        const char *ok[] = {"\"no\"", "always", "unless-stopped", "on-failure", "on-failure:3"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(ok); i++) {
                char *y = cc_xasprintf("services:\n  a:\n    image: x\n    restart: %s\n", ok[i]);
                VALID(y);
                free(y);
        }
}

/* ---- unknown keys ---- */

TEST(unknown_service_key_names_path_and_key_position)
{
        INVALID("services:\n  web:\n    image: nginx\n    imagee: nginx\n",
                "compose.yaml:4:5: services.web: additional property \"imagee\" is not allowed");
}

TEST(unknown_top_level_key)
{
        INVALID("service:\n  web:\n    image: nginx\n",
                "compose.yaml:1:1: additional property \"service\" is not allowed");
}

TEST(unknown_build_key)
{
        INVALID("services:\n  web:\n    build:\n      contxt: .\n",
                "compose.yaml:4:7: services.web.build: additional property \"contxt\" is not allowed");
}

TEST(unknown_port_key)
{
        INVALID("services:\n  web:\n    ports:\n      - target: 80\n        publish: 8080\n",
                "compose.yaml:5:9: services.web.ports.0: additional property \"publish\" is not allowed");
}

TEST(unknown_volume_sub_option)
{
        INVALID("services:\n  web:\n    volumes:\n      - type: volume\n        source: d\n        target: /d\n"
                "        volume: {nocpy: true}\n",
                "compose.yaml:7:18: services.web.volumes.0.volume: additional property \"nocpy\" is not allowed");
}

TEST(unknown_healthcheck_key)
{
        INVALID("services:\n  web:\n    healthcheck:\n      test: [CMD, ls]\n      interval_s: 3\n",
                "compose.yaml:5:7: services.web.healthcheck: additional property \"interval_s\" is not allowed");
}

TEST(unknown_network_key)
{
        INVALID("networks:\n  front:\n    drivr: bridge\n",
                "compose.yaml:3:5: networks.front: additional property \"drivr\" is not allowed");
}

TEST(unknown_ipam_config_key)
{
        INVALID("networks:\n  front:\n    ipam:\n      config:\n        - subnet: 10.0.0.0/24\n          gw: 10.0.0.1\n",
                "compose.yaml:6:11: networks.front.ipam.config.0: additional property \"gw\" is not allowed");
}

TEST(unknown_secret_and_external_keys)
{
        INVALID("secrets:\n  s:\n    files: x\n", "compose.yaml:3:5: secrets.s: additional property \"files\" is not allowed");
        INVALID("volumes:\n  v:\n    external: {nam: x}\n",
                "compose.yaml:3:16: volumes.v.external: additional property \"nam\" is not allowed");
}

TEST(unknown_deploy_key)
{
        INVALID("services:\n  a:\n    deploy:\n      resources:\n        limits: {memroy: 1g}\n",
                "compose.yaml:5:18: services.a.deploy.resources.limits: additional property \"memroy\" is not allowed");
}

TEST(unknown_depends_on_entry_key)
{
        INVALID("services:\n  a:\n    depends_on:\n      b: {condition: service_started, wait: true}\n",
                "compose.yaml:4:39: services.a.depends_on.b: additional property \"wait\" is not allowed");
}

TEST(unknown_service_network_key)
{
        INVALID("services:\n  a:\n    networks:\n      front: {alias: [x]}\n",
                "compose.yaml:4:15: services.a.networks.front: additional property \"alias\" is not allowed");
}

/* ---- extensions ---- */

TEST(x_keys_allowed_where_the_spec_allows_them)
{
        VALID("x-top: 1\n"
              "services:\n"
              "  a:\n"
              "    x-svc: 1\n"
              "    image: x\n"
              "    build: {context: ., x-b: 1}\n"
              "    deploy: {x-d: 1, resources: {x-r: 1, limits: {x-l: 1}}}\n"
              "    logging: {x-l: 1}\n"
              "    healthcheck: {x-h: 1}\n"
              "    credential_spec: {x-c: 1}\n"
              "    ulimits: {nofile: {soft: 1, hard: 2, x-u: 1}}\n"
              "    secrets: [{source: s, x-s: 1}]\n"
              "    develop: {x-dev: 1, watch: [{path: a, action: sync, x-w: 1}]}\n"
              "    post_start: [{command: a, x-p: 1}]\n"
              "    devices: [{source: /dev/a, x-d: 1}]\n"
              "networks:\n  n: {x-n: 1, ipam: {x-i: 1, config: [{x-c: 1}]}, external: {x-e: 1}}\n"
              "volumes:\n  v: {x-v: 1}\n"
              "secrets:\n  s: {file: a, x-s: 1}\n"
              "configs:\n  c: {file: a, x-c: 1}\n");
}

TEST(x_key_refused_in_blkio_config)
{
        INVALID("services:\n  a:\n    blkio_config:\n      x-b: 1\n",
                "compose.yaml:4:7: services.a.blkio_config: additional property \"x-b\" is not allowed");
}

TEST(x_key_refused_in_extends)
{
        INVALID("services:\n  a:\n    extends: {service: b, x-e: 1}\n",
                "compose.yaml:3:27: services.a.extends: additional property \"x-e\" is not allowed");
}

TEST(x_key_refused_in_include_and_env_file)
{
        INVALID("include:\n  - path: a.yaml\n    x-i: 1\n",
                "compose.yaml:3:5: include.0: additional property \"x-i\" is not allowed");
        INVALID("services:\n  a:\n    env_file: [{path: a, x-e: 1}]\n",
                "compose.yaml:3:26: services.a.env_file.0: additional property \"x-e\" is not allowed");
}

TEST(x_named_service_is_a_service)
{
        /* services has no ^x- extension pattern: x-foo is a service name */
        INVALID("services:\n  x-foo: 1\n", "compose.yaml:2:10: services.x-foo must be a mapping");
}

/* ---- types ---- */

TEST(ports_must_be_an_array)
{
        INVALID("services:\n  web:\n    image: x\n    ports: \"80:80\"\n",
                "compose.yaml:4:12: services.web.ports must be an array");
}

TEST(image_must_be_a_string)
{
        INVALID("services:\n  web:\n    image: 42\n", "compose.yaml:3:12: services.web.image must be a string");
}

TEST(null_service_is_an_error)
{
        INVALID("services:\n  web:\n", "compose.yaml:2:7: services.web must be a mapping");
}

TEST(services_must_be_a_mapping)
{
        INVALID("services:\n  - web\n", "compose.yaml:2:3: services must be a mapping");
        INVALID("services:\nvolumes:\n", "compose.yaml:1:10: services must be a mapping");
}

TEST(top_level_must_be_a_mapping)
{
        INVALID("- a\n- b\n", "compose.yaml:1:1: top-level object must be a mapping");
}

TEST(build_must_be_string_or_mapping)
{
        INVALID("services:\n  a:\n    build: 3\n", "compose.yaml:3:12: services.a.build must be a string or a mapping");
}

TEST(booleans_must_be_real_booleans)
{
        /* where the specification allows no string */
        INVALID("services:\n  a:\n    use_api_socket: \"true\"\n",
                "compose.yaml:3:21: services.a.use_api_socket must be a boolean");
        INVALID("services:\n  a:\n    tty: maybe\n", "compose.yaml:3:10: services.a.tty must be a boolean");
}

/* compose-go casts a string where the specification allows a boolean or a
 * string (init: yes), warning about the YAML 1.1 words. */
TEST(yaml11_booleans_are_cast_with_a_warning)
{
        struct cc_node *n = parse("services:\n  a:\n    init: yes\n    tty: \"true\"\n    read_only: Off\n");
        struct cc_error err = {0};
        struct cc_strv warnings = {0};
        ASSERT_INTEQ(cc_schema_validate_warn(n, &warnings, &err), 0);
        struct cc_node *a = cc_node_map_get(cc_node_map_get(n, "services"), "a");
        ASSERT_INTEQ(cc_node_map_get(a, "init")->type, CC_BOOL);
        ASSERT_STREQ(cc_node_map_get(a, "init")->str, "true");
        ASSERT_STREQ(cc_node_map_get(a, "tty")->str, "true");
        ASSERT_STREQ(cc_node_map_get(a, "read_only")->str, "false");
        ASSERT_INTEQ(warnings.n, 2);
        ASSERT_STREQ(warnings.v[0], "\"yes\" for boolean is not supported by YAML 1.2, please use `true`");
        ASSERT_STREQ(warnings.v[1], "\"Off\" for boolean is not supported by YAML 1.2, please use `false`");
        cc_strv_free(&warnings);
        cc_node_free(n);
}

TEST(external_is_boolean_or_mapping)
{
        INVALID("networks:\n  n:\n    external: 3\n",
                "compose.yaml:3:15: networks.n.external must be a boolean or a mapping");
}

TEST(environment_must_not_be_null)
{
        INVALID("services:\n  a:\n    image: x\n    environment:\n",
                "compose.yaml:4:17: services.a.environment must be a mapping or an array");
}

TEST(environment_values_must_be_scalars)
{
        INVALID("services:\n  a:\n    environment:\n      A: [1]\n",
                "compose.yaml:4:10: services.a.environment.A must be a string, a number, a boolean or null");
}

TEST(list_items_must_be_strings)
{
        INVALID("services:\n  a:\n    cap_add: [NET_ADMIN, 1]\n",
                "compose.yaml:3:26: services.a.cap_add.1 must be a string");
}

TEST(number_or_string_fields)
{
        INVALID("services:\n  a:\n    cpus: true\n", "compose.yaml:3:11: services.a.cpus must be a string or a number");
        INVALID("services:\n  a:\n    ports: [{target: 1.5}]\n",
                "compose.yaml:3:22: services.a.ports.0.target must be a string or an integer");
}

TEST(integer_only_fields)
{
        INVALID("models:\n  m: {model: a, context_size: '10'}\n",
                "compose.yaml:2:31: models.m.context_size must be an integer");
}

TEST(number_only_fields)
{
        INVALID("services:\n  a:\n    networks:\n      n: {priority: high}\n",
                "compose.yaml:4:21: services.a.networks.n.priority must be a number");
}

TEST(ulimits_forms)
{
        INVALID("services:\n  a:\n    ulimits:\n      nofile: {soft: 1}\n",
                "compose.yaml:4:15: services.a.ulimits.nofile: required property \"hard\" is missing");
        INVALID("services:\n  a:\n    ulimits:\n      nofile: [1, 2]\n",
                "compose.yaml:4:15: services.a.ulimits.nofile must be a string, an integer or a mapping");
}

TEST(logging_options_must_be_scalars)
{
        INVALID("services:\n  a:\n    logging:\n      options: {max-size: [1]}\n",
                "compose.yaml:4:27: services.a.logging.options.max-size must be a string, a number or null");
}

TEST(driver_opts_values)
{
        INVALID("volumes:\n  v:\n    driver_opts:\n      o: {a: b}\n",
                "compose.yaml:4:10: volumes.v.driver_opts.o must be a string or a number");
        INVALID("networks:\n  n:\n    ipam:\n      config:\n        - aux_addresses: {h: 1}\n",
                "compose.yaml:5:30: networks.n.ipam.config.0.aux_addresses.h must be a string");
}

TEST(secret_and_config_must_be_mappings)
{
        INVALID("secrets:\n  s:\n", "compose.yaml:2:5: secrets.s must be a mapping");
        INVALID("configs:\n  c: file\n", "compose.yaml:2:6: configs.c must be a mapping");
}

TEST(deploy_memory_is_a_string)
{
        INVALID("services:\n  a:\n    deploy:\n      resources:\n        limits:\n          memory: 512\n",
                "compose.yaml:6:19: services.a.deploy.resources.limits.memory must be a string");
}

/* ---- enums, patterns, ranges ---- */

TEST(depends_on_condition_enum)
{
        INVALID("services:\n  db:\n    depends_on:\n      web:\n        condition: service_up\n",
                "compose.yaml:5:20: services.db.depends_on.web.condition must be one of service_started, "
                "service_healthy, service_completed_successfully");
}

TEST(depends_on_condition_required)
{
        INVALID("services:\n  a:\n    depends_on:\n      b: {required: true}\n",
                "compose.yaml:4:10: services.a.depends_on.b: required property \"condition\" is missing");
}

TEST(depends_on_list_items_unique)
{
        INVALID("services:\n  a:\n    depends_on: [b, c, b]\n",
                "compose.yaml:3:24: services.a.depends_on: duplicate item \"b\"");
}

TEST(volume_type_enum_and_required)
{
        INVALID("services:\n  a:\n    volumes:\n      - /a:/a\n      - type: overlay\n        target: /b\n",
                "compose.yaml:5:15: services.a.volumes.1.type must be one of bind, volume, tmpfs, cluster, npipe, image");
        INVALID("services:\n  a:\n    volumes:\n      - source: a\n        target: /b\n",
                "compose.yaml:4:9: services.a.volumes.0: required property \"type\" is missing");
}

TEST(bind_options_enums)
{
        INVALID("services:\n  a:\n    volumes:\n      - {type: bind, source: ., target: /a, bind: {selinux: x}}\n",
                "compose.yaml:4:61: services.a.volumes.0.bind.selinux must be one of z, Z");
}

TEST(tmpfs_size_minimum)
{
        INVALID("services:\n  a:\n    volumes:\n      - {type: tmpfs, target: /a, tmpfs: {size: -1}}\n",
                "compose.yaml:4:49: services.a.volumes.0.tmpfs.size must be greater than or equal to 0");
}

TEST(port_protocol_and_mode)
{
        INVALID("services:\n  a:\n    ports:\n      - {target: 80, protocol: icmp}\n",
                "compose.yaml:4:32: services.a.ports.0.protocol must be one of tcp, udp, sctp");
        INVALID("services:\n  a:\n    ports:\n      - {target: 80, mode: bridge}\n",
                "compose.yaml:4:28: services.a.ports.0.mode must be one of host, ingress");
}

TEST(cgroup_enum)
{
        INVALID("services:\n  a:\n    cgroup: shared\n", "compose.yaml:3:13: services.a.cgroup must be one of host, private");
}

TEST(pull_policy_pattern)
{
        INVALID("services:\n  a:\n    pull_policy: sometimes\n",
                "compose.yaml:3:18: services.a.pull_policy must be one of always, never, build, if_not_present, "
                "missing, refresh, daily, weekly or every_<duration>");
        REFUSED("services:\n  a:\n    pull_policy: every_1x\n");
        REFUSED("services:\n  a:\n    pull_policy: xalwaysx\n");
}

TEST(restart_policy_values)
{
        INVALID("services:\n  a:\n    restart: sometimes\n",
                "compose.yaml:3:14: services.a.restart must be one of no, always, on-failure[:max-retries], "
                "unless-stopped");
        REFUSED("services:\n  a:\n    restart: on-failure:x\n");
        /* unquoted no is the string "no" in YAML 1.2 */
        VALID("services:\n  a:\n    restart: no\n");
}

TEST(container_name_pattern)
{
        INVALID("services:\n  a:\n    container_name: my app\n",
                "compose.yaml:3:21: services.a.container_name must match [a-zA-Z0-9][a-zA-Z0-9_.-]+");
        REFUSED("services:\n  a:\n    container_name: -app\n");
}

TEST(cpu_percent_and_oom_score_ranges)
{
        INVALID("services:\n  a:\n    cpu_percent: 101\n",
                "compose.yaml:3:18: services.a.cpu_percent must be between 0 and 100");
        INVALID("services:\n  a:\n    oom_score_adj: -1001\n",
                "compose.yaml:3:20: services.a.oom_score_adj must be between -1000 and 1000");
}

TEST(deploy_enums)
{
        INVALID("services:\n  a:\n    deploy:\n      restart_policy: {condition: always}\n",
                "compose.yaml:4:35: services.a.deploy.restart_policy.condition must be one of none, on-failure, any");
        INVALID("services:\n  a:\n    deploy:\n      update_config: {order: random}\n",
                "compose.yaml:4:30: services.a.deploy.update_config.order must be one of start-first, stop-first");
        INVALID("services:\n  a:\n    deploy:\n      mode: swarm\n",
                "compose.yaml:4:13: services.a.deploy.mode must be one of replicated, global, replicated-job, global-job");
}

/* The specification (and compose-go) requires capabilities, a driver or not. */
TEST(reserved_devices_need_capabilities)
{
        INVALID("services:\n  a:\n    deploy:\n      resources:\n        reservations:\n          devices:\n"
                "            - {count: 1, driver: nvidia}\n",
                "compose.yaml:7:15: services.a.deploy.resources.reservations.devices.0: required property "
                "\"capabilities\" is missing");
}

TEST(gpus_forms)
{
        INVALID("services:\n  a:\n    gpus: some\n", "compose.yaml:3:11: services.a.gpus must be one of all");
        INVALID("services:\n  a:\n    gpus: [{count: 1, kind: x}]\n",
                "compose.yaml:3:23: services.a.gpus.0: additional property \"kind\" is not allowed");
}

TEST(develop_watch_requirements)
{
        INVALID("services:\n  a:\n    develop:\n      watch:\n        - path: ./src\n",
                "compose.yaml:5:11: services.a.develop.watch.0: required property \"action\" is missing");
        INVALID("services:\n  a:\n    develop:\n      watch:\n        - {path: ./src, action: copy}\n",
                "compose.yaml:5:33: services.a.develop.watch.0.action must be one of rebuild, sync, restart, "
                "sync+restart, sync+exec");
}

TEST(required_properties)
{
        INVALID("services:\n  a:\n    extends: {file: b.yaml}\n",
                "compose.yaml:3:14: services.a.extends: required property \"service\" is missing");
        INVALID("services:\n  a:\n    env_file: [{required: false}]\n",
                "compose.yaml:3:16: services.a.env_file.0: required property \"path\" is missing");
        INVALID("services:\n  a:\n    devices: [{target: /dev/a}]\n",
                "compose.yaml:3:15: services.a.devices.0: required property \"source\" is missing");
        INVALID("services:\n  a:\n    provider: {options: {}}\n",
                "compose.yaml:3:15: services.a.provider: required property \"type\" is missing");
        INVALID("services:\n  a:\n    post_start: [{user: root}]\n",
                "compose.yaml:3:18: services.a.post_start.0: required property \"command\" is missing");
        INVALID("models:\n  m: {name: x}\n", "compose.yaml:2:6: models.m: required property \"model\" is missing");
}

/* ---- names ---- */

TEST(service_name_pattern)
{
        INVALID("services:\n  my web:\n    image: x\n",
                "compose.yaml:2:3: services: name \"my web\" must match [a-zA-Z0-9._-]+");
}

TEST(service_network_name_pattern)
{
        INVALID("services:\n  a:\n    networks:\n      \"my net\": {}\n",
                "compose.yaml:4:7: services.a.networks: name \"my net\" must match [a-zA-Z0-9._-]+");
}

TEST(empty_label_key)
{
        INVALID("services:\n  a:\n    labels: {\"\": x}\n", "compose.yaml:3:14: services.a.labels: empty key is not allowed");
}

TEST(unique_items)
{
        INVALID("services:\n  a:\n    cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]\n",
                "compose.yaml:3:36: services.a.cap_add: duplicate item \"NET_ADMIN\"");
        INVALID("services:\n  a:\n    labels: [a=1, a=1]\n", "compose.yaml:3:19: services.a.labels: duplicate item \"a=1\"");
        /* compose removes repeated ports, volumes and environment entries before validating */
        VALID("services:\n  a:\n    ports: [80, 80]\n    volumes: [/a:/a, /a:/a]\n    environment: [A=1, A=1]\n");
        /* 1 and "1" are different items */
        VALID("services:\n  a:\n    group_add: [1, '1']\n");
}

/* ---- error order ---- */

TEST(first_error_in_document_order_wins)
{
        INVALID("services:\n  a:\n    image: 1\n  b:\n    imagee: x\n", "compose.yaml:3:12: services.a.image must be a string");
        INVALID("services:\n  a:\n    bogus: 1\n    image: 1\n",
                "compose.yaml:3:5: services.a: additional property \"bogus\" is not allowed");
        INVALID("volumes:\n  v: 1\nservices:\n  a: 1\n", "compose.yaml:2:6: volumes.v must be a mapping or null");
}

TEST(errors_have_a_negative_code)
{
        struct cc_node *n = parse("services:\n  a: 1\n");
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_schema_validate(n, &err), -EINVAL);
        ASSERT_INTEQ(err.code, -EINVAL);
        cc_error_clear(&err);
        cc_node_free(n);
}

/* ---- interpolated values ---- */

TEST(interpolated_booleans_are_converted)
{
        struct cc_node *n = parse("services:\n  a:\n    privileged: \"true\"\n    tty: \"yes\"\n    init: \"OFF\"\n"
                                  "    volumes: [{type: bind, source: ., target: /a, read_only: \"false\"}]\n"
                                  "networks:\n  n: {external: \"TRUE\", internal: \"n\"}\n");
        mark_interpolated(n);
        ASSERT_NULL(check(n));
        struct cc_node *v = get(n, "services/a/privileged");
        ASSERT_INTEQ(v->type, CC_BOOL);
        ASSERT_STREQ(v->str, "true");
        ASSERT_INTEQ(get(n, "services/a/tty")->type, CC_BOOL);
        ASSERT_STREQ(get(n, "services/a/tty")->str, "true");
        ASSERT_STREQ(get(n, "services/a/init")->str, "false");
        ASSERT_INTEQ(get(n, "services/a/volumes/0/read_only")->type, CC_BOOL);
        ASSERT_STREQ(get(n, "networks/n/external")->str, "true");
        ASSERT_STREQ(get(n, "networks/n/internal")->str, "false");
        cc_node_free(n);
}

TEST(interpolated_numbers_are_converted)
{
        struct cc_node *n = parse("services:\n  a:\n    cpus: \"1.5\"\n    cpu_shares: \"512\"\n    mem_limit: \"1g\"\n"
                                  "    scale: \"3\"\n    ports: [{target: \"80\", published: \"8000-8001\"}]\n"
                                  "    ulimits: {nofile: \"65535\", nproc: {soft: \"1\", hard: \"2\"}}\n"
                                  "    networks: {n: {priority: \"10\"}}\n"
                                  "    healthcheck: {retries: \"3\"}\n"
                                  "    deploy: {replicas: \"2\", update_config: {max_failure_ratio: \"0.5\"}}\n");
        mark_interpolated(n);
        ASSERT_NULL(check(n));
        ASSERT_INTEQ(get(n, "services/a/cpus")->type, CC_FLOAT);
        ASSERT_STREQ(get(n, "services/a/cpus")->str, "1.5");
        ASSERT_INTEQ(get(n, "services/a/cpu_shares")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/mem_limit")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/scale")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/ports/0/target")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/ports/0/published")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/ulimits/nofile")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/ulimits/nproc/hard")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/networks/n/priority")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/healthcheck/retries")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/deploy/replicas")->type, CC_INT);
        ASSERT_INTEQ(get(n, "services/a/deploy/update_config/max_failure_ratio")->type, CC_FLOAT);
        cc_node_free(n);
}

TEST(interpolated_free_form_values_stay_strings)
{
        struct cc_node *n = parse("services:\n  a:\n    environment: {A: \"1\", B: \"true\"}\n"
                                  "    labels: {c: \"2\"}\n    ports: [\"8080\"]\n    expose: [\"90\"]\n"
                                  "    user: \"1000\"\n    build: {provenance: \"true\"}\n");
        mark_interpolated(n);
        ASSERT_NULL(check(n));
        ASSERT_INTEQ(get(n, "services/a/environment/A")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/environment/B")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/labels/c")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/ports/0")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/expose/0")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/user")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/build/provenance")->type, CC_STR);
        cc_node_free(n);
}

TEST(interpolated_value_that_does_not_convert_is_an_error)
{
        struct cc_node *n = parse("services:\n  a:\n    privileged: maybe\n");
        mark_interpolated(n);
        CHECK_MSG(n, "compose.yaml:3:17: services.a.privileged must be a boolean (got \"maybe\")");
        cc_node_free(n);

        n = parse("services:\n  a:\n    networks: {n: {priority: high}}\n");
        mark_interpolated(n);
        CHECK_MSG(n, "compose.yaml:3:30: services.a.networks.n.priority must be a number (got \"high\")");
        cc_node_free(n);

        n = parse("services:\n  a:\n    read_only: \"\"\n");
        mark_interpolated(n);
        CHECK_MSG(n, "compose.yaml:3:16: services.a.read_only must be a boolean (got \"\")");
        cc_node_free(n);
}

TEST(interpolated_value_is_range_and_enum_checked)
{
        struct cc_node *n = parse("services:\n  a:\n    cpu_percent: \"150\"\n");
        mark_interpolated(n);
        CHECK_MSG(n, "compose.yaml:3:18: services.a.cpu_percent must be between 0 and 100");
        cc_node_free(n);

        n = parse("services:\n  a:\n    depends_on: {b: {condition: healthy}}\n");
        mark_interpolated(n);
        CHECK_MSG(n, "compose.yaml:3:33: services.a.depends_on.b.condition must be one of "
                               "service_started, service_healthy, service_completed_successfully");
        cc_node_free(n);
}

TEST(real_interpolation_output_is_converted)
{
        struct cc_node *n = parse("services:\n  a:\n    privileged: ${PRIV}\n    cpus: ${CPUS:-0.5}\n"
                                  "    environment: {N: '${PORT}'}\n    ports: [{target: '${PORT}'}]\n"
                                  "    read_only: ${RO}\n");
        struct cc_env env = {0};
        struct cc_error err = {0};
        cc_env_set(&env, "PRIV", "true");
        cc_env_set(&env, "PORT", "8080");
        cc_env_set(&env, "RO", "sometimes");
        ASSERT_INTEQ(cc_interpolate_tree(n, &env, &err), 0);
        CHECK_MSG(n, "compose.yaml:7:16: services.a.read_only must be a boolean (got \"sometimes\")");
        ASSERT_INTEQ(get(n, "services/a/privileged")->type, CC_BOOL);
        ASSERT_INTEQ(get(n, "services/a/cpus")->type, CC_FLOAT);
        ASSERT_INTEQ(get(n, "services/a/environment/N")->type, CC_STR);
        ASSERT_INTEQ(get(n, "services/a/ports/0/target")->type, CC_INT);
        cc_env_free(&env);
        cc_node_free(n);
}

TEST(uninterpolated_variables_pass_typed_keys)
{
        /* with interpolation switched off, ${VAR} stays as written */
        VALID("services:\n  a:\n    privileged: ${PRIV}\n    cpus: ${CPUS:-1}\n    restart: ${RESTART}\n"
              "    depends_on: {b: {condition: \"${COND}\"}}\n");
}

/* ---- the awesome-compose corpus ---- */

static int validate_file(const char *path, char **msg)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = cc_read_file(path, &data, &len);
        if (r < 0) {
                *msg = cc_xasprintf("%s: read: %s", path, strerror(-r));
                return r;
        }
        struct cc_error err = {0};
        struct cc_node *root = NULL;
        if ((r = cc_yaml_parse(data, len, path, &root, &err)) < 0 || (r = cc_schema_validate(root, &err)) < 0) {
                *msg = cc_xstrdup(cc_error_msg(&err));
                cc_error_clear(&err);
                cc_node_free(root);
                return r;
        }
        cc_node_free(root);
        return 0;
}

TEST(awesome_compose_corpus_validates)
{
        static const char *const names[] = {"compose.yaml", "compose.yml", "docker-compose.yaml",
                                            "docker-compose.yml"};
        const char *dir = "../../../shared/corpus/awesome-compose";
        DIR *d = opendir(dir);
        if (!d)
                tap_fail(__FILE__, __LINE__, "corpus directory %s is missing", dir);
        int files = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++) {
                        _cleanup_free_ char *path = cc_xasprintf("%s/%s/%s", dir, e->d_name, names[i]);
                        struct stat st;
                        if (stat(path, &st) < 0)
                                continue;
                        char *msg = NULL;
                        if (validate_file(path, &msg) < 0)
                                tap_fail(__FILE__, __LINE__, "%s", msg);
                        files++;
                }
        }
        closedir(d);
        ASSERT(files >= 30);
}
