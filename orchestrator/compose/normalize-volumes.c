/* Service volumes, as compose-go's format.ParseVolume reads the short
 * syntax and its loader resolves bind sources. A source that starts with
 * '.', '/' or '~' (or a drive letter) is a bind mount (which the short
 * syntax creates when missing: bind.create_host_path), anything else a
 * named volume (volume: {}); "/target" alone is an anonymous volume. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "normalize.h"

static const char *const cc__vol_order_full[] = {"type",  "source", "target", "read_only", "consistency",
                                                 "bind",  "volume", "tmpfs",  "image",     NULL};
static const char *const cc__bind_order[] = {"selinux", "propagation", "create_host_path", "recursive", NULL};
static const char *const cc__volopt_order[] = {"labels", "nocopy", "subpath", NULL};
static const char *const cc__tmpfs_order[] = {"size", "mode", NULL};

struct cc__vol {
        char *source;
        char *target;
        bool read_only;
        bool has_bind, has_volume, nocopy;
        const char *selinux, *propagation;
};

static void cc__vol_free(struct cc__vol *v)
{
        free(v->source);
        free(v->target);
}

static bool cc__is_drive(const char *buf, size_t len, char c)
{
        return c == ':' && len == 1 && isalpha((unsigned char) buf[0]);
}

static bool cc__is_file_path(const char *s)
{
        if (!s || !*s)
                return false;
        if (s[0] == '.' || s[0] == '/' || s[0] == '~')
                return true;
        if (s[0] == '\\' && s[1] == '\\')
                return true;
        return s[1] && cc__is_drive(s, 1, s[1]);
}

static const char *cc__vol_field(struct cc__vol *v, char c, const char *buf, size_t len)
{
        static const char *const propagations[] = {"rprivate", "private", "rshared", "shared", "rslave", "slave"};
        if (len == 0)
                return "empty section between colons";
        if (!v->source && c == '\0') {
                v->target = cc_xstrndup(buf, len);
                return NULL;
        }
        if (!v->source) {
                v->source = cc_xstrndup(buf, len);
                return NULL;
        }
        if (!v->target) {
                v->target = cc_xstrndup(buf, len);
                return NULL;
        }
        if (c == ':')
                return "too many colons";
        _cleanup_free_ char *opts = cc_xstrndup(buf, len);
        char *save = NULL;
        for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (strcmp(o, "ro") == 0) {
                        v->read_only = true;
                } else if (strcmp(o, "rw") == 0) {
                        v->read_only = false;
                } else if (strcmp(o, "nocopy") == 0) {
                        v->has_volume = v->nocopy = true;
                } else if (strcmp(o, "z") == 0 || strcmp(o, "Z") == 0) {
                        v->has_bind = true;
                        v->selinux = strcmp(o, "z") == 0 ? "z" : "Z";
                } else {
                        for (size_t i = 0; i < CC_ARRAY_SIZE(propagations); i++)
                                if (strcmp(o, propagations[i]) == 0) {
                                        v->has_bind = true;
                                        v->propagation = propagations[i];
                                }
                        /* other options are ignored, as compose-go does */
                }
        }
        return NULL;
}

/* source:target[:options], "${...}" kept whole; returns an error text. */
static const char *cc__vol_parse(const char *spec, struct cc__vol *v)
{
        size_t n = strlen(spec);
        if (n == 0)
                return "invalid empty volume spec";
        if (n <= 2) {
                v->target = cc_xstrdup(spec);
                return NULL;
        }
        struct cc_buf buf = {0};
        int depth = 0;
        const char *why = NULL;
        cc_buf_puts(&buf, "");
        for (size_t i = 0; i <= n; i++) {
                char c = i < n ? spec[i] : '\0';
                if (c == '$' && i + 1 < n && spec[i + 1] == '{') {
                        depth++;
                        cc_buf_putc(&buf, c);
                        continue;
                }
                if (c == '}' && depth > 0) {
                        depth--;
                        cc_buf_putc(&buf, c);
                        continue;
                }
                if (cc__is_drive(buf.s, buf.len, c)) {
                        cc_buf_putc(&buf, c);
                } else if ((c == ':' || c == '\0') && depth == 0) {
                        if ((why = cc__vol_field(v, c, buf.s, buf.len)))
                                break;
                        buf.len = 0;
                        buf.s[0] = '\0';
                } else if (c != '\0') {
                        cc_buf_putc(&buf, c);
                }
        }
        cc_buf_free(&buf);
        if (why)
                return why;
        if (cc__is_file_path(v->source))
                v->has_bind = true;
        else
                v->has_volume = true;
        return NULL;
}

static int cc__vol_short(const struct cc__norm *n, const struct cc_node *item, struct cc_node **out)
{
        struct cc__vol v = {0};
        const char *why = cc__vol_parse(item->str, &v);
        if (why) {
                cc__vol_free(&v);
                return cc__norm_fail(n, item, "invalid volume \"%s\": %s", item->str, why);
        }
        const struct cc_pos *pos = &item->pos;
        bool bind = cc__is_file_path(v.source);
        struct cc_node *m = cc_node_new_map(pos);
        cc_node_map_set(m, "type", NULL, cc_node_new_str(bind ? "bind" : "volume", pos));
        if (v.source) {
                _cleanup_free_ char *src = bind ? cc__norm_abs_path(n, v.source) : cc_xstrdup(v.source);
                cc_node_map_set(m, "source", NULL, cc_node_new_str(src, pos));
        }
        if (v.target) {
                _cleanup_free_ char *t = cc_path_clean(v.target);
                cc_node_map_set(m, "target", NULL, cc_node_new_str(t, pos));
        }
        if (v.read_only)
                cc_node_map_set(m, "read_only", NULL, cc_node_new_bool(true, pos));
        if (v.has_bind) {
                struct cc_node *b = cc_node_new_map(pos);
                if (v.selinux)
                        cc_node_map_set(b, "selinux", NULL, cc_node_new_str(v.selinux, pos));
                if (v.propagation)
                        cc_node_map_set(b, "propagation", NULL, cc_node_new_str(v.propagation, pos));
                if (bind)
                        cc_node_map_set(b, "create_host_path", NULL, cc_node_new_bool(true, pos));
                cc_node_map_set(m, "bind", NULL, b);
        }
        if (v.has_volume) {
                struct cc_node *vo = cc_node_new_map(pos);
                if (v.nocopy)
                        cc_node_map_set(vo, "nocopy", NULL, cc_node_new_bool(true, pos));
                cc_node_map_set(m, "volume", NULL, vo);
        }
        cc__vol_free(&v);
        *out = m;
        return 0;
}

/* strconv.ParseBool spellings; *ok false for anything else. */
static bool cc__go_bool(const struct cc_node *v, bool *ok)
{
        static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
        *ok = true;
        if (!cc_node_is_scalar(v) || v->type == CC_NULL) {
                *ok = false;
                return false;
        }
        for (size_t i = 0; i < CC_ARRAY_SIZE(t); i++)
                if (strcmp(v->str, t[i]) == 0)
                        return true;
        for (size_t i = 0; i < CC_ARRAY_SIZE(f); i++)
                if (strcmp(v->str, f[i]) == 0)
                        return false;
        *ok = false;
        return false;
}

/* A bool field in canonical form (false stays until the post-merge step
 * drops omitempty zeros: an override file may set it to false). */
static int cc__vol_bool(const struct cc__norm *n, struct cc_node *m, const char *key)
{
        struct cc_node *v = cc_node_map_get(m, key);
        bool ok;
        if (!v)
                return 0;
        bool b = cc__go_bool(v, &ok);
        if (!ok) {
                _cleanup_free_ char *q = cc__norm_quote(v);
                return cc__norm_fail(n, v, "volumes: %s: invalid boolean %s", key, q);
        }
        cc_node_map_set(m, key, NULL, cc_node_new_bool(b, &v->pos));
        return 0;
}

static void cc__vol_mapping(struct cc_node *m, const char *key)
{
        struct cc_node *l = cc_node_map_get(m, key);
        if (cc_node_is_seq(l)) {
                struct cc_node *map = cc_node_new_map(&l->pos);
                for (size_t i = 0; i < l->n; i++) {
                        _cleanup_free_ char *txt = cc__norm_text(l->items[i]);
                        if (!txt)
                                continue;
                        char *eq = strchr(txt, '=');
                        if (eq)
                                *eq = '\0';
                        cc_node_map_set(map, txt, &l->items[i]->pos,
                                        cc_node_new_str(eq ? eq + 1 : "", &l->items[i]->pos));
                }
                cc__norm_replace(m, key, map);
                l = map;
        }
        if (!cc_node_is_map(l))
                return;
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *txt = cc__norm_text(l->items[i]);
                struct cc_node *s = cc_node_new_str(txt ? txt : "", &l->items[i]->pos);
                cc_node_free(l->items[i]);
                l->items[i] = s;
        }
        cc_node_map_sort(l);
}

static int cc__vol_long(const struct cc__norm *n, struct cc_node *m)
{
        int r;
        const char *type = cc_node_map_str(m, "type");
        struct cc_node *src = cc_node_map_get(m, "source");
        if (cc_streq(type, "bind")) {
                _cleanup_free_ char *s = cc__norm_text(src);
                if (!s || !*s)
                        return cc__norm_fail(n, m, "invalid mount config for type \"bind\": field Source must not be "
                                                   "empty");
                _cleanup_free_ char *abs = cc__norm_abs_path(n, s);
                cc__norm_set_str(m, "source", abs);
                struct cc_node *b = cc_node_map_get(m, "bind");
                if (cc_node_is_null(b) && b) {
                        cc__norm_replace(m, "bind", cc_node_new_map(&b->pos));
                        b = cc_node_map_get(m, "bind");
                }
                if (cc_node_is_map(b) && !cc_node_map_get(b, "create_host_path"))
                        cc_node_map_set(b, "create_host_path", NULL, cc_node_new_bool(true, &b->pos));
        } else if (src) {
                _cleanup_free_ char *s = cc__norm_text(src);
                if (!s || !*s)
                        cc_node_map_del(m, "source");
                else
                        cc__norm_set_str(m, "source", s);
        }
        if ((r = cc__vol_bool(n, m, "read_only")) < 0)
                return r;
        struct cc_node *b = cc_node_map_get(m, "bind");
        if (cc_node_is_map(b)) {
                if ((r = cc__vol_bool(n, b, "create_host_path")) < 0)
                        return r;
                cc__norm_order(b, cc__bind_order);
        }
        struct cc_node *vo = cc_node_map_get(m, "volume");
        if (cc_node_is_null(vo) && vo) {
                cc__norm_replace(m, "volume", cc_node_new_map(&vo->pos));
                vo = cc_node_map_get(m, "volume");
        }
        if (cc_node_is_map(vo)) {
                if ((r = cc__vol_bool(n, vo, "nocopy")) < 0)
                        return r;
                cc__vol_mapping(vo, "labels");
                cc__norm_order(vo, cc__volopt_order);
        }
        struct cc_node *t = cc_node_map_get(m, "tmpfs");
        if (cc_node_is_map(t)) {
                if ((r = cc__norm_bytes(n, t, "size", "volumes: tmpfs.size")) < 0)
                        return r;
                struct cc_node *mode = cc_node_map_get(t, "mode");
                long long mv;
                if (mode && cc__norm_int(mode, &mv))
                        cc_node_map_set(t, "mode", NULL, cc_node_new_int(mv, &mode->pos));
                cc__norm_order(t, cc__tmpfs_order);
        }
        cc__norm_order(m, cc__vol_order_full);
        return 0;
}

int cc__norm_volumes(const struct cc__norm *n, struct cc_node *svc)
{
        struct cc_node *vols = cc_node_map_get(svc, "volumes");
        if (!cc_node_is_seq(vols))
                return 0;
        for (size_t i = 0; i < vols->n; i++) {
                struct cc_node *item = vols->items[i];
                int r;
                if (cc_node_is_map(item)) {
                        if ((r = cc__vol_long(n, item)) < 0)
                                return r;
                } else if (cc_node_is_scalar(item) && item->type != CC_NULL) {
                        struct cc_node *m = NULL;
                        if ((r = cc__vol_short(n, item, &m)) < 0)
                                return r;
                        cc__norm_order(m, cc__vol_order_full);
                        m->flags = item->flags;
                        cc_node_free(item);
                        vols->items[i] = m;
                } else {
                        return cc__norm_fail(n, item, "invalid volume: expected a string or a mapping, got %s",
                                             cc_node_type_name(item));
                }
        }
        return 0;
}
