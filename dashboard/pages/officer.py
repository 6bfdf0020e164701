"""掌上执法 — the officers' and team leaders' phone page (``/m``): my cases nearest first, the steps my role
may take on one, and patrol findings (巡查发现) reported from where I stand.

Made for a 390×844 phone held in one hand: one column, big touch targets, a tab bar at the bottom; Chinese
first, English through the header's switch. Everything shown is read on the server for the signed-in
person, and every callback checks again whatever the browser sends (:mod:`dashboard.access`):

- only officers and team leaders may open the page or call its callbacks (others get HTTP 403);
- *my cases* are the open cases one of my teams has (:mod:`store.field_cases`: dispatched or lead team, or
  joining a joint action), in the statuses from which the rule table lets my role act; nearest first from
  the phone's position (the browser's geolocation, asked by a clientside callback every minute and on
  "locate"), by deadline when there is none. "To do" keeps the cases with a step I can take now;
- a case outside my team's scope is refused with 403, even when its id is posted to a callback directly;
- the steps offered are the rule table's for my role and the case's status
  (:func:`dashboard.components.case_actions.offers`), never a list written here; a step goes through
  :meth:`store.casework.CaseService.act` with the signed-in actor and the version the phone showed, so a
  refusal comes back with the rules' reason and a case moved meanwhile with "changed by … at …, reload".
  Every step taken from the phone records the phone's position (when it has one) as the event's
  ``location`` — arriving (到场) is where it matters;
- photos are uploaded with dcc.Upload, checked by their bytes and size and stored under ``MEDIA_DIR``
  (:mod:`dashboard.media`); a step links the ones this user uploaded (signed upload tokens) as its
  ``evidence``: ``/media/case/<id>/<sha256>.<ext>``, served back only within the case's scope;
- a patrol finding becomes a ``patrol`` channel record (:mod:`ingest.channels.patrol`), parsed like any
  other and appended to the live intake stream (:class:`live.intake.Intake`), where the worker locates,
  de-duplicates and stores it like every report; the phone shows "received" with the finding's id.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

import dash
import flask
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cases.calendar import SHANGHAI
from cases.deadlines import light
from cases.events import Event
from cases.lifecycle import TransitionRefused
from cases.permissions import Actor
from cases.states import ROLE_LABELS, CaseState, Role
from dashboard import access, casework, media
from dashboard.casework import case_id_or_403, case_service
from dashboard.components import case_actions
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import has, normalise, t
from dashboard.runtime import current
from ingest.privacy import mask_text
from store import Conflict, InvalidData
from store.case_queue import NO_LIGHT, Names, names, product_policy, state_book
from store.field_cases import describe_distance, has_case, nearest_first, team_case_rows
from store.media import describe_size
from store.store import Store

ROLES = (Role.OFFICER, Role.TEAM_LEADER)
"""Who may open the phone page: the team on the street."""

dash.register_page(__name__, path="/m", name="掌上执法", title=t("m.title"), order=40, text_key="nav.officer",
                   roles=ROLES)

log = logging.getLogger(__name__)

ROOT_ID = "m-root"
VIEW_STORE = "m-view"
POSITION_STORE = "m-position"
REFRESH_STORE = "m-refresh"
SELECTED_STORE = "m-selected"
VERSION_STORE = "m-version"
CHOSEN_STORE = "m-chosen"
PHOTOS_STORE = "m-photos"
LOCATE_ID = "m-locate"
TICK_ID = "m-tick"
POSITION_TEXT_ID = "m-position-text"
FILTER_ID = "m-filter"
LIST_ID = "m-list"
LIST_HINT_ID = "m-list-hint"
BACK_ID = "m-back"
CASE_HEAD_ID = "m-case-head"
ACTIONS_ID = "m-actions"
FORM_BOX_ID = "m-form-box"
FORM_ID = "m-form"
PHOTO_BOX_ID = "m-photo-box"
UPLOAD_ID = "m-upload"
PHOTO_LIST_ID = "m-photo-list"
PHOTO_CLEAR_ID = "m-photo-clear"
SUBMIT_ID = "m-submit"
CANCEL_ID = "m-cancel"
RELOAD_ID = "m-reload"
MESSAGE_ID = "m-message"
TRAIL_ID = "m-trail"
TAB_LIST_ID = "m-tab-list"
TAB_PATROL_ID = "m-tab-patrol"
PATROL_ITEM_ID = "m-patrol-item"
PATROL_TEXT_ID = "m-patrol-text"
PATROL_ADDRESS_ID = "m-patrol-address"
PATROL_UPLOAD_ID = "m-patrol-upload"
PATROL_PHOTOS_STORE = "m-patrol-photos"
PATROL_PHOTO_LIST_ID = "m-patrol-photo-list"
PATROL_PHOTO_CLEAR_ID = "m-patrol-photo-clear"
PATROL_SUBMIT_ID = "m-patrol-submit"
PATROL_MESSAGE_ID = "m-patrol-message"
CASE_BUTTON = "m-case"
ACTION_BUTTON = "m-action"
PARAM = "m-param"

VIEWS = ("list", "case", "patrol")
FILTERS = ("todo", "all")
SHOWN = 60
"""Most cases listed on the phone (the nearest ones)."""
LOCATE_EVERY_MS = 60_000
MAX_PHOTOS = 9
"""Photos one step or finding may carry."""
TIME_FORMAT = "%m-%d %H:%M"
MAX_TEXT = 2000

# --------------------------------------------------------------------------------- services per store

_lock = threading.Lock()
_intakes: dict[str, Any] = {}


def intake() -> Any:
    """The producer of the live intake stream on the Redis of ``REDIS_URL`` (one client per URL)."""
    from live.connection import connect, redis_url
    from live.intake import Intake

    url = redis_url()
    with _lock:
        producer = _intakes.get(url)
        if producer is None:
            producer = _intakes[url] = Intake(connect(url))
        return producer


# ------------------------------------------------------------------------------------------ position


def position_of(data: Any) -> dict[str, Any] | None:
    """The phone's position from the browser's store — ``{"lon", "lat", "accuracy", "at"}`` checked to be
    a WGS-84 point — or None (no fix, an error, or anything malformed)."""
    if not isinstance(data, dict):
        return None
    lon, lat, accuracy = data.get("lon"), data.get("lat"), data.get("accuracy")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    if not (isinstance(accuracy, int | float) and not isinstance(accuracy, bool) and 0 <= accuracy < 1e6):
        accuracy = None
    at = data.get("at")
    try:
        fixed = datetime.fromisoformat(str(at).replace("Z", "+00:00")) if at else None
    except ValueError:
        fixed = None
    if fixed is not None and fixed.tzinfo is None:
        fixed = None
    return {"lon": float(lon), "lat": float(lat), "accuracy": float(accuracy) if accuracy is not None else None,
            "at": fixed.astimezone(UTC).isoformat() if fixed else None}


def location_payload(position: dict[str, Any]) -> dict[str, Any]:
    """The ``location`` an event records: where the phone was when the step was taken."""
    return {"lon": round(position["lon"], 7), "lat": round(position["lat"], 7), "crs": "wgs84",
            "accuracy_m": round(position["accuracy"], 1) if position["accuracy"] is not None else None,
            "fixed_at": position["at"], "source": "phone"}


def position_text(position: dict[str, Any] | None, raw: Any, lang: str) -> str:
    if position is None:
        error = raw.get("error") if isinstance(raw, dict) else None
        key = f"m.position.{error}" if error and has(f"m.position.{error}") else "m.position.waiting"
        return t(key, lang)
    accuracy = f" ±{position['accuracy']:.0f} m" if position["accuracy"] is not None else ""
    return t("m.position.at", lang, lat=f"{position['lat']:.5f}", lon=f"{position['lon']:.5f}", accuracy=accuracy)


# --------------------------------------------------------------------------------------------- layout


@access.page_roles(*ROLES)
def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            dcc.Store(id=VIEW_STORE, data="list"),
            dcc.Store(id=POSITION_STORE),
            dcc.Store(id=REFRESH_STORE, data=0),
            dcc.Store(id=SELECTED_STORE),
            dcc.Store(id=VERSION_STORE),
            dcc.Store(id=CHOSEN_STORE),
            dcc.Store(id=PHOTOS_STORE, data=[]),
            dcc.Store(id=PATROL_PHOTOS_STORE, data=[]),
            dcc.Interval(id=TICK_ID, interval=LOCATE_EVERY_MS),
            html.Div(
                [
                    html.Div([html.Span("◎", className="m-pin", **{"aria-hidden": "true"}),
                              html.Span(t("m.position.waiting"), id=POSITION_TEXT_ID, className="m-position-text")],
                             className="m-position"),
                    html.Button(text("m.locate"), id=LOCATE_ID, className="m-button m-button-quiet m-locate"),
                ],
                className="m-bar",
            ),
            html.Section(
                [
                    html.Div([html.H2(text("m.cases.title"), className="m-heading"),
                              dcc.RadioItems(id=FILTER_ID, value="todo", inline=True, className="m-filter",
                                             options=[{"value": "todo", "label": text("m.filter.todo")},
                                                      {"value": "all", "label": text("m.filter.all")}],
                                             inputClassName="m-filter-input", labelClassName="m-filter-label")],
                             className="m-heading-row"),
                    html.P(id=LIST_HINT_ID, className="m-hint"),
                    html.Div(id=LIST_ID, className="m-list"),
                ],
                className="m-section m-section-list",
            ),
            html.Section(
                [
                    html.Button(text("m.back"), id=BACK_ID, className="m-button m-button-quiet m-back"),
                    html.Div(id=CASE_HEAD_ID, className="m-case-head"),
                    html.Div(id=MESSAGE_ID, className="m-message-box", **{"aria-live": "polite"}),
                    html.Div(id=ACTIONS_ID, className="m-actions"),
                    html.Div(
                        [
                            html.Div(id=FORM_ID, className="m-form"),
                            html.Div(photo_picker(UPLOAD_ID, PHOTO_LIST_ID, PHOTO_CLEAR_ID), id=PHOTO_BOX_ID,
                                     className="m-photo-box m-hidden"),
                            html.Div([html.Button(text("m.submit"), id=SUBMIT_ID, className="m-button m-button-primary"),
                                      html.Button(text("m.cancel"), id=CANCEL_ID, className="m-button m-button-quiet")],
                                     className="m-form-buttons"),
                        ],
                        id=FORM_BOX_ID, className="m-form-box m-hidden",
                    ),
                    html.Button(text("m.reload"), id=RELOAD_ID, className="m-button m-button-quiet m-reload"),
                    html.H3(text("m.trail"), className="m-subheading"),
                    html.Div(id=TRAIL_ID, className="m-trail"),
                ],
                className="m-section m-section-case",
            ),
            html.Section(
                [
                    html.H2(text("m.patrol.title"), className="m-heading"),
                    html.P(text("m.patrol.hint"), className="m-hint"),
                    html.Label([html.Span(text("m.patrol.item"), className="m-label"),
                                dcc.Dropdown(id=PATROL_ITEM_ID, clearable=False, searchable=True,
                                             className="m-select")], className="m-field"),
                    html.Label([html.Span(text("m.patrol.description"), className="m-label"),
                                dcc.Textarea(id=PATROL_TEXT_ID, className="m-text", maxLength=MAX_TEXT)],
                               className="m-field"),
                    html.Label([html.Span(text("m.patrol.address"), className="m-label"),
                                dcc.Input(id=PATROL_ADDRESS_ID, type="text", className="m-input", maxLength=200)],
                               className="m-field"),
                    photo_picker(PATROL_UPLOAD_ID, PATROL_PHOTO_LIST_ID, PATROL_PHOTO_CLEAR_ID),
                    html.Button(text("m.patrol.submit"), id=PATROL_SUBMIT_ID, className="m-button m-button-primary m-wide"),
                    html.Div(id=PATROL_MESSAGE_ID, className="m-message-box", **{"aria-live": "polite"}),
                ],
                className="m-section m-section-patrol",
            ),
            html.Nav(
                [html.Button([html.Span("☰", className="m-tab-icon"), text("m.tab.cases")], id=TAB_LIST_ID,
                             className="m-tab m-tab-list"),
                 html.Button([html.Span("＋", className="m-tab-icon"), text("m.tab.patrol")], id=TAB_PATROL_ID,
                             className="m-tab m-tab-patrol")],
                className="m-tabs",
            ),
        ],
        id=ROOT_ID,
        className="m-page m-view-list",
    )


def photo_picker(upload_id: str, list_id: str, clear_id: str) -> html.Div:
    """A big "add photos" area (camera or gallery on a phone), the list of photos taken, and "clear"."""
    return html.Div(
        [
            dcc.Upload(
                html.Div([html.Span("＋", className="m-camera", **{"aria-hidden": "true"}), text("m.photos.add", slot=upload_id)]),
                id=upload_id, multiple=True, accept="image/jpeg,image/png,image/webp", className="m-upload",
                className_active="m-upload-active",
            ),
            html.Div(id=list_id, className="m-photo-list"),
            html.Button(text("m.photos.clear", slot=clear_id), id=clear_id, className="m-button m-button-quiet m-small"),
        ],
        className="m-photos",
    )


# ------------------------------------------------------------------------------------ clientside parts

clientside_callback(
    """function(clicks, ticks, previous) {
        function keep(error) {
            if (previous && typeof previous.lon === "number") { return Object.assign({}, previous, {error: error}); }
            return {error: error};
        }
        if (!window.isSecureContext) { return keep("insecure"); }
        if (!navigator.geolocation) { return keep("unsupported"); }
        return new Promise(function (resolve) {
            navigator.geolocation.getCurrentPosition(
                function (p) {
                    resolve({lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy,
                             at: new Date(p.timestamp || Date.now()).toISOString()});
                },
                function (e) { resolve(keep(e.code === 1 ? "denied" : (e.code === 3 ? "timeout" : "unavailable"))); },
                {enableHighAccuracy: true, timeout: 15000, maximumAge: 20000}
            );
        });
    }""",
    Output(POSITION_STORE, "data"),
    Input(LOCATE_ID, "n_clicks"),
    Input(TICK_ID, "n_intervals"),
    State(POSITION_STORE, "data"),
)

clientside_callback(
    """function(toList, toPatrol, back) {
        const id = (window.dash_clientside.callback_context.triggered_id || "");
        if (id === "m-tab-patrol") { return "patrol"; }
        if (id === "m-tab-list" || id === "m-back") { return "list"; }
        return window.dash_clientside.no_update;
    }""",
    Output(VIEW_STORE, "data", allow_duplicate=True),
    Input(TAB_LIST_ID, "n_clicks"),
    Input(TAB_PATROL_ID, "n_clicks"),
    Input(BACK_ID, "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(
    """function(view) {
        view = (view === "case" || view === "patrol") ? view : "list";
        window.scrollTo(0, 0);
        const main = document.querySelector(".cc-main");
        if (main) { main.scrollTop = 0; }
        return "m-page m-view-" + view;
    }""",
    Output(ROOT_ID, "className"),
    Input(VIEW_STORE, "data"),
)


# ---------------------------------------------------------------------------------------- my cases


@callback(
    Output(LIST_ID, "children"),
    Output(LIST_HINT_ID, "children"),
    Output(POSITION_TEXT_ID, "children"),
    Input(POSITION_STORE, "data"),
    Input(REFRESH_STORE, "data"),
    Input(LANG_STORE, "data"),
    Input(FILTER_ID, "value"),
)
@access.require(*ROLES)
def show_list(raw_position: Any, _refresh: Any, lang: str | None, chosen_filter: Any) -> tuple:
    """My team's open cases, nearest first (by deadline without a position), each with its traffic light."""
    actor = access.check(*ROLES)
    lang = normalise(lang)
    position = position_of(raw_position)
    store = current().store
    known = names(store)
    cases = my_cases(actor, store, known, position, todo=chosen_filter != "all")
    located = position is not None
    hint = t("m.cases.by_distance" if located else "m.cases.by_deadline", lang, n=len(cases))
    cards = [case_card(row, known, lang) for row in cases[:SHOWN]]
    if not cards:
        cards = [html.P(t("m.cases.none", lang), className="m-empty", id="m-no-cases")]
    return cards, hint, position_text(position, raw_position, lang)


def my_cases(actor: Actor, store: Store, known: Names, position: dict[str, Any] | None,
             todo: bool = True, now: datetime | None = None) -> list[dict[str, Any]]:
    """The rows of my team's open cases with ``light``, ``state`` and ``todo`` (a step I can take now),
    nearest first from ``position`` (by deadline without one); only the ``todo`` ones when asked."""
    now = now or datetime.now(UTC)
    rows = team_case_rows(store, actor)
    book = state_book(store)
    with store.transaction() as conn:
        states = book.states(conn, rows)
        lights = book.lights(conn, rows, now, product_policy())
    mine = []
    for row in rows:
        state = states.get(row["id"])
        if state is None or not has_case(actor, state):
            continue
        possible = [o for o in case_actions.offers(state, actor, known) if o.blocked is None]
        if todo and not possible:
            continue
        mine.append({**row, "light": lights.get(row["id"], NO_LIGHT), "todo": bool(possible)})
    where = (position["lon"], position["lat"]) if position is not None else None
    return nearest_first(mine, where)


def case_card(row: dict[str, Any], known: Names, lang: str) -> html.Button:
    """One case of the list: a big button with its light, item, address, deadline and distance."""
    item = known.name("items", row["item_code"], lang) or t("m.case.no_item", lang)
    address = row.get("address") or known.name("communities", row.get("community_code"), lang) or "—"
    distance = describe_distance(row.get("distance_m"))
    return html.Button(
        [
            html.Span(className=f"m-light m-light-{row['light']}", title=label("light", row["light"], lang)),
            html.Span(
                [
                    html.Span([html.Span(item, className="m-card-item"),
                               html.Span(label("status", row["status"], lang),
                                         className=f"m-badge m-status-{row['status']}")], className="m-card-top"),
                    html.Span(address, className="m-card-address"),
                    html.Span(
                        [html.Span(f"{t('m.case.deadline', lang)} {local(row.get('deadline_at'))}", className="m-card-deadline"),
                         html.Span(distance, className="m-card-distance") if distance else None,
                         html.Span(row["code"], className="m-card-code")],
                        className="m-card-meta",
                    ),
                ],
                className="m-card-body",
            ),
        ],
        id={"type": CASE_BUTTON, "case": row["id"]},
        className=f"m-card m-card-{row['light']}" + ("" if row.get("todo") else " m-card-waiting"),
        **{"data-case": str(row["id"]), "data-code": row["code"], "data-light": row["light"],
           "data-distance": f"{row['distance_m']:.0f}" if row.get("distance_m") is not None else ""},
    )


# ---------------------------------------------------------------------------------------- one case


@callback(
    Output(SELECTED_STORE, "data"),
    Output(VIEW_STORE, "data", allow_duplicate=True),
    Output(MESSAGE_ID, "children", allow_duplicate=True),
    Input({"type": CASE_BUTTON, "case": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def select_case(clicks: list[Any]) -> tuple:
    """Open the case tapped (only one of my team's)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or ()):
        raise PreventUpdate
    actor = access.check(*ROLES)
    case_id = case_id_or_403(trigger.get("case"))
    open_or_403(actor, current().store, case_id)
    return case_id, "case", None


@callback(
    Output(CASE_HEAD_ID, "children"),
    Output(ACTIONS_ID, "children"),
    Output(TRAIL_ID, "children"),
    Output(VERSION_STORE, "data"),
    Output(FORM_ID, "children"),
    Output(FORM_BOX_ID, "className"),
    Output(PHOTO_BOX_ID, "className"),
    Output(CHOSEN_STORE, "data"),
    Input(SELECTED_STORE, "data"),
    Input(REFRESH_STORE, "data"),
    Input(LANG_STORE, "data"),
    State(POSITION_STORE, "data"),
)
@access.require(*ROLES)
def show_case(case_id: Any, _refresh: Any, lang: str | None, raw_position: Any) -> tuple:
    """The case as I may see it, the steps my role may take on it now, and its audit trail."""
    if case_id is None:
        raise PreventUpdate
    actor = access.check(*ROLES)
    lang = normalise(lang)
    store = current().store
    number = case_id_or_403(case_id)
    row, state = open_or_403(actor, store, number)
    known = names(store)
    position = position_of(raw_position)
    where = (position["lon"], position["lat"]) if position else None
    row = nearest_first([row], where)[0]
    value = light(state, datetime.now(UTC), product_policy())
    row["light"] = value.value if value is not None else NO_LIGHT
    found = case_actions.offers(state, actor, known)
    history = case_service(store).history(number)
    return (case_head(row, state, known, lang), action_buttons(found, lang), trail(history, lang), state.seq,
            [], "m-form-box m-hidden", "m-photo-box m-hidden", None)


@callback(
    Output(FORM_ID, "children", allow_duplicate=True),
    Output(FORM_BOX_ID, "className", allow_duplicate=True),
    Output(PHOTO_BOX_ID, "className", allow_duplicate=True),
    Output(CHOSEN_STORE, "data", allow_duplicate=True),
    Output(MESSAGE_ID, "children", allow_duplicate=True),
    Input({"type": ACTION_BUTTON, "action": ALL}, "n_clicks"),
    State(SELECTED_STORE, "data"),
    State(POSITION_STORE, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def choose_action(clicks: list[Any], case_id: Any, raw_position: Any, lang: str | None) -> tuple:
    """The form of the step tapped, when my role may take it on this case now."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or ()):
        raise PreventUpdate
    actor = access.check(*ROLES)
    lang = normalise(lang)
    store = current().store
    _, state = open_or_403(actor, store, case_id_or_403(case_id))
    known = names(store)
    offer = case_actions.find_offer(case_actions.offers(state, actor, known), trigger.get("action"))
    if offer is None or offer.blocked is not None:
        reason = offer.blocked if offer is not None else t("m.actions.none", lang)
        return ([], "m-form-box m-hidden", "m-photo-box m-hidden", None,
                message("refused", t("m.refused", lang), f"{trigger.get('action')}: {reason}"))
    position = position_of(raw_position)
    fields = [field_row(field, offer, state, known, lang) for field in offer.fields if field != "evidence"]
    where = (html.P(t("m.form.position", lang, where=position_text(position, raw_position, lang)),
                    className="m-form-position", id="m-form-position"))
    heading = html.H4(t(f"action.{offer.action.value}", lang), className="m-form-title")
    photos = "evidence" in offer.fields
    return ([heading, where, *fields], "m-form-box", "m-photo-box" if photos else "m-photo-box m-hidden",
            offer.action.value, None)


@callback(
    Output(MESSAGE_ID, "children"),
    Output(REFRESH_STORE, "data"),
    Output(FORM_ID, "children", allow_duplicate=True),
    Output(FORM_BOX_ID, "className", allow_duplicate=True),
    Output(PHOTO_BOX_ID, "className", allow_duplicate=True),
    Output(CHOSEN_STORE, "data", allow_duplicate=True),
    Output(PHOTOS_STORE, "data", allow_duplicate=True),
    Output(PHOTO_LIST_ID, "children", allow_duplicate=True),
    Input(SUBMIT_ID, "n_clicks"),
    Input(CANCEL_ID, "n_clicks"),
    Input(RELOAD_ID, "n_clicks"),
    State(CHOSEN_STORE, "data"),
    State({"type": PARAM, "name": ALL}, "value"),
    State({"type": PARAM, "name": ALL}, "id"),
    State(PHOTOS_STORE, "data"),
    State(POSITION_STORE, "data"),
    State(VERSION_STORE, "data"),
    State(SELECTED_STORE, "data"),
    State(REFRESH_STORE, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def take_action(_submit: Any, _cancel: Any, _reload: Any, chosen: Any, values: list[Any], ids: list[dict],
                photos: Any, raw_position: Any, version: Any, case_id: Any, refresh: Any, lang: str | None) -> tuple:
    """Submit: the step through the case service as the signed-in actor, with the photos as evidence and
    the phone's position as its location. Cancel, reload: start over from the stored case."""
    actor = access.check(*ROLES)
    lang = normalise(lang)
    refresh = (refresh or 0) + 1
    closed = ([], "m-form-box m-hidden", "m-photo-box m-hidden", None, [], [])
    if ctx.triggered_id in (CANCEL_ID, RELOAD_ID):
        return (None, refresh, *closed)
    if not chosen or not isinstance(chosen, str):
        raise PreventUpdate
    store = current().store
    number = case_id_or_403(case_id)
    _, state = open_or_403(actor, store, number)
    known = names(store)
    offer = case_actions.find_offer(case_actions.offers(state, actor, known), chosen)
    keep = (no_update,) * 6
    try:
        # not offered now (the case moved on, a guard holds): the case service refuses with the rules' reason
        form = case_actions.values_by_field(ids or [], values or [])
        links, bad = photo_links(photos, actor, number)
        if bad:
            return (message("refused", t("m.bad_input", lang), t("m.photos.expired", lang, n=bad)), no_update, *keep)
        form["evidence"] = "\n".join(links)
        payload: dict[str, Any] = {} if offer is None else case_actions.payload_from_form(offer, form)
        position = position_of(raw_position)
        if position is not None:
            payload["location"] = location_payload(position)
        expected = int(version) if version is not None else None
        step = case_service(store).act(number, chosen, actor, payload, datetime.now(UTC),
                                       expected_version=expected, client_address=flask.request.remote_addr)
    except Conflict as exc:
        return (message("conflict", t("m.conflict", lang), str(exc), reload=True, lang=lang), no_update, *keep)
    except TransitionRefused as exc:
        return (message("refused", t("m.refused", lang), str(exc)), no_update, *keep)
    except (case_actions.FormError, InvalidData, ValueError) as exc:
        return (message("refused", t("m.bad_input", lang), str(exc)), no_update, *keep)
    log.info("case %s: %s by %s from the phone (version %s, %d photo(s), %s)", number, chosen, actor.label,
             step.version, len(links), "located" if "location" in payload else "no position")
    done = t("m.done", lang, action=t(f"action.{step.event.action.value}", lang), seq=step.version)
    detail = t("m.done.photos", lang, n=len(links)) if links else ""
    return (message("done", done, detail), refresh, *closed)


def photo_links(photos: Any, actor: Actor, case_id: int) -> tuple[list[str], int]:
    """The evidence links of the photos this user uploaded for the step, and how many could not be used."""
    tokens = [p.get("token") for p in (photos or []) if isinstance(p, dict) and p.get("token")]
    found, bad = media.token_names(tokens[:MAX_PHOTOS], actor)
    return [media.case_link(case_id, name) for name in found], bad


# ----------------------------------------------------------------------------------------- photos


def _photo_callbacks(upload_id: str, store_id: str, list_id: str, clear_id: str) -> None:
    """Receive the photos picked in ``upload_id`` (stored at once, listed with their size or refusal)."""

    @callback(
        Output(store_id, "data"),
        Output(list_id, "children"),
        Output(upload_id, "contents"),
        Input(upload_id, "contents"),
        Input(clear_id, "n_clicks"),
        State(upload_id, "filename"),
        State(store_id, "data"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    @access.require(*ROLES)
    def receive_photos(contents: Any, _clear: Any, filenames: Any, kept: Any, lang: str | None) -> tuple:
        actor = access.check(*ROLES)
        lang = normalise(lang)
        if ctx.triggered_id == clear_id:
            return [], [], None
        if not contents:
            raise PreventUpdate
        kept = [p for p in (kept or []) if isinstance(p, dict) and p.get("token")]
        received = media.receive(contents, filenames, actor)
        room = MAX_PHOTOS - len(kept)
        accepted = [p for p in received if "token" in p]
        refused = [p for p in received if "error" in p]
        refused += [{"filename": p["filename"], "error": t("m.photos.too_many", lang, n=MAX_PHOTOS)}
                    for p in accepted[max(room, 0):]]
        kept += accepted[:max(room, 0)]
        for item in refused:
            log.info("photo refused for %s: %s", actor.label, item["error"])
        return kept, photo_chips(kept, refused, lang), None


_photo_callbacks(UPLOAD_ID, PHOTOS_STORE, PHOTO_LIST_ID, PHOTO_CLEAR_ID)
_photo_callbacks(PATROL_UPLOAD_ID, PATROL_PHOTOS_STORE, PATROL_PHOTO_LIST_ID, PATROL_PHOTO_CLEAR_ID)


def photo_chips(kept: list[dict[str, Any]], refused: list[dict[str, Any]], lang: str) -> list:
    chips: list[Any] = [
        html.Li([html.Span("✓", className="m-chip-mark"), f"{p['filename'] or p['name'][:12]} · {describe_size(p['size'])}"],
                className="m-chip m-chip-ok", **{"data-name": p["name"]})
        for p in kept
    ]
    chips += [html.Li([html.Span("✗", className="m-chip-mark"), f"{t('m.photos.refused', lang)}：{p['error']}"],
                      className="m-chip m-chip-refused")
              for p in refused]
    if kept:
        chips.insert(0, html.Li(t("m.photos.count", lang, n=len(kept)), className="m-chip-count"))
    return [html.Ul(chips, className="m-chips")] if chips else []


# ---------------------------------------------------------------------------------------- patrol


@callback(
    Output(PATROL_ITEM_ID, "options"),
    Output(PATROL_ITEM_ID, "placeholder"),
    Input(LANG_STORE, "data"),
)
@access.require(*ROLES)
def patrol_items(lang: str | None) -> tuple:
    """The enforcement items (事项) of the catalogue to choose a finding's item from."""
    access.check(*ROLES)
    lang = normalise(lang)
    known = names(current().store)
    options = [{"value": code, "label": f"{known.name('items', code, lang)} · {code}"} for code in sorted(known.items)]
    return options, t("m.patrol.choose", lang)


@callback(
    Output(PATROL_MESSAGE_ID, "children"),
    Output(PATROL_TEXT_ID, "value"),
    Output(PATROL_ADDRESS_ID, "value"),
    Output(PATROL_PHOTOS_STORE, "data", allow_duplicate=True),
    Output(PATROL_PHOTO_LIST_ID, "children", allow_duplicate=True),
    Input(PATROL_SUBMIT_ID, "n_clicks"),
    State(PATROL_ITEM_ID, "value"),
    State(PATROL_TEXT_ID, "value"),
    State(PATROL_ADDRESS_ID, "value"),
    State(PATROL_PHOTOS_STORE, "data"),
    State(POSITION_STORE, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def submit_patrol(clicks: Any, item: Any, description: Any, address: Any, photos: Any, raw_position: Any,
                  lang: str | None) -> tuple:
    """The finding as a ``patrol`` channel record on the live intake stream; "received" with its id."""
    if not clicks:
        raise PreventUpdate
    actor = access.check(*ROLES)
    lang = normalise(lang)
    keep = (no_update,) * 4
    known = names(current().store)
    position = position_of(raw_position)
    address = address.strip()[:200] if isinstance(address, str) and address.strip() else None
    description = description.strip()[:MAX_TEXT] if isinstance(description, str) and description.strip() else None
    if not isinstance(item, str) or item not in known.items:
        return (message("refused", t("m.bad_input", lang), t("m.patrol.need_item", lang)), *keep)
    if position is None and address is None:
        return (message("refused", t("m.bad_input", lang), t("m.patrol.need_place", lang)), *keep)
    tokens = [p.get("token") for p in (photos or []) if isinstance(p, dict) and p.get("token")]
    found, bad = media.token_names(tokens[:MAX_PHOTOS], actor)
    if bad:
        return (message("refused", t("m.bad_input", lang), t("m.photos.expired", lang, n=bad)), *keep)
    account = access.current_account() or {}
    now = datetime.now(UTC)
    finding = patrol_record(actor, account, item, description, address, position, found, now)
    try:
        record, stream_id = send_finding(finding, now)
    except Exception as exc:  # noqa: BLE001 - Redis away or full: nothing was sent, the form is kept
        log.warning("patrol finding %s of %s not sent: %s", finding["finding_id"], actor.label, exc)
        return (message("refused", t("m.patrol.not_sent", lang), f"{exc.__class__.__name__}: {exc}"), *keep)
    log.info("patrol finding %s of %s on the intake stream as %s (%s)", finding["finding_id"], actor.label,
             stream_id, record)
    if record != "report":  # quarantined by the channel: kept for the command center, with the reason
        return (message("refused", t("m.patrol.quarantined", lang, id=finding["finding_id"]), record), *keep)
    shown = message("done", t("m.patrol.received", lang, id=finding["finding_id"]),
                    t("m.patrol.stream", lang, id=stream_id))
    return shown, "", "", [], []


def patrol_record(actor: Actor, account: dict[str, Any], item: str, description: str | None, address: str | None,
                  position: dict[str, Any] | None, photos: list[str], now: datetime) -> dict[str, Any]:
    """The finding as the patrol channel takes it (see :mod:`ingest.channels.patrol`)."""
    team = account.get("team_code") or min(actor.teams)
    stamp = now.astimezone(SHANGHAI)
    finding_id = f"XC-{team}-{stamp:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    finding: dict[str, Any] = {
        "finding_id": finding_id,
        "officer": {"code": account.get("officer_code") or actor.id, "name": account.get("display_name") or actor.id},
        "team_code": team,
        "found_at": stamp.isoformat(),
        "submitted_at": stamp.isoformat(),
        "item_code": item,
        "description": description,
        "photos": [media.patrol_link(finding_id, name) for name in photos],
    }
    if position is not None:
        finding["gps"] = {"lon": position["lon"], "lat": position["lat"], "accuracy": position["accuracy"]}
    if address is not None:
        finding["address"] = address
    return finding


def send_finding(finding: dict[str, Any], now: datetime) -> tuple[str, str]:
    """Parse the finding as the ``patrol`` channel and append it to the intake stream: ("report" or the
    quarantine reason, the stream id). A record the channel cannot use travels as a quarantined one."""
    from ingest.parse import parse
    from ingest.report import Report

    body = json.dumps(finding, ensure_ascii=False).encode("utf-8")
    (record,) = list(parse("patrol", body, filename=f"{finding['finding_id']}.json", received_at=now))
    stream_id = intake().append(record)
    return ("report" if isinstance(record, Report) else record.reason), stream_id


# ------------------------------------------------------------------------------------------- access


def open_or_403(actor: Actor, store: Store, case_id: int) -> tuple[dict[str, Any], CaseState]:
    """The case's row and state when one of my teams has it, else 403 (whose case it is stays unsaid)."""
    summary, state = casework.open_or_403(actor, store, case_id)
    if not has_case(actor, state):
        raise access.NotAllowed(f"无权访问 · not your team: {actor.label}, case {case_id}")
    summary["min_lon"], summary["min_lat"] = summary.get("lon"), summary.get("lat")
    return summary, state


# ------------------------------------------------------------------------------------------ rendering


def local(value: datetime | None) -> str:
    """A stored UTC time as Asia/Shanghai wall time."""
    return value.astimezone(SHANGHAI).strftime(TIME_FORMAT) if value is not None else "—"


def label(prefix: str, value: Any, lang: str) -> str:
    """The translated label of a coded value, or the value itself when it has none."""
    key = f"{prefix}.{value}"
    return t(key, lang) if has(key) else ("" if value is None else str(value))


def message(kind: str, title: str, detail: str, reload: bool = False, lang: str = "zh") -> html.Div:
    """A message under the case or the finding: done, refused (with the reason) or conflict (reload)."""
    return html.Div(
        [html.Strong(title), html.Div(detail, className="m-message-detail") if detail else None,
         html.Div(t("m.reload.hint", lang), className="m-message-hint") if reload else None],
        className=f"m-message m-message-{kind}", **{"data-kind": kind},
    )


def case_head(row: dict[str, Any], state: CaseState, known: Names, lang: str) -> list:
    description = row.get("description")
    description = mask_text(description) if description else None  # officers do not call reporters back
    distance = describe_distance(row.get("distance_m"))
    facts = [
        ("m.case.item", f"{known.name('items', row['item_code'], lang) or '—'}"),
        ("m.case.address", row.get("address") or known.name("communities", row.get("community_code"), lang) or "—"),
        ("m.case.deadline", local(row.get("deadline_at"))),
        ("m.case.priority", label("priority", row["priority"], lang)),
        ("m.case.team", known.name("teams", state.team_code, lang) or "—"),
        ("m.case.distance", distance or "—"),
        ("m.case.description", description or "—"),
    ]
    return [
        html.Div([html.Span(className=f"m-light m-light-{row['light']}", title=label("light", row["light"], lang)),
                  html.H2(row["code"], className="m-case-code"),
                  html.Span(label("status", state.status.value, lang), className=f"m-badge m-status-{state.status.value}",
                            id="m-case-status", **{"data-status": state.status.value})],
                 className="m-case-title", **{"data-case": str(row["id"]), "data-version": str(state.seq)}),
        html.Dl([html.Div([html.Dt(t(key, lang)), html.Dd(value)], className="m-fact") for key, value in facts],
                className="m-facts"),
    ]


def action_buttons(found: list[case_actions.Offer], lang: str) -> list:
    possible = [o for o in found if o.blocked is None]
    blocked = [o for o in found if o.blocked is not None]
    parts: list[Any] = []
    if possible:
        parts.append(html.Div(
            [html.Button(t(f"action.{o.action.value}", lang), id={"type": ACTION_BUTTON, "action": o.action.value},
                         className=f"m-button m-action m-action-{o.action.value}", **{"data-action": o.action.value})
             for o in possible],
            className="m-action-buttons"))
    else:
        parts.append(html.P(t("m.actions.none", lang), className="m-hint", id="m-no-actions"))
    if blocked:
        parts.append(html.Details(
            [html.Summary(t("m.actions.blocked", lang, n=len(blocked))),
             html.Ul([html.Li([html.Strong(t(f"action.{o.action.value}", lang)), f"：{o.blocked}"],
                              **{"data-action": o.action.value}) for o in blocked])],
            className="m-blocked"))
    return parts


def field_row(field: str, offer: case_actions.Offer, state: CaseState, known: Names, lang: str) -> html.Label:
    """One labelled input of the step's form (ids ``{"type": PARAM, "name": field}``)."""
    from cases.guards import FIELDS

    name = t(f"param.{field}", lang) if has(f"param.{field}") else FIELDS.get(field, (field,))[0]
    mark = " *" if field in offer.required else ""
    return html.Label([html.Span(name + mark, className="m-label"), field_input(field, offer, state, known, lang)],
                      className="m-field", **{"data-field": field})


def field_input(field: str, offer: case_actions.Offer, state: CaseState, known: Names, lang: str) -> Any:
    component_id = {"type": PARAM, "name": field}
    options = case_actions.choices(field, state, known, lang)
    if field in case_actions.FLAGS:
        return dcc.Checklist(id=component_id, options=[{"value": "yes", "label": t(f"param.{field}", lang)}],
                             value=[], className="m-check")
    if options is not None:
        multi = field in case_actions.MULTI
        return dcc.Dropdown(id=component_id, options=options, multi=multi, searchable=False,
                            clearable=field not in offer.required, className="m-select",
                            value=[] if multi else case_actions.default_value(field, offer, state, known))
    if field in case_actions.NUMBERS:
        return dcc.Input(id=component_id, type="number", min=0.5, max=720, step=0.5, className="m-input",
                         inputMode="decimal")
    if field in case_actions.TEXTAREAS:
        return dcc.Textarea(id=component_id, className="m-text", maxLength=MAX_TEXT)
    return dcc.Input(id=component_id, type="text", className="m-input")


def trail(history: list[Event], lang: str) -> html.Ol:
    """The audit trail, newest first, with each step's photos (through the guarded media route)."""
    items = []
    for event in reversed(history):
        role = ROLE_LABELS.get(event.role, event.role.value) if lang != "en" else event.role.value.replace("_", " ")
        moved = (f"{label('status', event.from_status.value, lang)} → {label('status', event.to_status.value, lang)}"
                 if event.from_status is not None and event.from_status is not event.to_status
                 else label("status", event.to_status.value, lang))
        where = event.payload.get("location") if isinstance(event.payload.get("location"), dict) else None
        note = mask_text(event.note) if event.note else None
        items.append(html.Li(
            [
                html.Div([html.Span(local(event.at), className="m-event-time"),
                          html.Span(label("action", event.action.value, lang), className="m-event-action"),
                          html.Span(moved, className="m-event-move")], className="m-event-head"),
                html.Div(f"{event.actor} · {role}", className="m-event-who"),
                html.Div(note, className="m-event-note") if note else None,
                html.Div(t("m.event.location", lang, lat=f"{where['lat']:.5f}", lon=f"{where['lon']:.5f}"),
                         className="m-event-location") if where and "lat" in where and "lon" in where else None,
                html.Div([evidence(link) for link in event.evidence], className="m-event-evidence")
                if event.evidence else None,
            ],
            className=f"m-event m-event-{event.action.value}", **{"data-seq": str(event.seq)},
        ))
    return html.Ol(items, className="m-events", id="m-trail-list")


def evidence(link: str) -> Any:
    """A photo of the trail as a thumbnail linking to it (our media route), other evidence as a link or text."""
    if link.startswith(media.CASE_PREFIX + "/"):
        return html.A(html.Img(src=link, className="m-thumb", alt=link.rsplit("/", 1)[-1][:12]), href=link,
                      target="_blank", rel="noopener", className="m-evidence")
    if link.startswith(("https://", "http://", "/")):
        return html.A(link.rsplit("/", 1)[-1] or link, href=link, target="_blank", rel="noopener noreferrer",
                      className="m-evidence")
    return html.Span(link, className="m-evidence")
