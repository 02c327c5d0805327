/* From a spec to a plan (container-internal.h), in the parent, where
 * allocation and good error messages are cheap: the container directory
 * and its files, the overlay, the user, the volumes, the ordered mount
 * list, sysctls, rlimits, argv and environment. The child then only
 * carries the plan out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-internal.h"

#define CC_INIT_TARGET "/sbin/ccompose-init"

static const char *cc__own(struct cc_plan *p, char *s)
{
        cc_strv_push_owned(&p->owned, s);
        return s;
}

static int cc__write_small(const char *path, const char *data, struct cc_error *err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t len = strlen(data);
        if (fd < 0 || write(fd, data, len) != (ssize_t) len)
                return cc_error_setsys(err, -errno, "write %s", path);
        return 0;
}

static void cc__resolv_line(struct cc_buf *b, const char *key, const struct cc_strv *v)
{
        cc_buf_puts(b, key);
        for (size_t i = 0; i < v->n; i++)
                cc_buf_printf(b, " %s", v->v[i]);
        cc_buf_putc(b, '\n');
}

/* resolv.conf as Docker writes it for a non-host network: the host's,
 * without localhost nameservers (unreachable from the container), and
 * Docker's defaults when none is left; dns, dns_search and dns_opt
 * replace the host's nameserver, search and options lines. */
static char *cc__resolv_conf(const struct cc_container_spec *spec)
{
        _cleanup_free_ char *host = NULL;
        size_t len;
        if (cc_read_file("/etc/resolv.conf", &host, &len) < 0)
                host = cc_xstrdup("");
        if (spec->net == CC_NET_HOST)
                return cc_steal(&host);
        struct cc_buf b = {0};
        if (spec->embedded_dns) {
                /* as Docker on a user-defined network: the host's search
                 * domains (or dns_search), ndots:0 unless dns_opt sets it */
                cc_buf_puts(&b, "nameserver 127.0.0.11\n");
                char *sv = NULL;
                for (char *line = strtok_r(host, "\n", &sv); line && !spec->dns_search.n;
                     line = strtok_r(NULL, "\n", &sv))
                        if (cc_startswith(line, "search") || cc_startswith(line, "domain"))
                                cc_buf_printf(&b, "%s\n", line);
                if (spec->dns_search.n > 0)
                        cc__resolv_line(&b, "search", &spec->dns_search);
                bool ndots = false;
                for (size_t i = 0; i < spec->dns_opt.n; i++)
                        ndots |= cc_startswith(spec->dns_opt.v[i], "ndots:");
                cc_buf_puts(&b, "options");
                if (!ndots)
                        cc_buf_puts(&b, " ndots:0");
                for (size_t i = 0; i < spec->dns_opt.n; i++)
                        cc_buf_printf(&b, " %s", spec->dns_opt.v[i]);
                cc_buf_putc(&b, '\n');
                return cc_buf_steal(&b);
        }
        bool have_ns = spec->dns.n > 0;
        char *save = NULL;
        for (char *line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                const char *p = line;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (cc_startswith(p, "nameserver")) {
                        const char *a = p + strlen("nameserver");
                        while (*a == ' ' || *a == '\t')
                                a++;
                        if (spec->dns.n > 0 || cc_startswith(a, "127.") || cc_startswith(a, "::1"))
                                continue;
                        have_ns = true;
                }
                if ((spec->dns_search.n > 0 && (cc_startswith(p, "search") || cc_startswith(p, "domain"))) ||
                    (spec->dns_opt.n > 0 && cc_startswith(p, "options")))
                        continue;
                cc_buf_printf(&b, "%s\n", line);
        }
        for (size_t i = 0; i < spec->dns.n; i++)
                cc_buf_printf(&b, "nameserver %s\n", spec->dns.v[i]);
        if (!have_ns)
                cc_buf_puts(&b, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        if (spec->dns_search.n > 0)
                cc__resolv_line(&b, "search", &spec->dns_search);
        if (spec->dns_opt.n > 0)
                cc__resolv_line(&b, "options", &spec->dns_opt);
        return cc_buf_steal(&b);
}

static int cc__etc_files(const struct cc_container_spec *spec, const char *dir, const char *hostname,
                         struct cc_error *err)
{
        _cleanup_free_ char *p_hostname = cc_xasprintf("%s/hostname", dir);
        _cleanup_free_ char *p_hosts = cc_xasprintf("%s/hosts", dir);
        _cleanup_free_ char *p_resolv = cc_xasprintf("%s/resolv.conf", dir);
        _cleanup_free_ char *hn = cc_xasprintf("%s\n", hostname);
        _cleanup_free_ char *hosts = NULL;
        if (spec->net == CC_NET_HOST) {
                size_t len;
                if (cc_read_file("/etc/hosts", &hosts, &len) < 0)
                        hosts = cc_xstrdup("127.0.0.1\tlocalhost\n");
        } else {
                hosts = cc_xasprintf("127.0.0.1\tlocalhost\n"
                                     "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                     "fe00::0\tip6-localnet\n"
                                     "ff00::0\tip6-mcastprefix\n"
                                     "ff02::1\tip6-allnodes\n"
                                     "ff02::2\tip6-allrouters\n"
                                     "127.0.0.1\t%s\n",
                                     hostname);
        }
        /* extra hosts, as docker writes them in every network mode */
        struct cc_buf hb = {0};
        cc_buf_puts(&hb, hosts);
        for (size_t i = 0; i < spec->extra_hosts.n; i++) {
                const char *s = spec->extra_hosts.v[i];
                size_t k = strcspn(s, ":=");
                if (s[k])
                        cc_buf_printf(&hb, "%s\t%.*s\n", s + k + 1, (int) k, s);
        }
        free(hosts);
        hosts = cc_buf_steal(&hb);
        _cleanup_free_ char *resolv = cc__resolv_conf(spec);
        int r = cc__write_small(p_hostname, hn, err);
        if (r >= 0)
                r = cc__write_small(p_hosts, hosts, err);
        if (r >= 0)
                r = cc__write_small(p_resolv, resolv, err);
        return r;
}

static bool cc__has_target(const struct cc_container_spec *spec, const char *target)
{
        for (size_t i = 0; i < spec->n_mounts; i++) {
                _cleanup_free_ char *a = cc_path_clean(spec->mounts[i].target);
                if (cc_streq(a, target))
                        return true;
        }
        for (size_t i = 0; i < spec->n_files; i++) {
                _cleanup_free_ char *a = cc_path_clean(spec->files[i].target);
                if (cc_streq(a, target))
                        return true;
        }
        return false;
}

static struct cc_plan_mount *cc__add_mount(struct cc_plan *p, size_t *cap)
{
        if (p->n_mounts == *cap) {
                *cap = *cap ? *cap * 2 : 8;
                p->mounts = cc_xrealloc(p->mounts, *cap * sizeof(*p->mounts));
        }
        struct cc_plan_mount *m = &p->mounts[p->n_mounts++];
        memset(m, 0, sizeof(*m));
        return m;
}

static int cc__bind_source(const struct cc_mount *m, bool *is_dir, struct cc_error *err)
{
        struct stat st;
        if (stat(m->source, &st) == 0) {
                *is_dir = S_ISDIR(st.st_mode);
                return 0;
        }
        if (errno != ENOENT || !m->create_host_path)
                return cc_error_setsys(err, -errno, "invalid mount config for type \"bind\": bind source path %s",
                                       m->source);
        /* docker compose creates a missing bind source as a directory. */
        int r = cc_mkdir_p(m->source, 0755);
        if (r < 0)
                return cc_error_setsys(err, r, "create bind source %s", m->source);
        *is_dir = true;
        return 0;
}

/* devices: a host device node (or a directory of them), bound as it is:
 * the one mount of the container where a device opens (see cc_rootfs_dev). */
static int cc__device_source(const struct cc_mount *m, bool *is_dir, struct cc_error *err)
{
        struct stat st;
        if (!m->source || m->source[0] != '/' || stat(m->source, &st) < 0)
                return cc_error_setsys(err, m->source && m->source[0] == '/' ? -errno : -EINVAL,
                                       "error gathering device information while adding custom device \"%s\"",
                                       m->source ? m->source : "");
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
                return cc_error_set(err, -EINVAL, "%s is not a device node", m->source);
        *is_dir = S_ISDIR(st.st_mode);
        return 0;
}

static int cc__volume_source(const struct cc_container_spec *spec, const struct cc_mount *m, int rootfd,
                             struct cc_strv *anon, char **data, struct cc_error *err)
{
        _cleanup_free_ char *anon_name = NULL;
        const char *name = m->source;
        if (!name || !*name) {
                /* the container's own: the same on each of its starts (its
                 * data lives as long as it does, as with Docker) */
                anon_name = cc_container_anon_volume(spec->id, m->target);
                name = anon_name;
        }
        bool created;
        int r;
        if (m->device) {
                /* the local driver's bind: that directory is the volume (filled
                 * from the image when empty, as any volume) */
                struct stat st;
                if (m->device[0] != '/' || stat(m->device, &st) < 0 || !S_ISDIR(st.st_mode))
                        return cc_error_set(err, -ENOENT,
                                            "failed to mount local volume %s: device %s is not an existing directory",
                                            name, m->device);
                *data = cc_xstrdup(m->device);
        } else if ((r = cc_volume_ensure(spec->root, name, data, &created, err)) < 0) {
                return r;
        }
        if (anon_name)
                cc_strv_push(anon, anon_name);
        if (!m->no_copy) {
                r = cc_volume_prefill(rootfd, m->target, *data, err);
                if (r < 0)
                        return cc_error_prefix(err, "volume %s", name);
        }
        return 0;
}

/* volume.subpath: that path of the volume, resolved inside it (a link or
 * ".." in it stays in the volume). It must exist, as with Docker. Checked
 * here for a clear error and the kind of mountpoint; the child resolves it
 * again in its own mount namespace and binds what it opened. */
static int cc__volume_subpath(struct cc_plan_mount *m, const char *subpath, struct cc_error *err)
{
        _cleanup_close_ int data = open(m->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (data < 0)
                return cc_error_setsys(err, -errno, "open %s", m->source);
        int fd = cc_mnt_open_in_root(data, subpath, O_PATH, 0);
        if (fd < 0)
                return cc_error_setsys(err, fd, "cannot access path %s/%s", m->source, subpath);
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int e = -errno;
                close(fd);
                return cc_error_setsys(err, e, "stat %s/%s", m->source, subpath);
        }
        close(fd);
        m->is_dir = S_ISDIR(st.st_mode);
        m->subpath = subpath;
        return 0;
}

/* A secret's or config's file: written as root into path (under the
 * container's 0700 directory), then given its owner and mode. O_NOFOLLOW:
 * the directory is root's alone, but never write through a link. */
static int cc__write_file_mount(const struct cc_file_mount *f, const char *path, struct cc_error *err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "write %s", path);
        for (size_t off = 0; off < f->len;) {
                ssize_t n = write(fd, f->content + off, f->len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return cc_error_setsys(err, n < 0 ? -errno : -EIO, "write %s", path);
                off += (size_t) n;
        }
        if (fchown(fd, f->uid, f->gid) < 0)
                return cc_error_setsys(err, -errno, "chown %s to %u:%u", path, (unsigned) f->uid, (unsigned) f->gid);
        if (fchmod(fd, f->mode & 07777) < 0)
                return cc_error_setsys(err, -errno, "chmod %s", path);
        return 0;
}

/* The spec's files (secrets, configs): each written to <dir>/files/<n> and
 * bound read-only at its target. They go with the container directory. */
static int cc__plan_files(const struct cc_container_spec *spec, const char *dir, struct cc_plan *p, size_t *cap,
                          struct cc_error *err)
{
        if (spec->n_files == 0)
                return 0;
        _cleanup_free_ char *files = cc_xasprintf("%s/files", dir);
        if (mkdir(files, 0700) < 0 && errno != EEXIST)
                return cc_error_setsys(err, -errno, "create %s", files);
        for (size_t i = 0; i < spec->n_files; i++) {
                const struct cc_file_mount *f = &spec->files[i];
                if (!f->target || f->target[0] != '/')
                        return cc_error_set(err, -EINVAL, "invalid file target \"%s\": must be an absolute path",
                                            f->target ? f->target : "");
                const char *target = cc__own(p, cc_path_clean(f->target));
                if (cc_streq(target, "/"))
                        return cc_error_set(err, -EINVAL, "invalid file target \"/\"");
                const char *path = cc__own(p, cc_xasprintf("%s/%zu", files, i));
                int r = cc__write_file_mount(f, path, err);
                if (r < 0)
                        return cc_error_prefix(err, "file %s", target);
                struct cc_plan_mount *m = cc__add_mount(p, cap);
                m->kind = CC_PM_BIND;
                m->source = path;
                m->target = target;
                m->read_only = true;
        }
        return 0;
}

static int cc__mount_depth(const char *path)
{
        int d = 0;
        for (const char *p = path; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        d++;
        return d;
}

/* Docker mounts in order of path depth, so a parent is mounted before
 * what lies under it; stable otherwise. */
static void cc__sort_mounts(struct cc_plan_mount *m, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct cc_plan_mount x = m[i];
                int dx = cc__mount_depth(x.target);
                size_t j = i;
                while (j > 0 && cc__mount_depth(m[j - 1].target) > dx) {
                        m[j] = m[j - 1];
                        j--;
                }
                m[j] = x;
        }
}

static int cc__plan_mounts(const struct cc_container_spec *spec, const char *dir, struct cc_strv *anon,
                           struct cc_plan *p, struct cc_error *err)
{
        size_t cap = 0;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct cc_mount *sm = &spec->mounts[i];
                if (!sm->target || sm->target[0] != '/')
                        return cc_error_set(err, -EINVAL, "invalid mount target \"%s\": must be an absolute path",
                                            sm->target ? sm->target : "");
                const char *target = cc__own(p, cc_path_clean(sm->target));
                if (cc_streq(target, "/"))
                        return cc_error_set(err, -EINVAL, "invalid mount target \"/\"");
                struct cc_plan_mount *m = cc__add_mount(p, &cap);
                m->target = target;
                m->read_only = sm->read_only;
                int r = 0;
                switch (sm->type) {
                case CC_MOUNT_BIND:
                        if (!sm->source || sm->source[0] != '/')
                                return cc_error_set(err, -EINVAL, "bind source \"%s\" must be an absolute path",
                                                    sm->source ? sm->source : "");
                        m->kind = CC_PM_BIND;
                        m->source = sm->source;
                        r = cc__bind_source(sm, &m->is_dir, err);
                        break;
                case CC_MOUNT_DEVICE:
                        m->kind = CC_PM_BIND;
                        m->source = sm->source;
                        m->dev = true;
                        r = cc__device_source(sm, &m->is_dir, err);
                        break;
                case CC_MOUNT_VOLUME: {
                        char *data = NULL;
                        m->kind = CC_PM_BIND;
                        m->is_dir = true;
                        r = cc__volume_source(spec, sm, p->rootfs_fd, anon, &data, err);
                        if (data)
                                m->source = cc__own(p, data);
                        if (r >= 0 && sm->subpath)
                                r = cc__volume_subpath(m, sm->subpath, err);
                        break;
                }
                case CC_MOUNT_TMPFS: {
                        struct cc_buf b = {0};
                        cc_buf_printf(&b, "mode=%o", sm->tmpfs_mode >= 0 ? (unsigned) sm->tmpfs_mode : 01777u);
                        if (sm->tmpfs_size > 0)
                                cc_buf_printf(&b, ",size=%lld", sm->tmpfs_size);
                        m->kind = CC_PM_TMPFS;
                        m->is_dir = true;
                        m->flags = MS_NOSUID | MS_NODEV | (sm->tmpfs_noexec ? MS_NOEXEC : 0);
                        m->data = cc__own(p, cc_buf_steal(&b));
                        break;
                }
                }
                if (r < 0)
                        return cc_error_prefix(err, "mount %s", target);
        }

        /* The engine's own files, unless the service mounts its own there. */
        static const char *const etc[] = {"hostname", "hosts", "resolv.conf"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(etc); i++) {
                char *target = cc_xasprintf("/etc/%s", etc[i]);
                if (cc__has_target(spec, target)) {
                        free(target);
                        continue;
                }
                struct cc_plan_mount *m = cc__add_mount(p, &cap);
                m->kind = CC_PM_BIND;
                m->target = cc__own(p, target);
                m->source = cc__own(p, cc_xasprintf("%s/%s", dir, etc[i]));
        }
        int r = cc__plan_files(spec, dir, p, &cap, err);
        if (r < 0)
                return r;
        if (spec->init) {
                char *init = cc_container_init_path();
                if (!init)
                        return cc_error_set(err, -ENOENT, "init: ccompose-init not found beside the ccompose binary");
                struct cc_plan_mount *m = cc__add_mount(p, &cap);
                m->kind = CC_PM_BIND;
                m->source = cc__own(p, init);
                m->target = CC_INIT_TARGET;
                m->read_only = true;
        }
        cc__sort_mounts(p->mounts, p->n_mounts);
        return 0;
}

static bool cc__ipc_sysctl(const char *key)
{
        static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                          "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                          "kernel.shm_rmid_forced"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(ipc); i++)
                if (cc_streq(key, ipc[i]))
                        return true;
        return cc_startswith(key, "fs.mqueue.") && key[10];
}

int cc_container_check_sysctl(const char *key, enum cc_net_mode net, struct cc_error *err)
{
        if (cc__ipc_sysctl(key))
                return 0;
        if (cc_startswith(key, "net.") && key[4]) {
                if (net == CC_NET_HOST)
                        return cc_error_set(err, -EINVAL, "sysctl \"%s\" not allowed in host network namespace", key);
                return 0;
        }
        return cc_error_set(err, -EINVAL, "sysctl \"%s\" is not in a separate kernel namespace", key);
}

static int cc__plan_sysctls(const struct cc_container_spec *spec, struct cc_plan *p, struct cc_error *err)
{
        size_t n = spec->sysctls.n;
        p->sysctl_paths = cc_xcalloc(n, sizeof(char *));
        p->sysctl_values = cc_xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                const char *kv = spec->sysctls.v[i];
                const char *eq = strchr(kv, '=');
                if (!eq)
                        return cc_error_set(err, -EINVAL, "sysctl \"%s\": expected key=value", kv);
                _cleanup_free_ char *key = cc_xstrndup(kv, (size_t) (eq - kv));
                int r = cc_container_check_sysctl(key, spec->net, err);
                if (r < 0)
                        return r;
                /* never the host's settings */
                if (spec->host_ipc && cc__ipc_sysctl(key))
                        return cc_error_set(err, -EINVAL, "sysctl \"%s\" not allowed in host IPC namespace", key);
                if (strstr(key, ".."))
                        return cc_error_set(err, -EINVAL, "sysctl \"%s\": invalid name", key);
                char *path = cc_xasprintf("/proc/sys/%s", key);
                for (char *c = path + strlen("/proc/sys/"); *c; c++)
                        if (*c == '.')
                                *c = '/';
                p->sysctl_paths[i] = cc__own(p, path);
                p->sysctl_values[i] = eq + 1;
        }
        p->n_sysctls = n;
        return 0;
}

static void cc__plan_rlimits(const struct cc_container_spec *spec, struct cc_plan *p)
{
        p->rlimits = cc_xcalloc(spec->n_ulimits, sizeof(*p->rlimits));
        for (size_t i = 0; i < spec->n_ulimits; i++) {
                const struct cc_ulimit *u = &spec->ulimits[i];
                struct rlimit lim = {
                        .rlim_cur = u->soft < 0 ? RLIM_INFINITY : (rlim_t) u->soft,
                        .rlim_max = u->hard < 0 ? RLIM_INFINITY : (rlim_t) u->hard,
                };
                if (u->resource == RLIMIT_NOFILE) {
                        /* Never more open files than the engine's own hard limit. */
                        struct rlimit host;
                        if (getrlimit(RLIMIT_NOFILE, &host) == 0) {
                                if (lim.rlim_max > host.rlim_max)
                                        lim.rlim_max = host.rlim_max;
                                if (lim.rlim_cur > lim.rlim_max)
                                        lim.rlim_cur = lim.rlim_max;
                        }
                }
                p->rlimits[p->n_rlimits++] = (struct cc_plan_rlimit){.resource = u->resource, .lim = lim};
        }
}

static void cc__plan_exec(const struct cc_container_spec *spec, struct cc_plan *p, const char *hostname)
{
        size_t extra = spec->init ? 4 : 0;
        p->exec_argv = cc_xcalloc(spec->argv.n + extra + 1, sizeof(char *));
        if (spec->init) {
                p->exec_argv[0] = CC_INIT_TARGET;
                p->exec_argv[1] = "-e";
                p->exec_argv[2] = "";
                p->exec_argv[3] = "--";
                p->resolved_index = 2;
        }
        for (size_t i = 0; i < spec->argv.n; i++)
                p->exec_argv[extra + i] = spec->argv.v[i];
        p->cmd_index = extra;
        p->init = spec->init;

        cc_process_env(spec, hostname, p->user->home, &p->env);
        p->envp = p->env.v; /* NULL-terminated */
        for (size_t i = 0; i < p->env.n; i++)
                if (cc_startswith(p->env.v[i], "PATH="))
                        p->path_env = p->env.v[i] + 5;
}

static int cc__make_dirs(const char *dir, bool reuse, struct cc_error *err)
{
        _cleanup_free_ char *parent = cc_xstrdup(dir);
        *strrchr(parent, '/') = '\0';
        int r = cc_mkdir_p(parent, 0700);
        if (r < 0)
                return cc_error_setsys(err, r, "create %s", parent);
        if (mkdir(dir, 0700) < 0 && !(errno == EEXIST && reuse)) {
                if (errno == EEXIST)
                        return cc_error_set(err, -EEXIST, "container directory %s already exists", dir);
                return cc_error_setsys(err, -errno, "create %s", dir);
        }
        static const char *const subs[] = {"upper", "work", "rootfs"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(subs); i++) {
                _cleanup_free_ char *s = cc_xasprintf("%s/%s", dir, subs[i]);
                if (mkdir(s, 0755) < 0 && !(errno == EEXIST && reuse))
                        return cc_error_setsys(err, -errno, "create %s", s);
        }
        return 0;
}

int cc_plan_prepare(const struct cc_container_spec *spec, const char *dir, struct cc_strv *anon_volumes,
                    struct cc_plan *p, struct cc_error *err)
{
        memset(p, 0, sizeof(*p));
        p->spec = spec;
        p->rootfs_fd = -1;
        p->tty = spec->tty;
        p->winsize = spec->winsize;
        memcpy(p->stdio, spec->stdio, sizeof(p->stdio));

        if (spec->cwd && spec->cwd[0] != '/')
                return cc_error_set(err, -EINVAL, "the working directory '%s' is invalid, it needs to be an absolute path",
                                    spec->cwd);
        int r = cc__make_dirs(dir, spec->reuse_dir, err);
        if (r < 0)
                return r;

        if (spec->host_uts && (spec->hostname || spec->domainname))
                return cc_error_set(err, -EINVAL, "conflicting options: %s and the UTS mode",
                                    spec->hostname ? "hostname" : "domainname");
        char host_name[256] = "";
        const char *hostname = spec->hostname;
        if (!hostname && (spec->net == CC_NET_HOST || spec->host_uts) &&
            gethostname(host_name, sizeof(host_name) - 1) == 0)
                hostname = host_name;
        if (!hostname)
                hostname = cc__own(p, cc_xstrndup(spec->id, 12));
        else
                hostname = cc__own(p, cc_xstrdup(hostname));
        p->hostname = hostname;
        p->domainname = spec->domainname;
        r = cc__etc_files(spec, dir, hostname, err);
        if (r < 0)
                return r;

        _cleanup_free_ char *upper = cc_xasprintf("%s/upper", dir);
        _cleanup_free_ char *work = cc_xasprintf("%s/work", dir);
        p->attach_dir = cc__own(p, cc_xasprintf("%s/rootfs", dir));
        r = cc_rootfs_overlay(&spec->layer_dirs, upper, work, spec->privileged, &p->rootfs_fd, err);
        if (r < 0)
                return r;

        p->user = cc_xcalloc(1, sizeof(*p->user));
        r = cc_user_resolve(p->rootfs_fd, spec->user, &spec->group_add, p->user, err);
        if (r < 0)
                return r;
        p->uid = p->user->uid;
        p->gid = p->user->gid;
        p->groups = p->user->groups;
        p->n_groups = p->user->n_groups;
        p->cwd = spec->cwd ? spec->cwd : "/";

        r = cc__plan_mounts(spec, dir, anon_volumes, p, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_mounts; i++)
                if (cc_streq(p->mounts[i].target, "/sys") || cc_startswith(p->mounts[i].target, "/sys/"))
                        p->cgroupfs_first = true;
        if (spec->privileged) {
                r = cc_rootfs_host_devices(&p->devs, &p->n_devs, err);
                if (r < 0)
                        return r;
        }
        r = cc__plan_sysctls(spec, p, err);
        if (r < 0)
                return r;
        snprintf(p->shm_opts, sizeof(p->shm_opts), "mode=1777,size=%lld",
                 spec->shm_size > 0 ? spec->shm_size : 64LL << 20);
        cc__plan_rlimits(spec, p);
        p->cgroup_name = cc__own(p, cc_xasprintf("ccompose/%s/%s", spec->project, spec->id));
        cc_rootfs_cgroupfs_list(p);
        cc__plan_exec(spec, p, hostname);
        return 0;
}

void cc_plan_free(struct cc_plan *p)
{
        if (p->rootfs_fd >= 0)
                close(p->rootfs_fd);
        free(p->mounts);
        for (size_t i = 0; i < p->n_devs; i++)
                free((char *) p->devs[i].path);
        free(p->devs);
        free(p->sysctl_paths);
        free(p->sysctl_values);
        free(p->rlimits);
        free(p->exec_argv);
        cc_strv_free(&p->owned);
        cc_strv_free(&p->env);
        if (p->user) {
                cc_user_free(p->user);
                free(p->user);
        }
        memset(p, 0, sizeof(*p));
        p->rootfs_fd = -1;
}
