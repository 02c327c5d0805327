/* Containers: a fully resolved spec in, an isolated running process out.
 *
 * The caller (the `run` command, later the supervisor) turns a service
 * definition and an image into a struct cc_container_spec; this module
 * does the rest: the per-container directory under
 * $CCOMPOSE_ROOT/containers/<id>/, the overlay rootfs, the cgroup, clone3
 * into new namespaces, the parent/child handshake, and on the way out
 * stop, kill and destroy. Owner: containers (container*.c,
 * rootfs.c, mounts.c, process.c, user.c, volume.c). */
#ifndef CC_CONTAINER_H
#define CC_CONTAINER_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "cc-error.h"
#include "cgroup.h"
#include "security.h"

enum cc_net_mode {
        CC_NET_PRIVATE, /* its own network namespace (loopback only until networks land) */
        CC_NET_HOST,    /* the host's network namespace */
        CC_NET_NONE,    /* its own network namespace, loopback only */
};

enum cc_mount_type {
        CC_MOUNT_BIND,   /* source: host path */
        CC_MOUNT_VOLUME, /* source: volume name (<project>_<name>), NULL for an anonymous volume */
        CC_MOUNT_TMPFS,  /* source unused */
        CC_MOUNT_DEVICE, /* source: a host device node, or a directory of them (devices:) */
};

struct cc_mount {
        enum cc_mount_type type;
        char *source;
        char *target;          /* absolute path inside the container */
        bool read_only;
        bool create_host_path; /* bind: create a missing source directory (docker compose default) */
        bool no_copy;          /* volume: do not fill a new volume from the image */
        char *subpath;         /* volume: mount this path of the volume (it must exist), NULL: all */
        char *device;          /* volume: a host directory that holds the volume's data (the local
                                  driver's type: none, o: bind), NULL: $root/volumes/<name>/_data */
        long long tmpfs_size;  /* tmpfs: bytes, 0 = kernel default */
        int tmpfs_mode;        /* tmpfs: permission bits, -1 = 01777 */
        bool tmpfs_noexec;     /* tmpfs: noexec (the short `tmpfs:` syntax, as Docker) */
};

/* A file the engine writes into the container's directory (a 0700 tree
 * only root reaches) and bind-mounts read-only at target: secrets and
 * configs. Removed with the container. */
struct cc_file_mount {
        char *content;
        size_t len;
        char *target;          /* absolute path inside the container */
        uid_t uid;
        gid_t gid;
        mode_t mode;           /* permission bits of the file */
};

struct cc_ulimit {
        int resource;          /* RLIMIT_* */
        long long soft, hard;  /* -1 = unlimited */
};

struct cc_container_spec {
        char *root;            /* CCOMPOSE_ROOT */
        char *project;         /* cgroup "ccompose/<project>/<id>" */
        char *id;              /* 64 hex digits (cc_container_new_id) */
        char *name;            /* e.g. proj-web-run-0123456789ab */
        char *hostname;        /* NULL: the first 12 digits of the id (the host's with CC_NET_HOST) */
        char *domainname;      /* NULL: none */
        struct cc_strv layer_dirs;  /* image layers, lowest first */

        struct cc_strv argv;   /* command; argv[0] is looked up in the container's PATH */
        struct cc_strv env;    /* "K=V", final (image Env, env_file, environment, -e) */
        char *cwd;             /* NULL: "/"; created when missing */
        char *user;            /* "", "name", "uid", "name:group", "uid:gid"; NULL = root */
        struct cc_strv group_add;   /* extra groups, names or numbers */

        struct cc_mount *mounts;
        size_t n_mounts;
        struct cc_file_mount *files;
        size_t n_files;
        bool read_only;        /* read-only root filesystem */
        long long shm_size;    /* bytes of /dev/shm, 0 = 64 MiB */

        uint64_t caps;                    /* cc_caps_compute() */
        const struct cc_seccomp *seccomp; /* NULL: unconfined; not owned */
        bool no_new_privs;
        bool privileged;

        struct cc_ulimit *ulimits;
        size_t n_ulimits;
        int oom_score_adj;     /* -1000..1000 for every process of the container; 0: inherited */
        struct cc_strv sysctls;           /* "key=value"; checked by cc_container_check_sysctl */
        /* resolv.conf: each, when set, replaces the host's nameserver,
         * search or options lines (not with the host's network) */
        struct cc_strv dns, dns_search, dns_opt;
        /* extra /etc/hosts lines, "NAME=IP" or "NAME:IP" (after the
         * defaults; a networked container's supervisor rewrites the file
         * with them and its peers) */
        struct cc_strv extra_hosts;
        /* resolv.conf names the embedded DNS server (127.0.0.11), which
         * forwards to dns (the engine's job: not written here) */
        bool embedded_dns;
        struct cc_cgroup_limits cgroup;   /* cpuset string not owned */

        bool init;             /* run ccompose-init as PID 1 */
        bool tty;              /* allocate a pty in the container; the master comes back */
        struct winsize winsize;           /* tty: initial size (0 x 0 = leave) */
        int stdio[3];          /* without tty: fds for the container's 0, 1, 2 (-1 = /dev/null) */
        enum cc_net_mode net;
        /* pid, ipc, uts: "host": the host's namespace instead of the
         * container's own (ipc: the host's /dev/shm too; uts: the host's
         * name, never changed) */
        bool host_pid, host_ipc, host_uts;
        bool host_cgroupns;    /* cgroup: host: the host's cgroup namespace (the whole tree, read-only) */
        pid_t net_join_pid;    /* > 0: join this process's network namespace instead of
                                  making one (network_mode service:/container:); net
                                  must be CC_NET_PRIVATE. < 0: a target the caller did
                                  not resolve (start fails). 0: none */

        int stop_signal;       /* 0 = SIGTERM */
        long long stop_grace_ms; /* < 0 = 10 s */
        bool remove_anon_volumes; /* destroy removes the anonymous volumes it made */
        bool reuse_dir;        /* start again in an existing container directory
                                  (a restart keeps its writable layer and logs) */
        /* network: run by the parent after clone3 and the cgroup move, before
         * the child goes on (the supervisor: veths into the new netns). NULL: none. */
        int (*net_attach)(pid_t pid, void *data, struct cc_error *err);
        void *net_attach_data;
};

void cc_container_spec_init(struct cc_container_spec *spec);
void cc_container_spec_free(struct cc_container_spec *spec);
struct cc_mount *cc_container_spec_add_mount(struct cc_container_spec *spec, enum cc_mount_type type,
                                             const char *source, const char *target, bool read_only);

/* Copies content (len bytes) and target; owner 0:0, mode 0444. */
struct cc_file_mount *cc_container_spec_add_file(struct cc_container_spec *spec, const char *content, size_t len,
                                                 const char *target);

/* 64 random hex digits. Caller frees. */
char *cc_container_new_id(void);
/* The anonymous volume of a container at target: 52 digits of its id and
 * 12 of the target's digest (64, as Docker's names); the same on each start. */
char *cc_container_anon_volume(const char *id, const char *target);
/* Remove the anonymous volumes of a container (rm -v, down -v). */
int cc_container_remove_anon_volumes(const char *root, const char *id, struct cc_error *err);
/* Docker's rule for sysctls in a container: only namespaced keys
 * (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*; net.* not with
 * the host network). */
int cc_container_check_sysctl(const char *key, enum cc_net_mode net, struct cc_error *err);
/* Where the static ccompose-init lives: beside /proc/self/exe, in the
 * build tree, or where `meson install` put it (<prefix>/<libexecdir>/
 * ccompose/, also when the installed tree was moved, e.g. by DESTDIR).
 * NULL when not found. Caller frees. */
char *cc_container_init_path(void);

/* Docker's default seccomp filter for caps (cc_seccomp_default), loaded
 * from a cache under root/cache/seccomp/ when this binary compiled it
 * before, else compiled and cached. Free with cc_seccomp_free. */
int cc_container_seccomp_default(const char *root, uint64_t caps, struct cc_seccomp **out, struct cc_error *err);

struct cc_container;

/* Create and start: prepare the container directory, rootfs, volumes and
 * cgroup, clone3 into new pid, mount, uts, ipc and (unless CC_NET_HOST)
 * network namespaces, set everything up in the child and exec the command.
 * The child unshares its cgroup namespace itself, once the parent has
 * moved it into the container's cgroup, so that the namespace's root is
 * that cgroup. Mounts exist only in the container's mount namespace. On success the command runs and *out owns it. On
 * failure nothing is left behind; the error names the step ("setting up
 * /dev: mount tmpfs: Permission denied"), and *exit_status (may be NULL)
 * is what `docker run` returns: 127 when the command is not found, 126
 * when it cannot be executed, 125 otherwise. */
int cc_container_start(const struct cc_container_spec *spec, struct cc_container **out, int *exit_status,
                       struct cc_error *err);

pid_t cc_container_pid(const struct cc_container *c);
int cc_container_pidfd(const struct cc_container *c); /* readable when the process exits */
/* tty: the pty master (owned by the container object; -1 without tty). */
int cc_container_pty(const struct cc_container *c);
const char *cc_container_id(const struct cc_container *c);
const char *cc_container_dir(const struct cc_container *c);
bool cc_container_running(const struct cc_container *c);

/* Signal the container's main process. */
int cc_container_kill(struct cc_container *c, int sig, struct cc_error *err);
/* SIGKILL every process of the container (its whole cgroup) and wait until it is empty. */
int cc_container_kill_all(struct cc_container *c, struct cc_error *err);
/* Reap the main process if it exited: 1 and *exit_code (docker's code:
 * status, 128+signal, 137 on OOM) when it did, 0 while it runs. */
int cc_container_reap(struct cc_container *c, int *exit_code, struct cc_error *err);
/* Did the kernel's OOM killer kill a process of the container (its
 * cgroup's counter)? False without a cgroup. */
bool cc_container_oom_killed(const struct cc_container *c);
/* Block until the main process exits; *exit_code as above. */
int cc_container_wait(struct cc_container *c, int *exit_code, struct cc_error *err);
/* Stop: the stop signal, up to the grace period, then SIGKILL of the whole
 * cgroup. Blocking; for the CLI. signal 0 / grace_ms < 0: the spec's. */
int cc_container_stop(struct cc_container *c, int signal, long long grace_ms, struct cc_error *err);
/* Kill what is left, remove the cgroup, and (unless keep_dir) the
 * container directory; frees c. Mounts live only in the container's mount
 * namespace and go with its last process. */
int cc_container_destroy(struct cc_container *c, bool keep_dir, struct cc_error *err);

/* Take over a running container whose owner is gone (a supervisor that
 * restarted): its process is not our child, so its exit status cannot be
 * read; the pidfd still tells when it exits, and the cgroup still kills.
 * A process that is our child (we started it before an execve of ours) is
 * taken back as such: its exit status is read as after a start. */
int cc_container_adopt(const char *root, const char *project, const char *id, pid_t pid, int stop_signal,
                       long long stop_grace_ms, struct cc_container **out, struct cc_error *err);
/* Kill every process left in the cgroup of a container that its caller
 * neither runs nor adopts (a supervisor died after starting it but before
 * recording its pid: the copy went on alone), and wait until the cgroup is
 * empty, so that its mount namespace and overlay mount are gone too. The
 * cgroup and the directory stay. Returns how many processes there were
 * (0: none, or no cgroup), or a negative errno. */
int cc_container_kill_stale(const char *project, const char *id, struct cc_error *err);
/* Is it adopted, not our child (cc_container_adopt)? */
bool cc_container_adopted(const struct cc_container *c);
/* Forget the container without touching it (it keeps running). */
void cc_container_release(struct cc_container *c);
/* Freeze or thaw every process of the container (pause / unpause). */
int cc_container_freeze(struct cc_container *c, bool frozen, struct cc_error *err);

/* The container's mount namespace, held since its start (its mounts end
 * when the last reference goes: the rootfs overlay's unmount syncs the
 * upper filesystem): the caller's from now on, to close where waiting for
 * that does not matter, and before the container's directory is mounted
 * again (an overlay refuses an upper directory in use). -1: none. */
int cc_container_take_mounts(struct cc_container *c);

/* Clean the leftovers of a container whose owner crashed: kill its
 * cgroup's processes, remove the cgroup and the container directory.
 * Missing pieces are not errors. */
/* Ahead of a start that is coming (blocking: a thread of a pool): its
 * cgroup's directories (its start sets the limits), then a move into this
 * process's own cgroup, which waits for the RCU grace period that moves
 * into v1 cgroups wait for while it holds the kernel's cgroup mutex: the
 * start then finds both done, instead of waiting for that grace period in
 * its mkdirs and its move (cgroup.h, cc_cgroup_prime_move). Best effort:
 * a down removes the directories of a container that never starts. */
void cc_container_prepare(const char *project, const char *id);
int cc_container_cleanup(const char *root, const char *project, const char *id, struct cc_error *err);
/* The same, but its directory is only moved aside (to
 * <root>/containers/.removed-<id>, a rename): deleting its files waits for
 * the disk (a discard per file on some hosts), which cc_container_purge
 * does later, off the path of whoever waits for the removal. */
int cc_container_cleanup_later(const char *root, const char *project, const char *id, struct cc_error *err);
/* Delete what cc_container_cleanup_later moved aside, of any container
 * (best effort: another purge may be at it too). */
void cc_container_purge(const char *root);

/* In a container's directory: its configured environment, "K=V" entries
 * each ended by a NUL (what `exec` and healthchecks run with). */
#define CC_CONTAINER_ENV_FILE "env"
/* ... and its configured user: the `user:` text (empty: root), then each
 * group_add entry, each ended by a NUL (whom `exec` runs as by default:
 * not the uid the main process has changed to). */
#define CC_CONTAINER_USER_FILE "user"

#endif
