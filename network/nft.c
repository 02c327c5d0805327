/* The ccompose nftables table: see nft.h. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <nftables/libnftables.h>

#include "nft.h"

static bool net__internal(const struct net_bridge_info *b)
{
        return cc_endswith(b->alias, " internal");
}

/* 64-bit FNV-1a */
static uint64_t net__hash64(const char *p)
{
        uint64_t h = 14695981039346656037ull;
        for (; *p; p++)
                h = (h ^ (uint8_t) *p) * 1099511628211ull;
        return h;
}

/* The chains of table ip ccompose for these bridges (n > 0). */
static char *net__ruleset_body(const struct net_bridge_info *b, size_t n)
{
        struct cc_buf s = {0};
        /* route_localnet on our bridges lets the kernel route a frame that
         * arrives there addressed to 127.0.0.0/8 (a container with
         * CAP_NET_RAW sends it to the gateway's MAC) to the host's loopback
         * services and to ports published on 127.0.0.1 (CVE-2020-8558):
         * drop it before DNAT and routing see it. Traffic of published
         * ports from the host's loopback never enters through a bridge
         * (DNAT in output), and its replies arrive addressed to the
         * gateway (masquerade), so nothing of ours needs it. */
        cc_buf_puts(&s, " chain prerouting {\n  type filter hook prerouting priority raw; policy accept;\n"
                        "  iifname \"ccb-*\" ip daddr 127.0.0.0/8 drop\n }\n"
                        " chain forward {\n  type filter hook forward priority filter; policy accept;\n"
                        /* published ports (a project's DNAT table) are
                         * reachable from every network, as through a proxy */
                        "  ct status dnat accept\n");
        for (size_t i = 0; i < n; i++) {
                const char *br = b[i].name;
                cc_buf_printf(&s, "  iifname \"%s\" oifname \"%s\" accept\n", br, br);
                if (net__internal(&b[i])) {
                        cc_buf_printf(&s, "  iifname \"%s\" drop\n  oifname \"%s\" drop\n", br, br);
                        continue;
                }
                /* isolation: no forwarding from one compose network to another */
                cc_buf_printf(&s, "  iifname \"%s\" oifname \"ccb-*\" drop\n", br);
                cc_buf_printf(&s, "  iifname \"%s\" accept\n", br);
                cc_buf_printf(&s, "  oifname \"%s\" ct state established,related accept\n", br);
        }
        cc_buf_puts(&s, " }\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n");
        for (size_t i = 0; i < n; i++) {
                if (net__internal(&b[i]) || !b[i].gateway)
                        continue;
                char sub[20];
                const char *br = b[i].name;
                cc_buf_printf(&s, "  ip saddr %s oifname != \"%s\" masquerade\n", net_subnet_str(&b[i].subnet, sub), br);
                /* a published port reached from the host's loopback or from
                 * a container: the container answers the gateway, not an
                 * address it cannot route back to (127.0.0.1, itself, a
                 * peer on its own bridge) */
                cc_buf_printf(&s, "  oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n", br);
                cc_buf_printf(&s, "  oifname \"%s\" iifname \"ccb-*\" ct status dnat masquerade\n", br);
        }
        cc_buf_puts(&s, " }\n}\n");
        return cc_buf_steal(&s);
}

/* The rule set, and the comment that names it: "ccompose <hash of
 * its rules>" ("" without bridges: no table). */
static char *net__ruleset(const struct net_bridge_info *b, size_t n, char comment[32])
{
        struct cc_buf s = {0};
        /* "add" then "delete" makes the delete valid whether or not the
         * table exists; the whole buffer is one transaction */
        cc_buf_puts(&s, "add table ip ccompose\ndelete table ip ccompose\n");
        comment[0] = '\0';
        if (n == 0)
                return cc_buf_steal(&s);
        _cleanup_free_ char *body = net__ruleset_body(b, n);
        snprintf(comment, 32, "ccompose %016llx", (unsigned long long) net__hash64(body));
        cc_buf_printf(&s, "table ip ccompose {\n comment \"%s\"\n%s", comment, body);
        return cc_buf_steal(&s);
}

char *net_nft_ruleset(const struct net_bridge_info *b, size_t n)
{
        char comment[32];
        return net__ruleset(b, n, comment);
}

char *net_nft_ports_ruleset(const char *table, const struct net_dnat *d, size_t n)
{
        struct cc_buf s = {0};
        cc_buf_printf(&s, "add table ip %s\ndelete table ip %s\n", table, table);
        if (n == 0)
                return cc_buf_steal(&s);
        cc_buf_printf(&s, "table ip %s {\n", table);
        /* dstnat (-100), the name nft accepts in prerouting only */
        static const char *const hooks[] = {"prerouting", "output"};
        for (size_t c = 0; c < CC_ARRAY_SIZE(hooks); c++) {
                cc_buf_printf(&s, " chain %s {\n  type nat hook %s priority -100; policy accept;\n", hooks[c],
                              hooks[c]);
                for (size_t i = 0; i < n; i++) {
                        char hip[16], cip[16];
                        const char *proto = d[i].udp ? "udp" : "tcp";
                        if (d[i].host_ip)
                                cc_buf_printf(&s, "  ip daddr %s", net_ip_str(d[i].host_ip, hip));
                        else
                                cc_buf_puts(&s, "  fib daddr type local");
                        cc_buf_printf(&s, " %s dport %d dnat to %s:%d\n", proto, d[i].published,
                                      net_ip_str(d[i].target_ip, cip), d[i].target);
                }
                cc_buf_puts(&s, " }\n");
        }
        cc_buf_puts(&s, "}\n");
        return cc_buf_steal(&s);
}

int net_nft_apply(const char *rules, const char *what, struct cc_error *err)
{
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return cc_error_set(err, -ENOMEM, "nftables: cannot create a context");
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        int r = 0;
        if (nft_run_cmd_from_buffer(ctx, rules) != 0) {
                const char *e = nft_ctx_get_error_buffer(ctx);
                r = cc_error_set(err, -EIO, "nftables: %s: %s", what, e && *e ? e : "failed");
        }
        nft_ctx_free(ctx);
        /* libnftables builds a cache of the whole ruleset for each run and
         * frees it: give those pages back (the supervisor lives long) */
        malloc_trim(0);
        return r;
}

/* A table's comment, from its userdata (libnftnl's TLVs: a type byte,
 * a length byte, the value; type 0 the comment, NUL-terminated). */
static char *net__udata_comment(const uint8_t *p, size_t len)
{
        for (size_t i = 0; i + 2 <= len && i + 2 + p[i + 1] <= len; i += 2 + p[i + 1])
                if (p[i] == 0)
                        return cc_xstrndup((const char *) p + i + 2, strnlen((const char *) p + i + 2, p[i + 1]));
        return cc_xstrdup("");
}

static int net__table_cb(struct nl_msg *msg, void *arg)
{
        struct nlattr *tb[NFTA_TABLE_MAX + 1];
        char **comment = arg;
        if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct nfgenmsg), tb, NFTA_TABLE_MAX, NULL) < 0)
                return NL_SKIP;
        free(*comment);
        *comment = tb[NFTA_TABLE_USERDATA] ? net__udata_comment(nla_data(tb[NFTA_TABLE_USERDATA]),
                                                                 (size_t) nla_len(tb[NFTA_TABLE_USERDATA]))
                                           : cc_xstrdup("");
        return NL_OK;
}

int net_nft_table_get(const char *name, char **comment, struct cc_error *err)
{
        _cleanup_free_ char *c = NULL;
        struct nl_sock *sk = nl_socket_alloc();
        struct nl_msg *msg = nlmsg_alloc_simple((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, 0);
        struct nfgenmsg nf = {.nfgen_family = NFPROTO_IPV4, .version = NFNETLINK_V0};
        int r = sk && msg ? nl_connect(sk, NETLINK_NETFILTER) : -NLE_NOMEM;
        if (r >= 0)
                r = nlmsg_append(msg, &nf, sizeof(nf), NLMSG_ALIGNTO);
        if (r >= 0)
                r = nla_put_string(msg, NFTA_TABLE_NAME, name);
        if (r >= 0) {
                /* one answer: the table, or an error */
                nl_socket_disable_auto_ack(sk);
                nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, net__table_cb, &c);
                r = nl_send_auto(sk, msg);
        }
        if (r >= 0)
                r = nl_recvmsgs_default(sk);
        nlmsg_free(msg);
        nl_socket_free(sk);
        if (r == -NLE_OBJ_NOTFOUND)
                return 0;
        if (r < 0 || !c)
                return cc_error_set(err, -EIO, "nftables: look at table ip %s: %s", name,
                                    r < 0 ? nl_geterror(r) : "no answer");
        if (comment)
                *comment = cc_steal(&c);
        return 1;
}

void net_nft_plan_add(struct net_nft_plan *p, const char *what, const char *rules)
{
        cc_buf_puts(&p->rules, rules);
        cc_buf_printf(&p->what, "%s%s", p->what.len ? " and " : "", what);
}

int net_nft_plan_apply(const struct net_nft_plan *p, struct cc_error *err)
{
        return p->rules.len > 0 ? net_nft_apply(p->rules.s, p->what.s, err) : 0;
}

void net_nft_plan_free(struct net_nft_plan *p)
{
        cc_buf_free(&p->rules);
        cc_buf_free(&p->what);
}

int net_nft_sync_plan(const struct net_bridge_info *b, size_t n, struct net_nft_plan *p, struct cc_error *err)
{
        bool outbound = false;
        for (size_t i = 0; i < n; i++)
                outbound |= !net__internal(&b[i]);
        if (outbound) {
                _cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "1", 1) != 1)
                        return cc_error_setsys(err, -errno, "enable IPv4 forwarding");
        }
        char want[32];
        _cleanup_free_ char *rules = net__ruleset(b, n, want);
        _cleanup_free_ char *have = NULL;
        int r = net_nft_table_get("ccompose", &have, err);
        /* there and named as these rules (their hash), or neither; a look
         * that failed: written, as if it were not */
        cc_error_clear(err);
        if (r < 0 || (r > 0 ? strcmp(have, want) != 0 : n > 0))
                net_nft_plan_add(p, "table ip ccompose", rules);
        return 0;
}

int net_nft_sync(struct net_nl *nl, struct cc_error *err)
{
        struct net_bridge_info *b = NULL;
        struct net_nft_plan plan = {0};
        size_t n = 0;
        int r = net_bridges_list(nl, &b, &n, err);
        if (r >= 0)
                r = net_nft_sync_plan(b, n, &plan, err);
        if (r >= 0)
                r = net_nft_plan_apply(&plan, err);
        net_nft_plan_free(&plan);
        free(b);
        return r;
}
