/* The ccompose command line: global options as docker compose has them,
 * then a command from the table. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"
#include "support.h"
#include "image-cmd.h"
#include "image-store.h"

/* What a command does with --dry-run: R reads only (the flag changes
 * nothing), P prints what it would do and does none of it, X changes
 * things it cannot show beforehand and refuses the flag. */
#define R CC_DRY_READS
#define P CC_DRY_PLANS
#define X CC_DRY_REFUSES

static const struct cc_cmd cc__commands[] = {
        {"attach", cc_cmd_attach, "Attach local standard input, output, and error streams to a service's running container", X},
        {"build", cc_cmd_build, "Build or rebuild services", X},
        {"completion", cc_cmd_completion, "Print the shell completion script (bash, zsh, fish)", R},
        {"config", cc_cmd_config, "Parse, resolve and render compose file in canonical format", R},
        {"cp", cc_cmd_cp, "Copy files/folders between a service container and the local filesystem", P},
        {"create", cc_cmd_create, "Creates containers for a service", P},
        {"down", cc_cmd_down, "Stop and remove containers, networks", P},
        {"events", cc_cmd_events, "Receive real time events from containers", R},
        {"exec", cc_cmd_exec, "Execute a command in a running container", X},
        {"image", cc_cmd_image, "Manage images: build, load, save, import, ls, rm, inspect, tag, pull, push", X},
        {"images", cc_cmd_images, "List images used by the created containers", R},
        {"kill", cc_cmd_kill, "Force stop service containers", P},
        {"login", cc_cmd_login, "Log in to a registry", X},
        {"logout", cc_cmd_logout, "Log out from a registry", X},
        {"logs", cc_cmd_logs, "View output from containers", R},
        {"ls", cc_cmd_ls, "List running compose projects", R},
        {"pause", cc_cmd_pause, "Pause services", P},
        {"port", cc_cmd_port, "Print the public port for a port binding", R}, /* network */
        {"ps", cc_cmd_ps, "List containers", R},
        {"pull", cc_cmd_pull, "Pull service images", P},
        {"push", cc_cmd_push, "Push service images", X},
        {"restart", cc_cmd_restart, "Restart service containers", P},
        {"rm", cc_cmd_rm, "Removes stopped service containers", P},
        {"run", cc_cmd_run, "Run a one-off command on a service", P},
        {"start", cc_cmd_start, "Start services", P},
        {"stats", cc_cmd_stats, "Display a live stream of container(s) resource usage statistics", R},
        {"stop", cc_cmd_stop, "Stop services", P},
        {"system", cc_cmd_system, "Manage ccompose: serve the Docker Engine API (system service)", X},
        {"top", cc_cmd_top, "Display the running processes", R},
        {"unpause", cc_cmd_unpause, "Unpause services", P},
        {"up", cc_cmd_up, "Create and start containers", P},
        {"version", cc_cmd_version, "Show the ccompose version information", R},
        {"wait", cc_cmd_wait, "Block until containers of all (or specified) services stop", R},
        {"watch", cc_cmd_watch, "Watch build context for service and rebuild/refresh containers when files are updated", X},
};
#undef R
#undef P
#undef X

void cc_cli_command_names(struct cc_strv *out)
{
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__commands); i++)
                cc_strv_push(out, cc__commands[i].name);
}

static void cc__usage(FILE *f)
{
        fputs("Usage:  ccompose [OPTIONS] COMMAND\n"
              "\n"
              "Define and run multi-container applications, without Docker.\n"
              "\n"
              "Options:\n"
              "      --ansi string                Control when to print ANSI control characters\n"
              "                                   (\"never\"|\"always\"|\"auto\") (default \"auto\")\n"
              "      --dry-run                    Execute command in dry run mode\n"
              "      --env-file stringArray       Specify an alternate environment file\n"
              "  -f, --file stringArray           Compose configuration files\n"
              "      --profile stringArray        Specify a profile to enable\n"
              "      --progress string            Set type of progress output (auto, tty, plain, json, quiet)\n"
              "      --project-directory string   Specify an alternate working directory\n"
              "                                   (default: the path of the, first specified, Compose file)\n"
              "  -p, --project-name string        Project name\n"
              "  -v, --version                    Show the ccompose version information\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__commands); i++)
                fprintf(f, "  %-10s %s\n", cc__commands[i].name, cc__commands[i].summary);
        fputs("\nRun 'ccompose COMMAND --help' for more information on a command.\n", f);
}

bool cc_cli_wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        return false;
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
                        return true;
        }
        return false;
}

bool cc_cli_color(const struct cc_cli *cli, int fd)
{
        if (cli->ansi == CC_ANSI_NEVER)
                return false;
        if (cli->ansi == CC_ANSI_ALWAYS)
                return true;
        const char *nc = getenv("NO_COLOR");
        if (nc && *nc)
                return false;
        return isatty(fd);
}

int cc_cli_parse_index(const char *arg, int *out)
{
        char *end;
        long v = strtol(arg, &end, 10);
        if (end == arg || *end || v < 1 || v > 1000000) {
                fprintf(stderr, "invalid --index \"%s\": a replica number, 1 or more\n", arg);
                return 1;
        }
        *out = (int) v;
        return 0;
}

int cc_cli_parse_bool_flag(const char *flag, const char *arg, bool *out)
{
        static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
        static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
        for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
                if (!arg || strcmp(arg, yes[i]) == 0)
                        return *out = true, 0;
                if (strcmp(arg, no[i]) == 0)
                        return *out = false, 0;
        }
        fprintf(stderr, "invalid argument \"%s\" for \"--%s\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax\n",
                arg, flag, arg);
        return 1;
}

void cc_cli_print_warnings(const struct cc_project *p)
{
        for (size_t i = 0; p && i < p->warnings.n; i++)
                fprintf(stderr, "WARN[0000] %s\n", p->warnings.v[i]);
}

void cc_cli_print_support_warnings(const struct cc_project *p, const struct cc_strv *services, bool no_deps)
{
        struct cc_strv sel = {0}, out = {0};
        if (services && services->n) {
                const struct cc_graph *g = &p->graph;
                bool *picked = cc_xcalloc(g->n + 1, sizeof(bool));
                cc_graph_select(g, services, no_deps, picked);
                for (size_t i = 0; i < g->n; i++)
                        if (picked[i])
                                cc_strv_push(&sel, g->names[i]);
                free(picked);
        }
        cc_support_warnings(p, services && services->n ? &sel : NULL, &out);
        for (size_t i = 0; i < out.n; i++)
                fprintf(stderr, "WARN[0000] %s\n", out.v[i]);
        cc_strv_free(&sel);
        cc_strv_free(&out);
}

int cc_cli_load_project(struct cc_cli *cli, struct cc_project **out)
{
        struct cc_error err = {0};
        int r = cc_project_load(&cli->load, out, &err);
        if (r < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        cc_cli_print_warnings(*out);
        return 0;
}

int cc_cli_open_store(struct cc_cli *cli, struct cc_image_store **s)
{
        struct cc_error err = {0};
        if (cc_image_store_open(cli->root, s, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

int cc_cli_select_services(struct cc_project *p, char **services, int n, bool with_deps, bool **sel)
{
        struct cc_node *all = cc_project_services(p);
        struct cc_strv want = {0};
        int rc = 0;
        *sel = cc_xcalloc(p->graph.n + 1, sizeof(bool));
        for (int i = 0; i < n; i++) {
                if (!cc_node_map_get(all, services[i])) {
                        fprintf(stderr, "no such service: %s\n", services[i]);
                        rc = 1;
                }
                cc_strv_push(&want, services[i]);
        }
        if (rc == 0 && want.n) {
                cc_graph_select(&p->graph, &want, !with_deps, *sel);
        } else {
                for (size_t i = 0; i < p->graph.n; i++)
                        (*sel)[i] = true;
        }
        cc_strv_free(&want);
        return rc;
}

int cc_cli_load_project_state(struct cc_cli *cli, char **services, int n, struct cc_project **p,
                              struct cc_state **st)
{
        if (cc_cli_load_project(cli, p) != 0)
                return 1;
        for (int i = 0; i < n; i++)
                if (!cc_node_map_get(cc_project_services(*p), services[i])) {
                        fprintf(stderr, "no such service: %s\n", services[i]);
                        return 1;
                }
        struct cc_error err = {0};
        if (cc_state_load(cli->runtime_dir, (*p)->name, st, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

int cc_cli_lock_state(struct cc_cli *cli, const char *project, struct cc_state **st)
{
        struct cc_error err = {0};
        int lock = cc_state_lock(cli->runtime_dir, project, false, &err);
        if (lock >= 0 && cc_state_load(cli->runtime_dir, project, st, &err) < 0) {
                cc_state_unlock(lock);
                lock = -1;
        }
        if (lock < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
        }
        return lock;
}

int cc_cmd_version(struct cc_cli *cli, int argc, char **argv)
{
        bool shrt = false;
        const char *format = NULL;
        static const struct option longopts[] = {
                {"short", no_argument, NULL, 's'},
                {"format", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
                switch (c) {
                case 's':
                        shrt = true;
                        break;
                case 'f':
                        format = optarg;
                        break;
                case 'h':
                        puts("Usage:  ccompose version [OPTIONS]\n\nShow the ccompose version information\n\n"
                             "Options:\n  -f, --format string   Format the output. Values: [pretty | json]\n"
                             "      --short           Shows only ccompose's version number");
                        return 0;
                default:
                        return 1;
                }
        }
        if (shrt)
                puts(CC_VERSION);
        else if (format && strcmp(format, "json") == 0)
                printf("{\"version\":\"%s\"}\n", CC_VERSION);
        else
                printf("ccompose version %s\n", CC_VERSION);
        return 0;
}

/* -p NAME (else COMPOSE_PROJECT_NAME) is checked before any command runs:
 * the name becomes a path under the runtime dir, and some commands (down)
 * use it without loading a compose file. The loader checks names from a
 * .env file and `name:` the same way. */
static int cc__check_project_name(const struct cc_cli *cli)
{
        const char *name = cli->load.project_name;
        if (!name || !*name)
                name = getenv("COMPOSE_PROJECT_NAME");
        if (!name || !*name)
                return 0;
        struct cc_error err = {0};
        if (cc_state_check_name(name, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

bool cc_cli_env_bool(const char *name)
{
        const char *v = getenv(name);
        return v && (strcmp(v, "1") == 0 || strcasecmp(v, "t") == 0 || strcasecmp(v, "true") == 0);
}

FILE *cc_cli_status(void)
{
        return cc_cli_env_bool("COMPOSE_STATUS_STDOUT") ? stdout : stderr;
}

void cc_cli_dry(const char *fmt, ...)
{
        FILE *f = cc_cli_status();
        va_list ap;
        va_start(ap, fmt);
        fputs(" DRY-RUN MODE - ", f);
        vfprintf(f, fmt, ap);
        fputc('\n', f);
        va_end(ap);
        fflush(f);
}


static int cc__parse_ansi(const char *v, enum cc_ansi *out)
{
        if (strcmp(v, "never") == 0)
                *out = CC_ANSI_NEVER;
        else if (strcmp(v, "always") == 0)
                *out = CC_ANSI_ALWAYS;
        else if (strcmp(v, "auto") == 0)
                *out = CC_ANSI_AUTO;
        else
                return -1;
        return 0;
}

/* --progress and COMPOSE_PROGRESS: one of docker compose's modes (the
 * output is plain lines whichever is named). */
static int cc__check_progress(const char *v, const char *what)
{
        static const char *const modes[] = {"auto", "tty", "plain", "json", "quiet"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(modes); i++)
                if (strcmp(v, modes[i]) == 0)
                        return 0;
        fprintf(stderr, "unsupported %s value \"%s\": use auto, tty, plain, json or quiet\n", what, v);
        return 1;
}

int cc_cli_progress_check(const char *v)
{
        return cc__check_progress(v, "--progress") != 0 ? -1 : 0;
}

/* The environment variables docker compose reads for its global options,
 * each used only where the flag was not given: COMPOSE_ANSI (--ansi),
 * COMPOSE_ENV_FILES (--env-file, comma separated), COMPOSE_PARALLEL_LIMIT
 * (--parallel: checked, then, like the flag, without effect),
 * COMPOSE_PROGRESS (--progress: checked; quiet keeps the builder
 * silent). COMPOSE_FILE,
 * COMPOSE_PATH_SEPARATOR, COMPOSE_PROFILES and COMPOSE_PROJECT_NAME are the
 * loader's; COMPOSE_REMOVE_ORPHANS and COMPOSE_IGNORE_ORPHANS up's;
 * COMPOSE_STATUS_STDOUT cc_cli_status()'s. COMPOSE_MENU and
 * COMPOSE_COMPATIBILITY are accepted as docker compose takes them, and
 * change nothing: ccompose has no navigation menu, and no v1 names. */
static int cc__global_env(struct cc_cli *cli, bool ansi_given, bool parallel_given, bool progress_given)
{
        const char *v = getenv("COMPOSE_ANSI");
        if (!ansi_given && v && *v && cc__parse_ansi(v, &cli->ansi) < 0) {
                fprintf(stderr, "invalid COMPOSE_ANSI value \"%s\": use never, always or auto\n", v);
                return 1;
        }
        v = getenv("COMPOSE_ENV_FILES");
        if (cli->load.env_files.n == 0 && v && *v) {
                _cleanup_free_ char *dup = cc_xstrdup(v);
                for (char *save = NULL, *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                        cc_strv_push(&cli->load.env_files, tok);
        }
        v = getenv("COMPOSE_PROGRESS");
        if (!progress_given && v && *v)
                cli->progress = v;
        if (!progress_given && v && *v && cc__check_progress(v, "COMPOSE_PROGRESS") != 0)
                return 1;
        v = getenv("COMPOSE_PARALLEL_LIMIT");
        if (!parallel_given && v) {
                char *end;
                errno = 0;
                long n = strtol(v, &end, 10);
                if (!*v || *end || errno || n != (int) n) {
                        fprintf(stderr, "COMPOSE_PARALLEL_LIMIT must be an integer (found: \"%s\")\n", v);
                        return 1;
                }
        }
        return 0;
}

static void cc__cli_free(struct cc_cli *cli)
{
        cc_strv_free(&cli->load.files);
        cc_strv_free(&cli->load.env_files);
        cc_strv_free(&cli->load.profiles);
        cc_strv_free(&cli->argv);
}

/* The docker CLI plugin protocol: the docker CLI asks a plugin binary
 * (cli-plugins/docker-compose) for its metadata with
 * `docker-compose docker-cli-plugin-metadata`, and runs `docker compose
 * ARGS` as `docker-compose compose ARGS` with
 * DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND set. */
static bool cc__plugin_metadata(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "docker-cli-plugin-metadata") != 0)
                return false;
        printf("{\"SchemaVersion\":\"0.1.0\",\"Vendor\":\"ccompose\",\"Version\":\"%s\","
               "\"ShortDescription\":\"Docker Compose (ccompose: without Docker)\"}\n",
               CC_VERSION);
        return true;
}

static bool cc__run_as_plugin(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "compose") != 0)
                return false;
        const char *orig = getenv("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND");
        const char *base = strrchr(argv[0], '/');
        base = base ? base + 1 : argv[0];
        return (orig && *orig) || strcmp(base, "docker-compose") == 0;
}

/* --dry-run is a global flag that docker compose (cobra) also takes after
 * the command: taken out of the command's arguments, up to "--" (for run
 * and exec, up to the service name: what follows is the command's).
 * Returns the new argument count. */
static int cc__take_dry_run(struct cc_cli *cli, const char *name, int argc, char **argv)
{
        bool to_service = strcmp(name, "run") == 0 || strcmp(name, "exec") == 0;
        int n = 1;
        for (int i = 1; i < argc; i++) {
                bool stop = strcmp(argv[i], "--") == 0 || (to_service && argv[i][0] != '-');
                if (stop) {
                        memmove(argv + n, argv + i, (size_t) (argc - i) * sizeof(*argv));
                        return n + argc - i;
                }
                if (strcmp(argv[i], "--dry-run") == 0)
                        cli->dry_run = true;
                else
                        argv[n++] = argv[i];
        }
        argv[n] = NULL;
        return n;
}

/* May the command run with --dry-run? `image ls` and `image inspect` only
 * read; the other image commands change the store. */
static bool cc__dry_run_ok(const struct cc_cmd *cmd, int argc, char **argv)
{
        if (cmd->fn == cc_cmd_image)
                return argc > 1 && (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0 ||
                                    strcmp(argv[1], "inspect") == 0);
        return cmd->dry != CC_DRY_REFUSES;
}

int cc_cli_main(int argc, char **argv)
{
        if (cc__plugin_metadata(argc, argv))
                return 0;
        if (cc__run_as_plugin(argc, argv)) {
                /* drop "compose": argv[1] becomes the program name */
                argv[1] = argv[0];
                argv++;
                argc--;
        }

        struct cc_cli cli = {0};
        static const struct option longopts[] = {
                {"file", required_argument, NULL, 'f'},
                {"project-name", required_argument, NULL, 'p'},
                {"project-directory", required_argument, NULL, 'D'},
                {"env-file", required_argument, NULL, 'E'},
                {"profile", required_argument, NULL, 'P'},
                {"ansi", required_argument, NULL, 'A'},
                {"no-ansi", no_argument, NULL, 'N'},
                {"parallel", required_argument, NULL, 'L'},
                {"progress", required_argument, NULL, 'G'},
                {"compatibility", no_argument, NULL, 'C'},
                {"dry-run", no_argument, NULL, 'R'},
                {"version", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int c, rc = 0;
        bool ansi_given = false, parallel_given = false, progress_given = false;
        for (int i = 0; i < argc; i++) /* before getopt reorders it */
                cc_strv_push(&cli.argv, argv[i]);

        cli.root = getenv("CCOMPOSE_ROOT");
        if (!cli.root || !*cli.root)
                cli.root = "/var/lib/ccompose";
        cli.runtime_dir = getenv("CCOMPOSE_RUNTIME_DIR");
        if (!cli.runtime_dir || !*cli.runtime_dir)
                cli.runtime_dir = "/run/ccompose";

        opterr = 1;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+f:p:vh", longopts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        cc_strv_push(&cli.load.files, optarg);
                        break;
                case 'p':
                        cli.load.project_name = optarg;
                        break;
                case 'D':
                        cli.load.project_dir = optarg;
                        break;
                case 'E':
                        cc_strv_push(&cli.load.env_files, optarg);
                        break;
                case 'P':
                        cc_strv_push(&cli.load.profiles, optarg);
                        break;
                case 'A':
                        if (cc__parse_ansi(optarg, &cli.ansi) < 0) {
                                fprintf(stderr, "invalid --ansi value \"%s\": use never, always or auto\n", optarg);
                                rc = 1;
                                goto out;
                        }
                        ansi_given = true;
                        break;
                case 'N':
                        cli.ansi = CC_ANSI_NEVER;
                        ansi_given = true;
                        break;
                case 'L':
                        parallel_given = true;
                        break;
                case 'G':
                        if (cc__check_progress(optarg, "--progress") != 0) {
                                rc = 1;
                                goto out;
                        }
                        progress_given = true;
                        cli.progress = optarg;
                        break;
                case 'C':
                        break;
                case 'R':
                        cli.dry_run = true;
                        break;
                case 'v':
                        rc = cc_cmd_version(&cli, 1, (char *[]){"version", NULL});
                        goto out;
                case 'h':
                        cc__usage(stdout);
                        goto out;
                default:
                        fputs("Run 'ccompose --help' for usage.\n", stderr);
                        rc = 1;
                        goto out;
                }
        }
        if (cc__global_env(&cli, ansi_given, parallel_given, progress_given) != 0 || cc__check_project_name(&cli) != 0) {
                rc = 1;
                goto out;
        }
        if (optind >= argc) {
                cc__usage(stderr);
                rc = 1;
                goto out;
        }
        const char *name = argv[optind];
        cli.command_index = optind;
        if (strcmp(name, "__nsexec") == 0) {
                rc = cc_cmd_nsexec(&cli, argc - optind, argv + optind);
                goto out;
        }
        if (strcmp(name, "help") == 0) {
                cc__usage(stdout);
                goto out;
        }
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__commands); i++) {
                if (strcmp(cc__commands[i].name, name) != 0)
                        continue;
                int n = cc__take_dry_run(&cli, name, argc - optind, argv + optind);
                if (cli.dry_run && !cc__dry_run_ok(&cc__commands[i], n, argv + optind)) {
                        fprintf(stderr, "ccompose %s: --dry-run is not supported by this command: it would change "
                                        "things without saying what\n", name);
                        rc = 1;
                        goto out;
                }
                rc = cc__commands[i].fn(&cli, n, argv + optind);
                goto out;
        }
        fprintf(stderr, "unknown command \"%s\" for \"ccompose\"\nRun 'ccompose --help' for usage.\n", name);
        rc = 1;
out:
        cc__cli_free(&cli);
        return rc;
}
