/* A project's state on disk: $CCOMPOSE_RUNTIME_DIR/<project>/state.json,
 * written atomically (temp name, fsync, rename) by whoever changes it while
 * holding the project lock. Enough to show `ps` and to remove everything
 * with `down` when no supervisor runs. */
#ifndef CC_STATE_H
#define CC_STATE_H

#include <sys/types.h>

#include "cc-error.h"

enum cc_ctr_status {
        CC_CTR_CREATED,
        CC_CTR_RUNNING,
        CC_CTR_PAUSED,
        CC_CTR_RESTARTING,
        CC_CTR_EXITED,
        CC_CTR_DEAD,
};

struct cc_ctr_state {
        char *id;              /* 64 hex */
        char *name;            /* <project>-<service>-<n> or container_name */
        char *service;
        int number;            /* replica number, 1-based */
        bool one_off;          /* ccompose run */
        char *image;           /* as written in the service */
        char *image_id;
        char *hash;            /* configuration hash it was created from */
        char *command;         /* for ps: the command line as a string */
        pid_t pid;             /* main process on the host, 0 when not running */
        unsigned long long pid_start; /* its start time (/proc/PID/stat field 22) */
        enum cc_ctr_status status;
        int exit_code;
        long long created;     /* Unix seconds */
        long long started_at;
        long long finished_at;
        long long exits;       /* how many times it exited: a wait for the next exit compares
                                * this (finished_at has seconds only: two quick runs share one) */
        int restart_count;
        char *health;          /* NULL, "starting", "healthy", "unhealthy" */
        bool stopped_by_user;  /* not restarted by the policy */
        char *ports;           /* for ps: "127.0.0.1:8080->80/tcp, ..." */
};

struct cc_state {
        char *project;
        char *workdir;
        char *config_files;    /* comma-separated, as docker compose labels show */
        pid_t supervisor_pid;
        unsigned long long supervisor_start;
        struct cc_ctr_state *ctrs;
        size_t n_ctrs;
        /* not saved: set while the project is taken down, whose state file
         * goes with it; its saves skip the fsync (still atomic, and seen
         * by every process at once: only a machine crash loses them) */
        bool going;
};

/* In a container's directory ($CCOMPOSE_ROOT/containers/<id>/): the FIFO
 * that is the standard input of a service with stdin_open: true (written
 * by `attach`). */
#define CC_CTR_STDIN_FIFO "stdin.fifo"

const char *cc_ctr_status_name(enum cc_ctr_status s);
int cc_ctr_status_parse(const char *s, enum cc_ctr_status *out);

/* The project's runtime directory: <runtime_dir>/<project>. Caller frees. */
char *cc_state_dir(const char *runtime_dir, const char *project);
/* Is project a valid project name ([a-z0-9][a-z0-9_-]*)? Every function
 * here that builds a path from a project name refuses any other. */
bool cc_state_name_valid(const char *project);
/* The same, as an error ("invalid project name ..."). */
int cc_state_check_name(const char *project, struct cc_error *err);
/* Create <runtime_dir>/<project> (0700) and check that neither it nor
 * runtime_dir can be written by another user: owned by us, not writable by
 * others, by the group only when it is ours (else -EPERM naming the dir). */
int cc_state_dir_ensure(const char *runtime_dir, const char *project, struct cc_error *err);
/* Open a file of the project's runtime dir (events.jsonl, supervisor.log,
 * lock) after cc_state_dir_ensure, with O_NOFOLLOW | O_CLOEXEC added to
 * flags (mode 0600 when created). Returns the fd. */
int cc_state_open(const char *runtime_dir, const char *project, const char *file, int flags, struct cc_error *err);
/* Load state; a missing file gives an empty state for the project. */
int cc_state_load(const char *runtime_dir, const char *project, struct cc_state **out, struct cc_error *err);
int cc_state_save(const char *runtime_dir, const struct cc_state *st, struct cc_error *err);
void cc_state_free(struct cc_state *st);
static inline void cc__state_freep(struct cc_state **s) { cc_state_free(*s); }
#define _cleanup_state_ __attribute__((cleanup(cc__state_freep)))

struct cc_ctr_state *cc_state_add(struct cc_state *st);
void cc_state_remove(struct cc_state *st, size_t i);
struct cc_ctr_state *cc_state_find(struct cc_state *st, const char *id_or_name);
void cc_ctr_state_clear(struct cc_ctr_state *c);

/* Take the project lock (flock on <dir>/lock). With wait=false a busy lock
 * is -EWOULDBLOCK with a message naming the holder's pid. Returns the fd. */
int cc_state_lock(const char *runtime_dir, const char *project, bool wait, struct cc_error *err);
void cc_state_unlock(int fd);

/* Start time of a process (jiffies since boot, /proc/PID/stat field 22);
 * 0 when it does not exist. */
unsigned long long cc_proc_start_time(pid_t pid);
/* Is pid alive and the same process as recorded (start time matches)? */
bool cc_proc_alive(pid_t pid, unsigned long long start);

/* The project's exit records, <dir>/exits: a line "PID START CODE" for
 * each process the project's keeper reaped. The keeper (`ccompose-init
 * --reap`, sup-main.c) is the parent of a detached supervisor and the
 * subreaper of its containers: when that supervisor dies (kill -9), they
 * become the keeper's children, and their wait status, which no later
 * supervisor could read, is recorded here. It writes the record before it
 * reaps, while the zombie is still in /proc. Each keeper holds a shared
 * flock on the file while it lives. */
#define CC_STATE_EXITS_FILE "exits"
/* In the state directory of a project the API service made for one
 * container (`docker run`): the API's record of it. Its service's name is
 * not one of its DNS names, as a docker container has none. */
#define CC_STATE_API_RECORD "api.json"
/* Made by down once the project's containers and their volumes are gone
 * (as soon as its supervisor answered that it removed them, while it
 * exits), before it waits for the keepers to exit and for its veths to go
 * with their namespaces, and removes the directory: an API client's wait
 * for the removal (docker run --rm) ends then. */
#define CC_STATE_REMOVED_FILE "removed"
/* The exit code of a process that has exited (pid + start time): from
 * /proc while it is a zombie, else from the exit records. False when it
 * is not known (it was reaped by another process), or still runs. */
bool cc_state_exit_code(const char *runtime_dir, const char *project, pid_t pid, unsigned long long start, int *code);
/* Wait, up to timeout_ms, until no keeper of the project lives (down: no
 * process of the project is left behind). */
void cc_state_wait_keepers(const char *runtime_dir, const char *project, int timeout_ms);

/* The host's event log, <runtime_dir>/events.jsonl: every project's
 * container events, one JSON object a line (what the API service's
 * /events reads; a project's own events.jsonl goes with the project).
 * Past CC_STATE_EVENT_LOG_MAX bytes it moves to events.jsonl.1. */
#define CC_STATE_EVENT_LOG "events.jsonl"
#define CC_STATE_EVENT_LOG_MAX (4 * 1024 * 1024)
/* Append one line (without its newline); best effort. */
void cc_state_event_log(const char *runtime_dir, const char *line);

/* Every project that has a state directory (for `ccompose ls`). */
int cc_state_list_projects(const char *runtime_dir, struct cc_strv *out);

#endif
