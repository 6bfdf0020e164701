"""The daily situation map (/situation) and the township board (/townships) in real headless Chromium,
served by ``python -m dashboard``.

The store is prepared before the server starts: the demo city and simulated casework in two townships
(the demo township users' and another) over the last day and a half, so today and yesterday have reports,
open and overdue cases. A district leader opens the situation map (figures, map layers, charts, league,
overdue owners; no console error), downloads the PDF brief (a valid one-page PDF) and the Excel tables;
a township leader opens it on a phone (390 × 844: one column, nothing wider than the screen); the board
drills down into a township. Screenshots (1920 × 1080, and the phone) go to ``ARTIFACTS_DIR`` (default
/tmp/artifacts).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from briefing.period import local_today
from sim import Settings, simulate
from store import accounts, open_store
from tests.dashboard.conftest import login_in_browser, start_dashboard, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", "/tmp/artifacts"))


@pytest.fixture(scope="module")
def world(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The prepared store and the server on it."""
    workdir = tmp_path_factory.mktemp("situation-server")
    store = open_store(f"sqlite:///{workdir / 'store.sqlite'}")
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    town = next(a for a in accounts.demo_accounts(store) if a["username"] == "leader_town")["township_code"]
    other = next(code for code in sorted(store.townships()["code"]) if code != town)
    names = {str(r.code): r.name for r in store.townships().itertuples()}
    now = datetime.now(UTC)
    simulate(store, Settings(start=now - timedelta(hours=36), days=1.5, per_day=60, seed=81, townships=(town, other)))
    store.close()
    with start_dashboard(demo_dir, workdir) as base:
        yield {"base": base.rstrip("/"), "town": town, "other": other, "names": names}


def viewport(driver: Any, width: int, height: int, mobile: bool = False) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def screenshot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def severe(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def count(driver: Any, selector: str) -> int:
    return int(driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector))


def downloaded(folder: Path, suffix: str) -> Path | None:
    done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
    return done[0] if done and not list(folder.glob("*.crdownload")) else None


def test_a_district_leader_reads_the_day_and_downloads_the_brief(world: dict[str, Any], chromium, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    from openpyxl import load_workbook

    driver = chromium
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    viewport(driver, 1920, 1080)
    login_in_browser(driver, world["base"], "leader", next_path="/situation")
    today = local_today()
    driver.get(f"{world['base']}/situation?start={today - timedelta(days=1)}&end={today}")  # the simulated 36 hours

    wait_until(lambda: count(driver, "#sit-tiles .sit-tile") == 7, 60, "the seven figures")
    wait_until(lambda: count(driver, "#sit-map path.cc-layer-townships") >= 11, 60, "the township outlines")
    wait_until(lambda: count(driver, "#sit-map path.sit-density") > 0, 60, "the report density")
    wait_until(lambda: count(driver, "#sit-map .sit-case, #sit-map .sit-cluster") > 0, 60, "the open cases")
    wait_until(lambda: count(driver, "#sit-compare .bars .point path") > 0, 60, "the township bars")
    wait_until(lambda: count(driver, "#sit-trend .scatterlayer .trace") == 4, 60, "the trend's four lines")
    wait_until(lambda: count(driver, ".sit-league-table tbody tr") == 11, 60, "the league")
    reports = int(driver.find_element("css selector", ".sit-tile-reports .sit-tile-value").text.replace(",", ""))
    assert reports > 0, "the simulated reports should be counted"
    assert count(driver, ".sit-owners-table tbody tr") > 0, "the overdue cases' owners should be listed"
    screenshot(driver, "situation.png")

    driver.find_element("id", "sit-pdf").click()
    pdf = wait_until(lambda: downloaded(downloads, ".pdf"), 90, "the PDF brief")
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    assert len(reader.pages) == 1 and "每日简报" in reader.pages[0].extract_text()
    assert pdf.name.startswith("每日简报-")
    driver.find_element("id", "sit-xlsx").click()
    book = wait_until(lambda: downloaded(downloads, ".xlsx"), 90, "the Excel tables")
    assert "排名 League" in load_workbook(book).sheetnames
    assert severe(driver) == []


def test_a_township_leader_reads_the_situation_on_a_phone(world: dict[str, Any], chromium) -> None:
    driver = chromium
    login_in_browser(driver, world["base"], "leader_town", next_path="/situation")
    viewport(driver, 390, 844, mobile=True)
    driver.get(world["base"] + "/situation")
    wait_until(lambda: count(driver, "#sit-tiles .sit-tile") == 7, 60, "the seven figures")
    wait_until(lambda: count(driver, "#sit-map path.cc-layer-townships") == 1, 60, "their township's outline")
    tiles = driver.execute_script("""return Array.from(document.querySelectorAll('#sit-tiles .sit-tile'))
        .slice(0, 3).map(t => t.getBoundingClientRect()).map(r => [r.left, r.top, r.width]);""")
    assert tiles[0][1] == tiles[1][1] and tiles[2][1] > tiles[0][1], "two figures a row on a phone"
    assert tiles[0][2] < 200
    map_box = driver.execute_script("return document.getElementById('sit-map').getBoundingClientRect().toJSON()")
    assert map_box["width"] <= 390 and map_box["height"] > 300
    assert driver.execute_script("return document.querySelector('.sit-page').scrollWidth") <= 390
    township = driver.find_element("id", "sit-township")
    assert world["names"][world["town"]] in township.text
    assert world["names"][world["other"]] not in driver.find_element("id", "sit-compare").text
    screenshot(driver, "situation_phone.png")
    driver.execute_script("document.querySelector('.sit-card-map').scrollIntoView()")
    screenshot(driver, "situation_phone_map.png")
    assert severe(driver) == []


def test_the_township_board_drills_down_into_a_township(world: dict[str, Any], chromium) -> None:
    driver = chromium
    viewport(driver, 1920, 1080)
    login_in_browser(driver, world["base"], "supervisor", next_path="/townships")
    driver.get(world["base"] + "/townships")
    wait_until(lambda: count(driver, ".tw-loop-table tbody tr") == 11, 60, "a row per township")
    wait_until(lambda: count(driver, "#tw-funnel .funnellayer .point") == 5, 60, "the funnel's five stages")
    wait_until(lambda: count(driver, ".tw-league-table tbody tr") == 11, 60, "the league")
    assert count(driver, ".tw-steps-table tbody tr") == 11
    screenshot(driver, "townships.png")
    name = world["names"][world["town"]]
    button = next(b for b in driver.find_elements("css selector", ".tw-pick") if b.text == name)
    button.click()
    wait_until(lambda: "tw-hidden" not in driver.find_element("id", "tw-drill").get_attribute("class"), 30,
               "the drill-down")
    wait_until(lambda: count(driver, "#tw-communities .tw-loop-table tbody tr") > 3, 30, "the township's communities")
    assert name in driver.find_element("id", "tw-drill-title").text
    assert count(driver, "#tw-teams .tw-loop-table tbody tr") > 1
    driver.execute_script("document.getElementById('tw-drill').scrollIntoView()")
    screenshot(driver, "townships_drill.png")
    assert severe(driver) == []
