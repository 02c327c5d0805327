/* libFuzzer target: the embedded DNS server's answer to a datagram from a
 * container (untrusted: any process in any container can send one). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum net_dns_result lookup(void *d, const char *name, uint32_t *ips, size_t max, size_t *n)
{
        (void) d;
        *n = 0;
        size_t len = strlen(name);
        if (len % 3 == 0)
                return NET_DNS_UNKNOWN;
        if (len % 3 == 1)
                return NET_DNS_NXDOMAIN;
        for (size_t i = 0; i < len && *n < max; i++)
                ips[(*n)++] = 0x0ad50100u + (uint32_t) i;
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
