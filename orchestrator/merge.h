/* Merging compose files (the -f list, override files, extends) with the
 * Compose Specification's rules. Both trees are normalised already. */
#ifndef CC_MERGE_H
#define CC_MERGE_H

#include "node.h"

/* Merge a whole override file into base (top-level sections). */
int cc_merge_project(struct cc_node *base, struct cc_node *override, struct cc_error *err);
/* Merge one service definition into base (used by files and extends):
 * mappings by key; command, entrypoint and healthcheck.test replaced;
 * ports, expose, dns, dns_search, dns_opt, cap_add, cap_drop, env_file,
 * external_links, security_opt, devices, tmpfs, group_add, links,
 * extra_hosts, profiles appended without duplicates; volumes merged by
 * target; secrets and configs by source; environment, labels, sysctls,
 * depends_on, networks, ulimits, build.args by key; logging options merged
 * when the driver is the same. !reset in override removes the key (or
 * sets the empty value), !override replaces without merging. */
int cc_merge_service(struct cc_node *base, const struct cc_node *override, struct cc_error *err);
/* Remove !reset-tagged entries from a tree that has nothing to merge onto. */
void cc_merge_strip_reset(struct cc_node *n);

#endif
