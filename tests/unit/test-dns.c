/* The embedded DNS server's answers (net_dns_answer): queries written by
 * hand, replies read back with ldns. */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "tap.h"

/* web: three replicas; db: known, no address for this asker; hidden:
 * a name of another network */
static enum net_dns_result lookup(void *data, const char *name, struct net_dns_addrs *out)
{
        (void) data;
        if (strcmp(name, "web") == 0) {
                net_dns_addrs_add(out, "10.213.1.2");
                net_dns_addrs_add(out, "10.213.1.3");
                net_dns_addrs_add(out, "10.213.1.4");
                net_dns_addrs_add(out, "10.213.1.4"); /* once */
                net_dns_addrs_add(out, "fd00:cc::2");
                return NET_DNS_FOUND;
        }
        if (strcmp(name, "db") == 0)
                return NET_DNS_FOUND;
        if (strcmp(name, "hidden") == 0)
                return NET_DNS_NXDOMAIN;
        return NET_DNS_UNKNOWN;
}

static size_t query(uint8_t *buf, const char *name, uint16_t type, uint16_t id)
{
        size_t n = 0;
        uint8_t hdr[12] = {(uint8_t) (id >> 8), (uint8_t) id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
        memcpy(buf, hdr, 12);
        n = 12;
        for (const char *p = name; *p;) {
                size_t l = strcspn(p, ".");
                buf[n++] = (uint8_t) l;
                memcpy(buf + n, p, l);
                n += l;
                p += l;
                if (*p == '.')
                        p++;
        }
        buf[n++] = 0;
        buf[n++] = (uint8_t) (type >> 8);
        buf[n++] = (uint8_t) type;
        buf[n++] = 0;
        buf[n++] = 1;
        return n;
}

static ldns_pkt *ask(const char *name, uint16_t type, unsigned rr, int *ret)
{
        uint8_t q[512], *reply = NULL;
        size_t len = query(q, name, type, 0x4242), rlen = 0;
        *ret = net_dns_answer(q, len, lookup, NULL, rr, &reply, &rlen);
        ldns_pkt *p = NULL;
        if (*ret == 1)
                ASSERT(ldns_wire2pkt(&p, reply, rlen) == LDNS_STATUS_OK);
        free(reply);
        return p;
}

static char *first_a(ldns_pkt *p)
{
        ldns_rr_list *an = ldns_pkt_answer(p);
        return ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(an, 0), 0));
}

TEST(replicas_answered_in_turn)
{
        int ret;
        ldns_pkt *p = ask("web", LDNS_RR_TYPE_A, 0, &ret);
        ASSERT_INTEQ(ret, 1);
        ASSERT_INTEQ(ldns_pkt_id(p), 0x4242);
        ASSERT(ldns_pkt_qr(p) && ldns_pkt_aa(p));
        ASSERT_INTEQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
        ASSERT_INTEQ(ldns_pkt_ancount(p), 3);
        ASSERT_INTEQ(ldns_pkt_qdcount(p), 1);
        char *a = first_a(p);
        ASSERT_STREQ(a, "10.213.1.2");
        free(a);
        ldns_pkt_free(p);
        p = ask("WEB.", LDNS_RR_TYPE_A, 1, &ret);
        a = first_a(p);
        ASSERT_STREQ(a, "10.213.1.3");
        free(a);
        ldns_pkt_free(p);
}

TEST(aaaa_answers_the_ipv6_addresses)
{
        int ret;
        ldns_pkt *p = ask("web", LDNS_RR_TYPE_AAAA, 0, &ret);
        ASSERT_INTEQ(ret, 1);
        ASSERT_INTEQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
        ASSERT_INTEQ(ldns_pkt_ancount(p), 1);
        char *a = first_a(p);
        ASSERT_STREQ(a, "fd00:cc::2");
        free(a);
        ldns_pkt_free(p);
}

TEST(aaaa_of_a_name_without_ipv6_is_empty_noerror)
{
        int ret;
        ldns_pkt *p = ask("db", LDNS_RR_TYPE_AAAA, 0, &ret);
        ASSERT_INTEQ(ret, 1);
        ASSERT_INTEQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
        ASSERT_INTEQ(ldns_pkt_ancount(p), 0);
        ldns_pkt_free(p);
}

TEST(nxdomain_for_hidden_names_and_unknown_single_labels)
{
        int ret;
        ldns_pkt *p = ask("hidden", LDNS_RR_TYPE_A, 0, &ret);
        ASSERT_INTEQ(ret, 1);
        ASSERT_INTEQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
        ldns_pkt_free(p);
        p = ask("nosuch", LDNS_RR_TYPE_A, 0, &ret);
        ASSERT_INTEQ(ret, 1);
        ASSERT_INTEQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
        ldns_pkt_free(p);
}

TEST(other_names_are_forwarded)
{
        int ret;
        ldns_pkt *p = ask("www.example.test", LDNS_RR_TYPE_A, 0, &ret);
        ASSERT_INTEQ(ret, 0);
        ASSERT_NULL(p);
}

TEST(garbage_and_replies_are_dropped)
{
        uint8_t junk[5] = {1, 2, 3, 4, 5}, *reply = NULL;
        size_t rlen = 0;
        ASSERT_INTEQ(net_dns_answer(junk, sizeof(junk), lookup, NULL, 0, &reply, &rlen), -1);
        uint8_t q[512];
        size_t len = query(q, "web", LDNS_RR_TYPE_A, 1);
        q[2] |= 0x80; /* a response, not a query */
        ASSERT_INTEQ(net_dns_answer(q, len, lookup, NULL, 0, &reply, &rlen), -1);
        ASSERT_NULL(reply);
}
