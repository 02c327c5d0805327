/* The API's image, network and volume reads: the image store as
 * `ccompose image ls/inspect` read it, the networks the projects' address
 * records name, the volume directories. */
#include <dirent.h>
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <sys/stat.h>

#include "api-internal.h"
#include "logfile.h"
#include "image-cmd.h"
#include "image-store.h"
#include "state.h"

static struct cc_image_store *cc__store(struct cc_api_req *r)
{
        struct cc_image_store *s = NULL;
        struct cc_error err = {0};
        if (cc_image_store_open(r->api->opts->root, &s, &err) < 0) {
                if (r)
                        cc_api_reply_error(r, 500, "opening the image store: %s", cc_error_msg(&err));
                cc_error_clear(&err);
                return NULL;
        }
        return s;
}

int cc_api_image_count(struct cc_api *api)
{
        struct cc_image_store *s = NULL;
        struct cc_error err = {0};
        if (cc_image_store_open(api->opts->root, &s, &err) < 0) {
                cc_error_clear(&err);
                return 0;
        }
        struct cc_strv ids = {0};
        cc_image_ids(s, &ids);
        int n = (int) ids.n;
        cc_strv_free(&ids);
        cc_image_store_close(s);
        return n;
}

void cc_api_images_list(struct cc_api_req *r, char **params)
{
        for (size_t i = 0; i + 1 < r->query.n; i += 2)
                if (strcmp(r->query.v[i], "all") != 0 && strcmp(r->query.v[i], "digests") != 0 &&
                    !(strcmp(r->query.v[i], "filters") == 0 && strcmp(r->query.v[i + 1], "{}") == 0)) {
                        cc_api_reply_error(r, 400, "the parameter %s of the image list is not supported", r->query.v[i]);
                        return;
                }
        struct cc_image_store *s = cc__store(r);
        if (!s)
                return;
        struct cc_strv ids = {0};
        cc_image_ids(s, &ids);
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < ids.n; i++) {
                struct cc_error err = {0};
                json_object *ins = cc_image_inspect_json(s, ids.v[i], &err);
                cc_error_clear(&err);
                if (!ins)
                        continue;
                json_object *o = json_object_new_object(), *v;
                json_object_object_add(o, "Id", json_object_new_string(ids.v[i]));
                json_object_object_add(o, "ParentId", json_object_new_string(""));
                json_object_object_get_ex(ins, "RepoTags", &v);
                json_object_object_add(o, "RepoTags", json_object_get(v));
                json_object_object_get_ex(ins, "RepoDigests", &v);
                json_object_object_add(o, "RepoDigests", json_object_get(v));
                json_object_object_get_ex(ins, "Created", &v);
                time_t created = cc_image_parse_time(json_object_get_string(v));
                json_object_object_add(o, "Created", json_object_new_int64(created < 0 ? 0 : created));
                int64_t size = (int64_t) cc_image_size(s, ids.v[i]);
                json_object_object_add(o, "Size", json_object_new_int64(size));
                json_object_object_add(o, "SharedSize", json_object_new_int(-1));
                json_object_object_add(o, "VirtualSize", json_object_new_int64(size));
                json_object *cfg = NULL, *labels = NULL;
                if (json_object_object_get_ex(ins, "Config", &cfg))
                        json_object_object_get_ex(cfg, "Labels", &labels);
                json_object_object_add(o, "Labels", labels ? json_object_get(labels) : json_object_new_object());
                json_object_object_add(o, "Containers", json_object_new_int(-1));
                json_object_array_add(a, o);
                json_object_put(ins);
        }
        cc_strv_free(&ids);
        cc_image_store_close(s);
        cc_api_reply_json(r, 200, a);
}

void cc_api_image_inspect(struct cc_api_req *r, char **params)
{
        struct cc_image_store *s = cc__store(r);
        if (!s)
                return;
        struct cc_error err = {0};
        _cleanup_free_ char *id = NULL;
        json_object *o = NULL;
        if (cc_image_resolve(s, params[0], &id, NULL, &err) == 0)
                o = cc_image_inspect_json(s, id, &err);
        if (o)
                cc_api_reply_json(r, 200, o);
        else if (err.code == -ENOENT)
                cc_api_reply_error(r, 404, "No such image: %s", params[0]);
        else
                cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
        cc_error_clear(&err);
        cc_image_store_close(s);
}

/* ---- networks ---- */

/* Docker's 64-hex ID for a network that has none of its own: sha256 of its name. */
static char *cc__name_id(const char *name)
{
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *) name, strlen(name), md);
        char *hex = cc_xmalloc(2 * SHA256_DIGEST_LENGTH + 1);
        for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        return hex;
}

static json_object *cc__network(const char *name, const char *driver, const char *project)
{
        _cleanup_free_ char *id = cc__name_id(name);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Name", json_object_new_string(name));
        json_object_object_add(o, "Id", json_object_new_string(id));
        json_object_object_add(o, "Created", json_object_new_string("0001-01-01T00:00:00Z"));
        json_object_object_add(o, "Scope", json_object_new_string("local"));
        json_object_object_add(o, "Driver", json_object_new_string(driver));
        json_object_object_add(o, "EnableIPv6", json_object_new_boolean(0));
        json_object *ipam = json_object_new_object();
        json_object_object_add(ipam, "Driver", json_object_new_string("default"));
        json_object_object_add(ipam, "Options", NULL);
        json_object_object_add(ipam, "Config", json_object_new_array());
        json_object_object_add(o, "IPAM", ipam);
        json_object_object_add(o, "Internal", json_object_new_boolean(0));
        json_object_object_add(o, "Attachable", json_object_new_boolean(0));
        json_object_object_add(o, "Ingress", json_object_new_boolean(0));
        json_object_object_add(o, "Containers", json_object_new_object());
        json_object_object_add(o, "Options", json_object_new_object());
        json_object *labels = json_object_new_object();
        if (project) {
                size_t pl = strlen(project);
                const char *key = strncmp(name, project, pl) == 0 && name[pl] == '_' ? name + pl + 1 : name;
                json_object_object_add(labels, "com.docker.compose.network", json_object_new_string(key));
                json_object_object_add(labels, "com.docker.compose.project", json_object_new_string(project));
        }
        json_object_object_add(o, "Labels", labels);
        return o;
}

void cc_api_networks_list(struct cc_api_req *r, char **params)
{
        json_object *a = json_object_new_array();
        json_object_array_add(a, cc__network("bridge", "bridge", NULL));
        json_object_array_add(a, cc__network("host", "host", NULL));
        json_object_array_add(a, cc__network("none", "null", NULL));
        struct cc_strv projects = {0}, seen = {0};
        cc_state_list_projects(r->api->opts->runtime_dir, &projects);
        for (size_t i = 0; i < projects.n; i++) {
                _cleanup_free_ char *dir = cc_state_dir(r->api->opts->runtime_dir, projects.v[i]);
                _cleanup_free_ char *path = cc_path_join(dir, "network.json");
                _cleanup_free_ char *text = NULL;
                size_t len;
                if (cc_read_file(path, &text, &len) < 0)
                        continue;
                json_object *m = json_tokener_parse(text);
                if (json_object_is_type(m, json_type_object)) {
                        json_object_object_foreach(m, ctr, nets)
                        {
                                (void) ctr;
                                if (!json_object_is_type(nets, json_type_object))
                                        continue;
                                json_object_object_foreach(nets, net, addr)
                                {
                                        (void) addr;
                                        if (strchr(net, '/') || cc_strv_contains(&seen, net))
                                                continue;
                                        cc_strv_push(&seen, net);
                                        json_object_array_add(a, cc__network(net, "bridge", projects.v[i]));
                                }
                        }
                }
                json_object_put(m);
        }
        cc_strv_free(&projects);
        cc_strv_free(&seen);
        cc_api_reply_json(r, 200, a);
}

/* ---- volumes ---- */

void cc_api_volumes_list(struct cc_api_req *r, char **params)
{
        json_object *vols = json_object_new_array();
        _cleanup_free_ char *dir = cc_path_join(r->api->opts->root, "volumes");
        DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *data = cc_xasprintf("%s/%s/_data", dir, de->d_name);
                struct stat st;
                if (stat(data, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                json_object *o = json_object_new_object();
                json_object_object_add(o, "Name", json_object_new_string(de->d_name));
                json_object_object_add(o, "Driver", json_object_new_string("local"));
                json_object_object_add(o, "Mountpoint", json_object_new_string(data));
                char when[48];
                struct timespec ts = {.tv_sec = st.st_mtim.tv_sec};
                cc_log_format_time(&ts, when, sizeof(when));
                json_object_object_add(o, "CreatedAt", json_object_new_string(when));
                json_object_object_add(o, "Labels", json_object_new_object());
                json_object_object_add(o, "Scope", json_object_new_string("local"));
                json_object_object_add(o, "Options", NULL);
                json_object_array_add(vols, o);
        }
        if (d)
                closedir(d);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Volumes", vols);
        json_object_object_add(o, "Warnings", NULL);
        cc_api_reply_json(r, 200, o);
}
