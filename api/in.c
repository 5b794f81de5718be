/* Request field access over a query string or a JSON body. */
#include "in.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/utf8.h"
#include "../base/util.h"


/* lowerCamelCase of a snake_case name; false when the name has no underscore. */
static bool camel_name(const char *name, char *out, size_t cap)
{
    if (!strchr(name, '_'))
        return false;
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < cap; p++) {
        if (*p == '_' && p[1]) {
            p++;
            out[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
    return true;
}

/* A body that spells one field both ways is ambiguous (an authorization layer could read
 * one spelling and the handler the other), so it is refused, as MLflow 3.17 does. */
static int reject_both_spellings(json_t *obj, struct err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char camel[64];
        if (camel_name(key, camel, sizeof camel) && json_object_get(obj, camel))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Request specifies both '%s' and '%s'; provide only one of them.", key,
                           camel);
    }
    return 0;
}

/* Every string of the body, at any depth, must be free of NUL: a C string would end at it
 * and the server would store, look up or check a shorter value than the client sent (and
 * PostgreSQL cannot store NUL in text at all). path names the first offender, as MLflow
 * names fields ("params[2].value"). */
static int reject_nul(json_t *v, struct buf *path, struct err *e)
{
    size_t mark = path->len;
    int rc = 0;
    if (json_is_string(v)) {
        if (memchr(json_string_value(v), '\0', json_string_length(v)))
            rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                         "Invalid value for parameter '%s' supplied: it contains a NUL "
                         "character (\\u0000), which is not allowed.",
                         path->len ? path->ptr : "(the request)");
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            buf_printf(path, "[%zu]", i);
            if ((rc = reject_nul(x, path, e)) != 0)
                break;
            path->len = mark;
            path->ptr[mark] = '\0';
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            buf_printf(path, "%s%s", mark ? "." : "", k);
            if ((rc = reject_nul(x, path, e)) != 0)
                break;
            path->len = mark;
            path->ptr[mark] = '\0';
        }
    }
    return rc;
}

static int reject_nul_body(json_t *body, struct err *e)
{
    struct buf path;
    buf_init(&path, 4096);
    buf_putc(&path, '\0'); /* allocate, so ptr is never NULL below */
    path.len = 0;
    int rc = reject_nul(body, &path, e);
    buf_release(&path);
    return rc;
}

/* jansson refuses an integer literal that does not fit int64 ("too big integer"). Python's
 * json reads it as an int and protobuf takes that as a double for a double field (a metric
 * value written with 30 digits), so such a body is read again with each of those literals
 * written as a real: a double field takes its value, an integer field refuses it with the
 * usual message. Strings are copied untouched. Returns NULL with *je set on failure. */
static json_t *load_widened(const char *s, size_t n, size_t flags, json_error_t *je)
{
    struct buf b;
    buf_init(&b, n + n / 2 + 16);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        if (s[i] == '"') {
            for (j = i + 1; j < n && s[j] != '"'; j++)
                if (s[j] == '\\')
                    j++;
            j = j < n ? j + 1 : n;
            buf_append(&b, s + i, j - i);
        } else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
            bool integer = true;
            while (j < n && (s[j] == '-' || s[j] == '+' || s[j] == '.' || s[j] == 'e' ||
                             s[j] == 'E' || (s[j] >= '0' && s[j] <= '9'))) {
                integer &= s[j] != '.' && s[j] != 'e' && s[j] != 'E';
                j++;
            }
            int64_t v;
            buf_append(&b, s + i, j - i);
            if (integer && !parse_i64(s + i, j - i, &v))
                buf_append(&b, ".0", 2);
        } else {
            j = i + 1;
            buf_putc(&b, s[i]);
        }
        i = j;
    }
    json_t *j = buf_ok(&b) ? json_loadb(b.ptr, b.len, flags, je) : NULL;
    buf_release(&b);
    return j;
}

/* json_loadb, and load_widened when the only trouble is an integer too big for int64. */
static json_t *load_json(const char *s, size_t n, size_t flags, json_error_t *je)
{
    json_t *j = json_loadb(s, n, flags, je);
    if (!j && json_error_code(je) == json_error_numeric_overflow)
        j = load_widened(s, n, flags, je);
    return j;
}

/* jansson's message, which quotes the input near the error as it read it, byte by byte:
 * the bytes of a character it stopped in the middle of are left out. */
static const char *jansson_text(const json_error_t *je, char *out)
{
    size_t n = strnlen(je->text, sizeof je->text - 1), k = 0;
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        int len = utf8_next(je->text + i, n - i, &cp);
        if (len > 0) {
            memcpy(out + k, je->text + i, (size_t)len);
            k += (size_t)len;
        }
        i += (size_t)(len > 0 ? len : -len);
    }
    out[k] = '\0';
    return out;
}

int in_init(struct in *in, struct req *r, struct err *e)
{
    in->r = r;
    in->e = e;
    in->a = r->arena;
    in->body = NULL;
    if (r->method == HTTP_GET || r->method == HTTP_HEAD)
        return 0;
    if (!r->body || r->body_len == 0) {
        in->body = json_object();
        return 0;
    }
    json_error_t je;
    json_t *j = load_json(r->body, r->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    /* Older clients double-encode: a JSON string holding the JSON object. */
    if (j && json_is_string(j)) {
        json_t *inner = load_json(json_string_value(j), json_string_length(j),
                                  JSON_ALLOW_NUL, &je);
        json_decref(j);
        j = inner;
    }
    if (!j) {
        char text[sizeof je.text];
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Malformed JSON request body: %s (line %d, column %d)",
                       jansson_text(&je, text), je.line, je.column);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Malformed request body: expected a JSON object");
    }
    in->body = j;
    if (reject_nul_body(j, e) != 0)
        return -1;
    return reject_both_spellings(j, e);
}

void in_init_query(struct in *in, struct req *r, struct err *e)
{
    in->r = r;
    in->e = e;
    in->a = r->arena;
    in->body = NULL;
}

void in_release(struct in *in)
{
    json_decref(in->body);
    in->body = NULL;
}

/* Python's type name of a JSON value, as MLflow's hint prints it. */
static const char *py_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "dict";
    case JSON_ARRAY:
        return "list";
    case JSON_STRING:
        return "str";
    case JSON_INTEGER:
        return "int";
    case JSON_REAL:
        return "float";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "NoneType";
    }
}

static int bad_type(struct in *in, const char *path, const json_t *v)
{
    char *dump = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    const char *shown = dump ? dump : "?";
    err_set(in->e, ERR_INVALID_PARAMETER_VALUE,
            "Invalid value %.*s for parameter '%s' supplied:  Hint: Value was of type '%s'.%s",
            (int)utf8_cut(shown, strlen(shown), 200), shown, path, py_type(v), err_docs_hint);
    free(dump);
    return -1;
}

static int bad_query(struct in *in, const char *name, const char *v, const char *type)
{
    return err_set(in->e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid value \"%.*s\" for parameter '%s' supplied:  Hint: Value was of "
                   "type '%s'.%s",
                   (int)utf8_cut(v, strlen(v), 200), v, name, type, err_docs_hint);
}

/* Appends s to p at *k, cut at the buffer's end. */
static void path_add(struct in_path *p, size_t *k, const char *s)
{
    while (*s && *k < sizeof p->s - 1)
        p->s[(*k)++] = *s++;
    p->s[*k] = '\0';
}

const char *in_path_elem(struct in_path *p, const char *field, size_t i)
{
    char digits[24];
    size_t nd = sizeof digits - 1, k = 0;
    digits[nd] = '\0';
    do
        digits[--nd] = (char)('0' + i % 10);
    while ((i /= 10) != 0 && nd > 0);
    path_add(p, &k, field);
    path_add(p, &k, "[");
    path_add(p, &k, digits + nd);
    path_add(p, &k, "]");
    return p->s;
}

const char *in_path_sub(struct in_path *p, const char *base, const char *leaf)
{
    size_t k = 0;
    path_add(p, &k, base);
    path_add(p, &k, leaf);
    return p->s;
}

static int missing(struct in *in, const char *path)
{
    return err_missing(in->e, path, true);
}

/* First query value for name, or NULL. */
static const struct http_kv *qget(struct in *in, const char *name)
{
    for (size_t i = 0; i < in->r->nquery; i++)
        if (strcmp(in->r->query[i].key, name) == 0)
            return &in->r->query[i];
    return NULL;
}

/* The JSON value for name, or NULL when absent or null. Like protobuf's JSON parser, the
 * lowerCamelCase spelling ("maxResults" for "max_results") is accepted too. */
static json_t *jget(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    char camel[64];
    if (!v && camel_name(name, camel, sizeof camel))
        v = json_object_get(obj, camel);
    return v && !json_is_null(v) ? v : NULL;
}

json_t *in_raw(struct in *in, const char *name)
{
    return in->body ? jget(in->body, name) : NULL;
}

int in_str(struct in *in, const char *name, const char **out)
{
    *out = NULL;
    if (!in->body) {
        const struct http_kv *kv = qget(in, name);
        if (kv)
            *out = kv->value;
        return 0;
    }
    json_t *v = jget(in->body, name);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return bad_type(in, name, v);
    *out = arena_strndup(in->a, json_string_value(v), json_string_length(v));
    return 0;
}

int in_str_req(struct in *in, const char *name, const char **out)
{
    if (in_str(in, name, out) != 0)
        return -1;
    if (!*out || !**out)
        return missing(in, name);
    return 0;
}

int in_run_id(struct in *in, const char **out)
{
    if (in_str(in, "run_id", out) != 0)
        return -1;
    if (!*out || !**out) {
        if (in_str(in, "run_uuid", out) != 0)
            return -1;
    }
    if (!*out || !**out)
        return missing(in, "run_id");
    return 0;
}

static int json_to_i64(struct in *in, const char *path, json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9.2e18) {
            *out = (int64_t)d;
            return 0;
        }
    }
    if (json_is_string(v) &&
        parse_i64(json_string_value(v), json_string_length(v), out))
        return 0;
    return bad_type(in, path, v);
}

int in_i64(struct in *in, const char *name, int64_t *out, bool *present)
{
    *present = false;
    if (!in->body) {
        const struct http_kv *kv = qget(in, name);
        if (!kv)
            return 0;
        if (!parse_i64(kv->value, kv->vlen, out))
            return bad_query(in, name, kv->value, "str");
        *present = true;
        return 0;
    }
    json_t *v = jget(in->body, name);
    if (!v)
        return 0;
    if (json_to_i64(in, name, v, out) != 0)
        return -1;
    *present = true;
    return 0;
}

static int json_to_double(struct in *in, const char *path, json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v) && parse_double(json_string_value(v), json_string_length(v), out))
        return 0;
    return bad_type(in, path, v);
}

int in_double(struct in *in, const char *name, double *out, bool *present)
{
    *present = false;
    if (!in->body) {
        const struct http_kv *kv = qget(in, name);
        if (!kv)
            return 0;
        if (!parse_double(kv->value, kv->vlen, out))
            return bad_query(in, name, kv->value, "str");
        *present = true;
        return 0;
    }
    json_t *v = jget(in->body, name);
    if (!v)
        return 0;
    if (json_to_double(in, name, v, out) != 0)
        return -1;
    *present = true;
    return 0;
}

int in_bool(struct in *in, const char *name, bool *out, bool *present)
{
    *present = false;
    if (!in->body) {
        const struct http_kv *kv = qget(in, name);
        if (!kv)
            return 0;
        if (strcasecmp(kv->value, "true") == 0)
            *out = true;
        else if (strcasecmp(kv->value, "false") == 0)
            *out = false;
        else /* MLflow's _get_request_message, before any schema check */
            return err_set(in->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid boolean value: %.*s, must be 'true' or 'false'.",
                           (int)utf8_cut(kv->value, strlen(kv->value), 200), kv->value);
        *present = true;
        return 0;
    }
    json_t *v = jget(in->body, name);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return bad_type(in, name, v);
    *out = json_is_true(v);
    *present = true;
    return 0;
}

int in_str_list(struct in *in, const char *name, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!in->body) {
        size_t cnt = 0;
        for (size_t i = 0; i < in->r->nquery; i++)
            cnt += strcmp(in->r->query[i].key, name) == 0;
        if (!cnt)
            return 0;
        const char **v = arena_calloc(in->a, cnt, sizeof *v);
        for (size_t i = 0; i < in->r->nquery; i++)
            if (strcmp(in->r->query[i].key, name) == 0)
                v[(*n)++] = in->r->query[i].value;
        *out = v;
        return 0;
    }
    json_t *arr = jget(in->body, name);
    if (!arr)
        return 0;
    if (!json_is_array(arr))
        return bad_type(in, name, arr);
    size_t cnt = json_array_size(arr);
    const char **v = arena_calloc(in->a, cnt ? cnt : 1, sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        json_t *s = json_array_get(arr, i);
        if (json_is_integer(s)) {
            /* protobuf accepts numbers for string ids in repeated fields too */
            v[i] = arena_printf(in->a, "%lld", (long long)json_integer_value(s));
            continue;
        }
        if (!json_is_string(s))
            return bad_type(in, name, arr);
        v[i] = arena_strndup(in->a, json_string_value(s), json_string_length(s));
    }
    *out = v;
    *n = cnt;
    return 0;
}

int in_array(struct in *in, const char *name, json_t **out)
{
    *out = NULL;
    if (!in->body)
        return 0;
    json_t *v = jget(in->body, name);
    if (!v)
        return 0;
    if (!json_is_array(v))
        return bad_type(in, name, v);
    *out = v;
    return 0;
}

/* path.name, or name without a path. */
static const char *join_path(struct in_path *jp, const char *path, const char *name)
{
    if (!path || !*path)
        return name;
    size_t k = 0;
    path_add(jp, &k, path);
    path_add(jp, &k, ".");
    path_add(jp, &k, name);
    return jp->s;
}

int obj_str(struct in *in, json_t *obj, const char *path, const char *name, bool required,
            const char **out)
{
    struct in_path jp;
    *out = NULL;
    if (!json_is_object(obj))
        return bad_type(in, path, obj);
    json_t *v = jget(obj, name);
    if (v && !json_is_string(v))
        return bad_type(in, join_path(&jp, path, name), v);
    if (v)
        *out = arena_strndup(in->a, json_string_value(v), json_string_length(v));
    if (required && (!*out || !**out))
        return missing(in, join_path(&jp, path, name));
    return 0;
}

int obj_i64(struct in *in, json_t *obj, const char *path, const char *name, bool required,
            int64_t *out, bool *present)
{
    struct in_path jp;
    *present = false;
    if (!json_is_object(obj))
        return bad_type(in, path, obj);
    json_t *v = jget(obj, name);
    if (!v)
        return required ? missing(in, join_path(&jp, path, name)) : 0;
    if (json_to_i64(in, join_path(&jp, path, name), v, out) != 0)
        return -1;
    *present = true;
    return 0;
}

int obj_double(struct in *in, json_t *obj, const char *path, const char *name, bool required,
               double *out, bool *present)
{
    struct in_path jp;
    *present = false;
    if (!json_is_object(obj))
        return bad_type(in, path, obj);
    json_t *v = jget(obj, name);
    if (!v)
        return required ? missing(in, join_path(&jp, path, name)) : 0;
    if (json_to_double(in, join_path(&jp, path, name), v, out) != 0)
        return -1;
    *present = true;
    return 0;
}

int in_max_results(struct in *in, int64_t dflt, int64_t max, int64_t *out)
{
    bool has;
    if (in_i64(in, "max_results", out, &has) != 0)
        return -1;
    if (!has)
        *out = dflt;
    else if (*out > max && in->body)
        return err_set(in->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %lld for parameter 'max_results' supplied:  Hint: Value was "
                       "of type 'int'.%s",
                       (long long)*out, err_docs_hint);
    else if (*out > max)
        return err_set(in->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"%lld\" for parameter 'max_results' supplied:  Hint: Value "
                       "was of type 'str'.%s",
                       (long long)*out, err_docs_hint);
    return 0;
}

int in_refuse(struct in *in, const char *name, const json_t *v)
{
    return bad_type(in, name, v);
}
