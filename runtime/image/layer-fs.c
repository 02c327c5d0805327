/* Filesystem helpers for layer trees: resolving paths without leaving a
 * root directory, and removing trees without following symlinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "layer.h"

int cc_openat2(int dirfd, const char *path, int oflags, unsigned long long resolve)
{
        struct open_how how = {
                .flags = (unsigned long long) (oflags | O_CLOEXEC),
                .resolve = resolve,
        };
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : (int) fd;
}

int cc_layer_open_in_root(int rootfd, const char *path, int oflags)
{
        return cc_openat2(rootfd, path, oflags,
                          RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
}

/* Walk dir component by component without following any symlink. */
static int open_dir_nofollow_walk(int rootfd, const char *dir)
{
        int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        const char *p = dir;
        while (*p) {
                const char *e = strchrnul(p, '/');
                _cleanup_free_ char *comp = cc_xstrndup(p, (size_t) (e - p));
                int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int saved = errno;
                close(fd);
                if (nfd < 0)
                        return -saved;
                fd = nfd;
                p = *e ? e + 1 : e;
        }
        return fd;
}

int cc_open_dir_beneath(int rootfd, const char *dir)
{
        if (!*dir) {
                int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                return fd < 0 ? -errno : fd;
        }
        int fd = cc_openat2(rootfd, dir, O_RDONLY | O_DIRECTORY,
                            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                                    RESOLVE_NO_XDEV);
        if (fd == -ENOSYS)
                fd = open_dir_nofollow_walk(rootfd, dir);
        return fd;
}

/* A directory being emptied: its name in the parent and the parent's inode,
 * checked when climbing back up through "..". */
struct rm_frame {
        char *name;
        dev_t parent_dev;
        ino_t parent_ino;
};

/* Remove every non-directory in fd; return the name of one subdirectory
 * (caller frees) or NULL when the directory is empty of those too. */
static int rm_scan(int fd, char **subdir)
{
        *subdir = NULL;
        int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
                return -errno;
        DIR *d = fdopendir(dfd);
        if (!d) {
                int e = -errno;
                close(dfd);
                return e;
        }
        rewinddir(d);
        int r = 0;
        struct dirent *de;
        while ((errno = 0, de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                bool isdir = de->d_type == DT_DIR;
                if (de->d_type == DT_UNKNOWN) {
                        struct stat st;
                        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                                if (errno == ENOENT)
                                        continue;
                                r = -errno;
                                break;
                        }
                        isdir = S_ISDIR(st.st_mode);
                }
                if (isdir) {
                        *subdir = cc_xstrdup(de->d_name);
                        break;
                }
                if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
                        r = -errno;
                        break;
                }
        }
        if (r == 0 && !de && errno != 0)
                r = -errno;
        closedir(d);
        return r;
}

/* Depth-first removal holding one directory descriptor at a time, so that
 * trees of any depth can be removed. */
int cc_layer_rm_tree(int dirfd, const char *name, struct cc_error *err)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return cc_error_setsys(err, -errno, "remove %s", name);
        }
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                        return cc_error_setsys(err, -errno, "remove %s", name);
                return 0;
        }
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "remove %s", name);
        struct rm_frame *stack = NULL;
        size_t n = 0, cap = 0;
        int r = 0;
        for (;;) {
                char *sub = NULL;
                r = rm_scan(fd, &sub);
                if (r < 0)
                        break;
                if (sub) {
                        struct stat pst;
                        int cfd = openat(fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0 || fstat(fd, &pst) < 0) {
                                r = -errno;
                                if (cfd >= 0)
                                        close(cfd);
                                free(sub);
                                break;
                        }
                        if (n == cap) {
                                cap = cap ? cap * 2 : 16;
                                stack = cc_xrealloc(stack, cap * sizeof(*stack));
                        }
                        stack[n++] = (struct rm_frame){ sub, pst.st_dev, pst.st_ino };
                        close(fd);
                        fd = cfd;
                        continue;
                }
                /* fd is empty now: climb up and remove it. */
                if (n == 0)
                        break;
                struct rm_frame f = stack[--n];
                int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                struct stat pst;
                if (pfd < 0 || fstat(pfd, &pst) < 0 || pst.st_dev != f.parent_dev ||
                    pst.st_ino != f.parent_ino) {
                        r = pfd < 0 ? -errno : -ESTALE;
                        if (pfd >= 0)
                                close(pfd);
                        free(f.name);
                        break;
                }
                close(fd);
                fd = pfd;
                if (unlinkat(fd, f.name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                        r = -errno;
                        free(f.name);
                        break;
                }
                free(f.name);
        }
        close(fd);
        for (size_t i = 0; i < n; i++)
                free(stack[i].name);
        free(stack);
        if (r < 0)
                return cc_error_setsys(err, r, "remove %s", name);
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return cc_error_setsys(err, -errno, "remove %s", name);
        return 0;
}
