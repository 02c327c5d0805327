/* Running one of ccompose's own commands for a request (image pull, push,
 * rm, save, load, build): `ccompose ARGS...` as a child of the fork server
 * (api-fork.c: the binary is not started again), else as a child process
 * on the loop, its standard output handed to the caller as it comes (whole
 * lines, or raw bytes), its standard error kept for the error message,
 * and a callback when it has ended and every pipe is closed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "api-internal.h"

static void cc__run_free(struct cc_api_run *x)
{
        if (x->input_fd >= 0)
                close(x->input_fd);
        cc_buf_free(&x->err);
        cc_buf_free(&x->line);
        cc_buf_free(&x->eline);
        if (x->tmp)
                cc_rm_rf(x->tmp);
        free(x->tmp);
        free(x);
}

static void cc__run_unref(struct cc_api_run *x)
{
        if (--x->open > 0)
                return;
        struct cc_api_req *r = x->req;
        if (x->line.len && x->on_line) {
                /* a last line without its newline */
                cc_buf_putc(&x->line, '\0');
                x->on_line(x, x->line.s);
        }
        x->done(x, x->code);
        cc__run_free(x);
        cc_api_done(r);
}

static void cc__run_closed(uv_handle_t *h)
{
        cc__run_unref(h->data);
}

/* Its end, from the fork server. */
static void cc__run_forked(void *data, int64_t code)
{
        struct cc_api_run *x = data;
        x->code = code;
        x->exited = true;
        cc__run_unref(x);
}

static void cc__run_exit(uv_process_t *p, int64_t status, int sig)
{
        struct cc_api_run *x = p->data;
        x->code = sig ? 128 + sig : status;
        x->exited = true;
        uv_close((uv_handle_t *) p, cc__run_closed);
}

static void cc__run_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        buf->base = cc_xmalloc(65536);
        buf->len = 65536;
}

/* The whole lines of what came to on_line; the rest waits in line. */
static void cc__run_lines(struct cc_api_run *x, struct cc_buf *line, const char *data, size_t n)
{
        cc_buf_add(line, data, n);
        char *start = line->s, *nl;
        while ((nl = memchr(start, '\n', line->len - (size_t) (start - line->s)))) {
                *nl = '\0';
                x->on_line(x, start);
                start = nl + 1;
        }
        size_t rest = line->len - (size_t) (start - line->s);
        memmove(line->s, start, rest);
        line->len = rest;
}

static void cc__run_out(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct cc_api_run *x = s->data;
        if (n > 0 && x->on_data)
                x->on_data(x, buf->base, (size_t) n);
        else if (n > 0 && x->on_line)
                cc__run_lines(x, &x->line, buf->base, (size_t) n);
        free(buf->base);
        if (n < 0)
                uv_close((uv_handle_t *) s, cc__run_closed);
}

static void cc__run_err(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct cc_api_run *x = s->data;
        if (n > 0 && x->err.len < 64 * 1024)
                cc_buf_add(&x->err, buf->base, (size_t) n);
        if (n > 0 && x->err_lines && x->on_line)
                cc__run_lines(x, &x->eline, buf->base, (size_t) n);
        free(buf->base);
        if (n < 0)
                uv_close((uv_handle_t *) s, cc__run_closed);
}

/* The client went away: a command that only produces output for it
 * (save, build) is stopped; one that changes the store finishes. */
static void cc__run_abort(struct cc_api_task *t)
{
        struct cc_api_run *x = (struct cc_api_run *) t;
        if (!x->kill_on_abort || x->exited)
                return;
        if (x->forked)
                cc_api_fork_kill(x->req->api, x, SIGTERM);
        else
                uv_process_kill(&x->proc, SIGTERM);
}

char *cc_api_run_message(const struct cc_api_run *x)
{
        _cleanup_free_ char *t = cc_xstrndup(x->err.s ? x->err.s : "", x->err.len);
        size_t n = strlen(t);
        while (n && (t[n - 1] == '\n' || t[n - 1] == ' '))
                t[--n] = '\0';
        char *nl = strrchr(t, '\n');
        const char *m = nl ? nl + 1 : t;
        if (cc_startswith(m, "Error: ") || cc_startswith(m, "ERROR: "))
                m += 7;
        else if (cc_startswith(m, "Error response from daemon: "))
                m += 28;
        return cc_xstrdup(*m ? m : "the command failed");
}

struct cc_api_run *cc_api_run_new(struct cc_api_req *r, cc_api_run_done done)
{
        struct cc_api_run *x = cc_xcalloc(1, sizeof(*x));
        x->req = r;
        x->done = done;
        x->task.abort = cc__run_abort;
        x->input_fd = -1;
        return x;
}

/* ccompose's command in a child of the fork server (api-fork.c), its
 * output on pipes: 0 when it was asked (argv and env are freed then),
 * else -1 and it is to be spawned. */
static int cc__run_fork(struct cc_api_run *x, struct cc_strv *argv, struct cc_strv *env)
{
        int out[2], err[2];
        if (pipe2(out, O_CLOEXEC) < 0)
                return -1;
        if (pipe2(err, O_CLOEXEC) < 0) {
                close(out[0]);
                close(out[1]);
                return -1;
        }
        int fds[3] = {x->input_fd, out[1], err[1]};
        int e = cc_api_fork(x->req->api, (const char *const *) argv->v, (const char *const *) env->v, "/", fds,
                            cc__run_forked, x);
        close(out[1]);
        close(err[1]);
        if (e < 0) {
                close(out[0]);
                close(err[0]);
                return -1;
        }
        if (x->input_fd >= 0)
                close(x->input_fd);
        x->input_fd = -1;
        x->forked = true;
        cc_strv_free(argv);
        cc_strv_free(env);
        /* its end, and each pipe's: a pipe that cannot be read is closed at once */
        x->open = 3;
        if (uv_pipe_open(&x->out, out[0]) == 0) {
                uv_read_start((uv_stream_t *) &x->out, cc__run_alloc, cc__run_out);
        } else {
                close(out[0]);
                uv_close((uv_handle_t *) &x->out, cc__run_closed);
        }
        if (uv_pipe_open(&x->errp, err[0]) == 0) {
                uv_read_start((uv_stream_t *) &x->errp, cc__run_alloc, cc__run_err);
        } else {
                close(err[0]);
                uv_close((uv_handle_t *) &x->errp, cc__run_closed);
        }
        return 0;
}

void cc_api_run(struct cc_api_run *x, const char *const *args)
{
        struct cc_api_req *r = x->req;
        const struct cc_api_opts *o = r->api->opts;
        struct cc_strv argv = {0}, env = {0};
        const char *file = x->program ? x->program : o->self_exe;
        cc_strv_push(&argv, file);
        for (size_t i = 0; args[i]; i++)
                cc_strv_push(&argv, args[i]);
        cc_strv_push_owned(&argv, NULL);
        extern char **environ;
        for (char **e = environ; *e; e++)
                if (!cc_startswith(*e, "CCOMPOSE_ROOT=") && !cc_startswith(*e, "CCOMPOSE_RUNTIME_DIR=") &&
                    !cc_startswith(*e, "COMPOSE_") && !(x->docker_config && cc_startswith(*e, "DOCKER_CONFIG=")))
                        cc_strv_push(&env, *e);
        cc_strv_push_owned(&env, cc_xasprintf("CCOMPOSE_ROOT=%s", o->root));
        cc_strv_push_owned(&env, cc_xasprintf("CCOMPOSE_RUNTIME_DIR=%s", o->runtime_dir));
        if (x->docker_config)
                cc_strv_push_owned(&env, cc_xasprintf("DOCKER_CONFIG=%s", x->docker_config));
        cc_strv_push_owned(&env, NULL);
        uv_pipe_init(r->api->loop, &x->out, 0);
        uv_pipe_init(r->api->loop, &x->errp, 0);
        x->out.data = x->errp.data = x->proc.data = x;
        r->task = &x->task;
        if (!x->program && cc__run_fork(x, &argv, &env) == 0)
                return;
        int in = x->input_fd >= 0 ? x->input_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
        x->input_fd = -1;
        uv_stdio_container_t stdio[3] = {
                {.flags = UV_INHERIT_FD, .data.fd = in},
                {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *) &x->out},
                {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *) &x->errp},
        };
        uv_process_options_t po = {
                .exit_cb = cc__run_exit,
                .file = file,
                .args = argv.v,
                .env = env.v,
                .cwd = "/", /* the runtime directory may not be made yet */
                .stdio_count = 3,
                .stdio = stdio,
        };
        int e = in < 0 ? -errno : uv_spawn(r->api->loop, &x->proc, &po);
        if (in >= 0)
                close(in);
        cc_strv_free(&argv);
        cc_strv_free(&env);
        if (e < 0) {
                /* answered here; done's answer is then dropped */
                cc_api_reply_error(r, 500, "running %s: %s", file, strerror(-e));
                x->code = -1;
                x->exited = true;
                x->open = 2;
                if (in >= 0) {
                        /* a process handle that failed to spawn is closed too */
                        x->open = 3;
                        uv_close((uv_handle_t *) &x->proc, cc__run_closed);
                }
                uv_close((uv_handle_t *) &x->out, cc__run_closed);
                uv_close((uv_handle_t *) &x->errp, cc__run_closed);
                return;
        }
        x->open = 3;
        uv_read_start((uv_stream_t *) &x->out, cc__run_alloc, cc__run_out);
        uv_read_start((uv_stream_t *) &x->errp, cc__run_alloc, cc__run_err);
}
