/* `ccompose image push`: send an image of the store to its registry.
 * Each layer blob goes up only when the registry lacks it (HEAD): mounted
 * from another repository of the same registry when the store knows the
 * blob from one (a tag there of an image using it), else uploaded, in one
 * PUT (POST, then PUT with the digest) or, when larger than the chunk
 * size, in PATCHes with Content-Range and a final PUT. Then the config
 * blob, then the manifest, last, as the store holds it: its digest is the
 * one a pull of the tag gives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "image-store.h"
#include "registry-client.h"

#define DEFAULT_CHUNK (16u << 20)
#define MANIFEST_MAX (4u << 20)
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* A blob: in memory (the config) or a file of the store (a layer). */
struct blob {
        const char *digest;
        uint64_t size;
        const void *mem;
        int fd;
        const char *short_id; /* for the display; NULL: not shown */
};

struct pusher {
        struct cc_image_store *s;
        const struct cc_push_options *o;
        struct cc_registry_ref ref;
        struct cc_reg_client *c;
        struct cc_error *err;
        uint64_t chunk;
        /* Where else the registry may hold blobs: "repository\0" followed
         * by the blob digests of its images in the store, per repository. */
        struct cc_strv other_repos;
        struct cc_strv other_blobs; /* "<index in other_repos> <digest>" */
};

static void emit(struct pusher *p, const struct cc_push_event *tmpl)
{
        if (!p->o->progress)
                return;
        struct cc_push_event ev = *tmpl;
        ev.ref = p->ref.norm;
        p->o->progress(&ev, p->o->progress_data);
}

static void emit_layer(struct pusher *p, const struct blob *b, enum cc_push_status st, uint64_t cur,
                       const char *from)
{
        if (!b->short_id)
                return;
        struct cc_push_event ev = { .status = st, .layer = b->short_id, .current = cur, .total = b->size,
                                    .from = from };
        emit(p, &ev);
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static json_object *read_json(struct cc_image_store *s, const char *digest, char **raw, size_t *len,
                              struct cc_error *err)
{
        if (cc_image_blob_read(s, digest, raw, len, err) < 0)
                return NULL;
        struct json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, *raw, (int) *len);
        json_tokener_free(tok);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                cc_error_set(err, -EINVAL, "blob %s is not a JSON object", digest);
                return NULL;
        }
        return o;
}

/* ---- where the blobs may be already ---- */

/* Repositories of the same registry that, as far as the store knows, hold
 * images with these blobs (layers and configs): those of the store's tags
 * on the registry. */
static void learn_other_repos(struct pusher *p)
{
        struct cc_strv ids = {0};
        cc_image_ids(p->s, &ids);
        for (size_t i = 0; i < ids.n; i++) {
                struct cc_strv tags = {0};
                cc_image_tags_of(p->s, ids.v[i], &tags);
                const char *mdigest = cc_image_manifest_digest(p->s, ids.v[i]);
                json_object *man = NULL;
                for (size_t t = 0; t < tags.n && mdigest; t++) {
                        struct cc_registry_ref r;
                        struct cc_error e = {0};
                        if (cc_registry_ref_parse(tags.v[t], &r, &e) < 0) {
                                cc_error_clear(&e);
                                continue;
                        }
                        bool other = strcmp(r.registry, p->ref.registry) == 0 &&
                                     strcmp(r.repository, p->ref.repository) != 0 &&
                                     !cc_strv_contains(&p->other_repos, r.repository);
                        char *raw = NULL;
                        size_t len;
                        if (other && !man)
                                man = read_json(p->s, mdigest, &raw, &len, &e);
                        free(raw);
                        cc_error_clear(&e);
                        json_object *layers, *cfgd;
                        if (other && man && json_object_object_get_ex(man, "layers", &layers) &&
                            json_object_is_type(layers, json_type_array)) {
                                cc_strv_push(&p->other_repos, r.repository);
                                size_t nl = json_object_array_length(layers);
                                for (size_t l = 0; l <= nl; l++) {
                                        const char *d = l < nl ? jstr(json_object_array_get_idx(layers, l), "digest")
                                                        : json_object_object_get_ex(man, "config", &cfgd)
                                                                ? jstr(cfgd, "digest")
                                                                : NULL;
                                        if (d)
                                                cc_strv_push_owned(&p->other_blobs,
                                                                   cc_xasprintf("%zu %s", p->other_repos.n - 1, d));
                                }
                        }
                        cc_registry_ref_free(&r);
                }
                json_object_put(man);
                cc_strv_free(&tags);
        }
        cc_strv_free(&ids);
}

static const char *mount_source(struct pusher *p, const char *digest)
{
        for (size_t i = 0; i < p->other_blobs.n; i++) {
                char *sp = strchr(p->other_blobs.v[i], ' ');
                if (sp && strcmp(sp + 1, digest) == 0)
                        return p->other_repos.v[strtoul(p->other_blobs.v[i], NULL, 10)];
        }
        return NULL;
}

/* ---- blobs ---- */

/* 1: the registry has the blob in this repository, 0: not. */
static int head_blob(struct pusher *p, const char *digest)
{
        struct cc_reg_xfer x;
        _cleanup_free_ char *path = cc_xasprintf("/v2/%s/blobs/%s", p->ref.repository, digest);
        cc_reg_xfer_init(&x, path, -1);
        x.head = true;
        struct cc_reg_xfer *xs[] = { &x };
        int r = cc_reg_fetch(p->c, xs, 1, p->err);
        if (r < 0 && x.fail == CC_REG_NOT_FOUND) {
                cc_error_clear(p->err);
                r = 0;
        } else if (r == 0) {
                r = 1;
        }
        cc_reg_xfer_free(&x);
        return r;
}

/* POST to start an upload, with a mount request when from is set. 1: the
 * registry mounted the blob; 0: *location is where to upload. */
static int start_upload(struct pusher *p, const char *digest, const char *from, char **location)
{
        struct cc_reg_xfer x;
        _cleanup_free_ char *path = from ? cc_xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", p->ref.repository,
                                                        digest, from)
                                         : cc_xasprintf("/v2/%s/blobs/uploads/", p->ref.repository);
        cc_reg_xfer_init(&x, path, -1);
        x.method = "POST";
        struct cc_reg_xfer *xs[] = { &x };
        int r = cc_reg_fetch(p->c, xs, 1, p->err);
        if (r == 0 && x.status == 201 && from) {
                r = 1;
        } else if (r == 0 && x.status != 202) {
                r = cc_error_set(p->err, -EPROTO, "starting an upload: the registry answered HTTP %ld, not 202",
                                 x.status);
        } else if (r == 0 && !x.location) {
                r = cc_error_set(p->err, -EPROTO, "starting an upload: the registry gave no Location");
        } else if (r == 0) {
                *location = cc_steal(&x.location);
        }
        cc_reg_xfer_free(&x);
        return r;
}

/* A blob going up: where its upload continues and how far it is. */
struct upload {
        struct blob b;
        char *location;
        uint64_t off;       /* bytes the registry has */
        bool last;          /* the request out is the closing PUT */
        bool done;
        char range[64];
        char *query;
        struct cc_reg_xfer x;
};

/* u's next request: the whole blob in one PUT (with the digest); else the
 * next chunk in a PATCH (Content-Range), then, all sent, an empty PUT. */
static int upload_next(struct pusher *p, struct upload *u)
{
        bool whole = u->b.size <= p->chunk;
        u->last = whole || u->off >= u->b.size;
        uint64_t len = whole ? u->b.size : u->last ? 0 : u->b.size - u->off < p->chunk ? u->b.size - u->off : p->chunk;
        cc_reg_xfer_init(&u->x, "", -1);
        u->x.method = u->last ? "PUT" : "PATCH";
        u->x.send_mem = u->b.mem ? (const char *) u->b.mem + u->off : NULL;
        u->x.send_fd = u->b.mem ? -1 : u->b.fd;
        u->x.send_off = u->off;
        u->x.send_len = len;
        if (!u->last) {
                snprintf(u->range, sizeof(u->range), "%llu-%llu", (unsigned long long) u->off,
                         (unsigned long long) (u->off + len - 1));
                u->x.send_range = u->range;
        }
        free(u->query);
        u->query = u->last ? cc_xasprintf("digest=%s", u->b.digest) : NULL;
        return cc_reg_xfer_set_location(p->c, &u->x, u->location, u->query, p->err);
}

/* Check the registry's answer to u's request and move u on. */
static int upload_answer(struct pusher *p, struct upload *u)
{
        struct cc_reg_xfer *x = &u->x;
        long want = u->last ? 201 : 202;
        if (x->status != want)
                return cc_error_set(p->err, -EPROTO, "%s of the upload: the registry answered HTTP %ld, not %ld",
                                    x->method, x->status, want);
        if (u->last) {
                if (x->docker_digest && strcmp(x->docker_digest, u->b.digest) != 0)
                        return cc_error_set(p->err, -EBADMSG, "the registry stored the blob as %s", x->docker_digest);
                u->done = true;
                emit_layer(p, &u->b, CC_PUSH_LAYER_PUSHED, u->b.size, NULL);
                return 0;
        }
        if (!x->location)
                return cc_error_set(p->err, -EPROTO, "%s of the upload: the registry gave no Location", x->method);
        free(u->location);
        u->location = cc_steal(&x->location);
        u->off += x->send_len;
        emit_layer(p, &u->b, CC_PUSH_LAYER_PUSHING, u->off, NULL);
        return 0;
}

/* Upload the blobs of us[0..n) together: each round sends the next
 * request of every upload at once (the client runs several at a time).
 * Each request's transfer is freed in its round. */
static int upload_all(struct pusher *p, struct upload *us, size_t n)
{
        struct cc_reg_xfer **xs = cc_xcalloc(n + 1, sizeof(*xs));
        size_t *which = cc_xcalloc(n + 1, sizeof(*which));
        int r = 0;
        while (r == 0) {
                size_t k = 0;
                for (size_t i = 0; i < n && r == 0; i++) {
                        if (us[i].done)
                                continue;
                        r = upload_next(p, &us[i]);
                        xs[k] = &us[i].x;
                        which[k++] = i;
                }
                if (r == 0 && k == 0)
                        break;
                if (r == 0)
                        r = cc_reg_fetch(p->c, xs, k, p->err);
                for (size_t j = 0; j < k; j++) {
                        struct upload *u = &us[which[j]];
                        if (r < 0 && u->x.fail != CC_REG_OK)
                                cc_error_prefix(p->err, "%s %s", u->b.short_id ? "layer" : "config", u->b.digest);
                        else if (r == 0 && (r = upload_answer(p, u)) < 0)
                                cc_error_prefix(p->err, "%s %s", u->b.short_id ? "layer" : "config", u->b.digest);
                        cc_reg_xfer_free(&u->x);
                }
        }
        free(xs);
        free(which);
        return r;
}

/* What b needs: 0 nothing (the registry has it, or mounted it now), 1 an
 * upload at *location. */
static int prepare_blob(struct pusher *p, const struct blob *b, char **location)
{
        int r = head_blob(p, b->digest);
        if (r < 0)
                return r;
        if (r > 0) {
                emit_layer(p, b, CC_PUSH_LAYER_EXISTS, 0, NULL);
                return 0;
        }
        const char *from = mount_source(p, b->digest);
        if (from) {
                r = start_upload(p, b->digest, from, location);
                if (r > 0) {
                        emit_layer(p, b, CC_PUSH_LAYER_MOUNTED, 0, from);
                        return 0;
                }
                /* Not mounted (refused, say, for want of pull access to from):
                 * upload it; an unreachable registry fails again below. */
                if (r < 0)
                        cc_error_clear(p->err);
        }
        if (!*location && (r = start_upload(p, b->digest, NULL, location)) < 0)
                return r;
        emit_layer(p, b, CC_PUSH_LAYER_PUSHING, 0, NULL);
        return 1;
}

static void uploads_free(struct upload *us, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (us[i].b.fd >= 0)
                        close(us[i].b.fd);
                free(us[i].location);
                free(us[i].query);
        }
        free(us);
}

/* The blobs of the layers the registry lacks go up together, after the
 * checks and mounts (one by one: cheap requests). */
static int push_layers(struct pusher *p, json_object *man, json_object *cfg)
{
        json_object *layers, *rootfs, *diffs = NULL;
        if (!json_object_object_get_ex(man, "layers", &layers) || !json_object_is_type(layers, json_type_array))
                return cc_error_set(p->err, -EINVAL, "the image's manifest lists no layers");
        if (json_object_object_get_ex(cfg, "rootfs", &rootfs))
                json_object_object_get_ex(rootfs, "diff_ids", &diffs);
        size_t n = json_object_array_length(layers), nup = 0;
        char (*ids)[13] = cc_xcalloc(n + 1, sizeof(*ids));
        struct upload *us = cc_xcalloc(n + 1, sizeof(*us));
        for (size_t i = 0; i < n; i++) {
                const char *diff = diffs ? json_object_get_string(json_object_array_get_idx(diffs, i)) : NULL;
                const char *d = jstr(json_object_array_get_idx(layers, i), "digest");
                snprintf(ids[i], sizeof(ids[i]), "%.12s", cc_digest_valid(diff) ? cc_digest_hex(diff)
                                                          : cc_digest_valid(d) ? cc_digest_hex(d) : "");
        }
        /* docker push lists the top layer first. */
        for (size_t i = n; i-- > 0;) {
                struct blob b = { .short_id = ids[i] };
                emit_layer(p, &b, CC_PUSH_LAYER_PREPARING, 0, NULL);
        }
        int r = 0;
        for (size_t i = n; i-- > 0 && r == 0;) {
                json_object *d = json_object_array_get_idx(layers, i);
                const char *digest = jstr(d, "digest");
                if (!cc_digest_valid(digest)) {
                        r = cc_error_set(p->err, -EINVAL, "layer %zu: invalid digest \"%s\"", i + 1,
                                         digest ? digest : "");
                        break;
                }
                bool again = false;
                for (size_t j = i + 1; j < n && !again; j++)
                        again = cc_streq(jstr(json_object_array_get_idx(layers, j), "digest"), digest);
                if (again)
                        continue;
                _cleanup_free_ char *path = cc_image_blob_path(p->s, digest);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        r = cc_error_setsys(p->err, -errno, "layer %s: its blob is not in the store (%s)", digest,
                                            path);
                        break;
                }
                struct upload *u = &us[nup];
                u->b = (struct blob){ .digest = digest, .size = (uint64_t) st.st_size, .fd = fd, .short_id = ids[i] };
                r = prepare_blob(p, &u->b, &u->location);
                if (r < 0) {
                        cc_error_prefix(p->err, "layer %s", digest);
                } else if (r > 0) {
                        u->b.fd = cc_steal_fd(&fd);
                        nup++;
                        r = 0;
                } else {
                        free(u->location);
                        u->location = NULL;
                }
        }
        for (size_t i = nup; i <= n; i++)
                us[i].b.fd = -1;
        if (r == 0)
                r = upload_all(p, us, nup);
        uploads_free(us, n + 1);
        free(ids);
        return r;
}

static int push_config(struct pusher *p, const char *id, const char *raw, size_t len)
{
        struct upload u = { .b = { .digest = id, .size = len, .mem = raw, .fd = -1 } };
        int r = prepare_blob(p, &u.b, &u.location);
        if (r < 0)
                cc_error_prefix(p->err, "config %s", id);
        else if (r > 0)
                r = upload_all(p, &u, 1);
        free(u.location);
        free(u.query);
        return r;
}

/* ---- the image ---- */

static const char *manifest_type(json_object *man)
{
        const char *mt = jstr(man, "mediaType");
        if (mt)
                return mt;
        json_object *cfgd;
        if (json_object_object_get_ex(man, "config", &cfgd) && cc_streq(jstr(cfgd, "mediaType"), MT_DOCKER_CONFIG))
                return MT_DOCKER_MANIFEST;
        return MT_OCI_MANIFEST;
}

static int put_manifest(struct pusher *p, const char *raw, size_t len, const char *digest, const char *type,
                        struct cc_push_result *res)
{
        struct cc_reg_xfer x;
        _cleanup_free_ char *path = cc_xasprintf("/v2/%s/manifests/%s", p->ref.repository, p->ref.tag);
        cc_reg_xfer_init(&x, path, -1);
        x.method = "PUT";
        x.send_type = type;
        x.send_mem = raw;
        x.send_len = len;
        struct cc_reg_xfer *xs[] = { &x };
        int r = cc_reg_fetch(p->c, xs, 1, p->err);
        if (r < 0)
                cc_error_prefix(p->err, "manifest");
        else if (x.docker_digest && strcmp(x.docker_digest, digest) != 0)
                r = cc_error_set(p->err, -EBADMSG, "manifest: the registry stored it as %s, not %s",
                                 x.docker_digest, digest);
        if (r == 0) {
                strcpy(res->digest, digest);
                res->size = len;
        }
        cc_reg_xfer_free(&x);
        return r;
}

static uint64_t chunk_size(const struct cc_push_options *o)
{
        if (o->chunk_size)
                return o->chunk_size;
        const char *env = getenv("CCOMPOSE_PUSH_CHUNK_SIZE");
        char *end;
        unsigned long long v = env && *env ? strtoull(env, &end, 10) : 0;
        return env && *env && *end == '\0' && v > 0 ? v : DEFAULT_CHUNK;
}

static int push(struct pusher *p, struct cc_push_result *res)
{
        if (!p->ref.tag || p->ref.digest)
                return cc_error_set(p->err, -EINVAL, "a reference with a digest cannot be pushed: name a tag");
        _cleanup_free_ char *id = NULL;
        int r = cc_image_index_load(p->s, p->err);
        if (r == 0 && cc_image_resolve(p->s, p->ref.norm, &id, NULL, NULL) < 0) {
                _cleanup_free_ char *name = cc_image_ref_familiar(p->ref.norm);
                return cc_error_set(p->err, -ENOENT, "An image does not exist locally with the tag: %s", name);
        }
        const char *mdigest = r == 0 ? cc_image_manifest_digest(p->s, id) : NULL;
        if (r == 0 && !mdigest)
                return cc_error_set(p->err, -ENOENT, "image %s has no manifest in the store", id);
        if (r < 0)
                return r;
        _cleanup_free_ char *raw = NULL, *cfg_raw = NULL;
        size_t len = 0, cfg_len = 0;
        json_object *man = read_json(p->s, mdigest, &raw, &len, p->err), *cfg = NULL;
        if (!man)
                return cc_error_prefix(p->err, "manifest %s", mdigest);
        if (!(cfg = read_json(p->s, id, &cfg_raw, &cfg_len, p->err))) {
                json_object_put(man);
                return cc_error_prefix(p->err, "config %s", id);
        }
        learn_other_repos(p);
        struct cc_push_event start = { .status = CC_PUSH_START };
        _cleanup_free_ char *repo = cc_xasprintf("%s/%s", p->ref.domain, p->ref.repository);
        start.repository = repo;
        emit(p, &start);
        r = cc_reg_client_open(p->ref.domain, p->ref.repository, &p->c, p->err);
        if (r == 0) {
                cc_reg_client_want_push(p->c);
                r = cc_reg_client_load_credentials(p->c, p->err);
        }
        if (r == 0)
                r = cc_reg_ping(p->c, p->err);
        if (r == 0)
                r = push_layers(p, man, cfg);
        if (r == 0)
                r = push_config(p, id, cfg_raw, cfg_len);
        if (r == 0)
                r = put_manifest(p, raw, len, mdigest, manifest_type(man), res);
        if (r == 0) {
                struct cc_push_event done = { .status = CC_PUSH_DONE, .tag = p->ref.tag, .digest = res->digest,
                                              .size = res->size };
                emit(p, &done);
        }
        json_object_put(man);
        json_object_put(cfg);
        return r;
}

int cc_image_push(struct cc_image_store *s, const struct cc_push_options *o, struct cc_push_result *res,
                  struct cc_error *err)
{
        memset(res, 0, sizeof(*res));
        struct pusher p = { .s = s, .o = o, .err = err, .chunk = chunk_size(o) };
        int r = cc_registry_ref_parse(o->ref, &p.ref, err);
        if (r < 0)
                return r;
        struct cc_reg_sigpipe sp;
        cc_reg_sigpipe_block(&sp);
        r = push(&p, res);
        if (r < 0) {
                _cleanup_free_ char *name = cc_image_ref_familiar(p.ref.norm);
                cc_error_prefix(err, "push %s", name);
        }
        cc_reg_sigpipe_restore(&sp);
        cc_reg_client_close(p.c);
        cc_registry_ref_free(&p.ref);
        cc_strv_free(&p.other_repos);
        cc_strv_free(&p.other_blobs);
        return r;
}

/* ---- display ---- */

void cc_push_display_event(const struct cc_push_event *ev, void *display)
{
        struct cc_push_display *d = display;
        static const char *const text[] = {
                [CC_PUSH_LAYER_PREPARING] = "Preparing", [CC_PUSH_LAYER_PUSHING] = "Pushing",
                [CC_PUSH_LAYER_EXISTS] = "Layer already exists", [CC_PUSH_LAYER_MOUNTED] = "Mounted from",
                [CC_PUSH_LAYER_PUSHED] = "Pushed",
        };
        switch (ev->status) {
        case CC_PUSH_START:
                if (!d->prefix && !d->said_repository)
                        fprintf(d->out, "The push refers to repository [%s]\n", ev->repository);
                d->said_repository = true;
                break;
        case CC_PUSH_LAYER_PUSHING:
                if (ev->current > 0) /* one line per layer, not per chunk */
                        break;
                /* fall through */
        case CC_PUSH_LAYER_PREPARING:
        case CC_PUSH_LAYER_EXISTS:
        case CC_PUSH_LAYER_MOUNTED:
        case CC_PUSH_LAYER_PUSHED:
                if (d->prefix)
                        fprintf(d->out, "Pushing %s: %s %s%s%s\n", d->prefix, ev->layer, text[ev->status],
                                ev->from ? " " : "", ev->from ? ev->from : "");
                else
                        fprintf(d->out, "%s: %s%s%s\n", ev->layer, text[ev->status], ev->from ? " " : "",
                                ev->from ? ev->from : "");
                break;
        case CC_PUSH_DONE:
                if (!d->prefix)
                        fprintf(d->out, "%s: digest: %s size: %llu\n", ev->tag, ev->digest,
                                (unsigned long long) ev->size);
                break;
        }
        fflush(d->out);
}
