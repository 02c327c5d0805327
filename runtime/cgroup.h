/* Per-container cgroups: v2 where the host has the unified hierarchy with
 * controllers, v1 otherwise (these machines are v1 hybrid). One backend
 * table per version. Owner: security/cgroups (runtime/cgroup*.c). */
#ifndef CC_CGROUP_H
#define CC_CGROUP_H

#include <sys/types.h>

#include "cc-error.h"

struct cc_cgroup_limits {
        long long memory;        /* bytes, 0 = unlimited (mem_limit) */
        long long memory_swap;   /* bytes incl. memory, 0 = default, -1 = unlimited (memswap_limit) */
        long long memory_reservation; /* bytes, 0 = none */
        double cpus;             /* 0 = unlimited (cpus) */
        long long cpu_shares;    /* 0 = default (cpu_shares) */
        long long pids;          /* 0 = unlimited, -1 = unlimited (pids_limit) */
        const char *cpuset;      /* NULL = inherit */
};

struct cc_cgroup;

/* Create the container's cgroup(s) named after `name` (e.g.
 * "ccompose/<project>/<container-id>") under every needed hierarchy, with
 * the limits applied. */
int cc_cgroup_create(const char *name, const struct cc_cgroup_limits *lim, struct cc_cgroup **out,
                     struct cc_error *err);
/* Re-open an existing container cgroup by name (for down/adoption). -ENOENT if absent. */
int cc_cgroup_open(const char *name, struct cc_cgroup **out, struct cc_error *err);
/* Move pid into the cgroup(s). */
int cc_cgroup_add_pid(struct cc_cgroup *cg, pid_t pid, struct cc_error *err);
/* SIGKILL every process in the cgroup(s) and wait until it is empty (bounded). */
int cc_cgroup_kill_all(struct cc_cgroup *cg, struct cc_error *err);
int cc_cgroup_freeze(struct cc_cgroup *cg, bool frozen, struct cc_error *err);
/* Number of processes now in the cgroup (0 when empty), or negative. */
int cc_cgroup_count(struct cc_cgroup *cg);
/* Was a process in the cgroup OOM-killed (memory.events oom_kill / v1 memory.oom_control)? */
bool cc_cgroup_oom_killed(struct cc_cgroup *cg);
/* Remove the cgroup directories (they must be empty); frees cg. */
int cc_cgroup_destroy(struct cc_cgroup *cg, struct cc_error *err);
void cc_cgroup_free(struct cc_cgroup *cg);
/* Remove every cgroup under prefix (e.g. "ccompose/<project>"), killing what is left. */
int cc_cgroup_remove_tree(const char *prefix, struct cc_error *err);

#endif
