"""Shared fixtures: the demo city and the real services the tests talk to.

Tests that need PostGIS, Redis or Chromium are marked (``postgis``, ``redis``, ``browser``). On a bare
laptop a missing service skips them; with ``REQUIRE_SERVICES=1`` (as CI sets it) a missing service fails
the test instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
DEFAULT_POSTGIS_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def service_missing(what: str) -> None:
    """Skip on a laptop, fail in CI: a required service that is missing is a failure, never a skip."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {what}", pytrace=False)
    pytest.skip(f"service missing: {what}")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city, generated once per test session into a temporary folder."""
    from data.demo_city import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out)
    return out


@pytest.fixture(scope="session")
def postgis_server_url() -> Iterator[str]:
    """A fresh PostGIS database on the test server, dropped at the end of the session."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    base = os.environ.get("TEST_POSTGIS_URL", DEFAULT_POSTGIS_URL)
    try:
        admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("select 1")
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        service_missing(f"PostgreSQL at {base} ({exc.__class__.__name__})")
    name = f"cc_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    url = sqlalchemy.engine.make_url(base).set(database=name)
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("create extension if not exists postgis")
    except Exception as exc:  # noqa: BLE001
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}"')
        service_missing(f"PostGIS extension on {base} ({exc})")
    engine.dispose()
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An embedded SQLite store in a fresh file."""
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on both backends: embedded SQLite and a real PostGIS."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("postgis_url")


@pytest.fixture
def postgis_url(postgis_server_url: str) -> Iterator[str]:
    """The session's PostGIS database, emptied of the product's tables after each test."""
    yield postgis_server_url
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgis_server_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("drop schema if exists public cascade")
        conn.exec_driver_sql("create schema public")
        conn.exec_driver_sql("create extension if not exists postgis")
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    """A real Redis server, database 15 flushed before the test."""
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        service_missing(f"Redis at {url} ({exc.__class__.__name__})")
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def chromium(tmp_path: Path):
    """A real headless Chromium driven through chromedriver, with browser console logs enabled."""
    webdriver = pytest.importorskip("selenium.webdriver")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        service_missing("chromium and chromedriver (Debian packages chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", "--no-first-run", "--window-size=1920,1080",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(service=service, options=options)
    yield driver
    driver.quit()
