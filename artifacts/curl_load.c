/* Loading libcurl on first use (see curl_load.h). */
#include "curl_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../base/banned.h"

struct curl_api curl_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

#define SYM(field, name)                                                                     \
    do {                                                                                     \
        void *p_ = dlsym(h, name);                                                           \
        if (!p_) {                                                                           \
            snprintf(load_error, sizeof load_error, "libcurl lacks %s", name);              \
            return;                                                                          \
        }                                                                                    \
        memcpy(&curl_api.field, &p_, sizeof p_);                                             \
    } while (0)

static void load(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libcurl.so.4 (%s)",
                 why ? why : "unknown");
        return;
    }
    SYM(easy_cleanup, "curl_easy_cleanup");
    SYM(easy_getinfo, "curl_easy_getinfo");
    SYM(easy_init, "curl_easy_init");
    SYM(easy_pause, "curl_easy_pause");
    SYM(easy_perform, "curl_easy_perform");
    SYM(easy_setopt, "curl_easy_setopt");
    SYM(easy_strerror, "curl_easy_strerror");
    SYM(global_cleanup, "curl_global_cleanup");
    SYM(global_init, "curl_global_init");
    SYM(multi_add_handle, "curl_multi_add_handle");
    SYM(multi_cleanup, "curl_multi_cleanup");
    SYM(multi_info_read, "curl_multi_info_read");
    SYM(multi_init, "curl_multi_init");
    SYM(multi_perform, "curl_multi_perform");
    SYM(multi_poll, "curl_multi_poll");
    SYM(multi_remove_handle, "curl_multi_remove_handle");
    SYM(share_cleanup, "curl_share_cleanup");
    SYM(share_init, "curl_share_init");
    SYM(share_setopt, "curl_share_setopt");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
}

int curl_load(struct err *e)
{
    pthread_once(&once, load);
    if (load_error[0])
        return err_set(e, ERR_INTERNAL_ERROR, "S3 support unavailable: %s", load_error);
    return 0;
}
