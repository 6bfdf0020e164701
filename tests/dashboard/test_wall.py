"""The wall display in a real browser, on the real start command with its live feed.

``python -m dashboard`` runs on a fresh SQLite store with ``REDIS_URL`` pointing at the test Redis, so it
starts its ingest worker and simulator there, as the README's first command does. Headless Chromium signs
in as an operator and opens /wall at 1920×1080. We check what the people in the room would: the page fits
the screen, the map draws the townships, teams, open cases and report density, a report appended to the
intake stream shows up on the ticker (its latency printed, not asserted) without the reporter's name or
phone, panels can be pinned, no console errors — and after the server is stopped and started again, the
page says it lost the connection, then carries on by itself, without a reload.

Screenshots go to ``$ARTIFACTS_DIR`` (default /tmp/artifacts): wall_1920x1080.png, wall_3840x2160.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", "/tmp/artifacts"))
DATONG_POINT = (118.1335, 24.7222)  # inside 大同街道 of the demo city


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def dashboard(demo_dir: Path, workdir: Path, port: int, redis_url: str) -> Iterator[str]:
    """``python -m dashboard`` (worker and simulator included) on ``port``, its store and key in ``workdir``."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'store.sqlite'}", "REDIS_URL": redis_url,
           "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    for name in ("TILE_URL", "SECRET_KEY"):
        env.pop(name, None)
    log_path = workdir / f"server-{time.monotonic_ns()}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "dashboard", "--jurisdiction", str(demo_dir), "--rate", "0.5"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "login", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(up, 240, "the dashboard to answer", interval=0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    text = log_path.read_text()
    assert "live feed: ingest worker" in text, text  # the README's first command starts the feed
    assert "Traceback" not in text, text


def append_report(redis_url: str, address: str) -> str:
    """A patrol finding on the live intake stream, as a producer appends it; its external id."""
    import redis

    from ingest.report import Point, Report, SourceRef
    from live.intake import Intake

    external_id = f"wall-test-{uuid.uuid4().hex[:10]}"
    report = Report(channel="patrol", external_id=external_id, received_at=datetime.now(UTC), item_code="ZF001",
                    category="占道经营", source=SourceRef(filename="live/test.json", row=1), address=address,
                    description=f"{address}有流动摊贩占道，报告人张三丰13812345678",
                    point=Point(DATONG_POINT[0], DATONG_POINT[1], "wgs84"),
                    reporter_name="张三丰", reporter_phone="13812345678")
    Intake(redis.Redis.from_url(redis_url)).append(report)
    return external_id


def ticker_text(driver) -> str:
    return driver.execute_script("var e = document.getElementById('wall-ticker'); return e ? e.innerText : '';")


def count(driver, selector: str) -> int:
    return driver.execute_script(f"return document.querySelectorAll({selector!r}).length;")


def severe(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screen(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def test_the_wall_live(demo_dir: Path, tmp_path: Path, redis_url: str, chromium, browser_login) -> None:
    driver = chromium
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    screen(driver, 1920, 1080)
    with dashboard(demo_dir, tmp_path, port, redis_url) as base:
        browser_login(driver, base, "operator", next_path="/wall")
        started = time.monotonic()
        driver.get(base + "wall")

        # the map and its layers: 11 townships, 60 teams at their bases; the status light goes green
        wait_until(lambda: count(driver, "path.wall-township") == 11, 60, "the 11 townships")
        wait_until(lambda: count(driver, ".wall-team") == 60, 60, "the 60 teams")
        wait_until(lambda: "wall-live" in driver.find_element("id", "wall-status").get_attribute("class"), 30,
                   "the status light to say live")
        print(f"\nwall: townships and teams drawn {time.monotonic() - started:.1f} s after opening the page")
        assert count(driver, ".wall-tile") == 7
        layers = driver.find_element("css selector", "#wall-map .leaflet-control-layers").text
        for name in ("镇街", "上报密度", "执法队伍", "在办案件"):
            assert name in layers

        # the simulator's reports reach the ticker once the worker is up
        wait_until(lambda: count(driver, ".wall-ticker-item") > 0, 180, "the simulator's first report on the ticker")

        # a report appended to the intake stream appears on the ticker, masked
        address = f"同安区大同街道验收路{uuid.uuid4().int % 900 + 100}号"
        appended = time.monotonic()
        append_report(redis_url, address)
        wait_until(lambda: address in ticker_text(driver), 30, "the appended report on the ticker", interval=0.02)
        print(f"wall: appended report on the ticker after {time.monotonic() - appended:.2f} s")
        text = ticker_text(driver)
        assert "13812345678" not in text and "张三丰" not in text

        # its case, and the density of the day's reports, on the map; the tiles count it
        wait_until(lambda: count(driver, ".wall-case, .wall-cluster") > 0, 30, "open cases on the map")
        wait_until(lambda: count(driver, "path.wall-density") > 0, 30, "report density on the map")
        wait_until(lambda: int(driver.find_element("css selector", ".wall-tile-reports .wall-tile-value")
                               .text.replace(",", "")) > 0, 10, "today's reports counted")
        assert "在办案件" in driver.find_element("id", "wall-hint").text

        # one screen, no scrolling; then the same at 4K
        size = driver.execute_script("var d = document.documentElement;"
                                     "return [d.scrollWidth, d.scrollHeight, window.innerWidth, window.innerHeight];")
        assert size[0] <= size[2] and size[1] <= size[3], size
        driver.save_screenshot(str(ARTIFACTS / "wall_1920x1080.png"))

        # pin a panel: the rotator stops on it
        driver.find_element("css selector", ".wall-tab-trend").click()
        wait_until(lambda: "wall-show-trend" in driver.find_element("id", "wall-rotator").get_attribute("class"), 5,
                   "the trend panel shown")
        assert "wall-pinned" in driver.find_element("id", "wall-rotator").get_attribute("class")
        assert count(driver, "#wall-trend .main-svg") > 0
        driver.find_element("id", "wall-pin").click()
        wait_until(lambda: "wall-pinned" not in driver.find_element("id", "wall-rotator").get_attribute("class"), 5,
                   "the rotation resumed")

        screen(driver, 3840, 2160)
        time.sleep(1.0)
        size = driver.execute_script("var d = document.documentElement;"
                                     "return [d.scrollWidth, d.scrollHeight, window.innerWidth, window.innerHeight];")
        assert size[0] <= size[2] and size[1] <= size[3], size
        driver.save_screenshot(str(ARTIFACTS / "wall_3840x2160.png"))
        screen(driver, 1920, 1080)
        errors = severe(driver)
        assert not errors, errors

    # the server is gone: the page says so, and keeps asking
    driver.execute_script("window.__sameDocument = true;")  # a reload would forget it
    wait_until(lambda: "wall-offline" in driver.find_element("id", "wall-status").get_attribute("class"), 30,
               "the status light to say offline")
    with dashboard(demo_dir, tmp_path, port, redis_url):
        restarted = time.monotonic()
        wait_until(lambda: "wall-live" in driver.find_element("id", "wall-status").get_attribute("class"), 60,
                   "the page to reconnect by itself")
        print(f"wall: live again {time.monotonic() - restarted:.1f} s after the server answered")
        address = f"同安区大同街道重连路{uuid.uuid4().int % 900 + 100}号"
        append_report(redis_url, address)
        wait_until(lambda: address in ticker_text(driver), 60, "a new report after the restart, without a reload")
        assert driver.execute_script("return window.__sameDocument === true")
