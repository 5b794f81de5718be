"""MLflow's basic-auth app (`--app-name basic-auth`, issue 11), driven with the real client:
AuthServiceClient for users and grants, MlflowClient with MLFLOW_TRACKING_USERNAME/PASSWORD
for what each user may do, and raw HTTP for the 401/403 answers. Auth runs on SQLite only
(the auth database is MLflow's own file), so these tests start their own servers.

Under MLTRACK_TARGET=mlflow the same tests run against `mlflow server --app-name basic-auth`,
which needs Flask-WTF (MLflow's `auth` extra; tests/requirements.txt). The interop tests
move an auth database between the two servers and need both."""
import importlib.util
import os
import time

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.server.auth.client import AuthServiceClient
from mlflow.tracking import MlflowClient

from conftest import IS_MLFLOW, Server

ADMIN_PW = "admin-password-123"
HAVE_FLASK_WTF = importlib.util.find_spec("flask_wtf") is not None
needs_mlflow_auth = pytest.mark.skipif(
    not HAVE_FLASK_WTF,
    reason="mlflow server --app-name basic-auth needs Flask-WTF (pip install -r tests/requirements.txt)")
if IS_MLFLOW:
    pytestmark = needs_mlflow_auth


def write_ini(workdir, default_permission="READ", db_name="basic_auth.db"):
    path = os.path.join(workdir, "auth.ini")
    with open(path, "w") as f:
        f.write("[mlflow]\ndefault_permission = %s\ndatabase_uri = sqlite:///%s\n"
                "admin_username = admin\n" % (default_permission, os.path.join(workdir, db_name)))
    return path


def auth_env(ini, password=ADMIN_PW):
    env = {"MLFLOW_AUTH_CONFIG_PATH": ini, "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret-key"}
    if password is not None:
        env["MLFLOW_AUTH_ADMIN_PASSWORD"] = password
    return env


def start_auth_server(workdir, default_permission="READ", target=None, password=ADMIN_PW):
    ini = write_ini(workdir, default_permission)
    kw = {} if target is None else {"target": target}
    s = Server(workdir, extra_args=["--app-name", "basic-auth"], extra_env=auth_env(ini, password),
               **kw)
    # Server.start polls /health, which stays open under auth (MLflow's rule too).
    return s.start()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start_auth_server(str(tmp_path_factory.mktemp("auth")))
    yield s
    s.check_clean_exit()


@pytest.fixture(scope="module")
def closed_srv(tmp_path_factory):
    """default_permission = NO_PERMISSIONS: only grants open anything."""
    s = start_auth_server(str(tmp_path_factory.mktemp("auth-closed")), "NO_PERMISSIONS")
    yield s
    s.check_clean_exit()


class As:
    """The client libraries as one user. MLFLOW_TRACKING_USERNAME/PASSWORD are read at each
    call, not when a client is made: every client acts as the last login."""

    def __init__(self, monkeypatch, url):
        self.mp = monkeypatch
        self.url = url

    def __call__(self, user, password):
        self.mp.setenv("MLFLOW_TRACKING_USERNAME", user)
        self.mp.setenv("MLFLOW_TRACKING_PASSWORD", password)
        return MlflowClient(self.url), AuthServiceClient(self.url)


@pytest.fixture
def login(monkeypatch, srv):
    return As(monkeypatch, srv.url)


_n = [0]


def uniq(prefix):
    _n[0] += 1
    return "%s-%d-%d" % (prefix, os.getpid(), _n[0])


def new_user(auth, password="user-password-1"):
    name = uniq("user")
    auth.create_user(name, password)
    return name, password


def status_of(fn):
    """The HTTP status a client call failed with (the message carries it for non-JSON
    answers, the RestException its error code for JSON ones)."""
    with pytest.raises(MlflowException) as ei:
        fn()
    msg = str(ei.value)
    for code in ("401", "403", "404", "400"):
        if "error code %s" % code in msg or "status code %s" % code in msg:
            return int(code)
    return ei.value.get_http_status_code()


# ---- who is asking ---------------------------------------------------------------------------


def test_requests_without_credentials_get_401_with_the_basic_challenge(srv):
    r = requests.get(srv.url + "/api/2.0/mlflow/experiments/search", params={"max_results": 1})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="mlflow"'
    assert "You are not authenticated" in r.text
    r = requests.get(srv.url + "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                     auth=("admin", "not-the-password"))
    assert r.status_code == 401
    r = requests.get(srv.url + "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                     auth=("nobody-at-all", ADMIN_PW))
    assert r.status_code == 401
    # A malformed header is the same as none.
    r = requests.get(srv.url + "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                     headers={"Authorization": "Basic !!!not-base64"})
    assert r.status_code == 401


def test_health_and_server_info_stay_open(srv):
    assert requests.get(srv.url + "/health").status_code == 200
    assert requests.get(srv.url + "/api/3.0/mlflow/server-info").status_code == 200


def test_admin_reads_everything(srv):
    r = requests.get(srv.url + "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                     auth=("admin", ADMIN_PW))
    assert r.status_code == 200, r.text
    assert r.json()["experiment"]["name"] == "Default"


# ---- users --------------------------------------------------------------------------------


def test_admin_manages_users_and_nobody_signs_up(login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    u = admin.get_user(name)
    assert u.username == name and u.is_admin is False
    with pytest.raises(MlflowException, match="already exists"):
        admin.create_user(name, pw)
    with pytest.raises(MlflowException, match="at least 12 characters"):
        admin.create_user(uniq("short"), "short")
    # A plain user can neither create users nor read another's account.
    _, user = login(name, pw)
    assert status_of(lambda: user.create_user(uniq("sneaky"), "sneaky-password-1")) == 403
    assert status_of(lambda: user.get_user("admin")) == 403
    assert user.get_user(name).username == name
    # A user that does not exist is 404 for the admin.
    _, admin = login("admin", ADMIN_PW)
    assert status_of(lambda: admin.get_user(uniq("ghost"))) == 404


def test_current_user_names_the_caller(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    r = requests.get(srv.url + "/api/2.0/mlflow/users/current", auth=(name, pw))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["username"] == name and body["user"]["is_admin"] is False
    assert body["is_basic_auth"] is True


def test_changing_ones_own_password_needs_the_current_one(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    _, me = login(name, pw)
    with pytest.raises(MlflowException, match="Current password is required"):
        me.update_user_password(name, "another-password-2")
    with pytest.raises(MlflowException, match="Current password does not match"):
        me.update_user_password(name, "another-password-2", current_password="wrong-password-9")
    # The old password is in the credential cache now; the change must end it at once.
    url = srv.url + "/api/2.0/mlflow/users/current"
    assert requests.get(url, auth=(name, pw)).status_code == 200
    me.update_user_password(name, "another-password-2", current_password=pw)
    assert requests.get(url, auth=(name, pw)).status_code == 401
    assert requests.get(url, auth=(name, "another-password-2")).status_code == 200
    # Another user's password: only an admin, and without the current one.
    _, admin = login("admin", ADMIN_PW)
    other, opw = new_user(admin)
    _, me = login(name, "another-password-2")
    assert status_of(lambda: me.update_user_password(other, "hijacked-password-1")) == 403
    _, admin = login("admin", ADMIN_PW)
    admin.update_user_password(other, "reset-by-admin-1")
    assert requests.get(url, auth=(other, opw)).status_code == 401
    assert requests.get(url, auth=(other, "reset-by-admin-1")).status_code == 200


def test_deleting_a_user_ends_its_logins_at_once(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    url = srv.url + "/api/2.0/mlflow/users/current"
    assert requests.get(url, auth=(name, pw)).status_code == 200
    admin.delete_user(name)
    assert requests.get(url, auth=(name, pw)).status_code == 401
    with pytest.raises(MlflowException, match="cannot delete their own account"):
        admin.delete_user("admin")


def test_update_admin_makes_an_admin(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    _, user = login(name, pw)
    assert status_of(lambda: user.create_user(uniq("x"), "x-password-1234")) == 403
    _, admin = login("admin", ADMIN_PW)
    admin.update_user_admin(name, True)
    assert admin.get_user(name).is_admin is True
    _, user = login(name, pw)
    user.create_user(uniq("made-by-new-admin"), "x-password-1234")


# ---- permissions on experiments and runs ---------------------------------------------------


def test_creator_gets_manage_and_others_follow_default_read(login):
    _, admin = login("admin", ADMIN_PW)
    alice, apw = new_user(admin)
    bob, bpw = new_user(admin)
    tc, _ = login(alice, apw)
    exp = tc.create_experiment(uniq("alice-exp"))
    run = tc.create_run(exp)
    tc.log_metric(run.info.run_id, "m", 1.0)
    _, admin = login("admin", ADMIN_PW)
    got = admin.get_user_permission(alice, "experiment", exp)
    assert got.permission == "MANAGE"
    # default_permission READ: bob reads, but cannot write.
    tc, _ = login(bob, bpw)
    assert tc.get_experiment(exp).name.startswith("alice-exp")
    assert tc.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    assert tc.get_metric_history(run.info.run_id, "m")[0].value == 1.0
    assert status_of(lambda: tc.create_run(exp)) == 403
    assert status_of(lambda: tc.log_metric(run.info.run_id, "m", 2.0)) == 403
    assert status_of(lambda: tc.delete_experiment(exp)) == 403
    # Alice (MANAGE) delegates EDIT to bob; then bob logs, but still cannot delete.
    _, auth = login(alice, apw)
    auth.grant_user_permission(bob, "experiment", exp, "EDIT")
    tc, _ = login(bob, bpw)
    tc.log_metric(run.info.run_id, "m", 2.0)
    tc.create_run(exp)
    assert status_of(lambda: tc.delete_run(run.info.run_id)) == 403
    # Bob cannot pass on what he does not manage.
    _, bauth = login(bob, bpw)
    assert status_of(lambda: bauth.grant_user_permission(alice, "experiment", exp, "READ")) == 403
    _, auth = login(alice, apw)
    auth.revoke_user_permission(bob, "experiment", exp)
    tc, _ = login(bob, bpw)
    assert status_of(lambda: tc.log_metric(run.info.run_id, "m", 3.0)) == 403
    _, auth = login(alice, apw)
    with pytest.raises(MlflowException, match="not found"):
        auth.revoke_user_permission(bob, "experiment", exp)


def test_grant_validation_messages(login):
    _, admin = login("admin", ADMIN_PW)
    bob, _ = new_user(admin)
    exp_tc, _ = login("admin", ADMIN_PW)
    exp = exp_tc.create_experiment(uniq("validation"))
    with pytest.raises(MlflowException, match="Invalid permission 'OWNER'"):
        admin.grant_user_permission(bob, "experiment", exp, "OWNER")
    with pytest.raises(MlflowException, match="Invalid resource type 'planet'"):
        admin.grant_user_permission(bob, "planet", exp, "READ")
    with pytest.raises(MlflowException, match="supports only wildcard"):
        admin.grant_user_permission(bob, "run", "abc", "READ")
    admin.grant_user_permission(bob, "experiment", exp, "READ")
    with pytest.raises(MlflowException, match="already exists"):
        admin.grant_user_permission(bob, "experiment", exp, "EDIT")


def test_deny_hides_an_experiment_everywhere(login):
    _, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    tag = uniq("deny")
    hidden = tc.create_experiment(tag + "-hidden")
    shown = tc.create_experiment(tag + "-shown")
    hrun = tc.create_run(hidden)
    srun = tc.create_run(shown)
    admin.grant_user_permission(bob, "experiment", hidden, "DENY")
    assert admin.get_user_permission(bob, "experiment", hidden).permission == "DENY"
    tc, _ = login(bob, bpw)
    assert status_of(lambda: tc.get_experiment(hidden)) == 403
    assert status_of(lambda: tc.get_run(hrun.info.run_id)) == 403
    names = [e.name for e in tc.search_experiments(filter_string="name LIKE '%s%%'" % tag)]
    assert names == [tag + "-shown"]
    # Every page, one at a time: the hidden one never shows up.
    seen, token = [], None
    while True:
        page = tc.search_experiments(filter_string="name LIKE '%s%%'" % tag, max_results=1,
                                     page_token=token)
        seen += [e.name for e in page]
        token = page.token
        if not token:
            break
    assert seen == [tag + "-shown"]
    runs = tc.search_runs([hidden, shown])
    assert [r.info.run_id for r in runs] == [srun.info.run_id]


def test_deny_hides_a_registered_model_and_its_versions(login):
    _, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    tag = uniq("rmdeny")
    tc.create_registered_model(tag + "-hidden")
    tc.create_registered_model(tag + "-shown")
    tc.create_model_version(tag + "-hidden", "s3://bucket/a")
    tc.create_model_version(tag + "-shown", "s3://bucket/b")
    admin.grant_user_permission(bob, "registered_model", tag + "-hidden", "DENY")
    tc, _ = login(bob, bpw)
    assert [m.name for m in tc.search_registered_models("name LIKE '%s%%'" % tag)] == [tag + "-shown"]
    assert [v.name for v in tc.search_model_versions("name LIKE '%s%%'" % tag)] == [tag + "-shown"]
    assert status_of(lambda: tc.get_registered_model(tag + "-hidden")) == 403
    assert status_of(lambda: tc.get_model_version(tag + "-hidden", "1")) == 403
    assert tc.get_registered_model(tag + "-shown").name == tag + "-shown"


def test_registered_model_creator_manages_it(login):
    _, admin = login("admin", ADMIN_PW)
    alice, apw = new_user(admin)
    bob, bpw = new_user(admin)
    tc, _ = login(alice, apw)
    name = uniq("alice-model")
    tc.create_registered_model(name)
    tc.create_model_version(name, "s3://bucket/x")
    _, auth = login(alice, apw)
    assert auth.get_user_permission(alice, "registered_model", name).permission == "MANAGE"
    tc, _ = login(bob, bpw)
    assert tc.get_registered_model(name).name == name
    assert status_of(lambda: tc.update_registered_model(name, description="bob was here")) == 403
    assert status_of(lambda: tc.delete_registered_model(name)) == 403
    tc, _ = login(alice, apw)
    tc.delete_registered_model(name)


def test_closed_server_lists_only_what_was_granted(closed_srv, monkeypatch):
    login = As(monkeypatch, closed_srv.url)
    _, admin = login("admin", ADMIN_PW)
    carol, cpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    tag = uniq("closed")
    ids = [tc.create_experiment("%s-%d" % (tag, i)) for i in range(5)]
    admin.grant_user_permission(carol, "experiment", ids[1], "READ")
    admin.grant_user_permission(carol, "experiment", ids[3], "EDIT")
    tc, _ = login(carol, cpw)
    seen, token = [], None
    while True:
        page = tc.search_experiments(filter_string="name LIKE '%s%%'" % tag, max_results=1,
                                     page_token=token)
        seen += [e.experiment_id for e in page]
        token = page.token
        if not token:
            break
    assert sorted(seen) == sorted([ids[1], ids[3]])
    assert status_of(lambda: tc.get_experiment(ids[0])) == 403
    assert tc.get_experiment(ids[1]).experiment_id == ids[1]
    # Nobody without a grant can create a run in an experiment; EDIT can.
    assert status_of(lambda: tc.create_run(ids[1])) == 403
    tc.create_run(ids[3])
    # Creating an experiment needs no grant; its creator manages it.
    own = tc.create_experiment(tag + "-own")
    assert tc.get_experiment(own).name == tag + "-own"


# ---- start-up --------------------------------------------------------------------------------


@pytest.mark.mltrack_only(reason="the exit message is ours; MLflow fails the same way")
def test_refuses_to_start_without_an_admin_password(tmp_path):
    ini = write_ini(str(tmp_path))
    s = Server(str(tmp_path), extra_args=["--app-name", "basic-auth"],
               extra_env=auth_env(ini, password=None))
    with pytest.raises(pytest.fail.Exception):
        s.start()
    assert "needs a password to create the admin user 'admin'" in s.tail()
    assert "MLflow ships no default admin password" in s.tail()


@pytest.mark.mltrack_only(reason="the exit message is ours")
def test_refuses_the_legacy_default_admin_password(tmp_path):
    ini = write_ini(str(tmp_path))
    s = Server(str(tmp_path), extra_args=["--app-name", "basic-auth"],
               extra_env=auth_env(ini, password="password1234"))
    with pytest.raises(pytest.fail.Exception):
        s.start()
    assert "insecure default password" in s.tail()


@pytest.mark.mltrack_only(reason="the exit message is ours")
def test_refuses_an_unreadable_config(tmp_path):
    env = auth_env(os.path.join(str(tmp_path), "missing.ini"))
    s = Server(str(tmp_path), extra_args=["--app-name", "basic-auth"], extra_env=env)
    with pytest.raises(pytest.fail.Exception):
        s.start()
    assert "cannot open the auth configuration" in s.tail()


# ---- the auth database moves between the two servers ------------------------------------


def _interop(tmp_path, first, second):
    work = str(tmp_path)
    s = start_auth_server(work, target=first)
    try:
        mp = pytest.MonkeyPatch()
        try:
            login = As(mp, s.url)
            _, admin = login("admin", ADMIN_PW)
            admin.create_user("interop-user", "interop-password-1")
            tc, _ = login("interop-user", "interop-password-1")
            exp = tc.create_experiment("interop-exp")
        finally:
            mp.undo()
    finally:
        s.check_clean_exit()
    # Same tracking and auth databases, the other server.
    s2 = Server(work, db_path=s.db_path, target=second, extra_args=["--app-name", "basic-auth"],
                extra_env=s.extra_env).start()
    try:
        url = s2.url + "/api/2.0/mlflow/experiments/get"
        r = requests.get(url, params={"experiment_id": exp}, auth=("interop-user", "interop-password-1"))
        assert r.status_code == 200, r.text
        assert requests.get(url, params={"experiment_id": exp},
                            auth=("interop-user", "wrong-password-1")).status_code == 401
        r = requests.get(s2.url + "/api/3.0/mlflow/users/permissions/get",
                         params={"username": "interop-user", "resource_type": "experiment",
                                 "resource_id": exp}, auth=("admin", ADMIN_PW))
        assert r.status_code == 200, r.text
        assert r.json()["permission"] == "MANAGE"
    finally:
        s2.check_clean_exit()


@pytest.mark.mltrack_only(reason="needs the mltrack binary beside mlflow")
@needs_mlflow_auth
def test_mlflow_made_auth_database_works_in_mltrack(tmp_path):
    _interop(tmp_path, "mlflow", "mltrack")


@pytest.mark.mltrack_only(reason="needs the mltrack binary beside mlflow")
@needs_mlflow_auth
def test_mltrack_made_auth_database_works_in_mlflow(tmp_path):
    _interop(tmp_path, "mltrack", "mlflow")


# ---- roles ----------------------------------------------------------------------------------


def test_roles_grant_through_assignment(closed_srv, monkeypatch):
    login = As(monkeypatch, closed_srv.url)
    tc, admin = login("admin", ADMIN_PW)
    dave, dpw = new_user(admin)
    exp = tc.create_experiment(uniq("role-exp"))
    role = admin.create_role("default", uniq("readers"), description="read one experiment")
    assert role.workspace == "default" and role.permissions == []
    rp = admin.add_role_permission(role.id, "experiment", exp, "READ")
    assert (rp.role_id, rp.resource_type, rp.resource_pattern, rp.permission) == (
        role.id, "experiment", exp, "READ")
    assert [p.id for p in admin.list_role_permissions(role.id)] == [rp.id]
    with pytest.raises(MlflowException, match="already exists"):
        admin.add_role_permission(role.id, "experiment", exp, "EDIT")
    with pytest.raises(MlflowException, match="reserved '__user_' prefix"):
        admin.create_role("default", "__user_99__")
    # Not yet assigned: the closed server's default denies.
    tc, _ = login(dave, dpw)
    assert status_of(lambda: tc.get_experiment(exp)) == 403
    _, admin = login("admin", ADMIN_PW)
    a = admin.assign_role(dave, role.id)
    assert a.role_id == role.id
    assert [x.user_id for x in admin.list_role_users(role.id)] == [a.user_id]
    assert role.id in [r.id for r in admin.list_user_roles(dave)]
    tc, dauth = login(dave, dpw)
    assert tc.get_experiment(exp).experiment_id == exp
    assert [r.id for r in dauth.list_user_roles(dave)] == [role.id]
    # Only admins manage roles.
    assert status_of(lambda: dauth.create_role("default", uniq("mine"))) == 403
    # A DENY on the role wins over the READ.
    _, admin = login("admin", ADMIN_PW)
    admin.update_role_permission(rp.id, "DENY")
    tc, _ = login(dave, dpw)
    assert status_of(lambda: tc.get_experiment(exp)) == 403
    _, admin = login("admin", ADMIN_PW)
    renamed = admin.update_role(role.id, name=role.name + "-x")
    assert renamed.name == role.name + "-x"
    admin.unassign_role(dave, role.id)
    with pytest.raises(MlflowException, match="not found"):
        admin.unassign_role(dave, role.id)
    admin.delete_role(role.id)
    assert status_of(lambda: admin.get_role(role.id)) == 404


# ---- ours: API tokens and the audit log ---------------------------------------------------


@pytest.mark.mltrack_only(reason="API tokens are mltrack's (issue 11), not MLflow's")
def test_api_tokens_act_as_their_user_until_revoked(srv, login, monkeypatch):
    _, admin = login("admin", ADMIN_PW)
    ci, cpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    exp = tc.create_experiment(uniq("ci-exp"))
    admin.grant_user_permission(ci, "experiment", exp, "EDIT")
    base = srv.url + "/api/2.0/mltrack/tokens/"
    r = requests.post(base + "create", json={"name": "ci", "expires_in_days": 30}, auth=(ci, cpw))
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token"].startswith("mlt_") and tok["id"] and tok["expires_at"] > 0
    # The mlflow client with MLFLOW_TRACKING_TOKEN (Authorization: Bearer).
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", tok["token"])
    tc = MlflowClient(srv.url)
    run = tc.create_run(exp)
    tc.log_metric(run.info.run_id, "loss", 0.5)
    assert status_of(lambda: tc.delete_experiment(exp)) == 403  # the user's own permissions
    r = requests.get(srv.url + "/api/2.0/mlflow/users/current",
                     headers={"Authorization": "Bearer " + tok["token"]})
    assert r.json()["user"]["username"] == ci
    # Listed without the secret; revoked, it is 401 on the next request.
    r = requests.get(base + "list", auth=(ci, cpw))
    listed = [t for t in r.json()["tokens"] if t["id"] == tok["id"]]
    assert listed and "token" not in listed[0] and listed[0]["revoked_at"] is None
    r = requests.post(base + "revoke", json={"id": tok["id"]}, auth=("admin", ADMIN_PW))
    assert r.status_code == 200, r.text
    assert status_of(lambda: tc.get_run(run.info.run_id)) == 401
    r = requests.post(base + "revoke", json={"token": tok["token"]}, auth=(ci, cpw))
    assert r.status_code == 404
    # A made-up token is 401, not a crash.
    r = requests.get(srv.url + "/api/2.0/mlflow/users/current",
                     headers={"Authorization": "Bearer mlt_" + "0" * 64})
    assert r.status_code == 401
    r = requests.post(base + "create", json={"name": "x", "expires_in_days": -1}, auth=(ci, cpw))
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.mltrack_only(reason="the audit log is mltrack's (issue 11)")
def test_changes_are_in_the_audit_log_for_admins(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    exp = tc.create_experiment(uniq("audited"))
    _, admin = login("admin", ADMIN_PW)
    admin.grant_user_permission(name, "experiment", exp, "READ")
    admin.delete_user(name)
    url = srv.url + "/api/2.0/mltrack/auth/audit"
    assert requests.get(url, auth=(name, pw)).status_code == 401
    r = requests.get(url, params={"max_results": 1000}, auth=("admin", ADMIN_PW))
    assert r.status_code == 200, r.text
    mine = [(e["actor"], e["action"], e["target"], e["detail"]) for e in r.json()["events"]
            if name in (e["target"] or "")]
    assert mine == [
        ("admin", "user_delete", name, None),
        ("admin", "grant", "experiment %s: %s" % (exp, name), "READ"),
        ("admin", "user_create", name, None),
    ]
    # Paging walks back through everything, one event at a time.
    first = requests.get(url, params={"max_results": 1}, auth=("admin", ADMIN_PW)).json()
    assert len(first["events"]) == 1
    second = requests.get(url, params={"max_results": 1, "page_token": first["next_page_token"]},
                          auth=("admin", ADMIN_PW)).json()
    assert second["events"][0]["id"] < first["events"][0]["id"]
    _, admin = login("admin", ADMIN_PW)
    plain, ppw = new_user(admin)
    assert requests.get(url, auth=(plain, ppw)).status_code == 403


@pytest.mark.mltrack_only(reason="login throttling is mltrack's (issue 11); MLflow has none")
def test_failed_logins_are_throttled_with_retry_after(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    url = srv.url + "/api/2.0/mlflow/users/current"
    for _ in range(5):
        assert requests.get(url, auth=(name, "wrong-password-0")).status_code == 401
    r = requests.get(url, auth=(name, pw))  # even the right password waits now
    assert r.status_code == 429
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 60
    time.sleep(wait)
    assert requests.get(url, auth=(name, pw)).status_code == 200
    # A success clears the count: the next mistake is a plain 401.
    assert requests.get(url, auth=(name, "wrong-password-0")).status_code == 401
    # Other users are not affected.
    _, admin = login("admin", ADMIN_PW)
    other, opw = new_user(admin)
    assert requests.get(url, auth=(other, opw)).status_code == 200


@pytest.mark.mltrack_only(reason="trusted-proxy SSO is mltrack's (issue 11)")
def test_trusted_proxy_names_the_user_and_only_from_its_address(tmp_path):
    ini = write_ini(str(tmp_path))
    flags = ["--app-name", "basic-auth", "--auth-proxy-header", "X-Forwarded-User"]
    s = Server(str(tmp_path), extra_args=flags + ["--auth-trusted-proxies", "127.0.0.1,::1"],
               extra_env=auth_env(ini)).start()
    try:
        url = s.url + "/api/2.0/mlflow/users/current"
        r = requests.get(url, headers={"X-Forwarded-User": "sso-person@example.com"})
        assert r.status_code == 200, r.text
        assert r.json()["user"]["username"] == "sso-person@example.com"
        assert r.json()["user"]["is_admin"] is False
        # The provisioned user follows default_permission and cannot manage users.
        r = requests.post(s.url + "/api/2.0/mlflow/users/create",
                          json={"username": "x-user", "password": "x-password-1234"},
                          headers={"X-Forwarded-User": "sso-person@example.com"})
        assert r.status_code == 403
        # Without the header, credentials as usual.
        assert requests.get(url).status_code == 401
        assert requests.get(url, auth=("admin", ADMIN_PW)).json()["user"]["username"] == "admin"
    finally:
        s.check_clean_exit()
    # Proxies elsewhere: the same header from here is ignored.
    s = Server(str(tmp_path), db_path=s.db_path,
               extra_args=flags + ["--auth-trusted-proxies", "192.0.2.1"],
               extra_env=auth_env(ini)).start()
    try:
        r = requests.get(s.url + "/api/2.0/mlflow/users/current",
                         headers={"X-Forwarded-User": "admin"})
        assert r.status_code == 401
    finally:
        s.check_clean_exit()


# ---- the auth database on PostgreSQL -------------------------------------------------------


def write_pg_ini(workdir, uri):
    path = os.path.join(workdir, "auth-pg.ini")
    with open(path, "w") as f:
        f.write("[mlflow]\ndefault_permission = READ\ndatabase_uri = %s\nadmin_username = admin\n"
                % uri.replace("postgresql://", "postgresql+psycopg2://"))
    return path


def test_auth_database_on_postgresql(tmp_path, pg, monkeypatch):
    ini = write_pg_ini(str(tmp_path), pg.create_database())
    s = Server(str(tmp_path), extra_args=["--app-name", "basic-auth"],
               extra_env=auth_env(ini)).start()
    try:
        login = As(monkeypatch, s.url)
        _, admin = login("admin", ADMIN_PW)
        name, pw = new_user(admin)
        tc, _ = login("admin", ADMIN_PW)
        hidden = tc.create_experiment(uniq("pg-hidden"))
        _, admin = login("admin", ADMIN_PW)
        admin.grant_user_permission(name, "experiment", hidden, "DENY")
        assert admin.get_user_permission(name, "experiment", hidden).permission == "DENY"
        role = admin.create_role("default", uniq("pg-role"))
        admin.add_role_permission(role.id, "experiment", hidden, "READ")
        admin.assign_role(name, role.id)
        tc, me = login(name, pw)
        assert status_of(lambda: tc.get_experiment(hidden)) == 403  # DENY beats the role
        assert hidden not in [e.experiment_id for e in tc.search_experiments()]
        own = tc.create_experiment(uniq("pg-own"))
        assert me.get_user_permission(name, "experiment", own).permission == "MANAGE"
        me.update_user_password(name, "changed-password-1", current_password=pw)
        url = s.url + "/api/2.0/mlflow/users/current"
        assert requests.get(url, auth=(name, pw)).status_code == 401
        assert requests.get(url, auth=(name, "changed-password-1")).status_code == 200
        _, admin = login("admin", ADMIN_PW)
        admin.delete_user(name)
        assert requests.get(url, auth=(name, "changed-password-1")).status_code == 401
    finally:
        s.check_clean_exit()


@pytest.mark.mltrack_only(reason="needs the mltrack binary beside mlflow")
@needs_mlflow_auth
def test_postgresql_auth_database_moves_between_mlflow_and_mltrack(tmp_path, pg):
    ini = write_pg_ini(str(tmp_path), pg.create_database())
    env = auth_env(ini)
    work = str(tmp_path)
    first = Server(work, target="mlflow", extra_args=["--app-name", "basic-auth"],
                   extra_env=env).start()
    try:
        r = requests.post(first.url + "/api/2.0/mlflow/users/create",
                          json={"username": "pg-user", "password": "pg-password-123"},
                          auth=("admin", ADMIN_PW))
        assert r.status_code == 200, r.text
    finally:
        first.stop()
    second = Server(work, db_path=first.db_path, extra_args=["--app-name", "basic-auth"],
                    extra_env=env).start()
    try:
        url = second.url + "/api/2.0/mlflow/users/current"
        assert requests.get(url, auth=("pg-user", "pg-password-123")).status_code == 200
        r = requests.post(second.url + "/api/2.0/mlflow/users/create",
                          json={"username": "pg-user-2", "password": "pg-password-456"},
                          auth=("admin", ADMIN_PW))
        assert r.status_code == 200, r.text
    finally:
        second.check_clean_exit()
    third = Server(work, db_path=first.db_path, target="mlflow",
                   extra_args=["--app-name", "basic-auth"], extra_env=env).start()
    try:
        url = third.url + "/api/2.0/mlflow/users/current"
        assert requests.get(url, auth=("pg-user-2", "pg-password-456")).status_code == 200
    finally:
        third.stop()


# ---- every kind of route is guarded -------------------------------------------------------


def test_deny_covers_artifacts_logged_models_and_histories(srv, login, tmp_path):
    _, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    exp = tc.create_experiment(uniq("guarded"))
    open_exp = tc.create_experiment(uniq("open"))
    run = tc.create_run(exp)
    rid = run.info.run_id
    tc.log_metric(rid, "m", 1.0)
    f = tmp_path / "a.txt"
    f.write_text("secret")
    tc.log_artifact(rid, str(f))
    lm = tc.create_logged_model(exp, name="guarded-model")
    lm_open = tc.create_logged_model(open_exp, name="open-model")
    _, admin = login("admin", ADMIN_PW)
    admin.grant_user_permission(bob, "experiment", exp, "DENY")
    a = (bob, bpw)
    api, ajax = srv.url + "/api/2.0/mlflow/", srv.url + "/ajax-api/2.0/mlflow/"
    checks = [
        requests.get(api + "runs/get", params={"run_id": rid}, auth=a),
        requests.get(api + "metrics/get-history", params={"run_id": rid, "metric_key": "m"}, auth=a),
        requests.get(ajax + "metrics/get-history-bulk", params={"run_id": rid, "metric_key": "m"},
                     auth=a),
        requests.get(ajax + "metrics/get-history-bulk-interval",
                     params={"run_ids": rid, "metric_key": "m"}, auth=a),
        requests.get(api + "artifacts/list", params={"run_id": rid}, auth=a),
        requests.get(srv.url + "/get-artifact", params={"run_uuid": rid, "path": "a.txt"}, auth=a),
        requests.get(srv.url + "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/a.txt"
                     % (exp, rid), auth=a),
        requests.put(srv.url + "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/b.txt"
                     % (exp, rid), data=b"x", auth=a),
        requests.get(api + "logged-models/" + lm.model_id, auth=a),
        requests.post(api + "runs/log-metric", json={"run_id": rid, "key": "m", "value": 2,
                                                     "timestamp": 1}, auth=a),
    ]
    assert [r.status_code for r in checks] == [403] * len(checks), [c.text[:80] for c in checks]
    # Listings leave the denied experiment's things out.
    tc, _ = login(bob, bpw)
    found = tc.search_logged_models(experiment_ids=[exp, open_exp])
    assert [m.model_id for m in found] == [lm_open.model_id]
    assert tc.search_runs([exp]) == []


@pytest.mark.mltrack_only(reason="downsampled series and the registry audit log are mltrack's")
def test_our_routes_are_guarded_too(srv, login):
    _, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    exp = tc.create_experiment(uniq("ours"))
    rid = tc.create_run(exp).info.run_id
    tc.log_metric(rid, "m", 1.0)
    _, admin = login("admin", ADMIN_PW)
    admin.grant_user_permission(bob, "experiment", exp, "DENY")
    r = requests.get(srv.url + "/api/2.0/mltrack/metrics/downsample",
                     params={"run_id": rid, "metric_key": "m"}, auth=(bob, bpw))
    assert r.status_code == 403
    r = requests.get(srv.url + "/api/2.0/mltrack/metrics/downsample",
                     params={"run_id": rid, "metric_key": "m"}, auth=("admin", ADMIN_PW))
    assert r.status_code == 200, r.text
    assert requests.get(srv.url + "/api/2.0/mltrack/registry/audit",
                        auth=(bob, bpw)).status_code == 403


@pytest.mark.mltrack_only(reason="the UI's upload route is checked on the run it writes to")
def test_upload_checks_the_run_it_writes_to(srv, login):
    _, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    theirs = tc.create_run(tc.create_experiment(uniq("theirs"))).info.run_id
    tc, _ = login(bob, bpw)
    mine = tc.create_run(tc.create_experiment(uniq("mine"))).info.run_id
    url = srv.url + "/ajax-api/2.0/mlflow/upload-artifact"
    # run_id names bob's run, run_uuid (what the upload uses) someone else's.
    r = requests.post(url, params={"run_id": mine, "run_uuid": theirs, "path": "x.txt"},
                      data=b"x", auth=(bob, bpw))
    assert r.status_code == 403
    r = requests.post(url, params={"run_uuid": mine, "path": "x.txt"}, data=b"x", auth=(bob, bpw))
    assert r.status_code == 200, r.text


@pytest.mark.mltrack_only(reason="MLflow checks the id as written: '0<id>' side-steps a DENY there")
def test_another_spelling_of_an_experiment_id_does_not_side_step_a_deny(srv, login):
    _, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    tc, _ = login("admin", ADMIN_PW)
    exp = tc.create_experiment(uniq("spelled"))
    _, admin = login("admin", ADMIN_PW)
    admin.grant_user_permission(bob, "experiment", exp, "DENY")
    for spelling in (exp, "0" + exp, "00" + exp):
        r = requests.get(srv.url + "/api/2.0/mlflow/experiments/get",
                         params={"experiment_id": spelling}, auth=(bob, bpw))
        assert r.status_code == 403, (spelling, r.text)
    r = requests.post(srv.url + "/api/2.0/mlflow/runs/search",
                      json={"experiment_ids": ["0" + exp]}, auth=(bob, bpw))
    assert r.status_code == 200 and r.json().get("runs", []) == []


def test_a_workspace_admin_manages_resources_but_not_admins(closed_srv, monkeypatch):
    login = As(monkeypatch, closed_srv.url)
    tc, admin = login("admin", ADMIN_PW)
    wsa, wpw = new_user(admin)
    exp = tc.create_experiment(uniq("ws-owned-by-admin"))
    role = admin.create_role("default", uniq("ws-admins"))
    admin.add_role_permission(role.id, "workspace", "*", "MANAGE")
    admin.assign_role(wsa, role.id)
    tc, me = login(wsa, wpw)
    assert tc.get_experiment(exp).experiment_id == exp  # MANAGE everywhere, on a closed server
    assert exp in [e.experiment_id for e in tc.search_experiments()]
    tc.delete_experiment(exp)
    me.create_user(uniq("made-by-ws-admin"), "ws-made-password-1")
    assert status_of(lambda: me.update_user_admin(wsa, True)) == 403
    assert status_of(lambda: me.delete_user("admin")) == 403


@pytest.mark.mltrack_only(reason="auth/whoami is ours, for the UI")
def test_whoami_tells_the_ui_who_is_signed_in(srv, server):
    r = requests.get(srv.url + "/api/2.0/mltrack/auth/whoami", auth=("admin", ADMIN_PW))
    assert r.json() == {"auth": True, "user": {"id": 1, "username": "admin", "is_admin": True}}
    assert requests.get(srv.url + "/api/2.0/mltrack/auth/whoami").status_code == 401
    # A server without auth says so, instead of a 404 the browser would log.
    assert requests.get(server.url + "/api/2.0/mltrack/auth/whoami").json() == {"auth": False}


@pytest.mark.mltrack_only(reason="API tokens are mltrack's")
def test_a_deleted_users_tokens_do_not_pass_to_the_next_user(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    tok = requests.post(srv.url + "/api/2.0/mltrack/tokens/create", json={"name": "t"},
                        auth=(name, pw)).json()["token"]
    admin.delete_user(name)
    # SQLite hands the highest id out again: the next user may get the deleted one's id.
    admin.create_user(uniq("next"), "next-password-123")
    r = requests.get(srv.url + "/api/2.0/mltrack/auth/whoami",
                     headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 401


def test_who_is_asking_comes_before_anything_else(srv):
    # Malformed JSON, a wrong content type: without credentials the answer is still 401.
    r = requests.post(srv.url + "/api/2.0/mlflow/experiments/create", data="{not json",
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 401
    r = requests.post(srv.url + "/api/2.0/mlflow/runs/create", data="x",
                      headers={"Content-Type": "text/plain"})
    assert r.status_code == 401
    # Signed in, bad input gets MLflow's error shape.
    r = requests.post(srv.url + "/api/2.0/mlflow/experiments/create", data="{not json",
                      headers={"Content-Type": "application/json"}, auth=("admin", ADMIN_PW))
    assert r.status_code == 400 and r.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST")


def test_users_list_shows_roles_as_mlflow_scopes_them(srv, login):
    _, admin = login("admin", ADMIN_PW)
    name, pw = new_user(admin)
    other, opw = new_user(admin)
    role = admin.create_role("default", uniq("listed"))
    admin.assign_role(name, role.id)
    admin.assign_role(other, role.id)
    url = srv.url + "/api/2.0/mlflow/users/list"
    by_admin = {u["username"]: u for u in requests.get(url, auth=("admin", ADMIN_PW)).json()["users"]}
    assert role.id in [r["id"] for r in by_admin[name]["roles"]]
    assert role.id in [r["id"] for r in by_admin[other]["roles"]]
    by_user = {u["username"]: u for u in requests.get(url, auth=(name, pw)).json()["users"]}
    assert role.id in [r["id"] for r in by_user[name]["roles"]]  # its own
    assert by_user[other]["roles"] == []  # not another's
    assert "password_hash" not in by_user[name]
