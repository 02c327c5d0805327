/* ccompose build [SERVICE...]: the images of the services that have a
 * build: section, as docker compose build builds them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "support.h"

static void cc__build_help(void)
{
        puts("Usage:  ccompose build [OPTIONS] [SERVICE...]\n\n"
             "Build or rebuild services\n\n"
             "Options:\n"
             "      --build-arg stringArray   Set build-time variables for services\n"
             "      --no-cache                Do not use cache when building the image\n"
             "      --progress string         Set type of progress output (auto, tty, plain, quiet) (default \"auto\")\n"
             "      --pull                    Always attempt to pull a newer version of the image\n"
             "      --push                    Push service images\n"
             "  -q, --quiet                   Don't print anything to STDOUT\n"
             "      --with-dependencies       Also build dependencies (transitively)");
}

/* The build: keys the builder does not apply (support.c), one WARN line
 * each, as up prints them; the rest of the service is not built here. */
static void cc__build_warning(const struct cc_support_rule *r, const char *msg, void *data)
{
        (void) data;
        if (cc_startswith(r->path, "services.*.build."))
                fprintf(stderr, "WARN[0000] %s\n", msg);
}

bool cc_cli_build_live(const struct cc_cli *cli, const char *progress)
{
        if (cli->ansi == CC_ANSI_NEVER || (progress && !cc_streq(progress, "auto") && !cc_streq(progress, "tty")))
                return false;
        return (progress && cc_streq(progress, "tty")) || isatty(STDERR_FILENO);
}

void cc_cli_build_flags(const struct cc_cli *cli, struct cc_build_flags *f)
{
        f->quiet = cc_streq(cli->progress, "quiet");
        f->tty = cc_cli_build_live(cli, cli->progress);
}

int cc_cmd_build(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_ARG = 1000, O_NOCACHE, O_PROGRESS, O_PULL, O_PUSH, O_DEPS };
        static const struct option longopts[] = {
                {"build-arg", required_argument, NULL, O_ARG},
                {"no-cache", no_argument, NULL, O_NOCACHE},
                {"progress", required_argument, NULL, O_PROGRESS},
                {"pull", no_argument, NULL, O_PULL},
                {"push", no_argument, NULL, O_PUSH},
                {"quiet", no_argument, NULL, 'q'},
                {"with-dependencies", no_argument, NULL, O_DEPS},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct cc_build_flags f = {0};
        struct cc_strv args = {0}, built = {0};
        bool deps = false, push = false;
        int c, rc = 1;
        cc_cli_build_flags(cli, &f);
        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
                switch (c) {
                case O_ARG: cc_strv_push(&args, optarg); break;
                case O_NOCACHE: f.no_cache = true; break;
                case O_PROGRESS:
                        if (cc_cli_progress_check(optarg) < 0)
                                goto out;
                        f.quiet = strcmp(optarg, "quiet") == 0;
                        f.tty = cc_cli_build_live(cli, optarg);
                        break;
                case O_PULL: f.pull = true; break;
                case O_PUSH: push = true; break;
                case 'q': f.quiet = true; break;
                case O_DEPS: deps = true; break;
                case 'h': cc__build_help(); rc = 0; goto out;
                default: goto out;
                }
        }
        f.build_args = &args;
        {
                _cleanup_project_ struct cc_project *p = NULL;
                if (cc_cli_load_project(cli, &p) != 0)
                        goto out;
                _cleanup_free_ bool *sel = NULL;
                if (cc_cli_select_services(p, argv + optind, argc - optind, deps, &sel) != 0)
                        goto out;
                struct cc_strv names = {0};
                for (size_t i = 0; i < p->graph.n; i++)
                        if (sel[i])
                                cc_strv_push(&names, p->graph.names[i]);
                cc_support_check(p, &names, cc__build_warning, NULL);
                cc_strv_free(&names);
                rc = cc_project_build(cli, p, sel, false, &f, &built);
                /* --push: then the image: (and build.tags) of each service
                 * that has both, as compose push pushes them */
                if (rc == 0 && push)
                        rc = cc_push_services(cli, p, sel, &(struct cc_push_request){.quiet = f.quiet});
        }
out:
        cc_strv_free(&args);
        cc_strv_free(&built);
        return rc;
}
