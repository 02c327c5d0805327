/* The API's exec: POST /containers/{id}/exec makes an exec instance (kept
 * in the service's memory, as dockerd keeps them), POST /exec/{id}/start
 * runs it through `ccompose __nsexec` (the code path of `ccompose exec`
 * and of healthchecks) in a child of the fork server (api-fork.c: the
 * binary is not started again, and may be gone), else as a child of the
 * service, its output on the hijacked connection (docker's 8-byte
 * framing without a tty), GET /exec/{id}/json tells its state and exit
 * code, POST /exec/{id}/resize sizes its terminal.
 *
 * With a tty the service opens the pty in the container's devpts itself
 * and keeps its master (so that resize reaches it); __nsexec --pts makes
 * its slave the process's terminal. __nsexec tells the exec'd process's
 * host PID on a pipe (--pid-fd): inspect shows it, and when the service
 * stops, that process and its process group are killed (as they die
 * with their container when dockerd stops), also one whose PID comes
 * only then. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "state.h"

/* Finished instances are forgotten after this long (dockerd drops them
 * with their container). */
#define CC__EXEC_KEEP_SECS (15 * 60)

struct cc_api_exec {
        struct cc_api_exec *next;
        struct cc_api *api;
        char id[65];
        char *ctr_id, *project;
        json_object *event;      /* the container's part of its events (api-events.c's log line) */
        struct cc_strv argv, env;
        char *user, *workdir;
        bool tty, privileged, attach_in, attach_out, attach_err;
        /* its run */
        bool started, running, exited;
        bool stopping;           /* the service stops: the process is killed once known */
        int exit_code;
        pid_t proc_pid;          /* the exec'd process's, once told */
        int pidfd;               /* ... to signal it, else -1 */
        int pid_rd;              /* where __nsexec tells it (a pipe), until it did or ended; else -1 */
        long long finished;      /* CLOCK_MONOTONIC seconds */
        int master;              /* tty: the pty's master, until the output ends */
        bool master_in_out;      /* ... opened as out (closed with it) */
        uv_process_t proc;       /* __nsexec, when not a child of the fork server */
        uv_poll_t pid_poll;      /* on pid_rd */
        uv_pipe_t in, out, err;  /* tty: out is the master, both ways */
        uv_shutdown_t in_end;    /* the client's input ended: stdin closes once written */
        bool in_ending;
        bool in_open, out_open, err_open, proc_open, pid_open;
        int open;                /* handles not closed yet, and a forked __nsexec until its end */
        struct cc_api_req *req;  /* the attached client, NULL when none (detached, gone) */
        struct cc_api_task task;
};

static long long cc__mono(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec;
}

static json_object *cc__get(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void cc__exec_free(struct cc_api_exec *e)
{
        if (e->pid_rd >= 0)
                close(e->pid_rd);
        if (e->pidfd >= 0)
                close(e->pidfd);
        json_object_put(e->event);
        free(e->ctr_id);
        free(e->project);
        cc_strv_free(&e->argv);
        cc_strv_free(&e->env);
        free(e->user);
        free(e->workdir);
        free(e);
}

/* Forget instances that ended long ago. */
static void cc__exec_expire(struct cc_api *api)
{
        long long now = cc__mono();
        for (struct cc_api_exec **pp = &api->execs; *pp;) {
                struct cc_api_exec *e = *pp;
                if (e->exited && e->open == 0 && now - e->finished > CC__EXEC_KEEP_SECS) {
                        *pp = e->next;
                        cc__exec_free(e);
                } else {
                        pp = &e->next;
                }
        }
}

static struct cc_api_exec *cc__exec_find(struct cc_api_req *r, const char *id)
{
        for (struct cc_api_exec *e = r->api->execs; e; e = e->next)
                if (strcmp(e->id, id) == 0)
                        return e;
        cc_api_reply_error(r, 404, "No such exec instance: %s", id);
        return NULL;
}

/* ---- events ---- */

/* docker's exec_create / exec_start ("ACTION: CMD ARGS") and exec_die
 * (with its exit code), each with the exec's ID. */
static void cc__exec_event(struct cc_api_exec *e, const char *action, bool with_cmd)
{
        struct cc_buf act = {0};
        cc_buf_puts(&act, action);
        for (size_t i = 0; with_cmd && i < e->argv.n; i++)
                cc_buf_printf(&act, "%s%s", i ? " " : ": ", e->argv.v[i]);
        char code[16];
        snprintf(code, sizeof(code), "%d", e->exit_code);
        const char *const attrs[] = {"execID", e->id, e->exited ? "exitCode" : NULL, code, NULL};
        cc_api_event_log(e->api, e->event, act.s, attrs);
        cc_buf_free(&act);
}

/* ---- create ---- */

/* A list of strings of the body into out; -1 when it is something else. */
static int cc__strings(json_object *body, const char *key, struct cc_strv *out)
{
        json_object *v = cc__get(body, key);
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return -1;
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *s = json_object_array_get_idx(v, i);
                if (!json_object_is_type(s, json_type_string))
                        return -1;
                cc_strv_push(out, json_object_get_string(s));
        }
        return 0;
}

/* The body's fields as docker's ExecConfig has them; what is not one of
 * them is refused by name. */
static int cc__exec_config(struct cc_api_req *r, json_object *body, struct cc_api_exec *e)
{
        static const char *const bools[] = {"AttachStdin", "AttachStdout", "AttachStderr", "Tty", "Privileged",
                                            "Detach"};
        /* Container: docker-py sends the container's ID again */
        static const char *const strs[] = {"User", "WorkingDir", "DetachKeys", "Container"};
        json_object_object_foreach(body, key, val)
        {
                bool ok = strcmp(key, "Cmd") == 0 || strcmp(key, "Env") == 0 ||
                          (strcmp(key, "ConsoleSize") == 0 && (!val || json_object_is_type(val, json_type_array)));
                for (size_t i = 0; !ok && i < CC_ARRAY_SIZE(bools); i++)
                        ok = strcmp(key, bools[i]) == 0 && (!val || json_object_is_type(val, json_type_boolean));
                for (size_t i = 0; !ok && i < CC_ARRAY_SIZE(strs); i++)
                        ok = strcmp(key, strs[i]) == 0 && (!val || json_object_is_type(val, json_type_string));
                if (!ok) {
                        cc_api_reply_error(r, 400, "exec: the field %s is not supported (or not of its type)", key);
                        return -1;
                }
        }
        if (cc__strings(body, "Cmd", &e->argv) < 0 || cc__strings(body, "Env", &e->env) < 0) {
                cc_api_reply_error(r, 400, "exec: Cmd and Env are lists of strings");
                return -1;
        }
        if (e->argv.n == 0) {
                cc_api_reply_error(r, 400, "No exec command specified");
                return -1;
        }
        for (size_t i = 0; i < e->env.n; i++)
                if (!strchr(e->env.v[i], '=') || e->env.v[i][0] == '=') {
                        cc_api_reply_error(r, 400, "exec: invalid environment variable: %s", e->env.v[i]);
                        return -1;
                }
        e->attach_in = json_object_get_boolean(cc__get(body, "AttachStdin"));
        e->attach_out = json_object_get_boolean(cc__get(body, "AttachStdout"));
        e->attach_err = json_object_get_boolean(cc__get(body, "AttachStderr"));
        e->tty = json_object_get_boolean(cc__get(body, "Tty"));
        e->privileged = json_object_get_boolean(cc__get(body, "Privileged"));
        const char *u = json_object_get_string(cc__get(body, "User"));
        const char *w = json_object_get_string(cc__get(body, "WorkingDir"));
        e->user = u && *u ? cc_xstrdup(u) : NULL;
        e->workdir = w && *w ? cc_xstrdup(w) : NULL;
        return 0;
}

/* Is the container (ref: as the request names it) up for an exec?
 * Answers 409 when not. */
static bool cc__exec_ctr_ready(struct cc_api_req *r, const char *ref, const struct cc_ctr_state *ct)
{
        if (ct->status == CC_CTR_PAUSED) {
                cc_api_reply_error(r, 409, "Container %s is paused, unpause the container before exec", ref);
                return false;
        }
        if (ct->status != CC_CTR_RUNNING || !cc_proc_alive(ct->pid, ct->pid_start)) {
                cc_api_reply_error(r, 409, "Container %s is not running", ct->id);
                return false;
        }
        return true;
}

void cc_api_exec_create(struct cc_api_req *r, char **params)
{
        json_object *body = cc_api_body_json(r);
        if (!body)
                return;
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, params[0]);
        struct cc_api_exec *e = cc_xcalloc(1, sizeof(*e));
        e->master = e->pid_rd = e->pidfd = -1;
        if (!c || !cc__exec_ctr_ready(r, params[0], c->ct) || cc__exec_config(r, body, e) < 0) {
                cc__exec_free(e);
                goto out;
        }
        /* the container's working directory unless one is given */
        const char *wd = json_object_get_string(cc__get(cc__get(c->api, "Config"), "WorkingDir"));
        if (!e->workdir && wd && *wd)
                e->workdir = cc_xstrdup(wd);
        unsigned char b[32];
        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b)) {
                cc_api_reply_error(r, 500, "exec: no random bytes for an ID: %s", strerror(errno));
                cc__exec_free(e);
                goto out;
        }
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(e->id + 2 * i, 3, "%02x", b[i]);
        e->api = r->api;
        e->ctr_id = cc_xstrdup(c->ct->id);
        e->project = cc_xstrdup(c->st->project);
        e->event = cc_api_event_base(c);
        cc__exec_event(e, "exec_create", true);
        cc__exec_expire(r->api);
        e->next = r->api->execs;
        r->api->execs = e;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Id", json_object_new_string(e->id));
        cc_api_reply_json(r, 201, o);
out:
        cc_api_ctrs_free(&cs);
        json_object_put(body);
}

/* ---- start ---- */

/* Its output to the client: framed [stream, 0, 0, 0, size] without a tty. */
static void cc__exec_send(struct cc_api_exec *e, int stream, const char *data, size_t n)
{
        if (!e->req || n == 0)
                return;
        if (!e->tty) {
                unsigned char h[8] = {(unsigned char) stream, 0, 0, 0};
                uint32_t be = htonl((uint32_t) n);
                memcpy(h + 4, &be, 4);
                cc_api_stream_write(e->req, (const char *) h, 8);
        }
        cc_api_stream_write(e->req, data, n);
}

/* The end of the run, once the process exited and its output is read. */
static void cc__exec_maybe_done(struct cc_api_exec *e)
{
        if (!e->exited || e->out_open || e->err_open || e->open > 0)
                return;
        e->running = false;
        e->finished = cc__mono();
        struct cc_api_req *r = e->req;
        e->req = NULL;
        if (r)
                cc_api_done(r);
}

static void cc__exec_closed(uv_handle_t *h)
{
        struct cc_api_exec *e = h->data;
        e->open--;
        if (h == (uv_handle_t *) &e->out && e->master_in_out)
                e->master = -1; /* closed with the handle */
        cc__exec_maybe_done(e);
}

static void cc__exec_close(struct cc_api_exec *e, uv_handle_t *h, bool *is_open)
{
        if (!*is_open)
                return;
        *is_open = false;
        uv_close(h, cc__exec_closed);
}

/* The exec'd process gets SIGKILL, and its process group (it leads its
 * own session) while it is alive (so that the group is still its own). */
static void cc__exec_kill(struct cc_api_exec *e)
{
        if (e->pidfd < 0)
                return;
        struct pollfd p = {.fd = e->pidfd, .events = POLLIN};
        if (poll(&p, 1, 0) == 0)
                kill(-e->proc_pid, SIGKILL);
        pidfd_send_signal(e->pidfd, SIGKILL, NULL, 0);
}

/* The exec'd process's host PID: what __nsexec wrote to the pipe once it
 * forked it (--pid-fd); the pipe is done with once it came, or ended
 * without it. 0 until then. */
static pid_t cc__exec_pid(struct cc_api_exec *e)
{
        pid_t pid;
        ssize_t n = e->pid_rd >= 0 ? read(e->pid_rd, &pid, sizeof(pid)) : -1;
        if (n < 0)
                return e->proc_pid;
        if (n == (ssize_t) sizeof(pid) && pid > 0) {
                e->proc_pid = pid;
                e->pidfd = pidfd_open(pid, 0);
                if (e->stopping)
                        cc__exec_kill(e);
        }
        cc__exec_close(e, (uv_handle_t *) &e->pid_poll, &e->pid_open);
        close(e->pid_rd);
        e->pid_rd = -1;
        return e->proc_pid;
}

static void cc__exec_pid_ready(uv_poll_t *h, int status, int events)
{
        cc__exec_pid(h->data);
}

/* __nsexec ended with code (-1: not known, as when the fork server could
 * not start it). */
static void cc__exec_ended(struct cc_api_exec *e, int64_t code)
{
        static const char failed[] = "exec: its end is not known (the service's fork server failed)\n";
        if (code < 0)
                cc__exec_send(e, 2, failed, sizeof(failed) - 1);
        e->exit_code = code < 0 ? 126 : (int) code;
        e->exited = true;
        cc__exec_pid(e); /* kept for inspect */
        cc__exec_event(e, "exec_die", false);
        cc__exec_close(e, (uv_handle_t *) &e->in, &e->in_open);
}

static void cc__exec_exit(uv_process_t *p, int64_t status, int sig)
{
        struct cc_api_exec *e = p->data;
        if (!e->exited)
                cc__exec_ended(e, sig ? 128 + sig : status);
        cc__exec_close(e, (uv_handle_t *) p, &e->proc_open);
}

/* Its end, from the fork server. */
static void cc__exec_forked(void *data, int64_t code)
{
        struct cc_api_exec *e = data;
        if (!e->exited)
                cc__exec_ended(e, code);
        e->open--;
        cc__exec_maybe_done(e);
}

static void cc__exec_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        buf->base = cc_xmalloc(65536);
        buf->len = 65536;
}

static void cc__exec_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct cc_api_exec *e = s->data;
        bool is_err = s == (uv_stream_t *) &e->err;
        if (n > 0 && ((is_err && (e->attach_err || e->tty)) || (!is_err && e->attach_out)))
                cc__exec_send(e, is_err ? 2 : 1, buf->base, (size_t) n);
        free(buf->base);
        /* EOF, or EIO from a pty's master once its slave is closed */
        if (n < 0)
                cc__exec_close(e, (uv_handle_t *) s, is_err ? &e->err_open : &e->out_open);
}

struct cc__exec_write {
        uv_write_t w;
        char *data;
};

static void cc__exec_written(uv_write_t *w, int status)
{
        struct cc__exec_write *x = (struct cc__exec_write *) w;
        free(x->data);
        free(x);
}

static void cc__exec_in_ended(uv_shutdown_t *s, int status)
{
        struct cc_api_exec *e = s->handle->data;
        cc__exec_close(e, (uv_handle_t *) &e->in, &e->in_open);
}

/* The client's input: to the process's stdin (or its terminal); the end
 * of it closes stdin once what came before is written (a terminal gets
 * no EOF, as with docker). */
static void cc__exec_input(struct cc_api_req *r, const char *data, size_t n)
{
        struct cc_api_exec *e = r->input_data;
        uv_stream_t *to = e->tty ? (e->out_open ? (uv_stream_t *) &e->out : NULL)
                                 : (e->in_open ? (uv_stream_t *) &e->in : NULL);
        if (!data) {
                if (!e->tty && e->in_open && !e->in_ending) {
                        e->in_ending = true;
                        if (uv_shutdown(&e->in_end, (uv_stream_t *) &e->in, cc__exec_in_ended) < 0)
                                cc__exec_close(e, (uv_handle_t *) &e->in, &e->in_open);
                }
                return;
        }
        if (!to)
                return;
        struct cc__exec_write *x = cc_xcalloc(1, sizeof(*x));
        x->data = cc_xstrndup(data, n);
        uv_buf_t b = uv_buf_init(x->data, (unsigned) n);
        if (uv_write(&x->w, to, &b, 1, cc__exec_written) < 0) {
                free(x->data);
                free(x);
        }
}

/* The client went away: the process runs on, detached, as with docker. */
static void cc__exec_abort(struct cc_api_task *t)
{
        struct cc_api_exec *e = (struct cc_api_exec *) ((char *) t - offsetof(struct cc_api_exec, task));
        struct cc_api_req *r = e->req;
        e->req = NULL;
        if (!e->tty)
                cc__exec_close(e, (uv_handle_t *) &e->in, &e->in_open);
        if (r)
                cc_api_done(r);
}

/* The pty for a tty: its master here, N of /dev/pts/N in the container. */
static int cc__exec_pty(pid_t pid, int *pts)
{
        char ptmx[64];
        snprintf(ptmx, sizeof(ptmx), "/proc/%d/root/dev/pts/ptmx", (int) pid);
        int m = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
        int unlock = 0;
        if (m < 0)
                return -errno;
        if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, pts) < 0) {
                int e = -errno;
                close(m);
                return e;
        }
        return m;
}

/* `ccompose __nsexec` for e in the container's process pid; pts: the
 * number of its terminal, with a tty. The exec'd process's PID comes on
 * descriptor 3. */
static void cc__exec_args(struct cc_api_exec *e, pid_t pid, int pts, struct cc_strv *argv)
{
        const struct cc_api_opts *o = e->api->opts;
        cc_strv_push(argv, o->self_exe);
        cc_strv_push(argv, "__nsexec");
        cc_strv_push_owned(argv, cc_xasprintf("--pid=%d", (int) pid));
        cc_strv_push(argv, "--pid-fd=3");
        cc_strv_push_owned(argv, cc_xasprintf("--dir=%s/containers/%s", o->root, e->ctr_id));
        if (e->user)
                cc_strv_push_owned(argv, cc_xasprintf("--user=%s", e->user));
        if (e->workdir)
                cc_strv_push_owned(argv, cc_xasprintf("--workdir=%s", e->workdir));
        for (size_t i = 0; i < e->env.n; i++)
                cc_strv_push_owned(argv, cc_xasprintf("--env=%s", e->env.v[i]));
        if (e->tty) {
                cc_strv_push(argv, "--tty");
                cc_strv_push_owned(argv, cc_xasprintf("--pts=%d", pts));
        }
        if (e->privileged)
                cc_strv_push(argv, "--privileged");
        cc_strv_push(argv, "--");
        for (size_t i = 0; i < e->argv.n; i++)
                cc_strv_push(argv, e->argv.v[i]);
        cc_strv_push_owned(argv, NULL);
}

/* Run argv with child as its descriptors 0 to 3 (-1: /dev/null): in a
 * child of the fork server, else (none, or it cannot be asked) spawned
 * as the service's. */
static int cc__exec_run(struct cc_api_exec *e, const struct cc_strv *argv, const int child[4])
{
        extern char **environ;
        int r = cc_api_fork_fds(e->api, (const char *const *) argv->v, (const char *const *) environ, "/", child, 4,
                                cc__exec_forked, e);
        if (r == 0) {
                e->open++; /* until cc__exec_forked */
                return 0;
        }
        uv_stdio_container_t stdio[4];
        for (int i = 0; i < 4; i++)
                stdio[i] = child[i] >= 0 ? (uv_stdio_container_t){.flags = UV_INHERIT_FD, .data.fd = child[i]}
                                         : (uv_stdio_container_t){.flags = UV_IGNORE};
        uv_process_options_t po = {
                .exit_cb = cc__exec_exit,
                .file = argv->v[0],
                .args = argv->v,
                .stdio_count = 4,
                .stdio = stdio,
        };
        /* a handle that failed to spawn is closed too */
        r = uv_spawn(e->api->loop, &e->proc, &po);
        e->proc.data = e;
        e->open++;
        e->proc_open = true;
        if (r < 0)
                cc__exec_close(e, (uv_handle_t *) &e->proc, &e->proc_open);
        return r;
}

/* Our end fd of a pipe of its stdio as h (read unless it is stdin), or h
 * closed at once when there is none. */
static void cc__exec_stream(struct cc_api_exec *e, uv_pipe_t *h, bool *is_open, int fd, bool read)
{
        if (fd >= 0 && uv_pipe_open(h, fd) == 0) {
                if (read)
                        uv_read_start((uv_stream_t *) h, cc__exec_alloc, cc__exec_read);
                return;
        }
        if (fd >= 0)
                close(fd);
        cc__exec_close(e, (uv_handle_t *) h, is_open);
}

/* Start __nsexec for e in the container's process pid. Attached, its
 * stdout and stderr (with a tty: the terminal's master, and stderr for
 * __nsexec's own errors before the process has its terminal) and, with
 * AttachStdin, its stdin are pipes of ours; else /dev/null. */
static int cc__exec_spawn(struct cc_api_exec *e, pid_t pid, struct cc_error *err)
{
        uv_loop_t *loop = e->api->loop;
        int pts = -1;
        if (e->tty) {
                e->master = cc__exec_pty(pid, &pts);
                if (e->master < 0) {
                        int r = e->master;
                        e->master = -1;
                        return cc_error_setsys(err, r, "allocating a terminal in the container");
                }
        }
        bool att = e->req != NULL;
        /* pipes for its descriptors 0 to 3: the child's end, ours */
        bool need[4] = {att && !e->tty && e->attach_in, att && !e->tty, att, true};
        int p[4][2], child[4], ours[4], r = 0;
        for (int i = 0; i < 4; i++) {
                p[i][0] = p[i][1] = -1;
                if (need[i] && r == 0 && pipe2(p[i], O_CLOEXEC | (i == 3 ? O_NONBLOCK : 0)) < 0)
                        r = -errno;
                child[i] = p[i][i == 0 ? 0 : 1];
                ours[i] = p[i][i == 0 ? 1 : 0];
        }
        struct cc_strv argv = {0};
        if (r == 0) {
                cc__exec_args(e, pid, pts, &argv);
                r = cc__exec_run(e, &argv, child);
        }
        for (int i = 0; i < 4; i++)
                if (child[i] >= 0)
                        close(child[i]);
        uv_pipe_init(loop, &e->in, 0);
        uv_pipe_init(loop, &e->out, 0);
        uv_pipe_init(loop, &e->err, 0);
        e->in.data = e->out.data = e->err.data = e;
        e->in_open = e->out_open = e->err_open = true;
        e->open += 3;
        if (r < 0)
                for (int i = 0; i < 4; i++)
                        if (ours[i] >= 0)
                                close(ours[i]);
        if (r == 0) {
                e->running = true;
                e->pid_rd = ours[3];
                if (uv_poll_init(loop, &e->pid_poll, e->pid_rd) == 0) {
                        e->pid_poll.data = e;
                        e->pid_open = true;
                        e->open++;
                        uv_poll_start(&e->pid_poll, UV_READABLE, cc__exec_pid_ready);
                }
                /* attached to a terminal: its master is read and written as out */
                if (e->tty && att && uv_pipe_open(&e->out, e->master) == 0) {
                        e->master_in_out = true;
                        uv_read_start((uv_stream_t *) &e->out, cc__exec_alloc, cc__exec_read);
                }
        }
        cc__exec_stream(e, &e->in, &e->in_open, r == 0 ? ours[0] : -1, false);
        if (!e->master_in_out)
                cc__exec_stream(e, &e->out, &e->out_open, r == 0 ? ours[1] : -1, true);
        cc__exec_stream(e, &e->err, &e->err_open, r == 0 ? ours[2] : -1, true);
        if (e->master >= 0 && !e->master_in_out) {
                close(e->master); /* detached: no one reads the terminal */
                e->master = -1;
        }
        if (r < 0)
                cc_error_setsys(err, r, "running %s __nsexec", e->api->opts->self_exe);
        cc_strv_free(&argv);
        return r;
}

void cc_api_exec_start(struct cc_api_req *r, char **params)
{
        struct cc_api_exec *e = cc__exec_find(r, params[0]);
        if (!e)
                return;
        json_object *body = r->body.len ? cc_api_body_json(r) : json_object_new_object();
        if (!body)
                return;
        bool detach = json_object_get_boolean(cc__get(body, "Detach"));
        json_object_put(body);
        if (e->started) {
                cc_api_reply_error(r, 409, "Error: Exec command %s is already running", e->id);
                return;
        }
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, e->ctr_id);
        if (!c || !cc__exec_ctr_ready(r, e->ctr_id, c->ct)) {
                cc_api_ctrs_free(&cs);
                return;
        }
        pid_t pid = c->ct->pid;
        cc_api_ctrs_free(&cs);
        e->started = true;
        e->req = detach ? NULL : r;
        struct cc_error err = {0};
        if (cc__exec_spawn(e, pid, &err) < 0) {
                e->req = NULL;
                e->exited = true;
                e->exit_code = 126;
                cc_api_reply_error(r, 500, "exec %s: %s", e->id, cc_error_msg(&err));
                cc_error_clear(&err);
                return;
        }
        cc__exec_event(e, "exec_start", true);
        if (detach) {
                cc_api_reply(r, 200, NULL, "", 0);
                return;
        }
        e->task.abort = cc__exec_abort;
        r->task = &e->task;
        cc_api_hijack(r);
        if (e->attach_in) {
                r->input = cc__exec_input;
                r->input_data = e;
                cc_api_hijack_input(r);
        }
}

/* ---- inspect, resize ---- */

json_object *cc_api_exec_ids(struct cc_api *api, const char *ctr_id)
{
        json_object *a = NULL;
        for (struct cc_api_exec *e = api->execs; e; e = e->next) {
                if (e->exited || strcmp(e->ctr_id, ctr_id) != 0)
                        continue;
                if (!a)
                        a = json_object_new_array();
                json_object_array_add(a, json_object_new_string(e->id));
        }
        return a;
}

void cc_api_exec_inspect(struct cc_api_req *r, char **params)
{
        struct cc_api_exec *e = cc__exec_find(r, params[0]);
        if (!e)
                return;
        json_object *pc = json_object_new_object(), *args = json_object_new_array();
        for (size_t i = 1; i < e->argv.n; i++)
                json_object_array_add(args, json_object_new_string(e->argv.v[i]));
        json_object_object_add(pc, "arguments", args);
        json_object_object_add(pc, "entrypoint", json_object_new_string(e->argv.v[0]));
        json_object_object_add(pc, "privileged", json_object_new_boolean(e->privileged));
        json_object_object_add(pc, "tty", json_object_new_boolean(e->tty));
        json_object_object_add(pc, "user", json_object_new_string(e->user ? e->user : ""));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "CanRemove", json_object_new_boolean(0));
        json_object_object_add(o, "ContainerID", json_object_new_string(e->ctr_id));
        json_object_object_add(o, "DetachKeys", json_object_new_string(""));
        json_object_object_add(o, "ExitCode", e->exited ? json_object_new_int(e->exit_code) : NULL);
        json_object_object_add(o, "ID", json_object_new_string(e->id));
        json_object_object_add(o, "OpenStderr", json_object_new_boolean(e->attach_err));
        json_object_object_add(o, "OpenStdin", json_object_new_boolean(e->attach_in));
        json_object_object_add(o, "OpenStdout", json_object_new_boolean(e->attach_out));
        json_object_object_add(o, "ProcessConfig", pc);
        json_object_object_add(o, "Running", json_object_new_boolean(e->running && !e->exited));
        json_object_object_add(o, "Pid", json_object_new_int(cc__exec_pid(e)));
        cc_api_reply_json(r, 200, o);
}

void cc_api_exec_resize(struct cc_api_req *r, char **params)
{
        struct cc_api_exec *e = cc__exec_find(r, params[0]);
        if (!e)
                return;
        const char *h = cc_api_query(r, "h"), *w = cc_api_query(r, "w");
        char *he = NULL, *we = NULL;
        long rows = h ? strtol(h, &he, 10) : -1, cols = w ? strtol(w, &we, 10) : -1;
        if (!h || !w || *he || *we || rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
                cc_api_reply_error(r, 400, "invalid size: h and w are numbers of rows and columns");
                return;
        }
        if (!e->tty || e->master < 0 || e->exited) {
                cc_api_reply_error(r, 409, "exec %s has no terminal to resize (%s)", e->id,
                                   !e->tty ? "it was made without Tty" : "it is not running");
                return;
        }
        struct winsize ws = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};
        if (ioctl(e->master, TIOCSWINSZ, &ws) < 0) {
                cc_api_reply_error(r, 500, "resizing the terminal of exec %s: %s", e->id, strerror(errno));
                return;
        }
        cc_api_reply(r, 200, "text/plain; charset=utf-8", "", 0);
}

/* The service stops: the processes of running instances are killed; its
 * loop runs on until __nsexec ended (its handle, or the fork server's
 * word), and the PID pipe of one that had not told it yet. */
void cc_api_execs_close(struct cc_api *api)
{
        for (struct cc_api_exec *e = api->execs; e; e = e->next) {
                e->req = NULL;
                if (e->running && !e->exited) {
                        e->stopping = true;
                        cc__exec_kill(e); /* else once its PID comes (cc__exec_pid) */
                }
                e->exited = true; /* no exec_die event */
                cc__exec_close(e, (uv_handle_t *) &e->in, &e->in_open);
                cc__exec_close(e, (uv_handle_t *) &e->out, &e->out_open);
                cc__exec_close(e, (uv_handle_t *) &e->err, &e->err_open);
        }
}

void cc_api_execs_free(struct cc_api *api)
{
        while (api->execs) {
                struct cc_api_exec *e = api->execs;
                api->execs = e->next;
                cc__exec_free(e);
        }
}
