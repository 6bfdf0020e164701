"""Who is asking, and may they? The one place every page, callback and route asks it, on the server.

Hiding a button is not a check: each Dash callback that reads or changes case data is wrapped in
:func:`require` (or calls :func:`check` first), each page's layout in :func:`page_roles`, and the hook that
:func:`install` puts in front of every request refuses anonymous callers, a POST without the session's CSRF
token, and a page URL the role may not open.

Usage in a page module::

    from cases.states import Role
    from dashboard.access import current_actor, page_roles, require, scope_frame, may_see_personal_data

    ROLES = (Role.OPERATOR, Role.LEADER, Role.ADMIN)
    dash.register_page(__name__, path="/cases", roles=ROLES, ...)   # the header hides it from others

    @page_roles(*ROLES)                 # others get a polite "not allowed" / "please log in" layout
    def layout(**query): ...

    @callback(Output(...), Input(...))
    @require(*ROLES)                    # under @callback: refused with HTTP 403 for anyone else
    def refresh(...):
        actor = current_actor()
        frame = scope_frame(actor, cases_frame)            # a township user sees their township only

Sessions: the signed Flask session cookie (HttpOnly, SameSite=Lax) holds the username, a stamp of the
password hash (a password change or deactivation ends every session of that user) and the CSRF token. The
account behind it is read from the store at most every few seconds per process, so a role or township
change takes effect without signing in again. dash-renderer sends the value of the ``_csrf_token`` cookie
as the ``X-CSRFToken`` header on every callback POST; the hook compares it with the session's token.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import quote

import flask
from werkzeug.exceptions import Forbidden

from cases.permissions import Actor
from cases.states import Role

F = TypeVar("F", bound=Callable[..., Any])

SESSION_USER = "cc_user"
SESSION_STAMP = "cc_stamp"
SESSION_CSRF = "cc_csrf"
CSRF_COOKIE = "_csrf_token"  # the name dash-renderer reads (made for Flask-SeaSurf)
CSRF_HEADER = "X-CSRFToken"
CSRF_FORM_FIELD = "csrf_token"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
ACCOUNT_TTL_S = 5.0
"""How long one process trusts an account it read from the store before reading it again."""

HUMAN_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.SYSTEM)
"""Everyone who can sign in."""

PERSONAL_DATA_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})
"""Roles that call reporters back and therefore see names and phone numbers unmasked."""

PUBLIC_PREFIXES = ("/assets/", "/_favicon.ico", "/favicon.ico")
"""Reachable without a session: the login page's stylesheet and the icon."""

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotSignedIn(Forbidden):
    """No valid session: the caller must sign in (HTTP 403 for callbacks and API routes)."""

    description = "请先登录 · please sign in"


class NotAllowed(Forbidden):
    """Signed in, but the role (or township scope) does not allow this (HTTP 403)."""

    description = "无权访问 · not allowed for your role"


class CSRFRefused(Forbidden):
    """A state-changing request without the session's CSRF token (HTTP 403)."""

    description = "CSRF token missing or wrong: reload the page"


# ----------------------------------------------------------------------------------------------- who


def current_actor() -> Actor | None:
    """The signed-in person of the current request as a :class:`cases.permissions.Actor`, or None.

    None outside a request, without a session, or when the account is gone, deactivated or its password
    changed since the session began.
    """
    if not flask.has_request_context():
        return None
    if "cc_actor" in flask.g:
        return flask.g.cc_actor
    actor = _actor_from_session()
    flask.g.cc_actor = actor
    return actor


def current_account() -> dict[str, Any] | None:
    """The signed-in account (username, display_name, role, township_code, teams, department), or None."""
    if current_actor() is None:
        return None
    return flask.g.get("cc_account")


def check(*roles: Role) -> Actor:
    """The signed-in actor, or raise 403: :class:`NotSignedIn` without a session, :class:`NotAllowed` when
    ``roles`` are given and the actor's role is not among them (no roles: any signed-in person)."""
    actor = current_actor()
    if actor is None:
        raise NotSignedIn()
    if roles and actor.role not in roles:
        raise NotAllowed(f"无权访问 · {actor.label} may not do this (allowed: {', '.join(r.value for r in roles)})")
    return actor


def require(*roles: Role) -> Callable[[F], F]:
    """Decorator for Dash callbacks and Flask views: :func:`check` before the function runs.

    Place it *under* ``@callback`` (so Dash registers the checked function). A refused call raises an
    HTTP 403 (``werkzeug.exceptions.Forbidden``): dash-renderer updates nothing, and a direct POST to
    ``/_dash-update-component`` gets a 403 response.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            check(*roles)
            return function(*args, **kwargs)

        checked.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def allowed(actor: Actor | None, roles: Iterable[Role] | None) -> bool:
    """May ``actor`` open something limited to ``roles`` (None or empty: any signed-in person)?"""
    if actor is None:
        return False
    roles = frozenset(roles or ())
    return not roles or actor.role in roles


# --------------------------------------------------------------------------------------------- pages


def page_roles(*roles: Role) -> Callable[[F], F]:
    """Decorator for a Dash page's ``layout``: others get a polite refusal layout instead.

    Without a session the layout says "please sign in" with a link to the login page; with a role not in
    ``roles`` it says "not allowed". The roles are kept on the function (``allowed_roles``) so the request
    hook refuses a direct GET of the page's URL with 403 too; pass the same ``roles=`` to
    ``dash.register_page`` so the header hides the link.
    """

    def decorate(layout: F) -> F:
        @functools.wraps(layout)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor is None:
                return refusal_layout(signed_in=False)
            if not allowed(actor, roles):
                return refusal_layout(signed_in=True, actor=actor)
            return layout(*args, **kwargs)

        guarded.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def page_allowed_roles(page: dict[str, Any]) -> frozenset[Role]:
    """The roles a registered Dash page admits (``roles=`` of register_page, else its layout's
    ``allowed_roles``); empty means any signed-in person."""
    roles = page.get("roles") or getattr(page.get("layout"), "allowed_roles", None) or ()
    return frozenset(Role(r) for r in roles)


def refusal_layout(signed_in: bool, actor: Actor | None = None) -> Any:
    """The polite page shown instead of one the visitor may not open."""
    from dash import html

    if not signed_in:
        title, detail = "请先登录 · Please sign in", "登录后才能查看此页面。 You need to sign in to open this page."
        link = html.A("登录 · Sign in", href=LOGIN_PATH, className="cc-refusal-link")
    else:
        title = "无权访问 · Not allowed"
        who = actor.role.label if actor else ""
        detail = f"您的角色（{who}）不能打开此页面。 Your role ({who}) may not open this page."
        link = html.A("返回首页 · Back to the first page", href="/", className="cc-refusal-link")
    return html.Div(
        [html.H2(title), html.P(detail), link],
        className="cc-page cc-refusal",
        **{"data-refusal": "login" if not signed_in else "role"},
    )


# --------------------------------------------------------------------------------------------- scope


def in_scope(actor: Actor | None, township_code: str | None) -> bool:
    """May ``actor`` see data of ``township_code``? District users (no township) see every township."""
    if actor is None:
        return False
    return actor.township_code is None or township_code == actor.township_code


def check_scope(actor: Actor | None, township_code: str | None) -> None:
    """Raise :class:`NotAllowed` (403) when ``township_code`` is outside the actor's township."""
    if actor is None:
        raise NotSignedIn()
    if not in_scope(actor, township_code):
        raise NotAllowed(f"无权访问 · {actor.label} works in township {actor.township_code}, not {township_code}")


def scope_select(actor: Actor | None, select: Any, column: Any) -> Any:
    """A SQLAlchemy ``Select`` limited to the actor's township: ``column`` is its township-code column.

    District users get the select unchanged; without an actor nothing matches.
    """
    import sqlalchemy as sa

    if actor is None:
        return select.where(sa.false())
    if actor.township_code is None:
        return select
    return select.where(column == actor.township_code)


def scope_frame(actor: Actor | None, frame: Any, column: str = "township_code") -> Any:
    """The rows of a pandas/geopandas frame within the actor's township (a copy; all rows for district
    users, none without an actor)."""
    if actor is None:
        return frame.iloc[0:0].copy()
    if actor.township_code is None:
        return frame
    return frame.loc[frame[column] == actor.township_code].copy()


def scoped(actor: Actor | None, data: Any, column: Any = "township_code") -> Any:
    """:func:`scope_select` for a SQLAlchemy select (``column`` a column), :func:`scope_frame` for a frame."""
    if hasattr(data, "iloc"):
        return scope_frame(actor, data, column if isinstance(column, str) else column.key)
    if isinstance(column, str):
        column = data.selected_columns[column]
    return scope_select(actor, data, column)


# ----------------------------------------------------------------------------------------- personal


def may_see_personal_data(actor: Actor | None) -> bool:
    """Reporter names and phone numbers unmasked: operators (they call back) and administrators only."""
    return actor is not None and actor.role in PERSONAL_DATA_ROLES


def reporter_view(actor: Actor | None, name: str | None, phone: str | None,
                  text: str | None = None) -> tuple[str | None, str | None, str | None]:
    """(name, phone, text) as ``actor`` may see them: whole for :func:`may_see_personal_data`, else
    masked the way :mod:`ingest.privacy` prints them (the free text with the phones and the name masked)."""
    if may_see_personal_data(actor):
        return name, phone, text
    from ingest.privacy import mask_name, mask_phone, mask_text

    return mask_name(name), mask_phone(phone), mask_text(text, name)


# ----------------------------------------------------------------------------------- session + hooks


def begin_session(account: dict[str, Any]) -> str:
    """Sign ``account`` in on the current response's session; returns the new CSRF token.

    The session is cleared first (no fixation of anything set before sign-in).
    """
    flask.session.clear()
    flask.session[SESSION_USER] = account["username"]
    flask.session[SESSION_STAMP] = account["stamp"]
    token = secrets.token_urlsafe(32)
    flask.session[SESSION_CSRF] = token
    flask.session.permanent = True
    flask.g.pop("cc_actor", None)
    return token


def end_session() -> None:
    """Forget the signed-in person (the CSRF cookie is removed by the logout response)."""
    flask.session.clear()
    flask.g.cc_actor = None


def csrf_token() -> str:
    """The session's CSRF token, created when missing (the login form uses one before anyone signs in)."""
    token = flask.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        flask.session[SESSION_CSRF] = token
    return token


def csrf_ok(sent: str | None) -> bool:
    """Does ``sent`` equal the session's CSRF token (compared in constant time)?"""
    token = flask.session.get(SESSION_CSRF)
    return bool(token and sent and hmac.compare_digest(str(token), str(sent)))


def install(app: Any) -> None:
    """Guard every request of the Dash app (or Flask server) ``app``; call once in ``create_app``.

    - ``/login``, ``/assets/…`` and the icon are public;
    - anonymous: a GET of a page redirects to ``/login?next=…``; anything else (``/_dash-*`` callbacks,
      layout, dependencies, ``/api/…``, any POST) is refused with 403;
    - POST/PUT/PATCH/DELETE must carry the session's CSRF token (header ``X-CSRFToken``, or the form
      field ``csrf_token``), else 403 — the login form included;
    - a GET of a page whose roles exclude the signed-in role: 403 with the refusal text.
    """
    server = getattr(app, "server", app)
    dash_app = app if hasattr(app, "server") else None

    @server.before_request
    def _guard() -> Any:
        request = flask.request
        path = request.path
        if request.method in _UNSAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FORM_FIELD)
            if not csrf_ok(sent):
                raise CSRFRefused()
        if path == LOGIN_PATH or path.startswith(PUBLIC_PREFIXES):
            return None
        actor = current_actor()
        if actor is None:
            if request.method == "GET" and not path.startswith(("/_", "/api/")):
                target = request.full_path.rstrip("?") if request.query_string else path
                return flask.redirect(f"{LOGIN_PATH}?next={quote(target, safe='/')}")
            raise NotSignedIn()
        if request.method == "GET" and dash_app is not None and not path.startswith("/_"):
            page = _page_for(dash_app, path)
            if page is not None and not allowed(actor, page_allowed_roles(page)):
                raise NotAllowed(f"无权访问 · {actor.label} may not open {path}")
        return None


def _page_for(dash_app: Any, path: str) -> dict[str, Any] | None:
    from dash._pages import _path_to_page

    page, _ = _path_to_page(dash_app.strip_relative_path(path))
    return page or None


# -------------------------------------------------------------------------------- account lookup


_cache: dict[tuple[int, str], tuple[float, dict[str, Any] | None]] = {}
_cache_lock = threading.Lock()


def _actor_from_session() -> Actor | None:
    username = flask.session.get(SESSION_USER)
    stamp = flask.session.get(SESSION_STAMP)
    if not username or not stamp:
        return None
    account = _account(username)
    if account is None or not account["active"] or not hmac.compare_digest(account["stamp"], str(stamp)):
        return None
    flask.g.cc_account = account
    return account_actor(account)


def account_actor(account: dict[str, Any]) -> Actor:
    """The :class:`Actor` an account acts as: the audit trail records ``actor_id`` (an officer's officer
    code, so the officer-activity KPI counts steps taken from the dashboard), else the username."""
    return Actor(
        account.get("actor_id") or account["username"],
        Role(account["role"]),
        township_code=account.get("township_code"),
        teams=frozenset(account.get("teams") or ()),
        department=account.get("department"),
    )


def _account(username: str) -> dict[str, Any] | None:
    """The account from the store, trusted for :data:`ACCOUNT_TTL_S` seconds in this process."""
    from dashboard.runtime import current
    from store import accounts

    store = current().store
    key = (id(store), username)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    account = accounts.get_account(store, username)
    with _cache_lock:
        _cache[key] = (now + ACCOUNT_TTL_S, account)
    return account


def forget_cached_accounts() -> None:
    """Read every account from the store again on its next request (after sign-in, tests)."""
    with _cache_lock:
        _cache.clear()
