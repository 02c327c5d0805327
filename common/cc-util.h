/* Small helpers shared by every module: cleanup attributes, allocation that
 * cannot fail silently, growable strings and string vectors. */
#ifndef CC_UTIL_H
#define CC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CC_UNUSED __attribute__((unused))
#define CC_PRINTF(a, b) __attribute__((format(printf, a, b)))

static inline void cc__freep(void *p) { free(*(void **) p); }
static inline void cc__closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ __attribute__((cleanup(cc__freep)))
#define _cleanup_close_ __attribute__((cleanup(cc__closep)))

/* Hand ownership of *pp to the caller and leave NULL behind. */
static inline void *cc__steal(void *pp)
{
        void **p = pp;
        void *v = *p;
        *p = NULL;
        return v;
}
#define cc_steal(pp) cc__steal(pp)
static inline int cc_steal_fd(int *fd) { int v = *fd; *fd = -1; return v; }

void *cc_xmalloc(size_t n);
void *cc_xcalloc(size_t n, size_t m);
void *cc_xrealloc(void *p, size_t n);
char *cc_xstrdup(const char *s);
char *cc_xstrndup(const char *s, size_t n);
char *cc_xasprintf(const char *fmt, ...) CC_PRINTF(1, 2);

static inline bool cc_streq(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}
static inline bool cc_startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}
bool cc_endswith(const char *s, const char *suffix);

/* A growable, always NUL-terminated string. */
struct cc_buf {
        char *s;
        size_t len;
        size_t cap;
};
void cc_buf_add(struct cc_buf *b, const char *s, size_t n);
void cc_buf_puts(struct cc_buf *b, const char *s);
void cc_buf_putc(struct cc_buf *b, char c);
void cc_buf_printf(struct cc_buf *b, const char *fmt, ...) CC_PRINTF(2, 3);
void cc_buf_vprintf(struct cc_buf *b, const char *fmt, va_list ap) __attribute__((nonnull(2)));
char *cc_buf_steal(struct cc_buf *b); /* never NULL */
void cc_buf_free(struct cc_buf *b);

/* A NULL-terminated vector of owned strings. */
struct cc_strv {
        char **v;
        size_t n;
        size_t cap;
};
void cc_strv_push(struct cc_strv *sv, const char *s);
void cc_strv_push_owned(struct cc_strv *sv, char *s);
bool cc_strv_contains(const struct cc_strv *sv, const char *s);
void cc_strv_free(struct cc_strv *sv);

/* Read a whole file; returns 0 or -errno. */
int cc_read_file(const char *path, char **out, size_t *len);
/* Write a file atomically: temp name, fsync, rename. Returns 0 or -errno. */
int cc_write_file_atomic(const char *path, const char *data, size_t len, int mode);
/* ... synced only when sync: a file that need not survive a crash of the
 * machine (derived, or removed soon), still whole for every reader. */
int cc_write_file_atomic_sync(const char *path, const char *data, size_t len, int mode, bool sync);
/* mkdir -p. Returns 0 or -errno. */
int cc_mkdir_p(const char *path, int mode);
/* rm -rf that stays on one filesystem (never descends into a mount left
 * inside). 0 when path does not exist. Returns 0 or -errno. */
int cc_rm_rf(const char *path);
/* The same for name under the directory dirfd (AT_FDCWD: as cc_rm_rf),
 * no symlink followed (a symlink named is removed itself). */
int cc_rm_rf_at(int dirfd, const char *name);
/* cc_rm_rf of a directory (the same rules), its entries removed by a few
 * threads at once: on a disk whose journal is busy (other processes'
 * fsyncs) each unlink or rmdir waits ~4 ms for a commit, ~40 ms one after
 * the other for a container's directory; at once they wait for the same
 * ones. A non-directory is removed as by cc_rm_rf. 0 or -errno. */
int cc_rm_rf_threads(const char *dir);
/* A shared library loaded at its first use (a table of its functions):
 * dlopen of soname, and each symbol of it; a process that cannot have
 * them says which (and the Debian package that has them) and exits 127. */
void *cc_dl_open(const char *soname, const char *package, const char *why);
void *cc_dl_sym(void *lib, const char *soname, const char *package, const char *name);
/* Join dir and name ("name" when absolute). Caller frees. */
char *cc_path_join(const char *dir, const char *name);
/* Clean a path lexically: collapse //, ., and .. (without touching the disk). */
char *cc_path_clean(const char *path);

/* What /proc/PID/stat says of a process. */
struct cc_proc_stat {
        char state;               /* 'R', 'S', ..., 'Z' for a zombie */
        pid_t ppid;
        unsigned long long start; /* start time, jiffies since boot (field 22) */
        int wait_status;          /* a zombie's status as waitpid reports it (field 52) */
};
/* Read it; 0 or -errno (-ENOENT: no such process). */
int cc_proc_stat(pid_t pid, struct cc_proc_stat *out);
/* Docker's exit code of a wait status: the status, or 128 + the signal. */
int cc_wait_status_code(int wait_status);
/* Send len bytes of data with a copy of fd (SCM_RIGHTS) on a Unix socket,
 * without SIGPIPE; 0 or -errno. */
int cc_send_fd(int sock, const void *data, size_t len, int fd);

#endif
