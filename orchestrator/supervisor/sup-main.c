/* Running the supervisor: attached in the CLI process or as a detached
 * daemon (`up -d`), its loop, and what happens before it starts (images
 * pulled per pull_policy, the hand-over from an earlier supervisor). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "registry.h"
#include "service-spec.h"
#include "sup-internal.h"
#include "sup-net.h" /* network */

/* ---- running ---- */

/* Print a supervisor's progress lines (from its pipe or the control
 * socket) until it says it is ready; its exit code (-ENOTSUP: it does
 * not know reexec). Closes fd. */
static int cc__read_progress(int fd)
{
        bool ready = false;
        FILE *f = fdopen(fd, "r");
        char *line = NULL;
        size_t cap = 0;
        int rc = 1;
        while (f && getline(&line, &cap, f) > 0) {
                if (line[0] == '\001') {
                        rc = atoi(line + 7);
                        ready = true;
                        break;
                }
                if (line[0] == '{' && strstr(line, "unknown request")) {
                        /* a supervisor of an older ccompose: no reexec */
                        rc = -ENOTSUP;
                        ready = true;
                        break;
                }
                fputs(line, cc_cli_status());
        }
        free(line);
        if (f)
                fclose(f);
        else
                close(fd);
        if (!ready)
                fputs("the supervisor ended before the services were started: see supervisor.log in the "
                      "project's runtime directory\n", stderr);
        return rc;
}

static void cc__wait_timeout_cb(uv_timer_t *t)
{
        struct cc_sup *s = t->data;
        if (s->ready_sent)
                return;
        cc_sup_progress(s, "timeout waiting for the services to be healthy or completed");
        s->exit_code = 1;
        s->opts.wait = false;
        cc_sup_report_ready(s);
}

/* After the loop ended (every handle closed). A container still running
 * (a handover keeps them) is left alone: only our view of it goes. */
static void cc__ctr_free(struct cc_sup_ctr *c)
{
        if (c->log)
                cc_logw_close(c->log);
        for (int k = 0; k < 2; k++)
                if (c->rfd[k] >= 0)
                        close(c->rfd[k]);
        if (c->c)
                cc_container_release(c->c);
        cc_sup_overrides_free(c->ov);
        cc_buf_free(&c->partial[0]);
        cc_buf_free(&c->partial[1]);
        cc_strv_free(&c->volumes);
        free(c->id);
        free(c->label);
        free(c);
}

static void cc__sup_free(struct cc_sup *s)
{
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct cc_sup_svc *svc = &s->svcs[i];
                for (size_t j = 0; j < svc->n_ctrs; j++)
                        cc__ctr_free(svc->ctrs[j]);
                free(svc->ctrs);
                free(svc->name);
                free(svc->failure);
                cc_image_free(svc->image);
        }
        free(s->svcs);
        cc_sup_net_free(s); /* network */
        for (size_t i = 0; i < s->n_retired; i++)
                cc__ctr_free(s->retired[i]);
        free(s->retired);
        if (s->images)
                cc_image_store_close(s->images);
        cc_state_free(s->state);
        if (s->lock_fd >= 0)
                cc_state_unlock(s->lock_fd);
}

#define CC_KEEPER_ENV "CCOMPOSE_SUPERVISOR_KEEPER"

/* The socket to the keeper (which holds tty masters: sup-output.c), set
 * by the fork in cc__up_detached or, in a re-executed image, from the
 * environment; -1 without a keeper. */
static int cc__keeper_fd = -1;

static int cc__keeper_sock(void)
{
        const char *v = getenv(CC_KEEPER_ENV);
        if (cc__keeper_fd < 0 && v) {
                int fd = atoi(v);
                struct stat st;
                if (fd >= 3 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0)
                        cc__keeper_fd = fd;
        }
        unsetenv(CC_KEEPER_ENV);
        return cc__keeper_fd;
}

/* The supervisor proper; returns the exit code. progress_fd >= 0 in the
 * daemon (lines go to the waiting CLI). */
static int cc__supervise(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o, bool attached,
                         int progress_fd, int lock_fd)
{
        struct cc_sup sup = {0}, *s = &sup;
        struct cc_error err = {0};
        uv_loop_t loop;
        int r;

        signal(SIGPIPE, SIG_IGN); /* a CLI that went away must not kill us */
        uv_loop_init(&loop);
        s->loop = &loop;
        s->cli = cli;
        s->project = p;
        s->opts = *o;
        s->attached = attached;
        s->progress_fd = progress_fd;
        s->lock_fd = lock_fd;
        s->keeper_sock = cc__keeper_sock();
        s->exit_from = o->exit_code_from;
        s->color = attached && !o->no_color && cc_cli_color(cli, STDOUT_FILENO);

        if ((r = cc_state_load(cli->runtime_dir, p->name, &s->state, &err)) < 0 ||
            (r = cc_image_store_open(cli->root, &s->images, &err)) < 0)
                goto fail;
        free(s->state->workdir);
        s->state->workdir = cc_xstrdup(p->workdir);
        free(s->state->config_files);
        struct cc_buf files = {0};
        for (size_t i = 0; i < p->files.n; i++)
                cc_buf_printf(&files, "%s%s", i ? "," : "", p->files.v[i]);
        s->state->config_files = cc_buf_steal(&files);
        s->state->supervisor_pid = getpid();
        s->state->supervisor_start = cc_proc_start_time(getpid());

        uv_signal_init(s->loop, &s->sigint);
        s->sigint.data = s;
        uv_signal_start(&s->sigint, cc_sup_signal_cb, SIGINT);
        uv_signal_init(s->loop, &s->sigterm);
        s->sigterm.data = s;
        uv_signal_start(&s->sigterm, cc_sup_signal_cb, SIGTERM);
        uv_signal_init(s->loop, &s->sighup);
        s->sighup.data = s;
        uv_signal_start(&s->sighup, cc_sup_signal_cb, SIGHUP);

        /* A start request usually follows within milliseconds (up, the
         * API's create then start): the grace period the first move into
         * a v1 cgroup waits for starts now, so that the container's move
         * finds it over or nearly (the start primes it again, for later
         * starts). */
        cc_cgroup_prime_move();
        if ((r = cc_sup_control_listen(s, &err)) < 0)
                goto fail;
        s->reconciling = true;
        r = cc_sup_reconcile(s, &err);
        cc_sup_output_close_unclaimed(); /* terminals a re-exec kept for containers gone since */
        if (r >= 0)
                r = cc_sup_net_setup(s, &err); /* network: the project's bridges */
        s->reconciling = false;
        if (r < 0)
                goto fail;
        if (attached) {
                struct cc_buf names = {0};
                for (size_t i = 0; i < s->n_svcs; i++)
                        for (size_t j = 0; j < s->svcs[i].n_ctrs; j++)
                                if (s->svcs[i].phase != CC_SVC_IDLE &&
                                    !cc_strv_contains(&o->no_attach, s->svcs[i].name))
                                        cc_buf_printf(&names, "%s%s", names.len ? ", " : "", s->svcs[i].ctrs[j]->label);
                if (names.len)
                        printf("Attaching to %s\n", names.s);
                fflush(stdout);
                cc_buf_free(&names);
        }
        if (o->wait && o->wait_timeout_ms > 0) {
                uv_timer_init(s->loop, &s->wait_timer);
                s->wait_timer.data = s;
                uv_timer_start(&s->wait_timer, cc__wait_timeout_cb, (uint64_t) o->wait_timeout_ms, 0);
        }
        cc_sup_kick(s);
        uv_run(s->loop, UV_RUN_DEFAULT);

        /* the loop ended: down, Ctrl-C or the daemon's SIGTERM */
        if (s->exit_from)
                for (size_t i = 0; i < s->state->n_ctrs; i++)
                        if (!s->state->ctrs[i].one_off && strcmp(s->state->ctrs[i].service, s->exit_from) == 0 &&
                            s->state->ctrs[i].status == CC_CTR_EXITED)
                                s->exit_code = s->state->ctrs[i].exit_code;
        s->state->supervisor_pid = 0;
        s->state->supervisor_start = 0;
        cc_sup_save(s);
        r = s->exit_code;
        uv_loop_close(s->loop);
        cc__sup_free(s);
        return r;

fail:
        cc_sup_progress(s, "%s", cc_error_msg(&err));
        cc_error_clear(&err);
        if (s->n_svcs)
                cc_sup_stop_all(s, false);
        cc_sup_close_all(s);
        uv_run(s->loop, UV_RUN_DEFAULT);
        if (s->state) {
                s->state->supervisor_pid = 0;
                cc_sup_save(s);
        }
        if (s->progress_fd >= 0) {
                if (write(s->progress_fd, "\001READY 1\n", 9) < 0) {
                        /* the CLI is gone */
                }
                close(s->progress_fd);
        }
        uv_loop_close(s->loop);
        cc__sup_free(s);
        return 1;
}

/* The daemon's parent: the project's keeper, which outlives a supervisor
 * that is killed and records how its containers exit (state.h, exits).
 * Called in the process that forked the supervisor: becomes `ccompose-init
 * --reap FD`, holding a shared lock on the exits file while it lives. */
static void cc__become_keeper(struct cc_cli *cli, struct cc_project *p, int sock)
{
        struct cc_error err = {0};
        _cleanup_free_ char *init = cc_container_init_path();
        int fd = cc_state_open(cli->runtime_dir, p->name, CC_STATE_EXITS_FILE, O_WRONLY | O_CREAT | O_APPEND, &err);
        cc_error_clear(&err);
        if (fd >= 0 && (flock(fd, LOCK_SH) < 0 || fcntl(fd, F_SETFD, 0) < 0)) {
                close(fd);
                fd = -1;
        }
        if (sock >= 0 && fcntl(sock, F_SETFD, 0) < 0)
                sock = -1;
        if (init) {
                char fdtext[16], socktext[16];
                snprintf(fdtext, sizeof(fdtext), "%d", fd);
                snprintf(socktext, sizeof(socktext), "%d", sock);
                if (sock >= 0)
                        execl(init, init, "--reap", fdtext, socktext, (char *) NULL);
                else
                        execl(init, init, "--reap", fdtext, (char *) NULL);
        }
        /* without ccompose-init the supervisor's containers go to the
         * host's init when it dies: their exit codes are then unknown */
        fprintf(stderr, "keeper: %s: %s\n", init ? init : "ccompose-init", init ? strerror(errno) : "not found");
        _exit(0);
}

/* up -d: the daemon is the child of its keeper, which is our child, in a
 * session of its own; the CLI prints its progress lines until it says it
 * is ready, and exits (the keeper then goes to the host's init, or the
 * nearest subreaper). No intermediate process: the keeper is not a
 * process group leader, so setsid works in it, and it never opens a
 * terminal (the supervisor sends it the tty masters it holds). */
static int cc__up_detached(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o, int lock_fd)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0) {
                fprintf(stderr, "pipe: %s\n", strerror(errno));
                return 1;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                fprintf(stderr, "fork: %s\n", strerror(errno));
                return 1;
        }
        if (pid == 0) {
                close(pfd[0]);
                setsid();
                struct cc_error err = {0};
                int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
                int lg = cc_state_open(cli->runtime_dir, p->name, "supervisor.log", O_WRONLY | O_CREAT | O_APPEND, &err);
                cc_error_clear(&err);
                if (nul >= 0) {
                        dup2(nul, STDIN_FILENO);
                        dup2(nul, STDOUT_FILENO);
                }
                if (lg >= 0 || nul >= 0) /* never the CLI's stderr: it would wait for us */
                        dup2(lg >= 0 ? lg : nul, STDERR_FILENO);
                if (chdir("/") < 0) {
                        /* stays where it is */
                }
                /* the keeper is the subreaper of everything the supervisor starts */
                prctl(PR_SET_CHILD_SUBREAPER, 1);
                int ks[2] = {-1, -1}; /* the keeper holds the tty masters (sup-output.c) */
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ks) < 0)
                        ks[0] = ks[1] = -1;
                pid_t g = fork();
                if (g == 0) {
                        if (ks[0] >= 0)
                                close(ks[0]);
                        cc__keeper_fd = ks[1];
                        struct timeval tv = {.tv_sec = 2};
                        if (ks[1] >= 0)
                                setsockopt(ks[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                        _exit(cc__supervise(cli, p, o, false, pfd[1], lock_fd));
                }
                if (g < 0)
                        _exit(1);
                /* the project's lock is the supervisor's until it is up:
                 * the keeper's copy goes now, not at its exec, which may
                 * wait (cc__become_keeper locks the exits file) */
                cc_state_unlock(lock_fd);
                if (ks[1] >= 0)
                        close(ks[1]);
                cc__become_keeper(cli, p, ks[0]);
        }
        close(pfd[1]);
        cc_state_unlock(lock_fd);
        return cc__read_progress(pfd[0]);
}

/* Build and pull what is missing (per --build, --no-build and
 * pull_policy) here in the CLI, before any supervisor starts, so that
 * progress shows on the user's terminal; and check that every secret and
 * config can be read. */
static int cc__ensure_images(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o)
{
        struct cc_graph *g = &p->graph;
        bool *sel = cc_xcalloc(g->n + 1, sizeof(bool));
        if (o->services.n > 0 || o->only_services)
                cc_graph_select(g, &o->services, o->no_deps, sel);
        else
                for (size_t i = 0; i < g->n; i++)
                        sel[i] = true;
        int rc = 0;
        /* a missing secret or config stops up before anything is built or starts */
        for (size_t i = 0; i < g->n && rc == 0; i++) {
                struct cc_error err = {0};
                if (sel[i] && cc_service_files_check(p, g->names[i], &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                }
        }
        /* images of a build: section: built when missing, with pull_policy
         * build or up --build; never pulled */
        struct cc_strv built = {0};
        struct cc_build_flags bf = {0};
        cc_cli_build_flags(cli, &bf);
        if (rc == 0 && !o->no_build)
                rc = cc_project_build(cli, p, sel, !o->build, &bf, &built);
        for (size_t i = 0; i < g->n && rc == 0; i++) {
                if (!sel[i])
                        continue;
                struct cc_node *svc = cc_node_map_get(cc_project_services(p), g->names[i]);
                struct cc_error err = {0};
                const char *image = cc_node_map_str(svc, "image");
                _cleanup_free_ char *norm = image ? cc_image_ref_normalize(image) : NULL;
                if (!image || cc_node_map_get(svc, "build") || cc_strv_contains(&built, norm ? norm : image))
                        continue;
                if (cc_image_ensure(cli->root, image, cc_node_map_str(svc, "pull_policy"),
                                    cc_node_map_str(svc, "platform"), false, &err) < 0) {
                        fprintf(stderr, "service %s: %s\n", g->names[i], cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                }
        }
        cc_strv_free(&built);
        free(sel);
        return rc;
}

/* ---- a later up: re-execute in place ---- */

#define CC_REEXEC_ENV "CCOMPOSE_SUPERVISOR_FD"

int cc_sup_reexec(struct cc_sup *s, int conn, const struct cc_strv *argv, const struct cc_strv *env, const char *dir,
                  struct cc_error *err)
{
        int fd = fcntl(conn, F_DUPFD, 3); /* not close-on-exec: the new image's progress channel */
        if (fd < 0)
                return cc_error_setsys(err, -errno, "re-executing the supervisor: dup");
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 || chdir(dir) < 0) {
                int e = -errno;
                close(fd);
                return cc_error_setsys(err, e, "re-executing the supervisor in %s", dir);
        }
        /* healthchecks running now would be children nobody reaps */
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        if (c->hc_running && kill(-c->hc_proc.pid, SIGKILL) == 0)
                                waitpid(c->hc_proc.pid, NULL, 0);
                }
        cc_sup_save(s);
        struct cc_strv envp = {0};
        for (size_t i = 0; i < env->n; i++)
                if (!cc_startswith(env->v[i], CC_REEXEC_ENV "=") && !cc_startswith(env->v[i], CC_SUP_PTYS_ENV "=") &&
                    !cc_startswith(env->v[i], CC_KEEPER_ENV "="))
                        cc_strv_push(&envp, env->v[i]);
        cc_strv_push_owned(&envp, cc_xasprintf("%s=%d%s", CC_REEXEC_ENV, fd, s->attached ? ",attached" : ""));
        if (s->keeper_sock >= 0 && fcntl(s->keeper_sock, F_SETFD, 0) == 0)
                cc_strv_push_owned(&envp, cc_xasprintf("%s=%d", CC_KEEPER_ENV, s->keeper_sock));
        /* the terminals of tty: true containers stay theirs (sup-output.c) */
        struct cc_buf ptys = {0};
        cc_sup_output_keep_ptys(s, &ptys);
        if (ptys.len)
                cc_strv_push_owned(&envp, cc_xasprintf("%s=%s", CC_SUP_PTYS_ENV, ptys.s));
        cc_buf_free(&ptys);
        fflush(NULL);
        execve("/proc/self/exe", argv->v, envp.v);
        int e = -errno;
        cc_sup_output_keep_ptys(s, NULL);
        if (s->keeper_sock >= 0)
                (void) fcntl(s->keeper_sock, F_SETFD, FD_CLOEXEC);
        cc_strv_free(&envp);
        close(fd);
        if (chdir("/") < 0) {
                /* stays where it is */
        }
        return cc_error_setsys(err, e, "re-executing the supervisor");
}

/* A re-executed supervisor starts with every page of its libraries that
 * the dynamic loader and the command line touched mapped in its page
 * tables (a forked daemon inherits none of its parent's): some 6 MB of
 * clean, shared page cache counted in its RSS. Unmap those of the mappings
 * no one can write to and that hold no private copy; a page used again
 * comes back from the page cache. */
static void cc__drop_loader_pages(void)
{
        FILE *f = fopen("/proc/self/smaps", "re");
        if (!f)
                return;
        struct { unsigned long lo, hi; } *r = NULL;
        size_t n = 0, cap = 0;
        unsigned long lo = 0, hi = 0, kb = 0;
        char line[512];
        bool cand = false;
        while (fgets(line, sizeof(line), f)) {
                unsigned long a, b, inode;
                char perms[8];
                /* a mapping's first line (the others start with a name) */
                if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &a, &b, perms, &inode) == 4) {
                        lo = a;
                        hi = b;
                        cand = inode != 0 && perms[1] == '-' && perms[3] == 'p'; /* private, read-only, of a file */
                } else if (cand && sscanf(line, "Anonymous: %lu", &kb) == 1) {
                        cand = false;
                        if (kb != 0) /* relocated (RELRO): its copies are ours */
                                continue;
                        if (n == cap)
                                r = cc_xrealloc(r, (cap = cap ? cap * 2 : 64) * sizeof(*r));
                        r[n].lo = lo;
                        r[n++].hi = hi;
                }
        }
        fclose(f);
        for (size_t i = 0; i < n; i++)
                (void) madvise((void *) r[i].lo, r[i].hi - r[i].lo, MADV_DONTNEED);
        free(r);
}

/* In the image a supervisor re-executed (cc_sup_reexec): the progress
 * channel, else -1; *attached when it was an attached up. */
static int cc__reexec_fd(bool *attached)
{
        const char *v = getenv(CC_REEXEC_ENV);
        if (!v)
                return -1;
        int fd = atoi(v);
        *attached = strstr(v, ",attached") != NULL;
        unsetenv(CC_REEXEC_ENV);
        if (fd < 3 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) /* never into a container */
                return -1;
        return fd;
}

/* up -d with a supervisor running: it re-executes itself with this
 * command line and reconciles, keeping its containers as its children;
 * its progress comes here. -EAGAIN when its socket is gone (it is dying
 * or hung: its containers are adopted), -ENOTSUP when it cannot
 * re-execute (an older ccompose: it hands the project over). */
static int cc__up_reexec(struct cc_cli *cli, struct cc_project *p)
{
        struct cc_error err = {0};
        int fd = cc_sup_request_reexec(cli, p->name, &err);
        if (fd == -ENOENT) {
                /* its socket is gone: it is dying or hung; adopt its containers */
                cc_error_clear(&err);
                return -EAGAIN;
        }
        if (fd < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return cc__read_progress(fd);
}

/* Is a compose file standard input? A re-executed supervisor could not read it again. */
static bool cc__reads_stdin(const struct cc_project *p)
{
        for (size_t i = 0; i < p->files.n; i++)
                if (strcmp(p->files.v[i], "-") == 0)
                        return true;
        return false;
}

int cc_up(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o)
{
        struct cc_error err = {0};
        bool attached = false;
        int reexec_fd = o->reexec && o->detach ? cc__reexec_fd(&attached) : -1;
        for (size_t i = 0; i < o->services.n; i++)
                if (!cc_node_map_get(cc_project_services(p), o->services.v[i])) {
                        fprintf(stderr, "no such service: %s\n", o->services.v[i]);
                        return 1;
                }
        if (o->exit_code_from && !cc_node_map_get(cc_project_services(p), o->exit_code_from)) {
                fprintf(stderr, "no such service: %s\n", o->exit_code_from);
                return 1;
        }
        if (reexec_fd >= 0) {
                /* the supervisor, re-executed: the CLI that asked holds the
                 * lock, checked the images and waits for our progress */
                if (chdir("/") < 0) {
                        /* stays where it is */
                }
                cc__drop_loader_pages();
                if (attached) {
                        /* an attached up stays one: its terminal shows the
                         * containers' output and its Ctrl-C stops them */
                        struct cc_up_opts ao = *o;
                        ao.detach = ao.wait = false;
                        return cc__supervise(cli, p, &ao, true, reexec_fd, -1);
                }
                return cc__supervise(cli, p, o, false, reexec_fd, -1);
        }
        if (cc__ensure_images(cli, p, o) != 0)
                return 1;
        _cleanup_state_ struct cc_state *st = NULL;
        int lock = cc_cli_lock_state(cli, p->name, &st);
        if (lock < 0)
                return 1;
        int rc = -ENOTSUP;
        if (cc_sup_alive(st) && o->reexec && o->detach && !cc__reads_stdin(p)) {
                rc = cc__up_reexec(cli, p);
                if (rc != -EAGAIN && rc != -ENOTSUP) {
                        cc_state_unlock(lock);
                        return rc;
                }
        }
        if (rc == -ENOTSUP && cc_sup_alive(st)) {
                /* hand the project over: the running supervisor leaves its
                 * containers running and exits; this one adopts them */
                int code = 0;
                int hr = cc_sup_request(cli, p->name, "{\"op\":\"handover\"}", &code, &err);
                if (hr == -ENOENT) {
                        /* its socket is gone: it is dying or hung; adopt its containers */
                        cc_error_clear(&err);
                } else if (hr < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        cc_state_unlock(lock);
                        return 1;
                }
        }
        for (int i = 0; i < 500 && cc_sup_alive(st); i++)
                usleep(10000);
        if (o->detach)
                return cc__up_detached(cli, p, o, lock);
        return cc__supervise(cli, p, o, true, -1, lock);
}
