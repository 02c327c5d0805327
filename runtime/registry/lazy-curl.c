/* curl, loaded at its first use. See lazy-curl.h. */
#define CC_LAZY_LOADER
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lazy-curl.h"

static struct cc_curl_api cc__curl;
static pthread_once_t cc__curl_once = PTHREAD_ONCE_INIT;

static void cc__curl_load(void)
{
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "ccompose: cannot load libcurl.so.4 (Debian: libcurl4), which registries need: %s\n",
                        dlerror());
                exit(127);
        }
#define CC__CURL(f)                                                                                       \
        if (!(cc__curl.f = (__typeof__(cc__curl.f)) dlsym(h, #f))) {                                      \
                fprintf(stderr, "ccompose: libcurl.so.4 has no %s (Debian: libcurl4)\n", #f);                      \
                exit(127);                                                                                  \
        }
        CC_CURL_FUNCS
#undef CC__CURL
}

const struct cc_curl_api *cc_curl_api(void)
{
        pthread_once(&cc__curl_once, cc__curl_load);
        return &cc__curl;
}
