/* URLs of the registry engine: which origin a URL is on (the
 * Authorization header goes to the registry's own only), redirects
 * followed by hand, and the Locations the registry gives for uploads. */
#include <errno.h>
#include <strings.h>

#include "registry-client.h"

#define MAX_REDIRECTS 10

bool cc_reg_same_origin(const char *a, const char *b)
{
        CURLU *ua = curl_url(), *ub = curl_url();
        bool same = false;
        if (ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
            curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK) {
                char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
                curl_url_get(ua, CURLUPART_SCHEME, &sa, 0);
                curl_url_get(ub, CURLUPART_SCHEME, &sb, 0);
                curl_url_get(ua, CURLUPART_HOST, &ha, 0);
                curl_url_get(ub, CURLUPART_HOST, &hb, 0);
                curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT);
                curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT);
                same = sa && sb && ha && hb && pa && pb && strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 &&
                       strcmp(pa, pb) == 0;
                curl_free(sa);
                curl_free(sb);
                curl_free(ha);
                curl_free(hb);
                curl_free(pa);
                curl_free(pb);
        }
        curl_url_cleanup(ua);
        curl_url_cleanup(ub);
        return same;
}

/* Follow a redirect by hand: the Authorization header goes only to the
 * registry itself, and https never turns into http towards another host. */
int cc_reg_follow(struct cc_reg_client *c, struct cc_reg_xfer *x)
{
        if (!x->location || !*x->location)
                return cc_error_set(&x->err, -EPROTO, "HTTP %ld redirect without a Location", x->status);
        if (++x->redirects > MAX_REDIRECTS)
                return cc_error_set(&x->err, -ELOOP, "too many redirects (last to %s)", x->location);
        CURLU *u = curl_url();
        char *next = NULL, *scheme = NULL, *host = NULL;
        int r = 0;
        if (!u || curl_url_set(u, CURLUPART_URL, x->url, 0) != CURLUE_OK ||
            curl_url_set(u, CURLUPART_URL, x->location, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &next, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                r = cc_error_set(&x->err, -EPROTO, "invalid redirect to \"%s\"", x->location);
        } else if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
                r = cc_error_set(&x->err, -EPROTO, "redirect to unsupported scheme: %s", next);
        } else if (strcasecmp(scheme, "http") == 0 && cc_startswith(x->url, "https:") &&
                   !cc_registry_is_loopback(host)) {
                r = cc_error_set(&x->err, -EPROTO, "refusing redirect from https to plain http: %s", next);
        } else {
                free(x->url);
                x->url = cc_xstrdup(next);
                /* Credentials go to the registry's origin only. */
                x->send_auth = cc_reg_same_origin(x->url, c->base);
        }
        curl_free(next);
        curl_free(scheme);
        curl_free(host);
        curl_url_cleanup(u);
        return r;
}

const char *cc_reg_url_host(const char *url, char *buf, size_t len)
{
        const char *p = strstr(url, "://");
        p = p ? p + 3 : url;
        size_t n = strcspn(p, "/?#");
        snprintf(buf, len, "%.*s", (int) n, p);
        return buf;
}


int cc_reg_xfer_set_location(struct cc_reg_client *c, struct cc_reg_xfer *x, const char *location,
                             const char *query, struct cc_error *err)
{
        CURLU *u = curl_url();
        char *next = NULL;
        int r = 0;
        if (!u || !location || !*location || curl_url_set(u, CURLUPART_URL, c->base, 0) != CURLUE_OK ||
            curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
            (query && curl_url_set(u, CURLUPART_QUERY, query, CURLU_APPENDQUERY) != CURLUE_OK) ||
            curl_url_get(u, CURLUPART_URL, &next, 0) != CURLUE_OK) {
                r = cc_error_set(err, -EPROTO, "%s gave an unusable upload location \"%s\"", c->registry,
                                 location ? location : "");
        } else {
                free(x->url);
                x->url = cc_xstrdup(next);
                x->send_auth = cc_reg_same_origin(x->url, c->base);
        }
        curl_free(next);
        curl_url_cleanup(u);
        return r;
}
