"""search_runs with MLflow's filter grammar, order_by, view types and paging; mlflow.search_runs
DataFrame. Reference: mlflow-api.md §2.1 #19, §4.1, §4.2, §4.7."""
import math

import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from conftest import assert_error, uname

NAMES = ["alpha", "beta", "gamma", "delta", "eps"]


@pytest.fixture(scope="module")
def world(base_url):
    """Experiment E1 with five runs (eps deleted) and E2 with one run.

    name   start  status    acc    loss  model  alpha  team  'my tag'  dataset(context)
    alpha  1000   FINISHED  0.9    0.1   lr     0.5   x     sp ace    ds1/d1 (training)
    beta   2000   FAILED    0.5    0.5   rf           y               ds2/d2 (eval)
    gamma  3000   RUNNING   NaN    0.3   LR           x
    delta  4000   KILLED    -      0.2   svm
    eps    5000   FINISHED  0.7          lr           x               (deleted run)
    zeta   6000   (E2)      0.95         lr           x
    """
    from mlflow.tracking import MlflowClient
    c = MlflowClient(base_url)
    e1 = c.create_experiment(uname("search"))
    e2 = c.create_experiment(uname("search2"))
    runs = {}
    spec = {
        "alpha": (1000, "FINISHED", {"acc": 0.9, "loss": 0.1}, {"model": "lr", "alpha": "0.5"},
                  {"team": "x", "my tag": "sp ace"}),
        "beta": (2000, "FAILED", {"acc": 0.5, "loss": 0.5}, {"model": "rf"}, {"team": "y"}),
        "gamma": (3000, "RUNNING", {"acc": float("nan"), "loss": 0.3}, {"model": "LR"}, {"team": "x"}),
        "delta": (4000, "KILLED", {"loss": 0.2}, {"model": "svm"}, {}),
        "eps": (5000, "FINISHED", {"acc": 0.7}, {"model": "lr"}, {"team": "x"}),
    }
    for name, (start, status, metrics, params, tags) in spec.items():
        rid = c.create_run(e1, start_time=start, run_name=name, tags=tags).info.run_id
        c.log_batch(rid, metrics=[Metric(k, v, start, 0) for k, v in metrics.items()],
                    params=[Param(k, v) for k, v in params.items()])
        if status != "RUNNING":
            c.set_terminated(rid, status=status, end_time=start + 500)
        runs[name] = rid
    c.delete_run(runs["eps"])
    zeta = c.create_run(e2, start_time=6000, run_name="zeta", tags={"team": "x"}).info.run_id
    c.log_batch(zeta, metrics=[Metric("acc", 0.95, 6000, 0)], params=[Param("model", "lr")])
    runs["zeta"] = zeta
    # Datasets
    from mlflow.entities import Dataset, DatasetInput, InputTag
    for name, ds, digest, ctx in (("alpha", "ds1", "d1", "training"), ("beta", "ds2", "d2", "eval")):
        c.log_inputs(runs[name], datasets=[DatasetInput(
            Dataset(name=ds, digest=digest, source_type="local", source='{"uri": "/tmp/%s"}' % ds),
            tags=[InputTag("mlflow.data.context", ctx)])])
    return c, e1, e2, runs


def rnames(runs_list):
    return [r.info.run_name for r in runs_list]


def search(world, filt="", order_by=None, view=ViewType.ACTIVE_ONLY, both=False, **kw):
    c, e1, e2, _ = world
    return rnames(c.search_runs([e1, e2] if both else [e1], filter_string=filt, order_by=order_by,
                                run_view_type=view, **kw))


def test_default_order_start_time_desc(world):
    assert search(world) == ["delta", "gamma", "beta", "alpha"]


def test_run_view_types(world):
    assert search(world, view=ViewType.DELETED_ONLY) == ["eps"]
    assert search(world, view=ViewType.ALL) == ["eps", "delta", "gamma", "beta", "alpha"]


def test_multiple_experiments(world):
    assert search(world, both=True) == ["zeta", "delta", "gamma", "beta", "alpha"]


@pytest.mark.parametrize("filt,expected", [
    # metrics
    ("metrics.acc > 0.6", ["alpha"]),
    ("metrics.acc >= 0.5", ["beta", "alpha"]),
    ("metrics.acc < 0.9", ["beta"]),
    ("metrics.acc <= 0.9", ["beta", "alpha"]),
    ("metrics.acc = 0.5", ["beta"]),
    ("metrics.acc != 0.5", ["gamma", "alpha"]),  # NaN != 0.5 holds; a missing metric never matches
    ("metric.loss < 0.25", ["delta", "alpha"]),
    ("metrics.`loss` > 0.4", ["beta"]),
    ("metrics.loss > -1 and metrics.acc > 0", ["beta", "alpha"]),
    # params
    ("params.model = 'lr'", ["alpha"]),
    ("params.model != 'lr'", ["delta", "gamma", "beta"]),
    ("params.model LIKE 'l%'", ["alpha"]),
    ("params.model ILIKE 'l%'", ["gamma", "alpha"]),
    ("params.model LIKE '_f'", ["beta"]),
    ("param.alpha = '0.5'", ["alpha"]),
    ("params.alpha != 'zzz'", ["alpha"]),  # only runs that have the param
    ("parameters.model = \"svm\"", ["delta"]),  # double-quoted values are fine for params/tags
    # tags
    ("tags.team = 'x'", ["gamma", "alpha"]),
    ("tag.team != 'x'", ["beta"]),
    ("tags.`my tag` = 'sp ace'", ["alpha"]),
    ("tags.\"my tag\" LIKE 'sp%'", ["alpha"]),
    ("tags.team ILIKE 'X'", ["gamma", "alpha"]),
    ("tags.mlflow.runName = 'beta'", ["beta"]),
    # attributes
    ("attributes.run_name = 'gamma'", ["gamma"]),
    ("run_name LIKE '%lt%'", ["delta"]),
    ("attribute.run_name ILIKE 'ALP%'", ["alpha"]),
    ("attributes.status = 'FINISHED'", ["alpha"]),
    ("status != 'RUNNING'", ["delta", "beta", "alpha"]),
    ("attributes.start_time >= 2000", ["delta", "gamma", "beta"]),
    ("attributes.start_time < 2000", ["alpha"]),
    ("start_time = 3000", ["gamma"]),
    ("attributes.end_time > 2000", ["delta", "beta"]),
    ("attributes.created > 3500", ["delta"]),
    ("attributes.artifact_uri LIKE '%/artifacts'", ["delta", "gamma", "beta", "alpha"]),
    ("`attributes`.`run_name` = 'beta'", ["beta"]),
    # datasets
    ("datasets.name = 'ds1'", ["alpha"]),
    ("dataset.digest = 'd2'", ["beta"]),
    ("datasets.context = 'training'", ["alpha"]),
    ("datasets.name IN ('ds1', 'ds2')", ["beta", "alpha"]),
    ("datasets.name LIKE 'ds%' and datasets.context = 'eval'", ["beta"]),
    # combinations; AND is case-insensitive
    ("tags.team = 'x' AND params.model ILIKE 'lr' and metrics.loss < 0.2", ["alpha"]),
    ("params.model = 'nope'", []),
])
def test_filters(world, filt, expected):
    assert search(world, filt) == expected


def test_run_id_in_and_not_in(world):
    c, e1, e2, runs = world
    f = "attributes.run_id IN ('%s', '%s')" % (runs["alpha"], runs["gamma"])
    assert search(world, f) == ["gamma", "alpha"]
    f = "run_id NOT IN ('%s', '%s')" % (runs["alpha"], runs["gamma"])
    assert search(world, f) == ["delta", "beta"]
    assert search(world, "attributes.run_id = '%s'" % runs["beta"]) == ["beta"]


def test_user_id_filter(world):
    c, e1, _, runs = world
    user = c.get_run(runs["alpha"]).info.user_id
    assert set(search(world, "attributes.user_id = '%s'" % user)) == {"alpha", "beta", "gamma", "delta"}
    assert search(world, "attributes.user_id = 'nobody-%s'" % uname()) == []


@pytest.mark.parametrize("order_by,expected", [
    (["metrics.acc DESC"], ["alpha", "beta", "gamma", "delta"]),  # NaN then missing, last
    (["metrics.acc ASC"], ["beta", "alpha", "gamma", "delta"]),   # still last when ascending
    (["metrics.acc"], ["beta", "alpha", "gamma", "delta"]),
    (["metrics.loss desc"], ["beta", "gamma", "delta", "alpha"]),
    (["params.model"], ["gamma", "alpha", "beta", "delta"]),  # 'LR' < 'lr' < 'rf' < 'svm' (binary)
    (["params.alpha DESC"], ["alpha", "delta", "gamma", "beta"]),  # missing last, then default order
    (["tags.team ASC", "attributes.start_time ASC"], ["alpha", "gamma", "beta", "delta"]),
    (["tags.team DESC", "metrics.loss ASC"], ["beta", "alpha", "gamma", "delta"]),
    (["attributes.run_name"], ["alpha", "beta", "delta", "gamma"]),
    (["run_name DESC"], ["gamma", "delta", "beta", "alpha"]),
    (["attributes.start_time"], ["alpha", "beta", "gamma", "delta"]),
    (["start_time DESC"], ["delta", "gamma", "beta", "alpha"]),
    (["attributes.status"], ["beta", "alpha", "delta", "gamma"]),  # FAILED < FINISHED < KILLED < RUNNING
    (["attributes.end_time DESC"], ["delta", "beta", "alpha", "gamma"]),
])
def test_order_by(world, order_by, expected):
    assert search(world, order_by=order_by) == expected


@pytest.mark.parametrize("filt", [
    "metrics.acc > 'abc'",
    "params.model > 'a'",
    "tags.team < 'x'",
    "attributes.start_time LIKE '1%'",
    "foo.bar = 'x'",
    "attributes.nonexistent = 'x'",
    "params.model = 'lr' OR params.model = 'rf'",
    "(params.model = 'lr')",
    "params.model",
    "params.model = lr",
    "metrics.acc >",
    "run_id IN ()",
    "params.model IN ('lr')",      # IN / NOT IN only for run_id and datasets
    "tags.team IN ('x')",
    "attributes.status IN ('FINISHED')",
    "attributes.run_name NOT IN ('a', 'b')",
    "metrics.acc = 'abc'",
])
def test_invalid_filters_are_400(world, api, filt):
    _, e1, _, _ = world
    assert_error(api.post("runs/search", {"experiment_ids": [e1], "filter": filt}), 400,
                 "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("order_by", [["metrics.acc SIDEWAYS"], ["nope.x"], ["attributes.bogus"], ["metrics"],
                                      ["attributes.experiment_id"]])  # not an order key for runs in 3.17
def test_invalid_order_by_is_400(world, api, order_by):
    _, e1, _, _ = world
    assert_error(api.post("runs/search", {"experiment_ids": [e1], "order_by": order_by}), 400,
                 "INVALID_PARAMETER_VALUE")


def test_search_limits(world, api):
    _, e1, _, _ = world
    assert_error(api.post("runs/search", {"experiment_ids": [e1], "max_results": 50001}), 400,
                 "INVALID_PARAMETER_VALUE")
    assert api.post("runs/search", {"experiment_ids": [e1], "max_results": 50000}).status_code == 200
    assert_error(api.post("runs/search", {"experiment_ids": [e1], "page_token": "%%%"}), 400,
                 "INVALID_PARAMETER_VALUE")
    assert_error(api.post("runs/search", {"experiment_ids": ["abc"]}), 400, "INVALID_PARAMETER_VALUE")


def test_search_unknown_experiment_is_empty(api):
    assert api.ok_post("runs/search", {"experiment_ids": ["987654321"]}) == {}


def test_raw_search_shape(world, api):
    _, e1, _, runs = world
    body = api.ok_post("runs/search", {"experiment_ids": [e1], "filter": "attributes.run_name = 'alpha'"})
    assert len(body["runs"]) == 1
    run = body["runs"][0]
    assert run["info"]["run_id"] == runs["alpha"]
    assert run["info"]["status"] == "FINISHED"
    assert {"key": "model", "value": "lr"} in run["data"]["params"]
    assert sorted(m["key"] for m in run["data"]["metrics"]) == ["acc", "loss"]
    dsi = run["inputs"]["dataset_inputs"]
    assert [d["dataset"]["name"] for d in dsi] == ["ds1"]
    # runs/search is POST-only (experiments/search takes both); MLflow answers 405 for GET.
    assert api.get("runs/search", {"experiment_ids": [e1]}).status_code in (404, 405)


@pytest.fixture(scope="module")
def many_runs(base_url, api):
    """60 runs with heavily tied metric values and start times, to catch unstable paging."""
    from mlflow.tracking import MlflowClient
    c = MlflowClient(base_url)
    eid = c.create_experiment(uname("paging"))
    ids = []
    for i in range(60):
        run = api.ok_post("runs/create", {"experiment_id": eid, "start_time": 1000 + (i % 4),
                                          "run_name": "r%02d" % i})["run"]
        rid = run["info"]["run_id"]
        if i % 5:
            api.ok_post("runs/log-batch", {"run_id": rid, "metrics": [
                {"key": "score", "value": i % 3, "timestamp": 1, "step": 0}]})
        ids.append(rid)
    return c, eid, ids


@pytest.mark.parametrize("order_by", [None, ["metrics.score DESC"], ["metrics.score ASC", "start_time ASC"],
                                      ["params.none"], ["tags.mlflow.runName DESC"]])
def test_paging_no_loss_no_duplicates(many_runs, order_by):
    c, eid, ids = many_runs
    seen, token, pages = [], None, 0
    while True:
        page = c.search_runs([eid], max_results=7, order_by=order_by, page_token=token)
        seen += [r.info.run_id for r in page]
        pages += 1
        assert len(page) <= 7
        token = page.token
        if not token:
            break
        assert pages <= 10
    assert len(seen) == len(set(seen)) == 60
    assert set(seen) == set(ids)
    whole = [r.info.run_id for r in c.search_runs([eid], max_results=1000, order_by=order_by)]
    assert seen == whole
    if order_by == ["metrics.score DESC"]:
        scores = [c.get_run(r).data.metrics.get("score") for r in whole[:5]]
        assert scores == [2.0] * 5


def test_mlflow_search_runs_dataframe(world, tracking):
    c, e1, e2, runs = world
    df = tracking.search_runs(experiment_ids=[e1], order_by=["attributes.start_time ASC"])
    assert list(df["run_id"]) == [runs[n] for n in ("alpha", "beta", "gamma", "delta")]
    assert list(df["status"]) == ["FINISHED", "FAILED", "RUNNING", "KILLED"]
    assert df["metrics.acc"].iloc[0] == 0.9
    assert math.isnan(df["metrics.acc"].iloc[2])
    assert list(df["params.model"]) == ["lr", "rf", "LR", "svm"]
    assert df["tags.team"].iloc[1] == "y"
    assert df["tags.mlflow.runName"].iloc[3] == "delta"
    for col in ("experiment_id", "start_time", "end_time", "artifact_uri"):
        assert col in df.columns
    # by experiment name, filtered
    name = c.get_experiment(e1).name
    df = tracking.search_runs(experiment_names=[name], filter_string="metrics.acc > 0.6")
    assert list(df["run_id"]) == [runs["alpha"]]
    # list output
    out = tracking.search_runs(experiment_ids=[e1], output_format="list", filter_string="params.model='rf'")
    assert [r.info.run_id for r in out] == [runs["beta"]]


def test_search_runs_via_client_unknown_experiment_empty(client):
    assert client.search_runs(["987654321"]) == []


def test_deleted_run_visible_only_with_view(world):
    c, e1, _, runs = world
    got = rnames(c.search_runs([e1], "tags.team = 'x'", run_view_type=ViewType.ALL))
    assert got == ["eps", "gamma", "alpha"]


def test_search_invalid_via_client(client, world):
    _, e1, _, _ = world
    with pytest.raises(MlflowException) as ei:
        client.search_runs([e1], "this is not a filter")
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"


def test_keys_with_special_characters(client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    other = client.create_run(exp_id).info.run_id
    client.log_metric(rid, "val/loss", 0.25, step=0)
    client.log_metric(rid, "a b:c-d.e", 3.0, step=0)
    client.log_param(rid, "opt.lr", "0.1")
    client.set_tag(rid, "my-tag", "v")
    client.log_metric(other, "val/loss", 0.75, step=0)
    for f, want in [("metrics.`val/loss` < 0.5", [rid]),
                    ("metrics.\"val/loss\" > 0.5", [other]),
                    ("metrics.`a b:c-d.e` = 3", [rid]),
                    ("params.`opt.lr` = '0.1'", [rid]),
                    ("params.opt.lr = '0.1'", [rid]),
                    ("tags.`my-tag` = 'v'", [rid])]:
        assert [r.info.run_id for r in client.search_runs([exp_id], f)] == want, f
    got = [r.info.run_id for r in client.search_runs([exp_id], order_by=["metrics.`val/loss` DESC"])]
    assert got == [other, rid]


def test_like_wildcards_and_escapes(client, exp_id, backend):
    a = client.create_run(exp_id, run_name="under_score").info.run_id
    b = client.create_run(exp_id, run_name="underXscore").info.run_id
    c = client.create_run(exp_id, run_name="pct%sign").info.run_id
    assert {r.info.run_id for r in client.search_runs([exp_id], "run_name LIKE 'under_score'")} == {a, b}
    # As MLflow does on each database: on SQLite (LIKE without ESCAPE) a backslash is literal, so
    # this matches only names containing a backslash -- none here; on PostgreSQL a backslash is
    # LIKE's default escape character, so `\%` is a literal percent sign.
    want = [c] if backend == "postgres" else []
    assert [r.info.run_id for r in client.search_runs([exp_id], "run_name LIKE '%\\%%'")] == want
    assert [r.info.run_id for r in client.search_runs([exp_id], "run_name LIKE 'pct%'")] == [c]
    assert [r.info.run_id for r in client.search_runs([exp_id], "run_name = 'pct%sign'")] == [c]
    assert [r.info.run_id for r in client.search_runs([exp_id], "run_name ILIKE 'PCT%'")] == [c]


@pytest.mark.mltrack_only(reason="MLflow 3.17 answers a duplicated order_by key with 500 INTERNAL_ERROR "
                                 "(which the client retries); it is a client error")
def test_duplicate_order_by_is_400(world, api):
    _, e1, _, _ = world
    assert_error(api.post("runs/search", {"experiment_ids": [e1], "order_by": ["metrics.acc", "metrics.acc DESC"]}),
                 400, "INVALID_PARAMETER_VALUE")


def test_run_id_in_with_uppercase_matches_nothing(world):
    """Run ids are lowercase hex; IN-list values with uppercase letters are dropped."""
    _, _, _, runs = world
    assert search(world, "attributes.run_id IN ('%s')" % runs["alpha"].upper()) == []


def test_empty_experiment_list(api):
    assert api.ok_post("runs/search", {"experiment_ids": []}) == {}
