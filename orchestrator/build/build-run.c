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

/* Remove rel from upper when it is an empty mount point the runtime made
 * (an empty file or directory no lower layer has), then its parents that
 * are left empty by that (those only copied up for it). */
static void drop_stub(const char *upper, const char *rel, const struct cc_strv *layers)
{
        _cleanup_free_ char *clean = cc_path_clean(rel);
        const char *r = clean;
        while (*r == '/')
                r++;
        _cleanup_free_ char *cur = cc_xstrdup(r);
        for (bool first = true; *cur; first = false) {
                _cleanup_free_ char *p = cc_path_join(upper, cur);
                struct stat st;
                char opaque[2];
                if (lstat(p, &st) < 0)
                        return;
                if (first && S_ISREG(st.st_mode)) {
                        if (st.st_size != 0 || in_layers(layers, cur) || unlink(p) < 0)
                                return;
                } else if (!S_ISDIR(st.st_mode) || getxattr(p, "trusted.overlay.opaque", opaque, sizeof(opaque)) > 0 ||
                           (first && in_layers(layers, cur)) || rmdir(p) < 0) {
                        return; /* not empty, or the step's own */
                }
                char *slash = strrchr(cur, '/');
                if (!slash)
                        return;
                *slash = '\0';
        }
}

/* The runtime binds its own /etc/hosts, resolv.conf and hostname over
 * empty files it creates when the image has none, and RUN --mount targets
 * over directories or files it creates: they are no change of the step's
 * (BuildKit leaves them out of the layer too), nor are the directories
 * they made copy up. */
static void drop_mount_stubs(const char *upper, const struct cc_build_run *r)
{
        static const char *const etc[] = {"etc/hosts", "etc/resolv.conf", "etc/hostname"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(etc); i++)
                drop_stub(upper, etc[i], r->layers);
        for (size_t i = 0; i < r->n_mounts; i++)
                drop_stub(upper, r->mounts[i].target, r->layers);
        for (size_t i = 0; i < r->n_files; i++)
                drop_stub(upper, r->files[i].target, r->layers);
}

struct cc_build_running {
        struct cc_build_run r; /* what it points at outlives the step (the caller's) */
        struct cc_container_spec spec;
        struct cc_seccomp *seccomp;
        struct cc_container *c;
        char *cmd;
        bool cancelled;
};

static void running_free(struct cc_build_running *h)
{
        if (h->seccomp)
                cc_seccomp_free(h->seccomp);
        h->spec.seccomp = NULL;
        cc_container_spec_free(&h->spec);
        free(h->cmd);
        free(h);
}

static void plan_spec(const struct cc_build_run *r, struct cc_container_spec *spec)
{
        cc_container_spec_init(spec);
        spec->root = cc_xstrdup(r->root);
        spec->project = cc_xstrdup(r->project);
        spec->id = cc_container_new_id();
        spec->name = cc_xasprintf("%s-build-%.12s", r->project, spec->id);
        for (size_t i = 0; i < r->layers->n; i++)
                cc_strv_push(&spec->layer_dirs, r->layers->v[i]);
        for (size_t i = 0; i < r->argv->n; i++)
                cc_strv_push(&spec->argv, r->argv->v[i]);
        for (size_t i = 0; r->env && i < r->env->n; i++)
                cc_strv_push(&spec->env, r->env->v[i]);
        spec->cwd = r->cwd && *r->cwd ? cc_xstrdup(r->cwd) : NULL;
        spec->user = r->user && *r->user ? cc_xstrdup(r->user) : NULL;
        spec->stdio[0] = -1;
        spec->stdio[1] = spec->stdio[2] = r->out_fd;
        spec->net = r->net_host ? CC_NET_HOST : CC_NET_NONE;
        for (size_t i = 0; i < r->n_mounts; i++) {
                const struct cc_mount *m = &r->mounts[i];
                struct cc_mount *c = cc_container_spec_add_mount(spec, m->type, m->source, m->target, m->read_only);
                c->tmpfs_size = m->tmpfs_size;
                c->tmpfs_mode = m->tmpfs_mode;
        }
        if (r->hosts) {
                struct cc_file_mount *h = cc_container_spec_add_file(spec, r->hosts, strlen(r->hosts), "/etc/hosts");
                h->mode = 0644;
        }
        for (size_t i = 0; i < r->n_files; i++) {
                const struct cc_file_mount *f = &r->files[i];
                struct cc_file_mount *c = cc_container_spec_add_file(spec, f->content, f->len, f->target);
                c->uid = f->uid;
                c->gid = f->gid;
                c->mode = f->mode;
        }
        spec->caps = cc_caps_default();
}

int cc_build_run_start(const struct cc_build_run *r, struct cc_build_running **out, struct cc_error *err)
{
        *out = NULL;
        struct cc_build_running *h = cc_xcalloc(1, sizeof(*h));
        h->r = *r;
        plan_spec(r, &h->spec);
        h->cmd = command_text(r->argv);
        int status = 0;
        int rc = cc_container_seccomp_default(r->root, h->spec.caps, &h->seccomp, err);
        h->spec.seccomp = h->seccomp;
        if (rc == 0)
                rc = cc_container_start(&h->spec, &h->c, &status, err);
        /* the environment (secrets' env= among it) is the container's now */
        for (size_t i = 0; i < h->spec.env.n; i++)
                explicit_bzero(h->spec.env.v[i], strlen(h->spec.env.v[i]));
        if (rc < 0) {
                cc_error_prefix(err, "process \"%s\"", h->cmd);
                running_free(h);
                return rc;
        }
        *out = h;
        return 0;
}

int cc_build_run_pidfd(const struct cc_build_running *h)
{
        return cc_container_pidfd(h->c);
}

void cc_build_run_cancel(struct cc_build_running *h)
{
        struct cc_error e = {0};
        cc_container_kill_all(h->c, &e);
        cc_error_clear(&e);
        h->cancelled = true;
}

int cc_build_run_finish(struct cc_build_running *h, const char *dest_dir, char **upper, int *exit_code,
                        struct cc_error *err)
{
        *upper = NULL;
        *exit_code = -1;
        _cleanup_free_ char *dir = cc_xstrdup(cc_container_dir(h->c));
        int rc = cc_container_wait(h->c, exit_code, err);
        struct cc_error derr = {0};
        /* keep the directory for its upper dir; the rest of it goes below */
        if (cc_container_destroy(h->c, true, &derr) < 0 && rc == 0)
                rc = cc_error_set(err, derr.code, "%s", cc_error_msg(&derr));
        cc_error_clear(&derr);
        if (rc == 0 && h->cancelled)
                rc = cc_error_set(err, -ECANCELED, "process \"%s\" was cancelled", h->cmd);
        if (rc == 0 && *exit_code != 0)
                rc = cc_error_set(err, -ECHILD, "process \"%s\" did not complete successfully: exit code: %d",
                                  h->cmd, *exit_code);
        if (rc == 0) {
                _cleanup_free_ char *from = cc_path_join(dir, "upper");
                drop_mount_stubs(from, &h->r);
                *upper = cc_xasprintf("%s/%s", dest_dir, h->spec.id);
                if (rename(from, *upper) < 0) {
                        rc = cc_error_setsys(err, -errno, "keep the changes of \"%s\"", h->cmd);
                        free(*upper);
                        *upper = NULL;
                }
        }
        struct cc_error cerr = {0};
        cc_container_cleanup(h->r.root, h->r.project, h->spec.id, &cerr);
        cc_error_clear(&cerr);
        running_free(h);
        return rc;
}

int cc_build_run_step(const struct cc_build_run *r, const char *dest_dir, char **upper, int *exit_code,
                      struct cc_error *err)
{
        struct cc_build_running *h;
        *upper = NULL;
        *exit_code = -1;
        int rc = cc_build_run_start(r, &h, err);
        return rc < 0 ? rc : cc_build_run_finish(h, dest_dir, upper, exit_code, err);
}
