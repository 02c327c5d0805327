/* The image builder: a Dockerfile and its context become an image in the
 * store. The pieces: dockerfile.c (text -> instructions), dockerignore.c,
 * build-copy.c (COPY/ADD), build-run.c (RUN as a container), build-commit.c
 * (layers + config -> image). This is the one entry point the command line
 * (ccompose build, up --build, watch's rebuild) calls. */
#ifndef CC_BUILDER_H
#define CC_BUILDER_H

#include <stdbool.h>
#include <stdio.h>

#include "cc-error.h"
#include "cc-util.h"
#include "image-store.h"

enum cc_build_progress {
        CC_BUILD_PROGRESS_PLAIN, /* BuildKit's plain lines: "#5 [2/4] RUN make", "#5 CACHED", "#5 DONE 0.3s" */
        CC_BUILD_PROGRESS_QUIET, /* nothing but errors */
        CC_BUILD_PROGRESS_TTY,   /* a terminal: BuildKit's live view, redrawn in place */
};

struct cc_build_secret {
        const char *id;   /* RUN --mount=type=secret,id=ID */
        const char *file; /* its content from this file, or */
        const char *env;  /* from this environment variable of ccompose's own */
};

struct cc_build_opts {
        const char *root;                       /* CCOMPOSE_ROOT */
        const char *project;                    /* cgroups and names of RUN containers */
        const char *context;                    /* absolute directory */
        const char *dockerfile;                 /* relative to context or absolute; NULL: "Dockerfile" */
        const char *dockerfile_inline;          /* the Dockerfile's text instead of a file, or NULL */
        const struct cc_strv *args;             /* "K=V" build args (a bare "K": from the environment) */
        const char *target;                     /* stage to build, NULL: the last */
        const struct cc_strv *labels;           /* "k=v", added to the image config */
        const struct cc_strv *tags;             /* references the result is tagged with; may be empty */
        const struct cc_strv *cache_from;       /* image references in the store to use as cache */
        const struct cc_strv *additional_contexts; /* "name=/abs/dir" for COPY --from=name, FROM name */
        const struct cc_strv *extra_hosts;      /* "name:ip" for RUN steps' /etc/hosts */
        const char *network;                    /* RUN steps: NULL/"default" (loopback only here), "none", "host" */
        const struct cc_strv *ssh;              /* "ID=/agent/socket", or "ID": $SSH_AUTH_SOCK (RUN --mount=type=ssh) */
        const struct cc_build_secret *secrets;
        size_t nsecrets;
        bool no_cache;
        bool pull;                              /* always pull FROM images */
        enum cc_build_progress progress;
        FILE *out;                              /* progress lines; NULL: stderr */
        const char *name;                       /* what is built, for messages and step labels: a service name, or NULL */
        unsigned *vertex;                       /* the "#N" counter the builds of one command share, or NULL: from 1 */
};

/* An --ssh value ("ID=SOCKET", or "ID" with $SSH_AUTH_SOCK set), checked
 * before a build; the socket itself is checked by the steps that mount it. */
int cc_build_ssh_check(const char *v, struct cc_error *err);

/* Build. id_out (CC_DIGEST_LEN + 1 bytes) gets the image's ID
 * ("sha256:..."). On an error nothing half-built is left: no container,
 * no tag, no partial image. Errors name the Dockerfile, line and
 * instruction as docker build does. */
int cc_build(const struct cc_build_opts *o, char *id_out, struct cc_error *err);

#endif
