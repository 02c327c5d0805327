/* The variables a model uses, as `docker compose config --variables` lists
 * them (compose-go's template.ExtractVariables). */
#ifndef CC_VARIABLES_H
#define CC_VARIABLES_H

#include "node.h"

struct cc_variable {
        char *name;
        char *def;     /* ${X:-def} / ${X-def}, "" when none */
        char *alt;     /* ${X:+alt} / ${X+alt} */
        bool required; /* ${X:?msg} / ${X?msg} */
};

struct cc_variables {
        struct cc_variable *v; /* sorted by name once collected */
        size_t n;
};

/* Every variable of every string of n (not interpolated); a variable seen
 * twice keeps its last use, as in compose-go. */
void cc_variables_collect(const struct cc_node *n, struct cc_variables *out);
/* format: "table" (or NULL), "json" or "yaml". */
void cc_variables_format(const struct cc_variables *vars, const char *format, struct cc_buf *b);
void cc_variables_free(struct cc_variables *vars);

#endif
