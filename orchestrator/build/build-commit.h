/* The end of a build stage: its new layers (in the store already, see
 * cc_image_layer_from_dir), stacked on the base image's, with a config
 * (history, rootfs.diff_ids), become one image in the store, optionally
 * tagged. */
#ifndef CC_BUILD_COMMIT_H
#define CC_BUILD_COMMIT_H

#include <json-c/json.h>

#include "image-store.h"

struct cc_build_step {
        const char *created_by; /* history: "RUN /bin/sh -c make" */
        const char *diff_id;    /* its layer (in the store), NULL: no layer (ENV, CMD, ...) */
};

struct cc_build_commit {
        const char *base_id;    /* "sha256:..." of the FROM image, NULL: scratch */
        json_object *config;    /* the image's "config" object (Env, Cmd, ...), borrowed */
        const struct cc_build_step *steps;
        size_t n;
        const struct cc_strv *tags; /* references to tag it with, or NULL */
        const char *author;     /* MAINTAINER, or NULL */
        const char *created;    /* RFC 3339 time of the image and its history, NULL: now */
};

/* Store the image (one transaction: all or nothing); id_out gets its ID
 * (CC_DIGEST_LEN + 1 bytes). */
int cc_build_commit_image(struct cc_image_store *s, const struct cc_build_commit *c, char *id_out,
                          struct cc_error *err);
/* The same inside the caller's transaction. */
int cc_build_commit_in_tx(struct cc_image_store *s, const struct cc_build_commit *c, char *id_out,
                          struct cc_error *err);

#endif
