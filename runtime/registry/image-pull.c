/* `ccompose pull`: resolve a reference on its registry (a manifest list or
 * OCI index leads to the platform's manifest), fetch the config and the
 * layer blobs the store lacks (concurrently, each checked against its
 * digest and size as it arrives), then hand them to the store's ingest,
 * which unpacks and checks diff-ids, and tag. The store changes inside one
 * transaction: a failed pull leaves it as it was. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <sys/socket.h>

#include "image-store.h"
#include "registry-client.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define ACCEPT_MANIFESTS MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST
#define MANIFEST_MAX (4u << 20)
#define CONFIG_MAX (32u << 20)
#define INDEX_DEPTH_MAX 2

struct puller;

struct layer {
        struct puller *p;
        const char *digest;
        const char *media_type;
        int64_t size;
        bool download;      /* fetched by this pull (first occurrence, not in the store) */
        char *path;         /* staging file */
        struct cc_reg_xfer x;
        /* Unpacking while downloading: a thread reads the body from a socket
         * the transfer tees into (cc_image_layer_prepare). */
        const char *stage;
        bool streaming;
        int stream_fd;      /* the thread's end */
        pthread_t thread;
        char *tree;
        char tree_diff_id[CC_DIGEST_LEN + 1];
        uint64_t tree_size;
        int tree_result;
};

struct puller {
        struct cc_image_store *s;
        const struct cc_pull_options *o;
        struct cc_registry_ref ref;
        char *name;               /* familiar reference, for messages */
        struct cc_platform want;
        bool want_explicit;
        struct cc_reg_client *c;
        struct cc_error *err;
        char top_digest[CC_DIGEST_LEN + 1]; /* what the reference resolved to */
        char *raw;                /* the image manifest */
        size_t raw_len;
        char digest[CC_DIGEST_LEN + 1];
        json_object *man;
        char *cfg;
        size_t cfg_len;
        struct layer *layers;
        size_t nlayers;
        char *pulls;              /* images/pulls: the staging areas of running pulls */
        char *stage;              /* this pull's: downloaded blobs, unpacked trees */
        int stage_lock;           /* flock()ed while the pull runs */
};

static void emit(struct puller *p, enum cc_pull_status st, const char *layer, uint64_t cur, uint64_t total)
{
        if (!p->o->progress)
                return;
        struct cc_pull_event ev = {
                .status = st, .ref = p->ref.norm, .layer = layer, .current = cur, .total = total,
        };
        p->o->progress(&ev, p->o->progress_data);
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *key)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -1;
        return json_object_get_int64(v);
}

void cc_pull_result_free(struct cc_pull_result *r)
{
        free(r->ref);
        r->ref = NULL;
}

/* ---- manifests ---- */

enum kind { K_INDEX, K_MANIFEST };

static int classify(struct puller *p, const char *content_type, json_object *m, enum kind *k)
{
        const char *mt = jstr(m, "mediaType");
        _cleanup_free_ char *ct = content_type ? cc_xstrndup(content_type, strcspn(content_type, "; ")) : NULL;
        const char *t = mt ? mt : ct;
        if (t && (strstr(t, "manifest.v1+json") || strstr(t, "manifest.v1+prettyjws")) &&
            strstr(t, "vnd.docker.distribution"))
                return cc_error_set(p->err, -ENOTSUP,
                                    "a Docker schema 1 image, which ccompose does not pull; push it again with "
                                    "a current client");
        json_object *v;
        if ((t && (strcmp(t, MT_OCI_INDEX) == 0 || strcmp(t, MT_DOCKER_LIST) == 0)) ||
            (!mt && json_object_object_get_ex(m, "manifests", &v))) {
                *k = K_INDEX;
                return 0;
        }
        if ((t && (strcmp(t, MT_OCI_MANIFEST) == 0 || strcmp(t, MT_DOCKER_MANIFEST) == 0)) ||
            (!mt && json_object_object_get_ex(m, "config", &v) && json_object_object_get_ex(m, "layers", &v))) {
                *k = K_MANIFEST;
                return 0;
        }
        return cc_error_set(p->err, -ENOTSUP, "unsupported manifest type \"%s\"", t ? t : "(none)");
}

/* GET a manifest by tag or digest (expect: its digest when known). */
static int get_manifest(struct puller *p, const char *reference, const char *expect, int64_t size, char **raw,
                        size_t *len, char *digest, char **content_type)
{
        struct cc_reg_xfer x;
        _cleanup_free_ char *path = cc_xasprintf("/v2/%s/manifests/%s", p->ref.repository, reference);
        cc_reg_xfer_init(&x, path, -1);
        x.accept = ACCEPT_MANIFESTS;
        x.limit = MANIFEST_MAX;
        x.digest = expect;
        x.size = size;
        struct cc_reg_xfer *xs[] = { &x };
        int r = cc_reg_fetch(p->c, xs, 1, p->err);
        if (r < 0 && x.fail == CC_REG_NOT_FOUND) {
                /* MANIFEST_UNKNOWN for a tag, NAME_UNKNOWN for a repository. */
                const char *text = cc_error_msg(&x.err);
                if (strcmp(text, "manifest unknown") == 0)
                        r = cc_error_set(p->err, -ENOENT, "manifest unknown");
                else
                        r = cc_error_set(p->err, -ENOENT, "manifest unknown (%s)", text);
        } else if (r < 0 && x.fail == CC_REG_CORRUPT) {
                cc_error_prefix(p->err, "manifest %s", reference);
        }
        if (r == 0 && x.docker_digest && cc_digest_valid(x.docker_digest) && strcmp(x.docker_digest, x.got_digest) != 0)
                r = cc_error_set(p->err, -EBADMSG,
                                 "manifest %s: digest mismatch: the registry says %s, the content has %s", reference,
                                 x.docker_digest, x.got_digest);
        if (r == 0) {
                *len = x.body.len;
                *raw = x.body.s ? cc_steal(&x.body.s) : cc_xstrdup("");
                strcpy(digest, x.got_digest);
                *content_type = x.content_type ? cc_steal(&x.content_type) : NULL;
        }
        cc_reg_xfer_free(&x);
        return r;
}

static json_object *parse_object(const char *raw, size_t len)
{
        struct json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, raw, (int) len);
        json_tokener_free(tok);
        if (o && !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static bool attestation(json_object *d)
{
        json_object *ann;
        return json_object_object_get_ex(d, "annotations", &ann) &&
               cc_streq(jstr(ann, "vnd.docker.reference.type"), "attestation-manifest");
}

/* The entry of an index for the wanted platform. */
static json_object *pick(struct puller *p, json_object *manifests)
{
        json_object *best = NULL;
        int best_rank = 0;
        size_t n = json_object_array_length(manifests), usable = 0;
        struct cc_buf seen = {0};
        for (size_t i = 0; i < n; i++) {
                json_object *d = json_object_array_get_idx(manifests, i), *pl;
                if (attestation(d))
                        continue;
                usable++;
                if (!json_object_object_get_ex(d, "platform", &pl))
                        continue;
                const char *os = jstr(pl, "os"), *arch = jstr(pl, "architecture"), *variant = jstr(pl, "variant");
                if (os && arch && strcmp(os, "unknown") != 0)
                        cc_buf_printf(&seen, "%s%s/%s%s%s", seen.len ? ", " : "", os, arch, variant ? "/" : "",
                                      variant ? variant : "");
                int rank = cc_platform_match(&p->want, os, arch, variant);
                if (rank > best_rank) {
                        best = d;
                        best_rank = rank;
                }
        }
        /* An index whose only image names no platform: that one. */
        if (!best && usable == 1 && seen.len == 0)
                for (size_t i = 0; i < n && !best; i++)
                        if (!attestation(json_object_array_get_idx(manifests, i)))
                                best = json_object_array_get_idx(manifests, i);
        if (!best) {
                char want[96];
                cc_error_set(p->err, -ENOENT, "no matching manifest for %s in the manifest list entries (it has: %s)",
                             cc_platform_format(&p->want, want, sizeof(want)), seen.len ? seen.s : "none");
        }
        cc_buf_free(&seen);
        return best;
}

/* Resolve the reference to one image manifest (p->raw, p->digest, p->man). */
static int resolve(struct puller *p)
{
        const char *reference = p->ref.digest ? p->ref.digest : p->ref.tag;
        const char *expect = p->ref.digest;
        int64_t size = -1;
        _cleanup_free_ char *owned_ref = NULL;
        for (int depth = 0;; depth++) {
                char *raw = NULL, *ct = NULL;
                size_t len = 0;
                char digest[CC_DIGEST_LEN + 1];
                int r = get_manifest(p, reference, expect, size, &raw, &len, digest, &ct);
                if (r < 0)
                        return r;
                if (depth == 0)
                        strcpy(p->top_digest, digest);
                json_object *m = parse_object(raw, len), *manifests;
                enum kind k = K_MANIFEST;
                if (!m)
                        r = cc_error_set(p->err, -EINVAL, "manifest %s is not a JSON object", digest);
                else
                        r = classify(p, ct, m, &k);
                free(ct);
                if (r == 0 && k == K_MANIFEST) {
                        p->raw = raw;
                        p->raw_len = len;
                        strcpy(p->digest, digest);
                        p->man = m;
                        return 0;
                }
                if (r == 0 && depth >= INDEX_DEPTH_MAX)
                        r = cc_error_set(p->err, -ELOOP, "image indexes nested too deeply");
                json_object *d = NULL;
                if (r == 0 && (!json_object_object_get_ex(m, "manifests", &manifests) ||
                               !json_object_is_type(manifests, json_type_array)))
                        r = cc_error_set(p->err, -EINVAL, "index %s has no \"manifests\" array", digest);
                if (r == 0 && !(d = pick(p, manifests)))
                        r = -ENOENT;
                if (r == 0 && !cc_digest_valid(jstr(d, "digest")))
                        r = cc_error_set(p->err, -ENOTSUP, "unsupported or invalid digest \"%s\" in index %s",
                                         jstr(d, "digest") ? jstr(d, "digest") : "", digest);
                if (r == 0) {
                        free(owned_ref);
                        owned_ref = cc_xstrdup(jstr(d, "digest"));
                        reference = expect = owned_ref;
                        size = jint(d, "size");
                }
                json_object_put(m);
                free(raw);
                if (r < 0)
                        return r;
        }
}

/* ---- config and layers ---- */

static bool layer_type_ok(const char *mt)
{
        return !mt || (strstr(mt, "tar") && !strstr(mt, "encrypted"));
}

static int check_manifest(struct puller *p, json_object **cfgd)
{
        json_object *layers;
        if (!json_object_object_get_ex(p->man, "config", cfgd) || !json_object_is_type(*cfgd, json_type_object) ||
            !json_object_object_get_ex(p->man, "layers", &layers) || !json_object_is_type(layers, json_type_array))
                return cc_error_set(p->err, -EINVAL, "manifest %s lacks config or layers", p->digest);
        const char *cmt = jstr(*cfgd, "mediaType");
        if (cmt && strcmp(cmt, "application/vnd.docker.container.image.v1+json") != 0 &&
            strcmp(cmt, "application/vnd.oci.image.config.v1+json") != 0)
                return cc_error_set(p->err, -ENOTSUP, "not a container image (its config is %s)", cmt);
        if (!cc_digest_valid(jstr(*cfgd, "digest")))
                return cc_error_set(p->err, -ENOTSUP, "unsupported or invalid config digest \"%s\"",
                                    jstr(*cfgd, "digest") ? jstr(*cfgd, "digest") : "");
        p->nlayers = json_object_array_length(layers);
        p->layers = cc_xcalloc(p->nlayers + 1, sizeof(*p->layers));
        for (size_t i = 0; i < p->nlayers; i++) {
                json_object *d = json_object_array_get_idx(layers, i);
                struct layer *l = &p->layers[i];
                l->digest = jstr(d, "digest");
                l->media_type = jstr(d, "mediaType");
                l->size = jint(d, "size");
                l->x.fd = -1;
                l->x.tee_fd = -1;
                l->stream_fd = -1;
                l->p = p;
                if (!cc_digest_valid(l->digest))
                        return cc_error_set(p->err, -ENOTSUP, "layer %zu: unsupported or invalid digest \"%s\"",
                                            i + 1, l->digest ? l->digest : "");
                if (!layer_type_ok(l->media_type))
                        return cc_error_set(p->err, -ENOTSUP, "layer %zu: unsupported media type %s", i + 1,
                                            l->media_type);
        }
        return 0;
}

static int get_config(struct puller *p, json_object *cfgd)
{
        const char *digest = jstr(cfgd, "digest");
        if (cc_image_blob_exists(p->s, digest)) {
                int r = cc_image_blob_read(p->s, digest, &p->cfg, &p->cfg_len, p->err);
                if (r == 0) {
                        char got[CC_DIGEST_LEN + 1];
                        cc_sha256_digest(p->cfg, p->cfg_len, got);
                        if (strcmp(got, digest) == 0)
                                return 0;
                        free(p->cfg);
                        p->cfg = NULL;
                }
                cc_error_clear(p->err);
        }
        struct cc_reg_xfer x;
        _cleanup_free_ char *path = cc_xasprintf("/v2/%s/blobs/%s", p->ref.repository, digest);
        cc_reg_xfer_init(&x, path, -1);
        x.limit = CONFIG_MAX;
        x.digest = digest;
        x.size = jint(cfgd, "size");
        struct cc_reg_xfer *xs[] = { &x };
        int r = cc_reg_fetch(p->c, xs, 1, p->err);
        if (r < 0) {
                cc_error_prefix(p->err, "image config %s", digest);
        } else {
                p->cfg_len = x.body.len;
                p->cfg = x.body.s ? cc_steal(&x.body.s) : cc_xstrdup("");
        }
        cc_reg_xfer_free(&x);
        return r;
}

/* An explicitly requested platform must be the image's. */
static int check_platform(struct puller *p)
{
        if (!p->want_explicit)
                return 0;
        json_object *cfg = parse_object(p->cfg, p->cfg_len);
        const char *os = jstr(cfg, "os"), *arch = jstr(cfg, "architecture"), *variant = jstr(cfg, "variant");
        int r = 0;
        if (os && arch && cc_platform_match(&p->want, os, arch, variant) == 0) {
                char want[96];
                r = cc_error_set(p->err, -ENOENT,
                                 "the image was found but does not match the specified platform: wanted %s, actual: "
                                 "%s/%s%s%s",
                                 cc_platform_format(&p->want, want, sizeof(want)), os, arch,
                                 variant ? "/" : "", variant ? variant : "");
        }
        json_object_put(cfg);
        return r;
}

static void *stream_unpack(void *data)
{
        struct layer *l = data;
        struct cc_error e = {0};
        l->tree_result = cc_image_layer_prepare(l->stream_fd, l->stage, &l->tree, l->tree_diff_id, &l->tree_size,
                                                &e);
        /* A failure here is not the pull's: the layer is unpacked again from
         * the file, which reports a real problem with the blob. */
        cc_error_clear(&e);
        close(l->stream_fd);
        l->stream_fd = -1;
        /* No sync here: the pull syncs once, when everything is written
         * (see ingest). A syncfs per layer while other layers still unpack
         * made each of them a journal commit that the other threads' file
         * creations and writes waited behind. */
        return NULL;
}

/* Start a thread that unpacks the layer from its download as it arrives. */
static void stream_start(struct puller *p, struct layer *l)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return;
        /* Room for a burst of the download while the unpacker is busy. */
        int buf = 1 << 20;
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
        l->stage = p->stage;
        l->stream_fd = sv[1];
        if (pthread_create(&l->thread, NULL, stream_unpack, l) != 0) {
                close(sv[0]);
                close(sv[1]);
                l->stream_fd = -1;
                return;
        }
        l->x.tee_fd = sv[0];
        l->streaming = true;
}

/* Wait for the unpacking threads; keep the trees of intact streams. */
static void streams_finish(struct puller *p)
{
        for (size_t i = 0; i < p->nlayers; i++) {
                struct layer *l = &p->layers[i];
                if (!l->streaming)
                        continue;
                if (l->x.tee_fd >= 0) {
                        close(l->x.tee_fd);
                        l->x.tee_fd = -1;
                        l->x.tee_broken = true;
                }
                pthread_join(l->thread, NULL);
                l->streaming = false;
                if (l->tree && (l->tree_result < 0 || l->x.tee_broken || !l->x.done)) {
                        cc_rm_rf(l->tree);
                        free(l->tree);
                        l->tree = NULL;
                }
        }
}

static void on_progress(struct cc_reg_xfer *x, void *data)
{
        struct layer *l = data;
        struct puller *p = l->p;
        uint64_t total = l->size >= 0 ? (uint64_t) l->size : 0;
        if (x->done) {
                emit(p, CC_PULL_LAYER_VERIFYING, l->digest, x->got, total);
                emit(p, CC_PULL_LAYER_DOWNLOADED, l->digest, x->got, total);
                /* Start writing the blob out; it is synced before adopted. */
                sync_file_range(x->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
                if (l->streaming)
                        emit(p, CC_PULL_LAYER_EXTRACT, l->digest, total, total);
        } else {
                emit(p, CC_PULL_LAYER_DOWNLOAD, l->digest, x->got, total);
        }
}

/* Is layer i's tree (by chain ID) in the store already? */
static bool layer_present(struct puller *p, json_object *diffs, size_t i)
{
        char chain[CC_DIGEST_LEN + 1] = "";
        for (size_t j = 0; j <= i; j++) {
                const char *d = json_object_get_string(json_object_array_get_idx(diffs, j));
                if (!cc_digest_valid(d))
                        return false;
                cc_image_chain_id(j ? chain : NULL, d, chain);
        }
        _cleanup_free_ char *path = cc_image_layer_path(p->s, chain);
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Download the layer blobs the store lacks into the staging directory,
 * unpacking each on the way when its layer is not in the store yet. */
static int download_layers(struct puller *p)
{
        struct cc_reg_xfer **xs = cc_xcalloc(p->nlayers + 1, sizeof(*xs));
        size_t n = 0;
        int r = 0;
        json_object *cfg = parse_object(p->cfg, p->cfg_len), *rootfs, *diffs = NULL;
        if (!cfg || !json_object_object_get_ex(cfg, "rootfs", &rootfs) ||
            !json_object_object_get_ex(rootfs, "diff_ids", &diffs) || !json_object_is_type(diffs, json_type_array) ||
            json_object_array_length(diffs) != p->nlayers)
                diffs = NULL; /* cc_image_ingest says what is wrong */
        for (size_t i = 0; i < p->nlayers && r == 0; i++) {
                struct layer *l = &p->layers[i];
                bool earlier = false;
                for (size_t j = 0; j < i && !earlier; j++)
                        earlier = strcmp(p->layers[j].digest, l->digest) == 0;
                if (earlier)
                        continue;
                if (cc_image_blob_exists(p->s, l->digest)) {
                        emit(p, CC_PULL_LAYER_EXISTS, l->digest, 0, 0);
                        continue;
                }
                l->download = true;
                l->path = cc_xasprintf("%s/%s", p->stage, cc_digest_hex(l->digest));
                int fd = open(l->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0) {
                        r = cc_error_setsys(p->err, -errno, "create %s", l->path);
                        break;
                }
                _cleanup_free_ char *path = cc_xasprintf("/v2/%s/blobs/%s", p->ref.repository, l->digest);
                cc_reg_xfer_init(&l->x, path, fd);
                l->x.digest = l->digest;
                l->x.size = l->size;
                l->x.progress = on_progress;
                l->x.progress_data = l;
                if (diffs && !layer_present(p, diffs, i))
                        stream_start(p, l);
                xs[n++] = &l->x;
                emit(p, CC_PULL_LAYER_WAITING, l->digest, 0, l->size >= 0 ? (uint64_t) l->size : 0);
        }
        if (r == 0 && n > 0) {
                r = cc_reg_fetch(p->c, xs, n, p->err);
                for (size_t i = 0; i < p->nlayers && r < 0; i++) {
                        if (p->layers[i].download && p->layers[i].x.fail != CC_REG_OK) {
                                cc_error_prefix(p->err, "layer %s", p->layers[i].digest);
                                break;
                        }
                }
        }
        streams_finish(p);
        json_object_put(cfg);
        free(xs);
        return r;
}

/* Store the downloaded blobs, unpack, record the image.
 *
 * Durability: the downloaded blobs and the trees unpacked from them are all
 * in the staging area, on the store's filesystem, under names nothing
 * refers to. One syncfs makes all of them durable at once; only then do
 * they get their names in the store (the renames in cc_image_blob_adopt and
 * cc_image_ingest), and the index that records the image is written after
 * those renames are made durable too (cc_image_tx_commit). So a crash at
 * any point leaves either the old index, with at most unrecorded complete
 * files and trees that the next transaction cleans or reuses, or the new
 * index, with everything it names on disk; a blob never has its digest's
 * name without its whole content. One syncfs instead of an fsync per blob
 * and a syncfs per layer: on ext4 each of those is a journal commit, and
 * per-layer syncs while other layers still unpack stall the unpacking
 * threads behind them. (The manifest and config, a few kB, are written and
 * fsynced by cc_image_ingest itself.) */
static int ingest(struct puller *p, const char *cfg_digest, char *id)
{
        for (size_t i = 0; i < p->nlayers; i++) {
                struct layer *l = &p->layers[i];
                if (l->download && l->x.fd >= 0) {
                        close(l->x.fd);
                        l->x.fd = -1;
                }
        }
        if (syncfs(p->stage_lock) < 0)
                return cc_error_setsys(p->err, -errno, "sync %s", p->stage);
        for (size_t i = 0; i < p->nlayers; i++) {
                struct layer *l = &p->layers[i];
                if (!l->download)
                        continue;
                int r = cc_image_blob_adopt(p->s, l->path, l->digest, p->err);
                if (r < 0)
                        return cc_error_prefix(p->err, "layer %s", l->digest);
        }
        _cleanup_close_ int bfd = open(p->s->blobs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bfd < 0)
                return cc_error_setsys(p->err, -errno, "open %s", p->s->blobs_dir);
        struct cc_ingest_layer *ls = cc_xcalloc(p->nlayers + 1, sizeof(*ls));
        for (size_t i = 0; i < p->nlayers; i++) {
                struct layer *l = &p->layers[i];
                bool fresh = l->download;
                for (size_t j = 0; j < i && !fresh; j++)
                        fresh = p->layers[j].download && strcmp(p->layers[j].digest, l->digest) == 0;
                ls[i] = (struct cc_ingest_layer){ .dirfd = bfd, .path = cc_digest_hex(l->digest),
                                                  .digest = l->digest, .media_type = l->media_type,
                                                  .new_blob = fresh };
                if (l->download && l->tree) {
                        ls[i].unpacked = l->tree;
                        ls[i].unpacked_diff_id = l->tree_diff_id;
                        ls[i].unpacked_size = l->tree_size;
                } else if (l->download) {
                        emit(p, CC_PULL_LAYER_EXTRACT, l->digest, 0, l->size >= 0 ? (uint64_t) l->size : 0);
                }
        }
        struct cc_ingest in = {
                .config = p->cfg, .config_len = p->cfg_len, .config_digest = cfg_digest,
                .manifest = p->raw, .manifest_len = p->raw_len, .manifest_digest = p->digest,
                .layers = ls, .nlayers = p->nlayers, .durable = true,
        };
        int r = cc_image_ingest(p->s, &in, id, p->err);
        free(ls);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->nlayers; i++)
                if (p->layers[i].download)
                        emit(p, CC_PULL_LAYER_DONE, p->layers[i].digest, 0, 0);
        return 0;
}

/* The tag already names this very manifest. */
static bool up_to_date(struct puller *p, char *id)
{
        _cleanup_free_ char *have = NULL;
        if (cc_image_index_load(p->s, NULL) < 0 || cc_image_resolve(p->s, p->ref.norm, &have, NULL, NULL) < 0)
                return false;
        const char *m = cc_image_manifest_digest(p->s, have);
        if (!cc_streq(m, p->digest))
                return false;
        strcpy(id, have);
        if (p->want_explicit) {
                /* The same manifest, but for the platform asked? */
                json_object *cfg = NULL;
                bool ok = cc_image_config(p->s, have, &cfg, NULL) == 0 &&
                          cc_platform_match(&p->want, jstr(cfg, "os"), jstr(cfg, "architecture"), jstr(cfg, "variant"));
                json_object_put(cfg);
                return ok;
        }
        return true;
}

/* A HEAD of the tag says it still resolves to what we pulled last time. */
static bool unchanged_since_last_pull(struct puller *p, char *id)
{
        const char *last = NULL;
        _cleanup_free_ char *have = NULL;
        if (p->ref.digest || cc_image_pulled(p->s, p->ref.norm, &last) < 0 || !last ||
            cc_image_resolve(p->s, p->ref.norm, &have, NULL, NULL) < 0)
                return false;
        _cleanup_free_ char *want = cc_xstrdup(last);
        struct cc_reg_xfer x;
        _cleanup_free_ char *path = cc_xasprintf("/v2/%s/manifests/%s", p->ref.repository, p->ref.tag);
        cc_reg_xfer_init(&x, path, -1);
        x.accept = ACCEPT_MANIFESTS;
        x.head = true;
        struct cc_reg_xfer *xs[] = { &x };
        struct cc_error e = {0};
        bool same = cc_reg_fetch(p->c, xs, 1, &e) == 0 && cc_streq(x.docker_digest, want);
        cc_error_clear(&e);
        cc_reg_xfer_free(&x);
        if (same) {
                /* The tag is unchanged; is the image we hold for the wanted platform? */
                json_object *cfg = NULL;
                same = cc_image_config(p->s, have, &cfg, NULL) == 0 &&
                       cc_platform_match(&p->want, jstr(cfg, "os"), jstr(cfg, "architecture"), jstr(cfg, "variant"));
                json_object_put(cfg);
        }
        if (same) {
                strcpy(p->top_digest, want);
                strcpy(id, have);
        }
        return same;
}

static int record_only(struct puller *p)
{
        int r = cc_image_tx_begin(p->s, p->err);
        if (r < 0)
                return r;
        cc_image_pull_record(p->s, p->ref.norm, p->top_digest);
        return cc_image_tx_commit(p->s, p->err);
}

/* A staging area is removed by its pull; one whose pull died (its lock is
 * free) by the next pull, once it is a minute old (a new one is locked
 * right after it is made). */
static void stage_clean_stale(const char *pulls)
{
        DIR *d = opendir(pulls);
        struct dirent *de;
        time_t now = time(NULL);
        while (d && (de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *dir = cc_path_join(pulls, de->d_name);
                _cleanup_free_ char *lock = cc_path_join(dir, ".lock");
                struct stat st;
                if (stat(dir, &st) < 0 || difftime(now, st.st_mtime) < 60)
                        continue;
                _cleanup_close_ int fd = open(lock, O_RDWR | O_CLOEXEC);
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0)
                        cc_rm_rf(dir);
        }
        if (d)
                closedir(d);
}

static int stage_open(struct puller *p)
{
        p->pulls = cc_path_join(p->s->images_dir, "pulls");
        for (int tries = 0; !p->stage && tries < 3; tries++) {
                int r = cc_mkdir_p(p->pulls, 0700);
                if (r < 0)
                        return cc_error_setsys(p->err, r, "create %s", p->pulls);
                stage_clean_stale(p->pulls);
                p->stage = cc_xasprintf("%s/XXXXXX", p->pulls);
                if (!mkdtemp(p->stage)) {
                        /* ENOENT: another pull just removed the empty pulls/. */
                        r = -errno;
                        free(p->stage);
                        p->stage = NULL;
                        if (r != -ENOENT)
                                return cc_error_setsys(p->err, r, "create a directory in %s", p->pulls);
                }
        }
        if (!p->stage)
                return cc_error_set(p->err, -EAGAIN, "create a directory in %s", p->pulls);
        _cleanup_free_ char *lock = cc_path_join(p->stage, ".lock");
        p->stage_lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (p->stage_lock < 0 || flock(p->stage_lock, LOCK_EX) < 0)
                return cc_error_setsys(p->err, -errno, "lock %s", lock);
        return 0;
}

static void stage_close(struct puller *p)
{
        if (p->stage)
                cc_rm_rf(p->stage);
        if (p->stage_lock >= 0)
                close(p->stage_lock);
        p->stage_lock = -1;
        if (p->pulls)
                rmdir(p->pulls); /* when no other pull uses it */
}

/* Download what the store lacks (without the store's lock: other pulls
 * and loads go on meanwhile), then record the image in one transaction. */
static int store_image(struct puller *p, const char *cfg_digest, char *id)
{
        int r = stage_open(p);
        if (r == 0)
                r = download_layers(p);
        if (r == 0)
                r = cc_image_tx_begin(p->s, p->err);
        if (r < 0) {
                stage_close(p);
                return r;
        }
        /* The image is known with another manifest, which it replaces. */
        const char *old = cc_image_manifest_digest(p->s, cfg_digest);
        bool replaces = old && strcmp(old, p->digest) != 0;
        r = ingest(p, cfg_digest, id);
        if (r == 0)
                r = cc_image_tag_set(p->s, p->ref.norm, id, p->err);
        if (r == 0) {
                cc_image_pull_record(p->s, p->ref.norm, p->top_digest);
                if (replaces)
                        r = cc_image_gc(p->s, p->err);
        }
        if (r < 0)
                cc_image_tx_abort(p->s);
        else
                r = cc_image_tx_commit(p->s, p->err);
        stage_close(p);
        return r;
}

static int pull(struct puller *p, struct cc_pull_result *res)
{
        const char *plat = p->o->platform;
        if (!plat || !*plat)
                plat = getenv("DOCKER_DEFAULT_PLATFORM");
        p->want_explicit = plat && *plat;
        int r = cc_platform_parse(plat, &p->want, p->err);
        if (r < 0)
                return r;
        emit(p, CC_PULL_RESOLVING, NULL, 0, 0);
        r = cc_reg_client_open(p->ref.domain, p->ref.repository, &p->c, p->err);
        if (r == 0)
                r = cc_reg_client_load_credentials(p->c, p->err);
        if (r < 0)
                return r;
        if (p->o->max_concurrent)
                p->c->max_parallel = p->o->max_concurrent;
        if ((r = cc_reg_ping(p->c, p->err)) < 0)
                return r;
        char id[CC_DIGEST_LEN + 1];
        bool fresh = false;
        if (!unchanged_since_last_pull(p, id)) {
                if ((r = resolve(p)) < 0)
                        return r;
                if (!up_to_date(p, id)) {
                        json_object *cfgd;
                        if ((r = check_manifest(p, &cfgd)) < 0 || (r = get_config(p, cfgd)) < 0 ||
                            (r = check_platform(p)) < 0 || (r = store_image(p, jstr(cfgd, "digest"), id)) < 0)
                                return r;
                        fresh = true;
                }
        }
        if (!fresh && (r = record_only(p)) < 0)
                return r;
        strcpy(res->id, id);
        strcpy(res->digest, p->top_digest);
        res->ref = cc_xstrdup(p->ref.norm);
        res->updated = fresh;
        if (p->o->progress) {
                struct cc_pull_event ev = { .status = CC_PULL_DONE, .ref = p->ref.norm, .digest = p->top_digest,
                                            .updated = fresh };
                p->o->progress(&ev, p->o->progress_data);
        }
        return 0;
}

int cc_image_pull(struct cc_image_store *s, const struct cc_pull_options *o, struct cc_pull_result *res,
                  struct cc_error *err)
{
        memset(res, 0, sizeof(*res));
        struct puller p = { .s = s, .o = o, .err = err, .stage_lock = -1 };
        int r = cc_registry_ref_parse(o->ref, &p.ref, err);
        if (r < 0)
                return r;
        p.name = cc_image_ref_familiar(p.ref.norm);
        struct cc_reg_sigpipe sp;
        cc_reg_sigpipe_block(&sp);
        r = pull(&p, res);
        if (r < 0)
                cc_error_prefix(err, "pull %s", p.name);
        for (size_t i = 0; i < p.nlayers; i++) {
                if (p.layers[i].x.fd >= 0)
                        close(p.layers[i].x.fd);
                if (p.layers[i].download)
                        cc_reg_xfer_free(&p.layers[i].x);
                free(p.layers[i].path);
                free(p.layers[i].tree);
        }
        free(p.layers);
        free(p.stage);
        free(p.pulls);
        free(p.raw);
        free(p.cfg);
        json_object_put(p.man);
        cc_reg_client_close(p.c);
        cc_registry_ref_free(&p.ref);
        free(p.name);
        cc_reg_sigpipe_restore(&sp);
        return r;
}
