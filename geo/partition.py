"""Split a region into pieces of chosen areas whose shared borders look drawn by hand.

Two steps, each usable alone:

1. :func:`power_partition` — a *power diagram* (a Voronoi diagram whose sites carry weights) clipped to
   the region, with the weights tuned until every piece has about its target area. Straight borders.
2. :func:`noisy_coverage` — every border shared by two pieces is bent by midpoint displacement (a
   fractal line, like a stream or a field edge), the bent lines are noded and polygonised, and each face
   goes to the piece it overlaps most. The borders in ``fixed`` (e.g. the township boundaries when the
   pieces are communities) are never moved, so the pieces still tile the region exactly: no gap, no overlap,
   neighbours share the very same vertices (a valid polygon *coverage*).

:func:`split_coverage` chains both for several adjacent regions at once (the communities of all
townships), :func:`split_region` for one; the demo city and the boundary importer (townships without
communities) use them.

Notes
-----
All coordinates are metres in a projected CRS; results are snapped to a 1 mm grid (``GRID_SIZE``) so that
borders computed from two sides coincide bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

GRID_SIZE = 1e-3
"""Precision grid (metres) every partition is snapped to."""


class PartitionError(ValueError):
    """A region could not be split as asked (e.g. a piece vanished)."""


def sample_points(region: BaseGeometry, n: int, rng: np.random.Generator, candidates: int = 16) -> np.ndarray:
    """``n`` well-spread random points inside ``region`` (Mitchell's best-candidate sampling).

    Each new point is the candidate, among ``candidates`` uniform draws, farthest from the points already
    chosen: random, yet without the clumps of plain uniform sampling.
    """
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    chosen: list[np.ndarray] = []
    pool = np.empty((0, 2))
    while len(chosen) < n:
        if len(pool) < candidates:
            draw = rng.uniform((minx, miny), (maxx, maxy), size=(candidates * 8, 2))
            pool = np.vstack([pool, draw[shapely.contains_xy(region, draw[:, 0], draw[:, 1])]])
            continue
        batch, pool = pool[:candidates], pool[candidates:]
        if chosen:
            done = np.asarray(chosen)
            gap = np.min(np.hypot(batch[:, None, 0] - done[None, :, 0], batch[:, None, 1] - done[None, :, 1]), axis=1)
            chosen.append(batch[int(np.argmax(gap))])
        else:
            chosen.append(batch[0])
    return np.asarray(chosen)


def _clip(poly: np.ndarray, a: np.ndarray, b: float) -> np.ndarray:
    """Clip a convex polygon (vertex array) to the half-plane a·p <= b (Sutherland–Hodgman, one plane)."""
    if len(poly) == 0:
        return poly
    d = poly @ a - b
    inside = d <= 0
    if inside.all():
        return poly
    if not inside.any():
        return poly[:0]
    out = []
    for k in range(len(poly)):
        p, q, dp, dq = poly[k], poly[(k + 1) % len(poly)], d[k], d[(k + 1) % len(poly)]
        if dp <= 0:
            out.append(p)
        if (dp <= 0) != (dq <= 0):
            out.append(p + (dp / (dp - dq)) * (q - p))
    return np.asarray(out)


def _power_cells(box: np.ndarray, sites: np.ndarray, weights: np.ndarray) -> list[Polygon]:
    """Power-diagram cells of ``sites`` inside the convex polygon ``box`` (straight edges, convex cells).

    Cell i is {p : |p - s_i|² - w_i <= |p - s_j|² - w_j for all j}, an intersection of half-planes
    2 p·(s_j - s_i) <= |s_j|² - |s_i|² + w_i - w_j.
    """
    norms = np.einsum("ij,ij->i", sites, sites)
    cells = []
    for i in range(len(sites)):
        poly = box
        for j in np.argsort(np.hypot(*(sites - sites[i]).T)):
            if j == i:
                continue
            poly = _clip(poly, 2.0 * (sites[j] - sites[i]), norms[j] - norms[i] + weights[i] - weights[j])
            if len(poly) == 0:
                break
        cells.append(Polygon(poly) if len(poly) >= 3 else Polygon())
    return cells


def power_partition(
    region: BaseGeometry,
    sites: np.ndarray,
    targets: Sequence[float],
    *,
    iterations: int = 40,
    relax: float = 0.5,
    relax_rounds: int = 3,
    tolerance: float = 0.015,
) -> tuple[list[BaseGeometry], np.ndarray]:
    """Pieces of ``region`` around ``sites`` with areas close to ``targets`` (straight borders).

    Parameters
    ----------
    region : Polygon
        The area to split, in metres.
    sites : (n, 2) array
        Starting sites. After each fit of the weights, ``relax_rounds`` times, the sites move the fraction
        ``relax`` of the way to their piece's centroid (Lloyd relaxation), which evens out the shapes while
        keeping the layout.
    targets : n floats
        Wanted areas; rescaled to sum to the region's area.
    tolerance : float
        Stop once every piece is within this relative error of its target.

    Returns
    -------
    pieces, sites
        One (Multi)Polygon per site (a piece may be in parts where the region is not convex) and the
        final sites.
    """
    sites = np.array(sites, dtype=float)
    target = np.asarray(targets, dtype=float)
    target = target * region.area / target.sum()
    minx, miny, maxx, maxy = region.bounds
    pad = max(maxx - minx, maxy - miny)
    box = np.array([[minx - pad, miny - pad], [maxx + pad, miny - pad], [maxx + pad, maxy + pad], [minx - pad, maxy + pad]])
    weights = np.zeros(len(sites))
    # the fit runs on a simplified outline (a few metres off, far fewer vertices); the answer on the real one
    coarse = shapely.simplify(region, 0.002 * np.sqrt(region.area))
    pieces: np.ndarray = np.array([])
    for round_ in range(relax_rounds + 1):
        step, previous = 0.5, np.inf
        for _ in range(iterations):
            pieces = shapely.intersection(coarse, np.array(_power_cells(box, sites, weights), dtype=object))
            area = shapely.area(pieces)
            if np.all(np.abs(area - target) <= tolerance * target):
                break
            # dA_i/dw_i is about (number of neighbours) / 2, so a step of 1/2 converges; halve it on overshoot
            error = float(np.abs(area - target).sum())
            step = step * 0.5 if error > previous else min(0.6, step * 1.05)
            previous = error
            weights += step * (target - area)
            weights -= weights.mean()
        if round_ < relax_rounds and relax > 0:
            # Lloyd step: sites toward their piece's centroid, for rounder pieces
            has_area = shapely.area(pieces) > 0
            sites[has_area] += relax * (shapely.get_coordinates(shapely.centroid(pieces[has_area])) - sites[has_area])
    pieces = shapely.intersection(region, np.array(_power_cells(box, sites, weights), dtype=object))
    if np.any(shapely.area(pieces) <= 0):
        raise PartitionError(f"power partition left {int(np.sum(shapely.area(pieces) <= 0))} empty piece(s)")
    return list(pieces), sites


def displace_line(
    coords: np.ndarray,
    rng: np.random.Generator,
    roughness: float,
    min_segment: float,
    max_scale: float = np.inf,
) -> np.ndarray:
    """A fractal version of a polyline by midpoint displacement; the end points stay where they are.

    Every segment longer than ``min_segment`` gets a new middle vertex pushed sideways by a normal draw
    times ``roughness`` times the segment's length (clipped at two standard deviations); repeat until all
    segments are short. Displacement proportional to length keeps the line self-similar at every scale;
    segments longer than ``max_scale`` are pushed as if they were ``max_scale`` long, which keeps long
    borders from swinging whole square kilometres from one side to the other.
    """
    pts = np.asarray(coords, dtype=float)
    while True:
        seg = np.diff(pts, axis=0)
        length = np.hypot(seg[:, 0], seg[:, 1])
        split = length > min_segment
        if not split.any():
            return pts
        normal = np.column_stack([-seg[:, 1], seg[:, 0]]) / np.where(length > 0, length, 1.0)[:, None]
        shift = np.clip(rng.normal(size=len(seg)), -2.0, 2.0) * roughness * np.minimum(length, max_scale)
        mids = (pts[:-1] + pts[1:]) / 2 + normal * shift[:, None]
        out = np.empty((len(pts) + int(split.sum()), 2))
        k = 0
        for i in range(len(seg)):
            out[k] = pts[i]
            k += 1
            if split[i]:
                out[k] = mids[i]
                k += 1
        out[k] = pts[-1]
        pts = out


def _absorb_stray_parts(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    """Give every detached part of a piece to the neighbour it shares the longest border with.

    Bent borders can cut a piece in two; the small part then joins its neighbour, so that pieces stay
    single polygons whenever the geometry allows it.
    """
    pieces = list(pieces)
    for _ in range(4):
        changed = False
        tree = shapely.STRtree(pieces)
        for i in range(len(pieces)):
            parts = shapely.get_parts(pieces[i])
            if len(parts) <= 1:
                continue
            keep = int(np.argmax(shapely.area(parts)))
            for k, part in enumerate(parts):
                if k == keep:
                    continue
                near = [j for j in tree.query(part, predicate="intersects") if j != i]
                if not near:
                    continue
                shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(np.array([pieces[j] for j in near]))))
                if shared.max() <= 0:
                    continue
                j = near[int(np.argmax(shared))]
                pieces[j] = shapely.coverage_union_all([pieces[j], part])
                pieces[i] = shapely.coverage_union_all([p for m, p in enumerate(parts) if m != k and p is not None])
                parts[k] = None
                changed = True
        if not changed:
            break
    return pieces


def noisy_coverage(
    pieces: Sequence[BaseGeometry],
    rng: np.random.Generator,
    *,
    fixed: BaseGeometry | None = None,
    roughness: float = 0.16,
    min_segment: float = 40.0,
    max_scale: float = 1500.0,
) -> list[BaseGeometry]:
    """The same partition with every free shared border bent into a fractal line.

    Parameters
    ----------
    pieces : sequence of (Multi)Polygons
        An (approximate) partition of their union, in metres.
    fixed : lines, optional
        Borders that must not move (the union's outline is always fixed).
    roughness, min_segment, max_scale
        See :func:`displace_line`.

    Returns
    -------
    list of (Multi)Polygons, one per input piece, exactly tiling the union of the inputs (up to the 1 mm
    grid), sharing vertices along common borders.
    """
    pieces = np.asarray(pieces, dtype=object)
    region = shapely.union_all(pieces, grid_size=GRID_SIZE)
    keep = [region.boundary] if fixed is None else [region.boundary, fixed]
    keep_lines = shapely.union_all(keep, grid_size=GRID_SIZE)
    arrangement = shapely.line_merge(shapely.union_all(np.concatenate([shapely.boundary(pieces), keep]), grid_size=GRID_SIZE))
    edges = shapely.get_parts(arrangement)
    middle = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    free = shapely.distance(middle, keep_lines) > 10 * GRID_SIZE
    bent = [
        shapely.linestrings(displace_line(shapely.get_coordinates(e), rng, roughness, min_segment, max_scale)) if is_free else e
        for e, is_free in zip(edges, free, strict=True)
    ]
    noded = shapely.union_all(np.array(bent + [keep_lines], dtype=object), grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inside = shapely.contains_properly(shapely.buffer(region, 10 * GRID_SIZE), shapely.point_on_surface(faces))
    faces = faces[inside]
    tree = shapely.STRtree(pieces)
    face_idx, piece_idx = tree.query(faces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(faces[face_idx], pieces[piece_idx]))
    owner = np.full(len(faces), -1)
    best = np.zeros(len(faces))
    for f, p, a in zip(face_idx, piece_idx, overlap, strict=True):
        if a > best[f]:
            owner[f], best[f] = p, a
    for f in np.flatnonzero(owner < 0):
        owner[f] = int(np.argmin(shapely.distance(faces[f], pieces)))
    out = []
    for i in range(len(pieces)):
        mine = faces[owner == i]
        if len(mine) == 0:
            raise PartitionError(f"piece {i} vanished when its borders were bent; lower the roughness")
        out.append(shapely.coverage_union_all(mine))
    return _absorb_stray_parts(out)


def split_coverage(
    regions: Sequence[BaseGeometry],
    weights: Sequence[Sequence[float]],
    rng: np.random.Generator,
    *,
    sites: Sequence[np.ndarray] | None = None,
    relax: float = 0.5,
    roughness: float = 0.16,
    min_segment: float = 40.0,
) -> list[list[BaseGeometry]]:
    """Each of several adjacent ``regions`` cut into pieces (areas in proportion to its ``weights``).

    The outlines of the regions stay fixed and all pieces of all regions form one coverage: where two
    regions meet, the pieces on both sides share the very same vertices. Sites default to well-spread
    random points.

    >>> import numpy as np, shapely
    >>> west, east = shapely.box(0, 0, 3000, 3000), shapely.box(3000, 0, 5000, 3000)
    >>> parts = split_coverage([west, east], [[1, 1, 2], [1, 1]], np.random.default_rng(1))
    >>> [len(p) for p in parts], round(sum(q.area for q in parts[0]) / west.area, 6)
    ([3, 2], 1.0)
    """
    straight, owner = [], []
    for k, (region, w) in enumerate(zip(regions, weights, strict=True)):
        start = sample_points(region, len(w), rng) if sites is None else sites[k]
        pieces, _ = power_partition(region, start, w, relax=relax)
        straight.extend(pieces)
        owner.extend([k] * len(pieces))
    borders = shapely.union_all(shapely.boundary(np.asarray(regions, dtype=object)))
    bent = noisy_coverage(straight, rng, fixed=borders, roughness=roughness, min_segment=min_segment)
    return [[p for p, o in zip(bent, owner, strict=True) if o == k] for k in range(len(regions))]


def split_region(
    region: BaseGeometry,
    weights: Sequence[float],
    rng: np.random.Generator,
    *,
    roughness: float = 0.16,
    min_segment: float = 40.0,
) -> list[BaseGeometry]:
    """``region`` cut into ``len(weights)`` pieces with areas in proportion to ``weights`` and bent borders.

    >>> import numpy as np, shapely
    >>> square = shapely.box(0, 0, 4000, 3000)
    >>> parts = split_region(square, [1, 1, 2], np.random.default_rng(1))
    >>> len(parts), round(sum(p.area for p in parts) / square.area, 6)
    (3, 1.0)
    """
    return split_coverage([region], [weights], rng, roughness=roughness, min_segment=min_segment)[0]


def as_polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """A single Polygon when the geometry has one part, else the MultiPolygon of its polygon parts."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)
