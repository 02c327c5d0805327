/* The API's container reads: list (with docker's filters), inspect and
 * logs (docker's 8-byte multiplexed framing without a tty; follow),
 * from the same state files and json-file logs as `ccompose ps` and
 * `ccompose logs`. Compose containers carry the com.docker.compose.*
 * labels docker compose writes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "api-internal.h"
#include "logfile.h"
#include "ps-format.h"
#include "state.h"
#include "supervisor.h"

/* ---- the containers of every project ---- */

struct cc_state *cc_api_state_load(struct cc_api *api, const char *project)
{
        struct cc_error err = {0};
        struct cc_state *st = NULL;
        if (cc_state_load(api->opts->runtime_dir, project, &st, &err) < 0) {
                cc_error_clear(&err);
                return NULL;
        }
        if (!cc_sup_alive(st))
                cc_state_refresh(api->opts->runtime_dir, st);
        return st;
}

/* The API records (api.json) parsed before, by project. create writes
 * one, rename a new one (a new file, renamed in): it is parsed again only
 * when its file changed (another inode, size or time). Every request that
 * names a container, the container list and the AutoRemove reaper (every
 * 200 ms) read them all. */
struct cc_api_rec {
        char *project;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        json_object *rec;
        bool seen;
};

static bool cc__rec_same(const struct cc_api_rec *e, const struct stat *st)
{
        return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
               e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Project's record (a new reference), or NULL (a compose project). */
static json_object *cc__record(struct cc_api *api, const char *project)
{
        _cleanup_free_ char *dir = cc_state_dir(api->opts->runtime_dir, project);
        _cleanup_free_ char *path = cc_path_join(dir, CC_API_RECORD);
        struct stat st;
        if (stat(path, &st) < 0)
                return NULL;
        struct cc_api_rec *e = NULL;
        for (size_t i = 0; i < api->n_recs && !e; i++)
                if (strcmp(api->recs[i].project, project) == 0)
                        e = &api->recs[i];
        if (e && cc__rec_same(e, &st)) {
                e->seen = true;
                return json_object_get(e->rec);
        }
        _cleanup_free_ char *text = NULL;
        size_t len;
        json_object *rec = cc_read_file(path, &text, &len) == 0 ? json_tokener_parse(text) : NULL;
        if (!rec)
                return NULL;
        if (!e) {
                api->recs = cc_xrealloc(api->recs, (api->n_recs + 1) * sizeof(*api->recs));
                e = &api->recs[api->n_recs++];
                *e = (struct cc_api_rec){.project = cc_xstrdup(project)};
        }
        json_object_put(e->rec);
        e->rec = json_object_get(rec);
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        e->size = st.st_size;
        e->mtime = st.st_mtim;
        e->seen = true;
        return rec;
}

/* After a look at every project: the records of the projects gone go. */
static void cc__records_prune(struct cc_api *api)
{
        size_t k = 0;
        for (size_t i = 0; i < api->n_recs; i++) {
                struct cc_api_rec *e = &api->recs[i];
                if (e->seen) {
                        e->seen = false;
                        api->recs[k++] = *e;
                } else {
                        free(e->project);
                        json_object_put(e->rec);
                }
        }
        api->n_recs = k;
}

void cc_api_records_free(struct cc_api *api)
{
        for (size_t i = 0; i < api->n_recs; i++)
                api->recs[i].seen = false;
        cc__records_prune(api);
        free(api->recs);
        api->recs = NULL;
}

void cc_api_ctrs_load_where(struct cc_api *api, bool (*want)(json_object *rec), struct cc_api_ctrs *out)
{
        memset(out, 0, sizeof(*out));
        struct cc_strv projects = {0};
        cc_state_list_projects(api->opts->runtime_dir, &projects);
        out->states = cc_xcalloc(projects.n + 1, sizeof(*out->states));
        size_t cap = 0;
        for (size_t i = 0; i < projects.n; i++) {
                json_object *rec = cc__record(api, projects.v[i]);
                struct cc_state *st = !want || want(rec) ? cc_api_state_load(api, projects.v[i]) : NULL;
                if (!st) {
                        json_object_put(rec);
                        continue;
                }
                out->states[out->n_states++] = st;
                for (size_t k = 0; k < st->n_ctrs; k++) {
                        if (out->n == cap) {
                                cap = cap ? cap * 2 : 16;
                                out->v = cc_xrealloc(out->v, cap * sizeof(*out->v));
                        }
                        out->v[out->n++] = (struct cc_api_ctr){.st = st, .ct = &st->ctrs[k],
                                                               .api = rec ? json_object_get(rec) : NULL};
                }
                json_object_put(rec);
        }
        cc_strv_free(&projects);
        cc__records_prune(api);
}

void cc_api_ctrs_load(struct cc_api *api, struct cc_api_ctrs *out)
{
        cc_api_ctrs_load_where(api, NULL, out);
}

void cc_api_ctrs_free(struct cc_api_ctrs *cs)
{
        for (size_t i = 0; i < cs->n; i++)
                json_object_put(cs->v[i].api);
        for (size_t i = 0; i < cs->n_states; i++)
                cc_state_free(cs->states[i]);
        free(cs->states);
        free(cs->v);
        memset(cs, 0, sizeof(*cs));
}

struct cc_api_ctr *cc_api_ctr_find(struct cc_api_req *r, struct cc_api_ctrs *cs, const char *ref)
{
        const char *name = ref[0] == '/' ? ref + 1 : ref;
        for (size_t i = 0; i < cs->n; i++)
                if (strcmp(cs->v[i].ct->name, name) == 0 || strcmp(cs->v[i].ct->id, ref) == 0)
                        return &cs->v[i];
        struct cc_api_ctr *found = NULL;
        size_t n = 0;
        for (size_t i = 0; *ref && i < cs->n; i++)
                if (cc_startswith(cs->v[i].ct->id, ref)) {
                        found = &cs->v[i];
                        n++;
                }
        if (n == 1)
                return found;
        if (n > 1)
                cc_api_reply_error(r, 404, "No such container: %s (the ID prefix is ambiguous)", ref);
        else
                cc_api_reply_error(r, 404, "No such container: %s", ref);
        return NULL;
}

struct cc_api_ctr *cc_api_ctr_get(struct cc_api_req *r, struct cc_api_ctrs *cs, const char *ref)
{
        cc_api_ctrs_load(r->api, cs);
        return cc_api_ctr_find(r, cs, ref);
}

/* ---- shapes ---- */

static json_object *cc__jstr(const char *s)
{
        return json_object_new_string(s ? s : "");
}

static json_object *cc__get(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A member of the API record's Config or HostConfig (a new reference), or NULL. */
static json_object *cc__rec(const struct cc_api_ctr *c, const char *part, const char *key)
{
        json_object *v = cc__get(cc__get(c->api, part), key);
        return v ? json_object_get(v) : NULL;
}

static json_object *cc__labels(const struct cc_api_ctr *c)
{
        if (c->api) {
                json_object *l = cc__rec(c, "Config", "Labels");
                return l && json_object_is_type(l, json_type_object) ? l : (json_object_put(l), json_object_new_object());
        }
        const struct cc_ctr_state *ct = c->ct;
        json_object *l = json_object_new_object();
        json_object_object_add(l, "com.docker.compose.config-hash", cc__jstr(ct->hash));
        char num[16];
        snprintf(num, sizeof(num), "%d", ct->number);
        json_object_object_add(l, "com.docker.compose.container-number", json_object_new_string(num));
        json_object_object_add(l, "com.docker.compose.image", cc__jstr(ct->image_id));
        json_object_object_add(l, "com.docker.compose.oneoff", json_object_new_string(ct->one_off ? "True" : "False"));
        json_object_object_add(l, "com.docker.compose.project", cc__jstr(c->st->project));
        json_object_object_add(l, "com.docker.compose.project.config_files", cc__jstr(c->st->config_files));
        json_object_object_add(l, "com.docker.compose.project.working_dir", cc__jstr(c->st->workdir));
        json_object_object_add(l, "com.docker.compose.service", cc__jstr(ct->service));
        json_object_object_add(l, "com.docker.compose.version", json_object_new_string(CC_VERSION));
        return l;
}

static bool cc__up(const struct cc_ctr_state *ct)
{
        return ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED;
}

/* docker's Ports of a list entry: {IP, PrivatePort, PublicPort, Type}. */
static json_object *cc__ports(const struct cc_ctr_state *ct)
{
        json_object *pubs = cc_ports_publishers(cc__up(ct) ? ct->ports : NULL), *a = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(pubs); i++) {
                json_object *p = json_object_array_get_idx(pubs, i), *o = json_object_new_object();
                json_object_object_add(o, "IP", json_object_get(cc__get(p, "URL")));
                json_object_object_add(o, "PrivatePort", json_object_get(cc__get(p, "TargetPort")));
                json_object_object_add(o, "PublicPort", json_object_get(cc__get(p, "PublishedPort")));
                json_object_object_add(o, "Type", json_object_get(cc__get(p, "Protocol")));
                json_object_array_add(a, o);
        }
        json_object_put(pubs);
        return a;
}

/* docker inspect's NetworkSettings.Ports of a running container:
 * {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]} (docker port,
 * docker-compose ps read it). */
static json_object *cc__inspect_ports(const struct cc_ctr_state *ct)
{
        json_object *pubs = cc_ports_publishers(cc__up(ct) ? ct->ports : NULL), *o = json_object_new_object();
        for (size_t i = 0; i < json_object_array_length(pubs); i++) {
                json_object *p = json_object_array_get_idx(pubs, i), *b = json_object_new_object(), *list = NULL;
                _cleanup_free_ char *key = cc_xasprintf("%d/%s", json_object_get_int(cc__get(p, "TargetPort")),
                                                        json_object_get_string(cc__get(p, "Protocol")));
                _cleanup_free_ char *port = cc_xasprintf("%d", json_object_get_int(cc__get(p, "PublishedPort")));
                json_object_object_add(b, "HostIp", json_object_get(cc__get(p, "URL")));
                json_object_object_add(b, "HostPort", json_object_new_string(port));
                if (!json_object_object_get_ex(o, key, &list)) {
                        list = json_object_new_array();
                        json_object_object_add(o, key, list);
                }
                json_object_array_add(list, b);
        }
        json_object_put(pubs);
        return o;
}

json_object *cc_api_ctr_summary(struct cc_api *api, const struct cc_api_ctr *c, long long now)
{
        const struct cc_ctr_state *ct = c->ct;
        json_object *o = json_object_new_object(), *names = json_object_new_array();
        _cleanup_free_ char *slash = cc_xasprintf("/%s", ct->name);
        json_object_array_add(names, json_object_new_string(slash));
        json_object_object_add(o, "Id", cc__jstr(ct->id));
        json_object_object_add(o, "Names", names);
        json_object_object_add(o, "Image", cc__jstr(ct->image));
        json_object_object_add(o, "ImageID", cc__jstr(ct->image_id));
        json_object_object_add(o, "Command", cc__jstr(ct->command));
        json_object_object_add(o, "Created", json_object_new_int64(ct->created));
        json_object_object_add(o, "Ports", cc__ports(ct));
        json_object_object_add(o, "Labels", cc__labels(c));
        json_object_object_add(o, "State", json_object_new_string(cc_ctr_status_name(ct->status)));
        _cleanup_free_ char *status = cc_ctr_status_text(ct, now);
        json_object_object_add(o, "Status", json_object_new_string(status));
        json_object *hc = json_object_new_object();
        json_object_object_add(hc, "NetworkMode", json_object_new_string("default"));
        json_object_object_add(o, "HostConfig", hc);
        json_object *ns = json_object_new_object();
        json_object_object_add(ns, "Networks", json_object_new_object());
        json_object_object_add(o, "NetworkSettings", ns);
        json_object_object_add(o, "Mounts", cc_api_ctr_mounts(api, c));
        return o;
}

/* ---- list ---- */

struct cc__filter {
        struct cc_strv kv; /* key, value, ... */
        regex_t *names;
        size_t n_names;
};

static bool cc__label_match(json_object *labels, const char *want)
{
        const char *eq = strchr(want, '=');
        _cleanup_free_ char *key = eq ? cc_xstrndup(want, (size_t) (eq - want)) : cc_xstrdup(want);
        json_object *v = cc__get(labels, key);
        return v && (!eq || strcmp(json_object_get_string(v), eq + 1) == 0);
}

/* Keys AND, values of one key OR, as docker's filters; but every label
 * given must match (docker's MatchKVList). */
static bool cc__filter_match(const struct cc__filter *f, const struct cc_api_ctr *c)
{
        static const char *const keys[] = {"label", "name", "status", "id"};
        for (size_t k = 0; k < CC_ARRAY_SIZE(keys); k++) {
                bool has = false, any = false, all = true;
                size_t ni = 0;
                for (size_t i = 0; i + 1 < f->kv.n; i += 2) {
                        if (strcmp(f->kv.v[i], keys[k]) != 0)
                                continue;
                        has = true;
                        const char *v = f->kv.v[i + 1];
                        switch (k) {
                        case 0: {
                                json_object *l = cc__labels(c);
                                all = all && cc__label_match(l, v);
                                any = all;
                                json_object_put(l);
                                break;
                        }
                        case 1: {
                                _cleanup_free_ char *slash = cc_xasprintf("/%s", c->ct->name);
                                any = any || regexec(&f->names[ni], slash, 0, NULL, 0) == 0 ||
                                      regexec(&f->names[ni], c->ct->name, 0, NULL, 0) == 0;
                                ni++;
                                break;
                        }
                        case 2: any = any || strcmp(v, cc_ctr_status_name(c->ct->status)) == 0; break;
                        case 3: any = any || cc_startswith(c->ct->id, v); break;
                        }
                }
                if (has && !any)
                        return false;
        }
        return true;
}

static int cc__cmp_created(const void *a, const void *b)
{
        const struct cc_api_ctr *x = a, *y = b;
        if (x->ct->created != y->ct->created)
                return x->ct->created > y->ct->created ? -1 : 1;
        /* in one second: API containers by their nanoseconds, as dockerd */
        int64_t nx = json_object_get_int64(json_object_object_get(x->api, CC_API_CREATED_NS));
        int64_t ny = json_object_get_int64(json_object_object_get(y->api, CC_API_CREATED_NS));
        if (nx != ny)
                return nx > ny ? -1 : 1;
        return strcmp(x->ct->name, y->ct->name);
}

static void cc__filter_free(struct cc__filter *f)
{
        for (size_t i = 0; i < f->n_names; i++)
                regfree(&f->names[i]);
        free(f->names);
        cc_strv_free(&f->kv);
}

/* Check the filters; -1 after answering 400. */
static int cc__filter_parse(struct cc_api_req *r, struct cc__filter *f)
{
        if (cc_api_filters(r, &f->kv) < 0)
                return -1;
        f->names = cc_xcalloc(f->kv.n / 2 + 1, sizeof(*f->names));
        for (size_t i = 0; i + 1 < f->kv.n; i += 2) {
                const char *k = f->kv.v[i], *v = f->kv.v[i + 1];
                if (strcmp(k, "name") == 0) {
                        if (regcomp(&f->names[f->n_names], v, REG_EXTENDED | REG_NOSUB) != 0) {
                                cc_api_reply_error(r, 400, "invalid filter 'name=%s': not a regular expression", v);
                                return -1;
                        }
                        f->n_names++;
                } else if (strcmp(k, "status") == 0) {
                        enum cc_ctr_status s;
                        if (cc_ctr_status_parse(v, &s) < 0 && strcmp(v, "removing") != 0) {
                                cc_api_reply_error(r, 400, "Invalid filter 'status=%s'", v);
                                return -1;
                        }
                } else if (strcmp(k, "label") != 0 && strcmp(k, "id") != 0) {
                        cc_api_reply_error(r, 400, "invalid filter '%s' (supported: label, name, status, id)", k);
                        return -1;
                }
        }
        return 0;
}

void cc_api_containers_list(struct cc_api_req *r, char **params)
{
        for (size_t i = 0; i + 1 < r->query.n; i += 2) {
                /* size: sizes are not computed (only size=0 passes); trunc_cmd: docker-py's */
                static const char *const known[] = {"all", "filters", "limit", "trunc_cmd"};
                bool ok = strcmp(r->query.v[i], "size") == 0 && !cc_api_query_bool(r, "size", false);
                for (size_t k = 0; k < CC_ARRAY_SIZE(known); k++)
                        ok = ok || strcmp(r->query.v[i], known[k]) == 0;
                if (!ok) {
                        cc_api_reply_error(r, 400, "the parameter %s of the container list is not supported",
                                           r->query.v[i]);
                        return;
                }
        }
        struct cc__filter f = {0};
        if (cc__filter_parse(r, &f) < 0) {
                cc__filter_free(&f);
                return;
        }
        bool all = cc_api_query_bool(r, "all", false);
        const char *lim = cc_api_query(r, "limit");
        long long limit = lim ? strtoll(lim, NULL, 10) : -1;
        bool by_status = false;
        for (size_t i = 0; i < f.kv.n; i += 2)
                by_status = by_status || strcmp(f.kv.v[i], "status") == 0;
        if (limit > 0)
                all = true; /* as docker: a limit lists stopped containers too */
        struct cc_api_ctrs cs;
        cc_api_ctrs_load(r->api, &cs);
        if (cs.n) /* no list at all when there is no container: qsort wants one */
                qsort(cs.v, cs.n, sizeof(*cs.v), cc__cmp_created);
        long long now = (long long) time(NULL);
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < cs.n && (limit <= 0 || (long long) json_object_array_length(a) < limit); i++) {
                const struct cc_ctr_state *ct = cs.v[i].ct;
                if (!all && !by_status && !cc__up(ct) && ct->status != CC_CTR_RESTARTING)
                        continue;
                if (!cc__filter_match(&f, &cs.v[i]))
                        continue;
                json_object_array_add(a, cc_api_ctr_summary(r->api, &cs.v[i], now));
        }
        cc_api_ctrs_free(&cs);
        cc__filter_free(&f);
        cc_api_reply_json(r, 200, a);
}

/* ---- inspect ---- */

static json_object *cc__time(long long secs)
{
        if (secs <= 0)
                return json_object_new_string("0001-01-01T00:00:00Z");
        char buf[48];
        struct timespec ts = {.tv_sec = secs};
        cc_log_format_time(&ts, buf, sizeof(buf));
        return json_object_new_string(buf);
}

/* The command of a compose container, as recorded for ps: Path and Args. */
static void cc__path_args(const struct cc_api_ctr *c, json_object *o)
{
        json_object *args = json_object_new_array();
        json_object *ep = cc__rec(c, "Config", "Entrypoint"), *cmd = cc__rec(c, "Config", "Cmd");
        struct cc_strv argv = {0};
        json_object *parts[] = {ep, cmd};
        for (size_t k = 0; k < 2; k++)
                for (size_t i = 0; json_object_is_type(parts[k], json_type_array) && i < json_object_array_length(parts[k]); i++)
                        cc_strv_push(&argv, json_object_get_string(json_object_array_get_idx(parts[k], i)));
        json_object_put(ep);
        json_object_put(cmd);
        if (!c->api && c->ct->command) {
                /* compose: the recorded command line, split at spaces */
                for (const char *s = c->ct->command; *s;) {
                        const char *e = strchrnul(s, ' ');
                        if (e > s)
                                cc_strv_push_owned(&argv, cc_xstrndup(s, (size_t) (e - s)));
                        s = *e ? e + 1 : e;
                }
        }
        json_object_object_add(o, "Path", cc__jstr(argv.n ? argv.v[0] : ""));
        for (size_t i = 1; i < argv.n; i++)
                json_object_array_add(args, json_object_new_string(argv.v[i]));
        json_object_object_add(o, "Args", args);
        cc_strv_free(&argv);
}

static json_object *cc__inspect_state(const struct cc_ctr_state *ct)
{
        json_object *s = json_object_new_object();
        json_object_object_add(s, "Status", json_object_new_string(cc_ctr_status_name(ct->status)));
        json_object_object_add(s, "Running", json_object_new_boolean(cc__up(ct)));
        json_object_object_add(s, "Paused", json_object_new_boolean(ct->status == CC_CTR_PAUSED));
        json_object_object_add(s, "Restarting", json_object_new_boolean(ct->status == CC_CTR_RESTARTING));
        json_object_object_add(s, "OOMKilled", json_object_new_boolean(0));
        json_object_object_add(s, "Dead", json_object_new_boolean(ct->status == CC_CTR_DEAD));
        json_object_object_add(s, "Pid", json_object_new_int(cc__up(ct) ? ct->pid : 0));
        json_object_object_add(s, "ExitCode", json_object_new_int(ct->exit_code));
        json_object_object_add(s, "Error", json_object_new_string(""));
        json_object_object_add(s, "StartedAt", cc__time(ct->started_at));
        json_object_object_add(s, "FinishedAt", cc__time(cc__up(ct) ? 0 : ct->finished_at));
        if (ct->health) {
                json_object *h = json_object_new_object();
                json_object_object_add(h, "Status", json_object_new_string(ct->health));
                json_object_object_add(h, "FailingStreak", json_object_new_int(0));
                json_object_object_add(h, "Log", json_object_new_array());
                json_object_object_add(s, "Health", h);
        }
        return s;
}

static json_object *cc__or(json_object *v, json_object *def)
{
        if (v) {
                json_object_put(def);
                return v;
        }
        return def;
}

/* An API container's recorded request members first (what it was made
 * with, as dockerd shows it), then the defaults of what it did not send. */
static json_object *cc__recorded(const struct cc_api_ctr *c, const char *part)
{
        json_object *o = json_object_new_object(), *rec = cc__get(c->api, part);
        if (json_object_is_type(rec, json_type_object)) {
                json_object_object_foreach(rec, k, v)
                {
                        if (strcmp(k, "HostConfig") != 0 && strcmp(k, "NetworkingConfig") != 0)
                                json_object_object_add(o, k, json_object_get(v));
                }
        }
        return o;
}

static json_object *cc__inspect_config(const struct cc_api_ctr *c)
{
        const struct cc_ctr_state *ct = c->ct;
        json_object *o = cc__recorded(c, "Config");
        json_object_object_add(o, "Hostname", cc__or(cc__rec(c, "Config", "Hostname"), json_object_new_string_len(ct->id ? ct->id : "", ct->id ? 12 : 0)));
        json_object_object_add(o, "Domainname", cc__or(cc__rec(c, "Config", "Domainname"), json_object_new_string("")));
        json_object_object_add(o, "User", cc__or(cc__rec(c, "Config", "User"), json_object_new_string("")));
        json_object_object_add(o, "AttachStdin", json_object_new_boolean(0));
        json_object_object_add(o, "AttachStdout", json_object_new_boolean(0));
        json_object_object_add(o, "AttachStderr", json_object_new_boolean(0));
        json_object_object_add(o, "Tty", cc__or(cc__rec(c, "Config", "Tty"), json_object_new_boolean(0)));
        json_object_object_add(o, "OpenStdin", cc__or(cc__rec(c, "Config", "OpenStdin"), json_object_new_boolean(0)));
        json_object_object_add(o, "StdinOnce", json_object_new_boolean(0));
        json_object_object_add(o, "Env", cc__or(cc__rec(c, "Config", "Env"), json_object_new_array()));
        json_object_object_add(o, "Cmd", cc__or(cc__rec(c, "Config", "Cmd"), NULL));
        json_object_object_add(o, "Image", cc__jstr(ct->image));
        json_object_object_add(o, "Volumes", cc__or(cc__rec(c, "Config", "Volumes"), NULL));
        json_object_object_add(o, "WorkingDir", cc__or(cc__rec(c, "Config", "WorkingDir"), json_object_new_string("")));
        json_object_object_add(o, "Entrypoint", cc__or(cc__rec(c, "Config", "Entrypoint"), NULL));
        json_object_object_add(o, "OnBuild", NULL);
        json_object_object_add(o, "Labels", cc__labels(c));
        return o;
}

static json_object *cc__inspect_hostconfig(const struct cc_api_ctr *c)
{
        json_object *o = cc__recorded(c, "HostConfig");
        json_object_object_add(o, "Binds", cc__or(cc__rec(c, "HostConfig", "Binds"), NULL));
        json_object_object_add(o, "NetworkMode", cc__or(cc__rec(c, "HostConfig", "NetworkMode"), json_object_new_string("default")));
        json_object_object_add(o, "PortBindings", cc__or(cc__rec(c, "HostConfig", "PortBindings"), json_object_new_object()));
        json_object *rp = cc__rec(c, "HostConfig", "RestartPolicy");
        if (!rp) {
                rp = json_object_new_object();
                json_object_object_add(rp, "Name", json_object_new_string("no"));
                json_object_object_add(rp, "MaximumRetryCount", json_object_new_int(0));
        }
        json_object_object_add(o, "RestartPolicy", rp);
        json_object_object_add(o, "AutoRemove", cc__or(cc__rec(c, "HostConfig", "AutoRemove"), json_object_new_boolean(0)));
        json_object *lc = json_object_new_object();
        json_object_object_add(lc, "Type", json_object_new_string("json-file"));
        json_object_object_add(lc, "Config", json_object_new_object());
        json_object_object_add(o, "LogConfig", lc);
        return o;
}

void cc_api_container_inspect(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, params[0]);
        if (!c) {
                cc_api_ctrs_free(&cs);
                return;
        }
        const struct cc_ctr_state *ct = c->ct;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Id", cc__jstr(ct->id));
        json_object_object_add(o, "Created", cc__time(ct->created));
        cc__path_args(c, o);
        json_object_object_add(o, "State", cc__inspect_state(ct));
        json_object_object_add(o, "Image", cc__jstr(ct->image_id));
        _cleanup_free_ char *slash = cc_xasprintf("/%s", ct->name);
        json_object_object_add(o, "Name", json_object_new_string(slash));
        json_object_object_add(o, "RestartCount", json_object_new_int(ct->restart_count));
        json_object_object_add(o, "ExecIDs", cc_api_exec_ids(r->api, ct->id));
        json_object_object_add(o, "Driver", json_object_new_string("overlay2"));
        json_object_object_add(o, "Platform", json_object_new_string("linux"));
        _cleanup_free_ char *log = cc_xasprintf("%s/containers/%s/%s-json.log", r->api->opts->root, ct->id, ct->id);
        json_object_object_add(o, "LogPath", json_object_new_string(log));
        json_object_object_add(o, "HostConfig", cc__inspect_hostconfig(c));
        json_object_object_add(o, "Mounts", cc_api_ctr_mounts(r->api, c));
        json_object_object_add(o, "Config", cc__inspect_config(c));
        json_object *ns = json_object_new_object(), *nets = cc_api_ctr_networks(r->api, c);
        json_object_object_add(ns, "Ports", cc__inspect_ports(ct));
        /* docker's legacy fields: the default bridge's endpoint */
        static const char *const legacy[] = {"EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen",
                                             "IPAddress", "IPPrefixLen", "IPv6Gateway", "MacAddress"};
        json_object *br = json_object_object_get(nets, NET_DOCKER_BRIDGE);
        for (size_t i = 0; i < CC_ARRAY_SIZE(legacy); i++) {
                json_object *v = json_object_object_get(br, legacy[i]);
                bool len = strstr(legacy[i], "PrefixLen") != NULL;
                json_object_object_add(ns, legacy[i], v ? json_object_get(v) : len ? json_object_new_int(0)
                                                                                   : json_object_new_string(""));
        }
        json_object_object_add(ns, "Networks", nets);
        json_object_object_add(o, "NetworkSettings", ns);
        cc_api_ctrs_free(&cs);
        cc_api_reply_json(r, 200, o);
}

/* ---- logs ---- */

struct cc__logs {
        struct cc_api_task task;
        struct cc_api_req *req;
        uv_timer_t timer;
        /* follow: the container's directory (its log written) and the
         * project's runtime directory (its state written), watched */
        uv_fs_event_t log_ev, state_ev;
        bool log_on, state_on;  /* ... are watched */
        bool log_failed;        /* its watch could not start: the timer looks */
        int open;               /* handles not closed yet */
        unsigned ticks;
        bool attach;
        char *path, *project, *id;
        long long offset;
        bool out, err, timestamps, tty;
        struct timespec since, until;
        bool has_since, has_until;
        struct cc_buf buf;
        /* attach's stdin: into the container's stdin FIFO (stdin_open) */
        char *fifo_path;
        int fifo;
        struct cc_buf in;
};

#define CC__MAX_STDIN (1024 * 1024)

/* What came from the client, into the FIFO as far as it takes it (opened
 * once the container's supervisor made it: attach comes before start). */
static void cc__stdin_flush(struct cc__logs *l)
{
        if (!l->fifo_path || l->in.len == 0)
                return;
        if (l->fifo < 0)
                l->fifo = open(l->fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (l->fifo < 0)
                return;
        size_t off = 0;
        while (off < l->in.len) {
                ssize_t n = write(l->fifo, l->in.s + off, l->in.len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t) n;
        }
        memmove(l->in.s, l->in.s + off, l->in.len - off);
        l->in.len -= off;
}

static void cc__stdin(struct cc_api_req *r, const char *data, size_t n)
{
        struct cc__logs *l = r->input_data;
        if (!data)
                return; /* the client's end of input: the FIFO stays (no EOF between attaches) */
        if (l->in.len + n > CC__MAX_STDIN)
                n = CC__MAX_STDIN - l->in.len; /* the container does not read: the rest is dropped */
        cc_buf_add(&l->in, data, n);
        cc__stdin_flush(l);
}

/* One entry, framed: [stream, 0, 0, 0, size (big endian)] + payload
 * (docker's stdcopy), or raw when the container has a tty. */
static void cc__frame(struct cc__logs *l, const struct cc_log_entry *e)
{
        if ((e->stream == CC_LOG_STDOUT && !l->out) || (e->stream == CC_LOG_STDERR && !l->err) ||
            !cc_log_time_in(&e->time, l->has_since ? &l->since : NULL, l->has_until ? &l->until : NULL))
                return;
        char ts[48] = "";
        if (l->timestamps) {
                cc_log_format_time(&e->time, ts, sizeof(ts) - 1);
                strcat(ts, " ");
        }
        size_t n = strlen(ts) + e->len;
        if (!l->tty) {
                unsigned char h[8] = {(unsigned char) e->stream, 0, 0, 0};
                uint32_t be = htonl((uint32_t) n);
                memcpy(h + 4, &be, 4);
                cc_buf_add(&l->buf, (const char *) h, 8);
        }
        cc_buf_puts(&l->buf, ts);
        cc_buf_add(&l->buf, e->text, e->len);
}

static int cc__keep(const struct cc_log_entry *e, void *ud)
{
        cc_log_list_add(ud, e);
        return 0;
}

static int cc__live(const struct cc_log_entry *e, void *ud)
{
        cc__frame(ud, e);
        return 0;
}

static void cc__logs_flush(struct cc__logs *l)
{
        for (size_t off = 0; off < l->buf.len; off += 65536) {
                size_t n = l->buf.len - off < 65536 ? l->buf.len - off : 65536;
                cc_api_stream_write(l->req, l->buf.s + off, n);
        }
        l->buf.len = 0;
}

static void cc__logs_free(struct cc__logs *l)
{
        if (l->fifo >= 0)
                close(l->fifo);
        free(l->fifo_path);
        cc_buf_free(&l->in);
        free(l->path);
        free(l->project);
        free(l->id);
        cc_buf_free(&l->buf);
        free(l);
}

static void cc__logs_closed(uv_handle_t *h)
{
        struct cc__logs *l = h->data;
        if (--l->open > 0)
                return;
        struct cc_api_req *r = l->req;
        cc_api_reap_soon(r->api); /* an AutoRemove container waited for this follower */
        struct cc_strv *f = &r->api->following;
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->v[i], l->id) == 0) {
                        free(f->v[i]);
                        f->v[i] = f->v[--f->n];
                        break;
                }
        cc__logs_free(l);
        cc_api_done(r);
}

static void cc__logs_end(struct cc__logs *l)
{
        if (uv_is_closing((uv_handle_t *) &l->timer))
                return;
        uv_close((uv_handle_t *) &l->timer, cc__logs_closed);
        if (l->log_on)
                uv_close((uv_handle_t *) &l->log_ev, cc__logs_closed);
        if (l->state_on)
                uv_close((uv_handle_t *) &l->state_ev, cc__logs_closed);
}

static void cc__logs_abort(struct cc_api_task *t)
{
        cc__logs_end((struct cc__logs *) t);
}

/* Can the container still write? (as `ccompose logs -f` decides) */
static bool cc__logs_live(struct cc__logs *l)
{
        _cleanup_state_ struct cc_state *st = cc_api_state_load(l->req->api, l->project);
        if (!st)
                return false;
        /* a create answered brings the supervisor up */
        bool sup = cc_sup_alive(st) || cc_api_creating(l->req->api, l->project);
        struct cc_ctr_state *ct = cc_state_find(st, l->id);
        if (!ct)
                return false;
        return ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_RESTARTING || ct->status == CC_CTR_PAUSED ||
               (ct->status == CC_CTR_CREATED && sup);
}

/* What the log has new; with state, whether the container can still
 * write (else the rest, and the end). */
static void cc__logs_look(struct cc__logs *l, bool state)
{
        if (uv_is_closing((uv_handle_t *) &l->timer))
                return;
        struct cc_error err = {0};
        struct stat st;
        if (stat(l->path, &st) == 0 && (long long) st.st_size < l->offset)
                l->offset = 0; /* rotated */
        cc_log_read_from(l->path, &l->offset, cc__live, l, &err);
        cc_error_clear(&err);
        cc__logs_flush(l);
        if (!state)
                return;
        if (!cc_api_req_alive(l->req) || !cc__logs_live(l)) {
                /* what it wrote last */
                cc_log_read_from(l->path, &l->offset, cc__live, l, &err);
                cc_error_clear(&err);
                cc__logs_flush(l);
                cc__logs_end(l);
        }
}

/* Every so often: stdin into the FIFO (made at the container's start),
 * and what is not watched (the log until its directory is made at the
 * start; the state, else every 40th time only, as a safety net). */
static void cc__logs_tick(uv_timer_t *t)
{
        struct cc__logs *l = t->data;
        cc__stdin_flush(l);
        cc__logs_look(l, !l->state_on || ++l->ticks % 40 == 0);
}

static void cc__logs_written(uv_fs_event_t *h, const char *file, int events, int status)
{
        cc__logs_look(h->data, false);
}

/* Watch dir for cb; true when it is watched. A directory not there yet
 * (the log's, until the start makes it) is tried again later; a watch
 * that fails is not (*failed): its handle closes, counted in l->open,
 * and is not made again meanwhile. */
static bool cc__logs_watch(struct cc__logs *l, uv_fs_event_t *h, const char *dir, uv_fs_event_cb cb, bool *failed)
{
        if (access(dir, F_OK) != 0)
                return false;
        uv_fs_event_init(l->req->api->loop, h);
        h->data = l;
        l->open++;
        if (uv_fs_event_start(h, cb, dir, 0) == 0)
                return true;
        *failed = true;
        uv_close((uv_handle_t *) h, cc__logs_closed);
        return false;
}

/* The timer as often as what it still does needs: attached, a
 * terminal's echo comes back through here. */
static void cc__logs_pace(struct cc__logs *l, bool with_stdin)
{
        uint64_t every = l->state_on && l->log_on ? (with_stdin ? 25 : 250) : l->attach ? 25 : 100;
        if (uv_timer_get_repeat(&l->timer) != every)
                uv_timer_start(&l->timer, cc__logs_tick, every, every);
}

/* The container's log directory, once it is there (made by the start). */
static void cc__logs_watch_log(struct cc__logs *l)
{
        if (l->log_on || l->log_failed || uv_is_closing((uv_handle_t *) &l->timer))
                return;
        _cleanup_free_ char *dir = cc_xasprintf("%s/containers/%s", l->req->api->opts->root, l->id);
        l->log_on = cc__logs_watch(l, &l->log_ev, dir, cc__logs_written, &l->log_failed);
        if (l->log_on)
                cc__logs_pace(l, l->fifo_path != NULL);
}

static void cc__logs_state(uv_fs_event_t *h, const char *file, int events, int status)
{
        struct cc__logs *l = h->data;
        /* the supervisor's state file renamed into place, or the project gone */
        if (file && strcmp(file, "state.json") != 0 && !(events & UV_RENAME && !cc_startswith(file, "state.json.")))
                return;
        cc__logs_watch_log(l);
        cc__logs_look(l, true);
}

/* logs, and attach (a hijacked connection; the output from now on, or
 * also what is logged already with logs=1; no stdin yet). */
static void cc__logs_serve(struct cc_api_req *r, char **params, bool attach)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, params[0]);
        if (!c) {
                cc_api_ctrs_free(&cs);
                return;
        }
        struct cc__logs *l = cc_xcalloc(1, sizeof(*l));
        l->req = r;
        l->fifo = -1;
        l->out = cc_api_query_bool(r, "stdout", false);
        l->err = cc_api_query_bool(r, "stderr", false);
        l->timestamps = cc_api_query_bool(r, "timestamps", false);
        json_object *tty = cc__rec(c, "Config", "Tty");
        l->tty = tty && json_object_get_boolean(tty);
        json_object_put(tty);
        bool follow = cc_api_query_bool(r, attach ? "stream" : "follow", false);
        bool past = !attach || cc_api_query_bool(r, "logs", false);
        const char *tail = cc_api_query(r, "tail");
        long long ntail = -1;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        const char *since = cc_api_query(r, "since"), *until = cc_api_query(r, "until");
        json_object *open_stdin = cc__rec(c, "Config", "OpenStdin");
        bool with_stdin = attach && cc_api_query_bool(r, "stdin", false) && json_object_get_boolean(open_stdin);
        json_object_put(open_stdin);
        if (!l->out && !l->err) {
                cc_api_reply_error(r, 400, "Bad parameters: you must choose at least one stream");
                goto out;
        }
        if (tail && *tail && strcmp(tail, "all") != 0) {
                char *end;
                ntail = strtoll(tail, &end, 10);
                if (*end || ntail < 0) {
                        cc_api_reply_error(r, 400, "invalid value for \"tail\": %s (a number or \"all\")", tail);
                        goto out;
                }
        }
        if (since && *since && strcmp(since, "0") != 0) {
                if (cc_log_parse_time(since, &now, &l->since) < 0) {
                        cc_api_reply_error(r, 400, "invalid value for \"since\": %s", since);
                        goto out;
                }
                l->has_since = true;
        }
        if (until && *until && strcmp(until, "0") != 0) {
                if (cc_log_parse_time(until, &now, &l->until) < 0) {
                        cc_api_reply_error(r, 400, "invalid value for \"until\": %s", until);
                        goto out;
                }
                l->has_until = true;
        }
        l->path = cc_xasprintf("%s/containers/%s/%s-json.log", r->api->opts->root, c->ct->id, c->ct->id);
        l->project = cc_xstrdup(c->st->project);
        l->id = cc_xstrdup(c->ct->id);
        struct cc_log_list t = {0};
        struct cc_error err = {0};
        if (cc_log_read(l->path, 10, cc__keep, &t, &err) < 0 && err.code != -ENOENT) {
                cc_api_reply_error(r, 500, "reading the logs of %s: %s", c->ct->name, cc_error_msg(&err));
                cc_error_clear(&err);
                cc_log_list_free(&t);
                goto out;
        }
        cc_error_clear(&err);
        struct stat stt;
        l->offset = stat(l->path, &stt) == 0 ? (long long) stt.st_size : 0;
        if (attach)
                cc_api_hijack(r);
        else
                cc_api_stream_begin(r, 200, "application/vnd.docker.raw-stream");
        for (size_t i = ntail >= 0 && (long long) t.n > ntail ? t.n - (size_t) ntail : 0; past && i < t.n; i++)
                cc__frame(l, &t.v[i]);
        cc_log_list_free(&t);
        cc__logs_flush(l);
        if (follow && !r->head) {
                l->task.abort = cc__logs_abort;
                r->task = &l->task;
                cc_strv_push(&r->api->following, l->id);
                uv_timer_init(r->api->loop, &l->timer);
                l->timer.data = l;
                l->open = 1;
                l->attach = attach;
                _cleanup_free_ char *sdir = cc_state_dir(r->api->opts->runtime_dir, l->project);
                bool failed = false;
                l->state_on = cc__logs_watch(l, &l->state_ev, sdir, cc__logs_state, &failed);
                if (l->state_on)
                        cc__logs_watch_log(l);
                if (with_stdin) {
                        l->fifo_path = cc_xasprintf("%s/containers/%s/stdin.fifo", r->api->opts->root, l->id);
                        r->input = cc__stdin;
                        r->input_data = l;
                        cc_api_hijack_input(r);
                }
                cc__logs_pace(l, with_stdin);
                cc_api_ctrs_free(&cs);
                return;
        }
out:
        cc__logs_free(l);
        cc_api_ctrs_free(&cs);
}

void cc_api_container_logs(struct cc_api_req *r, char **params)
{
        cc__logs_serve(r, params, false);
}

void cc_api_container_attach(struct cc_api_req *r, char **params)
{
        cc__logs_serve(r, params, true);
}

/* The terminal size of a container with a tty: the supervisor holds its
 * pty (as `ccompose attach` asks it). A short request on its socket. */
void cc_api_container_resize(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, params[0]);
        const char *h = cc_api_query(r, "h"), *w = cc_api_query(r, "w");
        char *he = NULL, *we = NULL;
        long rows = h ? strtol(h, &he, 10) : -1, cols = w ? strtol(w, &we, 10) : -1;
        if (c && (!h || !w || *he || *we || rows < 0 || cols < 0 || rows > 65535 || cols > 65535)) {
                cc_api_reply_error(r, 400, "invalid size: h and w are numbers of rows and columns");
        } else if (c && !cc__up(c->ct)) {
                cc_api_reply_error(r, 409, "Container %s is not running", c->ct->id);
        } else if (c) {
                struct cc_cli cli = {.root = r->api->opts->root, .runtime_dir = r->api->opts->runtime_dir};
                _cleanup_free_ char *req = cc_xasprintf("{\"op\":\"resize\",\"id\":\"%s\",\"rows\":%ld,\"cols\":%ld}",
                                                        c->ct->id, rows, cols);
                struct cc_error err = {0};
                int code = 0;
                if (cc_sup_request(&cli, c->st->project, req, &code, &err) < 0 || code != 0)
                        cc_api_reply_error(r, 500, "resizing the terminal of %s: %s", c->ct->name,
                                           err.msg ? cc_error_msg(&err) : "refused");
                else
                        cc_api_reply(r, 200, "text/plain; charset=utf-8", "", 0);
                cc_error_clear(&err);
        }
        cc_api_ctrs_free(&cs);
}
