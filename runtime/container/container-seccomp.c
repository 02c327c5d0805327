/* Docker's default seccomp filter as ready BPF, cached on disk.
 *
 * Compiling the profile with libseccomp takes about 20 ms; a `ccompose
 * run` is a process of its own, so the compiled program is kept under
 * $CCOMPOSE_ROOT/cache/seccomp/, one file per capability set. The key
 * also holds the identity of the ccompose binary (device, inode, mtime,
 * size): a rebuilt or upgraded binary, whose profile may differ, never
 * loads an older program. The cache is as trusted as the rest of
 * $CCOMPOSE_ROOT (root only). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"

#define CC_SC_MAGIC "ccompose-seccomp-bpf-1\n"

static char *cc__sc_cache_path(const char *root, uint64_t caps)
{
        struct stat st;
        if (stat("/proc/self/exe", &st) < 0)
                return NULL;
        return cc_xasprintf("%s/cache/seccomp/%016llx-%llx-%llx-%llx.%09ld-%llx.bpf", root, (unsigned long long) caps,
                            (unsigned long long) st.st_dev, (unsigned long long) st.st_ino,
                            (unsigned long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                            (unsigned long long) st.st_size);
}

static int cc__sc_cache_read(const char *path, struct cc_seccomp **out)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (cc_read_file(path, &data, &len) < 0)
                return -ENOENT;
        size_t hdr = strlen(CC_SC_MAGIC) + sizeof(uint32_t);
        uint32_t n;
        if (len < hdr || memcmp(data, CC_SC_MAGIC, strlen(CC_SC_MAGIC)) != 0)
                return -EINVAL;
        memcpy(&n, data + strlen(CC_SC_MAGIC), sizeof(n));
        if (n == 0 || n > BPF_MAXINSNS || len != hdr + n * sizeof(struct sock_filter))
                return -EINVAL;
        struct cc_seccomp *s = cc_xcalloc(1, sizeof(*s));
        s->prog.len = (unsigned short) n;
        s->prog.filter = cc_xmalloc(n * sizeof(struct sock_filter));
        memcpy(s->prog.filter, data + hdr, n * sizeof(struct sock_filter));
        *out = s;
        return 0;
}

static void cc__sc_cache_write(const char *path, const struct cc_seccomp *s)
{
        _cleanup_free_ char *dir = cc_xstrdup(path);
        *strrchr(dir, '/') = '\0';
        if (cc_mkdir_p(dir, 0700) < 0)
                return;
        struct cc_buf b = {0};
        uint32_t n = s->prog.len;
        cc_buf_puts(&b, CC_SC_MAGIC);
        cc_buf_add(&b, (const char *) &n, sizeof(n));
        cc_buf_add(&b, (const char *) s->prog.filter, n * sizeof(struct sock_filter));
        /* Best effort: without a cache the next run compiles again. */
        cc_write_file_atomic(path, b.s, b.len, 0600);
        cc_buf_free(&b);
}

int cc_container_seccomp_default(const char *root, uint64_t caps, struct cc_seccomp **out, struct cc_error *err)
{
        _cleanup_free_ char *path = root ? cc__sc_cache_path(root, caps) : NULL;
        if (path && cc__sc_cache_read(path, out) == 0)
                return 0;
        int r = cc_seccomp_default(caps, out, err);
        if (r < 0)
                return r;
        if (path)
                cc__sc_cache_write(path, *out);
        return 0;
}
