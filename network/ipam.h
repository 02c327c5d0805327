/* IPAM: IPv4 (and IPv6) subnets, overlap checks, the default pool, address
 * allocation. Pure functions (no kernel), unit-tested in test-ipam.c. */
#ifndef CC_IPAM_H
#define CC_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc-error.h"

struct net_subnet {
        uint32_t addr;   /* network address, host byte order */
        int prefix;      /* 0..32 */
};

/* "10.1.2.0/24" (host bits must be zero unless lax). */
int net_subnet_parse(const char *s, bool lax, struct net_subnet *out, struct cc_error *err);
/* "10.1.2.3" -> host order. */
int net_ip_parse(const char *s, uint32_t *out);
/* Format into buf (at least 16 bytes / 19 with prefix). */
char *net_ip_str(uint32_t ip, char buf[static 16]);
char *net_subnet_str(const struct net_subnet *s, char buf[static 20]);

uint32_t net_subnet_mask(int prefix);
bool net_subnet_contains(const struct net_subnet *s, uint32_t ip);
bool net_subnet_overlaps(const struct net_subnet *a, const struct net_subnet *b);
bool net_subnet_overlaps_any(const struct net_subnet *s, const struct net_subnet *list, size_t n);
/* The first usable address (network + 1): the default gateway. */
uint32_t net_subnet_first(const struct net_subnet *s);
/* The broadcast address. */
uint32_t net_subnet_last(const struct net_subnet *s);

/* The default pool, in Docker's order: 172.17.0.0/16 .. 172.31.0.0/16,
 * then 192.168.0.0/20 .. 192.168.240.0/20. Returns false past the end. */
bool net_pool_get(size_t i, struct net_subnet *out);
/* The first pool subnet that overlaps none of used[]. -ENOSPC when none. */
int net_pool_pick(const struct net_subnet *used, size_t n_used, struct net_subnet *out, struct cc_error *err);

/* The lowest address of range (or of the subnet when range is NULL) that
 * is not the network, broadcast or gateway address and not in taken[].
 * 0 on success, -ENOSPC when full. */
int net_ipam_alloc(const struct net_subnet *subnet, const struct net_subnet *range, uint32_t gateway,
                   const uint32_t *taken, size_t n_taken, uint32_t *out);

/* IPv6: subnets of a network with enable_ipv6 (host bits zero, /1../126),
 * addresses as 16 bytes in network order. */
struct net_subnet6 {
        uint8_t addr[16];
        int prefix;
};
int net_subnet6_parse(const char *s, struct net_subnet6 *out, struct cc_error *err);
bool net_subnet6_contains(const struct net_subnet6 *s, const uint8_t ip[16]);
/* The subnet's address plus n. */
void net_subnet6_nth(const struct net_subnet6 *s, uint32_t n, uint8_t out[16]);
char *net_ip6_str(const uint8_t ip[16], char buf[static 46]);
/* The lowest of the first 65535 addresses after the network's that is not
 * the gateway and not taken. -ENOSPC when none. */
int net_ipam_alloc6(const struct net_subnet6 *s, const uint8_t gw[16], const uint8_t (*taken)[16], size_t n_taken,
                    uint8_t out[16]);

#endif
