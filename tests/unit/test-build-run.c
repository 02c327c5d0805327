/* RUN steps as containers of our runtime, over a one-binary busybox layer:
 * the upper directory holds exactly the changes (new files, whiteouts),
 * output goes where asked, a failing step names its command and exit code,
 * and no container directory or cgroup is left. Root only. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "build-run.h"
#include "cgroup.h"
#include "tap.h"

static char *root, *layer;

static void setup(void)
{
        if (geteuid() != 0)
                tap_skip("needs root (containers)");
        if (!cc_cgroup_backend())
                tap_skip("no cgroup backend");
        char *data;
        size_t len;
        if (cc_read_file("/usr/bin/busybox", &data, &len) < 0 && cc_read_file("/bin/busybox", &data, &len) < 0)
                tap_skip("no busybox");
        root = tap_tmpdir("build-run");
        layer = cc_path_join(root, "layer");
        _cleanup_free_ char *bin = cc_path_join(layer, "bin"), *etc = cc_path_join(layer, "etc");
        cc_mkdir_p(bin, 0755);
        cc_mkdir_p(etc, 0755);
        _cleanup_free_ char *bb = cc_path_join(bin, "busybox"), *x = cc_path_join(etc, "x");
        if (cc_write_file_atomic(bb, data, len, 0755) < 0 || cc_write_file_atomic(x, "x", 1, 0644) < 0)
                tap_fail(__FILE__, __LINE__, "write layer");
        free(data);
        _cleanup_free_ char *sh = cc_path_join(bin, "sh");
        if (symlink("busybox", sh) < 0)
                tap_fail(__FILE__, __LINE__, "symlink");
}

static int run(const char *script, int out_fd, char **upper, int *code, struct cc_error *err)
{
        struct cc_strv layers = {0}, argv = {0}, env = {0};
        cc_strv_push(&layers, layer);
        cc_strv_push(&argv, "/bin/sh");
        cc_strv_push(&argv, "-c");
        cc_strv_push(&argv, script);
        cc_strv_push(&env, "PATH=/bin");
        cc_strv_push(&env, "GREETING=hi");
        struct cc_build_run r = {.root = root, .project = "ccbuildunit", .layers = &layers, .argv = &argv,
                                 .env = &env, .cwd = "/work", .out_fd = out_fd};
        int rc = cc_build_run_step(&r, root, upper, code, err);
        cc_strv_free(&layers);
        cc_strv_free(&argv);
        cc_strv_free(&env);
        return rc;
}

static void nothing_left(void)
{
        _cleanup_free_ char *containers = cc_path_join(root, "containers");
        struct stat st;
        if (stat(containers, &st) == 0) {
                _cleanup_free_ char *cmd = cc_xasprintf("test -z \"$(ls -A %s)\"", containers);
                ASSERT_INTEQ(system(cmd), 0);
        }
        /* no container cgroup below the project's, v1 or v2 */
        ASSERT_INTEQ(system("test -z \"$(find /sys/fs/cgroup -path '*/ccompose/ccbuildunit/*' -type d)\""), 0);
}

TEST(run_step_changes_in_upper)
{
        setup();
        int out = memfd_create("out", MFD_CLOEXEC);
        char *upper = NULL;
        int code;
        struct cc_error err = {0};
        if (run("echo $GREETING > /f && rm /etc/x && pwd && id -u", out, &upper, &code, &err) < 0)
                tap_fail(__FILE__, __LINE__, "run: %s", cc_error_msg(&err));
        ASSERT_INTEQ(code, 0);
        ASSERT_NOT_NULL(upper);
        _cleanup_free_ char *f = cc_path_join(upper, "f"), *x = cc_path_join(upper, "etc/x"), *data = NULL;
        size_t len;
        ASSERT_INTEQ(cc_read_file(f, &data, &len), 0);
        ASSERT_STREQ(data, "hi\n");
        struct stat st;
        ASSERT_INTEQ(lstat(x, &st), 0);
        ASSERT(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
        char buf[64] = {0};
        lseek(out, 0, SEEK_SET);
        ASSERT(read(out, buf, sizeof(buf) - 1) > 0);
        ASSERT_STREQ(buf, "/work\n0\n");
        close(out);
        free(upper);
        nothing_left();
        cc_rm_rf(root);
}

TEST(failing_step_names_command_and_code)
{
        setup();
        char *upper = NULL;
        int code;
        struct cc_error err = {0};
        ASSERT(run("echo partial > /p; exit 3", -1, &upper, &code, &err) < 0);
        ASSERT_INTEQ(code, 3);
        ASSERT_NULL(upper);
        ASSERT_STREQ(cc_error_msg(&err),
                     "process \"/bin/sh -c echo partial > /p; exit 3\" did not complete successfully: exit code: 3");
        cc_error_clear(&err);
        nothing_left();
        cc_rm_rf(root);
}
