"""Write a jurisdiction folder (the contract between data/ and store/), byte for byte the same every run.

Files: ``townships``, ``communities``, ``cells``, ``zones`` and ``roads`` as GeoJSON; ``places``, ``teams``,
``officers``, ``items`` and ``authority`` as CSV; ``manifest.json`` last, with the counts and the SHA-256 of
every file. Only the layers given are written; files of the folder's known names that are not part of the
new set are removed, so that an imported jurisdiction never keeps a stale demo layer.

Determinism: features keep the order given; properties are written with sorted keys; coordinates are
longitude/latitude rounded to 7 decimals (about 1 cm), except in a geometry that rounding would make
invalid, which keeps full precision (``repr``). Polygons are oriented counter-clockwise (RFC 7946).

Notes
-----
Geometry must be in WGS84 or carry a CRS (it is converted). CSV tables with ``x``/``y`` columns in the
metric CRS get ``lon``/``lat`` instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame

from geo.crs import DISTRICT_METRIC_CRS, metric_to_lonlat, to_wgs84

GEOJSON_LAYERS = ("townships", "communities", "cells", "zones", "roads")
CSV_LAYERS = ("places", "teams", "officers", "items", "authority")
KNOWN_FILES = tuple(f"{n}.geojson" for n in GEOJSON_LAYERS) + tuple(f"{n}.csv" for n in CSV_LAYERS) + ("manifest.json",)
DECIMALS = 7

PROPERTIES = {
    "townships": ["code", "name", "name_en", "kind", "area_km2"],
    "communities": ["code", "name", "official_name", "name_en", "kind", "township_code", "area_km2"],
    "cells": ["code", "community_code", "township_code", "zone_code", "col", "row", "area_m2"],
    "zones": ["code", "name", "name_en", "township_code", "cell_count", "area_km2"],
    "roads": ["id", "name", "kind", "township_code", "number_from", "number_to"],
}
COLUMNS = {
    "places": ["id", "name", "kind", "category", "address", "township_code", "community_code", "lon", "lat"],
    "teams": ["code", "name", "name_en", "township_code", "kind", "department", "parent_code", "lon", "lat"],
    "officers": ["code", "name", "team_code", "certified", "certificate_no", "duty_pattern", "phone"],
    "items": ["code", "name", "name_en", "domain", "default_priority", "time_limit_hours", "legal_basis"],
    "authority": ["township_code", "item_code", "authority", "department"],
}
ROUNDING = {"area_km2": 6, "area_m2": 2}


def _number(value: float) -> str:
    """A coordinate as text: the shortest text that reads back as the same float (already rounded or not)."""
    return repr(float(value))


def _coords(coords: np.ndarray) -> str:
    return "[" + ",".join(f"[{_number(x)},{_number(y)}]" for x, y in coords) + "]"


def _polygon(geom) -> str:
    rings = [geom.exterior, *geom.interiors]
    return "[" + ",".join(_coords(np.asarray(r.coords)) for r in rings) + "]"


def geometry_json(geom) -> str:
    """GeoJSON text of a Point, LineString, Polygon or MultiPolygon (coordinates as given)."""
    kind = geom.geom_type
    if kind == "Point":
        body = f"[{_number(geom.x)},{_number(geom.y)}]"
    elif kind == "LineString":
        body = _coords(np.asarray(geom.coords))
    elif kind == "Polygon":
        body = _polygon(geom)
    elif kind == "MultiPolygon":
        body = "[" + ",".join(_polygon(p) for p in geom.geoms) + "]"
    else:
        raise ValueError(f"cannot write a {kind} to a jurisdiction folder")
    return f'{{"type":"{kind}","coordinates":{body}}}'


def rounded(geoms: np.ndarray) -> np.ndarray:
    """Geometries with coordinates rounded to 7 decimals, each kept unrounded if rounding breaks validity."""
    geoms = shapely.orient_polygons(np.asarray(geoms, dtype=object), exterior_cw=False)
    snapped = shapely.transform(geoms, lambda xy: np.round(xy, DECIMALS))
    ok = shapely.is_valid(snapped) & ~shapely.is_empty(snapped)
    return np.where(ok, snapped, geoms)


def _plain(value):
    """A JSON-ready Python value (numpy scalars, NaN → None)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def geojson_text(frame: GeoDataFrame, columns: list[str]) -> str:
    """A FeatureCollection, one feature per line, properties in sorted order."""
    frame = to_wgs84(frame)
    geoms = rounded(frame.geometry.to_numpy())
    lines = []
    values = {c: frame[c].tolist() for c in columns}
    for i, geom in enumerate(geoms):
        props = {}
        for c in columns:
            v = _plain(values[c][i])
            if c in ROUNDING and v is not None:
                v = round(float(v), ROUNDING[c])
            props[c] = v
        text = json.dumps(props, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        lines.append(f'{{"type":"Feature","properties":{text},"geometry":{geometry_json(geom)}}}')
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def csv_text(frame: pd.DataFrame, columns: list[str], metric_crs: str = DISTRICT_METRIC_CRS) -> str:
    """CSV with the contract's columns; metric ``x``/``y`` become ``lon``/``lat`` with 7 decimals."""
    frame = frame.copy()
    if "x" in frame.columns and "lon" in columns:
        lon, lat = metric_to_lonlat(frame["x"].to_numpy(), frame["y"].to_numpy(), metric_crs)
        frame["lon"], frame["lat"] = lon, lat
    for c in ("lon", "lat"):
        if c in frame.columns:
            frame[c] = [f"{v:.{DECIMALS}f}" for v in frame[c]]
    if "certified" in frame.columns:
        frame["certified"] = frame["certified"].map({True: "true", False: "false"})
    return frame[columns].to_csv(index=False, lineterminator="\n")


def _write(path: Path, text: str) -> str:
    """Write through a temporary file and rename, so a reader never sees half a file; returns the SHA-256."""
    data = text.encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


def write_jurisdiction(
    out_dir: Path,
    layers: dict[str, pd.DataFrame],
    *,
    name: str,
    generator: str,
    seed: int | None,
    demo_boundaries: bool,
    metric_crs: str = DISTRICT_METRIC_CRS,
    cell_size_m: float = 100.0,
) -> dict:
    """Write the given layers and the manifest into ``out_dir``; returns the manifest."""
    unknown = sorted(set(layers) - set(GEOJSON_LAYERS) - set(CSV_LAYERS))
    if unknown:
        raise ValueError(f"unknown jurisdiction layer(s): {unknown}")
    texts = {}
    for stem in GEOJSON_LAYERS:
        if stem in layers:
            texts[f"{stem}.geojson"] = geojson_text(layers[stem], PROPERTIES[stem])
    for stem in CSV_LAYERS:
        if stem in layers:
            texts[f"{stem}.csv"] = csv_text(layers[stem], COLUMNS[stem], metric_crs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {filename: _write(out_dir / filename, text) for filename, text in texts.items()}
    for stale in KNOWN_FILES:
        if stale not in files and stale != "manifest.json" and (out_dir / stale).exists():
            (out_dir / stale).unlink()
    manifest = {
        "name": name,
        "generator": generator,
        "seed": seed,
        "metric_crs": metric_crs,
        "cell_size_m": int(cell_size_m) if float(cell_size_m).is_integer() else cell_size_m,
        "demo_boundaries": demo_boundaries,
        "counts": {Path(f).stem: len(layers[Path(f).stem]) for f in sorted(files)},
        "files": dict(sorted(files.items())),
    }
    _write(out_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return manifest
