/* Model version sources: the pure half of MLflow's create-model-version source checks
 * (mlflow/server/handlers.py _validate_source_run / _validate_source_model /
 * _validate_non_local_source_contains_relative_paths, store/artifact/host_policy.py,
 * utils/uri.py is_local_uri, store/artifact/utils/models.py _parse_model_uri).
 *
 * The advisories this guards against (GHSA / CVE-2023-1177, -2780, -6909, -6974 and the
 * later host-policy one): `file:///etc/`, `file://./etc` (hostname "."), schemeless
 * `//proc/self/root`, `/abs/path`, bare relative paths, `..` segments in plain, percent- and
 * double-percent-encoded form, NUL bytes, and URIs that make the server connect to a host
 * the client names (`http://`, `ftp://`, `mlflow-artifacts://host/...`).
 *
 * Nothing here touches the database: reg_source_classify says what kind of source it is and
 * what must be looked up; registry/resolve.c does the lookups. Strings are from the arena. */
#ifndef MLT_REGISTRY_SOURCE_H
#define MLT_REGISTRY_SOURCE_H

#include <stdbool.h>

#include "../base/arena.h"
#include "../base/err.h"

/* A URI split as Python's urllib.parse.urlsplit does: leading C0 controls and spaces
 * stripped, tab/CR/LF removed, scheme lower-cased (only when it is a letter followed by
 * letters, digits, '+', '-', '.'), netloc after "//" up to '/', '?' or '#'. */
struct reg_uri {
    const char *scheme; /* "" when none */
    const char *netloc; /* "" when none */
    const char *path;
    const char *hostname; /* netloc without userinfo and port, lower-cased; "" when none */
    const char *port;     /* "" when none */
};
void reg_uri_split(struct arena *a, const char *uri, struct reg_uri *out);

/* Percent-decoding repeated until nothing changes; with plus, '+' also becomes ' '
 * (unquote_plus). */
char *reg_unquote_all(struct arena *a, const char *s, bool plus);

/* is_local_uri(): no scheme, or file: on no host / "." / localhost* / 127.0.0.1*. A file:
 * URI naming another host is an error (MLflow's "is not a valid remote uri"). */
int reg_source_is_local(struct arena *a, const char *uri, bool *local, struct err *e);
/* local_file_uri_to_path(): the decoded path of a file: URI, or the decoded string. */
char *reg_local_path(struct arena *a, const char *uri);
/* resolve_uri_if_local(): a relative local path becomes cwd/path (decoded, as
 * local_file_uri_to_path decodes it), a relative file: URI file://<cwd/path> with its query
 * kept; anything else is returned as it is. *out is from the arena. */
int reg_resolve_if_local(struct arena *a, const char *uri, const char *cwd, const char **out,
                         struct err *e);
/* Path.resolve() on POSIX: made absolute against the working directory, "." and ".." and
 * repeated slashes removed, symlinks of the longest existing prefix resolved. */
char *reg_path_resolve(struct arena *a, const char *path);
/* True when resolved path p is dir or below it (both from reg_path_resolve). */
bool reg_path_within(const char *dir, const char *p);

/* _validate_non_local_source_contains_relative_paths(): no `..` segment and no NUL after
 * repeated unquote_plus, and the URI's path is already in resolved form. */
int reg_source_check_relative(struct arena *a, const char *source, struct err *e);

/* The host policy (GHSA-mr9f-g8qf-4w4j): sources whose scheme makes the server connect to a
 * host the URI names are refused, unless the scheme is allowed (allow_schemes, a comma
 * separated list, may be NULL) or the URI targets the host of trusted_root (the server's
 * default artifact root; may be NULL). field is the parameter name for the message. */
int reg_source_check_host(struct arena *a, const char *uri, const char *trusted_root,
                          const char *allow_schemes, const char *field, struct err *e);

/* _is_mlflow_artifact_source(): mlflow-artifacts:, or http(s) through the proxy route. */
bool reg_source_is_mlflow_artifacts(struct arena *a, const char *uri);
/* _is_uri_within_root(): same scheme and authority, root has a path, and the decoded path
 * segments of uri start with those of root. */
bool reg_uri_within_root(struct arena *a, const char *uri, const char *root);

/* models:/ URIs (_parse_model_uri). Exactly one of model_id, version, stage, alias is set,
 * or none of them for models:/name/latest. */
struct reg_models_uri {
    const char *model_id;
    const char *name;
    const char *version;
    const char *stage;
    const char *alias;
};
/* 0 or -1 (e set, INVALID_PARAMETER_VALUE) when uri is not a proper models:/ URI. */
int reg_parse_models_uri(struct arena *a, const char *uri, struct reg_models_uri *out,
                         struct err *e);
/* runs:/<run_id>/<path>: the run id and the artifact path ("" when none). */
int reg_parse_runs_uri(struct arena *a, const char *uri, const char **run_id,
                       const char **path, struct err *e);

/* "Invalid model version source: '<source>'. The <id_name> request parameter must identify
 * the resource that contains the source." */
int reg_source_err_id(struct err *e, const char *source, const char *id_name);

#endif
