/* cgroup v1 backend: one directory per hierarchy (memory, cpu[,cpuacct],
 * pids, freezer, cpuset, blkio), the limits in each controller's own files, the
 * freezer for pause and for a race-free kill. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cgroup-internal.h"

#define CC_CG_V1_FREEZE_TIMEOUT_MS 2000

static const char *cc__v1_dir(const struct cc_cgroup *cg, enum cc_cg_ctrl c)
{
        return cg->ctrl_dir[c] >= 0 ? cg->dirs[cg->ctrl_dir[c]] : NULL;
}

static size_t cc__v1_roots(const struct cc_cg_host *h, const char **out, size_t max)
{
        size_t n = 0;
        for (int c = 0; c < CC_CG_NCTRL && n < max; c++) {
                bool seen = !h->mnt[c];
                for (size_t i = 0; i < n && !seen; i++)
                        seen = cc_streq(out[i], h->mnt[c]);
                if (!seen)
                        out[n++] = h->mnt[c];
        }
        return n;
}

static void cc__v1_paths(struct cc_cgroup *cg, const struct cc_cg_host *h)
{
        for (int c = 0; c < CC_CG_NCTRL; c++) {
                if (!h->mnt[c])
                        continue;
                /* cpu and cpuacct usually share one mount: one directory. */
                for (int o = 0; o < c && cg->ctrl_dir[c] < 0; o++)
                        if (h->mnt[o] && cc_streq(h->mnt[o], h->mnt[c]))
                                cg->ctrl_dir[c] = cg->ctrl_dir[o];
                if (cg->ctrl_dir[c] < 0) {
                        cg->dirs[cg->ndirs] = cc_path_join(h->mnt[c], cg->name);
                        cg->ctrl_dir[c] = (int) cg->ndirs++;
                }
        }
}

/* A new cpuset cgroup starts with empty cpus and mems and then refuses
 * every task: copy the parent's, level by level (runc and crun do the same). */
static int cc__v1_cpuset_level(const char *parent, const char *dir)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *cur = NULL, *up = NULL;
                int r = cc__cg_read(dir, files[i], &cur);
                if (r < 0)
                        return r;
                if (*cur)
                        continue;
                r = cc__cg_read(parent, files[i], &up);
                if (r < 0)
                        return r;
                r = cc__cg_write(dir, files[i], *up ? up : "\n");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cc__v1_set(const char *dir, const char *file, struct cc_error *err, const char *fmt, ...)
        CC_PRINTF(4, 5);
static int cc__v1_set(const char *dir, const char *file, struct cc_error *err, const char *fmt, ...)
{
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        int r = cc__cg_write(dir, file, b.s);
        if (r < 0)
                cc_error_setsys(err, r, "set %s to %s", file, b.s);
        cc_buf_free(&b);
        return r;
}

static int cc__v1_need(const char *dir, const char *ctrl, const char *what, struct cc_error *err)
{
        if (dir)
                return 0;
        return cc_error_set(err, -ENOTSUP, "%s: the %s controller is not mounted", what, ctrl);
}

static int cc__v1_memory(const char *mem, const struct cc_cgroup_limits *lim, struct cc_error *err)
{
        int r;
        if (lim->memory > 0) {
                bool swap_acct = cc__cg_has(mem, "memory.memsw.limit_in_bytes");
                /* Docker: memswap_limit is memory + swap; unset means twice the memory. */
                long long total = lim->memory_swap == 0 ? 2 * lim->memory : lim->memory_swap;
                r = cc__cg_writef(mem, "memory.limit_in_bytes", "%lld", lim->memory);
                if (r == -EINVAL && swap_acct) {
                        /* A reused cgroup whose memsw limit is below the new memory limit. */
                        r = cc__v1_set(mem, "memory.memsw.limit_in_bytes", err, "%lld", total);
                        if (r < 0)
                                return r;
                        r = cc__cg_writef(mem, "memory.limit_in_bytes", "%lld", lim->memory);
                }
                if (r < 0)
                        return cc_error_setsys(err, r, "set memory.limit_in_bytes to %lld", lim->memory);
                if (swap_acct) {
                        r = cc__v1_set(mem, "memory.memsw.limit_in_bytes", err, "%lld", total);
                        if (r < 0)
                                return r;
                }
        }
        if (lim->memory_reservation > 0) {
                r = cc__v1_set(mem, "memory.soft_limit_in_bytes", err, "%lld", lim->memory_reservation);
                if (r < 0)
                        return r;
        }
        if (lim->has_swappiness && (r = cc__v1_set(mem, "memory.swappiness", err, "%d", lim->swappiness)) < 0)
                return r;
        if (lim->oom_kill_disable && (r = cc__v1_set(mem, "memory.oom_control", err, "1")) < 0)
                return r;
        return 0;
}

static int cc__v1_create(struct cc_cgroup *cg, const struct cc_cgroup_limits *lim, struct cc_error *err)
{
        const char *mem = cc__v1_dir(cg, CC_CG_MEMORY), *cpu = cc__v1_dir(cg, CC_CG_CPU),
                   *pids = cc__v1_dir(cg, CC_CG_PIDS), *cpuset = cc__v1_dir(cg, CC_CG_CPUSET);
        int r;

        for (size_t i = 0; i < cg->ndirs; i++) {
                _cleanup_free_ char *root = cc__cg_root_of(cg, i);
                bool is_cpuset = cg->ctrl_dir[CC_CG_CPUSET] == (int) i;
                r = cc__cg_mkdirs(root, cg->name, is_cpuset ? cc__v1_cpuset_level : NULL, err);
                if (r < 0)
                        return r;
        }

        if (lim->memory > 0 || lim->memory_reservation > 0 || lim->has_swappiness || lim->oom_kill_disable) {
                r = cc__v1_need(mem, "memory", "mem_limit", err);
                if (r == 0)
                        r = cc__v1_memory(mem, lim, err);
                if (r < 0)
                        return r;
        }
        long long quota, period;
        if (cc__cg_cpu_max(lim, &quota, &period)) {
                r = cc__v1_need(cpu, "cpu", lim->cpus > 0 ? "cpus" : "cpu_quota", err);
                if (r == 0)
                        r = cc__v1_set(cpu, "cpu.cfs_period_us", err, "%lld", period);
                if (r == 0)
                        r = cc__v1_set(cpu, "cpu.cfs_quota_us", err, "%lld", quota);
                if (r < 0)
                        return r;
        }
        if (lim->cpu_shares > 0) {
                r = cc__v1_need(cpu, "cpu", "cpu_shares", err);
                if (r == 0)
                        r = cc__v1_set(cpu, "cpu.shares", err, "%lld", lim->cpu_shares);
                if (r < 0)
                        return r;
        }
        if (lim->pids > 0) {
                r = cc__v1_need(pids, "pids", "pids_limit", err);
                if (r == 0)
                        r = cc__v1_set(pids, "pids.max", err, "%lld", lim->pids);
                if (r < 0)
                        return r;
        } else if (pids) {
                r = cc__v1_set(pids, "pids.max", err, "max");
                if (r < 0)
                        return r;
        }
        if (lim->cpuset && *lim->cpuset) {
                r = cc__v1_need(cpuset, "cpuset", "cpuset", err);
                if (r == 0)
                        r = cc__v1_set(cpuset, "cpuset.cpus", err, "%s", lim->cpuset);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Freeze or thaw one freezer directory. Freezing can stay in FREEZING
 * while a task is in an uninterruptible sleep: write FROZEN again, and now
 * and then thaw and retry (as runc does), bounded. */
static int cc__v1_freeze_dir(const char *dir, bool frozen)
{
        const char *want = frozen ? "FROZEN" : "THAWED";
        long long deadline = cc__cg_now_ms() + CC_CG_V1_FREEZE_TIMEOUT_MS;
        for (unsigned attempt = 0;; attempt++) {
                if (frozen && attempt > 0 && attempt % 25 == 0)
                        cc__cg_write(dir, "freezer.state", "THAWED");
                int r = cc__cg_write(dir, "freezer.state", want);
                if (r < 0)
                        return r;
                _cleanup_free_ char *state = NULL;
                r = cc__cg_read(dir, "freezer.state", &state);
                if (r < 0)
                        return r;
                if (cc_streq(state, want))
                        return 0;
                if (cc__cg_now_ms() > deadline) {
                        if (frozen)
                                cc__cg_write(dir, "freezer.state", "THAWED");
                        return -EBUSY;
                }
                cc__cg_backoff(attempt);
        }
}

static int cc__v1_freeze(struct cc_cgroup *cg, bool frozen, struct cc_error *err)
{
        const char *fr = cc__v1_dir(cg, CC_CG_FREEZER);
        if (!fr)
                return cc_error_set(err, -ENOTSUP, "the freezer controller is not mounted");
        int r = cc__v1_freeze_dir(fr, frozen);
        if (r < 0)
                return cc_error_setsys(err, r, "set freezer.state to %s", frozen ? "FROZEN" : "THAWED");
        return 0;
}

/* Freeze (so nothing forks meanwhile), SIGKILL everything, thaw (frozen
 * tasks only die once thawed). */
static int cc__v1_kill(struct cc_cgroup *cg, struct cc_error *err)
{
        const char *fr = cc__v1_dir(cg, CC_CG_FREEZER);
        bool frozen = fr && cc__v1_freeze_dir(fr, true) == 0;
        for (size_t i = 0; i < cg->ndirs; i++) {
                int r = cc__cg_kill_procs(cg->dirs[i]);
                if (r < 0) {
                        if (fr)
                                cc__v1_freeze_dir(fr, false);
                        return cc_error_setsys(err, r, "read %s/cgroup.procs", cg->dirs[i]);
                }
        }
        /* Thaw even when freezing failed half-way: a FREEZING cgroup must not stay so. */
        if (fr) {
                int r = cc__v1_freeze_dir(fr, false);
                if (r < 0 && frozen)
                        return cc_error_setsys(err, r, "thaw");
        }
        return 0;
}

static bool cc__v1_oom_killed(struct cc_cgroup *cg)
{
        const char *mem = cc__v1_dir(cg, CC_CG_MEMORY);
        return mem && cc__cg_read_key(mem, "memory.oom_control", "oom_kill") > 0;
}

static int cc__v1_kill_tree(const struct cc_cg_host *h, const char *prefix, struct cc_error *err)
{
        const char *roots[CC_CG_NCTRL];
        size_t nroots = cc__v1_roots(h, roots, CC_ARRAY_SIZE(roots));
        _cleanup_free_ char *ftop = h->mnt[CC_CG_FREEZER] ? cc_path_join(h->mnt[CC_CG_FREEZER], prefix) : NULL;
        struct stat st;
        bool have_freezer = ftop && stat(ftop, &st) == 0;

        /* Freezing the top freezes the whole subtree in v1. */
        if (have_freezer)
                cc__v1_freeze_dir(ftop, true);
        for (size_t i = 0; i < nroots; i++) {
                struct cc_strv dirs = {0};
                _cleanup_free_ char *top = cc_path_join(roots[i], prefix);
                cc__cg_walk(top, &dirs);
                for (size_t k = 0; k < dirs.n; k++)
                        cc__cg_kill_procs(dirs.v[k]);
                cc_strv_free(&dirs);
        }
        if (have_freezer) {
                /* Thaw every level: a paused container's own FROZEN state
                 * survives the parent's thaw. Parents first. */
                struct cc_strv dirs = {0};
                cc__cg_walk(ftop, &dirs);
                int r = 0;
                for (size_t k = dirs.n; k-- > 0;) {
                        int t = cc__v1_freeze_dir(dirs.v[k], false);
                        if (t < 0 && t != -ENOENT && r == 0)
                                r = cc_error_setsys(err, t, "thaw %s", dirs.v[k]);
                }
                cc_strv_free(&dirs);
                return r;
        }
        return 0;
}

static void cc__v1_stats(struct cc_cgroup *cg, struct cc_cgroup_stats *out)
{
        out->cpu_ns = cc__cg_read_u64(cc__v1_dir(cg, CC_CG_CPUACCT), "cpuacct.usage");
        cc__cg_mem_usage(out, cc__v1_dir(cg, CC_CG_MEMORY), "memory.usage_in_bytes", "memory.limit_in_bytes",
                         "total_inactive_file");
        out->pids = cc__cg_read_u64(cc__v1_dir(cg, CC_CG_PIDS), "pids.current");
        const char *blkio = cc__v1_dir(cg, CC_CG_BLKIO);
        _cleanup_free_ char *io = NULL;
        if (blkio && cc__cg_read(blkio, "blkio.throttle.io_service_bytes", &io) == 0)
                cc_cgroup_parse_blkio(io, &out->blk_read, &out->blk_write);
}

const struct cc_cgroup_backend cc_cgroup_backend_v1 = {
        .stats = cc__v1_stats,
        .name = "v1",
        .roots = cc__v1_roots,
        .paths = cc__v1_paths,
        .create = cc__v1_create,
        .freeze = cc__v1_freeze,
        .kill = cc__v1_kill,
        .oom_killed = cc__v1_oom_killed,
        .kill_tree = cc__v1_kill_tree,
};
