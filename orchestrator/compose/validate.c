/* The rules compose-go checks beyond the schema: per file (keys that are
 * not strings, environment entries with a trailing space), on the merged
 * model's resources (external resources, secret and config sources) and on
 * each service (compose-go's consistency check: network_mode against
 * networks, healthcheck tests, scale, watch rules, mounts, device
 * requests). Messages say what compose-go says, after the file position. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "validate.h"

static int cc__fail(struct cc_error *err, const struct cc_node *at, const char *fmt, ...) CC_PRINTF(3, 4);
static int cc__fail(struct cc_error *err, const struct cc_node *at, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = cc_pos_vfail(err, at ? &at->pos : NULL, fmt, ap);
        va_end(ap);
        return r;
}

/* ---- one file ---- */

/* Go's %#v of a YAML key that is not a string. */
static char *cc__key_text(const struct cc_node *k)
{
        if (k->type == CC_NULL)
                return cc_xstrdup("<nil>");
        return cc_xstrdup(k->str);
}

static int cc__string_keys(const struct cc_node *n, struct cc_buf *path, struct cc_error *err)
{
        if (!n || n->kind == CC_NODE_SCALAR)
                return 0;
        size_t mark = path->len;
        for (size_t i = 0; i < n->n; i++) {
                if (n->kind == CC_NODE_MAP) {
                        const struct cc_node *k = n->keys[i];
                        if (k->type != CC_STR) {
                                _cleanup_free_ char *kt = cc__key_text(k);
                                if (mark == 0)
                                        return cc__fail(err, k, "non-string key at top level: %s", kt);
                                return cc__fail(err, k, "non-string key in %s: %s", path->s, kt);
                        }
                        if (mark)
                                cc_buf_putc(path, '.');
                        cc_buf_puts(path, k->str); /* not printf: this is done for every key */
                } else {
                        cc_buf_printf(path, "[%zu]", i);
                }
                int r = cc__string_keys(n->items[i], path, err);
                path->len = mark;
                if (path->s)
                        path->s[mark] = '\0';
                if (r < 0)
                        return r;
        }
        return 0;
}

int cc_validate_keys(const struct cc_node *root, struct cc_error *err)
{
        struct cc_buf path = {0};
        cc_buf_puts(&path, "");
        int r = cc__string_keys(root, &path, err);
        cc_buf_free(&path);
        return r;
}

int cc_validate_file(const struct cc_node *root, struct cc_error *err)
{
        const struct cc_node *services = cc_node_map_get(root, "services");
        for (size_t i = 0; cc_node_is_map(services) && i < services->n; i++) {
                const struct cc_node *env = cc_node_map_get(services->items[i], "environment");
                for (size_t j = 0; cc_node_is_seq(env) && j < env->n; j++) {
                        const struct cc_node *e = env->items[j];
                        if (!cc_node_is_scalar(e) || !e->str)
                                continue;
                        const char *eq = strchr(e->str, '=');
                        size_t klen = eq ? (size_t) (eq - e->str) : strlen(e->str);
                        if (klen > 0 && strchr(" \t\n\v\f\r", e->str[klen - 1]))
                                return cc__fail(err, e,
                                                "services.%s.environment: environment variable %.*s is declared "
                                                "with a trailing space",
                                                cc_node_key(services, i), (int) klen, e->str);
                }
        }
        return 0;
}

/* ---- resources ---- */

static bool cc__true(const struct cc_node *n)
{
        return cc_node_is_scalar(n) && n->type == CC_BOOL && (n->str[0] == 't' || n->str[0] == 'T');
}

/* One of keys (exactly one) must be set, unless a driver or external. */
static int cc__file_object(const char *sec, const char *key, const struct cc_node *def, const char *const *keys,
                           const char *list, struct cc_error *err)
{
        size_t count = 0;
        for (const char *const *k = keys; *k; k++)
                count += cc_node_map_get(def, *k) != NULL;
        if (count > 1)
                return cc__fail(err, def, "%s.%s: %s attributes are mutually exclusive", sec, key, list);
        if (count == 0 && !cc_node_map_get(def, "driver") && !cc_node_map_get(def, "external"))
                return cc__fail(err, def, "%s.%s: one of %s must be set", sec, key, list);
        return 0;
}

static int cc__resource(const char *sec, const char *key, const struct cc_node *def, struct cc_strv *warnings,
                        struct cc_error *err)
{
        const struct cc_node *ext = cc_node_map_get(def, "external");
        if (cc_node_is_map(ext) && cc_node_map_get(ext, "name")) {
                const struct cc_node *name = cc_node_map_get(def, "name");
                const char *extname = cc_node_map_str(ext, "name");
                if (warnings)
                        cc_strv_push_owned(warnings,
                                           cc_xasprintf("%s.%s: external.name is deprecated. Please set name and "
                                                        "external: true",
                                                        sec, key));
                if (name && (!cc_node_is_scalar(name) || !extname || strcmp(name->str, extname) != 0))
                        return cc__fail(err, ext, "%s.%s: name and external.name conflict; only use name", sec, key);
        }
        if (strcmp(sec, "volumes") == 0 && (cc__true(ext) || cc_node_is_map(ext))) {
                for (size_t i = 0; i < def->n; i++) {
                        const char *k = cc_node_key(def, i);
                        if (strcmp(k, "name") == 0 || strcmp(k, "external") == 0 || cc_startswith(k, "x-"))
                                continue;
                        return cc__fail(err, def->keys[i], "%s.%s: conflicting parameters \"external\" and \"%s\" specified",
                                        sec, key, k);
                }
        }
        static const char *const secret_keys[] = {"file", "environment", NULL};
        static const char *const config_keys[] = {"file", "environment", "content", NULL};
        if (strcmp(sec, "secrets") == 0)
                return cc__file_object(sec, key, def, secret_keys, "file|environment", err);
        if (strcmp(sec, "configs") == 0)
                return cc__file_object(sec, key, def, config_keys, "file|environment|content", err);
        return 0;
}

int cc_validate_resources(const struct cc_node *model, struct cc_strv *warnings, struct cc_error *err)
{
        static const char *const secs[] = {"networks", "volumes", "secrets", "configs"};
        for (size_t s = 0; s < CC_ARRAY_SIZE(secs); s++) {
                const struct cc_node *sec = cc_node_map_get(model, secs[s]);
                for (size_t i = 0; cc_node_is_map(sec) && i < sec->n; i++) {
                        if (!cc_node_is_map(sec->items[i]))
                                continue;
                        int r = cc__resource(secs[s], cc_node_key(sec, i), sec->items[i], warnings, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- services ---- */

static int cc__device_requests(const char *name, const char *what, const struct cc_node *list, struct cc_error *err)
{
        for (size_t i = 0; cc_node_is_seq(list) && i < list->n; i++) {
                const struct cc_node *d = list->items[i];
                if (cc_node_map_get(d, "count") && cc_node_map_get(d, "device_ids"))
                        return cc__fail(err, d, "services.%s.%s[%zu]: \"count\" and \"device_ids\" attributes are exclusive",
                                        name, what, i);
        }
        return 0;
}

static int cc__watch(const char *name, const struct cc_node *svc, struct cc_error *err)
{
        const struct cc_node *watch = cc_node_map_get(cc_node_map_get(svc, "develop"), "watch");
        for (size_t i = 0; cc_node_is_seq(watch) && i < watch->n; i++) {
                const struct cc_node *w = watch->items[i];
                const struct cc_node *path = cc_node_map_get(w, "path");
                if (cc_node_is_scalar(path) && path->str && !*path->str)
                        return cc__fail(err, path, "services.%s.develop.watch[%zu].path: value can't be blank", name, i);
        }
        return 0;
}

/* What compose-go checks on the whole (validation.Validate) whatever
 * --no-consistency says. */
static int cc__service_valid(const char *name, const struct cc_node *svc, struct cc_error *err)
{
        const struct cc_node *res = cc_node_map_get(cc_node_map_get(svc, "deploy"), "resources");
        int r = cc__device_requests(name, "deploy.resources.reservations.devices",
                                    cc_node_map_get(cc_node_map_get(res, "reservations"), "devices"), err);
        if (r >= 0)
                r = cc__device_requests(name, "gpus", cc_node_map_get(svc, "gpus"), err);
        if (r >= 0)
                r = cc__watch(name, svc, err);
        return r;
}

static bool cc__negative(const struct cc_node *n)
{
        return cc_node_is_scalar(n) && n->type == CC_INT && n->str[0] == '-' && strtoll(n->str, NULL, 10) < 0;
}

/* Mounts seen so far: their targets and where each was given. */
struct cc__mount_seen {
        struct cc_strv targets, where;
};

static int cc__mount_add(struct cc__mount_seen *seen, const struct cc_node *at, const char *target, char *loc,
                         struct cc_error *err)
{
        int r = 0;
        for (size_t j = 0; j < seen->targets.n && r >= 0; j++)
                if (strcmp(seen->targets.v[j], target) == 0)
                        r = cc__fail(err, at, "%s: target %s already mounted as %s", loc, target, seen->where.v[j]);
        cc_strv_push(&seen->targets, target);
        cc_strv_push_owned(&seen->where, loc);
        return r;
}

static int cc__mounts(const char *name, const struct cc_node *svc, struct cc_error *err)
{
        struct cc__mount_seen seen = {0};
        int r = 0;
        const struct cc_node *tmpfs = cc_node_map_get(svc, "tmpfs");
        size_t nt = cc_node_is_seq(tmpfs) ? tmpfs->n : cc_node_is_scalar(tmpfs) ? 1 : 0;
        for (size_t i = 0; i < nt && r >= 0; i++) {
                const struct cc_node *t = cc_node_is_seq(tmpfs) ? tmpfs->items[i] : tmpfs;
                if (!cc_node_is_scalar(t) || !t->str)
                        continue;
                _cleanup_free_ char *path = cc_xstrndup(t->str, strcspn(t->str, ":"));
                r = cc__mount_add(&seen, t, path, cc_xasprintf("services.%s.tmpfs[%zu]", name, i), err);
        }
        const struct cc_node *vols = cc_node_map_get(svc, "volumes");
        for (size_t i = 0; cc_node_is_seq(vols) && i < vols->n && r >= 0; i++) {
                const char *t = cc_node_map_str(vols->items[i], "target");
                if (t)
                        r = cc__mount_add(&seen, vols->items[i], t,
                                          cc_xasprintf("services.%s.volumes[%zu]", name, i), err);
        }
        cc_strv_free(&seen.targets);
        cc_strv_free(&seen.where);
        return r;
}

/* compose-go's consistency check of one service (skipped by
 * --no-consistency). */
static int cc__service_consistent(const char *name, const struct cc_node *key, const struct cc_node *svc,
                                  struct cc_error *err)
{
        const struct cc_node *mode = cc_node_map_get(svc, "network_mode");
        const struct cc_node *nets = cc_node_map_get(svc, "networks");
        if (cc_node_is_scalar(mode) && mode->str && *mode->str && nets && nets->n > 0)
                return cc__fail(err, key, "service %s declares mutually exclusive `network_mode` and `networks`: "
                                          "invalid compose project",
                                name);
        const struct cc_node *test = cc_node_map_get(cc_node_map_get(svc, "healthcheck"), "test");
        if (cc_node_is_seq(test) && test->n > 0) {
                const char *t0 = cc_node_is_scalar(test->items[0]) ? test->items[0]->str : "";
                if (strcmp(t0, "CMD") != 0 && strcmp(t0, "CMD-SHELL") != 0 && strcmp(t0, "NONE") != 0)
                        return cc__fail(err, test, "services.%s.healthcheck.test must start either by \"CMD\", "
                                                   "\"CMD-SHELL\" or \"NONE\"",
                                        name);
        }
        const struct cc_node *scale = cc_node_map_get(svc, "scale");
        if (cc__negative(scale))
                return cc__fail(err, scale, "services.%s.scale: must be greater than or equal to 0", name);
        const struct cc_node *replicas = cc_node_map_get(cc_node_map_get(svc, "deploy"), "replicas");
        if (cc__negative(replicas))
                return cc__fail(err, replicas, "services.%s.deploy.replicas: must be greater than or equal to 0", name);
        const struct cc_node *watch = cc_node_map_get(cc_node_map_get(svc, "develop"), "watch");
        for (size_t i = 0; cc_node_is_seq(watch) && i < watch->n; i++) {
                const struct cc_node *w = watch->items[i];
                const char *action = cc_node_map_str(w, "action");
                const char *target = cc_node_map_str(w, "target");
                if ((!target || !*target) && action && strcmp(action, "rebuild") != 0 && strcmp(action, "restart") != 0)
                        return cc__fail(err, w, "services.%s.develop.watch: target is required for non-rebuild "
                                                "actions: invalid compose project",
                                        name);
        }
        return cc__mounts(name, svc, err);
}

int cc_validate_services(const struct cc_node *services, bool consistency, struct cc_error *err)
{
        for (size_t i = 0; cc_node_is_map(services) && i < services->n; i++) {
                const char *name = cc_node_key(services, i);
                int r = cc__service_valid(name, services->items[i], err);
                if (r >= 0 && consistency)
                        r = cc__service_consistent(name, services->keys[i], services->items[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
