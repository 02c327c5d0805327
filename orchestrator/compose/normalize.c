/* Short syntax -> the canonical long forms docker compose config prints,
 * following compose-go (its transform and types packages, loader/normalize.go):
 * this file holds the shared helpers and the per-file conversions of
 * cc_normalize_service; ports, volumes, value parsers and the post-merge
 * step live in normalize-*.c. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "normalize.h"

/* ---- helpers shared by normalize*.c ---- */

int cc__norm_fail(const struct cc__norm *n, const struct cc_node *at, const char *fmt, ...)
{
        struct cc_buf b = {0};
        va_list ap;
        _cleanup_free_ char *where = cc_pos_str(at ? &at->pos : NULL);
        cc_buf_printf(&b, "%s: service %s: ", where, n->name);
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        int r = cc_error_set(n->err, -EINVAL, "%s", b.s);
        cc_buf_free(&b);
        return r;
}

/* An integer literal as go-yaml v3 reads it: [+-], 0x hex, 0o or leading-0
 * octal, else decimal. */
static bool cc__parse_int(const char *s, long long *out)
{
        bool neg = false;
        int base = 10;
        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                s += 2;
        } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
                base = 8;
                s += 2;
        } else if (s[0] == '0' && s[1]) {
                base = 8;
                for (const char *p = s; *p; p++)
                        if (*p < '0' || *p > '7')
                                base = 10;
        }
        if (!*s)
                return false;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, base);
        if (errno || *end || v > (unsigned long long) LLONG_MAX + (neg ? 1 : 0))
                return false;
        *out = neg ? (long long) (0ULL - v) : (long long) v;
        return true;
}

bool cc__norm_int(const struct cc_node *v, long long *out)
{
        if (!cc_node_is_scalar(v) || v->type == CC_NULL || v->type == CC_BOOL)
                return false;
        if (v->type == CC_FLOAT) {
                char *end = NULL;
                double d = strtod(v->str, &end);
                if (*end || d != (double) (long long) d)
                        return false;
                *out = (long long) d;
                return true;
        }
        return cc__parse_int(v->str, out);
}

char *cc__norm_text(const struct cc_node *v)
{
        if (!cc_node_is_scalar(v))
                return NULL;
        switch (v->type) {
        case CC_NULL:
                return NULL;
        case CC_BOOL:
                return cc_xstrdup(v->str[0] == 't' || v->str[0] == 'T' ? "true" : "false");
        case CC_INT: {
                long long i;
                if (cc__parse_int(v->str, &i))
                        return cc_xasprintf("%lld", i);
                return cc_xstrdup(v->str);
        }
        case CC_FLOAT: {
                const char *s = v->str;
                if (strstr(s, "inf") || strstr(s, "Inf") || strstr(s, "INF"))
                        return cc_xstrdup(s[0] == '-' ? "-Inf" : "+Inf");
                if (strstr(s, "nan") || strstr(s, "NaN") || strstr(s, "NAN"))
                        return cc_xstrdup("NaN");
                return cc__norm_go_float(strtod(s, NULL), false);
        }
        case CC_STR:
                break;
        }
        return cc_xstrdup(v->str);
}

char *cc__norm_quote(const struct cc_node *v)
{
        if (cc_node_is_seq(v))
                return cc_xstrdup("an array");
        if (cc_node_is_map(v))
                return cc_xstrdup("a mapping");
        _cleanup_free_ char *txt = cc__norm_text(v);
        return txt ? cc_xasprintf("\"%s\"", txt) : cc_xstrdup("null");
}

void cc__norm_order(struct cc_node *map, const char *const *order)
{
        if (!cc_node_is_map(map) || map->n < 2)
                return;
        struct cc_node **keys = cc_xcalloc(map->n, sizeof(*keys));
        struct cc_node **items = cc_xcalloc(map->n, sizeof(*items));
        bool *used = cc_xcalloc(map->n, sizeof(*used));
        size_t k = 0;
        for (const char *const *o = order; *o; o++) {
                ssize_t i = cc_node_map_index(map, *o);
                if (i < 0 || used[i])
                        continue;
                used[i] = true;
                keys[k] = map->keys[i];
                items[k++] = map->items[i];
        }
        for (size_t i = 0; i < map->n; i++) {
                if (used[i])
                        continue;
                keys[k] = map->keys[i];
                items[k++] = map->items[i];
        }
        memcpy(map->keys, keys, map->n * sizeof(*keys));
        memcpy(map->items, items, map->n * sizeof(*items));
        cc_node_map_reordered(map);
        free(keys);
        free(items);
        free(used);
}

void cc__norm_replace(struct cc_node *map, const char *key, struct cc_node *value)
{
        struct cc_node *old = cc_node_map_get(map, key);
        if (old && old != value) {
                value->flags |= old->flags;
                if (value->pos.line == 0)
                        value->pos = old->pos;
        }
        cc_node_map_set(map, key, NULL, value);
}

void cc__norm_set_str(struct cc_node *map, const char *key, const char *s)
{
        struct cc_node *old = cc_node_map_get(map, key);
        cc__norm_replace(map, key, cc_node_new_str(s, old ? &old->pos : &map->pos));
}

char *cc__norm_abs_path(const struct cc__norm *n, const char *p)
{
        if (n->ctx && n->ctx->keep_paths)
                return cc_xstrdup(p);
        const char *home = n->ctx ? n->ctx->home : NULL;
        const char *wd = n->ctx ? n->ctx->workdir : NULL;
        if (p[0] == '~' && home) {
                _cleanup_free_ char *j = cc_xasprintf("%s/%s", home, p + 1);
                return cc_path_clean(j);
        }
        /* absolute, also as a Windows path (C:\x, C:/x, \\server) */
        if (p[0] == '/' || !wd || (p[0] == '\\' && p[1] == '\\') ||
            (((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')) && p[1] == ':' &&
             (p[2] == '\\' || p[2] == '/')))
                return cc_xstrdup(p);
        return cc_path_join(wd, p);
}

int cc__norm_bytes(const struct cc__norm *n, struct cc_node *map, const char *key, const char *what)
{
        struct cc_node *v = cc_node_map_get(map, key);
        long long b;
        if (!v || cc_node_is_null(v))
                return 0;
        if (cc_node_is_scalar(v) && v->type == CC_INT && cc__norm_int(v, &b)) {
                /* a number is a count of bytes */
        } else if (!cc_node_is_scalar(v) || v->type != CC_STR || cc_parse_bytes(v->str, &b) < 0) {
                _cleanup_free_ char *q = cc__norm_quote(v);
                return cc__norm_fail(n, v, "%s: invalid size %s", what, q);
        }
        _cleanup_free_ char *s = cc_xasprintf("%lld", b);
        cc__norm_set_str(map, key, s);
        return 0;
}

/* ---- small conversions ---- */

/* string -> [string] (StringList). */
static void cc__string_list(struct cc_node *map, const char *key)
{
        struct cc_node *v = cc_node_map_get(map, key);
        if (!cc_node_is_scalar(v) || v->type == CC_NULL)
                return;
        struct cc_node *seq = cc_node_new_seq(&v->pos);
        cc_node_seq_push(seq, cc_node_copy(v));
        cc__norm_replace(map, key, seq);
}

/* Every scalar item of map[key] (a sequence) as its string text. */
static void cc__string_items(struct cc_node *map, const char *key)
{
        struct cc_node *seq = cc_node_map_get(map, key);
        if (!cc_node_is_seq(seq))
                return;
        for (size_t i = 0; i < seq->n; i++) {
                struct cc_node *it = seq->items[i];
                if (!cc_node_is_scalar(it) || it->type == CC_STR || it->type == CC_NULL)
                        continue;
                _cleanup_free_ char *txt = cc__norm_text(it);
                cc_node_set_scalar(it, txt, CC_STR);
                it->quoted = true;
        }
}

/* list ["K=V", "K"] or map -> map of strings. with_null keeps null for a
 * missing value (MappingWithEquals), otherwise it becomes "" (Labels,
 * Mapping, Options). */
static void cc__string_map(struct cc_node *map, const char *key, bool with_null)
{
        struct cc_node *v = cc_node_map_get(map, key);
        if (cc_node_is_seq(v)) {
                struct cc_node *m = cc_node_new_map(&v->pos);
                for (size_t i = 0; i < v->n; i++) {
                        struct cc_node *it = v->items[i];
                        _cleanup_free_ char *txt = cc__norm_text(it);
                        if (!txt)
                                continue;
                        char *eq = strchr(txt, '=');
                        if (eq)
                                *eq = '\0';
                        struct cc_node *val = eq || !with_null ? cc_node_new_str(eq ? eq + 1 : "", &it->pos)
                                                               : cc_node_new_null(&it->pos);
                        cc_node_map_set(m, txt, &it->pos, val);
                }
                cc__norm_replace(map, key, m);
                v = m;
        }
        if (!cc_node_is_map(v))
                return;
        for (size_t i = 0; i < v->n; i++) {
                struct cc_node *it = v->items[i];
                _cleanup_free_ char *txt = cc__norm_text(it);
                struct cc_node *val;
                if (!txt && with_null)
                        val = cc_node_new_null(&it->pos);
                else
                        val = cc_node_new_str(txt ? txt : "", &it->pos);
                val->flags = it->flags;
                cc_node_free(it);
                v->items[i] = val;
        }
        cc_node_map_sort(v);
}

/* A numeric field as an int (numeric strings too). */
static int cc__int_field(const struct cc__norm *n, struct cc_node *map, const char *key, const char *what)
{
        struct cc_node *v = cc_node_map_get(map, key);
        long long i;
        if (!v || cc_node_is_null(v))
                return 0;
        if (!cc__norm_int(v, &i)) {
                _cleanup_free_ char *q = cc__norm_quote(v);
                return cc__norm_fail(n, v, "%s: invalid integer %s", what, q);
        }
        cc__norm_replace(map, key, cc_node_new_int(i, &v->pos));
        return 0;
}

/* A float32 field (cpus): printed as encoding/json prints a float32. */
static int cc__float_field(const struct cc__norm *n, struct cc_node *map, const char *key, const char *what)
{
        struct cc_node *v = cc_node_map_get(map, key);
        if (!v || cc_node_is_null(v))
                return 0;
        char *end = NULL;
        double d = 0;
        long long i;
        bool ok = false;
        if (cc_node_is_scalar(v) && v->type == CC_INT && cc__norm_int(v, &i)) {
                d = (double) i;
                ok = true;
        } else if (cc_node_is_scalar(v) && (v->type == CC_FLOAT || v->type == CC_STR)) {
                d = strtod(v->str, &end);
                ok = end != v->str && !*end;
        }
        if (!ok) {
                _cleanup_free_ char *q = cc__norm_quote(v);
                return cc__norm_fail(n, v, "%s: invalid number %s", what, q);
        }
        _cleanup_free_ char *txt = cc__norm_go_float((double) (float) d, true);
        cc__norm_replace(map, key, cc_node_new_scalar(txt, CC_FLOAT, &v->pos));
        return 0;
}

static int cc__bool_field(const struct cc__norm *n, struct cc_node *map, const char *key, const char *what)
{
        static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
        struct cc_node *v = cc_node_map_get(map, key);
        if (!v || cc_node_is_null(v))
                return 0;
        if (cc_node_is_scalar(v))
                for (size_t i = 0; i < CC_ARRAY_SIZE(t); i++) {
                        if (strcmp(v->str, t[i]) == 0 || strcmp(v->str, f[i]) == 0) {
                                cc__norm_replace(map, key, cc_node_new_bool(strcmp(v->str, t[i]) == 0, &v->pos));
                                return 0;
                        }
                }
        _cleanup_free_ char *q = cc__norm_quote(v);
        return cc__norm_fail(n, v, "%s: invalid boolean %s", what, q);
}

static int cc__duration_field(const struct cc__norm *n, struct cc_node *map, const char *key, const char *what)
{
        struct cc_node *v = cc_node_map_get(map, key);
        long long ns;
        if (!v || cc_node_is_null(v))
                return 0;
        _cleanup_free_ char *txt = cc__norm_text(v);
        if (!txt || cc_parse_duration(txt, &ns) < 0) {
                _cleanup_free_ char *q = cc__norm_quote(v);
                return cc__norm_fail(n, v, "%s: invalid duration %s", what, q);
        }
        _cleanup_free_ char *out = cc_format_duration(ns);
        cc__norm_set_str(map, key, out);
        return 0;
}

/* ---- per-key conversions ---- */

/* extra_hosts: "host:ip", "host=ip" (ips may be comma-separated, IPv6 in
 * brackets) or a mapping host: ip | [ips] -> ["host=ip", ...] in the order
 * given (/etc/hosts has them so; the output sorts them: cc_model_sort_hosts). */
static int cc__hosts_add(const struct cc__norm *n, const struct cc_node *at, struct cc_node *out, const char *host,
                         const char *ips)
{
        if (!*host || strpbrk(host, ":="))
                return cc__norm_fail(n, at, "extra_hosts: bad host name '%s'", host);
        _cleanup_free_ char *copy = cc_xstrdup(ips);
        char *p = copy;
        for (;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = '\0';
                size_t l = strlen(p);
                _cleanup_free_ char *ip = l > 2 && p[0] == '[' && p[l - 1] == ']' ? cc_xstrndup(p + 1, l - 2)
                                                                                   : cc_xstrdup(p);
                _cleanup_free_ char *e = cc_xasprintf("%s=%s", host, ip);
                cc_node_seq_push(out, cc_node_new_str(e, &at->pos));
                if (!comma)
                        break;
                p = comma + 1;
        }
        return 0;
}

static int cc__seq_strcmp(const void *a, const void *b)
{
        const struct cc_node *x = *(struct cc_node *const *) a, *y = *(struct cc_node *const *) b;
        return strcmp(x->str ? x->str : "", y->str ? y->str : "");
}

void cc__norm_sort_seq(struct cc_node *seq)
{
        if (seq->n < 2)
                return;
        for (size_t i = 0; i < seq->n; i++)
                if (!cc_node_is_scalar(seq->items[i]))
                        return;
        qsort(seq->items, seq->n, sizeof(*seq->items), cc__seq_strcmp);
}

void cc__norm_sort_hosts(struct cc_node *svc)
{
        struct cc_node *eh[] = {cc_node_map_get(svc, "extra_hosts"),
                                cc_node_map_get(cc_node_map_get(svc, "build"), "extra_hosts")};
        for (size_t i = 0; i < CC_ARRAY_SIZE(eh); i++)
                if (cc_node_is_seq(eh[i]))
                        cc__norm_sort_seq(eh[i]);
}

static int cc__extra_hosts(const struct cc__norm *n, struct cc_node *map, const char *key)
{
        struct cc_node *v = cc_node_map_get(map, key);
        int r;
        if (!v || (!cc_node_is_seq(v) && !cc_node_is_map(v)))
                return 0;
        _cleanup_node_ struct cc_node *out = cc_node_new_seq(&v->pos);
        for (size_t i = 0; i < v->n; i++) {
                struct cc_node *it = v->items[i];
                if (cc_node_is_seq(v)) {
                        _cleanup_free_ char *txt = cc__norm_text(it);
                        char *sep = txt ? strchr(txt, '=') : NULL;
                        if (!sep && txt)
                                sep = strchr(txt, ':');
                        if (!sep)
                                return cc__norm_fail(n, it, "extra_hosts: invalid additional host, missing IP: %s",
                                                     txt ? txt : "");
                        *sep = '\0';
                        if ((r = cc__hosts_add(n, it, out, txt, sep + 1)) < 0)
                                return r;
                        continue;
                }
                const char *host = cc_node_key(v, i);
                if (cc_node_is_seq(it)) {
                        for (size_t j = 0; j < it->n; j++) {
                                _cleanup_free_ char *ip = cc__norm_text(it->items[j]);
                                if ((r = cc__hosts_add(n, it->items[j], out, host, ip ? ip : "")) < 0)
                                        return r;
                        }
                        continue;
                }
                _cleanup_free_ char *ip = cc__norm_text(it);
                if ((r = cc__hosts_add(n, it, out, host, ip ? ip : "")) < 0)
                        return r;
        }
        cc__norm_replace(map, key, cc_steal(&out));
        return 0;
}

/* svc[key]: [a, b] -> {a: {}, b: {}} (or {a: null, b: null}); returns
 * svc[key], whatever it is. */
static struct cc_node *cc__norm_list_to_map(struct cc_node *svc, const char *key, bool empty_maps)
{
        struct cc_node *l = cc_node_map_get(svc, key);
        if (!cc_node_is_seq(l))
                return l;
        struct cc_node *m = cc_node_new_map(&l->pos);
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *name = cc__norm_text(l->items[i]);
                const struct cc_pos *pos = &l->items[i]->pos;
                if (name)
                        cc_node_map_set(m, name, pos, empty_maps ? cc_node_new_map(pos) : cc_node_new_null(pos));
        }
        cc__norm_replace(svc, key, m);
        return m;
}

/* depends_on: [a, b] -> {a: {condition: service_started, required: true}};
 * the long form gets the same defaults. */
static int cc__depends_on(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *d = cc__norm_list_to_map(svc, "depends_on", true);
        int r;
        if (!cc_node_is_map(d))
                return 0;
        for (size_t i = 0; i < d->n; i++) {
                struct cc_node *e = d->items[i];
                if (cc_node_is_null(e)) {
                        struct cc_node *m = cc_node_new_map(e ? &e->pos : &d->pos);
                        cc_node_free(e);
                        d->items[i] = e = m;
                }
                if (!cc_node_is_map(e))
                        return cc__norm_fail(n, e, "depends_on.%s: expected a mapping", cc_node_key(d, i));
                if (!cc_node_map_get(e, "condition"))
                        cc_node_map_set(e, "condition", NULL, cc_node_new_str("service_started", &e->pos));
                if (!cc_node_map_get(e, "required"))
                        cc_node_map_set(e, "required", NULL, cc_node_new_bool(true, &e->pos));
                if ((r = cc__bool_field(n, e, "required", "depends_on.required")) < 0 ||
                    (r = cc__bool_field(n, e, "restart", "depends_on.restart")) < 0)
                        return r;
        }
        return 0;
}

static int cc__healthcheck(const struct cc__norm *n, struct cc_node *svc)
{
        static const char *const durs[] = {"interval", "timeout", "start_period", "start_interval"};
        struct cc_node *h = cc_node_map_get(svc, "healthcheck");
        int r;
        if (!cc_node_is_map(h))
                return 0;
        struct cc_node *t = cc_node_map_get(h, "test");
        if (cc_node_is_scalar(t) && t->type != CC_NULL) {
                struct cc_node *seq = cc_node_new_seq(&t->pos);
                _cleanup_free_ char *txt = cc__norm_text(t);
                cc_node_seq_push(seq, cc_node_new_str("CMD-SHELL", &t->pos));
                cc_node_seq_push(seq, cc_node_new_str(txt, &t->pos));
                cc__norm_replace(h, "test", seq);
        }
        cc__string_items(h, "test");
        for (size_t i = 0; i < CC_ARRAY_SIZE(durs); i++) {
                _cleanup_free_ char *what = cc_xasprintf("healthcheck.%s", durs[i]);
                if ((r = cc__duration_field(n, h, durs[i], what)) < 0)
                        return r;
        }
        if ((r = cc__int_field(n, h, "retries", "healthcheck.retries")) < 0 ||
            (r = cc__bool_field(n, h, "disable", "healthcheck.disable")) < 0)
                return r;
        return 0;
}

/* command / entrypoint (and hook commands): a string is split like a shell. */
static int cc__command(const struct cc__norm *n, struct cc_node *map, const char *key, const char *what)
{
        struct cc_node *v = cc_node_map_get(map, key);
        if (cc_node_is_scalar(v) && v->type != CC_NULL) {
                _cleanup_free_ char *txt = cc__norm_text(v);
                struct cc_strv words = {0};
                if (cc_shell_split(txt, &words) < 0)
                        return cc__norm_fail(n, v, "%s: invalid command line string \"%s\"", what, txt);
                struct cc_node *seq = cc_node_new_seq(&v->pos);
                for (size_t i = 0; i < words.n; i++)
                        cc_node_seq_push(seq, cc_node_new_str(words.v[i], &v->pos));
                cc_strv_free(&words);
                cc__norm_replace(map, key, seq);
        }
        cc__string_items(map, key);
        return 0;
}

/* compose-go's absContextPath: URLs, git references and service: are kept. */
static char *cc__context_path(const struct cc__norm *n, const char *p)
{
        static const char *const remote[] = {"https://", "http://", "git://", "ssh://", "github.com/", "git@",
                                             "service:"};
        if (strstr(p, "://"))
                return cc_xstrdup(p);
        for (size_t i = 0; i < CC_ARRAY_SIZE(remote); i++)
                if (cc_startswith(p, remote[i]))
                        return cc_xstrdup(p);
        return cc__norm_abs_path(n, p);
}

static void cc__context_field(const struct cc__norm *n, struct cc_node *map, const char *key)
{
        struct cc_node *v = cc_node_map_get(map, key);
        _cleanup_free_ char *txt = cc__norm_text(v);
        if (!txt)
                return;
        _cleanup_free_ char *abs = cc__context_path(n, txt); /* "" is the working directory too */
        cc__norm_set_str(map, key, abs);
}

/* secrets / configs: "name" -> {source: name}; uid/gid strings, mode as
 * the octal text compose-go prints ("0440"). */
static int cc__file_refs(const struct cc__norm *n, struct cc_node *map, const char *key)
{
        struct cc_node *seq = cc_node_map_get(map, key);
        if (!cc_node_is_seq(seq))
                return 0;
        for (size_t i = 0; i < seq->n; i++) {
                struct cc_node *it = seq->items[i];
                if (cc_node_is_scalar(it) && it->type != CC_NULL) {
                        _cleanup_free_ char *txt = cc__norm_text(it);
                        struct cc_node *m = cc_node_new_map(&it->pos);
                        cc_node_map_set(m, "source", NULL, cc_node_new_str(txt, &it->pos));
                        m->flags = it->flags;
                        cc_node_free(it);
                        seq->items[i] = it = m;
                }
                if (!cc_node_is_map(it))
                        continue;
                static const char *const strs[] = {"source", "target", "uid", "gid"};
                for (size_t j = 0; j < CC_ARRAY_SIZE(strs); j++) {
                        struct cc_node *v = cc_node_map_get(it, strs[j]);
                        _cleanup_free_ char *txt = cc__norm_text(v);
                        if (v && txt)
                                cc__norm_set_str(it, strs[j], txt);
                }
                struct cc_node *mode = cc_node_map_get(it, "mode");
                if (mode && !cc_node_is_null(mode)) {
                        long long mv;
                        char *end = NULL;
                        bool ok;
                        if (cc_node_is_scalar(mode) && mode->type == CC_STR) { /* octal, as FileMode reads it */
                                mv = strtoll(mode->str, &end, 8);
                                ok = *mode->str && !*end;
                        } else {
                                ok = cc__norm_int(mode, &mv);
                        }
                        if (!ok) {
                                _cleanup_free_ char *q = cc__norm_quote(mode);
                                return cc__norm_fail(n, mode, "%s: invalid mode %s", key, q);
                        }
                        _cleanup_free_ char *txt = cc_xasprintf("0%llo", (unsigned long long) mv);
                        cc__norm_set_str(it, "mode", txt);
                }
        }
        return 0;
}

/* ulimits: name: n (printed as n) or {soft, hard}. */
static int cc__ulimits(const struct cc__norm *n, struct cc_node *map)
{
        struct cc_node *u = cc_node_map_get(map, "ulimits");
        int r;
        if (!cc_node_is_map(u))
                return 0;
        for (size_t i = 0; i < u->n; i++) {
                struct cc_node *e = u->items[i];
                _cleanup_free_ char *what = cc_xasprintf("ulimits.%s", cc_node_key(u, i));
                if (cc_node_is_map(e)) {
                        if ((r = cc__int_field(n, e, "soft", what)) < 0 || (r = cc__int_field(n, e, "hard", what)) < 0)
                                return r;
                } else if ((r = cc__int_field(n, u, cc_node_key(u, i), what)) < 0) {
                        return r;
                }
        }
        return 0;
}

/* env_file: path | [path | {path, required, format}] -> [{path, required}]. */
static int cc__env_file(const struct cc__norm *n, struct cc_node *svc)
{
        int r;
        cc__string_list(svc, "env_file");
        struct cc_node *seq = cc_node_map_get(svc, "env_file");
        if (!cc_node_is_seq(seq))
                return 0;
        for (size_t i = 0; i < seq->n; i++) {
                struct cc_node *it = seq->items[i];
                if (cc_node_is_scalar(it) && it->type != CC_NULL) {
                        _cleanup_free_ char *txt = cc__norm_text(it);
                        struct cc_node *m = cc_node_new_map(&it->pos);
                        cc_node_map_set(m, "path", NULL, cc_node_new_str(txt, &it->pos));
                        m->flags = it->flags;
                        cc_node_free(it);
                        seq->items[i] = it = m;
                }
                if (!cc_node_is_map(it))
                        return cc__norm_fail(n, it, "env_file: expected a path or a mapping");
                _cleanup_free_ char *path = cc__norm_text(cc_node_map_get(it, "path"));
                if (path) {
                        _cleanup_free_ char *abs = cc__norm_abs_path(n, path);
                        cc__norm_set_str(it, "path", abs);
                }
                if (!cc_node_map_get(it, "required"))
                        cc_node_map_set(it, "required", NULL, cc_node_new_bool(true, &it->pos));
                if ((r = cc__bool_field(n, it, "required", "env_file.required")) < 0)
                        return r;
        }
        return 0;
}

/* networks: [a, b] -> {a: null, b: null}. */
static int cc__networks(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *v = cc__norm_list_to_map(svc, "networks", false);
        int r;
        if (!cc_node_is_map(v))
                return 0;
        for (size_t i = 0; i < v->n; i++) {
                struct cc_node *e = v->items[i];
                if (!cc_node_is_map(e))
                        continue;
                cc__string_items(e, "aliases");
                cc__string_map(e, "driver_opts", false);
                if ((r = cc__int_field(n, e, "priority", "networks.priority")) < 0 ||
                    (r = cc__int_field(n, e, "gw_priority", "networks.gw_priority")) < 0)
                        return r;
        }
        return 0;
}

/* devices: "src[:dst[:perms]]" -> {source, target, permissions}. */
static int cc__devices(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *seq = cc_node_map_get(svc, "devices");
        if (!cc_node_is_seq(seq))
                return 0;
        for (size_t i = 0; i < seq->n; i++) {
                struct cc_node *it = seq->items[i];
                if (!cc_node_is_scalar(it) || it->type == CC_NULL)
                        continue;
                _cleanup_free_ char *txt = cc__norm_text(it);
                char *parts[4] = {txt, NULL, NULL, NULL};
                int np = 1;
                for (char *p = txt; *p; p++)
                        if (*p == ':') {
                                *p = '\0';
                                if (np < 4)
                                        parts[np] = p + 1;
                                np++;
                        }
                if (np > 3)
                        return cc__norm_fail(n, it, "confusing device mapping, please use long syntax: %s", it->str);
                struct cc_node *m = cc_node_new_map(&it->pos);
                cc_node_map_set(m, "source", NULL, cc_node_new_str(parts[0], &it->pos));
                cc_node_map_set(m, "target", NULL,
                                cc_node_new_str(parts[1] && *parts[1] ? parts[1] : parts[0], &it->pos));
                cc_node_map_set(m, "permissions", NULL, cc_node_new_str(np == 3 ? parts[2] : "rwm", &it->pos));
                m->flags = it->flags;
                cc_node_free(it);
                seq->items[i] = m;
        }
        return 0;
}

/* Device requests (gpus, deploy reservations devices): count "all" is -1,
 * and without count or device_ids the request is for all devices. */
static int cc__device_requests(const struct cc__norm *n, struct cc_node *map, const char *key)
{
        struct cc_node *seq = cc_node_map_get(map, key);
        int r;
        if (cc_node_is_scalar(seq) && seq->type != CC_NULL) { /* gpus: all */
                struct cc_node *s = cc_node_new_seq(&seq->pos);
                cc_node_seq_push(s, cc_node_new_map(&seq->pos));
                cc__norm_replace(map, key, s);
                seq = s;
        }
        if (!cc_node_is_seq(seq))
                return 0;
        for (size_t i = 0; i < seq->n; i++) {
                struct cc_node *d = seq->items[i];
                if (!cc_node_is_map(d))
                        continue;
                struct cc_node *c = cc_node_map_get(d, "count");
                if (!c && !cc_node_map_get(d, "device_ids"))
                        cc_node_map_set(d, "count", NULL, cc_node_new_int(-1, &d->pos));
                else if (cc_node_is_scalar(c) && c->type == CC_STR && strcasecmp(c->str, "all") == 0)
                        cc_node_map_set(d, "count", NULL, cc_node_new_int(-1, &c->pos));
                else if ((r = cc__int_field(n, d, "count", "devices.count")) < 0)
                        return r;
                cc__string_items(d, "capabilities");
                cc__string_items(d, "device_ids");
                cc__string_map(d, "options", false);
        }
        return 0;
}

static int cc__deploy(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *d = cc_node_map_get(svc, "deploy");
        int r;
        if (!cc_node_is_map(d))
                return 0;
        if ((r = cc__int_field(n, d, "replicas", "deploy.replicas")) < 0)
                return r;
        cc__string_map(d, "labels", false);
        struct cc_node *res = cc_node_map_get(d, "resources");
        static const char *const kinds[] = {"limits", "reservations"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(kinds) && cc_node_is_map(res); i++) {
                struct cc_node *k = cc_node_map_get(res, kinds[i]);
                if (!cc_node_is_map(k))
                        continue;
                _cleanup_free_ char *cpus = cc_xasprintf("deploy.resources.%s.cpus", kinds[i]);
                _cleanup_free_ char *mem = cc_xasprintf("deploy.resources.%s.memory", kinds[i]);
                _cleanup_free_ char *pids = cc_xasprintf("deploy.resources.%s.pids", kinds[i]);
                if ((r = cc__float_field(n, k, "cpus", cpus)) < 0 || (r = cc__norm_bytes(n, k, "memory", mem)) < 0 ||
                    (r = cc__int_field(n, k, "pids", pids)) < 0 || (r = cc__device_requests(n, k, "devices")) < 0)
                        return r;
        }
        struct cc_node *rp = cc_node_map_get(d, "restart_policy");
        if (cc_node_is_map(rp) &&
            ((r = cc__duration_field(n, rp, "delay", "deploy.restart_policy.delay")) < 0 ||
             (r = cc__duration_field(n, rp, "window", "deploy.restart_policy.window")) < 0 ||
             (r = cc__int_field(n, rp, "max_attempts", "deploy.restart_policy.max_attempts")) < 0))
                return r;
        static const char *const updates[] = {"update_config", "rollback_config"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(updates); i++) {
                struct cc_node *u = cc_node_map_get(d, updates[i]);
                if (!cc_node_is_map(u))
                        continue;
                _cleanup_free_ char *delay = cc_xasprintf("deploy.%s.delay", updates[i]);
                _cleanup_free_ char *mon = cc_xasprintf("deploy.%s.monitor", updates[i]);
                _cleanup_free_ char *par = cc_xasprintf("deploy.%s.parallelism", updates[i]);
                _cleanup_free_ char *ratio = cc_xasprintf("deploy.%s.max_failure_ratio", updates[i]);
                if ((r = cc__duration_field(n, u, "delay", delay)) < 0 ||
                    (r = cc__duration_field(n, u, "monitor", mon)) < 0 || (r = cc__int_field(n, u, "parallelism", par)) < 0 ||
                    (r = cc__float_field(n, u, "max_failure_ratio", ratio)) < 0)
                        return r;
        }
        struct cc_node *pl = cc_node_map_get(d, "placement");
        if (cc_node_is_map(pl) &&
            (r = cc__int_field(n, pl, "max_replicas_per_node", "deploy.placement.max_replicas_per_node")) < 0)
                return r;
        return 0;
}

static int cc__build(const struct cc__norm *n, struct cc_node *svc)
{
        static const char *const lists[] = {"cache_from", "cache_to", "tags", "platforms", "no_cache_filter"};
        struct cc_node *b = cc_node_map_get(svc, "build");
        int r;
        if (cc_node_is_scalar(b) && b->type != CC_NULL) {
                _cleanup_free_ char *txt = cc__norm_text(b);
                struct cc_node *m = cc_node_new_map(&b->pos);
                cc_node_map_set(m, "context", NULL, cc_node_new_str(txt, &b->pos));
                cc__norm_replace(svc, "build", m);
                b = m;
        }
        if (!cc_node_is_map(b))
                return 0;
        cc__context_field(n, b, "context");
        cc__string_map(b, "args", true);
        cc__string_map(b, "labels", false);
        struct cc_node *ac = cc_node_map_get(b, "additional_contexts");
        if (cc_node_is_seq(ac))
                for (size_t i = 0; i < ac->n; i++) {
                        _cleanup_free_ char *txt = cc__norm_text(ac->items[i]);
                        if (!txt || !strchr(txt, '='))
                                return cc__norm_fail(n, ac->items[i],
                                                     "build.additional_contexts: invalid value %s, expected key=value",
                                                     txt ? txt : "null");
                }
        cc__string_map(b, "additional_contexts", false);
        ac = cc_node_map_get(b, "additional_contexts");
        for (size_t i = 0; cc_node_is_map(ac) && i < ac->n; i++)
                cc__context_field(n, ac, cc_node_key(ac, i));
        if ((r = cc__extra_hosts(n, b, "extra_hosts")) < 0)
                return r;
        for (size_t i = 0; i < CC_ARRAY_SIZE(lists); i++)
                cc__string_list(b, lists[i]);
        if ((r = cc__norm_bytes(n, b, "shm_size", "build.shm_size")) < 0 || (r = cc__file_refs(n, b, "secrets")) < 0 ||
            (r = cc__ulimits(n, b)) < 0)
                return r;
        return 0;
}

static int cc__hooks(const struct cc__norm *n, struct cc_node *svc, const char *key)
{
        struct cc_node *seq = cc_node_map_get(svc, key);
        int r;
        for (size_t i = 0; cc_node_is_seq(seq) && i < seq->n; i++) {
                struct cc_node *h = seq->items[i];
                if (!cc_node_is_map(h))
                        continue;
                _cleanup_free_ char *what = cc_xasprintf("%s.command", key);
                if ((r = cc__command(n, h, "command", what)) < 0)
                        return r;
                cc__string_map(h, "environment", true);
        }
        return 0;
}

static int cc__scalars(const struct cc__norm *n, struct cc_node *svc)
{
        static const char *const ints[] = {"cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime",
                                           "cpu_shares", "oom_score_adj", "pids_limit", "scale"};
        static const char *const bytes[] = {"mem_limit", "mem_reservation", "memswap_limit", "mem_swappiness",
                                            "shm_size"};
        static const char *const floats[] = {"cpus", "cpu_percent"};
        int r;
        for (size_t i = 0; i < CC_ARRAY_SIZE(ints); i++)
                if ((r = cc__int_field(n, svc, ints[i], ints[i])) < 0)
                        return r;
        for (size_t i = 0; i < CC_ARRAY_SIZE(bytes); i++)
                if ((r = cc__norm_bytes(n, svc, bytes[i], bytes[i])) < 0)
                        return r;
        for (size_t i = 0; i < CC_ARRAY_SIZE(floats); i++)
                if ((r = cc__float_field(n, svc, floats[i], floats[i])) < 0)
                        return r;
        /* ThrottleDevice.Rate is a UnitBytes */
        static const char *const throttles[] = {"device_read_bps", "device_read_iops", "device_write_bps",
                                                "device_write_iops"};
        struct cc_node *blkio = cc_node_map_get(svc, "blkio_config");
        for (size_t i = 0; i < CC_ARRAY_SIZE(throttles); i++) {
                struct cc_node *devs = cc_node_map_get(blkio, throttles[i]);
                for (size_t j = 0; cc_node_is_seq(devs) && j < devs->n; j++)
                        if ((r = cc__norm_bytes(n, devs->items[j], "rate", "blkio_config rate")) < 0)
                                return r;
        }
        return cc__duration_field(n, svc, "stop_grace_period", "stop_grace_period");
}

int cc_normalize_service(struct cc_node *svc, const char *name, const struct cc_norm_ctx *ctx, struct cc_error *err)
{
        static const char *const string_lists[] = {"dns", "dns_search", "tmpfs", "label_file"};
        static const char *const string_maps[] = {"labels", "annotations", "sysctls", "storage_opt", "log_opt"};
        struct cc__norm n = {.name = name, .ctx = ctx, .err = err};
        int r;

        if (!cc_node_is_map(svc))
                return cc__norm_fail(&n, svc, "expected a mapping, got %s", cc_node_type_name(svc));
        for (size_t i = 0; i < CC_ARRAY_SIZE(string_lists); i++)
                cc__string_list(svc, string_lists[i]);
        struct cc_node *lf = cc_node_map_get(svc, "label_file");
        for (size_t i = 0; cc_node_is_seq(lf) && i < lf->n; i++) {
                _cleanup_free_ char *txt = cc__norm_text(lf->items[i]);
                _cleanup_free_ char *abs = txt ? cc__norm_abs_path(&n, txt) : NULL;
                if (abs)
                        cc_node_set_scalar(lf->items[i], abs, CC_STR);
        }
        cc__string_items(svc, "group_add");
        cc__string_map(svc, "environment", true);
        for (size_t i = 0; i < CC_ARRAY_SIZE(string_maps); i++)
                cc__string_map(svc, string_maps[i], false);
        struct cc_node *log = cc_node_map_get(svc, "logging");
        if (cc_node_is_map(log))
                cc__string_map(log, "options", false);
        if ((r = cc__norm_ports(&n, svc)) < 0 || (r = cc__norm_expose(&n, svc)) < 0 ||
            (r = cc__norm_volumes(&n, svc)) < 0 || (r = cc__extra_hosts(&n, svc, "extra_hosts")) < 0 ||
            (r = cc__depends_on(&n, svc)) < 0 || (r = cc__healthcheck(&n, svc)) < 0 ||
            (r = cc__command(&n, svc, "command", "command")) < 0 ||
            (r = cc__command(&n, svc, "entrypoint", "entrypoint")) < 0 || (r = cc__build(&n, svc)) < 0 ||
            (r = cc__env_file(&n, svc)) < 0 || (r = cc__networks(&n, svc)) < 0 ||
            (r = cc__file_refs(&n, svc, "secrets")) < 0 || (r = cc__file_refs(&n, svc, "configs")) < 0 ||
            (r = cc__ulimits(&n, svc)) < 0 || (r = cc__devices(&n, svc)) < 0 ||
            (r = cc__device_requests(&n, svc, "gpus")) < 0 || (r = cc__deploy(&n, svc)) < 0 ||
            (r = cc__hooks(&n, svc, "post_start")) < 0 || (r = cc__hooks(&n, svc, "pre_stop")) < 0 ||
            (r = cc__scalars(&n, svc)) < 0)
                return r;
        cc__norm_paths(&n, svc);
        cc__norm_shape(svc);
        return 0;
}
