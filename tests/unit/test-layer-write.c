/* A directory tree -> layer tar (cc_layer_write_dir): overlay whiteouts and
 * opaque directories become the OCI's .wh. entries, entries come sorted,
 * the digest is the stream's, and the layer unpacker turns the tar back
 * into the same overlay tree. Root only (device nodes, trusted.* xattrs). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image-digest.h"
#include "layer.h"
#include "tap.h"
#include "lazy-archive.h"

static void must(int r, const char *what)
{
        if (r < 0)
                tap_fail(__FILE__, __LINE__, "%s: %s", what, strerror(errno));
}

/* An upper directory as overlayfs leaves it. */
static char *make_upper(void)
{
        if (geteuid() != 0)
                tap_skip("needs root (device nodes, trusted.* attributes)");
        char *dir = tap_tmpdir("layer-write");
        int fd = open(dir, O_RDONLY | O_DIRECTORY);
        must(fd, "open");
        int f = openat(fd, "a", O_CREAT | O_WRONLY, 0640);
        must(f, "create a");
        must((int) write(f, "hello", 5), "write a");
        must(fchown(f, 1000, 1001), "chown a");
        must(fchmod(f, 0640), "chmod a");
        close(f);
        must(mkdirat(fd, "d", 0755), "mkdir d");
        _cleanup_free_ char *d = cc_path_join(dir, "d");
        if (setxattr(d, "trusted.overlay.opaque", "y", 1, 0) < 0)
                tap_skip("no trusted.* xattrs on /tmp: %s", strerror(errno));
        must(setxattr(d, "user.keep", "1", 1, 0), "user xattr");
        must(close(openat(fd, "d/f", O_CREAT | O_WRONLY, 0644)), "create d/f");
        must(mkdirat(fd, "d/sub", 0700), "mkdir d/sub");
        must(mknodat(fd, "d/sub/wh", S_IFCHR, makedev(0, 0)), "whiteout d/sub/wh");
        must(mknodat(fd, "gone", S_IFCHR, makedev(0, 0)), "whiteout gone");
        must(symlinkat("a", fd, "l"), "symlink");
        close(fd);
        return dir;
}

static int write_layer(const char *dir, struct cc_layer_info *info)
{
        int out = memfd_create("layer", MFD_CLOEXEC), fd = open(dir, O_RDONLY | O_DIRECTORY);
        struct cc_error err = {0};
        if (cc_layer_write_dir(fd, out, info, &err) < 0)
                tap_fail(__FILE__, __LINE__, "write: %s", cc_error_msg(&err));
        close(fd);
        lseek(out, 0, SEEK_SET);
        return out;
}

TEST(whiteouts_sorted_entries_digest)
{
        char *dir = make_upper();
        struct cc_layer_info info;
        int out = write_layer(dir, &info);
        /* the digest is the whole stream's */
        struct stat st;
        fstat(out, &st);
        char *bytes = cc_xmalloc((size_t) st.st_size), digest[CC_DIGEST_LEN + 1];
        ASSERT_INTEQ(read(out, bytes, (size_t) st.st_size), st.st_size);
        cc_sha256_digest(bytes, (size_t) st.st_size, digest);
        free(bytes);
        ASSERT_STREQ(info.diff_id, digest);
        ASSERT_INTEQ(info.size, 5);
        lseek(out, 0, SEEK_SET);

        struct archive *a = archive_read_new();
        archive_read_support_format_tar(a);
        ASSERT_INTEQ(archive_read_open_fd(a, out, 4096), ARCHIVE_OK);
        struct cc_buf names = {0};
        struct archive_entry *e;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *p = archive_entry_pathname(e);
                cc_buf_printf(&names, "%s%s", names.len ? " " : "", p);
                if (cc_streq(p, "a")) {
                        char data[16] = {0};
                        ASSERT_INTEQ(archive_read_data(a, data, sizeof(data)), 5);
                        ASSERT_STREQ(data, "hello");
                        ASSERT_INTEQ(archive_entry_uid(e), 1000);
                        ASSERT_INTEQ(archive_entry_gid(e), 1001);
                        ASSERT_INTEQ(archive_entry_perm(e), 0640);
                } else if (cc_streq(p, "d/")) {
                        const char *name;
                        const void *val;
                        size_t len;
                        bool keep = false;
                        archive_entry_xattr_reset(e);
                        while (archive_entry_xattr_next(e, &name, &val, &len) == ARCHIVE_OK) {
                                ASSERT(!cc_startswith(name, "trusted.overlay."));
                                keep = keep || cc_streq(name, "user.keep");
                        }
                        ASSERT(keep);
                } else if (cc_streq(p, "l")) {
                        ASSERT_STREQ(archive_entry_symlink(e), "a");
                } else if (cc_startswith(strrchr(p, '/') ? strrchr(p, '/') + 1 : p, ".wh.")) {
                        ASSERT_INTEQ(archive_entry_filetype(e), AE_IFREG);
                        ASSERT_INTEQ(archive_entry_size(e), 0);
                }
        }
        archive_read_free(a);
        /* directories end in "/", as in docker's layers */
        ASSERT_STREQ(names.s, "a d/ d/.wh..wh..opq d/f d/sub/ d/sub/.wh.wh .wh.gone l");
        ASSERT_INTEQ(info.entries, 8);
        cc_buf_free(&names);
        close(out);
        cc_rm_rf(dir);
        free(dir);
}

TEST(same_tree_same_digest)
{
        char *dir = make_upper();
        struct cc_layer_info one, two;
        close(write_layer(dir, &one));
        close(write_layer(dir, &two));
        ASSERT_STREQ(one.diff_id, two.diff_id);
        cc_rm_rf(dir);
        free(dir);
}

TEST(unpacks_back_to_the_overlay_tree)
{
        char *dir = make_upper();
        struct cc_layer_info w, u;
        int out = write_layer(dir, &w);
        _cleanup_free_ char *back = tap_tmpdir("layer-back");
        int bfd = open(back, O_RDONLY | O_DIRECTORY);
        struct cc_error err = {0};
        if (cc_layer_unpack_fd(out, bfd, CC_LAYER_IMAGE, &u, &err) < 0)
                tap_fail(__FILE__, __LINE__, "unpack: %s", cc_error_msg(&err));
        ASSERT_STREQ(u.diff_id, w.diff_id);
        struct stat st;
        must(fstatat(bfd, "gone", &st, AT_SYMLINK_NOFOLLOW), "stat gone");
        ASSERT(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
        must(fstatat(bfd, "d/sub/wh", &st, AT_SYMLINK_NOFOLLOW), "stat d/sub/wh");
        ASSERT(S_ISCHR(st.st_mode));
        ASSERT(faccessat(bfd, "d/.wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        char v[2] = {0};
        _cleanup_free_ char *d = cc_path_join(back, "d");
        ASSERT_INTEQ(getxattr(d, "trusted.overlay.opaque", v, sizeof(v)), 1);
        ASSERT_INTEQ(v[0], 'y');
        must(fstatat(bfd, "a", &st, AT_SYMLINK_NOFOLLOW), "stat a");
        ASSERT_INTEQ(st.st_uid, 1000);
        ASSERT_INTEQ(st.st_mode & 07777, 0640);
        close(bfd);
        close(out);
        cc_rm_rf(back);
        cc_rm_rf(dir);
        free(dir);
}
