/* IPAM: see ipam.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipam.h"

uint32_t net_subnet_mask(int prefix)
{
        return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int net_ip_parse(const char *s, uint32_t *out)
{
        struct in_addr a;
        if (!s || inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        *out = ntohl(a.s_addr);
        return 0;
}

char *net_ip_str(uint32_t ip, char buf[static 16])
{
        snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
        return buf;
}

char *net_subnet_str(const struct net_subnet *s, char buf[static 20])
{
        char ip[16];
        snprintf(buf, 20, "%s/%d", net_ip_str(s->addr, ip), s->prefix);
        return buf;
}

int net_subnet_parse(const char *s, bool lax, struct net_subnet *out, struct cc_error *err)
{
        const char *slash = s ? strchr(s, '/') : NULL;
        if (!slash)
                return cc_error_set(err, -EINVAL, "invalid subnet \"%s\": expected an IPv4 CIDR like 10.1.0.0/24",
                                    s ? s : "");
        _cleanup_free_ char *ip = cc_xstrndup(s, (size_t) (slash - s));
        char *end;
        long p = strtol(slash + 1, &end, 10);
        uint32_t a;
        if (net_ip_parse(ip, &a) < 0 || *end || end == slash + 1 || p < 0 || p > 32)
                return cc_error_set(err, -EINVAL, "invalid subnet \"%s\": expected an IPv4 CIDR like 10.1.0.0/24", s);
        if (!lax && (a & ~net_subnet_mask((int) p)))
                return cc_error_set(err, -EINVAL, "invalid subnet \"%s\": host bits set (did you mean %s?)", s,
                                    net_subnet_str(&(struct net_subnet){a & net_subnet_mask((int) p), (int) p},
                                                   (char[20]){0}));
        out->prefix = (int) p;
        out->addr = a & net_subnet_mask((int) p);
        return 0;
}

bool net_subnet_contains(const struct net_subnet *s, uint32_t ip)
{
        return (ip & net_subnet_mask(s->prefix)) == s->addr;
}

bool net_subnet_overlaps(const struct net_subnet *a, const struct net_subnet *b)
{
        int p = a->prefix < b->prefix ? a->prefix : b->prefix;
        uint32_t m = net_subnet_mask(p);
        return (a->addr & m) == (b->addr & m);
}

bool net_subnet_overlaps_any(const struct net_subnet *s, const struct net_subnet *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (net_subnet_overlaps(s, &list[i]))
                        return true;
        return false;
}

uint32_t net_subnet_first(const struct net_subnet *s)
{
        return s->prefix >= 31 ? s->addr : s->addr + 1;
}

uint32_t net_subnet_last(const struct net_subnet *s)
{
        return s->addr | ~net_subnet_mask(s->prefix);
}

bool net_pool_get(size_t i, struct net_subnet *out)
{
        if (i < 15) {
                *out = (struct net_subnet){(172u << 24) | ((17u + (uint32_t) i) << 16), 16};
                return true;
        }
        i -= 15;
        if (i < 16) {
                *out = (struct net_subnet){(192u << 24) | (168u << 16) | ((uint32_t) i << 12), 20};
                return true;
        }
        return false;
}

int net_pool_pick(const struct net_subnet *used, size_t n_used, struct net_subnet *out, struct cc_error *err)
{
        struct net_subnet s;
        for (size_t i = 0; net_pool_get(i, &s); i++)
                if (!net_subnet_overlaps_any(&s, used, n_used)) {
                        *out = s;
                        return 0;
                }
        return cc_error_set(err, -ENOSPC,
                            "all predefined address pools have been fully subnetted (every one overlaps a route "
                            "of the host): give the network an ipam subnet");
}

int net_ipam_alloc(const struct net_subnet *subnet, const struct net_subnet *range, uint32_t gateway,
                   const uint32_t *taken, size_t n_taken, uint32_t *out)
{
        const struct net_subnet *r = range ? range : subnet;
        uint32_t lo = r->addr, hi = net_subnet_last(r);
        for (uint64_t ip = lo; ip <= hi; ip++) {
                uint32_t a = (uint32_t) ip;
                if (!net_subnet_contains(subnet, a))
                        continue;
                if (subnet->prefix < 31 && (a == subnet->addr || a == net_subnet_last(subnet)))
                        continue;
                if (a == gateway)
                        continue;
                bool used = false;
                for (size_t i = 0; i < n_taken && !used; i++)
                        used = taken[i] == a;
                if (!used) {
                        *out = a;
                        return 0;
                }
        }
        return -ENOSPC;
}

/* ---- IPv6 ---- */

int net_subnet6_parse(const char *s, struct net_subnet6 *out, struct cc_error *err)
{
        const char *slash = s ? strchr(s, '/') : NULL;
        if (!slash)
                return cc_error_set(err, -EINVAL, "invalid subnet \"%s\": expected an IPv6 CIDR like fd00:1::/64",
                                    s ? s : "");
        _cleanup_free_ char *ip = cc_xstrndup(s, (size_t) (slash - s));
        char *end;
        long p = strtol(slash + 1, &end, 10);
        struct in6_addr a;
        if (inet_pton(AF_INET6, ip, &a) != 1 || *end || end == slash + 1 || p < 1 || p > 126)
                return cc_error_set(err, -EINVAL, "invalid subnet \"%s\": expected an IPv6 CIDR like fd00:1::/64", s);
        for (int bit = (int) p; bit < 128; bit++)
                if (a.s6_addr[bit / 8] & (0x80 >> (bit % 8)))
                        return cc_error_set(err, -EINVAL, "invalid subnet \"%s\": host bits set", s);
        memcpy(out->addr, a.s6_addr, 16);
        out->prefix = (int) p;
        return 0;
}

bool net_subnet6_contains(const struct net_subnet6 *s, const uint8_t ip[16])
{
        for (int bit = 0; bit < s->prefix; bit++) {
                uint8_t m = (uint8_t) (0x80 >> (bit % 8));
                if ((s->addr[bit / 8] & m) != (ip[bit / 8] & m))
                        return false;
        }
        return true;
}

void net_subnet6_nth(const struct net_subnet6 *s, uint32_t n, uint8_t out[16])
{
        memcpy(out, s->addr, 16);
        unsigned carry = 0;
        for (int i = 15; i >= 0; i--) {
                unsigned v = out[i] + (n & 0xff) + carry;
                out[i] = (uint8_t) v;
                carry = v >> 8;
                n >>= 8;
        }
}

char *net_ip6_str(const uint8_t ip[16], char buf[static 46])
{
        if (!inet_ntop(AF_INET6, ip, buf, 46))
                snprintf(buf, 46, "::");
        return buf;
}

int net_ipam_alloc6(const struct net_subnet6 *s, const uint8_t gw[16], const uint8_t (*taken)[16], size_t n_taken,
                    uint8_t out[16])
{
        /* the first 65535 hosts: plenty for one compose network */
        uint32_t hosts = s->prefix >= 112 ? (1u << (128 - s->prefix)) - 1 : 65535;
        for (uint32_t i = 1; i < hosts; i++) {
                uint8_t c[16];
                net_subnet6_nth(s, i, c);
                bool used = memcmp(c, gw, 16) == 0;
                for (size_t k = 0; k < n_taken && !used; k++)
                        used = memcmp(c, taken[k], 16) == 0;
                if (!used) {
                        memcpy(out, c, 16);
                        return 0;
                }
        }
        return -ENOSPC;
}
