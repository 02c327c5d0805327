/* A control request (one JSON line on the control socket), parsed and
 * checked before the supervisor acts on it. The socket is root's, but a
 * request is still untrusted input: every field has its type checked here,
 * so the code that acts on a request never meets a null, a number where a
 * string belongs or an array of the wrong things. Pure: no loop, no I/O
 * (tests/fuzz/fuzz-control.c runs it). */
#ifndef CC_SUP_REQUEST_H
#define CC_SUP_REQUEST_H

#include <sys/types.h>

#include "cc-error.h"
#include "service-spec.h"

/* The longest request line the supervisor reads; a longer one closes the
 * connection with an error. */
#define CC_CTL_MAX_REQUEST (1024 * 1024)

enum cc_ctl_op {
        CC_CTL_PING,
        CC_CTL_DOWN,
        CC_CTL_HANDOVER,
        CC_CTL_RUN,
        CC_CTL_RM,
        CC_CTL_NETATTACH,
        CC_CTL_NETDETACH,
        CC_CTL_STOP,
        CC_CTL_START,
        CC_CTL_RESTART,
        CC_CTL_KILL,
        CC_CTL_PAUSE,
        CC_CTL_UNPAUSE,
        CC_CTL_REEXEC,
        CC_CTL_RESIZE,
        CC_CTL_RENAME,
        CC_CTL_NETCONNECT,
        CC_CTL_NETDISCONNECT,
};

struct cc_ctl_req {
        enum cc_ctl_op op;
        const char *op_name;           /* static: "stop", ... */
        struct cc_strv services;       /* empty: every service */
        long long timeout_ms;          /* -1 when not given */
        bool has_timeout;
        char *signal;                  /* kill: as given, NULL when not given */
        int sig;                       /* kill: its number (SIGKILL by default) */
        bool stop;                     /* rm: stop running ones first */
        char *service, *id, *name;     /* run, netattach, netdetach */
        char *network;                 /* netconnect, netdisconnect: a network of the project's model */
        pid_t pid;                     /* netattach */
        struct cc_spec_overrides *ov;  /* run: never NULL after a run request parsed */
        struct cc_strv argv, env;      /* reexec: a command line (not empty), its environment */
        char *cwd;                     /* reexec: its working directory (absolute) */
        unsigned rows, cols;           /* resize: the terminal of container "id" */
};

/* Parse one request line of len bytes (it need not be NUL-terminated).
 * On error, err says what is wrong ("bad request: ..."); req is then
 * cleared. */
int cc_ctl_req_parse(const char *line, size_t len, struct cc_ctl_req *req, struct cc_error *err);
void cc_ctl_req_clear(struct cc_ctl_req *req);
/* Is name one of the request's services (or are all wanted)? */
bool cc_ctl_req_wants(const struct cc_ctl_req *req, const char *name);

#endif
