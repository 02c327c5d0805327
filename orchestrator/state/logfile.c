#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"

#define CC_LOG_MAX_LINE 16384     /* longer lines are split, as Docker does */
#define CC_LOG_FLUSH_AT (256 * 1024)
#define CC_LOG_DROP_REPORT_SECS 10

struct cc_logstream {
        char *buf;
        size_t len, cap;
};

struct cc_logw {
        char *path;
        int fd;
        long long size;
        long long max_size;
        int max_files;
        struct cc_buf out;
        struct cc_logstream s[3];
        char tbuf[48];
        struct timespec tlast;
        /* output that could not be written (a full disk) is dropped, never
         * kept: counted here until reported */
        unsigned long long dropped;
        int drop_error;
        bool failing;             /* the last write failed */
        time_t reported_at;
};

void cc_log_format_time(const struct timespec *ts, char *buf, size_t size)
{
        struct tm tm;
        time_t t = ts->tv_sec;
        gmtime_r(&t, &tm);
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (long) ts->tv_nsec);
}

int cc_logw_open(const char *path, long long max_size, int max_files, struct cc_logw **out, struct cc_error *err)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "open log file %s", path);
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int e = -errno;
                close(fd);
                return cc_error_setsys(err, e, "stat log file %s", path);
        }
        struct cc_logw *w = cc_xcalloc(1, sizeof(*w));
        w->path = cc_xstrdup(path);
        w->fd = fd;
        w->size = st.st_size;
        w->max_size = max_size;
        w->max_files = max_files < 1 ? 1 : max_files;
        *out = w;
        return 0;
}

/* Drop what is buffered: a log that cannot be written must not hold a
 * container's output in memory (the supervisor keeps reading so that the
 * container never blocks, as Docker's json-file driver does). */
static void cc__logw_drop(struct cc_logw *w, size_t n, int error)
{
        w->dropped += n;
        w->drop_error = error;
        w->failing = true;
}

static int cc__logw_write_out(struct cc_logw *w)
{
        size_t off = 0;
        int r = 0;
        while (off < w->out.len) {
                ssize_t n = write(w->fd, w->out.s + off, w->out.len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                off += (size_t) n;
        }
        if (r < 0) {
                /* no half entry left in the file: the reader wants whole lines */
                if (off > 0 && ftruncate(w->fd, w->size) < 0)
                        w->size += (long long) off;
                cc__logw_drop(w, w->out.len, -r);
        } else {
                w->size += (long long) w->out.len;
                w->failing = false;
        }
        w->out.len = 0;
        if (w->out.s)
                w->out.s[0] = '\0';
        return r;
}

bool cc_logw_drop_report(struct cc_logw *w, const struct timespec *now, bool final, unsigned long long *bytes,
                         int *error)
{
        if (!w->dropped)
                return false;
        if (!final && w->failing && w->reported_at && now->tv_sec - w->reported_at < CC_LOG_DROP_REPORT_SECS)
                return false;
        *bytes = w->dropped;
        *error = w->drop_error;
        w->dropped = 0;
        w->reported_at = now->tv_sec ? now->tv_sec : 1;
        return true;
}

/* path.N-1 -> path.N ... path -> path.1, then a fresh path. */
static int cc__logw_rotate(struct cc_logw *w)
{
        if (w->max_files <= 1) {
                if (ftruncate(w->fd, 0) < 0)
                        return -errno;
                w->size = 0;
                return 0;
        }
        for (int i = w->max_files - 1; i >= 1; i--) {
                _cleanup_free_ char *from = i == 1 ? cc_xstrdup(w->path) : cc_xasprintf("%s.%d", w->path, i - 1);
                _cleanup_free_ char *to = cc_xasprintf("%s.%d", w->path, i);
                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        int fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0)
                return -errno;
        close(w->fd);
        w->fd = fd;
        w->size = 0;
        return 0;
}

static const char cc__hex[] = "0123456789abcdef";

/* Length of a valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t cc__utf8_len(const unsigned char *p, size_t n)
{
        unsigned char c = p[0];
        size_t len;
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef)
                len = 3;
        else if (c >= 0xf0 && c <= 0xf4)
                len = 4;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        if (c == 0xe0 && p[1] < 0xa0)
                return 0;
        if (c == 0xed && p[1] > 0x9f)
                return 0;
        if (c == 0xf0 && p[1] < 0x90)
                return 0;
        if (c == 0xf4 && p[1] > 0x8f)
                return 0;
        return len;
}

/* JSON-escape text. Bytes that are not UTF-8 become \u00XX (our reader
 * turns them back into the same byte, so binary output survives). */
static void cc__json_escape(struct cc_buf *b, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0;
        while (i < n) {
                size_t start = i;
                while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
                        i++;
                if (i > start)
                        cc_buf_add(b, s + start, i - start);
                if (i >= n)
                        break;
                unsigned char c = p[i];
                if (c >= 0x80) {
                        size_t l = cc__utf8_len(p + i, n - i);
                        if (l) {
                                cc_buf_add(b, s + i, l);
                                i += l;
                                continue;
                        }
                } else if (c == '"' || c == '\\') {
                        char e[2] = {'\\', (char) c};
                        cc_buf_add(b, e, 2);
                        i++;
                        continue;
                } else if (c == '\n') {
                        cc_buf_add(b, "\\n", 2);
                        i++;
                        continue;
                } else if (c == '\t') {
                        cc_buf_add(b, "\\t", 2);
                        i++;
                        continue;
                } else if (c == '\r') {
                        cc_buf_add(b, "\\r", 2);
                        i++;
                        continue;
                }
                char u[6] = {'\\', 'u', '0', '0', cc__hex[c >> 4], cc__hex[c & 15]};
                cc_buf_add(b, u, 6);
                i++;
        }
}

static int cc__logw_entry(struct cc_logw *w, enum cc_log_stream stream, const char *text, size_t len)
{
        size_t before = w->out.len;
        cc_buf_add(&w->out, "{\"log\":\"", 8);
        cc__json_escape(&w->out, text, len);
        cc_buf_puts(&w->out, stream == CC_LOG_STDERR ? "\",\"stream\":\"stderr\",\"time\":\""
                                                     : "\",\"stream\":\"stdout\",\"time\":\"");
        cc_buf_puts(&w->out, w->tbuf);
        cc_buf_add(&w->out, "\"}\n", 3);
        if (w->max_size > 0 && w->size + (long long) w->out.len > w->max_size && w->size + (long long) before > 0) {
                /* the new entry goes to a fresh file */
                size_t entry = w->out.len - before;
                _cleanup_free_ char *tail = cc_xstrndup(w->out.s + before, entry);
                w->out.len = before;
                /* a failed write or rotation drops (and counts) what it
                 * could not write: never kept, never an error that would
                 * leave the caller's line buffer growing */
                (void) cc__logw_write_out(w);
                int r = cc__logw_rotate(w);
                if (r < 0)
                        cc__logw_drop(w, 0, -r);
                cc_buf_add(&w->out, tail, entry);
        }
        if (w->out.len >= CC_LOG_FLUSH_AT)
                (void) cc__logw_write_out(w);
        return 0;
}

static void cc__logw_time(struct cc_logw *w, const struct timespec *ts)
{
        if (ts->tv_sec == w->tlast.tv_sec && ts->tv_nsec == w->tlast.tv_nsec && w->tbuf[0])
                return;
        w->tlast = *ts;
        cc_log_format_time(ts, w->tbuf, sizeof(w->tbuf));
}

int cc_logw_feed(struct cc_logw *w, enum cc_log_stream stream, const char *data, size_t n, const struct timespec *ts)
{
        struct cc_logstream *s = &w->s[stream == CC_LOG_STDERR ? 2 : 1];
        int r;
        cc__logw_time(w, ts);
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t take = nl ? (size_t) (nl - data) + 1 : n;
                if (s->len == 0 && nl && take <= CC_LOG_MAX_LINE) {
                        /* the common case: a whole line straight from the read buffer */
                        if ((r = cc__logw_entry(w, stream, data, take)) < 0)
                                return r;
                } else {
                        if (s->len + take > s->cap) {
                                s->cap = (s->len + take) * 2;
                                s->buf = cc_xrealloc(s->buf, s->cap);
                        }
                        memcpy(s->buf + s->len, data, take);
                        s->len += take;
                        while (s->len >= CC_LOG_MAX_LINE && (s->buf[s->len - 1] != '\n' || s->len > CC_LOG_MAX_LINE)) {
                                if ((r = cc__logw_entry(w, stream, s->buf, CC_LOG_MAX_LINE)) < 0)
                                        return r;
                                memmove(s->buf, s->buf + CC_LOG_MAX_LINE, s->len - CC_LOG_MAX_LINE);
                                s->len -= CC_LOG_MAX_LINE;
                        }
                        if (nl && s->len > 0) {
                                if ((r = cc__logw_entry(w, stream, s->buf, s->len)) < 0)
                                        return r;
                                s->len = 0;
                        }
                }
                data += take;
                n -= take;
        }
        return 0;
}

int cc_logw_flush_partial(struct cc_logw *w, enum cc_log_stream stream, const struct timespec *ts)
{
        struct cc_logstream *s = &w->s[stream == CC_LOG_STDERR ? 2 : 1];
        if (s->len == 0)
                return 0;
        cc__logw_time(w, ts);
        int r = cc__logw_entry(w, stream, s->buf, s->len);
        s->len = 0;
        return r;
}

int cc_logw_flush(struct cc_logw *w)
{
        return w->out.len ? cc__logw_write_out(w) : 0;
}

void cc_logw_close(struct cc_logw *w)
{
        if (!w)
                return;
        cc_logw_flush(w);
        close(w->fd);
        for (int i = 0; i < 3; i++)
                free(w->s[i].buf);
        cc_buf_free(&w->out);
        free(w->path);
        free(w);
}

/* ---- reading ---- */

static int cc__hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static void cc__put_utf8(struct cc_buf *b, unsigned cp)
{
        char u[4];
        if (cp < 0x80) {
                u[0] = (char) cp;
                cc_buf_add(b, u, 1);
        } else if (cp < 0x800) {
                u[0] = (char) (0xc0 | (cp >> 6));
                u[1] = (char) (0x80 | (cp & 0x3f));
                cc_buf_add(b, u, 2);
        } else if (cp < 0x10000) {
                u[0] = (char) (0xe0 | (cp >> 12));
                u[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char) (0x80 | (cp & 0x3f));
                cc_buf_add(b, u, 3);
        } else {
                u[0] = (char) (0xf0 | (cp >> 18));
                u[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                u[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[3] = (char) (0x80 | (cp & 0x3f));
                cc_buf_add(b, u, 4);
        }
}

/* Decode a JSON string body starting after the opening quote; returns the
 * position after the closing quote, or NULL. */
static const char *cc__json_unescape(const char *p, const char *end, struct cc_buf *b)
{
        while (p < end) {
                const char *q = p;
                while (q < end && *q != '"' && *q != '\\')
                        q++;
                cc_buf_add(b, p, (size_t) (q - p));
                if (q >= end)
                        return NULL;
                if (*q == '"')
                        return q + 1;
                if (q + 1 >= end)
                        return NULL;
                char e = q[1];
                p = q + 2;
                switch (e) {
                case 'n': cc_buf_putc(b, '\n'); break;
                case 't': cc_buf_putc(b, '\t'); break;
                case 'r': cc_buf_putc(b, '\r'); break;
                case 'b': cc_buf_putc(b, '\b'); break;
                case 'f': cc_buf_putc(b, '\f'); break;
                case '/': cc_buf_putc(b, '/'); break;
                case '"': cc_buf_putc(b, '"'); break;
                case '\\': cc_buf_putc(b, '\\'); break;
                case 'u': {
                        if (end - p < 4)
                                return NULL;
                        unsigned cp = 0;
                        for (int i = 0; i < 4; i++) {
                                int h = cc__hexval(p[i]);
                                if (h < 0)
                                        return NULL;
                                cp = cp * 16 + (unsigned) h;
                        }
                        p += 4;
                        if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                                unsigned lo = 0;
                                for (int i = 0; i < 4; i++)
                                        lo = lo * 16 + (unsigned) (cc__hexval(p[2 + i]) < 0 ? 0 : cc__hexval(p[2 + i]));
                                if (lo >= 0xdc00 && lo <= 0xdfff) {
                                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                        p += 6;
                                }
                        }
                        if (cp < 0x100 && cp >= 0x80) {
                                /* a raw byte written by cc__json_escape */
                                char raw = (char) cp;
                                cc_buf_add(b, &raw, 1);
                        } else {
                                cc__put_utf8(b, cp);
                        }
                        break;
                }
                default:
                        return NULL;
                }
        }
        return NULL;
}

static int cc__digits(const char *p, int n)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -1;
                v = v * 10 + (p[i] - '0');
        }
        return v;
}

/* RFC 3339 by hand: this runs once per log line, and sscanf would scan
 * the whole read buffer behind each line. */
static int cc__parse_rfc3339(const char *s, struct timespec *out)
{
        int y = cc__digits(s, 4), mo = -1, d = -1, h = -1, mi = -1, se = -1;
        if (y >= 0 && s[4] == '-')
                mo = cc__digits(s + 5, 2);
        if (mo >= 0 && s[7] == '-')
                d = cc__digits(s + 8, 2);
        if (d >= 0 && (s[10] == 'T' || s[10] == 't' || s[10] == ' '))
                h = cc__digits(s + 11, 2);
        if (h >= 0 && s[13] == ':')
                mi = cc__digits(s + 14, 2);
        if (mi >= 0 && s[16] == ':')
                se = cc__digits(s + 17, 2);
        if (se < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
                return -EINVAL;
        const char *p = s + 19;
        long nsec = 0;
        if (*p == '.') {
                p++;
                int n = 0;
                while (*p >= '0' && *p <= '9') {
                        if (n < 9) {
                                nsec = nsec * 10 + (*p - '0');
                                n++;
                        }
                        p++;
                }
                while (n++ < 9)
                        nsec *= 10;
        }
        /* days from the civil date (no mktime/timegm per line) */
        int yy = y - (mo <= 2);
        int era = (yy >= 0 ? yy : yy - 399) / 400;
        int yoe = yy - era * 400;
        int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        long long days = (long long) era * 146097 + doe - 719468;
        long long t = days * 86400 + h * 3600 + mi * 60 + se;
        if (*p == '+' || *p == '-') {
                int oh = cc__digits(p + 1, 2), om = p[3] == ':' ? cc__digits(p + 4, 2) : cc__digits(p + 3, 2);
                if (oh < 0)
                        return -EINVAL;
                long off = oh * 3600L + (om > 0 ? om : 0) * 60L;
                t += *p == '+' ? -off : off;
        } else if (*p != 'Z' && *p != 'z' && *p != '\0' && *p != '"') {
                return -EINVAL;
        }
        out->tv_sec = (time_t) t;
        out->tv_nsec = nsec;
        return 0;
}

int cc_log_parse_time(const char *s, const struct timespec *now, struct timespec *out)
{
        if (cc__parse_rfc3339(s, out) == 0)
                return 0;
        /* Unix timestamp, possibly with a fraction */
        char *end = NULL;
        double v = strtod(s, &end);
        if (end && end != s && *end == '\0') {
                out->tv_sec = (time_t) v;
                out->tv_nsec = (long) ((v - (double) out->tv_sec) * 1e9);
                return 0;
        }
        /* relative: 10m, 1h30m, 45s */
        long long total_ms = 0;
        const char *p = s;
        if (!*p)
                return -EINVAL;
        while (*p) {
                char *e = NULL;
                double num = strtod(p, &e);
                if (e == p)
                        return -EINVAL;
                p = e;
                double mul;
                if (cc_startswith(p, "ms"))
                        mul = 1, p += 2;
                else if (*p == 's')
                        mul = 1000, p++;
                else if (*p == 'm')
                        mul = 60000, p++;
                else if (*p == 'h')
                        mul = 3600000, p++;
                else if (*p == 'd')
                        mul = 86400000, p++;
                else
                        return -EINVAL;
                total_ms += (long long) (num * mul);
        }
        long long ns = (long long) now->tv_sec * 1000000000LL + now->tv_nsec - total_ms * 1000000LL;
        out->tv_sec = (time_t) (ns / 1000000000LL);
        out->tv_nsec = (long) (ns % 1000000000LL);
        return 0;
}

/* One line of a log file -> entry. Our own format is decoded by hand;
 * anything else goes through json-c. */
static int cc__log_line(const char *line, size_t len, struct cc_buf *text, struct cc_log_entry *e)
{
        static const char head[] = "{\"log\":\"";
        text->len = 0;
        if (len > sizeof(head) - 1 && memcmp(line, head, sizeof(head) - 1) == 0) {
                const char *end = line + len;
                const char *p = cc__json_unescape(line + sizeof(head) - 1, end, text);
                static const char so[] = ",\"stream\":\"stdout\",\"time\":\"";
                static const char se[] = ",\"stream\":\"stderr\",\"time\":\"";
                if (p && end - p > (long) sizeof(so) && (memcmp(p, so, sizeof(so) - 1) == 0 || memcmp(p, se, sizeof(se) - 1) == 0)) {
                        e->stream = p[14] == 'e' ? CC_LOG_STDERR : CC_LOG_STDOUT;
                        if (cc__parse_rfc3339(p + sizeof(so) - 1, &e->time) == 0) {
                                e->text = text->s ? text->s : "";
                                e->len = text->len;
                                return 0;
                        }
                }
                text->len = 0;
        }
        _cleanup_free_ char *dup = cc_xstrndup(line, len);
        json_object *o = json_tokener_parse(dup);
        if (!o)
                return -EINVAL;
        json_object *l = NULL, *s = NULL, *t = NULL;
        int r = -EINVAL;
        if (json_object_object_get_ex(o, "log", &l) && json_object_object_get_ex(o, "time", &t)) {
                json_object_object_get_ex(o, "stream", &s);
                const char *ls = json_object_get_string(l);
                cc_buf_add(text, ls, (size_t) json_object_get_string_len(l));
                e->stream = s && strcmp(json_object_get_string(s), "stderr") == 0 ? CC_LOG_STDERR : CC_LOG_STDOUT;
                if (cc__parse_rfc3339(json_object_get_string(t), &e->time) == 0) {
                        e->text = text->s ? text->s : "";
                        e->len = text->len;
                        r = 0;
                }
        }
        json_object_put(o);
        return r;
}

int cc_log_read_from(const char *path, long long *offset, cc_log_fn fn, void *userdata, struct cc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return cc_error_setsys(err, -errno, "open %s", path);
        }
        if (lseek(fd, (off_t) *offset, SEEK_SET) < 0)
                return cc_error_setsys(err, -errno, "seek %s", path);
        struct cc_buf pending = {0}, text = {0};
        char *chunk = cc_xmalloc(1 << 20);
        int r = 0;
        for (;;) {
                ssize_t n = read(fd, chunk, 1 << 20);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = cc_error_setsys(err, -errno, "read %s", path);
                        break;
                }
                if (n == 0)
                        break;
                cc_buf_add(&pending, chunk, (size_t) n);
                size_t pos = 0;
                for (;;) {
                        char *nl = memchr(pending.s + pos, '\n', pending.len - pos);
                        if (!nl)
                                break;
                        size_t llen = (size_t) (nl - (pending.s + pos));
                        struct cc_log_entry e;
                        if (llen > 0 && cc__log_line(pending.s + pos, llen, &text, &e) == 0) {
                                r = fn(&e, userdata);
                                if (r < 0)
                                        break;
                        }
                        pos += llen + 1;
                        *offset += (long long) llen + 1;
                }
                if (r < 0)
                        break;
                memmove(pending.s, pending.s + pos, pending.len - pos);
                pending.len -= pos;
        }
        free(chunk);
        cc_buf_free(&pending);
        cc_buf_free(&text);
        return r;
}

int cc_log_read(const char *path, int max_files, cc_log_fn fn, void *userdata, struct cc_error *err)
{
        for (int i = (max_files < 1 ? 1 : max_files) - 1; i >= 0; i--) {
                _cleanup_free_ char *p = i == 0 ? cc_xstrdup(path) : cc_xasprintf("%s.%d", path, i);
                long long off = 0;
                int r = cc_log_read_from(p, &off, fn, userdata, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void cc_log_list_add(struct cc_log_list *l, const struct cc_log_entry *e)
{
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 256;
                l->v = cc_xrealloc(l->v, l->cap * sizeof(*l->v));
        }
        l->v[l->n] = *e;
        l->v[l->n].text = cc_xstrndup(e->text, e->len);
        l->n++;
}

void cc_log_list_free(struct cc_log_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free((char *) l->v[i].text);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

static int cc__ts_cmp(const struct timespec *a, const struct timespec *b)
{
        if (a->tv_sec != b->tv_sec)
                return a->tv_sec < b->tv_sec ? -1 : 1;
        return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

bool cc_log_time_in(const struct timespec *t, const struct timespec *since, const struct timespec *until)
{
        return (!since || cc__ts_cmp(t, since) >= 0) && (!until || cc__ts_cmp(t, until) <= 0);
}
