/* `ccompose image save`: images of the store as a docker-archive, the tar
 * `docker save` writes and `docker load` reads:
 *   <config hex>.json        each image's config, as stored
 *   <chain-id hex>/layer.tar each layer, uncompressed (its digest is the
 *                            diff-id the config lists), with VERSION and a
 *                            legacy json ({"id", "parent"}) beside it
 *   manifest.json            [{"Config", "RepoTags", "Layers"}] per image
 *   repositories             {repository: {tag: top layer dir}}
 * Layers shared by several images are written once. The archive goes to a
 * temporary name next to the output and is renamed when complete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "image-store.h"
#include "layer.h"
#include "lazy-archive.h"

#define COPY_BUF (256u << 10)

struct saver {
        struct cc_image_store *s;
        struct archive *a;
        struct cc_error *err;
        const char *tmpdir;      /* where uncompressed layers are staged (unnamed files) */
        time_t mtime;
        struct cc_strv written;  /* layer dirs in the archive */
        json_object *manifest;   /* manifest.json */
        json_object *repos;      /* repositories */
        char *buf;
};

static int archive_fail(struct saver *sv, const char *what, const char *name)
{
        return cc_error_set(sv->err, -EIO, "write %s %s: %s", what, name,
                            archive_error_string(sv->a) ? archive_error_string(sv->a) : "failed");
}

static int add_entry(struct saver *sv, const char *name, mode_t type, uint64_t size)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t) size);
        archive_entry_set_mtime(e, sv->mtime, 0);
        int r = archive_write_header(sv->a, e) == ARCHIVE_OK ? 0 : archive_fail(sv, "entry", name);
        archive_entry_free(e);
        return r;
}

static int add_mem(struct saver *sv, const char *name, const void *data, size_t len)
{
        int r = add_entry(sv, name, AE_IFREG, len);
        if (r == 0 && len > 0 && archive_write_data(sv->a, data, len) != (la_ssize_t) len)
                r = archive_fail(sv, "file", name);
        return r;
}

static int add_json(struct saver *sv, const char *name, json_object *o)
{
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return add_mem(sv, name, text, strlen(text));
}

static int add_fd(struct saver *sv, const char *name, int fd, uint64_t size)
{
        int r = add_entry(sv, name, AE_IFREG, size);
        for (uint64_t off = 0; r == 0 && off < size;) {
                size_t want = size - off < COPY_BUF ? (size_t) (size - off) : COPY_BUF;
                ssize_t n = pread(fd, sv->buf, want, (off_t) off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return cc_error_setsys(sv->err, n < 0 ? -errno : -EIO, "read the layer for %s", name);
                if (archive_write_data(sv->a, sv->buf, (size_t) n) != n)
                        return archive_fail(sv, "file", name);
                off += (uint64_t) n;
        }
        return r;
}

/* The layer blob, decompressed into an unnamed file (checked against its
 * diff-id: what docker load checks). */
static int uncompressed(struct saver *sv, const char *blob, const char *diff_id, int *out, uint64_t *size)
{
        _cleanup_free_ char *path = cc_image_blob_path(sv->s, blob);
        _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return cc_error_setsys(sv->err, -errno, "layer %s: its blob is not in the store", blob);
        _cleanup_close_ int fd = open(sv->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return cc_error_setsys(sv->err, -errno, "create a temporary file in %s", sv->tmpdir);
        struct archive *a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_format_raw(a);
        struct archive_entry *e;
        struct cc_sha256 h;
        cc_sha256_init(&h);
        int r = 0;
        uint64_t total = 0;
        if (archive_read_open_fd(a, in, COPY_BUF) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
                r = cc_error_set(sv->err, -EINVAL, "layer %s: %s", blob,
                                 archive_error_string(a) ? archive_error_string(a) : "unreadable");
        }
        while (r == 0) {
                la_ssize_t n = archive_read_data(a, sv->buf, COPY_BUF);
                if (n == 0)
                        break;
                if (n < 0) {
                        r = cc_error_set(sv->err, -EINVAL, "layer %s: %s", blob, archive_error_string(a));
                        break;
                }
                cc_sha256_update(&h, sv->buf, (size_t) n);
                for (la_ssize_t done = 0; r == 0 && done < n;) {
                        ssize_t w = write(fd, sv->buf + done, (size_t) (n - done));
                        if (w < 0 && errno != EINTR)
                                r = cc_error_setsys(sv->err, -errno, "write a temporary file in %s", sv->tmpdir);
                        else if (w > 0)
                                done += w;
                }
                total += (uint64_t) n;
        }
        archive_read_free(a);
        char got[CC_DIGEST_LEN + 1];
        cc_sha256_final(&h, got);
        if (r == 0 && strcmp(got, diff_id) != 0)
                r = cc_error_set(sv->err, -EBADMSG, "layer %s: its content is %s, the image says %s", blob, got, diff_id);
        if (r < 0)
                return r;
        *out = cc_steal_fd(&fd);
        *size = total;
        return 0;
}

static int save_layer(struct saver *sv, const char *blob, const char *diff_id, const char *chain,
                      const char *parent)
{
        const char *hex = cc_digest_hex(chain);
        if (cc_strv_contains(&sv->written, hex))
                return 0;
        _cleanup_close_ int fd = -1;
        uint64_t size = 0;
        int r = uncompressed(sv, blob, diff_id, &fd, &size);
        _cleanup_free_ char *dir = cc_xasprintf("%s/", hex);
        _cleanup_free_ char *version = cc_xasprintf("%s/VERSION", hex);
        _cleanup_free_ char *jname = cc_xasprintf("%s/json", hex);
        _cleanup_free_ char *tar = cc_xasprintf("%s/layer.tar", hex);
        json_object *legacy = json_object_new_object();
        json_object_object_add(legacy, "id", json_object_new_string(hex));
        if (parent)
                json_object_object_add(legacy, "parent", json_object_new_string(cc_digest_hex(parent)));
        if (r == 0)
                r = add_entry(sv, dir, AE_IFDIR, 0);
        if (r == 0)
                r = add_mem(sv, version, "1.0", 3);
        if (r == 0)
                r = add_json(sv, jname, legacy);
        if (r == 0)
                r = add_fd(sv, tar, fd, size);
        json_object_put(legacy);
        if (r == 0)
                cc_strv_push(&sv->written, hex);
        return r;
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* One image: its layers, its config, its manifest.json entry. tags:
 * normalised references (none when saved by ID). */
static int save_image(struct saver *sv, const char *id, const struct cc_strv *tags)
{
        const char *mdigest = cc_image_manifest_digest(sv->s, id);
        _cleanup_free_ char *mraw = NULL, *craw = NULL;
        size_t mlen = 0, clen = 0;
        int r = mdigest ? cc_image_blob_read(sv->s, mdigest, &mraw, &mlen, sv->err)
                        : cc_error_set(sv->err, -ENOENT, "no manifest in the store");
        if (r == 0)
                r = cc_image_blob_read(sv->s, id, &craw, &clen, sv->err);
        if (r < 0)
                return r;
        json_object *man = json_tokener_parse(mraw), *cfg = json_tokener_parse(craw), *layers, *rootfs, *diffs;
        if (!json_object_object_get_ex(man, "layers", &layers) || !json_object_object_get_ex(cfg, "rootfs", &rootfs) ||
            !json_object_object_get_ex(rootfs, "diff_ids", &diffs) ||
            json_object_array_length(layers) != json_object_array_length(diffs))
                r = cc_error_set(sv->err, -EINVAL, "its manifest and config do not agree on the layers");
        time_t created = cc_image_parse_time(jstr(cfg, "created"));
        sv->mtime = created > 0 ? created : 0;
        json_object *paths = json_object_new_array();
        char chain[CC_DIGEST_LEN + 1] = "", parent[CC_DIGEST_LEN + 1] = "";
        for (size_t i = 0; r == 0 && i < json_object_array_length(diffs); i++) {
                const char *diff = json_object_get_string(json_object_array_get_idx(diffs, i));
                const char *blob = jstr(json_object_array_get_idx(layers, i), "digest");
                if (!cc_digest_valid(diff) || !cc_digest_valid(blob)) {
                        r = cc_error_set(sv->err, -EINVAL, "layer %zu: invalid digest", i + 1);
                        break;
                }
                strcpy(parent, chain);
                cc_image_chain_id(i ? parent : NULL, diff, chain);
                r = save_layer(sv, blob, diff, chain, i ? parent : NULL);
                _cleanup_free_ char *p = cc_xasprintf("%s/layer.tar", cc_digest_hex(chain));
                json_object_array_add(paths, json_object_new_string(p));
        }
        _cleanup_free_ char *cfgname = cc_xasprintf("%s.json", cc_digest_hex(id));
        if (r == 0)
                r = add_mem(sv, cfgname, craw, clen);
        json_object *repo_tags = tags->n ? json_object_new_array() : NULL;
        for (size_t i = 0; r == 0 && i < tags->n; i++) {
                _cleanup_free_ char *fam = cc_image_ref_familiar(tags->v[i]);
                json_object_array_add(repo_tags, json_object_new_string(fam));
                char *colon = strrchr(fam, ':');
                if (!colon || strchr(colon, '/') || !*chain)
                        continue;
                *colon = '\0';
                json_object *tagmap;
                if (!json_object_object_get_ex(sv->repos, fam, &tagmap)) {
                        tagmap = json_object_new_object();
                        json_object_object_add(sv->repos, fam, tagmap);
                }
                json_object_object_add(tagmap, colon + 1, json_object_new_string(cc_digest_hex(chain)));
        }
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "Config", json_object_new_string(cfgname));
        json_object_object_add(entry, "RepoTags", repo_tags);
        json_object_object_add(entry, "Layers", paths);
        json_object_array_add(sv->manifest, entry);
        json_object_put(man);
        json_object_put(cfg);
        return r;
}

/* The images refs name, in order, each once with the tags named for it. */
static int resolve_all(struct cc_image_store *s, const char *const *refs, size_t n, struct cc_strv *ids,
                       struct cc_strv **tags, struct cc_error *err)
{
        *tags = cc_xcalloc(n + 1, sizeof(**tags));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *id = NULL, *tag = NULL;
                if (cc_image_resolve(s, refs[i], &id, &tag, err) < 0)
                        return cc_error_set(err, -ENOENT, "No such image: %s", refs[i]);
                size_t k = 0;
                while (k < ids->n && strcmp(ids->v[k], id) != 0)
                        k++;
                if (k == ids->n)
                        cc_strv_push(ids, id);
                if (tag && !cc_strv_contains(&(*tags)[k], tag))
                        cc_strv_push(&(*tags)[k], tag);
        }
        return 0;
}

static int write_archive(struct saver *sv, int fd, const struct cc_strv *ids, const struct cc_strv *tags)
{
        archive_write_set_format_pax_restricted(sv->a);
        archive_write_set_bytes_in_last_block(sv->a, 1);
        if (archive_write_open_fd(sv->a, fd) != ARCHIVE_OK)
                return archive_fail(sv, "archive", "");
        int r = 0;
        for (size_t i = 0; i < ids->n && r == 0; i++)
                if ((r = save_image(sv, ids->v[i], &tags[i])) < 0)
                        cc_error_prefix(sv->err, "image %s", ids->v[i]);
        sv->mtime = 0;
        if (r == 0)
                r = add_json(sv, "manifest.json", sv->manifest);
        if (r == 0)
                r = add_json(sv, "repositories", sv->repos);
        if (r == 0 && archive_write_close(sv->a) != ARCHIVE_OK)
                r = archive_fail(sv, "archive", "");
        return r;
}

int cc_image_save(struct cc_image_store *s, const char *const *refs, size_t n, const char *path, struct cc_error *err)
{
        int r = cc_image_index_load(s, err);
        if (r < 0)
                return r;
        struct cc_strv ids = {0}, *tags = NULL;
        r = resolve_all(s, refs, n, &ids, &tags, err);
        _cleanup_free_ char *dir = path ? cc_xstrdup(path) : NULL, *tmp = NULL;
        if (dir) {
                char *slash = strrchr(dir, '/');
                if (slash)
                        slash[slash == dir ? 1 : 0] = '\0';
                else
                        strcpy(dir, ".");
        }
        const char *tmpenv = getenv("TMPDIR");
        struct saver sv = { .s = s, .err = err, .tmpdir = dir ? dir : tmpenv && *tmpenv ? tmpenv : "/tmp",
                            .manifest = json_object_new_array(), .repos = json_object_new_object(),
                            .buf = cc_xmalloc(COPY_BUF), .a = archive_write_new() };
        int fd = STDOUT_FILENO;
        if (r == 0 && path) {
                tmp = cc_xasprintf("%s.tmp-XXXXXX", path);
                fd = mkostemp(tmp, O_CLOEXEC);
                if (fd < 0)
                        r = cc_error_setsys(err, -errno, "create %s", tmp);
        }
        if (r == 0)
                r = write_archive(&sv, fd, &ids, tags);
        if (path && fd >= 0) {
                if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
                        r = cc_error_setsys(err, -errno, "write %s", path);
                close(fd);
                if (r == 0 && rename(tmp, path) < 0)
                        r = cc_error_setsys(err, -errno, "rename %s to %s", tmp, path);
                if (r < 0)
                        unlink(tmp);
        }
        archive_write_free(sv.a);
        free(sv.buf);
        json_object_put(sv.manifest);
        json_object_put(sv.repos);
        cc_strv_free(&sv.written);
        for (size_t i = 0; i < n && tags; i++)
                cc_strv_free(&tags[i]);
        free(tags);
        cc_strv_free(&ids);
        return r;
}
