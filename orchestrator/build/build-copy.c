/* COPY: context files -> a staging tree and a content hash. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "build-copy.h"
#include "image-digest.h"

struct copier {
        const struct cc_build_copy *c;
        int stagefd;
        struct cc_sha256 hash;
        bool exceptions; /* the ignore file has "!" patterns: look inside ignored directories */
        struct cc_error *err;
};

/* Record one entry in the hash: its destination, type and mode, owner,
 * and a content part (file data digest or link target). */
static void hash_entry(struct copier *cp, const char *dest, const struct stat *st, const char *content)
{
        _cleanup_free_ char *rec = cc_xasprintf("%s%c%o%c%u:%u%c%s", dest, 0, (unsigned) st->st_mode, 0,
                                                cp->c->chown ? cp->c->uid : 0, cp->c->chown ? cp->c->gid : 0, 0,
                                                content ? content : "");
        size_t len = strlen(dest) + 1;
        len += strlen(rec + len) + 1;
        len += strlen(rec + len) + 1;
        len += strlen(rec + len) + 1;
        cc_sha256_update(&cp->hash, rec, len);
}

static bool ignored(struct copier *cp, const char *rel)
{
        return cp->c->ignore && *rel && cc_dockerignore_excludes(cp->c->ignore, rel);
}

/* mkdir -p of dest's parents in the staging tree (0755 root). */
static int make_parents(struct copier *cp, const char *dest)
{
        if (cp->stagefd < 0)
                return 0;
        _cleanup_free_ char *p = cc_xstrdup(dest + 1);
        for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdirat(cp->stagefd, p, 0755) < 0 && errno != EEXIST)
                        return cc_error_setsys(cp->err, -errno, "create %s", p);
                *s = '/';
        }
        return 0;
}

static int set_owner_mode(struct copier *cp, const char *dest, const struct stat *st)
{
        uid_t u = cp->c->chown ? cp->c->uid : 0;
        gid_t g = cp->c->chown ? cp->c->gid : 0;
        if (geteuid() == 0 && fchownat(cp->stagefd, dest + 1, u, g, AT_SYMLINK_NOFOLLOW) < 0)
                return cc_error_setsys(cp->err, -errno, "chown %s", dest);
        if (!S_ISLNK(st->st_mode) && fchmodat(cp->stagefd, dest + 1, st->st_mode & 07777, 0) < 0)
                return cc_error_setsys(cp->err, -errno, "chmod %s", dest);
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        utimensat(cp->stagefd, dest + 1, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
}

/* A regular file's owner, mode and times, on its open descriptor (no
 * path walks: a COPY of many small files is mostly these calls). */
static int set_owner_mode_fd(struct copier *cp, int fd, const char *dest, const struct stat *st)
{
        uid_t u = cp->c->chown ? cp->c->uid : 0;
        gid_t g = cp->c->chown ? cp->c->gid : 0;
        if (geteuid() == 0 && (u != 0 || g != 0) && fchown(fd, u, g) < 0)
                return cc_error_setsys(cp->err, -errno, "chown %s", dest);
        if (fchmod(fd, st->st_mode & 07777) < 0)
                return cc_error_setsys(cp->err, -errno, "chmod %s", dest);
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        futimens(fd, ts);
        return 0;
}

static int copy_data(struct copier *cp, int in, const char *dest, const struct stat *st, char *digest)
{
        struct cc_sha256 h;
        cc_sha256_init(&h);
        int out = -1;
        if (cp->stagefd >= 0) {
                /* a new tree of root's: created 0:0 already */
                out = openat(cp->stagefd, dest + 1, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0) {
                        cc_sha256_abort(&h);
                        return cc_error_setsys(cp->err, -errno, "create %s", dest);
                }
        }
        char buf[65536];
        ssize_t n;
        int r = 0;
        while ((n = read(in, buf, sizeof(buf))) > 0 && r == 0) {
                cc_sha256_update(&h, buf, (size_t) n);
                if (out >= 0 && write(out, buf, (size_t) n) != n)
                        r = cc_error_setsys(cp->err, -errno, "write %s", dest);
        }
        if (n < 0 && r == 0)
                r = cc_error_setsys(cp->err, -errno, "read for %s", dest);
        if (out >= 0 && r == 0)
                r = set_owner_mode_fd(cp, out, dest, st);
        if (out >= 0)
                close(out);
        if (r < 0) {
                cc_sha256_abort(&h);
                return r;
        }
        cc_sha256_final(&h, digest);
        return 0;
}

static int copy_tree(struct copier *cp, int dirfd, const char *rel, const char *dest);

/* The digest of the data of regular file name of dirfd. */
static int file_digest(int dirfd, const char *name, char *digest)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct cc_sha256 h;
        cc_sha256_init(&h);
        char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                cc_sha256_update(&h, buf, (size_t) n);
        if (n < 0) {
                int e = -errno;
                cc_sha256_abort(&h);
                return e;
        }
        cc_sha256_final(&h, digest);
        return 0;
}

/* The same file in the tree this COPY made last time: linked, not copied.
 * The same size, mtime, mode and owner are not enough (a file rewritten
 * in place and its mtime put back has them): the data must be the same,
 * by digest (the source's from this build's hashing when its stat is
 * still the one hashed). */
static bool link_previous(struct copier *cp, int dirfd, const char *name, const char *rel, const char *dest,
                          const struct stat *orig, const struct stat *src, char *digest)
{
        struct stat old;
        if (cp->c->prevfd <= 0 || fstatat(cp->c->prevfd, dest + 1, &old, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        uid_t u = cp->c->chown ? cp->c->uid : 0;
        gid_t g = cp->c->chown ? cp->c->gid : 0;
        if (!S_ISREG(old.st_mode) || old.st_size != src->st_size || old.st_mtim.tv_sec != src->st_mtim.tv_sec ||
            old.st_mtim.tv_nsec != src->st_mtim.tv_nsec || (old.st_mode & 07777) != (src->st_mode & 07777) ||
            old.st_uid != u || old.st_gid != g)
                return false;
        char have[CC_DIGEST_LEN + 1];
        const char *known = cp->c->hashes ? cc_file_hashes_get(cp->c->hashes, rel, orig) : NULL;
        if (known)
                strcpy(digest, known);
        else if (file_digest(dirfd, name, digest) < 0)
                return false;
        /* the previous tree's (a layer of the store: its chain names its data) */
        const char *prev = cp->c->hashes && cp->c->prev_chain
                                   ? cc_file_hashes_get_tree(cp->c->hashes, cp->c->prev_chain, dest)
                                   : NULL;
        if (!prev && file_digest(cp->c->prevfd, dest + 1, have) < 0)
                return false;
        if (!cc_streq(prev ? prev : have, digest))
                return false;
        return linkat(cp->c->prevfd, dest + 1, cp->stagefd, dest + 1, 0) == 0;
}

/* What the staged tree holds: dest's digest, for cc_file_hashes_put_tree. */
static void staged(struct copier *cp, const char *dest, const char *digest)
{
        if (cp->c->staged)
                cc_strv_push_owned(cp->c->staged, cc_xasprintf("%s %s", digest, dest));
}

/* One entry name of dirfd (context path rel) to dest. */
static int copy_entry(struct copier *cp, int dirfd, const char *name, const char *rel, const char *dest)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return cc_error_setsys(cp->err, -errno, "%s", rel);
        if (ignored(cp, rel) && !(S_ISDIR(st.st_mode) && cp->exceptions))
                return 0;
        const struct stat orig = st;
        if (cp->c->chmod > 0 && !S_ISLNK(st.st_mode))
                st.st_mode = (st.st_mode & S_IFMT) | (mode_t) cp->c->chmod;
        int r = 0;
        if (S_ISDIR(st.st_mode)) {
                hash_entry(cp, dest, &st, NULL);
                if (cp->stagefd >= 0 && !cc_streq(dest, "/") && mkdirat(cp->stagefd, dest + 1, 0755) < 0 &&
                    errno != EEXIST)
                        return cc_error_setsys(cp->err, -errno, "create %s", dest);
                int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return cc_error_setsys(cp->err, -errno, "open %s", rel);
                r = copy_tree(cp, fd, rel, dest);
                close(fd);
        } else if (S_ISLNK(st.st_mode)) {
                char target[4097];
                ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return cc_error_setsys(cp->err, -errno, "readlink %s", rel);
                target[n] = '\0';
                hash_entry(cp, dest, &st, target);
                if (cp->stagefd >= 0 && symlinkat(target, cp->stagefd, dest + 1) < 0)
                        return cc_error_setsys(cp->err, -errno, "create %s", dest);
        } else if (S_ISREG(st.st_mode)) {
                char digest[CC_DIGEST_LEN + 1];
                if (cp->stagefd >= 0 && link_previous(cp, dirfd, name, rel, dest, &orig, &st, digest)) {
                        staged(cp, dest, digest);
                        return 0;
                }
                const char *known = cp->stagefd < 0 && cp->c->hashes ? cc_file_hashes_get(cp->c->hashes, rel, &orig)
                                                                      : NULL;
                if (known) {
                        hash_entry(cp, dest, &st, known);
                        return 0;
                }
                int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return cc_error_setsys(cp->err, -errno, "open %s", rel);
                r = copy_data(cp, fd, dest, &st, digest);
                close(fd);
                if (r == 0)
                        hash_entry(cp, dest, &st, digest);
                if (r == 0 && cp->c->hashes)
                        cc_file_hashes_put(cp->c->hashes, rel, &orig, digest);
                if (r == 0 && cp->stagefd >= 0)
                        staged(cp, dest, digest);
                return r; /* owner, mode and times set on the descriptor */
        } else {
                return 0; /* devices, fifos, sockets of a context are not copied */
        }
        if (r == 0 && cp->stagefd >= 0 && !cc_streq(dest, "/"))
                r = set_owner_mode(cp, dest, &st);
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

/* Names in directory fd matching pattern (all with NULL), sorted. */
static int list_dir(int fd, const char *pattern, struct cc_strv *out)
{
        _cleanup_free_ char *self = cc_xasprintf("/proc/self/fd/%d", fd);
        struct dirent **ents;
        int n = scandir(self, &ents, skip_dots, by_name);
        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                if (!pattern || fnmatch(pattern, ents[i]->d_name, 0) == 0)
                        cc_strv_push(out, ents[i]->d_name);
                free(ents[i]);
        }
        free(ents);
        return 0;
}

/* The contents of directory dirfd (context path rel) into dest. */
static int copy_tree(struct copier *cp, int dirfd, const char *rel, const char *dest)
{
        struct cc_strv names = {0};
        int r = list_dir(dirfd, NULL, &names);
        if (r < 0)
                return cc_error_setsys(cp->err, r, "read directory %s", *rel ? rel : ".");
        for (size_t i = 0; i < names.n && r == 0; i++) {
                _cleanup_free_ char *crel = *rel ? cc_path_join(rel, names.v[i]) : cc_xstrdup(names.v[i]);
                _cleanup_free_ char *cdest = cc_path_join(dest, names.v[i]);
                r = copy_entry(cp, dirfd, names.v[i], crel, cdest);
        }
        cc_strv_free(&names);
        return r;
}

/* One source of the instruction: its matches copied to dest (a
 * directory when into_dir). */
static int copy_source(struct copier *cp, const char *src, bool into_dir, const char *dest, size_t *copied)
{
        _cleanup_free_ char *clean = cc_path_clean(*src ? src : ".");
        const char *rel = clean;
        while (*rel == '/')
                rel++;
        if (cc_streq(rel, "..") || cc_startswith(rel, "../"))
                return cc_error_set(cp->err, -EINVAL, "%s: outside of the build context", src);
        if (!*rel)
                rel = ".";
        const char *slash = strrchr(rel, '/');
        _cleanup_free_ char *dir = slash ? cc_xstrndup(rel, (size_t) (slash - rel)) : cc_xstrdup(".");
        const char *base = slash ? slash + 1 : rel;
        if (cc_streq(rel, ".")) {
                /* the whole context: its contents into dest */
                _cleanup_free_ char *inside = cc_path_join(dest, "x");
                (*copied)++;
                int r = make_parents(cp, inside);
                return r < 0 ? r : copy_tree(cp, cp->c->srcfd, "", dest);
        }
        int dfd = cc_streq(dir, ".") ? dup(cp->c->srcfd)
                                     : openat(cp->c->srcfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return cc_error_set(cp->err, -ENOENT, "%s: not found", src);
        struct cc_strv names = {0};
        int r = list_dir(dfd, base, &names);
        size_t before = *copied;
        for (size_t i = 0; r >= 0 && i < names.n; i++) {
                _cleanup_free_ char *crel = cc_streq(dir, ".") ? cc_xstrdup(names.v[i]) : cc_path_join(dir, names.v[i]);
                struct stat st;
                if (ignored(cp, crel) || fstatat(dfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                (*copied)++;
                /* --parents: the match's path from the context below dest */
                _cleanup_free_ char *kept = cp->c->parents ? cc_path_join(dest, crel) : NULL;
                if (S_ISDIR(st.st_mode)) {
                        /* a directory's contents go into dest */
                        _cleanup_free_ char *inside = cc_path_join(kept ? kept : dest, "x");
                        int fd = openat(dfd, names.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                r = cc_error_setsys(cp->err, -errno, "open %s", crel);
                        else if ((r = make_parents(cp, inside)) == 0)
                                r = copy_tree(cp, fd, crel, kept ? kept : dest);
                        if (fd >= 0)
                                close(fd);
                } else {
                        _cleanup_free_ char *to = kept ? cc_xstrdup(kept)
                                                  : into_dir ? cc_path_join(dest, names.v[i]) : cc_xstrdup(dest);
                        r = make_parents(cp, to);
                        if (r == 0)
                                r = copy_entry(cp, dfd, names.v[i], crel, to);
                }
        }
        cc_strv_free(&names);
        close(dfd);
        if (r == 0 && *copied == before)
                r = cc_error_set(cp->err, -ENOENT, "%s: not found", src);
        return r;
}

int cc_build_copy_run(const struct cc_build_copy *c, int stagefd, char *digest_out, struct cc_error *err)
{
        struct copier cp = {.c = c, .stagefd = stagefd, .err = err};
        for (size_t i = 0; c->ignore && i < c->ignore->n; i++)
                cp.exceptions = cp.exceptions || c->ignore->pats[i].exception;
        cc_sha256_init(&cp.hash);
        _cleanup_free_ char *dest = cc_path_clean(c->dest);
        bool into_dir = cc_endswith(c->dest, "/") || c->srcs->n > 1;
        int r = 0;
        size_t copied = 0;
        for (size_t i = 0; r == 0 && i < c->srcs->n; i++)
                r = copy_source(&cp, c->srcs->v[i], into_dir, dest, &copied);
        if (r < 0) {
                cc_sha256_abort(&cp.hash);
                return r;
        }
        cc_sha256_final(&cp.hash, digest_out);
        return 0;
}
