/* Pulling images from OCI distribution registries (Docker Hub and any
 * registry that speaks the distribution spec), credentials in Docker's
 * config.json, and the pull policies of compose services.
 * Owner: registry pulls (runtime/registry/). */
#ifndef CC_REGISTRY_H
#define CC_REGISTRY_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cc-error.h"
#include "image-digest.h"

struct cc_image_store;

/* ---- references (registry-ref.c) ---- */

/* Where an image reference is fetched from. "busybox" gives domain
 * "docker.io", registry "registry-1.docker.io", repository
 * "library/busybox", tag "latest". */
struct cc_registry_ref {
        char *norm;       /* normalised reference, as the store tags it */
        char *domain;     /* as written in the reference: "docker.io", "localhost:5000" */
        char *registry;   /* host[:port] the API is served on */
        char *repository; /* path inside the registry */
        char *tag;        /* NULL when pulled by digest only */
        char *digest;     /* "sha256:..." or NULL */
};

int cc_registry_ref_parse(const char *ref, struct cc_registry_ref *out, struct cc_error *err);
void cc_registry_ref_free(struct cc_registry_ref *r);
/* The API host of a reference domain: docker.io and index.docker.io ->
 * registry-1.docker.io; anything else unchanged. Caller frees. */
char *cc_registry_api_host(const char *domain);
/* True for localhost, 127.0.0.0/8 and ::1 (with or without a port, IPv6 in
 * brackets): such registries are spoken to in plain HTTP, as Docker does. */
bool cc_registry_is_loopback(const char *hostport);
/* "https://host[:port]" or "http://..." for loopback registries. */
char *cc_registry_base_url(const char *registry);

/* ---- platforms (registry-ref.c) ---- */

struct cc_platform {
        char os[32];
        char arch[32];
        char variant[16]; /* "" when none */
};

/* Parse "os/arch[/variant]" (also "arch" alone, meaning linux/arch);
 * NULL or "" gives the host's platform. Architectures are normalised as
 * containerd does (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7). */
int cc_platform_parse(const char *s, struct cc_platform *out, struct cc_error *err);
void cc_platform_host(struct cc_platform *out);
/* "linux/arm64/v8" style, into buf (at least 96 bytes). */
const char *cc_platform_format(const struct cc_platform *p, char *buf, size_t len);
/* How well an image for (os, architecture, variant), as a manifest list or
 * config names it (variant may be NULL), suits want: 2 exactly, 1 it runs
 * there (an older ARM variant), 0 not at all. */
int cc_platform_match(const struct cc_platform *want, const char *os, const char *arch, const char *variant);

/* ---- credentials (registry-auth.c) ---- */

struct cc_credentials {
        char *username;
        char *password;
        char *identity_token; /* an OAuth2 refresh token (docker login's identitytoken) */
};
void cc_credentials_free(struct cc_credentials *c);

/* Docker's client configuration file: $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json. Caller frees. */
char *cc_registry_config_path(void);
/* The config.json "auths" key for a server as `docker login` writes it:
 * Docker Hub ("docker.io", "index.docker.io", "registry-1.docker.io", none)
 * -> "https://index.docker.io/v1/"; otherwise the host[:port] with any
 * scheme and path removed. NULL when server is not a valid host. */
char *cc_registry_server_key(const char *server);
/* Credentials for the registry domain from config.json (the auths entries,
 * matched as Docker matches them, or the credential helper it names).
 * Returns 1 with *out filled, 0 when there are none. */
int cc_registry_credentials_get(const char *domain, struct cc_credentials *out, struct cc_error *err);
/* Store (login) or remove (logout: returns 1 when removed, 0 when there was
 * nothing) the credentials of server in config.json, written atomically
 * with mode 0600; other contents of the file are kept. */
int cc_registry_credentials_store(const char *server, const char *username, const char *password,
                                  struct cc_error *err);
int cc_registry_credentials_erase(const char *server, struct cc_error *err);

/* One challenge of a WWW-Authenticate header: Bearer realm="...",
 * service="...", scope="...", error="..." or Basic realm="...". */
struct cc_auth_challenge {
        char *scheme; /* "bearer" / "basic" (lower case) */
        char *realm;
        char *service;
        char *scope;
        char *error;
};
/* Parse the first Bearer challenge of header, else the first Basic one.
 * Returns 0, or -EINVAL when the header holds neither. */
int cc_auth_challenge_parse(const char *header, struct cc_auth_challenge *out);
void cc_auth_challenge_free(struct cc_auth_challenge *c);

/* Base64 (standard alphabet, padded). Caller frees; decode returns NULL
 * on invalid input and NUL-terminates. */
char *cc_base64_encode(const void *data, size_t len);
char *cc_base64_decode(const char *s, size_t *len);

/* Check credentials against a registry (GET /v2/ with them, through the
 * token flow when it asks for one): 0 when accepted, -EACCES when refused. */
int cc_registry_login_check(const char *server, const char *username, const char *password,
                            struct cc_error *err);

/* ---- pulling (image-pull.c) ---- */

enum cc_pull_status {
        CC_PULL_RESOLVING,       /* image: "Pulling from <repository>" */
        CC_PULL_LAYER_WAITING,   /* layer: "Pulling fs layer" */
        CC_PULL_LAYER_EXISTS,    /* layer: "Already exists" */
        CC_PULL_LAYER_DOWNLOAD,  /* layer: "Downloading" current/total */
        CC_PULL_LAYER_VERIFYING, /* layer: "Verifying Checksum" */
        CC_PULL_LAYER_DOWNLOADED,/* layer: "Download complete" */
        CC_PULL_LAYER_EXTRACT,   /* layer: "Extracting" */
        CC_PULL_LAYER_DONE,      /* layer: "Pull complete" */
        CC_PULL_DONE,            /* image: digest and status known */
};

struct cc_pull_event {
        enum cc_pull_status status;
        const char *ref;        /* the normalised reference being pulled */
        const char *layer;      /* blob digest, for layer events */
        uint64_t current, total;
        /* CC_PULL_DONE */
        const char *digest;     /* the digest the reference resolved to */
        bool updated;           /* false: "Image is up to date" */
};
typedef void (*cc_pull_progress_fn)(const struct cc_pull_event *ev, void *data);

struct cc_pull_options {
        const char *ref;
        const char *platform;      /* NULL: the host's ($DOCKER_DEFAULT_PLATFORM when set) */
        cc_pull_progress_fn progress;
        void *progress_data;
        unsigned max_concurrent;   /* layer downloads at once; 0: 6 */
};

struct cc_pull_result {
        char id[CC_DIGEST_LEN + 1];     /* the image ID (config digest) */
        char digest[CC_DIGEST_LEN + 1]; /* what the reference resolved to */
        char *ref;                      /* normalised reference, owned */
        bool updated;                   /* the tag changed (false: up to date) */
};
void cc_pull_result_free(struct cc_pull_result *r);

/* Pull ref into the store: resolve it (manifest list or index -> the
 * platform's manifest), download the config and the layers not in the
 * store yet (concurrently), check each against its digest and size,
 * unpack, tag. All or nothing: on failure the store is as it was. */
int cc_image_pull(struct cc_image_store *s, const struct cc_pull_options *o, struct cc_pull_result *res,
                  struct cc_error *err);

/* ---- pushing (image-push.c) ---- */

enum cc_push_status {
        CC_PUSH_START,           /* "The push refers to repository [...]" */
        CC_PUSH_LAYER_PREPARING, /* layer: "Preparing" */
        CC_PUSH_LAYER_PUSHING,   /* layer: "Pushing" current/total */
        CC_PUSH_LAYER_EXISTS,    /* layer: "Layer already exists" */
        CC_PUSH_LAYER_MOUNTED,   /* layer: "Mounted from <from>" */
        CC_PUSH_LAYER_PUSHED,    /* layer: "Pushed" */
        CC_PUSH_DONE,            /* "<tag>: digest: sha256:... size: N" */
};

struct cc_push_event {
        enum cc_push_status status;
        const char *ref;        /* the normalised reference being pushed */
        const char *repository; /* CC_PUSH_START: "localhost:5000/app", "docker.io/library/x" */
        const char *layer;      /* layer events: the short ID (12 hex of its diff-id) */
        const char *from;       /* CC_PUSH_LAYER_MOUNTED: the repository it came from */
        uint64_t current, total;
        const char *tag;        /* CC_PUSH_DONE */
        const char *digest;     /* CC_PUSH_DONE: the manifest's digest */
        uint64_t size;          /* CC_PUSH_DONE: the manifest's size */
};
typedef void (*cc_push_progress_fn)(const struct cc_push_event *ev, void *data);

struct cc_push_options {
        const char *ref;        /* a tag of an image in the store */
        cc_push_progress_fn progress;
        void *progress_data;
        /* Blobs larger than this go up in chunks of this size (PATCH), the
         * others in one PUT. 0: $CCOMPOSE_PUSH_CHUNK_SIZE, else 16 MiB. */
        uint64_t chunk_size;
};

struct cc_push_result {
        char digest[CC_DIGEST_LEN + 1]; /* the manifest's, as the registry has it */
        uint64_t size;                  /* the manifest's size */
};

/* Push the image ref names to its registry: each layer blob the registry
 * lacks is mounted from another repository of the registry that has it
 * (one the store knows the blob from: a tag of an image using it) or
 * uploaded (monolithic or chunked), then the config, then the manifest as
 * the store holds it (so the digest is the one a pull gives), under the
 * tag. Credentials and auth as for pulls, with push scope. */
int cc_image_push(struct cc_image_store *s, const struct cc_push_options *o, struct cc_push_result *res,
                  struct cc_error *err);

/* docker push's lines ("<id>: Pushed", ...) on out (a FILE *), one per
 * change of state; or, for compose (prefix set: the tag), docker compose
 * push's ("Pushing <tag>: <id> Pushed"). */
struct cc_push_display {
        FILE *out;
        const char *prefix;
        bool said_repository; /* "The push refers to..." once per display */
};
void cc_push_display_event(const struct cc_push_event *ev, void *display);

/* ---- progress display (registry-progress.c) ---- */

/* Docker's pull display: on a terminal one line per layer updated in place
 * (Downloading [==>   ] 12MB/40MB), otherwise one plain line per change of
 * state. prefix (may be NULL) starts every line, e.g. a service name. */
struct cc_pull_display;
struct cc_pull_display *cc_pull_display_new(FILE *out, bool tty, const char *prefix);
void cc_pull_display_free(struct cc_pull_display *d);
void cc_pull_display_event(const struct cc_pull_event *ev, void *display);

/* ---- pull policies (registry-policy.c) ---- */

enum cc_pull_policy {
        CC_PULL_POLICY_MISSING, /* "missing", "if_not_present", unset */
        CC_PULL_POLICY_ALWAYS,  /* "always", "refresh" */
        CC_PULL_POLICY_NEVER,
        CC_PULL_POLICY_BUILD,
        CC_PULL_POLICY_EVERY,   /* "daily", "weekly", "every_<duration>": interval set */
};
/* interval: seconds, for CC_PULL_POLICY_EVERY. -EINVAL for anything else. */
int cc_pull_policy_parse(const char *s, enum cc_pull_policy *policy, int64_t *interval, struct cc_error *err);

/* Make sure image ref is in the store under root as pull_policy asks,
 * before the caller looks it up:
 *   missing (NULL, "", "if_not_present"): pull only when ref is not in the store
 *   always / refresh: pull every time (an unchanged image is not downloaded again)
 *   never: never pull; -ENOENT naming the image when it is missing
 *   build: never pull (ccompose builds nothing); -ENOENT when missing
 *   daily / weekly / every_<duration>: pull when missing or when the image
 *     was last pulled (or loaded) longer ago than the interval
 * platform: the service's "platform:" (NULL: the host's). quiet: no progress
 * (else docker's pull display on stderr). References that are image IDs
 * are never pulled. */
int cc_image_ensure(const char *root, const char *ref, const char *pull_policy, const char *platform, bool quiet,
                    struct cc_error *err);

#endif
