/* POST /build: the tar context of the body, unpacked into a directory of
 * its own, built by `ccompose image build` (the builder, cc_build) with
 * the query's options; its progress as the classic builder's JSON stream
 * ({"stream": ...}), the image's ID as {"aux": {"ID": ...}}. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "api-internal.h"
#include "copy.h"

struct cc__build {
        char id[80];             /* sha256:<hex>, from the builder's output */
        struct cc_strv tags;
        bool quiet;
};

static void cc__build_line(struct cc_api_run *x, char *line)
{
        struct cc_api_req *r = x->req;
        struct cc__build *b = x->data;
        const char *p = strstr(line, "writing image sha256:");
        p = p ? p + strlen("writing image ") : cc_startswith(line, "sha256:") ? line : NULL;
        if (p)
                snprintf(b->id, sizeof(b->id), "%.*s", (int) strcspn(p, " "), p);
        if (b->quiet || cc_startswith(line, "sha256:"))
                return;
        if (!r->answered)
                cc_api_stream_begin(r, 200, "application/json");
        json_object *o = json_object_new_object();
        _cleanup_free_ char *l = cc_xasprintf("%s\n", line);
        json_object_object_add(o, "stream", json_object_new_string(l));
        cc_api_stream_json(r, o);
}

static void cc__built(struct cc_api_run *x, int64_t code)
{
        struct cc_api_req *r = x->req;
        struct cc__build *b = x->data;
        if (code == 0 && !b->id[0])
                code = -1;
        if (code != 0) {
                cc_api_progress_done(x, code);
        } else {
                if (!r->answered)
                        cc_api_stream_begin(r, 200, "application/json");
                json_object *aux = json_object_new_object(), *o = json_object_new_object();
                json_object_object_add(aux, "ID", json_object_new_string(b->id));
                json_object_object_add(o, "aux", aux);
                cc_api_stream_json(r, o);
                if (b->quiet) {
                        /* docker build -q prints the stream: the ID */
                        _cleanup_free_ char *l = cc_xasprintf("%s\n", b->id);
                        o = json_object_new_object();
                        json_object_object_add(o, "stream", json_object_new_string(l));
                        cc_api_stream_json(r, o);
                } else {
                        _cleanup_free_ char *l = cc_xasprintf("Successfully built %.12s\n", b->id + 7);
                        o = json_object_new_object();
                        json_object_object_add(o, "stream", json_object_new_string(l));
                        cc_api_stream_json(r, o);
                        for (size_t i = 0; i < b->tags.n; i++) {
                                _cleanup_free_ char *t = cc_xasprintf("Successfully tagged %s\n", b->tags.v[i]);
                                o = json_object_new_object();
                                json_object_object_add(o, "stream", json_object_new_string(t));
                                cc_api_stream_json(r, o);
                        }
                }
                for (size_t i = 0; i < b->tags.n; i++)
                        cc_api_image_event(r->api, "tag", b->tags.v[i], CC_API_IMAGE_NAME_TAG);
        }
        cc_strv_free(&b->tags);
        free(b);
}

/* A JSON object parameter ({"K": "V"}) as repeated FLAG K=V; -1 after answering. */
static int cc__kv_param(struct cc_api_req *r, const char *key, const char *flag, struct cc_strv *args)
{
        const char *v = cc_api_query(r, key);
        if (!v || !*v || strcmp(v, "null") == 0)
                return 0;
        json_object *o = json_tokener_parse(v);
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                cc_api_reply_error(r, 400, "the parameter %s is not a JSON object", key);
                return -1;
        }
        json_object_object_foreach(o, k, val)
        {
                cc_strv_push(args, flag);
                if (json_object_is_type(val, json_type_null))
                        cc_strv_push(args, k); /* a build arg from the builder's environment: none here */
                else
                        cc_strv_push_owned(args, cc_xasprintf("%s=%s", k, json_object_get_string(val)));
        }
        json_object_put(o);
        return 0;
}

void cc_api_build(struct cc_api_req *r, char **params)
{
        /* what the docker CLI sends by default is accepted with those values */
        static const char *const spec[] = {
                "t", "dockerfile", "buildargs", "labels", "target", "nocache", "q", "pull", "cachefrom",
                "rm", "forcerm", "networkmode:,default,host,none", "platform:", "version:1", "cpusetcpus:",
                "cpusetmems:", "cpushares:0", "cpuquota:0", "cpuperiod:0", "memory:0", "memswap:0",
                "shmsize:0", "cgroupparent:", "ulimits:null,[],{}", "squash:0,false", "remote:", "extrahosts:",
                "isolation:,default", NULL};
        if (cc_api_params_check(r, "build", spec) < 0)
                return;
        if (r->body.len == 0) {
                cc_api_reply_error(r, 400, "the request has no body (a tar archive of the build context is expected)");
                return;
        }
        char tmpl[] = "/tmp/ccompose-api-build-XXXXXX";
        if (!mkdtemp(tmpl)) {
                cc_api_reply_error(r, 500, "making a directory for the build context: %s", strerror(errno));
                return;
        }
        struct cc_api_run *x = cc_api_run_new(r, cc__built);
        x->tmp = cc_xstrdup(tmpl);
        struct cc__build *b = cc_xcalloc(1, sizeof(*b));
        x->data = b;
        _cleanup_free_ char *ctx = cc_path_join(tmpl, "context");
        struct cc_error err = {0};
        struct cc_strv args = {0};
        if (mkdir(ctx, 0700) < 0) {
                cc_api_reply_error(r, 500, "making %s: %s", ctx, strerror(errno));
                goto fail;
        }
        /* the context, spooled to a file by the server */
        {
                _cleanup_close_ int dir = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir < 0 || r->body_fd < 0 || lseek(r->body_fd, 0, SEEK_SET) != 0 ||
                    cc_copy_untar(r->body_fd, dir, false, true, &err) < 0) {
                        cc_api_reply_error(r, 400, "unpacking the build context: %s",
                                           err.code ? cc_error_msg(&err) : strerror(errno));
                        cc_error_clear(&err);
                        goto fail;
                }
        }
        cc_strv_push(&args, "image");
        cc_strv_push(&args, "build");
        cc_strv_push(&args, "--progress");
        cc_strv_push(&args, "plain");
        for (size_t i = 0; i + 1 < r->query.n; i += 2) {
                const char *k = r->query.v[i], *v = r->query.v[i + 1];
                if (strcmp(k, "t") == 0 && *v) {
                        cc_strv_push(&args, "-t");
                        cc_strv_push(&args, v);
                        cc_strv_push(&b->tags, v);
                }
        }
        const char *df = cc_api_query(r, "dockerfile"), *target = cc_api_query(r, "target");
        if (df && *df) {
                if (df[0] == '/' || strstr(df, "..")) {
                        cc_api_reply_error(r, 400, "the dockerfile %s is not a path inside the context", df);
                        goto fail;
                }
                cc_strv_push(&args, "-f");
                cc_strv_push_owned(&args, cc_path_join(ctx, df));
        }
        if (target && *target) {
                cc_strv_push(&args, "--target");
                cc_strv_push(&args, target);
        }
        if (cc_api_query_bool(r, "nocache", false))
                cc_strv_push(&args, "--no-cache");
        if (cc_api_query_bool(r, "pull", false))
                cc_strv_push(&args, "--pull");
        const char *net = cc_api_query(r, "networkmode");
        if (net && (strcmp(net, "host") == 0 || strcmp(net, "none") == 0)) {
                cc_strv_push(&args, "--network");
                cc_strv_push(&args, net);
        }
        const char *cf = cc_api_query(r, "cachefrom");
        json_object *cfa = cf && *cf ? json_tokener_parse(cf) : NULL;
        if (cf && *cf && !json_object_is_type(cfa, json_type_array)) {
                json_object_put(cfa);
                cc_api_reply_error(r, 400, "the parameter cachefrom is not a JSON array");
                goto fail;
        }
        for (size_t i = 0; cfa && i < json_object_array_length(cfa); i++) {
                cc_strv_push(&args, "--cache-from");
                cc_strv_push(&args, json_object_get_string(json_object_array_get_idx(cfa, i)));
        }
        json_object_put(cfa);
        if (cc__kv_param(r, "buildargs", "--build-arg", &args) < 0 || cc__kv_param(r, "labels", "--label", &args) < 0)
                goto fail;
        b->quiet = cc_api_query_bool(r, "q", false);
        cc_strv_push(&args, ctx);
        cc_strv_push_owned(&args, NULL);
        x->on_line = cc__build_line;
        x->err_lines = true;
        x->kill_on_abort = true;
        cc_api_run(x, (const char *const *) args.v);
        cc_strv_free(&args);
        return;
fail:
        cc_strv_free(&args);
        cc_strv_free(&b->tags);
        free(b);
        cc_rm_rf(x->tmp);
        free(x->tmp);
        free(x);
}
