/* The ccompose-owned nftables tables (libnftables).
 * "ip ccompose": outbound masquerade for non-internal networks, isolation
 * between networks, the masquerade that lets published ports be reached
 * from loopback and from containers. Rebuilt from the ccb-* bridges that
 * exist, in one transaction; deleted with the last one. Its comment
 * ("ccompose <hash of its rules>") tells whether it is up to date.
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
/* The comment of table ip NAME, a read-only look (no transaction, so
 * cheap): 1 when the table exists (*comment "" when it has none; caller
 * frees; comment may be NULL), 0 when it does not. */
int net_nft_table_get(const char *name, char **comment, struct cc_error *err);

/* Commands for nftables, run as one transaction (a transaction that
 * changes the ruleset costs an RCU grace period, 10-20 ms: one per step,
 * and none when nothing changes); what names them in an error. */
struct net_nft_plan {
        struct cc_buf rules;
        struct cc_buf what;
};
void net_nft_plan_add(struct net_nft_plan *p, const char *what, const char *rules);
/* Run them, if any. */
int net_nft_plan_apply(const struct net_nft_plan *p, struct cc_error *err);
void net_nft_plan_free(struct net_nft_plan *p);
/* Add to p the rule set of these bridges (every ccb-* bridge present)
 * unless table ip ccompose already is it (its comment, the hash of its
 * rules, says so); enable IPv4 forwarding when a non-internal network
 * exists. */
int net_nft_sync_plan(const struct net_bridge_info *b, size_t n, struct net_nft_plan *p, struct cc_error *err);
/* The same for every ccb-* bridge now present, run at once. */
int net_nft_sync(struct net_nl *nl, struct cc_error *err);
/* A project's own table of published ports (DNAT in prerouting and
 * output); n == 0 gives the commands that delete it. Caller frees. */
char *net_nft_ports_ruleset(const char *table, const struct net_dnat *d, size_t n);
/* Run nft commands in one transaction; what names them in an error. */
int net_nft_apply(const char *rules, const char *what, struct cc_error *err);

#endif
