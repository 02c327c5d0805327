/* A container create request (Config + HostConfig) as the service of a
 * compose file: what it honours mapped, what it does not refused by name,
 * every string with its $ doubled against interpolation. Pure: no I/O
 * (tests/fuzz/fuzz-api.c runs it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "api-internal.h"

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
/* ... of which these are honoured (the rest must be empty, zero or false) */
static const char *const cc__host_done[] = {"Binds", "PortBindings", "RestartPolicy", "NetworkMode", "LogConfig",
                                           "ConsoleSize", "Isolation", "AutoRemove"};

static bool cc__in(const char *k, const char *const *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(k, v[i]) == 0)
                        return true;
        return false;
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

json_object *cc_api_compose_service(json_object *body, const char *name, int *status, struct cc_error *err)
{
        const char *bad = NULL;
        json_object_object_foreach(body, k, v)
        {
                if (!cc__in(k, cc__config_keys, CC_ARRAY_SIZE(cc__config_keys))) {
                        cc__fail(status, err, 400, "unknown field \"%s\" in the container's configuration", k);
                        return NULL;
                }
                if (!cc__empty(v) && (strcmp(k, "Healthcheck") == 0 || strcmp(k, "StopSignal") == 0 ||
                                      strcmp(k, "StopTimeout") == 0 || strcmp(k, "Volumes") == 0 ||
                                      strcmp(k, "Shell") == 0 ||
                                      strcmp(k, "MacAddress") == 0 || strcmp(k, "OnBuild") == 0 ||
                                      strcmp(k, "Domainname") == 0 || strcmp(k, "NetworkDisabled") == 0)) {
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
                                if (!cc__empty(ev)) {
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
                        if (!unset && !cc__in(hk, cc__host_done, CC_ARRAY_SIZE(cc__host_done))) {
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
                cc__fail(status, err, 400, "Config.%s has the wrong type", bad);
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
        /* binds: host paths only (a named volume would be the project's) */
        json_object *vols = cc__get(svc, "volumes");
        for (size_t i = 0; vols && i < json_object_array_length(vols); i++) {
                const char *b = json_object_get_string(json_object_array_get_idx(vols, i));
                if (b[0] != '/') {
                        cc__fail(status, err, 400, "HostConfig.Binds: %s: only host paths (/...) are supported yet, "
                                                   "not named volumes", b);
                        json_object_put(svc);
                        return NULL;
                }
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
        } else if (mode && *mode && strcmp(mode, "default") != 0 && strcmp(mode, "bridge") != 0) {
                cc__fail(status, err, 400, "HostConfig.NetworkMode %s is not supported yet (bridge, host, none)", mode);
                json_object_put(svc);
                return NULL;
        }
        return svc;
}

