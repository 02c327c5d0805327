/* Ingesting one image into the store, whatever its source: store and verify
 * the config, every layer blob and the manifest, and unpack each layer not
 * unpacked yet into layers/<chain-id>, checking its diff-id. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "image-store.h"
#include "layer.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"

/* Compression by magic number, for the media type of a layer blob. */
static const char *blob_compression(int fd)
{
        unsigned char m[6] = {0};
        ssize_t n = pread(fd, m, sizeof(m), 0);
        if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
                return "gzip";
        if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                return "zstd";
        if (n >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
                return "xz";
        if (n >= 3 && memcmp(m, "BZh", 3) == 0)
                return "bzip2";
        return NULL;
}

static bool layer_recorded(struct cc_image_store *s, const char *hex, uint64_t *size)
{
        json_object *layers, *rec, *v;
        if (!json_object_object_get_ex(s->index, "layers", &layers) ||
            !json_object_object_get_ex(layers, hex, &rec))
                return false;
        if (json_object_object_get_ex(rec, "size", &v))
                *size = (uint64_t) json_object_get_int64(v);
        return true;
}

/* Record layers/<hex> in the index. */
static void layer_record(struct cc_image_store *s, const char *hex, const char *diff_id, uint64_t size)
{
        cc_strv_push(&s->new_layers, hex);
        json_object *layers, *rec = json_object_new_object();
        json_object_object_add(rec, "diff_id", json_object_new_string(diff_id));
        json_object_object_add(rec, "size", json_object_new_int64((int64_t) size));
        if (json_object_object_get_ex(s->index, "layers", &layers))
                json_object_object_add(layers, hex, rec);
        else
                json_object_put(rec);
}

/* Unpack blob into layers/<chain> unless it is there already. verify: check
 * the blob's diff-id even when the layer exists (the blob is new). */
static int layer_ensure(struct cc_image_store *s, const char *blob, const char *diff_id, const char *chain,
                        bool verify, uint64_t *size, struct cc_error *err)
{
        const char *hex = cc_digest_hex(chain);
        _cleanup_free_ char *final = cc_image_layer_path(s, chain);
        _cleanup_free_ char *bpath = cc_image_blob_path(s, blob);
        struct stat st;
        _cleanup_close_ int bfd = open(bpath, O_RDONLY | O_CLOEXEC);
        if (bfd < 0)
                return cc_error_setsys(err, -errno, "open blob %s", blob);
        *size = 0;
        bool have = stat(final, &st) == 0 && S_ISDIR(st.st_mode);
        if (have && layer_recorded(s, hex, size)) {
                if (!verify)
                        return 0;
                struct cc_layer_info info;
                int r = cc_layer_unpack_fd(bfd, -1, 0, &info, err);
                if (r < 0)
                        return cc_error_prefix(err, "layer %s", blob);
                if (strcmp(info.diff_id, diff_id) != 0)
                        return cc_error_set(err, -EBADMSG,
                                            "layer %s: diff-id digest mismatch: the config lists %s, the layer has %s",
                                            blob, diff_id, info.diff_id);
                return 0;
        }
        _cleanup_close_ int lfd = open(s->layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0)
                return cc_error_setsys(err, -errno, "open %s", s->layers_dir);
        if (have) {
                /* A tree without a record: left by an interrupted run. */
                int r = cc_layer_rm_tree(lfd, hex, err);
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *tmp = cc_xasprintf("%s/.tmp-XXXXXX", s->layers_dir);
        if (!mkdtemp(tmp))
                return cc_error_setsys(err, -errno, "create %s", tmp);
        const char *tmpname = strrchr(tmp, '/') + 1;
        chmod(tmp, 0755);
        _cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                int r = cc_error_setsys(err, -errno, "open %s", tmp);
                cc_layer_rm_tree(lfd, tmpname, NULL);
                return r;
        }
        struct cc_layer_info info;
        int r = cc_layer_unpack_fd(bfd, dfd, CC_LAYER_IMAGE | CC_LAYER_WRITEBACK, &info, err);
        if (r < 0) {
                cc_error_prefix(err, "layer %s", blob);
        } else if (strcmp(info.diff_id, diff_id) != 0) {
                r = cc_error_set(err, -EBADMSG,
                                 "layer %s: diff-id digest mismatch: the config lists %s, the layer has %s", blob,
                                 diff_id, info.diff_id);
        } else if (syncfs(dfd) < 0 || renameat(lfd, tmpname, lfd, hex) < 0) {
                r = cc_error_setsys(err, -errno, "layer %s: move into place", blob);
        }
        if (r < 0) {
                cc_layer_rm_tree(lfd, tmpname, NULL);
                return r;
        }
        layer_record(s, hex, diff_id, info.size);
        *size = info.size;
        return 0;
}

int cc_image_layer_prepare(int bfd, const char *dir, char **path, char *diff_id, uint64_t *size,
                           struct cc_error *err)
{
        _cleanup_close_ int pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return cc_error_setsys(err, -errno, "open %s", dir);
        _cleanup_free_ char *tmp = cc_xasprintf("%s/layer-XXXXXX", dir);
        if (!mkdtemp(tmp))
                return cc_error_setsys(err, -errno, "create %s", tmp);
        const char *tmpname = strrchr(tmp, '/') + 1;
        chmod(tmp, 0755);
        _cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct cc_layer_info info;
        int r = dfd < 0 ? cc_error_setsys(err, -errno, "open %s", tmp)
                        : cc_layer_unpack_fd(bfd, dfd, CC_LAYER_IMAGE | CC_LAYER_WRITEBACK, &info, err);
        if (r < 0) {
                cc_layer_rm_tree(pfd, tmpname, NULL);
                return r;
        }
        strcpy(diff_id, info.diff_id);
        *size = info.size;
        *path = cc_steal(&tmp);
        return 0;
}

/* Move a tree from cc_image_layer_prepare to layers/<chain>. */
static int layer_adopt(struct cc_image_store *s, const struct cc_ingest_layer *l, const char *blob,
                       const char *diff_id, const char *chain, uint64_t *size, struct cc_error *err)
{
        const char *hex = cc_digest_hex(chain);
        _cleanup_close_ int lfd = open(s->layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0)
                return cc_error_setsys(err, -errno, "open %s", s->layers_dir);
        _cleanup_free_ char *udir = cc_xstrdup(l->unpacked);
        char *slash = strrchr(udir, '/');
        if (!slash || slash == udir)
                return cc_error_set(err, -EINVAL, "layer %s: bad unpacked tree \"%s\"", blob, l->unpacked);
        *slash = '\0';
        const char *uname = slash + 1;
        _cleanup_close_ int ufd = open(udir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ufd < 0)
                return cc_error_setsys(err, -errno, "open %s", udir);
        if (!cc_streq(l->unpacked_diff_id, diff_id)) {
                cc_layer_rm_tree(ufd, uname, NULL);
                return cc_error_set(err, -EBADMSG,
                                    "layer %s: diff-id digest mismatch: the config lists %s, the layer has %s", blob,
                                    diff_id, l->unpacked_diff_id ? l->unpacked_diff_id : "none");
        }
        _cleanup_free_ char *final = cc_image_layer_path(s, chain);
        struct stat st;
        bool have = stat(final, &st) == 0 && S_ISDIR(st.st_mode);
        if (have && layer_recorded(s, hex, size)) {
                cc_layer_rm_tree(ufd, uname, NULL);
                return 0;
        }
        if (have) {
                int r = cc_layer_rm_tree(lfd, hex, err);
                if (r < 0)
                        return r;
        }
        if (renameat(ufd, uname, lfd, hex) < 0) {
                int r = cc_error_setsys(err, -errno, "layer %s: move into place", blob);
                cc_layer_rm_tree(ufd, uname, NULL);
                return r;
        }
        layer_record(s, hex, diff_id, l->unpacked_size);
        *size = l->unpacked_size;
        return 0;
}

int cc_image_layer_adopt_dir(struct cc_image_store *s, const char *tar, const char *dir, const char *diff_id,
                             const char *chain, uint64_t size, struct cc_error *err)
{
        int r = cc_image_blob_adopt(s, tar, diff_id, err);
        if (r < 0)
                return r;
        const char *hex = cc_digest_hex(chain);
        _cleanup_free_ char *final = cc_image_layer_path(s, chain);
        _cleanup_close_ int lfd = open(s->layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0)
                return cc_error_setsys(err, -errno, "open %s", s->layers_dir);
        struct stat st;
        uint64_t had;
        bool have = stat(final, &st) == 0 && S_ISDIR(st.st_mode);
        if (have && layer_recorded(s, hex, &had))
                return cc_rm_rf(dir) < 0 ? cc_error_setsys(err, -errno, "remove %s", dir) : 0;
        if (have && (r = cc_layer_rm_tree(lfd, hex, err)) < 0)
                return r;
        if (chmod(dir, 0755) < 0 || rename(dir, final) < 0)
                return cc_error_setsys(err, -errno, "layer %s: move %s into place", diff_id, dir);
        layer_record(s, hex, diff_id, size);
        return 0;
}

int cc_image_layer_from_dir(struct cc_image_store *s, const char *parent_chain, const char *dir, char *diff_id,
                            char *chain, struct cc_error *err)
{
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return cc_error_setsys(err, -errno, "open %s", dir);
        _cleanup_free_ char *tmp = cc_xasprintf("%s/blob-XXXXXX", s->tmp_dir);
        _cleanup_close_ int tfd = mkostemp(tmp, O_CLOEXEC);
        if (tfd < 0)
                return cc_error_setsys(err, -errno, "create a layer file in %s", s->tmp_dir);
        struct cc_layer_info info;
        int r = cc_layer_write_dir(dfd, tfd, &info, err);
        if (r == 0 && syncfs(dfd) < 0) /* the tree and the tar */
                r = cc_error_setsys(err, -errno, "write layer of %s", dir);
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        strcpy(diff_id, info.diff_id);
        cc_image_chain_id(parent_chain, info.diff_id, chain);
        return cc_image_layer_adopt_dir(s, tmp, dir, diff_id, chain, info.size, err);
}

static const char *media_type_for(const char *compression)
{
        if (!compression)
                return MT_OCI_LAYER;
        if (strcmp(compression, "gzip") == 0)
                return MT_OCI_LAYER "+gzip";
        if (strcmp(compression, "zstd") == 0)
                return MT_OCI_LAYER "+zstd";
        if (strcmp(compression, "xz") == 0)
                return MT_OCI_LAYER "+xz";
        return MT_OCI_LAYER "+bzip2";
}

static json_object *descriptor(const char *media_type, const char *digest, uint64_t size)
{
        json_object *d = json_object_new_object();
        json_object_object_add(d, "mediaType", json_object_new_string(media_type));
        json_object_object_add(d, "digest", json_object_new_string(digest));
        json_object_object_add(d, "size", json_object_new_int64((int64_t) size));
        return d;
}

/* Store one layer; appends its descriptor to mlayers and its unpacked size
 * to *total. */
static int ingest_layer(struct cc_image_store *s, const struct cc_ingest_layer *l, size_t i, const char *diff_id,
                        const char *chain, json_object *mlayers, uint64_t *total, bool *synced, struct cc_error *err)
{
        char blob[CC_DIGEST_LEN + 1];
        uint64_t bsize = 0;
        bool fresh = false;
        if (l->digest && !cc_digest_valid(l->digest))
                return cc_error_set(err, -EINVAL, "layer %zu: unsupported digest \"%s\"", i + 1, l->digest);
        if (l->digest && cc_image_blob_exists(s, l->digest)) {
                strcpy(blob, l->digest);
                fresh = l->new_blob;
        } else {
                _cleanup_close_ int fd = cc_layer_open_in_root(l->dirfd, l->path, O_RDONLY);
                if (fd < 0)
                        return cc_error_setsys(err, fd, "layer %zu: open %s", i + 1, l->path);
                int r = cc_image_blob_put_fd(s, fd, l->digest, blob, &bsize, err);
                if (r < 0)
                        return cc_error_prefix(err, "layer %zu (%s)", i + 1, l->path);
                fresh = r > 0;
        }
        _cleanup_free_ char *bpath = cc_image_blob_path(s, blob);
        _cleanup_close_ int bfd = open(bpath, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (bfd < 0 || fstat(bfd, &st) < 0)
                return cc_error_setsys(err, -errno, "open blob %s", blob);
        bsize = (uint64_t) st.st_size;
        uint64_t lsize = 0;
        int r;
        if (l->unpacked) {
                /* Prepared trees are made durable together, once. */
                if (!*synced && syncfs(bfd) < 0)
                        return cc_error_setsys(err, -errno, "layer %s: sync", blob);
                *synced = true;
                r = layer_adopt(s, l, blob, diff_id, chain, &lsize, err);
        } else {
                r = layer_ensure(s, blob, diff_id, chain, fresh, &lsize, err);
        }
        if (r < 0)
                return r;
        *total += lsize;
        const char *mt = l->media_type ? l->media_type : media_type_for(blob_compression(bfd));
        json_object_array_add(mlayers, descriptor(mt, blob, bsize));
        return 0;
}

static void record_image(struct cc_image_store *s, const char *id, const char *manifest, uint64_t size)
{
        json_object *images, *rec = json_object_new_object();
        _cleanup_free_ char *now = cc_image_now_rfc3339();
        json_object_object_add(rec, "manifest", json_object_new_string(manifest));
        json_object_object_add(rec, "size", json_object_new_int64((int64_t) size));
        json_object_object_add(rec, "added", json_object_new_string(now));
        json_object_object_get_ex(s->index, "images", &images);
        json_object_object_add(images, id, rec);
}

int cc_image_ingest(struct cc_image_store *s, const struct cc_ingest *in, char *id_out, struct cc_error *err)
{
        char id[CC_DIGEST_LEN + 1];
        cc_sha256_digest(in->config, in->config_len, id);
        if (in->config_digest && strcmp(in->config_digest, id) != 0)
                return cc_error_set(err, -EBADMSG, "image config: digest mismatch: expected %s, got %s",
                                    in->config_digest, id);
        struct json_tokener *tok = json_tokener_new();
        json_object *cfg = json_tokener_parse_ex(tok, in->config, (int) in->config_len);
        json_tokener_free(tok);
        json_object *rootfs, *diffs;
        int r = 0;
        if (!cfg || !json_object_is_type(cfg, json_type_object)) {
                r = cc_error_set(err, -EINVAL, "image config %s is not a JSON object", id);
                goto out;
        }
        if (!json_object_object_get_ex(cfg, "rootfs", &rootfs) ||
            !json_object_object_get_ex(rootfs, "diff_ids", &diffs) || !json_object_is_type(diffs, json_type_array)) {
                r = cc_error_set(err, -EINVAL, "image config %s has no rootfs.diff_ids", id);
                goto out;
        }
        size_t n = json_object_array_length(diffs);
        if (n != in->nlayers) {
                r = cc_error_set(err, -EINVAL, "image %s: the config lists %zu layers, the manifest %zu", id, n,
                                 in->nlayers);
                goto out;
        }
        json_object *manifest = json_object_new_object();
        json_object *mlayers = json_object_new_array();
        json_object_object_add(manifest, "schemaVersion", json_object_new_int(2));
        json_object_object_add(manifest, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
        json_object_object_add(manifest, "config", descriptor(MT_OCI_CONFIG, id, in->config_len));
        json_object_object_add(manifest, "layers", mlayers);
        char chain[CC_DIGEST_LEN + 1] = "";
        uint64_t total = 0;
        bool synced = in->durable;
        for (size_t i = 0; i < n && r == 0; i++) {
                const char *diff = json_object_get_string(json_object_array_get_idx(diffs, i));
                if (!cc_digest_valid(diff)) {
                        r = cc_error_set(err, -EINVAL, "image %s: invalid diff-id \"%s\"", id, diff ? diff : "");
                        break;
                }
                cc_image_chain_id(i ? chain : NULL, diff, chain);
                r = ingest_layer(s, &in->layers[i], i, diff, chain, mlayers, &total, &synced, err);
        }
        char mdigest[CC_DIGEST_LEN + 1];
        if (r == 0 && in->manifest) {
                r = cc_image_blob_put_mem(s, in->manifest, in->manifest_len, in->manifest_digest, mdigest, err);
                if (r < 0)
                        cc_error_prefix(err, "image manifest");
        } else if (r == 0) {
                const char *text = json_object_to_json_string_ext(manifest, JSON_C_TO_STRING_PLAIN |
                                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
                r = cc_image_blob_put_mem(s, text, strlen(text), NULL, mdigest, err);
        }
        json_object_put(manifest);
        if (r < 0)
                goto out;
        r = cc_image_blob_put_mem(s, in->config, in->config_len, id, NULL, err);
        if (r < 0)
                goto out;
        r = 0;
        record_image(s, id, mdigest, total);
        strcpy(id_out, id);
out:
        json_object_put(cfg);
        return r < 0 ? r : 0;
}
