/* `ccompose image load|import|ls|rm|inspect|tag`, with docker's output. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "state.h"
#include "image-cmd.h"
#include "image-store.h"
#include "ps-format.h"

static int report(struct cc_error *err)
{
        fprintf(stderr, "%s\n", cc_error_msg(err));
        cc_error_clear(err);
        return 1;
}

static void image_usage(FILE *f)
{
        fputs("Usage:  ccompose image COMMAND\n"
              "\n"
              "Manage images\n"
              "\n"
              "Commands:\n"
              "  build       Build an image from a Dockerfile\n"
              "  import      Import the contents from a tarball to create a filesystem image\n"
              "  inspect     Display detailed information on one or more images\n"
              "  load        Load an image from a tar archive (docker save, OCI) or an OCI layout directory\n"
              "  ls          List images\n"
              "  pull        Download an image from a registry\n"
              "  push        Upload an image to a registry\n"
              "  rm          Remove one or more images\n"
              "  save        Save one or more images to a tar archive (docker save format)\n"
              "  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n",
              f);
}

/* ---- formatting like docker (go-units) ---- */

static char *human_duration(double seconds)
{
        long s = (long) seconds;
        if (s < 1)
                return cc_xstrdup("Less than a second");
        if (s == 1)
                return cc_xstrdup("1 second");
        if (s < 60)
                return cc_xasprintf("%ld seconds", s);
        long minutes = s / 60;
        if (minutes == 1)
                return cc_xstrdup("About a minute");
        if (minutes < 60)
                return cc_xasprintf("%ld minutes", minutes);
        long hours = (long) (seconds / 3600.0 + 0.5);
        if (hours == 1)
                return cc_xstrdup("About an hour");
        if (hours < 48)
                return cc_xasprintf("%ld hours", hours);
        if (hours < 24 * 7 * 2)
                return cc_xasprintf("%ld days", hours / 24);
        if (hours < 24 * 30 * 2)
                return cc_xasprintf("%ld weeks", hours / 24 / 7);
        if (hours < 24 * 365 * 2)
                return cc_xasprintf("%ld months", hours / 24 / 30);
        return cc_xasprintf("%ld years", (long) (seconds / 3600.0) / 24 / 365);
}

static char *created_since(time_t t)
{
        if (t <= 0)
                return cc_xstrdup("N/A");
        double d = difftime(time(NULL), t);
        _cleanup_free_ char *h = human_duration(d < 0 ? 0 : d);
        return cc_xasprintf("%s ago", h);
}

static char *created_at(time_t t)
{
        if (t <= 0)
                return cc_xstrdup("N/A");
        struct tm tm;
        localtime_r(&t, &tm);
        char buf[96];
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
        return cc_xstrdup(buf);
}

/* ---- ls ---- */

struct row {
        char *repo, *tag, *id, *digest;
        time_t created;
        uint64_t size;
};

static int row_cmp(const void *a, const void *b)
{
        const struct row *x = a, *y = b;
        if (x->created != y->created)
                return x->created > y->created ? -1 : 1;
        int c = strcmp(x->repo, y->repo);
        return c ? c : strcmp(x->tag, y->tag);
}

static void collect_rows(struct cc_image_store *s, struct row **out, size_t *nout)
{
        struct cc_strv ids = {0};
        cc_image_ids(s, &ids);
        struct row *rows = NULL;
        size_t n = 0, cap = 0;
        for (size_t i = 0; i < ids.n; i++) {
                json_object *cfg = NULL, *c;
                time_t created = -1;
                if (cc_image_config(s, ids.v[i], &cfg, NULL) == 0 && json_object_object_get_ex(cfg, "created", &c))
                        created = cc_image_parse_time(json_object_get_string(c));
                json_object_put(cfg);
                struct cc_strv tags = {0};
                cc_image_tags_of(s, ids.v[i], &tags);
                for (size_t j = 0; j < tags.n || (j == 0 && tags.n == 0); j++) {
                        if (n == cap) {
                                cap = cap ? cap * 2 : 16;
                                rows = cc_xrealloc(rows, cap * sizeof(*rows));
                        }
                        struct row *r = &rows[n++];
                        memset(r, 0, sizeof(*r));
                        if (tags.n) {
                                _cleanup_free_ char *repo = NULL;
                                cc_image_ref_split(tags.v[j], &repo, &r->tag, &r->digest);
                                r->repo = cc_image_repo_familiar(repo);
                        } else {
                                r->repo = cc_xstrdup("<none>");
                        }
                        if (!r->tag)
                                r->tag = cc_xstrdup("<none>");
                        r->id = cc_xstrdup(ids.v[i]);
                        r->created = created;
                        r->size = cc_image_size(s, ids.v[i]);
                }
                cc_strv_free(&tags);
        }
        cc_strv_free(&ids);
        if (n > 1)
                qsort(rows, n, sizeof(*rows), row_cmp);
        *out = rows;
        *nout = n;
}

static void free_rows(struct row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(rows[i].repo);
                free(rows[i].tag);
                free(rows[i].id);
                free(rows[i].digest);
        }
        free(rows);
}

static char *row_field(const struct row *r, const char *name, bool notrunc)
{
        if (strcmp(name, "Repository") == 0)
                return cc_xstrdup(r->repo);
        if (strcmp(name, "Tag") == 0)
                return cc_xstrdup(r->tag);
        if (strcmp(name, "ID") == 0)
                return notrunc ? cc_xstrdup(r->id) : cc_xstrndup(r->id + 7, 12);
        if (strcmp(name, "Digest") == 0)
                return cc_xstrdup(r->digest ? r->digest : "<none>");
        if (strcmp(name, "CreatedSince") == 0)
                return created_since(r->created);
        if (strcmp(name, "CreatedAt") == 0)
                return created_at(r->created);
        if (strcmp(name, "Size") == 0 || strcmp(name, "VirtualSize") == 0)
                return cc_human_size((double) r->size);
        if (strcmp(name, "Containers") == 0 || strcmp(name, "SharedSize") == 0 ||
            strcmp(name, "UniqueSize") == 0)
                return cc_xstrdup("N/A");
        return NULL;
}

static const char *json_fields[] = { "Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                                     "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize" };

/* {{.Field}} substitution: the subset of Go templates scripts use. */
static int print_template(const struct row *r, const char *fmt, bool notrunc)
{
        struct cc_buf b = {0};
        const char *p = fmt;
        while (*p) {
                const char *open = strstr(p, "{{");
                if (!open) {
                        cc_buf_puts(&b, p);
                        break;
                }
                cc_buf_add(&b, p, (size_t) (open - p));
                const char *close = strstr(open, "}}");
                if (!close) {
                        cc_buf_free(&b);
                        fprintf(stderr, "template: unclosed action in \"%s\"\n", fmt);
                        return -1;
                }
                _cleanup_free_ char *inner = cc_xstrndup(open + 2, (size_t) (close - open - 2));
                char *f = inner;
                while (*f == ' ')
                        f++;
                char *e = f + strlen(f);
                while (e > f && e[-1] == ' ')
                        *--e = '\0';
                _cleanup_free_ char *v = *f == '.' ? row_field(r, f + 1, notrunc) : NULL;
                if (!v) {
                        cc_buf_free(&b);
                        fprintf(stderr, "template: can't evaluate field %s\n", f);
                        return -1;
                }
                cc_buf_puts(&b, v);
                p = close + 2;
        }
        printf("%s\n", b.s ? b.s : "");
        cc_buf_free(&b);
        return 0;
}

static void print_table(struct row *rows, size_t n, bool notrunc)
{
        const char *head[] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" };
        const char *keys[] = { "Repository", "Tag", "ID", "CreatedSince", "Size" };
        char ***cells = cc_xcalloc(n + 1, sizeof(char **));
        size_t width[5];
        for (size_t c = 0; c < 5; c++)
                width[c] = strlen(head[c]);
        for (size_t i = 0; i < n; i++) {
                cells[i] = cc_xcalloc(5, sizeof(char *));
                for (size_t c = 0; c < 5; c++) {
                        cells[i][c] = row_field(&rows[i], keys[c], notrunc);
                        if (strlen(cells[i][c]) > width[c])
                                width[c] = strlen(cells[i][c]);
                }
        }
        /* text/tabwriter with minwidth 10 and padding 3, as docker uses. */
        for (size_t c = 0; c < 5; c++)
                width[c] = width[c] + 3 < 10 ? 10 : width[c] + 3;
        for (size_t i = 0; i <= n; i++) {
                for (size_t c = 0; c < 5; c++) {
                        const char *v = i == 0 ? head[c] : cells[i - 1][c];
                        if (c == 4)
                                printf("%s\n", v);
                        else
                                printf("%-*s", (int) width[c], v);
                }
        }
        for (size_t i = 0; i < n; i++) {
                for (size_t c = 0; c < 5; c++)
                        free(cells[i][c]);
                free(cells[i]);
        }
        free(cells);
}

static int cmd_ls(struct cc_cli *cli, int argc, char **argv)
{
        bool quiet = false, notrunc = false;
        const char *format = NULL;
        static const struct option longopts[] = {
                { "quiet", no_argument, NULL, 'q' },   { "all", no_argument, NULL, 'a' },
                { "format", required_argument, NULL, 'F' }, { "no-trunc", no_argument, NULL, 'T' },
                { "help", no_argument, NULL, 'h' },   { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "qah", longopts, NULL)) != -1) {
                switch (c) {
                case 'q': quiet = true; break;
                case 'a': break;
                case 'F': format = optarg; break;
                case 'T': notrunc = true; break;
                case 'h':
                        puts("Usage:  ccompose image ls [OPTIONS]\n\nList images\n\nOptions:\n"
                             "  -a, --all         Show all images (no effect: there are no intermediate images)\n"
                             "      --format string   \"json\", or a template such as '{{.Repository}}:{{.Tag}}'\n"
                             "      --no-trunc    Don't truncate output\n"
                             "  -q, --quiet       Only show image IDs");
                        return 0;
                default:
                        return 1;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "\"ccompose image ls\" accepts no arguments\n");
                return 1;
        }
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct row *rows;
        size_t n;
        collect_rows(s, &rows, &n);
        int rc = 0;
        if (quiet) {
                struct cc_strv seen = {0};
                for (size_t i = 0; i < n; i++) {
                        if (cc_strv_contains(&seen, rows[i].id))
                                continue;
                        cc_strv_push(&seen, rows[i].id);
                        if (notrunc)
                                printf("%s\n", rows[i].id);
                        else
                                printf("%.12s\n", rows[i].id + 7);
                }
                cc_strv_free(&seen);
        } else if (format && strcmp(format, "json") == 0) {
                for (size_t i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        for (size_t f = 0; f < CC_ARRAY_SIZE(json_fields); f++) {
                                char *v = row_field(&rows[i], json_fields[f], notrunc);
                                json_object_object_add(o, json_fields[f], json_object_new_string(v));
                                free(v);
                        }
                        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
                        json_object_put(o);
                }
        } else if (format && *format && strcmp(format, "table") != 0) {
                for (size_t i = 0; i < n && rc == 0; i++)
                        if (print_template(&rows[i], format, notrunc) < 0)
                                rc = 1;
        } else {
                print_table(rows, n, notrunc);
        }
        free_rows(rows, n);
        cc_image_store_close(s);
        return rc;
}

/* ---- inspect ---- */

/* Indented JSON as docker prints it (4 spaces, [] and {} when empty). */
static void json_pretty(struct cc_buf *b, json_object *o, int depth)
{
        if (json_object_is_type(o, json_type_object) && json_object_object_length(o) > 0) {
                bool first = true;
                cc_buf_puts(b, "{\n");
                json_object_object_foreach(o, k, v) {
                        if (!first)
                                cc_buf_puts(b, ",\n");
                        first = false;
                        json_object *ks = json_object_new_string(k);
                        cc_buf_printf(b, "%*s%s: ", (depth + 1) * 4, "",
                                      json_object_to_json_string_ext(ks, JSON_C_TO_STRING_NOSLASHESCAPE));
                        json_object_put(ks);
                        json_pretty(b, v, depth + 1);
                }
                cc_buf_printf(b, "\n%*s}", depth * 4, "");
        } else if (json_object_is_type(o, json_type_array) && json_object_array_length(o) > 0) {
                cc_buf_puts(b, "[\n");
                for (size_t i = 0; i < json_object_array_length(o); i++) {
                        cc_buf_printf(b, "%s%*s", i ? ",\n" : "", (depth + 1) * 4, "");
                        json_pretty(b, json_object_array_get_idx(o, i), depth + 1);
                }
                cc_buf_printf(b, "\n%*s]", depth * 4, "");
        } else if (json_object_is_type(o, json_type_object)) {
                cc_buf_puts(b, "{}");
        } else if (json_object_is_type(o, json_type_array)) {
                cc_buf_puts(b, "[]");
        } else {
                cc_buf_puts(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        }
}

static json_object *copy_or_null(json_object *from, const char *key)
{
        json_object *v;
        if (from && json_object_object_get_ex(from, key, &v) && v)
                return json_object_get(v);
        return NULL;
}

static json_object *string_or_empty(json_object *from, const char *key)
{
        json_object *v;
        if (from && json_object_object_get_ex(from, key, &v) && json_object_is_type(v, json_type_string))
                return json_object_get(v);
        return json_object_new_string("");
}

static json_object *inspect_config(json_object *c)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Hostname", json_object_new_string(""));
        json_object_object_add(o, "Domainname", json_object_new_string(""));
        json_object_object_add(o, "User", string_or_empty(c, "User"));
        json_object_object_add(o, "AttachStdin", json_object_new_boolean(0));
        json_object_object_add(o, "AttachStdout", json_object_new_boolean(0));
        json_object_object_add(o, "AttachStderr", json_object_new_boolean(0));
        json_object_object_add(o, "ExposedPorts", copy_or_null(c, "ExposedPorts"));
        json_object_object_add(o, "Tty", json_object_new_boolean(0));
        json_object_object_add(o, "OpenStdin", json_object_new_boolean(0));
        json_object_object_add(o, "StdinOnce", json_object_new_boolean(0));
        json_object_object_add(o, "Env", copy_or_null(c, "Env"));
        json_object_object_add(o, "Cmd", copy_or_null(c, "Cmd"));
        json_object_object_add(o, "Healthcheck", copy_or_null(c, "Healthcheck"));
        json_object_object_add(o, "Image", json_object_new_string(""));
        json_object_object_add(o, "Volumes", copy_or_null(c, "Volumes"));
        json_object_object_add(o, "WorkingDir", string_or_empty(c, "WorkingDir"));
        json_object_object_add(o, "Entrypoint", copy_or_null(c, "Entrypoint"));
        json_object_object_add(o, "OnBuild", copy_or_null(c, "OnBuild"));
        json_object_object_add(o, "Labels", copy_or_null(c, "Labels"));
        json_object_object_add(o, "StopSignal", string_or_empty(c, "StopSignal"));
        json_object *shell = copy_or_null(c, "Shell");
        if (shell)
                json_object_object_add(o, "Shell", shell);
        return o;
}

json_object *cc_image_inspect_json(struct cc_image_store *s, const char *id, struct cc_error *err)
{
        json_object *cfg;
        if (cc_image_config(s, id, &cfg, err) < 0)
                return NULL;
        json_object *o = json_object_new_object(), *rt = json_object_new_array(), *rd = json_object_new_array();
        struct cc_strv tags = {0};
        cc_image_tags_of(s, id, &tags);
        for (size_t i = 0; i < tags.n; i++) {
                char *fam = cc_image_ref_familiar(tags.v[i]);
                json_object_array_add(strchr(tags.v[i], '@') ? rd : rt, json_object_new_string(fam));
                free(fam);
        }
        cc_strv_free(&tags);
        json_object *c = NULL, *rootfs = NULL, *layers = json_object_new_array(), *diffs, *v;
        json_object_object_get_ex(cfg, "config", &c);
        if (json_object_object_get_ex(cfg, "rootfs", &rootfs) && json_object_object_get_ex(rootfs, "diff_ids", &diffs) &&
            json_object_is_type(diffs, json_type_array))
                for (size_t i = 0; i < json_object_array_length(diffs); i++)
                        json_object_array_add(layers, json_object_get(json_object_array_get_idx(diffs, i)));
        json_object_object_add(o, "Id", json_object_new_string(id));
        json_object_object_add(o, "RepoTags", rt);
        json_object_object_add(o, "RepoDigests", rd);
        json_object_object_add(o, "Parent", json_object_new_string(""));
        json_object_object_add(o, "Comment", string_or_empty(cfg, "comment"));
        json_object_object_add(o, "Created", string_or_empty(cfg, "created"));
        json_object_object_add(o, "DockerVersion", string_or_empty(cfg, "docker_version"));
        json_object_object_add(o, "Author", string_or_empty(cfg, "author"));
        json_object_object_add(o, "Config", inspect_config(c));
        json_object_object_add(o, "Architecture", string_or_empty(cfg, "architecture"));
        if (json_object_object_get_ex(cfg, "variant", &v))
                json_object_object_add(o, "Variant", json_object_get(v));
        json_object_object_add(o, "Os", string_or_empty(cfg, "os"));
        json_object_object_add(o, "Size", json_object_new_int64((int64_t) cc_image_size(s, id)));
        json_object *rfs = json_object_new_object();
        json_object_object_add(rfs, "Type", json_object_new_string("layers"));
        json_object_object_add(rfs, "Layers", layers);
        json_object_object_add(o, "RootFS", rfs);
        json_object_put(cfg);
        return o;
}

static int cmd_inspect(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                if (c == 'h') {
                        puts("Usage:  ccompose image inspect IMAGE [IMAGE...]\n\n"
                             "Display detailed information on one or more images (a JSON array)");
                        return 0;
                }
                return 1;
        }
        if (optind >= argc) {
                fputs("\"ccompose image inspect\" requires at least 1 argument\n", stderr);
                return 1;
        }
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        json_object *arr = json_object_new_array();
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                struct cc_error err = {0};
                _cleanup_free_ char *id = NULL;
                json_object *o = NULL;
                if (cc_image_resolve(s, argv[i], &id, NULL, &err) == 0)
                        o = cc_image_inspect_json(s, id, &err);
                if (!o) {
                        if (err.code == -ENOENT)
                                fprintf(stderr, "Error: No such image: %s\n", argv[i]);
                        else
                                fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                        continue;
                }
                json_object_array_add(arr, o);
        }
        struct cc_buf b = {0};
        json_pretty(&b, arr, 0);
        printf("%s\n", b.s);
        cc_buf_free(&b);
        json_object_put(arr);
        cc_image_store_close(s);
        return rc;
}

/* ---- rm ---- */

static size_t distinct_repos(const struct cc_strv *tags)
{
        struct cc_strv repos = {0};
        for (size_t i = 0; i < tags->n; i++) {
                char *repo, *tag, *digest;
                cc_image_ref_split(tags->v[i], &repo, &tag, &digest);
                if (!cc_strv_contains(&repos, repo))
                        cc_strv_push(&repos, repo);
                free(repo);
                free(tag);
                free(digest);
        }
        size_t n = repos.n;
        cc_strv_free(&repos);
        return n;
}

char *cc_image_container_using(const struct cc_cli *cli, const char *id)
{
        DIR *dir = opendir(cli->runtime_dir);
        char *who = NULL;
        for (struct dirent *de; dir && !who && (de = readdir(dir));) {
                struct cc_state *st = NULL;
                struct cc_error e = {0};
                if (de->d_name[0] != '.' && cc_state_load(cli->runtime_dir, de->d_name, &st, &e) >= 0 && st)
                        for (size_t i = 0; i < st->n_ctrs && !who; i++)
                                if (st->ctrs[i].image_id && strcmp(st->ctrs[i].image_id, id) == 0)
                                        who = cc_xstrdup(st->ctrs[i].name);
                cc_error_clear(&e);
                cc_state_free(st);
        }
        if (dir)
                closedir(dir);
        return who;
}

int cc_image_remove_unused(const struct cc_cli *cli, const char *ref, struct cc_error *err)
{
        struct cc_image_store *s = NULL;
        _cleanup_free_ char *id = NULL, *tag = NULL;
        int r = cc_image_store_open(cli->root, &s, err);
        if (r >= 0)
                r = cc_image_tx_begin(s, err);
        if (r < 0) {
                cc_image_store_close(s);
                return r;
        }
        r = cc_image_resolve(s, ref, &id, &tag, NULL) < 0 ? 1 : 0;
        if (r == 0 && tag)
                r = cc_image_untag(s, tag, err);
        struct cc_strv tags = {0};
        if (r == 0)
                cc_image_tags_of(s, id, &tags);
        _cleanup_free_ char *user = r == 0 && tags.n == 0 ? cc_image_container_using(cli, id) : NULL;
        if (r == 0 && tags.n == 0 && !user && (r = cc_image_forget(s, id, err)) == 0)
                r = cc_image_gc(s, err); /* with the blobs and layers only it used */
        cc_strv_free(&tags);
        if (r >= 0 && cc_image_tx_commit(s, err) < 0)
                r = -EIO;
        if (r < 0)
                cc_image_tx_abort(s);
        cc_image_store_close(s);
        return r;
}

static int rm_one(const struct cc_cli *cli, struct cc_image_store *s, const char *ref, bool force,
                  struct cc_error *err)
{
        _cleanup_free_ char *id = NULL, *tag = NULL;
        int r = cc_image_resolve(s, ref, &id, &tag, err);
        if (r < 0)
                return r;
        /* as Docker: a container's image is not deleted; -f only untags it.
         * A tag the image has others beside is only untagged. */
        struct cc_strv all = {0};
        cc_image_tags_of(s, id, &all);
        bool last = !tag || all.n <= 1;
        cc_strv_free(&all);
        _cleanup_free_ char *user = cc_image_container_using(cli, id);
        if (user && !force && last)
                return cc_error_set(err, -EBUSY,
                                    "conflict: unable to remove repository reference \"%s\" (must force) - "
                                    "container %s is using its referenced image %.12s",
                                    ref, user, id + 7);
        struct cc_strv tags = {0};
        if (tag) {
                cc_strv_push(&tags, tag);
        } else {
                cc_image_tags_of(s, id, &tags);
                if (!force && distinct_repos(&tags) > 1) {
                        cc_strv_free(&tags);
                        return cc_error_set(err, -EBUSY,
                                            "conflict: unable to delete %.12s (must be forced) - image is "
                                            "referenced in multiple repositories",
                                            id + 7);
                }
        }
        for (size_t i = 0; i < tags.n; i++) {
                cc_image_untag(s, tags.v[i], NULL);
                _cleanup_free_ char *fam = cc_image_ref_familiar(tags.v[i]);
                printf("Untagged: %s\n", fam);
        }
        cc_strv_free(&tags);
        cc_image_tags_of(s, id, &tags);
        if (tags.n == 0 && !user) {
                cc_image_forget(s, id, NULL);
                printf("Deleted: %s\n", id);
        }
        cc_strv_free(&tags);
        return 0;
}

static int cmd_rm(struct cc_cli *cli, int argc, char **argv)
{
        bool force = false;
        static const struct option longopts[] = {
                { "force", no_argument, NULL, 'f' }, { "no-prune", no_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },  { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
                switch (c) {
                case 'f': force = true; break;
                case 'P': break;
                case 'h':
                        puts("Usage:  ccompose image rm [OPTIONS] IMAGE [IMAGE...]\n\n"
                             "Remove one or more images: untag them, and delete an image, its blobs and\n"
                             "its unpacked layers once no tag refers to it (layers other images use stay)\n\n"
                             "Options:\n  -f, --force   Remove an image referenced by several repositories");
                        return 0;
                default:
                        return 1;
                }
        }
        if (optind >= argc) {
                fputs("\"ccompose image rm\" requires at least 1 argument\n", stderr);
                return 1;
        }
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct cc_error err = {0};
        int rc = 0;
        if (cc_image_tx_begin(s, &err) < 0) {
                cc_image_store_close(s);
                return report(&err);
        }
        for (int i = optind; i < argc; i++) {
                int r = rm_one(cli, s, argv[i], force, &err);
                if (r == -ENOENT) {
                        fprintf(stderr, "Error: No such image: %s\n", argv[i]);
                        cc_error_clear(&err);
                        rc = 1;
                } else if (r < 0) {
                        fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                }
        }
        fflush(stdout);
        if (cc_image_gc(s, &err) < 0 || cc_image_tx_commit(s, &err) < 0) {
                cc_image_tx_abort(s);
                rc = report(&err);
        }
        cc_image_store_close(s);
        return rc;
}

/* ---- load, import, tag ---- */

static int cmd_load(struct cc_cli *cli, int argc, char **argv)
{
        const char *input = NULL;
        static const struct option longopts[] = {
                { "input", required_argument, NULL, 'i' }, { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },        { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "i:qh", longopts, NULL)) != -1) {
                switch (c) {
                case 'i': input = optarg; break;
                case 'q': break;
                case 'h':
                        puts("Usage:  ccompose image load [OPTIONS]\n\n"
                             "Load images from a docker-archive (docker save) or OCI archive, plain or\n"
                             "compressed, or from an OCI image layout directory\n\n"
                             "Options:\n"
                             "  -i, --input string   Read from an archive file or layout directory instead of STDIN\n"
                             "  -q, --quiet          Suppress the load output");
                        return 0;
                default:
                        return 1;
                }
        }
        if (optind < argc) {
                fputs("\"ccompose image load\" accepts no arguments (use -i FILE)\n", stderr);
                return 1;
        }
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct cc_error err = {0};
        struct cc_load_result res = {0};
        int rc = 0;
        if (cc_image_load(s, input, &res, &err) < 0) {
                rc = report(&err);
        } else {
                for (size_t i = 0; i < res.lines.n; i++)
                        printf("%s\n", res.lines.v[i]);
                for (size_t i = 0; i < res.notes.n; i++)
                        fprintf(stderr, "note: %s\n", res.notes.v[i]);
        }
        cc_load_result_free(&res);
        cc_image_store_close(s);
        return rc;
}

static int cmd_import(struct cc_cli *cli, int argc, char **argv)
{
        struct cc_strv changes = {0};
        const char *message = NULL;
        static const struct option longopts[] = {
                { "change", required_argument, NULL, 'c' },  { "message", required_argument, NULL, 'm' },
                { "platform", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "c:m:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'c': cc_strv_push(&changes, optarg); break;
                case 'm': message = optarg; break;
                case 'p':
                        if (!cc_startswith(optarg, "linux"))
                                fprintf(stderr, "warning: --platform %s ignored: images are imported for linux\n",
                                        optarg);
                        break;
                case 'h':
                        puts("Usage:  ccompose image import [OPTIONS] file|- [REPOSITORY[:TAG]]\n\n"
                             "Import the contents from a tarball (plain, gzip, zstd, xz or bzip2) to create\n"
                             "a filesystem image; prints its ID\n\n"
                             "Options:\n"
                             "  -c, --change list      Apply Dockerfile instruction to the created image\n"
                             "                         (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,\n"
                             "                         ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)\n"
                             "  -m, --message string   Set commit message for imported image");
                        cc_strv_free(&changes);
                        return 0;
                default:
                        cc_strv_free(&changes);
                        return 1;
                }
        }
        if (optind >= argc || argc - optind > 2) {
                fputs("\"ccompose image import\" requires 1 or 2 arguments: file|- [REPOSITORY[:TAG]]\n", stderr);
                cc_strv_free(&changes);
                return 1;
        }
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s)) {
                cc_strv_free(&changes);
                return 1;
        }
        struct cc_import_options o = {
                .path = argv[optind],
                .ref = argc - optind == 2 ? argv[optind + 1] : NULL,
                .message = message,
                .changes = &changes,
        };
        struct cc_error err = {0};
        char id[CC_DIGEST_LEN + 1];
        int rc = 0;
        if (cc_image_import(s, &o, id, &err) < 0)
                rc = report(&err);
        else
                printf("%s\n", id);
        cc_strv_free(&changes);
        cc_image_store_close(s);
        return rc;
}

static int cmd_tag(struct cc_cli *cli, int argc, char **argv)
{
        if (cc_cli_wants_help(argc, argv)) {
                puts("Usage:  ccompose image tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
                return 0;
        }
        if (argc != 3) {
                fputs("\"ccompose image tag\" requires exactly 2 arguments\n", stderr);
                return 1;
        }
        _cleanup_free_ char *norm = cc_image_ref_normalize(argv[2]);
        if (!norm) {
                fprintf(stderr, "invalid reference format \"%s\"\n", argv[2]);
                return 1;
        }
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct cc_error err = {0};
        _cleanup_free_ char *id = NULL;
        int rc = 0;
        if (cc_image_tx_begin(s, &err) < 0 || cc_image_resolve(s, argv[1], &id, NULL, &err) < 0 ||
            cc_image_tag_set(s, norm, id, &err) < 0 || cc_image_tx_commit(s, &err) < 0) {
                cc_image_tx_abort(s);
                rc = report(&err);
        }
        cc_image_store_close(s);
        return rc;
}

int cc_cmd_image(struct cc_cli *cli, int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(struct cc_cli *, int, char **);
        } subs[] = {
                { "load", cmd_load }, { "import", cmd_import }, { "ls", cmd_ls },     { "list", cmd_ls },
                { "rm", cmd_rm },     { "remove", cmd_rm },     { "inspect", cmd_inspect }, { "tag", cmd_tag },
                { "pull", cc_cmd_image_pull }, { "build", cc_cmd_image_build }, { "push", cc_cmd_image_push }, { "save", cc_cmd_image_save },
        };
        if (argc < 2) {
                image_usage(stderr);
                return 1;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
                image_usage(stdout);
                return 0;
        }
        for (size_t i = 0; i < CC_ARRAY_SIZE(subs); i++)
                if (strcmp(argv[1], subs[i].name) == 0) {
                        int rc = subs[i].fn(cli, argc - 1, argv + 1);
                        fflush(stdout);
                        return rc;
                }
        fprintf(stderr, "unknown command \"%s\" for \"ccompose image\"\nRun 'ccompose image --help' for usage.\n",
                argv[1]);
        return 1;
}
