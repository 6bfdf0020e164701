"""The officer phone page (/m) called as a browser would — or anyone with a session: its callbacks answer only
officers and team leaders, only on their team's cases; a step goes through the case service with the phone's
position and the photos this user uploaded; photos come back only within the case's scope; a patrol finding
reaches the live intake stream as a ``patrol`` report.

The cases live in the test session's dashboard store (shared with other dashboard tests): opened in January
2020 in the demo team leader's township, three dispatched to the demo sub-squad (350212001-ZF01 in the demo
city), one to another sub-squad, and all closed again at the end.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from cases.permissions import Actor
from cases.rules import actions_from
from cases.states import Action, Role
from dashboard import access
from store import accounts
from store.casework import CaseService
from store.models import Officer

T0 = datetime(2020, 1, 6, 2, 0, tzinfo=UTC)
OPERATOR = Actor("operator", Role.OPERATOR)
HERE = (118.1390, 24.7335)  # beside the demo sub-squad's base


def png(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A small valid PNG (grey pixels; ``seed`` changes the bytes, hence the content-hash name)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([(seed + x) % 256 for x in range(width)]) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def data_url(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


# ------------------------------------------------------------------------------------------- the cases


@pytest.fixture(scope="module")
def world(dashboard_app, dashboard_runtime) -> Iterator[dict[str, Any]]:
    """Three cases with the demo sub-squad (near, far, and one without a point but the soonest deadline),
    one with another sub-squad of the township, and an officer account of that other sub-squad."""
    store = dashboard_runtime.store
    officer = accounts.get_account(store, "officer")
    town, team = officer["township_code"], officer["team_code"]
    other_team = next(t for t in sorted(store.teams()["code"]) if t.startswith(town) and t != team
                      and t.rsplit("-", 1)[-1].startswith("ZF0"))
    if accounts.get_account(store, "officer_other") is None:
        with store.transaction() as conn:
            code = conn.execute(sa.select(Officer.code).where(Officer.team_code == other_team)
                                .order_by(Officer.code)).scalars().first()
        accounts.create_account(store, "officer_other", "demo", "officer", township_code=town, team_code=other_team,
                                officer_code=code, min_length=1)
    access.forget_cached_accounts()
    service = CaseService(store)
    specs = [("AJ-M-NEAR", (118.1395, 24.7338), 3, team), ("AJ-M-FAR", (118.1600, 24.7200), 3, team),
             ("AJ-M-NOWHERE", None, 1, team), ("AJ-M-OTHER", (118.1392, 24.7336), 3, other_team)]
    ids = {}
    for n, (code, point, priority, to) in enumerate(specs):
        at = T0 + timedelta(minutes=n)
        step = service.open_case(OPERATOR, {"case_code": code, "township_code": town, "priority": priority,
                                            "item_code": "ZF001"}, at, channel="12345",
                                 location=Point(*point) if point else None, address=f"{code} 测试地址",
                                 description="占道经营，请回电13812345678")
        step = service.act(step.case_id, "accept", OPERATOR, service.acceptance(step.state), at + timedelta(minutes=5))
        service.act(step.case_id, "dispatch", OPERATOR, {"team_code": to}, at + timedelta(minutes=10))
        ids[code] = step.case_id
    yield {"ids": ids, "service": service, "town": town, "team": team, "other_team": other_team, "store": store}
    officers = {team: Actor("officer", Role.OFFICER, township_code=town, teams={team}),
                other_team: Actor("officer_other", Role.OFFICER, township_code=town, teams={other_team})}
    for code, case_id in ids.items():  # leave nothing open behind
        state = service.state(case_id)
        field = officers[state.team_code]
        at = datetime.now(UTC) + timedelta(seconds=1)
        for action, actor, payload in (
            ("arrive", field, {}), ("feedback", field, {"note": "清理", "evidence": ["test cleanup"]}),
            ("verify", OPERATOR, {}), ("close", OPERATOR, {}),
        ):
            if Action(action) in actions_from(state.status):
                state = service.act(case_id, action, actor, payload, at).state
                at += timedelta(seconds=1)
        assert state.status.value == "closed", code


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch) -> Any:
    """Photos of these tests go to a temporary media folder."""
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.delenv("MEDIA_MAX_BYTES", raising=False)
    return tmp_path / "media"


# ------------------------------------------------------------------------------------ calling Dash


def outputs_of(key: str) -> list[str]:
    return key.strip(".").split("...") if key.startswith("..") else [key]


def call(app: Any, first_output: str, values: dict[str, Any], changed: str) -> dict[str, Any]:
    """The body dash-renderer posts for the callback whose first output is ``first_output``: each input and
    state ``id.property`` from ``values`` (None when absent; pattern-matching ones a list of entries)."""
    app.server.test_client().get("/login")  # the first request sets the app's callbacks up
    key, spec = next((k, s) for k, s in app.callback_map.items() if outputs_of(k)[0].split("@")[0] == first_output)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]} for part in outputs_of(key)]

    def entries(items: list[dict]) -> list[Any]:
        result = []
        for item in items:
            value = values.get(f"{item['id']}.{item['property']}")
            if item["id"].startswith("{"):
                result.append(value or [])
            else:
                result.append({"id": item["id"], "property": item["property"], "value": value})
        return result

    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": entries(spec["inputs"]), "state": entries(spec["state"]), "changedPropIds": [changed]}


def position(lon: float = HERE[0], lat: float = HERE[1]) -> dict[str, Any]:
    return {"lon": lon, "lat": lat, "accuracy": 12.0, "at": datetime.now(UTC).isoformat()}


def list_call(app: Any, where: Any = None, chosen: str = "all") -> dict[str, Any]:
    return call(app, "m-list.children", {"m-position.data": where, "m-refresh.data": 0, "lang.data": "zh",
                                         "m-filter.value": chosen}, "m-position.data")


def show_call(app: Any, case_id: Any) -> dict[str, Any]:
    return call(app, "m-case-head.children", {"m-selected.data": case_id, "m-refresh.data": 0, "lang.data": "en"},
                "m-selected.data")


def choose_call(app: Any, case_id: Any, action: str) -> dict[str, Any]:
    button = {"id": {"action": action, "type": "m-action"}, "property": "n_clicks", "value": 1}
    return call(app, "m-form.children", {'{"action":["ALL"],"type":"m-action"}.n_clicks': [button],
                                         "m-selected.data": case_id, "m-position.data": position(),
                                         "lang.data": "en"},
                json.dumps({"action": action, "type": "m-action"}, separators=(",", ":")) + ".n_clicks")


def act_call(app: Any, case_id: Any, action: str, params: dict[str, Any], version: Any,
             photos: list[dict[str, Any]] | None = None, where: Any = None) -> dict[str, Any]:
    fields = [{"id": {"name": name, "type": "m-param"}, "property": "value", "value": value}
              for name, value in params.items()]
    ids = [{"id": item["id"], "property": "id", "value": item["id"]} for item in fields]
    return call(app, "m-message.children", {
        "m-submit.n_clicks": 1, "m-chosen.data": action, "m-version.data": version, "m-selected.data": case_id,
        "m-refresh.data": 0, "lang.data": "en", "m-photos.data": photos or [], "m-position.data": where,
        '{"name":["ALL"],"type":"m-param"}.value': fields, '{"name":["ALL"],"type":"m-param"}.id': ids,
    }, "m-submit.n_clicks")


def upload_call(app: Any, contents: list[str], filenames: list[str]) -> dict[str, Any]:
    return call(app, "m-photos.data", {"m-upload.contents": contents, "m-upload.filename": filenames,
                                       "m-photos.data": [], "lang.data": "en"}, "m-upload.contents")


def answer(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def listed(response: Any) -> list[str]:
    cards = answer(response)["m-list"]["children"]
    return [c["props"]["data-code"] for c in cards if "data-code" in c.get("props", {})]


def version_of(app: Any, client: Any, case_id: int) -> int:
    return answer(client.callback(show_call(app, case_id)))["m-version"]["data"]


# ------------------------------------------------------------------------------------------ tests


def test_only_officers_and_team_leaders_open_the_page_or_call_it(sign_in, dashboard_app, world) -> None:
    for who in ("officer", "team_leader"):
        client = sign_in(who)
        assert client.get("/m").status_code == 200, who
        assert client.callback(list_call(dashboard_app)).status_code == 200, who
    for who in ("leader", "operator", "scheduler", "admin", "supervisor", "liaison"):
        client = sign_in(who)
        assert client.get("/m").status_code == 403, who
        for body in (list_call(dashboard_app), show_call(dashboard_app, world["ids"]["AJ-M-NEAR"]),
                     choose_call(dashboard_app, world["ids"]["AJ-M-NEAR"], "arrive"),
                     act_call(dashboard_app, world["ids"]["AJ-M-NEAR"], "arrive", {}, None),
                     upload_call(dashboard_app, [data_url(png())], ["a.png"])):
            response = client.callback(body)
            assert response.status_code == 403, (who, body["output"])
            assert "AJ-M-" not in response.get_data(as_text=True)
    assert sign_in(None).callback(list_call(dashboard_app)).status_code == 403
    assert world["service"].state(world["ids"]["AJ-M-NEAR"]).status.value == "dispatched"  # nobody moved it


def test_my_cases_are_my_teams_nearest_first_or_by_deadline(sign_in, dashboard_app, world) -> None:
    officer = sign_in("officer")
    near_first = [c for c in listed(officer.callback(list_call(dashboard_app, position()))) if c.startswith("AJ-M-")]
    assert near_first == ["AJ-M-NEAR", "AJ-M-FAR", "AJ-M-NOWHERE"]  # a case without a point comes last
    response = officer.callback(list_call(dashboard_app, position(118.1610, 24.7195)))
    assert [c for c in listed(response) if c.startswith("AJ-M-")] == ["AJ-M-FAR", "AJ-M-NEAR", "AJ-M-NOWHERE"]
    card = next(c for c in answer(response)["m-list"]["children"] if c["props"].get("data-code") == "AJ-M-FAR")
    assert 0 < float(card["props"]["data-distance"]) < 200 and card["props"]["data-light"] in ("red", "yellow", "green")

    no_fix = officer.callback(list_call(dashboard_app, {"error": "denied"}))
    by_deadline = [c for c in listed(no_fix) if c.startswith("AJ-M-")]
    with world["store"].transaction() as conn:
        deadlines = dict(conn.execute(sa.text("select code, deadline_at from cases where code like 'AJ-M-%'")).all())
    assert by_deadline == sorted(by_deadline, key=lambda c: (deadlines[c], c)) and by_deadline[0] == "AJ-M-NOWHERE"
    assert "未获定位权限" in text_of(answer(no_fix)["m-position-text"])

    assert "AJ-M-OTHER" not in listed(officer.callback(list_call(dashboard_app, position())))
    other = [c for c in listed(sign_in("officer_other").callback(list_call(dashboard_app, position())))
             if c.startswith("AJ-M-")]
    assert other == ["AJ-M-OTHER"]


def test_an_officer_of_another_team_is_refused_everywhere(sign_in, dashboard_app, world) -> None:
    case_id = world["ids"]["AJ-M-NEAR"]
    other = sign_in("officer_other")
    for body in (show_call(dashboard_app, case_id), choose_call(dashboard_app, case_id, "arrive"),
                 act_call(dashboard_app, case_id, "arrive", {}, None, where=position())):
        response = other.callback(body)
        assert response.status_code == 403, body["output"]
        assert "AJ-M-NEAR" not in response.get_data(as_text=True)
    for bad in ("999999", "-1", "x", True):
        assert sign_in("officer").callback(show_call(dashboard_app, bad)).status_code == 403, bad
    assert sign_in("officer").callback(show_call(dashboard_app, None)).status_code == 204  # nothing chosen yet
    assert world["service"].state(case_id).status.value == "dispatched"
    # their own team's case is theirs
    assert other.callback(show_call(dashboard_app, world["ids"]["AJ-M-OTHER"])).status_code == 200


def test_the_steps_offered_come_from_the_rule_table(sign_in, dashboard_app, world) -> None:
    officer, leader = sign_in("officer"), sign_in("team_leader")
    case_id = world["ids"]["AJ-M-FAR"]
    shown = answer(officer.callback(show_call(dashboard_app, case_id)))
    assert [b["props"]["data-action"] for b in shown["m-actions"]["children"][0]["props"]["children"]] == ["arrive"]
    assert "138****5678" in text_of(shown["m-case-head"]) and "13812345678" not in text_of(shown)
    form = answer(officer.callback(choose_call(dashboard_app, case_id, "arrive")))
    assert form["m-chosen"]["data"] == "arrive" and form["m-photo-box"]["className"].endswith("m-hidden")
    # a step the role may not take from here is not offered, and says so
    refused = answer(officer.callback(choose_call(dashboard_app, case_id, "feedback")))
    assert refused["m-chosen"]["data"] is None and "Not done" in text_of(refused["m-message"])
    assert answer(leader.callback(show_call(dashboard_app, case_id)))["m-actions"]["children"][0]["props"][
        "children"][0]["props"]["data-action"] == "arrive"


def test_arrive_then_feedback_with_photos_linked_in_the_audit_trail(sign_in, dashboard_app, world, media_dir) -> None:
    officer = sign_in("officer")
    case_id = world["ids"]["AJ-M-NEAR"]
    version = version_of(dashboard_app, officer, case_id)

    done = answer(officer.callback(act_call(dashboard_app, case_id, "arrive", {"note": "已到场"}, version,
                                            where=position())))
    assert "Done: Arrive" in text_of(done["m-message"])
    arrival = world["service"].history(case_id)[-1]
    officer_code = accounts.get_account(world["store"], "officer")["officer_code"]
    assert arrival.action.value == "arrive" and arrival.note == "已到场"
    assert arrival.actor == officer_code  # the trail records the officer code, as the case service does
    assert arrival.payload["location"]["lon"] == pytest.approx(HERE[0]) and arrival.payload["location"]["crs"] == "wgs84"
    assert arrival.payload["location"]["accuracy_m"] == 12.0

    # feedback without photos: the rules refuse, with their reason; nothing is stored
    version = version_of(dashboard_app, officer, case_id)
    refused = answer(officer.callback(act_call(dashboard_app, case_id, "feedback", {"note": "已劝离"}, version)))
    assert "evidence" in text_of(refused["m-message"]) and "Not done" in text_of(refused["m-message"])
    assert world["service"].state(case_id).status.value == "in_progress"

    photo, other_photo = png(seed=1), png(seed=2)
    received = answer(officer.callback(upload_call(dashboard_app, [data_url(photo), data_url(other_photo),
                                                                   data_url(b"GIF89a-not-allowed", "image/png")],
                                                   ["现场1.png", "现场2.png", "fake.png"])))
    kept = received["m-photos"]["data"]
    assert [p["filename"] for p in kept] == ["现场1.png", "现场2.png"] and received["m-upload"]["contents"] is None
    assert "fake.png" in text_of(received["m-photo-list"]) and "not a JPEG, PNG or WebP" in text_of(received["m-photo-list"])

    # a token is bound to whoever uploaded: another user cannot link these photos
    stolen = sign_in("team_leader").callback(act_call(dashboard_app, case_id, "feedback", {"note": "x"}, version,
                                                      photos=kept))
    assert "no longer valid" in text_of(answer(stolen)["m-message"])
    forged = [{**kept[0], "token": kept[0]["token"][:-4] + "AAAA"}]
    assert "no longer valid" in text_of(answer(officer.callback(
        act_call(dashboard_app, case_id, "feedback", {"note": "x"}, version, photos=forged)))["m-message"])

    done = answer(officer.callback(act_call(dashboard_app, case_id, "feedback", {"note": "已劝离，恢复通行"}, version,
                                            photos=kept, where=position())))
    assert "Done: Feedback" in text_of(done["m-message"]) and done["m-photos"]["data"] == []
    feedback = world["service"].history(case_id)[-1]
    assert feedback.action.value == "feedback" and feedback.note == "已劝离，恢复通行"
    assert len(feedback.evidence) == 2 and all(link.startswith(f"/media/case/{case_id}/") for link in feedback.evidence)
    trail = text_of(answer(officer.callback(show_call(dashboard_app, case_id)))["m-trail"])
    assert all(link in trail for link in feedback.evidence)

    # the photo comes back, as stored, to those who have the case in scope
    link = feedback.evidence[0]
    got = officer.get(link)
    assert got.status_code == 200 and got.mimetype == "image/png" and got.data in (photo, other_photo)
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "private" in got.headers["Cache-Control"]
    assert sign_in("operator").get(link).status_code == 200
    assert sign_in("leader_town").get(link).status_code == 200
    for who in ("officer_other", "scheduler", "admin"):
        assert sign_in(who).get(link).status_code == 403, who
    name = link.rsplit("/", 1)[1]
    assert officer.get(f"/media/case/{world['ids']['AJ-M-FAR']}/{name}").status_code == 404  # not that case's photo
    escape = officer.get(f"/media/case/{case_id}/..%2F..%2Fsecret_key")  # not this route: Dash's page shell
    assert escape.mimetype == "text/html" and str(dashboard_app.server.secret_key).encode() not in escape.data
    assert officer.get(f"/media/case/{case_id}/..").status_code == 404
    assert officer.get(f"/media/case/{case_id}/{'0' * 64}.png").status_code == 404
    anonymous = sign_in(None).get(link)
    assert anonymous.status_code in (302, 403) and anonymous.data != photo


def test_a_step_on_a_case_changed_meanwhile_is_a_conflict(sign_in, dashboard_app, world) -> None:
    officer = sign_in("team_leader")
    case_id = world["ids"]["AJ-M-FAR"]
    seen = version_of(dashboard_app, officer, case_id)
    world["service"].act(case_id, "supervise", Actor("leader", Role.LEADER), {"level": 1},
                         datetime.now(UTC))  # someone else moves the case
    conflict = answer(officer.callback(act_call(dashboard_app, case_id, "arrive", {}, seen, where=position())))
    message = text_of(conflict["m-message"])
    assert '"data-kind": "conflict"' in message and "changed by leader" in message and "reload" in message
    assert world["service"].state(case_id).status.value == "dispatched"
    fresh = version_of(dashboard_app, officer, case_id)
    assert fresh == seen + 1
    done = answer(officer.callback(act_call(dashboard_app, case_id, "arrive", {}, fresh)))
    assert "Done: Arrive" in text_of(done["m-message"])
    assert "location" not in world["service"].history(case_id)[-1].payload  # no position: none recorded


def test_photos_are_refused_over_the_size_limit(sign_in, dashboard_app, world, monkeypatch) -> None:
    monkeypatch.setenv("MEDIA_MAX_BYTES", "100")
    response = answer(sign_in("officer").callback(upload_call(dashboard_app, [data_url(png(40, 40, seed=3))],
                                                              ["big.png"])))
    assert response["m-photos"]["data"] == []
    assert "big.png" in text_of(response["m-photo-list"]) and "MEDIA_MAX_BYTES" in text_of(response["m-photo-list"])


@pytest.mark.redis
def test_a_patrol_finding_reaches_the_intake_stream_as_a_patrol_report(sign_in, dashboard_app, world, redis_url,
                                                                       monkeypatch) -> None:
    import redis

    from live.intake import STREAM, decode

    monkeypatch.setenv("REDIS_URL", redis_url)
    officer = sign_in("officer")
    photo = answer(officer.callback(call(dashboard_app, "m-patrol-photos.data", {
        "m-patrol-upload.contents": [data_url(png(seed=7))], "m-patrol-upload.filename": ["摊点.png"],
        "m-patrol-photos.data": [], "lang.data": "zh"}, "m-patrol-upload.contents")))["m-patrol-photos"]["data"]
    assert len(photo) == 1

    def patrol(item: Any, text: str, address: Any, where: Any, photos: list) -> dict[str, Any]:
        return call(dashboard_app, "m-patrol-message.children", {
            "m-patrol-submit.n_clicks": 1, "m-patrol-item.value": item, "m-patrol-text.value": text,
            "m-patrol-address.value": address, "m-patrol-photos.data": photos, "m-position.data": where,
            "lang.data": "zh"}, "m-patrol-submit.n_clicks")

    client = redis.Redis.from_url(redis_url)
    assert "请选择事项" in text_of(answer(officer.callback(patrol(None, "x", None, position(), [])))["m-patrol-message"])
    no_place = answer(officer.callback(patrol("ZF001", "x", None, {"error": "denied"}, [])))
    assert "没有定位" in text_of(no_place["m-patrol-message"]) and client.xlen(STREAM) == 0

    sent = answer(officer.callback(patrol("ZF001", "流动摊贩占用人行道", None, position(), photo)))
    message = text_of(sent["m-patrol-message"])
    assert "已接收：XC-" in message and sent["m-patrol-text"]["value"] == ""
    ((entry_id, fields),) = client.xrange(STREAM)
    report = decode(entry_id, fields).item
    assert message.count(report.external_id) == 1 and entry_id.decode() in message
    assert report.channel == "patrol" and report.item_code == "ZF001" and report.description == "流动摊贩占用人行道"
    account = accounts.get_account(world["store"], "officer")
    assert report.reporter_id == account["officer_code"] and report.reporter_name == account["display_name"]
    assert report.point is not None and report.point.crs == "wgs84"
    assert (report.point.x, report.point.y) == pytest.approx(HERE)
    assert report.media == (f"/media/patrol/{report.external_id}/{photo[0]['name']}",)
    client.close()

    assert sign_in("leader").callback(patrol("ZF001", "x", None, position(), [])).status_code == 403
