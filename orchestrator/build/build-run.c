/* RUN steps as containers of our runtime. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "build-run.h"
#include "container.h"
#include "security.h"

static char *command_text(const struct cc_strv *argv)
{
        struct cc_buf b = {0};
        for (size_t i = 0; i < argv->n; i++)
                cc_buf_printf(&b, "%s%s", i ? " " : "", argv->v[i]);
        return cc_buf_steal(&b);
}

static bool in_layers(const struct cc_strv *layers, const char *rel)
{
        struct stat st;
        for (size_t i = 0; i < layers->n; i++) {
                _cleanup_free_ char *p = cc_path_join(layers->v[i], rel);
                if (lstat(p, &st) == 0)
                        return true;
        }
        return false;
}

/* The runtime binds its own /etc/hosts, resolv.conf and hostname over
 * empty files it creates when the image has none: they are no change of
 * the step's (Docker leaves them out of the layer too), nor is the /etc
 * they made copy up. */
static void drop_mount_stubs(const char *upper, const struct cc_strv *layers)
{
        static const char *const stubs[] = {"etc/hosts", "etc/resolv.conf", "etc/hostname"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(stubs); i++) {
                _cleanup_free_ char *p = cc_path_join(upper, stubs[i]);
                struct stat st;
                if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && !in_layers(layers, stubs[i]))
                        unlink(p);
        }
        _cleanup_free_ char *etc = cc_path_join(upper, "etc");
        char opaque[2];
        if (in_layers(layers, "etc") && getxattr(etc, "trusted.overlay.opaque", opaque, sizeof(opaque)) < 0)
                rmdir(etc); /* only when empty */
}

int cc_build_run_step(const struct cc_build_run *r, const char *dest_dir, char **upper, int *exit_code,
                      struct cc_error *err)
{
        *upper = NULL;
        *exit_code = -1;
        struct cc_container_spec spec;
        cc_container_spec_init(&spec);
        spec.root = cc_xstrdup(r->root);
        spec.project = cc_xstrdup(r->project);
        spec.id = cc_container_new_id();
        spec.name = cc_xasprintf("%s-build-%.12s", r->project, spec.id);
        for (size_t i = 0; i < r->layers->n; i++)
                cc_strv_push(&spec.layer_dirs, r->layers->v[i]);
        for (size_t i = 0; i < r->argv->n; i++)
                cc_strv_push(&spec.argv, r->argv->v[i]);
        for (size_t i = 0; r->env && i < r->env->n; i++)
                cc_strv_push(&spec.env, r->env->v[i]);
        spec.cwd = r->cwd && *r->cwd ? cc_xstrdup(r->cwd) : NULL;
        spec.user = r->user && *r->user ? cc_xstrdup(r->user) : NULL;
        spec.stdio[0] = -1;
        spec.stdio[1] = spec.stdio[2] = r->out_fd;
        spec.net = CC_NET_NONE;
        spec.caps = cc_caps_default();
        _cleanup_free_ char *cmd = command_text(r->argv);
        struct cc_seccomp *seccomp = NULL;
        struct cc_container *c = NULL;
        _cleanup_free_ char *dir = NULL;
        int status = 0;
        int rc = cc_container_seccomp_default(r->root, spec.caps, &seccomp, err);
        spec.seccomp = seccomp;
        if (rc == 0)
                rc = cc_container_start(&spec, &c, &status, err);
        if (rc < 0) {
                *exit_code = status;
                cc_error_prefix(err, "process \"%s\"", cmd);
                goto out;
        }
        dir = cc_xstrdup(cc_container_dir(c));
        rc = cc_container_wait(c, exit_code, err);
        struct cc_error derr = {0};
        /* keep the directory for its upper dir; the rest of it goes below */
        if (cc_container_destroy(c, true, &derr) < 0 && rc == 0) {
                rc = cc_error_set(err, derr.code, "%s", cc_error_msg(&derr));
        }
        cc_error_clear(&derr);
        if (rc == 0 && *exit_code != 0)
                rc = cc_error_set(err, -ECHILD, "process \"%s\" did not complete successfully: exit code: %d", cmd,
                                  *exit_code);
        if (rc == 0) {
                _cleanup_free_ char *from = cc_path_join(dir, "upper");
                drop_mount_stubs(from, r->layers);
                *upper = cc_xasprintf("%s/%s", dest_dir, spec.id);
                if (rename(from, *upper) < 0) {
                        rc = cc_error_setsys(err, -errno, "keep the changes of \"%s\"", cmd);
                        free(*upper);
                        *upper = NULL;
                }
        }
        struct cc_error cerr = {0};
        cc_container_cleanup(r->root, r->project, spec.id, &cerr);
        cc_error_clear(&cerr);
out:
        if (seccomp)
                cc_seccomp_free(seccomp);
        spec.seccomp = NULL;
        cc_container_spec_free(&spec);
        return rc;
}
