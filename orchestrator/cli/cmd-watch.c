/* ccompose watch, and up --watch: the develop.watch rules of the
 * selected services, their trees watched with inotify (a watch per
 * directory, new directories added as they appear, a queue overflow
 * answered by a rescan that also finds the deletions it lost), the events until a short quiet period
 * (cc_watch_batch_due) gathered into one batch per rule (watch-match.c),
 * then each batch acted on in the
 * service's running containers: files written into the container's root
 * (through /proc/PID/root, every path resolved in it, copy.c) as the
 * service's user, deletions included; a restart, or a command run as
 * exec runs it. The state is read again for every batch, so a container
 * that restarted or was recreated is found under its new process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "container-internal.h" /* cc_user_resolve */
#include "copy.h"
#include "image-cmd.h"
#include "nsexec.h"
#include "state.h"
#include "supervisor.h"
#include "watch.h"

struct watch_rule {
        const char *service;
        const struct cc_node *node; /* the rule, for exec */
        char *path;                 /* absolute, no trailing '/' */
        const char *action;
        const char *target;
        struct cc_strv ignore, include;
        struct cc_strv dockerignore; /* the build context's, when the path is under it */
        size_t context_len;          /* the context's length in path */
        bool initial_sync;
        struct cc_watch_batch batch; /* absolute host paths */
};

struct watch_dir {
        int wd;
        char *path;
        /* its entries as last seen (cc_watch_names_*), when it was scanned
         * (not the directory of a rule's single file) */
        bool listed;
        struct cc_strv names;
};

struct watcher {
        struct cc_cli *cli;
        struct cc_project *p;
        struct cc_strv services;  /* the services watched, as named (none: all) */
        struct watch_rule *rules;
        size_t n_rules;
        int ifd;
        struct watch_dir *dirs;
        size_t n_dirs;
        long long first_event_ms, last_event_ms; /* 0: nothing pending */
        size_t n_events;                         /* since first_event_ms */
        struct cc_strv writing;                  /* taken files open for writing */
        bool warned_limit;
        /* --quiet (no build output), --prune (the image a rebuild
         * replaced, left without a tag or a container, removed): for the
         * rebuild action */
        bool quiet, prune;
};

static long long cc__now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cc__strv_of(const struct cc_node *seq, struct cc_strv *out)
{
        for (size_t i = 0; cc_node_is_seq(seq) && i < seq->n; i++)
                if (cc_node_is_scalar(seq->items[i]))
                        cc_strv_push(out, seq->items[i]->str);
}

/* The .dockerignore of the build context, for rules under the context:
 * its patterns match paths relative to the context. */
static void cc__dockerignore(const struct cc_node *svc, struct watch_rule *r)
{
        const char *ctx = cc_node_map_str(cc_node_map_get(svc, "build"), "context");
        size_t cl = ctx ? strlen(ctx) : 0;
        if (!ctx || strncmp(r->path, ctx, cl) != 0 || (r->path[cl] != '/' && r->path[cl] != '\0'))
                return;
        _cleanup_free_ char *file = cc_xasprintf("%s/.dockerignore", ctx);
        _cleanup_free_ char *text = NULL;
        if (cc_read_file(file, &text, NULL) < 0)
                return;
        r->context_len = cl;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line[strcspn(line, "\r")] = '\0';
                if (*line && *line != '#')
                        cc_strv_push(&r->dockerignore, line);
        }
}

/* Whether the rule takes the change of path (absolute, under its path). */
static bool cc__takes(const struct watch_rule *r, const char *path)
{
        size_t n = strlen(r->path);
        if (r->dockerignore.n && path[r->context_len] == '/' &&
            cc_watch_patterns_match(&r->dockerignore, path + r->context_len + 1))
                return false;
        return cc_watch_rule_takes(&r->ignore, &r->include, path[n] ? path + n + 1 : "");
}

/* The rules of the services named (all when none are). */
static int cc__watch_rules(struct watcher *w, const struct cc_strv *services)
{
        const struct cc_node *svcs = cc_project_services(w->p);
        for (size_t i = 0; i < services->n; i++)
                cc_strv_push(&w->services, services->v[i]);
        for (size_t i = 0; i < svcs->n; i++) {
                const char *name = cc_node_key(svcs, i);
                if (services->n && !cc_strv_contains(services, name))
                        continue;
                const struct cc_node *watch = cc_node_map_get(cc_node_map_get(svcs->items[i], "develop"), "watch");
                for (size_t j = 0; cc_node_is_seq(watch) && j < watch->n; j++) {
                        const struct cc_node *n = watch->items[j];
                        const char *action = cc_node_map_str(n, "action");
                        w->rules = cc_xrealloc(w->rules, (w->n_rules + 1) * sizeof(*w->rules));
                        struct watch_rule *r = &w->rules[w->n_rules++];
                        *r = (struct watch_rule){.service = name, .node = n, .action = action,
                                                 .target = cc_node_map_str(n, "target")};
                        r->path = cc_path_clean(cc_node_map_str(n, "path"));
                        const char *is = cc_node_map_str(n, "initial_sync");
                        r->initial_sync = is && strcmp(is, "true") == 0;
                        cc__strv_of(cc_node_map_get(n, "ignore"), &r->ignore);
                        cc__strv_of(cc_node_map_get(n, "include"), &r->include);
                        cc__dockerignore(svcs->items[i], r);
                }
        }
        if (w->n_rules == 0) {
                fputs("none of the selected services is configured for watch, consider setting a 'develop' "
                      "section\n",
                      stderr);
                return -ENOENT;
        }
        return 0;
}

/* ---- inotify ---- */

#define CC_WATCH_MASK                                                                                          \
        (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |       \
         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

static struct watch_dir *cc__dir_find(const struct watcher *w, int wd)
{
        for (size_t i = 0; i < w->n_dirs; i++)
                if (w->dirs[i].wd == wd)
                        return &w->dirs[i];
        return NULL;
}

static void cc__dir_set(struct watcher *w, int wd, const char *path)
{
        struct watch_dir *d = cc__dir_find(w, wd);
        if (d) {
                free(d->path);
                d->path = cc_xstrdup(path);
                return;
        }
        w->dirs = cc_xrealloc(w->dirs, (w->n_dirs + 1) * sizeof(*w->dirs));
        w->dirs[w->n_dirs++] = (struct watch_dir){.wd = wd, .path = cc_xstrdup(path)};
}

static void cc__dir_drop_at(struct watcher *w, size_t i)
{
        free(w->dirs[i].path);
        cc_strv_free(&w->dirs[i].names);
        w->dirs[i] = w->dirs[--w->n_dirs];
}

static void cc__dir_drop(struct watcher *w, int wd)
{
        struct watch_dir *d = cc__dir_find(w, wd);
        if (d)
                cc__dir_drop_at(w, (size_t) (d - w->dirs));
}

/* A directory gone from the tree (deleted, moved away): its watch and
 * those of the directories below it end, so that a directory moved
 * elsewhere is not taken for the path it had. */
static void cc__dir_forget(struct watcher *w, const char *path)
{
        size_t n = strlen(path);
        for (size_t i = w->n_dirs; i-- > 0;) {
                const char *p = w->dirs[i].path;
                if (strncmp(p, path, n) == 0 && (p[n] == '\0' || p[n] == '/')) {
                        inotify_rm_watch(w->ifd, w->dirs[i].wd);
                        cc__dir_drop_at(w, i);
                }
        }
}

static bool cc__note(struct watcher *w, const char *path, bool born);

/* Watch dir and every directory below it; with note, every entry found
 * counts as changed (it may have been written before its watch existed).
 * An entry a directory had when last seen and has no more (deleted while
 * events were lost: a rescan) counts as changed too: its deletion. */
static void cc__watch_tree(struct watcher *w, const char *dir, bool note)
{
        int wd = inotify_add_watch(w->ifd, dir, CC_WATCH_MASK);
        if (wd < 0) {
                if (errno == ENOSPC && !w->warned_limit) {
                        w->warned_limit = true;
                        fprintf(stderr,
                                "watch %s: the inotify watch limit is reached (raise fs.inotify.max_user_watches); "
                                "changes below it are not seen\n",
                                dir);
                }
                return;
        }
        cc__dir_set(w, wd, dir);
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct cc_strv names = {0};
        struct dirent *e;
        while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                cc_strv_push(&names, e->d_name);
                _cleanup_free_ char *sub = cc_xasprintf("%s/%s", dir, e->d_name);
                if (note)
                        cc__note(w, sub, false);
                if (e->d_type == DT_DIR && strcmp(e->d_name, ".git") != 0)
                        cc__watch_tree(w, sub, note);
        }
        closedir(d);
        cc_watch_names_sort(&names);
        struct watch_dir *wdir = cc__dir_find(w, wd); /* (w->dirs grew meanwhile) */
        if (!wdir) {
                cc_strv_free(&names);
                return;
        }
        struct cc_strv gone = {0};
        cc_watch_names_gone(&wdir->names, &names, &gone);
        cc_strv_free(&wdir->names);
        wdir->names = names;
        wdir->listed = true;
        for (size_t i = 0; i < gone.n; i++) {
                _cleanup_free_ char *sub = cc_xasprintf("%s/%s", dir, gone.v[i]);
                cc__dir_forget(w, sub);
                cc__note(w, sub, false);
        }
        cc_strv_free(&gone);
}

/* A rule's path: its tree when a directory, else its parent directory. */
static void cc__watch_rule(struct watcher *w, const struct watch_rule *r, bool note)
{
        struct stat st;
        if (stat(r->path, &st) == 0 && S_ISDIR(st.st_mode)) {
                cc__watch_tree(w, r->path, note);
                return;
        }
        _cleanup_free_ char *parent = cc_xstrdup(r->path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
                *slash = '\0';
        int wd = inotify_add_watch(w->ifd, parent, CC_WATCH_MASK & ~(unsigned) IN_DONT_FOLLOW);
        if (wd >= 0)
                cc__dir_set(w, wd, parent);
        if (note)
                cc__note(w, r->path, false);
}

/* The change of path, for every rule that takes it; whether one did (the
 * events of ignored files, an editor's swap file written as you type, do
 * not hold a batch back). */
static bool cc__note(struct watcher *w, const char *path, bool born)
{
        bool taken = false;
        for (size_t i = 0; i < w->n_rules; i++) {
                struct watch_rule *r = &w->rules[i];
                size_t n = strlen(r->path);
                if (strncmp(path, r->path, n) != 0 || (path[n] != '/' && path[n] != '\0'))
                        continue;
                if (cc__takes(r, path)) {
                        cc_watch_batch_add(&r->batch, path, born);
                        taken = true;
                }
        }
        if (!taken)
                return false;
        w->last_event_ms = cc__now_ms();
        if (!w->first_event_ms)
                w->first_event_ms = w->last_event_ms;
        w->n_events++;
        return true;
}

static void cc__read_events(struct watcher *w)
{
        char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
        for (;;) {
                ssize_t len = read(w->ifd, buf, sizeof(buf));
                if (len <= 0)
                        return;
                for (char *p = buf; p < buf + len;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        p += sizeof(*ev) + ev->len;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                /* events were lost: everything may have changed */
                                for (size_t i = 0; i < w->n_rules; i++)
                                        cc__watch_rule(w, &w->rules[i], true);
                                continue;
                        }
                        if (ev->mask & IN_IGNORED) {
                                cc__dir_drop(w, ev->wd);
                                continue;
                        }
                        struct watch_dir *dir = cc__dir_find(w, ev->wd);
                        if (!dir || ev->len == 0 || !ev->name[0])
                                continue;
                        if (dir->listed && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
                                cc_watch_names_add(&dir->names, ev->name);
                        if (dir->listed && (ev->mask & (IN_DELETE | IN_MOVED_FROM)))
                                cc_watch_names_remove(&dir->names, ev->name);
                        _cleanup_free_ char *path = cc_xasprintf("%s/%s", dir->path, ev->name);
                        dir = NULL; /* (w->dirs may change below) */
                        if ((ev->mask & IN_ISDIR) && (ev->mask & IN_MOVED_FROM))
                                cc__dir_forget(w, path);
                        if (cc__note(w, path, (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0))
                                cc_watch_writing_update(
                                        &w->writing, path,
                                        !(ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MODIFY)),
                                        ev->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM));
                        if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
                                cc__watch_tree(w, path, true);
                }
        }
}

/* ---- acting in a container ---- */

struct sync_ctx {
        int root;
        uid_t uid;
        gid_t gid;
};

/* The directory cpath of the container, made (as the service's user)
 * when missing. */
static int cc__open_dir_p(const struct sync_ctx *s, const char *cpath)
{
        int fd = cc_copy_open(s->root, cpath, O_RDONLY | O_DIRECTORY, true);
        if (fd != -ENOENT)
                return fd;
        _cleanup_free_ char *parent = cc_xstrdup(cpath);
        char *slash = strrchr(parent, '/');
        if (!slash || !slash[1])
                return -ENOENT;
        *slash = '\0';
        _cleanup_close_ int pfd = cc__open_dir_p(s, *parent ? parent : "/");
        if (pfd < 0)
                return pfd;
        if (mkdirat(pfd, slash + 1, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(pfd, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchown(fd, s->uid, s->gid) < 0)
                return -errno;
        return fd;
}

static int cc__copy_file(int dfd, const char *name, const char *host, const struct stat *st,
                         const struct sync_ctx *s)
{
        _cleanup_close_ int in = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
                return errno == ENOENT ? 0 : -errno; /* gone meanwhile: the next batch deletes it */
        _cleanup_free_ char *tmp = cc_xasprintf(".%s.ccompose-sync", name);
        unlinkat(dfd, tmp, 0);
        _cleanup_close_ int out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                for (ssize_t off = 0, m; off < n; off += m)
                        if ((m = write(out, buf + off, (size_t) (n - off))) < 0)
                                goto fail;
        if (n < 0 || fchown(out, s->uid, s->gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
                goto fail;
        if (renameat(dfd, tmp, dfd, name) < 0) {
                /* a directory where the file goes: replace it */
                if (errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST)
                        goto fail;
                cc_rm_rf_at(dfd, name);
                if (renameat(dfd, tmp, dfd, name) < 0)
                        goto fail;
        }
        return 0;
fail:;
        int e = -errno;
        unlinkat(dfd, tmp, 0);
        return e;
}

/* Make cpath of the container what host is now (absent included). */
static int cc__sync_path(const struct sync_ctx *s, const char *host, const char *cpath)
{
        _cleanup_free_ char *parent = cc_xstrdup(cpath);
        char *slash = strrchr(parent, '/');
        if (!slash || !slash[1])
                return -EINVAL;
        const char *name = cpath + (slash - parent) + 1;
        *slash = '\0';
        struct stat st;
        if (lstat(host, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                _cleanup_close_ int dfd = cc_copy_open(s->root, *parent ? parent : "/", O_RDONLY | O_DIRECTORY, true);
                return dfd == -ENOENT ? 0 : dfd < 0 ? dfd : cc_rm_rf_at(dfd, name);
        }
        _cleanup_close_ int dfd = cc__open_dir_p(s, *parent ? parent : "/");
        if (dfd < 0)
                return dfd;
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int sub = cc__open_dir_p(s, cpath);
                return sub < 0 ? sub : 0;
        }
        if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t n = readlink(host, target, sizeof(target) - 1);
                if (n < 0)
                        return errno == ENOENT ? 0 : -errno;
                target[n] = '\0';
                cc_rm_rf_at(dfd, name);
                if (symlinkat(target, dfd, name) < 0)
                        return -errno;
                return fchownat(dfd, name, s->uid, s->gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        }
        if (!S_ISREG(st.st_mode))
                return 0; /* sockets, FIFOs, devices: not synced */
        return cc__copy_file(dfd, name, host, &st, s);
}

/* A directory's whole tree, for initial_sync and directories that appear. */
static int cc__sync_tree(const struct sync_ctx *s, const struct watch_rule *r, const char *host, const char *cpath)
{
        int rc = cc__sync_path(s, host, cpath);
        struct stat st;
        if (rc < 0 || lstat(host, &st) < 0 || !S_ISDIR(st.st_mode))
                return rc;
        DIR *d = opendir(host);
        if (!d)
                return 0;
        struct dirent *e;
        while ((e = readdir(d)) && rc == 0) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *h = cc_xasprintf("%s/%s", host, e->d_name);
                if (!cc__takes(r, h))
                        continue;
                _cleanup_free_ char *c = cc_xasprintf("%s/%s", cpath, e->d_name);
                rc = cc__sync_tree(s, r, h, c);
        }
        closedir(d);
        return rc;
}

/* Where host (under the rule's path) goes in the container. */
static char *cc__target_of(const struct watch_rule *r, const char *host)
{
        const char *rel = host + strlen(r->path);
        return cc_xasprintf("%s%s", r->target, rel);
}

/* The running containers of a service, from the state as it is now. */
static int cc__running(struct watcher *w, const char *service, struct cc_state **st,
                       const struct cc_ctr_state ***out, size_t *n)
{
        struct cc_error err = {0};
        if (cc_state_load(w->cli->runtime_dir, w->p->name, st, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return -1;
        }
        *out = cc_xcalloc((*st)->n_ctrs + 1, sizeof(**out));
        *n = 0;
        for (size_t i = 0; i < (*st)->n_ctrs; i++) {
                const struct cc_ctr_state *c = &(*st)->ctrs[i];
                if (!c->one_off && strcmp(c->service, service) == 0 && c->status == CC_CTR_RUNNING &&
                    cc_proc_alive(c->pid, c->pid_start))
                        (*out)[(*n)++] = c;
        }
        return 0;
}

/* Sync paths (all of the rule's tree when paths is NULL) into ct. */
static int cc__sync_ctr(struct watcher *w, const struct watch_rule *r, const struct cc_ctr_state *ct,
                        const struct cc_strv *paths)
{
        struct cc_error err = {0};
        struct sync_ctx s = {.root = -1};
        struct cc_user u = {0};
        int rc = cc_copy_container_root(ct->pid, &s.root, &err);
        if (rc == 0 && !cc_proc_alive(ct->pid, ct->pid_start)) /* not another process's root */
                rc = cc_error_set(&err, -ESRCH, "container %s stopped", ct->name);
        const struct cc_node *svc = cc_node_map_get(cc_project_services(w->p), r->service);
        const char *user = cc_node_map_str(svc, "user");
        if (rc == 0 && user && *user) {
                rc = cc_user_resolve(s.root, user, NULL, &u, &err);
                s.uid = u.uid;
                s.gid = u.gid;
        }
        for (size_t i = 0; rc == 0 && paths && i < paths->n; i++) {
                _cleanup_free_ char *c = cc__target_of(r, paths->v[i]);
                rc = cc__sync_path(&s, paths->v[i], c);
                if (rc < 0)
                        cc_error_setsys(&err, rc, "copy %s to %s:%s", paths->v[i], ct->name, c);
        }
        if (rc == 0 && !paths && (rc = cc__sync_tree(&s, r, r->path, r->target)) < 0)
                cc_error_setsys(&err, rc, "copy %s to %s:%s", r->path, ct->name, r->target);
        if (s.root >= 0)
                close(s.root);
        cc_user_free(&u);
        if (rc < 0) {
                fprintf(stderr, "service \"%s\": sync: %s\n", r->service, cc_error_msg(&err));
                cc_error_clear(&err);
        }
        return rc;
}

/* exec.command of a sync+exec rule, run in ct as `exec` runs a command. */
static void cc__exec_ctr(struct watcher *w, const struct watch_rule *r, const struct cc_ctr_state *ct)
{
        const struct cc_node *ex = cc_node_map_get(r->node, "exec");
        const struct cc_node *cmd = cc_node_map_get(ex, "command");
        struct cc_nsexec x = {.target = ct->pid, .user = cc_node_map_str(ex, "user"),
                              .workdir = cc_node_map_str(ex, "working_dir")};
        const char *priv = cc_node_map_str(ex, "privileged");
        x.privileged = priv && strcmp(priv, "true") == 0;
        if (cc_node_is_seq(cmd)) {
                cc__strv_of(cmd, &x.argv);
        } else if (cc_node_is_scalar(cmd)) {
                cc_strv_push(&x.argv, "/bin/sh");
                cc_strv_push(&x.argv, "-c");
                cc_strv_push(&x.argv, cmd->str);
        }
        const struct cc_node *env = cc_node_map_get(ex, "environment");
        if (cc_node_is_seq(env))
                cc__strv_of(env, &x.env);
        for (size_t i = 0; cc_node_is_map(env) && i < env->n; i++)
                if (cc_node_is_scalar(env->items[i]) && env->items[i]->str)
                        cc_strv_push_owned(&x.env, cc_xasprintf("%s=%s", cc_node_key(env, i), env->items[i]->str));
        _cleanup_free_ char *dir = cc_xasprintf("%s/containers/%s", w->cli->root, ct->id);
        x.dir = dir;
        if (!x.workdir)
                x.workdir = cc_node_map_str(cc_node_map_get(cc_project_services(w->p), r->service), "working_dir");
        struct cc_error err = {0};
        fflush(NULL);
        int rc = x.argv.n ? cc_nsexec_run(&x, &err) : 0;
        if (rc < 0)
                fprintf(stderr, "service \"%s\": exec: %s\n", r->service, cc_error_msg(&err));
        else if (rc > 0)
                fprintf(stderr, "service \"%s\": exec %s: exit code %d\n", r->service, x.argv.v[x.argv.n - 1], rc);
        cc_error_clear(&err);
        cc_strv_free(&x.argv);
        cc_strv_free(&x.env);
}

static void cc__restart(struct watcher *w, const char *service)
{
        char *argv[] = {"restart", (char *) service, NULL};
        fflush(NULL);
        if (cc_cmd_restart(w->cli, 2, argv) == 0)
                printf("service(s) [\"%s\"] restarted\n", service);
        fflush(stdout);
}

/* rebuild: the service's image built again (cc_service_build), then the
 * watched services brought up again as `up -d SERVICE...` brings them
 * up: the running supervisor re-executes itself with that command line
 * (an attached up --watch stays attached), and only the service whose
 * image changed is recreated. */
static void cc__rebuild(struct watcher *w, const char *service)
{
        printf("Rebuilding service(s) [\"%s\"] after changes were detected...\n", service);
        fflush(stdout);
        struct cc_build_flags bf = {0};
        struct cc_error err = {0};
        cc_cli_build_flags(w->cli, &bf);
        bf.quiet = bf.quiet || w->quiet;
        bf.tty = false; /* plain lines among the watch's own */
        _cleanup_free_ char *old = cc_service_image_id(w->cli, w->p, service);
        if (cc_service_build(w->cli, w->p, service, &bf, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return;
        }
        printf("service(s) [\"%s\"] successfully built\n", service);
        fflush(stdout);
        struct cc_cli up = *w->cli;
        up.argv = (struct cc_strv){0};
        for (int i = 0; i < w->cli->command_index && (size_t) i < w->cli->argv.n; i++)
                cc_strv_push(&up.argv, w->cli->argv.v[i]);
        cc_strv_push(&up.argv, "up");
        cc_strv_push(&up.argv, "-d");
        struct cc_up_opts o = {.detach = true, .reexec = true, .stop_timeout_ms = -1};
        for (size_t i = 0; i < w->services.n; i++) {
                cc_strv_push(&up.argv, w->services.v[i]);
                cc_strv_push(&o.services, w->services.v[i]);
        }
        if (cc_up(&up, w->p, &o) != 0)
                fprintf(stderr, "service \"%s\": rebuilt, but bringing it up again failed\n", service);
        _cleanup_free_ char *now = cc_service_image_id(w->cli, w->p, service);
        /* --prune: the replaced image, when nothing names it any more, as
         * docker compose prunes its dangling image */
        if (w->prune && old && !cc_streq(old, now) && cc_image_remove_unused(w->cli, old, &err) < 0) {
                fprintf(stderr, "pruning image %.19s: %s\n", old, cc_error_msg(&err));
                cc_error_clear(&err);
        }
        fflush(NULL);
        cc_strv_free(&o.services);
        cc_strv_free(&up.argv);
}

/* Act on one rule's batch (paths NULL: its whole tree, initial_sync). */
static void cc__act(struct watcher *w, struct watch_rule *r, const struct cc_strv *paths)
{
        bool sync = strncmp(r->action, "sync", 4) == 0;
        if (sync) {
                _cleanup_state_ struct cc_state *st = NULL;
                _cleanup_free_ const struct cc_ctr_state **ctrs = NULL;
                size_t n = 0;
                if (cc__running(w, r->service, &st, &ctrs, &n) < 0)
                        return;
                if (paths) {
                        printf("Syncing service \"%s\" after %zu changes were detected\n", r->service, paths->n);
                        fflush(stdout);
                }
                for (size_t i = 0; i < n; i++)
                        if (cc__sync_ctr(w, r, ctrs[i], paths) == 0 && strcmp(r->action, "sync+exec") == 0 &&
                            paths)
                                cc__exec_ctr(w, r, ctrs[i]);
        }
        if (paths && (strcmp(r->action, "restart") == 0 || strcmp(r->action, "sync+restart") == 0))
                cc__restart(w, r->service);
        if (paths && strcmp(r->action, "rebuild") == 0)
                cc__rebuild(w, r->service);
}

static bool cc__exists(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0;
}

static void cc__flush(struct watcher *w)
{
        w->first_event_ms = w->last_event_ms = 0;
        w->n_events = 0;
        cc_strv_free(&w->writing); /* one still open is noted again at its next write */
        for (size_t i = 0; i < w->n_rules; i++) {
                struct watch_rule *r = &w->rules[i];
                if (cc_watch_batch_settle(&r->batch, cc__exists) == 0)
                        continue;
                cc__act(w, r, &r->batch.paths);
                cc_watch_batch_clear(&r->batch);
        }
}

/* Until every watched service has a running container (up --watch
 * starts the watch while up is still starting them). */
static void cc__wait_running(struct watcher *w)
{
        for (int tries = 0; tries < 1200; tries++) {
                bool all = true;
                for (size_t i = 0; i < w->n_rules && all; i++) {
                        _cleanup_state_ struct cc_state *st = NULL;
                        _cleanup_free_ const struct cc_ctr_state **ctrs = NULL;
                        size_t n = 0;
                        all = cc__running(w, w->rules[i].service, &st, &ctrs, &n) == 0 && n > 0;
                }
                if (all)
                        return;
                usleep(100000);
        }
}

static long long cc__due(const struct watcher *w)
{
        return cc_watch_batch_due(w->first_event_ms, w->last_event_ms, w->n_events, w->writing.n > 0);
}

static volatile sig_atomic_t cc__watch_stop;
static void cc__on_signal(int sig) { cc__watch_stop = sig; }

/* Watch until a signal; returns the exit code. */
static int cc__watch_loop(struct watcher *w, bool wait_running)
{
        w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->ifd < 0) {
                perror("inotify_init1");
                return 1;
        }
        for (size_t i = 0; i < w->n_rules; i++)
                cc__watch_rule(w, &w->rules[i], false);
        if (wait_running)
                cc__wait_running(w);
        for (size_t i = 0; i < w->n_rules; i++)
                if (w->rules[i].initial_sync && strncmp(w->rules[i].action, "sync", 4) == 0)
                        cc__act(w, &w->rules[i], NULL);
        puts("Watch enabled");
        fflush(stdout);
        struct sigaction sa = {.sa_handler = cc__on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        while (!cc__watch_stop) {
                int timeout = -1;
                if (w->last_event_ms) {
                        long long left = cc__due(w) - cc__now_ms();
                        timeout = left > 0 ? (int) left : 0;
                }
                struct pollfd pfd = {.fd = w->ifd, .events = POLLIN};
                int n = poll(&pfd, 1, timeout);
                if (n < 0 && errno != EINTR) {
                        perror("poll");
                        break;
                }
                if (n > 0)
                        cc__read_events(w);
                if (w->last_event_ms && cc__now_ms() >= cc__due(w))
                        cc__flush(w);
        }
        puts("Watch disabled");
        fflush(stdout);
        return 0;
}

static void cc__watcher_free(struct watcher *w)
{
        for (size_t i = 0; i < w->n_rules; i++) {
                free(w->rules[i].path);
                cc_strv_free(&w->rules[i].ignore);
                cc_strv_free(&w->rules[i].include);
                cc_strv_free(&w->rules[i].dockerignore);
                cc_watch_batch_clear(&w->rules[i].batch);
        }
        free(w->rules);
        cc_strv_free(&w->services);
        cc_strv_free(&w->writing);
        while (w->n_dirs)
                cc__dir_drop_at(w, w->n_dirs - 1);
        free(w->dirs);
        if (w->ifd >= 0)
                close(w->ifd);
}

pid_t cc_watch_spawn(struct cc_cli *cli, struct cc_project *p, const struct cc_strv *services)
{
        struct watcher w = {.cli = cli, .p = p, .ifd = -1, .prune = true};
        if (cc__watch_rules(&w, services) < 0) {
                cc__watcher_free(&w);
                return -1;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                _exit(cc__watch_loop(&w, true));
        }
        if (pid < 0)
                perror("fork");
        cc__watcher_free(&w);
        return pid;
}

static void cc__watch_help(void)
{
        puts("Usage:  ccompose watch [SERVICE...]\n\n"
             "Watch build context for service and rebuild/refresh containers when files are updated\n\n"
             "Options:\n"
             "      --no-up   Do not build & start services before watching\n"
             "      --prune   Prune dangling images on rebuild (default true)\n"
             "      --quiet   hide build output");
}

int cc_cmd_watch(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_NOUP = 1000, O_PRUNE, O_QUIET, O_DRY };
        static const struct option longopts[] = {
                {"no-up", optional_argument, NULL, O_NOUP}, {"prune", optional_argument, NULL, O_PRUNE},
                {"quiet", optional_argument, NULL, O_QUIET}, {"dry-run", no_argument, NULL, O_DRY},
                {"help", no_argument, NULL, 'h'},     {0},
        };
        struct watcher w = {.cli = cli, .ifd = -1, .prune = true};
        bool no_up = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case O_NOUP:
                        if (cc_cli_parse_bool_flag("no-up", optarg, &no_up) != 0)
                                return 1;
                        break;
                case O_PRUNE:
                        if (cc_cli_parse_bool_flag("prune", optarg, &w.prune) != 0)
                                return 1;
                        break;
                case O_QUIET:
                        if (cc_cli_parse_bool_flag("quiet", optarg, &w.quiet) != 0)
                                return 1;
                        break;
                case O_DRY: break;
                case 'h': cc__watch_help(); return 0;
                default: return 1;
                }
        }
        if (w.quiet) /* the build of its up too: errors only */
                cli->progress = "quiet";
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, argv + optind, argc - optind, &p, &st) != 0)
                return 1;
        struct cc_strv services = {0};
        for (int i = optind; i < argc; i++)
                cc_strv_push(&services, argv[i]);
        w.p = p;
        int rc = 1;
        if (cc__watch_rules(&w, &services) < 0)
                goto out;
        if (!no_up) {
                struct cc_up_opts o = {.detach = true, .stop_timeout_ms = -1};
                cc_cli_print_support_warnings(p, &services, false);
                for (size_t i = 0; i < services.n; i++)
                        cc_strv_push(&o.services, services.v[i]);
                rc = cc_up(cli, p, &o);
                cc_strv_free(&o.services);
                if (rc != 0)
                        goto out;
        }
        rc = cc__watch_loop(&w, false);
out:
        cc__watcher_free(&w);
        cc_strv_free(&services);
        return rc;
}
