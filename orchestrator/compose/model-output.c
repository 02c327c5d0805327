/* The values of top-level resources as compose-go types hold them, and the
 * model as compose-go's JSON encoding prints it (config --format json). */
#include <stdlib.h>

#include "loader.h"
#include "loader-model.h"
#include "normalize.h"

/* compose-go's struct field order, which both its JSON and its YAML keep
 * (networks, volumes, secrets, configs: cc_model_sections' order). */
static const char *const cc__net_order[] = {"name", "driver", "driver_opts", "ipam", "external", "internal",
                                            "attachable", "labels", "enable_ipv4", "enable_ipv6", NULL};
static const char *const cc__vol_order[] = {"name", "driver", "driver_opts", "external", "labels", NULL};
static const char *const cc__file_order[] = {"name", "file", "environment", "content", "external", "labels",
                                             "driver", "driver_opts", "template_driver", NULL};
static const char *const *const cc__def_order[] = {cc__net_order, cc__vol_order, cc__file_order, cc__file_order};

/* fmt.Sprint of a decoded YAML value: the number's decimal text, "" for
 * null. */
static void cc__to_string(struct cc_node *v)
{
        if (!cc_node_is_scalar(v) || v->type == CC_STR)
                return;
        if (v->type == CC_NULL) {
                cc_node_set_scalar(v, "", CC_STR);
                return;
        }
        if (v->type == CC_INT) {
                const char *s = v->str;
                bool neg = *s == '-';
                if (*s == '-' || *s == '+')
                        s++;
                int base = 10;
                if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                        base = 16, s += 2;
                else if (s[0] == '0' && s[1] == 'o')
                        base = 8, s += 2;
                else if (s[0] == '0' && s[1])
                        base = 8, s += 1;
                _cleanup_free_ char *t = cc_xasprintf("%s%llu", neg ? "-" : "", strtoull(s, NULL, base));
                cc_node_set_scalar(v, t, CC_STR);
                return;
        }
        _cleanup_free_ char *t = cc_xstrdup(v->str);
        cc_node_set_scalar(v, t, CC_STR);
}

/* A map[string]string of compose-go (types.Options). */
static void cc__options(struct cc_node *map)
{
        for (size_t i = 0; cc_node_is_map(map) && i < map->n; i++)
                cc__to_string(map->items[i]);
}

/* ipam without driver, config or options is the zero IPAMConfig, which
 * YAML leaves out (JSON prints it whatever: cc_model_json_shape). */
static void cc__ipam(struct cc_node *def)
{
        struct cc_node *ipam = cc_node_map_get(def, "ipam");
        if (!ipam)
                return;
        if (cc_node_is_map(ipam)) {
                static const char *const order[] = {"driver", "config", "options", NULL};
                cc__norm_order(ipam, order);
                /* IPAMPool's fields */
                static const char *const pool[] = {"subnet", "gateway", "ip_range", "aux_addresses", NULL};
                struct cc_node *pools = cc_node_map_get(ipam, "config");
                for (size_t i = 0; cc_node_is_seq(pools) && i < pools->n; i++) {
                        cc__norm_order(pools->items[i], pool);
                        struct cc_node *aux = cc_node_map_get(pools->items[i], "aux_addresses");
                        if (cc_node_is_map(aux))
                                cc_node_map_sort(aux);
                }
                cc__options(cc_node_map_get(ipam, "options"));
                static const char *const keys[] = {"driver", "config", "options"};
                for (size_t k = 0; k < CC_ARRAY_SIZE(keys); k++) {
                        struct cc_node *v = cc_node_map_get(ipam, keys[k]);
                        if (v && (cc_node_is_null(v) || (v->kind != CC_NODE_SCALAR && v->n == 0) ||
                                  (v->type == CC_STR && v->kind == CC_NODE_SCALAR && !*v->str)))
                                cc_node_map_del(ipam, keys[k]);
                }
        }
        if (cc_node_is_null(ipam) || (cc_node_is_map(ipam) && ipam->n == 0))
                cc_node_map_del(def, "ipam");
}

/* A path of the model made absolute as compose-go's paths.maybeUnixPath
 * does: "~" is the home directory, a relative path is under the project
 * directory. */
static void cc__abs_path(struct cc_node *v, const char *workdir, const char *home)
{
        if (!cc_node_is_scalar(v) || v->type != CC_STR || !*v->str)
                return;
        _cleanup_free_ char *abs = NULL;
        if (v->str[0] == '~' && home)
                abs = cc_path_join(home, v->str[1] == '/' ? v->str + 2 : v->str + 1);
        else if (v->str[0] != '/')
                abs = cc_path_join(workdir, v->str);
        if (abs)
                cc_node_set_scalar(v, abs, CC_STR);
}

void cc_model_resource_values(struct cc_project *p, const struct cc_load_options *o, const char *home)
{
        for (size_t s = 0; s < CC_ARRAY_SIZE(cc_model_sections); s++) {
                const char *what = cc_model_sections[s];
                struct cc_node *sec = cc_node_map_get(p->model, what);
                for (size_t i = 0; cc_node_is_map(sec) && i < sec->n; i++) {
                        struct cc_node *def = sec->items[i];
                        if (!cc_node_is_map(def))
                                continue;
                        struct cc_node *opts = cc_node_map_get(def, "driver_opts");
                        cc__options(opts);
                        if (strcmp(what, "networks") == 0)
                                cc__ipam(def);
                        cc__norm_order(def, cc__def_order[s]);
                        if (o->no_resolve_paths)
                                continue;
                        if (strcmp(what, "secrets") == 0 || strcmp(what, "configs") == 0)
                                cc__abs_path(cc_node_map_get(def, "file"), p->workdir, home);
                        /* a local volume that is a bind mount of a host directory */
                        if (strcmp(what, "volumes") == 0 && cc_streq(cc_node_map_str(def, "driver"), "local") &&
                            cc_streq(cc_node_map_str(opts, "o"), "bind"))
                                cc__abs_path(cc_node_map_get(opts, "device"), p->workdir, home);
                }
        }
}

void cc_model_discard_env_files(struct cc_node *model)
{
        struct cc_node *services = cc_node_map_get(model, "services");
        for (size_t i = 0; cc_node_is_map(services) && i < services->n; i++) {
                cc_node_map_del(services->items[i], "env_file");
                cc_node_map_del(services->items[i], "label_file");
        }
}

/* Mappings whose keys are names the user chose: an x- key there is a name,
 * not an extension. */
static bool cc__user_keys(const char *key)
{
        static const char *const names[] = {
                "services", "networks", "volumes", "secrets", "configs", "models", "depends_on",
                "environment", "labels", "annotations", "sysctls", "extra_hosts", "args", "driver_opts",
                "options", "ulimits", "storage_opt", "additional_contexts", "log_opt", "aux_addresses",
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++)
                if (strcmp(key, names[i]) == 0)
                        return true;
        return false;
}

/* ---- map key order ---- */

static bool cc__yl_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool cc__yl_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

/* go-yaml's order of string map keys (keyList.Less): letters by code,
 * a run of digits by its number, and between a letter and another
 * character the letter last, or first right after a digit. */
static bool cc__goyaml_less(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        bool digits = false;
        for (size_t i = 0; i < la && i < lb; i++) {
                unsigned char ca = (unsigned char) a[i], cb = (unsigned char) b[i];
                if (ca == cb) {
                        digits = cc__yl_digit(ca);
                        continue;
                }
                bool al = cc__yl_letter(ca) || ca >= 0x80, bl = cc__yl_letter(cb) || cb >= 0x80;
                if (al && bl)
                        return ca < cb;
                if (al || bl)
                        return digits ? al : bl;
                unsigned long long an = 0, bn = 0;
                if (ca == '0' || cb == '0')
                        for (size_t j = i; j-- > 0 && cc__yl_digit((unsigned char) a[j]);)
                                if (a[j] != '0') {
                                        an = bn = 1;
                                        break;
                                }
                size_t ai = i, bi = i;
                for (; ai < la && cc__yl_digit((unsigned char) a[ai]); ai++)
                        an = an * 10 + (unsigned long long) (a[ai] - '0');
                for (; bi < lb && cc__yl_digit((unsigned char) b[bi]); bi++)
                        bn = bn * 10 + (unsigned long long) (b[bi] - '0');
                if (an != bn)
                        return an < bn;
                if (ai != bi)
                        return ai < bi;
                return ca < cb;
        }
        return la < lb;
}

static int cc__goyaml_cmp(const char *a, const char *b)
{
        return cc__goyaml_less(a, b) ? -1 : cc__goyaml_less(b, a) ? 1 : 0;
}

/* Sort the mappings of n whose keys the user chose (every one inside an
 * extension, whose value Go holds as map[string]any) with cmp. */
static void cc__sort_maps(struct cc_node *n, const char *key, bool all, int (*cmp)(const char *, const char *))
{
        if (!n || n->kind == CC_NODE_SCALAR)
                return;
        all = all || (key && cc_startswith(key, "x-"));
        bool names = n->kind == CC_NODE_MAP && (all || (key && cc__user_keys(key)));
        if (names)
                cc_node_map_sort_with(n, cmp);
        for (size_t i = 0; i < n->n; i++)
                cc__sort_maps(n->items[i], n->kind == CC_NODE_MAP && !names ? cc_node_key(n, i) : NULL, all, cmp);
}

/* A service's command and entrypoint when null (set by normalisation). */
static void cc__drop_null_commands(struct cc_node *svc)
{
        static const char *const cmds[] = {"command", "entrypoint"};
        for (size_t k = 0; k < CC_ARRAY_SIZE(cmds); k++) {
                struct cc_node *v = cc_node_map_get(svc, cmds[k]);
                if (v && cc_node_is_null(v))
                        cc_node_map_del(svc, cmds[k]);
        }
}

void cc_model_raw_shape(struct cc_node *model, bool json)
{
        struct cc_node *services = cc_node_map_get(model, "services");
        for (size_t i = 0; cc_node_is_map(services) && i < services->n; i++)
                cc__drop_null_commands(services->items[i]);
        cc__sort_maps(model, NULL, true, json ? strcmp : cc__goyaml_cmp);
}

void cc_model_yaml_shape(struct cc_node *model)
{
        /* command and entrypoint are omitempty for go-yaml (only JSON
         * prints them null) */
        struct cc_node *services = cc_node_map_get(model, "services");
        for (size_t i = 0; cc_node_is_map(services) && i < services->n; i++) {
                struct cc_node *svc = services->items[i];
                cc__drop_null_commands(svc);
                cc__norm_sort_hosts(svc);
                /* UlimitsConfig.MarshalYAML: soft and hard, zero or not */
                struct cc_node *ul[] = {cc_node_map_get(svc, "ulimits"),
                                        cc_node_map_get(cc_node_map_get(svc, "build"), "ulimits")};
                for (size_t k = 0; k < CC_ARRAY_SIZE(ul); k++)
                        for (size_t j = 0; cc_node_is_map(ul[k]) && j < ul[k]->n; j++) {
                                struct cc_node *u = ul[k]->items[j];
                                if (!cc_node_is_map(u))
                                        continue;
                                static const char *const sh[] = {"soft", "hard", NULL};
                                for (size_t f = 0; sh[f]; f++)
                                        if (!cc_node_map_get(u, sh[f]))
                                                cc_node_map_set(u, sh[f], NULL, cc_node_new_int(0, &u->pos));
                                cc__norm_order(u, sh);
                        }
        }
        for (size_t i = 0; cc_node_is_map(model) && i < model->n; i++)
                cc__sort_maps(model->items[i], cc_node_key(model, i), false, cc__goyaml_cmp);
}

/* ---- JSON ---- */

/* Extensions (x-*) below the top level: compose-go's types keep them in
 * `Extensions` fields that JSON leaves out. An extension's own value is
 * left as it is. */
static void cc__drop_extensions(struct cc_node *n, const char *key)
{
        if (!n || n->kind == CC_NODE_SCALAR || (key && cc_startswith(key, "x-")))
                return;
        bool names = n->kind == CC_NODE_MAP && key && cc__user_keys(key);
        for (size_t i = 0; i < n->n;) {
                /* a list's items are structs (ports, volumes, ...) */
                const char *k = n->kind == CC_NODE_MAP ? cc_node_key(n, i) : NULL;
                if (n->kind == CC_NODE_MAP && !names && cc_startswith(k, "x-")) {
                        cc_node_free(cc_node_seq_take(n, i));
                        continue;
                }
                /* the items of a names map are definitions (services, networks...) */
                cc__drop_extensions(n->items[i], names ? NULL : k);
                i++;
        }
}

/* WeightDevice and ThrottleDevice have no json tags: encoding/json names
 * their fields as Go does (Path, Weight, Rate), go-yaml in lower case. */
static void cc__json_blkio(struct cc_node *blkio)
{
        for (size_t i = 0; cc_node_is_map(blkio) && i < blkio->n; i++) {
                struct cc_node *devs = blkio->items[i];
                for (size_t j = 0; cc_node_is_seq(devs) && j < devs->n; j++) {
                        struct cc_node *d = devs->items[j];
                        if (!cc_node_is_map(d))
                                continue;
                        struct cc_node *go = cc_node_new_map(&d->pos);
                        static const char *const from[] = {"path", "weight", "rate"}, *const to[] = {"Path", "Weight", "Rate"};
                        for (size_t f = 0; f < CC_ARRAY_SIZE(from); f++) {
                                struct cc_node *v = cc_node_map_take(d, from[f]);
                                if (v)
                                        cc_node_map_append(go, to[f], NULL, v);
                        }
                        cc_node_free(d);
                        devs->items[j] = go;
                }
        }
}

void cc_model_json_shape(struct cc_node *model)
{
        /* Project.MarshalJSON: a Go map of name, services, the sections
         * that are not empty and the extensions, so keys come sorted, and
         * without models */
        cc_node_map_del(model, "models");
        cc_node_map_sort(model);
        for (size_t i = 0; i < model->n; i++)
                if (cc_startswith(cc_node_key(model, i), "x-"))
                        cc__sort_maps(model->items[i], cc_node_key(model, i), true, strcmp);
        struct cc_node *services = cc_node_map_get(model, "services");
        for (size_t i = 0; cc_node_is_map(services) && i < services->n; i++) {
                cc_norm_json_structs(services->items[i]);
                cc__norm_sort_hosts(services->items[i]);
                cc__json_blkio(cc_node_map_get(services->items[i], "blkio_config"));
        }
        for (size_t i = 0; cc_node_is_map(model) && i < model->n; i++) {
                const char *k = cc_node_key(model, i);
                if (!cc_startswith(k, "x-"))
                        cc__drop_extensions(model->items[i], k);
        }
        /* NetworkConfig.Ipam is a struct: encoding/json prints it even empty */
        struct cc_node *nets = cc_node_map_get(model, "networks");
        for (size_t i = 0; cc_node_is_map(nets) && i < nets->n; i++) {
                struct cc_node *def = nets->items[i];
                if (cc_node_is_map(def) && !cc_node_map_get(def, "ipam")) {
                        cc_node_map_set(def, "ipam", NULL, cc_node_new_map(&def->pos));
                        cc__norm_order(def, cc__net_order);
                }
        }
}
