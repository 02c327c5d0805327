/* The embedded DNS server: see dns.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dns.h"

#define NET_DNS_PENDING 64
#define NET_DNS_TIMEOUT_MS 5000

struct net_dns_pending {
        bool used;
        uint16_t id, orig_id;
        uint64_t at;
        struct sockaddr_storage client;
};

struct net_dns {
        uv_loop_t *loop;
        uv_udp_t in;  /* in the container: 127.0.0.11:53 */
        uv_udp_t up;  /* in the host's namespace: to the upstream servers */
        uv_timer_t sweep;
        int n_open;
        bool closing;
        struct cc_strv upstream;
        net_dns_lookup_fn fn;
        void *data;
        unsigned rr;
        uint16_t next_id;
        char buf[4096];
        struct net_dns_pending pend[NET_DNS_PENDING];
};

/* ---- answers ---- */

static ldns_pkt *net__reply(const ldns_pkt *q, const ldns_rr *qrr, ldns_pkt_rcode rcode)
{
        ldns_pkt *r = ldns_pkt_new();
        if (!r)
                return NULL;
        ldns_pkt_set_id(r, ldns_pkt_id(q));
        ldns_pkt_set_qr(r, true);
        ldns_pkt_set_aa(r, rcode != LDNS_RCODE_SERVFAIL);
        ldns_pkt_set_rd(r, ldns_pkt_rd(q));
        ldns_pkt_set_ra(r, true);
        ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
        ldns_pkt_set_rcode(r, (uint8_t) rcode);
        if (qrr)
                ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
        return r;
}

void net_dns_addrs_add(struct net_dns_addrs *a, const char *ip)
{
        struct in_addr v4;
        uint8_t v6[16];
        if (inet_pton(AF_INET, ip, &v4) == 1) {
                uint32_t h = ntohl(v4.s_addr);
                for (size_t i = 0; i < a->n4; i++)
                        if (a->v4[i] == h)
                                return;
                if (a->n4 < NET_DNS_MAX_ANSWERS)
                        a->v4[a->n4++] = h;
        } else if (inet_pton(AF_INET6, ip, v6) == 1) {
                for (size_t i = 0; i < a->n6; i++)
                        if (memcmp(a->v6[i], v6, 16) == 0)
                                return;
                if (a->n6 < NET_DNS_MAX_ANSWERS)
                        memcpy(a->v6[a->n6++], v6, 16);
        }
}

/* An A (4 bytes, network order) or AAAA (16) answer. */
static bool net__add_answer(ldns_pkt *r, const ldns_rr *qrr, const void *addr, size_t len)
{
        ldns_rr *a = ldns_rr_new();
        ldns_rdf *rd = ldns_rdf_new_frm_data(len == 4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, len, addr);
        if (!a || !rd) {
                ldns_rr_free(a);
                ldns_rdf_deep_free(rd);
                return false;
        }
        ldns_rr_set_owner(a, ldns_rdf_clone(ldns_rr_owner(qrr)));
        ldns_rr_set_type(a, len == 4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
        ldns_rr_set_class(a, LDNS_RR_CLASS_IN);
        /* short: an address changes when a container is made again */
        ldns_rr_set_ttl(a, 5);
        ldns_rr_push_rdf(a, rd);
        return ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, a);
}

int net_dns_answer(const uint8_t *q, size_t len, net_dns_lookup_fn fn, void *data, unsigned rr,
                   uint8_t **reply, size_t *reply_len)
{
        ldns_pkt *pkt = NULL;
        if (ldns_wire2pkt(&pkt, q, len) != LDNS_STATUS_OK)
                return -1;
        int ret = -1;
        ldns_pkt *r = NULL;
        struct net_dns_addrs *addrs = NULL;
        ldns_rr_list *qs = ldns_pkt_question(pkt);
        if (ldns_pkt_qr(pkt) || ldns_pkt_get_opcode(pkt) != LDNS_PACKET_QUERY || !qs || ldns_rr_list_rr_count(qs) != 1)
                goto out;
        ldns_rr *qrr = ldns_rr_list_rr(qs, 0);
        char *owner = ldns_rdf2str(ldns_rr_owner(qrr));
        if (!owner)
                goto out;
        size_t n = strlen(owner);
        if (n > 0 && owner[n - 1] == '.')
                owner[--n] = '\0';
        for (char *p = owner; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        addrs = cc_xcalloc(1, sizeof(*addrs));
        enum net_dns_result res = n > 0 ? fn(data, owner, addrs) : NET_DNS_UNKNOWN;
        bool single = strchr(owner, '.') == NULL;
        free(owner);
        if (res == NET_DNS_UNKNOWN && !single) {
                ret = 0; /* forward */
                goto out;
        }
        r = net__reply(pkt, qrr, res == NET_DNS_FOUND ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN);
        if (!r)
                goto out;
        /* round robin: each answer starts at the next replica */
        if (res == NET_DNS_FOUND && ldns_rr_get_type(qrr) == LDNS_RR_TYPE_A)
                for (size_t i = 0; i < addrs->n4; i++) {
                        uint32_t be = htonl(addrs->v4[(i + rr) % addrs->n4]);
                        net__add_answer(r, qrr, &be, 4);
                }
        if (res == NET_DNS_FOUND && ldns_rr_get_type(qrr) == LDNS_RR_TYPE_AAAA)
                for (size_t i = 0; i < addrs->n6; i++)
                        net__add_answer(r, qrr, addrs->v6[(i + rr) % addrs->n6], 16);
        if (ldns_pkt2wire(reply, r, reply_len) == LDNS_STATUS_OK)
                ret = 1;
out:
        free(addrs);
        ldns_pkt_free(r);
        ldns_pkt_free(pkt);
        return ret;
}

/* SERVFAIL for a query we could not forward. */
static int net__servfail(const uint8_t *q, size_t len, uint8_t **reply, size_t *reply_len)
{
        ldns_pkt *pkt = NULL;
        if (ldns_wire2pkt(&pkt, q, len) != LDNS_STATUS_OK)
                return -1;
        ldns_rr_list *qs = ldns_pkt_question(pkt);
        ldns_pkt *r = net__reply(pkt, qs && ldns_rr_list_rr_count(qs) ? ldns_rr_list_rr(qs, 0) : NULL,
                                 LDNS_RCODE_SERVFAIL);
        int ret = r && ldns_pkt2wire(reply, r, reply_len) == LDNS_STATUS_OK ? 1 : -1;
        ldns_pkt_free(r);
        ldns_pkt_free(pkt);
        return ret;
}

/* ---- the server ---- */

static void net__alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
        struct net_dns *d = h->data;
        *buf = uv_buf_init(d->buf, sizeof(d->buf));
}

static void net__send(uv_udp_t *h, const void *data, size_t len, const struct sockaddr *to)
{
        uv_buf_t b = uv_buf_init((char *) data, (unsigned) len);
        /* a datagram: sent now or dropped (the client asks again) */
        (void) uv_udp_try_send(h, &b, 1, to);
}

static void net__forward(struct net_dns *d, char *q, size_t len, const struct sockaddr *client)
{
        struct net_dns_pending *p = NULL;
        uint64_t now = uv_now(d->loop);
        for (size_t i = 0; i < NET_DNS_PENDING && !p; i++)
                if (!d->pend[i].used || now - d->pend[i].at > NET_DNS_TIMEOUT_MS)
                        p = &d->pend[i];
        uint8_t *reply = NULL;
        size_t rlen = 0;
        if (!p || d->upstream.n == 0) {
                if (net__servfail((uint8_t *) q, len, &reply, &rlen) == 1)
                        net__send(&d->in, reply, rlen, client);
                free(reply);
                return;
        }
        p->used = true;
        p->at = now;
        p->orig_id = (uint16_t) ((uint8_t) q[0] << 8 | (uint8_t) q[1]);
        p->id = ++d->next_id;
        memcpy(&p->client, client, sizeof(struct sockaddr_in));
        q[0] = (char) (p->id >> 8);
        q[1] = (char) (p->id & 0xff);
        /* every server at once: the first answer wins */
        for (size_t i = 0; i < d->upstream.n; i++) {
                struct sockaddr_in to;
                if (uv_ip4_addr(d->upstream.v[i], 53, &to) == 0)
                        net__send(&d->up, q, len, (const struct sockaddr *) &to);
        }
}

static void net__in_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                         unsigned flags)
{
        struct net_dns *d = h->data;
        if (nread <= 0 || !addr || addr->sa_family != AF_INET || (flags & UV_UDP_PARTIAL))
                return;
        uint8_t *reply = NULL;
        size_t rlen = 0;
        int r = net_dns_answer((const uint8_t *) buf->base, (size_t) nread, d->fn, d->data, d->rr++, &reply, &rlen);
        if (r == 1)
                net__send(&d->in, reply, rlen, addr);
        else if (r == 0)
                net__forward(d, buf->base, (size_t) nread, addr);
        free(reply);
}

static void net__up_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                         unsigned flags)
{
        struct net_dns *d = h->data;
        if (nread < 12 || !addr || addr->sa_family != AF_INET ||
            ntohs(((const struct sockaddr_in *) addr)->sin_port) != 53)
                return;
        uint16_t id = (uint16_t) ((uint8_t) buf->base[0] << 8 | (uint8_t) buf->base[1]);
        for (size_t i = 0; i < NET_DNS_PENDING; i++) {
                struct net_dns_pending *p = &d->pend[i];
                if (!p->used || p->id != id)
                        continue;
                p->used = false;
                buf->base[0] = (char) (p->orig_id >> 8);
                buf->base[1] = (char) (p->orig_id & 0xff);
                net__send(&d->in, buf->base, (size_t) nread, (const struct sockaddr *) &p->client);
                return;
        }
}

static void net__sweep(uv_timer_t *t)
{
        struct net_dns *d = t->data;
        uint64_t now = uv_now(d->loop);
        for (size_t i = 0; i < NET_DNS_PENDING; i++)
                if (d->pend[i].used && now - d->pend[i].at > NET_DNS_TIMEOUT_MS)
                        d->pend[i].used = false;
}

static void net__closed(uv_handle_t *h)
{
        struct net_dns *d = h->data;
        if (--d->n_open > 0)
                return;
        cc_strv_free(&d->upstream);
        free(d);
}

int net_dns_open(uv_loop_t *loop, int fd, const struct cc_strv *upstream, net_dns_lookup_fn fn, void *data,
                 struct net_dns **out, struct cc_error *err)
{
        struct net_dns *d = cc_xcalloc(1, sizeof(*d));
        d->loop = loop;
        d->fn = fn;
        d->data = data;
        d->next_id = (uint16_t) (getpid() ^ (uintptr_t) d);
        for (size_t i = 0; upstream && i < upstream->n; i++)
                cc_strv_push(&d->upstream, upstream->v[i]);
        uv_udp_init(loop, &d->in);
        uv_udp_init(loop, &d->up);
        uv_timer_init(loop, &d->sweep);
        d->in.data = d->up.data = d->sweep.data = d;
        d->n_open = 3;
        int r = uv_udp_open(&d->in, fd);
        if (r < 0)
                close(fd);
        if (r == 0)
                r = uv_udp_recv_start(&d->in, net__alloc, net__in_recv);
        if (r == 0)
                r = uv_udp_recv_start(&d->up, net__alloc, net__up_recv);
        if (r < 0) {
                net_dns_close(d);
                return cc_error_set(err, r, "DNS server: %s", uv_strerror(r));
        }
        uv_timer_start(&d->sweep, net__sweep, 1000, 1000);
        uv_unref((uv_handle_t *) &d->sweep);
        *out = d;
        return 0;
}

void net_dns_close(struct net_dns *d)
{
        if (!d || d->closing)
                return;
        d->closing = true;
        uv_close((uv_handle_t *) &d->in, net__closed);
        uv_close((uv_handle_t *) &d->up, net__closed);
        uv_close((uv_handle_t *) &d->sweep, net__closed);
}

void net_dns_host_upstream(struct cc_strv *out)
{
        FILE *f = fopen("/etc/resolv.conf", "re");
        if (!f)
                return;
        char line[256];
        while (fgets(line, sizeof(line), f)) {
                char addr[64];
                struct in_addr a;
                if (sscanf(line, " nameserver %63s", addr) == 1 && inet_pton(AF_INET, addr, &a) == 1)
                        cc_strv_push(out, addr);
        }
        fclose(f);
}
