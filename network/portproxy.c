/* The TCP and UDP port proxies: see portproxy.h. Each TCP connection is a
 * pair of handles copying both ways with back-pressure (a side stops
 * reading while the other's write queue is long); each UDP client gets
 * its own connected socket to the container, closed after idling. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>

#include "portproxy.h"

#define NET_BUF 65536
#define NET_HIGH_WATER (1u << 20)
#define NET_UDP_IDLE_MS 60000

struct net_conn;
struct net_udp_flow;

struct net_proxy {
        uv_loop_t *loop;
        bool udp;
        bool closing;
        int n_open;                 /* handles not yet closed */
        union {
                uv_tcp_t tcp;
                uv_udp_t udp;
        } l;
        uv_timer_t sweep;
        struct sockaddr_in target;
        struct net_conn *conns;
        struct net_udp_flow *flows;
};

struct net_side {
        uv_tcp_t h;
        struct net_conn *conn;
        bool eof;       /* read EOF */
        bool shut;      /* we shut down writing to it */
};

struct net_conn {
        struct net_proxy *p;
        struct net_conn *next, *prev;
        struct net_side s[2];   /* 0: client, 1: container */
        bool connected;
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

static void net__proxy_maybe_free(struct net_proxy *p)
{
        if (p->closing && p->n_open == 0 && !p->conns && !p->flows)
                free(p);
}

static void net__proxy_handle_closed(uv_handle_t *h)
{
        struct net_proxy *p = h->data;
        p->n_open--;
        net__proxy_maybe_free(p);
}

/* ---- TCP ---- */

static void net__conn_closed(uv_handle_t *h)
{
        struct net_side *sd = h->data;
        struct net_conn *c = sd->conn;
        if (--c->n_open > 0)
                return;
        struct net_proxy *p = c->p;
        if (c->prev)
                c->prev->next = c->next;
        else
                p->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        free(c);
        net__proxy_maybe_free(p);
}

static void net__conn_close(struct net_conn *c)
{
        if (c->closing)
                return;
        c->closing = true;
        for (int i = 0; i < 2; i++)
                uv_close((uv_handle_t *) &c->s[i].h, net__conn_closed);
}

static void net__alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
        (void) h;
        (void) hint;
        buf->base = malloc(NET_BUF);
        buf->len = buf->base ? NET_BUF : 0;
}

struct net_wreq {
        uv_write_t req;
        struct net_side *from;
        char *base;
};

static void net__read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

static void net__write_cb(uv_write_t *req, int status)
{
        struct net_wreq *w = (struct net_wreq *) req;
        struct net_side *from = w->from;
        struct net_conn *c = from->conn;
        struct net_side *to = &c->s[from == &c->s[0] ? 1 : 0];
        free(w->base);
        free(w);
        if (c->closing)
                return;
        if (status < 0) {
                net__conn_close(c);
                return;
        }
        if (!from->eof && to->h.write_queue_size < NET_HIGH_WATER / 2)
                uv_read_start((uv_stream_t *) &from->h, net__alloc, net__read_cb);
}

static void net__shutdown_cb(uv_shutdown_t *req, int status)
{
        struct net_side *to = req->data;
        struct net_conn *c = to->conn;
        free(req);
        if (c->closing)
                return;
        if (status < 0 || (c->s[0].eof && c->s[1].eof))
                net__conn_close(c);
}

static void net__read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
        struct net_side *from = st->data;
        struct net_conn *c = from->conn;
        struct net_side *to = &c->s[from == &c->s[0] ? 1 : 0];
        if (n == 0) {
                free(buf->base);
                return;
        }
        if (n < 0) {
                free(buf->base);
                if (n != UV_EOF) {
                        net__conn_close(c);
                        return;
                }
                from->eof = true;
                uv_read_stop(st);
                if (!to->shut) {
                        to->shut = true;
                        uv_shutdown_t *req = cc_xcalloc(1, sizeof(*req));
                        req->data = to;
                        if (uv_shutdown(req, (uv_stream_t *) &to->h, net__shutdown_cb) < 0) {
                                free(req);
                                net__conn_close(c);
                        }
                }
                return;
        }
        struct net_wreq *w = cc_xcalloc(1, sizeof(*w));
        w->from = from;
        w->base = buf->base;
        uv_buf_t b = uv_buf_init(buf->base, (unsigned) n);
        if (uv_write(&w->req, (uv_stream_t *) &to->h, &b, 1, net__write_cb) < 0) {
                free(w->base);
                free(w);
                net__conn_close(c);
                return;
        }
        if (to->h.write_queue_size >= NET_HIGH_WATER)
                uv_read_stop(st);
}

static void net__connect_cb(uv_connect_t *req, int status)
{
        struct net_conn *c = req->data;
        free(req);
        if (c->closing)
                return;
        if (status < 0) {
                net__conn_close(c);
                return;
        }
        c->connected = true;
        for (int i = 0; i < 2; i++)
                uv_read_start((uv_stream_t *) &c->s[i].h, net__alloc, net__read_cb);
}

static void net__accept_cb(uv_stream_t *server, int status)
{
        struct net_proxy *p = server->data;
        if (status < 0 || p->closing)
                return;
        struct net_conn *c = cc_xcalloc(1, sizeof(*c));
        c->p = p;
        for (int i = 0; i < 2; i++) {
                uv_tcp_init(p->loop, &c->s[i].h);
                c->s[i].h.data = &c->s[i];
                c->s[i].conn = c;
        }
        c->n_open = 2;
        c->next = p->conns;
        if (p->conns)
                p->conns->prev = c;
        p->conns = c;
        if (uv_accept(server, (uv_stream_t *) &c->s[0].h) < 0) {
                net__conn_close(c);
                return;
        }
        uv_tcp_nodelay(&c->s[0].h, 1);
        uv_tcp_nodelay(&c->s[1].h, 1);
        uv_connect_t *req = cc_xcalloc(1, sizeof(*req));
        req->data = c;
        if (uv_tcp_connect(req, &c->s[1].h, (const struct sockaddr *) &p->target, net__connect_cb) < 0) {
                free(req);
                net__conn_close(c);
        }
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
        if (n < 0 || !addr || p->closing) {
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

/* ---- the proxy ---- */

int net_proxy_open(uv_loop_t *loop, bool udp, const char *host_ip, int published, const char *target_ip, int target,
                   struct net_proxy **out, int *bound, struct cc_error *err)
{
        struct sockaddr_storage ss;
        const char *hip = host_ip && *host_ip ? host_ip : "0.0.0.0";
        if (uv_ip4_addr(hip, published, (struct sockaddr_in *) &ss) != 0 &&
            uv_ip6_addr(hip, published, (struct sockaddr_in6 *) &ss) != 0)
                return cc_error_set(err, -EINVAL, "invalid host_ip \"%s\"", hip);
        struct net_proxy *p = cc_xcalloc(1, sizeof(*p));
        p->loop = loop;
        p->udp = udp;
        uv_ip4_addr(target_ip, target, &p->target);
        int r;
        if (udp) {
                uv_udp_init(loop, &p->l.udp);
                r = uv_udp_bind(&p->l.udp, (const struct sockaddr *) &ss, 0);
                if (r == 0)
                        r = uv_udp_recv_start(&p->l.udp, net__alloc, net__udp_recv);
        } else {
                uv_tcp_init(loop, &p->l.tcp);
                r = uv_tcp_bind(&p->l.tcp, (const struct sockaddr *) &ss, 0);
                if (r == 0)
                        r = uv_listen((uv_stream_t *) &p->l.tcp, 511, net__accept_cb);
        }
        p->l.tcp.data = p;
        p->n_open = 1;
        if (r < 0) {
                p->closing = true;
                uv_close((uv_handle_t *) &p->l.tcp, net__proxy_handle_closed);
                return cc_error_set(err, r == UV_EADDRINUSE ? -EADDRINUSE : -EIO,
                                    "Bind for %s:%d failed: port is already allocated (%s)", hip, published,
                                    uv_strerror(r));
        }
        struct sockaddr_storage got;
        int len = sizeof(got);
        if (udp)
                uv_udp_getsockname(&p->l.udp, (struct sockaddr *) &got, &len);
        else
                uv_tcp_getsockname(&p->l.tcp, (struct sockaddr *) &got, &len);
        *bound = ntohs(((struct sockaddr_in *) &got)->sin_port);
        if (udp) {
                uv_timer_init(loop, &p->sweep);
                p->sweep.data = p;
                p->n_open++;
                uv_timer_start(&p->sweep, net__sweep_cb, NET_UDP_IDLE_MS / 2, NET_UDP_IDLE_MS / 2);
                uv_unref((uv_handle_t *) &p->sweep);
        }
        *out = p;
        return 0;
}

void net_proxy_retarget(struct net_proxy *p, const char *target_ip)
{
        int port = ntohs(p->target.sin_port);
        uv_ip4_addr(target_ip, port, &p->target);
}

void net_proxy_close(struct net_proxy *p)
{
        if (!p || p->closing)
                return;
        p->closing = true;
        uv_close((uv_handle_t *) &p->l.tcp, net__proxy_handle_closed);
        if (p->udp)
                uv_close((uv_handle_t *) &p->sweep, net__proxy_handle_closed);
        for (struct net_conn *c = p->conns; c; c = c->next)
                net__conn_close(c);
        for (struct net_udp_flow *f = p->flows, *next; f; f = next) {
                next = f->next;
                net__flow_close(f);
        }
}
