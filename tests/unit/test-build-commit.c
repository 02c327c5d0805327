/* A built stage -> an image: a step's tree becomes a layer in the store
 * (moved, not unpacked), the new layers stack on the base image's,
 * the config carries the steps' history and diff-ids, the tag points at
 * it, its layer trees are there for run/up, and a failing commit leaves
 * the store as it was. Root only (layer trees keep owners). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "build-commit.h"
#include "image.h"
#include "layer.h"
#include "tap.h"

static char *root;

static void put(const char *dir, const char *rel, const char *data)
{
        _cleanup_free_ char *p = cc_path_join(dir, rel);
        _cleanup_free_ char *parent = cc_xstrdup(p);
        *strrchr(parent, '/') = '\0';
        cc_mkdir_p(parent, 0755);
        if (cc_write_file_atomic(p, data, strlen(data), 0644) < 0)
                tap_fail(__FILE__, __LINE__, "write %s", p);
}

/* A store with base image ccbuild-base:1 (one layer: /etc/x). */
static struct cc_image_store *store_with_base(void)
{
        if (geteuid() != 0)
                tap_skip("needs root");
        root = tap_tmpdir("build-commit");
        _cleanup_free_ char *base = cc_path_join(root, "base"), *tar = cc_path_join(root, "base.tar");
        put(base, "etc/x", "x");
        int dfd = open(base, O_RDONLY | O_DIRECTORY), tfd = open(tar, O_CREAT | O_RDWR, 0600);
        struct cc_layer_info info;
        struct cc_error err = {0};
        if (cc_layer_write_dir(dfd, tfd, &info, &err) < 0)
                tap_fail(__FILE__, __LINE__, "%s", cc_error_msg(&err));
        close(dfd);
        close(tfd);
        struct cc_image_store *s;
        _cleanup_free_ char *sroot = cc_path_join(root, "store");
        if (cc_image_store_open(sroot, &s, &err) < 0)
                tap_fail(__FILE__, __LINE__, "%s", cc_error_msg(&err));
        struct cc_strv changes = {0};
        cc_strv_push(&changes, "ENV BASE=1");
        struct cc_import_options o = {.path = tar, .ref = "ccbuild-base:1", .changes = &changes};
        char id[CC_DIGEST_LEN + 1];
        if (cc_image_import(s, &o, id, &err) < 0)
                tap_fail(__FILE__, __LINE__, "%s", cc_error_msg(&err));
        cc_strv_free(&changes);
        return s;
}

TEST(stage_becomes_tagged_image)
{
        struct cc_image_store *s = store_with_base();
        struct cc_image *base;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_image_lookup(s, "ccbuild-base:1", &base, &err), 0);
        _cleanup_free_ char *step = cc_path_join(root, "step");
        put(step, "app/f", "built");
        /* the step's tree becomes a layer above the base's */
        char diff[CC_DIGEST_LEN + 1], chain[CC_DIGEST_LEN + 1], base_chain[CC_DIGEST_LEN + 1];
        json_object *bcfg, *brootfs, *bdiffs;
        ASSERT_INTEQ(cc_image_config(s, base->id, &bcfg, &err), 0);
        ASSERT(json_object_object_get_ex(bcfg, "rootfs", &brootfs) && json_object_object_get_ex(brootfs, "diff_ids", &bdiffs));
        cc_image_chain_id(NULL, json_object_get_string(json_object_array_get_idx(bdiffs, 0)), base_chain);
        json_object_put(bcfg);
        ASSERT_INTEQ(cc_image_tx_begin(s, &err), 0);
        if (cc_image_layer_from_dir(s, base_chain, step, diff, chain, &err) < 0)
                tap_fail(__FILE__, __LINE__, "%s", cc_error_msg(&err));
        ASSERT_INTEQ(cc_image_tx_commit(s, &err), 0);
        ASSERT(access(step, F_OK) < 0); /* moved, not copied */
        json_object *cfg = json_tokener_parse("{\"Env\":[\"BASE=1\",\"A=1\"],\"Cmd\":[\"cat\",\"/app/f\"]}");
        struct cc_build_step steps[] = {{"COPY f /app/f", diff}, {"ENV A=1", NULL}};
        struct cc_strv tags = {0};
        cc_strv_push(&tags, "ccbuild-out:1");
        struct cc_build_commit c = {.base_id = base->id, .config = cfg, .steps = steps, .n = 2, .tags = &tags};
        char id[CC_DIGEST_LEN + 1];
        if (cc_build_commit_image(s, &c, id, &err) < 0)
                tap_fail(__FILE__, __LINE__, "%s", cc_error_msg(&err));
        cc_image_index_load(s, &err);
        struct cc_image *img;
        ASSERT_INTEQ(cc_image_lookup(s, "ccbuild-out:1", &img, &err), 0);
        ASSERT_STREQ(img->id, id);
        ASSERT_INTEQ(img->layer_dirs.n, 2);
        ASSERT_STREQ(img->layer_dirs.v[0], base->layer_dirs.v[0]);
        _cleanup_free_ char *want = cc_image_layer_path(s, chain);
        ASSERT_STREQ(img->layer_dirs.v[1], want);
        _cleanup_free_ char *f = cc_path_join(img->layer_dirs.v[1], "app/f"), *data = NULL;
        size_t len;
        ASSERT_INTEQ(cc_read_file(f, &data, &len), 0);
        ASSERT_STREQ(data, "built");
        json_object *top, *v, *rootfs, *diffs, *hist;
        ASSERT_INTEQ(cc_image_config(s, id, &top, &err), 0);
        ASSERT(json_object_object_get_ex(top, "config", &v));
        ASSERT_STREQ(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
                     "{\"Env\":[\"BASE=1\",\"A=1\"],\"Cmd\":[\"cat\",\"\\/app\\/f\"]}");
        ASSERT(json_object_object_get_ex(top, "rootfs", &rootfs) && json_object_object_get_ex(rootfs, "diff_ids", &diffs));
        ASSERT_INTEQ(json_object_array_length(diffs), 2);
        ASSERT(json_object_object_get_ex(top, "history", &hist));
        ASSERT_INTEQ(json_object_array_length(hist), 3);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(json_object_array_get_idx(hist, 1), "created_by")),
                     "COPY f /app/f");
        ASSERT(json_object_get_boolean(json_object_object_get(json_object_array_get_idx(hist, 2), "empty_layer")));
        json_object_put(top);
        json_object_put(cfg);
        cc_strv_free(&tags);
        cc_image_free(img);
        cc_image_free(base);
        cc_image_store_close(s);
        cc_rm_rf(root);
}

TEST(failed_commit_leaves_store_unchanged)
{
        struct cc_image_store *s = store_with_base();
        struct cc_strv before = {0}, after = {0};
        cc_image_ids(s, &before);
        json_object *cfg = json_object_new_object();
        /* a layer the store does not have */
        struct cc_build_step steps[] = {{"RUN x", "sha256:0000000000000000000000000000000000000000000000000000000000000000"}};
        struct cc_strv tags = {0};
        cc_strv_push(&tags, "ccbuild-bad:1");
        struct cc_build_commit c = {.config = cfg, .steps = steps, .n = 1, .tags = &tags};
        char id[CC_DIGEST_LEN + 1];
        struct cc_error err = {0};
        ASSERT(cc_build_commit_image(s, &c, id, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "write the built image: ");
        cc_image_index_load(s, &err);
        cc_image_ids(s, &after);
        ASSERT_INTEQ(after.n, before.n);
        struct cc_image *img;
        ASSERT_INTEQ(cc_image_lookup(s, "ccbuild-bad:1", &img, &err), -ENOENT);
        cc_error_clear(&err);
        json_object_put(cfg);
        cc_strv_free(&tags);
        cc_strv_free(&before);
        cc_strv_free(&after);
        cc_image_store_close(s);
        cc_rm_rf(root);
}
