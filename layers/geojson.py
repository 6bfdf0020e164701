"""GeoDataFrames into GeoJSON for the browser: simplified for the zoom, rounded, with chosen properties.

A browser drawing the district at zoom 11 gains nothing from vertices 2 m apart, and every digit past the
pixel is bytes on the wire. So boundaries are simplified to about half a screen pixel at the zoom they are
drawn at, and coordinates are rounded to the decimals that pixel needs.

Notes
-----
Input and output are EPSG:4326 longitude/latitude. Simplification runs in the district's metric CRS
(``geo.crs.DISTRICT_METRIC_CRS``, CGCS2000 / 3-degree Gauss–Krüger CM 117E) so tolerances are metres.
Townships, communities and zones tile the district without gaps or overlaps (a *coverage*); they are
simplified together with ``shapely.coverage_simplify`` so that neighbours keep sharing their border
instead of opening slivers between them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import DISTRICT_METRIC_CRS, WGS84

EQUATOR_M = 40_075_016.686
TILE_PX = 256
DISTRICT_LAT = 24.73
"""Latitude of Tong'an, for pixel sizes (the cosine changes < 1 % across the district)."""

DETAIL_ZOOMS = (10, 12, 14, 16)
"""Zoom levels boundaries are prepared for; a view at zoom z gets the first level ≥ z (finer, never coarser)."""


def metres_per_pixel(zoom: float, lat: float = DISTRICT_LAT) -> float:
    """Ground size of one screen pixel in Web Mercator at ``zoom`` and latitude ``lat``.

    >>> round(metres_per_pixel(12), 1)
    34.7
    """
    return EQUATOR_M * math.cos(math.radians(lat)) / (TILE_PX * 2**zoom)


def detail_zoom(zoom: float) -> int:
    """The detail level boundaries are prepared for at ``zoom``; views within one level share the data.

    >>> [detail_zoom(z) for z in (9, 11, 12, 12.5, 15, 18)]
    [10, 12, 12, 14, 16, 16]
    """
    for level in DETAIL_ZOOMS:
        if zoom <= level:
            return level
    return DETAIL_ZOOMS[-1]


def simplify_tolerance_m(zoom: float) -> float:
    """Half a pixel at the detail level of ``zoom``, in metres."""
    return metres_per_pixel(detail_zoom(zoom)) / 2


def coordinate_decimals(zoom: float) -> int:
    """Decimals of a degree that resolve a quarter pixel at the detail level of ``zoom`` (4…7).

    >>> [coordinate_decimals(z) for z in (10, 12, 14, 16)]
    [4, 5, 5, 6]
    """
    quarter_pixel_deg = metres_per_pixel(detail_zoom(zoom)) / 4 / 111_320
    return min(7, max(4, math.ceil(-math.log10(quarter_pixel_deg))))


def simplify_metric(geometries: gpd.GeoSeries, tolerance_m: float, *, coverage: bool) -> gpd.GeoSeries:
    """Simplify lon/lat geometries by ``tolerance_m`` metres; keep shared borders shared for a coverage.

    Falls back to per-polygon topology-preserving simplification when ``coverage`` is asked for but the
    polygons are not a valid coverage (overlaps or gaps along a border), so odd input still draws.
    """
    if tolerance_m <= 0 or geometries.empty:
        return geometries
    metric = geometries.to_crs(DISTRICT_METRIC_CRS)
    values = metric.values
    if coverage and bool(shapely.coverage_is_valid(values)):
        simplified = shapely.coverage_simplify(values, tolerance_m, simplify_boundary=True)
    else:
        simplified = shapely.simplify(values, tolerance_m, preserve_topology=True)
    return gpd.GeoSeries(simplified, index=geometries.index, crs=DISTRICT_METRIC_CRS).to_crs(WGS84)


def round_coordinates(geometries: Iterable, decimals: int) -> np.ndarray:
    """Geometries with every coordinate rounded to ``decimals`` (shared vertices stay shared)."""
    return shapely.transform(np.asarray(geometries, dtype=object), lambda xy: np.round(xy, decimals))


def label_points(geometries: gpd.GeoSeries) -> gpd.GeoSeries:
    """Where to write each polygon's name: the centre of its largest inscribed circle.

    Unlike the centroid this point is always inside, even for a crescent-shaped or multi-part township.
    """
    metric = geometries.to_crs(DISTRICT_METRIC_CRS)
    tolerance = np.maximum(np.sqrt(metric.area.to_numpy()) / 100, 1.0)
    circles = shapely.maximum_inscribed_circle(metric.values, tolerance)
    centres = shapely.get_point(circles, 0)
    return gpd.GeoSeries(centres, index=geometries.index, crs=DISTRICT_METRIC_CRS).to_crs(WGS84)


def plain(value: Any) -> Any:
    """A JSON-friendly Python value: numpy scalars unwrapped, NaN/NA as None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def geometry_dicts(geometries: np.ndarray) -> list[dict]:
    """GeoJSON geometry dicts for an array of shapely geometries, built from one vectorised export.

    Polygons and multipolygons (the map's areas) and points (label points) go through
    ``shapely.to_ragged_array`` and one ``tolist()``: about ten times faster than ``mapping()`` per
    feature for thousands of cells, and than parsing ``to_geojson`` text for large boundaries.
    Other types fall back to ``mapping()``.
    """
    if len(geometries) == 0:
        return []
    types = set(shapely.get_type_id(geometries).tolist())
    if types <= {0}:
        return [{"type": "Point", "coordinates": xy} for xy in shapely.get_coordinates(geometries).tolist()]
    if not types <= {3, 6}:
        return [shapely.geometry.mapping(g) for g in geometries]
    kind, coords, offsets = shapely.to_ragged_array(geometries)
    points = coords.tolist()
    rings = [points[a:b] for a, b in zip(offsets[0][:-1].tolist(), offsets[0][1:].tolist(), strict=True)]
    polygons = [rings[a:b] for a, b in zip(offsets[1][:-1].tolist(), offsets[1][1:].tolist(), strict=True)]
    if kind == shapely.GeometryType.POLYGON:
        return [{"type": "Polygon", "coordinates": p} for p in polygons]
    out = []
    for a, b in zip(offsets[2][:-1].tolist(), offsets[2][1:].tolist(), strict=True):
        parts = polygons[a:b]
        out.append({"type": "Polygon", "coordinates": parts[0]} if len(parts) == 1 else
                   {"type": "MultiPolygon", "coordinates": parts})
    return out


def features(geometries: Iterable, properties: pd.DataFrame) -> list[dict]:
    """GeoJSON Feature dicts from shapely geometries and a frame of properties (one row per geometry).

    Empty or missing geometries are left out. Values become plain JSON: numpy scalars unwrapped, NaN as
    None.
    """
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) != len(properties):
        raise ValueError(f"{len(geoms)} geometries but {len(properties)} property rows")
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    rows = properties.loc[keep].astype(object).to_dict("records")
    return [
        {"type": "Feature", "geometry": geometry, "properties": {key: plain(value) for key, value in row.items()}}
        for geometry, row in zip(geometry_dicts(geoms[keep]), rows, strict=True)
    ]


def collection(feature_list: list[dict]) -> dict:
    """Wrap features in a FeatureCollection."""
    return {"type": "FeatureCollection", "features": feature_list}


def localised(frame: pd.DataFrame, lang: str, zh: str = "name", en: str = "name_en") -> pd.Series:
    """The display name in ``lang``: the English column where present, else the Chinese one."""
    if lang == "en" and en in frame.columns:
        english = frame[en].astype("string").str.strip()
        return english.where(english.notna() & (english != ""), frame[zh].astype("string")).astype(object)
    return frame[zh].astype(object)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Fail with a message naming the table and the missing columns, instead of a KeyError deep inside."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}; has {', '.join(map(str, frame.columns))}")
