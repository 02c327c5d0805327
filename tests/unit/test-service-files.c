/* A service's secrets and configs turned into files of its container spec
 * (orchestrator/state/service-files.c): sources, targets, owner and mode,
 * and the errors that stop `up` before anything starts. No root needed:
 * nothing is written or mounted here. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "loader.h"
#include "service-spec.h"
#include "tap.h"

struct fixture {
        char *dir;
        struct cc_env shell;
        struct cc_load_options o;
        struct cc_project *p;
        struct cc_container_spec spec;
};

static void fx_free(struct fixture *f)
{
        _cleanup_free_ char *cmd = cc_xasprintf("rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", f->dir);
        free(f->dir);
        cc_env_free(&f->shell);
        cc_project_free(f->p);
        cc_container_spec_free(&f->spec);
}
#define _cleanup_fixture_ __attribute__((cleanup(fx_free)))

static void put(struct fixture *f, const char *name, const char *text, size_t len)
{
        _cleanup_free_ char *p = cc_path_join(f->dir, name);
        if (cc_write_file_atomic(p, text, len, 0644) < 0)
                tap_fail(__FILE__, __LINE__, "write %s", p);
}

/* Load compose.yaml (text) from a fresh directory with a shell env. */
static void fx_load(struct fixture *f, const char *yaml)
{
        memset(f, 0, sizeof(*f));
        f->dir = tap_tmpdir("files");
        cc_env_set(&f->shell, "TOKEN", "from-env");
        f->o.cwd = f->dir;
        f->o.shell = &f->shell;
        cc_container_spec_init(&f->spec);
        put(f, "compose.yaml", yaml, strlen(yaml));
        put(f, "pw.txt", "s3cret", 6);
        struct cc_error err = {0};
        if (cc_project_load(&f->o, &f->p, &err) < 0)
                tap_fail(__FILE__, __LINE__, "load failed: %s", cc_error_msg(&err));
}

/* The error of cc_service_spec_files (static buffer). */
static const char *files_err(struct fixture *f, const char *svc)
{
        static char msg[1024];
        struct cc_error err = {0};
        if (cc_service_spec_files(f->p, svc, &f->spec, &err) >= 0)
                tap_fail(__FILE__, __LINE__, "unexpectedly succeeded");
        snprintf(msg, sizeof(msg), "%s", cc_error_msg(&err));
        cc_error_clear(&err);
        return msg;
}

static void files_ok(struct fixture *f, const char *svc)
{
        struct cc_error err = {0};
        if (cc_service_spec_files(f->p, svc, &f->spec, &err) < 0)
                tap_fail(__FILE__, __LINE__, "failed: %s", cc_error_msg(&err));
}

TEST(short_syntax_defaults)
{
        _cleanup_fixture_ struct fixture f;
        fx_load(&f, "services:\n  app:\n    image: x\n    secrets: [pw]\n    configs: [cfg]\n"
                    "secrets:\n  pw:\n    file: ./pw.txt\n"
                    "configs:\n  cfg:\n    content: \"a=1\\n\"\n");
        files_ok(&f, "app");
        ASSERT_INTEQ(f.spec.n_files, 2);
        ASSERT_STREQ(f.spec.files[0].target, "/run/secrets/pw");
        ASSERT_INTEQ(f.spec.files[0].len, 6);
        ASSERT(memcmp(f.spec.files[0].content, "s3cret", 6) == 0);
        ASSERT_INTEQ(f.spec.files[0].uid, 0);
        ASSERT_INTEQ(f.spec.files[0].gid, 0);
        ASSERT_INTEQ(f.spec.files[0].mode, 0444);
        ASSERT_STREQ(f.spec.files[1].target, "/cfg");
        ASSERT_STREQ(f.spec.files[1].content, "a=1\n");
        ASSERT_INTEQ(f.spec.files[1].mode, 0444);
}

TEST(long_syntax)
{
        _cleanup_fixture_ struct fixture f;
        fx_load(&f, "services:\n  app:\n    image: x\n    secrets:\n"
                    "      - {source: pw, target: db.key, uid: '103', gid: '104', mode: 0400}\n"
                    "      - {source: tok, target: /etc/tok}\n"
                    "    configs:\n      - {source: cfg, target: etc/app.conf, mode: 288}\n"
                    "secrets:\n  pw:\n    file: ./pw.txt\n  tok:\n    environment: TOKEN\n"
                    "configs:\n  cfg:\n    file: ./pw.txt\n");
        files_ok(&f, "app");
        ASSERT_INTEQ(f.spec.n_files, 3);
        ASSERT_STREQ(f.spec.files[0].target, "/run/secrets/db.key");
        ASSERT_INTEQ(f.spec.files[0].uid, 103);
        ASSERT_INTEQ(f.spec.files[0].gid, 104);
        ASSERT_INTEQ(f.spec.files[0].mode, 0400);
        ASSERT_STREQ(f.spec.files[1].target, "/etc/tok");
        ASSERT_STREQ(f.spec.files[1].content, "from-env");
        ASSERT_STREQ(f.spec.files[2].target, "/etc/app.conf");
        ASSERT_INTEQ(f.spec.files[2].mode, 0440);
}

TEST(missing_file_names_service_and_secret)
{
        _cleanup_fixture_ struct fixture f;
        fx_load(&f, "services:\n  app:\n    image: x\n    secrets: [db_password]\n"
                    "secrets:\n  db_password:\n    file: ./nope.txt\n");
        const char *msg = files_err(&f, "app");
        ASSERT_CONTAINS(msg, "service app: secret db_password: read ");
        ASSERT_CONTAINS(msg, "nope.txt: No such file or directory");
        /* the check up runs first says the same */
        struct cc_error err = {0};
        ASSERT(cc_service_files_check(f.p, "app", &err) == -ENOENT);
        ASSERT_CONTAINS(cc_error_msg(&err), "secret db_password");
        cc_error_clear(&err);
}

TEST(unset_variable)
{
        _cleanup_fixture_ struct fixture f;
        fx_load(&f, "services:\n  app:\n    image: x\n    configs: [c]\n"
                    "configs:\n  c:\n    environment: NOT_SET_HERE\n");
        ASSERT_CONTAINS(files_err(&f, "app"), "service app: config c: environment variable NOT_SET_HERE is not set");
}

TEST(external_refused)
{
        _cleanup_fixture_ struct fixture f;
        fx_load(&f, "services:\n  app:\n    image: x\n    secrets: [ext]\n"
                    "secrets:\n  ext:\n    external: true\n");
        ASSERT_CONTAINS(files_err(&f, "app"), "service app: secret ext: external secrets need a swarm");
}

TEST(too_large_or_not_a_file)
{
        _cleanup_fixture_ struct fixture f;
        fx_load(&f, "services:\n  app:\n    image: x\n    secrets: [big]\n  dir:\n    image: x\n    secrets: [d]\n"
                    "secrets:\n  big:\n    file: ./big\n  d:\n    file: .\n");
        size_t n = 1024 * 1024 + 1;
        _cleanup_free_ char *big = cc_xcalloc(n, 1);
        put(&f, "big", big, n);
        ASSERT_CONTAINS(files_err(&f, "app"), "larger than 1048576 bytes");
        ASSERT_CONTAINS(files_err(&f, "dir"), "not a regular file");
}

TEST(service_without_any)
{
        _cleanup_fixture_ struct fixture f;
        fx_load(&f, "services:\n  app:\n    image: x\n");
        files_ok(&f, "app");
        ASSERT_INTEQ(f.spec.n_files, 0);
}

