/* Mount syscalls and safe path resolution inside a container root.
 *
 * Everything here runs in the container child (see container-internal.h):
 * raw syscalls and stack buffers only. Paths inside the rootfs are always
 * resolved with openat2(RESOLVE_IN_ROOT): an absolute symlink such as
 * /data -> /etc resolves to the rootfs's /etc, never the host's, and ".."
 * stops at the root. Magic links (/proc/self/root, /proc/<pid>/fd/N) are
 * refused, so a target under the container's /proc cannot lead out
 * either. Mounts are then made onto the resolved fd, never onto a path
 * string that could be swapped in between. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container-internal.h"

void cc_str_cat(char *buf, size_t cap, const char *s)
{
        size_t n = strnlen(buf, cap);
        while (s && *s && n + 1 < cap)
                buf[n++] = *s++;
        if (n < cap)
                buf[n] = '\0';
}

void cc_str_cat_int(char *buf, size_t cap, long long v)
{
        char tmp[24];
        size_t i = sizeof(tmp) - 1;
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;

        tmp[i] = '\0';
        do {
                tmp[--i] = (char) ('0' + u % 10);
                u /= 10;
        } while (u && i > 1);
        if (v < 0)
                tmp[--i] = '-';
        cc_str_cat(buf, cap, tmp + i);
}

const char *cc_mnt_fdpath(char *buf, int fd)
{
        buf[0] = '\0';
        cc_str_cat(buf, 32, "/proc/self/fd/");
        cc_str_cat_int(buf, 32, fd);
        return buf;
}

int cc_mnt_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (unsigned long long) (flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        /* An empty path (or "/") means the root itself. */
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

/* Copy path into buf without leading, trailing or doubled slashes and
 * without "." components. -ENAMETOOLONG when it does not fit. */
static int cc__path_normalize(const char *path, char *buf, size_t cap)
{
        size_t n = 0;
        const char *p = path;

        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = p;
                while (*e && *e != '/')
                        e++;
                size_t len = (size_t) (e - p);
                if (!(len == 1 && p[0] == '.')) {
                        if (n + len + 2 > cap)
                                return -ENAMETOOLONG;
                        if (n)
                                buf[n++] = '/';
                        memcpy(buf + n, p, len);
                        n += len;
                }
                p = e;
        }
        buf[n] = '\0';
        return 0;
}

int cc_mnt_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
        char buf[PATH_MAX];
        int r = cc__path_normalize(path, buf, sizeof(buf));
        if (r < 0)
                return r;

        int fd = cc_mnt_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
        if (fd != -ENOENT)
                return fd;

        /* Walk from the root: open each prefix (resolved in the root, so a
         * symlinked component is followed inside it) and create what is
         * missing with mkdirat on the already resolved parent. */
        int parent = cc_mnt_open_in_root(rootfd, "", O_PATH | O_DIRECTORY, 0);
        if (parent < 0)
                return parent;
        size_t len = strlen(buf);
        size_t start = 0;
        while (start < len) {
                size_t end = start;
                while (end < len && buf[end] != '/')
                        end++;
                char saved = buf[end];
                char name[NAME_MAX + 1];
                size_t nlen = end - start;
                if (nlen > NAME_MAX) {
                        close(parent);
                        return -ENAMETOOLONG;
                }
                memcpy(name, buf + start, nlen);
                name[nlen] = '\0';

                buf[end] = '\0';
                fd = cc_mnt_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
                if (fd == -ENOENT) {
                        if (strcmp(name, "..") == 0) {
                                /* ".." of an existing directory exists;
                                 * ENOENT here means a dangling link. */
                                close(parent);
                                return -ENOENT;
                        }
                        if (mkdirat(parent, name, mode) < 0 && errno != EEXIST) {
                                int e = -errno;
                                close(parent);
                                return e;
                        }
                        fd = cc_mnt_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
                }
                buf[end] = saved;
                close(parent);
                if (fd < 0)
                        return fd;
                parent = fd;
                start = end + 1;
        }
        return parent;
}

int cc_mnt_mountpoint_in_root(int rootfd, const char *path, bool is_dir)
{
        if (is_dir)
                return cc_mnt_mkdir_in_root(rootfd, path, 0755);

        char buf[PATH_MAX];
        int r = cc__path_normalize(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        int fd = cc_mnt_open_in_root(rootfd, buf, O_PATH, 0);
        if (fd != -ENOENT)
                return fd;

        char *slash = strrchr(buf, '/');
        const char *name = buf;
        int dirfd;
        if (slash) {
                *slash = '\0';
                name = slash + 1;
                dirfd = cc_mnt_mkdir_in_root(rootfd, buf, 0755);
                *slash = '/';
        } else {
                dirfd = cc_mnt_open_in_root(rootfd, "", O_PATH | O_DIRECTORY, 0);
        }
        if (dirfd < 0)
                return dirfd;
        if (strcmp(name, "..") == 0) {
                close(dirfd);
                return -EINVAL;
        }
        /* O_NOFOLLOW: a dangling symlink in the way is not followed out. */
        fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        int e = fd < 0 ? -errno : 0;
        close(dirfd);
        if (fd < 0 && e != -EEXIST && e != -ELOOP && e != -EISDIR)
                return e;
        if (fd >= 0)
                close(fd);
        return cc_mnt_open_in_root(rootfd, buf, O_PATH, 0);
}

int cc_mnt_bind(int src_dirfd, const char *src, int target_fd, bool recursive, unsigned attrs)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        if (!*src)
                flags |= AT_EMPTY_PATH;
        int tree = open_tree(src_dirfd, src, flags);
        if (tree < 0)
                return -errno;
        if (attrs) {
                struct mount_attr attr = {.attr_set = attrs};
                if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                                  sizeof(attr)) < 0) {
                        int e = -errno;
                        close(tree);
                        return e;
                }
        }
        int r = move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        int e = r < 0 ? -errno : 0;
        close(tree);
        return e;
}

int cc_mnt_fs(const char *fstype, const char *source, int target_fd, unsigned long flags, const char *data)
{
        char path[32];
        if (mount(source, cc_mnt_fdpath(path, target_fd), fstype, flags, data) < 0)
                return -errno;
        return 0;
}

int cc_mnt_set_readonly(int fd, bool recursive)
{
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
                return -errno;
        return 0;
}
