/* Reading the loader's input files (compose files, .env files, env_file)
 * with a bound on their size: a file larger than that, or a device that
 * never ends (/dev/zero), is refused after at most that many bytes. */
#ifndef CC_INPUT_H
#define CC_INPUT_H

#include <stddef.h>

#include "cc-error.h"

/* The largest compose file, .env file or env_file the loader reads: 16 MiB.
 * Real compose files are a few kilobytes (docker compose's practical inputs
 * stay far below 10 MB); the bound keeps a wrong path or a hostile file from
 * making the loader use unbounded memory. */
#define CC_INPUT_MAX_SIZE ((size_t) 16 << 20)
#define CC_INPUT_MAX_SIZE_TEXT "16 MiB"

/* Read all of path (NUL-terminated in *out, its length in *len unless len
 * is NULL). `what` names the kind of file in messages ("compose file", "env
 * file"). A file over CC_INPUT_MAX_SIZE gives -EFBIG, read no further than
 * the limit; other failures give -errno ("couldn't read env file X: ..."). */
int cc_input_read(const char *path, const char *what, char **out, size_t *len, struct cc_error *err);
/* The -EFBIG error for an input (`what` `name`) over CC_INPUT_MAX_SIZE. */
int cc_input_too_large(const char *what, const char *name, struct cc_error *err);

#endif
