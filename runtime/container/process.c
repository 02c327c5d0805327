/* The container's process: its environment (parent), and the child's last
 * steps: stdio or the pty, rlimits, working directory, the user switch and
 * the exec with Docker's PATH lookup and exit codes.
 *
 * The child side uses raw syscalls for setgroups/setresgid/setresuid:
 * glibc's wrappers broadcast the change to every thread of the process,
 * and after clone3 the child's copy of glibc still believes the parent's
 * threads exist. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "container-internal.h"

#define CC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- Parent ---- */

static void cc__env_set(struct cc_strv *env, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t) (eq - kv) : strlen(kv);
        for (size_t i = 0; i < env->n; i++) {
                if (strncmp(env->v[i], kv, klen) == 0 && (env->v[i][klen] == '=' || env->v[i][klen] == '\0')) {
                        free(env->v[i]);
                        env->v[i] = cc_xstrdup(kv);
                        return;
                }
        }
        cc_strv_push(env, kv);
}

bool cc_process_env_has(const struct cc_strv *env, const char *key)
{
        size_t klen = strlen(key);
        for (size_t i = 0; i < env->n; i++)
                if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=')
                        return true;
        return false;
}

void cc_process_env(const struct cc_container_spec *spec, const char *hostname, const char *home,
                    struct cc_strv *out)
{
        /* As the Docker daemon: PATH, HOSTNAME (and TERM with a tty) first,
         * the container's own variables replace or follow them; HOME last
         * when still unset (as runc). */
        cc_strv_push(out, "PATH=" CC_DEFAULT_PATH);
        cc_strv_push_owned(out, cc_xasprintf("HOSTNAME=%s", hostname));
        if (spec->tty)
                cc_strv_push(out, "TERM=xterm");
        for (size_t i = 0; i < spec->env.n; i++)
                cc__env_set(out, spec->env.v[i]);
        if (!cc_process_env_has(out, "HOME"))
                cc_strv_push_owned(out, cc_xasprintf("HOME=%s", home ? home : "/"));
}

/* ---- Child ---- */

/* The pty comes from the container's own devpts instance, so that the
 * container sees its terminal as /dev/pts/0; the master goes to the
 * parent over the sync socket. */
static int cc__stdio_tty(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return cc_child_fail(ch, errno, "open", "/dev/ptmx");
        int unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return cc_child_fail(ch, errno, "unlock pty", NULL);
        _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return cc_child_fail(ch, errno, "open pty peer", NULL);
        if (fchown(slave, p->uid, (gid_t) -1) < 0)
                return cc_child_fail(ch, errno, "chown pty", NULL);
        if (setsid() < 0)
                return cc_child_fail(ch, errno, "setsid", NULL);
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return cc_child_fail(ch, errno, "set controlling terminal", NULL);
        if (p->winsize.ws_row && p->winsize.ws_col && ioctl(slave, TIOCSWINSZ, &p->winsize) < 0)
                return cc_child_fail(ch, errno, "set window size", NULL);
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return cc_child_fail(ch, errno, "dup2", "pty");

        struct cc_child_msg msg = {.type = CC_MSG_PTY, .step = ch->step};
        int r = cc_send_fd(ch->sync_fd, &msg, sizeof(msg), master);
        if (r < 0)
                return cc_child_fail(ch, -r, "send the pty to the parent", NULL);
        return 0;
}

int cc_process_stdio(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        if (p->tty)
                return cc__stdio_tty(ch);

        /* Its own session: a terminal's Ctrl-C reaches the container only
         * through the engine, which forwards it. */
        if (setsid() < 0)
                return cc_child_fail(ch, errno, "setsid", NULL);
        int tmp[3];
        for (int i = 0; i < 3; i++) {
                /* Out of the way of 0-2 first, so that any permutation works. */
                if (p->stdio[i] >= 0)
                        tmp[i] = fcntl(p->stdio[i], F_DUPFD_CLOEXEC, 3);
                else
                        tmp[i] = open("/dev/null", i == 0 ? O_RDONLY | O_CLOEXEC : O_WRONLY | O_CLOEXEC);
                if (tmp[i] < 0)
                        return cc_child_fail(ch, errno, "set up stdio", NULL);
        }
        for (int i = 0; i < 3; i++) {
                if (dup2(tmp[i], i) < 0)
                        return cc_child_fail(ch, errno, "dup2", "stdio");
                close(tmp[i]);
        }
        return 0;
}

int cc_process_rlimits(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        for (size_t i = 0; i < p->n_rlimits; i++) {
                if (setrlimit(p->rlimits[i].resource, &p->rlimits[i].lim) < 0) {
                        char what[32] = "setrlimit ";
                        cc_str_cat_int(what, sizeof(what), p->rlimits[i].resource);
                        return cc_child_fail(ch, errno, what, NULL);
                }
        }
        /* the container's own /proc (after the pivot); inherited by what
         * the command starts. Lowering it needs CAP_SYS_RESOURCE, which
         * the child still has. */
        if (p->spec->oom_score_adj) {
                char val[16] = "";
                cc_str_cat_int(val, sizeof(val), p->spec->oom_score_adj);
                int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return cc_child_fail(ch, errno, "open", "/proc/self/oom_score_adj");
                ssize_t n = write(fd, val, strlen(val));
                int e = errno;
                close(fd);
                if (n != (ssize_t) strlen(val))
                        return cc_child_fail(ch, n < 0 ? e : EIO, "write oom_score_adj", val);
        }
        return 0;
}

int cc_process_cwd(struct cc_child *ch)
{
        if (chdir(ch->plan->cwd) < 0)
                return cc_child_fail(ch, errno, "chdir to", ch->plan->cwd);
        return 0;
}

int cc_process_user(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0)
                return cc_child_fail(ch, errno, "setgroups", NULL);
        if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                return cc_child_fail(ch, errno, "setgid", NULL);
        if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                return cc_child_fail(ch, errno, "setuid", NULL);
        return 0;
}

/* Report an exec failure with the exact text docker prints, and the status. */
static int cc__exec_fail(struct cc_child *ch, int err, int status, const char *cmd, const char *tail)
{
        struct cc_child_msg msg = {.type = CC_MSG_ERROR, .step = CC_STEP_EXEC, .err = err, .raw = 1,
                                   .exit_status = status};
        cc_str_cat(msg.text, sizeof(msg.text), "exec: \"");
        cc_str_cat(msg.text, sizeof(msg.text), cmd);
        cc_str_cat(msg.text, sizeof(msg.text), "\": ");
        cc_str_cat(msg.text, sizeof(msg.text), tail);
        (void) !send(ch->sync_fd, &msg, sizeof(msg), MSG_NOSIGNAL);
        return status;
}

static bool cc__is_executable(const char *path, int *err)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                *err = errno;
                return false;
        }
        if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
                *err = EACCES;
                return false;
        }
        return true;
}

int cc_process_exec(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        ch->step = CC_STEP_EXEC;
        char **argv = p->exec_argv;
        const char *cmd = argv[p->cmd_index];
        char path[PATH_MAX];
        int err = 0;

        if (strchr(cmd, '/')) {
                if (strlen(cmd) >= sizeof(path))
                        return cc__exec_fail(ch, ENAMETOOLONG, 127, cmd, "file name too long");
                path[0] = '\0';
                cc_str_cat(path, sizeof(path), cmd);
                if (!cc__is_executable(path, &err)) {
                        if (err == EACCES)
                                return cc__exec_fail(ch, err, 126, cmd, "permission denied");
                        char tail[PATH_MAX + 64] = "stat ";
                        cc_str_cat(tail, sizeof(tail), cmd);
                        cc_str_cat(tail, sizeof(tail), ": no such file or directory");
                        return cc__exec_fail(ch, err, 127, cmd, tail);
                }
        } else {
                /* Go's exec.LookPath, as docker uses it: the first
                 * executable regular file along PATH; an empty entry is ".". */
                bool found = false;
                const char *s = p->path_env ? p->path_env : "";
                while (!found) {
                        const char *e = strchr(s, ':');
                        size_t len = e ? (size_t) (e - s) : strlen(s);
                        if (*cmd && len + strlen(cmd) + 2 < sizeof(path)) {
                                if (len) {
                                        memcpy(path, s, len);
                                        path[len] = '\0';
                                } else {
                                        path[0] = '.';
                                        path[1] = '\0';
                                }
                                cc_str_cat(path, sizeof(path), "/");
                                cc_str_cat(path, sizeof(path), cmd);
                                int e2 = 0;
                                if (cc__is_executable(path, &e2))
                                        found = true;
                        }
                        if (!e)
                                break;
                        s = e + 1;
                }
                if (!found)
                        return cc__exec_fail(ch, ENOENT, 127, cmd, "executable file not found in $PATH");
        }

        /* Nothing of the engine's may reach the container. */
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        const char *target = path;
        if (p->init) {
                argv[p->resolved_index] = path;
                target = argv[0];
        }
        execve(target, argv, p->envp);
        err = errno;
        if (err == ENOENT)
                return cc__exec_fail(ch, err, 127, cmd, "no such file or directory");
        if (err == EACCES)
                return cc__exec_fail(ch, err, 126, cmd, "permission denied");
        char tail[128] = "";
        cc_str_cat(tail, sizeof(tail), strerrordesc_np(err));
        return cc__exec_fail(ch, err, 126, cmd, tail);
}
