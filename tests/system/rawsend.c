/* rawsend IFNAME DSTMAC DSTIP DPORT PAYLOAD: send one UDP datagram as a
 * hand-made Ethernet frame (AF_PACKET, which CAP_NET_RAW allows) out of
 * IFNAME to DSTMAC, from IFNAME's own address to DSTIP:DPORT. The routing
 * table of the sender is not asked: this is how a container addresses its
 * gateway's MAC with a destination such as 127.0.0.1 (CVE-2020-8558).
 * rawsend listen PORT FILE: append every UDP datagram to PORT to FILE
 * (busybox has no UDP listener), for the receiving side in a container.
 * Built statically by the test that uses it (test-net-escape.sh). */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static uint16_t csum(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint32_t sum = 0;
        for (size_t i = 0; i + 1 < len; i += 2)
                sum += (uint32_t) (p[i] << 8 | p[i + 1]);
        if (len & 1)
                sum += (uint32_t) (p[len - 1] << 8);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t) ~sum);
}

static int listen_udp(const char *port, const char *path)
{
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(port))};
        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0) {
                perror("rawsend: listen");
                return 1;
        }
        for (;;) {
                char buf[2048];
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                FILE *f = n > 0 ? fopen(path, "a") : NULL;
                if (f) {
                        fwrite(buf, 1, (size_t) n, f);
                        fclose(f);
                }
        }
}

int main(int argc, char **argv)
{
        if (argc == 4 && strcmp(argv[1], "listen") == 0)
                return listen_udp(argv[2], argv[3]);
        if (argc != 6) {
                fprintf(stderr, "usage: rawsend IFNAME DSTMAC DSTIP DPORT PAYLOAD\n");
                return 2;
        }
        uint8_t dmac[6];
        if (sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2], &dmac[3], &dmac[4],
                   &dmac[5]) != 6) {
                fprintf(stderr, "rawsend: bad MAC %s\n", argv[2]);
                return 2;
        }
        int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
        if (fd < 0) {
                perror("rawsend: socket(AF_PACKET)");
                return 1;
        }
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
                perror("rawsend: SIOCGIFHWADDR");
                return 1;
        }
        uint8_t smac[6];
        memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
        if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) {
                perror("rawsend: SIOCGIFADDR");
                return 1;
        }
        struct in_addr src = ((struct sockaddr_in *) &ifr.ifr_addr)->sin_addr, dst;
        if (inet_pton(AF_INET, argv[3], &dst) != 1) {
                fprintf(stderr, "rawsend: bad address %s\n", argv[3]);
                return 2;
        }
        size_t plen = strlen(argv[5]);
        uint8_t frame[1514] = {0};
        if (plen > sizeof(frame) - 42)
                return 2;
        struct ether_header *eth = (void *) frame;
        struct iphdr *ip = (void *) (frame + sizeof(*eth));
        struct udphdr *udp = (void *) (frame + sizeof(*eth) + sizeof(*ip));
        memcpy(eth->ether_dhost, dmac, 6);
        memcpy(eth->ether_shost, smac, 6);
        eth->ether_type = htons(ETHERTYPE_IP);
        ip->version = 4;
        ip->ihl = 5;
        ip->ttl = 64;
        ip->protocol = IPPROTO_UDP;
        ip->tot_len = htons((uint16_t) (sizeof(*ip) + sizeof(*udp) + plen));
        ip->id = htons((uint16_t) getpid());
        ip->saddr = src.s_addr;
        ip->daddr = dst.s_addr;
        ip->check = csum(ip, sizeof(*ip));
        udp->source = htons(40000);
        udp->dest = htons((uint16_t) atoi(argv[4]));
        udp->len = htons((uint16_t) (sizeof(*udp) + plen));
        udp->check = 0; /* none: allowed for UDP over IPv4 */
        memcpy(frame + sizeof(*eth) + sizeof(*ip) + sizeof(*udp), argv[5], plen);
        struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                                 .sll_ifindex = (int) if_nametoindex(argv[1]), .sll_halen = 6};
        memcpy(to.sll_addr, dmac, 6);
        size_t len = sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + plen;
        if (sendto(fd, frame, len, 0, (struct sockaddr *) &to, sizeof(to)) != (ssize_t) len) {
                perror("rawsend: sendto");
                return 1;
        }
        return 0;
}
