"""POST /api/3.0/mlflow/traces/metrics (MLflow 3.17's QueryTraceMetrics) through the real
client's RestStore.query_trace_metrics, on traces whose times, states, tags, token usage,
costs and assessments are all chosen, so that every expected figure is computed here. The
same tests run against mlflow server (MLTRACK_TARGET=mlflow), except the ones marked
mltrack_only."""
import datetime
import os

import pytest

from conftest import assert_error, uname

import mlflow
from mlflow import MlflowClient
from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType
from mlflow.tracking._tracking_service.utils import _get_store

os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"

PATH = "/api/3.0/mlflow/traces/metrics"
HOUR_MS = 3600 * 1000
T0 = 1_699_999_200_000  # 2023-11-14T22:00:00Z, an hour's start
MS = 1_000_000  # ns

# One trace each: (name, start offset in minutes, latency ms, failed, team, llm ms).
DESIGN = [("agent", 0, 10, False, "a", 1), ("agent", 20, 20, False, "b", 2),
          ("agent", 40, 30, True, "a", 3), ("agent", 60, 40, False, "b", 4),
          ("other", 80, 50, False, "a", 5), ("other", 100, 60, False, "b", 6)]


def tokens(i):
    return {"input_tokens": 10 * (i + 1), "output_tokens": i, "total_tokens": 11 * i + 10}


def cost(i):
    return {"input_cost": 0.5 * (i + 1), "output_cost": 0.25, "total_cost": 0.5 * (i + 1) + 0.25}


def percentile(values, p):
    """numpy.quantile's linear method, MLflow's definition."""
    v = sorted(values)
    idx = p / 100 * (len(v) - 1)
    lo = int(idx)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (idx - lo) * (v[hi] - v[lo])


@pytest.fixture(scope="module")
def designed(base_url):
    mlflow.set_tracking_uri(base_url)
    client = MlflowClient(base_url)
    exp = client.create_experiment(uname("metrics"))
    ids = []
    for i, (name, minute, lat, failed, team, llm) in enumerate(DESIGN):
        start = (T0 + minute * 60 * 1000) * MS
        root = client.start_trace(name, span_type="CHAIN", inputs={"q": i}, tags={"team": team},
                                  experiment_id=exp, start_time_ns=start)
        child = client.start_span("llm", trace_id=root.trace_id, parent_id=root.span_id,
                                  span_type="LLM", start_time_ns=start + MS,
                                  attributes={"mlflow.chat.tokenUsage": tokens(i),
                                              "mlflow.llm.cost": cost(i),
                                              "mlflow.llm.model": "m%d" % (i % 2),
                                              "mlflow.llm.provider": "p"})
        client.end_span(root.trace_id, child.span_id, outputs="x", end_time_ns=start + MS + llm * MS)
        client.end_trace(root.trace_id, outputs={"a": i}, status="ERROR" if failed else "OK",
                         end_time_ns=start + lat * MS)
        ids.append(root.trace_id)
    mlflow.flush_trace_async_logging()
    for i, t in enumerate(ids[:4]):
        mlflow.log_feedback(trace_id=t, name="quality", value=float(i))
    mlflow.log_feedback(trace_id=ids[0], name="ok", value=True)
    mlflow.log_feedback(trace_id=ids[1], name="ok", value=False)
    mlflow.log_expectation(trace_id=ids[2], name="expected", value="yes")
    return exp, ids


def query(exp, view, metric, aggs, **kw):
    """The data points as (dimensions, values) pairs, in the answer's order."""
    res = _get_store().query_trace_metrics(
        experiment_ids=[exp] if isinstance(exp, str) else exp, view_type=view,
        metric_name=metric, aggregations=aggs, **kw)
    return [(dict(p.dimensions), dict(p.values)) for p in res]


def agg(t, p=None):
    return MetricAggregation(aggregation_type=AggregationType(t), percentile_value=p)


COUNT = [agg("COUNT")]


def test_trace_count_by_name_and_status(designed):
    exp, _ = designed
    assert query(exp, MetricViewType.TRACES, "trace_count", COUNT) == [({}, {"COUNT": 6.0})]
    got = query(exp, MetricViewType.TRACES, "trace_count", COUNT,
                dimensions=["trace_name", "trace_status"])
    assert got == [({"trace_name": "agent", "trace_status": "ERROR"}, {"COUNT": 1.0}),
                   ({"trace_name": "agent", "trace_status": "OK"}, {"COUNT": 3.0}),
                   ({"trace_name": "other", "trace_status": "OK"}, {"COUNT": 2.0})]
    # A dimension asked twice is one key.
    assert query(exp, MetricViewType.TRACES, "trace_count", COUNT,
                 dimensions=["trace_status", "trace_name", "trace_status"]) == got


def test_latency_aggregations(designed):
    exp, _ = designed
    aggs = [agg("AVG"), agg("MIN"), agg("MAX"), agg("PERCENTILE", 50.0), agg("PERCENTILE", 90.0),
            agg("PERCENTILE", 12.5)]
    got = query(exp, MetricViewType.TRACES, "latency", aggs, dimensions=["trace_name"])
    want = []
    for name in ("agent", "other"):
        lat = [d[2] for d in DESIGN if d[0] == name]
        want.append(({"trace_name": name}, {
            "AVG": sum(lat) / len(lat), "MIN": min(lat), "MAX": max(lat),
            "P50.0": percentile(lat, 50), "P90.0": percentile(lat, 90),
            "P12.5": percentile(lat, 12.5)}))
    assert len(got) == 2
    for (gd, gv), (wd, wv) in zip(got, want):
        assert gd == wd
        assert gv == pytest.approx(wv)


def test_token_usage_and_aggregations_by_name(designed):
    exp, _ = designed
    got = query(exp, MetricViewType.TRACES, "input_tokens", [agg("SUM"), agg("AVG"), agg("MAX")])
    ins = [tokens(i)["input_tokens"] for i in range(6)]
    assert got == [({}, {"SUM": float(sum(ins)), "AVG": pytest.approx(sum(ins) / 6),
                         "MAX": float(max(ins))})]
    got = query(exp, MetricViewType.TRACES, "total_tokens", [agg("SUM")],
                dimensions=["trace_name"])
    assert got == [({"trace_name": "agent"}, {"SUM": float(sum(11 * i + 10 for i in range(4)))}),
                   ({"trace_name": "other"}, {"SUM": float(sum(11 * i + 10 for i in (4, 5)))})]
    # A repeated aggregation is one value; no trace has cache tokens: no data point.
    assert query(exp, MetricViewType.TRACES, "output_tokens", [agg("SUM"), agg("SUM")]) == [
        ({}, {"SUM": float(sum(range(6)))})]
    assert query(exp, MetricViewType.TRACES, "cache_read_input_tokens", [agg("SUM")]) == []


def test_span_metrics(designed):
    exp, _ = designed
    got = query(exp, MetricViewType.SPANS, "span_count", COUNT,
                dimensions=["span_type", "span_status"])
    assert got == [({"span_type": "CHAIN", "span_status": "ERROR"}, {"COUNT": 1.0}),
                   ({"span_type": "CHAIN", "span_status": "OK"}, {"COUNT": 5.0}),
                   ({"span_type": "LLM", "span_status": "OK"}, {"COUNT": 6.0})]
    got = query(exp, MetricViewType.SPANS, "latency", [agg("AVG"), agg("MAX")],
                dimensions=["span_name"])
    assert got == [({"span_name": "agent"}, {"AVG": 25.0, "MAX": 40.0}),
                   ({"span_name": "llm"}, {"AVG": 3.5, "MAX": 6.0}),
                   ({"span_name": "other"}, {"AVG": 55.0, "MAX": 60.0})]
    got = query(exp, MetricViewType.SPANS, "input_cost", [agg("SUM")],
                dimensions=["span_model_name"])
    assert got == [({"span_model_name": "m0"}, {"SUM": pytest.approx(0.5 * (1 + 3 + 5))}),
                   ({"span_model_name": "m1"}, {"SUM": pytest.approx(0.5 * (2 + 4 + 6))})]
    got = query(exp, MetricViewType.SPANS, "span_count", COUNT,
                dimensions=["span_model_provider"], filters=["span.type = 'LLM'"])
    assert got == [({"span_model_provider": "p"}, {"COUNT": 6.0})]
    assert query(exp, MetricViewType.SPANS, "span_count", COUNT,
                 filters=["span.name = 'llm'", "span.status = 'OK'"]) == [({}, {"COUNT": 6.0})]
    # A trace filter on the spans view: the spans of the failed trace.
    assert query(exp, MetricViewType.SPANS, "span_count", COUNT,
                 filters=["trace.status = 'ERROR'"]) == [({}, {"COUNT": 2.0})]


def test_assessments(designed):
    exp, _ = designed
    got = query(exp, MetricViewType.ASSESSMENTS, "assessment_count", COUNT,
                dimensions=["assessment_name"])
    assert got == [({"assessment_name": "expected"}, {"COUNT": 1.0}),
                   ({"assessment_name": "ok"}, {"COUNT": 2.0}),
                   ({"assessment_name": "quality"}, {"COUNT": 4.0})]
    got = query(exp, MetricViewType.ASSESSMENTS, "assessment_count", COUNT,
                dimensions=["assessment_name", "assessment_value"],
                filters=["assessment.name = 'ok'"])
    assert got == [({"assessment_name": "ok", "assessment_value": "false"}, {"COUNT": 1.0}),
                   ({"assessment_name": "ok", "assessment_value": "true"}, {"COUNT": 1.0})]
    got = query(exp, MetricViewType.ASSESSMENTS, "assessment_value",
                [agg("AVG"), agg("MIN"), agg("MAX"), agg("PERCENTILE", 75.0)],
                dimensions=["assessment_name"], filters=["assessment.type = 'feedback'"])
    assert got == [({"assessment_name": "ok"}, {"AVG": 0.5, "MIN": 0.0, "MAX": 1.0,
                                                "P75.0": 0.75}),
                   ({"assessment_name": "quality"}, {"AVG": 1.5, "MIN": 0.0, "MAX": 3.0,
                                                     "P75.0": 2.25})]
    # Through the assessment's trace: the feedback on the failed trace.
    assert query(exp, MetricViewType.ASSESSMENTS, "assessment_count", COUNT,
                 filters=["trace.status = 'ERROR'", "assessment.type = 'feedback'"]) == [
        ({}, {"COUNT": 1.0})]


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).isoformat()


def test_time_buckets_and_range(designed):
    exp, _ = designed
    got = query(exp, MetricViewType.TRACES, "trace_count", COUNT, dimensions=["trace_name"],
                time_interval_seconds=3600, start_time_ms=T0 - 1, end_time_ms=T0 + 3 * HOUR_MS)
    assert got == [({"time_bucket": iso(T0), "trace_name": "agent"}, {"COUNT": 3.0}),
                   ({"time_bucket": iso(T0 + HOUR_MS), "trace_name": "agent"}, {"COUNT": 1.0}),
                   ({"time_bucket": iso(T0 + HOUR_MS), "trace_name": "other"}, {"COUNT": 2.0})]
    assert iso(T0) == "2023-11-14T22:00:00+00:00"
    # The range alone, both ends inclusive: the traces of minutes 20 to 60.
    got = query(exp, MetricViewType.TRACES, "trace_count", COUNT,
                start_time_ms=T0 + 20 * 60000, end_time_ms=T0 + 60 * 60000)
    assert got == [({}, {"COUNT": 3.0})]
    # Span costs are bucketed by the span's own start; span counts by their trace's.
    got = query(exp, MetricViewType.SPANS, "total_cost", [agg("SUM")],
                time_interval_seconds=1800, start_time_ms=T0, end_time_ms=T0 + 2 * HOUR_MS)
    want = {}
    for i, d in enumerate(DESIGN):
        b = T0 + (d[1] * 60000 + 1) // 1800000 * 1800000
        want[b] = want.get(b, 0) + cost(i)["total_cost"]
    assert [g[0]["time_bucket"] for g in got] == [iso(b) for b in sorted(want)]
    assert [g[1]["SUM"] for g in got] == pytest.approx([want[b] for b in sorted(want)])
    got = query(exp, MetricViewType.SPANS, "span_count", COUNT, start_time_ms=T0 + 1,
                end_time_ms=T0 + 20 * 60000)
    assert got == [({}, {"COUNT": 2.0})]
    got = query(exp, MetricViewType.ASSESSMENTS, "assessment_count", COUNT,
                time_interval_seconds=3600, start_time_ms=T0, end_time_ms=T0 + 2 * HOUR_MS)
    assert got == [({"time_bucket": iso(T0)}, {"COUNT": 6.0}),
                   ({"time_bucket": iso(T0 + HOUR_MS)}, {"COUNT": 1.0})]


def test_trace_filters(designed):
    exp, _ = designed

    def count(*filters):
        got = query(exp, MetricViewType.TRACES, "trace_count", COUNT, filters=list(filters))
        return got[0][1]["COUNT"]
    assert count("trace.tag.team = 'a'") == 3
    assert count("trace.tag.team = 'a'", "trace.status = 'OK'") == 2
    assert count("trace.tag.mlflow.traceName = 'other'") == 2
    assert count('trace.tag.`team` = "b"') == 3
    assert count("trace.tag.team = 'z'") == 0
    # A tag every trace gets (its spans' location), which mltrack's tag index leaves out.
    assert count("trace.tag.mlflow.trace.spansLocation = 'TRACKING_STORE'") == len(DESIGN)
    assert count("trace.metadata.mlflow.trace.tokenUsage = "
                 "'{\"input_tokens\": 20, \"output_tokens\": 1, \"total_tokens\": 21}'") == 1
    # Not the text MLflow writes for it (key order, spacing): matches nothing.
    assert count("trace.metadata.mlflow.trace.tokenUsage = "
                 "'{\"output_tokens\": 1, \"input_tokens\": 20, \"total_tokens\": 21}'") == 0
    assert count("trace.metadata.mlflow.trace.cost = "
                 "'{\"input_cost\": 0.5, \"output_cost\": 0.25, \"total_cost\": 0.75}'") == 1


def test_session_and_metadata_filters(traced, client):
    for i, session in enumerate(["s1", "s1", "s2", None]):
        with mlflow.start_span(name="turn") as span:
            if session:
                mlflow.update_current_trace(session_id=session)
            mlflow.update_current_trace(metadata={"env": "prod" if i % 2 else "dev"})
            span.set_inputs({"i": i})
    mlflow.flush_trace_async_logging()
    assert query(traced, MetricViewType.TRACES, "session_count", COUNT) == [({}, {"COUNT": 2.0})]
    assert query(traced, MetricViewType.TRACES, "trace_count", COUNT,
                 filters=["trace.metadata.mlflow.trace.session = 's1'"]) == [({}, {"COUNT": 2.0})]
    assert query(traced, MetricViewType.TRACES, "trace_count", COUNT,
                 filters=["trace.metadata.env = 'prod'"]) == [({}, {"COUNT": 2.0})]


def test_source_run_filter(traced, client):
    run = client.create_run(traced)
    with mlflow.start_run(run_id=run.info.run_id):
        with mlflow.start_span(name="in-run"):
            pass
    with mlflow.start_span(name="outside"):
        pass
    mlflow.flush_trace_async_logging()
    f = ["trace.metadata.mlflow.sourceRun = '%s'" % run.info.run_id]
    assert query(traced, MetricViewType.TRACES, "trace_count", COUNT, filters=f) == [
        ({}, {"COUNT": 1.0})]
    # A trace linked to the run afterwards counts too.
    outside = [t for t in mlflow.search_traces(locations=[traced], return_type="list")
               if t.info.trace_metadata.get("mlflow.sourceRun") is None]
    client.link_traces_to_run([outside[0].info.trace_id], run.info.run_id)
    assert query(traced, MetricViewType.TRACES, "trace_count", COUNT, filters=f) == [
        ({}, {"COUNT": 2.0})]


def test_scope_limit_and_nothing(designed, client):
    exp, _ = designed
    empty = client.create_experiment(uname("metrics-empty"))
    assert query(empty, MetricViewType.TRACES, "trace_count", COUNT) == [({}, {"COUNT": 0.0})]
    assert query(empty, MetricViewType.TRACES, "latency", [agg("AVG")]) == []
    assert query([exp, empty], MetricViewType.TRACES, "trace_count", COUNT) == [
        ({}, {"COUNT": 6.0})]
    got = query(exp, MetricViewType.SPANS, "span_count", COUNT, dimensions=["span_name"],
                max_results=2)
    assert [g[0]["span_name"] for g in got] == ["agent", "llm"]


def test_raw_json_answer(designed, api):
    exp, _ = designed
    body = api.ok_post(PATH, {"experiment_ids": [exp], "view_type": "TRACES",
                              "metric_name": "trace_count",
                              "aggregations": [{"aggregation_type": "COUNT"}],
                              "dimensions": ["trace_status"]})
    assert body == {"data_points": [
        {"metric_name": "trace_count", "dimensions": {"trace_status": "ERROR"},
         "values": {"COUNT": 1.0}},
        {"metric_name": "trace_count", "dimensions": {"trace_status": "OK"},
         "values": {"COUNT": 5.0}}]}
    # Enums by number; a number as text; an aggregation without a type is COUNT.
    body = api.ok_post(PATH, {"experiment_ids": [exp], "view_type": "2",
                              "metric_name": "span_count", "aggregations": [{}]})
    assert body == {"data_points": [{"metric_name": "span_count", "values": {"COUNT": 12.0}}]}
    # The UI's path answers the same.
    assert api.ok_post("/ajax-api/3.0/mlflow/traces/metrics", {
        "experiment_ids": [exp], "view_type": "SPANS", "metric_name": "span_count",
        "aggregations": [{}]}) == body
    body = api.ok_post(PATH, {"experiment_ids": [exp], "view_type": 1,
                              "metric_name": "trace_count",
                              "aggregations": [{"aggregation_type": 1}], "max_results": 0})
    assert body == {}
    # No experiment: a count of nothing, and no value at all to average.
    body = {"experiment_ids": [], "view_type": "TRACES", "metric_name": "trace_count",
            "aggregations": [{"aggregation_type": "COUNT"}]}
    assert api.ok_post(PATH, body) == {"data_points": [
        {"metric_name": "trace_count", "values": {"COUNT": 0.0}}]}
    body.update(metric_name="latency", aggregations=[{"aggregation_type": "AVG"}])
    assert api.ok_post(PATH, body) == {}


BASE = {"view_type": "TRACES", "metric_name": "trace_count",
        "aggregations": [{"aggregation_type": "COUNT"}]}


@pytest.mark.parametrize("change,message", [
    ({"metric_name": "nope"}, "metric_name must be one of ['trace_count', 'session_count', "
     "'latency', 'input_tokens', 'output_tokens', 'total_tokens', 'cache_read_input_tokens', "
     "'cache_creation_input_tokens'], got 'nope'"),
    ({"aggregations": [{"aggregation_type": "SUM"}, {"aggregation_type": "AVG"},
                       {"aggregation_type": "SUM"}]},
     "Found invalid aggregation_type(s): ['AVG', 'SUM']. Supported aggregation types: ['COUNT']"),
    ({"metric_name": "latency", "aggregations": [{"aggregation_type": "COUNT"}]},
     "Found invalid aggregation_type(s): ['COUNT']. Supported aggregation types: ['AVG', 'MAX', "
     "'MIN', 'PERCENTILE']"),
    ({"dimensions": ["span_name", "x", "trace_name"]},
     "Found invalid dimension(s): ['span_name', 'x']. Supported dimensions: ['trace_name', "
     "'trace_status']"),
    ({"time_interval_seconds": 60, "start_time_ms": 5},
     "start_time_ms and end_time_ms are required if time_interval_seconds is set"),
    ({"filters": ["trace.bogus = 'x'"]}, "Invalid entity 'bogus' specified for view type "
     "'trace'. Valid entities are ['status', 'tag', 'metadata']"),
    ({"filters": ["foo.status = 'x'"]}, "Invalid view type 'foo'. Valid values are "
     "dict_keys(['trace', 'span', 'assessment'])"),
    ({"filters": ["trace.tag = 'x'"]},
     "Filtering by tag requires a key, e.g. 'trace.tag.<key> = <value>'"),
    ({"filters": ["trace.status.k = 'x'"]},
     "Filtering by status does not require a key, use 'trace.status' instead"),
    ({"filters": ["trace.status != 'x'"]},
     "Invalid comparator: '!=', only '=' operator is supported"),
    ({"filters": ["trace.status = 5"]},
     "Expected a quoted string value for status value (e.g. 'my-value'). Got value 5"),
    ({"filters": ["trace.status = x"]}, "Parameter value is either not quoted or unidentified "
     "quote types used for string value x. Use either single or double quotes."),
    ({"filters": ["trace.status = 'a' AND trace.status = 'b'"]},
     "Invalid clause(s) in filter string: AND"),
    ({"filters": ["trace.status"]}, "Invalid clause(s) in filter string: trace.status"),
    ({"filters": [""]}, "Invalid filter: ''. Expected one filter clause."),
    ({"filters": ["status = 'x'"]}, "Invalid identifier 'status'. Columns should be specified "
     "as 'trace.<key>', 'span.<key>', 'assessment.<key>'."),
    ({"filters": ["span.name = 'x'"]},
     "Filtering by span is only supported for SPANS view type, got TRACES"),
    ({"filters": ["assessment.name = 'x'"]},
     "Filtering by assessment is only supported for ASSESSMENTS view type, got TRACES"),
    ({"experiment_ids": ["x"]}, "Invalid experiment ID 'x'. Experiment ID must be a valid "
     "integer."),
])
def test_refused(designed, api, change, message):
    exp, _ = designed
    body = dict(BASE, experiment_ids=[exp])
    body.update(change)
    r = api.post(PATH, body)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert r.json()["message"] == message


@pytest.mark.parametrize("missing", ["experiment_ids", "view_type", "metric_name",
                                     "aggregations"])
def test_missing_field(designed, api, missing):
    body = dict(BASE, experiment_ids=[designed[0]])
    del body[missing]
    r = api.post(PATH, body)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert r.json()["message"] == (
        "Missing value for required parameter '%s'. See the API docs for more information "
        "about request parameters." % missing)


@pytest.mark.mltrack_only("mlflow server answers these with a 500 HTML page (a ValueError in "
                          "MetricAggregation); mltrack with a 400 and the same words")
@pytest.mark.parametrize("agg_json,message", [
    ({"aggregation_type": "PERCENTILE"}, "Percentile value is required for PERCENTILE "
     "aggregation"),
    ({"aggregation_type": "PERCENTILE", "percentile_value": 101},
     "Percentile value must be between 0 and 100, got 101.0"),
    ({"aggregation_type": "AVG", "percentile_value": 10},
     "Percentile value is only allowed for PERCENTILE aggregation type, got AVG"),
])
def test_refused_percentile(designed, api, agg_json, message):
    body = dict(BASE, experiment_ids=[designed[0]], metric_name="latency",
                aggregations=[agg_json])
    r = api.post(PATH, body)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert r.json()["message"] == message
