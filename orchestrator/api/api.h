/* The Docker Engine API service (`ccompose system service`): HTTP/1.1 on
 * a Unix socket, on libuv, translating Docker's REST API onto the same
 * state files, runtime and supervisor the command line uses. */
#ifndef CC_API_H
#define CC_API_H

#include "cc-error.h"

struct cc_api_opts {
        const char *root;        /* CCOMPOSE_ROOT */
        const char *runtime_dir; /* CCOMPOSE_RUNTIME_DIR */
        const char *socket_path; /* where to listen (created 0600, removed at exit) */
        long long idle_ms;       /* exit after this long without a connection; 0: never */
        const char *bip;         /* the subnet of API containers' "bridge" network, or NULL */
        const char *self_exe;    /* the ccompose binary (write requests run its commands) */
        /* its main: commands run as a forked child calling it (no exec),
         * or NULL to spawn self_exe */
        int (*self_main)(int argc, char **argv);
};

/* Serve until SIGINT/SIGTERM or the idle time passes. Returns 0, or a
 * negative errno with err set when the socket cannot be served. */
int cc_api_serve(const struct cc_api_opts *o, struct cc_error *err);

#endif
