/* The builder's inner interface: one build (struct cc_builder) with its
 * Dockerfile, context and stages, shared by builder.c (the stages as a
 * graph, the progress lines, the commit) and build-instr.c (what each
 * instruction does to a stage). */
#ifndef CC_BUILD_STAGE_H
#define CC_BUILD_STAGE_H

#include <json-c/json.h>

#include "builder.h"
#include "build-commit.h"
#include "build-hashes.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "env.h"
#include "image-store.h"
#include "container.h"

/* One of BuildKit's "#N" steps of the progress output. */
struct cc_vertex {
        unsigned no;
        double t0;
};
enum cc_vertex_end { CC_VERTEX_DONE, CC_VERTEX_CACHED, CC_VERTEX_CANCELED, CC_VERTEX_ERROR };

struct cc_run_pending;

/* A named context (--build-context NAME=..., build.additional_contexts):
 * a directory (dir, open as fd) or an image (image: its reference). */
struct cc_build_context {
        char *name, *dir, *image;
        int fd;
};

struct cc_stage {
        char *name;              /* "AS name" (lower case), or NULL */
        size_t from, end;        /* its instructions: df.instrs[from] is the FROM, end is one past the last */
        char *base;              /* FROM's image, expanded ("scratch", a stage name or a reference) */
        long base_stage;         /* the stage it builds on, or -1 */
        const struct cc_build_context *base_ctx; /* or a named context's directory, or NULL */
        unsigned nsteps;         /* the steps counted in "[name i/n]": FROM, RUN, COPY, ADD, WORKDIR */
        bool needed, built;
        /* the state while it builds, then its result */
        char *base_id;           /* the image under it ("sha256:..."), NULL: scratch */
        json_object *config;     /* the image config's "config" object */
        char *author;            /* MAINTAINER */
        bool cmd_set;            /* CMD given in this Dockerfile (ENTRYPOINT resets an inherited one) */
        struct cc_strv layers;   /* layer directories, lowest first: the base's, then the new ones */
        char chain[CC_DIGEST_LEN + 1]; /* chain ID of the top layer, "" for none */
        char key[CC_DIGEST_LEN + 1];   /* cache key of the state so far */
        struct cc_build_step *steps; /* history since the base image (created_by and diff_id owned) */
        size_t nsteps_done;
        struct cc_env args;      /* ARGs in effect */
        struct cc_strv shell;    /* SHELL, default ["/bin/sh", "-c"] */
        unsigned step_no;        /* the [i/n] counter */
        /* where the build of it stands (builder.c runs independent stages at once) */
        bool started;            /* its FROM is done */
        size_t next;             /* the next instruction */
        struct cc_run_pending *run; /* its RUN step that runs, or NULL */
};

struct cc_builder {
        const struct cc_build_opts *o;
        struct cc_image_store *s;
        struct cc_dockerfile df;
        struct cc_dockerignore ignore;
        int ctxfd;               /* the context directory */
        struct cc_build_context *contexts; /* the named ones */
        size_t ncontexts;
        char *work;              /* scratch directory for this build (upper dirs, COPY trees) */
        int work_lock;           /* flock()ed on work while the build runs */
        long long epoch;         /* SOURCE_DATE_EPOCH, -1 when unset */
        char *created;           /* the image's time: the epoch's, or NULL (now) */
        struct cc_stage *stages;
        size_t nstages;
        struct cc_stage **images; /* images COPY --from or RUN --mount from= name, as stages */
        size_t nimages;
        struct cc_env build_args; /* --build-arg, resolved */
        struct cc_env meta;      /* ARGs before the first FROM and the platform ARGs */
        FILE *out;               /* progress, NULL: quiet */
        unsigned vertex;         /* BuildKit's "#N": the last one opened */
        struct cc_vertex last;
        struct cc_build_view *view; /* the live view on a terminal, or NULL */
        struct cc_strv used_args; /* build args some ARG consumed */
        /* what enters the store at the end (build-cache.c) */
        struct cc_pending_layer *pending;
        size_t npending;
        struct cc_strv pending_keys; /* cache keys (hex), and their records: */
        json_object *pending_recs;
        struct cc_file_hashes *hashes; /* digests of the context's files, once a COPY needs them */
};

/* Progress: "#N [stage i/n] TEXT" opens a vertex, end closes it ("#N
 * DONE 0.3s", "#N CACHED"...); done closes the last one opened. */
struct cc_vertex cc_builder_vertex(struct cc_builder *b, const char *fmt, ...) CC_PRINTF(2, 3);
void cc_builder_vertex_end(struct cc_builder *b, const struct cc_vertex *v, enum cc_vertex_end how);
void cc_builder_vertex_done(struct cc_builder *b, bool cached);
/* A line of the last vertex ("#N writing image ... done"; a sub-row of
 * the live view), and a line of the build's own (a warning: after the
 * live view's final frame). */
void cc_builder_vertex_log(struct cc_builder *b, const char *fmt, ...) CC_PRINTF(2, 3);
void cc_builder_note(struct cc_builder *b, const char *fmt, ...) CC_PRINTF(2, 3);
/* The live view (CC_BUILD_PROGRESS_TTY): started with the build, ticked
 * while steps run (the running rows' times), closed (the final frame and
 * the held lines) before an error block or at the end, then freed. */
void cc_builder_view_start(struct cc_builder *b);
void cc_builder_view_tick(struct cc_builder *b);
void cc_builder_view_close(struct cc_builder *b);
void cc_builder_view_free(struct cc_builder *b);
bool cc_builder_live(const struct cc_builder *b);
/* "[stage-0 2/5]" / "[2/5]" for the stage's next step ("[web 2/5]" in a
 * service's build), and "[internal]" ("[web internal]") for what. */
char *cc_builder_step_label(struct cc_builder *b, struct cc_stage *st);
char *cc_builder_label(struct cc_builder *b, const char *what);

/* The variables instructions of st expand: its ARGs, overridden by its ENV. */
void cc_stage_vars(const struct cc_stage *st, struct cc_env *out);
/* Add a history entry without a layer, or with one (diff_id; dir: its tree). */
void cc_stage_add_step(struct cc_stage *st, const char *created_by);
void cc_stage_add_step_layer(struct cc_stage *st, const char *created_by, const char *diff_id, const char *dir);
/* sha256 of parent (a key, "" for none) and what, into key. */
void cc_build_key(const char *parent, const void *what, size_t len, char *key);

/* Layer steps (RUN, COPY, ADD) and the cache. key: the step's cache key
 * (from cc_stage_step_key over what the step does). cc_stage_cached adds
 * the cached layer and returns 1 when there is one (and the cache is on),
 * else 0; cc_stage_add_layer stores the tree at dir (moved into the store;
 * an empty tree makes no layer) and records it under key. */
void cc_stage_step_key(const struct cc_stage *st, const void *what, size_t len, char *key);
int cc_stage_cached(struct cc_builder *b, struct cc_stage *st, const char *key, const char *created_by);
int cc_stage_add_layer(struct cc_builder *b, struct cc_stage *st, const char *key, const char *created_by,
                       const char *dir, struct cc_error *err);
/* The end of a build: the new layers and cache records into the store, in
 * one transaction, with the image of target (tagged; NULL: the build
 * failed, keep only what was built). Nothing is written when nothing is
 * new. */
int cc_builder_save(struct cc_builder *b, struct cc_stage *target, char *id_out, struct cc_error *err);
void cc_builder_pending_free(struct cc_builder *b);
/* The digests of the context's files kept from earlier builds (loaded on
 * the first call, written back by cc_builder_save). */
struct cc_file_hashes *cc_builder_file_hashes(struct cc_builder *b);
/* Record rec (owned) under key ("sha256:..."), saved with the build. */
void cc_builder_record(struct cc_builder *b, const char *key, json_object *rec);

/* ARG name[=default] (the global scope: global NULL) into `into`: a build
 * arg wins, then the default, then the global value. */
int cc_builder_declare_args(struct cc_builder *b, const struct cc_df_instr *in, const struct cc_env *vars,
                            const struct cc_env *global, struct cc_env *into, struct cc_error *err);
/* RUN's --mount and --network flags (build-mount.c): the step's mounts and
 * secret files, secret env= values for its environment, stage roots
 * mounted for binds (unmounted by cc_run_mounts_free), and what the mounts
 * add to the step's cache key (bound content; never a secret). */
struct cc_run_mounts {
        struct cc_mount *mounts;
        size_t n;
        struct cc_file_mount *files;
        size_t nfiles;
        struct cc_strv env;
        struct cc_strv unmount;
        struct cc_buf key;
        bool net_host;
};
int cc_run_mounts_parse(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                        struct cc_run_mounts *rm, struct cc_error *err);
void cc_run_mounts_free(struct cc_run_mounts *rm);
/* The merged tree of st's layers at *path (read-only; *mounted: an overlay
 * mount under the work dir, to unmount). */
int cc_stage_root(struct cc_builder *b, const struct cc_stage *st, char **path, bool *mounted, struct cc_error *err);

/* ADD's sources (build-add.c): URLs are fetched into a directory of the
 * build's (*dirfd; the sources renamed to their files), from loopback
 * hosts only; a single local tar archive is to be unpacked (*extract: by
 * cc_build_add_extract into a new tree *dir). COPY refuses URLs. */
int cc_build_add_sources(struct cc_builder *b, const struct cc_df_instr *in, struct cc_strv *srcs,
                         const char *checksum, int *dirfd, bool *extract, struct cc_error *err);
int cc_build_add_extract(struct cc_builder *b, const char *src, const char *dest, char **dir, struct cc_error *err);

/* Carry out instruction in of st (everything but FROM). */
int cc_build_instr(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in, struct cc_error *err);
/* The same, but a RUN step that runs is left running: 1 (st->run set).
 * Its pidfd (cc_build_run_fd, -1 for none) is readable when it ended;
 * cc_build_run_end then finishes it (its layer, output, errors), or
 * cancels it (cancel: killed, "#N CANCELED"). */
int cc_build_instr_begin(struct cc_builder *b, struct cc_stage *st, const struct cc_df_instr *in,
                         struct cc_error *err);
int cc_build_run_fd(const struct cc_stage *st);
int cc_build_run_end(struct cc_builder *b, struct cc_stage *st, bool cancel, struct cc_error *err);
/* An image (pulled when missing) as a stage for COPY --from=IMAGE and
 * bind mounts from it; NULL with err set when there is none. */
struct cc_stage *cc_builder_image_stage(struct cc_builder *b, const char *ref, struct cc_error *err);
void cc_stage_free(struct cc_stage *st);
/* The named context name (case-insensitive), or NULL. */
const struct cc_build_context *cc_builder_context(const struct cc_builder *b, const char *name);
/* FROM a named context's directory: its files, as one layer over scratch. */
int cc_build_from_context(struct cc_builder *b, struct cc_stage *st, const struct cc_build_context *ctx,
                          struct cc_error *err);
/* The stage named by COPY --from (name or index), or NULL. */
struct cc_stage *cc_builder_find_stage(struct cc_builder *b, const char *name, size_t before);

#endif
