"""Patrol zones (片区): contiguous groups of whole cells, about equal in size, inside one township.

A zone is what one team patrols in a shift, so it must be walkable in one piece (contiguous), belong to one
township (one chain of command), and be comparable with the others (balanced in cell count). The method:

1. zones are shared out among townships in proportion to their cells (largest remainder, two at least);
2. within a township, each connected group of cells gets its share (a township in several pieces gets a
   zone per piece at least);
3. seeds come from k-means on the cell centres (deterministic start: farthest-point sampling);
4. *balanced region growing*: the zone with the fewest cells takes the free neighbouring cell nearest its
   centre, again and again. A zone only ever takes a neighbour of a cell it has, so every zone is one
   connected piece by construction, and the smallest always grows first, so sizes stay even.

Notes
-----
Adjacency is rook adjacency (a shared edge, not a corner) computed in the metric CRS: two full squares
are neighbours when their (col, row) differ by one step; any pair involving a cut or merged cell must share
a border of positive length.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame

from geo.crs import CELL_SIZE_M, DISTRICT_METRIC_CRS, to_metric

ZONE_COLUMNS = ["code", "name", "name_en", "township_code", "cell_count", "area_km2"]


class ZoneError(ValueError):
    """Zones cannot be built as asked (e.g. a township has no cells)."""


def cell_adjacency(cells: GeoDataFrame, cell_size: float = CELL_SIZE_M) -> list[list[int]]:
    """Rook neighbours of every cell (positions in ``cells``), in the metric CRS of ``cells``."""
    geoms = cells.geometry.to_numpy()
    cols, rows = cells["col"].to_numpy(), cells["row"].to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    full = np.abs(shapely.area(geoms) - cell_size * cell_size) < 1e-6 * cell_size * cell_size
    both_full = full[left] & full[right]
    rook = (np.abs(cols[left] - cols[right]) + np.abs(rows[left] - rows[right])) == 1
    adjacent = both_full & rook
    other = ~both_full
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left[other]]), shapely.boundary(geoms[right[other]])))
    adjacent[np.flatnonzero(other)[shared > 1e-6 * cell_size]] = True
    neighbours: list[list[int]] = [[] for _ in range(len(geoms))]
    for a, b in zip(left[adjacent], right[adjacent], strict=True):
        neighbours[a].append(int(b))
        neighbours[b].append(int(a))
    return neighbours


def _components(members: np.ndarray, neighbours: list[list[int]]) -> list[np.ndarray]:
    """Connected groups among ``members`` (cell positions), biggest first, ties by lowest position."""
    inside = set(members.tolist())
    seen: set[int] = set()
    groups = []
    for start in members:
        if start in seen:
            continue
        stack, group = [int(start)], []
        seen.add(int(start))
        while stack:
            cell = stack.pop()
            group.append(cell)
            for n in neighbours[cell]:
                if n in inside and n not in seen:
                    seen.add(n)
                    stack.append(n)
        groups.append(np.array(sorted(group)))
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def share_out(sizes: list[int], total: int, minimum: int) -> list[int]:
    """Split ``total`` in proportion to ``sizes`` (largest remainder), each share at least ``minimum``.

    >>> share_out([100, 50, 10], 10, 2)
    [6, 2, 2]
    """
    total = max(total, minimum * len(sizes))
    weights = np.asarray(sizes, dtype=float)
    quota = total * weights / weights.sum()
    shares = np.maximum(np.floor(quota).astype(int), minimum)
    while shares.sum() < total:
        shares[int(np.argmax(quota - shares))] += 1
    while shares.sum() > total:
        spare = np.flatnonzero(shares > minimum)
        shares[spare[int(np.argmin((quota - shares)[spare]))]] -= 1
    return shares.tolist()


def _seeds(xy: np.ndarray, k: int, iterations: int = 12) -> np.ndarray:
    """Centres of ``k`` compact groups of the points ``xy``: farthest-point start, then k-means."""
    centre = xy.mean(axis=0)
    chosen = [int(np.argmax(np.hypot(*(xy - centre).T)))]
    gap = np.hypot(*(xy - xy[chosen[0]]).T)
    while len(chosen) < k:
        chosen.append(int(np.argmax(gap)))
        gap = np.minimum(gap, np.hypot(*(xy - xy[chosen[-1]]).T))
    centres = xy[chosen].astype(float)
    for _ in range(iterations):
        label = np.argmin(np.hypot(xy[:, None, 0] - centres[None, :, 0], xy[:, None, 1] - centres[None, :, 1]), axis=1)
        for z in range(k):
            if np.any(label == z):
                centres[z] = xy[label == z].mean(axis=0)
    return centres


def _grow(cells: np.ndarray, xy: np.ndarray, centres: np.ndarray, neighbours: list[list[int]]) -> dict[int, int]:
    """Balanced multi-source region growing over the connected ``cells``; returns cell → zone (0..k-1)."""
    k = len(centres)
    inside = set(cells.tolist())
    zone_of: dict[int, int] = {}
    heaps: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    size = np.zeros(k, dtype=int)
    free = sorted(inside)
    for z in range(k):
        # the free cell nearest each centre starts the zone
        start = min(free, key=lambda c: (np.hypot(*(xy[c] - centres[z])), c))
        zone_of[start] = z
        free.remove(start)
        size[z] = 1
        for n in neighbours[start]:
            if n in inside:
                heapq.heappush(heaps[z], (float(np.hypot(*(xy[n] - centres[z]))), n))
    active = np.ones(k, dtype=bool)
    while len(zone_of) < len(inside) and active.any():
        z = int(np.flatnonzero(active)[np.argmin(size[active])])
        while heaps[z] and heaps[z][0][1] in zone_of:
            heapq.heappop(heaps[z])
        if not heaps[z]:
            active[z] = False
            continue
        _, cell = heapq.heappop(heaps[z])
        zone_of[cell] = z
        size[z] += 1
        for n in neighbours[cell]:
            if n in inside and n not in zone_of:
                heapq.heappush(heaps[z], (float(np.hypot(*(xy[n] - centres[z]))), n))
    return zone_of


def build_zones(
    cells: GeoDataFrame,
    townships: GeoDataFrame,
    target_zones: int = 40,
    *,
    cell_size: float = CELL_SIZE_M,
    metric_crs: str = DISTRICT_METRIC_CRS,
) -> tuple[GeoDataFrame, GeoDataFrame]:
    """About ``target_zones`` patrol zones over the district, and the cells with their ``zone_code``.

    Parameters
    ----------
    cells : GeoDataFrame
        From :func:`geo.grid.build_cells` (columns ``code, township_code, col, row``), any CRS.
    townships : GeoDataFrame
        Columns ``code, name, name_en``: zones are named after their township.
    target_zones : int
        Zones wanted in total; every township gets two at least, and one per separate piece of it.

    Returns
    -------
    zones, cells
        Zones (``code`` = township code + 2-digit sequence north→south, ``name``, ``name_en``,
        ``township_code``, ``cell_count``, ``area_km2``, geometry = union of its cells) and a copy of
        ``cells`` with ``zone_code`` filled, both in the CRS of ``cells``.
    """
    metric = to_metric(cells, metric_crs).reset_index(drop=True)
    names = townships.set_index("code")
    unknown = sorted(set(metric["township_code"]) - set(names.index))
    if unknown:
        raise ZoneError(f"cells refer to township(s) {unknown} that are not in the township list")
    empty = sorted(set(names.index) - set(metric["township_code"]))
    if empty:
        raise ZoneError(f"township(s) {empty} have no cells: nothing to make zones of")
    neighbours = cell_adjacency(metric, cell_size)
    xy = shapely.get_coordinates(shapely.centroid(metric.geometry.to_numpy()))
    codes = sorted(metric["township_code"].unique())
    counts = metric.groupby("township_code").size()
    per_township = dict(zip(codes, share_out([int(counts[c]) for c in codes], target_zones, 2), strict=True))

    zone_code = np.empty(len(metric), dtype=object)
    rows = []
    for township in codes:
        members = np.flatnonzero(metric["township_code"].to_numpy() == township)
        groups = _components(members, neighbours)
        shares = share_out([len(g) for g in groups], max(per_township[township], len(groups)), 1)
        found: list[np.ndarray] = []
        for group, k in zip(groups, shares, strict=True):
            zone_of = _grow(group, xy, _seeds(xy[group], min(k, len(group))), neighbours)
            by_zone = defaultdict(list)
            for cell, z in zone_of.items():
                by_zone[z].append(cell)
            found.extend(np.array(sorted(v)) for _, v in sorted(by_zone.items()))
        # number zones north→south, then west→east, by their centre
        centre = np.array([xy[z].mean(axis=0) for z in found])
        order = np.lexsort((centre[:, 0], -centre[:, 1]))
        town = names.loc[township]
        for seq, idx in enumerate(order, start=1):
            code = f"{township}{seq:02d}"
            zone_code[found[idx]] = code
            rows.append(
                {
                    "code": code,
                    "name": f"{town['name']}第{seq}片区",
                    "name_en": f"{town['name_en']} Zone {seq}",
                    "township_code": township,
                    "cell_count": len(found[idx]),
                    "geometry": shapely.coverage_union_all(metric.geometry.to_numpy()[found[idx]]),
                }
            )
    zones = GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=metric.crs)
    zones["area_km2"] = zones.geometry.area / 1e6
    zones = zones[[*ZONE_COLUMNS, "geometry"]].sort_values("code", ignore_index=True)
    out = cells.copy()
    out["zone_code"] = zone_code
    return (zones if zones.crs == cells.crs else zones.to_crs(cells.crs)), out
