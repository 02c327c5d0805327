/* The API service's server: a libuv Unix socket, HTTP/1.1 parsed by
 * http-parser, one request at a time per connection (keep-alive; a
 * pipelined request is parsed once the one before is answered), the
 * responses Docker's daemon writes (its headers, its error body), and the
 * idle timer of --time. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "image-digest.h"

struct cc_api_conn {
        uv_pipe_t pipe;
        struct cc_api *api;
        http_parser parser;
        struct cc_api_req *req;   /* being parsed, or being answered */
        struct cc_buf url, hfield, hvalue;
        bool in_value;            /* the header parser is in a value */
        size_t head_bytes;        /* target and headers of the request so far */
        int reject;               /* a status to answer once the request is parsed (413, 431) */
        struct cc_buf pending;    /* bytes that came while a request was answered */
        bool handling;            /* a request is being answered: the parser is paused */
        bool peer_gone;           /* the client closed or the connection failed */
        bool closing;
        struct cc_api_conn *next, **pprev; /* the service's list */
};

static const http_parser_settings cc__settings;

/* ---- responses ---- */

static const char *cc__reason(int status)
{
        switch (status) {
        case 101: return "UPGRADED";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 413: return "Request Entity Too Large";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        default: return "Unknown";
        }
}

struct cc__write {
        uv_write_t w;
        char *data;
};

static void cc__conn_close(struct cc_api_conn *c);

static void cc__write_done(uv_write_t *w, int status)
{
        struct cc__write *cw = (struct cc__write *) w;
        if (status < 0 && status != UV_ECANCELED)
                ((struct cc_api_conn *) w->handle->data)->peer_gone = true; /* a stream stops writing */
        free(cw->data);
        free(cw);
}

/* Queue len bytes (taking data) on the connection. */
static void cc__conn_send(struct cc_api_conn *c, char *data, size_t len)
{
        if (c->peer_gone || c->closing || len == 0) {
                free(data);
                return;
        }
        struct cc__write *cw = cc_xcalloc(1, sizeof(*cw));
        cw->data = data;
        uv_buf_t b = uv_buf_init(data, (unsigned) len);
        if (uv_write(&cw->w, (uv_stream_t *) &c->pipe, &b, 1, cc__write_done) < 0) {
                free(data);
                free(cw);
                c->peer_gone = true;
        }
}

/* Status line and the headers dockerd sends with every response. */
static void cc__head(struct cc_buf *b, const struct cc_api_req *r, int status, const char *ctype)
{
        char date[64];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cc_buf_printf(b, "HTTP/1.1 %d %s\r\n", status, cc__reason(status));
        cc_buf_printf(b, "Api-Version: %s\r\nDocker-Experimental: false\r\nOstype: linux\r\n", CC_API_VERSION);
        cc_buf_printf(b, "Server: Docker/%s (linux)\r\nDate: %s\r\n", CC_VERSION, date);
        if (ctype)
                cc_buf_printf(b, "Content-Type: %s\r\n", ctype);
        if (r->headers)
                cc_buf_puts(b, r->headers);
        if (!r->keep_alive)
                cc_buf_puts(b, "Connection: close\r\n");
}

void cc_api_reply(struct cc_api_req *r, int status, const char *ctype, const char *body, size_t len)
{
        if (r->answered)
                return;
        r->answered = true;
        struct cc_buf b = {0};
        cc__head(&b, r, status, ctype);
        if (status != 204 && status != 304)
                cc_buf_printf(&b, "Content-Length: %zu\r\n", len);
        cc_buf_puts(&b, "\r\n");
        if (!r->head && status != 204 && status != 304)
                cc_buf_add(&b, body, len);
        size_t n = b.len;
        cc__conn_send(r->conn, cc_buf_steal(&b), n);
}

void cc_api_reply_json(struct cc_api_req *r, int status, json_object *o)
{
        size_t len = 0;
        const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                          &len);
        /* dockerd's encoder ends every JSON body with a newline */
        _cleanup_free_ char *text = cc_xasprintf("%s\n", s);
        cc_api_reply(r, status, "application/json", text, len + 1);
        json_object_put(o);
}

void cc_api_reply_error(struct cc_api_req *r, int status, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        struct cc_buf m = {0};
        cc_buf_vprintf(&m, fmt, ap);
        va_end(ap);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "message", json_object_new_string(m.s ? m.s : ""));
        cc_buf_free(&m);
        cc_api_reply_json(r, status, o);
}

void cc_api_reply_empty(struct cc_api_req *r, int status)
{
        cc_api_reply(r, status, NULL, "", 0);
}

void cc_api_stream_begin(struct cc_api_req *r, int status, const char *ctype)
{
        if (r->answered)
                return;
        r->answered = true;
        r->streaming = !r->head;
        struct cc_buf b = {0};
        cc__head(&b, r, status, ctype);
        cc_buf_puts(&b, r->head ? "\r\n" : "Transfer-Encoding: chunked\r\n\r\n");
        size_t n = b.len;
        cc__conn_send(r->conn, cc_buf_steal(&b), n);
}

void cc_api_hijack_input(struct cc_api_req *r)
{
        struct cc_api_conn *c = r->conn;
        if (r->input && c->pending.len) {
                struct cc_buf p = c->pending;
                memset(&c->pending, 0, sizeof(c->pending));
                r->input(r, p.s, p.len);
                cc_buf_free(&p);
        }
}

void cc_api_hijack(struct cc_api_req *r)
{
        if (r->answered)
                return;
        r->answered = true;
        r->streaming = r->raw = true;
        r->keep_alive = false;
        struct cc_buf b = {0};
        bool up = r->conn->parser.upgrade;
        cc_buf_printf(&b, "HTTP/1.1 %s\r\n", up ? "101 UPGRADED" : "200 OK");
        cc_buf_puts(&b, "Content-Type: application/vnd.docker.raw-stream\r\n");
        cc_buf_puts(&b, up ? "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n" : "Connection: close\r\n\r\n");
        size_t n = b.len;
        cc__conn_send(r->conn, cc_buf_steal(&b), n);
}

void cc_api_stream_write(struct cc_api_req *r, const char *data, size_t len)
{
        if (!r->streaming || len == 0)
                return;
        if (r->raw) {
                cc__conn_send(r->conn, cc_xstrndup(data, len), len);
                return;
        }
        struct cc_buf b = {0};
        cc_buf_printf(&b, "%zx\r\n", len);
        cc_buf_add(&b, data, len);
        cc_buf_puts(&b, "\r\n");
        size_t n = b.len;
        cc__conn_send(r->conn, cc_buf_steal(&b), n);
}

void cc_api_stream_end(struct cc_api_req *r)
{
        if (!r->streaming)
                return;
        r->streaming = false;
        if (r->raw)
                return; /* the end of the connection ends it */
        cc__conn_send(r->conn, cc_xstrdup("0\r\n\r\n"), 5);
}

size_t cc_api_queued(const struct cc_api_req *r)
{
        return uv_stream_get_write_queue_size((const uv_stream_t *) &r->conn->pipe);
}

bool cc_api_req_alive(const struct cc_api_req *r)
{
        return !r->conn->peer_gone && !r->conn->closing;
}

/* ---- the request ---- */

static int cc__hex(char ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* Percent-decoding (and '+' as a space in a query). NULL when malformed
 * or when it decodes to a NUL. */
static char *cc__unescape(const char *s, size_t n, bool query)
{
        struct cc_buf b = {0};
        cc_buf_puts(&b, "");
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                if (ch == '%') {
                        int hi = i + 2 < n ? cc__hex(s[i + 1]) : -1;
                        int lo = i + 2 < n ? cc__hex(s[i + 2]) : -1;
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                                cc_buf_free(&b);
                                return NULL;
                        }
                        cc_buf_putc(&b, (char) (hi * 16 + lo));
                        i += 2;
                } else {
                        cc_buf_putc(&b, query && ch == '+' ? ' ' : ch);
                }
        }
        return cc_buf_steal(&b);
}

int cc_api_parse_target(const char *url, char **path_out, struct cc_strv *query)
{
        const char *q = strchr(url, '?');
        size_t plen = q ? (size_t) (q - url) : strlen(url);
        char *path = cc__unescape(url, plen, false);
        *path_out = path;
        if (!path || path[0] != '/')
                return -1;
        /* /v1.41/containers/json -> /containers/json */
        const char *p = path;
        if (p[1] == 'v' && p[2] >= '0' && p[2] <= '9') {
                const char *e = p + 2;
                while ((*e >= '0' && *e <= '9') || *e == '.')
                        e++;
                if (*e == '/' || *e == '\0')
                        memmove(path, e, strlen(e) + 1);
                if (!path[0])
                        strcpy(path, "/");
        }
        for (const char *s = q ? q + 1 : NULL; s && *s;) {
                const char *amp = strchrnul(s, '&');
                const char *eq = memchr(s, '=', (size_t) (amp - s));
                const char *kend = eq ? eq : amp;
                char *k = cc__unescape(s, (size_t) (kend - s), true);
                char *v = eq ? cc__unescape(eq + 1, (size_t) (amp - eq - 1), true) : cc_xstrdup("");
                if (!k || !v) {
                        free(k);
                        free(v);
                        return -1;
                }
                if (*k) {
                        cc_strv_push_owned(query, k);
                        cc_strv_push_owned(query, v);
                } else {
                        free(k);
                        free(v);
                }
                s = *amp ? amp + 1 : amp;
        }
        return 0;
}

const char *cc_api_query(const struct cc_api_req *r, const char *key)
{
        const char *found = NULL;
        for (size_t i = 0; i + 1 < r->query.n; i += 2)
                if (strcmp(r->query.v[i], key) == 0)
                        found = r->query.v[i + 1];
        return found;
}

bool cc_api_query_bool(const struct cc_api_req *r, const char *key, bool def)
{
        const char *v = cc_api_query(r, key);
        if (!v)
                return def;
        return *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

int cc_api_filters(struct cc_api_req *r, struct cc_strv *out)
{
        const char *f = cc_api_query(r, "filters");
        if (!f || !*f)
                return 0;
        json_object *o = json_tokener_parse(f);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                cc_api_reply_error(r, 400, "invalid filter: the filters parameter is not a JSON object");
                return -1;
        }
        json_object_object_foreach(o, key, val)
        {
                if (json_object_is_type(val, json_type_array)) {
                        for (size_t i = 0; i < json_object_array_length(val); i++) {
                                json_object *e = json_object_array_get_idx(val, i);
                                if (!json_object_is_type(e, json_type_string))
                                        goto bad;
                                cc_strv_push(out, key);
                                cc_strv_push(out, json_object_get_string(e));
                        }
                } else if (json_object_is_type(val, json_type_object)) {
                        json_object_object_foreach(val, v, on)
                        {
                                if (json_object_get_boolean(on)) {
                                        cc_strv_push(out, key);
                                        cc_strv_push(out, v);
                                }
                        }
                } else {
                        goto bad;
                }
        }
        json_object_put(o);
        return 0;
bad:
        json_object_put(o);
        cc_api_reply_error(r, 400, "invalid filter: the values of filters must be lists of strings");
        return -1;
}

json_object *cc_api_body_json(struct cc_api_req *r)
{
        if (r->body.len == 0) {
                cc_api_reply_error(r, 400, "bad parameter: the request has no body (a JSON object is expected)");
                return NULL;
        }
        /* with its NUL: json-c takes the end of the text as the end of the value */
        cc_buf_putc(&r->body, '\0');
        r->body.len--;
        json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, r->body.s, (int) r->body.len + 1);
        enum json_tokener_error e = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        while (o && used < r->body.len && memchr(" \t\r\n", r->body.s[used], 4))
                used++;
        if (!o || e != json_tokener_success || used < r->body.len) {
                json_object_put(o);
                cc_api_reply_error(r, 400, "invalid JSON in the request body: %s",
                                   e != json_tokener_success ? json_tokener_error_desc(e) : "data after the value");
                return NULL;
        }
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                cc_api_reply_error(r, 400, "invalid JSON in the request body: an object is expected");
                return NULL;
        }
        return o;
}

static void cc__req_free(struct cc_api_req *r)
{
        if (!r)
                return;
        free(r->path);
        cc_strv_free(&r->query);
        cc_buf_free(&r->body);
        if (r->body_fd >= 0)
                close(r->body_fd);
        free(r->content_type);
        free(r->headers);
        free(r->registry_auth);
        free(r);
}

/* ---- connections ---- */

static void cc__conn_feed(struct cc_api_conn *c, const char *data, size_t len);
static void cc__idle_check(struct cc_api *api);

static void cc__conn_freed(uv_handle_t *h)
{
        struct cc_api_conn *c = h->data;
        struct cc_api *api = c->api;
        cc__req_free(c->req);
        cc_buf_free(&c->url);
        cc_buf_free(&c->hfield);
        cc_buf_free(&c->hvalue);
        cc_buf_free(&c->pending);
        if (c->next)
                c->next->pprev = c->pprev;
        *c->pprev = c->next;
        free(c);
        api->n_conns--;
        cc__idle_check(api);
}

static void cc__conn_close(struct cc_api_conn *c)
{
        if (c->closing)
                return;
        c->closing = true;
        uv_close((uv_handle_t *) &c->pipe, cc__conn_freed);
}

static void cc__shutdown_done(uv_shutdown_t *sd, int status)
{
        struct cc_api_conn *c = sd->data;
        free(sd);
        cc__conn_close(c);
}

/* Close once the queued responses are written (uv_close would cancel
 * them; uv_shutdown waits for them). */
static void cc__conn_finish(struct cc_api_conn *c)
{
        if (c->closing)
                return;
        uv_read_stop((uv_stream_t *) &c->pipe);
        uv_shutdown_t *sd = cc_xcalloc(1, sizeof(*sd));
        sd->data = c;
        if (c->peer_gone || uv_shutdown(sd, (uv_stream_t *) &c->pipe, cc__shutdown_done) < 0) {
                free(sd);
                cc__conn_close(c);
        }
}

void cc_api_done(struct cc_api_req *r)
{
        struct cc_api_conn *c = r->conn;
        bool keep = r->keep_alive && !r->streaming && !r->raw;
        if (!r->answered)
                cc_api_reply_error(r, 500, "the request ended without an answer");
        cc_api_stream_end(r);
        cc__req_free(r);
        c->req = NULL;
        c->handling = false;
        if (!keep || c->peer_gone) {
                cc__conn_finish(c);
                return;
        }
        http_parser_pause(&c->parser, 0);
        if (c->pending.len) {
                struct cc_buf p = c->pending;
                memset(&c->pending, 0, sizeof(c->pending));
                cc__conn_feed(c, p.s, p.len);
                cc_buf_free(&p);
        }
}

static void cc__dispatch(struct cc_api_conn *c)
{
        struct cc_api_req *r = c->req;
        r->keep_alive = http_should_keep_alive(&c->parser);
        c->handling = true;
        if (c->reject == 500) {
                cc_api_reply_error(r, 500, "the request body could not be stored under %s (disk full?)",
                                   c->api->opts->root);
                r->keep_alive = false;
        } else if (c->reject == 413 && r->body_fd >= 0) {
                cc_api_reply_error(r, 413, "the archive is larger than %lld bytes", CC_API_MAX_ARCHIVE);
                r->keep_alive = false;
        } else if (c->reject) {
                cc_api_reply_error(r, c->reject, c->reject == 413 ? "the request body is larger than %d bytes"
                                                                  : "the request's target and headers exceed %d bytes",
                                   c->reject == 413 ? CC_API_MAX_BODY : CC_API_MAX_HEAD);
                r->keep_alive = false;
        } else {
                cc_api_route(r);
        }
        if (!r->task)
                cc_api_done(r);
}

static void cc__conn_feed(struct cc_api_conn *c, const char *data, size_t len)
{
        size_t n = http_parser_execute(&c->parser, &cc__settings, data, len);
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (e == HPE_PAUSED) {
                if (n < len)
                        cc_buf_add(&c->pending, data + n, len - n);
                cc__dispatch(c);
                return;
        }
        if (e != HPE_OK || (n != len && !c->parser.upgrade)) {
                /* not HTTP: answer as Go's server does, then close */
                static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                          "Connection: close\r\n\r\n400 Bad Request";
                cc__conn_send(c, cc_xstrdup(bad), sizeof(bad) - 1);
                cc__conn_finish(c);
        }
}

static void cc__alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        buf->base = cc_xmalloc(65536);
        buf->len = 65536;
}

static void cc__read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
        struct cc_api_conn *c = s->data;
        if (nread < 0) {
                free(buf->base);
                uv_read_stop(s);
                /* a hijacked stream's client may close its sending side
                 * and still read: it is gone when a write fails */
                if (nread == UV_EOF && c->handling && c->req && c->req->raw) {
                        if (c->req->input)
                                c->req->input(c->req, NULL, 0);
                        return;
                }
                c->peer_gone = true;
                if (c->handling && c->req && c->req->task)
                        c->req->task->abort(c->req->task); /* ends with cc_api_done */
                else if (!c->handling)
                        cc__conn_close(c);
                return;
        }
        if (nread > 0) {
                if (c->handling && c->req && c->req->raw && c->req->input) {
                        c->req->input(c->req, buf->base, (size_t) nread);
                } else if (c->handling) {
                        /* the next request waits; a client that sends without
                         * bound while it waits is cut off */
                        if (c->pending.len + (size_t) nread > CC_API_MAX_BODY + CC_API_MAX_HEAD)
                                uv_read_stop(s);
                        else
                                cc_buf_add(&c->pending, buf->base, (size_t) nread);
                } else {
                        cc__conn_feed(c, buf->base, (size_t) nread);
                }
        }
        free(buf->base);
}

/* ---- http-parser callbacks ---- */

static struct cc_api_conn *cc__conn_of(http_parser *p)
{
        return p->data;
}

static int cc__on_begin(http_parser *p)
{
        struct cc_api_conn *c = cc__conn_of(p);
        cc__req_free(c->req);
        c->req = cc_xcalloc(1, sizeof(*c->req));
        c->req->conn = c;
        c->req->api = c->api;
        c->req->body_fd = -1;
        c->url.len = c->hfield.len = c->hvalue.len = 0;
        c->head_bytes = 0;
        c->in_value = false;
        c->reject = 0;
        return 0;
}

static int cc__head_bound(struct cc_api_conn *c, size_t n)
{
        c->head_bytes += n;
        if (c->head_bytes > CC_API_MAX_HEAD)
                c->reject = 431;
        return c->reject == 431;
}

static int cc__on_url(http_parser *p, const char *at, size_t n)
{
        struct cc_api_conn *c = cc__conn_of(p);
        if (!cc__head_bound(c, n))
                cc_buf_add(&c->url, at, n);
        return 0;
}

static void cc__header_done(struct cc_api_conn *c)
{
        if (!c->hfield.len)
                return;
        cc_buf_putc(&c->hfield, '\0');
        cc_buf_putc(&c->hvalue, '\0');
        if (strcasecmp(c->hfield.s, "Content-Type") == 0) {
                free(c->req->content_type);
                c->req->content_type = cc_xstrdup(c->hvalue.s);
        } else if (strcasecmp(c->hfield.s, "X-Registry-Auth") == 0) {
                free(c->req->registry_auth);
                c->req->registry_auth = cc_xstrdup(c->hvalue.s);
        }
        c->hfield.len = c->hvalue.len = 0;
}

static int cc__on_field(http_parser *p, const char *at, size_t n)
{
        struct cc_api_conn *c = cc__conn_of(p);
        if (c->in_value)
                cc__header_done(c);
        c->in_value = false;
        if (!cc__head_bound(c, n))
                cc_buf_add(&c->hfield, at, n);
        return 0;
}

static int cc__on_value(http_parser *p, const char *at, size_t n)
{
        struct cc_api_conn *c = cc__conn_of(p);
        c->in_value = true;
        if (!cc__head_bound(c, n))
                cc_buf_add(&c->hvalue, at, n);
        return 0;
}

static int cc__on_headers(http_parser *p)
{
        struct cc_api_conn *c = cc__conn_of(p);
        cc__header_done(c);
        struct cc_api_req *r = c->req;
        r->method = (enum http_method) p->method;
        r->head = r->method == HTTP_HEAD;
        cc_buf_putc(&c->url, '\0');
        if (!c->reject && cc_api_parse_target(c->url.s, &r->path, &r->query) < 0) {
                free(r->path);
                r->path = cc_xstrdup("/");
                c->reject = 400;
        }
        if (!r->path)
                r->path = cc_xstrdup("/");
        /* docker cp's tar stream, an image archive, a build context: to a file, not to memory */
        if (!c->reject && cc_api_body_spooled(r->method, r->path)) {
                r->body_fd = open(c->api->opts->root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
                if (r->body_fd < 0)
                        c->reject = 500;
        }
        unsigned long long max = r->body_fd >= 0 ? (unsigned long long) CC_API_MAX_ARCHIVE : CC_API_MAX_BODY;
        if (p->content_length != ULLONG_MAX && p->content_length > max)
                c->reject = 413;
        return 0;
}

static int cc__on_body(http_parser *p, const char *at, size_t n)
{
        struct cc_api_conn *c = cc__conn_of(p);
        struct cc_api_req *r = c->req;
        if (!c->reject && r->body_fd >= 0) {
                r->body.len += n; /* counted only */
                if ((long long) r->body.len > CC_API_MAX_ARCHIVE)
                        c->reject = 413;
                for (size_t off = 0; !c->reject && off < n;) {
                        ssize_t w = write(r->body_fd, at + off, n - off);
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0)
                                c->reject = 500;
                        else
                                off += (size_t) w;
                }
                return 0;
        }
        if (r->body.len + n > CC_API_MAX_BODY)
                c->reject = 413;
        if (!c->reject)
                cc_buf_add(&r->body, at, n);
        return 0;
}

static int cc__on_complete(http_parser *p)
{
        http_parser_pause(p, 1);
        return 0;
}

static const http_parser_settings cc__settings = {
        .on_message_begin = cc__on_begin,
        .on_url = cc__on_url,
        .on_header_field = cc__on_field,
        .on_header_value = cc__on_value,
        .on_headers_complete = cc__on_headers,
        .on_body = cc__on_body,
        .on_message_complete = cc__on_complete,
};

/* ---- the listening socket, signals, idle time ---- */

static void cc__stop(struct cc_api *api)
{
        if (api->stopping)
                return;
        api->stopping = true;
        uv_close((uv_handle_t *) &api->server, NULL);
        uv_stop(api->loop);
}

static void cc__on_idle(uv_timer_t *t)
{
        cc__stop(t->data);
}

static void cc__idle_check(struct cc_api *api)
{
        if (api->stopping || api->opts->idle_ms <= 0)
                return;
        if (api->n_conns == 0)
                uv_timer_start(&api->idle, cc__on_idle, (uint64_t) api->opts->idle_ms, 0);
        else
                uv_timer_stop(&api->idle);
}

static void cc__on_connection(uv_stream_t *server, int status)
{
        struct cc_api *api = server->data;
        if (status < 0)
                return;
        struct cc_api_conn *c = cc_xcalloc(1, sizeof(*c));
        c->api = api;
        uv_pipe_init(api->loop, &c->pipe, 0);
        c->pipe.data = c;
        api->n_conns++;
        c->next = api->conns;
        if (c->next)
                c->next->pprev = &c->next;
        c->pprev = &api->conns;
        api->conns = c;
        if (uv_accept(server, (uv_stream_t *) &c->pipe) < 0) {
                cc__conn_close(c);
                return;
        }
        cc__idle_check(api);
        http_parser_init(&c->parser, HTTP_REQUEST);
        c->parser.data = c;
        uv_read_start((uv_stream_t *) &c->pipe, cc__alloc, cc__read);
}

static void cc__on_signal(uv_signal_t *s, int signum)
{
        cc__stop(s->data);
}

/* A socket file left by a service that is gone is replaced; one that
 * answers is another service's. */
static int cc__claim_path(const char *path, struct cc_error *err)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return 0;
        if (!S_ISSOCK(st.st_mode))
                return cc_error_set(err, -EEXIST, "%s exists and is not a socket", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int r = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
        close(fd);
        if (r == 0)
                return cc_error_set(err, -EADDRINUSE, "another service listens on %s", path);
        if (unlink(path) < 0)
                return cc_error_setsys(err, -errno, "removing the stale socket %s", path);
        return 0;
}

int cc_api_serve(const struct cc_api_opts *o, struct cc_error *err)
{
        if (strlen(o->socket_path) >= sizeof(((struct sockaddr_un *) 0)->sun_path))
                return cc_error_set(err, -ENAMETOOLONG, "the socket path %s is too long", o->socket_path);
        _cleanup_free_ char *dir = cc_xstrdup(o->socket_path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                int r = cc_mkdir_p(dir, 0700);
                if (r < 0)
                        return cc_error_setsys(err, r, "creating %s", dir);
        }
        int r = cc__claim_path(o->socket_path, err);
        if (r < 0)
                return r;
        struct cc_api api = {.opts = o};
        /* OpenSSL reads its configuration at its first digest: once here,
         * not in each command the fork server starts (a create's project
         * hash; ~1 ms each) */
        char warm[CC_DIGEST_LEN + 1];
        cc_sha256_digest("", 0, warm);
        /* before the loop: the fork server inherits none of it */
        if (o->self_main && (r = cc_api_forker_fork(&api, o->self_main)) < 0)
                fprintf(stderr, "system service: no fork server (%s): commands are started as programs\n",
                        strerror(-r));
        uv_loop_t loop;
        uv_loop_init(&loop);
        api.loop = &loop;
        cc_api_forker_watch(&api);
        uv_pipe_init(&loop, &api.server, 0);
        api.server.data = &api;
        /* 0600 from the start: whoever can connect is root on this host */
        mode_t old = umask(0177);
        r = uv_pipe_bind(&api.server, o->socket_path);
        umask(old);
        if (r == 0)
                r = uv_listen((uv_stream_t *) &api.server, 128, cc__on_connection);
        if (r < 0)
                cc_error_set(err, r, "listening on %s: %s", o->socket_path, uv_strerror(r));
        /* after the fork server is made: its children hold no share of
         * the bridge network's owner */
        else if ((r = net_docker_bridge_open(o->runtime_dir, o->bip, &api.bridge, err)) < 0)
                unlink(o->socket_path);
        if (r < 0) {
                uv_close((uv_handle_t *) &api.server, NULL);
                cc_api_forker_close(&api);
                uv_run(&loop, UV_RUN_DEFAULT);
                uv_loop_close(&loop);
                return r;
        }
        chmod(o->socket_path, 0600);
        signal(SIGPIPE, SIG_IGN);
        uv_signal_init(&loop, &api.sigint);
        uv_signal_init(&loop, &api.sigterm);
        api.sigint.data = api.sigterm.data = &api;
        uv_signal_start(&api.sigint, cc__on_signal, SIGINT);
        uv_signal_start(&api.sigterm, cc__on_signal, SIGTERM);
        uv_timer_init(&loop, &api.idle);
        api.idle.data = &api;
        cc__idle_check(&api);
        cc_api_reaper_start(&api);
        uv_run(&loop, UV_RUN_DEFAULT);
        unlink(o->socket_path);
        /* what is left (connections, their work) is closed, then freed in
         * the close callbacks */
        api.stopping = true;
        for (struct cc_api_conn *c = api.conns, *next; c; c = next) {
                next = c->next;
                c->peer_gone = true;
                if (c->handling && c->req && c->req->task)
                        c->req->task->abort(c->req->task); /* ends with cc_api_done */
                else
                        cc__conn_close(c);
        }
        uv_close((uv_handle_t *) &api.sigint, NULL);
        uv_close((uv_handle_t *) &api.sigterm, NULL);
        uv_close((uv_handle_t *) &api.idle, NULL);
        uv_close((uv_handle_t *) &api.reaper, NULL);
        cc_api_execs_close(&api);
        cc_api_forker_close(&api);
        uv_run(&loop, UV_RUN_DEFAULT);
        cc_api_execs_free(&api);
        cc_strv_free(&api.reaping);
        cc_strv_free(&api.following);
        cc_strv_free(&api.reaped);
        cc_api_records_free(&api);
        uv_loop_close(&loop);
        net_docker_bridge_close(o->runtime_dir, &api.bridge);
        return 0;
}
