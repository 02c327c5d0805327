/* `user:` resolved as Docker resolves it (moby/sys/user GetExecUser):
 * "name", "uid", "name:group", "uid:gid" against the image's /etc/passwd
 * and /etc/group, read inside the rootfs (openat2 RESOLVE_IN_ROOT), with
 * the supplementary groups of a user matched by name and the extra
 * groups of `group_add`. Runs in the parent. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "container-internal.h"

/* A numeric id (a whole string of digits in range), or -1. */
static long long cc__parse_id(const char *s)
{
        if (!s || !*s)
                return -1;
        long long v = 0;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -1;
                v = v * 10 + (*p - '0');
                if (v > INT_MAX)
                        return -2;
        }
        return v;
}

/* Split a line of colon-separated fields in place; returns the count. */
static size_t cc__split_fields(char *line, char **f, size_t max)
{
        size_t n = 0;
        f[n++] = line;
        for (char *p = line; *p && n < max; p++) {
                if (*p == ':') {
                        *p = '\0';
                        f[n++] = p + 1;
                }
        }
        return n;
}

struct cc__pw {
        char *name;
        long long uid, gid;
        char *home;
};

/* First passwd entry matching (by name or uid). Returns 1 and fills *out when found. */
static int cc__passwd_find(const char *passwd, const char *name, long long uid, struct cc__pw *out)
{
        if (!passwd)
                return 0;
        _cleanup_free_ char *copy = cc_xstrdup(passwd);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                while (*line == ' ' || *line == '\t')
                        line++;
                if (!*line || *line == '#')
                        continue;
                char *f[7] = {0};
                size_t n = cc__split_fields(line, f, 7);
                if (n < 4)
                        continue;
                long long u = cc__parse_id(f[2]), g = cc__parse_id(f[3]);
                if (u < 0)
                        continue;
                if ((name && cc_streq(f[0], name)) || (!name && u == uid)) {
                        out->name = cc_xstrdup(f[0]);
                        out->uid = u;
                        out->gid = g < 0 ? 0 : g;
                        out->home = cc_xstrdup(n >= 6 && *f[5] ? f[5] : "/");
                        return 1;
                }
        }
        return 0;
}

/* Walk /etc/group: with `member`, the gids of every group listing it;
 * else the first group named `name` (or with gid `gid`). */
static void cc__group_scan(const char *group, const char *member, const char *name, long long gid, gid_t **gids,
                           size_t *n)
{
        if (!group)
                return;
        _cleanup_free_ char *copy = cc_xstrdup(group);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                while (*line == ' ' || *line == '\t')
                        line++;
                if (!*line || *line == '#')
                        continue;
                char *f[4] = {0};
                size_t nf = cc__split_fields(line, f, 4);
                if (nf < 3)
                        continue;
                long long g = cc__parse_id(f[2]);
                if (g < 0)
                        continue;
                bool match = false;
                if (member) {
                        char *save2 = NULL;
                        for (char *m = nf > 3 ? strtok_r(f[3], ",", &save2) : NULL; m; m = strtok_r(NULL, ",", &save2)) {
                                while (*m == ' ')
                                        m++;
                                if (cc_streq(m, member))
                                        match = true;
                        }
                } else if (name) {
                        match = cc_streq(f[0], name);
                } else {
                        match = g == gid;
                }
                if (!match)
                        continue;
                *gids = cc_xrealloc(*gids, (*n + 1) * sizeof(gid_t));
                (*gids)[(*n)++] = (gid_t) g;
                if (!member)
                        return;
        }
}

/* A group given as a name or number: its gid, or an error. */
static int cc__group_lookup(const char *group, const char *arg, gid_t *out, struct cc_error *err)
{
        long long num = cc__parse_id(arg);
        gid_t *gids = NULL;
        size_t n = 0;
        if (num >= 0)
                cc__group_scan(group, NULL, NULL, num, &gids, &n);
        else
                cc__group_scan(group, NULL, arg, -1, &gids, &n);
        if (n > 0) {
                *out = gids[0];
                free(gids);
                return 0;
        }
        free(gids);
        if (num == -2)
                return cc_error_set(err, -ERANGE, "group %s: id out of range", arg);
        if (num < 0)
                return cc_error_set(err, -ENOENT, "unable to find group %s: no matching entries in group file", arg);
        *out = (gid_t) num;
        return 0;
}

int cc_user_resolve_text(const char *passwd, const char *group, const char *spec, const struct cc_strv *group_add,
                         struct cc_user *out, struct cc_error *err)
{
        memset(out, 0, sizeof(*out));
        _cleanup_free_ char *user_arg = cc_xstrdup(spec ? spec : "");
        char *group_arg = strchr(user_arg, ':');
        if (group_arg)
                *group_arg++ = '\0';
        else
                group_arg = "";

        long long uid_num = cc__parse_id(user_arg);
        if (uid_num == -2)
                return cc_error_set(err, -ERANGE, "user %s: id out of range", user_arg);
        struct cc__pw pw = {0};
        int found;
        if (!*user_arg)
                found = cc__passwd_find(passwd, NULL, 0, &pw);
        else if (uid_num >= 0)
                found = cc__passwd_find(passwd, NULL, uid_num, &pw);
        else
                found = cc__passwd_find(passwd, user_arg, -1, &pw);

        if (found) {
                out->uid = (uid_t) pw.uid;
                out->gid = (gid_t) pw.gid;
                out->name = pw.name;
                out->home = pw.home;
        } else if (*user_arg) {
                if (uid_num < 0)
                        return cc_error_set(err, -ENOENT, "unable to find user %s: no matching entries in passwd file",
                                            user_arg);
                out->uid = (uid_t) uid_num;
        }
        if (!out->home)
                out->home = cc_xstrdup("/");

        int r = 0;
        gid_t *sgids = NULL;
        size_t n_sgids = 0;
        if (*group_arg) {
                r = cc__group_lookup(group, group_arg, &out->gid, err);
        } else if (out->name) {
                /* Supplementary groups only in the implicit form, as Docker. */
                cc__group_scan(group, out->name, NULL, -1, &sgids, &n_sgids);
        }
        /* The Docker daemon lists the primary group first, then the
         * supplementary ones, then group_add. */
        out->groups = cc_xcalloc(n_sgids + 1, sizeof(gid_t));
        out->groups[out->n_groups++] = out->gid;
        for (size_t i = 0; i < n_sgids; i++)
                out->groups[out->n_groups++] = sgids[i];
        free(sgids);
        for (size_t i = 0; r >= 0 && group_add && i < group_add->n; i++) {
                gid_t g;
                r = cc__group_lookup(group, group_add->v[i], &g, err);
                if (r < 0)
                        break;
                out->groups = cc_xrealloc(out->groups, (out->n_groups + 1) * sizeof(gid_t));
                out->groups[out->n_groups++] = g;
        }
        if (r < 0) {
                cc_user_free(out);
                return r;
        }
        return 0;
}

/* Read a file of the image (inside the rootfs). NULL when it does not exist. */
static int cc__read_in_root(int rootfd, const char *path, char **out, struct cc_error *err)
{
        *out = NULL;
        _cleanup_close_ int fd = cc_mnt_open_in_root(rootfd, path, O_RDONLY, 0);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return cc_error_setsys(err, fd, "open %s in the image", path);
        struct cc_buf b = {0};
        char chunk[8192];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
                cc_buf_add(&b, chunk, (size_t) n);
                if (b.len > (64u << 20)) {
                        cc_buf_free(&b);
                        return cc_error_set(err, -EFBIG, "%s in the image is too large", path);
                }
        }
        if (n < 0) {
                int e = -errno;
                cc_buf_free(&b);
                return cc_error_setsys(err, e, "read %s in the image", path);
        }
        *out = cc_buf_steal(&b);
        return 0;
}

int cc_user_resolve(int rootfd, const char *spec, const struct cc_strv *group_add, struct cc_user *out,
                    struct cc_error *err)
{
        _cleanup_free_ char *passwd = NULL;
        _cleanup_free_ char *group = NULL;
        int r = cc__read_in_root(rootfd, "/etc/passwd", &passwd, err);
        if (r >= 0)
                r = cc__read_in_root(rootfd, "/etc/group", &group, err);
        if (r < 0)
                return r;
        return cc_user_resolve_text(passwd, group, spec, group_add, out, err);
}

void cc_user_free(struct cc_user *u)
{
        free(u->name);
        free(u->home);
        free(u->groups);
        memset(u, 0, sizeof(*u));
}
