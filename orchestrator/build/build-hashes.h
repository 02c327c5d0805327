/* The digests of a build context's files, kept from one build to the
 * next by their stat (as BuildKit's content hash cache does): a COPY's
 * cache key hashes the data of every file it selects, and a file whose
 * device, inode, size, mode, mtime and ctime are the ones recorded keeps
 * its recorded digest instead of being read again.
 *
 * Why a stat can stand for the data: any write, truncation, rename over
 * or chmod moves the file's ctime to the time of the change, and nothing
 * but the clock sets it back. A file is recorded only when its mtime and
 * ctime are two seconds or more before the build began, so a change after
 * it was read (in the same clock tick even) gives it a ctime it did not
 * have. A file that changed just before the build is read every time until
 * it is older. The record is a file per context directory, checked by its
 * own digest (a torn or foreign one is not used). It also holds the
 * digests of the files of the trees COPY made from the context, for the
 * next run of the same COPY to link the unchanged ones (build-copy.c). */
#ifndef CC_BUILD_HASHES_H
#define CC_BUILD_HASHES_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "cc-error.h"
#include "cc-util.h"
#include "image-digest.h"

struct cc_file_hash {
        char *rel; /* the path in the context */
        uint64_t dev, ino, size;
        int64_t mtime_s, ctime_s;
        long mtime_ns, ctime_ns;
        unsigned mode;
        char digest[CC_DIGEST_LEN + 1];
        bool keep; /* written back (changed long enough before the build) */
        bool used; /* a tree's record looked up or added by this build */
};

struct cc_file_hashes {
        char *path;           /* where they are kept */
        time_t recent;        /* files changed at or after this second are not recorded */
        struct cc_file_hash *v;
        size_t n;
        size_t *slots;        /* open addressing by rel: index + 1, 0 for free */
        size_t nslots;
        bool dirty;           /* a record to keep was added or replaced */
};

/* The records kept at path (none when it is missing or not valid), for a
 * build that began at now. */
void cc_file_hashes_load(struct cc_file_hashes *h, const char *path, time_t now);
/* The recorded digest of rel when st is the stat it was recorded with,
 * else NULL. */
const char *cc_file_hashes_get(const struct cc_file_hashes *h, const char *rel, const struct stat *st);
/* Record rel's digest (of the data read after st was taken): for the rest
 * of the build, and for the next ones unless the file changed too
 * recently. */
void cc_file_hashes_put(struct cc_file_hashes *h, const char *rel, const struct stat *st, const char *digest);
/* The files of a tree a COPY staged that became layer chain ("sha256:..."
 * of the store): the layer's chain ID names its data, so their digests
 * need no stat. get_tree: dest's digest in that layer, or NULL; put_tree:
 * staged holds "DIGEST DEST" lines. Records of trees this build neither
 * looked up nor added are dropped when the records are written back. */
const char *cc_file_hashes_get_tree(struct cc_file_hashes *h, const char *chain, const char *dest);
void cc_file_hashes_put_tree(struct cc_file_hashes *h, const char *chain, const struct cc_strv *staged);
/* Write the records back when something was added (atomically; a cache:
 * not synced, a torn file is not used). */
int cc_file_hashes_save(struct cc_file_hashes *h, struct cc_error *err);
void cc_file_hashes_free(struct cc_file_hashes *h);

#endif
