/* A service's `secrets:` and `configs:` turned into files of its container
 * spec (struct cc_file_mount), as docker compose gives them on a local
 * engine: the content of the top-level definition (`file:`, a variable of
 * the project's environment with `environment:`, or for configs inline
 * `content:`), at /run/secrets/<target> (secrets) or /<source> (configs)
 * unless the target is absolute, owned by uid:gid (0:0) with mode (0444).
 * The runtime writes and mounts them; it knows no compose file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service-spec.h"

/* The largest secret or config file read (Docker's swarm limit for a
 * secret is 500 KB; configs here may be a little larger). */
#define CC_FILE_MOUNT_MAX (1024 * 1024)

struct cc__file_kind {
        const char *section; /* top-level key and service key */
        const char *what;    /* in messages */
        const char *dir;     /* where a relative target goes */
        bool content;        /* `content:` allowed */
};

static const struct cc__file_kind cc__secrets = {"secrets", "secret", "/run/secrets/", false};
static const struct cc__file_kind cc__configs = {"configs", "config", "/", true};

/* The whole of a regular file of at most CC_FILE_MOUNT_MAX bytes. */
static int cc__read_bounded(const char *path, char **out, size_t *len, struct cc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return cc_error_setsys(err, -errno, "read %s", path);
        if (!S_ISREG(st.st_mode))
                return cc_error_set(err, -EINVAL, "read %s: not a regular file", path);
        if (st.st_size > CC_FILE_MOUNT_MAX)
                return cc_error_set(err, -EFBIG, "read %s: larger than %d bytes", path, CC_FILE_MOUNT_MAX);
        _cleanup_free_ char *buf = cc_xmalloc((size_t) st.st_size + 1);
        size_t n = 0;
        while (n < (size_t) st.st_size) {
                ssize_t r = read(fd, buf + n, (size_t) st.st_size - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return cc_error_setsys(err, -errno, "read %s", path);
                if (r == 0)
                        break; /* shrank meanwhile: what is there */
                n += (size_t) r;
        }
        buf[n] = '\0';
        *len = n;
        *out = cc_steal(&buf);
        return 0;
}

/* The content of top-level definition `name`. */
static int cc__source(const struct cc_project *p, const struct cc__file_kind *k, const char *name, char **out,
                      size_t *len, struct cc_error *err)
{
        const struct cc_node *top = cc_node_map_get(p->model, k->section);
        const struct cc_node *def = cc_node_is_map(top) ? cc_node_map_get(top, name) : NULL;
        if (!cc_node_is_map(def))
                return cc_error_set(err, -ENOENT, "not defined in the top-level %s", k->section);
        const struct cc_node *ext = cc_node_map_get(def, "external");
        if (cc_node_is_scalar(ext) && cc_streq(ext->str, "true"))
                return cc_error_set(err, -ENOTSUP, "external %ss need a swarm, which ccompose does not run: "
                                    "use file: or environment:", k->what);
        const char *file = cc_node_map_str(def, "file");
        const char *var = cc_node_map_str(def, "environment");
        const char *content = k->content ? cc_node_map_str(def, "content") : NULL;
        if (file)
                return cc__read_bounded(file, out, len, err);
        if (var) {
                const char *v = cc_env_get(&p->env, var);
                if (!v)
                        return cc_error_set(err, -ENOENT, "environment variable %s is not set", var);
                content = v;
        }
        if (!content)
                return cc_error_set(err, -EINVAL, "no %s", k->content ? "file, environment or content" : "file or environment");
        *len = strlen(content);
        if (*len > CC_FILE_MOUNT_MAX)
                return cc_error_set(err, -EFBIG, "larger than %d bytes", CC_FILE_MOUNT_MAX);
        *out = cc_xstrdup(content);
        return 0;
}

static int cc__id(const struct cc_node *ref, const char *key, unsigned *out, struct cc_error *err)
{
        const char *s = cc_node_map_str(ref, key);
        if (!s)
                return 0;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > 0x7fffffffUL)
                return cc_error_set(err, -EINVAL, "invalid %s \"%s\"", key, s);
        *out = (unsigned) v;
        return 0;
}

/* One entry of the service's list (long form after normalisation). */
static int cc__file_ref(const struct cc_project *p, const struct cc__file_kind *k, const struct cc_node *ref,
                        struct cc_container_spec *spec, struct cc_error *err)
{
        const char *source = cc_node_is_map(ref) ? cc_node_map_str(ref, "source") : ref->str;
        if (!source)
                return cc_error_set(err, -EINVAL, "%s without source", k->what);
        _cleanup_free_ char *content = NULL;
        size_t len = 0;
        int r = cc__source(p, k, source, &content, &len, err);
        const char *t = cc_node_is_map(ref) ? cc_node_map_str(ref, "target") : NULL;
        _cleanup_free_ char *target = !t ? cc_xasprintf("%s%s", k->dir, source)
                                    : t[0] == '/' ? cc_xstrdup(t) : cc_xasprintf("%s%s", k->dir, t);
        unsigned uid = 0, gid = 0;
        if (r >= 0)
                r = cc__id(ref, "uid", &uid, err);
        if (r >= 0)
                r = cc__id(ref, "gid", &gid, err);
        const char *mode = cc_node_is_map(ref) ? cc_node_map_str(ref, "mode") : NULL;
        char *end = NULL;
        unsigned long m = mode ? strtoul(mode, &end, 8) : 0444;
        if (r >= 0 && mode && (end == mode || *end || m > 07777))
                r = cc_error_set(err, -EINVAL, "invalid mode \"%s\"", mode);
        if (r < 0)
                return cc_error_prefix(err, "%s %s", k->what, source);
        struct cc_file_mount *f = cc_container_spec_add_file(spec, content, len, target);
        f->uid = uid;
        f->gid = gid;
        f->mode = (mode_t) m;
        return 0;
}

int cc_service_spec_files(const struct cc_project *p, const char *service, struct cc_container_spec *spec,
                          struct cc_error *err)
{
        const struct cc_node *svc = cc_node_map_get(cc_project_services(p), service);
        const struct cc__file_kind *kinds[] = {&cc__secrets, &cc__configs};
        for (size_t i = 0; cc_node_is_map(svc) && i < CC_ARRAY_SIZE(kinds); i++) {
                const struct cc_node *list = cc_node_map_get(svc, kinds[i]->section);
                for (size_t j = 0; cc_node_is_seq(list) && j < list->n; j++) {
                        int r = cc__file_ref(p, kinds[i], list->items[j], spec, err);
                        if (r < 0)
                                return cc_error_prefix(err, "service %s", service);
                }
        }
        return 0;
}

int cc_service_files_check(const struct cc_project *p, const char *service, struct cc_error *err)
{
        struct cc_container_spec spec;
        cc_container_spec_init(&spec);
        int r = cc_service_spec_files(p, service, &spec, err);
        cc_container_spec_free(&spec);
        return r;
}
