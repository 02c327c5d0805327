/* The API's container writes. A container made through the API is a
 * one-service compose project of its own ("api-<hex>", its compose file
 * and the request it came from in the project's runtime directory), so it
 * is supervised like any other: the service runs ccompose's own commands
 * on it (create, start, stop, kill, down) as child processes, on the loop,
 * and answers when they end. wait watches the state file. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include "api-internal.h"
#include "ipam.h"
#include "image.h"
#include "service-spec.h"
#include "container.h"
#include "state.h"
#include "supervisor.h"

#define CC__COMPOSE_FILE CC_API_COMPOSE_FILE
#define CC__UNDO_MS 5000 /* a failed create's project is removed by then */

/* ---- running a ccompose command ---- */

struct cc__cmd;
typedef void (*cc__cmd_fn)(struct cc__cmd *c, int64_t code);

struct cc__cmd {
        struct cc_api_task task;
        struct cc_api *api;
        struct cc_api_req *req; /* NULL: the service's own (--rm's removal) */
        uv_process_t proc;
        uv_pipe_t out;
        struct cc_buf text;     /* what it printed on stderr */
        int open;               /* handles not closed yet */
        int64_t code;
        cc__cmd_fn done;        /* answers the request from the exit code */
        cc_api_command_fn ext;  /* cc_api_command's caller's */
        void *ext_data;
        char *project, *id, *name;
        int exit_code;          /* the reaper's: the container's */
        bool auto_remove;       /* a start: of an AutoRemove container */
        /* a request to the project's supervisor (cc__sup_run) */
        uv_connect_t connect;
        uv_write_t write;
        char *line;             /* the request, with its newline */
        struct cc_buf in;       /* its answer lines not read yet */
        struct cc_strv args;    /* the command to run when no supervisor answers */
        bool answered;          /* it said {"done": ...} */
        /* held until its project's create ends (cc__hold) */
        bool held_request;      /* a request to the supervisor (else the command args) */
        bool early;             /* sent while its project's create had not ended */
        struct cc__cmd *next_held;
};

/* A create answered before its project's supervisor is up (the forked
 * `create` brings it up): what needs the supervisor waits for its end. */
struct cc_api_creating {
        char *project;
        struct cc__cmd *held;   /* in arrival order */
        char *failed;           /* it failed: its message, until the project is removed */
        char *id, *name;        /* its container's (for that removal) */
        uint64_t failed_at;     /* loop time of the failure: removed by then + CC__UNDO_MS at the latest */
        bool undoing;           /* that removal runs */
        bool listening;         /* the supervisor listens: requests to it may go (it takes them once up) */
        struct cc_api_creating *next;
};

static void cc__create_ended(struct cc__cmd *c, int64_t code);
static void cc__create_undone(struct cc__cmd *c, int64_t code);
static void cc__create_listening(struct cc__cmd *c);
static void cc__create_undo(struct cc_api *api, struct cc_api_creating *cr);
static void cc__sup_send(struct cc__cmd *c);

static void cc__cmd_free(struct cc__cmd *c)
{
        cc_buf_free(&c->text);
        cc_buf_free(&c->in);
        cc_strv_free(&c->args);
        free(c->line);
        free(c->project);
        free(c->id);
        free(c->name);
        free(c);
}

static void cc__cmd_unref(struct cc__cmd *c)
{
        if (--c->open > 0)
                return;
        c->done(c, c->code);
        struct cc_api_req *r = c->req; /* (done may have taken it: NULL) */
        cc__cmd_free(c);
        if (r)
                cc_api_done(r);
}

static void cc__cmd_closed(uv_handle_t *h)
{
        cc__cmd_unref(h->data);
}

/* Its end, from the fork server. */
static void cc__cmd_forked(void *data, int64_t code)
{
        struct cc__cmd *c = data;
        c->code = code;
        cc__cmd_unref(c);
}

static void cc__cmd_exit(uv_process_t *p, int64_t status, int sig)
{
        struct cc__cmd *c = p->data;
        c->code = sig ? 128 + sig : status;
        uv_close((uv_handle_t *) p, cc__cmd_closed);
}

static void cc__cmd_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        buf->base = cc_xmalloc(8192);
        buf->len = 8192;
}

static void cc__cmd_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct cc__cmd *c = s->data;
        if (n > 0 && c->text.len < 64 * 1024)
                cc_buf_add(&c->text, buf->base, (size_t) n);
        free(buf->base);
        /* create: its supervisor planned the container, so it listens */
        if (n > 0 && c->done == cc__create_ended && memmem(c->text.s, c->text.len, "  Created\n", 10))
                cc__create_listening(c);
        if (n < 0)
                uv_close((uv_handle_t *) s, cc__cmd_closed);
}

/* The client went away: the command still finishes (it changes state
 * that must stay whole); its answer goes nowhere. */
static void cc__cmd_abort(struct cc_api_task *t)
{
}

/* The last line the command printed: its error message. */
static char *cc__cmd_message(const struct cc__cmd *c)
{
        _cleanup_free_ char *t = cc_xstrndup(c->text.s ? c->text.s : "", c->text.len);
        size_t n = strlen(t);
        while (n && (t[n - 1] == '\n' || t[n - 1] == ' '))
                t[--n] = '\0';
        char *nl = strrchr(t, '\n');
        return cc_xstrdup(nl ? nl + 1 : t);
}


static struct cc_api_creating *cc__creating(const struct cc_api *api, const char *project)
{
        struct cc_api_creating *cr = api->creating;
        while (cr && strcmp(cr->project, project) != 0)
                cr = cr->next;
        return cr;
}

bool cc_api_creating(const struct cc_api *api, const char *project)
{
        const struct cc_api_creating *cr = cc__creating(api, project);
        return cr && !cr->failed;
}

/* c ends with code, from the loop (never inside its request's handler):
 * its done answers. */
static void cc__cmd_finish(struct cc__cmd *c, int64_t code)
{
        c->code = code;
        c->open = 1;
        uv_pipe_init(c->api->loop, &c->out, 0);
        c->out.data = c;
        uv_close((uv_handle_t *) &c->out, cc__cmd_closed);
}

/* c fails with msg, from the loop. */
static void cc__cmd_fail(struct cc__cmd *c, const char *msg)
{
        cc_buf_printf(&c->text, "%s\n", msg);
        cc__cmd_finish(c, 1);
}

/* While c's project is being created, or removed after its create
 * failed: c is kept (to run, or to have the removal's result, when that
 * ends), or fails at once (a request to its supervisor, which never came
 * up), and true. */
static bool cc__hold(struct cc__cmd *c)
{
        struct cc_api_creating *cr = cc__creating(c->api, c->project);
        if (!cr || c->done == cc__create_ended || c->done == cc__create_undone)
                return false;
        if (c->req)
                c->req->task = &c->task;
        if (cr->failed && c->held_request) {
                cc__cmd_fail(c, cr->failed);
                cc__create_undo(c->api, cr); /* the client knows: it goes now */
                return true;
        }
        if (cr->failed)
                cc__create_undo(c->api, cr); /* a remove: answered at that removal's end */
        if (cr->listening && c->held_request) {
                c->early = true;
                return false;
        }
        struct cc__cmd **p = &cr->held;
        while (*p)
                p = &(*p)->next_held;
        *p = c;
        return true;
}

/* Run `ccompose -p PROJECT [-f FILE] ARGS...` in the project's runtime
 * directory; done answers when it ends. Takes c. */
static void cc__cmd_run(struct cc__cmd *c, const char *const *args)
{
        struct cc_api_req *r = c->req;
        if (args != (const char *const *) c->args.v) {
                cc_strv_free(&c->args);
                for (size_t i = 0; args[i]; i++)
                        cc_strv_push(&c->args, args[i]);
                cc_strv_push_owned(&c->args, NULL);
        }
        c->task.abort = cc__cmd_abort;
        if (cc__hold(c))
                return;
        const struct cc_api_opts *o = c->api->opts;
        _cleanup_free_ char *dir = cc_state_dir(o->runtime_dir, c->project);
        _cleanup_free_ char *file = cc_path_join(dir, CC__COMPOSE_FILE);
        struct cc_strv argv = {0};
        cc_strv_push(&argv, o->self_exe);
        cc_strv_push(&argv, "-p");
        cc_strv_push(&argv, c->project);
        cc_strv_push(&argv, "-f");
        cc_strv_push(&argv, file);
        for (size_t i = 0; args[i]; i++)
                cc_strv_push(&argv, args[i]);
        cc_strv_push_owned(&argv, NULL);
        struct cc_strv env = {0};
        extern char **environ;
        for (char **e = environ; *e; e++)
                if (!cc_startswith(*e, "CCOMPOSE_ROOT=") && !cc_startswith(*e, "CCOMPOSE_RUNTIME_DIR=") &&
                    !cc_startswith(*e, "COMPOSE_"))
                        cc_strv_push(&env, *e);
        cc_strv_push_owned(&env, cc_xasprintf("CCOMPOSE_ROOT=%s", o->root));
        cc_strv_push_owned(&env, cc_xasprintf("CCOMPOSE_RUNTIME_DIR=%s", o->runtime_dir));
        cc_strv_push_owned(&env, NULL);
        uv_pipe_init(c->api->loop, &c->out, 0);
        c->out.data = c->proc.data = c;
        if (r)
                r->task = &c->task;
        /* a forked child of the fork server, else the program */
        int p[2];
        if (pipe2(p, O_CLOEXEC) == 0) {
                int fds[3] = {-1, -1, p[1]};
                int e = cc_api_fork(c->api, (const char *const *) argv.v, (const char *const *) env.v, dir, fds,
                                    cc__cmd_forked, c);
                close(p[1]);
                if (e == 0) {
                        cc_strv_free(&argv);
                        cc_strv_free(&env);
                        c->open = 2;
                        if (uv_pipe_open(&c->out, p[0]) == 0) {
                                uv_read_start((uv_stream_t *) &c->out, cc__cmd_alloc, cc__cmd_read);
                        } else {
                                /* asked, but its output cannot be read: its end still comes */
                                close(p[0]);
                                uv_close((uv_handle_t *) &c->out, cc__cmd_closed);
                        }
                        return;
                }
                close(p[0]);
        }
        uv_stdio_container_t stdio[3] = {
                {.flags = UV_IGNORE},
                {.flags = UV_IGNORE},
                {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *) &c->out},
        };
        uv_process_options_t po = {
                .exit_cb = cc__cmd_exit,
                .file = o->self_exe,
                .args = argv.v,
                .env = env.v,
                .cwd = dir,
                .stdio_count = 3,
                .stdio = stdio,
        };
        int e = uv_spawn(c->api->loop, &c->proc, &po);
        cc_strv_free(&argv);
        cc_strv_free(&env);
        if (e < 0) {
                /* answered here; done's answer is then dropped */
                if (r)
                        cc_api_reply_error(r, 500, "running %s: %s", o->self_exe, uv_strerror(e));
                c->code = -1;
                c->open = 1;
                uv_close((uv_handle_t *) &c->out, cc__cmd_closed);
                return;
        }
        c->open = 2;
        uv_read_start((uv_stream_t *) &c->out, cc__cmd_alloc, cc__cmd_read);
}

/* cc_api_command's end: its callback with the exit code and last line. */
static void cc__sup_run(struct cc__cmd *c, const char *request, const char *const *args);

static void cc__cmd_ext(struct cc__cmd *c, int64_t code)
{
        _cleanup_free_ char *msg = cc__cmd_message(c);
        c->ext(c->ext_data, code, msg);
}

/* A command or request of no API request's: done(data, ...) at its end. */
static struct cc__cmd *cc__cmd_ext_new(struct cc_api *api, const char *project, cc_api_command_fn done, void *data)
{
        struct cc__cmd *c = cc_xcalloc(1, sizeof(*c));
        c->api = api;
        c->done = cc__cmd_ext;
        c->ext = done;
        c->ext_data = data;
        c->project = cc_xstrdup(project);
        return c;
}

void cc_api_command(struct cc_api *api, const char *project, const char *const *args, cc_api_command_fn done,
                    void *data)
{
        cc__cmd_run(cc__cmd_ext_new(api, project, done, data), args);
}

void cc_api_sup_request(struct cc_api *api, const char *project, const char *request, cc_api_command_fn done,
                        void *data)
{
        static const char *const none[] = {NULL};
        cc__sup_run(cc__cmd_ext_new(api, project, done, data), request, none);
}

static struct cc__cmd *cc__cmd_new(struct cc_api_req *r, const struct cc_api_ctr *ctr, cc__cmd_fn done)
{
        struct cc__cmd *c = cc_xcalloc(1, sizeof(*c));
        c->api = r->api;
        c->req = r;
        c->done = done;
        c->project = cc_xstrdup(ctr->st->project);
        c->id = cc_xstrdup(ctr->ct->id);
        c->name = cc_xstrdup(ctr->ct->name);
        return c;
}

/* ---- a request to the project's supervisor ----
 * What `ccompose start/stop/...` would ask it, sent on its control socket
 * from here: no process to start and no compose file to load. When no
 * supervisor answers, the command runs instead (it starts one). */

static void cc__sup_fallback(uv_handle_t *h)
{
        struct cc__cmd *c = h->data;
        if (c->args.n <= 1) {
                /* cc_api_sup_request: no command does it */
                c->code = 1;
                cc_buf_printf(&c->text, "no supervisor of project %s answers\n", c->project);
                c->open = 1;
                cc__cmd_closed(h);
                return;
        }
        cc__cmd_run(c, (const char *const *) c->args.v);
}

/* A request sent while its project's create had not ended, whose
 * supervisor went without answering: held again until that ends (then
 * failing with the create's message, or sent again). */
static bool cc__early_lost(struct cc__cmd *c)
{
        return c->early && !c->answered && cc_api_creating(c->api, c->project);
}

static void cc__rehold(uv_handle_t *h)
{
        struct cc__cmd *c = h->data;
        c->early = false;
        c->in.len = 0;
        c->text.len = 0;
        c->code = 0;
        if (!cc__hold(c))
                cc__sup_send(c);
}

/* Its answer: {"progress": "..."} lines (kept as a command's output, the
 * last one its message), then {"done": true, "exit": N}. */
static void cc__sup_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct cc__cmd *c = s->data;
        if (n > 0 && c->in.len < 64 * 1024)
                cc_buf_add(&c->in, buf->base, (size_t) n);
        free(buf->base);
        char *nl;
        while (c->in.len && (nl = memchr(c->in.s, '\n', c->in.len))) {
                *nl = '\0';
                json_object *o = json_tokener_parse(c->in.s), *v = NULL;
                if (o && json_object_object_get_ex(o, "progress", &v)) {
                        cc_buf_puts(&c->text, json_object_get_string(v));
                        cc_buf_putc(&c->text, '\n');
                } else if (o && json_object_object_get_ex(o, "done", &v)) {
                        json_object *e = NULL;
                        c->code = json_object_object_get_ex(o, "exit", &e) ? json_object_get_int(e) : 0;
                        c->answered = true;
                }
                json_object_put(o);
                size_t used = (size_t) (nl + 1 - c->in.s);
                memmove(c->in.s, nl + 1, c->in.len - used);
                c->in.len -= used;
        }
        if (n < 0 && cc__early_lost(c) && !uv_is_closing((uv_handle_t *) s)) {
                uv_close((uv_handle_t *) s, cc__rehold);
                return;
        }
        if ((n < 0 || c->answered) && !uv_is_closing((uv_handle_t *) s)) {
                if (!c->answered) {
                        c->code = 1;
                        cc_buf_printf(&c->text, "the supervisor of %s closed the connection\n", c->project);
                }
                c->open = 1;
                uv_close((uv_handle_t *) s, cc__cmd_closed);
        }
}

static void cc__sup_written(uv_write_t *w, int status)
{
        struct cc__cmd *c = w->data;
        if (status < 0 && cc__early_lost(c) && !uv_is_closing((uv_handle_t *) &c->out)) {
                uv_close((uv_handle_t *) &c->out, cc__rehold);
                return;
        }
        if (status < 0 && !uv_is_closing((uv_handle_t *) &c->out)) {
                c->code = 1;
                cc_buf_printf(&c->text, "sending to the supervisor of %s: %s\n", c->project, uv_strerror(status));
                c->open = 1;
                uv_close((uv_handle_t *) &c->out, cc__cmd_closed);
        }
}

static void cc__sup_connected(uv_connect_t *req, int status)
{
        struct cc__cmd *c = req->data;
        if (status < 0) {
                uv_close((uv_handle_t *) &c->out, cc__early_lost(c) ? cc__rehold : cc__sup_fallback);
                return;
        }
        uv_buf_t b = uv_buf_init(c->line, (unsigned) strlen(c->line));
        c->write.data = c;
        uv_read_start((uv_stream_t *) &c->out, cc__cmd_alloc, cc__sup_read);
        if (uv_write(&c->write, (uv_stream_t *) &c->out, &b, 1, cc__sup_written) < 0 &&
            !uv_is_closing((uv_handle_t *) &c->out)) {
                c->code = 1;
                c->open = 1;
                uv_close((uv_handle_t *) &c->out, cc__cmd_closed);
        }
}

/* Send request (a JSON object) to the project's supervisor; without one,
 * run `ccompose ARGS...` instead. done answers either way. Takes c. */
static void cc__sup_send(struct cc__cmd *c)
{
        _cleanup_free_ char *dir = cc_state_dir(c->api->opts->runtime_dir, c->project);
        _cleanup_free_ char *path = cc_path_join(dir, "control.sock");
        struct sockaddr_un sa;
        if (strlen(path) >= sizeof(sa.sun_path)) {
                cc__cmd_run(c, (const char *const *) c->args.v);
                return;
        }
        uv_pipe_init(c->api->loop, &c->out, 0);
        c->out.data = c;
        c->connect.data = c;
        uv_pipe_connect(&c->connect, &c->out, path, cc__sup_connected);
}

static void cc__sup_run(struct cc__cmd *c, const char *request, const char *const *args)
{
        for (size_t i = 0; args[i]; i++)
                cc_strv_push(&c->args, args[i]);
        cc_strv_push_owned(&c->args, NULL);
        c->line = cc_xasprintf("%s\n", request);
        c->held_request = true;
        c->task.abort = cc__cmd_abort;
        if (c->req)
                c->req->task = &c->task;
        if (!cc__hold(c))
                cc__sup_send(c);
}

/* The container named in the path, made through the API; NULL after
 * answering (404, or 501 for a compose container: those are changed with
 * ccompose's own commands, which act on services). */
static struct cc_api_ctr *cc__api_ctr(struct cc_api_req *r, struct cc_api_ctrs *cs, const char *ref)
{
        struct cc_api_ctr *c = cc_api_ctr_get(r, cs, ref);
        if (c && !c->api) {
                cc_api_reply_error(r, 501,
                                   "container %s belongs to the compose project %s: change it with ccompose's commands "
                                   "(ccompose -p %s stop/start/rm SERVICE)",
                                   c->ct->name, c->st->project, c->st->project);
                return NULL;
        }
        return c;
}

static bool cc__running(const struct cc_ctr_state *ct)
{
        return ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED || ct->status == CC_CTR_RESTARTING;
}

/* ---- create ---- */

bool cc_api_name_valid(const char *n)
{
        if (!n[0] || !n[1] || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", n[0]))
                return false;
        for (const char *p = n; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

static char *cc__random_hex(size_t n)
{
        unsigned char b[32];
        if (n > 2 * sizeof(b))
                n = 2 * sizeof(b);
        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (unsigned char) (rand() ^ (int) time(NULL));
        char *s = cc_xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                s[i] = "0123456789abcdef"[(b[i / 2] >> (i % 2 ? 0 : 4)) & 15];
        s[n] = '\0';
        return s;
}

/* The container named name, or NULL. */
static const struct cc_api_ctr *cc__named(const struct cc_api_ctrs *cs, const char *name)
{
        for (size_t i = 0; i < cs->n; i++)
                if (strcmp(cs->v[i].ct->name, name) == 0)
                        return &cs->v[i];
        return NULL;
}

static json_object *cc__get(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool cc__auto_remove(json_object *rec);

/* Put the new container in its project's state, as created, under a new
 * id (*id) and its name: from now on the API has it, while the forked
 * `create` brings its supervisor up, which completes the entry
 * (sup-plan.c). */
static int cc__reserve(struct cc_api *api, const char *project, const char *name, const char *service,
                       const char *image, const char *image_id, bool sync, char **id, struct cc_error *err)
{
        _cleanup_state_ struct cc_state *st = NULL;
        int r = cc_state_load(api->opts->runtime_dir, project, &st, err);
        if (r < 0)
                return r;
        struct cc_ctr_state *ct = cc_state_add(st);
        ct->id = cc_container_new_id();
        ct->name = cc_xstrdup(name);
        ct->service = cc_xstrdup(service);
        ct->number = 1;
        ct->image = cc_xstrdup(image);
        ct->image_id = cc_xstrdup(image_id);
        ct->status = CC_CTR_CREATED;
        ct->created = (long long) time(NULL);
        st->going = !sync;
        r = cc_state_save(api->opts->runtime_dir, st, err);
        if (r == 0)
                *id = cc_xstrdup(ct->id);
        return r;
}

static void cc__reaped(struct cc__cmd *c, int64_t code);

static void cc__creating_drop(struct cc_api *api, struct cc_api_creating *cr)
{
        for (struct cc_api_creating **p = &api->creating; *p; p = &(*p)->next)
                if (*p == cr) {
                        *p = cr->next;
                        break;
                }
        free(cr->project);
        free(cr->failed);
        free(cr->id);
        free(cr->name);
        free(cr);
}

/* The create's supervisor listens (it said it planned the container):
 * the requests to it that wait go now; it takes them once it is up. */
static void cc__create_listening(struct cc__cmd *c)
{
        struct cc_api_creating *cr = cc__creating(c->api, c->project);
        if (!cr || cr->listening || cr->failed)
                return;
        cr->listening = true;
        struct cc__cmd *held = cr->held, **keep = &cr->held;
        cr->held = NULL;
        while (held) {
                struct cc__cmd *w = held;
                held = w->next_held;
                w->next_held = NULL;
                if (w->held_request) {
                        w->early = true;
                        cc__sup_send(w);
                } else {
                        *keep = w;
                        keep = &w->next_held;
                }
        }
}

/* The removal of a project whose create failed ended: the removes that
 * waited for it have its result. */
static void cc__create_undone(struct cc__cmd *c, int64_t code)
{
        struct cc_api_creating *cr = cc__creating(c->api, c->project);
        struct cc__cmd *held = cr ? cr->held : NULL;
        if (cr)
                cc__creating_drop(c->api, cr);
        while (held) {
                struct cc__cmd *w = held;
                held = w->next_held;
                w->next_held = NULL;
                cc__cmd_finish(w, code);
        }
        cc__reaped(c, code);
}

/* The forked `create` ended: the supervisor is up (what waited for it
 * goes on), or it is not (what waited fails with its message, and the
 * project is removed: nothing half-made is left; until then, requests
 * fail with that message and removes wait for it). */
static void cc__create_ended(struct cc__cmd *c, int64_t code)
{
        struct cc_api *api = c->api;
        struct cc_api_creating *cr = cc__creating(api, c->project);
        if (!cr)
                return;
        struct cc__cmd *held = cr->held;
        cr->held = NULL;
        if (!code || api->stopping) {
                cc__creating_drop(api, cr);
        } else {
                _cleanup_free_ char *last = cc__cmd_message(c);
                cr->failed = *last ? cc_xasprintf("creating the container failed: %s", last)
                                   : cc_xasprintf("creating the container failed: `ccompose create` could not run "
                                                  "or ended with %lld and no message", (long long) code);
                fprintf(stderr, "%s: %s\n", c->name, cr->failed);
                cr->id = cc_xstrdup(c->id);
                cr->name = cc_xstrdup(c->name);
                cr->failed_at = uv_now(api->loop);
        }
        while (held) {
                struct cc__cmd *w = held;
                held = w->next_held;
                w->next_held = NULL;
                if (api->stopping)
                        cc__cmd_fail(w, "the service is stopping");
                else if (code) /* a request fails with its message, a remove waits for the removal */
                        cc__hold(w);
                else if (w->held_request)
                        cc__sup_send(w);
                else
                        cc__cmd_run(w, (const char *const *) w->args.v);
        }
}

/* Remove the project of a create that failed (once): when a client was
 * told (a start failed, a remove waits), or CC__UNDO_MS after (the reaper
 * looks), so that a client that has just had create's answer finds it
 * meanwhile (docker run attaches, then starts), not a 404. */
static void cc__create_undo(struct cc_api *api, struct cc_api_creating *cr)
{
        if (cr->undoing || !cr->failed)
                return;
        cr->undoing = true;
        struct cc__cmd *d = cc_xcalloc(1, sizeof(*d));
        d->api = api;
        d->done = cc__create_undone;
        d->project = cc_xstrdup(cr->project);
        d->id = cc_xstrdup(cr->id);
        d->name = cc_xstrdup(cr->name);
        d->exit_code = -1;
        static const char *const args[] = {"down", "-t", "0", "-v", NULL};
        cc__cmd_run(d, args);
}

struct cc__prepare {
        uv_work_t work;
        char *project, *id;
};

static void cc__prepare_work(uv_work_t *w)
{
        struct cc__prepare *p = w->data;
        cc_container_prepare(p->project, p->id);
}

static void cc__prepare_done(uv_work_t *w, int status)
{
        struct cc__prepare *p = w->data;
        free(p->project);
        free(p->id);
        free(p);
}

/* Its start moves a process into v1 cgroups, which waits for an RCU grace
 * period (5-20 ms) unless another move just had one, while it holds the
 * kernel's cgroup mutex (which a mkdir of a cgroup waits for too): its
 * cgroup is made and that grace period begins now, in the loop's thread
 * pool (no thread made for it), not once the supervisor forked for it is
 * up and has the start (which follows a create within ms). */
static void cc__prepare_start(struct cc_api *api, const char *project, const char *id)
{
        struct cc__prepare *p = cc_xcalloc(1, sizeof(*p));
        p->work.data = p;
        p->project = cc_xstrdup(project);
        p->id = cc_xstrdup(id);
        if (uv_queue_work(api->loop, &p->work, cc__prepare_work, cc__prepare_done) < 0)
                cc__prepare_done(&p->work, 0);
}

void cc_api_container_create(struct cc_api_req *r, char **params)
{
        for (size_t i = 0; i + 1 < r->query.n; i += 2)
                if (strcmp(r->query.v[i], "name") != 0 && strcmp(r->query.v[i], "platform") != 0) {
                        cc_api_reply_error(r, 400, "the parameter %s of container create is not supported",
                                           r->query.v[i]);
                        return;
                }
        json_object *body = cc_api_body_json(r);
        if (!body)
                return;
        const char *qname = cc_api_query(r, "name");
        struct cc_api_ctrs cs = {0};
        cc_api_ctrs_load(r->api, &cs);
        /* without one, docker's kind of name (api-names.c) */
        _cleanup_free_ char *name = qname && *qname ? cc_xstrdup(qname[0] == '/' ? qname + 1 : qname) : cc_api_new_name(&cs);
        json_object *svc = NULL, *model = NULL;
        _cleanup_free_ char *project = NULL, *hex = NULL, *dir = NULL, *image_id = NULL, *id = NULL;
        struct cc_error err = {0};
        if (!cc_api_name_valid(name)) {
                cc_api_reply_error(r, 400, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
                goto out;
        }
        const struct cc_api_ctr *taken = cc__named(&cs, name);
        if (taken) {
                cc_api_reply_error(r, 409,
                                   "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
                                   "You have to remove (or rename) that container to be able to reuse that name.",
                                   name, taken->ct->id);
                goto out;
        }
        int status = 400;
        svc = cc_api_compose_service(body, name, &status, &err);
        if (!svc) {
                cc_api_reply_error(r, status, "%s", cc_error_msg(&err));
                goto out;
        }
        /* the image must be here: docker's client pulls it on a 404 */
        const char *image = json_object_get_string(cc__get(body, "Image"));
        {
                struct cc_image_store *s = NULL;
                struct cc_image *img = NULL;
                int e = cc_image_store_open(r->api->opts->root, &s, &err);
                if (e == 0)
                        e = cc_image_lookup(s, image, &img, &err);
                if (img) {
                        image_id = cc_xstrdup(img->id);
                        cc_image_free(img);
                }
                if (s)
                        cc_image_store_close(s);
                if (e < 0) {
                        if (e == -ENOENT)
                                cc_api_reply_error(r, 404, "No such image: %s", image);
                        else
                                cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
                        goto out;
                }
        }
        hex = cc__random_hex(12);
        project = cc_xasprintf("api-%s", hex);
        model = json_object_new_object();
        json_object_object_add(model, "name", json_object_new_string(project));
        /* a network and named volumes of the API's (api-networks.c, api-volumes.c) */
        if (cc_api_model_networks(r->api, svc, model, &status, &err) < 0 ||
            (status = 500, cc_api_model_volumes(r->api, svc, model, &err)) < 0) {
                cc_api_reply_error(r, status, "%s", cc_error_msg(&err));
                goto out;
        }
        json_object *services = json_object_new_object();
        /* one name for every API container's service (/events knows them
         * by it), never one of its DNS names (sup-net-names.c): an alias
         * is one network's only */
        json_object_object_add(services, CC_API_SERVICE, json_object_get(svc));
        json_object_object_add(model, "services", services);
        /* on docker's bridge network: the shared bridge (api-networks.c) */
        if (!cc__get(svc, "network_mode") && !cc__get(svc, "networks") &&
            cc_api_model_bridge(r->api, model, &status, &err) < 0) {
                cc_api_reply_error(r, status, "%s", cc_error_msg(&err));
                goto out;
        }
        if (cc_state_dir_ensure(r->api->opts->runtime_dir, project, &err) < 0) {
                cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
                goto out;
        }
        dir = cc_state_dir(r->api->opts->runtime_dir, project);
        bool sync;
        {
                /* the request, for inspect; then the compose file */
                json_object *rec = json_object_new_object();
                json_object_object_add(rec, "Name", json_object_new_string(name));
                /* the list's order among those made in one second */
                struct timespec made;
                clock_gettime(CLOCK_REALTIME, &made);
                json_object_object_add(rec, CC_API_CREATED_NS,
                                       json_object_new_int64((int64_t) made.tv_sec * 1000000000 + made.tv_nsec));
                json_object_object_add(rec, "Config", json_object_get(body));
                json_object_object_add(rec, "HostConfig", json_object_get(cc__get(body, "HostConfig")));
                _cleanup_free_ char *rp = cc_path_join(dir, CC_API_RECORD);
                _cleanup_free_ char *fp = cc_path_join(dir, CC__COMPOSE_FILE);
                const char *rt = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
                /* not synced for an AutoRemove container: it goes at its
                 * exit, and after a crash of the machine as dockerd drops it */
                sync = !cc__auto_remove(rec);
                int e = cc_write_file_atomic_sync(rp, rt, strlen(rt), 0600, sync);
                const char *mt = json_object_to_json_string_ext(model, JSON_C_TO_STRING_PRETTY);
                if (e >= 0)
                        e = cc_write_file_atomic_sync(fp, mt, strlen(mt), 0600, sync);
                json_object_put(rec);
                if (e < 0) {
                        cc_api_reply_error(r, 500, "writing %s: %s", dir, strerror(-e));
                        cc_rm_rf(dir);
                        goto out;
                }
        }
        if (cc__reserve(r->api, project, name, CC_API_SERVICE, image, image_id, sync, &id, &err) < 0) {
                cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
                cc_rm_rf(dir);
                goto out;
        }
        cc__prepare_start(r->api, project, id);
        /* answered now; its supervisor comes up meanwhile, and what
         * needs it waits for that (cc__hold) */
        struct cc_api_creating *cr = cc_xcalloc(1, sizeof(*cr));
        cr->project = cc_xstrdup(project);
        cr->next = r->api->creating;
        r->api->creating = cr;
        struct cc__cmd *c = cc_xcalloc(1, sizeof(*c));
        c->api = r->api;
        c->done = cc__create_ended;
        c->project = cc_xstrdup(project);
        c->name = cc_xstrdup(name);
        c->id = cc_xstrdup(id);
        static const char *const args[] = {"create", NULL};
        cc__cmd_run(c, args);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Id", json_object_new_string(id));
        json_object_object_add(o, "Warnings", json_object_new_array());
        cc_api_reply_json(r, 201, o);
out:
        cc_error_clear(&err);
        json_object_put(model);
        json_object_put(svc);
        json_object_put(body);
        cc_api_ctrs_free(&cs);
}

/* ---- start, stop, kill, remove ---- */

static void cc__answered_204(struct cc__cmd *c, int64_t code)
{

        if (code == 0) {
                cc_api_reply_empty(c->req, 204);
                return;
        }
        _cleanup_free_ char *msg = cc__cmd_message(c);
        cc_api_reply_error(c->req, 500, "%s: %s", c->name, msg);
}

/* A start of an AutoRemove container that failed: answered once the
 * container is removed, as dockerd does (docker run --rm's wait for the
 * removal has then ended with it, instead of being cut short by the
 * start's error: "error waiting for container: context canceled"). */
struct cc__start_failed {
        struct cc_api_task task;
        struct cc_api_req *req;
        uv_timer_t timer;
        char *project, *id;
        int status;
        char *message;
        uint64_t since;
};

#define CC__START_FAILED_MAX_MS 10000

static void cc__start_failed_closed(uv_handle_t *h)
{
        struct cc__start_failed *f = h->data;
        struct cc_api_req *r = f->req;
        free(f->project);
        free(f->id);
        free(f->message);
        free(f);
        cc_api_done(r);
}

static void cc__start_failed_end(struct cc__start_failed *f)
{
        if (uv_is_closing((uv_handle_t *) &f->timer))
                return;
        cc_api_reply_error(f->req, f->status, "%s", f->message);
        uv_close((uv_handle_t *) &f->timer, cc__start_failed_closed);
}

static void cc__start_failed_abort(struct cc_api_task *t)
{
        cc__start_failed_end((struct cc__start_failed *) t);
}

static void cc__removed(struct cc_api *api, const char *id, int code);

/* Is the project removed, or said to be by its down (its marker)? */
static bool cc__gone(struct cc_api *api, const char *project)
{
        _cleanup_free_ char *dir = cc_state_dir(api->opts->runtime_dir, project);
        _cleanup_free_ char *mark = cc_path_join(dir, CC_STATE_REMOVED_FILE);
        return access(dir, F_OK) != 0 || access(mark, F_OK) == 0;
}

/* Is container id of project removed? */
static bool cc__project_removed(struct cc_api *api, const char *project, const char *id)
{
        _cleanup_state_ struct cc_state *st = cc_api_state_load(api, project);
        return (!st || !cc_state_find(st, id)) && cc__gone(api, project);
}

static void cc__start_failed_tick(uv_timer_t *t)
{
        struct cc__start_failed *f = t->data;
        struct cc_api *api = f->req->api;
        if (!cc__project_removed(api, f->project, f->id) && uv_now(api->loop) - f->since < CC__START_FAILED_MAX_MS)
                return;
        cc__removed(api, f->id, -1); /* its waits first: they end before the start's answer */
        cc__start_failed_end(f);
}

/* start: a process that could not be executed is said in runc's words,
 * as dockerd answers (docker run exits 127 or 126 by them) */
static void cc__start_answered(struct cc__cmd *c, int64_t code)
{
        if (code == 0) {
                cc_api_reply_empty(c->req, 204);
                return;
        }
        _cleanup_free_ char *msg = cc__cmd_message(c);
        _cleanup_free_ char *mine = cc_xasprintf("container %s: ", c->name);
        const char *m = msg;
        if (cc_startswith(m, "Error response from daemon: "))
                m += strlen("Error response from daemon: ");
        if (cc_startswith(m, mine))
                m += strlen(mine);
        int status = 500;
        _cleanup_free_ char *text = NULL;
        if (cc_startswith(m, "exec: \"")) {
                status = 400;
                text = cc_xasprintf("failed to create shim task: OCI runtime create failed: runc create "
                                    "failed: unable to start container process: %s: unknown", m);
        } else {
                text = cc_xasprintf("%s: %s", c->name, msg);
        }
        if (!c->auto_remove || !c->req || c->api->stopping) {
                cc_api_reply_error(c->req, status, "%s", text);
                return;
        }
        struct cc__start_failed *f = cc_xcalloc(1, sizeof(*f));
        f->req = c->req;
        f->task.abort = cc__start_failed_abort;
        f->req->task = &f->task;
        f->project = cc_xstrdup(c->project);
        f->id = cc_xstrdup(c->id);
        f->status = status;
        f->message = cc_steal(&text);
        f->since = uv_now(c->api->loop);
        uv_timer_init(c->api->loop, &f->timer);
        f->timer.data = f;
        uv_timer_start(&f->timer, cc__start_failed_tick, 5, 5);
        c->req = NULL; /* answered by the timer */
        cc_api_reap_soon(c->api);
}

void cc_api_container_start(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *ctr = cc__api_ctr(r, &cs, params[0]);
        if (ctr && cc__running(ctr->ct)) {
                cc_api_reply_empty(r, 304);
        } else if (ctr) {
                static const char *const args[] = {"start", NULL};
                struct cc__cmd *c = cc__cmd_new(r, ctr, cc__start_answered);
                c->auto_remove = ctr->api && cc__auto_remove(ctr->api);
                cc__sup_run(c, "{\"op\":\"start\",\"services\":[],\"timeout\":-1}", args);
        }
        cc_api_ctrs_free(&cs);
}

/* stop and restart: ?t=SECONDS (default 10) */
static void cc__stop_restart(struct cc_api_req *r, char **params, const char *op)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *ctr = cc__api_ctr(r, &cs, params[0]);
        const char *t = cc_api_query(r, "t");
        char *end = NULL;
        long long secs = t ? strtoll(t, &end, 10) : -1;
        if (ctr && t && (*end || !*t)) {
                cc_api_reply_error(r, 400, "invalid value for \"t\": %s (a number of seconds)", t);
        } else if (ctr && strcmp(op, "stop") == 0 && !cc__running(ctr->ct)) {
                cc_api_reply_empty(r, 304);
        } else if (ctr) {
                char tt[32];
                snprintf(tt, sizeof(tt), "%lld", secs < 0 ? 10 : secs);
                const char *const args[] = {op, "-t", tt, NULL};
                _cleanup_free_ char *req = cc_xasprintf("{\"op\":\"%s\",\"services\":[],\"timeout\":%lld}", op,
                                                        (secs < 0 ? 10 : secs) * 1000);
                cc__sup_run(cc__cmd_new(r, ctr, cc__answered_204), req, args);
        }
        cc_api_ctrs_free(&cs);
}

void cc_api_container_stop(struct cc_api_req *r, char **params)
{
        cc__stop_restart(r, params, "stop");
}

void cc_api_container_restart(struct cc_api_req *r, char **params)
{
        cc__stop_restart(r, params, "restart");
}

/* pause and unpause: the cgroup freezer, through the supervisor */
static void cc__freeze(struct cc_api_req *r, char **params, bool pause)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *ctr = cc__api_ctr(r, &cs, params[0]);
        if (ctr && ctr->ct->status != CC_CTR_RUNNING && ctr->ct->status != CC_CTR_PAUSED) {
                cc_api_reply_error(r, 409, "Container %s is not running", ctr->ct->id);
        } else if (ctr && pause && ctr->ct->status == CC_CTR_PAUSED) {
                cc_api_reply_error(r, 409, "Container %s is already paused", ctr->ct->id);
        } else if (ctr && !pause && ctr->ct->status != CC_CTR_PAUSED) {
                cc_api_reply_error(r, 409, "Container %s is not paused", ctr->ct->id);
        } else if (ctr) {
                const char *const args[] = {pause ? "pause" : "unpause", NULL};
                _cleanup_free_ char *req = cc_xasprintf("{\"op\":\"%s\",\"services\":[]}", args[0]);
                cc__sup_run(cc__cmd_new(r, ctr, cc__answered_204), req, args);
        }
        cc_api_ctrs_free(&cs);
}

void cc_api_container_pause(struct cc_api_req *r, char **params)
{
        cc__freeze(r, params, true);
}

void cc_api_container_unpause(struct cc_api_req *r, char **params)
{
        cc__freeze(r, params, false);
}

void cc_api_container_kill(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *ctr = cc__api_ctr(r, &cs, params[0]);
        const char *sig = cc_api_query(r, "signal");
        if (!sig || !*sig)
                sig = "SIGKILL";
        if (ctr && cc_signal_from_name(sig) <= 0) {
                cc_api_reply_error(r, 400, "Invalid signal: %s", sig);
        } else if (ctr && !cc__running(ctr->ct)) {
                cc_api_reply_error(r, 409, "Cannot kill container: %s: Container %s is not running", params[0],
                                   ctr->ct->id);
        } else if (ctr) {
                const char *const args[] = {"kill", "-s", sig, NULL};
                json_object *req = json_object_new_object();
                json_object_object_add(req, "op", json_object_new_string("kill"));
                json_object_object_add(req, "services", json_object_new_array());
                json_object_object_add(req, "signal", json_object_new_string(sig));
                cc__sup_run(cc__cmd_new(r, ctr, cc__answered_204), json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), args);
                json_object_put(req);
        }
        cc_api_ctrs_free(&cs);
}

static void cc__removed(struct cc_api *api, const char *id, int code);

static void cc__removed_204(struct cc__cmd *c, int64_t code)
{
        if (code == 0)
                cc__removed(c->api, c->id, -1);
        cc__answered_204(c, code);
}

void cc_api_container_remove(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *ctr = cc__api_ctr(r, &cs, params[0]);
        bool force = cc_api_query_bool(r, "force", false), vols = cc_api_query_bool(r, "v", false);
        if (ctr && cc_api_query_bool(r, "link", false)) {
                cc_api_reply_error(r, 400, "the parameter link of container remove is not supported");
        } else if (ctr && cc__running(ctr->ct) && !force) {
                cc_api_reply_error(r, 409,
                                   "You cannot remove a running container %s. Stop the container before attempting "
                                   "removal or force remove",
                                   ctr->ct->id);
        } else if (ctr) {
                /* the whole one-container project: container, network, state */
                const char *const args[] = {"down", "-t", "0", vols ? "-v" : NULL, NULL};
                cc__cmd_run(cc__cmd_new(r, ctr, cc__removed_204), args);
        }
        cc_api_ctrs_free(&cs);
}

/* Was the container made with HostConfig.AutoRemove (docker run --rm)? */
static bool cc__auto_remove(json_object *rec)
{
        return json_object_get_boolean(cc__get(cc__get(rec, "HostConfig"), "AutoRemove"));
}

/* ---- wait ---- */

enum cc__until { CC__NOT_RUNNING, CC__NEXT_EXIT, CC__REMOVED };

struct cc_api_wait {
        struct cc_api_task task;
        struct cc_api_req *req;
        struct cc_api_wait *next; /* on api->waits: a wait for a removal */
        uv_timer_t timer;
        uv_fs_event_t changes;  /* the project's runtime directory: its state written, the project gone */
        int open;               /* handles not closed yet */
        bool ending;
        bool auto_remove;       /* HostConfig.AutoRemove: the reaper removes it, then ends the wait */
        char *project, *id;
        enum cc__until until;
        long long exits;       /* next-exit: its exits before (every restart follows one) */
        long long finished_at; /* and its last exit's time (a supervisor older than exits) */
        int last_code;         /* removed: the exit code seen last */
        uint64_t gone_at;      /* when its state first lacked it (loop time) */
};

static void cc__wait_closed(uv_handle_t *h)
{
        struct cc_api_wait *w = h->data;
        if (--w->open > 0)
                return;
        struct cc_api_req *r = w->req;
        free(w->project);
        free(w->id);
        free(w);
        cc_api_done(r);
}

static void cc__wait_end(struct cc_api_wait *w, int code)
{
        if (code >= 0) {
                char body[64];
                int n = snprintf(body, sizeof(body), "{\"Error\":null,\"StatusCode\":%d}\n", code);
                cc_api_stream_write(w->req, body, (size_t) n);
        }
        if (w->ending)
                return;
        w->ending = true;
        for (struct cc_api_wait **p = &w->req->api->waits; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        uv_close((uv_handle_t *) &w->timer, cc__wait_closed);
        if (w->open == 2)
                uv_close((uv_handle_t *) &w->changes, cc__wait_closed);
}

/* Container id is removed (by the AutoRemove reaper, or a remove request):
 * the waits for that end now, with its exit code (code, or when -1 the
 * one each saw last). */
static void cc__removed(struct cc_api *api, const char *id, int code)
{
        for (struct cc_api_wait *w = api->waits, *next; w; w = next) {
                next = w->next;
                if (strcmp(w->id, id) == 0)
                        cc__wait_end(w, code >= 0 ? code : w->last_code);
        }
}

static void cc__wait_abort(struct cc_api_task *t)
{
        cc__wait_end((struct cc_api_wait *) t, -1);
}

static void cc__reap_ctr(struct cc_api *api, const struct cc_api_ctr *ctr);

static void cc__wait_tick(uv_timer_t *t)
{
        struct cc_api_wait *w = t->data;
        struct cc_api *api = w->req->api;
        if (w->ending)
                return;
        _cleanup_state_ struct cc_state *st = cc_api_state_load(api, w->project);
        struct cc_ctr_state *ct = st ? cc_state_find(st, w->id) : NULL;
        if (!ct) {
                /* removed once its project is gone too (down says so before
                 * it waits for the veths, and ends with its directory: later
                 * events), or 10 s after, whatever is left */
                uint64_t now = uv_now(api->loop);
                if (!w->gone_at)
                        w->gone_at = now;
                if (w->until == CC__REMOVED && !cc__gone(api, w->project) && now - w->gone_at < 10000)
                        return;
                /* removed: by the AutoRemove reaper, which kept its code */
                const struct cc_strv *rp = &api->reaped;
                size_t idl = strlen(w->id);
                for (size_t i = 0; i < rp->n; i++)
                        if (strncmp(rp->v[i], w->id, idl) == 0 && rp->v[i][idl] == ' ')
                                w->last_code = atoi(rp->v[i] + idl + 1);
                cc__wait_end(w, w->last_code);
                return;
        }
        bool stopped = !cc__running(ct) && ct->status != CC_CTR_CREATED;
        if (stopped)
                w->last_code = ct->exit_code;
        if (w->until == CC__REMOVED) {
                if (stopped && w->auto_remove) {
                        /* docker run --rm waits for this: removed at once
                         * (unless a request still streams its output) */
                        cc__reap_ctr(api, &(struct cc_api_ctr){.st = st, .ct = ct});
                        /* being removed: down's word that it is (its
                         * marker file, a change watched) or the reaper's
                         * end ends this wait; no more looks meanwhile */
                        if (cc_strv_contains(&api->reaping, w->project))
                                uv_timer_stop(&w->timer);
                }
                return;
        }
        if (w->until == CC__NEXT_EXIT && ct->exits == w->exits && ct->finished_at == w->finished_at)
                stopped = false;
        if (w->until == CC__NOT_RUNNING && ct->status == CC_CTR_CREATED)
                stopped = true;
        if (stopped)
                cc__wait_end(w, ct->exit_code);
}

static void cc__wait_changed(uv_fs_event_t *h, const char *file, int events, int status)
{
        struct cc_api_wait *w = h->data;
        /* the supervisor's state file (written to a temporary name and
         * renamed over it), or the directory itself going */
        if (!file || strcmp(file, "state.json") == 0 || (events & UV_RENAME && !cc_startswith(file, "state.json.")))
                cc__wait_tick(&w->timer);
}

void cc_api_container_wait(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *ctr = cc_api_ctr_get(r, &cs, params[0]);
        const char *cond = cc_api_query(r, "condition");
        enum cc__until until = CC__NOT_RUNNING;
        if (cond && strcmp(cond, "next-exit") == 0)
                until = CC__NEXT_EXIT;
        else if (cond && strcmp(cond, "removed") == 0)
                until = CC__REMOVED;
        else if (cond && *cond && strcmp(cond, "not-running") != 0) {
                if (ctr)
                        cc_api_reply_error(r, 400, "invalid condition: \"%s\" (not-running, next-exit, removed)", cond);
                ctr = NULL;
        }
        if (ctr) {
                struct cc_api_wait *w = cc_xcalloc(1, sizeof(*w));
                w->req = r;
                w->task.abort = cc__wait_abort;
                w->project = cc_xstrdup(ctr->st->project);
                w->id = cc_xstrdup(ctr->ct->id);
                w->until = until;
                w->auto_remove = ctr->api && cc__auto_remove(ctr->api);
                w->exits = ctr->ct->exits;
                w->finished_at = ctr->ct->finished_at;
                w->last_code = ctr->ct->exit_code;
                r->task = &w->task;
                if (until == CC__REMOVED) {
                        w->next = r->api->waits;
                        r->api->waits = w;
                }
                /* the headers at once (docker run waits for them before it starts) */
                cc_api_stream_begin(r, 200, "application/json");
                uv_timer_init(r->api->loop, &w->timer);
                w->timer.data = w;
                w->open = 1;
                /* a look whenever the supervisor writes the state (or down
                 * removes the project), and every so often besides */
                _cleanup_free_ char *dir = cc_state_dir(r->api->opts->runtime_dir, w->project);
                uv_fs_event_init(r->api->loop, &w->changes);
                w->changes.data = w;
                if (uv_fs_event_start(&w->changes, cc__wait_changed, dir, 0) == 0)
                        w->open = 2;
                else
                        uv_close((uv_handle_t *) &w->changes, NULL);
                uv_timer_start(&w->timer, cc__wait_tick, 0, w->open == 2 ? 500 : 100);
        }
        cc_api_ctrs_free(&cs);
}

/* ---- AutoRemove (docker run --rm) ---- */

static void cc__reaped(struct cc__cmd *c, int64_t code)
{
        struct cc_strv *busy = &c->api->reaping;
        /* one that failed stays on the list: said once, not retried */
        for (size_t i = 0; code == 0 && i < busy->n; i++)
                if (strcmp(busy->v[i], c->project) == 0) {
                        free(busy->v[i]);
                        busy->v[i] = busy->v[--busy->n];
                        break;
                }
        if (code != 0) {
                _cleanup_free_ char *msg = cc__cmd_message(c);
                fprintf(stderr, "removing container %s: %s\n", c->name, msg);
        }
        cc__removed(c->api, c->id, c->exit_code);
}

/* An exited API container made with AutoRemove goes, with its anonymous
 * volumes, as dockerd removes it: `down -t 0 -v` of its project, unless
 * it is being removed already or a request streams its output. */
static void cc__reap_ctr(struct cc_api *api, const struct cc_api_ctr *ctr)
{
        if ((ctr->ct->status != CC_CTR_EXITED && ctr->ct->status != CC_CTR_DEAD) ||
            cc_strv_contains(&api->reaping, ctr->st->project) || cc_strv_contains(&api->following, ctr->ct->id))
                return;
        cc_strv_push(&api->reaping, ctr->st->project);
        /* its exit code, for a wait that sees it only gone */
        if (api->reaped.n >= 256) {
                free(api->reaped.v[0]);
                memmove(api->reaped.v, api->reaped.v + 1, (api->reaped.n - 1) * sizeof(char *));
                api->reaped.n--;
        }
        cc_strv_push_owned(&api->reaped, cc_xasprintf("%s %d", ctr->ct->id, ctr->ct->exit_code));
        struct cc__cmd *c = cc_xcalloc(1, sizeof(*c));
        c->api = api;
        c->done = cc__reaped;
        c->project = cc_xstrdup(ctr->st->project);
        c->id = cc_xstrdup(ctr->ct->id);
        c->name = cc_xstrdup(ctr->ct->name);
        c->exit_code = ctr->ct->exit_code;
        static const char *const args[] = {"down", "-t", "0", "-v", NULL};
        cc__cmd_run(c, args);
}

/* Every so often: the AutoRemove containers that exited with no wait
 * looking (docker run -d --rm), while this service runs. */
static void cc__reap_tick(uv_timer_t *t)
{
        struct cc_api *api = t->data;
        for (struct cc_api_creating *cr = api->creating; cr; cr = cr->next)
                if (cr->failed && uv_now(api->loop) - cr->failed_at >= CC__UNDO_MS)
                        cc__create_undo(api, cr);
        struct cc_api_ctrs cs;
        cc_api_ctrs_load_where(api, cc__auto_remove, &cs); /* only theirs: this runs every 200 ms */
        for (size_t i = 0; i < cs.n; i++)
                cc__reap_ctr(api, &cs.v[i]);
        cc_api_ctrs_free(&cs);
}

void cc_api_reap_soon(struct cc_api *api)
{
        if (!api->stopping && uv_is_active((uv_handle_t *) &api->reaper))
                uv_timer_start(&api->reaper, cc__reap_tick, 0, 200);
}

void cc_api_reaper_start(struct cc_api *api)
{
        uv_timer_init(api->loop, &api->reaper);
        api->reaper.data = api;
        uv_timer_start(&api->reaper, cc__reap_tick, 200, 200);
}
