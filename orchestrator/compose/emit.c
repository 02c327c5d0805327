/* YAML and JSON output of a node tree, in the shape docker compose config
 * prints: 2-space indentation, sequences indented under their key, strings
 * quoted only where a plain scalar would be read back differently. */
#include <stdio.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Whether go-yaml v3 would read s, written plain, as something other than
 * a string: beyond the core schema (cc_scalar_resolve), numbers with
 * underscores or Go's prefixes (0b, 0O, 0X), base-60 floats (1:20) and
 * timestamps (2001-12-14). */
static bool cc__goyaml_not_str(const char *s)
{
        if (cc_scalar_resolve(s) != CC_STR)
                return true;
        if (!strchr("0123456789+-.", s[0]))
                return false;
        _cleanup_free_ char *plain = cc_xstrdup(s);
        char *w = plain;
        for (const char *p = s; *p; p++)
                if (*p != '_')
                        *w++ = *p;
        *w = 0;
        const char *d = plain + (plain[0] == '+' || plain[0] == '-');
        static const char *const prefixed[] = {"0b", "0B", "0o", "0O", "0x", "0X"};
        static const char *const digits[] = {"01", "01", "01234567", "01234567", "0123456789abcdefABCDEF",
                                             "0123456789abcdefABCDEF"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(prefixed); i++)
                if (cc_startswith(d, prefixed[i]) && d[2] && strspn(d + 2, digits[i]) == strlen(d + 2))
                        return true;
        static const char *const res[] = {
                "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$",    /* yamlStyleFloat */
                "^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?$",              /* isBase60Float */
                "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$",                               /* timestamps */
                "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]*)?"
                "(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?$",
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(res); i++) {
                regex_t re;
                if (regcomp(&re, res[i], REG_EXTENDED | REG_NOSUB) != 0)
                        continue;
                bool m = regexec(&re, i == 1 ? s : plain, 0, NULL, 0) == 0;
                regfree(&re);
                if (m)
                        return true;
        }
        return false;
}

static bool cc__plain_safe(const char *s)
{
        if (!*s || cc__goyaml_not_str(s))
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
        return true;
}

/* go-yaml writes a string with line breaks as a literal block (|) unless
 * libyaml's emitter refuses one: other control characters, a space
 * before a break, a trailing space. */
static bool cc__literal_ok(const char *s)
{
        if (!strchr(s, '\n'))
                return false;
        size_t n = strlen(s);
        if (s[n - 1] == ' ')
                return false;
        for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char) *p;
                if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
                        return false;
                if (ch == ' ' && p[1] == '\n')
                        return false;
        }
        return true;
}

/* The literal block of s, its lines at column ind. */
static void cc__yaml_literal(struct cc_buf *b, const char *s, int ind)
{
        size_t n = strlen(s);
        cc_buf_putc(b, '|');
        if (s[0] == ' ' || s[0] == '\n')
                cc_buf_putc(b, '2'); /* indentation indicator */
        if (s[n - 1] != '\n')
                cc_buf_putc(b, '-');
        else if (n == 1 || s[n - 2] == '\n')
                cc_buf_putc(b, '+');
        cc_buf_putc(b, '\n');
        /* a final break ends the last line: it gives no empty line */
        const char *end = s[n - 1] == '\n' ? s + n - 1 : s + n;
        for (const char *p = s;;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
                if (len > 0) {
                        for (int i = 0; i < ind; i++)
                                cc_buf_putc(b, ' ');
                        cc_buf_add(b, p, len);
                }
                cc_buf_putc(b, '\n');
                if (!nl)
                        break;
                p = nl + 1;
        }
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

/* A scalar and its line's end; a literal block's lines go at column ind. */
static void cc__yaml_scalar(struct cc_buf *b, const struct cc_node *n, int ind)
{
        if (n->type == CC_STR) {
                if (cc__literal_ok(n->str)) {
                        cc__yaml_literal(b, n->str, ind);
                        return;
                }
                if (cc__plain_safe(n->str))
                        cc_buf_puts(b, n->str);
                else
                        cc__yaml_dq(b, n->str);
                cc_buf_putc(b, '\n');
                return;
        }
        _cleanup_free_ char *c = cc__canon_scalar(n);
        cc_buf_puts(b, c);
        cc_buf_putc(b, '\n');
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
                cc__yaml_scalar(b, v, ind);
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
                        else
                                cc__yaml_scalar(b, v, ind + 2);
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
                cc__yaml_scalar(b, n, 2);
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
