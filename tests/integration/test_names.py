"""MLflow's rules for names and keys (mlflow/utils/validation.py of the pinned version) on
every entity that has them: params, metrics and tags of runs, experiment tags, registered
model and model version tags, model names, aliases. What MLflow refuses is refused with the
very message MLflow writes: the expected text is computed here by MLflow's own validators,
so the test holds against both targets. Look-alike keys (combining marks, emoji, zero-width
spaces, bidirectional overrides) are the point: Python's Unicode \\w refuses them."""
import uuid

import pytest
from mlflow.exceptions import MlflowException
from mlflow.utils import validation as v

from conftest import assert_error, uname

# Keys MLflow refuses, each for a reason of its own.
BAD_KEYS = [
    "e\u0301",           # e + combining acute: looks like é
    "loss\U0001F600",    # emoji
    "lo\u200bss",        # zero-width space
    "ab\u202ecd",        # right-to-left override
    "a\n\n",             # only one final newline is what '$' forgives
    "a,b",
    "..a",               # normpath keeps it, but it starts with ".."
    "a//b",              # would resolve to 'a/b'
    "x/../y",
    "\u00e9/./t",        # would resolve to 'é/t'
]
# Keys MLflow accepts though they are not ASCII words.
GOOD_KEYS = ["\u00e9t\u00e9", "\u65e5\u672c", "\u0663", "\u00bd", "k\n", "a/..b", "x:y z-w.v/u_t"]

JSON = {"Content-Type": "application/json"}


def message_of(fn, *args, **kw):
    """MLflow's message for the input, or None when MLflow accepts it."""
    try:
        fn(*args, **kw)
    except MlflowException as e:
        return e.message
    return None


def expect(r, msg):
    if msg is None:
        assert r.status_code == 200, (r.status_code, r.text[:500])
    else:
        body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        assert body["message"] == msg


@pytest.fixture
def run_id(client):
    return client.create_run(client.create_experiment(uname("names"))).info.run_id


@pytest.fixture
def exp(client):
    return client.create_experiment(uname("names-exp"))


@pytest.fixture
def model(client, run_id):
    name = "names-" + uuid.uuid4().hex[:10]
    client.create_registered_model(name)
    client.create_model_version(name, "runs:/%s/model" % run_id, run_id=run_id)
    return name


@pytest.mark.parametrize("key", BAD_KEYS + GOOD_KEYS)
def test_run_keys(api, client, run_id, key):
    expect(api.post("runs/log-parameter", {"run_id": run_id, "key": key, "value": "1"}),
           message_of(v._validate_param, key, "1"))
    expect(api.post("runs/set-tag", {"run_id": run_id, "key": key, "value": "1"}),
           message_of(v._validate_tag, key, "1"))
    expect(api.post("runs/log-metric", {"run_id": run_id, "key": key, "value": 1.0,
                                        "timestamp": 1, "step": 0}),
           message_of(v._validate_metric, key, 1.0, 1, 0))
    if message_of(v._validate_param, key, "1") is None:
        data = client.get_run(run_id).data
        assert data.params[key] == "1" and data.tags[key] == "1" and data.metrics[key] == 1.0


@pytest.mark.parametrize("key", BAD_KEYS)
def test_log_batch_keys(api, run_id, key):
    expect(api.post("runs/log-batch", {"run_id": run_id, "params": [{"key": key, "value": "1"}]}),
           message_of(v._validate_param, key, "1", path="params[0]"))
    expect(api.post("runs/log-batch", {"run_id": run_id, "tags": [{"key": key, "value": "1"}]}),
           message_of(v._validate_tag, key, "1", path="tags[0]"))
    metric = {"key": key, "value": 1.0, "timestamp": 1, "step": 0}
    expect(api.post("runs/log-batch", {"run_id": run_id, "metrics": [metric]}),
           message_of(v._validate_metric, key, 1.0, 1, 0, path="metrics[0]"))


@pytest.mark.parametrize("key", BAD_KEYS + GOOD_KEYS[:2])
def test_experiment_tag_keys(api, client, exp, key):
    msg = message_of(v._validate_experiment_tag, key, "1")
    expect(api.post("experiments/set-experiment-tag",
                    {"experiment_id": exp, "key": key, "value": "1"}), msg)
    expect(api.post("experiments/create", {"name": uname("names-c"),
                                           "tags": [{"key": key, "value": "1"}]}), msg)
    if msg is None:
        assert client.get_experiment(exp).tags[key] == "1"


@pytest.mark.parametrize("key", BAD_KEYS + GOOD_KEYS[:2])
def test_registry_tag_keys(api, client, model, run_id, key):
    msg = message_of(v._validate_registered_model_tag, key, "1")
    expect(api.post("registered-models/set-tag", {"name": model, "key": key, "value": "1"}), msg)
    expect(api.post("registered-models/create", {"name": "names-" + uuid.uuid4().hex[:10],
                                                 "tags": [{"key": key, "value": "1"}]}), msg)
    mv_msg = message_of(v._validate_model_version_tag, key, "1")
    expect(api.post("model-versions/set-tag",
                    {"name": model, "version": "1", "key": key, "value": "1"}), mv_msg)
    expect(api.post("model-versions/create",
                    {"name": model, "source": "runs:/%s/model" % run_id, "run_id": run_id,
                     "tags": [{"key": key, "value": "1"}]}), mv_msg)
    del_msg = message_of(v._validate_tag_name, key)
    if del_msg is not None:
        expect(api.request("DELETE", "registered-models/delete-tag",
                           json={"name": model, "key": key}, headers=JSON), del_msg)
        expect(api.request("DELETE", "model-versions/delete-tag",
                           json={"name": model, "version": "1", "key": key}, headers=JSON),
               del_msg)
    else:
        assert client.get_registered_model(model).tags[key] == "1"
        assert client.get_model_version(model, "1").tags[key] == "1"


@pytest.mark.parametrize("name", ["..a", "..", ".", "..\u0301", "..'q", "\u00a0\u3000", " \t"])
def test_model_names(api, name):
    msg = message_of(v._validate_model_name, name)
    assert msg is not None
    expect(api.post("registered-models/create", {"name": name}), msg)


def test_model_rename_names(api, model):
    for new in ["..b", "\u2003"]:
        expect(api.post("registered-models/rename", {"name": model, "new_name": new}),
               message_of(v._validate_model_renaming, new))


@pytest.mark.parametrize("alias", ["e\u0301", "champ\U0001F600", "a\u200bb", "a.b", "a\n\n",
                                   "v\u0661", "V7\n", "champion\n", "\u00e9lu"])
def test_aliases(api, client, model, alias):
    msg = message_of(v._validate_model_alias_name, alias)
    if msg is None:
        msg = message_of(v._validate_model_alias_name_reserved, alias)
    expect(api.post("registered-models/alias",
                    {"name": model, "alias": alias, "version": "1"}), msg)
    if msg is None:
        assert client.get_model_version_by_alias(model, alias).version == "1"
        expect(api.request("DELETE", "registered-models/alias",
                           json={"name": model, "alias": alias}, headers=JSON), None)
