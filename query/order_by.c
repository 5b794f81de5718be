/* MLflow's order_by: "<identifier> [ASC|DESC]" strings for runs, experiments and the
 * registry (SearchUtils.parse_order_by_* and the SQL stores' checks), and the structured
 * entries of logged models, with MLflow's messages. */
#include <stdio.h>
#include <string.h>

#include "filter.h"
#include "keys.h"
#include "pylit.h"
#include "scan.h"

/* _parse_order_by_string: "<identifier>[ ws ASC|DESC]". */
static int order_split(struct arena *a, struct str item, struct str *ident, bool *asc,
                       struct err *e)
{
    size_t end = scan_ident(item.p, item.n, 0);
    *asc = true;
    if (!end)
        goto unparsable;
    *ident = shlex_unquote(a, str_sub(item, 0, end));
    if (end == item.n)
        return 0;
    size_t j = end;
    while (j < item.n && is_ws((unsigned char)item.p[j]))
        j++;
    if (j == end || j == item.n)
        goto unparsable;
    size_t w = j;
    while (w < item.n && is_wordc((unsigned char)item.p[w]))
        w++;
    if (w == j || w != item.n)
        goto unparsable;
    struct str dir = str_sub(item, j, w);
    if (str_eq_nocase(dir, "asc"))
        *asc = true;
    else if (str_eq_nocase(dir, "desc"))
        *asc = false;
    else
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid ordering key in order_by clause '%.*s'.", snip_len(item), item.p);
    return 0;
unparsable:
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid order_by clause '%.*s'. Could not be parsed.", snip_len(item),
                   item.p);
}

/* MLflow's message for duplicates quotes the whole list as a Python list. */
static int err_duplicate(struct err *e, const struct str *items, size_t n)
{
    char list[600];
    size_t k = 0;
    list[k++] = '[';
    for (size_t j = 0; j < n && k < sizeof list - 8; j++) {
        int room = (int)(sizeof list - 8 - k);
        int w = snprintf(list + k, (size_t)room + 1, "%s'%.*s'", j ? ", " : "",
                         (int)(items[j].n > 100 ? 100 : items[j].n), items[j].p);
        k += (size_t)(w < 0 ? 0 : (w > room ? room : w));
    }
    list[k++] = ']';
    list[k] = '\0';
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "`order_by` contains duplicate fields: %s",
                   list);
}

static bool order_same(const struct order_key *x, const struct order_key *y)
{
    if (x->entity != y->entity)
        return false;
    if (x->entity == FILTER_ATTRIBUTE)
        return x->attr == y->attr;
    return x->key.n == y->key.n && memcmp(x->key.p, y->key.p, x->key.n) == 0;
}

static int order_one(struct arena *a, enum search_kind kind, struct str item,
                     struct order_key *ok, struct err *e)
{
    struct str tok;
    bool asc;
    struct ident id;
    if (order_split(a, item, &tok, &asc, e) < 0)
        return -1;
    memset(ok, 0, sizeof *ok);
    ok->ascending = asc;
    switch (kind) {
    case SEARCH_RUNS:
        if (ident_runs(a, tok, KEY_ORDER, &id, e) < 0)
            return -1;
        if (id.entity == FILTER_DATASET)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid identifier type '%s'",
                           filter_entity_name(id.entity));
        break;
    case SEARCH_EXPERIMENTS:
        if (ident_simple(a, tok, query_experiment_keys, KEY_ORDER, false, &id, e) < 0)
            return -1;
        if (id.entity != FILTER_ATTRIBUTE)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order_by entity: %s",
                           filter_entity_name(id.entity));
        break;
    case SEARCH_REGISTERED_MODELS:
        /* SearchUtils.parse_order_by_for_search_registered_models: bare keys only, and a
         * message that leaves last_updated_timestamp out. */
        id.entity = FILTER_ATTRIBUTE;
        id.key = tok;
        id.def = query_key_find(query_registered_model_keys, tok, KEY_ORDER);
        if (!id.def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid order by key '%.*s' specified. Valid keys are "
                           "'{'name', 'timestamp'}'",
                           snip_len(tok), tok.p);
        break;
    case SEARCH_MODEL_VERSIONS:
        if (ident_simple(a, tok, query_model_version_keys, KEY_ORDER, false, &id, e) < 0)
            return -1;
        if (id.entity != FILTER_ATTRIBUTE)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order_by entity: %s",
                           filter_entity_name(id.entity));
        break;
    case SEARCH_TRACES:
        if (ident_traces(a, tok, KEY_ORDER, &id, e) < 0)
            return -1;
        if (id.entity != FILTER_ATTRIBUTE && id.entity != FILTER_TAG)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order_by entity: %s",
                           filter_entity_name(id.entity));
        break;
    default:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "order_by of logged models is a list of objects");
    }
    ok->entity = id.entity;
    ok->attr = id.def ? id.def->attr : FATTR_NONE;
    ok->column = id.def ? id.def->column : NULL;
    ok->key = arena_str(a, id.key.p, id.key.n);
    return 0;
}

/* Starts out empty and, for n entries (at most FILTER_MAX_ORDER_BY), gives the array to
 * fill: 1, or 0 for no entries, or -1 with e set for too many. */
static int keys_for(struct arena *a, size_t n, struct order_by *out, struct order_key **keys,
                    struct err *e)
{
    out->keys = NULL;
    out->n = 0;
    if (n == 0)
        return 0;
    if (n > FILTER_MAX_ORDER_BY)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Too many order_by entries (at most %d)",
                       FILTER_MAX_ORDER_BY);
    *keys = arena_calloc(a, n, sizeof **keys);
    return 1;
}

int filter_parse_order_by(struct arena *a, enum search_kind kind, const struct str *items,
                          size_t n, struct order_by *out, struct err *e)
{
    struct order_key *keys = NULL;
    if (keys_for(a, n, out, &keys, e) <= 0)
        return n == 0 ? 0 : -1;
    for (size_t j = 0; j < n; j++) {
        if (items[j].n > FILTER_MAX_LEN)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "order_by entry is too long");
        if (order_one(a, kind, items[j], &keys[j], e) < 0)
            return -1;
        if (kind == SEARCH_EXPERIMENTS)
            continue; /* MLflow does not check duplicates there */
        for (size_t k = 0; k < j; k++)
            if (order_same(&keys[k], &keys[j]))
                return err_duplicate(e, items, n);
    }
    out->keys = keys;
    out->n = n;
    return 0;
}

int filter_parse_logged_model_order_by(struct arena *a, const struct logged_model_order_in *items,
                                       size_t n, struct order_by *out, struct err *e)
{
    struct order_key *keys = NULL;
    if (keys_for(a, n, out, &keys, e) <= 0)
        return n == 0 ? 0 : -1;
    for (size_t j = 0; j < n; j++) {
        struct str f = items[j].field_name;
        struct order_key *ok = &keys[j];
        if (!f.p || f.n > 1000)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "`field_name` in the `order_by` clause must be specified.");
        const char *dot = memchr(f.p, '.', f.n);
        ok->ascending = items[j].ascending;
        if (dot) {
            struct str ent = str_sub(f, 0, (size_t)(dot - f.p));
            if (!str_eq(ent, "metrics"))
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid order by field name: %.*s. Only metrics are supported.",
                               snip_len(f), f.p);
            struct str key = str_sub(f, (size_t)(dot - f.p) + 1, f.n);
            ok->entity = FILTER_METRIC;
            ok->key = arena_str(a, key.p, key.n);
            if (items[j].dataset_digest.n && !items[j].dataset_name.n)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "`dataset_digest` can only be specified if `dataset_name` is also "
                               "specified.");
            ok->dataset_name = arena_str(a, items[j].dataset_name.p ? items[j].dataset_name.p
                                                                    : "",
                                         items[j].dataset_name.n);
            ok->dataset_digest = arena_str(a, items[j].dataset_digest.p
                                                  ? items[j].dataset_digest.p
                                                  : "",
                                           items[j].dataset_digest.n);
        } else {
            const struct query_key *def =
                query_key_find(query_logged_model_keys, f, KEY_ORDER);
            if (!def)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid order by field name: %.*s", snip_len(f), f.p);
            ok->entity = FILTER_ATTRIBUTE;
            ok->attr = def->attr;
            ok->column = def->column;
            ok->key = arena_str(a, f.p, f.n);
        }
    }
    out->keys = keys;
    out->n = n;
    return 0;
}

