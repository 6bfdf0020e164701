"""The officer phone page (/m) in real headless Chromium at a phone's viewport, served by ``python -m dashboard``.

The store is prepared before the server starts: the demo city and three cases dispatched (through the case
service) to the demo officer's sub-squad, at different distances from where the phone will be. The browser
is a 390×844 touch phone (DevTools device emulation), its position set through the DevTools protocol
(``Emulation.setGeolocationOverride``) with the geolocation permission granted (``Browser.grantPermissions``).
The officer signs in and works as on the street: the nearest case is listed first; arriving records the
phone's position in the audit trail; feedback carries a note and a photo (a small generated PNG, uploaded
through the page's file input) whose link and thumbnail appear in the trail; a patrol finding (巡查发现)
goes through the live intake stream and is stored by the server's ingest worker. No SEVERE console error
along the way. Screenshots (phone size, and 1920×1080) go to ``ARTIFACTS_DIR`` (default /tmp/artifacts).
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from cases.permissions import Actor
from cases.states import Role
from store import accounts, open_store
from store.casework import CaseService
from store.field_cases import distance_m
from store.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", "/tmp/artifacts"))
OPERATOR = Actor("operator", Role.OPERATOR)
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
HERE = {"latitude": 24.7336, "longitude": 118.1392, "accuracy": 8}
HELPERS: dict[str, Any] = {}


def wait_until(predicate: Any, timeout: float, what: str) -> Any:
    return HELPERS["wait_until"](predicate, timeout, what)


def png_bytes(size: int = 48) -> bytes:
    """A small PNG: a green square with a darker border, as a phone photo stand-in."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            edge = x < 4 or y < 4 or x >= size - 4 or y >= size - 4
            row += bytes((20, 90, 40) if edge else (60, 170, 90))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def helpers(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``start_dashboard``, ``login_in_browser`` and ``wait_until`` of tests/dashboard/conftest.py (the module
    pytest loaded: conftest modules are not importable by name)."""
    here = Path(__file__).with_name("conftest.py").resolve()
    module = next(p for p in request.config.pluginmanager.get_plugins()
                  if getattr(p, "__file__", None) and Path(p.__file__).resolve() == here)
    HELPERS.update(start_dashboard=module.start_dashboard, login_in_browser=module.login_in_browser,
                   wait_until=module.wait_until)
    return HELPERS


@pytest.fixture(scope="module")
def world(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, helpers: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The prepared store (three cases dispatched to the demo officer's sub-squad) and the server on it."""
    workdir = tmp_path_factory.mktemp("officer-server")
    store = open_store(f"sqlite:///{workdir / 'store.sqlite'}")
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    officer = next(a for a in accounts.demo_accounts(store) if a["username"] == "officer")
    town, team = officer["township_code"], officer["team_code"]
    service = CaseService(store)
    now = datetime.now(UTC)
    ids = {}
    for n, (code, lon, lat) in enumerate((("AJ-PHONE-FAR", 118.1600, 24.7200), ("AJ-PHONE-NEAR", 118.1395, 24.7339),
                                          ("AJ-PHONE-MID", 118.1450, 24.7300))):
        at = now - timedelta(hours=2) + timedelta(minutes=n)
        step = service.open_case(OPERATOR, {"case_code": code, "township_code": town, "priority": 3,
                                            "item_code": "ZF001"}, at, channel="12345", location=Point(lon, lat),
                                 address=f"大同街道环城西路{148 + n}号", description="流动摊贩占道经营")
        step = service.act(step.case_id, "accept", OPERATOR, service.acceptance(step.state), at + timedelta(minutes=5))
        service.act(step.case_id, "dispatch", OPERATOR, {"team_code": team}, at + timedelta(minutes=10))
        ids[code] = step.case_id
    media = workdir / "media"
    with helpers["start_dashboard"](demo_dir, workdir, env={"MEDIA_DIR": str(media), "MEDIA_MAX_BYTES": None}) as base:
        yield {"base": base.rstrip("/"), "store": store, "service": service, "ids": ids, "town": town,
               "team": team, "media": media}
    store.close()


def as_phone(driver: Any, base: str) -> None:
    """A 390×844 touch phone at HERE, allowed to share its position with ``base``."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    driver.execute_cdp_cmd("Emulation.setUserAgentOverride", {
        "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "Chrome/126.0 Mobile Safari/537.36", "platform": "Android"})
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", HERE)


def screenshot(driver: Any, name: str, size: tuple[int, int]) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    width, height = struct.unpack(">II", path.read_bytes()[16:24])  # the PNG header's IHDR
    assert (width, height) == size, f"{name} is {width}×{height}"
    return path


def severe(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def tap(driver: Any, css: str) -> None:
    element = wait_until(lambda: [e for e in driver.find_elements("css selector", css) if e.is_displayed()], 30, css)[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def cards(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#m-list .m-card')).map(c => c.dataset.code)")


def trail(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#m-trail-list > li .m-event-action')).map(e => e.textContent)")


def message(driver: Any, box: str = "m-message") -> Any:
    found = driver.find_elements("css selector", f"#{box} .m-message")
    return found[0] if found else None


def test_an_officer_works_cases_and_reports_a_finding_on_a_phone(world: dict[str, Any], chromium, tmp_path: Path) -> None:
    driver, base = chromium, world["base"]
    as_phone(driver, base)
    HELPERS["login_in_browser"](driver, base, "officer", next_path="/m")
    driver.get(base + "/m")

    # my cases, nearest first from the phone's position
    wait_until(lambda: driver.execute_script("return window.innerWidth") == 390, 10, "the phone viewport")
    order = wait_until(lambda: (c := cards(driver)) and "距离由近到远" in driver.find_element("id", "m-list-hint").text
                       and c, 60, "my cases sorted by distance")
    mine = [code for code in order if code.startswith("AJ-PHONE-")]
    assert mine == ["AJ-PHONE-NEAR", "AJ-PHONE-MID", "AJ-PHONE-FAR"]
    assert "24.73360, 118.13920" in driver.find_element("id", "m-position-text").text
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is wider than the phone ({width} px)"
    card = driver.find_element("css selector", "#m-list .m-card[data-code='AJ-PHONE-NEAR']")
    assert card.size["height"] >= 48 and card.size["width"] >= 340  # a thumb-sized target
    screenshot(driver, "officer_phone_list.png", (390, 844))

    # arrive: the phone's position goes into the audit trail
    near = world["ids"]["AJ-PHONE-NEAR"]
    tap(driver, "#m-list .m-card[data-code='AJ-PHONE-NEAR']")
    wait_until(lambda: trail(driver) == ["派遣", "受理立案", "上报"], 30, "the case's audit trail")
    tap(driver, "button[data-action='arrive']")
    wait_until(lambda: driver.find_element("id", "m-form-box").is_displayed(), 10, "the arrive form")
    assert "24.73360" in driver.find_element("id", "m-form-position").text
    tap(driver, "#m-submit")
    wait_until(lambda: trail(driver)[:1] == ["到场"], 30, "the arrival in the trail")
    assert message(driver).get_attribute("data-kind") == "done"
    assert driver.find_element("id", "m-case-status").get_attribute("data-status") == "in_progress"
    arrival = world["service"].history(near)[-1]
    officer_code = accounts.get_account(world["store"], "officer")["officer_code"]
    assert arrival.actor == officer_code and arrival.action.value == "arrive"
    where = arrival.payload["location"]
    assert distance_m(where["lon"], where["lat"], HERE["longitude"], HERE["latitude"]) < 1
    assert where["accuracy_m"] == HERE["accuracy"]

    # feedback with a note and a photo: the evidence link and its thumbnail in the trail
    photo = tmp_path / "site_photo.png"
    photo.write_bytes(png_bytes())
    tap(driver, "button[data-action='feedback']")
    wait_until(lambda: driver.find_element("id", "m-photo-box").is_displayed(), 10, "the photo picker")
    driver.find_element("css selector", "[data-field='note'] textarea").send_keys("已劝离摊贩，恢复人行道通行")
    driver.find_element("css selector", "#m-upload input[type=file]").send_keys(str(photo))
    wait_until(lambda: driver.find_elements("css selector", "#m-photo-list .m-chip-ok"), 30, "the photo received")
    screenshot(driver, "officer_phone_feedback.png", (390, 844))
    tap(driver, "#m-submit")
    wait_until(lambda: trail(driver)[:1] == ["处置反馈"], 30, "the feedback in the trail")
    feedback = world["service"].history(near)[-1]
    assert feedback.note == "已劝离摊贩，恢复人行道通行" and len(feedback.evidence) == 1
    link = feedback.evidence[0]
    assert link.startswith(f"/media/case/{near}/") and link.endswith(".png")
    anchor = wait_until(lambda: driver.find_elements("css selector", f"#m-trail-list a.m-evidence[href='{link}']"),
                        20, "the evidence link in the trail")[0]
    loaded = wait_until(lambda: driver.execute_script(
        "const i = arguments[0].querySelector('img'); return i && i.complete && i.naturalWidth;", anchor), 20,
        "the photo's thumbnail")
    assert loaded == 48
    assert (world["media"] / link.rsplit("/", 1)[1][:2] / link.rsplit("/", 1)[1]).read_bytes() == png_bytes()
    assert driver.find_element("id", "m-case-status").get_attribute("data-status") == "handled"
    screenshot(driver, "officer_phone_case.png", (390, 844))
    errors = severe(driver)
    assert not errors, errors

    # a patrol finding from where the officer stands, through the live intake stream to the store
    tap(driver, "#m-tab-patrol")
    wait_until(lambda: driver.find_element("id", "m-patrol-submit").is_displayed(), 10, "the patrol form")
    tap(driver, "#m-patrol-item")
    option = wait_until(lambda: [o for o in driver.find_elements("css selector", ".dash-dropdown-option")
                                 if "ZF001" in o.text], 10, "the item ZF001")
    option[0].click()
    driver.find_element("css selector", "#m-patrol-text").send_keys("流动摊贩占用人行道经营水果")
    driver.find_element("css selector", "#m-patrol-upload input[type=file]").send_keys(str(photo))
    wait_until(lambda: driver.find_elements("css selector", "#m-patrol-photo-list .m-chip-ok"), 30, "the finding's photo")
    tap(driver, "#m-patrol-submit")
    received = wait_until(lambda: (m := message(driver, "m-patrol-message")) and m.get_attribute("data-kind") == "done"
                          and m, 30, "the finding received")
    text = received.text
    assert "已接收：XC-" in text, text
    finding = text.split("已接收：", 1)[1].split()[0]
    screenshot(driver, "officer_phone_patrol.png", (390, 844))

    def stored() -> Any:
        with world["store"].transaction() as conn:
            return conn.execute(sa.select(Report.__table__).where(Report.channel == "patrol",
                                                                  Report.external_id == finding)).mappings().first()

    report = wait_until(stored, 60, f"the worker to store {finding}")
    assert report["township_code"] == world["town"] and report["location_status"] == "located"
    assert report["case_id"] is not None and report["item_code"] == "ZF001"
    assert distance_m(report["min_lon"], report["min_lat"], HERE["longitude"], HERE["latitude"]) < 5
    (photo_link,) = report["media"]
    fetched = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.blob().then(b => done([r.status, r.headers.get('content-type'), b.size])));""",
                                          photo_link)
    assert fetched == [200, "image/png", len(png_bytes())]
    errors = severe(driver)
    assert not errors, errors

    # the same page on a 1920×1080 screen
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    tap(driver, "#m-tab-list")
    wait_until(lambda: driver.find_element("id", "m-list").is_displayed(), 10, "my cases again")
    screenshot(driver, "officer.png", (1920, 1080))
    errors = severe(driver)
    assert not errors, errors


def test_a_leader_cannot_open_the_phone_page_or_call_it(world: dict[str, Any], chromium) -> None:
    driver, base = chromium, world["base"]
    HELPERS["login_in_browser"](driver, base, "leader", next_path="/")
    driver.get(base + "/m")
    assert "无权访问" in driver.page_source and "m-list" not in driver.page_source
    status = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const token = document.cookie.split('; ').find(c => c.startsWith('_csrf_token=')).split('=')[1];
        fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json',
              'X-CSRFToken': decodeURIComponent(token)}, body: arguments[0]})
            .then(r => r.text().then(t => done([r.status, t])));""", json.dumps({
        "output": "..m-list.children...m-list-hint.children...m-position-text.children..",
        "outputs": [{"id": "m-list", "property": "children"}, {"id": "m-list-hint", "property": "children"},
                    {"id": "m-position-text", "property": "children"}],
        "inputs": [{"id": "m-position", "property": "data", "value": None},
                   {"id": "m-refresh", "property": "data", "value": 0}, {"id": "lang", "property": "data", "value": "zh"},
                   {"id": "m-filter", "property": "value", "value": "all"}],
        "state": [], "changedPropIds": ["m-refresh.data"]}))
    assert status[0] == 403 and "AJ-PHONE" not in status[1]
