/* Container cgroups, front end: find the hierarchies, pick the backend
 * (v2 when the unified hierarchy offers memory, pids and cpu; v1
 * otherwise), and the operations that are the same for both: moving a
 * process in, counting, waiting for a kill to finish, removing
 * directories and whole trees. The backends (cgroup-v1.c, cgroup-v2.c)
 * create and limit, freeze, kill and report OOM kills.
 *
 * These functions block for bounded times (kill_all, remove_tree: up to
 * ~5 s): call them from the CLI, `down`, or a worker, never the loop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup-internal.h"

#define CC_CG_KILL_TIMEOUT_MS 5000

/* ---- small file helpers ---- */

int cc__cg_write(const char *dir, const char *file, const char *val)
{
        _cleanup_free_ char *path = cc_path_join(dir, file);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = strlen(val);
        ssize_t n = write(fd, val, len);
        int r = n < 0 ? -errno : ((size_t) n == len ? 0 : -EIO);
        close(fd);
        return r;
}

int cc__cg_writef(const char *dir, const char *file, const char *fmt, ...)
{
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        int r = cc__cg_write(dir, file, b.s);
        cc_buf_free(&b);
        return r;
}

int cc__cg_read(const char *dir, const char *file, char **out)
{
        _cleanup_free_ char *path = cc_path_join(dir, file);
        char *s = NULL;
        size_t len = 0;
        int r = cc_read_file(path, &s, &len);
        if (r < 0)
                return r;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                s[--len] = '\0';
        *out = s;
        return 0;
}

bool cc__cg_has(const char *dir, const char *file)
{
        _cleanup_free_ char *path = cc_path_join(dir, file);
        return access(path, F_OK) == 0;
}

long long cc__cg_read_key(const char *dir, const char *file, const char *key)
{
        _cleanup_free_ char *s = NULL;
        if (cc__cg_read(dir, file, &s) < 0)
                return -1;
        size_t klen = strlen(key);
        for (char *line = s; line && *line;) {
                char *nl = strchr(line, '\n');
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
                        return strtoll(line + klen + 1, NULL, 10);
                line = nl ? nl + 1 : NULL;
        }
        return -1;
}

static int cc__cg_pid_cmp(const void *a, const void *b)
{
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
        return x < y ? -1 : x > y;
}

int cc__cg_read_pids(const char *dir, pid_t **pids, size_t *n)
{
        _cleanup_free_ char *s = NULL;
        int r = cc__cg_read(dir, "cgroup.procs", &s);
        if (r < 0)
                return r;
        size_t cap = *n;
        for (char *p = s; *p;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (v > 0) {
                        if (*n == cap) {
                                cap = cap ? 2 * cap : 16;
                                *pids = cc_xrealloc(*pids, cap * sizeof(**pids));
                        }
                        (*pids)[(*n)++] = (pid_t) v;
                }
                p = end;
                while (*p == '\n')
                        p++;
        }
        /* v1 lists may repeat a pid, and callers merge several lists: keep each once. */
        if (*n > 1) {
                qsort(*pids, *n, sizeof(**pids), cc__cg_pid_cmp);
                size_t k = 1;
                for (size_t i = 1; i < *n; i++)
                        if ((*pids)[i] != (*pids)[k - 1])
                                (*pids)[k++] = (*pids)[i];
                *n = k;
        }
        return 0;
}

int cc__cg_kill_procs(const char *dir)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = cc__cg_read_pids(dir, &pids, &n);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        int sent = 0;
        for (size_t i = 0; i < n; i++)
                if (kill(pids[i], SIGKILL) == 0)
                        sent++;
        return sent;
}

void cc__cg_walk(const char *dir, struct cc_strv *out)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_type != DT_DIR || cc_streq(e->d_name, ".") || cc_streq(e->d_name, ".."))
                        continue;
                _cleanup_free_ char *sub = cc_path_join(dir, e->d_name);
                cc__cg_walk(sub, out);
        }
        closedir(d);
        cc_strv_push(out, dir);
}

static int cc__cg_mkdirs_once(const char *root, const char *name,
                              int (*level_cb)(const char *parent, const char *dir), struct cc_error *err)
{
        _cleanup_free_ char *parent = cc_xstrdup(root);
        const char *p = name;
        while (*p) {
                size_t k = strcspn(p, "/");
                _cleanup_free_ char *part = cc_xstrndup(p, k);
                char *dir = cc_path_join(parent, part);
                if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                        int r = cc_error_setsys(err, -errno, "create %s", dir);
                        free(dir);
                        return r;
                }
                int r = level_cb ? level_cb(parent, dir) : 0;
                if (r < 0) {
                        cc_error_setsys(err, r, "prepare %s", dir);
                        free(dir);
                        return r;
                }
                free(parent);
                parent = dir;
                p += k;
                while (*p == '/')
                        p++;
        }
        return 0;
}

int cc__cg_mkdirs(const char *root, const char *name, int (*level_cb)(const char *parent, const char *dir),
                  struct cc_error *err)
{
        /* A parent removed by a concurrent remove_tree of a sibling: start over. */
        for (int attempt = 0;; attempt++) {
                int r = cc__cg_mkdirs_once(root, name, level_cb, err);
                if (r != -ENOENT || attempt == 3)
                        return r;
        }
}

char *cc__cg_root_of(const struct cc_cgroup *cg, size_t i)
{
        size_t dl = strlen(cg->dirs[i]), nl = strlen(cg->name);
        return cc_xstrndup(cg->dirs[i], dl > nl ? dl - nl - 1 : 0);
}

void cc__cg_backoff(unsigned attempt)
{
        long ms = attempt < 20 ? 1 : (attempt < 60 ? 5 : 20);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

long long cc__cg_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cc__cg_cpu_max(const struct cc_cgroup_limits *lim, long long *quota, long long *period)
{
        /* Docker: NanoCPUs -> CFS period 100 ms, quota = cpus * period;
         * CpuQuota and CpuPeriod as they are. */
        *period = lim->cpu_period > 0 ? lim->cpu_period : 100000;
        *quota = lim->cpu_quota > 0 ? lim->cpu_quota : -1;
        if (lim->cpus > 0)
                *quota = (long long) (lim->cpus * 100000.0 + 0.5);
        return lim->cpus > 0 || lim->cpu_quota > 0 || lim->cpu_period > 0;
}

/* ---- pure helpers exported for the orchestrator and tests ---- */

static int cc__cg_ncpus(void)
{
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                return CPU_COUNT(&set);
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (int) n : 1;
}

int cc_cgroup_validate_limits(const struct cc_cgroup_limits *lim, struct cc_error *err)
{
        const long long min_mem = 6LL * 1024 * 1024;

        if (!lim)
                return 0;
        /* Docker's checks and messages (daemon/daemon_unix.go verifyPlatformContainerResources). */
        if (lim->memory < 0)
                return cc_error_set(err, -EINVAL, "mem_limit: invalid value %lld", lim->memory);
        if (lim->memory > 0 && lim->memory < min_mem)
                return cc_error_set(err, -EINVAL, "mem_limit: minimum memory limit allowed is 6MB");
        if (lim->memory_swap > 0 && lim->memory == 0)
                return cc_error_set(err, -EINVAL,
                                    "memswap_limit: you should always set the memory limit when using memoryswap limit");
        if (lim->memory_swap > 0 && lim->memory_swap < lim->memory)
                return cc_error_set(err, -EINVAL,
                                    "memswap_limit: minimum memoryswap limit should be larger than memory limit");
        if (lim->memory_swap < -1)
                return cc_error_set(err, -EINVAL, "memswap_limit: invalid value %lld", lim->memory_swap);
        if (lim->memory_reservation < 0)
                return cc_error_set(err, -EINVAL, "mem_reservation: invalid value %lld", lim->memory_reservation);
        if (lim->memory > 0 && lim->memory_reservation > 0 && lim->memory < lim->memory_reservation)
                return cc_error_set(err, -EINVAL,
                                    "mem_limit: minimum memory limit can not be less than memory reservation limit");
        if (!(lim->cpus >= 0))
                return cc_error_set(err, -EINVAL, "cpus: invalid value %g", lim->cpus);
        if (lim->cpus > 0) {
                int n = cc__cg_ncpus();
                if (lim->cpus < 0.01 || lim->cpus > n)
                        return cc_error_set(err, -EINVAL,
                                            "cpus: range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available",
                                            n, n);
        }
        if (lim->cpus > 0 && (lim->cpu_quota > 0 || lim->cpu_period > 0))
                return cc_error_set(err, -EINVAL, "cpus: conflicting options: cpus and cpu_%s cannot both be set",
                                    lim->cpu_period > 0 ? "period" : "quota");
        if (lim->cpu_period != 0 && (lim->cpu_period < 1000 || lim->cpu_period > 1000000))
                return cc_error_set(err, -EINVAL,
                                    "cpu_period: CPU cfs period can not be less than 1ms (i.e. 1000) or larger than "
                                    "1 second (i.e. 1000000)");
        if (lim->cpu_quota < 0 || (lim->cpu_quota > 0 && lim->cpu_quota < 1000))
                return cc_error_set(err, -EINVAL, "cpu_quota: CPU cfs quota can not be less than 1ms (i.e. 1000)");
        if (lim->cpu_shares < 0)
                return cc_error_set(err, -EINVAL, "cpu_shares: invalid value %lld", lim->cpu_shares);
        if (lim->has_swappiness && (lim->swappiness < 0 || lim->swappiness > 100))
                return cc_error_set(err, -EINVAL,
                                    "mem_swappiness: invalid value: %d, valid memory swappiness range is 0-100",
                                    lim->swappiness);
        return 0;
}

/* Natural logarithm and exponential, enough for the weight conversion
 * below without linking libm. */
static double cc__cg_ln(double x)
{
        const double ln2 = 0.69314718055994530942;
        int e = 0;
        while (x >= 2.0) {
                x /= 2.0;
                e++;
        }
        while (x < 1.0) {
                x *= 2.0;
                e--;
        }
        /* ln(x) = 2 atanh((x-1)/(x+1)), |z| <= 1/3 */
        double z = (x - 1.0) / (x + 1.0), z2 = z * z, term = z, sum = 0.0;
        for (int k = 1; k < 60; k += 2) {
                sum += term / k;
                term *= z2;
        }
        return 2.0 * sum + e * ln2;
}

static double cc__cg_exp(double y)
{
        const double ln2 = 0.69314718055994530942;
        int k = (int) (y / ln2 + (y >= 0 ? 0.5 : -0.5));
        double r = y - k * ln2, term = 1.0, sum = 1.0;
        for (int i = 1; i < 30; i++) {
                term *= r / i;
                sum += term;
        }
        for (; k > 0; k--)
                sum *= 2.0;
        for (; k < 0; k++)
                sum /= 2.0;
        return sum;
}

/* The conversion runc and crun use: 2 -> 1, 1024 -> 100 (both defaults),
 * 262144 -> 10000, logarithmic (quadratic in log2) in between:
 * weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares). */
uint64_t cc_cgroup_shares_to_weight(uint64_t shares)
{
        if (shares == 0)
                return 0;
        if (shares <= 2)
                return 1;
        if (shares >= 262144)
                return 10000;
        double l = cc__cg_ln((double) shares) / cc__cg_ln(2.0);
        double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
        double w = cc__cg_exp(exponent * cc__cg_ln(10.0));
        /* Ceil, but a value a rounding error above an integer is that integer. */
        uint64_t floor_w = (uint64_t) w;
        uint64_t weight = w - (double) floor_w < 1e-9 ? floor_w : floor_w + 1;
        return weight < 1 ? 1 : (weight > 10000 ? 10000 : weight);
}

/* ---- host detection ---- */

static const char *const cc__cg_ctrl_names[CC_CG_NCTRL] = {
        [CC_CG_MEMORY] = "memory", [CC_CG_CPU] = "cpu",         [CC_CG_CPUACCT] = "cpuacct",
        [CC_CG_PIDS] = "pids",     [CC_CG_FREEZER] = "freezer", [CC_CG_CPUSET] = "cpuset",
        [CC_CG_BLKIO] = "blkio",
};

static bool cc__cg_word_in(const char *list, const char *word, const char *seps)
{
        size_t wl = strlen(word);
        for (const char *p = list; *p;) {
                size_t k = strcspn(p, seps);
                if (k == wl && strncmp(p, word, wl) == 0)
                        return true;
                p += k;
                while (*p && strchr(seps, *p))
                        p++;
        }
        return false;
}

static void cc__cg_host_free(struct cc_cg_host *h)
{
        for (int i = 0; i < CC_CG_NCTRL; i++)
                free(h->mnt[i]);
        free(h->unified);
        memset(h, 0, sizeof(*h));
}

/* Read /proc/self/mountinfo: cgroup (v1) mounts by controller, the cgroup2 mount. */
static void cc__cg_scan_mounts(struct cc_cg_host *h)
{
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        if (cc_read_file("/proc/self/mountinfo", &s, &len) < 0)
                return;
        for (char *line = s; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                char *sep = strstr(line, " - ");
                char mnt[4096], fstype[64], opts[1024];
                if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
                    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) == 2) {
                        if (cc_streq(fstype, "cgroup2") && !h->unified)
                                h->unified = cc_xstrdup(mnt);
                        else if (cc_streq(fstype, "cgroup"))
                                for (int i = 0; i < CC_CG_NCTRL; i++)
                                        if (!h->mnt[i] && cc__cg_word_in(opts, cc__cg_ctrl_names[i], ","))
                                                h->mnt[i] = cc_xstrdup(mnt);
                }
                line = nl ? nl + 1 : NULL;
        }
}

static bool cc__cg_unified_has(const char *unified, const char *const *ctrls)
{
        _cleanup_free_ char *list = NULL;
        if (!unified || cc__cg_read(unified, "cgroup.controllers", &list) < 0)
                return false;
        for (; *ctrls; ctrls++)
                if (!cc__cg_word_in(list, *ctrls, " \n"))
                        return false;
        return true;
}

/* The hierarchies' mounts and whether the unified one offers what v2
 * needs, read once per process: they do not move while ccompose runs, and
 * every create, open and removal asks (a start asked 3-4 times, each a
 * parse of /proc/self/mountinfo). */
static pthread_mutex_t cc__cg_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cc_cg_host cc__cg_cache;
static bool cc__cg_cache_unified_ok, cc__cg_cached;

static char *cc__cg_dup(const char *s)
{
        return s ? cc_xstrdup(s) : NULL;
}

static bool cc__cg_scan_cached(struct cc_cg_host *h)
{
        static const char *const needed[] = {"memory", "pids", "cpu", NULL};
        pthread_mutex_lock(&cc__cg_cache_lock);
        if (!cc__cg_cached) {
                cc__cg_scan_mounts(&cc__cg_cache);
                cc__cg_cache_unified_ok = cc__cg_unified_has(cc__cg_cache.unified, needed);
                cc__cg_cached = true;
        }
        for (int i = 0; i < CC_CG_NCTRL; i++)
                h->mnt[i] = cc__cg_dup(cc__cg_cache.mnt[i]);
        h->unified = cc__cg_dup(cc__cg_cache.unified);
        bool unified_ok = cc__cg_cache_unified_ok;
        pthread_mutex_unlock(&cc__cg_cache_lock);
        return unified_ok;
}

static int cc__cg_host_detect(struct cc_cg_host *h, struct cc_error *err)
{
        const char *force = getenv("CCOMPOSE_CGROUP_BACKEND");

        memset(h, 0, sizeof(*h));
        bool unified_ok = cc__cg_scan_cached(h);
        if (force && *force) {
                if (cc_streq(force, "v2") && h->unified)
                        h->be = &cc_cgroup_backend_v2;
                else if (cc_streq(force, "v1") && h->mnt[CC_CG_MEMORY])
                        h->be = &cc_cgroup_backend_v1;
                else {
                        cc__cg_host_free(h);
                        return cc_error_set(err, -ENOTSUP, "cgroup: CCOMPOSE_CGROUP_BACKEND=%s: not available here",
                                            force);
                }
        } else if (unified_ok) {
                h->be = &cc_cgroup_backend_v2;
        } else if (h->mnt[CC_CG_MEMORY] || h->mnt[CC_CG_PIDS] || h->mnt[CC_CG_FREEZER]) {
                h->be = &cc_cgroup_backend_v1;
        } else if (h->unified) {
                h->be = &cc_cgroup_backend_v2;
        } else {
                return cc_error_set(err, -ENOTSUP, "cgroup: no cgroup filesystem is mounted");
        }
        return 0;
}

const char *cc_cgroup_backend(void)
{
        struct cc_cg_host h;
        struct cc_error err = {0};
        if (cc__cg_host_detect(&h, &err) < 0) {
                cc_error_clear(&err);
                return NULL;
        }
        const char *name = h.be->name;
        cc__cg_host_free(&h);
        return name;
}

/* ---- priming the move of a process ---- */

static void *cc__cg_prime_thread(void *arg)
{
        char *dir = arg;
        /* only into a cgroup that lists this process: a path that does
         * not name where it is (a cgroup namespace over a mount of the
         * host's tree) must not move it */
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        bool in = false;
        if (cc__cg_read_pids(dir, &pids, &n) == 0)
                for (size_t i = 0; i < n && !in; i++)
                        in = pids[i] == getpid();
        if (in)
                (void) cc__cg_write(dir, "cgroup.procs", "0");
        free(dir);
        return NULL;
}

static size_t cc__cg_depth(const char *path)
{
        size_t n = 0;
        for (; *path; path++)
                n += *path == '/' && path[1];
        return n;
}

/* The cgroup the priming write goes to (NULL: none). */
static char *cc__cg_prime_dir(void)
{
        struct cc_cg_host h;
        struct cc_error err = {0};
        if (cc__cg_host_detect(&h, &err) < 0) {
                cc_error_clear(&err);
                return NULL;
        }
        /* One hierarchy is enough (the lock is one for all of them): the
         * one where this process's cgroup is deepest, which lists the
         * fewest processes to check. */
        bool v2 = h.be == &cc_cgroup_backend_v2;
        _cleanup_free_ char *self = NULL;
        size_t len;
        char *dir = NULL;
        size_t best = 0;
        if (cc_read_file("/proc/self/cgroup", &self, &len) == 0) {
                for (char *line = self; line && *line;) {
                        char *nl = strchr(line, '\n');
                        if (nl)
                                *nl = '\0';
                        char *c1 = strchr(line, ':');
                        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                        line = nl ? nl + 1 : NULL;
                        if (!c2) /* "N:controllers:/path", v2: "0::/path" */
                                continue;
                        *c2 = '\0';
                        const char *mnt = NULL;
                        for (int i = 0; !v2 && !mnt && i < CC_CG_NCTRL; i++)
                                if (h.mnt[i] && cc__cg_word_in(c1 + 1, cc__cg_ctrl_names[i], ","))
                                        mnt = h.mnt[i];
                        if (v2 && !c1[1])
                                mnt = h.unified;
                        if (!mnt || (dir && cc__cg_depth(c2 + 1) <= best))
                                continue;
                        free(dir);
                        dir = cc_xasprintf("%s%s", mnt, c2 + 1);
                        best = cc__cg_depth(c2 + 1);
                }
        }
        cc__cg_host_free(&h);
        return dir;
}

void cc_cgroup_prime_move(void)
{
        char *dir = cc__cg_prime_dir();
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        if (dir && pthread_create(&t, &a, cc__cg_prime_thread, dir) != 0)
                free(dir);
        pthread_attr_destroy(&a);
}

void cc_cgroup_prime_move_wait(void)
{
        char *dir = cc__cg_prime_dir();
        if (dir)
                cc__cg_prime_thread(dir);
}

/* ---- the cgroup object ---- */

/* "ccompose/p/c": relative, no "." or ".." components, not empty. */
static int cc__cg_check_name(const char *name, char **out, struct cc_error *err)
{
        if (!name || !*name)
                return cc_error_set(err, -EINVAL, "cgroup: empty name");
        _cleanup_free_ char *clean = cc_path_clean(name);
        const char *p = clean;
        while (*p == '/')
                p++;
        if (!*p || cc_streq(p, ".") || cc_streq(p, "..") || cc_startswith(p, "../") || strstr(name, "/../") ||
            cc_endswith(name, "/..") || cc_startswith(name, "../"))
                return cc_error_set(err, -EINVAL, "cgroup: invalid name \"%s\"", name);
        *out = cc_xstrdup(p);
        return 0;
}

static int cc__cg_new(const char *name, struct cc_cgroup **out, struct cc_error *err)
{
        struct cc_cg_host host;
        _cleanup_free_ char *clean = NULL;
        int r = cc__cg_check_name(name, &clean, err);
        if (r < 0)
                return r;
        r = cc__cg_host_detect(&host, err);
        if (r < 0)
                return r;
        struct cc_cgroup *cg = cc_xcalloc(1, sizeof(*cg));
        cg->be = host.be;
        cg->name = cc_steal(&clean);
        for (int i = 0; i < CC_CG_NCTRL; i++)
                cg->ctrl_dir[i] = -1;
        cg->be->paths(cg, &host);
        cc__cg_host_free(&host);
        if (cg->ndirs == 0) {
                cc_cgroup_free(cg);
                return cc_error_set(err, -ENOTSUP, "cgroup %s: no usable hierarchy", name);
        }
        *out = cg;
        return 0;
}

void cc_cgroup_free(struct cc_cgroup *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->ndirs; i++)
                free(cg->dirs[i]);
        free(cg->name);
        free(cg);
}

int cc_cgroup_create(const char *name, const struct cc_cgroup_limits *lim, struct cc_cgroup **out,
                     struct cc_error *err)
{
        static const struct cc_cgroup_limits none = {0};
        struct cc_cgroup *cg = NULL;
        int r = cc_cgroup_validate_limits(lim, err);
        if (r < 0)
                return r;
        r = cc__cg_new(name, &cg, err);
        if (r < 0)
                return r;
        r = cg->be->create(cg, lim ? lim : &none, err);
        if (r < 0) {
                cc_error_prefix(err, "cgroup %s", cg->name);
                /* Leave nothing half-made behind. */
                for (size_t i = 0; i < cg->ndirs; i++)
                        rmdir(cg->dirs[i]);
                cc_cgroup_free(cg);
                return r;
        }
        *out = cg;
        return 0;
}

int cc_cgroup_open(const char *name, struct cc_cgroup **out, struct cc_error *err)
{
        struct cc_cgroup *cg = NULL;
        int r = cc__cg_new(name, &cg, err);
        if (r < 0)
                return r;
        /* Keep the hierarchies where the cgroup exists. */
        size_t k = 0;
        int map[CC_CG_NCTRL];
        for (size_t i = 0; i < cg->ndirs; i++) {
                struct stat st;
                if (stat(cg->dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        map[i] = (int) k;
                        cg->dirs[k++] = cg->dirs[i];
                } else {
                        map[i] = -1;
                        free(cg->dirs[i]);
                }
        }
        for (int c = 0; c < CC_CG_NCTRL; c++)
                if (cg->ctrl_dir[c] >= 0)
                        cg->ctrl_dir[c] = map[cg->ctrl_dir[c]];
        cg->ndirs = k;
        if (k == 0) {
                r = cc_error_set(err, -ENOENT, "cgroup %s: not found", cg->name);
                cc_cgroup_free(cg);
                return r;
        }
        *out = cg;
        return 0;
}

int cc_cgroup_add_pid(struct cc_cgroup *cg, pid_t pid, struct cc_error *err)
{
        for (size_t i = 0; i < cg->ndirs; i++) {
                int r = cc__cg_writef(cg->dirs[i], "cgroup.procs", "%d", (int) pid);
                if (r < 0)
                        return cc_error_setsys(err, r, "cgroup %s: add pid %d to %s", cg->name, (int) pid,
                                               cg->dirs[i]);
        }
        return 0;
}

/* Unique processes over all hierarchies (a process may have been moved into some only). */
static int cc__cg_count_dirs(char *const *dirs, size_t ndirs)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        for (size_t i = 0; i < ndirs; i++) {
                int r = cc__cg_read_pids(dirs[i], &pids, &n);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return (int) n;
}

int cc_cgroup_count(struct cc_cgroup *cg)
{
        return cc__cg_count_dirs(cg->dirs, cg->ndirs);
}

/* Wait (bounded) until no directory lists a process, re-sending SIGKILL
 * on the way for anything that slipped in (e.g. forked before a kill). */
static int cc__cg_wait_empty(char *const *dirs, size_t ndirs, const char *what, struct cc_error *err)
{
        long long deadline = cc__cg_now_ms() + CC_CG_KILL_TIMEOUT_MS;
        for (unsigned attempt = 0;; attempt++) {
                int n = cc__cg_count_dirs(dirs, ndirs);
                if (n == 0)
                        return 0;
                if (n < 0)
                        return cc_error_setsys(err, n, "cgroup %s: read processes", what);
                if (cc__cg_now_ms() > deadline)
                        return cc_error_set(err, -EBUSY, "cgroup %s: %d process(es) still running %d s after SIGKILL",
                                            what, n, CC_CG_KILL_TIMEOUT_MS / 1000);
                if (attempt % 10 == 9)
                        for (size_t i = 0; i < ndirs; i++)
                                cc__cg_kill_procs(dirs[i]);
                cc__cg_backoff(attempt);
        }
}

int cc_cgroup_kill_all(struct cc_cgroup *cg, struct cc_error *err)
{
        int r = cg->be->kill(cg, err);
        if (r < 0) {
                cc_error_prefix(err, "cgroup %s: kill", cg->name);
                return r;
        }
        return cc__cg_wait_empty(cg->dirs, cg->ndirs, cg->name, err);
}

int cc_cgroup_freeze(struct cc_cgroup *cg, bool frozen, struct cc_error *err)
{
        int r = cg->be->freeze(cg, frozen, err);
        if (r < 0)
                cc_error_prefix(err, "cgroup %s: %s", cg->name, frozen ? "freeze" : "thaw");
        return r;
}

bool cc_cgroup_oom_killed(struct cc_cgroup *cg)
{
        return cg->be->oom_killed(cg);
}

static int cc__cg_rmdir(const char *dir, const char *what, struct cc_error *err)
{
        if (rmdir(dir) == 0 || errno == ENOENT)
                return 0;
        return cc_error_setsys(err, -errno, "cgroup %s: remove %s", what, dir);
}

int cc_cgroup_destroy(struct cc_cgroup *cg, struct cc_error *err)
{
        int r = 0;
        for (size_t i = 0; i < cg->ndirs; i++) {
                int k = cc__cg_rmdir(cg->dirs[i], cg->name, r < 0 ? NULL : err);
                if (k < 0 && r == 0)
                        r = k;
        }
        cc_cgroup_free(cg);
        return r;
}

int cc_cgroup_remove_tree(const char *prefix, struct cc_error *err)
{
        struct cc_cg_host host;
        _cleanup_free_ char *clean = NULL;
        struct cc_strv dirs = {0};
        const char *roots[CC_CG_NCTRL + 1];
        int r = cc__cg_check_name(prefix, &clean, err);
        if (r < 0)
                return r;
        r = cc__cg_host_detect(&host, err);
        if (r < 0)
                return r;

        /* a tree that is gone already (its containers' cgroups went with
         * them): nothing to kill */
        size_t nroots = host.be->roots(&host, roots, CC_ARRAY_SIZE(roots));
        bool any = false;
        for (size_t i = 0; i < nroots && !any; i++) {
                _cleanup_free_ char *top = cc_path_join(roots[i], clean);
                any = access(top, F_OK) == 0;
        }
        if (!any)
                goto out;
        r = host.be->kill_tree(&host, clean, err);
        if (r < 0) {
                cc_error_prefix(err, "cgroup %s: kill", clean);
                goto out;
        }
        for (size_t i = 0; i < nroots; i++) {
                _cleanup_free_ char *top = cc_path_join(roots[i], clean);
                cc__cg_walk(top, &dirs);
        }
        r = cc__cg_wait_empty(dirs.v, dirs.n, clean, err);
        if (r < 0)
                goto out;
        /* dirs lists children before parents within each hierarchy. */
        for (size_t i = 0; i < dirs.n; i++) {
                int k = cc__cg_rmdir(dirs.v[i], clean, r < 0 ? NULL : err);
                if (k < 0 && r == 0)
                        r = k;
        }
out:
        cc_strv_free(&dirs);
        cc__cg_host_free(&host);
        return r;
}
