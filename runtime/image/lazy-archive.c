/* archive, loaded at its first use. See lazy-archive.h. */
#define CC_LAZY_LOADER
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lazy-archive.h"

static struct cc_archive_api cc__archive;
static pthread_once_t cc__archive_once = PTHREAD_ONCE_INIT;

static void cc__archive_load(void)
{
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "ccompose: cannot load libarchive.so.13 (Debian: libarchive13), which image archives need: %s\n",
                        dlerror());
                exit(127);
        }
#define CC__ARCHIVE(f)                                                                                       \
        if (!(cc__archive.f = (__typeof__(cc__archive.f)) dlsym(h, #f))) {                                      \
                fprintf(stderr, "ccompose: libarchive.so.13 has no %s (Debian: libarchive13)\n", #f);                      \
                exit(127);                                                                                  \
        }
        CC_ARCHIVE_FUNCS
#undef CC__ARCHIVE
}

const struct cc_archive_api *cc_archive_api(void)
{
        pthread_once(&cc__archive_once, cc__archive_load);
        return &cc__archive;
}
