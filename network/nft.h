/* The ccompose-owned nftables tables (libnftables).
 * "ip ccompose": outbound masquerade for non-internal networks, isolation
 * between networks, the masquerade that lets published ports be reached
 * from loopback and from containers. Rebuilt from the ccb-* bridges that
 * exist, in one transaction; deleted with the last one.
 * "ip ccompose_p<hash of the project's owner>": the project's published
 * ports as DNAT rules, rebuilt whenever a container with ports starts or
 * stops; deleted by down. */
#ifndef CC_NFT_H
#define CC_NFT_H

#include "netlink.h"

/* A published port forwarded in the kernel: host_ip 0 = every local
 * address. */
struct net_dnat {
        bool udp;
        uint32_t host_ip;
        int published;
        uint32_t target_ip;
        int target;
};

/* The rule set for these bridges (pure; for tests). Caller frees. */
char *net_nft_ruleset(const struct net_bridge_info *b, size_t n);
/* Apply the rule set of every ccb-* bridge now present; enable IPv4
 * forwarding when a non-internal network exists. */
int net_nft_sync(struct net_nl *nl, struct cc_error *err);
/* A project's own table of published ports (DNAT in prerouting and
 * output); n == 0 gives the commands that delete it. Caller frees. */
char *net_nft_ports_ruleset(const char *table, const struct net_dnat *d, size_t n);
/* Run nft commands in one transaction; what names them in an error. */
int net_nft_apply(const char *rules, const char *what, struct cc_error *err);

#endif
