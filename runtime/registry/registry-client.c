/* The registry HTTP engine: transfers run concurrently on one curl multi
 * handle (whose connection cache every request of a pull shares), each
 * with its own small state machine for redirects, authentication,
 * throttling, server errors and resumption. See registry-client.h. */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "registry-client.h"

#define MAX_RETRIES 5       /* broken transfers and 5xx */
#define MAX_THROTTLED 6     /* 429 answers */
#define RETRY_AFTER_MAX 60  /* seconds we wait at most for one 429 */
#define ERRBODY_MAX 65536
#define DEFAULT_PARALLEL 6

double cc_reg_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static CURLcode global_result;

static void global_init(void)
{
        global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cc_reg_sigpipe_block(struct cc_reg_sigpipe *sp)
{
        sigset_t set, pending;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigpending(&pending);
        sp->was_pending = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &set, &sp->old);
}

void cc_reg_sigpipe_restore(struct cc_reg_sigpipe *sp)
{
        sigset_t set, pending;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        if (!sp->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
                struct timespec zero = {0};
                sigtimedwait(&set, NULL, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &sp->old, NULL);
}

int cc_reg_client_open(const char *domain, const char *repository, struct cc_reg_client **out,
                       struct cc_error *err)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, global_init);
        if (global_result != CURLE_OK)
                return cc_error_set(err, -ENOMEM, "initialise libcurl: %s", curl_easy_strerror(global_result));
        struct cc_reg_client *c = cc_xcalloc(1, sizeof(*c));
        c->domain = cc_xstrdup(domain);
        c->registry = cc_registry_api_host(domain);
        /* A safety net for test machines: nothing but loopback is contacted. */
        const char *lo = getenv("CCOMPOSE_REGISTRY_LOOPBACK_ONLY");
        if (lo && *lo && strcmp(lo, "0") != 0 && !cc_registry_is_loopback(c->registry)) {
                int r = cc_error_set(err, -EPERM,
                                     "registry %s is not on loopback and CCOMPOSE_REGISTRY_LOOPBACK_ONLY is set",
                                     c->registry);
                cc_reg_client_close(c);
                return r;
        }
        c->base = cc_registry_base_url(c->registry);
        c->certs_dir = cc_reg_certs_dir(c->registry);
        if (repository) {
                c->repository = cc_xstrdup(repository);
                c->scope = cc_xasprintf("repository:%s:pull", repository);
        }
        c->max_parallel = DEFAULT_PARALLEL;
        c->multi = curl_multi_init();
        if (!c->multi) {
                cc_reg_client_close(c);
                return cc_error_set(err, -ENOMEM, "initialise libcurl");
        }
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) DEFAULT_PARALLEL);
        *out = c;
        return 0;
}

int cc_reg_client_load_credentials(struct cc_reg_client *c, struct cc_error *err)
{
        cc_credentials_free(&c->cred);
        int r = cc_registry_credentials_get(c->domain, &c->cred, err);
        if (r < 0)
                return r;
        c->have_cred = r > 0;
        return 0;
}

void cc_reg_client_want_push(struct cc_reg_client *c)
{
        c->push = true;
        if (c->repository) {
                free(c->scope);
                c->scope = cc_xasprintf("repository:%s:pull,push", c->repository);
        }
}

void cc_reg_client_set_credentials(struct cc_reg_client *c, const char *username, const char *password)
{
        cc_credentials_free(&c->cred);
        c->cred.username = cc_xstrdup(username);
        c->cred.password = cc_xstrdup(password);
        c->have_cred = true;
}

void cc_reg_client_close(struct cc_reg_client *c)
{
        if (!c)
                return;
        if (c->multi)
                curl_multi_cleanup(c->multi);
        cc_credentials_free(&c->cred);
        if (c->authz)
                explicit_bzero(c->authz, strlen(c->authz));
        free(c->authz);
        free(c->domain);
        free(c->registry);
        free(c->base);
        free(c->certs_dir);
        free(c->ca_blob);
        free(c->repository);
        free(c->scope);
        free(c);
}

/* ---- transfers ---- */

void cc_reg_xfer_init(struct cc_reg_xfer *x, const char *path, int fd)
{
        memset(x, 0, sizeof(*x));
        x->path = cc_xstrdup(path);
        x->fd = fd;
        x->size = -1;
        x->limit = 4u << 20;
        x->tee_fd = -1;
        x->send_fd = -1;
}

static void tee_close(struct cc_reg_xfer *x, bool broken)
{
        if (x->tee_fd >= 0)
                close(x->tee_fd);
        x->tee_fd = -1;
        x->tee_broken |= broken;
}

static void reset_response(struct cc_reg_xfer *x)
{
        free(x->location);
        free(x->www_auth);
        free(x->retry_after);
        free(x->content_range);
        free(x->content_type);
        free(x->docker_digest);
        x->location = x->www_auth = x->retry_after = x->content_range = NULL;
        x->content_type = x->docker_digest = NULL;
        cc_buf_free(&x->errbody);
        x->status = 0;
        x->accepting = false;
}

void cc_reg_xfer_free(struct cc_reg_xfer *x)
{
        tee_close(x, false);
        reset_response(x);
        if (x->hashing)
                cc_sha256_abort(&x->hash);
        if (x->easy)
                curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->headers);
        cc_buf_free(&x->body);
        cc_error_clear(&x->err);
        free(x->path);
        free(x->url);
        memset(x, 0, sizeof(*x));
        x->fd = -1;
        x->tee_fd = -1;
        x->send_fd = -1;
}

/* Forget what the body held so far: the server starts over. */
static int sink_restart(struct cc_reg_xfer *x)
{
        if (x->got > 0)
                tee_close(x, true);
        if (x->hashing)
                cc_sha256_abort(&x->hash);
        cc_sha256_init(&x->hash);
        x->hashing = true;
        x->got = 0;
        x->body.len = 0;
        if (x->body.s)
                x->body.s[0] = '\0';
        if (x->fd >= 0 && (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0))
                return -errno;
        return 0;
}

static bool headers_done(struct cc_reg_xfer *x)
{
        if (x->status == 206) {
                unsigned long long start;
                if (!x->content_range || sscanf(x->content_range, "bytes %llu-", &start) != 1 ||
                    start != x->range_start) {
                        cc_error_set(&x->err, -EPROTO, "unexpected Content-Range \"%s\" (asked from byte %llu)",
                                     x->content_range ? x->content_range : "", (unsigned long long) x->range_start);
                        x->fail = CC_REG_OTHER;
                        x->sink_error = true;
                        return false;
                }
        } else if (x->got > 0 || !x->hashing) {
                int r = sink_restart(x);
                if (r < 0) {
                        cc_error_setsys(&x->err, r, "rewind download");
                        x->fail = CC_REG_OTHER;
                        x->sink_error = true;
                        return false;
                }
        }
        x->accepting = true;
        return true;
}

static void set_header(char **slot, const char *v, size_t n, bool append)
{
        if (append && *slot) {
                char *joined = cc_xasprintf("%s, %.*s", *slot, (int) n, v);
                free(*slot);
                *slot = joined;
                return;
        }
        free(*slot);
        *slot = cc_xstrndup(v, n);
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *data)
{
        struct cc_reg_xfer *x = data;
        size_t len = size * nitems, l = len;
        while (l > 0 && (buf[l - 1] == '\r' || buf[l - 1] == '\n'))
                l--;
        if (l >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
                reset_response(x);
                const char *sp = memchr(buf, ' ', l);
                x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
                return len;
        }
        if (l == 0) {
                if (x->status == 200 || x->status == 206)
                        return headers_done(x) ? len : 0;
                return len;
        }
        const char *colon = memchr(buf, ':', l);
        if (!colon)
                return len;
        size_t nlen = (size_t) (colon - buf);
        const char *v = colon + 1, *end = buf + l;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
        size_t vlen = (size_t) (end - v);
        static const struct { const char *name; size_t off; bool append; } wanted[] = {
                { "location", offsetof(struct cc_reg_xfer, location), false },
                { "www-authenticate", offsetof(struct cc_reg_xfer, www_auth), true },
                { "retry-after", offsetof(struct cc_reg_xfer, retry_after), false },
                { "content-range", offsetof(struct cc_reg_xfer, content_range), false },
                { "content-type", offsetof(struct cc_reg_xfer, content_type), false },
                { "docker-content-digest", offsetof(struct cc_reg_xfer, docker_digest), false },
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(wanted); i++)
                if (strlen(wanted[i].name) == nlen && strncasecmp(buf, wanted[i].name, nlen) == 0)
                        set_header((char **) ((char *) x + wanted[i].off), v, vlen, wanted[i].append);
        return len;
}

static int write_all(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *data)
{
        struct cc_reg_xfer *x = data;
        size_t len = size * nmemb;
        if (!x->accepting) {
                if (x->errbody.len < ERRBODY_MAX)
                        cc_buf_add(&x->errbody, p, len < ERRBODY_MAX ? len : ERRBODY_MAX);
                return len;
        }
        if (x->size >= 0 && x->got + len > (uint64_t) x->size) {
                cc_error_set(&x->err, -EBADMSG,
                             "size mismatch: the manifest says %lld bytes, the registry sent more (digest %s not checked)",
                             (long long) x->size, x->digest ? x->digest : "-");
                x->fail = CC_REG_CORRUPT;
                x->sink_error = true;
                return 0;
        }
        if (x->fd >= 0) {
                int r = write_all(x->fd, p, len);
                if (r < 0) {
                        cc_error_setsys(&x->err, r, "write download");
                        x->fail = CC_REG_OTHER;
                        x->sink_error = true;
                        return 0;
                }
        } else {
                if (x->body.len + len > x->limit) {
                        cc_error_set(&x->err, -EFBIG, "response larger than %zu bytes", x->limit);
                        x->fail = CC_REG_OTHER;
                        x->sink_error = true;
                        return 0;
                }
                cc_buf_add(&x->body, p, len);
        }
        cc_sha256_update(&x->hash, p, len);
        x->got += len;
        for (size_t off = 0; x->tee_fd >= 0 && off < len;) {
                ssize_t n = send(x->tee_fd, p + off, len - off, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        tee_close(x, true); /* the reader gave up: not an error of the transfer */
                        break;
                }
                off += (size_t) n;
        }
        if (x->progress)
                x->progress(x, x->progress_data);
        return len;
}

/* The request body, from memory or a file, from its start on every try. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *data)
{
        struct cc_reg_xfer *x = data;
        uint64_t left = x->send_len - x->send_pos;
        size_t want = size * nitems < left ? size * nitems : (size_t) left;
        if (want == 0)
                return 0;
        if (x->send_mem) {
                memcpy(buf, (const char *) x->send_mem + x->send_pos, want);
        } else {
                ssize_t n;
                do
                        n = pread(x->send_fd, buf, want, (off_t) (x->send_off + x->send_pos));
                while (n < 0 && errno == EINTR);
                if (n <= 0) {
                        cc_error_setsys(&x->err, n < 0 ? -errno : -EIO, "read the upload");
                        x->fail = CC_REG_OTHER;
                        x->sink_error = true;
                        return CURL_READFUNC_ABORT;
                }
                want = (size_t) n;
        }
        x->send_pos += want;
        return want;
}

static void set_upload(struct cc_reg_xfer *x, CURL *e)
{
        if (!x->send_mem && x->send_fd < 0)
                x->send_len = 0;
        x->send_pos = 0;
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t) x->send_len);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
        if (x->send_len > 0)
                curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L << 10);
        /* No "Expect: 100-continue" round trip; a refusal costs one body. */
        x->headers = curl_slist_append(x->headers, "Expect:");
        _cleanup_free_ char *ct = cc_xasprintf("Content-Type: %s",
                                               x->send_type ? x->send_type : "application/octet-stream");
        x->headers = curl_slist_append(x->headers, ct);
        if (x->send_range) {
                _cleanup_free_ char *cr = cc_xasprintf("Content-Range: %s", x->send_range);
                x->headers = curl_slist_append(x->headers, cr);
        }
}

static int start(struct cc_reg_client *c, struct cc_reg_xfer *x, struct cc_error *err)
{
        CURL *e = curl_easy_init();
        if (!e)
                return cc_error_set(err, -ENOMEM, "initialise libcurl");
        reset_response(x);
        x->curl_err[0] = '\0';
        if (!x->hashing) {
                cc_sha256_init(&x->hash);
                x->hashing = true;
        }
        curl_easy_setopt(e, CURLOPT_URL, x->url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, x);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
        cc_reg_easy_defaults(e);
        cc_reg_easy_tls(c, e, x->send_auth);
        if (x->fd >= 0)
                curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L << 10); /* fewer, larger writes */
        if (x->head)
                curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        curl_slist_free_all(x->headers);
        x->headers = NULL;
        char line[256];
        if (x->accept) {
                _cleanup_free_ char *a = cc_xasprintf("Accept: %s", x->accept);
                x->headers = curl_slist_append(x->headers, a);
        }
        if (x->send_auth && c->authz) {
                _cleanup_free_ char *a = cc_xasprintf("Authorization: %s", c->authz);
                x->headers = curl_slist_append(x->headers, a);
                explicit_bzero(a, strlen(a));
        }
        if (x->method)
                set_upload(x, e);
        x->range_start = x->got;
        if (x->got > 0 && !x->head && !x->method) {
                snprintf(line, sizeof(line), "Range: bytes=%llu-", (unsigned long long) x->got);
                x->headers = curl_slist_append(x->headers, line);
        }
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
        x->epoch_sent = c->epoch;
        x->easy = e;
        CURLMcode mr = curl_multi_add_handle(c->multi, e);
        if (mr != CURLM_OK) {
                x->easy = NULL;
                curl_easy_cleanup(e);
                return cc_error_set(err, -ENOMEM, "libcurl: %s", curl_multi_strerror(mr));
        }
        return 0;
}

static void detach(struct cc_reg_client *c, struct cc_reg_xfer *x)
{
        if (!x->easy)
                return;
        curl_multi_remove_handle(c->multi, x->easy);
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
}

/* The registry's error document ({"errors":[{"code","message"}]}) as text. */
char *cc_reg_error_text(const char *body, size_t len)
{
        if (!body || !len)
                return NULL;
        struct json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, body, (int) len), *errs;
        json_tokener_free(tok);
        struct cc_buf b = {0};
        if (o && json_object_object_get_ex(o, "errors", &errs) && json_object_is_type(errs, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(errs); i++) {
                        json_object *e = json_object_array_get_idx(errs, i), *m, *code;
                        const char *msg = json_object_object_get_ex(e, "message", &m) ? json_object_get_string(m) : NULL;
                        const char *cd = json_object_object_get_ex(e, "code", &code) ? json_object_get_string(code)
                                                                                       : NULL;
                        if (!msg || !*msg)
                                msg = cd;
                        if (msg)
                                cc_buf_printf(&b, "%s%s", b.len ? "; " : "", msg);
                }
        }
        json_object_put(o);
        if (b.len == 0) {
                /* Not the registry's format: the first line of text, if short. */
                size_t n = 0;
                while (n < len && n < 200 && body[n] != '\n' && body[n] != '\r' && body[n] != '\0')
                        n++;
                bool printable = n > 0;
                for (size_t i = 0; i < n && printable; i++)
                        printable = (unsigned char) body[i] >= 0x20;
                if (!printable)
                        return NULL;
                cc_buf_add(&b, body, n);
        }
        return cc_buf_steal(&b);
}

/* Retry-After when the server gave one, else 0 s for the first retry (a
 * dropped connection), then 0.5, 1, 2, ... s. */
static double retry_delay(struct cc_reg_xfer *x)
{
        double d = x->retries <= 1 ? 0 : (double) (1u << (x->retries < 8 ? x->retries : 8)) * 0.125;
        if (x->retry_after) {
                char *end;
                long secs = strtol(x->retry_after, &end, 10);
                if (end != x->retry_after && *end == '\0' && secs >= 0) {
                        d = (double) secs;
                } else {
                        time_t t = curl_getdate(x->retry_after, NULL);
                        if (t > 0)
                                d = difftime(t, time(NULL));
                }
        }
        if (d < 0)
                d = 0;
        return d > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : d;
}

static bool transient(CURLcode code)
{
        switch (code) {
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_BAD_CONTENT_ENCODING:
                return true;
        default:
                return false;
        }
}

/* The message of a transfer that failed with HTTP status. */
static int http_error(struct cc_reg_client *c, struct cc_reg_xfer *x)
{
        _cleanup_free_ char *text = cc_reg_error_text(x->errbody.s, x->errbody.len);
        char host[256];
        cc_reg_url_host(x->url, host, sizeof(host));
        switch (x->status) {
        case 404:
                x->fail = CC_REG_NOT_FOUND;
                return cc_error_set(&x->err, -ENOENT, "%s", text ? text : "not found (HTTP 404)");
        case 401:
        case 403:
                x->fail = CC_REG_DENIED;
                if (!x->send_auth) /* a redirect target, e.g. an expired signed URL */
                        return cc_error_set(&x->err, -EACCES, "%s (redirected to) answered HTTP %ld%s%s", host,
                                            x->status, text ? ": " : "", text ? text : "");
                return cc_reg_denied(c, &x->err, text);
        case 429:
                x->fail = CC_REG_OTHER;
                return cc_error_set(&x->err, -EAGAIN, "%s: too many requests (HTTP 429), tried %u times%s%s", host,
                                    x->retries + 1, text ? ": " : "", text ? text : "");
        default:
                x->fail = CC_REG_OTHER;
                return cc_error_set(&x->err, -EPROTO, "%s answered HTTP %ld%s%s", host, x->status, text ? ": " : "",
                                    text ? text : "");
        }
}

/* A transfer ended: 0 done, 1 to run again, < 0 failed (x->err). */
static int complete(struct cc_reg_client *c, struct cc_reg_xfer *x, CURLcode code)
{
        detach(c, x);
        if (x->sink_error)
                return x->err.code ? x->err.code : -EIO;
        if (code != CURLE_OK) {
                /* A timeout before any answer (a connect timeout among them)
                 * is not worth five more: the host is unreachable. */
                if (code == CURLE_OPERATION_TIMEDOUT && x->status == 0)
                        code = CURLE_COULDNT_CONNECT;
                if (transient(code) && x->retries < MAX_RETRIES && !x->method) {
                        x->retries++;
                        x->not_before = cc_reg_now() + retry_delay(x);
                        return 1;
                }
                char host[256];
                cc_reg_url_host(x->url, host, sizeof(host));
                const char *why = x->curl_err[0] ? x->curl_err : curl_easy_strerror(code);
                bool registry = x->send_auth || strcmp(host, c->registry) == 0;
                x->fail = transient(code) ? CC_REG_OTHER : CC_REG_UNREACHABLE;
                if (x->fail == CC_REG_UNREACHABLE)
                        return cc_error_set(&x->err, -EHOSTUNREACH, "cannot reach %s %s: %s",
                                            registry ? "registry" : "host", host, why);
                return cc_error_set(&x->err, -EIO, "transfer from %s failed after %u attempts: %s", host,
                                    x->retries + 1, why);
        }
        long s = x->status;
        if (s == 200 || s == 206 || (x->method && (s == 201 || s == 202 || s == 204))) {
                if (x->head)
                        return 0;
                if (x->size >= 0 && x->got != (uint64_t) x->size) {
                        x->fail = CC_REG_CORRUPT;
                        return cc_error_set(&x->err, -EBADMSG,
                                            "size mismatch: the manifest says %lld bytes, the registry sent %llu "
                                            "(digest %s not checked)",
                                            (long long) x->size, (unsigned long long) x->got,
                                            x->digest ? x->digest : "-");
                }
                cc_sha256_final(&x->hash, x->got_digest);
                x->hashing = false;
                if (x->digest && strcmp(x->digest, x->got_digest) != 0) {
                        x->fail = CC_REG_CORRUPT;
                        return cc_error_set(&x->err, -EBADMSG, "digest mismatch: expected %s, the content has %s",
                                            x->digest, x->got_digest);
                }
                return 0;
        }
        if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                if (cc_reg_follow(c, x) < 0) {
                        x->fail = CC_REG_OTHER;
                        return x->err.code;
                }
                return 1;
        }
        if (s == 401 && x->send_auth) {
                if (x->epoch_sent != c->epoch)
                        return 1; /* another transfer renewed the authorization meanwhile */
                if (x->auth_tries++ == 0 && x->www_auth) {
                        int r = cc_reg_authenticate(c, x->www_auth, &x->err);
                        if (r < 0) {
                                x->fail = r == -EHOSTUNREACH ? CC_REG_UNREACHABLE : CC_REG_DENIED;
                                return r;
                        }
                        return 1;
                }
        }
        if ((s == 429 && x->retries < MAX_THROTTLED) ||
            ((s == 500 || s == 502 || s == 503 || s == 504) && x->retries < MAX_RETRIES && !x->method)) {
                x->retries++;
                x->not_before = cc_reg_now() + retry_delay(x);
                return 1;
        }
        return http_error(c, x);
}

int cc_reg_fetch(struct cc_reg_client *c, struct cc_reg_xfer **xs, size_t n, struct cc_error *err)
{
        unsigned max = c->max_parallel ? c->max_parallel : DEFAULT_PARALLEL;
        size_t active = 0, left = 0;
        int r = 0;
        for (size_t i = 0; i < n; i++) {
                struct cc_reg_xfer *x = xs[i];
                if (x->done)
                        continue;
                if (!x->url) {
                        x->url = cc_xasprintf("%s%s", c->base, x->path);
                        x->send_auth = true;
                }
                left++;
        }
        while (left > 0 && r == 0) {
                double now = cc_reg_now();
                for (size_t i = 0; i < n && active < max && r == 0; i++) {
                        struct cc_reg_xfer *x = xs[i];
                        if (x->done || x->easy || x->not_before > now)
                                continue;
                        r = start(c, x, err);
                        if (r == 0)
                                active++;
                }
                if (r < 0)
                        break;
                int running;
                curl_multi_perform(c->multi, &running);
                CURLMsg *m;
                int queued;
                while (r == 0 && (m = curl_multi_info_read(c->multi, &queued))) {
                        if (m->msg != CURLMSG_DONE)
                                continue;
                        struct cc_reg_xfer *x = NULL;
                        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &x);
                        CURLcode code = m->data.result;
                        active--;
                        int cr = complete(c, x, code);
                        if (cr < 0) {
                                r = cc_error_set(err, cr, "%s", cc_error_msg(&x->err));
                        } else if (cr == 0) {
                                x->done = true;
                                left--;
                                tee_close(x, false);
                                if (x->progress)
                                        x->progress(x, x->progress_data);
                        }
                }
                if (r < 0 || left == 0)
                        break;
                /* Sleep until a socket is ready or a waiting transfer may
                 * start; not at all when one may start now. */
                int timeout = 1000;
                now = cc_reg_now();
                for (size_t i = 0; i < n; i++) {
                        struct cc_reg_xfer *x = xs[i];
                        if (x->done || x->easy)
                                continue;
                        if (active < max && x->not_before <= now) {
                                timeout = 0;
                                break;
                        }
                        int ms = x->not_before <= now ? 0 : (int) ((x->not_before - now) * 1000) + 1;
                        if (ms < timeout)
                                timeout = ms;
                }
                if (timeout > 0)
                        curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
        }
        for (size_t i = 0; i < n; i++) {
                detach(c, xs[i]);
                if (!xs[i]->done)
                        tee_close(xs[i], true);
        }
        return r;
}

/* A loopback registry answered plain HTTP with "this is an HTTPS server". */
static bool speaks_tls(struct cc_reg_client *c, struct cc_reg_xfer *x)
{
        return cc_startswith(c->base, "http:") && x->status == 400 && x->errbody.s &&
               strstr(x->errbody.s, "HTTPS");
}

int cc_reg_ping(struct cc_reg_client *c, struct cc_error *err)
{
        struct cc_reg_xfer x;
        cc_reg_xfer_init(&x, "/v2/", -1);
        x.limit = 1u << 20;
        struct cc_reg_xfer *xs[] = { &x };
        int r = cc_reg_fetch(c, xs, 1, err);
        if (r < 0 && speaks_tls(c, &x)) {
                /* Loopback registries are tried in plain HTTP first; this one has TLS. */
                free(c->base);
                c->base = cc_xasprintf("https://%s", c->registry);
                cc_reg_xfer_free(&x);
                cc_reg_xfer_init(&x, "/v2/", -1);
                x.limit = 1u << 20;
                cc_error_clear(err);
                r = cc_reg_fetch(c, xs, 1, err);
        }
        if (r < 0 && x.fail == CC_REG_NOT_FOUND)
                r = cc_error_set(err, -EPROTO, "%s does not look like a registry: no /v2/ endpoint (HTTP 404)",
                                 c->registry);
        cc_reg_xfer_free(&x);
        return r;
}
