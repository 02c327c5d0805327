/* .dockerignore patterns, turned into POSIX extended regular expressions
 * as moby's patternmatcher turns them into Go ones. */
#include <errno.h>

#include "dockerignore.h"

/* The pattern as an anchored regular expression; NULL when it is bad. */
static char *pattern_regex(const char *p)
{
        struct cc_buf b = {0};
        cc_buf_putc(&b, '^');
        while (*p) {
                char c = *p++;
                if (c == '*' && *p == '*') {
                        p++;
                        if (*p == '/') {
                                p++;
                                cc_buf_puts(&b, "(.*/)?"); /* "**" then "/": zero or more directories */
                        } else {
                                cc_buf_puts(&b, ".*");
                        }
                } else if (c == '*') {
                        cc_buf_puts(&b, "[^/]*");
                } else if (c == '?') {
                        cc_buf_puts(&b, "[^/]");
                } else if (c == '\\') {
                        if (!*p) {
                                cc_buf_free(&b);
                                return NULL;
                        }
                        if (strchr(".[]()*+?{}|^$\\", *p))
                                cc_buf_putc(&b, '\\');
                        cc_buf_putc(&b, *p);
                        p++;
                } else if (c == '[') {
                        const char *e = p;
                        if (*e == '!' || *e == '^')
                                e++;
                        if (*e == ']')
                                e++;
                        while (*e && *e != ']')
                                e++;
                        if (!*e) {
                                cc_buf_free(&b);
                                return NULL;
                        }
                        cc_buf_putc(&b, '[');
                        if (*p == '!' || *p == '^') {
                                cc_buf_putc(&b, '^');
                                p++;
                        }
                        cc_buf_add(&b, p, (size_t) (e - p));
                        cc_buf_putc(&b, ']');
                        p = e + 1;
                } else if (strchr(".+()|{}$^", c)) {
                        cc_buf_printf(&b, "\\%c", c);
                } else {
                        cc_buf_putc(&b, c);
                }
        }
        cc_buf_putc(&b, '$');
        return cc_buf_steal(&b);
}

/* Clean a pattern as Go's filepath.Clean, then drop a leading "/". */
static char *clean_pattern(const char *p)
{
        _cleanup_free_ char *c = cc_path_clean(p);
        const char *s = c;
        while (*s == '/' && s[1])
                s++;
        return cc_xstrdup(s);
}

int cc_dockerignore_parse(const char *text, const char *file, struct cc_dockerignore *out, struct cc_error *err)
{
        *out = (struct cc_dockerignore){0};
        int line = 0;
        for (const char *s = text; *s;) {
                const char *nl = strchr(s, '\n');
                size_t len = nl ? (size_t) (nl - s) : strlen(s);
                _cleanup_free_ char *l = cc_xstrndup(s, len);
                s += len + (nl ? 1 : 0);
                line++;
                char *t = l;
                while (*t == ' ' || *t == '\t')
                        t++;
                size_t tl = strlen(t);
                while (tl && strchr(" \t\r", t[tl - 1]))
                        t[--tl] = '\0';
                if (!*t || *t == '#')
                        continue;
                bool exception = *t == '!';
                if (exception) {
                        t++;
                        while (*t == ' ' || *t == '\t')
                                t++;
                }
                if (!*t) {
                        cc_dockerignore_free(out);
                        return cc_error_set(err, -EINVAL, "%s:%d: illegal exclusion pattern: \"!\"", file, line);
                }
                _cleanup_free_ char *pat = clean_pattern(t);
                _cleanup_free_ char *rx = pattern_regex(pat);
                regex_t re;
                if (!rx || regcomp(&re, rx, REG_EXTENDED | REG_NOSUB) != 0) {
                        cc_dockerignore_free(out);
                        return cc_error_set(err, -EINVAL, "%s:%d: syntax error in pattern \"%s\"", file, line, t);
                }
                out->pats = cc_xrealloc(out->pats, (out->n + 1) * sizeof(*out->pats));
                out->pats[out->n++] = (struct cc_ignore_pattern){
                        .text = cc_steal(&pat), .exception = exception, .re = re};
        }
        return 0;
}

void cc_dockerignore_free(struct cc_dockerignore *di)
{
        for (size_t i = 0; i < di->n; i++) {
                free(di->pats[i].text);
                regfree(&di->pats[i].re);
        }
        free(di->pats);
        *di = (struct cc_dockerignore){0};
}

static bool matches(const struct cc_ignore_pattern *p, const char *path)
{
        return regexec(&p->re, path, 0, NULL, 0) == 0;
}

/* Does p match path or one of its parent directories? */
static bool matches_or_parent(const struct cc_ignore_pattern *p, const char *path)
{
        if (matches(p, path))
                return true;
        _cleanup_free_ char *parent = cc_xstrdup(path);
        for (char *slash = strchr(parent, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                bool m = matches(p, parent);
                *slash = '/';
                if (m)
                        return true;
        }
        return false;
}

bool cc_dockerignore_excludes(const struct cc_dockerignore *di, const char *path)
{
        bool excluded = false;
        for (size_t i = 0; i < di->n; i++)
                if (excluded == di->pats[i].exception && matches_or_parent(&di->pats[i], path))
                        excluded = !di->pats[i].exception;
        return excluded;
}
