"""Signing in and out: the ``/login`` page, ``/logout``, the session cookie and the CSRF cookie.

``/login`` is a plain Flask page (no Dash, no script): it works before any Dash asset may be loaded, and
the request guard (:func:`dashboard.access.install`) can refuse everything else to anonymous visitors. The
form carries the session's CSRF token; a right password starts a fresh session (new CSRF token, cookie
``_csrf_token`` for dash-renderer) and goes on to the page asked for. Repeated wrong passwords for one
username from one address are refused for a while (in this process).

Cookies: the session (``cc_session``) is signed with :func:`dashboard.secret.secret_key`, HttpOnly,
SameSite=Lax, Secure when ``COOKIE_SECURE=1``, and lasts ``SESSION_HOURS`` (default 12: a shift; a wall
display that keeps polling keeps its session). ``_csrf_token`` is readable by the page's script (that is
its purpose) and is worth nothing without the session it belongs to.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from typing import Any

import flask
from markupsafe import Markup, escape

from dashboard import access
from dashboard.secret import secret_key

MAX_FAILURES = 5
LOCKOUT_S = 600
_failures: dict[tuple[str, str], list[float]] = {}
_failures_lock = threading.Lock()


def install(server: flask.Flask, store: Any, jurisdiction_name: str = "") -> None:
    """Configure the session cookie on ``server`` and add ``/login`` and ``/logout``."""
    server.config.update(
        SECRET_KEY=secret_key(store),
        SESSION_COOKIE_NAME="cc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("COOKIE_SECURE", "") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(os.environ.get("SESSION_HOURS", "12") or 12)),
    )

    @server.route(access.LOGIN_PATH, methods=["GET", "POST"])
    def login() -> Any:
        target = safe_next(flask.request.values.get("next"))
        if flask.request.method == "GET":
            if access.current_actor() is not None:
                return flask.redirect(target)
            return page(store, jurisdiction_name, target)
        username = (flask.request.form.get("username") or "").strip()
        password = flask.request.form.get("password") or ""
        key = (flask.request.remote_addr or "", username.lower())
        if locked_out(key):
            return page(store, jurisdiction_name, target, username,
                        "尝试次数过多，请稍后再试 · Too many attempts: try again in a few minutes"), 429
        from store import accounts

        account = accounts.verify_password(store, username, password) if username and password else None
        if account is None:
            failed(key)
            return page(store, jurisdiction_name, target, username,
                        "用户名或密码不正确 · Wrong username or password"), 401
        if account["problem"]:
            return page(store, jurisdiction_name, target, username,
                        f"此账号无法使用 · This account cannot be used: {account['problem']}"), 403
        with _failures_lock:
            _failures.pop(key, None)
        access.forget_cached_accounts()
        access.begin_session(account)
        return flask.redirect(target)

    @server.route(access.LOGOUT_PATH, methods=["POST"])
    def logout() -> Any:
        access.end_session()
        response = flask.redirect(access.LOGIN_PATH)
        response.delete_cookie(access.CSRF_COOKIE, path="/")
        return response

    @server.after_request
    def csrf_cookie(response: flask.Response) -> flask.Response:
        """Hand dash-renderer the session's CSRF token as the ``_csrf_token`` cookie, when it changed."""
        token = flask.session.get(access.SESSION_CSRF)
        if token and flask.request.cookies.get(access.CSRF_COOKIE) != token and flask.request.path != access.LOGOUT_PATH:
            response.set_cookie(access.CSRF_COOKIE, token, path="/", httponly=False, samesite="Lax",
                                secure=server.config["SESSION_COOKIE_SECURE"])
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or ``http://…``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith((access.LOGIN_PATH, access.LOGOUT_PATH)):
        return "/"
    return target


def locked_out(key: tuple[str, str]) -> bool:
    now = time.monotonic()
    with _failures_lock:
        recent = [t for t in _failures.get(key, ()) if now - t < LOCKOUT_S]
        _failures[key] = recent
        return len(recent) >= MAX_FAILURES


def failed(key: tuple[str, str]) -> None:
    now = time.monotonic()
    with _failures_lock:
        if len(_failures) > 10_000:  # guessing many names must not grow the table without bound
            for stale in [k for k, times in _failures.items() if not times or now - times[-1] >= LOCKOUT_S]:
                del _failures[stale]
        _failures.setdefault(key, []).append(now)


def page(store: Any, jurisdiction_name: str, target: str, username: str = "", error: str = "") -> str:
    """The sign-in page: Chinese first, then English; light or dark after the device's setting."""
    demo = ""
    if getattr(store, "backend", "") == "sqlite":
        demo = (
            '<p class="demo">演示账号（内置数据库）：operator、operator_town、leader、scheduler、team_leader、officer、'
            'admin 等，密码 <code>demo</code>。<br><span lang="en">Demo logins on the embedded store: operator, '
            'operator_town, leader, scheduler, team_leader, officer, admin …, password <code>demo</code>.</span></p>'
        )
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _PAGE.format(
        place=escape(jurisdiction_name),
        alert=Markup(alert),
        username=escape(username),
        csrf=escape(access.csrf_token()),
        field=access.CSRF_FORM_FIELD,
        next=escape(target),
        demo=Markup(demo),
        autofocus_user="" if username else "autofocus",
        autofocus_password="autofocus" if username else "",
    )


_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>登录 · Sign in — 镇街综合行政执法指挥中心</title>
<style>
:root {{ --navy: #0f2540; --navy2: #173a63; --accent: #d9a441; --ink: #1f2d3d; --muted: #6b7a8c;
        --card: #ffffff; --page: #eef2f6; --line: #dfe5ec; --err: #b5470b; }}
@media (prefers-color-scheme: dark) {{
  :root {{ --ink: #e3eaf2; --muted: #9fb0c3; --card: #13233a; --page: #0a1628; --line: #28405f; --err: #ff9b6a; }}
}}
* {{ box-sizing: border-box; }}
body {{ margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--page); color: var(--ink);
       font: 15px/1.5 "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif; }}
main {{ width: min(420px, 92vw); background: var(--card); border: 1px solid var(--line); border-radius: 10px;
       box-shadow: 0 8px 30px rgba(0,0,0,.18); overflow: hidden; }}
header {{ display: flex; gap: 12px; align-items: center; padding: 18px 22px; color: #fff;
         background: linear-gradient(90deg, var(--navy), var(--navy2)); }}
.emblem {{ width: 38px; height: 38px; border-radius: 50%; display: grid; place-items: center; flex: none;
          background: var(--accent); color: var(--navy); font-weight: 700; font-size: 20px; }}
h1 {{ font-size: 17px; margin: 0; letter-spacing: .04em; }}
header p {{ margin: 0; font-size: 12px; color: #b8c7d9; }}
form {{ padding: 20px 22px 8px; display: grid; gap: 12px; }}
label {{ display: grid; gap: 4px; font-size: 13px; color: var(--muted); }}
input[type=text], input[type=password] {{ font: inherit; padding: 9px 11px; border-radius: 6px; color: var(--ink);
       border: 1px solid var(--line); background: transparent; }}
input:focus {{ outline: 2px solid var(--accent); outline-offset: 0; }}
button {{ font: inherit; font-weight: 600; padding: 10px; border: 0; border-radius: 6px; cursor: pointer;
         background: var(--accent); color: var(--navy); margin-top: 4px; }}
.error {{ margin: 0; color: var(--err); font-weight: 600; }}
.demo {{ margin: 0; padding: 8px 22px 20px; font-size: 12px; color: var(--muted); }}
[lang=en] {{ color: var(--muted); }}
</style>
</head>
<body>
<main>
<header><div class="emblem" aria-hidden="true">执</div>
<div><h1>镇街综合行政执法指挥中心</h1><p>Township Enforcement Command Center · {place}</p></div></header>
<form method="post" action="/login" id="login-form">
{alert}
<label>用户名 <span lang="en">Username</span>
<input type="text" name="username" id="login-username" value="{username}" autocomplete="username" required {autofocus_user}></label>
<label>密码 <span lang="en">Password</span>
<input type="password" name="password" id="login-password" autocomplete="current-password" required {autofocus_password}></label>
<input type="hidden" name="{field}" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<button type="submit" id="login-submit">登录 · Sign in</button>
</form>
{demo}
</main>
</body>
</html>
"""
