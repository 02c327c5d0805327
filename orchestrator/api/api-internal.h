/* The API service's internals: one connection, one request at a time on
 * it (HTTP/1.1 keep-alive; a pipelined request waits until the response
 * before it is done), handlers that answer at once or later (streams,
 * waits, commands run as child processes). */
#ifndef CC_API_INTERNAL_H
#define CC_API_INTERNAL_H

#include <http_parser.h>
#include <json-c/json.h>
#include <uv.h>

#include "api.h"
#include "cc-util.h"
#include "state.h"
#include "sup-net.h"

/* The API version we speak, and the oldest we accept (as dockerd 20.10). */
#define CC_API_VERSION "1.41"
#define CC_API_MIN_VERSION "1.12"
/* Bounds on what a client sends: a request's target and headers, its body. */
#define CC_API_MAX_HEAD (64 * 1024)
#define CC_API_MAX_BODY (4 * 1024 * 1024)
/* ... but a tar stream for PUT /containers/{id}/archive (docker cp into a
 * container) goes to an unlinked file under CCOMPOSE_ROOT, up to this. */
#define CC_API_MAX_ARCHIVE (64LL * 1024 * 1024 * 1024)

struct cc_api;
struct cc_api_conn;
struct cc_api_exec;
struct cc_api_forker;
struct cc_api_wait;
struct cc_api_rec;

/* A handler's work that outlives the call (a stream, a wait, a child
 * process): abort is called when the client goes away first; it must end
 * the work, which then calls cc_api_done() as usual. */
struct cc_api_task {
        void (*abort)(struct cc_api_task *t);
};

struct cc_api_req {
        struct cc_api_conn *conn;
        struct cc_api *api;
        enum http_method method;
        bool head;               /* HEAD: headers only */
        char *path;              /* decoded, without the /vN.NN prefix and the query */
        struct cc_strv query;    /* decoded: key, value, key, value, ... */
        struct cc_buf body;
        int body_fd;             /* a body spooled to a file (PUT .../archive), else -1 */
        char *content_type;
        char *registry_auth;     /* X-Registry-Auth (pull, push) */
        bool keep_alive;
        /* the response */
        char *headers;           /* more header lines ("Name: value\r\n"...), or NULL */
        bool streaming;          /* chunked body under way */
        bool raw;                /* a hijacked connection: the stream is the rest of it */
        /* a hijacked connection's input (attach's stdin): data, or NULL at
         * the end of it; without one, input waits as a next request would */
        void (*input)(struct cc_api_req *r, const char *data, size_t n);
        void *input_data;
        bool answered;
        struct cc_api_task *task;
};

struct cc_api {
        const struct cc_api_opts *opts;
        uv_loop_t *loop;
        uv_pipe_t server;
        uv_signal_t sigint, sigterm;
        uv_timer_t idle;
        size_t n_conns;
        struct cc_api_conn *conns;
        uv_timer_t reaper;       /* AutoRemove (api-write.c) */
        struct cc_strv reaping;  /* projects being removed by it */
        struct cc_strv following; /* containers whose output a request streams (not reaped meanwhile) */
        struct cc_strv reaped;   /* "ID CODE" of the last containers it removed (wait condition=removed) */
        struct cc_api_wait *waits; /* the waits for a removal (api-write.c) */
        struct cc_api_creating *creating; /* creates answered whose supervisor is coming up (api-write.c) */
        struct cc_api_rec *recs;   /* the API records read before (api-containers.c) */
        size_t n_recs;
        struct cc_api_exec *execs; /* exec instances (api-exec.c) */
        struct cc_api_forker *forker; /* ccompose's commands without exec (api-fork.c) */
        struct net_docker_bridge bridge; /* docker's bridge network (api-networks.c) */
        bool stopping;
};

/* The length of an array, 0 for anything else (json-c asserts on those):
 * for what a client or a record on disk may have of another type. */
static inline size_t cc_api_len(json_object *o)
{
        return json_object_is_type(o, json_type_array) ? json_object_array_length(o) : 0;
}

/* Is the project's create answered while its supervisor comes up? (api-write.c) */
bool cc_api_creating(const struct cc_api *api, const char *project);

/* ---- responses (api-server.c) ---- */
/* A whole response: status, content type, body (len bytes). */
void cc_api_reply(struct cc_api_req *r, int status, const char *ctype, const char *body, size_t len);
void cc_api_reply_json(struct cc_api_req *r, int status, json_object *o); /* takes o */
/* Docker's error body {"message": "..."}. */
void cc_api_reply_error(struct cc_api_req *r, int status, const char *fmt, ...) CC_PRINTF(3, 4);
/* 204 No Content (or another status with an empty body). */
void cc_api_reply_empty(struct cc_api_req *r, int status);
/* A streamed body (chunked): begin, write pieces, end. */
void cc_api_stream_begin(struct cc_api_req *r, int status, const char *ctype);
void cc_api_stream_write(struct cc_api_req *r, const char *data, size_t len);
void cc_api_stream_end(struct cc_api_req *r);
/* Take the connection over for a raw stream (attach): 101 UPGRADED when
 * the client asked for "Upgrade: tcp", else 200; cc_api_stream_write then
 * writes raw bytes, and the connection closes at cc_api_done. */
void cc_api_hijack(struct cc_api_req *r);
/* After setting r->input: what the client sent already goes to it. */
void cc_api_hijack_input(struct cc_api_req *r);
/* Bytes written to the client and not yet taken by it (a fast stream
 * pauses while this is large). */
size_t cc_api_queued(const struct cc_api_req *r);
/* Is the client still there? (a stream stops writing when not) */
bool cc_api_req_alive(const struct cc_api_req *r);
/* The end of a handler's deferred work (after its response or stream end):
 * the connection takes its next request, or closes. */
void cc_api_done(struct cc_api_req *r);

/* ---- the request ---- */
/* A request target: *path decoded, without the /vN.NN version prefix
 * (owned, also on failure, may be NULL); query decoded into key, value
 * pairs. -1 when it is malformed (not /..., a bad or NUL escape). Pure. */
int cc_api_parse_target(const char *url, char **path, struct cc_strv *query);
/* A query parameter's value, or NULL. */
const char *cc_api_query(const struct cc_api_req *r, const char *key);
/* Docker's boolean parameters: "1", "true", "True" (and anything else
 * non-empty but "0"/"false"/"False") are true; absent: def. */
bool cc_api_query_bool(const struct cc_api_req *r, const char *key, bool def);
/* The `filters` parameter ({"key": ["v", ...]} or the old {"key": {"v": true}}):
 * into out as key, value pairs. -1 after answering 400 when malformed. */
int cc_api_filters(struct cc_api_req *r, struct cc_strv *out);
/* The body as a JSON object; NULL after answering 400 when it is not one. */
json_object *cc_api_body_json(struct cc_api_req *r);

/* ---- containers (api-containers.c) ---- */
struct cc_state;
struct cc_ctr_state;
/* One container of a compose project, or of the one-container project an
 * API create made (api: its api.json, the request it was made from). */
struct cc_api_ctr {
        struct cc_state *st;
        struct cc_ctr_state *ct;
        json_object *api;
};
struct cc_api_ctrs {
        struct cc_state **states;
        size_t n_states;
        struct cc_api_ctr *v;
        size_t n;
};
/* A project's state; without a supervisor, its records checked against
 * the processes (cc_state_refresh); with one, its record (which has a
 * container's exit once its output is all in the log). NULL on failure. */
struct cc_state *cc_api_state_load(struct cc_api *api, const char *project);
/* Every container of every project, as cc_api_state_load reads them. */
void cc_api_ctrs_load(struct cc_api *api, struct cc_api_ctrs *out);
/* ... of the projects whose API record (NULL: not made through the API)
 * want accepts; the others' state is not read. */
void cc_api_ctrs_load_where(struct cc_api *api, bool (*want)(json_object *rec), struct cc_api_ctrs *out);
void cc_api_ctrs_free(struct cc_api_ctrs *cs);
/* The service ends: the records it keeps parsed go. */
void cc_api_records_free(struct cc_api *api);
/* By name (with or without docker's leading "/"), full ID or unique ID
 * prefix; NULL after answering 404 when none. */
struct cc_api_ctr *cc_api_ctr_find(struct cc_api_req *r, struct cc_api_ctrs *cs, const char *ref);
/* docker's container list entry (GET /containers/json, /system/df). */
json_object *cc_api_ctr_summary(struct cc_api *api, const struct cc_api_ctr *c, long long now);
/* cc_api_ctrs_load, then cc_api_ctr_find (cs is to be freed either way). */
struct cc_api_ctr *cc_api_ctr_get(struct cc_api_req *r, struct cc_api_ctrs *cs, const char *ref);
/* The file of an API-made container's project that holds its request. */
#define CC_API_RECORD CC_STATE_API_RECORD
/* ... its member of the time it was made, in nanoseconds */
#define CC_API_CREATED_NS "CreatedNs"
/* ... and its service's name in its compose model */
#define CC_API_SERVICE "container"
/* ... and its compose model (api-write.c makes it) */
#define CC_API_COMPOSE_FILE "compose.json"
/* api-images.c */
int cc_api_image_count(struct cc_api *api);
/* docker's event of the image ref names (action: pull, push, tag, untag,
 * delete, load, save): its Actor's ID and "name" by what docker gives for
 * the action, the image's labels. */
enum cc_api_image_actor {
        CC_API_IMAGE_BY_REF,   /* the reference; its repository as the name (pull, push) */
        CC_API_IMAGE_NAME_TAG, /* the image's ID; the reference as the name (tag) */
        CC_API_IMAGE_NAME_ID,  /* the image's ID as both (the others) */
};
void cc_api_image_event(struct cc_api *api, const char *action, const char *ref, enum cc_api_image_actor actor);
/* docker's image list entry of image id (NULL when it cannot be read). */
struct cc_image_store;
json_object *cc_api_image_summary(struct cc_image_store *s, const char *id);

/* ---- ccompose's commands in a forked child, without exec (api-fork.c) ---- */
/* Make the fork server (before the loop exists: it must inherit none of
 * it). -errno when it cannot be made; commands are then spawned. */
int cc_api_forker_fork(struct cc_api *api, int (*main_fn)(int argc, char **argv));
/* Watch its answers on the loop; at the end, close it once what it runs
 * has ended. */
void cc_api_forker_watch(struct cc_api *api);
void cc_api_forker_close(struct cc_api *api);
/* Run main_fn(argv) with env in cwd, fds its stdin, stdout, stderr (-1:
 * /dev/null), in a child of the fork server; done(data, exit code or
 * 128+signal, -1 when its end is not known) when it ends. -errno when it
 * cannot be asked (no fork server): the caller spawns the program. */
typedef void (*cc_api_fork_fn)(void *data, int64_t code);
int cc_api_fork(struct cc_api *api, const char *const *argv, const char *const *env, const char *cwd, int fds[3],
                cc_api_fork_fn done, void *data);
/* The same with n (3 to CC_API_FORK_FDS) descriptors: fds[i] is the
 * child's descriptor i (-1: /dev/null). -EINVAL for another n. */
#define CC_API_FORK_FDS 8
int cc_api_fork_fds(struct cc_api *api, const char *const *argv, const char *const *env, const char *cwd,
                    const int *fds, int n, cc_api_fork_fn done, void *data);
/* Send sig to the child of the fork server that was asked with data, if
 * it has started and not ended. */
void cc_api_fork_kill(struct cc_api *api, void *data, int sig);

/* ---- prune's filters (api-system.c) ---- */
/* Refuse (400, as docker: "Invalid filter 'K'") a key not in keys
 * (NULL-ended); until (a Unix time, RFC 3339, or a duration before now)
 * into *until. -1 after answering. */
int cc_api_prune_filters(struct cc_api_req *r, const struct cc_strv *f, const char *const *keys, struct timespec *until,
                         bool *has_until);
/* Do labels pass every label=K[=V] and label!=K[=V] of f? */
bool cc_api_prune_labels(const struct cc_strv *f, json_object *labels);

/* ---- names (api-names.c) ---- */
/* docker's name for a container made without one: adjective_surname,
 * with a digit after it when retry > 0. */
char *cc_api_random_name(unsigned retry);
/* One that no container of cs has (six tries, as docker), else 12 hex digits. */
char *cc_api_new_name(const struct cc_api_ctrs *cs);

/* ---- ccompose's own commands for a request (api-run.c) ---- */
struct cc_api_run;
typedef void (*cc_api_run_done)(struct cc_api_run *x, int64_t code);
struct cc_api_run {
        struct cc_api_task task;
        struct cc_api_req *req;
        uv_process_t proc;
        uv_pipe_t out, errp;
        int open;                /* handles not closed yet */
        bool exited;
        bool forked;             /* a child of the fork server's, not proc */
        int64_t code;            /* exit code, 128+signal */
        struct cc_buf err;       /* what it printed on stderr (bounded) */
        struct cc_buf line;      /* a line of stdout not ended yet */
        struct cc_buf eline;     /* of stderr (err_lines) */
        bool err_lines;          /* stderr's lines go to on_line too (build's progress) */
        /* stdout: raw pieces (on_data) or whole lines (on_line), else dropped */
        void (*on_data)(struct cc_api_run *x, const char *data, size_t n);
        void (*on_line)(struct cc_api_run *x, char *line);
        cc_api_run_done done;    /* answers the request (unless answered) */
        int input_fd;            /* stdin (the run's own), else -1 */
        const char *docker_config; /* DOCKER_CONFIG for it, or NULL */
        const char *program;     /* another program to run (on PATH, top's ps), or NULL */
        bool kill_on_abort;      /* the client going away stops it */
        char *tmp;               /* removed (recursively) at the end */
        uint64_t space;          /* prune: the bytes it frees */
        void *data;
};
struct cc_api_run *cc_api_run_new(struct cc_api_req *r, cc_api_run_done done);
/* Start `ccompose ARGS...` (or program's) (NULL-terminated) in /; the
 * request is answered by done, then cc_api_done. Takes x. */
void cc_api_run(struct cc_api_run *x, const char *const *args);
/* Its error message: the last line it printed on stderr, without "Error: ". */
char *cc_api_run_message(const struct cc_api_run *x);
/* A run's done for a JSON progress stream: Docker's {"errorDetail"} line
 * when it failed after the stream began, else an error status. */
void cc_api_progress_done(struct cc_api_run *x, int64_t code);
void cc_api_stream_error(struct cc_api_req *r, const char *msg);
/* The bytes of the files below dir (an unpacked layer, a volume). */
uint64_t cc_api_du(const char *dir);
/* Does a labels object match a label filter's K or K=V? (api-networks.c) */
bool cc_api_label_match(json_object *labels, const char *want);
/* One line of a JSON stream (takes o). */
void cc_api_stream_json(struct cc_api_req *r, json_object *o);
/* Refuse (400, naming it) a query parameter spec does not list: "key"
 * takes any value, "key:v1,v2" only those (a client's defaults). -1 after
 * answering. */
int cc_api_params_check(struct cc_api_req *r, const char *what, const char *const *spec);

/* ---- create (api-compose.c) ---- */
/* The compose service for a create request's body; NULL with the HTTP
 * status (400, 409) and err saying what is refused. */
struct cc_error;
json_object *cc_api_compose_service(json_object *body, const char *name, int *status, struct cc_error *err);
/* Its parts for networks and volumes the API makes (pure as well): the
 * service's volumes from HostConfig.Binds checked (host paths, names of
 * volumes: api-volumes.c); a NetworkMode naming a network into its
 * networks, with the endpoint's Aliases (api-networks.c). -1 with the
 * status and err. */
int cc_api_compose_volumes(json_object *svc, int *status, struct cc_error *err);
/* docker's Mounts of a container: an API container's volumes and binds
 * (its request's Binds and Config.Volumes); none for a compose stack's. */
json_object *cc_api_ctr_mounts(struct cc_api *api, const struct cc_api_ctr *c);
/* Does one of the service's volumes ("SRC:DST[:OPTS]" or "DST") mount at path? */
bool cc_api_volume_bound(json_object *vols, const char *path);
int cc_api_compose_network(json_object *body, const char *mode, json_object *svc, int *status, struct cc_error *err);
/* The compose file of a new API container (model: its "services" not yet
 * added): the networks its service names (an API network's subnet) and the
 * named volumes (made when missing, external: true, so its removal never
 * takes them). -1 with the status and err. */
int cc_api_model_networks(struct cc_api *api, json_object *svc, json_object *model, int *status, struct cc_error *err);
/* ... a container on docker's bridge network: its default network is
 * the shared bridge (made now when it is not yet). */
int cc_api_model_bridge(struct cc_api *api, json_object *model, int *status, struct cc_error *err);
int cc_api_model_volumes(struct cc_api *api, json_object *svc, json_object *model, struct cc_error *err);
/* NetworkSettings.Networks of a container: the network of the API's it is
 * on, with its aliases (and its short ID, as docker adds). */
json_object *cc_api_ctr_networks(struct cc_api *api, const struct cc_api_ctr *c);

/* ---- endpoints ---- */
typedef void (*cc_api_handler)(struct cc_api_req *r, char **params);
void cc_api_route(struct cc_api_req *r);

void cc_api_ping(struct cc_api_req *r, char **params);
void cc_api_version(struct cc_api_req *r, char **params);
void cc_api_info(struct cc_api_req *r, char **params);
/* api-containers.c */
void cc_api_containers_list(struct cc_api_req *r, char **params);
void cc_api_container_inspect(struct cc_api_req *r, char **params);
void cc_api_container_logs(struct cc_api_req *r, char **params);
void cc_api_container_attach(struct cc_api_req *r, char **params);
void cc_api_container_resize(struct cc_api_req *r, char **params);
/* api-images.c: images, networks, volumes */
void cc_api_images_list(struct cc_api_req *r, char **params);
void cc_api_image_inspect(struct cc_api_req *r, char **params);
void cc_api_networks_list(struct cc_api_req *r, char **params);
void cc_api_volumes_list(struct cc_api_req *r, char **params);
void cc_api_image_create(struct cc_api_req *r, char **params);
void cc_api_image_tag(struct cc_api_req *r, char **params);
void cc_api_image_remove(struct cc_api_req *r, char **params);
void cc_api_image_history(struct cc_api_req *r, char **params);
void cc_api_image_push(struct cc_api_req *r, char **params);
void cc_api_image_get(struct cc_api_req *r, char **params);
void cc_api_images_get(struct cc_api_req *r, char **params);
void cc_api_images_load(struct cc_api_req *r, char **params);
void cc_api_images_prune(struct cc_api_req *r, char **params);
void cc_api_auth(struct cc_api_req *r, char **params);
/* api-build.c */
void cc_api_build(struct cc_api_req *r, char **params);
/* api-networks.c */
void cc_api_network_inspect(struct cc_api_req *r, char **params);
void cc_api_network_create(struct cc_api_req *r, char **params);
void cc_api_network_connect(struct cc_api_req *r, char **params);
void cc_api_network_disconnect(struct cc_api_req *r, char **params);
void cc_api_network_remove(struct cc_api_req *r, char **params);
void cc_api_networks_prune(struct cc_api_req *r, char **params);
/* api-volumes.c */
void cc_api_volume_inspect(struct cc_api_req *r, char **params);
void cc_api_volume_create(struct cc_api_req *r, char **params);
void cc_api_volume_remove(struct cc_api_req *r, char **params);
void cc_api_volumes_prune(struct cc_api_req *r, char **params);
/* Is the body of a request to path spooled to a file (r->body_fd)? */
bool cc_api_body_spooled(enum http_method method, const char *path);
/* api-write.c */
void cc_api_container_create(struct cc_api_req *r, char **params);
void cc_api_container_start(struct cc_api_req *r, char **params);
void cc_api_container_stop(struct cc_api_req *r, char **params);
void cc_api_container_restart(struct cc_api_req *r, char **params);
void cc_api_container_pause(struct cc_api_req *r, char **params);
void cc_api_container_unpause(struct cc_api_req *r, char **params);
void cc_api_container_kill(struct cc_api_req *r, char **params);
void cc_api_container_wait(struct cc_api_req *r, char **params);
void cc_api_container_remove(struct cc_api_req *r, char **params);
/* A container name docker accepts: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool cc_api_name_valid(const char *name);
/* Run `ccompose -p PROJECT -f its compose file ARGS...` (an API-made
 * container's project) as a child on the loop; done(data, exit code, the
 * last line it printed) when it ends. */
typedef void (*cc_api_command_fn)(void *data, int64_t code, const char *message);
void cc_api_command(struct cc_api *api, const char *project, const char *const *args, cc_api_command_fn done,
                    void *data);
/* Send request (a JSON line) to project's supervisor: done as above, with
 * its exit and last progress line (1 when no supervisor answers). */
void cc_api_sup_request(struct cc_api *api, const char *project, const char *request, cc_api_command_fn done,
                        void *data);
/* Remove the exited containers made with HostConfig.AutoRemove (once no
 * request streams their output). */
void cc_api_reaper_start(struct cc_api *api);
/* Look now (a follower ended, a wait for removal saw the exit). */
void cc_api_reap_soon(struct cc_api *api);
/* api-exec.c */
void cc_api_exec_create(struct cc_api_req *r, char **params);
void cc_api_exec_start(struct cc_api_req *r, char **params);
void cc_api_exec_inspect(struct cc_api_req *r, char **params);
void cc_api_exec_resize(struct cc_api_req *r, char **params);
/* api-archive.c: GET and HEAD, PUT */
void cc_api_archive_get(struct cc_api_req *r, char **params);
void cc_api_archive_put(struct cc_api_req *r, char **params);
/* api-stats.c */
void cc_api_container_top(struct cc_api_req *r, char **params);
void cc_api_container_stats(struct cc_api_req *r, char **params);
/* api-system.c */
void cc_api_container_rename(struct cc_api_req *r, char **params);
void cc_api_containers_prune(struct cc_api_req *r, char **params);
void cc_api_system_df(struct cc_api_req *r, char **params);
/* api-events.c */
void cc_api_events(struct cc_api_req *r, char **params);
/* Events the service writes itself to the host's event log, as a
 * supervisor does: the container's part of them (a new object), then one
 * event of it with attrs (key, value, ..., NULL; a NULL key ends them). */
json_object *cc_api_event_base(const struct cc_api_ctr *c);
void cc_api_event_log(struct cc_api *api, json_object *base, const char *action, const char *const *attrs);
/* An event of an image, network or volume (type): its Actor's ID and
 * Attributes, which are labels (NULL: none) and attrs as above. */
void cc_api_event_object(struct cc_api *api, const char *type, const char *action, const char *id, json_object *labels,
                         const char *const *attrs);
/* Container inspect's ExecIDs: the IDs of the container's exec instances
 * that did not end (made, running); NULL (null) when none. */
json_object *cc_api_exec_ids(struct cc_api *api, const char *ctr_id);
/* The service stops: close the handles of running instances (which go
 * on); then, after the loop ran them closed, free every instance. */
void cc_api_execs_close(struct cc_api *api);
void cc_api_execs_free(struct cc_api *api);

#endif
