/* The model the supervisor's network code shares between sup-net.c
 * (networks, addresses, veths, the hooks, down), sup-net-names.c
 * (/etc/hosts and the embedded DNS server) and sup-net-ports.c
 * (published ports). Not for the rest of ccompose: see sup-net.h. */
#ifndef CC_SUP_NET_INTERNAL_H
#define CC_SUP_NET_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cc-error.h"
#include "cc-util.h"
#include "hosts.h"
#include "ipam.h"
#include "nft.h"

struct cc_sup;
struct cc_sup_ctr;
struct cc_node;
struct net_nl;
struct net_proxy;
struct net_dns;

struct net_def {
        char *key;             /* "default" */
        char *full;            /* "proj_default" */
        char bridge[16];
        bool internal, external;
        bool foreign;          /* a bridge made by hand (external) */
        bool ipv6;             /* enable_ipv6 */
        struct net_subnet6 sub6;
        uint8_t gw6[16];
        struct net_subnet subnet, range;
        bool has_range;
        uint32_t gw;
        int mtu;
        int ifindex;
};

struct net_ctr {
        char *id;
        bool running;
        struct net_proxy **proxies;
        size_t n_proxies;
        struct net_dnat *dnat;   /* the same ports, forwarded in the kernel */
        size_t n_dnat;
        bool ports_open;
        /* its DNS server; a one-off (foreground run) has its service's
         * definition and its name here, a service container its cc_sup_ctr */
        struct net_dns *dns;
        struct cc_sup *sup;
        const struct cc_node *def;
        char *name;
};

struct cc_net {
        struct net_nl *nl;
        char *scope;           /* the runtime dir: names are unique per runtime dir */
        char *owner;           /* "<project>@<hash of the runtime dir>" */
        char *table;           /* its nft table of published ports */
        struct cc_strv upstream; /* the host's nameservers */
        /* the DNAT table is rebuilt once per loop turn, for every start
         * and exit of that turn (the proxies carry the ports meanwhile) */
        uv_timer_t dnat_timer;
        bool dnat_timer_on, dnat_dirty;
        bool dnat_table;       /* its table of published ports may exist */
        char *addr_path;
        json_object *addrs;    /* {container name: {network key: ip}} */
        struct net_def *defs;
        size_t n_defs;
        struct net_ctr **ctrs;
        size_t n_ctrs;
};

/* sup-net.c: the model */
char *net__owner(const char *runtime_dir, const char *project);
/* make or find the bridge of a network (under the host-wide lock) */
int net__ensure(struct cc_net *n, struct net_def *d, struct cc_error *err);
/* An alias of ours, "ccompose <project>@<hash> <rest>": its project (a
 * new string), *at its "@<hash>" and *rest what follows the space; NULL
 * when it is not one. */
char *net__alias_owner(const char *alias, const char **at, const char **rest);
struct net_def *net__def(struct cc_net *n, const char *key);
struct net_ctr *net__ctr(struct cc_net *n, const char *id, bool create);
struct cc_node *net__svc_nets(const struct cc_node *def);
/* a container's address on a network (key), from network.json */
const char *net__ip_of(struct cc_net *n, const char *cname, const char *key);
const char *net__ip6_of(struct cc_net *n, const char *cname, const char *key);

/* sup-net-bridge.c: Docker's bridge network of the API service */
bool net__docker_owner(const char *project);   /* the bridge's owner in aliases */
bool net__docker_served(const char *runtime_dir); /* a service runs (holds the owner's lock) */
bool net__docker_kept(const char *runtime_dir, const struct net_bridge_info *b); /* it, while served */
/* --bip: its subnet, and the bridge's address (Docker's 10.1.0.1/24; a
 * subnet 10.1.0.0/24 gives the first address). Pure. */
int net__docker_bip(const char *bip, struct net_subnet *subnet, uint32_t *gw, struct cc_error *err);

/* sup-net-names.c: hosts entries, /etc/hosts, the DNS servers */
void net__add_name(struct cc_buf *b, const char *name);
void net__entry(struct net_hosts_entry **e, size_t *ne, const char *ip, char *names);
void net__peer_entries(struct cc_sup *s, const struct cc_node *xdef, struct cc_sup_ctr *x, bool peers,
                       struct net_hosts_entry **e, size_t *ne);
void net__hosts_write_for(struct cc_sup *s, const struct cc_node *def, const char *id, struct net_hosts_entry *e,
                          size_t ne);
void net__write_hosts(struct cc_sup *s, struct cc_sup_ctr *x);
void net__oneoff_self(struct cc_net *n, const struct cc_node *def, const char *id, const char *name,
                      struct net_hosts_entry **e, size_t *ne);
int net__dns_start(struct cc_sup *s, struct net_ctr *nc, pid_t pid, const struct cc_node *def, struct cc_error *err);
void net__dns_stop(struct net_ctr *nc);

/* sup-net-ports.c: published ports */
int net__open_ports(struct cc_sup *s, struct cc_sup_ctr *c, struct net_ctr *nc, struct cc_error *err);
void net__close_ports(struct net_ctr *nc);
void net__ports_backed(struct net_ctr *nc, bool backed);
void net__dnat_rules(struct cc_net *n, struct net_nft_plan *plan);
void net__dnat_later(struct cc_sup *s);
void net__dnat_timer_cb(uv_timer_t *t);

#endif
