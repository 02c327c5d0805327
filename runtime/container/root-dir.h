/* $CCOMPOSE_ROOT itself: who may reach what under it. */
#ifndef CC_ROOT_DIR_H
#define CC_ROOT_DIR_H

#include "cc-error.h"

/* Make the root safe to use, as Docker does since CVE-2021-41091: the
 * root is created (0711) when missing, and one that exists already loses
 * every read and write bit of group and others (0755 becomes 0711); its
 * top directories (images, layers, containers, volumes, cache) are
 * created or set to 0700, so no host user but root reaches a container's
 * or a layer's files by their path (a setuid binary a container wrote, for
 * one). Containers are not affected: they see their files through mounts
 * made by root. Refused with a message saying why: a root or a top
 * directory owned by another user (who could swap what lies under it), a
 * top directory that is not a directory (a symbolic link), a root that is
 * a shared directory (world-writable and sticky, like /tmp). Cheap: a few
 * stat calls; run when the image store opens and before each container
 * starts. */
int cc_root_dir_secure(const char *root, struct cc_error *err);

#endif
