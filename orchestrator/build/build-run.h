/* RUN: one build step as a container of our own runtime, over the stage's
 * layers, with Docker's build defaults (default capabilities and seccomp
 * filter, loopback-only network); what it changed is its overlay upper
 * directory, handed back for the layer (cc_layer_write_dir) and as the
 * next step's lowest-but-new layer. What the step mounts (RUN --mount,
 * secrets) is no part of it: the mount points the runtime made for them
 * are removed from the upper directory. */
#ifndef CC_BUILD_RUN_H
#define CC_BUILD_RUN_H

#include "cc-error.h"
#include "cc-util.h"
#include "container.h"

struct cc_build_run {
        const char *root;              /* CCOMPOSE_ROOT */
        const char *project;           /* cgroup "ccompose/<project>/<id>" */
        const struct cc_strv *layers;  /* the stage's layer dirs, lowest first */
        const struct cc_strv *argv;    /* ["/bin/sh", "-c", "..."] or the JSON form */
        const struct cc_strv *env;     /* "K=V": the stage's env and build args */
        const char *user;              /* NULL or "": root */
        const char *cwd;               /* NULL: "/" */
        int out_fd;                    /* the step's stdout and stderr; -1: /dev/null */
        const struct cc_mount *mounts; /* RUN --mount: binds (cache, bind) and tmpfs */
        size_t n_mounts;
        const struct cc_file_mount *files; /* RUN --mount=type=secret: the secret files */
        size_t n_files;
        bool net_host;                 /* --network=host, else loopback only */
        const char *hosts;             /* /etc/hosts of the step (extra hosts), NULL: the engine's */
};

/* Run the step to its end. On exit code 0, *upper (owned) is a directory
 * under dest_dir holding the step's changes in overlay form; otherwise an
 * error names the command and the exit code ("process \"/bin/sh -c exit 3\"
 * did not complete successfully: exit code: 3") and *exit_code has it. No
 * container, cgroup or mount is left either way. */
int cc_build_run_step(const struct cc_build_run *r, const char *dest_dir, char **upper, int *exit_code,
                      struct cc_error *err);

/* The same in two halves, for steps of independent stages that run at
 * the same time: start the step (what r points at must live until its
 * finish), learn from its pidfd (readable) that it ended, then finish it
 * (blocks until it ends): the result as above, the handle freed. Cancel
 * kills what the step runs; its finish then fails with -ECANCELED. */
struct cc_build_running;
int cc_build_run_start(const struct cc_build_run *r, struct cc_build_running **out, struct cc_error *err);
int cc_build_run_pidfd(const struct cc_build_running *h);
void cc_build_run_cancel(struct cc_build_running *h);
int cc_build_run_finish(struct cc_build_running *h, const char *dest_dir, char **upper, int *exit_code,
                        struct cc_error *err);

#endif
