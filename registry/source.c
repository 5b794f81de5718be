/* Model version source checks that need no database (see source.h for the advisories). */
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/url.h"
#include "../base/util.h"

enum { RESOLVE_MAX = 4096, RESOLVE_MAX_LINKS = 40 };

static bool scheme_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '-' || c == '.';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char *lower_dup(struct arena *a, const char *s, size_t n)
{
    char *d = arena_strndup(a, s, n);
    for (char *p = d; *p; p++)
        *p = lower(*p);
    return d;
}

void reg_uri_split(struct arena *a, const char *uri, struct reg_uri *out)
{
    /* Python strips leading C0 controls and spaces, then removes every tab, CR and LF. */
    const unsigned char *u = (const unsigned char *)(uri ? uri : "");
    while (*u && *u <= 0x20)
        u++;
    size_t n = strlen((const char *)u);
    char *s = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (u[i] != '\t' && u[i] != '\r' && u[i] != '\n')
            s[k++] = (char)u[i];
    s[k] = '\0';

    out->scheme = "";
    out->netloc = "";
    out->hostname = "";
    out->port = "";
    char *colon = strchr(s, ':');
    if (colon && colon > s && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        bool ok = true;
        for (char *p = s; p < colon; p++)
            ok = ok && scheme_char(*p);
        if (ok) {
            out->scheme = lower_dup(a, s, (size_t)(colon - s));
            s = colon + 1;
        }
    }
    if (s[0] == '/' && s[1] == '/') {
        size_t m = strcspn(s + 2, "/?#");
        out->netloc = arena_strndup(a, s + 2, m);
        s += 2 + m;
    }
    s[strcspn(s, "#")] = '\0';
    s[strcspn(s, "?")] = '\0';
    out->path = s;

    /* hostname and port: after the last '@'; "[v6]" or up to ':'. */
    const char *hp = strrchr(out->netloc, '@');
    hp = hp ? hp + 1 : out->netloc;
    const char *port = NULL;
    size_t hn;
    if (hp[0] == '[') {
        const char *rb = strchr(hp, ']');
        hn = rb ? (size_t)(rb - hp - 1) : strlen(hp + 1);
        out->hostname = lower_dup(a, hp + 1, hn);
        port = rb ? strchr(rb, ':') : NULL;
    } else {
        hn = strcspn(hp, ":");
        out->hostname = lower_dup(a, hp, hn);
        port = hp[hn] == ':' ? hp + hn : NULL;
    }
    if (port)
        out->port = arena_strdup(a, port + 1);
}

/* One pass of unquote / unquote_plus. A decoded NUL is reported through *nul and
 * dropped: it would end the C string. */
static char *unquote_once(struct arena *a, const char *s, bool plus, bool *nul)
{
    size_t n = strlen(s);
    char *d = arena_alloc(a, n + 1);
    size_t len = url_decode(d, s, n, plus), k = 0;
    for (size_t i = 0; i < len; i++) {
        if (d[i] == '\0')
            *nul = true;
        else
            d[k++] = d[i];
    }
    d[k] = '\0';
    return d;
}

static char *unquote_all(struct arena *a, const char *s, bool plus, bool *nul)
{
    char *cur = arena_strdup(a, s);
    for (int guard = 0; guard < 64; guard++) {
        bool had_nul = false;
        char *next = unquote_once(a, cur, plus, &had_nul);
        *nul = *nul || had_nul;
        if (!had_nul && strcmp(next, cur) == 0)
            return cur;
        cur = next;
    }
    return cur;
}

char *reg_unquote_all(struct arena *a, const char *s, bool plus)
{
    bool nul = false;
    return unquote_all(a, s, plus, &nul);
}

int reg_source_is_local(struct arena *a, const char *uri, bool *local, struct err *e)
{
    struct reg_uri u;
    reg_uri_split(a, uri, &u);
    *local = false;
    if (!*u.scheme) {
        *local = true;
        return 0;
    }
    const char *h = u.hostname;
    bool remote = *h && !(strcmp(h, ".") == 0 || strncmp(h, "localhost", 9) == 0 ||
                          strncmp(h, "127.0.0.1", 9) == 0);
    if (strcmp(u.scheme, "file") == 0) {
        if (remote)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "%s is not a valid remote uri. For remote access on windows, please "
                           "consider using a different scheme such as SMB (e.g. "
                           "smb://<hostname>/<path>).",
                           uri);
        *local = true;
    }
    return 0;
}

char *reg_local_path(struct arena *a, const char *uri)
{
    if (strncmp(uri, "file:", 5) == 0) {
        struct reg_uri u;
        reg_uri_split(a, uri, &u);
        return reg_unquote_all(a, u.path, false);
    }
    /* url2pathname() is a single unquote on POSIX. */
    bool nul = false;
    return unquote_once(a, uri, false, &nul);
}

int reg_resolve_if_local(struct arena *a, const char *uri, const char *cwd, const char **out,
                         struct err *e)
{
    *out = uri;
    bool local;
    if (reg_source_is_local(a, uri, &local, e) != 0)
        return -1;
    const char *path = local ? reg_local_path(a, uri) : "/";
    if (path[0] == '/')
        return 0;
    struct reg_uri u;
    reg_uri_split(a, uri, &u);
    bool file = strcmp(u.scheme, "file") == 0;
    struct buf b;
    buf_init(&b, 1 << 20);
    if (file)
        buf_puts(&b, "file://");
    buf_puts(&b, cwd);
    buf_join_path(&b, path);
    const char *q = file ? strchr(uri, '?') : NULL;
    if (q && q[1]) /* urlunsplit keeps a non-empty query */
        buf_puts(&b, q);
    bool ok = buf_ok(&b);
    if (ok)
        *out = arena_strndup(a, b.ptr, b.len);
    buf_release(&b);
    return ok ? 0 : err_set(e, ERR_INVALID_PARAMETER_VALUE, "path too long");
}

char *reg_path_resolve(struct arena *a, const char *path)
{
    char *todo;
    if (path[0] == '/') {
        todo = arena_strdup(a, path);
    } else {
        char cwd[RESOLVE_MAX];
        if (!getcwd(cwd, sizeof cwd))
            cwd[0] = '\0';
        todo = arena_printf(a, "%s/%s", cwd, path);
    }
    char res[RESOLVE_MAX];
    size_t rn = 0;
    res[0] = '\0';
    int links = 0;
    while (*todo) {
        while (*todo == '/')
            todo++;
        if (!*todo)
            break;
        const char *seg = todo;
        size_t n = strcspn(seg, "/");
        todo += n;
        if (n == 1 && seg[0] == '.')
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (rn && res[rn - 1] != '/')
                rn--;
            if (rn)
                rn--;
            res[rn] = '\0';
            continue;
        }
        if (rn + 1 + n >= sizeof res) {
            /* Longer than any real path: keep the rest lexically. */
            return arena_printf(a, "%s/%s", res, seg);
        }
        res[rn++] = '/';
        memcpy(res + rn, seg, n);
        rn += n;
        res[rn] = '\0';
        struct stat st;
        if (links >= RESOLVE_MAX_LINKS || lstat(res, &st) != 0 || !S_ISLNK(st.st_mode))
            continue;
        char tgt[RESOLVE_MAX];
        ssize_t tn = readlink(res, tgt, sizeof tgt - 1);
        if (tn <= 0)
            continue;
        tgt[tn] = '\0';
        links++;
        rn -= n + 1;
        if (tgt[0] == '/')
            rn = 0;
        res[rn] = '\0';
        todo = arena_printf(a, "%s/%s", tgt, todo);
    }
    return rn ? arena_strndup(a, res, rn) : arena_strdup(a, "/");
}

bool reg_path_within(const char *dir, const char *p)
{
    size_t dn = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return p[0] == '/';
    return strncmp(p, dir, dn) == 0 && (p[dn] == '\0' || p[dn] == '/');
}

int reg_source_check_relative(struct arena *a, const char *source, struct err *e)
{
    bool nul = false;
    const char *src = unquote_all(a, source, true, &nul);
    struct reg_uri u;
    reg_uri_split(a, src, &u);
    /* path.rstrip("/") with runs of slashes collapsed */
    size_t n = strlen(u.path);
    while (n && u.path[n - 1] == '/')
        n--;
    char *sp = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!(u.path[i] == '/' && k && sp[k - 1] == '/'))
            sp[k++] = u.path[i];
    sp[k] = '\0';
    bool bad = nul;
    for (const char *p = src; !bad && *p;) {
        size_t m = strcspn(p, "/");
        bad = m == 2 && p[0] == '.' && p[1] == '.';
        p += m;
        if (*p)
            p++;
    }
    if (!bad)
        bad = strcmp(reg_path_resolve(a, sp), sp) != 0;
    if (bad)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid model version source: '%s'. If supplying a source as an http, "
                       "https, local file path, ftp, objectstore, or mlflow-artifacts uri, an "
                       "absolute path must be provided without relative path references present. "
                       "Please provide an absolute path.",
                       source);
    return 0;
}

/* ---- host policy ---- */

static const char *const host_schemes[] = {"ftp",  "sftp", "hdfs", "viewfs", "http",
                                           "https", "mlflow-artifacts", "r2", "b2", "abfss"};

static const char *scheme_family(const char *s)
{
    if (strcmp(s, "viewfs") == 0)
        return "hdfs";
    if (strcmp(s, "https") == 0 || strcmp(s, "mlflow-artifacts") == 0)
        return "http";
    return s;
}

/* The ports a URI of this scheme may connect to: explicit, or the well-known ones. */
static int ports_of(const char *scheme, const char *port, long out[2])
{
    if (*port) {
        char *end;
        long p = strtol(port, &end, 10);
        out[0] = *end ? -2 : p;
        return 1;
    }
    static const struct {
        const char *s;
        long p[2];
        int n;
    } dflt[] = {{"ftp", {21, 0}, 1},  {"sftp", {22, 0}, 1}, {"http", {80, 0}, 1},
                {"https", {443, 0}, 1}, {"mlflow-artifacts", {80, 443}, 2},
                {"r2", {443, 0}, 1}, {"b2", {443, 0}, 1}, {"abfss", {443, 0}, 1}};
    for (size_t i = 0; i < sizeof dflt / sizeof *dflt; i++)
        if (strcmp(scheme, dflt[i].s) == 0) {
            out[0] = dflt[i].p[0];
            out[1] = dflt[i].p[1];
            return dflt[i].n;
        }
    out[0] = -1; /* hdfs/viewfs without a port only match a portless root */
    return 1;
}

static bool is_host_scheme(const char *s)
{
    for (size_t i = 0; i < sizeof host_schemes / sizeof *host_schemes; i++)
        if (strcmp(s, host_schemes[i]) == 0)
            return true;
    return false;
}

/* True when u names a host (the policy applies); malformed authorities never match. */
static bool targets_host(const struct reg_uri *u, bool *malformed)
{
    *malformed = false;
    if (!is_host_scheme(u->scheme))
        return false;
    if (strcmp(u->scheme, "mlflow-artifacts") == 0 && !*u->netloc)
        return false;
    for (const char *p = u->netloc; *p; p++)
        if (*p == '\\' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
            *malformed = true;
    for (const char *p = u->port; *p; p++)
        if (*p < '0' || *p > '9')
            *malformed = true;
    return true;
}

static bool scheme_allowed(const char *scheme, const char *allow)
{
    if (!allow)
        return false;
    while (*allow) {
        while (*allow == ',' || *allow == ' ')
            allow++;
        size_t n = strcspn(allow, ",");
        size_t m = n;
        while (m && allow[m - 1] == ' ')
            m--;
        if (m && strlen(scheme) == m && strncasecmp(allow, scheme, m) == 0)
            return true;
        allow += n;
    }
    return false;
}

int reg_source_check_host(struct arena *a, const char *uri, const char *trusted_root,
                          const char *allow_schemes, const char *field, struct err *e)
{
    struct reg_uri u;
    reg_uri_split(a, uri, &u);
    bool malformed;
    if (!targets_host(&u, &malformed) || scheme_allowed(u.scheme, allow_schemes))
        return 0;
    if (!malformed && trusted_root) {
        struct reg_uri t;
        bool tm;
        reg_uri_split(a, trusted_root, &t);
        if (targets_host(&t, &tm) && !tm &&
            strcmp(scheme_family(t.scheme), scheme_family(u.scheme)) == 0 &&
            strcmp(t.hostname, u.hostname) == 0) {
            long up[2], tp[2];
            int un = ports_of(u.scheme, u.port, up), tn = ports_of(t.scheme, t.port, tp);
            for (int i = 0; i < un; i++)
                for (int j = 0; j < tn; j++)
                    if (up[i] == tp[j] && up[i] != -2)
                        return 0;
        }
    }
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "'%s' cannot use the '%s' scheme: the '%s' scheme addresses a host other than "
                   "the tracking server's configured artifact storage, so the server would "
                   "connect to the host named in the URI. Set the "
                   "MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES environment variable on the "
                   "server to allow it.",
                   field, u.scheme, u.scheme);
}

/* ---- mlflow-artifacts sources and roots ---- */

struct uri_parts {
    const char *scheme, *netloc;
    const char **seg;
    size_t n;
};

static void normalized_parts(struct arena *a, const char *uri, struct uri_parts *out)
{
    struct reg_uri u;
    reg_uri_split(a, uri, &u);
    out->scheme = u.scheme;
    out->netloc = lower_dup(a, u.netloc, strlen(u.netloc));
    size_t cap = 1;
    for (const char *p = u.path; *p; p++)
        cap += *p == '/';
    out->seg = arena_calloc(a, cap, sizeof *out->seg);
    out->n = 0;
    for (const char *p = u.path; *p;) {
        size_t m = strcspn(p, "/");
        if (m)
            out->seg[out->n++] = reg_unquote_all(a, arena_strndup(a, p, m), false);
        p += m;
        if (*p)
            p++;
    }
}

bool reg_source_is_mlflow_artifacts(struct arena *a, const char *uri)
{
    struct uri_parts p;
    normalized_parts(a, uri, &p);
    if (strcmp(p.scheme, "mlflow-artifacts") == 0)
        return true;
    if (strcmp(p.scheme, "http") != 0 && strcmp(p.scheme, "https") != 0)
        return false;
    static const char *const route[] = {"api", "2.0", "mlflow-artifacts", "artifacts"};
    for (size_t i = 0; i + 4 <= p.n; i++) {
        bool m = true;
        for (size_t j = 0; j < 4 && m; j++)
            m = strcmp(p.seg[i + j], route[j]) == 0;
        if (m)
            return true;
    }
    return false;
}

bool reg_uri_within_root(struct arena *a, const char *uri, const char *root)
{
    struct uri_parts s, r;
    normalized_parts(a, uri, &s);
    normalized_parts(a, root, &r);
    if (strcmp(s.scheme, r.scheme) != 0 || strcmp(s.netloc, r.netloc) != 0 || r.n == 0 ||
        s.n < r.n)
        return false;
    for (size_t i = 0; i < r.n; i++)
        if (strcmp(s.seg[i], r.seg[i]) != 0)
            return false;
    return true;
}

/* ---- models:/ and runs:/ ---- */

int reg_source_err_id(struct err *e, const char *source, const char *id_name)
{
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid model version source: '%s'. The %s request parameter must identify "
                   "the resource that contains the source.",
                   source, id_name);
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && (*s < '\t' || *s > '\r'))
            return false;
    return true;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int reg_parse_models_uri(struct arena *a, const char *uri, struct reg_models_uri *out,
                         struct err *e)
{
    memset(out, 0, sizeof *out);
    struct reg_uri u;
    reg_uri_split(a, uri, &u);
    const char *path = u.path;
    if (strcmp(u.scheme, "models") != 0 || path[0] != '/' || !path[1])
        return reg_source_err_id(e, uri, "model_id");
    while (*path == '/')
        path++;
    const char *slash = strchr(path, '/');
    if (slash && strchr(slash + 1, '/'))
        return reg_source_err_id(e, uri, "model_id");
    char *first = arena_strndup(a, path, slash ? (size_t)(slash - path) : strlen(path));
    if (blank(first))
        return reg_source_err_id(e, uri, "model_id");
    if (slash) {
        const char *suffix = slash + 1;
        if (blank(suffix))
            return reg_source_err_id(e, uri, "model_id");
        out->name = first;
        if (all_digits(suffix))
            out->version = arena_strdup(a, suffix);
        else if (strcasecmp(suffix, "latest") != 0)
            out->stage = arena_strdup(a, suffix);
        return 0;
    }
    char *at = strrchr(first, '@');
    if (at) {
        if (blank(at + 1))
            return reg_source_err_id(e, uri, "model_id");
        *at = '\0';
        out->name = first;
        out->alias = at + 1;
        return 0;
    }
    out->model_id = first;
    return 0;
}

int reg_parse_runs_uri(struct arena *a, const char *uri, const char **run_id,
                       const char **path, struct err *e)
{
    struct reg_uri u;
    reg_uri_split(a, uri, &u);
    const char *p = u.path;
    if (strcmp(u.scheme, "runs") != 0 || p[0] != '/' || !p[1] || p[1] == '/')
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Not a proper runs:/ URI: %s. Runs URIs must be of the form "
                       "'runs:/<run_id>/run-relative/path/to/artifact'",
                       uri);
    p++;
    size_t n = strcspn(p, "/");
    *run_id = arena_strndup(a, p, n);
    *path = arena_strdup(a, p[n] ? p + n + 1 : "");
    return 0;
}
