/* Control requests: what the supervisor reads from its socket is parsed
 * and type-checked (orchestrator/supervisor/sup-request.c). */
#include <errno.h>
#include <signal.h>

#include "sup-request.h"
#include "tap.h"

static int parse(const char *line, struct cc_ctl_req *req, struct cc_error *err)
{
        return cc_ctl_req_parse(line, strlen(line), req, err);
}

TEST(good_requests)
{
        struct cc_ctl_req req;
        struct cc_error err = {0};
        ASSERT(parse("{\"op\":\"stop\",\"services\":[\"web\",\"db\"],\"timeout\":1500}", &req, &err) == 0);
        ASSERT(req.op == CC_CTL_STOP && req.services.n == 2 && req.timeout_ms == 1500 && req.has_timeout);
        ASSERT(cc_ctl_req_wants(&req, "db") && !cc_ctl_req_wants(&req, "x"));
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"kill\",\"signal\":\"SIGTERM\",\"services\":[]}", &req, &err) == 0);
        ASSERT(req.op == CC_CTL_KILL && req.sig == SIGTERM && cc_ctl_req_wants(&req, "any"));
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"kill\"}", &req, &err) == 0);
        ASSERT(req.sig == SIGKILL && req.timeout_ms == -1 && !req.has_timeout);
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"run\",\"service\":\"web\",\"command\":[\"sh\",\"-c\",\"x\"],\"user\":\"1\"}", &req,
                     &err) == 0);
        ASSERT(req.ov && req.ov->command.n == 3 && strcmp(req.ov->user, "1") == 0 && !req.ov->workdir);
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"netattach\",\"service\":\"s\",\"id\":\"i\",\"name\":\"n\",\"pid\":7} ", &req, &err) == 0);
        ASSERT(req.op == CC_CTL_NETATTACH && req.pid == 7);
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"rm\",\"stop\":true,\"services\":null}", &req, &err) == 0);
        ASSERT(req.stop && req.services.n == 0);
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"reexec\",\"argv\":[\"ccompose\",\"up\",\"-d\"],\"env\":[\"A=1\"],\"cwd\":\"/srv\"}",
                     &req, &err) == 0);
        ASSERT(req.op == CC_CTL_REEXEC && req.argv.n == 3 && req.argv.v[3] == NULL && req.env.n == 1);
        ASSERT_STREQ(req.cwd, "/srv");
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"resize\",\"id\":\"abc\",\"rows\":40,\"cols\":132}", &req, &err) == 0);
        ASSERT(req.op == CC_CTL_RESIZE && req.rows == 40 && req.cols == 132);
        ASSERT_STREQ(req.id, "abc");
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"rename\",\"id\":\"abc\",\"name\":\"new\"}", &req, &err) == 0);
        ASSERT(req.op == CC_CTL_RENAME);
        ASSERT_STREQ(req.id, "abc");
        ASSERT_STREQ(req.name, "new");
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"netconnect\",\"id\":\"abc\",\"network\":\"front\"}", &req, &err) == 0);
        ASSERT(req.op == CC_CTL_NETCONNECT);
        ASSERT_STREQ(req.network, "front");
        cc_ctl_req_clear(&req);
        ASSERT(parse("{\"op\":\"netdisconnect\",\"id\":\"abc\",\"network\":\"front\"}", &req, &err) == 0);
        ASSERT(req.op == CC_CTL_NETDISCONNECT);
        cc_ctl_req_clear(&req);
}

TEST(bad_requests)
{
        static const char *const bad[] = {
                "{\"op\":null}", "{\"op\":\"stop\",\"services\":\"x\"}", "{\"op\":\"stop\",\"services\":[null]}",
                "{\"op\":\"stop\",\"services\":[1]}", "{\"op\":\"kill\",\"signal\":9}", "{\"op\":\"kill\",\"signal\":\"NOPE\"}",
                "{\"op\":\"stop\",\"timeout\":\"1\"}", "{\"op\":\"stop\",\"timeout\":1.5}", "{\"op\":\"stop\",\"timeout\":-2}",
                "{\"op\":\"stop\",\"timeout\":99999999999999999999}", "{\"op\":\"rm\",\"stop\":1}", "{\"op\":\"run\"}",
                "{\"op\":\"run\",\"service\":\"w\",\"env\":\"A=1\"}", "{\"op\":\"run\",\"service\":\"w\",\"user\":0}",
                "{\"op\":\"netattach\",\"service\":\"s\",\"id\":\"i\",\"name\":\"n\"}",
                "{\"op\":\"netconnect\",\"id\":\"i\"}", "{\"op\":\"netdisconnect\",\"network\":\"n\"}",
                "{\"op\":\"netconnect\",\"id\":\"i\",\"network\":1}",
                "{\"op\":\"netattach\",\"service\":\"s\",\"id\":\"i\",\"name\":\"n\",\"pid\":-1}",
                "{\"op\":\"stop\",\"services\":[\"a\\u0000b\"]}", "{\"op\":\"nope\"}", "{\"op\":1}", "[]", "null", "",
                "{\"op\":\"stop\"} x", "{\"op\":\"stop\"}{}", "{",
                /* reexec: a command line and an absolute directory */
                "{\"op\":\"reexec\",\"cwd\":\"/\"}", "{\"op\":\"reexec\",\"argv\":[],\"cwd\":\"/\"}",
                "{\"op\":\"reexec\",\"argv\":[\"x\"]}", "{\"op\":\"reexec\",\"argv\":[\"x\"],\"cwd\":\"rel\"}",
                "{\"op\":\"reexec\",\"argv\":[\"x\"],\"cwd\":\"/\",\"env\":[1]}",
                /* resize: a container and a size that fits a winsize */
                "{\"op\":\"resize\",\"rows\":1,\"cols\":1}", "{\"op\":\"resize\",\"id\":\"a\",\"rows\":1}",
                "{\"op\":\"resize\",\"id\":\"a\",\"rows\":-1,\"cols\":1}",
                "{\"op\":\"resize\",\"id\":\"a\",\"rows\":1,\"cols\":65536}",
                "{\"op\":\"resize\",\"id\":\"a\",\"rows\":\"1\",\"cols\":1}",
                /* rename: a container and a name */
                "{\"op\":\"rename\",\"id\":\"a\"}", "{\"op\":\"rename\",\"name\":\"n\"}",
                "{\"op\":\"rename\",\"id\":\"a\",\"name\":\"\"}",
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
                struct cc_ctl_req req;
                struct cc_error err = {0};
                if (parse(bad[i], &req, &err) == 0)
                        tap_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
                ASSERT(cc_error_msg(&err) && *cc_error_msg(&err));
                cc_error_clear(&err);
        }
        struct cc_ctl_req req;
        struct cc_error err = {0};
        ASSERT(parse("{\"op\":\"stop\",\"services\":\"x\"}", &req, &err) < 0);
        ASSERT_STREQ(cc_error_msg(&err), "bad request: \"services\" must be an array of strings");
        cc_error_clear(&err);
}

TEST(request_size_cap)
{
        size_t n = CC_CTL_MAX_REQUEST + 1;
        char *big = cc_xmalloc(n + 1);
        memset(big, ' ', n);
        memcpy(big, "{\"op\":\"ping\"}", 13);
        big[n] = '\0';
        struct cc_ctl_req req;
        struct cc_error err = {0};
        ASSERT(cc_ctl_req_parse(big, n, &req, &err) == -E2BIG);
        cc_error_clear(&err);
        ASSERT(cc_ctl_req_parse(big, n - 1, &req, &err) == 0 && req.op == CC_CTL_PING);
        cc_ctl_req_clear(&req);
        free(big);
}
