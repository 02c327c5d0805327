/* From a service definition (normalised model) and its image to a fully
 * resolved container spec: the one place that knows how compose keys map
 * onto the runtime. Used by `run` and by the supervisor. */
#ifndef CC_SERVICE_SPEC_H
#define CC_SERVICE_SPEC_H

#include "container.h"
#include "image.h"
#include "loader.h"
#include "state.h"

/* What `ccompose run` can override on the command line. */
struct cc_spec_overrides {
        struct cc_strv env;      /* -e K=V (or K: from the shell), added last */
        struct cc_strv volumes;  /* -v SRC:DST[:ro] */
        struct cc_strv cap_add, cap_drop;
        struct cc_strv command;  /* COMMAND...: replaces the service's */
        const char *user;        /* -u */
        const char *workdir;     /* -w */
        const char *entrypoint;  /* --entrypoint (split like a shell) */
};

/* Fill spec (initialised with cc_container_spec_init) for container `name`
 * with the given id. ov may be NULL. *seccomp receives the compiled filter
 * the spec points to (NULL when unconfined); free it after the container
 * started. */
int cc_service_spec_build(const char *root, const struct cc_project *p, const char *service, const char *id,
                          const char *name, const struct cc_image *img, const struct cc_spec_overrides *ov,
                          struct cc_seccomp **seccomp, struct cc_container_spec *spec, struct cc_error *err);

/* The service's secrets and configs, resolved into spec->files: content
 * from the top-level definition (file: of at most 1 MiB, environment:,
 * configs' content:), target /run/secrets/<target> or /<source> unless
 * absolute, owner 0:0 and mode 0444 unless given. An error naming the
 * service and the secret when a source is missing, external or too large. */
int cc_service_spec_files(const struct cc_project *p, const char *service, struct cc_container_spec *spec,
                          struct cc_error *err);
/* The same check without a spec: before `up` starts anything. */
int cc_service_files_check(const struct cc_project *p, const char *service, struct cc_error *err);

/* network_mode service:X / container:NAME of service definition svc: the
 * pid of the container whose network namespace it joins (the first running
 * container of service X in st; NAME: a container name or id of st, else of
 * any project of runtime_dir). *pid = 0 for other modes; an error naming
 * the service when the target is unknown or not running. */
int cc_service_net_join(const char *runtime_dir, const struct cc_state *st, const char *service,
                        const struct cc_node *svc, pid_t *pid, struct cc_error *err);
/* volumes_from of service `service` ("svc[:ro|rw]", "service:svc[:mode]",
 * "container:NAME[:mode]"): the bind and volume mounts of that service's
 * first container in st (NAME: a container of st), added to spec where it
 * mounts nothing at the same target; ro or rw sets every mode, else each
 * keeps the source's. An error naming the service when the source has no
 * container. */
int cc_service_volumes_from(const char *root, const struct cc_project *p, const struct cc_state *st,
                            const char *service, struct cc_container_spec *spec, struct cc_error *err);
/* logging.driver: none: the service's output is kept nowhere (`logs`
 * cannot read it; the attached view of up still shows it). */
bool cc_service_logs_none(const struct cc_node *svc);
/* The command a container of the service runs, as one line (for ps). */
char *cc_service_command_line(const struct cc_node *svc, const struct cc_image *img);
/* "SIGTERM", "TERM", "term", "15" -> 15; -1 when unknown, 0 for NULL. */
int cc_signal_from_name(const char *s);

#endif
