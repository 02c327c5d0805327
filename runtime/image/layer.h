/* Layer archives: unpack a (possibly compressed) tar stream into a directory
 * without ever writing outside it, and compute the digest of the
 * uncompressed stream (the layer's diff-id) on the way.
 * Owner: the image store. */
#ifndef CC_LAYER_H
#define CC_LAYER_H

#include <stdint.h>

#include "cc-error.h"

enum cc_layer_flags {
        CC_LAYER_WHITEOUTS = 1u << 0, /* ".wh.NAME" -> char 0/0, ".wh..wh..opq" -> opaque xattr */
        CC_LAYER_SPECIAL = 1u << 1,   /* create device nodes and fifos (else skip them) */
        CC_LAYER_OWNERS = 1u << 2,    /* chown to the entry's uid/gid, apply the root entry */
        CC_LAYER_XATTRS = 1u << 3,    /* apply extended attributes */
        CC_LAYER_WRITEBACK = 1u << 4, /* start writing each file's data to disk once it is
                                         written (the caller syncs the tree afterwards) */
        CC_LAYER_MODES = 1u << 5,     /* without CC_LAYER_OWNERS: keep the archived permission
                                         bits as they are (files stay the caller's) */
};
#define CC_LAYER_IMAGE (CC_LAYER_WHITEOUTS | CC_LAYER_SPECIAL | CC_LAYER_OWNERS | CC_LAYER_XATTRS)

/* Deepest path (in components) an archive entry may have. */
#define CC_LAYER_MAX_DEPTH 256

struct cc_layer_info {
        char diff_id[72];        /* "sha256:<hex>" of the uncompressed stream */
        const char *compression; /* "gzip", "zstd", "xz", "bzip2" or NULL (plain tar) */
        uint64_t size;           /* bytes of regular file content */
        uint64_t entries;        /* archive entries seen */
};

/* Unpack the archive in srcfd (read from its current offset) into the
 * directory destfd, which should be empty. destfd < 0 only reads the archive
 * (checking that it parses) and fills info. Refuses, with an error naming
 * the entry, absolute paths, "..", writes through symlinks that leave the
 * directory and hard links to outside it. On failure the directory holds a
 * partial tree: callers unpack into a temporary directory. */
int cc_layer_unpack_fd(int srcfd, int destfd, unsigned flags, struct cc_layer_info *info,
                       struct cc_error *err);
int cc_layer_unpack_mem(const void *buf, size_t len, int destfd, unsigned flags,
                        struct cc_layer_info *info, struct cc_error *err);

/* Write the tree below dirfd (an overlay upper directory, or any tree) to
 * outfd as an uncompressed layer tar (POSIX pax), entries sorted by name,
 * numeric owners: overlay whiteouts (0/0 character devices) become ".wh.NAME"
 * files, an opaque directory (trusted.overlay.opaque=y) gets a
 * ".wh..wh..opq" entry, trusted.overlay.* attributes are left out, sockets
 * skipped, hard links written as separate files. info gets the stream's
 * digest (diff-id, also the blob's digest), the bytes of file content and
 * the number of entries. */
int cc_layer_write_dir(int dirfd, int outfd, struct cc_layer_info *info, struct cc_error *err);

/* Remove dirfd/name recursively, never following symlinks. Missing is fine. */
int cc_layer_rm_tree(int dirfd, const char *name, struct cc_error *err);

/* openat2(2) with O_CLOEXEC added. Returns an fd or -errno (-ENOSYS on
 * kernels before 5.6). */
int cc_openat2(int dirfd, const char *path, int oflags, unsigned long long resolve);
/* Open the directory dir (relative, "" for rootfd itself) below rootfd,
 * following no symlink at all. Returns an fd or -errno. */
int cc_open_dir_beneath(int rootfd, const char *dir);

/* Open path below rootfd for reading without leaving rootfd: symlinks are
 * resolved as if rootfd were "/". Returns an fd or -errno. */
int cc_layer_open_in_root(int rootfd, const char *path, int oflags);

#endif
