/* Value parsers docker compose applies while it loads a service: Go
 * durations (as github.com/xhit/go-str2duration reads them and as Go's
 * time.Duration prints them), byte sizes (docker/go-units RAMInBytes),
 * command lines (mattn/go-shellwords with its default options), and the
 * text Go gives numbers in fmt.Sprint and encoding/json. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "normalize.h"

/* ---- durations ---- */

struct cc__dur_unit {
        const char *name;
        unsigned long long ns;
};

static const struct cc__dur_unit cc__dur_units[] = {
        {"ns", 1ULL},
        {"us", 1000ULL},
        {"\xc2\xb5s", 1000ULL}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000ULL}, /* U+03BC Greek mu */
        {"ms", 1000000ULL},
        {"s", 1000000000ULL},
        {"m", 60ULL * 1000000000ULL},
        {"h", 3600ULL * 1000000000ULL},
        {"d", 24ULL * 3600ULL * 1000000000ULL},
        {"w", 7ULL * 24ULL * 3600ULL * 1000000000ULL},
};

/* One number of a duration: digits, then an optional fraction (kept as
 * f / scale, digits past what fits are dropped as Go does). */
static int cc__dur_number(const char **sp, unsigned long long *v, unsigned long long *f, double *scale)
{
        const unsigned long long limit = 1ULL << 63;
        const char *s = *sp;
        bool pre = false, post = false, overflow = false;

        *v = *f = 0;
        *scale = 1;
        if (!(*s == '.' || (*s >= '0' && *s <= '9')))
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                pre = true;
                if (*v > (limit - 1 - (unsigned) (*s - '0')) / 10)
                        return -EINVAL;
                *v = *v * 10 + (unsigned) (*s - '0');
        }
        if (*s == '.') {
                for (s++; *s >= '0' && *s <= '9'; s++) {
                        post = true;
                        if (overflow || *f > (limit - 1 - (unsigned) (*s - '0')) / 10) {
                                overflow = true;
                                continue;
                        }
                        *f = *f * 10 + (unsigned) (*s - '0');
                        *scale *= 10;
                }
        }
        *sp = s;
        return pre || post ? 0 : -EINVAL;
}

/* [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ with a unit on every number; "0" alone
 * needs none. Fractions are added with float64 arithmetic as Go does. */
int cc_parse_duration(const char *s, long long *ns)
{
        const unsigned long long limit = 1ULL << 63;
        unsigned long long d = 0;
        bool neg = false;

        if (!s)
                return -EINVAL;
        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (strcmp(s, "0") == 0) {
                *ns = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                unsigned long long v, f;
                double scale;
                if (cc__dur_number(&s, &v, &f, &scale) < 0)
                        return -EINVAL;
                size_t ul = strcspn(s, ".0123456789");
                const struct cc__dur_unit *unit = NULL;
                for (size_t i = 0; i < CC_ARRAY_SIZE(cc__dur_units); i++)
                        if (strlen(cc__dur_units[i].name) == ul && strncmp(s, cc__dur_units[i].name, ul) == 0)
                                unit = &cc__dur_units[i];
                if (!unit)
                        return -EINVAL; /* missing or unknown unit */
                s += ul;
                if (v > limit / unit->ns)
                        return -EINVAL;
                v *= unit->ns;
                if (f > 0)
                        v += (unsigned long long) ((double) f * ((double) unit->ns / scale));
                if (v > limit || v > limit - d)
                        return -EINVAL;
                d += v;
        }
        if (neg) {
                *ns = d == limit ? LLONG_MIN : -(long long) d;
                return 0;
        }
        if (d > limit - 1)
                return -EINVAL;
        *ns = (long long) d;
        return 0;
}

/* ".123" for v's last prec digits, trailing zeros (and an all-zero
 * fraction) omitted, as Go's fmtFrac. */
static void cc__dur_frac(char *out, unsigned long long v, int prec)
{
        char digits[16];
        int n = 0;
        bool print = false;
        for (int i = 0; i < prec; i++) {
                unsigned d = (unsigned) (v % 10);
                print = print || d != 0;
                if (print)
                        digits[n++] = (char) ('0' + d);
                v /= 10;
        }
        char *p = out;
        if (n > 0) {
                *p++ = '.';
                while (n > 0)
                        *p++ = digits[--n];
        }
        *p = '\0';
}

char *cc_format_duration(long long ns)
{
        unsigned long long u = ns < 0 ? 0ULL - (unsigned long long) ns : (unsigned long long) ns;
        const char *sign = ns < 0 ? "-" : "";
        char frac[16];

        if (u == 0)
                return cc_xstrdup("0s");
        if (u < 1000ULL)
                return cc_xasprintf("%s%lluns", sign, u);
        if (u < 1000000ULL) {
                cc__dur_frac(frac, u % 1000ULL, 3);
                return cc_xasprintf("%s%llu%s\xc2\xb5s", sign, u / 1000ULL, frac);
        }
        if (u < 1000000000ULL) {
                cc__dur_frac(frac, u % 1000000ULL, 6);
                return cc_xasprintf("%s%llu%sms", sign, u / 1000000ULL, frac);
        }
        cc__dur_frac(frac, u % 1000000000ULL, 9);
        unsigned long long secs = u / 1000000000ULL;
        unsigned long long mins = secs / 60, hours = mins / 60;
        if (hours > 0)
                return cc_xasprintf("%s%lluh%llum%llu%ss", sign, hours, mins % 60, secs % 60, frac);
        if (mins > 0)
                return cc_xasprintf("%s%llum%llu%ss", sign, mins, secs % 60, frac);
        return cc_xasprintf("%s%llu%ss", sign, secs, frac);
}

/* ---- byte sizes ---- */

/* A decimal number as strconv.ParseFloat takes it: [+-]digits[.digits][e[+-]digits]. */
static bool cc__parse_float(const char *s, size_t n, double *out)
{
        size_t i = 0;
        bool digits = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
                i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                digits = true;
        if (i < n && s[i] == '.')
                for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                        digits = true;
        if (!digits)
                return false;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= n || s[i] < '0' || s[i] > '9')
                        return false;
                for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                        ;
        }
        if (i != n)
                return false;
        _cleanup_free_ char *tmp = cc_xstrndup(s, n);
        *out = strtod(tmp, NULL);
        return true;
}

/* The number runs to the last digit, dot or space; a space before the
 * suffix is dropped. Suffixes: b, k, m, g, t, p (powers of 1024), each
 * optionally followed by b or ib, case-insensitive. */
int cc_parse_bytes(const char *s, long long *bytes)
{
        if (!s)
                return -EINVAL;
        size_t len = strlen(s);
        ssize_t sep = -1;
        for (size_t i = 0; i < len; i++)
                if ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == ' ')
                        sep = (ssize_t) i;
        if (sep < 0)
                return -EINVAL;
        size_t numlen = s[sep] == ' ' ? (size_t) sep : (size_t) sep + 1;
        const char *sfx = s + sep + 1;
        double size;
        if (!cc__parse_float(s, numlen, &size) || size < 0 || isnan(size))
                return -EINVAL;
        size_t sl = strlen(sfx);
        if (sl > 3)
                return -EINVAL;
        char lower[4] = {0};
        for (size_t i = 0; i < sl; i++)
                lower[i] = (char) (sfx[i] >= 'A' && sfx[i] <= 'Z' ? sfx[i] - 'A' + 'a' : sfx[i]);
        if (sl > 0 && lower[0] == 'b') {
                if (sl > 1)
                        return -EINVAL;
        } else if (sl > 0) {
                static const char units[] = "kmgtp";
                const char *u = strchr(units, lower[0]);
                if (!u || !*u)
                        return -EINVAL;
                for (long i = 0; i <= u - units; i++)
                        size *= 1024.0;
                if (sl == 2 && lower[1] != 'b')
                        return -EINVAL;
                if (sl == 3 && strcmp(lower + 1, "ib") != 0)
                        return -EINVAL;
        }
        if (size >= 9223372036854775807.0)
                *bytes = LLONG_MAX;
        else
                *bytes = (long long) size;
        return 0;
}

/* ---- command lines ---- */

enum cc__arg { CC__ARG_NO, CC__ARG_SINGLE, CC__ARG_QUOTED };

struct cc__shell {
        struct cc_strv args;
        struct cc_buf buf;
        bool escaped, dq, sq, bq, dollar;
        enum cc__arg got;
};

enum { CC__SH_APPEND, CC__SH_NEXT, CC__SH_STOP, CC__SH_ERROR };

/* What a quote, bracket or operator does in the current state. */
static int cc__shell_special(struct cc__shell *sh, char r)
{
        switch (r) {
        case '`':
                if (!sh->sq && !sh->dq && !sh->dollar)
                        sh->bq = !sh->bq;
                return CC__SH_APPEND;
        case ')':
                if (!sh->sq && !sh->dq && !sh->bq)
                        sh->dollar = !sh->dollar;
                return CC__SH_APPEND;
        case '(':
                if (sh->sq || sh->dq || sh->bq)
                        return CC__SH_APPEND;
                if (!sh->dollar && sh->buf.len > 0 && sh->buf.s[sh->buf.len - 1] == '$') {
                        sh->dollar = true;
                        cc_buf_putc(&sh->buf, '(');
                        return CC__SH_NEXT;
                }
                return CC__SH_ERROR;
        case '"':
                if (sh->sq || sh->dollar)
                        return CC__SH_APPEND;
                if (sh->dq)
                        sh->got = CC__ARG_QUOTED;
                sh->dq = !sh->dq;
                return CC__SH_NEXT;
        case '\'':
                if (sh->dq || sh->dollar)
                        return CC__SH_APPEND;
                if (sh->sq)
                        sh->got = CC__ARG_QUOTED;
                sh->sq = !sh->sq;
                return CC__SH_NEXT;
        case ';':
        case '&':
        case '|':
        case '<':
        case '>':
                if (sh->sq || sh->dq || sh->bq || sh->dollar)
                        return CC__SH_APPEND;
                if (r == '>' && sh->buf.len > 0 && strspn(sh->buf.s, "0123456789") == sh->buf.len)
                        sh->got = CC__ARG_NO; /* "2>": the fd number is not a word */
                return CC__SH_STOP;
        default:
                return CC__SH_APPEND;
        }
}

/* go-shellwords v1.0.12 with ParseEnv and ParseBacktick off: blanks split
 * words, '...' is literal, "..." keeps blanks, a backslash (outside single
 * quotes) takes the next character literally, `...` and $(...) are kept
 * as text, and parsing stops at an unquoted ; & | < or > (the rest of the
 * line is dropped, as docker compose does). */
int cc_shell_split(const char *line, struct cc_strv *out)
{
        struct cc__shell sh = {0};
        int what = CC__SH_APPEND;

        cc_buf_puts(&sh.buf, "");
        for (const char *p = line; *p && what != CC__SH_STOP && what != CC__SH_ERROR; p++) {
                char r = *p;
                if (sh.escaped) {
                        cc_buf_putc(&sh.buf, r);
                        sh.escaped = false;
                        sh.got = CC__ARG_SINGLE;
                        continue;
                }
                if (r == '\\') {
                        if (sh.sq)
                                cc_buf_putc(&sh.buf, r);
                        else
                                sh.escaped = true;
                        continue;
                }
                if (r == ' ' || r == '\t' || r == '\r' || r == '\n') {
                        if (sh.sq || sh.dq || sh.bq || sh.dollar) {
                                cc_buf_putc(&sh.buf, r);
                        } else if (sh.got != CC__ARG_NO) {
                                cc_strv_push(&sh.args, sh.buf.s);
                                sh.buf.len = 0;
                                sh.buf.s[0] = '\0';
                                sh.got = CC__ARG_NO;
                        }
                        continue;
                }
                what = cc__shell_special(&sh, r);
                if (what == CC__SH_APPEND) {
                        sh.got = CC__ARG_SINGLE;
                        cc_buf_putc(&sh.buf, r);
                }
        }
        if (what != CC__SH_ERROR && sh.got != CC__ARG_NO)
                cc_strv_push(&sh.args, sh.buf.s);
        cc_buf_free(&sh.buf);
        if (what == CC__SH_ERROR || sh.escaped || sh.sq || sh.dq || sh.bq || sh.dollar) {
                cc_strv_free(&sh.args);
                return -EINVAL;
        }
        for (size_t i = 0; i < sh.args.n; i++)
                cc_strv_push_owned(out, cc_steal(&sh.args.v[i]));
        cc_strv_free(&sh.args);
        return 0;
}

/* ---- numbers as Go prints them ---- */

/* Shortest decimal digits that read back as v (as float when f32), and
 * the decimal exponent of the first digit. */
static void cc__shortest(double v, bool f32, char *digits, size_t cap, int *exp)
{
        char tmp[64];
        int maxp = f32 ? 9 : 17;
        for (int p = 1; p <= maxp; p++) {
                snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
                double back = strtod(tmp, NULL);
                if (f32 ? (float) back == (float) v : back == v)
                        break;
        }
        /* tmp is d[.ddd]e[+-]XX */
        size_t n = 0;
        const char *p = tmp;
        for (; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9' && n + 1 < cap)
                        digits[n++] = *p;
        while (n > 1 && digits[n - 1] == '0')
                n--;
        digits[n] = '\0';
        *exp = *p == 'e' ? atoi(p + 1) : 0;
}

static char *cc__fixed(bool neg, const char *d, int exp)
{
        struct cc_buf b = {0};
        int n = (int) strlen(d);
        if (neg)
                cc_buf_putc(&b, '-');
        if (exp < 0) {
                cc_buf_puts(&b, "0.");
                for (int i = 0; i < -exp - 1; i++)
                        cc_buf_putc(&b, '0');
                cc_buf_puts(&b, d);
        } else {
                for (int i = 0; i <= exp; i++)
                        cc_buf_putc(&b, i < n ? d[i] : '0');
                if (n > exp + 1) {
                        cc_buf_putc(&b, '.');
                        cc_buf_puts(&b, d + exp + 1);
                }
        }
        return cc_buf_steal(&b);
}

static char *cc__expo(bool neg, const char *d, int exp, bool two_digits)
{
        struct cc_buf b = {0};
        if (neg)
                cc_buf_putc(&b, '-');
        cc_buf_putc(&b, d[0]);
        if (d[1]) {
                cc_buf_putc(&b, '.');
                cc_buf_puts(&b, d + 1);
        }
        cc_buf_printf(&b, two_digits ? "e%c%02d" : "e%c%d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return cc_buf_steal(&b);
}

char *cc__norm_go_float(double v, bool json32)
{
        char d[32];
        int exp;
        if (isnan(v))
                return cc_xstrdup("NaN");
        if (isinf(v))
                return cc_xstrdup(v > 0 ? "+Inf" : "-Inf");
        if (v == 0)
                return cc_xstrdup(signbit(v) && !json32 ? "-0" : "0");
        bool neg = v < 0;
        cc__shortest(fabs(v), json32, d, sizeof(d), &exp);
        if (json32) {
                /* encoding/json: 'f' unless tiny or huge, then 'e' with a
                 * one-digit-minimum exponent. */
                float a = (float) fabs(v);
                if (a < 1e-6f || a >= 1e21f)
                        return cc__expo(neg, d, exp, false);
                return cc__fixed(neg, d, exp);
        }
        /* fmt %v: %e when the exponent is < -4 or >= 6 (shortest precision). */
        if (exp < -4 || exp >= 6)
                return cc__expo(neg, d, exp, true);
        return cc__fixed(neg, d, exp);
}
