/* The API's routes (Docker's paths, after the optional /vN.NN prefix) and
 * the system endpoints: /_ping, /version, /info. */
#include <stdio.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "logfile.h"
#include "state.h"

struct cc_api_routedef {
        enum http_method method;
        const char *pattern; /* "{}" is one path segment, "{*}" one or more */
        cc_api_handler fn;
};

static const struct cc_api_routedef cc__routes[] = {
        {HTTP_GET, "/_ping", cc_api_ping},
        {HTTP_HEAD, "/_ping", cc_api_ping},
        {HTTP_GET, "/version", cc_api_version},
        {HTTP_GET, "/info", cc_api_info},
        {HTTP_GET, "/containers/json", cc_api_containers_list},
        {HTTP_POST, "/containers/create", cc_api_container_create},
        {HTTP_GET, "/containers/{}/json", cc_api_container_inspect},
        {HTTP_GET, "/containers/{}/logs", cc_api_container_logs},
        {HTTP_POST, "/containers/{}/attach", cc_api_container_attach},
        {HTTP_POST, "/containers/{}/resize", cc_api_container_resize},
        {HTTP_POST, "/containers/{}/start", cc_api_container_start},
        {HTTP_POST, "/containers/{}/stop", cc_api_container_stop},
        {HTTP_POST, "/containers/{}/restart", cc_api_container_restart},
        {HTTP_POST, "/containers/{}/pause", cc_api_container_pause},
        {HTTP_POST, "/containers/{}/unpause", cc_api_container_unpause},
        {HTTP_POST, "/containers/{}/kill", cc_api_container_kill},
        {HTTP_POST, "/containers/{}/wait", cc_api_container_wait},
        {HTTP_DELETE, "/containers/{}", cc_api_container_remove},
        /* exec, archive, top, stats, rename, prune, events, df (api-exec.c ...) */
        {HTTP_POST, "/containers/{}/exec", cc_api_exec_create},
        {HTTP_POST, "/exec/{}/start", cc_api_exec_start},
        {HTTP_POST, "/exec/{}/resize", cc_api_exec_resize},
        {HTTP_GET, "/exec/{}/json", cc_api_exec_inspect},
        {HTTP_GET, "/containers/{}/archive", cc_api_archive_get},
        {HTTP_HEAD, "/containers/{}/archive", cc_api_archive_get},
        {HTTP_PUT, "/containers/{}/archive", cc_api_archive_put},
        {HTTP_GET, "/containers/{}/top", cc_api_container_top},
        {HTTP_GET, "/containers/{}/stats", cc_api_container_stats},
        {HTTP_GET, "/events", cc_api_events},
        {HTTP_POST, "/containers/{}/rename", cc_api_container_rename},
        {HTTP_POST, "/containers/prune", cc_api_containers_prune},
        {HTTP_GET, "/system/df", cc_api_system_df},
        {HTTP_GET, "/images/json", cc_api_images_list},
        {HTTP_GET, "/images/{*}/json", cc_api_image_inspect},
        {HTTP_GET, "/networks", cc_api_networks_list},
        {HTTP_GET, "/volumes", cc_api_volumes_list},
        /* images, build, networks, volumes (api-images.c, api-build.c,
         * api-networks.c, api-volumes.c) */
        {HTTP_POST, "/images/create", cc_api_image_create},
        {HTTP_POST, "/images/load", cc_api_images_load},
        {HTTP_GET, "/images/get", cc_api_images_get},
        {HTTP_POST, "/images/prune", cc_api_images_prune},
        {HTTP_GET, "/images/{*}/history", cc_api_image_history},
        {HTTP_GET, "/images/{*}/get", cc_api_image_get},
        {HTTP_POST, "/images/{*}/tag", cc_api_image_tag},
        {HTTP_POST, "/images/{*}/push", cc_api_image_push},
        {HTTP_DELETE, "/images/{*}", cc_api_image_remove},
        {HTTP_POST, "/build", cc_api_build},
        {HTTP_POST, "/auth", cc_api_auth},
        {HTTP_POST, "/networks/create", cc_api_network_create},
        {HTTP_POST, "/networks/prune", cc_api_networks_prune},
        {HTTP_POST, "/networks/{}/connect", cc_api_network_connect},
        {HTTP_POST, "/networks/{}/disconnect", cc_api_network_disconnect},
        {HTTP_GET, "/networks/{}", cc_api_network_inspect},
        {HTTP_DELETE, "/networks/{}", cc_api_network_remove},
        {HTTP_POST, "/volumes/create", cc_api_volume_create},
        {HTTP_POST, "/volumes/prune", cc_api_volumes_prune},
        {HTTP_GET, "/volumes/{}", cc_api_volume_inspect},
        {HTTP_DELETE, "/volumes/{}", cc_api_volume_remove},
};

/* Match path against pattern; the {} parts into params (owned). */
static bool cc__match(const char *pattern, const char *path, char **params, size_t *np)
{
        *np = 0;
        const char *p = pattern, *s = path;
        while (*p) {
                if (strncmp(p, "{*}", 3) == 0) {
                        /* one or more segments, up to what follows in the pattern */
                        const char *rest = p + 3;
                        size_t rl = strlen(rest);
                        size_t sl = strlen(s);
                        if (sl <= rl || strcmp(s + sl - rl, rest) != 0)
                                goto no;
                        params[(*np)++] = cc_xstrndup(s, sl - rl);
                        return true;
                }
                if (strncmp(p, "{}", 2) == 0) {
                        const char *e = strchrnul(s, '/');
                        if (e == s)
                                goto no;
                        params[(*np)++] = cc_xstrndup(s, (size_t) (e - s));
                        s = e;
                        p += 2;
                        continue;
                }
                if (*p != *s)
                        goto no;
                p++;
                s++;
        }
        if (*s == '\0' || (s[0] == '/' && s[1] == '\0'))
                return true;
no:
        for (size_t i = 0; i < *np; i++)
                free(params[i]);
        *np = 0;
        return false;
}

void cc_api_route(struct cc_api_req *r)
{
        bool path_known = false;
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__routes); i++) {
                char *params[4] = {0};
                size_t np = 0;
                if (!cc__match(cc__routes[i].pattern, r->path, params, &np))
                        continue;
                if (cc__routes[i].method != r->method) {
                        path_known = true;
                        for (size_t k = 0; k < np; k++)
                                free(params[k]);
                        continue;
                }
                cc__routes[i].fn(r, params);
                for (size_t k = 0; k < np; k++)
                        free(params[k]);
                return;
        }
        if (path_known)
                cc_api_reply_error(r, 405, "%s is not allowed on %s", http_method_str(r->method), r->path);
        else
                cc_api_reply_error(r, 404, "page not found");
}

/* ---- system ---- */

void cc_api_ping(struct cc_api_req *r, char **params)
{
        cc_api_reply(r, 200, "text/plain; charset=utf-8", "OK", 2);
}

/* Go's name of this machine's architecture. */
static const char *cc__arch(const struct utsname *u)
{
        if (strcmp(u->machine, "x86_64") == 0)
                return "amd64";
        if (strcmp(u->machine, "aarch64") == 0)
                return "arm64";
        return u->machine;
}

void cc_api_version(struct cc_api_req *r, char **params)
{
        struct utsname u;
        uname(&u);
        json_object *details = json_object_new_object();
        json_object_object_add(details, "ApiVersion", json_object_new_string(CC_API_VERSION));
        json_object_object_add(details, "MinAPIVersion", json_object_new_string(CC_API_MIN_VERSION));
        json_object_object_add(details, "Os", json_object_new_string("linux"));
        json_object_object_add(details, "Arch", json_object_new_string(cc__arch(&u)));
        json_object_object_add(details, "KernelVersion", json_object_new_string(u.release));
        json_object_object_add(details, "Experimental", json_object_new_string("false"));
        json_object_object_add(details, "GitCommit", json_object_new_string(""));
        json_object_object_add(details, "GoVersion", json_object_new_string(""));
        json_object_object_add(details, "BuildTime", json_object_new_string(""));
        json_object *engine = json_object_new_object();
        json_object_object_add(engine, "Name", json_object_new_string("Engine"));
        json_object_object_add(engine, "Version", json_object_new_string(CC_VERSION));
        json_object_object_add(engine, "Details", details);
        json_object *comps = json_object_new_array();
        json_object_array_add(comps, engine);
        json_object *plat = json_object_new_object();
        json_object_object_add(plat, "Name", json_object_new_string("ccompose " CC_VERSION));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Platform", plat);
        json_object_object_add(o, "Components", comps);
        json_object_object_add(o, "Version", json_object_new_string(CC_VERSION));
        json_object_object_add(o, "ApiVersion", json_object_new_string(CC_API_VERSION));
        json_object_object_add(o, "MinAPIVersion", json_object_new_string(CC_API_MIN_VERSION));
        json_object_object_add(o, "GitCommit", json_object_new_string(""));
        json_object_object_add(o, "GoVersion", json_object_new_string(""));
        json_object_object_add(o, "Os", json_object_new_string("linux"));
        json_object_object_add(o, "Arch", json_object_new_string(cc__arch(&u)));
        json_object_object_add(o, "KernelVersion", json_object_new_string(u.release));
        json_object_object_add(o, "BuildTime", json_object_new_string(""));
        cc_api_reply_json(r, 200, o);
}

/* PRETTY_NAME of /etc/os-release. */
static char *cc__os_name(void)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (cc_read_file("/etc/os-release", &text, &len) == 0)
                for (char *line = text; line && *line;) {
                        char *nl = strchrnul(line, '\n');
                        if (cc_startswith(line, "PRETTY_NAME=")) {
                                char *v = line + 12;
                                size_t n = (size_t) (nl - v);
                                if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
                                        return cc_xstrndup(v + 1, n - 2);
                                return cc_xstrndup(v, n);
                        }
                        line = *nl ? nl + 1 : nl;
                }
        return cc_xstrdup("Linux");
}

static json_object *cc__strings(const char *const *v, size_t n)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, json_object_new_string(v[i]));
        return a;
}

void cc_api_info(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        cc_api_ctrs_load(r->api, &cs);
        int running = 0, paused = 0, stopped = 0;
        for (size_t i = 0; i < cs.n; i++) {
                enum cc_ctr_status s = cs.v[i].ct->status;
                if (s == CC_CTR_PAUSED)
                        paused++;
                else if (s == CC_CTR_RUNNING || s == CC_CTR_RESTARTING)
                        running++;
                else
                        stopped++;
        }
        struct utsname u;
        uname(&u);
        struct sysinfo si = {0};
        sysinfo(&si);
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        _cleanup_free_ char *os = cc__os_name();
        char now[48];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        cc_log_format_time(&ts, now, sizeof(now));
        bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;

        json_object *o = json_object_new_object();
        json_object_object_add(o, "ID", json_object_new_string(host));
        json_object_object_add(o, "Containers", json_object_new_int((int) cs.n));
        json_object_object_add(o, "ContainersRunning", json_object_new_int(running));
        json_object_object_add(o, "ContainersPaused", json_object_new_int(paused));
        json_object_object_add(o, "ContainersStopped", json_object_new_int(stopped));
        json_object_object_add(o, "Images", json_object_new_int(cc_api_image_count(r->api)));
        json_object_object_add(o, "Driver", json_object_new_string("overlay2"));
        json_object_object_add(o, "DriverStatus", json_object_new_array());
        json_object *plugins = json_object_new_object();
        static const char *const vol[] = {"local"}, *const net[] = {"bridge", "host", "none"}, *const log[] = {"json-file"};
        json_object_object_add(plugins, "Volume", cc__strings(vol, 1));
        json_object_object_add(plugins, "Network", cc__strings(net, 3));
        json_object_object_add(plugins, "Authorization", NULL);
        json_object_object_add(plugins, "Log", cc__strings(log, 1));
        json_object_object_add(o, "Plugins", plugins);
        json_object_object_add(o, "MemoryLimit", json_object_new_boolean(1));
        json_object_object_add(o, "SwapLimit", json_object_new_boolean(0));
        json_object_object_add(o, "CpuCfsPeriod", json_object_new_boolean(1));
        json_object_object_add(o, "CpuCfsQuota", json_object_new_boolean(1));
        json_object_object_add(o, "CPUShares", json_object_new_boolean(1));
        json_object_object_add(o, "PidsLimit", json_object_new_boolean(1));
        json_object_object_add(o, "IPv4Forwarding", json_object_new_boolean(1));
        json_object_object_add(o, "Debug", json_object_new_boolean(0));
        json_object_object_add(o, "NFd", json_object_new_int(0));
        json_object_object_add(o, "NGoroutines", json_object_new_int(0));
        json_object_object_add(o, "SystemTime", json_object_new_string(now));
        json_object_object_add(o, "LoggingDriver", json_object_new_string("json-file"));
        json_object_object_add(o, "CgroupDriver", json_object_new_string("cgroupfs"));
        json_object_object_add(o, "CgroupVersion", json_object_new_string(v2 ? "2" : "1"));
        json_object_object_add(o, "KernelVersion", json_object_new_string(u.release));
        json_object_object_add(o, "OperatingSystem", json_object_new_string(os));
        json_object_object_add(o, "OSVersion", json_object_new_string(""));
        json_object_object_add(o, "OSType", json_object_new_string("linux"));
        json_object_object_add(o, "Architecture", json_object_new_string(u.machine));
        json_object_object_add(o, "IndexServerAddress", json_object_new_string("https://index.docker.io/v1/"));
        json_object *reg = json_object_new_object();
        json_object_object_add(reg, "InsecureRegistryCIDRs", json_object_new_array());
        json_object_object_add(reg, "IndexConfigs", json_object_new_object());
        json_object_object_add(reg, "Mirrors", json_object_new_array());
        json_object_object_add(o, "RegistryConfig", reg);
        json_object_object_add(o, "NCPU", json_object_new_int((int) sysconf(_SC_NPROCESSORS_ONLN)));
        json_object_object_add(o, "MemTotal", json_object_new_int64((int64_t) si.totalram * si.mem_unit));
        json_object_object_add(o, "DockerRootDir", json_object_new_string(r->api->opts->root));
        json_object_object_add(o, "Name", json_object_new_string(host));
        json_object_object_add(o, "Labels", json_object_new_array());
        json_object_object_add(o, "ExperimentalBuild", json_object_new_boolean(0));
        json_object_object_add(o, "ServerVersion", json_object_new_string(CC_VERSION));
        json_object *rt = json_object_new_object(), *ccrt = json_object_new_object();
        json_object_object_add(ccrt, "path", json_object_new_string(r->api->opts->self_exe));
        json_object_object_add(rt, "ccompose", ccrt);
        json_object_object_add(o, "Runtimes", rt);
        json_object_object_add(o, "DefaultRuntime", json_object_new_string("ccompose"));
        json_object *swarm = json_object_new_object();
        json_object_object_add(swarm, "NodeID", json_object_new_string(""));
        json_object_object_add(swarm, "NodeAddr", json_object_new_string(""));
        json_object_object_add(swarm, "LocalNodeState", json_object_new_string("inactive"));
        json_object_object_add(swarm, "ControlAvailable", json_object_new_boolean(0));
        json_object_object_add(swarm, "Error", json_object_new_string(""));
        json_object_object_add(swarm, "RemoteManagers", NULL);
        json_object_object_add(o, "Swarm", swarm);
        json_object_object_add(o, "LiveRestoreEnabled", json_object_new_boolean(1));
        json_object_object_add(o, "Isolation", json_object_new_string(""));
        json_object_object_add(o, "InitBinary", json_object_new_string("ccompose-init"));
        static const char *const sec[] = {"name=seccomp,profile=default"};
        json_object_object_add(o, "SecurityOptions", cc__strings(sec, 1));
        json_object_object_add(o, "Warnings", NULL);
        cc_api_ctrs_free(&cs);
        cc_api_reply_json(r, 200, o);
}

/* docker cp's tar stream, an image archive and a build context go to a
 * file, not to memory (and may be larger than a JSON body). */
bool cc_api_body_spooled(enum http_method method, const char *path)
{
        return (method == HTTP_PUT && cc_endswith(path, "/archive")) ||
               (method == HTTP_POST && (strcmp(path, "/images/load") == 0 || strcmp(path, "/build") == 0));
}
