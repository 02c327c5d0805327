/* Control requests: parsing and type checks (see sup-request.h). */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>

#include "sup-request.h"

static const struct {
        const char *name;
        enum cc_ctl_op op;
} cc__ops[] = {
        {"ping", CC_CTL_PING},           {"down", CC_CTL_DOWN},       {"handover", CC_CTL_HANDOVER},
        {"run", CC_CTL_RUN},             {"rm", CC_CTL_RM},           {"netattach", CC_CTL_NETATTACH},
        {"netdetach", CC_CTL_NETDETACH}, {"stop", CC_CTL_STOP},       {"start", CC_CTL_START},
        {"restart", CC_CTL_RESTART},     {"kill", CC_CTL_KILL},       {"pause", CC_CTL_PAUSE},
        {"unpause", CC_CTL_UNPAUSE},     {"reexec", CC_CTL_REEXEC},
        {"resize", CC_CTL_RESIZE},       {"rename", CC_CTL_RENAME},   {"netconnect", CC_CTL_NETCONNECT},
        {"netdisconnect", CC_CTL_NETDISCONNECT},
};

static void cc__json_putp(json_object **o)
{
        json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(cc__json_putp)))

/* The value of key, NULL when absent or null. */
static json_object *cc__field(json_object *req, const char *key)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(req, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return v;
}

static int cc__want_string(json_object *req, const char *key, char **out, struct cc_error *err)
{
        json_object *v = cc__field(req, key);
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return cc_error_set(err, -EINVAL, "bad request: \"%s\" must be a string", key);
        const char *s = json_object_get_string(v);
        if (strlen(s) != (size_t) json_object_get_string_len(v))
                return cc_error_set(err, -EINVAL, "bad request: \"%s\" holds a NUL byte", key);
        *out = cc_xstrdup(s);
        return 0;
}

static int cc__want_strings(json_object *req, const char *key, struct cc_strv *out, struct cc_error *err)
{
        json_object *a = cc__field(req, key);
        if (!a)
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return cc_error_set(err, -EINVAL, "bad request: \"%s\" must be an array of strings", key);
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *v = json_object_array_get_idx(a, i);
                if (!json_object_is_type(v, json_type_string))
                        return cc_error_set(err, -EINVAL, "bad request: \"%s\" must be an array of strings", key);
                const char *s = json_object_get_string(v);
                if (strlen(s) != (size_t) json_object_get_string_len(v))
                        return cc_error_set(err, -EINVAL, "bad request: \"%s\" holds a NUL byte", key);
                cc_strv_push(out, s);
        }
        return 0;
}

static int cc__want_int(json_object *req, const char *key, long long min, long long max, long long *out,
                        struct cc_error *err)
{
        json_object *v = cc__field(req, key);
        if (!v)
                return 0;
        errno = 0;
        long long n = json_object_is_type(v, json_type_int) ? (long long) json_object_get_int64(v) : 0;
        if (!json_object_is_type(v, json_type_int) || errno != 0 || n < min || n > max)
                return cc_error_set(err, -EINVAL, "bad request: \"%s\" must be an integer from %lld to %lld", key, min,
                                    max);
        *out = n;
        return 0;
}

static int cc__want_bool(json_object *req, const char *key, bool *out, struct cc_error *err)
{
        json_object *v = cc__field(req, key);
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return cc_error_set(err, -EINVAL, "bad request: \"%s\" must be true or false", key);
        *out = json_object_get_boolean(v);
        return 0;
}

static int cc__parse_run(json_object *j, struct cc_ctl_req *req, struct cc_error *err)
{
        struct cc_spec_overrides *ov = req->ov = cc_xcalloc(1, sizeof(*ov));
        int r;
        if ((r = cc__want_strings(j, "env", &ov->env, err)) < 0 ||
            (r = cc__want_strings(j, "volumes", &ov->volumes, err)) < 0 ||
            (r = cc__want_strings(j, "command", &ov->command, err)) < 0 ||
            (r = cc__want_strings(j, "cap_add", &ov->cap_add, err)) < 0 ||
            (r = cc__want_strings(j, "cap_drop", &ov->cap_drop, err)) < 0 ||
            (r = cc__want_string(j, "user", (char **) &ov->user, err)) < 0 ||
            (r = cc__want_string(j, "workdir", (char **) &ov->workdir, err)) < 0 ||
            (r = cc__want_string(j, "entrypoint", (char **) &ov->entrypoint, err)) < 0)
                return r;
        if (!req->service)
                return cc_error_set(err, -EINVAL, "bad request: run needs \"service\"");
        return 0;
}

/* The fields of every operation; each is checked when present, whether the
 * operation uses it or not. */
static int cc__parse_fields(json_object *j, struct cc_ctl_req *req, struct cc_error *err)
{
        long long pid = 0;
        int r;
        if ((r = cc__want_strings(j, "services", &req->services, err)) < 0 ||
            (r = cc__want_int(j, "timeout", -1, LLONG_MAX / 1000000, &req->timeout_ms, err)) < 0 ||
            (r = cc__want_string(j, "signal", &req->signal, err)) < 0 ||
            (r = cc__want_bool(j, "stop", &req->stop, err)) < 0 ||
            (r = cc__want_string(j, "service", &req->service, err)) < 0 ||
            (r = cc__want_string(j, "id", &req->id, err)) < 0 || (r = cc__want_string(j, "name", &req->name, err)) < 0 ||
            (r = cc__want_int(j, "pid", 0, INT_MAX, &pid, err)) < 0 ||
            (r = cc__want_string(j, "network", &req->network, err)) < 0)
                return r;
        req->pid = (pid_t) pid;
        req->has_timeout = cc__field(j, "timeout") != NULL;
        req->sig = SIGKILL;
        if (req->signal && (req->sig = cc_signal_from_name(req->signal)) <= 0)
                return cc_error_set(err, -EINVAL, "invalid signal \"%s\"", req->signal);
        if (req->op == CC_CTL_RUN)
                return cc__parse_run(j, req, err);
        if (req->op == CC_CTL_REEXEC) {
                if ((r = cc__want_strings(j, "argv", &req->argv, err)) < 0 ||
                    (r = cc__want_strings(j, "env", &req->env, err)) < 0 ||
                    (r = cc__want_string(j, "cwd", &req->cwd, err)) < 0)
                        return r;
                if (req->argv.n == 0 || !req->cwd || req->cwd[0] != '/')
                        return cc_error_set(err, -EINVAL, "bad request: reexec needs \"argv\" and an absolute \"cwd\"");
        }
        if (req->op == CC_CTL_RESIZE) {
                long long rows = -1, cols = -1;
                if ((r = cc__want_int(j, "rows", 0, 65535, &rows, err)) < 0 ||
                    (r = cc__want_int(j, "cols", 0, 65535, &cols, err)) < 0)
                        return r;
                if (!req->id || rows < 0 || cols < 0)
                        return cc_error_set(err, -EINVAL, "bad request: resize needs \"id\", \"rows\" and \"cols\"");
                req->rows = (unsigned) rows;
                req->cols = (unsigned) cols;
        }
        if (req->op == CC_CTL_RENAME && (!req->id || !req->name || !*req->name))
                return cc_error_set(err, -EINVAL, "bad request: id and name are needed");
        if ((req->op == CC_CTL_NETCONNECT || req->op == CC_CTL_NETDISCONNECT) && (!req->id || !req->network))
                return cc_error_set(err, -EINVAL, "bad request: id and network are needed");
        if ((req->op == CC_CTL_NETATTACH || req->op == CC_CTL_NETDETACH) &&
            (!req->service || !req->id || !req->name || (req->op == CC_CTL_NETATTACH && req->pid <= 0)))
                return cc_error_set(err, -EINVAL, "bad request: service, id, name and pid are needed");
        return 0;
}

int cc_ctl_req_parse(const char *line, size_t len, struct cc_ctl_req *req, struct cc_error *err)
{
        memset(req, 0, sizeof(*req));
        req->timeout_ms = -1;
        if (len > CC_CTL_MAX_REQUEST || len > INT_MAX)
                return cc_error_set(err, -E2BIG, "bad request: longer than %d bytes", CC_CTL_MAX_REQUEST);
        _cleanup_json_ json_object *j = NULL;
        json_tokener *tok = json_tokener_new();
        j = json_tokener_parse_ex(tok, line, (int) len);
        bool complete = json_tokener_get_error(tok) == json_tokener_success;
        for (size_t k = complete ? json_tokener_get_parse_end(tok) : len; k < len; k++)
                if (!memchr(" \t\r", line[k], 3))
                        complete = false;
        json_tokener_free(tok);
        if (!j || !complete || !json_object_is_type(j, json_type_object))
                return cc_error_set(err, -EINVAL, "bad request: not a JSON object");
        json_object *jop = cc__field(j, "op");
        if (!jop || !json_object_is_type(jop, json_type_string))
                return cc_error_set(err, -EINVAL, "bad request: \"op\" must be a string");
        const char *op = json_object_get_string(jop);
        size_t i;
        for (i = 0; i < CC_ARRAY_SIZE(cc__ops); i++)
                if (strcmp(cc__ops[i].name, op) == 0)
                        break;
        if (i == CC_ARRAY_SIZE(cc__ops))
                return cc_error_set(err, -EINVAL, "unknown request \"%.64s\"", op);
        req->op = cc__ops[i].op;
        req->op_name = cc__ops[i].name;
        int r = cc__parse_fields(j, req, err);
        if (r < 0)
                cc_ctl_req_clear(req);
        return r;
}

void cc_ctl_req_clear(struct cc_ctl_req *req)
{
        cc_strv_free(&req->services);
        free(req->signal);
        free(req->service);
        free(req->id);
        free(req->name);
        free(req->network);
        cc_strv_free(&req->argv);
        cc_strv_free(&req->env);
        free(req->cwd);
        if (req->ov) {
                cc_strv_free(&req->ov->env);
                cc_strv_free(&req->ov->volumes);
                cc_strv_free(&req->ov->cap_add);
                cc_strv_free(&req->ov->cap_drop);
                cc_strv_free(&req->ov->command);
                free((char *) req->ov->user);
                free((char *) req->ov->workdir);
                free((char *) req->ov->entrypoint);
                free(req->ov);
        }
        memset(req, 0, sizeof(*req));
        req->timeout_ms = -1;
}

bool cc_ctl_req_wants(const struct cc_ctl_req *req, const char *name)
{
        return req->services.n == 0 || cc_strv_contains(&req->services, name);
}
