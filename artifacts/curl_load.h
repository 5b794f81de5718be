/* libcurl, loaded when an S3 destination is first opened rather than at program start:
 * libcurl drags in OpenSSL, Kerberos, LDAP and more, whose pages would otherwise sit in
 * every mltrack's memory, local-disk ones included. s3.c calls libcurl through the table
 * below under the usual names (the macros), so it reads as plain libcurl code. Include this
 * instead of <curl/curl.h>. */
#ifndef MLT_CURL_LOAD_H
#define MLT_CURL_LOAD_H

#define CURL_DISABLE_TYPECHECK 1 /* its macros would wrap the names below */
#include <curl/curl.h>

#include "../base/err.h"

struct curl_api {
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    CURL *(*easy_init)(void);
    CURLcode (*easy_pause)(CURL *, int);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    const char *(*easy_strerror)(CURLcode);
    void (*global_cleanup)(void);
    CURLcode (*global_init)(long);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLSHcode (*share_cleanup)(CURLSH *);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
};

/* Filled by curl_load(). */
extern struct curl_api curl_api;

/* Loads libcurl.so.4 once (thread-safe); 0, or -1 with e set when it cannot be had. */
int curl_load(struct err *e);

/* curl.h defines these three as macros that only check the argument count. */
#undef curl_easy_getinfo
#undef curl_easy_setopt
#undef curl_share_setopt
#define curl_easy_cleanup curl_api.easy_cleanup
#define curl_easy_getinfo curl_api.easy_getinfo
#define curl_easy_init curl_api.easy_init
#define curl_easy_pause curl_api.easy_pause
#define curl_easy_perform curl_api.easy_perform
#define curl_easy_setopt curl_api.easy_setopt
#define curl_easy_strerror curl_api.easy_strerror
#define curl_global_cleanup curl_api.global_cleanup
#define curl_global_init curl_api.global_init
#define curl_multi_add_handle curl_api.multi_add_handle
#define curl_multi_cleanup curl_api.multi_cleanup
#define curl_multi_info_read curl_api.multi_info_read
#define curl_multi_init curl_api.multi_init
#define curl_multi_perform curl_api.multi_perform
#define curl_multi_poll curl_api.multi_poll
#define curl_multi_remove_handle curl_api.multi_remove_handle
#define curl_share_cleanup curl_api.share_cleanup
#define curl_share_init curl_api.share_init
#define curl_share_setopt curl_api.share_setopt
#define curl_slist_append curl_api.slist_append
#define curl_slist_free_all curl_api.slist_free_all

#endif
