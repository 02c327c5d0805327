/* Authenticating to a registry: answering its 401 challenge with Basic
 * credentials or with a token from the Bearer realm (the distribution
 * token flow: GET realm?service=&scope= with the credentials as Basic
 * auth, or the OAuth2 refresh-token POST for an identity token), and the
 * check `ccompose login` makes. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <strings.h>

#include "image-store.h"
#include "registry-client.h"

#define TOKEN_BODY_MAX (1u << 20)

void cc_reg_easy_defaults(CURL *e)
{
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "ccompose/" CC_VERSION);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
        /* A transfer that stalls for a minute is broken: retried (resumed). */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
}

static char *who(struct cc_reg_client *c)
{
        if (!c->repository)
                return cc_xstrdup(c->domain);
        _cleanup_free_ char *full = cc_xasprintf("%s/%s", c->domain, c->repository);
        return cc_image_repo_familiar(full);
}

int cc_reg_denied(struct cc_reg_client *c, struct cc_error *err, const char *detail)
{
        _cleanup_free_ char *name = who(c);
        const char *sep = detail ? ": " : "", *d = detail ? detail : "";
        if (c->basic && c->have_cred)
                return cc_error_set(err, -EACCES, "%s refused the credentials of user \"%s\"%s%s", c->domain,
                                    c->cred.username ? c->cred.username : "", sep, d);
        if (!c->repository)
                return cc_error_set(err, -EACCES, "%s: access denied%s%s", c->domain, sep, d);
        const char *act = c->push ? "push" : "pull";
        if (c->have_cred)
                return cc_error_set(err, -EACCES,
                                    "%s access denied for %s (as user \"%s\"): the repository does not exist or "
                                    "the user may not %s it%s%s",
                                    act, name, c->cred.username ? c->cred.username : "", act, sep, d);
        return cc_error_set(err, -EACCES,
                            "%s access denied for %s, repository does not exist or may require "
                            "'ccompose login %s'%s%s",
                            act, name, c->domain, sep, d);
}

struct sink {
        struct cc_buf b;
        bool over;
};

static size_t sink_write(char *p, size_t size, size_t n, void *data)
{
        struct sink *s = data;
        size_t len = size * n;
        if (s->b.len + len > TOKEN_BODY_MAX) {
                s->over = true;
                return 0;
        }
        cc_buf_add(&s->b, p, len);
        return len;
}

static void add_param(struct cc_buf *b, CURL *e, const char *name, const char *value)
{
        char *esc = curl_easy_escape(e, value, 0);
        cc_buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, esc ? esc : "");
        curl_free(esc);
}

/* service, each scope (space-separated), account; the OAuth2 fields too
 * for a refresh-token POST. */
static char *token_params(struct cc_reg_client *c, CURL *e, const struct cc_auth_challenge *ch, bool oauth)
{
        struct cc_buf b = {0};
        if (oauth) {
                add_param(&b, e, "grant_type", "refresh_token");
                add_param(&b, e, "refresh_token", c->cred.identity_token);
                add_param(&b, e, "client_id", "ccompose");
        }
        if (ch->service)
                add_param(&b, e, "service", ch->service);
        const char *scope = ch->scope ? ch->scope : c->scope;
        if (scope) {
                _cleanup_free_ char *copy = cc_xstrdup(scope);
                char *save = NULL;
                for (char *s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save))
                        add_param(&b, e, "scope", s);
        }
        if (!oauth && c->have_cred && c->cred.username)
                add_param(&b, e, "account", c->cred.username);
        return cc_buf_steal(&b);
}

static const char *realm_host(const char *realm, char *buf, size_t len)
{
        const char *p = strstr(realm, "://");
        p = p ? p + 3 : realm;
        size_t n = strcspn(p, "/?#");
        snprintf(buf, len, "%.*s", (int) n, p);
        return buf;
}

static int bearer(struct cc_reg_client *c, const struct cc_auth_challenge *ch, struct cc_error *err)
{
        if (!ch->realm || !(cc_startswith(ch->realm, "https://") || cc_startswith(ch->realm, "http://")))
                return cc_error_set(err, -EACCES, "%s: the Bearer challenge names no usable realm (\"%s\")",
                                    c->registry, ch->realm ? ch->realm : "");
        char host[256];
        realm_host(ch->realm, host, sizeof(host));
        bool plain = cc_startswith(ch->realm, "http://");
        bool creds = c->have_cred && (c->cred.username || c->cred.identity_token);
        if (creds && plain && !cc_registry_is_loopback(host))
                return cc_error_set(err, -EACCES,
                                    "%s: refusing to send the credentials to the token server %s over plain http",
                                    c->registry, ch->realm);
        CURL *e = curl_easy_init();
        if (!e)
                return cc_error_set(err, -ENOMEM, "initialise libcurl");
        bool oauth = creds && c->cred.identity_token;
        _cleanup_free_ char *params = token_params(c, e, ch, oauth);
        _cleanup_free_ char *url = NULL;
        if (oauth) {
                url = cc_xstrdup(ch->realm);
                curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, params);
        } else {
                url = cc_xasprintf("%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?", params);
                if (creds) {
                        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
                        curl_easy_setopt(e, CURLOPT_USERNAME, c->cred.username);
                        curl_easy_setopt(e, CURLOPT_PASSWORD, c->cred.password ? c->cred.password : "");
                }
        }
        char curl_err[CURL_ERROR_SIZE] = "";
        struct sink s = {0};
        cc_reg_easy_defaults(e);
        cc_reg_easy_tls(c, e, false);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, curl_err);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink_write);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
        CURLcode code = curl_easy_perform(e);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(e);
        int r = 0;
        _cleanup_free_ char *text = NULL;
        if (code != CURLE_OK && !s.over) {
                r = cc_error_set(err, -EHOSTUNREACH, "cannot reach the token server %s: %s", host,
                                 curl_err[0] ? curl_err : curl_easy_strerror(code));
        } else if (s.over) {
                r = cc_error_set(err, -EPROTO, "token server %s: answer larger than %u bytes", host, TOKEN_BODY_MAX);
        } else if (status == 401 || status == 403) {
                text = cc_reg_error_text(s.b.s, s.b.len);
                const char *sep = text ? ": " : "", *d = text ? text : "";
                if (creds && c->cred.username)
                        r = cc_error_set(err, -EACCES, "the token server %s refused the credentials of user \"%s\"%s%s",
                                         host, c->cred.username, sep, d);
                else if (creds)
                        r = cc_error_set(err, -EACCES, "the token server %s refused the identity token%s%s", host, sep,
                                         d);
                else
                        r = cc_error_set(err, -EACCES,
                                         "%s requires authentication: log in with 'ccompose login %s'%s%s", c->domain,
                                         c->domain, sep, d);
        } else if (status != 200) {
                text = cc_reg_error_text(s.b.s, s.b.len);
                r = cc_error_set(err, -EPROTO, "token server %s answered HTTP %ld%s%s", host, status,
                                 text ? ": " : "", text ? text : "");
        } else {
                json_object *o = json_tokener_parse(s.b.s ? s.b.s : ""), *v;
                const char *tok = NULL;
                if (o && json_object_object_get_ex(o, "token", &v) && json_object_is_type(v, json_type_string))
                        tok = json_object_get_string(v);
                if ((!tok || !*tok) && o && json_object_object_get_ex(o, "access_token", &v) &&
                    json_object_is_type(v, json_type_string))
                        tok = json_object_get_string(v);
                if (!tok || !*tok) {
                        r = cc_error_set(err, -EPROTO, "token server %s: no token in its answer", host);
                } else {
                        if (c->authz)
                                explicit_bzero(c->authz, strlen(c->authz));
                        free(c->authz);
                        c->authz = cc_xasprintf("Bearer %s", tok);
                        c->basic = false;
                        c->epoch++;
                }
                json_object_put(o);
        }
        if (s.b.s)
                explicit_bzero(s.b.s, s.b.len);
        cc_buf_free(&s.b);
        return r;
}

int cc_reg_authenticate(struct cc_reg_client *c, const char *www_authenticate, struct cc_error *err)
{
        struct cc_auth_challenge ch;
        if (cc_auth_challenge_parse(www_authenticate, &ch) < 0)
                return cc_error_set(err, -EACCES, "%s answered 401 without a usable WWW-Authenticate challenge (\"%s\")",
                                    c->registry, www_authenticate ? www_authenticate : "");
        int r = 0;
        if (strcmp(ch.scheme, "bearer") == 0) {
                r = bearer(c, &ch, err);
        } else if (!c->have_cred || !c->cred.username) {
                r = cc_error_set(err, -EACCES, "%s requires authentication: log in with 'ccompose login %s'",
                                 c->domain, c->domain);
        } else if (c->basic) {
                r = cc_reg_denied(c, err, NULL); /* the credentials were sent and refused */
        } else if (!cc_startswith(c->base, "https:") && !cc_registry_is_loopback(c->registry)) {
                r = cc_error_set(err, -EACCES, "%s: refusing to send credentials over plain http", c->registry);
        } else {
                _cleanup_free_ char *plain = cc_xasprintf("%s:%s", c->cred.username,
                                                          c->cred.password ? c->cred.password : "");
                _cleanup_free_ char *b64 = cc_base64_encode(plain, strlen(plain));
                explicit_bzero(plain, strlen(plain));
                if (c->authz)
                        explicit_bzero(c->authz, strlen(c->authz));
                free(c->authz);
                c->authz = cc_xasprintf("Basic %s", b64);
                explicit_bzero(b64, strlen(b64));
                c->basic = true;
                c->epoch++;
        }
        cc_auth_challenge_free(&ch);
        return r;
}

int cc_registry_login_check(const char *server, const char *username, const char *password,
                            struct cc_error *err)
{
        _cleanup_free_ char *key = cc_registry_server_key(server);
        if (!key)
                return cc_error_set(err, -EINVAL, "invalid registry server \"%s\"", server);
        const char *domain = cc_startswith(key, "https://index.docker.io") ? "docker.io" : key;
        struct cc_reg_client *c;
        int r = cc_reg_client_open(domain, NULL, &c, err);
        if (r < 0)
                return r;
        cc_reg_client_set_credentials(c, username, password);
        struct cc_reg_sigpipe sp;
        cc_reg_sigpipe_block(&sp);
        r = cc_reg_ping(c, err);
        cc_reg_client_close(c);
        cc_reg_sigpipe_restore(&sp);
        return r;
}
