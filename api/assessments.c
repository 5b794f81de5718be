/* Assessments of a trace (MLflow 3's feedback and expectations): create, get, update, delete
 * under /api/3.0/mlflow/traces/{trace_id}/assessments, in MLflow's proto JSON. Values are
 * google.protobuf.Value JSON on the wire and json.dumps text in the database (api/pyjson.c);
 * an expectation that is not a plain string, number or boolean travels as serialized_value,
 * as Expectation.to_proto sends it. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "../store/traces.h"
#include "api.h"
#include "assessments.h"
#include "pyjson.h"
#include "trace_json.h"

/* ---- JSON out ---- */

/* Stored JSON text as a jansson value (NULL when it is not JSON). */
static json_t *parse_stored(const char *s)
{
    return s ? trace_json_load(s, strlen(s)) : NULL;
}

static void put_json(struct jw *w, const json_t *v);

static void put_json(struct jw *w, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        jw_obj(w);
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            jw_key(w, k);
            put_json(w, x);
        }
        jw_obj_end(w);
        break;
    }
    case JSON_ARRAY:
        jw_arr(w);
        for (size_t i = 0; i < json_array_size(v); i++)
            put_json(w, json_array_get(v, i));
        jw_arr_end(w);
        break;
    case JSON_STRING:
        jw_strn(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        jw_int(w, json_integer_value(v));
        break;
    case JSON_REAL:
        jw_double(w, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        jw_bool(w, json_is_true(v));
        break;
    default:
        jw_null(w);
    }
}

void put_assessment(struct jw *w, const struct assessment *a)
{
    char ts[40];
    jw_obj(w);
    jw_kstr(w, "assessment_id", a->assessment_id);
    jw_kstr(w, "assessment_name", a->name);
    jw_kstr(w, "trace_id", a->trace_id);
    if (a->span_id)
        jw_kstr(w, "span_id", a->span_id);
    jw_key(w, "source");
    jw_obj(w);
    jw_kstr(w, "source_type", a->source_type ? a->source_type : "SOURCE_TYPE_UNSPECIFIED");
    if (a->source_id)
        jw_kstr(w, "source_id", a->source_id);
    jw_obj_end(w);
    trace_json_timestamp(ts, sizeof ts, a->created);
    jw_kstr(w, "create_time", ts);
    trace_json_timestamp(ts, sizeof ts, a->updated);
    jw_kstr(w, "last_update_time", ts);
    json_t *v = parse_stored(a->value_json);
    if (a->type && strcmp(a->type, "expectation") == 0) {
        jw_key(w, "expectation");
        jw_obj(w);
        if (!v || json_is_object(v) || json_is_array(v) || json_is_null(v)) {
            jw_key(w, "serialized_value");
            jw_obj(w);
            jw_kstr(w, "serialization_format", "JSON_FORMAT");
            jw_kstr(w, "value", a->value_json ? a->value_json : "null");
            jw_obj_end(w);
        } else {
            jw_key(w, "value");
            put_json(w, v);
        }
        jw_obj_end(w);
    } else {
        jw_key(w, "feedback");
        jw_obj(w);
        jw_key(w, "value");
        if (v)
            put_json(w, v);
        else
            jw_null(w);
        json_t *err = parse_stored(a->error_json);
        if (err && json_is_object(err)) {
            jw_key(w, "error");
            jw_obj(w);
            static const char *const keys[] = {"error_code", "error_message", "stack_trace"};
            for (size_t i = 0; i < 3; i++) {
                json_t *x = json_object_get(err, keys[i]);
                if (json_is_string(x))
                    jw_kstr(w, keys[i], json_string_value(x));
            }
            jw_obj_end(w);
        }
        json_decref(err);
        jw_obj_end(w);
    }
    json_decref(v);
    if (a->rationale)
        jw_kstr(w, "rationale", a->rationale);
    json_t *md = parse_stored(a->metadata_json);
    if (md && json_is_object(md) && json_object_size(md)) {
        jw_key(w, "metadata");
        jw_obj(w);
        const char *k;
        json_t *x;
        json_object_foreach(md, k, x)
        {
            jw_key(w, k);
            if (json_is_string(x))
                jw_strn(w, json_string_value(x), json_string_length(x));
            else
                put_json(w, x);
        }
        jw_obj_end(w);
    }
    json_decref(md);
    if (a->overrides)
        jw_kstr(w, "overrides", a->overrides);
    jw_key(w, "valid");
    jw_bool(w, a->valid);
    jw_obj_end(w);
}

static void put_assessment_item(struct jw *w, const void *item)
{
    put_assessment(w, (const struct assessment *)item);
}

static int reply_assessment(struct ctx *c, const struct assessment *a)
{
    return reply_item(c, "assessment", put_assessment_item, a);
}

/* ---- JSON in ---- */

static const char *dump(struct ctx *c, const json_t *v)
{
    struct buf b;
    buf_init(&b, 16 << 20);
    pyjson_dump(&b, v);
    const char *s = buf_ok(&b) ? arena_strndup(c->s.a, b.ptr ? b.ptr : "", b.len) : NULL;
    buf_release(&b);
    return s;
}

/* MLflow's assessment_aggregate: numbers (finite), booleans, "yes"/"no". */
static void aggregate_of(const json_t *v, bool *has, double *out, bool *numeric)
{
    *has = *numeric = false;
    if (json_is_boolean(v)) {
        *has = true;
        *out = json_is_true(v) ? 1.0 : 0.0;
    } else if (json_is_number(v)) {
        double d = json_number_value(v);
        if (isfinite(d)) {
            *has = *numeric = true;
            *out = d;
        }
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
            n--;
        if ((n == 3 && strncasecmp(s, "yes", 3) == 0) || (n == 2 && strncasecmp(s, "no", 2) == 0)) {
            *has = true;
            *out = n == 3 ? 1.0 : 0.0;
        }
    }
}

/* The value of a feedback or expectation object: value, or serialized_value's JSON text. */
static int read_value(struct ctx *c, json_t *obj, const char *what, json_t **out)
{
    *out = NULL;
    json_t *sv = json_object_get(obj, "serialized_value");
    if (sv && json_is_object(sv)) {
        json_t *txt = json_object_get(sv, "value");
        if (!json_is_string(txt))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for '%s.serialized_value.value': expected a string",
                           what);
        *out = trace_json_load(json_string_value(txt), json_string_length(txt));
        if (!*out)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "'%s.serialized_value.value' is not JSON", what);
        return 0;
    }
    json_t *v = json_object_get(obj, "value");
    *out = v ? json_incref(v) : json_null();
    return 0;
}

struct value_in {
    const char *type;
    const char *value_json, *error_json;
    bool has_agg, numeric;
    double agg;
};

/* The feedback or expectation of an Assessment object. 0 when neither is there. */
static int read_kind(struct ctx *c, json_t *as, struct value_in *vi)
{
    memset(vi, 0, sizeof *vi);
    json_t *fb = json_object_get(as, "feedback"), *ex = json_object_get(as, "expectation");
    if (fb && !json_is_object(fb))
        fb = NULL;
    if (ex && !json_is_object(ex))
        ex = NULL;
    if (!fb && !ex)
        return 0;
    json_t *v;
    if (read_value(c, fb ? fb : ex, fb ? "assessment.feedback" : "assessment.expectation", &v) != 0)
        return -1;
    vi->type = fb ? "feedback" : "expectation";
    vi->value_json = dump(c, v);
    aggregate_of(v, &vi->has_agg, &vi->agg, &vi->numeric);
    json_decref(v);
    json_t *err = fb ? json_object_get(fb, "error") : NULL;
    if (err && json_is_object(err)) {
        /* AssessmentError.to_dictionary: the three keys, absent ones null. */
        json_t *d = json_object();
        static const char *const keys[] = {"error_code", "error_message", "stack_trace"};
        for (size_t i = 0; i < 3; i++) {
            json_t *x = json_object_get(err, keys[i]);
            json_object_set(d, keys[i], json_is_string(x) ? x : json_null());
        }
        vi->error_json = dump(c, d);
        json_decref(d);
    }
    if (!vi->value_json || (err && !vi->error_json))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "The assessment's value is too large");
    return 1;
}

static int opt_str(struct ctx *c, json_t *o, const char *f, const char **out)
{
    return obj_str(&c->in, o, "assessment", f, false, out);
}

static const char *metadata_json(struct ctx *c, json_t *md, json_t *base)
{
    json_t *m = base && json_is_object(base) ? json_deep_copy(base) : json_object();
    if (md && json_is_object(md))
        json_object_update(m, md);
    const char *s = json_object_size(m) ? dump(c, m) : NULL;
    json_decref(m);
    return s;
}

static json_t *body_assessment(struct ctx *c)
{
    json_t *as = in_raw(&c->in, "assessment");
    if (!as || !json_is_object(as)) {
        err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                "Missing value for required parameter 'assessment'.");
        return NULL;
    }
    return as;
}

int assessment_read(struct ctx *c, json_t *as, bool in_trace_info, struct assessment *a)
{
    memset(a, 0, sizeof *a);
    struct value_in vi;
    int k = read_kind(c, as, &vi);
    if (k < 0)
        return -1;
    if (k == 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       in_trace_info ? "Unknown assessment type: None" /* Assessment.from_proto */
                                     : "Assessment must have either feedback, expectation, or "
                                       "issue value");
    json_t *src = json_object_get(as, "source");
    if (opt_str(c, as, "assessment_name", &a->name) != 0 ||
        opt_str(c, as, "span_id", &a->span_id) != 0 ||
        opt_str(c, as, "rationale", &a->rationale) != 0 ||
        opt_str(c, as, "overrides", &a->overrides) != 0)
        return -1;
    if (in_trace_info &&
        (opt_str(c, as, "assessment_id", &a->assessment_id) != 0 ||
         opt_str(c, as, "trace_id", &a->trace_id) != 0))
        return -1;
    /* A trace info's assessments are taken as the proto holds them (empty name, unspecified
     * source), as MLflow's start_trace stores them. */
    if (!a->name)
        a->name = in_trace_info ? "" : NULL;
    if (!in_trace_info && (!a->name || !*a->name))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing value for required parameter 'assessment.assessment_name'.");
    if (strlen(a->name) > 250)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Assessment name is longer than 250 characters");
    if (src && json_is_object(src) &&
        (obj_str(&c->in, src, "assessment.source", "source_type", false, &a->source_type) != 0 ||
         obj_str(&c->in, src, "assessment.source", "source_id", false, &a->source_id) != 0))
        return -1;
    if (!a->source_type && in_trace_info)
        a->source_type = "SOURCE_TYPE_UNSPECIFIED";
    if (!a->source_type)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing value for required parameter 'assessment.source'.");
    if (a->overrides && !*a->overrides)
        a->overrides = NULL;
    if (a->assessment_id && !*a->assessment_id)
        a->assessment_id = NULL;
    if (a->assessment_id && strlen(a->assessment_id) > 50)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Assessment ID is longer than 50 characters");
    const char *ct = NULL, *ut = NULL;
    if (opt_str(c, as, "create_time", &ct) != 0 || opt_str(c, as, "last_update_time", &ut) != 0)
        return -1;
    if ((ct && trace_json_parse_timestamp(ct, &a->created) != 0) ||
        (ut && trace_json_parse_timestamp(ut, &a->updated) != 0))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid assessment time: expected an RFC 3339 timestamp");
    a->type = vi.type;
    a->value_json = vi.value_json;
    a->error_json = vi.error_json;
    a->has_aggregate = vi.has_agg;
    a->aggregate = vi.agg;
    a->numeric = vi.numeric;
    a->metadata_json = metadata_json(c, json_object_get(as, "metadata"), NULL);
    return 0;
}

/* ---- handlers ---- */

static int h_create(struct ctx *c)
{
    json_t *as = body_assessment(c);
    if (!as)
        return -1;
    struct assessment a;
    if (assessment_read(c, as, false, &a) != 0)
        return -1;
    a.trace_id = c->r->params[0];
    struct assessment out;
    if (assess_create(&c->s, &a, &out) != 0)
        return -1;
    return reply_assessment(c, &out);
}

static int h_get(struct ctx *c)
{
    struct assessment a;
    if (assess_get(&c->s, c->r->params[0], c->r->params[1], &a) != 0)
        return -1;
    return reply_assessment(c, &a);
}

static bool mask_has(json_t *mask, const char *path)
{
    json_t *paths = json_is_object(mask) ? json_object_get(mask, "paths") : NULL;
    if (json_is_string(mask)) { /* FieldMask's JSON form: "a,b" */
        const char *s = json_string_value(mask);
        size_t n = strlen(path);
        for (const char *p = s; (p = strstr(p, path)); p += n)
            if ((p == s || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
                return true;
        return false;
    }
    for (size_t i = 0; json_is_array(paths) && i < json_array_size(paths); i++)
        if (json_is_string(json_array_get(paths, i)) &&
            strcmp(json_string_value(json_array_get(paths, i)), path) == 0)
            return true;
    return false;
}

static int h_update(struct ctx *c)
{
    json_t *as = body_assessment(c);
    if (!as)
        return -1;
    json_t *mask = in_raw(&c->in, "update_mask");
    if (!mask || json_is_null(mask))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing value for required parameter 'update_mask'.");
    const char *tid = c->r->params[0], *id = c->r->params[1];
    bool fb = mask_has(mask, "feedback"), ex = mask_has(mask, "expectation");
    if (fb && ex)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Cannot specify both `expectation` and `feedback` parameters.");
    struct assessment_update u;
    memset(&u, 0, sizeof u);
    if (mask_has(mask, "assessment_name") && opt_str(c, as, "assessment_name", &u.name) != 0)
        return -1;
    if (mask_has(mask, "rationale") && opt_str(c, as, "rationale", &u.rationale) != 0)
        return -1;
    if (u.name && !u.name[0])
        u.name = NULL;
    if (mask_has(mask, "rationale") && !u.rationale)
        u.rationale = "";
    if (fb || ex) {
        json_t *only = json_object();
        json_t *part = json_object_get(as, fb ? "feedback" : "expectation");
        json_object_set(only, fb ? "feedback" : "expectation", part ? part : json_object());
        struct value_in vi;
        int k = read_kind(c, only, &vi);
        json_decref(only);
        if (k < 0)
            return -1;
        u.set_value = true;
        u.is_expectation = ex;
        u.value_json = vi.value_json;
        u.error_json = vi.error_json;
        u.has_aggregate = vi.has_agg;
        u.aggregate = vi.agg;
        u.numeric = vi.numeric;
    }
    json_t *md = mask_has(mask, "metadata") ? json_object_get(as, "metadata") : NULL;
    /* Read, merge the metadata, write if nobody changed the row meanwhile. */
    for (int attempt = 0;; attempt++) {
        struct assessment cur, out;
        if (assess_get(&c->s, tid, id, &cur) != 0)
            return -1;
        json_t *base = parse_stored(cur.metadata_json);
        u.metadata_json = metadata_json(c, md, base);
        json_decref(base);
        u.expect_updated = cur.updated;
        int r = assess_update(&c->s, tid, id, &u, &out);
        if (r < 0)
            return -1;
        if (r == 0)
            return reply_assessment(c, &out);
        if (attempt == 4)
            return err_set(&c->e, ERR_TEMPORARILY_UNAVAILABLE,
                           "The assessment is being updated by others; try again");
    }
}

static int h_delete(struct ctx *c)
{
    if (assess_delete(&c->s, c->r->params[0], c->r->params[1]) != 0)
        return -1;
    return reply_empty(c);
}

/* Under /api/3.0/mlflow. */
const struct route assessment_routes[] = {
    {HTTP_POST, "/traces/{trace_id}/assessments", h_create, 16 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/traces/{trace_id}/assessments/{assessment_id}", h_get, 0, RF_TRACKING, NULL},
    {HTTP_PATCH, "/traces/{trace_id}/assessments/{assessment_id}", h_update, 16 * MB,
     RF_TRACKING, NULL},
    {HTTP_DELETE, "/traces/{trace_id}/assessments/{assessment_id}", h_delete, 64 * KB,
     RF_TRACKING, NULL},
};
const size_t assessment_routes_n = sizeof assessment_routes / sizeof *assessment_routes;
