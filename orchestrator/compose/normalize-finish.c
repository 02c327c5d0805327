/* The post-merge half of normalisation (compose-go's SetDefaultValues and
 * Normalize, and what its JSON encoding leaves out), and the key order of
 * every structure inside a service: Go prints struct fields in declaration
 * order and map keys sorted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "normalize.h"

/* ---- key order (types.go field order) ---- */

static const char *const cc__port_keys[] = {"name",      "mode",     "host_ip",      "target",
                                            "published", "protocol", "app_protocol", NULL};
static const char *const cc__vol_keys[] = {"type", "source", "target", "read_only", "consistency",
                                           "bind", "volume", "tmpfs",  "image",     NULL};
static const char *const cc__bind_keys[] = {"selinux", "propagation", "create_host_path", "recursive", NULL};
static const char *const cc__volopt_keys[] = {"labels", "nocopy", "subpath", NULL};
static const char *const cc__tmpfs_keys[] = {"size", "mode", NULL};
static const char *const cc__dep_keys[] = {"condition", "restart", "required", NULL};
static const char *const cc__health_keys[] = {"test",         "timeout",        "interval", "retries",
                                              "start_period", "start_interval", "disable",  NULL};
static const char *const cc__build_keys[] = {
        "context",   "dockerfile", "dockerfile_inline", "entitlements", "args",     "provenance",      "sbom",
        "ssh",       "labels",     "cache_from",        "cache_to",     "no_cache", "no_cache_filter", "additional_contexts",
        "pull",      "extra_hosts", "isolation",        "network",      "target",   "secrets",         "shm_size",
        "tags",      "ulimits",    "platforms",         "privileged",   NULL};
static const char *const cc__envfile_keys[] = {"path", "required", "format", NULL};
static const char *const cc__net_keys[] = {"aliases",      "driver_opts", "gw_priority", "interface_name", "ipv4_address",
                                           "ipv6_address", "link_local_ips", "mac_address", "priority",    NULL};
static const char *const cc__fileref_keys[] = {"source", "target", "uid", "gid", "mode", NULL};
static const char *const cc__ulimit_keys[] = {"single", "soft", "hard", NULL};
static const char *const cc__deploy_keys[] = {"mode",      "replicas",       "labels",    "update_config",
                                              "rollback_config", "resources", "restart_policy", "placement",
                                              "endpoint_mode",   NULL};
static const char *const cc__res_keys[] = {"limits", "reservations", NULL};
static const char *const cc__resource_keys[] = {"cpus", "memory", "pids", "devices", "generic_resources", NULL};
static const char *const cc__devreq_keys[] = {"capabilities", "driver", "count", "device_ids", "options", NULL};
static const char *const cc__update_keys[] = {"parallelism",       "delay", "failure_action", "monitor",
                                              "max_failure_ratio", "order", NULL};
static const char *const cc__restart_keys[] = {"condition", "delay", "max_attempts", "window", NULL};
static const char *const cc__placement_keys[] = {"constraints", "preferences", "max_replicas_per_node", NULL};
static const char *const cc__logging_keys[] = {"driver", "options", NULL};
static const char *const cc__device_keys[] = {"source", "target", "permissions", NULL};
static const char *const cc__hook_keys[] = {"command",     "image",       "user",        "privileged",
                                            "working_dir", "environment", "per_replica", NULL};
static const char *const cc__trigger_keys[] = {"path",   "action", "target",       "exec",
                                               "include", "ignore", "initial_sync", NULL};

static const char *const cc__blkio_keys[] = {"weight",           "weight_device",     "device_read_bps",
                                             "device_read_iops", "device_write_bps", "device_write_iops", NULL};
static const char *const cc__blkio_dev_keys[] = {"path", "weight", "rate", NULL};
static const char *const cc__credspec_keys[] = {"config", "file", "registry", NULL};
static const char *const cc__discrete_keys[] = {"kind", "value", NULL};

static void cc__sort(struct cc_node *map, const char *key)
{
        struct cc_node *v = cc_node_map_get(map, key);
        if (cc_node_is_map(v))
                cc_node_map_sort(v);
}

static void cc__order_items(struct cc_node *seq, const char *const *order)
{
        for (size_t i = 0; cc_node_is_seq(seq) && i < seq->n; i++)
                cc__norm_order(seq->items[i], order);
}

static void cc__order_values(struct cc_node *map, const char *const *order)
{
        for (size_t i = 0; cc_node_is_map(map) && i < map->n; i++)
                cc__norm_order(map->items[i], order);
}

static void cc__shape_volumes(struct cc_node *seq)
{
        for (size_t i = 0; cc_node_is_seq(seq) && i < seq->n; i++) {
                struct cc_node *v = seq->items[i];
                cc__norm_order(v, cc__vol_keys);
                cc__norm_order(cc_node_map_get(v, "bind"), cc__bind_keys);
                struct cc_node *vo = cc_node_map_get(v, "volume");
                cc__norm_order(vo, cc__volopt_keys);
                cc__sort(vo, "labels");
                cc__norm_order(cc_node_map_get(v, "tmpfs"), cc__tmpfs_keys);
        }
}

static void cc__shape_build(struct cc_node *b)
{
        if (!cc_node_is_map(b))
                return;
        cc__norm_order(b, cc__build_keys);
        cc__sort(b, "args");
        cc__sort(b, "labels");
        cc__sort(b, "additional_contexts");
        cc__sort(b, "ulimits");
        cc__order_values(cc_node_map_get(b, "ulimits"), cc__ulimit_keys);
        cc__order_items(cc_node_map_get(b, "secrets"), cc__fileref_keys);
}

static void cc__shape_deploy(struct cc_node *d)
{
        if (!cc_node_is_map(d))
                return;
        cc__norm_order(d, cc__deploy_keys);
        cc__sort(d, "labels");
        cc__norm_order(cc_node_map_get(d, "update_config"), cc__update_keys);
        cc__norm_order(cc_node_map_get(d, "rollback_config"), cc__update_keys);
        cc__norm_order(cc_node_map_get(d, "restart_policy"), cc__restart_keys);
        cc__norm_order(cc_node_map_get(d, "placement"), cc__placement_keys);
        struct cc_node *res = cc_node_map_get(d, "resources");
        cc__norm_order(res, cc__res_keys);
        for (size_t i = 0; cc_node_is_map(res) && i < res->n; i++) {
                cc__norm_order(res->items[i], cc__resource_keys);
                struct cc_node *devs = cc_node_map_get(res->items[i], "devices");
                cc__order_items(devs, cc__devreq_keys);
                for (size_t j = 0; cc_node_is_seq(devs) && j < devs->n; j++)
                        cc__sort(devs->items[j], "options");
                struct cc_node *gen = cc_node_map_get(res->items[i], "generic_resources");
                for (size_t j = 0; cc_node_is_seq(gen) && j < gen->n; j++)
                        cc__norm_order(cc_node_map_get(gen->items[j], "discrete_resource_spec"), cc__discrete_keys);
        }
}

void cc__norm_shape(struct cc_node *svc)
{
        static const char *const sorted[] = {"environment", "labels",  "annotations", "sysctls", "storage_opt",
                                             "log_opt",     "ulimits", "networks",    "depends_on"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(sorted); i++)
                cc__sort(svc, sorted[i]);
        cc__order_items(cc_node_map_get(svc, "ports"), cc__port_keys);
        cc__shape_volumes(cc_node_map_get(svc, "volumes"));
        cc__order_values(cc_node_map_get(svc, "depends_on"), cc__dep_keys);
        cc__norm_order(cc_node_map_get(svc, "healthcheck"), cc__health_keys);
        cc__shape_build(cc_node_map_get(svc, "build"));
        cc__order_items(cc_node_map_get(svc, "env_file"), cc__envfile_keys);
        struct cc_node *nets = cc_node_map_get(svc, "networks");
        cc__order_values(nets, cc__net_keys);
        for (size_t i = 0; cc_node_is_map(nets) && i < nets->n; i++)
                cc__sort(nets->items[i], "driver_opts");
        cc__order_items(cc_node_map_get(svc, "secrets"), cc__fileref_keys);
        cc__order_items(cc_node_map_get(svc, "configs"), cc__fileref_keys);
        cc__order_values(cc_node_map_get(svc, "ulimits"), cc__ulimit_keys);
        cc__shape_deploy(cc_node_map_get(svc, "deploy"));
        struct cc_node *log = cc_node_map_get(svc, "logging");
        cc__norm_order(log, cc__logging_keys);
        cc__sort(log, "options");
        cc__order_items(cc_node_map_get(svc, "devices"), cc__device_keys);
        struct cc_node *gpus = cc_node_map_get(svc, "gpus");
        cc__order_items(gpus, cc__devreq_keys);
        for (size_t i = 0; cc_node_is_seq(gpus) && i < gpus->n; i++)
                cc__sort(gpus->items[i], "options");
        static const char *const hooks[] = {"post_start", "pre_stop"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(hooks); i++) {
                struct cc_node *h = cc_node_map_get(svc, hooks[i]);
                cc__order_items(h, cc__hook_keys);
                for (size_t j = 0; cc_node_is_seq(h) && j < h->n; j++)
                        cc__sort(h->items[j], "environment");
        }
        struct cc_node *blkio = cc_node_map_get(svc, "blkio_config");
        cc__norm_order(blkio, cc__blkio_keys);
        for (size_t i = 0; cc_node_is_map(blkio) && i < blkio->n; i++)
                cc__order_items(blkio->items[i], cc__blkio_dev_keys);
        cc__norm_order(cc_node_map_get(svc, "credential_spec"), cc__credspec_keys);
        struct cc_node *watch = cc_node_map_get(cc_node_map_get(svc, "develop"), "watch");
        cc__order_items(watch, cc__trigger_keys);
        for (size_t i = 0; cc_node_is_seq(watch) && i < watch->n; i++) {
                struct cc_node *exec = cc_node_map_get(watch->items[i], "exec");
                cc__norm_order(exec, cc__hook_keys);
                cc__sort(exec, "environment");
        }
}

/* ---- omitempty: what Go's JSON encoding leaves out ---- */

/* A key list entry may carry a marker: '#' a byte count ("0" is zero),
 * '@' a non-pointer duration ("0s" is zero), '*' a pointer field (only
 * null is dropped). */
static bool cc__is_zero(const struct cc_node *v, char marker)
{
        if (cc_node_is_null(v))
                return true;
        if (marker == '*')
                return false;
        if (v->kind != CC_NODE_SCALAR)
                return v->n == 0;
        switch (v->type) {
        case CC_BOOL:
                return v->str[0] == 'f' || v->str[0] == 'F';
        case CC_INT:
        case CC_FLOAT:
                return strtod(v->str, NULL) == 0 && !strchr(v->str, 'x');
        case CC_STR:
                return !*v->str || (marker == '#' && strcmp(v->str, "0") == 0) ||
                       (marker == '@' && strcmp(v->str, "0s") == 0);
        case CC_NULL:
                return true;
        }
        return false;
}

static void cc__drop_zero(struct cc_node *map, const char *const *keys)
{
        if (!cc_node_is_map(map))
                return;
        for (const char *const *k = keys; *k; k++) {
                char c = (*k)[0], marker = c == '#' || c == '@' || c == '*' ? c : 0;
                const char *key = marker ? *k + 1 : *k;
                struct cc_node *v = cc_node_map_get(map, key);
                if (v && cc__is_zero(v, marker))
                        cc_node_map_del(map, key);
        }
}

/* compose-go's OptOut fields (true unless said otherwise) are left out
 * when true, and printed when false. */
static void cc__drop_true(struct cc_node *map, const char *key)
{
        struct cc_node *v = cc_node_map_get(map, key);
        if (cc_node_is_scalar(v) && v->type == CC_BOOL && (v->str[0] == 't' || v->str[0] == 'T'))
                cc_node_map_del(map, key);
}

static void cc__drop_zero_items(struct cc_node *seq, const char *const *keys)
{
        for (size_t i = 0; cc_node_is_seq(seq) && i < seq->n; i++)
                cc__drop_zero(seq->items[i], keys);
}

static const char *const cc__svc_zero[] = {
        "profiles", "annotations", "*attach", "*build", "*develop", "*blkio_config", "cap_add", "cap_drop",
        "cgroup_parent", "cgroup", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period",
        "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares", "configs", "container_name", "*credential_spec",
        "depends_on", "*deploy", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "dockerfile",
        "domainname", "*provider", "environment", "env_file", "expose", "*extends", "external_links",
        "extra_hosts", "group_add", "gpus", "hostname", "*healthcheck", "image", "*init", "ipc", "isolation",
        "labels", "label_file", "links", "*logging", "log_driver", "log_opt", "#mem_limit", "#mem_reservation",
        "#memswap_limit", "#mem_swappiness", "mac_address", "models", "net", "network_mode", "networks",
        "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports", "privileged",
        "pull_policy", "read_only", "restart", "runtime", "*scale", "secrets", "security_opt", "#shm_size",
        "stdin_open", "*stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits",
        "use_api_socket", "user", "userns_mode", "uts", "volume_driver", "volumes", "volumes_from",
        "working_dir", "post_start", "pre_stop", NULL};

static void cc__finish_zero(struct cc_node *svc)
{
        static const char *const vol[] = {"type", "source", "target", "read_only", "consistency", "*bind", "*volume",
                                          "*tmpfs", "*image", NULL};
        static const char *const bind[] = {"selinux", "propagation", "recursive", NULL};
        static const char *const volopt[] = {"labels", "nocopy", "subpath", NULL};
        static const char *const tmpfs[] = {"#size", "mode", NULL};
        static const char *const health[] = {"test", "*timeout", "*interval", "*retries", "*start_period",
                                             "*start_interval", "disable", NULL};
        static const char *const ulimit[] = {"soft", "hard", NULL};
        static const char *const fileref[] = {"source", "target", "uid", "gid", "*mode", NULL};
        static const char *const envfile[] = {"path", "format", NULL};
        static const char *const dep[] = {"condition", "restart", NULL};

        cc__drop_zero_items(cc_node_map_get(svc, "ports"), cc__port_keys);
        struct cc_node *vols = cc_node_map_get(svc, "volumes");
        cc__drop_zero_items(vols, vol);
        for (size_t i = 0; cc_node_is_seq(vols) && i < vols->n; i++) {
                cc__drop_zero(cc_node_map_get(vols->items[i], "bind"), bind);
                cc__drop_true(cc_node_map_get(vols->items[i], "bind"), "create_host_path");
                cc__drop_zero(cc_node_map_get(vols->items[i], "volume"), volopt);
                cc__drop_zero(cc_node_map_get(vols->items[i], "tmpfs"), tmpfs);
        }
        cc__drop_zero(cc_node_map_get(svc, "healthcheck"), health);
        struct cc_node *u = cc_node_map_get(svc, "ulimits");
        for (size_t i = 0; cc_node_is_map(u) && i < u->n; i++)
                cc__drop_zero(u->items[i], ulimit);
        cc__drop_zero_items(cc_node_map_get(svc, "secrets"), fileref);
        cc__drop_zero_items(cc_node_map_get(svc, "configs"), fileref);
        cc__drop_zero_items(cc_node_map_get(svc, "env_file"), envfile);
        struct cc_node *envfiles = cc_node_map_get(svc, "env_file");
        for (size_t i = 0; cc_node_is_seq(envfiles) && i < envfiles->n; i++)
                cc__drop_true(envfiles->items[i], "required");
        struct cc_node *deps = cc_node_map_get(svc, "depends_on");
        for (size_t i = 0; cc_node_is_map(deps) && i < deps->n; i++)
                cc__drop_zero(deps->items[i], dep);
        struct cc_node *nets = cc_node_map_get(svc, "networks");
        for (size_t i = 0; cc_node_is_map(nets) && i < nets->n; i++)
                cc__drop_zero(nets->items[i], cc__net_keys);
}

static void cc__finish_zero_build_deploy(struct cc_node *svc)
{
        static const char *const deploy[] = {"mode", "*replicas", "labels", "*update_config", "*rollback_config",
                                             "*restart_policy", "endpoint_mode", NULL};
        static const char *const res[] = {"*limits", "*reservations", NULL};
        static const char *const resource[] = {"cpus", "#memory", "pids", "devices", "generic_resources", NULL};
        static const char *const update[] = {"*parallelism", "@delay", "failure_action", "@monitor",
                                             "max_failure_ratio", "order", NULL};
        static const char *const restart[] = {"condition", "*delay", "*max_attempts", "*window", NULL};
        static const char *const placement[] = {"constraints", "preferences", "max_replicas_per_node", NULL};
        static const char *const build_extra[] = {"#shm_size", NULL};

        struct cc_node *b = cc_node_map_get(svc, "build");
        if (cc_node_is_map(b)) {
                cc__drop_zero(b, build_extra);
                cc__drop_zero(b, cc__build_keys);
        }
        struct cc_node *d = cc_node_map_get(svc, "deploy");
        if (!cc_node_is_map(d))
                return;
        cc__drop_zero(d, deploy);
        struct cc_node *r = cc_node_map_get(d, "resources");
        cc__drop_zero(r, res);
        for (size_t i = 0; cc_node_is_map(r) && i < r->n; i++)
                cc__drop_zero(r->items[i], resource);
        cc__drop_zero(cc_node_map_get(d, "update_config"), update);
        cc__drop_zero(cc_node_map_get(d, "rollback_config"), update);
        cc__drop_zero(cc_node_map_get(d, "restart_policy"), restart);
        cc__drop_zero(cc_node_map_get(d, "placement"), placement);
        /* Resources and Placement are structs, not pointers: go-yaml leaves
         * them out when empty (omitempty), encoding/json never
         * (cc_norm_json_structs) */
        static const char *const structs[] = {"resources", "placement"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(structs); i++) {
                struct cc_node *v = cc_node_map_get(d, structs[i]);
                if (v && (cc_node_is_null(v) || (cc_node_is_map(v) && v->n == 0)))
                        cc_node_map_del(d, structs[i]);
        }
}

void cc_norm_json_structs(struct cc_node *svc)
{
        struct cc_node *d = cc_node_map_get(svc, "deploy");
        if (!cc_node_is_map(d))
                return;
        static const char *const structs[] = {"resources", "placement"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(structs); i++)
                if (!cc_node_map_get(d, structs[i]))
                        cc_node_map_set(d, structs[i], NULL, cc_node_new_map(&d->pos));
        cc__norm_order(d, cc__deploy_keys);
}

/* ---- defaults and resolution ---- */

static const char *cc__env_lookup(const struct cc_norm_ctx *ctx, const char *key)
{
        const struct cc_env *env = ctx ? ctx->env : NULL;
        for (size_t i = 0; env && i < env->n; i++)
                if (strcmp(env->keys[i], key) == 0)
                        return env->vals[i];
        return NULL;
}

/* Keys without a value take it from the environment; when it has none they
 * stay null (environment) or are removed (build args). */
static void cc__resolve(const struct cc_norm_ctx *ctx, struct cc_node *map, bool keep_empty)
{
        for (size_t i = 0; cc_node_is_map(map) && i < map->n;) {
                if (!cc_node_is_null(map->items[i])) {
                        i++;
                        continue;
                }
                const char *v = cc__env_lookup(ctx, cc_node_key(map, i));
                if (v) {
                        struct cc_node *s = cc_node_new_str(v, &map->items[i]->pos);
                        cc_node_free(map->items[i]);
                        map->items[i] = s;
                } else if (!keep_empty) {
                        cc_node_free(cc_node_seq_take(map, i));
                        continue;
                }
                i++;
        }
}

/* links, volumes_from and service: namespaces are dependencies too. */
static void cc__implied_deps(struct cc_node *svc)
{
        static const char *const ns[] = {"network_mode", "ipc", "pid", "uts", "cgroup"};
        struct cc_node *deps = cc_node_map_get(svc, "depends_on");
        bool fresh = !cc_node_is_map(deps);
        if (fresh)
                deps = cc_node_new_map(&svc->pos);
        struct cc_strv names = {0};
        struct cc_strv restart = {0};
        struct cc_node *links = cc_node_map_get(svc, "links");
        for (size_t i = 0; cc_node_is_seq(links) && i < links->n; i++) {
                const char *l = links->items[i]->str;
                const char *colon = l ? strchr(l, ':') : NULL;
                if (!l)
                        continue;
                cc_strv_push_owned(&names, colon && !strchr(colon + 1, ':') ? cc_xstrndup(l, (size_t) (colon - l))
                                                                           : cc_xstrdup(l));
                cc_strv_push(&restart, "1");
        }
        for (size_t i = 0; i < CC_ARRAY_SIZE(ns); i++) {
                const char *v = cc_node_map_str(svc, ns[i]);
                if (v && cc_startswith(v, "service:")) {
                        cc_strv_push(&names, v + strlen("service:"));
                        cc_strv_push(&restart, "1");
                }
        }
        struct cc_node *vf = cc_node_map_get(svc, "volumes_from");
        for (size_t i = 0; cc_node_is_seq(vf) && i < vf->n; i++) {
                const char *v = vf->items[i]->str;
                if (!v || cc_startswith(v, "container:"))
                        continue;
                const char *colon = strchr(v, ':');
                cc_strv_push_owned(&names, colon ? cc_xstrndup(v, (size_t) (colon - v)) : cc_xstrdup(v));
                cc_strv_push(&restart, "0");
        }
        for (size_t i = 0; i < names.n; i++) {
                if (cc_node_map_get(deps, names.v[i]))
                        continue;
                struct cc_node *e = cc_node_new_map(&svc->pos);
                cc_node_map_set(e, "condition", NULL, cc_node_new_str("service_started", &svc->pos));
                cc_node_map_set(e, "restart", NULL, cc_node_new_bool(restart.v[i][0] == '1', &svc->pos));
                cc_node_map_set(e, "required", NULL, cc_node_new_bool(true, &svc->pos));
                cc_node_map_set(deps, names.v[i], NULL, e);
        }
        if (fresh && deps->n > 0)
                cc_node_map_set(svc, "depends_on", NULL, deps);
        else if (fresh)
                cc_node_free(deps);
        cc_strv_free(&names);
        cc_strv_free(&restart);
}

static void cc__finish_build(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *b = cc_node_map_get(svc, "build");
        if (!cc_node_is_map(b))
                return;
        if (cc_node_is_null(cc_node_map_get(b, "context"))) {
                _cleanup_free_ char *wd = cc__norm_abs_path(n, ".");
                cc_node_map_set(b, "context", NULL, cc_node_new_str(wd, &b->pos));
        }
        if (cc_node_is_null(cc_node_map_get(b, "dockerfile")) && cc_node_is_null(cc_node_map_get(b, "dockerfile_inline")))
                cc_node_map_set(b, "dockerfile", NULL, cc_node_new_str("Dockerfile", &b->pos));
        cc__resolve(n->ctx, cc_node_map_get(b, "args"), false);
}

int cc_normalize_service_finish(struct cc_node *svc, const char *name, const struct cc_norm_ctx *ctx,
                                struct cc_error *err)
{
        struct cc__norm n = {.name = name, .ctx = ctx, .err = err};
        if (!cc_node_is_map(svc))
                return cc__norm_fail(&n, svc, "expected a mapping, got %s", cc_node_type_name(svc));

        bool defaults = !ctx || !ctx->no_defaults;
        if (defaults && cc_streq(cc_node_map_str(svc, "pull_policy"), "if_not_present"))
                cc__norm_set_str(svc, "pull_policy", "missing");
        if (defaults) {
                cc__finish_build(&n, svc);
                cc__resolve(ctx, cc_node_map_get(svc, "environment"), true);
                cc__implied_deps(svc);
        }
        /* an empty network_mode counts as none (it is dropped below, and a
         * second pass must give the same result) */
        struct cc_node *nets = cc_node_map_get(svc, "networks");
        struct cc_node *mode = cc_node_map_get(svc, "network_mode");
        if (defaults && (!mode || cc__is_zero(mode, 0)) && (!nets || nets->n == 0)) {
                struct cc_node *m = cc_node_new_map(&svc->pos);
                cc_node_map_set(m, "default", NULL, cc_node_new_null(&svc->pos));
                cc_node_map_set(svc, "networks", NULL, m);
        }
        struct cc_node *secrets = cc_node_map_get(svc, "secrets");
        for (size_t i = 0; cc_node_is_seq(secrets) && i < secrets->n; i++) {
                struct cc_node *s = secrets->items[i];
                const char *src = cc_node_map_str(s, "source");
                if (cc_node_is_map(s) && src && cc_node_is_null(cc_node_map_get(s, "target"))) {
                        _cleanup_free_ char *t = cc_xasprintf("/run/secrets/%s", src);
                        cc_node_map_set(s, "target", NULL, cc_node_new_str(t, &s->pos));
                }
        }
        static const char *const cmds[] = {"command", "entrypoint"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(cmds); i++)
                if (!cc_node_map_get(svc, cmds[i]))
                        cc_node_map_set(svc, cmds[i], NULL, cc_node_new_null(&svc->pos));
        cc__finish_zero(svc);
        cc__finish_zero_build_deploy(svc);
        cc__drop_zero(svc, cc__svc_zero);
        cc__norm_shape(svc);
        return 0;
}
