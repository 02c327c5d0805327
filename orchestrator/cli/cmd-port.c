/* ccompose port SERVICE PRIVATE_PORT: the public address of a published
 * port, from the project's state (the supervisor records what it bound,
 * ephemeral ports included, in each container's "ports"). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "loader.h"
#include "state.h"

static void cc__port_help(void)
{
        puts("Usage:  ccompose port [OPTIONS] SERVICE PRIVATE_PORT\n\n"
             "Print the public port for a port binding\n\n"
             "Options:\n"
             "      --index int         Index of the container if service has multiple replicas (default 1)\n"
             "      --protocol string   tcp or udp (default \"tcp\")");
}

int cc_cmd_port(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_INDEX = 1000, O_PROTO };
        static const struct option longopts[] = {
                {"index", required_argument, NULL, O_INDEX}, {"protocol", required_argument, NULL, O_PROTO},
                {"help", no_argument, NULL, 'h'}, {0},
        };
        int index = 1, c;
        const char *proto = "tcp";
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case O_INDEX: index = atoi(optarg); break;
                case O_PROTO: proto = optarg; break;
                case 'h': cc__port_help(); return 0;
                default: return 1;
                }
        }
        if (argc - optind != 2) {
                fputs("\"ccompose port\" requires exactly 2 arguments: SERVICE PRIVATE_PORT\n", stderr);
                return 1;
        }
        const char *service = argv[optind];
        _cleanup_free_ char *priv = cc_xstrdup(argv[optind + 1]);
        char *slash = strchr(priv, '/'); /* "53/udp" */
        if (slash) {
                *slash = '\0';
                proto = slash + 1;
        }
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, (char **) &service, 1, &p, &st) != 0)
                return 1;
        _cleanup_free_ char *want = cc_xasprintf("->%s/%s", priv, proto);
        for (size_t i = 0; i < st->n_ctrs; i++) {
                struct cc_ctr_state *ct = &st->ctrs[i];
                if (ct->one_off || strcmp(ct->service, service) != 0 || ct->number != index)
                        continue;
                if (ct->status != CC_CTR_RUNNING && ct->status != CC_CTR_RESTARTING)
                        break;
                /* "127.0.0.1:8080->80/tcp, 0.0.0.0:49153->53/udp" */
                for (const char *s = ct->ports; s && *s;) {
                        size_t n = strcspn(s, ",");
                        _cleanup_free_ char *one = cc_xstrndup(s, n);
                        char *arrow = strstr(one, "->");
                        if (arrow && strcmp(arrow, want) == 0) {
                                *arrow = '\0';
                                puts(one);
                                return 0;
                        }
                        s += n;
                        while (*s == ',' || *s == ' ')
                                s++;
                }
                break;
        }
        fprintf(stderr, "no port %s/%s for container %s-%d\n", priv, proto, service, index);
        return 1;
}
