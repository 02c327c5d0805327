/* Short syntax -> the canonical long forms docker compose config prints. */
#ifndef CC_NORMALIZE_H
#define CC_NORMALIZE_H

#include "env.h"
#include "node.h"

struct cc_norm_ctx {
        const char *project_name;
        const char *workdir;       /* relative paths resolve against this */
        const char *home;          /* for "~" in volume sources */
        const struct cc_env *env;  /* resolves bare "KEY" in environment */
};

/* Normalise one service mapping in place (name is the service's key).
 * Covers: ports (short -> long: mode, host_ip, target, published as a
 * string, protocol; ranges expand to one entry per port), expose (strings),
 * volumes (short -> long: type bind/volume/tmpfs, source resolved against
 * workdir or ~, target, read_only, bind.create_host_path), environment
 * (list -> map; bare KEY from env or null), labels / annotations / sysctls
 * (list -> map), extra_hosts (list "host:ip" / "host=ip" -> list "host=ip"
 * as docker compose prints it), depends_on (list -> map with condition
 * service_started, required true; long form gets defaults), healthcheck
 * (test string -> ["CMD-SHELL", s]; durations kept as written),
 * command / entrypoint strings split like a shell (quotes kept together),
 * build (string -> {context}, context resolved, dockerfile default
 * "Dockerfile"), env_file (string/list -> list of {path, required}),
 * networks (list -> map name: null), secrets / configs (string -> {source}),
 * ulimits (number -> {soft, hard} unless single), logging, deploy values.
 * Errors name file:line:col and the service: invalid ports (e.g. 99999),
 * invalid durations, byte sizes, etc. */
int cc_normalize_service(struct cc_node *svc, const char *name, const struct cc_norm_ctx *ctx,
                         struct cc_error *err);

/* Parse a duration such as "1m30s", "500ms", "10s", "1h", "2" (seconds
 * when bare). Returns nanoseconds via *ns. */
int cc_parse_duration(const char *s, long long *ns);
/* Parse a byte size: "64m", "1g", "512k", "1024", "1.5gb", "100b". */
int cc_parse_bytes(const char *s, long long *bytes);
/* Split a command string like a POSIX shell would into words (quotes and
 * backslashes handled, no expansion). */
int cc_shell_split(const char *s, struct cc_strv *out);

#endif
