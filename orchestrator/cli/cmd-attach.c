/* ccompose attach: the terminal joined to a service's running container,
 * as docker compose attach does. Output comes from the container's log as
 * the supervisor writes it (stdout to stdout, stderr to stderr, from the
 * moment of attaching); input goes to the container's stdin FIFO when the
 * service has stdin_open: true (sup-output.c). The detach keys
 * (ctrl-p,ctrl-q by default) leave the container running; with
 * --sig-proxy (the default) the signals this process gets are sent to the
 * container's main process; when the container exits, attach ends with
 * its exit code. A container with a terminal (tty: true) gets our
 * terminal in raw mode (ctrl-c is a character there, which its line
 * discipline makes a SIGINT; signals are not proxied, as docker attach
 * does with a tty) and our window size, now and on each SIGWINCH (a
 * resize request to the supervisor, which holds the pty master). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "logfile.h"
#include "state.h"
#include "supervisor.h"

#define CC_ATTACH_POLL_MS 100
#define CC_ATTACH_EXIT_WAIT_MS 10000

struct attach_opts {
        bool no_stdin, sig_proxy;
        bool tty; /* the service has tty: true */
        int index;
        char keys[16];
        size_t nkeys;
};

static void cc__attach_help(void)
{
        puts("Usage:  ccompose attach [OPTIONS] SERVICE\n\n"
             "Attach local standard input, output, and error streams to a service's running container\n\n"
             "Options:\n"
             "      --detach-keys string   Override the key sequence for detaching from a container\n"
             "                             (default \"ctrl-p,ctrl-q\")\n"
             "      --index int            index of the container if service has multiple replicas.\n"
             "      --no-stdin             Do not attach STDIN\n"
             "      --sig-proxy            Proxy all received signals to the process (default true)");
}

int cc_detach_keys_parse(const char *spec, char *out, size_t cap, size_t *n)
{
        *n = 0;
        const char *p = spec;
        while (*p) {
                const char *e = strchrnul(p, ',');
                size_t len = (size_t) (e - p);
                int c = -1;
                if (len == 1 && p[0] != ',') {
                        c = (unsigned char) p[0];
                } else if (len == 6 && strncmp(p, "ctrl-", 5) == 0) {
                        char k = p[5];
                        if (k >= 'a' && k <= 'z')
                                c = k - 'a' + 1;
                        else if (k == '@')
                                c = 0;
                        else if (k >= '[' && k <= '_')
                                c = k - '[' + 27;
                }
                if (c < 0 || *n >= cap)
                        return -EINVAL;
                out[(*n)++] = (char) c;
                p = *e ? e + 1 : e;
                if (*e && !*p)
                        return -EINVAL; /* a trailing comma */
        }
        return *n > 0 ? 0 : -EINVAL;
}

/* The container attach joins: --index, else the first running replica. */
static const struct cc_ctr_state *cc__attach_target(const struct cc_state *st, const char *service, int index)
{
        const struct cc_ctr_state *best = NULL;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                const struct cc_ctr_state *c = &st->ctrs[i];
                if (strcmp(c->service, service) != 0 || c->one_off || c->status != CC_CTR_RUNNING ||
                    !cc_proc_alive(c->pid, c->pid_start))
                        continue;
                if (index > 0 ? c->number == index : (!best || c->number < best->number))
                        best = c;
        }
        return best;
}

struct attach {
        struct cc_cli *cli;
        const char *project;
        const struct attach_opts *o;
        const struct cc_ctr_state *ct;
        int pidfd, sigfd, in_fifo;
        bool stdin_open;         /* still reading our stdin */
        size_t matched;          /* bytes of the detach keys seen so far (held back) */
        char pending[4096];      /* input not yet taken by the FIFO */
        size_t npending;
        char *log_path;
        long long log_off;
        struct termios saved;
        bool term_saved;
};

static int cc__attach_entry(const struct cc_log_entry *e, void *ud)
{
        (void) ud;
        FILE *f = e->stream == CC_LOG_STDERR ? stderr : stdout;
        fwrite(e->text, 1, e->len, f);
        return 0;
}

static void cc__attach_output(struct attach *a)
{
        struct stat st;
        if (stat(a->log_path, &st) == 0 && (long long) st.st_size < a->log_off)
                a->log_off = 0; /* rotated */
        struct cc_error err = {0};
        cc_log_read_from(a->log_path, &a->log_off, cc__attach_entry, a, &err);
        cc_error_clear(&err);
        fflush(stdout);
        fflush(stderr);
}

static void cc__attach_queue(struct attach *a, const char *p, size_t n)
{
        if (a->in_fifo < 0)
                return; /* the container has no stdin: only the detach keys count */
        if (n > sizeof(a->pending) - a->npending)
                n = sizeof(a->pending) - a->npending; /* we read no more than fits */
        memcpy(a->pending + a->npending, p, n);
        a->npending += n;
}

/* Our stdin: bytes for the container, the detach keys held back until
 * they are either complete (1: detach) or broken (sent on). */
static int cc__attach_input(struct attach *a)
{
        char buf[1024];
        size_t room = sizeof(a->pending) - a->npending;
        ssize_t n = read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                a->stdin_open = false;
                return 0;
        }
        for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == a->o->keys[a->matched]) {
                        if (++a->matched == a->o->nkeys)
                                return 1;
                        continue;
                }
                if (a->matched) {
                        cc__attach_queue(a, a->o->keys, a->matched);
                        a->matched = 0;
                        if (buf[i] == a->o->keys[0]) {
                                a->matched = 1;
                                continue;
                        }
                }
                cc__attach_queue(a, &buf[i], 1);
        }
        return 0;
}

static void cc__attach_flush_input(struct attach *a)
{
        while (a->npending > 0) {
                ssize_t n = write(a->in_fifo, a->pending, a->npending);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno != EAGAIN)
                        a->npending = 0; /* the container's stdin is gone */
                if (n <= 0)
                        return; /* full (EAGAIN): the next POLLOUT */
                memmove(a->pending, a->pending + n, a->npending - (size_t) n);
                a->npending -= (size_t) n;
        }
}

/* The exit code the supervisor records for the container (docker attach
 * returns it), waiting a little for it to be written. */
static int cc__attach_exit_code(struct cc_cli *cli, const char *project, const char *id)
{
        for (int waited = 0; waited < CC_ATTACH_EXIT_WAIT_MS; waited += CC_ATTACH_POLL_MS) {
                struct cc_error err = {0};
                _cleanup_state_ struct cc_state *st = NULL;
                if (cc_state_load(cli->runtime_dir, project, &st, &err) < 0) {
                        cc_error_clear(&err);
                        return 1;
                }
                for (size_t i = 0; i < st->n_ctrs; i++)
                        if (strcmp(st->ctrs[i].id, id) == 0 && st->ctrs[i].status != CC_CTR_RUNNING &&
                            st->ctrs[i].status != CC_CTR_PAUSED)
                                return st->ctrs[i].exit_code;
                poll(NULL, 0, CC_ATTACH_POLL_MS);
        }
        return 0;
}

/* A terminal on stdin: characters as they are typed (no line editing, no
 * XON/XOFF, which would swallow ctrl-q), echo and ctrl-c as they were;
 * for a container's terminal, raw: that terminal echoes and edits. */
static void cc__attach_term(struct attach *a)
{
        struct termios t;
        if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &a->saved) < 0)
                return;
        a->term_saved = true;
        t = a->saved;
        if (a->o->tty) {
                cfmakeraw(&t);
        } else {
                t.c_lflag &= ~(tcflag_t) (ICANON | ECHOCTL);
                t.c_iflag &= ~(tcflag_t) IXON;
                t.c_cc[VMIN] = 1;
                t.c_cc[VTIME] = 0;
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

/* Our window size to the container's terminal (tty: true). */
static void cc__attach_resize(struct attach *a)
{
        struct winsize ws;
        int fd = isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO;
        if (!a->o->tty || ioctl(fd, TIOCGWINSZ, &ws) < 0)
                return;
        _cleanup_free_ char *req = cc_xasprintf("{\"op\":\"resize\",\"id\":\"%s\",\"rows\":%u,\"cols\":%u}", a->ct->id,
                                                (unsigned) ws.ws_row, (unsigned) ws.ws_col);
        struct cc_error err = {0};
        int code = 0;
        if (cc_sup_request(a->cli, a->project, req, &code, &err) < 0)
                cc_error_clear(&err); /* no supervisor: the container is going */
}

/* The container's exit code, 1 after a detach (*detached), or 128 + a
 * signal that ended attach. */
static int cc__attach_loop(struct cc_cli *cli, const char *project, struct attach *a, bool *detached)
{
        for (;;) {
                struct pollfd pfd[4] = {
                        {.fd = a->stdin_open && a->npending == 0 ? STDIN_FILENO : -1, .events = POLLIN},
                        {.fd = a->sigfd, .events = POLLIN},
                        {.fd = a->pidfd, .events = POLLIN},
                        {.fd = a->npending ? a->in_fifo : -1, .events = POLLOUT},
                };
                int r = poll(pfd, 4, CC_ATTACH_POLL_MS);
                if (r < 0 && errno != EINTR)
                        return 1;
                cc__attach_output(a);
                if (r <= 0)
                        continue;
                if (pfd[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(a->sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH) {
                                        cc__attach_resize(a);
                                        continue;
                                }
                                if (!a->o->sig_proxy || a->o->tty)
                                        return 128 + (int) si.ssi_signo;
                                syscall(SYS_pidfd_send_signal, a->pidfd, (int) si.ssi_signo, NULL, 0);
                        }
                }
                if (pfd[2].revents & (POLLIN | POLLHUP)) {
                        cc__attach_output(a);
                        int code = cc__attach_exit_code(cli, project, a->ct->id);
                        cc__attach_output(a);
                        return code;
                }
                if (pfd[3].revents & (POLLOUT | POLLERR))
                        cc__attach_flush_input(a);
                if ((pfd[0].revents & (POLLIN | POLLHUP)) && cc__attach_input(a) == 1) {
                        *detached = true;
                        return 1;
                }
                if (a->npending)
                        cc__attach_flush_input(a);
        }
}

static int cc__attach_run(struct cc_cli *cli, const char *project, const struct cc_ctr_state *ct,
                          const struct attach_opts *o)
{
        struct attach a = {.cli = cli, .project = project, .o = o, .ct = ct, .pidfd = -1, .sigfd = -1,
                           .in_fifo = -1, .stdin_open = !o->no_stdin};
        a.pidfd = (int) syscall(SYS_pidfd_open, ct->pid, 0);
        if (a.pidfd < 0 || !cc_proc_alive(ct->pid, ct->pid_start)) {
                fprintf(stderr, "container %s is not running\n", ct->name);
                if (a.pidfd >= 0)
                        close(a.pidfd);
                return 1;
        }
        a.log_path = cc_xasprintf("%s/containers/%s/%s-json.log", cli->root, ct->id, ct->id);
        struct stat st;
        a.log_off = stat(a.log_path, &st) == 0 ? (long long) st.st_size : 0;
        if (!o->no_stdin) {
                _cleanup_free_ char *fifo = cc_xasprintf("%s/containers/%s/%s", cli->root, ct->id, CC_CTR_STDIN_FIFO);
                a.in_fifo = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
                cc__attach_term(&a);
        }
        /* every signal docker's proxy forwards; with --sig-proxy=false they end attach */
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGTSTP};
        sigset_t mask, old;
        sigemptyset(&mask);
        for (size_t i = 0; i < CC_ARRAY_SIZE(sigs); i++)
                sigaddset(&mask, sigs[i]);
        if (o->tty)
                sigaddset(&mask, SIGWINCH);
        sigprocmask(SIG_BLOCK, &mask, &old);
        a.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        signal(SIGPIPE, SIG_IGN);
        cc__attach_resize(&a);
        bool detached = false;
        int rc = cc__attach_loop(cli, project, &a, &detached);
        if (a.term_saved)
                tcsetattr(STDIN_FILENO, TCSANOW, &a.saved);
        if (detached)
                fputs("read escape sequence\n", stderr);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(a.sigfd);
        close(a.pidfd);
        if (a.in_fifo >= 0)
                close(a.in_fifo);
        free(a.log_path);
        return rc;
}

int cc_cmd_attach(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_KEYS = 1000, O_INDEX, O_NO_STDIN, O_SIG_PROXY, O_DRY };
        static const struct option longopts[] = {
                {"detach-keys", required_argument, NULL, O_KEYS}, {"index", required_argument, NULL, O_INDEX},
                {"no-stdin", no_argument, NULL, O_NO_STDIN},      {"sig-proxy", optional_argument, NULL, O_SIG_PROXY},
                {"dry-run", no_argument, NULL, O_DRY},            {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct attach_opts o = {.sig_proxy = true};
        const char *keys = "ctrl-p,ctrl-q";
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case O_KEYS: keys = optarg; break;
                case O_INDEX:
                        if (cc_cli_parse_index(optarg, &o.index) != 0)
                                return 1;
                        break;
                case O_NO_STDIN: o.no_stdin = true; break;
                case O_SIG_PROXY:
                        if (cc_cli_parse_bool_flag("sig-proxy", optarg, &o.sig_proxy) != 0)
                                return 1;
                        break;
                case O_DRY: break;
                case 'h': cc__attach_help(); return 0;
                default: return 1;
                }
        }
        if (cc_detach_keys_parse(keys, o.keys, sizeof(o.keys), &o.nkeys) < 0) {
                fprintf(stderr, "Invalid detach keys (%s) provided\n", keys);
                return 1;
        }
        if (argc - optind != 1) {
                fputs("\"ccompose attach\" requires exactly 1 argument: SERVICE\n", stderr);
                return 1;
        }
        const char *service = argv[optind];
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, (char **) &service, 1, &p, &st) != 0)
                return 1;
        const struct cc_ctr_state *ct = cc__attach_target(st, service, o.index);
        if (!ct) {
                if (o.index > 0)
                        fprintf(stderr, "service \"%s\" is not running container #%d\n", service, o.index);
                else
                        fprintf(stderr, "service \"%s\" is not running\n", service);
                return 1;
        }
        const struct cc_node *tty = cc_node_map_get(cc_node_map_get(cc_project_services(p), service), "tty");
        o.tty = cc_node_is_scalar(tty) && cc_streq(tty->str, "true");
        return cc__attach_run(cli, p->name, ct, &o);
}
