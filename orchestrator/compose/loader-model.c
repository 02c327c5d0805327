#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "loader-model.h"
#include "normalize.h"

/* ---- project-level steps ---- */

static bool cc__service_enabled(const struct cc_node *svc, const struct cc_strv *profiles)
{
        struct cc_node *p = cc_node_map_get(svc, "profiles");
        if (!cc_node_is_seq(p) || p->n == 0)
                return true;
        for (size_t i = 0; i < p->n; i++)
                if (cc_node_is_scalar(p->items[i]) &&
                    (cc_strv_contains(profiles, p->items[i]->str) || cc_strv_contains(profiles, "*")))
                        return true;
        return false;
}

void cc_model_apply_profiles(struct cc_project *p, const struct cc_load_options *o)
{
        struct cc_node *services = cc_project_services(p);
        for (size_t i = 0; i < services->n;) {
                if (o->all_profiles || cc__service_enabled(services->items[i], &p->profiles)) {
                        i++;
                        continue;
                }
                cc_strv_push(&p->disabled, cc_node_key(services, i));
                cc_node_free(cc_node_seq_take(services, i));
        }
}

static struct cc_node *cc__section(struct cc_node *model, const char *key)
{
        struct cc_node *s = cc_node_map_get(model, key);
        if (!cc_node_is_map(s)) {
                s = cc_node_new_map(NULL);
                cc_node_map_set(model, key, NULL, s);
        }
        return s;
}

static bool cc__is_external(const struct cc_node *def)
{
        struct cc_node *e = cc_node_map_get(def, "external");
        if (!e)
                return false;
        if (cc_node_is_map(e))
                return true; /* legacy external: {name: x} */
        return e->type == CC_BOOL && (e->str[0] == 't' || e->str[0] == 'T');
}

/* Give every network, volume, secret and config its runtime name, as
 * docker compose does: <project>_<key> unless `name:` is set; external
 * resources are named by their key. */
void cc_model_name_resources(struct cc_project *p)
{
        for (size_t s = 0; s < CC_ARRAY_SIZE(cc_model_sections); s++) {
                struct cc_node *sec = cc_node_map_get(p->model, cc_model_sections[s]);
                if (!cc_node_is_map(sec))
                        continue;
                for (size_t i = 0; i < sec->n; i++) {
                        const char *key = cc_node_key(sec, i);
                        struct cc_node *def = sec->items[i];
                        if (cc_node_is_null(def)) {
                                struct cc_pos pos = def ? def->pos : sec->keys[i]->pos;
                                cc_node_free(def);
                                def = sec->items[i] = cc_node_new_map(&pos);
                        }
                        if (!cc_node_is_map(def))
                                continue;
                        struct cc_node *ext = cc_node_map_get(def, "external");
                        if (cc_node_is_map(ext)) {
                                /* legacy form: external: {name: x} */
                                const char *en = cc_node_map_str(ext, "name");
                                if (en && !cc_node_map_get(def, "name"))
                                        cc_node_map_set(def, "name", NULL, cc_node_new_str(en, &ext->pos));
                                cc_node_map_set(def, "external", NULL, cc_node_new_bool(true, &ext->pos));
                        }
                        if (!cc_node_map_get(def, "name")) {
                                char *n = cc__is_external(def) ? cc_xstrdup(key) : cc_xasprintf("%s_%s", p->name, key);
                                cc_node_map_set(def, "name", NULL, cc_node_new_str(n, &def->pos));
                                free(n);
                        }
                }
        }
}

int cc_model_check_references(struct cc_project *p, struct cc_error *err)
{
        struct cc_node *services = cc_project_services(p);
        struct cc_node *networks = cc_node_map_get(p->model, "networks");
        struct cc_node *volumes = cc_node_map_get(p->model, "volumes");
        struct cc_node *secrets = cc_node_map_get(p->model, "secrets");
        struct cc_node *configs = cc_node_map_get(p->model, "configs");
        struct cc_strv cnames = {0};
        int r = 0;

        for (size_t i = 0; i < services->n && r >= 0; i++) {
                const char *name = cc_node_key(services, i);
                struct cc_node *svc = services->items[i];
                _cleanup_free_ char *where = cc_pos_str(&services->keys[i]->pos);
                if (!cc_node_map_get(svc, "image") && !cc_node_map_get(svc, "build") &&
                    !cc_node_map_get(svc, "provider")) {
                        r = cc_error_set(err, -EINVAL,
                                         "%s: service \"%s\" has neither an image nor a build context specified: "
                                         "invalid compose project",
                                         where, name);
                        break;
                }
                struct cc_node *sn = cc_node_map_get(svc, "networks");
                for (size_t j = 0; cc_node_is_map(sn) && j < sn->n; j++) {
                        const char *net = cc_node_key(sn, j);
                        if (cc_node_map_get(networks, net))
                                continue;
                        _cleanup_free_ char *w = cc_pos_str(&sn->keys[j]->pos);
                        r = cc_error_set(err, -EINVAL, "%s: service \"%s\" refers to undefined network %s: invalid compose project",
                                         w, name, net);
                        break;
                }
                struct cc_node *sv = cc_node_map_get(svc, "volumes");
                for (size_t j = 0; r >= 0 && cc_node_is_seq(sv) && j < sv->n; j++) {
                        struct cc_node *v = sv->items[j];
                        const char *type = cc_node_map_str(v, "type");
                        const char *src = cc_node_map_str(v, "source");
                        if (!type || strcmp(type, "volume") != 0 || !src || !*src)
                                continue;
                        if (cc_node_map_get(volumes, src))
                                continue;
                        _cleanup_free_ char *w = cc_pos_str(&v->pos);
                        r = cc_error_set(err, -EINVAL, "%s: service \"%s\" refers to undefined volume %s: invalid compose project",
                                         w, name, src);
                }
                static const char *const refs[] = {"secrets", "configs"};
                for (size_t k = 0; r >= 0 && k < CC_ARRAY_SIZE(refs); k++) {
                        struct cc_node *list = cc_node_map_get(svc, refs[k]);
                        struct cc_node *top = k == 0 ? secrets : configs;
                        for (size_t j = 0; cc_node_is_seq(list) && j < list->n; j++) {
                                const char *src = cc_node_is_scalar(list->items[j]) ? list->items[j]->str
                                                                                    : cc_node_map_str(list->items[j], "source");
                                if (!src || cc_node_map_get(top, src))
                                        continue;
                                _cleanup_free_ char *w = cc_pos_str(&list->items[j]->pos);
                                r = cc_error_set(err, -EINVAL, "%s: service \"%s\" refers to undefined %.*s %s: invalid compose project",
                                                 w, name, (int) strlen(refs[k]) - 1, refs[k], src);
                                break;
                        }
                }
                const char *cn = cc_node_map_str(svc, "container_name");
                if (r >= 0 && cn) {
                        if (cc_strv_contains(&cnames, cn)) {
                                r = cc_error_set(err, -EINVAL, "%s: services.%s: container name \"%s\" is already in use by another service",
                                                 where, name, cn);
                                break;
                        }
                        cc_strv_push(&cnames, cn);
                        const char *scale = cc_node_map_str(svc, "scale");
                        struct cc_node *deploy = cc_node_map_get(svc, "deploy");
                        const char *rep = cc_node_map_str(deploy, "replicas");
                        if ((scale && atoll(scale) > 1) || (rep && atoll(rep) > 1))
                                r = cc_error_set(err, -EINVAL,
                                                 "%s: services.%s: can't set container_name and %s as container name must be unique",
                                                 where, name, name);
                }
        }
        cc_strv_free(&cnames);
        return r;
}

/* Services that join no network explicitly join "default"; the default
 * network exists whenever a service uses it. */
void cc_model_default_network(struct cc_project *p)
{
        struct cc_node *services = cc_project_services(p);
        bool used = false;
        for (size_t i = 0; i < services->n; i++) {
                struct cc_node *svc = services->items[i];
                if (cc_node_map_get(svc, "network_mode"))
                        continue;
                struct cc_node *n = cc_node_map_get(svc, "networks");
                if (!n || (cc_node_is_map(n) && n->n == 0)) {
                        struct cc_node *m = cc_node_new_map(&svc->pos);
                        cc_node_map_set(m, "default", NULL, cc_node_new_null(&svc->pos));
                        cc_node_map_set(svc, "networks", NULL, m);
                        n = m;
                }
                if (cc_node_map_get(n, "default"))
                        used = true;
        }
        if (!used)
                return;
        struct cc_node *nets = cc__section(p->model, "networks");
        if (!cc_node_map_get(nets, "default"))
                cc_node_map_set(nets, "default", NULL, cc_node_new_map(NULL));
}

/* What compose-go does only once every file is merged: defaults, bare
 * environment keys resolved, zero values dropped. */
int cc_model_finish_services(struct cc_project *p, const struct cc_load_options *o, const char *home,
                             struct cc_error *err)
{
        struct cc_node *services = cc_project_services(p);
        struct cc_norm_ctx ctx = {
                .project_name = p->name,
                .workdir = p->workdir,
                .home = home,
                .env = &p->env,
                .keep_paths = o->no_resolve_paths,
                .no_defaults = o->no_normalize,
        };
        for (size_t i = 0; i < services->n; i++) {
                if (!cc_node_is_map(services->items[i]))
                        continue;
                int r = cc_normalize_service_finish(services->items[i], cc_node_key(services, i), &ctx, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Defaults that must not be applied before merging, or an override file's
 * short form would clobber the base file's values. */
void cc_model_service_defaults(struct cc_project *p)
{
        struct cc_node *services = cc_project_services(p);
        for (size_t i = 0; i < services->n; i++) {
                struct cc_node *build = cc_node_map_get(services->items[i], "build");
                if (cc_node_is_map(build) && !cc_node_map_get(build, "dockerfile") &&
                    !cc_node_map_get(build, "dockerfile_inline"))
                        cc_node_map_set(build, "dockerfile", NULL, cc_node_new_str("Dockerfile", &build->pos));
        }
}

/* label_file contents go under `labels` (labels win; a later file over an
 * earlier one, each file seeing the labels of those before it), as
 * compose-go's WithServicesLabelsResolved does. */
int cc_model_apply_label_files(struct cc_project *p, struct cc_error *err)
{
        struct cc_node *services = cc_project_services(p);
        for (size_t i = 0; i < services->n; i++) {
                struct cc_node *svc = services->items[i];
                struct cc_node *files = cc_node_map_get(svc, "label_file");
                if (!cc_node_is_seq(files) || files->n == 0)
                        continue;
                struct cc_env labels = {0};
                int r = 0;
                for (size_t j = 0; j < files->n && r >= 0; j++) {
                        const struct cc_node *f = files->items[j];
                        if (!cc_node_is_scalar(f) || !f->str)
                                continue;
                        _cleanup_free_ char *path = cc_path_join(p->workdir, f->str);
                        if (!cc_loader_file_exists(path)) {
                                _cleanup_free_ char *w = cc_pos_str(&f->pos);
                                r = cc_error_set(err, -ENOENT, "%s: service %s: label file %s not found", w,
                                                 cc_node_key(services, i), path);
                                break;
                        }
                        struct cc_env one = {0};
                        r = cc_dotenv_load(path, &labels, &one, err);
                        if (r < 0)
                                cc_error_prefix(err, "service %s: label_file", cc_node_key(services, i));
                        for (size_t k = 0; r >= 0 && k < one.n; k++)
                                cc_env_set(&labels, one.keys[k], one.vals[k] ? one.vals[k] : "");
                        cc_env_free(&one);
                }
                struct cc_node *own = cc_node_map_get(svc, "labels");
                if (r >= 0 && labels.n > 0 && !cc_node_is_map(own)) {
                        own = cc_node_new_map(&files->pos);
                        cc_node_map_set(svc, "labels", NULL, own);
                }
                for (size_t k = 0; r >= 0 && k < labels.n; k++)
                        if (cc_node_map_index(own, labels.keys[k]) < 0)
                                cc_node_map_set(own, labels.keys[k], NULL, cc_node_new_str(labels.vals[k], &files->pos));
                cc_env_free(&labels);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* env_file contents go under `environment` (environment wins), as docker
 * compose config shows them. */
int cc_model_apply_env_files(struct cc_project *p, struct cc_error *err)
{
        struct cc_node *services = cc_project_services(p);
        for (size_t i = 0; i < services->n; i++) {
                struct cc_node *svc = services->items[i];
                struct cc_node *files = cc_node_map_get(svc, "env_file");
                if (!cc_node_is_seq(files) || files->n == 0)
                        continue;
                struct cc_env fenv = {0};
                for (size_t j = 0; j < files->n; j++) {
                        struct cc_node *f = files->items[j];
                        const char *given = cc_node_is_scalar(f) ? f->str : cc_node_map_str(f, "path");
                        const char *req = cc_node_map_str(f, "required");
                        bool required = !req || strcmp(req, "false") != 0;
                        if (!given)
                                continue;
                        /* relative with --no-path-resolution: under the project directory */
                        _cleanup_free_ char *path = cc_path_join(p->workdir, given);
                        if (!cc_loader_file_exists(path)) {
                                if (!required)
                                        continue;
                                _cleanup_free_ char *w = cc_pos_str(&f->pos);
                                cc_env_free(&fenv);
                                return cc_error_set(err, -ENOENT, "%s: service %s: env file %s not found", w,
                                                    cc_node_key(services, i), path);
                        }
                        struct cc_env one = {0};
                        int r = cc_dotenv_load(path, &p->env, &one, err);
                        if (r < 0) {
                                cc_env_free(&one);
                                cc_env_free(&fenv);
                                return cc_error_prefix(err, "service %s: env_file", cc_node_key(services, i));
                        }
                        for (size_t k = 0; k < one.n; k++)
                                cc_env_set(&fenv, one.keys[k], one.vals[k]);
                        cc_env_free(&one);
                }
                struct cc_node *env = cc_node_map_get(svc, "environment");
                if (!cc_node_is_map(env)) {
                        env = cc_node_new_map(&files->pos);
                        cc_node_map_set(svc, "environment", NULL, env);
                }
                for (size_t k = 0; k < fenv.n; k++)
                        if (cc_node_map_index(env, fenv.keys[k]) < 0)
                                cc_node_map_set(env, fenv.keys[k], NULL,
                                                fenv.vals[k] ? cc_node_new_str(fenv.vals[k], &files->pos)
                                                             : cc_node_new_null(&files->pos));
                cc_env_free(&fenv);
        }
        return 0;
}

static void cc__sort_at(struct cc_node *map, const char *key)
{
        struct cc_node *m = cc_node_map_get(map, key);
        if (cc_node_is_map(m))
                cc_node_map_sort(m);
}

/* A service's keys in compose-go's ServiceConfig field order (types.go),
 * which encoding/json and go-yaml both follow; extensions (x-*, which only
 * YAML prints) come after them, sorted. */
static const char *const cc__svc_order[] = {
        "profiles", "annotations", "attach", "build", "develop", "blkio_config", "cap_add", "cap_drop",
        "cgroup_parent", "cgroup", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period",
        "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares", "command", "configs", "container_name",
        "credential_spec", "depends_on", "deploy", "device_cgroup_rules", "devices", "dns", "dns_opt",
        "dns_search", "dockerfile", "domainname", "entrypoint", "provider", "environment", "env_file",
        "expose", "extends", "external_links", "extra_hosts", "group_add", "gpus", "hostname", "healthcheck",
        "image", "init", "ipc", "isolation", "labels", "label_file", "links", "logging", "log_driver",
        "log_opt", "mem_limit", "mem_reservation", "memswap_limit", "mem_swappiness", "mac_address",
        "models", "net", "network_mode", "networks", "oom_kill_disable", "oom_score_adj", "pid",
        "pids_limit", "platform", "ports", "privileged", "pull_policy", "read_only", "restart", "runtime",
        "scale", "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period", "stop_signal",
        "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "use_api_socket", "user", "userns_mode", "uts",
        "volume_driver", "volumes", "volumes_from", "working_dir", "pre_start", "post_start", "pre_stop",
        NULL};

/* docker compose prints mappings whose keys the user chooses (service
 * names, environment, labels, ...) sorted, as Go does with maps; mappings
 * with fixed fields keep their canonical field order. */
static void cc__sort_user_maps(struct cc_node *model)
{
        static const char *const svc_maps[] = {"environment", "labels", "annotations", "sysctls", "depends_on",
                                               "networks", "ulimits", "storage_opt", "extra_hosts"};
        static const char *const def_maps[] = {"labels", "driver_opts"};
        struct cc_node *services = cc_node_map_get(model, "services");
        for (size_t i = 0; cc_node_is_map(services) && i < services->n; i++) {
                struct cc_node *svc = services->items[i];
                if (!cc_node_is_map(svc))
                        continue;
                cc_node_map_sort(svc);
                cc__norm_order(svc, cc__svc_order);
                for (size_t k = 0; k < CC_ARRAY_SIZE(svc_maps); k++)
                        cc__sort_at(svc, svc_maps[k]);
                struct cc_node *build = cc_node_map_get(svc, "build");
                cc__sort_at(build, "args");
                cc__sort_at(build, "labels");
                cc__sort_at(cc_node_map_get(svc, "logging"), "options");
                cc__sort_at(cc_node_map_get(svc, "deploy"), "labels");
        }
        for (size_t s = 0; s < CC_ARRAY_SIZE(cc_model_sections); s++) {
                struct cc_node *sec = cc_node_map_get(model, cc_model_sections[s]);
                if (!cc_node_is_map(sec))
                        continue;
                cc_node_map_sort(sec);
                for (size_t i = 0; i < sec->n; i++)
                        for (size_t k = 0; k < CC_ARRAY_SIZE(def_maps); k++)
                                cc__sort_at(sec->items[i], def_maps[k]);
        }
        if (cc_node_is_map(services))
                cc_node_map_sort(services);
}

void cc_model_order(struct cc_project *p)
{
        /* Project's field order (project.go), which go-yaml follows; JSON
         * sorts these keys (cc_model_json_shape) */
        static const char *const order[] = {"name", "services", "networks", "volumes", "secrets", "configs"};
        struct cc_node *m = p->model;
        struct cc_node *sorted = cc_node_new_map(&m->pos);
        for (size_t i = 0; i < CC_ARRAY_SIZE(order); i++) {
                struct cc_pos kp = {0};
                ssize_t k = cc_node_map_index(m, order[i]);
                if (k < 0)
                        continue;
                kp = m->keys[k]->pos;
                struct cc_node *v = cc_node_map_take(m, order[i]);
                if (cc_node_is_map(v) && v->n == 0 && strcmp(order[i], "services") != 0) {
                        cc_node_free(v);
                        continue;
                }
                cc_node_map_set(sorted, order[i], &kp, v);
        }
        /* top-level x- extensions stay, after the sections and sorted
         * (Project.Extensions, an inline map) */
        for (size_t i = 0; i < m->n;) {
                if (cc_startswith(cc_node_key(m, i), "x-"))
                        i++;
                else
                        cc_node_free(cc_node_seq_take(m, i));
        }
        cc_node_map_sort(m);
        while (m->n > 0) {
                _cleanup_free_ char *k = cc_xstrdup(cc_node_key(m, 0));
                struct cc_pos kp = m->keys[0]->pos;
                cc_node_map_set(sorted, k, &kp, cc_node_seq_take(m, 0));
        }
        cc_node_free(m);
        p->model = sorted;
        cc__sort_user_maps(p->model);
}

