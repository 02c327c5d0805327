/* The digests of a build context's files by their stat (build-hashes.h).
 * The file: a line "ccompose-file-hashes 1 <sha256 of the rest>", then a
 * line per file: dev ino size mtime ctime mode digest path. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>

#include "build-hashes.h"

#define HEADER "ccompose-file-hashes 1 "
#define MAX_FILE (256u << 20)

static uint64_t fnv(const char *s)
{
        uint64_t h = 1469598103934665603ull;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ull;
        return h;
}

/* The slot of rel: its record's, or the free one where it would go. */
static size_t *slot(const struct cc_file_hashes *h, const char *rel)
{
        size_t mask = h->nslots - 1;
        for (size_t i = (size_t) fnv(rel) & mask;; i = (i + 1) & mask)
                if (!h->slots[i] || cc_streq(h->v[h->slots[i] - 1].rel, rel))
                        return &h->slots[i];
}

static void grow(struct cc_file_hashes *h)
{
        if (h->nslots && (h->n + 1) * 2 <= h->nslots)
                return;
        free(h->slots);
        h->nslots = h->nslots ? h->nslots * 2 : 1024;
        h->slots = cc_xmalloc(h->nslots * sizeof(*h->slots));
        memset(h->slots, 0, h->nslots * sizeof(*h->slots));
        for (size_t i = 0; i < h->n; i++)
                *slot(h, h->v[i].rel) = i + 1;
}

/* Add e (its rel owned) or replace the record of its path. */
static void insert(struct cc_file_hashes *h, struct cc_file_hash *e)
{
        grow(h);
        size_t *s = slot(h, e->rel);
        if (*s) {
                struct cc_file_hash *old = &h->v[*s - 1];
                free(old->rel);
                *old = *e;
                return;
        }
        if ((h->n & (h->n - 1)) == 0) /* 0, 1, 2, 4, ...: room for twice as many */
                h->v = cc_xrealloc(h->v, (h->n ? h->n * 2 : 1) * sizeof(*h->v));
        h->v[h->n] = *e;
        *s = ++h->n;
}

static void from_stat(struct cc_file_hash *e, const struct stat *st)
{
        e->dev = (uint64_t) st->st_dev;
        e->ino = (uint64_t) st->st_ino;
        e->size = (uint64_t) st->st_size;
        e->mtime_s = (int64_t) st->st_mtim.tv_sec;
        e->mtime_ns = st->st_mtim.tv_nsec;
        e->ctime_s = (int64_t) st->st_ctim.tv_sec;
        e->ctime_ns = st->st_ctim.tv_nsec;
        e->mode = (unsigned) st->st_mode;
}

/* One record line (without its newline) into e; false when malformed. */
static bool parse_line(char *line, struct cc_file_hash *e)
{
        char *p = line, *end;
        uint64_t u[3];
        for (int i = 0; i < 3; i++) {
                errno = 0;
                u[i] = strtoull(p, &end, 10);
                if (errno || end == p || *end != ' ')
                        return false;
                p = end + 1;
        }
        int64_t s[2];
        long ns[2];
        for (int i = 0; i < 2; i++) {
                errno = 0;
                s[i] = strtoll(p, &end, 10);
                if (errno || end == p || *end != '.')
                        return false;
                p = end + 1;
                ns[i] = strtol(p, &end, 10);
                if (end == p || *end != ' ' || ns[i] < 0 || ns[i] > 999999999)
                        return false;
                p = end + 1;
        }
        unsigned long mode = strtoul(p, &end, 8);
        if (end == p || *end != ' ' || mode > 0xffffffffu)
                return false;
        p = end + 1;
        if (strlen(p) < CC_DIGEST_LEN + 2 || p[CC_DIGEST_LEN] != ' ')
                return false;
        p[CC_DIGEST_LEN] = '\0';
        if (!cc_digest_valid(p))
                return false;
        *e = (struct cc_file_hash){.dev = u[0], .ino = u[1], .size = u[2], .mtime_s = s[0], .mtime_ns = ns[0],
                                   .ctime_s = s[1], .ctime_ns = ns[1], .mode = (unsigned) mode, .keep = true};
        memcpy(e->digest, p, CC_DIGEST_LEN + 1);
        e->rel = cc_xstrdup(p + CC_DIGEST_LEN + 1);
        return true;
}

void cc_file_hashes_load(struct cc_file_hashes *h, const char *path, time_t now)
{
        *h = (struct cc_file_hashes){.path = cc_xstrdup(path), .recent = now - 2};
        grow(h);
        struct stat st;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size > MAX_FILE ||
            cc_read_file(path, &data, &len) < 0)
                return;
        char *nl = memchr(data, '\n', len);
        size_t hlen = strlen(HEADER);
        if (!nl || (size_t) (nl - data) != hlen + CC_DIGEST_LEN || strncmp(data, HEADER, hlen) != 0)
                return;
        char *body = nl + 1, want[CC_DIGEST_LEN + 1];
        size_t blen = len - (size_t) (body - data);
        cc_sha256_digest(body, blen, want);
        if (memcmp(data + hlen, want, CC_DIGEST_LEN) != 0 || memchr(body, '\0', blen))
                return; /* torn, or not ours */
        for (char *line = body; line < data + len;) {
                char *eol = memchr(line, '\n', (size_t) (data + len - line));
                if (!eol)
                        break;
                *eol = '\0';
                struct cc_file_hash e;
                if (parse_line(line, &e))
                        insert(h, &e);
                line = eol + 1;
        }
}

const char *cc_file_hashes_get(const struct cc_file_hashes *h, const char *rel, const struct stat *st)
{
        if (!h->nslots)
                return NULL;
        size_t i = *slot(h, rel);
        if (!i)
                return NULL;
        const struct cc_file_hash *e = &h->v[i - 1];
        struct cc_file_hash now;
        from_stat(&now, st);
        bool same = e->dev == now.dev && e->ino == now.ino && e->size == now.size && e->mode == now.mode &&
                    e->mtime_s == now.mtime_s && e->mtime_ns == now.mtime_ns && e->ctime_s == now.ctime_s &&
                    e->ctime_ns == now.ctime_ns;
        return same ? e->digest : NULL;
}

void cc_file_hashes_put(struct cc_file_hashes *h, const char *rel, const struct stat *st, const char *digest)
{
        if (!h->nslots || !cc_digest_valid(digest))
                return;
        struct cc_file_hash e;
        from_stat(&e, st);
        memcpy(e.digest, digest, CC_DIGEST_LEN + 1);
        e.keep = st->st_mtim.tv_sec < h->recent && st->st_ctim.tv_sec < h->recent && !strchr(rel, '\n');
        e.rel = cc_xstrdup(rel);
        h->dirty = h->dirty || e.keep;
        insert(h, &e);
}

/* A tree's record is "/" + the chain's hex + dest (a context path never
 * starts with "/"). */
static char *tree_key(const char *chain, const char *dest)
{
        return cc_xasprintf("/%s%s", cc_digest_hex(chain), dest);
}

const char *cc_file_hashes_get_tree(struct cc_file_hashes *h, const char *chain, const char *dest)
{
        if (!h->nslots || !cc_digest_valid(chain) || dest[0] != '/')
                return NULL;
        _cleanup_free_ char *key = tree_key(chain, dest);
        size_t i = *slot(h, key);
        if (!i)
                return NULL;
        h->v[i - 1].used = true;
        return h->v[i - 1].digest;
}

void cc_file_hashes_put_tree(struct cc_file_hashes *h, const char *chain, const struct cc_strv *staged)
{
        if (!h->nslots || !cc_digest_valid(chain))
                return;
        for (size_t i = 0; i < staged->n; i++) {
                const char *line = staged->v[i];
                if (strlen(line) < CC_DIGEST_LEN + 2 || line[CC_DIGEST_LEN] != ' ' ||
                    line[CC_DIGEST_LEN + 1] != '/' || strchr(line, '\n'))
                        continue;
                struct cc_file_hash e = {.keep = true, .used = true};
                memcpy(e.digest, line, CC_DIGEST_LEN);
                e.digest[CC_DIGEST_LEN] = '\0';
                if (!cc_digest_valid(e.digest))
                        continue;
                e.rel = tree_key(chain, line + CC_DIGEST_LEN + 1);
                insert(h, &e);
                h->dirty = true;
        }
}

/* path replaced by data, not synced. */
static int write_replace(const char *path, const char *data, size_t len)
{
        _cleanup_free_ char *tmp = cc_xasprintf("%s.tmp.%d", path, (int) getpid());
        unlink(tmp);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = -errno;
                        unlink(tmp);
                        return e;
                }
                off += (size_t) n;
        }
        if (rename(tmp, path) < 0) {
                int e = -errno;
                unlink(tmp);
                return e;
        }
        return 0;
}

int cc_file_hashes_save(struct cc_file_hashes *h, struct cc_error *err)
{
        if (!h->dirty)
                return 0;
        struct cc_buf body = {0};
        for (size_t i = 0; i < h->n; i++) {
                const struct cc_file_hash *e = &h->v[i];
                if (!e->keep || (e->rel[0] == '/' && !e->used))
                        continue;
                cc_buf_printf(&body, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 ".%09ld %" PRId64 ".%09ld %o %s %s\n",
                              e->dev, e->ino, e->size, e->mtime_s, e->mtime_ns, e->ctime_s, e->ctime_ns, e->mode,
                              e->digest, e->rel);
        }
        char digest[CC_DIGEST_LEN + 1];
        cc_sha256_digest(body.s ? body.s : "", body.len, digest);
        struct cc_buf out = {0};
        cc_buf_printf(&out, "%s%s\n", HEADER, digest);
        if (body.len)
                cc_buf_add(&out, body.s, body.len);
        cc_buf_free(&body);
        _cleanup_free_ char *dir = cc_xstrdup(h->path);
        *strrchr(dir, '/') = '\0';
        int r = cc_mkdir_p(dir, 0700);
        if (r == 0)
                r = write_replace(h->path, out.s, out.len);
        cc_buf_free(&out);
        if (r < 0)
                return cc_error_setsys(err, r, "write %s", h->path);
        h->dirty = false;
        return 0;
}

void cc_file_hashes_free(struct cc_file_hashes *h)
{
        for (size_t i = 0; i < h->n; i++)
                free(h->v[i].rel);
        free(h->v);
        free(h->slots);
        free(h->path);
        *h = (struct cc_file_hashes){0};
}
