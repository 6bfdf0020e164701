"""指挥大屏 — the wall display: the district (or one township) live, for a dim room, untouched all day.

A dark page that fills a 1920×1080 … 3840×2160 screen without scrolling: KPI tiles for today across the
top; the map (townships coloured by a chosen KPI, report density, open cases clustered by status with the
overdue ones pulsing, teams by status) on the left; on the right the ticker of new reports and one of four
panels — township league, 24-hour trend, channel mix, problem types — rotating every 15 s or pinned.
Operators, leaders and administrators may open it; a township user sees their township only (every query
below is limited to :func:`scope`). The ticker never shows a reporter's name or phone number.

Live updates: a short poll, not a WebSocket
-------------------------------------------
The app runs on Dash's Flask backend (waitress, or gunicorn in production), where Dash's WebSocket
callbacks are not available — they need the FastAPI backend. So the page polls: a ``dcc.Interval`` of
1 s asks :func:`poll`, which reads one Redis counter (bumped by every ingest worker after it stored a
report) and two primary-key maxima of the store (new reports by any road, case steps by any process),
:func:`dashboard.components.changes.current_version`. Only when that version moved does the ticker and
tile callback run (:func:`refresh_now`: the newest reports and today's counts), so a new report is on
every open wall within about a second, whichever server process serves it. The map layers, the league and
the charts refresh at most every 5 s when the version moved (:func:`refresh_panels`,
:func:`refresh_layers`), and every 60 s regardless (the clock moves deadlines).

No growth over hours: the ticker holds the last :data:`TICKER_SIZE` reports and is replaced, not appended
to; stores hold a few numbers; the server's caches are bounded (:class:`~dashboard.components.changes.TtlCache`).
The page recovers by itself: the intervals keep firing while the server or the network is away (the status
light says so, from the age of the last answer), and the first answer after it is back brings everything
up to date — no reload.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cases.calendar import SHANGHAI
from cases.states import Role
from dashboard import access
from dashboard.components import layer_cache, layer_sync, wall_map, wall_panels
from dashboard.components.changes import TtlCache, current_version
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import normalise, t
from dashboard.runtime import current
from layers import LayerQuery, empty_collection, registry
from layers.activity import ActivityQuery
from layers.cases import open_cases
from layers.density import report_density
from layers.teams import team_places

log = logging.getLogger(__name__)

ROLES = (Role.OPERATOR, Role.LEADER, Role.ADMIN)

dash.register_page(__name__, path="/wall", name="指挥大屏", title=t("wall.title"), order=1, text_key="nav.wall",
                   roles=ROLES)

ROOT_ID = "wall-root"
POLL_ID, SLOW_ID, ROTATE_ID = "wall-poll", "wall-slow", "wall-rotate"
VERSION_ID, BEAT_ID, SEEN_ID, RENDERED_ID, SENT_ID, SHOWN_ID, SCREEN_ID = (
    "wall-version", "wall-beat", "wall-seen", "wall-rendered", "wall-sent", "wall-shown", "wall-screen")
ROTATION_ID, ROTATOR_ID, PIN_ID = "wall-rotation", "wall-rotator", "wall-pin"
TILES_ID, TICKER_ID, CLOCK_ID, STATUS_ID = "wall-tiles", "wall-ticker", "wall-clock", "wall-status"
LEAGUE_ID, TREND_ID, CHANNELS_ID, ITEMS_ID = "wall-league", "wall-trend", "wall-channels", "wall-items"
PANELS = ("league", "trend", "channels", "items")

POLL_MS = 1_000
SLOW_MS = 5_000
ROTATE_MS = 15_000
REFRESH_ANYWAY_S = 60.0
"""Charts and layers are redrawn at least this often even when nothing was announced (deadlines pass)."""
TICKER_SIZE = 12
LEAGUE_DAYS = 30
PAD = 0.1
"""Share of the view fetched beyond each edge for the viewport layers (a wall seldom pans)."""

SHARED_S = 4.0
"""How long one process shares a drawn panel or a layer's answer between its walls (less than SLOW_MS)."""

_now_cache = TtlCache(max_entries=32)
_panel_cache = TtlCache(max_entries=64)
_layer_cache = TtlCache(max_entries=24)
_league_cache = TtlCache(max_entries=16)
_names_cache = TtlCache(max_entries=4)


def scope() -> tuple[str, ...] | None:
    """The townships the signed-in person may see: their own, or None (the whole district)."""
    actor = access.current_actor()
    if actor is None:
        raise access.NotSignedIn()
    return None if actor.township_code is None else (actor.township_code,)


def township_names(store: Any) -> dict[str, dict[str, str]]:
    """Township code → {"zh": name, "en": name_en} (the jurisdiction does not change while running)."""
    def read() -> dict[str, dict[str, str]]:
        frame = store.townships()
        return {str(row.code): {"zh": row.name, "en": row.name_en or row.name} for row in frame.itertuples()}

    return _names_cache.get_or_compute(id(store), 300.0, read)


def township_layer(store: Any, lang: str, townships: tuple[str, ...] | None) -> dict:
    """The township polygons and labels (the cached whole layer), only the scope's for a township user."""
    data = layer_cache.layer_data(store, registry.get("townships"), LayerQuery(zoom=12.0, lang=lang))
    if townships is None:
        return data
    return {**data, "features": [f for f in data["features"] if f["properties"].get("code") in townships]}


def scope_bounds(store: Any, townships: tuple[str, ...] | None,
                 extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Where the map opens: the district's extent, or a township user's township."""
    if townships is None:
        return extent
    frame = store.townships()
    frame = frame[frame["code"].isin(townships)]
    return tuple(float(v) for v in frame.total_bounds) if len(frame) else extent


# ------------------------------------------------------------------------------------------- layout


@access.page_roles(*ROLES)
def layout(**_query: Any) -> html.Div:
    runtime = current()
    townships = scope()
    names = township_names(runtime.store)
    if townships:
        name = names.get(townships[0], {"zh": townships[0], "en": townships[0]})
        scope_text = [html.Span(t("wall.scope", lang, name=name[lang]), className="cc-i18n", lang=lang)
                      for lang in ("zh", "en")]
    else:
        scope_text = text("wall.district")
    return html.Div(
        [
            dcc.Interval(id=POLL_ID, interval=POLL_MS),
            dcc.Interval(id=SLOW_ID, interval=SLOW_MS),
            dcc.Interval(id=ROTATE_ID, interval=ROTATE_MS),
            dcc.Store(id=VERSION_ID), dcc.Store(id=BEAT_ID), dcc.Store(id=SEEN_ID, data=0),
            dcc.Store(id=RENDERED_ID, data={}), dcc.Store(id=SENT_ID, data={}), dcc.Store(id=SHOWN_ID),
            dcc.Store(id=SCREEN_ID), dcc.Store(id=ROTATION_ID, storage_type="local"),
            html.Header(
                [
                    html.Div([html.H1(text("wall.title", slot="wall"), className="wall-title"),
                              html.Div(scope_text, className="wall-scope")], className="wall-heading"),
                    html.Div(id=TILES_ID, className="wall-tiles"),
                    html.Div(
                        [html.Div(id=CLOCK_ID, className="wall-clock"),
                         html.Div([html.Span(className="wall-light"),
                                   html.Span(text("wall.live"), className="wall-status-live"),
                                   html.Span(text("wall.offline"), className="wall-status-offline"),
                                   html.Span(text("wall.degraded"), className="wall-status-degraded")],
                                  id=STATUS_ID, className="wall-status wall-connecting")],
                        className="wall-side-head",
                    ),
                ],
                className="wall-top",
            ),
            html.Section(wall_map.wall_map(runtime, scope_bounds(runtime.store, townships, runtime.extent)),
                         className="wall-map-area"),
            html.Section(
                [html.H2([text("wall.ticker.title"), html.Small(text("wall.ticker.masked"))], className="wall-h2"),
                 html.Ol(id=TICKER_ID, className="wall-ticker")],
                className="wall-ticker-area",
            ),
            html.Section(rotator(), className="wall-panel-area"),
        ],
        id=ROOT_ID,
        className="wall-page",
    )


def rotator() -> html.Div:
    """Four panels stacked in one place; the container's class says which one shows."""
    tabs = [html.Button(text(f"wall.panel.{name}", slot="tab"), id={"type": "wall-tab", "name": name}, n_clicks=0,
                        className=f"wall-tab wall-tab-{name}") for name in PANELS]
    pin = html.Button([html.Span(text("wall.pin"), className="wall-pin-off"),
                       html.Span(text("wall.unpin"), className="wall-pin-on")], id=PIN_ID, n_clicks=0,
                      className="wall-pin")
    graph = {"displayModeBar": False, "responsive": True}
    panels = [
        html.Div(html.Div(id=LEAGUE_ID), className="wall-panel wall-panel-league"),
        html.Div(dcc.Graph(id=TREND_ID, config=graph, className="wall-graph"), className="wall-panel wall-panel-trend"),
        html.Div(dcc.Graph(id=CHANNELS_ID, config=graph, className="wall-graph"), className="wall-panel wall-panel-channels"),
        html.Div(dcc.Graph(id=ITEMS_ID, config=graph, className="wall-graph"), className="wall-panel wall-panel-items"),
    ]
    return html.Div([html.Div([*tabs, pin], className="wall-tabs"), html.Div(panels, className="wall-panels")],
                    id=ROTATOR_ID, className="wall-rotator wall-show-league")


# ----------------------------------------------------------------------------------------- the poll


@callback(Output(VERSION_ID, "data"), Output(BEAT_ID, "data"), Input(POLL_ID, "n_intervals"),
          State(VERSION_ID, "data"))
@access.require(*ROLES)
def poll(_n: int | None, held: dict | None) -> tuple:
    """Every second: the live version (sent only when it moved) and a heartbeat for the status light."""
    version = current_version(current().store)
    data = {"value": version.value, "redis": version.redis_up}
    return (no_update if held == data else data), int(time.time() * 1000)


def today_window(now: datetime) -> tuple[datetime, datetime]:
    midnight = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight, now


def now_data(store: Any, townships: tuple[str, ...] | None, version: str) -> dict:
    """Today's tile figures and the newest reports, shared by every wall of this scope and version."""
    from store.today import latest_reports, step_counts

    def read() -> dict:
        now = datetime.now(UTC)
        start, end = today_window(now)
        figures = step_counts(store, start, end, now, townships).iloc[0].to_dict()
        return {"figures": figures, "ticker": latest_reports(store, TICKER_SIZE, townships)}

    return _now_cache.get_or_compute((id(store), townships, version), 1.0, read)


@callback(Output(TICKER_ID, "children"), Output(TILES_ID, "children"), Output(SEEN_ID, "data"),
          Input(VERSION_ID, "data"), Input(LANG_STORE, "data"), State(SEEN_ID, "data"))
@access.require(*ROLES)
def refresh_now(version: dict | None, lang: str | None, seen: int | None) -> tuple:
    """When the version moved: the ticker (new reports flash) and today's tiles."""
    lang = normalise(lang)
    data = now_data(current().store, scope(), (version or {}).get("value", ""))
    rows = data["ticker"]
    seen = int(seen or 0)
    # the first fill of a page flashes nothing; afterwards, what arrived since the last refresh
    shown = wall_panels.ticker(rows, lang, seen if seen else max((int(r["id"]) for r in rows), default=0))
    newest = max((int(r["id"]) for r in rows), default=seen)
    return shown, wall_panels.tiles(data["figures"], lang), max(newest, seen)


# ------------------------------------------------------------------------------------- the panels


def league_data(store: Any) -> tuple[Any, Any]:
    """The township league of the last 30 days and its KPI frame (district-wide; cached for a minute)."""
    from store.kpis import kpis, league

    def read() -> tuple[Any, Any]:
        end = datetime.now(UTC)
        frame = kpis(store, "township", end - timedelta(days=LEAGUE_DAYS), end)
        return league(frame), frame

    return _league_cache.get_or_compute(id(store), 60.0, read)


def panel_data(store: Any, townships: tuple[str, ...] | None) -> dict:
    """Trend, mixes and per-township figures for this scope, read afresh at most every :data:`SHARED_S`."""
    from store.today import hourly, mix, step_counts

    def read() -> dict:
        now = datetime.now(UTC)
        start, end = today_window(now)
        day_ago = now - timedelta(hours=24)
        return {
            "hours": hourly(store, day_ago, now, townships),
            "last_week": hourly(store, day_ago - timedelta(days=7), now - timedelta(days=7), townships),
            "channels": mix(store, "channel", start, end, townships),
            "items": mix(store, "item", start, end, townships),
            "by_township": step_counts(store, start, end, now, townships, by_township=True),
        }

    return _panel_cache.get_or_compute(("data", id(store), townships), SHARED_S, read)


def kpi_values(kpi: str, data: dict, league_frame: Any, kpi_frame: Any, codes: Any) -> dict[str, float | None]:
    """Township code → the chosen KPI's value; counts are 0 for the ``codes`` without any today."""
    if kpi in ("reports", "overdue"):
        counts = data["by_township"][kpi]
        return {str(code): float(counts.get(code, 0)) for code in codes}
    if kpi == "score":
        return {str(code): float(value) for code, value in league_frame["score"].items()}
    if kpi in kpi_frame:
        return {str(code): (None if value != value else float(value)) for code, value in kpi_frame[kpi].items()}
    return {}


def panels(store: Any, townships: tuple[str, ...] | None, lang: str, kpi: str, font: int) -> tuple:
    """The drawn panels and township colours for one scope, language, KPI and font size.

    Drawing charts is the costliest part of a wall's refresh, and every wall of a scope shows the same: so
    the drawn result is shared by all walls of this process for :data:`SHARED_S`.
    """

    def draw() -> tuple:
        data = panel_data(store, townships)
        league_frame, kpi_frame = league_data(store)
        if townships is not None:
            league_frame = league_frame[league_frame.index.isin(townships)]
            kpi_frame = kpi_frame[kpi_frame.index.isin(townships)]
        names = {code: pair[lang] for code, pair in township_names(store).items()}
        values = kpi_values(kpi, data, league_frame, kpi_frame, names)
        if townships is not None:
            values = {code: v for code, v in values.items() if code in townships}
        rate = kpi not in ("reports", "overdue", "score")
        fills, steps = wall_panels.township_fills(values, more_is_better=kpi not in ("reports", "overdue"),
                                                  whole=kpi in ("reports", "overdue"))
        shown = {code: (wall_panels.percent(v) if rate else f"{v:,.1f}" if kpi == "score" else f"{v:,.0f}")
                 for code, v in values.items() if v is not None}
        return (
            wall_panels.league_table(league_frame, names, lang),
            wall_panels.trend_figure(data["hours"], data["last_week"], lang, font).to_plotly_json(),
            wall_panels.mix_figure(data["channels"], lang, font, "channel").to_plotly_json(),
            wall_panels.mix_figure(data["items"], lang, font, "item").to_plotly_json(),
            {"fills": fills, "values": shown, "kpi": t(f"wall.kpi.{kpi}", lang)},
            wall_panels.kpi_legend(steps, rate, lang),
        )

    return _panel_cache.get_or_compute(("drawn", id(store), townships, lang, kpi, font), SHARED_S, draw)


@callback(
    Output(LEAGUE_ID, "children"), Output(TREND_ID, "figure"), Output(CHANNELS_ID, "figure"),
    Output(ITEMS_ID, "figure"), Output(wall_map.TOWNSHIPS_ID, "hideout"), Output(wall_map.KPI_LEGEND_ID, "children"),
    Output(RENDERED_ID, "data"),
    Input(SLOW_ID, "n_intervals"), Input(LANG_STORE, "data"), Input(wall_map.KPI_ID, "value"), Input(SCREEN_ID, "data"),
    State(VERSION_ID, "data"), State(RENDERED_ID, "data"),
)
@access.require(*ROLES)
def refresh_panels(_n: int | None, lang: str | None, kpi: str | None, screen: Any, version: dict | None,
                   rendered: dict | None) -> tuple:
    """League, trend, mixes and the township colours: when the version moved (at most every 5 s), when
    the language, KPI or screen changed, and once a minute regardless."""
    lang = normalise(lang)
    kpi = kpi if kpi in wall_map.KPIS else "overdue"
    value = (version or {}).get("value", "")
    rendered = rendered or {}
    now = time.time()
    if (ctx.triggered_id == SLOW_ID and rendered.get("version") == value
            and now - float(rendered.get("at", 0)) < REFRESH_ANYWAY_S):
        raise PreventUpdate
    font = wall_panels.font_px((screen or {}).get("width"))
    return (*panels(current().store, scope(), lang, kpi, font), {"version": value, "at": now})


@callback(Output(wall_map.TOWNSHIPS_ID, "data"), Input(LANG_STORE, "data"))
@access.require(*ROLES)
def townships_in_language(lang: str | None) -> dict:
    """The township polygons with their labels in the interface language (from the shared layer cache)."""
    return township_layer(current().store, normalise(lang), scope())


# The dark base is drawn from the township polygons the browser already has: no second download.
clientside_callback("function(townships) { return townships; }", Output(wall_map.BASE_ID, "data"),
                    Input(wall_map.TOWNSHIPS_ID, "data"))


# ------------------------------------------------------------------------------------------ layers


def live_query(bbox: tuple | None, zoom: float, lang: str, townships: tuple[str, ...] | None) -> ActivityQuery:
    """What the live layers are asked: the padded view, the last 24 hours, the scope."""
    return ActivityQuery(bbox=bbox, zoom=zoom, lang=lang, townships=townships)


@callback(
    Output(wall_map.DENSITY_ID, "data"), Output(wall_map.CASES_ID, "data"), Output(wall_map.TEAMS_ID, "data"),
    Output(wall_map.HINT_ID, "children"), Output(wall_map.DENSITY_LEGEND_ID, "children"), Output(SENT_ID, "data"),
    Input(wall_map.MAP_ID, "bounds"), Input(wall_map.MAP_ID, "zoom"), Input(SHOWN_ID, "data"),
    Input(LANG_STORE, "data"), Input(SLOW_ID, "n_intervals"),
    State(VERSION_ID, "data"), State(SENT_ID, "data"),
)
@access.require(*ROLES)
def refresh_layers(bounds: Any, zoom: Any, shown: list | None, lang: str | None, _n: int | None,
                   version: dict | None, sent: dict | None) -> tuple:
    """New data for each live layer whose view, language or data moved (see the module docstring)."""
    runtime = current()
    lang = normalise(lang)
    townships = scope()
    zoom = float(zoom) if isinstance(zoom, int | float) else layer_sync.OPENING_ZOOM
    view = layer_sync.view_bbox(bounds) or scope_bounds(runtime.store, townships, runtime.extent)
    value = (version or {}).get("value", "")
    sent = dict(sent or {})
    shown_layers = set(shown) if shown is not None else set(wall_map.LIVE_LAYERS)
    now = time.time()
    stale = sent.get("version") != value or now - float(sent.get("at", 0)) >= REFRESH_ANYWAY_S
    if ctx.triggered_id == SLOW_ID and (not stale or now - float(sent.get("at", 0)) < SLOW_MS / 1000 - 0.5):
        raise PreventUpdate
    box = sent.get("box")
    moved = (box is None or not layer_sync.contains(box, view) or sent.get("zoom") != zoom
             or sent.get("lang") != lang)
    fetch_box = tuple(round(v, 6) for v in layer_sync.pad(view, PAD)) if moved else tuple(box)
    query = live_query(fetch_box, zoom, lang, townships)
    out: list[Any] = []
    started = time.perf_counter()
    for name, build in (("density", report_density), ("cases", open_cases), ("teams", team_places)):
        was = sent.get(name)
        if name not in shown_layers:
            out.append(empty_collection() if was != "off" else no_update)
            sent[name] = "off"
            continue
        if was == "on" and not moved and not stale and ctx.triggered_id != SHOWN_ID:
            out.append(no_update)
            continue
        out.append(_layer_cache.get_or_compute((name, id(runtime.store), query), SHARED_S,
                                               lambda build=build: build(runtime.store, query)))
        sent[name] = "on"
    log.debug("wall layers at zoom %.1f: %.0f ms", zoom, (time.perf_counter() - started) * 1000)
    cases, density = out[1], out[0]
    hint = no_update
    if isinstance(cases, dict) and "total" in cases:
        overdue = sum(int(f["properties"].get("overdue", 0)) for f in cases["features"])
        hint = t("wall.hint.cases", lang, n=f"{cases['total']:,}", overdue=f"{overdue:,}")
    elif "cases" not in shown_layers:
        hint = ""
    legend = (wall_map.density_legend(density["breaks"], density["block_m"], lang)
              if isinstance(density, dict) and "breaks" in density else no_update)
    sent.update(version=value, at=now if stale or moved else sent.get("at", now), box=list(fetch_box), zoom=zoom,
                lang=lang)
    return (*out, hint, legend, sent)


# ------------------------------------------------------------------------------- client-side only

clientside_callback(wall_map.SHOWN_JS, Output(SHOWN_ID, "data"), Input(wall_map.LAYERS_ID, "overlays"))

clientside_callback(
    "function(_id) { return {width: window.innerWidth, height: window.innerHeight}; }",
    Output(SCREEN_ID, "data"), Input(ROOT_ID, "id"),
)

# The clock and the status light run in the browser: they keep going while the server is away.
clientside_callback(
    """function(_n, beat, version) {
        var now = Date.now();
        var clock = new Intl.DateTimeFormat("zh-CN", {timeZone: "Asia/Shanghai", year: "numeric",
            month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
            hour12: false}).format(new Date(now));
        var state = "wall-live";
        if (!beat) { state = "wall-connecting"; }
        else if (now - beat > 8000) { state = "wall-offline"; }
        else if (version && version.redis === false) { state = "wall-degraded"; }
        return [clock, "wall-status " + state];
    }""",
    Output(CLOCK_ID, "children"), Output(STATUS_ID, "className"),
    Input(POLL_ID, "n_intervals"), State(BEAT_ID, "data"), State(VERSION_ID, "data"),
)

clientside_callback(
    f"""function(_n, _pin, _tabs, state) {{
        var names = {list(PANELS)!r};
        state = Object.assign({{index: 0, pinned: false}}, state || {{}});
        var trigger = (dash_clientside.callback_context.triggered[0] || {{}}).prop_id || "";
        if (trigger.indexOf("{PIN_ID}.") === 0) {{
            state.pinned = !state.pinned;
        }} else if (trigger.indexOf("wall-tab") >= 0) {{
            var name = JSON.parse(trigger.slice(0, trigger.lastIndexOf("."))).name;
            state.index = Math.max(0, names.indexOf(name));
            state.pinned = true;
        }} else if (trigger.indexOf("{ROTATE_ID}.") === 0 && !state.pinned) {{
            state.index = (state.index + 1) % names.length;
        }}
        state.index = state.index % names.length;
        return [state, "wall-rotator wall-show-" + names[state.index] + (state.pinned ? " wall-pinned" : "")];
    }}""",
    Output(ROTATION_ID, "data"), Output(ROTATOR_ID, "className"),
    Input(ROTATE_ID, "n_intervals"), Input(PIN_ID, "n_clicks"),
    Input({"type": "wall-tab", "name": ALL}, "n_clicks"), State(ROTATION_ID, "data"),
)
