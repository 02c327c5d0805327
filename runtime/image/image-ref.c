/* Image references, normalised as Docker does:
 *   busybox               -> docker.io/library/busybox:latest
 *   user/app              -> docker.io/user/app:latest
 *   localhost:5000/x      -> localhost:5000/x:latest
 *   ghcr.io/org/app:1.2   -> unchanged
 *   name@sha256:<hex>     -> docker.io/library/name@sha256:<hex> (no tag added)
 * Grammar: [domain/]path[:tag][@digest]; the first component is a domain
 * when it contains "." or ":", is "localhost", or has uppercase letters;
 * path components are lowercase [a-z0-9] runs joined by ".", "_", "__" or
 * dashes; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
#include <ctype.h>

#include "image-digest.h"
#include "image-store.h"

static bool lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool path_component_valid(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0 || !lower_alnum(s[0]))
                return false;
        while (i < n) {
                while (i < n && lower_alnum(s[i]))
                        i++;
                if (i == n)
                        return true;
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i++;
                        if (i < n && s[i] == '_')
                                i++;
                } else if (s[i] == '-') {
                        while (i < n && s[i] == '-')
                                i++;
                } else {
                        return false;
                }
                if (i == n || !lower_alnum(s[i]))
                        return false;
        }
        return true;
}

static bool path_valid(const char *s, size_t n)
{
        size_t start = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i == n || s[i] == '/') {
                        if (!path_component_valid(s + start, i - start))
                                return false;
                        start = i + 1;
                }
        }
        return true;
}

static bool host_component_valid(const char *s, size_t n)
{
        if (n == 0 || !isalnum((unsigned char) s[0]) || !isalnum((unsigned char) s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool domain_valid(const char *s, size_t n)
{
        const char *colon = NULL;
        size_t hostlen = n;
        if (n > 0 && s[0] == '[') {
                /* IPv6 literal */
                const char *close = memchr(s, ']', n);
                if (!close || close == s + 1)
                        return false;
                for (const char *p = s + 1; p < close; p++)
                        if (!isxdigit((unsigned char) *p) && *p != ':')
                                return false;
                hostlen = (size_t) (close - s) + 1;
                if (hostlen < n) {
                        if (s[hostlen] != ':')
                                return false;
                        colon = s + hostlen;
                }
        } else {
                colon = memchr(s, ':', n);
                if (colon)
                        hostlen = (size_t) (colon - s);
                size_t start = 0;
                for (size_t i = 0; i <= hostlen; i++) {
                        if (i == hostlen || s[i] == '.') {
                                if (!host_component_valid(s + start, i - start))
                                        return false;
                                start = i + 1;
                        }
                }
        }
        if (colon) {
                size_t plen = n - (size_t) (colon - s) - 1;
                if (plen == 0 || plen > 5)
                        return false;
                for (size_t i = 1; i <= plen; i++)
                        if (!isdigit((unsigned char) colon[i]))
                                return false;
        }
        return true;
}

bool cc_image_tag_valid(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128 || !(isalnum((unsigned char) t[0]) || t[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char) t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
                        return false;
        return true;
}

char *cc_image_ref_normalize(const char *ref)
{
        if (!ref || !*ref || strlen(ref) > 512)
                return NULL;
        if (cc_is_hex(ref, CC_SHA256_HEX_LEN, CC_SHA256_HEX_LEN))
                return NULL; /* an image ID, not a name */
        _cleanup_free_ char *name = NULL;
        const char *at = strchr(ref, '@');
        const char *digest = NULL;
        if (at) {
                digest = at + 1;
                if (!cc_digest_valid(digest))
                        return NULL;
                name = cc_xstrndup(ref, (size_t) (at - ref));
        } else {
                name = cc_xstrdup(ref);
        }
        char *tag = NULL;
        char *lastslash = strrchr(name, '/');
        char *colon = strrchr(lastslash ? lastslash : name, ':');
        if (colon) {
                *colon = '\0';
                tag = colon + 1;
                if (!cc_image_tag_valid(tag))
                        return NULL;
        }
        const char *domain = "docker.io";
        size_t domainlen = strlen(domain);
        const char *remote = name;
        char *slash = strchr(name, '/');
        if (slash) {
                size_t n = (size_t) (slash - name);
                bool is_domain = memchr(name, '.', n) || memchr(name, ':', n) ||
                                 (n == 9 && memcmp(name, "localhost", 9) == 0);
                for (size_t i = 0; i < n && !is_domain; i++)
                        if (isupper((unsigned char) name[i]))
                                is_domain = true;
                if (is_domain) {
                        if (!domain_valid(name, n))
                                return NULL;
                        domain = name;
                        domainlen = n;
                        remote = slash + 1;
                        if (n == 15 && memcmp(name, "index.docker.io", 15) == 0) {
                                domain = "docker.io";
                                domainlen = 9;
                        }
                }
        }
        if (!path_valid(remote, strlen(remote)))
                return NULL;
        bool hub = domainlen == 9 && memcmp(domain, "docker.io", 9) == 0;
        struct cc_buf b = {0};
        cc_buf_add(&b, domain, domainlen);
        cc_buf_putc(&b, '/');
        if (hub && !strchr(remote, '/'))
                cc_buf_puts(&b, "library/");
        cc_buf_puts(&b, remote);
        if (b.len > 255) {
                cc_buf_free(&b);
                return NULL;
        }
        if (tag)
                cc_buf_printf(&b, ":%s", tag);
        else if (!digest)
                cc_buf_puts(&b, ":latest");
        if (digest)
                cc_buf_printf(&b, "@%s", digest);
        return cc_buf_steal(&b);
}

void cc_image_ref_split(const char *norm, char **repo, char **tag, char **digest)
{
        _cleanup_free_ char *name = NULL;
        const char *at = strchr(norm, '@');
        *digest = at ? cc_xstrdup(at + 1) : NULL;
        name = at ? cc_xstrndup(norm, (size_t) (at - norm)) : cc_xstrdup(norm);
        char *lastslash = strrchr(name, '/');
        char *colon = strrchr(lastslash ? lastslash : name, ':');
        *tag = NULL;
        if (colon) {
                *tag = cc_xstrdup(colon + 1);
                *colon = '\0';
        }
        *repo = cc_steal(&name);
}

char *cc_image_repo_familiar(const char *repo)
{
        const char *last = strrchr(repo, '/');
        size_t n = strlen(repo);
        if (cc_startswith(repo, "docker.io/library/") && last == repo + 17)
                return cc_xstrdup(last + 1);
        if (n > 10 && cc_startswith(repo, "docker.io/"))
                return cc_xstrndup(repo + 10, n - 10);
        return cc_xstrdup(repo);
}

char *cc_image_ref_familiar(const char *norm)
{
        _cleanup_free_ char *repo = NULL, *tag = NULL, *digest = NULL;
        cc_image_ref_split(norm, &repo, &tag, &digest);
        _cleanup_free_ char *fam = cc_image_repo_familiar(repo);
        struct cc_buf b = {0};
        cc_buf_puts(&b, fam);
        if (tag)
                cc_buf_printf(&b, ":%s", tag);
        if (digest)
                cc_buf_printf(&b, "@%s", digest);
        return cc_buf_steal(&b);
}
