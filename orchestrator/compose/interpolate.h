/* Variable substitution in compose files: $VAR, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt},
 * nested expressions inside defaults, and $$ for a literal $. */
#ifndef CC_INTERPOLATE_H
#define CC_INTERPOLATE_H

#include "env.h"
#include "node.h"

/* Set on scalars whose text came out of interpolation: the validator may
 * coerce such a string to the number or boolean the schema expects, as
 * docker compose does. */
#define CC_NODE_INTERPOLATED 0x4u

/* Substitute variables in one string. pos (may be NULL) is used in errors,
 * e.g. "compose.yaml:4:12: required variable DB_PASS is missing a value: set it".
 * An invalid expression ("${", "${A B}") is an error naming the text. */
int cc_interpolate_str(const char *in, const struct cc_env *env, const struct cc_pos *pos, char **out,
                       struct cc_error *err);

/* Substitute in every scalar value of the tree (mapping keys are left
 * alone). A scalar that changes keeps its position and other flags, becomes
 * a plain (quoted = false) string and gets CC_NODE_INTERPOLATED. */
int cc_interpolate_tree(struct cc_node *root, const struct cc_env *env, struct cc_error *err);
/* The same, and the name of each variable that $NAME or ${NAME} found unset
 * (it became "") is added to unset, once (docker compose warns of them). */
int cc_interpolate_tree_unset(struct cc_node *root, const struct cc_env *env, struct cc_strv *unset,
                              struct cc_error *err);

/* A variable lookup: the value of name, or NULL when it is not set. */
typedef const char *(*cc_lookup_fn)(const char *name, void *userdata);

/* cc_interpolate_str with a lookup function instead of an environment map.
 * Error messages carry no position. */
int cc_interpolate_lookup(const char *in, cc_lookup_fn lookup, void *userdata, char **out, struct cc_error *err);

#endif
