/* ccompose run: a one-off container from a service's definition,
 * attached to the terminal, returning the container's exit code.
 *
 *   ccompose run [--rm] [-T] [-e K=V]... [-u USER] [-w DIR]
 *                [--entrypoint CMD] [-v SRC:DST[:ro]]... [--name N]
 *                [--no-deps] SERVICE [COMMAND...]
 *
 * Plan: parse the options, load the project, find the service and its
 * image, turn both into a struct cc_container_spec (the image's config
 * under the service's definition under the command line, as docker
 * compose does), start it, relay the terminal, forward signals, and
 * remove what is left. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "dry-run.h"
#include "image.h"
#include "normalize.h"
#include "registry.h"
#include "service-spec.h"
#include "supervisor.h"
#include <json-c/json.h>

struct cc_run_opts {
        bool rm;
        bool no_tty;
        bool detach;
        bool no_deps;
        bool build;                  /* --build: build the service's image first */
        struct cc_spec_overrides ov; /* -e, -v, -u, -w, --entrypoint, --cap-*, COMMAND */
        const char *name;
        const char *service;
};

static void cc__run_usage(FILE *f)
{
        fputs("Usage:  ccompose run [OPTIONS] SERVICE [COMMAND] [ARGS...]\n"
              "\n"
              "Run a one-off command on a service\n"
              "\n"
              "Options:\n"
              "      --build                Build image before starting container\n"
              "      --cap-add list         Add Linux capabilities\n"
              "      --cap-drop list        Drop Linux capabilities\n"
              "  -d, --detach               Run container in background and print container name\n"
              "      --entrypoint string    Override the entrypoint of the image\n"
              "  -e, --env stringArray      Set environment variables\n"
              "  -i, --interactive          Keep STDIN open even if not attached (default true)\n"
              "      --name string          Assign a name to the container\n"
              "      --no-deps              Don't start linked services\n"
              "  -T, --no-TTY               Disable pseudo-TTY allocation (default: auto-detected)\n"
              "      --rm                   Automatically remove the container when it exits\n"
              "  -u, --user string          Run as specified username or uid\n"
              "  -v, --volume stringArray   Bind mount a volume\n"
              "  -w, --workdir string       Working directory inside the container\n",
              f);
}

static void cc__run_opts_free(struct cc_run_opts *o)
{
        cc_strv_free(&o->ov.env);
        cc_strv_free(&o->ov.volumes);
        cc_strv_free(&o->ov.cap_add);
        cc_strv_free(&o->ov.cap_drop);
        cc_strv_free(&o->ov.command);
}

/* 0, or the exit code to return (usage errors). */
static int cc__run_parse(int argc, char **argv, struct cc_run_opts *o)
{
        enum { O_RM = 256, O_ENTRYPOINT, O_NAME, O_NO_DEPS, O_CAP_ADD, O_CAP_DROP, O_IGNORED, O_BUILD };
        static const struct option longopts[] = {
                {"rm", no_argument, NULL, O_RM},
                {"no-TTY", no_argument, NULL, 'T'},
                {"tty", no_argument, NULL, 't'},
                {"interactive", no_argument, NULL, 'i'},
                {"detach", no_argument, NULL, 'd'},
                {"env", required_argument, NULL, 'e'},
                {"user", required_argument, NULL, 'u'},
                {"workdir", required_argument, NULL, 'w'},
                {"entrypoint", required_argument, NULL, O_ENTRYPOINT},
                {"volume", required_argument, NULL, 'v'},
                {"name", required_argument, NULL, O_NAME},
                {"no-deps", no_argument, NULL, O_NO_DEPS},
                {"cap-add", required_argument, NULL, O_CAP_ADD},
                {"cap-drop", required_argument, NULL, O_CAP_DROP},
                {"build", no_argument, NULL, O_BUILD},
                {"quiet-pull", no_argument, NULL, O_IGNORED},
                {"remove-orphans", no_argument, NULL, O_IGNORED},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+Ttide:u:w:v:h", longopts, NULL)) != -1) {
                switch (c) {
                case O_RM: o->rm = true; break;
                case 'T': o->no_tty = true; break;
                case 't': case 'i': case O_IGNORED: break;
                case 'd': o->detach = true; break;
                case 'e': cc_strv_push(&o->ov.env, optarg); break;
                case 'u': o->ov.user = optarg; break;
                case 'w': o->ov.workdir = optarg; break;
                case 'v': cc_strv_push(&o->ov.volumes, optarg); break;
                case O_ENTRYPOINT: o->ov.entrypoint = optarg; break;
                case O_NAME: o->name = optarg; break;
                case O_NO_DEPS: o->no_deps = true; break;
                case O_BUILD: o->build = true; break;
                case O_CAP_ADD: cc_strv_push(&o->ov.cap_add, optarg); break;
                case O_CAP_DROP: cc_strv_push(&o->ov.cap_drop, optarg); break;
                case 'h':
                        cc__run_usage(stdout);
                        return -1;
                default:
                        fputs("Run 'ccompose run --help' for usage.\n", stderr);
                        return 1;
                }
        }
        if (optind >= argc) {
                fputs("ccompose run: requires at least 1 argument: SERVICE\n", stderr);
                return 1;
        }
        o->service = argv[optind++];
        for (; optind < argc; optind++)
                cc_strv_push(&o->ov.command, argv[optind]);
        return 0;
}

/* ---- Attached: the terminal, signals, waiting ---- */

struct cc_run_term {
        bool raw;
        struct termios saved;
};

static void cc__term_raw(struct cc_run_term *t)
{
        if (tcgetattr(STDIN_FILENO, &t->saved) < 0)
                return;
        struct termios raw = t->saved;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
                t->raw = true;
}

static void cc__term_restore(struct cc_run_term *t)
{
        if (t->raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
        t->raw = false;
}

static bool cc__copy(int from, int to)
{
        char buf[65536];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        for (ssize_t off = 0; off < n;) {
                ssize_t w = write(to, buf + off, (size_t) (n - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return true; /* our side went away: keep the container going */
                off += w;
        }
        return true;
}

/* After the main process exited: what it wrote may still be in the pty. */
static void cc__drain_pty(int pty)
{
        struct pollfd pfd = {.fd = pty, .events = POLLIN};
        while (poll(&pfd, 1, 200) > 0 && cc__copy(pty, STDOUT_FILENO))
                ;
}

static void cc__handle_signal(struct cc_container *c, int sigfd)
{
        struct signalfd_siginfo si;
        if (read(sigfd, &si, sizeof(si)) != sizeof(si))
                return;
        int pty = cc_container_pty(c);
        if (si.ssi_signo == SIGWINCH) {
                struct winsize ws;
                if (pty >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                        ioctl(pty, TIOCSWINSZ, &ws);
                return;
        }
        struct cc_error err = {0};
        if (cc_container_kill(c, (int) si.ssi_signo, &err) < 0)
                cc_error_clear(&err);
}

static int cc__run_attached(struct cc_container *c, int sigfd, int *exit_code, struct cc_error *err)
{
        int pty = cc_container_pty(c);
        bool stdin_open = pty >= 0;
        for (;;) {
                struct pollfd pfd[4] = {
                        {.fd = cc_container_pidfd(c), .events = POLLIN},
                        {.fd = sigfd, .events = POLLIN},
                        {.fd = pty, .events = POLLIN},
                        {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                };
                if (poll(pfd, 4, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return cc_error_setsys(err, -errno, "poll");
                }
                if (pfd[1].revents & POLLIN)
                        cc__handle_signal(c, sigfd);
                if (pty >= 0 && (pfd[2].revents & (POLLIN | POLLHUP)) && !cc__copy(pty, STDOUT_FILENO))
                        pty = -1;
                if (stdin_open && (pfd[3].revents & (POLLIN | POLLHUP)) && !cc__copy(STDIN_FILENO, cc_container_pty(c)))
                        stdin_open = false;
                if (pfd[0].revents & POLLIN) {
                        if (pty >= 0)
                                cc__drain_pty(pty);
                        int r = cc_container_wait(c, exit_code, err);
                        return r;
                }
        }
}

static int cc__run_container(const struct cc_run_opts *o, const char *service, struct cc_container_spec *spec)
{
        struct cc_error err = {0};
        struct cc_run_term term = {0};
        struct cc_container *c = NULL;
        int status = 125, exit_code = 1;

        spec->tty = !o->no_tty && isatty(STDIN_FILENO);
        if (spec->tty)
                ioctl(STDIN_FILENO, TIOCGWINSZ, &spec->winsize);
        else
                /* The container gets our own stdio (a closed one: /dev/null). */
                for (int fd = 0; fd < 3; fd++)
                        spec->stdio[fd] = fcntl(fd, F_GETFD) < 0 ? -1 : fd;
        spec->remove_anon_volumes = o->rm;

        /* Signals become events from here on: none may kill us half-way. */
        sigset_t mask, old;
        sigemptyset(&mask);
        int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
        for (size_t i = 0; i < CC_ARRAY_SIZE(fwd); i++)
                sigaddset(&mask, fwd[i]);
        sigprocmask(SIG_BLOCK, &mask, &old);
        signal(SIGPIPE, SIG_IGN);
        int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

        if (cc_container_start(spec, &c, &status, &err) < 0) {
                fprintf(stderr, "service %s: %s\n", service, cc_error_msg(&err));
                cc_error_clear(&err);
                exit_code = status;
                goto out;
        }
        if (spec->tty)
                cc__term_raw(&term);
        if (cc__run_attached(c, sigfd, &exit_code, &err) < 0) {
                fprintf(stderr, "service %s: %s\n", service, cc_error_msg(&err));
                cc_error_clear(&err);
                exit_code = 125;
        }
        cc__term_restore(&term);
        if (cc_container_destroy(c, !o->rm, &err) < 0) {
                fprintf(stderr, "service %s: removing the container: %s\n", service, cc_error_msg(&err));
                cc_error_clear(&err);
        }
out:
        if (sigfd >= 0)
                close(sigfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return exit_code;
}

static json_object *cc__jarr(const struct cc_strv *v)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

/* One request to the project's supervisor, which is started first when
 * none runs, with the service's dependencies unless --no-deps. Returns
 * the exit code. */
static int cc__sup_call(struct cc_cli *cli, struct cc_project *p, const struct cc_run_opts *o, const char *text)
{
        struct cc_error err = {0};
        int code = 0;
        int r = cc_sup_request(cli, p->name, text, &code, &err);
        if (r == -ENOENT) {
                cc_error_clear(&err);
                struct cc_up_opts up = {.detach = true, .only_services = true, .stop_timeout_ms = -1};
                const struct cc_node *deps = cc_node_map_get(cc_node_map_get(cc_project_services(p), o->service),
                                                             "depends_on");
                for (size_t i = 0; !o->no_deps && cc_node_is_map(deps) && i < deps->n; i++)
                        cc_strv_push(&up.services, cc_node_key(deps, i));
                int rc = cc_up(cli, p, &up);
                cc_strv_free(&up.services);
                if (rc != 0)
                        return rc;
                r = cc_sup_request(cli, p->name, text, &code, &err);
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return code;
}

/* A foreground run's container on the service's networks: the supervisor
 * makes its veths and /etc/hosts between clone and exec (the runtime's
 * net_attach hook), and releases its addresses when it is gone. */
struct cc_run_net {
        struct cc_cli *cli;
        const char *project, *service, *id, *name;
};

static char *cc__run_net_request(const struct cc_run_net *rn, const char *op, pid_t pid)
{
        json_object *req = json_object_new_object();
        json_object_object_add(req, "op", json_object_new_string(op));
        json_object_object_add(req, "service", json_object_new_string(rn->service));
        json_object_object_add(req, "id", json_object_new_string(rn->id));
        json_object_object_add(req, "name", json_object_new_string(rn->name));
        json_object_object_add(req, "pid", json_object_new_int(pid));
        char *text = cc_xstrdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
        json_object_put(req);
        return text;
}

static int cc__run_net_attach(pid_t pid, void *data, struct cc_error *err)
{
        const struct cc_run_net *rn = data;
        _cleanup_free_ char *text = cc__run_net_request(rn, "netattach", pid);
        int code = 0;
        int r = cc_sup_request(rn->cli, rn->project, text, &code, err);
        if (r < 0)
                return r;
        return code == 0 ? 0 : cc_error_set(err, -EIO, "attaching the container to the networks of service %s failed",
                                             rn->service);
}

static void cc__run_net_detach(const struct cc_run_net *rn)
{
        _cleanup_free_ char *text = cc__run_net_request(rn, "netdetach", 0);
        struct cc_error err = {0};
        int code = 0;
        cc_sup_request(rn->cli, rn->project, text, &code, &err);
        cc_error_clear(&err);
}

/* run -d: the one-off container is handed to the project's supervisor
 * (started first, with the service's dependencies unless --no-deps). */
static int cc__run_detached(struct cc_cli *cli, struct cc_project *p, const struct cc_run_opts *o)
{
        json_object *req = json_object_new_object();
        json_object_object_add(req, "op", json_object_new_string("run"));
        json_object_object_add(req, "service", json_object_new_string(o->service));
        json_object_object_add(req, "env", cc__jarr(&o->ov.env));
        json_object_object_add(req, "volumes", cc__jarr(&o->ov.volumes));
        json_object_object_add(req, "command", cc__jarr(&o->ov.command));
        json_object_object_add(req, "cap_add", cc__jarr(&o->ov.cap_add));
        json_object_object_add(req, "cap_drop", cc__jarr(&o->ov.cap_drop));
        if (o->ov.user)
                json_object_object_add(req, "user", json_object_new_string(o->ov.user));
        if (o->ov.workdir)
                json_object_object_add(req, "workdir", json_object_new_string(o->ov.workdir));
        if (o->ov.entrypoint)
                json_object_object_add(req, "entrypoint", json_object_new_string(o->ov.entrypoint));
        if (o->name)
                json_object_object_add(req, "name", json_object_new_string(o->name));
        int rc = cc__sup_call(cli, p, o, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
        json_object_put(req);
        return rc;
}

static const struct cc_node *cc__find_service(struct cc_cli *cli, struct cc_project **p, const char *name)
{
        const struct cc_node *svc = cc_node_map_get(cc_project_services(*p), name);
        if (svc || !cc_strv_contains(&(*p)->disabled, name))
                return svc;
        /* Naming a service runs it whatever its profiles, as docker compose. */
        cc_project_free(*p);
        *p = NULL;
        cli->load.all_profiles = true;
        if (cc_cli_load_project(cli, p) != 0)
                return NULL;
        return cc_node_map_get(cc_project_services(*p), name);
}

/* The service's own image, built when it is missing, its pull_policy is
 * build or --build asks (its dependencies' images come with their up). */
static int cc__run_build(struct cc_cli *cli, const struct cc_project *p, const struct cc_run_opts *o)
{
        ssize_t k = cc_graph_index(&p->graph, o->service);
        if (k < 0)
                return 0;
        _cleanup_free_ bool *sel = cc_xcalloc(p->graph.n + 1, sizeof(bool));
        sel[k] = true;
        struct cc_build_flags bf = {0};
        struct cc_strv built = {0};
        cc_cli_build_flags(cli, &bf);
        int rc = cc_project_build(cli, p, sel, !o->build, &bf, &built);
        cc_strv_free(&built);
        return rc;
}

int cc_cmd_run(struct cc_cli *cli, int argc, char **argv)
{
        struct cc_run_opts o = {0};
        int rc = cc__run_parse(argc, argv, &o);
        if (rc != 0) {
                cc__run_opts_free(&o);
                return rc < 0 ? 0 : rc;
        }
        struct cc_project *p = NULL;
        struct cc_image_store *store = NULL;
        struct cc_image *img = NULL;
        struct cc_seccomp *seccomp = NULL;
        struct cc_container_spec spec;
        struct cc_error err = {0};
        _cleanup_free_ char *id = NULL, *cname = NULL, *image = NULL;
        cc_container_spec_init(&spec);
        rc = 1;
        int r;
        if (cc_cli_load_project(cli, &p) != 0)
                goto out;
        const struct cc_node *svc = cc__find_service(cli, &p, o.service);
        if (!p)
                goto out;
        if (!cc_node_is_map(svc)) {
                fprintf(stderr, "no such service: %s\n", o.service);
                goto out;
        }
        {
                struct cc_strv self = {0};
                cc_strv_push(&self, o.service);
                cc_cli_print_support_warnings(p, &self, o.no_deps);
                cc_strv_free(&self);
        }
        if (cli->dry_run) {
                rc = cc_dry_run(cli, p, o.service, o.no_deps, o.name);
                goto out;
        }
        if (cc__run_build(cli, p, &o) != 0)
                goto out;
        if (o.detach) {
                rc = cc__run_detached(cli, p, &o);
                goto out;
        }
        image = cc_project_service_image(p, o.service);
        if (!image) {
                fprintf(stderr, "service %s has neither an image nor a build context\n", o.service);
                goto out;
        }
        if ((!cc_node_map_get(svc, "build") &&
             cc_image_ensure(cli->root, image, cc_node_map_str(svc, "pull_policy"), cc_node_map_str(svc, "platform"),
                             false, &err) < 0) ||
            cc_image_store_open(cli->root, &store, &err) < 0 || cc_image_lookup(store, image, &img, &err) < 0) {
                fprintf(stderr, "service %s: %s\n", o.service, cc_error_msg(&err));
                goto out;
        }
        cc_container_spec_free(&spec);
        cc_container_spec_init(&spec);
        id = cc_container_new_id();
        cname = o.name ? cc_xstrdup(o.name) : cc_xasprintf("%s-%s-run-%.12s", p->name, o.service, id + 52);
        r = cc_service_spec_build(cli->root, p, o.service, id, cname, img, &o.ov, &seccomp, &spec, &err);
        if (r >= 0 && spec.net_join_pid < 0) { /* network_mode service:X / container:NAME */
                struct cc_state *st = NULL;
                r = cc_state_load(cli->runtime_dir, p->name, &st, &err);
                if (r >= 0)
                        r = cc_service_net_join(cli->runtime_dir, st, o.service, svc, &spec.net_join_pid, &err);
                cc_state_free(st);
        }
        if (r < 0) {
                fprintf(stderr, "service %s: %s\n", o.service, cc_error_msg(&err));
                goto out;
        }
        /* its networks (and its dependencies) come from the supervisor, as
         * for run -d: started here when none runs */
        const struct cc_node *deps = cc_node_map_get(svc, "depends_on");
        struct cc_node *nets = cc_node_map_get(svc, "networks");
        bool on_nets = spec.net == CC_NET_PRIVATE && spec.net_join_pid == 0 && cc_node_is_map(nets) && nets->n > 0;
        if (on_nets || (!o.no_deps && cc_node_is_map(deps) && deps->n > 0)) {
                if ((rc = cc__sup_call(cli, p, &o, "{\"op\":\"ping\"}")) != 0)
                        goto out;
                rc = 1;
        }
        /* volumes_from: the source's container exists now (a dependency) */
        const struct cc_node *vf = cc_node_map_get(svc, "volumes_from");
        if (cc_node_is_seq(vf) && vf->n > 0) {
                struct cc_state *st = NULL;
                r = cc_state_load(cli->runtime_dir, p->name, &st, &err);
                if (r >= 0)
                        r = cc_service_volumes_from(cli->root, p, st, o.service, &spec, &err);
                cc_state_free(st);
                if (r < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        rc = 1;
                        goto out;
                }
        }
        struct cc_run_net rn = {.cli = cli, .project = p->name, .service = o.service, .id = id, .name = cname};
        if (on_nets) {
                spec.net_attach = cc__run_net_attach;
                spec.net_attach_data = &rn;
                spec.embedded_dns = true;
        }
        rc = cc__run_container(&o, o.service, &spec);
        if (on_nets)
                cc__run_net_detach(&rn);
out:
        cc_error_clear(&err);
        cc_container_spec_free(&spec);
        if (seccomp)
                cc_seccomp_free(seccomp);
        if (img)
                cc_image_free(img);
        if (store)
                cc_image_store_close(store);
        cc_project_free(p);
        cc__run_opts_free(&o);
        return rc;
}
