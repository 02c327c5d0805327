/* Tar streams out of and into a root directory, for `ccompose cp`.
 *
 * Writing: the named path is resolved once (in the container's root); the
 * tree below it is walked one directory descriptor at a time, each entry
 * opened O_PATH | O_NOFOLLOW relative to its directory, checked with
 * fstat, and only regular files and directories reopened (through
 * /proc/self/fd) for reading: a device node is never opened, a symlink
 * never followed, and a name the container swaps during the walk gives at
 * worst a different entry of the same tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "container-internal.h"
#include "copy.h"
#include "layer.h"
#include "lazy-archive.h"

#define CC_COPY_MAX_DEPTH CC_LAYER_MAX_DEPTH

int cc_copy_container_root(pid_t pid, int *out, struct cc_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/root", (int) pid);
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "open the container's root (%s)", path);
        *out = fd;
        return 0;
}

int cc_copy_stopped_root(const struct cc_strv *layers, const char *dir, int *out, struct cc_error *err)
{
        _cleanup_free_ char *upper = cc_xasprintf("%s/upper", dir), *work = cc_xasprintf("%s/work", dir);
        /* a container created and never started (docker create; docker
         * cp; docker start) gets its own layer's directories now, as its
         * start makes them (container-plan.c: 0755, kept at its start) */
        if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || (mkdir(upper, 0755) < 0 && errno != EEXIST) ||
            (mkdir(work, 0755) < 0 && errno != EEXIST))
                return cc_error_setsys(err, -errno, "making the container's layer %s", upper);
        return cc_rootfs_overlay(layers, upper, work, false, out, err);
}

int cc_copy_open(int root, const char *path, int oflags, bool follow)
{
        if (!follow)
                oflags |= O_NOFOLLOW;
        if (root == AT_FDCWD) {
                int fd = open(path, oflags | O_CLOEXEC);
                return fd < 0 ? -errno : fd;
        }
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        return cc_openat2(root, path, oflags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

struct tar_out {
        struct archive *a;
        struct archive_entry_linkresolver *links;
        struct cc_error *err;
        const char *entry; /* the archive name being written, for messages */
        char buf[65536];
};

static int tar_fail(struct tar_out *t, int code, const char *what)
{
        return cc_error_setsys(t->err, code, "%s \"%s\"", what, t->entry);
}

static int tar_archive_fail(struct tar_out *t)
{
        int e = archive_errno(t->a);
        return cc_error_set(t->err, e > 0 ? -e : -EIO, "archive \"%s\": %s", t->entry,
                            archive_error_string(t->a) ? archive_error_string(t->a) : "write failed");
}

/* A descriptor for reading what the O_PATH fd names. */
static int reopen(int pathfd, int oflags)
{
        char p[40];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", pathfd);
        int fd = open(p, oflags | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

static int tar_data(struct tar_out *t, int pathfd, off_t size)
{
        _cleanup_close_ int fd = reopen(pathfd, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
                return tar_fail(t, fd, "open");
        off_t done = 0;
        while (done < size) {
                size_t want = sizeof(t->buf);
                if ((off_t) want > size - done)
                        want = (size_t) (size - done);
                ssize_t n = read(fd, t->buf, want);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return tar_fail(t, -errno, "read");
                if (n == 0)
                        break; /* shrank while read: the archive pads it */
                if (archive_write_data(t->a, t->buf, (size_t) n) < 0)
                        return tar_archive_fail(t);
                done += n;
        }
        return 0;
}

static int tar_node(struct tar_out *t, int pathfd, const char *name, int depth);

static bool skip_fs(int dirfd)
{
        struct statfs sf;
        if (fstatfs(dirfd, &sf) < 0)
                return false;
        return sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC;
}

static int tar_dir(struct tar_out *t, int pathfd, const char *name, int depth)
{
        if (depth >= CC_COPY_MAX_DEPTH)
                return cc_error_set(t->err, -ELOOP, "\"%s\": deeper than %d directories", name,
                                    CC_COPY_MAX_DEPTH);
        int dfd = reopen(pathfd, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return tar_fail(t, dfd, "open directory");
        if (depth > 0 && skip_fs(dfd)) {
                close(dfd);
                return 0;
        }
        DIR *d = fdopendir(dfd);
        if (!d) {
                int e = -errno;
                close(dfd);
                return tar_fail(t, e, "read directory");
        }
        int r = 0;
        struct dirent *de;
        while (r == 0 && (errno = 0, de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int cfd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        if (errno == ENOENT)
                                continue; /* removed meanwhile */
                        _cleanup_free_ char *child = cc_xasprintf("%s/%s", name, de->d_name);
                        t->entry = child;
                        r = tar_fail(t, -errno, "open");
                        break;
                }
                _cleanup_free_ char *child = strcmp(name, ".") == 0 ? cc_xasprintf("./%s", de->d_name)
                                                                    : cc_xasprintf("%s/%s", name, de->d_name);
                r = tar_node(t, cfd, child, depth + 1);
                close(cfd);
        }
        if (r == 0 && !de && errno != 0)
                r = tar_fail(t, -errno, "read directory");
        closedir(d);
        return r;
}

/* One entry (and, for a directory, everything below it). */
static int tar_node(struct tar_out *t, int pathfd, const char *name, int depth)
{
        t->entry = name;
        struct stat st;
        if (fstat(pathfd, &st) < 0)
                return tar_fail(t, -errno, "stat");
        if (S_ISSOCK(st.st_mode))
                return 0;
        struct archive_entry *e = archive_entry_new();
        archive_entry_copy_pathname(e, name);
        archive_entry_copy_stat(e, &st);
        if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(pathfd, "", target, sizeof(target) - 1);
                if (n < 0) {
                        archive_entry_free(e);
                        return tar_fail(t, -errno, "read symlink");
                }
                target[n] = '\0';
                archive_entry_copy_symlink(e, target);
        }
        if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
                archive_entry_set_size(e, 0);
        struct archive_entry *spare = NULL;
        if (!S_ISDIR(st.st_mode))
                archive_entry_linkify(t->links, &e, &spare);
        int r = 0;
        if (e) {
                bool data = S_ISREG(st.st_mode) && !archive_entry_hardlink(e) && archive_entry_size(e) > 0;
                if (archive_write_header(t->a, e) < ARCHIVE_WARN)
                        r = tar_archive_fail(t);
                else if (data)
                        r = tar_data(t, pathfd, st.st_size);
                archive_entry_free(e);
        }
        if (spare)
                archive_entry_free(spare);
        if (r == 0 && S_ISDIR(st.st_mode))
                r = tar_dir(t, pathfd, name, depth);
        return r;
}

int cc_copy_tar(int root, const char *path, bool follow, const char *name, int outfd, struct cc_error *err)
{
        _cleanup_close_ int fd = cc_copy_open(root, path, O_PATH, follow);
        if (fd < 0)
                return cc_error_setsys(err, fd, "%s", path);
        struct tar_out *t = cc_xcalloc(1, sizeof(*t));
        t->err = err;
        t->entry = name;
        t->a = archive_write_new();
        t->links = archive_entry_linkresolver_new();
        if (!t->a || !t->links) {
                fputs("ccompose: out of memory\n", stderr);
                abort();
        }
        archive_write_set_format_pax_restricted(t->a);
        archive_write_set_bytes_in_last_block(t->a, 1);
        archive_entry_linkresolver_set_strategy(t->links, archive_format(t->a));
        int r = 0;
        if (archive_write_open_fd(t->a, outfd) != ARCHIVE_OK)
                r = tar_archive_fail(t);
        if (r == 0)
                r = tar_node(t, fd, name, 0);
        if (r == 0 && archive_write_close(t->a) != ARCHIVE_OK) {
                t->entry = name;
                r = tar_archive_fail(t);
        }
        archive_write_free(t->a);
        archive_entry_linkresolver_free(t->links);
        free(t);
        return r;
}

int cc_copy_untar(int infd, int dirfd, bool keep_owner, bool host, struct cc_error *err)
{
        unsigned flags = (host ? 0 : CC_LAYER_SPECIAL) | (keep_owner ? CC_LAYER_OWNERS | CC_LAYER_XATTRS : CC_LAYER_MODES);
        return cc_layer_unpack_fd(infd, dirfd, flags, NULL, err);
}

int cc_copy_check_overwrite(int infd, int root, const char *dir, struct cc_error *err)
{
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, infd, 65536) != ARCHIVE_OK) {
                int r = cc_error_set(err, -EINVAL, "reading the archive: %s", archive_error_string(a));
                archive_read_free(a);
                return r;
        }
        struct archive_entry *e;
        int r = 0, ar;
        while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                if (!name)
                        continue;
                _cleanup_free_ char *full = cc_xasprintf("%s/%s", dir, name);
                _cleanup_free_ char *clean = cc_path_clean(full);
                _cleanup_close_ int fd = cc_copy_open(root, clean, O_PATH, false);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0)
                        continue;
                bool entry_dir = archive_entry_filetype(e) == AE_IFDIR;
                if (entry_dir && !S_ISDIR(st.st_mode))
                        r = cc_error_set(err, -EEXIST, "cannot overwrite non-directory \"%s\" with directory \"%s\"",
                                         clean, name);
                else if (!entry_dir && S_ISDIR(st.st_mode))
                        r = cc_error_set(err, -EEXIST, "cannot overwrite directory \"%s\" with non-directory \"%s\"",
                                         clean, name);
        }
        if (r == 0 && ar != ARCHIVE_EOF)
                r = cc_error_set(err, -EINVAL, "reading the archive: %s", archive_error_string(a));
        archive_read_free(a);
        return r;
}
