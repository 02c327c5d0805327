/* Variables of a model (config --variables), found as compose-go's
 * template.ExtractVariables finds them. */
#include <stdlib.h>

#include "variables.h"

static bool cc__name_start(char c)
{
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool cc__name_char(char c)
{
        return cc__name_start(c) || (c >= '0' && c <= '9');
}

static void cc__add(struct cc_variables *out, const char *name, size_t len, const char *def, const char *alt,
                    bool required)
{
        struct cc_variable *v = NULL;
        for (size_t i = 0; i < out->n && !v; i++)
                if (strlen(out->v[i].name) == len && strncmp(out->v[i].name, name, len) == 0)
                        v = &out->v[i];
        if (!v) {
                out->v = cc_xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
                v = &out->v[out->n++];
                v->name = cc_xstrndup(name, len);
        } else {
                free(v->def);
                free(v->alt);
        }
        v->def = cc_xstrdup(def ? def : "");
        v->alt = cc_xstrdup(alt ? alt : "");
        v->required = required;
}

/* Index of the brace closing the ${ at s[0], or 0. */
static size_t cc__closing(const char *s)
{
        int open = 0;
        for (size_t i = 0; s[i]; i++) {
                if (s[i] == '}') {
                        if (--open == 0)
                                return i;
                } else if (s[i] == '{') {
                        open++;
                }
        }
        return 0;
}

static void cc__extract(const char *s, struct cc_variables *out);

/* The inside of ${...}: NAME, then an operator and its value. */
static void cc__braced(const char *val, struct cc_variables *out)
{
        size_t nl = 0;
        while (cc__name_char(val[nl]))
                nl++;
        const char *rest = val + nl;
        _cleanup_free_ char *def = NULL, *alt = NULL;
        bool required = false;
        if (nl > 0 && *rest) {
                if (cc_startswith(rest, ":?") || rest[0] == '?')
                        required = true;
                else if (cc_startswith(rest, ":-"))
                        def = cc_xstrdup(rest + 2);
                else if (rest[0] == '-')
                        def = cc_xstrdup(rest + 1);
                else if (cc_startswith(rest, ":+"))
                        alt = cc_xstrdup(rest + 2);
                else if (rest[0] == '+')
                        alt = cc_xstrdup(rest + 1);
        }
        cc__add(out, val, nl ? nl : strlen(val), def, alt, required);
        if (def && *def)
                cc__extract(def, out);
        if (alt && *alt)
                cc__extract(alt, out);
}

static void cc__extract(const char *s, struct cc_variables *out)
{
        for (const char *p = s; (p = strchr(p, '$'));) {
                if (p[1] == '$') {
                        p += 2;
                } else if (cc__name_start(p[1])) {
                        size_t n = 1;
                        while (cc__name_char(p[1 + n]))
                                n++;
                        cc__add(out, p + 1, n, NULL, NULL, false);
                        p += 1 + n;
                } else if (p[1] == '{' && cc__name_start(p[2])) {
                        size_t close = cc__closing(p + 1);
                        if (!close) {
                                p++;
                                continue;
                        }
                        _cleanup_free_ char *val = cc_xstrndup(p + 2, close - 1);
                        cc__braced(val, out);
                        p += close + 2;
                } else {
                        p++;
                }
        }
}

static void cc__collect(const struct cc_node *n, struct cc_variables *out)
{
        if (!n)
                return;
        if (n->kind == CC_NODE_SCALAR) {
                if (n->type == CC_STR && n->str && strchr(n->str, '$'))
                        cc__extract(n->str, out);
                return;
        }
        for (size_t i = 0; i < n->n; i++)
                cc__collect(n->items[i], out);
}

static int cc__by_name(const void *a, const void *b)
{
        return strcmp(((const struct cc_variable *) a)->name, ((const struct cc_variable *) b)->name);
}

void cc_variables_collect(const struct cc_node *n, struct cc_variables *out)
{
        cc__collect(n, out);
        if (out->n)
                qsort(out->v, out->n, sizeof(*out->v), cc__by_name);
}

static void cc__json_str(struct cc_buf *b, const char *s)
{
        struct cc_node *n = cc_node_new_str(s, NULL);
        cc_emit_json(b, n, 0);
        cc_node_free(n);
}

/* A cell of docker's table (text/tabwriter, minwidth 20, padding 3). */
static void cc__cell(struct cc_buf *b, const char *s, size_t width)
{
        cc_buf_puts(b, s);
        for (size_t i = strlen(s); i < width; i++)
                cc_buf_putc(b, ' ');
}

void cc_variables_format(const struct cc_variables *vars, const char *format, struct cc_buf *b)
{
        if (format && strcmp(format, "json") == 0) {
                cc_buf_putc(b, '{');
                for (size_t i = 0; i < vars->n; i++) {
                        const struct cc_variable *v = &vars->v[i];
                        if (i)
                                cc_buf_putc(b, ',');
                        cc__json_str(b, v->name);
                        cc_buf_puts(b, ":{\"Name\":");
                        cc__json_str(b, v->name);
                        cc_buf_puts(b, ",\"DefaultValue\":");
                        cc__json_str(b, v->def);
                        cc_buf_puts(b, ",\"PresenceValue\":");
                        cc__json_str(b, v->alt);
                        cc_buf_printf(b, ",\"Required\":%s}", v->required ? "true" : "false");
                }
                cc_buf_puts(b, "}\n");
                return;
        }
        if (format && strcmp(format, "yaml") == 0) {
                struct cc_node *m = cc_node_new_map(NULL);
                for (size_t i = 0; i < vars->n; i++) {
                        const struct cc_variable *v = &vars->v[i];
                        struct cc_node *e = cc_node_new_map(NULL);
                        cc_node_map_set(e, "name", NULL, cc_node_new_str(v->name, NULL));
                        cc_node_map_set(e, "defaultvalue", NULL, cc_node_new_str(v->def, NULL));
                        cc_node_map_set(e, "presencevalue", NULL, cc_node_new_str(v->alt, NULL));
                        cc_node_map_set(e, "required", NULL, cc_node_new_bool(v->required, NULL));
                        cc_node_map_set(m, v->name, NULL, e);
                }
                cc_emit_yaml(b, m);
                cc_node_free(m);
                return;
        }
        static const char *const head[] = {"NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE"};
        size_t w[3];
        for (size_t c = 0; c < 3; c++) {
                size_t max = strlen(head[c]);
                for (size_t i = 0; i < vars->n; i++) {
                        const struct cc_variable *v = &vars->v[i];
                        const char *cell = c == 0 ? v->name : c == 1 ? (v->required ? "true" : "false") : v->def;
                        if (strlen(cell) > max)
                                max = strlen(cell);
                }
                w[c] = max + 3 > 20 ? max + 3 : 20;
        }
        for (size_t c = 0; c < 3; c++)
                cc__cell(b, head[c], w[c]);
        cc_buf_printf(b, "%s\n", head[3]);
        for (size_t i = 0; i < vars->n; i++) {
                const struct cc_variable *v = &vars->v[i];
                cc__cell(b, v->name, w[0]);
                cc__cell(b, v->required ? "true" : "false", w[1]);
                cc__cell(b, v->def, w[2]);
                cc_buf_printf(b, "%s\n", v->alt);
        }
}

void cc_variables_free(struct cc_variables *vars)
{
        for (size_t i = 0; i < vars->n; i++) {
                free(vars->v[i].name);
                free(vars->v[i].def);
                free(vars->v[i].alt);
        }
        free(vars->v);
        *vars = (struct cc_variables){0};
}
