/* Loading libcurl on first use (see curl_load.h). */
#include "curl_load.h"

#include <pthread.h>

#include "../base/dl.h"

struct curl_api curl_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    const struct dl_sym syms[] = {
        {"curl_easy_cleanup", &curl_api.easy_cleanup},
        {"curl_easy_getinfo", &curl_api.easy_getinfo},
        {"curl_easy_init", &curl_api.easy_init},
        {"curl_easy_pause", &curl_api.easy_pause},
        {"curl_easy_perform", &curl_api.easy_perform},
        {"curl_easy_setopt", &curl_api.easy_setopt},
        {"curl_easy_strerror", &curl_api.easy_strerror},
        {"curl_global_cleanup", &curl_api.global_cleanup},
        {"curl_global_init", &curl_api.global_init},
        {"curl_multi_add_handle", &curl_api.multi_add_handle},
        {"curl_multi_cleanup", &curl_api.multi_cleanup},
        {"curl_multi_info_read", &curl_api.multi_info_read},
        {"curl_multi_init", &curl_api.multi_init},
        {"curl_multi_perform", &curl_api.multi_perform},
        {"curl_multi_poll", &curl_api.multi_poll},
        {"curl_multi_remove_handle", &curl_api.multi_remove_handle},
        {"curl_share_cleanup", &curl_api.share_cleanup},
        {"curl_share_init", &curl_api.share_init},
        {"curl_share_setopt", &curl_api.share_setopt},
        {"curl_slist_append", &curl_api.slist_append},
        {"curl_slist_free_all", &curl_api.slist_free_all},
    };
    dl_bind("libcurl.so.4", syms, sizeof syms / sizeof *syms, load_error, sizeof load_error);
}

int curl_load(struct err *e)
{
    pthread_once(&once, load);
    if (load_error[0])
        return err_set(e, ERR_INTERNAL_ERROR, "S3 support unavailable: %s", load_error);
    return 0;
}
