/* The content-addressed image store under $CCOMPOSE_ROOT:
 *   images/blobs/sha256/<hex>    manifests, configs and compressed layers
 *   images/index.json            tag -> manifest digest
 *   layers/<chainid-hex>/        unpacked layer trees (overlayfs form)
 * Owner: the image store (runtime/image/). The container runtime uses
 * only what is declared here. */
#ifndef CC_IMAGE_H
#define CC_IMAGE_H

#include <json-c/json.h>

#include "cc-error.h"

struct cc_image_store;

/* The parts of an image the runtime needs. */
struct cc_image {
        char *ref;                  /* normalised reference, e.g. docker.io/library/busybox:latest */
        char *id;                   /* "sha256:<hex>" of the config blob (Docker's image ID) */
        struct cc_strv layer_dirs;  /* unpacked layer directories, lowest first */
        json_object *config;        /* the OCI/Docker image config ("config" member:
                                       Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts,
                                       Volumes, Healthcheck, StopSignal, Labels) */
};

/* Open (creating directories as needed) the store at root. */
int cc_image_store_open(const char *root, struct cc_image_store **out, struct cc_error *err);
void cc_image_store_close(struct cc_image_store *s);

/* Normalise a reference like Docker: "busybox" -> "docker.io/library/busybox:latest",
 * "localhost:5000/x" -> "localhost:5000/x:latest"; digests kept. NULL if invalid. */
char *cc_image_ref_normalize(const char *ref);

/* Find an image by reference, short or full ID. -ENOENT with a message that
 * names the image and how to get it when missing. */
int cc_image_lookup(struct cc_image_store *s, const char *ref, struct cc_image **out, struct cc_error *err);
void cc_image_free(struct cc_image *img);

#endif
