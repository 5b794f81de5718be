"""The schema the server creates on an empty database must be MLflow's own, as `mlflow db upgrade`
leaves it (DESIGN.md "Storage schema"). Compared structurally, per table: columns (PRAGMA
table_info), indexes (index_list + index_info), foreign keys, CHECK constraints as a set (their
order in the CREATE text is not stable between runs), the list of objects, and the alembic_version
row. Tables prefixed `mltrack_` are mltrack's own and are ignored.

Under MLTRACK_TARGET=mlflow this compares `mlflow server`'s fresh database with `mlflow db
upgrade`'s, which keeps the comparison itself honest."""
import os
import re
import sqlite3
import subprocess
import sys

import pytest

from conftest import TARGET, start_server


def _checks(sql):
    """CHECK constraints of a CREATE TABLE statement as a set of normalized strings."""
    out = set()
    for m in re.finditer(r"(?:CONSTRAINT\s+(\S+)\s+)?CHECK\s*\(", sql, re.I):
        depth, i = 1, m.end()
        while depth and i < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        body = re.sub(r"\s+", " ", sql[m.end():i - 1]).strip()
        out.add((m.group(1) or "", body))
    return out


def describe(path):
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        objs = c.execute("select type, name, tbl_name, sql from sqlite_master "
                         "where name not like 'sqlite_%' and name not like 'mltrack_%' "
                         "and tbl_name not like 'mltrack_%'").fetchall()
        schema = {"objects": sorted((t, n, tb) for t, n, tb, _ in objs)}
        tables = {}
        own = []
        for typ, name, _, sql in objs:
            if typ != "table":
                continue
            cols = [tuple(r) for r in c.execute("PRAGMA table_info(%s)" % _q(name))]
            idx = []
            for _seq, iname, unique, origin, partial in c.execute("PRAGMA index_list(%s)" % _q(name)):
                if iname.startswith("mltrack_"):  # ours, checked by test_own_indexes
                    own.append((name, iname, tuple(r[2] for r in c.execute(
                        "PRAGMA index_info(%s)" % _q(iname)))))
                    continue
                icols = tuple(r[2] for r in c.execute("PRAGMA index_info(%s)" % _q(iname)))
                # Autoindex names depend on constraint order; identify them by content.
                label = "(auto)" if iname.startswith("sqlite_autoindex_") else iname
                idx.append((label, unique, origin, partial, icols))
            fks = sorted(tuple(r[2:]) for r in c.execute("PRAGMA foreign_key_list(%s)" % _q(name)))
            tables[name] = {"columns": cols, "indexes": sorted(idx), "foreign_keys": fks,
                            "checks": sorted(_checks(sql or ""))}
        schema["tables"] = tables
        schema["own_indexes"] = sorted(own)
        schema["alembic_version"] = [r[0] for r in c.execute("select version_num from alembic_version")]
        return schema
    finally:
        c.close()


def _q(name):
    return '"%s"' % name.replace('"', '""')


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("ref") / "ref.db")
    subprocess.run([sys.executable, "-m", "mlflow", "db", "upgrade", "sqlite:///" + path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    return path


@pytest.fixture(scope="module")
def reference_schema(reference_db):
    return describe(reference_db)


@pytest.fixture(scope="module")
def server_db(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("fresh"))
    srv = start_server(d)
    srv.check_clean_exit()
    assert os.path.exists(srv.db_path), "the server did not create %s" % srv.db_path
    return srv.db_path


@pytest.fixture(scope="module")
def server_schema(server_db):
    return describe(server_db)


def test_same_objects(reference_schema, server_schema):
    ref = set(reference_schema["objects"])
    got = set(server_schema["objects"])
    assert sorted(ref - got) == [], "missing in %s's database" % TARGET
    assert sorted(got - ref) == [], "extra in %s's database (own tables must be prefixed mltrack_)" % TARGET


@pytest.mark.mltrack_only(reason="indexes of mltrack's own on MLflow's tables")
def test_own_indexes(reference_schema, server_schema):
    """The indexes mltrack adds to MLflow's tables: each named mltrack_*, and no others."""
    assert reference_schema["own_indexes"] == []
    assert sorted(server_schema["own_indexes"]) == [
        ("tags", "mltrack_tags_key_value", ("key", "value", "run_uuid")),
        ("trace_info", "mltrack_trace_info_status",
         ("experiment_id", "status", "timestamp_ms", "request_id")),
        ("trace_tags", "mltrack_trace_tags_request", ("request_id", "key", "value")),
        ("trace_tags", "mltrack_trace_tags_value", ("key", "value", "request_id")),
    ]


def _mlflow_trace_search_plan(path, tmp):
    """The tables, outermost first, of the plan SQLite makes on the database at path for
    MLflow's own search_traces statement with a state and a tag filter, and whether it sorts
    every match."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy import event

    store = SqlAlchemyStore("sqlite:///" + path, str(tmp))
    seen = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cur, sql, params, ctx, many: seen.append((sql, params)))
    store.search_traces(locations=["0"], filter_string="trace.status = 'OK' AND tags.team = 't7'",
                        max_results=100)
    store.engine.dispose()
    sql, params = next((q, p) for q, p in seen if "FROM trace_info" in q and "LIMIT" in q)
    c = sqlite3.connect(path)
    try:
        rows = [r[3] for r in c.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        c.close()
    tables = [m.group(1) for m in (re.match(r"(?:SEARCH|SCAN) (\w+)", r) for r in rows) if m]
    return tables, "USE TEMP B-TREE FOR ORDER BY" in rows


def test_mlflow_trace_search_plan(reference_db, server_db, tmp_path):
    """mltrack's indexes on MLflow's tables leave MLflow's own trace search driving from
    trace_info, newest first, as on a database `mlflow db upgrade` made: a tag filter's plan
    that started from the tag's rows would read every trace carrying the key and sort them."""
    assert _mlflow_trace_search_plan(server_db, tmp_path / "a") == \
        _mlflow_trace_search_plan(reference_db, tmp_path / "b") == (["trace_info", "trace_tags"], False)


def test_alembic_version_row(reference_schema, server_schema):
    assert len(reference_schema["alembic_version"]) == 1
    assert server_schema["alembic_version"] == reference_schema["alembic_version"]


@pytest.mark.parametrize("aspect", ["columns", "indexes", "foreign_keys", "checks"])
def test_tables_match(reference_schema, server_schema, aspect):
    diffs = []
    for name, ref in sorted(reference_schema["tables"].items()):
        got = server_schema["tables"].get(name)
        if got is None:
            diffs.append("%s: table missing" % name)
        elif got[aspect] != ref[aspect]:
            diffs.append("%s.%s:\n  mlflow:  %r\n  %s: %r" % (name, aspect, ref[aspect], TARGET, got[aspect]))
    assert not diffs, "\n".join(diffs)


def test_reference_schema_is_nontrivial(reference_schema):
    """Guard against comparing two empty descriptions."""
    t = reference_schema["tables"]
    for name in ("experiments", "runs", "metrics", "latest_metrics", "params", "tags", "experiment_tags",
                 "datasets", "inputs", "input_tags", "registered_models", "model_versions"):
        assert name in t, name
    assert any(c[1] == "is_nan" for c in t["metrics"]["columns"])
    assert t["runs"]["checks"], "no CHECK constraints found on runs"
