/* The container's root filesystem: the overlay over the image layers
 * (made by the parent as a detached mount), and the child's steps that
 * attach it, mount /proc, /sys and /dev, the container's own mounts,
 * Docker's masked and read-only paths, pivot_root and the read-only root.
 *
 * The child works before pivot_root with every container path resolved
 * under the rootfs fd (mounts.c), while the host's /dev is still visible
 * for the device binds; pivot_root then drops the host's tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "container-internal.h"

/* ---- Parent ---- */

/* The kernel leaves the reason of a failed fsconfig in the context: read it. */
static void cc__fs_log(int fsfd, struct cc_buf *b)
{
        char line[512];
        ssize_t n;
        while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
                line[n] = '\0';
                if (n > 2 && line[1] == ' ')
                        cc_buf_printf(b, " (%s)", line + 2);
        }
}

static int cc__fsconfig_fd_path(int fsfd, const char *key, const char *path, int *fds, size_t *nfds,
                                struct cc_error *err)
{
        /* Pass each directory as /proc/self/fd/N: short (fsconfig strings
         * are limited to 256 bytes) and no host path in the container's
         * /proc/mounts. */
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "overlay: %s %s", key, path);
        fds[(*nfds)++] = fd;
        char p[32];
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, key, cc_mnt_fdpath(p, fd), 0) < 0) {
                int e = -errno;
                struct cc_buf b = {0};
                cc__fs_log(fsfd, &b);
                cc_error_setsys(err, e, "overlay: %s %s%s", key, path, b.s ? b.s : "");
                cc_buf_free(&b);
                return e;
        }
        return 0;
}

int cc_rootfs_overlay(const struct cc_strv *layers, const char *upper, const char *work, bool privileged, int *out,
                      struct cc_error *err)
{
        if (layers->n == 0)
                return cc_error_set(err, -EINVAL, "overlay: the image has no layers");

        _cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return cc_error_setsys(err, -errno, "overlay: fsopen");

        /* Shown as the device in the container's /proc/mounts, as Docker's. */
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
                return cc_error_setsys(err, -errno, "overlay: source");
        int *fds = cc_xcalloc(layers->n + 2, sizeof(int));
        size_t nfds = 0;
        int r = 0;
        /* "lowerdir+" adds one layer per call, top-most first. */
        for (size_t i = layers->n; i-- > 0 && r >= 0;)
                r = cc__fsconfig_fd_path(fsfd, "lowerdir+", layers->v[i], fds, &nfds, err);
        if (r >= 0)
                r = cc__fsconfig_fd_path(fsfd, "upperdir", upper, fds, &nfds, err);
        if (r >= 0)
                r = cc__fsconfig_fd_path(fsfd, "workdir", work, fds, &nfds, err);
        if (r >= 0 && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
                r = -errno;
                struct cc_buf b = {0};
                cc__fs_log(fsfd, &b);
                cc_error_setsys(err, r, "overlay: create%s", b.s ? b.s : "");
                cc_buf_free(&b);
        }
        for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
        free(fds);
        if (r < 0)
                return r;

        /* nodev: see cc_rootfs_dev(). */
        int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, privileged ? 0 : MOUNT_ATTR_NODEV);
        if (mfd < 0)
                return cc_error_setsys(err, -errno, "overlay: fsmount");
        *out = mfd;
        return 0;
}

static void cc__host_devices_dir(const char *dir, const char *rel, struct cc_plan_dev **out, size_t *n,
                                 size_t *cap)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                /* Made fresh for the container, or not devices at all. */
                if (!*rel && (cc_streq(de->d_name, "pts") || cc_streq(de->d_name, "shm") ||
                              cc_streq(de->d_name, "mqueue") || cc_streq(de->d_name, "console") ||
                              cc_streq(de->d_name, "ptmx") || cc_streq(de->d_name, "hugepages")))
                        continue;
                _cleanup_free_ char *path = cc_path_join(dir, de->d_name);
                struct stat st;
                if (lstat(path, &st) < 0)
                        continue;
                _cleanup_free_ char *r = *rel ? cc_xasprintf("%s/%s", rel, de->d_name) : cc_xstrdup(de->d_name);
                if (S_ISDIR(st.st_mode)) {
                        cc__host_devices_dir(path, r, out, n, cap);
                } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                        if (*n == *cap) {
                                *cap = *cap ? *cap * 2 : 64;
                                *out = cc_xrealloc(*out, *cap * sizeof(**out));
                        }
                        (*out)[(*n)++] = (struct cc_plan_dev){
                                .path = cc_steal(&r),
                                .mode = st.st_mode,
                                .rdev = st.st_rdev,
                                .uid = st.st_uid,
                                .gid = st.st_gid,
                        };
                }
        }
        closedir(d);
}

int cc_rootfs_host_devices(struct cc_plan_dev **out, size_t *n, struct cc_error *err)
{
        size_t cap = 0;
        *out = NULL;
        *n = 0;
        cc__host_devices_dir("/dev", "", out, n, &cap);
        return 0;
}

static bool cc__cg_opt_kept(const char *o)
{
        static const char *const drop[] = {"rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode",
                                           "favordynmods", "nsdelegate", "memory_recursiveprot",
                                           "memory_localevents", "memory_hugetlb_accounting"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(drop); i++)
                if (cc_streq(o, drop[i]))
                        return false;
        return !cc_startswith(o, "release_agent=");
}

/* The host's hierarchies under /sys/fs/cgroup, from /proc/self/mountinfo:
 * read once per process (they do not move while ccompose runs; every
 * start asked). */
static struct {
        pthread_mutex_t lock;
        bool done;
        size_t n;
        struct cc_plan_cgroupfs h[CC_PLAN_MAX_CGROUPFS]; /* strings owned here, kept */
} cc__cgroupfs_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void cc__cgroupfs_scan(void)
{
        _cleanup_free_ char *mi = NULL;
        size_t len;
        if (cc_read_file("/proc/self/mountinfo", &mi, &len) < 0)
                return;
        char *save = NULL;
        for (char *line = strtok_r(mi, "\n", &save); line && cc__cgroupfs_cache.n < CC_PLAN_MAX_CGROUPFS;
             line = strtok_r(NULL, "\n", &save)) {
                char *sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = '\0';
                char *f[6] = {0};
                char *save2 = NULL;
                size_t nf = 0;
                for (char *t = strtok_r(line, " ", &save2); t && nf < 6; t = strtok_r(NULL, " ", &save2))
                        f[nf++] = t;
                char *tail = sep + 3, *save3 = NULL;
                char *fstype = strtok_r(tail, " ", &save3);
                strtok_r(NULL, " ", &save3); /* source */
                char *super = strtok_r(NULL, " ", &save3);
                if (nf < 5 || !fstype || (!cc_streq(fstype, "cgroup") && !cc_streq(fstype, "cgroup2")))
                        continue;
                const char *mp = f[4];
                if (!cc_streq(mp, "/sys/fs/cgroup") && !cc_startswith(mp, "/sys/fs/cgroup/"))
                        continue;
                const char *name = mp + strlen("/sys/fs/cgroup");
                while (*name == '/')
                        name++;
                if (strchr(name, '/'))
                        continue;
                struct cc_buf opts = {0};
                char *save4 = NULL;
                for (char *o = super ? strtok_r(super, ",", &save4) : NULL; o; o = strtok_r(NULL, ",", &save4)) {
                        if (!cc__cg_opt_kept(o))
                                continue;
                        if (opts.len)
                                cc_buf_putc(&opts, ',');
                        cc_buf_puts(&opts, o);
                }
                bool v2 = cc_streq(fstype, "cgroup2");
                cc__cgroupfs_cache.h[cc__cgroupfs_cache.n++] = (struct cc_plan_cgroupfs){
                        .name = cc_xstrdup(name),
                        .v2 = v2,
                        .opts = cc_buf_steal(&opts),
                };
        }
}

void cc_rootfs_cgroupfs_list(struct cc_plan *p)
{
        pthread_mutex_lock(&cc__cgroupfs_cache.lock);
        if (!cc__cgroupfs_cache.done) {
                cc__cgroupfs_scan();
                cc__cgroupfs_cache.done = true;
        }
        p->n_cgroupfs = cc__cgroupfs_cache.n;
        for (size_t i = 0; i < p->n_cgroupfs; i++) {
                const struct cc_plan_cgroupfs *h = &cc__cgroupfs_cache.h[i];
                cc_strv_push(&p->owned, h->opts);
                const char *opts = p->owned.v[p->owned.n - 1];
                cc_strv_push(&p->owned, h->name);
                p->cgroupfs[i] = (struct cc_plan_cgroupfs){
                        .name = p->owned.v[p->owned.n - 1],
                        .v2 = h->v2,
                        .opts = h->v2 ? "" : opts,
                };
        }
        pthread_mutex_unlock(&cc__cgroupfs_cache.lock);
}

/* ---- Child ---- */

int cc_rootfs_attach(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        if (move_mount(p->rootfs_fd, "", AT_FDCWD, p->attach_dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return cc_child_fail(ch, errno, "attach overlay at", p->attach_dir);
        ch->rootfd = p->rootfs_fd;
        return 0;
}

/* Make a directory mountpoint inside the root and mount a kernel filesystem on it. */
static int cc__mount_fs_at(struct cc_child *ch, const char *target, const char *fstype, const char *source,
                           unsigned long flags, const char *data)
{
        int fd = cc_mnt_mkdir_in_root(ch->rootfd, target, 0755);
        if (fd < 0)
                return cc_child_fail(ch, -fd, "create mountpoint", target);
        int r = cc_mnt_fs(fstype, source, fd, flags, data);
        close(fd);
        if (r < 0) {
                char what[64] = "mount ";
                cc_str_cat(what, sizeof(what), fstype);
                cc_str_cat(what, sizeof(what), " on");
                return cc_child_fail(ch, -r, what, target);
        }
        return 0;
}

/* ipc: host: the host's /dev/shm, as Docker shares it */
static int cc__bind_host_shm(struct cc_child *ch)
{
        int fd = cc_mnt_mkdir_in_root(ch->rootfd, "/dev/shm", 0755);
        if (fd < 0)
                return cc_child_fail(ch, -fd, "create mountpoint", "/dev/shm");
        int r = cc_mnt_bind(AT_FDCWD, "/dev/shm", fd, true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        close(fd);
        return r < 0 ? cc_child_fail(ch, -r, "bind the host's /dev/shm on", "/dev/shm") : 0;
}

int cc_rootfs_proc(struct cc_child *ch)
{
        return cc__mount_fs_at(ch, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

int cc_rootfs_sys(struct cc_child *ch)
{
        unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (!ch->plan->spec->privileged)
                flags |= MS_RDONLY;
        return cc__mount_fs_at(ch, "/sys", "sysfs", "sysfs", flags, NULL);
}

void cc_rootfs_cgroupfs_probe(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        ch->cgroupfs_own = 0;
        if (!p->n_cgroupfs || !p->cgroup_name)
                return;
        char buf[8192];
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        size_t len = 0;
        ssize_t n;
        while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) n;
        close(fd);
        buf[len] = '\0';
        size_t cglen = strlen(p->cgroup_name);
        for (char *line = buf; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                /* "N:controllers:/path" */
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (c2) {
                        *c2 = '\0';
                        const char *ctrls = c1 + 1, *path = c2 + 1;
                        size_t plen = strlen(path);
                        bool own = plen > cglen && path[plen - cglen - 1] == '/' &&
                                   strcmp(path + plen - cglen, p->cgroup_name) == 0;
                        for (size_t i = 0; own && i < p->n_cgroupfs; i++)
                                if (p->cgroupfs[i].v2 ? !*ctrls : strcmp(ctrls, p->cgroupfs[i].opts) == 0)
                                        ch->cgroupfs_own |= 1u << i;
                }
                line = nl ? nl + 1 : NULL;
        }
}

int cc_rootfs_cgroupfs(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        if (!ch->cgroupfs_own)
                return 0;
        unsigned long ro = p->spec->privileged ? 0 : MS_RDONLY;
        unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
        /* A cgroup2-only host: the one hierarchy at /sys/fs/cgroup. */
        for (size_t i = 0; i < p->n_cgroupfs; i++)
                if (!*p->cgroupfs[i].name && (ch->cgroupfs_own & (1u << i)))
                        return cc__mount_fs_at(ch, "/sys/fs/cgroup", "cgroup2", "cgroup", flags | ro, NULL);
        /* v1 / hybrid: a tmpfs with one mount per hierarchy, as Docker. */
        int r = cc__mount_fs_at(ch, "/sys/fs/cgroup", "tmpfs", "tmpfs", flags, "mode=755");
        if (r < 0)
                return r;
        _cleanup_close_ int cgfd = cc_mnt_open_in_root(ch->rootfd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, 0);
        if (cgfd < 0)
                return cc_child_fail(ch, -cgfd, "open", "/sys/fs/cgroup");
        for (size_t i = 0; i < p->n_cgroupfs; i++) {
                const struct cc_plan_cgroupfs *h = &p->cgroupfs[i];
                if (!(ch->cgroupfs_own & (1u << i)) || !*h->name)
                        continue;
                char target[256] = "/sys/fs/cgroup/";
                cc_str_cat(target, sizeof(target), h->name);
                r = cc__mount_fs_at(ch, target, h->v2 ? "cgroup2" : "cgroup", "cgroup", flags | ro,
                                    h->v2 ? NULL : h->opts);
                if (r < 0)
                        return r;
        }
        if (ro && (r = cc_mnt_set_readonly(cgfd, false)) < 0)
                return cc_child_fail(ch, -r, "make read-only", "/sys/fs/cgroup");
        return 0;
}

static const char *const cc__std_devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const struct {
        const char *name;
        const char *target;
} cc__dev_links[] = {
        {"fd", "/proc/self/fd"},   {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},     {"core", "/proc/kcore"},
};

static int cc__dev_privileged(struct cc_child *ch, int devfd)
{
        const struct cc_plan *p = ch->plan;
        for (size_t i = 0; i < p->n_devs; i++) {
                const struct cc_plan_dev *d = &p->devs[i];
                const char *slash = strrchr(d->path, '/');
                int dirfd = devfd;
                if (slash) {
                        char dir[256] = "";
                        size_t len = (size_t) (slash - d->path);
                        if (len >= sizeof(dir))
                                continue;
                        memcpy(dir, d->path, len);
                        dir[len] = '\0';
                        dirfd = cc_mnt_mkdir_in_root(devfd, dir, 0755);
                        if (dirfd < 0)
                                return cc_child_fail(ch, -dirfd, "create directory /dev/", dir);
                }
                const char *name = slash ? slash + 1 : d->path;
                int r = mknodat(dirfd, name, d->mode, d->rdev);
                if (r == 0)
                        r = fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW);
                int e = errno;
                if (dirfd != devfd)
                        close(dirfd);
                if (r < 0 && e != EEXIST)
                        return cc_child_fail(ch, e, "mknod /dev/", d->path);
        }
        return 0;
}

/* Device access. Docker limits which devices a container may open with
 * the devices cgroup; here every filesystem a non-privileged container can
 * write to (the rootfs, /dev itself, tmpfs, volumes and binds) is nodev,
 * so a node it makes with CAP_MKNOD cannot be opened. The standard devices
 * and those of `devices:` are binds of the host's nodes: their own mounts,
 * without nodev. */
int cc_rootfs_dev(struct cc_child *ch)
{
        unsigned long nodev = ch->plan->spec->privileged ? 0 : MS_NODEV;
        int r = cc__mount_fs_at(ch, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME | nodev,
                                "mode=755,size=65536k");
        if (r < 0)
                return r;
        _cleanup_close_ int devfd = cc_mnt_open_in_root(ch->rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
        if (devfd < 0)
                return cc_child_fail(ch, -devfd, "open", "/dev");

        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__std_devices); i++) {
                const char *name = cc__std_devices[i];
                int fd = openat(devfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0)
                        return cc_child_fail(ch, errno, "create /dev/", name);
                close(fd);
                fd = openat(devfd, name, O_PATH | O_CLOEXEC);
                if (fd < 0)
                        return cc_child_fail(ch, errno, "open /dev/", name);
                char host[32] = "/dev/";
                cc_str_cat(host, sizeof(host), name);
                r = cc_mnt_bind(AT_FDCWD, host, fd, false, 0);
                close(fd);
                if (r < 0)
                        return cc_child_fail(ch, -r, "bind", host);
        }
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__dev_links); i++) {
                if (symlinkat(cc__dev_links[i].target, devfd, cc__dev_links[i].name) < 0)
                        return cc_child_fail(ch, errno, "symlink /dev/", cc__dev_links[i].name);
        }
        r = cc__mount_fs_at(ch, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                            "newinstance,ptmxmode=0666,mode=0620,gid=5");
        if (r < 0)
                return r;
        if (ch->plan->spec->host_ipc)
                r = cc__bind_host_shm(ch);
        else
                r = cc__mount_fs_at(ch, "/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                    ch->plan->shm_opts);
        if (r < 0)
                return r;
        r = cc__mount_fs_at(ch, "/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r < 0)
                return r;
        if (ch->plan->spec->privileged)
                return cc__dev_privileged(ch, devfd);
        return 0;
}

/* A bind of the plan: its source, or a path inside it (volume.subpath)
 * resolved there with RESOLVE_IN_ROOT and bound from what was opened. */
static int cc__bind_mount(const struct cc_plan_mount *m, int target_fd, unsigned attrs)
{
        if (!m->subpath)
                return cc_mnt_bind(AT_FDCWD, m->source, target_fd, true, attrs);
        _cleanup_close_ int dir = open(m->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        _cleanup_close_ int src = cc_mnt_open_in_root(dir, m->subpath, O_PATH, 0);
        if (src < 0)
                return src;
        return cc_mnt_bind(src, "", target_fd, true, attrs);
}

int cc_rootfs_mounts(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        for (size_t i = 0; i < p->n_mounts; i++) {
                const struct cc_plan_mount *m = &p->mounts[i];
                int fd = cc_mnt_mountpoint_in_root(ch->rootfd, m->target, m->is_dir);
                if (fd < 0)
                        return cc_child_fail(ch, -fd, "create mountpoint", m->target);
                int r;
                if (m->kind == CC_PM_BIND)
                        r = cc__bind_mount(m, fd,
                                           (m->read_only ? MOUNT_ATTR_RDONLY : 0) |
                                                   (p->spec->privileged || m->dev ? 0 : MOUNT_ATTR_NODEV));
                else
                        r = cc_mnt_fs("tmpfs", "tmpfs", fd, m->flags | (m->read_only ? MS_RDONLY : 0), m->data);
                close(fd);
                if (r < 0) {
                        char what[4200] = "";
                        if (m->kind == CC_PM_BIND) {
                                cc_str_cat(what, sizeof(what), "bind ");
                                cc_str_cat(what, sizeof(what), m->source);
                                cc_str_cat(what, sizeof(what), " on");
                        } else {
                                cc_str_cat(what, sizeof(what), "mount tmpfs on");
                        }
                        return cc_child_fail(ch, -r, what, m->target);
                }
        }
        return 0;
}

/* Docker's defaults (moby oci/defaults.go). */
static const char *const cc__masked_paths[] = {
        "/proc/asound",     "/proc/acpi",       "/proc/kcore",         "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const cc__readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

int cc_rootfs_masks(struct cc_child *ch)
{
        if (ch->plan->spec->privileged)
                return 0;
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__masked_paths); i++) {
                const char *path = cc__masked_paths[i];
                int fd = cc_mnt_open_in_root(ch->rootfd, path, O_PATH | O_NOFOLLOW, 0);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return cc_child_fail(ch, -fd, "open", path);
                struct stat st;
                int r = fstat(fd, &st) < 0 ? -errno : 0;
                if (r == 0) {
                        if (S_ISDIR(st.st_mode))
                                r = cc_mnt_fs("tmpfs", "tmpfs", fd, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                              NULL);
                        else
                                r = cc_mnt_bind(AT_FDCWD, "/dev/null", fd, false, 0);
                }
                close(fd);
                if (r < 0)
                        return cc_child_fail(ch, -r, "mask", path);
        }
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__readonly_paths); i++) {
                const char *path = cc__readonly_paths[i];
                int fd = cc_mnt_open_in_root(ch->rootfd, path, O_PATH | O_NOFOLLOW, 0);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return cc_child_fail(ch, -fd, "open", path);
                int r = cc_mnt_bind(fd, "", fd, true,
                                    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
                close(fd);
                if (r < 0)
                        return cc_child_fail(ch, -r, "make read-only", path);
        }
        return 0;
}

int cc_rootfs_pivot(struct cc_child *ch)
{
        _cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (oldroot < 0)
                return cc_child_fail(ch, errno, "open", "/");
        if (fchdir(ch->rootfd) < 0)
                return cc_child_fail(ch, errno, "chdir to", "the rootfs");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return cc_child_fail(ch, errno, "pivot_root", NULL);
        /* The old root is now stacked on "/": detach it (the mount
         * namespace is a slave of the host's, so nothing propagates back). */
        if (fchdir(oldroot) < 0)
                return cc_child_fail(ch, errno, "chdir to", "the old root");
        if (umount2(".", MNT_DETACH) < 0)
                return cc_child_fail(ch, errno, "detach", "the old root");
        if (chdir("/") < 0)
                return cc_child_fail(ch, errno, "chdir", "/");
        return 0;
}

int cc_rootfs_readonly(struct cc_child *ch)
{
        if (!ch->plan->spec->read_only)
                return 0;
        int r = cc_mnt_set_readonly(ch->rootfd, false);
        if (r < 0)
                return cc_child_fail(ch, -r, "remount / read-only", NULL);
        return 0;
}
