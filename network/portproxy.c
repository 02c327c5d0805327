/* The TCP and UDP port proxies: see portproxy.h.
 *
 * TCP: the listening socket and each connection's two sockets are plain
 * non-blocking descriptors watched with uv_poll. Bytes go from one socket
 * to the other through a pipe with splice(2), so they are never copied
 * through user space (what keeps the published port near the speed of a
 * direct connection). A direction's pipe is its back-pressure: the source
 * is read only while the pipe has room, the destination is watched for
 * writability only while the pipe holds data. A direction ends when its
 * source sent EOF and the pipe has been emptied: then, and only then, its
 * FIN is passed on (shutdown). The connection closes when both directions
 * have ended, or on an error. Closing earlier would drop bytes still in a
 * pipe and cut the data short.
 *
 * UDP: each client gets its own connected socket to the container,
 * closed after idling. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portproxy.h"

#define NET_BUF 65536
#define NET_PIPE_SIZE (256 * 1024)
#define NET_PUMP_ROUNDS 16          /* per event, so one connection cannot starve the loop */
#define NET_ACCEPT_BATCH 32
#define NET_ACCEPT_RETRY_MS 100     /* out of descriptors: try accepting again after this */
#define NET_UDP_IDLE_MS 60000

struct net_conn;
struct net_udp_flow;

struct net_proxy {
        uv_loop_t *loop;
        bool udp;
        bool closing;
        bool unbacked;              /* no container behind the port: refuse */
        int n_open;                 /* handles not yet closed */
        int lfd;                    /* TCP: the listening socket */
        union {
                uv_poll_t tcp;
                uv_udp_t udp;
        } l;
        uv_timer_t timer;           /* UDP: idle sweep; TCP: accept retry */
        struct sockaddr_in target;
        struct net_conn *conns;
        struct net_udp_flow *flows;
};

/* One direction of a connection: from fd[i] to fd[1 - i] through a pipe. */
struct net_dir {
        int pipe[2];
        size_t cap;         /* the pipe's size */
        size_t queued;      /* bytes in the pipe */
        bool full;          /* the pipe took no more (a pipe counts buffers,
                             * not bytes: it can be full below cap) */
        bool eof;           /* the source sent EOF */
        bool shut;          /* ... and it was passed on, after every byte */
};

struct net_conn {
        struct net_proxy *p;
        struct net_conn *next, *prev;
        int fd[2];                  /* 0: client, 1: container */
        uv_poll_t poll[2];
        int events[2];              /* what poll[i] watches now */
        struct net_dir d[2];        /* d[i]: from fd[i] to the other */
        bool connecting;
        bool closing;
        int n_open;
};

struct net_udp_flow {
        struct net_proxy *p;
        struct net_udp_flow *next, *prev;
        uv_udp_t h;
        struct sockaddr_storage client;
        uint64_t last;
        bool closing;
};

static void net__closefd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void net__proxy_maybe_free(struct net_proxy *p)
{
        if (p->closing && p->n_open == 0 && !p->conns && !p->flows) {
                net__closefd(&p->lfd);
                free(p);
        }
}

static void net__proxy_handle_closed(uv_handle_t *h)
{
        struct net_proxy *p = h->data;
        p->n_open--;
        net__proxy_maybe_free(p);
}

static void net__alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
        (void) h;
        (void) hint;
        buf->base = malloc(NET_BUF);
        buf->len = buf->base ? NET_BUF : 0;
}

/* ---- TCP ---- */

static void net__conn_free(struct net_conn *c)
{
        struct net_proxy *p = c->p;
        for (int i = 0; i < 2; i++) {
                net__closefd(&c->fd[i]);
                net__closefd(&c->d[i].pipe[0]);
                net__closefd(&c->d[i].pipe[1]);
        }
        if (c->prev)
                c->prev->next = c->next;
        else
                p->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        free(c);
        net__proxy_maybe_free(p);
}

static void net__conn_closed(uv_handle_t *h)
{
        struct net_conn *c = h->data;
        if (--c->n_open == 0)
                net__conn_free(c);
}

/* Close the poll handles made so far (poll[0], then poll[1]); the
 * descriptors are closed and c freed once they are closed. */
static void net__conn_close(struct net_conn *c)
{
        if (c->closing)
                return;
        c->closing = true;
        int n = c->n_open;
        if (n == 0)
                net__conn_free(c);
        for (int i = 0; i < n; i++)
                uv_close((uv_handle_t *) &c->poll[i], net__conn_closed);
}

/* Move what can be moved in direction i without blocking. 0, or a
 * negative errno when the connection is broken. */
static int net__pump(struct net_conn *c, int i)
{
        struct net_dir *d = &c->d[i];
        int src = c->fd[i], dst = c->fd[1 - i];
        for (int round = 0; round < NET_PUMP_ROUNDS; round++) {
                bool moved = false;
                if (!d->eof && d->queued < d->cap) {
                        ssize_t n = splice(src, NULL, d->pipe[1], NULL, d->cap - d->queued,
                                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0)
                                d->queued += (size_t) n;
                        else if (n == 0)
                                d->eof = true;
                        else if (errno != EAGAIN && errno != EINTR)
                                return -errno;
                        else if (d->queued > 0)
                                d->full = true; /* or the source is empty: either way,
                                                 * wait for the destination */
                        moved = n >= 0;
                }
                if (d->queued > 0) {
                        ssize_t n = splice(d->pipe[0], NULL, dst, NULL, d->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0) {
                                d->queued -= (size_t) n;
                                d->full = false;
                                moved = true;
                        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                                return -errno;
                        }
                }
                /* every byte of this direction is out: now its FIN */
                if (d->eof && d->queued == 0 && !d->shut) {
                        d->shut = true;
                        if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
                                return -errno;
                }
                if (!moved)
                        break;
        }
        return 0;
}

static void net__conn_poll_cb(uv_poll_t *h, int status, int events);

/* Watch each socket for what its directions wait on. */
static int net__conn_watch(struct net_conn *c)
{
        for (int i = 0; i < 2; i++) {
                int ev = 0;
                if (c->connecting) {
                        ev = i == 1 ? UV_WRITABLE : 0;
                } else {
                        /* a source is read while its pipe has room; a
                         * pipe that refused more waits until its
                         * destination took some (watching a readable
                         * source then would spin) */
                        const struct net_dir *d = &c->d[i];
                        if (!d->eof && d->queued < d->cap && !(d->full && d->queued > 0))
                                ev |= UV_READABLE;
                        if (c->d[1 - i].queued > 0)
                                ev |= UV_WRITABLE;
                }
                if (ev == c->events[i])
                        continue;
                c->events[i] = ev;
                int r = ev ? uv_poll_start(&c->poll[i], ev, net__conn_poll_cb) : uv_poll_stop(&c->poll[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void net__conn_poll_cb(uv_poll_t *h, int status, int events)
{
        (void) events;
        struct net_conn *c = h->data;
        if (c->closing)
                return;
        int r = status;
        if (r >= 0 && c->connecting) {
                int e = 0;
                socklen_t len = sizeof(e);
                if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0)
                        e = errno;
                if (e == EINPROGRESS || e == EALREADY)
                        return;
                r = -e;
                c->connecting = false;
        }
        if (r >= 0)
                r = net__pump(c, 0);
        if (r >= 0)
                r = net__pump(c, 1);
        if (r >= 0 && c->d[0].shut && c->d[1].shut)
                r = -ECONNABORTED; /* both directions delivered in full */
        if (r >= 0)
                r = net__conn_watch(c);
        if (r < 0)
                net__conn_close(c);
}

static int net__pipe(struct net_dir *d)
{
        if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
                return -errno;
        int sz = fcntl(d->pipe[1], F_SETPIPE_SZ, NET_PIPE_SIZE);
        if (sz < 0)
                sz = fcntl(d->pipe[1], F_GETPIPE_SZ);
        d->cap = sz > 0 ? (size_t) sz : 65536;
        return 0;
}

/* A client accepted as cfd: connect to the container, then copy. */
static void net__conn_new(struct net_proxy *p, int cfd)
{
        struct net_conn *c = cc_xcalloc(1, sizeof(*c));
        c->p = p;
        c->fd[0] = cfd;
        c->fd[1] = -1;
        for (int i = 0; i < 2; i++)
                c->d[i].pipe[0] = c->d[i].pipe[1] = -1;
        c->next = p->conns;
        if (p->conns)
                p->conns->prev = c;
        p->conns = c;
        int r = 0, one = 1;
        if ((c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
                r = -errno;
        for (int i = 0; i < 2 && r >= 0; i++)
                r = net__pipe(&c->d[i]);
        for (int i = 0; i < 2 && r >= 0; i++)
                if ((r = uv_poll_init(p->loop, &c->poll[i], c->fd[i])) == 0) {
                        c->poll[i].data = c;
                        c->n_open++;
                }
        if (r >= 0) {
                setsockopt(c->fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                if (connect(c->fd[1], (const struct sockaddr *) &p->target, sizeof(p->target)) < 0) {
                        if (errno == EINPROGRESS)
                                c->connecting = true;
                        else
                                r = -errno;
                }
        }
        if (r >= 0)
                r = net__conn_watch(c);
        if (r < 0)
                net__conn_close(c);
}

static void net__accept_cb(uv_poll_t *h, int status, int events);

static void net__accept_retry_cb(uv_timer_t *t)
{
        struct net_proxy *p = t->data;
        if (!p->closing)
                uv_poll_start(&p->l.tcp, UV_READABLE, net__accept_cb);
}

/* No container backs the port: the client is reset at once (as a closed
 * port refuses), and no descriptor outlives this call. */
static void net__refuse(int fd)
{
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
}

static void net__accept_cb(uv_poll_t *h, int status, int events)
{
        (void) events;
        struct net_proxy *p = h->data;
        if (p->closing || status < 0)
                return;
        for (int k = 0; k < NET_ACCEPT_BATCH; k++) {
                int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd >= 0) {
                        if (p->unbacked)
                                net__refuse(fd);
                        else
                                net__conn_new(p, fd);
                        continue;
                }
                if (errno == EINTR || errno == ECONNABORTED)
                        continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                        /* the pending client stays queued: retry, without spinning */
                        uv_poll_stop(&p->l.tcp);
                        uv_timer_start(&p->timer, net__accept_retry_cb, NET_ACCEPT_RETRY_MS, 0);
                }
                return;
        }
}

static int net__tcp_listen(struct net_proxy *p, const struct sockaddr_storage *ss)
{
        int one = 1;
        socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        p->lfd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p->lfd < 0 || setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            (ss->ss_family == AF_INET6 && setsockopt(p->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
            bind(p->lfd, (const struct sockaddr *) ss, len) < 0 || listen(p->lfd, 511) < 0)
                return -errno;
        return uv_poll_init(p->loop, &p->l.tcp, p->lfd);
}

/* ---- UDP ---- */

static void net__flow_closed(uv_handle_t *h)
{
        struct net_udp_flow *f = h->data;
        struct net_proxy *p = f->p;
        if (f->prev)
                f->prev->next = f->next;
        else
                p->flows = f->next;
        if (f->next)
                f->next->prev = f->prev;
        free(f);
        net__proxy_maybe_free(p);
}

static void net__flow_close(struct net_udp_flow *f)
{
        if (f->closing)
                return;
        f->closing = true;
        uv_udp_recv_stop(&f->h);
        uv_close((uv_handle_t *) &f->h, net__flow_closed);
}

struct net_sreq {
        uv_udp_send_t req;
        char *base;
};

static void net__send_cb(uv_udp_send_t *req, int status)
{
        (void) status;
        struct net_sreq *s = (struct net_sreq *) req;
        free(s->base);
        free(s);
}

static void net__udp_send(uv_udp_t *h, const char *data, size_t n, const struct sockaddr *to)
{
        struct net_sreq *s = cc_xcalloc(1, sizeof(*s));
        s->base = cc_xmalloc(n ? n : 1);
        memcpy(s->base, data, n);
        uv_buf_t b = uv_buf_init(s->base, (unsigned) n);
        if (uv_udp_send(&s->req, h, &b, 1, to, net__send_cb) < 0) {
                free(s->base);
                free(s);
        }
}

/* A reply from the container: back to its client, from the published port. */
static void net__flow_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
        struct net_udp_flow *f = h->data;
        if (n > 0 && !f->p->closing) {
                f->last = uv_now(f->p->loop);
                net__udp_send(&f->p->l.udp, buf->base, (size_t) n, (const struct sockaddr *) &f->client);
        }
        free(buf->base);
}

static bool net__same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
        if (a->ss_family != b->sa_family)
                return false;
        if (b->sa_family == AF_INET) {
                const struct sockaddr_in *x = (const void *) a, *y = (const void *) b;
                return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
        }
        const struct sockaddr_in6 *x = (const void *) a, *y = (const void *) b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void net__udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
        struct net_proxy *p = h->data;
        if (n < 0 || !addr || p->closing || p->unbacked) {
                free(buf->base);
                return;
        }
        struct net_udp_flow *f = p->flows;
        while (f && (f->closing || !net__same_addr(&f->client, addr)))
                f = f->next;
        if (!f) {
                f = cc_xcalloc(1, sizeof(*f));
                f->p = p;
                memcpy(&f->client, addr, addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                                                     : sizeof(struct sockaddr_in6));
                uv_udp_init(p->loop, &f->h);
                f->h.data = f;
                f->next = p->flows;
                if (p->flows)
                        p->flows->prev = f;
                p->flows = f;
                if (uv_udp_connect(&f->h, (const struct sockaddr *) &p->target) < 0 ||
                    uv_udp_recv_start(&f->h, net__alloc, net__flow_recv) < 0) {
                        net__flow_close(f);
                        free(buf->base);
                        return;
                }
        }
        f->last = uv_now(p->loop);
        net__udp_send(&f->h, buf->base, (size_t) n, NULL);
        free(buf->base);
}

static void net__sweep_cb(uv_timer_t *t)
{
        struct net_proxy *p = t->data;
        uint64_t now = uv_now(p->loop);
        for (struct net_udp_flow *f = p->flows, *next; f; f = next) {
                next = f->next;
                if (now - f->last >= NET_UDP_IDLE_MS)
                        net__flow_close(f);
        }
}

/* ---- who holds a port ---- */

/* The inode of a socket bound to port in /proc/net/<file> (listening,
 * for TCP), 0 when none. */
static unsigned long net__port_inode(const char *file, bool udp, int port)
{
        _cleanup_free_ char *path = cc_xasprintf("/proc/net/%s", file);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        char line[512];
        unsigned long found = 0;
        while (!found && fgets(line, sizeof(line), f)) {
                char local[64];
                unsigned st;
                unsigned long inode;
                if (sscanf(line, " %*d: %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) != 3)
                        continue;
                const char *colon = strrchr(local, ':');
                if (colon && strtol(colon + 1, NULL, 16) == port && (udp || st == 0x0A) && inode)
                        found = inode;
        }
        fclose(f);
        return found;
}

pid_t net_port_holder(bool udp, int port, char *comm, size_t len)
{
        unsigned long inode = net__port_inode(udp ? "udp" : "tcp", udp, port);
        if (!inode)
                inode = net__port_inode(udp ? "udp6" : "tcp6", udp, port);
        if (!inode)
                return 0;
        _cleanup_free_ char *want = cc_xasprintf("socket:[%lu]", inode);
        DIR *proc = opendir("/proc");
        pid_t found = 0;
        for (struct dirent *de; proc && !found && (de = readdir(proc));) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                _cleanup_free_ char *fds = cc_xasprintf("/proc/%s/fd", de->d_name);
                DIR *d = opendir(fds);
                for (struct dirent *fe; d && !found && (fe = readdir(d));) {
                        char link[64];
                        _cleanup_free_ char *fp = cc_xasprintf("%s/%s", fds, fe->d_name);
                        ssize_t n = readlink(fp, link, sizeof(link) - 1);
                        if (n > 0 && (link[n] = '\0', strcmp(link, want) == 0))
                                found = (pid_t) atoi(de->d_name);
                }
                if (d)
                        closedir(d);
        }
        if (proc)
                closedir(proc);
        if (found) {
                _cleanup_free_ char *cp = cc_xasprintf("/proc/%d/comm", (int) found);
                _cleanup_free_ char *c = NULL;
                size_t clen;
                snprintf(comm, len, "?");
                if (cc_read_file(cp, &c, &clen) == 0)
                        snprintf(comm, len, "%.*s", (int) strcspn(c, "\n"), c);
        }
        return found;
}

/* ---- the proxy ---- */

int net_proxy_open(uv_loop_t *loop, bool udp, const char *host_ip, int published, const char *target_ip, int target,
                   struct net_proxy **out, int *bound, struct cc_error *err)
{
        struct sockaddr_storage ss = {0};
        const char *hip = host_ip && *host_ip ? host_ip : "0.0.0.0";
        if (uv_ip4_addr(hip, published, (struct sockaddr_in *) &ss) != 0 &&
            uv_ip6_addr(hip, published, (struct sockaddr_in6 *) &ss) != 0)
                return cc_error_set(err, -EINVAL, "invalid host_ip \"%s\"", hip);
        struct net_proxy *p = cc_xcalloc(1, sizeof(*p));
        p->loop = loop;
        p->udp = udp;
        p->lfd = -1;
        uv_ip4_addr(target_ip, target, &p->target);
        int r;
        if (udp) {
                uv_udp_init(loop, &p->l.udp);
                p->l.udp.data = p;
                p->n_open = 1;
                r = uv_udp_bind(&p->l.udp, (const struct sockaddr *) &ss,
                                ss.ss_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
                if (r == 0)
                        r = uv_udp_recv_start(&p->l.udp, net__alloc, net__udp_recv);
        } else {
                r = net__tcp_listen(p, &ss);
                if (r == 0) {
                        p->l.tcp.data = p;
                        p->n_open = 1;
                        r = uv_poll_start(&p->l.tcp, UV_READABLE, net__accept_cb);
                }
        }
        if (r < 0) {
                p->closing = true;
                if (p->n_open)
                        uv_close((uv_handle_t *) &p->l, net__proxy_handle_closed);
                else
                        net__proxy_maybe_free(p);
                bool v6 = strchr(hip, ':') != NULL;
                return cc_error_set(err, r == UV_EADDRINUSE ? -EADDRINUSE : -EIO,
                                    "Bind for %s%s%s:%d failed: port is already allocated (%s)", v6 ? "[" : "", hip,
                                    v6 ? "]" : "", published, uv_strerror(r));
        }
        struct sockaddr_storage got;
        int len = sizeof(got);
        if (udp) {
                uv_udp_getsockname(&p->l.udp, (struct sockaddr *) &got, &len);
        } else {
                socklen_t slen = sizeof(got);
                getsockname(p->lfd, (struct sockaddr *) &got, &slen);
        }
        /* sin_port and sin6_port sit at the same place */
        *bound = ntohs(((struct sockaddr_in *) &got)->sin_port);
        uv_timer_init(loop, &p->timer);
        p->timer.data = p;
        p->n_open++;
        if (udp)
                uv_timer_start(&p->timer, net__sweep_cb, NET_UDP_IDLE_MS / 2, NET_UDP_IDLE_MS / 2);
        uv_unref((uv_handle_t *) &p->timer);
        *out = p;
        return 0;
}

void net_proxy_retarget(struct net_proxy *p, const char *target_ip)
{
        int port = ntohs(p->target.sin_port);
        uv_ip4_addr(target_ip, port, &p->target);
}

void net_proxy_set_backed(struct net_proxy *p, bool backed)
{
        if (!p || p->closing || p->unbacked == !backed)
                return;
        p->unbacked = !backed;
        if (backed)
                return;
        /* their container is gone: end them now, not at a timeout */
        for (struct net_conn *c = p->conns, *next; c; c = next) {
                next = c->next;
                net__conn_close(c);
        }
        for (struct net_udp_flow *f = p->flows, *next; f; f = next) {
                next = f->next;
                net__flow_close(f);
        }
}

void net_proxy_close(struct net_proxy *p)
{
        if (!p || p->closing)
                return;
        p->closing = true;
        uv_close((uv_handle_t *) &p->l, net__proxy_handle_closed);
        uv_close((uv_handle_t *) &p->timer, net__proxy_handle_closed);
        for (struct net_conn *c = p->conns, *next; c; c = next) {
                next = c->next;
                net__conn_close(c);
        }
        for (struct net_udp_flow *f = p->flows, *next; f; f = next) {
                next = f->next;
                net__flow_close(f);
        }
}
