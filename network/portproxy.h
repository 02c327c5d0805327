/* Published ports: the supervisor forwards host_ip:published to
 * container_ip:target, TCP and UDP, on its libuv loop. */
#ifndef CC_PORTPROXY_H
#define CC_PORTPROXY_H

#include <uv.h>

#include "cc-error.h"

struct net_proxy;

/* Listen on host_ip:published (published 0 = an ephemeral port; host_ip
 * NULL or "" = 0.0.0.0) and forward to target_ip:target. *bound is the
 * port listened on. An address in use fails with a message naming it. */
int net_proxy_open(uv_loop_t *loop, bool udp, const char *host_ip, int published, const char *target_ip, int target,
                   struct net_proxy **out, int *bound, struct cc_error *err);
/* The process holding a port of this host's network namespace (listening,
 * for TCP), and its comm; 0 when none is found. */
pid_t net_port_holder(bool udp, int port, char *comm, size_t len);
/* Change where new connections go (the container restarted elsewhere). */
void net_proxy_retarget(struct net_proxy *p, const char *target_ip);
/* Whether a container backs the port (a new proxy: yes). While none
 * does, the port stays held but each TCP connection is reset as soon as
 * it is accepted and UDP datagrams are dropped; open connections end. */
void net_proxy_set_backed(struct net_proxy *p, bool backed);
/* Stop listening, end every connection; freed once its handles closed. */
void net_proxy_close(struct net_proxy *p);

#endif
