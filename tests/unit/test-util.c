/* common/util.c: cc_rm_rf_threads, the removal of a container's directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-util.h"
#include "tap.h"

static void put(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT(fd >= 0);
        ASSERT(write(fd, "x\n", 2) == 2);
        close(fd);
}

TEST(a_tree_of_many_entries_is_removed)
{
        _cleanup_free_ char *tmp = tap_tmpdir("rm");
        _cleanup_free_ char *dir = cc_path_join(tmp, "ctr");
        ASSERT(mkdir(dir, 0700) == 0);
        for (int i = 0; i < 20; i++) {
                _cleanup_free_ char *p = cc_xasprintf("%s/f%d", dir, i);
                put(p);
        }
        _cleanup_free_ char *sub = cc_xasprintf("%s/upper/etc/deep", dir);
        ASSERT(cc_mkdir_p(sub, 0755) == 0);
        _cleanup_free_ char *f = cc_xasprintf("%s/file", sub);
        put(f);
        _cleanup_free_ char *l = cc_xasprintf("%s/link", dir);
        ASSERT(symlink(tmp, l) == 0); /* removed, not followed */
        ASSERT(cc_rm_rf_threads(dir) == 0);
        ASSERT(access(dir, F_OK) < 0 && errno == ENOENT);
        ASSERT(access(tmp, F_OK) == 0);
}

TEST(missing_path_and_plain_file)
{
        _cleanup_free_ char *tmp = tap_tmpdir("rm");
        _cleanup_free_ char *none = cc_path_join(tmp, "none");
        ASSERT(cc_rm_rf_threads(none) == 0);
        _cleanup_free_ char *file = cc_path_join(tmp, "file");
        put(file);
        ASSERT(cc_rm_rf_threads(file) == 0);
        ASSERT(access(file, F_OK) < 0 && errno == ENOENT);
}

