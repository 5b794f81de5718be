"""Registry webhooks (MLflow's WebhookService) with the real MlflowClient and a loopback
receiver: CRUD, validation, every event's payload, signatures checked with MLflow's own
algorithm, retries, the test route, SSRF refusals, and (mltrack only) delivery after a
kill -9 between commit and delivery."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import threading
import time

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from mlflow.exceptions import MlflowException
from mlflow.webhooks.delivery import _generate_hmac_signature

from conftest import TARGET, Server, backend_uri_for, uname

# A fixed Fernet key, so that secrets survive restarts (and mlflow server reads ours).
KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
HOOK_ENV = {
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": KEY,
    "MLFLOW_WEBHOOK_REQUEST_TIMEOUT": "5",
    "MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES": "3",
    # The reference caches the webhooks of an event for a minute; tests create new ones.
    "MLFLOW_WEBHOOK_CACHE_TTL": "0",
}


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST and answers with the
    statuses queued in `script` (200 once it is empty)."""

    def __init__(self, port=0):
        self.hits = []
        self.script = []
        self.cond = threading.Condition()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.cond:
                    status = outer.script.pop(0) if outer.script else 200
                    outer.hits.append({"path": self.path, "headers": dict(self.headers),
                                       "body": body, "status": status})
                    outer.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                msg = b"ok" if status < 400 else b"busy"
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def wait(self, pred, timeout=20):
        """The hits matching pred, once there is one (fails after timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = [h for h in self.hits if pred(h)]
                if got:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no matching delivery; got %r" % self.hits)
                self.cond.wait(left)

    def for_path(self, path, timeout=20):
        return self.wait(lambda h: h["path"] == path, timeout)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def hook_server(tmp_path_factory, backend):
    s = Server(str(tmp_path_factory.mktemp("hooks")), backend_uri=backend_uri_for(backend),
               extra_env=HOOK_ENV).start()
    yield s
    s.check_clean_exit()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def hc(hook_server):
    return MlflowClient(tracking_uri=hook_server.url, registry_uri=hook_server.url)


def hname():
    return uname("hook").replace("_", "-")


def payload(hit):
    return json.loads(hit["body"])


def verify_signature(hit, secret):
    """Recomputes X-MLflow-Signature as MLflow's receiver example does."""
    h = {k.lower(): v for k, v in hit["headers"].items()}
    expected = _generate_hmac_signature(secret, h["x-mlflow-delivery-id"],
                                        h["x-mlflow-timestamp"], hit["body"].decode())
    assert hmac.compare_digest(expected, h["x-mlflow-signature"])
    # The same by hand: v1,base64(HMAC-SHA256(secret, "<id>.<ts>.<payload>")).
    signed = "%s.%s.%s" % (h["x-mlflow-delivery-id"], h["x-mlflow-timestamp"],
                           hit["body"].decode())
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    assert h["x-mlflow-signature"] == "v1," + base64.b64encode(mac).decode()


# ---- CRUD ----

def test_create_get_list_update_delete(hc, receiver):
    name = hname()
    w = hc.create_webhook(name=name, url=receiver.url("/crud"),
                          events=["registered_model.created", "model_version_tag.set"],
                          description="d", secret="s3cret")
    assert w.name == name and w.url == receiver.url("/crud") and w.description == "d"
    assert w.status == WebhookStatus.ACTIVE
    assert {str(e) for e in w.events} == {"registered_model.created", "model_version_tag.set"}
    assert w.secret is None  # never returned
    assert w.creation_timestamp == w.last_updated_timestamp > 0
    g = hc.get_webhook(w.webhook_id)
    assert g.webhook_id == w.webhook_id and g.name == name
    assert w.webhook_id in [x.webhook_id for x in hc.list_webhooks(max_results=1000)]

    time.sleep(0.01)
    u = hc.update_webhook(w.webhook_id, name=name + "-2", description="",
                          events=["model_version.created"], status="DISABLED")
    assert u.name == name + "-2" and u.description is None
    assert [str(e) for e in u.events] == ["model_version.created"]
    assert u.status == WebhookStatus.DISABLED
    assert u.last_updated_timestamp > u.creation_timestamp
    assert u.url == receiver.url("/crud")

    hc.delete_webhook(w.webhook_id)
    with pytest.raises(MlflowException) as ei:
        hc.get_webhook(w.webhook_id)
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert "Webhook with ID %s not found." % w.webhook_id in str(ei.value)
    assert w.webhook_id not in [x.webhook_id for x in hc.list_webhooks(max_results=1000)]


def test_list_pages(hc, receiver):
    ids = [hc.create_webhook(name=hname(), url=receiver.url("/pages"),
                             events=["prompt.created"]).webhook_id for _ in range(3)]
    seen = []
    page = hc.list_webhooks(max_results=2)
    seen += [w.webhook_id for w in page]
    assert len(page) == 2 and page.token
    while page.token:
        page = hc.list_webhooks(max_results=2, page_token=page.token)
        seen += [w.webhook_id for w in page]
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    # Newest first.
    assert [i for i in seen if i in ids] == ids[::-1]
    for i in ids:
        hc.delete_webhook(i)


def test_raw_rest_shapes(hook_server, receiver):
    base = hook_server.url + "/api/2.0/mlflow/webhooks"
    r = requests.post(base, json={"name": hname(), "url": receiver.url("/raw"),
                                  "events": [{"entity": "MODEL_VERSION_ALIAS",
                                              "action": "CREATED"}],
                                  "secret": "x"})
    assert r.status_code == 200, r.text
    w = r.json()["webhook"]
    assert set(w) == {"webhook_id", "name", "url", "events", "status", "creation_timestamp",
                      "last_updated_timestamp"}
    assert w["events"] == [{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}]
    assert w["status"] == "ACTIVE"
    r = requests.get(base + "/" + w["webhook_id"])
    assert r.json() == {"webhook": w}
    r = requests.delete(base + "/" + w["webhook_id"])
    assert r.status_code == 200 and r.json() == {}
    r = requests.delete(base + "/" + w["webhook_id"])
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_enum_numbers_and_unparsable_status(hook_server, receiver):
    """Enums may come as their numbers (protobuf's JSON); a status protobuf cannot parse is
    left unset by MLflow's handler, so the webhook is ACTIVE."""
    base = hook_server.url + "/api/2.0/mlflow/webhooks"
    r = requests.post(base, json={"name": hname(), "url": receiver.url("/num"),
                                  "events": [{"entity": 3, "action": 4}], "status": "NOPE"})
    assert r.status_code == 200, r.text
    w = r.json()["webhook"]
    assert w["events"] == [{"entity": "MODEL_VERSION_TAG", "action": "SET"}]
    assert w["status"] == "ACTIVE"
    r = requests.patch(base + "/" + w["webhook_id"], json={"status": 2})
    assert r.json()["webhook"]["status"] == "DISABLED"
    requests.delete(base + "/" + w["webhook_id"])


def test_secret_stored_encrypted_in_mlflow_form(hook_server, hc, receiver):
    w = hc.create_webhook(name=hname(), url=receiver.url("/enc"),
                          events=["registered_model.created"], secret="topsecret")
    (stored,), = hook_server.db_query("SELECT secret FROM webhooks WHERE webhook_id = ?",
                                      (w.webhook_id,))
    assert stored != "topsecret"
    from cryptography.fernet import Fernet
    assert Fernet(KEY.encode()).decrypt(stored.encode()) == b"topsecret"
    hc.delete_webhook(w.webhook_id)


# ---- validation ----

@pytest.mark.parametrize("kwargs, msg", [
    ({"name": "-bad"}, "Webhook name '-bad' is invalid. It must start and end with a letter "
                       "or digit, be less than 63 characters long, and contain only letters, "
                       "digits, dots (.), underscores (_), and hyphens (-)."),
    ({"name": "a" * 64}, "is invalid. It must start and end with a letter or digit"),
    ({"url": "ftp://example.com/x"}, "Invalid webhook URL scheme: 'ftp'. Allowed schemes "
                                     "are: http, https."),
    ({"url": "http:///nohost"}, "Webhook URL must include a hostname: 'http:///nohost'"),
    ({"url": "   "}, "Webhook URL cannot be empty or just whitespace: '   '"),
])
def test_create_validation(hc, receiver, kwargs, msg):
    args = {"name": hname(), "url": receiver.url("/v"), "events": ["registered_model.created"]}
    args.update(kwargs)
    with pytest.raises(MlflowException) as ei:
        hc.create_webhook(**args)
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert msg in str(ei.value)


def test_invalid_event_pair(hook_server, receiver):
    r = requests.post(hook_server.url + "/api/2.0/mlflow/webhooks",
                      json={"name": hname(), "url": receiver.url("/v"),
                            "events": [{"entity": "REGISTERED_MODEL", "action": "DELETED"}]})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert r.json()["message"] == ("Invalid action 'deleted' for entity 'registered_model'. "
                                   "Valid actions are: ['created']")


def test_missing_fields(hook_server, receiver):
    base = hook_server.url + "/api/2.0/mlflow/webhooks"
    for body, field in [({"url": receiver.url(), "events": []}, "name"),
                        ({"name": hname(), "events": []}, "url")]:
        r = requests.post(base, json=body)
        assert r.status_code == 400
        assert r.json()["message"].startswith(
            "Missing value for required parameter '%s'." % field), r.text


def test_list_max_results_bounds(hook_server):
    r = requests.get(hook_server.url + "/api/2.0/mlflow/webhooks",
                     params={"max_results": 1001})
    assert r.status_code == 400
    assert r.json()["message"] == "max_results must be between 1 and 1000."


def test_update_unknown(hc):
    with pytest.raises(MlflowException) as ei:
        hc.update_webhook("nope", name="x")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"


# ---- events ----

@pytest.fixture
def all_events_hook(hc, receiver):
    path = "/all-" + hname()
    secret = "sig-" + hname()
    events = ["registered_model.created", "model_version.created", "model_version_tag.set",
              "model_version_tag.deleted", "model_version_alias.created",
              "model_version_alias.deleted", "prompt.created", "prompt_version.created",
              "prompt_tag.set", "prompt_tag.deleted", "prompt_version_tag.set",
              "prompt_version_tag.deleted", "prompt_alias.created", "prompt_alias.deleted"]
    w = hc.create_webhook(name=hname(), url=receiver.url(path), events=events, secret=secret)
    yield path, secret
    hc.delete_webhook(w.webhook_id)


def event_of(receiver, path, entity, action, pred=lambda d: True):
    hits = receiver.wait(lambda h: h["path"] == path and payload(h)["entity"] == entity and
                         payload(h)["action"] == action and pred(payload(h)["data"]))
    return hits[0]


def test_model_events_payloads(hc, receiver, all_events_hook):
    path, secret = all_events_hook
    m = uname("m")
    hc.create_registered_model(m, tags={"a": "1", "b": "é"}, description="desc")
    hit = event_of(receiver, path, "registered_model", "created", lambda d: d["name"] == m)
    verify_signature(hit, secret)
    p = payload(hit)
    assert list(p) == ["entity", "action", "timestamp", "data"]
    assert p["timestamp"].endswith("+00:00")
    assert p["data"] == {"name": m, "tags": {"a": "1", "b": "é"}, "description": "desc"}
    # The body is json.dumps' text (so a receiver hashing it sees MLflow's bytes).
    assert hit["body"].decode() == json.dumps(p)
    h = {k.lower(): v for k, v in hit["headers"].items()}
    assert h["content-type"] == "application/json"
    assert abs(int(h["x-mlflow-timestamp"]) - time.time()) < 120

    mv = hc.create_model_version(m, "s3://bucket/path", tags={"t": "v"}, description="")
    hit = event_of(receiver, path, "model_version", "created", lambda d: d["name"] == m)
    verify_signature(hit, secret)
    assert payload(hit)["data"] == {"name": m, "version": mv.version, "source": "s3://bucket/path",
                                    "run_id": None, "tags": {"t": "v"}, "description": None}

    hc.set_model_version_tag(m, mv.version, "k", "val")
    hit = event_of(receiver, path, "model_version_tag", "set", lambda d: d["name"] == m)
    assert payload(hit)["data"] == {"name": m, "version": "1", "key": "k", "value": "val"}
    hc.delete_model_version_tag(m, mv.version, "k")
    hit = event_of(receiver, path, "model_version_tag", "deleted", lambda d: d["name"] == m)
    assert payload(hit)["data"] == {"name": m, "version": "1", "key": "k"}
    hc.set_registered_model_alias(m, "champ", mv.version)
    hit = event_of(receiver, path, "model_version_alias", "created", lambda d: d["name"] == m)
    assert payload(hit)["data"] == {"name": m, "alias": "champ", "version": "1"}
    hc.delete_registered_model_alias(m, "champ")
    hit = event_of(receiver, path, "model_version_alias", "deleted", lambda d: d["name"] == m)
    assert payload(hit)["data"] == {"name": m, "alias": "champ"}
    verify_signature(hit, secret)
    # A model's own tags emit nothing (only prompts' do).
    hc.set_registered_model_tag(m, "x", "y")
    time.sleep(1.5)
    assert not [h for h in receiver.hits if h["path"] == path and
                payload(h)["entity"] == "prompt_tag" and payload(h)["data"]["name"] == m]


def test_prompt_events_payloads(hook_server, receiver, all_events_hook):
    """Prompts are registered models tagged mlflow.prompt.is_prompt; the client refuses to
    make them through the model API, so the REST calls are made directly."""
    path, _ = all_events_hook
    base = hook_server.url + "/api/2.0/mlflow/"

    def call(method, route, body):
        r = requests.request(method, base + route, json=body)
        assert r.status_code == 200, r.text

    p = uname("p")
    call("POST", "registered-models/create", {"name": p, "description": "pd", "tags": [
        {"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "team", "value": "a"},
        {"key": "_mlflow_prompt_type", "value": "text"}]})
    hit = event_of(receiver, path, "prompt", "created", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "tags": {"team": "a"}, "description": "pd"}
    call("POST", "model-versions/create", {"name": p, "source": "dummy-source", "tags": [
        {"key": "mlflow.prompt.is_prompt", "value": "true"},
        {"key": "mlflow.prompt.text", "value": "Hi {{n}}"}, {"key": "k", "value": "v"}]})
    hit = event_of(receiver, path, "prompt_version", "created", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "version": "1", "template": "Hi {{n}}",
                                    "tags": {"k": "v"}, "description": None}
    call("POST", "registered-models/set-tag", {"name": p, "key": "owner", "value": "me"})
    hit = event_of(receiver, path, "prompt_tag", "set", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "key": "owner", "value": "me"}
    call("DELETE", "registered-models/delete-tag", {"name": p, "key": "owner"})
    hit = event_of(receiver, path, "prompt_tag", "deleted", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "key": "owner"}
    call("POST", "model-versions/set-tag", {"name": p, "version": "1", "key": "vk",
                                            "value": "vv"})
    hit = event_of(receiver, path, "prompt_version_tag", "set", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "version": "1", "key": "vk", "value": "vv"}
    call("DELETE", "model-versions/delete-tag", {"name": p, "version": "1", "key": "vk"})
    hit = event_of(receiver, path, "prompt_version_tag", "deleted", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "version": "1", "key": "vk"}
    call("POST", "registered-models/alias", {"name": p, "alias": "prod", "version": "1"})
    hit = event_of(receiver, path, "prompt_alias", "created", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "alias": "prod", "version": "1"}
    call("DELETE", "registered-models/alias", {"name": p, "alias": "prod"})
    hit = event_of(receiver, path, "prompt_alias", "deleted", lambda d: d["name"] == p)
    assert payload(hit)["data"] == {"name": p, "alias": "prod"}


def test_disabled_and_unsubscribed_get_nothing(hc, receiver):
    path = "/quiet-" + hname()
    w1 = hc.create_webhook(name=hname(), url=receiver.url(path),
                           events=["registered_model.created"], status="DISABLED")
    w2 = hc.create_webhook(name=hname(), url=receiver.url(path),
                           events=["model_version.created"])
    hc.create_registered_model(uname("q"))
    time.sleep(2)
    assert not [h for h in receiver.hits if h["path"] == path]
    hc.delete_webhook(w1.webhook_id)
    hc.delete_webhook(w2.webhook_id)


def test_retry_after_503(hc, receiver):
    path = "/retry-" + hname()
    w = hc.create_webhook(name=hname(), url=receiver.url(path),
                          events=["registered_model.created"])
    with receiver.cond:
        receiver.script[:] = [503]
    m = uname("r")
    hc.create_registered_model(m)
    hits = receiver.wait(lambda h: h["path"] == path and h["status"] == 200, timeout=30)
    all_hits = [h for h in receiver.hits if h["path"] == path]
    assert [h["status"] for h in all_hits] == [503, 200]
    assert payload(all_hits[0]) == payload(hits[0]) or \
        payload(all_hits[0])["data"] == payload(hits[0])["data"]
    hc.delete_webhook(w.webhook_id)


def test_retries_give_up_after_max(hook_server, hc, receiver):
    """MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES=3: four attempts in all, then nothing more."""
    path = "/giveup-" + hname()
    w = hc.create_webhook(name=hname(), url=receiver.url(path),
                          events=["model_version_tag.deleted"])
    with receiver.cond:
        receiver.script[:] = [500] * 10
    try:
        m = uname("g")
        hc.create_registered_model(m)
        hc.create_model_version(m, "s3://b/k")
        hc.delete_model_version_tag(m, "1", "nokey")
        receiver.wait(lambda h: h["path"] == path and
                      len([x for x in receiver.hits if x["path"] == path]) >= 4, timeout=40)
        time.sleep(6)
        hits = [h for h in receiver.hits if h["path"] == path]
        assert [h["status"] for h in hits] == [500] * 4
        ids = {h["headers"]["X-MLflow-Delivery-Id"] for h in hits}
        assert len(ids) == 1  # one delivery, retried
        if TARGET == "mltrack":  # given up: the row is gone
            assert hook_server.db_query("SELECT count(*) FROM mltrack_webhook_deliveries "
                                        "WHERE webhook_id = ?", (w.webhook_id,)) == [(0,)]
    finally:
        with receiver.cond:
            receiver.script[:] = []
        hc.delete_webhook(w.webhook_id)


@pytest.mark.mltrack_only("the outbox's cap: 10,000 waiting deliveries")
def test_full_outbox_drops_new_events(hook_server, hc, receiver):
    path = "/full-" + hname()
    w = hc.create_webhook(name=hname(), url=receiver.url(path),
                          events=["registered_model.created"])
    # 10,000 rows of a webhook that does not exist, due in the far future.
    hook_server.db_query(
        "INSERT INTO mltrack_webhook_deliveries (webhook_id, entity, action, payload, created, "
        "attempts, next_attempt, lease_until) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
        "SELECT i + 1 FROM n WHERE i < 10000) SELECT 'planted', 'registered_model', 'created', "
        "'{}', 0, 0, 4000000000000000, 0 FROM n")
    try:
        m = uname("full")
        hc.create_registered_model(m)  # succeeds; its event is not queued
        assert hc.get_registered_model(m).name == m
        time.sleep(2)
        assert not [h for h in receiver.hits if h["path"] == path]
        assert "the outbox holds 10000 deliveries" in hook_server.tail(200)
    finally:
        hook_server.db_query("DELETE FROM mltrack_webhook_deliveries WHERE webhook_id = "
                             "'planted'")
    m = uname("after")
    hc.create_registered_model(m)
    assert payload(receiver.for_path(path)[0])["data"]["name"] == m
    hc.delete_webhook(w.webhook_id)


# ---- the test route ----

def test_test_webhook(hc, receiver):
    path = "/test-" + hname()
    w = hc.create_webhook(name=hname(), url=receiver.url(path),
                          events=["model_version_alias.deleted", "prompt.created"],
                          secret="ts")
    res = hc.test_webhook(w.webhook_id, event="prompt.created")
    assert res.success and res.response_status == 200 and res.response_body == "ok"
    hit = receiver.for_path(path)[-1]
    verify_signature(hit, "ts")
    assert payload(hit)["data"] == {"name": "example_prompt",
                                    "tags": {"example_key": "example_value"},
                                    "description": "An example prompt"}
    with receiver.cond:
        receiver.script[:] = [404]
    res = hc.test_webhook(w.webhook_id, event=WebhookEvent("model_version_alias", "deleted"))
    assert not res.success and res.response_status == 404 and res.response_body == "busy"
    assert payload(receiver.for_path(path)[-1])["data"] == {"name": "example_model",
                                                            "alias": "example_alias"}
    hc.delete_webhook(w.webhook_id)


def test_test_webhook_unreachable(hc):
    w = hc.create_webhook(name=hname(), url="http://127.0.0.1:9/none",
                          events=["registered_model.created"])
    res = hc.test_webhook(w.webhook_id)
    assert not res.success and res.response_status is None
    assert res.error_message.startswith("Failed to test webhook: ")
    hc.delete_webhook(w.webhook_id)


# ---- SSRF ----

@pytest.fixture(scope="module")
def strict_server(tmp_path_factory, backend):
    s = Server(str(tmp_path_factory.mktemp("strict")), backend_uri=backend_uri_for(backend),
               extra_env={"MLFLOW_WEBHOOK_CACHE_TTL": "0"}).start()
    yield s
    s.check_clean_exit()


@pytest.mark.parametrize("url, msg", [
    ("http://example.com/x", "Invalid webhook URL scheme: 'http'. Allowed schemes are: https."),
    ("https://127.0.0.1/x", "Webhook URL must not resolve to a non-public IP address. "
                            "'127.0.0.1' resolves to 127.0.0.1."),
    ("https://10.1.2.3:8443/x", "'10.1.2.3' resolves to 10.1.2.3."),
    ("https://169.254.169.254/latest/meta-data", "'169.254.169.254' resolves to 169.254.169.254."),
    ("https://[::1]/x", "'::1' resolves to ::1."),
    ("https://100.64.0.1/x", "'100.64.0.1' resolves to 100.64.0.1."),
])
def test_ssrf_refused_at_create(strict_server, url, msg):
    c = MlflowClient(tracking_uri=strict_server.url, registry_uri=strict_server.url)
    with pytest.raises(MlflowException) as ei:
        c.create_webhook(name=hname(), url=url, events=["registered_model.created"])
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert msg in str(ei.value)


def test_ssrf_refused_at_update(strict_server):
    c = MlflowClient(tracking_uri=strict_server.url, registry_uri=strict_server.url)
    w = c.create_webhook(name=hname(), url="https://8.8.8.8/hook",
                         events=["registered_model.created"])
    with pytest.raises(MlflowException) as ei:
        c.update_webhook(w.webhook_id, url="https://192.168.1.1/x")
    assert "'192.168.1.1' resolves to 192.168.1.1." in str(ei.value)
    c.delete_webhook(w.webhook_id)


@pytest.mark.mltrack_only("a row planted in the database with a private URL (as a DNS "
                          "rebinding would look at delivery) is refused at send time")
def test_ssrf_refused_at_delivery(strict_server):
    c = MlflowClient(tracking_uri=strict_server.url, registry_uri=strict_server.url)
    r = Receiver()
    try:
        w = c.create_webhook(name=hname(), url="https://8.8.8.8/hook",
                             events=["registered_model.created"])
        strict_server.db_query("UPDATE webhooks SET url = ? WHERE webhook_id = ?",
                               ("https://127.0.0.1:%d/x" % r.port, w.webhook_id))
        c.create_registered_model(uname("ssrf"))
        deadline = time.time() + 10
        while time.time() < deadline and strict_server.db_query(
                "SELECT count(*) FROM mltrack_webhook_deliveries")[0][0]:
            time.sleep(0.2)
        assert strict_server.db_query("SELECT count(*) FROM mltrack_webhook_deliveries") == [(0,)]
        assert r.hits == []
        c.delete_webhook(w.webhook_id)
    finally:
        r.close()


# ---- durability ----

@pytest.mark.mltrack_only("the outbox: a delivery queued in the change's transaction survives "
                          "kill -9 and is sent after the restart")
def test_kill9_between_commit_and_delivery(tmp_path, backend):
    uri = backend_uri_for(backend)
    env = dict(HOOK_ENV, MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES="50")
    # The receiver's port, reserved and closed: nothing listens while the server tries.
    probe = Receiver()
    port = probe.port
    probe.close()
    s = Server(str(tmp_path), backend_uri=uri, extra_env=env).start()
    c = MlflowClient(tracking_uri=s.url, registry_uri=s.url)
    w = c.create_webhook(name=hname(), url="http://127.0.0.1:%d/k9" % port,
                         events=["registered_model.created"], secret="k9")
    m = uname("k9")
    c.create_registered_model(m)
    # Committed with its delivery row; the receiver is down, so the row waits.
    assert s.db_query("SELECT count(*) FROM mltrack_webhook_deliveries") == [(1,)]
    time.sleep(0.5)
    s.kill()
    r = Receiver(port)
    try:
        s2 = Server(str(tmp_path), db_path=s.db_path, backend_uri=uri, extra_env=env).start()
        hits = r.wait(lambda h: h["path"] == "/k9", timeout=30)
        assert payload(hits[0])["data"]["name"] == m
        verify_signature(hits[0], "k9")
        deadline = time.time() + 10
        while time.time() < deadline and s2.db_query(
                "SELECT count(*) FROM mltrack_webhook_deliveries")[0][0]:
            time.sleep(0.2)
        assert s2.db_query("SELECT count(*) FROM mltrack_webhook_deliveries") == [(0,)]
        time.sleep(1)
        assert len([h for h in r.hits if h["path"] == "/k9"]) == 1
        MlflowClient(tracking_uri=s2.url, registry_uri=s2.url).delete_webhook(w.webhook_id)
        s2.check_clean_exit()
    finally:
        r.close()


@pytest.mark.mltrack_only("the outbox row commits or rolls back with the registry change")
def test_failed_write_queues_nothing(hook_server, hc, receiver):
    path = "/fail-" + hname()
    w = hc.create_webhook(name=hname(), url=receiver.url(path),
                          events=["registered_model.created"])
    m = uname("dup")
    hc.create_registered_model(m)
    receiver.for_path(path)
    with pytest.raises(MlflowException):
        hc.create_registered_model(m)  # already exists: rolled back, nothing queued
    time.sleep(1.5)
    assert len([h for h in receiver.hits if h["path"] == path]) == 1
    hc.delete_webhook(w.webhook_id)


@pytest.mark.mltrack_only("needs the mltrack binary beside mlflow server")
def test_db_moves_between_mlflow_and_mltrack(tmp_path):
    """Webhooks (secrets included, under the same key) made by either server are delivered,
    correctly signed, by the other."""
    r = Receiver()
    db = str(tmp_path / "shared.db")
    try:
        ours = Server(str(tmp_path), db_path=db, extra_env=HOOK_ENV).start()
        c = MlflowClient(tracking_uri=ours.url, registry_uri=ours.url)
        w1 = c.create_webhook(name=hname(), url=r.url("/from-mltrack"),
                              events=["registered_model.created"], secret="s-ours")
        ours.check_clean_exit()
        ref = Server(str(tmp_path), db_path=db, target="mlflow", extra_env=HOOK_ENV).start()
        c = MlflowClient(tracking_uri=ref.url, registry_uri=ref.url)
        assert c.get_webhook(w1.webhook_id).name == w1.name
        c.create_registered_model(uname("ref"))
        verify_signature(r.for_path("/from-mltrack")[0], "s-ours")
        w2 = c.create_webhook(name=hname(), url=r.url("/from-mlflow"),
                              events=["model_version_alias.created"], secret="s-ref")
        m = uname("m")
        c.create_registered_model(m)
        c.create_model_version(m, "s3://b/k")
        ref.stop()
        ours = Server(str(tmp_path), db_path=db, extra_env=HOOK_ENV).start()
        c = MlflowClient(tracking_uri=ours.url, registry_uri=ours.url)
        c.set_registered_model_alias(m, "a", "1")
        hit = r.for_path("/from-mlflow")[0]
        verify_signature(hit, "s-ref")
        assert payload(hit)["data"] == {"name": m, "alias": "a", "version": "1"}
        c.delete_webhook(w1.webhook_id)
        c.delete_webhook(w2.webhook_id)
        ours.check_clean_exit()
    finally:
        r.close()


@pytest.mark.mltrack_only("several mltrack processes on one PostgreSQL database")
def test_two_processes_share_the_outbox(tmp_path, pg):
    """Each queued delivery is sent by exactly one of two processes sharing the database."""
    uri = pg.create_database()
    r = Receiver()
    servers = []
    try:
        servers = [Server(str(tmp_path / str(i)), backend_uri=uri, extra_env=HOOK_ENV)
                   for i in range(2)]
        for i, s in enumerate(servers):
            os.makedirs(s.workdir, exist_ok=True)
            s.start()
        c0 = MlflowClient(tracking_uri=servers[0].url, registry_uri=servers[0].url)
        c1 = MlflowClient(tracking_uri=servers[1].url, registry_uri=servers[1].url)
        c0.create_webhook(name=hname(), url=r.url("/shared"),
                          events=["registered_model.created"])
        names = set()
        for i in range(20):
            n = uname("s%d" % i)
            names.add(n)
            (c0 if i % 2 else c1).create_registered_model(n)
        deadline = time.time() + 30
        while time.time() < deadline and len(r.hits) < 20:
            time.sleep(0.2)
        time.sleep(1.5)
        got = [payload(h)["data"]["name"] for h in r.hits if h["path"] == "/shared"]
        assert sorted(got) == sorted(names)
        ids = [h["headers"]["X-MLflow-Delivery-Id"] for h in r.hits]
        assert len(set(ids)) == len(ids)
        for s in servers:
            s.check_clean_exit()
    finally:
        for s in servers:
            s.kill()
        r.close()


def test_basic_auth_webhooks_are_admin_only(tmp_path):
    """MLflow's basic-auth app lets only admins use the webhook routes."""
    from test_auth import ADMIN_PW, HAVE_FLASK_WTF, start_auth_server
    if TARGET == "mlflow" and not HAVE_FLASK_WTF:
        pytest.skip("mlflow server --app-name basic-auth needs Flask-WTF")
    s = start_auth_server(str(tmp_path))
    try:
        base = s.url + "/api/2.0/mlflow/"
        admin = ("admin", ADMIN_PW)
        r = requests.post(base + "users/create", auth=admin,
                          json={"username": "webhook-user", "password": "user-password-1"})
        assert r.status_code == 200, r.text
        user = ("webhook-user", "user-password-1")
        body = {"name": hname(), "url": "https://8.8.8.8/x",
                "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}]}
        assert requests.get(base + "webhooks").status_code == 401
        assert requests.get(base + "webhooks", auth=user).status_code == 403
        assert requests.post(base + "webhooks", auth=user, json=body).status_code == 403
        r = requests.post(base + "webhooks", auth=admin, json=body)
        assert r.status_code == 200, r.text
        wid = r.json()["webhook"]["webhook_id"]
        for method, path in [("GET", "webhooks/" + wid), ("PATCH", "webhooks/" + wid),
                             ("DELETE", "webhooks/" + wid), ("POST", "webhooks/%s/test" % wid)]:
            r = requests.request(method, base + path, auth=user,
                                 json=None if method == "GET" else {})
            assert r.status_code == 403, (method, path, r.status_code)
        assert requests.get(base + "webhooks", auth=admin).status_code == 200
        assert requests.delete(base + "webhooks/" + wid, auth=admin, json={}).status_code == 200
    finally:
        s.check_clean_exit()


@pytest.mark.mltrack_only("mltrack's own webhook series in /metrics")
def test_prometheus_counts_webhook_deliveries(tmp_path, receiver):
    s = Server(str(tmp_path), extra_env=HOOK_ENV,
               extra_args=["--expose-prometheus", str(tmp_path / "prom")]).start()
    try:
        c = MlflowClient(tracking_uri=s.url, registry_uri=s.url)
        path = "/prom-" + hname()
        c.create_webhook(name=hname(), url=receiver.url(path), events=["registered_model.created"])
        with receiver.cond:
            receiver.script[:] = [503]
        c.create_registered_model(uname("p"))
        receiver.wait(lambda h: h["path"] == path and h["status"] == 200, timeout=30)

        def series():
            text = requests.get(s.url + "/metrics", timeout=30).text
            return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
                    if line.startswith("mltrack_webhook_")}

        deadline = time.time() + 10
        while series().get('mltrack_webhook_deliveries_total{outcome="delivered"}', 0) < 1:
            assert time.time() < deadline, series()
            time.sleep(0.1)
        got = series()
        assert got["mltrack_webhook_attempts_total"] == 2, got
        assert got['mltrack_webhook_deliveries_total{outcome="failed"}'] == 0, got
        assert got['mltrack_webhook_deliveries_total{outcome="dropped"}'] == 0, got
    finally:
        with receiver.cond:
            receiver.script[:] = []
        s.stop()
