"""Import real township (and community) boundaries: check them thoroughly, then grid and zone them.

Boundaries arrive as whatever a surveying office exports — GeoJSON, GeoPackage, Shapefile — in whatever CRS
(often CGCS2000 Gauss–Krüger, sometimes WGS84). Everything downstream assumes a clean partition, so a file
is refused, with a message naming the feature and the problem, when:

- it cannot be read, holds no feature, or declares no CRS;
- it has no name or code column (the column names found are listed);
- a feature has no geometry, a non-polygon geometry, an invalid polygon (with GEOS's reason), no name, a
  code that is not a 9-digit (township) / 12-digit (community) division code, or a code used twice;
- two features overlap;
- a community lies outside every township or straddles two, or its code does not begin with the code of
  the township it lies in, or the communities leave part of a township uncovered.

All problems of a file are reported together. Only when everything is valid are cells
(:func:`geo.grid.build_cells`) and zones (:func:`geo.zones.build_zones`) built; without a communities file
each township is split into generated communities (``<township>第N社区(生成)``) so every cell still has a
12-digit community code.

Notes
-----
Checks and building run in the district's metric CRS (EPSG:4548 by default); overlaps and gaps below
``TOLERANCE_M2`` (or a millionth of the feature's area, whichever is larger) are digitising noise and
accepted.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import CELL_SIZE_M, DISTRICT_METRIC_CRS, to_metric
from geo.grid import GridError, build_cells
from geo.names import community_kind, english_name, short_community_name, township_kind
from geo.partition import PartitionError, as_polygonal, split_coverage
from geo.zones import ZoneError, build_zones

NAME_COLUMNS = ("name", "名称", "name_zh", "township", "乡镇", "镇街", "乡镇街道", "community", "社区", "村社区", "xzqmc")
CODE_COLUMNS = ("code", "代码", "区划代码", "adcode", "gb", "xzqdm")
KIND_COLUMNS = ("kind", "类型", "type")
TOLERANCE_M2 = 1.0
MAX_PROBLEMS = 25
GENERATED_COMMUNITY_KM2 = 3.0
"""Townships without communities are split into pieces of about this size (well under 999 cells)."""


class BoundaryError(ValueError):
    """Boundary input that cannot be used; the message names the file, the feature and the problem."""


def _find_column(frame: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], what: str, path: Path) -> str:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if wanted is not None:
        if wanted not in columns:
            raise BoundaryError(f"{path}: no column {wanted!r} for the {what} (columns: {', '.join(map(str, columns)) or 'none'})")
        return wanted
    lowered = {str(c).lower(): c for c in columns}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    raise BoundaryError(
        f"{path}: no {what} column: looked for {', '.join(candidates)}; the file has "
        f"{', '.join(map(str, columns)) or 'no attribute columns'} (name it with --{what}-column)"
    )


def _label(row: int, name, code) -> str:
    parts = [f"feature {row}"]
    if isinstance(name, str) and name.strip():
        parts.append(f"'{name.strip()}'")
    if code not in (None, "") and not (isinstance(code, float) and math.isnan(code)):
        parts.append(f"code {code}")
    return " ".join(parts)


def _code_text(value) -> str:
    """A division code as text: integers stored as numbers (350212001.0) are read back as digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raise(path: Path, problems: list[str]) -> None:
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = f"\n  … and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
        raise BoundaryError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(shown) + more)


def read_boundaries(
    path: Path,
    level: str,
    *,
    name_column: str | None = None,
    code_column: str | None = None,
    metric_crs: str = DISTRICT_METRIC_CRS,
) -> gpd.GeoDataFrame:
    """One boundary file, checked, in the metric CRS, with columns ``code, name, kind, name_en`` (+
    ``official_name`` for communities) and ``row`` (the feature's 1-based position, for messages).

    Parameters
    ----------
    level : ``"township"`` or ``"community"``
        Decides the code length (9 or 12 digits) and how kinds are told apart.

    Raises
    ------
    BoundaryError
        For every problem listed in the module docstring.
    """
    path = Path(path)
    digits = 9 if level == "township" else 12
    if not path.exists():
        raise BoundaryError(f"{path}: no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the same problem for the user
        raise BoundaryError(f"{path}: cannot be read as GeoJSON, GeoPackage or Shapefile ({exc})") from exc
    if len(frame) == 0:
        raise BoundaryError(f"{path}: contains no features")
    if frame.crs is None:
        raise BoundaryError(
            f"{path}: has no coordinate reference system (CRS); export it with one (e.g. EPSG:4326 for "
            "lon/lat or EPSG:4548 for CGCS2000 Gauss–Krüger CM 117E), or add a .prj for a Shapefile"
        )
    name_col = _find_column(frame, name_column, NAME_COLUMNS, "name", path)
    code_col = _find_column(frame, code_column, CODE_COLUMNS, "code", path)
    kind_col = next((c for c in frame.columns if str(c).lower() in KIND_COLUMNS), None)
    en_col = next((c for c in frame.columns if str(c).lower() == "name_en"), None)

    problems: list[str] = []
    rows = []
    first_row: dict[str, int] = {}
    for i, (geom, name, code) in enumerate(zip(frame.geometry, frame[name_col], frame[code_col], strict=True), start=1):
        label = _label(i, name, code)
        code = _code_text(code)
        name = name.strip() if isinstance(name, str) else ""
        if geom is None or geom.is_empty:
            problems.append(f"{label}: has no geometry")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{label}: geometry is a {geom.geom_type}; boundaries must be Polygon or MultiPolygon")
        elif not geom.is_valid:
            problems.append(f"{label}: invalid polygon ({shapely.is_valid_reason(geom)})")
        if not name:
            problems.append(f"{label}: has no name in column {name_col!r}")
        if not (len(code) == digits and code.isdigit()):
            problems.append(f"{label}: code {code!r} is not a {digits}-digit division code")
        elif code in first_row:
            problems.append(f"{label}: code {code} is already used by feature {first_row[code]}")
        else:
            first_row[code] = i
        given_kind = str(frame[kind_col].iloc[i - 1]).strip() if kind_col is not None else ""
        if level == "township":
            kind = given_kind if given_kind in ("街道", "镇") else township_kind(name)
            if kind is None and name:
                problems.append(f"{label}: cannot tell whether '{name}' is a 街道 or a 镇 (name it …街道/…镇 or add a kind column)")
            short = name
        else:
            kind = given_kind if given_kind in ("社区", "村") else community_kind(name, code)
            short = short_community_name(name)
        given_en = frame[en_col].iloc[i - 1] if en_col is not None else None
        name_en = given_en.strip() if isinstance(given_en, str) and given_en.strip() else (english_name(short, kind or "") if short else "")
        rows.append({"row": i, "code": code, "name": short, "official_name": name, "kind": kind, "name_en": name_en})
    _raise(path, problems)

    table = gpd.GeoDataFrame(rows, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    table = to_metric(table, metric_crs)
    bad = ~table.geometry.is_valid
    if bad.any():
        problems = [f"{_label(r.row, r.name, r.code)}: polygon becomes invalid in {metric_crs} "
                    f"({shapely.is_valid_reason(r.geometry)})" for r in table[bad].itertuples()]
        _raise(path, problems)
    _raise(path, _overlaps(table))
    if level == "township":
        table = table.drop(columns="official_name")
    return table


def _overlaps(table: gpd.GeoDataFrame) -> list[str]:
    """Every pair of features whose interiors overlap by more than digitising noise."""
    geoms = table.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    limit = np.maximum(TOLERANCE_M2, 1e-6 * np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right])))
    problems = []
    for a, b, overlap in zip(left[area > limit], right[area > limit], area[area > limit], strict=True):
        ra, rb = table.iloc[a], table.iloc[b]
        problems.append(f"{_label(ra.row, ra['name'], ra.code)} and {_label(rb.row, rb['name'], rb.code)} overlap by {overlap:,.0f} m²")
    return problems


def assign_townships(communities: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """``township_code`` for every community: the township containing it. Refuses communities outside
    every township or straddling two, communities whose code does not begin with their township's, and
    townships that the communities do not cover."""
    c_geoms, t_geoms = communities.geometry.to_numpy(), townships.geometry.to_numpy()
    ci, ti = shapely.STRtree(t_geoms).query(c_geoms, predicate="intersects")
    shared = shapely.area(shapely.intersection(c_geoms[ci], t_geoms[ti]))
    problems, owner = [], []
    for k, c in enumerate(communities.itertuples()):
        mine = ci == k
        label = _label(c.row, c.name, c.code)
        area = c.geometry.area
        if not mine.any() or shared[mine].max() <= 0:
            problems.append(f"community {label}: lies outside every township")
            owner.append(None)
            continue
        best = int(np.argmax(np.where(mine, shared, -1)))
        outside = area - shared[best]
        township = townships.iloc[ti[best]]
        owner.append(township["code"])
        if not c.code.startswith(township["code"]):
            problems.append(
                f"community {label}: lies in {township['name']} (code {township['code']}), but its code does not "
                "start with that township's code (division codes are hierarchical)"
            )
        if outside > max(TOLERANCE_M2, 1e-6 * area):
            others = [townships.iloc[t]["name"] for t, s in zip(ti[mine], shared[mine], strict=True) if t != ti[best] and s > TOLERANCE_M2]
            where = f"straddles {townships.iloc[ti[best]]['name']} and {', '.join(others)}" if others else f"sticks out of {townships.iloc[ti[best]]['name']}"
            problems.append(f"community {label}: {where} ({outside:,.0f} m², {100 * outside / area:.1f}% outside its township)")
    result = communities.copy()
    result["township_code"] = owner
    for t in townships.itertuples():
        covered = result.geometry[result["township_code"] == t.code].area.sum()
        gap = t.geometry.area - covered
        if gap > max(TOLERANCE_M2, 1e-3 * t.geometry.area):
            problems.append(
                f"township {_label(t.row, t.name, t.code)}: communities cover only {100 * covered / t.geometry.area:.1f}% of it "
                f"({gap / 1e6:.3f} km² belongs to no community)"
            )
    _raise(path, problems)
    return result


def generated_communities(townships: gpd.GeoDataFrame, seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Communities drawn inside each township (about 3 km² each), for imports that have none.

    Returns the communities and the townships redrawn as the union of their communities, so that both
    layers share every vertex (the pieces are snapped to a 1 mm grid).
    """
    townships = townships.sort_values("code", ignore_index=True)
    counts = [max(1, round(g.area / 1e6 / GENERATED_COMMUNITY_KM2)) for g in townships.geometry]
    try:
        parts = split_coverage(list(townships.geometry), [[1.0] * n for n in counts], np.random.default_rng(seed))
    except PartitionError as exc:
        raise BoundaryError(f"the townships cannot be split into communities ({exc})") from exc
    rows, geoms = [], []
    for t, pieces in zip(townships.itertuples(), parts, strict=True):
        for i, piece in enumerate(pieces, start=1):
            name = f"{t.name}第{i}社区(生成)"
            rows.append({"row": i, "code": f"{t.code}{i:03d}", "name": name, "official_name": name, "kind": "社区",
                         "name_en": f"{t.name_en} Community {i} (generated)", "township_code": t.code})
            geoms.append(as_polygonal(piece))
    communities = gpd.GeoDataFrame(rows, geometry=geoms, crs=townships.crs)
    redrawn = townships.copy()
    redrawn["geometry"] = [as_polygonal(shapely.coverage_union_all(np.asarray(p, dtype=object))) for p in parts]
    return communities, redrawn


def import_boundaries(
    townships_path: Path,
    communities_path: Path | None = None,
    *,
    name_column: str | None = None,
    code_column: str | None = None,
    target_zones: int = 40,
    cell_size: float = CELL_SIZE_M,
    metric_crs: str = DISTRICT_METRIC_CRS,
) -> dict[str, gpd.GeoDataFrame]:
    """Checked townships and communities with their cells and zones (all in ``metric_crs``).

    Nothing is written here: the caller writes the jurisdiction folder once everything is valid.

    Raises
    ------
    BoundaryError
        Bad input, with every problem found (see the module docstring); also a community too large for
        the 999 cells its code can number.
    """
    townships = read_boundaries(townships_path, "township", name_column=name_column, code_column=code_column, metric_crs=metric_crs)
    if communities_path is not None:
        communities = read_boundaries(communities_path, "community", name_column=name_column, code_column=code_column, metric_crs=metric_crs)
        communities = assign_townships(communities, townships, Path(communities_path))
    else:
        communities, townships = generated_communities(townships)
    townships["area_km2"] = townships.geometry.area / 1e6
    communities["area_km2"] = communities.geometry.area / 1e6
    try:
        cells = build_cells(communities, cell_size, metric_crs, output_crs=metric_crs)
        zones, cells = build_zones(cells, townships, target_zones, cell_size=cell_size, metric_crs=metric_crs)
    except (GridError, ZoneError) as exc:
        raise BoundaryError(str(exc)) from exc
    townships = townships.drop(columns="row").sort_values("code", ignore_index=True)
    communities = communities.drop(columns="row").sort_values("code", ignore_index=True)
    return {"townships": townships, "communities": communities, "cells": cells, "zones": zones}
