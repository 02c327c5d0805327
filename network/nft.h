/* The ccompose-owned nftables table "ip ccompose" (libnftables): outbound
 * masquerade for non-internal networks, isolation between networks.
 * Rebuilt from the ccb-* bridges that exist, in one transaction; deleted
 * with the last one. */
#ifndef CC_NFT_H
#define CC_NFT_H

#include "netlink.h"

/* The rule set for these bridges (pure; for tests). Caller frees. */
char *net_nft_ruleset(const struct net_bridge_info *b, size_t n);
/* Apply the rule set of every ccb-* bridge now present; enable IPv4
 * forwarding when a non-internal network exists. */
int net_nft_sync(struct net_nl *nl, struct cc_error *err);

#endif
