"""Unit grid cells (单元网格): the ~100 m squares every report is placed on.

The district has 30–45 thousand of them, far too many to send whole. The layer answers only close up
(zoom ≥ 15) and only for the viewport, and caps one answer at :data:`MAX_CELLS` (a 4K wall display at
zoom 15 sees about 17 thousand); a capped answer says so with ``"truncated": true`` on the collection.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from layers import geojson
from layers.registry import Label, LayerQuery, empty_collection

MIN_ZOOM = 15.0
MAX_CELLS = 12_000


def cell_collection(cells: gpd.GeoDataFrame, *, zoom: float, truncated: bool = False) -> dict:
    """Cell squares with their codes and grid position; coordinates rounded for ``zoom``, not simplified.

    The township code is left out of the properties: it is the first 9 digits of every cell code.

    Parameters
    ----------
    cells : GeoDataFrame
        EPSG:4326, columns code, community_code, township_code, zone_code, col, row, area_m2, geometry.
    truncated : bool
        Mark the collection as cut short (the page then asks the user to zoom in).
    """
    geojson.require_columns(
        cells, ("code", "community_code", "township_code", "zone_code", "col", "row", "geometry"), "cells"
    )
    frame = cells.sort_values("code").reset_index(drop=True)
    codes = frame["code"].astype(str)
    zone_codes = frame["zone_code"].astype("string")
    properties = pd.DataFrame(
        {
            "layer": "cells",
            "code": codes,
            "label": codes,
            "community_code": frame["community_code"].astype(str),
            "zone_code": zone_codes.where(zone_codes.notna() & (zone_codes != ""), None).astype(object),
            "col": pd.to_numeric(frame["col"]).astype(int),
            "row": pd.to_numeric(frame["row"]).astype(int),
            "area_m2": pd.to_numeric(frame.get("area_m2"), errors="coerce").round(1),
        }
    )
    geometries = geojson.round_coordinates(frame.geometry.values, geojson.coordinate_decimals(zoom))
    out = geojson.collection(geojson.features(geometries, properties))
    if truncated:
        out["truncated"] = True
    return out


class CellsLayer:
    """单元网格 — only at zoom ≥ 15 and only inside the viewport."""

    name = "cells"
    label = Label("单元网格", "Unit grid cells")
    style = {"color": "#6b7c8f", "weight": 0.6, "opacity": 0.8, "fillColor": "#6b7c8f", "fillOpacity": 0.04}
    fields = ("code", "col", "row", "area_m2")
    min_zoom = MIN_ZOOM
    follows_viewport = True
    checked = True

    def query(self, store: Any, query: LayerQuery) -> dict:
        if query.zoom < self.min_zoom:
            return empty_collection()
        if query.bbox is None:
            raise ValueError("the cells layer needs a bbox: the whole grid is never sent at once")
        cells = store.cells(bbox=query.bbox, limit=MAX_CELLS + 1)
        truncated = len(cells) > MAX_CELLS
        if truncated:
            cells = cells.iloc[:MAX_CELLS]
        return cell_collection(cells, zoom=query.zoom, truncated=truncated)

