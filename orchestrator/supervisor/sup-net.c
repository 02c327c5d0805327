/* The supervisor's side of networks: the project's compose networks as
 * bridges, each container's addresses (stable, in network.json of the
 * project's state directory) and veths, the hooks of sup-net.h, and down.
 * Names are in sup-net-names.c, published ports in sup-net-ports.c. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdio.h>

#include "dns.h"
#include "hosts.h"
#include "sup-net-internal.h"
#include "sup-net.h"
#include "netlink.h"
#include "nft.h"
#include "state.h"
#include "sup-internal.h"

/* ---- naming ---- */

char *net__owner(const char *runtime_dir, const char *project)
{
        return cc_xasprintf("%s@%08x", project, net_hash(runtime_dir, ""));
}

static char *net__table(const char *owner)
{
        return cc_xasprintf("ccompose_p%08x", net_hash(owner, ""));
}

/* ---- the model ---- */

struct net_def *net__def(struct cc_net *n, const char *key)
{
        for (size_t i = 0; i < n->n_defs; i++)
                if (strcmp(n->defs[i].key, key) == 0)
                        return &n->defs[i];
        return NULL;
}

struct net_ctr *net__ctr(struct cc_net *n, const char *id, bool create)
{
        for (size_t i = 0; i < n->n_ctrs; i++)
                if (strcmp(n->ctrs[i]->id, id) == 0)
                        return n->ctrs[i];
        if (!create)
                return NULL;
        struct net_ctr *c = cc_xcalloc(1, sizeof(*c));
        c->id = cc_xstrdup(id);
        n->ctrs = cc_xrealloc(n->ctrs, (n->n_ctrs + 1) * sizeof(*n->ctrs));
        n->ctrs[n->n_ctrs++] = c;
        return c;
}

static bool net__true(const struct cc_node *m, const char *key)
{
        const char *v = cc_node_map_str(m, key);
        return v && strcmp(v, "true") == 0;
}

/* enable_ipv6: the first IPv6 ipam entry (subnet, gateway), else a /64 of
 * fdcc::/16 from the bridge's name (stable, unlikely to meet another). */
static int net__parse_def6(struct cc_net *n, const char *key, const struct cc_node *cfg, struct net_def *out,
                           struct cc_error *err)
{
        const char *subnet = NULL, *gw = NULL;
        for (size_t i = 0; cc_node_is_seq(cfg) && i < cfg->n && !subnet; i++) {
                const char *sn = cc_node_map_str(cfg->items[i], "subnet");
                if (sn && strchr(sn, ':')) {
                        subnet = sn;
                        gw = cc_node_map_str(cfg->items[i], "gateway");
                }
        }
        if (subnet) {
                if (net_subnet6_parse(subnet, &out->sub6, err) < 0)
                        return cc_error_prefix(err, "network %s", key);
        } else {
                uint32_t h1 = net_hash(n->scope, out->full), h2 = net_hash(out->full, n->scope);
                uint8_t a[16] = {0xfd, 0xcc, (uint8_t) (h1 >> 24), (uint8_t) (h1 >> 16), (uint8_t) (h1 >> 8),
                                 (uint8_t) h1, (uint8_t) (h2 >> 8), (uint8_t) h2};
                memcpy(out->sub6.addr, a, 16);
                out->sub6.prefix = 64;
        }
        if (gw && (inet_pton(AF_INET6, gw, out->gw6) != 1 || !net_subnet6_contains(&out->sub6, out->gw6)))
                return cc_error_set(err, -EINVAL, "network %s: invalid IPv6 gateway \"%s\" for the subnet", key, gw);
        if (!gw)
                net_subnet6_nth(&out->sub6, 1, out->gw6);
        return 0;
}

static int net__parse_def(struct cc_net *n, const char *key, const struct cc_node *d, const char *project,
                          struct net_def *out, struct cc_error *err)
{
        memset(out, 0, sizeof(*out));
        out->key = cc_xstrdup(key);
        const char *name = cc_node_map_str(d, "name");
        out->full = name ? cc_xstrdup(name) : cc_xasprintf("%s_%s", project, key);
        out->internal = net__true(d, "internal");
        out->ipv6 = net__true(d, "enable_ipv6");
        out->external = net__true(d, "external");
        net_bridge_name(n->scope, out->full, out->bridge);
        const char *drv = cc_node_map_str(d, "driver");
        if (drv && strcmp(drv, "bridge") != 0)
                return cc_error_set(err, -ENOTSUP, "network %s: driver \"%s\" is not supported (only bridge)", key, drv);
        const char *mtu = cc_node_map_str(cc_node_map_get(d, "driver_opts"), "com.docker.network.driver.mtu");
        if (mtu && ((out->mtu = atoi(mtu)) < 68 || out->mtu > 65535))
                return cc_error_set(err, -EINVAL, "network %s: invalid mtu \"%s\"", key, mtu);
        struct cc_node *cfg = cc_node_map_get(cc_node_map_get(d, "ipam"), "config");
        /* the first IPv4 entry: IPv6 addresses inside containers are not
         * made yet (their entries are skipped; up says so) */
        struct cc_node *c0 = NULL;
        for (size_t i = 0; cc_node_is_seq(cfg) && i < cfg->n && !c0; i++) {
                const char *sn = cc_node_map_str(cfg->items[i], "subnet");
                if (!sn || !strchr(sn, ':'))
                        c0 = cfg->items[i];
        }
        const char *subnet = cc_node_map_str(c0, "subnet");
        const char *range = cc_node_map_str(c0, "ip_range");
        const char *gw = cc_node_map_str(c0, "gateway");
        int r;
        if (subnet && (r = net_subnet_parse(subnet, false, &out->subnet, err)) < 0)
                return cc_error_prefix(err, "network %s", key);
        if (range && (r = net_subnet_parse(range, false, &out->range, err)) < 0)
                return cc_error_prefix(err, "network %s: ip_range", key);
        out->has_range = range != NULL;
        if (out->has_range && (!subnet || !net_subnet_contains(&out->subnet, out->range.addr)))
                return cc_error_set(err, -EINVAL, "network %s: ip_range %s is not inside the subnet", key, range);
        if (gw && (net_ip_parse(gw, &out->gw) < 0 || !subnet || !net_subnet_contains(&out->subnet, out->gw)))
                return cc_error_set(err, -EINVAL, "network %s: invalid gateway \"%s\" for the subnet", key, gw);
        if (subnet && !gw)
                out->gw = net_subnet_first(&out->subnet);
        return out->ipv6 ? net__parse_def6(n, key, cfg, out, err) : 0;
}

static const struct net_bridge_info *net__find(const struct net_bridge_info *b, size_t nb, const char *name)
{
        for (size_t i = 0; i < nb; i++)
                if (strcmp(b[i].name, name) == 0)
                        return &b[i];
        return NULL;
}

/* Make or find the bridge of a network among the ccb-* bridges *b (a new
 * one is added there); on return subnet, gw and ifindex are those of the
 * kernel's bridge. Under the host-wide lock. */
static int net__ensure_in(struct cc_net *n, struct net_def *d, struct net_bridge_info **b, size_t *nb,
                          struct cc_error *err)
{
        const struct net_bridge_info *have = net__find(*b, *nb, d->bridge);
        struct net_bridge_info bi;
        int r;
        if (have) {
                d->ifindex = have->ifindex;
                if (have->gateway) {
                        d->subnet = have->subnet;
                        d->gw = have->gateway;
                }
                return d->internal ? 0 : net_bridge_route_localnet(d->bridge, err);
        }
        /* a bridge made by hand, named as the network: used as it is (no
         * rules of ours, no kernel forwarding of published ports) */
        if (d->external && strlen(d->full) < sizeof(d->bridge) && net_bridge_get(n->nl, d->full, &bi, err) == 0) {
                if (!bi.gateway)
                        return cc_error_set(err, -EINVAL, "network %s: the bridge has no IPv4 address", d->full);
                snprintf(d->bridge, sizeof(d->bridge), "%s", d->full);
                d->ifindex = bi.ifindex;
                d->subnet = bi.subnet;
                d->gw = bi.gateway;
                d->foreign = true;
                return 0;
        }
        cc_error_clear(err);
        if (d->external)
                return cc_error_set(err, -ENOENT, "network %s declared as external, but could not be found", d->full);
        struct net_subnet *routes = NULL;
        char **devs = NULL;
        size_t nr = 0;
        if ((r = net_host_routes(n->nl, NULL, &routes, &nr, &devs, err)) < 0)
                return r;
        char sub[20], rs[20];
        if (d->subnet.prefix > 0 || d->subnet.addr) {
                for (size_t i = 0; i < nr && r == 0; i++)
                        if (net_subnet_overlaps(&d->subnet, &routes[i]))
                                r = cc_error_set(err, -EEXIST,
                                                 "network %s: subnet %s overlaps the host's route %s (dev %s)",
                                                 d->full, net_subnet_str(&d->subnet, sub),
                                                 net_subnet_str(&routes[i], rs), devs[i]);
        } else if ((r = net_pool_pick(routes, nr, &d->subnet, err)) == 0) {
                d->gw = net_subnet_first(&d->subnet);
        }
        for (size_t i = 0; i < nr; i++)
                free(devs[i]);
        free(devs);
        free(routes);
        if (r < 0)
                return r;
        _cleanup_free_ char *alias =
                cc_xasprintf("ccompose %s %s%s", n->owner, d->full, d->internal ? " internal" : "");
        if ((r = net_bridge_create(n->nl, d->bridge, alias, &d->subnet, d->gw, d->mtu, err)) < 0)
                return cc_error_prefix(err, "network %s", d->full);
        d->ifindex = r;
        bi = (struct net_bridge_info){.ifindex = r, .subnet = d->subnet, .gateway = d->gw};
        snprintf(bi.name, sizeof(bi.name), "%s", d->bridge);
        snprintf(bi.alias, sizeof(bi.alias), "%s", alias);
        *b = cc_xrealloc(*b, (*nb + 1) * sizeof(**b));
        (*b)[(*nb)++] = bi;
        return d->internal ? 0 : net_bridge_route_localnet(d->bridge, err);
}

int net__ensure(struct cc_net *n, struct net_def *d, struct cc_error *err)
{
        struct net_bridge_info *b = NULL;
        size_t nb = 0;
        int r = net_bridges_list(n->nl, &b, &nb, err);
        if (r >= 0)
                r = net__ensure_in(n, d, &b, &nb, err);
        free(b);
        return r;
}

static void net__save_addrs(struct cc_net *n)
{
        const char *text = json_object_to_json_string_ext(n->addrs, JSON_C_TO_STRING_PLAIN);
        cc_write_file_atomic(n->addr_path, text, strlen(text), 0600);
}

struct cc_node *net__svc_nets(const struct cc_node *def)
{
        struct cc_node *nets = cc_node_map_get(def, "networks");
        const char *nm = cc_node_map_str(def, "network_mode");
        if (nm && strcmp(nm, "bridge") != 0 && strcmp(nm, "default") != 0)
                return NULL;
        return cc_node_is_map(nets) ? nets : NULL;
}

/* The addresses recorded under key (a network's full name, "/6" added
 * for IPv6) in an addrs object, but cname's. */
static void net__taken_in(json_object *addrs, const char *cname, const char *key, struct cc_strv *out)
{
        json_object_object_foreach(addrs, other, o)
        {
                json_object *x;
                if ((!cname || strcmp(other, cname) != 0) && json_object_object_get_ex(o, key, &x))
                        cc_strv_push(out, json_object_get_string(x));
        }
}

/* ... in ours, and in the network.json of every other project of the
 * runtime dir (network names, and so bridges, are unique per runtime
 * dir). Under the host-wide lock. */
static void net__taken(struct cc_net *n, const char *cname, const char *key, struct cc_strv *out)
{
        net__taken_in(n->addrs, cname, key, out);
        DIR *dir = opendir(n->scope);
        for (struct dirent *de; dir && (de = readdir(dir));) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *path = cc_xasprintf("%s/%s/network.json", n->scope, de->d_name);
                if (strcmp(path, n->addr_path) == 0 || access(path, F_OK) < 0)
                        continue;
                json_object *o = json_object_from_file(path);
                if (o && json_object_is_type(o, json_type_object))
                        net__taken_in(o, NULL, key, out);
                json_object_put(o);
        }
        if (dir)
                closedir(dir);
}

static json_object *net__addrs_of(struct cc_net *n, const char *cname)
{
        json_object *mine = NULL;
        if (!json_object_object_get_ex(n->addrs, cname, &mine)) {
                mine = json_object_new_object();
                json_object_object_add(n->addrs, cname, mine);
        }
        return mine;
}

/* The IPv6 address of a container on a network with enable_ipv6. */
static int net__addr6(struct cc_net *n, const char *cname, const struct cc_node *def, struct net_def *d,
                      uint8_t out[16], struct cc_error *err)
{
        json_object *mine = net__addrs_of(n, cname), *ip = NULL;
        _cleanup_free_ char *key = cc_xasprintf("%s/6", d->full);
        if (json_object_object_get_ex(mine, key, &ip) && inet_pton(AF_INET6, json_object_get_string(ip), out) == 1 &&
            net_subnet6_contains(&d->sub6, out))
                return 0;
        const char *want = cc_node_map_str(cc_node_map_get(cc_node_map_get(def, "networks"), d->key), "ipv6_address");
        struct cc_strv strs = {0};
        int lk = net_host_lock();
        net__taken(n, cname, key, &strs);
        uint8_t (*taken)[16] = cc_xcalloc(strs.n + 1, 16);
        size_t nt = 0;
        for (size_t i = 0; i < strs.n; i++)
                nt += inet_pton(AF_INET6, strs.v[i], taken[nt]) == 1;
        int r = 0;
        if (want) {
                if (inet_pton(AF_INET6, want, out) != 1 || !net_subnet6_contains(&d->sub6, out) ||
                    memcmp(out, d->gw6, 16) == 0)
                        r = cc_error_set(err, -EINVAL, "ipv6_address %s is not a usable address of network %s", want,
                                         d->full);
                for (size_t i = 0; i < nt && r == 0; i++)
                        if (memcmp(taken[i], out, 16) == 0)
                                r = cc_error_set(err, -EEXIST, "ipv6_address %s on network %s: address already in use",
                                                 want, d->full);
        } else if (net_ipam_alloc6(&d->sub6, d->gw6, (const uint8_t(*)[16]) taken, nt, out) < 0) {
                r = cc_error_set(err, -ENOSPC, "network %s: no free IPv6 address", d->full);
        }
        free(taken);
        cc_strv_free(&strs);
        if (r >= 0) {
                char buf[46];
                json_object_object_add(mine, key, json_object_new_string(net_ip6_str(out, buf)));
                net__save_addrs(n);
        }
        net_host_unlock(lk);
        return r;
}

/* A container's aliases on network d, beside its address ("FULL/aliases":
 * [...]): what containers of other projects on the network resolve it
 * by (net__dns_elsewhere). Saved when they changed. */
static void net__record_aliases(struct cc_net *n, const char *cname, const struct cc_node *def,
                                const struct net_def *d)
{
        json_object *mine = net__addrs_of(n, cname), *old = NULL, *a = json_object_new_array();
        struct cc_node *al = cc_node_map_get(cc_node_map_get(cc_node_map_get(def, "networks"), d->key), "aliases");
        for (size_t i = 0; cc_node_is_seq(al) && i < al->n; i++)
                if (al->items[i]->str)
                        json_object_array_add(a, json_object_new_string(al->items[i]->str));
        _cleanup_free_ char *key = cc_xasprintf("%s/aliases", d->full);
        bool had = json_object_object_get_ex(mine, key, &old);
        if ((!had && json_object_array_length(a) == 0) || (had && json_object_equal(old, a))) {
                json_object_put(a);
                return;
        }
        if (json_object_array_length(a) == 0) {
                json_object_put(a);
                json_object_object_del(mine, key);
        } else {
                json_object_object_add(mine, key, a);
        }
        net__save_addrs(n);
}

/* The address of a container on a network, allocated on first use. */
static int net__addr(struct cc_net *n, const char *cname, const struct cc_node *def, struct net_def *d,
                     uint32_t *out, struct cc_error *err)
{
        net__record_aliases(n, cname, def, d);
        json_object *mine = net__addrs_of(n, cname), *ip = NULL;
        if (json_object_object_get_ex(mine, d->full, &ip) &&
            net_ip_parse(json_object_get_string(ip), out) == 0 && net_subnet_contains(&d->subnet, *out))
                return 0;
        const char *want = cc_node_map_str(cc_node_map_get(cc_node_map_get(def, "networks"), d->key), "ipv4_address");
        /* under the host-wide lock: another project on the same network
         * (external: true) allocates from the same subnet */
        int lk = net_host_lock();
        struct cc_strv strs = {0};
        net__taken(n, cname, d->full, &strs);
        uint32_t *taken = cc_xcalloc(strs.n + 1, sizeof(*taken));
        size_t nt = 0;
        for (size_t i = 0; i < strs.n; i++)
                nt += net_ip_parse(strs.v[i], &taken[nt]) == 0;
        cc_strv_free(&strs);
        int r = 0;
        char sub[20];
        if (want) {
                if (net_ip_parse(want, out) < 0 || !net_subnet_contains(&d->subnet, *out) || *out == d->gw)
                        r = cc_error_set(err, -EINVAL, "ipv4_address %s is not a usable address of network %s (%s)",
                                         want, d->full, net_subnet_str(&d->subnet, sub));
                for (size_t i = 0; i < nt && r == 0; i++)
                        if (taken[i] == *out)
                                r = cc_error_set(err, -EEXIST, "ipv4_address %s on network %s: address already in use",
                                                 want, d->full);
        } else if (net_ipam_alloc(&d->subnet, d->has_range ? &d->range : NULL, d->gw, taken, nt, out) < 0) {
                r = cc_error_set(err, -ENOSPC, "network %s: no free address in %s", d->full,
                                 net_subnet_str(&d->subnet, sub));
        }
        free(taken);
        if (r >= 0) {
                char buf[16];
                json_object_object_add(mine, d->full, json_object_new_string(net_ip_str(*out, buf)));
                net__save_addrs(n);
        }
        net_host_unlock(lk);
        return r;
}

const char *net__ip6_of(struct cc_net *n, const char *cname, const char *key)
{
        struct net_def *d = net__def(n, key);
        json_object *m, *ip;
        if (!d || !d->ipv6 || !json_object_object_get_ex(n->addrs, cname, &m))
                return NULL;
        _cleanup_free_ char *k6 = cc_xasprintf("%s/6", d->full);
        return json_object_object_get_ex(m, k6, &ip) ? json_object_get_string(ip) : NULL;
}

/* network.json: {container: {network name: address}}, by the network's
 * full name (a network another project declares external has the same) */
const char *net__ip_of(struct cc_net *n, const char *cname, const char *key)
{
        struct net_def *d = net__def(n, key);
        json_object *m, *ip;
        if (d && json_object_object_get_ex(n->addrs, cname, &m) && json_object_object_get_ex(m, d->full, &ip))
                return json_object_get_string(ip);
        return NULL;
}

/* ---- the supervisor's hooks ---- */

/* Add the definition of a network of the project (once). */
static int net__add_def(struct cc_sup *s, const char *key, struct cc_error *err)
{
        struct cc_net *n = s->net;
        if (net__def(n, key))
                return 0;
        const struct cc_node *d = cc_node_map_get(cc_node_map_get(s->project->model, "networks"), key);
        if (!d)
                return cc_error_set(err, -ENOENT, "network %s is not defined", key);
        n->defs = cc_xrealloc(n->defs, (n->n_defs + 1) * sizeof(*n->defs));
        int r = net__parse_def(n, key, d, s->project->name, &n->defs[n->n_defs], err);
        n->n_defs++;
        return r;
}

/* The containers an earlier supervisor left running keep their veths:
 * their ports and DNS servers again. */
static void net__adopt(struct cc_sup *s)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        if (!c->c || !net__svc_nets(c->svc->def))
                                continue;
                        struct net_ctr *nc = net__ctr(s->net, c->id, true);
                        nc->running = true;
                        struct cc_error e2 = {0};
                        if (net__open_ports(s, c, nc, &e2) < 0 ||
                            net__dns_start(s, nc, cc_container_pid(c->c), c->svc->def, &e2) < 0) {
                                cc_sup_progress(s, "container %s: %s", cc_sup_ctr_state(c)->name, cc_error_msg(&e2));
                                cc_error_clear(&e2);
                        }
                }
}

/* Make every bridge not made yet, under the host-wide lock, and bring
 * the shared table to them; at setup (the supervisor's start) also the
 * project's table of published ports, for the containers it adopts or
 * when a killed supervisor left one. One link dump, and an nftables
 * transaction only when a table changes. */
static int net__prepare(struct cc_sup *s, bool setup, struct cc_error *err)
{
        struct cc_net *n = s->net;
        int r = 0;
        if (!n->nl && (r = net_nl_open(&n->nl, err)) < 0)
                return r;
        bool todo = setup;
        for (size_t i = 0; i < n->n_defs; i++)
                todo |= n->defs[i].ifindex <= 0;
        if (!todo)
                return 0;
        int lk = net_host_lock();
        struct net_bridge_info *b = NULL;
        size_t nb = 0;
        r = net_bridges_list(n->nl, &b, &nb, err);
        for (size_t i = 0; i < n->n_defs && r >= 0; i++) {
                struct net_def *d = &n->defs[i];
                if (d->ifindex > 0)
                        continue;
                bool existed = net__find(b, nb, d->bridge) != NULL;
                r = net__ensure_in(n, d, &b, &nb, err);
                if (r >= 0 && !existed && !d->external)
                        cc_sup_progress(s, " Network %s  Created", d->full);
                /* the gateway's IPv6 address (also on a bridge made before) */
                if (r >= 0 && d->ipv6 && !d->foreign)
                        r = net_link_addr6_add(n->nl, d->ifindex, d->gw6, d->sub6.prefix, err);
        }
        struct net_nft_plan plan = {0};
        if (r >= 0)
                r = net_nft_sync_plan(b, nb, &plan, err);
        free(b);
        if (r >= 0 && setup) {
                net__adopt(s);
                int t = net_nft_table_get(n->table, NULL, err);
                cc_error_clear(err);
                n->dnat_table = t != 0; /* not known: as if there */
                net__dnat_rules(n, &plan);
        }
        if (r >= 0)
                r = net_nft_plan_apply(&plan, err);
        if (r < 0 && setup)
                n->dnat_table = true;
        net_nft_plan_free(&plan);
        net_host_unlock(lk);
        return r;
}

int cc_sup_net_use(struct cc_sup *s, const struct cc_node *def, struct cc_error *err)
{
        struct cc_node *nets = net__svc_nets(def);
        if (!s->net || !nets)
                return 0;
        int r = 0;
        for (size_t i = 0; i < nets->n && r >= 0; i++)
                r = net__add_def(s, cc_node_key(nets, i), err);
        return r < 0 ? r : net__prepare(s, false, err);
}

int cc_sup_net_setup(struct cc_sup *s, struct cc_error *err)
{
        struct cc_net *n = cc_xcalloc(1, sizeof(*n));
        s->net = n;
        n->scope = cc_xstrdup(s->cli->runtime_dir);
        n->owner = net__owner(s->cli->runtime_dir, s->project->name);
        n->table = net__table(n->owner);
        net_dns_host_upstream(&n->upstream);
        _cleanup_free_ char *dir = cc_state_dir(s->cli->runtime_dir, s->project->name);
        n->addr_path = cc_xasprintf("%s/network.json", dir);
        n->addrs = json_object_from_file(n->addr_path);
        if (!n->addrs || !json_object_is_type(n->addrs, json_type_object)) {
                json_object_put(n->addrs);
                n->addrs = json_object_new_object();
        }
        /* only the networks some service uses */
        struct cc_node *defs = cc_node_map_get(s->project->model, "networks");
        int r = 0;
        for (size_t i = 0; cc_node_is_map(defs) && i < defs->n && r >= 0; i++) {
                const char *key = cc_node_key(defs, i);
                bool used = false;
                for (size_t k = 0; k < s->n_svcs && !used; k++)
                        used = s->svcs[k].phase != CC_SVC_IDLE && cc_node_map_get(net__svc_nets(s->svcs[k].def), key);
                for (size_t k = 0; k < s->n_svcs && !used; k++)
                        for (size_t j = 0; j < s->svcs[k].n_ctrs && !used; j++)
                                used = s->svcs[k].ctrs[j]->c && cc_node_map_get(net__svc_nets(s->svcs[k].def), key);
                if (used)
                        r = net__add_def(s, key, err);
        }
        if (r < 0 || n->n_defs == 0)
                return r;
        return net__prepare(s, true, err);
}

void cc_sup_net_spec(struct cc_sup_ctr *c, struct cc_container_spec *spec)
{
        /* network_mode service:NAME shares NAME's namespace, and so its DNS
         * server (as Docker shares the sandbox's resolv.conf) */
        const char *nm = cc_node_map_str(c->svc->def, "network_mode");
        if (nm && cc_startswith(nm, "service:")) {
                struct cc_sup_svc *t = cc_sup_svc_find(c->sup, nm + strlen("service:"));
                spec->embedded_dns = t && net__svc_nets(t->def) != NULL;
                return;
        }
        if (!c->sup->net || !c->sup->net->nl || spec->net != CC_NET_PRIVATE || !net__svc_nets(c->svc->def))
                return;
        spec->net_attach = cc_sup_net_attach;
        spec->embedded_dns = true;
        spec->net_attach_data = c;
}

/* The container's veths, one per network of its service, with their
 * addresses (allocated on first use); nothing is left on failure. */
/* "02:42:ac:11:00:02": six hexadecimal pairs; a unicast address */
static bool net__parse_mac(const char *s, uint8_t out[6])
{
        for (int i = 0; i < 6; i++, s += 3) {
                if (!isxdigit((unsigned char) s[0]) || !isxdigit((unsigned char) s[1]) || s[2] != (i < 5 ? ':' : '\0'))
                        return false;
                out[i] = (uint8_t) strtoul((char[3]){s[0], s[1], '\0'}, NULL, 16);
        }
        return !(out[0] & 1);
}

/* mac_address of the service's network `key`, else the service's own
 * for its first interface, as docker compose gives it */
static int net__mac(const struct cc_node *def, const struct cc_node *nets, const char *key, size_t m, uint8_t out[6],
                    const uint8_t **set, struct cc_error *err)
{
        const char *mac = cc_node_map_str(cc_node_map_get(nets, key), "mac_address");
        if (!mac && m == 0)
                mac = cc_node_map_str(def, "mac_address");
        *set = NULL;
        if (!mac || !*mac)
                return 0;
        if (!net__parse_mac(mac, out))
                return cc_error_set(err, -EINVAL, "network %s: invalid mac_address \"%s\"", key, mac);
        *set = out;
        return 0;
}

static long long net__prio(const struct cc_node *nets, size_t i, const char *key)
{
        const char *v = cc_node_map_str(nets->items[i], key);
        return v ? strtoll(v, NULL, 10) : 0;
}

/* The service's networks in the order their interfaces are made (eth0
 * first): priority, highest first, then name, as docker compose connects
 * them. */
static void net__if_order(const struct cc_node *nets, size_t *idx, size_t n)
{
        for (size_t i = 0; i < n; i++)
                idx[i] = i;
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && net__prio(nets, idx[j], "priority") > net__prio(nets, idx[j - 1], "priority");
                     j--) {
                        size_t t = idx[j];
                        idx[j] = idx[j - 1];
                        idx[j - 1] = t;
                }
}

/* Its interfaces on its service's networks (only: on that one alone, as
 * eth<slot>, no default route: network connect). */
static int net__attach_ifs(struct cc_net *n, pid_t pid, const char *id, const char *name,
                           const struct cc_node *def, const char *only, size_t slot, struct cc_error *err)
{
        struct cc_node *nets = net__svc_nets(def);
        struct net_ifconf ifs[16];
        char hnames[16][16], ifnames[16][16];
        uint8_t ip6s[16][16], macs[16][6];
        _cleanup_free_ char *alias = cc_xasprintf("ccompose %s %s", n->owner, name);
        size_t m = 0, order[16];
        size_t n_nets = nets ? (nets->n < CC_ARRAY_SIZE(ifs) ? nets->n : CC_ARRAY_SIZE(ifs)) : 0;
        net__if_order(nets, order, n_nets);
        /* the default route: the network of the highest gw_priority (the
         * first in order among equals), internal ones never */
        const char *gw_key = NULL;
        long long gw_best = 0;
        for (size_t k = 0; k < n_nets; k++) {
                struct net_def *d = net__def(n, cc_node_key(nets, order[k]));
                long long g = net__prio(nets, order[k], "gw_priority");
                if (d && !d->internal && (!gw_key || g > gw_best)) {
                        gw_key = d->key;
                        gw_best = g;
                }
        }
        int r = 0;
        for (size_t k = 0; k < n_nets && r >= 0; k++) {
                size_t i = order[k];
                if (only && strcmp(cc_node_key(nets, i), only) != 0)
                        continue;
                struct net_def *d = net__def(n, cc_node_key(nets, i));
                uint32_t ip;
                if (!d)
                        return cc_error_set(err, -ENOENT, "network %s is not defined", cc_node_key(nets, i));
                if ((r = net__addr(n, name, def, d, &ip, err)) < 0)
                        break;
                const char *want = cc_node_map_str(cc_node_map_get(nets, d->key), "interface_name");
                if (want && (strlen(want) >= sizeof(ifnames[m]) || !*want || strpbrk(want, "/: \t"))) {
                        r = cc_error_set(err, -EINVAL,
                                         "network %s: interface_name \"%s\" is not a valid interface name "
                                         "(1 to 15 characters, no '/', ':' or blank)", d->full, want);
                        break;
                }
                net_veth_name(id, d->key, hnames[m]);
                snprintf(ifnames[m], sizeof(ifnames[m]), "%s", want ? want : "");
                if (!want)
                        snprintf(ifnames[m], sizeof(ifnames[m]), "eth%zu", only ? slot : m);
                ifs[m] = (struct net_ifconf){
                        .host_name = hnames[m], .alias = alias, .ifname = ifnames[m],
                        .bridge_ifindex = d->ifindex, .ip = ip, .prefix = d->subnet.prefix, .gateway = d->gw,
                        .default_route = !only && gw_key && strcmp(gw_key, d->key) == 0, .mtu = d->mtu,
                };
                if ((r = net__mac(def, nets, d->key, m, macs[m], &ifs[m].mac, err)) < 0)
                        break;
                if (d->ipv6 && !d->foreign) {
                        if ((r = net__addr6(n, name, def, d, ip6s[m], err)) < 0)
                                break;
                        ifs[m].ip6 = ip6s[m];
                        ifs[m].prefix6 = d->sub6.prefix;
                        ifs[m].gateway6 = d->gw6;
                }
                m++;
        }
        if (r >= 0 && (r = net_veth_attach(n->nl, pid, ifs, m, err)) >= 0)
                return 0;
        for (size_t i = 0; i < m; i++) {
                struct cc_error e2 = {0};
                net_link_delete(n->nl, hnames[i], &e2);
                cc_error_clear(&e2);
        }
        return r;
}

static void net__detach_ifs(struct cc_net *n, const char *id, const struct cc_node *def)
{
        struct cc_node *nets = net__svc_nets(def);
        for (size_t i = 0; nets && i < nets->n && n->nl; i++) {
                char name[16];
                struct cc_error e = {0};
                net_veth_name(id, cc_node_key(nets, i), name);
                net_link_delete(n->nl, name, &e);
                cc_error_clear(&e);
        }
}

/* A bridge of the service's networks that went since it was made or
 * found (Docker's bridge network, removed by the last API service while
 * no container was on it; an external network another project's down
 * removed) is made again. */
static int net__remake_gone(struct cc_sup *s, const struct cc_node *def, struct cc_error *err)
{
        struct cc_node *nets = net__svc_nets(def);
        bool gone = false;
        for (size_t i = 0; nets && i < nets->n; i++) {
                struct net_def *d = net__def(s->net, cc_node_key(nets, i));
                char name[IF_NAMESIZE];
                if (d && d->ifindex > 0 && !d->foreign &&
                    (!if_indextoname((unsigned) d->ifindex, name) || strcmp(name, d->bridge) != 0)) {
                        d->ifindex = 0;
                        gone = true;
                }
        }
        return gone ? net__prepare(s, false, err) : 0;
}

int cc_sup_net_attach(pid_t pid, void *data, struct cc_error *err)
{
        struct cc_sup_ctr *c = data;
        struct cc_sup *s = c->sup;
        struct cc_net *n = s->net;
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        int r = net__remake_gone(s, c->svc->def, err);
        if (r >= 0)
                r = net__attach_ifs(n, pid, c->id, st->name, c->svc->def, NULL, 0, err);
        if (r < 0)
                return r;
        struct net_ctr *nc = net__ctr(n, c->id, true);
        r = net__open_ports(s, c, nc, err);
        if (r >= 0)
                r = net__dns_start(s, nc, pid, c->svc->def, err);
        nc->running = r >= 0;
        if (r >= 0)
                net__ports_backed(nc, true);
        if (r >= 0 && nc->n_dnat > 0)
                net__dnat_later(s);
        if (r < 0) {
                net__close_ports(nc);
                net__dns_stop(nc);
                net__detach_ifs(n, c->id, c->svc->def);
                return r;
        }
        net__write_hosts(s, c);
        return 0;
}

int cc_sup_net_attach_oneoff(struct cc_sup *s, const char *service, const char *id, const char *name, pid_t pid,
                             struct cc_error *err)
{
        const struct cc_node *def = cc_node_map_get(cc_node_map_get(s->project->model, "services"), service);
        if (!def)
                return cc_error_set(err, -ENOENT, "no such service: %s", service);
        int r = cc_sup_net_use(s, def, err);
        if (r < 0 || !s->net || !s->net->nl || !net__svc_nets(def))
                return r;
        if ((r = net__remake_gone(s, def, err)) < 0)
                return r;
        if ((r = net__attach_ifs(s->net, pid, id, name, def, NULL, 0, err)) < 0)
                return r;
        /* not running: no peer sees it (as docker compose run without
         * --use-aliases); it sees them through its DNS server */
        struct net_ctr *nc = net__ctr(s->net, id, true);
        nc->def = def;
        free(nc->name);
        nc->name = cc_xstrdup(name);
        if ((r = net__dns_start(s, nc, pid, def, err)) < 0) {
                net__detach_ifs(s->net, id, def);
                return r;
        }
        struct net_hosts_entry *e = NULL;
        size_t ne = 0;
        net__oneoff_self(s->net, def, id, name, &e, &ne);
        net__hosts_write_for(s, def, id, e, ne);
        return 0;
}

void cc_sup_net_detach_oneoff(struct cc_sup *s, const char *service, const char *id, const char *name)
{
        const struct cc_node *def = cc_node_map_get(cc_node_map_get(s->project->model, "services"), service);
        struct cc_net *n = s->net;
        if (!n || !def)
                return;
        net__detach_ifs(n, id, def);
        struct net_ctr *nc = net__ctr(n, id, false);
        if (nc)
                net__dns_stop(nc);
        cc_sup_net_removed(s, id);
        if (json_object_object_get_ex(n->addrs, name, NULL)) {
                json_object_object_del(n->addrs, name);
                net__save_addrs(n);
        }
}

/* A running container of the project by ID, with its state; NULL after
 * setting err. */
static struct cc_sup_ctr *net__running(struct cc_sup *s, const char *id, struct cc_ctr_state **st,
                                       struct cc_error *err)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        if (strcmp(c->id, id) == 0 && c->c && (*st = cc_sup_ctr_state(c)))
                                return c;
                }
        cc_error_set(err, -ESRCH, "container %s is not running in project %s", id, s->project->name);
        return NULL;
}

int cc_sup_net_connect(struct cc_sup *s, const char *id, const char *key, struct cc_error *err)
{
        struct cc_ctr_state *st = NULL;
        struct cc_sup_ctr *c = net__running(s, id, &st, err);
        if (!c)
                return -ESRCH;
        if (!s->net || !cc_node_map_get(net__svc_nets(c->svc->def), key))
                return cc_error_set(err, -ENOENT, "container %s: network %s is not one of service %s's", st->name, key,
                                    c->svc->name);
        int r = net__add_def(s, key, err);
        if (r >= 0)
                r = net__prepare(s, false, err);
        /* the next ethN, or a later one when a disconnect left that taken */
        size_t n_nets = net__svc_nets(c->svc->def)->n;
        for (size_t slot = n_nets - 1; r >= 0; slot++) {
                r = net__attach_ifs(s->net, cc_container_pid(c->c), c->id, st->name, c->svc->def, key, slot, err);
                if (r != -EEXIST || slot >= n_nets + 16)
                        break;
                cc_error_clear(err);
                r = 0;
        }
        if (r < 0)
                return cc_error_prefix(err, "container %s: connecting it to network %s", st->name, key);
        net__write_hosts(s, c);
        return 0;
}

int cc_sup_net_disconnect(struct cc_sup *s, const char *id, const char *key, struct cc_error *err)
{
        struct cc_ctr_state *st = NULL;
        struct cc_sup_ctr *c = net__running(s, id, &st, err);
        if (!c)
                return -ESRCH;
        struct cc_net *n = s->net;
        struct net_def *d = n ? net__def(n, key) : NULL;
        if (!d || !n->nl)
                return cc_error_set(err, -ENOENT, "container %s is not connected to network %s", st->name, key);
        char veth[16];
        net_veth_name(id, key, veth);
        int r = net_link_delete(n->nl, veth, err);
        if (r < 0)
                return cc_error_prefix(err, "container %s: disconnecting it from network %s", st->name, key);
        json_object *m = NULL;
        if (json_object_object_get_ex(n->addrs, st->name, &m)) {
                _cleanup_free_ char *k6 = cc_xasprintf("%s/6", d->full);
                json_object_object_del(m, d->full);
                json_object_object_del(m, k6);
                net__save_addrs(n);
        }
        net__write_hosts(s, c);
        return 0;
}

static bool net__joined(struct cc_sup *s, struct cc_sup_ctr *c)
{
        _cleanup_free_ char *mode = cc_xasprintf("service:%s", c->svc->name);
        for (size_t i = 0; i < s->n_svcs; i++) {
                const char *nm = cc_node_map_str(s->svcs[i].def, "network_mode");
                if (!nm || strcmp(nm, mode) != 0)
                        continue;
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++)
                        if (s->svcs[i].ctrs[j]->c)
                                return true;
        }
        return false;
}

void cc_sup_net_exited(struct cc_sup_ctr *c)
{
        struct cc_net *n = c->sup->net;
        struct net_ctr *nc = n ? net__ctr(n, c->id, false) : NULL;
        if (!nc || !nc->running)
                return;
        nc->running = false;
        net__ports_backed(nc, false);
        net__dns_stop(nc);
        /* its veths go with its network namespace (the kernel batches
         * that; a delete of each costs a synchronize_net), unless another
         * container lives in that namespace (network_mode: service:) */
        if (net__joined(c->sup, c))
                net__detach_ifs(n, c->id, c->svc->def);
        if (nc->n_dnat > 0 && n->nl)
                net__dnat_later(c->sup);
}

void cc_sup_net_removed(struct cc_sup *s, const char *id)
{
        struct cc_net *n = s->net;
        if (!n)
                return;
        for (size_t i = 0; i < n->n_ctrs; i++) {
                struct net_ctr *nc = n->ctrs[i];
                if (strcmp(nc->id, id) != 0)
                        continue;
                net__close_ports(nc);
                net__dns_stop(nc);
                for (size_t k = 0; k < s->state->n_ctrs; k++)
                        if (strcmp(s->state->ctrs[k].id, id) == 0) {
                                json_object_object_del(n->addrs, s->state->ctrs[k].name);
                                net__save_addrs(n);
                        }
                free(nc->id);
                free(nc->name);
                free(nc);
                n->ctrs[i] = n->ctrs[--n->n_ctrs];
                return;
        }
}

void cc_sup_net_close(struct cc_sup *s)
{
        struct cc_net *n = s->net;
        for (size_t i = 0; n && i < n->n_ctrs; i++) {
                net__close_ports(n->ctrs[i]);
                net__dns_stop(n->ctrs[i]);
        }
        if (n && n->dnat_timer_on) {
                /* a handover: the next supervisor finds the rules right */
                net__dnat_timer_cb(&n->dnat_timer);
                uv_close((uv_handle_t *) &n->dnat_timer, NULL);
                n->dnat_timer_on = false;
        }
}

void cc_sup_net_free(struct cc_sup *s)
{
        struct cc_net *n = s->net;
        if (!n)
                return;
        for (size_t i = 0; i < n->n_ctrs; i++) {
                free(n->ctrs[i]->proxies);
                free(n->ctrs[i]->dnat);
                free(n->ctrs[i]->id);
                free(n->ctrs[i]->name);
                free(n->ctrs[i]);
        }
        free(n->ctrs);
        for (size_t i = 0; i < n->n_defs; i++) {
                free(n->defs[i].key);
                free(n->defs[i].full);
        }
        free(n->defs);
        json_object_put(n->addrs);
        net_nl_close(n->nl);
        free(n->scope);
        free(n->owner);
        free(n->table);
        cc_strv_free(&n->upstream);
        free(n->addr_path);
        free(n);
        s->net = NULL;
}

/* ---- down ---- */

#define NET__NO_OWNER "-" /* never a project's name (cc_state_name_valid) */

/* A bridge another project of this runtime dir made, left when that
 * project went down while ours was still on it (external), and now
 * without a container: "ccompose <project>@<hash> <network>" where no
 * state of <project> is left, or whose project gave it up (net__disown). */
char *net__alias_owner(const char *alias, const char **at, const char **rest)
{
        if (!cc_startswith(alias, "ccompose "))
                return NULL;
        const char *o = alias + strlen("ccompose "), *a = strchr(o, '@'), *sp = strchr(o, ' ');
        if (!a || !sp || a > sp)
                return NULL;
        if (at)
                *at = a;
        if (rest)
                *rest = sp + 1;
        return cc_xstrndup(o, (size_t) (a - o));
}

static bool net__orphan(const char *runtime_dir, const char *owner, const char *alias)
{
        const char *at = NULL, *our_at = strchr(owner, '@');
        _cleanup_free_ char *project = net__alias_owner(alias, &at, NULL);
        if (!project || !our_at || strncmp(at, our_at, strlen(our_at)) != 0 || at[strlen(our_at)] != ' ')
                return false;
        if (net__docker_owner(project))
                return !net__docker_served(runtime_dir);
        if (strcmp(project, NET__NO_OWNER) == 0)
                return true;
        _cleanup_free_ char *dir = cc_state_dir(runtime_dir, project);
        return access(dir, F_OK) < 0 && errno == ENOENT;
}

/* A bridge of ours that other projects' containers are still on
 * (external): it gets the owner "-", whose state never exists, so that
 * the down of the last project on it removes it as an orphan, also when
 * that down comes while ours has not ended (its state still there: two
 * projects removed at once). Best effort: a bridge whose alias stays ours
 * goes as before, once our state is gone. */
static void net__disown(struct net_nl *nl, struct net_bridge_info *b)
{
        const char *at = NULL, *rest = NULL;
        _cleanup_free_ char *project = net__alias_owner(b->alias, &at, &rest);
        if (!project)
                return;
        _cleanup_free_ char *alias = cc_xasprintf("ccompose %s%.*s %s", NET__NO_OWNER, (int) (rest - 1 - at), at, rest);
        struct cc_error e = {0};
        if (net_link_set_alias(nl, b->name, alias, &e) == 0)
                snprintf(b->alias, sizeof(b->alias), "%s", alias);
        cc_error_clear(&e);
}

int net_project_remove(const char *runtime_dir, const char *project, struct cc_error *err)
{
        struct net_nl *nl = NULL;
        int r = net_nl_open(&nl, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *owner = net__owner(runtime_dir, project);
        _cleanup_free_ char *prefix = cc_xasprintf("ccompose %s ", owner);
        /* the veths going with their namespaces (the kernel takes ~15 ms
         * after the last process): waited for without the host-wide lock,
         * so that other projects' containers start meanwhile; those left
         * then are deleted under it */
        r = net_links_wait_alias(nl, prefix, 1000, err);
        int lk = net_host_lock();
        if (r >= 0)
                r = net_links_delete_alias(nl, prefix, 0, err);
        struct net_bridge_info *b = NULL;
        size_t nb = 0, kept = 0;
        bool removed = false; /* a bridge */
        if (r >= 0)
                r = net_bridges_list(nl, &b, &nb, err);
        for (size_t i = 0; i < nb && r >= 0; i++) {
                const char *full = strchr(b[i].alias + strlen("ccompose "), ' ');
                /* ours, and no other project's container is on it
                 * (external), and not Docker's bridge network while an
                 * API service runs */
                if (b[i].n_ports > 0 || !full || net__docker_kept(runtime_dir, &b[i]) ||
                    (!cc_startswith(b[i].alias, prefix) && !net__orphan(runtime_dir, owner, b[i].alias))) {
                        if (b[i].n_ports > 0 && full && cc_startswith(b[i].alias, prefix))
                                net__disown(nl, &b[i]);
                        b[kept++] = b[i];
                        continue;
                }
                full++;
                fprintf(cc_cli_status(), " Network %.*s  Removing\n", (int) strcspn(full, " "), full);
                r = net_link_delete(nl, b[i].name, err);
                removed = true;
                if (r >= 0)
                        fprintf(cc_cli_status(), " Network %.*s  Removed\n", (int) strcspn(full, " "), full);
        }
        /* the table follows the bridges that exist, and goes with the last
         * one: also when an earlier down was cut short (network.json, kept
         * until the project's directory goes, says it had addresses, so
         * ports). Not for a project that never had a network (docker run
         * --network none): nothing of it is in the tables. Both tables in
         * one transaction, and none when neither changes. */
        _cleanup_free_ char *addrs = cc_xasprintf("%s/%s/network.json", runtime_dir, project);
        struct net_nft_plan plan = {0};
        if (r >= 0 && (removed || access(addrs, F_OK) == 0 || errno != ENOENT)) {
                _cleanup_free_ char *table = net__table(owner);
                r = net_nft_sync_plan(b, kept, &plan, err);
                struct cc_error e2 = {0};
                if (r >= 0 && net_nft_table_get(table, NULL, &e2) != 0) { /* there, or not known: deleted */
                        _cleanup_free_ char *rules = net_nft_ports_ruleset(table, NULL, 0);
                        _cleanup_free_ char *what = cc_xasprintf("table ip %s", table);
                        net_nft_plan_add(&plan, what, rules);
                }
                cc_error_clear(&e2);
                if (r >= 0)
                        r = net_nft_plan_apply(&plan, err);
        }
        net_nft_plan_free(&plan);
        free(b);
        net_host_unlock(lk);
        net_nl_close(nl);
        return r;
}
