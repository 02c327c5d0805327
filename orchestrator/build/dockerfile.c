/* Dockerfiles: text -> instructions, and the words of an instruction ->
 * values, following BuildKit's parser (parser.go, line_parsers.go) and its
 * shell lexer (shell/lex.go). */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <strings.h>
#include <json-c/json.h>

#include "dockerfile.h"

static const char *const df_cmds[] = {
        "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck",
        "label", "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
};

/* Instructions whose arguments may be a JSON array (parseMaybeJSON and
 * parseMaybeJSONToList). */
static const char *const df_json_cmds[] = {
        "add", "cmd", "copy", "entrypoint", "run", "shell", "volume",
};

static const char *const df_expand_cmds[] = {
        "add", "arg", "copy", "env", "expose", "from", "label", "stopsignal", "user", "volume", "workdir",
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (cc_streq(list[i], s))
                        return true;
        return false;
}

bool cc_df_expands(const char *cmd)
{
        return in_list(df_expand_cmds, CC_ARRAY_SIZE(df_expand_cmds), cmd);
}

static bool blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_comment(const char *s)
{
        while (blank(*s))
                s++;
        return *s == '#';
}

static bool is_empty(const char *s)
{
        while (blank(*s))
                s++;
        return !*s;
}

/* A parser directive line ("# escape=`"): its name (lower case) and value,
 * or false. */
static bool directive(const char *s, char **name, char **value)
{
        if (*s++ != '#')
                return false;
        while (blank(*s))
                s++;
        const char *n = s;
        if (!isalpha((unsigned char) *s))
                return false;
        while (isalnum((unsigned char) *s))
                s++;
        size_t nlen = (size_t) (s - n);
        while (blank(*s))
                s++;
        if (*s++ != '=')
                return false;
        while (blank(*s))
                s++;
        size_t vlen = strlen(s);
        while (vlen && blank(s[vlen - 1]))
                vlen--;
        if (!vlen)
                return false;
        *name = cc_xstrndup(n, nlen);
        for (char *p = *name; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        *value = cc_xstrndup(s, vlen);
        return true;
}

/* Strip a trailing continuation (the escape character, then blanks) from
 * line in place; true when there was one. */
static bool trim_continuation(char *line, char escape)
{
        size_t n = strlen(line);
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
                n--;
        if (!n || line[n - 1] != escape)
                return false;
        line[n - 1] = '\0';
        return true;
}

/* Set err to "<prefix>: <message>" (-EINVAL). */
static int vfail(struct cc_error *err, char *prefix, const char *fmt, va_list ap)
{
        struct cc_buf b = {0};
        cc_buf_printf(&b, "%s: ", prefix);
        cc_buf_vprintf(&b, fmt, ap);
        cc_error_set(err, -EINVAL, "%s", b.s);
        cc_buf_free(&b);
        free(prefix);
        return -EINVAL;
}

static int parse_error(const char *path, int line, struct cc_error *err, const char *fmt, ...) CC_PRINTF(4, 5);
static int parse_error(const char *path, int line, struct cc_error *err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vfail(err, cc_xasprintf("%s:%d", path, line), fmt, ap);
        va_end(ap);
        return r;
}

/* The directives at the top of the file, until the first line that is not
 * one. Returns the index of the first line after them. */
static int parse_directives(char **lines, size_t n, struct cc_dockerfile *df, struct cc_error *err)
{
        bool seen_escape = false;
        size_t i = 0;
        for (; i < n; i++) {
                _cleanup_free_ char *name = NULL, *value = NULL;
                if (!directive(lines[i], &name, &value))
                        break;
                if (cc_streq(name, "escape")) {
                        if (seen_escape)
                                return parse_error(df->path, (int) i + 1, err,
                                                   "only one escape parser directive can be used");
                        if (!cc_streq(value, "\\") && !cc_streq(value, "`"))
                                return parse_error(df->path, (int) i + 1, err,
                                                   "invalid escape token '%s' does not match ` or \\", value);
                        seen_escape = true;
                        df->escape = value[0];
                } else if (cc_streq(name, "syntax")) {
                        if (df->syntax)
                                return parse_error(df->path, (int) i + 1, err,
                                                   "only one syntax parser directive can be used");
                        df->syntax = cc_steal(&value);
                }
                /* other directives (check=...) are accepted and have no effect */
        }
        return (int) i;
}

/* "[\"a\", \"b\"]" -> its strings; false when s is not a JSON array of
 * strings (then it is the shell form). */
static bool json_strings(const char *s, struct cc_strv *out)
{
        if (*s != '[')
                return false;
        struct json_tokener *tok = json_tokener_new();
        json_object *arr = json_tokener_parse_ex(tok, s, (int) strlen(s));
        bool ok = arr && json_tokener_get_error(tok) == json_tokener_success &&
                  (size_t) json_tokener_get_parse_end(tok) == strlen(s) &&
                  json_object_is_type(arr, json_type_array);
        json_tokener_free(tok);
        for (size_t i = 0; ok && i < json_object_array_length(arr); i++)
                ok = json_object_is_type(json_object_array_get_idx(arr, i), json_type_string);
        if (ok)
                for (size_t i = 0; i < json_object_array_length(arr); i++)
                        cc_strv_push(out, json_object_get_string(json_object_array_get_idx(arr, i)));
        json_object_put(arr);
        return ok;
}

/* One logical line (continuations joined) -> an instruction. */
static int parse_instr(struct cc_dockerfile *df, const char *text, int line, struct cc_error *err)
{
        while (blank(*text))
                text++;
        size_t tlen = strlen(text);
        while (tlen && blank(text[tlen - 1]))
                tlen--;
        struct cc_df_instr in = {.line = line, .text = cc_xstrndup(text, tlen)};
        const char *p = in.text;
        while (*p && !blank(*p))
                p++;
        in.cmd = cc_xstrndup(in.text, (size_t) (p - in.text));
        for (char *c = in.cmd; *c; c++)
                *c = (char) tolower((unsigned char) *c);
        /* flags: words starting with "--" before the arguments */
        for (;;) {
                while (blank(*p))
                        p++;
                if (!cc_startswith(p, "--") || p[2] == '\0' || blank(p[2]))
                        break;
                const char *f = p;
                while (*p && !blank(*p))
                        p++;
                cc_strv_push_owned(&in.flags, cc_xstrndup(f, (size_t) (p - f)));
        }
        in.rest = cc_xstrdup(p);
        df->instrs = cc_xrealloc(df->instrs, (df->n + 1) * sizeof(*df->instrs));
        df->instrs[df->n++] = in;
        struct cc_df_instr *ip = &df->instrs[df->n - 1];
        if (!in_list(df_cmds, CC_ARRAY_SIZE(df_cmds), ip->cmd)) {
                for (char *c = ip->cmd; *c; c++)
                        *c = (char) toupper((unsigned char) *c);
                return parse_error(df->path, line, err, "unknown instruction: %s", ip->cmd);
        }
        if (!*ip->rest && !cc_streq(ip->cmd, "cmd") && !cc_streq(ip->cmd, "entrypoint"))
                return cc_df_fail(df, ip, err, "%s requires at least one argument", ip->cmd);
        if (in_list(df_json_cmds, CC_ARRAY_SIZE(df_json_cmds), ip->cmd))
                ip->json = json_strings(ip->rest, &ip->json_args);
        return 0;
}

int cc_df_fail(const struct cc_dockerfile *df, const struct cc_df_instr *in, struct cc_error *err,
               const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vfail(err, cc_xasprintf("%s:%d: %s", df->path, in->line, in->text), fmt, ap);
        va_end(ap);
        return r;
}

/* The here-document delimiters of a RUN, COPY or ADD line ("<<EOF",
 * "<<-EOF", "<<'EOF'", "<<\"EOF\""), in order. */
static void heredoc_marks(const char *line, struct cc_df_heredoc **docs, size_t *n, struct cc_strv *strip)
{
        while (blank(*line))
                line++;
        if (strncasecmp(line, "run", 3) != 0 && strncasecmp(line, "copy", 4) != 0 && strncasecmp(line, "add", 3) != 0)
                return;
        for (const char *p = strstr(line, "<<"); p; p = strstr(p, "<<")) {
                p += 2;
                bool chomp = *p == '-';
                if (chomp)
                        p++;
                char q = *p == '"' || *p == '\'' ? *p : 0;
                if (q)
                        p++;
                size_t len = 0;
                while (isalnum((unsigned char) p[len]) || p[len] == '_')
                        len++;
                if (!len || (q && p[len] != q))
                        continue;
                *docs = cc_xrealloc(*docs, (*n + 1) * sizeof(**docs));
                (*docs)[(*n)++] = (struct cc_df_heredoc){.name = cc_xstrndup(p, len), .expand = !q};
                cc_strv_push(strip, chomp ? "-" : "");
                p += len;
        }
}

/* Read the bodies of docs from lines[*i...]; an unterminated one is an error. */
static int heredoc_bodies(const char *path, char **lines, size_t nlines, size_t *i, struct cc_df_heredoc *docs,
                          size_t n, const struct cc_strv *strip, struct cc_error *err)
{
        for (size_t d = 0; d < n; d++) {
                struct cc_buf body = {0};
                bool done = false;
                while (*i < nlines && !done) {
                        const char *l = lines[(*i)++];
                        if (*strip->v[d])
                                while (*l == '\t')
                                        l++;
                        if (cc_streq(l, docs[d].name))
                                done = true;
                        else
                                cc_buf_printf(&body, "%s\n", l);
                }
                docs[d].body = cc_buf_steal(&body);
                if (!done)
                        return parse_error(path, (int) *i, err, "unterminated heredoc %s", docs[d].name);
        }
        return 0;
}

int cc_df_parse(const char *path, const char *text, struct cc_dockerfile *out, struct cc_error *err)
{
        *out = (struct cc_dockerfile){.path = cc_xstrdup(path), .escape = '\\'};
        if (cc_startswith(text, "\xef\xbb\xbf"))
                text += 3;
        struct cc_strv lines = {0};
        for (const char *s = text; *s;) {
                const char *nl = strchr(s, '\n');
                size_t len = nl ? (size_t) (nl - s) : strlen(s);
                if (len && s[len - 1] == '\r')
                        len--;
                cc_strv_push_owned(&lines, cc_xstrndup(s, len));
                s += nl ? (size_t) (nl - s) + 1 : len;
        }
        int r = parse_directives(lines.v, lines.n, out, err);
        for (size_t i = r < 0 ? lines.n : (size_t) r; i < lines.n && r >= 0;) {
                char *l = lines.v[i++];
                int start = (int) i;
                if (is_comment(l))
                        continue;
                bool cont = trim_continuation(l, out->escape);
                if (!cont && is_empty(l))
                        continue;
                struct cc_buf joined = {0};
                cc_buf_puts(&joined, l);
                while (cont && i < lines.n) {
                        l = lines.v[i++];
                        if (is_comment(l) || is_empty(l))
                                continue;
                        cont = trim_continuation(l, out->escape);
                        cc_buf_puts(&joined, l);
                }
                struct cc_df_heredoc *docs = NULL;
                size_t ndocs = 0;
                struct cc_strv strip = {0};
                heredoc_marks(joined.s ? joined.s : "", &docs, &ndocs, &strip);
                if (ndocs)
                        r = heredoc_bodies(out->path, lines.v, lines.n, &i, docs, ndocs, &strip, err);
                if (r >= 0 && !is_empty(joined.s ? joined.s : ""))
                        r = parse_instr(out, joined.s, start, err);
                if (r >= 0 && ndocs && out->n) {
                        out->instrs[out->n - 1].heredocs = cc_steal(&docs);
                        out->instrs[out->n - 1].nheredocs = ndocs;
                }
                for (size_t d = 0; docs && d < ndocs; d++) {
                        free(docs[d].name);
                        free(docs[d].body);
                }
                free(docs);
                cc_strv_free(&strip);
                cc_buf_free(&joined);
        }
        cc_strv_free(&lines);
        if (r < 0) {
                cc_df_free(out);
                return r;
        }
        return 0;
}

void cc_df_free(struct cc_dockerfile *df)
{
        for (size_t i = 0; i < df->n; i++) {
                struct cc_df_instr *in = &df->instrs[i];
                free(in->cmd);
                free(in->text);
                free(in->rest);
                cc_strv_free(&in->flags);
                cc_strv_free(&in->json_args);
                for (size_t d = 0; d < in->nheredocs; d++) {
                        free(in->heredocs[d].name);
                        free(in->heredocs[d].body);
                }
                free(in->heredocs);
        }
        free(df->instrs);
        free(df->path);
        free(df->syntax);
        *df = (struct cc_dockerfile){0};
}

void cc_df_split(const char *s, char escape, struct cc_strv *out)
{
        struct cc_buf w = {0};
        bool in_word = false, escaped = false;
        char quote = 0;
        for (; *s; s++) {
                char c = *s;
                if (!in_word) {
                        if (blank(c))
                                continue;
                        in_word = true;
                }
                if (blank(c) && !quote && !escaped) {
                        cc_strv_push_owned(out, cc_buf_steal(&w));
                        in_word = false;
                        continue;
                }
                if (escaped)
                        escaped = false;
                else if (c == escape)
                        escaped = true;
                else if (!quote && (c == '"' || c == '\''))
                        quote = c;
                else if (c == quote)
                        quote = 0;
                cc_buf_putc(&w, c);
        }
        if (in_word)
                cc_strv_push_owned(out, cc_buf_steal(&w));
        cc_buf_free(&w);
}

/* The shell lexer over one word. */
struct lex {
        const char *s;
        char escape;
        const struct cc_env *vars;
        struct cc_error *err;
};

static int lex_until(struct lex *lx, char stop, struct cc_buf *out);

static const char *lookup(struct lex *lx, const char *name)
{
        return lx->vars ? cc_env_get(lx->vars, name) : NULL;
}

/* ${name#pat} and friends: remove the shortest/longest prefix or suffix
 * matching the glob pat. */
static char *trim_pattern(const char *val, const char *pat, bool suffix, bool longest)
{
        size_t n = strlen(val);
        for (size_t k = 0; k <= n; k++) {
                size_t len = longest ? n - k : k;
                _cleanup_free_ char *part = suffix ? cc_xstrdup(val + n - len) : cc_xstrndup(val, len);
                if (fnmatch(pat, part, 0) == 0)
                        return suffix ? cc_xstrndup(val, n - len) : cc_xstrdup(val + len);
        }
        return cc_xstrdup(val);
}

static size_t name_len(const char *s)
{
        if (isdigit((unsigned char) *s))
                return 1;
        size_t n = 0;
        while (isalnum((unsigned char) s[n]) || s[n] == '_')
                n++;
        return n;
}

/* After "${": name, modifier, word, "}". */
static int lex_braced(struct lex *lx, struct cc_buf *out)
{
        size_t nl = name_len(lx->s);
        _cleanup_free_ char *name = cc_xstrndup(lx->s, nl);
        lx->s += nl;
        const char *val = nl ? lookup(lx, name) : NULL;
        if (*lx->s == '}') {
                lx->s++;
                if (!nl)
                        return cc_error_set(lx->err, -EINVAL, "bad substitution: ${}");
                cc_buf_puts(out, val ? val : "");
                return 0;
        }
        if (!nl)
                return cc_error_set(lx->err, -EINVAL, "bad substitution: missing variable name");
        bool colon = *lx->s == ':';
        if (colon)
                lx->s++;
        char mod = *lx->s;
        if (!mod)
                return cc_error_set(lx->err, -EINVAL, "syntax error: missing '}'");
        lx->s++;
        bool twice = !colon && (mod == '#' || mod == '%') && *lx->s == mod;
        if (twice)
                lx->s++;
        if (!strchr(colon ? "-+?" : "-+?#%", mod))
                return cc_error_set(lx->err, -EINVAL, "unsupported modifier (%s%c) in substitution", colon ? ":" : "",
                                    mod);
        struct cc_buf word = {0};
        int r = lex_until(lx, '}', &word);
        if (r >= 0 && *lx->s != '}')
                r = cc_error_set(lx->err, -EINVAL, "syntax error: missing '}'");
        if (r < 0) {
                cc_buf_free(&word);
                return r;
        }
        lx->s++;
        const char *w = word.s ? word.s : "";
        bool unset = !val || (colon && !*val);
        if (mod == '-')
                cc_buf_puts(out, unset ? w : val);
        else if (mod == '+')
                cc_buf_puts(out, unset ? "" : w);
        else if (mod == '?' && unset)
                r = cc_error_set(lx->err, -EINVAL, "%s: %s", name, *w ? w : "is not allowed to be unset");
        else if (mod == '?')
                cc_buf_puts(out, val);
        else {
                _cleanup_free_ char *t = trim_pattern(val ? val : "", w, mod == '%', twice);
                cc_buf_puts(out, t);
        }
        cc_buf_free(&word);
        return r;
}

static int lex_dollar(struct lex *lx, struct cc_buf *out)
{
        if (*lx->s == '{') {
                lx->s++;
                return lex_braced(lx, out);
        }
        size_t nl = name_len(lx->s);
        if (!nl) {
                cc_buf_putc(out, '$');
                return 0;
        }
        _cleanup_free_ char *name = cc_xstrndup(lx->s, nl);
        lx->s += nl;
        const char *val = lookup(lx, name);
        cc_buf_puts(out, val ? val : "");
        return 0;
}

/* Process the word until stop (not consumed) or its end. */
static int lex_until(struct lex *lx, char stop, struct cc_buf *out)
{
        cc_buf_puts(out, "");
        while (*lx->s && *lx->s != stop) {
                char c = *lx->s++;
                int r = 0;
                if (c == '\'') {
                        const char *e = strchr(lx->s, '\'');
                        if (!e)
                                return cc_error_set(lx->err, -EINVAL, "unexpected end of statement while looking for matching single-quote");
                        cc_buf_add(out, lx->s, (size_t) (e - lx->s));
                        lx->s = e + 1;
                } else if (c == '"') {
                        while (*lx->s && *lx->s != '"' && r >= 0) {
                                c = *lx->s++;
                                if (c == '$' && lx->vars)
                                        r = lex_dollar(lx, out);
                                else if (c == lx->escape && *lx->s && strchr("\"$", *lx->s))
                                        cc_buf_putc(out, *lx->s++);
                                else if (c == lx->escape && *lx->s == lx->escape)
                                        cc_buf_putc(out, *lx->s++);
                                else
                                        cc_buf_putc(out, c);
                        }
                        if (r >= 0 && *lx->s != '"')
                                return cc_error_set(lx->err, -EINVAL, "unexpected end of statement while looking for matching double-quote");
                        if (r >= 0)
                                lx->s++;
                } else if (c == '$' && lx->vars) {
                        r = lex_dollar(lx, out);
                } else if (c == lx->escape) {
                        if (*lx->s)
                                cc_buf_putc(out, *lx->s++);
                } else {
                        cc_buf_putc(out, c);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int cc_df_expand(const char *word, char escape, const struct cc_env *vars, char **out, struct cc_error *err)
{
        struct lex lx = {.s = word, .escape = escape, .vars = vars, .err = err};
        struct cc_buf b = {0};
        int r = lex_until(&lx, '\0', &b);
        if (r < 0) {
                cc_buf_free(&b);
                return r;
        }
        *out = cc_buf_steal(&b);
        return 0;
}

int cc_df_pairs(const struct cc_df_instr *in, char escape, const struct cc_env *vars, bool allow_bare,
                struct cc_strv *out, struct cc_error *err)
{
        struct cc_strv words = {0};
        cc_df_split(in->rest, escape, &words);
        int r = 0;
        bool legacy = !allow_bare && words.n && !strchr(words.v[0], '=');
        if (legacy) {
                /* the legacy form: KEY then the rest as one value */
                const char *v = in->rest + strlen(words.v[0]);
                while (blank(*v))
                        v++;
                _cleanup_free_ char *k = NULL, *val = NULL;
                if (!*v)
                        r = cc_error_set(err, -EINVAL, "%s must have two arguments", in->cmd);
                else if ((r = cc_df_expand(words.v[0], escape, vars, &k, err)) >= 0 &&
                         (r = cc_df_expand(v, escape, vars, &val, err)) >= 0)
                        cc_strv_push_owned(out, cc_xasprintf("%s=%s", k, val));
        }
        for (size_t i = 0; r >= 0 && !legacy && i < words.n; i++) {
                char *eq = strchr(words.v[i], '=');
                if (!eq && !allow_bare) {
                        r = cc_error_set(err, -EINVAL,
                                         "Syntax error - can't find = in \"%s\". Must be of the form: name=value",
                                         words.v[i]);
                        break;
                }
                if (eq)
                        *eq = '\0';
                _cleanup_free_ char *k = NULL, *val = NULL;
                if ((r = cc_df_expand(words.v[i], escape, vars, &k, err)) < 0 ||
                    (eq && (r = cc_df_expand(eq + 1, escape, vars, &val, err)) < 0))
                        break;
                if (!*k) {
                        r = cc_error_set(err, -EINVAL, "%s names must not be empty", in->cmd);
                        break;
                }
                cc_strv_push_owned(out, eq ? cc_xasprintf("%s=%s", k, val) : cc_steal(&k));
        }
        cc_strv_free(&words);
        if (r < 0)
                cc_strv_free(out);
        return r < 0 ? r : 0;
}
