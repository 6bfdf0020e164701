"""The first page in a real browser, served by the real start command (``python -m dashboard``).

A temporary SQLite store is seeded from the session's demo city by the server's own bootstrap (the shared
``dashboard_server`` of tests/dashboard/conftest.py); headless Chromium is sent to the login page first,
signs in as the demo operator, and we check what a user would: the townships drawn and named, no console
errors, no request leaving the machine, the English switch, cells appearing when zoomed in, and the side
panel after a click. The first-page load time is printed (run with ``-s``), never asserted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = "/tmp/first_page.png"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def townships(demo_dir: Path) -> list[dict]:
    data = json.loads((demo_dir / "townships.geojson").read_text(encoding="utf-8"))
    return [feature["properties"] for feature in data["features"]]


def label_texts(driver) -> list[str]:
    """The township labels on the map, read in one script call (they are redrawn when data changes)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.cc-label-townships span')).map(e => e.textContent)"
    )


def test_first_page(dashboard_server: str, chromium, browser_login, townships: list[dict]) -> None:
    driver = chromium
    driver.get(dashboard_server)
    assert "/login?next=/" in driver.current_url  # nobody sees the map before signing in
    browser_login(driver, dashboard_server, "operator")
    assert driver.current_url == dashboard_server

    # the township layer is drawn: one label per township, one path per township polygon
    names = sorted(t["name"] for t in townships)
    wait_until(lambda: sorted(label_texts(driver)) == names, 60, f"the {len(names)} township labels in Chinese")
    paths = driver.find_elements("css selector", "path.cc-layer-townships")
    assert len(paths) == len(townships)
    timing = driver.execute_script(
        """const mark = performance.getEntriesByName('cc:townships-labels')[0];
           const nav = performance.getEntriesByType('navigation')[0];
           return {labels: mark ? mark.startTime : null, dom: nav ? nav.domContentLoadedEventEnd : null,
                   now: performance.now()};"""
    )
    print(f"\nfirst page: {timing['labels']:.0f} ms from navigation start to the township layer drawn "
          f"(DOMContentLoaded {timing['dom']:.0f} ms; polled at {timing['now']:.0f} ms)")

    # the map says its boundaries are demo boundaries, in the attribution and the legend
    attribution = driver.find_element("css selector", ".leaflet-control-attribution").text
    assert "示意边界" in attribution
    assert "示意边界" in driver.find_element("css selector", ".cc-legend").text
    assert "放大查看单元网格" in driver.find_element("id", "jur-hint").text
    driver.save_screenshot(SCREENSHOT)

    # English: the switch relabels townships, the layer switcher and the header
    driver.find_element("xpath", "//label[contains(., 'English')]").click()
    english = sorted(t["name_en"] for t in townships)
    wait_until(lambda: sorted(label_texts(driver)) == english, 30, "the township labels in English")
    assert "Township Enforcement Command Center" in driver.find_element("css selector", ".cc-header").text
    assert "Townships" in driver.find_element("css selector", ".leaflet-control-layers").text
    assert "demo boundaries" in driver.find_element("css selector", ".leaflet-control-attribution").text
    assert driver.execute_script("return window.localStorage.getItem('lang')") == '"en"'

    # tick the patrol zones: they are drawn, and the other ticked layers stay ticked
    assert not driver.find_elements("css selector", "path.cc-layer-zones")
    driver.find_element("xpath", "//label[contains(., 'Patrol zones')]").click()
    wait_until(lambda: driver.find_elements("css selector", "path.cc-layer-zones"), 10, "the zones drawn")

    # zoom in to 15: cells of the viewport appear, and the hint counts them
    zoom_in = driver.find_element("css selector", ".leaflet-control-zoom-in")
    assert not driver.find_elements("css selector", "path.cc-layer-cells")
    for _ in range(4):
        zoom_in.click()
        time.sleep(0.4)
    def cells_drawn_and_counted() -> int:
        paths, hint = driver.execute_script(
            "return [document.querySelectorAll('path.cc-layer-cells').length,"
            " document.getElementById('jur-hint').textContent]"
        )
        return paths if paths and hint == f"Unit grid cells shown: {paths:,}" else 0

    cells = wait_until(cells_drawn_and_counted, 30, "cells at zoom ≥ 15, drawn and counted in the hint")
    assert 100 < cells <= 12_000
    driver.save_screenshot("/tmp/first_page_cells.png")

    # a click in the middle of the map fills the side panel with the chain township → cell
    driver.find_element("id", "jur-map").click()
    wait_until(lambda: driver.find_elements("css selector", "#jur-panel [data-layer='cells']"), 20, "the panel")
    panel = driver.find_element("id", "jur-panel").text
    assert "Unit grid cells" in panel and "Townships" in panel and "demo boundaries" in panel
    assert any(name in panel for name in english)
    driver.save_screenshot("/tmp/first_page_click.png")

    # nothing was fetched from outside the machine, and the console stayed clean
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat(performance.getEntriesByType('navigation').map(e => e.name))"
    )
    assert urls, "no resource timing entries: the check below would be empty"
    outside = [u for u in urls if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).hostname not in LOOPBACK]
    assert not outside, f"requests to hosts outside the machine: {outside}"
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, f"console errors: {severe}"
