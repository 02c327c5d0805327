/* The API's images: list, inspect and history read the image store as
 * `ccompose image ls/inspect` read it; pull, push, tag, delete, save, load
 * and prune run ccompose's image commands (api-run.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-internal.h"
#include "logfile.h"
#include "image-cmd.h"
#include "image-store.h"
#include "image.h"
#include "registry.h"
#include "state.h"

static struct cc_image_store *cc__store(struct cc_api_req *r)
{
        struct cc_image_store *s = NULL;
        struct cc_error err = {0};
        if (cc_image_store_open(r->api->opts->root, &s, &err) < 0) {
                if (r)
                        cc_api_reply_error(r, 500, "opening the image store: %s", cc_error_msg(&err));
                cc_error_clear(&err);
                return NULL;
        }
        return s;
}

int cc_api_image_count(struct cc_api *api)
{
        struct cc_image_store *s = NULL;
        struct cc_error err = {0};
        if (cc_image_store_open(api->opts->root, &s, &err) < 0) {
                cc_error_clear(&err);
                return 0;
        }
        struct cc_strv ids = {0};
        cc_image_ids(s, &ids);
        int n = (int) ids.n;
        cc_strv_free(&ids);
        cc_image_store_close(s);
        return n;
}

json_object *cc_api_image_summary(struct cc_image_store *s, const char *id)
{
        struct cc_error err = {0};
        json_object *ins = cc_image_inspect_json(s, id, &err);
        cc_error_clear(&err);
        if (!ins)
                return NULL;
        json_object *o = json_object_new_object(), *v;
        json_object_object_add(o, "Id", json_object_new_string(id));
        json_object_object_add(o, "ParentId", json_object_new_string(""));
        json_object_object_get_ex(ins, "RepoTags", &v);
        json_object_object_add(o, "RepoTags", json_object_get(v));
        json_object_object_get_ex(ins, "RepoDigests", &v);
        json_object_object_add(o, "RepoDigests", json_object_get(v));
        json_object_object_get_ex(ins, "Created", &v);
        time_t created = cc_image_parse_time(json_object_get_string(v));
        json_object_object_add(o, "Created", json_object_new_int64(created < 0 ? 0 : created));
        int64_t size = (int64_t) cc_image_size(s, id);
        json_object_object_add(o, "Size", json_object_new_int64(size));
        json_object_object_add(o, "SharedSize", json_object_new_int(-1));
        json_object_object_add(o, "VirtualSize", json_object_new_int64(size));
        json_object *cfg = NULL, *labels = NULL;
        if (json_object_object_get_ex(ins, "Config", &cfg))
                json_object_object_get_ex(cfg, "Labels", &labels);
        json_object_object_add(o, "Labels", labels ? json_object_get(labels) : json_object_new_object());
        json_object_object_add(o, "Containers", json_object_new_int(-1));
        json_object_put(ins);
        return o;
}

/* docker images --filter: dangling=true|false, label=K[=V] (all must
 * match), reference=PATTERN (a glob on REPO or REPO:TAG; one of them). */
static bool cc__image_match(json_object *o, const struct cc_strv *f)
{
        json_object *tags = json_object_object_get(o, "RepoTags"), *labels = json_object_object_get(o, "Labels");
        size_t nt = cc_api_len(tags);
        bool has_ref = false, ref_ok = false;
        for (size_t i = 0; i + 1 < f->n; i += 2) {
                const char *k = f->v[i], *v = f->v[i + 1];
                if (strcmp(k, "dangling") == 0) {
                        if ((strcmp(v, "true") == 0 || strcmp(v, "1") == 0) != (nt == 0))
                                return false;
                } else if (strcmp(k, "label") == 0) {
                        if (!cc_api_label_match(labels, v))
                                return false;
                } else {
                        has_ref = true;
                        for (size_t t = 0; t < nt && !ref_ok; t++) {
                                const char *tag = json_object_get_string(json_object_array_get_idx(tags, t));
                                const char *colon = strrchr(tag, ':');
                                _cleanup_free_ char *repo = colon && !strchr(colon, '/') ? cc_xstrndup(tag, (size_t) (colon - tag))
                                                                                           : cc_xstrdup(tag);
                                ref_ok = fnmatch(v, tag, 0) == 0 || fnmatch(v, repo, 0) == 0;
                        }
                }
        }
        return !has_ref || ref_ok;
}

void cc_api_images_list(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"all", "digests", "filters", NULL};
        struct cc_strv f = {0};
        if (cc_api_params_check(r, "image list", spec) < 0 || cc_api_filters(r, &f) < 0)
                return;
        for (size_t i = 0; i + 1 < f.n; i += 2)
                if (strcmp(f.v[i], "dangling") != 0 && strcmp(f.v[i], "label") != 0 && strcmp(f.v[i], "reference") != 0) {
                        cc_api_reply_error(r, 400, "the filter %s of the image list is not supported "
                                                   "(dangling, label, reference)", f.v[i]);
                        cc_strv_free(&f);
                        return;
                }
        struct cc_image_store *s = cc__store(r);
        if (!s) {
                cc_strv_free(&f);
                return;
        }
        struct cc_strv ids = {0};
        cc_image_ids(s, &ids);
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < ids.n; i++) {
                json_object *o = cc_api_image_summary(s, ids.v[i]);
                if (o && cc__image_match(o, &f))
                        json_object_array_add(a, o);
                else
                        json_object_put(o);
        }
        cc_strv_free(&ids);
        cc_strv_free(&f);
        cc_image_store_close(s);
        cc_api_reply_json(r, 200, a);
}

void cc_api_image_inspect(struct cc_api_req *r, char **params)
{
        struct cc_image_store *s = cc__store(r);
        if (!s)
                return;
        struct cc_error err = {0};
        _cleanup_free_ char *id = NULL;
        json_object *o = NULL;
        if (cc_image_resolve(s, params[0], &id, NULL, &err) == 0)
                o = cc_image_inspect_json(s, id, &err);
        if (o)
                cc_api_reply_json(r, 200, o);
        else if (err.code == -ENOENT)
                cc_api_reply_error(r, 404, "No such image: %s", params[0]);
        else
                cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
        cc_error_clear(&err);
        cc_image_store_close(s);
}

/* ---- parameters ---- */

int cc_api_params_check(struct cc_api_req *r, const char *what, const char *const *spec)
{
        for (size_t i = 0; i + 1 < r->query.n; i += 2) {
                const char *k = r->query.v[i], *v = r->query.v[i + 1];
                bool ok = false, known = false;
                for (size_t j = 0; spec[j] && !ok; j++) {
                        size_t kl = strcspn(spec[j], ":");
                        if (strlen(k) != kl || strncmp(spec[j], k, kl) != 0)
                                continue;
                        known = true;
                        if (!spec[j][kl]) {
                                ok = true;
                                break;
                        }
                        /* only these values: what a client sends by default */
                        for (const char *p = spec[j] + kl + 1;; p++) {
                                size_t n = strcspn(p, ",");
                                if (strlen(v) == n && strncmp(p, v, n) == 0)
                                        ok = true;
                                p += n;
                                if (!*p || ok)
                                        break;
                        }
                }
                if (!ok) {
                        if (known)
                                cc_api_reply_error(r, 400, "the parameter %s=%s of %s is not supported", k, v, what);
                        else
                                cc_api_reply_error(r, 400, "the parameter %s of %s is not supported", k, what);
                        return -1;
                }
        }
        return 0;
}

/* ---- commands with a JSON progress stream (pull, push, load) ---- */

void cc_api_stream_json(struct cc_api_req *r, json_object *o)
{
        size_t len = 0;
        const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                          &len);
        _cleanup_free_ char *line = cc_xasprintf("%s\r\n", s);
        cc_api_stream_write(r, line, len + 2);
        json_object_put(o);
}

/* ---- events of images ---- */

void cc_api_image_event(struct cc_api *api, const char *action, const char *ref, enum cc_api_image_actor actor)
{
        struct cc_image_store *s = NULL;
        struct cc_image *img = NULL;
        struct cc_error err = {0};
        if (cc_image_store_open(api->opts->root, &s, &err) == 0)
                cc_image_lookup(s, ref, &img, &err);
        cc_error_clear(&err);
        _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
        _cleanup_free_ char *fam = norm && !cc_startswith(ref, "sha256:") ? cc_image_ref_familiar(norm) : NULL;
        const char *id = img ? img->id : ref, *name = id;
        _cleanup_free_ char *repo = NULL;
        if (actor == CC_API_IMAGE_BY_REF && fam) {
                /* pull, push: the reference, and its repository as the name */
                const char *slash = strrchr(fam, '/'), *colon = strrchr(slash ? slash : fam, ':');
                const char *at = strchr(fam, '@');
                repo = cc_xstrndup(fam, at ? (size_t) (at - fam) : colon ? (size_t) (colon - fam) : strlen(fam));
                id = fam;
                name = repo;
        } else if (actor == CC_API_IMAGE_NAME_TAG && fam) {
                name = fam;
        }
        json_object *cfg = img ? json_object_object_get(img->config, "config") : NULL;
        const char *const attrs[] = {"name", name, NULL};
        cc_api_event_object(api, "image", action, id, json_object_object_get(cfg, "Labels"), attrs);
        if (img)
                cc_image_free(img);
        if (s)
                cc_image_store_close(s);
}

/* pull, push, load: the key of their lines, the image and its action */
struct cc__progress {
        const char *key; /* "stream" (load), else NULL: "status" */
        char *ref;
        const char *action;
};

/* {"status": line}, or {"stream": "line\n"} for load and build */
static void cc__progress_line(struct cc_api_run *x, char *line)
{
        struct cc_api_req *r = x->req;
        const struct cc__progress *p = x->data;
        const char *key = p ? p->key : NULL;
        /* pull's last line names the image: the docker CLI prints that itself */
        if (!*line || (!key && !strchr(line, ' ')))
                return;
        if (!r->answered)
                cc_api_stream_begin(r, 200, "application/json");
        json_object *o = json_object_new_object();
        if (key && cc_startswith(line, "Loaded image: ")) {
                /* docker load names the image as docker images shows it */
                _cleanup_free_ char *fam = cc_image_ref_familiar(line + 14);
                _cleanup_free_ char *l = cc_xasprintf("Loaded image: %s\n", fam);
                json_object_object_add(o, key, json_object_new_string(l));
                cc_api_image_event(r->api, "load", line + 14, CC_API_IMAGE_NAME_ID);
        } else if (key) {
                _cleanup_free_ char *l = cc_xasprintf("%s\n", line);
                json_object_object_add(o, key, json_object_new_string(l));
        } else {
                json_object_object_add(o, "status", json_object_new_string(line));
        }
        cc_api_stream_json(r, o);
}

void cc_api_stream_error(struct cc_api_req *r, const char *msg)
{
        json_object *d = json_object_new_object(), *o = json_object_new_object();
        json_object_object_add(d, "message", json_object_new_string(msg));
        json_object_object_add(o, "errorDetail", d);
        json_object_object_add(o, "error", json_object_new_string(msg));
        cc_api_stream_json(r, o);
}

/* Docker's status for a failed image command that has not answered yet. */
static int cc__failure_status(const char *msg)
{
        if (strstr(msg, "No such image") || strstr(msg, "not found") || strstr(msg, "unknown") ||
            strstr(msg, "denied"))
                return 404;
        if (strstr(msg, "conflict"))
                return 409;
        if (strstr(msg, "invalid") || strstr(msg, "Invalid") || strstr(msg, "malformed"))
                return 400;
        return 500;
}

void cc_api_progress_done(struct cc_api_run *x, int64_t code)
{
        struct cc_api_req *r = x->req;
        if (code != 0) {
                _cleanup_free_ char *msg = cc_api_run_message(x);
                if (!r->answered)
                        cc_api_reply_error(r, cc__failure_status(msg), "%s", msg);
                else
                        cc_api_stream_error(r, msg);
                return;
        }
        if (!r->answered)
                cc_api_stream_begin(r, 200, "application/json");
}

/* X-Registry-Auth (base64url of {"username", "password", "serveraddress",
 * "identitytoken"}): with credentials, a DOCKER_CONFIG of the run's own
 * naming them for the registry of ref. 0, or -1 after answering 400. */
static int cc__registry_auth(struct cc_api_run *x, const char *ref)
{
        struct cc_api_req *r = x->req;
        const char *h = r->registry_auth;
        if (!h || !*h)
                return 0;
        _cleanup_free_ char *b = cc_xstrdup(h);
        size_t n = strlen(b);
        for (size_t i = 0; i < n; i++)
                b[i] = b[i] == '-' ? '+' : b[i] == '_' ? '/' : b[i];
        _cleanup_free_ char *padded = cc_xasprintf("%s%s", b, n % 4 == 2 ? "==" : n % 4 == 3 ? "=" : "");
        _cleanup_free_ char *text = cc_base64_decode(padded, NULL);
        json_object *a = text ? json_tokener_parse(text) : NULL;
        if (!json_object_is_type(a, json_type_object)) {
                json_object_put(a);
                cc_api_reply_error(r, 400, "X-Registry-Auth is not base64url-encoded JSON");
                return -1;
        }
        json_object *v;
        const char *user = json_object_object_get_ex(a, "username", &v) ? json_object_get_string(v) : NULL;
        const char *pass = json_object_object_get_ex(a, "password", &v) ? json_object_get_string(v) : NULL;
        const char *token = json_object_object_get_ex(a, "identitytoken", &v) ? json_object_get_string(v) : NULL;
        const char *server = json_object_object_get_ex(a, "serveraddress", &v) ? json_object_get_string(v) : NULL;
        int rc = 0;
        if ((user && *user) || (token && *token)) {
                /* the registry: the reference's domain (docker.io's is Docker's v1 URL) */
                _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
                _cleanup_free_ char *domain = norm ? cc_xstrndup(norm, strcspn(norm, "/")) : cc_xstrdup("docker.io");
                const char *reg = strcmp(domain, "docker.io") == 0 ? "https://index.docker.io/v1/" : domain;
                json_object *entry = json_object_new_object();
                if (token && *token) {
                        json_object_object_add(entry, "identitytoken", json_object_new_string(token));
                } else {
                        _cleanup_free_ char *up = cc_xasprintf("%s:%s", user, pass ? pass : "");
                        _cleanup_free_ char *enc = cc_base64_encode(up, strlen(up));
                        json_object_object_add(entry, "auth", json_object_new_string(enc));
                }
                json_object *auths = json_object_new_object();
                json_object_object_add(auths, reg, json_object_get(entry));
                if (server && *server && strcmp(server, reg) != 0)
                        json_object_object_add(auths, server, json_object_get(entry));
                json_object_put(entry);
                json_object *cfg = json_object_new_object();
                json_object_object_add(cfg, "auths", auths);
                char tmpl[] = "/tmp/ccompose-api-auth-XXXXXX";
                if (!mkdtemp(tmpl)) {
                        cc_api_reply_error(r, 500, "making a directory for the registry credentials: %s", strerror(errno));
                        rc = -1;
                } else {
                        x->tmp = cc_xstrdup(tmpl);
                        _cleanup_free_ char *path = cc_path_join(tmpl, "config.json");
                        const char *t = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
                        if (cc_write_file_atomic(path, t, strlen(t), 0600) < 0) {
                                cc_api_reply_error(r, 500, "writing %s", path);
                                rc = -1;
                        }
                        x->docker_config = x->tmp;
                }
                json_object_put(cfg);
        }
        json_object_put(a);
        return rc;
}

/* The end of a pull, push or load: its event, then as cc_api_progress_done. */
static void cc__progress_done(struct cc_api_run *x, int64_t code)
{
        struct cc__progress *p = x->data;
        if (code == 0 && p->ref)
                cc_api_image_event(x->req->api, p->action, p->ref, CC_API_IMAGE_BY_REF);
        cc_api_progress_done(x, code);
        free(p->ref);
        free(p);
}

static struct cc_api_run *cc__progress_run(struct cc_api_req *r, const char *key, const char *ref, const char *action)
{
        struct cc_api_run *x = cc_api_run_new(r, cc__progress_done);
        struct cc__progress *p = cc_xcalloc(1, sizeof(*p));
        p->key = key;
        p->ref = ref ? cc_xstrdup(ref) : NULL;
        p->action = action;
        x->data = p;
        x->on_line = cc__progress_line;
        return x;
}

/* Start a run whose failure before it answered leaves x to free. */
static void cc__run_or_free(struct cc_api_run *x, const char *const *args, int ok)
{
        if (ok < 0) {
                struct cc__progress *p = x->data;
                free(p->ref);
                free(p);
                if (x->tmp)
                        cc_rm_rf(x->tmp);
                free(x->tmp);
                free(x);
                return;
        }
        cc_api_run(x, args);
}

/* POST /images/create?fromImage=NAME&tag=TAG: pull */
void cc_api_image_create(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"fromImage", "tag", "platform", "fromSrc:", "repo:", "message:", NULL};
        if (cc_api_params_check(r, "image create", spec) < 0)
                return;
        const char *from = cc_api_query(r, "fromImage"), *tag = cc_api_query(r, "tag");
        const char *platform = cc_api_query(r, "platform");
        if (!from || !*from) {
                cc_api_reply_error(r, 400, "fromImage is required (importing with fromSrc is not supported)");
                return;
        }
        _cleanup_free_ char *ref = NULL;
        if (tag && *tag)
                ref = cc_xasprintf("%s%s%s", from, strchr(tag, ':') ? "@" : ":", tag);
        else
                ref = cc_xstrdup(from);
        struct cc_api_run *x = cc__progress_run(r, NULL, ref, "pull");
        int ok = cc__registry_auth(x, ref);
        const char *const args[] = {"image", "pull", ref, platform && *platform ? "--platform" : NULL, platform, NULL};
        cc__run_or_free(x, args, ok);
}

/* POST /images/{name}/push?tag=TAG */
void cc_api_image_push(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"tag", NULL};
        if (cc_api_params_check(r, "image push", spec) < 0)
                return;
        const char *tag = cc_api_query(r, "tag");
        _cleanup_free_ char *ref =
                tag && *tag ? cc_xasprintf("%s%s%s", params[0], strchr(tag, ':') ? "@" : ":", tag) : cc_xstrdup(params[0]);
        struct cc_api_run *x = cc__progress_run(r, NULL, ref, "push");
        int ok = cc__registry_auth(x, ref);
        /* without a tag docker pushes every tag of the repository */
        const char *const args[] = {"image", "push", ref, tag && *tag ? NULL : "--all-tags", NULL};
        cc__run_or_free(x, args, ok);
}

/* POST /images/{name}/tag?repo=REPO&tag=TAG */
static void cc__tagged(struct cc_api_run *x, int64_t code)
{
        char **refs = x->data; /* source, new tag */
        _cleanup_free_ char *src = refs[0], *dst = refs[1];
        free(refs);
        _cleanup_free_ char *msg = code ? cc_api_run_message(x) : NULL;
        if (code == 0)
                cc_api_image_event(x->req->api, "tag", dst, CC_API_IMAGE_NAME_TAG);
        if (code == 0)
                cc_api_reply_empty(x->req, 201);
        else if (cc__failure_status(msg) == 404)
                cc_api_reply_error(x->req, 404, "No such image: %s", src);
        else
                cc_api_reply_error(x->req, cc__failure_status(msg), "%s", msg);
}

void cc_api_image_tag(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"repo", "tag", "force:,0,false", NULL};
        if (cc_api_params_check(r, "image tag", spec) < 0)
                return;
        const char *repo = cc_api_query(r, "repo"), *tag = cc_api_query(r, "tag");
        if (!repo || !*repo) {
                cc_api_reply_error(r, 400, "repository name (repo) is required");
                return;
        }
        _cleanup_free_ char *dst = tag && *tag ? cc_xasprintf("%s:%s", repo, tag) : cc_xstrdup(repo);
        const char *const args[] = {"image", "tag", params[0], dst, NULL};
        struct cc_api_run *x = cc_api_run_new(r, cc__tagged);
        char **refs = cc_xcalloc(2, sizeof(*refs));
        refs[0] = cc_xstrdup(params[0]);
        refs[1] = cc_xstrdup(dst);
        x->data = refs;
        cc_api_run(x, args);
}

/* DELETE /images/{name}?force=&noprune=: [{"Untagged": ...}, {"Deleted": ...}] */
struct cc__rm {
        json_object *items;
        char *id; /* the image's ID before */
};

static void cc__removed_line(struct cc_api_run *x, char *line)
{
        json_object *a = ((struct cc__rm *) x->data)->items;
        const char *v;
        if ((v = cc_startswith(line, "Untagged: ") ? line + 10 : NULL) ||
            (v = cc_startswith(line, "Deleted: ") ? line + 9 : NULL)) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, line[0] == 'U' ? "Untagged" : "Deleted", json_object_new_string(v));
                json_object_array_add(a, o);
        }
}

/* docker's events of a removal's items: untag (of the image's ID: id, else
 * the next item's Deleted ID), delete. */
static void cc__removed_events(struct cc_api *api, json_object *items, const char *id)
{
        for (size_t i = 0; i < cc_api_len(items); i++) {
                json_object *o = json_object_array_get_idx(items, i), *v;
                if (json_object_object_get_ex(o, "Deleted", &v)) {
                        cc_api_image_event(api, "delete", json_object_get_string(v), CC_API_IMAGE_NAME_ID);
                        continue;
                }
                const char *of = id;
                for (size_t k = i + 1; !of && k < cc_api_len(items); k++)
                        if (json_object_object_get_ex(json_object_array_get_idx(items, k), "Deleted", &v))
                                of = json_object_get_string(v);
                if (of && json_object_object_get_ex(o, "Untagged", &v))
                        cc_api_image_event(api, "untag", of, CC_API_IMAGE_NAME_ID);
        }
}

static void cc__removed(struct cc_api_run *x, int64_t code)
{
        struct cc__rm *rm = x->data;
        json_object *a = rm->items;
        _cleanup_free_ char *id = rm->id;
        free(rm);
        if (code == 0) {
                cc__removed_events(x->req->api, a, id);
                cc_api_reply_json(x->req, 200, a);
                return;
        }
        json_object_put(a);
        _cleanup_free_ char *msg = cc_api_run_message(x);
        cc_api_reply_error(x->req, cc__failure_status(msg), "%s", msg);
}

void cc_api_image_remove(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"force", "noprune:,0,false", NULL};
        if (cc_api_params_check(r, "image delete", spec) < 0)
                return;
        struct cc_api_run *x = cc_api_run_new(r, cc__removed);
        x->on_line = cc__removed_line;
        struct cc__rm *rm = cc_xcalloc(1, sizeof(*rm));
        rm->items = json_object_new_array();
        struct cc_image_store *s = NULL;
        struct cc_image *img = NULL;
        struct cc_error err = {0};
        if (cc_image_store_open(r->api->opts->root, &s, &err) == 0 && cc_image_lookup(s, params[0], &img, &err) == 0)
                rm->id = cc_xstrdup(img->id);
        cc_error_clear(&err);
        if (img)
                cc_image_free(img);
        if (s)
                cc_image_store_close(s);
        x->data = rm;
        const char *const args[] = {"image", "rm", params[0], cc_api_query_bool(r, "force", false) ? "-f" : NULL, NULL};
        cc_api_run(x, args);
}

/* ---- history ---- */

static uint64_t cc__du_total;
static int cc__du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        if (flag == FTW_F)
                cc__du_total += (uint64_t) st->st_size;
        return 0;
}

uint64_t cc_api_du(const char *dir)
{
        cc__du_total = 0;
        nftw(dir, cc__du_one, 16, FTW_PHYS);
        return cc__du_total;
}

void cc_api_image_history(struct cc_api_req *r, char **params)
{
        if (r->query.n) {
                cc_api_reply_error(r, 400, "the parameter %s of image history is not supported", r->query.v[0]);
                return;
        }
        struct cc_image_store *s = cc__store(r);
        if (!s)
                return;
        struct cc_error err = {0};
        struct cc_image *img = NULL;
        if (cc_image_lookup(s, params[0], &img, &err) < 0) {
                if (err.code == -ENOENT)
                        cc_api_reply_error(r, 404, "No such image: %s", params[0]);
                else
                        cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
                cc_error_clear(&err);
                cc_image_store_close(s);
                return;
        }
        json_object *cfg = NULL;
        json_object *hist = NULL;
        if (cc_image_config(s, img->id, &cfg, &err) == 0)
                hist = cc_image_json_member(cfg, "history", json_type_array);
        cc_error_clear(&err);
        struct cc_strv tags = {0};
        cc_image_tags_of(s, img->id, &tags);
        json_object *a = json_object_new_array();
        size_t nh = hist ? json_object_array_length(hist) : 0, layer = 0;
        /* oldest first in the config; newest first in the answer */
        json_object **items = cc_xcalloc(nh + 1, sizeof(*items));
        /* layers without a history entry (an image made without one) are the lowest */
        size_t filled = 0;
        for (size_t i = 0; i < nh; i++) {
                json_object *v;
                if (!(json_object_object_get_ex(json_object_array_get_idx(hist, i), "empty_layer", &v) &&
                      json_object_get_boolean(v)))
                        filled++;
        }
        if (filled < img->layer_dirs.n)
                layer = img->layer_dirs.n - filled;
        for (size_t i = 0; i < nh; i++) {
                json_object *h = json_object_array_get_idx(hist, i), *v;
                bool empty = json_object_object_get_ex(h, "empty_layer", &v) && json_object_get_boolean(v);
                json_object *o = json_object_new_object();
                json_object_object_add(o, "Id", json_object_new_string("<missing>"));
                time_t t = json_object_object_get_ex(h, "created", &v) ? cc_image_parse_time(json_object_get_string(v)) : 0;
                json_object_object_add(o, "Created", json_object_new_int64(t < 0 ? 0 : t));
                json_object_object_add(o, "CreatedBy", json_object_new_string(
                        json_object_object_get_ex(h, "created_by", &v) ? json_object_get_string(v) : ""));
                json_object_object_add(o, "Tags", NULL);
                uint64_t size = 0;
                if (!empty && layer < img->layer_dirs.n)
                        size = cc_api_du(img->layer_dirs.v[layer++]);
                json_object_object_add(o, "Size", json_object_new_int64((int64_t) size));
                json_object_object_add(o, "Comment", json_object_new_string(
                        json_object_object_get_ex(h, "comment", &v) ? json_object_get_string(v) : ""));
                items[i] = o;
        }
        for (size_t i = nh; i-- > 0;) {
                if (i == nh - 1) {
                        json_object_object_add(items[i], "Id", json_object_new_string(img->id));
                        json_object *t = json_object_new_array();
                        for (size_t k = 0; k < tags.n; k++) {
                                _cleanup_free_ char *fam = cc_image_ref_familiar(tags.v[k]);
                                json_object_array_add(t, json_object_new_string(fam));
                        }
                        json_object_object_add(items[i], "Tags", t);
                }
                json_object_array_add(a, items[i]);
        }
        free(items);
        cc_strv_free(&tags);
        json_object_put(cfg);
        cc_image_free(img);
        cc_image_store_close(s);
        cc_api_reply_json(r, 200, a);
}

/* ---- save and load ---- */

static void cc__tar_data(struct cc_api_run *x, const char *data, size_t n)
{
        if (!x->req->answered)
                cc_api_stream_begin(x->req, 200, "application/x-tar");
        cc_api_stream_write(x->req, data, n);
}

static void cc__saved(struct cc_api_run *x, int64_t code)
{
        struct cc_api_req *r = x->req;
        _cleanup_free_ char *msg = code ? cc_api_run_message(x) : NULL;
        if (code && !r->answered)
                cc_api_reply_error(r, cc__failure_status(msg), "%s", msg);
        else if (code)
                r->keep_alive = false; /* a tar cut short: the client sees the connection end */
        else if (!r->answered)
                cc_api_stream_begin(r, 200, "application/x-tar");
        struct cc_strv *names = x->data;
        for (size_t i = 0; code == 0 && i < names->n; i++)
                cc_api_image_event(r->api, "save", names->v[i], CC_API_IMAGE_NAME_ID);
        cc_strv_free(names);
        free(names);
}

static void cc__save(struct cc_api_req *r, const struct cc_strv *names)
{
        struct cc_strv args = {0};
        cc_strv_push(&args, "image");
        cc_strv_push(&args, "save");
        for (size_t i = 0; i < names->n; i++)
                cc_strv_push(&args, names->v[i]);
        cc_strv_push_owned(&args, NULL);
        struct cc_api_run *x = cc_api_run_new(r, cc__saved);
        struct cc_strv *copy = cc_xcalloc(1, sizeof(*copy));
        for (size_t i = 0; i < names->n; i++)
                cc_strv_push(copy, names->v[i]);
        x->data = copy;
        x->on_data = cc__tar_data;
        x->kill_on_abort = true;
        cc_api_run(x, (const char *const *) args.v);
        cc_strv_free(&args);
}

/* GET /images/{name}/get */
void cc_api_image_get(struct cc_api_req *r, char **params)
{
        if (r->query.n) {
                cc_api_reply_error(r, 400, "the parameter %s of image get is not supported", r->query.v[0]);
                return;
        }
        struct cc_strv names = {0};
        cc_strv_push(&names, params[0]);
        cc__save(r, &names);
        cc_strv_free(&names);
}

/* GET /images/get?names=A&names=B */
void cc_api_images_get(struct cc_api_req *r, char **params)
{
        struct cc_strv names = {0};
        for (size_t i = 0; i + 1 < r->query.n; i += 2) {
                if (strcmp(r->query.v[i], "names") != 0) {
                        cc_api_reply_error(r, 400, "the parameter %s of image get is not supported", r->query.v[i]);
                        cc_strv_free(&names);
                        return;
                }
                cc_strv_push(&names, r->query.v[i + 1]);
        }
        if (names.n == 0)
                cc_api_reply_error(r, 400, "no image names given (names=)");
        else
                cc__save(r, &names);
        cc_strv_free(&names);
}

/* POST /images/load (a tar body): {"stream": "Loaded image: ...\n"} */
void cc_api_images_load(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"quiet", NULL};
        if (cc_api_params_check(r, "image load", spec) < 0)
                return;
        if (r->body.len == 0) {
                cc_api_reply_error(r, 400, "the request has no body (an image archive is expected)");
                return;
        }
        /* the archive, spooled to a file by the server, is its stdin */
        int fd = r->body_fd >= 0 && lseek(r->body_fd, 0, SEEK_SET) == 0 ? fcntl(r->body_fd, F_DUPFD_CLOEXEC, 0) : -1;
        if (fd < 0) {
                cc_api_reply_error(r, 500, "reading the archive: %s", strerror(errno));
                return;
        }
        struct cc_api_run *x = cc__progress_run(r, "stream", NULL, "load");
        x->input_fd = fd;
        const char *const args[] = {"image", "load", NULL};
        cc_api_run(x, args);
}

/* ---- prune ---- */

static void cc__pruned(struct cc_api_run *x, int64_t code)
{
        struct cc__rm *rm = x->data;
        json_object *a = rm->items;
        free(rm);
        if (code == 0)
                cc__removed_events(x->req->api, a, NULL);
        if (code != 0) {
                json_object_put(a);
                _cleanup_free_ char *msg = cc_api_run_message(x);
                cc_api_reply_error(x->req, 500, "%s", msg);
                return;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ImagesDeleted", a);
        json_object_object_add(o, "SpaceReclaimed", json_object_new_int64((int64_t) x->space));
        cc_api_reply_json(x->req, 200, o);
}

/* Does image id pass prune's until (created before) and label filters? */
static bool cc__prune_wanted(struct cc_image_store *s, const char *id, const struct cc_strv *f,
                             const struct timespec *until)
{
        struct cc_error err = {0};
        json_object *ins = cc_image_inspect_json(s, id, &err), *v = NULL, *cfg = NULL;
        cc_error_clear(&err);
        if (!ins)
                return false;
        json_object_object_get_ex(ins, "Created", &v);
        time_t created = cc_image_parse_time(json_object_get_string(v));
        json_object_object_get_ex(ins, "Config", &cfg);
        bool ok = (!until || (created >= 0 && created <= until->tv_sec)) &&
                  cc_api_prune_labels(f, json_object_object_get(cfg, "Labels"));
        json_object_put(ins);
        return ok;
}

/* POST /images/prune?filters={"dangling":["false"]}: the images no
 * container uses, untagged ones only unless dangling=false; until, label. */
void cc_api_images_prune(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"filters", NULL};
        static const char *const keys[] = {"dangling", "until", "label", "label!", NULL};
        struct cc_strv f = {0};
        struct timespec until = {0};
        bool all = false, has_until = false;
        if (cc_api_params_check(r, "image prune", spec) < 0 || cc_api_filters(r, &f) < 0)
                return;
        if (cc_api_prune_filters(r, &f, keys, &until, &has_until) < 0) {
                cc_strv_free(&f);
                return;
        }
        for (size_t i = 0; i + 1 < f.n; i += 2) {
                const char *v = f.v[i + 1];
                if (strcmp(f.v[i], "dangling") != 0)
                        continue;
                bool t = strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "True") == 0;
                if (!t && strcmp(v, "false") != 0 && strcmp(v, "0") != 0 && strcmp(v, "False") != 0) {
                        cc_api_reply_error(r, 400, "invalid filter 'dangling=[%s]'", v);
                        cc_strv_free(&f);
                        return;
                }
                all = !t;
        }
        struct cc_image_store *s = cc__store(r);
        if (!s) {
                cc_strv_free(&f);
                return;
        }
        struct cc_api_ctrs cs;
        cc_api_ctrs_load(r->api, &cs);
        struct cc_strv ids = {0}, victims = {0};
        cc_image_ids(s, &ids);
        for (size_t i = 0; i < ids.n; i++) {
                bool used = false;
                for (size_t k = 0; k < cs.n && !used; k++)
                        used = cs.v[k].ct->image_id && strcmp(cs.v[k].ct->image_id, ids.v[i]) == 0;
                struct cc_strv tags = {0};
                cc_image_tags_of(s, ids.v[i], &tags);
                if (!used && (all || tags.n == 0) && cc__prune_wanted(s, ids.v[i], &f, has_until ? &until : NULL))
                        cc_strv_push(&victims, ids.v[i]);
                cc_strv_free(&tags);
        }
        cc_strv_free(&f);
        cc_api_ctrs_free(&cs);
        cc_strv_free(&ids);
        uint64_t before = 0;
        for (size_t i = 0; i < victims.n; i++)
                before += cc_image_size(s, victims.v[i]);
        cc_image_store_close(s);
        if (victims.n == 0) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "ImagesDeleted", NULL);
                json_object_object_add(o, "SpaceReclaimed", json_object_new_int64(0));
                cc_api_reply_json(r, 200, o);
                cc_strv_free(&victims);
                return;
        }
        struct cc_strv args = {0};
        cc_strv_push(&args, "image");
        cc_strv_push(&args, "rm");
        cc_strv_push(&args, "-f");
        for (size_t i = 0; i < victims.n; i++)
                cc_strv_push(&args, victims.v[i]);
        cc_strv_push_owned(&args, NULL);
        struct cc_api_run *x = cc_api_run_new(r, cc__pruned);
        struct cc__rm *rm = cc_xcalloc(1, sizeof(*rm));
        rm->items = json_object_new_array();
        x->on_line = cc__removed_line;
        x->data = rm;
        x->space = before;
        cc_api_run(x, (const char *const *) args.v);
        cc_strv_free(&args);
        cc_strv_free(&victims);
}

/* ---- POST /auth (docker login) ---- */

static void cc__logged_in(struct cc_api_run *x, int64_t code)
{
        if (code != 0) {
                _cleanup_free_ char *msg = cc_api_run_message(x);
                cc_api_reply_error(x->req, 401, "%s", msg);
                return;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Status", json_object_new_string("Login Succeeded"));
        json_object_object_add(o, "IdentityToken", json_object_new_string(""));
        cc_api_reply_json(x->req, 200, o);
}

/* The credentials are checked against the registry by ccompose login (in
 * a DOCKER_CONFIG of its own, removed after: the client keeps them and
 * sends them with each pull and push, X-Registry-Auth). */
void cc_api_auth(struct cc_api_req *r, char **params)
{
        json_object *body = cc_api_body_json(r);
        if (!body)
                return;
        const char *user = json_object_get_string(json_object_object_get(body, "username"));
        const char *pass = json_object_get_string(json_object_object_get(body, "password"));
        const char *server = json_object_get_string(json_object_object_get(body, "serveraddress"));
        char tmpl[] = "/tmp/ccompose-api-auth-XXXXXX";
        struct cc_api_run *x = NULL;
        int fd = -1;
        json_object_object_foreach(body, k, v)
        {
                if (strcmp(k, "username") != 0 && strcmp(k, "password") != 0 && strcmp(k, "serveraddress") != 0 &&
                    strcmp(k, "email") != 0 && !(json_object_is_type(v, json_type_string) && !*json_object_get_string(v))) {
                        cc_api_reply_error(r, 400, "the field %s of a login is not supported (username and password)", k);
                        goto out;
                }
        }
        if (!user || !*user || !pass || !*pass) {
                cc_api_reply_error(r, 400, "a login needs a username and a password");
                goto out;
        }
        if (!mkdtemp(tmpl)) {
                cc_api_reply_error(r, 500, "making a directory for the login: %s", strerror(errno));
                goto out;
        }
        x = cc_api_run_new(r, cc__logged_in);
        x->tmp = cc_xstrdup(tmpl);
        x->docker_config = x->tmp;
        {
                /* the password on stdin, not in the arguments */
                _cleanup_free_ char *pp = cc_path_join(tmpl, "password");
                int e = cc_write_file_atomic(pp, pass, strlen(pass), 0600);
                fd = e < 0 ? -1 : open(pp, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        cc_api_reply_error(r, 500, "writing %s: %s", pp, strerror(e < 0 ? -e : errno));
                        cc_rm_rf(x->tmp);
                        free(x->tmp);
                        free(x);
                        goto out;
                }
                unlink(pp);
        }
        x->input_fd = fd;
        /* Docker Hub's address as the docker CLI sends it is the default */
        bool hub = !server || !*server || strstr(server, "index.docker.io");
        const char *const args[] = {"login", "-u", user, "--password-stdin", hub ? NULL : server, NULL};
        cc_api_run(x, args);
out:
        json_object_put(body);
}
