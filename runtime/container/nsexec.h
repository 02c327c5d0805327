/* Running a process inside a running container, as `docker exec` does:
 * join its namespaces and cgroups, take its capabilities, seccomp
 * confinement, no_new_privs and configured environment (from the
 * container's directory; /proc/PID/environ for a container started
 * before ccompose recorded it), and
 * the user it runs as unless one is given. Used by `ccompose exec` and,
 * through the hidden `ccompose __nsexec`, by healthchecks. */
#ifndef CC_NSEXEC_H
#define CC_NSEXEC_H

#include <sys/types.h>

#include "cc-error.h"

struct cc_nsexec {
        pid_t target;               /* the container's main process on the host */
        const char *dir;            /* the container's directory (its env file); NULL: none */
        struct cc_strv argv;
        struct cc_strv env;         /* extra K=V, over the container's */
        const char *user;           /* NULL: the container's user */
        const char *workdir;        /* NULL: "/" */
        bool privileged;            /* all capabilities, no seccomp */
        bool tty;                   /* a pty from the container's devpts */
        bool has_pts;               /* with tty: the caller's pty, /dev/pts/<pts> of the */
        int pts;                    /* container (its master the caller's), is the
                                       process's terminal; nothing is relayed */
        int pid_fd;                 /* > 2: the process's host PID is written there
                                       (a pid_t, once it is forked), then it is closed */
        const char *cache_root;     /* CCOMPOSE_ROOT: the compiled seccomp filter is
                                       cached there (container-seccomp.c); NULL: none */
};

/* Run the process and wait for it; stdin/stdout/stderr are ours (with
 * tty: relayed through a pty, the terminal in raw mode; with has_pts,
 * that one). Returns the exit code as docker exec does (status, 128+signal, 126/127 when it cannot be
 * executed), or a negative error with err set before the process ran. */
int cc_nsexec_run(const struct cc_nsexec *x, struct cc_error *err);

#endif
