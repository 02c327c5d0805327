/* curl, loaded at its first use. See lazy-curl.h. */
#define CC_LAZY_LOADER
#include <pthread.h>

#include "cc-util.h"
#include "lazy-curl.h"

static struct cc_curl_api cc__curl;
static pthread_once_t cc__curl_once = PTHREAD_ONCE_INIT;

static void cc__curl_load(void)
{
        void *h = cc_dl_open("libcurl.so.4", "libcurl4", "registries");
#define CC__CURL(f) cc__curl.f = (__typeof__(cc__curl.f)) cc_dl_sym(h, "libcurl.so.4", "libcurl4", #f);
        CC_CURL_FUNCS
#undef CC__CURL
}

const struct cc_curl_api *cc_curl_api(void)
{
        pthread_once(&cc__curl_once, cc__curl_load);
        return &cc__curl;
}
