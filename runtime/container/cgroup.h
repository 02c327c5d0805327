/* Per-container cgroups: v2 where the host has the unified hierarchy with
 * controllers, v1 otherwise (these machines are v1 hybrid). One backend
 * table per version. Owner: security/cgroups (runtime/cgroup*.c).
 *
 * Backend choice: v2 when the cgroup2 mount's cgroup.controllers lists
 * memory, pids and cpu; else v1 (directories under each of memory,
 * cpu[,cpuacct], pids, freezer, cpuset); the environment variable
 * CCOMPOSE_CGROUP_BACKEND=v1|v2 forces one (tests, debugging).
 * Names are relative to each hierarchy's root ("ccompose/<project>/<id>"
 * is /sys/fs/cgroup/memory/ccompose/<project>/<id> on v1).
 *
 * Limits, with Docker's meaning:
 *   memory             v1 memory.limit_in_bytes      v2 memory.max
 *   memory_swap        v1 memory.memsw.limit_in_bytes = memory + swap (only when swap
 *                      accounting exists); 0 = 2 x memory, -1 = unlimited
 *                      v2 memory.swap.max = memory_swap - memory (0: = memory, -1: max)
 *   memory_reservation v1 memory.soft_limit_in_bytes v2 memory.low
 *   swappiness         v1 memory.swappiness          v2 none: -ENOTSUP
 *   oom_kill_disable   v1 memory.oom_control = 1     v2 none: -ENOTSUP
 *   cpus               v1 cpu.cfs_period_us = 100000, cpu.cfs_quota_us = cpus x 100000
 *                      v2 cpu.max "quota 100000"
 *   cpu_quota/_period  the same files, as given (period 100000, quota "max" when unset)
 *   cpu_shares         v1 cpu.shares                 v2 cpu.weight (runc/crun conversion)
 *   pids               pids.max (N, or "max" when 0/-1)
 *   cpuset             cpuset.cpus (v1: cpus and mems are first copied from the parent)
 * A limit whose controller is missing fails with -ENOTSUP (not silently
 * dropped).
 *
 * kill_all and remove_tree block for a bounded time (≤ ~5 s, short
 * sleeps): call them from the CLI, `down`, or a worker thread, never on
 * the event loop. The others only read and write a few cgroupfs files. */
#ifndef CC_CGROUP_H
#define CC_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

#include "cc-error.h"

struct cc_cgroup_limits {
        long long memory;        /* bytes, 0 = unlimited (mem_limit) */
        long long memory_swap;   /* bytes incl. memory, 0 = default, -1 = unlimited (memswap_limit) */
        long long memory_reservation; /* bytes, 0 = none */
        bool has_swappiness;     /* mem_swappiness set: swappiness (0..100) */
        int swappiness;
        bool oom_kill_disable;   /* oom_kill_disable: true */
        double cpus;             /* 0 = unlimited (cpus) */
        long long cpu_quota;     /* CFS quota in µs, 0 = none (cpu_quota; not with cpus) */
        long long cpu_period;    /* CFS period in µs, 0 = 100000 (cpu_period; not with cpus) */
        long long cpu_shares;    /* 0 = default (cpu_shares) */
        long long pids;          /* 0 = unlimited, -1 = unlimited (pids_limit) */
        const char *cpuset;      /* NULL = inherit */
};

struct cc_cgroup;

/* Create the container's cgroup(s) named after `name` (e.g.
 * "ccompose/<project>/<container-id>") under every needed hierarchy, with
 * the limits applied (lim may be NULL). Parents are created as needed;
 * an existing cgroup of that name is reused. On failure nothing of the
 * leaf is left behind. */
int cc_cgroup_create(const char *name, const struct cc_cgroup_limits *lim, struct cc_cgroup **out,
                     struct cc_error *err);
/* Re-open an existing container cgroup by name (for down/adoption). -ENOENT if absent. */
int cc_cgroup_open(const char *name, struct cc_cgroup **out, struct cc_error *err);
/* Move pid into the cgroup(s). */
int cc_cgroup_add_pid(struct cc_cgroup *cg, pid_t pid, struct cc_error *err);
/* SIGKILL every process in the cgroup(s) and wait until it is empty (bounded).
 * v1: freeze, kill each process, thaw; v2: cgroup.kill. -EBUSY if processes remain. */
int cc_cgroup_kill_all(struct cc_cgroup *cg, struct cc_error *err);
int cc_cgroup_freeze(struct cc_cgroup *cg, bool frozen, struct cc_error *err);
/* Number of processes now in the cgroup (0 when empty), or negative. */
int cc_cgroup_count(struct cc_cgroup *cg);
/* Was a process in the cgroup OOM-killed (memory.events oom_kill / v1 memory.oom_control)? */
bool cc_cgroup_oom_killed(struct cc_cgroup *cg);
/* Remove the cgroup directories (they must be empty: -EBUSY otherwise);
 * frees cg in every case (re-open by name to retry). */
int cc_cgroup_destroy(struct cc_cgroup *cg, struct cc_error *err);
void cc_cgroup_free(struct cc_cgroup *cg);
/* Remove every cgroup under prefix (e.g. "ccompose/<project>"), prefix
 * included, killing (and thawing) what is left, bottom-up in every
 * hierarchy. A prefix that does not exist is not an error. */
int cc_cgroup_remove_tree(const char *prefix, struct cc_error *err);

/* Docker's checks of the limits, with its messages ("mem_limit: minimum
 * memory limit allowed is 6MB", "cpus: range of CPUs is from 0.01 to N.00,
 * ..."); cc_cgroup_create runs them too. Pure, no root needed. */
int cc_cgroup_validate_limits(const struct cc_cgroup_limits *lim, struct cc_error *err);
/* cpu_shares (v1, 2..262144) to cpu.weight (v2, 1..10000) as runc/crun
 * convert it: 2 -> 1, 1024 -> 100, 262144 -> 10000; 0 -> 0 (unset). */
uint64_t cc_cgroup_shares_to_weight(uint64_t shares);
/* What a container's cgroup used, as `docker stats` shows it. Counters
 * a hierarchy lacks stay 0. */
struct cc_cgroup_stats {
        uint64_t cpu_ns;       /* CPU time of every process, ever (v1 cpuacct.usage,
                                  v2 cpu.stat usage_usec) */
        uint64_t mem_usage;    /* bytes charged less the inactive page cache, as docker
                                  computes it (v1 memory.usage_in_bytes - total_inactive_file,
                                  v2 memory.current - inactive_file) */
        uint64_t mem_limit;    /* bytes, UINT64_MAX when unlimited */
        uint64_t pids;         /* pids.current */
        uint64_t blk_read;     /* bytes (v1 blkio.throttle.io_service_bytes, v2 io.stat) */
        uint64_t blk_write;
};
int cc_cgroup_stats(struct cc_cgroup *cg, struct cc_cgroup_stats *out, struct cc_error *err);

/* The parsers behind cc_cgroup_stats, pure. "KEY N" lines (memory.stat,
 * cpu.stat): the value of key, -1 when absent. */
long long cc_cgroup_parse_key(const char *text, const char *key);
/* v1 blkio.throttle.io_service_bytes ("8:0 Read 4096" ... "Total N"):
 * Read and Write summed over the devices. */
void cc_cgroup_parse_blkio(const char *text, uint64_t *read, uint64_t *write);
/* v2 io.stat ("8:0 rbytes=4096 wbytes=0 rios=1 ..."): rbytes and wbytes
 * summed over the devices. */
void cc_cgroup_parse_io_stat(const char *text, uint64_t *read, uint64_t *write);
/* A limit file: "max" (v2) or a number at or above 2^62 (v1's unlimited,
 * 9223372036854771712) is UINT64_MAX. */
uint64_t cc_cgroup_parse_limit(const char *text);

/* "v1" or "v2": the backend cc_cgroup_create would use here; NULL if none. */
const char *cc_cgroup_backend(void);
/* Get the kernel ready for a move of a process into a cgroup, in the
 * background: the first move after a quiet while (cc_cgroup_add_pid)
 * waits ~10-30 ms for an RCU grace period (the write side of the
 * kernel's cgroup_threadgroup_rwsem); one that follows within a grace
 * period does not. A thread writes "0" (itself) into the cgroup.procs of
 * the cgroup this process is in already (checked: it lists the process),
 * which moves nothing and starts that wait now. Call it a few ms before cc_cgroup_create and add_pid:
 * they then find the wait over or under way. Nothing happens when the
 * layout or the process's cgroup cannot be found. */
void cc_cgroup_prime_move(void);
/* The same write, in the calling thread, which it blocks for that grace
 * period (a thread of a pool, not one made for it). */
void cc_cgroup_prime_move_wait(void);

#endif
