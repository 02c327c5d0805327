/* Loading a project, in the order docker compose does it:
 *   find files -> .env -> per file: parse, interpolate, validate, include,
 *   normalise services, extends -> merge files -> project name -> profiles
 *   -> top-level defaults (default network, resource names) -> references
 *   -> env_file contents -> dependency graph. */
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "interpolate.h"
#include "loader.h"
#include "merge.h"
#include "normalize.h"
#include "loader-model.h"
#include "schema.h"
#include "validate.h"

extern char **environ;

#define CC_MAX_INCLUDE_DEPTH 16
#define CC_MAX_EXTENDS_DEPTH 32

static const char *const cc__compose_names[] = {"compose.yaml", "compose.yml", "docker-compose.yaml",
                                                "docker-compose.yml"};
static const char *const cc__override_names[] = {"compose.override.yaml", "compose.override.yml",
                                                 "docker-compose.override.yaml", "docker-compose.override.yml"};
const char *const cc_model_sections[4] = {"networks", "volumes", "secrets", "configs"};

struct cc_loader {
        const struct cc_load_options *opts;
        const char *cwd;
        const char *home;
        struct cc_env *env;        /* interpolation environment: shell over .env */
        struct cc_strv include_stack;
        struct cc_strv *unset;     /* variables interpolation found unset */
        struct cc_strv *warnings;  /* the project's */
        struct cc_error *err;
};

bool cc_loader_file_exists(const char *p)
{
        struct stat st;
        return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *cc__dirname(const char *path)
{
        const char *s = strrchr(path, '/');
        if (!s)
                return cc_xstrdup(".");
        if (s == path)
                return cc_xstrdup("/");
        return cc_xstrndup(path, (size_t) (s - path));
}

static char *cc__abs(const char *base, const char *p)
{
        return cc_path_join(base, p);
}

char *cc_project_name_normalize(const char *s)
{
        struct cc_buf b = {0};
        for (const char *p = s; *p; p++) {
                char c = *p;
                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
                        if (b.len > 0 || (c != '_' && c != '-'))
                                cc_buf_putc(&b, c);
        }
        return cc_buf_steal(&b);
}

bool cc_project_name_valid(const char *s)
{
        if (!s || !*s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
                        return false;
        return true;
}

/* ---- finding files ---- */

static int cc__discover(struct cc_loader *l, const char *start, struct cc_strv *files)
{
        _cleanup_free_ char *dir = cc_xstrdup(start);
        for (;;) {
                for (size_t i = 0; i < CC_ARRAY_SIZE(cc__compose_names); i++) {
                        _cleanup_free_ char *p = cc_path_join(dir, cc__compose_names[i]);
                        if (!cc_loader_file_exists(p))
                                continue;
                        cc_strv_push(files, p);
                        for (size_t j = 0; j < CC_ARRAY_SIZE(cc__override_names); j++) {
                                _cleanup_free_ char *o = cc_path_join(dir, cc__override_names[j]);
                                if (cc_loader_file_exists(o)) {
                                        cc_strv_push(files, o);
                                        break;
                                }
                        }
                        return 0;
                }
                if (strcmp(dir, "/") == 0)
                        break;
                char *up = cc__dirname(dir);
                free(dir);
                dir = up;
        }
        return cc_error_set(l->err, -ENOENT,
                            "no configuration file provided: not found (looked for compose.yaml, compose.yml, "
                            "docker-compose.yaml or docker-compose.yml in %s and its parents)",
                            start);
}

static int cc__read_source(struct cc_loader *l, const char *path, char **data, size_t *len)
{
        int r;
        if (strcmp(path, "-") == 0) {
                if (l->opts->stdin_data) {
                        *len = strlen(l->opts->stdin_data);
                        if (*len > CC_INPUT_MAX_SIZE)
                                return cc_input_too_large("compose file", "(stdin)", l->err);
                        *data = cc_xstrdup(l->opts->stdin_data);
                        return 0;
                }
                r = cc_input_read("/dev/stdin", "compose file", data, len, l->err);
                if (r < 0)
                        return cc_error_prefix(l->err, "reading compose file from standard input");
                return 0;
        }
        r = cc_input_read(path, "compose file", data, len, l->err);
        if (r == -ENOENT)
                return cc_error_set(l->err, r, "open %s: no such file or directory", path);
        return r;
}

/* ---- one file ---- */

static int cc__load_file(struct cc_loader *l, const char *path, const char *workdir, const struct cc_env *env,
                         struct cc_node *docs, struct cc_node **out);

static int cc__normalize_services(struct cc_loader *l, struct cc_node *root, const char *workdir,
                                  const struct cc_env *env)
{
        struct cc_node *services = cc_node_map_get(root, "services");
        if (!cc_node_is_map(services))
                return 0;
        struct cc_norm_ctx ctx = {
                .project_name = NULL,
                .workdir = workdir,
                .home = l->home,
                .env = env,
                .keep_paths = l->opts->no_resolve_paths,
        };
        for (size_t i = 0; i < services->n; i++) {
                int r = cc_normalize_service(services->items[i], cc_node_key(services, i), &ctx, l->err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "a -> b -> c" for the services of an extends chain (entries are
 * "file#service"), with each one's file when the chain goes through
 * `extends.file`. */
static char *cc__extends_cycle(const struct cc_strv *chain, const char *key, bool with_files)
{
        struct cc_buf b = {0};
        for (size_t i = 0; i <= chain->n; i++) {
                const char *k = i < chain->n ? chain->v[i] : key;
                const char *hash = strrchr(k, '#');
                if (with_files)
                        cc_buf_printf(&b, "%s (%.*s)", hash + 1, (int) (hash - k), k);
                else
                        cc_buf_puts(&b, hash + 1);
                if (i < chain->n)
                        cc_buf_puts(&b, " -> ");
        }
        return cc_buf_steal(&b);
}

static int cc__load_tree(struct cc_loader *l, const char *path, const char *workdir, const struct cc_env *env,
                         struct cc_node **out);
static int cc__resolve_extends(struct cc_loader *l, struct cc_node *root, const char *name, const char *file,
                               const char *dir, const struct cc_env *env, struct cc_strv *chain);

/* Validate and normalise, in a file read for `extends` only, the service
 * name and the services it extends in the same file. */
static int cc__prepare_base(struct cc_loader *l, struct cc_node *root, const char *name, const char *workdir,
                            const struct cc_env *env)
{
        struct cc_node *services = cc_node_map_get(root, "services");
        struct cc_norm_ctx ctx = {.workdir = workdir, .home = l->home, .env = env,
                                  .keep_paths = l->opts->no_resolve_paths};
        struct cc_strv done = {0};
        int r = 0;
        while (name && !cc_strv_contains(&done, name) && r >= 0) {
                ssize_t i = cc_node_map_index(services, name);
                if (i < 0)
                        break;
                cc_strv_push(&done, name);
                /* the schema checks a project: one with only this service */
                struct cc_pos kp = services->keys[i]->pos;
                _cleanup_node_ struct cc_node *one = cc_node_new_map(&root->pos);
                struct cc_node *svcs = cc_node_new_map(&services->pos);
                cc_node_map_set(one, "services", NULL, svcs);
                cc_node_map_set(svcs, name, &kp, cc_node_map_take(services, name));
                r = cc_schema_validate_warn(one, l->warnings, l->err);
                if (r >= 0)
                        r = cc_validate_file(one, l->err);
                struct cc_node *svc = cc_node_map_take(svcs, name);
                cc_node_map_set(services, name, &kp, svc);
                if (r >= 0)
                        r = cc_normalize_service(svc, name, &ctx, l->err);
                struct cc_node *ext = cc_node_map_get(svc, "extends");
                name = cc_node_is_scalar(ext) ? ext->str
                       : cc_node_map_get(ext, "file") ? NULL : cc_node_map_str(ext, "service");
        }
        cc_strv_free(&done);
        return r;
}

/* The service an `extends` with a `file` names: that file is loaded (up to
 * normalisation) and only the base service's own extends are resolved in
 * it, as compose-go does; chain carries on across files so that files
 * extending each other (or a file naming itself) end as a cycle. */
static int cc__extends_from_file(struct cc_loader *l, const char *dir, const char *base_file,
                                 const char *base_name, const char *key, const struct cc_env *env,
                                 struct cc_strv *chain, struct cc_node **base)
{
        _cleanup_free_ char *abs = cc__abs(dir, base_file);
        _cleanup_free_ char *odir = cc__dirname(abs);
        _cleanup_node_ struct cc_node *other = NULL;
        int r;

        if ((r = cc__load_tree(l, abs, odir, env, &other)) < 0)
                return r;
        if (!cc_node_map_get(cc_node_map_get(other, "services"), base_name))
                return cc_error_set(l->err, -ENOENT, "undefined service \"%s\" in %s", base_name, abs);
        if ((r = cc__prepare_base(l, other, base_name, odir, env)) < 0)
                return r;
        cc_strv_push(chain, key);
        if ((r = cc__resolve_extends(l, other, base_name, abs, odir, env, chain)) < 0)
                return r;
        *base = cc_node_copy(cc_node_map_get(cc_node_map_get(other, "services"), base_name));
        return 0;
}

/* Resolve `extends` of service `name` in `root` (a file's tree whose
 * services are normalised). `file` is the tree's file (absolute, or "-"),
 * dir what a relative `extends.file` is relative to: as compose-go, the
 * project directory (of an included project: its project_directory) for
 * the files of a project, a file's own directory for a file read for
 * extends. chain ("file#service" of every service being resolved) guards
 * against loops. */
static int cc__resolve_extends(struct cc_loader *l, struct cc_node *root, const char *name, const char *file,
                               const char *dir, const struct cc_env *env, struct cc_strv *chain)
{
        struct cc_node *services = cc_node_map_get(root, "services");
        struct cc_node *svc = cc_node_map_get(services, name);
        struct cc_node *ext = cc_node_map_get(svc, "extends");
        int r;

        if (!ext)
                return 0;
        _cleanup_free_ char *where = cc_pos_str(&ext->pos);
        const char *base_name = NULL, *base_file = NULL;
        if (ext->kind == CC_NODE_SCALAR) {
                base_name = ext->str;
        } else if (cc_node_is_map(ext)) {
                base_name = cc_node_map_str(ext, "service");
                base_file = cc_node_map_str(ext, "file");
        }
        if (!base_name)
                return cc_error_set(l->err, -EINVAL, "%s: service %s: extends requires a service name", where, name);

        _cleanup_free_ char *target = NULL;
        if (base_file)
                target = cc__abs(dir, base_file);
        _cleanup_free_ char *key = cc_xasprintf("%s#%s", target ? target : file, base_name);
        if (cc_strv_contains(chain, key) || chain->n > CC_MAX_EXTENDS_DEPTH) {
                bool with_files = base_file != NULL;
                for (size_t i = 0; i < chain->n && !with_files; i++)
                        with_files = !cc_startswith(chain->v[i], file) || chain->v[i][strlen(file)] != '#';
                _cleanup_free_ char *cyc = cc__extends_cycle(chain, key, with_files);
                return cc_error_set(l->err, -ELOOP, "%s: service %s: circular extends: %s", where, name, cyc);
        }

        _cleanup_node_ struct cc_node *base = NULL;
        if (base_file) {
                r = cc__extends_from_file(l, dir, base_file, base_name, key, env, chain, &base);
                if (r < 0)
                        return cc_error_prefix(l->err, "%s: service %s: extends", where, name);
        } else {
                struct cc_node *bsvc = cc_node_map_get(services, base_name);
                if (!bsvc)
                        return cc_error_set(l->err, -ENOENT, "%s: service %s extends undefined service \"%s\"", where,
                                            name, base_name);
                cc_strv_push(chain, key);
                r = cc__resolve_extends(l, root, base_name, file, dir, env, chain);
                if (r < 0)
                        return r;
                base = cc_node_copy(cc_node_map_get(services, base_name));
        }
        cc_node_map_del(base, "extends");
        /* re-fetch: the map may have been touched by the recursion */
        svc = cc_node_map_get(services, name);
        _cleanup_node_ struct cc_node *own = cc_node_copy(svc);
        cc_node_map_del(own, "extends");
        if ((r = cc_merge_service(base, own, l->err)) < 0)
                return cc_error_prefix(l->err, "service %s: extends %s", name, base_name);
        cc_node_map_set(services, name, NULL, cc_steal(&base));
        return 0;
}

static int cc__apply_extends(struct cc_loader *l, struct cc_node *root, const char *file, const char *dir,
                             const struct cc_env *env)
{
        struct cc_node *services = cc_node_map_get(root, "services");
        if (!cc_node_is_map(services))
                return 0;
        for (size_t i = 0; i < services->n; i++) {
                if (!cc_node_map_get(services->items[i], "extends"))
                        continue; /* most services: nothing to resolve */
                struct cc_strv chain = {0};
                _cleanup_free_ char *name = cc_xstrdup(cc_node_key(services, i));
                cc_strv_push_owned(&chain, cc_xasprintf("%s#%s", file, name));
                int r = cc__resolve_extends(l, root, name, file, dir, env, &chain);
                cc_strv_free(&chain);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Add the resources of an included project to root. A name defined on
 * both sides is merged, the local definition over the included one, as
 * compose-go does (so a file included twice adds the same resources twice
 * without conflict). */
static int cc__add_included(struct cc_loader *l, struct cc_node *root, struct cc_node *inc, const char *incfile)
{
        static const char *const secs[] = {"services", "networks", "volumes", "secrets", "configs"};
        for (size_t s = 0; s < CC_ARRAY_SIZE(secs); s++) {
                struct cc_node *src = cc_node_map_get(inc, secs[s]);
                if (!cc_node_is_map(src))
                        continue;
                struct cc_node *dst = cc_node_map_get(root, secs[s]);
                if (!cc_node_is_map(dst)) {
                        dst = cc_node_new_map(&src->pos);
                        cc_node_map_set(root, secs[s], NULL, dst);
                }
                while (src->n > 0) {
                        const char *k = cc_node_key(src, 0);
                        _cleanup_free_ char *key = cc_xstrdup(k);
                        struct cc_pos kp = src->keys[0]->pos;
                        struct cc_node *own = cc_node_map_get(dst, k);
                        if (!own) {
                                cc_node_map_set(dst, key, &kp, cc_node_seq_take(src, 0));
                                continue;
                        }
                        /* {sec: {key: included}} under {sec: {key: local}} */
                        _cleanup_node_ struct cc_node *base = cc_node_new_map(&inc->pos);
                        _cleanup_node_ struct cc_node *over = cc_node_new_map(&root->pos);
                        struct cc_node *bsec = cc_node_new_map(&src->pos), *osec = cc_node_new_map(&dst->pos);
                        cc_node_map_set(base, secs[s], NULL, bsec);
                        cc_node_map_set(over, secs[s], NULL, osec);
                        cc_node_map_set(bsec, key, &kp, cc_node_seq_take(src, 0));
                        cc_node_map_set(osec, key, &kp, cc_node_copy(own));
                        int r = cc_merge_project(base, over, l->err);
                        if (r < 0)
                                return cc_error_prefix(l->err, "%s.%s (included from %s)", secs[s], key, incfile);
                        cc_node_map_set(dst, key, NULL, cc_node_map_take(bsec, key));
                }
        }
        return 0;
}

static int cc__apply_include(struct cc_loader *l, struct cc_node *root, const char *file, const char *workdir,
                             const struct cc_env *env)
{
        _cleanup_node_ struct cc_node *inc = cc_node_map_take(root, "include");
        if (!inc || cc_node_is_null(inc))
                return 0;
        if (l->include_stack.n >= CC_MAX_INCLUDE_DEPTH)
                return cc_error_set(l->err, -ELOOP, "%s: include nested too deeply", file);
        for (size_t i = 0; i < inc->n; i++) {
                struct cc_node *item = inc->items[i];
                _cleanup_free_ char *where = cc_pos_str(&item->pos);
                struct cc_strv paths = {0};
                const char *pdir = NULL;
                struct cc_node *envf = NULL;
                if (item->kind == CC_NODE_SCALAR) {
                        cc_strv_push(&paths, item->str);
                } else {
                        struct cc_node *p = cc_node_map_get(item, "path");
                        if (cc_node_is_scalar(p))
                                cc_strv_push(&paths, p->str);
                        else if (cc_node_is_seq(p))
                                for (size_t j = 0; j < p->n; j++)
                                        cc_strv_push(&paths, p->items[j]->str);
                        pdir = cc_node_map_str(item, "project_directory");
                        envf = cc_node_map_get(item, "env_file");
                }
                if (paths.n == 0) {
                        cc_strv_free(&paths);
                        return cc_error_set(l->err, -EINVAL, "%s: include requires a path", where);
                }
                _cleanup_free_ char *first = cc__abs(workdir, paths.v[0]);
                _cleanup_free_ char *idir = pdir ? cc__abs(workdir, pdir) : cc__dirname(first);
                /* The included project's environment: its env_file (or
                 * its own .env) under the including environment. */
                struct cc_env ienv = {0};
                for (size_t k = 0; k < env->n; k++)
                        cc_env_set(&ienv, env->keys[k], env->vals[k]);
                struct cc_strv efiles = {0};
                if (cc_node_is_scalar(envf))
                        cc_strv_push_owned(&efiles, cc__abs(workdir, envf->str));
                else if (cc_node_is_seq(envf))
                        for (size_t k = 0; k < envf->n; k++)
                                cc_strv_push_owned(&efiles, cc__abs(workdir, envf->items[k]->str));
                else
                        cc_strv_push_owned(&efiles, cc_path_join(idir, ".env"));
                int r = 0;
                for (size_t k = 0; k < efiles.n && r >= 0; k++) {
                        if (!envf && !cc_loader_file_exists(efiles.v[k]))
                                continue;
                        struct cc_env fenv = {0};
                        r = cc_dotenv_load(efiles.v[k], env, &fenv, l->err);
                        for (size_t m = 0; r >= 0 && m < fenv.n; m++)
                                cc_env_set_default(&ienv, fenv.keys[m], fenv.vals[m]);
                        cc_env_free(&fenv);
                }
                cc_strv_free(&efiles);

                _cleanup_node_ struct cc_node *merged = NULL;
                for (size_t j = 0; j < paths.n && r >= 0; j++) {
                        _cleanup_free_ char *abs = cc__abs(workdir, paths.v[j]);
                        if (cc_strv_contains(&l->include_stack, abs)) {
                                r = cc_error_set(l->err, -ELOOP, "%s: include cycle: %s is already being loaded",
                                                 where, abs);
                                break;
                        }
                        _cleanup_node_ struct cc_node *sub = NULL;
                        cc_strv_push(&l->include_stack, abs);
                        r = cc__load_file(l, abs, idir, &ienv, NULL, &sub);
                        free(l->include_stack.v[--l->include_stack.n]);
                        l->include_stack.v[l->include_stack.n] = NULL;
                        if (l->include_stack.n == 0)
                                cc_strv_free(&l->include_stack);
                        if (r < 0) {
                                cc_error_prefix(l->err, "%s: include %s", where, paths.v[j]);
                                break;
                        }
                        if (!merged)
                                merged = cc_steal(&sub);
                        else
                                r = cc_merge_project(merged, sub, l->err);
                }
                cc_env_free(&ienv);
                cc_strv_free(&paths);
                if (r < 0)
                        return r;
                if ((r = cc__add_included(l, root, merged, first)) < 0)
                        return r;
        }
        return 0;
}

/* A file's documents (several when it holds `---`). */
static int cc__parse_file(struct cc_loader *l, const char *path, struct cc_node **docs)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        if ((r = cc__read_source(l, path, &data, &len)) < 0)
                return r;
        const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
        return cc_yaml_parse_documents(data, len, name, docs, l->err);
}

/* One document up to its services' normalisation: interpolate, validate,
 * include. A file read for `extends` only (not full) is only interpolated,
 * as compose-go reads it: the services taken from it are validated and
 * normalised when they are (cc__prepare_base), the others are not looked at. */
static int cc__load_doc(struct cc_loader *l, struct cc_node *root, const char *path, const char *workdir,
                        const struct cc_env *env, bool full)
{
        int r;

        if (!cc_node_is_map(root)) {
                _cleanup_free_ char *where = cc_pos_str(&root->pos);
                return cc_error_set(l->err, -EINVAL, "%s: top-level object must be a mapping", where);
        }
        if ((r = cc_validate_keys(root, l->err)) < 0)
                return r;
        if (!l->opts->no_interpolate && (r = cc_interpolate_tree_unset(root, env, l->unset, l->err)) < 0)
                return r;
        if (!full)
                return 0;
        if ((r = cc_schema_validate_warn(root, l->warnings, l->err)) < 0 || (r = cc_validate_file(root, l->err)) < 0)
                return r;
        /* the file's own services first: an included service merges
         * under a local one of the same name (both normalised) */
        if ((r = cc__normalize_services(l, root, workdir, env)) < 0)
                return r;
        return cc__apply_include(l, root, path, workdir, env);
}

/* One file up to its services' normalisation; docs are its documents
 * (NULL: read them), taken over. Documents after the first are merged
 * into it, as compose-go merges them. */
static int cc__load_docs(struct cc_loader *l, const char *path, const char *workdir, const struct cc_env *env,
                         struct cc_node *docs_in, bool full, struct cc_node **out)
{
        _cleanup_node_ struct cc_node *docs = docs_in;
        _cleanup_node_ struct cc_node *root = NULL;
        int r;

        if (!docs && (r = cc__parse_file(l, path, &docs)) < 0)
                return r;
        for (size_t i = 0; i < docs->n; i++) {
                _cleanup_node_ struct cc_node *doc = cc_steal(&docs->items[i]);
                if ((r = cc__load_doc(l, doc, path, workdir, env, full)) < 0)
                        return r;
                if (!root)
                        root = cc_steal(&doc);
                else if ((r = cc_merge_project(root, doc, l->err)) < 0)
                        return r;
        }
        if (!root) {
                struct cc_pos p = cc_pos_at(strcmp(path, "-") == 0 ? "(stdin)" : path, 0, 0);
                root = cc_node_new_map(&p);
        }
        *out = cc_steal(&root);
        return 0;
}

static int cc__load_tree(struct cc_loader *l, const char *path, const char *workdir, const struct cc_env *env,
                         struct cc_node **out)
{
        return cc__load_docs(l, path, workdir, env, NULL, false, out);
}

/* One file, its services' extends resolved; docs as for cc__load_docs. */
static int cc__load_file(struct cc_loader *l, const char *path, const char *workdir, const struct cc_env *env,
                         struct cc_node *docs, struct cc_node **out)
{
        _cleanup_node_ struct cc_node *root = NULL;
        int r;

        if ((r = cc__load_docs(l, path, workdir, env, docs, true, &root)) < 0)
                return r;
        if ((r = cc__apply_extends(l, root, path, workdir, env)) < 0)
                return r;
        *out = cc_steal(&root);
        return 0;
}

static int cc__invalid_name(struct cc_error *err, const char *what, const char *name)
{
        return cc_error_set(err, -EINVAL,
                            "invalid %s \"%s\": must consist only of lowercase alphanumeric characters, hyphens, "
                            "and underscores as well as start with a letter or number",
                            what, name);
}

/* The project's name, before the files are interpolated (they may use
 * ${COMPOSE_PROJECT_NAME}), as compose-go finds it: -p, then
 * COMPOSE_PROJECT_NAME (both must be valid names as given), then the last
 * top-level `name:` of the files (interpolated, then normalised), then the
 * project directory's name (normalised). */
static int cc__project_name(struct cc_loader *l, struct cc_project *p, struct cc_node *const *docs)
{
        const struct cc_load_options *o = l->opts;
        const char *given = o->project_name;
        const char *what = "project name";
        if (!given || !*given) {
                given = cc_env_get(&p->env, "COMPOSE_PROJECT_NAME");
                what = "project name (COMPOSE_PROJECT_NAME)";
        }
        if (given && *given) {
                if (!cc_project_name_valid(given))
                        return cc__invalid_name(l->err, what, given);
                p->name = cc_xstrdup(given);
                return 0;
        }
        const struct cc_node *named = NULL;
        for (size_t i = 0; i < p->files.n; i++)
                for (size_t j = 0; j < docs[i]->n; j++) {
                        const struct cc_node *n = cc_node_map_get(docs[i]->items[j], "name");
                        if (cc_node_is_scalar(n) && n->type == CC_STR && *n->str)
                                named = n;
                }
        if (named) {
                _cleanup_free_ char *s = NULL;
                int r;
                if (o->no_interpolate)
                        s = cc_xstrdup(named->str);
                else if ((r = cc_interpolate_str(named->str, &p->env, &named->pos, &s, l->err)) < 0)
                        return r;
                p->name = o->no_normalize ? cc_steal(&s) : cc_project_name_normalize(s);
                if (!*p->name) {
                        _cleanup_free_ char *where = cc_pos_str(&named->pos);
                        return cc_error_set(l->err, -EINVAL, "%s: project name must not be empty (name: \"%s\")",
                                            where, named->str);
                }
                return 0;
        }
        const char *base = strrchr(p->workdir, '/');
        base = base && base[1] ? base + 1 : p->workdir;
        p->name = cc_project_name_normalize(base);
        if (!*p->name)
                return cc_error_set(l->err, -EINVAL,
                                    "project name must not be empty: the directory name \"%s\" has no usable "
                                    "characters; set one with -p",
                                    base);
        return 0;
}

static int cc__load_dotenv(struct cc_loader *l, struct cc_project *p)
{
        const struct cc_load_options *o = l->opts;
        struct cc_strv files = {0};
        int r = 0;
        if (o->env_files.n > 0) {
                for (size_t i = 0; i < o->env_files.n; i++)
                        cc_strv_push_owned(&files, cc__abs(l->cwd, o->env_files.v[i]));
        } else {
                char *def = cc_path_join(p->workdir, ".env");
                if (cc_loader_file_exists(def))
                        cc_strv_push_owned(&files, def);
                else
                        free(def);
        }
        /* Each file sees the shell and the files before it; a later file
         * wins over an earlier one, and the shell over every file. */
        struct cc_env dotenv = {0};
        for (size_t i = 0; i < files.n && r >= 0; i++) {
                struct cc_env lookup = {0}, one = {0};
                cc_env_merge(&lookup, &dotenv);
                cc_env_merge(&lookup, &p->env);
                r = cc_dotenv_load(files.v[i], &lookup, &one, l->err);
                cc_env_merge(&dotenv, &one);
                cc_env_free(&one);
                cc_env_free(&lookup);
        }
        for (size_t k = 0; r >= 0 && k < dotenv.n; k++)
                cc_env_set_default(&p->env, dotenv.keys[k], dotenv.vals[k]);
        cc_env_free(&dotenv);
        cc_strv_free(&files);
        return r;
}

static void cc__active_profiles(struct cc_project *p, const struct cc_load_options *o)
{
        for (size_t i = 0; i < o->profiles.n; i++)
                if (!cc_strv_contains(&p->profiles, o->profiles.v[i]))
                        cc_strv_push(&p->profiles, o->profiles.v[i]);
        if (o->profiles.n > 0)
                return;
        const char *env = cc_env_get(&p->env, "COMPOSE_PROFILES");
        if (!env)
                return;
        _cleanup_free_ char *dup = cc_xstrdup(env);
        for (char *save = NULL, *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                while (*tok == ' ')
                        tok++;
                if (*tok && !cc_strv_contains(&p->profiles, tok))
                        cc_strv_push(&p->profiles, tok);
        }
}

static int cc__collect_files(struct cc_loader *l, struct cc_project *p)
{
        const struct cc_load_options *o = l->opts;
        if (o->files.n > 0) {
                for (size_t i = 0; i < o->files.n; i++)
                        if (strcmp(o->files.v[i], "-") == 0)
                                cc_strv_push(&p->files, "-");
                        else
                                cc_strv_push_owned(&p->files, cc__abs(l->cwd, o->files.v[i]));
                return 0;
        }
        const char *cf = cc_env_get(&p->env, "COMPOSE_FILE");
        if (cf && *cf) {
                const char *sep = cc_env_get(&p->env, "COMPOSE_PATH_SEPARATOR");
                char sepc = sep && *sep ? sep[0] : ':';
                const char *s = cf;
                while (*s) {
                        const char *e = strchr(s, sepc);
                        size_t n = e ? (size_t) (e - s) : strlen(s);
                        if (n) {
                                _cleanup_free_ char *one = cc_xstrndup(s, n);
                                cc_strv_push_owned(&p->files, cc__abs(l->cwd, one));
                        }
                        s += n + (e ? 1 : 0);
                }
                return 0;
        }
        _cleanup_free_ char *start = o->project_dir ? cc__abs(l->cwd, o->project_dir) : cc_xstrdup(l->cwd);
        return cc__discover(l, start, &p->files);
}

struct cc_node *cc_project_services(const struct cc_project *p)
{
        return cc_node_map_get(p->model, "services");
}

static int cc__project_load(const struct cc_load_options *o, struct cc_strv *unset, struct cc_project **out,
                            struct cc_error *err)
{
        _cleanup_project_ struct cc_project *p = cc_xcalloc(1, sizeof(*p));
        char cwdbuf[PATH_MAX];
        int r;

        const char *cwd = o->cwd;
        if (!cwd) {
                if (!getcwd(cwdbuf, sizeof(cwdbuf)))
                        return cc_error_setsys(err, -errno, "getcwd");
                cwd = cwdbuf;
        }
        if (o->shell) {
                for (size_t i = 0; i < o->shell->n; i++)
                        cc_env_set(&p->env, o->shell->keys[i], o->shell->vals[i]);
        } else {
                cc_env_from_environ(&p->env, environ);
        }
        const char *home = cc_env_get(&p->env, "HOME");
        struct cc_loader l = {.opts = o, .cwd = cwd, .home = home ? home : "/root", .env = &p->env,
                              .unset = unset, .warnings = &p->warnings, .err = err};

        if ((r = cc__collect_files(&l, p)) < 0)
                return r;
        if (o->project_dir)
                p->workdir = cc__abs(cwd, o->project_dir);
        else if (strcmp(p->files.v[0], "-") == 0)
                p->workdir = cc_xstrdup(cwd);
        else
                p->workdir = cc__dirname(p->files.v[0]);

        if ((r = cc__load_dotenv(&l, p)) < 0)
                return r;

        /* the files are read first: the project name may come from them,
         * and interpolating them needs it */
        struct cc_node **docs = cc_xcalloc(p->files.n, sizeof(*docs));
        for (size_t i = 0; i < p->files.n && r >= 0; i++)
                r = cc__parse_file(&l, p->files.v[i], &docs[i]);
        if (r >= 0 && (r = cc__project_name(&l, p, docs)) >= 0)
                cc_env_set(&p->env, "COMPOSE_PROJECT_NAME", p->name);
        for (size_t i = 0; i < p->files.n && r >= 0; i++) {
                _cleanup_node_ struct cc_node *doc = NULL;
                if ((r = cc__load_file(&l, p->files.v[i], p->workdir, &p->env, cc_steal(&docs[i]), &doc)) < 0)
                        break;
                if (!p->model) {
                        cc_merge_strip_reset(doc);
                        if (p->files.n == 1 && (r = cc_merge_enforce_unicity(doc, err)) < 0)
                                return r;
                        p->model = cc_steal(&doc);
                } else if ((r = cc_merge_project(p->model, doc, err)) < 0) {
                        break;
                }
        }
        for (size_t i = 0; i < p->files.n; i++)
                cc_node_free(docs[i]);
        free(docs);
        if (r < 0)
                return r;
        cc_node_map_del(p->model, "version");
        if (p->model->n == 0)
                return cc_error_set(err, -EINVAL, "empty compose file: %s", p->files.v[0]);
        if (!cc_node_is_map(cc_node_map_get(p->model, "services"))) {
                struct cc_node *s = cc_node_map_get(p->model, "services");
                if (s && !cc_node_is_null(s)) {
                        _cleanup_free_ char *w = cc_pos_str(&s->pos);
                        return cc_error_set(err, -EINVAL, "%s: services must be a mapping", w);
                }
                cc_node_map_set(p->model, "services", NULL, cc_node_new_map(NULL));
        }

        cc_node_map_set(p->model, "name", NULL, cc_node_new_str(p->name, NULL));
        cc__active_profiles(p, o);
        cc_model_apply_profiles(p, o);
        if ((r = cc_model_finish_services(p, o, l.home, err)) < 0)
                return r;
        if (!o->no_normalize) {
                cc_model_default_network(p);
                cc_model_service_defaults(p);
        }
        if ((r = cc_validate_resources(p->model, &p->warnings, err)) < 0)
                return r;
        if (!o->no_normalize)
                cc_model_name_resources(p);
        cc_model_resource_values(p, o, l.home);
        if ((r = cc_validate_services(cc_project_services(p), !o->no_consistency, err)) < 0)
                return r;
        if (!o->no_consistency && (r = cc_model_check_references(p, err)) < 0)
                return r;
        if (!o->no_interpolate && !o->no_env_resolution && (r = cc_model_apply_env_files(p, err)) < 0)
                return r;
        if ((r = cc_model_apply_label_files(p, err)) < 0)
                return r;
        cc_model_order(p);
        if ((r = cc_graph_build_with_disabled(cc_project_services(p), &p->disabled, &p->graph, err)) < 0) {
                /* a dependency on a service left out by profiles reads better as such */
                for (size_t i = 0; i < p->disabled.n; i++) {
                        _cleanup_free_ char *needle = cc_xasprintf("undefined service \"%s\"", p->disabled.v[i]);
                        if (err && err->msg && strstr(err->msg, needle)) {
                                cc_error_prefix(err, "service \"%s\" is disabled by its profiles (enable it with --profile)",
                                                p->disabled.v[i]);
                                break;
                        }
                }
                return r;
        }
        *out = cc_steal(&p);
        return 0;
}

int cc_project_load(const struct cc_load_options *o, struct cc_project **out, struct cc_error *err)
{
        struct cc_strv unset = {0};
        int r = cc__project_load(o, &unset, out, err);
        for (size_t i = 0; r >= 0 && i < unset.n; i++)
                cc_strv_push_owned(&(*out)->warnings,
                                   cc_xasprintf("The \"%s\" variable is not set. Defaulting to a blank string.",
                                                unset.v[i]));
        cc_strv_free(&unset);
        return r;
}

#if defined(__SANITIZE_ADDRESS__)
#define CC_LEAK_CHECKED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CC_LEAK_CHECKED 1
#endif
#endif

void cc_project_free_at_exit(struct cc_project *p)
{
#ifdef CC_LEAK_CHECKED
        cc_project_free(p);
#else
        static struct cc_project *kept;
        kept = p;
        (void) kept;
#endif
}

void cc_project_free(struct cc_project *p)
{
        if (!p)
                return;
        free(p->name);
        free(p->workdir);
        cc_strv_free(&p->files);
        cc_env_free(&p->env);
        cc_strv_free(&p->profiles);
        cc_strv_free(&p->disabled);
        cc_strv_free(&p->warnings);
        cc_node_free(p->model);
        cc_graph_free(&p->graph);
        free(p);
}

char *cc_project_service_image(const struct cc_project *p, const char *service)
{
        struct cc_node *svc = cc_node_map_get(cc_project_services(p), service);
        const char *image = cc_node_map_str(svc, "image");
        if (image && *image)
                return cc_xstrdup(image);
        if (!cc_node_is_map(cc_node_map_get(svc, "build")))
                return NULL;
        return cc_xasprintf("%s-%s", p->name, service);
}

char *cc_project_service_hash(const struct cc_project *p, const char *service)
{
        struct cc_node *svc = cc_node_map_get(cc_project_services(p), service);
        if (!svc)
                return NULL;
        /* What does not change the container is left out, as in docker compose. */
        _cleanup_node_ struct cc_node *c = cc_node_copy(svc);
        cc_node_map_del(c, "build");
        cc_node_map_del(c, "pull_policy");
        cc__norm_sort_hosts(c);
        cc_node_map_del(c, "scale");
        struct cc_node *deploy = cc_node_map_get(c, "deploy");
        if (deploy)
                cc_node_map_del(deploy, "replicas");
        struct cc_buf b = {0};
        cc_emit_json(&b, c, 0);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        EVP_Digest(b.s, b.len, md, &mdlen, EVP_sha256(), NULL);
        cc_buf_free(&b);
        struct cc_buf h = {0};
        for (unsigned int i = 0; i < mdlen; i++)
                cc_buf_printf(&h, "%02x", md[i]);
        return cc_buf_steal(&h);
}
