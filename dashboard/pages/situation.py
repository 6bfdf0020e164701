"""每日态势图 — the leaders' daily situation map: a day (or days) at a glance, on a desk or on a phone.

For the chosen days (default today so far; yesterday and the last seven days one tap away, any range up
to :data:`briefing.period.MAX_DAYS` in the picker) and the viewer's scope (a township user: their
township; a district user: the district or one township they pick):

- the key figures against the same weekdays of the week before;
- a map of where things happened: report density and the period's cases still open, by status, overdue
  ones ringed red (the dashboard's own layers, :mod:`layers.density` and :mod:`layers.cases`);
- the townships side by side (bars) and the league with every component of the score;
- what is overdue and who owns it (team, department or the command center; days over);
- the trend per hour (one day) or per day against the week before;
- exports: the day as a one-page PDF and a PNG brief (每日简报, :mod:`briefing.brief`) and the tables as
  Excel (:mod:`briefing.workbook`), sent through ``dcc.Download``.

Every callback checks the role on the server (:func:`dashboard.access.require`) and the township asked
for against the viewer's scope (:func:`dashboard.access.check_scope`): a township leader calling the
export callback for another township gets 403, whatever the page showed. All panels come from one
:class:`briefing.situation.Situation`, cached briefly per period and scope, so page, brief and workbook agree.

The layout takes ``?start=YYYY-MM-DD&end=YYYY-MM-DD&township=CODE`` so a link to a day can be forwarded.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import dash_leaflet as dl
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from briefing import brief, workbook
from briefing.mapdata import map_data
from briefing.period import Days, PeriodError, local_today, parse_days
from briefing.situation import Situation, situation
from cases.states import Role
from dashboard import access
from dashboard.components import layer_cache, layer_sync
from dashboard.components import situation_panels as panels
from dashboard.components.changes import TtlCache
from dashboard.components.map import bilingual_key
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import normalise, t
from dashboard.runtime import current
from layers import LayerQuery, empty_collection, registry
from layers.activity import ActivityQuery
from layers.cases import COLOURS as CASE_COLOURS
from layers.cases import open_cases
from layers.density import report_density

log = logging.getLogger(__name__)

ROLES = (Role.LEADER, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)

dash.register_page(__name__, path="/situation", name="每日态势图", title=t("sit.title"), order=10,
                   text_key="nav.situation", roles=ROLES)

RANGE_ID, TOWNSHIP_ID, SCOPE_ID, MESSAGE_ID, HEADING_ID = (
    "sit-range", "sit-township", "sit-scope", "sit-message", "sit-heading")
TODAY_ID, YESTERDAY_ID, WEEK_ID = "sit-today", "sit-yesterday", "sit-week"
PDF_ID, PNG_ID, XLSX_ID, DOWNLOAD_ID, EXPORT_MESSAGE_ID = (
    "sit-pdf", "sit-png", "sit-xlsx", "sit-download", "sit-export-message")
TILES_ID, COMPARE_ID, LEAGUE_ID, OVERDUE_ID, TREND_ID, TICK_ID = (
    "sit-tiles", "sit-compare", "sit-league", "sit-overdue", "sit-trend", "sit-tick")
MAP_ID, BASE_ID, TOWNSHIPS_ID, DENSITY_ID, CASES_ID, LEGEND_ID, SENT_ID, HINT_ID = (
    "sit-map", "sit-base", "sit-townships", "sit-density", "sit-cases", "sit-legend", "sit-sent", "sit-hint")

TICK_MS = 120_000
"""While the period includes today, the panels are read again this often (a leader may keep it open)."""
MIN_ZOOM, MAX_ZOOM = 9, 18

_situations = TtlCache(max_entries=16)
_exports = TtlCache(max_entries=8)
_names = TtlCache(max_entries=4)


# --------------------------------------------------------------------------------------------- scope


def township_names(store: Any) -> dict[str, tuple[str, str]]:
    """Township code → (Chinese, English) name (the jurisdiction does not change while running)."""
    def read() -> dict[str, tuple[str, str]]:
        return {str(r.code): (r.name, r.name_en or r.name) for r in store.townships().itertuples()}

    return _names.get_or_compute(id(store), 300.0, read)


def chosen_scope(township: str | None) -> tuple[str, ...] | None:
    """The townships to show: the one asked for (checked against the viewer's scope: 403 outside it), the
    viewer's own township, or None for the whole district. An unknown code is refused too."""
    actor = access.check(*ROLES)
    if township:
        access.check_scope(actor, township)
        if township not in township_names(current().store):
            raise access.NotAllowed(f"无权访问 · no township {township!r}")
        return (township,)
    return None if actor.township_code is None else (actor.township_code,)


def load(days: Days, scope: tuple[str, ...] | None) -> Situation:
    """The :class:`Situation` of ``days`` and ``scope``, shared by every viewer of this process for a short
    while (half a minute while the period includes today, five minutes for days gone by)."""
    runtime = current()
    now = datetime.now(UTC)
    ttl = 30.0 if days.end > now else 300.0

    def read() -> Situation:
        return situation(runtime.store, days, scope, now, jurisdiction=runtime.jurisdiction_name,
                         demo_boundaries=runtime.demo_boundaries)

    return _situations.get_or_compute((id(runtime.store), days.key(), scope), ttl, read)


def period(start: Any, end: Any) -> Days:
    return parse_days(start, end, today=local_today())


def scope_bounds(scope: tuple[str, ...] | None) -> tuple[float, float, float, float]:
    runtime = current()
    if scope is None:
        return runtime.extent
    frame = runtime.store.townships()
    frame = frame[frame["code"].isin(scope)]
    return tuple(float(v) for v in frame.total_bounds) if len(frame) else runtime.extent  # type: ignore[return-value]


def leaflet_bounds(box: tuple[float, float, float, float]) -> list[list[float]]:
    return [[box[1], box[0]], [box[3], box[2]]]


# -------------------------------------------------------------------------------------------- layout


@access.page_roles(*ROLES)
def layout(start: str | None = None, end: str | None = None, township: str | None = None, **_query: Any) -> html.Div:
    actor = access.current_actor()
    runtime = current()
    names = township_names(runtime.store)
    today = local_today()
    try:
        days = period(start, end)
    except PeriodError:
        days = Days(today, today)
    own = actor.township_code if actor else None
    chosen = own or (township if township in names else None)
    bounds = scope_bounds((chosen,) if chosen else None)
    controls = html.Div(
        [
            html.Div([html.Button(text("sit.today"), id=TODAY_ID, n_clicks=0, className="sit-chip"),
                      html.Button(text("sit.yesterday"), id=YESTERDAY_ID, n_clicks=0, className="sit-chip"),
                      html.Button(text("sit.week"), id=WEEK_ID, n_clicks=0, className="sit-chip")],
                     className="sit-chips"),
            dcc.DatePickerRange(id=RANGE_ID, start_date=days.first.isoformat(), end_date=days.last.isoformat(),
                                max_date_allowed=today.isoformat(), display_format="YYYY-MM-DD",
                                first_day_of_week=1, minimum_nights=0, className="sit-range"),
            dcc.Dropdown(id=TOWNSHIP_ID, options=panels.township_options(names, own, "zh"), value=chosen,
                         placeholder=t("sit.district"), clearable=own is None, disabled=own is not None,
                         className="sit-township"),
            html.Div([html.Button(text("sit.export.pdf"), id=PDF_ID, n_clicks=0, className="sit-export"),
                      html.Button(text("sit.export.png"), id=PNG_ID, n_clicks=0, className="sit-export"),
                      html.Button(text("sit.export.xlsx"), id=XLSX_ID, n_clicks=0, className="sit-export")],
                     className="sit-exports"),
        ],
        className="sit-controls",
    )
    leaflet = dl.Map(
        [
            dl.Pane(dl.GeoJSON(id=BASE_ID, data=empty_collection(), style={"variable": "ccMap.baseStyle"},
                               filter={"variable": "ccMap.polygonsOnly"}, interactive=False), name="cc-base"),
            dl.GeoJSON(id=TOWNSHIPS_ID, data=empty_collection(),
                       hideout={"layer": "townships", "style": {"color": "#33506e", "weight": 1.4, "opacity": 0.9,
                                                                "fillOpacity": 0}},
                       style={"variable": "ccMap.featureStyle"}, pointToLayer={"variable": "ccMap.labelMarker"},
                       interactive=False),
            dl.GeoJSON(id=DENSITY_ID, data=empty_collection(), style={"variable": "ccSituation.densityStyle"},
                       onEachFeature={"variable": "ccSituation.densityTooltip"}),
            dl.GeoJSON(id=CASES_ID, data=empty_collection(), hideout={"colours": CASE_COLOURS},
                       pointToLayer={"variable": "ccSituation.caseMarker"},
                       onEachFeature={"variable": "ccSituation.caseTooltip"}),
            dl.ScaleControl(position="bottomright", imperial=False),
            dl.AttributionControl(prefix=" · ".join(
                [*([bilingual_key("map.demo_boundaries")] if runtime.demo_boundaries else []), "Leaflet"]),
                position="bottomright"),
        ],
        id=MAP_ID, attributionControl=False, bounds=leaflet_bounds(bounds),
        center=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], minZoom=MIN_ZOOM, maxZoom=MAX_ZOOM,
        zoomSnap=0.5, className="sit-leaflet", style={"height": "100%", "width": "100%"},
    )
    graph = {"displayModeBar": False, "responsive": True}
    return html.Div(
        [
            dcc.Store(id=SCOPE_ID), dcc.Store(id=SENT_ID, data={}), dcc.Download(id=DOWNLOAD_ID),
            dcc.Interval(id=TICK_ID, interval=TICK_MS),
            html.Div([html.H1(text("sit.title", slot="page"), className="sit-title"),
                      html.Div(id=HEADING_ID, className="sit-heading")], className="sit-head"),
            controls,
            html.Div(id=MESSAGE_ID, className="sit-message", role="alert"),
            html.Div(id=EXPORT_MESSAGE_ID, className="sit-message", role="status"),
            dcc.Loading(html.Div(id=TILES_ID, className="sit-tiles"), type="dot", delay_show=400),
            html.Div(
                [
                    html.Section([html.H2(text("sit.map"), className="sit-h2"),
                                  html.Div([leaflet, html.Div(id=HINT_ID, className="sit-map-hint")],
                                           className="sit-map-frame"),
                                  html.Div(panels.map_legend("zh"), id=LEGEND_ID, className="sit-legend")],
                                 className="sit-card sit-card-map"),
                    html.Section([html.H2(text("sit.compare"), className="sit-h2"),
                                  dcc.Graph(id=COMPARE_ID, config=graph, className="sit-graph",
                                            style={"height": "560px"})],
                                 className="sit-card sit-card-compare"),
                    html.Section([html.H2(text("sit.league"), className="sit-h2"), html.Div(id=LEAGUE_ID)],
                                 className="sit-card sit-card-league"),
                    html.Section([html.H2(text("sit.overdue"), className="sit-h2"), html.Div(id=OVERDUE_ID)],
                                 className="sit-card sit-card-overdue"),
                    html.Section([html.H2(text("sit.trend"), className="sit-h2"),
                                  dcc.Graph(id=TREND_ID, config=graph, className="sit-graph",
                                            style={"height": f"{panels.TREND_HEIGHT}px"})],
                                 className="sit-card sit-card-trend"),
                ],
                className="sit-grid",
            ),
        ],
        className="cc-page sit-page",
    )


# ----------------------------------------------------------------------------------------- callbacks


@callback(Output(RANGE_ID, "start_date"), Output(RANGE_ID, "end_date"),
          Input(TODAY_ID, "n_clicks"), Input(YESTERDAY_ID, "n_clicks"), Input(WEEK_ID, "n_clicks"),
          prevent_initial_call=True)
@access.require(*ROLES)
def quick_range(_today: int, _yesterday: int, _week: int) -> tuple[str, str]:
    """Today, yesterday, or the seven days ending yesterday."""
    today = local_today()
    if ctx.triggered_id == YESTERDAY_ID:
        day = today - timedelta(days=1)
        return day.isoformat(), day.isoformat()
    if ctx.triggered_id == WEEK_ID:
        return (today - timedelta(days=7)).isoformat(), (today - timedelta(days=1)).isoformat()
    return today.isoformat(), today.isoformat()


@callback(
    Output(HEADING_ID, "children"), Output(TILES_ID, "children"), Output(COMPARE_ID, "figure"),
    Output(COMPARE_ID, "style"), Output(LEAGUE_ID, "children"), Output(OVERDUE_ID, "children"),
    Output(TREND_ID, "figure"), Output(MESSAGE_ID, "children"), Output(SCOPE_ID, "data"), Output(MAP_ID, "bounds"),
    Output(TOWNSHIP_ID, "options"), Output(TOWNSHIP_ID, "placeholder"),
    Input(RANGE_ID, "start_date"), Input(RANGE_ID, "end_date"), Input(TOWNSHIP_ID, "value"),
    Input(LANG_STORE, "data"), Input(TICK_ID, "n_intervals"),
    State(SCOPE_ID, "data"),
)
@access.require(*ROLES)
def refresh(start: str | None, end: str | None, township: str | None, lang: str | None, _tick: int | None,
            held: dict | None) -> tuple:
    """Every panel for the chosen days and township (the map's layers follow in :func:`refresh_map`)."""
    lang = normalise(lang)
    scope = chosen_scope(township)
    try:
        days = period(start, end)
    except PeriodError as exc:
        return (*([no_update] * 7), t("sit.bad_period", lang, reason=str(exc)), *([no_update] * 4))
    now = datetime.now(UTC)
    if ctx.triggered_id == TICK_ID and days.end <= now:
        raise PreventUpdate  # days gone by do not change
    sit = load(days, scope)
    actor = access.current_actor()
    scope_data = {"first": days.first.isoformat(), "last": days.last.isoformat(),
                  "townships": list(scope) if scope else None,
                  "read": sit.generated_at.isoformat()}  # moves when the situation is read again: the map follows
    moved = (held or {}).get("townships") != scope_data["townships"]
    heading = [html.Span(sit.scope_name(lang), className="sit-scope-name"),
               html.Span(days.label(), className="sit-days"),
               html.Span(t("sit.as_of", lang, at=brief.local(sit.as_of)), className="sit-as-of")]
    compare = panels.compare_figure(sit, lang)
    return (
        heading,
        panels.tiles(sit, lang),
        compare,
        {"height": f"{compare.layout.height}px"},
        panels.league_table(sit, lang),
        panels.overdue_panel(sit, lang, case_links=_may_open_cases(actor)),
        panels.trend_figure(sit, lang),
        "",
        scope_data,
        leaflet_bounds(scope_bounds(scope)) if moved and held is not None else no_update,
        panels.township_options(township_names(current().store), actor.township_code if actor else None, lang),
        t("sit.district", lang),
    )


def _may_open_cases(actor: Any) -> bool:
    """Link case codes to their page only for roles that may open it."""
    page = next((p for p in dash.page_registry.values() if p.get("path_template") == "/cases/<case_id>"), None)
    return page is not None and access.allowed(actor, access.page_allowed_roles(page))


@callback(
    Output(TOWNSHIPS_ID, "data"), Output(DENSITY_ID, "data"), Output(CASES_ID, "data"), Output(LEGEND_ID, "children"),
    Output(HINT_ID, "children"), Output(SENT_ID, "data"),
    Input(MAP_ID, "bounds"), Input(MAP_ID, "zoom"), Input(SCOPE_ID, "data"), Input(LANG_STORE, "data"),
    State(SENT_ID, "data"),
)
@access.require(*ROLES)
def refresh_map(bounds: Any, zoom: Any, scope_data: dict | None, lang: str | None, sent: dict | None) -> tuple:
    """The townships (in the language), and the period's report density and open cases for the view."""
    if not scope_data:
        raise PreventUpdate
    lang = normalise(lang)
    townships = scope_data.get("townships")
    scope = chosen_scope(townships[0] if townships else None)
    try:
        days = period(scope_data.get("first"), scope_data.get("last"))
    except PeriodError:
        raise PreventUpdate from None
    runtime = current()
    zoom = float(zoom) if isinstance(zoom, int | float) else layer_sync.OPENING_ZOOM
    view = layer_sync.view_bbox(bounds) or scope_bounds(scope)
    sent = dict(sent or {})
    key = [scope_data, lang]
    box = sent.get("box")
    if sent.get("key") == key and sent.get("zoom") == zoom and box and layer_sync.contains(box, view):
        raise PreventUpdate
    fetch = tuple(round(v, 6) for v in layer_sync.pad(view, 0.25))
    now = datetime.now(UTC)
    start, end = days.window(now)
    query = ActivityQuery(bbox=fetch, zoom=zoom, lang=lang, start=start, end=end, as_of=end, townships=scope)
    density = report_density(runtime.store, query)
    cases = open_cases(runtime.store, query)
    outlines = no_update
    if sent.get("key") != key:
        data = layer_cache.layer_data(runtime.store, registry.get("townships"), LayerQuery(zoom=12.0, lang=lang))
        outlines = data if scope is None else {
            **data, "features": [f for f in data["features"] if f["properties"].get("code") in scope]}
    overdue = sum(int(f["properties"].get("overdue", 0)) for f in cases["features"])
    hint = t("sit.map.hint", lang, n=f"{cases.get('total', 0):,}", overdue=f"{overdue:,}",
             reports=f"{sum(int(f['properties']['count']) for f in density['features']):,}")
    legend = panels.map_legend(lang, density.get("breaks"), density.get("block_m"))
    sent.update(key=key, zoom=zoom, box=list(fetch))
    return outlines, density, cases, legend, hint, sent


# The plain base is drawn from the township outlines the browser already has.
clientside_callback("function(townships) { return townships; }", Output(BASE_ID, "data"),
                    Input(TOWNSHIPS_ID, "data"))


# ------------------------------------------------------------------------------------------- exports


def export_files(days: Days, scope: tuple[str, ...] | None, lang: str) -> dict[str, bytes]:
    """The brief (PDF, PNG) and the workbook of a period and scope, made once per cached situation."""
    sit = load(days, scope)
    runtime = current()

    def make() -> dict[str, bytes]:
        pdf, png = brief.render(sit, map_data(runtime.store, sit), lang)
        return {"pdf": pdf, "png": png, "xlsx": workbook.workbook_bytes(sit, lang)}

    return _exports.get_or_compute((id(runtime.store), days.key(), scope, lang, sit.generated_at), 300.0, make)


def file_name(days: Days, sit_scope: str, kind: str, lang: str) -> str:
    """``每日简报-大同街道-2026-11-03.pdf`` / ``daily-brief-Datong-Subdistrict-2026-11-03.pdf``."""
    stem = t("sit.file.tables" if kind == "xlsx" else "sit.file.brief", lang)
    days_part = days.first.isoformat() if days.count == 1 else f"{days.first.isoformat()}_{days.last.isoformat()}"
    scope_part = "".join(c if c.isalnum() else "-" for c in sit_scope).strip("-") or "district"
    return f"{stem}-{scope_part}-{days_part}.{kind}"


MEDIA = {"pdf": "application/pdf", "png": "image/png",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@callback(
    Output(DOWNLOAD_ID, "data"), Output(EXPORT_MESSAGE_ID, "children"),
    Input(PDF_ID, "n_clicks"), Input(PNG_ID, "n_clicks"), Input(XLSX_ID, "n_clicks"),
    State(RANGE_ID, "start_date"), State(RANGE_ID, "end_date"), State(TOWNSHIP_ID, "value"), State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def export(_pdf: int, _png: int, _xlsx: int, start: str | None, end: str | None, township: str | None,
           lang: str | None) -> tuple:
    """The file the button asks for, for the days and township on the page (scope checked again here)."""
    kind = {PDF_ID: "pdf", PNG_ID: "png", XLSX_ID: "xlsx"}.get(ctx.triggered_id)
    if kind is None:
        raise PreventUpdate
    lang = normalise(lang)
    scope = chosen_scope(township)
    try:
        days = period(start, end)
    except PeriodError as exc:
        return no_update, t("sit.bad_period", lang, reason=str(exc))
    files = export_files(days, scope, lang)
    sit = load(days, scope)
    name = file_name(days, sit.scope_name(lang), kind, lang)
    log.info("%s exported the %s of %s for %s", access.current_actor().label, kind, days.label(),
             ",".join(scope) if scope else "the district")
    return dcc.send_bytes(files[kind], name, type=MEDIA[kind]), ""
