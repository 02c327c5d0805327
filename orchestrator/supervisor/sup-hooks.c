/* Lifecycle hooks, as docker compose runs them: each post_start and
 * pre_stop command runs inside the container as `exec` does (through
 * `ccompose __nsexec`: the container's configured environment plus the
 * hook's, the container's user unless the hook names one, its working
 * directory unless the hook names one, --privileged when asked), one
 * after the other; the first that fails ends the list. post_start runs
 * once the container has started and before it is reported Started;
 * pre_stop runs before the stop signal. The supervisor waits for them
 * (the loop too): a Ctrl-C or SIGTERM meanwhile ends the hook at once.
 * An attached up shows their output as docker compose does, each line
 * under the container's name and an arrow ("web-1 ->"). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sup-internal.h"

/* The service's working_dir, else the image's WorkingDir, else NULL. */
static const char *cc__workdir(const struct cc_sup_ctr *c)
{
        const char *wd = cc_node_map_str(c->svc->def, "working_dir");
        json_object *iw = NULL;
        if (!wd && c->svc->image && c->svc->image->config &&
            json_object_object_get_ex(c->svc->image->config, "WorkingDir", &iw) && json_object_get_string_len(iw) > 0)
                wd = json_object_get_string(iw);
        return wd;
}

int cc_sup_nsexec_args(const struct cc_sup_ctr *c, const char *workdir, struct cc_strv *args, char **exe)
{
        char buf[4096];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n <= 0)
                return -errno;
        buf[n] = '\0';
        *exe = cc_xstrdup(buf);
        if (!workdir)
                workdir = cc__workdir(c);
        cc_strv_push(args, "ccompose");
        cc_strv_push(args, "__nsexec");
        cc_strv_push(args, "--pid");
        _cleanup_free_ char *pid = cc_xasprintf("%d", (int) cc_container_pid(c->c));
        cc_strv_push(args, pid);
        cc_strv_push(args, "--dir"); /* its configured environment */
        cc_strv_push(args, cc_container_dir(c->c));
        cc_strv_push(args, "--workdir");
        cc_strv_push(args, workdir ? workdir : "/");
        return 0;
}

/* The arguments of one hook's __nsexec. */
static int cc__hook_args(const struct cc_sup_ctr *c, const struct cc_node *hook, struct cc_strv *args, char **exe)
{
        int r = cc_sup_nsexec_args(c, cc_node_map_str(hook, "working_dir"), args, exe);
        if (r < 0)
                return r;
        const char *user = cc_node_map_str(hook, "user");
        if (user && *user) {
                cc_strv_push(args, "--user");
                cc_strv_push(args, user);
        }
        const char *priv = cc_node_map_str(hook, "privileged");
        if (priv && strcmp(priv, "true") == 0)
                cc_strv_push(args, "--privileged");
        const struct cc_node *env = cc_node_map_get(hook, "environment");
        for (size_t i = 0; cc_node_is_map(env) && i < env->n; i++) {
                const struct cc_node *v = env->items[i];
                if (cc_node_is_null(v) || !v->str) /* a key with no value: not set */
                        continue;
                _cleanup_free_ char *kv = cc_xasprintf("%s=%s", cc_node_key(env, i), v->str);
                cc_strv_push(args, "--env");
                cc_strv_push(args, kv);
        }
        cc_strv_push(args, "--");
        const struct cc_node *cmd = cc_node_map_get(hook, "command");
        for (size_t i = 0; cc_node_is_seq(cmd) && i < cmd->n; i++)
                cc_strv_push(args, cmd->items[i]->str);
        return cc_node_is_seq(cmd) && cmd->n > 0 ? 0 : -EINVAL;
}

/* Print the whole lines of what a hook wrote (all of it at its end; a
 * line longer than 16 KiB in pieces). */
static void cc__hook_output(struct cc_sup_ctr *c, struct cc_buf *part, bool end)
{
        _cleanup_free_ char *label = cc_xasprintf("%s ->", c->label);
        char *own = c->label;
        c->label = label; /* the attached view's prefix */
        size_t off = 0;
        while (off < part->len) {
                const char *nl = memchr(part->s + off, '\n', part->len - off);
                if (!nl && !end && part->len - off < 16384)
                        break;
                size_t n = nl ? (size_t) (nl - (part->s + off)) + 1 : part->len - off;
                cc_sup_print_line(c->sup, c, part->s + off, n);
                off += n;
        }
        c->label = own;
        memmove(part->s, part->s + off, part->len - off);
        part->len -= off;
        fflush(stdout);
}

/* Run one hook and wait for it: its exit status (128+N when killed by a
 * signal), or -ETIMEDOUT / -EINTR when it was ended (timeout_ms passed, or
 * SIGINT / SIGTERM came: they stay pending for the loop), or -errno. Its
 * output goes to the attached view when up is attached, else nowhere. */
static int cc__hook_wait(struct cc_sup_ctr *c, const char *exe, struct cc_strv *args, long long timeout_ms)
{
        int out[2] = {-1, -1};
        if (c->sup->attached && pipe2(out, O_CLOEXEC) < 0)
                out[0] = out[1] = -1;
        sigset_t intr, oldmask;
        sigemptyset(&intr);
        sigaddset(&intr, SIGINT);
        sigaddset(&intr, SIGTERM);
        sigprocmask(SIG_BLOCK, &intr, &oldmask);
        int sfd = signalfd(-1, &intr, SFD_NONBLOCK | SFD_CLOEXEC);
        pid_t pid = fork();
        if (pid == 0) {
                sigprocmask(SIG_SETMASK, &oldmask, NULL);
                setsid();
                int null = open("/dev/null", O_RDWR);
                if (null >= 0) {
                        dup2(null, 0);
                        dup2(out[1] >= 0 ? out[1] : null, 1);
                        dup2(out[1] >= 0 ? out[1] : null, 2);
                }
                closefrom(3);
                execv(exe, args->v);
                _exit(127);
        }
        int rc = pid < 0 ? -errno : 0;
        if (out[1] >= 0)
                close(out[1]);
        struct cc_buf part = {0};
        int pidfd = pid > 0 ? (int) syscall(SYS_pidfd_open, pid, 0) : -1;
        uint64_t deadline = timeout_ms >= 0 ? cc_sup_now_ms() + (uint64_t) timeout_ms : 0;
        while (pid > 0 && pidfd >= 0) {
                struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN},
                                      {.fd = out[0], .events = POLLIN}};
                long long left = -1;
                if (timeout_ms >= 0) {
                        uint64_t now = cc_sup_now_ms();
                        left = now >= deadline ? 0 : (long long) (deadline - now);
                }
                int n = poll(p, 3, (int) left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n > 0 && (p[2].revents & (POLLIN | POLLHUP))) {
                        char buf[4096];
                        ssize_t got = read(out[0], buf, sizeof(buf));
                        if (got > 0) {
                                cc_buf_add(&part, buf, (size_t) got);
                                cc__hook_output(c, &part, false);
                        } else {
                                close(out[0]);
                                out[0] = -1;
                        }
                }
                if (n > 0 && (p[0].revents & POLLIN))
                        break;
                if (n > 0 && !(p[1].revents & POLLIN))
                        continue;
                /* out of time, or a signal to stop (not read: the loop takes it) */
                rc = n == 0 ? -ETIMEDOUT : -EINTR;
                kill(-pid, SIGKILL);
                break;
        }
        /* what is left in the pipe (a process the hook left may hold it) */
        while (out[0] >= 0 && poll(&(struct pollfd){.fd = out[0], .events = POLLIN}, 1, 0) > 0) {
                char buf[4096];
                ssize_t got = read(out[0], buf, sizeof(buf));
                if (got <= 0)
                        break;
                cc_buf_add(&part, buf, (size_t) got);
        }
        if (part.len > 0)
                cc__hook_output(c, &part, true);
        cc_buf_free(&part);
        if (out[0] >= 0)
                close(out[0]);
        int status = 0;
        if (pid > 0) {
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (rc == 0)
                        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (pidfd >= 0)
                close(pidfd);
        if (sfd >= 0)
                close(sfd);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        return rc;
}

/* The container's main process has exited (its exit not yet handled). */
static bool cc__gone(struct cc_sup_ctr *c)
{
        return poll(&(struct pollfd){.fd = cc_container_pidfd(c->c), .events = POLLIN}, 1, 0) > 0;
}

int cc_sup_hooks_run(struct cc_sup_ctr *c, const char *key, long long timeout_ms, char **why)
{
        const struct cc_node *hooks = cc_node_map_get(c->svc->def, key);
        uint64_t start = cc_sup_now_ms();
        *why = NULL;
        for (size_t i = 0; c->c && cc_node_is_seq(hooks) && i < hooks->n; i++) {
                struct cc_strv args = {0};
                _cleanup_free_ char *exe = NULL;
                int rc = cc__hook_args(c, hooks->items[i], &args, &exe);
                if (rc == 0) {
                        long long left = -1;
                        if (timeout_ms >= 0) {
                                uint64_t spent = cc_sup_now_ms() - start;
                                left = spent >= (uint64_t) timeout_ms ? 0 : timeout_ms - (long long) spent;
                        }
                        rc = cc__hook_wait(c, exe, &args, left);
                }
                cc_strv_free(&args);
                if (rc == 0)
                        continue;
                /* docker compose's words */
                if (cc__gone(c))
                        *why = cc_xasprintf("Error response from daemon: container %s is not running",
                                            cc_sup_ctr_state(c)->id);
                else if (rc > 0)
                        *why = cc_xasprintf("%s hook exited with status %d", c->svc->name, rc);
                else if (rc == -ETIMEDOUT)
                        *why = cc_xasprintf("%s hook did not end within %lld ms: killed", c->svc->name, timeout_ms);
                else if (rc == -EINTR)
                        *why = cc_xasprintf("%s hook ended: the supervisor was asked to stop", c->svc->name);
                else
                        *why = cc_xasprintf("%s hook could not run: %s", c->svc->name, strerror(-rc));
                return rc;
        }
        return 0;
}
