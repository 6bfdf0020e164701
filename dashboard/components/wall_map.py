"""The wall's map: a dark offline base, townships coloured by a KPI, report density, open cases, teams.

Built once per page view; callbacks change only the layers' ``data`` and the townships' ``hideout`` (the
colour of each township travels as a small dict, the polygons once). Points are drawn by
``assets/wall.js`` (``ccWall.*``): cases and clusters as coloured discs (overdue ones pulse, a CSS
animation), teams as small squares. Texts Leaflet draws itself are bilingual spans, as on the first page.
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import dcc, html

from dashboard.components.map import bilingual_key
from dashboard.components.text import text
from dashboard.i18n import t
from dashboard.runtime import Runtime
from layers import empty_collection
from layers.cases import COLOURS as CASE_COLOURS
from layers.cases import GROUPS
from layers.density import PALETTE as DENSITY_PALETTE
from layers.teams import COLOURS as TEAM_COLOURS

MAP_ID = "wall-map"
LAYERS_ID = "wall-layers"
BASE_ID = "wall-base"
TOWNSHIPS_ID = "wall-townships"
DENSITY_ID = "wall-density"
CASES_ID = "wall-cases"
TEAMS_ID = "wall-teams"
HINT_ID = "wall-hint"
KPI_ID = "wall-kpi"
KPI_LEGEND_ID = "wall-kpi-legend"
DENSITY_LEGEND_ID = "wall-density-legend"
MIN_ZOOM, MAX_ZOOM = 9, 18

LIVE_LAYERS = ("density", "cases", "teams")
"""Overlays whose data the page refreshes (the townships are coloured, not refetched)."""
KPIS = ("reports", "overdue", "on_time_closure_rate", "handling_rate", "score")
"""What the townships can be coloured by (``wall.kpi.<name>``)."""

SHOWN_JS = f"""function(overlays) {{
    var labels = document.querySelectorAll("#{MAP_ID} .leaflet-control-layers-overlays label");
    if (!labels.length) {{ return window.dash_clientside.no_update; }}
    var shown = [];
    labels.forEach(function (label) {{
        var input = label.querySelector("input"), tag = label.querySelector(".cc-overlay");
        if (input && input.checked && tag) {{ shown.push(tag.getAttribute("data-layer")); }}
    }});
    return shown;
}}"""
"""Client-side: the ticked overlays, read from the layer switcher (see dashboard.components.map)."""


def js(function: str) -> dict[str, str]:
    """A function of ``assets/wall.js`` for a dash-leaflet functional property."""
    return {"variable": f"ccWall.{function}"}


def overlay(name: str, key: str, swatch: str) -> str:
    return (f'<span class="cc-overlay" data-layer="{name}"><span class="wall-swatch" style="background:{swatch}">'
            f"</span>{bilingual_key(key)}</span>")


def wall_map(runtime: Runtime, bounds: tuple[float, float, float, float]) -> html.Div:
    """The map, fitted to ``bounds`` (the district, or a township user's township); every layer empty
    until the page's callbacks fill it (the townships in the interface language)."""
    min_lon, min_lat, max_lon, max_lat = bounds
    ext = runtime.extent
    pad_lon, pad_lat = (ext[2] - ext[0]) * 0.6, (ext[3] - ext[1]) * 0.6
    base = dl.Pane(
        dl.GeoJSON(id=BASE_ID, data=empty_collection(), style=js("baseStyle"), filter=js("polygonsOnly"), interactive=False),
        name="wall-base-pane",
    )
    bases = [dl.BaseLayer(base, name=bilingual_key("map.base.plain"), checked=not runtime.tile_url)]
    if runtime.tile_url:
        bases.insert(0, dl.BaseLayer(dl.TileLayer(url=runtime.tile_url, attribution=runtime.tile_attribution or None,
                                                  maxZoom=MAX_ZOOM), name=bilingual_key("map.base.tiles"), checked=True))
    overlays = [
        dl.Overlay(dl.GeoJSON(id=TOWNSHIPS_ID, data=empty_collection(), hideout={"fills": {}, "values": {}},
                              style=js("townshipStyle"), pointToLayer=js("townshipLabel"),
                              onEachFeature=js("townshipTooltip")),
                   name=overlay("townships", "wall.layer.townships", "#2f6f9f"), checked=True),
        dl.Overlay(dl.GeoJSON(id=DENSITY_ID, data=empty_collection(), style=js("densityStyle"),
                              onEachFeature=js("densityTooltip"), hideout={"palette": list(DENSITY_PALETTE)}),
                   name=overlay("density", "wall.layer.density", DENSITY_PALETTE[-2]), checked=True),
        dl.Overlay(dl.GeoJSON(id=TEAMS_ID, data=empty_collection(), pointToLayer=js("teamMarker"),
                              onEachFeature=js("teamTooltip"), hideout={"colours": TEAM_COLOURS}),
                   name=overlay("teams", "wall.layer.teams", TEAM_COLOURS["idle"]), checked=True),
        dl.Overlay(dl.GeoJSON(id=CASES_ID, data=empty_collection(), pointToLayer=js("caseMarker"),
                              onEachFeature=js("caseTooltip"), hideout={"colours": CASE_COLOURS}),
                   name=overlay("cases", "wall.layer.cases", CASE_COLOURS["dispatched"]), checked=True),
    ]
    prefix = [bilingual_key("map.demo_boundaries")] if runtime.demo_boundaries else []
    leaflet = dl.Map(
        [
            dl.LayersControl(bases + overlays, id=LAYERS_ID, position="topright", collapsed=False),
            dl.ScaleControl(position="bottomright", imperial=False),
            dl.AttributionControl(prefix=" · ".join([*prefix, "Leaflet"]), position="bottomright"),
        ],
        id=MAP_ID,
        attributionControl=False,
        bounds=[[min_lat, min_lon], [max_lat, max_lon]],
        center=[(min_lat + max_lat) / 2, (min_lon + max_lon) / 2],
        maxBounds=[[ext[1] - pad_lat, ext[0] - pad_lon], [ext[3] + pad_lat, ext[2] + pad_lon]],
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,
        zoomSnap=0.5,
        className="wall-leaflet",
        style={"height": "100%", "width": "100%"},
    )
    return html.Div(
        [leaflet, html.Div(id=HINT_ID, className="wall-map-hint"), kpi_chooser(), legend()],
        className="wall-map-frame",
    )


def both(key: str) -> html.Span:
    """A label in both languages; the app's language class shows one (no callback needed)."""
    return html.Span([html.Span(t(key, "zh"), className="cc-i18n", lang="zh"),
                      html.Span(t(key, "en"), className="cc-i18n", lang="en")])


def kpi_chooser() -> html.Div:
    """The township colouring: which KPI, and its colour ramp (filled by the figures callback)."""
    return html.Div(
        [
            html.Div(text("wall.kpi.title"), className="wall-kpi-title"),
            dcc.RadioItems(
                id=KPI_ID,
                options=[{"label": both(f"wall.kpi.{name}"), "value": name} for name in KPIS],
                value="overdue",
                persistence=True,
                persistence_type="local",
                className="wall-kpi-options",
                inputClassName="wall-kpi-input",
                labelClassName="wall-kpi-label",
            ),
            html.Div(id=KPI_LEGEND_ID, className="wall-kpi-legend"),
        ],
        className="wall-kpi",
    )


def legend() -> html.Div:
    """Case status colours (the same as ``layers.cases.COLOURS``), overdue pulsing, team status, density."""
    cases = [
        html.Div([html.Span(className="wall-dot", style={"background": CASE_COLOURS[group]}),
                  text(f"wall.group.{group}", slot="legend")], className="wall-legend-row")
        for group in GROUPS
    ]
    cases.append(html.Div([html.Span(className="wall-dot wall-dot-overdue"), text("wall.group.overdue", slot="legend")],
                          className="wall-legend-row"))
    teams = [
        html.Div([html.Span(className="wall-square", style={"background": colour}),
                  text(f"wall.team.{status}", slot="legend")], className="wall-legend-row")
        for status, colour in TEAM_COLOURS.items()
    ]
    return html.Div(
        [html.Div(cases, className="wall-legend-block"), html.Div(teams, className="wall-legend-block"),
         html.Div(id=DENSITY_LEGEND_ID, className="wall-legend-block")],
        className="wall-legend",
    )


def density_legend(breaks: list[int], block_m: float, lang: str) -> list[Any]:
    """The density ramp with the lowest count of each class."""
    rows = [html.Div(t("wall.density.legend", lang, m=f"{block_m:,.0f}"), className="wall-legend-title")]
    steps = [html.Span([html.Span(className="wall-ramp", style={"background": colour}), f"≥{low}"],
                       className="wall-ramp-step")
             for colour, low in zip(DENSITY_PALETTE, breaks, strict=False)]
    return [*rows, html.Div(steps, className="wall-ramp-row")]

