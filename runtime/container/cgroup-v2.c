/* cgroup v2 backend: one directory in the unified hierarchy, controllers
 * enabled level by level through cgroup.subtree_control, cgroup.freeze
 * for pause and cgroup.kill (Linux 5.14+) for kill. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cgroup-internal.h"

#define CC_CG_V2_FREEZE_TIMEOUT_MS 2000

static size_t cc__v2_roots(const struct cc_cg_host *h, const char **out, size_t max)
{
        if (!h->unified || max == 0)
                return 0;
        out[0] = h->unified;
        return 1;
}

static void cc__v2_paths(struct cc_cgroup *cg, const struct cc_cg_host *h)
{
        if (!h->unified)
                return;
        cg->dirs[0] = cc_path_join(h->unified, cg->name);
        cg->ndirs = 1;
        for (int c = 0; c < CC_CG_NCTRL; c++)
                cg->ctrl_dir[c] = 0;
}

/* Enable in parent, for its children, the controllers a container uses
 * that parent has. Failures are left for the limit writes to report (a
 * missing controller file names what is missing). */
static int cc__v2_enable_level(const char *parent, const char *dir)
{
        static const char *const want[] = {"cpu", "cpuset", "io", "memory", "pids"};
        _cleanup_free_ char *avail = NULL, *enabled = NULL;
        if (cc__cg_read(parent, "cgroup.controllers", &avail) < 0)
                return 0;
        if (cc__cg_read(parent, "cgroup.subtree_control", &enabled) < 0)
                return 0;
        for (size_t i = 0; i < CC_ARRAY_SIZE(want); i++) {
                size_t wl = strlen(want[i]);
                bool has = false, on = false;
                for (const char *p = avail; *p && !has; p += strcspn(p, " "), p += strspn(p, " "))
                        has = strncmp(p, want[i], wl) == 0 && (p[wl] == ' ' || p[wl] == '\0');
                for (const char *p = enabled; *p && !on; p += strcspn(p, " "), p += strspn(p, " "))
                        on = strncmp(p, want[i], wl) == 0 && (p[wl] == ' ' || p[wl] == '\0');
                if (has && !on)
                        cc__cg_writef(parent, "cgroup.subtree_control", "+%s", want[i]);
        }
        return 0;
}

static int cc__v2_set(const char *dir, const char *file, const char *what, struct cc_error *err, const char *fmt,
                      ...) CC_PRINTF(5, 6);
static int cc__v2_set(const char *dir, const char *file, const char *what, struct cc_error *err, const char *fmt,
                      ...)
{
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        int r = cc__cg_write(dir, file, b.s);
        if (r == -ENOENT)
                cc_error_set(err, -ENOTSUP, "%s: %s is not available (controller not enabled)", what, file);
        else if (r < 0)
                cc_error_setsys(err, r, "%s: set %s to %s", what, file, b.s);
        cc_buf_free(&b);
        return r == -ENOENT ? -ENOTSUP : r;
}

static int cc__v2_create(struct cc_cgroup *cg, const struct cc_cgroup_limits *lim, struct cc_error *err)
{
        const char *dir = cg->dirs[0];
        _cleanup_free_ char *root = cc__cg_root_of(cg, 0);
        int r = cc__cg_mkdirs(root, cg->name, cc__v2_enable_level, err);
        if (r < 0)
                return r;

        if (lim->memory > 0) {
                r = cc__v2_set(dir, "memory.max", "mem_limit", err, "%lld", lim->memory);
                if (r < 0)
                        return r;
                /* memory.swap.max is swap alone; Docker's memswap_limit is memory + swap. */
                if (cc__cg_has(dir, "memory.swap.max")) {
                        if (lim->memory_swap == -1)
                                r = cc__v2_set(dir, "memory.swap.max", "memswap_limit", err, "max");
                        else
                                r = cc__v2_set(dir, "memory.swap.max", "memswap_limit", err, "%lld",
                                               lim->memory_swap == 0 ? lim->memory : lim->memory_swap - lim->memory);
                        if (r < 0)
                                return r;
                }
        }
        if (lim->memory_reservation > 0) {
                r = cc__v2_set(dir, "memory.low", "mem_reservation", err, "%lld", lim->memory_reservation);
                if (r < 0)
                        return r;
        }
        /* cgroup v2 has neither: refused rather than dropped */
        if (lim->has_swappiness)
                return cc_error_set(err, -ENOTSUP, "mem_swappiness: not supported with cgroup v2");
        if (lim->oom_kill_disable)
                return cc_error_set(err, -ENOTSUP, "oom_kill_disable: not supported with cgroup v2");
        long long quota, period;
        if (cc__cg_cpu_max(lim, &quota, &period)) {
                if (quota > 0)
                        r = cc__v2_set(dir, "cpu.max", lim->cpus > 0 ? "cpus" : "cpu_quota", err, "%lld %lld", quota,
                                       period);
                else
                        r = cc__v2_set(dir, "cpu.max", "cpu_period", err, "max %lld", period);
                if (r < 0)
                        return r;
        }
        if (lim->cpu_shares > 0) {
                r = cc__v2_set(dir, "cpu.weight", "cpu_shares", err, "%llu",
                               (unsigned long long) cc_cgroup_shares_to_weight((uint64_t) lim->cpu_shares));
                if (r < 0)
                        return r;
        }
        if (lim->pids > 0) {
                r = cc__v2_set(dir, "pids.max", "pids_limit", err, "%lld", lim->pids);
                if (r < 0)
                        return r;
        } else if (cc__cg_has(dir, "pids.max")) {
                r = cc__v2_set(dir, "pids.max", "pids_limit", err, "max");
                if (r < 0)
                        return r;
        }
        if (lim->cpuset && *lim->cpuset) {
                r = cc__v2_set(dir, "cpuset.cpus", "cpuset", err, "%s", lim->cpuset);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cc__v2_freeze_dir(const char *dir, bool frozen)
{
        int r = cc__cg_write(dir, "cgroup.freeze", frozen ? "1" : "0");
        if (r < 0)
                return r;
        long long deadline = cc__cg_now_ms() + CC_CG_V2_FREEZE_TIMEOUT_MS;
        for (unsigned attempt = 0;; attempt++) {
                long long v = cc__cg_read_key(dir, "cgroup.events", "frozen");
                if (v < 0 || v == (frozen ? 1 : 0))
                        return 0;
                if (cc__cg_now_ms() > deadline)
                        return -EBUSY;
                cc__cg_backoff(attempt);
        }
}

static int cc__v2_freeze(struct cc_cgroup *cg, bool frozen, struct cc_error *err)
{
        int r = cc__v2_freeze_dir(cg->dirs[0], frozen);
        if (r < 0)
                return cc_error_setsys(err, r, "set cgroup.freeze to %d", frozen ? 1 : 0);
        return 0;
}

/* cgroup.kill kills the whole subtree at once, frozen or not; without it
 * (before 5.14): freeze, SIGKILL each process, thaw. */
static int cc__v2_kill_dir(const char *dir)
{
        if (cc__cg_has(dir, "cgroup.kill"))
                return cc__cg_write(dir, "cgroup.kill", "1");
        struct cc_strv dirs = {0};
        cc__v2_freeze_dir(dir, true);
        cc__cg_walk(dir, &dirs);
        int r = 0;
        for (size_t k = 0; k < dirs.n; k++) {
                int t = cc__cg_kill_procs(dirs.v[k]);
                if (t < 0 && r == 0)
                        r = t;
        }
        cc_strv_free(&dirs);
        int t = cc__v2_freeze_dir(dir, false);
        return r < 0 ? r : t;
}

static int cc__v2_kill(struct cc_cgroup *cg, struct cc_error *err)
{
        int r = cc__v2_kill_dir(cg->dirs[0]);
        if (r < 0)
                return cc_error_setsys(err, r, "kill %s", cg->dirs[0]);
        return 0;
}

static bool cc__v2_oom_killed(struct cc_cgroup *cg)
{
        return cc__cg_read_key(cg->dirs[0], "memory.events", "oom_kill") > 0;
}

static int cc__v2_kill_tree(const struct cc_cg_host *h, const char *prefix, struct cc_error *err)
{
        if (!h->unified)
                return 0;
        _cleanup_free_ char *top = cc_path_join(h->unified, prefix);
        struct stat st;
        if (stat(top, &st) < 0)
                return 0;
        int r = cc__v2_kill_dir(top);
        if (r < 0)
                return cc_error_setsys(err, r, "kill %s", top);
        /* Leave no level frozen (a paused container's own cgroup.freeze). */
        struct cc_strv dirs = {0};
        cc__cg_walk(top, &dirs);
        for (size_t k = dirs.n; k-- > 0;)
                cc__cg_write(dirs.v[k], "cgroup.freeze", "0");
        cc_strv_free(&dirs);
        return 0;
}

static void cc__v2_stats(struct cc_cgroup *cg, struct cc_cgroup_stats *out)
{
        const char *dir = cg->dirs[0];
        _cleanup_free_ char *cpu = NULL, *io = NULL;
        if (cc__cg_read(dir, "cpu.stat", &cpu) == 0) {
                long long usec = cc_cgroup_parse_key(cpu, "usage_usec");
                out->cpu_ns = usec > 0 ? (uint64_t) usec * 1000 : 0;
        }
        cc__cg_mem_usage(out, dir, "memory.current", "memory.max", "inactive_file");
        out->pids = cc__cg_read_u64(dir, "pids.current");
        if (cc__cg_read(dir, "io.stat", &io) == 0)
                cc_cgroup_parse_io_stat(io, &out->blk_read, &out->blk_write);
}

const struct cc_cgroup_backend cc_cgroup_backend_v2 = {
        .stats = cc__v2_stats,
        .name = "v2",
        .roots = cc__v2_roots,
        .paths = cc__v2_paths,
        .create = cc__v2_create,
        .freeze = cc__v2_freeze,
        .kill = cc__v2_kill,
        .oom_killed = cc__v2_oom_killed,
        .kill_tree = cc__v2_kill_tree,
};
