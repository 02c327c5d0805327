/* The end of a build stage: its new layers (directories such as RUN steps'
 * upper dirs and COPY staging trees) become layer blobs, stacked on the
 * base image's, with a config (history, rootfs.diff_ids), as one image in
 * the store, optionally tagged. */
#ifndef CC_BUILD_COMMIT_H
#define CC_BUILD_COMMIT_H

#include <json-c/json.h>

#include "image-store.h"

struct cc_build_step {
        const char *created_by; /* history: "RUN /bin/sh -c make" */
        const char *dir;        /* its layer's tree, NULL: no layer (ENV, CMD, ...) */
};

struct cc_build_commit {
        const char *base_id;    /* "sha256:..." of the FROM image, NULL: scratch */
        json_object *config;    /* the image's "config" object (Env, Cmd, ...), borrowed */
        const struct cc_build_step *steps;
        size_t n;
        const struct cc_strv *tags; /* references to tag it with, or NULL */
        const char *author;     /* MAINTAINER, or NULL */
};

/* Store the image (one transaction: all or nothing); id_out gets its ID
 * (CC_DIGEST_LEN + 1 bytes). */
int cc_build_commit_image(struct cc_image_store *s, const struct cc_build_commit *c, char *id_out,
                          struct cc_error *err);

#endif
