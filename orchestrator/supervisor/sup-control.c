/* The control socket: <runtime>/<project>/control.sock, one JSON request
 * per connection, answered with JSON lines {"progress": "..."} and a final
 * {"done": true, "exit": N}. Requests change what runs (stop, start,
 * restart, kill, pause, unpause, down, handover); what only reads (ps,
 * logs, events) uses the state and log files and needs no supervisor. */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sup-net.h"
#include "sup-internal.h"

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

static void cc__alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void) h;
        buf->base = cc_xmalloc(suggested);
        buf->len = suggested;
}

static bool cc__wants(json_object *services, const char *name)
{
        if (!services || json_object_array_length(services) == 0)
                return true;
        for (size_t i = 0; i < json_object_array_length(services); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(services, i)), name) == 0)
                        return true;
        return false;
}

/* Blocking write of the whole reply: requests are rare and small. */
static void cc__reply(struct cc_conn *cn, const char *text)
{
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *) &cn->pipe, &fd) != 0)
                return;
        size_t off = 0, len = strlen(text);
        while (off < len) {
                ssize_t n = write(fd, text + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        usleep(1000);
                        continue;
                }
                if (n <= 0)
                        return;
                off += (size_t) n;
        }
}

static int cc__op_each(struct cc_sup *s, const char *op, json_object *req)
{
        json_object *services = NULL, *jsig = NULL, *jt = NULL;
        json_object_object_get_ex(req, "services", &services);
        json_object_object_get_ex(req, "signal", &jsig);
        json_object_object_get_ex(req, "timeout", &jt);
        long long timeout = jt ? json_object_get_int64(jt) : -1;
        int sig = jsig ? cc_signal_from_name(json_object_get_string(jsig)) : SIGKILL;
        struct cc_error err = {0};
        int rc = 0;

        if (jsig && sig <= 0) {
                cc_sup_progress(s, "invalid signal \"%s\"", json_object_get_string(jsig));
                return 1;
        }
        /* restart: services depending on a restarted one with
         * `restart: true` are restarted with it (transitively) */
        json_object *extended = NULL;
        if (strcmp(op, "restart") == 0 && services && json_object_array_length(services) > 0) {
                extended = json_object_get(services);
                struct cc_node *defs = cc_project_services(s->project);
                bool grew = true;
                while (grew) {
                        grew = false;
                        for (size_t i = 0; i < defs->n; i++) {
                                const char *name = cc_node_key(defs, i);
                                if (cc__wants(extended, name))
                                        continue;
                                struct cc_node *deps = cc_node_map_get(defs->items[i], "depends_on");
                                for (size_t k = 0; cc_node_is_map(deps) && k < deps->n; k++) {
                                        const char *rs = cc_node_map_str(deps->items[k], "restart");
                                        if (rs && strcmp(rs, "true") == 0 && cc__wants(extended, cc_node_key(deps, k))) {
                                                json_object_array_add(extended, json_object_new_string(name));
                                                grew = true;
                                                break;
                                        }
                                }
                        }
                }
                services = extended;
        }
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct cc_sup_svc *svc = &s->svcs[i];
                if (!cc__wants(services, svc->name))
                        continue;
                for (size_t j = 0; j < svc->n_ctrs; j++) {
                        struct cc_sup_ctr *c = svc->ctrs[j];
                        struct cc_ctr_state *st = cc_sup_ctr_state(c);
                        if (!st || c->removing)
                                continue;
                        if (strcmp(op, "stop") == 0 || strcmp(op, "restart") == 0) {
                                st->stopped_by_user = true;
                                if (c->c) {
                                        cc_sup_stop_ctrs(s, &c, 1, timeout);
                                        cc_sup_event(s, cc_sup_ctr_state(c), "stop", NULL, NULL);
                                }
                                else if (uv_is_active((uv_handle_t *) &c->restart_timer)) {
                                        uv_timer_stop(&c->restart_timer);
                                        st->status = CC_CTR_EXITED;
                                }
                        }
                        if (strcmp(op, "start") == 0 || strcmp(op, "restart") == 0) {
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
                                cc_sup_progress(s, " Container %s  Started", st->name);
                        } else if (strcmp(op, "kill") == 0) {
                                if (!c->c)
                                        continue;
                                st->stopped_by_user = true;
                                cc_sup_progress(s, " Container %s  Killing", st->name);
                                if (cc_container_kill(c->c, sig, &err) < 0) {
                                        cc_sup_progress(s, "%s", cc_error_msg(&err));
                                        cc_error_clear(&err);
                                        rc = 1;
                                }
                                cc_sup_event(s, st, "kill", "signal", json_object_get_string(jsig));
                                cc_sup_progress(s, " Container %s  Killed", st->name);
                        } else if (strcmp(op, "pause") == 0 || strcmp(op, "unpause") == 0) {
                                bool pause = op[0] == 'p';
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
        cc_sup_save(s);
        json_object_put(extended);
        return rc;
}

static void cc__jstrv(json_object *req, const char *key, struct cc_strv *out)
{
        json_object *a = NULL;
        if (!json_object_object_get_ex(req, key, &a) || !json_object_is_type(a, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(a); i++)
                cc_strv_push(out, json_object_get_string(json_object_array_get_idx(a, i)));
}

static char *cc__jdup(json_object *req, const char *key)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(req, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return cc_xstrdup(json_object_get_string(v));
}

/* run -d: {"op":"run","service":S,"env":[...],"volumes":[...],"command":[...],
 * "user":U,"workdir":W,"entrypoint":E,"name":N,"cap_add":[...],"cap_drop":[...]} */
static int cc__op_run(struct cc_sup *s, json_object *req)
{
        struct cc_spec_overrides *ov = cc_xcalloc(1, sizeof(*ov));
        cc__jstrv(req, "env", &ov->env);
        cc__jstrv(req, "volumes", &ov->volumes);
        cc__jstrv(req, "command", &ov->command);
        cc__jstrv(req, "cap_add", &ov->cap_add);
        cc__jstrv(req, "cap_drop", &ov->cap_drop);
        ov->user = cc__jdup(req, "user");
        ov->workdir = cc__jdup(req, "workdir");
        ov->entrypoint = cc__jdup(req, "entrypoint");
        _cleanup_free_ char *service = cc__jdup(req, "service");
        _cleanup_free_ char *want = cc__jdup(req, "name");
        _cleanup_free_ char *name = NULL;
        struct cc_error err = {0};
        if (cc_sup_run_oneoff(s, service ? service : "", ov, want, &name, &err) < 0) {
                cc_sup_progress(s, "service %s: %s", service ? service : "", cc_error_msg(&err));
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
static int cc__op_net(struct cc_sup *s, json_object *req, bool attach)
{
        _cleanup_free_ char *service = cc__jdup(req, "service");
        _cleanup_free_ char *id = cc__jdup(req, "id");
        _cleanup_free_ char *name = cc__jdup(req, "name");
        json_object *jpid = NULL;
        json_object_object_get_ex(req, "pid", &jpid);
        pid_t pid = jpid ? (pid_t) json_object_get_int(jpid) : 0;
        if (!service || !id || !name || (attach && pid <= 0)) {
                cc_sup_progress(s, "bad request: service, id, name and pid are needed");
                return 1;
        }
        if (!attach) {
                cc_sup_net_detach_oneoff(s, service, id, name);
                return 0;
        }
        struct cc_error err = {0};
        if (cc_sup_net_attach_oneoff(s, service, id, name, pid, &err) < 0) {
                cc_sup_progress(s, "service %s: %s", service, cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

/* rm: stopped containers go (with "stop": true, running ones are stopped first). */
static int cc__op_rm(struct cc_sup *s, json_object *req)
{
        json_object *services = NULL, *jstop = NULL;
        json_object_object_get_ex(req, "services", &services);
        json_object_object_get_ex(req, "stop", &jstop);
        bool stop = jstop && json_object_get_boolean(jstop);
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct cc_sup_svc *svc = &s->svcs[i];
                if (!cc__wants(services, svc->name))
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
        cc_sup_save(s);
        return 0;
}

static void cc__handle(struct cc_conn *cn, const char *line)
{
        struct cc_sup *s = cn->sup;
        json_object *req = json_tokener_parse(line);
        json_object *jop = NULL;
        const char *op = req && json_object_object_get_ex(req, "op", &jop) ? json_object_get_string(jop) : "";
        struct cc_buf out = {0};
        int rc = 0;
        bool finish = false, keep = false;

        s->reply = &out;
        if (strcmp(op, "ping") == 0) {
                rc = 0;
        } else if (strcmp(op, "down") == 0) {
                json_object *jt = NULL;
                if (json_object_object_get_ex(req, "timeout", &jt))
                        s->opts.stop_timeout_ms = json_object_get_int64(jt);
                cc_sup_stop_all(s, true);
                cc_sup_remove_all(s);
                finish = true;
        } else if (strcmp(op, "run") == 0) {
                rc = cc__op_run(s, req);
        } else if (strcmp(op, "rm") == 0) {
                rc = cc__op_rm(s, req);
        } else if (strcmp(op, "netattach") == 0 || strcmp(op, "netdetach") == 0) {
                rc = cc__op_net(s, req, strcmp(op, "netattach") == 0);
        } else if (strcmp(op, "handover") == 0) {
                finish = keep = true;
        } else if (strcmp(op, "stop") == 0 || strcmp(op, "start") == 0 || strcmp(op, "restart") == 0 ||
                   strcmp(op, "kill") == 0 || strcmp(op, "pause") == 0 || strcmp(op, "unpause") == 0) {
                rc = cc__op_each(s, op, req);
        } else {
                cc_sup_progress(s, "unknown request \"%s\"", op);
                rc = 1;
        }
        s->reply = NULL;
        cc_buf_printf(&out, "{\"done\":true,\"exit\":%d}\n", rc);
        cc__reply(cn, out.s);
        if (!finish)
                cc_sup_kick(s);
        cc_buf_free(&out);
        json_object_put(req);
        uv_close((uv_handle_t *) &cn->pipe, cc__conn_closed);
        if (finish)
                cc_sup_shutdown(s, keep);
}

static void cc__read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
        struct cc_conn *cn = st->data;
        if (n > 0) {
                cc_buf_add(&cn->in, buf->base, (size_t) n);
                char *nl = memchr(cn->in.s, '\n', cn->in.len);
                if (nl) {
                        *nl = '\0';
                        uv_read_stop(st);
                        free(buf->base);
                        cc__handle(cn, cn->in.s);
                        return;
                }
        } else if (n < 0) {
                uv_close((uv_handle_t *) st, cc__conn_closed);
        }
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
        uv_close((uv_handle_t *) &s->control, NULL);
        s->control_on = false;
        unlink(path);
}

int cc_sup_request(const struct cc_cli *cli, const char *project, const char *json, int *exit_code,
                   struct cc_error *err)
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
        FILE *f = fdopen(cc_steal_fd(&fd), "r");
        char *line = NULL;
        size_t cap = 0;
        int r = cc_error_set(err, -EPIPE, "the supervisor of %s closed the connection", project);
        while (getline(&line, &cap, f) > 0) {
                json_object *o = json_tokener_parse(line);
                json_object *v = NULL;
                if (o && json_object_object_get_ex(o, "progress", &v)) {
                        fprintf(stderr, "%s\n", json_object_get_string(v));
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
