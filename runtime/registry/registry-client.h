/* The distribution-spec HTTP client (libcurl): one client per registry
 * and repository, holding the connection cache and the authorization.
 * Every request goes through one engine that runs many transfers at once
 * (curl multi) and handles, per transfer: redirects (followed by hand, so
 * the Authorization header never goes to another host), 401 (the token
 * flow or Basic auth, then a retry), 429 with Retry-After, 5xx with
 * backoff, and broken transfers (resumed with Range when the server
 * honours it). Bodies go to memory or a file, hashed on the way and
 * checked against the expected digest and size.
 * Owner: registry pulls. Internal to registry-*.c and image-pull.c. */
#ifndef CC_REGISTRY_CLIENT_H
#define CC_REGISTRY_CLIENT_H

#include <signal.h>

#include "registry.h"
#include "lazy-curl.h"

struct cc_reg_client {
        CURLM *multi;
        char *domain;     /* as in the reference (credentials, messages) */
        char *registry;   /* API host[:port] */
        char *base;       /* scheme://registry */
        char *certs_dir;  /* Docker's certs.d/<registry> when there is one */
        char *ca_blob;    /* then: the CAs to trust, PEM */
        size_t ca_blob_len;
        char *repository; /* NULL for a bare login check */
        char *scope;      /* "repository:<repo>:pull" (",push" to push) */
        bool push;        /* pushing: words refusals as such */
        struct cc_credentials cred;
        bool have_cred;
        char *authz;      /* "Basic ..." / "Bearer ..." or NULL */
        unsigned epoch;   /* bumped each time authz changes */
        bool basic;       /* authz carries the credentials themselves */
        unsigned max_parallel;
};

/* Sink of a failed transfer, so callers can word the error. */
enum cc_reg_fail {
        CC_REG_OK,
        CC_REG_NOT_FOUND,   /* 404: unknown manifest, blob or repository */
        CC_REG_DENIED,      /* 401/403 after authenticating */
        CC_REG_UNREACHABLE, /* connect, resolve or TLS failure */
        CC_REG_CORRUPT,     /* digest or size mismatch */
        CC_REG_OTHER,
};

struct cc_reg_xfer;
typedef void (*cc_reg_progress_fn)(struct cc_reg_xfer *x, void *data);

struct cc_reg_xfer {
        /* ---- set by the caller ---- */
        char *path;             /* below the base URL ("/v2/...") */
        const char *accept;     /* Accept header, or NULL */
        bool head;              /* HEAD instead of GET */
        int fd;                 /* >= 0: body to this file (from offset 0); else memory */
        size_t limit;           /* most bytes kept in memory */
        const char *digest;     /* expected digest of the body, or NULL */
        int64_t size;           /* expected size, or -1 */
        cc_reg_progress_fn progress;
        void *progress_data;
        int tee_fd;             /* >= 0: the body is also sent here as it arrives (a
                                   socket; blocking sends), closed at the end: see tee_broken */
        /* Uploads: a method with a request body (empty when neither send_mem
         * nor send_fd >= 0), sent again whole when the request is repeated
         * (a 401, a redirect). Such requests are not retried after a broken
         * transfer or a 5xx: the server may have taken part of the body. */
        const char *method;     /* "POST", "PUT", "PATCH"; NULL: GET (HEAD) */
        const char *send_type;  /* Content-Type of the body, or NULL */
        const char *send_range; /* Content-Range of the body (a chunk), or NULL */
        const void *send_mem;   /* the body in memory, send_len bytes, or */
        int send_fd;            /* send_len bytes of this file from send_off */
        uint64_t send_off, send_len;
        /* ---- results ---- */
        struct cc_buf body;     /* the memory sink */
        uint64_t got;           /* body bytes received */
        char got_digest[CC_DIGEST_LEN + 1];
        long status;
        char *content_type;
        char *docker_digest;    /* Docker-Content-Digest */
        enum cc_reg_fail fail;
        struct cc_error err;
        bool tee_broken;        /* the tee missed or repeated bytes (a restarted body,
                                   a failed send, a failed transfer): discard what it fed */
        /* ---- the engine's ---- */
        char *url;              /* current URL (after redirects) */
        bool send_auth;         /* url is on the registry's host */
        bool accepting;         /* this response's body is the content */
        bool done;
        bool sink_error;        /* the write callback stopped the transfer */
        unsigned redirects, retries, auth_tries, epoch_sent;
        double not_before;      /* monotonic seconds: retry not before */
        uint64_t range_start;
        uint64_t send_pos;      /* body bytes handed to curl */
        struct cc_sha256 hash;
        bool hashing;
        CURL *easy;
        struct curl_slist *headers;
        char *location, *www_auth, *retry_after, *content_range;
        struct cc_buf errbody;
        char curl_err[CURL_ERROR_SIZE];
};

/* Open a client for domain (no network yet, no credentials). repository
 * may be NULL (a login check). */
int cc_reg_client_open(const char *domain, const char *repository, struct cc_reg_client **out,
                       struct cc_error *err);
/* Take the credentials config.json has for the domain, if any. */
int cc_reg_client_load_credentials(struct cc_reg_client *c, struct cc_error *err);
/* Ask for push access to the repository too (cc_image_push). */
void cc_reg_client_want_push(struct cc_reg_client *c);
/* Use these credentials (login). */
void cc_reg_client_set_credentials(struct cc_reg_client *c, const char *username, const char *password);
void cc_reg_client_close(struct cc_reg_client *c);

/* GET /v2/: the registry is there, and authenticate (proactively, for the
 * repository's pull scope) when it asks for it. */
int cc_reg_ping(struct cc_reg_client *c, struct cc_error *err);

/* Initialise a transfer of path into memory (fd < 0) or fd. */
void cc_reg_xfer_init(struct cc_reg_xfer *x, const char *path, int fd);
void cc_reg_xfer_free(struct cc_reg_xfer *x);
/* Aim x at a Location the registry gave (absolute, or relative to its
 * base URL) plus query (may be NULL: "digest=..."), sending the
 * authorization only when it is on the registry's origin. -EPROTO when
 * location is not a usable URL. */
int cc_reg_xfer_set_location(struct cc_reg_client *c, struct cc_reg_xfer *x, const char *location,
                             const char *query, struct cc_error *err);
/* Run the transfers, at most c->max_parallel at once, until all are done
 * or one fails: then the others are stopped, and that one's error (with
 * x->fail saying what kind) is returned. */
int cc_reg_fetch(struct cc_reg_client *c, struct cc_reg_xfer **xs, size_t n, struct cc_error *err);

/* A write to a connection the server closed raises SIGPIPE (OpenSSL does
 * not ask for MSG_NOSIGNAL; libcurl leaves it to us with CURLOPT_NOSIGNAL):
 * block it in the calling thread for a pull, and drop one that came. */
struct cc_reg_sigpipe {
        sigset_t old;
        bool was_pending;
};
void cc_reg_sigpipe_block(struct cc_reg_sigpipe *sp);
void cc_reg_sigpipe_restore(struct cc_reg_sigpipe *sp);

/* ---- URLs (registry-url.c) ---- */
/* Same scheme, host and port. */
bool cc_reg_same_origin(const char *a, const char *b);
/* Aim x at its response's Location (a 3xx): the Authorization header goes
 * only to the registry's origin, https never turns into http towards
 * another host. < 0 with x->err set when the redirect is refused. */
int cc_reg_follow(struct cc_reg_client *c, struct cc_reg_xfer *x);
/* The host[:port] of url, into buf. */
const char *cc_reg_url_host(const char *url, char *buf, size_t len);

/* ---- shared by the engine and the token flow ---- */
double cc_reg_now(void); /* monotonic seconds */
/* Options every request gets: no signals, timeouts, user agent, http(s) only. */
void cc_reg_easy_defaults(CURL *e);
/* Docker's certs.d directory for a registry (host[:port]), NULL when none
 * (registry-tls.c). Caller frees. */
char *cc_reg_certs_dir(const char *registry);
/* Trust certs.d's CAs for this request too; offer its client certificate
 * when the request goes to the registry itself. */
void cc_reg_easy_tls(struct cc_reg_client *c, CURL *e, bool registry_host);
/* The registry's JSON error document as text ("manifest unknown"), else
 * its first short printable line, else NULL. Caller frees. */
char *cc_reg_error_text(const char *body, size_t len);
/* Answer a 401 challenge (registry-token.c): Basic with the credentials, or
 * a token from the Bearer realm for the challenge's scope (else the
 * repository's pull scope). -EACCES when refused or impossible (no
 * credentials for Basic), -EHOSTUNREACH when the token server is not
 * reachable. */
int cc_reg_authenticate(struct cc_reg_client *c, const char *www_authenticate, struct cc_error *err);
/* The error for a request refused after authenticating; detail (may be NULL)
 * is the registry's message. Returns -EACCES. */
int cc_reg_denied(struct cc_reg_client *c, struct cc_error *err, const char *detail);

#endif
