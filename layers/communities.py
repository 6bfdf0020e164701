"""Communities and villages (社区/村): the second level, each inside one township.

About 150 polygons: sent whole, simplified for the zoom, outlined thinly so the township tints show through.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from layers import geojson
from layers.registry import Label, LayerQuery
from layers.tally import CellTally, cell_tally


def community_collection(
    communities: gpd.GeoDataFrame,
    townships: pd.DataFrame,
    tally: CellTally,
    *,
    zoom: float,
    lang: str,
) -> dict:
    """Community polygons with their township's name and their cell and zone counts.

    Parameters
    ----------
    communities : GeoDataFrame
        EPSG:4326, columns code, name, name_en, kind, township_code, area_km2, geometry.
    townships : DataFrame
        code, name, name_en: names the township each community belongs to.
    tally : CellTally
        Cells and zones per community (see :func:`layers.tally.tally_cells`).
    """
    geojson.require_columns(communities, ("code", "name", "kind", "township_code", "geometry"), "communities")
    geojson.require_columns(townships, ("code", "name"), "townships")
    if communities.empty:
        return geojson.collection([])
    frame = communities.sort_values("code").reset_index(drop=True)
    township_names = dict(zip(townships["code"].astype(str), geojson.localised(townships, lang), strict=True))
    labels = geojson.localised(frame, lang)
    shapes = geojson.simplify_metric(frame.geometry, geojson.simplify_tolerance_m(zoom), coverage=True)
    codes = frame["code"].astype(str)
    township_codes = frame["township_code"].astype(str)
    properties = pd.DataFrame(
        {
            "layer": "communities",
            "code": codes,
            "label": labels,
            "name": frame["name"],
            "official_name": frame.get("official_name"),
            "name_en": frame.get("name_en"),
            "kind": frame["kind"],
            "township_code": township_codes,
            "township": township_codes.map(township_names),
            "area_km2": pd.to_numeric(frame.get("area_km2"), errors="coerce").round(2),
            "zone_count": codes.map(tally.zones_by_community).fillna(0).astype(int),
            "cell_count": codes.map(tally.cells_by_community).fillna(0).astype(int),
        }
    )
    geometries = geojson.round_coordinates(shapes.values, geojson.coordinate_decimals(zoom))
    return geojson.collection(geojson.features(geometries, properties))


class CommunitiesLayer:
    """村/社区 — sent whole; thin outlines."""

    name = "communities"
    label = Label("村/社区", "Communities")
    style = {"color": "#5a7894", "weight": 0.8, "opacity": 0.85, "fillColor": "#ffffff", "fillOpacity": 0.0}
    fields = ("code", "kind", "township", "area_km2", "zone_count", "cell_count")
    min_zoom = 0.0
    follows_viewport = False
    checked = True

    def query(self, store: Any, query: LayerQuery) -> dict:
        return community_collection(
            store.communities(bbox=query.bbox),
            store.townships(),
            cell_tally(store),
            zoom=query.zoom,
            lang=query.lang,
        )

