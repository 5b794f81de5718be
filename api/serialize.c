/* Tracking entities to MLflow's JSON: snake_case names, int64 as numbers, ids as strings,
 * enums as names, empty repeated fields omitted. */
#include <math.h>
#include <string.h>

#include "../base/dtoa.h"
#include "api.h"

void put_kvs(struct jw *w, const char *key, const struct kv *v, size_t n)
{
    if (!n)
        return;
    jw_key(w, key);
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(w);
        jw_kstr(w, "key", v[i].key);
        if (v[i].value)
            jw_kstr(w, "value", v[i].value);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

void put_experiment(struct jw *w, const struct experiment *x)
{
    jw_obj(w);
    jw_kid(w, "experiment_id", x->id);
    jw_kstr(w, "name", x->name);
    if (x->artifact_location)
        jw_kstr(w, "artifact_location", x->artifact_location);
    if (x->lifecycle_stage)
        jw_kstr(w, "lifecycle_stage", x->lifecycle_stage);
    if (x->has_last_update_time)
        jw_kint(w, "last_update_time", x->last_update_time);
    if (x->has_creation_time)
        jw_kint(w, "creation_time", x->creation_time);
    put_kvs(w, "tags", x->tags, x->ntags);
    jw_obj_end(w);
}

void put_run_info(struct jw *w, const struct run_info *ri)
{
    jw_obj(w);
    jw_kstr(w, "run_uuid", ri->run_id);
    jw_kid(w, "experiment_id", ri->experiment_id);
    if (ri->run_name)
        jw_kstr(w, "run_name", ri->run_name);
    if (ri->user_id)
        jw_kstr(w, "user_id", ri->user_id);
    if (ri->status)
        jw_kstr(w, "status", ri->status);
    if (ri->has_start_time)
        jw_kint(w, "start_time", ri->start_time);
    if (ri->has_end_time)
        jw_kint(w, "end_time", ri->end_time);
    if (ri->artifact_uri)
        jw_kstr(w, "artifact_uri", ri->artifact_uri);
    if (ri->lifecycle_stage)
        jw_kstr(w, "lifecycle_stage", ri->lifecycle_stage);
    jw_kstr(w, "run_id", ri->run_id);
    jw_obj_end(w);
}

void put_metric(struct jw *w, const struct metric *m, bool with_run_id)
{
    jw_obj(w);
    jw_kstr(w, "key", m->key);
    jw_key(w, "value");
    jw_double(w, m->value);
    jw_kint(w, "timestamp", m->timestamp);
    jw_kint(w, "step", m->step);
    if (with_run_id && m->run_id)
        jw_kstr(w, "run_id", m->run_id);
    jw_obj_end(w);
}

/* What fill writes with a scratch writer, copied into the arena. */
static char *scratch_json(struct arena *a, void (*fill)(struct jw *, const void *),
                          const void *arg, size_t *len)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct jw w;
    jw_init(&w, &b);
    fill(&w, arg);
    char *s = arena_strndup(a, b.ptr ? b.ptr : "", b.len);
    *len = b.len;
    buf_release(&b);
    return s;
}

static void fill_head(struct jw *w, const void *key)
{
    jw_obj(w);
    jw_kstr(w, "key", key);
    jw_key(w, "value");
}

static void fill_run_id(struct jw *w, const void *run_id)
{
    jw_obj(w);
    jw_kstr(w, "run_id", run_id);
    jw_obj_end(w);
}

void put_point(struct jw *w, struct point_fmt *f, struct arena *a, const struct metric *m,
               bool with_run_id)
{
    if (!f->head || (f->key != m->key && strcmp(f->key, m->key) != 0)) {
        f->key = m->key;
        f->head = scratch_json(a, fill_head, m->key, &f->head_len);
    }
    const char *run_id = with_run_id ? m->run_id : NULL;
    if (!f->tail || f->run_id != run_id) {
        f->run_id = run_id;
        if (run_id) {
            /* ,"run_id":"..."} from {"run_id":"..."} */
            char *t = scratch_json(a, fill_run_id, run_id, &f->tail_len);
            t[0] = ',';
            f->tail = t;
        } else {
            f->tail = "}";
            f->tail_len = 1;
        }
    }
    jw_raw(w, f->head, f->head_len);
    struct buf *b = w->b;
    if (isnan(m->value) || isinf(m->value)) {
        buf_puts(b, isnan(m->value) ? "\"NaN\"" : m->value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
        char tmp[32];
        buf_append(b, tmp, dtoa_shortest(m->value, tmp));
    }
    buf_append(b, ",\"timestamp\":", 13);
    buf_put_i64(b, m->timestamp);
    buf_append(b, ",\"step\":", 8);
    buf_put_i64(b, m->step);
    buf_append(b, f->tail, f->tail_len);
}

static void put_dataset_inputs(struct jw *w, const struct run *r)
{
    if (!r->ninputs)
        return;
    jw_key(w, "dataset_inputs");
    jw_arr(w);
    for (size_t i = 0; i < r->ninputs; i++) {
        const struct dataset_input *d = &r->inputs[i];
        jw_obj(w);
        put_kvs(w, "tags", d->tags, d->ntags);
        jw_key(w, "dataset");
        jw_obj(w);
        jw_kstr(w, "name", d->ds.name);
        jw_kstr(w, "digest", d->ds.digest);
        jw_kstr(w, "source_type", d->ds.source_type);
        jw_kstr(w, "source", d->ds.source);
        if (d->ds.schema)
            jw_kstr(w, "schema", d->ds.schema);
        if (d->ds.profile)
            jw_kstr(w, "profile", d->ds.profile);
        jw_obj_end(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

void put_run(struct jw *w, const struct run *r)
{
    jw_obj(w);
    jw_key(w, "info");
    put_run_info(w, &r->info);
    jw_key(w, "data");
    jw_obj(w);
    if (r->nmetrics) {
        jw_key(w, "metrics");
        jw_arr(w);
        for (size_t i = 0; i < r->nmetrics; i++)
            put_metric(w, &r->metrics[i], false);
        jw_arr_end(w);
    }
    put_kvs(w, "params", r->params, r->nparams);
    put_kvs(w, "tags", r->tags, r->ntags);
    jw_obj_end(w);
    jw_key(w, "inputs");
    jw_obj(w);
    put_dataset_inputs(w, r);
    if (r->nmodel_inputs) {
        jw_key(w, "model_inputs");
        jw_arr(w);
        for (size_t i = 0; i < r->nmodel_inputs; i++) {
            jw_obj(w);
            jw_kstr(w, "model_id", r->model_inputs[i].model_id);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
    jw_key(w, "outputs");
    jw_obj(w);
    if (r->nmodel_outputs) {
        jw_key(w, "model_outputs");
        jw_arr(w);
        for (size_t i = 0; i < r->nmodel_outputs; i++) {
            jw_obj(w);
            jw_kstr(w, "model_id", r->model_outputs[i].model_id);
            jw_kint(w, "step", r->model_outputs[i].step);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
    jw_obj_end(w);
}
