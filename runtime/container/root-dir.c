/* The modes of $CCOMPOSE_ROOT and of its top directories (root-dir.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-util.h"
#include "root-dir.h"

/* The directories that lead to container, layer, image and volume
 * contents, and the cache of compiled seccomp programs. */
static const char *const cc__root_tops[] = {"images", "layers", "containers", "volumes", "cache"};

static int cc__root_owner(const struct stat *st, const char *root, const char *what, struct cc_error *err)
{
        if (st->st_uid == geteuid())
                return 0;
        return cc_error_set(err, -EPERM,
                            "CCOMPOSE_ROOT %s: %s is owned by uid %u, not by uid %u: whoever owns it can change "
                            "what the containers run; refusing to use it",
                            root, what, (unsigned) st->st_uid, (unsigned) geteuid());
}

static int cc__root_top(int rootfd, const char *root, const char *name, struct cc_error *err)
{
        if (mkdirat(rootfd, name, 0700) < 0 && errno != EEXIST)
                return cc_error_setsys(err, -errno, "CCOMPOSE_ROOT %s: create %s", root, name);
        _cleanup_close_ int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
                return cc_error_set(err, -ENOTDIR,
                                    "CCOMPOSE_ROOT %s: %s is not a directory (a symbolic link or a file); "
                                    "refusing to use it",
                                    root, name);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return cc_error_setsys(err, -errno, "CCOMPOSE_ROOT %s: open %s", root, name);
        int r = cc__root_owner(&st, root, name, err);
        if (r < 0)
                return r;
        if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
                return cc_error_setsys(err, -errno, "CCOMPOSE_ROOT %s: chmod 0700 %s", root, name);
        return 0;
}

int cc_root_dir_secure(const char *root, struct cc_error *err)
{
        int r = cc_mkdir_p(root, 0711);
        if (r < 0)
                return cc_error_setsys(err, r, "CCOMPOSE_ROOT %s: create", root);
        /* the root itself may be a link (to another disk): followed */
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return cc_error_setsys(err, -errno, "CCOMPOSE_ROOT %s: open", root);
        r = cc__root_owner(&st, root, "the directory", err);
        if (r < 0)
                return r;
        if ((st.st_mode & S_ISVTX) && (st.st_mode & 0002))
                return cc_error_set(err, -EPERM,
                                    "CCOMPOSE_ROOT %s is a directory shared by every user (mode %04o); "
                                    "use a directory of its own",
                                    root, (unsigned) (st.st_mode & 07777));
        /* traversal only, as Docker's /var/lib/docker (0711) */
        if ((st.st_mode & 0066) && fchmod(fd, st.st_mode & 07711) < 0)
                return cc_error_setsys(err, -errno, "CCOMPOSE_ROOT %s: chmod", root);
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__root_tops); i++) {
                r = cc__root_top(fd, root, cc__root_tops[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
