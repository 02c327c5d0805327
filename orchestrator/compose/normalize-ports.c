/* ports and expose, as compose-go reads them: the short syntax goes
 * through docker/go-connections' nat.ParsePortSpec (ranges expand to one
 * entry per container port, sorted as the "port/proto" strings compose-go
 * sorts them), the long syntax gets mode "ingress" and protocol "tcp",
 * and published is always a string. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "normalize.h"

static const char *const cc__port_order[] = {"name",      "mode",     "host_ip",      "target",
                                             "published", "protocol", "app_protocol", NULL};

/* One port number: decimal digits, 0..65535. */
static int cc__port_number(const char *s, size_t n, unsigned *out, bool *range_err)
{
        unsigned long v = 0;
        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                if (v <= 65535)
                        v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v > 65535) {
                *range_err = true;
                return -ERANGE;
        }
        *out = (unsigned) v;
        return 0;
}

/* "80" or "8000-8010". On failure *why says why (or stays NULL for a
 * number that is not one). */
static int cc__port_range(const char *s, unsigned *start, unsigned *end, char **why)
{
        const char *dash = strchr(s, '-');
        size_t n1 = dash ? (size_t) (dash - s) : strlen(s);
        bool range_err = false;
        if (cc__port_number(s, n1, start, &range_err) < 0) {
                *why = range_err ? cc_xasprintf("port %.*s out of range", (int) n1, s) : NULL;
                return -EINVAL;
        }
        *end = *start;
        if (!dash)
                return 0;
        if (cc__port_number(dash + 1, strlen(dash + 1), end, &range_err) < 0) {
                *why = range_err ? cc_xasprintf("port %s out of range", dash + 1) : NULL;
                return -EINVAL;
        }
        if (*end < *start) {
                *why = cc_xasprintf("invalid range specified for port: %s", s);
                return -EINVAL;
        }
        return 0;
}

/* A textual IP address check (inet_pton for v4 or v6, as net.ParseIP). */
static bool cc__is_ip(const char *s)
{
        unsigned char buf[16];
        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

struct cc__port {
        unsigned target;
        char *published; /* NULL when not given */
        char key[32];    /* "port/proto" as compose-go sorts */
};

static struct cc_node *cc__port_node(const char *host_ip, unsigned target, const char *published, const char *proto,
                                     const struct cc_pos *pos)
{
        struct cc_node *m = cc_node_new_map(pos);
        cc_node_map_set(m, "mode", NULL, cc_node_new_str("ingress", pos));
        if (host_ip && *host_ip)
                cc_node_map_set(m, "host_ip", NULL, cc_node_new_str(host_ip, pos));
        cc_node_map_set(m, "target", NULL, cc_node_new_int(target, pos));
        if (published && *published)
                cc_node_map_set(m, "published", NULL, cc_node_new_str(published, pos));
        cc_node_map_set(m, "protocol", NULL, cc_node_new_str(proto, pos));
        return m;
}

static int cc__port_cmp(const void *a, const void *b)
{
        return strcmp(((const struct cc__port *) a)->key, ((const struct cc__port *) b)->key);
}

struct cc__port_spec {
        char *ip, *host, *cont; /* ip and host NULL when not given */
        char proto[16];
};

static void cc__port_spec_free(struct cc__port_spec *sp)
{
        free(sp->ip);
        free(sp->host);
        free(sp->cont);
}

/* Split "[ip:][host:]container[/proto]" (the IP is everything before the
 * last two colons) and check the IP and protocol. Returns why it is
 * invalid (caller frees) or NULL. */
static char *cc__port_split(const char *raw, struct cc__port_spec *sp)
{
        const char *last = strrchr(raw, ':');
        if (!last) {
                sp->cont = cc_xstrdup(raw);
        } else {
                sp->cont = cc_xstrdup(last + 1);
                const char *prev = last;
                while (prev > raw && prev[-1] != ':')
                        prev--;
                sp->host = cc_xstrndup(prev, (size_t) (last - prev));
                if (prev > raw)
                        sp->ip = cc_xstrndup(raw, (size_t) (prev - 1 - raw));
        }
        /* "80/udp": the port before the first '/', the protocol after it */
        snprintf(sp->proto, sizeof(sp->proto), "tcp");
        char *slash = strchr(sp->cont, '/');
        if (slash) {
                *slash = '\0';
                size_t pl = strcspn(slash + 1, "/");
                if (pl >= sizeof(sp->proto))
                        return cc_xasprintf("invalid proto: %s", slash + 1);
                if (pl > 0)
                        snprintf(sp->proto, sizeof(sp->proto), "%.*s", (int) pl, slash + 1);
        }
        if (!*sp->cont)
                return cc_xstrdup("no port specified");
        for (char *p = sp->proto; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        if (strcmp(sp->proto, "tcp") != 0 && strcmp(sp->proto, "udp") != 0 && strcmp(sp->proto, "sctp") != 0)
                return cc_xasprintf("invalid proto: %s", sp->proto);
        char *ip = sp->ip;
        if (ip && ip[0] == '[') {
                size_t il = strlen(ip);
                if (il < 2 || ip[il - 1] != ']')
                        return cc_xasprintf("invalid IP address %s", ip);
                memmove(ip, ip + 1, il - 2);
                ip[il - 2] = '\0';
        }
        if (ip && *ip && !cc__is_ip(ip))
                return cc_xasprintf("invalid IP address: %s", ip);
        return NULL;
}

/* Check the port ranges of a split spec. Returns why they are invalid. */
static char *cc__port_ranges(const struct cc__port_spec *sp, unsigned *cs, unsigned *ce, unsigned *hs, unsigned *he)
{
        char *why = NULL;
        *hs = *he = 0;
        if (cc__port_range(sp->cont, cs, ce, &why) < 0)
                return why ? why : cc_xasprintf("invalid containerPort: %s", sp->cont);
        if (*cs == 0)
                return cc_xasprintf("invalid containerPort: %s (a container port cannot be 0)", sp->cont);
        if (!sp->host || !*sp->host)
                return NULL;
        if (cc__port_range(sp->host, hs, he, &why) < 0)
                return why ? why : cc_xasprintf("invalid hostPort: %s", sp->host);
        /* a host range for a single container port is a range to pick from */
        if (*ce - *cs != *he - *hs && *ce != *cs)
                return cc_xasprintf("invalid ranges specified for container and host Ports: %s and %s", sp->cont,
                                    sp->host);
        return NULL;
}

/* [ip:][host[-host]:]container[-container][/proto] */
static int cc__port_short(const struct cc__norm *n, const struct cc_node *item, struct cc_node *out)
{
        struct cc__port_spec sp = {0};
        unsigned cs, ce, hs, he;
        char *why = cc__port_split(item->str, &sp);
        if (!why)
                why = cc__port_ranges(&sp, &cs, &ce, &hs, &he);
        if (why) {
                int r = cc__norm_fail(n, item, "invalid port \"%s\": %s", item->str, why);
                free(why);
                cc__port_spec_free(&sp);
                return r;
        }
        bool has_host = sp.host && *sp.host;
        size_t count = ce - cs + 1;
        struct cc__port *ports = cc_xcalloc(count, sizeof(*ports));
        for (size_t i = 0; i < count; i++) {
                ports[i].target = cs + (unsigned) i;
                snprintf(ports[i].key, sizeof(ports[i].key), "%u/%s", ports[i].target, sp.proto);
                if (has_host && count == 1 && hs != he)
                        ports[i].published = cc_xasprintf("%u-%u", hs, he);
                else if (has_host)
                        ports[i].published = cc_xasprintf("%u", hs + (unsigned) i);
        }
        qsort(ports, count, sizeof(*ports), cc__port_cmp);
        for (size_t i = 0; i < count; i++) {
                cc_node_seq_push(out, cc__port_node(sp.ip, ports[i].target, ports[i].published, sp.proto, &item->pos));
                free(ports[i].published);
        }
        free(ports);
        cc__port_spec_free(&sp);
        return 0;
}

static int cc__port_long(const struct cc__norm *n, struct cc_node *m)
{
        struct cc_node *t = cc_node_map_get(m, "target");
        if (t && !cc_node_is_null(t)) {
                long long v;
                if (!cc__norm_int(t, &v) || v < 0 || v > 4294967295LL) {
                        _cleanup_free_ char *q = cc__norm_quote(t);
                        return cc__norm_fail(n, t, "invalid port target %s", q);
                }
                if (v == 0)
                        return cc__norm_fail(n, t, "invalid port target 0: a container port cannot be 0");
                cc_node_map_set(m, "target", NULL, cc_node_new_int(v, &t->pos));
        }
        struct cc_node *p = cc_node_map_get(m, "published");
        if (p) {
                _cleanup_free_ char *txt = cc__norm_text(p);
                unsigned start, end;
                _cleanup_free_ char *why = NULL;
                if (!txt)
                        cc_node_map_del(m, "published");
                else if (*txt && cc__port_range(txt, &start, &end, &why) < 0)
                        return cc__norm_fail(n, p, "invalid port published \"%s\": %s", txt,
                                             why ? why : "not a port number or range");
                else
                        cc__norm_set_str(m, "published", txt);
        }
        static const char *const strs[] = {"name", "mode", "host_ip", "protocol", "app_protocol"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(strs); i++) {
                struct cc_node *v = cc_node_map_get(m, strs[i]);
                if (!v)
                        continue;
                _cleanup_free_ char *txt = cc__norm_text(v);
                if (!txt)
                        cc_node_map_del(m, strs[i]);
                else
                        cc__norm_set_str(m, strs[i], txt);
        }
        if (!cc_node_map_get(m, "protocol"))
                cc_node_map_set(m, "protocol", NULL, cc_node_new_str("tcp", &m->pos));
        if (!cc_node_map_get(m, "mode"))
                cc_node_map_set(m, "mode", NULL, cc_node_new_str("ingress", &m->pos));
        cc__norm_order(m, cc__port_order);
        return 0;
}

int cc__norm_ports(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *ports = cc_node_map_get(svc, "ports");
        if (!cc_node_is_seq(ports))
                return 0;
        _cleanup_node_ struct cc_node *out = cc_node_new_seq(&ports->pos);
        for (size_t i = 0; i < ports->n; i++) {
                struct cc_node *item = ports->items[i];
                int r;
                if (cc_node_is_map(item)) {
                        if ((r = cc__port_long(n, item)) < 0)
                                return r;
                        cc_node_seq_push(out, cc_node_copy(item));
                } else if (cc_node_is_scalar(item) && item->type == CC_INT) {
                        long long v;
                        if (!cc__norm_int(item, &v) || v < 0 || v > 65535)
                                return cc__norm_fail(n, item, "invalid port \"%s\": port %s out of range", item->str,
                                                     item->str);
                        if (v == 0)
                                return cc__norm_fail(n, item, "invalid port \"0\": a container port cannot be 0");
                        cc_node_seq_push(out, cc__port_node(NULL, (unsigned) v, NULL, "tcp", &item->pos));
                } else if (cc_node_is_scalar(item) && item->type == CC_STR) {
                        if ((r = cc__port_short(n, item, out)) < 0)
                                return r;
                } else {
                        return cc__norm_fail(n, item, "invalid port: expected a string, a number or a mapping, got %s",
                                             cc_node_type_name(item));
                }
        }
        cc__norm_replace(svc, "ports", cc_steal(&out));
        return 0;
}

int cc__norm_expose(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *ex = cc_node_map_get(svc, "expose");
        if (cc_node_is_scalar(ex) && !cc_node_is_null(ex)) {
                struct cc_node *seq = cc_node_new_seq(&ex->pos);
                cc_node_seq_push(seq, cc_node_copy(ex));
                cc__norm_replace(svc, "expose", seq);
                ex = seq;
        }
        if (!cc_node_is_seq(ex))
                return 0;
        for (size_t i = 0; i < ex->n; i++) {
                struct cc_node *it = ex->items[i];
                if (!cc_node_is_scalar(it) || it->type == CC_STR)
                        continue;
                _cleanup_free_ char *txt = cc__norm_text(it);
                if (!txt)
                        return cc__norm_fail(n, it, "invalid expose entry: null");
                cc_node_set_scalar(it, txt, CC_STR);
                it->quoted = true;
        }
        return 0;
}
