/* The key tables of every search and the resolution of identifiers into keys (see
 * keys.h). Columns are written against the main table of each search (runs, experiments,
 * registered_models, model_versions, logged_models); dataset keys against the join that
 * query/sql_tracking.c builds (d: datasets, it: input_tags). */
#include "keys.h"

#include <string.h>

#include "../base/buf.h"
#include "text.h"

#define F KEY_FILTER
#define O KEY_ORDER

const struct query_key query_run_keys[] = {
    {"run_id", FATTR_RUN_ID, "runs.run_uuid", false, F | O},
    /* Filtered through the mlflow.runName tag (query/sql_tracking.c), ordered by column. */
    {"run_name", FATTR_RUN_NAME, "runs.name", false, F | O},
    {"run name", FATTR_RUN_NAME, "runs.name", false, F},
    {"Run name", FATTR_RUN_NAME, "runs.name", false, F},
    {"Run Name", FATTR_RUN_NAME, "runs.name", false, F},
    {"status", FATTR_STATUS, "runs.status", false, F | O},
    {"user_id", FATTR_USER_ID, "runs.user_id", false, F | O},
    {"artifact_uri", FATTR_ARTIFACT_URI, "runs.artifact_uri", false, F | O},
    {"start_time", FATTR_START_TIME, "runs.start_time", true, F | O},
    {"end_time", FATTR_END_TIME, "runs.end_time", true, F | O},
    {"created", FATTR_START_TIME, "runs.start_time", true, F | O},
    {"Created", FATTR_START_TIME, "runs.start_time", true, F | O},
    {NULL, FATTR_NONE, NULL, false, 0},
};

const struct query_key query_dataset_keys[] = {
    {"name", FATTR_DATASET_NAME, "d.name", false, F},
    {"digest", FATTR_DATASET_DIGEST, "d.digest", false, F},
    {"context", FATTR_DATASET_CONTEXT, "it.value", false, F},
    {NULL, FATTR_NONE, NULL, false, 0},
};

const struct query_key query_experiment_keys[] = {
    {"name", FATTR_NAME, "experiments.name", false, F | O},
    {"experiment_id", FATTR_EXPERIMENT_ID, "experiments.experiment_id", false, F | O},
    {"creation_time", FATTR_CREATION_TIME, "experiments.creation_time", true, F | O},
    {"last_update_time", FATTR_LAST_UPDATE_TIME, "experiments.last_update_time", true, F | O},
    {NULL, FATTR_NONE, NULL, false, 0},
};

/* order_by takes bare keys only, with a message of its own (query/order_by.c). */
const struct query_key query_registered_model_keys[] = {
    {"name", FATTR_NAME, "registered_models.name", false, F | O},
    {"timestamp", FATTR_LAST_UPDATED_TIMESTAMP, "registered_models.last_updated_time", true, O},
    {"last_updated_timestamp", FATTR_LAST_UPDATED_TIMESTAMP,
     "registered_models.last_updated_time", true, O},
    {NULL, FATTR_NONE, NULL, false, 0},
};

const struct query_key query_model_version_keys[] = {
    {"name", FATTR_NAME, "model_versions.name", false, F | O},
    {"run_id", FATTR_RUN_ID, "model_versions.run_id", false, F},
    {"source_path", FATTR_SOURCE_PATH, "model_versions.source", false, F},
    {"version_number", FATTR_VERSION_NUMBER, "model_versions.version", true, F | O},
    {"creation_timestamp", FATTR_CREATION_TIMESTAMP, "model_versions.creation_time", true, O},
    {"last_updated_timestamp", FATTR_LAST_UPDATED_TIMESTAMP, "model_versions.last_updated_time",
     true, O},
    {NULL, FATTR_NONE, NULL, false, 0},
};

/* Columns of SqlLoggedModel and SqlLoggedModel.ALIASES (plus last_updated_time, which
 * MLflow documents but whose lookup fails in its SQL store). */
const struct query_key query_logged_model_keys[] = {
    {"name", FATTR_NAME, "logged_models.name", false, F | O},
    {"model_id", FATTR_MODEL_ID, "logged_models.model_id", false, F | O},
    {"model_type", FATTR_MODEL_TYPE, "logged_models.model_type", false, F | O},
    {"status", FATTR_STATUS, "logged_models.status", false, F | O},
    {"source_run_id", FATTR_SOURCE_RUN_ID, "logged_models.source_run_id", false, F | O},
    {"experiment_id", FATTR_EXPERIMENT_ID, "logged_models.experiment_id", false, F | O},
    {"artifact_location", FATTR_ARTIFACT_LOCATION, "logged_models.artifact_location", false,
     F | O},
    {"status_message", FATTR_STATUS_MESSAGE, "logged_models.status_message", false, F | O},
    {"creation_timestamp", FATTR_CREATION_TIMESTAMP, "logged_models.creation_timestamp_ms", true,
     F | O},
    {"creation_time", FATTR_CREATION_TIMESTAMP, "logged_models.creation_timestamp_ms", true,
     F | O},
    {"creation_timestamp_ms", FATTR_CREATION_TIMESTAMP, "logged_models.creation_timestamp_ms",
     true, F | O},
    {"last_updated_timestamp", FATTR_LAST_UPDATED_TIMESTAMP,
     "logged_models.last_updated_timestamp_ms", true, F | O},
    {"last_updated_time", FATTR_LAST_UPDATED_TIMESTAMP, "logged_models.last_updated_timestamp_ms",
     true, F | O},
    {"last_updated_timestamp_ms", FATTR_LAST_UPDATED_TIMESTAMP,
     "logged_models.last_updated_timestamp_ms", true, F | O},
    {NULL, FATTR_NONE, NULL, false, 0},
};

/* SearchTraceUtils: the attributes of trace_info (name and run_id live in a column and a
 * metadata entry of MLflow 3.17's schema; prompt and text are a tag and the spans'
 * content), and span.<key> (span.attributes.<a> is resolved in ident_traces). */
const struct query_key query_trace_keys[] = {
    {"request_id", FATTR_TRACE_ID, "trace_info.request_id", false, F | O},
    {"timestamp", FATTR_TIMESTAMP_MS, "trace_info.timestamp_ms", true, F | O},
    {"timestamp_ms", FATTR_TIMESTAMP_MS, "trace_info.timestamp_ms", true, F | O},
    {"execution_time", FATTR_EXECUTION_TIME_MS, "trace_info.execution_time_ms", true, F | O},
    {"execution_time_ms", FATTR_EXECUTION_TIME_MS, "trace_info.execution_time_ms", true, F | O},
    {"end_time", FATTR_END_TIME_MS, "(trace_info.timestamp_ms + trace_info.execution_time_ms)",
     true, F | O},
    {"end_time_ms", FATTR_END_TIME_MS,
     "(trace_info.timestamp_ms + trace_info.execution_time_ms)", true, F | O},
    {"status", FATTR_STATUS, "trace_info.status", false, F | O},
    {"client_request_id", FATTR_CLIENT_REQUEST_ID, "trace_info.client_request_id", false, F},
    {"name", FATTR_NAME, "trace_info.trace_name", false, F | O},
    {"run_id", FATTR_RUN_ID, NULL, false, F | O},
    {"prompt", FATTR_PROMPT, NULL, false, F},
    {"text", FATTR_SPAN_CONTENT, "s.content", false, F},
    {"experiment_id", FATTR_EXPERIMENT_ID, "trace_info.experiment_id", true, O},
    {NULL, FATTR_NONE, NULL, false, 0},
};

const struct query_key query_span_keys[] = {
    {"name", FATTR_NAME, "s.name", false, F},
    {"type", FATTR_NONE, "s.type", false, F},
    {"status", FATTR_STATUS, "s.status", false, F},
    {"content", FATTR_SPAN_CONTENT, "s.content", false, F},
    {NULL, FATTR_NONE, NULL, false, 0},
};

#undef F
#undef O

const struct query_key *query_key_find(const struct query_key *t, struct str name, unsigned use)
{
    for (; t->name; t++)
        if ((t->use & use) && str_eq(name, t->name))
            return t;
    return NULL;
}

const char *query_keys_repr(struct arena *a, const struct query_key *t, unsigned use)
{
    struct buf b;
    buf_init(&b, 4096);
    buf_putc(&b, '{');
    for (bool first = true; t->name; t++) {
        if (!(t->use & use))
            continue;
        buf_printf(&b, "%s'%s'", first ? "" : ", ", t->name);
        first = false;
    }
    buf_putc(&b, '}');
    const char *s = arena_strndup(a, b.ptr ? b.ptr : "{}", b.len);
    buf_release(&b);
    return s;
}

int ident_runs(struct arena *a, struct str raw, unsigned use, struct ident *out, struct err *e)
{
    const char *dot = memchr(raw.p, '.', raw.n);
    struct str key = raw;
    out->entity = FILTER_ATTRIBUTE;
    if (dot) {
        struct str ent = trim_backticks(str_sub(raw, 0, (size_t)(dot - raw.p)));
        key = str_sub(raw, (size_t)(dot - raw.p) + 1, raw.n);
        if (str_eq(ent, "metric") || str_eq(ent, "metrics"))
            out->entity = FILTER_METRIC;
        else if (str_eq(ent, "param") || str_eq(ent, "params") || str_eq(ent, "parameter") ||
                 str_eq(ent, "parameters"))
            out->entity = FILTER_PARAM;
        else if (str_eq(ent, "tag") || str_eq(ent, "tags"))
            out->entity = FILTER_TAG;
        else if (str_eq(ent, "attribute") || str_eq(ent, "attributes") || str_eq(ent, "attr") ||
                 str_eq(ent, "run"))
            out->entity = FILTER_ATTRIBUTE;
        else if (str_eq(ent, "dataset") || str_eq(ent, "datasets"))
            out->entity = FILTER_DATASET;
        else
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid entity type '%.*s'. Valid values are ['metric', "
                           "'parameter', 'tag', 'attribute', 'dataset']",
                           snip_len(ent), ent.p);
    }
    key = trim_backticks(strip_quotes(key));
    out->key = key;
    out->def = NULL;
    if (out->entity == FILTER_ATTRIBUTE) {
        out->def = query_key_find(query_run_keys, key, use);
        if (!out->def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid attribute key '%.*s' specified. Valid keys are '%s'",
                           snip_len(key), key.p, query_keys_repr(a, query_run_keys, use));
    } else if (out->entity == FILTER_DATASET) {
        out->def = query_key_find(query_dataset_keys, key, KEY_FILTER);
        if (!out->def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid dataset key '%.*s' specified. Valid keys are '%s'",
                           snip_len(key), key.p,
                           query_keys_repr(a, query_dataset_keys, KEY_FILTER));
    }
    return 0;
}

int ident_simple(struct arena *a, struct str raw, const struct query_key *keys, unsigned use,
                 bool check_raw, struct ident *out, struct err *e)
{
    const char *dot = memchr(raw.p, '.', raw.n);
    struct str key = raw;
    out->entity = FILTER_ATTRIBUTE;
    if (dot) {
        struct str ent = str_sub(raw, 0, (size_t)(dot - raw.p));
        key = str_sub(raw, (size_t)(dot - raw.p) + 1, raw.n);
        if (str_eq(ent, "tag") || str_eq(ent, "tags"))
            out->entity = FILTER_TAG;
        else if (!str_eq(ent, "attribute"))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid entity type '%.*s'. Valid entity types are ('attribute', "
                           "'tag', 'tags')",
                           snip_len(ent), ent.p);
    }
    struct str unq = trim_backticks(strip_quotes(key));
    out->key = unq;
    out->def = NULL;
    if (out->entity == FILTER_ATTRIBUTE) {
        struct str check = check_raw ? key : unq;
        out->def = query_key_find(keys, check, use);
        if (!out->def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid attribute key '%.*s' specified. Valid keys are '%s'",
                           snip_len(check), check.p, query_keys_repr(a, keys, use));
    }
    return 0;
}

/* span.<key>: a column, content, or attributes.<a> (read in the span's content). */
static const struct query_key span_attribute_key = {"attributes.", FATTR_SPAN_ATTRIBUTE,
                                                    "s.content", false, KEY_FILTER};

static int span_key(struct str key, unsigned use, struct ident *out, struct err *e)
{
    static const char attrs[] = "attributes.";
    if (key.n >= sizeof attrs - 1 && memcmp(key.p, attrs, sizeof attrs - 1) == 0 &&
        (use & KEY_FILTER)) {
        struct str name = str_sub(key, sizeof attrs - 1, key.n);
        if (name.n == 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Span attribute name cannot be empty after 'attributes.'");
        out->key = trim_backticks(name); /* checked before the trim, as MLflow does */
        out->def = &span_attribute_key;
        return 0;
    }
    out->def = query_key_find(query_span_keys, key, use);
    if (!out->def)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid span attribute '%.*s'. Supported attributes: name, status, type, "
                       "attributes.<attribute_name>.",
                       snip_len(key), key.p);
    return 0;
}

int ident_traces(struct arena *a, struct str raw, unsigned use, struct ident *out,
                 struct err *e)
{
    const char *dot = memchr(raw.p, '.', raw.n);
    struct str key = raw;
    out->entity = FILTER_ATTRIBUTE;
    if (dot) {
        struct str ent = trim_backticks(str_sub(raw, 0, (size_t)(dot - raw.p)));
        key = str_sub(raw, (size_t)(dot - raw.p) + 1, raw.n);
        if (str_eq(ent, "tag") || str_eq(ent, "tags")) {
            out->entity = FILTER_TAG;
        } else if (str_eq(ent, "attribute") || str_eq(ent, "attributes") ||
                   str_eq(ent, "trace")) {
            out->entity = FILTER_ATTRIBUTE;
        } else if (str_eq(ent, "request_metadata") || str_eq(ent, "metadata")) {
            out->entity = FILTER_METADATA;
        } else if (str_eq(ent, "span")) {
            out->entity = FILTER_SPAN;
        } else if (str_eq(ent, "feedback")) {
            out->entity = FILTER_FEEDBACK;
        } else if (str_eq(ent, "expectation")) {
            out->entity = FILTER_EXPECTATION;
        } else if (str_eq(ent, "issue")) {
            out->entity = FILTER_ISSUE;
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid entity type '%.*s'. Valid values are ['tag', "
                           "'request_metadata', 'attribute', 'span', 'feedback', 'expectation', "
                           "'issue']",
                           snip_len(ent), ent.p);
        }
    }
    key = trim_backticks(strip_quotes(key));
    out->key = key;
    out->def = NULL;
    if (out->entity == FILTER_SPAN)
        return span_key(key, use, out, e);
    if (out->entity == FILTER_ATTRIBUTE) {
        out->def = query_key_find(query_trace_keys, key, use);
        if (!out->def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid attribute key '%.*s' specified. Valid keys are '%s'",
                           snip_len(key), key.p, query_keys_repr(a, query_trace_keys, use));
        /* "text" searches the spans' content (SEARCH_KEY_TO_SPAN); "prompt" is the tag of
         * linked prompts (SEARCH_KEY_TO_TAG), read through entity_associations. */
        if (out->def->attr == FATTR_SPAN_CONTENT)
            out->entity = FILTER_SPAN;
        else if (out->def->attr == FATTR_PROMPT)
            out->entity = FILTER_TAG;
    }
    return 0;
}
