/* ccompose images: the image of each of the project's containers, as
 * docker compose images lists them (table, --format json, -q). */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "image-store.h"
#include "ps-format.h"
#include "state.h"

struct img_row {
        const struct cc_ctr_state *ct;
        char *id, *repo, *tag, *platform, *created;
        uint64_t size;
};

static void cc__images_help(void)
{
        puts("Usage:  ccompose images [OPTIONS] [SERVICE...]\n\n"
             "List images used by the created containers\n\n"
             "Options:\n"
             "      --format string   Format the output. Values: [table | json] (default \"table\")\n"
             "  -q, --quiet           Only display IDs");
}

static int cc__images_cmp(const void *a, const void *b)
{
        return strcmp(((const struct img_row *) a)->ct->name, ((const struct img_row *) b)->ct->name);
}

static const char *cc__cfg_str(json_object *cfg, const char *key)
{
        json_object *v;
        if (cfg && json_object_object_get_ex(cfg, key, &v) && json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return "";
}

/* The row of container ct: its image as recorded, looked up in the store. */
static int cc__images_row(struct cc_image_store *s, const struct cc_ctr_state *ct, struct img_row *r,
                          struct cc_error *err)
{
        r->ct = ct;
        if (ct->image_id && *ct->image_id)
                r->id = cc_xstrdup(ct->image_id);
        else if (cc_image_resolve(s, ct->image, &r->id, NULL, err) < 0)
                return cc_error_prefix(err, "container %s", ct->name);
        json_object *cfg = NULL;
        if (cc_image_config(s, r->id, &cfg, err) < 0)
                return cc_error_prefix(err, "container %s: image %s", ct->name, ct->image);
        _cleanup_free_ char *norm = cc_image_ref_normalize(ct->image);
        if (norm && !cc_startswith(ct->image, "sha256:")) {
                char *repo = NULL, *tag = NULL, *digest = NULL;
                cc_image_ref_split(norm, &repo, &tag, &digest);
                r->repo = repo ? cc_image_repo_familiar(repo) : NULL;
                r->tag = tag;
                free(repo);
                free(digest);
        }
        const char *variant = cc__cfg_str(cfg, "variant");
        r->platform = cc_xasprintf("%s/%s%s%s", cc__cfg_str(cfg, "os"), cc__cfg_str(cfg, "architecture"),
                                   *variant ? "/" : "", variant);
        r->created = cc_xstrdup(cc__cfg_str(cfg, "created"));
        r->size = cc_image_size(s, r->id);
        json_object_put(cfg);
        return 0;
}

static void cc__images_print_json(const struct img_row *rows, size_t n)
{
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                const struct img_row *r = &rows[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "ID", json_object_new_string(r->id));
                json_object_object_add(o, "ContainerName", json_object_new_string(r->ct->name));
                json_object_object_add(o, "Repository", json_object_new_string(r->repo ? r->repo : ""));
                json_object_object_add(o, "Tag", json_object_new_string(r->tag ? r->tag : ""));
                json_object_object_add(o, "Platform", json_object_new_string(r->platform));
                json_object_object_add(o, "Size", json_object_new_int64((int64_t) r->size));
                if (*r->created)
                        json_object_object_add(o, "Created", json_object_new_string(r->created));
                json_object_array_add(arr, o);
        }
        puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
}

static void cc__images_print_table(const struct img_row *rows, size_t n)
{
        static const char *const head[] = {"CONTAINER", "REPOSITORY", "TAG", "PLATFORM", "IMAGE ID", "SIZE",
                                           "CREATED"};
        struct cc_strv cells = {0};
        for (size_t c = 0; c < CC_ARRAY_SIZE(head); c++)
                cc_strv_push(&cells, head[c]);
        long long now = (long long) time(NULL);
        for (size_t i = 0; i < n; i++) {
                const struct img_row *r = &rows[i];
                const char *hex = cc_startswith(r->id, "sha256:") ? r->id + 7 : r->id;
                cc_strv_push(&cells, r->ct->name);
                cc_strv_push(&cells, r->repo && *r->repo ? r->repo : "<none>");
                cc_strv_push(&cells, r->tag && *r->tag ? r->tag : "<none>");
                cc_strv_push(&cells, r->platform);
                cc_strv_push_owned(&cells, cc_xstrndup(hex, 12));
                cc_strv_push_owned(&cells, cc_human_size((double) r->size));
                time_t t = *r->created ? cc_image_parse_time(r->created) : -1;
                if (t < 0) {
                        cc_strv_push(&cells, "N/A");
                } else {
                        _cleanup_free_ char *d = cc_human_duration(now > t ? now - t : 0);
                        cc_strv_push_owned(&cells, cc_xasprintf("%s ago", d));
                }
        }
        cc_cli_print_table(&cells, CC_ARRAY_SIZE(head));
        cc_strv_free(&cells);
}

int cc_cmd_images(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"format", required_argument, NULL, 'F'}, {"quiet", no_argument, NULL, 'q'},
                {"dry-run", no_argument, NULL, 'D'},      {"help", no_argument, NULL, 'h'},
                {0},
        };
        const char *format = "table";
        bool quiet = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
                switch (c) {
                case 'F': format = optarg; break;
                case 'q': quiet = true; break;
                case 'D': break;
                case 'h': cc__images_help(); return 0;
                default: return 1;
                }
        }
        if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
                fprintf(stderr, "invalid --format \"%s\": use table or json\n", format);
                return 1;
        }
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, argv + optind, argc - optind, &p, &st) != 0)
                return 1;
        struct cc_error err = {0};
        struct cc_image_store *s = NULL;
        if (cc_image_store_open(cli->root, &s, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        struct img_row *rows = cc_xcalloc(st->n_ctrs + 1, sizeof(*rows));
        size_t n = 0;
        int rc = 0;
        for (size_t i = 0; i < st->n_ctrs && rc == 0; i++) {
                const struct cc_ctr_state *ct = &st->ctrs[i];
                bool want = optind >= argc;
                for (int a = optind; a < argc && !want; a++)
                        want = strcmp(argv[a], ct->service) == 0;
                if (!want)
                        continue;
                if (cc__images_row(s, ct, &rows[n++], &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                }
        }
        if (rc == 0) {
                qsort(rows, n, sizeof(*rows), cc__images_cmp);
                if (quiet) {
                        struct cc_strv seen = {0};
                        for (size_t i = 0; i < n; i++) {
                                const char *hex = cc_startswith(rows[i].id, "sha256:") ? rows[i].id + 7 : rows[i].id;
                                if (!cc_strv_contains(&seen, hex)) {
                                        cc_strv_push(&seen, hex);
                                        puts(hex);
                                }
                        }
                        cc_strv_free(&seen);
                } else if (strcmp(format, "json") == 0) {
                        cc__images_print_json(rows, n);
                } else {
                        cc__images_print_table(rows, n);
                }
        }
        for (size_t i = 0; i < n; i++) {
                free(rows[i].id);
                free(rows[i].repo);
                free(rows[i].tag);
                free(rows[i].platform);
                free(rows[i].created);
        }
        free(rows);
        cc_image_store_close(s);
        return rc;
}
