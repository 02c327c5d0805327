/* The table of what the engine does with each key of the Compose
 * Specification (support.h), and the warnings `up` prints from it.
 *
 * A supported key is read by the loader (name, include, extends,
 * profiles, env_file) or by the run time: state/service-spec.c builds the
 * container from it, the supervisor runs it (restart, healthcheck,
 * depends_on, networks, ports, logging), state/service-files.c writes its
 * secrets and configs. A key whose value the run time refuses with an
 * error (a network driver but bridge, a volume type but bind, volume and
 * tmpfs, a security_opt it does not know) is supported too: nothing is
 * silently ignored there. Everything else is named here with the reason
 * the warning gives. */
#include "support.h"

#define OK(...) ((const char *const[]){__VA_ARGS__, NULL})

const char *cc_support_volume_device(const struct cc_node *o)
{
        if (!cc_node_is_map(o))
                return NULL;
        for (size_t i = 0; i < o->n; i++)
                if (!cc_streq(cc_node_key(o, i), "type") && !cc_streq(cc_node_key(o, i), "o") &&
                    !cc_streq(cc_node_key(o, i), "device"))
                        return NULL;
        const char *type = cc_node_map_str(o, "type"), *opts = cc_node_map_str(o, "o");
        const char *dev = cc_node_map_str(o, "device");
        if (!cc_streq(type, "none") || !opts || !dev || dev[0] != '/')
                return NULL;
        /* "bind" among the comma-separated mount options ("bind", "rbind,ro" is not) */
        for (const char *s = opts; *s;) {
                size_t n = strcspn(s, ",");
                if (n == 4 && strncmp(s, "bind", 4) == 0)
                        return dev;
                s += n + (s[n] == ',');
        }
        return NULL;
}

static bool cc__volume_device_opts(const struct cc_node *o)
{
        return cc_support_volume_device(o) != NULL;
}

static const char cc__swarm[] = "has no effect on a single host";
static const char cc__windows[] = "has no effect on Linux";
static const char cc__build_run[] = "is not applied: RUN steps run with Docker's build defaults";

#define YES(p) {p, CC_SUPPORTED, NULL, NULL, NULL}
#define NO(p, why) {p, CC_UNSUPPORTED, why, NULL, NULL}
#define PART(p, why, ...) {p, CC_PARTLY, why, OK(__VA_ARGS__), NULL}
/* an unsupported key with values that mean nothing (its defaults) */
#define NO_BUT(p, why, ...) {p, CC_UNSUPPORTED, why, OK(__VA_ARGS__), NULL}
/* an unsupported key but for the values `fn` says the engine honours */
#define NO_UNLESS(p, why, fn) {p, CC_UNSUPPORTED, why, NULL, fn}

static const struct cc_support_rule cc__rules[] = {
        /* ---- the loader ---- */
        YES("version"), /* obsolete, read and dropped as docker compose does */
        YES("name"),
        YES("include"),
        YES("include[].path"),
        YES("include[].env_file"),
        YES("include[].project_directory"),
        YES("services"),

        /* ---- services ---- */
        /* honoured by ccompose watch and up --watch (cli/cmd-watch.c) */
        YES("services.*.develop"),
        YES("services.*.develop.watch"),
        YES("services.*.develop.watch[].path"),
        YES("services.*.develop.watch[].action"),
        YES("services.*.develop.watch[].target"),
        YES("services.*.develop.watch[].ignore"),
        YES("services.*.develop.watch[].include"),
        YES("services.*.develop.watch[].initial_sync"),
        YES("services.*.develop.watch[].exec"),
        YES("services.*.develop.watch[].exec.command"),
        YES("services.*.develop.watch[].exec.user"),
        YES("services.*.develop.watch[].exec.privileged"),
        YES("services.*.develop.watch[].exec.working_dir"),
        YES("services.*.develop.watch[].exec.environment"),
        YES("services.*.deploy"),
        NO_BUT("services.*.deploy.mode", cc__swarm, "replicated"),
        NO("services.*.deploy.endpoint_mode", cc__swarm),
        YES("services.*.deploy.replicas"),
        NO("services.*.deploy.labels", cc__swarm),
        NO("services.*.deploy.rollback_config", cc__swarm),
        NO("services.*.deploy.update_config", cc__swarm),
        YES("services.*.deploy.resources"),
        YES("services.*.deploy.resources.limits"),
        YES("services.*.deploy.resources.limits.cpus"),
        YES("services.*.deploy.resources.limits.memory"),
        YES("services.*.deploy.resources.limits.pids"),
        YES("services.*.deploy.resources.reservations"),
        NO("services.*.deploy.resources.reservations.cpus", "has no effect: no CPU time is reserved"),
        YES("services.*.deploy.resources.reservations.memory"),
        NO("services.*.deploy.resources.reservations.generic_resources", cc__swarm),
        NO("services.*.deploy.resources.reservations.devices", "is not supported: no device (GPU) is given to the container"),
        YES("services.*.deploy.restart_policy"),
        YES("services.*.deploy.restart_policy.condition"),
        YES("services.*.deploy.restart_policy.delay"),
        YES("services.*.deploy.restart_policy.max_attempts"),
        NO_BUT("services.*.deploy.restart_policy.window", "is not supported: every exit counts towards max_attempts", "0",
               "0s"),
        NO("services.*.deploy.placement", cc__swarm),
        NO("services.*.annotations", "are not recorded: ccompose has no container inspect"),
        YES("services.*.attach"),
        /* mapped to the builder's options by cli/service-build.c; a
         * remote context, an additional context that is neither a
         * directory nor docker-image://, a platform of another machine or
         * a build.network but default, none and host are refused with an
         * error */
        YES("services.*.build"),
        YES("services.*.build.context"),
        YES("services.*.build.dockerfile"),
        YES("services.*.build.dockerfile_inline"),
        YES("services.*.build.args"),
        YES("services.*.build.ssh"),
        YES("services.*.build.labels"),
        YES("services.*.build.cache_from"),
        NO("services.*.build.cache_to", "is not supported: the build cache stays in the local store"),
        YES("services.*.build.no_cache"),
        YES("services.*.build.additional_contexts"),
        NO("services.*.build.entitlements", cc__build_run),
        YES("services.*.build.network"),
        NO("services.*.build.provenance", "is not supported: no attestation is attached to the image"),
        NO("services.*.build.sbom", "is not supported: no attestation is attached to the image"),
        YES("services.*.build.pull"),
        YES("services.*.build.target"),
        NO("services.*.build.shm_size", cc__build_run),
        YES("services.*.build.extra_hosts"),
        NO_BUT("services.*.build.isolation", cc__windows, "default"),
        NO("services.*.build.privileged", cc__build_run),
        YES("services.*.build.secrets"),
        YES("services.*.build.secrets[].source"),
        YES("services.*.build.secrets[].target"),
        NO("services.*.build.secrets[].uid", "has no effect: RUN --mount=type=secret sets a build secret's owner"),
        NO("services.*.build.secrets[].gid", "has no effect: RUN --mount=type=secret sets a build secret's owner"),
        NO("services.*.build.secrets[].mode", "has no effect: RUN --mount=type=secret sets a build secret's mode"),
        YES("services.*.build.tags"),
        NO("services.*.build.ulimits", cc__build_run),
        YES("services.*.build.platforms"), /* this host's only */
        NO("services.*.blkio_config", "is not supported: no block I/O limit is set"),
        YES("services.*.cap_add"),
        YES("services.*.cap_drop"),
        YES("services.*.cgroup"), /* host or private, the schema's only values */
        NO("services.*.cgroup_parent", "is not supported: containers' cgroups are under ccompose/<project>"),
        YES("services.*.command"),
        YES("services.*.configs"),
        YES("services.*.configs[].source"),
        YES("services.*.configs[].target"),
        YES("services.*.configs[].uid"),
        YES("services.*.configs[].gid"),
        YES("services.*.configs[].mode"),
        YES("services.*.container_name"),
        NO_BUT("services.*.cpu_count", cc__windows, "0"),
        NO_BUT("services.*.cpu_percent", cc__windows, "0"),
        YES("services.*.cpu_shares"),
        YES("services.*.cpu_quota"),
        YES("services.*.cpu_period"),
        NO_BUT("services.*.cpu_rt_period", "is not supported: no real-time CPU time is given", "0"),
        NO_BUT("services.*.cpu_rt_runtime", "is not supported: no real-time CPU time is given", "0"),
        YES("services.*.cpus"),
        YES("services.*.cpuset"),
        NO("services.*.credential_spec", cc__windows),
        YES("services.*.depends_on"),
        YES("services.*.depends_on.*.restart"),
        YES("services.*.depends_on.*.required"),
        YES("services.*.depends_on.*.condition"),
        NO("services.*.device_cgroup_rules", "is not supported: no device cgroup rule is set"),
        YES("services.*.devices"),
        YES("services.*.devices[].source"),
        YES("services.*.devices[].target"),
        /* without a devices cgroup, what is given opens for reading and writing */
        PART("services.*.devices[].permissions", "is not enforced: the device opens for reading and writing", "rwm",
             "rmw", "mrw", "mwr", "wrm", "wmr", "rw", "wr"),
        YES("services.*.dns"),
        YES("services.*.dns_opt"),
        YES("services.*.dns_search"),
        YES("services.*.domainname"),
        YES("services.*.entrypoint"),
        YES("services.*.env_file"),
        YES("services.*.env_file[].path"),
        PART("services.*.env_file[].format", "is not supported: the file is read as a .env file", "dotenv"),
        YES("services.*.env_file[].required"),
        YES("services.*.label_file"), /* read into labels by the loader */
        YES("services.*.environment"),
        /* reachable on the service's networks, as with Docker: expose
         * publishes nothing */
        YES("services.*.expose"),
        YES("services.*.extends"),
        YES("services.*.extends.service"),
        YES("services.*.extends.file"),
        NO("services.*.provider", "is not supported: ccompose runs no provider plugin"),
        NO("services.*.external_links", "is not supported: only the project's services are linked"),
        YES("services.*.extra_hosts"),
        NO("services.*.gpus", "is not supported: no GPU is given to the container"),
        YES("services.*.group_add"),
        YES("services.*.healthcheck"),
        YES("services.*.healthcheck.disable"),
        YES("services.*.healthcheck.interval"),
        YES("services.*.healthcheck.retries"),
        YES("services.*.healthcheck.test"),
        YES("services.*.healthcheck.timeout"),
        YES("services.*.healthcheck.start_period"),
        YES("services.*.healthcheck.start_interval"),
        YES("services.*.hostname"),
        YES("services.*.image"),
        YES("services.*.init"),
        PART("services.*.ipc", "is not supported: only host, or the container's own IPC namespace", "host",
             "private", "shareable"),
        NO_BUT("services.*.isolation", cc__windows, "default"),
        NO("services.*.labels", "are not recorded: ccompose has no container inspect"),
        YES("services.*.links"),
        YES("services.*.logging"),
        PART("services.*.logging.driver", "is not supported: logs are kept in json-file format", "json-file", "local",
             "none"),
        PART("services.*.logging.options", "is not supported", "max-size", "max-file"),
        YES("services.*.mac_address"), /* its first network's */
        YES("services.*.mem_limit"),
        YES("services.*.mem_reservation"),
        YES("services.*.mem_swappiness"),   /* cgroup v1; refused on v2 */
        YES("services.*.memswap_limit"),
        YES("services.*.network_mode"),
        NO("services.*.models", "is not supported: ccompose runs no model runner"),
        YES("services.*.networks"),
        YES("services.*.networks.*.aliases"),
        YES("services.*.networks.*.interface_name"),
        YES("services.*.networks.*.ipv4_address"),
        YES("services.*.networks.*.ipv6_address"),
        NO("services.*.networks.*.link_local_ips", "is not supported"),
        YES("services.*.networks.*.mac_address"),
        NO("services.*.networks.*.driver_opts", "is not supported"),
        YES("services.*.networks.*.priority"),    /* eth0 first: highest, then by name */
        YES("services.*.networks.*.gw_priority"), /* the default route */
        YES("services.*.oom_kill_disable"), /* cgroup v1; refused on v2 */
        YES("services.*.oom_score_adj"),
        PART("services.*.pid", "is not supported: only host, or the container's own PID namespace", "host"),
        YES("services.*.pids_limit"),
        YES("services.*.platform"),
        YES("services.*.ports"),
        NO("services.*.ports[].name", "is not recorded"),
        /* host and ingress both publish on this host */
        YES("services.*.ports[].mode"),
        YES("services.*.ports[].host_ip"),
        YES("services.*.ports[].target"),
        YES("services.*.ports[].published"),
        YES("services.*.ports[].protocol"),
        NO("services.*.ports[].app_protocol", "is not recorded"),
        YES("services.*.post_start"),
        YES("services.*.post_start[].command"),
        YES("services.*.post_start[].user"),
        YES("services.*.post_start[].privileged"),
        YES("services.*.post_start[].working_dir"),
        YES("services.*.post_start[].environment"),
        YES("services.*.pre_stop"),
        YES("services.*.pre_stop[].command"),
        YES("services.*.pre_stop[].user"),
        YES("services.*.pre_stop[].privileged"),
        YES("services.*.pre_stop[].working_dir"),
        YES("services.*.pre_stop[].environment"),
        YES("services.*.privileged"),
        YES("services.*.profiles"),
        YES("services.*.pull_policy"),
        NO("services.*.pull_refresh_after", "is not supported: use pull_policy every_<duration>"),
        YES("services.*.read_only"),
        YES("services.*.restart"),
        NO_BUT("services.*.runtime", "is not supported: ccompose runs containers itself", "runc"),
        YES("services.*.scale"),
        /* no-new-privileges and seccomp:unconfined are applied, the rest
         * refused with an error */
        PART("services.*.security_opt", "has no effect: ccompose applies no SELinux or AppArmor profile",
             "no-new-privileges*", "seccomp*"),
        YES("services.*.shm_size"),
        YES("services.*.secrets"),
        YES("services.*.secrets[].source"),
        YES("services.*.secrets[].target"),
        YES("services.*.secrets[].uid"),
        YES("services.*.secrets[].gid"),
        YES("services.*.secrets[].mode"),
        YES("services.*.sysctls"),
        YES("services.*.stdin_open"), /* stdin is a FIFO that attach writes to */
        YES("services.*.stop_grace_period"),
        YES("services.*.stop_signal"),
        NO("services.*.storage_opt", "is not supported: the writable layer has no size limit"),
        YES("services.*.tmpfs"),
        YES("services.*.tty"), /* a pty the supervisor holds (sup-output.c) */
        YES("services.*.ulimits"),
        YES("services.*.ulimits.*.hard"),
        YES("services.*.ulimits.*.soft"),
        NO("services.*.use_api_socket", "is not supported: ccompose has no Docker API socket"),
        YES("services.*.user"),
        PART("services.*.uts", "is not supported: only host, or the container's own UTS namespace", "host", "private"),
        NO("services.*.userns_mode", "is not supported: containers run without a user namespace"),
        /* types but bind, volume and tmpfs are refused with an error */
        YES("services.*.volumes"),
        YES("services.*.volumes[].type"),
        YES("services.*.volumes[].source"),
        YES("services.*.volumes[].target"),
        YES("services.*.volumes[].read_only"),
        NO("services.*.volumes[].consistency", cc__windows),
        YES("services.*.volumes[].bind"),
        PART("services.*.volumes[].bind.propagation", "is not supported: bind mounts are private", "private",
             "rprivate"),
        YES("services.*.volumes[].bind.create_host_path"),
        PART("services.*.volumes[].bind.recursive", "is not supported: bind mounts are recursive", "enabled",
             "readonly"),
        NO("services.*.volumes[].bind.selinux", "has no effect: ccompose does not relabel for SELinux"),
        YES("services.*.volumes[].volume"),
        NO("services.*.volumes[].volume.labels", "are not recorded"),
        YES("services.*.volumes[].volume.nocopy"),
        YES("services.*.volumes[].volume.subpath"),
        YES("services.*.volumes[].tmpfs"),
        YES("services.*.volumes[].tmpfs.size"),
        YES("services.*.volumes[].tmpfs.mode"),
        YES("services.*.volumes[].image"), /* type: image is refused */
        YES("services.*.volumes[].image.subpath"),
        YES("services.*.volumes_from"),
        YES("services.*.working_dir"),

        /* ---- models ---- */
        NO("models", "is not supported: ccompose runs no model runner"),

        /* ---- networks ---- */
        YES("networks"),
        YES("networks.*.name"),
        YES("networks.*.driver"), /* bridge; any other is refused */
        PART("networks.*.driver_opts", "is not supported", "com.docker.network.driver.mtu"),
        YES("networks.*.ipam"),
        PART("networks.*.ipam.driver", "is not supported: ccompose allocates the addresses", "default"),
        YES("networks.*.ipam.config"),
        YES("networks.*.ipam.config[].subnet"),
        YES("networks.*.ipam.config[].ip_range"),
        YES("networks.*.ipam.config[].gateway"),
        NO("networks.*.ipam.config[].aux_addresses", "is not supported: those addresses are not reserved"),
        NO("networks.*.ipam.options", "is not supported"),
        YES("networks.*.external"),
        YES("networks.*.external.name"),
        YES("networks.*.internal"),
        PART("networks.*.enable_ipv4", "is not supported: networks always have IPv4", "true"),
        YES("networks.*.enable_ipv6"),
        NO("networks.*.attachable", cc__swarm),
        NO("networks.*.labels", "are not recorded"),

        /* ---- volumes ---- */
        YES("volumes"),
        YES("volumes.*.name"),
        PART("volumes.*.driver", "is not supported: volumes are directories of the local driver", "local"),
        /* type: none, o: bind, device: /dir is that directory */
        NO_UNLESS("volumes.*.driver_opts", "is not supported: only the local driver's bind (type: none, o: bind, device)",
                  cc__volume_device_opts),
        YES("volumes.*.external"),
        YES("volumes.*.external.name"),
        NO("volumes.*.labels", "are not recorded"),

        /* ---- secrets and configs ---- */
        YES("secrets"),
        YES("secrets.*.name"),
        YES("secrets.*.environment"),
        YES("secrets.*.file"),
        YES("secrets.*.external"), /* refused: secrets of a swarm */
        YES("secrets.*.external.name"),
        NO("secrets.*.labels", "are not recorded"),
        NO("secrets.*.driver", cc__swarm),
        NO("secrets.*.driver_opts", cc__swarm),
        NO("secrets.*.template_driver", cc__swarm),
        YES("configs"),
        YES("configs.*.name"),
        YES("configs.*.content"),
        YES("configs.*.environment"),
        YES("configs.*.file"),
        YES("configs.*.external"), /* refused: configs of a swarm */
        YES("configs.*.external.name"),
        NO("configs.*.labels", "are not recorded"),
        NO("configs.*.template_driver", cc__swarm),
};

const struct cc_support_rule *cc_support_rules(size_t *n)
{
        *n = CC_ARRAY_SIZE(cc__rules);
        return cc__rules;
}

const struct cc_support_rule *cc_support_rule(const char *path)
{
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__rules); i++)
                if (strcmp(cc__rules[i].path, path) == 0)
                        return &cc__rules[i];
        return NULL;
}

const struct cc_support_rule *cc_support_decide(const char *path)
{
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__rules); i++) {
                const struct cc_support_rule *r = &cc__rules[i];
                size_t n = strlen(r->path);
                if (strncmp(r->path, path, n) != 0)
                        continue;
                if (!path[n])
                        return r;
                /* an unsupported ancestor: "a.b" decides "a.b.c" and "a.b[].c" */
                if (r->support == CC_UNSUPPORTED && (path[n] == '.' || path[n] == '['))
                        return r;
        }
        return NULL;
}

/* ---- the warnings ---- */

static bool cc__ok(const struct cc_support_rule *r, const char *s)
{
        for (size_t i = 0; r->ok && r->ok[i]; i++) {
                size_t n = strlen(r->ok[i]);
                if (n && r->ok[i][n - 1] == '*' ? strncmp(r->ok[i], s, n - 1) == 0 : strcmp(r->ok[i], s) == 0)
                        return true;
        }
        return false;
}

/* null, "", an empty mapping or sequence; false, unless the rule says
 * which values are fine (enable_ipv4: true) */
static bool cc__nothing(const struct cc_support_rule *r, const struct cc_node *n)
{
        if (!n || cc_node_is_null(n))
                return true;
        if (n->kind != CC_NODE_SCALAR)
                return n->n == 0;
        return !*n->str || (!r->ok && n->type == CC_BOOL && strcmp(n->str, "false") == 0);
}

/* What of value n the rule warns about, appended to `what` (quoted,
 * comma-separated); for an unsupported key with no `ok` list, whether it
 * holds anything. */
static bool cc__offending(const struct cc_support_rule *r, const struct cc_node *n, struct cc_buf *what)
{
        if (cc__nothing(r, n) || (r->honoured && r->honoured(n)))
                return false;
        if (r->support == CC_UNSUPPORTED && !r->ok)
                return true;
        bool any = false;
        for (size_t i = 0; i < (n->kind == CC_NODE_SCALAR ? 1 : n->n); i++) {
                const struct cc_node *v = n->kind == CC_NODE_SCALAR ? n : n->items[i];
                const char *s = n->kind == CC_NODE_MAP ? cc_node_key(n, i) : v->str;
                if (!s || cc__ok(r, s) || (n->kind == CC_NODE_SEQ && cc__nothing(r, v)))
                        continue;
                if (r->ok) {
                        _cleanup_free_ char *q = cc_xasprintf("\"%s\"", s);
                        if (!what->s || !strstr(what->s, q))
                                cc_buf_printf(what, "%s%s", what->len ? ", " : "", q);
                }
                any = true;
        }
        return any;
}

struct cc__warn_walk {
        const struct cc_support_rule *rule;
        struct cc_buf what;  /* the values warned about (rules with an `ok` list) */
        bool found;
};

/* Follow the rest of a schema path ("deploy.placement",
 * "volumes[].bind.propagation") from node n. A "*" segment is taken
 * by the caller, which names each match. */
static void cc__follow(struct cc__warn_walk *w, const struct cc_node *n, const char *rest)
{
        if (!n)
                return;
        if (!*rest) {
                w->found |= cc__offending(w->rule, n, &w->what);
                return;
        }
        if (strncmp(rest, "[]", 2) == 0) {
                const char *next = rest[2] == '.' ? rest + 3 : rest + 2;
                for (size_t i = 0; cc_node_is_seq(n) && i < n->n; i++)
                        cc__follow(w, n->items[i], next);
                return;
        }
        const char *end = rest + strcspn(rest, ".[");
        _cleanup_free_ char *key = cc_xstrndup(rest, (size_t) (end - rest));
        const char *next = *end == '.' ? end + 1 : end;
        if (cc_streq(key, "*")) {
                for (size_t i = 0; cc_node_is_map(n) && i < n->n; i++)
                        cc__follow(w, n->items[i], next);
                return;
        }
        if (cc_node_is_map(n))
                cc__follow(w, cc_node_map_get(n, key), next);
}

struct cc__warn_out {
        cc_support_fn fn;
        void *data;
};

/* One warning for the rule on node n (the service or resource `subject`),
 * the rest of its path `rest`; `shown` is the key as the warning names it
 * so far. A "*" (a network of the service, ...) is a warning for each
 * name, which the warning names. */
static void cc__warn_rule(const struct cc_support_rule *r, const char *subject, const struct cc_node *n,
                          const char *shown, const char *rest, const struct cc__warn_out *out)
{
        const char *star = strstr(rest, "*");
        if (star && (star == rest || star[-1] == '.') && (!star[1] || star[1] == '.')) {
                _cleanup_free_ char *pre = cc_xstrndup(rest, (size_t) (star - rest));
                if (!strstr(pre, "[]")) {
                        const struct cc_node *m = n;
                        for (char *save = NULL, *seg = strtok_r(pre, ".", &save); seg && m;
                             seg = strtok_r(NULL, ".", &save))
                                m = cc_node_is_map(m) ? cc_node_map_get(m, seg) : NULL;
                        for (size_t i = 0; cc_node_is_map(m) && i < m->n; i++) {
                                _cleanup_free_ char *now = cc_xasprintf("%s%.*s%s%s", shown, (int) (star - rest), rest,
                                                                        cc_node_key(m, i), star[1] ? "." : "");
                                cc__warn_rule(r, subject, m->items[i], now, star[1] ? star + 2 : "", out);
                        }
                        return;
                }
        }
        struct cc__warn_walk w = {.rule = r};
        cc__follow(&w, n, rest);
        if (w.found) {
                _cleanup_free_ char *key = cc_xasprintf("%s%s", shown, rest);
                /* "volumes[].bind.propagation" reads "volumes.bind.propagation" */
                for (char *b; (b = strstr(key, "[]"));)
                        memmove(b, b + 2, strlen(b + 2) + 1);
                _cleanup_free_ char *msg =
                        *key ? cc_xasprintf("%s: %s%s%s %s", subject, key, w.what.len ? " " : "",
                                            w.what.len ? w.what.s : "", r->reason)
                             : cc_xasprintf("%s %s", subject, r->reason);
                out->fn(r, msg, out->data);
        }
        cc_buf_free(&w.what);
}

static const struct {
        const char *section;
        const char *noun;
} cc__subjects[] = {
        {"services", "service"}, {"networks", "network"}, {"volumes", "volume"},
        {"secrets", "secret"},   {"configs", "config"},   {"models", "model"},
};

void cc_support_check(const struct cc_project *p, const struct cc_strv *services, cc_support_fn fn, void *data)
{
        const struct cc__warn_out out = {fn, data};
        for (size_t s = 0; s < CC_ARRAY_SIZE(cc__subjects); s++) {
                const struct cc_node *sec = cc_node_map_get(p->model, cc__subjects[s].section);
                for (size_t i = 0; cc_node_is_map(sec) && i < sec->n; i++) {
                        const char *name = cc_node_key(sec, i);
                        if (s == 0 && services && !cc_strv_contains(services, name))
                                continue;
                        _cleanup_free_ char *subject = cc_xasprintf("%s %s", cc__subjects[s].noun, name);
                        size_t plen = strlen(cc__subjects[s].section);
                        for (size_t k = 0; k < CC_ARRAY_SIZE(cc__rules); k++) {
                                const struct cc_support_rule *r = &cc__rules[k];
                                if (r->support == CC_SUPPORTED || strncmp(r->path, cc__subjects[s].section, plen) != 0)
                                        continue;
                                if (!r->path[plen]) /* the whole resource: "model llm is not supported" */
                                        cc__warn_rule(r, subject, sec->items[i], "", "", &out);
                                else if (strncmp(r->path + plen, ".*.", 3) == 0)
                                        cc__warn_rule(r, subject, sec->items[i], "", r->path + plen + 3, &out);
                        }
                }
        }
}

static void cc__push_warning(const struct cc_support_rule *r, const char *msg, void *data)
{
        (void) r;
        cc_strv_push(data, msg);
}

void cc_support_warnings(const struct cc_project *p, const struct cc_strv *services, struct cc_strv *out)
{
        cc_support_check(p, services, cc__push_warning, out);
}
