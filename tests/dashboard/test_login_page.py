"""Signing in and out in a real browser, and a role kept out of a page it may not open — also when the
browser asks the server directly (the page URL, an in-app navigation, the callback URL with fetch).

Served by ``python -m dashboard`` (the shared ``dashboard_server``) with its demo accounts. Screenshots:
/tmp/login_page.png, /tmp/accounts_page.png (1920×1080).
"""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACCOUNTS_CALL = {
    "output": "acc-table.children",
    "outputs": {"id": "acc-table", "property": "children"},
    "inputs": [{"id": "acc-role", "property": "value", "value": None},
               {"id": "lang", "property": "data", "value": "zh"}],
    "changedPropIds": ["acc-role.value"],
    "state": [],
}
FETCH_CALLBACK = """
const [body, done] = arguments;
const token = document.cookie.split('; ').find(c => c.startsWith('_csrf_token='));
fetch('/_dash-update-component', {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRFToken': token ? token.split('=')[1] : ''},
      body: JSON.stringify(body)})
  .then(r => r.text().then(t => done([r.status, t])), e => done([0, String(e)]));
"""


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def severe(driver, allowed: str = "") -> list[dict]:
    """Console errors since the last call (Chrome logs a refused request as one: pass its URL part)."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and not (allowed and allowed in e["message"])]


def test_sign_in_wrong_password_and_sign_out(dashboard_server: str, chromium) -> None:
    driver = chromium
    driver.get(dashboard_server + "accounts")
    assert driver.current_url == dashboard_server + "login?next=/accounts"
    assert "用户名" in driver.page_source and "Username" in driver.page_source
    driver.save_screenshot("/tmp/login_page.png")

    driver.find_element("id", "login-username").send_keys("leader")
    driver.find_element("id", "login-password").send_keys("not-the-password")
    driver.find_element("id", "login-submit").click()
    wait_until(lambda: driver.find_elements("css selector", "p.error"), 10, "the error message")
    assert "用户名或密码不正确" in driver.find_element("css selector", "p.error").text
    assert driver.find_element("id", "login-username").get_attribute("value") == "leader"  # typed name kept
    assert severe(driver, "/login") == []  # only the 401 of the refused form

    driver.find_element("id", "login-password").send_keys("demo")
    driver.find_element("id", "login-submit").click()
    # a leader asked for /accounts: the server refuses the page itself
    wait_until(lambda: "/login" not in driver.current_url, 10, "leaving the login page")
    assert driver.current_url == dashboard_server + "accounts"
    assert "无权访问" in driver.find_element("tag name", "body").text
    assert severe(driver, "/accounts") == []

    driver.get(dashboard_server)
    wait_until(lambda: driver.find_elements("id", "cc-user-name"), 20, "the signed-in user in the header")
    assert driver.find_element("id", "cc-user-role").get_attribute("data-role") == "leader"
    nav = driver.find_element("css selector", ".cc-nav").text
    assert "辖区地图" in nav and "账号管理" not in nav
    assert driver.get_cookie("cc_session")["httpOnly"] is True
    assert driver.get_cookie("_csrf_token")["httpOnly"] is False

    driver.find_element("id", "cc-logout").click()
    wait_until(lambda: "/login" in driver.current_url, 10, "the login page after signing out")
    driver.get(dashboard_server)
    assert "/login" in driver.current_url
    assert severe(driver) == []


def test_a_role_cannot_open_or_call_what_it_may_not(dashboard_server: str, chromium, browser_login) -> None:
    driver = chromium
    browser_login(driver, dashboard_server, "officer")
    wait_until(lambda: driver.find_elements("css selector", ".cc-label-townships span"), 60, "the first page")
    # an in-app navigation (no page load): the pages callback answers with the refusal, not the page
    driver.execute_script("window.history.pushState({}, '', '/accounts');"
                          "window.dispatchEvent(new PopStateEvent('popstate'));")
    wait_until(lambda: driver.find_elements("css selector", "[data-refusal='role']"), 20, "the refusal layout")
    assert not driver.find_elements("id", "acc-table")
    # the callback URL asked directly from the page, with the session and the CSRF token: 403
    status, body = driver.execute_async_script(FETCH_CALLBACK, ACCOUNTS_CALL)
    assert status == 403 and "operator_town" not in body
    assert severe(driver, "_dash-update-component") == []

    driver.delete_all_cookies()
    browser_login(driver, dashboard_server, "admin", next_path="/accounts")
    wait_until(lambda: driver.find_elements("css selector", "#acc-table tr[data-username]"), 30, "the accounts")
    names = {e.get_attribute("data-username") for e in driver.find_elements("css selector", "#acc-table tr[data-username]")}
    assert {"operator", "operator_town", "leader", "scheduler", "team_leader", "officer", "admin"} <= names
    assert "账号管理" in driver.find_element("css selector", ".cc-nav").text
    status, _ = driver.execute_async_script(FETCH_CALLBACK, ACCOUNTS_CALL)
    assert status == 200
    driver.save_screenshot("/tmp/accounts_page.png")
    assert severe(driver) == []
