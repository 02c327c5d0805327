/* ccompose config: the normalised model, as docker compose config prints it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "variables.h"

static void cc__config_help(void)
{
        puts("Usage:  ccompose config [OPTIONS] [SERVICE...]\n"
             "\n"
             "Parse, resolve and render compose file in canonical format\n"
             "\n"
             "Options:\n"
             "      --format string      Format the output. Values: [yaml | json] (default \"yaml\")\n"
             "      --hash string        Print the service config hash, one per line (SERVICE[,SERVICE] or \"*\")\n"
             "      --images             Print the image names, one per line\n"
             "      --no-interpolate     Don't interpolate environment variables\n"
             "      --no-path-resolution Don't resolve file paths\n"
             "      --no-normalize       Don't normalize compose model\n"
             "      --no-env-resolution  Don't resolve service env files\n"
             "      --no-consistency     Don't check model consistency - warning: may produce invalid Compose output\n"
             "      --variables          Print model variables and default values\n"
             "  -o, --output string      Save to file (default to stdout)\n"
             "      --profiles           Print the profile names, one per line\n"
             "  -q, --quiet              Only validate the configuration, don't print anything\n"
             "      --services           Print the service names, one per line\n"
             "      --volumes            Print the volume names, one per line\n"
             "      --networks           Print the network names, one per line\n"
             "      --environment        Print the environment used for interpolation");
}

static int cc__strcmpp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void cc__sorted_keys(const struct cc_node *map, struct cc_strv *out)
{
        for (size_t i = 0; cc_node_is_map(map) && i < map->n; i++)
                cc_strv_push(out, cc_node_key(map, i));
        if (out->n)
                qsort(out->v, out->n, sizeof(char *), cc__strcmpp);
}

static void cc__print_lines(struct cc_buf *b, const struct cc_strv *lines)
{
        for (size_t i = 0; i < lines->n; i++)
                cc_buf_printf(b, "%s\n", lines->v[i]);
}

static void cc__escape_dollars(struct cc_buf *b)
{
        size_t n = 0;
        for (size_t i = 0; i < b->len; i++)
                n += b->s[i] == '$';
        if (!n)
                return;
        struct cc_buf e = {0};
        for (size_t i = 0; i < b->len; i++) {
                if (b->s[i] == '$')
                        cc_buf_putc(&e, '$');
                cc_buf_putc(&e, b->s[i]);
        }
        cc_buf_free(b);
        *b = e;
}

/* Keep only the named services (and what they depend on) in the model. */
static int cc__select_services(struct cc_project *p, char **names, int n)
{
        struct cc_strv want = {0};
        for (int i = 0; i < n; i++) {
                if (!cc_node_map_get(cc_project_services(p), names[i])) {
                        fprintf(stderr, "no such service: %s\n", names[i]);
                        cc_strv_free(&want);
                        return -ENOENT;
                }
                cc_strv_push(&want, names[i]);
        }
        bool *sel = cc_xcalloc(p->graph.n ? p->graph.n : 1, sizeof(bool));
        cc_graph_select(&p->graph, &want, false, sel);
        struct cc_node *services = cc_project_services(p);
        for (size_t i = 0; i < services->n;) {
                ssize_t gi = cc_graph_index(&p->graph, cc_node_key(services, i));
                if (gi >= 0 && sel[gi]) {
                        i++;
                        continue;
                }
                cc_node_free(cc_node_seq_take(services, i));
        }
        free(sel);
        cc_strv_free(&want);
        return 0;
}

int cc_cmd_config(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_SERVICES = 1000, O_VOLUMES, O_PROFILES, O_IMAGES, O_NOINT, O_HASH, O_FORMAT, O_NOPATH, O_NETWORKS,
               O_ENV, O_NOCONS, O_RESOLVE, O_NONORM, O_NOENVRES, O_VARIABLES };
        static const struct option longopts[] = {
                {"services", no_argument, NULL, O_SERVICES},
                {"volumes", no_argument, NULL, O_VOLUMES},
                {"networks", no_argument, NULL, O_NETWORKS},
                {"profiles", no_argument, NULL, O_PROFILES},
                {"images", no_argument, NULL, O_IMAGES},
                {"environment", no_argument, NULL, O_ENV},
                {"no-interpolate", no_argument, NULL, O_NOINT},
                {"no-path-resolution", no_argument, NULL, O_NOPATH},
                {"no-consistency", no_argument, NULL, O_NOCONS},
                {"no-normalize", no_argument, NULL, O_NONORM},
                {"no-env-resolution", no_argument, NULL, O_NOENVRES},
                {"variables", no_argument, NULL, O_VARIABLES},
                {"resolve-image-digests", no_argument, NULL, O_RESOLVE},
                {"hash", required_argument, NULL, O_HASH},
                {"format", required_argument, NULL, O_FORMAT},
                {"output", required_argument, NULL, 'o'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int mode = 0, c, rc = 0;
        const char *hash = NULL, *format = "yaml", *output = NULL;
        bool format_given = false;
        bool quiet = false;

        optind = 0;
        while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
                switch (c) {
                case O_SERVICES:
                case O_VOLUMES:
                case O_NETWORKS:
                case O_PROFILES:
                case O_IMAGES:
                case O_ENV:
                        mode = c;
                        break;
                case O_NOINT:
                        cli->load.no_interpolate = true;
                        break;
                case O_NOPATH:
                        cli->load.no_resolve_paths = true;
                        break;
                case O_NONORM:
                        cli->load.no_normalize = true;
                        break;
                case O_NOENVRES:
                        cli->load.no_env_resolution = true;
                        break;
                case O_NOCONS:
                        cli->load.no_consistency = true;
                        break;
                case O_RESOLVE:
                        fputs("--resolve-image-digests needs a registry: not supported by ccompose config yet\n", stderr);
                        return 1;
                case O_HASH:
                        mode = c;
                        hash = optarg;
                        break;
                case O_FORMAT:
                        format = optarg;
                        format_given = true;
                        break;
                case O_VARIABLES:
                        mode = c;
                        /* as docker compose: the variables of the model as written */
                        cli->load.no_interpolate = true;
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        cc__config_help();
                        return 0;
                default:
                        return 1;
                }
        }
        if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0 &&
            !(mode == O_VARIABLES && strcmp(format, "table") == 0)) {
                fprintf(stderr, "unsupported format \"%s\": use yaml or json\n", format);
                return 1;
        }
        if (mode == O_PROFILES)
                cli->load.all_profiles = true;

        /* config ends the process: see cc_project_free_at_exit */
        _cleanup_project_at_exit_ struct cc_project *p = NULL;
        if ((rc = cc_cli_load_project(cli, &p)) != 0)
                return rc;
        if (optind < argc && cc__select_services(p, argv + optind, argc - optind) < 0)
                return 1;
        if (quiet)
                return 0;

        struct cc_buf b = {0};
        struct cc_strv lines = {0};
        struct cc_node *services = cc_project_services(p);
        switch (mode) {
        case O_SERVICES:
                cc__sorted_keys(services, &lines);
                break;
        case O_VOLUMES:
                cc__sorted_keys(cc_node_map_get(p->model, "volumes"), &lines);
                break;
        case O_NETWORKS:
                cc__sorted_keys(cc_node_map_get(p->model, "networks"), &lines);
                break;
        case O_PROFILES:
                for (size_t i = 0; i < services->n; i++) {
                        struct cc_node *pr = cc_node_map_get(services->items[i], "profiles");
                        for (size_t j = 0; cc_node_is_seq(pr) && j < pr->n; j++)
                                if (cc_node_is_scalar(pr->items[j]) && !cc_strv_contains(&lines, pr->items[j]->str))
                                        cc_strv_push(&lines, pr->items[j]->str);
                }
                if (lines.n)
                        qsort(lines.v, lines.n, sizeof(char *), cc__strcmpp);
                break;
        case O_IMAGES:
                for (size_t i = 0; i < services->n; i++) {
                        const char *img = cc_node_map_str(services->items[i], "image");
                        if (img)
                                cc_strv_push(&lines, img);
                        else
                                cc_strv_push_owned(&lines, cc_xasprintf("%s-%s", p->name, cc_node_key(services, i)));
                }
                break;
        case O_ENV:
                for (size_t i = 0; i < p->env.n; i++)
                        if (p->env.vals[i])
                                cc_strv_push_owned(&lines, cc_xasprintf("%s=%s", p->env.keys[i], p->env.vals[i]));
                break;
        case O_VARIABLES: {
                struct cc_variables vars = {0};
                cc_variables_collect(p->model, &vars);
                cc_variables_format(&vars, format_given ? format : "table", &b);
                cc_variables_free(&vars);
                break;
        }
        case O_HASH: {
                struct cc_strv names = {0};
                if (strcmp(hash, "*") == 0) {
                        cc__sorted_keys(services, &names);
                } else {
                        _cleanup_free_ char *dup = cc_xstrdup(hash);
                        for (char *s = NULL, *t = strtok_r(dup, ",", &s); t; t = strtok_r(NULL, ",", &s))
                                cc_strv_push(&names, t);
                }
                for (size_t i = 0; i < names.n; i++) {
                        char *h = cc_project_service_hash(p, names.v[i]);
                        if (!h) {
                                fprintf(stderr, "no such service: %s\n", names.v[i]);
                                rc = 1;
                                break;
                        }
                        cc_strv_push_owned(&lines, cc_xasprintf("%s %s", names.v[i], h));
                        free(h);
                }
                cc_strv_free(&names);
                break;
        }
        default:
                if (!cli->load.no_interpolate && !cli->load.no_env_resolution)
                        cc_model_discard_env_files(p->model);
                if (cli->load.no_interpolate) {
                        /* docker compose prints the model as a Go map then */
                        cc_model_raw_shape(p->model, strcmp(format, "json") == 0);
                        if (strcmp(format, "json") == 0)
                                cc_emit_json(&b, p->model, 2);
                        else
                                cc_emit_yaml(&b, p->model);
                } else if (strcmp(format, "json") == 0) {
                        cc_model_json_shape(p->model);
                        /* json.MarshalIndent's text, printed as it is:
                         * without a final line break */
                        cc_emit_json(&b, p->model, 2);
                } else {
                        cc_model_yaml_shape(p->model);
                        cc_emit_yaml(&b, p->model);
                }
                /* As docker compose: a literal dollar of the interpolated
                 * model is written $$, so that the output loads again with
                 * the same meaning. */
                if (!cli->load.no_interpolate)
                        cc__escape_dollars(&b);
                break;
        }
        cc__print_lines(&b, &lines);
        cc_strv_free(&lines);
        if (rc == 0) {
                if (output) {
                        int r = cc_write_file_atomic(output, b.s ? b.s : "", b.len, 0644);
                        if (r < 0) {
                                fprintf(stderr, "writing %s: %s\n", output, strerror(-r));
                                rc = 1;
                        }
                } else if (b.len) {
                        fwrite(b.s, 1, b.len, stdout);
                }
        }
        cc_buf_free(&b);
        return rc;
}
