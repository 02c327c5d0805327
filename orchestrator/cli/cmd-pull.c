/* `ccompose pull [SERVICE...]` (docker compose pull), `ccompose image pull
 * REF` (docker pull), `ccompose login` and `ccompose logout` (docker login
 * and logout, sharing Docker's config.json). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "dry-run.h"
#include "image-store.h"
#include "registry.h"

#define PASSWORD_MAX 4096

/* Redraw progress in place: a terminal, unless --ansi never. */
static bool fancy(const struct cc_cli *cli, int fd)
{
        if (cli->ansi == CC_ANSI_NEVER)
                return false;
        return cli->ansi == CC_ANSI_ALWAYS || isatty(fd);
}

/* ---- image pull ---- */

int cc_cmd_image_pull(struct cc_cli *cli, int argc, char **argv)
{
        const char *platform = NULL;
        bool quiet = false;
        static const struct option longopts[] = {
                { "platform", required_argument, NULL, 'P' }, { "quiet", no_argument, NULL, 'q' },
                { "all-tags", no_argument, NULL, 'a' },       { "disable-content-trust", no_argument, NULL, 'D' },
                { "help", no_argument, NULL, 'h' },           { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "qah", longopts, NULL)) != -1) {
                switch (c) {
                case 'P': platform = optarg; break;
                case 'q': quiet = true; break;
                case 'D': break;
                case 'a':
                        fputs("ccompose image pull: --all-tags is not supported; name each tag\n", stderr);
                        return 1;
                case 'h':
                        puts("Usage:  ccompose image pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
                             "Download an image from a registry (Docker Hub by default), with the\n"
                             "credentials of 'ccompose login' / 'docker login'\n\n"
                             "Options:\n"
                             "      --platform string   Set platform if server is multi-platform capable\n"
                             "                          (default: this host's, or $DOCKER_DEFAULT_PLATFORM)\n"
                             "  -q, --quiet             Suppress verbose output");
                        return 0;
                default:
                        return 1;
                }
        }
        if (argc - optind != 1) {
                fputs("\"ccompose image pull\" requires exactly 1 argument: NAME[:TAG|@DIGEST]\n", stderr);
                return 1;
        }
        struct cc_error err = {0};
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct cc_pull_display *d = quiet ? NULL : cc_pull_display_new(stdout, fancy(cli, STDOUT_FILENO), NULL);
        struct cc_pull_options o = {
                .ref = argv[optind],
                .platform = platform,
                .progress = d ? cc_pull_display_event : NULL,
                .progress_data = d,
        };
        struct cc_pull_result res;
        int rc = 0;
        if (cc_image_pull(s, &o, &res, &err) < 0) {
                fflush(stdout);
                fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                rc = 1;
        } else {
                printf("%s\n", res.ref);
        }
        cc_pull_result_free(&res);
        cc_pull_display_free(d);
        cc_image_store_close(s);
        fflush(stdout);
        return rc;
}

/* ---- compose pull ---- */

struct pull_opts {
        bool quiet, ignore_failures, include_deps, ignore_buildable;
        const char *policy; /* --policy missing|always, or NULL */
};

static void pull_usage(FILE *f)
{
        fputs("Usage:  ccompose pull [OPTIONS] [SERVICE...]\n\n"
              "Pull service images\n\n"
              "Options:\n"
              "      --ignore-buildable       Ignore images that can be built\n"
              "      --ignore-pull-failures   Pull what it can and ignores images with pull failures\n"
              "      --include-deps           Also pull services declared as dependencies\n"
              "      --policy string          Apply pull policy (\"missing\"|\"always\")\n"
              "  -q, --quiet                  Pull without printing progress information\n",
              f);
}

static bool image_present(struct cc_image_store *s, const char *ref)
{
        _cleanup_free_ char *id = NULL;
        return s && cc_image_index_load(s, NULL) == 0 && cc_image_resolve(s, ref, &id, NULL, NULL) == 0;
}

/* Pull one service's image; 0, or 1 after printing why it failed. A
 * service with a build: section whose image cannot be pulled goes to
 * must_build instead, as docker compose does. */
static int pull_service(struct cc_cli *cli, struct cc_image_store *s, const struct pull_opts *po, const char *name,
                        const struct cc_node *svc, struct cc_strv *pulled, struct cc_strv *must_build)
{
        const char *image = cc_node_map_str(svc, "image");
        FILE *out = cc_cli_status();
        if (!image) {
                if (!po->quiet)
                        fprintf(out, "%s Skipped - No image to be pulled\n", name);
                return 0;
        }
        const char *policy = po->policy ? po->policy : cc_node_map_str(svc, "pull_policy");
        if (policy && (strcmp(policy, "never") == 0 || strcmp(policy, "build") == 0)) {
                if (!po->quiet)
                        fprintf(out, "%s Skipped\n", name);
                return 0;
        }
        if (policy && (strcmp(policy, "missing") == 0 || strcmp(policy, "if_not_present") == 0) &&
            image_present(s, image)) {
                if (!po->quiet)
                        fprintf(out, "%s Skipped - Image is already present locally\n", name);
                return 0;
        }
        if (po->ignore_buildable && cc_node_map_get(svc, "build")) {
                if (!po->quiet)
                        fprintf(out, "%s Skipped - Image can be built\n", name);
                return 0;
        }
        _cleanup_free_ char *norm = cc_image_ref_normalize(image);
        const char *key = norm ? norm : image;
        for (size_t i = 0; i < pulled->n; i += 2)
                if (strcmp(pulled->v[i], key) == 0) {
                        if (!po->quiet)
                                fprintf(out, "%s Skipped - Image is already being pulled by %s\n", name,
                                        pulled->v[i + 1]);
                        return 0;
                }
        cc_strv_push(pulled, key);
        cc_strv_push(pulled, name);
        if (cli->dry_run) {
                if (!po->quiet) {
                        cc_cli_dry("%s Pulling", name);
                        cc_cli_dry("%s Pulled", name);
                }
                return 0;
        }
        struct cc_pull_display *d = po->quiet ? NULL : cc_pull_display_new(out, fancy(cli, fileno(out)), name);
        struct cc_pull_options o = {
                .ref = image,
                .platform = cc_node_map_str(svc, "platform"),
                .progress = d ? cc_pull_display_event : NULL,
                .progress_data = d,
        };
        struct cc_pull_result res;
        struct cc_error err = {0};
        int r = cc_image_pull(s, &o, &res, &err);
        cc_pull_result_free(&res);
        cc_pull_display_free(d);
        if (r < 0 && cc_node_map_get(svc, "build")) {
                /* an image that can be built: said, not a failure */
                fprintf(stderr, "warning: service %s: %s\n", name, cc_error_msg(&err));
                cc_error_clear(&err);
                cc_strv_push(must_build, name);
                return 0;
        }
        if (r < 0) {
                fprintf(stderr, "%s service %s: %s\n", po->ignore_failures ? "warning:" : "Error:", name,
                        cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

int cc_cmd_pull(struct cc_cli *cli, int argc, char **argv)
{
        struct pull_opts po = {0};
        static const struct option longopts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "ignore-pull-failures", no_argument, NULL, 'I' },
                { "include-deps", no_argument, NULL, 'd' },
                { "ignore-buildable", no_argument, NULL, 'B' },
                { "policy", required_argument, NULL, 'P' },
                { "parallel", no_argument, NULL, 'L' },
                { "no-parallel", no_argument, NULL, 'N' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
                switch (c) {
                case 'q': po.quiet = true; break;
                case 'I': po.ignore_failures = true; break;
                case 'd': po.include_deps = true; break;
                case 'B': po.ignore_buildable = true; break;
                case 'L':
                case 'N': break;
                case 'P':
                        if (strcmp(optarg, "missing") != 0 && strcmp(optarg, "always") != 0) {
                                fprintf(stderr, "invalid --policy \"%s\": use missing or always\n", optarg);
                                return 1;
                        }
                        po.policy = optarg;
                        break;
                case 'h':
                        pull_usage(stdout);
                        return 0;
                default:
                        return 1;
                }
        }
        _cleanup_project_ struct cc_project *p = NULL;
        if (cc_cli_load_project(cli, &p))
                return 1;
        struct cc_node *services = cc_project_services(p);
        bool *sel;
        int rc = cc_cli_select_services(p, argv + optind, argc - optind, po.include_deps, &sel);
        struct cc_image_store *s = NULL;
        if (rc == 0 && cli->dry_run)
                s = cc_dry_store(cli);
        else if (rc == 0 && cc_cli_open_store(cli, &s))
                rc = 1;
        struct cc_strv pulled = {0}, must_build = {0};
        int failed = 0;
        for (size_t i = 0; rc == 0 && i < services->n; i++) {
                const char *name = cc_node_key(services, i);
                ssize_t gi = cc_graph_index(&p->graph, name);
                if (gi < 0 || !sel[gi])
                        continue;
                failed += pull_service(cli, s, &po, name, services->items[i], &pulled, &must_build);
        }
        if (must_build.n) {
                fputs("WARNING: Some service image(s) must be built from source by running:\n    ccompose build", stderr);
                for (size_t i = 0; i < must_build.n; i++)
                        fprintf(stderr, " %s", must_build.v[i]);
                fputc('\n', stderr);
        }
        cc_strv_free(&must_build);
        if (failed && !po.ignore_failures)
                rc = 1;
        cc_strv_free(&pulled);
        free(sel);
        cc_image_store_close(s);
        return rc;
}

/* ---- login / logout ---- */

static void login_usage(FILE *f)
{
        fputs("Usage:  ccompose login [OPTIONS] [SERVER]\n\n"
              "Log in to a registry (Docker Hub when no server is given); the credentials go to\n"
              "Docker's config.json ($DOCKER_CONFIG or ~/.docker), shared with docker login\n\n"
              "Options:\n"
              "  -p, --password string   Password\n"
              "      --password-stdin    Take the password from stdin\n"
              "  -u, --username string   Username\n",
              f);
}

/* A line from the terminal; without echo when secret. */
static char *prompt(const char *what, bool secret)
{
        fprintf(stderr, "%s: ", what);
        fflush(stderr);
        struct termios old, quiet;
        bool restore = false;
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
                quiet = old;
                quiet.c_lflag &= (tcflag_t) ~ECHO;
                restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline(&line, &cap, stdin);
        if (restore) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
                fputc('\n', stderr);
        }
        if (n < 0) {
                free(line);
                return NULL;
        }
        line[strcspn(line, "\r\n")] = '\0';
        return line;
}

static char *read_stdin_password(void)
{
        struct cc_buf b = {0};
        char buf[512];
        for (;;) {
                ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || b.len + (size_t) n > PASSWORD_MAX)
                        break;
                cc_buf_add(&b, buf, (size_t) n);
        }
        explicit_bzero(buf, sizeof(buf));
        char *s = cc_buf_steal(&b);
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
                s[--len] = '\0';
        return s;
}

int cc_cmd_login(struct cc_cli *cli, int argc, char **argv)
{
        const char *user = NULL, *pass_arg = NULL;
        bool pass_stdin = false;
        static const struct option longopts[] = {
                { "username", required_argument, NULL, 'u' }, { "password", required_argument, NULL, 'p' },
                { "password-stdin", no_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "u:p:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'u': user = optarg; break;
                case 'p': pass_arg = optarg; break;
                case 'S': pass_stdin = true; break;
                case 'h':
                        login_usage(stdout);
                        return 0;
                default:
                        return 1;
                }
        }
        if (argc - optind > 1) {
                login_usage(stderr);
                return 1;
        }
        const char *server = optind < argc ? argv[optind] : NULL;
        _cleanup_free_ char *key = cc_registry_server_key(server);
        if (!key) {
                fprintf(stderr, "Error: invalid registry server \"%s\"\n", server);
                return 1;
        }
        if (pass_arg && pass_stdin) {
                fputs("Error: --password and --password-stdin are mutually exclusive\n", stderr);
                return 1;
        }
        if (pass_stdin && !user) {
                fputs("Error: Must provide --username with --password-stdin\n", stderr);
                return 1;
        }
        if (pass_arg)
                fputs("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n", stderr);
        _cleanup_free_ char *owned_user = NULL, *pass = NULL;
        if (!user || (!pass_arg && !pass_stdin)) {
                if (!isatty(STDIN_FILENO)) {
                        fputs("Error: Cannot perform an interactive login from a non TTY device\n", stderr);
                        return 1;
                }
                if (!user) {
                        owned_user = prompt("Username", false);
                        user = owned_user;
                }
        }
        if (!user || !*user) {
                fputs("Error: Username is required\n", stderr);
                return 1;
        }
        pass = pass_stdin ? read_stdin_password() : pass_arg ? cc_xstrdup(pass_arg) : prompt("Password", true);
        if (!pass || !*pass) {
                fputs("Error: Password is required\n", stderr);
                return 1;
        }
        struct cc_error err = {0};
        int rc = 0;
        if (cc_registry_login_check(key, user, pass, &err) < 0) {
                fprintf(stderr, "Error: login to %s failed: %s\n", key, cc_error_msg(&err));
                rc = 1;
        } else if (cc_registry_credentials_store(key, user, pass, &err) < 0) {
                fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                rc = 1;
        } else {
                _cleanup_free_ char *path = cc_registry_config_path();
                fprintf(stderr, "WARNING! Your password will be stored unencrypted in %s.\n", path);
                puts("Login Succeeded");
        }
        cc_error_clear(&err);
        explicit_bzero(pass, strlen(pass));
        return rc;
}

int cc_cmd_logout(struct cc_cli *cli, int argc, char **argv)
{
        if (cc_cli_wants_help(argc, argv)) {
                puts("Usage:  ccompose logout [SERVER]\n\n"
                     "Log out from a registry (Docker Hub when no server is given)");
                return 0;
        }
        if (argc > 2) {
                fputs("\"ccompose logout\" accepts at most 1 argument: [SERVER]\n", stderr);
                return 1;
        }
        const char *server = argc == 2 ? argv[1] : NULL;
        _cleanup_free_ char *key = cc_registry_server_key(server);
        if (!key) {
                fprintf(stderr, "Error: invalid registry server \"%s\"\n", server);
                return 1;
        }
        struct cc_error err = {0};
        int r = cc_registry_credentials_erase(key, &err);
        if (r < 0) {
                fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        if (r == 0)
                printf("Not logged in to %s\n", key);
        else
                printf("Removing login credentials for %s\n", key);
        return 0;
}
