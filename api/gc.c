/* `mltrack gc` (see gc.h): which entities MLflow's gc deletes, checked up front, then each
 * deleted in a transaction of its own (store/gc.c) and its artifacts removed through the
 * artifact layer once that transaction has committed. */
#include "gc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../artifacts/art.h"
#include "../base/util.h"
#include "../store/gc.h"
#include "api.h"

int gc_parse_older_than(const char *s, int64_t *ms, struct err *e)
{
    static const struct {
        char unit;
        double seconds;
    } parts[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    double total = 0;
    const char *p = s;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        size_t n = strspn(p, "0123456789.");
        if (n == 0 || p[n] != parts[i].unit)
            continue; /* this part is absent; the digits may be a later part's */
        double v;
        if (!parse_double(p, n, &v))
            goto bad; /* "1.2.3" or ".": Python's float() refuses them too */
        total += v * parts[i].seconds;
        p += n + 1;
    }
    if (*p || total * 1000 >= 9.2e18)
        goto bad;
    *ms = (int64_t)(total * 1000);
    return 0;
bad:
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Could not parse any time information from '%s'. Examples of valid "
                   "strings: '8h', '2d8h5m20s', '2m4s'",
                   s);
}

/* What one gc run carries along. */
struct gc {
    const struct gc_opts *o;
    struct sctx c;
    struct err *e;
    struct arena *a;   /* lists and ids, for the whole run */
    bool use_age;      /* --older-than given (and not "") */
    int64_t threshold; /* now - older_than, in ms */
    bool artifacts_open, destination_ok;
    int status; /* 0, or 1 once something was left behind */
};

static void push(struct arena *a, const char ***v, size_t *n, const char *id)
{
    *v = arena_grow(a, *v, *n, sizeof **v);
    (*v)[(*n)++] = id;
}

/* An id list as MLflow splits it: on every comma, nothing trimmed; appended to *v. */
static void split_ids(struct arena *a, const char *s, const char ***v, size_t *n)
{
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        push(a, v, n, arena_strndup(a, p, len));
        if (!comma)
            return;
        p = comma + 1;
    }
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts ids[0..n) and drops repeats (MLflow iterates a set, in no particular order);
 * returns the new count. */
static size_t sort_unique(const char **ids, size_t n)
{
    if (n == 0)
        return 0;
    qsort(ids, n, sizeof *ids, cmp_id);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i], ids[k - 1]) != 0)
            ids[k++] = ids[i];
    return k;
}

/* Whether id is in the sorted ids[0..n). */
static bool contains(const char *const *ids, size_t n, const char *id)
{
    return n && bsearch(&id, ids, n, sizeof *ids, cmp_id) != NULL;
}

/* Python's repr of a list of str, for MLflow's experiment messages: ['1', '2']. */
static const char *py_list(struct arena *a, const char *const *ids, size_t n)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s'%s'", i ? ", " : "", ids[i]);
    buf_putc(&b, ']');
    const char *s = arena_strndup(a, b.ptr ? b.ptr : "[]", b.ptr ? b.len : 2);
    buf_release(&b);
    return s;
}

/* The ids of the deleted items of kind k whose time is within the age limit (all of them
 * without --older-than, except those without a time: MLflow compares deleted_time <= now,
 * which a NULL never is). */
static int old_enough(struct gc *g, enum gc_kind k, const char ***ids, size_t *n)
{
    struct gc_item *items;
    size_t ni;
    if (gc_list(&g->c, k, NULL, &items, &ni) != 0)
        return -1;
    *ids = NULL;
    *n = 0;
    int64_t limit = g->use_age ? g->threshold : now_ms();
    for (size_t i = 0; i < ni; i++)
        if (items[i].has_time && items[i].time <= limit)
            push(g->a, ids, n, items[i].id);
    return 0;
}

/* MLflow's checks of the experiments named by --experiment-ids, in its order: each must
 * exist, then all be deleted, then (with --older-than) all be old enough. */
static int check_experiments(struct gc *g, const char **ids, size_t n)
{
    struct gc_item *items = arena_calloc(g->a, n ? n : 1, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        int rc = gc_lookup(&g->c, GC_EXPERIMENT, ids[i], &items[i]);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return err_set(g->e, ERR_RESOURCE_DOES_NOT_EXIST, "No Experiment with id=%s exists",
                           ids[i]);
    }
    const char **bad = arena_calloc(g->a, n ? n : 1, sizeof *bad);
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (!items[i].deleted)
            bad[nbad++] = ids[i];
    if (nbad)
        return err_set(g->e, ERR_INVALID_PARAMETER_VALUE,
                       "Experiments %s are not in the deleted lifecycle stage. Only experiments "
                       "in the deleted lifecycle stage can be hard-deleted.",
                       py_list(g->a, bad, nbad));
    for (size_t i = 0; g->use_age && i < n; i++)
        if (!items[i].has_time || items[i].time >= g->threshold)
            bad[nbad++] = ids[i];
    if (nbad)
        return err_set(g->e, ERR_INVALID_PARAMETER_VALUE,
                       "Experiments %s are not older than the required age. Only experiments "
                       "older than %s can be deleted.",
                       py_list(g->a, bad, nbad), g->o->older_than);
    return 0;
}

/* MLflow's checks of a run or logged model about to be deleted: it exists, it is deleted,
 * and with --older-than it is among the old ones. */
static int check_item(struct gc *g, enum gc_kind k, const char *id, const char *const *old,
                      size_t nold)
{
    bool run = k == GC_RUN;
    struct gc_item it;
    int rc = gc_lookup(&g->c, k, id, &it);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return run ? err_set(g->e, ERR_RESOURCE_DOES_NOT_EXIST, "Run with id=%s not found", id)
                   : err_set(g->e, ERR_RESOURCE_DOES_NOT_EXIST,
                             "Logged model with ID '%s' not found.", id);
    const char *what = run ? "Run" : "Logged model", *whats = run ? "runs" : "logged models";
    if (!it.deleted)
        return err_set(g->e, ERR_INVALID_PARAMETER_VALUE,
                       "%s %s is not in `deleted` lifecycle stage. Only %s in `deleted` "
                       "lifecycle stage can be deleted.",
                       what, id, whats);
    if (g->use_age && !contains(old, nold, id))
        return err_set(g->e, ERR_INVALID_PARAMETER_VALUE,
                       "%s %s is not older than the required age. Only %s older than %s can "
                       "be deleted.",
                       what, id, whats, g->o->older_than);
    return 0;
}

static void warn(struct gc *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct gc *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(g->o->warn, fmt, ap);
    va_end(ap);
    fputc('\n', g->o->warn);
    g->status = 1;
}

/* The artifact layer, opened on first use: creating a local destination directory only
 * when there is something to remove. */
static void open_artifacts(struct gc *g)
{
    if (g->artifacts_open)
        return;
    g->artifacts_open = true;
    struct api_config cfg = {.serve_artifacts = true,
                             .artifacts_destination = g->o->artifacts_destination};
    struct err e;
    err_clear(&e);
    g->destination_ok = artifacts_init(&cfg, &e) == 0;
    if (!g->destination_ok)
        warn(g, "mltrack gc: cannot open the artifacts destination '%s': %s; artifacts "
                "stored there are not removed",
             g->o->artifacts_destination, e.msg);
}

/* Removes the directory dir itself: the last segment, from its parent's store. */
static int remove_dir(const char *dir, struct arena *a, struct err *e)
{
    const char *slash = strrchr(dir, '/');
    if (!slash || !slash[1])
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "refusing to remove '%s'", dir);
    const char *parent = slash == dir ? "/" : arena_strndup(a, dir, (size_t)(slash - dir));
    struct art_store *s = art_attach(parent, e);
    if (!s)
        return -1;
    int rc = art_remove(s, slash + 1, e);
    art_close(s);
    return rc;
}

/* Empties the artifact location uri of an entity whose rows are gone: true when it is
 * empty now, or cannot be reached by this program at all (then passed over with MLflow's
 * warning, as `mlflow gc` does); false, with a warning, when the removal failed. */
static bool remove_artifacts(struct gc *g, struct arena *a, const char *uri)
{
    open_artifacts(g);
    struct art_place pl;
    struct err e;
    err_clear(&e);
    int rc = art_place_resolve(a, uri, &pl, &e);
    if (rc != 0 && e.code == ERR_NOT_IMPLEMENTED) {
        warn(g, "Unable to resolve the provided artifact URL: '%s'. The gc process will "
                "continue and bypass artifact deletion. Please ensure that the artifact "
                "exists and consider manually deleting any unused artifacts.",
             uri);
        return true;
    }
    if (rc == 0) {
        if (pl.dir)
            rc = remove_dir(pl.dir, a, &e);
        else if (!*pl.root) /* the whole destination or bucket: never a run's own */
            rc = err_set(&e, ERR_INVALID_PARAMETER_VALUE, "it is the root of its store");
        else
            rc = art_remove(pl.store, pl.root, &e);
        art_place_release(&pl);
    }
    if (rc != 0)
        warn(g, "mltrack gc: the artifacts at '%s' were not removed: %s; the next gc tries "
                "again",
             uri, e.msg);
    return rc == 0;
}

/* Takes location off the queue of pending removals once it is empty. */
static void removed(struct gc *g, const char *location)
{
    err_clear(g->e);
    if (gc_pending_done(&g->c, location) != 0)
        warn(g, "mltrack gc: '%s' stays queued for removal: %s", location, g->e->msg);
}

static const char *const kind_words[] = {
    [GC_RUN] = "Run", [GC_LOGGED_MODEL] = "Logged model", [GC_EXPERIMENT] = "Experiment"};

/* Deletes one entity, then its artifacts. A locked database (the server writing a long
 * batch) is retried a few times before giving up. */
static int delete_one(struct gc *g, enum gc_kind k, const char *id, bool any_stage)
{
    struct arena scratch;
    arena_init(&scratch);
    struct arena *keep = g->c.a;
    g->c.a = &scratch;
    const char *location;
    bool restored;
    int rc;
    for (int attempt = 0;; attempt++) {
        err_clear(g->e);
        rc = gc_delete(&g->c, k, id, any_stage, &location, &restored);
        if (rc >= 0 || g->e->code != ERR_TEMPORARILY_UNAVAILABLE || attempt == 5)
            break;
    }
    if (rc == 1) {
        fprintf(g->o->out, "%s with ID %s has been permanently deleted.\n", kind_words[k], id);
        fflush(g->o->out);
        /* Only experiments' own locations are kept: they hold their runs' and models'
         * folders, and may be a path the user chose for more than this experiment. */
        if (k != GC_EXPERIMENT && location && *location &&
            remove_artifacts(g, &scratch, location))
            removed(g, location);
    } else if (rc == 0 && restored) {
        warn(g, "mltrack gc: %s %s is no longer in the deleted lifecycle stage; left alone",
             kind_words[k], id);
    }
    g->c.a = keep;
    arena_release(&scratch);
    return rc < 0 ? -1 : 0;
}

/* An experiment: whatever runs and logged models it still has (any stage: MLflow's
 * cascade takes them all), then its own rows. */
static int delete_experiment(struct gc *g, const char *id)
{
    static const enum gc_kind members[] = {GC_RUN, GC_LOGGED_MODEL};
    for (size_t m = 0; m < 2; m++) {
        struct gc_item *items;
        size_t n;
        if (gc_list(&g->c, members[m], id, &items, &n) != 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (delete_one(g, members[m], items[i].id, true) != 0)
                return -1;
    }
    return delete_one(g, GC_EXPERIMENT, id, false);
}

/* The locations an earlier gc queued but did not empty (it stopped, or the store failed). */
static int finish_pending(struct gc *g)
{
    struct gc_pending *p;
    size_t n;
    if (gc_pending_list(&g->c, &p, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct arena scratch;
        arena_init(&scratch);
        if (remove_artifacts(g, &scratch, p[i].location)) {
            fprintf(g->o->out, "Artifacts of %s %s at '%s', left by an earlier gc, have been "
                               "removed.\n",
                    p[i].entity, p[i].entity_id, p[i].location);
            removed(g, p[i].location);
        }
        arena_release(&scratch);
    }
    return 0;
}

/* Everything MLflow's gc chooses, checked; then deleted. */
static int collect_and_delete(struct gc *g)
{
    const struct gc_opts *o = g->o;
    const char **old_runs, **old_models;
    size_t nold_runs, nold_models;
    if (old_enough(g, GC_RUN, &old_runs, &nold_runs) != 0 ||
        old_enough(g, GC_LOGGED_MODEL, &old_models, &nold_models) != 0)
        return -1;

    const char **runs = NULL, **models = NULL, **exps = NULL;
    size_t nruns = 0, nmodels = 0, nexps = 0;
    if (o->run_ids && *o->run_ids)
        split_ids(g->a, o->run_ids, &runs, &nruns);
    else
        for (size_t i = 0; i < nold_runs; i++)
            push(g->a, &runs, &nruns, old_runs[i]);
    if (o->logged_model_ids && *o->logged_model_ids)
        split_ids(g->a, o->logged_model_ids, &models, &nmodels);
    else
        for (size_t i = 0; i < nold_models; i++)
            push(g->a, &models, &nmodels, old_models[i]);

    if (o->experiment_ids && *o->experiment_ids) {
        split_ids(g->a, o->experiment_ids, &exps, &nexps);
        if (check_experiments(g, exps, nexps) != 0)
            return -1;
    } else {
        struct gc_item *items;
        size_t n;
        if (gc_list(&g->c, GC_EXPERIMENT, NULL, &items, &n) != 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (!g->use_age || (items[i].has_time && items[i].time < g->threshold))
                push(g->a, &exps, &nexps, items[i].id);
    }
    /* The deleted runs of those experiments join the runs (and their checks). */
    for (size_t x = 0; x < nexps; x++) {
        struct gc_item *items;
        size_t n;
        if (gc_list(&g->c, GC_RUN, exps[x], &items, &n) != 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (items[i].deleted)
                push(g->a, &runs, &nruns, items[i].id);
    }
    nold_runs = sort_unique(old_runs, nold_runs);
    nold_models = sort_unique(old_models, nold_models);
    nruns = sort_unique(runs, nruns);
    nmodels = sort_unique(models, nmodels);
    for (size_t i = 0; i < nruns; i++)
        if (check_item(g, GC_RUN, runs[i], old_runs, nold_runs) != 0)
            return -1;
    for (size_t i = 0; i < nmodels; i++)
        if (check_item(g, GC_LOGGED_MODEL, models[i], old_models, nold_models) != 0)
            return -1;
    if (finish_pending(g) != 0)
        return -1;

    for (size_t i = 0; i < nruns; i++)
        if (delete_one(g, GC_RUN, runs[i], false) != 0)
            return -1;
    for (size_t i = 0; i < nmodels; i++)
        if (delete_one(g, GC_LOGGED_MODEL, models[i], false) != 0)
            return -1;
    for (size_t i = 0; i < nexps; i++)
        if (delete_experiment(g, exps[i]) != 0)
            return -1;
    return 0;
}

int gc_run(const struct gc_opts *o, struct err *e)
{
    struct gc g = {.o = o, .e = e};
    g.use_age = o->older_than && *o->older_than;
    int64_t age = 0;
    if (o->older_than && gc_parse_older_than(o->older_than, &age, e) != 0)
        return -1;
    g.threshold = now_ms() - age;
    struct arena a;
    arena_init(&a);
    g.a = &a;
    g.c = (struct sctx){.db = gc_db_open(o->backend_uri, e), .a = &a, .e = e};
    int rc = -1;
    if (g.c.db) {
        rc = collect_and_delete(&g);
        db_close(g.c.db);
    }
    if (g.artifacts_open)
        artifacts_shutdown();
    arena_release(&a);
    return rc < 0 ? -1 : g.status;
}
