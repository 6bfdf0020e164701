"""Photos at the dashboard's edge: receiving them from a phone, and serving them back only within scope.

Receiving (:func:`receive`): dcc.Upload hands a callback each picked file as a ``data:`` URL; every file is
decoded, checked by its bytes and stored by :class:`store.media.MediaStore` (``MEDIA_DIR``,
``MEDIA_MAX_BYTES``), and the callback gets back, per file, either the stored name with an *upload token* or
the reason it was refused. The token (signed with the app's secret key, bound to the signed-in user, valid
for a day) is what a later step sends to link the photo as evidence: a browser cannot link a photo that
this user did not upload by naming a hash.

Serving (:func:`install`): a photo is only ever reached through the thing it is evidence of —

- ``/media/case/<case id>/<name>``: a photo linked in that case's audit trail (an event's ``evidence``); the
  caller must be a case-working role and have the case in scope — their township, and for officers and
  team leaders their team's case, for a liaison their department's (:func:`cases.permissions.scope_problem`);
- ``/media/patrol/<finding id>/<name>``: a photo of a patrol finding (巡查发现) once the worker has stored the
  report; its case's scope as above, or the officer who reported it.

Anything else — another case's photo through this case's URL, a name that is not a media name, a photo
not linked — is refused (403 outside the scope, 404 otherwise). The answer is ``private`` to the browser's
cache and never sniffed as another type.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Sequence
from typing import Any

import flask
import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import NotFound as HTTPNotFound

from cases.permissions import TEAM_ROLES, Actor, scope_problem
from cases.states import Role
from dashboard import access
from store.media import MediaRefused, MediaStore, content_type, describe_size, settings
from store.models import Case, CaseEvent, Report

ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.LEADER, Role.LEGAL_REVIEWER, Role.TEAM_LEADER, Role.OFFICER,
         Role.DEPARTMENT_LIAISON)
"""Roles that work cases and may see their evidence (each within their scope); not schedulers, not admins."""
CASE_PREFIX = "/media/case"
PATROL_PREFIX = "/media/patrol"
TOKEN_SALT = "cc-media-upload"
TOKEN_MAX_AGE_S = 24 * 3600
"""An uploaded photo must be linked within a day (a shift and then some)."""
CACHE_S = 3600

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
EVENTS: sa.Table = CaseEvent.__table__  # type: ignore[assignment]
REPORTS: sa.Table = Report.__table__  # type: ignore[assignment]


def case_link(case_id: int, name: str) -> str:
    """The evidence link of a photo of case ``case_id`` (what the audit trail records)."""
    return f"{CASE_PREFIX}/{int(case_id)}/{name}"


def patrol_link(finding_id: str, name: str) -> str:
    """The link of a photo of the patrol finding ``finding_id`` (what the report's ``media`` records)."""
    return f"{PATROL_PREFIX}/{finding_id}/{name}"


# ------------------------------------------------------------------------------------------ the store

_lock = threading.Lock()
_stores: dict[tuple[str, int], MediaStore] = {}


def media_store() -> MediaStore:
    """The media store of the current settings (``MEDIA_DIR``, ``MEDIA_MAX_BYTES``, read on each call)."""
    folder, max_bytes = settings()
    key = (str(folder), max_bytes)
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = MediaStore(folder, max_bytes)
        return store


# ------------------------------------------------------------------------------------------- tokens


def _serializer() -> URLSafeTimedSerializer:
    secret = flask.current_app.secret_key
    if not secret:
        raise RuntimeError("the app has no secret key: upload tokens cannot be signed")
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT)


def upload_token(name: str, actor: Actor) -> str:
    """A token saying ``actor`` uploaded the photo ``name`` (to be sent back when linking it)."""
    return _serializer().dumps({"n": name, "u": actor.id})


def token_name(token: Any, actor: Actor) -> str | None:
    """The photo name of an upload token ``actor`` received (None: forged, expired or someone else's)."""
    if not isinstance(token, str) or len(token) > 600:
        return None
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != actor.id or not isinstance(data.get("n"), str):
        return None
    return data["n"] if media_store().exists(data["n"]) else None


def token_names(tokens: Sequence[Any] | None, actor: Actor) -> tuple[list[str], int]:
    """The photo names of ``tokens`` (in order, each once) and how many tokens were not valid."""
    names: list[str] = []
    bad = 0
    for token in tokens or ():
        name = token_name(token, actor)
        if name is None:
            bad += 1
        elif name not in names:
            names.append(name)
    return names, bad


# ------------------------------------------------------------------------------------------ receiving


def decode_data_url(contents: str, filename: str, max_bytes: int) -> bytes:
    """The bytes of a ``data:…;base64,…`` URL as dcc.Upload sends a file (:class:`MediaRefused` when it is
    not one, or is plainly larger than ``max_bytes`` — checked before decoding)."""
    label = filename or "(no name)"
    if not isinstance(contents, str) or not contents.startswith("data:") or "," not in contents:
        raise MediaRefused(f"{label}: not a file upload (expected a data URL)")
    header, _, body = contents.partition(",")
    if not header.endswith(";base64"):
        raise MediaRefused(f"{label}: not base64-encoded")
    if len(body) * 3 // 4 > max_bytes + 3:
        raise MediaRefused(f"{label}: about {describe_size(len(body) * 3 // 4)} is larger than the "
                           f"{describe_size(max_bytes)} allowed per photo (MEDIA_MAX_BYTES)")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise MediaRefused(f"{label}: the upload is damaged (bad base64)") from None


def receive(contents: Any, filenames: Any, actor: Actor) -> list[dict[str, Any]]:
    """Store each uploaded file; per file ``{"filename", "name", "size", "token"}`` or ``{"filename",
    "error"}`` in the order sent."""
    if isinstance(contents, str):
        contents = [contents]
    if isinstance(filenames, str):
        filenames = [filenames]
    contents = list(contents or [])
    filenames = list(filenames or [])
    filenames += [""] * (len(contents) - len(filenames))
    store = media_store()
    results: list[dict[str, Any]] = []
    for content, filename in zip(contents, filenames, strict=False):
        filename = str(filename or "")[:120]
        try:
            data = decode_data_url(content, filename, store.max_bytes)
            stored = store.put(data, filename)
        except MediaRefused as exc:
            results.append({"filename": filename, "error": str(exc)})
            continue
        results.append({"filename": filename, "name": stored.name, "size": stored.size,
                        "token": upload_token(stored.name, actor)})
    return results


# ------------------------------------------------------------------------------------------- serving


def install(server: flask.Flask) -> None:
    """Add the two photo routes to the Flask ``server`` (call once, in ``create_app``)."""
    server.add_url_rule(f"{CASE_PREFIX}/<int:case_id>/<name>", "media_case", serve_case_photo, methods=["GET"])
    server.add_url_rule(f"{PATROL_PREFIX}/<finding_id>/<name>", "media_patrol", serve_patrol_photo,
                        methods=["GET"])


def serve_case_photo(case_id: int, name: str) -> flask.Response:
    """A photo in the audit trail of case ``case_id``, for a caller who has the case in scope."""
    actor = access.check(*ROLES)
    from dashboard.runtime import current

    store = current().store
    with store.transaction() as conn:
        case_scope(conn, store, actor, case_id)
        link = case_link(case_id, name)
        evidence = conn.execute(sa.select(EVENTS.c.evidence).where(EVENTS.c.case_id == case_id)).scalars()
        if not any(link in (listed or ()) for listed in evidence):
            raise HTTPNotFound(f"case {case_id} has no photo {name[:80]}")
    return _send(name)


def serve_patrol_photo(finding_id: str, name: str) -> flask.Response:
    """A photo of the stored patrol finding ``finding_id``, for whoever has its case in scope or reported it."""
    actor = access.check(*ROLES)
    from dashboard.runtime import current

    store = current().store
    r = REPORTS.c
    with store.transaction() as conn:
        report = conn.execute(sa.select(r.township_code, r.case_id, r.reporter_id, r.media)
                              .where(r.channel == "patrol", r.external_id == finding_id)).first()
        if report is None or patrol_link(finding_id, name) not in (report.media or ()):
            raise HTTPNotFound(f"no stored patrol finding {finding_id[:80]} with photo {name[:80]}")
        account = access.current_account() or {}
        reporter = report.reporter_id is not None and report.reporter_id in (account.get("officer_code"), actor.id)
        if not reporter:
            if not access.in_scope(actor, report.township_code):
                raise access.NotAllowed(f"无权访问 · {actor.label}: the finding is in township {report.township_code}")
            if report.case_id is not None:
                case_scope(conn, store, actor, report.case_id)
            elif actor.role in TEAM_ROLES or actor.role is Role.DEPARTMENT_LIAISON:
                raise access.NotAllowed(f"无权访问 · {actor.label}: the finding has no case of yours yet")
    return _send(name)


def case_scope(conn: Any, store: Any, actor: Actor, case_id: int) -> None:
    """Raise 403 unless ``actor`` has case ``case_id`` in scope (township, then team or department)."""
    from store.case_queue import state_book

    row = conn.execute(sa.select(CASES.c.id, CASES.c.code, CASES.c.version, CASES.c.township_code)
                       .where(CASES.c.id == case_id)).mappings().first()
    if row is None:
        raise access.NotAllowed(f"无权访问 · no case with id {case_id}")
    if not access.in_scope(actor, row["township_code"]):
        raise access.NotAllowed(f"无权访问 · outside township: {actor.label}, case {case_id}")
    state = state_book(store).states(conn, [row])[case_id]
    problem = scope_problem(actor, state, {})
    if problem:
        raise access.NotAllowed(f"无权访问 · {problem.split(':')[0]}: {actor.label}, case {case_id}")


def _send(name: str) -> flask.Response:
    try:
        path = media_store().path(name)
    except (MediaRefused, FileNotFoundError):
        raise HTTPNotFound("no such photo") from None
    response = flask.send_file(path, mimetype=content_type(name), conditional=True, max_age=CACHE_S)
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
