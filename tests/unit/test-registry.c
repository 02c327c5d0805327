/* Registry pulls without a network: references and Docker Hub's defaults,
 * loopback detection, platforms, WWW-Authenticate challenges, base64,
 * config.json credentials, pull policies, registry error documents. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "registry-client.h"
#include "registry.h"
#include "tap.h"

static void ref_case(const char *in, const char *registry, const char *repo, const char *tag, const char *norm)
{
        struct cc_registry_ref r;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_registry_ref_parse(in, &r, &err), 0);
        ASSERT_STREQ(r.registry, registry);
        ASSERT_STREQ(r.repository, repo);
        if (tag)
                ASSERT_STREQ(r.tag, tag);
        else
                ASSERT_NULL(r.tag);
        ASSERT_STREQ(r.norm, norm);
        cc_registry_ref_free(&r);
}

TEST(hub_defaults)
{
        ref_case("busybox", "registry-1.docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest");
        ref_case("postgres:16", "registry-1.docker.io", "library/postgres", "16", "docker.io/library/postgres:16");
        ref_case("docker.io/user/app:1.2", "registry-1.docker.io", "user/app", "1.2", "docker.io/user/app:1.2");
        ref_case("index.docker.io/library/redis", "registry-1.docker.io", "library/redis", "latest",
                 "docker.io/library/redis:latest");
        ref_case("ghcr.io/org/app:1.2", "ghcr.io", "org/app", "1.2", "ghcr.io/org/app:1.2");
        ref_case("localhost:5000/x", "localhost:5000", "x", "latest", "localhost:5000/x:latest");
        ref_case("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", "127.0.0.1:5000/a/b/c:t");
        char *api = cc_registry_api_host("docker.io");
        ASSERT_STREQ(api, "registry-1.docker.io");
        free(api);
}

TEST(ref_by_digest_and_invalid)
{
        const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char in[128];
        snprintf(in, sizeof(in), "busybox@%s", d);
        struct cc_registry_ref r;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_registry_ref_parse(in, &r, &err), 0);
        ASSERT_NULL(r.tag);
        ASSERT_STREQ(r.digest, d);
        ASSERT_STREQ(r.repository, "library/busybox");
        cc_registry_ref_free(&r);
        ASSERT_INTEQ(cc_registry_ref_parse("Busybox", &r, &err), -EINVAL);
        ASSERT_CONTAINS(cc_error_msg(&err), "invalid reference format");
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_registry_ref_parse("a/b:bad tag", &r, &err), -EINVAL);
        cc_error_clear(&err);
}

TEST(loopback_and_scheme)
{
        ASSERT(cc_registry_is_loopback("localhost"));
        ASSERT(cc_registry_is_loopback("localhost:5000"));
        ASSERT(cc_registry_is_loopback("LOCALHOST:5000"));
        ASSERT(cc_registry_is_loopback("127.0.0.1:5000"));
        ASSERT(cc_registry_is_loopback("127.8.9.10"));
        ASSERT(cc_registry_is_loopback("[::1]:5000"));
        ASSERT(cc_registry_is_loopback("::1"));
        ASSERT(!cc_registry_is_loopback("10.0.0.1:5000"));
        ASSERT(!cc_registry_is_loopback("128.0.0.1"));
        ASSERT(!cc_registry_is_loopback("localhost.example.com"));
        ASSERT(!cc_registry_is_loopback("registry-1.docker.io"));
        ASSERT(!cc_registry_is_loopback("[::2]:5000"));
        char *u = cc_registry_base_url("127.0.0.1:5000");
        ASSERT_STREQ(u, "http://127.0.0.1:5000");
        free(u);
        u = cc_registry_base_url("registry-1.docker.io");
        ASSERT_STREQ(u, "https://registry-1.docker.io");
        free(u);
}

TEST(platforms)
{
        struct cc_platform p;
        struct cc_error err = {0};
        char buf[96];
        ASSERT_INTEQ(cc_platform_parse("linux/arm64/v8", &p, &err), 0);
        ASSERT_STREQ(cc_platform_format(&p, buf, sizeof(buf)), "linux/arm64");
        ASSERT_INTEQ(cc_platform_parse("linux/x86_64", &p, &err), 0);
        ASSERT_STREQ(cc_platform_format(&p, buf, sizeof(buf)), "linux/amd64");
        ASSERT_INTEQ(cc_platform_parse("linux/arm", &p, &err), 0);
        ASSERT_STREQ(cc_platform_format(&p, buf, sizeof(buf)), "linux/arm/v7");
        ASSERT_INTEQ(cc_platform_parse("arm64", &p, &err), 0);
        ASSERT_STREQ(cc_platform_format(&p, buf, sizeof(buf)), "linux/arm64");
        ASSERT_INTEQ(cc_platform_parse("linux//", &p, &err), -EINVAL);
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_platform_parse("linux/arm/v7", &p, &err), 0);
        ASSERT_INTEQ(cc_platform_match(&p, "linux", "arm", "v7"), 2);
        ASSERT_INTEQ(cc_platform_match(&p, "linux", "arm", "v6"), 1);
        ASSERT_INTEQ(cc_platform_match(&p, "linux", "arm", "v8"), 0);
        ASSERT_INTEQ(cc_platform_match(&p, "linux", "arm64", NULL), 0);
        ASSERT_INTEQ(cc_platform_parse("linux/arm64", &p, &err), 0);
        ASSERT_INTEQ(cc_platform_match(&p, "linux", "arm64", "v8"), 2);
        ASSERT_INTEQ(cc_platform_match(&p, "windows", "arm64", NULL), 0);
        cc_platform_host(&p);
        ASSERT_STREQ(p.os, "linux");
        ASSERT(p.arch[0] != '\0');
        ASSERT_INTEQ(cc_platform_parse(NULL, &p, &err), 0);
        ASSERT_STREQ(p.os, "linux");
}

TEST(challenges)
{
        struct cc_auth_challenge c;
        ASSERT_INTEQ(cc_auth_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                                             "scope=\"repository:library/busybox:pull\"",
                                             &c),
                     0);
        ASSERT_STREQ(c.scheme, "bearer");
        ASSERT_STREQ(c.realm, "https://auth.docker.io/token");
        ASSERT_STREQ(c.service, "registry.docker.io");
        ASSERT_STREQ(c.scope, "repository:library/busybox:pull");
        cc_auth_challenge_free(&c);
        ASSERT_INTEQ(cc_auth_challenge_parse("Basic realm=\"basic-realm\"", &c), 0);
        ASSERT_STREQ(c.scheme, "basic");
        ASSERT_STREQ(c.realm, "basic-realm");
        cc_auth_challenge_free(&c);
        /* Several challenges: Bearer preferred; quoted commas and escapes. */
        ASSERT_INTEQ(cc_auth_challenge_parse("Basic realm=\"a, b\", Bearer realm=\"http://x/t?a=1\", "
                                             "error=\"insufficient_scope\", scope=\"r:\\\"q\\\":pull\"",
                                             &c),
                     0);
        ASSERT_STREQ(c.scheme, "bearer");
        ASSERT_STREQ(c.realm, "http://x/t?a=1");
        ASSERT_STREQ(c.error, "insufficient_scope");
        ASSERT_STREQ(c.scope, "r:\"q\":pull");
        cc_auth_challenge_free(&c);
        ASSERT_INTEQ(cc_auth_challenge_parse("Negotiate", &c), -EINVAL);
        ASSERT_INTEQ(cc_auth_challenge_parse("", &c), -EINVAL);
}

TEST(base64)
{
        char *e = cc_base64_encode("alice:secret", 12);
        ASSERT_STREQ(e, "YWxpY2U6c2VjcmV0");
        size_t n;
        char *d = cc_base64_decode(e, &n);
        ASSERT_STREQ(d, "alice:secret");
        ASSERT_INTEQ(n, 12);
        free(e);
        free(d);
        d = cc_base64_decode("YQ==", &n);
        ASSERT_STREQ(d, "a");
        ASSERT_INTEQ(n, 1);
        free(d);
        ASSERT_NULL(cc_base64_decode("YWx", NULL));
        ASSERT_NULL(cc_base64_decode("!!!!", NULL));
}

TEST(server_keys)
{
        const char *cases[][2] = {
                { "", "https://index.docker.io/v1/" },
                { "docker.io", "https://index.docker.io/v1/" },
                { "index.docker.io", "https://index.docker.io/v1/" },
                { "https://index.docker.io/v1/", "https://index.docker.io/v1/" },
                { "registry-1.docker.io", "https://index.docker.io/v1/" },
                { "ghcr.io", "ghcr.io" },
                { "https://Reg.Example.com:5000/v2/", "reg.example.com:5000" },
                { "127.0.0.1:5000", "127.0.0.1:5000" },
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
                char *k = cc_registry_server_key(cases[i][0]);
                ASSERT_STREQ(k, cases[i][1]);
                free(k);
        }
        ASSERT_NULL(cc_registry_server_key("bad host!"));
}

static char *tmpdir(void)
{
        return tap_tmpdir("registry");
}

TEST(config_json_credentials)
{
        char *dir = tmpdir();
        setenv("DOCKER_CONFIG", dir, 1);
        char *path = cc_path_join(dir, "config.json");
        const char *json = "{\"auths\": {"
                           "\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1YnBhc3M=\"},"
                           "\"http://reg.example.com:5000/v2/\": {\"auth\": \"YWxpY2U6czNjcjp0\"},"
                           "\"tok.example.com\": {\"identitytoken\": \"refresh-xyz\"}},"
                           "\"psFormat\": \"table\"}";
        ASSERT_INTEQ(cc_write_file_atomic(path, json, strlen(json), 0600), 0);
        struct cc_credentials c;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_registry_credentials_get("docker.io", &c, &err), 1);
        ASSERT_STREQ(c.username, "hub");
        ASSERT_STREQ(c.password, "hubpass");
        cc_credentials_free(&c);
        /* Entries with a scheme and a path match the host; ':' may be in the password. */
        ASSERT_INTEQ(cc_registry_credentials_get("reg.example.com:5000", &c, &err), 1);
        ASSERT_STREQ(c.username, "alice");
        ASSERT_STREQ(c.password, "s3cr:t");
        cc_credentials_free(&c);
        ASSERT_INTEQ(cc_registry_credentials_get("tok.example.com", &c, &err), 1);
        ASSERT_STREQ(c.identity_token, "refresh-xyz");
        cc_credentials_free(&c);
        ASSERT_INTEQ(cc_registry_credentials_get("other.example.com", &c, &err), 0);

        /* login: replaces the old entry, keeps the rest, mode 0600. */
        ASSERT_INTEQ(cc_registry_credentials_store("reg.example.com:5000", "bob", "pw", &err), 0);
        ASSERT_INTEQ(cc_registry_credentials_get("reg.example.com:5000", &c, &err), 1);
        ASSERT_STREQ(c.username, "bob");
        cc_credentials_free(&c);
        struct stat st;
        ASSERT_INTEQ(stat(path, &st), 0);
        ASSERT_INTEQ(st.st_mode & 0777, 0600);
        char *data = NULL;
        size_t len;
        ASSERT_INTEQ(cc_read_file(path, &data, &len), 0);
        ASSERT_CONTAINS(data, "psFormat");
        ASSERT_CONTAINS(data, "\"reg.example.com:5000\"");
        ASSERT(!strstr(data, "http://reg.example.com:5000/v2/"));
        free(data);

        /* logout */
        ASSERT_INTEQ(cc_registry_credentials_erase("reg.example.com:5000", &err), 1);
        ASSERT_INTEQ(cc_registry_credentials_erase("reg.example.com:5000", &err), 0);
        ASSERT_INTEQ(cc_registry_credentials_get("reg.example.com:5000", &c, &err), 0);
        ASSERT_INTEQ(cc_registry_credentials_get("docker.io", &c, &err), 1);
        cc_credentials_free(&c);

        /* A malformed auth is an error naming the file. */
        json = "{\"auths\": {\"bad.example.com\": {\"auth\": \"bm9jb2xvbg==\"}}}";
        ASSERT_INTEQ(cc_write_file_atomic(path, json, strlen(json), 0600), 0);
        ASSERT_INTEQ(cc_registry_credentials_get("bad.example.com", &c, &err), -EINVAL);
        ASSERT_CONTAINS(cc_error_msg(&err), "config.json");
        cc_error_clear(&err);
        cc_rm_rf(dir);
        free(path);
        free(dir);
}

TEST(login_creates_config)
{
        char *dir = tmpdir();
        char *sub = cc_path_join(dir, "new/dir");
        setenv("DOCKER_CONFIG", sub, 1);
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_registry_credentials_store("localhost:5000", "u", "p", &err), 0);
        struct cc_credentials c;
        ASSERT_INTEQ(cc_registry_credentials_get("localhost:5000", &c, &err), 1);
        ASSERT_STREQ(c.username, "u");
        ASSERT_STREQ(c.password, "p");
        cc_credentials_free(&c);
        ASSERT_INTEQ(cc_registry_credentials_store("localhost:5000", "a:b", "p", &err), -EINVAL);
        cc_error_clear(&err);
        cc_rm_rf(dir);
        free(sub);
        free(dir);
}

TEST(pull_policies)
{
        enum cc_pull_policy p;
        int64_t iv;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_pull_policy_parse(NULL, &p, &iv, &err), 0);
        ASSERT_INTEQ(p, CC_PULL_POLICY_MISSING);
        ASSERT_INTEQ(cc_pull_policy_parse("if_not_present", &p, &iv, &err), 0);
        ASSERT_INTEQ(p, CC_PULL_POLICY_MISSING);
        ASSERT_INTEQ(cc_pull_policy_parse("always", &p, &iv, &err), 0);
        ASSERT_INTEQ(p, CC_PULL_POLICY_ALWAYS);
        ASSERT_INTEQ(cc_pull_policy_parse("refresh", &p, &iv, &err), 0);
        ASSERT_INTEQ(p, CC_PULL_POLICY_ALWAYS);
        ASSERT_INTEQ(cc_pull_policy_parse("never", &p, &iv, &err), 0);
        ASSERT_INTEQ(p, CC_PULL_POLICY_NEVER);
        ASSERT_INTEQ(cc_pull_policy_parse("build", &p, &iv, &err), 0);
        ASSERT_INTEQ(p, CC_PULL_POLICY_BUILD);
        ASSERT_INTEQ(cc_pull_policy_parse("daily", &p, &iv, &err), 0);
        ASSERT_INTEQ(p, CC_PULL_POLICY_EVERY);
        ASSERT_INTEQ(iv, 86400);
        ASSERT_INTEQ(cc_pull_policy_parse("weekly", &p, &iv, &err), 0);
        ASSERT_INTEQ(iv, 604800);
        ASSERT_INTEQ(cc_pull_policy_parse("every_1w2d3h4m5s", &p, &iv, &err), 0);
        ASSERT_INTEQ(iv, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
        ASSERT_INTEQ(cc_pull_policy_parse("every_", &p, &iv, &err), -EINVAL);
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_pull_policy_parse("every_5x", &p, &iv, &err), -EINVAL);
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_pull_policy_parse("sometimes", &p, &iv, &err), -EINVAL);
        ASSERT_CONTAINS(cc_error_msg(&err), "sometimes");
        cc_error_clear(&err);
}

TEST(registry_error_documents)
{
        const char *doc = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
                          "\"detail\":{\"Tag\":\"nope\"}}]}";
        char *t = cc_reg_error_text(doc, strlen(doc));
        ASSERT_STREQ(t, "manifest unknown");
        free(t);
        doc = "{\"errors\":[{\"code\":\"DENIED\"},{\"code\":\"X\",\"message\":\"two\"}]}";
        t = cc_reg_error_text(doc, strlen(doc));
        ASSERT_STREQ(t, "DENIED; two");
        free(t);
        t = cc_reg_error_text("404 page not found\n", 19);
        ASSERT_STREQ(t, "404 page not found");
        free(t);
        ASSERT_NULL(cc_reg_error_text("\x01\x02", 2));
        ASSERT_NULL(cc_reg_error_text(NULL, 0));
}

TEST(ensure_never_and_ids_need_no_network)
{
        setenv("CCOMPOSE_REGISTRY_LOOPBACK_ONLY", "1", 1);
        char *dir = tmpdir();
        struct cc_error err = {0};
        /* never / build with a missing image: an error naming it, no pull. */
        ASSERT_INTEQ(cc_image_ensure(dir, "127.0.0.1:1/x:1", "never", NULL, true, &err), -ENOENT);
        ASSERT_CONTAINS(cc_error_msg(&err), "127.0.0.1:1/x:1");
        ASSERT_CONTAINS(cc_error_msg(&err), "never");
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_image_ensure(dir, "127.0.0.1:1/x:1", "build", NULL, true, &err), -ENOENT);
        cc_error_clear(&err);
        /* An image ID is never pulled. */
        ASSERT_INTEQ(cc_image_ensure(dir, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL,
                                     NULL, true, &err),
                     -ENOENT);
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_image_ensure(dir, "sha256:0123456789ab", NULL, NULL, true, &err), -ENOENT);
        cc_error_clear(&err);
        /* The tests' safety net: a registry off loopback is refused, not contacted. */
        ASSERT_INTEQ(cc_image_ensure(dir, "busybox", NULL, NULL, true, &err), -EPERM);
        ASSERT_CONTAINS(cc_error_msg(&err), "registry-1.docker.io");
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_image_ensure(dir, "x", "sometimes", NULL, true, &err), -EINVAL);
        cc_error_clear(&err);
        cc_rm_rf(dir);
        free(dir);
}
