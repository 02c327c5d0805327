/* The API's networks: docker's three (bridge, host, none), the networks of
 * compose projects (those their containers' address records name), and
 * the ones made with POST /networks/create, recorded in
 * $CCOMPOSE_RUNTIME_DIR/.api-networks/<name>.json (runtime state, as the
 * bridges are: a container joining one makes its bridge, the last one
 * leaving removes it). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "ipam.h"
#include "logfile.h"
#include "netlink.h"
#include "state.h"

#define CC__NETS_DIR ".api-networks"

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

static char *cc__record_path(struct cc_api *api, const char *name)
{
        return cc_xasprintf("%s/" CC__NETS_DIR "/%s.json", api->opts->runtime_dir, name);
}

/* Docker's bridge network: its subnet and gateway when known (the
 * service's bridge, made at its first container; else the kernel's, or
 * --bip's). */
static json_object *cc__bridge_record(struct cc_api *api)
{
        json_object *o = cc__network(NET_DOCKER_BRIDGE, "bridge", NULL);
        struct cc_error err = {0};
        if (net_docker_bridge_info(api->opts->runtime_dir, &api->bridge, false, &err) == 0 && api->bridge.subnet[0]) {
                json_object *c = json_object_new_object();
                json_object_object_add(c, "Subnet", json_object_new_string(api->bridge.subnet));
                json_object_object_add(c, "Gateway", json_object_new_string(api->bridge.gateway));
                json_object_array_add(json_object_object_get(json_object_object_get(o, "IPAM"), "Config"), c);
        }
        cc_error_clear(&err);
        char name[16];
        net_bridge_name(api->opts->runtime_dir, NET_DOCKER_BRIDGE, name);
        json_object *opts = json_object_object_get(o, "Options");
        json_object_object_add(opts, "com.docker.network.bridge.default_bridge", json_object_new_string("true"));
        json_object_object_add(opts, "com.docker.network.bridge.name", json_object_new_string(name));
        return o;
}

/* A network's record: the bridge's, or one made through the API (NULL
 * when there is none). */
static json_object *cc__record(struct cc_api *api, const char *name)
{
        if (!name || strchr(name, '/'))
                return NULL;
        if (strcmp(name, NET_DOCKER_BRIDGE) == 0)
                return cc__bridge_record(api);
        _cleanup_free_ char *path = cc__record_path(api, name);
        json_object *rec = json_object_from_file(path);
        if (json_object_is_type(rec, json_type_object))
                return rec;
        json_object_put(rec);
        return NULL;
}

/* docker's event of network o (its name and type; the container's ID
 * for connect and disconnect). */
static void cc__network_event(struct cc_api *api, json_object *o, const char *action, const char *ctr)
{
        const char *const attrs[] = {"name", json_object_get_string(json_object_object_get(o, "Name")),
                                     "type", json_object_get_string(json_object_object_get(o, "Driver")),
                                     ctr ? "container" : NULL, ctr, NULL};
        cc_api_event_object(api, "network", action, json_object_get_string(json_object_object_get(o, "Id")), NULL,
                            attrs);
}

/* The MAC address of an API container's interface with address ip (a
 * string): 02:42 and the address, as net_veth_attach gives it; "" when
 * there is none. */
static const char *cc__mac(json_object *ip, char buf[18])
{
        uint32_t a = 0;
        buf[0] = '\0';
        if (ip && net_ip_parse(json_object_get_string(ip), &a) == 0)
                snprintf(buf, 18, "02:42:%02x:%02x:%02x:%02x", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        return buf;
}

/* The containers on network name, by the projects' address records
 * (network.json: {container: {network: address}}): into o's Containers. */
static void cc__fill_containers(struct cc_api *api, json_object *o, const char *name)
{
        json_object *ctrs = json_object_new_object();
        struct cc_strv projects = {0};
        /* the prefix of its subnet, for the addresses (a compose network's: not recorded) */
        json_object *cfg = json_object_object_get(json_object_object_get(o, "IPAM"), "Config");
        const char *sub = cc_api_len(cfg) > 0
                                  ? json_object_get_string(json_object_object_get(json_object_array_get_idx(cfg, 0), "Subnet"))
                                  : NULL;
        const char *slash = sub ? strchr(sub, '/') : NULL;
        int prefix = slash ? atoi(slash + 1) : 16;
        cc_state_list_projects(api->opts->runtime_dir, &projects);
        for (size_t i = 0; i < projects.n; i++) {
                _cleanup_free_ char *dir = cc_state_dir(api->opts->runtime_dir, projects.v[i]);
                _cleanup_free_ char *path = cc_path_join(dir, "network.json");
                json_object *m = json_object_from_file(path);
                _cleanup_state_ struct cc_state *st = json_object_is_type(m, json_type_object)
                                                              ? cc_api_state_load(api, projects.v[i])
                                                              : NULL;
                for (size_t k = 0; st && k < st->n_ctrs; k++) {
                        json_object *nets, *ip;
                        const struct cc_ctr_state *ct = &st->ctrs[k];
                        if (!json_object_object_get_ex(m, ct->name, &nets) ||
                            !json_object_object_get_ex(nets, name, &ip) ||
                            (ct->status != CC_CTR_RUNNING && ct->status != CC_CTR_PAUSED))
                                continue;
                        json_object *e = json_object_new_object();
                        _cleanup_free_ char *eid = cc__name_id(ct->id);
                        _cleanup_free_ char *addr = cc_xasprintf("%s/%d", json_object_get_string(ip), prefix);
                        json_object_object_add(e, "Name", json_object_new_string(ct->name));
                        json_object_object_add(e, "EndpointID", json_object_new_string(eid));
                        /* an API container's (a compose one may have its mac_address) */
                        char mac[18];
                        json_object_object_add(e, "MacAddress", json_object_new_string(
                                cc_startswith(projects.v[i], "api-") ? cc__mac(ip, mac) : ""));
                        json_object_object_add(e, "IPv4Address", json_object_new_string(addr));
                        json_object_object_add(e, "IPv6Address", json_object_new_string(""));
                        json_object_object_add(ctrs, ct->id, e);
                }
                json_object_put(m);
        }
        cc_strv_free(&projects);
        json_object_object_add(o, "Containers", ctrs);
}

/* Every network: docker's three, the API's records, the compose projects'. */
static json_object *cc__networks(struct cc_api *api, bool with_containers)
{
        json_object *a = json_object_new_array();
        json_object_array_add(a, cc__bridge_record(api));
        json_object_array_add(a, cc__network("host", "host", NULL));
        json_object_array_add(a, cc__network("none", "null", NULL));
        struct cc_strv seen = {0}, projects = {0};
        _cleanup_free_ char *rdir = cc_path_join(api->opts->runtime_dir, CC__NETS_DIR);
        DIR *d = opendir(rdir);
        for (struct dirent *de; d && (de = readdir(d));) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
                        continue;
                _cleanup_free_ char *path = cc_path_join(rdir, de->d_name);
                json_object *rec = json_object_from_file(path), *v;
                if (!json_object_is_type(rec, json_type_object) || !json_object_object_get_ex(rec, "Name", &v)) {
                        json_object_put(rec);
                        continue;
                }
                cc_strv_push(&seen, json_object_get_string(v));
                json_object_array_add(a, rec);
        }
        if (d)
                closedir(d);
        cc_state_list_projects(api->opts->runtime_dir, &projects);
        for (size_t i = 0; i < projects.n; i++) {
                _cleanup_free_ char *dir = cc_state_dir(api->opts->runtime_dir, projects.v[i]);
                _cleanup_free_ char *path = cc_path_join(dir, "network.json");
                json_object *m = json_object_from_file(path);
                if (json_object_is_type(m, json_type_object) && !cc_startswith(projects.v[i], "api-")) {
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
        for (size_t i = 0; with_containers && i < cc_api_len(a); i++) {
                json_object *o = json_object_array_get_idx(a, i);
                cc__fill_containers(api, o, json_object_get_string(json_object_object_get(o, "Name")));
        }
        return a;
}

/* By name, full ID or unique ID prefix (a new reference); NULL after
 * answering 404. */
static json_object *cc__network_find(struct cc_api_req *r, const char *ref, bool with_containers)
{
        json_object *a = cc__networks(r->api, with_containers), *found = NULL;
        size_t n = cc_api_len(a), hits = 0;
        for (size_t i = 0; i < n && !found; i++) {
                json_object *o = json_object_array_get_idx(a, i);
                if (strcmp(json_object_get_string(json_object_object_get(o, "Name")), ref) == 0 ||
                    strcmp(json_object_get_string(json_object_object_get(o, "Id")), ref) == 0)
                        found = o;
        }
        for (size_t i = 0; i < n && !found; i++) {
                json_object *o = json_object_array_get_idx(a, i);
                if (cc_startswith(json_object_get_string(json_object_object_get(o, "Id")), ref))
                        hits++;
        }
        for (size_t i = 0; i < n && !found && hits == 1; i++) {
                json_object *o = json_object_array_get_idx(a, i);
                if (cc_startswith(json_object_get_string(json_object_object_get(o, "Id")), ref))
                        found = o;
        }
        if (found)
                json_object_get(found);
        else
                cc_api_reply_error(r, 404, "network %s not found", ref);
        json_object_put(a);
        return found;
}

/* A label filter's K or K=V against a labels object. */
bool cc_api_label_match(json_object *labels, const char *want)
{
        const char *eq = strchr(want, '=');
        _cleanup_free_ char *key = eq ? cc_xstrndup(want, (size_t) (eq - want)) : cc_xstrdup(want);
        json_object *v = NULL;
        return json_object_object_get_ex(labels, key, &v) && (!eq || strcmp(json_object_get_string(v), eq + 1) == 0);
}

/* docker network ls --filter: name (a part of it), id (a prefix), driver,
 * type (custom, builtin), label (all must match); values of one key OR. */
static bool cc__network_match(json_object *o, const struct cc_strv *f)
{
        static const char *const keys[] = {"name", "id", "driver", "type", "label"};
        const char *name = json_object_get_string(json_object_object_get(o, "Name"));
        bool builtin = strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 || strcmp(name, "none") == 0;
        for (size_t k = 0; k < CC_ARRAY_SIZE(keys); k++) {
                bool has = false, any = false, all = true;
                for (size_t i = 0; i + 1 < f->n; i += 2) {
                        const char *v = f->v[i + 1];
                        if (strcmp(f->v[i], keys[k]) != 0)
                                continue;
                        has = true;
                        switch (k) {
                        case 0: any = any || strstr(name, v); break;
                        case 1: any = any || cc_startswith(json_object_get_string(json_object_object_get(o, "Id")), v); break;
                        case 2: any = any || strcmp(json_object_get_string(json_object_object_get(o, "Driver")), v) == 0; break;
                        case 3: any = any || strcmp(v, builtin ? "builtin" : "custom") == 0; break;
                        default: all = all && cc_api_label_match(json_object_object_get(o, "Labels"), v); any = all;
                        }
                }
                if (has && !any)
                        return false;
        }
        return true;
}

void cc_api_networks_list(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"filters", NULL};
        struct cc_strv f = {0};
        if (cc_api_params_check(r, "network list", spec) < 0 || cc_api_filters(r, &f) < 0)
                return;
        for (size_t i = 0; i + 1 < f.n; i += 2)
                if (strcmp(f.v[i], "name") != 0 && strcmp(f.v[i], "id") != 0 && strcmp(f.v[i], "driver") != 0 &&
                    strcmp(f.v[i], "type") != 0 && strcmp(f.v[i], "label") != 0) {
                        cc_api_reply_error(r, 400, "the filter %s of the network list is not supported "
                                                   "(name, id, driver, type, label)", f.v[i]);
                        cc_strv_free(&f);
                        return;
                }
        json_object *a = cc__networks(r->api, false), *out = json_object_new_array();
        for (size_t i = 0; i < cc_api_len(a); i++) {
                json_object *o = json_object_array_get_idx(a, i);
                if (cc__network_match(o, &f))
                        json_object_array_add(out, json_object_get(o));
        }
        json_object_put(a);
        cc_strv_free(&f);
        cc_api_reply_json(r, 200, out);
}

void cc_api_network_inspect(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"verbose:,0,false", "scope:,local", NULL};
        if (cc_api_params_check(r, "network inspect", spec) < 0)
                return;
        json_object *o = cc__network_find(r, params[0], true);
        if (o)
                cc_api_reply_json(r, 200, o);
}

/* A subnet for a network made without one: the first of the default pool
 * that no route of the host and no other API network has. */
static int cc__pick(struct cc_api *api, struct net_subnet *out, struct cc_error *err)
{
        struct net_nl *nl = NULL;
        struct net_subnet *used = NULL;
        char **devs = NULL;
        size_t n = 0;
        int r = net_nl_open(&nl, err);
        if (r >= 0)
                r = net_host_routes(nl, NULL, &used, &n, &devs, err);
        net_nl_close(nl);
        for (size_t i = 0; i < n; i++)
                free(devs[i]);
        free(devs);
        if (r < 0) {
                free(used);
                return r;
        }
        json_object *a = cc__networks(api, false);
        for (size_t i = 0; i < cc_api_len(a); i++) {
                json_object *cfg = json_object_object_get(json_object_object_get(json_object_array_get_idx(a, i), "IPAM"),
                                                          "Config");
                for (size_t k = 0; k < cc_api_len(cfg); k++) {
                        struct net_subnet s;
                        const char *sub = json_object_get_string(json_object_object_get(json_object_array_get_idx(cfg, k), "Subnet"));
                        if (sub && net_subnet_parse(sub, true, &s, NULL) == 0) {
                                used = cc_xrealloc(used, (n + 1) * sizeof(*used));
                                used[n++] = s;
                        }
                }
        }
        json_object_put(a);
        r = net_pool_pick(used, n, out, err);
        free(used);
        return r;
}

/* POST /networks/create {"Name", "Driver", "Internal", "Labels", "IPAM",
 * "CheckDuplicate", "Attachable", "Options", "EnableIPv6"}: 201 {"Id", "Warning"} */
void cc_api_network_create(struct cc_api_req *r, char **params)
{
        json_object *body = cc_api_body_json(r);
        if (!body)
                return;
        struct cc_error err = {0};
        json_object *rec = NULL, *v, *cfgs = NULL;
        const char *name = NULL;
        json_object_object_foreach(body, k, val)
        {
                bool empty = json_object_is_type(val, json_type_null) ||
                             (json_object_is_type(val, json_type_boolean) && !json_object_get_boolean(val)) ||
                             (json_object_is_type(val, json_type_object) && json_object_object_length(val) == 0) ||
                             (json_object_is_type(val, json_type_string) && !*json_object_get_string(val));
                if (strcmp(k, "Name") == 0 || strcmp(k, "Labels") == 0 || strcmp(k, "IPAM") == 0 ||
                    strcmp(k, "Internal") == 0 || strcmp(k, "CheckDuplicate") == 0 || strcmp(k, "Attachable") == 0)
                        continue;
                if (strcmp(k, "Driver") == 0 && (empty || strcmp(json_object_get_string(val), "bridge") == 0))
                        continue;
                if (!empty) {
                        cc_api_reply_error(r, 400, "%s of a network create is not supported%s", k,
                                           strcmp(k, "Driver") == 0 ? " (only the bridge driver)" : "");
                        goto out;
                }
        }
        name = json_object_get_string(json_object_object_get(body, "Name"));
        if (!name || !*name || strchr(name, '/') || name[0] == '.' || strlen(name) > 200) {
                cc_api_reply_error(r, 400, "invalid network name \"%s\"", name ? name : "");
                goto out;
        }
        {
                json_object *all = cc__networks(r->api, false);
                bool dup = false;
                for (size_t i = 0; i < cc_api_len(all) && !dup; i++)
                        dup = strcmp(json_object_get_string(json_object_object_get(json_object_array_get_idx(all, i), "Name")),
                                     name) == 0;
                json_object_put(all);
                if (dup) {
                        cc_api_reply_error(r, 409, "network with name %s already exists", name);
                        goto out;
                }
        }
        json_object *ipam = json_object_object_get(body, "IPAM");
        const char *ipdrv = json_object_get_string(json_object_object_get(ipam, "Driver"));
        if (ipdrv && *ipdrv && strcmp(ipdrv, "default") != 0) {
                cc_api_reply_error(r, 400, "IPAM driver %s is not supported (default only)", ipdrv);
                goto out;
        }
        json_object *in = json_object_object_get(ipam, "Config");
        cfgs = json_object_new_array();
        for (size_t i = 0; i < cc_api_len(in); i++) {
                json_object *c = json_object_array_get_idx(in, i);
                const char *sub = json_object_get_string(json_object_object_get(c, "Subnet"));
                const char *gw = json_object_get_string(json_object_object_get(c, "Gateway"));
                const char *range = json_object_get_string(json_object_object_get(c, "IPRange"));
                struct net_subnet s;
                uint32_t g;
                if (!sub || net_subnet_parse(sub, false, &s, &err) < 0) {
                        cc_api_reply_error(r, 400, "invalid subnet %s: %s", sub ? sub : "(none)",
                                           err.code ? cc_error_msg(&err) : "a subnet is required");
                        goto out;
                }
                if (gw && *gw && (net_ip_parse(gw, &g) < 0 || !net_subnet_contains(&s, g))) {
                        cc_api_reply_error(r, 400, "invalid gateway %s for the subnet %s", gw, sub);
                        goto out;
                }
                json_object *o = json_object_new_object();
                json_object_object_add(o, "Subnet", json_object_new_string(sub));
                char buf[16];
                struct in_addr a = {.s_addr = htonl(s.addr + 1)};
                snprintf(buf, sizeof(buf), "%s", inet_ntoa(a));
                json_object_object_add(o, "Gateway", json_object_new_string(gw && *gw ? gw : buf));
                if (range && *range)
                        json_object_object_add(o, "IPRange", json_object_new_string(range));
                json_object_array_add(cfgs, o);
        }
        if (cc_api_len(cfgs) == 0) {
                struct net_subnet s;
                if (cc__pick(r->api, &s, &err) < 0) {
                        cc_api_reply_error(r, 500, "%s", cc_error_msg(&err));
                        goto out;
                }
                char sb[20];
                struct in_addr a = {.s_addr = htonl(s.addr + 1)};
                json_object *o = json_object_new_object();
                json_object_object_add(o, "Subnet", json_object_new_string(net_subnet_str(&s, sb)));
                json_object_object_add(o, "Gateway", json_object_new_string(inet_ntoa(a)));
                json_object_array_add(cfgs, o);
        }
        {
                unsigned char b[32];
                if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b)) {
                        cc_api_reply_error(r, 500, "getrandom: %s", strerror(errno));
                        goto out;
                }
                char id[65];
                for (size_t i = 0; i < 32; i++)
                        sprintf(id + 2 * i, "%02x", b[i]);
                char when[48];
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                cc_log_format_time(&ts, when, sizeof(when));
                rec = cc__network(name, "bridge", NULL);
                json_object_object_add(rec, "Id", json_object_new_string(id));
                json_object_object_add(rec, "Created", json_object_new_string(when));
                json_object *ip = json_object_object_get(rec, "IPAM");
                json_object_object_add(ip, "Config", json_object_get(cfgs));
                json_object_object_add(rec, "Internal",
                                       json_object_new_boolean(json_object_get_boolean(json_object_object_get(body, "Internal"))));
                json_object_object_add(rec, "Attachable",
                                       json_object_new_boolean(json_object_get_boolean(json_object_object_get(body, "Attachable"))));
                if (json_object_object_get_ex(body, "Labels", &v) && json_object_is_type(v, json_type_object))
                        json_object_object_add(rec, "Labels", json_object_get(v));
                _cleanup_free_ char *dir = cc_path_join(r->api->opts->runtime_dir, CC__NETS_DIR);
                _cleanup_free_ char *path = cc__record_path(r->api, name);
                const char *t = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
                int e = cc_mkdir_p(dir, 0700);
                if (e >= 0)
                        e = cc_write_file_atomic(path, t, strlen(t), 0600);
                if (e < 0) {
                        cc_api_reply_error(r, 500, "writing %s: %s", path, strerror(-e));
                        goto out;
                }
                cc__network_event(r->api, rec, "create", NULL);
                json_object *o = json_object_new_object();
                json_object_object_add(o, "Id", json_object_new_string(id));
                json_object_object_add(o, "Warning", json_object_new_string(""));
                cc_api_reply_json(r, 201, o);
        }
out:
        cc_error_clear(&err);
        json_object_put(cfgs);
        json_object_put(rec);
        json_object_put(body);
}

/* An API network's record by reference; NULL after answering (404, or 403
 * for docker's own and compose's networks). */
static json_object *cc__api_network(struct cc_api_req *r, const char *ref, const char *op)
{
        json_object *o = cc__network_find(r, ref, true);
        if (!o)
                return NULL;
        const char *name = json_object_get_string(json_object_object_get(o, "Name"));
        _cleanup_free_ char *path = cc__record_path(r->api, name);
        if (access(path, F_OK) < 0) {
                cc_api_reply_error(r, 403, "%s %s: it is %s, not one made through this API", op, name,
                                   strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 || strcmp(name, "none") == 0
                                           ? "a pre-defined network"
                                           : "a compose project's network (it goes with ccompose down)");
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* Remove an API network no running container is on: 0, -1 (answered when answer). */
static int cc__network_remove(struct cc_api_req *r, json_object *o, bool answer)
{
        const char *name = json_object_get_string(json_object_object_get(o, "Name"));
        json_object *ctrs = json_object_object_get(o, "Containers");
        if (json_object_object_length(ctrs) > 0) {
                if (answer)
                        cc_api_reply_error(r, 403, "error while removing network: network %s id %s has active endpoints",
                                           name, json_object_get_string(json_object_object_get(o, "Id")));
                return -1;
        }
        _cleanup_free_ char *path = cc__record_path(r->api, name);
        if (unlink(path) < 0) {
                if (answer)
                        cc_api_reply_error(r, 500, "removing %s: %s", path, strerror(errno));
                return -1;
        }
        cc__network_event(r->api, o, "destroy", NULL);
        return 0;
}

void cc_api_network_remove(struct cc_api_req *r, char **params)
{
        json_object *o = cc__api_network(r, params[0], "remove");
        if (o && cc__network_remove(r, o, true) == 0)
                cc_api_reply_empty(r, 204);
        json_object_put(o);
}

/* POST /networks/prune: the API's networks no running container is on. */
void cc_api_networks_prune(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"filters", NULL};
        static const char *const keys[] = {"until", "label", "label!", NULL};
        struct cc_strv f = {0};
        struct timespec until = {0};
        bool has_until = false;
        if (cc_api_params_check(r, "network prune", spec) < 0 || cc_api_filters(r, &f) < 0)
                return;
        if (cc_api_prune_filters(r, &f, keys, &until, &has_until) < 0) {
                cc_strv_free(&f);
                return;
        }
        json_object *a = cc__networks(r->api, true), *deleted = json_object_new_array();
        for (size_t i = 0; i < cc_api_len(a); i++) {
                json_object *o = json_object_array_get_idx(a, i);
                const char *name = json_object_get_string(json_object_object_get(o, "Name"));
                _cleanup_free_ char *path = cc__record_path(r->api, name);
                /* until: made before that time; label, label!: as docker */
                struct timespec made = {0}, now;
                clock_gettime(CLOCK_REALTIME, &now);
                const char *c = json_object_get_string(json_object_object_get(o, "Created"));
                bool old = !has_until || (c && cc_log_parse_time(c, &now, &made) == 0 &&
                                          (made.tv_sec < until.tv_sec ||
                                           (made.tv_sec == until.tv_sec && made.tv_nsec < until.tv_nsec)));
                if (old && cc_api_prune_labels(&f, json_object_object_get(o, "Labels")) && access(path, F_OK) == 0 &&
                    cc__network_remove(r, o, false) == 0)
                        json_object_array_add(deleted, json_object_new_string(name));
        }
        json_object_put(a);
        cc_strv_free(&f);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "NetworksDeleted", deleted);
        cc_api_reply_json(r, 200, o);
}

/* ---- a container's network (container create) ---- */

/* A service's network entry for endpoint config ep (its Aliases); NULL
 * with the status and err when they are not strings. */
static json_object *cc__endpoint_def(const char *net, json_object *ep, int *status, struct cc_error *err)
{
        json_object *def = json_object_new_object(), *al = json_object_object_get(ep, "Aliases");
        if (cc_api_len(al) == 0)
                return def;
        json_object *a = json_object_new_array();
        json_object_object_add(def, "aliases", a);
        for (size_t i = 0; i < cc_api_len(al); i++) {
                json_object *v = json_object_array_get_idx(al, i);
                if (!json_object_is_type(v, json_type_string)) {
                        json_object_put(def);
                        *status = 400;
                        cc_error_set(err, -EINVAL, "NetworkingConfig.EndpointsConfig.%s.Aliases must be strings", net);
                        return NULL;
                }
                json_object_array_add(a, json_object_get(v));
        }
        return def;
}

/* The container's networks: NetworkMode's, and every other one
 * EndpointsConfig names (API 1.44 and later take several at create). */
int cc_api_compose_network(json_object *body, const char *mode, json_object *svc, int *status, struct cc_error *err)
{
        json_object *eps = json_object_object_get(json_object_object_get(body, "NetworkingConfig"), "EndpointsConfig");
        json_object *nets = json_object_new_object();
        json_object *def = cc__endpoint_def(mode, json_object_object_get(eps, mode), status, err);
        if (!def) {
                json_object_put(nets);
                return -1;
        }
        json_object_object_add(nets, mode, def);
        if (json_object_is_type(eps, json_type_object)) {
                json_object_object_foreach(eps, net, e)
                {
                        if (strcmp(net, mode) == 0)
                                continue;
                        if (strcmp(net, "host") == 0 || strcmp(net, "none") == 0 || strcmp(net, "bridge") == 0 ||
                            strchr(net, ':')) {
                                json_object_put(nets);
                                *status = 400;
                                return cc_error_set(err, -ENOTSUP, "NetworkingConfig.EndpointsConfig.%s: a container "
                                                                   "on network %s can join other networks made "
                                                                   "through this API only", net, mode);
                        }
                        if (!(def = cc__endpoint_def(net, e, status, err))) {
                                json_object_put(nets);
                                return -1;
                        }
                        json_object_object_add(nets, net, def);
                }
        }
        json_object_object_add(svc, "networks", nets);
        return 0;
}

/* The name a network has in a container's compose model: docker's bridge
 * is its default network. */
static const char *cc__model_name(const char *net)
{
        return strcmp(net, NET_DOCKER_BRIDGE) == 0 ? "default" : net;
}

/* A network's definition in a compose model's top networks (its name,
 * subnet, gateway, internal), under its model name: an API network, or
 * docker's bridge (made now if it is not yet). -1 with the status (404)
 * when there is no such network. */
static int cc__model_network(struct cc_api *api, json_object *top, const char *name, int *status, struct cc_error *err)
{
        if (strcmp(name, NET_DOCKER_BRIDGE) == 0 &&
            net_docker_bridge_info(api->opts->runtime_dir, &api->bridge, true, err) < 0) {
                *status = 500;
                return -1;
        }
        json_object *rec = cc__record(api, name);
        if (!rec) {
                *status = 404;
                return cc_error_set(err, -ENOENT, "network %s not found", name);
        }
        json_object *cfg = json_object_object_get(json_object_object_get(rec, "IPAM"), "Config");
        json_object *c0 = cc_api_len(cfg) > 0 ? json_object_array_get_idx(cfg, 0) : NULL;
        json_object *conf = json_object_new_object(), *confs = json_object_new_array(),
                    *ipam = json_object_new_object(), *d = json_object_new_object();
        json_object_object_add(conf, "subnet", json_object_get(json_object_object_get(c0, "Subnet")));
        json_object_object_add(conf, "gateway", json_object_get(json_object_object_get(c0, "Gateway")));
        json_object_array_add(confs, conf);
        json_object_object_add(ipam, "config", confs);
        json_object_object_add(d, "name", json_object_new_string(name));
        json_object_object_add(d, "ipam", ipam);
        if (json_object_get_boolean(json_object_object_get(rec, "Internal")))
                json_object_object_add(d, "internal", json_object_new_boolean(1));
        json_object_object_add(top, cc__model_name(name), d);
        json_object_put(rec);
        return 0;
}

int cc_api_model_bridge(struct cc_api *api, json_object *model, int *status, struct cc_error *err)
{
        json_object *top = json_object_object_get(model, "networks");
        if (!json_object_is_type(top, json_type_object)) {
                top = json_object_new_object();
                json_object_object_add(model, "networks", top);
        }
        return cc__model_network(api, top, NET_DOCKER_BRIDGE, status, err);
}

int cc_api_model_networks(struct cc_api *api, json_object *svc, json_object *model, int *status, struct cc_error *err)
{
        json_object *nets = json_object_object_get(svc, "networks");
        if (!json_object_is_type(nets, json_type_object))
                return 0;
        json_object *top = json_object_new_object();
        json_object_object_add(model, "networks", top);
        json_object_object_foreach(nets, name, def)
        {
                (void) def;
                if (cc__model_network(api, top, name, status, err) < 0)
                        return -1;
        }
        return 0;
}

json_object *cc_api_ctr_networks(struct cc_api *api, const struct cc_api_ctr *c)
{
        json_object *out = json_object_new_object();
        _cleanup_free_ char *dir = cc_state_dir(api->opts->runtime_dir, c->st->project);
        _cleanup_free_ char *path = cc_path_join(dir, "network.json");
        json_object *m = json_object_from_file(path), *addrs = NULL;
        json_object_object_get_ex(m, c->ct->name, &addrs);
        json_object *eps = json_object_object_get(
                json_object_object_get(json_object_object_get(c->api, "Config"), "NetworkingConfig"), "EndpointsConfig");
        const char *mode = json_object_get_string(
                json_object_object_get(json_object_object_get(c->api, "HostConfig"), "NetworkMode"));
        /* its NetworkMode's network (none given, or "default": the
         * bridge), and the ones network connect added */
        struct cc_strv names = {0};
        cc_strv_push(&names, !mode || strcmp(mode, "default") == 0 ? NET_DOCKER_BRIDGE : mode);
        if (json_object_is_type(eps, json_type_object)) {
                json_object_object_foreach(eps, k, v)
                {
                        (void) v;
                        if (!cc_strv_contains(&names, k) && strcmp(k, "default") != 0)
                                cc_strv_push(&names, k);
                }
        }
        for (size_t n = 0; n < names.n; n++) {
                const char *net = names.v[n];
                json_object *rec = cc__record(api, net);
                if (!rec)
                        continue;
                json_object *e = json_object_new_object(), *al = json_object_new_array(), *ip = NULL;
                json_object *given = json_object_object_get(json_object_object_get(eps, net), "Aliases");
                for (size_t i = 0; i < cc_api_len(given); i++)
                        json_object_array_add(al, json_object_get(json_object_array_get_idx(given, i)));
                /* docker adds the short ID */
                json_object_array_add(al, json_object_new_string_len(c->ct->id, 12));
                json_object *cfg = json_object_object_get(json_object_object_get(rec, "IPAM"), "Config");
                json_object *c0 = cc_api_len(cfg) > 0 ? json_object_array_get_idx(cfg, 0) : NULL;
                const char *sub = json_object_get_string(json_object_object_get(c0, "Subnet"));
                const char *slash = sub ? strchr(sub, '/') : NULL;
                bool up = c->ct->status == CC_CTR_RUNNING || c->ct->status == CC_CTR_PAUSED;
                json_object_object_get_ex(addrs, net, &ip);
                _cleanup_free_ char *eid = cc__name_id(c->ct->id);
                json_object *ipc = json_object_object_get(json_object_object_get(eps, net), "IPAMConfig");
                json_object_object_add(e, "IPAMConfig", json_object_is_type(ipc, json_type_object) &&
                                                                json_object_object_length(ipc) > 0
                                                        ? json_object_get(ipc)
                                                        : NULL);
                json_object_object_add(e, "Links", NULL);
                if (strcmp(net, NET_DOCKER_BRIDGE) == 0) {
                        /* none on the default bridge (dockerd's null) */
                        json_object_put(al);
                        al = NULL;
                }
                json_object_object_add(e, "Aliases", al);
                json_object_object_add(e, "NetworkID", json_object_get(json_object_object_get(rec, "Id")));
                json_object_object_add(e, "EndpointID", json_object_new_string(up ? eid : ""));
                json_object_object_add(e, "Gateway", json_object_new_string(
                        up ? json_object_get_string(json_object_object_get(c0, "Gateway")) : ""));
                json_object_object_add(e, "IPAddress", json_object_new_string(up && ip ? json_object_get_string(ip) : ""));
                json_object_object_add(e, "IPPrefixLen", json_object_new_int(up && slash ? atoi(slash + 1) : 0));
                json_object_object_add(e, "IPv6Gateway", json_object_new_string(""));
                json_object_object_add(e, "GlobalIPv6Address", json_object_new_string(""));
                json_object_object_add(e, "GlobalIPv6PrefixLen", json_object_new_int(0));
                char mac[18];
                json_object_object_add(e, "MacAddress", json_object_new_string(up ? cc__mac(ip, mac) : ""));
                json_object_object_add(e, "DriverOpts", NULL);
                json_object_object_add(out, net, e);
                json_object_put(rec);
        }
        cc_strv_free(&names);
        json_object_put(m);
        return out;
}

/* ---- connect and disconnect (a container made through the API) ---- */

/* The networks a container's service is on (a new reference): its
 * networks, or the implicit default one when it names none. */
static json_object *cc__svc_networks(json_object *svc)
{
        json_object *nets = json_object_object_get(svc, "networks");
        if (json_object_is_type(nets, json_type_object))
                return json_object_get(nets);
        nets = json_object_new_object();
        if (!json_object_object_get(svc, "network_mode"))
                json_object_object_add(nets, "default", json_object_new_object());
        return nets;
}

/* A container's record's HostConfig.NetworkMode. */
static void cc__set_mode(json_object *rec, const char *mode)
{
        json_object *hc = json_object_object_get(rec, "HostConfig");
        if (!json_object_is_type(hc, json_type_object)) {
                hc = json_object_new_object();
                json_object_object_add(rec, "HostConfig", hc);
        }
        json_object_object_add(hc, "NetworkMode", json_object_new_string(mode));
}

/* Change a created container's model (compose.json) and record (api.json):
 * on network net (an API network, or bridge) with the endpoint ep
 * (connect), or off it (ep NULL). 0, or -1 after answering. */
static int cc__change(struct cc_api_req *r, const struct cc_api_ctr *c, const char *net, json_object *ep)
{
        _cleanup_free_ char *dir = cc_state_dir(r->api->opts->runtime_dir, c->st->project);
        _cleanup_free_ char *mp = cc_path_join(dir, CC_API_COMPOSE_FILE);
        _cleanup_free_ char *rp = cc_path_join(dir, CC_API_RECORD);
        json_object *model = json_object_from_file(mp), *svc = NULL;
        struct cc_error err = {0};
        int status = 500, ret = -1;
        json_object *svcs = json_object_object_get(model, "services");
        if (json_object_is_type(svcs, json_type_object) && json_object_object_length(svcs) == 1) {
                json_object_object_foreach(svcs, key, def)
                {
                        (void) key;
                        svc = def;
                }
        }
        if (!json_object_is_type(svc, json_type_object)) {
                cc_api_reply_error(r, 500, "reading %s: not a compose model of one service", mp);
                json_object_put(model);
                return -1;
        }
        const char *mname = cc__model_name(net);
        json_object *nets = cc__svc_networks(svc), *top = json_object_object_get(model, "networks");
        json_object *rec = json_object_get(c->api), *cfg = json_object_object_get(rec, "Config");
        json_object *ncfg = json_object_object_get(cfg, "NetworkingConfig");
        if (!json_object_is_type(ncfg, json_type_object)) {
                ncfg = json_object_new_object();
                json_object_object_add(cfg, "NetworkingConfig", ncfg);
        }
        json_object *eps = json_object_object_get(ncfg, "EndpointsConfig");
        if (!json_object_is_type(eps, json_type_object)) {
                eps = json_object_new_object();
                json_object_object_add(ncfg, "EndpointsConfig", eps);
        }
        if (ep) {
                if (json_object_object_get(nets, mname)) {
                        cc_api_reply_error(r, 403, "endpoint with name %s already exists in network %s", c->ct->name,
                                           net);
                        goto out;
                }
                json_object *def = json_object_new_object(), *al = json_object_object_get(ep, "Aliases");
                json_object *ip = json_object_object_get(json_object_object_get(ep, "IPAMConfig"), "IPv4Address");
                if (cc_api_len(al) > 0)
                        json_object_object_add(def, "aliases", json_object_get(al));
                if (ip && *json_object_get_string(ip))
                        json_object_object_add(def, "ipv4_address", json_object_get(ip));
                json_object_object_add(nets, mname, def);
                if (!json_object_is_type(top, json_type_object)) {
                        top = json_object_new_object();
                        json_object_object_add(model, "networks", top);
                }
                if (cc__model_network(r->api, top, net, &status, &err) < 0) {
                        cc_api_reply_error(r, status, "%s", cc_error_msg(&err));
                        goto out;
                }
                json_object_object_add(eps, net, json_object_get(ep));
                json_object_object_del(svc, "network_mode");
                const char *mode = json_object_get_string(
                        json_object_object_get(json_object_object_get(rec, "HostConfig"), "NetworkMode"));
                if (mode && strcmp(mode, "none") == 0)
                        cc__set_mode(rec, net);
        } else {
                if (!json_object_object_get(nets, mname)) {
                        cc_api_reply_error(r, 400, "container %s is not connected to network %s", c->ct->id, net);
                        goto out;
                }
                json_object_object_del(nets, mname);
                json_object_object_del(top, mname);
                json_object_object_del(eps, net);
                /* HostConfig.NetworkMode: another network it is on, or none */
                const char *next = "none";
                json_object_object_foreach(nets, other, odef)
                {
                        (void) odef;
                        next = strcmp(other, "default") == 0 ? "bridge" : other;
                }
                cc__set_mode(rec, next);
        }
        if (json_object_object_length(nets) == 0) {
                json_object_object_del(svc, "networks");
                json_object_object_add(svc, "network_mode", json_object_new_string("none"));
        } else {
                json_object_object_add(svc, "networks", json_object_get(nets));
        }
        const char *mt = json_object_to_json_string_ext(model, JSON_C_TO_STRING_PRETTY);
        int e = cc_write_file_atomic(mp, mt, strlen(mt), 0600);
        const char *rt = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
        if (e >= 0)
                e = cc_write_file_atomic(rp, rt, strlen(rt), 0600);
        if (e < 0)
                cc_api_reply_error(r, 500, "writing %s: %s", dir, strerror(-e));
        else
                ret = 0;
out:
        cc_error_clear(&err);
        json_object_put(rec);
        json_object_put(nets);
        json_object_put(model);
        return ret;
}

/* A container's project taking its changed model, in steps: 'R' its
 * supervisor takes the model (create --no-recreate: the container kept as
 * it is), 'S' the request line to its supervisor (a running container's
 * interface added or removed). */
struct cc__reload {
        struct cc_api_task task;
        struct cc_api_req *req;
        char *project, *line;
        const char *steps;
        /* the model and record before, put back when a step fails */
        char *dir, *old_model, *old_rec;
        size_t n_model, n_rec;
        bool reloaded;
        char *error;
        /* its event when it is done: the network, the container's ID */
        json_object *net;
        char *ctr;
        const char *action;
};

static void cc__restore(struct cc__reload *l)
{
        _cleanup_free_ char *mp = cc_path_join(l->dir, CC_API_COMPOSE_FILE);
        _cleanup_free_ char *rp = cc_path_join(l->dir, CC_API_RECORD);
        if (l->old_model)
                cc_write_file_atomic(mp, l->old_model, l->n_model, 0600);
        if (l->old_rec)
                cc_write_file_atomic(rp, l->old_rec, l->n_rec, 0600);
}

static void cc__reload_free(struct cc__reload *l)
{
        free(l->project);
        free(l->line);
        free(l->dir);
        free(l->old_model);
        free(l->old_rec);
        free(l->error);
        json_object_put(l->net);
        free(l->ctr);
        free(l);
}

/* It runs to its end: a client that left gets no answer. */
static void cc__reload_abort(struct cc_api_task *t)
{
}

static void cc__reload_step(void *data, int64_t code, const char *message)
{
        struct cc__reload *l = data;
        struct cc_api_req *r = l->req;
        if (code != 0 && !l->error) {
                /* as it was: a supervisor that took the new model takes the old one again */
                l->error = cc_xstrdup(message);
                cc__restore(l);
                l->steps = l->reloaded ? "R" : "";
                code = 0;
        }
        if (code == 0 && *l->steps == 'R') {
                static const char *const args[] = {"create", "--no-recreate", NULL};
                l->steps++;
                l->reloaded = true;
                cc_api_command(r->api, l->project, args, cc__reload_step, l);
                return;
        }
        if (code == 0 && *l->steps == 'S') {
                l->steps++;
                cc_api_sup_request(r->api, l->project, l->line, cc__reload_step, l);
                return;
        }
        if (l->error) {
                cc_api_reply_error(r, 500, "%s", l->error);
        } else {
                cc__network_event(r->api, l->net, l->action, l->ctr);
                cc_api_reply_empty(r, 200);
        }
        cc__reload_free(l);
        cc_api_done(r);
}

/* Is v what a client sends for a field it leaves unset? (null, "", 0,
 * false, [], {}: the docker CLI sends every EndpointConfig field) */
static bool cc__zero(json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_null: return true;
        case json_type_string: return !*json_object_get_string(v);
        case json_type_boolean:
        case json_type_int:
        case json_type_double: return !json_object_get_boolean(v);
        case json_type_array: return json_object_array_length(v) == 0;
        case json_type_object: return json_object_object_length(v) == 0;
        }
        return false;
}

/* EndpointConfig.IPAMConfig.IPv4Address: a host address of network o's
 * subnet (as dockerd, before anything changes). 0, or -1 after answering. */
static int cc__ip_check(struct cc_api_req *r, json_object *o, json_object *ep)
{
        json_object *ip = json_object_object_get(json_object_object_get(ep, "IPAMConfig"), "IPv4Address");
        const char *want = json_object_get_string(ip);
        if (!want || !*want)
                return 0;
        json_object *cfg = json_object_object_get(json_object_object_get(o, "IPAM"), "Config");
        const char *sub = json_object_get_string(
                json_object_object_get(cc_api_len(cfg) > 0 ? json_object_array_get_idx(cfg, 0) : NULL, "Subnet"));
        const char *name = json_object_get_string(json_object_object_get(o, "Name"));
        struct net_subnet sn;
        struct cc_error err = {0};
        uint32_t a;
        if (net_ip_parse(want, &a) < 0) {
                cc_api_reply_error(r, 400, "invalid IPv4 address: %s", want);
                return -1;
        }
        if (!sub || net_subnet_parse(sub, true, &sn, &err) < 0) {
                cc_error_clear(&err);
                cc_api_reply_error(r, 400, "user specified IP address is supported only when connecting to networks "
                                           "with user configured subnets (network %s)", name);
                return -1;
        }
        uint32_t mask = sn.prefix ? ~0u << (32 - sn.prefix) : 0, host = a & ~mask;
        if ((a & mask) != (sn.addr & mask) || host == 0 || host == ~mask) {
                cc_api_reply_error(r, 400, "invalid IPv4 address %s: not a host address of network %s (%s)", want, name,
                                   sub);
                return -1;
        }
        return 0;
}

/* POST /networks/{id}/connect and /disconnect: {"Container": REF,
 * "EndpointConfig": {"Aliases", "IPAMConfig": {"IPv4Address"}}} (connect),
 * {"Container": REF, "Force": B} (disconnect), of a container made through
 * the API: its model changes (its next start joins the network or not);
 * a running one's supervisor also adds or removes its interface there. */
static void cc__connect(struct cc_api_req *r, char **params, bool connect)
{
        const char *op = connect ? "connect" : "disconnect";
        json_object *body = cc_api_body_json(r), *o = NULL;
        struct cc_api_ctrs cs = {0};
        _cleanup_free_ char *path = NULL;
        if (!body)
                return;
        json_object *ref = json_object_object_get(body, "Container");
        json_object *ep = json_object_object_get(body, "EndpointConfig");
        if (!json_object_is_type(ep, json_type_object))
                ep = NULL;
        json_object_object_foreach(body, k, v)
        {
                (void) v;
                if (strcmp(k, "Container") != 0 && strcmp(k, connect ? "EndpointConfig" : "Force") != 0) {
                        cc_api_reply_error(r, 400, "network %s: the field %s is not supported", op, k);
                        goto out;
                }
        }
        json_object_object_foreach(ep ? ep : body, ek, ev)
        {
                if (!ep)
                        break;
                if (strcmp(ek, "Aliases") != 0 && strcmp(ek, "IPAMConfig") != 0 && !cc__zero(ev)) {
                        cc_api_reply_error(r, 400, "network connect: EndpointConfig.%s is not supported "
                                                   "(Aliases, IPAMConfig.IPv4Address)", ek);
                        goto out;
                }
        }
        if (!json_object_is_type(ref, json_type_string)) {
                cc_api_reply_error(r, 400, "network %s: Container (a container's name or ID) is missing", op);
                goto out;
        }
        if (!(o = cc__network_find(r, params[0], false)))
                goto out;
        const char *net = json_object_get_string(json_object_object_get(o, "Name"));
        path = cc__record_path(r->api, net);
        if (strcmp(net, "host") == 0 || strcmp(net, "none") == 0) {
                cc_api_reply_error(r, 400, "container cannot be %s %s network", connect ? "connected to" : "disconnected from",
                                   net);
                goto out;
        }
        if (strcmp(net, "bridge") != 0 && access(path, F_OK) < 0) {
                cc_api_reply_error(r, 403, "network %s %s: it is a compose project's network (its compose file names "
                                           "its containers)", op, net);
                goto out;
        }
        /* as dockerd: the default bridge has no aliases and no chosen addresses */
        json_object *want_ip = json_object_object_get(json_object_object_get(ep, "IPAMConfig"), "IPv4Address");
        if (connect && strcmp(net, NET_DOCKER_BRIDGE) == 0 && cc_api_len(json_object_object_get(ep, "Aliases")) > 0) {
                cc_api_reply_error(r, 400, "network-scoped alias is supported only for containers in user defined "
                                           "networks");
                goto out;
        }
        if (connect && strcmp(net, NET_DOCKER_BRIDGE) == 0 && want_ip && *json_object_get_string(want_ip)) {
                cc_api_reply_error(r, 400, "user specified IP address is supported on user defined networks only");
                goto out;
        }
        if (connect && cc__ip_check(r, o, ep) < 0)
                goto out;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, json_object_get_string(ref));
        if (!c)
                goto out;
        bool running = c->ct->status == CC_CTR_RUNNING || c->ct->status == CC_CTR_PAUSED;
        const char *mode = json_object_get_string(
                json_object_object_get(json_object_object_get(c->api, "HostConfig"), "NetworkMode"));
        if (!c->api)
                cc_api_reply_error(r, 403, "network %s %s: %s is a compose project's container (its compose file "
                                           "names its networks)", op, net, c->ct->name);
        else if (c->ct->status == CC_CTR_RESTARTING)
                cc_api_reply_error(r, 409, "network %s: container %s is restarting: wait until it runs", op,
                                   c->ct->name);
        else if (mode && (strcmp(mode, "host") == 0 || cc_startswith(mode, "container:")))
                cc_api_reply_error(r, 400, "container sharing network namespace with another container or host "
                                           "cannot be connected to any other network");
        else {
                json_object *given = connect ? (ep ? json_object_get(ep) : json_object_new_object()) : NULL;
                struct cc__reload *l = cc_xcalloc(1, sizeof(*l));
                l->dir = cc_state_dir(r->api->opts->runtime_dir, c->st->project);
                _cleanup_free_ char *mp = cc_path_join(l->dir, CC_API_COMPOSE_FILE);
                _cleanup_free_ char *rp = cc_path_join(l->dir, CC_API_RECORD);
                int e = cc_read_file(mp, &l->old_model, &l->n_model);
                if (e >= 0)
                        e = cc_read_file(rp, &l->old_rec, &l->n_rec);
                if (e < 0) {
                        cc_api_reply_error(r, 500, "reading %s: %s", l->dir, strerror(-e));
                        cc__reload_free(l);
                } else if (cc__change(r, c, net, given) < 0) {
                        cc__reload_free(l);
                } else {
                        l->req = r;
                        l->project = cc_xstrdup(c->st->project);
                        l->net = json_object_get(o);
                        l->ctr = cc_xstrdup(c->ct->id);
                        l->action = op;
                        l->task.abort = cc__reload_abort;
                        r->task = &l->task;
                        l->steps = "R";
                        if (running) {
                                /* connect: the new model first; disconnect: while the
                                 * supervisor still knows the network */
                                json_object *q = json_object_new_object();
                                json_object_object_add(q, "op", json_object_new_string(connect ? "netconnect"
                                                                                              : "netdisconnect"));
                                json_object_object_add(q, "id", json_object_new_string(c->ct->id));
                                json_object_object_add(q, "network", json_object_new_string(cc__model_name(net)));
                                l->line = cc_xstrdup(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN));
                                json_object_put(q);
                                l->steps = connect ? "RS" : "SR";
                        }
                        cc__reload_step(l, 0, NULL);
                }
                json_object_put(given);
        }
out:
        cc_api_ctrs_free(&cs);
        json_object_put(o);
        json_object_put(body);
}

void cc_api_network_connect(struct cc_api_req *r, char **params)
{
        cc__connect(r, params, true);
}

void cc_api_network_disconnect(struct cc_api_req *r, char **params)
{
        cc__connect(r, params, false);
}
