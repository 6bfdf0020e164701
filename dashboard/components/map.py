"""The jurisdiction map: an offline base, one overlay per registered layer, a legend and a zoom hint.

The map is built once per page view; callbacks only change the layers' ``data``. Texts that Leaflet
itself renders (layer switcher entries, attribution) carry both languages as ``<span lang=…>`` pairs and
the stylesheet shows the one matching the app's language class, so switching language never rebuilds the
map (which would lose the viewport, the ticked overlays and the selection).

Nothing here names an external URL: without ``TILE_URL`` the base is drawn from the jurisdiction itself
(the district filled in a land colour on a water-coloured background, township borders on top).
"""

from __future__ import annotations

import html as html_text
from collections.abc import Iterable
from typing import Any

import dash_leaflet as dl
from dash import html

from dashboard.components.text import text
from dashboard.i18n import t
from dashboard.runtime import Runtime
from layers import Layer, empty_collection

MAP_ID = "jur-map"
LAYERS_CONTROL_ID = "jur-layers"
BASE_ID = "jur-base"
SELECTION_ID = "jur-selection"
HINT_ID = "jur-hint"
BASE_PANE = "cc-base"
MIN_ZOOM, MAX_ZOOM = 9, 18


def layer_id(name: Any) -> dict[str, Any]:
    """The Dash id of a registered layer's GeoJSON component (``layer_id(ALL)`` in callbacks)."""
    return {"type": "jur-layer", "name": name}


def js(function: str) -> dict[str, str]:
    """A reference to a function in ``assets/map.js`` for a dash-leaflet functional property."""
    return {"variable": f"ccMap.{function}"}


def bilingual(zh: str, en: str) -> str:
    """HTML showing ``zh`` or ``en`` depending on the app's language class (for Leaflet-drawn text)."""
    return (
        f'<span class="cc-i18n" lang="zh">{html_text.escape(zh)}</span>'
        f'<span class="cc-i18n" lang="en">{html_text.escape(en)}</span>'
    )


def bilingual_key(key: str) -> str:
    return bilingual(t(key, "zh"), t(key, "en"))


def swatch(layer: Layer) -> str:
    """A small square drawn like the layer's polygons (HTML, for Leaflet's layer switcher)."""
    css = ";".join(f"{key}:{value}" for key, value in swatch_style(layer).items())
    return f'<span class="cc-swatch" style="{css}"></span>'


def swatch_style(layer: Layer) -> dict[str, str]:
    """CSS for a layer's swatch: its outline, and its fill (a few stripes for per-feature fills)."""
    style = layer.style
    border = "dashed" if style.get("dashArray") else "solid"
    fill_opacity = float(style.get("fillOpacity", 0))
    palette = getattr(layer, "palette", None)
    if palette:
        stops = [_rgba(colour, max(fill_opacity * 2.5, 0.35)) for colour in palette[:4]]
        background = "linear-gradient(90deg," + ",".join(
            f"{c} {100 * i // len(stops)}% {100 * (i + 1) // len(stops)}%" for i, c in enumerate(stops)
        ) + ")"
    else:
        background = _rgba(style.get("fillColor", "#fff"), fill_opacity)
    return {
        "border": f"{max(1.0, float(style.get('weight', 1))):.1f}px {border} {style.get('color', '#333')}",
        "background": background,
    }


def overlay_name(layer: Layer) -> str:
    """The layer switcher's entry for ``layer``: its swatch and its name in both languages.

    The ``data-layer`` tag lets the page read which overlays are ticked from the switcher itself
    (see :data:`SHOWN_LAYERS_JS`).
    """
    return f'<span class="cc-overlay" data-layer="{layer.name}">{swatch(layer)}{bilingual(layer.label.zh, layer.label.en)}</span>'


SHOWN_LAYERS_JS = f"""function(overlays) {{
    var labels = document.querySelectorAll("#{MAP_ID} .leaflet-control-layers-overlays label");
    if (!labels.length) {{ return window.dash_clientside.no_update; }}
    var shown = [];
    labels.forEach(function (label) {{
        var input = label.querySelector("input"), tag = label.querySelector(".cc-overlay");
        if (input && input.checked && tag) {{ shown.push(tag.getAttribute("data-layer")); }}
    }});
    return shown;
}}"""
"""Client-side: the names of the ticked overlays, read from the switcher's checkboxes.

dash-leaflet 1.1.3's ``LayersControl.overlays`` changes on every toggle but, after the first toggle,
holds only the overlay just ticked; it serves as the trigger, the checkboxes as the truth.
"""


def attribution_prefix(runtime: Runtime) -> str:
    """The attribution line's fixed part: 示意边界 for generated boundaries, then the Leaflet credit.

    (A GeoJSON layer's own ``attribution`` never reaches the control in dash-leaflet 1.1.3.)
    """
    parts = [bilingual_key("map.demo_boundaries")] if runtime.demo_boundaries else []
    parts.append('<a href="https://leafletjs.com" title="Leaflet">Leaflet</a>')
    return " · ".join(parts)


def jurisdiction_map(runtime: Runtime, layers: Iterable[Layer], lang: str) -> html.Div:
    """The map with its base layers, one overlay per layer (empty until the viewport callback fills them)."""
    layers = list(layers)
    min_lon, min_lat, max_lon, max_lat = runtime.extent
    pad_lon, pad_lat = (max_lon - min_lon) * 0.6, (max_lat - min_lat) * 0.6
    plain_base = dl.Pane(
        dl.GeoJSON(
            id=BASE_ID,
            data=empty_collection(),
            style=js("baseStyle"),
            filter=js("polygonsOnly"),
            interactive=False,
        ),
        name=BASE_PANE,
    )
    bases = [dl.BaseLayer(plain_base, name=bilingual_key("map.base.plain"), checked=not runtime.tile_url)]
    if runtime.tile_url:
        bases.insert(
            0,
            dl.BaseLayer(
                dl.TileLayer(url=runtime.tile_url, attribution=runtime.tile_attribution or None, maxZoom=MAX_ZOOM),
                name=bilingual_key("map.base.tiles"),
                checked=True,
            ),
        )
    overlays = [
        dl.Overlay(
            dl.GeoJSON(
                id=layer_id(layer.name),
                data=empty_collection(),
                hideout={"layer": layer.name, "style": dict(layer.style)},
                style=js("featureStyle"),
                onEachFeature=js("bindTooltip"),
                pointToLayer=js("labelMarker"),
            ),
            name=overlay_name(layer),
            checked=layer.checked,
        )
        for layer in layers
    ]
    leaflet_map = dl.Map(
        [
            dl.LayersControl(bases + overlays, id=LAYERS_CONTROL_ID, position="topright", collapsed=False),
            dl.GeoJSON(id=SELECTION_ID, data=empty_collection(), style=js("selectionStyle"), filter=js("polygonsOnly"), interactive=False),
            dl.ScaleControl(position="bottomright", imperial=False),
            dl.AttributionControl(prefix=attribution_prefix(runtime), position="bottomright"),
        ],
        attributionControl=False,
        id=MAP_ID,
        bounds=[[min_lat, min_lon], [max_lat, max_lon]],
        center=[(min_lat + max_lat) / 2, (min_lon + max_lon) / 2],  # dash-leaflet's viewport tracking needs one
        maxBounds=[[min_lat - pad_lat, min_lon - pad_lon], [max_lat + pad_lat, max_lon + pad_lon]],
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,
        zoomSnap=0.5,
        zoomDelta=1,
        className="cc-map",
        style={"height": "100%", "width": "100%"},
    )
    return html.Div(
        [
            leaflet_map,
            html.Div(id=HINT_ID, className="cc-map-hint", children=t("map.hint.zoom_cells", lang)),
            legend(runtime, layers),
        ],
        className="cc-map-frame",
    )


def legend(runtime: Runtime, layers: Iterable[Layer]) -> html.Div:
    """Swatches for every layer and, for generated boundaries, the 示意边界 note."""
    rows = [
        html.Div(
            [
                html.Span(className="cc-swatch", style=swatch_style(layer)),
                html.Span(layer.label.zh, className="cc-i18n", lang="zh"),
                html.Span(layer.label.en, className="cc-i18n", lang="en"),
            ],
            className="cc-legend-row",
        )
        for layer in layers
    ]
    note = (
        [html.Div([html.Span("!", className="cc-demo-mark"), text("map.demo_note")], className="cc-legend-demo")]
        if runtime.demo_boundaries
        else []
    )
    return html.Div([html.Div(text("map.legend"), className="cc-legend-title"), *rows, *note], className="cc-legend")


def _rgba(hex_colour: str, alpha: float) -> str:
    value = hex_colour.lstrip("#")
    if len(value) != 6:
        return hex_colour
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:.2f})"
