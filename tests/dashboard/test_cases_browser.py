"""The case queue and a case page in real headless Chromium, served by ``python -m dashboard``.

The store is prepared before the server starts: the demo city, a simulated day in two townships ending now
(so the traffic lights differ), and two fresh cases — one in the township of the demo township users, with
a report naming its reporter, one in another township. A township operator then works as on a shift: the
queue shows their township only and filters; the case page shows the timeline; accepting the case grows it;
a step taken meanwhile by someone else comes back as "changed by …, reload"; the other township's case is
refused, on the page and when its callback is called directly. Screenshots (1920×1080) go to
``ARTIFACTS_DIR`` (default /tmp/artifacts).
"""

from __future__ import annotations

import json
import os
import re
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.keys import Keys
from shapely.geometry import Point

from cases.permissions import Actor
from cases.states import Role
from sim import Settings, simulate
from store import accounts, open_store
from store.case_queue import QueueQuery, names, queue_count
from store.casework import CaseService
from store.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", "/tmp/artifacts"))
OPERATOR = Actor("operator", Role.OPERATOR)


def wait_until(predicate: Any, timeout: float, what: str) -> Any:
    return HELPERS["wait_until"](predicate, timeout, what)


HELPERS: dict[str, Any] = {}


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
    """The prepared store and the server on it."""
    workdir = tmp_path_factory.mktemp("cases-server")
    url = f"sqlite:///{workdir / 'store.sqlite'}"
    store = open_store(url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    town = next(a for a in accounts.demo_accounts(store) if a["username"] == "operator_town")["township_code"]
    other = next(code for code in store.townships()["code"] if code != town)
    service = CaseService(store)
    now = datetime.now(UTC)
    simulate(store, Settings(start=now - timedelta(hours=36), days=1, per_day=80, seed=21, townships=(town, other)),
             service=service)
    service.open_case(OPERATOR, {"case_code": "AJ-BROWSER-LATE", "township_code": town, "priority": 3,
                                 "item_code": "ZF001"}, now - timedelta(days=3), channel="grid")  # never accepted: red
    with store.transaction(write=True) as conn:
        report = conn.execute(sa.insert(Report.__table__).values(
            channel="12345", external_id="CASES-BROWSER-1", received_at=now - timedelta(minutes=20),
            description="夜间施工噪音，请回电13812345678", reporter_name="张三丰", reporter_phone="13812345678",
            township_code=town, geom=Point(118.16, 24.75), min_lon=118.16, min_lat=24.75, max_lon=118.16,
            max_lat=24.75).returning(Report.__table__.c.id)).scalar_one()
    a = service.open_case(OPERATOR, {"case_code": "AJ-BROWSER-A", "township_code": town, "priority": 2,
                                     "item_code": "ZF001"}, now - timedelta(minutes=20), channel="12345",
                          location=Point(118.16, 24.75), report_ids=[report], description="夜间施工噪音")
    b = service.open_case(OPERATOR, {"case_code": "AJ-BROWSER-B", "township_code": other, "priority": 3,
                                     "item_code": "ZF001"}, now - timedelta(minutes=15), channel="12319")
    known = names(store)
    with helpers["start_dashboard"](demo_dir, workdir) as base:
        yield {"base": base.rstrip("/"), "store": store, "service": service, "town": town, "other": other,
               "a": a.case_id, "b": b.case_id, "town_name": known.name("townships", town),
               "team": known.teams_of(town)[0]}
    store.close()


def screenshot(driver: Any, name: str) -> Path:
    """A 1920×1080 screenshot of the page as it is, in ARTIFACTS_DIR."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    width, height = struct.unpack(">II", path.read_bytes()[16:24])  # the PNG header's IHDR
    assert (width, height) == (1920, 1080), f"{name} is {width}×{height}"
    return path


def grid_rows(driver: Any) -> list[dict[str, str]]:
    """The rows the grid shows: each column's text and the light cell's class, read in one script call."""
    return driver.execute_script("""
        const rows = {};
        document.querySelectorAll('#cases-grid .ag-center-cols-container .ag-row, #cases-grid .ag-pinned-left-cols-container .ag-row')
            .forEach(function (row) {
                const index = row.getAttribute('row-index');
                const cells = rows[index] = rows[index] || {};
                row.querySelectorAll('.ag-cell').forEach(function (cell) {
                    cells[cell.getAttribute('col-id')] = cell.textContent;
                    if (cell.getAttribute('col-id') === 'light_label') { cells.light_class = cell.className; }
                });
            });
        return Object.keys(rows).sort((a, b) => a - b).map(k => rows[k]).filter(r => r.code);""")


def choose(driver: Any, dropdown_id: str, label: str) -> None:
    """Pick the option labelled ``label`` in a Dash dropdown."""
    driver.find_element("id", dropdown_id).click()
    option = wait_until(lambda: [o for o in driver.find_elements("css selector", ".dash-dropdown-option")
                                 if o.text.strip() == label], 10, f"option {label} of {dropdown_id}")
    option[0].click()


def agree(driver: Any, world: dict[str, Any], query: QueueQuery) -> None:
    """Wait until the page's count is the store's for ``query``."""
    def same() -> bool:
        match = re.fullmatch(r"共 ([\d,]+) 件", driver.find_element("id", "cases-count").text)
        return bool(match) and int(match.group(1).replace(",", "")) == queue_count(world["store"], query)[0]

    wait_until(same, 30, f"the page to count what the store holds for {query}")


def severe(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def timeline(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#case-timeline-list > li .cc-event-action')).map(e => e.textContent)")


def test_a_township_operator_works_the_queue_and_a_case(world: dict[str, Any], chromium) -> None:
    driver, base = chromium, world["base"]
    HELPERS["login_in_browser"](driver, base, "operator_town", next_path="/cases")
    driver.get(base + "/cases")

    # the queue: the operator's township only, soonest deadline first, with the count of their open cases
    # (the live simulator keeps adding cases: page and store are compared until they agree)
    rows = wait_until(lambda: grid_rows(driver), 60, "the queue's first rows")
    assert {row["township"] for row in rows} == {world["town_name"]}
    assert all(row["light_class"] and "cc-light-" in row["light_class"] for row in rows)
    assert driver.find_element("id", "cases-township").get_attribute("disabled") is not None  # scope is fixed
    agree(driver, world, QueueQuery(scope=world["town"]))

    # the red filter: every row shown is red, as many as the store says
    choose(driver, "cases-light", "红灯（超期）")
    wait_until(lambda: (r := grid_rows(driver)) and all("cc-light-red" in x["light_class"] for x in r), 30,
               "only red rows")
    assert "AJ-BROWSER-LATE" in [r["code"] for r in grid_rows(driver)]
    agree(driver, world, QueueQuery(scope=world["town"], light="red"))
    screenshot(driver, "cases_queue.png")

    # text search finds the case by its code; the other township's case never shows
    driver.find_element("css selector", "#cases-light .dash-dropdown-clear").click()
    search = driver.find_element("id", "cases-text")
    search.send_keys("no-such-case")  # nothing found, then the rows come back when the search is cleared
    wait_until(lambda: driver.find_element("id", "cases-count").text == "共 0 件" and not grid_rows(driver), 30,
               "an empty queue")
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)
    wait_until(lambda: len(grid_rows(driver)) > 1, 30, "the rows back after an empty answer")
    search.send_keys("aj-browser")  # case-insensitive: both of the township's own test cases, never B
    wait_until(lambda: sorted(r["code"] for r in grid_rows(driver)) == ["AJ-BROWSER-A", "AJ-BROWSER-LATE"], 30,
               "the township's two searched cases")
    search.send_keys("-a")
    wait_until(lambda: [r["code"] for r in grid_rows(driver)] == ["AJ-BROWSER-A"], 30, "the searched case alone")

    # the case page: summary, the reporter's phone (an operator calls back), the timeline of the report
    driver.find_element("link text", "AJ-BROWSER-A").click()
    wait_until(lambda: timeline(driver) == ["上报"], 30, "the case's timeline")
    assert driver.current_url.endswith(f"/cases/{world['a']}")
    assert "13812345678" in driver.find_element("id", "case-reports").text
    assert driver.find_element("id", "case-status").get_attribute("data-status") == "reported"
    wait_until(lambda: driver.find_elements("css selector", "#case-map path.cc-case-marker"), 20, "the case on the map")
    assert driver.find_elements("css selector", "#case-map path.cc-case-report-marker")

    # accept: the button of the rule table, the form, and the timeline grows
    driver.find_element("css selector", "button[data-action='accept']").click()
    wait_until(lambda: driver.find_element("id", "case-form-box").is_displayed(), 10, "the accept form")
    driver.find_element("id", "case-submit").click()
    wait_until(lambda: timeline(driver) == ["上报", "受理立案"], 30, "the accept step in the timeline")
    assert driver.find_element("css selector", "#case-message .cc-message").get_attribute("data-kind") == "done"
    assert driver.find_element("id", "case-status").get_attribute("data-status") == "accepted"
    assert world["service"].history(world["a"])[-1].actor == "operator_town"

    # someone else dispatches meanwhile: this page's dispatch comes back "changed by …, reload"
    world["service"].act(world["a"], "dispatch", OPERATOR, {"team_code": world["team"]}, datetime.now(UTC))
    driver.find_element("css selector", "button[data-action='dispatch']").click()
    wait_until(lambda: driver.find_element("id", "case-form-box").is_displayed(), 10, "the dispatch form")
    driver.find_element("id", "case-submit").click()
    message = wait_until(lambda: driver.find_elements("css selector", "#case-message .cc-message[data-kind='conflict']"),
                         30, "the conflict")
    assert "changed by operator at" in message[0].text and "reload" in message[0].text
    driver.find_element("id", "case-reload").click()
    wait_until(lambda: timeline(driver) == ["上报", "受理立案", "派遣"], 30, "the other person's step after reload")
    screenshot(driver, "case_page.png")
    errors = severe(driver)
    assert not errors, errors

    # the other township's case: refused on the page, and its callback refused when called directly
    driver.get(f"{base}/cases/{world['b']}")
    refusal = wait_until(lambda: driver.find_elements("css selector", "[data-refusal='scope']"), 30, "the refusal")
    assert "无权查看此案件" in refusal[0].text and "AJ-BROWSER-B" not in driver.page_source
    errors = severe(driver)
    assert not errors, errors
    status = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const token = document.cookie.split('; ').find(c => c.startsWith('_csrf_token=')).split('=')[1];
        fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json',
              'X-CSRFToken': decodeURIComponent(token)}, body: arguments[0]})
            .then(r => r.text().then(t => done([r.status, t])));""", json.dumps(_show_case_body(world["b"])))
    assert status[0] == 403 and "AJ-BROWSER-B" not in status[1]
    same = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const token = document.cookie.split('; ').find(c => c.startsWith('_csrf_token=')).split('=')[1];
        fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json',
              'X-CSRFToken': decodeURIComponent(token)}, body: arguments[0]})
            .then(r => r.text().then(t => done([r.status, t])));""", json.dumps(_show_case_body(world["a"])))
    assert same[0] == 200 and "AJ-BROWSER-A" in same[1]  # the same call for their own case answers
    assert world["service"].state(world["b"]).seq == 1


def _show_case_body(case_id: int) -> dict[str, Any]:
    """What dash-renderer posts to show a case (the outputs as the page's callback declares them)."""
    outputs = ["case-head.children", "case-summary.children", "case-map-box.children", "case-reports.children",
               "case-timeline.children", "case-actions.children", "case-version.data"]
    return {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in outputs],
        "inputs": [{"id": "case-refresh", "property": "data", "value": 0}, {"id": "lang", "property": "data", "value": "zh"}],
        "state": [{"id": "case-id", "property": "data", "value": case_id}],
        "changedPropIds": ["lang.data"],
    }
