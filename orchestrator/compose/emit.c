/* YAML and JSON output of a node tree, in the shape docker compose config
 * prints: 2-space indentation, sequences indented under their key, strings
 * quoted only where a plain scalar would be read back differently. */
#include <stdio.h>
#include <stdlib.h>

#include "node.h"

static bool cc__plain_safe(const char *s)
{
        if (!*s || cc_scalar_resolve(s) != CC_STR)
                return false;
        /* YAML 1.1 booleans that other readers would turn into bools */
        static const char *const y11[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                                          "on", "On", "ON", "off", "Off", "OFF"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(y11); i++)
                if (strcmp(s, y11[i]) == 0)
                        return false;
        if (strchr("?:,[]{}#&*!|>'\"%@` \t", s[0]))
                return false;
        /* as go-yaml: a leading dash only marks an item when a blank (or
         * nothing) follows it, and "---" a document ("--flag" is plain) */
        if (s[0] == '-' && (!s[1] || s[1] == ' ' || s[1] == '\t' || cc_startswith(s, "---")))
                return false;
        size_t n = strlen(s);
        if (s[n - 1] == ' ' || s[n - 1] == ':' || s[n - 1] == '\t')
                return false;
        for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char) *p;
                if (ch < 0x20 || ch == 0x7f)
                        return false;
                if (ch == ':' && (p[1] == ' ' || p[1] == '\t'))
                        return false;
                if (ch == '#' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
                        return false;
        }
        /* looks like a number in another notation (1_000, 0b1, 1:20) */
        if ((s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '+') {
                bool alnum = true;
                for (const char *p = s; *p; p++)
                        if (!strchr("0123456789._:+-eEbBxXoO", *p))
                                alnum = false;
                if (alnum)
                        return false;
        }
        return true;
}

static void cc__yaml_dq(struct cc_buf *b, const char *s)
{
        cc_buf_putc(b, '"');
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"': cc_buf_puts(b, "\\\""); break;
                case '\\': cc_buf_puts(b, "\\\\"); break;
                case '\n': cc_buf_puts(b, "\\n"); break;
                case '\t': cc_buf_puts(b, "\\t"); break;
                case '\r': cc_buf_puts(b, "\\r"); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                cc_buf_printf(b, "\\x%02x", *p);
                        else
                                cc_buf_putc(b, (char) *p);
                }
        }
        cc_buf_putc(b, '"');
}

/* Canonical text of a number/bool scalar (0x1F -> 31, True -> true). */
static char *cc__canon_scalar(const struct cc_node *n)
{
        switch (n->type) {
        case CC_BOOL:
                return cc_xstrdup(n->str[0] == 't' || n->str[0] == 'T' ? "true" : "false");
        case CC_NULL:
                return cc_xstrdup("null");
        case CC_INT: {
                const char *s = n->str;
                bool neg = s[0] == '-';
                if (s[0] == '-' || s[0] == '+')
                        s++;
                unsigned long long v;
                if (s[0] == '0' && s[1] == 'x')
                        v = strtoull(s + 2, NULL, 16);
                else if (s[0] == '0' && s[1] == 'o')
                        v = strtoull(s + 2, NULL, 8);
                else if (s[0] == '0' && s[1] >= '0' && s[1] <= '7')
                        v = strtoull(s + 1, NULL, 8); /* go-yaml v3 reads a leading 0 as octal */
                else
                        v = strtoull(s, NULL, 10);
                return neg ? cc_xasprintf("-%llu", v) : cc_xasprintf("%llu", v);
        }
        default:
                return cc_xstrdup(n->str);
        }
}

static void cc__yaml_scalar(struct cc_buf *b, const struct cc_node *n)
{
        if (n->type == CC_STR) {
                if (cc__plain_safe(n->str))
                        cc_buf_puts(b, n->str);
                else
                        cc__yaml_dq(b, n->str);
                return;
        }
        _cleanup_free_ char *c = cc__canon_scalar(n);
        cc_buf_puts(b, c);
}

static void cc__indent(struct cc_buf *b, int n)
{
        for (int i = 0; i < n; i++)
                cc_buf_putc(b, ' ');
}

static bool cc__is_block(const struct cc_node *n)
{
        return n && n->kind != CC_NODE_SCALAR && n->n > 0;
}

static void cc__yaml_node(struct cc_buf *b, const struct cc_node *n, int ind);

static void cc__yaml_inline_or_newline(struct cc_buf *b, const struct cc_node *v, int ind)
{
        if (!v) {
                cc_buf_puts(b, " null\n");
        } else if (cc__is_block(v)) {
                cc_buf_putc(b, '\n');
                cc__yaml_node(b, v, ind);
        } else if (v->kind == CC_NODE_MAP) {
                cc_buf_puts(b, " {}\n");
        } else if (v->kind == CC_NODE_SEQ) {
                cc_buf_puts(b, " []\n");
        } else {
                cc_buf_putc(b, ' ');
                cc__yaml_scalar(b, v);
                cc_buf_putc(b, '\n');
        }
}

/* Emit a block node whose first line starts at column ind (already
 * indented when first_inline). */
static void cc__yaml_block(struct cc_buf *b, const struct cc_node *n, int ind, bool first_inline)
{
        for (size_t i = 0; i < n->n; i++) {
                if (i > 0 || !first_inline)
                        cc__indent(b, ind);
                if (n->kind == CC_NODE_MAP) {
                        const char *k = n->keys[i]->str;
                        if (cc__plain_safe(k))
                                cc_buf_puts(b, k);
                        else
                                cc__yaml_dq(b, k);
                        cc_buf_putc(b, ':');
                        cc__yaml_inline_or_newline(b, n->items[i], ind + 2);
                } else {
                        const struct cc_node *v = n->items[i];
                        cc_buf_puts(b, "- ");
                        if (cc__is_block(v))
                                cc__yaml_block(b, v, ind + 2, true);
                        else if (v->kind == CC_NODE_MAP)
                                cc_buf_puts(b, "{}\n");
                        else if (v->kind == CC_NODE_SEQ)
                                cc_buf_puts(b, "[]\n");
                        else {
                                cc__yaml_scalar(b, v);
                                cc_buf_putc(b, '\n');
                        }
                }
        }
}

static void cc__yaml_node(struct cc_buf *b, const struct cc_node *n, int ind)
{
        cc__yaml_block(b, n, ind, false);
}

void cc_emit_yaml(struct cc_buf *b, const struct cc_node *n)
{
        if (!n) {
                cc_buf_puts(b, "{}\n");
        } else if (cc__is_block(n)) {
                cc__yaml_node(b, n, 0);
        } else if (n->kind == CC_NODE_SCALAR) {
                cc__yaml_scalar(b, n);
                cc_buf_putc(b, '\n');
        } else {
                cc_buf_puts(b, n->kind == CC_NODE_MAP ? "{}\n" : "[]\n");
        }
}

/* JSON string escaping as Go's encoding/json does (HTML-safe). */
static void cc__json_str(struct cc_buf *b, const char *s)
{
        cc_buf_putc(b, '"');
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"': cc_buf_puts(b, "\\\""); break;
                case '\\': cc_buf_puts(b, "\\\\"); break;
                case '\n': cc_buf_puts(b, "\\n"); break;
                case '\r': cc_buf_puts(b, "\\r"); break;
                case '\t': cc_buf_puts(b, "\\t"); break;
                case '<': cc_buf_puts(b, "\\u003c"); break;
                case '>': cc_buf_puts(b, "\\u003e"); break;
                case '&': cc_buf_puts(b, "\\u0026"); break;
                default:
                        if (*p < 0x20)
                                cc_buf_printf(b, "\\u%04x", *p);
                        else
                                cc_buf_putc(b, (char) *p);
                }
        }
        cc_buf_putc(b, '"');
}

static void cc__json_node(struct cc_buf *b, const struct cc_node *n, int indent, int level)
{
        if (!n) {
                cc_buf_puts(b, "null");
                return;
        }
        if (n->kind == CC_NODE_SCALAR) {
                if (n->type == CC_STR) {
                        cc__json_str(b, n->str);
                } else if (n->type == CC_FLOAT && (strchr(n->str, 'n') || strchr(n->str, 'N'))) {
                        cc__json_str(b, n->str); /* .inf / .nan have no JSON form */
                } else {
                        _cleanup_free_ char *c = cc__canon_scalar(n);
                        cc_buf_puts(b, c);
                }
                return;
        }
        bool map = n->kind == CC_NODE_MAP;
        if (n->n == 0) {
                cc_buf_puts(b, map ? "{}" : "[]");
                return;
        }
        cc_buf_putc(b, map ? '{' : '[');
        for (size_t i = 0; i < n->n; i++) {
                if (i)
                        cc_buf_putc(b, ',');
                if (indent) {
                        cc_buf_putc(b, '\n');
                        cc__indent(b, indent * (level + 1));
                }
                if (map) {
                        cc__json_str(b, n->keys[i]->str);
                        cc_buf_puts(b, indent ? ": " : ":");
                }
                cc__json_node(b, n->items[i], indent, level + 1);
        }
        if (indent) {
                cc_buf_putc(b, '\n');
                cc__indent(b, indent * level);
        }
        cc_buf_putc(b, map ? '}' : ']');
}

void cc_emit_json(struct cc_buf *b, const struct cc_node *n, int indent)
{
        cc__json_node(b, n, indent, 0);
}
