/* Request fields, read the same way whether they came as a GET query string or a JSON body,
 * with MLflow's rules: repeated fields are repeated query keys, ints may be quoted, bools
 * are true/false in any case, null means unset, unknown fields are ignored, and the error
 * messages are MLflow's ("Missing value for required parameter 'x'. ..."). Every function
 * returns 0 or -1 with in->e set to INVALID_PARAMETER_VALUE. */
#ifndef MLT_IN_H
#define MLT_IN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "request.h"

struct in {
    struct req *r;
    json_t *body; /* the JSON object for non-GET requests; NULL for GET */
    struct err *e;
    struct arena *a;
};

/* Parses the body of a non-GET request (empty = {}); a malformed body is an error. */
int in_init(struct in *in, struct req *r, struct err *e);
/* Reads fields from the query string only, whatever the method (raw-body uploads). */
void in_init_query(struct in *in, struct req *r, struct err *e);
void in_release(struct in *in);

/* The raw JSON value of a body field (borrowed), NULL when absent, null, or a GET. */
json_t *in_raw(struct in *in, const char *name);
/* Optional string: *out is NULL when absent or null. */
int in_str(struct in *in, const char *name, const char **out);
/* Required string: absent, null or "" is "Missing value for required parameter". */
int in_str_req(struct in *in, const char *name, const char **out);
/* run_id, falling back to run_uuid, required. */
int in_run_id(struct in *in, const char **out);
int in_i64(struct in *in, const char *name, int64_t *out, bool *present);
int in_double(struct in *in, const char *name, double *out, bool *present);
int in_bool(struct in *in, const char *name, bool *out, bool *present);
/* max_results: dflt when absent; above max, refused as MLflow's schema check refuses it
 * (the value's JSON type, or 'str' in a query string). */
int in_max_results(struct in *in, int64_t dflt, int64_t max, int64_t *out);
/* A repeated string field; *n = 0 when absent. */
int in_str_list(struct in *in, const char *name, const char ***out, size_t *n);
/* The schema check's refusal of a field's value v ("Invalid value <json> for parameter
 * '<name>' supplied:  Hint: Value was of type '<type>'. See the API docs..."); -1. */
int in_refuse(struct in *in, const char *name, const json_t *v);
/* A repeated message field of the JSON body (borrowed); NULL when absent. */
int in_array(struct in *in, const char *name, json_t **out);

/* A field's path for messages ("metrics[3]", "metrics[3].name"), built for every element
 * of a batch but read only when one is refused: a fixed buffer and no printf. Longer
 * paths are cut (they only name the place). */
struct in_path {
    char s[96];
};
const char *in_path_elem(struct in_path *p, const char *field, size_t i);
const char *in_path_sub(struct in_path *p, const char *base, const char *leaf);

/* Field helpers for objects inside arrays (tags, metrics, datasets). path is used in
 * messages, e.g. "metrics[3]". */
int obj_str(struct in *in, json_t *obj, const char *path, const char *name, bool required,
            const char **out);
int obj_i64(struct in *in, json_t *obj, const char *path, const char *name, bool required,
            int64_t *out, bool *present);
int obj_double(struct in *in, json_t *obj, const char *path, const char *name, bool required,
               double *out, bool *present);

#endif
