/* Merging compose files (the -f list, override files, extends) with the
 * Compose Specification's rules. Both trees are normalised already. */
#ifndef CC_MERGE_H
#define CC_MERGE_H

#include "node.h"

/* Merge a whole override file into base (top-level sections). override is
 * consumed: values are moved out of it into base, and it is left to be
 * freed. */
int cc_merge_project(struct cc_node *base, struct cc_node *override, struct cc_error *err);
/* Merge one service definition into base (used by files and extends):
 * mappings by key; command, entrypoint and healthcheck.test replaced;
 * ports, expose, dns, dns_search, dns_opt, cap_add, cap_drop, env_file,
 * external_links, security_opt, devices, tmpfs, group_add, links,
 * extra_hosts, profiles appended without duplicates; volumes merged by
 * target; secrets and configs by target; environment, labels, sysctls,
 * depends_on, networks, ulimits, build.args by key; logging options merged
 * when the driver is the same. !reset in override removes the key,
 * !override replaces without merging. */
int cc_merge_service(struct cc_node *base, const struct cc_node *override, struct cc_error *err);
/* Remove !reset-tagged entries from a tree that has nothing to merge onto. */
void cc_merge_strip_reset(struct cc_node *n);
/* Make the keyed lists of a whole project unique as docker compose does
 * after loading every file (compose-go EnforceUnicity): ports by
 * host_ip:published:target/protocol, volumes and devices by target, secrets
 * and configs by target (default /run/secrets/<source>, /<source>), env_file
 * by path, expose by port, cap_add, cap_drop, dns*, links, profiles, tmpfs,
 * network aliases by the text before "="; a later entry replaces the earlier
 * one in its place. cc_merge_project and cc_merge_service do this already;
 * call it for a project loaded from a single file. */
int cc_merge_enforce_unicity(struct cc_node *project, struct cc_error *err);

#endif
