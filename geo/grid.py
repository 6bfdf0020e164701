"""Unit grid cells (单元网格): the 100 m squares of the district cut along community borders.

A cell is the grid square ``(col, row)`` of the metric CRS, ``col = floor(x / size)``, ``row = floor(y / size)``,
intersected with one community. A square cut by a border becomes one cell per community it touches; a cut
piece smaller than a fifth of a square (a *sliver*) joins the neighbouring cell of the same community with
which it shares the longest border, so no cell is a useless crumb. Cells are coded with the 12-digit
community code and a 3-digit sequence numbered west→east, then north→south.

Notes
-----
Squares and communities are intersected in the metric CRS (EPSG:4548 by default); the result is returned
in WGS84 unless ``output_crs`` says otherwise. Because every square is clipped to its community, the cells
of a community add up to its area exactly (to floating-point precision) and never overlap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame

from geo.crs import CELL_SIZE_M, DISTRICT_METRIC_CRS, WGS84, to_metric

SLIVER_SHARE = 0.2
"""A cut piece below this share of a full square is merged into a neighbour."""

MAX_CELLS = 999
"""Cell codes number the cells of a community with three digits."""

CELL_COLUMNS = ["code", "community_code", "township_code", "zone_code", "col", "row", "area_m2"]


class GridError(ValueError):
    """The communities cannot be gridded as asked (e.g. one needs more than 999 cells)."""


def _pieces(community, size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All grid squares over one community clipped to it: (geometries, cols, rows), polygon parts only."""
    minx, miny, maxx, maxy = community.bounds
    cols = np.arange(int(np.floor(minx / size)), int(np.floor(maxx / size)) + 1)
    rows = np.arange(int(np.floor(miny / size)), int(np.floor(maxy / size)) + 1)
    cc, rr = (a.ravel() for a in np.meshgrid(cols, rows))
    squares = shapely.box(cc * size, rr * size, (cc + 1) * size, (rr + 1) * size)
    shapely.prepare(community)
    hit = shapely.intersects(community, squares)
    squares, cc, rr = squares[hit], cc[hit], rr[hit]
    whole = shapely.contains_properly(community, squares)
    clipped = squares.copy()
    clipped[~whole] = shapely.intersection(squares[~whole], community)
    # a clipped square may fall apart (a border wiggling through it) or carry stray lines: keep polygon parts
    parts, index = shapely.get_parts(clipped, return_index=True)
    polygonal = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, index = parts[polygonal], index[polygonal]
    return parts, cc[index], rr[index]


def _merge_slivers(geoms: np.ndarray, cols: np.ndarray, rows: np.ndarray, size: float):
    """Merge every sliver into the neighbour (same community) sharing the longest border with it.

    Slivers first look for a full-enough neighbour; a sliver whose neighbours are all slivers joins the
    best of those in a second pass; one touching nothing is kept as it is.
    """
    area = shapely.area(geoms)
    sliver = area < SLIVER_SHARE * size * size
    if not sliver.any():
        return geoms, cols, rows
    target = np.arange(len(geoms))
    tree = shapely.STRtree(geoms)
    for pass_ in range(2):
        todo = np.flatnonzero(sliver & (target == np.arange(len(geoms))))
        if len(todo) == 0:
            break
        left, right = tree.query(geoms[todo], predicate="intersects")
        left = todo[left]
        ok = right != left
        # first pass: into full-enough cells only; second: also into slivers already merged (no cycles)
        ok &= ~sliver[right] if pass_ == 0 else (~sliver[right] | (target[right] != right))
        left, right = left[ok], right[ok]
        if len(left) == 0:
            break
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right])))
        pairs = pd.DataFrame({"sliver": left, "into": right, "shared": shared})
        pairs = pairs[pairs["shared"] > 0].sort_values(["sliver", "shared", "into"], ascending=[True, False, True])
        best = pairs.drop_duplicates("sliver")
        target[best["sliver"].to_numpy()] = best["into"].to_numpy()
    # follow chains (a sliver merged into a sliver that was merged further)
    for _ in range(len(geoms)):
        nxt = target[target]
        if np.array_equal(nxt, target):
            break
        target = nxt
    keep = np.flatnonzero(target == np.arange(len(geoms)))
    merged = geoms[keep].copy()
    absorbed = np.flatnonzero(target != np.arange(len(geoms)))
    if len(absorbed):
        position = {k: i for i, k in enumerate(keep)}
        groups = pd.Series(absorbed).groupby(target[absorbed])
        for into, members in groups:
            merged[position[into]] = shapely.union_all(np.concatenate([[geoms[into]], geoms[members.to_numpy()]]))
    return merged, cols[keep], rows[keep]


def build_cells(
    communities: GeoDataFrame,
    cell_size: float = CELL_SIZE_M,
    metric_crs: str = DISTRICT_METRIC_CRS,
    *,
    output_crs: str = WGS84,
) -> GeoDataFrame:
    """The unit grid cells of every community.

    Parameters
    ----------
    communities : GeoDataFrame
        Columns ``code`` (12 digits) and ``township_code``; any CRS (converted to ``metric_crs``).
    cell_size : float
        Side of a grid square in metres of ``metric_crs``.
    output_crs : str
        CRS of the result (WGS84 by default; the metric CRS avoids a round trip when building further).

    Returns
    -------
    GeoDataFrame
        Columns ``code, community_code, township_code, zone_code (None), col, row, area_m2`` and geometry,
        sorted by code.

    Raises
    ------
    GridError
        When a community needs more than 999 cells (its code could not number them).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> block = gpd.GeoDataFrame({"code": ["350212001002"], "township_code": ["350212001"]},
    ...                          geometry=[shapely.box(600000, 2700000, 600210, 2700100)], crs="EPSG:4548")
    >>> cells = build_cells(block, output_crs="EPSG:4548")  # the 10 m strip joins its neighbour
    >>> list(cells["code"]), list(cells["area_m2"])
    (['350212001002001', '350212001002002'], [10000.0, 11000.0])
    """
    metric = to_metric(communities, metric_crs)
    frames = []
    for community in metric.itertuples():
        geoms, cols, rows = _pieces(community.geometry, cell_size)
        geoms, cols, rows = _merge_slivers(geoms, cols, rows, cell_size)
        if len(geoms) > MAX_CELLS:
            name = getattr(community, "name", "")
            raise GridError(
                f"community {community.code}{f' ({name})' if name else ''} needs {len(geoms)} cells of "
                f"{cell_size:g} m; cell codes allow at most {MAX_CELLS} per community: split it or use larger cells"
            )
        centre = shapely.get_coordinates(shapely.centroid(geoms))
        # west→east within a row of squares, rows north→south; two cells of one square by their centres
        order = np.lexsort((-centre[:, 1], centre[:, 0], cols, -rows))
        frames.append(
            pd.DataFrame(
                {
                    "code": [f"{community.code}{i:03d}" for i in range(1, len(geoms) + 1)],
                    "community_code": community.code,
                    "township_code": community.township_code,
                    "zone_code": None,
                    "col": cols[order].astype(int),
                    "row": rows[order].astype(int),
                    "geometry": geoms[order],
                }
            )
        )
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*CELL_COLUMNS, "geometry"])
    cells = GeoDataFrame(table, geometry="geometry", crs=metric_crs)
    cells["area_m2"] = cells.geometry.area
    cells = cells[[*CELL_COLUMNS, "geometry"]].sort_values("code", ignore_index=True)
    return cells if output_crs == metric_crs else cells.to_crs(output_crs)
