"""Patrol zones (片区): groups of cells one team patrols, each inside one township.

A few hundred polygons at most: sent whole, simplified for the zoom, drawn as dashed outlines.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from layers import geojson
from layers.registry import Label, LayerQuery
from layers.tally import CellTally, cell_tally


def zone_collection(
    zones: gpd.GeoDataFrame,
    townships: pd.DataFrame,
    tally: CellTally,
    *,
    zoom: float,
    lang: str,
) -> dict:
    """Zone polygons with their township's name, cell count and the number of communities they touch.

    Parameters
    ----------
    zones : GeoDataFrame
        EPSG:4326, columns code, name, name_en, township_code, cell_count, area_km2, geometry.
    townships : DataFrame
        code, name, name_en.
    tally : CellTally
        Communities per zone (see :func:`layers.tally.tally_cells`).
    """
    geojson.require_columns(zones, ("code", "name", "township_code", "cell_count", "geometry"), "zones")
    geojson.require_columns(townships, ("code", "name"), "townships")
    if zones.empty:
        return geojson.collection([])
    frame = zones.sort_values("code").reset_index(drop=True)
    township_names = dict(zip(townships["code"].astype(str), geojson.localised(townships, lang), strict=True))
    labels = geojson.localised(frame, lang)
    shapes = geojson.simplify_metric(frame.geometry, geojson.simplify_tolerance_m(zoom), coverage=True)
    codes = frame["code"].astype(str)
    township_codes = frame["township_code"].astype(str)
    properties = pd.DataFrame(
        {
            "layer": "zones",
            "code": codes,
            "label": labels,
            "name": frame["name"],
            "name_en": frame.get("name_en"),
            "township_code": township_codes,
            "township": township_codes.map(township_names),
            "area_km2": pd.to_numeric(frame.get("area_km2"), errors="coerce").round(2),
            "cell_count": pd.to_numeric(frame["cell_count"]).astype(int),
            "community_count": codes.map(tally.communities_by_zone).fillna(0).astype(int),
        }
    )
    geometries = geojson.round_coordinates(shapes.values, geojson.coordinate_decimals(zoom))
    return geojson.collection(geojson.features(geometries, properties))


class ZonesLayer:
    """片区 — sent whole; dashed outlines, off when the page opens."""

    name = "zones"
    label = Label("巡查片区", "Patrol zones")
    style = {
        "color": "#c8553d", "weight": 1.4, "opacity": 0.9, "dashArray": "5 4",
        "fillColor": "#c8553d", "fillOpacity": 0.0,
    }
    fields = ("code", "township", "area_km2", "cell_count", "community_count")
    min_zoom = 0.0
    follows_viewport = False
    checked = False

    def query(self, store: Any, query: LayerQuery) -> dict:
        return zone_collection(
            store.zones(bbox=query.bbox), store.townships(), cell_tally(store), zoom=query.zoom, lang=query.lang
        )

