/* What each Dockerfile instruction (after FROM) does to a build stage:
 * RUN and COPY/ADD make layers, the others change the image config. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "build-copy.h"
#include "build-run.h"
#include "build-stage.h"
#include "image-store.h"

/* The words of in->rest (or its JSON form), each expanded. */
static int expand_words(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                        struct cc_strv *out, struct cc_error *err)
{
        if (in->json) {
                for (size_t i = 0; i < in->json_args.n; i++)
                        cc_strv_push(out, in->json_args.v[i]);
                return 0;
        }
        struct cc_env vars = {0};
        cc_stage_vars(st, &vars);
        struct cc_strv words = {0};
        cc_df_split(in->rest, b->df.escape, &words);
        int r = 0;
        for (size_t i = 0; r == 0 && i < words.n; i++) {
                char *w = NULL;
                r = cc_df_expand(words.v[i], b->df.escape, &vars, &w, err);
                if (r >= 0) {
                        r = 0;
                        cc_strv_push_owned(out, w);
                }
        }
        cc_strv_free(&words);
        cc_env_free(&vars);
        return r;
}

static char *join(const struct cc_strv *v, size_t from, size_t to)
{
        struct cc_buf buf = {0};
        for (size_t i = from; i < to; i++)
                cc_buf_printf(&buf, "%s%s", i > from ? " " : "", v->v[i]);
        return cc_buf_steal(&buf);
}

static const char *config_str(json_object *config, const char *key)
{
        json_object *v;
        if (json_object_object_get_ex(config, key, &v) && json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return NULL;
}

static json_object *strv_json(const struct cc_strv *v)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

/* The command of RUN, CMD, ENTRYPOINT: the JSON form, or SHELL + text. */
/* A shell-form RUN with here-documents: "RUN <<EOF" alone runs the
 * document as the script; otherwise the shell gets the line and the
 * documents, as they were written. */
static char *heredoc_script(const struct cc_df_instr *in)
{
        const char *r = in->rest;
        if (in->nheredocs == 1 && cc_startswith(r, "<<")) {
                r += 2 + (r[2] == '-');
                if (*r == '"' || *r == '\'')
                        r++;
                size_t len = strlen(in->heredocs[0].name);
                if (strncmp(r, in->heredocs[0].name, len) == 0 &&
                    (!r[len] || ((r[len] == '"' || r[len] == '\'') && !r[len + 1])))
                        return cc_xstrdup(in->heredocs[0].body);
        }
        struct cc_buf b = {0};
        cc_buf_printf(&b, "%s\n", in->rest);
        for (size_t i = 0; i < in->nheredocs; i++)
                cc_buf_printf(&b, "%s%s\n", in->heredocs[i].body, in->heredocs[i].name);
        return cc_buf_steal(&b);
}

static void command_argv(const struct cc_stage *st, const struct cc_df_instr *in, struct cc_strv *argv)
{
        const struct cc_strv *src = in->json ? &in->json_args : &st->shell;
        for (size_t i = 0; i < src->n; i++)
                cc_strv_push(argv, src->v[i]);
        if (!in->json)
                cc_strv_push_owned(argv, in->nheredocs ? heredoc_script(in) : cc_xstrdup(in->rest));
}

/* ---- RUN ---- */

/* Print what the step (vertex no) wrote (fd, from its start), "#N "
 * before each line; only the last `tail` lines when tail > 0. */
static void print_output(FILE *f, int fd, size_t tail, unsigned no, const char *prefix)
{
        _cleanup_free_ char *data = NULL;
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || !f)
                return;
        data = cc_xmalloc((size_t) size + 1);
        ssize_t n = pread(fd, data, (size_t) size, 0);
        if (n <= 0)
                return;
        data[n] = '\0';
        if (n && data[n - 1] == '\n')
                data[n - 1] = '\0';
        const char *start = data;
        for (size_t lines = 0, i = (size_t) n; tail && i-- > 0;)
                if (data[i] == '\n' && ++lines == tail) {
                        start = data + i + 1;
                        break;
                }
        for (const char *p = start; p;) {
                const char *nl = strchr(p, '\n');
                if (prefix)
                        fprintf(f, "%s", prefix);
                else
                        fprintf(f, "#%u ", no);
                fprintf(f, "%.*s\n", (int) (nl ? nl - p : (long) strlen(p)), p);
                p = nl ? nl + 1 : NULL;
        }
}

/* A failed step as BuildKit shows it: its error, the end of its output
 * and the Dockerfile line. */
static int step_failed(struct cc_builder *b, const struct cc_df_instr *in, const char *label, unsigned no, int outfd,
                       struct cc_error *err)
{
        FILE *f = b->out ? b->out : stderr;
        if (cc_builder_live(b)) {
                struct cc_vertex v = {.no = no};
                cc_builder_vertex_end(b, &v, CC_VERTEX_ERROR);
                cc_builder_view_close(b);
        } else {
                fprintf(f, "#%u ERROR: %s\n", no, cc_error_msg(err));
        }
        fprintf(f, "------\n > %s %s:\n", label, in->text);
        if (outfd >= 0)
                print_output(f, outfd, 10, no, "");
        fprintf(f, "------\n%s:%d\n--------------------\n%4d | >>> %s\n--------------------\n", b->df.path,
                in->line, in->line, in->text);
        fflush(f);
        return err->code ? err->code : -EINVAL;
}

static int run_env(struct cc_stage *st, struct cc_strv *env)
{
        struct cc_env vars = {0};
        cc_stage_vars(st, &vars);
        for (size_t i = 0; i < vars.n; i++)
                if (vars.vals[i])
                        cc_strv_push_owned(env, cc_xasprintf("%s=%s", vars.keys[i], vars.vals[i]));
        cc_env_free(&vars);
        return 0;
}

/* The cache key of a RUN step: the command, its env, user, workdir and
 * flags as they are in effect. */
static void run_key(const struct cc_stage *st, const struct cc_df_instr *in, const struct cc_strv *argv,
                    const struct cc_strv *env, const char *user, const char *cwd, const struct cc_buf *mounts,
                    char *key)
{
        struct cc_buf what = {0};
        cc_buf_add(&what, "RUN", 4);
        for (size_t i = 0; i < argv->n; i++)
                cc_buf_add(&what, argv->v[i], strlen(argv->v[i]) + 1);
        cc_buf_add(&what, "ENV", 4);
        for (size_t i = 0; i < env->n; i++)
                cc_buf_add(&what, env->v[i], strlen(env->v[i]) + 1);
        cc_buf_printf(&what, "USER%c%s%cCWD%c%s%c", 0, user ? user : "", 0, 0, cwd ? cwd : "", 0);
        for (size_t i = 0; i < in->flags.n; i++)
                cc_buf_add(&what, in->flags.v[i], strlen(in->flags.v[i]) + 1);
        if (mounts->len)
                cc_buf_add(&what, mounts->s, mounts->len);
        cc_stage_step_key(st, what.s, what.len, key);
        cc_buf_free(&what);
}

/* /etc/hosts with the build's extra hosts ("name:ip" or "name=ip"), or NULL. */
static char *extra_hosts(const struct cc_build_opts *o)
{
        if (!o->extra_hosts || !o->extra_hosts->n)
                return NULL;
        struct cc_buf h = {0};
        cc_buf_puts(&h, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (size_t i = 0; i < o->extra_hosts->n; i++) {
                const char *e = o->extra_hosts->v[i];
                size_t n = strcspn(e, "=:");
                if (e[n])
                        cc_buf_printf(&h, "%s\t%.*s\n", e + n + 1, (int) n, e);
        }
        return cc_buf_steal(&h);
}

/* A RUN step that runs (the stage's st->run): what its container is
 * handed lives here until the step ends. */
struct cc_run_pending {
        const struct cc_df_instr *in;
        char *label, *by, *hosts;
        char key[CC_DIGEST_LEN + 1];
        struct cc_vertex v;
        struct cc_strv argv, env;
        struct cc_run_mounts rm;
        int outfd;
        struct cc_build_running *h;
};

static void run_pending_free(struct cc_run_pending *p)
{
        free(p->label);
        free(p->by);
        free(p->hosts);
        cc_strv_free(&p->argv);
        cc_strv_free(&p->env);
        cc_run_mounts_free(&p->rm);
        if (p->outfd >= 0)
                close(p->outfd);
        free(p);
}

/* Start p's container over the stage's layers (st->run: p). */
static int run_start(struct cc_builder *b, struct cc_stage *st, struct cc_run_pending *p, struct cc_error *err)
{
        p->outfd = open(b->work, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        p->hosts = extra_hosts(b->o);
        struct cc_strv full_env = {0}; /* with secrets' env=: never in the key */
        for (size_t i = 0; i < p->env.n; i++)
                cc_strv_push(&full_env, p->env.v[i]);
        for (size_t i = 0; i < p->rm.env.n; i++)
                cc_strv_push(&full_env, p->rm.env.v[i]);
        struct cc_build_run r = {.root = b->o->root,
                                 .project = b->o->project && *b->o->project ? b->o->project : "build",
                                 .layers = &st->layers,
                                 .argv = &p->argv,
                                 .env = &full_env,
                                 .user = config_str(st->config, "User"),
                                 .cwd = config_str(st->config, "WorkingDir"),
                                 .out_fd = p->outfd,
                                 .mounts = p->rm.mounts,
                                 .n_mounts = p->rm.n,
                                 .files = p->rm.files,
                                 .n_files = p->rm.nfiles,
                                 .net_host = p->rm.net_host,
                                 .hosts = p->hosts};
        int rc = p->outfd < 0 ? cc_error_setsys(err, -errno, "create a file in %s", b->work)
                              : cc_build_run_start(&r, &p->h, err);
        for (size_t i = 0; i < full_env.n; i++)
                explicit_bzero(full_env.v[i], strlen(full_env.v[i]));
        cc_strv_free(&full_env);
        if (rc < 0)
                return rc;
        st->run = p;
        return 0;
}

int cc_build_run_fd(const struct cc_stage *st)
{
        return st->run ? cc_build_run_pidfd(st->run->h) : -1;
}

int cc_build_run_end(struct cc_builder *b, struct cc_stage *st, bool cancel, struct cc_error *err)
{
        struct cc_run_pending *p = st->run;
        st->run = NULL;
        if (cancel)
                cc_build_run_cancel(p->h);
        _cleanup_free_ char *upper = NULL;
        int code = 0;
        int rc = cc_build_run_finish(p->h, b->work, &upper, &code, err);
        if (cancel) {
                cc_builder_vertex_end(b, &p->v, CC_VERTEX_CANCELED);
                run_pending_free(p);
                return rc;
        }
        if (b->out && !cc_builder_live(b))
                print_output(b->out, p->outfd, 0, p->v.no, NULL);
        if (rc == 0)
                rc = cc_stage_add_layer(b, st, p->key, p->by, upper, err);
        if (rc < 0)
                rc = step_failed(b, p->in, p->label, p->v.no, p->outfd, err);
        else
                cc_builder_vertex_end(b, &p->v, CC_VERTEX_DONE);
        run_pending_free(p);
        return rc;
}

/* RUN: 0 when the step was cached, 1 when its container runs (st->run;
 * cc_build_run_end ends it). */
static int instr_run(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                     struct cc_error *err)
{
        struct cc_run_pending *p = cc_xcalloc(1, sizeof(*p));
        p->in = in;
        p->outfd = -1;
        int rc = cc_run_mounts_parse(b, st, in, &p->rm, err);
        if (rc < 0) {
                run_pending_free(p);
                return rc;
        }
        p->label = cc_builder_step_label(b, st);
        p->v = cc_builder_vertex(b, "%s %s", p->label, in->text);
        command_argv(st, in, &p->argv);
        run_env(st, &p->env);
        const char *user = config_str(st->config, "User"), *cwd = config_str(st->config, "WorkingDir");
        _cleanup_free_ char *cmd = join(&p->argv, 0, p->argv.n);
        p->by = cc_xasprintf("RUN %s # buildkit", cmd);
        run_key(st, in, &p->argv, &p->env, user, cwd, &p->rm.key, p->key);
        if (cc_stage_cached(b, st, p->key, p->by)) {
                cc_builder_vertex_end(b, &p->v, CC_VERTEX_CACHED);
                run_pending_free(p);
                return 0;
        }
        if ((rc = run_start(b, st, p, err)) < 0) {
                rc = step_failed(b, in, p->label, p->v.no, p->outfd, err);
                run_pending_free(p);
                return rc;
        }
        return 1;
}

/* ---- COPY and ADD ---- */

/* The merged tree of a stage's layers, read-only, at a directory under
 * the work dir (*mounted: unmount it after). */
int cc_stage_root(struct cc_builder *b, const struct cc_stage *st, char **path, bool *mounted, struct cc_error *err)
{
        *mounted = false;
        if (st->layers.n == 1) {
                *path = cc_xstrdup(st->layers.v[0]);
                return 0;
        }
        _cleanup_free_ char *tmpl = cc_path_join(b->work, "root-XXXXXX");
        if (!mkdtemp(tmpl))
                return cc_error_setsys(err, -errno, "create a directory in %s", b->work);
        if (st->layers.n > 1) {
                struct cc_buf opts = {0};
                cc_buf_puts(&opts, "lowerdir=");
                for (size_t i = st->layers.n; i-- > 0;)
                        cc_buf_printf(&opts, "%s%s", i + 1 < st->layers.n ? ":" : "", st->layers.v[i]);
                int r = mount("overlay", tmpl, "overlay", MS_RDONLY, opts.s);
                cc_buf_free(&opts);
                if (r < 0)
                        return cc_error_setsys(err, -errno, "mount the layers of stage %s", st->name ? st->name : "");
                *mounted = true;
        }
        *path = cc_steal(&tmpl);
        return 0;
}

/* A user or group name's number from the stage's /etc/passwd or
 * /etc/group (the topmost layer that has the file). */
static int id_of(const struct cc_stage *st, const char *file, const char *name, unsigned long *id)
{
        for (size_t i = st->layers.n; i-- > 0;) {
                _cleanup_free_ char *p = cc_path_join(st->layers.v[i], file), *data = NULL;
                size_t len;
                if (cc_read_file(p, &data, &len) < 0)
                        continue;
                size_t nlen = strlen(name);
                for (char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                        if (strncmp(l, name, nlen) != 0 || l[nlen] != ':')
                                continue;
                        const char *f = strchr(l + nlen + 1, ':'); /* past the password field */
                        if (!f)
                                return -ENOENT;
                        *id = strtoul(f + 1, NULL, 10);
                        return 0;
                }
                return -ENOENT;
        }
        return -ENOENT;
}

/* --chown=user[:group], names or numbers; a user alone: the same number
 * for the group (as Docker). */
static int parse_chown(const struct cc_stage *st, const char *v, struct cc_build_copy *c)
{
        _cleanup_free_ char *user = cc_xstrdup(v);
        char *group = strchr(user, ':');
        if (group)
                *group++ = '\0';
        unsigned long u, g;
        char *end;
        u = strtoul(user, &end, 10);
        if ((end == user || *end) && id_of(st, "etc/passwd", user, &u) < 0)
                return -ENOENT;
        g = u;
        if (group) {
                g = strtoul(group, &end, 10);
                if ((end == group || *end) && id_of(st, "etc/group", group, &g) < 0)
                        return -ENOENT;
        }
        c->chown = true;
        c->uid = (uid_t) u;
        c->gid = (gid_t) g;
        return 0;
}

static int copy_flags(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                      struct cc_build_copy *c, const struct cc_stage **from, char **checksum, struct cc_error *err)
{
        struct cc_env vars = {0};
        cc_stage_vars(st, &vars);
        int r = 0;
        for (size_t f = 0; r == 0 && f < in->flags.n; f++) {
                _cleanup_free_ char *v = NULL;
                if ((r = cc_df_expand(in->flags.v[f], b->df.escape, &vars, &v, err)) < 0)
                        break;
                r = 0;
                if (cc_startswith(v, "--from=")) {
                        /* a stage, a named context (a directory: copied from as the
                         * context is, by content; an image), or an image */
                        const struct cc_build_context *nc = cc_builder_context(b, v + 7);
                        *from = cc_builder_find_stage(b, v + 7, (size_t) (st - b->stages));
                        if (!*from && nc && nc->dir) {
                                c->srcfd = nc->fd;
                                c->ignore = NULL;
                        } else if (!*from && !(*from = cc_builder_image_stage(b, nc ? nc->image : v + 7, err))) {
                                r = -ENOENT;
                        }
                } else if (cc_startswith(v, "--chown=")) {
                        if (parse_chown(st, v + 8, c) < 0)
                                r = cc_error_set(err, -EINVAL, "unable to convert uid/gid chown string to host mapping: "
                                                 "no user or group %s in the stage's /etc/passwd, /etc/group", v + 8);
                } else if (cc_startswith(v, "--chmod=")) {
                        char *end;
                        unsigned long m = strtoul(v + 8, &end, 8);
                        if (!v[8] || *end || m > 07777)
                                r = cc_error_set(err, -EINVAL, "invalid chmod %s: an octal mode is needed", v + 8);
                        c->chmod = (int) m;
                } else if (cc_streq(v, "--parents") || cc_streq(v, "--parents=true")) {
                        c->parents = true;
                } else if (cc_startswith(v, "--checksum=") && cc_streq(in->cmd, "add")) {
                        free(*checksum);
                        *checksum = cc_xstrdup(v + 11);
                } else if (!cc_streq(v, "--link") && !cc_streq(v, "--link=true") && !cc_streq(v, "--link=false")) {
                        r = cc_error_set(err, -EINVAL, "unknown flag: %s", v);
                }
        }
        cc_env_free(&vars);
        return r < 0 ? cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err)) : 0;
}

/* The tree of a COPY: from the context or a stage's merged layers, into a
 * new staging directory (*dir). */
static int copy_tree(struct cc_builder *b, struct cc_build_copy *c, const struct cc_stage *from, char **dir,
                     struct cc_error *err)
{
        _cleanup_free_ char *root = NULL;
        bool mounted = false;
        int r = 0;
        if (from) {
                c->ignore = NULL;
                r = cc_stage_root(b, from, &root, &mounted, err);
                c->srcfd = r == 0 ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                if (r == 0 && c->srcfd < 0)
                        r = cc_error_setsys(err, -errno, "open %s", root);
        }
        _cleanup_free_ char *stage = cc_path_join(b->work, "copy-XXXXXX");
        int stagefd = -1;
        if (r == 0 && !mkdtemp(stage))
                r = cc_error_setsys(err, -errno, "create a directory in %s", b->work);
        if (r == 0 && (stagefd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                r = cc_error_setsys(err, -errno, "open %s", stage);
        char digest[CC_DIGEST_LEN + 1];
        if (r == 0)
                r = cc_build_copy_run(c, stagefd, digest, err);
        if (stagefd >= 0)
                close(stagefd);
        if (from && c->srcfd >= 0)
                close(c->srcfd);
        if (mounted)
                umount2(root, MNT_DETACH);
        if (root && mounted)
                rmdir(root);
        if (r == 0)
                *dir = cc_steal(&stage);
        return r;
}

/* The cache key of a COPY: its sources by content (from the context) or
 * by the source stage's key, where they go and how. */
static int copy_key(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                    struct cc_build_copy *c, const struct cc_stage *from, char *key, struct cc_error *err)
{
        struct cc_buf what = {0};
        cc_buf_printf(&what, "%s%c%s%c%u:%u:%d:%o:%d%c", in->cmd, 0, c->dest, 0, (unsigned) c->uid,
                      (unsigned) c->gid, c->chown, (unsigned) c->chmod, c->parents, 0);
        for (size_t i = 0; i < c->srcs->n; i++)
                cc_buf_add(&what, c->srcs->v[i], strlen(c->srcs->v[i]) + 1);
        int r = 0;
        if (from) {
                cc_buf_printf(&what, "FROM%c%s", 0, from->key);
        } else {
                char digest[CC_DIGEST_LEN + 1];
                r = cc_build_copy_run(c, -1, digest, err);
                cc_buf_printf(&what, "CONTENT%c%s", 0, digest);
        }
        if (r == 0)
                cc_stage_step_key(st, what.s, what.len, key);
        cc_buf_free(&what);
        return r;
}

/* COPY's words: sources and the destination, made absolute. */
static int copy_words(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in, struct cc_strv *srcs,
                      char **dest, struct cc_error *err)
{
        struct cc_strv words = {0};
        int r = expand_words(b, st, in, &words, err);
        if (r == 0 && words.n < 2)
                r = cc_error_set(err, -EINVAL, "%s requires at least two arguments",
                                 cc_streq(in->cmd, "add") ? "ADD" : "COPY");
        for (size_t i = 0; r == 0 && i + 1 < words.n; i++)
                cc_strv_push(srcs, words.v[i]);
        if (r < 0) {
                cc_strv_free(&words);
                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
        }
        const char *d = words.v[words.n - 1], *wd = config_str(st->config, "WorkingDir");
        if (d[0] == '/') {
                *dest = cc_xstrdup(d);
        } else {
                _cleanup_free_ char *j = cc_path_join(wd && *wd ? wd : "/", d);
                bool slash = cc_endswith(d, "/") || cc_streq(d, ".");
                *dest = slash && !cc_endswith(j, "/") ? cc_xasprintf("%s/", j) : cc_steal(&j);
        }
        cc_strv_free(&words);
        return 0;
}

/* $VAR and ${VAR} of a COPY here-document (an unquoted delimiter). */
static char *expand_doc(const char *body, const struct cc_env *vars)
{
        struct cc_buf out = {0};
        for (const char *p = body; *p;) {
                if (p[0] != '$' || !(p[1] == '{' || isalpha((unsigned char) p[1]) || p[1] == '_')) {
                        cc_buf_putc(&out, *p++);
                        continue;
                }
                bool brace = p[1] == '{';
                const char *n = p + 1 + brace;
                size_t len = 0;
                while (isalnum((unsigned char) n[len]) || n[len] == '_')
                        len++;
                if (brace && n[len] != '}') {
                        cc_buf_putc(&out, *p++);
                        continue;
                }
                _cleanup_free_ char *name = cc_xstrndup(n, len);
                const char *v = cc_env_get(vars, name);
                cc_buf_puts(&out, v ? v : "");
                p = n + len + brace;
        }
        return cc_buf_steal(&out);
}

/* COPY <<EOF /file: the documents as files of a directory of the build's
 * (*dirfd), the sources renamed to them. */
static int heredoc_sources(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                           struct cc_strv *srcs, int *dirfd, struct cc_error *err)
{
        *dirfd = -1;
        size_t docs = 0;
        for (size_t i = 0; i < srcs->n; i++)
                docs += cc_startswith(srcs->v[i], "<<");
        if (!docs)
                return 0;
        if (docs != srcs->n || docs != in->nheredocs)
                return cc_df_fail(&b->df, in, err, "here-documents and other sources cannot be mixed");
        _cleanup_free_ char *dir = cc_path_join(b->work, "heredoc-XXXXXX");
        if (!mkdtemp(dir) || (*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return cc_error_setsys(err, -errno, "create a directory in %s", b->work);
        struct cc_env vars = {0};
        cc_stage_vars(st, &vars);
        int r = 0;
        for (size_t i = 0; i < in->nheredocs && r == 0; i++) {
                const struct cc_df_heredoc *d = &in->heredocs[i];
                _cleanup_free_ char *data = d->expand ? expand_doc(d->body, &vars) : cc_xstrdup(d->body);
                _cleanup_free_ char *path = cc_path_join(dir, d->name);
                if (cc_write_file_atomic(path, data, strlen(data), 0644) < 0)
                        r = cc_error_setsys(err, -errno, "write the here-document %s", d->name);
                free(srcs->v[i]);
                srcs->v[i] = cc_xstrdup(d->name);
        }
        cc_env_free(&vars);
        return r;
}

/* The tree this COPY (the same sources, destination and flags, whatever
 * came before it) made last time, still in the store: its unchanged files
 * are linked from there. prev_key names it for the next time. */
static int previous_tree(struct cc_builder *b, const struct cc_build_copy *c, const struct cc_df_instr *in,
                         char *prev_key, char *prev_chain)
{
        struct cc_buf what = {0};
        cc_buf_printf(&what, "PREVIOUS%c%s%c%s%c%u:%u:%d:%o%c", 0, in->cmd, 0, c->dest, 0, (unsigned) c->uid,
                      (unsigned) c->gid, c->chown, (unsigned) c->chmod, 0);
        for (size_t i = 0; i < c->srcs->n; i++)
                cc_buf_add(&what, c->srcs->v[i], strlen(c->srcs->v[i]) + 1);
        for (size_t i = 0; i < in->flags.n; i++)
                cc_buf_add(&what, in->flags.v[i], strlen(in->flags.v[i]) + 1);
        cc_build_key(b->o->context, what.s, what.len, prev_key);
        cc_buf_free(&what);
        json_object *rec = b->o->no_cache ? NULL : cc_image_cache_get(b->s, cc_digest_hex(prev_key)), *chain;
        if (!rec || !json_object_object_get_ex(rec, "chain", &chain) || !cc_digest_valid(json_object_get_string(chain)))
                return -1;
        _cleanup_free_ char *dir = cc_image_layer_path(b->s, json_object_get_string(chain));
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                strcpy(prev_chain, json_object_get_string(chain));
        return fd;
}

static int instr_copy(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                      struct cc_error *err)
{
        struct cc_build_copy c = {.ignore = b->ignore.n ? &b->ignore : NULL, .srcfd = b->ctxfd};
        const struct cc_stage *from = NULL;
        struct cc_strv srcs = {0};
        _cleanup_free_ char *dest = NULL, *checksum = NULL;
        int r = copy_flags(b, st, in, &c, &from, &checksum, err);
        if (r == 0)
                r = copy_words(b, st, in, &srcs, &dest, err);
        if (r < 0) {
                cc_strv_free(&srcs);
                return r;
        }
        _cleanup_close_ int docfd = -1;
        if ((r = heredoc_sources(b, st, in, &srcs, &docfd, err)) < 0) {
                cc_strv_free(&srcs);
                return r;
        }
        _cleanup_close_ int addfd = -1;
        bool extract = false;
        if (!from && docfd < 0 && (r = cc_build_add_sources(b, in, &srcs, checksum, &addfd, &extract, err)) < 0) {
                cc_strv_free(&srcs);
                return r;
        }
        c.srcs = &srcs;
        c.dest = dest;
        c.srcfd = docfd >= 0 ? docfd : addfd >= 0 ? addfd : c.srcfd;
        if (docfd >= 0 || addfd >= 0)
                c.ignore = NULL;
        if (!from && c.srcfd == b->ctxfd && !b->o->no_cache)
                c.hashes = cc_builder_file_hashes(b);
        _cleanup_free_ char *label = cc_builder_step_label(b, st);
        cc_builder_vertex(b, "%s %s", label, in->text);
        _cleanup_free_ char *by = cc_xasprintf("%s %s # buildkit", cc_streq(in->cmd, "add") ? "ADD" : "COPY", in->rest);
        char key[CC_DIGEST_LEN + 1];
        bool cached = false;
        r = copy_key(b, st, in, &c, from, key, err);
        if (r == 0)
                cached = cc_stage_cached(b, st, key, by);
        _cleanup_free_ char *dir = NULL;
        char prev_key[CC_DIGEST_LEN + 1], prev_chain[CC_DIGEST_LEN + 1] = "";
        _cleanup_close_ int prevfd = r == 0 && !cached ? previous_tree(b, &c, in, prev_key, prev_chain) : -1;
        c.prevfd = prevfd;
        c.prev_chain = *prev_chain ? prev_chain : NULL;
        struct cc_strv staged = {0};
        c.staged = c.hashes ? &staged : NULL;
        if (r == 0 && !cached)
                r = extract ? cc_build_add_extract(b, srcs.v[0], dest, &dir, err) : copy_tree(b, &c, from, &dir, err);
        if (r == 0 && !cached)
                r = cc_stage_add_layer(b, st, key, by, dir, err);
        /* the digests of what the new layer holds, for the next run of this COPY */
        if (r == 0 && !cached && c.hashes && *st->chain)
                cc_file_hashes_put_tree(c.hashes, st->chain, &staged);
        cc_strv_free(&staged);
        if (r == 0 && !cached && *st->chain) {
                json_object *rec = json_object_new_object();
                json_object_object_add(rec, "chain", json_object_new_string(st->chain));
                cc_builder_record(b, prev_key, rec);
        }
        if (r == 0)
                cc_builder_vertex_done(b, cached);
        else
                r = step_failed(b, in, label, b->vertex, -1, err);
        cc_strv_free(&srcs);
        return r;
}

int cc_build_from_context(struct cc_builder *b, struct cc_stage *st, const struct cc_build_context *ctx,
                          struct cc_error *err)
{
        struct cc_strv srcs = {0};
        cc_strv_push(&srcs, ".");
        struct cc_build_copy c = {.srcfd = ctx->fd, .srcs = &srcs, .dest = "/"};
        const struct cc_df_instr in = {.cmd = (char *) "from"};
        _cleanup_free_ char *by = cc_xasprintf("COPY --from=%s . / # buildkit", ctx->name), *dir = NULL;
        _cleanup_free_ char *what = cc_xasprintf("context %s", ctx->name), *label = cc_builder_label(b, what);
        struct cc_vertex v = cc_builder_vertex(b, "%s load from client", label);
        char key[CC_DIGEST_LEN + 1];
        int r = copy_key(b, st, &in, &c, NULL, key, err);
        bool cached = r == 0 && cc_stage_cached(b, st, key, by);
        if (r == 0 && !cached)
                r = copy_tree(b, &c, NULL, &dir, err);
        if (r == 0 && !cached)
                r = cc_stage_add_layer(b, st, key, by, dir, err);
        cc_strv_free(&srcs);
        if (r < 0)
                return cc_error_prefix(err, "build context %s", ctx->name);
        cc_builder_vertex_end(b, &v, cached ? CC_VERTEX_CACHED : CC_VERTEX_DONE);
        return 0;
}

/* ---- the config ---- */

static void env_set(json_object *config, const char *kv)
{
        json_object *env = cc_image_json_member(config, "Env", json_type_array);
        size_t klen = strcspn(kv, "=");
        for (size_t i = 0; i < json_object_array_length(env); i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(env, i));
                if (e && strncmp(e, kv, klen) == 0 && e[klen] == '=') {
                        json_object_array_put_idx(env, i, json_object_new_string(kv));
                        return;
                }
        }
        json_object_array_add(env, json_object_new_string(kv));
}

static int instr_pairs(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                       struct cc_error *err)
{
        struct cc_env vars = {0};
        cc_stage_vars(st, &vars);
        struct cc_strv pairs = {0};
        int r = cc_df_pairs(in, b->df.escape, &vars, false, &pairs, err);
        cc_env_free(&vars);
        if (r < 0)
                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
        bool env = cc_streq(in->cmd, "env");
        json_object *labels = env ? NULL : cc_image_json_member(st->config, "Labels", json_type_object);
        for (size_t i = 0; i < pairs.n; i++) {
                if (env) {
                        env_set(st->config, pairs.v[i]);
                        continue;
                }
                char *eq = strchr(pairs.v[i], '=');
                *eq = '\0';
                json_object_object_add(labels, pairs.v[i], json_object_new_string(eq + 1));
                *eq = '=';
        }
        _cleanup_free_ char *text = join(&pairs, 0, pairs.n);
        _cleanup_free_ char *by = cc_xasprintf("%s %s", env ? "ENV" : "LABEL", text);
        cc_stage_add_step(st, by);
        cc_strv_free(&pairs);
        return 0;
}

static int instr_command(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in)
{
        (void) b;
        struct cc_strv argv = {0};
        command_argv(st, in, &argv);
        bool entry = cc_streq(in->cmd, "entrypoint");
        json_object_object_add(st->config, entry ? "Entrypoint" : "Cmd", strv_json(&argv));
        if (entry && !st->cmd_set)
                json_object_object_add(st->config, "Cmd", NULL);
        if (!entry)
                st->cmd_set = true;
        json_object *a = strv_json(&argv);
        _cleanup_free_ char *by = cc_xasprintf("%s %s", entry ? "ENTRYPOINT" : "CMD",
                                               json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
                                                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
        cc_stage_add_step(st, by);
        cc_strv_free(&argv);
        return 0;
}

/* Has this WORKDIR (path, over the stage's state) been done before? As
 * BuildKit's mkdir of it is cached: recorded with the build the first
 * time, CACHED in the progress after that (not with --no-cache). */
static bool workdir_cached(struct cc_builder *b, const struct cc_stage *st, const char *path)
{
        path = path ? path : "/";
        struct cc_buf what = {0};
        cc_buf_printf(&what, "WORKDIR%c%s", 0, path);
        char key[CC_DIGEST_LEN + 1];
        cc_stage_step_key(st, what.s, what.len, key);
        cc_buf_free(&what);
        if (!b->o->no_cache && cc_image_cache_get(b->s, cc_digest_hex(key)))
                return true;
        json_object *rec = json_object_new_object();
        json_object_object_add(rec, "workdir", json_object_new_string(path));
        cc_builder_record(b, key, rec);
        return false;
}

/* WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL: expanded words, then the
 * image store's config change; HEALTHCHECK and ONBUILD as written. */
static int instr_change(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                        struct cc_error *err)
{
        _cleanup_free_ char *kw = cc_xstrdup(in->cmd);
        for (char *c = kw; *c; c++)
                *c = (char) toupper((unsigned char) *c);
        _cleanup_free_ char *arg = NULL;
        int r = 0;
        if (cc_streq(in->cmd, "healthcheck") || cc_streq(in->cmd, "onbuild") ||
            (cc_streq(in->cmd, "volume") && in->json)) {
                arg = cc_xstrdup(in->rest);
        } else {
                struct cc_strv words = {0};
                r = expand_words(b, st, in, &words, err);
                arg = join(&words, 0, words.n);
                cc_strv_free(&words);
        }
        if (r < 0)
                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
        bool workdir = cc_streq(in->cmd, "workdir");
        _cleanup_free_ char *label = workdir ? cc_builder_step_label(b, st) : NULL;
        if (workdir)
                cc_builder_vertex(b, "%s %s", label, in->text);
        _cleanup_free_ char *change = cc_xasprintf("%s %s", kw, arg);
        if (cc_streq(in->cmd, "user") || cc_streq(in->cmd, "stopsignal")) {
                if (!*arg)
                        return cc_df_fail(&b->df, in, err, "%s requires exactly one argument", kw);
                json_object_object_add(st->config, cc_streq(in->cmd, "user") ? "User" : "StopSignal",
                                       json_object_new_string(arg));
        } else if ((r = cc_image_apply_change(st->config, change, err)) < 0) {
                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
        }
        if (workdir)
                cc_builder_vertex_done(b, workdir_cached(b, st, config_str(st->config, "WorkingDir")));
        cc_stage_add_step(st, change);
        return 0;
}

int cc_build_instr(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in, struct cc_error *err)
{
        int r = cc_build_instr_begin(b, st, in, err);
        return r == 1 ? cc_build_run_end(b, st, false, err) : r;
}

int cc_build_instr_begin(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                         struct cc_error *err)
{
        const char *cmd = in->cmd;
        if (cc_streq(cmd, "run"))
                return instr_run(b, st, in, err);
        if (cc_streq(cmd, "copy") || cc_streq(cmd, "add"))
                return instr_copy(b, st, in, err);
        if (cc_streq(cmd, "env") || cc_streq(cmd, "label"))
                return instr_pairs(b, st, in, err);
        if (cc_streq(cmd, "cmd") || cc_streq(cmd, "entrypoint"))
                return instr_command(b, st, in);
        if (cc_streq(cmd, "arg")) {
                struct cc_env vars = {0};
                cc_stage_vars(st, &vars);
                int r = cc_builder_declare_args(b, in, &vars, &b->meta, &st->args, err);
                cc_env_free(&vars);
                return r;
        }
        if (cc_streq(cmd, "shell")) {
                if (!in->json || in->json_args.n == 0)
                        return cc_df_fail(&b->df, in, err, "SHELL requires the arguments to be in JSON form");
                cc_strv_free(&st->shell);
                for (size_t i = 0; i < in->json_args.n; i++)
                        cc_strv_push(&st->shell, in->json_args.v[i]);
                return 0;
        }
        if (cc_streq(cmd, "maintainer")) {
                free(st->author);
                st->author = cc_xstrdup(in->rest);
                _cleanup_free_ char *by = cc_xasprintf("MAINTAINER %s", in->rest);
                cc_stage_add_step(st, by);
                return 0;
        }
        return instr_change(b, st, in, err);
}
