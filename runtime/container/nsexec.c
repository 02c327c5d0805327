/* docker exec, without a daemon: see nsexec.h.
 *
 *   us (the CLI or the healthcheck runner)
 *    |  [tty: open the container's /dev/pts/ptmx through /proc/PID/root]
 *    `- fork: joiner -- joins the cgroups and every namespace of PID
 *         `- fork: the process (now inside the pid namespace): session,
 *            tty, cwd, seccomp / caps / user in security.h's order, exec
 *   The joiner forwards signals to the process and exits with its status. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <grp.h>

#include "container-internal.h"
#include "nsexec.h"
#include "security.h"

struct cc_target {
        uint64_t capbnd;
        bool no_new_privs;
        bool seccomp;
        uid_t uid;
        gid_t gid;
        gid_t groups[64];
        size_t n_groups;
        struct cc_strv env;
        struct cc_strv cgroup_procs; /* cgroup.procs files to join */
};

static int cc__read_status(pid_t pid, struct cc_target *t, struct cc_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        _cleanup_free_ char *data = NULL;
        int r = cc_read_file(path, &data, NULL);
        if (r < 0)
                return cc_error_setsys(err, r, "container process %d", (int) pid);
        for (char *line = data; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (cc_startswith(line, "CapBnd:"))
                        t->capbnd = strtoull(line + 7, NULL, 16);
                else if (cc_startswith(line, "NoNewPrivs:"))
                        t->no_new_privs = atoi(line + 11) != 0;
                else if (cc_startswith(line, "Seccomp:"))
                        t->seccomp = atoi(line + 8) == 2;
                else if (cc_startswith(line, "Uid:"))
                        t->uid = (uid_t) strtoul(line + 4, NULL, 10);
                else if (cc_startswith(line, "Gid:"))
                        t->gid = (gid_t) strtoul(line + 4, NULL, 10);
                else if (cc_startswith(line, "Groups:")) {
                        char *p = line + 7;
                        while (*p && t->n_groups < CC_ARRAY_SIZE(t->groups)) {
                                char *end;
                                unsigned long g = strtoul(p, &end, 10);
                                if (end == p)
                                        break;
                                t->groups[t->n_groups++] = (gid_t) g;
                                p = end;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

/* A file of NUL-ended entries; empty entries are kept when keep_empty. */
static int cc__read_nul_list(const char *path, struct cc_strv *out, bool keep_empty)
{
        char *data = NULL;
        size_t len = 0;
        int r = cc_read_file(path, &data, &len);
        if (r < 0)
                return r;
        for (size_t off = 0; off < len;) {
                size_t n = strnlen(data + off, len - off);
                if (n || keep_empty)
                        cc_strv_push_owned(out, cc_xstrndup(data + off, n));
                off += n + 1;
        }
        free(data);
        return 0;
}

/* One of the lists a container's directory keeps (container.h). */
static int cc__read_list(const char *dir, const char *name, struct cc_strv *out)
{
        _cleanup_free_ char *file = cc_xasprintf("%s/%s", dir, name);
        return cc__read_nul_list(file, out, true);
}

/* The container's configured environment (its env file), else what its
 * process shows in /proc/PID/environ (a container started before the
 * file existed; a process title may have been written over it). */
static int cc__read_env(const char *dir, pid_t pid, struct cc_target *t)
{
        int r = -ENOENT;
        if (dir) {
                _cleanup_free_ char *file = cc_xasprintf("%s/%s", dir, CC_CONTAINER_ENV_FILE);
                r = cc__read_nul_list(file, &t->env, false);
        }
        if (r == -ENOENT) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/environ", (int) pid);
                r = cc__read_nul_list(path, &t->env, false);
        }
        return r;
}

static int cc__read_cgroups(pid_t pid, struct cc_target *t)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        _cleanup_free_ char *data = NULL;
        int r = cc_read_file(path, &data, NULL);
        if (r < 0)
                return r;
        for (char *line = data; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                /* "N:controllers:/path" */
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (c2 && strcmp(c2 + 1, "/") != 0) {
                        *c2 = '\0';
                        const char *ctrls = c1 + 1;
                        char *dir;
                        if (!*ctrls)
                                dir = cc_xasprintf("/sys/fs/cgroup%s%s", access("/sys/fs/cgroup/unified", F_OK) == 0
                                                                                ? "/unified" : "", c2 + 1);
                        else if (cc_startswith(ctrls, "name="))
                                dir = cc_xasprintf("/sys/fs/cgroup/%s%s", ctrls + 5, c2 + 1);
                        else
                                dir = cc_xasprintf("/sys/fs/cgroup/%s%s", ctrls, c2 + 1);
                        char *procs = cc_xasprintf("%s/cgroup.procs", dir);
                        free(dir);
                        if (access(procs, W_OK) == 0)
                                cc_strv_push_owned(&t->cgroup_procs, procs);
                        else
                                free(procs);
                }
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

static void cc__target_free(struct cc_target *t)
{
        cc_strv_free(&t->env);
        cc_strv_free(&t->cgroup_procs);
}

/* env: the container's, then the extra ones replacing by key. */
static void cc__env_merge(struct cc_strv *env, const struct cc_strv *extra)
{
        for (size_t i = 0; i < extra->n; i++) {
                const char *eq = strchr(extra->v[i], '=');
                size_t k = eq ? (size_t) (eq - extra->v[i]) : strlen(extra->v[i]);
                bool done = false;
                for (size_t j = 0; j < env->n && !done; j++)
                        if (strncmp(env->v[j], extra->v[i], k) == 0 && env->v[j][k] == '=') {
                                free(env->v[j]);
                                env->v[j] = cc_xstrdup(extra->v[i]);
                                done = true;
                        }
                if (!done && eq)
                        cc_strv_push(env, extra->v[i]);
        }
}

/* execvpe with the container's PATH, reporting why it could not run. */
static void cc__exec(char **argv, char **envp)
{
        const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        static char *none[] = {NULL};
        if (!envp)
                envp = none; /* an empty environment */
        for (char **e = envp; *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        int saved = ENOENT;
        bool slash = strchr(argv[0], '/');
        if (slash) {
                execve(argv[0], argv, envp);
                saved = errno;
        } else {
                char buf[4096];
                for (const char *p = path; *p;) {
                        const char *colon = strchr(p, ':');
                        size_t n = colon ? (size_t) (colon - p) : strlen(p);
                        snprintf(buf, sizeof(buf), "%.*s/%s", (int) n, p, argv[0]);
                        execve(buf, argv, envp);
                        if (errno != ENOENT && errno != ENOTDIR)
                                saved = errno;
                        p += n + (colon ? 1 : 0);
                }
        }
        /* runc's words, Go's lower-case error texts, on the standard
         * output and ended \r\n as dockerd writes them into an exec's
         * stream; exit 126 whatever failed, as docker exec */
        char why[4200];
        if (saved == ENOENT && !slash)
                snprintf(why, sizeof(why), "executable file not found in $PATH");
        else if (saved == ENOENT)
                snprintf(why, sizeof(why), "stat %s: no such file or directory", argv[0]);
        else
                snprintf(why, sizeof(why), "%c%s", tolower((unsigned char) strerror(saved)[0]), strerror(saved) + 1);
        dprintf(1, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"%s\": %s: unknown\r\n",
                argv[0], why);
        _exit(126);
}

static volatile pid_t cc__fwd_pid;

static void cc__forward(int sig)
{
        if (cc__fwd_pid > 0)
                kill(cc__fwd_pid, sig);
}

static int cc__status_code(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 255;
}

struct cc_exec_child {
        const struct cc_nsexec *x;
        const struct cc_target *t;
        const struct cc_user *user;
        uint64_t caps;
        const struct cc_seccomp *filter;
        char **envp;
        int pts_num;
        int errfd; /* report setup failures */
};

static void cc__die(const struct cc_exec_child *ch, const char *what, int e)
{
        dprintf(ch->errfd, "exec: %s: %s\n", what, strerror(e));
        _exit(126);
}

/* The process inside the container. */
static void cc__grandchild(const struct cc_exec_child *ch)
{
        const struct cc_nsexec *x = ch->x;
        setsid();
        if (x->tty) {
                char pts[64];
                snprintf(pts, sizeof(pts), "/dev/pts/%d", ch->pts_num);
                int fd = open(pts, O_RDWR);
                if (fd < 0)
                        cc__die(ch, "open pty", errno);
                ioctl(fd, TIOCSCTTY, 0);
                dup2(fd, 0);
                dup2(fd, 1);
                dup2(fd, 2);
                if (fd > 2)
                        close(fd);
        }
        if (chdir(x->workdir ? x->workdir : "/") < 0)
                cc__die(ch, x->workdir ? x->workdir : "/", errno);
        int r;
        if (!ch->t->no_new_privs && ch->filter && (r = cc_seccomp_load(ch->filter)) < 0)
                cc__die(ch, "seccomp", -r);
        if ((r = cc_caps_prepare(ch->caps)) < 0)
                cc__die(ch, "capabilities", -r);
        const gid_t *groups = ch->user ? ch->user->groups : ch->t->groups;
        size_t ng = ch->user ? ch->user->n_groups : ch->t->n_groups;
        uid_t uid = ch->user ? ch->user->uid : ch->t->uid;
        gid_t gid = ch->user ? ch->user->gid : ch->t->gid;
        if (syscall(SYS_setgroups, ng, groups) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                cc__die(ch, "set user", errno);
        if ((r = cc_caps_apply(ch->caps, false)) < 0)
                cc__die(ch, "capabilities", -r);
        if (ch->t->no_new_privs && (r = cc_seccomp_no_new_privs()) < 0)
                cc__die(ch, "no_new_privs", -r);
        if (ch->t->no_new_privs && ch->filter && (r = cc_seccomp_load(ch->filter)) < 0)
                cc__die(ch, "seccomp", -r);
        cc__exec(x->argv.v, ch->envp);
}

/* Joins the container; runs in a child of the caller. */
static void cc__joiner(const struct cc_exec_child *ch)
{
        for (size_t i = 0; i < ch->t->cgroup_procs.n; i++) {
                int fd = open(ch->t->cgroup_procs.v[i], O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        if (write(fd, "0", 1) < 0) {
                                /* a controller we cannot join is not fatal */
                        }
                        close(fd);
                }
        }
        int pidfd = pidfd_open(ch->x->target, 0);
        if (pidfd < 0)
                cc__die(ch, "the container is not running", errno);
        /* The container's root as its process sees it: joining its mount
         * namespace puts us at that namespace's root, which is the
         * container's only when the pivot_root happened there; where
         * ccompose itself runs in a chroot, it is the host's. */
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/root", (int) ch->x->target);
        int rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                cc__die(ch, path, errno);
        if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP) < 0)
                cc__die(ch, "joining the container's namespaces", errno);
        close(pidfd);
        if (fchdir(rootfd) < 0 || chroot(".") < 0)
                cc__die(ch, "entering the container's root", errno);
        close(rootfd);
        pid_t pid = fork();
        if (pid < 0)
                cc__die(ch, "fork", errno);
        if (pid == 0)
                cc__grandchild(ch);
        cc__fwd_pid = pid;
        if (ch->x->pid_fd > 2) {
                if (write(ch->x->pid_fd, &pid, sizeof(pid)) < 0) {
                        /* the caller then knows no PID: not fatal */
                }
                close(ch->x->pid_fd);
        }
        struct sigaction sa = {.sa_handler = cc__forward};
        sigemptyset(&sa.sa_mask);
        int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
        for (size_t i = 0; i < CC_ARRAY_SIZE(sigs); i++)
                sigaction(sigs[i], &sa, NULL);
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        _exit(255);
        _exit(cc__status_code(st));
}

static void cc__relay(int master, pid_t child)
{
        struct termios saved, raw;
        bool term = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
        if (term) {
                raw = saved;
                cfmakeraw(&raw);
                tcsetattr(STDIN_FILENO, TCSANOW, &raw);
                struct winsize ws;
                if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                        ioctl(master, TIOCSWINSZ, &ws);
        }
        char buf[16384];
        bool in_open = true;
        for (;;) {
                struct pollfd p[2] = {{master, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
                if (poll(p, 2, 200) < 0 && errno != EINTR)
                        break;
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(master, buf, sizeof(buf));
                        if (n <= 0)
                                break;
                        if (write(STDOUT_FILENO, buf, (size_t) n) < 0)
                                break;
                }
                if (p[1].revents & (POLLIN | POLLHUP)) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0)
                                in_open = false;
                        else if (write(master, buf, (size_t) n) < 0)
                                break;
                }
                if (waitpid(child, NULL, WNOHANG | WNOWAIT) == child && !(p[0].revents & POLLIN))
                        break;
        }
        if (term)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

int cc_nsexec_run(const struct cc_nsexec *x, struct cc_error *err)
{
        struct cc_target t = {0};
        struct cc_user user = {0};
        struct cc_seccomp *filter = NULL;
        int master = -1, r;

        if (x->argv.n == 0)
                return cc_error_set(err, -EINVAL, "exec: no command given");
        if ((r = cc__read_status(x->target, &t, err)) < 0)
                return r;
        if ((r = cc__read_env(x->dir, x->target, &t)) < 0 || (r = cc__read_cgroups(x->target, &t)) < 0) {
                cc__target_free(&t);
                return cc_error_setsys(err, r, "container process %d", (int) x->target);
        }
        /* -u, else the container's configured user (not the uid its main
         * process has now); a container started before that was kept:
         * its process's uid */
        struct cc_strv conf = {0};
        const char *uspec = x->user;
        if (!uspec && x->dir && cc__read_list(x->dir, CC_CONTAINER_USER_FILE, &conf) == 0 && conf.n > 0)
                uspec = conf.v[0];
        if (uspec) {
                char root[64];
                snprintf(root, sizeof(root), "/proc/%d/root", (int) x->target);
                struct cc_strv group_add = {0};
                for (size_t i = 1; !x->user && i < conf.n; i++)
                        cc_strv_push(&group_add, conf.v[i]);
                _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                r = rootfd < 0 ? cc_error_setsys(err, -errno, "open %s", root)
                               : cc_user_resolve(rootfd, uspec, &group_add, &user, err);
                cc_strv_free(&group_add);
                if (r < 0) {
                        cc_strv_free(&conf);
                        cc__target_free(&t);
                        return r;
                }
        }
        uint64_t caps = x->privileged ? cc_caps_all() : t.capbnd;
        if (!x->privileged && t.seccomp && (r = cc_container_seccomp_default(x->cache_root, caps, &filter, err)) < 0) {
                cc__target_free(&t);
                cc_user_free(&user);
                return r;
        }
        struct cc_strv env = {0};
        for (size_t i = 0; i < t.env.n; i++)
                cc_strv_push(&env, t.env.v[i]);
        /* as the Docker daemon: a terminal gets TERM=xterm unless the
         * container or -e sets it */
        if (x->tty && !cc_process_env_has(&env, "TERM"))
                cc_strv_push(&env, "TERM=xterm");
        cc__env_merge(&env, &x->env);
        /* as runc: HOME, unless configured, is the home of whom it runs as */
        if (!cc_process_env_has(&env, "HOME") && uspec)
                cc_strv_push_owned(&env, cc_xasprintf("HOME=%s", user.home ? user.home : "/"));

        int pts_num = x->has_pts ? x->pts : -1;
        if (x->tty && pts_num < 0) {
                char ptmx[64];
                snprintf(ptmx, sizeof(ptmx), "/proc/%d/root/dev/pts/ptmx", (int) x->target);
                master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
                int unlock = 0;
                if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &pts_num) < 0) {
                        r = cc_error_setsys(err, -errno, "exec: allocating a terminal in the container");
                        goto out;
                }
        }
        struct cc_exec_child ch = {
                .x = x,
                .t = &t,
                .user = uspec ? &user : NULL,
                .caps = caps,
                .filter = filter,
                .envp = env.v,
                .pts_num = pts_num,
                .errfd = STDERR_FILENO,
        };
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                r = cc_error_setsys(err, -errno, "fork");
                goto out;
        }
        if (pid == 0)
                cc__joiner(&ch);
        /* signals reach the joiner (same process group) which forwards them */
        struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_term;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGTERM, &ign, &old_term);
        if (master >= 0)
                cc__relay(master, pid);
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR) {
                        st = 255 << 8;
                        break;
                }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        r = cc__status_code(st);
out:
        if (master >= 0)
                close(master);
        cc_strv_free(&env);
        cc_strv_free(&conf);
        cc__target_free(&t);
        cc_user_free(&user);
        cc_seccomp_free(filter);
        return r;
}
