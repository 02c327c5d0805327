/* Variable substitution as compose-go's template package does it.
 *
 * compose-go finds expressions with one regular expression:
 *
 *   \$(?i:(\$) | ([_a-z][_a-z0-9]*) | {(?:([_a-z][_a-z0-9]*(?::?[-+?](.*))?)}
 *        | ([_a-z][_a-z0-9]*\[(.*)\]...)} | ()))
 *
 * and this file reproduces what that expression and the code around it do,
 * without a regex engine:
 *   - "$$" is a literal "$";
 *   - "$NAME" and "${NAME}" are replaced by the value ("" when unset);
 *   - "${NAME<op>arg}" with op one of :- - :+ + :? ? (the operator is the one
 *     written right after the name); the argument is itself substituted,
 *     always and before the variable is looked at, so an error inside a
 *     default is reported even when the default is not used;
 *   - the argument ends at the first '}' that balances the '${', counted the
 *     way compose-go's getFirstBraceClosingIndex counts (every '{' opens and
 *     the character after it is skipped), and it never crosses a newline
 *     (the regex's ".*" does not match one);
 *   - "${NAME[...]...}" (compose-go's named mappings, which docker compose
 *     does not enable) is left as written;
 *   - any other "${" is an invalid expression;
 *   - a "$" followed by anything else ("5$", "$ ", "$1", "$}", "$" at the
 *     end) is kept as written. */
#include <errno.h>

#include "interpolate.h"

/* Deeper nesting than this is refused instead of recursing further. */
#define CC_INTERP_MAX_DEPTH 64

struct cc__subst {
        cc_lookup_fn lookup;
        void *userdata;
        struct cc_strv *unset;  /* NULL, or where the unset variables of
                                 * $NAME and ${NAME} go, once each */
};

static bool cc__is_name_start(char c)
{
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool cc__is_name_char(char c)
{
        return cc__is_name_start(c) || (c >= '0' && c <= '9');
}

static const char *cc__lookup(const struct cc__subst *st, const char *name, size_t n)
{
        _cleanup_free_ char *key = cc_xstrndup(name, n);
        return st->lookup(key, st->userdata);
}

/* $NAME or ${NAME}: the value, "" when unset (and the name noted). */
static void cc__put_var(const struct cc__subst *st, const char *name, size_t n, struct cc_buf *out)
{
        _cleanup_free_ char *key = cc_xstrndup(name, n);
        const char *v = st->lookup(key, st->userdata);
        if (v)
                cc_buf_puts(out, v);
        else if (st->unset && !cc_strv_contains(st->unset, key))
                cc_strv_push(st->unset, key);
}

static int cc__invalid(struct cc_error *err, const char *tmpl, size_t len, const char *why)
{
        return cc_error_set(err, -EINVAL, "invalid interpolation format for %.*s: %s", (int) len, tmpl, why);
}

/* Index of the '}' that closes the "${" at s[0], counted as compose-go does,
 * looking no further than end (exclusive); -1 when it is not closed. */
static ssize_t cc__closing_brace(const char *s, size_t end)
{
        int open = 0;
        for (size_t k = 0; k < end; k++) {
                if (s[k] == '}') {
                        open--;
                        if (open == 0)
                                return (ssize_t) k;
                }
                if (s[k] == '{') {
                        open++;
                        k++;
                }
        }
        return -1;
}

/* Index of the last '}' in s[from, end), or -1. */
static ssize_t cc__last_brace(const char *s, size_t from, size_t end)
{
        for (size_t k = end; k > from; k--)
                if (s[k - 1] == '}')
                        return (ssize_t) (k - 1);
        return -1;
}

/* Where the expression starting with "${" at s[0] ends (the index of its
 * '}'), given that its text after the opening may start at `from`; -1 when
 * no '}' follows on the same line. */
static ssize_t cc__expr_end(const char *s, size_t from, size_t len)
{
        const char *nl = memchr(s, '\n', len);
        size_t eol = nl ? (size_t) (nl - s) : len;
        ssize_t c = cc__closing_brace(s, eol);
        if (c >= 0)
                return c;
        return cc__last_brace(s, from, eol);
}

static int cc__subst(const struct cc__subst *st, const char *s, size_t len, unsigned depth, struct cc_buf *out,
                     struct cc_error *err);

/* ${NAME<op>arg}: name is s[0, n), op is "-", ":-", "+", ":+", "?" or ":?". */
static int cc__apply_op(const struct cc__subst *st, const char *name, size_t n, bool colon, char op,
                        const char *arg, size_t arglen, unsigned depth, struct cc_buf *out, struct cc_error *err)
{
        struct cc_buf a = {0};
        int r = cc__subst(st, arg, arglen, depth + 1, &a, err);
        if (r < 0) {
                cc_buf_free(&a);
                return r;
        }
        const char *argval = a.s ? a.s : "";
        const char *v = cc__lookup(st, name, n);
        bool set = v != NULL, nonempty = v && *v;

        switch (op) {
        case '-':
                cc_buf_puts(out, (colon ? nonempty : set) ? v : argval);
                break;
        case '+':
                if (colon ? nonempty : set)
                        cc_buf_puts(out, argval);
                else if (v)
                        cc_buf_puts(out, v);
                break;
        case '?':
                if (!(colon ? nonempty : set)) {
                        if (*argval)
                                r = cc_error_set(err, -EINVAL, "required variable %.*s is missing a value: %s",
                                                 (int) n, name, argval);
                        else
                                r = cc_error_set(err, -EINVAL, "required variable %.*s is missing a value",
                                                 (int) n, name);
                        break;
                }
                cc_buf_puts(out, v);
                break;
        }
        cc_buf_free(&a);
        return r;
}

/* The expression starting with "${" at s[i]: appends its value to out and
 * returns the index just after it, or a negative code. */
static ssize_t cc__subst_braced(const struct cc__subst *st, const char *s, size_t len, size_t i, unsigned depth,
                                struct cc_buf *out, struct cc_error *err)
{
        size_t p = i + 2, q = p;
        if (p >= len || !cc__is_name_start(s[p]))
                return cc__invalid(err, s, len, "you may need to escape any $ with another $");
        while (q < len && cc__is_name_char(s[q]))
                q++;
        if (q < len && s[q] == '}') {
                cc__put_var(st, s + p, q - p, out);
                return (ssize_t) (q + 1);
        }

        size_t r = q;
        bool colon = r < len && s[r] == ':';
        if (colon)
                r++;
        if (r < len && (s[r] == '-' || s[r] == '+' || s[r] == '?')) {
                char op = s[r++];
                ssize_t e = cc__expr_end(s + i, r - i, len - i);
                if (e >= 0) {
                        size_t end = i + (size_t) e;
                        int ret = cc__apply_op(st, s + p, q - p, colon, op, s + r, end - r, depth, out, err);
                        return ret < 0 ? ret : (ssize_t) (end + 1);
                }
        } else if (!colon && q < len && s[q] == '[') {
                /* A named mapping: kept as written when it is closed. */
                ssize_t e = cc__expr_end(s + i, q - i, len - i);
                if (e >= 0 && memchr(s + q, ']', (size_t) e - (q - i))) {
                        cc_buf_add(out, s + i, (size_t) e + 1);
                        return (ssize_t) (i + (size_t) e + 1);
                }
        }
        return cc__invalid(err, s, len, "you may need to escape any $ with another $");
}

/* Substitute in s[0, len), appending to out. Returns 0 or a negative code. */
static int cc__subst(const struct cc__subst *st, const char *s, size_t len, unsigned depth, struct cc_buf *out,
                     struct cc_error *err)
{
        if (depth > CC_INTERP_MAX_DEPTH)
                return cc__invalid(err, s, len, "expressions nested too deeply");

        size_t i = 0;
        while (i < len) {
                const char *dollar = memchr(s + i, '$', len - i);
                size_t at = dollar ? (size_t) (dollar - s) : len;
                cc_buf_add(out, s + i, at - i);
                i = at;
                if (i >= len)
                        break;

                char c = i + 1 < len ? s[i + 1] : '\0';
                if (c == '$') {
                        cc_buf_putc(out, '$');
                        i += 2;
                } else if (cc__is_name_start(c)) {
                        size_t q = i + 1;
                        while (q < len && cc__is_name_char(s[q]))
                                q++;
                        cc__put_var(st, s + i + 1, q - i - 1, out);
                        i = q;
                } else if (c == '{') {
                        ssize_t next = cc__subst_braced(st, s, len, i, depth, out, err);
                        if (next < 0)
                                return (int) next;
                        i = (size_t) next;
                } else {
                        /* Any other "$" (also one at the very end) stays. */
                        cc_buf_putc(out, '$');
                        i++;
                }
        }
        return 0;
}

static int cc__interpolate(const char *in, const struct cc__subst *st, char **out, struct cc_error *err)
{
        struct cc_buf b = {0};
        int r = cc__subst(st, in, strlen(in), 0, &b, err);
        if (r < 0) {
                cc_buf_free(&b);
                return r;
        }
        *out = cc_buf_steal(&b);
        return 0;
}

int cc_interpolate_lookup(const char *in, cc_lookup_fn lookup, void *userdata, char **out, struct cc_error *err)
{
        struct cc__subst st = {.lookup = lookup, .userdata = userdata};
        return cc__interpolate(in, &st, out, err);
}

static const char *cc__env_lookup(const char *name, void *userdata)
{
        return cc_env_get(userdata, name);
}

/* One string, with its position in errors; unset variables noted in
 * unset (may be NULL). */
static int cc__interp_str(const char *in, const struct cc_env *env, const struct cc_pos *pos, struct cc_strv *unset,
                          char **out, struct cc_error *err)
{
        struct cc__subst st = {.lookup = cc__env_lookup, .userdata = (void *) env, .unset = unset};
        int r = cc__interpolate(in, &st, out, err);
        if (r < 0 && pos) {
                _cleanup_free_ char *where = cc_pos_str(pos);
                cc_error_prefix(err, "%s", where);
        }
        return r;
}

int cc_interpolate_str(const char *in, const struct cc_env *env, const struct cc_pos *pos, char **out,
                       struct cc_error *err)
{
        return cc__interp_str(in, env, pos, NULL, out, err);
}

int cc_interpolate_tree_unset(struct cc_node *root, const struct cc_env *env, struct cc_strv *unset,
                              struct cc_error *err)
{
        if (!root)
                return 0;
        switch (root->kind) {
        case CC_NODE_SCALAR: {
                if (!root->str || !strchr(root->str, '$'))
                        return 0;
                _cleanup_free_ char *s = NULL;
                int r = cc__interp_str(root->str, env, &root->pos, unset, &s, err);
                if (r < 0)
                        return r;
                if (strcmp(s, root->str) != 0) {
                        cc_node_set_scalar(root, s, CC_STR);
                        root->flags |= CC_NODE_INTERPOLATED;
                        root->quoted = false;
                }
                return 0;
        }
        case CC_NODE_SEQ:
        case CC_NODE_MAP:
                for (size_t i = 0; i < root->n; i++) {
                        int r = cc_interpolate_tree_unset(root->items[i], env, unset, err);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        return 0;
}

int cc_interpolate_tree(struct cc_node *root, const struct cc_env *env, struct cc_error *err)
{
        return cc_interpolate_tree_unset(root, env, NULL, err);
}
