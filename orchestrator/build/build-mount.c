/* RUN's flags: --mount=type=cache|bind|tmpfs|secret|ssh and --network, as
 * BuildKit reads them, turned into the mounts and files of the step's
 * container and into what they add to the step's cache key. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "build-copy.h"
#include "build-stage.h"

/* One --mount value: comma-separated key=value fields (bare keys: "true"). */
struct mount_spec {
        struct cc_strv keys, vals;
};

static const char *spec_get(const struct mount_spec *m, const char *key)
{
        for (size_t i = 0; i < m->keys.n; i++)
                if (cc_streq(m->keys.v[i], key))
                        return m->vals.v[i];
        return NULL;
}

static bool spec_bool(const struct mount_spec *m, const char *key)
{
        const char *v = spec_get(m, key);
        return v && (cc_streq(v, "true") || cc_streq(v, "1"));
}

static int spec_parse(struct cc_builder *b, const struct cc_env *vars, const char *text, struct mount_spec *m,
                      struct cc_error *err)
{
        _cleanup_free_ char *copy = cc_xstrdup(text);
        char *save = NULL;
        for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(f, '=');
                if (eq)
                        *eq = '\0';
                char *val = NULL;
                int r = cc_df_expand(eq ? eq + 1 : "true", b->df.escape, vars, &val, err);
                if (r < 0)
                        return r;
                cc_strv_push(&m->keys, f);
                cc_strv_push_owned(&m->vals, val);
        }
        return 0;
}

static void spec_free(struct mount_spec *m)
{
        cc_strv_free(&m->keys);
        cc_strv_free(&m->vals);
}

static struct cc_mount *add_mount(struct cc_run_mounts *rm, enum cc_mount_type type, const char *source,
                                  const char *target, bool ro)
{
        rm->mounts = cc_xrealloc(rm->mounts, (rm->n + 1) * sizeof(*rm->mounts));
        struct cc_mount *m = &rm->mounts[rm->n++];
        *m = (struct cc_mount){.type = type, .source = source ? cc_xstrdup(source) : NULL,
                               .target = cc_path_clean(target), .read_only = ro, .tmpfs_mode = -1};
        return m;
}

static unsigned long spec_num(const struct mount_spec *m, const char *key, int base, unsigned long dflt)
{
        const char *v = spec_get(m, key);
        return v ? strtoul(v, NULL, base) : dflt;
}

/* type=cache: a directory of the store's that outlives builds, by id
 * (default: the target). */
static int cache_mount(struct cc_builder *b, const struct mount_spec *m, const char *target, struct cc_run_mounts *rm,
                       struct cc_error *err)
{
        if (spec_get(m, "from"))
                return cc_error_set(err, -ENOTSUP, "a cache mount from a stage or image is not supported");
        const char *id = spec_get(m, "id") ? spec_get(m, "id") : target;
        char digest[CC_DIGEST_LEN + 1];
        cc_sha256_digest(id, strlen(id), digest);
        _cleanup_free_ char *dir = cc_xasprintf("%s/build-cache-mounts/%s", b->o->root, cc_digest_hex(digest));
        struct stat st;
        if (stat(dir, &st) < 0) {
                if (cc_mkdir_p(dir, 0755) < 0)
                        return cc_error_setsys(err, -errno, "create the cache mount %s", dir);
                if (chmod(dir, (mode_t) spec_num(m, "mode", 8, 0755)) < 0 ||
                    chown(dir, (uid_t) spec_num(m, "uid", 10, 0), (gid_t) spec_num(m, "gid", 10, 0)) < 0)
                        return cc_error_setsys(err, -errno, "set up the cache mount %s", dir);
        }
        add_mount(rm, CC_MOUNT_BIND, dir, target, false);
        return 0;
}

/* type=bind: a path of the context (read-only) or of a stage. */
static int bind_mount(struct cc_builder *b, struct cc_stage *st, const struct mount_spec *m, const char *target,
                      struct cc_run_mounts *rm, struct cc_error *err)
{
        if (spec_bool(m, "rw") || spec_bool(m, "readwrite"))
                return cc_error_set(err, -ENOTSUP, "rw bind mounts are not supported");
        _cleanup_free_ char *src = cc_path_clean(spec_get(m, "source") ? spec_get(m, "source")
                                                 : spec_get(m, "src") ? spec_get(m, "src") : ".");
        const char *rel = src;
        while (*rel == '/')
                rel++;
        if (cc_streq(rel, "..") || cc_startswith(rel, "../"))
                return cc_error_set(err, -EINVAL, "bind source %s is outside of the build context", src);
        const char *from = spec_get(m, "from");
        const struct cc_build_context *nc = from ? cc_builder_context(b, from) : NULL;
        const struct cc_stage *fs = from ? cc_builder_find_stage(b, from, (size_t) (st - b->stages)) : NULL;
        _cleanup_free_ char *root = NULL;
        if (from && !fs && !(nc && nc->dir) && !(fs = cc_builder_image_stage(b, nc ? nc->image : from, err)))
                return -ENOENT;
        if (fs) {
                bool mounted;
                int r = cc_stage_root(b, fs, &root, &mounted, err);
                if (r < 0)
                        return r;
                if (mounted)
                        cc_strv_push(&rm->unmount, root);
                cc_buf_printf(&rm->key, "BIND%c%s%c%s%c", 0, fs->key, 0, rel, 0);
        } else {
                /* the content of what is bound (of the context less .dockerignore, or
                 * of a named context's directory), as a COPY of it: with ignore
                 * patterns, into a tree of the build's (what the step sees) */
                const struct cc_dockerignore *ignore = !nc && b->ignore.n ? &b->ignore : NULL;
                _cleanup_free_ char *tree = ignore ? cc_path_join(b->work, "bind-XXXXXX") : NULL;
                int tfd = -1;
                if (tree && (!mkdtemp(tree) || (tfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0))
                        return cc_error_setsys(err, -errno, "create a directory in %s", b->work);
                struct cc_strv srcs = {0};
                cc_strv_push(&srcs, *rel ? rel : ".");
                struct cc_build_copy c = {.srcfd = nc ? nc->fd : b->ctxfd, .srcs = &srcs, .dest = "/bind/",
                                          .ignore = ignore};
                char digest[CC_DIGEST_LEN + 1];
                int r = cc_build_copy_run(&c, tfd, digest, err);
                cc_strv_free(&srcs);
                if (tfd >= 0)
                        close(tfd);
                if (r < 0)
                        return r;
                cc_buf_printf(&rm->key, "BIND%c%s%c", 0, digest, 0);
                if (tree) {
                        root = cc_path_join(tree, "bind");
                        rel = "";
                } else {
                        root = cc_xstrdup(nc ? nc->dir : b->o->context);
                }
        }
        _cleanup_free_ char *path = *rel ? cc_path_join(root, rel) : cc_xstrdup(root);
        /* a symlink on the way must not lead the mount out of the tree */
        char real[PATH_MAX], real_root[PATH_MAX];
        if (!realpath(path, real) || !realpath(root, real_root))
                return cc_error_setsys(err, -errno, "bind source %s", *rel ? rel : ".");
        size_t n = strlen(real_root);
        if (strncmp(real, real_root, n) != 0 || (real[n] && real[n] != '/'))
                return cc_error_set(err, -EINVAL, "bind source %s leads out of the build context", rel);
        add_mount(rm, CC_MOUNT_BIND, real, target, true);
        return 0;
}

/* type=secret: the secret's content as a file (never in a layer) or, with
 * env=, in the step's environment. */
static int secret_mount(struct cc_builder *b, const struct mount_spec *m, struct cc_run_mounts *rm,
                        struct cc_error *err)
{
        const char *id = spec_get(m, "id"), *target = spec_get(m, "target") ? spec_get(m, "target")
                                                                              : spec_get(m, "dst");
        if (!id && target)
                id = strrchr(target, '/') + 1;
        if (!id || !*id)
                return cc_error_set(err, -EINVAL, "a secret mount needs an id");
        const struct cc_build_secret *s = NULL;
        for (size_t i = 0; i < b->o->nsecrets && !s; i++)
                if (cc_streq(b->o->secrets[i].id, id))
                        s = &b->o->secrets[i];
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (s && s->file) {
                int r = cc_read_file(s->file, &data, &len);
                if (r < 0)
                        return cc_error_setsys(err, r, "secret %s: read %s", id, s->file);
        } else if (s && s->env && getenv(s->env)) {
                data = cc_xstrdup(getenv(s->env));
                len = strlen(data);
        } else if (s && !s->file && !s->env && getenv(id)) {
                data = cc_xstrdup(getenv(id));
                len = strlen(data);
        }
        if (!data) {
                if (spec_bool(m, "required"))
                        return cc_error_set(err, -ENOENT, "secret %s: not provided", id);
                return 0;
        }
        if (spec_get(m, "env")) {
                cc_strv_push_owned(&rm->env, cc_xasprintf("%s=%s", spec_get(m, "env"), data));
                if (!target)
                        return 0;
        }
        _cleanup_free_ char *dflt = cc_xasprintf("/run/secrets/%s", id);
        rm->files = cc_xrealloc(rm->files, (rm->nfiles + 1) * sizeof(*rm->files));
        rm->files[rm->nfiles++] = (struct cc_file_mount){
                .content = cc_steal(&data), .len = len, .target = cc_path_clean(target ? target : dflt),
                .uid = (uid_t) spec_num(m, "uid", 10, 0), .gid = (gid_t) spec_num(m, "gid", 10, 0),
                .mode = (mode_t) spec_num(m, "mode", 8, 0400)};
        return 0;
}

int cc_build_ssh_check(const char *v, struct cc_error *err)
{
        const char *eq = strchr(v, '=');
        if (!*v || eq == v)
                return cc_error_set(err, -EINVAL, "invalid ssh \"%s\": default|<id>[=<socket>] is needed", v);
        if (!eq && !(getenv("SSH_AUTH_SOCK") && *getenv("SSH_AUTH_SOCK")))
                return cc_error_set(err, -EINVAL, "ssh %s: invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set",
                                    v);
        return 0;
}

/* The agent socket the build forwards as ssh id (--ssh ID=SOCKET, a bare
 * ID: $SSH_AUTH_SOCK), or NULL. */
static const char *ssh_socket(const struct cc_builder *b, const char *id)
{
        size_t n = strlen(id);
        for (size_t i = 0; b->o->ssh && i < b->o->ssh->n; i++) {
                const char *v = b->o->ssh->v[i];
                if (strncmp(v, id, n) == 0 && v[n] == '=')
                        return v + n + 1;
                if (cc_streq(v, id))
                        return getenv("SSH_AUTH_SOCK");
        }
        return NULL;
}

/* type=ssh: the agent socket forwarded as id (default "default") bound at
 * the target (default /run/buildkit/ssh_agent.N), SSH_AUTH_SOCK naming it;
 * a mount the build forwards nothing for is left out (required=true: an
 * error). The mount point goes with the step (build-run.c). */
static int ssh_mount(struct cc_builder *b, const struct mount_spec *m, const char *target, struct cc_run_mounts *rm,
                     struct cc_error *err)
{
        const char *id = spec_get(m, "id") ? spec_get(m, "id") : "default";
        const char *sock = ssh_socket(b, id);
        if (!sock || !*sock) {
                if (spec_bool(m, "required"))
                        return cc_error_set(err, -ENOENT, "no SSH key \"%s\" forwarded from the client", id);
                return 0;
        }
        struct stat st;
        if (stat(sock, &st) < 0)
                return cc_error_setsys(err, -errno, "ssh %s: %s", id, sock);
        if (!S_ISSOCK(st.st_mode))
                return cc_error_set(err, -ENOTSUP,
                                    "ssh %s: %s is not an agent socket (keys are not read: load them into ssh-agent "
                                    "and forward its socket)",
                                    id, sock);
        _cleanup_free_ char *dflt = NULL;
        if (!target) {
                size_t nssh = 0;
                for (size_t i = 0; i < rm->n; i++)
                        nssh += cc_startswith(rm->mounts[i].target, "/run/buildkit/ssh_agent.");
                target = dflt = cc_xasprintf("/run/buildkit/ssh_agent.%zu", nssh);
        }
        add_mount(rm, CC_MOUNT_BIND, sock, target, false);
        bool set = false;
        for (size_t i = 0; i < rm->env.n && !set; i++)
                set = cc_startswith(rm->env.v[i], "SSH_AUTH_SOCK=");
        if (!set)
                cc_strv_push_owned(&rm->env, cc_xasprintf("SSH_AUTH_SOCK=%s", rm->mounts[rm->n - 1].target));
        return 0;
}

static int one_mount(struct cc_builder *b, struct cc_stage *st, const struct mount_spec *m, struct cc_run_mounts *rm,
                     struct cc_error *err)
{
        const char *type = spec_get(m, "type") ? spec_get(m, "type") : "bind";
        if (cc_streq(type, "secret"))
                return secret_mount(b, m, rm, err);
        const char *target = spec_get(m, "target") ? spec_get(m, "target")
                             : spec_get(m, "dst")  ? spec_get(m, "dst")
                                                   : spec_get(m, "destination");
        if (cc_streq(type, "ssh"))
                return ssh_mount(b, m, target && *target ? target : NULL, rm, err);
        if (!target || !*target)
                return cc_error_set(err, -EINVAL, "mount type=%s needs a target", type);
        _cleanup_free_ char *abs = NULL;
        if (target[0] != '/') {
                json_object *wd = NULL;
                json_object_object_get_ex(st->config, "WorkingDir", &wd);
                abs = cc_path_join(wd && json_object_get_string(wd)[0] ? json_object_get_string(wd) : "/", target);
                target = abs;
        }
        if (cc_streq(type, "cache"))
                return cache_mount(b, m, target, rm, err);
        if (cc_streq(type, "bind"))
                return bind_mount(b, st, m, target, rm, err);
        if (cc_streq(type, "tmpfs")) {
                struct cc_mount *t = add_mount(rm, CC_MOUNT_TMPFS, NULL, target, false);
                t->tmpfs_size = spec_get(m, "size") ? strtoll(spec_get(m, "size"), NULL, 10) : 0;
                return 0;
        }
        return cc_error_set(err, -EINVAL, "unsupported mount type \"%s\"", type);
}

int cc_run_mounts_parse(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                        struct cc_run_mounts *rm, struct cc_error *err)
{
        const char *net = b->o->network;
        int r = 0;
        struct cc_env vars = {0};
        cc_stage_vars(st, &vars);
        for (size_t f = 0; r == 0 && f < in->flags.n; f++) {
                const char *v = in->flags.v[f];
                if (cc_startswith(v, "--network=")) {
                        net = v + 10;
                        if (!cc_streq(net, "default") && !cc_streq(net, "none") && !cc_streq(net, "host"))
                                r = cc_error_set(err, -EINVAL, "invalid network mode \"%s\": use default, none or host",
                                                 net);
                } else if (cc_startswith(v, "--mount=")) {
                        struct mount_spec m = {0};
                        r = spec_parse(b, &vars, v + 8, &m, err);
                        if (r == 0)
                                r = one_mount(b, st, &m, rm, err);
                        spec_free(&m);
                } else {
                        r = cc_error_set(err, -EINVAL, "unknown flag: %s", v);
                }
        }
        cc_env_free(&vars);
        rm->net_host = net && cc_streq(net, "host");
        return r < 0 ? cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err)) : 0;
}

void cc_run_mounts_free(struct cc_run_mounts *rm)
{
        for (size_t i = 0; i < rm->n; i++) {
                free(rm->mounts[i].source);
                free(rm->mounts[i].target);
        }
        free(rm->mounts);
        for (size_t i = 0; i < rm->nfiles; i++) {
                explicit_bzero(rm->files[i].content, rm->files[i].len);
                free(rm->files[i].content);
                free(rm->files[i].target);
        }
        free(rm->files);
        for (size_t i = 0; i < rm->unmount.n; i++) {
                umount2(rm->unmount.v[i], MNT_DETACH);
                rmdir(rm->unmount.v[i]);
        }
        cc_strv_free(&rm->unmount);
        for (size_t i = 0; i < rm->env.n; i++)
                explicit_bzero(rm->env.v[i], strlen(rm->env.v[i]));
        cc_strv_free(&rm->env);
        cc_buf_free(&rm->key);
        memset(rm, 0, sizeof(*rm));
}
