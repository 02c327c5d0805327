/* The Compose Specification's structure: which keys exist where and what
 * type each holds. Validation happens on each file after interpolation and
 * before normalisation, so both short and long syntaxes are accepted. */
#ifndef CC_SCHEMA_H
#define CC_SCHEMA_H

#include "node.h"

/* Check a whole compose file. Unknown keys, wrong types and invalid enum
 * values are errors naming file:line:col, the path and the key, e.g.
 *   compose.yaml:7:5: services.web: additional property "imagee" is not allowed
 *   compose.yaml:9:14: services.web.ports must be an array
 * Keys starting with "x-" are allowed wherever the specification allows
 * extensions. Strings that came from interpolation (CC_NODE_INTERPOLATED)
 * are converted in place to the number or boolean the schema expects. */
int cc_schema_validate(struct cc_node *root, struct cc_error *err);
/* The same, with warnings (YAML 1.1 booleans read as booleans) added to
 * warnings (may be NULL). */
int cc_schema_validate_warn(struct cc_node *root, struct cc_strv *warnings, struct cc_error *err);

/* Call fn with the path of every key the specification names, parents
 * before their children: "services", "services.*.deploy",
 * "services.*.deploy.placement", "services.*.volumes[].bind.propagation".
 * A name the user chooses (a service, a network, an environment
 * variable) is "*"; the items of a sequence are "[]". Extension keys
 * (x-*) are not named. For the table of what the engine does with each
 * key (support.c) and its test. */
void cc_schema_walk(void (*fn)(const char *path, void *data), void *data);

#endif
