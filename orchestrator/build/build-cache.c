/* Layer steps and the build cache. A step's key is the parent's key and
 * what the step does; its record (index.json build_cache) names its layer
 * (chain ID and diff-ID) or says it made none. New layers wait in the
 * build's work directory (their tar beside them) and enter the store at
 * the end of the build, with their records and the image, behind one
 * syncfs and in one transaction: also when a later step failed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "build-stage.h"
#include "image-digest.h"
#include "layer.h"

struct cc_pending_layer {
        char *tar, *dir;
        char diff_id[CC_DIGEST_LEN + 1];
        char chain[CC_DIGEST_LEN + 1];
        uint64_t size;
};

void cc_build_key(const char *parent, const void *what, size_t len, char *key)
{
        struct cc_sha256 h;
        cc_sha256_init(&h);
        cc_sha256_update(&h, parent, strlen(parent) + 1);
        cc_sha256_update(&h, what, len);
        cc_sha256_final(&h, key);
}

void cc_stage_step_key(const struct cc_stage *st, const void *what, size_t len, char *key)
{
        cc_build_key(st->key, what, len, key);
}

static const char *rec_str(json_object *rec, const char *key)
{
        json_object *v;
        return rec && json_object_object_get_ex(rec, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

/* The step's layer (or none) is in place: the stage moves on. */
static void layer_done(struct cc_stage *st, const char *key, const char *created_by, const char *diff_id,
                       const char *chain, const char *dir)
{
        cc_stage_add_step_layer(st, created_by, diff_id, dir);
        if (chain)
                strcpy(st->chain, chain);
        strcpy(st->key, key);
}


/* cache_from: an image of the store whose history has this step (the same
 * created_by) right above the stage's layers, as the classic builder
 * matches it; RUN steps only (a COPY's created_by does not name its
 * content). */
static int cached_from(struct cc_builder *b, struct cc_stage *st, const char *key, const char *created_by)
{
        if (!b->o->cache_from || !cc_startswith(created_by, "RUN "))
                return 0;
        for (size_t i = 0; i < b->o->cache_from->n; i++) {
                _cleanup_free_ char *id = NULL;
                json_object *cfg = NULL, *hist, *rootfs, *diffs;
                if (cc_image_resolve(b->s, b->o->cache_from->v[i], &id, NULL, NULL) < 0 ||
                    cc_image_config(b->s, id, &cfg, NULL) < 0)
                        continue;
                if (!json_object_object_get_ex(cfg, "history", &hist) || !json_object_object_get_ex(cfg, "rootfs", &rootfs) ||
                    !json_object_object_get_ex(rootfs, "diff_ids", &diffs)) {
                        json_object_put(cfg);
                        continue;
                }
                char chain[CC_DIGEST_LEN + 1] = "";
                size_t layer = 0;
                int found = 0;
                for (size_t h = 0; !found && h < json_object_array_length(hist); h++) {
                        json_object *e = json_object_array_get_idx(hist, h), *empty;
                        bool has_layer = !(json_object_object_get_ex(e, "empty_layer", &empty) &&
                                           json_object_get_boolean(empty));
                        const char *diff = has_layer && layer < json_object_array_length(diffs)
                                                   ? json_object_get_string(json_object_array_get_idx(diffs, layer))
                                                   : NULL;
                        if (has_layer && !cc_digest_valid(diff))
                                break;
                        if (cc_streq(chain, st->chain) && cc_streq(rec_str(e, "created_by"), created_by)) {
                                char next[CC_DIGEST_LEN + 1];
                                if (diff)
                                        cc_image_chain_id(*chain ? chain : NULL, diff, next);
                                _cleanup_free_ char *dir = diff ? cc_image_layer_path(b->s, next) : NULL;
                                if (!dir || access(dir, F_OK) == 0) {
                                        json_object *rec = json_object_new_object();
                                        if (diff) {
                                                json_object_object_add(rec, "diff_id", json_object_new_string(diff));
                                                json_object_object_add(rec, "chain", json_object_new_string(next));
                                        } else {
                                                json_object_object_add(rec, "empty", json_object_new_boolean(1));
                                        }
                                        cc_builder_record(b, key, rec);
                                        layer_done(st, key, created_by, diff, diff ? next : NULL, dir);
                                        found = 1;
                                }
                                break;
                        }
                        if (diff) {
                                cc_image_chain_id(*chain ? chain : NULL, diff, chain);
                                layer++;
                        }
                }
                json_object_put(cfg);
                if (found)
                        return 1;
        }
        return 0;
}

int cc_stage_cached(struct cc_builder *b, struct cc_stage *st, const char *key, const char *created_by)
{
        if (b->o->no_cache)
                return 0;
        json_object *rec = cc_image_cache_get(b->s, cc_digest_hex(key));
        const char *diff = rec_str(rec, "diff_id"), *chain = rec_str(rec, "chain");
        json_object *empty;
        if (rec && json_object_object_get_ex(rec, "empty", &empty)) {
                layer_done(st, key, created_by, NULL, NULL, NULL);
                return 1;
        }
        if (!cc_digest_valid(diff) || !cc_digest_valid(chain))
                return cached_from(b, st, key, created_by);
        /* the layer must still be there, and above this stage's chain */
        char want[CC_DIGEST_LEN + 1];
        cc_image_chain_id(*st->chain ? st->chain : NULL, diff, want);
        _cleanup_free_ char *dir = cc_image_layer_path(b->s, chain);
        if (!cc_streq(want, chain) || access(dir, F_OK) < 0 || !cc_image_blob_exists(b->s, diff))
                return cached_from(b, st, key, created_by);
        layer_done(st, key, created_by, diff, chain, dir);
        return 1;
}

static bool dir_empty(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        bool empty = true;
        while (d && empty && (de = readdir(d)))
                empty = cc_streq(de->d_name, ".") || cc_streq(de->d_name, "..");
        if (d)
                closedir(d);
        return d && empty;
}

/* SOURCE_DATE_EPOCH: no time in a new layer is later than the epoch
 * (name is an entry of the directory at). */
static int clamp_at(int at, const char *name, time_t epoch, unsigned depth)
{
        struct stat st;
        if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode) && depth < 256) {
                int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
                if (!d) {
                        if (fd >= 0)
                                close(fd);
                        return -errno;
                }
                struct dirent *de;
                int r = 0;
                while (r == 0 && (de = readdir(d)))
                        if (!cc_streq(de->d_name, ".") && !cc_streq(de->d_name, ".."))
                                r = clamp_at(dirfd(d), de->d_name, epoch, depth + 1);
                closedir(d);
                if (r < 0)
                        return r;
        }
        if (st.st_mtim.tv_sec < epoch || (st.st_mtim.tv_sec == epoch && st.st_mtim.tv_nsec == 0))
                return 0; /* untouched: it may be a file linked from an older layer */
        struct timespec ts[2] = {{.tv_sec = epoch}, {.tv_sec = epoch}};
        return utimensat(at, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

void cc_builder_record(struct cc_builder *b, const char *key, json_object *rec)
{
        cc_strv_push(&b->pending_keys, cc_digest_hex(key));
        if (!b->pending_recs)
                b->pending_recs = json_object_new_array();
        json_object_array_add(b->pending_recs, rec);
}

/* dir's layer tar, written beside it: *tar (owned), info. */
static int write_tar(const char *dir, char **tar, struct cc_layer_info *info, struct cc_error *err)
{
        *tar = cc_xasprintf("%s.tar", dir);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int tfd = open(*tar, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        int r = dfd < 0 || tfd < 0 ? cc_error_setsys(err, -errno, "write the layer of %s", dir)
                                   : cc_layer_write_dir(dfd, tfd, info, err);
        if (r < 0) {
                unlink(*tar);
                free(*tar);
                *tar = NULL;
        }
        return r;
}

int cc_stage_add_layer(struct cc_builder *b, struct cc_stage *st, const char *key, const char *created_by,
                       const char *dir, struct cc_error *err)
{
        json_object *rec = json_object_new_object();
        if (dir_empty(dir)) {
                cc_rm_rf(dir);
                json_object_object_add(rec, "empty", json_object_new_boolean(1));
                cc_builder_record(b, key, rec);
                layer_done(st, key, created_by, NULL, NULL, NULL);
                return 0;
        }
        int r = b->epoch >= 0 ? clamp_at(AT_FDCWD, dir, (time_t) b->epoch, 0) : 0;
        if (r < 0) {
                json_object_put(rec);
                return cc_error_setsys(err, r, "SOURCE_DATE_EPOCH: set the times in %s", dir);
        }
        _cleanup_free_ char *tar = NULL;
        struct cc_layer_info info;
        if ((r = write_tar(dir, &tar, &info, err)) < 0) {
                json_object_put(rec);
                return r;
        }
        char chain[CC_DIGEST_LEN + 1];
        cc_image_chain_id(*st->chain ? st->chain : NULL, info.diff_id, chain);
        _cleanup_free_ char *stored = cc_image_layer_path(b->s, chain);
        const char *ldir = dir;
        if (access(stored, F_OK) == 0 && cc_image_blob_exists(b->s, info.diff_id)) {
                /* the store has it (built before without a record of this key) */
                cc_rm_rf(dir);
                unlink(tar);
                ldir = stored;
        } else {
                b->pending = cc_xrealloc(b->pending, (b->npending + 1) * sizeof(*b->pending));
                struct cc_pending_layer *p = &b->pending[b->npending++];
                *p = (struct cc_pending_layer){.tar = cc_steal(&tar), .dir = cc_xstrdup(dir), .size = info.size};
                strcpy(p->diff_id, info.diff_id);
                strcpy(p->chain, chain);
        }
        json_object_object_add(rec, "diff_id", json_object_new_string(info.diff_id));
        json_object_object_add(rec, "chain", json_object_new_string(chain));
        cc_builder_record(b, key, rec);
        layer_done(st, key, created_by, info.diff_id, chain, ldir);
        return 0;
}

struct cc_file_hashes *cc_builder_file_hashes(struct cc_builder *b)
{
        if (!b->hashes) {
                _cleanup_free_ char *ctx = realpath(b->o->context, NULL);
                char digest[CC_DIGEST_LEN + 1];
                cc_sha256_digest(ctx ? ctx : b->o->context, strlen(ctx ? ctx : b->o->context), digest);
                _cleanup_free_ char *path = cc_xasprintf("%s/build-context-hashes/%s", b->o->root, cc_digest_hex(digest));
                b->hashes = cc_xmalloc(sizeof(*b->hashes));
                cc_file_hashes_load(b->hashes, path, time(NULL));
        }
        return b->hashes;
}

void cc_builder_pending_free(struct cc_builder *b)
{
        if (b->hashes) {
                cc_file_hashes_free(b->hashes);
                free(b->hashes);
                b->hashes = NULL;
        }
        for (size_t i = 0; i < b->npending; i++) {
                free(b->pending[i].tar);
                free(b->pending[i].dir);
        }
        free(b->pending);
        b->pending = NULL;
        b->npending = 0;
        cc_strv_free(&b->pending_keys);
        json_object_put(b->pending_recs);
        b->pending_recs = NULL;
}

/* ---- the end of a build ---- */

static void add_labels(json_object *config, const struct cc_strv *labels)
{
        if (!labels || !labels->n)
                return;
        json_object *l = cc_image_json_member(config, "Labels", json_type_object);
        for (size_t i = 0; i < labels->n; i++) {
                const char *eq = strchr(labels->v[i], '=');
                _cleanup_free_ char *k = eq ? cc_xstrndup(labels->v[i], (size_t) (eq - labels->v[i]))
                                            : cc_xstrdup(labels->v[i]);
                json_object_object_add(l, k, json_object_new_string(eq ? eq + 1 : ""));
        }
}

/* The export's key: the target's key, and its config and history. */
static void export_key(struct cc_builder *b, const struct cc_stage *st, char *key)
{
        struct cc_buf what = {0};
        cc_buf_printf(&what, "EXPORT%c%s%c%s%c%s%c%s", 0, st->base_id ? st->base_id : "", 0,
                      st->author ? st->author : "", 0, b->created ? b->created : "", 0,
                      json_object_to_json_string_ext(st->config, JSON_C_TO_STRING_PLAIN));
        for (size_t i = 0; i < st->nsteps_done; i++)
                cc_buf_printf(&what, "%c%s%c%s", 0, st->steps[i].created_by, 0,
                              st->steps[i].diff_id ? st->steps[i].diff_id : "");
        cc_stage_step_key(st, what.s, what.len, key);
        cc_buf_free(&what);
}

/* The image of an export key that is still in the store, or NULL. */
static char *exported(struct cc_builder *b, const char *key)
{
        if (b->o->no_cache)
                return NULL;
        const char *id = rec_str(cc_image_cache_get(b->s, cc_digest_hex(key)), "image");
        char *found = NULL;
        if (id && cc_image_resolve(b->s, id, &found, NULL, NULL) < 0)
                found = NULL;
        return found;
}

/* Every tag names id already. */
static bool tagged(struct cc_builder *b, const char *id)
{
        for (size_t i = 0; b->o->tags && i < b->o->tags->n; i++) {
                _cleanup_free_ char *found = NULL;
                if (cc_image_resolve(b->s, b->o->tags->v[i], &found, NULL, NULL) < 0 || !cc_streq(found, id))
                        return false;
        }
        return true;
}

/* Inside the transaction: the waiting layers and records. */
static int flush(struct cc_builder *b, struct cc_error *err)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < b->npending; i++) {
                struct cc_pending_layer *p = &b->pending[i];
                r = cc_image_layer_adopt_dir(b->s, p->tar, p->dir, p->diff_id, p->chain, p->size, err);
        }
        for (size_t i = 0; r == 0 && i < b->pending_keys.n; i++)
                cc_image_cache_put(b->s, b->pending_keys.v[i],
                                   json_object_get(json_object_array_get_idx(b->pending_recs, i)));
        return r;
}

static int export_in_tx(struct cc_builder *b, struct cc_stage *st, const char *key, const char *cached_id,
                        char *id_out, struct cc_error *err)
{
        int r = 0;
        if (cached_id) {
                strcpy(id_out, cached_id);
        } else {
                struct cc_build_commit c = {.base_id = st->base_id, .config = st->config, .steps = st->steps,
                                            .n = st->nsteps_done, .author = st->author, .created = b->created};
                r = cc_build_commit_in_tx(b->s, &c, id_out, err);
        }
        json_object *rec = json_object_new_object();
        json_object_object_add(rec, "image", json_object_new_string(id_out));
        cc_image_cache_put(b->s, cc_digest_hex(key), rec);
        for (size_t i = 0; r == 0 && b->o->tags && i < b->o->tags->n; i++) {
                _cleanup_free_ char *norm = cc_image_ref_normalize(b->o->tags->v[i]);
                r = cc_image_tag_set(b->s, norm, id_out, err);
        }
        return r;
}

int cc_builder_save(struct cc_builder *b, struct cc_stage *target, char *id_out, struct cc_error *err)
{
        char key[CC_DIGEST_LEN + 1];
        _cleanup_free_ char *cached = NULL;
        if (target) {
                cc_builder_vertex(b, "exporting to image");
                add_labels(target->config, b->o->labels);
                export_key(b, target, key);
                cached = exported(b, key);
        }
        /* a cache of the builder's own: a failure to keep it costs time, not the build */
        struct cc_error herr = {0};
        if (b->hashes && cc_file_hashes_save(b->hashes, &herr) < 0 && b->out)
                fprintf(b->out, "#%u WARNING: %s\n", b->vertex, cc_error_msg(&herr));
        cc_error_clear(&herr);
        int r = 0;
        bool nothing = !b->npending && !b->pending_keys.n && (!target || (cached && tagged(b, cached)));
        if (!nothing) {
                /* the waiting trees and tars durable before any name of theirs is */
                _cleanup_close_ int wfd = b->npending ? open(b->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                if (b->npending && (wfd < 0 || syncfs(wfd) < 0))
                        r = cc_error_setsys(err, -errno, "sync the new layers");
                if (r == 0)
                        r = cc_image_tx_begin(b->s, err);
                if (r == 0) {
                        r = flush(b, err);
                        if (r == 0 && target)
                                r = export_in_tx(b, target, key, cached, id_out, err);
                        if (r < 0)
                                cc_image_tx_abort(b->s);
                        else
                                r = cc_image_tx_commit(b->s, err);
                }
        } else if (target) {
                strcpy(id_out, cached);
        }
        cc_builder_pending_free(b);
        if (r < 0 || !target)
                return r;
        cc_builder_vertex_log(b, "writing image %s done", id_out);
        for (size_t i = 0; b->o->tags && i < b->o->tags->n; i++) {
                _cleanup_free_ char *norm = cc_image_ref_normalize(b->o->tags->v[i]);
                cc_builder_vertex_log(b, "naming to %s done", norm ? norm : b->o->tags->v[i]);
        }
        cc_builder_vertex_done(b, false);
        return 0;
}
