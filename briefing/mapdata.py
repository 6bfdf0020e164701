"""The small map of a brief: the scope's townships, the period's report density and its cases still open.

The layers are the dashboard's own (:mod:`layers.density`, :mod:`layers.cases`), asked once for the whole
scope at the zoom a map of about :data:`MAP_PX` pixels across would have, so the brief shows the same
blocks and clusters a leader sees on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from briefing.situation import Situation
from layers.activity import ActivityQuery
from layers.cases import open_cases
from layers.density import report_density

MAP_PX = 640
"""Width of the map the brief's layers are asked for, in screen pixels (the zoom and block size follow)."""


@dataclass(frozen=True)
class MapData:
    """What the brief's map draws (EPSG:4326): townships (code, name, name_en, geometry), their bounds,
    and the density and cases layers' GeoJSON answers."""

    townships: gpd.GeoDataFrame
    bounds: tuple[float, float, float, float]
    density: dict[str, Any]
    cases: dict[str, Any]


def fitted_zoom(bounds: tuple[float, float, float, float], px: int = MAP_PX) -> float:
    """The Web-Mercator zoom at which ``bounds`` spans ``px`` pixels across (between 9 and 16, in halves).

    >>> fitted_zoom((118.0, 24.6, 118.45, 24.9))
    10.5
    """
    width = max(bounds[2] - bounds[0], 1e-6)
    zoom = math.log2(360.0 * px / (256.0 * width))
    return min(16.0, max(9.0, math.floor(zoom * 2) / 2))


def map_data(store: Any, sit: Situation, px: int = MAP_PX) -> MapData:
    """The brief's map layers for ``sit``'s scope and window."""
    frame = store.townships()
    if sit.townships is not None:
        frame = frame[frame["code"].isin(sit.townships)]
    frame = frame.sort_values("code").reset_index(drop=True)
    bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else tuple(store.extent())
    query = ActivityQuery(bbox=bounds, zoom=fitted_zoom(bounds, px), start=sit.window[0], end=sit.window[1],
                          as_of=sit.as_of, townships=sit.townships)
    return MapData(frame[["code", "name", "name_en", "geometry"]], bounds,  # type: ignore[arg-type]
                   report_density(store, query), open_cases(store, query))
