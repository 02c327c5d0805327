/* ADD's own sources: URLs (fetched only from this machine's loopback: no
 * traffic leaves it) and local tar archives, unpacked at the
 * destination. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "build-stage.h"
#include "image-digest.h"
#include "layer.h"
#include "registry.h"
#include "lazy-curl.h"

static bool is_url(const char *s)
{
        return cc_startswith(s, "http://") || cc_startswith(s, "https://");
}

static bool is_git(const char *s)
{
        return cc_startswith(s, "git@") || cc_startswith(s, "git://") || cc_endswith(s, ".git");
}

/* The host[:port] of url, or NULL. */
static char *url_host(const char *url)
{
        CURLU *u = curl_url();
        char *host = NULL, *port = NULL, *out = NULL;
        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
                if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
                        out = cc_xasprintf("%s:%s", host, port);
                else
                        out = cc_xstrdup(host);
        }
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return out;
}

/* The file name an URL's content gets: its path's last part. */
static char *url_name(const char *url)
{
        _cleanup_free_ char *u = cc_xstrdup(url);
        u[strcspn(u, "?#")] = '\0';
        char *slash = strrchr(u + strlen("https://"), '/');
        return cc_xstrdup(slash && slash[1] ? slash + 1 : "index.html");
}

/* Fetch url into dir/name (mode 0600, the time Last-Modified gives),
 * checking a sha256 --checksum. */
static int fetch(const char *url, int dirfd, const char *name, const char *checksum, struct cc_error *err)
{
        _cleanup_free_ char *host = url_host(url);
        if (!host)
                return cc_error_set(err, -EINVAL, "ADD %s: not a valid URL", url);
        if (!cc_registry_is_loopback(host))
                return cc_error_set(err, -ENETUNREACH,
                                    "ADD %s: remote URLs are not reachable from this machine (only loopback hosts "
                                    "are fetched); download it into the build context and ADD the file",
                                    url);
        int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
        if (!f) {
                if (fd >= 0)
                        close(fd);
                return cc_error_setsys(err, -errno, "ADD %s: create %s", url, name);
        }
        CURL *e = curl_easy_init();
        char cerr[CURL_ERROR_SIZE] = "";
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
        curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect could leave loopback */
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(e, CURLOPT_TIMEOUT, 300L);
        curl_easy_setopt(e, CURLOPT_FILETIME, 1L);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
        CURLcode rc = curl_easy_perform(e);
        long mtime = -1;
        curl_easy_getinfo(e, CURLINFO_FILETIME, &mtime);
        curl_easy_cleanup(e);
        int r = 0;
        if (rc != CURLE_OK)
                r = cc_error_set(err, -EIO, "ADD %s: %s", url, *cerr ? cerr : curl_easy_strerror(rc));
        if (r == 0 && fflush(f) != 0)
                r = cc_error_setsys(err, -errno, "ADD %s: write %s", url, name);
        if (r == 0 && checksum) {
                struct cc_sha256 h;
                cc_sha256_init(&h);
                char buf[65536];
                size_t n;
                rewind(f);
                while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                        cc_sha256_update(&h, buf, n);
                char got[CC_DIGEST_LEN + 1];
                cc_sha256_final(&h, got);
                if (!cc_streq(got, checksum))
                        r = cc_error_set(err, -EBADMSG, "ADD %s: digest mismatch %s: %s", url, got, checksum);
        }
        if (r == 0 && mtime > 0) {
                struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
                futimens(fileno(f), ts);
        }
        fclose(f);
        return r;
}

int cc_build_add_sources(struct cc_builder *b, const struct cc_df_instr *in, struct cc_strv *srcs,
                         const char *checksum, int *dirfd, bool *extract, struct cc_error *err)
{
        *dirfd = -1;
        *extract = false;
        size_t urls = 0;
        for (size_t i = 0; i < srcs->n; i++) {
                if (is_git(srcs->v[i]))
                        return cc_df_fail(&b->df, in, err, "%s: git sources are not reachable from this machine",
                                          srcs->v[i]);
                urls += is_url(srcs->v[i]);
        }
        if (!cc_streq(in->cmd, "add")) {
                if (urls)
                        return cc_df_fail(&b->df, in, err, "source can't be a URL for COPY");
                return 0;
        }
        if (checksum && (!urls || !cc_startswith(checksum, "sha256:") || !cc_digest_valid(checksum)))
                return cc_df_fail(&b->df, in, err, "--checksum=%s: a sha256:<hex> digest of a URL source is needed",
                                  checksum);
        if (urls && urls != srcs->n)
                return cc_df_fail(&b->df, in, err, "URLs and local sources cannot be mixed in one ADD");
        if (urls) {
                _cleanup_free_ char *dir = cc_path_join(b->work, "add-XXXXXX");
                if (!mkdtemp(dir) || (*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return cc_error_setsys(err, -errno, "create a directory in %s", b->work);
                for (size_t i = 0; i < srcs->n; i++) {
                        _cleanup_free_ char *name = url_name(srcs->v[i]);
                        int r = fetch(srcs->v[i], *dirfd, name, checksum, err);
                        if (r < 0)
                                return cc_df_fail(&b->df, in, err, "%s", cc_error_msg(err));
                        free(srcs->v[i]);
                        srcs->v[i] = cc_steal(&name);
                }
                return 0;
        }
        /* one local tar archive (plain, gzip, bzip2, xz, zstd): unpacked */
        if (srcs->n != 1 || strpbrk(srcs->v[0], "*?["))
                return 0;
        _cleanup_close_ int fd = cc_layer_open_in_root(b->ctxfd, srcs->v[0], O_RDONLY);
        struct stat st;
        struct cc_layer_info info;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
            cc_layer_unpack_fd(fd, -1, 0, &info, NULL) == 0 && info.entries > 0)
                *extract = true;
        return 0;
}

int cc_build_add_extract(struct cc_builder *b, const char *src, const char *dest, char **dir, struct cc_error *err)
{
        _cleanup_free_ char *tree = cc_path_join(b->work, "extract-XXXXXX");
        if (!mkdtemp(tree))
                return cc_error_setsys(err, -errno, "create a directory in %s", b->work);
        /* dest is absolute and clean (no ".."): below the tree */
        const char *rel = dest + strspn(dest, "/");
        _cleanup_free_ char *target = *rel ? cc_path_join(tree, rel) : cc_xstrdup(tree);
        if (cc_mkdir_p(target, 0755) < 0)
                return cc_error_setsys(err, -errno, "create %s", dest);
        _cleanup_close_ int tfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = cc_layer_open_in_root(b->ctxfd, src, O_RDONLY);
        if (tfd < 0 || fd < 0)
                return cc_error_setsys(err, tfd < 0 ? -errno : fd, "ADD %s", src);
        struct cc_layer_info info;
        int r = cc_layer_unpack_fd(fd, tfd, CC_LAYER_SPECIAL | CC_LAYER_OWNERS | CC_LAYER_XATTRS, &info, err);
        if (r < 0)
                return cc_error_prefix(err, "ADD %s: unpack", src);
        *dir = cc_steal(&tree);
        return 0;
}
