/* Published ports: a proxy per port holds it (and serves IPv6, internal
 * networks, bridges made by hand); the project's nftables table forwards
 * it in the kernel (DNAT), rebuilt once per loop turn. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sup-net-internal.h"
#include "nft.h"
#include "portproxy.h"
#include "state.h"
#include "sup-internal.h"

void net__close_ports(struct net_ctr *nc)
{
        for (size_t i = 0; i < nc->n_proxies; i++)
                net_proxy_close(nc->proxies[i]);
        free(nc->proxies);
        nc->proxies = NULL;
        nc->n_proxies = 0;
        free(nc->dnat);
        nc->dnat = NULL;
        nc->n_dnat = 0;
        nc->ports_open = false;
}

void net__ports_backed(struct net_ctr *nc, bool backed)
{
        for (size_t i = 0; i < nc->n_proxies; i++)
                net_proxy_set_backed(nc->proxies[i], backed);
}

/* The project's table of published ports: every port of a running
 * container. The proxies stay open beside it: they hold the ports (a
 * second project cannot take them), serve IPv6 and internal networks,
 * and carry what the kernel does not forward. Added to plan when the
 * project has or had published ports (the table exists). */
void net__dnat_rules(struct cc_net *n, struct net_nft_plan *plan)
{
        struct net_dnat *all = NULL;
        size_t na = 0;
        for (size_t i = 0; i < n->n_ctrs; i++) {
                struct net_ctr *nc = n->ctrs[i];
                if (!nc->running || nc->n_dnat == 0)
                        continue;
                all = cc_xrealloc(all, (na + nc->n_dnat) * sizeof(*all));
                memcpy(all + na, nc->dnat, nc->n_dnat * sizeof(*all));
                na += nc->n_dnat;
        }
        n->dnat_dirty = false;
        if (na > 0 || n->dnat_table) {
                _cleanup_free_ char *rules = net_nft_ports_ruleset(n->table, all, na);
                _cleanup_free_ char *what = cc_xasprintf("table ip %s", n->table);
                net_nft_plan_add(plan, what, rules);
                n->dnat_table = na > 0;
        }
        free(all);
}

static int net__sync_dnat(struct cc_net *n, struct cc_error *err)
{
        struct net_nft_plan plan = {0};
        net__dnat_rules(n, &plan);
        int r = net_nft_plan_apply(&plan, err);
        if (r < 0)
                n->dnat_table = true; /* whatever is left goes next time */
        net_nft_plan_free(&plan);
        return r;
}

void net__dnat_timer_cb(uv_timer_t *t)
{
        struct cc_sup *s = t->data;
        struct cc_error err = {0};
        /* down: its net_project_remove deletes the table, in the same
         * transaction as the shared table's change */
        if (s->net->dnat_dirty && !s->state->going && net__sync_dnat(s->net, &err) < 0)
                cc_sup_progress(s, "published ports: %s", cc_error_msg(&err));
        cc_error_clear(&err);
}

void net__dnat_later(struct cc_sup *s)
{
        struct cc_net *n = s->net;
        if (!n->dnat_timer_on) {
                uv_timer_init(s->loop, &n->dnat_timer);
                n->dnat_timer.data = s;
                n->dnat_timer_on = true;
        }
        n->dnat_dirty = true;
        if (!uv_is_active((uv_handle_t *) &n->dnat_timer))
                uv_timer_start(&n->dnat_timer, net__dnat_timer_cb, 0, 0);
}

/* Add who holds a port to the error: a process, or a project of ours. */
static void net__name_holder(struct cc_sup *s, bool udp, int port, struct cc_error *err)
{
        char comm[64];
        pid_t pid = net_port_holder(udp, port, comm, sizeof(comm));
        if (pid <= 0)
                return;
        _cleanup_free_ char *who = cc_xasprintf("process %d (%s)", (int) pid, comm);
        DIR *dir = strcmp(comm, "ccompose") == 0 ? opendir(s->cli->runtime_dir) : NULL;
        for (struct dirent *de; dir && (de = readdir(dir));) {
                struct cc_state *st = NULL;
                struct cc_error e = {0};
                if (de->d_name[0] != '.' && cc_state_load(s->cli->runtime_dir, de->d_name, &st, &e) >= 0 && st &&
                    st->supervisor_pid == pid) {
                        free(who);
                        who = cc_xasprintf("project %s (its supervisor, pid %d)", de->d_name, (int) pid);
                }
                cc_error_clear(&e);
                cc_state_free(st);
        }
        if (dir)
                closedir(dir);
        _cleanup_free_ char *msg = cc_xstrdup(cc_error_msg(err));
        cc_error_clear(err);
        cc_error_set(err, -EADDRINUSE, "%s; held by %s", msg, who);
}

static bool net__host_has_ipv6(void)
{
        FILE *f = fopen("/proc/net/if_inet6", "re");
        bool yes = f && fgetc(f) != EOF;
        if (f)
                fclose(f);
        return yes;
}

/* One listening proxy, recorded with the container and in its PORTS text. */
static int net__proxy_add(struct cc_sup *s, struct net_ctr *nc, struct cc_buf *desc, bool udp, const char *hip,
                          int port, const char *ip, int target, int *bound, struct cc_error *err)
{
        struct net_proxy *px = NULL;
        int r = net_proxy_open(s->loop, udp, hip, port, ip, target, &px, bound, err);
        if (r < 0)
                return r;
        nc->proxies = cc_xrealloc(nc->proxies, (nc->n_proxies + 1) * sizeof(*nc->proxies));
        nc->proxies[nc->n_proxies++] = px;
        bool v6 = hip && strchr(hip, ':');
        cc_buf_printf(desc, "%s%s%s%s:%d->%d/%s", desc->len ? ", " : "", v6 ? "[" : "", hip && *hip ? hip : "0.0.0.0",
                      v6 ? "]" : "", *bound, target, udp ? "udp" : "tcp");
        return 0;
}

int net__open_ports(struct cc_sup *s, struct cc_sup_ctr *c, struct net_ctr *nc, struct cc_error *err)
{
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        struct cc_node *ports = cc_node_map_get(c->svc->def, "ports");
        struct cc_node *nets = net__svc_nets(c->svc->def);
        if (nc->ports_open || !st || !cc_node_is_seq(ports) || !nets || nets->n == 0)
                return 0;
        /* the address on its first network with a route out (the host
         * reaches every bridge; the kernel forwards only to those) */
        size_t k0 = 0;
        for (size_t k = nets->n; k-- > 0;) {
                struct net_def *d = net__def(s->net, cc_node_key(nets, k));
                if (d && !d->internal && !d->foreign)
                        k0 = k;
        }
        const char *ip = net__ip_of(s->net, st->name, cc_node_key(nets, k0));
        struct net_def *d0 = net__def(s->net, cc_node_key(nets, k0));
        uint32_t ip4 = 0;
        if (!ip || net_ip_parse(ip, &ip4) < 0)
                return 0;
        struct cc_buf desc = {0};
        int r = 0;
        for (size_t i = 0; i < ports->n && r >= 0; i++) {
                struct cc_node *p = ports->items[i];
                const char *hip = cc_node_map_str(p, "host_ip");
                const char *tgt = cc_node_map_str(p, "target");
                const char *pub = cc_node_map_str(p, "published");
                const char *proto = cc_node_map_str(p, "protocol");
                bool udp = proto && strcmp(proto, "udp") == 0;
                if (proto && !udp && strcmp(proto, "tcp") != 0) {
                        r = cc_error_set(err, -ENOTSUP, "published port %s/%s: only tcp and udp", tgt, proto);
                        break;
                }
                int lo = 0, hi = 0, target = atoi(tgt ? tgt : "0");
                if (pub && *pub) {
                        lo = hi = atoi(pub);
                        const char *dash = strchr(pub, '-');
                        if (dash)
                                hi = atoi(dash + 1);
                }
                int bound = 0;
                for (int port = lo; port <= hi; port++) {
                        cc_error_clear(err);
                        if ((r = net__proxy_add(s, nc, &desc, udp, hip, port, ip, target, &bound, err)) == 0)
                                break;
                }
                if (r == -EADDRINUSE && lo > 0)
                        net__name_holder(s, udp, lo, err);
                if (r < 0)
                        break;
                uint32_t hip4 = 0;
                if (d0 && !d0->internal && !d0->foreign && (!hip || !*hip || net_ip_parse(hip, &hip4) == 0)) {
                        nc->dnat = cc_xrealloc(nc->dnat, (nc->n_dnat + 1) * sizeof(*nc->dnat));
                        nc->dnat[nc->n_dnat++] = (struct net_dnat){
                                .udp = udp, .host_ip = hip4, .published = bound, .target_ip = ip4, .target = target,
                        };
                }
                /* no host_ip: IPv6 too where the host has it, as Docker
                 * does ("[::]:8080->80/tcp"), on the same port; an
                 * ephemeral port taken on IPv6 only is left to IPv4 */
                if ((!hip || !*hip) && net__host_has_ipv6()) {
                        struct cc_error e6 = {0};
                        int b6;
                        r = net__proxy_add(s, nc, &desc, udp, "::", bound, ip, target, &b6, lo ? err : &e6);
                        if (r < 0 && !lo)
                                r = 0;
                        cc_error_clear(&e6);
                }
        }
        if (r < 0) {
                net__close_ports(nc);
                cc_buf_free(&desc);
                return r;
        }
        nc->ports_open = true;
        free(st->ports);
        st->ports = cc_buf_steal(&desc);
        return 0;
}
