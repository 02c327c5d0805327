/* Host paths of a service that compose-go makes absolute besides build
 * contexts, volumes, env_file and label_file (paths/resolve.go):
 * build.ssh keys given as id=path and develop.watch[].path. */
#include "normalize.h"

/* build.ssh: "id=path" entries (list form) or id: path (mapping form). */
static void cc__ssh(const struct cc__norm *n, struct cc_node *build)
{
        struct cc_node *ssh = cc_node_map_get(build, "ssh");
        for (size_t i = 0; cc_node_is_seq(ssh) && i < ssh->n; i++) {
                struct cc_node *e = ssh->items[i];
                const char *eq = cc_node_is_scalar(e) && e->type == CC_STR ? strchr(e->str, '=') : NULL;
                if (!eq || !eq[1])
                        continue;
                _cleanup_free_ char *abs = cc__norm_abs_path(n, eq + 1);
                _cleanup_free_ char *s = cc_xasprintf("%.*s=%s", (int) (eq - e->str), e->str, abs);
                cc_node_set_scalar(e, s, CC_STR);
        }
        for (size_t i = 0; cc_node_is_map(ssh) && i < ssh->n; i++) {
                struct cc_node *v = ssh->items[i];
                if (!cc_node_is_scalar(v) || v->type != CC_STR || !*v->str)
                        continue;
                _cleanup_free_ char *abs = cc__norm_abs_path(n, v->str);
                cc_node_set_scalar(v, abs, CC_STR);
        }
}

void cc__norm_paths(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *build = cc_node_map_get(svc, "build");
        if (cc_node_is_map(build))
                cc__ssh(n, build);
        struct cc_node *watch = cc_node_map_get(cc_node_map_get(svc, "develop"), "watch");
        for (size_t i = 0; cc_node_is_seq(watch) && i < watch->n; i++) {
                struct cc_node *p = cc_node_map_get(watch->items[i], "path");
                if (!cc_node_is_scalar(p) || p->type != CC_STR || !*p->str)
                        continue;
                _cleanup_free_ char *abs = cc__norm_abs_path(n, p->str);
                cc_node_set_scalar(p, abs, CC_STR);
        }
}
