#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "loader.h"
#include "state.h"

static const char *const cc__status_names[] = {
        [CC_CTR_CREATED] = "created", [CC_CTR_RUNNING] = "running", [CC_CTR_PAUSED] = "paused",
        [CC_CTR_RESTARTING] = "restarting", [CC_CTR_EXITED] = "exited", [CC_CTR_DEAD] = "dead",
};

const char *cc_ctr_status_name(enum cc_ctr_status s)
{
        return (size_t) s < CC_ARRAY_SIZE(cc__status_names) ? cc__status_names[s] : "dead";
}

int cc_ctr_status_parse(const char *s, enum cc_ctr_status *out)
{
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__status_names); i++)
                if (s && strcmp(s, cc__status_names[i]) == 0) {
                        *out = (enum cc_ctr_status) i;
                        return 0;
                }
        return -EINVAL;
}

char *cc_state_dir(const char *runtime_dir, const char *project)
{
        return cc_xasprintf("%s/%s", runtime_dir, project);
}

/* The rule the compose loader applies (docker compose's): a project name
 * is also a path component under the runtime dir, a cgroup and a prefix of
 * kernel names, so nothing else may get that far. */
bool cc_state_name_valid(const char *project)
{
        return cc_project_name_valid(project);
}

int cc_state_check_name(const char *project, struct cc_error *err)
{
        if (cc_state_name_valid(project))
                return 0;
        return cc_error_set(err, -EINVAL,
                            "invalid project name \"%s\": must contain only lowercase letters, digits, dashes and "
                            "underscores, and start with a letter or digit",
                            project ? project : "");
}

/* Root writes in these directories: one that another user can write to
 * would let them put a symlink where root is about to write. Ours alone, or
 * shared only with our own group. */
static int cc__check_dir(const char *dir, bool follow, struct cc_error *err)
{
        struct stat st;
        if ((follow ? stat(dir, &st) : lstat(dir, &st)) < 0)
                return cc_error_setsys(err, -errno, "checking %s", dir);
        if (!S_ISDIR(st.st_mode))
                return cc_error_set(err, -ENOTDIR, "%s is not a directory", dir);
        if (st.st_uid != geteuid() || (st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != getegid()))
                return cc_error_set(err, -EPERM,
                                    "refusing to use %s: it is writable by other users (owner %u:%u, mode %04o); "
                                    "it must belong to uid %u and not be writable by others (chmod go-w)",
                                    dir, (unsigned) st.st_uid, (unsigned) st.st_gid, (unsigned) (st.st_mode & 07777),
                                    (unsigned) geteuid());
        return 0;
}

int cc_state_dir_ensure(const char *runtime_dir, const char *project, struct cc_error *err)
{
        int r = cc_state_check_name(project, err);
        if (r < 0)
                return r;
        if ((r = cc_mkdir_p(runtime_dir, 0700)) < 0)
                return cc_error_setsys(err, r, "creating %s", runtime_dir);
        if ((r = cc__check_dir(runtime_dir, true, err)) < 0)
                return r;
        _cleanup_free_ char *dir = cc_state_dir(runtime_dir, project);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return cc_error_setsys(err, -errno, "creating %s", dir);
        return cc__check_dir(dir, false, err);
}

int cc_state_open(const char *runtime_dir, const char *project, const char *file, int flags, struct cc_error *err)
{
        int r = cc_state_dir_ensure(runtime_dir, project, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = cc_xasprintf("%s/%s/%s", runtime_dir, project, file);
        int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "opening %s", path);
        return fd;
}

/* Written to a fresh temporary name (never through a link), synced (when
 * sync) and renamed over the old file. */
static int cc__write_atomic(const char *path, const char *data, size_t len, bool sync)
{
        _cleanup_free_ char *tmp = cc_xasprintf("%s.tmp.%d", path, (int) getpid());
        (void) unlink(tmp);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        int r = 0;
        for (size_t off = 0; off < len && r == 0;) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0 && errno != EINTR)
                        r = -errno;
                else if (n > 0)
                        off += (size_t) n;
        }
        if (r == 0 && sync && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && close(cc_steal_fd(&fd)) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

void cc_ctr_state_clear(struct cc_ctr_state *c)
{
        free(c->id);
        free(c->name);
        free(c->service);
        free(c->image);
        free(c->image_id);
        free(c->hash);
        free(c->command);
        free(c->health);
        free(c->ports);
        memset(c, 0, sizeof(*c));
}

void cc_state_free(struct cc_state *st)
{
        if (!st)
                return;
        for (size_t i = 0; i < st->n_ctrs; i++)
                cc_ctr_state_clear(&st->ctrs[i]);
        free(st->ctrs);
        free(st->project);
        free(st->workdir);
        free(st->config_files);
        free(st);
}

struct cc_ctr_state *cc_state_add(struct cc_state *st)
{
        st->ctrs = cc_xrealloc(st->ctrs, (st->n_ctrs + 1) * sizeof(*st->ctrs));
        struct cc_ctr_state *c = &st->ctrs[st->n_ctrs++];
        memset(c, 0, sizeof(*c));
        return c;
}

void cc_state_remove(struct cc_state *st, size_t i)
{
        if (i >= st->n_ctrs)
                return;
        cc_ctr_state_clear(&st->ctrs[i]);
        memmove(st->ctrs + i, st->ctrs + i + 1, (st->n_ctrs - i - 1) * sizeof(*st->ctrs));
        st->n_ctrs--;
}

struct cc_ctr_state *cc_state_find(struct cc_state *st, const char *id_or_name)
{
        size_t n = strlen(id_or_name);
        for (size_t i = 0; i < st->n_ctrs; i++)
                if (cc_streq(st->ctrs[i].name, id_or_name) ||
                    (n >= 4 && st->ctrs[i].id && strncmp(st->ctrs[i].id, id_or_name, n) == 0))
                        return &st->ctrs[i];
        return NULL;
}

static char *cc__jstr(json_object *o, const char *key)
{
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return cc_xstrdup(json_object_get_string(v));
}

static long long cc__jint(json_object *o, const char *key)
{
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        return (long long) json_object_get_int64(v);
}

static void cc__jset_str(json_object *o, const char *key, const char *v)
{
        if (v)
                json_object_object_add(o, key, json_object_new_string(v));
}

int cc_state_load(const char *runtime_dir, const char *project, struct cc_state **out, struct cc_error *err)
{
        if (cc_state_check_name(project, err) < 0)
                return -EINVAL;
        _cleanup_free_ char *dir = cc_state_dir(runtime_dir, project);
        _cleanup_free_ char *path = cc_xasprintf("%s/state.json", dir);
        _cleanup_free_ char *data = NULL;
        struct cc_state *st = cc_xcalloc(1, sizeof(*st));
        st->project = cc_xstrdup(project);

        int r = cc_read_file(path, &data, NULL);
        if (r == -ENOENT) {
                *out = st;
                return 0;
        }
        if (r < 0) {
                cc_state_free(st);
                return cc_error_setsys(err, r, "reading %s", path);
        }
        json_object *root = json_tokener_parse(data);
        if (!root || !json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                cc_state_free(st);
                return cc_error_set(err, -EINVAL, "%s is corrupt: not a JSON object", path);
        }
        st->workdir = cc__jstr(root, "workdir");
        st->config_files = cc__jstr(root, "config_files");
        st->supervisor_pid = (pid_t) cc__jint(root, "supervisor_pid");
        st->supervisor_start = (unsigned long long) cc__jint(root, "supervisor_start");
        json_object *arr;
        if (json_object_object_get_ex(root, "containers", &arr) && json_object_is_type(arr, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(arr); i++) {
                        json_object *o = json_object_array_get_idx(arr, i);
                        struct cc_ctr_state *c = cc_state_add(st);
                        c->id = cc__jstr(o, "id");
                        c->name = cc__jstr(o, "name");
                        c->service = cc__jstr(o, "service");
                        c->number = (int) cc__jint(o, "number");
                        c->one_off = cc__jint(o, "one_off") != 0;
                        c->image = cc__jstr(o, "image");
                        c->image_id = cc__jstr(o, "image_id");
                        c->hash = cc__jstr(o, "hash");
                        c->command = cc__jstr(o, "command");
                        c->pid = (pid_t) cc__jint(o, "pid");
                        c->pid_start = (unsigned long long) cc__jint(o, "pid_start");
                        _cleanup_free_ char *status = cc__jstr(o, "status");
                        if (cc_ctr_status_parse(status, &c->status) < 0)
                                c->status = CC_CTR_DEAD;
                        c->exit_code = (int) cc__jint(o, "exit_code");
                        c->created = cc__jint(o, "created");
                        c->started_at = cc__jint(o, "started_at");
                        c->finished_at = cc__jint(o, "finished_at");
                        c->exits = cc__jint(o, "exits");
                        c->restart_count = (int) cc__jint(o, "restart_count");
                        c->health = cc__jstr(o, "health");
                        c->stopped_by_user = cc__jint(o, "stopped_by_user") != 0;
                        c->ports = cc__jstr(o, "ports");
                        if (!c->id || !c->name || !c->service) {
                                json_object_put(root);
                                cc_state_free(st);
                                return cc_error_set(err, -EINVAL, "%s is corrupt: container %zu lacks id, name or service",
                                                    path, i);
                        }
                }
        }
        json_object_put(root);
        *out = st;
        return 0;
}

int cc_state_save(const char *runtime_dir, const struct cc_state *st, struct cc_error *err)
{
        _cleanup_free_ char *dir = cc_state_dir(runtime_dir, st->project);
        _cleanup_free_ char *path = cc_xasprintf("%s/state.json", dir);
        int r = cc_state_dir_ensure(runtime_dir, st->project, err);
        if (r < 0)
                return r;
        json_object *root = json_object_new_object();
        cc__jset_str(root, "project", st->project);
        cc__jset_str(root, "workdir", st->workdir);
        cc__jset_str(root, "config_files", st->config_files);
        json_object_object_add(root, "supervisor_pid", json_object_new_int64(st->supervisor_pid));
        json_object_object_add(root, "supervisor_start", json_object_new_int64((int64_t) st->supervisor_start));
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < st->n_ctrs; i++) {
                const struct cc_ctr_state *c = &st->ctrs[i];
                json_object *o = json_object_new_object();
                cc__jset_str(o, "id", c->id);
                cc__jset_str(o, "name", c->name);
                cc__jset_str(o, "service", c->service);
                json_object_object_add(o, "number", json_object_new_int(c->number));
                json_object_object_add(o, "one_off", json_object_new_int(c->one_off));
                cc__jset_str(o, "image", c->image);
                cc__jset_str(o, "image_id", c->image_id);
                cc__jset_str(o, "hash", c->hash);
                cc__jset_str(o, "command", c->command);
                json_object_object_add(o, "pid", json_object_new_int64(c->pid));
                json_object_object_add(o, "pid_start", json_object_new_int64((int64_t) c->pid_start));
                cc__jset_str(o, "status", cc_ctr_status_name(c->status));
                json_object_object_add(o, "exit_code", json_object_new_int(c->exit_code));
                json_object_object_add(o, "created", json_object_new_int64(c->created));
                json_object_object_add(o, "started_at", json_object_new_int64(c->started_at));
                json_object_object_add(o, "finished_at", json_object_new_int64(c->finished_at));
                json_object_object_add(o, "exits", json_object_new_int64(c->exits));
                json_object_object_add(o, "restart_count", json_object_new_int(c->restart_count));
                cc__jset_str(o, "health", c->health);
                json_object_object_add(o, "stopped_by_user", json_object_new_int(c->stopped_by_user));
                cc__jset_str(o, "ports", c->ports);
                json_object_array_add(arr, o);
        }
        json_object_object_add(root, "containers", arr);
        const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = cc__write_atomic(path, text, strlen(text), !st->going);
        json_object_put(root);
        if (r < 0)
                return cc_error_setsys(err, r, "writing %s", path);
        return 0;
}

int cc_state_lock(const char *runtime_dir, const char *project, bool wait, struct cc_error *err)
{
        _cleanup_free_ char *path = cc_xasprintf("%s/%s/lock", runtime_dir, project);
        int fd = cc_state_open(runtime_dir, project, "lock", O_RDWR | O_CREAT, err);
        if (fd < 0)
                return fd;
        if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
                int e = -errno;
                char buf[32] = {0};
                ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
                close(fd);
                if (e == -EWOULDBLOCK)
                        return cc_error_set(err, e,
                                            "project %s is busy: another ccompose command (pid %s) holds its lock; "
                                            "wait for it to finish",
                                            project, n > 0 ? buf : "unknown");
                return cc_error_setsys(err, e, "locking %s", path);
        }
        char pid[32];
        int len = snprintf(pid, sizeof(pid), "%d", (int) getpid());
        if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t) len, 0) < 0) {
                /* the pid is only informative */
        }
        return fd;
}

void cc_state_unlock(int fd)
{
        if (fd >= 0)
                close(fd);
}

unsigned long long cc_proc_start_time(pid_t pid)
{
        struct cc_proc_stat ps;
        if (pid <= 0 || cc_proc_stat(pid, &ps) < 0)
                return 0;
        if (ps.state == 'Z' || ps.state == 'X')
                return 0; /* a zombie is gone for our purposes */
        return ps.start;
}

bool cc_proc_alive(pid_t pid, unsigned long long start)
{
        if (pid <= 0)
                return false;
        unsigned long long now = cc_proc_start_time(pid);
        return now != 0 && (start == 0 || now == start);
}

bool cc_state_exit_code(const char *runtime_dir, const char *project, pid_t pid, unsigned long long start, int *code)
{
        struct cc_proc_stat ps;
        if (pid <= 0)
                return false;
        if (cc_proc_stat(pid, &ps) == 0 && (start == 0 || ps.start == start)) {
                if (ps.state != 'Z')
                        return false; /* still runs */
                *code = cc_wait_status_code(ps.wait_status);
                return true;
        }
        _cleanup_free_ char *path = cc_xasprintf("%s/%s/%s", runtime_dir, project, CC_STATE_EXITS_FILE);
        _cleanup_free_ char *data = NULL;
        if (!cc_state_name_valid(project) || cc_read_file(path, &data, NULL) < 0)
                return false;
        bool found = false;
        for (char *line = data; *line;) {
                int p = 0, c = 0;
                unsigned long long s = 0;
                if (sscanf(line, "%d %llu %d", &p, &s, &c) == 3 && p == pid && (start == 0 || s == start)) {
                        *code = c; /* the last record of the process wins */
                        found = true;
                }
                char *nl = strchr(line, '\n');
                if (!nl)
                        break;
                line = nl + 1;
        }
        return found;
}

void cc_state_wait_keepers(const char *runtime_dir, const char *project, int timeout_ms)
{
        if (!cc_state_name_valid(project))
                return;
        _cleanup_free_ char *path = cc_xasprintf("%s/%s/%s", runtime_dir, project, CC_STATE_EXITS_FILE);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        /* in 1 ms steps: down waits for this before it removes the project's directory */
        for (int ms = 0, step; fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && ms < timeout_ms; ms += step) {
                step = ms < 1000 ? 1 : 10;
                usleep((useconds_t) step * 1000);
        }
}

int cc_state_list_projects(const char *runtime_dir, struct cc_strv *out)
{
        DIR *d = opendir(runtime_dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!cc_state_name_valid(de->d_name))
                        continue;
                _cleanup_free_ char *p = cc_xasprintf("%s/%s/state.json", runtime_dir, de->d_name);
                if (access(p, F_OK) == 0)
                        cc_strv_push(out, de->d_name);
        }
        closedir(d);
        return 0;
}

void cc_state_event_log(const char *runtime_dir, const char *line)
{
        _cleanup_free_ char *path = cc_path_join(runtime_dir, CC_STATE_EVENT_LOG);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return;
        if (st.st_size > CC_STATE_EVENT_LOG_MAX) {
                /* one older generation is kept; a reader follows the rename */
                _cleanup_free_ char *old = cc_xasprintf("%s.1", path);
                if (rename(path, old) == 0) {
                        close(fd);
                        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
                        if (fd < 0)
                                return;
                }
        }
        struct iovec iov[2] = {{(void *) line, strlen(line)}, {(void *) "\n", 1}};
        if (writev(fd, iov, 2) < 0) {
                /* events are best effort */
        }
}
