/* The kernel side of networks, with libnl-route-3 only: bridges, veth
 * pairs moved into a container's network namespace, addresses, routes. */
#ifndef CC_NETLINK_H
#define CC_NETLINK_H

#include <stdint.h>
#include <sys/types.h>

#include "ipam.h"

struct net_nl;

int net_nl_open(struct net_nl **out, struct cc_error *err);
void net_nl_close(struct net_nl *nl);

/* Short kernel names (<= 15 chars): "ccb-<8 hex>" of project and network,
 * "ccv-<8 hex>" of container id and network. */
uint32_t net_hash(const char *a, const char *b);
void net_bridge_name(const char *scope, const char *network, char out[16]);
void net_veth_name(const char *ctr_id, const char *network, char out[16]);

/* The host-wide lock of ccompose's network changes (bridges, and
 * addresses shared by the projects of a runtime dir): an fd to hand to
 * net_host_unlock, or -1 when no lock file could be made. */
int net_host_lock(void);
void net_host_unlock(int fd);

/* Every IPv4 route of the host's main table except the default route,
 * and except those on the link named skip (may be NULL). */
int net_host_routes(struct net_nl *nl, const char *skip, struct net_subnet **out, size_t *n, char ***devs,
                    struct cc_error *err);

struct net_bridge_info {
        char name[16];
        char alias[256];      /* "ccompose <project> <network>[ internal]" */
        int ifindex;
        struct net_subnet subnet;
        uint32_t gateway;     /* its address; 0 when none */
        int n_ports;
};
/* Every ccb-* bridge. Caller frees *out. */
int net_bridges_list(struct net_nl *nl, struct net_bridge_info **out, size_t *n, struct cc_error *err);
/* One bridge by name (any Linux bridge): -ENOENT when missing. */
int net_bridge_get(struct net_nl *nl, const char *name, struct net_bridge_info *out, struct cc_error *err);
/* Create a bridge, up, with gateway/prefix and an alias; mtu 0 =
 * default. Its ifindex. */
int net_bridge_create(struct net_nl *nl, const char *name, const char *alias, const struct net_subnet *subnet,
                      uint32_t gateway, int mtu, struct cc_error *err);
/* Let DNAT from 127.0.0.1 leave through this bridge (route_localnet). */
int net_bridge_route_localnet(const char *bridge, struct cc_error *err);
/* Delete a link by name; a missing link is not an error. */
int net_link_delete(struct net_nl *nl, const char *name, struct cc_error *err);
/* Set the alias (IFLA_IFALIAS) of the link name. */
int net_link_set_alias(struct net_nl *nl, const char *name, const char *alias, struct cc_error *err);
/* Delete the veths (ccv-*) of a project: those whose alias starts with
 * prefix, and those without an alias on a bridge whose alias does; first
 * wait up to wait_ms for the kernel to take them with their namespaces. */
int net_links_delete_alias(struct net_nl *nl, const char *prefix, int wait_ms, struct cc_error *err);
/* Wait up to wait_ms for the veths of prefix to go with their namespaces,
 * deleting none (no lock needed: nothing changes but by the kernel);
 * returns how many are left, or a negative errno. */
int net_links_wait_alias(struct net_nl *nl, const char *prefix, int wait_ms, struct cc_error *err);

/* Add an IPv6 address to a link of this namespace (no duplicate address
 * detection: usable at once; already there is fine). */
int net_link_addr6_add(struct net_nl *nl, int ifindex, const uint8_t ip[16], int prefix, struct cc_error *err);

/* A UDP socket bound to ip:port in pid's network namespace (non-blocking):
 * the fd, or -errno. */
int net_ns_udp_bind(struct net_nl *nl, pid_t pid, uint32_t ip, int port, struct cc_error *err);

struct net_ifconf {
        const char *host_name;   /* ccv-... */
        const char *alias;       /* of the host side */
        const char *ifname;      /* eth0, ... inside */
        int bridge_ifindex;
        uint32_t ip;
        int prefix;
        uint32_t gateway;
        bool default_route;
        int mtu;                 /* 0: default */
        const uint8_t *mac;      /* 6 bytes inside (mac_address); NULL: 02:42 and the IPv4 address */
        const uint8_t *ip6;      /* NULL: no IPv6 address */
        int prefix6;
        const uint8_t *gateway6; /* with default_route: the IPv6 one */
};
/* Create the veth pairs of a container: host sides on their bridges,
 * the peers in pid's network namespace with their addresses, up, and the
 * default route. */
int net_veth_attach(struct net_nl *nl, pid_t pid, const struct net_ifconf *ifs, size_t n, struct cc_error *err);

#endif
