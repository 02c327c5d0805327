/* Ordered environment maps (shell environment, .env files, env_file) and
 * the .env file format as docker compose reads it. */
#ifndef CC_ENV_H
#define CC_ENV_H

#include "cc-error.h"

struct cc_hindex;

struct cc_env {
        size_t n, cap;
        char **keys;
        char **vals; /* a NULL value means "declared but unset" */
        struct cc_hindex *index; /* keys -> position, for large environments (env.c) */
};
/* An environment is copied with cc_env_merge, never by assignment (the
 * index belongs to one), and one of more than 16 keys is never const
 * storage (its first lookup builds the index). */

/* NULL when not set (or set to NULL). env may be NULL (nothing is set). */
const char *cc_env_get(const struct cc_env *env, const char *key);
/* True when the key is present, even with a NULL ("unset") value. */
bool cc_env_has(const struct cc_env *env, const char *key);
/* Set (copying key and value; value may be NULL), replacing an existing one. */
void cc_env_set(struct cc_env *env, const char *key, const char *val);
/* Set only if the key is not present yet. */
void cc_env_set_default(struct cc_env *env, const char *key, const char *val);
void cc_env_free(struct cc_env *env);
/* Fill from a NULL-terminated "K=V" array such as environ. Entries without
 * '=' or with an empty name are skipped; the first of duplicates wins and
 * keys already in env are kept. */
void cc_env_from_environ(struct cc_env *env, char **environ_);
/* Remove a key (nothing happens when it is missing). */
void cc_env_unset(struct cc_env *env, const char *key);
/* Set every pair of src in dst (replacing), in src's order. */
void cc_env_merge(struct cc_env *dst, const struct cc_env *src);

/* Parse .env text the way docker compose does: KEY=VAL lines, optional
 * "export " prefix, # comments (whole line, or after unquoted value with a
 * space before), single quotes (literal), double quotes (escapes \n \t \\ \"
 * and may span lines), ${VAR} interpolation in unquoted and double-quoted
 * values. As in compose-go, a variable is looked up in `lookup` first and
 * then among the keys defined earlier in the same file.
 * A line with only KEY (no '=') takes its value from lookup or is skipped.
 * Parsed pairs are added to *out in order (replacing keys *out already has);
 * on error *out is left unchanged. Errors name file:line. */
int cc_dotenv_parse(const char *data, const char *file, const struct cc_env *lookup, struct cc_env *out,
                    struct cc_error *err);
/* Read and parse a file; -ENOENT is returned (with a message) when missing. */
int cc_dotenv_load(const char *path, const struct cc_env *lookup, struct cc_env *out, struct cc_error *err);

#endif
