"""The case pages' callbacks called directly, as a browser (or anyone with a session) could: the queue and a
case answer only within the caller's role and township, personal data is masked for roles that do not call
back, and a step goes through the case service with its refusals and conflicts shown as they are.

The cases live in the test session's dashboard store (shared with other dashboard tests): they are opened
in January 2020 — outside any "today" — and left closed (rejected and archived) at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from cases.permissions import Actor
from cases.states import Role
from store import accounts
from store.casework import CaseService
from store.models import Report

T0 = datetime(2020, 1, 6, 2, 0, tzinfo=UTC)
DISTRICT_OPERATOR = Actor("operator", Role.OPERATOR)


@pytest.fixture(scope="module")
def two_cases(dashboard_app, dashboard_runtime) -> Iterator[dict[str, Any]]:
    """Case A in the township of the demo township users (with a report naming its reporter), case B in
    another township; both closed again afterwards."""
    store = dashboard_runtime.store
    service = CaseService(store)
    town = accounts.get_account(store, "operator_town")["township_code"]
    other = next(code for code in store.townships()["code"] if code != town)
    with store.transaction(write=True) as conn:
        report = conn.execute(sa.insert(Report.__table__).values(
            channel="12345", external_id="CASES-ACCESS-1", received_at=T0, description="噪音扰民，请回电13812345678",
            reporter_name="张三丰", reporter_phone="13812345678", township_code=town, geom=Point(118.15, 24.73),
            min_lon=118.15, min_lat=24.73, max_lon=118.15, max_lat=24.73,
        ).returning(Report.__table__.c.id)).scalar_one()
    a = service.open_case(DISTRICT_OPERATOR, {"case_code": "AJ-ACCESS-A", "township_code": town, "priority": 3,
                                              "item_code": "ZF001"}, T0, channel="12345",
                          location=Point(118.15, 24.73), report_ids=[report], description="噪音扰民，请回电13812345678")
    b = service.open_case(DISTRICT_OPERATOR, {"case_code": "AJ-ACCESS-B", "township_code": other, "priority": 3,
                                              "item_code": "ZF001"}, T0 + timedelta(minutes=5), channel="12319")
    yield {"a": a.case_id, "b": b.case_id, "town": town, "other": other, "service": service}
    for case_id in (a.case_id, b.case_id):  # leave nothing open behind
        state = service.state(case_id)
        at = max(state.updated_at, T0) + timedelta(hours=1)
        if state.status.value == "reported":
            state = service.act(case_id, "reject", DISTRICT_OPERATOR, {"reject_reason": "invalid"}, at).state
        if state.status.value == "rejected":
            service.act(case_id, "archive", DISTRICT_OPERATOR, {}, at + timedelta(minutes=1))


# ------------------------------------------------------------------------------------ calling Dash


def call(app: Any, output: str, values: dict[str, Any], changed: str) -> dict[str, Any]:
    """The body dash-renderer posts for the callback whose output key contains ``output``: each input and
    state ``id.property`` takes its value from ``values`` (None when absent; pattern-matching ones a list)."""
    app.server.test_client().get("/login")  # the first request sets the app's callbacks up
    key, spec = next((k, s) for k, s in app.callback_map.items() if output in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in (key.strip(".").split("...") if key.startswith("..") else [key])]

    def entries(items: list[dict]) -> list[Any]:
        result = []
        for item in items:
            name = f"{item['id']}.{item['property']}"
            value = values.get(name)
            if item["id"].startswith("{"):  # pattern-matching: a list of concrete components
                result.append(value or [])
            else:
                result.append({"id": item["id"], "property": item["property"], "value": value})
        return result

    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": entries(spec["inputs"]), "state": entries(spec["state"]), "changedPropIds": [changed]}


def rows_call(app: Any, **filters: Any) -> dict[str, Any]:
    values = {"cases-grid.getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": []},
              "cases-status.value": "all", "cases-text.value": "AJ-ACCESS", "lang.data": "zh"}
    values.update({f"cases-{name}.value": value for name, value in filters.items()})
    return call(app, "cases-grid.getRowsResponse", values, "cases-grid.getRowsRequest")


def show_call(app: Any, case_id: Any, lang: str = "zh") -> dict[str, Any]:
    return call(app, "case-head.children", {"case-refresh.data": 0, "lang.data": lang, "case-id.data": case_id},
                "lang.data")


def act_call(app: Any, case_id: Any, action: str | None, params: dict[str, Any], version: int,
             trigger: str = "case-submit") -> dict[str, Any]:
    fields = [{"id": {"type": "case-param", "name": name}, "property": "value", "value": value}
              for name, value in params.items()]
    ids = [{"id": item["id"], "property": "id", "value": item["id"]} for item in fields]
    values = {
        f"{trigger}.n_clicks": 1, "case-chosen.data": action, "case-version.data": version, "case-id.data": case_id,
        "case-refresh.data": 0, "lang.data": "en",
        '{"name":["ALL"],"type":"case-param"}.value': fields, '{"name":["ALL"],"type":"case-param"}.id': ids,
    }
    return call(app, "case-message.children...case-refresh.data", values, f"{trigger}.n_clicks")


def codes(response: Any) -> list[str]:
    data = response.get_json()["response"]["cases-grid"]["getRowsResponse"]["rowData"]
    return sorted(re.search(r"\[([^\]]+)\]", row["code"]).group(1) for row in data)


def text_of(response: Any) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


# ------------------------------------------------------------------------------------------ tests


def test_the_queue_answers_within_the_callers_township(sign_in, dashboard_app, two_cases) -> None:
    district = sign_in("operator").callback(rows_call(dashboard_app))
    assert district.status_code == 200 and codes(district) == ["AJ-ACCESS-A", "AJ-ACCESS-B"]
    row = next(r for r in district.get_json()["response"]["cases-grid"]["getRowsResponse"]["rowData"]
               if "AJ-ACCESS-A" in r["code"])
    assert row["code"] == f"[AJ-ACCESS-A](/cases/{two_cases['a']})" and row["status"] == "已上报"
    assert row["light"] in ("red", "yellow", "green", "none") and row["light_label"]

    town = sign_in("operator_town")
    assert codes(town.callback(rows_call(dashboard_app))) == ["AJ-ACCESS-A"]
    assert codes(town.callback(rows_call(dashboard_app, township=two_cases["town"]))) == ["AJ-ACCESS-A"]
    refused = town.callback(rows_call(dashboard_app, township=two_cases["other"]))
    assert refused.status_code == 403 and "AJ-ACCESS-B" not in refused.get_data(as_text=True)
    assert codes(sign_in("leader_town").callback(rows_call(dashboard_app))) == ["AJ-ACCESS-A"]

    for who in ("scheduler", "admin", "officer", "team_leader"):
        response = sign_in(who).callback(rows_call(dashboard_app))
        assert response.status_code == 403, who
        assert "AJ-ACCESS" not in response.get_data(as_text=True), who
    assert sign_in(None).callback(rows_call(dashboard_app)).status_code == 403


def test_bad_filters_answer_an_empty_block(sign_in, dashboard_app, two_cases) -> None:
    operator = sign_in("operator")
    for filters in ({"status": "no-such-status"}, {"light": "blue"}):
        response = operator.callback(rows_call(dashboard_app, **filters))
        assert response.status_code == 200, filters
        assert response.get_json()["response"]["cases-grid"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
    count = operator.callback(call(dashboard_app, "cases-count.children",
                                   {"cases-status.value": "all", "cases-text.value": "AJ-ACCESS", "lang.data": "en"},
                                   "cases-text.value"))
    assert count.get_json()["response"]["cases-count"]["children"] == "2 cases"


def test_a_case_outside_the_scope_is_refused_everywhere(sign_in, dashboard_app, two_cases) -> None:
    town = sign_in("operator_town")
    shown = town.callback(show_call(dashboard_app, two_cases["a"]))
    assert shown.status_code == 200 and "AJ-ACCESS-A" in text_of(shown)

    for case_id in (two_cases["b"], "999999", "not-a-number", None):
        response = town.callback(show_call(dashboard_app, case_id))
        assert response.status_code == 403, case_id
        assert "AJ-ACCESS-B" not in response.get_data(as_text=True)
    refused = town.callback(act_call(dashboard_app, two_cases["b"], "reject", {"reject_reason": "invalid"}, 1))
    assert refused.status_code == 403
    assert two_cases["service"].state(two_cases["b"]).status.value == "reported"  # nothing happened to B

    # officers and team leaders open their team's cases only: A has no team yet
    for who in ("officer", "team_leader"):
        assert sign_in(who).callback(show_call(dashboard_app, two_cases["a"])).status_code == 403, who
    assert sign_in("scheduler").callback(show_call(dashboard_app, two_cases["a"])).status_code == 403

    # the page itself (in-app navigation) says why instead of showing the case
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": f"/cases/{two_cases['b']}"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }
    page = text_of(town.callback(body))
    assert '"data-refusal": "scope"' in page and "outside township" in page and "AJ-ACCESS-B" not in page
    assert "case-summary" not in page
    assert '"data-case"' in text_of(sign_in("operator").callback(body))


def test_reporters_are_masked_for_roles_that_do_not_call_back(sign_in, dashboard_app, two_cases) -> None:
    operator = text_of(sign_in("operator").callback(show_call(dashboard_app, two_cases["a"])))
    assert "张三丰" in operator and "13812345678" in operator
    for who in ("leader", "leader_town", "supervisor", "legal_reviewer"):
        page = text_of(sign_in(who).callback(show_call(dashboard_app, two_cases["a"])))
        assert "AJ-ACCESS-A" in page, who
        assert "13812345678" not in page and "张三丰" not in page, who
        assert "138****5678" in page and "张**" in page, who


def test_a_step_from_the_page_its_refusals_and_the_conflict(sign_in, dashboard_app, two_cases) -> None:
    town = sign_in("operator_town")
    case_id, service = two_cases["a"], two_cases["service"]
    shown = town.callback(show_call(dashboard_app, case_id, lang="en")).get_json()["response"]
    buttons = json.dumps(shown["case-actions"]["children"])
    assert '"action": "accept"' in buttons and '"action": "reject"' in buttons and '"action": "close"' not in buttons
    assert shown["case-version"]["data"] == 1
    timeline = shown["case-timeline"]["children"]["props"]["children"]
    assert len(timeline) == 1

    # a required field left out: the rules say which
    missing = text_of(town.callback(act_call(dashboard_app, case_id, "reject", {}, 1)))
    assert "needs payload field 'reject_reason'" in missing and '"data-kind": "refused"' in missing

    done = town.callback(act_call(dashboard_app, case_id, "reject", {"reject_reason": "duplicate",
                                                                    "note": "与AJ-1重复"}, 1))
    body = done.get_json()["response"]
    assert '"data-kind": "done"' in text_of(done) and body["case-refresh"]["data"] == 1
    state = service.state(case_id)
    trail = service.history(case_id)
    assert state.status.value == "rejected" and trail[-1].actor == "operator_town" and trail[-1].note == "与AJ-1重复"
    assert trail[-1].client_address == "127.0.0.1"

    # the page still shows version 1: the case moved meanwhile
    stale = text_of(town.callback(act_call(dashboard_app, case_id, "archive", {}, 1)))
    assert '"data-kind": "conflict"' in stale and "changed by operator_town at" in stale and "reload" in stale
    # an action the status does not allow, and one the role may not take, come back with the rules' reason
    wrong = text_of(town.callback(act_call(dashboard_app, case_id, "accept", {}, 2)))
    assert "cannot accept a case that is rejected" in wrong
    leader = text_of(sign_in("leader_town").callback(act_call(dashboard_app, case_id, "archive", {}, 2)))
    assert "role leader may not archive" in leader
    assert service.state(case_id).seq == 2

    # cancel and reload only start over
    cancel = town.callback(act_call(dashboard_app, case_id, "archive", {}, 2, trigger="case-cancel")).get_json()
    assert cancel["response"]["case-chosen"]["data"] is None and service.state(case_id).seq == 2
