"""The situation page's callbacks called directly, as a browser — or anyone holding a session — could.

A township leader gets the brief and the tables of their own township and a 403 for any other, whatever
the page showed; a district leader may pick any township or the whole district; roles without the page are
refused its callbacks; bad dates are answered with a message, not an error. The store behind the app holds
a simulated day in two townships (:mod:`tests.dashboard.situation_world`).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.situation_world import call, casework_runtime, day_range, serving

pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def world(dashboard_app, dashboard_runtime, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    runtime, town, other = casework_runtime(dashboard_runtime, demo_dir, tmp_path_factory.mktemp("sit-access"))
    names = {str(r.code): r.name for r in runtime.store.townships().itertuples()}
    with serving(dashboard_app, runtime):
        yield {"runtime": runtime, "town": town, "other": other, "names": names}
    runtime.store.close()


def export_call(app: Any, kind: str, township: str | None, lang: str = "zh") -> dict[str, Any]:
    start, end = day_range()
    return call(app, "sit-download.data", {f"sit-{kind}.n_clicks": 1, "sit-range.start_date": start,
                                           "sit-range.end_date": end, "sit-township.value": township,
                                           "lang.data": lang}, f"sit-{kind}.n_clicks")


def refresh_call(app: Any, township: str | None, start: str | None = None, end: str | None = None) -> dict[str, Any]:
    first, last = day_range()
    return call(app, "sit-heading.children", {"sit-range.start_date": start or first, "sit-range.end_date": end or last,
                                              "sit-township.value": township, "lang.data": "zh"},
                "sit-range.start_date")


def map_call(app: Any, townships: list[str] | None) -> dict[str, Any]:
    first, last = day_range()
    return call(app, "sit-townships.data", {"sit-map.zoom": 11, "sit-scope.data": {
        "first": first, "last": last, "townships": townships}, "lang.data": "zh"}, "sit-scope.data")


def download(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.get_json()["response"]["sit-download"]["data"]
    return {**data, "bytes": base64.b64decode(data["content"])}


def text_of(response: Any) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_the_pages_open_for_leaders_operators_supervisors_and_administrators(sign_in, world) -> None:
    for who in ("leader", "leader_town", "operator", "supervisor", "admin"):
        client = sign_in(who)
        for path in ("/situation", "/townships"):
            assert client.get(path).status_code == 200, (who, path)
    for who in ("officer", "team_leader", "scheduler", "legal_reviewer", "department_liaison"):
        client = sign_in(who)
        for path in ("/situation", "/townships"):
            response = client.get(path)
            assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True), (who, path)


def test_a_township_leader_exports_their_own_township_only(sign_in, dashboard_app, world) -> None:
    leader = sign_in("leader_town")
    own = download(leader.callback(export_call(dashboard_app, "pdf", world["town"])))
    reader = pypdf.PdfReader(io.BytesIO(own["bytes"]))
    assert len(reader.pages) == 1 and own["type"] == "application/pdf"
    assert world["names"][world["town"]] in reader.pages[0].extract_text()
    assert own["filename"].startswith("每日简报-" + world["names"][world["town"]]) and own["filename"].endswith(".pdf")
    # no township chosen: still their own, never the district
    implicit = download(leader.callback(export_call(dashboard_app, "png", None)))
    assert implicit["bytes"][:8] == b"\x89PNG\r\n\x1a\n" and world["names"][world["town"]] in implicit["filename"]
    for kind in ("pdf", "png", "xlsx"):
        refused = leader.callback(export_call(dashboard_app, kind, world["other"]))
        assert refused.status_code == 403, kind
        assert "content" not in refused.get_data(as_text=True)


def test_a_district_leader_exports_any_township_or_the_district_as_excel(sign_in, dashboard_app, world) -> None:
    from openpyxl import load_workbook

    leader = sign_in("leader")
    one = download(leader.callback(export_call(dashboard_app, "xlsx", world["other"], lang="en")))
    book = load_workbook(io.BytesIO(one["bytes"]))
    rows = list(book["镇街 Townships"].iter_rows(values_only=True))
    assert rows[0][0] == "Township" and [row[1] for row in rows[1:]] == [world["other"]]
    assert one["filename"].startswith("daily-situation-") and one["filename"].endswith(".xlsx")
    whole = load_workbook(io.BytesIO(download(leader.callback(export_call(dashboard_app, "xlsx", None)))["bytes"]))
    townships = list(whole["镇街 Townships"].iter_rows(min_row=2, values_only=True))
    assert len(townships) == 11 and sum(row[2] for row in townships) > 0  # every township, the day's reports
    assert leader.callback(export_call(dashboard_app, "pdf", "999999999")).status_code == 403  # no such township


def test_roles_without_the_page_cannot_call_its_callbacks(sign_in, dashboard_app, world) -> None:
    for who in ("officer", "scheduler", "team_leader"):
        assert sign_in(who).callback(export_call(dashboard_app, "pdf", world["town"])).status_code == 403, who
        assert sign_in(who).callback(refresh_call(dashboard_app, world["town"])).status_code == 403, who
    assert sign_in(None).callback(export_call(dashboard_app, "pdf", None)).status_code == 403
    assert sign_in("leader").callback(export_call(dashboard_app, "pdf", None), csrf=False).status_code == 403


def test_the_panels_and_the_map_answer_within_the_township(sign_in, dashboard_app, world) -> None:
    leader = sign_in("leader_town")
    assert leader.callback(refresh_call(dashboard_app, world["other"])).status_code == 403
    assert leader.callback(map_call(dashboard_app, [world["other"]])).status_code == 403
    page = leader.callback(refresh_call(dashboard_app, None))
    assert page.status_code == 200
    body = page.get_json()["response"]
    assert body["sit-scope"]["data"]["townships"] == [world["town"]]
    assert world["names"][world["other"]] not in text_of(page)  # nothing of the other township
    tiles = {tile["props"]["data-figure"]: tile for tile in body["sit-tiles"]["children"]}
    assert set(tiles) == {"reports", "accepted", "dispatched", "handled", "closed", "overdue", "on_time_closure_rate"}
    drawn = leader.callback(map_call(dashboard_app, [world["town"]]))
    assert drawn.status_code == 200
    layers = drawn.get_json()["response"]
    assert [f["properties"]["code"] for f in layers["sit-townships"]["data"]["features"]
            if f["properties"].get("role") != "label"] == [world["town"]]
    assert layers["sit-density"]["data"]["features"], "the day's reports should show as density"
    district = sign_in("leader").callback(refresh_call(dashboard_app, None))
    assert district.status_code == 200 and district.get_json()["response"]["sit-scope"]["data"]["townships"] is None


def test_bad_dates_get_a_message(sign_in, dashboard_app, world) -> None:
    response = sign_in("leader").callback(refresh_call(dashboard_app, None, start="2026-99-01"))
    assert response.status_code == 200
    message = response.get_json()["response"]["sit-message"]["children"]
    assert "日期有误" in message and "2026-99-01" in message
    future = sign_in("leader").callback(refresh_call(dashboard_app, None, start="2999-01-01", end="2999-01-02"))
    assert "after today" in future.get_json()["response"]["sit-message"]["children"]
