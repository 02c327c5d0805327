/* The API's volumes: the directories $CCOMPOSE_ROOT/volumes/<name>/_data
 * that compose's named volumes are (runtime/container/volume.c), with what
 * a create request gave (labels, the time) in <name>/api-volume.json. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "container.h"
#include "logfile.h"
#include "state.h"

#define CC__VOLUME_RECORD "api-volume.json"

static int cc__volume_make(struct cc_api *api, const char *n, json_object *labels, json_object *opts, struct cc_error *err);
/* the attributes of docker's volume events */
static const char *const cc__volume_event_attrs[] = {"driver", "local", NULL};

static char *cc__volume_dir(struct cc_api *api, const char *name)
{
        return cc_xasprintf("%s/volumes/%s", api->opts->root, name);
}

static bool cc__volume_name_ok(const char *n)
{
        /* docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
        if (!n[0] || !n[1] || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= '0' && n[0] <= '9')))
                return false;
        for (const char *p = n; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                      *p == '.' || *p == '-'))
                        return false;
        return true;
}

/* Docker's volume object; NULL when there is no such volume. */
static json_object *cc__volume_json(struct cc_api *api, const char *name)
{
        if (!cc__volume_name_ok(name))
                return NULL;
        _cleanup_free_ char *dir = cc__volume_dir(api, name);
        _cleanup_free_ char *data = cc_path_join(dir, "_data");
        struct stat st;
        if (stat(data, &st) < 0 || !S_ISDIR(st.st_mode))
                return NULL;
        _cleanup_free_ char *rp = cc_path_join(dir, CC__VOLUME_RECORD);
        json_object *rec = json_object_from_file(rp), *v;
        json_object *o = json_object_new_object();
        char when[48];
        struct timespec ts = {.tv_sec = st.st_mtim.tv_sec};
        cc_log_format_time(&ts, when, sizeof(when));
        bool has = json_object_is_type(rec, json_type_object);
        json_object_object_add(o, "CreatedAt", has && json_object_object_get_ex(rec, "CreatedAt", &v)
                                                       ? json_object_get(v)
                                                       : json_object_new_string(when));
        json_object_object_add(o, "Driver", json_object_new_string("local"));
        json_object_object_add(o, "Labels", has && json_object_object_get_ex(rec, "Labels", &v)
                                                    ? json_object_get(v)
                                                    : json_object_new_object());
        json_object_object_add(o, "Mountpoint", json_object_new_string(data));
        json_object_object_add(o, "Name", json_object_new_string(name));
        json_object_object_add(o, "Options", has && json_object_object_get_ex(rec, "Options", &v)
                                                     ? json_object_get(v)
                                                     : NULL);
        json_object_object_add(o, "Scope", json_object_new_string("local"));
        json_object_put(rec);
        return o;
}

/* The running containers that have the volume mounted ("name" or "id"). */
static void cc__volume_users(struct cc_api *api, const char *name, struct cc_strv *out)
{
        _cleanup_free_ char *suffix = cc_xasprintf("/volumes/%s/_data", name);
        size_t sl = strlen(suffix);
        struct cc_api_ctrs cs;
        cc_api_ctrs_load(api, &cs);
        for (size_t i = 0; i < cs.n; i++) {
                const struct cc_ctr_state *ct = cs.v[i].ct;
                if (ct->pid <= 0)
                        continue;
                _cleanup_free_ char *mi = cc_xasprintf("/proc/%d/mountinfo", (int) ct->pid);
                _cleanup_free_ char *text = NULL;
                size_t len;
                if (cc_read_file(mi, &text, &len) < 0)
                        continue;
                /* the fourth field: the mount's root inside its filesystem */
                for (char *line = text; *line;) {
                        char *nl = strchrnul(line, '\n'), *f = line;
                        for (int k = 0; k < 3 && f < nl; k++)
                                f = strchrnul(f, ' ') + 1;
                        size_t fl = f < nl ? strcspn(f, " \n") : 0;
                        if (fl >= sl && strncmp(f + fl - sl, suffix, sl) == 0) {
                                cc_strv_push(out, ct->id);
                                break;
                        }
                        line = *nl ? nl + 1 : nl;
                }
        }
        cc_api_ctrs_free(&cs);
}

/* docker volume ls --filter: name (a part of it), label (all must match),
 * dangling (no running container has it mounted), driver (local). */
static bool cc__volume_match(struct cc_api *api, json_object *o, const struct cc_strv *f)
{
        const char *name = json_object_get_string(json_object_object_get(o, "Name"));
        bool has_name = false, name_ok = false;
        for (size_t i = 0; i + 1 < f->n; i += 2) {
                const char *k = f->v[i], *v = f->v[i + 1];
                if (strcmp(k, "name") == 0) {
                        has_name = true;
                        name_ok = name_ok || strstr(name, v);
                } else if (strcmp(k, "label") == 0 && !cc_api_label_match(json_object_object_get(o, "Labels"), v)) {
                        return false;
                } else if (strcmp(k, "driver") == 0 && strcmp(v, "local") != 0) {
                        return false;
                } else if (strcmp(k, "dangling") == 0) {
                        struct cc_strv users = {0};
                        cc__volume_users(api, name, &users);
                        bool dangling = users.n == 0;
                        cc_strv_free(&users);
                        if (dangling != (strcmp(v, "true") == 0 || strcmp(v, "1") == 0))
                                return false;
                }
        }
        return !has_name || name_ok;
}

void cc_api_volumes_list(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"filters", NULL};
        struct cc_strv f = {0};
        if (cc_api_params_check(r, "volume list", spec) < 0 || cc_api_filters(r, &f) < 0)
                return;
        for (size_t i = 0; i + 1 < f.n; i += 2)
                if (strcmp(f.v[i], "name") != 0 && strcmp(f.v[i], "label") != 0 && strcmp(f.v[i], "dangling") != 0 &&
                    strcmp(f.v[i], "driver") != 0) {
                        cc_api_reply_error(r, 400, "the filter %s of the volume list is not supported "
                                                   "(name, label, dangling, driver)", f.v[i]);
                        cc_strv_free(&f);
                        return;
                }
        json_object *vols = json_object_new_array();
        _cleanup_free_ char *dir = cc_path_join(r->api->opts->root, "volumes");
        DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));) {
                json_object *o = de->d_name[0] == '.' ? NULL : cc__volume_json(r->api, de->d_name);
                if (o && cc__volume_match(r->api, o, &f))
                        json_object_array_add(vols, o);
                else
                        json_object_put(o);
        }
        if (d)
                closedir(d);
        cc_strv_free(&f);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Volumes", vols);
        json_object_object_add(o, "Warnings", NULL);
        cc_api_reply_json(r, 200, o);
}

void cc_api_volume_inspect(struct cc_api_req *r, char **params)
{
        json_object *o = cc__volume_json(r->api, params[0]);
        if (o)
                cc_api_reply_json(r, 200, o);
        else
                cc_api_reply_error(r, 404, "get %s: no such volume", params[0]);
}

/* POST /volumes/create {"Name", "Driver", "DriverOpts", "Labels"}: made,
 * or the one of that name that is there already (as docker answers). */
void cc_api_volume_create(struct cc_api_req *r, char **params)
{
        json_object *body = cc_api_body_json(r);
        if (!body)
                return;
        json_object *name = NULL, *labels = NULL, *drv = NULL, *opts = NULL;
        _cleanup_free_ char *gen = NULL;
        struct cc_error err = {0};
        json_object_object_foreach(body, k, v)
        {
                if (strcmp(k, "Name") == 0)
                        name = v;
                else if (strcmp(k, "Labels") == 0)
                        labels = v;
                else if (strcmp(k, "Driver") == 0)
                        drv = v;
                else if (strcmp(k, "DriverOpts") == 0)
                        opts = v;
                else if (!json_object_is_type(v, json_type_null)) {
                        cc_api_reply_error(r, 400, "the field %s of a volume create is not supported", k);
                        goto out;
                }
        }
        const char *n = json_object_get_string(name), *d = json_object_get_string(drv);
        if (d && *d && strcmp(d, "local") != 0) {
                cc_api_reply_error(r, 400, "volume driver %s is not supported (only local)", d);
                goto out;
        }
        if (json_object_is_type(opts, json_type_object) && json_object_object_length(opts) > 0) {
                cc_api_reply_error(r, 400, "DriverOpts of a volume are not supported (local directories only)");
                goto out;
        }
        if ((labels && !json_object_is_type(labels, json_type_object) && !json_object_is_type(labels, json_type_null))) {
                cc_api_reply_error(r, 400, "Labels of a volume must be an object of strings");
                goto out;
        }
        if (!n || !*n) {
                unsigned char b[32];
                if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b)) {
                        cc_api_reply_error(r, 500, "getrandom: %s", strerror(errno));
                        goto out;
                }
                gen = cc_xmalloc(65);
                for (size_t i = 0; i < 32; i++)
                        sprintf(gen + 2 * i, "%02x", b[i]);
                n = gen;
        }
        if (!cc__volume_name_ok(n)) {
                cc_api_reply_error(r, 400, "create %s: \"%s\" includes invalid characters for a local volume name, only "
                                           "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
                                   n, n);
                goto out;
        }
        if (cc__volume_make(r->api, n, labels, opts, &err) < 0) {
                cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
                cc_error_clear(&err);
                goto out;
        }
        json_object *o = cc__volume_json(r->api, n);
        cc_api_reply_json(r, 201, o);
out:
        json_object_put(body);
}

/* Remove a volume no running container has mounted: 0; -1 after answering. */
static int cc__volume_remove(struct cc_api_req *r, const char *name, bool answer)
{
        struct cc_strv users = {0};
        cc__volume_users(r->api, name, &users);
        if (users.n) {
                if (answer) {
                        struct cc_buf b = {0};
                        for (size_t i = 0; i < users.n; i++)
                                cc_buf_printf(&b, "%s%s", i ? ", " : "", users.v[i]);
                        cc_api_reply_error(r, 409, "remove %s: volume is in use - [%s]", name, b.s);
                        cc_buf_free(&b);
                }
                cc_strv_free(&users);
                return -1;
        }
        _cleanup_free_ char *dir = cc__volume_dir(r->api, name);
        int e = cc_rm_rf(dir);
        if (e < 0 && answer)
                cc_api_reply_error(r, 500, "remove %s: %s", name, strerror(-e));
        if (e >= 0)
                cc_api_event_object(r->api, "volume", "destroy", name, NULL, cc__volume_event_attrs);
        return e < 0 ? -1 : 0;
}

void cc_api_volume_remove(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"force", NULL};
        if (cc_api_params_check(r, "volume remove", spec) < 0)
                return;
        json_object *o = cc__volume_json(r->api, params[0]);
        if (!o) {
                /* force: a volume that is not there is no error */
                if (cc_api_query_bool(r, "force", false))
                        cc_api_reply_empty(r, 204);
                else
                        cc_api_reply_error(r, 404, "get %s: no such volume", params[0]);
                return;
        }
        json_object_put(o);
        if (cc__volume_remove(r, params[0], true) == 0)
                cc_api_reply_empty(r, 204);
}

/* POST /volumes/prune: the volumes no running container has mounted;
 * filters label=K[=V] and label!=K[=V]. */
void cc_api_volumes_prune(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"filters", NULL};
        struct cc_strv f = {0};
        if (cc_api_params_check(r, "volume prune", spec) < 0 || cc_api_filters(r, &f) < 0)
                return;
        for (size_t i = 0; i + 1 < f.n; i += 2)
                if (strcmp(f.v[i], "label") != 0 && strcmp(f.v[i], "label!") != 0 &&
                    !(strcmp(f.v[i], "all") == 0)) {
                        cc_api_reply_error(r, 400, "Invalid filter '%s'", f.v[i]);
                        cc_strv_free(&f);
                        return;
                }
        json_object *deleted = json_object_new_array();
        uint64_t space = 0;
        _cleanup_free_ char *dir = cc_path_join(r->api->opts->root, "volumes");
        DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));) {
                json_object *o = de->d_name[0] == '.' ? NULL : cc__volume_json(r->api, de->d_name), *labels = NULL;
                if (!o)
                        continue;
                json_object_object_get_ex(o, "Labels", &labels);
                bool keep = false;
                for (size_t i = 0; i + 1 < f.n && !keep; i += 2) {
                        if (strcmp(f.v[i], "all") == 0)
                                continue;
                        bool match = cc_api_label_match(labels, f.v[i + 1]);
                        keep = strcmp(f.v[i], "label") == 0 ? !match : match;
                }
                json_object_put(o);
                if (keep)
                        continue;
                _cleanup_free_ char *data = cc_xasprintf("%s/%s/_data", dir, de->d_name);
                uint64_t size = cc_api_du(data);
                if (cc__volume_remove(r, de->d_name, false) == 0) {
                        json_object_array_add(deleted, json_object_new_string(de->d_name));
                        space += size;
                }
        }
        if (d)
                closedir(d);
        cc_strv_free(&f);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "VolumesDeleted", deleted);
        json_object_object_add(o, "SpaceReclaimed", json_object_new_int64((int64_t) space));
        cc_api_reply_json(r, 200, o);
}

/* ---- a container's volumes (container create) ---- */

int cc_api_compose_volumes(json_object *svc, int *status, struct cc_error *err)
{
        json_object *vols = NULL;
        json_object_object_get_ex(svc, "volumes", &vols);
        size_t n = cc_api_len(vols);
        for (size_t i = 0; i < n; i++) {
                const char *b = json_object_get_string(json_object_array_get_idx(vols, i));
                size_t sl = strcspn(b, ":");
                _cleanup_free_ char *src = cc_xstrndup(b, sl);
                if (!b[sl] || src[0] == '/')
                        continue;
                if (!cc__volume_name_ok(src)) {
                        *status = 400;
                        return cc_error_set(err, -EINVAL, "HostConfig.Binds: %s: the source is neither a host path (/...) "
                                                          "nor a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)", b);
                }
        }
        return 0;
}

bool cc_api_volume_bound(json_object *vols, const char *path)
{
        for (size_t i = 0; i < cc_api_len(vols); i++) {
                const char *b = json_object_get_string(json_object_array_get_idx(vols, i));
                const char *dst = strchr(b, ':');
                dst = dst ? dst + 1 : b;
                size_t dl = strcspn(dst, ":");
                if (strlen(path) == dl && strncmp(dst, path, dl) == 0)
                        return true;
        }
        return false;
}

/* docker's MountPoint of a service's volume b ("SRC:DST[:OPTS]" or "DST",
 * anonymous) of container id. */
static json_object *cc__mount_point(struct cc_api *api, const char *id, const char *b)
{
        _cleanup_free_ char *copy = cc_xstrdup(b);
        char *dst = strchr(copy, ':'), *src = copy, *opts = NULL;
        if (dst) {
                *dst++ = '\0';
                if ((opts = strchr(dst, ':')))
                        *opts++ = '\0';
        } else {
                dst = copy;
                src = NULL;
        }
        bool ro = false;
        _cleanup_free_ char *o = cc_xstrdup(opts ? opts : "");
        char *save = NULL;
        for (char *t = strtok_r(o, ",", &save); t; t = strtok_r(NULL, ",", &save))
                ro = ro || strcmp(t, "ro") == 0;
        bool bind = src && src[0] == '/';
        json_object *m = json_object_new_object();
        json_object_object_add(m, "Type", json_object_new_string(bind ? "bind" : "volume"));
        if (bind) {
                json_object_object_add(m, "Source", json_object_new_string(src));
        } else {
                _cleanup_free_ char *name = src ? cc_xstrdup(src) : cc_container_anon_volume(id, dst);
                _cleanup_free_ char *dir = cc__volume_dir(api, name);
                _cleanup_free_ char *data = cc_path_join(dir, "_data");
                json_object_object_add(m, "Name", json_object_new_string(name));
                json_object_object_add(m, "Source", json_object_new_string(data));
        }
        json_object_object_add(m, "Destination", json_object_new_string(dst));
        if (!bind)
                json_object_object_add(m, "Driver", json_object_new_string("local"));
        /* docker: a named volume's mode "z" unless given, an anonymous one's "" */
        json_object_object_add(m, "Mode", json_object_new_string(opts ? opts : src && !bind ? "z" : ""));
        json_object_object_add(m, "RW", json_object_new_boolean(!ro));
        json_object_object_add(m, "Propagation", json_object_new_string(bind ? "rprivate" : ""));
        return m;
}

json_object *cc_api_ctr_mounts(struct cc_api *api, const struct cc_api_ctr *c)
{
        json_object *out = json_object_new_array();
        json_object *hc = json_object_object_get(c->api, "HostConfig");
        json_object *binds = json_object_object_get(hc, "Binds");
        for (size_t i = 0; i < cc_api_len(binds); i++) {
                json_object *v = json_object_array_get_idx(binds, i);
                if (json_object_is_type(v, json_type_string))
                        json_object_array_add(out, cc__mount_point(api, c->ct->id, json_object_get_string(v)));
        }
        /* Config.Volumes: anonymous volumes, where no bind is */
        json_object *anon = json_object_object_get(json_object_object_get(c->api, "Config"), "Volumes");
        if (json_object_is_type(anon, json_type_object)) {
                json_object_object_foreach(anon, dst, v)
                {
                        (void) v;
                        if (!cc_api_volume_bound(binds, dst))
                                json_object_array_add(out, cc__mount_point(api, c->ct->id, dst));
                }
        }
        return out;
}

/* A volume of that name, made (with the labels given) when missing. */
static int cc__volume_make(struct cc_api *api, const char *n, json_object *labels, json_object *opts, struct cc_error *err)
{
        json_object *o = cc__volume_json(api, n);
        if (o) {
                json_object_put(o);
                return 0;
        }
        _cleanup_free_ char *dir = cc__volume_dir(api, n);
        _cleanup_free_ char *data = cc_path_join(dir, "_data");
        int e = cc_mkdir_p(data, 0755);
        json_object *rec = json_object_new_object();
        char when[48];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec = 0;
        cc_log_format_time(&ts, when, sizeof(when));
        json_object_object_add(rec, "CreatedAt", json_object_new_string(when));
        json_object_object_add(rec, "Labels", json_object_is_type(labels, json_type_object) ? json_object_get(labels)
                                                                                            : json_object_new_object());
        json_object_object_add(rec, "Options", json_object_is_type(opts, json_type_object) ? json_object_get(opts) : NULL);
        _cleanup_free_ char *rp = cc_path_join(dir, CC__VOLUME_RECORD);
        const char *t = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
        if (e >= 0)
                e = cc_write_file_atomic(rp, t, strlen(t), 0600);
        json_object_put(rec);
        if (e < 0)
                return cc_error_setsys(err, e, "create volume %s", n);
        cc_api_event_object(api, "volume", "create", n, NULL, cc__volume_event_attrs);
        return 0;
}

int cc_api_model_volumes(struct cc_api *api, json_object *svc, json_object *model, struct cc_error *err)
{
        json_object *vols = NULL, *top = NULL;
        json_object_object_get_ex(svc, "volumes", &vols);
        for (size_t i = 0; json_object_is_type(vols, json_type_array) && i < json_object_array_length(vols); i++) {
                const char *b = json_object_get_string(json_object_array_get_idx(vols, i));
                size_t sl = strcspn(b, ":");
                _cleanup_free_ char *src = cc_xstrndup(b, sl);
                if (!b[sl] || src[0] == '/')
                        continue;
                if (cc__volume_make(api, src, NULL, NULL, err) < 0)
                        return -1;
                if (!top) {
                        top = json_object_new_object();
                        json_object_object_add(model, "volumes", top);
                }
                json_object *def = json_object_new_object();
                json_object_object_add(def, "name", json_object_new_string(src));
                json_object_object_add(def, "external", json_object_new_boolean(1));
                json_object_object_add(top, src, def);
        }
        return 0;
}
