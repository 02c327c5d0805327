/* Copying files out of and into a root directory as tar streams, as
 * `docker cp` does: the host's tree, or a running container's (its root
 * seen through /proc/PID/root, its volumes included, or a stopped one's
 * overlay mounted again).
 *
 * A root is a directory descriptor, or AT_FDCWD for the host. Paths in a
 * container's root are resolved with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): ".." and absolute symlinks stop at the root, so
 * nothing the container holds leads outside it. Below the named path no
 * symlink is ever followed (each entry is opened with O_NOFOLLOW relative
 * to its directory), and archives are extracted with the layer unpacker,
 * which writes through no symlink that leaves the destination. */
#ifndef CC_COPY_H
#define CC_COPY_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cc-error.h"

/* The root of a running container: an O_PATH descriptor of
 * /proc/PID/root (the caller checks afterwards that pid is still the
 * container's process). */
int cc_copy_container_root(pid_t pid, int *out, struct cc_error *err);

/* The root of a container that is not running: its overlay (the image's
 * layers, lowest first, under the container's own dir/upper and
 * dir/work, made when it never started) mounted afresh as a detached
 * mount that goes away when *out is closed. Its volumes and secrets are
 * not in it. The container must
 * not start meanwhile (one upper directory in two overlays is undefined). */
int cc_copy_stopped_root(const struct cc_strv *layers, const char *dir, int *out, struct cc_error *err);

/* Open path under root with oflags (O_CLOEXEC added): resolved in the root
 * for a container, as given for the host. follow: follow a final symlink.
 * Returns the fd or -errno (no message: callers say what was missing). */
int cc_copy_open(int root, const char *path, int oflags, bool follow);

/* Write a tar archive (POSIX pax) of path under root to outfd. The entry
 * of path itself is named name; with name ".", a directory's contents are
 * archived at the top. follow: follow path when it is a symlink (never
 * below it). Mount points of procfs and sysfs are archived as empty
 * directories. Numeric owners only; sockets are skipped. */
int cc_copy_tar(int root, const char *path, bool follow, const char *name, int outfd, struct cc_error *err);

/* Extract the (possibly compressed) tar archive read from infd into the
 * directory dirfd, writing through no symlink that leads out of it, with
 * the archived permission bits; keep_owner: the archived uid and gid (else
 * the files are the caller's). host: dirfd is on the host, where device
 * nodes and FIFOs of the archive are skipped (a container could otherwise
 * plant a node of a host disk there). */
int cc_copy_untar(int infd, int dirfd, bool keep_owner, bool host, struct cc_error *err);

/* docker's noOverwriteDirNonDir: would extracting the archive read from
 * infd into dir (under root) put a directory where a non-directory is, or
 * the reverse? -EEXIST naming both when it would (docker's message), 0 when
 * not. infd is read to its end (rewind it to extract). */
int cc_copy_check_overwrite(int infd, int root, const char *dir, struct cc_error *err);

#endif
