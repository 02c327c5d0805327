/* libFuzzer target: arbitrary bytes as a compose file through the whole
 * loader (YAML, interpolation, validation, normalisation, graph) and both
 * emitters. Any crash, leak or sanitizer report is a bug. */
#include <stddef.h>
#include <stdint.h>

#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = cc_xstrndup((const char *) data, size);
        struct cc_env shell = {0};
        cc_env_set(&shell, "HOME", "/home/fuzz");
        cc_env_set(&shell, "TAG", "1.0");
        cc_env_set(&shell, "EMPTY", "");
        struct cc_load_options o = {
                .cwd = "/nonexistent/fuzz",
                .shell = &shell,
                .stdin_data = text,
                .project_name = "fuzz",
        };
        cc_strv_push(&o.files, "-");
        struct cc_error err = {0};
        struct cc_project *p = NULL;
        if (cc_project_load(&o, &p, &err) == 0) {
                struct cc_buf b = {0};
                cc_emit_yaml(&b, p->model);
                cc_emit_json(&b, p->model, 2);
                cc_buf_free(&b);
                cc_project_free(p);
        }
        cc_error_clear(&err);
        cc_strv_free(&o.files);
        cc_env_free(&shell);
        free(text);
        return 0;
}
