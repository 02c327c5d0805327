/* libFuzzer target: a control request line, as the supervisor reads it from
 * its socket (orchestrator/supervisor/sup-request.c): parsed and every
 * field type-checked before anything acts on it. The checks the supervisor
 * relies on afterwards are asserted here: a request that parses has only
 * strings where strings belong and the fields its operation needs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup-request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct cc_ctl_req *req)
{
        for (size_t i = 0; i < req->services.n; i++)
                if (!req->services.v[i])
                        abort();
        (void) cc_ctl_req_wants(req, "web");
        if (!req->op_name || req->timeout_ms < -1)
                abort();
        if (req->signal && req->sig <= 0)
                abort();
        switch (req->op) {
        case CC_CTL_RUN:
                if (!req->ov || !req->service)
                        abort();
                for (size_t i = 0; i < req->ov->command.n; i++)
                        (void) strlen(req->ov->command.v[i]);
                break;
        case CC_CTL_NETATTACH:
                if (req->pid <= 0)
                        abort();
                /* fall through */
        case CC_CTL_NETDETACH:
                if (!req->service || !req->id || !req->name)
                        abort();
                break;
        default:
                break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cc_ctl_req req;
        struct cc_error err = {0};
        /* the supervisor hands over the line without its newline, NUL-terminated */
        char *line = malloc(size + 1);
        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = '\0';
        if (cc_ctl_req_parse(line, size, &req, &err) == 0) {
                check(&req);
                cc_ctl_req_clear(&req);
        } else {
                if (!cc_error_msg(&err))
                        abort();
                cc_error_clear(&err);
        }
        free(line);
        return 0;
}
