/* The image store's internal interface, shared by the store, the archive
 * loaders, import and the `ccompose image` commands.
 *
 * On disk (under $CCOMPOSE_ROOT):
 *   images/blobs/sha256/<hex>  manifests, configs, layer blobs as received
 *   images/index.json          {"images": {id: {manifest, size, added}},
 *                               "tags": {normalised ref: id},
 *                               "layers": {chain-id hex: {diff_id, size}}}
 *   images/lock                flock()ed while the store is changed
 *   images/tmp/                staging for loads and imports
 *   layers/<chain-id hex>/     unpacked layer trees, overlayfs form
 * An image's ID is the digest of its config blob, as in Docker. Every
 * change runs as a transaction under the lock: new blobs and layers are
 * recorded, and removed again when the transaction is aborted, so a failed
 * load leaves the store as it was. index.json is replaced atomically, so
 * readers (cc_image_lookup) need no lock. */
#ifndef CC_IMAGE_STORE_H
#define CC_IMAGE_STORE_H

#include <stdint.h>
#include <time.h>

#include "image-digest.h"
#include "image.h"

struct cc_image_store {
        char *root;
        char *images_dir;
        char *blobs_dir;
        char *layers_dir;
        char *tmp_dir;
        char *index_path;
        int lock_fd;
        bool in_tx;
        json_object *index;
        struct cc_strv new_blobs;  /* digests created by the running transaction */
        struct cc_strv new_layers; /* chain-id hexes created by it */
};

/* ---- references (image-ref.c) ---- */
bool cc_image_tag_valid(const char *tag);
/* Split a normalised reference into repository, tag and digest (NULL when
 * absent); all owned by the caller. */
void cc_image_ref_split(const char *norm, char **repo, char **tag, char **digest);
/* "docker.io/library/busybox" -> "busybox", "docker.io/u/app" -> "u/app". */
char *cc_image_repo_familiar(const char *repo);
char *cc_image_ref_familiar(const char *norm);

/* ---- transactions ---- */
int cc_image_tx_begin(struct cc_image_store *s, struct cc_error *err);
int cc_image_tx_commit(struct cc_image_store *s, struct cc_error *err);
void cc_image_tx_abort(struct cc_image_store *s);

/* Re-read index.json (outside transactions: a consistent snapshot). */
int cc_image_index_load(struct cc_image_store *s, struct cc_error *err);

/* ---- blobs ---- */
char *cc_image_blob_path(struct cc_image_store *s, const char *digest);
bool cc_image_blob_exists(struct cc_image_store *s, const char *digest);
/* Store data; checks it against expect when given. digest_out: CC_DIGEST_LEN+1. */
int cc_image_blob_put_mem(struct cc_image_store *s, const void *data, size_t len, const char *expect,
                          char *digest_out, struct cc_error *err);
/* Store what fd holds from its offset to EOF, hashing it on the way. */
int cc_image_blob_put_fd(struct cc_image_store *s, int fd, const char *expect, char *digest_out,
                         uint64_t *size, struct cc_error *err);
int cc_image_blob_read(struct cc_image_store *s, const char *digest, char **data, size_t *len,
                       struct cc_error *err);
/* Move the file at path, whose content the caller has checked against
 * digest and made durable (fsync or syncfs: a blob's name must never reach
 * the disk before its content), into the store (inside a transaction; path
 * on the store's filesystem, e.g. under images/tmp). Returns 1 when the
 * blob was created, 0 when it was there already (path is then removed). */
int cc_image_blob_adopt(struct cc_image_store *s, const char *path, const char *digest, struct cc_error *err);

/* ---- layers ---- */
/* ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(..n-1) + " " + DiffID(n)). */
void cc_image_chain_id(const char *parent_chain, const char *diff_id, char *out);
char *cc_image_layer_path(struct cc_image_store *s, const char *chain_id);

/* A tree made on this machine (a build step's overlay upper directory or
 * COPY staging tree) as the layer above parent_chain (NULL: the lowest),
 * inside a transaction: its tar written and digested once into a blob
 * (uncompressed: blob digest = diff-id) and the tree itself moved to
 * layers/<chain>, no unpack. diff_id and chain (CC_DIGEST_LEN + 1 bytes
 * each) describe it. When that layer exists already, dir is removed. */
int cc_image_layer_from_dir(struct cc_image_store *s, const char *parent_chain, const char *dir, char *diff_id,
                            char *chain, struct cc_error *err);
/* The same in two halves, for a caller that batches many layers behind one
 * syncfs: it wrote tar (cc_layer_write_dir of dir: diff_id, size) on the
 * store's filesystem and made both durable; inside a transaction the tar
 * becomes the blob and dir the layer tree at chain (or is removed when
 * that layer exists). */
int cc_image_layer_adopt_dir(struct cc_image_store *s, const char *tar, const char *dir, const char *diff_id,
                             const char *chain, uint64_t size, struct cc_error *err);

/* ---- the build cache: index.json "build_cache", key -> record ---- */
/* The record of key (64 hex digits), borrowed from the loaded index, or NULL. */
json_object *cc_image_cache_get(struct cc_image_store *s, const char *key);
/* Inside a transaction: record rec (owned) under key. A record's "chain"
 * and "diff_id" members keep that layer tree and blob from cc_image_gc. */
void cc_image_cache_put(struct cc_image_store *s, const char *key, json_object *rec);

/* ---- ingest: one image from any source ---- */
struct cc_ingest_layer {
        int dirfd;              /* where the blob is: path resolved in this root */
        const char *path;
        const char *digest;     /* expected blob digest, or NULL */
        const char *media_type; /* from the manifest, or NULL to detect */
        bool new_blob;          /* the blob entered the store in this transaction
                                   (cc_image_blob_adopt): check its diff-id even when
                                   its layer is unpacked already */
        const char *unpacked;   /* a tree cc_image_layer_prepare made from this blob
                                   (its path), or NULL */
        const char *unpacked_diff_id;
        uint64_t unpacked_size;
};

struct cc_ingest {
        const char *config;
        size_t config_len;
        const char *config_digest;   /* expected, or NULL */
        const char *manifest;        /* original manifest bytes, or NULL to synthesise */
        size_t manifest_len;
        const char *manifest_digest; /* expected, or NULL */
        struct cc_ingest_layer *layers;
        size_t nlayers;
        bool durable;                /* the caller synced the filesystem after writing the
                                        layers' blobs and prepared trees: no need to again */
};

/* Inside a transaction: store config, layers and manifest, unpack layers not
 * yet unpacked, verify every digest, and record the image. id_out gets
 * "sha256:<hex>" of the config (CC_DIGEST_LEN + 1 bytes). */
int cc_image_ingest(struct cc_image_store *s, const struct cc_ingest *in, char *id_out,
                    struct cc_error *err);
/* Unpack a layer blob read from fd (a file, a pipe or a socket: e.g. the
 * blob while it downloads) into a new tree in dir, a directory on the
 * store's filesystem (a pull's staging area, say), without the store's lock:
 * it touches no shared state, so a caller may run several at once in
 * threads. *path (owned) is the tree, for cc_ingest_layer.unpacked, which
 * the caller may only pass once the blob proved to match its digest;
 * diff_id (CC_DIGEST_LEN + 1 bytes) and *size describe it. cc_image_ingest
 * checks the diff-id against the config and moves the tree into place, or
 * removes it when the layer is there already. */
int cc_image_layer_prepare(int fd, const char *dir, char **path, char *diff_id, uint64_t *size,
                           struct cc_error *err);
/* Point the normalised ref at image id (inside a transaction). */
int cc_image_tag_set(struct cc_image_store *s, const char *ref, const char *id, struct cc_error *err);

/* ---- queries on the loaded index ---- */
/* Resolve a reference, full or short ID to an image ID ("sha256:<hex>",
 * owned). matched_tag: the normalised tag when ref named one, else NULL. */
int cc_image_resolve(struct cc_image_store *s, const char *ref, char **id, char **matched_tag,
                     struct cc_error *err);
/* Normalised tags of image id, sorted. */
void cc_image_tags_of(struct cc_image_store *s, const char *id, struct cc_strv *out);
/* Every image ID in the index. */
void cc_image_ids(struct cc_image_store *s, struct cc_strv *out);
/* The config blob of image id, parsed. */
int cc_image_config(struct cc_image_store *s, const char *id, json_object **out, struct cc_error *err);
uint64_t cc_image_size(struct cc_image_store *s, const char *id);
const char *cc_image_manifest_digest(struct cc_image_store *s, const char *id);
/* When image id entered the store ("added"), -1 when unknown. */
time_t cc_image_added(struct cc_image_store *s, const char *id);
/* When the normalised ref was last pulled, -1 when never; *digest (may be
 * NULL) gets what it resolved to then (owned by the index). */
time_t cc_image_pulled(struct cc_image_store *s, const char *ref, const char **digest);
/* Parse an RFC 3339 time ("2024-01-02T03:04:05.123Z"); -1 if invalid. */
time_t cc_image_parse_time(const char *s);
/* Now as RFC 3339 with nanoseconds, UTC. */
char *cc_image_now_rfc3339(void);

/* ---- changes (inside a transaction) ---- */
/* Remove tag ref (normalised). */
int cc_image_untag(struct cc_image_store *s, const char *ref, struct cc_error *err);
/* Forget image id and its tags (blobs and layers go at the next gc). */
int cc_image_forget(struct cc_image_store *s, const char *id, struct cc_error *err);
/* Record that the normalised ref was pulled now and resolved to digest
 * (index.json "pulls"; for pull policies like daily). */
void cc_image_pull_record(struct cc_image_store *s, const char *ref, const char *digest);
/* Remove blobs and layer trees that no image refers to any more. */
int cc_image_gc(struct cc_image_store *s, struct cc_error *err);

/* ---- sources ---- */
struct cc_load_result {
        struct cc_strv lines; /* "Loaded image: ..." / "Loaded image ID: ..." */
        struct cc_strv notes; /* explanations for stderr */
};
void cc_load_result_free(struct cc_load_result *r);
/* Load a docker-archive or OCI archive (file, possibly compressed) or an
 * OCI image layout directory. All or nothing. */
int cc_image_load(struct cc_image_store *s, const char *path, struct cc_load_result *res,
                  struct cc_error *err);

/* Write the images refs[0..n) name (tags or IDs) to path (NULL: standard
 * output) as a docker-archive, what `docker save` writes and `docker load`
 * and cc_image_load read (image-save.c). The file appears complete or not
 * at all. */
int cc_image_save(struct cc_image_store *s, const char *const *refs, size_t n, const char *path,
                  struct cc_error *err);

/* Inside a transaction: when path is NULL or "-", copy standard input to a
 * file under images/tmp and return its name in *spooled (else NULL). */
int cc_image_spool_input(struct cc_image_store *s, const char *path, char **spooled, struct cc_error *err);

struct cc_import_options {
        const char *path;          /* rootfs tarball, "-" for stdin */
        const char *ref;           /* tag, or NULL */
        const char *message;       /* -m, or NULL */
        const struct cc_strv *changes; /* --change instructions */
};
int cc_image_import(struct cc_image_store *s, const struct cc_import_options *o, char *id_out,
                    struct cc_error *err);
/* o's member key of that type (an object or an array), added when missing
 * or of another type. */
json_object *cc_image_json_member(json_object *o, const char *key, json_type type);
/* Apply one Dockerfile-style instruction (CMD, ENV, ...) to a config's
 * "config" object. */
int cc_image_apply_change(json_object *config, const char *change, struct cc_error *err);

#endif
