/* A container's output: its stdout and stderr are FIFOs in the container
 * directory (with tty: true, a pseudo-terminal instead: see below). The container holds them open read-write, so it never gets
 * SIGPIPE when no supervisor reads (after a crash it blocks once the pipe
 * buffer is full, and a new supervisor picks up where the old one
 * stopped). The supervisor reads them with large reads, feeds the json-file
 * log and, when attached, prints the same bytes with the `web-1  | `
 * prefix. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "sup-internal.h"

#define CC_PIPE_SIZE (1 << 20)

static const char *const cc__fifo_names[2] = {"stdout.fifo", "stderr.fifo"};

char *cc_sup_log_path(const struct cc_sup *s, const char *id)
{
        return cc_xasprintf("%s/containers/%s/%s-json.log", s->cli->root, id, id);
}

static long long cc__log_opt(const struct cc_node *svc, const char *key, long long dflt)
{
        struct cc_node *opts = cc_node_map_get(cc_node_map_get(svc, "logging"), "options");
        const char *v = cc_node_map_str(opts, key);
        if (!v)
                return dflt;
        if (strcmp(key, "max-size") == 0) {
                long long bytes = 0;
                return cc_parse_bytes(v, &bytes) == 0 ? bytes : dflt;
        }
        return atoll(v) > 0 ? atoll(v) : dflt;
}

static bool cc__flag(const struct cc_node *svc, const char *key)
{
        const struct cc_node *v = cc_node_map_get(svc, key);
        return cc_node_is_scalar(v) && cc_streq(v->str, "true");
}

/* Create the FIFOs and open the container's ends (read-write, so they
 * always have a reader). stdio[0] is /dev/null, or with stdin_open: true
 * the FIFO stdin.fifo that `attach` writes to (held read-write by the
 * container too: its stdin stays open, without EOF, when nobody is
 * attached, as Docker keeps it).
 *
 * tty: true: the runtime gives the container a pty from its own devpts
 * (its stdin, stdout, stderr and controlling terminal, as `run` does);
 * the supervisor reads the master into the log as stdout, and writes what
 * attach puts in stdin.fifo into it (stdio stays -1: the spec's tty). */
int cc_sup_output_open(struct cc_sup_ctr *c, int stdio[3], struct cc_error *err)
{
        _cleanup_free_ char *dir = cc_xasprintf("%s/containers/%s", c->sup->cli->root, c->id);
        int r = cc_mkdir_p(dir, 0700);
        if (r < 0)
                return cc_error_setsys(err, r, "creating %s", dir);
        stdio[0] = stdio[1] = stdio[2] = -1;
        c->tty = cc__flag(c->svc->def, "tty");
        if (cc__flag(c->svc->def, "stdin_open")) {
                _cleanup_free_ char *p = cc_xasprintf("%s/%s", dir, CC_CTR_STDIN_FIFO);
                if (mkfifo(p, 0600) < 0 && errno != EEXIST)
                        return cc_error_setsys(err, -errno, "creating %s", p);
                if (c->tty)
                        return 0;
                stdio[0] = open(p, O_RDWR | O_CLOEXEC);
        } else if (c->tty) {
                return 0;
        } else {
                stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        if (stdio[0] < 0)
                return cc_error_setsys(err, -errno, "opening the container's stdin");
        for (int i = 0; i < 2; i++) {
                _cleanup_free_ char *p = cc_xasprintf("%s/%s", dir, cc__fifo_names[i]);
                if (mkfifo(p, 0600) < 0 && errno != EEXIST)
                        return cc_error_setsys(err, -errno, "creating %s", p);
                /* our end first: a pipe nobody holds loses what was written
                 * to it, and a quick container may be gone before we look */
                if (c->rfd[i] < 0)
                        c->rfd[i] = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                stdio[i + 1] = open(p, O_RDWR | O_CLOEXEC);
                if (stdio[i + 1] < 0 || c->rfd[i] < 0)
                        return cc_error_setsys(err, -errno, "opening %s", p);
                (void) fcntl(stdio[i + 1], F_SETPIPE_SZ, CC_PIPE_SIZE);
        }
        return 0;
}

static void cc__alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        static char slab[1 << 16];
        (void) h;
        (void) suggested;
        buf->base = slab;
        buf->len = sizeof(slab);
}

void cc_sup_print_line(struct cc_sup *s, struct cc_sup_ctr *c, const char *line, size_t len)
{
        static const int palette[] = {36, 33, 32, 35, 34, 96, 93, 92, 95, 94};
        struct cc_buf b = {0};
        if (!s->opts.no_log_prefix) {
                if (s->color)
                        cc_buf_printf(&b, "\033[%dm%-*s |\033[0m ", palette[c->color % CC_ARRAY_SIZE(palette)],
                                      s->label_width, c->label);
                else
                        cc_buf_printf(&b, "%-*s | ", s->label_width, c->label);
        }
        cc_buf_add(&b, line, len);
        if (len == 0 || line[len - 1] != '\n')
                cc_buf_putc(&b, '\n');
        fwrite(b.s, 1, b.len, stdout);
        cc_buf_free(&b);
}

/* The attached view: whole lines with a prefix, as docker compose prints
 * them; a partial line waits for its newline (or for the end). */
static void cc__print_chunk(struct cc_sup *s, struct cc_sup_ctr *c, int idx, const char *data, size_t n)
{
        struct cc_buf *part = &c->partial[idx];
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                if (!nl) {
                        cc_buf_add(part, data, n);
                        if (part->len >= 16384) {
                                cc_sup_print_line(s, c, part->s, part->len);
                                part->len = 0;
                        }
                        break;
                }
                size_t take = (size_t) (nl - data) + 1;
                if (part->len) {
                        cc_buf_add(part, data, take);
                        cc_sup_print_line(s, c, part->s, part->len);
                        part->len = 0;
                } else {
                        cc_sup_print_line(s, c, data, take);
                }
                data += take;
                n -= take;
        }
        fflush(stdout);
}

static void cc__print_rest(struct cc_sup *s, struct cc_sup_ctr *c, int idx)
{
        struct cc_buf *part = &c->partial[idx];
        if (part->len && s->attached) {
                cc_sup_print_line(s, c, part->s, part->len);
                fflush(stdout);
        }
        part->len = 0;
}

/* Output the log file could not take was dropped: one line in the
 * supervisor's log (its stderr) and an event, now and then, with how much. */
static void cc__report_drops(struct cc_sup_ctr *c, const struct timespec *now, bool final)
{
        unsigned long long bytes = 0;
        int error = 0;
        if (!c->log || !cc_logw_drop_report(c->log, now, final, &bytes, &error))
                return;
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        const char *name = st ? st->name : c->id;
        fprintf(stderr, "container %s: %llu bytes of output dropped: the log file could not be written: %s\n", name,
                bytes, strerror(error));
        char n[32];
        snprintf(n, sizeof(n), "%llu", bytes);
        cc_sup_event(c->sup, st, "log-dropped", "bytes", n);
}

static void cc__read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
        struct cc_sup_ctr *c = stream->data;
        int idx = stream == (uv_stream_t *) c->out[1] ? 1 : 0;
        enum cc_log_stream ls = idx ? CC_LOG_STDERR : CC_LOG_STDOUT;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (nread > 0) {
                if (c->log) {
                        cc_logw_feed(c->log, ls, buf->base, (size_t) nread, &now);
                        cc_logw_flush(c->log);
                        cc__report_drops(c, &now, false);
                }
                if (c->sup->attached && !cc_strv_contains(&c->sup->opts.no_attach, c->svc->name))
                        cc__print_chunk(c->sup, c, idx, buf->base, (size_t) nread);
                return;
        }
        if (nread < 0) {
                if (c->log) {
                        cc_logw_flush_partial(c->log, ls, &now);
                        cc_logw_flush(c->log);
                }
                uv_read_stop(stream);
        }
}

/* ---- tty: true ---- */

/* The pty masters a re-exec kept ("ID=FD,..."), read once. */
static struct cc_strv cc__kept;

static int cc__kept_pty(const char *id)
{
        static bool read;
        if (!read) {
                read = true;
                const char *v = getenv(CC_SUP_PTYS_ENV);
                for (const char *p = v; p && *p;) {
                        const char *e = strchrnul(p, ',');
                        cc_strv_push_owned(&cc__kept, cc_xstrndup(p, (size_t) (e - p)));
                        p = *e ? e + 1 : e;
                }
                unsetenv(CC_SUP_PTYS_ENV); /* never into a hook's or a healthcheck's process */
        }
        size_t len = strlen(id);
        for (size_t i = 0; i < cc__kept.n; i++) {
                const char *k = cc__kept.v[i];
                if (strncmp(k, id, len) != 0 || k[len] != '=')
                        continue;
                int fd = atoi(k + len + 1);
                free(cc__kept.v[i]);
                cc__kept.v[i] = cc__kept.v[--cc__kept.n];
                cc__kept.v[cc__kept.n] = NULL;
                if (fd < 3 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || !isatty(fd))
                        return -1;
                return fd;
        }
        return -1;
}

void cc_sup_output_close_unclaimed(void)
{
        for (size_t i = 0; i < cc__kept.n; i++) {
                const char *eq = strchr(cc__kept.v[i], '=');
                int fd = eq ? atoi(eq + 1) : -1;
                if (fd >= 3 && isatty(fd))
                        close(fd);
        }
        cc_strv_free(&cc__kept);
}

void cc_sup_output_keep_ptys(struct cc_sup *s, struct cc_buf *out)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        int fd = c->tty && c->c ? cc_sup_output_fd(c, 0) : -1;
                        if (fd >= 0 && fcntl(fd, F_SETFD, out ? 0 : FD_CLOEXEC) == 0 && out)
                                cc_buf_printf(out, "%s%s=%d", out->len ? "," : "", c->id, fd);
                }
}

struct cc__input {
        uv_write_t req;
        struct cc_sup_ctr *c;
        char data[];
};

#define CC_INPUT_QUEUE_MAX (1 << 20)

static void cc__in_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void cc__in_written(uv_write_t *req, int status)
{
        struct cc__input *w = (struct cc__input *) req;
        struct cc_sup_ctr *c = w->c;
        free(w);
        if (status == UV_ECANCELED || !c->in || !c->out[0] || uv_is_active((uv_handle_t *) c->in))
                return;
        if (uv_stream_get_write_queue_size((uv_stream_t *) c->out[0]) < CC_INPUT_QUEUE_MAX / 2)
                uv_read_start((uv_stream_t *) c->in, cc__alloc_cb, cc__in_read_cb);
}

/* What attach wrote to stdin.fifo goes to the terminal, as typed there
 * (the line discipline makes ctrl-c a SIGINT); a container that does not
 * read holds the FIFO back, not our memory. */
static void cc__in_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
        struct cc_sup_ctr *c = stream->data;
        if (nread <= 0 || !c->out[0]) {
                if (nread < 0)
                        uv_read_stop(stream);
                return;
        }
        struct cc__input *w = cc_xmalloc(sizeof(*w) + (size_t) nread);
        w->c = c;
        memcpy(w->data, buf->base, (size_t) nread);
        uv_buf_t b = uv_buf_init(w->data, (unsigned) nread);
        if (uv_write(&w->req, (uv_stream_t *) c->out[0], &b, 1, cc__in_written) < 0)
                free(w);
        else if (uv_stream_get_write_queue_size((uv_stream_t *) c->out[0]) >= CC_INPUT_QUEUE_MAX)
                uv_read_stop(stream);
}

static int cc__stream_open(struct cc_sup_ctr *c, uv_pipe_t **h, int fd, uv_read_cb cb, const char *what,
                           struct cc_error *err)
{
        *h = cc_xcalloc(1, sizeof(uv_pipe_t));
        uv_pipe_init(c->sup->loop, *h, 0);
        (*h)->data = c;
        int r = uv_pipe_open(*h, fd);
        if (r < 0)
                close(fd);
        if (r == 0)
                r = uv_read_start((uv_stream_t *) *h, cc__alloc_cb, cb);
        if (r < 0)
                return cc_error_set(err, -EIO, "reading %s: %s", what, uv_strerror(r));
        return 0;
}

#define CC_KEEPER_PTY_FILE "pty.keeper"

/* A copy of a new container's master to the keeper, which answers with
 * the number it holds it at: "KEEPER-PID KEEPER-START FD" in the
 * container's directory, for a supervisor that adopts the container after
 * this one was killed. Best effort: without it the terminal dies with us. */
static void cc__keeper_hold(struct cc_sup_ctr *c, int master, const char *dir)
{
        int sock = c->sup->keeper_sock;
        if (sock < 0)
                return;
        int num = -1, r = cc_send_fd(sock, "", 1, master);
        if (r == 0 && recv(sock, &num, sizeof(num), 0) != (ssize_t) sizeof(num))
                r = -errno;
        if (r < 0) {
                /* no answer in time: the exchange is out of step, stop using it */
                fprintf(stderr, "keeper: cannot hand over terminals: %s\n", strerror(-r));
                close(sock);
                c->sup->keeper_sock = -1;
                return;
        }
        if (num < 0)
                return;
        pid_t keeper = getppid();
        _cleanup_free_ char *p = cc_xasprintf("%s/%s", dir, CC_KEEPER_PTY_FILE);
        _cleanup_free_ char *text = cc_xasprintf("%d %llu %d\n", (int) keeper, cc_proc_start_time(keeper), num);
        /* not fsynced: it only has to outlive this supervisor, not the machine */
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                unlink(p);
}

/* An adopted container's master from the keeper of the supervisor that
 * started it (pidfd_getfd), when it is the terminal the container's main
 * process has as its stdin (the same pts number). */
static int cc__keeper_pty(struct cc_sup_ctr *c, const char *dir)
{
        _cleanup_free_ char *p = cc_xasprintf("%s/%s", dir, CC_KEEPER_PTY_FILE);
        _cleanup_free_ char *text = NULL;
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        int pid = 0, num = -1;
        unsigned long long start = 0;
        if (!st || st->pid <= 0 || cc_read_file(p, &text, NULL) < 0 ||
            sscanf(text, "%d %llu %d", &pid, &start, &num) != 3 || pid <= 0 || num < 0 ||
            cc_proc_start_time(pid) != start)
                return -1;
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        int fd = pidfd < 0 ? -1 : (int) syscall(SYS_pidfd_getfd, pidfd, num, 0);
        _cleanup_free_ char *in = cc_xasprintf("/proc/%d/fd/0", (int) st->pid);
        char link[64] = "";
        unsigned ptn = 0;
        ssize_t n = readlink(in, link, sizeof(link) - 1);
        if (n > 0)
                link[n] = '\0';
        if (fd >= 0 && (ioctl(fd, TIOCGPTN, &ptn) < 0 || !cc_startswith(link, "/dev/pts/") ||
                        (unsigned) atoi(link + 9) != ptn)) {
                close(fd);
                fd = -1;
        }
        return fd;
}

/* The master (a copy: the container object keeps its own), or the one a
 * re-exec kept, or the keeper's copy after this supervisor's predecessor
 * was killed; a handed-over container's terminal is gone with the
 * supervisor that had it (nothing to read). */
static int cc__tty_attach(struct cc_sup_ctr *c, const char *dir, struct cc_error *err)
{
        if (!c->out[0]) {
                int m = c->c ? cc_container_pty(c->c) : -1;
                if (m >= 0)
                        cc__keeper_hold(c, m, dir);
                int fd = m >= 0 ? fcntl(m, F_DUPFD_CLOEXEC, 3) : cc__kept_pty(c->id);
                if (fd < 0 && m < 0)
                        fd = cc__keeper_pty(c, dir);
                if (fd >= 0 && cc__stream_open(c, &c->out[0], fd, cc__read_cb, "the container's terminal", err) < 0)
                        return err->code;
        }
        if (c->in || !cc__flag(c->svc->def, "stdin_open"))
                return 0;
        _cleanup_free_ char *p = cc_xasprintf("%s/%s", dir, CC_CTR_STDIN_FIFO);
        int fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC); /* a writer too: no EOF between attaches */
        if (fd < 0)
                return cc_error_setsys(err, -errno, "opening %s", p);
        return cc__stream_open(c, &c->in, fd, cc__in_read_cb, p, err);
}

int cc_sup_output_resize(struct cc_sup_ctr *c, unsigned rows, unsigned cols)
{
        int fd = c->tty ? cc_sup_output_fd(c, 0) : -1;
        struct winsize ws = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};
        if (fd < 0)
                return -ENOTTY;
        return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* The supervisor's ends: read-only, non-blocking. */
int cc_sup_output_attach(struct cc_sup_ctr *c, struct cc_error *err)
{
        _cleanup_free_ char *dir = cc_xasprintf("%s/containers/%s", c->sup->cli->root, c->id);
        if (!c->log && !cc_service_logs_none(c->svc->def)) {
                _cleanup_free_ char *lp = cc_sup_log_path(c->sup, c->id);
                long long max = cc__log_opt(c->svc->def, "max-size", 0);
                int files = (int) cc__log_opt(c->svc->def, "max-file", 1);
                int r = cc_logw_open(lp, max, max > 0 ? files : 1, &c->log, err);
                if (r < 0)
                        return r;
        }
        c->tty = cc__flag(c->svc->def, "tty");
        if (c->tty)
                return cc__tty_attach(c, dir, err);
        for (int i = 0; i < 2; i++) {
                if (c->out[i])
                        continue;
                _cleanup_free_ char *p = cc_xasprintf("%s/%s", dir, cc__fifo_names[i]);
                int fd = c->rfd[i] >= 0 ? c->rfd[i] : open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                c->rfd[i] = -1; /* the handle owns it now */
                if (fd < 0)
                        return cc_error_setsys(err, -errno, "opening %s", p);
                c->out[i] = cc_xcalloc(1, sizeof(uv_pipe_t));
                uv_pipe_init(c->sup->loop, c->out[i], 0);
                c->out[i]->data = c;
                int r = uv_pipe_open(c->out[i], fd);
                if (r == 0)
                        r = uv_read_start((uv_stream_t *) c->out[i], cc__alloc_cb, cc__read_cb);
                if (r < 0)
                        return cc_error_set(err, -EIO, "reading %s: %s", p, uv_strerror(r));
        }
        return 0;
}

int cc_sup_output_fd(struct cc_sup_ctr *c, int idx)
{
        uv_os_fd_t fd;
        if (!c->out[idx] || uv_fileno((uv_handle_t *) c->out[idx], &fd) != 0)
                return -1;
        return fd;
}

bool cc_sup_output_drain(struct cc_sup_ctr *c, int idx)
{
        char buf[65536];
        int fd = cc_sup_output_fd(c, idx);
        if (fd < 0)
                return false;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 && errno == EAGAIN;
                uv_buf_t b = uv_buf_init(buf, (unsigned) n);
                cc__read_cb((uv_stream_t *) c->out[idx], n, &b);
        }
}

/* Drain what is left in the FIFOs (the container has exited), then close. */
void cc_sup_output_close(struct cc_sup_ctr *c)
{
        for (int i = 0; i < 2; i++) {
                if (!c->out[i])
                        continue;
                (void) cc_sup_output_drain(c, i);
                cc__print_rest(c->sup, c, i);
                cc_sup_close_free((uv_handle_t *) c->out[i]);
                c->out[i] = NULL;
        }
        if (c->in) {
                cc_sup_close_free((uv_handle_t *) c->in);
                c->in = NULL;
        }
        if (c->log) {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                cc_logw_flush_partial(c->log, CC_LOG_STDOUT, &now);
                cc_logw_flush_partial(c->log, CC_LOG_STDERR, &now);
                cc_logw_flush(c->log);
                cc__report_drops(c, &now, true);
        }
}
