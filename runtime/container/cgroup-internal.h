/* Shared between cgroup.c (the front end: host detection, files,
 * waiting, tree removal) and its two backends, cgroup-v1.c and
 * cgroup-v2.c. Private to the cgroup code. */
#ifndef CC_CGROUP_INTERNAL_H
#define CC_CGROUP_INTERNAL_H

#include <sys/types.h>

#include "cc-error.h"
#include "cgroup.h"

/* The controllers a container cgroup uses. */
enum cc_cg_ctrl {
        CC_CG_MEMORY,
        CC_CG_CPU,
        CC_CG_CPUACCT,
        CC_CG_PIDS,
        CC_CG_FREEZER,
        CC_CG_CPUSET,
        CC_CG_BLKIO, /* v1 blkio, v2 io: only read (stats) */
        CC_CG_NCTRL,
};

/* Where the hierarchies are mounted on this host. */
struct cc_cg_host {
        const struct cc_cgroup_backend *be;
        char *mnt[CC_CG_NCTRL]; /* v1: mount point per controller, NULL when not mounted */
        char *unified;          /* the cgroup2 mount, NULL when none */
};

struct cc_cgroup {
        const struct cc_cgroup_backend *be;
        char *name;                /* cleaned, relative: "ccompose/<project>/<id>" */
        size_t ndirs;
        char *dirs[CC_CG_NCTRL];   /* one leaf directory per hierarchy (v2: exactly one) */
        int ctrl_dir[CC_CG_NCTRL]; /* index into dirs per controller, -1 when unavailable */
};

struct cc_cgroup_backend {
        const char *name; /* "v1", "v2" */
        /* The hierarchy roots (mount points) this backend uses, deduplicated. */
        size_t (*roots)(const struct cc_cg_host *host, const char **out, size_t max);
        /* Fill cg->dirs and cg->ctrl_dir for cg->name; touches nothing. */
        void (*paths)(struct cc_cgroup *cg, const struct cc_cg_host *host);
        /* Make the directories (and parents) and apply the limits. */
        int (*create)(struct cc_cgroup *cg, const struct cc_cgroup_limits *lim, struct cc_error *err);
        int (*freeze)(struct cc_cgroup *cg, bool frozen, struct cc_error *err);
        /* Send SIGKILL to every process (without waiting for them to go). */
        int (*kill)(struct cc_cgroup *cg, struct cc_error *err);
        bool (*oom_killed)(struct cc_cgroup *cg);
        /* Usage counters (cgroup.h); a controller that is missing leaves its zeros. */
        void (*stats)(struct cc_cgroup *cg, struct cc_cgroup_stats *out);
        /* Kill everything under root/prefix (any depth) and leave it thawed. */
        int (*kill_tree)(const struct cc_cg_host *host, const char *prefix, struct cc_error *err);
};

extern const struct cc_cgroup_backend cc_cgroup_backend_v1;
extern const struct cc_cgroup_backend cc_cgroup_backend_v2;

/* ---- helpers (cgroup.c) ---- */

/* Write val to dir/file (no newline needed). 0 or -errno. */
int cc__cg_write(const char *dir, const char *file, const char *val);
int cc__cg_writef(const char *dir, const char *file, const char *fmt, ...) CC_PRINTF(3, 4);
/* Read dir/file into a NUL-terminated string with trailing whitespace cut. 0 or -errno. */
int cc__cg_read(const char *dir, const char *file, char **out);
bool cc__cg_has(const char *dir, const char *file);
/* The value of "key N" in a flat-keyed file (memory.events, memory.oom_control); -1 when absent. */
long long cc__cg_read_key(const char *dir, const char *file, const char *key);
/* Append the pids in dir/cgroup.procs to *pids (*n of them); the whole
 * array is then sorted without duplicates. 0 or -errno. */
int cc__cg_read_pids(const char *dir, pid_t **pids, size_t *n);
/* SIGKILL every process listed in dir/cgroup.procs. Returns how many were signalled, or -errno. */
int cc__cg_kill_procs(const char *dir);
/* Every cgroup directory under dir, children before parents (dir itself last). */
void cc__cg_walk(const char *dir, struct cc_strv *out);
/* Create every missing level of root/name (mkdir -p). level_cb, when
 * given, runs for every level (new or not) with its parent directory. */
int cc__cg_mkdirs(const char *root, const char *name, int (*level_cb)(const char *parent, const char *dir),
                  struct cc_error *err);
/* The hierarchy root (mount point) of cg->dirs[i]. Caller frees. */
char *cc__cg_root_of(const struct cc_cgroup *cg, size_t i);
/* Sleep a little, growing from 1 ms to 20 ms with attempt. */
void cc__cg_backoff(unsigned attempt);
/* Milliseconds on the monotonic clock. */
long long cc__cg_now_ms(void);
/* ---- helpers of stats (cgroup-stats.c) ---- */
/* The number in dir/file, 0 when missing (or dir NULL). */
uint64_t cc__cg_read_u64(const char *dir, const char *file);
/* mem_usage (usage_file less inactive_key of memory.stat) and mem_limit. */
void cc__cg_mem_usage(struct cc_cgroup_stats *out, const char *dir, const char *usage_file, const char *limit_file,
                      const char *inactive_key);
/* Docker's CFS quota (-1: none) and period for `cpus`, or `cpu_quota`
 * and `cpu_period`. False when none of them is set. */
bool cc__cg_cpu_max(const struct cc_cgroup_limits *lim, long long *quota, long long *period);

#endif
