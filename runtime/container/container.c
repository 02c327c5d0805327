/* Container lifecycle in the parent: prepare the plan (container-plan.c),
 * clone3 into new namespaces, the handshake with the child, then wait,
 * kill, stop, destroy, and the cleanup of a crashed owner's leftovers.
 *
 * Handshake (a SOCK_SEQPACKET socketpair, close-on-exec on both ends):
 *   parent: clone3 -> move the child into its cgroup -> send "go"
 *   child:  meanwhile, the steps that need no cgroup (its mounts); then
 *           waits for "go" and does the rest (container-child.c); a
 *           failure sends an error message and exits; with a tty, the pty
 *           master is sent along
 *   parent: reads until EOF, which the child's successful execve causes
 *           by closing its end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "container-internal.h"
#include "image-digest.h"
#include "root-dir.h"

struct cc_container {
        char *root;
        char *name;
        char *project;
        char *id;
        char *dir;
        pid_t pid;
        int pidfd;
        int pty;
        /* its mount namespace, held from its start: the end of its mounts
         * (the rootfs overlay's, with a sync of the upper filesystem:
         * ~3 ms) comes at destroy, or where the caller closes it
         * (cc_container_take_mounts), not in its last process's exit,
         * which the supervisor waits for */
        int mntns;
        struct cc_cgroup *cg;
        bool exited;
        bool adopted; /* not our child (cc_container_adopt) */
        int exit_code;
        int stop_signal;
        long long grace_ms;
        struct cc_strv anon_volumes; /* made by start */
        bool remove_anon;            /* destroy removes them */
};

/* ---- The spec ---- */

void cc_container_spec_init(struct cc_container_spec *spec)
{
        memset(spec, 0, sizeof(*spec));
        spec->stdio[0] = spec->stdio[1] = spec->stdio[2] = -1;
        spec->stop_grace_ms = -1;
        spec->caps = cc_caps_default();
}

void cc_container_spec_free(struct cc_container_spec *spec)
{
        free(spec->root);
        free(spec->project);
        free(spec->id);
        free(spec->name);
        free(spec->hostname);
        free(spec->domainname);
        cc_strv_free(&spec->layer_dirs);
        cc_strv_free(&spec->argv);
        cc_strv_free(&spec->env);
        free(spec->cwd);
        free(spec->user);
        cc_strv_free(&spec->group_add);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                free(spec->mounts[i].source);
                free(spec->mounts[i].target);
                free(spec->mounts[i].subpath);
                free(spec->mounts[i].device);
        }
        free(spec->mounts);
        for (size_t i = 0; i < spec->n_files; i++) {
                free(spec->files[i].content);
                free(spec->files[i].target);
        }
        free(spec->files);
        free(spec->ulimits);
        cc_strv_free(&spec->sysctls);
        cc_strv_free(&spec->dns);
        cc_strv_free(&spec->dns_search);
        cc_strv_free(&spec->dns_opt);
        cc_strv_free(&spec->extra_hosts);
        memset(spec, 0, sizeof(*spec));
}

struct cc_mount *cc_container_spec_add_mount(struct cc_container_spec *spec, enum cc_mount_type type,
                                             const char *source, const char *target, bool read_only)
{
        spec->mounts = cc_xrealloc(spec->mounts, (spec->n_mounts + 1) * sizeof(*spec->mounts));
        struct cc_mount *m = &spec->mounts[spec->n_mounts++];
        *m = (struct cc_mount){
                .type = type,
                .source = source ? cc_xstrdup(source) : NULL,
                .target = cc_xstrdup(target),
                .read_only = read_only,
                .tmpfs_mode = -1,
        };
        return m;
}

struct cc_file_mount *cc_container_spec_add_file(struct cc_container_spec *spec, const char *content, size_t len,
                                                 const char *target)
{
        spec->files = cc_xrealloc(spec->files, (spec->n_files + 1) * sizeof(*spec->files));
        struct cc_file_mount *f = &spec->files[spec->n_files++];
        char *copy = cc_xmalloc(len + 1);
        memcpy(copy, content, len);
        copy[len] = '\0';
        *f = (struct cc_file_mount){.content = copy, .len = len, .target = cc_xstrdup(target), .mode = 0444};
        return f;
}

char *cc_container_anon_volume(const char *id, const char *target)
{
        char digest[CC_DIGEST_LEN + 1];
        _cleanup_free_ char *clean = cc_path_clean(target);
        cc_sha256_digest(clean, strlen(clean), digest);
        return cc_xasprintf("%.52s%.12s", id, digest + 7);
}

int cc_container_remove_anon_volumes(const char *root, const char *id, struct cc_error *err)
{
        _cleanup_free_ char *dir = cc_xasprintf("%s/volumes", root);
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : cc_error_setsys(err, -errno, "open %s", dir);
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (strlen(de->d_name) != 64 || strncmp(de->d_name, id, 52) != 0)
                        continue;
                _cleanup_free_ char *v = cc_xasprintf("%s/%s", dir, de->d_name);
                int rr = cc_rm_rf(v);
                if (rr < 0 && r >= 0)
                        r = cc_error_setsys(err, rr, "remove volume %s", de->d_name);
        }
        closedir(d);
        return r;
}

char *cc_container_new_id(void)
{
        unsigned char raw[32];
        size_t got = 0;
        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
                if (n < 0 && errno != EINTR)
                        abort();
                if (n > 0)
                        got += (size_t) n;
        }
        char *hex = cc_xmalloc(65);
        for (size_t i = 0; i < sizeof(raw); i++)
                sprintf(hex + 2 * i, "%02x", raw[i]);
        return hex;
}

/* The install layout meson compiled in (meson.build): ccompose in
 * <prefix>/CC_BINDIR, ccompose-init in <prefix>/CC_LIBEXECDIR/ccompose. */
#ifndef CC_PREFIX
#define CC_PREFIX "/usr/local"
#endif
#ifndef CC_BINDIR
#define CC_BINDIR "bin"
#endif
#ifndef CC_LIBEXECDIR
#define CC_LIBEXECDIR "libexec"
#endif

char *cc_container_init_path(void)
{
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return NULL;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash)
                return NULL;
        *slash = '\0';
        /* an installed ccompose moved with its tree (DESTDIR, a relocated
         * prefix): <dir>/CC_BINDIR -> <dir>/CC_LIBEXECDIR/ccompose */
        _cleanup_free_ char *relocated = NULL;
        size_t el = strlen(exe), bl = strlen(CC_BINDIR);
        if (CC_BINDIR[0] != '/' && CC_LIBEXECDIR[0] != '/' && el > bl && exe[el - bl - 1] == '/' &&
            strcmp(exe + el - bl, CC_BINDIR) == 0)
                relocated = cc_xasprintf("%.*s/" CC_LIBEXECDIR "/ccompose/ccompose-init", (int) (el - bl - 1), exe);
        char *const candidates[] = {
                /* beside ccompose, or in the build tree (runtime/init/):
                 * a build's own helper before any installed one */
                cc_xasprintf("%s/ccompose-init", exe),
                cc_xasprintf("%s/runtime/init/ccompose-init", exe),
                relocated ? cc_xstrdup(relocated) : NULL,
                /* installed: the path meson compiled in */
                CC_LIBEXECDIR[0] == '/' ? cc_xstrdup(CC_LIBEXECDIR "/ccompose/ccompose-init")
                                        : cc_xstrdup(CC_PREFIX "/" CC_LIBEXECDIR "/ccompose/ccompose-init"),
        };
        char *found = NULL;
        for (size_t i = 0; i < CC_ARRAY_SIZE(candidates); i++) {
                if (!found && candidates[i] && access(candidates[i], X_OK) == 0)
                        found = candidates[i];
                else
                        free(candidates[i]);
        }
        return found;
}

/* ---- Start ---- */

static char *cc__cgroup_name(const char *project, const char *id)
{
        return cc_xasprintf("ccompose/%s/%s", project, id);
}

/* Remove the project's and ccompose's own cgroup levels once they are
 * empty; busy ones (other containers) stay. */
static void cc__cgroup_prune(const char *project)
{
        _cleanup_free_ char *proj = cc_xasprintf("ccompose/%s", project);
        const char *const levels[] = {proj, "ccompose"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(levels); i++) {
                struct cc_error e = {0};
                struct cc_cgroup *cg = NULL;
                if (cc_cgroup_open(levels[i], &cg, &e) < 0 || cc_cgroup_destroy(cg, &e) < 0) {
                        cc_error_clear(&e);
                        return;
                }
        }
}

static int cc__clone3(const struct cc_container_spec *spec, int *pidfd)
{
        uint64_t flags = CLONE_NEWNS | CLONE_PIDFD;
        flags |= spec->host_pid ? 0 : CLONE_NEWPID;
        flags |= spec->host_ipc ? 0 : CLONE_NEWIPC;
        flags |= spec->host_uts ? 0 : CLONE_NEWUTS;
        if (spec->net != CC_NET_HOST && spec->net_join_pid <= 0)
                flags |= CLONE_NEWNET; /* a joining child setns()es in its network step */
        struct clone_args args = {
                .flags = flags,
                .pidfd = (uint64_t) (uintptr_t) pidfd,
                .exit_signal = SIGCHLD,
        };
        long r = syscall(SYS_clone3, &args, sizeof(args));
        return r < 0 ? -errno : (int) r;
}

/* Read the child's messages until EOF (its execve). 0 when it exec'd;
 * else the child's error, formatted, with its exit status. */
static int cc__handshake(int sock, struct cc_container *c, int *exit_status, struct cc_error *err)
{
        struct cc_child_msg msg;
        bool failed = false;
        for (;;) {
                union {
                        char buf[CMSG_SPACE(sizeof(int))];
                        struct cmsghdr align;
                } u;
                struct iovec iov = {.iov_base = &msg, .iov_len = sizeof(msg)};
                struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                                    .msg_controllen = sizeof(u.buf)};
                ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
                /* ECONNRESET: the child exited with our "go" unread (it
                 * failed a step before it waits for it); said once, its
                 * messages follow */
                if (n < 0 && (errno == EINTR || errno == ECONNRESET))
                        continue;
                if (n < 0)
                        return cc_error_setsys(err, -errno, "reading from the container");
                if (n == 0)
                        break;
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
                        if (c->pty >= 0)
                                close(c->pty);
                        c->pty = fd;
                }
                if ((size_t) n < sizeof(msg) || msg.type != CC_MSG_ERROR || failed)
                        continue;
                failed = true;
                msg.text[sizeof(msg.text) - 1] = '\0';
                int code = msg.err > 0 ? -msg.err : -EIO;
                if (msg.raw)
                        cc_error_set(err, code, "%s", msg.text);
                else if (msg.err > 0)
                        cc_error_setsys(err, code, "%s: %s", cc_step_name(msg.step), msg.text);
                else
                        cc_error_set(err, code, "%s: %s", cc_step_name(msg.step), msg.text);
                if (exit_status)
                        *exit_status = msg.exit_status;
        }
        if (failed)
                return err->code;
        return 0;
}

/* dir/name replaced whole (a temporary name renamed over it), without
 * fsync: what a start derives and writes again at every start only has to
 * outlive the engine, not the machine, whose crash ends the container
 * too. An fsync here waited for the journal of the whole disk (~30 ms of
 * a start when it was busy). 0 or -errno. */
static int cc__write_derived(const char *dir, const char *name, const char *data, size_t len)
{
        _cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, name);
        return cc_write_file_atomic_sync(path, data, len, 0600, false);
}

static void cc__write_state(const struct cc_container *c)
{
        /* pid plus start time identify the process for adoption */
        struct cc_proc_stat ps = {0};
        unsigned long long start = cc_proc_stat(c->pid, &ps) == 0 ? ps.start : 0;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(c->id));
        json_object_object_add(o, "name", json_object_new_string(c->name ? c->name : ""));
        json_object_object_add(o, "pid", json_object_new_int(c->pid));
        json_object_object_add(o, "start_time", json_object_new_int64((int64_t) start));
        _cleanup_free_ char *cg = cc__cgroup_name(c->project, c->id);
        json_object_object_add(o, "cgroup", json_object_new_string(cg));
        _cleanup_free_ char *json = cc_xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        (void) cc__write_derived(c->dir, "state.json", json, strlen(json));
}

static void cc__container_free(struct cc_container *c)
{
        if (!c)
                return;
        if (c->pidfd >= 0)
                close(c->pidfd);
        if (c->pty >= 0)
                close(c->pty);
        if (c->mntns >= 0)
                close(c->mntns);
        if (c->cg)
                cc_cgroup_free(c->cg);
        free(c->root);
        free(c->name);
        free(c->project);
        free(c->id);
        free(c->dir);
        cc_strv_free(&c->anon_volumes);
        free(c);
}

/* Undo a start that failed: the child (if any) is gone or killed, the
 * cgroup and the directory removed. */
static void cc__start_undo(struct cc_container *c)
{
        struct cc_error e = {0};
        if (c->pidfd >= 0) {
                pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
                siginfo_t si;
                while (waitid(P_PIDFD, (id_t) c->pidfd, &si, WEXITED) < 0 && errno == EINTR)
                        ;
        }
        if (c->cg) {
                cc_cgroup_kill_all(c->cg, &e);
                cc_error_clear(&e);
                if (cc_cgroup_destroy(c->cg, &e) < 0)
                        cc_error_clear(&e);
                c->cg = NULL;
                cc__cgroup_prune(c->project);
        }
        cc_rm_rf(c->dir);
        for (size_t i = 0; i < c->anon_volumes.n; i++) {
                _cleanup_free_ char *v = cc_xasprintf("%s/volumes/%s", c->root, c->anon_volumes.v[i]);
                cc_rm_rf(v);
        }
        cc__container_free(c);
}

static int cc__spawn(struct cc_container *c, struct cc_plan *plan, int *exit_status, struct cc_error *err)
{
        plan->netns_fd = -1;
        if (plan->spec->net_join_pid > 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) plan->spec->net_join_pid);
                if ((plan->netns_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                        return cc_error_setsys(err, -errno, "joining the network namespace of process %d",
                                               (int) plan->spec->net_join_pid);
        }
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                int e = -errno;
                if (plan->netns_fd >= 0)
                        close(plan->netns_fd);
                return cc_error_setsys(err, e, "socketpair");
        }

        /* Block every signal across clone3 so that no handler of the
         * engine runs in the child before it resets them. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int pidfd = -1;
        int pid = cc__clone3(plan->spec, &pidfd);
        if (pid == 0) {
                close(sv[0]);
                _exit(cc_child_run(plan, sv[1]));
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(sv[1]);
        if (plan->netns_fd >= 0)
                close(plan->netns_fd);
        plan->netns_fd = -1;
        if (pid < 0) {
                close(sv[0]);
                return cc_error_setsys(err, pid, "clone3");
        }
        c->pid = pid;
        c->pidfd = pidfd;
        char ns[64];
        snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int) pid);
        c->mntns = open(ns, O_RDONLY | O_CLOEXEC); /* best effort: without it, the exit does the unmounts */

        /* The child does its mounts meanwhile (container-child.c). */
        int r = cc_cgroup_add_pid(c->cg, pid, err);
        /* network: interfaces into the child's netns before it goes on */
        if (r >= 0 && plan->spec->net_attach)
                r = plan->spec->net_attach(pid, plan->spec->net_attach_data, err);
        if (r >= 0 && send(sv[0], "g", 1, MSG_NOSIGNAL) != 1)
                r = cc_error_setsys(err, -errno, "starting the container");
        if (r >= 0) {
                r = cc__handshake(sv[0], c, exit_status, err);
        } else {
                /* A child that failed a step of its own first (a volume it
                 * could not mount, ...) is gone, which failed ours: its
                 * error says why. One still at work stops at the EOF. */
                struct cc_error child = {0};
                shutdown(sv[0], SHUT_WR);
                if (cc__handshake(sv[0], c, exit_status, &child) < 0) {
                        cc_error_clear(err);
                        *err = child;
                        r = err->code;
                }
        }
        close(sv[0]);
        return r;
}

/* Never a second copy of a container: two inits in one cgroup, writing to
 * one overlay upper directory ("upperdir is in-use", undefined behaviour).
 * Checked before anything is touched, so the copy that runs keeps its
 * cgroup and its directory. */
static int cc__check_not_running(const struct cc_container_spec *spec, struct cc_error *err)
{
        _cleanup_free_ char *cgname = cc__cgroup_name(spec->project, spec->id);
        struct cc_cgroup *cg = NULL;
        int r = cc_cgroup_open(cgname, &cg, err);
        if (r == -ENOENT) {
                cc_error_clear(err);
                return 0;
        }
        if (r < 0)
                return cc_error_prefix(err, "container %.12s", spec->id);
        int n = cc_cgroup_count(cg);
        cc_cgroup_free(cg);
        if (n > 0)
                return cc_error_set(err, -EBUSY,
                                    "container %.12s: its cgroup %s still holds %d process(es) of an earlier start; "
                                    "not starting a second copy",
                                    spec->id, cgname, n);
        return 0;
}

void cc_container_prepare(const char *project, const char *id)
{
        static const struct cc_cgroup_limits none = {0};
        _cleanup_free_ char *cgname = cc__cgroup_name(project, id);
        struct cc_cgroup *cg = NULL;
        struct cc_error err = {0};
        if (cc_cgroup_create(cgname, &none, &cg, &err) == 0)
                cc_cgroup_free(cg);
        cc_error_clear(&err);
        cc_cgroup_prime_move_wait();
}

int cc_container_kill_stale(const char *project, const char *id, struct cc_error *err)
{
        _cleanup_free_ char *cgname = cc__cgroup_name(project, id);
        struct cc_cgroup *cg = NULL;
        int r = cc_cgroup_open(cgname, &cg, err);
        if (r == -ENOENT) {
                cc_error_clear(err);
                return 0;
        }
        if (r < 0)
                return cc_error_prefix(err, "container %.12s", id);
        int n = cc_cgroup_count(cg);
        if (n < 0)
                r = cc_error_setsys(err, n, "cgroup %s: read processes", cgname);
        else if (n > 0)
                r = cc_cgroup_kill_all(cg, err);
        cc_cgroup_free(cg);
        if (r < 0)
                return cc_error_prefix(err, "container %.12s", id);
        return n;
}

static int cc__write_list(const char *dir, const char *name, const struct cc_strv *list, struct cc_error *err)
{
        struct cc_buf b = {0};
        for (size_t i = 0; i < list->n; i++) {
                cc_buf_puts(&b, list->v[i]);
                cc_buf_putc(&b, '\0');
        }
        _cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, name);
        int r = cc__write_derived(dir, name, b.s ? b.s : "", b.len);
        cc_buf_free(&b);
        return r < 0 ? cc_error_setsys(err, r, "write %s", path) : 0;
}

/* The container's configured environment (image, service, run -e; the
 * final list its process starts with) and user, kept in its directory:
 * what exec and healthchecks run with, as Docker takes them from the
 * container's configuration. The process's own /proc/PID/environ is not
 * it (servers such as redis and nginx write their process title over
 * it), nor its uid (an entrypoint may drop to another user). A HOME that
 * was not configured is left out: it is the home of whom a process runs
 * as, which for exec depends on -u. */
static int cc__write_config(const char *dir, const struct cc_container_spec *spec, const struct cc_strv *env,
                            struct cc_error *err)
{
        struct cc_strv keep = {0};
        bool derived_home = !cc_process_env_has(&spec->env, "HOME");
        for (size_t i = 0; i < env->n; i++)
                if (!derived_home || strncmp(env->v[i], "HOME=", 5) != 0)
                        cc_strv_push(&keep, env->v[i]);
        int r = cc__write_list(dir, CC_CONTAINER_ENV_FILE, &keep, err);
        cc_strv_free(&keep);
        struct cc_strv user = {0};
        cc_strv_push(&user, spec->user ? spec->user : "");
        for (size_t i = 0; i < spec->group_add.n; i++)
                cc_strv_push(&user, spec->group_add.v[i]);
        if (r >= 0)
                r = cc__write_list(dir, CC_CONTAINER_USER_FILE, &user, err);
        cc_strv_free(&user);
        return r;
}

int cc_container_start(const struct cc_container_spec *spec, struct cc_container **out, int *exit_status,
                       struct cc_error *err)
{
        if (exit_status)
                *exit_status = 125;
        if (!spec->root || !spec->id || !spec->project)
                return cc_error_set(err, -EINVAL, "container spec without root, id or project");
        if (spec->net_join_pid < 0 || (spec->net_join_pid > 0 && spec->net != CC_NET_PRIVATE))
                return cc_error_set(err, -EINVAL, "container spec: the network namespace to join is not resolved");
        if (spec->argv.n == 0)
                return cc_error_set(err, -EINVAL, "no command specified");
        int r = cc_root_dir_secure(spec->root, err);
        if (r < 0)
                return r;
        r = cc__check_not_running(spec, err);
        if (r < 0)
                return r;

        struct cc_container *c = cc_xcalloc(1, sizeof(*c));
        c->root = cc_xstrdup(spec->root);
        c->project = cc_xstrdup(spec->project);
        c->id = cc_xstrdup(spec->id);
        c->name = spec->name ? cc_xstrdup(spec->name) : NULL;
        c->dir = cc_xasprintf("%s/containers/%s", spec->root, spec->id);
        c->pidfd = c->pty = c->mntns = -1;
        c->stop_signal = spec->stop_signal > 0 ? spec->stop_signal : SIGTERM;
        c->grace_ms = spec->stop_grace_ms >= 0 ? spec->stop_grace_ms : 10000;
        c->remove_anon = spec->remove_anon_volumes;

        /* the grace period the move into the cgroup waits for runs while
         * the plan is made */
        cc_cgroup_prime_move();
        struct cc_plan plan;
        r = cc_plan_prepare(spec, c->dir, &c->anon_volumes, &plan, err);
        if (r < 0) {
                cc_plan_free(&plan);
                if (r != -EEXIST)
                        cc__start_undo(c);
                else
                        cc__container_free(c);
                return r;
        }
        r = cc__write_config(c->dir, spec, &plan.env, err);
        _cleanup_free_ char *cgname = cc__cgroup_name(spec->project, spec->id);
        if (r >= 0)
                r = cc_cgroup_create(cgname, &spec->cgroup, &c->cg, err);
        if (r >= 0)
                r = cc__spawn(c, &plan, exit_status, err);
        cc_plan_free(&plan);
        if (r < 0) {
                cc__start_undo(c);
                return r;
        }
        cc__write_state(c);
        if (exit_status)
                *exit_status = 0;
        *out = c;
        return 0;
}

/* ---- Running ---- */

pid_t cc_container_pid(const struct cc_container *c) { return c->pid; }
int cc_container_pidfd(const struct cc_container *c) { return c->pidfd; }
int cc_container_pty(const struct cc_container *c) { return c->pty; }
const char *cc_container_id(const struct cc_container *c) { return c->id; }
const char *cc_container_dir(const struct cc_container *c) { return c->dir; }
bool cc_container_running(const struct cc_container *c) { return !c->exited; }

int cc_container_kill(struct cc_container *c, int sig, struct cc_error *err)
{
        if (c->exited)
                return 0;
        if (pidfd_send_signal(c->pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
                return cc_error_setsys(err, -errno, "container %.12s: kill", c->id);
        return 0;
}

int cc_container_kill_all(struct cc_container *c, struct cc_error *err)
{
        if (!c->cg)
                return 0;
        int r = cc_cgroup_kill_all(c->cg, err);
        if (r < 0)
                cc_error_prefix(err, "container %.12s", c->id);
        return r;
}

static int cc__exit_code(struct cc_container *c, const siginfo_t *si)
{
        if (si->si_code == CLD_EXITED)
                return si->si_status;
        if (si->si_status == SIGKILL || (c->cg && cc_cgroup_oom_killed(c->cg)))
                return 128 + SIGKILL;
        return 128 + si->si_status;
}

static int cc__wait(struct cc_container *c, int options, int *exit_code, struct cc_error *err)
{
        if (c->exited) {
                if (exit_code)
                        *exit_code = c->exit_code;
                return 1;
        }
        if (c->adopted) {
                /* not our child: only the pidfd tells it is gone; the status
                 * went to whoever reaps it now */
                struct pollfd pfd = {.fd = c->pidfd, .events = POLLIN};
                int n;
                while ((n = poll(&pfd, 1, (options & WNOHANG) ? 0 : -1)) < 0 && errno == EINTR)
                        ;
                if (n <= 0)
                        return n < 0 ? cc_error_setsys(err, -errno, "container %.12s: poll", c->id) : 0;
                c->exited = true;
                c->exit_code = c->cg && cc_cgroup_oom_killed(c->cg) ? 137 : 255;
                if (exit_code)
                        *exit_code = c->exit_code;
                return 1;
        }
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        while (waitid(P_PIDFD, (id_t) c->pidfd, &si, WEXITED | options) < 0) {
                if (errno == EAGAIN && !(options & WNOHANG)) {
                        /* a pidfd made non-blocking (uv_poll_init does it)
                         * says EAGAIN while the child runs: wait for it */
                        struct pollfd pfd = {.fd = c->pidfd, .events = POLLIN};
                        (void) poll(&pfd, 1, -1);
                        continue;
                }
                if (errno != EINTR)
                        return cc_error_setsys(err, -errno, "container %.12s: wait", c->id);
        }
        if (si.si_pid == 0)
                return 0;
        c->exited = true;
        c->exit_code = cc__exit_code(c, &si);
        if (exit_code)
                *exit_code = c->exit_code;
        return 1;
}

int cc_container_reap(struct cc_container *c, int *exit_code, struct cc_error *err)
{
        return cc__wait(c, WNOHANG, exit_code, err);
}

bool cc_container_oom_killed(const struct cc_container *c)
{
        return c->cg && cc_cgroup_oom_killed(c->cg);
}

int cc_container_wait(struct cc_container *c, int *exit_code, struct cc_error *err)
{
        int r = cc__wait(c, 0, exit_code, err);
        return r < 0 ? r : 0;
}

int cc_container_stop(struct cc_container *c, int signal, long long grace_ms, struct cc_error *err)
{
        if (c->exited)
                return 0;
        int r = cc_container_kill(c, signal > 0 ? signal : c->stop_signal, err);
        if (r < 0)
                return r;
        long long left = grace_ms >= 0 ? grace_ms : c->grace_ms;
        struct pollfd pfd = {.fd = c->pidfd, .events = POLLIN};
        while (left > 0) {
                int chunk = left > 1000 ? 1000 : (int) left;
                int n = poll(&pfd, 1, chunk);
                if (n > 0)
                        break;
                if (n < 0 && errno != EINTR)
                        return cc_error_setsys(err, -errno, "container %.12s: poll", c->id);
                if (n == 0)
                        left -= chunk;
        }
        if (poll(&pfd, 1, 0) <= 0) {
                r = cc_container_kill_all(c, err);
                if (r < 0)
                        return r;
        }
        return cc_container_wait(c, NULL, err);
}

/* ---- Destroy and cleanup ---- */

int cc_container_take_mounts(struct cc_container *c)
{
        return cc_steal_fd(&c->mntns);
}

int cc_container_destroy(struct cc_container *c, bool keep_dir, struct cc_error *err)
{
        int r = 0;
        if (!c->exited) {
                r = cc_container_kill_all(c, err);
                if (r >= 0)
                        r = cc_container_wait(c, NULL, err);
                if (r < 0) {
                        cc__container_free(c);
                        return r;
                }
        }
        if (c->mntns >= 0) {
                /* its mounts end now (before its directory goes) */
                close(c->mntns);
                c->mntns = -1;
        }
        if (c->cg) {
                /* PID 1 is gone, so the kernel kills the rest of the pid
                 * namespace; make sure the cgroup is empty before removing it. */
                if (cc_cgroup_count(c->cg) > 0)
                        r = cc_cgroup_kill_all(c->cg, err);
                if (r >= 0)
                        r = cc_cgroup_destroy(c->cg, err);
                else
                        cc_cgroup_free(c->cg);
                c->cg = NULL;
                if (r < 0)
                        cc_error_prefix(err, "container %.12s", c->id);
                else
                        cc__cgroup_prune(c->project);
        }
        if (!keep_dir) {
                int rr = cc_rm_rf_threads(c->dir);
                if (rr < 0 && r >= 0)
                        r = cc_error_setsys(err, rr, "container %.12s: remove %s", c->id, c->dir);
        }
        for (size_t i = 0; c->remove_anon && i < c->anon_volumes.n; i++) {
                _cleanup_free_ char *v = cc_xasprintf("%s/volumes/%s", c->root, c->anon_volumes.v[i]);
                cc_rm_rf(v);
        }
        cc__container_free(c);
        return r;
}

#define CC__REMOVED_PREFIX ".removed-"

static int cc__cleanup(const char *root, const char *project, const char *id, bool later, struct cc_error *err)
{
        _cleanup_free_ char *cgname = cc__cgroup_name(project, id);
        struct cc_cgroup *cg = NULL;
        int r = cc_cgroup_open(cgname, &cg, err);
        if (r == -ENOENT) {
                cc_error_clear(err);
                r = 0;
        } else if (r >= 0) {
                r = cc_cgroup_kill_all(cg, err);
                if (r >= 0)
                        r = cc_cgroup_destroy(cg, err);
                else
                        cc_cgroup_free(cg);
        }
        if (r < 0)
                return cc_error_prefix(err, "container %.12s", id);
        cc__cgroup_prune(project);
        _cleanup_free_ char *dir = cc_xasprintf("%s/containers/%s", root, id);
        _cleanup_free_ char *aside = cc_xasprintf("%s/containers/" CC__REMOVED_PREFIX "%s", root, id);
        if (later && (rename(dir, aside) == 0 || errno == ENOENT))
                return 0;
        r = cc_rm_rf_threads(dir); /* (or it could not be moved aside) */
        if (r < 0)
                return cc_error_setsys(err, r, "container %.12s: remove %s", id, dir);
        return 0;
}

int cc_container_cleanup(const char *root, const char *project, const char *id, struct cc_error *err)
{
        return cc__cleanup(root, project, id, false, err);
}

int cc_container_cleanup_later(const char *root, const char *project, const char *id, struct cc_error *err)
{
        return cc__cleanup(root, project, id, true, err);
}

void cc_container_purge(const char *root)
{
        _cleanup_free_ char *dir = cc_xasprintf("%s/containers", root);
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct cc_strv names = {0};
        for (struct dirent *de; (de = readdir(d));)
                if (cc_startswith(de->d_name, CC__REMOVED_PREFIX))
                        cc_strv_push(&names, de->d_name);
        closedir(d);
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *p = cc_path_join(dir, names.v[i]);
                (void) cc_rm_rf_threads(p);
        }
        cc_strv_free(&names);
}

/* ---- Adoption, release, pause ---- */

int cc_container_adopt(const char *root, const char *project, const char *id, pid_t pid, int stop_signal,
                       long long stop_grace_ms, struct cc_container **out, struct cc_error *err)
{
        struct cc_container *c = cc_xcalloc(1, sizeof(*c));
        c->root = cc_xstrdup(root);
        c->project = cc_xstrdup(project);
        c->id = cc_xstrdup(id);
        c->dir = cc_xasprintf("%s/containers/%s", root, id);
        c->pid = pid;
        c->pty = c->mntns = -1;
        c->stop_signal = stop_signal > 0 ? stop_signal : SIGTERM;
        c->grace_ms = stop_grace_ms >= 0 ? stop_grace_ms : 10000;
        /* a process we started before an execve of ours is still our
         * child: its status can be waited for */
        struct cc_proc_stat ps;
        c->adopted = cc_proc_stat(pid, &ps) < 0 || ps.ppid != getpid();
        c->pidfd = pidfd_open(pid, 0);
        if (c->pidfd < 0) {
                int e = -errno;
                cc__container_free(c);
                return cc_error_setsys(err, e, "container %.12s: pid %d", id, (int) pid);
        }
        _cleanup_free_ char *cgname = cc__cgroup_name(project, id);
        if (cc_cgroup_open(cgname, &c->cg, err) < 0) {
                /* without its cgroup only the main process can be signalled */
                cc_error_clear(err);
                c->cg = NULL;
        }
        *out = c;
        return 0;
}

bool cc_container_adopted(const struct cc_container *c)
{
        return c->adopted;
}

void cc_container_release(struct cc_container *c)
{
        cc__container_free(c);
}

int cc_container_freeze(struct cc_container *c, bool frozen, struct cc_error *err)
{
        if (!c->cg)
                return cc_error_set(err, -ENOTSUP, "container %.12s has no cgroup to freeze", c->id);
        int r = cc_cgroup_freeze(c->cg, frozen, err);
        if (r < 0)
                cc_error_prefix(err, "container %.12s", c->id);
        return r;
}
