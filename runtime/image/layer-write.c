/* A directory tree -> a layer tar: what a build step's overlay upper
 * directory (or a COPY step's staging tree) becomes in the image. Overlay
 * whiteouts become the OCI's ".wh." files, entries are sorted so that the
 * same tree gives the same bytes, and the digest of the stream (the
 * layer's diff-id) is computed as it is written. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image-digest.h"
#include "layer.h"
#include "lazy-archive.h"

struct layer_writer {
        struct archive *a;
        int outfd;
        struct cc_sha256 hash;
        uint64_t size, entries;
        struct cc_error *err;
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t n)
{
        struct layer_writer *w = data;
        for (size_t done = 0; done < n;) {
                ssize_t k = write(w->outfd, (const char *) buf + done, n - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        archive_set_error(a, errno, "write layer: %s", strerror(errno));
                        return -1;
                }
                done += (size_t) k;
        }
        cc_sha256_update(&w->hash, buf, n);
        return (la_ssize_t) n;
}

static int arch_err(struct layer_writer *w, const char *what, const char *path)
{
        return cc_error_set(w->err, -EIO, "%s %s: %s", what, path, archive_error_string(w->a));
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int fd)
{
        char v[2] = {0};
        return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* The extended attributes of fd (an O_PATH-less descriptor of a file or
 * directory) onto e, without overlayfs' own. */
static void add_xattrs(int fd, struct archive_entry *e)
{
        char names[4096];
        ssize_t n = flistxattr(fd, names, sizeof(names));
        for (ssize_t i = 0; i < n; i += (ssize_t) strlen(names + i) + 1) {
                const char *name = names + i;
                if (cc_startswith(name, "trusted.overlay."))
                        continue;
                char val[4096];
                ssize_t vl = fgetxattr(fd, name, val, sizeof(val));
                if (vl >= 0)
                        archive_entry_xattr_add_entry(e, name, val, (size_t) vl);
        }
}

static int write_header(struct layer_writer *w, struct archive_entry *e, const char *path)
{
        w->entries++;
        if (archive_write_header(w->a, e) != ARCHIVE_OK)
                return arch_err(w, "write entry", path);
        return 0;
}

/* An empty regular file entry: a whiteout marker. */
static int write_marker(struct layer_writer *w, const char *path, const struct stat *st)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, path);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, 0);
        archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        int r = write_header(w, e, path);
        archive_entry_free(e);
        return r;
}

static int write_file_data(struct layer_writer *w, int fd, const char *path)
{
        char buf[65536];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cc_error_setsys(w->err, -errno, "read %s", path);
                if (n == 0)
                        return 0;
                if (archive_write_data(w->a, buf, (size_t) n) != n)
                        return arch_err(w, "write data of", path);
                w->size += (uint64_t) n;
        }
}

static int write_tree(struct layer_writer *w, int dirfd, const char *prefix, int depth);

/* One entry name of directory dirfd, archived as path. */
static int write_entry(struct layer_writer *w, int dirfd, const char *name, const char *path, int depth)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return cc_error_setsys(w->err, -errno, "stat %s", path);
        if (is_whiteout(&st)) {
                const char *slash = strrchr(path, '/');
                _cleanup_free_ char *wh = slash ? cc_xasprintf("%.*s/.wh.%s", (int) (slash - path), path, slash + 1)
                                                : cc_xasprintf(".wh.%s", path);
                return write_marker(w, wh, &st);
        }
        if (S_ISSOCK(st.st_mode))
                return 0;
        struct archive_entry *e = archive_entry_new();
        archive_entry_copy_stat(e, &st);
        archive_entry_set_pathname(e, path);
        archive_entry_set_nlink(e, 1);
        int fd = -1, r = 0;
        if (S_ISLNK(st.st_mode)) {
                char target[4097];
                ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        r = cc_error_setsys(w->err, -errno, "readlink %s", path);
                else {
                        target[n] = '\0';
                        archive_entry_set_symlink(e, target);
                }
        } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
                fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
                if (fd < 0)
                        r = cc_error_setsys(w->err, -errno, "open %s", path);
                else
                        add_xattrs(fd, e);
        }
        if (!S_ISREG(st.st_mode))
                archive_entry_set_size(e, 0);
        if (r == 0)
                r = write_header(w, e, path);
        archive_entry_free(e);
        if (r == 0 && S_ISREG(st.st_mode))
                r = write_file_data(w, fd, path);
        if (r == 0 && S_ISDIR(st.st_mode)) {
                if (is_opaque(fd)) {
                        _cleanup_free_ char *opq = cc_xasprintf("%s/.wh..wh..opq", path);
                        r = write_marker(w, opq, &st);
                }
                if (r == 0)
                        r = write_tree(w, fd, path, depth + 1);
        }
        if (fd >= 0)
                close(fd);
        return r;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
        return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int write_tree(struct layer_writer *w, int dirfd, const char *prefix, int depth)
{
        if (depth > CC_LAYER_MAX_DEPTH)
                return cc_error_set(w->err, -ELOOP, "%s: deeper than %d levels", prefix, CC_LAYER_MAX_DEPTH);
        /* scandir wants a path: /proc/self/fd/N names the directory dirfd opened */
        _cleanup_free_ char *self = cc_xasprintf("/proc/self/fd/%d", dirfd);
        struct dirent **ents;
        int n = scandir(self, &ents, skip_dots, by_name);
        if (n < 0)
                return cc_error_setsys(w->err, -errno, "read directory %s", *prefix ? prefix : ".");
        int r = 0;
        for (int i = 0; i < n; i++) {
                if (r == 0) {
                        _cleanup_free_ char *path = *prefix ? cc_xasprintf("%s/%s", prefix, ents[i]->d_name)
                                                            : cc_xstrdup(ents[i]->d_name);
                        r = write_entry(w, dirfd, ents[i]->d_name, path, depth);
                }
                free(ents[i]);
        }
        free(ents);
        return r;
}

int cc_layer_write_dir(int dirfd, int outfd, struct cc_layer_info *info, struct cc_error *err)
{
        struct layer_writer w = {.a = archive_write_new(), .outfd = outfd, .err = err};
        cc_sha256_init(&w.hash);
        archive_write_set_format_pax_restricted(w.a);
        archive_write_add_filter_none(w.a);
        archive_write_set_bytes_in_last_block(w.a, 1);
        int r = 0;
        if (archive_write_open2(w.a, &w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK)
                r = cc_error_set(err, -EIO, "write layer: %s", archive_error_string(w.a));
        if (r == 0)
                r = write_tree(&w, dirfd, "", 0);
        if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
                r = cc_error_set(err, -EIO, "write layer: %s", archive_error_string(w.a));
        archive_write_free(w.a);
        if (r < 0) {
                cc_sha256_abort(&w.hash);
                return r;
        }
        *info = (struct cc_layer_info){.size = w.size, .entries = w.entries};
        cc_sha256_final(&w.hash, info->diff_id);
        return 0;
}
