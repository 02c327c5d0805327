/* archive, loaded at its first use. See lazy-archive.h. */
#define CC_LAZY_LOADER
#include <pthread.h>

#include "cc-util.h"
#include "lazy-archive.h"

static struct cc_archive_api cc__archive;
static pthread_once_t cc__archive_once = PTHREAD_ONCE_INIT;

static void cc__archive_load(void)
{
        void *h = cc_dl_open("libarchive.so.13", "libarchive13", "image archives");
#define CC__ARCHIVE(f) cc__archive.f = (__typeof__(cc__archive.f)) cc_dl_sym(h, "libarchive.so.13", "libarchive13", #f);
        CC_ARCHIVE_FUNCS
#undef CC__ARCHIVE
}

const struct cc_archive_api *cc_archive_api(void)
{
        pthread_once(&cc__archive_once, cc__archive_load);
        return &cc__archive;
}
