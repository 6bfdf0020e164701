"""The side panel: an overview of the jurisdiction, and what lies under a clicked point.

A click is answered by asking every registered layer for the features around the point and keeping those
that cover it, so the panel shows the whole chain — township, community, zone, cell — whichever layer was
on top, and a new layer shows up here without changes to this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import shapely
from dash import html
from shapely.geometry import shape

from dashboard.i18n import has, t
from layers import Layer, LayerQuery

CLICK_RADIUS_DEG = 1e-5
"""Half-size of the box asked around a click (about 1 m): the store filters by bbox, shapely by point."""
LOOKUP_ZOOM = 18.0

SUMMARY_TABLES = (("summary.townships", "townships"), ("summary.communities", "communities"),
                  ("summary.zones", "zones"), ("summary.cells", "cells"))


def features_at(store: Any, layers: Iterable[Layer], lon: float, lat: float, lang: str) -> list[tuple[Layer, dict]]:
    """For each layer, the first feature covering (lon, lat) — label points skipped — in layer order."""
    point = shapely.Point(lon, lat)
    box = (lon - CLICK_RADIUS_DEG, lat - CLICK_RADIUS_DEG, lon + CLICK_RADIUS_DEG, lat + CLICK_RADIUS_DEG)
    query = LayerQuery(bbox=box, zoom=LOOKUP_ZOOM, lang=lang)
    hits = []
    for layer in layers:
        for feature in layer.query(store, query)["features"]:
            if feature["properties"].get("role") == "label":
                continue
            if shape(feature["geometry"]).covers(point):
                hits.append((layer, feature))
                break
    return hits


def format_value(field: str, value: Any, lang: str) -> str:
    if value is None or value == "":
        return "—"
    if field == "kind" and has(f"kind.{value}"):
        return t(f"kind.{value}", lang)
    if isinstance(value, float):
        return f"{value:,.2f}" if field.endswith("km2") else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def feature_card(layer: Layer, feature: dict, lang: str) -> html.Section:
    """One layer's feature: its layer, its name, and the layer's fields."""
    props = feature["properties"]
    rows = [
        html.Div([html.Dt(t(f"field.{field}", lang)), html.Dd(format_value(field, props.get(field), lang))])
        for field in layer.fields
    ]
    return html.Section(
        [
            html.Div(layer.label(lang), className=f"cc-card-kicker cc-kicker-{layer.name}"),
            html.H3(props.get("label") or props.get("code"), className="cc-card-title"),
            html.Dl(rows, className="cc-fields"),
        ],
        className="cc-card",
        **{"data-layer": layer.name},
    )


def summary(counts: dict[str, int], lang: str, demo_boundaries: bool) -> list:
    """Overview tiles (townships, communities, zones, cells) and the click hint."""
    tiles = [
        html.Div([html.Div(f"{counts.get(table, 0):,}", className="cc-stat-value"), html.Div(t(key, lang), className="cc-stat-label")],
                 className="cc-stat")
        for key, table in SUMMARY_TABLES
    ]
    parts: list = [html.H2(t("panel.summary", lang), className="cc-panel-heading"), html.Div(tiles, className="cc-stats")]
    if demo_boundaries:
        parts.append(demo_note(lang))
    parts.append(html.P(t("panel.hint", lang), className="cc-panel-hint"))
    return parts


def demo_note(lang: str) -> html.Div:
    return html.Div([html.Span(t("map.demo_boundaries", lang), className="cc-badge"), t("map.demo_note", lang)],
                    className="cc-demo-note")


def location(hits: list[tuple[Layer, dict]], lon: float, lat: float, lang: str, demo_boundaries: bool) -> list:
    """Cards for everything under the clicked point, outer (township) first."""
    heading = [html.H2(t("panel.location", lang), className="cc-panel-heading"),
               html.Div(f"{lat:.5f}°N, {lon:.5f}°E", className="cc-coords")]
    note = [demo_note(lang)] if demo_boundaries and hits else []
    if not hits:
        return [*heading, html.P(t("panel.outside", lang), className="cc-panel-hint")]
    return [*heading, *(feature_card(layer, feature, lang) for layer, feature in hits), *note]
