/* The ccompose nftables table: see nft.h. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>

#include <nftables/libnftables.h>

#include "nft.h"

static bool net__internal(const struct net_bridge_info *b)
{
        return cc_endswith(b->alias, " internal");
}

char *net_nft_ruleset(const struct net_bridge_info *b, size_t n)
{
        struct cc_buf s = {0};
        /* "add" then "delete" makes the delete valid whether or not the
         * table exists; the whole buffer is one transaction */
        cc_buf_puts(&s, "add table ip ccompose\ndelete table ip ccompose\n");
        if (n == 0)
                return cc_buf_steal(&s);
        /* route_localnet on our bridges lets the kernel route a frame that
         * arrives there addressed to 127.0.0.0/8 (a container with
         * CAP_NET_RAW sends it to the gateway's MAC) to the host's loopback
         * services and to ports published on 127.0.0.1 (CVE-2020-8558):
         * drop it before DNAT and routing see it. Traffic of published
         * ports from the host's loopback never enters through a bridge
         * (DNAT in output), and its replies arrive addressed to the
         * gateway (masquerade), so nothing of ours needs it. */
        cc_buf_puts(&s, "table ip ccompose {\n"
                        " chain prerouting {\n  type filter hook prerouting priority raw; policy accept;\n"
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

int net_nft_sync(struct net_nl *nl, struct cc_error *err)
{
        struct net_bridge_info *b = NULL;
        size_t n = 0;
        int r = net_bridges_list(nl, &b, &n, err);
        if (r < 0)
                return r;
        bool outbound = false;
        for (size_t i = 0; i < n; i++)
                outbound |= !net__internal(&b[i]);
        _cleanup_free_ char *rules = net_nft_ruleset(b, n);
        free(b);
        if (outbound) {
                _cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "1", 1) != 1)
                        return cc_error_setsys(err, -errno, "enable IPv4 forwarding");
        }
        return net_nft_apply(rules, "table ip ccompose", err);
}
