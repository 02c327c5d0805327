/* Inside the container runtime: the plan the parent prepares from a spec
 * and the child carries out, the named steps of the parent/child
 * handshake, and the helpers both sides share.
 *
 * The child runs between clone3 and execve in a copy of a possibly
 * multi-threaded parent (the supervisor has libuv worker threads): it must
 * not allocate, take locks or call libseccomp. Everything it needs is
 * resolved by the parent into struct cc_plan; the child only does
 * syscalls on prepared strings, numbers and fds, with stack buffers. */
#ifndef CC_CONTAINER_INTERNAL_H
#define CC_CONTAINER_INTERNAL_H

#include <sys/resource.h>
#include <sys/stat.h>

#include "container.h"

/* The steps of container creation, in the order the child runs them. A
 * failure in the child reaches the parent as (step, errno, message). */
enum cc_step {
        CC_STEP_SYNC,       /* waiting for the parent (cgroup joined) */
        CC_STEP_NAMESPACES, /* mount propagation, hostname; cgroup namespace */
        CC_STEP_NETWORK,    /* loopback up */
        CC_STEP_ROOTFS,     /* attach the overlay */
        CC_STEP_PROC,
        CC_STEP_SYS,
        CC_STEP_DEV,
        CC_STEP_MOUNTS,     /* volumes, binds, tmpfs, /etc files, init */
        CC_STEP_SYSCTL,
        CC_STEP_MASKS,      /* masked and read-only paths */
        CC_STEP_PIVOT,
        CC_STEP_READONLY,
        CC_STEP_STDIO,
        CC_STEP_RLIMITS,
        CC_STEP_SECCOMP,
        CC_STEP_CAPS,
        CC_STEP_USER,
        CC_STEP_CWD,
        CC_STEP_EXEC,
        CC_STEP__MAX,
};
const char *cc_step_name(enum cc_step step);

/* A message from the child on the sync socket. */
enum cc_msg_type {
        CC_MSG_ERROR = 1, /* step, err, text */
        CC_MSG_PTY,       /* the pty master, as SCM_RIGHTS */
};
struct cc_child_msg {
        int type;
        int step;
        int err;          /* positive errno, 0 if none */
        int raw;          /* text is the whole message (exec errors) */
        int exit_status;  /* what the child exits with */
        char text[512];
};

/* ---- user.c (parent) ---- */

struct cc_user {
        uid_t uid;
        gid_t gid;
        char *name;    /* NULL when numeric and not in /etc/passwd */
        char *home;    /* "/" when unknown */
        gid_t *groups; /* supplementary groups */
        size_t n_groups;
};
/* One mount of the container's own mounts (volumes, binds, tmpfs, /etc
 * files, ccompose-init), in the order they are made. */
enum cc_plan_mount_kind {
        CC_PM_BIND,  /* source: host path (resolved in the host's view, before pivot_root) */
        CC_PM_TMPFS, /* data: tmpfs options */
};
struct cc_plan_mount {
        enum cc_plan_mount_kind kind;
        const char *source;
        const char *subpath;  /* bind: this path of source, resolved inside it (volume.subpath), or NULL */
        const char *target;   /* inside the rootfs, resolved with RESOLVE_IN_ROOT */
        bool is_dir;          /* the mountpoint to create is a directory (else a file) */
        bool read_only;
        bool dev;             /* bind: devices may be opened (a host device given to the container) */
        unsigned long flags;  /* tmpfs: MS_* */
        const char *data;     /* tmpfs: options */
};

/* A host device recreated in a privileged container's /dev. */
struct cc_plan_dev {
        const char *path;     /* relative to /dev, e.g. "net/tun" */
        mode_t mode;
        dev_t rdev;
        uid_t uid;
        gid_t gid;
};

/* A cgroup hierarchy of the host, mounted (read-only) in the container
 * at /sys/fs/cgroup/<name> when the container has its own cgroup there. */
struct cc_plan_cgroupfs {
        const char *name;     /* "" for a cgroup2 mount at /sys/fs/cgroup itself */
        bool v2;
        const char *opts;     /* v1: the controllers, "memory", "cpu,cpuacct", "name=systemd" */
};
#define CC_PLAN_MAX_CGROUPFS 16

struct cc_plan_rlimit {
        int resource;
        struct rlimit lim;
};

/* Everything the child needs, resolved by the parent. */
struct cc_plan {
        const struct cc_container_spec *spec;
        int rootfs_fd;          /* detached overlay mount (fsmount) */
        const char *attach_dir; /* <container dir>/rootfs */
        const char *hostname;
        const char *domainname;
        char shm_opts[64];

        struct cc_plan_mount *mounts;
        size_t n_mounts;
        struct cc_plan_dev *devs; /* privileged only */
        size_t n_devs;
        const char **sysctl_paths;  /* "sys/net/ipv4/ip_forward", relative to /proc */
        const char **sysctl_values;
        size_t n_sysctls;
        struct cc_plan_rlimit *rlimits;
        size_t n_rlimits;
        struct cc_plan_cgroupfs cgroupfs[CC_PLAN_MAX_CGROUPFS];
        size_t n_cgroupfs;
        const char *cgroup_name;  /* "ccompose/<project>/<id>" */
        bool cgroupfs_first;      /* a mount of the container's own is at or under /sys: the
                                   * cgroup mounts go right after /sys, under it (see the child) */
        int netns_fd;             /* spec->net_join_pid's netns (cc__spawn), -1: none */

        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        const char *cwd;

        /* Without init: execve(resolved exec_argv[cmd_index], exec_argv, envp)
         * with cmd_index 0. With init: exec_argv = {"/sbin/ccompose-init",
         * "-e", <resolved>, "--", cmd, args...}, cmd_index = 4, and the
         * child writes the resolved path into exec_argv[resolved_index] (its
         * own copy) before exec'ing the init. */
        char **exec_argv;
        size_t cmd_index;
        bool init;
        size_t resolved_index;  /* init: the slot for the resolved command path */
        char **envp;
        const char *path_env;   /* the container's PATH */
        bool tty;
        struct winsize winsize;
        int stdio[3];

        /* Owned by the plan (the pointers above point into these). */
        struct cc_strv owned;
        struct cc_strv env;
        struct cc_user *user;
};

/* Parent: resolve a spec into a plan: make the container directory
 * (upper, work, rootfs attach point, hostname/hosts/resolv.conf), the
 * overlay, the user, the volumes and the mount list. Names of anonymous
 * volumes it creates are added to anon_volumes. -EEXIST (and nothing
 * touched) when the container directory exists. */
int cc_plan_prepare(const struct cc_container_spec *spec, const char *dir, struct cc_strv *anon_volumes,
                    struct cc_plan *plan, struct cc_error *err);
void cc_plan_free(struct cc_plan *plan);

/* The child: carries out the plan and execs. Returns only on failure, with
 * the exit status to _exit with (the error has been sent on sync_fd). */
int cc_child_run(const struct cc_plan *plan, int sync_fd);

/* Child-side error reporting. */
struct cc_child {
        const struct cc_plan *plan;
        int sync_fd;
        enum cc_step step;
        int rootfd;             /* the rootfs mount, once attached */
        unsigned cgroupfs_own;  /* bit i: plan->cgroupfs[i] holds the container's own cgroup */
};
/* Send "what: arg" for the current step with errno err (positive); returns -err. */
int cc_child_fail(struct cc_child *ch, int err, const char *what, const char *arg);

/* ---- mounts.c: mount syscalls and safe paths; child-safe (no allocation). ---- */

/* openat2(rootfd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): fd or -errno. */
int cc_mnt_open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* mkdir -p inside the root; every component resolved in the root. An
 * O_PATH fd of the directory or -errno. */
int cc_mnt_mkdir_in_root(int rootfd, const char *path, mode_t mode);
/* Make sure a mountpoint exists: a directory or an empty file (parents
 * created). An O_PATH fd of it or -errno. */
int cc_mnt_mountpoint_in_root(int rootfd, const char *path, bool is_dir);
/* "/proc/self/fd/N" into buf (at least 32 bytes). */
const char *cc_mnt_fdpath(char *buf, int fd);
/* Bind (recursively) src (relative to src_dirfd, or src_dirfd itself when
 * src is "") onto target_fd, with the MOUNT_ATTR_* flags in attrs set.
 * 0 or -errno. */
int cc_mnt_bind(int src_dirfd, const char *src, int target_fd, bool recursive, unsigned attrs);
/* mount(2) of a kernel filesystem onto target_fd. 0 or -errno. */
int cc_mnt_fs(const char *fstype, const char *source, int target_fd, unsigned long flags, const char *data);
/* mount_setattr on the mount at fd (non-recursive). */
int cc_mnt_set_readonly(int fd, bool recursive);

/* Bounded string building without allocation. */
void cc_str_cat(char *buf, size_t cap, const char *s);
void cc_str_cat_int(char *buf, size_t cap, long long v);

/* ---- rootfs.c ---- */

/* Parent: a detached overlay mount of layers (lowest first) with upper and
 * work dirs, nodev unless privileged; *out is the fsmount fd. */
int cc_rootfs_overlay(const struct cc_strv *layers, const char *upper, const char *work, bool privileged, int *out,
                      struct cc_error *err);
/* Parent: the host's cgroup hierarchies under /sys/fs/cgroup (strings owned by owned). */
void cc_rootfs_cgroupfs_list(struct cc_plan *plan);
/* Child, before unsharing the cgroup namespace: which hierarchies hold the
 * container's own cgroup (from /proc/self/cgroup). */
void cc_rootfs_cgroupfs_probe(struct cc_child *ch);
/* Child: /sys/fs/cgroup with the container's own hierarchies, read-only. */
int cc_rootfs_cgroupfs(struct cc_child *ch);
/* Parent: the list of host devices for a privileged container. */
int cc_rootfs_host_devices(struct cc_plan_dev **out, size_t *n, struct cc_error *err);
/* Child steps. */
int cc_rootfs_attach(struct cc_child *ch);
int cc_rootfs_proc(struct cc_child *ch);
int cc_rootfs_sys(struct cc_child *ch);
int cc_rootfs_dev(struct cc_child *ch);
int cc_rootfs_mounts(struct cc_child *ch);
int cc_rootfs_masks(struct cc_child *ch);
int cc_rootfs_pivot(struct cc_child *ch);
int cc_rootfs_readonly(struct cc_child *ch);

/* Resolve a `user:` string as Docker does (moby/sys/user GetExecUser)
 * against etc/passwd and etc/group under rootfd, plus group_add. */
int cc_user_resolve(int rootfd, const char *spec, const struct cc_strv *group_add, struct cc_user *out,
                    struct cc_error *err);
void cc_user_free(struct cc_user *u);
/* Parse passwd/group text (exposed for the unit tests). */
int cc_user_resolve_text(const char *passwd, const char *group, const char *spec, const struct cc_strv *group_add,
                         struct cc_user *out, struct cc_error *err);

/* ---- volume.c (parent) ---- */

/* $root/volumes/<name>/_data, created when missing (*created tells). */
int cc_volume_ensure(const char *root, const char *name, char **data_dir, bool *created, struct cc_error *err);
/* Fill an empty volume from the image's content at target (under rootfd),
 * keeping ownership, modes, times and symlinks. */
int cc_volume_prefill(int rootfd, const char *target, const char *data_dir, struct cc_error *err);

/* ---- process.c ---- */

/* env ("K=V" entries) sets key. */
bool cc_process_env_has(const struct cc_strv *env, const char *key);
/* Parent: the final environment (adds PATH, HOSTNAME, HOME, TERM when unset). */
void cc_process_env(const struct cc_container_spec *spec, const char *hostname, const char *home,
                    struct cc_strv *out);
/* Child steps. */
int cc_process_stdio(struct cc_child *ch);
int cc_process_rlimits(struct cc_child *ch);
int cc_process_user(struct cc_child *ch);
int cc_process_cwd(struct cc_child *ch);
/* Look argv[0] up in PATH and execve; on failure reports the exec error
 * (as docker: 127 not found, 126 not executable) and returns the status. */
int cc_process_exec(struct cc_child *ch);

#endif
