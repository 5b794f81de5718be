/* MLflow's webhook routes (WebhookService: create, list, get, update, delete, test) with
 * MLflow 3.17.2's handlers' reading of requests, validation order and messages. The rows
 * are MLflow's (store/webhooks.h); the secret is kept Fernet-encrypted as MLflow keeps it
 * and never returned; URL rules and the test POST are hooks/'. */
#include <ctype.h>
#include <string.h>

#include "../base/pystr.h"
#include "../base/util.h"
#include "../hooks/fernet.h"
#include "../hooks/hooks.h"
#include "../store/webhooks.h"
#include "api.h"
#include "page_token.h"

enum { LIST_DEFAULT = 100, LIST_MAX = 1000 };

/* WebhookEntity / WebhookAction and VALID_ENTITY_ACTIONS (entities/webhook.py). */
static const struct {
    const char *entity;
    const char *actions[2];
} valid[] = {
    {"registered_model", {"created"}},
    {"model_version", {"created"}},
    {"model_version_tag", {"deleted", "set"}},
    {"model_version_alias", {"created", "deleted"}},
    {"prompt", {"created"}},
    {"prompt_version", {"created"}},
    {"prompt_tag", {"deleted", "set"}},
    {"prompt_version_tag", {"deleted", "set"}},
    {"prompt_alias", {"created", "deleted"}},
    {"budget_policy", {"exceeded"}},
};

static char *lower(struct arena *a, const char *s)
{
    char *o = arena_strdup(a, s);
    for (char *p = o; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return o;
}

static char *upper(struct arena *a, const char *s)
{
    char *o = arena_strdup(a, s);
    for (char *p = o; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return o;
}

/* The proto enums by number (webhooks.proto): a request may name a value or give its
 * number, as protobuf's JSON parser allows. */
static const char *const entity_names[] = {
    "ENTITY_UNSPECIFIED", "REGISTERED_MODEL", "MODEL_VERSION", "MODEL_VERSION_TAG",
    "MODEL_VERSION_ALIAS", "PROMPT", "PROMPT_VERSION", "PROMPT_TAG", "PROMPT_VERSION_TAG",
    "PROMPT_ALIAS", "BUDGET_POLICY",
};
static const char *const action_names[] = {"ACTION_UNSPECIFIED", "CREATED", "UPDATED",
                                           "DELETED", "SET", "EXCEEDED"};
static const char *const status_names[] = {NULL, "ACTIVE", "DISABLED"};

/* An enum field of obj: its name, or NULL when absent or not a value of names. */
static const char *enum_value(json_t *obj, const char *field, const char *const *names,
                              size_t n)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i >= 0 && (size_t)i < n ? names[i] : NULL;
    }
    if (!json_is_string(v))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], json_string_value(v)) == 0)
            return names[i];
    return NULL;
}

/* One {entity, action} of the request, checked as WebhookEvent() checks the pair. (An
 * unknown or missing enum makes MLflow's handler fail with a 500; here it is a 400.) */
static int read_event(struct ctx *c, json_t *o, const char *path, struct webhook_event *ev)
{
    const char *ent = enum_value(o, "entity", entity_names, 11);
    const char *act = enum_value(o, "action", action_names, 6);
    if (!ent || !act || strcmp(ent, entity_names[0]) == 0 || strcmp(act, action_names[0]) == 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value for %s: an entity of %s and an action of %s are "
                       "required",
                       path, "WebhookEntity", "WebhookAction");
    ev->entity = lower(c->s.a, ent);
    ev->action = lower(c->s.a, act);
    int ei = -1;
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++)
        if (strcmp(valid[i].entity, ev->entity) == 0)
            ei = (int)i;
    for (int k = 0; k < 2; k++)
        if (valid[ei].actions[k] && strcmp(valid[ei].actions[k], ev->action) == 0)
            return 0;
    const char *list = "";
    for (int k = 0; k < 2 && valid[ei].actions[k]; k++)
        list = arena_printf(c->s.a, "%s%s'%s'", list, k ? ", " : "", valid[ei].actions[k]);
    return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid action '%s' for entity '%s'. Valid actions are: [%s]", ev->action,
                   ev->entity, list);
}

/* events: *has false when absent or empty (MLflow's `if request_message.events`). */
static int read_events(struct ctx *c, struct webhook_event **out, size_t *n, bool *has)
{
    json_t *arr;
    *out = NULL;
    *n = 0;
    *has = false;
    if (in_array(&c->in, "events", &arr) != 0)
        return -1;
    if (!arr || json_array_size(arr) == 0)
        return 0;
    size_t cnt = json_array_size(arr);
    struct webhook_event *v = arena_calloc(c->s.a, cnt, sizeof *v);
    for (size_t i = 0; i < cnt; i++)
        if (read_event(c, json_array_get(arr, i), arena_printf(c->s.a, "events[%zu]", i),
                       &v[i]) != 0)
            return -1;
    *out = v;
    *n = cnt;
    *has = true;
    return 0;
}

/* status: "ACTIVE" or "DISABLED" (or 1, 2); NULL when absent. A value protobuf cannot
 * parse leaves the field unset in MLflow's handler (its parse error is ignored there), so
 * it counts as absent here too. */
static int read_status(struct ctx *c, const char **out)
{
    *out = c->in.body ? enum_value(c->in.body, "status", status_names, 3) : NULL;
    return 0;
}

/* _validate_webhook_name: 1 to 63 letters, digits, '.', '_' and '-', starting and ending
 * with a letter or digit. */
static int check_name(struct ctx *c, const char *name)
{
    size_t n = strlen(name);
    bool ok = n >= 1 && n <= 63 && isalnum((unsigned char)name[0]) &&
              isalnum((unsigned char)name[n - 1]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '.' || name[i] == '_' ||
             name[i] == '-';
    if (ok)
        return 0;
    return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                   "Webhook name %s is invalid. It must start and end with a letter or digit, be "
                   "less than 63 characters long, and contain only letters, digits, dots (.), "
                   "underscores (_), and hyphens (-).",
                   py_repr(c->s.a, name));
}

static const char *encrypt(struct ctx *c, const char *secret)
{
    const char *t = hooks_fernet_encrypt(c->s.a, secret);
    if (!t)
        err_set(&c->e, ERR_INTERNAL_ERROR, "cannot encrypt the webhook secret");
    return t;
}

static void put_webhook(struct jw *w, const struct webhook *h)
{
    jw_obj(w);
    jw_kstr(w, "webhook_id", h->id);
    jw_kstr(w, "name", h->name);
    if (h->description && *h->description)
        jw_kstr(w, "description", h->description);
    jw_kstr(w, "url", h->url);
    jw_key(w, "events");
    jw_arr(w);
    struct arena a;
    arena_init(&a);
    for (size_t i = 0; i < h->nevents; i++) {
        jw_obj(w);
        jw_kstr(w, "entity", upper(&a, h->events[i].entity));
        jw_kstr(w, "action", upper(&a, h->events[i].action));
        jw_obj_end(w);
    }
    arena_release(&a);
    jw_arr_end(w);
    jw_kstr(w, "status", h->status);
    jw_kint(w, "creation_timestamp", h->creation_timestamp);
    jw_kint(w, "last_updated_timestamp", h->last_updated_timestamp);
    jw_obj_end(w);
}

static void put_webhook_item(struct jw *w, const void *item)
{
    put_webhook(w, (const struct webhook *)item);
}

static int reply_webhook(struct ctx *c, const struct webhook *h)
{
    return reply_item(c, "webhook", put_webhook_item, h);
}

static int h_create(struct ctx *c)
{
    struct webhook h = {0};
    const char *secret;
    bool has_events;
    json_t *arr;
    if (in_str_req(&c->in, "name", &h.name) != 0 || in_str_req(&c->in, "url", &h.url) != 0 ||
        in_array(&c->in, "events", &arr) != 0)
        return -1;
    if (!arr)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing value for required parameter 'events'. See the API docs for "
                       "more information about request parameters.");
    if (in_str(&c->in, "description", &h.description) != 0 ||
        in_str(&c->in, "secret", &secret) != 0 || read_status(c, &h.status) != 0 ||
        read_events(c, &h.events, &h.nevents, &has_events) != 0)
        return -1;
    if (check_name(c, h.name) != 0 || hooks_check_url(c->s.a, h.url, &c->e) != 0)
        return -1;
    if (!has_events)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Webhook events must be a non-empty list of WebhookEvent objects: [].");
    if (h.description && !*h.description)
        h.description = NULL;
    if (secret && *secret && !(h.secret = encrypt(c, secret)))
        return -1;
    if (!h.status)
        h.status = "ACTIVE";
    char hex[33];
    uuid4_hex(hex);
    h.id = arena_printf(c->s.a, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
                        hex + 20);
    h.creation_timestamp = h.last_updated_timestamp = now_ms();
    if (wh_create(&c->s, &h) != 0)
        return -1;
    struct webhook out;
    if (wh_get(&c->s, h.id, &out) != 0)
        return -1;
    return reply_webhook(c, &out);
}

static int h_list(struct ctx *c)
{
    int64_t max, offset = 0;
    bool has;
    const char *token;
    if (in_i64(&c->in, "max_results", &max, &has) != 0 ||
        in_str(&c->in, "page_token", &token) != 0)
        return -1;
    if (!has || max == 0)
        max = LIST_DEFAULT;
    if (max < 1 || max > LIST_MAX)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "max_results must be between 1 and 1000.");
    if (token && *token &&
        page_token_parse_offset(c->s.a, token, strlen(token), &offset, &c->e) != 0)
        return -1;
    struct webhook *v;
    size_t n;
    if (wh_list(&c->s, offset, max + 1, &v, &n) != 0)
        return -1;
    return reply_page(c, "webhooks", v, n, sizeof *v, put_webhook_item, max, offset);
}

static int h_get(struct ctx *c)
{
    struct webhook h;
    if (wh_get(&c->s, c->r->params[0], &h) != 0)
        return -1;
    return reply_webhook(c, &h);
}

static int h_update(struct ctx *c)
{
    struct wh_update u = {0};
    struct webhook_event *ev;
    if (in_str(&c->in, "name", &u.name) != 0 || in_str(&c->in, "description", &u.description) ||
        in_str(&c->in, "url", &u.url) != 0 || in_str(&c->in, "secret", &u.secret) != 0 ||
        read_status(c, &u.status) != 0 || read_events(c, &ev, &u.nevents, &u.has_events) != 0)
        return -1;
    u.events = ev;
    /* `request_message.name or None`, `url or None`: empty means unchanged. */
    if (u.name && !*u.name)
        u.name = NULL;
    if (u.url && !*u.url)
        u.url = NULL;
    const char *id = c->r->params[0];
    struct webhook cur;
    if (wh_get(&c->s, id, &cur) != 0)
        return -1;
    if ((u.name && check_name(c, u.name) != 0) ||
        (u.url && hooks_check_url(c->s.a, u.url, &c->e) != 0))
        return -1;
    if (u.secret && !(u.secret = encrypt(c, u.secret)))
        return -1;
    struct webhook out;
    if (wh_update(&c->s, id, &u, &out) != 0)
        return -1;
    return reply_webhook(c, &out);
}

static int h_delete(struct ctx *c)
{
    if (wh_delete(&c->s, c->r->params[0]) != 0)
        return -1;
    return reply_empty(c);
}

/* test_webhook (webhooks/delivery.py): the event's example payload, sent now, once (no
 * retries: the caller waits), the outcome as a result rather than an error. */
static int h_test(struct ctx *c)
{
    struct webhook_event ev = {0};
    json_t *o = in_raw(&c->in, "event");
    if (o && read_event(c, o, "event", &ev) != 0)
        return -1;
    struct webhook h;
    if (wh_get(&c->s, c->r->params[0], &h) != 0)
        return -1;
    if (!o) {
        if (h.nevents == 0)
            return err_set(&c->e, ERR_INVALID_STATE, "Webhook has no events");
        ev = h.events[0];
    }
    const char *error = NULL;
    struct hooks_result r = {0};
    const char *secret = NULL;
    const char *data = hooks_example_payload(ev.entity, ev.action);
    struct err ue = {0};
    if (h.secret && !(secret = hooks_fernet_decrypt(c->s.a, h.secret)))
        error = "Failed to test webhook: InvalidToken()";
    else if (hooks_check_url(c->s.a, h.url, &ue) != 0)
        error = arena_printf(c->s.a, "Failed to test webhook: MlflowException(%s)",
                             py_repr(c->s.a, ue.msg));
    else {
        char hex[33];
        uuid4_hex(hex);
        const char *did = arena_printf(c->s.a, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
                                       hex + 12, hex + 16, hex + 20);
        /* The connection is not needed while the receiver answers. */
        store_thread_done();
        if (hooks_post(c->s.a, h.url, secret, did, ev.entity, ev.action, data, &r) != 0)
            error = arena_printf(c->s.a, "Failed to test webhook: ConnectionError(%s)",
                                 py_repr(c->s.a, r.error ? r.error : "unknown error"));
    }
    jw_obj(&c->w);
    jw_key(&c->w, "result");
    jw_obj(&c->w);
    jw_key(&c->w, "success");
    jw_bool(&c->w, !error && r.status < 400);
    if (!error) {
        jw_kint(&c->w, "response_status", r.status);
        if (r.body && *r.body)
            jw_kstr(&c->w, "response_body", r.body);
    } else {
        jw_kstr(&c->w, "error_message", error);
    }
    jw_obj_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

const struct route webhook_routes[] = {
    {HTTP_POST, "/webhooks", h_create, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/webhooks", h_list, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/webhooks/{webhook_id}", h_get, 0, RF_TRACKING, NULL},
    {HTTP_PATCH, "/webhooks/{webhook_id}", h_update, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_DELETE, "/webhooks/{webhook_id}", h_delete, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/webhooks/{webhook_id}/test", h_test, 64 * KB, RF_TRACKING | RF_JSON, NULL},
};
const size_t webhook_routes_n = sizeof webhook_routes / sizeof *webhook_routes;
