/* A built stage -> an image in the store. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "build-commit.h"
#include "layer.h"

/* The base image's config (parsed) and its layer blob digests. */
static int base_layers(struct cc_image_store *s, const char *id, json_object **cfg, struct cc_strv *blobs,
                       struct cc_error *err)
{
        int r = cc_image_config(s, id, cfg, err);
        if (r < 0)
                return r;
        const char *md = cc_image_manifest_digest(s, id);
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (!md || (r = cc_image_blob_read(s, md, &data, &len, err)) < 0)
                return md ? r : cc_error_set(err, -ENOENT, "image %s: no manifest", id);
        json_object *man = json_tokener_parse(data), *layers;
        if (man && json_object_object_get_ex(man, "layers", &layers) && json_object_is_type(layers, json_type_array))
                for (size_t i = 0; i < json_object_array_length(layers); i++) {
                        json_object *d;
                        if (json_object_object_get_ex(json_object_array_get_idx(layers, i), "digest", &d))
                                cc_strv_push(blobs, json_object_get_string(d));
                }
        json_object_put(man);
        return 0;
}

static int commit_tx(struct cc_image_store *s, const struct cc_build_commit *c, json_object *top,
                     struct cc_strv *blobs, char *id_out, struct cc_error *err)
{
        json_object *rootfs = cc_image_json_member(top, "rootfs", json_type_object);
        json_object_object_add(rootfs, "type", json_object_new_string("layers"));
        json_object *diffs = cc_image_json_member(rootfs, "diff_ids", json_type_array);
        json_object *hist = cc_image_json_member(top, "history", json_type_array);
        _cleanup_free_ char *now = c->created ? cc_xstrdup(c->created) : cc_image_now_rfc3339();
        for (size_t i = 0; i < c->n; i++) {
                json_object *h = json_object_new_object();
                json_object_object_add(h, "created", json_object_new_string(now));
                json_object_object_add(h, "created_by", json_object_new_string(c->steps[i].created_by));
                json_object_object_add(h, "comment", json_object_new_string("ccompose build"));
                if (c->steps[i].diff_id) {
                        cc_strv_push(blobs, c->steps[i].diff_id); /* uncompressed: the blob's digest */
                        json_object_array_add(diffs, json_object_new_string(c->steps[i].diff_id));
                } else {
                        json_object_object_add(h, "empty_layer", json_object_new_boolean(1));
                }
                json_object_array_add(hist, h);
        }
        json_object_object_add(top, "created", json_object_new_string(now));
        if (c->author)
                json_object_object_add(top, "author", json_object_new_string(c->author));
        json_object_object_add(top, "config", json_object_get(c->config));
        const char *text = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_close_ int bfd = open(s->blobs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct cc_ingest_layer *layers = cc_xcalloc(blobs->n ? blobs->n : 1, sizeof(*layers));
        for (size_t i = 0; i < blobs->n; i++)
                layers[i] = (struct cc_ingest_layer){.dirfd = bfd, .path = cc_digest_hex(blobs->v[i]),
                                                     .digest = blobs->v[i]};
        struct cc_ingest in = {.config = text, .config_len = strlen(text), .layers = layers, .nlayers = blobs->n};
        int r = cc_image_ingest(s, &in, id_out, err);
        free(layers);
        for (size_t i = 0; r == 0 && c->tags && i < c->tags->n; i++) {
                _cleanup_free_ char *norm = cc_image_ref_normalize(c->tags->v[i]);
                r = norm ? cc_image_tag_set(s, norm, id_out, err)
                         : cc_error_set(err, -EINVAL, "invalid reference format \"%s\"", c->tags->v[i]);
        }
        return r;
}

int cc_build_commit_in_tx(struct cc_image_store *s, const struct cc_build_commit *c, char *id_out,
                          struct cc_error *err)
{
        json_object *top = NULL;
        struct cc_strv blobs = {0};
        int r = 0;
        if (c->base_id) {
                r = base_layers(s, c->base_id, &top, &blobs, err);
        } else {
                struct utsname u;
                top = json_object_new_object();
                json_object_object_add(top, "architecture",
                                       json_object_new_string(uname(&u) == 0 && cc_streq(u.machine, "aarch64")
                                                                      ? "arm64"
                                                                      : "amd64"));
                json_object_object_add(top, "os", json_object_new_string("linux"));
        }
        if (r == 0)
                r = commit_tx(s, c, top, &blobs, id_out, err);
        json_object_put(top);
        cc_strv_free(&blobs);
        return r < 0 ? cc_error_prefix(err, "write the built image") : 0;
}

int cc_build_commit_image(struct cc_image_store *s, const struct cc_build_commit *c, char *id_out,
                          struct cc_error *err)
{
        int r = cc_image_tx_begin(s, err);
        if (r < 0)
                return cc_error_prefix(err, "write the built image");
        r = cc_build_commit_in_tx(s, c, id_out, err);
        if (r < 0)
                cc_image_tx_abort(s);
        else
                r = cc_image_tx_commit(s, err);
        return r;
}
