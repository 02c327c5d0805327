/* A service's build: section as the builder's options (cc_build_opts),
 * in one place, and the builds `build`, `up`, `create`, `run` and watch's
 * rebuild ask for. The image is the service's `image:`, else
 * <project>-<service>; build.tags name it too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "builder.h"
#include "cli.h"
#include "env.h"
#include "image-store.h"
#include "image.h"
#include "image-digest.h"

/* The options of one build and what they point at. */
struct cc__build_plan {
        struct cc_build_opts o;
        struct cc_strv args, labels, tags, cache_from, contexts, hosts, ssh;
        struct cc_build_secret *secrets;
        size_t nsecrets;
        char *image;
};

static void cc__plan_free(struct cc__build_plan *bp)
{
        cc_strv_free(&bp->args);
        cc_strv_free(&bp->labels);
        cc_strv_free(&bp->tags);
        cc_strv_free(&bp->cache_from);
        cc_strv_free(&bp->contexts);
        cc_strv_free(&bp->hosts);
        cc_strv_free(&bp->ssh);
        free(bp->secrets);
        free(bp->image);
}

/* "key=value" for each entry of a mapping; null values left out. */
static void cc__map_pairs(const struct cc_node *map, struct cc_strv *out)
{
        for (size_t i = 0; cc_node_is_map(map) && i < map->n; i++)
                if (cc_node_is_scalar(map->items[i]) && map->items[i]->str)
                        cc_strv_push_owned(out, cc_xasprintf("%s=%s", cc_node_key(map, i), map->items[i]->str));
}

static void cc__seq_strs(const struct cc_node *seq, struct cc_strv *out)
{
        for (size_t i = 0; cc_node_is_seq(seq) && i < seq->n; i++)
                if (cc_node_is_scalar(seq->items[i]) && seq->items[i]->str)
                        cc_strv_push(out, seq->items[i]->str);
}

/* "K=V" replaces an earlier K; a bare "K" takes K's value from the
 * environment, and is left out when K is not set there. */
static void cc__arg_set(struct cc_strv *args, const char *kv)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *key = eq ? cc_xstrndup(kv, (size_t) (eq - kv)) : cc_xstrdup(kv);
        const char *val = eq ? eq + 1 : getenv(key);
        size_t klen = strlen(key);
        for (size_t i = 0; i < args->n; i++)
                if (strncmp(args->v[i], key, klen) == 0 && args->v[i][klen] == '=') {
                        free(args->v[i]);
                        memmove(&args->v[i], &args->v[i + 1], (args->n - i - 1) * sizeof(char *));
                        args->n--;
                        break;
                }
        if (val)
                cc_strv_push_owned(args, cc_xasprintf("%s=%s", key, val));
}

/* The OCI architecture of this host. */
static const char *cc__host_arch(void)
{
        static const char *const names[][2] = {
                {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"i386", "386"},
                {"armv7l", "arm"},   {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
        };
        static struct utsname u;
        if (uname(&u) < 0)
                return "amd64";
        for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++)
                if (strcmp(u.machine, names[i][0]) == 0)
                        return names[i][1];
        return u.machine;
}

/* Is "os/arch[/variant]" this host's platform? */
static bool cc__host_platform(const char *pf)
{
        const char *arch = cc__host_arch();
        size_t n = strlen(arch);
        return cc_startswith(pf, "linux/") && strncmp(pf + 6, arch, n) == 0 && (!pf[6 + n] || pf[6 + n] == '/');
}

static int cc__plan_platforms(const char *service, const struct cc_node *svc, const struct cc_node *b,
                              struct cc_error *err)
{
        const char *pf = cc_node_map_str(svc, "platform");
        if (pf && !cc__host_platform(pf))
                return cc_error_set(err, -ENOTSUP, "service %s: platform %s: ccompose builds for this host only (linux/%s)",
                                    service, pf, cc__host_arch());
        const struct cc_node *pfs = cc_node_map_get(b, "platforms");
        for (size_t i = 0; cc_node_is_seq(pfs) && i < pfs->n; i++) {
                const char *s = pfs->items[i]->str;
                if (s && !cc__host_platform(s))
                        return cc_error_set(err, -ENOTSUP,
                                            "service %s: build.platforms %s: ccompose builds for this host only (linux/%s)",
                                            service, s, cc__host_arch());
        }
        return 0;
}

/* build.additional_contexts: local directories (the loader made them
 * absolute) and images (docker-image://REF); another service's image
 * (service:NAME) or a URL is refused, naming the service. */
static int cc__plan_contexts(const char *service, const struct cc_node *b, struct cc_strv *out, struct cc_error *err)
{
        const struct cc_node *ac = cc_node_map_get(b, "additional_contexts");
        for (size_t i = 0; cc_node_is_map(ac) && i < ac->n; i++) {
                const char *v = ac->items[i]->str;
                if (!v || (v[0] != '/' && !cc_startswith(v, "docker-image://")))
                        return cc_error_set(err, -ENOTSUP,
                                            "service %s: build.additional_contexts.%s: %s is not supported: ccompose "
                                            "takes a local directory or docker-image://REF",
                                            service, cc_node_key(ac, i), v ? v : "null");
                cc_strv_push_owned(out, cc_xasprintf("%s=%s", cc_node_key(ac, i), v));
        }
        return 0;
}

/* build.ssh: ["default", "id=/abs/socket"] (or id: path), as --ssh. */
static int cc__plan_ssh(const char *service, const struct cc_node *b, struct cc_strv *out, struct cc_error *err)
{
        const struct cc_node *ssh = cc_node_map_get(b, "ssh");
        if (cc_node_is_map(ssh))
                cc__map_pairs(ssh, out);
        else
                cc__seq_strs(ssh, out);
        for (size_t i = 0; i < out->n; i++)
                if (cc_build_ssh_check(out->v[i], err) < 0)
                        return cc_error_prefix(err, "service %s: build.ssh", service);
        return 0;
}

/* build.cache_from: image references ("ref" or buildx's "type=registry,ref=ref"). */
static int cc__plan_cache_from(const char *service, const struct cc_node *b, struct cc_strv *out, struct cc_error *err)
{
        const struct cc_node *cf = cc_node_map_get(b, "cache_from");
        for (size_t i = 0; cc_node_is_seq(cf) && i < cf->n; i++) {
                const char *v = cf->items[i]->str;
                if (!v)
                        continue;
                if (!strchr(v, '=')) {
                        cc_strv_push(out, v);
                        continue;
                }
                const char *ref = strstr(v, "ref=");
                if (!cc_startswith(v, "type=registry") || !ref || (ref != v && ref[-1] != ','))
                        return cc_error_set(err, -ENOTSUP,
                                            "service %s: build.cache_from %s is not supported: an image reference only",
                                            service, v);
                cc_strv_push_owned(out, cc_xstrndup(ref + 4, strcspn(ref + 4, ",")));
        }
        return 0;
}

/* build.secrets: each from a top-level secret's file or environment
 * variable, named by its target (else its source) for RUN --mount. */
static int cc__plan_secrets(const struct cc_project *p, const char *service, const struct cc_node *b,
                            struct cc__build_plan *bp, struct cc_error *err)
{
        const struct cc_node *seq = cc_node_map_get(b, "secrets");
        if (!cc_node_is_seq(seq) || seq->n == 0)
                return 0;
        const struct cc_node *defs = cc_node_map_get(p->model, "secrets");
        bp->secrets = cc_xcalloc(seq->n, sizeof(*bp->secrets));
        for (size_t i = 0; i < seq->n; i++) {
                const char *src = cc_node_map_str(seq->items[i], "source");
                const char *target = cc_node_map_str(seq->items[i], "target");
                const struct cc_node *def = src ? cc_node_map_get(defs, src) : NULL;
                if (!def)
                        return cc_error_set(err, -EINVAL, "service %s: build.secrets: secret %s is not defined", service,
                                            src ? src : "null");
                struct cc_build_secret *s = &bp->secrets[bp->nsecrets];
                s->id = target && *target ? target : src;
                s->file = cc_node_map_str(def, "file");
                s->env = cc_node_map_str(def, "environment");
                if (!s->file && !s->env)
                        return cc_error_set(err, -ENOTSUP,
                                            "service %s: build.secrets only supports environment or file-based "
                                            "secrets: %s",
                                            service, src);
                /* the builder reads ccompose's own environment: a value
                 * of the project's (.env) goes there first */
                const char *val = s->env ? cc_env_get(&p->env, s->env) : NULL;
                if (!s->file && val && !getenv(s->env))
                        setenv(s->env, val, 0);
                bp->nsecrets++;
        }
        return 0;
}

static int cc__plan(struct cc_cli *cli, const struct cc_project *p, const char *service,
                    const struct cc_build_flags *f, struct cc__build_plan *bp, struct cc_error *err)
{
        const struct cc_node *svc = cc_node_map_get(cc_project_services(p), service);
        const struct cc_node *b = cc_node_map_get(svc, "build");
        if (!cc_node_is_map(b))
                return cc_error_set(err, -EINVAL, "service %s has no build section", service);
        const char *ctx = cc_node_map_str(b, "context");
        /* the loader made a local context absolute: anything else is a
         * git repository or a remote tarball */
        if (!ctx || ctx[0] != '/')
                return cc_error_set(err, -ENOTSUP,
                                    "service %s: build context %s is a git repository or a remote tarball: ccompose "
                                    "builds from a local directory only (this host reaches no network for it)",
                                    service, ctx ? ctx : "null");
        const char *net = cc_node_map_str(b, "network");
        if (net && !cc_streq(net, "default") && !cc_streq(net, "none") && !cc_streq(net, "host"))
                return cc_error_set(err, -ENOTSUP,
                                    "service %s: build.network %s is not supported: use default, none or host",
                                    service, net);
        int r;
        if ((r = cc__plan_platforms(service, svc, b, err)) < 0 || (r = cc__plan_contexts(service, b, &bp->contexts, err)) < 0 ||
            (r = cc__plan_cache_from(service, b, &bp->cache_from, err)) < 0 || (r = cc__plan_secrets(p, service, b, bp, err)) < 0 ||
            (r = cc__plan_ssh(service, b, &bp->ssh, err)) < 0)
                return r;
        cc__map_pairs(cc_node_map_get(b, "args"), &bp->args);
        for (size_t i = 0; f && f->build_args && i < f->build_args->n; i++)
                cc__arg_set(&bp->args, f->build_args->v[i]);
        cc__map_pairs(cc_node_map_get(b, "labels"), &bp->labels);
        /* the loader's extra_hosts are "name=ip"; the builder's "name:ip" */
        cc__seq_strs(cc_node_map_get(b, "extra_hosts"), &bp->hosts);
        for (size_t i = 0; i < bp->hosts.n; i++) {
                char *eq = strchr(bp->hosts.v[i], '=');
                if (eq)
                        *eq = ':';
        }
        bp->image = cc_project_service_image(p, service);
        cc_strv_push(&bp->tags, bp->image);
        cc__seq_strs(cc_node_map_get(b, "tags"), &bp->tags);
        const char *dfi = cc_node_map_str(b, "dockerfile_inline");
        bp->o = (struct cc_build_opts){
                .root = cli->root,
                .project = p->name,
                .context = ctx,
                .dockerfile = dfi ? NULL : cc_node_map_str(b, "dockerfile"),
                .dockerfile_inline = dfi,
                .args = &bp->args,
                .target = cc_node_map_str(b, "target"),
                .labels = &bp->labels,
                .tags = &bp->tags,
                .cache_from = &bp->cache_from,
                .additional_contexts = &bp->contexts,
                .ssh = &bp->ssh,
                .extra_hosts = &bp->hosts,
                .network = net,
                .secrets = bp->secrets,
                .nsecrets = bp->nsecrets,
                .no_cache = (f && f->no_cache) || cc_streq(cc_node_map_str(b, "no_cache"), "true"),
                .pull = (f && f->pull) || cc_streq(cc_node_map_str(b, "pull"), "true"),
                .progress = f && f->quiet ? CC_BUILD_PROGRESS_QUIET
                            : f && f->tty ? CC_BUILD_PROGRESS_TTY
                                          : CC_BUILD_PROGRESS_PLAIN,
                .out = stderr,
                .name = service,
                .vertex = f ? f->vertex : NULL,
        };
        return 0;
}

int cc_service_build(struct cc_cli *cli, const struct cc_project *p, const char *service,
                     const struct cc_build_flags *f, struct cc_error *err)
{
        struct cc__build_plan bp = {0};
        char id[CC_DIGEST_LEN + 1] = "";
        int r = cc__plan(cli, p, service, f, &bp, err);
        if (r >= 0)
                r = cc_build(&bp.o, id, err);
        if (r < 0 && !cc_startswith(cc_error_msg(err), "service "))
                cc_error_prefix(err, "service %s", service);
        cc__plan_free(&bp);
        return r;
}

/* The ID of the image ref names in the store, or NULL. */
static char *cc__image_id(struct cc_image_store *s, const char *ref)
{
        char *id = NULL;
        if (!s || cc_image_index_load(s, NULL) < 0 || cc_image_resolve(s, ref, &id, NULL, NULL) < 0)
                return NULL;
        return id;
}

char *cc_service_image_id(struct cc_cli *cli, const struct cc_project *p, const char *service)
{
        _cleanup_free_ char *image = cc_project_service_image(p, service);
        struct cc_image_store *s = NULL;
        char *id = image && cc_image_store_open(cli->root, &s, NULL) == 0 ? cc__image_id(s, image) : NULL;
        cc_image_store_close(s);
        return id;
}

int cc_project_build(struct cc_cli *cli, const struct cc_project *p, const bool *sel, bool only_missing,
                     const struct cc_build_flags *f, struct cc_strv *built)
{
        const struct cc_graph *g = &p->graph;
        struct cc_image_store *store = NULL;
        struct cc_error err = {0};
        if (only_missing && cc_image_store_open(cli->root, &store, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        /* one "#N" sequence over the services' builds, as compose's one session */
        unsigned vertex = 0;
        struct cc_build_flags fv = f ? *f : (struct cc_build_flags){0};
        if (!fv.vertex)
                fv.vertex = &vertex;
        f = &fv;
        int rc = 0;
        for (size_t i = 0; i < g->n && rc == 0; i++) {
                const struct cc_node *svc = cc_node_map_get(cc_project_services(p), g->names[i]);
                if ((sel && !sel[i]) || !cc_node_is_map(cc_node_map_get(svc, "build")))
                        continue;
                _cleanup_free_ char *image = cc_project_service_image(p, g->names[i]);
                _cleanup_free_ char *norm = cc_image_ref_normalize(image);
                const char *key = norm ? norm : image;
                /* services sharing one image build it once */
                if (cc_strv_contains(built, key))
                        continue;
                _cleanup_free_ char *have = only_missing ? cc__image_id(store, image) : NULL;
                if (have && !cc_streq(cc_node_map_str(svc, "pull_policy"), "build"))
                        continue;
                if (cc_service_build(cli, p, g->names[i], f, &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                        break;
                }
                cc_strv_push(built, key);
        }
        cc_image_store_close(store);
        return rc;
}
