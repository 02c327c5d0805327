/* ccompose up / down and the lifecycle commands that act on a running
 * project: stop, start, restart, kill, pause, unpause. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "dry-run.h"
#include "image-cmd.h"
#include "container.h"
#include "normalize.h"
#include "sup-net.h" /* network */
#include "sup-internal.h"

static void cc__up_help(void)
{
        puts("Usage:  ccompose up [OPTIONS] [SERVICE...]\n\n"
             "Create and start containers\n\n"
             "Options:\n"
             "      --abort-on-container-exit      Stops all containers if any container was stopped\n"
             "      --abort-on-container-failure   Stops all containers if any container exited with failure\n"
             "      --build                        Build images before starting containers\n"
             "  -d, --detach                       Detached mode: Run containers in the background\n"
             "      --exit-code-from string        Return the exit code of the selected service container\n"
             "      --force-recreate               Recreate containers even if their configuration hasn't changed\n"
             "      --menu                         Enable interactive shortcuts when running attached (accepted; ccompose has none)\n"
             "      --no-build                     Don't build an image, even if it's policy\n"
             "      --no-attach stringArray        Do not attach (stream logs) to the specified services\n"
             "      --no-color                     Produce monochrome output\n"
             "      --no-deps                      Don't start linked services\n"
             "      --no-log-prefix                Don't print prefix in logs\n"
             "      --no-recreate                  If containers already exist, don't recreate them\n"
             "      --no-start                     Don't start the services after creating them\n"
             "      --remove-orphans               Remove containers for services not defined in the Compose file\n"
             "      --scale scale                  Scale SERVICE to NUM instances (SERVICE=NUM)\n"
             "  -t, --timeout int                  Use this timeout in seconds for container shutdown\n"
             "      --wait                         Wait for services to be running|healthy. Implies detached mode.\n"
             "      --wait-timeout int             Maximum duration in seconds to wait for the project to be running|healthy\n"
             "  -w, --watch                        Watch source code and rebuild/refresh containers when files are updated.");
}

static int cc__seconds(const char *s, long long *ms)
{
        char *end;
        long long v = strtoll(s, &end, 10);
        if (*end || v < 0)
                return -EINVAL;
        *ms = v * 1000;
        return 0;
}

int cc_cmd_up(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_ABORT = 1000, O_ABORT_FAIL, O_EXITFROM, O_FORCE, O_NOATTACH, O_NOCOLOR, O_NODEPS, O_NOPREFIX,
               O_NORECREATE, O_NOSTART, O_ORPHANS, O_SCALE, O_WAIT, O_WAITTO, O_BUILD, O_PULL, O_QUIETPULL,
               O_ATTACH, O_TS, O_YES, O_NOBUILD, O_ALWAYSRECREATE, O_WATCH, O_MENU };
        static const struct option longopts[] = {
                {"detach", no_argument, NULL, 'd'},
                {"abort-on-container-exit", no_argument, NULL, O_ABORT},
                {"abort-on-container-failure", no_argument, NULL, O_ABORT_FAIL},
                {"exit-code-from", required_argument, NULL, O_EXITFROM},
                {"force-recreate", no_argument, NULL, O_FORCE},
                {"no-attach", required_argument, NULL, O_NOATTACH},
                {"attach", required_argument, NULL, O_ATTACH},
                {"no-color", no_argument, NULL, O_NOCOLOR},
                {"no-deps", no_argument, NULL, O_NODEPS},
                {"no-log-prefix", no_argument, NULL, O_NOPREFIX},
                {"no-recreate", no_argument, NULL, O_NORECREATE},
                {"no-start", no_argument, NULL, O_NOSTART},
                {"remove-orphans", no_argument, NULL, O_ORPHANS},
                {"scale", required_argument, NULL, O_SCALE},
                {"timeout", required_argument, NULL, 't'},
                {"wait", no_argument, NULL, O_WAIT},
                {"wait-timeout", required_argument, NULL, O_WAITTO},
                {"build", no_argument, NULL, O_BUILD},
                {"no-build", no_argument, NULL, O_NOBUILD},
                {"pull", required_argument, NULL, O_PULL},
                {"quiet-pull", no_argument, NULL, O_QUIETPULL},
                {"timestamps", no_argument, NULL, O_TS},
                {"always-recreate-deps", no_argument, NULL, O_ALWAYSRECREATE},
                {"yes", no_argument, NULL, O_YES},
                {"watch", no_argument, NULL, O_WATCH},
                {"menu", optional_argument, NULL, O_MENU},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct cc_up_opts o = {.stop_timeout_ms = -1,
                               .remove_orphans = cc_cli_env_bool("COMPOSE_REMOVE_ORPHANS"),
                               .ignore_orphans = cc_cli_env_bool("COMPOSE_IGNORE_ORPHANS")};
        struct cc_strv attach = {0};
        bool watch = false;
        int c, rc = 1;
        optind = 0;
        while ((c = getopt_long(argc, argv, "dt:ywh", longopts, NULL)) != -1) {
                switch (c) {
                case 'd': o.detach = true; break;
                case O_ABORT: o.abort_on_exit = true; break;
                case O_ABORT_FAIL: o.abort_on_failure = true; break;
                case O_EXITFROM: o.exit_code_from = optarg; o.abort_on_exit = true; break;
                case O_FORCE: o.force_recreate = true; break;
                case O_NOATTACH: cc_strv_push(&o.no_attach, optarg); break;
                case O_ATTACH: cc_strv_push(&attach, optarg); break;
                case O_NOCOLOR: o.no_color = true; break;
                case O_NODEPS: o.no_deps = true; break;
                case O_NOPREFIX: o.no_log_prefix = true; break;
                case O_NORECREATE: o.no_recreate = true; break;
                case O_NOSTART: o.no_start = true; break;
                case O_ORPHANS: o.remove_orphans = true; break;
                case O_SCALE:
                        if (!strchr(optarg, '=') || atoi(strchr(optarg, '=') + 1) < 0) {
                                fprintf(stderr, "invalid --scale value \"%s\": use SERVICE=NUM\n", optarg);
                                goto out;
                        }
                        cc_strv_push(&o.scale, optarg);
                        break;
                case 't':
                        if (cc__seconds(optarg, &o.stop_timeout_ms) < 0) {
                                fprintf(stderr, "invalid --timeout value \"%s\": a number of seconds\n", optarg);
                                goto out;
                        }
                        break;
                case O_WAIT: o.wait = true; o.detach = true; break;
                case O_WAITTO:
                        if (cc__seconds(optarg, &o.wait_timeout_ms) < 0) {
                                fprintf(stderr, "invalid --wait-timeout value \"%s\": a number of seconds\n", optarg);
                                goto out;
                        }
                        break;
                case O_BUILD: o.build = true; break;
                case O_NOBUILD: o.no_build = true; break;
                case O_PULL: case O_QUIETPULL: case O_TS: case O_YES: case O_ALWAYSRECREATE:
                case O_MENU: /* and COMPOSE_MENU: ccompose has no navigation menu */
                        o.timestamps = c == O_TS ? true : o.timestamps;
                        break;
                case 'w': case O_WATCH: watch = true; break;
                case 'h': cc__up_help(); rc = 0; goto out;
                default: goto out;
                }
        }
        if (o.detach && (o.abort_on_exit || o.abort_on_failure)) {
                fprintf(stderr, "--abort-on-container-exit%s and --detach are incompatible\n",
                        o.exit_code_from ? " (implied by --exit-code-from)" : "");
                goto out;
        }
        if (watch && o.detach) {
                fputs("--watch and --detach are incompatible\n", stderr);
                goto out;
        }
        if (o.build && o.no_build) {
                fputs("--build and --no-build are incompatible\n", stderr);
                goto out;
        }
        if (o.force_recreate && o.no_recreate) {
                fputs("--force-recreate and --no-recreate are incompatible\n", stderr);
                goto out;
        }
        for (int i = optind; i < argc; i++)
                cc_strv_push(&o.services, argv[i]);
        {
                _cleanup_project_ struct cc_project *p = NULL;
                if (cc_cli_load_project(cli, &p) != 0)
                        goto out;
                cc_cli_print_support_warnings(p, &o.services, o.no_deps);
                /* attach: false leaves a service out of the attached view,
                 * unless --attach names it */
                const struct cc_node *svcs = cc_project_services(p);
                for (size_t i = 0; i < svcs->n; i++) {
                        const struct cc_node *a = cc_node_map_get(svcs->items[i], "attach");
                        const char *name = cc_node_key(svcs, i);
                        if (cc_node_is_scalar(a) && cc_streq(a->str, "false") && !cc_strv_contains(&attach, name))
                                cc_strv_push(&o.no_attach, name);
                }
                if (cli->dry_run) {
                        rc = cc_dry_up(cli, p, &o);
                        goto out;
                }
                o.reexec = true;
                /* up --watch: the watcher beside the attached view, ended with it */
                pid_t watcher = watch ? cc_watch_spawn(cli, p, &o.services) : 0;
                if (watcher < 0)
                        goto out;
                rc = cc_up(cli, p, &o);
                if (watcher > 0) {
                        kill(watcher, SIGTERM);
                        waitpid(watcher, NULL, 0);
                }
        }
out:
        cc_strv_free(&o.services);
        cc_strv_free(&o.scale);
        cc_strv_free(&o.no_attach);
        cc_strv_free(&attach);
        return rc;
}

/* ---- stopping without a supervisor ---- */

/* A live container of the state, stopped from the CLI. */
struct cc__off_ctr {
        size_t idx; /* in the state's containers */
        struct cc_container *c;
        int signo;
        long long deadline; /* ms, cc_sup_now_ms() clock */
        size_t wave;
        bool killed;        /* we sent SIGKILL to its cgroup */
};

/* Take over the live containers of st that want selects (all when NULL),
 * with their stop signal, grace period and start wave (p may be NULL: the
 * compose file is gone; then SIGTERM, 10 s and one level). */
static size_t cc__off_collect(struct cc_cli *cli, const char *project, const struct cc_project *p,
                              struct cc_state *st, const bool *want, long long timeout_ms, struct cc__off_ctr *out)
{
        size_t n = 0;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                struct cc_ctr_state *ct = &st->ctrs[i];
                if ((want && !want[i]) || !ct->pid || !cc_proc_alive(ct->pid, ct->pid_start))
                        continue;
                struct cc_node *svc = p ? cc_node_map_get(cc_project_services(p), ct->service) : NULL;
                const char *ss = cc_node_map_str(svc, "stop_signal");
                const char *g = cc_node_map_str(svc, "stop_grace_period");
                int signo = ss ? cc_signal_from_name(ss) : SIGTERM;
                long long ns, grace = 10000;
                if (timeout_ms >= 0)
                        grace = timeout_ms;
                else if (g && cc_parse_duration(g, &ns) == 0)
                        grace = ns / 1000000;
                struct cc_error err = {0};
                struct cc__off_ctr *o = &out[n];
                *o = (struct cc__off_ctr){.idx = i, .signo = signo > 0 ? signo : SIGTERM, .deadline = grace};
                if (cc_container_adopt(cli->root, project, ct->id, ct->pid, o->signo, grace, &o->c, &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        continue;
                }
                ssize_t k = p ? cc_graph_index(&p->graph, ct->service) : -1;
                o->wave = k >= 0 ? p->graph.wave[k] : (p ? p->graph.n_waves : 0);
                n++;
        }
        return n;
}

/* Signal every container of one level, then wait on their pidfds together;
 * whoever outlives its grace period gets its cgroup killed. */
static void cc__off_stop_level(struct cc_state *st, struct cc__off_ctr **lv, size_t n)
{
        struct cc_error err = {0};
        uint64_t start = cc_sup_now_ms();
        for (size_t i = 0; i < n; i++) {
                fprintf(cc_cli_status(), " Container %s  Stopping\n", st->ctrs[lv[i]->idx].name);
                if (cc_container_kill(lv[i]->c, lv[i]->signo, &err) < 0)
                        cc_error_clear(&err);
                lv[i]->deadline += (long long) start;
        }
        struct pollfd *pfds = cc_xcalloc(n + 1, sizeof(*pfds));
        for (;;) {
                size_t m = 0;
                long long now = (long long) cc_sup_now_ms(), next = -1;
                for (size_t i = 0; i < n; i++) {
                        int fd = cc_container_pidfd(lv[i]->c);
                        if (poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 0) > 0)
                                continue;
                        if (now >= lv[i]->deadline) {
                                lv[i]->killed = true;
                                if (cc_container_kill_all(lv[i]->c, &err) < 0)
                                        cc_error_clear(&err);
                                continue;
                        }
                        pfds[m++] = (struct pollfd){.fd = fd, .events = POLLIN};
                        if (next < 0 || lv[i]->deadline - now < next)
                                next = lv[i]->deadline - now;
                }
                if (m == 0 || (poll(pfds, m, (int) next) < 0 && errno != EINTR))
                        break;
        }
        free(pfds);
}

/* Record a stopped container. Its wait status went to the project's
 * keeper (it is not our child), which records it; without a record, what
 * is known is an OOM kill or our SIGKILL, 137; otherwise 255, unknown. */
static void cc__off_stopped(const struct cc_cli *cli, struct cc_state *st, struct cc__off_ctr *o)
{
        struct cc_error err = {0};
        struct cc_ctr_state *ct = &st->ctrs[o->idx];
        int code = 255;
        if (cc_container_reap(o->c, &code, &err) < 0)
                cc_error_clear(&err);
        if (code == 255 && !cc_state_exit_code(cli->runtime_dir, st->project, ct->pid, ct->pid_start, &code) &&
            o->killed)
                code = 128 + SIGKILL;
        ct->status = CC_CTR_EXITED;
        ct->exit_code = code;
        ct->finished_at = (long long) time(NULL);
        ct->exits++;
        ct->pid = 0;
        ct->pid_start = 0;
        ct->stopped_by_user = true;
        fprintf(cc_cli_status(), " Container %s  Stopped\n", ct->name);
        cc_container_release(o->c);
        o->c = NULL;
}

/* Stop the live containers want selects as docker compose does: level by
 * level, dependents first, each level at once (stop signal, grace period,
 * then SIGKILL of the whole cgroup). */
static void cc__stop_offline(struct cc_cli *cli, const char *project, const struct cc_project *p,
                             struct cc_state *st, const bool *want, long long timeout_ms)
{
        struct cc__off_ctr *all = cc_xcalloc(st->n_ctrs + 1, sizeof(*all));
        struct cc__off_ctr **lv = cc_xcalloc(st->n_ctrs + 1, sizeof(*lv));
        size_t n = cc__off_collect(cli, project, p, st, want, timeout_ms, all);
        size_t top = p ? p->graph.n_waves : 0;
        for (size_t w = top + 1; w-- > 0;) {
                size_t m = 0;
                for (size_t i = 0; i < n; i++)
                        if (all[i].wave == w)
                                lv[m++] = &all[i];
                if (m == 0)
                        continue;
                cc__off_stop_level(st, lv, m);
                for (size_t i = 0; i < m; i++)
                        cc__off_stopped(cli, st, lv[i]);
        }
        free(lv);
        free(all);
}

/* ---- down ---- */

/* Remove container i of the state (no supervisor runs): its directory,
 * mounts and cgroup, then its entry. -1 (said on stderr) when it stays. */
static int cc__remove_offline(struct cc_cli *cli, const char *project, struct cc_state *st, size_t i)
{
        struct cc_error err = {0};
        struct cc_ctr_state *ct = &st->ctrs[i];
        fprintf(cc_cli_status(), " Container %s  Removing\n", ct->name);
        if (cc_container_cleanup(cli->root, project, ct->id, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return -1;
        }
        fprintf(cc_cli_status(), " Container %s  Removed\n", ct->name);
        cc_state_remove(st, i);
        return 0;
}

/* Remove what a project left, from its state alone (no supervisor runs):
 * live containers are stopped first, as with one; the state is saved as
 * each container goes, so that it never lists one that is gone. */
static int cc__down_offline(struct cc_cli *cli, const char *project, const struct cc_project *p,
                            struct cc_state *st, long long timeout_ms)
{
        struct cc_error err = {0};
        int rc = 0;
        cc__stop_offline(cli, project, p, st, NULL, timeout_ms);
        for (size_t i = 0; i < st->n_ctrs;) {
                if (cc__remove_offline(cli, project, st, i) < 0) {
                        rc = 1;
                        i++;
                        continue;
                }
                /* a failed save is said, not a failure: the saved state
                 * only serves a down cut short, a down that ends removes
                 * the state directory whole, and a full runtime dir must
                 * not keep down from removing the containers */
                if (cc_state_save(cli->runtime_dir, st, &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                }
        }
        return rc;
}

static void cc__down_help(void)
{
        puts("Usage:  ccompose down [OPTIONS] [SERVICES]\n\n"
             "Stop and remove containers, networks\n\n"
             "Options:\n"
             "      --remove-orphans    Remove containers for services not defined in the Compose file\n"
             "      --rmi string        Remove images used by services. \"local\" remove only images that don't have "
             "a custom tag (\"local\"|\"all\")\n"
             "  -t, --timeout int       Specify a shutdown timeout in seconds\n"
             "  -v, --volumes           Remove named volumes declared in the \"volumes\" section of the Compose file "
             "and anonymous volumes attached to containers");
}

/* down --rmi local|all: the images of the project's services (local:
 * only those built under <project>-<service>, without an image: of their
 * own), each once, removed when no container uses them any more. */
static int cc__down_images(struct cc_cli *cli, const struct cc_project *p, const char *rmi)
{
        const struct cc_node *svcs = p ? cc_project_services(p) : NULL;
        struct cc_strv done = {0};
        struct cc_error err = {0};
        int rc = 0;
        for (size_t i = 0; svcs && i < svcs->n; i++) {
                const char *service = cc_node_key(svcs, i);
                _cleanup_free_ char *image = cc_project_service_image(p, service);
                if (!image || (cc_streq(rmi, "local") && cc_node_map_str(svcs->items[i], "image")) ||
                    cc_strv_contains(&done, image))
                        continue;
                cc_strv_push(&done, image);
                _cleanup_free_ char *id = cc_service_image_id(cli, p, service);
                if (!id)
                        continue;
                if (cli->dry_run) {
                        cc_cli_dry(" Image %s  Removing", image);
                        cc_cli_dry(" Image %s  Removed", image);
                        continue;
                }
                fprintf(cc_cli_status(), " Image %s  Removing\n", image);
                if (cc_image_remove_unused(cli, image, &err) < 0) {
                        fprintf(stderr, "removing image %s: %s\n", image, cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                        continue;
                }
                fprintf(cc_cli_status(), " Image %s  Removed\n", image);
        }
        cc_strv_free(&done);
        return rc;
}

/* Wait up to timeout_ms for the process pid (started at start) to end:
 * on its pidfd (at once when it does), else looking every 10 ms. */
static void cc__wait_gone(pid_t pid, unsigned long long start, int timeout_ms)
{
        _cleanup_close_ int fd = pid > 0 ? pidfd_open(pid, 0) : -1;
        if (fd >= 0 && cc_proc_alive(pid, start)) { /* opened before the check: not a reused pid */
                struct pollfd p = {.fd = fd, .events = POLLIN};
                while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR) {
                        /* again (the full time: a bound, not a deadline) */
                }
                return;
        }
        for (int i = 0; fd < 0 && i < timeout_ms / 10 && cc_proc_alive(pid, start); i++)
                usleep(10000);
}

/* down's volumes (-v: the project's named ones, the anonymous ones of
 * the containers ids) and, when all went well, its word that the project's
 * containers and volumes are gone (CC_STATE_REMOVED_FILE: an API client's
 * wait for the removal ends), unless what came before failed (!well).
 * Returns 0 or 1. */
static int cc__down_volumes_said(struct cc_cli *cli, const char *name, const struct cc_project *p, bool volumes,
                                 struct cc_strv *ids, bool well)
{
        struct cc_error err = {0};
        int rc = 0;
        if (volumes && p) {
                struct cc_node *vols = cc_node_map_get(p->model, "volumes");
                for (size_t i = 0; cc_node_is_map(vols) && i < vols->n; i++) {
                        struct cc_node *def = vols->items[i];
                        const char *ext = cc_node_map_str(def, "external");
                        const char *vname = cc_node_map_str(def, "name");
                        if ((ext && strcmp(ext, "true") == 0) || !vname)
                                continue;
                        _cleanup_free_ char *dir = cc_xasprintf("%s/volumes/%s", cli->root, vname);
                        if (access(dir, F_OK) != 0)
                                continue;
                        fprintf(cc_cli_status(), " Volume %s  Removing\n", vname);
                        int r = cc_rm_rf(dir);
                        if (r < 0) {
                                fprintf(stderr, "removing volume %s: %s\n", vname, strerror(-r));
                                rc = 1;
                                continue;
                        }
                        fprintf(cc_cli_status(), " Volume %s  Removed\n", vname);
                }
        }
        for (size_t i = 0; i < ids->n; i++)
                if (cc_container_remove_anon_volumes(cli->root, ids->v[i], &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                }
        cc_strv_free(ids);
        if (rc == 0 && well) {
                _cleanup_free_ char *dir = cc_state_dir(cli->runtime_dir, name);
                _cleanup_free_ char *mark = cc_path_join(dir, CC_STATE_REMOVED_FILE);
                _cleanup_close_ int fd = open(mark, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        }
        return rc;
}

int cc_cmd_down(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_ORPHANS = 1000, O_RMI };
        static const struct option longopts[] = {
                {"volumes", no_argument, NULL, 'v'}, {"remove-orphans", no_argument, NULL, O_ORPHANS},
                {"timeout", required_argument, NULL, 't'}, {"rmi", required_argument, NULL, O_RMI},
                {"help", no_argument, NULL, 'h'}, {0},
        };
        bool volumes = false;
        const char *rmi = NULL;
        long long timeout_ms = -1;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "vt:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'v': volumes = true; break;
                case O_ORPHANS: break; /* down removes every container of the project */
                case O_RMI:
                        if (!cc_streq(optarg, "local") && !cc_streq(optarg, "all")) {
                                fprintf(stderr, "invalid --rmi value \"%s\": use local or all\n", optarg);
                                return 1;
                        }
                        rmi = optarg;
                        break;
                case 't':
                        if (cc__seconds(optarg, &timeout_ms) < 0) {
                                fprintf(stderr, "invalid --timeout value \"%s\": a number of seconds\n", optarg);
                                return 1;
                        }
                        break;
                case 'h': cc__down_help(); return 0;
                default: return 1;
                }
        }
        struct cc_error err = {0};
        _cleanup_project_ struct cc_project *p = NULL;
        if (cc_project_load(&cli->load, &p, &err) < 0) {
                if (!cli->load.project_name) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        return 1;
                }
                cc_error_clear(&err); /* -p NAME: the files may be gone, the state is enough */
        }
        cc_cli_print_warnings(p);
        const char *name = p ? p->name : cli->load.project_name;
        if (cli->dry_run) {
                int dr = cc_dry_down(cli, name, p, volumes);
                return rmi && dr == 0 ? cc__down_images(cli, p, rmi) : dr;
        }
        _cleanup_state_ struct cc_state *st = NULL;
        int lock = cc_cli_lock_state(cli, name, &st);
        if (lock < 0)
                return 1;
        int rc = 0;
        /* the containers whose anonymous volumes -v removes */
        struct cc_strv ids = {0};
        for (size_t i = 0; volumes && i < st->n_ctrs; i++)
                cc_strv_push(&ids, st->ctrs[i].id);
        bool said = false; /* the volumes removed and the removal said */
        if (cc_sup_alive(st)) {
                char req[128];
                snprintf(req, sizeof(req), "{\"op\":\"down\",\"timeout\":%lld}", timeout_ms);
                int code = 0;
                if (cc_sup_request(cli, name, req, &code, &err) < 0) {
                        /* it died or stopped answering: what it left is
                         * finished below, from the state files */
                        fprintf(stderr, "%s; finishing from the state files\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                } else if (code == 0 && !rmi) {
                        /* it removed the containers (its state says so
                         * before it answers): their volumes go and that is
                         * said now, while it exits */
                        struct cc_state *now = NULL;
                        if (cc_state_load(cli->runtime_dir, name, &now, &err) == 0 && now->n_ctrs == 0) {
                                said = true;
                                rc = cc__down_volumes_said(cli, name, p, volumes, &ids, true);
                        }
                        cc_error_clear(&err);
                        cc_state_free(now);
                }
                cc__wait_gone(st->supervisor_pid, st->supervisor_start, 10000);
                if (cc_proc_alive(st->supervisor_pid, st->supervisor_start)) {
                        fprintf(stderr, "the supervisor (pid %d) did not exit; stopping it\n", (int) st->supervisor_pid);
                        kill(st->supervisor_pid, SIGKILL);
                }
                cc_state_free(st);
                st = NULL;
                if (cc_state_load(cli->runtime_dir, name, &st, &err) < 0) {
                        cc_error_clear(&err);
                        st = NULL;
                }
                rc = code ? code : rc;
        }
        if (st && cc__down_offline(cli, name, p, st, timeout_ms) != 0)
                rc = 1;
        /* anything of the project left in the cgroup tree */
        _cleanup_free_ char *cgprefix = cc_xasprintf("ccompose/%s", name);
        if (cc_cgroup_remove_tree(cgprefix, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                rc = 1;
        }
        if (rmi && cc__down_images(cli, p, rmi) != 0)
                rc = 1;
        if (!said && cc__down_volumes_said(cli, name, p, volumes, &ids, rc == 0) != 0)
                rc = 1;
        _cleanup_free_ char *dir = cc_state_dir(cli->runtime_dir, name);
        /* the files of the containers' directories, which the supervisor
         * only moved aside (deleting them waits for the disk) */
        cc_container_purge(cli->root);
        /* the keepers of its supervisors end with their last child */
        cc_state_wait_keepers(cli->runtime_dir, name, 10000);
        /* network: the project's veths, bridges and rules, with or without a supervisor */
        if (net_project_remove(cli->runtime_dir, name, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                rc = 1;
        }
        cc_state_unlock(lock);
        if (rc == 0)
                cc_rm_rf(dir);
        return rc;
}

/* ---- stop, start, restart, kill, pause, unpause ---- */

/* stop, kill, pause, unpause with no supervisor (it crashed): act on the
 * recorded processes directly, through their cgroups. */
static int cc__lifecycle_offline(struct cc_cli *cli, struct cc_project *p, const char *op, char **services, int n,
                                 int sig, long long timeout_ms)
{
        struct cc_error err = {0};
        _cleanup_state_ struct cc_state *st = NULL;
        int lock = cc_cli_lock_state(cli, p->name, &st);
        if (lock < 0)
                return 1;
        int rc = 0;
        _cleanup_free_ bool *want = cc_xcalloc(st->n_ctrs + 1, sizeof(*want));
        for (size_t i = 0; i < st->n_ctrs; i++) {
                want[i] = n == 0;
                for (int k = 0; k < n; k++)
                        want[i] = want[i] || strcmp(services[k], st->ctrs[i].service) == 0;
        }
        if (strcmp(op, "stop") == 0)
                cc__stop_offline(cli, p->name, p, st, want, timeout_ms);
        for (size_t i = 0; strcmp(op, "stop") != 0 && i < st->n_ctrs; i++) {
                struct cc_ctr_state *ct = &st->ctrs[i];
                if (!want[i] || !ct->pid || !cc_proc_alive(ct->pid, ct->pid_start))
                        continue;
                struct cc_container *c = NULL;
                if (cc_container_adopt(cli->root, p->name, ct->id, ct->pid, 0, -1, &c, &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                        continue;
                }
                int r;
                if (strcmp(op, "kill") == 0) {
                        fprintf(cc_cli_status(), " Container %s  Killing\n", ct->name);
                        r = cc_container_kill(c, sig, &err);
                } else {
                        r = cc_container_freeze(c, strcmp(op, "pause") == 0, &err);
                }
                if (r < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                } else if (strcmp(op, "kill") == 0) {
                        ct->stopped_by_user = true;
                        fprintf(cc_cli_status(), " Container %s  Killed\n", ct->name);
                } else {
                        ct->status = strcmp(op, "pause") == 0 ? CC_CTR_PAUSED : CC_CTR_RUNNING;
                        fprintf(cc_cli_status(), " Container %s  %s\n", ct->name, strcmp(op, "pause") == 0 ? "Paused" : "Unpaused");
                }
                cc_container_release(c);
        }
        if (cc_state_save(cli->runtime_dir, st, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                rc = 1;
        }
        cc_state_unlock(lock);
        return rc;
}

static int cc__lifecycle(struct cc_cli *cli, const char *op, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"timeout", required_argument, NULL, 't'}, {"signal", required_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'}, {"remove-orphans", no_argument, NULL, 'r'}, {0},
        };
        long long timeout_ms = -1;
        const char *sig = NULL;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "t:s:h", longopts, NULL)) != -1) {
                switch (c) {
                case 't':
                        if (cc__seconds(optarg, &timeout_ms) < 0) {
                                fprintf(stderr, "invalid --timeout value \"%s\": a number of seconds\n", optarg);
                                return 1;
                        }
                        break;
                case 's': sig = optarg; break;
                case 'r': break;
                case 'h':
                        printf("Usage:  ccompose %s [OPTIONS] [SERVICE...]\n\n%s%s%s", op,
                               strcmp(op, "kill") == 0 ? "Force stop service containers\n\nOptions:\n"
                                                         "  -s, --signal string   SIGNAL to send to the container (default \"SIGKILL\")\n"
                                                       : "",
                               strcmp(op, "stop") == 0 || strcmp(op, "restart") == 0
                                       ? "Stop or restart service containers\n\nOptions:\n"
                                         "  -t, --timeout int   Specify a shutdown timeout in seconds\n"
                                       : "",
                               "");
                        return 0;
                default: return 1;
                }
        }
        if (sig && cc_signal_from_name(sig) <= 0) {
                fprintf(stderr, "invalid signal \"%s\"\n", sig);
                return 1;
        }
        _cleanup_project_ struct cc_project *p = NULL;
        if (cc_cli_load_project(cli, &p) != 0)
                return 1;
        for (int i = optind; i < argc; i++)
                if (!cc_node_map_get(cc_project_services(p), argv[i])) {
                        fprintf(stderr, "no such service: %s\n", argv[i]);
                        return 1;
                }
        if (cli->dry_run)
                return cc_dry_lifecycle(cli, p, op, argv + optind, argc - optind);
        json_object *req = json_object_new_object();
        json_object *svcs = json_object_new_array();
        for (int i = optind; i < argc; i++)
                json_object_array_add(svcs, json_object_new_string(argv[i]));
        json_object_object_add(req, "op", json_object_new_string(op));
        json_object_object_add(req, "services", svcs);
        json_object_object_add(req, "timeout", json_object_new_int64(timeout_ms));
        if (sig)
                json_object_object_add(req, "signal", json_object_new_string(sig));
        struct cc_error err = {0};
        int code = 0;
        int r = cc_sup_request(cli, p->name, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), &code, &err);
        json_object_put(req);
        if (r == -ENOENT) {
                cc_error_clear(&err);
                if (strcmp(op, "start") == 0 || strcmp(op, "restart") == 0) {
                        /* nothing supervises the project: start one that keeps
                         * the existing containers */
                        struct cc_up_opts o = {.detach = true, .no_recreate = true, .stop_timeout_ms = timeout_ms};
                        for (int i = optind; i < argc; i++)
                                cc_strv_push(&o.services, argv[i]);
                        r = cc_up(cli, p, &o);
                        cc_strv_free(&o.services);
                        return r;
                }
                return cc__lifecycle_offline(cli, p, op, argv + optind, argc - optind,
                                             sig ? cc_signal_from_name(sig) : SIGKILL, timeout_ms);
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return code;
}

int cc_cmd_stop(struct cc_cli *cli, int argc, char **argv) { return cc__lifecycle(cli, "stop", argc, argv); }
int cc_cmd_start(struct cc_cli *cli, int argc, char **argv) { return cc__lifecycle(cli, "start", argc, argv); }
int cc_cmd_restart(struct cc_cli *cli, int argc, char **argv) { return cc__lifecycle(cli, "restart", argc, argv); }
int cc_cmd_kill(struct cc_cli *cli, int argc, char **argv) { return cc__lifecycle(cli, "kill", argc, argv); }
int cc_cmd_pause(struct cc_cli *cli, int argc, char **argv) { return cc__lifecycle(cli, "pause", argc, argv); }
int cc_cmd_unpause(struct cc_cli *cli, int argc, char **argv) { return cc__lifecycle(cli, "unpause", argc, argv); }

/* ---- create, rm ---- */

int cc_cmd_create(struct cc_cli *cli, int argc, char **argv)
{
        if (cc_cli_wants_help(argc, argv)) {
                puts("Usage:  ccompose create [OPTIONS] [SERVICE...]\n\nCreates containers for a service\n\n"
                     "Options:\n      --build            Build images before starting containers\n"
                     "      --force-recreate   Recreate containers even if their configuration hasn't changed\n"
                     "      --no-build         Don't build an image, even if it's policy\n"
                     "      --no-recreate      If containers already exist, don't recreate them\n"
                     "      --remove-orphans   Remove containers for services not defined in the Compose file");
                return 0;
        }
        /* up --no-start, detached */
        struct cc_strv args = {0};
        cc_strv_push(&args, "up");
        cc_strv_push(&args, "--no-start");
        cc_strv_push(&args, "-d");
        for (int i = 1; i < argc; i++)
                cc_strv_push(&args, argv[i]);
        int rc = cc_cmd_up(cli, (int) args.n, args.v);
        cc_strv_free(&args);
        return rc;
}

/* Remove the stopped containers of these services (all when none): the
 * supervisor's job when one runs, else from the state alone. */
static int cc__rm_containers(struct cc_cli *cli, const struct cc_project *p, char **svc, int n_svc, bool stop)
{
        json_object *req = json_object_new_object();
        json_object *svcs = json_object_new_array();
        for (int i = 0; i < n_svc; i++)
                json_object_array_add(svcs, json_object_new_string(svc[i]));
        json_object_object_add(req, "op", json_object_new_string("rm"));
        json_object_object_add(req, "services", svcs);
        json_object_object_add(req, "stop", json_object_new_boolean(stop));
        struct cc_error err = {0};
        int code = 0;
        int r = cc_sup_request(cli, p->name, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), &code, &err);
        json_object_put(req);
        if (r == 0)
                return code;
        if (r != -ENOENT) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        cc_error_clear(&err);
        /* no supervisor: remove stopped containers from the state alone */
        _cleanup_state_ struct cc_state *st = NULL;
        int lock = cc_cli_lock_state(cli, p->name, &st);
        if (lock < 0)
                return 1;
        int rc = 0;
        for (size_t i = 0; i < st->n_ctrs;) {
                struct cc_ctr_state *ct = &st->ctrs[i];
                bool want = n_svc == 0;
                for (int k = 0; k < n_svc; k++)
                        want = want || strcmp(svc[k], ct->service) == 0;
                if (!want || (ct->pid && cc_proc_alive(ct->pid, ct->pid_start))) {
                        i++;
                        continue;
                }
                if (cc__remove_offline(cli, p->name, st, i) < 0) {
                        rc = 1;
                        i++;
                }
        }
        if (cc_state_save(cli->runtime_dir, st, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                rc = 1;
        }
        cc_error_clear(&err);
        cc_state_unlock(lock);
        return rc;
}

/* The ids of the project's containers (none when it has no state). */
static void cc__ctr_ids(const struct cc_cli *cli, const char *project, struct cc_strv *out)
{
        struct cc_state *st = NULL;
        struct cc_error err = {0};
        if (cc_state_load(cli->runtime_dir, project, &st, &err) >= 0)
                for (size_t i = 0; st && i < st->n_ctrs; i++)
                        cc_strv_push(out, st->ctrs[i].id);
        cc_error_clear(&err);
        cc_state_free(st);
}

int cc_cmd_rm(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"force", no_argument, NULL, 'f'}, {"stop", no_argument, NULL, 's'},
                {"volumes", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {0},
        };
        bool stop = false, anon = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "fsvh", longopts, NULL)) != -1) {
                switch (c) {
                case 'f': break;
                case 'v': anon = true; break;
                case 's': stop = true; break;
                case 'h':
                        puts("Usage:  ccompose rm [OPTIONS] [SERVICE...]\n\nRemoves stopped service containers\n\n"
                             "Options:\n  -f, --force     Don't ask to confirm removal\n"
                             "  -s, --stop      Stop the containers, if required, before removing\n"
                             "  -v, --volumes   Remove any anonymous volumes attached to containers");
                        return 0;
                default: return 1;
                }
        }
        _cleanup_project_ struct cc_project *p = NULL;
        if (cc_cli_load_project(cli, &p) != 0)
                return 1;
        if (cli->dry_run)
                return cc_dry_rm(cli, p, argv + optind, argc - optind, stop);
        /* -v: the anonymous volumes of the containers that are gone after */
        struct cc_strv before = {0}, after = {0};
        if (anon)
                cc__ctr_ids(cli, p->name, &before);
        int rc = cc__rm_containers(cli, p, argv + optind, argc - optind, stop);
        if (anon)
                cc__ctr_ids(cli, p->name, &after);
        for (size_t i = 0; i < before.n; i++) {
                struct cc_error err = {0};
                if (!cc_strv_contains(&after, before.v[i]) &&
                    cc_container_remove_anon_volumes(cli->root, before.v[i], &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        rc = 1;
                }
                cc_error_clear(&err);
        }
        cc_strv_free(&before);
        cc_strv_free(&after);
        return rc;
}
