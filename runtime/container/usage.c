/* A running container's usage counters (stats). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "usage.h"

void cc_usage_parse_net_dev(const char *text, uint64_t *rx, uint64_t *tx)
{
        *rx = *tx = 0;
        /* "  eth0: RXBYTES packets errs drop fifo frame compressed multicast TXBYTES ..."
         * after two header lines (which have no ':' before their '|'). */
        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');
                const char *colon = memchr(line, ':', (size_t) (end - line));
                if (colon) {
                        const char *name = line;
                        while (*name == ' ')
                                name++;
                        bool lo = colon - name == 2 && strncmp(name, "lo", 2) == 0;
                        unsigned long long v[9];
                        if (!lo && sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                                          &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
                                *rx += v[0];
                                *tx += v[8];
                        }
                }
                line = *end ? end + 1 : NULL;
        }
}

/* Is pid in our own network namespace (the host's network)? */
static bool cc__usage_host_net(pid_t pid)
{
        char path[64];
        struct stat a, b;
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        return stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino &&
               a.st_dev == b.st_dev;
}

int cc_usage_read(const char *project, const char *id, pid_t pid, struct cc_usage *out, struct cc_error *err)
{
        memset(out, 0, sizeof(*out));
        _cleanup_free_ char *name = cc_xasprintf("ccompose/%s/%s", project, id);
        struct cc_cgroup *cg = NULL;
        int r = cc_cgroup_open(name, &cg, err);
        if (r < 0)
                return r;
        r = cc_cgroup_stats(cg, &out->cg, err);
        cc_cgroup_free(cg);
        if (r < 0 || pid <= 0 || cc__usage_host_net(pid))
                return r;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/net/dev", (int) pid);
        _cleanup_free_ char *text = NULL;
        if (cc_read_file(path, &text, NULL) == 0)
                cc_usage_parse_net_dev(text, &out->net_rx, &out->net_tx);
        return 0;
}

int cc_usage_procs(const char *project, const char *id, char **procs)
{
        static const char *const hier[] = {"pids", "memory", "freezer", "unified", ""};
        *procs = NULL;
        for (size_t k = 0; k < CC_ARRAY_SIZE(hier); k++) {
                _cleanup_free_ char *path = cc_xasprintf("/sys/fs/cgroup/%s%sccompose/%s/%s/cgroup.procs", hier[k],
                                                         *hier[k] ? "/" : "", project, id);
                if (cc_read_file(path, procs, NULL) == 0)
                        return 0;
                *procs = NULL;
        }
        return -ENOENT;
}
