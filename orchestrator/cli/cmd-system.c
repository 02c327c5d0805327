/* ccompose system service: the Docker Engine API on a Unix socket
 * (orchestrator/api/), as `podman system service` offers it.
 *
 *   ccompose system service [--host unix:///PATH] [--time SECONDS] [--bip CIDR] */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"

static void cc__service_help(FILE *f)
{
        fputs("Usage:  ccompose system service [OPTIONS]\n\n"
              "Serve the Docker Engine API on a Unix socket (whoever can reach the socket is root on this host)\n\n"
              "Options:\n"
              "      --bip string    The address and prefix of the \"bridge\" network's bridge, which every container\n"
              "                      made on the default network joins (10.1.0.1/24, or a subnet: its first\n"
              "                      address; default: a subnet of the default address pool)\n"
              "  -H, --host string   The socket to listen on (default \"unix://$CCOMPOSE_RUNTIME_DIR/docker.sock\")\n"
              "  -t, --time int      Seconds without a connection before the service exits; 0: never (default 5)\n",
              f);
}

static int cc__cmd_service(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_BIP = 1000 };
        static const struct option longopts[] = {
                {"host", required_argument, NULL, 'H'}, {"time", required_argument, NULL, 't'},
                {"bip", required_argument, NULL, O_BIP}, {"help", no_argument, NULL, 'h'}, {0},
        };
        struct cc_api_opts o = {.root = cli->root, .runtime_dir = cli->runtime_dir, .idle_ms = 5000};
        _cleanup_free_ char *def = cc_path_join(cli->runtime_dir, "docker.sock");
        o.socket_path = def;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "H:t:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'H':
                        if (!cc_startswith(optarg, "unix://") || optarg[7] != '/') {
                                fprintf(stderr, "invalid --host \"%s\": unix:///ABSOLUTE/PATH\n", optarg);
                                return 1;
                        }
                        o.socket_path = optarg + 7;
                        break;
                case 't': {
                        char *end;
                        long long s = strtoll(optarg, &end, 10);
                        if (!*optarg || *end || s < 0) {
                                fprintf(stderr, "invalid --time \"%s\": a number of seconds (0: never)\n", optarg);
                                return 1;
                        }
                        o.idle_ms = s * 1000;
                        break;
                }
                case O_BIP: o.bip = optarg; break;
                case 'h': cc__service_help(stdout); return 0;
                default: return 1;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "\"ccompose system service\" accepts no arguments\n");
                return 1;
        }
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0) {
                perror("readlink /proc/self/exe");
                return 1;
        }
        exe[n] = '\0';
        o.self_exe = exe;
        o.self_main = cc_cli_main;
        struct cc_error err = {0};
        if (cc_api_serve(&o, &err) < 0) {
                fprintf(stderr, "system service: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

int cc_cmd_system(struct cc_cli *cli, int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
                fputs("Usage:  ccompose system COMMAND\n\nManage ccompose\n\nCommands:\n"
                      "  service     Serve the Docker Engine API on a Unix socket\n",
                      argc < 2 ? stderr : stdout);
                return argc < 2 ? 1 : 0;
        }
        if (strcmp(argv[1], "service") == 0)
                return cc__cmd_service(cli, argc - 1, argv + 1);
        fprintf(stderr, "ccompose system: unknown command \"%s\"\n", argv[1]);
        return 1;
}
