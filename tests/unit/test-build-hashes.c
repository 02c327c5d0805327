/* The digests of context files kept by their stat (build-hashes.c): a
 * kept digest stands for a file only while its stat is the recorded one,
 * files changed just before the build are not kept, and a kept file that
 * is torn or not ours is not used. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "build-copy.h"
#include "build-hashes.h"
#include "tap.h"

static void put(const char *dir, const char *rel, const char *data)
{
        _cleanup_free_ char *p = cc_path_join(dir, rel);
        if (cc_write_file_atomic(p, data, strlen(data), 0644) < 0)
                tap_fail(__FILE__, __LINE__, "write %s", p);
}

/* rel's data replaced in place (the same inode) */
static void overwrite(const char *dir, const char *rel, const char *data)
{
        _cleanup_free_ char *p = cc_path_join(dir, rel);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t) strlen(data))
                tap_fail(__FILE__, __LINE__, "overwrite %s", p);
}

static void stat_of(const char *dir, const char *rel, struct stat *st)
{
        _cleanup_free_ char *p = cc_path_join(dir, rel);
        if (lstat(p, st) < 0)
                tap_fail(__FILE__, __LINE__, "stat %s", p);
}

/* COPY rel / from ctx, hash only, with h (NULL: none): the key digest */
static void hash_copy(const char *ctx, const char *rel, struct cc_file_hashes *h, char *digest)
{
        struct cc_strv sv = {0};
        cc_strv_push(&sv, rel);
        int fd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct cc_build_copy c = {.srcfd = fd, .srcs = &sv, .dest = "/", .hashes = h};
        struct cc_error err = {0};
        if (cc_build_copy_run(&c, -1, digest, &err) < 0)
                tap_fail(__FILE__, __LINE__, "copy: %s", cc_error_msg(&err));
        close(fd);
        cc_strv_free(&sv);
}

static const char FAKE[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

TEST(kept_digest_stands_for_the_same_stat_only)
{
        _cleanup_free_ char *dir = tap_tmpdir("build-hashes");
        _cleanup_free_ char *path = cc_path_join(dir, "kept/hashes");
        put(dir, "f", "one\n");
        /* a build that began 10 s from now: f counts as old enough */
        struct cc_file_hashes h;
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT_INTEQ(h.n, 0);
        char real[CC_DIGEST_LEN + 1], again[CC_DIGEST_LEN + 1];
        hash_copy(dir, "f", &h, real);
        ASSERT_INTEQ(h.n, 1);
        ASSERT(h.dirty);
        struct stat st;
        stat_of(dir, "f", &st);
        ASSERT(cc_file_hashes_get(&h, "f", &st) != NULL);
        /* what is kept is used: a digest put in its place changes the key */
        cc_file_hashes_put(&h, "f", &st, FAKE);
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_file_hashes_save(&h, &err), 0);
        ASSERT(!h.dirty);
        cc_file_hashes_free(&h);
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT_INTEQ(h.n, 1);
        ASSERT_STREQ(cc_file_hashes_get(&h, "f", &st), FAKE);
        hash_copy(dir, "f", &h, again);
        ASSERT(!cc_streq(again, real));
        /* the same size and mtime after a change: the ctime moved, the
         * data is read again (and the true digest kept) */
        overwrite(dir, "f", "two\n");
        _cleanup_free_ char *p = cc_path_join(dir, "f");
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        ASSERT_INTEQ(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
        struct stat now;
        stat_of(dir, "f", &now);
        ASSERT_INTEQ(now.st_size, st.st_size);
        ASSERT_INTEQ(now.st_ino, st.st_ino);
        ASSERT_INTEQ(now.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
        ASSERT(cc_file_hashes_get(&h, "f", &now) == NULL);
        char two[CC_DIGEST_LEN + 1], plain[CC_DIGEST_LEN + 1];
        hash_copy(dir, "f", &h, two);
        hash_copy(dir, "f", NULL, plain);
        ASSERT_STREQ(two, plain);
        ASSERT(!cc_streq(two, real));
        ASSERT(!cc_streq(cc_file_hashes_get(&h, "f", &now), FAKE));
        /* a mode change is a change too */
        ASSERT_INTEQ(chmod(p, 0600), 0);
        stat_of(dir, "f", &now);
        ASSERT(cc_file_hashes_get(&h, "f", &now) == NULL);
        cc_file_hashes_free(&h);
        cc_rm_rf(dir);
}

TEST(recently_changed_files_are_not_kept)
{
        _cleanup_free_ char *dir = tap_tmpdir("build-hashes");
        _cleanup_free_ char *path = cc_path_join(dir, "hashes");
        put(dir, "f", "fresh\n");
        struct cc_file_hashes h;
        cc_file_hashes_load(&h, path, time(NULL));
        char d[CC_DIGEST_LEN + 1];
        hash_copy(dir, "f", &h, d);
        ASSERT_INTEQ(h.n, 1); /* for this build only */
        ASSERT(!h.v[0].keep);
        ASSERT(!h.dirty);
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_file_hashes_save(&h, &err), 0);
        ASSERT_INTEQ(access(path, F_OK), -1); /* nothing to write */
        cc_file_hashes_free(&h);
        cc_rm_rf(dir);
}

TEST(torn_or_foreign_records_are_not_used)
{
        _cleanup_free_ char *dir = tap_tmpdir("build-hashes");
        _cleanup_free_ char *path = cc_path_join(dir, "hashes");
        put(dir, "f", "data\n");
        put(dir, "g", "more\n");
        struct cc_file_hashes h;
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        char d[CC_DIGEST_LEN + 1];
        hash_copy(dir, "f", &h, d);
        hash_copy(dir, "g", &h, d);
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_file_hashes_save(&h, &err), 0);
        cc_file_hashes_free(&h);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        ASSERT_INTEQ(cc_read_file(path, &data, &len), 0);
        ASSERT(cc_startswith(data, "ccompose-file-hashes 1 sha256:"));
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT_INTEQ(h.n, 2);
        cc_file_hashes_free(&h);
        /* cut short */
        ASSERT_INTEQ(truncate(path, (off_t) len - 10), 0);
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT_INTEQ(h.n, 0);
        cc_file_hashes_free(&h);
        /* one byte of a record changed */
        data[len - 3] ^= 1;
        ASSERT_INTEQ(cc_write_file_atomic(path, data, len, 0600), 0);
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT_INTEQ(h.n, 0);
        cc_file_hashes_free(&h);
        /* not a record file at all */
        put(dir, "hashes", "hello\n");
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT_INTEQ(h.n, 0);
        cc_file_hashes_free(&h);
        cc_rm_rf(dir);
}

TEST(many_files_and_odd_names)
{
        _cleanup_free_ char *dir = tap_tmpdir("build-hashes");
        _cleanup_free_ char *path = cc_path_join(dir, "hashes");
        struct cc_file_hashes h;
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        struct stat st;
        put(dir, "f", "x");
        stat_of(dir, "f", &st);
        char name[64];
        for (int i = 0; i < 5000; i++) {
                snprintf(name, sizeof(name), "dir %d/file name %d", i % 7, i);
                cc_file_hashes_put(&h, name, &st, FAKE);
        }
        cc_file_hashes_put(&h, "new\nline", &st, FAKE); /* not kept: a record is a line */
        ASSERT_INTEQ(h.n, 5001);
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_file_hashes_save(&h, &err), 0);
        cc_file_hashes_free(&h);
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT_INTEQ(h.n, 5000);
        ASSERT_STREQ(cc_file_hashes_get(&h, "dir 1/file name 4999", &st), FAKE);
        ASSERT(cc_file_hashes_get(&h, "dir 3/file name 5000", &st) == NULL);
        cc_file_hashes_free(&h);
        cc_rm_rf(dir);
}

static const char CHAIN[] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/* COPY src/ /s/ from ctx into the directory stage (its previous tree:
 * prev, chain CHAIN, or none), with h; what was staged into out. */
static void stage_copy(const char *ctx, const char *stage, const char *prev, struct cc_file_hashes *h,
                       struct cc_strv *out)
{
        struct cc_strv sv = {0};
        cc_strv_push(&sv, "src");
        int fd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int pfd = prev ? open(prev, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        struct cc_build_copy c = {.srcfd = fd, .srcs = &sv, .dest = "/s/", .hashes = h, .prevfd = pfd,
                                  .prev_chain = prev ? CHAIN : NULL, .staged = out};
        char d[CC_DIGEST_LEN + 1];
        struct cc_error err = {0};
        if (cc_build_copy_run(&c, sfd, d, &err) < 0)
                tap_fail(__FILE__, __LINE__, "copy: %s", cc_error_msg(&err));
        close(fd);
        close(sfd);
        if (pfd >= 0)
                close(pfd);
        cc_strv_free(&sv);
}

static bool same_inode(const char *a, const char *b, const char *rel)
{
        struct stat sa, sb;
        stat_of(a, rel, &sa);
        stat_of(b, rel, &sb);
        return sa.st_ino == sb.st_ino;
}

TEST(trees_digests_decide_what_is_linked)
{
        _cleanup_free_ char *dir = tap_tmpdir("build-hashes");
        _cleanup_free_ char *path = cc_path_join(dir, "hashes");
        _cleanup_free_ char *ctx = cc_path_join(dir, "ctx"), *s1 = cc_path_join(dir, "s1");
        _cleanup_free_ char *s2 = cc_path_join(dir, "s2"), *s3 = cc_path_join(dir, "s3");
        _cleanup_free_ char *src = cc_path_join(ctx, "src");
        cc_mkdir_p(src, 0755);
        cc_mkdir_p(s1, 0755);
        cc_mkdir_p(s2, 0755);
        cc_mkdir_p(s3, 0755);
        put(src, "a", "alpha\n");
        put(src, "b", "beta\n");
        struct cc_file_hashes h;
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        struct cc_strv got = {0};
        stage_copy(ctx, s1, NULL, &h, &got);
        ASSERT_INTEQ(got.n, 2);
        char da[CC_DIGEST_LEN + 1];
        cc_sha256_digest("alpha\n", 6, da);
        _cleanup_free_ char *line = cc_xasprintf("%s /s/a", da);
        ASSERT_STREQ(got.v[0], line);
        cc_file_hashes_put_tree(&h, CHAIN, &got);
        ASSERT_STREQ(cc_file_hashes_get_tree(&h, CHAIN, "/s/a"), da);
        ASSERT(cc_file_hashes_get_tree(&h, CHAIN, "/s/c") == NULL);
        /* the same data: linked from the previous tree */
        struct cc_strv again = {0};
        stage_copy(ctx, s2, s1, &h, &again);
        ASSERT(same_inode(s1, s2, "s/a"));
        ASSERT(same_inode(s1, s2, "s/b"));
        ASSERT_INTEQ(again.n, 2);
        /* the tree's recorded digest is what counts: one that differs from
         * the source's keeps the file from being linked */
        struct cc_strv fake = {0};
        cc_strv_push_owned(&fake, cc_xasprintf("%s /s/b", FAKE));
        cc_file_hashes_put_tree(&h, CHAIN, &fake);
        struct cc_strv third = {0};
        stage_copy(ctx, s3, s1, &h, &third);
        ASSERT(same_inode(s1, s3, "s/a"));
        ASSERT(!same_inode(s1, s3, "s/b"));
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_file_hashes_save(&h, &err), 0);
        cc_file_hashes_free(&h);
        /* kept; then dropped by a build that did not use them */
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT(cc_file_hashes_get_tree(&h, CHAIN, "/s/a") != NULL);
        cc_file_hashes_free(&h);
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        put(src, "c", "gamma\n");
        char d[CC_DIGEST_LEN + 1];
        hash_copy(ctx, "src/c", &h, d);
        ASSERT(h.dirty);
        ASSERT_INTEQ(cc_file_hashes_save(&h, &err), 0);
        cc_file_hashes_free(&h);
        cc_file_hashes_load(&h, path, time(NULL) + 10);
        ASSERT(cc_file_hashes_get_tree(&h, CHAIN, "/s/a") == NULL);
        struct stat st;
        stat_of(src, "c", &st);
        ASSERT(cc_file_hashes_get(&h, "src/c", &st) != NULL);
        cc_file_hashes_free(&h);
        cc_strv_free(&got);
        cc_strv_free(&again);
        cc_strv_free(&fake);
        cc_strv_free(&third);
        cc_rm_rf(dir);
}
