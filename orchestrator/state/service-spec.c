/* A service of the project model (normalised) and its image, turned into
 * a fully resolved container spec: the image's config under the service's
 * definition under the command line's overrides, as docker compose does.
 * Shared by `run` and the supervisor. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "normalize.h"
#include "support.h"
#include "service-spec.h"

/* ---- Reading the normalised service ---- */

/* A named volume of the local driver that binds a host directory
 * (driver_opts type: none, o: bind, device): that directory, else NULL. */
static const char *cc__volume_bind_device(const struct cc_project *p, const char *key)
{
        const struct cc_node *vols = cc_node_map_get(p->model, "volumes");
        const struct cc_node *v = cc_node_is_map(vols) ? cc_node_map_get(vols, key) : NULL;
        const char *driver = cc_node_is_map(v) ? cc_node_map_str(v, "driver") : NULL;
        if (!cc_node_is_map(v) || (driver && !cc_streq(driver, "local")))
                return NULL;
        return cc_support_volume_device(cc_node_map_get(v, "driver_opts"));
}

static bool cc__node_true(const struct cc_node *n)
{
        return cc_node_is_scalar(n) && cc_streq(n->str, "true");
}

static bool cc__node_ll(const struct cc_node *n, long long *out)
{
        if (!cc_node_is_scalar(n) || cc_node_is_null(n))
                return false;
        char *end;
        errno = 0;
        long long v = strtoll(n->str, &end, 10);
        if (!errno && end != n->str && !*end) {
                *out = v;
                return true;
        }
        return cc_parse_bytes(n->str, out) == 0;
}

static void cc__node_strv(const struct cc_node *n, struct cc_strv *out)
{
        if (cc_node_is_scalar(n) && !cc_node_is_null(n)) {
                cc_strv_push(out, n->str);
                return;
        }
        for (size_t i = 0; cc_node_is_seq(n) && i < n->n; i++)
                if (cc_node_is_scalar(n->items[i]) && !cc_node_is_null(n->items[i]))
                        cc_strv_push(out, n->items[i]->str);
}

static void cc__json_strv(json_object *config, const char *key, struct cc_strv *out)
{
        json_object *a;
        if (!config || !json_object_object_get_ex(config, key, &a) || !json_object_is_type(a, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(a, i));
                if (s)
                        cc_strv_push(out, s);
        }
}

static const char *cc__json_str(json_object *config, const char *key)
{
        json_object *v;
        if (!config || !json_object_object_get_ex(config, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        const char *s = json_object_get_string(v);
        return s && *s ? s : NULL;
}

static void cc__strv_extend(struct cc_strv *dst, const struct cc_strv *src)
{
        for (size_t i = 0; i < src->n; i++)
                cc_strv_push(dst, src->v[i]);
}

/* Entrypoint and command with Docker's rules: a service (or --entrypoint)
 * entrypoint replaces the image's and drops the image's Cmd; a command
 * replaces Cmd. */
static int cc__run_argv(const struct cc_spec_overrides *o, const struct cc_node *svc, json_object *config,
                        struct cc_strv *argv, struct cc_error *err)
{
        struct cc_strv ep = {0}, cmd = {0};
        bool ep_set = false, cmd_set = false;
        if (o->entrypoint) {
                if (cc_shell_split(o->entrypoint, &ep) < 0) {
                        cc_strv_free(&ep);
                        return cc_error_set(err, -EINVAL, "invalid --entrypoint: %s", o->entrypoint);
                }
                ep_set = true;
        } else if (!cc_node_is_null(cc_node_map_get(svc, "entrypoint"))) { /* the loader sets absent ones null */
                cc__node_strv(cc_node_map_get(svc, "entrypoint"), &ep);
                ep_set = true;
        } else {
                cc__json_strv(config, "Entrypoint", &ep);
        }
        if (o->command.n) {
                cc__strv_extend(&cmd, &o->command);
                cmd_set = true;
        } else if (!cc_node_is_null(cc_node_map_get(svc, "command")) && !o->entrypoint) {
                cc__node_strv(cc_node_map_get(svc, "command"), &cmd);
                cmd_set = true;
        }
        if (!cmd_set && !ep_set)
                cc__json_strv(config, "Cmd", &cmd);
        cc__strv_extend(argv, &ep);
        cc__strv_extend(argv, &cmd);
        cc_strv_free(&ep);
        cc_strv_free(&cmd);
        if (argv->n == 0)
                return cc_error_set(err, -EINVAL, "no command specified");
        return 0;
}

static void cc__env_put(struct cc_strv *env, const char *key, const char *val)
{
        size_t klen = strlen(key);
        char *kv = cc_xasprintf("%s=%s", key, val);
        for (size_t i = 0; i < env->n; i++) {
                if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=') {
                        free(env->v[i]);
                        env->v[i] = kv;
                        return;
                }
        }
        cc_strv_push_owned(env, kv);
}

static void cc__env_put_kv(struct cc_strv *env, const char *kv, const struct cc_env *shell)
{
        const char *eq = strchr(kv, '=');
        if (eq) {
                _cleanup_free_ char *k = cc_xstrndup(kv, (size_t) (eq - kv));
                cc__env_put(env, k, eq + 1);
                return;
        }
        /* "-e KEY" takes KEY from the environment, or is dropped. */
        const char *v = shell ? cc_env_get(shell, kv) : NULL;
        if (v)
                cc__env_put(env, kv, v);
}

/* image Env < env_file < environment < -e */
static int cc__run_env(const struct cc_spec_overrides *o, const struct cc_project *p, const struct cc_node *svc,
                       json_object *config, struct cc_strv *env, struct cc_error *err)
{
        struct cc_strv image_env = {0};
        cc__json_strv(config, "Env", &image_env);
        for (size_t i = 0; i < image_env.n; i++)
                cc__env_put_kv(env, image_env.v[i], NULL);
        cc_strv_free(&image_env);

        const struct cc_node *files = cc_node_map_get(svc, "env_file");
        for (size_t i = 0; cc_node_is_seq(files) && i < files->n; i++) {
                const struct cc_node *f = files->items[i];
                const char *path = cc_node_is_map(f) ? cc_node_map_str(f, "path") : f->str;
                bool required = !cc_node_is_map(f) || !cc_node_map_get(f, "required") ||
                                cc__node_true(cc_node_map_get(f, "required"));
                if (!path)
                        continue;
                struct cc_env fe = {0};
                int r = cc_dotenv_load(path, &p->env, &fe, err);
                if (r == -ENOENT && !required) {
                        cc_error_clear(err);
                        cc_env_free(&fe);
                        continue;
                }
                if (r < 0) {
                        cc_env_free(&fe);
                        return r;
                }
                for (size_t k = 0; k < fe.n; k++)
                        if (fe.vals[k])
                                cc__env_put(env, fe.keys[k], fe.vals[k]);
                cc_env_free(&fe);
        }
        const struct cc_node *e = cc_node_map_get(svc, "environment");
        for (size_t i = 0; cc_node_is_map(e) && i < e->n; i++)
                if (!cc_node_is_null(e->items[i]) && cc_node_is_scalar(e->items[i]))
                        cc__env_put(env, cc_node_key(e, i), e->items[i]->str);
        for (size_t i = 0; i < o->env.n; i++)
                cc__env_put_kv(env, o->env.v[i], &p->env);
        return 0;
}

/* The real name of a named volume: top-level `name:`, else <project>_<key>. */
static int cc__volume_name(const char *root, const struct cc_project *p, const char *key, char **out,
                           struct cc_error *err)
{
        const struct cc_node *vols = cc_node_map_get(p->model, "volumes");
        const struct cc_node *v = cc_node_is_map(vols) ? cc_node_map_get(vols, key) : NULL;
        const char *name = cc_node_is_map(v) ? cc_node_map_str(v, "name") : NULL;
        *out = name ? cc_xstrdup(name) : cc_xasprintf("%s_%s", p->name, key);
        if (cc_node_is_map(v) && cc__node_true(cc_node_map_get(v, "external"))) {
                _cleanup_free_ char *dir = cc_xasprintf("%s/volumes/%s/_data", root, *out);
                if (access(dir, F_OK) < 0) {
                        int r = cc_error_set(err, -ENOENT, "external volume \"%s\" not found", *out);
                        free(*out);
                        *out = NULL;
                        return r;
                }
        }
        return 0;
}

static int cc__run_mount_node(const char *root, const struct cc_project *p, const struct cc_node *v, struct cc_container_spec *spec,
                              struct cc_error *err)
{
        const char *type = cc_node_map_str(v, "type");
        const char *source = cc_node_map_str(v, "source");
        const char *target = cc_node_map_str(v, "target");
        bool ro = cc__node_true(cc_node_map_get(v, "read_only"));
        if (!target)
                return cc_error_set(err, -EINVAL, "volume without target");
        if (cc_streq(type, "bind")) {
                const struct cc_node *b = cc_node_map_get(v, "bind");
                struct cc_mount *m = cc_container_spec_add_mount(spec, CC_MOUNT_BIND, source, target, ro);
                /* the model leaves create_host_path out when true, as compose-go prints it */
                const struct cc_node *chp = cc_node_map_get(b, "create_host_path");
                m->create_host_path = cc_node_is_map(b) && (!chp || cc__node_true(chp));
        } else if (cc_streq(type, "volume")) {
                _cleanup_free_ char *name = NULL;
                if (source && *source) {
                        int r = cc__volume_name(root, p, source, &name, err);
                        if (r < 0)
                                return r;
                }
                struct cc_mount *m = cc_container_spec_add_mount(spec, CC_MOUNT_VOLUME, name, target, ro);
                const char *device = source && *source ? cc__volume_bind_device(p, source) : NULL;
                m->device = device ? cc_xstrdup(device) : NULL;
                const struct cc_node *vo = cc_node_map_get(v, "volume");
                m->no_copy = cc_node_is_map(vo) && cc__node_true(cc_node_map_get(vo, "nocopy"));
                const char *sub = cc_node_is_map(vo) ? cc_node_map_str(vo, "subpath") : NULL;
                m->subpath = sub && *sub ? cc_xstrdup(sub) : NULL;
        } else if (cc_streq(type, "tmpfs")) {
                struct cc_mount *m = cc_container_spec_add_mount(spec, CC_MOUNT_TMPFS, NULL, target, ro);
                const struct cc_node *t = cc_node_map_get(v, "tmpfs");
                long long x;
                if (cc_node_is_map(t) && cc__node_ll(cc_node_map_get(t, "size"), &x))
                        m->tmpfs_size = x;
                if (cc_node_is_map(t) && cc__node_ll(cc_node_map_get(t, "mode"), &x))
                        m->tmpfs_mode = (int) x;
        } else {
                return cc_error_set(err, -ENOTSUP, "volume %s: type \"%s\" is not supported", target,
                                    type ? type : "");
        }
        return 0;
}

/* The short `tmpfs:` entries: "/path" or "/path:size=1m,mode=700,exec". */
static int cc__run_tmpfs(const char *entry, struct cc_container_spec *spec, struct cc_error *err)
{
        _cleanup_free_ char *copy = cc_xstrdup(entry);
        char *opts = strchr(copy, ':');
        if (opts)
                *opts++ = '\0';
        struct cc_mount *m = cc_container_spec_add_mount(spec, CC_MOUNT_TMPFS, NULL, copy, false);
        m->tmpfs_noexec = true;
        char *save = NULL;
        for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
                if (cc_startswith(o, "size=")) {
                        if (cc_parse_bytes(o + 5, &m->tmpfs_size) < 0)
                                return cc_error_set(err, -EINVAL, "tmpfs %s: invalid size \"%s\"", copy, o + 5);
                } else if (cc_startswith(o, "mode=")) {
                        m->tmpfs_mode = (int) strtol(o + 5, NULL, 8);
                } else if (cc_streq(o, "ro")) {
                        m->read_only = true;
                } else if (cc_streq(o, "exec")) {
                        m->tmpfs_noexec = false;
                } else if (!cc_streq(o, "rw") && !cc_streq(o, "noexec") && !cc_streq(o, "nosuid") &&
                           !cc_streq(o, "nodev")) {
                        return cc_error_set(err, -EINVAL, "tmpfs %s: unsupported option \"%s\"", copy, o);
                }
        }
        return 0;
}

/* -v SRC:DST[:ro|rw]: a path (absolute, ./ or ../, relative to the
 * project directory) is a bind, anything else a named volume. */
static int cc__run_flag_volume(const char *root, const struct cc_project *p, const char *spec_s, struct cc_container_spec *spec,
                               struct cc_error *err)
{
        _cleanup_free_ char *copy = cc_xstrdup(spec_s);
        char *dst = strchr(copy, ':');
        if (!dst)
                return cc_error_set(err, -EINVAL, "invalid volume specification: \"%s\"", spec_s);
        *dst++ = '\0';
        char *mode = strchr(dst, ':');
        if (mode)
                *mode++ = '\0';
        bool ro = mode && (cc_streq(mode, "ro") || cc_startswith(mode, "ro,") || strstr(mode, ",ro"));
        if (!*copy || !*dst || dst[0] != '/')
                return cc_error_set(err, -EINVAL, "invalid volume specification: \"%s\"", spec_s);
        if (copy[0] == '/' || copy[0] == '.' || copy[0] == '~') {
                _cleanup_free_ char *joined = copy[0] == '/' ? cc_xstrdup(copy) : cc_path_join(p->workdir, copy);
                _cleanup_free_ char *src = cc_path_clean(joined);
                cc_container_spec_add_mount(spec, CC_MOUNT_BIND, src, dst, ro)->create_host_path = true;
                return 0;
        }
        _cleanup_free_ char *name = NULL;
        int r = cc__volume_name(root, p, copy, &name, err);
        if (r < 0)
                return r;
        const char *device = cc__volume_bind_device(p, copy);
        cc_container_spec_add_mount(spec, CC_MOUNT_VOLUME, name, dst, ro)->device = device ? cc_xstrdup(device) : NULL;
        return 0;
}

static int cc__run_mounts(const char *root, const struct cc_spec_overrides *o, const struct cc_project *p, const struct cc_node *svc,
                          struct cc_container_spec *spec, struct cc_error *err)
{
        const struct cc_node *vols = cc_node_map_get(svc, "volumes");
        for (size_t i = 0; cc_node_is_seq(vols) && i < vols->n; i++) {
                if (!cc_node_is_map(vols->items[i]))
                        continue;
                int r = cc__run_mount_node(root, p, vols->items[i], spec, err);
                if (r < 0)
                        return r;
        }
        /* devices: the host's node at target (default: the same path) */
        const struct cc_node *devs = cc_node_map_get(svc, "devices");
        for (size_t i = 0; cc_node_is_seq(devs) && i < devs->n; i++) {
                const char *source = cc_node_map_str(devs->items[i], "source");
                const char *target = cc_node_map_str(devs->items[i], "target");
                if (source)
                        cc_container_spec_add_mount(spec, CC_MOUNT_DEVICE, source, target ? target : source, false);
        }
        struct cc_strv tmpfs = {0};
        cc__node_strv(cc_node_map_get(svc, "tmpfs"), &tmpfs);
        for (size_t i = 0; i < tmpfs.n; i++) {
                int r = cc__run_tmpfs(tmpfs.v[i], spec, err);
                if (r < 0) {
                        cc_strv_free(&tmpfs);
                        return r;
                }
        }
        cc_strv_free(&tmpfs);
        for (size_t i = 0; i < o->volumes.n; i++) {
                int r = cc__run_flag_volume(root, p, o->volumes.v[i], spec, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const struct {
        const char *name;
        int resource;
} cc__ulimit_names[] = {
        {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
        {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK},
        {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},
        {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
        {"as", RLIMIT_AS},
};

static int cc__run_ulimits(const struct cc_node *svc, struct cc_container_spec *spec, struct cc_error *err)
{
        const struct cc_node *u = cc_node_map_get(svc, "ulimits");
        if (!cc_node_is_map(u))
                return 0;
        spec->ulimits = cc_xcalloc(u->n, sizeof(*spec->ulimits));
        for (size_t i = 0; i < u->n; i++) {
                const char *name = cc_node_key(u, i);
                int res = -1;
                for (size_t k = 0; k < CC_ARRAY_SIZE(cc__ulimit_names); k++)
                        if (cc_streq(cc__ulimit_names[k].name, name))
                                res = cc__ulimit_names[k].resource;
                if (res < 0)
                        return cc_error_set(err, -EINVAL, "ulimits: unknown limit \"%s\"", name);
                struct cc_ulimit *l = &spec->ulimits[spec->n_ulimits++];
                l->resource = res;
                const struct cc_node *v = u->items[i];
                if (cc_node_is_map(v)) {
                        if (!cc__node_ll(cc_node_map_get(v, "soft"), &l->soft) ||
                            !cc__node_ll(cc_node_map_get(v, "hard"), &l->hard))
                                return cc_error_set(err, -EINVAL, "ulimits: %s needs soft and hard", name);
                } else if (cc__node_ll(v, &l->soft)) {
                        l->hard = l->soft;
                } else {
                        return cc_error_set(err, -EINVAL, "ulimits: invalid value for %s", name);
                }
        }
        return 0;
}

static void cc__run_cgroup(const struct cc_node *svc, struct cc_container_spec *spec)
{
        struct cc_cgroup_limits *l = &spec->cgroup;
        long long x;
        if (cc__node_ll(cc_node_map_get(svc, "mem_limit"), &x))
                l->memory = x;
        if (cc__node_ll(cc_node_map_get(svc, "memswap_limit"), &x))
                l->memory_swap = x;
        if (cc__node_ll(cc_node_map_get(svc, "mem_reservation"), &x))
                l->memory_reservation = x;
        if (cc__node_ll(cc_node_map_get(svc, "cpu_shares"), &x))
                l->cpu_shares = x;
        if (cc__node_ll(cc_node_map_get(svc, "cpu_quota"), &x))
                l->cpu_quota = x;
        /* -1: the host's, as Docker reads it */
        if (cc__node_ll(cc_node_map_get(svc, "mem_swappiness"), &x) && x != -1) {
                l->has_swappiness = true;
                l->swappiness = x < INT_MIN || x > INT_MAX ? -1 : (int) x;
        }
        l->oom_kill_disable = cc__node_true(cc_node_map_get(svc, "oom_kill_disable"));
        if (cc__node_ll(cc_node_map_get(svc, "cpu_period"), &x))
                l->cpu_period = x;
        if (cc__node_ll(cc_node_map_get(svc, "pids_limit"), &x))
                l->pids = x;
        const char *cpus = cc_node_map_str(svc, "cpus");
        if (cpus)
                l->cpus = strtod(cpus, NULL);
        l->cpuset = cc_node_map_str(svc, "cpuset"); /* the service outlives the spec */
        /* deploy.resources wins, as in docker compose. */
        const struct cc_node *d = cc_node_map_get(svc, "deploy");
        const struct cc_node *r = cc_node_is_map(d) ? cc_node_map_get(d, "resources") : NULL;
        const struct cc_node *lim = cc_node_is_map(r) ? cc_node_map_get(r, "limits") : NULL;
        const struct cc_node *res = cc_node_is_map(r) ? cc_node_map_get(r, "reservations") : NULL;
        if (cc_node_is_map(res) && cc__node_ll(cc_node_map_get(res, "memory"), &x))
                l->memory_reservation = x;
        if (cc_node_is_map(lim)) {
                if (cc__node_ll(cc_node_map_get(lim, "memory"), &x))
                        l->memory = x;
                if (cc__node_ll(cc_node_map_get(lim, "pids"), &x))
                        l->pids = x;
                const char *c = cc_node_map_str(lim, "cpus");
                if (c)
                        l->cpus = strtod(c, NULL);
        }
}

bool cc_service_logs_none(const struct cc_node *svc)
{
        return cc_streq(cc_node_map_str(cc_node_map_get(svc, "logging"), "driver"), "none");
}

int cc_signal_from_name(const char *s)
{
        if (!s)
                return 0;
        if (*s >= '0' && *s <= '9')
                return atoi(s);
        const char *bare = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        for (int sig = 1; sig < NSIG; sig++) {
                const char *abbrev = sigabbrev_np(sig);
                if (abbrev && strcasecmp(abbrev, bare) == 0)
                        return sig;
        }
        return -1;
}

static int cc__run_security(const char *root, const struct cc_spec_overrides *o, const struct cc_node *svc, struct cc_container_spec *spec,
                            struct cc_seccomp **seccomp, struct cc_error *err)
{
        struct cc_strv add = {0}, drop = {0}, secopt = {0};
        cc__node_strv(cc_node_map_get(svc, "cap_add"), &add);
        cc__node_strv(cc_node_map_get(svc, "cap_drop"), &drop);
        cc__strv_extend(&add, &o->cap_add);
        cc__strv_extend(&drop, &o->cap_drop);
        cc__node_strv(cc_node_map_get(svc, "security_opt"), &secopt);
        spec->privileged = cc__node_true(cc_node_map_get(svc, "privileged"));
        int r = cc_caps_compute(&add, &drop, spec->privileged, &spec->caps, err);
        bool unconfined = spec->privileged;
        for (size_t i = 0; r >= 0 && i < secopt.n; i++) {
                const char *s = secopt.v[i];
                if (cc_streq(s, "no-new-privileges") || cc_streq(s, "no-new-privileges:true") ||
                    cc_streq(s, "no-new-privileges=true"))
                        spec->no_new_privs = true;
                else if (cc_streq(s, "seccomp:unconfined") || cc_streq(s, "seccomp=unconfined"))
                        unconfined = true;
                else if (!cc_startswith(s, "no-new-privileges") && !cc_startswith(s, "label") &&
                         !cc_startswith(s, "apparmor"))
                        r = cc_error_set(err, -ENOTSUP, "security_opt \"%s\" is not supported", s);
        }
        if (r >= 0 && !unconfined) {
                /* Compiled once per capability set, then cached on disk. */
                r = cc_container_seccomp_default(root, spec->caps, seccomp, err);
                spec->seccomp = *seccomp;
        }
        cc_strv_free(&add);
        cc_strv_free(&drop);
        cc_strv_free(&secopt);
        return r;
}

static int cc__run_misc(const struct cc_spec_overrides *o, const struct cc_node *svc, json_object *config,
                        struct cc_container_spec *spec, struct cc_error *err)
{
        const char *user = o->user ? o->user : cc_node_map_str(svc, "user");
        if (!user)
                user = cc__json_str(config, "User");
        spec->user = user ? cc_xstrdup(user) : NULL;
        const char *wd = o->workdir ? o->workdir : cc_node_map_str(svc, "working_dir");
        if (!wd)
                wd = cc__json_str(config, "WorkingDir");
        spec->cwd = wd ? cc_xstrdup(wd) : NULL;
        cc__node_strv(cc_node_map_get(svc, "group_add"), &spec->group_add);

        const char *hn = cc_node_map_str(svc, "hostname");
        spec->hostname = hn ? cc_xstrdup(hn) : NULL;
        const char *dn = cc_node_map_str(svc, "domainname");
        spec->domainname = dn ? cc_xstrdup(dn) : NULL;
        spec->host_pid = cc_streq(cc_node_map_str(svc, "pid"), "host");
        spec->host_ipc = cc_streq(cc_node_map_str(svc, "ipc"), "host");
        spec->host_uts = cc_streq(cc_node_map_str(svc, "uts"), "host");
        spec->host_cgroupns = cc_streq(cc_node_map_str(svc, "cgroup"), "host");
        spec->read_only = cc__node_true(cc_node_map_get(svc, "read_only"));
        spec->init = cc__node_true(cc_node_map_get(svc, "init"));
        long long x;
        if (cc__node_ll(cc_node_map_get(svc, "shm_size"), &x))
                spec->shm_size = x;
        if (cc__node_ll(cc_node_map_get(svc, "oom_score_adj"), &x))
                spec->oom_score_adj = (int) x; /* the schema keeps it in -1000..1000 */

        const char *nm = cc_node_map_str(svc, "network_mode");
        if (!nm || cc_streq(nm, "bridge") || cc_streq(nm, "default"))
                spec->net = CC_NET_PRIVATE;
        else if (cc_streq(nm, "host"))
                spec->net = CC_NET_HOST;
        else if (cc_streq(nm, "none"))
                spec->net = CC_NET_NONE;
        else if (cc_startswith(nm, "service:") || cc_startswith(nm, "container:")) {
                spec->net = CC_NET_PRIVATE;
                spec->net_join_pid = -1; /* the caller resolves it: cc_service_net_join */
        }
        else
                return cc_error_set(err, -ENOTSUP, "network_mode \"%s\" is not supported yet", nm);

        const char *ss = cc_node_map_str(svc, "stop_signal");
        if (!ss)
                ss = cc__json_str(config, "StopSignal");
        if (ss && (spec->stop_signal = cc_signal_from_name(ss)) <= 0)
                return cc_error_set(err, -EINVAL, "invalid stop_signal \"%s\"", ss);
        const char *gp = cc_node_map_str(svc, "stop_grace_period");
        long long ns;
        if (gp && cc_parse_duration(gp, &ns) == 0)
                spec->stop_grace_ms = ns / 1000000;

        const struct cc_node *sc = cc_node_map_get(svc, "sysctls");
        for (size_t i = 0; cc_node_is_map(sc) && i < sc->n; i++)
                if (cc_node_is_scalar(sc->items[i]))
                        cc_strv_push_owned(&spec->sysctls,
                                           cc_xasprintf("%s=%s", cc_node_key(sc, i), sc->items[i]->str));
        cc__node_strv(cc_node_map_get(svc, "dns"), &spec->dns);
        cc__node_strv(cc_node_map_get(svc, "dns_search"), &spec->dns_search);
        cc__node_strv(cc_node_map_get(svc, "dns_opt"), &spec->dns_opt);
        const struct cc_node *eh = cc_node_map_get(svc, "extra_hosts");
        for (size_t i = 0; eh && i < eh->n; i++) {
                if (cc_node_is_seq(eh) && eh->items[i]->str)
                        cc_strv_push(&spec->extra_hosts, eh->items[i]->str);
                else if (cc_node_is_map(eh) && eh->items[i]->str)
                        cc_strv_push_owned(&spec->extra_hosts, cc_xasprintf("%s=%s", cc_node_key(eh, i), eh->items[i]->str));
        }
        return 0;
}

/* ---- The spec ---- */

static const struct cc_spec_overrides cc__no_overrides;

int cc_service_spec_build(const char *root, const struct cc_project *p, const char *service, const char *id,
                          const char *name, const struct cc_image *img, const struct cc_spec_overrides *o,
                          struct cc_seccomp **seccomp, struct cc_container_spec *spec, struct cc_error *err)
{
        const struct cc_node *svc = cc_node_map_get(cc_project_services(p), service);
        if (!cc_node_is_map(svc))
                return cc_error_set(err, -ENOENT, "no such service: %s", service);
        if (!o)
                o = &cc__no_overrides;
        spec->root = cc_xstrdup(root);
        spec->project = cc_xstrdup(p->name);
        spec->id = cc_xstrdup(id);
        spec->name = cc_xstrdup(name);
        cc__strv_extend(&spec->layer_dirs, &img->layer_dirs);
        int r = cc__run_argv(o, svc, img->config, &spec->argv, err);
        if (r >= 0)
                r = cc__run_env(o, p, svc, img->config, &spec->env, err);
        if (r >= 0)
                r = cc__run_misc(o, svc, img->config, spec, err);
        if (r >= 0)
                r = cc__run_mounts(root, o, p, svc, spec, err);
        if (r >= 0)
                r = cc_service_spec_files(p, service, spec, err);
        if (r >= 0)
                r = cc__run_ulimits(svc, spec, err);
        if (r >= 0)
                r = cc__run_security(root, o, svc, spec, seccomp, err);
        cc__run_cgroup(svc, spec);
        return r;
}

char *cc_service_command_line(const struct cc_node *svc, const struct cc_image *img)
{
        struct cc_strv argv = {0};
        struct cc_error err = {0};
        if (cc__run_argv(&cc__no_overrides, svc, img ? img->config : NULL, &argv, &err) < 0) {
                cc_error_clear(&err);
                return cc_xstrdup("");
        }
        struct cc_buf b = {0};
        for (size_t i = 0; i < argv.n; i++)
                cc_buf_printf(&b, "%s%s", i ? " " : "", argv.v[i]);
        cc_strv_free(&argv);
        return cc_buf_steal(&b);
}

/* The container of st that volumes_from names: service svc's first (by
 * number, not a one-off), or the one named or with the id `name`. */
static const struct cc_ctr_state *cc__vf_source(const struct cc_state *st, const char *svc, const char *name)
{
        const struct cc_ctr_state *best = NULL;
        for (size_t i = 0; st && i < st->n_ctrs; i++) {
                const struct cc_ctr_state *c = &st->ctrs[i];
                if (svc && (c->one_off || !cc_streq(c->service, svc)))
                        continue;
                if (name && !cc_streq(c->name, name) && !cc_streq(c->id, name))
                        continue;
                if (!best || c->number < best->number)
                        best = c;
        }
        return best;
}

static bool cc__spec_has_target(const struct cc_container_spec *spec, const char *target)
{
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (cc_streq(spec->mounts[i].target, target))
                        return true;
        return false;
}

/* The bind and volume mounts of source container c (its service's
 * definition), into spec. */
static int cc__vf_copy(const char *root, const struct cc_project *p, const struct cc_ctr_state *c, const char *mode,
                       struct cc_container_spec *spec, struct cc_error *err)
{
        const struct cc_node *def = cc_node_map_get(cc_project_services(p), c->service);
        const struct cc_node *vols = cc_node_map_get(def, "volumes");
        for (size_t i = 0; cc_node_is_seq(vols) && i < vols->n; i++) {
                const struct cc_node *v = vols->items[i];
                const char *type = cc_node_map_str(v, "type"), *source = cc_node_map_str(v, "source");
                const char *target = cc_node_map_str(v, "target");
                if (!target || cc__spec_has_target(spec, target) || (!cc_streq(type, "bind") && !cc_streq(type, "volume")))
                        continue;
                bool ro = mode ? cc_streq(mode, "ro") : cc__node_true(cc_node_map_get(v, "read_only"));
                if (cc_streq(type, "bind")) {
                        cc_container_spec_add_mount(spec, CC_MOUNT_BIND, source, target, ro);
                        continue;
                }
                _cleanup_free_ char *name = NULL;
                const char *device = NULL;
                if (source && *source) {
                        int r = cc__volume_name(root, p, source, &name, err);
                        if (r < 0)
                                return r;
                        device = cc__volume_bind_device(p, source);
                } else {
                        name = cc_container_anon_volume(c->id, target); /* the source's own */
                }
                cc_container_spec_add_mount(spec, CC_MOUNT_VOLUME, name, target, ro)->device =
                        device ? cc_xstrdup(device) : NULL;
        }
        return 0;
}

int cc_service_volumes_from(const char *root, const struct cc_project *p, const struct cc_state *st,
                            const char *service, struct cc_container_spec *spec, struct cc_error *err)
{
        const struct cc_node *svc = cc_node_map_get(cc_project_services(p), service);
        const struct cc_node *vf = cc_node_map_get(svc, "volumes_from");
        for (size_t i = 0; cc_node_is_seq(vf) && i < vf->n; i++) {
                if (!cc_node_is_scalar(vf->items[i]))
                        continue;
                _cleanup_free_ char *entry = cc_xstrdup(vf->items[i]->str);
                bool container = cc_startswith(entry, "container:");
                char *ref = entry + (container ? strlen("container:")
                                               : cc_startswith(entry, "service:") ? strlen("service:") : 0);
                char *mode = strchr(ref, ':');
                if (mode)
                        *mode++ = '\0';
                if (mode && !cc_streq(mode, "ro") && !cc_streq(mode, "rw"))
                        return cc_error_set(err, -EINVAL, "service %s: volumes_from \"%s\": invalid mode \"%s\"",
                                            service, vf->items[i]->str, mode);
                const struct cc_ctr_state *c = cc__vf_source(st, container ? NULL : ref, container ? ref : NULL);
                if (!c)
                        return cc_error_set(err, -ENOENT, "service %s: volumes_from \"%s\": no such container",
                                            service, vf->items[i]->str);
                int r = cc__vf_copy(root, p, c, mode, spec, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The first running container among st's: of service `svc` (not one-off),
 * or named / with the id `name`. */
static pid_t cc__join_find(const struct cc_state *st, const char *svc, const char *name)
{
        const struct cc_ctr_state *best = NULL;
        for (size_t i = 0; st && i < st->n_ctrs; i++) {
                const struct cc_ctr_state *c = &st->ctrs[i];
                if (svc && (c->one_off || !c->service || strcmp(c->service, svc) != 0))
                        continue;
                if (name && !cc_streq(c->name, name) && !cc_streq(c->id, name))
                        continue;
                if ((c->status != CC_CTR_RUNNING && c->status != CC_CTR_PAUSED) || !cc_proc_alive(c->pid, c->pid_start))
                        continue;
                if (!best || c->number < best->number)
                        best = c;
        }
        return best ? best->pid : 0;
}

int cc_service_net_join(const char *runtime_dir, const struct cc_state *st, const char *service,
                        const struct cc_node *svc, pid_t *pid, struct cc_error *err)
{
        const char *nm = cc_node_map_str(svc, "network_mode");
        *pid = 0;
        if (!nm)
                return 0;
        if (cc_startswith(nm, "service:")) {
                const char *target = nm + strlen("service:");
                if ((*pid = cc__join_find(st, target, NULL)) > 0)
                        return 0;
                return cc_error_set(err, -ENOENT,
                                    "service %s: network_mode \"%s\": service %s has no running container", service,
                                    nm, target);
        }
        if (!cc_startswith(nm, "container:"))
                return 0;
        const char *target = nm + strlen("container:");
        if ((*pid = cc__join_find(st, NULL, target)) > 0)
                return 0;
        /* any container ccompose runs: the other projects of the runtime dir */
        struct cc_strv projects = {0};
        if (cc_state_list_projects(runtime_dir, &projects) >= 0)
                for (size_t i = 0; i < projects.n && *pid <= 0; i++) {
                        struct cc_state *other = NULL;
                        struct cc_error e = {0};
                        if (st && cc_streq(projects.v[i], st->project))
                                continue;
                        if (cc_state_load(runtime_dir, projects.v[i], &other, &e) == 0)
                                *pid = cc__join_find(other, NULL, target);
                        cc_error_clear(&e);
                        cc_state_free(other);
                }
        cc_strv_free(&projects);
        if (*pid > 0)
                return 0;
        return cc_error_set(err, -ENOENT, "service %s: network_mode \"%s\": no running container %s", service, nm,
                            target);
}
