/* MLflow's page tokens, both kinds, exactly as MLflow writes and reads them:
 *   - offset tokens (search runs/experiments/registry, the audit log): standard base64 of
 *     the JSON {"offset": N} (SearchUtils.create_page_token / parse_start_offset_...);
 *   - logged-model tokens: base64 of the whole request (experiment ids, filter, order_by)
 *     plus the offset, which a next request must repeat (SearchLoggedModelsPaginationToken).
 * Errors are INVALID_PARAMETER_VALUE with MLflow's messages; results are from the arena. */
#ifndef MLT_API_PAGE_TOKEN_H
#define MLT_API_PAGE_TOKEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/err.h"

/* An empty token is offset 0. Anything that does not decode to an object with a positive
 * integer "offset" (or a string holding one) is "Invalid page token, ...". */
int page_token_parse_offset(struct arena *a, const char *tok, size_t n, int64_t *offset,
                            struct err *e);
char *page_token_format_offset(struct arena *a, int64_t offset);

enum { PAGE_TOKEN_LM_MAX = 256 * 1024 };

/* The request as a logged-model token holds it: experiment_ids (strings as sent),
 * filter_string (null when empty), order_by (null when empty; else a list of
 * {field_name, ascending, dataset_name, dataset_digest}). Owned references. */
struct page_token_lm {
    json_t *experiment_ids;
    json_t *filter_string;
    json_t *order_by;
};
void page_token_lm_release(struct page_token_lm *t);
/* NULL when out of memory. */
char *page_token_lm_encode(struct arena *a, const struct page_token_lm *t, int64_t offset);
/* Decodes tok, checks it against the request t as MLflow does, and gives its offset. */
int page_token_lm_decode(struct arena *a, const char *tok, const struct page_token_lm *t,
                         int64_t *offset, struct err *e);

#endif
