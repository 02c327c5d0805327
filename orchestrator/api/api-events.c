/* The API's /events: the container events every project's supervisor
 * writes to the host's event log (<runtime_dir>/events.jsonl, state.h),
 * and those of images, networks and volumes the service writes there,
 * as docker's event messages: the past ones from `since` (up to `until`),
 * then, without an `until` in the past, the new ones as they come,
 * filtered by type, container, event, image and label. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "logfile.h"
#include "state.h"

struct cc__events {
        struct cc_api_task task;
        struct cc_api_req *req;
        uv_timer_t timer;
        char *path;
        long long offset;    /* read so far of the log */
        ino_t ino;           /* ... which is this file (a rotation starts a new one) */
        struct cc_buf partial;
        struct cc_strv filters; /* key, value, ... */
        struct timespec since, until;
        bool has_since, has_until;
};

static json_object *cc__get(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* src's members into dst, when src is an object (a line of the log may
 * lack one: json-c's foreach does not take NULL). */
static void cc__merge(json_object *dst, json_object *src)
{
        if (!json_object_is_type(src, json_type_object))
                return;
        json_object_object_foreach(src, k, v)
                json_object_object_add(dst, k, json_object_get(v));
}

static const char *cc__str(json_object *o, const char *key)
{
        const char *s = json_object_get_string(cc__get(o, key));
        return s ? s : "";
}

/* docker's timestamps: "SECONDS[.NANOS]" (what its CLI sends), else what
 * logs' since takes (RFC 3339, durations). -1 when neither. */
static int cc__parse_ts(const char *s, struct timespec *out)
{
        char *end;
        errno = 0;
        long long secs = strtoll(s, &end, 10);
        if (end != s && errno == 0 && (*end == '\0' || *end == '.')) {
                long nanos = 0;
                if (*end == '.') {
                        const char *f = end + 1;
                        int digits = 0;
                        for (; *f >= '0' && *f <= '9' && digits < 9; f++, digits++)
                                nanos = nanos * 10 + (*f - '0');
                        while (*f >= '0' && *f <= '9')
                                f++;
                        if (*f)
                                return -1;
                        for (; digits < 9; digits++)
                                nanos *= 10;
                }
                *out = (struct timespec){.tv_sec = secs, .tv_nsec = nanos};
                return 0;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return cc_log_parse_time(s, &now, out);
}

static bool cc__ts_before(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* docker's message but its Actor: Type, Action, scope, times (and the
 * old status and id of container and image events). */
static json_object *cc__message_new(const char *type, const char *action, const char *id, json_object *actor,
                                    const struct timespec *when)
{
        json_object *m = json_object_new_object();
        if (strcmp(type, "network") != 0 && strcmp(type, "volume") != 0) {
                json_object_object_add(m, "status", json_object_new_string(action));
                json_object_object_add(m, "id", json_object_new_string(id));
        }
        json_object_object_add(m, "Type", json_object_new_string(type));
        json_object_object_add(m, "Action", json_object_new_string(action));
        json_object_object_add(m, "Actor", actor);
        json_object_object_add(m, "scope", json_object_new_string("local"));
        json_object_object_add(m, "time", json_object_new_int64(when->tv_sec));
        json_object_object_add(m, "timeNano", json_object_new_int64((int64_t) when->tv_sec * 1000000000 + when->tv_nsec));
        return m;
}

/* An image's, network's or volume's event: its attributes as they are. */
static json_object *cc__object_message(json_object *ev, const char *type, const struct timespec *when)
{
        json_object *attrs = json_object_new_object(), *actor = json_object_new_object();
        cc__merge(attrs, cc__get(ev, "attributes"));
        json_object_object_add(actor, "ID", json_object_new_string(cc__str(ev, "id")));
        json_object_object_add(actor, "Attributes", attrs);
        return cc__message_new(type, cc__str(ev, "action"), cc__str(ev, "id"), actor, when);
}

/* A line of the log as docker's message; NULL when it is not one. */
static json_object *cc__message(json_object *ev, struct timespec *when)
{
        struct timespec now = {0};
        if (cc_log_parse_time(cc__str(ev, "time"), &now, when) < 0)
                return NULL;
        const char *action = cc__str(ev, "action"), *id = cc__str(ev, "id"), *project = cc__str(ev, "project");
        const char *service = cc__str(ev, "service"), *type = cc__str(ev, "type");
        if (*type && strcmp(type, "container") != 0)
                return cc__object_message(ev, type, when);
        json_object *attrs = json_object_new_object();
        cc__merge(attrs, cc__get(ev, "labels"));
        /* compose containers carry the labels docker compose writes; the
         * API's own (project api-HEX, service "container") only theirs */
        if (!(cc_startswith(project, "api-") && strcmp(service, CC_API_SERVICE) == 0)) {
                char num[16];
                snprintf(num, sizeof(num), "%d", json_object_get_int(cc__get(ev, "number")));
                json_object_object_add(attrs, "com.docker.compose.project", json_object_new_string(project));
                json_object_object_add(attrs, "com.docker.compose.service", json_object_new_string(service));
                json_object_object_add(attrs, "com.docker.compose.container-number", json_object_new_string(num));
                json_object_object_add(attrs, "com.docker.compose.oneoff",
                                       json_object_new_string(json_object_get_boolean(cc__get(ev, "oneoff")) ? "True"
                                                                                                              : "False"));
        }
        cc__merge(attrs, cc__get(ev, "attributes"));
        json_object *actor = json_object_new_object();
        json_object_object_add(actor, "ID", json_object_new_string(id));
        json_object_object_add(actor, "Attributes", attrs);
        json_object *m = cc__message_new("container", action, id, actor, when);
        json_object_object_add(m, "from", json_object_new_string(cc__str(cc__get(ev, "attributes"), "image")));
        return m;
}

static bool cc__label_match(json_object *attrs, const char *want)
{
        const char *eq = strchr(want, '=');
        _cleanup_free_ char *key = eq ? cc_xstrndup(want, (size_t) (eq - want)) : cc_xstrdup(want);
        json_object *v = cc__get(attrs, key);
        return v && (!eq || strcmp(json_object_get_string(v), eq + 1) == 0);
}

/* The filter keys of events. */
static const char *const cc__filter_keys[] = {"type", "container", "event", "image", "label", "network", "volume"};

/* docker's image filter: the image's (or a container's image's) name,
 * with or without its tag, or the ID. */
static bool cc__image_match(json_object *m, json_object *attrs, const char *v)
{
        bool image = strcmp(cc__str(m, "Type"), "image") == 0;
        const char *name = cc__str(attrs, image ? "name" : "image");
        const char *colon = strrchr(name, ':');
        size_t n = colon && !strchr(colon, '/') ? (size_t) (colon - name) : strlen(name);
        return strcmp(name, v) == 0 || (strlen(v) == n && strncmp(name, v, n) == 0) ||
               (image && strcmp(cc__str(cc__get(m, "Actor"), "ID"), v) == 0);
}

/* docker's event filters: keys AND, the values of one key OR; container,
 * network and volume match events of theirs by a prefix of the ID or the
 * name. */
static bool cc__wanted(const struct cc_strv *f, json_object *m)
{
        json_object *actor = cc__get(m, "Actor"), *attrs = cc__get(actor, "Attributes");
        const char *type = cc__str(m, "Type");
        for (size_t k = 0; k < CC_ARRAY_SIZE(cc__filter_keys); k++) {
                bool has = false, any = false;
                for (size_t i = 0; i + 1 < f->n; i += 2) {
                        if (strcmp(f->v[i], cc__filter_keys[k]) != 0)
                                continue;
                        has = true;
                        const char *v = f->v[i + 1];
                        switch (k) {
                        case 0: any = any || strcmp(type, v) == 0; break;
                        case 2: {
                                /* exec_start: also "exec_start: CMD ARGS" */
                                const char *act = cc__str(m, "Action");
                                size_t n = strlen(v);
                                any = any || strcmp(act, v) == 0 || (strncmp(act, v, n) == 0 && act[n] == ':');
                                break;
                        }
                        case 3: any = any || cc__image_match(m, attrs, v); break;
                        case 4: any = any || cc__label_match(attrs, v); break;
                        default:
                                any = any || (strcmp(type, cc__filter_keys[k]) == 0 &&
                                              (cc_startswith(cc__str(actor, "ID"), v) ||
                                               strcmp(cc__str(attrs, "name"), v) == 0));
                        }
                }
                if (has && !any)
                        return false;
        }
        return true;
}

/* ---- events the service itself writes (exec, rename without a supervisor) ---- */

json_object *cc_api_event_base(const struct cc_api_ctr *c)
{
        json_object *o = json_object_new_object(), *labels = cc__get(cc__get(c->api, "Config"), "Labels");
        json_object_object_add(o, "type", json_object_new_string("container"));
        json_object_object_add(o, "id", json_object_new_string(c->ct->id));
        json_object_object_add(o, "service", json_object_new_string(c->ct->service));
        json_object_object_add(o, "project", json_object_new_string(c->st->project));
        json_object_object_add(o, "number", json_object_new_int(c->ct->number));
        json_object_object_add(o, "oneoff", json_object_new_boolean(c->ct->one_off));
        json_object_object_add(o, "labels", labels ? json_object_get(labels) : json_object_new_object());
        json_object *a = json_object_new_object();
        json_object_object_add(a, "image", json_object_new_string(c->ct->image ? c->ct->image : ""));
        json_object_object_add(a, "name", json_object_new_string(c->ct->name));
        json_object_object_add(o, "attributes", a);
        return o;
}

void cc_api_event_log(struct cc_api *api, json_object *base, const char *action, const char *const *attrs)
{
        json_object *o = NULL;
        if (json_object_deep_copy(base, &o, NULL) < 0 || !o)
                return;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        char tb[48];
        cc_log_format_time(&now, tb, sizeof(tb));
        json_object_object_add(o, "time", json_object_new_string(tb));
        json_object_object_add(o, "action", json_object_new_string(action));
        json_object *a = cc__get(o, "attributes");
        for (size_t i = 0; attrs && attrs[i]; i += 2)
                json_object_object_add(a, attrs[i], json_object_new_string(attrs[i + 1]));
        cc_state_event_log(api->opts->runtime_dir,
                           json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
}

void cc_api_event_object(struct cc_api *api, const char *type, const char *action, const char *id, json_object *labels,
                         const char *const *attrs)
{
        json_object *o = json_object_new_object(), *a = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "id", json_object_new_string(id));
        cc__merge(a, labels);
        json_object_object_add(o, "attributes", a);
        cc_api_event_log(api, o, action, attrs);
        json_object_put(o);
}

/* Each whole line of text: sent when it is an event in range that the
 * filters take. *ended: one after until was seen. */
static void cc__events_lines(struct cc__events *e, const char *text, size_t len, bool *ended)
{
        cc_buf_add(&e->partial, text, len);
        size_t start = 0;
        for (;;) {
                const char *nl = memchr(e->partial.s + start, '\n', e->partial.len - start);
                if (!nl)
                        break;
                size_t n = (size_t) (nl - (e->partial.s + start));
                _cleanup_free_ char *one = cc_xstrndup(e->partial.s + start, n);
                json_object *ev = json_tokener_parse(one);
                start += n + 1;
                struct timespec when;
                json_object *m = ev ? cc__message(ev, &when) : NULL;
                json_object_put(ev);
                if (!m)
                        continue;
                if (e->has_until && cc__ts_before(&e->until, &when))
                        *ended = true;
                else if ((!e->has_since || !cc__ts_before(&when, &e->since)) && cc__wanted(&e->filters, m)) {
                        cc_api_stream_json(e->req, m);
                        continue;
                }
                json_object_put(m);
        }
        memmove(e->partial.s, e->partial.s + start, e->partial.len - start);
        e->partial.len -= start;
}

/* The rest of the file at path from *offset (of the file with inode
 * *ino; another one is read from its start). */
static void cc__events_read(struct cc__events *e, const char *path, bool *ended)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return;
        if (st.st_ino != e->ino || st.st_size < e->offset) {
                e->ino = st.st_ino;
                e->offset = 0;
                e->partial.len = 0;
        }
        char buf[65536];
        for (;;) {
                ssize_t n = pread(fd, buf, sizeof(buf), e->offset);
                if (n <= 0)
                        break;
                e->offset += n;
                cc__events_lines(e, buf, (size_t) n, ended);
        }
}

static void cc__events_free(struct cc__events *e)
{
        free(e->path);
        cc_buf_free(&e->partial);
        cc_strv_free(&e->filters);
        free(e);
}

static void cc__events_closed(uv_handle_t *h)
{
        struct cc__events *e = h->data;
        struct cc_api_req *r = e->req;
        cc__events_free(e);
        cc_api_done(r);
}

static void cc__events_end(struct cc__events *e)
{
        if (!uv_is_closing((uv_handle_t *) &e->timer))
                uv_close((uv_handle_t *) &e->timer, cc__events_closed);
}

static void cc__events_abort(struct cc_api_task *t)
{
        cc__events_end((struct cc__events *) t);
}

/* What came since: a rotated log's rest first (events.jsonl.1 is the file
 * we read), then the new one. */
static void cc__events_tick(uv_timer_t *t)
{
        struct cc__events *e = t->data;
        bool ended = false;
        struct stat st;
        if (stat(e->path, &st) == 0 && st.st_ino != e->ino) {
                _cleanup_free_ char *old = cc_xasprintf("%s.1", e->path);
                struct stat so;
                if (stat(old, &so) == 0 && so.st_ino == e->ino)
                        cc__events_read(e, old, &ended);
        }
        cc__events_read(e, e->path, &ended);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (ended || !cc_api_req_alive(e->req) || (e->has_until && cc__ts_before(&e->until, &now)))
                cc__events_end(e);
}

void cc_api_events(struct cc_api_req *r, char **params)
{
        struct cc__events *e = cc_xcalloc(1, sizeof(*e));
        e->req = r;
        const char *since = cc_api_query(r, "since"), *until = cc_api_query(r, "until");
        if (cc_api_filters(r, &e->filters) < 0) {
                cc__events_free(e);
                return;
        }
        for (size_t i = 0; i + 1 < e->filters.n; i += 2) {
                bool ok = false;
                for (size_t k = 0; k < CC_ARRAY_SIZE(cc__filter_keys); k++)
                        ok = ok || strcmp(e->filters.v[i], cc__filter_keys[k]) == 0;
                if (!ok) {
                        cc_api_reply_error(r, 400, "invalid filter '%s' (type, container, event, image, label, "
                                           "network, volume)", e->filters.v[i]);
                        cc__events_free(e);
                        return;
                }
        }
        e->has_since = since && *since;
        e->has_until = until && *until;
        const char *bad = e->has_since && cc__parse_ts(since, &e->since) < 0   ? "since"
                          : e->has_until && cc__parse_ts(until, &e->until) < 0 ? "until"
                                                                               : NULL;
        if (bad) {
                cc_api_reply_error(r, 400, "invalid value for \"%s\": %s (a Unix time, SECONDS[.NANOS])", bad,
                                   cc_api_query(r, bad));
                cc__events_free(e);
                return;
        }
        e->path = cc_path_join(r->api->opts->runtime_dir, CC_STATE_EVENT_LOG);
        cc_api_stream_begin(r, 200, "application/json");
        bool ended = false;
        if (e->has_since) {
                /* the older generation, then the log */
                _cleanup_free_ char *old = cc_xasprintf("%s.1", e->path);
                cc__events_read(e, old, &ended);
                e->ino = 0;
                cc__events_read(e, e->path, &ended);
        } else {
                struct stat st;
                if (stat(e->path, &st) == 0) {
                        e->ino = st.st_ino;
                        e->offset = st.st_size;
                }
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (ended || r->head || (e->has_until && cc__ts_before(&e->until, &now))) {
                cc__events_free(e);
                return;
        }
        e->task.abort = cc__events_abort;
        r->task = &e->task;
        uv_timer_init(r->api->loop, &e->timer);
        e->timer.data = e;
        uv_timer_start(&e->timer, cc__events_tick, 100, 100);
}
