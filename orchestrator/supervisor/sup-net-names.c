/* Names: each container's /etc/hosts (itself and extra_hosts) and its
 * embedded DNS server's answers (what it shares a network with, also
 * with other projects on an external network). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns.h"
#include "hosts.h"
#include "sup-net-internal.h"
#include "netlink.h"
#include "state.h"
#include "sup-internal.h"

/* ---- /etc/hosts ---- */

void net__add_name(struct cc_buf *b, const char *name)
{
        if (!name || !*name)
                return;
        /* no duplicates on one line */
        size_t len = strlen(name);
        for (const char *p = b->s; p && (p = strstr(p, name)); p += len)
                if ((p == b->s || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
                        return;
        if (b->len)
                cc_buf_putc(b, ' ');
        cc_buf_puts(b, name);
}

/* Was project made by the API service for a container (`docker run`)?
 * Then its service's name is none of the container's names. */
static bool net__api_made(const char *runtime_dir, const char *project)
{
        _cleanup_free_ char *rec = cc_xasprintf("%s/%s/%s", runtime_dir, project, CC_STATE_API_RECORD);
        return access(rec, F_OK) == 0;
}

static char *net__names(struct cc_sup_ctr *c, const char *key, bool self, bool by_service)
{
        struct cc_buf b = {0};
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        const char *hn = cc_node_map_str(c->svc->def, "hostname");
        char shortid[13];
        snprintf(shortid, sizeof(shortid), "%.12s", c->id);
        if (self)
                net__add_name(&b, hn ? hn : shortid);
        net__add_name(&b, st ? st->name : NULL);
        if (by_service)
                net__add_name(&b, c->svc->name);
        struct cc_node *al = cc_node_map_get(cc_node_map_get(cc_node_map_get(c->svc->def, "networks"), key), "aliases");
        for (size_t i = 0; cc_node_is_seq(al) && i < al->n; i++)
                net__add_name(&b, al->items[i]->str);
        if (hn)
                net__add_name(&b, hn);
        return cc_buf_steal(&b);
}

/* names plus the aliases xdef's links: give p's service ("db:database"):
 * names a linking container alone sees, on the networks it shares with p. */
static char *net__link_names(const struct cc_node *xdef, struct cc_sup_ctr *p, char *names)
{
        struct cc_node *links = cc_node_map_get(xdef, "links");
        struct cc_buf b = {0};
        cc_buf_puts(&b, names);
        free(names);
        for (size_t i = 0; cc_node_is_seq(links) && i < links->n; i++) {
                const char *l = links->items[i]->str, *colon = l ? strchr(l, ':') : NULL;
                size_t n = colon ? (size_t) (colon - l) : (l ? strlen(l) : 0);
                if (l && strlen(p->svc->name) == n && strncmp(l, p->svc->name, n) == 0)
                        net__add_name(&b, colon ? colon + 1 : l);
        }
        return cc_buf_steal(&b);
}

void net__entry(struct net_hosts_entry **e, size_t *ne, const char *ip, char *names)
{
        *e = cc_xrealloc(*e, (*ne + 1) * sizeof(**e));
        snprintf((*e)[*ne].ip, sizeof((*e)[*ne].ip), "%s", ip);
        (*e)[(*ne)++].names = names;
}

/* Entries of the running containers on any of the networks of xdef: x
 * (when given) first, as itself, then (peers) the others. */
void net__peer_entries(struct cc_sup *s, const struct cc_node *xdef, struct cc_sup_ctr *x, bool peers,
                              struct net_hosts_entry **e, size_t *ne)
{
        const struct cc_node *xnets = net__svc_nets(xdef);
        struct cc_net *n = s->net;
        bool by_service = !net__api_made(n->scope, s->project->name);
        for (int pass = 0; pass < (peers ? 2 : 1); pass++)
                for (size_t i = 0; i < s->n_svcs; i++)
                        for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                                struct cc_sup_ctr *p = s->svcs[i].ctrs[j];
                                struct net_ctr *pn = net__ctr(n, p->id, false);
                                struct cc_ctr_state *ps = cc_sup_ctr_state(p);
                                if ((pass == 0) != (p == x) || !pn || !pn->running || !ps)
                                        continue;
                                struct cc_node *pnets = net__svc_nets(p->svc->def);
                                for (size_t k = 0; k < xnets->n; k++) {
                                        const char *key = cc_node_key(xnets, k);
                                        const char *ip = net__ip_of(n, ps->name, key);
                                        const char *ip6 = net__ip6_of(n, ps->name, key);
                                        if (!ip || !cc_node_map_get(pnets, key))
                                                continue;
                                        char *names = net__link_names(xdef, p, net__names(p, key, p == x, by_service));
                                        net__entry(e, ne, ip, cc_xstrdup(names));
                                        if (ip6)
                                                net__entry(e, ne, ip6, cc_xstrdup(names));
                                        free(names);
                                }
                        }
}

/* Write a container's /etc/hosts: these entries and its extra_hosts;
 * frees the entries. */
void net__hosts_write_for(struct cc_sup *s, const struct cc_node *def, const char *id,
                                 struct net_hosts_entry *e, size_t ne)
{
        struct cc_strv extra = {0};
        struct cc_node *eh = cc_node_map_get(def, "extra_hosts");
        for (size_t i = 0; eh && i < eh->n; i++) {
                if (cc_node_is_seq(eh) && eh->items[i]->str)
                        cc_strv_push(&extra, eh->items[i]->str);
                else if (cc_node_is_map(eh) && eh->items[i]->str)
                        cc_strv_push_owned(&extra, cc_xasprintf("%s=%s", cc_node_key(eh, i), eh->items[i]->str));
        }
        _cleanup_free_ char *text = net_hosts_render(e, ne, &extra);
        for (size_t i = 0; i < ne; i++)
                free(e[i].names);
        free(e);
        cc_strv_free(&extra);
        _cleanup_free_ char *path = cc_xasprintf("%s/containers/%s/hosts", s->cli->root, id);
        net_hosts_write(path, text);
}

void net__write_hosts(struct cc_sup *s, struct cc_sup_ctr *x)
{
        struct cc_ctr_state *xs = cc_sup_ctr_state(x);
        struct cc_node *xnets = net__svc_nets(x->svc->def);
        if (!xs || !xnets)
                return;
        struct net_hosts_entry *e = NULL;
        size_t ne = 0;
        net__peer_entries(s, x->svc->def, x, false, &e, &ne);
        net__hosts_write_for(s, x->svc->def, x->id, e, ne);
}

/* A one-off's own entries: its addresses with its hostname (or short id)
 * and its name. */
void net__oneoff_self(struct cc_net *n, const struct cc_node *def, const char *id, const char *name,
                             struct net_hosts_entry **e, size_t *ne)
{
        struct cc_node *nets = net__svc_nets(def);
        const char *hn = cc_node_map_str(def, "hostname");
        for (size_t k = 0; nets && k < nets->n; k++) {
                const char *ip = net__ip_of(n, name, cc_node_key(nets, k));
                if (!ip)
                        continue;
                struct cc_buf b = {0};
                char shortid[13];
                snprintf(shortid, sizeof(shortid), "%.12s", id);
                net__add_name(&b, hn ? hn : shortid);
                net__add_name(&b, name);
                const char *ip6 = net__ip6_of(n, name, cc_node_key(nets, k));
                char *names = cc_buf_steal(&b);
                net__entry(e, ne, ip, cc_xstrdup(names));
                if (ip6)
                        net__entry(e, ne, ip6, cc_xstrdup(names));
                free(names);
        }
}

/* ---- the embedded DNS server ---- */

static bool net__has_name(const char *names, const char *name)
{
        size_t len = strlen(name);
        for (const char *p = names; *p;) {
                size_t w = strcspn(p, " ");
                if (w == len && strncasecmp(p, name, len) == 0)
                        return true;
                p += w;
                while (*p == ' ')
                        p++;
        }
        return false;
}

/* Is name one of the project's, on any network? (Then a container that
 * does not see it gets NXDOMAIN, not an answer from upstream.) */
static bool net__project_name(struct cc_sup *s, const char *name)
{
        bool by_service = !net__api_made(s->net->scope, s->project->name);
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct cc_sup_svc *svc = &s->svcs[i];
                if (by_service && strcasecmp(svc->name, name) == 0)
                        return true;
                const char *hn = cc_node_map_str(svc->def, "hostname");
                if (hn && strcasecmp(hn, name) == 0)
                        return true;
                struct cc_node *nets = net__svc_nets(svc->def);
                for (size_t k = 0; nets && k < nets->n; k++) {
                        struct cc_node *al = cc_node_map_get(nets->items[k], "aliases");
                        for (size_t a = 0; cc_node_is_seq(al) && a < al->n; a++)
                                if (al->items[a]->str && strcasecmp(al->items[a]->str, name) == 0)
                                        return true;
                }
                for (size_t j = 0; j < svc->n_ctrs; j++) {
                        struct cc_ctr_state *st = cc_sup_ctr_state(svc->ctrs[j]);
                        if (st && strcasecmp(st->name, name) == 0)
                                return true;
                }
        }
        return false;
}

static struct cc_sup_ctr *net__sup_ctr(struct cc_sup *s, const char *id)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++)
                        if (strcmp(s->svcs[i].ctrs[j]->id, id) == 0)
                                return s->svcs[i].ctrs[j];
        return NULL;
}

/* Is name one of the aliases a network.json records ("FULL/aliases")? */
static bool net__alias_of(json_object *mine, const char *full, const char *name)
{
        _cleanup_free_ char *key = cc_xasprintf("%s/aliases", full);
        json_object *a = NULL;
        json_object_object_get_ex(mine, key, &a);
        for (size_t i = 0; json_object_is_type(a, json_type_array) && i < json_object_array_length(a); i++)
                if (strcasecmp(json_object_get_string(json_object_array_get_idx(a, i)), name) == 0)
                        return true;
        return false;
}

/* Containers of the other projects of the runtime dir on a network the
 * asker is on (external: true), by container or service name (an API
 * container: its name or short ID), or an alias on that network: their
 * state.json says who runs, their network.json where and by which aliases. */
static void net__dns_elsewhere(struct cc_sup *s, const struct cc_node *def, const char *name,
                               struct net_dns_addrs *out)
{
        struct cc_net *nt = s->net;
        struct cc_node *nets = net__svc_nets(def);
        DIR *dir = nets ? opendir(nt->scope) : NULL;
        for (struct dirent *de; dir && (de = readdir(dir));) {
                if (de->d_name[0] == '.' || strcmp(de->d_name, s->project->name) == 0)
                        continue;
                _cleanup_free_ char *path = cc_xasprintf("%s/%s/network.json", nt->scope, de->d_name);
                json_object *addrs = json_object_from_file(path);
                struct cc_state *st = NULL;
                struct cc_error e = {0};
                bool by_service = !net__api_made(nt->scope, de->d_name);
                if (addrs && cc_state_load(nt->scope, de->d_name, &st, &e) >= 0 && st) {
                        for (size_t i = 0; i < st->n_ctrs; i++) {
                                struct cc_ctr_state *c = &st->ctrs[i];
                                json_object *mine = NULL, *ip = NULL;
                                if (c->status != CC_CTR_RUNNING || !json_object_object_get_ex(addrs, c->name, &mine))
                                        continue;
                                /* an API container: by its short ID, as docker's */
                                bool named = strcasecmp(c->name, name) == 0 ||
                                             (by_service ? strcasecmp(c->service, name) == 0
                                                         : strlen(name) == 12 && strncasecmp(c->id, name, 12) == 0);
                                for (size_t k = 0; k < nets->n; k++) {
                                        struct net_def *d = net__def(nt, cc_node_key(nets, k));
                                        if (d && !named && !net__alias_of(mine, d->full, name))
                                                continue;
                                        _cleanup_free_ char *k6 = d ? cc_xasprintf("%s/6", d->full) : NULL;
                                        if (d && json_object_object_get_ex(mine, d->full, &ip))
                                                net_dns_addrs_add(out, json_object_get_string(ip));
                                        if (d && json_object_object_get_ex(mine, k6, &ip))
                                                net_dns_addrs_add(out, json_object_get_string(ip));
                                }
                        }
                }
                cc_error_clear(&e);
                cc_state_free(st);
                json_object_put(addrs);
        }
        if (dir)
                closedir(dir);
}

/* What a container sees: the same entries its /etc/hosts would have with
 * every peer, the replicas of a service in a rotating order. */
static enum net_dns_result net__dns_lookup(void *data, const char *name, struct net_dns_addrs *out)
{
        struct net_ctr *nc = data;
        struct cc_sup *s = nc->sup;
        struct cc_sup_ctr *x = nc->def ? NULL : net__sup_ctr(s, nc->id);
        const struct cc_node *def = x ? x->svc->def : nc->def;
        if (!def)
                return NET_DNS_UNKNOWN;
        struct net_hosts_entry *e = NULL;
        size_t ne = 0;
        if (!x)
                net__oneoff_self(s->net, def, nc->id, nc->name, &e, &ne);
        net__peer_entries(s, def, x, true, &e, &ne);
        for (size_t i = 0; i < ne; i++) {
                if (net__has_name(e[i].names, name))
                        net_dns_addrs_add(out, e[i].ip);
                free(e[i].names);
        }
        free(e);
        if (out->n4 + out->n6 > 0)
                return NET_DNS_FOUND;
        if (net__project_name(s, name))
                return NET_DNS_NXDOMAIN;
        net__dns_elsewhere(s, def, name, out);
        return out->n4 + out->n6 > 0 ? NET_DNS_FOUND : NET_DNS_UNKNOWN;
}

/* Its DNS server, in its network namespace at 127.0.0.11:53; upstream:
 * the service's dns: (IPv4), else the host's nameservers. */
int net__dns_start(struct cc_sup *s, struct net_ctr *nc, pid_t pid, const struct cc_node *def,
                          struct cc_error *err)
{
        struct cc_net *n = s->net;
        if (nc->dns)
                return 0;
        int fd = net_ns_udp_bind(n->nl, pid, NET_DNS_IP, 53, err);
        if (fd < 0)
                return fd;
        struct cc_strv mine = {0};
        struct cc_node *dns = cc_node_map_get(def, "dns");
        for (size_t i = 0; cc_node_is_seq(dns) && i < dns->n; i++) {
                uint32_t a;
                if (dns->items[i]->str && net_ip_parse(dns->items[i]->str, &a) == 0)
                        cc_strv_push(&mine, dns->items[i]->str);
        }
        /* on internal networks only: no way out, for names neither (as
         * Docker since 26: not forwarded, SERVFAIL) */
        bool out = false;
        struct cc_node *nets = net__svc_nets(def);
        for (size_t i = 0; nets && i < nets->n; i++) {
                struct net_def *d = net__def(n, cc_node_key(nets, i));
                out |= d && !d->internal;
        }
        struct cc_strv none = {0};
        nc->sup = s;
        int r = net_dns_open(s->loop, fd, !out ? &none : mine.n ? &mine : &n->upstream, net__dns_lookup, nc,
                             &nc->dns, err);
        cc_strv_free(&mine);
        return r;
}

void net__dns_stop(struct net_ctr *nc)
{
        net_dns_close(nc->dns);
        nc->dns = NULL;
}
