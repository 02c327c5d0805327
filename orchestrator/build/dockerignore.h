/* .dockerignore: which files of a build context the builder leaves out,
 * as moby's patternmatcher decides (Go filepath.Match patterns, "**" for
 * any number of directories, "!" exceptions, the last matching pattern
 * wins, a pattern that matches a directory covers what is below it).
 * Pure: the caller reads the file. */
#ifndef CC_DOCKERIGNORE_H
#define CC_DOCKERIGNORE_H

#include <regex.h>

#include "cc-error.h"
#include "cc-util.h"

struct cc_ignore_pattern {
        char *text;     /* the cleaned pattern, without "!" */
        bool exception; /* "!pattern": keep what it matches */
        regex_t re;
};

struct cc_dockerignore {
        struct cc_ignore_pattern *pats;
        size_t n;
};

/* Parse the text of a .dockerignore file (named file, for messages):
 * blank lines and "#" comments are skipped, each pattern is trimmed and
 * cleaned (a leading "/" and "./" dropped). */
int cc_dockerignore_parse(const char *text, const char *file, struct cc_dockerignore *out, struct cc_error *err);
void cc_dockerignore_free(struct cc_dockerignore *di);
/* Is path (relative to the context, "/"-separated, clean) left out? */
bool cc_dockerignore_excludes(const struct cc_dockerignore *di, const char *path);

#endif
