/* IPAM: subnet parsing, overlap checks, the default pool skipping the
 * host's routes, gateway and address allocation; and the nft rule set. */
#include <errno.h>

#include "ipam.h"
#include "nft.h"
#include "hosts.h"
#include "sup-net-internal.h"
#include "tap.h"

static struct net_subnet sn(const char *s)
{
        struct cc_error err = {0};
        struct net_subnet out = {0};
        if (net_subnet_parse(s, false, &out, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse %s: %s", s, cc_error_msg(&err));
        return out;
}

static uint32_t ip(const char *s)
{
        uint32_t a = 0;
        net_ip_parse(s, &a);
        return a;
}

TEST(parse_subnet_and_format)
{
        struct net_subnet s = sn("10.213.1.0/24");
        char buf[20];
        ASSERT_STREQ(net_subnet_str(&s, buf), "10.213.1.0/24");
        ASSERT_INTEQ(s.prefix, 24);
}

TEST(parse_rejects_host_bits_and_garbage)
{
        struct cc_error err = {0};
        struct net_subnet s;
        ASSERT(net_subnet_parse("10.213.1.5/24", false, &s, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "did you mean 10.213.1.0/24");
        cc_error_clear(&err);
        ASSERT(net_subnet_parse("10.213.1.0", false, &s, &err) < 0);
        cc_error_clear(&err);
        ASSERT(net_subnet_parse("10.213.1.0/33", false, &s, &err) < 0);
        cc_error_clear(&err);
        ASSERT(net_subnet_parse("300.1.1.0/24", false, &s, &err) < 0);
        cc_error_clear(&err);
        ASSERT(net_subnet_parse("10.213.1.5/24", true, &s, &err) == 0);
        ASSERT_INTEQ(s.addr, ip("10.213.1.0"));
}

TEST(overlaps)
{
        struct net_subnet a = sn("10.0.0.0/8"), b = sn("10.213.0.0/16"), c = sn("172.29.0.0/16"),
                          d = sn("10.213.255.0/24");
        ASSERT(net_subnet_overlaps(&a, &b));
        ASSERT(net_subnet_overlaps(&b, &a));
        ASSERT(!net_subnet_overlaps(&a, &c));
        ASSERT(net_subnet_overlaps(&b, &d));
        struct net_subnet list[] = {c, d};
        ASSERT(net_subnet_overlaps_any(&b, list, 2));
        struct net_subnet e = sn("192.0.3.0/24");
        ASSERT(!net_subnet_overlaps_any(&e, list, 2));
}

TEST(gateway_is_first_address)
{
        struct net_subnet s = sn("172.29.4.0/22");
        char buf[16];
        ASSERT_STREQ(net_ip_str(net_subnet_first(&s), buf), "172.29.4.1");
        ASSERT_STREQ(net_ip_str(net_subnet_last(&s), buf), "172.29.7.255");
}

TEST(pool_starts_at_172_17_and_skips_used)
{
        struct net_subnet out;
        struct cc_error err = {0};
        char buf[20];
        ASSERT(net_pool_pick(NULL, 0, &out, &err) == 0);
        ASSERT_STREQ(net_subnet_str(&out, buf), "172.17.0.0/16");
        /* a host route inside 172.17/16 and one covering 172.18-19 */
        struct net_subnet used[] = {sn("172.17.5.0/24"), sn("172.18.0.0/15"), sn("192.0.2.0/24")};
        ASSERT(net_pool_pick(used, 3, &out, &err) == 0);
        ASSERT_STREQ(net_subnet_str(&out, buf), "172.20.0.0/16");
}

TEST(pool_goes_on_to_192_168_then_runs_out)
{
        struct net_subnet out;
        struct cc_error err = {0};
        char buf[20];
        struct net_subnet used[] = {sn("172.16.0.0/12"), sn("192.168.0.0/20")};
        ASSERT(net_pool_pick(used, 2, &out, &err) == 0);
        ASSERT_STREQ(net_subnet_str(&out, buf), "192.168.16.0/20");
        struct net_subnet all[] = {sn("172.16.0.0/12"), sn("192.168.0.0/16")};
        ASSERT(net_pool_pick(all, 2, &out, &err) == -ENOSPC);
        ASSERT_CONTAINS(cc_error_msg(&err), "ipam subnet");
        cc_error_clear(&err);
}

TEST(alloc_skips_network_gateway_and_taken)
{
        struct net_subnet s = sn("10.213.9.0/29");
        uint32_t out, gw = net_subnet_first(&s);
        char buf[16];
        ASSERT(net_ipam_alloc(&s, NULL, gw, NULL, 0, &out) == 0);
        ASSERT_STREQ(net_ip_str(out, buf), "10.213.9.2");
        uint32_t taken[] = {ip("10.213.9.2"), ip("10.213.9.3")};
        ASSERT(net_ipam_alloc(&s, NULL, gw, taken, 2, &out) == 0);
        ASSERT_STREQ(net_ip_str(out, buf), "10.213.9.4");
        /* .1 gateway .2-.6 taken, .7 broadcast: full */
        uint32_t full[] = {ip("10.213.9.2"), ip("10.213.9.3"), ip("10.213.9.4"), ip("10.213.9.5"), ip("10.213.9.6")};
        ASSERT(net_ipam_alloc(&s, NULL, gw, full, 5, &out) == -ENOSPC);
}

TEST(alloc_honours_ip_range_and_custom_gateway)
{
        struct net_subnet s = sn("10.213.0.0/16"), r = sn("10.213.5.128/25");
        uint32_t out;
        char buf[16];
        ASSERT(net_ipam_alloc(&s, &r, ip("10.213.5.128"), NULL, 0, &out) == 0);
        ASSERT_STREQ(net_ip_str(out, buf), "10.213.5.129");
}

TEST(nft_ruleset_masquerades_non_internal_only)
{
        struct net_bridge_info b[2] = {0};
        strcpy(b[0].name, "ccb-00000001");
        strcpy(b[0].alias, "ccompose p@1 p_default");
        b[0].subnet = sn("10.213.1.0/24");
        b[0].gateway = ip("10.213.1.1");
        strcpy(b[1].name, "ccb-00000002");
        strcpy(b[1].alias, "ccompose p@1 p_back internal");
        b[1].subnet = sn("10.213.2.0/24");
        b[1].gateway = ip("10.213.2.1");
        char *r = net_nft_ruleset(b, 2);
        ASSERT_CONTAINS(r, "ip saddr 10.213.1.0/24 oifname != \"ccb-00000001\" masquerade");
        ASSERT(!strstr(r, "10.213.2.0/24"));
        ASSERT_CONTAINS(r, "iifname \"ccb-00000002\" drop");
        ASSERT_CONTAINS(r, "iifname \"ccb-00000001\" oifname \"ccb-*\" drop");
        /* published ports from loopback and across networks */
        ASSERT_CONTAINS(r, "ct status dnat accept");
        ASSERT_CONTAINS(r, "oifname \"ccb-00000001\" ip saddr 127.0.0.0/8 masquerade");
        ASSERT(!strstr(r, "oifname \"ccb-00000002\" ip saddr 127.0.0.0/8"));
        /* nothing from a bridge reaches 127.0.0.0/8 (route_localnet is on) */
        ASSERT_CONTAINS(r, "type filter hook prerouting priority raw; policy accept;\n"
                           "  iifname \"ccb-*\" ip daddr 127.0.0.0/8 drop");
        /* named by the hash of its rules: another set, another name */
        ASSERT_CONTAINS(r, "table ip ccompose {\n comment \"ccompose ");
        char *r1 = net_nft_ruleset(b, 1), *again = net_nft_ruleset(b, 2);
        ASSERT_STREQ(r, again);
        ASSERT(strncmp(strstr(r, "comment"), strstr(r1, "comment"), 34) != 0);
        free(r1);
        free(again);
        free(r);
        r = net_nft_ruleset(NULL, 0);
        ASSERT_STREQ(r, "add table ip ccompose\ndelete table ip ccompose\n");
        free(r);
}

TEST(nft_ports_ruleset_dnat_in_prerouting_and_output)
{
        struct net_dnat d[2] = {
                {.udp = false, .host_ip = 0, .published = 8080, .target_ip = ip("10.213.1.2"), .target = 80},
                {.udp = true, .host_ip = ip("127.0.0.1"), .published = 5353, .target_ip = ip("10.213.1.3"), .target = 53},
        };
        char *r = net_nft_ports_ruleset("ccompose_p00000001", d, 2);
        ASSERT_CONTAINS(r, "chain prerouting {\n  type nat hook prerouting priority -100;");
        ASSERT_CONTAINS(r, "chain output {\n  type nat hook output priority -100;");
        ASSERT_CONTAINS(r, "  fib daddr type local tcp dport 8080 dnat to 10.213.1.2:80\n");
        ASSERT_CONTAINS(r, "  ip daddr 127.0.0.1 udp dport 5353 dnat to 10.213.1.3:53\n");
        free(r);
        r = net_nft_ports_ruleset("ccompose_p00000001", NULL, 0);
        ASSERT_STREQ(r, "add table ip ccompose_p00000001\ndelete table ip ccompose_p00000001\n");
        free(r);
}

TEST(ipv6_subnets_and_allocation)
{
        struct cc_error err = {0};
        struct net_subnet6 s;
        ASSERT(net_subnet6_parse("fd00:cc:1::/64", &s, &err) == 0);
        ASSERT_INTEQ(s.prefix, 64);
        ASSERT(net_subnet6_parse("fd00:cc:1::5/64", &s, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "host bits set");
        cc_error_clear(&err);
        ASSERT(net_subnet6_parse("10.1.0.0/16", &s, &err) < 0);
        cc_error_clear(&err);
        ASSERT(net_subnet6_parse("fd00:cc:1::/64", &s, &err) == 0);
        uint8_t gw[16], a[16], taken[2][16];
        char buf[46];
        net_subnet6_nth(&s, 1, gw);
        ASSERT_STREQ(net_ip6_str(gw, buf), "fd00:cc:1::1");
        net_subnet6_nth(&s, 2, taken[0]);
        net_subnet6_nth(&s, 3, taken[1]);
        ASSERT(net_ipam_alloc6(&s, gw, (const uint8_t(*)[16]) taken, 2, a) == 0);
        ASSERT_STREQ(net_ip6_str(a, buf), "fd00:cc:1::4");
        ASSERT(net_subnet6_contains(&s, a));
        net_subnet6_nth(&s, 0x10203, a);
        ASSERT_STREQ(net_ip6_str(a, buf), "fd00:cc:1::1:203");
        struct net_subnet6 tiny;
        ASSERT(net_subnet6_parse("fd00:cc:2::/126", &tiny, &err) == 0);
        net_subnet6_nth(&tiny, 1, gw);
        uint8_t t2[2][16];
        net_subnet6_nth(&tiny, 2, t2[0]);
        net_subnet6_nth(&tiny, 3, t2[1]);
        ASSERT(net_ipam_alloc6(&tiny, gw, (const uint8_t(*)[16]) t2, 2, a) == -ENOSPC);
}

TEST(hosts_render)
{
        struct net_hosts_entry e[] = {{"10.213.1.2", "abc web"}, {"10.213.1.3", "db database"}};
        struct cc_strv extra = {0};
        cc_strv_push(&extra, "gw.example:10.213.1.1");
        char *h = net_hosts_render(e, 2, &extra);
        ASSERT_CONTAINS(h, "127.0.0.1\tlocalhost\n");
        ASSERT_CONTAINS(h, "10.213.1.2\tabc web\n10.213.1.3\tdb database\n");
        ASSERT_CONTAINS(h, "10.213.1.1\tgw.example\n");
        free(h);
        cc_strv_free(&extra);
}

/* the API service's --bip: the bridge's address with its prefix, as
 * dockerd takes it, or a subnet (its first address) */
TEST(docker_bip_forms)
{
        struct cc_error err = {0};
        struct net_subnet s;
        uint32_t gw = 0;
        char buf[20], g[16];
        ASSERT_INTEQ(net__docker_bip("10.213.1.1/24", &s, &gw, &err), 0);
        ASSERT_STREQ(net_subnet_str(&s, buf), "10.213.1.0/24");
        ASSERT_STREQ(net_ip_str(gw, g), "10.213.1.1");
        ASSERT_INTEQ(net__docker_bip("10.213.1.77/24", &s, &gw, &err), 0);
        ASSERT_STREQ(net_ip_str(gw, g), "10.213.1.77");
        ASSERT_INTEQ(net__docker_bip("10.213.2.0/25", &s, &gw, &err), 0);
        ASSERT_STREQ(net_subnet_str(&s, buf), "10.213.2.0/25");
        ASSERT_STREQ(net_ip_str(gw, g), "10.213.2.1");
        ASSERT(net__docker_bip("10.213.1.255/24", &s, &gw, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "broadcast");
        cc_error_clear(&err);
        ASSERT(net__docker_bip("10.213.1.1/31", &s, &gw, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "too small");
        cc_error_clear(&err);
        ASSERT(net__docker_bip("10.213.1.1", &s, &gw, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "--bip");
        cc_error_clear(&err);
        ASSERT(net__docker_bip("bridge/24", &s, &gw, &err) < 0);
        cc_error_clear(&err);
}
