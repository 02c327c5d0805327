/* What the engine does with each key the loader accepts: one table, the
 * single source of truth. A key is supported (the engine does what it
 * says, at load or at run time), unsupported (nothing is done with it, or
 * with anything beneath it: `up` names it in a warning), or partly
 * supported (some values work; `up` names the others). Keys are schema
 * paths as cc_schema_walk() gives them ("services.*.deploy.placement");
 * a unit test walks the schema and fails for a key the table does not
 * decide. */
#ifndef CC_SUPPORT_H
#define CC_SUPPORT_H

#include "loader.h"

enum cc_support {
        CC_SUPPORTED,
        CC_UNSUPPORTED, /* the key and everything beneath it */
        CC_PARTLY,      /* the values not in the rule's `ok` list */
};

struct cc_support_rule {
        const char *path;
        enum cc_support support;
        /* Unsupported and partly supported keys: what the warning says after
         * the key (and, for CC_PARTLY, the values): "has no effect on a
         * single host". */
        const char *reason;
        /* Values that do what they say or mean nothing (a default), so
         * are never warned about. A scalar is matched by its text, a
         * mapping by its keys, a sequence by its scalar items; "x*" matches
         * every string that starts with x. Null, false, "" and empty
         * mappings and sequences are never warned about either. */
        const char *const *ok;
        /* Or: a value this says the engine honours is never warned about. */
        bool (*honoured)(const struct cc_node *value);
};

/* The host directory of a volume whose driver_opts make it a bind of the
 * local driver (type: none, o: bind, device: /path; nothing else), or
 * NULL. */
const char *cc_support_volume_device(const struct cc_node *driver_opts);

/* The rule for a schema path, or NULL when the table has none. */
const struct cc_support_rule *cc_support_rule(const char *path);
/* The rule that decides a schema path: its own, or that of an unsupported
 * ancestor (which covers everything beneath it). NULL: undecided. */
const struct cc_support_rule *cc_support_decide(const char *path);
/* Every rule, in table order; *n is set to their number. */
const struct cc_support_rule *cc_support_rules(size_t *n);

/* The warnings `up`, `create` and `run` print for a loaded project, one a
 * (service or resource, key), in table order, e.g.
 *   service web: deploy.placement has no effect on a single host
 *   network front: driver_opts "com.docker.network.bridge.name" is not supported
 * services: only these (NULL: every service of the project). Appended to
 * out. */
void cc_support_warnings(const struct cc_project *p, const struct cc_strv *services, struct cc_strv *out);
/* The same, one call of fn for each warning with the rule it comes from. */
typedef void (*cc_support_fn)(const struct cc_support_rule *r, const char *msg, void *data);
void cc_support_check(const struct cc_project *p, const struct cc_strv *services, cc_support_fn fn, void *data);

#endif
