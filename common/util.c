#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cc-error.h"
#include "cc-util.h"

static void cc__oom(void)
{
        fputs("ccompose: out of memory\n", stderr);
        abort();
}

void *cc_xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                cc__oom();
        return p;
}

void *cc_xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                cc__oom();
        return p;
}

void *cc_xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                cc__oom();
        return p;
}

char *cc_xstrdup(const char *s)
{
        return cc_xstrndup(s, strlen(s));
}

char *cc_xstrndup(const char *s, size_t n)
{
        char *p = cc_xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *cc_xasprintf(const char *fmt, ...)
{
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        return cc_buf_steal(&b);
}

bool cc_endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static void cc__buf_grow(struct cc_buf *b, size_t extra)
{
        if (b->len + extra + 1 <= b->cap)
                return;
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + extra + 1)
                cap *= 2;
        b->s = cc_xrealloc(b->s, cap);
        b->cap = cap;
}

void cc_buf_add(struct cc_buf *b, const char *s, size_t n)
{
        cc__buf_grow(b, n);
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

void cc_buf_puts(struct cc_buf *b, const char *s)
{
        cc_buf_add(b, s, strlen(s));
}

void cc_buf_putc(struct cc_buf *b, char c)
{
        cc_buf_add(b, &c, 1);
}

void cc_buf_vprintf(struct cc_buf *b, const char *fmt, va_list ap)
{
        /* formatted once when the text fits the buffer's room, or else a
         * stack buffer (most texts are short); again only when it fits
         * neither */
        char tmp[256];
        size_t room = b->cap - b->len;
        bool in_place = room > sizeof(tmp);
        va_list aq;
        va_copy(aq, ap);
        int n = vsnprintf(in_place ? b->s + b->len : tmp, in_place ? room : sizeof(tmp), fmt, aq);
        va_end(aq);
        if (n < 0) {
                if (in_place)
                        b->s[b->len] = '\0';
                return;
        }
        if ((size_t) n < (in_place ? room : sizeof(tmp))) {
                if (in_place)
                        b->len += (size_t) n;
                else
                        cc_buf_add(b, tmp, (size_t) n);
                return;
        }
        cc__buf_grow(b, (size_t) n);
        vsnprintf(b->s + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
}

void cc_buf_printf(struct cc_buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(b, fmt, ap);
        va_end(ap);
}

char *cc_buf_steal(struct cc_buf *b)
{
        char *s = b->s ? b->s : cc_xstrdup("");
        b->s = NULL;
        b->len = b->cap = 0;
        return s;
}

void cc_buf_free(struct cc_buf *b)
{
        free(b->s);
        b->s = NULL;
        b->len = b->cap = 0;
}

void cc_strv_push_owned(struct cc_strv *sv, char *s)
{
        if (sv->n + 2 > sv->cap) {
                sv->cap = sv->cap ? sv->cap * 2 : 8;
                sv->v = cc_xrealloc(sv->v, sv->cap * sizeof(char *));
        }
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
}

void cc_strv_push(struct cc_strv *sv, const char *s)
{
        cc_strv_push_owned(sv, cc_xstrdup(s));
}

bool cc_strv_contains(const struct cc_strv *sv, const char *s)
{
        for (size_t i = 0; i < sv->n; i++)
                if (strcmp(sv->v[i], s) == 0)
                        return true;
        return false;
}

void cc_strv_free(struct cc_strv *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        sv->v = NULL;
        sv->n = sv->cap = 0;
}

int cc_read_file(const char *path, char **out, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct cc_buf b = {0};
        char tmp[65536];
        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = -errno;
                        cc_buf_free(&b);
                        return e;
                }
                if (n == 0)
                        break;
                cc_buf_add(&b, tmp, (size_t) n);
        }
        if (len)
                *len = b.len;
        *out = cc_buf_steal(&b);
        return 0;
}

int cc_write_file_atomic(const char *path, const char *data, size_t len, int mode)
{
        return cc_write_file_atomic_sync(path, data, len, mode, true);
}

int cc_write_file_atomic_sync(const char *path, const char *data, size_t len, int mode, bool sync)
{
        _cleanup_free_ char *tmp = cc_xasprintf("%s.tmp.%d", path, (int) getpid());
        /* a new file, never through what is there (a symbolic link someone
         * put in its place, a leftover of a crash: removed first) */
        unlink(tmp);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        size_t off = 0;
        while (off < len) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = -errno;
                        close(fd);
                        unlink(tmp);
                        return e;
                }
                off += (size_t) n;
        }
        if ((sync && fsync(fd) < 0) || close(fd) < 0) {
                int e = -errno;
                unlink(tmp);
                return e;
        }
        if (rename(tmp, path) < 0) {
                int e = -errno;
                unlink(tmp);
                return e;
        }
        return 0;
}

int cc_mkdir_p(const char *path, int mode)
{
        _cleanup_free_ char *p = cc_xstrdup(path);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

char *cc_path_join(const char *dir, const char *name)
{
        if (name[0] == '/' || !dir || !*dir)
                return cc_path_clean(name);
        _cleanup_free_ char *j = cc_xasprintf("%s/%s", dir, name);
        return cc_path_clean(j);
}

char *cc_path_clean(const char *path)
{
        bool abs = path[0] == '/';
        struct cc_strv parts = {0};
        const char *p = path;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchr(p, '/');
                size_t n = e ? (size_t) (e - p) : strlen(p);
                if (n == 1 && p[0] == '.') {
                        /* skip */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (parts.n > 0 && strcmp(parts.v[parts.n - 1], "..") != 0) {
                                free(parts.v[--parts.n]);
                                parts.v[parts.n] = NULL;
                        } else if (!abs) {
                                cc_strv_push(&parts, "..");
                        }
                } else {
                        cc_strv_push_owned(&parts, cc_xstrndup(p, n));
                }
                p += n;
        }
        struct cc_buf b = {0};
        if (abs)
                cc_buf_putc(&b, '/');
        for (size_t i = 0; i < parts.n; i++) {
                if (i)
                        cc_buf_putc(&b, '/');
                cc_buf_puts(&b, parts.v[i]);
        }
        if (b.len == 0)
                cc_buf_putc(&b, '.');
        cc_strv_free(&parts);
        return cc_buf_steal(&b);
}

/* Remove everything under dirfd, staying on one filesystem (a mount left
 * inside is never descended into). */
static int cc__rm_children(int dirfd, dev_t dev, int depth)
{
        if (depth > 512)
                return -ELOOP;
        int fd = dup(dirfd);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (cc_streq(de->d_name, ".") || cc_streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dirfd, de->d_name, 0) == 0 || errno == ENOENT)
                        continue;
                if (errno != EISDIR && errno != EPERM) {
                        r = -errno;
                        continue;
                }
                int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                        r = -errno;
                        continue;
                }
                struct stat st;
                if (fstat(sub, &st) < 0 || st.st_dev != dev) {
                        close(sub);
                        r = -EBUSY;
                        continue;
                }
                /* The overlay work dir holds a mode 000 directory. */
                if ((st.st_mode & 0700) != 0700)
                        fchmod(sub, 0700);
                int rr = cc__rm_children(sub, dev, depth + 1);
                close(sub);
                if (rr < 0)
                        r = rr;
                else if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        r = -errno;
        }
        closedir(d);
        return r;
}

int cc_rm_rf_at(int dirfd, const char *name)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno == ENOTDIR || errno == ELOOP)
                        return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
                return -errno;
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        int r = cc__rm_children(fd, st.st_dev, 0);
        if (r < 0)
                return r;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int cc_rm_rf(const char *path) { return cc_rm_rf_at(AT_FDCWD, path); }

struct cc__rm_job {
        int dfd;
        dev_t dev;
        char **names;
        size_t n;
        size_t next; /* taken atomically */
        int err;     /* the first error, set atomically */
};

static void *cc__rm_worker(void *arg)
{
        struct cc__rm_job *j = arg;
        for (;;) {
                size_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
                if (i >= j->n)
                        return NULL;
                struct stat st;
                int r = 0;
                if (fstatat(j->dfd, j->names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        r = errno == ENOENT ? 0 : -errno;
                else if (S_ISDIR(st.st_mode) && st.st_dev != j->dev)
                        r = -EBUSY; /* a mount left inside: never descended into */
                else
                        r = cc_rm_rf_at(j->dfd, j->names[i]);
                int none = 0;
                if (r < 0)
                        __atomic_compare_exchange_n(&j->err, &none, r, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        }
}

void *cc_dl_open(const char *soname, const char *package, const char *why)
{
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "ccompose: cannot load %s (Debian: %s), which %s need: %s\n", soname, package, why,
                        dlerror());
                exit(127);
        }
        return h;
}

void *cc_dl_sym(void *lib, const char *soname, const char *package, const char *name)
{
        void *f = dlsym(lib, name);
        if (!f) {
                fprintf(stderr, "ccompose: %s has no %s (Debian: %s)\n", soname, name, package);
                exit(127);
        }
        return f;
}

int cc_rm_rf_threads(const char *dir)
{
        struct cc__rm_job j = {.dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
        if (j.dfd < 0)
                return errno == ENOENT ? 0 : (errno == ENOTDIR || errno == ELOOP ? cc_rm_rf(dir) : -errno);
        struct stat st;
        int dd = fstat(j.dfd, &st) == 0 ? dup(j.dfd) : -1;
        DIR *d = dd >= 0 ? fdopendir(dd) : NULL;
        if (!d) {
                if (dd >= 0)
                        close(dd);
                close(j.dfd);
                return cc_rm_rf(dir);
        }
        j.dev = st.st_dev;
        struct cc_strv names = {0};
        for (struct dirent *de; (de = readdir(d));)
                if (!cc_streq(de->d_name, ".") && !cc_streq(de->d_name, ".."))
                        cc_strv_push(&names, de->d_name);
        closedir(d);
        j.names = names.v;
        j.n = names.n;
        pthread_t t[4];
        size_t nt = 0;
        while (j.n > 4 && nt < CC_ARRAY_SIZE(t) && pthread_create(&t[nt], NULL, cc__rm_worker, &j) == 0)
                nt++;
        cc__rm_worker(&j);
        for (size_t i = 0; i < nt; i++)
                pthread_join(t[i], NULL);
        cc_strv_free(&names);
        close(j.dfd);
        if (j.err < 0)
                return j.err;
        return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

/* ---- errors ---- */

int cc_error_set(struct cc_error *err, int code, const char *fmt, ...)
{
        if (!err)
                return code;
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        free(err->msg);
        err->msg = cc_buf_steal(&b);
        err->code = code < 0 ? code : -EINVAL;
        return err->code;
}

int cc_error_setsys(struct cc_error *err, int code, const char *fmt, ...)
{
        if (!err)
                return code;
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        cc_buf_printf(&b, ": %s", strerror(code < 0 ? -code : code));
        free(err->msg);
        err->msg = cc_buf_steal(&b);
        err->code = code < 0 ? code : -code;
        if (err->code == 0)
                err->code = -EIO;
        return err->code;
}

int cc_error_prefix(struct cc_error *err, const char *fmt, ...)
{
        if (!err)
                return -EINVAL;
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        if (err->msg)
                cc_buf_printf(&b, ": %s", err->msg);
        free(err->msg);
        err->msg = cc_buf_steal(&b);
        if (err->code == 0)
                err->code = -EINVAL;
        return err->code;
}

void cc_error_clear(struct cc_error *err)
{
        free(err->msg);
        err->msg = NULL;
        err->code = 0;
}

const char *cc_error_msg(const struct cc_error *err)
{
        return err->msg ? err->msg : "unknown error";
}

int cc_proc_stat(pid_t pid, struct cc_proc_stat *out)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -ENOENT;
        buf[n] = '\0';
        /* comm may hold spaces and parentheses: the fields start after the
         * last ')', with field 3, the state */
        char *p = strrchr(buf, ')');
        if (!p || p[1] != ' ')
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        p += 2;
        out->state = *p;
        for (int field = 3; p && field <= 52; field++) {
                if (field == 4)
                        out->ppid = (pid_t) strtol(p, NULL, 10);
                else if (field == 22)
                        out->start = strtoull(p, NULL, 10);
                else if (field == 52)
                        out->wait_status = (int) strtol(p, NULL, 10);
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return 0;
}

int cc_wait_status_code(int wait_status)
{
        if (WIFSIGNALED(wait_status))
                return 128 + WTERMSIG(wait_status);
        return WEXITSTATUS(wait_status);
}

int cc_send_fd(int sock, const void *data, size_t len, int fd)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct iovec iov = {.iov_base = (void *) data, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}
