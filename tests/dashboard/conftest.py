"""Dashboard fixtures: one app per process, signed-in test clients, a real server and a signed-in browser.

For Flask test-client tests (no browser)::

    def test_my_callback(dashboard_app, sign_in):
        client = sign_in("operator")                       # a demo login, password "demo"
        response = client.callback({...body of /_dash-update-component...})
        assert response.status_code == 200

``dashboard_app`` is built once per test process (Dash pages register global callbacks: a second
``create_app`` would have none), on a SQLite store seeded from the session's demo city with the demo
accounts (:data:`ROLE_LOGINS`). ``sign_in(username)`` returns a :class:`SignedInClient`: a Flask test
client with the session cookie, whose ``callback(body)`` POSTs to ``/_dash-update-component`` with the
``X-CSRFToken`` header dash-renderer would send.

For browser tests::

    @pytest.mark.browser
    def test_wall(dashboard_server, chromium, browser_login):
        browser_login(chromium, dashboard_server, "operator")     # then chromium is on dashboard_server
        chromium.get(dashboard_server + "wall")

``dashboard_server`` is ``python -m dashboard`` (the real start command) on a free loopback port, its store
a fresh SQLite file seeded at start, shared by the whole test session; :func:`start_dashboard` starts
another one with extra environment (e.g. ``REDIS_URL``) when a test needs its own.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo"
ROLE_LOGINS = {
    "operator": "operator",  # district operator (sees personal data)
    "operator_town": "operator_town",  # operator of one township
    "leader": "leader",
    "leader_town": "leader_town",
    "scheduler": "scheduler",
    "team_leader": "team_leader",
    "officer": "officer",
    "supervisor": "supervisor",
    "legal_reviewer": "legal",
    "department_liaison": "liaison",
    "admin": "admin",
}
"""Role (or a township variant) → the demo username; every demo password is ``demo``."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """The first truthy value of ``predicate()``, polled until ``timeout`` seconds (then fail naming ``what``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# ------------------------------------------------------------------------------------- test client


@pytest.fixture(scope="session")
def dashboard_runtime(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The runtime of ``python -m dashboard`` on a fresh SQLite store seeded with the demo city and the
    demo accounts (once per test session)."""
    from dashboard import bootstrap

    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'store.sqlite'}"
    runtime = bootstrap.prepare(demo_dir, url)
    yield runtime
    runtime.store.close()


@pytest.fixture(scope="session")
def dashboard_app(dashboard_runtime):
    """The Dash app serving :func:`dashboard_runtime` — the only one in the test process."""
    from dashboard.app import create_app

    return create_app(dashboard_runtime)


class SignedInClient:
    """A Flask test client with a session: ``get``/``post`` as usual, ``callback`` for Dash callbacks."""

    def __init__(self, client: Any, username: str | None) -> None:
        self.client = client
        self.username = username

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    @property
    def csrf(self) -> str | None:
        """The CSRF token the server set in the ``_csrf_token`` cookie (None before any)."""
        cookie = self.client.get_cookie("_csrf_token")
        return cookie.value if cookie is not None else None

    def callback(self, body: dict[str, Any], csrf: bool = True) -> Any:
        """POST ``body`` to ``/_dash-update-component``, with the ``X-CSRFToken`` header unless ``csrf=False``."""
        headers = {"X-CSRFToken": self.csrf} if csrf and self.csrf else {}
        return self.client.post("/_dash-update-component", json=body, headers=headers)


def sign_in_client(app: Any, username: str | None, password: str = DEMO_PASSWORD) -> SignedInClient:
    """A fresh test client of ``app`` signed in through the login form (None: an anonymous client)."""
    client = app.server.test_client()
    if username is None:
        return SignedInClient(client, None)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, f"sign-in as {username} failed ({response.status_code})"
    return SignedInClient(client, username)


@pytest.fixture
def sign_in(dashboard_app) -> Callable[..., SignedInClient]:
    """``sign_in("operator")`` → a :class:`SignedInClient` of :func:`dashboard_app` (a key of
    :data:`ROLE_LOGINS` or any username; ``None`` for an anonymous client)."""

    def signed_in(who: str | None, password: str = DEMO_PASSWORD) -> SignedInClient:
        return sign_in_client(dashboard_app, ROLE_LOGINS.get(who, who) if who else None, password)

    return signed_in


# ----------------------------------------------------------------------------------------- browser


@contextmanager
def start_dashboard(demo_dir: Path, workdir: Path, env: dict[str, str] | None = None,
                    timeout: float = 240) -> Iterator[str]:
    """``python -m dashboard`` on a free loopback port with its own SQLite store (seeded at start, demo
    accounts created) in ``workdir``; yields its base URL (ending in ``/``) and stops it afterwards.
    ``env`` adds or overrides environment variables (``None`` values remove one)."""
    port = free_port()
    log_path = workdir / "server.log"
    environ = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'store.sqlite'}", "HOST": "127.0.0.1",
               "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    for name in ("TILE_URL", "SECRET_KEY"):
        environ.pop(name, None)
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "--jurisdiction", str(demo_dir)],
            cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
        )
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
        wait_until(up, timeout, "the dashboard to answer", interval=0.5)
        print("\n" + "".join(line for line in log_path.read_text().splitlines(keepends=True) if " dashboard: " in line))
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def dashboard_server(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT/``) of one ``python -m dashboard`` for the test session."""
    with start_dashboard(demo_dir, tmp_path_factory.mktemp("server")) as url:
        yield url


def login_in_browser(driver: Any, base_url: str, who: str, password: str = DEMO_PASSWORD,
                     next_path: str = "/") -> None:
    """Sign ``driver`` in on ``base_url`` as ``who`` (a key of :data:`ROLE_LOGINS` or a username) through the
    login form, and wait until the browser has left the login page."""
    username = ROLE_LOGINS.get(who, who)
    driver.get(f"{base_url.rstrip('/')}/login?next={next_path}")
    wait_until(lambda: driver.find_elements("id", "login-username"), 20, "the login form")
    driver.find_element("id", "login-username").send_keys(username)
    driver.find_element("id", "login-password").send_keys(password)
    driver.find_element("id", "login-submit").click()
    wait_until(lambda: "/login" not in driver.current_url, 20, f"signing in as {username}")
    assert driver.get_cookie("_csrf_token"), "signed in without a CSRF cookie"


@pytest.fixture
def browser_login() -> Callable[..., None]:
    """``browser_login(chromium, dashboard_server, "operator", next_path="/wall")``: see
    :func:`login_in_browser`."""
    return login_in_browser
