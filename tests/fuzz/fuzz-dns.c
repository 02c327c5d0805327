/* libFuzzer target: the embedded DNS server's answer to a datagram from a
 * container (untrusted: any process in any container can send one). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum net_dns_result lookup(void *d, const char *name, struct net_dns_addrs *out)
{
        (void) d;
        size_t len = strlen(name);
        if (len % 3 == 0)
                return NET_DNS_UNKNOWN;
        if (len % 3 == 1)
                return NET_DNS_NXDOMAIN;
        char ip[64];
        for (size_t i = 0; i < len && i < 40; i++) {
                snprintf(ip, sizeof(ip), i % 2 ? "10.213.1.%zu" : "fd00:cc::%zx", i);
                net_dns_addrs_add(out, ip);
        }
        return NET_DNS_FOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *reply = NULL;
        size_t rlen = 0;
        for (unsigned rr = 0; rr < 2; rr++) {
                if (net_dns_answer(data, size, lookup, NULL, rr, &reply, &rlen) == 1 && (rlen < 12 || !reply))
                        abort();
                free(reply);
                reply = NULL;
        }
        return 0;
}
