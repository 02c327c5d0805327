/* Usage counters of a container's cgroup (docker stats): the parsers of
 * the cgroupfs files, shared by both backends, and the front end. */
#include <errno.h>
#include <stdio.h>

#include "cgroup-internal.h"

long long cc_cgroup_parse_key(const char *text, const char *key)
{
        size_t klen = strlen(key);
        for (const char *line = text; line && *line;) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
                        return strtoll(line + klen + 1, NULL, 10);
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return -1;
}

void cc_cgroup_parse_blkio(const char *text, uint64_t *read, uint64_t *write)
{
        *read = *write = 0;
        for (const char *line = text; line && *line;) {
                char dev[32], op[16];
                unsigned long long v;
                if (sscanf(line, "%31s %15s %llu", dev, op, &v) == 3 && strchr(dev, ':')) {
                        if (strcmp(op, "Read") == 0)
                                *read += v;
                        else if (strcmp(op, "Write") == 0)
                                *write += v;
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
}

void cc_cgroup_parse_io_stat(const char *text, uint64_t *read, uint64_t *write)
{
        *read = *write = 0;
        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');
                for (const char *p = line; p < end;) {
                        const char *sp = memchr(p, ' ', (size_t) (end - p));
                        const char *w = sp ? sp : end;
                        if (w - p > 7 && strncmp(p, "rbytes=", 7) == 0)
                                *read += strtoull(p + 7, NULL, 10);
                        else if (w - p > 7 && strncmp(p, "wbytes=", 7) == 0)
                                *write += strtoull(p + 7, NULL, 10);
                        p = sp ? sp + 1 : end;
                }
                line = *end ? end + 1 : NULL;
        }
}

uint64_t cc_cgroup_parse_limit(const char *text)
{
        while (*text == ' ')
                text++;
        if (strncmp(text, "max", 3) == 0)
                return UINT64_MAX;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (end == text || errno == ERANGE || v >= (1ULL << 62))
                return UINT64_MAX;
        return v;
}

int cc_cgroup_stats(struct cc_cgroup *cg, struct cc_cgroup_stats *out, struct cc_error *err)
{
        memset(out, 0, sizeof(*out));
        out->mem_limit = UINT64_MAX;
        if (!cg->be->stats)
                return cc_error_set(err, -ENOTSUP, "cgroup %s: no usage counters", cg->name);
        cg->be->stats(cg, out);
        return 0;
}

/* ---- helpers of the backends ---- */

uint64_t cc__cg_read_u64(const char *dir, const char *file)
{
        _cleanup_free_ char *s = NULL;
        if (!dir || cc__cg_read(dir, file, &s) < 0)
                return 0;
        return strtoull(s, NULL, 10);
}

void cc__cg_mem_usage(struct cc_cgroup_stats *out, const char *dir, const char *usage_file, const char *limit_file,
                      const char *inactive_key)
{
        _cleanup_free_ char *stat = NULL, *limit = NULL;
        uint64_t usage = cc__cg_read_u64(dir, usage_file);
        if (dir && cc__cg_read(dir, "memory.stat", &stat) == 0) {
                long long inactive = cc_cgroup_parse_key(stat, inactive_key);
                if (inactive > 0 && (uint64_t) inactive < usage)
                        usage -= (uint64_t) inactive;
        }
        out->mem_usage = usage;
        if (dir && cc__cg_read(dir, limit_file, &limit) == 0)
                out->mem_limit = cc_cgroup_parse_limit(limit);
}
