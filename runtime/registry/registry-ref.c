/* Registry references and platforms: where a reference is fetched from
 * (Docker Hub's defaults), which registries are spoken to in plain HTTP,
 * and platform strings normalised and matched as containerd does. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "image-store.h"
#include "registry.h"

#define HUB_DOMAIN "docker.io"
#define HUB_API_HOST "registry-1.docker.io"

void cc_registry_ref_free(struct cc_registry_ref *r)
{
        free(r->norm);
        free(r->domain);
        free(r->registry);
        free(r->repository);
        free(r->tag);
        free(r->digest);
        memset(r, 0, sizeof(*r));
}

char *cc_registry_api_host(const char *domain)
{
        if (strcmp(domain, HUB_DOMAIN) == 0 || strcmp(domain, "index.docker.io") == 0)
                return cc_xstrdup(HUB_API_HOST);
        return cc_xstrdup(domain);
}

int cc_registry_ref_parse(const char *ref, struct cc_registry_ref *out, struct cc_error *err)
{
        memset(out, 0, sizeof(*out));
        char *norm = cc_image_ref_normalize(ref);
        if (!norm)
                return cc_error_set(err, -EINVAL, "invalid reference format: \"%s\"", ref ? ref : "");
        _cleanup_free_ char *repo = NULL;
        cc_image_ref_split(norm, &repo, &out->tag, &out->digest);
        /* A normalised reference always starts with its domain. */
        const char *slash = strchr(repo, '/');
        out->norm = norm;
        out->domain = cc_xstrndup(repo, (size_t) (slash - repo));
        out->repository = cc_xstrdup(slash + 1);
        out->registry = cc_registry_api_host(out->domain);
        return 0;
}

/* The host part of host[:port] (brackets of an IPv6 literal removed). */
static char *host_only(const char *hostport)
{
        if (hostport[0] == '[') {
                const char *close = strchr(hostport, ']');
                return close ? cc_xstrndup(hostport + 1, (size_t) (close - hostport - 1)) : cc_xstrdup(hostport);
        }
        const char *colon = strchr(hostport, ':');
        if (colon && strchr(colon + 1, ':'))
                return cc_xstrdup(hostport); /* a bare IPv6 address */
        return colon ? cc_xstrndup(hostport, (size_t) (colon - hostport)) : cc_xstrdup(hostport);
}

bool cc_registry_is_loopback(const char *hostport)
{
        if (!hostport || !*hostport)
                return false;
        _cleanup_free_ char *host = host_only(hostport);
        for (char *p = host; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        if (strcmp(host, "localhost") == 0)
                return true;
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (inet_pton(AF_INET6, host, &a6) == 1)
                return IN6_IS_ADDR_LOOPBACK(&a6) ||
                       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
        return false;
}

char *cc_registry_base_url(const char *registry)
{
        return cc_xasprintf("%s://%s", cc_registry_is_loopback(registry) ? "http" : "https", registry);
}

/* ---- platforms ---- */

static void lower_copy(char *dst, size_t len, const char *src, size_t n)
{
        size_t i = 0;
        for (; i + 1 < len && i < n && src[i]; i++)
                dst[i] = (char) tolower((unsigned char) src[i]);
        dst[i] = '\0';
}

/* containerd's platforms.Normalize for architecture and variant. */
static void normalize_arch(struct cc_platform *p)
{
        char *a = p->arch, *v = p->variant;
        if (strcmp(a, "i386") == 0 || strcmp(a, "i686") == 0) {
                strcpy(a, "386");
                v[0] = '\0';
        } else if (strcmp(a, "x86_64") == 0 || strcmp(a, "x86-64") == 0 || strcmp(a, "amd64") == 0) {
                strcpy(a, "amd64");
                if (strcmp(v, "v1") == 0)
                        v[0] = '\0';
        } else if (strcmp(a, "aarch64") == 0 || strcmp(a, "arm64") == 0) {
                strcpy(a, "arm64");
                if (strcmp(v, "8") == 0 || strcmp(v, "v8") == 0 || strcmp(v, "v8.0") == 0)
                        v[0] = '\0';
        } else if (strcmp(a, "armhf") == 0) {
                strcpy(a, "arm");
                strcpy(v, "v7");
        } else if (strcmp(a, "armel") == 0) {
                strcpy(a, "arm");
                strcpy(v, "v6");
        } else if (strcmp(a, "arm") == 0) {
                if (v[0] == '\0' || strcmp(v, "7") == 0)
                        strcpy(v, "v7");
                else if (strcmp(v, "5") == 0 || strcmp(v, "6") == 0 || strcmp(v, "8") == 0) {
                        char d = v[0];
                        v[0] = 'v';
                        v[1] = d;
                        v[2] = '\0';
                }
        }
}

void cc_platform_host(struct cc_platform *out)
{
        struct utsname u;
        memset(out, 0, sizeof(*out));
        strcpy(out->os, "linux");
        if (uname(&u) < 0) {
                strcpy(out->arch, "amd64");
                return;
        }
        if (cc_startswith(u.machine, "armv")) {
                strcpy(out->arch, "arm");
                snprintf(out->variant, sizeof(out->variant), "v%c", u.machine[4]);
        } else {
                lower_copy(out->arch, sizeof(out->arch), u.machine, strlen(u.machine));
        }
        normalize_arch(out);
}

int cc_platform_parse(const char *s, struct cc_platform *out, struct cc_error *err)
{
        if (!s || !*s) {
                cc_platform_host(out);
                return 0;
        }
        memset(out, 0, sizeof(*out));
        const char *parts[3] = {0};
        size_t lens[3] = {0}, n = 0;
        const char *p = s;
        while (n < 3) {
                const char *slash = strchr(p, '/');
                parts[n] = p;
                lens[n] = slash ? (size_t) (slash - p) : strlen(p);
                n++;
                if (!slash)
                        break;
                p = slash + 1;
        }
        bool bad = (n == 3 && strchr(parts[2], '/')) || n == 0;
        for (size_t i = 0; i < n && !bad; i++) {
                bad = lens[i] == 0 || lens[i] >= sizeof(out->variant) * 2;
                for (size_t j = 0; j < lens[i] && !bad; j++)
                        bad = !(isalnum((unsigned char) parts[i][j]) || parts[i][j] == '_' || parts[i][j] == '-' ||
                                parts[i][j] == '.');
        }
        if (bad)
                return cc_error_set(err, -EINVAL, "invalid platform \"%s\": expected os/arch[/variant]", s);
        if (n == 1) {
                /* "arm64" alone: an architecture for this OS. */
                strcpy(out->os, "linux");
                lower_copy(out->arch, sizeof(out->arch), parts[0], lens[0]);
        } else {
                lower_copy(out->os, sizeof(out->os), parts[0], lens[0]);
                lower_copy(out->arch, sizeof(out->arch), parts[1], lens[1]);
                if (n == 3)
                        lower_copy(out->variant, sizeof(out->variant), parts[2], lens[2]);
        }
        if (strcmp(out->os, "macos") == 0)
                strcpy(out->os, "darwin");
        normalize_arch(out);
        return 0;
}

const char *cc_platform_format(const struct cc_platform *p, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
        return buf;
}

int cc_platform_match(const struct cc_platform *want, const char *os, const char *arch, const char *variant)
{
        if (!os || !arch)
                return 0;
        struct cc_platform have = {0};
        lower_copy(have.os, sizeof(have.os), os, strlen(os));
        lower_copy(have.arch, sizeof(have.arch), arch, strlen(arch));
        if (variant)
                lower_copy(have.variant, sizeof(have.variant), variant, strlen(variant));
        normalize_arch(&have);
        if (strcmp(have.os, want->os) != 0 || strcmp(have.arch, want->arch) != 0)
                return 0;
        if (strcmp(have.variant, want->variant) == 0)
                return 2;
        /* An older ARM variant runs on a newer core (v6 on v7, v5 on v6). */
        if (strcmp(have.arch, "arm") == 0 && have.variant[0] == 'v' && want->variant[0] == 'v' &&
            atoi(have.variant + 1) <= atoi(want->variant + 1))
                return 1;
        return 0;
}
