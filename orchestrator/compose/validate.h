/* compose-go's rules beyond the schema (validation and consistency). */
#ifndef CC_VALIDATE_H
#define CC_VALIDATE_H

#include "node.h"

/* Every mapping key is a string ("non-string key in services.web: 1"). */
int cc_validate_keys(const struct cc_node *root, struct cc_error *err);
/* One file after its schema check: environment entries whose name ends in
 * a space. */
int cc_validate_file(const struct cc_node *root, struct cc_error *err);
/* The merged model's networks, volumes, secrets and configs (external
 * resources, sources of secrets and configs); deprecated forms warn. */
int cc_validate_resources(const struct cc_node *model, struct cc_strv *warnings, struct cc_error *err);
/* Each service of the normalised model; with consistency, also
 * compose-go's consistency check (network_mode and networks, healthcheck
 * tests, scale, watch targets, mounts on one target). */
int cc_validate_services(const struct cc_node *services, bool consistency, struct cc_error *err);

#endif
