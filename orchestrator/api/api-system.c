/* The API's container rename and prune, and /system/df. rename goes to
 * the project's supervisor (which owns the state while it runs) or, with
 * none, to the state file under the project lock. prune takes down the
 * API's stopped containers' projects (`ccompose down`, as DELETE does);
 * compose containers are left to ccompose's commands. df sums the image
 * store's layers, the containers' own layers and the volumes (cc_api_du). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>

#include "api-internal.h"
#include "image-store.h"
#include "image.h"
#include "logfile.h"
#include "state.h"
#include "supervisor.h"

static json_object *cc__get(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* ---- rename ---- */

/* Without a supervisor: the state file, under the project lock. */
static int cc__rename_offline(struct cc_api *api, const char *project, const char *id, const char *name,
                              struct cc_error *err)
{
        int lock = cc_state_lock(api->opts->runtime_dir, project, true, err);
        if (lock < 0)
                return lock;
        struct cc_state *st = NULL;
        int r = cc_state_load(api->opts->runtime_dir, project, &st, err);
        struct cc_ctr_state *ct = r == 0 ? cc_state_find(st, id) : NULL;
        if (r == 0 && !ct)
                r = cc_error_set(err, -ENOENT, "no such container: %s", id);
        if (ct) {
                free(ct->name);
                ct->name = cc_xstrdup(name);
                r = cc_state_save(api->opts->runtime_dir, st, err);
        }
        cc_state_free(st);
        cc_state_unlock(lock);
        return r;
}

/* An API container's record keeps its name for inspect. */
static void cc__rename_record(struct cc_api *api, const char *project, const char *name)
{
        _cleanup_free_ char *dir = cc_state_dir(api->opts->runtime_dir, project);
        _cleanup_free_ char *path = cc_path_join(dir, CC_API_RECORD);
        json_object *rec = json_object_from_file(path);
        if (!rec)
                return;
        json_object_object_add(rec, "Name", json_object_new_string(name));
        const char *t = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
        cc_write_file_atomic(path, t, strlen(t), 0600);
        json_object_put(rec);
}

/* A rename while the container's supervisor comes up (a create just
 * answered): asked of it once it is up, as its own state would not keep
 * a change made beside it. */
struct cc__rename {
        struct cc_api_task task;
        struct cc_api_req *req;
        char *project, *old, *name;
        bool api;
};

static void cc__rename_abort(struct cc_api_task *t)
{
        /* the rename still happens; its answer goes nowhere */
}

static void cc__renamed(void *data, int64_t code, const char *msg)
{
        struct cc__rename *x = data;
        if (code == 0) {
                if (x->api)
                        cc__rename_record(x->req->api, x->project, x->name);
                cc_api_reply_empty(x->req, 204);
        } else {
                cc_api_reply_error(x->req, 500, "renaming %s to %s: %s", x->old, x->name, msg);
        }
        cc_api_done(x->req);
        free(x->project);
        free(x->old);
        free(x->name);
        free(x);
}

static void cc__rename_later(struct cc_api_req *r, const struct cc_api_ctr *c, const char *name)
{
        struct cc__rename *x = cc_xcalloc(1, sizeof(*x));
        x->task.abort = cc__rename_abort;
        x->req = r;
        x->project = cc_xstrdup(c->st->project);
        x->old = cc_xstrdup(c->ct->name);
        x->name = cc_xstrdup(name);
        x->api = c->api != NULL;
        r->task = &x->task;
        json_object *req = json_object_new_object();
        json_object_object_add(req, "op", json_object_new_string("rename"));
        json_object_object_add(req, "id", json_object_new_string(c->ct->id));
        json_object_object_add(req, "name", json_object_new_string(name));
        cc_api_sup_request(r->api, x->project, json_object_to_json_string(req), cc__renamed, x);
        json_object_put(req);
}

void cc_api_container_rename(struct cc_api_req *r, char **params)
{
        const char *q = cc_api_query(r, "name");
        const char *name = q && q[0] == '/' ? q + 1 : q;
        if (!name || !*name) {
                cc_api_reply_error(r, 400, "Neither old nor new names may be empty");
                return;
        }
        /* as dockerd: the container first, then the new name */
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, params[0]);
        if (c && !cc_api_name_valid(name)) {
                cc_api_reply_error(r, 400, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
                c = NULL;
        }
        for (size_t i = 0; c && i < cs.n; i++)
                if (strcmp(cs.v[i].ct->name, name) == 0) {
                        if (&cs.v[i] == c)
                                cc_api_reply_error(r, 400, "Renaming a container with the same name as its current name");
                        else
                                cc_api_reply_error(r, 409,
                                                   "Error when allocating new name: Conflict. The container name "
                                                   "\"/%s\" is already in use by container "
                                                   "\"%s\". You have to remove (or rename) that container to be able "
                                                   "to reuse that name.",
                                                   name, cs.v[i].ct->id);
                        c = NULL;
                }
        if (c && cc_api_creating(r->api, c->st->project)) {
                cc__rename_later(r, c, name);
        } else if (c) {
                struct cc_error err = {0};
                int e;
                if (cc_sup_alive(c->st)) {
                        struct cc_cli cli = {.root = r->api->opts->root, .runtime_dir = r->api->opts->runtime_dir};
                        json_object *req = json_object_new_object();
                        json_object_object_add(req, "op", json_object_new_string("rename"));
                        json_object_object_add(req, "id", json_object_new_string(c->ct->id));
                        json_object_object_add(req, "name", json_object_new_string(name));
                        int code = 0;
                        e = cc_sup_request(&cli, c->st->project, json_object_to_json_string(req), &code, &err);
                        if (e == 0 && code != 0)
                                e = cc_error_set(&err, -EIO, "the supervisor of %s refused it", c->st->project);
                        json_object_put(req);
                } else {
                        e = cc__rename_offline(r->api, c->st->project, c->ct->id, name, &err);
                        /* the event its supervisor would have written */
                        json_object *base = e == 0 ? cc_api_event_base(c) : NULL;
                        if (base) {
                                json_object_object_add(cc__get(base, "attributes"), "name", json_object_new_string(name));
                                const char *const attrs[] = {"oldName", c->ct->name, NULL};
                                cc_api_event_log(r->api, base, "rename", attrs);
                                json_object_put(base);
                        }
                }
                if (e < 0) {
                        cc_api_reply_error(r, 500, "renaming %s to %s: %s", c->ct->name, name, cc_error_msg(&err));
                } else {
                        if (c->api)
                                cc__rename_record(r->api, c->st->project, name);
                        cc_api_reply_empty(r, 204);
                }
                cc_error_clear(&err);
        }
        cc_api_ctrs_free(&cs);
}

/* ---- prune ---- */

struct cc__prune {
        struct cc_api_task task;
        struct cc_api_req *req;
        int pending;
        json_object *deleted;
        int64_t reclaimed;
        struct cc_strv errors;
};

struct cc__prune_one {
        struct cc__prune *p;
        char *id;
        int64_t size;
};

/* One fewer to wait for; the last answers. */
static void cc__prune_release(struct cc__prune *p)
{
        if (--p->pending > 0)
                return;
        struct cc_api_req *r = p->req;
        if (p->errors.n) {
                /* as dockerd: the first error; what was removed stays removed */
                cc_api_reply_error(r, 500, "removing containers: %s", p->errors.v[0]);
                json_object_put(p->deleted);
        } else {
                json_object *o = json_object_new_object();
                bool none = json_object_array_length(p->deleted) == 0;
                if (none)
                        json_object_put(p->deleted);
                json_object_object_add(o, "ContainersDeleted", none ? NULL : p->deleted);
                json_object_object_add(o, "SpaceReclaimed", json_object_new_int64(p->reclaimed));
                cc_api_reply_json(r, 200, o);
        }
        cc_strv_free(&p->errors);
        free(p);
        cc_api_done(r);
}

static void cc__prune_done(void *data, int64_t code, const char *message)
{
        struct cc__prune_one *one = data;
        struct cc__prune *p = one->p;
        if (code == 0) {
                json_object_array_add(p->deleted, json_object_new_string(one->id));
                p->reclaimed += one->size;
        } else {
                cc_strv_push_owned(&p->errors, cc_xasprintf("%.12s: %s", one->id, message));
        }
        free(one->id);
        free(one);
        cc__prune_release(p);
}

/* The downs run to their end: a client that left gets no answer. */
static void cc__prune_abort(struct cc_api_task *t)
{
}

bool cc_api_prune_labels(const struct cc_strv *f, json_object *labels)
{
        for (size_t i = 0; i + 1 < f->n; i += 2) {
                bool neg = strcmp(f->v[i], "label!") == 0;
                if (!neg && strcmp(f->v[i], "label") != 0)
                        continue;
                const char *want = f->v[i + 1], *eq = strchr(want, '=');
                _cleanup_free_ char *key = eq ? cc_xstrndup(want, (size_t) (eq - want)) : cc_xstrdup(want);
                json_object *v = cc__get(labels, key);
                bool has = v && (!eq || strcmp(json_object_get_string(v), eq + 1) == 0);
                if (has == neg)
                        return false;
        }
        return true;
}

int cc_api_prune_filters(struct cc_api_req *r, const struct cc_strv *f, const char *const *keys, struct timespec *until,
                         bool *has_until)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        *has_until = false;
        for (size_t i = 0; i + 1 < f->n; i += 2) {
                bool known = false;
                for (size_t k = 0; keys[k] && !known; k++)
                        known = strcmp(f->v[i], keys[k]) == 0;
                if (!known) {
                        cc_api_reply_error(r, 400, "Invalid filter '%s'", f->v[i]);
                        return -1;
                }
                if (strcmp(f->v[i], "until") != 0)
                        continue;
                char *end;
                long long secs = strtoll(f->v[i + 1], &end, 10);
                if (end != f->v[i + 1] && (!*end || *end == '.'))
                        *until = (struct timespec){.tv_sec = secs};
                else if (cc_log_parse_time(f->v[i + 1], &now, until) < 0) {
                        cc_api_reply_error(r, 400, "failed to parse value as time or duration: \"%s\"", f->v[i + 1]);
                        return -1;
                }
                *has_until = true;
        }
        return 0;
}

void cc_api_containers_prune(struct cc_api_req *r, char **params)
{
        static const char *const keys[] = {"until", "label", "label!", NULL};
        struct cc_strv f = {0};
        struct timespec until = {0};
        bool has_until = false;
        if (cc_api_filters(r, &f) < 0)
                return;
        if (cc_api_prune_filters(r, &f, keys, &until, &has_until) < 0) {
                cc_strv_free(&f);
                return;
        }
        struct cc_api_ctrs cs;
        cc_api_ctrs_load(r->api, &cs);
        struct cc__prune *p = cc_xcalloc(1, sizeof(*p));
        p->req = r;
        p->deleted = json_object_new_array();
        p->pending = 1; /* held until every down is started */
        p->task.abort = cc__prune_abort;
        r->task = &p->task;
        for (size_t i = 0; i < cs.n; i++) {
                const struct cc_api_ctr *c = &cs.v[i];
                enum cc_ctr_status s = c->ct->status;
                if (!c->api || s == CC_CTR_RUNNING || s == CC_CTR_PAUSED || s == CC_CTR_RESTARTING ||
                    cc_strv_contains(&r->api->reaping, c->st->project) ||
                    (has_until && c->ct->created > until.tv_sec) ||
                    !cc_api_prune_labels(&f, cc__get(cc__get(c->api, "Config"), "Labels")))
                        continue;
                struct cc__prune_one *one = cc_xcalloc(1, sizeof(*one));
                one->p = p;
                one->id = cc_xstrdup(c->ct->id);
                _cleanup_free_ char *upper = cc_xasprintf("%s/containers/%s/upper", r->api->opts->root, c->ct->id);
                one->size = (int64_t) cc_api_du(upper);
                p->pending++;
                static const char *const args[] = {"down", "-t", "0", NULL};
                cc_api_command(r->api, c->st->project, args, cc__prune_done, one);
        }
        cc_api_ctrs_free(&cs);
        cc_strv_free(&f);
        cc__prune_release(p); /* the share held while they were started */
}

/* ---- df ---- */

/* A volume's RefCount for /system/df: the API containers' mounts of it,
 * -1 when a compose stack's container may mount it. */
static int cc__volume_refs(const struct cc_api_ctrs *cs, json_object *mounts, const char *name)
{
        int n = 0;
        for (size_t i = 0; i < cc_api_len(mounts); i++) {
                const char *v = json_object_get_string(json_object_object_get(json_object_array_get_idx(mounts, i), "Name"));
                n += v && strcmp(v, name) == 0;
        }
        for (size_t i = 0; n == 0 && i < cs->n; i++) {
                size_t l = strlen(cs->v[i].st->project);
                if (!cs->v[i].api && strncmp(name, cs->v[i].st->project, l) == 0 && name[l] == '_')
                        return -1;
        }
        return n;
}

void cc_api_system_df(struct cc_api_req *r, char **params)
{
        const char *root = r->api->opts->root;
        struct cc_api_ctrs cs;
        cc_api_ctrs_load(r->api, &cs);
        long long now = (long long) time(NULL);
        /* images, with how many containers use each */
        json_object *images = json_object_new_array();
        struct cc_image_store *s = NULL;
        struct cc_error err = {0};
        if (cc_image_store_open(root, &s, &err) == 0) {
                struct cc_strv ids = {0};
                cc_image_ids(s, &ids);
                for (size_t i = 0; i < ids.n; i++) {
                        json_object *o = cc_api_image_summary(s, ids.v[i]);
                        if (!o)
                                continue;
                        int n = 0;
                        for (size_t k = 0; k < cs.n; k++)
                                n += cs.v[k].ct->image_id && strcmp(ids.v[i], cs.v[k].ct->image_id) == 0;
                        json_object_object_add(o, "Containers", json_object_new_int(n));
                        json_object_object_add(o, "SharedSize", json_object_new_int(0));
                        json_object_array_add(images, o);
                }
                cc_strv_free(&ids);
                cc_image_store_close(s);
        }
        cc_error_clear(&err);
        /* containers, with their own layer's size */
        json_object *ctrs = json_object_new_array();
        for (size_t i = 0; i < cs.n; i++) {
                json_object *o = cc_api_ctr_summary(r->api, &cs.v[i], now);
                _cleanup_free_ char *upper = cc_xasprintf("%s/containers/%s/upper", root, cs.v[i].ct->id);
                int64_t rw = (int64_t) cc_api_du(upper);
                json_object_object_add(o, "SizeRw", json_object_new_int64(rw));
                json_object_object_add(o, "SizeRootFs", json_object_new_int64(rw));
                json_object_array_add(ctrs, o);
        }
        /* volumes: RefCount, the API containers that mount it; -1 (as
         * dockerd when it cannot tell) for one a compose stack's containers
         * may mount (named <project>_...) */
        json_object *mounts = json_object_new_array();
        for (size_t i = 0; i < cs.n; i++) {
                json_object *m = cc_api_ctr_mounts(r->api, &cs.v[i]);
                for (size_t k = 0; k < cc_api_len(m); k++)
                        json_object_array_add(mounts, json_object_get(json_object_array_get_idx(m, k)));
                json_object_put(m);
        }
        json_object *vols = json_object_new_array();
        _cleanup_free_ char *vdir = cc_path_join(root, "volumes");
        DIR *d = opendir(vdir);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *data = cc_xasprintf("%s/%s/_data", vdir, de->d_name);
                struct stat st;
                if (stat(data, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                json_object *o = json_object_new_object(), *use = json_object_new_object();
                json_object_object_add(o, "Name", json_object_new_string(de->d_name));
                json_object_object_add(o, "Driver", json_object_new_string("local"));
                json_object_object_add(o, "Mountpoint", json_object_new_string(data));
                json_object_object_add(o, "Labels", json_object_new_object());
                json_object_object_add(o, "Scope", json_object_new_string("local"));
                json_object_object_add(o, "Options", NULL);
                json_object_object_add(use, "Size", json_object_new_int64((int64_t) cc_api_du(data)));
                json_object_object_add(use, "RefCount", json_object_new_int(cc__volume_refs(&cs, mounts, de->d_name)));
                json_object_object_add(o, "UsageData", use);
                json_object_array_add(vols, o);
        }
        if (d)
                closedir(d);
        _cleanup_free_ char *layers = cc_path_join(root, "layers");
        json_object *o = json_object_new_object();
        json_object_object_add(o, "LayersSize", json_object_new_int64((int64_t) cc_api_du(layers)));
        json_object_object_add(o, "Images", images);
        json_object_object_add(o, "Containers", ctrs);
        json_object_object_add(o, "Volumes", vols);
        json_object_object_add(o, "BuildCache", json_object_new_array());
        json_object_put(mounts);
        cc_api_ctrs_free(&cs);
        cc_api_reply_json(r, 200, o);
}
