"""Townships (镇/街道): the district's 11 top-level divisions, tinted, outlined and named on the map.

The whole layer is small (11 polygons), so it is sent whole, simplified for the zoom. Each township also
gets a label point (``role = "label"``) inside its largest part, where the page writes its name.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from layers import geojson
from layers.registry import Label, LayerQuery

PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6", "#d4a6c8", "#a0cbe8",
)
"""Quiet, distinguishable tints; a township keeps its colour by its place in code order."""


def township_collection(
    townships: gpd.GeoDataFrame,
    communities: pd.DataFrame,
    zones: pd.DataFrame,
    *,
    zoom: float,
    lang: str,
    palette: tuple[str, ...] = PALETTE,
) -> dict:
    """Township polygons with their counts, plus one label point per township.

    Parameters
    ----------
    townships : GeoDataFrame
        EPSG:4326, columns code, name, name_en, kind, area_km2, geometry.
    communities, zones : DataFrame
        Only township_code is read (and zones' cell_count): they give the per-township counts.
    zoom, lang
        Simplification level and the language of ``label``.
    """
    geojson.require_columns(townships, ("code", "name", "kind", "geometry"), "townships")
    geojson.require_columns(communities, ("township_code",), "communities")
    geojson.require_columns(zones, ("township_code", "cell_count"), "zones")
    if townships.empty:
        return geojson.collection([])
    frame = townships.sort_values("code").reset_index(drop=True)
    codes = frame["code"].astype(str)
    community_count = communities.groupby(communities["township_code"].astype(str)).size()
    zone_count = zones.groupby(zones["township_code"].astype(str)).size()
    cell_count = pd.to_numeric(zones["cell_count"]).groupby(zones["township_code"].astype(str)).sum()
    labels = geojson.localised(frame, lang).to_numpy()
    decimals = geojson.coordinate_decimals(zoom)

    shapes = geojson.simplify_metric(frame.geometry, geojson.simplify_tolerance_m(zoom), coverage=True)
    properties = pd.DataFrame(
        {
            "layer": "townships",
            "code": codes,
            "label": labels,
            "name": frame["name"],
            "name_en": frame.get("name_en"),
            "kind": frame["kind"],
            "area_km2": pd.to_numeric(frame.get("area_km2"), errors="coerce").round(2),
            "community_count": codes.map(community_count).fillna(0).astype(int),
            "zone_count": codes.map(zone_count).fillna(0).astype(int),
            "cell_count": codes.map(cell_count).fillna(0).astype(int),
            "fill": [palette[i % len(palette)] for i in range(len(frame))],
        }
    )
    polygons = geojson.features(geojson.round_coordinates(shapes.values, decimals), properties)
    points = geojson.features(
        geojson.round_coordinates(geojson.label_points(frame.geometry).values, decimals),
        pd.DataFrame({"layer": "townships", "code": codes, "label": labels, "role": "label"}),
    )
    return geojson.collection(polygons + points)


class TownshipsLayer:
    """镇街 — sent whole; labelled with each township's name."""

    name = "townships"
    label = Label("镇街", "Townships")
    style = {"color": "#33506e", "weight": 1.6, "opacity": 0.9, "fillColor": "#9fb6cd", "fillOpacity": 0.16}
    fields = ("code", "kind", "area_km2", "community_count", "zone_count", "cell_count")
    palette = PALETTE  # the per-township fills (the legend shows a few)
    min_zoom = 0.0
    follows_viewport = False
    checked = True

    def query(self, store: Any, query: LayerQuery) -> dict:
        return township_collection(
            store.townships(bbox=query.bbox), store.communities(), store.zones(), zoom=query.zoom, lang=query.lang
        )

