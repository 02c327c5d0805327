/* Loading a project: find the compose files, read .env, interpolate,
 * include, extends, merge, validate, normalise, apply profiles. */
#ifndef CC_LOADER_H
#define CC_LOADER_H

#include "env.h"
#include "graph.h"
#include "node.h"

struct cc_load_options {
        struct cc_strv files;        /* -f, in order; "-" reads stdin */
        const char *project_name;    /* -p */
        const char *project_dir;     /* --project-directory */
        struct cc_strv env_files;    /* --env-file */
        struct cc_strv profiles;     /* --profile */
        bool no_interpolate;
        bool no_normalize;           /* no defaults (default network, resource
                                      * names, build context...), as compose-go's
                                      * SkipNormalization */
        bool no_resolve_paths;       /* keep relative paths relative */
        bool no_env_resolution;      /* env_file contents stay out of environment */
        bool no_consistency;         /* skip compose-go's consistency check */
        bool all_profiles;           /* keep every service whatever its profiles */
        const char *cwd;             /* NULL: getcwd() */
        const struct cc_env *shell;  /* NULL: the process environment */
        const char *stdin_data;      /* for "-f -"; NULL: read fd 0 */
};

struct cc_project {
        char *name;
        char *workdir;               /* project directory */
        struct cc_strv files;        /* compose files loaded, absolute */
        struct cc_env env;           /* shell environment over .env */
        struct cc_strv profiles;     /* active profiles */
        struct cc_node *model;       /* name, services, networks, volumes, secrets, configs */
        struct cc_strv disabled;     /* services left out by profiles */
        struct cc_graph graph;
        struct cc_strv warnings;     /* for the CLI to print, as docker compose
                                      * does (WARN[0000] ...): the load went on */
};

int cc_project_load(const struct cc_load_options *opts, struct cc_project **out, struct cc_error *err);
void cc_project_free(struct cc_project *p);
static inline void cc__project_freep(struct cc_project **p) { cc_project_free(*p); }
#define _cleanup_project_ __attribute__((cleanup(cc__project_freep)))
/* For a command whose process ends with the project: freeing a large
 * project node by node (a 10 MB file is ~2 M nodes) costs more than the
 * kernel takes to drop the whole heap at exit. The project stays
 * reachable (not a leak); builds with a leak checker free it. */
void cc_project_free_at_exit(struct cc_project *p);
static inline void cc__project_free_at_exitp(struct cc_project **p) { cc_project_free_at_exit(*p); }
#define _cleanup_project_at_exit_ __attribute__((cleanup(cc__project_free_at_exitp)))

/* A valid project name, as docker compose checks one: [a-z0-9][a-z0-9_-]*. */
bool cc_project_name_valid(const char *s);

/* Normalise a project name as docker compose does: lowercase, keep only
 * [a-z0-9_-], must start with a letter or digit. */
char *cc_project_name_normalize(const char *s);
/* Leave out env_file and label_file, whose contents the model holds in
 * environment and labels (docker compose config prints them so). */
void cc_model_discard_env_files(struct cc_node *model);
/* Shape the model as compose-go's JSON encoding prints it (config --format
 * json): extensions below the top level left out, every network's ipam
 * printed. */
void cc_model_json_shape(struct cc_node *model);
/* Shape the model as go-yaml prints compose-go's types (config): map keys
 * in go-yaml's order (digits by number: VAR2 before VAR10). */
void cc_model_yaml_shape(struct cc_node *model);
/* Shape the model as docker compose prints it with --no-interpolate (a
 * map[string]any marshalled as it is): every mapping sorted, by bytes for
 * JSON, in go-yaml's order for YAML, no null command or entrypoint. */
void cc_model_raw_shape(struct cc_node *model, bool json);
/* The services mapping of the model (never NULL after a successful load). */
struct cc_node *cc_project_services(const struct cc_project *p);
/* The configuration hash of a service (hex sha256 of its canonical JSON). */
char *cc_project_service_hash(const struct cc_project *p, const char *service);
/* The image a service runs: its `image:`, else the one `build:` makes,
 * named <project>-<service> as docker compose v2 names it; NULL for no
 * such service or one with neither. */
char *cc_project_service_image(const struct cc_project *p, const char *service);

#endif
