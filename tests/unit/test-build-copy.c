/* COPY from a build context: the staged tree (what the layer will hold),
 * .dockerignore, globs, directories, errors, and the content hash that
 * the cache keys on (data and modes count, mtimes do not). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "build-copy.h"
#include "image-digest.h"
#include "tap.h"

static void put(const char *dir, const char *rel, const char *data)
{
        _cleanup_free_ char *p = cc_path_join(dir, rel);
        _cleanup_free_ char *parent = cc_xstrdup(p);
        *strrchr(parent, '/') = '\0';
        cc_mkdir_p(parent, 0755);
        if (cc_write_file_atomic(p, data, strlen(data), 0644) < 0)
                tap_fail(__FILE__, __LINE__, "write %s", p);
}

static char *tmpdir(void)
{
        return tap_tmpdir("build-copy");
}

static char *context(void)
{
        char *ctx = tmpdir();
        put(ctx, "a.txt", "A");
        put(ctx, "src/main.c", "int main;");
        put(ctx, "src/skip.log", "log");
        put(ctx, "node_modules/x.js", "x");
        _cleanup_free_ char *l = cc_path_join(ctx, "link");
        if (symlink("a.txt", l) < 0)
                tap_fail(__FILE__, __LINE__, "symlink");
        return ctx;
}

/* Run COPY srcs ("a b" split at spaces) dest; returns the digest, or the
 * error text as "error: ...". stage < 0: hash only. */
static char *copy(const char *ctx, const char *srcs, const char *dest, const char *ignore, int stage)
{
        struct cc_strv sv = {0};
        _cleanup_free_ char *s = cc_xstrdup(srcs);
        for (char *save = NULL, *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save))
                cc_strv_push(&sv, t);
        struct cc_dockerignore di = {0};
        struct cc_error err = {0};
        if (ignore && cc_dockerignore_parse(ignore, ".dockerignore", &di, &err) < 0)
                tap_fail(__FILE__, __LINE__, "ignore: %s", cc_error_msg(&err));
        int fd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct cc_build_copy c = {.srcfd = fd, .srcs = &sv, .dest = dest, .ignore = &di};
        char digest[CC_DIGEST_LEN + 1];
        char *out = cc_build_copy_run(&c, stage, digest, &err) < 0 ? cc_xasprintf("error: %s", cc_error_msg(&err))
                                                                   : cc_xstrdup(digest);
        close(fd);
        cc_error_clear(&err);
        cc_dockerignore_free(&di);
        cc_strv_free(&sv);
        return out;
}

static void has(const char *stage, const char *rel, const char *want)
{
        _cleanup_free_ char *p = cc_path_join(stage, rel), *data = NULL;
        size_t len;
        if (cc_read_file(p, &data, &len) < 0)
                tap_fail(__FILE__, __LINE__, "%s: not staged", rel);
        ASSERT_STREQ(data, want);
}

static bool exists(const char *stage, const char *rel)
{
        _cleanup_free_ char *p = cc_path_join(stage, rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

TEST(context_into_directory_with_ignore)
{
        char *ctx = context(), *stage = tmpdir();
        int sfd = open(stage, O_RDONLY | O_DIRECTORY);
        free(copy(ctx, ".", "/app/", "*.log\n**/*.log\nnode_modules\n", sfd));
        has(stage, "app/a.txt", "A");
        has(stage, "app/src/main.c", "int main;");
        ASSERT(!exists(stage, "app/src/skip.log"));
        ASSERT(!exists(stage, "app/node_modules"));
        char target[64] = {0};
        _cleanup_free_ char *l = cc_path_join(stage, "app/link");
        ASSERT_INTEQ(readlink(l, target, sizeof(target) - 1), 5);
        ASSERT_STREQ(target, "a.txt");
        close(sfd);
        cc_rm_rf(ctx);
        cc_rm_rf(stage);
        free(ctx);
        free(stage);
}

TEST(files_globs_and_directories)
{
        char *ctx = context(), *stage = tmpdir();
        int sfd = open(stage, O_RDONLY | O_DIRECTORY);
        free(copy(ctx, "a.txt", "/etc/conf", NULL, sfd));
        has(stage, "etc/conf", "A");
        free(copy(ctx, "src/*.c a.txt", "/dst", NULL, sfd));
        has(stage, "dst/main.c", "int main;");
        has(stage, "dst/a.txt", "A");
        free(copy(ctx, "src", "/s", NULL, sfd));
        has(stage, "s/main.c", "int main;");
        has(stage, "s/skip.log", "log");
        close(sfd);
        cc_rm_rf(ctx);
        cc_rm_rf(stage);
        free(ctx);
        free(stage);
}

TEST(hash_follows_content_not_mtime)
{
        char *ctx = context(), *stage = tmpdir();
        int sfd = open(stage, O_RDONLY | O_DIRECTORY);
        _cleanup_free_ char *staged = copy(ctx, ". ", "/app/", NULL, sfd);
        _cleanup_free_ char *hashed = copy(ctx, ".", "/app/", NULL, -1);
        ASSERT(cc_startswith(hashed, "sha256:"));
        ASSERT_STREQ(staged, hashed);
        _cleanup_free_ char *p = cc_path_join(ctx, "src/main.c");
        struct timespec old[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
        ASSERT_INTEQ(utimensat(AT_FDCWD, p, old, 0), 0);
        _cleanup_free_ char *touched = copy(ctx, ".", "/app/", NULL, -1);
        ASSERT_STREQ(touched, hashed);
        put(ctx, "src/main.c", "int main2;");
        _cleanup_free_ char *changed = copy(ctx, ".", "/app/", NULL, -1);
        ASSERT(!cc_streq(changed, hashed));
        ASSERT_INTEQ(chmod(p, 0600), 0);
        _cleanup_free_ char *moded = copy(ctx, ".", "/app/", NULL, -1);
        ASSERT(!cc_streq(moded, changed));
        /* an ignored file changing does not count */
        _cleanup_free_ char *ign1 = copy(ctx, ".", "/app/", "*.log\nsrc/*.log\n", -1);
        put(ctx, "src/skip.log", "other");
        _cleanup_free_ char *ign2 = copy(ctx, ".", "/app/", "*.log\nsrc/*.log\n", -1);
        ASSERT_STREQ(ign1, ign2);
        close(sfd);
        cc_rm_rf(ctx);
        cc_rm_rf(stage);
        free(ctx);
        free(stage);
}

TEST(errors_name_the_source)
{
        char *ctx = context();
        _cleanup_free_ char *missing = copy(ctx, "nope", "/x", NULL, -1);
        ASSERT_STREQ(missing, "error: nope: not found");
        _cleanup_free_ char *outside = copy(ctx, "../etc/passwd", "/x", NULL, -1);
        ASSERT_STREQ(outside, "error: ../etc/passwd: outside of the build context");
        _cleanup_free_ char *ignored = copy(ctx, "src/skip.log", "/x", "**/*.log\n", -1);
        ASSERT_STREQ(ignored, "error: src/skip.log: not found");
        _cleanup_free_ char *noglob = copy(ctx, "src/*.py", "/x/", NULL, -1);
        ASSERT_STREQ(noglob, "error: src/*.py: not found");
        cc_rm_rf(ctx);
        free(ctx);
}

TEST(chown_sets_owner)
{
        if (geteuid() != 0)
                tap_skip("needs root (chown)");
        char *ctx = context(), *stage = tmpdir();
        int sfd = open(stage, O_RDONLY | O_DIRECTORY);
        struct cc_strv sv = {0};
        cc_strv_push(&sv, "a.txt");
        int fd = open(ctx, O_RDONLY | O_DIRECTORY);
        struct cc_build_copy c = {.srcfd = fd, .srcs = &sv, .dest = "/o/a", .chown = true, .uid = 1234, .gid = 5678};
        char d1[CC_DIGEST_LEN + 1], d2[CC_DIGEST_LEN + 1];
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_build_copy_run(&c, sfd, d1, &err), 0);
        struct stat st;
        ASSERT_INTEQ(fstatat(sfd, "o/a", &st, 0), 0);
        ASSERT_INTEQ(st.st_uid, 1234);
        ASSERT_INTEQ(st.st_gid, 5678);
        c.uid = 1;
        ASSERT_INTEQ(cc_build_copy_run(&c, -1, d2, &err), 0);
        ASSERT(!cc_streq(d1, d2));
        close(fd);
        close(sfd);
        cc_strv_free(&sv);
        cc_rm_rf(ctx);
        cc_rm_rf(stage);
        free(ctx);
        free(stage);
}

/* A COPY that runs again links the files of its previous tree that are
 * the same, by data: a file rewritten in place to the same size, its
 * mtime put back, is copied anew. */
TEST(previous_tree_linked_only_for_the_same_data)
{
        char *ctx = context(), *prev = tmpdir(), *next = tmpdir();
        struct cc_strv sv = {0};
        cc_strv_push(&sv, "src");
        int fd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int pfd = open(prev, O_RDONLY | O_DIRECTORY | O_CLOEXEC), nfd = open(next, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct cc_build_copy c = {.srcfd = fd, .srcs = &sv, .dest = "/s/"};
        char d[CC_DIGEST_LEN + 1];
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_build_copy_run(&c, pfd, d, &err), 0);
        _cleanup_free_ char *p = cc_path_join(ctx, "src/main.c");
        struct stat before;
        ASSERT_INTEQ(stat(p, &before), 0);
        int w = open(p, O_WRONLY | O_CLOEXEC);
        ASSERT(w >= 0);
        ASSERT_INTEQ(write(w, "int mAin;", 9), 9); /* the same size, in place */
        close(w);
        struct timespec ts[2] = {before.st_atim, before.st_mtim};
        ASSERT_INTEQ(utimensat(AT_FDCWD, p, ts, 0), 0);
        c.prevfd = pfd;
        ASSERT_INTEQ(cc_build_copy_run(&c, nfd, d, &err), 0);
        has(next, "s/main.c", "int mAin;");
        has(prev, "s/main.c", "int main;");
        struct stat a, b;
        ASSERT_INTEQ(fstatat(pfd, "s/skip.log", &a, 0), 0);
        ASSERT_INTEQ(fstatat(nfd, "s/skip.log", &b, 0), 0);
        ASSERT_INTEQ(a.st_ino, b.st_ino); /* unchanged: linked */
        ASSERT_INTEQ(fstatat(pfd, "s/main.c", &a, 0), 0);
        ASSERT_INTEQ(fstatat(nfd, "s/main.c", &b, 0), 0);
        ASSERT(a.st_ino != b.st_ino);
        close(fd);
        close(pfd);
        close(nfd);
        cc_strv_free(&sv);
        cc_rm_rf(ctx);
        cc_rm_rf(prev);
        cc_rm_rf(next);
        free(ctx);
        free(prev);
        free(next);
}
