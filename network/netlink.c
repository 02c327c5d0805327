/* Bridges, veth pairs, addresses and routes with libnl-route-3. See
 * netlink.h. The container's side is configured over a netlink socket
 * opened inside its network namespace (setns there and back on this
 * thread), so no process runs in the container for it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <sys/file.h>
#include <time.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "netlink.h"

struct net_nl {
        struct nl_sock *sk;
        int host_ns;     /* our own network namespace */
};

static void net__sockp(struct nl_sock **s) { if (*s) nl_socket_free(*s); }
static void net__linkp(struct rtnl_link **l) { if (*l) rtnl_link_put(*l); }
static void net__addrp(struct nl_addr **a) { if (*a) nl_addr_put(*a); }
static void net__cachep(struct nl_cache **c) { if (*c) nl_cache_free(*c); }
#define _cleanup_nlsock_ __attribute__((cleanup(net__sockp)))
#define _cleanup_link_ __attribute__((cleanup(net__linkp)))
#define _cleanup_nladdr_ __attribute__((cleanup(net__addrp)))
#define _cleanup_cache_ __attribute__((cleanup(net__cachep)))

static int net__nlerr(struct cc_error *err, int nle, const char *what, const char *name)
{
        int code = nle == -NLE_EXIST ? -EEXIST : nle == -NLE_OBJ_NOTFOUND || nle == -NLE_NODEV ? -ENOENT
                   : nle == -NLE_PERM ? -EPERM : -EIO;
        return cc_error_set(err, code, "%s %s: %s", what, name, nl_geterror(nle));
}

/* A dump of links, addresses or routes is interrupted (NLE_DUMP_INTR)
 * when the kernel's table changes under it, as it does while other
 * projects make or remove their links: take it again. */
#define NET_DUMP_TRIES 20

static int net__links(struct net_nl *nl, struct nl_cache **out)
{
        int r;
        for (int i = 0; i < NET_DUMP_TRIES; i++)
                if ((r = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, out)) != -NLE_DUMP_INTR)
                        break;
        return r;
}

static int net__addrs(struct net_nl *nl, struct nl_cache **out)
{
        int r;
        for (int i = 0; i < NET_DUMP_TRIES; i++)
                if ((r = rtnl_addr_alloc_cache(nl->sk, out)) != -NLE_DUMP_INTR)
                        break;
        return r;
}

static int net__routes(struct net_nl *nl, struct nl_cache **out)
{
        int r;
        for (int i = 0; i < NET_DUMP_TRIES; i++)
                if ((r = rtnl_route_alloc_cache(nl->sk, AF_INET, 0, out)) != -NLE_DUMP_INTR)
                        break;
        return r;
}

static struct nl_sock *net__sock(void)
{
        struct nl_sock *sk = nl_socket_alloc();
        if (!sk)
                return NULL;
        if (nl_connect(sk, NETLINK_ROUTE) < 0) {
                nl_socket_free(sk);
                return NULL;
        }
        return sk;
}

int net_nl_open(struct net_nl **out, struct cc_error *err)
{
        struct net_nl *nl = cc_xcalloc(1, sizeof(*nl));
        nl->host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        nl->sk = net__sock();
        if (nl->host_ns < 0 || !nl->sk) {
                int e = errno;
                net_nl_close(nl);
                return cc_error_setsys(err, -(e ? e : EIO), "netlink socket");
        }
        *out = nl;
        return 0;
}

void net_nl_close(struct net_nl *nl)
{
        if (!nl)
                return;
        if (nl->sk)
                nl_socket_free(nl->sk);
        if (nl->host_ns >= 0)
                close(nl->host_ns);
        free(nl);
}

uint32_t net_hash(const char *a, const char *b)
{
        uint32_t h = 2166136261u;
        for (const char *p = a; *p; p++)
                h = (h ^ (uint8_t) *p) * 16777619u;
        h = (h ^ 0) * 16777619u;
        for (const char *p = b; *p; p++)
                h = (h ^ (uint8_t) *p) * 16777619u;
        return h;
}

void net_bridge_name(const char *scope, const char *network, char out[16])
{
        snprintf(out, 16, "ccb-%08x", net_hash(scope, network));
}

void net_veth_name(const char *ctr_id, const char *network, char out[16])
{
        snprintf(out, 16, "ccv-%08x", net_hash(ctr_id, network));
}

static struct nl_addr *net__v6(const uint8_t *ip, int prefix)
{
        static const uint8_t any[16];
        struct nl_addr *a = nl_addr_build(AF_INET6, ip ? ip : any, 16);
        if (a)
                nl_addr_set_prefixlen(a, prefix);
        return a;
}

static int net__addr6(struct nl_sock *sk, int ifindex, const uint8_t ip[16], int prefix)
{
        struct rtnl_addr *a = rtnl_addr_alloc();
        _cleanup_nladdr_ struct nl_addr *local = net__v6(ip, prefix);
        if (!a || !local) {
                rtnl_addr_put(a);
                return -NLE_NOMEM;
        }
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_local(a, local);
        rtnl_addr_set_flags(a, IFA_F_NODAD);
        int r = rtnl_addr_add(sk, a, 0);
        rtnl_addr_put(a);
        return r == -NLE_EXIST ? 0 : r;
}

int net_link_addr6_add(struct net_nl *nl, int ifindex, const uint8_t ip[16], int prefix, struct cc_error *err)
{
        int r = net__addr6(nl->sk, ifindex, ip, prefix);
        if (r < 0) {
                char buf[46];
                return net__nlerr(err, r, "add IPv6 address", net_ip6_str(ip, buf));
        }
        return 0;
}

static struct nl_addr *net__v4(uint32_t ip, int prefix)
{
        uint32_t be = htonl(ip);
        struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);
        if (a)
                nl_addr_set_prefixlen(a, prefix);
        return a;
}

static uint32_t net__addr_ip(struct nl_addr *a)
{
        uint32_t be;
        if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4)
                return 0;
        memcpy(&be, nl_addr_get_binary_addr(a), 4);
        return ntohl(be);
}

struct net__route_ctx {
        int skip_ifindex;
        struct net_subnet *v;
        char **devs;
        size_t n;
        struct nl_cache *links;
};

static void net__route_cb(struct nl_object *o, void *data)
{
        struct net__route_ctx *x = data;
        struct rtnl_route *r = (struct rtnl_route *) o;
        if (rtnl_route_get_family(r) != AF_INET || rtnl_route_get_table(r) != RT_TABLE_MAIN)
                return;
        struct nl_addr *dst = rtnl_route_get_dst(r);
        int plen = dst ? nl_addr_get_prefixlen(dst) : 0;
        if (!dst || plen == 0)
                return; /* the default route overlaps everything: not a conflict */
        int ifindex = 0;
        if (rtnl_route_get_nnexthops(r) > 0)
                ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
        if (x->skip_ifindex && ifindex == x->skip_ifindex)
                return;
        x->v = cc_xrealloc(x->v, (x->n + 1) * sizeof(*x->v));
        x->devs = cc_xrealloc(x->devs, (x->n + 1) * sizeof(*x->devs));
        x->v[x->n] = (struct net_subnet){net__addr_ip(dst) & net_subnet_mask(plen), plen};
        char name[IFNAMSIZ] = "?";
        if (x->links)
                rtnl_link_i2name(x->links, ifindex, name, sizeof(name));
        x->devs[x->n] = cc_xstrdup(name);
        x->n++;
}

int net_host_routes(struct net_nl *nl, const char *skip, struct net_subnet **out, size_t *n, char ***devs,
                    struct cc_error *err)
{
        _cleanup_cache_ struct nl_cache *routes = NULL;
        _cleanup_cache_ struct nl_cache *links = NULL;
        struct net__route_ctx x = {0};
        int r = net__links(nl, &links);
        if (r < 0)
                return net__nlerr(err, r, "list", "links");
        x.links = links;
        if (skip)
                x.skip_ifindex = rtnl_link_name2i(links, skip);
        r = net__routes(nl, &routes);
        if (r < 0)
                return net__nlerr(err, r, "list", "routes");
        nl_cache_foreach(routes, net__route_cb, &x);
        *out = x.v;
        *n = x.n;
        if (devs)
                *devs = x.devs;
        else {
                for (size_t i = 0; i < x.n; i++)
                        free(x.devs[i]);
                free(x.devs);
        }
        return 0;
}

static void net__fill_info(struct rtnl_link *l, struct nl_cache *links, struct nl_cache *addrs,
                           struct net_bridge_info *bi)
{
        memset(bi, 0, sizeof(*bi));
        snprintf(bi->name, sizeof(bi->name), "%s", rtnl_link_get_name(l));
        const char *al = rtnl_link_get_ifalias(l);
        snprintf(bi->alias, sizeof(bi->alias), "%s", al ? al : "");
        bi->ifindex = rtnl_link_get_ifindex(l);
        for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                if (rtnl_addr_get_ifindex(a) != bi->ifindex || rtnl_addr_get_family(a) != AF_INET)
                        continue;
                bi->gateway = net__addr_ip(rtnl_addr_get_local(a));
                bi->subnet.prefix = rtnl_addr_get_prefixlen(a);
                bi->subnet.addr = bi->gateway & net_subnet_mask(bi->subnet.prefix);
                break;
        }
        for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
                if (rtnl_link_get_master((struct rtnl_link *) o) == bi->ifindex)
                        bi->n_ports++;
}

/* Every ccb-* bridge (name NULL), or the Linux bridge called name. */
static int net__bridges(struct net_nl *nl, const char *name, struct net_bridge_info **out, size_t *n,
                        struct cc_error *err)
{
        _cleanup_cache_ struct nl_cache *links = NULL;
        _cleanup_cache_ struct nl_cache *addrs = NULL;
        int r = net__links(nl, &links);
        if (r >= 0)
                r = net__addrs(nl, &addrs);
        if (r < 0)
                return net__nlerr(err, r, "list", "links");
        *out = NULL;
        *n = 0;
        for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *l = (struct rtnl_link *) o;
                const char *ln = rtnl_link_get_name(l), *type = rtnl_link_get_type(l);
                if (!ln || (name ? strcmp(ln, name) != 0 || !type || strcmp(type, "bridge") != 0
                                 : !cc_startswith(ln, "ccb-")))
                        continue;
                *out = cc_xrealloc(*out, (*n + 1) * sizeof(**out));
                net__fill_info(l, links, addrs, &(*out)[(*n)++]);
        }
        return 0;
}

int net_bridges_list(struct net_nl *nl, struct net_bridge_info **out, size_t *n, struct cc_error *err)
{
        return net__bridges(nl, NULL, out, n, err);
}

int net_bridge_get(struct net_nl *nl, const char *name, struct net_bridge_info *out, struct cc_error *err)
{
        struct net_bridge_info *b = NULL;
        size_t n = 0;
        int r = net__bridges(nl, name, &b, &n, err);
        if (r >= 0 && n == 0)
                r = -ENOENT;
        if (r >= 0)
                *out = b[0];
        free(b);
        return r;
}

int net_bridge_create(struct net_nl *nl, const char *name, const char *alias, const struct net_subnet *subnet,
                      uint32_t gateway, int mtu, struct cc_error *err)
{
        _cleanup_link_ struct rtnl_link *l = rtnl_link_bridge_alloc();
        if (!l)
                return cc_error_set(err, -ENOMEM, "create bridge %s: out of memory", name);
        rtnl_link_set_name(l, name);
        if (mtu > 0)
                rtnl_link_set_mtu(l, (unsigned) mtu);
        int r = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0)
                return net__nlerr(err, r, "create bridge", name);
        _cleanup_link_ struct rtnl_link *cur = NULL;
        r = rtnl_link_get_kernel(nl->sk, 0, name, &cur);
        if (r < 0)
                return net__nlerr(err, r, "create bridge", name);
        int ifindex = rtnl_link_get_ifindex(cur);
        /* alias and up: a change of the new link */
        _cleanup_link_ struct rtnl_link *ch = rtnl_link_alloc();
        rtnl_link_set_ifalias(ch, alias);
        rtnl_link_set_flags(ch, IFF_UP);
        r = rtnl_link_change(nl->sk, cur, ch, 0);
        if (r >= 0) {
                struct rtnl_addr *a = rtnl_addr_alloc();
                _cleanup_nladdr_ struct nl_addr *local = net__v4(gateway, subnet->prefix);
                rtnl_addr_set_ifindex(a, ifindex);
                rtnl_addr_set_local(a, local);
                r = rtnl_addr_add(nl->sk, a, 0);
                rtnl_addr_put(a);
        }
        if (r >= 0)
                return ifindex;
        int e = net__nlerr(err, r, "configure bridge", name);
        rtnl_link_delete(nl->sk, cur);
        return e;
}

int net_link_set_alias(struct net_nl *nl, const char *name, const char *alias, struct cc_error *err)
{
        _cleanup_link_ struct rtnl_link *cur = NULL;
        int r = rtnl_link_get_kernel(nl->sk, 0, name, &cur);
        if (r < 0)
                return net__nlerr(err, r, "look up", name);
        _cleanup_link_ struct rtnl_link *ch = rtnl_link_alloc();
        if (!ch)
                return cc_error_set(err, -ENOMEM, "set the alias of %s: out of memory", name);
        rtnl_link_set_ifalias(ch, alias);
        r = rtnl_link_change(nl->sk, cur, ch, 0);
        return r < 0 ? net__nlerr(err, r, "set the alias of", name) : 0;
}

int net_link_delete(struct net_nl *nl, const char *name, struct cc_error *err)
{
        _cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
        rtnl_link_set_name(l, name);
        int r = rtnl_link_delete(nl->sk, l);
        if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
                return net__nlerr(err, r, "delete link", name);
        return 0;
}

/* Is this veth one of the prefix's? */
static bool net__veth_mine(struct nl_cache *links, struct rtnl_link *l, const char *prefix)
{
        const char *name = rtnl_link_get_name(l);
        if (!name || !cc_startswith(name, "ccv-"))
                return false;
        const char *al = rtnl_link_get_ifalias(l);
        bool mine = al && cc_startswith(al, prefix);
        if (!mine && (!al || !*al)) {
                /* no alias (made by an older ccompose, or its maker died
                 * before naming it): ours if on our bridge */
                struct rtnl_link *m = rtnl_link_get(links, rtnl_link_get_master(l));
                const char *mal = m ? rtnl_link_get_ifalias(m) : NULL;
                mine = mal && cc_startswith(mal, prefix);
                if (m)
                        rtnl_link_put(m);
        }
        return mine;
}

static long long net__now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (long long) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The veths of prefix gone, waiting up to wait_ms; then, with del, those
 * left deleted. */
static int net__links_gone(struct net_nl *nl, const char *prefix, int wait_ms, bool del, struct cc_error *err)
{
        /* a veth goes with its container's network namespace, in the
         * kernel's batch: cheaper than deleting each (an rcu_barrier per
         * link, ~18 ms; the namespace's end takes its veths ~15 ms after
         * its last process, and overlaps what else happens meanwhile).
         * Woken by the kernel's link notifications, not by polling. */
        _cleanup_nlsock_ struct nl_sock *mon = NULL;
        long long deadline = net__now_ms() + wait_ms;
        for (;;) {
                _cleanup_cache_ struct nl_cache *links = NULL;
                int r = net__links(nl, &links);
                if (r < 0)
                        return net__nlerr(err, r, "list", "links");
                size_t n = 0;
                for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
                        n += net__veth_mine(links, (struct rtnl_link *) o, prefix);
                if (n == 0)
                        return 0;
                long long left = deadline - net__now_ms();
                if (left > 0 && !mon && (mon = net__sock()) && nl_socket_add_membership(mon, RTNLGRP_LINK) == 0)
                        continue; /* listening: what went before is in the next dump */
                struct pollfd pfd = {.fd = mon ? nl_socket_get_fd(mon) : -1, .events = POLLIN};
                if (left > 0 && mon && (poll(&pfd, 1, (int) left) >= 0 || errno == EINTR)) {
                        char buf[8192];
                        while (recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
                                ;
                        continue;
                }
                if (!del)
                        return (int) n;
                int rc = 0;
                for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
                        if (net__veth_mine(links, (struct rtnl_link *) o, prefix) &&
                            net_link_delete(nl, rtnl_link_get_name((struct rtnl_link *) o), err) < 0)
                                rc = -EIO;
                return rc;
        }
}

int net_links_delete_alias(struct net_nl *nl, const char *prefix, int wait_ms, struct cc_error *err)
{
        return net__links_gone(nl, prefix, wait_ms, true, err);
}

int net_links_wait_alias(struct net_nl *nl, const char *prefix, int wait_ms, struct cc_error *err)
{
        return net__links_gone(nl, prefix, wait_ms, false, err);
}

/* Enter pid's network namespace (this thread only); net__leave goes back. */
static int net__enter(struct net_nl *nl, pid_t pid, struct cc_error *err)
{
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/ns/net", (int) pid);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "open %s", p);
        if (setns(fd, CLONE_NEWNET) < 0)
                return cc_error_setsys(err, -errno, "enter the container's network namespace");
        return 0;
}

static void net__leave(struct net_nl *nl)
{
        if (setns(nl->host_ns, CLONE_NEWNET) < 0)
                abort(); /* cannot happen: we came from there; going on would be wrong */
}

/* A netlink socket in pid's network namespace. */
static int net__ns_sock(struct net_nl *nl, pid_t pid, struct nl_sock **out, struct cc_error *err)
{
        int r = net__enter(nl, pid, err);
        if (r < 0)
                return r;
        struct nl_sock *sk = net__sock();
        int e = errno;
        net__leave(nl);
        if (!sk)
                return cc_error_setsys(err, -(e ? e : EIO), "netlink socket in the container");
        *out = sk;
        return 0;
}

int net_ns_udp_bind(struct net_nl *nl, pid_t pid, uint32_t ip, int port, struct cc_error *err)
{
        int r = net__enter(nl, pid, err);
        if (r < 0)
                return r;
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port), .sin_addr.s_addr = htonl(ip)};
        /* free bind: the container's loopback may not be up yet */
        if (fd >= 0 && (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
                        bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)) {
                r = -errno;
                close(fd);
                fd = r;
        } else if (fd < 0) {
                fd = -errno;
        }
        net__leave(nl);
        if (fd < 0)
                return cc_error_setsys(err, fd, "bind the DNS socket in the container");
        return fd;
}

static int net__route6(struct nl_sock *ns, int ifindex, const uint8_t gw6[16])
{
        struct rtnl_route *rt = rtnl_route_alloc();
        _cleanup_nladdr_ struct nl_addr *dst = net__v6(NULL, 0);
        _cleanup_nladdr_ struct nl_addr *gw = net__v6(gw6, 128);
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        rtnl_route_set_family(rt, AF_INET6);
        rtnl_route_set_dst(rt, dst);
        rtnl_route_set_table(rt, RT_TABLE_MAIN);
        rtnl_route_set_protocol(rt, RTPROT_BOOT);
        rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_add_nexthop(rt, nh);
        int r = rtnl_route_add(ns, rt, NLM_F_CREATE);
        rtnl_route_put(rt);
        return r;
}

static int net__veth_one(struct net_nl *nl, struct nl_sock *ns, pid_t pid, const struct net_ifconf *f,
                         struct cc_error *err)
{
        _cleanup_link_ struct rtnl_link *l = rtnl_link_veth_alloc();
        if (!l)
                return cc_error_set(err, -ENOMEM, "veth: out of memory");
        _cleanup_link_ struct rtnl_link *peer = rtnl_link_veth_get_peer(l);
        rtnl_link_set_name(l, f->host_name);
        rtnl_link_set_master(l, f->bridge_ifindex);
        rtnl_link_set_flags(l, IFF_UP);
        rtnl_link_set_name(peer, f->ifname);
        rtnl_link_set_ns_pid(peer, pid);
        /* not IFF_UP here: the kernel opens the peer before the pair is
         * linked (ENOTCONN); it comes up below */
        /* a stable MAC from the address, as Docker: 02:42:<ip> */
        uint8_t mac[6] = {0x02, 0x42, (uint8_t) (f->ip >> 24), (uint8_t) (f->ip >> 16), (uint8_t) (f->ip >> 8),
                          (uint8_t) f->ip};
        _cleanup_nladdr_ struct nl_addr *lladdr = nl_addr_build(AF_LLC, f->mac ? f->mac : mac, 6);
        rtnl_link_set_addr(peer, lladdr);
        if (f->mtu > 0) {
                rtnl_link_set_mtu(l, (unsigned) f->mtu);
                rtnl_link_set_mtu(peer, (unsigned) f->mtu);
        }
        int r = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
        if (r == -NLE_EXIST) {
                /* a leftover of a crashed owner: its netns is gone, the name is ours */
                struct cc_error e2 = {0};
                net_link_delete(nl, f->host_name, &e2);
                cc_error_clear(&e2);
                r = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
        }
        if (r < 0)
                return net__nlerr(err, r, "create veth", f->host_name);
        /* the kernel ignores IFLA_IFALIAS when it creates a link: set it
         * now, it is how `down` finds the project's veths (a NEWLINK of
         * the name without NLM_F_CREATE changes the link: no look-up) */
        if (f->alias) {
                _cleanup_link_ struct rtnl_link *ch = rtnl_link_alloc();
                if (!ch)
                        return cc_error_set(err, -ENOMEM, "veth %s: out of memory", f->host_name);
                rtnl_link_set_name(ch, f->host_name);
                rtnl_link_set_ifalias(ch, f->alias);
                if ((r = rtnl_link_add(nl->sk, ch, 0)) < 0)
                        return net__nlerr(err, r, "set the alias of", f->host_name);
        }

        _cleanup_link_ struct rtnl_link *in = NULL;
        r = rtnl_link_get_kernel(ns, 0, f->ifname, &in);
        if (r < 0)
                return net__nlerr(err, r, "find", f->ifname);
        int ifindex = rtnl_link_get_ifindex(in);
        if (!(rtnl_link_get_flags(in) & IFF_UP)) {
                _cleanup_link_ struct rtnl_link *ch = rtnl_link_alloc();
                rtnl_link_set_flags(ch, IFF_UP);
                if ((r = rtnl_link_change(ns, in, ch, 0)) < 0)
                        return net__nlerr(err, r, "bring up", f->ifname);
        }
        struct rtnl_addr *a = rtnl_addr_alloc();
        _cleanup_nladdr_ struct nl_addr *local = net__v4(f->ip, f->prefix);
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_local(a, local);
        r = rtnl_addr_add(ns, a, 0);
        rtnl_addr_put(a);
        if (r < 0)
                return net__nlerr(err, r, "add address on", f->ifname);
        if (f->ip6 && (r = net__addr6(ns, ifindex, f->ip6, f->prefix6)) < 0)
                return net__nlerr(err, r, "add IPv6 address on", f->ifname);
        if (!f->default_route)
                return 0;
        if (f->ip6 && f->gateway6 && (r = net__route6(ns, ifindex, f->gateway6)) < 0)
                return net__nlerr(err, r, "add IPv6 default route via", f->ifname);
        struct rtnl_route *rt = rtnl_route_alloc();
        _cleanup_nladdr_ struct nl_addr *dst = net__v4(0, 0);
        _cleanup_nladdr_ struct nl_addr *gw = net__v4(f->gateway, 32);
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        rtnl_route_set_family(rt, AF_INET);
        rtnl_route_set_dst(rt, dst);
        rtnl_route_set_table(rt, RT_TABLE_MAIN);
        rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
        rtnl_route_set_protocol(rt, RTPROT_BOOT);
        rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_add_nexthop(rt, nh);
        r = rtnl_route_add(ns, rt, NLM_F_CREATE);
        rtnl_route_put(rt);
        if (r < 0)
                return net__nlerr(err, r, "add default route via", f->ifname);
        return 0;
}

int net_veth_attach(struct net_nl *nl, pid_t pid, const struct net_ifconf *ifs, size_t n, struct cc_error *err)
{
        _cleanup_nlsock_ struct nl_sock *ns = NULL;
        int r = net__ns_sock(nl, pid, &ns, err);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = net__veth_one(nl, ns, pid, &ifs[i], err);
        return r;
}

/* ---- the host ---- */

int net_host_lock(void)
{
        int fd = open("/run/ccompose-net.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                fd = open("/tmp/ccompose-net.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
                while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
                        ;
        return fd;
}

void net_host_unlock(int fd)
{
        if (fd >= 0)
                close(fd);
}

/* Locally generated packets to 127.0.0.1 may leave through the bridge
 * once DNAT sent them to a container (the postrouting masquerade then
 * gives them the gateway's address): the per-interface switch, on our
 * own bridge only, as Docker does for docker0 without its proxy. */
int net_bridge_route_localnet(const char *bridge, struct cc_error *err)
{
        _cleanup_free_ char *path = cc_xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "1", 1) != 1)
                return cc_error_setsys(err, -errno, "bridge %s: enable route_localnet", bridge);
        return 0;
}
