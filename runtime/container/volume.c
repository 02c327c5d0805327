/* Named volumes on disk: $CCOMPOSE_ROOT/volumes/<name>/_data, created on
 * first use and, as Docker does, filled from the image's content at the
 * mount target while the volume is empty (ownership, modes, times,
 * symlinks, special files). Plus the rm -rf the container directory needs.
 * Runs in the parent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-internal.h"

int cc_volume_ensure(const char *root, const char *name, char **data_dir, bool *created, struct cc_error *err)
{
        if (!name || !*name || strchr(name, '/') || cc_streq(name, ".") || cc_streq(name, ".."))
                return cc_error_set(err, -EINVAL, "invalid volume name \"%s\"", name ? name : "");
        _cleanup_free_ char *dir = cc_xasprintf("%s/volumes/%s", root, name);
        char *data = cc_xasprintf("%s/_data", dir);
        *created = false;
        if (mkdir(data, 0755) == 0) {
                *created = true;
        } else if (errno == ENOENT) {
                int r = cc_mkdir_p(dir, 0700);
                if (r < 0 || (mkdir(data, 0755) < 0 && errno != EEXIST)) {
                        int e = r < 0 ? r : -errno;
                        free(data);
                        return cc_error_setsys(err, e, "create volume %s", name);
                }
                *created = true;
        } else if (errno != EEXIST) {
                int e = -errno;
                free(data);
                return cc_error_setsys(err, e, "create volume %s", name);
        }
        *data_dir = data;
        return 0;
}

static bool cc__dir_empty(int dirfd)
{
        int fd = dup(dirfd);
        if (fd < 0)
                return false;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return false;
        }
        bool empty = true;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!cc_streq(de->d_name, ".") && !cc_streq(de->d_name, "..")) {
                        empty = false;
                        break;
                }
        }
        closedir(d);
        return empty;
}

static int cc__copy_data(int in, int out)
{
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return -errno;
                break;
        }
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof(buf))) > 0) {
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(out, buf + off, (size_t) (n - off));
                        if (w < 0)
                                return -errno;
                        off += w;
                }
        }
        return n < 0 ? -errno : 0;
}

static int cc__copy_meta(int dirfd, const char *name, const struct stat *st)
{
        if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
                return -errno;
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int cc__copy_tree(int src, int dst, const char *where, struct cc_error *err, int depth)
{
        if (depth > 256)
                return cc_error_set(err, -ELOOP, "copy %s: too deep", where);
        int fd = dup(src);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "copy %s", where);
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return cc_error_setsys(err, -errno, "copy %s", where);
        }
        int r = 0;
        struct dirent *de;
        while (r >= 0 && (de = readdir(d))) {
                const char *name = de->d_name;
                if (cc_streq(name, ".") || cc_streq(name, ".."))
                        continue;
                struct stat st;
                if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = cc_error_setsys(err, -errno, "copy %s/%s", where, name);
                        break;
                }
                _cleanup_free_ char *sub = cc_xasprintf("%s/%s", where, name);
                if (S_ISDIR(st.st_mode)) {
                        if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST) {
                                r = cc_error_setsys(err, -errno, "copy %s", sub);
                                break;
                        }
                        _cleanup_close_ int s2 = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        _cleanup_close_ int d2 = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s2 < 0 || d2 < 0) {
                                r = cc_error_setsys(err, -errno, "copy %s", sub);
                                break;
                        }
                        r = cc__copy_tree(s2, d2, sub, err, depth + 1);
                } else if (S_ISREG(st.st_mode)) {
                        _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                        _cleanup_close_ int out =
                                openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                        if (in < 0 || out < 0) {
                                r = cc_error_setsys(err, -errno, "copy %s", sub);
                                break;
                        }
                        r = cc__copy_data(in, out);
                        if (r < 0)
                                r = cc_error_setsys(err, r, "copy %s", sub);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
                        if (n < 0) {
                                r = cc_error_setsys(err, -errno, "copy %s", sub);
                                break;
                        }
                        target[n] = '\0';
                        if (symlinkat(target, dst, name) < 0)
                                r = cc_error_setsys(err, -errno, "copy %s", sub);
                } else {
                        if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
                                r = cc_error_setsys(err, -errno, "copy %s", sub);
                }
                if (r >= 0) {
                        r = cc__copy_meta(dst, name, &st);
                        if (r < 0)
                                r = cc_error_setsys(err, r, "copy %s: ownership", sub);
                }
        }
        closedir(d);
        return r;
}

int cc_volume_prefill(int rootfd, const char *target, const char *data_dir, struct cc_error *err)
{
        _cleanup_close_ int src = cc_mnt_open_in_root(rootfd, target, O_RDONLY | O_DIRECTORY, 0);
        if (src == -ENOENT || src == -ENOTDIR)
                return 0;
        if (src < 0)
                return cc_error_setsys(err, src, "open %s in the image", target);
        _cleanup_close_ int dst = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0)
                return cc_error_setsys(err, -errno, "open %s", data_dir);
        if (!cc__dir_empty(dst))
                return 0;
        int r = cc__copy_tree(src, dst, target, err, 0);
        if (r < 0)
                return r;
        /* The volume takes the ownership and mode of the image's directory. */
        struct stat st;
        if (fstat(src, &st) == 0 && (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0))
                return cc_error_setsys(err, -errno, "copy %s: ownership", target);
        return 0;
}

