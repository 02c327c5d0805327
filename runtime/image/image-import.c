/* `ccompose image import`: one layer from a rootfs tarball (plain or
 * compressed), with a config built from Dockerfile-style --change
 * instructions, like `docker import`. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "image-store.h"
#include "layer.h"

/* Split on unquoted whitespace; "..." and '...' group, backslash escapes
 * (outside single quotes). */
static int split_words(const char *s, struct cc_strv *out, struct cc_error *err)
{
        while (*s) {
                while (isspace((unsigned char) *s))
                        s++;
                if (!*s)
                        break;
                struct cc_buf w = {0};
                char quote = 0;
                while (*s && (quote || !isspace((unsigned char) *s))) {
                        if (!quote && (*s == '"' || *s == '\'')) {
                                quote = *s++;
                        } else if (quote && *s == quote) {
                                quote = 0;
                                s++;
                        } else if (*s == '\\' && quote != '\'' && s[1]) {
                                cc_buf_putc(&w, s[1]);
                                s += 2;
                        } else {
                                cc_buf_putc(&w, *s++);
                        }
                }
                if (quote) {
                        cc_buf_free(&w);
                        return cc_error_set(err, -EINVAL, "unterminated quote");
                }
                cc_strv_push_owned(out, cc_buf_steal(&w));
        }
        return 0;
}

json_object *cc_image_json_member(json_object *o, const char *key, json_type type)
{
        json_object *v;
        if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type))
                return v;
        v = type == json_type_array ? json_object_new_array() : json_object_new_object();
        json_object_object_add(o, key, v);
        return v;
}

/* A JSON array of strings, or NULL when s is not one. */
static json_object *string_array(const char *s)
{
        json_object *a = json_tokener_parse(s);
        if (!a || !json_object_is_type(a, json_type_array)) {
                json_object_put(a);
                return NULL;
        }
        for (size_t i = 0; i < json_object_array_length(a); i++)
                if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string)) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

/* Exec form (JSON array) or shell form -> ["/bin/sh", "-c", s]. */
static json_object *command(const char *s)
{
        json_object *a = string_array(s);
        if (a)
                return a;
        a = json_object_new_array();
        json_object_array_add(a, json_object_new_string("/bin/sh"));
        json_object_array_add(a, json_object_new_string("-c"));
        json_object_array_add(a, json_object_new_string(s));
        return a;
}

/* KEY=VALUE pairs, or the legacy "KEY value with spaces". */
static int key_values(const char *rest, struct cc_strv *keys, struct cc_strv *vals, struct cc_error *err)
{
        struct cc_strv words = {0};
        int r = split_words(rest, &words, err);
        if (r == 0 && words.n == 0)
                r = cc_error_set(err, -EINVAL, "needs KEY=VALUE");
        if (r == 0 && !strchr(words.v[0], '=')) {
                const char *p = rest;
                while (isspace((unsigned char) *p))
                        p++;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                while (isspace((unsigned char) *p))
                        p++;
                cc_strv_push(keys, words.v[0]);
                cc_strv_push(vals, p);
        } else {
                for (size_t i = 0; r == 0 && i < words.n; i++) {
                        char *eq = strchr(words.v[i], '=');
                        if (!eq || eq == words.v[i]) {
                                r = cc_error_set(err, -EINVAL, "\"%s\" is not KEY=VALUE", words.v[i]);
                                break;
                        }
                        cc_strv_push_owned(keys, cc_xstrndup(words.v[i], (size_t) (eq - words.v[i])));
                        cc_strv_push(vals, eq + 1);
                }
        }
        cc_strv_free(&words);
        return r;
}

static int change_env(json_object *cfg, const char *rest, struct cc_error *err)
{
        struct cc_strv keys = {0}, vals = {0};
        int r = key_values(rest, &keys, &vals, err);
        json_object *env = cc_image_json_member(cfg, "Env", json_type_array);
        for (size_t i = 0; r == 0 && i < keys.n; i++) {
                char *kv = cc_xasprintf("%s=%s", keys.v[i], vals.v[i]);
                size_t klen = strlen(keys.v[i]);
                bool replaced = false;
                for (size_t j = 0; j < json_object_array_length(env) && !replaced; j++) {
                        const char *e = json_object_get_string(json_object_array_get_idx(env, j));
                        if (e && strncmp(e, kv, klen + 1) == 0) {
                                json_object_array_put_idx(env, j, json_object_new_string(kv));
                                replaced = true;
                        }
                }
                if (!replaced)
                        json_object_array_add(env, json_object_new_string(kv));
                free(kv);
        }
        cc_strv_free(&keys);
        cc_strv_free(&vals);
        return r;
}

static int change_label(json_object *cfg, const char *rest, struct cc_error *err)
{
        struct cc_strv keys = {0}, vals = {0};
        int r = key_values(rest, &keys, &vals, err);
        json_object *labels = cc_image_json_member(cfg, "Labels", json_type_object);
        for (size_t i = 0; r == 0 && i < keys.n; i++)
                json_object_object_add(labels, keys.v[i], json_object_new_string(vals.v[i]));
        cc_strv_free(&keys);
        cc_strv_free(&vals);
        return r;
}

static int parse_port(const char *s, unsigned long *out)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || v == 0 || v > 65535)
                return -1;
        *out = v;
        return (int) (end - s);
}

static int change_expose(json_object *cfg, const char *rest, struct cc_error *err)
{
        struct cc_strv words = {0};
        int r = split_words(rest, &words, err);
        if (r == 0 && words.n == 0)
                r = cc_error_set(err, -EINVAL, "needs a port");
        json_object *ports = cc_image_json_member(cfg, "ExposedPorts", json_type_object);
        for (size_t i = 0; r == 0 && i < words.n; i++) {
                const char *w = words.v[i], *proto = "tcp";
                unsigned long lo, hi;
                int n = parse_port(w, &lo);
                hi = lo;
                if (n > 0 && w[n] == '-') {
                        int m = parse_port(w + n + 1, &hi);
                        n = m > 0 && hi >= lo ? n + 1 + m : -1;
                }
                if (n > 0 && w[n] == '/') {
                        proto = w + n + 1;
                        if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
                                n = -1;
                } else if (n > 0 && w[n]) {
                        n = -1;
                }
                if (n < 0 || hi - lo > 65535) {
                        r = cc_error_set(err, -EINVAL, "invalid port \"%s\"", w);
                        break;
                }
                for (unsigned long p = lo; p <= hi; p++) {
                        char key[32];
                        snprintf(key, sizeof(key), "%lu/%s", p, proto);
                        json_object_object_add(ports, key, json_object_new_object());
                }
        }
        cc_strv_free(&words);
        return r;
}

static int change_volume(json_object *cfg, const char *rest, struct cc_error *err)
{
        json_object *vols = cc_image_json_member(cfg, "Volumes", json_type_object);
        json_object *a = string_array(rest);
        struct cc_strv words = {0};
        int r = 0;
        if (a) {
                for (size_t i = 0; i < json_object_array_length(a); i++)
                        cc_strv_push(&words, json_object_get_string(json_object_array_get_idx(a, i)));
                json_object_put(a);
        } else {
                r = split_words(rest, &words, err);
        }
        if (r == 0 && words.n == 0)
                r = cc_error_set(err, -EINVAL, "needs a path");
        for (size_t i = 0; r == 0 && i < words.n; i++)
                json_object_object_add(vols, words.v[i], json_object_new_object());
        cc_strv_free(&words);
        return r;
}

/* Go-style durations: "30s", "1m30s", "500ms", "1.5h". */
static int parse_duration(const char *s, int64_t *ns)
{
        static const struct { const char *unit; double mult; } units[] = {
                { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
        };
        double total = 0;
        if (!*s)
                return -1;
        while (*s) {
                char *end;
                double v = strtod(s, &end);
                if (end == s || v < 0)
                        return -1;
                s = end;
                size_t best = 0, bestlen = 0;
                for (size_t i = 0; i < CC_ARRAY_SIZE(units); i++) {
                        size_t n = strlen(units[i].unit);
                        if (strncmp(s, units[i].unit, n) == 0 && n > bestlen) {
                                best = i;
                                bestlen = n;
                        }
                }
                if (!bestlen)
                        return -1;
                total += v * units[best].mult;
                s += bestlen;
        }
        *ns = (int64_t) total;
        return 0;
}

static int change_healthcheck(json_object *cfg, const char *rest, struct cc_error *err)
{
        json_object *hc = json_object_new_object();
        json_object *test = json_object_new_array();
        const char *p = rest;
        int r = 0;
        while (isspace((unsigned char) *p))
                p++;
        if (strncasecmp(p, "NONE", 4) == 0 && (!p[4] || isspace((unsigned char) p[4]))) {
                json_object_array_add(test, json_object_new_string("NONE"));
                goto done;
        }
        static const char *opts[] = { "interval", "timeout", "start-period", "start-interval", "retries" };
        static const char *keys[] = { "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries" };
        while (r == 0 && cc_startswith(p, "--")) {
                const char *e = p;
                while (*e && !isspace((unsigned char) *e))
                        e++;
                _cleanup_free_ char *opt = cc_xstrndup(p + 2, (size_t) (e - p - 2));
                char *eq = strchr(opt, '=');
                size_t i = 0;
                for (; eq && i < CC_ARRAY_SIZE(opts); i++)
                        if (strncmp(opt, opts[i], (size_t) (eq - opt)) == 0 && strlen(opts[i]) == (size_t) (eq - opt))
                                break;
                int64_t v = 0;
                if (!eq || i == CC_ARRAY_SIZE(opts))
                        r = cc_error_set(err, -EINVAL, "unknown option --%s", opt);
                else if (i == 4 ? (v = strtol(eq + 1, NULL, 10)) <= 0 : parse_duration(eq + 1, &v) < 0)
                        r = cc_error_set(err, -EINVAL, "invalid value for --%s", opt);
                else
                        json_object_object_add(hc, keys[i], json_object_new_int64(v));
                p = e;
                while (isspace((unsigned char) *p))
                        p++;
        }
        if (r == 0 && !(strncasecmp(p, "CMD", 3) == 0 && isspace((unsigned char) p[3])))
                r = cc_error_set(err, -EINVAL, "expects CMD after the options");
        if (r == 0) {
                p += 4;
                while (isspace((unsigned char) *p))
                        p++;
                json_object *a = string_array(p);
                if (a) {
                        json_object_array_add(test, json_object_new_string("CMD"));
                        for (size_t i = 0; i < json_object_array_length(a); i++)
                                json_object_array_add(test, json_object_get(json_object_array_get_idx(a, i)));
                        json_object_put(a);
                } else {
                        json_object_array_add(test, json_object_new_string("CMD-SHELL"));
                        json_object_array_add(test, json_object_new_string(p));
                }
        }
done:
        if (r < 0) {
                json_object_put(hc);
                json_object_put(test);
                return r;
        }
        json_object_object_add(hc, "Test", test);
        json_object_object_add(cfg, "Healthcheck", hc);
        return 0;
}

int cc_image_apply_change(json_object *cfg, const char *change, struct cc_error *err)
{
        const char *p = change;
        while (isspace((unsigned char) *p))
                p++;
        const char *e = p;
        while (*e && !isspace((unsigned char) *e))
                e++;
        _cleanup_free_ char *kw = cc_xstrndup(p, (size_t) (e - p));
        for (char *k = kw; *k; k++)
                *k = (char) toupper((unsigned char) *k);
        while (isspace((unsigned char) *e))
                e++;
        _cleanup_free_ char *rest = cc_xstrdup(e);
        for (size_t n = strlen(rest); n > 0 && isspace((unsigned char) rest[n - 1]); n--)
                rest[n - 1] = '\0';
        int r = 0;
        if (!*rest && strcmp(kw, "ONBUILD") != 0) {
                r = cc_error_set(err, -EINVAL, "needs an argument");
        } else if (strcmp(kw, "CMD") == 0) {
                json_object_object_add(cfg, "Cmd", command(rest));
        } else if (strcmp(kw, "ENTRYPOINT") == 0) {
                json_object_object_add(cfg, "Entrypoint", command(rest));
        } else if (strcmp(kw, "ENV") == 0) {
                r = change_env(cfg, rest, err);
        } else if (strcmp(kw, "LABEL") == 0) {
                r = change_label(cfg, rest, err);
        } else if (strcmp(kw, "WORKDIR") == 0) {
                json_object *pv = NULL;
                json_object_object_get_ex(cfg, "WorkingDir", &pv);
                const char *prev = json_object_is_type(pv, json_type_string) ? json_object_get_string(pv) : NULL;
                _cleanup_free_ char *dir = rest[0] == '/' ? cc_path_clean(rest)
                                                          : cc_path_join(prev && *prev ? prev : "/", rest);
                json_object_object_add(cfg, "WorkingDir", json_object_new_string(dir));
        } else if (strcmp(kw, "USER") == 0) {
                json_object_object_add(cfg, "User", json_object_new_string(rest));
        } else if (strcmp(kw, "EXPOSE") == 0) {
                r = change_expose(cfg, rest, err);
        } else if (strcmp(kw, "STOPSIGNAL") == 0) {
                json_object_object_add(cfg, "StopSignal", json_object_new_string(rest));
        } else if (strcmp(kw, "VOLUME") == 0) {
                r = change_volume(cfg, rest, err);
        } else if (strcmp(kw, "HEALTHCHECK") == 0) {
                r = change_healthcheck(cfg, rest, err);
        } else if (strcmp(kw, "ONBUILD") == 0) {
                json_object_array_add(cc_image_json_member(cfg, "OnBuild", json_type_array), json_object_new_string(rest));
        } else {
                return cc_error_set(err, -EINVAL,
                                    "--change \"%s\": unsupported instruction \"%s\" (supported: CMD, ENTRYPOINT, ENV, "
                                    "EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)",
                                    change, kw);
        }
        return r < 0 ? cc_error_prefix(err, "--change \"%s\"", change) : 0;
}

static const char *go_arch(void)
{
        static char machine[sizeof(((struct utsname *) 0)->machine)];
        struct utsname u;
        if (uname(&u) < 0)
                return "amd64";
        if (strcmp(u.machine, "x86_64") == 0)
                return "amd64";
        if (strcmp(u.machine, "aarch64") == 0)
                return "arm64";
        if (cc_startswith(u.machine, "arm"))
                return "arm";
        if (u.machine[0] == 'i' && cc_endswith(u.machine, "86"))
                return "386";
        memcpy(machine, u.machine, sizeof(machine));
        return machine;
}

static int import_tx(struct cc_image_store *s, const struct cc_import_options *o, json_object *top,
                     const char *norm, char *id_out, struct cc_error *err)
{
        _cleanup_free_ char *spooled = NULL;
        const char *what = o->path && strcmp(o->path, "-") ? o->path : "standard input";
        int r = cc_image_spool_input(s, o->path, &spooled, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(spooled ? spooled : o->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "import %s", what);
        char blob[CC_DIGEST_LEN + 1];
        r = cc_image_blob_put_fd(s, fd, NULL, blob, NULL, err);
        if (r < 0)
                return cc_error_prefix(err, "import %s", what);
        _cleanup_free_ char *bpath = cc_image_blob_path(s, blob);
        _cleanup_close_ int bfd = open(bpath, O_RDONLY | O_CLOEXEC);
        if (bfd < 0)
                return cc_error_setsys(err, -errno, "open %s", bpath);
        struct cc_layer_info info;
        r = cc_layer_unpack_fd(bfd, -1, 0, &info, err);
        if (r < 0)
                return cc_error_prefix(err, "import %s", what);
        json_object *rootfs = json_object_new_object(), *diffs = json_object_new_array();
        json_object_array_add(diffs, json_object_new_string(info.diff_id));
        json_object_object_add(rootfs, "type", json_object_new_string("layers"));
        json_object_object_add(rootfs, "diff_ids", diffs);
        json_object_object_add(top, "rootfs", rootfs);
        const char *text = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_close_ int dfd = open(s->blobs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct cc_ingest_layer layer = { .dirfd = dfd, .path = cc_digest_hex(blob), .digest = blob };
        struct cc_ingest in = { .config = text, .config_len = strlen(text), .layers = &layer, .nlayers = 1 };
        r = cc_image_ingest(s, &in, id_out, err);
        if (r < 0)
                return cc_error_prefix(err, "import %s", what);
        if (norm && (r = cc_image_tag_set(s, norm, id_out, err)) < 0)
                return r;
        if (spooled)
                unlink(spooled);
        return 0;
}

int cc_image_import(struct cc_image_store *s, const struct cc_import_options *o, char *id_out,
                    struct cc_error *err)
{
        _cleanup_free_ char *norm = NULL;
        if (o->ref && !(norm = cc_image_ref_normalize(o->ref)))
                return cc_error_set(err, -EINVAL, "invalid reference format \"%s\"%s", o->ref,
                                    strpbrk(o->ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ? ": repository name must be lowercase"
                                                                                  : "");
        _cleanup_free_ char *now = cc_image_now_rfc3339();
        json_object *top = json_object_new_object();
        json_object *cfg = json_object_new_object();
        json_object_object_add(top, "architecture", json_object_new_string(go_arch()));
        json_object_object_add(top, "os", json_object_new_string("linux"));
        json_object_object_add(top, "created", json_object_new_string(now));
        if (o->message)
                json_object_object_add(top, "comment", json_object_new_string(o->message));
        json_object_object_add(top, "config", cfg);
        int r = 0;
        for (size_t i = 0; o->changes && i < o->changes->n && r == 0; i++)
                r = cc_image_apply_change(cfg, o->changes->v[i], err);
        json_object *hist = json_object_new_array(), *h = json_object_new_object();
        json_object_object_add(h, "created", json_object_new_string(now));
        json_object_object_add(h, "created_by", json_object_new_string("ccompose image import"));
        if (o->message)
                json_object_object_add(h, "comment", json_object_new_string(o->message));
        json_object_array_add(hist, h);
        json_object_object_add(top, "history", hist);
        if (r == 0)
                r = cc_image_tx_begin(s, err);
        if (r == 0) {
                r = import_tx(s, o, top, norm, id_out, err);
                if (r < 0)
                        cc_image_tx_abort(s);
                else
                        r = cc_image_tx_commit(s, err);
        }
        json_object_put(top);
        return r;
}
