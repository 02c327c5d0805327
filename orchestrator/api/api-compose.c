/* A container create request (Config + HostConfig) as the service of a
 * compose file: what it honours mapped, what it does not refused by name,
 * every string with its $ doubled against interpolation. Pure: no I/O
 * (tests/fuzz/fuzz-api.c runs it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "api-internal.h"
#include "normalize.h"

/* Compose interpolates ${...}: every string of the generated file has
 * its $ doubled, so the container gets what the client sent. */
static json_object *cc__lit(const char *s)
{
        struct cc_buf b = {0};
        cc_buf_puts(&b, "");
        for (; *s; s++) {
                if (*s == '$')
                        cc_buf_putc(&b, '$');
                cc_buf_putc(&b, *s);
        }
        json_object *o = json_object_new_string(b.s);
        cc_buf_free(&b);
        return o;
}

static json_object *cc__get(json_object *o, const char *key)
{
        json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A list of strings of the request (or null) as a compose list; -1 with
 * *bad naming the key when it is something else. */
static int cc__strings(json_object *from, const char *key, json_object *svc, const char *as, const char **bad)
{
        json_object *v = cc__get(from, key);
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array)) {
                if (json_object_is_type(v, json_type_string)) { /* docker accepts "Cmd": "ls" */
                        json_object *a = json_object_new_array();
                        json_object_array_add(a, cc__lit(json_object_get_string(v)));
                        json_object_object_add(svc, as, a);
                        return 0;
                }
                *bad = key;
                return -1;
        }
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (!json_object_is_type(e, json_type_string)) {
                        json_object_put(a);
                        *bad = key;
                        return -1;
                }
                json_object_array_add(a, cc__lit(json_object_get_string(e)));
        }
        if (json_object_array_length(a) > 0)
                json_object_object_add(svc, as, a);
        else
                json_object_put(a);
        return 0;
}

static int cc__string(json_object *from, const char *key, json_object *svc, const char *as, const char **bad)
{
        json_object *v = cc__get(from, key);
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string)) {
                *bad = key;
                return -1;
        }
        if (*json_object_get_string(v))
                json_object_object_add(svc, as, cc__lit(json_object_get_string(v)));
        return 0;
}

/* The members of Config and HostConfig this service turns into the
 * container; any other member with a value that is not empty is refused,
 * naming it, rather than ignored. */
static const char *const cc__config_keys[] = {
        "Image", "Cmd", "Entrypoint", "Env", "User", "WorkingDir", "Labels", "Tty", "OpenStdin", "Hostname",
        "HostConfig", "NetworkingConfig", "ExposedPorts", "AttachStdin", "AttachStdout", "AttachStderr",
        "StdinOnce", "Domainname", "Volumes", "StopSignal", "StopTimeout", "OnBuild", "ArgsEscaped",
        "NetworkDisabled", "MacAddress", "Shell", "Healthcheck",
};
/* ... of which these are not applied (refused unless empty) */
static const char *const cc__config_not[] = {"Shell", "MacAddress", "OnBuild", "NetworkDisabled"};
static const char *const cc__host_keys[] = {
        "Binds", "PortBindings", "RestartPolicy", "NetworkMode", "AutoRemove", "LogConfig",
        "Privileged", "PublishAllPorts", "ReadonlyRootfs", "Init", "ConsoleSize", "Isolation",
        "CapAdd", "CapDrop", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "Mounts", "Memory",
        "NanoCpus", "CpuShares", "PidsLimit", "VolumesFrom", "Links", "Runtime", "CgroupnsMode",
        "IpcMode", "PidMode", "UTSMode", "UsernsMode", "ShmSize", "OomKillDisable", "MaskedPaths",
        "ReadonlyPaths", "SecurityOpt", "Tmpfs", "Ulimits", "Devices", "GroupAdd", "Sysctls",
        "CpusetCpus", "CpusetMems", "CpuPeriod", "CpuQuota", "MemorySwap", "MemoryReservation",
        "MemorySwappiness", "BlkioWeight", "KernelMemory", "Cgroup", "CgroupParent", "OomScoreAdj",
        "ContainerIDFile", "VolumeDriver", "DeviceCgroupRules", "DeviceRequests", "BlkioWeightDevice",
        "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
        "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth", "CpuRealtimePeriod",
        "CpuRealtimeRuntime", "KernelMemoryTCP", "Annotations",
};

/* HostConfig members that are one compose key each. */
enum cc__kind {
        CC__INT,     /* a number, set when > 0 (bytes, shares, counts) */
        CC__SIGNED,  /* a number, set when not 0 */
        CC__BOOL,    /* set when true */
        CC__STRINGS, /* a list of strings, set when not empty */
        CC__STRING,  /* a string, set when not empty */
        CC__MAP,     /* string: string, set when not empty */
};
static const struct {
        const char *api, *compose;
        enum cc__kind kind;
} cc__host_map[] = {
        {"Memory", "mem_limit", CC__INT},
        {"MemoryReservation", "mem_reservation", CC__INT},
        {"MemorySwap", "memswap_limit", CC__SIGNED}, /* -1: unlimited swap */
        {"ShmSize", "shm_size", CC__INT},
        {"CpuShares", "cpu_shares", CC__INT},
        {"CpuPeriod", "cpu_period", CC__INT},
        {"CpuQuota", "cpu_quota", CC__INT},
        {"PidsLimit", "pids_limit", CC__INT}, /* 0 and -1: no limit */
        {"OomScoreAdj", "oom_score_adj", CC__SIGNED},
        {"Privileged", "privileged", CC__BOOL},
        {"ReadonlyRootfs", "read_only", CC__BOOL},
        {"Init", "init", CC__BOOL},
        {"OomKillDisable", "oom_kill_disable", CC__BOOL},
        {"CapAdd", "cap_add", CC__STRINGS},
        {"CapDrop", "cap_drop", CC__STRINGS},
        {"Dns", "dns", CC__STRINGS},
        {"DnsSearch", "dns_search", CC__STRINGS},
        {"DnsOptions", "dns_opt", CC__STRINGS},
        {"ExtraHosts", "extra_hosts", CC__STRINGS},
        {"SecurityOpt", "security_opt", CC__STRINGS},
        {"GroupAdd", "group_add", CC__STRINGS},
        {"CpusetCpus", "cpuset", CC__STRING},
        {"Sysctls", "sysctls", CC__MAP},
};
/* ... and the ones mapped by hand in cc__host_more (or above) */
static const char *const cc__host_done[] = {"Binds", "PortBindings", "RestartPolicy", "NetworkMode", "LogConfig",
                                           "ConsoleSize", "Isolation", "AutoRemove", "NanoCpus", "Tmpfs",
                                           "Ulimits", "MemorySwappiness", "IpcMode", "PidMode", "UTSMode",
                                           "Devices"};

static bool cc__in(const char *k, const char *const *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(k, v[i]) == 0)
                        return true;
        return false;
}

static int cc__host_mapped(const char *k)
{
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__host_map); i++)
                if (strcmp(k, cc__host_map[i].api) == 0)
                        return (int) i;
        return -1;
}

static bool cc__empty(json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_null: return true;
        case json_type_boolean: return !json_object_get_boolean(v);
        case json_type_int: return json_object_get_int64(v) == 0;
        case json_type_double: return json_object_get_double(v) == 0;
        case json_type_string: return !*json_object_get_string(v);
        case json_type_array: return json_object_array_length(v) == 0;
        case json_type_object: return json_object_object_length(v) == 0;
        }
        return false;
}

static json_object *cc__fail(int *status, struct cc_error *err, int code, const char *fmt, ...) CC_PRINTF(4, 5);
static json_object *cc__fail(int *status, struct cc_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        struct cc_buf m = {0};
        cc_buf_vprintf(&m, fmt, ap);
        va_end(ap);
        *status = code;
        cc_error_set(err, -EINVAL, "%s", m.s ? m.s : "");
        cc_buf_free(&m);
        return NULL;
}

/* A member of the table: into svc; -1 when its value has the wrong type. */
static int cc__host_one(size_t i, json_object *v, json_object *svc)
{
        const char *as = cc__host_map[i].compose;
        switch (cc__host_map[i].kind) {
        case CC__INT:
        case CC__SIGNED:
                if (!json_object_is_type(v, json_type_int))
                        return json_object_is_type(v, json_type_null) ? 0 : -1;
                if (json_object_get_int64(v) > 0 ||
                    (cc__host_map[i].kind == CC__SIGNED && json_object_get_int64(v) != 0))
                        json_object_object_add(svc, as, json_object_new_int64(json_object_get_int64(v)));
                return 0;
        case CC__BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return json_object_is_type(v, json_type_null) ? 0 : -1;
                if (json_object_get_boolean(v))
                        json_object_object_add(svc, as, json_object_new_boolean(1));
                return 0;
        case CC__STRING:
                if (!json_object_is_type(v, json_type_string))
                        return json_object_is_type(v, json_type_null) ? 0 : -1;
                if (*json_object_get_string(v))
                        json_object_object_add(svc, as, cc__lit(json_object_get_string(v)));
                return 0;
        case CC__STRINGS:
        case CC__MAP: {
                const char *bad = NULL;
                json_object *wrap = json_object_new_object();
                json_object_object_add(wrap, "v", json_object_get(v));
                int r = 0;
                if (cc__host_map[i].kind == CC__STRINGS) {
                        r = json_object_is_type(v, json_type_string) ? -1 : cc__strings(wrap, "v", svc, as, &bad);
                } else if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
                        json_object *m = json_object_new_object();
                        json_object_object_foreach(v, mk, mv)
                        {
                                if (!json_object_is_type(mv, json_type_string))
                                        r = -1;
                                else
                                        json_object_object_add(m, mk, cc__lit(json_object_get_string(mv)));
                        }
                        json_object_object_add(svc, as, m);
                } else if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_null)) {
                        r = -1;
                }
                json_object_put(wrap);
                return r;
        }
        }
        return -1;
}

/* Go's time.Duration (nanoseconds) as a compose duration; NULL when it is
 * not a number or not positive. */
static json_object *cc__duration(json_object *v)
{
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0)
                return NULL;
        char *d = cc_format_duration(json_object_get_int64(v));
        json_object *o = json_object_new_string(d);
        free(d);
        return o;
}

/* Config.Healthcheck: {Test, Interval, Timeout, StartPeriod, StartInterval,
 * Retries} (durations in nanoseconds); Test ["NONE"] disables the image's.
 * -1 after cc__fail. */
static int cc__healthcheck(json_object *hc, json_object *svc, int *status, struct cc_error *err)
{
        if (!hc || cc__empty(hc))
                return 0;
        if (!json_object_is_type(hc, json_type_object)) {
                cc__fail(status, err, 400, "Config.Healthcheck must be an object");
                return -1;
        }
        json_object *h = json_object_new_object();
        json_object_object_add(svc, "healthcheck", h);
        json_object *test = cc__get(hc, "Test");
        if (test && !json_object_is_type(test, json_type_null)) {
                const char *bad = NULL;
                if (!json_object_is_type(test, json_type_array) || cc__strings(hc, "Test", h, "test", &bad) < 0) {
                        cc__fail(status, err, 400, "Config.Healthcheck.Test must be a list of strings");
                        return -1;
                }
                const char *first = json_object_get_string(json_object_array_get_idx(test, 0));
                if (first && strcmp(first, "NONE") == 0) {
                        json_object_object_del(h, "test");
                        json_object_object_add(h, "disable", json_object_new_boolean(1));
                        return 0;
                }
                if (first && strcmp(first, "CMD") != 0 && strcmp(first, "CMD-SHELL") != 0) {
                        cc__fail(status, err, 400, "Config.Healthcheck.Test: the first element must be CMD, CMD-SHELL "
                                                   "or NONE, not \"%s\"", first);
                        return -1;
                }
        }
        static const char *const durs[][2] = {{"Interval", "interval"}, {"Timeout", "timeout"},
                                              {"StartPeriod", "start_period"}, {"StartInterval", "start_interval"}};
        for (size_t i = 0; i < CC_ARRAY_SIZE(durs); i++) {
                json_object *v = cc__get(hc, durs[i][0]);
                if (v && !json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_null)) {
                        cc__fail(status, err, 400, "Config.Healthcheck.%s must be a number of nanoseconds", durs[i][0]);
                        return -1;
                }
                json_object *d = cc__duration(v);
                if (d)
                        json_object_object_add(h, durs[i][1], d);
        }
        json_object *retries = cc__get(hc, "Retries");
        if (json_object_is_type(retries, json_type_int) && json_object_get_int(retries) > 0)
                json_object_object_add(h, "retries", json_object_new_int(json_object_get_int(retries)));
        json_object_object_foreach(hc, k, v)
        {
                if (strcmp(k, "Test") != 0 && strcmp(k, "Interval") != 0 && strcmp(k, "Timeout") != 0 &&
                    strcmp(k, "StartPeriod") != 0 && strcmp(k, "StartInterval") != 0 && strcmp(k, "Retries") != 0 &&
                    !cc__empty(v)) {
                        cc__fail(status, err, 400, "Config.Healthcheck.%s is not supported by this service yet", k);
                        return -1;
                }
        }
        return 0;
}

/* What the table does not cover: NanoCpus, Tmpfs, Ulimits, Devices,
 * MemorySwappiness, the IPC/PID/UTS modes; Config's Domainname,
 * StopSignal, StopTimeout, Volumes. -1 after cc__fail. */
static int cc__host_more(json_object *body, json_object *hc, json_object *svc, int *status, struct cc_error *err)
{
        json_object *v = cc__get(hc, "NanoCpus");
        if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
                json_object_object_add(svc, "cpus", json_object_new_double((double) json_object_get_int64(v) / 1e9));
        v = cc__get(hc, "MemorySwappiness"); /* -1 (the docker CLI's): unset */
        if (json_object_is_type(v, json_type_int) && json_object_get_int(v) >= 0) {
                if (json_object_get_int(v) > 100) {
                        cc__fail(status, err, 400, "Invalid value: %d, valid memory swappiness range is 0-100",
                                 json_object_get_int(v));
                        return -1;
                }
                json_object_object_add(svc, "mem_swappiness", json_object_new_int(json_object_get_int(v)));
        }
        /* Tmpfs: {"/run": "size=1m,mode=700"} -> ["/run:size=1m,mode=700"] */
        v = cc__get(hc, "Tmpfs");
        if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
                json_object *a = json_object_new_array();
                json_object_object_add(svc, "tmpfs", a);
                json_object_object_foreach(v, path, opts)
                {
                        const char *o = json_object_is_type(opts, json_type_string) ? json_object_get_string(opts) : "";
                        if (path[0] != '/' || strchr(path, ':')) {
                                cc__fail(status, err, 400, "HostConfig.Tmpfs: invalid mount point \"%s\"", path);
                                return -1;
                        }
                        struct cc_buf e = {0};
                        cc_buf_printf(&e, "%s%s%s", path, *o ? ":" : "", o);
                        json_object_array_add(a, cc__lit(e.s));
                        cc_buf_free(&e);
                }
        }
        /* Ulimits: [{"Name": "nofile", "Soft": 100, "Hard": 200}] -> {nofile: {soft, hard}} */
        v = cc__get(hc, "Ulimits");
        if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
                json_object *u = json_object_new_object();
                json_object_object_add(svc, "ulimits", u);
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        const char *name = json_object_get_string(cc__get(e, "Name"));
                        if (!name || !*name || !json_object_is_type(cc__get(e, "Soft"), json_type_int) ||
                            !json_object_is_type(cc__get(e, "Hard"), json_type_int)) {
                                cc__fail(status, err, 400, "HostConfig.Ulimits: each is {\"Name\", \"Soft\", \"Hard\"}");
                                return -1;
                        }
                        json_object *l = json_object_new_object();
                        json_object_object_add(l, "soft", json_object_new_int64(json_object_get_int64(cc__get(e, "Soft"))));
                        json_object_object_add(l, "hard", json_object_new_int64(json_object_get_int64(cc__get(e, "Hard"))));
                        json_object_object_add(u, name, l);
                }
        }
        /* Devices: [{"PathOnHost", "PathInContainer", "CgroupPermissions"}] -> ["host:ctr:perms"] */
        v = cc__get(hc, "Devices");
        if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
                json_object *a = json_object_new_array();
                json_object_object_add(svc, "devices", a);
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        const char *host = json_object_get_string(cc__get(e, "PathOnHost"));
                        const char *in = json_object_get_string(cc__get(e, "PathInContainer"));
                        const char *perms = json_object_get_string(cc__get(e, "CgroupPermissions"));
                        if (!host || host[0] != '/') {
                                cc__fail(status, err, 400, "HostConfig.Devices: PathOnHost must be an absolute path");
                                return -1;
                        }
                        struct cc_buf d = {0};
                        cc_buf_printf(&d, "%s:%s", host, in && *in ? in : host);
                        if (perms && *perms)
                                cc_buf_printf(&d, ":%s", perms);
                        json_object_array_add(a, cc__lit(d.s));
                        cc_buf_free(&d);
                }
        }
        /* the namespaces: the container's own, or the host's */
        static const char *const modes[][3] = {
                {"IpcMode", "ipc", "host private shareable"}, {"PidMode", "pid", "host"}, {"UTSMode", "uts", "host private"}};
        for (size_t i = 0; i < CC_ARRAY_SIZE(modes); i++) {
                const char *m = json_object_get_string(cc__get(hc, modes[i][0]));
                if (!m || !*m)
                        continue;
                bool ok = false;
                for (const char *w = modes[i][2]; *w;) {
                        size_t n = strcspn(w, " ");
                        ok = ok || (strlen(m) == n && strncmp(m, w, n) == 0);
                        w += n + (w[n] == ' ');
                }
                if (!ok) {
                        cc__fail(status, err, 400, "HostConfig.%s %s is not supported by this service yet (%s)", modes[i][0],
                                 m, modes[i][2]);
                        return -1;
                }
                json_object_object_add(svc, modes[i][1], json_object_new_string(m));
        }
        /* Config: the domain name, how it stops, anonymous volumes */
        const char *bad = NULL;
        if (cc__string(body, "Domainname", svc, "domainname", &bad) < 0 ||
            cc__string(body, "StopSignal", svc, "stop_signal", &bad) < 0) {
                cc__fail(status, err, 400, "Config.%s has the wrong type", bad);
                return -1;
        }
        v = cc__get(body, "StopTimeout");
        if (v && !json_object_is_type(v, json_type_null)) {
                if (!json_object_is_type(v, json_type_int)) {
                        cc__fail(status, err, 400, "Config.StopTimeout must be a number of seconds");
                        return -1;
                }
                char t[32];
                snprintf(t, sizeof(t), "%llds", (long long) json_object_get_int64(v) < 0 ? 0LL : (long long) json_object_get_int64(v));
                json_object_object_add(svc, "stop_grace_period", json_object_new_string(t));
        }
        v = cc__get(body, "Volumes"); /* {"/data": {}}: anonymous volumes */
        if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
                json_object *vols = cc__get(svc, "volumes");
                if (!vols) {
                        vols = json_object_new_array();
                        json_object_object_add(svc, "volumes", vols);
                }
                json_object_object_foreach(v, path, unused)
                {
                        (void) unused;
                        if (path[0] != '/' || strchr(path, ':')) {
                                cc__fail(status, err, 400, "Config.Volumes: invalid path \"%s\" (an absolute path)", path);
                                return -1;
                        }
                        /* a bind or named volume there (docker-compose sends both) */
                        if (!cc_api_volume_bound(vols, path))
                                json_object_array_add(vols, cc__lit(path));
                }
        }
        return 0;
}

json_object *cc_api_compose_service(json_object *body, const char *name, int *status, struct cc_error *err)
{
        const char *bad = NULL;
        json_object_object_foreach(body, k, v)
        {
                if (!cc__in(k, cc__config_keys, CC_ARRAY_SIZE(cc__config_keys))) {
                        cc__fail(status, err, 400, "unknown field \"%s\" in the container's configuration", k);
                        return NULL;
                }
                if (!cc__empty(v) && cc__in(k, cc__config_not, CC_ARRAY_SIZE(cc__config_not))) {
                        cc__fail(status, err, 400, "Config.%s is not supported by this service yet", k);
                        return NULL;
                }
        }
        /* NetworkingConfig: endpoints of the network the container is on, with nothing set */
        json_object *eps = cc__get(cc__get(body, "NetworkingConfig"), "EndpointsConfig");
        if (json_object_is_type(eps, json_type_object)) {
                json_object_object_foreach(eps, net, ep)
                {
                        if (!json_object_is_type(ep, json_type_object))
                                continue;
                        json_object_object_foreach(ep, ek, ev)
                        {
                                /* Aliases: names on a network of the API's (below) */
                                if (!cc__empty(ev) && strcmp(ek, "Aliases") != 0) {
                                        cc__fail(status, err, 400, "NetworkingConfig.EndpointsConfig.%s.%s is not supported "
                                                                   "by this service yet", net, ek);
                                        return NULL;
                                }
                        }
                }
        }
        json_object *hc = cc__get(body, "HostConfig");
        if (hc && !json_object_is_type(hc, json_type_object) && !json_object_is_type(hc, json_type_null)) {
                cc__fail(status, err, 400, "HostConfig must be an object");
                return NULL;
        }
        if (json_object_is_type(hc, json_type_object)) {
                json_object_object_foreach(hc, hk, hv)
                {
                        if (!cc__in(hk, cc__host_keys, CC_ARRAY_SIZE(cc__host_keys))) {
                                cc__fail(status, err, 400, "unknown field \"%s\" in HostConfig", hk);
                                return NULL;
                        }
                        /* the docker CLI sends MemorySwappiness -1: "unset" */
                        bool unset = cc__empty(hv) || (strcmp(hk, "MemorySwappiness") == 0 && json_object_get_int(hv) == -1);
                        if (!unset && cc__host_mapped(hk) < 0 && !cc__in(hk, cc__host_done, CC_ARRAY_SIZE(cc__host_done))) {
                                cc__fail(status, err, 400, "HostConfig.%s is not supported by this service yet", hk);
                                return NULL;
                        }
                }
        }
        json_object *image = cc__get(body, "Image");
        if (!json_object_is_type(image, json_type_string) || !*json_object_get_string(image)) {
                cc__fail(status, err, 400, "Config.Image is required: the image to create the container from");
                return NULL;
        }
        json_object *svc = json_object_new_object();
        json_object_object_add(svc, "image", cc__lit(json_object_get_string(image)));
        json_object_object_add(svc, "container_name", cc__lit(name));
        if (cc__strings(body, "Cmd", svc, "command", &bad) < 0 ||
            cc__strings(body, "Entrypoint", svc, "entrypoint", &bad) < 0 ||
            cc__strings(body, "Env", svc, "environment", &bad) < 0 || cc__string(body, "User", svc, "user", &bad) < 0 ||
            cc__string(body, "WorkingDir", svc, "working_dir", &bad) < 0 ||
            cc__string(body, "Hostname", svc, "hostname", &bad) < 0 ||
            cc__strings(hc, "Binds", svc, "volumes", &bad) < 0) {
                cc__fail(status, err, 400, "%s.%s has the wrong type", strcmp(bad, "Binds") == 0 ? "HostConfig" : "Config", bad);
                json_object_put(svc);
                return NULL;
        }
        json_object *labels = cc__get(body, "Labels");
        if (json_object_is_type(labels, json_type_object) && json_object_object_length(labels) > 0) {
                json_object *l = json_object_new_object();
                json_object_object_foreach(labels, lk, lv)
                {
                        if (!json_object_is_type(lv, json_type_string)) {
                                cc__fail(status, err, 400, "the value of label %s is not a string", lk);
                                json_object_put(l);
                                json_object_put(svc);
                                return NULL;
                        }
                        json_object_object_add(l, lk, cc__lit(json_object_get_string(lv)));
                }
                json_object_object_add(svc, "labels", l);
        }
        if (json_object_get_boolean(cc__get(body, "Tty")))
                json_object_object_add(svc, "tty", json_object_new_boolean(1));
        if (json_object_get_boolean(cc__get(body, "OpenStdin")))
                json_object_object_add(svc, "stdin_open", json_object_new_boolean(1));
        /* binds: host paths and named volumes (api-volumes.c makes those) */
        if (cc_api_compose_volumes(svc, status, err) < 0) {
                json_object_put(svc);
                return NULL;
        }
        /* ports: {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]} */
        json_object *pb = cc__get(hc, "PortBindings");
        if (json_object_is_type(pb, json_type_object) && json_object_object_length(pb) > 0) {
                json_object *ports = json_object_new_array();
                json_object_object_foreach(pb, spec, binds)
                {
                        char *end;
                        long target = strtol(spec, &end, 10);
                        const char *proto = *end == '/' ? end + 1 : "tcp";
                        if (target < 1 || target > 65535 || (*end && *end != '/') ||
                            (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)) {
                                json_object_put(ports);
                                json_object_put(svc);
                                return cc__fail(status, err, 400, "HostConfig.PortBindings: invalid port \"%s\" (PORT[/tcp|udp|sctp])", spec);
                        }
                        for (size_t i = 0; json_object_is_type(binds, json_type_array) && i < json_object_array_length(binds); i++) {
                                json_object *b = json_object_array_get_idx(binds, i), *p = json_object_new_object();
                                json_object_object_add(p, "target", json_object_new_int((int) target));
                                const char *hp = json_object_get_string(cc__get(b, "HostPort"));
                                const char *hi = json_object_get_string(cc__get(b, "HostIp"));
                                if (hp && *hp)
                                        json_object_object_add(p, "published", cc__lit(hp));
                                if (hi && *hi)
                                        json_object_object_add(p, "host_ip", cc__lit(hi));
                                json_object_object_add(p, "protocol", json_object_new_string(proto));
                                json_object_array_add(ports, p);
                        }
                }
                json_object_object_add(svc, "ports", ports);
        }
        json_object *rp = cc__get(hc, "RestartPolicy");
        const char *policy = json_object_get_string(cc__get(rp, "Name"));
        if (policy && *policy && strcmp(policy, "no") != 0 && json_object_get_boolean(cc__get(hc, "AutoRemove"))) {
                cc__fail(status, err, 409, "Conflicting options: AutoRemove and RestartPolicy %s", policy);
                json_object_put(svc);
                return NULL;
        }
        if (policy && *policy && strcmp(policy, "no") != 0) {
                int max = json_object_get_int(cc__get(rp, "MaximumRetryCount"));
                if (strcmp(policy, "always") != 0 && strcmp(policy, "unless-stopped") != 0 &&
                    strcmp(policy, "on-failure") != 0) {
                        cc__fail(status, err, 400, "invalid restart policy '%s'", policy);
                        json_object_put(svc);
                        return NULL;
                }
                char rs[48];
                if (strcmp(policy, "on-failure") == 0 && max > 0)
                        snprintf(rs, sizeof(rs), "on-failure:%d", max);
                else
                        snprintf(rs, sizeof(rs), "%s", policy);
                json_object_object_add(svc, "restart", json_object_new_string(rs));
        }
        const char *mode = json_object_get_string(cc__get(hc, "NetworkMode"));
        if (mode && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0)) {
                json_object_object_add(svc, "network_mode", json_object_new_string(mode));
        } else if (mode && *mode && strcmp(mode, "default") != 0 && strcmp(mode, "bridge") != 0 &&
                   cc_api_compose_network(body, mode, svc, status, err) < 0) {
                /* a network of the API's (api-networks.c) */
                json_object_put(svc);
                return NULL;
        }
        if (json_object_is_type(hc, json_type_object)) {
                json_object_object_foreach(hc, mk, mv)
                {
                        int i = cc__host_mapped(mk);
                        if (i >= 0 && cc__host_one((size_t) i, mv, svc) < 0) {
                                json_object_put(svc);
                                return cc__fail(status, err, 400, "HostConfig.%s has the wrong type", mk);
                        }
                }
        }
        if (cc__host_more(body, hc, svc, status, err) < 0 || cc__healthcheck(cc__get(body, "Healthcheck"), svc, status, err) < 0) {
                json_object_put(svc);
                return NULL;
        }
        return svc;
}

