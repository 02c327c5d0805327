/* ccompose exec, and the hidden __nsexec the supervisor's healthchecks
 * use: both run a process inside a running container (runtime/nsexec.c). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "nsexec.h"
#include "state.h"

static void cc__exec_help(void)
{
        puts("Usage:  ccompose exec [OPTIONS] SERVICE COMMAND [ARGS...]\n\n"
             "Execute a command in a running container\n\n"
             "Options:\n"
             "  -d, --detach         Detached mode: Run command in the background\n"
             "  -e, --env stringArray  Set environment variables\n"
             "      --index int      Index of the container if service has multiple replicas (default 1)\n"
             "      --privileged     Give extended privileges to the process\n"
             "  -T, --no-TTY         Disable pseudo-TTY allocation (default: auto-detected)\n"
             "  -u, --user string    Run the command as this user\n"
             "  -w, --workdir string Path to workdir directory for this command");
}

static int cc__run_nsexec(struct cc_nsexec *x, bool detach)
{
        struct cc_error err = {0};
        if (detach) {
                fflush(NULL);
                pid_t pid = fork();
                if (pid < 0) {
                        perror("fork");
                        return 1;
                }
                if (pid > 0)
                        return 0;
                setsid();
                if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
                    !freopen("/dev/null", "w", stderr))
                        _exit(1);
                _exit(cc_nsexec_run(x, &err) < 0 ? 126 : 0);
        }
        int r = cc_nsexec_run(x, &err);
        if (r < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 126;
        }
        return r;
}

int cc_cmd_exec(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_INDEX = 1000, O_PRIV };
        static const struct option longopts[] = {
                {"detach", no_argument, NULL, 'd'},  {"env", required_argument, NULL, 'e'},
                {"index", required_argument, NULL, O_INDEX}, {"privileged", no_argument, NULL, O_PRIV},
                {"no-TTY", no_argument, NULL, 'T'},  {"no-tty", no_argument, NULL, 'T'},
                {"interactive", no_argument, NULL, 'i'}, {"tty", no_argument, NULL, 't'},
                {"user", required_argument, NULL, 'u'}, {"workdir", required_argument, NULL, 'w'},
                {"help", no_argument, NULL, 'h'},    {0},
        };
        struct cc_nsexec x = {.cache_root = cli->root};
        bool detach = false, no_tty = !isatty(STDIN_FILENO);
        int index = 1, c, rc = 1;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+de:Titu:w:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'd': detach = true; break;
                case 'e': cc_strv_push(&x.env, optarg); break;
                case O_INDEX: index = atoi(optarg); break;
                case O_PRIV: x.privileged = true; break;
                case 'T': no_tty = true; break;
                case 'i': case 't': break;
                case 'u': x.user = optarg; break;
                case 'w': x.workdir = optarg; break;
                case 'h': cc__exec_help(); return 0;
                default: goto out;
                }
        }
        if (argc - optind < 2) {
                fputs("\"ccompose exec\" requires at least 2 arguments: SERVICE COMMAND [ARGS...]\n", stderr);
                goto out;
        }
        const char *service = argv[optind];
        for (int i = optind + 1; i < argc; i++)
                cc_strv_push(&x.argv, argv[i]);
        x.tty = !no_tty && !detach;
        {
                _cleanup_project_ struct cc_project *p = NULL;
                _cleanup_state_ struct cc_state *st = NULL;
                if (cc_cli_load_project_state(cli, (char **) &service, 1, &p, &st) != 0)
                        goto out;
                struct cc_node *svc = cc_node_map_get(cc_project_services(p), service);
                const struct cc_ctr_state *ct = NULL;
                for (size_t i = 0; i < st->n_ctrs; i++)
                        if (!st->ctrs[i].one_off && strcmp(st->ctrs[i].service, service) == 0 &&
                            st->ctrs[i].number == index)
                                ct = &st->ctrs[i];
                if (!ct || ct->status != CC_CTR_RUNNING || !cc_proc_alive(ct->pid, ct->pid_start)) {
                        fprintf(stderr, "service \"%s\" is not running\n", service);
                        goto out;
                }
                x.target = ct->pid;
                _cleanup_free_ char *dir = cc_xasprintf("%s/containers/%s", cli->root, ct->id);
                x.dir = dir;
                if (!x.workdir)
                        x.workdir = cc_node_map_str(svc, "working_dir");
                rc = cc__run_nsexec(&x, detach);
        }
out:
        cc_strv_free(&x.env);
        cc_strv_free(&x.argv);
        return rc;
}

/* ccompose __nsexec --pid PID [--dir DIR] [--user U] [--workdir W] [--env K=V]...
 *                   [--tty [--pts N]] [--privileged] -- COMMAND...
 * --pts: the terminal is /dev/pts/N of the container, whose master the
 * caller holds (the API service's exec). */
int cc_cmd_nsexec(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"pid", required_argument, NULL, 'p'}, {"dir", required_argument, NULL, 'd'},
                {"user", required_argument, NULL, 'u'},
                {"workdir", required_argument, NULL, 'w'}, {"env", required_argument, NULL, 'e'},
                {"tty", no_argument, NULL, 't'},       {"privileged", no_argument, NULL, 'P'},
                {"pts", required_argument, NULL, 'n'}, {"pid-fd", required_argument, NULL, 'f'}, {0},
        };
        struct cc_nsexec x = {.cache_root = cli->root};
        int c, rc = 1;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
                switch (c) {
                case 'p': x.target = (pid_t) atoi(optarg); break;
                case 'd': x.dir = optarg; break;
                case 'u': x.user = optarg; break;
                case 'w': x.workdir = optarg; break;
                case 'e': cc_strv_push(&x.env, optarg); break;
                case 't': x.tty = true; break;
                case 'P': x.privileged = true; break;
                case 'n':
                        x.has_pts = true;
                        x.pts = atoi(optarg);
                        break;
                case 'f':
                        /* the process's PID goes there, the process does not get it */
                        x.pid_fd = atoi(optarg);
                        if (x.pid_fd <= 2 || fcntl(x.pid_fd, F_SETFD, FD_CLOEXEC) < 0)
                                x.pid_fd = -1;
                        break;
                default: goto out;
                }
        }
        for (int i = optind; i < argc; i++)
                cc_strv_push(&x.argv, argv[i]);
        if (x.target <= 0 || x.argv.n == 0) {
                fputs("usage: ccompose __nsexec --pid PID [options] -- COMMAND...\n", stderr);
                goto out;
        }
        rc = cc__run_nsexec(&x, false);
out:
        cc_strv_free(&x.env);
        cc_strv_free(&x.argv);
        return rc;
}
