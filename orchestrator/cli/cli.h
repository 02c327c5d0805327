/* Command-line front end: global options and the command table. */
#ifndef CC_CLI_H
#define CC_CLI_H

#include <stdio.h>

#include "loader.h"

enum cc_ansi { CC_ANSI_AUTO, CC_ANSI_NEVER, CC_ANSI_ALWAYS };

struct cc_cli {
        struct cc_load_options load;
        enum cc_ansi ansi;
        const char *root;        /* CCOMPOSE_ROOT, default /var/lib/ccompose */
        const char *runtime_dir; /* CCOMPOSE_RUNTIME_DIR, default /run/ccompose */
        struct cc_strv argv;     /* the whole command line, as given */
        bool dry_run;            /* --dry-run: say what would be done, change nothing */
        const char *progress;    /* --progress, else COMPOSE_PROGRESS: auto, tty, plain, json, quiet; NULL: auto */
        int command_index;       /* the command's name in argv: the global options are before it */
};

/* A command: argv[0] is the command name. Returns the process exit code. */
typedef int (*cc_cmd_fn)(struct cc_cli *cli, int argc, char **argv);

enum cc_dry_kind { CC_DRY_READS, CC_DRY_PLANS, CC_DRY_REFUSES };

struct cc_cmd {
        const char *name;
        cc_cmd_fn fn;
        const char *summary;
        enum cc_dry_kind dry; /* what it does with --dry-run */
};

int cc_cli_main(int argc, char **argv);
/* Where progress lines (" Container x  Started") go: stderr, or stdout
 * when COMPOSE_STATUS_STDOUT is true, as docker compose does. */
FILE *cc_cli_status(void);
/* A progress line of --dry-run, on cc_cli_status(), with docker compose's
 * prefix: " DRY-RUN MODE -  Container x  Created". */
void cc_cli_dry(const char *fmt, ...) CC_PRINTF(1, 2);
/* An environment variable docker compose reads as a boolean
 * (strconv.ParseBool of its lower case): "1", "t", "true" are true;
 * unset or anything else false. */
bool cc_cli_env_bool(const char *name);
/* The load's warnings on stderr, as docker compose prints them. */
void cc_cli_print_warnings(const struct cc_project *p);
/* The keys of the project the engine does not honour (support.c), one
 * WARN line each, for the services named and, unless no_deps, what they
 * depend on; for every service when none is named. up, create and run. */
void cc_cli_print_support_warnings(const struct cc_project *p, const struct cc_strv *services, bool no_deps);
/* Load the project described by the global options; prints its warnings,
 * or the error and returns non-zero on failure. */
int cc_cli_load_project(struct cc_cli *cli, struct cc_project **out);
/* Open the image store (cli->root); non-zero after printing why not. */
struct cc_image_store;
int cc_cli_open_store(struct cc_cli *cli, struct cc_image_store **s);
/* The services pull and push act on: those named in services[0..n) (with
 * their dependencies when with_deps), all when none is named. *sel (owned)
 * gets a flag per index of p->graph; non-zero after printing "no such
 * service: X". */
int cc_cli_select_services(struct cc_project *p, char **services, int n, bool with_deps, bool **sel);
/* Load the project, check that each of services[0..n) is one of its
 * services ("no such service: X"), and load its state file. Prints the
 * error and returns non-zero on failure. */
struct cc_state;
int cc_cli_load_project_state(struct cc_cli *cli, char **services, int n, struct cc_project **p,
                              struct cc_state **st);
/* Take the project's lock (busy -> message) and load its state. Returns
 * the lock fd, or -1 after printing the error. */
int cc_cli_lock_state(struct cc_cli *cli, const char *project, struct cc_state **st);
bool cc_cli_color(const struct cc_cli *cli, int fd);
/* --index N: a replica number, 1 or more (else a message, non-zero). */
int cc_cli_parse_index(const char *arg, int *out);
/* The value of a boolean flag given as --flag (arg NULL: true) or
 * --flag=VALUE, read as docker's CLI reads it (strconv.ParseBool: 1, t,
 * true, 0, f, false, any case of T/F/TRUE/FALSE); else its message and
 * non-zero. */
int cc_cli_parse_bool_flag(const char *flag, const char *arg, bool *out);
/* True when argv has -h/--help before any "--". */
bool cc_cli_wants_help(int argc, char **argv);

int cc_cmd_config(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_run(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_up(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_down(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_ps(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_port(struct cc_cli *cli, int argc, char **argv); /* network: cmd-port.c */
int cc_cmd_logs(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_exec(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_nsexec(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_stop(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_start(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_restart(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_kill(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_pause(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_unpause(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_events(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_ls(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_top(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_wait(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_create(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_rm(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_version(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_cp(struct cc_cli *cli, int argc, char **argv);
/* cp's view of a container's files (also the API's archive): an fd of its
 * root, a running one's through /proc/PID/root, a stopped one's overlay
 * mounted again (without its volumes); -EBUSY while it restarts. */
struct cc_ctr_state;
int cc_cp_open_root(const struct cc_cli *cli, const struct cc_ctr_state *ct, int *root, struct cc_error *err);
/* The name of the top entry of an archive of path, as docker cp names
 * it: its base name, or "." (the contents) for a directory named "dir/.". */
char *cc_cp_archive_name(const char *path, bool is_dir);
int cc_cmd_images(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_stats(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_attach(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_completion(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_system(struct cc_cli *cli, int argc, char **argv); /* system service: orchestrator/api */
/* The names of the commands that work (those offered by --help). */
void cc_cli_command_names(struct cc_strv *out);
/* watch (cmd-watch.c); up --watch: the watcher of the services named (all
 * when none) in a child process, once their containers run; its pid, or
 * -1 after printing why not (no rule). */
int cc_cmd_watch(struct cc_cli *cli, int argc, char **argv);
struct cc_project;
pid_t cc_watch_spawn(struct cc_cli *cli, struct cc_project *p, const struct cc_strv *services);
/* docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-a,x"; each key a
 * character or ctrl-<a-z @ [ \ ] ^ _>. The bytes into out (cap), their
 * count in *n; -EINVAL for anything else. */
int cc_detach_keys_parse(const char *spec, char *out, size_t cap, size_t *n);
/* Building images (service-build.c, cmd-build.c). */
struct cc_build_flags {
        bool no_cache;                     /* --no-cache */
        bool pull;                         /* --pull */
        bool quiet;                        /* -q, --progress quiet: errors only */
        bool tty;                          /* the live view (cc_cli_build_live) */
        const struct cc_strv *build_args;  /* --build-arg K=V (or K: from the environment) */
        unsigned *vertex;                  /* the builds' shared "#N" counter, or NULL */
};
/* The builder's live view for --progress P (NULL: auto): tty, or auto on
 * a terminal (stderr), unless --ansi never. */
bool cc_cli_build_live(const struct cc_cli *cli, const char *progress);
/* Build one service's image from its build: section (every key of the
 * Compose Specification mapped to the builder's options), tagged with its
 * image name (cc_project_service_image) and build.tags. The builder's
 * progress goes to stderr. -errno with err naming the service. */
int cc_service_build(struct cc_cli *cli, const struct cc_project *p, const char *service,
                     const struct cc_build_flags *f, struct cc_error *err);
/* Build the images of the services sel selects (all when NULL) that have
 * a build: section, in dependency order, each image once (built collects
 * the normalised names built). only_missing (up, run, create): only those
 * whose image is not in the store or whose pull_policy is build. Returns
 * 0, or 1 after printing the error. */
int cc_project_build(struct cc_cli *cli, const struct cc_project *p, const bool *sel, bool only_missing,
                     const struct cc_build_flags *f, struct cc_strv *built);
/* A --progress value docker compose takes: auto, tty, plain, quiet (json
 * is refused: there are no JSON events); else -1 after saying so. */
int cc_cli_progress_check(const char *v);
/* The ID of the service's image (cc_project_service_image) in the store,
 * or NULL. */
char *cc_service_image_id(struct cc_cli *cli, const struct cc_project *p, const char *service);
/* The build flags the global --progress gives (quiet or not). */
void cc_cli_build_flags(const struct cc_cli *cli, struct cc_build_flags *f);
int cc_cmd_build(struct cc_cli *cli, int argc, char **argv);
/* Registry pulls and credentials (cmd-pull.c). */
int cc_cmd_pull(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_login(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_logout(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_image_pull(struct cc_cli *cli, int argc, char **argv);
/* `ccompose image build` (cmd-image-build.c). */
int cc_cmd_image_build(struct cc_cli *cli, int argc, char **argv);
/* `ccompose image save` (cmd-image-save.c). */
int cc_cmd_image_save(struct cc_cli *cli, int argc, char **argv);
/* Registry pushes (cmd-push.c). */
int cc_cmd_push(struct cc_cli *cli, int argc, char **argv);
int cc_cmd_image_push(struct cc_cli *cli, int argc, char **argv);
struct cc_push_request {
        bool quiet;           /* no progress, no "Skipped" lines */
        bool ignore_failures; /* push what can be pushed; failures are warnings */
};
/* docker compose push: the image: (and build.tags) of every service that
 * has build: and image: (sel: indexes in p->graph; NULL: all services),
 * progress on stderr; the exit code (1 after printing why). For `ccompose
 * build --push` too. */
int cc_push_services(struct cc_cli *cli, struct cc_project *p, const bool *sel, const struct cc_push_request *rq);

#endif
