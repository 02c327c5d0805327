/* What a running container uses, for `ccompose stats`: its cgroup's
 * counters (cgroup.h) and its network namespace's interface counters. */
#ifndef CC_USAGE_H
#define CC_USAGE_H

#include <stdint.h>
#include <sys/types.h>

#include "cc-error.h"
#include "cgroup.h"

struct cc_usage {
        struct cc_cgroup_stats cg;
        uint64_t net_rx, net_tx; /* bytes over every interface but lo; 0 with the host's network */
};

/* The usage of container id of project, whose main process is pid (0: not
 * running, only the cgroup is read). -ENOENT when it has no cgroup. */
int cc_usage_read(const char *project, const char *id, pid_t pid, struct cc_usage *out, struct cc_error *err);

/* The host PIDs of every process in the container's cgroup (the text of
 * its cgroup.procs, one a line, from the first hierarchy that has it):
 * `top`. -ENOENT when it has no cgroup. */
int cc_usage_procs(const char *project, const char *id, char **procs);

/* /proc/PID/net/dev: received and transmitted bytes summed over every
 * interface but lo. Pure. */
void cc_usage_parse_net_dev(const char *text, uint64_t *rx, uint64_t *tx);

#endif
