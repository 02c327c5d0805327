/* Environment maps and the .env file format, as compose-go's dotenv package
 * reads it (statement by statement, not line by line: a quoted value may
 * span lines, and text after a closing quote starts the next statement). */
#include <errno.h>

#include "env.h"
#include "hindex.h"
#include "input.h"
#include "interpolate.h"

/* Environments of up to this many keys are searched in order; larger ones
 * (a long .env or env_file) get a hash index, built on the first lookup. */
#define CC_ENV_INDEX_MIN 16

static const char *cc__env_key_at(const void *env, size_t i)
{
        return ((const struct cc_env *) env)->keys[i];
}

static void cc__env_drop_index(struct cc_env *env)
{
        if (!env->index)
                return;
        cc_hindex_free(env->index);
        free(env->index);
        env->index = NULL;
}

static ssize_t cc__env_index(const struct cc_env *env, const char *key)
{
        if (!env)
                return -1;
        if (env->n <= CC_ENV_INDEX_MIN && !env->index) {
                for (size_t i = 0; i < env->n; i++)
                        if (strcmp(env->keys[i], key) == 0)
                                return (ssize_t) i;
                return -1;
        }
        if (!env->index) {
                /* the index is a cache: building it does not change the environment */
                struct cc_env *e = (struct cc_env *) env;
                e->index = cc_xcalloc(1, sizeof(*e->index));
                cc_hindex_build(e->index, e->n, cc__env_key_at, e);
        }
        return cc_hindex_find(env->index, key, cc__env_key_at, env);
}

const char *cc_env_get(const struct cc_env *env, const char *key)
{
        ssize_t i = cc__env_index(env, key);
        return i < 0 ? NULL : env->vals[i];
}

bool cc_env_has(const struct cc_env *env, const char *key)
{
        return cc__env_index(env, key) >= 0;
}

void cc_env_set(struct cc_env *env, const char *key, const char *val)
{
        char *v = val ? cc_xstrdup(val) : NULL;
        ssize_t i = cc__env_index(env, key);
        if (i >= 0) {
                free(env->vals[i]);
                env->vals[i] = v;
                return;
        }
        if (env->n == env->cap) {
                env->cap = env->cap ? env->cap * 2 : 16;
                env->keys = cc_xrealloc(env->keys, env->cap * sizeof(*env->keys));
                env->vals = cc_xrealloc(env->vals, env->cap * sizeof(*env->vals));
        }
        env->keys[env->n] = cc_xstrdup(key);
        env->vals[env->n] = v;
        if (env->index)
                cc_hindex_add(env->index, env->keys[env->n], env->n);
        env->n++;
}

void cc_env_set_default(struct cc_env *env, const char *key, const char *val)
{
        if (!cc_env_has(env, key))
                cc_env_set(env, key, val);
}

void cc_env_unset(struct cc_env *env, const char *key)
{
        ssize_t i = cc__env_index(env, key);
        if (i < 0)
                return;
        free(env->keys[i]);
        free(env->vals[i]);
        size_t rest = env->n - (size_t) i - 1;
        memmove(env->keys + i, env->keys + i + 1, rest * sizeof(*env->keys));
        memmove(env->vals + i, env->vals + i + 1, rest * sizeof(*env->vals));
        env->n--;
        cc__env_drop_index(env);
}

void cc_env_merge(struct cc_env *dst, const struct cc_env *src)
{
        for (size_t i = 0; src && i < src->n; i++)
                cc_env_set(dst, src->keys[i], src->vals[i]);
}

void cc_env_free(struct cc_env *env)
{
        if (!env)
                return;
        for (size_t i = 0; i < env->n; i++) {
                free(env->keys[i]);
                free(env->vals[i]);
        }
        free(env->keys);
        free(env->vals);
        cc__env_drop_index(env);
        *env = (struct cc_env){0};
}

void cc_env_from_environ(struct cc_env *env, char **environ_)
{
        for (char **e = environ_; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                if (!eq || eq == *e)
                        continue;
                _cleanup_free_ char *key = cc_xstrndup(*e, (size_t) (eq - *e));
                cc_env_set_default(env, key, eq + 1);
        }
}

/* .env parsing */


struct cc__dotenv {
        const char *file;
        const char *p;                /* cursor */
        unsigned line;                /* line of the cursor */
        const struct cc_env *lookup;
        struct cc_env vars;           /* what this file defined so far */
        struct cc_error *err;
};

/* Blanks inside a statement (Go's dotenv isSpace: no newline). */
static bool cc__is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* Any whitespace (the ASCII part of Go's unicode.IsSpace). */
static bool cc__is_space(char c)
{
        return cc__is_blank(c) || c == '\n';
}

/* [A-Za-z0-9_.[\]-] and any non-ASCII byte (Go accepts every Unicode letter
 * and digit). */
static bool cc__is_key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '.' || c == '-' || c == '[' || c == ']' || (unsigned char) c >= 0x80;
}

static void cc__dotenv_move(struct cc__dotenv *d, const char *to)
{
        for (const char *s = d->p; s < to; s++)
                if (*s == '\n')
                        d->line++;
        d->p = to;
}

/* Skip whitespace and comment lines; false at the end of the data. */
static bool cc__dotenv_next_statement(struct cc__dotenv *d)
{
        const char *s = d->p;
        for (;;) {
                while (cc__is_space(*s))
                        s++;
                if (*s != '#')
                        break;
                while (*s && *s != '\n')
                        s++;
        }
        cc__dotenv_move(d, s);
        return *s != '\0';
}

static int cc__dotenv_error(const struct cc__dotenv *d, unsigned line, const char *fmt, ...) CC_PRINTF(3, 4);
static int cc__dotenv_error(const struct cc__dotenv *d, unsigned line, const char *fmt, ...)
{
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        int r = cc_error_set(d->err, -EINVAL, "%s:%u: %s", d->file, line, b.s ? b.s : "");
        cc_buf_free(&b);
        return r;
}

/* compose-go looks a variable up in the lookup environment first, then
 * among the keys the file defined before. */
static const char *cc__dotenv_lookup(const char *name, void *userdata)
{
        const struct cc__dotenv *d = userdata;
        const char *v = cc_env_get(d->lookup, name);
        return v ? v : cc_env_get(&d->vars, name);
}

/* Append the UTF-8 encoding of a code point below 256 (Go's string(rune)). */
static void cc__put_latin1(struct cc_buf *b, unsigned v)
{
        if (v == 0)
                return; /* cannot live in a C string, nor in an environment */
        if (v < 0x80) {
                cc_buf_putc(b, (char) v);
                return;
        }
        cc_buf_putc(b, (char) (0xc0 | (v >> 6)));
        cc_buf_putc(b, (char) (0x80 | (v & 0x3f)));
}

static int cc__simple_escape(char c)
{
        switch (c) {
        case 'a': return '\a';
        case 'b': return '\b';
        case 'f': return '\f';
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case 'v': return '\v';
        case '\\': return '\\';
        case '"': return '"';
        default: return -1;
        }
}

/* The escapes of a double-quoted value, as compose-go expands them: \a \b
 * \f \n \r \t \v \\ \" become the character, \$ becomes "$$" (a literal "$"
 * once interpolated), \0 followed by three octal digits is that character,
 * and any other backslash stays. */
static char *cc__expand_escapes(const char *s, size_t len)
{
        struct cc_buf b = {0};
        for (size_t i = 0; i < len; i++) {
                if (s[i] != '\\' || i + 1 >= len) {
                        cc_buf_putc(&b, s[i]);
                        continue;
                }
                char c = s[i + 1];
                int e = cc__simple_escape(c);
                if (e >= 0) {
                        cc_buf_putc(&b, (char) e);
                        i++;
                } else if (c == '$') {
                        cc_buf_puts(&b, "$$");
                        i++;
                } else if (c == '0') {
                        size_t k = i + 2, nd = 0;
                        unsigned v = 0;
                        bool octal = true;
                        while (nd < 3 && k + nd < len && s[k + nd] >= '0' && s[k + nd] <= '9') {
                                octal = octal && s[k + nd] <= '7';
                                v = v * 8 + (unsigned) (s[k + nd] - '0');
                                nd++;
                        }
                        if (nd == 3 && octal && v <= 255) {
                                cc__put_latin1(&b, v);
                        } else {
                                /* Go rewrites "\0" to "\" and keeps that
                                 * when the rest is no valid octal escape. */
                                cc_buf_putc(&b, '\\');
                                cc_buf_add(&b, s + k, nd);
                        }
                        i = k + nd - 1;
                } else {
                        cc_buf_putc(&b, '\\');
                }
        }
        return cc_buf_steal(&b);
}

/* A quoted value starting at v (on its quote). Inside it, a backslash
 * before the quote character is dropped and every other backslash is kept
 * for cc__expand_escapes. Returns the raw text and sets *after, or returns
 * NULL when the quote is not closed. */
static char *cc__dotenv_quoted(const char *v, const char **after)
{
        char q = *v;
        struct cc_buf b = {0};
        bool esc = false;
        for (const char *s = v + 1; *s; s++) {
                if (esc) {
                        esc = false;
                        if (*s != q)
                                cc_buf_putc(&b, '\\');
                        cc_buf_putc(&b, *s);
                } else if (*s == '\\') {
                        esc = true;
                } else if (*s == q) {
                        *after = s + 1;
                        return cc_buf_steal(&b);
                } else {
                        cc_buf_putc(&b, *s);
                }
        }
        cc_buf_free(&b);
        return NULL;
}

/* The value of a statement, starting at v. Sets *after to where the next
 * statement may start. */
static int cc__dotenv_value(struct cc__dotenv *d, unsigned line, const char *v, char **out, const char **after)
{
        _cleanup_free_ char *raw = NULL;
        if (*v == '\'' || *v == '"') {
                raw = cc__dotenv_quoted(v, after);
                if (!raw)
                        return cc__dotenv_error(d, line, "unterminated quoted value %.*s", (int) strcspn(v, "\n"), v);
                if (*v == '\'') {
                        *out = cc_steal(&raw);
                        return 0;
                }
                _cleanup_free_ char *unescaped = cc__expand_escapes(raw, strlen(raw));
                free(cc_steal(&raw));
                raw = cc_steal(&unescaped);
        } else {
                size_t n = strcspn(v, "\n");
                *after = v + n;
                /* An inline comment needs a space before its '#'. */
                const char *hash = memmem(v, n, " #", 2);
                if (hash)
                        n = (size_t) (hash - v);
                while (n > 0 && cc__is_space(v[n - 1]))
                        n--;
                raw = cc_xstrndup(v, n);
        }
        int r = cc_interpolate_lookup(raw, cc__dotenv_lookup, d, out, d->err);
        if (r < 0)
                return cc_error_prefix(d->err, "%s:%u", d->file, line);
        return 0;
}

static int cc__dotenv_statement(struct cc__dotenv *d)
{
        unsigned line = d->line;
        const char *src = d->p;
        if (cc_startswith(src, "export") && src[6] && strchr(" \t\n\f\r", src[6])) {
                src += 6;
                while (cc__is_blank(*src))
                        src++;
        }

        /* The key ends at '=', ':' (YAML style) or the end of the line (a
         * key without value, inherited from the lookup environment). */
        const char *k = src, *next;
        bool inherited = false;
        for (;; k++) {
                if (*k == '\0' || *k == '\n') {
                        inherited = true;
                        next = *k ? k + 1 : k;
                        break;
                }
                if (*k == '=' || *k == ':') {
                        next = k + 1;
                        break;
                }
                if (!cc__is_blank(*k) && !cc__is_key_char(*k))
                        return cc__dotenv_error(d, line, "unexpected character \"%c\" in variable name \"%.*s\"", *k,
                                                (int) strcspn(src, "\r\n"), src);
        }
        size_t klen = (size_t) (k - src);
        while (klen > 0 && cc__is_space(src[klen - 1]))
                klen--;
        _cleanup_free_ char *key = cc_xstrndup(src, klen);
        if (strchr(key, ' '))
                return cc__dotenv_error(d, line, "key cannot contain a space: \"%s\"", key);

        if (inherited) {
                const char *v = cc_env_get(d->lookup, key);
                if (v)
                        cc_env_set(&d->vars, key, v);
                cc__dotenv_move(d, next);
                return 0;
        }

        while (cc__is_blank(*next))
                next++;
        _cleanup_free_ char *val = NULL;
        const char *after = NULL;
        int r = cc__dotenv_value(d, line, next, &val, &after);
        if (r < 0)
                return r;
        cc_env_set(&d->vars, key, val);
        cc__dotenv_move(d, after);
        return 0;
}

int cc_dotenv_parse(const char *data, const char *file, const struct cc_env *lookup, struct cc_env *out,
                    struct cc_error *err)
{
        struct cc__dotenv d = {
                .file = file ? file : ".env",
                .p = data ? data : "",
                .line = 1,
                .lookup = lookup,
                .err = err,
        };
        if (cc_startswith(d.p, "\xef\xbb\xbf"))
                d.p += 3;
        while (cc__dotenv_next_statement(&d)) {
                int r = cc__dotenv_statement(&d);
                if (r < 0) {
                        cc_env_free(&d.vars);
                        return r;
                }
        }
        cc_env_merge(out, &d.vars);
        cc_env_free(&d.vars);
        return 0;
}

int cc_dotenv_load(const char *path, const struct cc_env *lookup, struct cc_env *out, struct cc_error *err)
{
        _cleanup_free_ char *data = NULL;
        int r = cc_input_read(path, "env file", &data, NULL, err);
        if (r < 0)
                return r;
        return cc_dotenv_parse(data, path, lookup, out, err);
}
