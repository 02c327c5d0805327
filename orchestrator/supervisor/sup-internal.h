/* Supervisor internals shared by supervisor*.c. */
#ifndef CC_SUP_INTERNAL_H
#define CC_SUP_INTERNAL_H

#include <stdatomic.h>
#include <uv.h>

#include "container.h"
#include "image.h"
#include "logfile.h"
#include "normalize.h"
#include "service-spec.h"
#include "supervisor.h"

enum cc_svc_phase {
        CC_SVC_IDLE,     /* not part of this up */
        CC_SVC_WAITING,  /* waiting for its dependencies */
        CC_SVC_STARTED,  /* its containers were started */
        CC_SVC_FAILED,   /* could not start (dependency or runtime error) */
};

struct cc_sup;
struct cc_sup_svc;
struct cc_conn;

/* A start request waiting for its services (sup-start.c): its connection
 * (sup-control.c) stays open and gets the progress lines as they come. */
struct cc_sup_pending {
        struct cc_conn *conn;
        struct cc_buf out;         /* progress not sent yet */
        struct cc_strv services;   /* what the start waits for */
};

struct cc_sup_ctr {
        struct cc_sup *sup;
        struct cc_sup_svc *svc;
        struct cc_ctr_state *st;   /* index into sup->state may move: use cc_sup_ctr_state() */
        char *id;
        char *label;               /* "web-1": the log prefix */
        int color;
        struct cc_container *c;    /* NULL while not running */
        bool adopted;              /* not our child: exit status unknown */
        bool killed;               /* we sent it SIGKILL (whole cgroup) */
        uv_poll_t *exit_poll;      /* heap handles: a closing one may still be  */
        uv_pipe_t *out[2];         /* pending its close callback when restarted */
        int rfd[2];                /* our read ends, opened before the container starts */
        bool tty;                  /* tty: true: out[0] reads (and writes) the pty master */
        uv_pipe_t *in;             /* tty with stdin_open: stdin.fifo, relayed to the master */
        struct cc_buf partial[2];  /* attached view: a line waiting for its newline */
        struct cc_logw *log;
        uv_timer_t restart_timer;
        bool restart_timer_on;
        long long backoff_ms;
        uint64_t started_ms;
        /* health */
        uv_timer_t hc_timer;
        bool hc_timer_on;
        uv_process_t hc_proc;
        bool hc_running;
        uv_timer_t hc_timeout;
        int hc_failures;
        uint64_t hc_started_ms;
        bool removing;             /* being stopped for good (down, recreate) */
        struct cc_spec_overrides *ov; /* a one-off (run -d): its command-line overrides */
        bool freed_after_close;
        int wait_said;             /* up --wait: 1 Waiting said, 2 Healthy or Exited too */
        struct cc_strv volumes;    /* the volumes it mounted when it started (unmount events) */
};

struct cc_sup_svc {
        struct cc_sup *sup;
        char *name;
        struct cc_node *def;       /* the service in the project model */
        enum cc_svc_phase phase;
        int replicas;
        struct cc_image *image;
        struct cc_sup_ctr **ctrs;
        size_t n_ctrs;
        char *failure;             /* why it failed to start */
};

struct cc_sup {
        uv_loop_t *loop;
        struct cc_cli *cli;
        struct cc_project *project;
        struct cc_up_opts opts;
        struct cc_state *state;
        struct cc_image_store *images;
        struct cc_sup_svc *svcs;
        size_t n_svcs;
        int lock_fd;
        int keeper_sock;           /* to the keeper, which holds tty masters (-1: none) */
        bool attached;
        bool color;
        int label_width;
        int progress_fd;           /* detached: where progress lines go to the CLI */
        bool stopping;             /* Ctrl-C or down: no more starts or restarts */
        atomic_int mounts_closing; /* exited containers' mounts ending in the thread pool */
        bool reconciling;          /* the plan is being made: no starts yet */
        int sigints;
        int exit_code;
        bool abort_requested;
        const char *exit_from;     /* --exit-code-from service */
        uv_signal_t sigint, sigterm, sighup;
        uv_pipe_t control;
        bool control_on;
        uv_timer_t wait_timer;
        bool ready_sent;
        int in_start;              /* containers being started (a kick may nest in one) */
        struct cc_buf *reply;      /* a control request is being answered */
        struct cc_sup_pending *pending; /* a start waiting for its services */
        struct cc_sup_ctr **retired; /* taken out of their service, freed at the end */
        size_t n_retired;
        struct cc_net *net;        /* network: sup-net.c */
};

/* supervisor.c */
struct cc_sup_svc *cc_sup_svc_find(struct cc_sup *s, const char *name);
long long cc_sup_wall(void);
struct cc_sup_ctr *cc_sup_ctr_new(struct cc_sup_svc *svc, const char *id);
void cc_sup_ctr_label(struct cc_sup_ctr *c);
void cc_sup_watch_exit(struct cc_sup_ctr *c);
void cc_sup_close_all(struct cc_sup *s);
void cc_sup_report_ready(struct cc_sup *s);
void cc_sup_signal_cb(uv_signal_t *h, int signum);
/* The container's main process is gone with exit_code: record it, restart
 * it per policy, or end an attached up. */
void cc_sup_exited(struct cc_sup_ctr *c, int exit_code);
/* Wait for exited containers' mounts ending in the thread pool. */
void cc_sup_mounts_settle(struct cc_sup *s);
/* SIGKILL every process of the container (remembered: see
 * cc_sup_adopted_exit_code). */
void cc_sup_kill_all(struct cc_sup_ctr *c);
/* The exit code of an adopted container that is gone: what is known. */
int cc_sup_adopted_exit_code(struct cc_sup_ctr *c);
/* sup-main.c: execve this binary with argv and env (plus the marker that
 * makes its up the supervisor, progress on conn) in dir, keeping the
 * process and so its children. Returns only on failure. */
int cc_sup_reexec(struct cc_sup *s, int conn, const struct cc_strv *argv, const struct cc_strv *env, const char *dir,
                  struct cc_error *err);
/* sup-plan.c */
int cc_sup_reconcile(struct cc_sup *s, struct cc_error *err);
/* How many containers a service runs: --scale SERVICE=N, else
 * deploy.replicas, else scale, else 1. */
int cc_sup_replicas(const struct cc_strv *scale, const char *service, const struct cc_node *def);
void cc_sup_progress(struct cc_sup *s, const char *fmt, ...) CC_PRINTF(2, 3);
void cc_sup_save(struct cc_sup *s);
void cc_sup_event(struct cc_sup *s, const struct cc_ctr_state *st, const char *action, const char *key,
                  const char *val);
void cc_sup_event_kill(struct cc_sup *s, const struct cc_ctr_state *st, int signo);
/* A volume's event (docker's mount, unmount) in the host's event log (the
 * API's /events), with driver local and attrs (n strings: key, value, ...). */
void cc_sup_volume_event(struct cc_sup *s, const char *volume, const char *action, const char *const *attrs,
                         size_t n);
struct cc_ctr_state *cc_sup_ctr_state(struct cc_sup_ctr *c);
void cc_sup_kick(struct cc_sup *s);
int cc_sup_start_ctr(struct cc_sup_ctr *c, struct cc_error *err);
void cc_sup_stop_all(struct cc_sup *s, bool remove);
void cc_sup_stop_ctrs(struct cc_sup *s, struct cc_sup_ctr **list, size_t n, long long timeout_ms);
/* sup-stop.c: stop list level by level (dependents first), each level at once. */
void cc_sup_stop_levels(struct cc_sup *s, struct cc_sup_ctr **list, size_t n, long long timeout_ms);
void cc_sup_remove_all(struct cc_sup *s);
void cc_sup_remove_ctr(struct cc_sup *s, const char *id, const char *name);
void cc_sup_ctr_retire(struct cc_sup_ctr *c);
/* Stop its healthcheck and close its timers (restart, healthcheck). */
void cc_sup_ctr_close_timers(struct cc_sup_ctr *c);
void cc_sup_overrides_free(struct cc_spec_overrides *ov);
int cc_sup_run_oneoff(struct cc_sup *s, const char *service, struct cc_spec_overrides *ov, const char *want_name,
                      char **name, struct cc_error *err);
void cc_sup_shutdown(struct cc_sup *s, bool keep);
uint64_t cc_sup_now_ms(void);

/* Close a heap-allocated handle; it is freed in its close callback. */
void cc_sup_close_free(uv_handle_t *h);

/* sup-output.c: FIFOs, log files, the attached view */
int cc_sup_output_open(struct cc_sup_ctr *c, int stdio[3], struct cc_error *err);
int cc_sup_output_attach(struct cc_sup_ctr *c, struct cc_error *err);
void cc_sup_output_close(struct cc_sup_ctr *c);
/* The descriptor of a container's stdout (idx 0) or stderr (1) FIFO, -1
 * when not read; and a read of what it holds now, each line stamped as it
 * comes (for waits that keep the loop from it). The drain is false at
 * the FIFO's end (no writer is left). */
int cc_sup_output_fd(struct cc_sup_ctr *c, int idx);
bool cc_sup_output_drain(struct cc_sup_ctr *c, int idx);
void cc_sup_print_line(struct cc_sup *s, struct cc_sup_ctr *c, const char *line, size_t len);
char *cc_sup_log_path(const struct cc_sup *s, const char *id);
/* tty: set the terminal's size (the master's TIOCSWINSZ); -ENOTTY when
 * the container has no terminal the supervisor holds. */
int cc_sup_output_resize(struct cc_sup_ctr *c, unsigned rows, unsigned cols);
/* A re-exec keeps the pty masters: mark them inherited (not close-on-exec)
 * and append "ID=FD,..." to out (out NULL: close-on-exec again, after an
 * execve that failed); after it, close the ones no container claimed. */
#define CC_SUP_PTYS_ENV "CCOMPOSE_SUPERVISOR_PTYS"
void cc_sup_output_keep_ptys(struct cc_sup *s, struct cc_buf *out);
void cc_sup_output_close_unclaimed(void);

/* sup-health.c */
void cc_sup_health_start(struct cc_sup_ctr *c);
void cc_sup_health_stop(struct cc_sup_ctr *c);

/* sup-hooks.c */
/* The start of a `ccompose __nsexec` into c's running container (up to
 * "--workdir W"; workdir NULL: the service's or the image's): the
 * arguments in args, the binary in *exe (to free). */
int cc_sup_nsexec_args(const struct cc_sup_ctr *c, const char *workdir, struct cc_strv *args, char **exe);
/* Run the hooks of c's service under key ("post_start", "pre_stop") in
 * the running container, one after the other, waiting for each (all of
 * them within timeout_ms unless it is negative). 0 when every one
 * succeeded; else the failing one's exit status (or -errno) and *why,
 * docker compose's message ("web hook exited with status 3"), to free. */
int cc_sup_hooks_run(struct cc_sup_ctr *c, const char *key, long long timeout_ms, char **why);

/* sup-control.c */
int cc_sup_control_listen(struct cc_sup *s, struct cc_error *err);
void cc_sup_control_close(struct cc_sup *s);
/* After each kick: send the pending start's progress, and its answer once
 * none of its services waits (or the supervisor stops). */
void cc_sup_control_pending(struct cc_sup *s);

/* sup-start.c */
/* Put the services (all when none is named) and their dependencies
 * through up's phases again: what is not running waits for its
 * dependencies' conditions. waiting gets the names the start waits for. */
void cc_sup_start_begin(struct cc_sup *s, const struct cc_strv *services, struct cc_strv *waiting);
/* -EAGAIN while one of waiting still waits, else the start's exit code
 * (1 when one failed to start or failed its dependencies). */
int cc_sup_start_settled(struct cc_sup *s, const struct cc_strv *waiting);

#endif
