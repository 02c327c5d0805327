/* The project supervisor: one libuv loop that starts a project's
 * containers in dependency order, watches them through pidfds, restarts
 * them per policy, runs healthchecks, writes their logs, and (attached)
 * prints them. It is the `ccompose up` process itself, or a detached
 * daemon with `up -d`. Other commands reach it over the control socket
 * $CCOMPOSE_RUNTIME_DIR/<project>/control.sock. */
#ifndef CC_SUPERVISOR_H
#define CC_SUPERVISOR_H

#include "cli.h"
#include "state.h"

struct cc_up_opts {
        bool detach;
        bool no_deps;
        bool force_recreate;
        bool no_recreate;
        bool remove_orphans;     /* --remove-orphans, COMPOSE_REMOVE_ORPHANS */
        bool ignore_orphans;     /* COMPOSE_IGNORE_ORPHANS: no orphan warning */
        bool no_start;           /* create only */
        bool wait;               /* -d --wait: until healthy / completed */
        long long wait_timeout_ms;
        long long stop_timeout_ms; /* -t, < 0: per service */
        bool abort_on_exit;      /* --abort-on-container-exit */
        bool abort_on_failure;   /* --abort-on-container-failure */
        const char *exit_code_from;
        bool no_log_prefix;
        bool no_color;
        bool timestamps;
        struct cc_strv services; /* explicit SERVICE... */
        bool only_services;      /* start just those, even when the list is empty (run -d) */
        struct cc_strv scale;    /* SERVICE=N */
        struct cc_strv no_attach;
        bool build;              /* --build: build every selected service's image first */
        bool no_build;           /* --no-build: build none, not even a missing one */
        bool reexec;             /* the command line (cli->argv) makes these options: a running
                                    supervisor may re-execute itself with it (up -d) */
};

/* Run `up`: attached (returns when the stack stops) or detached (returns
 * once the daemon reports the stack started). Returns the exit code. */
int cc_up(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o);

/* Send one request to a running supervisor and print its replies until it
 * ends the exchange. Returns -ENOENT when no supervisor runs. */
int cc_sup_request(const struct cc_cli *cli, const char *project, const char *json, int *exit_code,
                   struct cc_error *err);

/* Ask the running supervisor to re-execute itself with this command line
 * (cli->argv), environment and working directory: the connected socket,
 * on which its progress lines come, then "\001READY N". -ENOENT when no
 * supervisor runs. */
int cc_sup_request_reexec(const struct cc_cli *cli, const char *project, struct cc_error *err);

/* Is the project's supervisor alive? */
bool cc_sup_alive(const struct cc_state *st);

/* A recorded process may have died meanwhile (no supervisor watching, or
 * one that could not write the state file): mark what is true now, with
 * the keeper's exit record when there is one. With a supervisor, a
 * restarting container has no process between its runs. For ps and the
 * API's lists; st is not saved. */
void cc_state_refresh(const char *runtime_dir, struct cc_state *st);

/* Container names as docker compose makes them. */
char *cc_container_name(const char *project, const char *service, int number, const char *container_name);

#endif
