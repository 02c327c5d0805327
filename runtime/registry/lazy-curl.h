/* libcurl, loaded when first used instead of at every start: its
 * libraries (gnutls, krb5, ldap, ssh2, idn2, ...) are ~125 of the
 * binary's ~300 mappings, which every fork of the API service's fork
 * server copied and every exit and exec tore down, and their constructors
 * took ~10 ms of every CLI start. Include this instead of <curl/curl.h>:
 * each curl_* name below calls through the loaded table (without curl's
 * type-checking macros for setopt and getinfo).
 * Owner: registry pulls. */
#ifndef CC_LAZY_CURL_H
#define CC_LAZY_CURL_H

#include <curl/curl.h>

/* every function of it that ccompose calls, loaded at its first use */
#define CC_CURL_FUNCS \
        CC__CURL(curl_easy_cleanup) \
        CC__CURL(curl_easy_escape) \
        CC__CURL(curl_easy_getinfo) \
        CC__CURL(curl_easy_init) \
        CC__CURL(curl_easy_perform) \
        CC__CURL(curl_easy_setopt) \
        CC__CURL(curl_easy_strerror) \
        CC__CURL(curl_free) \
        CC__CURL(curl_getdate) \
        CC__CURL(curl_global_init) \
        CC__CURL(curl_multi_add_handle) \
        CC__CURL(curl_multi_cleanup) \
        CC__CURL(curl_multi_info_read) \
        CC__CURL(curl_multi_init) \
        CC__CURL(curl_multi_perform) \
        CC__CURL(curl_multi_poll) \
        CC__CURL(curl_multi_remove_handle) \
        CC__CURL(curl_multi_setopt) \
        CC__CURL(curl_multi_strerror) \
        CC__CURL(curl_slist_append) \
        CC__CURL(curl_slist_free_all) \
        CC__CURL(curl_url) \
        CC__CURL(curl_url_cleanup) \
        CC__CURL(curl_url_get) \
        CC__CURL(curl_url_set)

struct cc_curl_api {
#define CC__CURL(f) __typeof__(f) *f;
        CC_CURL_FUNCS
#undef CC__CURL
};

/* The library, dlopen()ed once (libcurl.so.4); a process that cannot load it
 * says so and exits 127. */
const struct cc_curl_api *cc_curl_api(void);

/* (the loader itself sees the real names) */

#ifndef CC_LAZY_LOADER
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt

#define curl_easy_cleanup (cc_curl_api()->curl_easy_cleanup)
#define curl_easy_escape (cc_curl_api()->curl_easy_escape)
#define curl_easy_getinfo (cc_curl_api()->curl_easy_getinfo)
#define curl_easy_init (cc_curl_api()->curl_easy_init)
#define curl_easy_perform (cc_curl_api()->curl_easy_perform)
#define curl_easy_setopt (cc_curl_api()->curl_easy_setopt)
#define curl_easy_strerror (cc_curl_api()->curl_easy_strerror)
#define curl_free (cc_curl_api()->curl_free)
#define curl_getdate (cc_curl_api()->curl_getdate)
#define curl_global_init (cc_curl_api()->curl_global_init)
#define curl_multi_add_handle (cc_curl_api()->curl_multi_add_handle)
#define curl_multi_cleanup (cc_curl_api()->curl_multi_cleanup)
#define curl_multi_info_read (cc_curl_api()->curl_multi_info_read)
#define curl_multi_init (cc_curl_api()->curl_multi_init)
#define curl_multi_perform (cc_curl_api()->curl_multi_perform)
#define curl_multi_poll (cc_curl_api()->curl_multi_poll)
#define curl_multi_remove_handle (cc_curl_api()->curl_multi_remove_handle)
#define curl_multi_setopt (cc_curl_api()->curl_multi_setopt)
#define curl_multi_strerror (cc_curl_api()->curl_multi_strerror)
#define curl_slist_append (cc_curl_api()->curl_slist_append)
#define curl_slist_free_all (cc_curl_api()->curl_slist_free_all)
#define curl_url (cc_curl_api()->curl_url)
#define curl_url_cleanup (cc_curl_api()->curl_url_cleanup)
#define curl_url_get (cc_curl_api()->curl_url_get)
#define curl_url_set (cc_curl_api()->curl_url_set)
#endif

#endif
