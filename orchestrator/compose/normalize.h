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
        bool keep_paths;           /* relative paths stay relative, "~" stays */
        bool no_defaults;          /* finish: no defaults compose-go's Normalize adds */
};

/* Normalise one service mapping of one file in place (name is the
 * service's key), as compose-go canonicalises a file before merging it;
 * only conversions that are safe to merge (defaults nobody wrote and
 * omitempty drops wait for cc_normalize_service_finish). Idempotent.
 * Covers: ports (short -> long: mode, host_ip, target, published as a
 * string, protocol; ranges expand to one entry per port, in compose-go's
 * string order), expose (strings), volumes (short -> long: type
 * bind/volume, source resolved against workdir or ~, target cleaned,
 * read_only, bind.create_host_path for short binds, volume: {} for named
 * ones), environment / build.args (list -> map; bare KEY -> null),
 * labels / annotations / sysctls / storage_opt / logging.options (list
 * -> map of strings), extra_hosts (list or map -> sorted ["host=ip"]),
 * depends_on (list -> map; condition service_started, required true),
 * healthcheck (test string -> ["CMD-SHELL", s]; durations printed as Go
 * durations, "90s" -> "1m30s"), command / entrypoint strings split like
 * go-shellwords, build (string -> {context}; context resolved unless
 * remote), env_file (-> [{path, required, format}]), networks (list ->
 * map name: null), secrets / configs (string -> {source}; mode "0440"),
 * ulimits (a number stays a number, {soft, hard} ints), sizes (mem_limit,
 * shm_size, ... -> byte count strings), cpus (float32), devices, gpus,
 * deploy. Keys inside those structures follow compose-go's field order.
 * Errors name file:line:col and the service: invalid ports (e.g. 99999),
 * volumes, durations, byte sizes, command lines, extra_hosts. */
int cc_normalize_service(struct cc_node *svc, const char *name, const struct cc_norm_ctx *ctx,
                         struct cc_error *err);

/* Finish a service after all files are merged (and env_file applied), as
 * docker compose does after loading: defaults nobody wrote (build context
 * "." and dockerfile "Dockerfile", networks {default: null} without
 * network_mode, secrets target /run/secrets/<source>, command and
 * entrypoint null, deploy resources/placement {}), environment and
 * build.args resolved from ctx->env, depends_on implied by links,
 * volumes_from and service: namespaces, zero values of omitempty fields
 * dropped, pull_policy if_not_present -> missing, maps in key order.
 * Idempotent; call after cc_normalize_service. */
int cc_normalize_service_finish(struct cc_node *svc, const char *name, const struct cc_norm_ctx *ctx,
                                struct cc_error *err);

/* Parse a duration such as "1m30s", "500ms", "10s", "1h", "1.5h", "2d",
 * "1w" (Go's syntax plus d and w, as compose-go reads them). A number
 * needs a unit, except "0". Returns nanoseconds via *ns, or -EINVAL. */
int cc_parse_duration(const char *s, long long *ns);
/* Print a duration as Go's time.Duration.String does ("1m30s", "500ms",
 * "1h0m0s", "0s"). Caller frees. */
char *cc_format_duration(long long ns);
/* Parse a byte size as docker's units.RAMInBytes: "64m", "1g", "512k",
 * "1024", "1.5gb", "100b", "10 MiB" (powers of 1024, case-insensitive).
 * Returns 0 or -EINVAL. */
int cc_parse_bytes(const char *s, long long *bytes);
/* Split a command string like a POSIX shell would into words (quotes and
 * backslashes handled, no expansion), as docker compose does with
 * go-shellwords: parsing stops at an unquoted ; & | < or >. The words are
 * appended to *out; on -EINVAL (unterminated quote, trailing backslash,
 * stray parenthesis) *out is left as it was. */
int cc_shell_split(const char *s, struct cc_strv *out);

/* ---- internal: shared by normalize*.c only ---- */

struct cc__norm {
        const char *name; /* the service */
        const struct cc_norm_ctx *ctx;
        struct cc_error *err;
};

/* Fail with "<file:line:col>: service <name>: <message>". */
int cc__norm_fail(const struct cc__norm *n, const struct cc_node *at, const char *fmt, ...) CC_PRINTF(3, 4);
/* The text Go's fmt.Sprint gives a YAML scalar as go-yaml decodes it
 * (0x1F -> "31", True -> "true", 1.0 -> "1"); NULL for null or non-scalars. */
char *cc__norm_text(const struct cc_node *v);
/* A value for a message: "\"text\"" for a scalar, else "an array",
 * "a mapping" or "null". Caller frees. */
char *cc__norm_quote(const struct cc_node *v);
/* An integer from an int scalar (go-yaml rules: 0x, 0o and leading-0
 * octal) or a numeric string. */
bool cc__norm_int(const struct cc_node *v, long long *out);
/* Reorder a mapping's keys: those in order (NULL-terminated) first, in
 * that order, the others after them as they were. */
void cc__norm_order(struct cc_node *map, const char *const *order);
/* Set map[key] to a string scalar (positioned where the old value was). */
void cc__norm_set_str(struct cc_node *map, const char *key, const char *s);
/* Set map[key] = value, keeping the old value's !reset/!override flags
 * and position. */
void cc__norm_replace(struct cc_node *map, const char *key, struct cc_node *value);
/* A number as Go prints it: fmt %v of a float64, or encoding/json of a
 * float32 when json32. Caller frees. */
char *cc__norm_go_float(double v, bool json32);
/* Resolve a host path like compose-go: "~" from ctx->home, relative
 * against ctx->workdir (cleaned), absolute kept as written. */
char *cc__norm_abs_path(const struct cc__norm *n, const char *p);
/* Convert map[key] to a byte count string ("64m" -> "67108864"). */
int cc__norm_bytes(const struct cc__norm *n, struct cc_node *map, const char *key, const char *what);

/* Sort a sequence of scalars by their text. */
void cc__norm_sort_seq(struct cc_node *seq);
/* A service's extra_hosts (and its build's) sorted, as compose-go marshals
 * them (the model keeps the order given: /etc/hosts has it). */
void cc__norm_sort_hosts(struct cc_node *svc);
/* Put the keys of every structure inside a service in compose-go's order
 * (struct fields in declaration order, map keys sorted). */
void cc__norm_shape(struct cc_node *svc);
/* For JSON output: a service's deploy gets the struct fields encoding/json
 * prints even when empty (resources, placement). */
void cc_norm_json_structs(struct cc_node *svc);

int cc__norm_ports(const struct cc__norm *n, struct cc_node *svc);
int cc__norm_expose(const struct cc__norm *n, struct cc_node *svc);
int cc__norm_volumes(const struct cc__norm *n, struct cc_node *svc);
/* build.ssh and develop.watch paths made absolute (normalize-paths.c). */
void cc__norm_paths(const struct cc__norm *n, struct cc_node *svc);

#endif
