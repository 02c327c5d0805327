/* `ccompose image load`: docker-archive (docker save: manifest.json with
 * Config/RepoTags/Layers, podman's variant, Docker 25's OCI-shaped one, and
 * the legacy layout with a "repositories" file and <id>/{json,layer.tar}),
 * OCI archives and OCI image layout directories (oci-layout, index.json,
 * blobs/sha256/...). An archive is first extracted into a staging
 * directory inside the store (with the same checks as layers); every file
 * is then opened beneath that directory, never outside it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "image-store.h"
#include "layer.h"

#define JSON_MAX (32u << 20)
#define INDEX_DEPTH_MAX 4

struct loader {
        struct cc_image_store *s;
        int dirfd;
        struct cc_load_result *res;
        struct cc_error *err;
};

void cc_load_result_free(struct cc_load_result *r)
{
        cc_strv_free(&r->lines);
        cc_strv_free(&r->notes);
}

static bool has_file(int dirfd, const char *path)
{
        int fd = cc_layer_open_in_root(dirfd, path, O_RDONLY);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

static int read_in(struct loader *l, const char *path, char **data, size_t *len)
{
        _cleanup_close_ int fd = cc_layer_open_in_root(l->dirfd, path, O_RDONLY);
        if (fd < 0)
                return cc_error_setsys(l->err, fd, "open %s", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return cc_error_setsys(l->err, -errno, "stat %s", path);
        if (!S_ISREG(st.st_mode))
                return cc_error_set(l->err, -EINVAL, "%s is not a regular file", path);
        if ((uint64_t) st.st_size > JSON_MAX)
                return cc_error_set(l->err, -EFBIG, "%s is too large (%lld bytes)", path, (long long) st.st_size);
        char *buf = cc_xmalloc((size_t) st.st_size + 1);
        size_t off = 0;
        while (off < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + off, (size_t) st.st_size - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        free(buf);
                        return cc_error_setsys(l->err, n < 0 ? -errno : -EIO, "read %s", path);
                }
                off += (size_t) n;
        }
        buf[off] = '\0';
        *data = buf;
        *len = off;
        return 0;
}

static int read_json(struct loader *l, const char *path, json_type type, json_object **out, char **raw,
                     size_t *rawlen)
{
        char *data;
        size_t len;
        int r = read_in(l, path, &data, &len);
        if (r < 0)
                return r;
        struct json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, data, (int) len);
        json_tokener_free(tok);
        if (!o || !json_object_is_type(o, type)) {
                json_object_put(o);
                free(data);
                return cc_error_set(l->err, -EINVAL, "%s: malformed JSON (expected an %s)", path,
                                    type == json_type_array ? "array" : "object");
        }
        *out = o;
        if (raw) {
                *raw = data;
                *rawlen = len;
        } else {
                free(data);
        }
        return 0;
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static void add_line(struct loader *l, const char *prefix, const char *arg)
{
        char *line = cc_xasprintf("%s%s", prefix, arg);
        if (cc_strv_contains(&l->res->lines, line))
                free(line);
        else
                cc_strv_push_owned(&l->res->lines, line);
}

static int tag_image(struct loader *l, const char *ref, const char *id, const char *where)
{
        _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
        if (!norm)
                return cc_error_set(l->err, -EINVAL, "%s: invalid image reference \"%s\"", where, ref);
        int r = cc_image_tag_set(l->s, norm, id, l->err);
        if (r < 0)
                return r;
        add_line(l, "Loaded image: ", norm);
        return 0;
}

/* "blobs/sha256/<hex>" or "<hex>.json" / "<hex>.tar" / "<hex>/layer.tar"
 * name their digest; anything else does not. */
static char *digest_from_path(const char *path)
{
        const char *p = path;
        if (cc_startswith(p, "./"))
                p += 2;
        if (cc_startswith(p, "blobs/sha256/") && cc_is_hex(p + 13, 64, 64))
                return cc_xasprintf("sha256:%s", p + 13);
        size_t n = strlen(p);
        if (n == 69 && (cc_endswith(p, ".json") || cc_endswith(p, ".tar"))) {
                _cleanup_free_ char *hex = cc_xstrndup(p, 64);
                if (cc_is_hex(hex, 64, 64) && cc_endswith(p, ".json"))
                        return cc_xasprintf("sha256:%s", hex);
        }
        return NULL;
}

/* ---- docker-archive, current layout ---- */

static int docker_one(struct loader *l, json_object *item, size_t idx)
{
        const char *cfgpath = jstr(item, "Config");
        json_object *layers, *tags;
        if (!cfgpath || !json_object_object_get_ex(item, "Layers", &layers) ||
            !json_object_is_type(layers, json_type_array))
                return cc_error_set(l->err, -EINVAL, "manifest.json: entry %zu lacks Config or Layers", idx + 1);
        _cleanup_free_ char *cfg = NULL;
        size_t cfglen;
        int r = read_in(l, cfgpath, &cfg, &cfglen);
        if (r < 0)
                return r;
        _cleanup_free_ char *cfgdigest = digest_from_path(cfgpath);
        size_t n = json_object_array_length(layers);
        struct cc_ingest_layer *ls = cc_xcalloc(n, sizeof(*ls));
        char **digests = cc_xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n && r == 0; i++) {
                json_object *v = json_object_array_get_idx(layers, i);
                if (!json_object_is_type(v, json_type_string)) {
                        r = cc_error_set(l->err, -EINVAL, "manifest.json: layer %zu is not a path", i + 1);
                        break;
                }
                ls[i].dirfd = l->dirfd;
                ls[i].path = json_object_get_string(v);
                digests[i] = cc_startswith(ls[i].path, "blobs/") ? digest_from_path(ls[i].path) : NULL;
                ls[i].digest = digests[i];
        }
        char id[CC_DIGEST_LEN + 1];
        if (r == 0) {
                struct cc_ingest in = {
                        .config = cfg, .config_len = cfglen, .config_digest = cfgdigest,
                        .layers = ls, .nlayers = n,
                };
                r = cc_image_ingest(l->s, &in, id, l->err);
        }
        for (size_t i = 0; i < n; i++)
                free(digests[i]);
        free(digests);
        free(ls);
        if (r < 0)
                return r;
        size_t ntags = 0;
        if (json_object_object_get_ex(item, "RepoTags", &tags) && json_object_is_type(tags, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(tags); i++) {
                        const char *t = json_object_get_string(json_object_array_get_idx(tags, i));
                        if (!t)
                                continue;
                        if ((r = tag_image(l, t, id, "manifest.json")) < 0)
                                return r;
                        ntags++;
                }
        }
        if (ntags == 0)
                add_line(l, "Loaded image ID: ", id);
        return 0;
}

static int docker_load(struct loader *l)
{
        json_object *m = NULL;
        int r = read_json(l, "manifest.json", json_type_array, &m, NULL, NULL);
        if (r < 0)
                return r;
        size_t n = json_object_array_length(m);
        if (n == 0)
                r = cc_error_set(l->err, -EINVAL, "manifest.json lists no image");
        for (size_t i = 0; i < n && r == 0; i++) {
                json_object *item = json_object_array_get_idx(m, i);
                if (!json_object_is_type(item, json_type_object))
                        r = cc_error_set(l->err, -EINVAL, "manifest.json: entry %zu is not an object", i + 1);
                else
                        r = docker_one(l, item, i);
        }
        json_object_put(m);
        return r;
}

/* ---- docker-archive, legacy layout (repositories + <id>/json) ---- */

static int legacy_image(struct loader *l, const char *top, struct cc_strv *tags)
{
        struct cc_strv chain = {0}; /* ids, top first */
        json_object *topjson = NULL;
        int r = 0;
        const char *cur = top;
        _cleanup_free_ char *next = NULL;
        while (cur && r == 0) {
                if (!cc_is_hex(cur, 64, 64) || cc_strv_contains(&chain, cur) || chain.n > 256) {
                        r = cc_error_set(l->err, -EINVAL, "repositories: bad layer chain at \"%s\"", cur);
                        break;
                }
                cc_strv_push(&chain, cur);
                _cleanup_free_ char *p = cc_xasprintf("%s/json", cur);
                json_object *j = NULL;
                r = read_json(l, p, json_type_object, &j, NULL, NULL);
                if (r < 0)
                        break;
                const char *parent = jstr(j, "parent");
                free(next);
                next = parent && *parent ? cc_xstrdup(parent) : NULL;
                if (!topjson)
                        topjson = j;
                else
                        json_object_put(j);
                cur = next;
        }
        json_object *diffs = json_object_new_array();
        struct cc_ingest_layer *ls = cc_xcalloc(chain.n + 1, sizeof(*ls));
        char **paths = cc_xcalloc(chain.n + 1, sizeof(char *));
        for (size_t i = 0; i < chain.n && r == 0; i++) {
                const char *id = chain.v[chain.n - 1 - i];
                paths[i] = cc_xasprintf("%s/layer.tar", id);
                ls[i] = (struct cc_ingest_layer){ .dirfd = l->dirfd, .path = paths[i] };
                _cleanup_close_ int fd = cc_layer_open_in_root(l->dirfd, paths[i], O_RDONLY);
                if (fd < 0) {
                        r = cc_error_setsys(l->err, fd, "open %s", paths[i]);
                        break;
                }
                struct cc_layer_info info;
                r = cc_layer_unpack_fd(fd, -1, 0, &info, l->err);
                if (r < 0)
                        cc_error_prefix(l->err, "%s", paths[i]);
                else
                        json_object_array_add(diffs, json_object_new_string(info.diff_id));
        }
        char id[CC_DIGEST_LEN + 1];
        if (r == 0) {
                /* The v1 JSON of the top layer becomes the config, as Docker
                 * converts it: drop the v1 identifiers, add rootfs. */
                const char *drop[] = { "id", "parent", "Size", "parent_id", "layer_id", "throwaway" };
                for (size_t i = 0; i < CC_ARRAY_SIZE(drop); i++)
                        json_object_object_del(topjson, drop[i]);
                json_object *rootfs = json_object_new_object();
                json_object_object_add(rootfs, "type", json_object_new_string("layers"));
                json_object_object_add(rootfs, "diff_ids", json_object_get(diffs));
                json_object_object_add(topjson, "rootfs", rootfs);
                const char *text = json_object_to_json_string_ext(topjson, JSON_C_TO_STRING_PLAIN |
                                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
                struct cc_ingest in = { .config = text, .config_len = strlen(text), .layers = ls,
                                        .nlayers = chain.n };
                r = cc_image_ingest(l->s, &in, id, l->err);
        }
        for (size_t i = 0; i < chain.n; i++)
                free(paths[i]);
        free(paths);
        free(ls);
        json_object_put(diffs);
        json_object_put(topjson);
        cc_strv_free(&chain);
        for (size_t i = 0; i < tags->n && r == 0; i++)
                r = tag_image(l, tags->v[i], id, "repositories");
        return r;
}

static int legacy_load(struct loader *l)
{
        json_object *repos = NULL;
        int r = read_json(l, "repositories", json_type_object, &repos, NULL, NULL);
        if (r < 0)
                return r;
        struct cc_strv tops = {0};
        json_object_object_foreach(repos, repo, tagmap) {
                if (!json_object_is_type(tagmap, json_type_object))
                        continue;
                json_object_object_foreach(tagmap, tag, idv) {
                        const char *id = json_object_get_string(idv);
                        if (id && !cc_strv_contains(&tops, id))
                                cc_strv_push(&tops, id);
                        (void) repo;
                        (void) tag;
                }
        }
        if (tops.n == 0)
                r = cc_error_set(l->err, -EINVAL, "repositories lists no image");
        for (size_t i = 0; i < tops.n && r == 0; i++) {
                struct cc_strv tags = {0};
                json_object_object_foreach(repos, repo2, tagmap2) {
                        if (!json_object_is_type(tagmap2, json_type_object))
                                continue;
                        json_object_object_foreach(tagmap2, tag2, idv2)
                                if (cc_streq(json_object_get_string(idv2), tops.v[i]))
                                        cc_strv_push_owned(&tags, cc_xasprintf("%s:%s", repo2, tag2));
                }
                r = legacy_image(l, tops.v[i], &tags);
                cc_strv_free(&tags);
        }
        cc_strv_free(&tops);
        json_object_put(repos);
        return r;
}

/* ---- OCI image layout ---- */

static const char *host_arch(void)
{
        struct utsname u;
        if (uname(&u) < 0)
                return "amd64";
        static const struct { const char *machine, *arch; } map[] = {
                { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" }, { "armv6l", "arm" },
                { "i686", "386" }, { "i386", "386" }, { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
                { "riscv64", "riscv64" },
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(map); i++)
                if (strcmp(u.machine, map[i].machine) == 0)
                        return map[i].arch;
        return "amd64";
}

static bool layer_media_type_ok(const char *mt)
{
        return !mt || (strstr(mt, "tar") && !strstr(mt, "encrypted"));
}

static int read_blob(struct loader *l, const char *digest, char **data, size_t *len)
{
        if (!cc_digest_valid(digest))
                return cc_error_set(l->err, -EINVAL, "unsupported or invalid digest \"%s\"", digest ? digest : "");
        _cleanup_free_ char *p = cc_xasprintf("blobs/sha256/%s", cc_digest_hex(digest));
        int r = read_in(l, p, data, len);
        if (r < 0)
                return r;
        char got[CC_DIGEST_LEN + 1];
        cc_sha256_digest(*data, *len, got);
        if (strcmp(got, digest) != 0) {
                free(*data);
                *data = NULL;
                return cc_error_set(l->err, -EBADMSG, "blob %s: digest mismatch: content has %s", digest, got);
        }
        return 0;
}

static int oci_manifest(struct loader *l, const char *digest, char *raw, size_t rawlen, json_object *m,
                        char *id)
{
        json_object *cfgd, *layers;
        if (!json_object_object_get_ex(m, "config", &cfgd) || !json_object_object_get_ex(m, "layers", &layers) ||
            !json_object_is_type(layers, json_type_array))
                return cc_error_set(l->err, -EINVAL, "manifest %s lacks config or layers", digest);
        const char *cfgdigest = jstr(cfgd, "digest");
        _cleanup_free_ char *cfg = NULL;
        size_t cfglen;
        int r = read_blob(l, cfgdigest, &cfg, &cfglen);
        if (r < 0)
                return cc_error_prefix(l->err, "image config");
        size_t n = json_object_array_length(layers);
        struct cc_ingest_layer *ls = cc_xcalloc(n + 1, sizeof(*ls));
        char **paths = cc_xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n && r == 0; i++) {
                json_object *d = json_object_array_get_idx(layers, i);
                const char *ld = jstr(d, "digest"), *mt = jstr(d, "mediaType");
                if (!cc_digest_valid(ld))
                        r = cc_error_set(l->err, -EINVAL, "layer %zu: unsupported or invalid digest \"%s\"", i + 1,
                                         ld ? ld : "");
                else if (!layer_media_type_ok(mt))
                        r = cc_error_set(l->err, -ENOTSUP, "layer %zu: unsupported media type %s", i + 1, mt);
                else {
                        paths[i] = cc_xasprintf("blobs/sha256/%s", cc_digest_hex(ld));
                        ls[i] = (struct cc_ingest_layer){ .dirfd = l->dirfd, .path = paths[i], .digest = ld,
                                                          .media_type = mt };
                }
        }
        if (r == 0) {
                struct cc_ingest in = {
                        .config = cfg, .config_len = cfglen, .config_digest = cfgdigest,
                        .manifest = raw, .manifest_len = rawlen, .manifest_digest = digest,
                        .layers = ls, .nlayers = n,
                };
                r = cc_image_ingest(l->s, &in, id, l->err);
        }
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        free(ls);
        return r;
}

/* Pick this host's platform from an image index. */
static json_object *pick_platform(struct loader *l, json_object *manifests, const char *digest)
{
        const char *arch = host_arch();
        struct cc_buf seen = {0};
        json_object *fallback = NULL;
        size_t candidates = 0;
        for (size_t i = 0; i < json_object_array_length(manifests); i++) {
                json_object *d = json_object_array_get_idx(manifests, i), *p;
                if (!json_object_object_get_ex(d, "platform", &p)) {
                        if (!fallback)
                                fallback = d;
                        candidates++;
                        continue;
                }
                const char *os = jstr(p, "os"), *a = jstr(p, "architecture");
                if (cc_streq(os, "linux") && cc_streq(a, arch)) {
                        cc_buf_free(&seen);
                        return d;
                }
                if (os && strcmp(os, "unknown") != 0)
                        cc_buf_printf(&seen, "%s%s/%s", seen.len ? ", " : "", os, a ? a : "?");
        }
        if (fallback && candidates == 1 && seen.len == 0) {
                cc_buf_free(&seen);
                return fallback;
        }
        cc_error_set(l->err, -ENOENT, "image index %s has no image for linux/%s (it has: %s)", digest, arch,
                     seen.len ? seen.s : "none");
        cc_buf_free(&seen);
        return NULL;
}

/* A descriptor from index.json or a nested index: load the image it leads to. */
static int oci_descriptor(struct loader *l, json_object *desc, int depth, char *id)
{
        const char *digest = jstr(desc, "digest");
        if (depth > INDEX_DEPTH_MAX)
                return cc_error_set(l->err, -ELOOP, "image indexes nested too deeply at %s", digest);
        _cleanup_free_ char *raw = NULL;
        size_t rawlen;
        int r = read_blob(l, digest, &raw, &rawlen);
        if (r < 0)
                return r;
        struct json_tokener *tok = json_tokener_new();
        json_object *m = json_tokener_parse_ex(tok, raw, (int) rawlen), *manifests;
        json_tokener_free(tok);
        if (!m || !json_object_is_type(m, json_type_object)) {
                json_object_put(m);
                return cc_error_set(l->err, -EINVAL, "manifest %s: malformed JSON", digest);
        }
        if (json_object_object_get_ex(m, "manifests", &manifests) &&
            json_object_is_type(manifests, json_type_array)) {
                json_object *pick = pick_platform(l, manifests, digest);
                r = pick ? oci_descriptor(l, pick, depth + 1, id) : -ENOENT;
        } else {
                r = oci_manifest(l, digest, raw, rawlen, m, id);
        }
        json_object_put(m);
        return r;
}

static int oci_load(struct loader *l)
{
        json_object *layout = NULL, *index = NULL, *manifests;
        int r = read_json(l, "oci-layout", json_type_object, &layout, NULL, NULL);
        if (r < 0)
                return cc_error_prefix(l->err, "not an OCI image layout");
        bool ok = jstr(layout, "imageLayoutVersion") != NULL;
        json_object_put(layout);
        if (!ok)
                return cc_error_set(l->err, -EINVAL, "oci-layout has no imageLayoutVersion");
        r = read_json(l, "index.json", json_type_object, &index, NULL, NULL);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(index, "manifests", &manifests) ||
            !json_object_is_type(manifests, json_type_array) || json_object_array_length(manifests) == 0) {
                json_object_put(index);
                return cc_error_set(l->err, -EINVAL, "index.json lists no manifest");
        }
        for (size_t i = 0; i < json_object_array_length(manifests) && r == 0; i++) {
                json_object *d = json_object_array_get_idx(manifests, i), *ann = NULL;
                char id[CC_DIGEST_LEN + 1];
                r = oci_descriptor(l, d, 0, id);
                if (r < 0)
                        break;
                json_object_object_get_ex(d, "annotations", &ann);
                const char *full = jstr(ann, "io.containerd.image.name");
                const char *name = jstr(ann, "org.opencontainers.image.ref.name");
                if (full) {
                        r = tag_image(l, full, id, "index.json");
                } else if (name && strpbrk(name, "/:@")) {
                        r = tag_image(l, name, id, "index.json");
                } else {
                        add_line(l, "Loaded image ID: ", id);
                        if (name)
                                cc_strv_push_owned(&l->res->notes,
                                                   cc_xasprintf("the OCI reference name \"%s\" has no repository, so "
                                                                "the image was loaded by ID; name it with "
                                                                "'ccompose image tag %.19s NAME:%s'",
                                                                name, id, name));
                }
        }
        json_object_put(index);
        return r;
}

static int load_dir(struct loader *l, const char *what)
{
        int r;
        if (has_file(l->dirfd, "manifest.json"))
                r = docker_load(l);
        else if (has_file(l->dirfd, "index.json") || has_file(l->dirfd, "oci-layout"))
                r = oci_load(l);
        else if (has_file(l->dirfd, "repositories"))
                r = legacy_load(l);
        else
                r = cc_error_set(l->err, -EINVAL,
                                 "not a docker-archive or OCI image: no manifest.json, index.json or repositories");
        return r < 0 ? cc_error_prefix(l->err, "load %s", what) : 0;
}

/* Copy stdin to a file in the staging area. */
static int spool_stdin(struct cc_image_store *s, char **path, struct cc_error *err)
{
        *path = cc_xasprintf("%s/stdin-XXXXXX", s->tmp_dir);
        _cleanup_close_ int fd = mkostemp(*path, O_CLOEXEC);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "create %s", *path);
        char buf[65536];
        for (;;) {
                ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cc_error_setsys(err, -errno, "read standard input");
                if (n == 0)
                        return 0;
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(fd, buf + off, (size_t) (n - off));
                        if (w < 0 && errno != EINTR)
                                return cc_error_setsys(err, -errno, "write %s", *path);
                        if (w > 0)
                                off += w;
                }
        }
}

int cc_image_spool_input(struct cc_image_store *s, const char *path, char **spooled, struct cc_error *err)
{
        *spooled = NULL;
        if (path && strcmp(path, "-") != 0)
                return 0;
        if (isatty(STDIN_FILENO))
                return cc_error_set(err, -EINVAL, "requested load from stdin, but stdin is a terminal");
        return spool_stdin(s, spooled, err);
}

int cc_image_load(struct cc_image_store *s, const char *path, struct cc_load_result *res, struct cc_error *err)
{
        int r = cc_image_tx_begin(s, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *spooled = NULL, *stage = NULL;
        _cleanup_close_ int dirfd = -1;
        const char *what = path && strcmp(path, "-") ? path : "standard input";
        r = cc_image_spool_input(s, path, &spooled, err);
        if (r < 0)
                goto fail;
        const char *src = spooled ? spooled : path;
        struct stat st;
        if (stat(src, &st) < 0) {
                r = cc_error_setsys(err, -errno, "load %s", what);
                goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
                dirfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd < 0) {
                        r = cc_error_setsys(err, -errno, "load %s", what);
                        goto fail;
                }
        } else {
                stage = cc_xasprintf("%s/load-XXXXXX", s->tmp_dir);
                if (!mkdtemp(stage)) {
                        r = cc_error_setsys(err, -errno, "create %s", stage);
                        goto fail;
                }
                dirfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
                if (dirfd < 0 || fd < 0) {
                        r = cc_error_setsys(err, -errno, "load %s", what);
                        goto fail;
                }
                r = cc_layer_unpack_fd(fd, dirfd, 0, NULL, err);
                if (r < 0) {
                        cc_error_prefix(err, "load %s", what);
                        goto fail;
                }
        }
        struct loader l = { .s = s, .dirfd = dirfd, .res = res, .err = err };
        r = load_dir(&l, what);
        if (r < 0)
                goto fail;
        if (stage || spooled) {
                _cleanup_close_ int tfd = open(s->tmp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (tfd >= 0 && stage)
                        cc_layer_rm_tree(tfd, strrchr(stage, '/') + 1, NULL);
                if (tfd >= 0 && spooled)
                        unlinkat(tfd, strrchr(spooled, '/') + 1, 0);
        }
        /* A reloaded image may replace its manifest: drop what became unused. */
        r = cc_image_gc(s, err);
        if (r < 0)
                goto fail;
        return cc_image_tx_commit(s, err);
fail:
        cc_image_tx_abort(s);
        return r;
}
