/* The webhook events of registry writes, queued inside the write's own transaction
 * (whq_emit) so that a change and its events commit or vanish together. Which event a
 * write emits, and its payload, are MLflow 3.17.2's server handlers' (webhooks/types.py):
 * a prompt (a model tagged mlflow.prompt.is_prompt = true) emits the prompt_* events, other
 * models the registered_model / model_version_* ones. Payloads are written as Python's
 * json.dumps writes a dict, key order included, since that is what MLflow sends. */
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/pystr.h"
#include "internal.h"
#include "registry_internal.h"
#include "webhooks.h"

#define PROMPT_TYPE_KEY "_mlflow_prompt_type"
#define PROMPT_TEXT_KEY "mlflow.prompt.text"

/* A JSON object under construction, in the arena: {"k": v, ...}. */
struct pj {
    struct sctx *c;
    struct buf b;
    bool first;
};

static void pj_open(struct pj *p, struct sctx *c)
{
    p->c = c;
    buf_init(&p->b, 16 * 1024 * 1024);
    buf_putc(&p->b, '{');
    p->first = true;
}

static void pj_key(struct pj *p, const char *k)
{
    if (!p->first)
        buf_puts(&p->b, ", ");
    p->first = false;
    buf_puts(&p->b, py_json_str(p->c->a, k));
    buf_puts(&p->b, ": ");
}

/* NULL writes null. */
static void pj_str(struct pj *p, const char *k, const char *v)
{
    pj_key(p, k);
    buf_puts(&p->b, v ? py_json_str(p->c->a, v) : "null");
}

/* {t.key: t.value for t in tags} without the skipped keys: a repeated key keeps its first
 * place and its last value, as a dict comprehension does. */
static void pj_tags(struct pj *p, const struct kv *tags, size_t n, bool prompt)
{
    pj_key(p, "tags");
    buf_putc(&p->b, '{');
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const char *k = tags[i].key;
        if (prompt && (strcmp(k, IS_PROMPT_KEY) == 0 || strcmp(k, PROMPT_TYPE_KEY) == 0 ||
                       strcmp(k, PROMPT_TEXT_KEY) == 0))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(tags[j].key, k) == 0;
        if (seen)
            continue;
        const char *v = tags[i].value;
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(tags[j].key, k) == 0)
                v = tags[j].value;
        if (!first)
            buf_puts(&p->b, ", ");
        first = false;
        buf_puts(&p->b, py_json_str(p->c->a, k));
        buf_puts(&p->b, ": ");
        buf_puts(&p->b, py_json_str(p->c->a, v ? v : ""));
    }
    buf_putc(&p->b, '}');
}

/* Closes the object and queues it; the buffer is released either way. */
static int pj_emit(struct pj *p, const char *entity, const char *action)
{
    buf_putc(&p->b, '}');
    int rc;
    if (!buf_ok(&p->b))
        rc = err_set(p->c->e, ERR_INTERNAL_ERROR, "webhook payload too large");
    else
        rc = whq_emit(p->c, entity, action, p->b.ptr);
    buf_release(&p->b);
    return rc;
}

static const char *vstr(struct sctx *c, int64_t v)
{
    return arena_printf(c->a, "%lld", (long long)v);
}

/* The last value of key among tags (NULL when absent). */
static const char *tag_value(const struct kv *tags, size_t n, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(tags[i].key, key) == 0)
            v = tags[i].value ? tags[i].value : "";
    return v;
}

static bool tags_say_prompt(const struct kv *tags, size_t n)
{
    const char *v = tag_value(tags, n, IS_PROMPT_KEY);
    return v && strcasecmp(v, "true") == 0;
}

int hook_rm_created(struct sctx *c, const char *name, const char *description,
                    const struct kv *tags, size_t ntags)
{
    bool prompt = tags_say_prompt(tags, ntags);
    struct pj p;
    pj_open(&p, c);
    pj_str(&p, "name", name);
    pj_tags(&p, tags, ntags, prompt);
    /* The request's proto field: "" when absent, not None. */
    pj_str(&p, "description", description ? description : "");
    return pj_emit(&p, prompt ? "prompt" : "registered_model", "created");
}

int hook_mv_created(struct sctx *c, const struct mv_create *in, int64_t version)
{
    bool prompt = tags_say_prompt(in->tags, in->ntags);
    const char *desc = in->description && *in->description ? in->description : NULL;
    struct pj p;
    pj_open(&p, c);
    pj_str(&p, "name", in->name);
    pj_str(&p, "version", vstr(c, version));
    if (prompt) {
        pj_str(&p, "template", tag_value(in->tags, in->ntags, PROMPT_TEXT_KEY));
        pj_tags(&p, in->tags, in->ntags, true);
        pj_str(&p, "description", desc);
        return pj_emit(&p, "prompt_version", "created");
    }
    pj_str(&p, "source", in->source);
    pj_str(&p, "run_id", in->run_id && *in->run_id ? in->run_id : NULL);
    pj_tags(&p, in->tags, in->ntags, false);
    pj_str(&p, "description", desc);
    return pj_emit(&p, "model_version", "created");
}

/* The registered model's tag events exist for prompts only. */
int hook_rm_tag(struct sctx *c, const char *name, const char *key, const char *value,
                bool set)
{
    bool prompt;
    if (prompt_flag(c, name, &prompt) != 0)
        return -1;
    if (!prompt)
        return 0;
    struct pj p;
    pj_open(&p, c);
    pj_str(&p, "name", name);
    pj_str(&p, "key", key);
    if (set)
        pj_str(&p, "value", value ? value : "");
    return pj_emit(&p, "prompt_tag", set ? "set" : "deleted");
}

int hook_mv_tag(struct sctx *c, const char *name, int64_t version, const char *key,
                const char *value, bool set)
{
    bool prompt;
    if (prompt_flag(c, name, &prompt) != 0)
        return -1;
    struct pj p;
    pj_open(&p, c);
    pj_str(&p, "name", name);
    pj_str(&p, "version", vstr(c, version));
    pj_str(&p, "key", key);
    if (set)
        pj_str(&p, "value", value ? value : "");
    return pj_emit(&p, prompt ? "prompt_version_tag" : "model_version_tag",
                   set ? "set" : "deleted");
}

int hook_alias(struct sctx *c, const char *name, const char *alias, const int64_t *version)
{
    bool prompt;
    if (prompt_flag(c, name, &prompt) != 0)
        return -1;
    struct pj p;
    pj_open(&p, c);
    pj_str(&p, "name", name);
    pj_str(&p, "alias", alias);
    if (version)
        pj_str(&p, "version", vstr(c, *version));
    return pj_emit(&p, prompt ? "prompt_alias" : "model_version_alias",
                   version ? "created" : "deleted");
}
