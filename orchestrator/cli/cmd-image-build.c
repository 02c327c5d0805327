/* `ccompose image build`: docker build's options over the builder. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "builder.h"
#include "cli.h"

static void build_usage(void)
{
        puts("Usage:  ccompose image build [OPTIONS] PATH\n"
             "\n"
             "Build an image from a Dockerfile\n"
             "\n"
             "Options:\n"
             "      --add-host list         Add a custom host-to-IP mapping (format: \"host:ip\")\n"
             "      --build-arg list        Set build-time variables\n"
             "      --build-context list    Additional build contexts (e.g., name=path, name=docker-image://ref)\n"
             "      --cache-from strings    Images to consider as cache sources\n"
             "  -f, --file string           Name of the Dockerfile (default: \"PATH/Dockerfile\")\n"
             "      --label list            Set metadata for an image\n"
             "      --no-cache              Do not use cache when building the image\n"
             "      --progress string       Set type of progress output (auto, plain, quiet) (default \"auto\")\n"
             "      --network string        Networking mode for the RUN instructions (default, none, host)\n"
             "      --pull                  Always attempt to pull a newer version of the image\n"
             "  -q, --quiet                 Suppress the build output and print image ID on success\n"
             "      --secret stringArray    Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\"\n"
             "                              or \"id=mysecret,env=VAR\")\n"
             "      --ssh stringArray       SSH agent socket to expose to the build (format:\n"
             "                              \"default|<id>[=<socket>]\")\n"
             "  -t, --tag list              Name and optionally a tag in the \"name:tag\" format\n"
             "      --target string         Set the target build stage to build");
}

/* -f relative to the working directory, as docker build takes it; "-":
 * the Dockerfile from standard input. */
static int dockerfile_opt(const char *f, struct cc_build_opts *o, char **inline_text, char **path)
{
        if (strcmp(f, "-") == 0) {
                struct cc_buf b = {0};
                char buf[4096];
                size_t n;
                while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
                        cc_buf_add(&b, buf, n);
                *inline_text = cc_buf_steal(&b);
                o->dockerfile_inline = *inline_text;
                return 0;
        }
        char real[PATH_MAX];
        if (!realpath(f, real)) {
                fprintf(stderr, "ERROR: failed to read dockerfile: open %s: %m\n", f);
                return -1;
        }
        *path = cc_xstrdup(real);
        o->dockerfile = *path;
        return 0;
}

/* --build-context NAME=VALUE: a directory (relative to the working
 * directory) made absolute; other values (docker-image://REF, and what
 * the builder refuses) as given. */
static int context_opt(const char *v, struct cc_strv *out)
{
        const char *eq = strchr(v, '=');
        if (!eq || eq == v || !eq[1]) {
                fprintf(stderr, "ERROR: invalid build context \"%s\": use name=path or name=docker-image://ref\n", v);
                return -1;
        }
        if (strstr(eq + 1, "://") || cc_startswith(eq + 1, "target:")) {
                cc_strv_push(out, v);
                return 0;
        }
        char real[PATH_MAX];
        if (!realpath(eq + 1, real)) {
                fprintf(stderr, "ERROR: failed to get build context %.*s: %s: %m\n", (int) (eq - v), v, eq + 1);
                return -1;
        }
        cc_strv_push_owned(out, cc_xasprintf("%.*s=%s", (int) (eq - v), v, real));
        return 0;
}

/* --secret id=ID[,src|source=FILE][,env=VAR][,type=file|env] */
static int secret_opt(const char *v, struct cc_strv *keep, struct cc_build_secret *s)
{
        _cleanup_free_ char *copy = cc_xstrdup(v);
        char *save = NULL;
        const char *type = NULL;
        *s = (struct cc_build_secret){0};
        for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(f, '=');
                if (!eq)
                        return -1;
                *eq = '\0';
                cc_strv_push(keep, eq + 1);
                const char *val = keep->v[keep->n - 1];
                if (strcmp(f, "id") == 0)
                        s->id = val;
                else if (strcmp(f, "src") == 0 || strcmp(f, "source") == 0)
                        s->file = val;
                else if (strcmp(f, "env") == 0)
                        s->env = val;
                else if (strcmp(f, "type") == 0)
                        type = val;
                else
                        return -1;
        }
        if (type && strcmp(type, "env") == 0 && !s->env && s->file) {
                s->env = s->file;
                s->file = NULL;
        }
        return s->id && *s->id ? 0 : -1;
}

int cc_cmd_image_build(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
                { "tag", required_argument, NULL, 't' },       { "file", required_argument, NULL, 'f' },
                { "build-arg", required_argument, NULL, 'A' }, { "target", required_argument, NULL, 'T' },
                { "no-cache", no_argument, NULL, 'N' },        { "pull", no_argument, NULL, 'P' },
                { "label", required_argument, NULL, 'L' },     { "progress", required_argument, NULL, 'p' },
                { "quiet", no_argument, NULL, 'q' },           { "help", no_argument, NULL, 'h' },
                { "secret", required_argument, NULL, 'S' },    { "network", required_argument, NULL, 'n' },
                { "add-host", required_argument, NULL, 'H' },  { "cache-from", required_argument, NULL, 'C' },
                { "build-context", required_argument, NULL, 'X' }, { "ssh", required_argument, NULL, 's' },
                { 0 },
        };
        struct cc_strv tags = {0}, args = {0}, labels = {0}, keep = {0}, hosts = {0}, cache_from = {0}, contexts = {0},
                      ssh = {0};
        struct cc_build_secret *secrets = NULL;
        size_t nsecrets = 0;
        struct cc_build_secret sec;
        struct cc_build_opts o = {.root = cli->root, .project = "build", .tags = &tags, .args = &args,
                                  .labels = &labels, .extra_hosts = &hosts, .cache_from = &cache_from,
                                  .additional_contexts = &contexts, .ssh = &ssh};
        const char *file = NULL, *progress = NULL;
        _cleanup_free_ char *inline_text = NULL, *dfpath = NULL;
        bool quiet = false;
        struct cc_error err = {0};
        int c, rc = 1;
        optind = 0;
        while ((c = getopt_long(argc, argv, "t:f:qh", longopts, NULL)) != -1) {
                switch (c) {
                case 't': cc_strv_push(&tags, optarg); break;
                case 'f': file = optarg; break;
                case 'A': cc_strv_push(&args, optarg); break;
                case 'L': cc_strv_push(&labels, optarg); break;
                case 'T': o.target = optarg; break;
                case 'N': o.no_cache = true; break;
                case 'P': o.pull = true; break;
                case 'q': quiet = true; break;
                case 'n': o.network = optarg; break;
                case 'H': cc_strv_push(&hosts, optarg); break;
                case 'C': cc_strv_push(&cache_from, optarg); break;
                case 'X':
                        if (context_opt(optarg, &contexts) < 0)
                                goto out;
                        break;
                case 's':
                        if (cc_build_ssh_check(optarg, &err) < 0) {
                                fprintf(stderr, "ERROR: %s\n", cc_error_msg(&err));
                                cc_error_clear(&err);
                                goto out;
                        }
                        cc_strv_push(&ssh, optarg);
                        break;
                case 'S':
                        if (secret_opt(optarg, &keep, &sec) < 0) {
                                fprintf(stderr, "ERROR: invalid secret \"%s\": use id=ID[,src=FILE] or id=ID,env=VAR\n",
                                        optarg);
                                goto out;
                        }
                        secrets = cc_xrealloc(secrets, (nsecrets + 1) * sizeof(*secrets));
                        secrets[nsecrets++] = sec;
                        break;
                case 'p':
                        if (strcmp(optarg, "quiet") == 0) {
                                quiet = true;
                        } else if (strcmp(optarg, "plain") && strcmp(optarg, "auto") && strcmp(optarg, "tty")) {
                                fprintf(stderr, "invalid progress type \"%s\": use auto, plain, tty or quiet\n",
                                        optarg);
                                goto out;
                        }
                        progress = optarg;
                        break;
                case 'h': build_usage(); rc = 0; goto out;
                default: goto out;
                }
        }
        if (argc - optind != 1) {
                fputs("ERROR: \"ccompose image build\" requires exactly 1 argument: PATH\n", stderr);
                goto out;
        }
        /* what docker build would fetch (its urlutil: a URL, or a git
         * address): nothing on this host reaches it */
        const char *arg = argv[optind];
        if (strstr(arg, "://") || cc_startswith(arg, "git@") || cc_startswith(arg, "github.com/")) {
                fprintf(stderr,
                        "ERROR: build context %s is a git repository or a remote tarball: ccompose builds from a "
                        "local directory only (this host reaches no network for it)\n",
                        arg);
                goto out;
        }
        char context[PATH_MAX];
        if (!realpath(arg, context)) {
                fprintf(stderr, "ERROR: unable to prepare context: path \"%s\" not found\n", arg);
                goto out;
        }
        o.context = context;
        o.progress = quiet                                ? CC_BUILD_PROGRESS_QUIET
                     : cc_cli_build_live(cli, progress ? progress : cli->progress) ? CC_BUILD_PROGRESS_TTY
                                                        : CC_BUILD_PROGRESS_PLAIN;
        o.secrets = secrets;
        o.nsecrets = nsecrets;
        if (file && dockerfile_opt(file, &o, &inline_text, &dfpath) < 0)
                goto out;
        char id[CC_DIGEST_LEN + 1];
        if (cc_build(&o, id, &err) < 0) {
                fprintf(stderr, "ERROR: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                goto out;
        }
        if (quiet)
                printf("%s\n", id);
        rc = 0;
out:
        free(secrets);
        cc_strv_free(&keep);
        cc_strv_free(&hosts);
        cc_strv_free(&cache_from);
        cc_strv_free(&contexts);
        cc_strv_free(&ssh);
        cc_strv_free(&tags);
        cc_strv_free(&args);
        cc_strv_free(&labels);
        return rc;
}
