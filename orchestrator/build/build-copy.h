/* COPY and ADD from a build context (or an earlier stage's root): the
 * selected files, less what .dockerignore leaves out, are copied into a
 * staging tree laid out as the layer will be, and hashed by content (names,
 * modes, owners, link targets, file data; not mtimes) for the cache. */
#ifndef CC_BUILD_COPY_H
#define CC_BUILD_COPY_H

#include <sys/types.h>

#include "cc-error.h"
#include "cc-util.h"
#include "build-hashes.h"
#include "dockerignore.h"

struct cc_build_copy {
        int srcfd;                       /* the context's (or stage root's) directory */
        const struct cc_strv *srcs;      /* paths relative to it; globs in the last component */
        const char *dest;                /* absolute path in the image; a trailing "/": a directory */
        bool chown;                      /* --chown: uid and gid below (numeric); else 0:0 */
        uid_t uid;
        gid_t gid;
        const struct cc_dockerignore *ignore; /* NULL: nothing ignored */
        int chmod;                       /* --chmod: permission bits of what is copied; 0: keep */
        bool parents;                    /* --parents: each source keeps its path below dest */
        int prevfd;                      /* the tree this COPY made before (a layer of the store's,
                                            never written to), or <= 0 for none: a file the same there (path,
                                            size, time to the nanosecond, mode, owner) is hard-linked
                                            from it instead of copied */
        struct cc_file_hashes *hashes;   /* srcfd is the context: digests of its files kept
                                            by their stat (used and added to), or NULL */
        const char *prev_chain;          /* the layer prevfd is ("sha256:..."): with hashes, the
                                            digests of its files are looked up there */
        struct cc_strv *staged;          /* NULL, or gets "DIGEST DEST" of each regular file
                                            staged (for cc_file_hashes_put_tree) */
};

/* Copy into the staging tree stagefd (its root is the image's "/"), or
 * only hash with stagefd < 0. digest_out: "sha256:<hex>" (72 bytes). A
 * source that is missing, leaves the context or is ignored entirely fails
 * with its name. */
int cc_build_copy_run(const struct cc_build_copy *c, int stagefd, char *digest_out, struct cc_error *err);

#endif
