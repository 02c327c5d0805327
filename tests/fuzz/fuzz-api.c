/* libFuzzer target: what a client of the API service (orchestrator/api/)
 * controls before anything acts on it: the request target (first line of
 * the input: path and query decoding, the /vN.NN prefix) and a container
 * create body (the rest: JSON) turned into a compose service. Asserted: a
 * decoded path starts with "/"; the query is whole key/value pairs; a
 * service has its image and container name, and no string of it has a
 * lone "$" (compose would interpolate it); a refusal has a status and a
 * message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_strings(json_object *o)
{
        switch (json_object_get_type(o)) {
        case json_type_string: {
                const char *s = json_object_get_string(o);
                for (size_t i = 0; s[i]; i++)
                        if (s[i] == '$') {
                                if (s[i + 1] != '$')
                                        abort();
                                i++;
                        }
                break;
        }
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        check_strings(json_object_array_get_idx(o, i));
                break;
        case json_type_object: {
                json_object_object_foreach(o, k, v)
                {
                        (void) k;
                        check_strings(v);
                }
                break;
        }
        default: break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *nl = memchr(data, '\n', size);
        size_t ul = nl ? (size_t) (nl - (const char *) data) : size;
        char *url = strndup((const char *) data, ul);
        char *path = NULL;
        struct cc_strv query = {0};
        if (cc_api_parse_target(url, &path, &query) == 0 && (!path || path[0] != '/' || query.n % 2))
                abort();
        free(path);
        cc_strv_free(&query);
        free(url);
        if (!nl)
                return 0;
        json_tokener *tok = json_tokener_new();
        json_object *body = json_tokener_parse_ex(tok, nl + 1, (int) (size - ul - 1));
        json_tokener_free(tok);
        if (json_object_is_type(body, json_type_object)) {
                int status = 0;
                struct cc_error err = {0};
                json_object *svc = cc_api_compose_service(body, "fuzz", &status, &err);
                if (svc) {
                        json_object *v;
                        if (!json_object_object_get_ex(svc, "image", &v) || !json_object_is_type(v, json_type_string) ||
                            !json_object_object_get_ex(svc, "container_name", &v))
                                abort();
                        check_strings(svc);
                        json_object_put(svc);
                } else if ((status != 400 && status != 409) || !cc_error_msg(&err)[0]) {
                        abort();
                }
                cc_error_clear(&err);
        }
        json_object_put(body);
        return 0;
}
