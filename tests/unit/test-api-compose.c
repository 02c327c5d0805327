/* The container create request -> compose service mapping of the API
 * service (orchestrator/api/api-compose.c): the bodies the docker CLI
 * 20.10 sends (captured from `docker run` with and without options) pass
 * and turn into the compose keys the run time applies; what is not
 * applied is refused by name. */
#include "tap.h"

#include "api-internal.h"

/* docker run --rm busybox:test true */
static const char plain[] =
        "{\"AttachStderr\":true,\"AttachStdin\":false,\"AttachStdout\":true,\"Cmd\":[\"true\"],\"Domainname\""
        ":\"\",\"Entrypoint\":null,\"Env\":null,\"HostConfig\":{\"AutoRemove\":true,\"Binds\":null,\"BlkioDev"
        "iceReadBps\":null,\"BlkioDeviceReadIOps\":null,\"BlkioDeviceWriteBps\":null,\"BlkioDeviceWriteIOps\""
        ":null,\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"CapAdd\":null,\"CapDrop\":null,\"Cgroup\":\"\",\""
        "CgroupParent\":\"\",\"CgroupnsMode\":\"\",\"ConsoleSize\":[0,0],\"ContainerIDFile\":\"\",\"CpuCount\""
        ":0,\"CpuPercent\":0,\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,"
        "\"CpuShares\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"DeviceCgroupRules\":null,\"DeviceRequests\""
        ":null,\"Devices\":[],\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":"
        "null,\"IOMaximumBandwidth\":0,\"IOMaximumIOps\":0,\"IpcMode\":\"\",\"Isolation\":\"\",\"KernelMemory"
        "\":0,\"KernelMemoryTCP\":0,\"Links\":null,\"LogConfig\":{\"Config\":{},\"Type\":\"\"},\"MaskedPaths\""
        ":null,\"Memory\":0,\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":-1,\"NanoCpus\":0,\""
        "NetworkMode\":\"default\",\"OomKillDisable\":false,\"OomScoreAdj\":0,\"PidMode\":\"\",\"PidsLimit\":"
        "0,\"PortBindings\":{},\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyPaths\":null,\"Readon"
        "lyRootfs\":false,\"RestartPolicy\":{\"MaximumRetryCount\":0,\"Name\":\"no\"},\"SecurityOpt\":null,\""
        "ShmSize\":0,\"UTSMode\":\"\",\"Ulimits\":null,\"UsernsMode\":\"\",\"VolumeDriver\":\"\",\"VolumesFro"
        "m\":null},\"Hostname\":\"\",\"Image\":\"busybox:test\",\"Labels\":{},\"NetworkingConfig\":{\"Endpoin"
        "tsConfig\":{}},\"OnBuild\":null,\"OpenStdin\":false,\"StdinOnce\":false,\"Tty\":false,\"User\":\"\","
        "\"Volumes\":{},\"WorkingDir\":\"\"}";
/* docker run --rm --memory 64m --cpus 0.5 --cpu-shares 512 --pids-limit 50
 * --cap-drop NET_RAW --cap-add SYS_TIME --privileged --init --health-cmd true
 * --health-interval 2s --read-only --tmpfs /run:size=1m --add-host h:1.2.3.4
 * --dns 1.1.1.1 --shm-size 8m --security-opt no-new-privileges --ulimit
 * nofile=100:200 --sysctl net.core.somaxconn=100 --stop-signal SIGUSR1
 * --stop-timeout 3 -v /data busybox:test true */
static const char full[] =
        "{\"AttachStderr\":true,\"AttachStdin\":false,\"AttachStdout\":true,\"Cmd\":[\"true\"],\"Domainname\""
        ":\"\",\"Entrypoint\":null,\"Env\":null,\"Healthcheck\":{\"Interval\":2000000000,\"Test\":[\"CMD-SHEL"
        "L\",\"true\"]},\"HostConfig\":{\"AutoRemove\":true,\"Binds\":null,\"BlkioDeviceReadBps\":null,\"Blki"
        "oDeviceReadIOps\":null,\"BlkioDeviceWriteBps\":null,\"BlkioDeviceWriteIOps\":null,\"BlkioWeight\":0,"
        "\"BlkioWeightDevice\":[],\"CapAdd\":[\"SYS_TIME\"],\"CapDrop\":[\"NET_RAW\"],\"Cgroup\":\"\",\"Cgrou"
        "pParent\":\"\",\"CgroupnsMode\":\"\",\"ConsoleSize\":[0,0],\"ContainerIDFile\":\"\",\"CpuCount\":0,\""
        "CpuPercent\":0,\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"Cpu"
        "Shares\":512,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"DeviceCgroupRules\":null,\"DeviceRequests\":n"
        "ull,\"Devices\":[],\"Dns\":[\"1.1.1.1\"],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":[\"h:1.2."
        "3.4\"],\"GroupAdd\":null,\"IOMaximumBandwidth\":0,\"IOMaximumIOps\":0,\"Init\":true,\"IpcMode\":\"\""
        ",\"Isolation\":\"\",\"KernelMemory\":0,\"KernelMemoryTCP\":0,\"Links\":null,\"LogConfig\":{\"Config\""
        ":{},\"Type\":\"\"},\"MaskedPaths\":null,\"Memory\":67108864,\"MemoryReservation\":0,\"MemorySwap\":0"
        ",\"MemorySwappiness\":-1,\"NanoCpus\":500000000,\"NetworkMode\":\"default\",\"OomKillDisable\":false"
        ",\"OomScoreAdj\":0,\"PidMode\":\"\",\"PidsLimit\":50,\"PortBindings\":{},\"Privileged\":true,\"Publi"
        "shAllPorts\":false,\"ReadonlyPaths\":null,\"ReadonlyRootfs\":true,\"RestartPolicy\":{\"MaximumRetryC"
        "ount\":0,\"Name\":\"no\"},\"SecurityOpt\":[\"no-new-privileges\"],\"ShmSize\":8388608,\"Sysctls\":{\""
        "net.core.somaxconn\":\"100\"},\"Tmpfs\":{\"/run\":\"size=1m\"},\"UTSMode\":\"\",\"Ulimits\":[{\"Hard"
        "\":200,\"Name\":\"nofile\",\"Soft\":100}],\"UsernsMode\":\"\",\"VolumeDriver\":\"\",\"VolumesFrom\":"
        "null},\"Hostname\":\"\",\"Image\":\"busybox:test\",\"Labels\":{},\"NetworkingConfig\":{\"EndpointsCo"
        "nfig\":{}},\"OnBuild\":null,\"OpenStdin\":false,\"StdinOnce\":false,\"StopSignal\":\"SIGUSR1\",\"Sto"
        "pTimeout\":3,\"Tty\":false,\"User\":\"\",\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"\"}";

static json_object *map(const char *text, int *status, char **msg)
{
        json_object *body = json_tokener_parse(text);
        ASSERT_NOT_NULL(body);
        struct cc_error err = {0};
        *status = 0;
        json_object *svc = cc_api_compose_service(body, "c1", status, &err);
        *msg = svc ? NULL : cc_xstrdup(cc_error_msg(&err));
        cc_error_clear(&err);
        json_object_put(body);
        return svc;
}

static const char *str(json_object *svc, const char *key)
{
        json_object *v = NULL;
        return json_object_object_get_ex(svc, key, &v) ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : NULL;
}

TEST(cli_defaults_pass)
{
        int status;
        char *msg;
        json_object *svc = map(plain, &status, &msg);
        if (!svc)
                tap_fail(__FILE__, __LINE__, "refused (%d): %s", status, msg);
        /* nothing but what was asked */
        ASSERT_STREQ(str(svc, "image"), "\"busybox:test\"");
        ASSERT_STREQ(str(svc, "command"), "[\"true\"]");
        ASSERT_NULL(str(svc, "mem_limit"));
        ASSERT_NULL(str(svc, "init"));
        ASSERT_NULL(str(svc, "healthcheck"));
        ASSERT_NULL(str(svc, "mem_swappiness"));
        ASSERT_INTEQ(json_object_object_length(svc), 3);
        json_object_put(svc);
}

TEST(cli_options_mapped)
{
        int status;
        char *msg;
        json_object *svc = map(full, &status, &msg);
        if (!svc)
                tap_fail(__FILE__, __LINE__, "refused (%d): %s", status, msg);
        ASSERT_STREQ(str(svc, "mem_limit"), "67108864");
        ASSERT_STREQ(str(svc, "cpus"), "0.5");
        ASSERT_STREQ(str(svc, "cpu_shares"), "512");
        ASSERT_STREQ(str(svc, "pids_limit"), "50");
        ASSERT_STREQ(str(svc, "cap_add"), "[\"SYS_TIME\"]");
        ASSERT_STREQ(str(svc, "cap_drop"), "[\"NET_RAW\"]");
        ASSERT_STREQ(str(svc, "privileged"), "true");
        ASSERT_STREQ(str(svc, "init"), "true");
        ASSERT_STREQ(str(svc, "read_only"), "true");
        ASSERT_STREQ(str(svc, "tmpfs"), "[\"\\/run:size=1m\"]");
        ASSERT_STREQ(str(svc, "extra_hosts"), "[\"h:1.2.3.4\"]");
        ASSERT_STREQ(str(svc, "dns"), "[\"1.1.1.1\"]");
        ASSERT_STREQ(str(svc, "shm_size"), "8388608");
        ASSERT_STREQ(str(svc, "security_opt"), "[\"no-new-privileges\"]");
        ASSERT_STREQ(str(svc, "ulimits"), "{\"nofile\":{\"soft\":100,\"hard\":200}}");
        ASSERT_STREQ(str(svc, "sysctls"), "{\"net.core.somaxconn\":\"100\"}");
        ASSERT_STREQ(str(svc, "stop_signal"), "\"SIGUSR1\"");
        ASSERT_STREQ(str(svc, "stop_grace_period"), "\"3s\"");
        ASSERT_STREQ(str(svc, "volumes"), "[\"\\/data\"]");
        ASSERT_STREQ(str(svc, "healthcheck"), "{\"test\":[\"CMD-SHELL\",\"true\"],\"interval\":\"2s\"}");
        json_object_put(svc);
}

/* one member changed in the plain body: refused with its name */
static void refused(const char *part, const char *key, const char *value, int want_status, const char *want_msg)
{
        json_object *body = json_tokener_parse(plain);
        json_object *at = body;
        if (part)
                json_object_object_get_ex(body, part, &at);
        json_object_object_add(at, key, json_tokener_parse(value));
        int status;
        char *msg;
        json_object *svc = map(json_object_to_json_string(body), &status, &msg);
        json_object_put(body);
        if (svc)
                tap_fail(__FILE__, __LINE__, "%s=%s was accepted: %s", key, value,
                         json_object_to_json_string(svc));
        ASSERT_INTEQ(status, want_status);
        ASSERT_CONTAINS(msg, want_msg);
        free(msg);
}

TEST(unsupported_refused_by_name)
{
        refused("HostConfig", "CgroupParent", "\"mine\"", 400, "HostConfig.CgroupParent is not supported");
        refused("HostConfig", "BlkioWeight", "300", 400, "HostConfig.BlkioWeight is not supported");
        refused("HostConfig", "DeviceRequests", "[{\"Driver\":\"nvidia\"}]", 400, "HostConfig.DeviceRequests");
        refused("HostConfig", "UsernsMode", "\"host\"", 400, "HostConfig.UsernsMode");
        refused("HostConfig", "PidMode", "\"container:x\"", 400, "HostConfig.PidMode container:x is not supported");
        refused("HostConfig", "Frobnicate", "1", 400, "unknown field \"Frobnicate\" in HostConfig");
        refused(NULL, "MacAddress", "\"02:42:ac:11:00:02\"", 400, "Config.MacAddress is not supported");
        refused(NULL, "Shell", "[\"/bin/bash\", \"-c\"]", 400, "Config.Shell");
        refused(NULL, "Healthcheck", "{\"Test\":[\"WHAT\"]}", 400, "CMD, CMD-SHELL or NONE");
}

TEST(wrong_types_refused)
{
        refused("HostConfig", "Memory", "\"64m\"", 400, "HostConfig.Memory has the wrong type");
        refused("HostConfig", "CapAdd", "\"NET_ADMIN\"", 400, "HostConfig.CapAdd has the wrong type");
        refused("HostConfig", "Init", "\"yes\"", 400, "HostConfig.Init has the wrong type");
        refused("HostConfig", "MemorySwappiness", "101", 400, "swappiness");
        refused(NULL, "StopTimeout", "\"3\"", 400, "Config.StopTimeout");
        refused("HostConfig", "Binds", "[1]", 400, "HostConfig.Binds has the wrong type");
        refused(NULL, "Cmd", "[1]", 400, "Config.Cmd has the wrong type");
}

TEST(healthcheck_none_disables)
{
        json_object *body = json_tokener_parse(plain);
        json_object_object_add(body, "Healthcheck", json_tokener_parse("{\"Test\":[\"NONE\"]}"));
        int status;
        char *msg;
        json_object *svc = map(json_object_to_json_string(body), &status, &msg);
        json_object_put(body);
        ASSERT_NOT_NULL(svc);
        ASSERT_STREQ(str(svc, "healthcheck"), "{\"disable\":true}");
        json_object_put(svc);
}
