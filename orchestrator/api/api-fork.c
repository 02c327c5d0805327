/* ccompose's own commands for the service without exec: a fork server.
 *
 * Running `ccompose ARGS...` as a new program costs its start (loading
 * and relocating some 55 shared libraries: 25-45 ms here) before it does
 * any work, twice per `docker run --rm`. The service has all that code
 * linked in already, so a command runs in a forked child that calls the
 * command line's main directly. The child is forked from a small process
 * made before the service's loop exists (the fork server): it has no
 * libuv state, no signal handlers, no listening socket and no client
 * connection to inherit, as a freshly started ccompose would have none.
 * The command does what it does when started by hand (create forks the
 * project's supervisor, which owns the container), and its exit comes
 * back to the service as a message.
 *
 * Protocol on a SOCK_SEQPACKET pair: a request is a cc__fork_req header,
 * then cwd, argv and env as NUL-ended strings, and the child's first
 * descriptors as SCM_RIGHTS (3 to CC_API_FORK_FDS of them: stdin, stdout,
 * stderr, then any the command is told of by number, as exec's --pid-fd);
 * each answer is a cc__fork_msg (started with the pid, or failed with an
 * errno, then ended with the exit code). The fork server ends when the
 * service's end closes. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "api-internal.h"

#define CC__FORK_MAX (128 * 1024) /* a request's bytes */

struct cc__fork_req {
        uint64_t tag;
        uint32_t argc, envc;
};

enum { CC__FORK_STARTED, CC__FORK_FAILED, CC__FORK_ENDED };

struct cc__fork_msg {
        uint64_t tag;
        int32_t kind;
        int32_t pid;
        int64_t value; /* FAILED: an errno; ENDED: the exit code, 128+signal */
};

struct cc_api_forked {
        uint64_t tag;
        pid_t pid;
        cc_api_fork_fn done;
        void *data;
        struct cc_api_forked *next;
};

struct cc_api_forker {
        int fd;
        pid_t pid;
        uv_poll_t poll;
        bool watching, closing;
        uint64_t next_tag;
        struct cc_api_forked *pending;
};

/* ---- the fork server ---- */

static void cc__fork_answer(int sock, uint64_t tag, int kind, pid_t pid, int64_t value)
{
        struct cc__fork_msg m = {.tag = tag, .kind = kind, .pid = pid, .value = value};
        while (send(sock, &m, sizeof(m), MSG_NOSIGNAL) < 0 && errno == EINTR)
                ;
}

/* In the new child: its stdio, nothing else inherited, the mask the
 * service had; then the command, as `ccompose ARGV...` would run it.
 * fds[i] becomes descriptor i: each is first moved above n, so that
 * none is overwritten before it is placed. */
static _Noreturn void cc__fork_exec(int (*main_fn)(int, char **), const sigset_t *mask, const int *fds, int n,
                                    char *cwd, int argc, char **argv, char **env)
{
        int moved[CC_API_FORK_FDS];
        for (int i = 0; i < n; i++)
                if ((moved[i] = fcntl(fds[i], F_DUPFD, n)) < 0)
                        _exit(127);
        for (int i = 0; i < n; i++)
                if (dup2(moved[i], i) < 0)
                        _exit(127);
        syscall(SYS_close_range, n, ~0U, 0);
        sigprocmask(SIG_SETMASK, mask, NULL);
        prctl(PR_SET_PDEATHSIG, 0);
        if (chdir(cwd) < 0) {
                fprintf(stderr, "Error: entering %s: %s\n", cwd, strerror(errno));
                _exit(127);
        }
        extern char **environ;
        environ = env;
        optind = 0;
        int code = main_fn(argc, argv);
        fflush(NULL);
        exit(code);
}

/* Split a request into cwd, argv and env (NULL-ended, pointing into buf). */
static int cc__fork_parse(char *buf, size_t len, char **cwd, char ***argv, char ***env)
{
        struct cc__fork_req h;
        if (len < sizeof(h) || buf[len - 1] != '\0')
                return -EINVAL;
        memcpy(&h, buf, sizeof(h));
        if (h.argc == 0 || h.argc > 4096 || h.envc > 65536)
                return -EINVAL;
        size_t n = 1 + h.argc + h.envc;
        char **s = cc_xcalloc(n + 2, sizeof(char *));
        char *p = buf + sizeof(h), *end = buf + len;
        for (size_t i = 0; i < n; i++) {
                if (p >= end) {
                        free(s);
                        return -EINVAL;
                }
                s[i + (i > h.argc ? 1 : 0)] = p;
                p += strlen(p) + 1;
        }
        /* s: cwd, argv[0..argc-1], NULL, env..., NULL */
        *cwd = s[0];
        *argv = s + 1;
        *env = s + 2 + h.argc;
        return (int) h.argc;
}

struct cc__fork_child {
        pid_t pid;
        uint64_t tag;
};

static _Noreturn void cc__fork_server(int sock, int (*main_fn)(int, char **), pid_t service)
{
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != service)
                _exit(0);
        sigset_t chld, old;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, &old);
        int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
        static char buf[CC__FORK_MAX];
        struct cc__fork_child *kids = NULL;
        size_t n_kids = 0, cap = 0;
        for (;;) {
                struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        _exit(1);
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) > 0)
                                ;
                        int st;
                        pid_t pid;
                        while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
                                for (size_t i = 0; i < n_kids; i++)
                                        if (kids[i].pid == pid) {
                                                int64_t code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
                                                cc__fork_answer(sock, kids[i].tag, CC__FORK_ENDED, pid, code);
                                                kids[i] = kids[--n_kids];
                                                break;
                                        }
                }
                if (!p[0].revents)
                        continue;
                union {
                        struct cmsghdr h;
                        char b[CMSG_SPACE(CC_API_FORK_FDS * sizeof(int))];
                } ctl;
                struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
                struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                                    .msg_controllen = sizeof(ctl.b)};
                ssize_t len = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
                if (len < 0 && errno == EINTR)
                        continue;
                if (len <= 0)
                        _exit(0); /* the service is gone */
                int fds[CC_API_FORK_FDS], n_fds = 0;
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                        n_fds = (int) ((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                        if (n_fds > CC_API_FORK_FDS)
                                n_fds = CC_API_FORK_FDS;
                        memcpy(fds, CMSG_DATA(cm), (size_t) n_fds * sizeof(int));
                }
                struct cc__fork_req h = {0};
                if ((size_t) len >= sizeof(h))
                        memcpy(&h, buf, sizeof(h));
                char *cwd, **argv = NULL, **env;
                int argc = n_fds >= 3 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
                                   ? cc__fork_parse(buf, (size_t) len, &cwd, &argv, &env)
                                   : -EINVAL;
                pid_t pid = argc > 0 ? fork() : -1;
                if (pid == 0)
                        cc__fork_exec(main_fn, &old, fds, n_fds, cwd, argc, argv, env);
                int e = argc < 0 ? argc : -errno;
                for (int i = 0; i < n_fds; i++)
                        close(fds[i]);
                free(argv ? argv - 1 : NULL);
                if (pid < 0) {
                        cc__fork_answer(sock, h.tag, CC__FORK_FAILED, 0, -e);
                        continue;
                }
                if (n_kids == cap) {
                        cap = cap ? cap * 2 : 16;
                        kids = cc_xrealloc(kids, cap * sizeof(*kids));
                }
                kids[n_kids++] = (struct cc__fork_child){.pid = pid, .tag = h.tag};
                cc__fork_answer(sock, h.tag, CC__FORK_STARTED, pid, 0);
        }
}

/* ---- the service's side ---- */

int cc_api_forker_fork(struct cc_api *api, int (*main_fn)(int, char **))
{
        if (!main_fn)
                return -ENOSYS;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid_t service = getpid();
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                close(sv[0]);
                cc__fork_server(sv[1], main_fn, service);
        }
        int e = -errno;
        close(sv[1]);
        if (pid < 0) {
                close(sv[0]);
                return e;
        }
        struct cc_api_forker *f = cc_xcalloc(1, sizeof(*f));
        f->fd = sv[0];
        f->pid = pid;
        api->forker = f;
        return 0;
}

static void cc__forker_gone(struct cc_api *api);

static struct cc_api_forked *cc__forked_take(struct cc_api_forker *f, uint64_t tag)
{
        for (struct cc_api_forked **p = &f->pending; *p; p = &(*p)->next)
                if ((*p)->tag == tag) {
                        struct cc_api_forked *x = *p;
                        *p = x->next;
                        return x;
                }
        return NULL;
}

static void cc__forker_read(uv_poll_t *h, int status, int events)
{
        struct cc_api *api = h->data;
        struct cc_api_forker *f = api->forker;
        for (;;) {
                struct cc__fork_msg m;
                ssize_t n = recv(f->fd, &m, sizeof(m), MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n != (ssize_t) sizeof(m)) {
                        cc__forker_gone(api);
                        return;
                }
                if (m.kind == CC__FORK_STARTED) {
                        for (struct cc_api_forked *x = f->pending; x; x = x->next)
                                if (x->tag == m.tag)
                                        x->pid = m.pid;
                        continue;
                }
                struct cc_api_forked *x = cc__forked_take(f, m.tag);
                if (x) {
                        x->done(x->data, m.kind == CC__FORK_ENDED ? m.value : -1);
                        free(x);
                }
        }
        if (f->closing && !f->pending)
                cc__forker_gone(api);
}

static void cc__forker_closed(uv_handle_t *h)
{
        struct cc_api_forker *f = h->data;
        free(f);
}

/* The fork server ended (or the service stops): what it ran is not
 * followed any more; every waiting caller hears -1. */
static void cc__forker_gone(struct cc_api *api)
{
        struct cc_api_forker *f = api->forker;
        api->forker = NULL;
        close(f->fd);
        int st;
        while (waitpid(f->pid, &st, 0) < 0 && errno == EINTR)
                ;
        for (struct cc_api_forked *x; (x = f->pending);) {
                f->pending = x->next;
                x->done(x->data, -1);
                free(x);
        }
        if (!f->watching) {
                free(f);
                return;
        }
        f->poll.data = f;
        uv_close((uv_handle_t *) &f->poll, cc__forker_closed);
}

void cc_api_forker_watch(struct cc_api *api)
{
        struct cc_api_forker *f = api->forker;
        if (!f)
                return;
        if (uv_poll_init(api->loop, &f->poll, f->fd) < 0) {
                cc__forker_gone(api);
                return;
        }
        f->watching = true;
        f->poll.data = api;
        uv_poll_start(&f->poll, UV_READABLE, cc__forker_read);
}

void cc_api_forker_close(struct cc_api *api)
{
        struct cc_api_forker *f = api->forker;
        if (!f)
                return;
        f->closing = true;
        if (!f->pending)
                cc__forker_gone(api);
}

int cc_api_fork_fds(struct cc_api *api, const char *const *argv, const char *const *env, const char *cwd,
                    const int *fds, int n, cc_api_fork_fn done, void *data)
{
        struct cc_api_forker *f = api->forker;
        if (!f || f->closing)
                return -ENOSYS;
        if (n < 3 || n > CC_API_FORK_FDS)
                return -EINVAL;
        struct cc__fork_req h = {.tag = ++f->next_tag};
        struct cc_buf b = {0};
        cc_buf_add(&b, (const char *) &h, sizeof(h));
        cc_buf_add(&b, cwd, strlen(cwd) + 1);
        for (; argv[h.argc]; h.argc++)
                cc_buf_add(&b, argv[h.argc], strlen(argv[h.argc]) + 1);
        for (; env[h.envc]; h.envc++)
                cc_buf_add(&b, env[h.envc], strlen(env[h.envc]) + 1);
        memcpy(b.s, &h, sizeof(h));
        int null = -1, use[CC_API_FORK_FDS];
        bool have_all = true;
        for (int i = 0; i < n; i++) {
                if (fds[i] < 0 && null < 0)
                        null = open("/dev/null", O_RDWR | O_CLOEXEC);
                use[i] = fds[i] >= 0 ? fds[i] : null;
                have_all = have_all && use[i] >= 0;
        }
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(CC_API_FORK_FDS * sizeof(int))];
        } ctl = {0};
        struct iovec iov = {.iov_base = b.s, .iov_len = b.len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                            .msg_controllen = CMSG_SPACE((size_t) n * sizeof(int))};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN((size_t) n * sizeof(int));
        memcpy(CMSG_DATA(cm), use, (size_t) n * sizeof(int));
        int r = 0;
        if (b.len > CC__FORK_MAX || !have_all)
                r = -E2BIG;
        while (r == 0 && sendmsg(f->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                if (errno != EINTR)
                        r = -errno;
        if (null >= 0)
                close(null);
        cc_buf_free(&b);
        if (r < 0)
                return r;
        struct cc_api_forked *x = cc_xcalloc(1, sizeof(*x));
        x->tag = h.tag;
        x->done = done;
        x->data = data;
        x->next = f->pending;
        f->pending = x;
        return 0;
}

int cc_api_fork(struct cc_api *api, const char *const *argv, const char *const *env, const char *cwd, int fds[3],
                cc_api_fork_fn done, void *data)
{
        return cc_api_fork_fds(api, argv, env, cwd, fds, 3, done, data);
}

void cc_api_fork_kill(struct cc_api *api, void *data, int sig)
{
        struct cc_api_forker *f = api->forker;
        for (struct cc_api_forked *x = f ? f->pending : NULL; x; x = x->next)
                if (x->data == data && x->pid > 0)
                        kill(x->pid, sig);
}
