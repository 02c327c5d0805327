/* The image store: directories, the lock and transactions, index.json,
 * blobs, queries, garbage collection and cc_image_lookup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "image-store.h"
#include "layer.h"
#include "root-dir.h"

#define CC_INDEX_MAX (64u << 20)

static json_object *idx_obj(struct cc_image_store *s, const char *key)
{
        json_object *o;
        if (!json_object_object_get_ex(s->index, key, &o) || !json_object_is_type(o, json_type_object)) {
                o = json_object_new_object();
                json_object_object_add(s->index, key, o);
        }
        return o;
}

static const char *obj_str(json_object *o, const char *key)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int cc_image_index_load(struct cc_image_store *s, struct cc_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = cc_read_file(s->index_path, &data, &len);
        json_object *idx = NULL;
        if (r == -ENOENT) {
                idx = json_object_new_object();
        } else if (r < 0) {
                return cc_error_setsys(err, r, "read %s", s->index_path);
        } else {
                idx = json_tokener_parse(data);
                if (!idx || !json_object_is_type(idx, json_type_object)) {
                        json_object_put(idx);
                        return cc_error_set(err, -EINVAL, "image index %s is corrupt", s->index_path);
                }
        }
        json_object_put(s->index);
        s->index = idx;
        idx_obj(s, "images");
        idx_obj(s, "tags");
        idx_obj(s, "layers");
        return 0;
}

int cc_image_store_open(const char *root, struct cc_image_store **out, struct cc_error *err)
{
        struct cc_image_store *s = cc_xcalloc(1, sizeof(*s));
        s->lock_fd = -1;
        s->root = cc_xstrdup(root);
        s->images_dir = cc_path_join(root, "images");
        s->blobs_dir = cc_path_join(s->images_dir, "blobs/sha256");
        s->layers_dir = cc_path_join(root, "layers");
        s->tmp_dir = cc_path_join(s->images_dir, "tmp");
        s->index_path = cc_path_join(s->images_dir, "index.json");
        /* root's alone, layers/ too: overlayfs reads lower dirs as its mounter */
        int r = cc_root_dir_secure(root, err);
        const char *dirs[] = { s->blobs_dir, s->layers_dir, s->tmp_dir };
        for (size_t i = 0; r >= 0 && i < CC_ARRAY_SIZE(dirs); i++)
                if ((r = cc_mkdir_p(dirs[i], 0700)) < 0)
                        cc_error_setsys(err, r, "image store: create %s", dirs[i]);
        if (r >= 0)
                r = cc_image_index_load(s, err);
        if (r < 0) {
                cc_image_store_close(s);
                return r;
        }
        *out = s;
        return 0;
}

void cc_image_store_close(struct cc_image_store *s)
{
        if (!s)
                return;
        if (s->in_tx)
                cc_image_tx_abort(s);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        json_object_put(s->index);
        cc_strv_free(&s->new_blobs);
        cc_strv_free(&s->new_layers);
        free(s->root);
        free(s->images_dir);
        free(s->blobs_dir);
        free(s->layers_dir);
        free(s->tmp_dir);
        free(s->index_path);
        free(s);
}

/* Remove leftovers of interrupted runs: temporary names only ever exist
 * while their creator holds the lock, which we now hold. */
static void clean_temporaries(struct cc_image_store *s)
{
        const char *dirs[] = { s->blobs_dir, s->layers_dir, s->tmp_dir };
        for (size_t i = 0; i < CC_ARRAY_SIZE(dirs); i++) {
                _cleanup_close_ int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                DIR *d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
                if (!d)
                        continue;
                struct cc_strv names = {0};
                struct dirent *de;
                bool all = dirs[i] == s->tmp_dir;
                while ((de = readdir(d))) {
                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                continue;
                        if (all || de->d_name[0] == '.')
                                cc_strv_push(&names, de->d_name);
                }
                closedir(d);
                for (size_t j = 0; j < names.n; j++)
                        cc_layer_rm_tree(fd, names.v[j], NULL);
                cc_strv_free(&names);
        }
}

int cc_image_tx_begin(struct cc_image_store *s, struct cc_error *err)
{
        if (s->in_tx)
                return cc_error_set(err, -EBUSY, "image store: nested transaction");
        if (s->lock_fd < 0) {
                _cleanup_free_ char *p = cc_path_join(s->images_dir, "lock");
                s->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                if (s->lock_fd < 0)
                        return cc_error_setsys(err, -errno, "image store: open %s", p);
        }
        while (flock(s->lock_fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return cc_error_setsys(err, -errno, "image store: lock");
        int r = cc_image_index_load(s, err);
        if (r < 0) {
                flock(s->lock_fd, LOCK_UN);
                return r;
        }
        clean_temporaries(s);
        s->in_tx = true;
        return 0;
}

/* The renames that put this transaction's blobs and layers under their
 * names must be on disk before an index that names them is: every file and
 * tree was durable before its rename, so after this a crash can no longer
 * take away anything the new index records. */
static int sync_new_names(struct cc_image_store *s)
{
        const char *dirs[] = { s->new_blobs.n ? s->blobs_dir : NULL, s->new_layers.n ? s->layers_dir : NULL };
        for (size_t i = 0; i < CC_ARRAY_SIZE(dirs); i++) {
                if (!dirs[i])
                        continue;
                _cleanup_close_ int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || fsync(fd) < 0)
                        return -errno;
        }
        return 0;
}

int cc_image_tx_commit(struct cc_image_store *s, struct cc_error *err)
{
        const char *text = json_object_to_json_string_ext(s->index, JSON_C_TO_STRING_PLAIN |
                                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = sync_new_names(s);
        if (r < 0) {
                cc_error_setsys(err, r, "image store: sync %s", s->images_dir);
                cc_image_tx_abort(s);
                return r;
        }
        r = cc_write_file_atomic(s->index_path, text, strlen(text), 0600);
        if (r < 0) {
                cc_error_setsys(err, r, "image store: write %s", s->index_path);
                cc_image_tx_abort(s);
                return r;
        }
        cc_strv_free(&s->new_blobs);
        cc_strv_free(&s->new_layers);
        s->in_tx = false;
        flock(s->lock_fd, LOCK_UN);
        return 0;
}

void cc_image_tx_abort(struct cc_image_store *s)
{
        if (!s->in_tx)
                return;
        for (size_t i = 0; i < s->new_blobs.n; i++) {
                _cleanup_free_ char *p = cc_image_blob_path(s, s->new_blobs.v[i]);
                unlink(p);
        }
        _cleanup_close_ int lfd = open(s->layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (size_t i = 0; lfd >= 0 && i < s->new_layers.n; i++)
                cc_layer_rm_tree(lfd, s->new_layers.v[i], NULL);
        cc_strv_free(&s->new_blobs);
        cc_strv_free(&s->new_layers);
        clean_temporaries(s);
        cc_image_index_load(s, NULL);
        s->in_tx = false;
        flock(s->lock_fd, LOCK_UN);
}

/* ---- blobs ---- */

char *cc_image_blob_path(struct cc_image_store *s, const char *digest)
{
        return cc_xasprintf("%s/%s", s->blobs_dir, cc_digest_hex(digest));
}

bool cc_image_blob_exists(struct cc_image_store *s, const char *digest)
{
        if (!cc_digest_valid(digest))
                return false;
        _cleanup_free_ char *p = cc_image_blob_path(s, digest);
        return access(p, F_OK) == 0;
}

static int digest_mismatch(struct cc_error *err, const char *what, const char *expect, const char *got)
{
        return cc_error_set(err, -EBADMSG, "%s: digest mismatch: expected %s, got %s", what, expect, got);
}

/* Move the finished temporary blob into place. Returns 1 when created, 0 when
 * the blob was already there. */
static int blob_commit(struct cc_image_store *s, const char *tmp, const char *digest, struct cc_error *err)
{
        _cleanup_free_ char *final = cc_image_blob_path(s, digest);
        if (access(final, F_OK) == 0) {
                unlink(tmp);
                return 0;
        }
        if (rename(tmp, final) < 0) {
                int r = -errno;
                unlink(tmp);
                return cc_error_setsys(err, r, "store blob %s", digest);
        }
        cc_strv_push(&s->new_blobs, digest);
        return 1;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static int blob_tmp(struct cc_image_store *s, char **path, struct cc_error *err)
{
        *path = cc_xasprintf("%s/.tmp-XXXXXX", s->blobs_dir);
        int fd = mkostemp(*path, O_CLOEXEC);
        if (fd < 0) {
                int r = cc_error_setsys(err, -errno, "create %s", *path);
                free(*path);
                *path = NULL;
                return r;
        }
        fchmod(fd, 0644);
        return fd;
}

int cc_image_blob_put_mem(struct cc_image_store *s, const void *data, size_t len, const char *expect,
                          char *digest_out, struct cc_error *err)
{
        char digest[CC_DIGEST_LEN + 1];
        cc_sha256_digest(data, len, digest);
        if (expect && strcmp(expect, digest) != 0)
                return digest_mismatch(err, "blob", expect, digest);
        if (digest_out)
                strcpy(digest_out, digest);
        if (cc_image_blob_exists(s, digest))
                return 0;
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = blob_tmp(s, &tmp, err);
        if (fd < 0)
                return fd;
        int r = write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return cc_error_setsys(err, r, "write blob %s", digest);
        }
        return blob_commit(s, tmp, digest, err);
}

int cc_image_blob_put_fd(struct cc_image_store *s, int fd, const char *expect, char *digest_out,
                         uint64_t *size, struct cc_error *err)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int out = blob_tmp(s, &tmp, err);
        if (out < 0)
                return out;
        struct cc_sha256 h;
        cc_sha256_init(&h);
        uint64_t total = 0;
        _cleanup_free_ char *buf = cc_xmalloc(1 << 20);
        int r = 0;
        for (;;) {
                ssize_t n = read(fd, buf, 1 << 20);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = cc_error_setsys(err, -errno, "read blob");
                        break;
                }
                if (n == 0)
                        break;
                cc_sha256_update(&h, buf, (size_t) n);
                total += (uint64_t) n;
                if ((r = write_all(out, buf, (size_t) n)) < 0) {
                        cc_error_setsys(err, r, "write blob");
                        break;
                }
        }
        if (r == 0 && fsync(out) < 0)
                r = cc_error_setsys(err, -errno, "write blob");
        if (r < 0) {
                cc_sha256_abort(&h);
                unlink(tmp);
                return r;
        }
        char digest[CC_DIGEST_LEN + 1];
        cc_sha256_final(&h, digest);
        if (expect && strcmp(expect, digest) != 0) {
                unlink(tmp);
                return digest_mismatch(err, "blob", expect, digest);
        }
        if (digest_out)
                strcpy(digest_out, digest);
        if (size)
                *size = total;
        return blob_commit(s, tmp, digest, err);
}

int cc_image_blob_read(struct cc_image_store *s, const char *digest, char **data, size_t *len,
                       struct cc_error *err)
{
        if (!cc_digest_valid(digest))
                return cc_error_set(err, -EINVAL, "invalid digest \"%s\"", digest);
        _cleanup_free_ char *p = cc_image_blob_path(s, digest);
        int r = cc_read_file(p, data, len);
        if (r < 0)
                return cc_error_setsys(err, r, "read blob %s", digest);
        return 0;
}

int cc_image_blob_adopt(struct cc_image_store *s, const char *path, const char *digest, struct cc_error *err)
{
        if (!cc_digest_valid(digest))
                return cc_error_set(err, -EINVAL, "invalid digest \"%s\"", digest);
        if (cc_image_blob_exists(s, digest)) {
                unlink(path);
                return 0;
        }
        if (chmod(path, 0644) < 0)
                return cc_error_setsys(err, -errno, "store blob %s", digest);
        return blob_commit(s, path, digest, err);
}

/* ---- layers ---- */

void cc_image_chain_id(const char *parent_chain, const char *diff_id, char *out)
{
        if (!parent_chain) {
                strcpy(out, diff_id);
                return;
        }
        _cleanup_free_ char *s = cc_xasprintf("%s %s", parent_chain, diff_id);
        cc_sha256_digest(s, strlen(s), out);
}

char *cc_image_layer_path(struct cc_image_store *s, const char *chain_id)
{
        return cc_xasprintf("%s/%s", s->layers_dir, cc_digest_hex(chain_id));
}

/* ---- queries ---- */

static json_object *image_entry(struct cc_image_store *s, const char *id)
{
        json_object *o;
        if (!json_object_object_get_ex(idx_obj(s, "images"), id, &o))
                return NULL;
        return o;
}

const char *cc_image_manifest_digest(struct cc_image_store *s, const char *id)
{
        return obj_str(image_entry(s, id), "manifest");
}

uint64_t cc_image_size(struct cc_image_store *s, const char *id)
{
        json_object *v;
        json_object *e = image_entry(s, id);
        if (!e || !json_object_object_get_ex(e, "size", &v))
                return 0;
        return (uint64_t) json_object_get_int64(v);
}

time_t cc_image_added(struct cc_image_store *s, const char *id)
{
        return cc_image_parse_time(obj_str(image_entry(s, id), "added"));
}

time_t cc_image_pulled(struct cc_image_store *s, const char *ref, const char **digest)
{
        json_object *rec;
        if (digest)
                *digest = NULL;
        if (!json_object_object_get_ex(idx_obj(s, "pulls"), ref, &rec))
                return -1;
        if (digest)
                *digest = obj_str(rec, "digest");
        return cc_image_parse_time(obj_str(rec, "time"));
}

void cc_image_pull_record(struct cc_image_store *s, const char *ref, const char *digest)
{
        json_object *rec = json_object_new_object();
        _cleanup_free_ char *now = cc_image_now_rfc3339();
        json_object_object_add(rec, "digest", json_object_new_string(digest));
        json_object_object_add(rec, "time", json_object_new_string(now));
        json_object_object_add(idx_obj(s, "pulls"), ref, rec);
}

static int strv_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void cc_image_tags_of(struct cc_image_store *s, const char *id, struct cc_strv *out)
{
        json_object_object_foreach(idx_obj(s, "tags"), tag, v)
                if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), id) == 0)
                        cc_strv_push(out, tag);
        if (out->n > 1)
                qsort(out->v, out->n, sizeof(char *), strv_cmp);
}

void cc_image_ids(struct cc_image_store *s, struct cc_strv *out)
{
        json_object_object_foreach(idx_obj(s, "images"), id, v) {
                (void) v;
                cc_strv_push(out, id);
        }
}

int cc_image_config(struct cc_image_store *s, const char *id, json_object **out, struct cc_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = cc_image_blob_read(s, id, &data, &len, err);
        if (r < 0)
                return r;
        json_object *o = json_tokener_parse(data);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return cc_error_set(err, -EINVAL, "image %s: config blob is not a JSON object", id);
        }
        *out = o;
        return 0;
}

static int not_found(struct cc_error *err, const char *name)
{
        return cc_error_set(err, -ENOENT,
                            "image \"%s\" not found: load it with 'ccompose image load -i FILE', "
                            "import a rootfs with 'ccompose image import', or pull it",
                            name);
}

/* Image IDs starting with hex (a short ID). */
static int resolve_prefix(struct cc_image_store *s, const char *hex, char **id, struct cc_error *err)
{
        char *found = NULL;
        json_object_object_foreach(idx_obj(s, "images"), key, v) {
                (void) v;
                if (!cc_startswith(key + 7, hex))
                        continue;
                if (found) {
                        free(found);
                        return cc_error_set(err, -EINVAL, "short image ID \"%s\" is ambiguous", hex);
                }
                found = cc_xstrdup(key);
        }
        if (!found)
                return -ENOENT;
        *id = found;
        return 0;
}

int cc_image_resolve(struct cc_image_store *s, const char *ref, char **id, char **matched_tag,
                     struct cc_error *err)
{
        if (matched_tag)
                *matched_tag = NULL;
        if (!ref || !*ref)
                return cc_error_set(err, -EINVAL, "empty image reference");
        if (cc_startswith(ref, "sha256:") && cc_is_hex(ref + 7, 1, CC_SHA256_HEX_LEN)) {
                int r = resolve_prefix(s, ref + 7, id, err);
                return r == -ENOENT ? not_found(err, ref) : r;
        }
        _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
        if (norm) {
                const char *t = obj_str(idx_obj(s, "tags"), norm);
                if (t) {
                        *id = cc_xstrdup(t);
                        if (matched_tag)
                                *matched_tag = cc_xstrdup(norm);
                        return 0;
                }
                const char *at = strchr(norm, '@');
                if (at) {
                        /* name@digest: the digest of a manifest we hold (or an ID). */
                        json_object_object_foreach(idx_obj(s, "images"), key, v) {
                                const char *m = obj_str(v, "manifest");
                                if ((m && strcmp(m, at + 1) == 0) || strcmp(key, at + 1) == 0) {
                                        *id = cc_xstrdup(key);
                                        return 0;
                                }
                        }
                }
        }
        if (cc_is_hex(ref, 1, CC_SHA256_HEX_LEN)) {
                int r = resolve_prefix(s, ref, id, err);
                if (r != -ENOENT)
                        return r;
        }
        if (!norm) {
                bool upper = false;
                for (const char *p = ref; *p && *p != ':' && *p != '@'; p++)
                        upper |= (*p >= 'A' && *p <= 'Z');
                if (upper)
                        return cc_error_set(err, -EINVAL,
                                            "invalid image reference \"%s\": repository name must be lowercase",
                                            ref);
                return cc_error_set(err, -EINVAL, "invalid image reference \"%s\"", ref);
        }
        return not_found(err, norm);
}

time_t cc_image_parse_time(const char *str)
{
        if (!str)
                return -1;
        struct tm tm = {0};
        const char *p = strptime(str, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -1;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++)
                        ;
        time_t t = timegm(&tm);
        if (*p == 'Z' || *p == 'z') {
                return t;
        } else if ((*p == '+' || *p == '-') && strlen(p) >= 6 && p[3] == ':') {
                int off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
                return *p == '+' ? t - off : t + off;
        }
        return -1;
}

char *cc_image_now_rfc3339(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char buf[64];
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return cc_xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

/* ---- changes ---- */

int cc_image_tag_set(struct cc_image_store *s, const char *ref, const char *id, struct cc_error *err)
{
        if (!image_entry(s, id))
                return cc_error_set(err, -ENOENT, "image %s not in the store", id);
        json_object_object_add(idx_obj(s, "tags"), ref, json_object_new_string(id));
        return 0;
}

int cc_image_untag(struct cc_image_store *s, const char *ref, struct cc_error *err)
{
        json_object *tags = idx_obj(s, "tags");
        if (!json_object_object_get_ex(tags, ref, NULL))
                return cc_error_set(err, -ENOENT, "no such tag: %s", ref);
        json_object_object_del(tags, ref);
        return 0;
}

int cc_image_forget(struct cc_image_store *s, const char *id, struct cc_error *err)
{
        struct cc_strv tags = {0};
        cc_image_tags_of(s, id, &tags);
        for (size_t i = 0; i < tags.n; i++)
                json_object_object_del(idx_obj(s, "tags"), tags.v[i]);
        cc_strv_free(&tags);
        json_object_object_del(idx_obj(s, "images"), id);
        return 0;
}

/* Blobs and chains the remaining images use. Returns false when a manifest
 * or config cannot be read: then nothing is collected, to be safe. */
static bool referenced(struct cc_image_store *s, struct cc_strv *blobs, struct cc_strv *chains)
{
        json_object_object_foreach(idx_obj(s, "images"), id, v) {
                const char *m = obj_str(v, "manifest");
                cc_strv_push(blobs, id);
                if (!m)
                        return false;
                cc_strv_push(blobs, m);
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (cc_image_blob_read(s, m, &data, &len, NULL) < 0)
                        return false;
                json_object *man = json_tokener_parse(data), *layers, *cfg = NULL, *rootfs, *diffs;
                if (!man)
                        return false;
                if (json_object_object_get_ex(man, "layers", &layers) && json_object_is_type(layers, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(layers); i++) {
                                const char *d = obj_str(json_object_array_get_idx(layers, i), "digest");
                                if (d)
                                        cc_strv_push(blobs, d);
                        }
                json_object_put(man);
                if (cc_image_config(s, id, &cfg, NULL) < 0)
                        return false;
                char chain[CC_DIGEST_LEN + 1] = "";
                if (json_object_object_get_ex(cfg, "rootfs", &rootfs) &&
                    json_object_object_get_ex(rootfs, "diff_ids", &diffs) &&
                    json_object_is_type(diffs, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(diffs); i++) {
                                const char *d = json_object_get_string(json_object_array_get_idx(diffs, i));
                                if (!cc_digest_valid(d))
                                        continue;
                                cc_image_chain_id(i ? chain : NULL, d, chain);
                                cc_strv_push(chains, cc_digest_hex(chain));
                        }
                json_object_put(cfg);
        }
        return true;
}

json_object *cc_image_cache_get(struct cc_image_store *s, const char *key)
{
        json_object *cache, *rec;
        if (json_object_object_get_ex(s->index, "build_cache", &cache) &&
            json_object_object_get_ex(cache, key, &rec) && json_object_is_type(rec, json_type_object))
                return rec;
        return NULL;
}

void cc_image_cache_put(struct cc_image_store *s, const char *key, json_object *rec)
{
        json_object_object_add(idx_obj(s, "build_cache"), key, rec);
}

/* The layers and blobs build cache records keep. */
static void cache_referenced(struct cc_image_store *s, struct cc_strv *blobs, struct cc_strv *chains)
{
        json_object *cache;
        if (!json_object_object_get_ex(s->index, "build_cache", &cache) || !json_object_is_type(cache, json_type_object))
                return;
        json_object_object_foreach(cache, key, rec) {
                (void) key;
                const char *chain = obj_str(rec, "chain"), *diff = obj_str(rec, "diff_id");
                if (cc_digest_valid(chain))
                        cc_strv_push(chains, cc_digest_hex(chain));
                if (cc_digest_valid(diff))
                        cc_strv_push(blobs, diff);
        }
}

int cc_image_gc(struct cc_image_store *s, struct cc_error *err)
{
        struct cc_strv blobs = {0}, chains = {0};
        cache_referenced(s, &blobs, &chains);
        if (!referenced(s, &blobs, &chains)) {
                cc_strv_free(&blobs);
                cc_strv_free(&chains);
                return 0;
        }
        struct cc_strv names = {0};
        _cleanup_close_ int bfd = open(s->blobs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = bfd >= 0 ? fdopendir(fcntl(bfd, F_DUPFD_CLOEXEC, 3)) : NULL;
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (!cc_is_hex(de->d_name, CC_SHA256_HEX_LEN, CC_SHA256_HEX_LEN))
                        continue;
                _cleanup_free_ char *dg = cc_xasprintf("sha256:%s", de->d_name);
                if (!cc_strv_contains(&blobs, dg))
                        cc_strv_push(&names, de->d_name);
        }
        if (d)
                closedir(d);
        for (size_t i = 0; i < names.n; i++)
                unlinkat(bfd, names.v[i], 0);
        cc_strv_free(&names);

        _cleanup_close_ int lfd = open(s->layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = lfd >= 0 ? fdopendir(fcntl(lfd, F_DUPFD_CLOEXEC, 3)) : NULL;
        while (d && (de = readdir(d)))
                if (cc_is_hex(de->d_name, CC_SHA256_HEX_LEN, CC_SHA256_HEX_LEN) &&
                    !cc_strv_contains(&chains, de->d_name))
                        cc_strv_push(&names, de->d_name);
        if (d)
                closedir(d);
        int r = 0;
        for (size_t i = 0; i < names.n && r == 0; i++) {
                /* Out of the way first, so no half-removed tree keeps a real name. */
                _cleanup_free_ char *del = cc_xasprintf(".del-%s", names.v[i]);
                json_object_object_del(idx_obj(s, "layers"), names.v[i]);
                if (renameat(lfd, names.v[i], lfd, del) < 0)
                        r = cc_error_setsys(err, -errno, "remove layer %s", names.v[i]);
                else
                        r = cc_layer_rm_tree(lfd, del, err);
        }
        /* Records of layers whose directory is gone. */
        struct cc_strv stale = {0};
        json_object_object_foreach(idx_obj(s, "layers"), key, v) {
                (void) v;
                if (!cc_strv_contains(&chains, key))
                        cc_strv_push(&stale, key);
        }
        for (size_t i = 0; i < stale.n; i++)
                json_object_object_del(idx_obj(s, "layers"), stale.v[i]);
        cc_strv_free(&stale);
        cc_strv_free(&names);
        cc_strv_free(&blobs);
        cc_strv_free(&chains);
        return r;
}

/* ---- the runtime's view ---- */

void cc_image_free(struct cc_image *img)
{
        if (!img)
                return;
        free(img->ref);
        free(img->id);
        cc_strv_free(&img->layer_dirs);
        json_object_put(img->config);
        free(img);
}

int cc_image_lookup(struct cc_image_store *s, const char *ref, struct cc_image **out, struct cc_error *err)
{
        int r = s->in_tx ? 0 : cc_image_index_load(s, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *id = NULL, *tag = NULL;
        r = cc_image_resolve(s, ref, &id, &tag, err);
        if (r < 0)
                return r;
        json_object *cfg = NULL, *rootfs, *diffs, *c;
        r = cc_image_config(s, id, &cfg, err);
        if (r < 0)
                return r;
        struct cc_image *img = cc_xcalloc(1, sizeof(*img));
        img->id = cc_xstrdup(id);
        if (tag) {
                img->ref = cc_steal(&tag);
        } else {
                struct cc_strv tags = {0};
                cc_image_tags_of(s, id, &tags);
                img->ref = cc_xstrdup(tags.n ? tags.v[0] : id);
                cc_strv_free(&tags);
        }
        char chain[CC_DIGEST_LEN + 1] = "";
        if (json_object_object_get_ex(cfg, "rootfs", &rootfs) &&
            json_object_object_get_ex(rootfs, "diff_ids", &diffs) && json_object_is_type(diffs, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(diffs); i++) {
                        const char *d = json_object_get_string(json_object_array_get_idx(diffs, i));
                        if (!cc_digest_valid(d)) {
                                r = cc_error_set(err, -EINVAL, "image %s: invalid diff-id in its config", id);
                                break;
                        }
                        cc_image_chain_id(i ? chain : NULL, d, chain);
                        char *p = cc_image_layer_path(s, chain);
                        struct stat st;
                        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
                                r = cc_error_set(err, -ENOENT,
                                                 "image %s: layer %s is missing from the store; load the image again",
                                                 img->ref, d);
                                free(p);
                                break;
                        }
                        cc_strv_push_owned(&img->layer_dirs, p);
                }
        }
        if (r == 0 && json_object_object_get_ex(cfg, "config", &c) && json_object_is_type(c, json_type_object))
                img->config = json_object_get(c);
        else if (r == 0)
                img->config = json_object_new_object();
        json_object_put(cfg);
        if (r < 0) {
                cc_image_free(img);
                return r;
        }
        *out = img;
        return 0;
}
