"""Access on the server: sign-in, sessions, CSRF, and role and scope checks on pages, callbacks and routes.

Everything goes through the real app (:func:`dashboard.app.create_app`) and the Flask test client, on a
SQLite store seeded with the demo city and its demo accounts: a request is refused by the server itself,
whatever a page shows or hides.
"""

from __future__ import annotations

import json
import re

import flask
import pandas as pd
import pytest
import sqlalchemy as sa

from cases.permissions import Actor
from cases.states import Role
from dashboard import access
from store import accounts

ACCOUNTS_CALL = {
    "output": "acc-table.children",
    "outputs": {"id": "acc-table", "property": "children"},
    "inputs": [{"id": "acc-role", "property": "value", "value": None},
               {"id": "lang", "property": "data", "value": "en"}],
    "changedPropIds": ["acc-role.value"],
    "state": [],
}
CLICK_CALL = {
    "output": "..jur-panel.children...jur-selection.data..",
    "outputs": [{"id": "jur-panel", "property": "children"}, {"id": "jur-selection", "property": "data"}],
    "inputs": [{"id": "jur-map", "property": "clickData", "value": {"latlng": {"lat": 24.73, "lng": 118.15}}},
               {"id": "lang", "property": "data", "value": "zh"}],
    "changedPropIds": ["jur-map.clickData"],
    "state": [],
}


def _click_call(dashboard_app) -> dict:
    """The body dash-renderer posts for a click on the jurisdiction map (its outputs read from the app)."""
    dashboard_app.server.test_client().get("/login")  # the first request sets the app's callbacks up
    for key, spec in dashboard_app.callback_map.items():
        if "jur-map.clickData" in {f"{i['id']}.{i['property']}" for i in spec["inputs"]}:
            outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in re.findall(r"([\w-]+\.\w+)", key)]
            return {**CLICK_CALL, "output": key, "outputs": outputs if len(outputs) > 1 else outputs[0]}
    raise AssertionError("the jurisdiction page has no click callback")


# --------------------------------------------------------------------------------------- sign in


def test_anonymous_visitors_are_sent_to_the_login_page(sign_in) -> None:
    client = sign_in(None)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/"
    response = client.get("/accounts?x=1")
    assert response.headers["Location"] == "/login?next=/accounts%3Fx%3D1"
    page = client.get("/login")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "用户名" in text and "Username" in text and 'name="csrf_token"' in text
    assert client.get("/assets/theme.css").status_code == 200  # the login page may be styled
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 403, path


def test_signing_in_sets_a_httponly_lax_session_and_a_csrf_cookie(dashboard_app) -> None:
    client = dashboard_app.server.test_client()
    page = client.get("/login?next=/accounts").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "admin", "password": "demo", "csrf_token": token,
                                           "next": "/accounts"})
    assert response.status_code == 302 and response.headers["Location"] == "/accounts"
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    session = cookies["cc_session"]
    assert "HttpOnly" in session and "SameSite=Lax" in session
    csrf = cookies["_csrf_token"]
    assert "HttpOnly" not in csrf and "SameSite=Lax" in csrf  # dash-renderer must read it
    assert client.get_cookie("_csrf_token").value != token  # a fresh token once signed in
    assert client.get("/accounts").status_code == 200
    last = accounts.get_account(dashboard_app.server.config["COMMAND_CENTER_RUNTIME"].store, "admin")["last_login_at"]
    assert last is not None


def test_wrong_password_unknown_user_and_missing_csrf_are_refused(sign_in, dashboard_app) -> None:
    client = dashboard_app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for username, password in (("operator", "wrong"), ("nobody", "demo")):
        response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        assert response.status_code == 401
        assert "用户名或密码不正确" in response.get_data(as_text=True)
        assert client.get_cookie("cc_session") is not None and client.get("/").status_code == 302
    # the login form itself needs the token (login CSRF)
    response = client.post("/login", data={"username": "operator", "password": "demo"})
    assert response.status_code == 403
    assert client.get("/").status_code == 302


def test_open_redirects_are_not_followed(dashboard_app) -> None:
    client = dashboard_app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "leader", "password": "demo", "csrf_token": token,
                                           "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(sign_in) -> None:
    client = sign_in("leader")
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 403  # no CSRF token: not even a sign-out
    response = client.post("/logout", data={"csrf_token": client.csrf})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert client.get("/_dash-layout").status_code == 403


def test_a_password_change_or_deactivation_ends_existing_sessions(sign_in, dashboard_runtime) -> None:
    store = dashboard_runtime.store
    accounts.create_account(store, "temp.operator", "first-password", "operator")
    client = sign_in("temp.operator", "first-password")
    assert client.get("/_dash-layout").status_code == 200
    accounts.set_password(store, "temp.operator", "second-password")
    access.forget_cached_accounts()
    assert client.get("/_dash-layout").status_code == 403
    client = sign_in("temp.operator", "second-password")
    assert client.get("/_dash-layout").status_code == 200
    accounts.set_active(store, "temp.operator", False)
    access.forget_cached_accounts()
    assert client.get("/_dash-layout").status_code == 403
    assert sign_in(None).post("/login").status_code == 403


# ------------------------------------------------------------------------------------- callbacks


def test_a_callback_called_directly_without_a_session_is_refused(sign_in, dashboard_app) -> None:
    anonymous = sign_in(None)
    anonymous.get("/login")  # an anonymous session with a CSRF token: the token alone is not enough
    assert anonymous.callback(_click_call(dashboard_app)).status_code == 403
    assert anonymous.callback(ACCOUNTS_CALL).status_code == 403


def test_a_callback_called_without_the_csrf_header_is_refused(sign_in, dashboard_app) -> None:
    client = sign_in("operator")
    assert client.callback(_click_call(dashboard_app), csrf=False).status_code == 403
    response = client.post("/_dash-update-component", json=_click_call(dashboard_app),
                           headers={"X-CSRFToken": "forged"})
    assert response.status_code == 403
    response = client.callback(_click_call(dashboard_app))
    assert response.status_code == 200
    assert "jur-panel" in response.get_data(as_text=True)


def test_a_callback_called_with_a_role_it_does_not_allow_is_refused(sign_in) -> None:
    for who in ("operator", "leader", "officer", "scheduler"):
        response = sign_in(who).callback(ACCOUNTS_CALL)
        assert response.status_code == 403, who
        assert "operator_town" not in response.get_data(as_text=True)  # no account leaked
    response = sign_in("admin").callback(ACCOUNTS_CALL)
    assert response.status_code == 200
    body = json.dumps(response.get_json(), ensure_ascii=False)
    assert "operator_town" in body and "team_leader" in body and "password" not in body


def test_a_page_the_role_may_not_open_is_refused_on_the_server_and_hidden(sign_in) -> None:
    leader = sign_in("leader")
    response = leader.get("/accounts")
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)
    header = json.dumps(leader.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "/accounts" not in header and "退出" in header
    # the page content callback (in-app navigation) gives the refusal layout, not the page
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/accounts"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    content = json.dumps(leader.callback(body).get_json(), ensure_ascii=False)
    assert "无权访问" in content and "acc-table" not in content
    admin = sign_in("admin")
    assert "/accounts" in json.dumps(admin.get("/_dash-layout").get_json())
    assert "acc-table" in json.dumps(admin.callback(body).get_json())


# ------------------------------------------------------------------------------------ unit checks


def test_check_and_require_need_a_session_and_the_role(dashboard_app) -> None:
    @access.require(Role.OPERATOR, Role.ADMIN)
    def guarded(x: int) -> int:
        return x + 1

    assert guarded.allowed_roles == {Role.OPERATOR, Role.ADMIN} and guarded.__name__ == "guarded"
    with dashboard_app.server.test_request_context("/"):
        assert access.current_actor() is None
        with pytest.raises(access.NotSignedIn) as refused:
            guarded(1)
        assert refused.value.code == 403
    with dashboard_app.server.test_request_context("/"):
        flask.g.cc_actor = Actor("someone", Role.LEADER)
        with pytest.raises(access.NotAllowed):
            guarded(1)
        assert access.check().id == "someone"  # no roles: anyone signed in
    with dashboard_app.server.test_request_context("/"):
        flask.g.cc_actor = Actor("op", Role.OPERATOR)
        assert guarded(1) == 2
    assert access.current_actor() is None  # outside a request


def test_the_township_scope_of_selects_and_frames() -> None:
    district = Actor("op", Role.OPERATOR)
    town = Actor("op-wx", Role.OPERATOR, township_code="350212110")
    assert access.in_scope(district, "350212001") and access.in_scope(district, None)
    assert access.in_scope(town, "350212110") and not access.in_scope(town, "350212001")
    assert not access.in_scope(None, "350212110")
    with pytest.raises(access.NotAllowed):
        access.check_scope(town, "350212001")

    frame = pd.DataFrame({"code": ["a", "b", "c"], "township_code": ["350212110", "350212001", "350212110"]})
    assert list(access.scoped(town, frame)["code"]) == ["a", "c"]
    assert list(access.scoped(district, frame)["code"]) == ["a", "b", "c"]
    assert access.scoped(None, frame).empty

    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("code", sa.String), sa.Column("township_code", sa.String))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), frame.to_dict("records"))
        rows = lambda q: sorted(conn.execute(q).scalars())  # noqa: E731
        select = sa.select(table.c.code)
        assert rows(access.scoped(town, select, table.c.township_code)) == ["a", "c"]
        assert rows(access.scoped(district, select, table.c.township_code)) == ["a", "b", "c"]
        assert rows(access.scoped(None, select, table.c.township_code)) == []
        assert rows(access.scoped(town, sa.select(table.c.code, table.c.township_code).with_only_columns(
            table.c.code), table.c.township_code)) == ["a", "c"]


def test_personal_data_is_masked_except_for_those_who_call_back() -> None:
    shown = {role: access.may_see_personal_data(Actor("x", role, teams={"T1"}, department="公安"))
             for role in Role if role is not Role.SYSTEM}
    assert {role for role, yes in shown.items() if yes} == {Role.OPERATOR, Role.ADMIN}
    assert not access.may_see_personal_data(None)
    text = "张三丰反映：请回电13812345678"
    assert access.reporter_view(Actor("op", Role.OPERATOR), "张三丰", "13812345678", text) == \
        ("张三丰", "13812345678", text)
    assert access.reporter_view(Actor("boss", Role.LEADER), "张三丰", "13812345678", text) == \
        ("张**", "138****5678", "张**反映：请回电138****5678")


def test_the_session_key_is_kept_beside_the_store_and_the_environment_overrides_it(tmp_path, monkeypatch) -> None:
    from dashboard import secret
    from store import open_store

    monkeypatch.delenv("SECRET_KEY", raising=False)
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'store.sqlite'}")
    first = secret.secret_key(store)
    path = tmp_path / "data" / "secret_key"
    assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600" and len(first) >= 40
    assert secret.secret_key(store) == first  # a restart signs with the same key: sessions survive
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert secret.secret_key(store) == "from-the-environment"


def test_too_many_wrong_passwords_lock_the_name_out_for_a_while(dashboard_app, dashboard_runtime) -> None:
    accounts.create_account(dashboard_runtime.store, "lockout.probe", "the-right-password", "supervisor")
    client = dashboard_app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    statuses = [client.post("/login", data={"username": "lockout.probe", "password": f"guess-{i}",
                                             "csrf_token": token}).status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    locked = client.post("/login", data={"username": "lockout.probe", "password": "the-right-password",
                                         "csrf_token": token})
    assert locked.status_code == 429  # even the right password, until the lock-out ends
