/* `ccompose image push REF` (docker push) and `ccompose push [SERVICE...]`
 * (docker compose push: the image, and build.tags, of each service that
 * has both build: and image:; the others are skipped, as compose does). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "image-store.h"
#include "registry.h"

/* ---- image push ---- */

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The tags (normalised) of the store in ref's repository, sorted; ref names
 * no tag (--all-tags). Non-zero after printing why. */
static int repository_tags(struct cc_image_store *s, const char *ref, struct cc_strv *out)
{
        _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
        _cleanup_free_ char *repo = NULL, *tag = NULL, *digest = NULL;
        if (!norm) {
                fprintf(stderr, "Error: invalid reference format \"%s\"\n", ref);
                return 1;
        }
        cc_image_ref_split(norm, &repo, &tag, &digest);
        const char *slash = strrchr(ref, '/');
        if (digest || strchr(slash ? slash : ref, ':')) {
                fprintf(stderr, "Error: tag can't be used with --all-tags/-a\n");
                return 1;
        }
        struct cc_strv ids = {0};
        struct cc_error err = {0};
        if (cc_image_index_load(s, &err) < 0) {
                fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        cc_image_ids(s, &ids);
        for (size_t i = 0; i < ids.n; i++) {
                struct cc_strv tags = {0};
                cc_image_tags_of(s, ids.v[i], &tags);
                for (size_t t = 0; t < tags.n; t++) {
                        _cleanup_free_ char *r = NULL, *g = NULL, *d = NULL;
                        cc_image_ref_split(tags.v[t], &r, &g, &d);
                        if (g && !d && cc_streq(r, repo))
                                cc_strv_push(out, tags.v[t]);
                }
                cc_strv_free(&tags);
        }
        cc_strv_free(&ids);
        if (out->n == 0) {
                fprintf(stderr, "Error: An image does not exist locally with the tag: %s\n", ref);
                return 1;
        }
        qsort(out->v, out->n, sizeof(char *), by_name);
        return 0;
}

int cc_cmd_image_push(struct cc_cli *cli, int argc, char **argv)
{
        bool quiet = false, all = false;
        static const struct option longopts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "all-tags", no_argument, NULL, 'a' },
                { "disable-content-trust", no_argument, NULL, 'D' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "qah", longopts, NULL)) != -1) {
                switch (c) {
                case 'q': quiet = true; break;
                case 'a': all = true; break;
                case 'D': break;
                case 'h':
                        puts("Usage:  ccompose image push [OPTIONS] NAME[:TAG]\n\n"
                             "Upload an image to a registry, with the credentials of 'ccompose login' /\n"
                             "'docker login'\n\n"
                             "Options:\n"
                             "  -a, --all-tags   Push all tags of an image to the repository\n"
                             "  -q, --quiet      Suppress verbose output");
                        return 0;
                default:
                        return 1;
                }
        }
        if (argc - optind != 1) {
                fputs("\"ccompose image push\" requires exactly 1 argument: NAME[:TAG]\n", stderr);
                return 1;
        }
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct cc_strv refs = {0};
        int rc = 0;
        if (all)
                rc = repository_tags(s, argv[optind], &refs);
        else
                cc_strv_push(&refs, argv[optind]);
        struct cc_push_display d = { .out = stdout };
        for (size_t i = 0; i < refs.n && rc == 0; i++) {
                struct cc_push_options o = {
                        .ref = refs.v[i],
                        .progress = quiet ? NULL : cc_push_display_event,
                        .progress_data = &d,
                };
                struct cc_push_result res;
                struct cc_error err = {0};
                if (cc_image_push(s, &o, &res, &err) < 0) {
                        fflush(stdout);
                        fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                } else if (quiet) {
                        _cleanup_free_ char *norm = cc_image_ref_normalize(refs.v[i]);
                        printf("%s\n", norm ? norm : refs.v[i]);
                }
        }
        cc_strv_free(&refs);
        cc_image_store_close(s);
        fflush(stdout);
        return rc;
}

/* ---- compose push ---- */

static void push_usage(FILE *f)
{
        fputs("Usage:  ccompose push [OPTIONS] [SERVICE...]\n\n"
              "Push service images (those of services with both build: and image:)\n\n"
              "Options:\n"
              "      --ignore-push-failures   Push what it can and ignores images with push failures\n"
              "      --include-deps           Also push images of services declared as dependencies\n"
              "  -q, --quiet                  Push without printing progress information\n",
              f);
}

/* Push one image of a service; 0, or 1 after printing why it failed. */
static int push_tag(struct cc_image_store *s, const struct cc_push_request *rq, const char *service,
                    const char *tag)
{
        struct cc_push_display d = { .out = stderr, .prefix = tag };
        struct cc_push_options o = {
                .ref = tag,
                .progress = rq->quiet ? NULL : cc_push_display_event,
                .progress_data = &d,
        };
        struct cc_push_result res;
        struct cc_error err = {0};
        if (cc_image_push(s, &o, &res, &err) < 0) {
                if (rq->ignore_failures)
                        fprintf(stderr, "Pushing %s: %s\n", service, cc_error_msg(&err));
                else
                        fprintf(stderr, "Error: service %s: %s\n", service, cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        return 0;
}

int cc_push_services(struct cc_cli *cli, struct cc_project *p, const bool *sel, const struct cc_push_request *rq)
{
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct cc_node *services = cc_project_services(p);
        int failed = 0;
        for (size_t i = 0; i < services->n && (failed == 0 || rq->ignore_failures); i++) {
                const char *name = cc_node_key(services, i);
                ssize_t gi = cc_graph_index(&p->graph, name);
                if (sel && (gi < 0 || !sel[gi]))
                        continue;
                struct cc_node *svc = services->items[i], *build = cc_node_map_get(svc, "build");
                const char *image = cc_node_map_str(svc, "image");
                if (!build || !image) {
                        if (!rq->quiet)
                                fprintf(stderr, "%s Skipped\n", name);
                        continue;
                }
                failed += push_tag(s, rq, name, image);
                struct cc_node *tags = cc_node_is_map(build) ? cc_node_map_get(build, "tags") : NULL;
                for (size_t t = 0; cc_node_is_seq(tags) && t < tags->n; t++)
                        if (cc_node_is_scalar(tags->items[t]) && (failed == 0 || rq->ignore_failures))
                                failed += push_tag(s, rq, name, tags->items[t]->str);
        }
        cc_image_store_close(s);
        return failed && !rq->ignore_failures ? 1 : 0;
}

int cc_cmd_push(struct cc_cli *cli, int argc, char **argv)
{
        struct cc_push_request rq = {0};
        bool include_deps = false;
        static const struct option longopts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "ignore-push-failures", no_argument, NULL, 'I' },
                { "include-deps", no_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
                switch (c) {
                case 'q': rq.quiet = true; break;
                case 'I': rq.ignore_failures = true; break;
                case 'd': include_deps = true; break;
                case 'h':
                        push_usage(stdout);
                        return 0;
                default:
                        push_usage(stderr);
                        return 1;
                }
        }
        _cleanup_project_ struct cc_project *p = NULL;
        if (cc_cli_load_project(cli, &p))
                return 1;
        bool *sel;
        int rc = cc_cli_select_services(p, argv + optind, argc - optind, include_deps, &sel);
        if (rc == 0)
                rc = cc_push_services(cli, p, sel, &rq);
        free(sel);
        return rc;
}
