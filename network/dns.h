/* The embedded DNS server, as Docker's 127.0.0.11: one UDP socket bound
 * inside each container's network namespace, served by the supervisor's
 * libuv loop. Names of the project's containers are answered from the
 * supervisor's model (per container: what it shares a network with);
 * other names with a dot are forwarded to the upstream servers (the
 * service's dns:, else the host's resolv.conf), from the host's network
 * namespace; other single-label names get NXDOMAIN. Messages are parsed
 * and written with ldns. */
#ifndef CC_DNS_H
#define CC_DNS_H

#include <stdint.h>
#include <uv.h>

#include "cc-error.h"
#include "cc-util.h"

#define NET_DNS_IP 0x7f00000bu /* 127.0.0.11 */
#define NET_DNS_MAX_ANSWERS 32

enum net_dns_result {
        NET_DNS_UNKNOWN,  /* not ours: forward (or NXDOMAIN for a single label) */
        NET_DNS_FOUND,    /* its addresses (maybe none of the type asked) */
        NET_DNS_NXDOMAIN, /* ours, but not visible from this container */
};

struct net_dns_addrs {
        uint32_t v4[NET_DNS_MAX_ANSWERS]; /* host order */
        size_t n4;
        uint8_t v6[NET_DNS_MAX_ANSWERS][16];
        size_t n6;
};

/* Add an address (text, IPv4 or IPv6) unless there or full. */
void net_dns_addrs_add(struct net_dns_addrs *a, const char *ip);

/* name: lower case, without the final dot; *out starts empty. */
typedef enum net_dns_result (*net_dns_lookup_fn)(void *data, const char *name, struct net_dns_addrs *out);

struct net_dns;

/* Serve the socket fd (bound in the container, see net_ns_udp_bind; taken
 * over, also on failure). upstream: "a.b.c.d" servers (copied). */
int net_dns_open(uv_loop_t *loop, int fd, const struct cc_strv *upstream, net_dns_lookup_fn fn, void *data,
                 struct net_dns **out, struct cc_error *err);
/* Stop serving; freed once its handles closed. */
void net_dns_close(struct net_dns *d);

/* The upstream servers of the host: the nameservers of /etc/resolv.conf
 * (loopback ones too: we forward from the host's namespace). */
void net_dns_host_upstream(struct cc_strv *out);

/* The answer to a query (pure; for tests): a reply to send in *reply
 * (malloc'd) and 1, or 0 when the query is to be forwarded, or -1 when it
 * is not a query we can read (dropped). */
int net_dns_answer(const uint8_t *q, size_t len, net_dns_lookup_fn fn, void *data, unsigned rr,
                   uint8_t **reply, size_t *reply_len);

#endif
