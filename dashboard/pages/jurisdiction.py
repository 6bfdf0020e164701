"""辖区地图 — the jurisdiction map: townships, communities, patrol zones and unit grid cells.

The first page. A full-height map whose overlays come from the layer registry, a side panel with the
overview and, after a click, everything under the clicked point. Two callbacks do the work:

- :func:`follow_view` — on every pan/zoom, language change or overlay toggle, sends each layer new data
  only when what it shows changed (see :mod:`dashboard.components.layer_sync`);
- :func:`show_location` — on a map click, fills the panel and outlines the clicked features.

The plain base layer copies the township polygons in the browser (a client-side callback).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import access
from dashboard.components import layer_cache, layer_sync, panel
from dashboard.components.map import (
    BASE_ID,
    HINT_ID,
    LAYERS_CONTROL_ID,
    MAP_ID,
    SELECTION_ID,
    SHOWN_LAYERS_JS,
    jurisdiction_map,
    layer_id,
)
from dashboard.components.text import LANG_STORE
from dashboard.i18n import DEFAULT_LANGUAGE, normalise, t
from dashboard.runtime import current
from layers import empty_collection, registry

ROLES = access.HUMAN_ROLES
"""Everyone who signs in sees the jurisdiction map (boundaries only: no case or personal data)."""

dash.register_page(__name__, path="/", name="辖区地图", title=t("app.title"), order=0, text_key="nav.jurisdiction",
                   roles=ROLES)

log = logging.getLogger(__name__)

SENT_ID = "jur-sent"
SHOWN_ID = "jur-shown"
PANEL_ID = "jur-panel"


@access.page_roles(*ROLES)
def layout(**_query: Any) -> html.Div:
    runtime = current()
    return html.Div(
        [
            dcc.Store(id=SENT_ID, data={}),
            dcc.Store(id=SHOWN_ID),
            jurisdiction_map(runtime, registry, DEFAULT_LANGUAGE),
            html.Aside(
                panel.summary(runtime.store.counts(), DEFAULT_LANGUAGE, runtime.demo_boundaries),
                id=PANEL_ID,
                className="cc-panel",
            ),
        ],
        className="cc-page cc-page-map",
    )


@callback(
    Output(layer_id(ALL), "data"),
    Output(SENT_ID, "data"),
    Output(HINT_ID, "children"),
    Output(HINT_ID, "className"),
    Input(MAP_ID, "bounds"),
    Input(MAP_ID, "zoom"),
    Input(SHOWN_ID, "data"),
    Input(LANG_STORE, "data"),
    State(SENT_ID, "data"),
    State(layer_id(ALL), "id"),
)
@access.require(*ROLES)
def follow_view(bounds, zoom, shown_names, lang, sent, ids):
    """New data for the layers whose view changed; the cells hint (zoom in / how many shown)."""
    runtime = current()
    lang = normalise(lang)
    zoom = float(zoom) if isinstance(zoom, int | float) else layer_sync.OPENING_ZOOM
    bbox = layer_sync.view_bbox(bounds)
    sent = dict(sent or {})
    shown = set(shown_names) if shown_names is not None else {layer.name for layer in registry if layer.checked}
    started = time.perf_counter()
    data_out = []
    for component_id in ids:
        layer = registry.get(component_id["name"])
        previous = sent.get(layer.name) or {}
        fetch = layer_sync.plan(
            layer, bbox=bbox, zoom=zoom, lang=lang, shown=layer.name in shown, sent=previous.get("signature")
        )
        if fetch.keep:
            data_out.append(no_update)
            continue
        data = layer_cache.layer_data(runtime.store, layer, fetch.query) if fetch.query else empty_collection()
        data_out.append(data)
        sent[layer.name] = {
            "signature": fetch.signature,
            "count": sum(1 for f in data["features"] if f["properties"].get("role") != "label"),
            "truncated": bool(data.get("truncated")),
        }
    log.debug("layers at zoom %.1f %s, shown %s: %.0f ms", zoom, bbox, sorted(shown), (time.perf_counter() - started) * 1000)
    hint, hint_class = _cells_hint(zoom, lang, shown, sent)
    return data_out, sent, hint, hint_class


clientside_callback(SHOWN_LAYERS_JS, Output(SHOWN_ID, "data"), Input(LAYERS_CONTROL_ID, "overlays"))

# The plain base is drawn from the township polygons the browser already has: no second download.
clientside_callback(
    "function(townships) { return townships; }",
    Output(BASE_ID, "data"),
    Input(layer_id("townships"), "data"),
)


def _cells_hint(zoom: float, lang: str, shown: set[str], sent: dict) -> tuple[str, str]:
    viewport_layers = [layer for layer in registry if layer.follows_viewport and layer.name in shown]
    if not viewport_layers:
        return "", "cc-map-hint cc-hidden"
    if any(zoom < layer.min_zoom for layer in viewport_layers):
        return t("map.hint.zoom_cells", lang), "cc-map-hint"
    cells = sent.get("cells") or {}
    if cells.get("truncated"):
        return t("map.hint.too_many_cells", lang), "cc-map-hint cc-warn"
    return t("map.cells_shown", lang, n=f"{cells.get('count', 0):,}"), "cc-map-hint cc-quiet"


@callback(
    Output(PANEL_ID, "children"),
    Output(SELECTION_ID, "data"),
    Input(MAP_ID, "clickData"),
    Input(LANG_STORE, "data"),
)
@access.require(*ROLES)
def show_location(click, lang):
    """The panel for the clicked point (or the overview before any click) and the clicked outlines."""
    runtime = current()
    lang = normalise(lang)
    latlng = (click or {}).get("latlng")
    if not latlng:
        return panel.summary(runtime.store.counts(), lang, runtime.demo_boundaries), empty_collection()
    lat, lon = float(latlng["lat"]), float(latlng["lng"])
    hits = panel.features_at(runtime.store, registry, lon, lat, lang)
    selection = {"type": "FeatureCollection", "features": [feature for _, feature in hits]}
    return panel.location(hits, lon, lat, lang, runtime.demo_boundaries), selection
