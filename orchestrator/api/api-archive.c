/* The API's archive endpoints, what `docker cp` calls: HEAD (the stat of
 * a path in the X-Docker-Container-Path-Stat header), GET (a tar stream of
 * it) and PUT (a tar stream extracted into a directory) of
 * /containers/{id}/archive?path=. Through the code of `ccompose cp`: the
 * container's root as cp opens it, paths resolved inside it, archives
 * written and extracted by runtime/container/copy.c. The archive is
 * written by a thread into a pipe the loop reads; an extraction runs on
 * libuv's thread pool. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-internal.h"
#include "cli.h"
#include "copy.h"
#include "logfile.h"
#include "registry.h"
#include "state.h"

/* A client that reads slower than the archive is written: reading pauses
 * above this much queued for it. */
#define CC__QUEUED_MAX (4 * 1024 * 1024)

/* Go's os.FileMode of st (what docker's stat carries). */
static uint32_t cc__go_mode(const struct stat *st)
{
        uint32_t m = st->st_mode & 0777;
        if (S_ISDIR(st->st_mode))
                m |= 1u << 31;
        else if (S_ISLNK(st->st_mode))
                m |= 1u << 27;
        else if (S_ISBLK(st->st_mode))
                m |= 1u << 26;
        else if (S_ISCHR(st->st_mode))
                m |= (1u << 26) | (1u << 21);
        else if (S_ISFIFO(st->st_mode))
                m |= 1u << 25;
        else if (S_ISSOCK(st->st_mode))
                m |= 1u << 24;
        if (st->st_mode & S_ISUID)
                m |= 1u << 23;
        if (st->st_mode & S_ISGID)
                m |= 1u << 22;
        if (st->st_mode & S_ISVTX)
                m |= 1u << 20;
        return m;
}

/* The container of the path and its root, as cp opens it; -1 after
 * answering (404 for the container, 409 while it restarts, 500). */
static int cc__archive_root(struct cc_api_req *r, struct cc_api_ctrs *cs, const char *ref, struct cc_api_ctr **out)
{
        *out = cc_api_ctr_get(r, cs, ref);
        if (!*out)
                return -1;
        struct cc_cli cli = {.root = r->api->opts->root, .runtime_dir = r->api->opts->runtime_dir};
        struct cc_error err = {0};
        int root = -1;
        int e = cc_cp_open_root(&cli, (*out)->ct, &root, &err);
        if (e < 0) {
                cc_api_reply_error(r, e == -EBUSY ? 409 : 500, "%s", cc_error_msg(&err));
                cc_error_clear(&err);
                return -1;
        }
        return root;
}

/* The path parameter; NULL after answering 400. */
static const char *cc__archive_path(struct cc_api_req *r)
{
        const char *path = cc_api_query(r, "path");
        if (!path || !*path)
                cc_api_reply_error(r, 400, "bad parameter: the path in the container is empty");
        return path && *path ? path : NULL;
}

/* Stat path in the container into r's X-Docker-Container-Path-Stat
 * header; -1 after answering (404 when it is not there). */
static int cc__archive_stat(struct cc_api_req *r, int root, const struct cc_api_ctr *c, const char *path,
                            struct stat *st)
{
        _cleanup_close_ int fd = cc_copy_open(root, path, O_PATH | O_NOFOLLOW, false);
        if (fd == -ENOENT || fd == -ENOTDIR) {
                cc_api_reply_error(r, 404, "Could not find the file %s in container %s", path, c->ct->name);
                return -1;
        }
        if (fd < 0 || fstat(fd, st) < 0) {
                cc_api_reply_error(r, 500, "stat %s in container %s: %s", path, c->ct->name,
                                   strerror(fd < 0 ? -fd : errno));
                return -1;
        }
        char target[4096] = "";
        if (S_ISLNK(st->st_mode)) {
                ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = '\0';
        }
        _cleanup_free_ char *clean = cc_path_clean(path);
        const char *slash = strrchr(clean, '/');
        const char *name = slash && slash[1] ? slash + 1 : (slash ? "/" : clean);
        char mtime[48];
        struct timespec ts = st->st_mtim;
        cc_log_format_time(&ts, mtime, sizeof(mtime));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) st->st_size));
        json_object_object_add(o, "mode", json_object_new_int64((int64_t) cc__go_mode(st)));
        json_object_object_add(o, "mtime", json_object_new_string(mtime));
        json_object_object_add(o, "linkTarget", json_object_new_string(target));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *b64 = cc_base64_encode(text, strlen(text));
        json_object_put(o);
        free(r->headers);
        r->headers = cc_xasprintf("X-Docker-Container-Path-Stat: %s\r\n", b64);
        return 0;
}

/* ---- GET, HEAD ---- */

struct cc__tar_job {
        int root, outfd;
        char *path, *name;
};

/* The archiving thread: writes until the end or until the reader is gone
 * (EPIPE); owns the job. */
static void *cc__tar_thread(void *data)
{
        struct cc__tar_job *j = data;
        struct cc_error err = {0};
        if (cc_copy_tar(j->root, j->path, false, j->name, j->outfd, &err) < 0 && err.code != -EPIPE)
                fprintf(stderr, "archive of %s: %s\n", j->path, cc_error_msg(&err));
        cc_error_clear(&err);
        close(j->outfd);
        close(j->root);
        free(j->path);
        free(j->name);
        free(j);
        return NULL;
}

struct cc__tar_stream {
        struct cc_api_task task;
        struct cc_api_req *req;
        uv_pipe_t pipe;
        uv_timer_t wait;   /* while the client's queue drains */
        int open;
};

static void cc__tar_closed(uv_handle_t *h)
{
        struct cc__tar_stream *t = h->data;
        if (--t->open > 0)
                return;
        struct cc_api_req *r = t->req;
        free(t);
        cc_api_done(r);
}

static void cc__tar_end(struct cc__tar_stream *t)
{
        if (!uv_is_closing((uv_handle_t *) &t->pipe)) {
                uv_close((uv_handle_t *) &t->pipe, cc__tar_closed);
                uv_close((uv_handle_t *) &t->wait, cc__tar_closed);
        }
}

static void cc__tar_abort(struct cc_api_task *task)
{
        cc__tar_end((struct cc__tar_stream *) task);
}

static void cc__tar_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        buf->base = cc_xmalloc(65536);
        buf->len = 65536;
}

static void cc__tar_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void cc__tar_drained(uv_timer_t *tm)
{
        struct cc__tar_stream *t = tm->data;
        if (!cc_api_req_alive(t->req)) {
                cc__tar_end(t);
        } else if (cc_api_queued(t->req) < CC__QUEUED_MAX / 4) {
                uv_timer_stop(tm);
                uv_read_start((uv_stream_t *) &t->pipe, cc__tar_alloc, cc__tar_read);
        }
}

static void cc__tar_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct cc__tar_stream *t = s->data;
        if (n > 0)
                cc_api_stream_write(t->req, buf->base, (size_t) n);
        free(buf->base);
        if (n < 0 || !cc_api_req_alive(t->req)) {
                cc__tar_end(t);
        } else if (cc_api_queued(t->req) > CC__QUEUED_MAX) {
                uv_read_stop(s);
                uv_timer_start(&t->wait, cc__tar_drained, 20, 20);
        }
}

/* Stream the archive of path (under root, which it takes). */
static void cc__tar_serve(struct cc_api_req *r, int root, const char *path, bool is_dir)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                close(root);
                cc_api_reply_error(r, 500, "pipe: %s", strerror(errno));
                return;
        }
        struct cc__tar_job *j = cc_xcalloc(1, sizeof(*j));
        j->root = root;
        j->outfd = p[1];
        j->path = cc_xstrdup(path);
        j->name = cc_cp_archive_name(path, is_dir);
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int e = pthread_create(&th, &attr, cc__tar_thread, j);
        pthread_attr_destroy(&attr);
        if (e != 0) {
                close(p[0]);
                close(p[1]);
                close(root);
                free(j->path);
                free(j->name);
                free(j);
                cc_api_reply_error(r, 500, "starting the archiving thread: %s", strerror(e));
                return;
        }
        struct cc__tar_stream *t = cc_xcalloc(1, sizeof(*t));
        t->req = r;
        t->task.abort = cc__tar_abort;
        uv_pipe_init(r->api->loop, &t->pipe, 0);
        uv_timer_init(r->api->loop, &t->wait);
        t->pipe.data = t->wait.data = t;
        t->open = 2;
        r->task = &t->task;
        cc_api_stream_begin(r, 200, "application/x-tar");
        if (uv_pipe_open(&t->pipe, p[0]) < 0) {
                close(p[0]);
                cc__tar_end(t);
                return;
        }
        uv_read_start((uv_stream_t *) &t->pipe, cc__tar_alloc, cc__tar_read);
}

void cc_api_archive_get(struct cc_api_req *r, char **params)
{
        const char *path = cc__archive_path(r);
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = NULL;
        int root = path ? cc__archive_root(r, &cs, params[0], &c) : -1;
        struct stat st;
        if (root >= 0 && cc__archive_stat(r, root, c, path, &st) == 0) {
                if (cc_endswith(path, "/") && !S_ISDIR(st.st_mode)) {
                        cc_api_reply_error(r, 400, "not a directory: %s in container %s", path, c->ct->name);
                } else if (r->head) {
                        cc_api_reply(r, 200, "application/x-tar", "", 0);
                } else {
                        cc__tar_serve(r, root, path, S_ISDIR(st.st_mode));
                        root = -1; /* the archiving thread's */
                }
        }
        if (root >= 0)
                close(root);
        if (path)
                cc_api_ctrs_free(&cs);
}

/* ---- PUT ---- */

struct cc__untar {
        uv_work_t work;
        struct cc_api_task task;
        struct cc_api_req *req;
        int root, dirfd, infd;
        bool keep_owner, no_overwrite;
        int result;
        struct cc_error err;
        char *path, *name;
};

static void cc__untar_work(uv_work_t *w)
{
        struct cc__untar *u = w->data;
        if (u->no_overwrite && lseek(u->infd, 0, SEEK_SET) == 0)
                u->result = cc_copy_check_overwrite(u->infd, u->root, u->path, &u->err);
        if (u->result < 0)
                return;
        if (lseek(u->infd, 0, SEEK_SET) < 0)
                u->result = cc_error_setsys(&u->err, -errno, "rewinding the archive");
        else
                u->result = cc_copy_untar(u->infd, u->dirfd, u->keep_owner, false, &u->err);
}

static void cc__untar_done(uv_work_t *w, int status)
{
        struct cc__untar *u = w->data;
        struct cc_api_req *r = u->req;
        if (status < 0)
                cc_api_reply_error(r, 500, "extracting into %s: %s", u->path, uv_strerror(status));
        else if (u->result < 0)
                cc_api_reply_error(r, u->result == -EINVAL || u->result == -EBADMSG ? 400 : 500,
                                   "extracting the archive into %s in container %s: %s", u->path, u->name,
                                   cc_error_msg(&u->err));
        else
                cc_api_reply(r, 200, NULL, "", 0);
        cc_error_clear(&u->err);
        close(u->dirfd);
        close(u->root);
        free(u->path);
        free(u->name);
        free(u);
        cc_api_done(r);
}

/* The client left: the extraction, once begun, finishes (a half-written
 * tree is worse); its answer goes nowhere. */
static void cc__untar_abort(struct cc_api_task *t)
{
}

void cc_api_archive_put(struct cc_api_req *r, char **params)
{
        static const char *const spec[] = {"path", "noOverwriteDirNonDir", "copyUIDGID", NULL};
        if (cc_api_params_check(r, "archive upload", spec) < 0)
                return;
        const char *path = cc__archive_path(r);
        if (!path)
                return;
        if (r->body_fd < 0) {
                cc_api_reply_error(r, 400, "bad parameter: no archive in the request body");
                return;
        }
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = NULL;
        int root = cc__archive_root(r, &cs, params[0], &c);
        if (root < 0) {
                cc_api_ctrs_free(&cs);
                return;
        }
        int dirfd = cc_copy_open(root, path, O_RDONLY | O_DIRECTORY, true);
        if (dirfd == -ENOENT) {
                cc_api_reply_error(r, 404, "Could not find the file %s in container %s", path, c->ct->name);
        } else if (dirfd == -ENOTDIR) {
                cc_api_reply_error(r, 400, "extraction point is not a directory: %s in container %s", path,
                                   c->ct->name);
        } else if (dirfd < 0) {
                cc_api_reply_error(r, 500, "opening %s in container %s: %s", path, c->ct->name, strerror(-dirfd));
        } else {
                struct cc__untar *u = cc_xcalloc(1, sizeof(*u));
                u->req = r;
                u->root = root;
                u->dirfd = dirfd;
                u->infd = r->body_fd;
                u->keep_owner = cc_api_query_bool(r, "copyUIDGID", false);
                u->no_overwrite = cc_api_query_bool(r, "noOverwriteDirNonDir", false);
                u->path = cc_xstrdup(path);
                u->name = cc_xstrdup(c->ct->name);
                u->work.data = u;
                u->task.abort = cc__untar_abort;
                r->task = &u->task;
                int e = uv_queue_work(r->api->loop, &u->work, cc__untar_work, cc__untar_done);
                if (e < 0) {
                        r->task = NULL;
                        cc_api_reply_error(r, 500, "extracting into %s: %s", path, uv_strerror(e));
                        free(u->path);
                        free(u->name);
                        free(u);
                        close(dirfd);
                } else {
                        root = -1;
                }
        }
        if (root >= 0)
                close(root);
        cc_api_ctrs_free(&cs);
}
