/* Validation of one compose file against the Compose Specification.
 *
 * The specification is a JSON schema (compose-spec/schema/compose-spec.json,
 * with the additions of compose-go, the reference implementation). Here it
 * is a set of C tables: a struct cc__schema describes one value (the types
 * it may have, the keys of a mapping, the schema of a sequence's items, the
 * strings it may hold), and the checker walks the document and the tables
 * side by side. Where the specification allows one of several shapes
 * ("oneOf": a string or a mapping, a list or a dict), every shape of one
 * value is described by the same table entry: at most one mapping shape and
 * one sequence shape, which is all the specification needs.
 *
 * Departures from the JSON schema, on purpose:
 * - Booleans: the schema also allows strings there, so that "${VAR}" passes
 *   before interpolation. We validate after interpolation, so a boolean must
 *   be a real YAML boolean, or a string that came out of interpolation and
 *   reads as one (y, yes, true, on, n, no, false, off, as compose-go casts).
 * - Interpolated strings are converted in place to the number or boolean the
 *   key expects, where the key's value is typed (not in free-form maps such
 *   as environment, labels or driver_opts).
 * - pull_policy and container_name patterns are anchored (the schema's are
 *   not), and a few values the schema leaves free but the engine must
 *   understand are checked: restart, ports[].protocol and ports[].mode,
 *   deploy.mode, deploy.endpoint_mode, deploy.restart_policy.condition.
 * - uniqueItems is checked for lists of plain strings, except where compose
 *   removes repeated entries before validating (environment, ports, expose,
 *   volumes, secrets, configs). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

#include "interpolate.h"
#include "schema.h"

enum {
        T_STR = 1u << 0,
        T_INT = 1u << 1, /* an integer */
        T_NUM = 1u << 2, /* an integer or a float */
        T_BOOL = 1u << 3,
        T_NULL = 1u << 4,
        T_SEQ = 1u << 5,
        T_MAP = 1u << 6,
        T_NOCAST = 1u << 7, /* interpolated strings stay strings */
        T_STRICT = 1u << 8, /* a string written as such is not cast (the
                             * schema allows no string there) */
        T_ANY = T_STR | T_NUM | T_BOOL | T_NULL | T_SEQ | T_MAP | T_NOCAST,
};

/* Which keys of a mapping `values` applies to (patternProperties). */
enum cc__names {
        NAMES_NONE,
        NAMES_ANY,   /* .+ */
        NAMES_IDENT, /* ^[a-zA-Z0-9._-]+$ */
        NAMES_LOWER, /* ^[a-z]+$ */
};

struct cc__schema;

struct cc__schema_key {
        const char *name;
        const struct cc__schema *schema;
};

struct cc__schema {
        unsigned types;
        /* Mappings. */
        const struct cc__schema_key *keys; /* fixed keys, NULL-terminated */
        const struct cc__schema *values;   /* keys whose name matches `names` */
        enum cc__names names;
        bool closed;                 /* any other key is an error */
        bool ext;                    /* x-* keys are allowed */
        const char *const *required; /* keys that must be present */
        bool required_any;           /* one of `required` is enough */
        /* Sequences. */
        const struct cc__schema *items;
        bool unique; /* no scalar item twice */
        /* Scalars. */
        const char *const *enumv;      /* allowed strings, NULL-terminated */
        bool (*check)(const char *s);  /* syntax of a string */
        const char *check_desc;        /* what check wants, after "must " */
        bool has_min, has_max;         /* range of an integer */
        long long min, max;
};

#define KEYS(...) ((const struct cc__schema_key[]){__VA_ARGS__, {NULL, NULL}})
#define STRS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define SCH(...) (&(const struct cc__schema){__VA_ARGS__})

/* ---- syntax checks the JSON schema writes as patterns ---- */

static bool cc__is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool cc__is_alnum(char c)
{
        return cc__is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+ */
static bool cc__pull_policy_ok(const char *s)
{
        static const char *const fixed[] = {"always", "never",   "build", "if_not_present",
                                            "missing", "refresh", "daily", "weekly"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(fixed); i++)
                if (strcmp(s, fixed[i]) == 0)
                        return true;
        if (!cc_startswith(s, "every_"))
                return false;
        s += strlen("every_");
        if (!*s)
                return false;
        while (*s) {
                if (!cc__is_digit(*s))
                        return false;
                while (cc__is_digit(*s))
                        s++;
                if (!*s || !strchr("wdhms", *s))
                        return false;
                s++;
        }
        return true;
}

/* Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
static bool cc__container_name_ok(const char *s)
{
        if (!cc__is_alnum(s[0]) || !s[1])
                return false;
        for (s++; *s; s++)
                if (!cc__is_alnum(*s) && !strchr("_.-", *s))
                        return false;
        return true;
}

/* no | always | unless-stopped | on-failure[:N] */
static bool cc__restart_ok(const char *s)
{
        if (cc_streq(s, "no") || cc_streq(s, "always") || cc_streq(s, "unless-stopped") ||
            cc_streq(s, "on-failure"))
                return true;
        if (!cc_startswith(s, "on-failure:") || !s[strlen("on-failure:")])
                return false;
        for (s += strlen("on-failure:"); *s; s++)
                if (!cc__is_digit(*s))
                        return false;
        return true;
}

static bool cc__name_ok(enum cc__names names, const char *s)
{
        switch (names) {
        case NAMES_NONE:
                return false;
        case NAMES_ANY:
                return *s != '\0';
        case NAMES_IDENT:
                if (!*s)
                        return false;
                for (; *s; s++)
                        if (!cc__is_alnum(*s) && !strchr("._-", *s))
                                return false;
                return true;
        case NAMES_LOWER:
                if (!*s)
                        return false;
                for (; *s; s++)
                        if (*s < 'a' || *s > 'z')
                                return false;
                return true;
        }
        return false;
}

static const char *cc__names_desc(enum cc__names names)
{
        switch (names) {
        case NAMES_IDENT:
                return "[a-zA-Z0-9._-]+";
        case NAMES_LOWER:
                return "[a-z]+";
        default:
                return ".+";
        }
}

/* ---- the specification ---- */

static const struct cc__schema sc_str = {.types = T_STR};
static const struct cc__schema sc_bool = {.types = T_BOOL};
static const struct cc__schema sc_bool_strict = {.types = T_BOOL | T_STRICT};
static const struct cc__schema sc_num = {.types = T_NUM | T_STRICT};
static const struct cc__schema sc_int = {.types = T_INT | T_STRICT};
static const struct cc__schema sc_int_str = {.types = T_INT | T_STR};
static const struct cc__schema sc_num_str = {.types = T_NUM | T_STR};
static const struct cc__schema sc_open_map = {.types = T_MAP};
static const struct cc__schema sc_strings = {.types = T_SEQ, .items = &sc_str};
static const struct cc__schema sc_list_of_strings = {.types = T_SEQ, .items = &sc_str, .unique = true};
static const struct cc__schema sc_string_or_list = {.types = T_STR | T_SEQ, .items = &sc_str, .unique = true};
static const struct cc__schema sc_command = {.types = T_NULL | T_STR | T_SEQ, .items = &sc_str};

/* list_or_dict: KEY=VAL strings, or a mapping of scalars (or null). */
static const struct cc__schema sc_dict_value = {.types = T_STR | T_NUM | T_BOOL | T_NULL | T_NOCAST};
static const struct cc__schema sc_list_or_dict = {
        .types = T_MAP | T_SEQ, .values = &sc_dict_value, .names = NAMES_ANY, .closed = true,
        .items = &sc_str, .unique = true};
/* environment: compose drops repeated entries of the list before validating */
static const struct cc__schema sc_environment = {
        .types = T_MAP | T_SEQ, .values = &sc_dict_value, .names = NAMES_ANY, .closed = true,
        .items = &sc_str};
static const struct cc__schema sc_driver_opts = {
        .types = T_MAP, .values = SCH(.types = T_STR | T_NUM | T_NOCAST), .names = NAMES_ANY};

static const struct cc__schema sc_extra_hosts = {
        .types = T_MAP | T_SEQ, .names = NAMES_ANY, .closed = true,
        .values = SCH(.types = T_STR | T_SEQ, .items = &sc_str), .items = &sc_str, .unique = true};

static const struct cc__schema sc_ulimits = {
        .types = T_MAP, .names = NAMES_LOWER,
        .values = SCH(.types = T_INT | T_STR | T_MAP, .closed = true, .ext = true,
                      .keys = KEYS({"hard", &sc_int_str}, {"soft", &sc_int_str}),
                      .required = STRS("soft", "hard"))};

static const struct cc__schema sc_config_or_secret = {
        .types = T_SEQ,
        .items = SCH(.types = T_STR | T_MAP, .closed = true, .ext = true,
                     .keys = KEYS({"source", &sc_str}, {"target", &sc_str}, {"uid", &sc_str},
                                  {"gid", &sc_str}, {"mode", &sc_num_str}))};

static const struct cc__schema sc_service_hook = {
        .types = T_MAP, .closed = true, .ext = true, .required = STRS("command"),
        .keys = KEYS({"command", &sc_command}, {"user", &sc_str}, {"privileged", &sc_bool},
                     {"working_dir", &sc_str}, {"environment", &sc_list_or_dict})};

static const struct cc__schema_key sc_device_keys[] = {
        {"capabilities", &sc_list_of_strings},
        {"count", &sc_int_str},
        {"device_ids", &sc_list_of_strings},
        {"driver", &sc_str},
        {"options", &sc_list_or_dict},
        {NULL, NULL},
};

static const struct cc__schema sc_build = {
        .types = T_STR | T_MAP, .closed = true, .ext = true,
        .keys = KEYS({"context", &sc_str}, {"dockerfile", &sc_str}, {"dockerfile_inline", &sc_str},
                     {"entitlements", &sc_strings}, {"args", &sc_list_or_dict}, {"ssh", &sc_list_or_dict},
                     {"labels", &sc_list_or_dict}, {"cache_from", &sc_strings}, {"cache_to", &sc_strings},
                     {"no_cache", &sc_bool}, {"additional_contexts", &sc_list_or_dict},
                     {"network", &sc_str}, {"provenance", SCH(.types = T_STR | T_BOOL | T_NOCAST)},
                     {"sbom", SCH(.types = T_STR | T_BOOL | T_NOCAST)}, {"pull", &sc_bool},
                     {"target", &sc_str}, {"shm_size", &sc_int_str}, {"extra_hosts", &sc_extra_hosts},
                     {"isolation", &sc_str}, {"privileged", &sc_bool}, {"secrets", &sc_config_or_secret},
                     {"tags", &sc_strings}, {"ulimits", &sc_ulimits}, {"platforms", &sc_strings})};

static const struct cc__schema sc_blkio_limit = {
        .types = T_MAP, .closed = true, .keys = KEYS({"path", &sc_str}, {"rate", &sc_int_str})};
static const struct cc__schema sc_blkio_weight = {
        .types = T_MAP, .closed = true, .keys = KEYS({"path", &sc_str}, {"weight", &sc_int_str})};
static const struct cc__schema sc_blkio_config = {
        .types = T_MAP, .closed = true,
        .keys = KEYS({"device_read_bps", SCH(.types = T_SEQ, .items = &sc_blkio_limit)},
                     {"device_read_iops", SCH(.types = T_SEQ, .items = &sc_blkio_limit)},
                     {"device_write_bps", SCH(.types = T_SEQ, .items = &sc_blkio_limit)},
                     {"device_write_iops", SCH(.types = T_SEQ, .items = &sc_blkio_limit)},
                     {"weight", &sc_int_str},
                     {"weight_device", SCH(.types = T_SEQ, .items = &sc_blkio_weight)})};

static const struct cc__schema sc_depends_on = {
        .types = T_SEQ | T_MAP, .items = &sc_str, .unique = true, .names = NAMES_IDENT, .closed = true,
        .values = SCH(.types = T_MAP, .closed = true, .ext = true, .required = STRS("condition"),
                      .keys = KEYS({"restart", &sc_bool}, {"required", &sc_bool},
                                   {"condition", SCH(.types = T_STR,
                                                     .enumv = STRS("service_started", "service_healthy",
                                                                   "service_completed_successfully"))}))};

static const struct cc__schema sc_devices = {
        .types = T_SEQ,
        .items = SCH(.types = T_STR | T_MAP, .closed = true, .ext = true, .required = STRS("source"),
                     .keys = KEYS({"source", &sc_str}, {"target", &sc_str}, {"permissions", &sc_str}))};

static const struct cc__schema sc_env_file = {
        .types = T_STR | T_SEQ,
        .items = SCH(.types = T_STR | T_MAP, .closed = true, .required = STRS("path"),
                     .keys = KEYS({"path", &sc_str}, {"format", &sc_str}, {"required", &sc_bool}))};

static const struct cc__schema sc_extends = {
        .types = T_STR | T_MAP, .closed = true, .required = STRS("service"),
        .keys = KEYS({"service", &sc_str}, {"file", &sc_str})};

static const struct cc__schema sc_provider_value = {
        .types = T_STR | T_NUM | T_BOOL | T_SEQ | T_NOCAST,
        .items = SCH(.types = T_STR | T_NUM | T_BOOL | T_NOCAST)};
static const struct cc__schema sc_provider = {
        .types = T_MAP, .closed = true, .ext = true, .required = STRS("type"),
        .keys = KEYS({"type", &sc_str},
                     {"options", SCH(.types = T_MAP, .names = NAMES_ANY, .values = &sc_provider_value)})};

static const struct cc__schema sc_gpus = {
        .types = T_STR | T_SEQ, .enumv = STRS("all"),
        .items = SCH(.types = T_MAP, .closed = true, .ext = true, .keys = sc_device_keys)};

static const struct cc__schema sc_healthcheck = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS({"disable", &sc_bool}, {"interval", &sc_str}, {"retries", &sc_num_str},
                     {"test", SCH(.types = T_STR | T_SEQ, .items = &sc_str)}, {"timeout", &sc_str},
                     {"start_period", &sc_str}, {"start_interval", &sc_str})};

static const struct cc__schema sc_logging = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS({"driver", &sc_str},
                     {"options", SCH(.types = T_MAP, .names = NAMES_ANY,
                                     .values = SCH(.types = T_STR | T_NUM | T_NULL | T_NOCAST))})};

static const struct cc__schema sc_service_models = {
        .types = T_SEQ | T_MAP, .items = &sc_str, .unique = true, .names = NAMES_IDENT,
        .values = SCH(.types = T_MAP, .closed = true, .ext = true,
                      .keys = KEYS({"endpoint_var", &sc_str}, {"model_var", &sc_str}))};

static const struct cc__schema sc_service_networks = {
        .types = T_SEQ | T_MAP, .items = &sc_str, .unique = true, .names = NAMES_IDENT, .closed = true,
        .values = SCH(.types = T_MAP | T_NULL, .closed = true, .ext = true,
                      .keys = KEYS({"aliases", &sc_list_of_strings}, {"interface_name", &sc_str},
                                   {"ipv4_address", &sc_str}, {"ipv6_address", &sc_str},
                                   {"link_local_ips", &sc_list_of_strings}, {"mac_address", &sc_str},
                                   {"driver_opts", &sc_driver_opts}, {"priority", &sc_num},
                                   {"gw_priority", &sc_num}))};

static const struct cc__schema sc_ports = {
        .types = T_SEQ,
        .items = SCH(.types = T_NUM | T_STR | T_MAP | T_NOCAST, .closed = true, .ext = true,
                     .keys = KEYS({"name", &sc_str},
                                  {"mode", SCH(.types = T_STR, .enumv = STRS("host", "ingress"))},
                                  {"host_ip", &sc_str}, {"target", &sc_int_str}, {"published", &sc_int_str},
                                  {"protocol", SCH(.types = T_STR, .enumv = STRS("tcp", "udp", "sctp"))},
                                  {"app_protocol", &sc_str}))};

static const struct cc__schema sc_volume_mount = {
        .types = T_STR | T_MAP, .closed = true, .ext = true, .required = STRS("type"),
        .keys = KEYS(
                {"type", SCH(.types = T_STR, .enumv = STRS("bind", "volume", "tmpfs", "cluster", "npipe", "image"))},
                {"source", &sc_str}, {"target", &sc_str}, {"read_only", &sc_bool}, {"consistency", &sc_str},
                {"bind", SCH(.types = T_MAP, .closed = true, .ext = true,
                             .keys = KEYS({"propagation", &sc_str}, {"create_host_path", &sc_bool},
                                          {"recursive", SCH(.types = T_STR, .enumv = STRS("enabled", "disabled",
                                                                                          "writable", "readonly"))},
                                          {"selinux", SCH(.types = T_STR, .enumv = STRS("z", "Z"))}))},
                {"volume", SCH(.types = T_MAP, .closed = true, .ext = true,
                               .keys = KEYS({"labels", &sc_list_or_dict}, {"nocopy", &sc_bool},
                                            {"subpath", &sc_str}))},
                {"tmpfs", SCH(.types = T_MAP, .closed = true, .ext = true,
                              .keys = KEYS({"size", SCH(.types = T_INT | T_STR, .has_min = true, .min = 0)},
                                           {"mode", &sc_num_str}))},
                {"image", SCH(.types = T_MAP, .closed = true, .ext = true, .keys = KEYS({"subpath", &sc_str}))})};

static const struct cc__schema sc_development = {
        .types = T_MAP | T_NULL, .closed = true, .ext = true,
        .keys = KEYS({"watch", SCH(.types = T_SEQ,
                                   .items = SCH(.types = T_MAP, .closed = true, .ext = true,
                                                .required = STRS("path", "action"),
                                                .keys = KEYS({"ignore", &sc_string_or_list},
                                                             {"include", &sc_string_or_list}, {"path", &sc_str},
                                                             {"action", SCH(.types = T_STR,
                                                                            .enumv = STRS("rebuild", "sync", "restart",
                                                                                          "sync+restart", "sync+exec"))},
                                                             {"target", &sc_str}, {"exec", &sc_service_hook},
                                                             {"initial_sync", &sc_bool_strict})))})};

static const struct cc__schema sc_update_config = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS({"parallelism", &sc_int_str}, {"delay", &sc_str}, {"failure_action", &sc_str},
                     {"monitor", &sc_str}, {"max_failure_ratio", &sc_num_str},
                     {"order", SCH(.types = T_STR, .enumv = STRS("start-first", "stop-first"))})};

static const struct cc__schema sc_resources = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS(
                {"limits", SCH(.types = T_MAP, .closed = true, .ext = true,
                               .keys = KEYS({"cpus", &sc_num_str}, {"memory", &sc_str}, {"pids", &sc_int_str}))},
                {"reservations",
                 SCH(.types = T_MAP, .closed = true, .ext = true,
                     .keys = KEYS({"cpus", &sc_num_str}, {"memory", &sc_str},
                                  {"generic_resources",
                                   SCH(.types = T_SEQ,
                                       .items = SCH(.types = T_MAP, .closed = true, .ext = true,
                                                    .keys = KEYS({"discrete_resource_spec",
                                                                  SCH(.types = T_MAP, .closed = true, .ext = true,
                                                                      .keys = KEYS({"kind", &sc_str},
                                                                                   {"value", &sc_num_str}))})))},
                                  {"devices", SCH(.types = T_SEQ,
                                                  .items = SCH(.types = T_MAP, .closed = true, .ext = true,
                                                               .keys = sc_device_keys,
                                                               .required = STRS("capabilities")))}))})};

static const struct cc__schema sc_deployment = {
        .types = T_MAP | T_NULL, .closed = true, .ext = true,
        .keys = KEYS(
                {"mode", SCH(.types = T_STR, .enumv = STRS("replicated", "global", "replicated-job", "global-job"))},
                {"endpoint_mode", SCH(.types = T_STR, .enumv = STRS("vip", "dnsrr"))},
                {"replicas", &sc_int_str}, {"labels", &sc_list_or_dict}, {"rollback_config", &sc_update_config},
                {"update_config", &sc_update_config}, {"resources", &sc_resources},
                {"restart_policy",
                 SCH(.types = T_MAP, .closed = true, .ext = true,
                     .keys = KEYS({"condition", SCH(.types = T_STR, .enumv = STRS("none", "on-failure", "any"))},
                                  {"delay", &sc_str}, {"max_attempts", &sc_int_str}, {"window", &sc_str}))},
                {"placement",
                 SCH(.types = T_MAP, .closed = true, .ext = true,
                     .keys = KEYS({"constraints", &sc_strings},
                                  {"preferences", SCH(.types = T_SEQ,
                                                      .items = SCH(.types = T_MAP, .closed = true, .ext = true,
                                                                   .keys = KEYS({"spread", &sc_str})))},
                                  {"max_replicas_per_node", &sc_int_str}))})};

static const struct cc__schema sc_service = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS(
                {"develop", &sc_development},
                {"deploy", &sc_deployment},
                {"annotations", &sc_list_or_dict},
                {"attach", &sc_bool},
                {"build", &sc_build},
                {"blkio_config", &sc_blkio_config},
                {"cap_add", &sc_list_of_strings},
                {"cap_drop", &sc_list_of_strings},
                {"cgroup", SCH(.types = T_STR, .enumv = STRS("host", "private"))},
                {"cgroup_parent", &sc_str},
                {"command", &sc_command},
                {"configs", &sc_config_or_secret},
                {"container_name", SCH(.types = T_STR, .check = cc__container_name_ok,
                                       .check_desc = "match [a-zA-Z0-9][a-zA-Z0-9_.-]+")},
                {"cpu_count", SCH(.types = T_INT | T_STR, .has_min = true, .min = 0)},
                {"cpu_percent", SCH(.types = T_INT | T_STR, .has_min = true, .min = 0, .has_max = true, .max = 100)},
                {"cpu_shares", &sc_num_str},
                {"cpu_quota", &sc_num_str},
                {"cpu_period", &sc_num_str},
                {"cpu_rt_period", &sc_num_str},
                {"cpu_rt_runtime", &sc_num_str},
                {"cpus", &sc_num_str},
                {"cpuset", &sc_str},
                {"credential_spec", SCH(.types = T_MAP, .closed = true, .ext = true,
                                        .keys = KEYS({"config", &sc_str}, {"file", &sc_str}, {"registry", &sc_str}))},
                {"depends_on", &sc_depends_on},
                {"device_cgroup_rules", &sc_list_of_strings},
                {"devices", &sc_devices},
                {"dns", &sc_string_or_list},
                {"dns_opt", &sc_list_of_strings},
                {"dns_search", &sc_string_or_list},
                {"domainname", &sc_str},
                {"entrypoint", &sc_command},
                {"env_file", &sc_env_file},
                {"label_file", SCH(.types = T_STR | T_SEQ, .items = &sc_str)},
                {"environment", &sc_environment},
                {"expose", SCH(.types = T_SEQ, .items = SCH(.types = T_STR | T_NUM | T_NOCAST))},
                {"extends", &sc_extends},
                {"provider", &sc_provider},
                {"external_links", &sc_list_of_strings},
                {"extra_hosts", &sc_extra_hosts},
                {"gpus", &sc_gpus},
                {"group_add", SCH(.types = T_SEQ, .unique = true, .items = SCH(.types = T_STR | T_NUM | T_NOCAST))},
                {"healthcheck", &sc_healthcheck},
                {"hostname", &sc_str},
                {"image", &sc_str},
                {"init", &sc_bool},
                {"ipc", &sc_str},
                {"isolation", &sc_str},
                {"labels", &sc_list_or_dict},
                {"links", &sc_list_of_strings},
                {"logging", &sc_logging},
                {"mac_address", &sc_str},
                {"mem_limit", &sc_num_str},
                {"mem_reservation", &sc_int_str},
                {"mem_swappiness", &sc_int_str},
                {"memswap_limit", &sc_num_str},
                {"network_mode", &sc_str},
                {"models", &sc_service_models},
                {"networks", &sc_service_networks},
                {"oom_kill_disable", &sc_bool},
                {"oom_score_adj", SCH(.types = T_INT | T_STR, .has_min = true, .min = -1000, .has_max = true,
                                      .max = 1000)},
                {"pid", SCH(.types = T_STR | T_NULL)},
                {"pids_limit", &sc_num_str},
                {"platform", &sc_str},
                {"ports", &sc_ports},
                {"post_start", SCH(.types = T_SEQ, .items = &sc_service_hook)},
                {"pre_stop", SCH(.types = T_SEQ, .items = &sc_service_hook)},
                {"privileged", &sc_bool},
                {"profiles", &sc_list_of_strings},
                {"pull_policy", SCH(.types = T_STR, .check = cc__pull_policy_ok,
                                    .check_desc = "be one of always, never, build, if_not_present, missing, "
                                                  "refresh, daily, weekly or every_<duration>")},
                {"pull_refresh_after", &sc_str},
                {"read_only", &sc_bool},
                {"restart", SCH(.types = T_STR, .check = cc__restart_ok,
                                .check_desc = "be one of no, always, on-failure[:max-retries], unless-stopped")},
                {"runtime", &sc_str},
                {"scale", &sc_int_str},
                {"security_opt", &sc_list_of_strings},
                {"shm_size", &sc_num_str},
                {"secrets", &sc_config_or_secret},
                {"sysctls", &sc_list_or_dict},
                {"stdin_open", &sc_bool},
                {"stop_grace_period", &sc_str},
                {"stop_signal", &sc_str},
                {"storage_opt", &sc_open_map},
                {"tmpfs", &sc_string_or_list},
                {"tty", &sc_bool},
                {"ulimits", &sc_ulimits},
                {"use_api_socket", &sc_bool_strict},
                {"user", &sc_str},
                {"uts", &sc_str},
                {"userns_mode", &sc_str},
                {"volumes", SCH(.types = T_SEQ, .items = &sc_volume_mount)},
                {"volumes_from", &sc_list_of_strings},
                {"working_dir", &sc_str})};

/* external: true, or the legacy {name: ...} */
static const struct cc__schema sc_external = {
        .types = T_BOOL | T_MAP, .closed = true, .ext = true, .keys = KEYS({"name", &sc_str})};

static const struct cc__schema sc_network = {
        .types = T_MAP | T_NULL, .closed = true, .ext = true,
        .keys = KEYS(
                {"name", &sc_str}, {"driver", &sc_str}, {"driver_opts", &sc_driver_opts},
                {"ipam",
                 SCH(.types = T_MAP, .closed = true, .ext = true,
                     .keys = KEYS({"driver", &sc_str},
                                  {"config", SCH(.types = T_SEQ,
                                                 .items = SCH(.types = T_MAP, .closed = true, .ext = true,
                                                              .keys = KEYS({"subnet", &sc_str}, {"ip_range", &sc_str},
                                                                           {"gateway", &sc_str},
                                                                           {"aux_addresses",
                                                                            SCH(.types = T_MAP, .closed = true,
                                                                                .names = NAMES_ANY,
                                                                                .values = &sc_str)})))},
                                  {"options", SCH(.types = T_MAP, .closed = true, .names = NAMES_ANY,
                                                  .values = &sc_str)}))},
                {"external", &sc_external}, {"internal", &sc_bool}, {"enable_ipv4", &sc_bool},
                {"enable_ipv6", &sc_bool}, {"attachable", &sc_bool}, {"labels", &sc_list_or_dict})};

static const struct cc__schema sc_volume = {
        .types = T_MAP | T_NULL, .closed = true, .ext = true,
        .keys = KEYS({"name", &sc_str}, {"driver", &sc_str}, {"driver_opts", &sc_driver_opts},
                     {"external", &sc_external}, {"labels", &sc_list_or_dict})};

static const struct cc__schema sc_secret = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS({"name", &sc_str}, {"environment", &sc_str}, {"file", &sc_str}, {"external", &sc_external},
                     {"labels", &sc_list_or_dict}, {"driver", &sc_str}, {"driver_opts", &sc_driver_opts},
                     {"template_driver", &sc_str})};

static const struct cc__schema sc_config = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS({"name", &sc_str}, {"content", &sc_str}, {"environment", &sc_str}, {"file", &sc_str},
                     {"external", &sc_external}, {"labels", &sc_list_or_dict}, {"template_driver", &sc_str})};

static const struct cc__schema sc_model = {
        .types = T_MAP, .closed = true, .ext = true, .required = STRS("model"),
        .keys = KEYS({"name", &sc_str}, {"model", &sc_str}, {"context_size", &sc_int},
                     {"runtime_flags", &sc_strings})};

static const struct cc__schema sc_include = {
        .types = T_SEQ,
        .items = SCH(.types = T_STR | T_MAP, .closed = true,
                     .keys = KEYS({"path", &sc_string_or_list}, {"env_file", &sc_string_or_list},
                                  {"project_directory", &sc_str}))};

static const struct cc__schema sc_top = {
        .types = T_MAP, .closed = true, .ext = true,
        .keys = KEYS(
                /* declared for backward compatibility and ignored; 3.8 unquoted is a number */
                {"version", SCH(.types = T_STR | T_NUM | T_NOCAST)},
                {"name", &sc_str},
                {"include", &sc_include},
                {"services", SCH(.types = T_MAP, .names = NAMES_IDENT, .closed = true, .values = &sc_service)},
                {"models", SCH(.types = T_MAP, .names = NAMES_IDENT, .values = &sc_model)},
                {"networks", SCH(.types = T_MAP, .names = NAMES_IDENT, .values = &sc_network)},
                {"volumes", SCH(.types = T_MAP, .names = NAMES_IDENT, .closed = true, .values = &sc_volume)},
                {"secrets", SCH(.types = T_MAP, .names = NAMES_IDENT, .closed = true, .values = &sc_secret)},
                {"configs", SCH(.types = T_MAP, .names = NAMES_IDENT, .closed = true, .values = &sc_config)})};

/* ---- the checker ---- */

struct cc__schema_ctx {
        struct cc_buf path; /* dotted path of the value being checked, "" at the top */
        struct cc_strv *warnings; /* may be NULL */
        struct cc_error *err;
};

static int cc__schema_fail(struct cc__schema_ctx *c, const struct cc_node *at, const char *fmt, ...)
        CC_PRINTF(3, 4);
static int cc__schema_fail(struct cc__schema_ctx *c, const struct cc_node *at, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = cc_pos_vfail(c->err, &at->pos, fmt, ap);
        va_end(ap);
        return r;
}

static size_t cc__schema_push(struct cc__schema_ctx *c, const char *key)
{
        size_t mark = c->path.len;
        if (mark)
                cc_buf_putc(&c->path, '.');
        cc_buf_puts(&c->path, key);
        return mark;
}

static size_t cc__schema_push_index(struct cc__schema_ctx *c, size_t i)
{
        size_t mark = c->path.len;
        cc_buf_printf(&c->path, "%s%zu", mark ? "." : "", i);
        return mark;
}

static void cc__schema_pop(struct cc__schema_ctx *c, size_t mark)
{
        c->path.len = mark;
        c->path.s[mark] = '\0';
}

static unsigned cc__node_type(const struct cc_node *n)
{
        if (cc_node_is_null(n))
                return T_NULL;
        if (n->kind == CC_NODE_MAP)
                return T_MAP;
        if (n->kind == CC_NODE_SEQ)
                return T_SEQ;
        switch (n->type) {
        case CC_INT:
                return T_INT | T_NUM;
        case CC_FLOAT:
                return T_NUM;
        case CC_BOOL:
                return T_BOOL;
        case CC_NULL:
                return T_NULL;
        case CC_STR:
                break;
        }
        return T_STR;
}

/* "a string or a mapping", "a string, a number or a boolean" */
static void cc__types_desc(struct cc_buf *b, unsigned types)
{
        static const struct {
                unsigned t;
                const char *name;
        } names[] = {
                {T_STR, "a string"}, {T_INT, "an integer"}, {T_NUM, "a number"}, {T_BOOL, "a boolean"},
                {T_MAP, "a mapping"}, {T_SEQ, "an array"},  {T_NULL, "null"},
        };
        size_t n = 0, total = 0;
        if (types & T_INT)
                types &= ~(unsigned) T_NUM;
        for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++)
                if (types & names[i].t)
                        total++;
        for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++) {
                if (!(types & names[i].t))
                        continue;
                if (n)
                        cc_buf_puts(b, n + 1 == total ? " or " : ", ");
                cc_buf_puts(b, names[i].name);
                n++;
        }
}

/* compose-go's boolean words: 1 true, 0 false, -1 neither */
static int cc__bool_word(const char *s)
{
        static const char *const yes[] = {"y", "yes", "true", "on"};
        static const char *const no[] = {"n", "no", "false", "off"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -1;
}

static bool cc__is_interpolated_str(const struct cc_node *n)
{
        return n && n->kind == CC_NODE_SCALAR && n->type == CC_STR && (n->flags & CC_NODE_INTERPOLATED);
}

/* A string where a boolean or a number is expected becomes that boolean
 * or number when its text reads as one: an interpolated string, or any
 * string where no string is allowed, as compose-go casts the values of
 * such keys (init: yes, with a warning for the YAML 1.1 words). */
static void cc__schema_cast(struct cc__schema_ctx *c, struct cc_node *n, unsigned types)
{
        if (!n || n->kind != CC_NODE_SCALAR || n->type != CC_STR || (types & T_NOCAST) ||
            !(types & (T_BOOL | T_INT | T_NUM)))
                return;
        if (!(n->flags & CC_NODE_INTERPOLATED) && ((types & (T_STR | T_STRICT)) || strchr(n->str, '$')))
                return;
        if (types & T_BOOL) {
                int b = cc__bool_word(n->str);
                if (b >= 0) {
                        if (c->warnings && strcasecmp(n->str, b ? "true" : "false") != 0)
                                cc_strv_push_owned(c->warnings,
                                                   cc_xasprintf("\"%s\" for boolean is not supported by YAML 1.2, "
                                                                "please use `%s`",
                                                                n->str, b ? "true" : "false"));
                        cc_node_set_scalar(n, b ? "true" : "false", CC_BOOL);
                        return;
                }
        }
        enum cc_scalar_type t = cc_scalar_resolve(n->str);
        if (((types & T_INT) && t == CC_INT) || ((types & T_NUM) && (t == CC_INT || t == CC_FLOAT)))
                cc_node_set_scalar(n, n->str, t);
}

/* With interpolation switched off (config --no-interpolate), "${VAR}" stays
 * as written: accept it where a boolean or a number is expected, as the
 * specification's schema does. After interpolation no such string is left
 * unflagged. */
static bool cc__is_uninterpolated(const struct cc_node *n, unsigned types)
{
        return n && n->kind == CC_NODE_SCALAR && n->type == CC_STR && !(n->flags & CC_NODE_INTERPOLATED) &&
               (types & (T_BOOL | T_INT | T_NUM)) && strchr(n->str, '$');
}

static bool cc__parse_int(const char *s, long long *out)
{
        bool neg = *s == '-';
        int base = 10;
        if (*s == '-' || *s == '+')
                s++;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                s += 2;
        } else if (s[0] == '0' && s[1] == 'o') {
                base = 8;
                s += 2;
        }
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, base);
        if (errno || end == s || *end)
                return false;
        *out = neg ? -v : v;
        return true;
}

static int cc__schema_check(struct cc__schema_ctx *c, struct cc_node *n, const struct cc__schema *s);

static int cc__schema_scalar(struct cc__schema_ctx *c, struct cc_node *n, const struct cc__schema *s)
{
        if (cc__is_uninterpolated(n, ~0u))
                return 0;
        if (n->type == CC_STR && s->enumv) {
                bool found = false;
                for (size_t i = 0; s->enumv[i] && !found; i++)
                        found = strcmp(n->str, s->enumv[i]) == 0;
                if (!found) {
                        struct cc_buf b = {0};
                        for (size_t i = 0; s->enumv[i]; i++)
                                cc_buf_printf(&b, "%s%s", i ? ", " : "", s->enumv[i]);
                        _cleanup_free_ char *list = cc_buf_steal(&b);
                        return cc__schema_fail(c, n, "%s must be one of %s", c->path.s, list);
                }
        }
        if (n->type == CC_STR && s->check && !s->check(n->str))
                return cc__schema_fail(c, n, "%s must %s", c->path.s, s->check_desc);
        long long v;
        if (n->type == CC_INT && (s->has_min || s->has_max) && cc__parse_int(n->str, &v)) {
                if (s->has_min && s->has_max && (v < s->min || v > s->max))
                        return cc__schema_fail(c, n, "%s must be between %lld and %lld", c->path.s, s->min, s->max);
                if (s->has_min && v < s->min)
                        return cc__schema_fail(c, n, "%s must be greater than or equal to %lld", c->path.s, s->min);
        }
        return 0;
}

static bool cc__scalar_same(const struct cc_node *a, const struct cc_node *b)
{
        return a->kind == CC_NODE_SCALAR && b->kind == CC_NODE_SCALAR && cc__node_type(a) == cc__node_type(b) &&
               strcmp(a->str, b->str) == 0;
}

static int cc__schema_seq(struct cc__schema_ctx *c, struct cc_node *n, const struct cc__schema *s)
{
        for (size_t i = 0; i < n->n; i++) {
                size_t mark = cc__schema_push_index(c, i);
                int r = s->items ? cc__schema_check(c, n->items[i], s->items) : 0;
                cc__schema_pop(c, mark);
                if (r < 0)
                        return r;
                if (!s->unique)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (cc__scalar_same(n->items[j], n->items[i]))
                                return cc__schema_fail(c, n->items[i], "%s: duplicate item \"%s\"", c->path.s,
                                                       n->items[i]->str);
        }
        return 0;
}

static const struct cc__schema *cc__schema_key(const struct cc__schema *s, const char *key)
{
        /* the first character before strcmp: this runs for every key of
         * the file, against up to a hundred names */
        for (const struct cc__schema_key *k = s->keys; k && k->name; k++)
                if (k->name[0] == key[0] && strcmp(k->name, key) == 0)
                        return k->schema;
        return NULL;
}

static int cc__schema_map(struct cc__schema_ctx *c, struct cc_node *n, const struct cc__schema *s)
{
        const char *sep = c->path.len ? ": " : ""; /* messages about keys: "path: ..." */
        for (size_t i = 0; i < n->n; i++) {
                const char *key = cc_node_key(n, i);
                const struct cc__schema *sub = cc__schema_key(s, key);
                if (!sub && s->ext && cc_startswith(key, "x-"))
                        continue;
                if (!sub && s->values && cc__name_ok(s->names, key))
                        sub = s->values;
                if (!sub && s->closed && s->values && !s->keys) {
                        if (s->names == NAMES_ANY)
                                return cc__schema_fail(c, n->keys[i], "%s%sempty key is not allowed",
                                                       c->path.s, sep);
                        return cc__schema_fail(c, n->keys[i], "%s%sname \"%s\" must match %s", c->path.s,
                                               sep, key, cc__names_desc(s->names));
                }
                if (!sub && s->closed)
                        return cc__schema_fail(c, n->keys[i], "%s%sadditional property \"%s\" is not allowed",
                                               c->path.s, sep, key);
                if (!sub)
                        continue;
                size_t mark = cc__schema_push(c, key);
                int r = cc__schema_check(c, n->items[i], sub);
                cc__schema_pop(c, mark);
                if (r < 0)
                        return r;
        }
        if (!s->required)
                return 0;
        for (size_t i = 0; s->required[i]; i++) {
                bool present = cc_node_map_index(n, s->required[i]) >= 0;
                if (s->required_any && present)
                        return 0;
                if (!s->required_any && !present)
                        return cc__schema_fail(c, n, "%s%srequired property \"%s\" is missing", c->path.s,
                                               sep, s->required[i]);
        }
        if (s->required_any) {
                struct cc_buf b = {0};
                for (size_t i = 0; s->required[i]; i++)
                        cc_buf_printf(&b, "%s\"%s\"", i ? " or " : "", s->required[i]);
                _cleanup_free_ char *list = cc_buf_steal(&b);
                return cc__schema_fail(c, n, "%s%sone of %s is required", c->path.s, sep, list);
        }
        return 0;
}

static int cc__schema_check(struct cc__schema_ctx *c, struct cc_node *n, const struct cc__schema *s)
{
        /* A !reset value is removed when files are merged: nothing to check. */
        if (n && (n->flags & CC_NODE_RESET))
                return 0;
        cc__schema_cast(c, n, s->types);
        if (!(cc__node_type(n) & s->types) && !cc__is_uninterpolated(n, s->types)) {
                struct cc_buf b = {0};
                cc__types_desc(&b, s->types);
                _cleanup_free_ char *want = cc_buf_steal(&b);
                if (cc__is_interpolated_str(n))
                        return cc__schema_fail(c, n, "%s must be %s (got \"%s\")", c->path.s, want, n->str);
                return cc__schema_fail(c, n, "%s must be %s", c->path.s, want);
        }
        if (!n)
                return 0;
        switch (n->kind) {
        case CC_NODE_MAP:
                return cc__schema_map(c, n, s);
        case CC_NODE_SEQ:
                return cc__schema_seq(c, n, s);
        case CC_NODE_SCALAR:
                break;
        }
        return cc__schema_scalar(c, n, s);
}

int cc_schema_validate(struct cc_node *root, struct cc_error *err)
{
        return cc_schema_validate_warn(root, NULL, err);
}

int cc_schema_validate_warn(struct cc_node *root, struct cc_strv *warnings, struct cc_error *err)
{
        if (!root)
                return 0;
        if (root->kind != CC_NODE_MAP)
                return cc__schema_fail(&(struct cc__schema_ctx){.err = err}, root,
                                       "top-level object must be a mapping");
        struct cc__schema_ctx c = {.warnings = warnings, .err = err};
        cc_buf_puts(&c.path, "");
        int r = cc__schema_check(&c, root, &sc_top);
        cc_buf_free(&c.path);
        return r;
}

/* ---- walking the specification ---- */

struct cc__schema_walk {
        struct cc_buf path;
        void (*fn)(const char *path, void *data);
        void *data;
};

static void cc__schema_walk(struct cc__schema_walk *w, const struct cc__schema *s, unsigned depth)
{
        /* The tables hold no cycle; the bound only keeps a mistake finite. */
        if (!s || depth > 16)
                return;
        size_t mark = w->path.len;
        for (const struct cc__schema_key *k = s->keys; k && k->name; k++) {
                cc_buf_printf(&w->path, "%s%s", mark ? "." : "", k->name);
                w->fn(w->path.s, w->data);
                cc__schema_walk(w, k->schema, depth + 1);
                w->path.len = mark;
                w->path.s[mark] = '\0';
        }
        if (s->values && (s->types & T_MAP) && s->names != NAMES_NONE) {
                cc_buf_puts(&w->path, mark ? ".*" : "*");
                cc__schema_walk(w, s->values, depth + 1);
                w->path.len = mark;
                w->path.s[mark] = '\0';
        }
        if (s->items && (s->types & T_SEQ)) {
                cc_buf_puts(&w->path, "[]");
                cc__schema_walk(w, s->items, depth + 1);
                w->path.len = mark;
                w->path.s[mark] = '\0';
        }
}

void cc_schema_walk(void (*fn)(const char *path, void *data), void *data)
{
        struct cc__schema_walk w = {.fn = fn, .data = data};
        cc_buf_puts(&w.path, "");
        cc__schema_walk(&w, &sc_top, 0);
        cc_buf_free(&w.path);
}
