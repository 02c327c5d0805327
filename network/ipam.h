/* IPAM: IPv4 subnets, overlap checks, the default pool, address
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

#endif
