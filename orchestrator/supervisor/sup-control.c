/* The control socket: <runtime>/<project>/control.sock, one JSON request
 * per connection, answered with JSON lines {"progress": "..."} and a final
 * {"done": true, "exit": N}. Requests change what runs (stop, start,
 * restart, kill, pause, unpause, down, handover); what only reads (ps,
 * logs, events) uses the state and log files and needs no supervisor. */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sup-net.h"
#include "sup-internal.h"
#include "sup-request.h"

struct cc_conn {
        uv_pipe_t pipe;
        struct cc_sup *sup;
        struct cc_buf in;
};

static char *cc__sock_path(const char *runtime_dir, const char *project)
{
        return cc_xasprintf("%s/%s/control.sock", runtime_dir, project);
}

static void cc__conn_closed(uv_handle_t *h)
{
        struct cc_conn *cn = h->data;
        cc_buf_free(&cn->in);
        free(cn);
}

/* Save the state; a failure is the request's error (the client says so
 * and exits non-zero): what the user asked for happened, but the state
 * file that ps and a later supervisor read is stale. */
static int cc__save(struct cc_sup *s)
{
        struct cc_error err = {0};
        int r = cc_state_save(s->cli->runtime_dir, s->state, &err);
        if (r < 0) {
                cc_sup_progress(s, "saving the project's state: %s", cc_error_msg(&err));
                fprintf(stderr, "saving state: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
        }
        return r;
}

static void cc__alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void) h;
        buf->base = cc_xmalloc(suggested);
        buf->len = suggested;
}

/* Blocking write of the whole reply: requests are rare and replies small.
 * A client that does not read gets at most about a second of waiting. */
static void cc__reply(struct cc_conn *cn, const char *text)
{
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *) &cn->pipe, &fd) != 0)
                return;
        size_t off = 0, len = strlen(text);
        int waits = 0;
        while (off < len) {
                ssize_t n = write(fd, text + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN && waits++ < 1000) {
                        usleep(1000);
                        continue;
                }
                if (n <= 0)
                        return;
                off += (size_t) n;
        }
}

/* stop, restart: the wanted services' containers stop level by level,
 * each level at once (supervisor.c). */
static void cc__stop_wanted(struct cc_sup *s, const struct cc_ctl_req *req, long long timeout)
{
        size_t n = 0;
        for (size_t i = 0; i < s->n_svcs; i++)
                n += s->svcs[i].n_ctrs;
        struct cc_sup_ctr **list = cc_xcalloc(n + 1, sizeof(*list));
        n = 0;
        /* a start (or up) waiting to start them gives them up */
        for (size_t i = 0; i < s->n_svcs; i++)
                if (s->svcs[i].phase == CC_SVC_WAITING && cc_ctl_req_wants(req, s->svcs[i].name))
                        s->svcs[i].phase = CC_SVC_IDLE;
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; cc_ctl_req_wants(req, s->svcs[i].name) && j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        struct cc_ctr_state *st = cc_sup_ctr_state(c);
                        if (!st || c->removing)
                                continue;
                        st->stopped_by_user = true;
                        if (c->c) {
                                list[n++] = c;
                        } else if (uv_is_active((uv_handle_t *) &c->restart_timer)) {
                                uv_timer_stop(&c->restart_timer);
                                st->status = CC_CTR_EXITED;
                        }
                }
        cc_sup_stop_levels(s, list, n, timeout);
        for (size_t i = 0; i < n; i++)
                cc_sup_event(s, cc_sup_ctr_state(list[i]), "stop", NULL, NULL);
        free(list);
}

/* restart: services depending on a restarted one with `restart: true`
 * are restarted with it (transitively). */
static void cc__restart_dependents(struct cc_sup *s, struct cc_ctl_req *req)
{
        if (req->services.n == 0)
                return;
        struct cc_node *defs = cc_project_services(s->project);
        bool grew = true;
        while (grew) {
                grew = false;
                for (size_t i = 0; i < defs->n; i++) {
                        const char *name = cc_node_key(defs, i);
                        if (cc_ctl_req_wants(req, name))
                                continue;
                        struct cc_node *deps = cc_node_map_get(defs->items[i], "depends_on");
                        for (size_t k = 0; cc_node_is_map(deps) && k < deps->n; k++) {
                                const char *rs = cc_node_map_str(deps->items[k], "restart");
                                if (rs && strcmp(rs, "true") == 0 && cc_ctl_req_wants(req, cc_node_key(deps, k))) {
                                        cc_strv_push(&req->services, name);
                                        grew = true;
                                        break;
                                }
                        }
                }
        }
}

static int cc__op_each(struct cc_sup *s, struct cc_ctl_req *req)
{
        enum cc_ctl_op op = req->op;
        long long timeout = req->timeout_ms;
        int sig = req->sig;
        struct cc_error err = {0};
        int rc = 0;

        if (op == CC_CTL_RESTART)
                cc__restart_dependents(s, req);
        if (op == CC_CTL_STOP || op == CC_CTL_RESTART)
                cc__stop_wanted(s, req, timeout);
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct cc_sup_svc *svc = &s->svcs[i];
                if (!cc_ctl_req_wants(req, svc->name))
                        continue;
                for (size_t j = 0; j < svc->n_ctrs; j++) {
                        struct cc_sup_ctr *c = svc->ctrs[j];
                        struct cc_ctr_state *st = cc_sup_ctr_state(c);
                        if (!st || c->removing)
                                continue;
                        if (op == CC_CTL_RESTART) {
                                st->stopped_by_user = false;
                                if (c->c)
                                        continue;
                                cc_sup_progress(s, " Container %s  Starting", st->name);
                                if (cc_sup_start_ctr(c, &err) < 0) {
                                        cc_sup_progress(s, "%s", cc_error_msg(&err));
                                        cc_error_clear(&err);
                                        rc = 1;
                                        continue;
                                }
                                if (op == CC_CTL_RESTART)
                                        cc_sup_event(s, st, "restart", NULL, NULL);
                                _cleanup_free_ char *why = NULL;
                                if (cc_sup_hooks_run(c, "post_start", -1, &why) != 0) {
                                        cc_sup_progress(s, " Container %s  Error", st->name);
                                        cc_sup_progress(s, "%s", why);
                                        rc = 1;
                                        continue;
                                }
                                cc_sup_progress(s, " Container %s  Started", st->name);
                        } else if (op == CC_CTL_KILL) {
                                if (!c->c)
                                        continue;
                                st->stopped_by_user = true;
                                c->killed = c->killed || sig == SIGKILL;
                                cc_sup_progress(s, " Container %s  Killing", st->name);
                                if (cc_container_kill(c->c, sig, &err) < 0) {
                                        cc_sup_progress(s, "%s", cc_error_msg(&err));
                                        cc_error_clear(&err);
                                        rc = 1;
                                }
                                cc_sup_event_kill(s, st, sig);
                                cc_sup_progress(s, " Container %s  Killed", st->name);
                        } else if (op == CC_CTL_PAUSE || op == CC_CTL_UNPAUSE) {
                                bool pause = op == CC_CTL_PAUSE;
                                if (!c->c)
                                        continue;
                                cc_sup_progress(s, " Container %s  %s", st->name, pause ? "Pausing" : "Unpausing");
                                if (cc_container_freeze(c->c, pause, &err) < 0) {
                                        cc_sup_progress(s, "%s", cc_error_msg(&err));
                                        cc_error_clear(&err);
                                        rc = 1;
                                        continue;
                                }
                                st->status = pause ? CC_CTR_PAUSED : CC_CTR_RUNNING;
                                cc_sup_event(s, st, pause ? "pause" : "unpause", NULL, NULL);
                                cc_sup_progress(s, " Container %s  %s", st->name, pause ? "Paused" : "Unpaused");
                        }
                }
        }
        return cc__save(s) < 0 ? 1 : rc;
}

/* run -d: {"op":"run","service":S,"env":[...],"volumes":[...],"command":[...],
 * "user":U,"workdir":W,"entrypoint":E,"name":N,"cap_add":[...],"cap_drop":[...]} */
static int cc__op_run(struct cc_sup *s, struct cc_ctl_req *req)
{
        struct cc_spec_overrides *ov = cc_steal(&req->ov);
        _cleanup_free_ char *name = NULL;
        struct cc_error err = {0};
        if (cc_sup_run_oneoff(s, req->service, ov, req->name, &name, &err) < 0) {
                cc_sup_progress(s, "service %s: %s", req->service, cc_error_msg(&err));
                cc_error_clear(&err);
                return 125;
        }
        /* docker compose run -d prints the container's name on stdout */
        json_object *o = json_object_new_object();
        json_object_object_add(o, "output", json_object_new_string(name));
        cc_buf_printf(s->reply, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return 0;
}

/* A foreground run's container, started by the CLI, on the service's
 * networks: {"op":"netattach"|"netdetach","service":S,"id":ID,"name":N,"pid":P} */
static int cc__op_net(struct cc_sup *s, const struct cc_ctl_req *req)
{
        const char *service = req->service, *id = req->id, *name = req->name;
        bool attach = req->op == CC_CTL_NETATTACH;
        if (!attach) {
                cc_sup_net_detach_oneoff(s, service, id, name);
                return 0;
        }
        struct cc_error err = {0};
        if (cc_sup_net_attach_oneoff(s, service, id, name, req->pid, &err) < 0) {
                cc_sup_progress(s, "service %s: %s", service, cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

/* A running container on one more network of the model, or off one:
 * {"op":"netconnect"|"netdisconnect","id":ID,"network":KEY} */
static int cc__op_netconnect(struct cc_sup *s, const struct cc_ctl_req *req)
{
        struct cc_error err = {0};
        int r = req->op == CC_CTL_NETCONNECT ? cc_sup_net_connect(s, req->id, req->network, &err)
                                               : cc_sup_net_disconnect(s, req->id, req->network, &err);
        if (r < 0) {
                cc_sup_progress(s, "%s", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

/* rm: stopped containers go (with "stop": true, running ones are stopped first). */
static int cc__op_rm(struct cc_sup *s, const struct cc_ctl_req *req)
{
        bool stop = req->stop;
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct cc_sup_svc *svc = &s->svcs[i];
                if (!cc_ctl_req_wants(req, svc->name))
                        continue;
                for (size_t j = 0; j < svc->n_ctrs;) {
                        struct cc_sup_ctr *c = svc->ctrs[j];
                        struct cc_ctr_state *st = cc_sup_ctr_state(c);
                        if (!st || (c->c && !stop)) {
                                j++;
                                continue;
                        }
                        c->removing = true;
                        if (c->c)
                                cc_sup_stop_ctrs(s, &c, 1, -1);
                        uv_timer_stop(&c->restart_timer);
                        _cleanup_free_ char *id = cc_xstrdup(st->id), *name = cc_xstrdup(st->name);
                        cc_sup_remove_ctr(s, id, name);
                        memmove(svc->ctrs + j, svc->ctrs + j + 1, (svc->n_ctrs - j - 1) * sizeof(*svc->ctrs));
                        svc->n_ctrs--;
                        cc_sup_ctr_retire(c);
                }
        }
        return cc__save(s) < 0 ? 1 : 0;
}

/* attach to a tty: true container: {"op":"resize","id":ID,"rows":R,"cols":C} */
static int cc__op_resize(struct cc_sup *s, const struct cc_ctl_req *req)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        if (strcmp(c->id, req->id) != 0)
                                continue;
                        int r = c->c ? cc_sup_output_resize(c, req->rows, req->cols) : -ENOTTY;
                        if (r == 0)
                                return 0;
                        cc_sup_progress(s, "container %s: cannot resize its terminal: %s",
                                        cc_sup_ctr_state(c) ? cc_sup_ctr_state(c)->name : c->id,
                                        r == -ENOTTY ? "it has none" : strerror(-r));
                        return 1;
                }
        cc_sup_progress(s, "no such container: %s", req->id);
        return 1;
}

/* the API's rename: {"op":"rename","id":ID,"name":NEW}; the new name is
 * the container's from now on (its state, ps, events), as docker renames */
static int cc__op_rename(struct cc_sup *s, const struct cc_ctl_req *req)
{
        struct cc_ctr_state *st = cc_state_find(s->state, req->id);
        if (!st) {
                cc_sup_progress(s, "no such container: %s", req->id);
                return 1;
        }
        _cleanup_free_ char *old = st->name;
        st->name = cc_xstrdup(req->name);
        cc_sup_event(s, st, "rename", "oldName", old);
        return cc__save(s) < 0 ? 1 : 0;
}

/* Act on a request that parsed; returns the exit code for the client. */
static int cc__dispatch(struct cc_sup *s, struct cc_ctl_req *req, bool *finish, bool *keep)
{
        switch (req->op) {
        case CC_CTL_PING:
                return 0;
        case CC_CTL_DOWN:
                if (req->has_timeout)
                        s->opts.stop_timeout_ms = req->timeout_ms;
                s->state->going = true; /* down deletes the state file after */
                cc_sup_stop_all(s, true);
                cc_sup_remove_all(s);
                *finish = true;
                return 0;
        case CC_CTL_HANDOVER:
                *finish = *keep = true;
                return 0;
        case CC_CTL_RUN:
                return cc__op_run(s, req);
        case CC_CTL_RM:
                return cc__op_rm(s, req);
        case CC_CTL_RESIZE:
                return cc__op_resize(s, req);
        case CC_CTL_RENAME:
                return cc__op_rename(s, req);
        case CC_CTL_NETATTACH:
        case CC_CTL_NETDETACH:
                return cc__op_net(s, req);
        case CC_CTL_NETCONNECT:
        case CC_CTL_NETDISCONNECT:
                return cc__op_netconnect(s, req);
        case CC_CTL_START: /* one start at a time waits for its services */
                if (s->stopping)
                        cc_sup_progress(s, "project %s is stopping", s->project->name);
                else
                        cc_sup_progress(s, "another start of project %s is waiting for its services", s->project->name);
                return 1;
        default:
                return cc__op_each(s, req);
        }
}

/* Send the pending start's progress gathered so far. */
static void cc__pending_flush(struct cc_sup_pending *p)
{
        if (p->out.len == 0)
                return;
        cc__reply(p->conn, p->out.s);
        cc_buf_free(&p->out);
}

/* Answer the pending start with rc and close its connection. */
static void cc__pending_finish(struct cc_sup *s, int rc)
{
        struct cc_sup_pending *p = s->pending;
        if (cc__save(s) < 0)
                rc = 1;
        cc_buf_printf(&p->out, "{\"done\":true,\"exit\":%d}\n", rc);
        cc__pending_flush(p);
        uv_close((uv_handle_t *) &p->conn->pipe, cc__conn_closed);
        if (s->reply == &p->out)
                s->reply = NULL;
        cc_strv_free(&p->services);
        free(p);
        s->pending = NULL;
}

void cc_sup_control_pending(struct cc_sup *s)
{
        if (!s->pending)
                return;
        int rc = cc_sup_start_settled(s, &s->pending->services);
        if (rc == -EAGAIN && !s->stopping) {
                cc__pending_flush(s->pending);
                return;
        }
        if (rc == -EAGAIN) {
                cc_sup_progress(s, "the project is stopping: start abandoned");
                rc = 1;
        }
        cc__pending_finish(s, rc);
}

/* start: answered later, once its services no longer wait (the loop
 * runs meanwhile); progress goes to the client as it comes. */
static void cc__start_later(struct cc_conn *cn, const struct cc_ctl_req *req)
{
        struct cc_sup *s = cn->sup;
        s->pending = cc_xcalloc(1, sizeof(*s->pending));
        s->pending->conn = cn;
        s->reply = &s->pending->out;
        cc_sup_start_begin(s, &req->services, &s->pending->services);
        cc_sup_kick(s); /* starts what may start; answers when nothing waits */
}

/* reexec (a later up -d): the supervisor re-executes itself with that
 * up's command line, environment and directory, in this same process, so
 * that its containers stay its children (sup-main.c). The connection
 * becomes the new image's progress channel, as the pipe of a new daemon
 * is: lines, then "\001READY N". An attached up re-executes itself the
 * same way and stays attached (its terminal keeps the containers' output). */
static void cc__reexec(struct cc_conn *cn, struct cc_ctl_req *req)
{
        struct cc_sup *s = cn->sup;
        struct cc_error err = {0};
        uv_os_fd_t fd;
        s->reply = s->pending ? &s->pending->out : NULL;
        if (s->stopping)
                cc_error_set(&err, -EBUSY, "project %s is stopping", s->project->name);
        else if (s->pending) /* its client waits on a connection the execve would close */
                cc_error_set(&err, -EBUSY, "a start of project %s is waiting for its services; try again once it is done",
                             s->project->name);
        else if (uv_fileno((uv_handle_t *) &cn->pipe, &fd) != 0)
                cc_error_set(&err, -EBADF, "the request's connection has no descriptor");
        else
                cc_sup_reexec(s, fd, &req->argv, &req->env, req->cwd, &err); /* only returns on failure */
        _cleanup_free_ char *text = cc_xasprintf("%s\n\001READY 1\n", cc_error_msg(&err));
        cc_error_clear(&err);
        cc__reply(cn, text);
        uv_close((uv_handle_t *) &cn->pipe, cc__conn_closed);
}

static void cc__handle(struct cc_conn *cn, const char *line, size_t len)
{
        struct cc_sup *s = cn->sup;
        struct cc_ctl_req req;
        struct cc_error err = {0};
        struct cc_buf out = {0};
        int rc;
        bool finish = false, keep = false;

        s->reply = &out;
        if (cc_ctl_req_parse(line, len, &req, &err) < 0) {
                cc_sup_progress(s, "%s", cc_error_msg(&err));
                cc_error_clear(&err);
                rc = 1;
        } else if (req.op == CC_CTL_REEXEC) {
                cc__reexec(cn, &req);
                cc_ctl_req_clear(&req);
                cc_buf_free(&out);
                return;
        } else if (req.op == CC_CTL_START && !s->pending && !s->stopping) {
                cc__start_later(cn, &req);
                cc_ctl_req_clear(&req);
                cc_buf_free(&out);
                return;
        } else {
                rc = cc__dispatch(s, &req, &finish, &keep);
                cc_ctl_req_clear(&req);
        }
        s->reply = s->pending ? &s->pending->out : NULL;
        cc_buf_printf(&out, "{\"done\":true,\"exit\":%d}\n", rc);
        cc__reply(cn, out.s);
        if (!finish)
                cc_sup_kick(s);
        cc_buf_free(&out);
        uv_close((uv_handle_t *) &cn->pipe, cc__conn_closed);
        if (finish)
                cc_sup_shutdown(s, keep);
}

/* A request longer than CC_CTL_MAX_REQUEST: an error, and the connection
 * is closed without reading the rest. */
static void cc__too_long(struct cc_conn *cn)
{
        json_object *o = json_object_new_object();
        _cleanup_free_ char *msg = cc_xasprintf("request refused: longer than %d bytes", CC_CTL_MAX_REQUEST);
        json_object_object_add(o, "progress", json_object_new_string(msg));
        _cleanup_free_ char *text = cc_xasprintf("%s\n{\"done\":true,\"exit\":1}\n",
                                                 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        fprintf(stderr, "control socket: %s\n", msg);
        cc__reply(cn, text);
        uv_close((uv_handle_t *) &cn->pipe, cc__conn_closed);
}

static void cc__read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
        struct cc_conn *cn = st->data;
        if (n > 0) {
                size_t old = cn->in.len;
                cc_buf_add(&cn->in, buf->base, (size_t) n);
                free(buf->base);
                char *nl = memchr(cn->in.s + old, '\n', (size_t) n);
                size_t len = nl ? (size_t) (nl - cn->in.s) : cn->in.len;
                if (len > CC_CTL_MAX_REQUEST) {
                        uv_read_stop(st);
                        cc__too_long(cn);
                } else if (nl) {
                        *nl = '\0';
                        uv_read_stop(st);
                        cc__handle(cn, cn->in.s, len);
                }
                return;
        }
        if (n < 0)
                uv_close((uv_handle_t *) st, cc__conn_closed);
        free(buf->base);
}

static void cc__on_connection(uv_stream_t *server, int status)
{
        struct cc_sup *s = server->data;
        if (status < 0)
                return;
        struct cc_conn *cn = cc_xcalloc(1, sizeof(*cn));
        cn->sup = s;
        uv_pipe_init(s->loop, &cn->pipe, 0);
        cn->pipe.data = cn;
        if (uv_accept(server, (uv_stream_t *) &cn->pipe) < 0) {
                uv_close((uv_handle_t *) &cn->pipe, cc__conn_closed);
                return;
        }
        uv_read_start((uv_stream_t *) &cn->pipe, cc__alloc, cc__read);
}

int cc_sup_control_listen(struct cc_sup *s, struct cc_error *err)
{
        _cleanup_free_ char *path = cc__sock_path(s->cli->runtime_dir, s->project->name);
        _cleanup_free_ char *dir = cc_state_dir(s->cli->runtime_dir, s->project->name);
        cc_mkdir_p(dir, 0700);
        unlink(path);
        uv_pipe_init(s->loop, &s->control, 0);
        s->control.data = s;
        int r = uv_pipe_bind(&s->control, path);
        if (r == 0)
                r = uv_listen((uv_stream_t *) &s->control, 16, cc__on_connection);
        if (r < 0) {
                uv_close((uv_handle_t *) &s->control, NULL);
                return cc_error_set(err, -EIO, "control socket %s: %s", path, uv_strerror(r));
        }
        s->control_on = true;
        return 0;
}

void cc_sup_control_close(struct cc_sup *s)
{
        if (!s->control_on)
                return;
        _cleanup_free_ char *path = cc__sock_path(s->cli->runtime_dir, s->project->name);
        if (s->pending) {
                s->reply = &s->pending->out;
                cc_sup_progress(s, "the project is stopping: start abandoned");
                cc__pending_finish(s, 1);
        }
        uv_close((uv_handle_t *) &s->control, NULL);
        s->control_on = false;
        unlink(path);
}

/* Connect to the project's supervisor and send one request line: the
 * connected socket, or -ENOENT when no supervisor runs. */
static int cc__send(const struct cc_cli *cli, const char *project, const char *json, struct cc_error *err)
{
        _cleanup_free_ char *path = cc__sock_path(cli->runtime_dir, project);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return cc_error_set(err, -ENAMETOOLONG, "control socket path too long: %s", path);
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = -errno;
                if (e == -ENOENT || e == -ECONNREFUSED)
                        return cc_error_set(err, -ENOENT, "no supervisor runs project %s", project);
                return cc_error_setsys(err, e, "connecting to %s", path);
        }
        size_t len = strlen(json);
        if (write(fd, json, len) != (ssize_t) len || write(fd, "\n", 1) != 1)
                return cc_error_setsys(err, -errno, "sending to the supervisor");
        return cc_steal_fd(&fd);
}

int cc_sup_request_reexec(const struct cc_cli *cli, const char *project, struct cc_error *err)
{
        extern char **environ;
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
                return cc_error_setsys(err, -errno, "getcwd");
        json_object *req = json_object_new_object();
        json_object *argv = json_object_new_array(), *env = json_object_new_array();
        for (size_t i = 0; i < cli->argv.n; i++)
                json_object_array_add(argv, json_object_new_string(cli->argv.v[i]));
        for (char **e = environ; *e; e++)
                json_object_array_add(env, json_object_new_string(*e));
        json_object_object_add(req, "op", json_object_new_string("reexec"));
        json_object_object_add(req, "argv", argv);
        json_object_object_add(req, "env", env);
        json_object_object_add(req, "cwd", json_object_new_string(cwd));
        int fd = cc__send(cli, project, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), err);
        json_object_put(req);
        return fd;
}

int cc_sup_request(const struct cc_cli *cli, const char *project, const char *json, int *exit_code,
                   struct cc_error *err)
{
        _cleanup_close_ int fd = cc__send(cli, project, json, err);
        if (fd < 0)
                return fd;
        FILE *f = fdopen(cc_steal_fd(&fd), "r");
        char *line = NULL;
        size_t cap = 0;
        int r = cc_error_set(err, -EPIPE, "the supervisor of %s closed the connection", project);
        while (getline(&line, &cap, f) > 0) {
                json_object *o = json_tokener_parse(line);
                json_object *v = NULL;
                if (o && json_object_object_get_ex(o, "progress", &v)) {
                        fprintf(cc_cli_status(), "%s\n", json_object_get_string(v));
                } else if (o && json_object_object_get_ex(o, "output", &v)) {
                        printf("%s\n", json_object_get_string(v));
                        fflush(stdout);
                } else if (o && json_object_object_get_ex(o, "done", &v)) {
                        json_object *e = NULL;
                        json_object_object_get_ex(o, "exit", &e);
                        if (exit_code)
                                *exit_code = e ? json_object_get_int(e) : 0;
                        cc_error_clear(err);
                        r = 0;
                }
                json_object_put(o);
                if (r == 0)
                        break;
        }
        free(line);
        fclose(f);
        return r;
}
