/* Registry credentials as the docker CLI keeps them: config.json
 * ($DOCKER_CONFIG or ~/.docker) with "auths" entries holding base64
 * "user:password", or a credential helper (credsStore, credHelpers) run as
 * docker-credential-<name> get|store|erase. Also WWW-Authenticate parsing
 * and base64. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "registry-client.h"

#define HUB_KEY "https://index.docker.io/v1/"
#define CONFIG_MAX (4u << 20)
#define HELPER_OUTPUT_MAX (1u << 20)

extern char **environ;

void cc_credentials_free(struct cc_credentials *c)
{
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        if (c->identity_token)
                explicit_bzero(c->identity_token, strlen(c->identity_token));
        free(c->username);
        free(c->password);
        free(c->identity_token);
        memset(c, 0, sizeof(*c));
}

/* ---- base64 ---- */

char *cc_base64_encode(const void *data, size_t len)
{
        char *out = cc_xmalloc(4 * ((len + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *) out, data, (int) len);
        return out;
}

char *cc_base64_decode(const char *s, size_t *len)
{
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                n--;
        if (n % 4 != 0)
                return NULL;
        unsigned char *out = cc_xmalloc(n / 4 * 3 + 1);
        int r = EVP_DecodeBlock(out, (const unsigned char *) s, (int) n);
        if (r < 0) {
                free(out);
                return NULL;
        }
        size_t pad = 0;
        if (n >= 1 && s[n - 1] == '=')
                pad++;
        if (n >= 2 && s[n - 2] == '=')
                pad++;
        size_t got = (size_t) r - pad;
        out[got] = '\0';
        if (len)
                *len = got;
        return (char *) out;
}

/* ---- WWW-Authenticate ---- */

void cc_auth_challenge_free(struct cc_auth_challenge *c)
{
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
        free(c->error);
        memset(c, 0, sizeof(*c));
}

static bool tchar(char c)
{
        return c != '\0' && (isalnum((unsigned char) c) || strchr("!#$%&'*+-.^_`|~/", c));
}

/* A token or quoted-string at *p; advances past it. */
static char *read_value(const char **p)
{
        const char *s = *p;
        struct cc_buf b = {0};
        if (*s == '"') {
                for (s++; *s && *s != '"'; s++) {
                        if (*s == '\\' && s[1])
                                s++;
                        cc_buf_putc(&b, *s);
                }
                if (*s == '"')
                        s++;
        } else {
                while (*s && *s != ',' && !isspace((unsigned char) *s))
                        cc_buf_putc(&b, *s++);
        }
        *p = s;
        return cc_buf_steal(&b);
}

/* The challenge read so far is complete: keep the first Bearer one (in
 * *out) and the first Basic one; cur starts empty again. */
static void challenge_end(struct cc_auth_challenge *cur, struct cc_auth_challenge *out, bool *have_bearer,
                          struct cc_auth_challenge *basic)
{
        if (cur->scheme && strcmp(cur->scheme, "bearer") == 0 && !*have_bearer) {
                *out = *cur;
                *have_bearer = true;
        } else if (cur->scheme && strcmp(cur->scheme, "basic") == 0 && !basic->scheme) {
                *basic = *cur;
        } else {
                cc_auth_challenge_free(cur);
        }
        memset(cur, 0, sizeof(*cur));
}

int cc_auth_challenge_parse(const char *header, struct cc_auth_challenge *out)
{
        memset(out, 0, sizeof(*out));
        struct cc_auth_challenge cur = {0}, basic = {0};
        bool have_bearer = false;
        const char *p = header ? header : "";
        for (;;) {
                while (*p == ',' || isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                const char *start = p;
                while (tchar(*p) && *p != '/')
                        p++;
                if (p == start) {
                        p++; /* junk */
                        continue;
                }
                _cleanup_free_ char *tok = cc_xstrndup(start, (size_t) (p - start));
                const char *q = p;
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q == '=' && cur.scheme) {
                        q++;
                        while (*q == ' ' || *q == '\t')
                                q++;
                        char *v = read_value(&q);
                        for (char *t = tok; *t; t++)
                                *t = (char) tolower((unsigned char) *t);
                        char **slot = strcmp(tok, "realm") == 0     ? &cur.realm
                                      : strcmp(tok, "service") == 0 ? &cur.service
                                      : strcmp(tok, "scope") == 0   ? &cur.scope
                                      : strcmp(tok, "error") == 0   ? &cur.error
                                                                    : NULL;
                        if (slot) {
                                free(*slot);
                                *slot = v;
                        } else {
                                free(v);
                        }
                        p = q;
                        continue;
                }
                /* A new challenge begins. */
                challenge_end(&cur, out, &have_bearer, &basic);
                for (char *t = tok; *t; t++)
                        *t = (char) tolower((unsigned char) *t);
                cur.scheme = cc_steal(&tok);
        }
        challenge_end(&cur, out, &have_bearer, &basic);
        if (have_bearer) {
                cc_auth_challenge_free(&basic);
                return 0;
        }
        if (basic.scheme) {
                *out = basic;
                return 0;
        }
        return -EINVAL;
}

/* ---- config.json ---- */

char *cc_registry_config_path(void)
{
        const char *dir = getenv("DOCKER_CONFIG");
        if (dir && *dir)
                return cc_path_join(dir, "config.json");
        const char *home = getenv("HOME");
        if (!home || !*home) {
                struct passwd *pw = getpwuid(getuid());
                home = pw ? pw->pw_dir : "/root";
        }
        return cc_xasprintf("%s/.docker/config.json", home);
}

static bool is_hub(const char *host)
{
        return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
               strcmp(host, "registry-1.docker.io") == 0 || strcmp(host, "registry.hub.docker.com") == 0;
}

/* "https://host:port/v1/" -> "host:port", as docker's ConvertToHostname. */
static char *to_hostname(const char *s)
{
        const char *p = s;
        if (cc_startswith(p, "http://"))
                p += 7;
        else if (cc_startswith(p, "https://"))
                p += 8;
        const char *slash = strchr(p, '/');
        return slash ? cc_xstrndup(p, (size_t) (slash - p)) : cc_xstrdup(p);
}

char *cc_registry_server_key(const char *server)
{
        if (!server || !*server)
                return cc_xstrdup(HUB_KEY);
        _cleanup_free_ char *host = to_hostname(server);
        if (!*host)
                return NULL;
        for (char *p = host; *p; p++) {
                if (!(isalnum((unsigned char) *p) || strchr(".-:[]_", *p)))
                        return NULL;
                *p = (char) tolower((unsigned char) *p);
        }
        if (is_hub(host))
                return cc_xstrdup(HUB_KEY);
        return cc_steal(&host);
}

static int config_read(const char *path, json_object **out, struct cc_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = cc_read_file(path, &data, &len);
        if (r == -ENOENT) {
                *out = json_object_new_object();
                return 0;
        }
        if (r < 0)
                return cc_error_setsys(err, r, "read %s", path);
        if (len > CONFIG_MAX)
                return cc_error_set(err, -EFBIG, "%s is too large", path);
        json_object *o = len ? json_tokener_parse(data) : json_object_new_object();
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return cc_error_set(err, -EINVAL, "%s: not a JSON object", path);
        }
        *out = o;
        return 0;
}

static int config_write(const char *path, json_object *cfg, struct cc_error *err)
{
        /* Write through a symlink to its target, as the docker CLI does. */
        _cleanup_free_ char *real = realpath(path, NULL);
        const char *target = real ? real : path;
        _cleanup_free_ char *dir = cc_xstrdup(target);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                int r = cc_mkdir_p(dir, 0700);
                if (r < 0)
                        return cc_error_setsys(err, r, "create %s", dir);
        }
        const char *text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
                                                                       JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *withnl = cc_xasprintf("%s\n", text);
        int r = cc_write_file_atomic(target, withnl, strlen(withnl), 0600);
        if (r < 0)
                return cc_error_setsys(err, r, "write %s", target);
        return 0;
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* The auths entry for key, exact or after reducing entry names to host names. */
static json_object *auths_entry(json_object *auths, const char *key, const char **name)
{
        json_object *e;
        if (json_object_object_get_ex(auths, key, &e)) {
                *name = key;
                return e;
        }
        _cleanup_free_ char *want = to_hostname(key);
        json_object_object_foreach(auths, k, v) {
                _cleanup_free_ char *h = to_hostname(k);
                bool same = strcmp(h, want) == 0 || (is_hub(want) && is_hub(h));
                if (same) {
                        *name = k;
                        return v;
                }
        }
        return NULL;
}

static int entry_credentials(json_object *e, const char *name, const char *path, struct cc_credentials *out,
                             struct cc_error *err)
{
        const char *auth = jstr(e, "auth"), *user = jstr(e, "username"), *pass = jstr(e, "password");
        const char *idt = jstr(e, "identitytoken");
        if (auth && *auth) {
                _cleanup_free_ char *dec = cc_base64_decode(auth, NULL);
                char *colon = dec ? strchr(dec, ':') : NULL;
                if (!colon)
                        return cc_error_set(err, -EINVAL, "%s: the \"auth\" of %s is not base64 of user:password",
                                            path, name);
                *colon = '\0';
                out->username = cc_xstrdup(dec);
                out->password = cc_xstrdup(colon + 1);
                explicit_bzero(colon + 1, strlen(colon + 1));
        } else if (user && pass) {
                out->username = cc_xstrdup(user);
                out->password = cc_xstrdup(pass);
        }
        if (idt && *idt)
                out->identity_token = cc_xstrdup(idt);
        return out->username || out->identity_token ? 1 : 0;
}

/* ---- credential helpers ---- */

/* Run docker-credential-<helper> action with input on stdin; *output gets
 * its stdout. Returns its exit status, or a negative error. */
static int run_helper(const char *helper, const char *action, const char *input, char **output,
                      struct cc_error *err)
{
        for (const char *p = helper; *p; p++)
                if (!(isalnum((unsigned char) *p) || *p == '-' || *p == '_' || *p == '.'))
                        return cc_error_set(err, -EINVAL, "invalid credential helper name \"%s\"", helper);
        _cleanup_free_ char *prog = cc_xasprintf("docker-credential-%s", helper);
        int in[2], outp[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return cc_error_setsys(err, -errno, "pipe");
        if (pipe2(outp, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return cc_error_setsys(err, -errno, "pipe");
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
        char *argv[] = { prog, (char *) action, NULL };
        pid_t pid;
        int r = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(in[0]);
        close(outp[1]);
        if (r != 0) {
                close(in[1]);
                close(outp[0]);
                return cc_error_setsys(err, -r, "run %s (the credential helper config.json names)", prog);
        }
        /* Inputs are small (a server name or one JSON object): one write. */
        struct cc_reg_sigpipe sp;
        cc_reg_sigpipe_block(&sp);
        size_t len = strlen(input);
        ssize_t w = write(in[1], input, len);
        (void) w;
        close(in[1]);
        cc_reg_sigpipe_restore(&sp);
        struct cc_buf b = {0};
        char buf[4096];
        for (;;) {
                ssize_t n = read(outp[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (b.len < HELPER_OUTPUT_MAX)
                        cc_buf_add(&b, buf, (size_t) n);
        }
        close(outp[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        *output = cc_buf_steal(&b);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static const char *helper_for(json_object *cfg, const char *key)
{
        json_object *helpers;
        _cleanup_free_ char *host = to_hostname(key);
        if (json_object_object_get_ex(cfg, "credHelpers", &helpers)) {
                const char *h = jstr(helpers, key);
                if (!h)
                        h = jstr(helpers, host);
                if (h && *h)
                        return h;
        }
        const char *store = jstr(cfg, "credsStore");
        return store && *store ? store : NULL;
}

static int helper_get(const char *helper, const char *key, struct cc_credentials *out, struct cc_error *err)
{
        _cleanup_free_ char *output = NULL;
        int r = run_helper(helper, "get", key, &output, err);
        if (r < 0)
                return r;
        if (r != 0) {
                /* "credentials not found in native keychain": none stored. */
                if (strstr(output, "not found"))
                        return 0;
                return cc_error_set(err, -EIO, "docker-credential-%s get %s failed: %s", helper, key, output);
        }
        json_object *o = json_tokener_parse(output);
        const char *user = jstr(o, "Username"), *secret = jstr(o, "Secret");
        int found = 0;
        if (user && secret && *secret) {
                if (strcmp(user, "<token>") == 0) {
                        out->identity_token = cc_xstrdup(secret);
                } else {
                        out->username = cc_xstrdup(user);
                        out->password = cc_xstrdup(secret);
                }
                found = 1;
        }
        json_object_put(o);
        return found;
}

int cc_registry_credentials_get(const char *domain, struct cc_credentials *out, struct cc_error *err)
{
        memset(out, 0, sizeof(*out));
        _cleanup_free_ char *key = cc_registry_server_key(domain);
        if (!key)
                return 0;
        _cleanup_free_ char *path = cc_registry_config_path();
        json_object *cfg = NULL, *auths;
        int r = config_read(path, &cfg, err);
        if (r < 0)
                return r;
        const char *helper = helper_for(cfg, key);
        if (helper) {
                r = helper_get(helper, key, out, err);
        } else if (json_object_object_get_ex(cfg, "auths", &auths) && json_object_is_type(auths, json_type_object)) {
                const char *name = NULL;
                json_object *e = auths_entry(auths, key, &name);
                r = e ? entry_credentials(e, name, path, out, err) : 0;
        } else {
                r = 0;
        }
        json_object_put(cfg);
        if (r <= 0)
                cc_credentials_free(out);
        return r;
}

int cc_registry_credentials_store(const char *server, const char *username, const char *password,
                                  struct cc_error *err)
{
        _cleanup_free_ char *key = cc_registry_server_key(server);
        if (!key)
                return cc_error_set(err, -EINVAL, "invalid registry server \"%s\"", server);
        if (strchr(username, ':'))
                return cc_error_set(err, -EINVAL, "a user name may not contain \":\"");
        _cleanup_free_ char *path = cc_registry_config_path();
        json_object *cfg = NULL, *auths;
        int r = config_read(path, &cfg, err);
        if (r < 0)
                return r;
        const char *helper = helper_for(cfg, key);
        if (helper) {
                json_object *in = json_object_new_object();
                json_object_object_add(in, "ServerURL", json_object_new_string(key));
                json_object_object_add(in, "Username", json_object_new_string(username));
                json_object_object_add(in, "Secret", json_object_new_string(password));
                _cleanup_free_ char *output = NULL;
                r = run_helper(helper, "store", json_object_to_json_string(in), &output, err);
                json_object_put(in);
                if (r > 0)
                        r = cc_error_set(err, -EIO, "docker-credential-%s store failed: %s", helper, output);
                /* The file keeps an empty entry, as docker's does. */
                password = NULL;
        }
        if (r == 0) {
                if (!json_object_object_get_ex(cfg, "auths", &auths) || !json_object_is_type(auths, json_type_object)) {
                        auths = json_object_new_object();
                        json_object_object_add(cfg, "auths", auths);
                }
                const char *old = NULL;
                if (auths_entry(auths, key, &old) && old) {
                        _cleanup_free_ char *oldname = cc_xstrdup(old);
                        json_object_object_del(auths, oldname);
                }
                json_object *e = json_object_new_object();
                if (password) {
                        _cleanup_free_ char *plain = cc_xasprintf("%s:%s", username, password);
                        _cleanup_free_ char *b64 = cc_base64_encode(plain, strlen(plain));
                        explicit_bzero(plain, strlen(plain));
                        json_object_object_add(e, "auth", json_object_new_string(b64));
                        explicit_bzero(b64, strlen(b64));
                }
                json_object_object_add(auths, key, e);
                r = config_write(path, cfg, err);
        }
        json_object_put(cfg);
        return r;
}

int cc_registry_credentials_erase(const char *server, struct cc_error *err)
{
        _cleanup_free_ char *key = cc_registry_server_key(server);
        if (!key)
                return cc_error_set(err, -EINVAL, "invalid registry server \"%s\"", server);
        _cleanup_free_ char *path = cc_registry_config_path();
        json_object *cfg = NULL, *auths;
        int r = config_read(path, &cfg, err);
        if (r < 0)
                return r;
        int removed = 0;
        const char *helper = helper_for(cfg, key);
        if (helper) {
                _cleanup_free_ char *output = NULL;
                r = run_helper(helper, "erase", key, &output, err);
                if (r == 0)
                        removed = 1;
                else if (r > 0 && !strstr(output, "not found"))
                        r = cc_error_set(err, -EIO, "docker-credential-%s erase failed: %s", helper, output);
                else if (r > 0)
                        r = 0;
        }
        if (r == 0 && json_object_object_get_ex(cfg, "auths", &auths) && json_object_is_type(auths, json_type_object)) {
                const char *name = NULL;
                if (auths_entry(auths, key, &name)) {
                        _cleanup_free_ char *n = cc_xstrdup(name);
                        json_object_object_del(auths, n);
                        removed = 1;
                        r = config_write(path, cfg, err);
                }
        }
        json_object_put(cfg);
        return r < 0 ? r : removed;
}
