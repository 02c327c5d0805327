/* The builder: a Dockerfile's stages, built in order as far as the target
 * needs them, the target committed as an image. */
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "build-stage.h"
#include "image.h"
#include "registry.h"

extern char **environ;

/* As compose shows the steps of its builds: the service first,
 * "[web builder 2/5]", "[web 2/3]". */
char *cc_builder_step_label(struct cc_builder *b, struct cc_stage *st)
{
        st->step_no++;
        const char *svc = b->o->name ? b->o->name : "", *sp = b->o->name ? " " : "";
        if (b->nstages == 1)
                return cc_xasprintf("[%s%s%u/%u]", svc, sp, st->step_no, st->nsteps);
        if (st->name)
                return cc_xasprintf("[%s%s%s %u/%u]", svc, sp, st->name, st->step_no, st->nsteps);
        return cc_xasprintf("[%s%sstage-%zu %u/%u]", svc, sp, (size_t) (st - b->stages), st->step_no, st->nsteps);
}

char *cc_builder_label(struct cc_builder *b, const char *what)
{
        return b->o->name ? cc_xasprintf("[%s %s]", b->o->name, what) : cc_xasprintf("[%s]", what);
}

void cc_stage_vars(const struct cc_stage *st, struct cc_env *out)
{
        cc_env_merge(out, &st->args);
        json_object *env;
        if (!json_object_object_get_ex(st->config, "Env", &env) || !json_object_is_type(env, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(env); i++) {
                const char *kv = json_object_get_string(json_object_array_get_idx(env, i));
                const char *eq = kv ? strchr(kv, '=') : NULL;
                if (!eq)
                        continue;
                _cleanup_free_ char *k = cc_xstrndup(kv, (size_t) (eq - kv));
                cc_env_set(out, k, eq + 1);
        }
}

void cc_stage_add_step_layer(struct cc_stage *st, const char *created_by, const char *diff_id, const char *dir)
{
        st->steps = cc_xrealloc(st->steps, (st->nsteps_done + 1) * sizeof(*st->steps));
        st->steps[st->nsteps_done++] = (struct cc_build_step){.created_by = cc_xstrdup(created_by),
                                                              .diff_id = diff_id ? cc_xstrdup(diff_id) : NULL};
        if (dir)
                cc_strv_push(&st->layers, dir);
}

void cc_stage_add_step(struct cc_stage *st, const char *created_by)
{
        cc_stage_add_step_layer(st, created_by, NULL, NULL);
}

struct cc_stage *cc_builder_find_stage(struct cc_builder *b, const char *name, size_t before)
{
        char *end;
        unsigned long idx = strtoul(name, &end, 10);
        if (*name && !*end)
                return idx < before ? &b->stages[idx] : NULL;
        for (size_t i = 0; i < before; i++)
                if (b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0)
                        return &b->stages[i];
        return NULL;
}

void cc_stage_free(struct cc_stage *st)
{
        free(st->name);
        free(st->base);
        free(st->base_id);
        free(st->author);
        json_object_put(st->config);
        cc_strv_free(&st->layers);
        for (size_t i = 0; i < st->nsteps_done; i++) {
                free((char *) st->steps[i].created_by);
                free((char *) st->steps[i].diff_id);
        }
        free(st->steps);
        cc_env_free(&st->args);
        cc_strv_free(&st->shell);
}

static void builder_free(struct cc_builder *b)
{
        cc_builder_pending_free(b);
        for (size_t i = 0; i < b->nstages; i++)
                cc_stage_free(&b->stages[i]);
        free(b->stages);
        for (size_t i = 0; i < b->nimages; i++) {
                cc_stage_free(b->images[i]);
                free(b->images[i]);
        }
        free(b->images);
        cc_df_free(&b->df);
        cc_dockerignore_free(&b->ignore);
        if (b->ctxfd >= 0)
                close(b->ctxfd);
        for (size_t i = 0; i < b->ncontexts; i++) {
                struct cc_build_context *c = &b->contexts[i];
                free(c->name);
                free(c->dir);
                free(c->image);
                if (c->fd >= 0)
                        close(c->fd);
        }
        free(b->contexts);
        if (b->work)
                cc_rm_rf(b->work);
        if (b->work_lock >= 0)
                close(b->work_lock);
        free(b->work);
        cc_env_free(&b->build_args);
        free(b->created);
        cc_env_free(&b->meta);
        cc_strv_free(&b->used_args);
        if (b->s)
                cc_image_store_close(b->s);
}

/* ---- reading the Dockerfile and .dockerignore ---- */

static int read_dockerfile(struct cc_builder *b, char **dfpath, struct cc_error *err)
{
        const struct cc_build_opts *o = b->o;
        _cleanup_free_ char *text = NULL;
        size_t len;
        const char *name = o->dockerfile && *o->dockerfile ? o->dockerfile : "Dockerfile";
        *dfpath = name[0] == '/' ? cc_xstrdup(name) : cc_path_join(o->context, name);
        if (o->dockerfile_inline) {
                text = cc_xstrdup(o->dockerfile_inline);
        } else {
                int r = cc_read_file(*dfpath, &text, &len);
                if (r < 0)
                        return cc_error_setsys(err, r, "failed to read dockerfile: open %s", *dfpath);
        }
        /* messages name it as given, or relative to the context as docker build does */
        size_t clen = strlen(o->context);
        if (name[0] == '/' && strncmp(name, o->context, clen) == 0 && name[clen] == '/')
                name += clen + 1;
        return cc_df_parse(o->dockerfile_inline ? "Dockerfile" : name, text, &b->df, err);
}

static int read_dockerignore(struct cc_builder *b, const char *dfpath, struct cc_error *err)
{
        _cleanup_free_ char *own = cc_xasprintf("%s.dockerignore", dfpath);
        _cleanup_free_ char *common = cc_path_join(b->o->context, ".dockerignore");
        _cleanup_free_ char *text = NULL;
        size_t len;
        const char *file = own;
        int r = b->o->dockerfile_inline ? -ENOENT : cc_read_file(own, &text, &len);
        if (r == -ENOENT) {
                file = common;
                r = cc_read_file(common, &text, &len);
        }
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return cc_error_setsys(err, r, "read %s", file);
        return cc_dockerignore_parse(text, file, &b->ignore, err);
}

/* ---- named contexts ---- */

const struct cc_build_context *cc_builder_context(const struct cc_builder *b, const char *name)
{
        for (size_t i = 0; i < b->ncontexts; i++)
                if (strcasecmp(b->contexts[i].name, name) == 0)
                        return &b->contexts[i];
        return NULL;
}

/* "NAME=/abs/dir" or "NAME=docker-image://REF", as BuildKit takes them;
 * its other sources (URLs, oci-layout://, target:) are refused. */
static int open_contexts(struct cc_builder *b, struct cc_error *err)
{
        const struct cc_strv *v = b->o->additional_contexts;
        for (size_t i = 0; v && i < v->n; i++) {
                const char *eq = strchr(v->v[i], '=');
                if (!eq || eq == v->v[i])
                        return cc_error_set(err, -EINVAL, "invalid build context \"%s\": NAME=VALUE is needed", v->v[i]);
                _cleanup_free_ char *name = cc_xstrndup(v->v[i], (size_t) (eq - v->v[i]));
                const char *val = eq + 1;
                if (cc_builder_context(b, name))
                        return cc_error_set(err, -EINVAL, "build context %s is given twice", name);
                struct cc_build_context c = {.fd = -1};
                if (cc_startswith(val, "docker-image://")) {
                        _cleanup_free_ char *norm = cc_image_ref_normalize(val + 15);
                        if (!norm)
                                return cc_error_set(err, -EINVAL, "build context %s: invalid reference format \"%s\"",
                                                    name, val + 15);
                        c.image = cc_xstrdup(val + 15);
                } else if (val[0] == '/') {
                        c.fd = open(val, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (c.fd < 0)
                                return cc_error_setsys(err, -errno, "failed to get build context %s: open %s", name, val);
                        c.dir = cc_xstrdup(val);
                } else {
                        return cc_error_set(err, -ENOTSUP,
                                            "build context %s: %s is not supported: a local directory or "
                                            "docker-image://REF (this host reaches no network for it)",
                                            name, val);
                }
                c.name = cc_steal(&name);
                b->contexts = cc_xrealloc(b->contexts, (b->ncontexts + 1) * sizeof(*b->contexts));
                b->contexts[b->ncontexts++] = c;
        }
        return 0;
}

/* ---- arguments ---- */

static void resolve_build_args(struct cc_builder *b)
{
        for (size_t i = 0; b->o->args && i < b->o->args->n; i++) {
                const char *kv = b->o->args->v[i], *eq = strchr(kv, '=');
                if (eq) {
                        _cleanup_free_ char *k = cc_xstrndup(kv, (size_t) (eq - kv));
                        cc_env_set(&b->build_args, k, eq + 1);
                } else if (getenv(kv)) {
                        cc_env_set(&b->build_args, kv, getenv(kv));
                }
        }
}

/* The platform ARGs BuildKit defines (this host is both platforms). */
static void platform_args(struct cc_env *env)
{
        struct cc_platform p;
        cc_platform_host(&p);
        char buf[96];
        cc_platform_format(&p, buf, sizeof(buf));
        static const char *const sides[] = {"TARGET", "BUILD"};
        for (size_t i = 0; i < 2; i++) {
                char k[32];
                snprintf(k, sizeof(k), "%sPLATFORM", sides[i]);
                cc_env_set(env, k, buf);
                snprintf(k, sizeof(k), "%sOS", sides[i]);
                cc_env_set(env, k, p.os);
                snprintf(k, sizeof(k), "%sARCH", sides[i]);
                cc_env_set(env, k, p.arch);
                snprintf(k, sizeof(k), "%sVARIANT", sides[i]);
                cc_env_set(env, k, p.variant);
        }
}

/* ARG name[=default] at the global scope or in a stage: a build arg wins,
 * then the default, then (in a stage) the global value. */
int cc_builder_declare_args(struct cc_builder *b, const struct cc_df_instr *in, const struct cc_env *vars,
                            const struct cc_env *global, struct cc_env *into, struct cc_error *err)
{
        struct cc_strv pairs = {0};
        int r = cc_df_pairs(in, b->df.escape, vars, true, &pairs, err);
        for (size_t i = 0; r >= 0 && i < pairs.n; i++) {
                char *eq = strchr(pairs.v[i], '=');
                if (eq)
                        *eq = '\0';
                const char *k = pairs.v[i];
                if (!cc_strv_contains(&b->used_args, k))
                        cc_strv_push(&b->used_args, k);
                if (cc_env_has(&b->build_args, k))
                        cc_env_set(into, k, cc_env_get(&b->build_args, k));
                else if (eq)
                        cc_env_set(into, k, eq + 1);
                else if (global && cc_env_get(global, k))
                        cc_env_set(into, k, cc_env_get(global, k));
                else
                        cc_env_set(into, k, NULL);
        }
        cc_strv_free(&pairs);
        return r < 0 ? cc_df_fail(&b->df, in, err, "%s", "invalid ARG") : 0;
}

/* ---- stages ---- */

static bool counts_as_step(const char *cmd)
{
        return cc_streq(cmd, "run") || cc_streq(cmd, "copy") || cc_streq(cmd, "add") || cc_streq(cmd, "workdir");
}

static int parse_stages(struct cc_builder *b, struct cc_error *err)
{
        const struct cc_dockerfile *df = &b->df;
        size_t i = 0;
        for (; i < df->n && !cc_streq(df->instrs[i].cmd, "from"); i++) {
                if (!cc_streq(df->instrs[i].cmd, "arg"))
                        return cc_df_fail(df, &df->instrs[i], err, "no build stage in current context");
                int r = cc_builder_declare_args(b, &df->instrs[i], &b->meta, NULL, &b->meta, err);
                if (r < 0)
                        return r;
        }
        if (i == df->n)
                return cc_error_set(err, -EINVAL, "%s: the Dockerfile has no FROM instruction", df->path);
        for (; i < df->n; i++) {
                const struct cc_df_instr *in = &df->instrs[i];
                if (!cc_streq(in->cmd, "from")) {
                        b->stages[b->nstages - 1].end = i + 1;
                        b->stages[b->nstages - 1].nsteps += counts_as_step(in->cmd);
                        continue;
                }
                for (size_t f = 0; f < in->flags.n; f++)
                        if (!cc_startswith(in->flags.v[f], "--platform="))
                                return cc_df_fail(df, in, err, "unknown flag: %s", in->flags.v[f]);
                struct cc_strv words = {0};
                cc_df_split(in->rest, df->escape, &words);
                bool ok = words.n == 1 || (words.n == 3 && strcasecmp(words.v[1], "as") == 0);
                _cleanup_free_ char *image = NULL;
                int r = ok ? cc_df_expand(words.v[0], df->escape, &b->meta, &image, err) : 0;
                if (!ok || r < 0 || !*image) {
                        cc_strv_free(&words);
                        return ok && r < 0 ? cc_df_fail(df, in, err, "%s", cc_error_msg(err))
                                           : cc_df_fail(df, in, err, "FROM requires either one or three arguments");
                }
                b->stages = cc_xrealloc(b->stages, (b->nstages + 1) * sizeof(*b->stages));
                struct cc_stage *st = &b->stages[b->nstages];
                *st = (struct cc_stage){.from = i, .end = i + 1, .nsteps = 1, .base_stage = -1};
                if (words.n == 3) {
                        st->name = cc_xstrdup(words.v[2]);
                        for (char *c = st->name; *c; c++)
                                *c = (char) tolower((unsigned char) *c);
                }
                struct cc_stage *prev = cc_builder_find_stage(b, image, b->nstages);
                const struct cc_build_context *nc = cc_builder_context(b, image);
                if (prev && prev->name) { /* FROM names a stage, not an index */
                        st->base_stage = prev - b->stages;
                } else if (nc && nc->image) {
                        free(image);
                        image = cc_xstrdup(nc->image);
                } else if (nc) {
                        st->base_ctx = nc;
                }
                st->base = cc_steal(&image);
                b->nstages++;
                cc_strv_free(&words);
        }
        return 0;
}

/* The stage a flag of an instruction of stage idx names (COPY --from=X,
 * RUN --mount=...,from=X), or NULL. */
static struct cc_stage *flag_stage(struct cc_builder *b, size_t idx, const char *v)
{
        const char *from = strstr(v, "from=");
        if (cc_startswith(v, "--from="))
                from = v + 7;
        else if (!cc_startswith(v, "--mount=") || !from || (from[-1] != ',' && from[-1] != '='))
                return NULL;
        else
                from += 5;
        _cleanup_free_ char *name = cc_xstrndup(from, strcspn(from, ","));
        return cc_builder_find_stage(b, name, idx);
}

static void mark_needed(struct cc_builder *b, size_t idx)
{
        struct cc_stage *st = &b->stages[idx];
        if (st->needed)
                return;
        st->needed = true;
        if (st->base_stage >= 0)
                mark_needed(b, (size_t) st->base_stage);
        for (size_t i = st->from + 1; i < st->end; i++) {
                const struct cc_df_instr *in = &b->df.instrs[i];
                for (size_t f = 0; f < in->flags.n; f++) {
                        struct cc_stage *dep = flag_stage(b, idx, in->flags.v[f]);
                        if (dep)
                                mark_needed(b, (size_t) (dep - b->stages));
                }
        }
}

static int pull(struct cc_builder *b, const char *ref, struct cc_error *err)
{
        struct cc_pull_options po = {.ref = ref};
        struct cc_pull_result res;
        int r = cc_image_pull(b->s, &po, &res, err);
        cc_pull_result_free(&res);
        if (r == 0)
                r = cc_image_index_load(b->s, err);
        return r;
}

static void inherit(struct cc_stage *st, const struct cc_stage *base)
{
        st->base_id = base->base_id ? cc_xstrdup(base->base_id) : NULL;
        st->author = base->author ? cc_xstrdup(base->author) : NULL;
        json_object_deep_copy(base->config, &st->config, NULL);
        for (size_t i = 0; i < base->layers.n; i++)
                cc_strv_push(&st->layers, base->layers.v[i]);
        for (size_t i = 0; i < base->nsteps_done; i++) {
                const struct cc_build_step *s = &base->steps[i];
                st->steps = cc_xrealloc(st->steps, (st->nsteps_done + 1) * sizeof(*st->steps));
                st->steps[st->nsteps_done++] = (struct cc_build_step){
                        .created_by = cc_xstrdup(s->created_by), .diff_id = s->diff_id ? cc_xstrdup(s->diff_id) : NULL};
        }
        strcpy(st->chain, base->chain);
        strcpy(st->key, base->key);
        for (size_t i = 0; i < base->shell.n; i++)
                cc_strv_push(&st->shell, base->shell.v[i]);
}

/* The stage's base: image norm from the store (pulled when missing or
 * with --pull): its config, layers, chain and key. *cached: it was there. */
static int load_image(struct cc_builder *b, struct cc_stage *st, const char *norm, bool *cached,
                      struct cc_error *err)
{
        struct cc_image *img = NULL;
        int r = b->o->pull ? -ENOENT : cc_image_lookup(b->s, norm, &img, err);
        *cached = r == 0;
        if (r == -ENOENT) {
                cc_error_clear(err);
                r = pull(b, norm, err);
                if (r == 0)
                        r = cc_image_lookup(b->s, norm, &img, err);
        }
        if (r < 0)
                return r;
        st->base_id = cc_xstrdup(img->id);
        json_object *cfg = NULL, *c, *rootfs, *diffs;
        if (cc_image_config(b->s, img->id, &cfg, NULL) == 0 && json_object_object_get_ex(cfg, "config", &c) &&
            json_object_is_type(c, json_type_object))
                json_object_deep_copy(c, &st->config, NULL);
        else
                st->config = json_object_new_object();
        /* the chain ID of its top layer, where the stage's own layers go */
        if (json_object_object_get_ex(cfg, "rootfs", &rootfs) && json_object_object_get_ex(rootfs, "diff_ids", &diffs))
                for (size_t i = 0; i < json_object_array_length(diffs); i++)
                        cc_image_chain_id(i ? st->chain : NULL, json_object_get_string(json_object_array_get_idx(diffs, i)),
                                          st->chain);
        json_object_put(cfg);
        _cleanup_free_ char *from = cc_xasprintf("FROM %s %lld", img->id, b->epoch);
        cc_build_key("", from, strlen(from), st->key);
        for (size_t i = 0; i < img->layer_dirs.n; i++)
                cc_strv_push(&st->layers, img->layer_dirs.v[i]);
        cc_image_free(img);
        cc_strv_push(&st->shell, "/bin/sh");
        cc_strv_push(&st->shell, "-c");
        return 0;
}

struct cc_stage *cc_builder_image_stage(struct cc_builder *b, const char *ref, struct cc_error *err)
{
        _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
        if (!norm) {
                cc_error_set(err, -EINVAL, "invalid reference format \"%s\"", ref);
                return NULL;
        }
        for (size_t i = 0; i < b->nimages; i++)
                if (cc_streq(b->images[i]->base, norm))
                        return b->images[i];
        struct cc_stage *st = cc_xcalloc(1, sizeof(*st));
        st->base = cc_steal(&norm);
        st->base_stage = -1;
        bool cached;
        _cleanup_free_ char *label = cc_builder_label(b, "internal");
        cc_builder_vertex(b, "%s load image %s", label, st->base);
        if (load_image(b, st, st->base, &cached, err) < 0) {
                cc_stage_free(st);
                free(st);
                return NULL;
        }
        cc_builder_vertex_done(b, cached);
        b->images = cc_xrealloc(b->images, (b->nimages + 1) * sizeof(*b->images));
        b->images[b->nimages++] = st;
        return st;
}

/* FROM --platform=P: this host's platform only. */
static int check_platform(struct cc_builder *b, const struct cc_df_instr *in, const char *flag, struct cc_error *err)
{
        _cleanup_free_ char *v = NULL;
        if (cc_df_expand(flag, b->df.escape, &b->meta, &v, err) < 0)
                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
        struct cc_platform want, host;
        char hbuf[96];
        cc_platform_host(&host);
        cc_platform_format(&host, hbuf, sizeof(hbuf));
        if (cc_platform_parse(v, &want, err) < 0)
                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
        if (cc_platform_match(&host, want.os, want.arch, *want.variant ? want.variant : NULL) == 0)
                return cc_df_fail(&b->df, in, err, "platform %s: only this host's platform (%s) can be built here", v,
                                  hbuf);
        return 0;
}

/* The ONBUILD triggers of the base image, run right after FROM (and not
 * handed down: the image gets this Dockerfile's ONBUILDs only). */
static int run_triggers(struct cc_builder *b, struct cc_stage *st, struct cc_error *err)
{
        json_object *ob;
        if (!json_object_object_get_ex(st->config, "OnBuild", &ob) || !json_object_is_type(ob, json_type_array) ||
            !json_object_array_length(ob)) {
                json_object_object_add(st->config, "OnBuild", NULL);
                return 0;
        }
        struct cc_buf text = {0};
        for (size_t i = 0; i < json_object_array_length(ob); i++)
                cc_buf_printf(&text, "%s\n", json_object_get_string(json_object_array_get_idx(ob, i)));
        json_object_object_add(st->config, "OnBuild", NULL);
        struct cc_dockerfile df;
        _cleanup_free_ char *what = cc_xasprintf("ONBUILD of %s", st->base);
        int r = cc_df_parse(what, text.s, &df, err);
        cc_buf_free(&text);
        if (r < 0)
                return r;
        for (size_t i = 0; r == 0 && i < df.n; i++) {
                const char *c = df.instrs[i].cmd;
                if (cc_streq(c, "from") || cc_streq(c, "onbuild") || cc_streq(c, "maintainer"))
                        r = cc_df_fail(&df, &df.instrs[i], err, "%s isn't allowed as an ONBUILD trigger", c);
                else
                        r = cc_build_instr(b, st, &df.instrs[i], err);
        }
        cc_df_free(&df);
        return r;
}

static int stage_from(struct cc_builder *b, struct cc_stage *st, struct cc_error *err)
{
        const struct cc_df_instr *in = &b->df.instrs[st->from];
        _cleanup_free_ char *label = cc_builder_step_label(b, st);
        for (size_t f = 0; f < in->flags.n; f++) {
                int r = check_platform(b, in, in->flags.v[f] + strlen("--platform="), err);
                if (r < 0)
                        return r;
        }
        if (st->base_stage >= 0) {
                inherit(st, &b->stages[st->base_stage]);
                return 0;
        }
        if (cc_streq(st->base, "scratch") || st->base_ctx) {
                _cleanup_free_ char *from = cc_xasprintf("FROM scratch %lld", b->epoch);
                cc_build_key("", from, strlen(from), st->key);
                st->config = json_object_new_object();
                cc_strv_push(&st->shell, "/bin/sh");
                cc_strv_push(&st->shell, "-c");
                if (st->base_ctx && cc_build_from_context(b, st, st->base_ctx, err) < 0)
                        return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
                return 0;
        }
        _cleanup_free_ char *norm = cc_image_ref_normalize(st->base);
        if (!norm)
                return cc_df_fail(&b->df, in, err, "invalid reference format \"%s\"", st->base);
        cc_builder_vertex(b, "%s FROM %s", label, norm);
        bool cached;
        if (load_image(b, st, norm, &cached, err) < 0)
                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
        cc_builder_vertex_done(b, cached);
        return run_triggers(b, st, err);
}

/* ---- the stages, independent ones at the same time ---- */

/* Are the stages instruction in of st names built? They are named as the
 * stage's variables expand the flags (a stage named through an ARG is
 * found here, and built too). */
static bool instr_ready(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in)
{
        size_t idx = (size_t) (st - b->stages);
        bool ready = true;
        struct cc_env vars = {0};
        cc_stage_vars(st, &vars);
        for (size_t f = 0; f < in->flags.n; f++) {
                _cleanup_free_ char *v = NULL;
                struct cc_error e = {0};
                if (cc_df_expand(in->flags.v[f], b->df.escape, &vars, &v, &e) < 0) {
                        cc_error_clear(&e); /* the instruction says so */
                        continue;
                }
                struct cc_stage *dep = flag_stage(b, idx, v);
                if (dep && !dep->built) {
                        mark_needed(b, (size_t) (dep - b->stages));
                        ready = false;
                }
        }
        cc_env_free(&vars);
        return ready;
}

/* Carry st on until it waits: for a RUN step it started (1), for a stage
 * it needs, or at its end (0, st->built). */
static int stage_advance(struct cc_builder *b, struct cc_stage *st, struct cc_error *err)
{
        if (!st->started) {
                if (st->base_stage >= 0 && !b->stages[st->base_stage].built)
                        return 0;
                int r = stage_from(b, st, err);
                if (r < 0)
                        return r;
                st->started = true;
                st->next = st->from + 1;
        }
        while (st->next < st->end) {
                const struct cc_df_instr *in = &b->df.instrs[st->next];
                if (!instr_ready(b, st, in))
                        return 0;
                st->next++;
                int r = cc_build_instr_begin(b, st, in, err);
                if (r != 0)
                        return r;
        }
        st->built = true;
        return 0;
}

/* Wait until a RUN step that runs ends, and end it (and any other that
 * ended meanwhile). */
static int wait_steps(struct cc_builder *b, size_t target, struct cc_error *err)
{
        struct pollfd fds[target + 1];
        size_t idx[target + 1], n = 0;
        for (size_t i = 0; i <= target; i++)
                if (b->stages[i].run) {
                        fds[n] = (struct pollfd){.fd = cc_build_run_fd(&b->stages[i]), .events = POLLIN};
                        idx[n++] = i;
                }
        if (n == 0)
                return cc_error_set(err, -EDEADLK, "the stages wait for each other");
        int k;
        /* the live view's running rows count up meanwhile */
        while ((k = poll(fds, (nfds_t) n, cc_builder_live(b) ? 100 : -1)) <= 0) {
                if (k < 0 && errno != EINTR)
                        return cc_error_setsys(err, -errno, "wait for the build steps");
                cc_builder_view_tick(b);
        }
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                if (fds[i].revents)
                        r = cc_build_run_end(b, &b->stages[idx[i]], false, err);
        return r;
}

/* Build what the target needs: each stage as far as it can go, then wait
 * for a step that runs; a failure cancels the steps of the other stages. */
static int build_stages(struct cc_builder *b, size_t target, struct cc_error *err)
{
        int r = 0;
        while (r == 0 && !b->stages[target].built) {
                for (size_t i = 0; r == 0 && i <= target; i++) {
                        struct cc_stage *st = &b->stages[i];
                        if (st->needed && !st->built && !st->run)
                                r = stage_advance(b, st, err) < 0 ? -1 : 0;
                }
                if (r == 0 && !b->stages[target].built)
                        r = wait_steps(b, target, err);
        }
        for (size_t i = 0; i <= target; i++)
                if (b->stages[i].run) {
                        struct cc_error e = {0};
                        cc_build_run_end(b, &b->stages[i], true, &e);
                        cc_error_clear(&e);
                }
        return r < 0 ? (err->code ? err->code : -EINVAL) : 0;
}

/* ---- the image ---- */

static int check_tags(const struct cc_build_opts *o, struct cc_error *err)
{
        for (size_t i = 0; o->tags && i < o->tags->n; i++) {
                _cleanup_free_ char *norm = cc_image_ref_normalize(o->tags->v[i]);
                if (!norm)
                        return cc_error_set(err, -EINVAL, "invalid tag \"%s\": invalid reference format",
                                            o->tags->v[i]);
        }
        return 0;
}

/* SOURCE_DATE_EPOCH, as BuildKit takes it: a build arg, else the
 * environment's. */
static int source_date_epoch(struct cc_builder *b, struct cc_error *err)
{
        const char *v = cc_env_get(&b->build_args, "SOURCE_DATE_EPOCH");
        if (!v)
                v = getenv("SOURCE_DATE_EPOCH");
        b->epoch = -1;
        if (!v || !*v)
                return 0;
        char *end;
        errno = 0;
        long long e = strtoll(v, &end, 10);
        if (errno || *end || e < 0)
                return cc_error_set(err, -EINVAL, "invalid SOURCE_DATE_EPOCH \"%s\": a number of seconds is needed", v);
        time_t t = (time_t) e;
        struct tm tm;
        char buf[64];
        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        b->epoch = e;
        b->created = cc_xstrdup(buf);
        return 0;
}

/* As BuildKit: build args no ARG declared (but its predefined ones). */
static void warn_unused_args(struct cc_builder *b)
{
        static const char *const predefined[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                                 "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
                                                 "ALL_PROXY", "all_proxy", "SOURCE_DATE_EPOCH"};
        struct cc_buf list = {0};
        for (size_t i = 0; i < b->build_args.n; i++) {
                const char *k = b->build_args.keys[i];
                bool known = cc_strv_contains(&b->used_args, k);
                for (size_t j = 0; !known && j < CC_ARRAY_SIZE(predefined); j++)
                        known = cc_streq(k, predefined[j]);
                if (!known)
                        cc_buf_printf(&list, "%s%s", list.len ? " " : "", k);
        }
        if (list.len)
                cc_builder_note(b, "[Warning] One or more build-args [%s] were not consumed\n", list.s);
        cc_buf_free(&list);
}

/* Work directories of builds that ended without cleaning up (killed):
 * nobody holds their lock any more. */
static void remove_stale(const char *parent)
{
        DIR *d = opendir(parent);
        struct dirent *de;
        struct cc_strv stale = {0};
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = cc_path_join(parent, de->d_name);
                _cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
                        cc_strv_push(&stale, p);
        }
        if (d)
                closedir(d);
        for (size_t i = 0; i < stale.n; i++) {
                DIR *w = opendir(stale.v[i]);
                while (w && (de = readdir(w)))
                        if (cc_startswith(de->d_name, "root-")) { /* a stage's layers, mounted */
                                _cleanup_free_ char *m = cc_path_join(stale.v[i], de->d_name);
                                umount2(m, MNT_DETACH);
                        }
                if (w)
                        closedir(w);
                cc_rm_rf(stale.v[i]);
        }
        cc_strv_free(&stale);
}

static int make_work_dir(struct cc_builder *b, struct cc_error *err)
{
        _cleanup_free_ char *parent = cc_path_join(b->o->root, "build-tmp");
        if (cc_mkdir_p(parent, 0700) < 0)
                return cc_error_setsys(err, -errno, "create %s", parent);
        remove_stale(parent);
        _cleanup_free_ char *tmpl = cc_path_join(parent, "XXXXXX");
        if (!mkdtemp(tmpl))
                return cc_error_setsys(err, -errno, "create a directory in %s", parent);
        /* held while the build runs: a directory without it is a dead build's */
        b->work_lock = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->work_lock < 0 || flock(b->work_lock, LOCK_EX) < 0)
                return cc_error_setsys(err, -errno, "lock %s", tmpl);
        b->work = cc_steal(&tmpl);
        return 0;
}

static int run_build(struct cc_builder *b, char *id_out, struct cc_error *err)
{
        const struct cc_build_opts *o = b->o;
        _cleanup_free_ char *dfpath = NULL;
        int r = check_tags(o, err);
        if (r == 0 && (b->ctxfd = open(o->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                r = cc_error_setsys(err, -errno, "unable to prepare context: path \"%s\" not found", o->context);
        if (r == 0)
                r = read_dockerfile(b, &dfpath, err);
        if (r == 0)
                r = read_dockerignore(b, dfpath, err);
        if (r < 0)
                return r;
        if ((r = open_contexts(b, err)) < 0)
                return r;
        resolve_build_args(b);
        platform_args(&b->meta);
        if ((r = source_date_epoch(b, err)) < 0)
                return r;
        if ((r = parse_stages(b, err)) < 0)
                return r;
        size_t target = b->nstages - 1;
        if (o->target && *o->target) {
                struct cc_stage *t = cc_builder_find_stage(b, o->target, b->nstages);
                if (!t || !t->name)
                        return cc_error_set(err, -ENOENT, "target stage \"%s\" could not be found",
                                            o->target);
                target = (size_t) (t - b->stages);
        }
        mark_needed(b, target);
        if ((r = cc_image_store_open(o->root, &b->s, err)) < 0 || (r = make_work_dir(b, err)) < 0)
                return r;
        r = build_stages(b, target, err);
        if (r == 0) {
                warn_unused_args(b);
                return cc_builder_save(b, &b->stages[target], id_out, err);
        }
        /* keep what the steps before the failing one built, for the next try */
        struct cc_error serr = {0};
        cc_builder_save(b, NULL, id_out, &serr);
        cc_error_clear(&serr);
        return r;
}

int cc_build(const struct cc_build_opts *o, char *id_out, struct cc_error *err)
{
        struct cc_builder b = {.o = o, .ctxfd = -1, .work_lock = -1, .vertex = o->vertex ? *o->vertex : 0};
        if (o->progress != CC_BUILD_PROGRESS_QUIET)
                b.out = o->out ? o->out : stderr;
        if (o->progress == CC_BUILD_PROGRESS_TTY)
                cc_builder_view_start(&b);
        int r = run_build(&b, id_out, err);
        cc_builder_view_close(&b);
        cc_builder_view_free(&b);
        if (o->vertex)
                *o->vertex = b.vertex;
        builder_free(&b);
        return r < 0 ? cc_error_prefix(err, "failed to solve") : 0;
}
