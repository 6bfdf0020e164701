"""Coordinate reference systems of the district, and the conversions between them.

Everything is *stored* as WGS84 longitude/latitude (EPSG:4326); everything that measures (areas, distances,
the 100 m unit grid) happens in the district's metric projection, CGCS2000 / 3-degree Gauss–Krüger zone
with central meridian 117°E (EPSG:4548), the projection Chinese surveying uses for Tong'an (≈ 118.15°E).

Notes
-----
EPSG:4548 declares its axes as (northing, easting). Every transformer here is built with
``always_xy=True``, so arrays are always (x = easting, y = northing) and (lon, lat), whatever the CRS
definition says. ``x`` includes the 500 000 m false easting (Tong'an lies near x ≈ 616 km).

>>> x, y = lonlat_to_metric(118.15, 24.73)
>>> round(float(x)), round(float(y))
(616350, 2736635)
>>> lon, lat = metric_to_lonlat(x, y)
>>> round(float(lon), 9), round(float(lat), 9)
(118.15, 24.73)
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

WGS84 = "EPSG:4326"
"""Longitude/latitude, the CRS of every stored geometry and every file of a jurisdiction folder."""

DISTRICT_METRIC_CRS = "EPSG:4548"
"""CGCS2000 / 3-degree Gauss–Krüger CM 117E: metres, for areas, distances and the unit grid."""

CELL_SIZE_M = 100.0
"""Side of a unit grid cell (单元网格) in metres."""

Frame = TypeVar("Frame", gpd.GeoDataFrame, gpd.GeoSeries)


@lru_cache(maxsize=16)
def transformer(source: str, target: str) -> Transformer:
    """A cached (x, y)-ordered transformer from ``source`` to ``target`` (any pyproj CRS string)."""
    return Transformer.from_crs(CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True)


def lonlat_to_metric(lon, lat, metric_crs: str = DISTRICT_METRIC_CRS) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude/latitude (scalars or arrays) to metric easting/northing."""
    x, y = transformer(WGS84, metric_crs).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def metric_to_lonlat(x, y, metric_crs: str = DISTRICT_METRIC_CRS) -> tuple[np.ndarray, np.ndarray]:
    """Metric easting/northing (scalars or arrays) to WGS84 longitude/latitude."""
    lon, lat = transformer(metric_crs, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def same_crs(a, b) -> bool:
    """True when two CRS definitions (strings, pyproj CRS objects) name the same system."""
    if a is None or b is None:
        return a is b
    return CRS.from_user_input(a) == CRS.from_user_input(b)


def to_metric(frame: Frame, metric_crs: str = DISTRICT_METRIC_CRS) -> Frame:
    """The frame in the metric CRS (returned unchanged when it already is).

    Raises
    ------
    ValueError
        When the frame has no CRS: guessing one would silently put the data in the wrong place.
    """
    if frame.crs is None:
        raise ValueError("geometry has no CRS: set one (e.g. EPSG:4326) before projecting it")
    return frame if same_crs(frame.crs, metric_crs) else frame.to_crs(metric_crs)


def to_wgs84(frame: Frame) -> Frame:
    """The frame in WGS84 longitude/latitude (returned unchanged when it already is)."""
    if frame.crs is None:
        raise ValueError("geometry has no CRS: set one (e.g. EPSG:4548) before projecting it")
    return frame if same_crs(frame.crs, WGS84) else frame.to_crs(WGS84)
