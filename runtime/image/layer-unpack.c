/* Unpacking a layer archive into a directory.
 *
 * Two libarchive readers are chained: the outer one only decompresses
 * (gzip, zstd, xz, bzip2 or nothing, "raw" format), and its output is both
 * hashed (the diff-id is the digest of the uncompressed tar stream) and fed
 * to the inner one, which parses the tar.
 *
 * Security: every entry is written relative to a directory descriptor.
 * Names are cleaned lexically first (absolute paths and ".." are refused).
 * Parent directories are opened with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS); when a parent is a symlink created by an earlier
 * entry, it is followed only if it resolves beneath the root
 * (RESOLVE_BENEATH refuses absolute targets and ".." that climbs out), and
 * refused otherwise. The last component is never followed: whatever exists
 * under that name is removed first, then the new entry is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, mknodat or linkat (which
 * does not follow its source either). Hard link targets go through the same
 * checks as entry names. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image-digest.h"
#include "layer.h"
#include "lazy-archive.h"

struct dir_meta {
        char *path; /* relative to the root, "" for the root itself */
        mode_t mode;
        struct timespec times[2];
};

struct unpack {
        int rootfd;
        unsigned flags;
        bool privileged; /* euid 0: ownership errors are real errors */
        struct cc_error *err;
        const char *entry; /* the entry's name as archived, for messages */
        char *cache_path;  /* the parent directory last opened ... */
        int cache_fd;      /* ... and its descriptor */
        struct dir_meta *dirs;
        size_t ndirs, capdirs;
        uint64_t size;
};

/* The decompressing outer reader, as the inner reader's data source. */
struct stream {
        struct archive *outer;
        struct cc_sha256 hash;
        bool eof;
        char buf[65536];
};

static int refuse(struct unpack *u, const char *fmt, ...) CC_PRINTF(2, 3);
static int refuse(struct unpack *u, const char *fmt, ...)
{
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        cc_error_set(u->err, -EPERM, "layer entry \"%s\": %s", u->entry, b.s);
        cc_buf_free(&b);
        return -EPERM;
}

static int entry_syserr(struct unpack *u, int code, const char *what)
{
        return cc_error_setsys(u->err, code, "layer entry \"%s\": %s", u->entry, what);
}

/* Clean an archived name: strip "./" and duplicate slashes; refuse
 * absolute names, ".." and absurd depth. "" is the root. */
static int clean_name(struct unpack *u, const char *raw, const char *what, char **out)
{
        if (!raw || !*raw)
                return refuse(u, "%sempty name", what);
        if (raw[0] == '/')
                return refuse(u, "%sabsolute path refused", what);
        struct cc_buf b = {0};
        size_t depth = 0;
        const char *p = raw;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchrnul(p, '/');
                size_t n = (size_t) (e - p);
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        cc_buf_free(&b);
                        return refuse(u, "%spath with \"..\" refused", what);
                }
                if (!(n == 1 && p[0] == '.')) {
                        if (++depth > CC_LAYER_MAX_DEPTH) {
                                cc_buf_free(&b);
                                return refuse(u, "%spath deeper than %d components", what, CC_LAYER_MAX_DEPTH);
                        }
                        if (b.len)
                                cc_buf_putc(&b, '/');
                        cc_buf_add(&b, p, n);
                }
                p = e;
        }
        *out = cc_buf_steal(&b);
        return 0;
}

/* Split "a/b/c" into "a/b" (owned, "" at top level) and "c". */
static char *split_parent(const char *path, const char **base)
{
        const char *slash = strrchr(path, '/');
        if (!slash) {
                *base = path;
                return cc_xstrdup("");
        }
        *base = slash + 1;
        return cc_xstrndup(path, (size_t) (slash - path));
}

/* Open dir component by component, creating missing directories when
 * create is set, and following a symlink only when it resolves beneath the
 * root. Returns an owned fd or a negative code (error set). */
static int walk_dir(struct unpack *u, const char *dir, bool create)
{
        int fd = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return entry_syserr(u, -errno, "dup");
        const char *p = dir;
        while (*p) {
                const char *e = strchrnul(p, '/');
                _cleanup_free_ char *comp = cc_xstrndup(p, (size_t) (e - p));
                int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0 && errno == ENOENT && create) {
                        if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
                                int r = -errno;
                                close(fd);
                                return entry_syserr(u, r, "create parent directory");
                        }
                        nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
                        _cleanup_free_ char *prefix = cc_xstrndup(dir, (size_t) (e - dir));
                        struct stat st;
                        if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode)) {
                                close(fd);
                                return refuse(u, "\"%s\" is not a directory", prefix);
                        }
                        close(fd);
                        nfd = cc_openat2(u->rootfd, prefix, O_RDONLY | O_DIRECTORY,
                                         RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
                        if (nfd == -ENOENT || nfd == -ENOTDIR)
                                return refuse(u, "symlink \"%s\" does not lead to a directory inside the layer",
                                              prefix);
                        if (nfd == -ELOOP)
                                return refuse(u, "symlink \"%s\" loops", prefix);
                        if (nfd < 0)
                                return refuse(u, "refusing to write through symlink \"%s\" that points outside the layer",
                                              prefix);
                        fd = nfd;
                        p = *e ? e + 1 : e;
                        continue;
                }
                if (nfd < 0) {
                        int r = -errno;
                        close(fd);
                        return entry_syserr(u, r, "open parent directory");
                }
                close(fd);
                fd = nfd;
                p = *e ? e + 1 : e;
        }
        return fd;
}

/* An owned descriptor for dir: fast path without any symlink, else the
 * checked walk. */
static int open_dir(struct unpack *u, const char *dir, bool create)
{
        int fd = cc_open_dir_beneath(u->rootfd, dir);
        if (fd >= 0)
                return fd;
        return walk_dir(u, dir, create);
}

/* The parent of the current entry, cached because archives list the
 * entries of one directory together. The fd is borrowed. */
static int parent_fd(struct unpack *u, const char *dir)
{
        if (!*dir)
                return u->rootfd;
        if (u->cache_path && strcmp(u->cache_path, dir) == 0)
                return u->cache_fd;
        if (u->cache_fd >= 0)
                close(u->cache_fd);
        free(u->cache_path);
        u->cache_path = NULL;
        u->cache_fd = -1;
        int fd = open_dir(u, dir, true);
        if (fd < 0)
                return fd;
        u->cache_fd = fd;
        u->cache_path = cc_xstrdup(dir);
        return fd;
}

/* Make room for a new entry called name in pfd. Returns 1 when a directory
 * is there and keep_dir is set (it stays), 0 when the name is free. */
static int clear_name(struct unpack *u, int pfd, const char *name, bool keep_dir)
{
        struct stat st;
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return entry_syserr(u, -errno, "stat");
        }
        if (S_ISDIR(st.st_mode)) {
                if (keep_dir)
                        return 1;
                int r = cc_layer_rm_tree(pfd, name, u->err);
                return r < 0 ? cc_error_prefix(u->err, "layer entry \"%s\"", u->entry) : 0;
        }
        if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
                return entry_syserr(u, -errno, "remove existing file");
        return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        if (ts[1].tv_nsec < 0 || ts[1].tv_nsec >= 1000000000L)
                ts[1].tv_nsec = 0;
        ts[0] = ts[1];
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
                if (ts[0].tv_nsec < 0 || ts[0].tv_nsec >= 1000000000L)
                        ts[0].tv_nsec = 0;
        }
}

static mode_t entry_perm(struct unpack *u, struct archive_entry *e, bool dir)
{
        mode_t m = archive_entry_perm(e) & 07777;
        if (!(u->flags & (CC_LAYER_OWNERS | CC_LAYER_MODES)))
                m = (m & 0777) | (dir ? 0700 : 0600);
        return m;
}

/* Set ownership of pfd/name (fd >= 0: through fd). Unprivileged callers
 * cannot give files away, which is not an error for them. */
static int apply_owner(struct unpack *u, int fd, int pfd, const char *name, struct archive_entry *e)
{
        if (!(u->flags & CC_LAYER_OWNERS))
                return 0;
        uid_t uid = (uid_t) archive_entry_uid(e);
        gid_t gid = (gid_t) archive_entry_gid(e);
        int r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0 && (u->privileged || errno != EPERM))
                return entry_syserr(u, -errno, "chown");
        return 0;
}

/* Extended attributes, best effort: a filesystem without user xattrs is not
 * a reason to fail. Overlay's own attributes are never taken from an
 * archive: they would change how the layer is merged. */
static int apply_xattrs(struct unpack *u, int fd, struct archive_entry *e)
{
        if (!(u->flags & CC_LAYER_XATTRS) || archive_entry_xattr_reset(e) == 0)
                return 0;
        const char *name;
        const void *val;
        size_t sz;
        while (archive_entry_xattr_next(e, &name, &val, &sz) == ARCHIVE_OK) {
                if (!name || !*name || cc_startswith(name, "trusted.overlay.") ||
                    strcmp(name, "security.selinux") == 0)
                        continue;
                if (fsetxattr(fd, name, val, sz, 0) < 0 &&
                    (errno == ENOSPC || errno == EDQUOT || errno == EIO))
                        return entry_syserr(u, -errno, "set xattr");
        }
        return 0;
}

static void defer_dir(struct unpack *u, const char *path, mode_t mode, struct archive_entry *e)
{
        if (u->ndirs == u->capdirs) {
                u->capdirs = u->capdirs ? u->capdirs * 2 : 64;
                u->dirs = cc_xrealloc(u->dirs, u->capdirs * sizeof(*u->dirs));
        }
        struct dir_meta *d = &u->dirs[u->ndirs++];
        d->path = cc_xstrdup(path);
        d->mode = mode;
        entry_times(e, d->times);
}

/* Directory modes and times are applied last: creating the children
 * changes a directory's mtime, and a read-only directory must stay
 * writable until its children are in. */
static int apply_dirs(struct unpack *u)
{
        for (size_t i = 0; i < u->ndirs; i++) {
                struct dir_meta *d = &u->dirs[i];
                int fd = cc_open_dir_beneath(u->rootfd, d->path);
                if (fd < 0)
                        continue; /* replaced by a later entry */
                if (fchmod(fd, d->mode) < 0 || futimens(fd, d->times) < 0) {
                        int r = -errno;
                        close(fd);
                        return cc_error_setsys(u->err, r, "layer directory \"%s\": set mode and times",
                                               d->path);
                }
                close(fd);
        }
        return 0;
}

static int write_data(struct unpack *u, struct archive *a, int fd)
{
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;
                int r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return cc_error_set(u->err, -EINVAL, "layer entry \"%s\": malformed archive: %s",
                                            u->entry, archive_error_string(a));
                const char *p = buf;
                while (len > 0) {
                        ssize_t n = pwrite(fd, p, len, (off_t) off);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return entry_syserr(u, -errno, "write");
                        }
                        p += n;
                        len -= (size_t) n;
                        off += n;
                }
        }
}

static int unpack_file(struct unpack *u, struct archive *a, struct archive_entry *e, int pfd,
                       const char *base)
{
        int r = clear_name(u, pfd, base, false);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return entry_syserr(u, -errno, "create");
        r = write_data(u, a, fd);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return entry_syserr(u, -errno, "stat");
        /* Queue the data for the disk now, while the rest of the layer
         * unpacks: the caller's sync at the end then mostly finds it
         * written. Asynchronous; it neither waits nor makes anything
         * durable by itself. */
        if ((u->flags & CC_LAYER_WRITEBACK) && st.st_size > 0)
                sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        la_int64_t size = archive_entry_size(e);
        if (archive_entry_size_is_set(e) && size > st.st_size && ftruncate(fd, (off_t) size) < 0)
                return entry_syserr(u, -errno, "extend sparse file");
        u->size += (uint64_t) (size > st.st_size ? size : st.st_size);
        struct timespec ts[2];
        entry_times(e, ts);
        if ((r = apply_owner(u, fd, -1, NULL, e)) < 0)
                return r;
        if (fchmod(fd, entry_perm(u, e, false)) < 0)
                return entry_syserr(u, -errno, "chmod");
        if ((r = apply_xattrs(u, fd, e)) < 0)
                return r;
        if (futimens(fd, ts) < 0)
                return entry_syserr(u, -errno, "set times");
        return 0;
}

static int unpack_dir(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
                      const char *path)
{
        int r = clear_name(u, pfd, base, true);
        if (r < 0)
                return r;
        if (r == 0 && mkdirat(pfd, base, 0700) < 0)
                return entry_syserr(u, -errno, "mkdir");
        if ((r = apply_owner(u, -1, pfd, base, e)) < 0)
                return r;
        if ((u->flags & CC_LAYER_XATTRS) && archive_entry_xattr_count(e) > 0) {
                _cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return entry_syserr(u, -errno, "open directory");
                if ((r = apply_xattrs(u, fd, e)) < 0)
                        return r;
        }
        defer_dir(u, path, entry_perm(u, e, true), e);
        return 0;
}

static int unpack_symlink(struct unpack *u, struct archive_entry *e, int pfd, const char *base)
{
        const char *target = archive_entry_symlink(e);
        if (!target)
                target = archive_entry_symlink_utf8(e);
        if (!target || !*target)
                return refuse(u, "symlink without a target");
        int r = clear_name(u, pfd, base, false);
        if (r < 0)
                return r;
        if (symlinkat(target, pfd, base) < 0)
                return entry_syserr(u, -errno, "symlink");
        if ((r = apply_owner(u, -1, pfd, base, e)) < 0)
                return r;
        struct timespec ts[2];
        entry_times(e, ts);
        if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_syserr(u, -errno, "set times");
        return 0;
}

static int unpack_special(struct unpack *u, struct archive_entry *e, int pfd, const char *base)
{
        if (!(u->flags & CC_LAYER_SPECIAL))
                return 0;
        mode_t type = archive_entry_filetype(e);
        int r = clear_name(u, pfd, base, false);
        if (r < 0)
                return r;
        dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
        if (mknodat(pfd, base, type | 0600, dev) < 0)
                return entry_syserr(u, -errno, "mknod");
        if ((r = apply_owner(u, -1, pfd, base, e)) < 0)
                return r;
        /* Just created by us in a directory only we write to: no symlink
         * can be there, so the path-based calls are safe. */
        if (fchmodat(pfd, base, entry_perm(u, e, false), 0) < 0)
                return entry_syserr(u, -errno, "chmod");
        struct timespec ts[2];
        entry_times(e, ts);
        if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_syserr(u, -errno, "set times");
        return 0;
}

static int unpack_hardlink(struct unpack *u, const char *target_raw, int pfd, const char *base,
                           const char *path)
{
        _cleanup_free_ char *target = NULL, *what = cc_xasprintf("hard link target \"%s\": ", target_raw);
        int r = clean_name(u, target_raw, what, &target);
        if (r < 0)
                return r;
        if (!*target)
                return refuse(u, "hard link to the layer root");
        if (strcmp(target, path) == 0)
                return 0; /* a link to itself: nothing to do */
        const char *tbase;
        _cleanup_free_ char *tdir = split_parent(target, &tbase);
        _cleanup_close_ int tfd = open_dir(u, tdir, false);
        if (tfd < 0)
                return tfd;
        r = clear_name(u, pfd, base, false);
        if (r < 0)
                return r;
        if (linkat(tfd, tbase, pfd, base, 0) < 0) {
                if (errno == ENOENT)
                        return refuse(u, "hard link target \"%s\" not found in the layer", target_raw);
                return entry_syserr(u, -errno, "hard link");
        }
        return 0;
}

/* ".wh.NAME" hides NAME of lower layers: overlayfs wants a 0/0 character
 * device. ".wh..wh..opq" makes its directory opaque. */
static int unpack_whiteout(struct unpack *u, struct archive_entry *e, int pfd, const char *base)
{
        if (strcmp(base, ".wh..wh..opq") == 0) {
                if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                        return entry_syserr(u, -errno, "set trusted.overlay.opaque");
                return 0;
        }
        if (cc_startswith(base, ".wh..wh."))
                return 0; /* aufs bookkeeping such as .wh..wh.plnk */
        const char *name = base + 4;
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return refuse(u, "invalid whiteout");
        int r = clear_name(u, pfd, name, false);
        if (r < 0)
                return r;
        if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
                return entry_syserr(u, -errno, "create whiteout device");
        return apply_owner(u, -1, pfd, name, e);
}

static int unpack_entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
        const char *raw = archive_entry_pathname(e);
        if (!raw)
                raw = archive_entry_pathname_utf8(e);
        u->entry = raw ? raw : "";
        _cleanup_free_ char *path = NULL;
        int r = clean_name(u, raw, "", &path);
        if (r < 0)
                return r;
        const char *hardlink = archive_entry_hardlink(e);
        if (!hardlink)
                hardlink = archive_entry_hardlink_utf8(e);
        mode_t type = archive_entry_filetype(e);

        if (!*path) {
                /* The root itself ("./"): only its metadata. */
                if (hardlink || type != AE_IFDIR)
                        return refuse(u, "the layer root must be a directory");
                if (!(u->flags & CC_LAYER_OWNERS))
                        return 0;
                if ((r = apply_owner(u, u->rootfd, -1, NULL, e)) < 0)
                        return r;
                defer_dir(u, "", entry_perm(u, e, true), e);
                return 0;
        }

        const char *base;
        _cleanup_free_ char *dir = split_parent(path, &base);
        int pfd = parent_fd(u, dir);
        if (pfd < 0)
                return pfd;
        if ((u->flags & CC_LAYER_WHITEOUTS) && cc_startswith(base, ".wh."))
                return unpack_whiteout(u, e, pfd, base);
        if (hardlink)
                return unpack_hardlink(u, hardlink, pfd, base, path);
        switch (type) {
        case AE_IFREG:
                return unpack_file(u, a, e, pfd, base);
        case AE_IFDIR:
                return unpack_dir(u, e, pfd, base, path);
        case AE_IFLNK:
                return unpack_symlink(u, e, pfd, base);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return unpack_special(u, e, pfd, base);
        case AE_IFSOCK:
                return 0;
        default:
                return refuse(u, "unsupported entry type 0%o", (unsigned) type);
        }
}

static la_ssize_t stream_read(struct archive *a, void *data, const void **buf)
{
        struct stream *s = data;
        *buf = s->buf;
        if (s->eof)
                return 0;
        la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof(s->buf));
        if (n < 0) {
                archive_set_error(a, EINVAL, "%s", archive_error_string(s->outer));
                return -1;
        }
        if (n == 0)
                s->eof = true;
        cc_sha256_update(&s->hash, s->buf, (size_t) n);
        return n;
}

static const char *filter_name(int code)
{
        switch (code) {
        case ARCHIVE_FILTER_GZIP: return "gzip";
        case ARCHIVE_FILTER_ZSTD: return "zstd";
        case ARCHIVE_FILTER_XZ: return "xz";
        case ARCHIVE_FILTER_BZIP2: return "bzip2";
        default: return NULL;
        }
}

/* Only in-process decompressors: never an external program for input that
 * is not trusted. */
static struct archive *outer_new(void)
{
        struct archive *a = archive_read_new();
        if (!a) {
                fputs("ccompose: out of memory\n", stderr);
                abort();
        }
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_format_raw(a);
        return a;
}

static int read_entries(struct unpack *u, struct archive *in, int destfd, struct cc_layer_info *info)
{
        for (;;) {
                struct archive_entry *e;
                int r = archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return cc_error_set(u->err, -EINVAL, "malformed archive: %s",
                                            archive_error_string(in) ? archive_error_string(in)
                                                                     : "unreadable entry");
                info->entries++;
                if (destfd < 0)
                        continue;
                r = unpack_entry(u, in, e);
                if (r < 0)
                        return r;
        }
}

/* outer: opened, or NULL for an empty input. */
static int unpack_stream(struct archive *outer, int destfd, unsigned flags, struct cc_layer_info *info,
                         struct cc_error *err)
{
        struct cc_layer_info tmp;
        if (!info)
                info = &tmp;
        memset(info, 0, sizeof(*info));
        struct unpack u = {
                .rootfd = destfd,
                .flags = flags,
                .privileged = geteuid() == 0,
                .err = err,
                .entry = "",
                .cache_fd = -1,
        };
        struct stream *s = cc_xcalloc(1, sizeof(*s));
        s->outer = outer;
        cc_sha256_init(&s->hash);
        int r = 0;
        struct archive *in = NULL;
        if (!outer) {
                s->eof = true;
        } else {
                struct archive_entry *oe;
                r = archive_read_next_header(outer, &oe);
                if (r == ARCHIVE_EOF) {
                        s->eof = true;
                        r = 0;
                } else if (r < ARCHIVE_WARN) {
                        r = cc_error_set(err, -EINVAL, "malformed archive: %s", archive_error_string(outer));
                        goto out;
                }
                r = 0;
                info->compression = filter_name(archive_filter_code(outer, 0));
        }
        if (!s->eof) {
                in = archive_read_new();
                archive_read_support_format_tar(in);
                archive_read_support_format_empty(in);
                if (archive_read_open(in, s, NULL, stream_read, NULL) != ARCHIVE_OK) {
                        r = cc_error_set(err, -EINVAL, "malformed archive: %s", archive_error_string(in));
                        goto out;
                }
                r = read_entries(&u, in, destfd, info);
                if (r < 0)
                        goto out;
                /* The diff-id covers the whole stream, padding included. */
                const void *dummy;
                for (;;) {
                        la_ssize_t n = stream_read(in, s, &dummy);
                        if (n == 0)
                                break;
                        if (n < 0) {
                                r = cc_error_set(err, -EINVAL, "malformed archive: %s",
                                                 archive_error_string(in));
                                goto out;
                        }
                }
        }
        if (destfd >= 0 && (r = apply_dirs(&u)) < 0)
                goto out;
        info->size = u.size;
        cc_sha256_final(&s->hash, info->diff_id);
out:
        if (s->hash.ctx)
                cc_sha256_abort(&s->hash);
        if (in)
                archive_read_free(in);
        free(s);
        if (u.cache_fd >= 0)
                close(u.cache_fd);
        free(u.cache_path);
        for (size_t i = 0; i < u.ndirs; i++)
                free(u.dirs[i].path);
        free(u.dirs);
        return r;
}

int cc_layer_unpack_fd(int srcfd, int destfd, unsigned flags, struct cc_layer_info *info,
                       struct cc_error *err)
{
        struct stat st;
        if (fstat(srcfd, &st) < 0)
                return cc_error_setsys(err, -errno, "stat layer");
        off_t pos = lseek(srcfd, 0, SEEK_CUR);
        if (S_ISREG(st.st_mode) && pos >= 0 && st.st_size == pos)
                return unpack_stream(NULL, destfd, flags, info, err);
        struct archive *outer = outer_new();
        int r;
        if (archive_read_open_fd(outer, srcfd, 65536) != ARCHIVE_OK)
                r = cc_error_set(err, -EINVAL, "malformed archive: %s", archive_error_string(outer));
        else
                r = unpack_stream(outer, destfd, flags, info, err);
        archive_read_free(outer);
        return r;
}

int cc_layer_unpack_mem(const void *buf, size_t len, int destfd, unsigned flags,
                        struct cc_layer_info *info, struct cc_error *err)
{
        if (len == 0)
                return unpack_stream(NULL, destfd, flags, info, err);
        struct archive *outer = outer_new();
        int r;
        if (archive_read_open_memory(outer, buf, len) != ARCHIVE_OK)
                r = cc_error_set(err, -EINVAL, "malformed archive: %s", archive_error_string(outer));
        else
                r = unpack_stream(outer, destfd, flags, info, err);
        archive_read_free(outer);
        return r;
}
