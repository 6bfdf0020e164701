"""案件详情 — one case: its summary, reports, map, the audit trail as a timeline, and the actions allowed now.

``/cases/<case_id>`` (a Dash pages ``path_template``). Everything shown is read on the server for the
signed-in person, and every callback checks again, whatever the browser sends:

- the role may open case pages (:data:`ROLES`), and the case is within their scope — their township; for
  officers and team leaders, their team's cases; for a liaison, their department's — by the domain's own
  rule, :func:`cases.permissions.scope_problem`. A case outside it is refused (HTTP 403 to a callback, a
  polite refusal on the page), even when its id is typed into the URL or posted to a callback directly;
- reporters' names and phone numbers, and phone numbers inside free text, are masked unless the role calls
  reporters back (:func:`dashboard.access.reporter_view`);
- the action buttons are the rule table's for the role and the case's status
  (:mod:`dashboard.components.case_actions`); a step goes through
  :meth:`store.casework.CaseService.act` with the signed-in actor and the version the page showed, so a
  refusal comes back with the rules' reason and a case moved meanwhile with "changed by … at …, reload".
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import dash
import dash_leaflet as dl
import flask
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cases.authority import AuthorityError
from cases.calendar import SHANGHAI
from cases.deadlines import light
from cases.events import Event
from cases.lifecycle import TransitionRefused
from cases.permissions import Actor, scope_problem
from cases.plans import ResponsePlan, load_plans
from cases.states import ROLE_LABELS, Action, CaseState, Role
from dashboard import access
from dashboard.casework import case_id_of, case_id_or_403, case_service, open_case, open_or_403
from dashboard.components import case_actions, layer_cache
from dashboard.components.map import BASE_PANE, attribution_prefix, js
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import has, normalise, t
from dashboard.runtime import current
from ingest.privacy import mask_text
from layers import LayerQuery, registry
from store import Conflict, InvalidData, NotFound
from store.case_queue import NO_LIGHT, Names, case_reports, names, product_policy
from store.store import Store

ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.LEADER, Role.LEGAL_REVIEWER, Role.TEAM_LEADER, Role.OFFICER,
         Role.DEPARTMENT_LIAISON)
"""Who may open a case page (each within their scope). Administrators and schedulers do not work cases."""

dash.register_page(__name__, path_template="/cases/<case_id>", name="案件详情", title="案件详情", order=31,
                   roles=ROLES)

log = logging.getLogger(__name__)

CASE_STORE = "case-id"
VERSION_STORE = "case-version"
REFRESH_STORE = "case-refresh"
CHOSEN_STORE = "case-chosen"
HEAD_ID = "case-head"
SUMMARY_ID = "case-summary"
MAP_BOX_ID = "case-map-box"
MAP_ID = "case-map"
REPORTS_ID = "case-reports"
TIMELINE_ID = "case-timeline"
ACTIONS_ID = "case-actions"
FORM_ID = "case-form"
FORM_BOX_ID = "case-form-box"
SUBMIT_ID = "case-submit"
CANCEL_ID = "case-cancel"
RELOAD_ID = "case-reload"
MESSAGE_ID = "case-message"
LIGHT_COLOURS = {"red": "#d64545", "yellow": "#e0a400", "green": "#2f9e44", NO_LIGHT: "#6b7a8c"}
TIME_FORMAT = "%Y-%m-%d %H:%M"
BASE_ZOOM = 14.0
"""Detail of the township polygons under the small map (built at start-up: see dashboard.bootstrap)."""

# --------------------------------------------------------------------------------- services per store

_lock = threading.Lock()
_plans: list[tuple[ResponsePlan, ...]] = []


def response_plans(items: Names) -> tuple[ResponsePlan, ...]:
    """The response plans (智能预案) of the catalogue, read once per process."""
    with _lock:
        if not _plans:
            _plans.append(load_plans(known_items=set(items.items)))
        return _plans[0]


# ------------------------------------------------------------------------------------------- access


# --------------------------------------------------------------------------------------------- layout


@access.page_roles(*ROLES)
def layout(case_id: str | None = None, **_query: Any) -> html.Div:
    actor = access.current_actor()
    store = current().store
    try:
        number = case_id_of(case_id)
        summary, _ = open_case(actor, store, number)  # type: ignore[arg-type]  # page_roles: signed in
    except (InvalidData, NotFound):
        return _refusal(t("case.not_found", id=case_id), "", "not_found")
    except access.NotAllowed as exc:
        return _refusal(t("case.forbidden"), exc.description, "scope")
    return html.Div(
        [
            dcc.Store(id=CASE_STORE, data=number),
            dcc.Store(id=VERSION_STORE, data=summary["version"]),
            dcc.Store(id=REFRESH_STORE, data=0),
            dcc.Store(id=CHOSEN_STORE),
            html.Div(
                [dcc.Link(text("case.back"), href="/cases", className="cc-case-back"),
                 html.Div(id=HEAD_ID, className="cc-case-head", children=html.H2(summary["code"]))],
                className="cc-case-top",
            ),
            html.Div(
                [
                    html.Section([html.H3(text("case.summary")), html.Div(id=SUMMARY_ID)], className="cc-card cc-case-summary"),
                    html.Section([html.H3(text("case.map")), html.Div(id=MAP_BOX_ID, className="cc-case-map")],
                                 className="cc-card cc-case-mapcard"),
                    html.Section(
                        [
                            html.Div([html.H3(text("case.actions")),
                                      html.Button(text("case.reload"), id=RELOAD_ID, className="cc-button cc-button-quiet")],
                                     className="cc-case-actions-head"),
                            html.Div(id=ACTIONS_ID, className="cc-case-actions"),
                            html.Div(
                                [html.Div(id=FORM_ID, className="cc-case-form"),
                                 html.Div([html.Button(text("case.submit"), id=SUBMIT_ID, className="cc-button cc-button-primary"),
                                           html.Button(text("case.cancel"), id=CANCEL_ID, className="cc-button cc-button-quiet")],
                                          className="cc-case-form-buttons")],
                                id=FORM_BOX_ID, className="cc-case-form-box cc-hidden",
                            ),
                            html.Div(id=MESSAGE_ID, className="cc-case-message", **{"aria-live": "polite"}),
                        ],
                        className="cc-card cc-case-actcard",
                    ),
                    html.Section([html.H3(text("case.reports")), html.Div(id=REPORTS_ID)], className="cc-card cc-case-reportcard"),
                    html.Section([html.H3(text("case.timeline")), html.Div(id=TIMELINE_ID)], className="cc-card cc-case-timecard"),
                ],
                className="cc-case-grid",
            ),
        ],
        className="cc-page cc-page-case",
        **{"data-case": str(number)},
    )


def _refusal(title: str, detail: str, kind: str) -> html.Div:
    return html.Div(
        [html.H2(title), html.P(detail) if detail else None,
         dcc.Link(text("case.back"), href="/cases", className="cc-refusal-link")],
        className="cc-page cc-refusal", **{"data-refusal": kind},
    )


# ------------------------------------------------------------------------------------------ callbacks


@callback(
    Output(HEAD_ID, "children"),
    Output(SUMMARY_ID, "children"),
    Output(MAP_BOX_ID, "children"),
    Output(REPORTS_ID, "children"),
    Output(TIMELINE_ID, "children"),
    Output(ACTIONS_ID, "children"),
    Output(VERSION_STORE, "data"),
    Input(REFRESH_STORE, "data"),
    Input(LANG_STORE, "data"),
    State(CASE_STORE, "data"),
)
@access.require(*ROLES)
def show_case(_refresh: Any, lang: str | None, case_id: Any) -> tuple:
    """Everything about the case as the signed-in person may see it, and the version shown."""
    actor = access.check(*ROLES)
    runtime = current()
    store = runtime.store
    lang = normalise(lang)
    number = case_id_or_403(case_id)
    summary, state = open_or_403(actor, store, number)
    known = names(store)
    personal = access.may_see_personal_data(actor)
    now = datetime.now(UTC)
    value = light(state, now, product_policy())
    colour = value.value if value is not None else NO_LIGHT
    reports = case_reports(store, number)
    history = case_service(store).history(number)
    found = case_actions.offers(state, actor, known)
    return (
        _head(summary, colour, lang),
        _summary(summary, state, colour, known, lang, personal),
        _map(runtime, store, summary, reports, colour, lang),
        _reports(actor, reports, lang),
        _timeline(history, known, lang, personal),
        _action_buttons(found, state, actor, lang),
        state.seq,
    )


@callback(
    Output(FORM_ID, "children"),
    Output(FORM_BOX_ID, "className"),
    Output(CHOSEN_STORE, "data"),
    Output(MESSAGE_ID, "children", allow_duplicate=True),
    Input({"type": case_actions.ACTION_BUTTON, "action": ALL}, "n_clicks"),
    State(CASE_STORE, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def choose_action(clicks: list[Any], case_id: Any, lang: str | None) -> tuple:
    """The form of the action clicked, if the person may take it on this case now."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or ()):
        raise PreventUpdate
    actor = access.check(*ROLES)
    store = current().store
    lang = normalise(lang)
    _, state = open_or_403(actor, store, case_id_or_403(case_id))
    known = names(store)
    offer = case_actions.find_offer(case_actions.offers(state, actor, known), trigger.get("action"))
    if offer is None:
        return [], "cc-case-form-box cc-hidden", None, _message("refused", t("case.refused", lang),
                                                               f"{trigger.get('action')}: {t('case.actions.none', lang)}")
    heading = html.H4(t(f"action.{offer.action.value}", lang), className="cc-form-title")
    return ([heading, *case_actions.form_fields(offer, state, known, lang)], "cc-case-form-box",
            offer.action.value, None)


@callback(
    Output(MESSAGE_ID, "children"),
    Output(REFRESH_STORE, "data"),
    Output(FORM_ID, "children", allow_duplicate=True),
    Output(FORM_BOX_ID, "className", allow_duplicate=True),
    Output(CHOSEN_STORE, "data", allow_duplicate=True),
    Input(SUBMIT_ID, "n_clicks"),
    Input(CANCEL_ID, "n_clicks"),
    Input(RELOAD_ID, "n_clicks"),
    State(CHOSEN_STORE, "data"),
    State({"type": case_actions.PARAM, "name": ALL}, "value"),
    State({"type": case_actions.PARAM, "name": ALL}, "id"),
    State(VERSION_STORE, "data"),
    State(CASE_STORE, "data"),
    State(REFRESH_STORE, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def take_action(_submit: Any, _cancel: Any, _reload: Any, chosen: str | None, values: list[Any],
                ids: list[dict], version: Any, case_id: Any, refresh: Any, lang: str | None) -> tuple:
    """Submit: the step through the case service as the signed-in actor. Cancel, reload: start over."""
    actor = access.check(*ROLES)
    lang = normalise(lang)
    refresh = (refresh or 0) + 1
    closed = ([], "cc-case-form-box cc-hidden", None)
    if ctx.triggered_id in (CANCEL_ID, RELOAD_ID):
        return (None, refresh, *closed)
    if not chosen:
        raise PreventUpdate
    store = current().store
    number = case_id_or_403(case_id)
    _, state = open_or_403(actor, store, number)
    known = names(store)
    offer = case_actions.find_offer(case_actions.offers(state, actor, known), chosen)
    service = case_service(store)
    try:
        # not offered (the case moved on, or the role may not): the case service refuses with the rules' reason
        payload: dict[str, Any] = {} if offer is None else case_actions.payload_from_form(
            offer, case_actions.values_by_field(ids, values))
        if offer is not None and offer.action is Action.ACCEPT:
            payload = service.acceptance(state, response_plans(known), item_code=payload.get("item_code"),
                                         note=payload.get("note"))
        expected = int(version) if version is not None else None
        step = service.act(number, chosen, actor, payload, datetime.now(UTC), expected_version=expected,
                           client_address=flask.request.remote_addr)
    except Conflict as exc:
        return (_message("conflict", t("case.conflict", lang), str(exc), reload=True), no_update,
                no_update, no_update, no_update)
    except TransitionRefused as exc:
        return (_message("refused", t("case.refused", lang), str(exc)), no_update, no_update, no_update, no_update)
    except (case_actions.FormError, AuthorityError, InvalidData, ValueError) as exc:
        return (_message("refused", t("case.bad_input", lang), str(exc)), no_update, no_update, no_update, no_update)
    log.info("case %s: %s by %s (version %s)", number, chosen, actor.label, step.version)
    done = t("case.done", lang, action=t(f"action.{step.event.action.value}", lang), seq=step.version)
    return (_message("done", done, ""), refresh, *closed)




# ------------------------------------------------------------------------------------------- sections


def local(value: datetime | None) -> str:
    """A stored UTC time as Asia/Shanghai wall time, as the command center reads it."""
    return value.astimezone(SHANGHAI).strftime(TIME_FORMAT) if value is not None else "—"


def label(prefix: str, value: Any, lang: str) -> str:
    """The translated label of a coded value, or the value itself when it has none."""
    key = f"{prefix}.{value}"
    return t(key, lang) if has(key) else ("" if value is None else str(value))


def _message(kind: str, title: str, detail: str, reload: bool = False) -> html.Div:
    return html.Div(
        [html.Strong(title), html.Div(detail, className="cc-message-detail") if detail else None,
         html.Div(text("case.reload", slot="message"), className="cc-message-hint") if reload else None],
        className=f"cc-message cc-message-{kind}", **{"data-kind": kind},
    )


def _head(summary: dict[str, Any], colour: str, lang: str) -> list:
    return [
        html.H2(summary["code"], className="cc-case-code"),
        html.Span(label("status", summary["status"], lang), className=f"cc-badge cc-status-{summary['status']}",
                  id="case-status", **{"data-status": summary["status"]}),
        html.Span(label("light", colour, lang), className=f"cc-light cc-light-{colour}", id="case-light",
                  **{"data-light": colour}),
    ]


def _summary(summary: dict[str, Any], state: CaseState, colour: str, known: Names, lang: str,
             personal: bool) -> html.Dl:
    flags = []
    if state.supervised:
        flags.append(t("case.flag.supervised", lang, level=state.supervision_level))
    if state.suspended:
        flags.append(t("case.flag.suspended", lang))
    if state.rework_count:
        flags.append(t("case.flag.rework", lang, n=state.rework_count))
    if state.extension.value != "none":
        flags.append(t("case.flag.extension", lang, state=label("value.extension", state.extension.value, lang)))
    description = summary.get("description")
    if description and not personal:
        description = mask_text(description)
    rows = [
        ("case.field.status", label("status", summary["status"], lang)),
        ("case.field.light", label("light", colour, lang)),
        ("case.field.priority", label("priority", summary["priority"], lang)),
        ("case.field.township", known.name("townships", summary["township_code"], lang)),
        ("case.field.community", known.name("communities", summary["community_code"], lang)),
        ("case.field.cell", summary.get("cell_code") or "—"),
        ("case.field.item", f"{summary['item_code'] or ''} {known.name('items', summary['item_code'], lang)}".strip()),
        ("case.field.channel", label("channel", summary.get("channel"), lang)),
        ("case.field.team", known.name("teams", summary.get("current_team_code"), lang) or "—"),
        ("case.field.department", summary.get("department") or "—"),
        ("case.field.opened", local(summary["opened_at"])),
        ("case.field.deadline", local(summary.get("deadline_at"))),
        ("case.field.flags", " · ".join(flags) or "—"),
        ("case.field.description", description or "—"),
        ("case.field.address", summary.get("address") or "—"),
        ("case.field.version", str(state.seq)),
    ]
    return html.Dl([html.Div([html.Dt(t(key, lang)), html.Dd(value)], className="cc-field") for key, value in rows],
                   className="cc-fields cc-case-fields")


def _base(store: Store) -> dict:
    """Every township polygon, as the jurisdiction map's offline base draws them (built once per process)."""
    return layer_cache.layer_data(store, registry.get("townships"), LayerQuery(zoom=BASE_ZOOM, lang="zh"))


def _map(runtime: Any, store: Store, summary: dict[str, Any], reports: list[dict[str, Any]], colour: str,
         lang: str) -> dl.Map:
    """A small map: the township as the base, the reports, and the case on top."""
    points = [(r["lat"], r["lon"]) for r in reports if r["lat"] is not None]
    case_point = (summary["lat"], summary["lon"]) if summary.get("lat") is not None else None
    if case_point:
        points.append(case_point)
    children: list[Any] = []
    if runtime.tile_url:
        children.append(dl.TileLayer(url=runtime.tile_url, attribution=runtime.tile_attribution or None))
    children.append(dl.Pane(dl.GeoJSON(data=_base(store), style=js("baseStyle"), filter=js("polygonsOnly"),
                                       interactive=False, id="case-map-base"),
                            name=BASE_PANE))  # under the markers, as on the jurisdiction map
    for report in reports:
        if report["lat"] is None:
            continue
        tip = f"{t('case.map.report', lang)} · {label('channel', report['channel'], lang)} · {local(report['received_at'])}"
        children.append(dl.CircleMarker(center=[report["lat"], report["lon"]], radius=6, color="#1c5d99", weight=2,
                                        fillColor="#4c8fd6", fillOpacity=0.8, className="cc-case-report-marker",
                                        children=dl.Tooltip(tip)))
    if case_point:
        children.append(dl.CircleMarker(center=list(case_point), radius=11, color=LIGHT_COLOURS[colour], weight=4,
                                        fillColor="#ffffff", fillOpacity=0.9, className="cc-case-marker",
                                        children=dl.Tooltip(f"{t('case.map.case', lang)} {summary['code']}")))
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        pad = 0.01  # about a kilometre around: the streets and villages nearby
        bounds = [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
    else:
        min_lon, min_lat, max_lon, max_lat = runtime.extent
        bounds = [[min_lat, min_lon], [max_lat, max_lon]]
    center = list(case_point) if case_point else [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    return dl.Map(
        [*children, dl.AttributionControl(prefix=attribution_prefix(runtime), position="bottomright")],
        id=MAP_ID, bounds=bounds, center=center, zoom=14, attributionControl=False, className="cc-map cc-case-leaflet",
        style={"height": "100%", "width": "100%"},
    )


def _reports(actor: Actor, reports: list[dict[str, Any]], lang: str) -> list:
    if not reports:
        return [html.P(t("case.reports.none", lang), className="cc-panel-hint")]
    head = html.Thead(html.Tr([html.Th(t(key, lang)) for key in (
        "case.report.received", "case.report.channel", "case.report.description", "case.report.reporter",
        "case.report.phone", "case.report.address")]))
    body = []
    for report in reports:
        name, phone, description = access.reporter_view(actor, report["reporter_name"], report["reporter_phone"],
                                                        report["description"])
        body.append(html.Tr([
            html.Td(local(report["received_at"])), html.Td(label("channel", report["channel"], lang)),
            html.Td(description or "—"), html.Td(name or "—", className="cc-reporter-name"),
            html.Td(phone or "—", className="cc-reporter-phone"), html.Td(report["address"] or "—"),
        ], **{"data-report": str(report["id"])}))
    note = [] if access.may_see_personal_data(actor) else [html.P(t("case.reports.masked", lang), className="cc-panel-hint")]
    return [html.Table([head, html.Tbody(body)], className="cc-table cc-case-report-table"), *note]


DETAIL_FIELDS = ("team_code", "lead_team_code", "department", "departments", "reject_reason", "outcome", "reason",
                 "hours", "level", "conclusion", "opinion", "step", "item_code")


def _timeline(history: list[Event], known: Names, lang: str, personal: bool) -> html.Ol:
    items = []
    for event in history:
        role = ROLE_LABELS.get(event.role, event.role.value) if lang != "en" else event.role.value.replace("_", " ")
        moved = (f"{label('status', event.from_status.value, lang)} → {label('status', event.to_status.value, lang)}"
                 if event.from_status is not None and event.from_status is not event.to_status
                 else label("status", event.to_status.value, lang))
        details = []
        for field in DETAIL_FIELDS:
            value = event.payload.get(field)
            if value in (None, "", []):
                continue
            if field in ("team_code", "lead_team_code"):
                value = known.name("teams", value, lang)
            elif field in ("reject_reason", "outcome", "conclusion", "level"):
                value = label(f"value.{field}", value, lang)
            elif isinstance(value, list):
                value = "、".join(str(v) for v in value)
            key = "case.field.item" if field == "item_code" else f"param.{field}"
            param = t(key, lang) if has(key) else field
            details.append(f"{param}: {value}")
        note = event.note if personal or not event.note else mask_text(event.note)
        items.append(html.Li(
            [
                html.Div([html.Span(local(event.at), className="cc-event-time"),
                          html.Span(label("action", event.action.value, lang), className="cc-event-action"),
                          html.Span(moved, className="cc-event-move")], className="cc-event-head"),
                html.Div([html.Span(event.actor, className="cc-event-actor"), html.Span(f" · {role}", className="cc-event-role")],
                         className="cc-event-who"),
                html.Div(note, className="cc-event-note") if note else None,
                html.Div(" · ".join(details), className="cc-event-details") if details else None,
                html.Div([_evidence(link) for link in event.evidence], className="cc-event-evidence") if event.evidence else None,
            ],
            className=f"cc-event cc-event-{event.action.value}", **{"data-seq": str(event.seq)},
        ))
    return html.Ol(items, className="cc-timeline", id="case-timeline-list")


def _evidence(link: str) -> Any:
    """An evidence link: clickable when it is a web or local address, plain text otherwise."""
    if link.startswith(("https://", "http://", "/")):
        return html.A(link.rsplit("/", 1)[-1] or link, href=link, target="_blank", rel="noopener noreferrer",
                      className="cc-evidence")
    return html.Span(link, className="cc-evidence")


def _action_buttons(found: list[case_actions.Offer], state: CaseState, actor: Actor, lang: str) -> list:
    problem = scope_problem(actor, state, {})
    if problem:
        return [html.P(t("case.actions.scope", lang, reason=problem), className="cc-panel-hint")]
    possible = [o for o in found if o.blocked is None]
    blocked = [o for o in found if o.blocked is not None]
    if not found:
        return [html.P(t("case.actions.none", lang), className="cc-panel-hint", id="case-no-actions")]
    buttons = [
        html.Button(t(f"action.{o.action.value}", lang), id={"type": case_actions.ACTION_BUTTON, "action": o.action.value},
                    className="cc-button cc-action", **{"data-action": o.action.value})
        for o in possible
    ]
    parts: list[Any] = [html.Div(buttons, className="cc-action-buttons")]
    if blocked:
        parts.append(html.Details(
            [html.Summary(t("case.actions.blocked", lang, n=len(blocked))),
             html.Ul([html.Li([html.Strong(t(f"action.{o.action.value}", lang)), f"：{o.blocked}"],
                              **{"data-action": o.action.value}) for o in blocked])],
            className="cc-action-blocked",
        ))
    return parts
