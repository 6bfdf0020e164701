"""The jurisdiction index: millions of points a second to their cell, community, patrol zone and township.

Every report is placed on the unit grid (单元网格). Cells are 100 m squares of the district's metric grid
(EPSG:4548, ``col = floor(x / 100)``, ``row = floor(y / 100)``) cut along community borders, so the index
leans on that regularity instead of testing polygons: a point is projected, binned into its square by two
floors and looked up in a dense ``int32`` array over the district. Only squares that are *mixed* (cut by a
border, or holding a piece of a cell from the next square) look further, into a 10 × 10 sub-grid, and only
the few points in sub-squares still crossed by a border are tested against the cell pieces with exact
polygon predicates.

>>> index = JurisdictionIndex.from_frames(cells, communities, zones, townships)     # doctest: +SKIP
>>> found = index.locate(lon_array, lat_array)            # wgs84, gcj02, bd09 or cgcs2000-gk  # doctest: +SKIP
>>> found.codes("cell"), found.status, found.distance_m                               # doctest: +SKIP
>>> index.locate_one(118.15, 24.73)["township"]            # {'code': ..., 'name': ..., 'name_en': ...}  # doctest: +SKIP

The rule (one answer per point, also on shared edges)
-----------------------------------------------------
Let S be the square holding the point under half-open binning, ``100·col ≤ x < 100·(col + 1)`` (same for
y), and let a *piece* be the polygonal part of a cell within the closed square S. The point belongs to

1. the cell with the lowest code among those whose piece in S covers the point (boundary included);
2. if none does (the point is on the left or lower edge of S and only cells of the next square reach it,
   e.g. where the district's own border runs along a grid line), the cell with the lowest code among all
   cells whose polygon covers it;
3. else to no cell: it is *outside* the jurisdiction, and for points within ``near_m`` (200 m) of it the
   distance to the nearest township is given, with that township.

So a point on the line between two squares goes to the square to its right (or above), a point on a
community border inside a square to the cell with the lower code, and a point on a corner where four
squares meet to the upper-right one. `locate_by_polygons` writes the rule plainly (and slowly); the tests and
``bench/geo_index.py`` hold the index to it point for point.

Notes
-----
*Geometry model.* The index works on the cells projected to EPSG:4548, with every vertex that lies within
``snap_m`` (1 cm) of a grid line put on it: stored lon/lat vertices are rounded (7 decimals ≈ 1 cm), which
would otherwise leave grid edges a few millimetres off the lines the cells were cut along. A township's
territory is the union of its cells, so "outside" means "in no cell" and the distance is to that union.

*Projection.* pyproj projects a few million points a second, too slow here, so WGS84 → EPSG:4548 runs
through a bivariate cubic fitted over the district (plus ``near_m`` and a margin), whose maximum error is
measured at build time (a few micrometres for Tong'an; the build fails above a tenth of the margin). A
point whose fitted position lies within ``EDGE_MARGIN_M`` (1 cm) of the edge of its square is projected
again with pyproj and located exactly, and a sub-square is labelled with a cell only where the cell holds
the sub-square grown by that margin in its interior, so the fitted path never answers differently from the
exact one (the error is far below the margin). Distances come from the fitted positions (error below the
measured bound).

*Input systems.* ``"wgs84"`` (also ``"cgcs2000"``: the same numbers, see `geo.coords`), ``"gcj02"`` and
``"bd09"`` (through `geo.coords.convert`), ``"cgcs2000-gk"`` (EPSG:4548 easting/northing, binned directly).
Non-finite or out-of-range input gives status ``INVALID``, never an exception.

*Cost.* Building takes a few seconds for the demo city's 28,000 cells (shapely over 600,000 sub-squares) and
a few megabytes; `locate` only reads, and the build warms GEOS's lazily built point locators, so one index
can serve several threads. ``python bench/geo_index.py`` prints the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

from geo.coords import convert
from geo.crs import CELL_SIZE_M, DISTRICT_METRIC_CRS, WGS84
from geo.fitted_projection import FittedProjection

INSIDE: Final = 0
OUTSIDE: Final = 1
INVALID: Final = 2
STATUS_NAMES: Final = ("inside", "outside", "invalid")
INPUT_SYSTEMS: Final = ("wgs84", "cgcs2000", "gcj02", "bd09", "cgcs2000-gk")
"""Coordinate systems `JurisdictionIndex.locate` takes (names as in `geo.coords`)."""
_SYSTEMS = {name: name for name in INPUT_SYSTEMS} | {
    "wgs-84": "wgs84", "gcj-02": "gcj02", "bd-09": "bd09", "epsg:4326": "wgs84", "epsg:4490": "cgcs2000",
    "epsg:4548": "cgcs2000-gk"}

NEAR_M: Final = 200.0
"""Outside points closer than this to a township get the distance (metres) and that township."""
EDGE_MARGIN_M: Final = 0.01
"""Fitted positions this close to a square's edge are projected again exactly."""
SNAP_M: Final = 0.01
"""Cell vertices this close to a grid line are put on it (the stored lon/lat are rounded to ~1 cm)."""
SUBDIVISIONS: Final = 10
"""A mixed square is looked up in a SUBDIVISIONS × SUBDIVISIONS sub-grid (10 m)."""
DISTANCE_SUBDIVISIONS: Final = 5
"""Squares near the border keep candidate border segments per 20 m sub-square."""

# labels of the dense square array (>= 0: a cell's row number); mixed square k is labelled MIXED - k
_FAR, _NEAR, _EXACT, _MIXED = -1, -2, -3, -4
_CHUNK = 16384  # points per pass of the fitted path: its buffers (~0.9 MB) stay in the L2 cache
_ON_EDGE_M = 1e-6  # a point this close to its square's left or lower edge is checked against rule 2
_PAD_M = 300.0  # the fitted box reaches this far beyond near_m, so clamped points land in "far" squares
_INT32 = np.int32


class JurisdictionSource(Protocol):
    """Anything that hands out the four layers as GeoDataFrames, e.g. the store."""

    def cells(self) -> Any: ...
    def communities(self) -> Any: ...
    def zones(self) -> Any: ...
    def townships(self) -> Any: ...


@dataclass(frozen=True)
class Table:
    """Codes and names of one level (cells, communities, zones or townships), in code order."""

    codes: NDArray[np.object_]
    names: NDArray[np.object_]
    names_en: NDArray[np.object_]

    def lookup(self, rows: NDArray[np.int32]) -> NDArray[np.object_]:
        """The codes of ``rows``, None where a row is -1."""
        return np.append(self.codes, None)[rows]

    def record(self, row: int) -> dict[str, str] | None:
        if row < 0:
            return None
        return {"code": self.codes[row], "name": self.names[row], "name_en": self.names_en[row]}


@dataclass(frozen=True, eq=False)
class Locations:
    """Where each of n points lies. Integer arrays hold row numbers into ``tables`` (-1: none).

    Attributes
    ----------
    cell, community, zone, township : int32 arrays
        The point's cell and what the cell belongs to; -1 for points outside or invalid (and zone -1
        for a cell without a patrol zone).
    status : int8 array
        ``INSIDE`` (0), ``OUTSIDE`` (1) or ``INVALID`` (2: not finite, or out of range).
    distance_m : float64 array
        0 inside; for outside points within ``near_m`` the distance in metres to the nearest township;
        NaN otherwise.
    nearest_township : int32 array
        The township of inside points, the nearest one for outside points within ``near_m``, else -1.
    """

    cell: NDArray[np.int32]
    community: NDArray[np.int32]
    zone: NDArray[np.int32]
    township: NDArray[np.int32]
    status: NDArray[np.int8]
    distance_m: NDArray[np.float64]
    nearest_township: NDArray[np.int32]
    tables: dict[str, Table]

    def __len__(self) -> int:
        return len(self.cell)

    def codes(self, level: str) -> NDArray[np.object_]:
        """Codes (str, None where missing) of ``level``: cell, community, zone, township or nearest_township."""
        table = self.tables["township" if level == "nearest_township" else level]
        return table.lookup(getattr(self, level))

    def record(self, i: int) -> dict[str, Any]:
        """Point ``i`` as a JSON-ready dict: status, codes and names of every level, distance."""
        near = self.status[i] == OUTSIDE and not np.isnan(self.distance_m[i])
        return {
            "status": STATUS_NAMES[self.status[i]],
            "cell": self.tables["cell"].codes[self.cell[i]] if self.cell[i] >= 0 else None,
            "community": self.tables["community"].record(int(self.community[i])),
            "zone": self.tables["zone"].record(int(self.zone[i])),
            "township": self.tables["township"].record(int(self.township[i])),
            "distance_m": round(float(self.distance_m[i]), 3) if near else None,
            "nearest_township": self.tables["township"].record(int(self.nearest_township[i])) if near else None,
        }

    def to_frame(self) -> Any:
        """A pandas DataFrame: one row per point, codes as strings, status as its name."""
        import pandas as pd

        columns = {level: self.codes(level) for level in ("cell", "community", "zone", "township")}
        columns["status"] = np.asarray(STATUS_NAMES, dtype=object)[self.status]
        columns["distance_m"] = self.distance_m
        columns["nearest_township"] = self.codes("nearest_township")
        return pd.DataFrame(columns)


# --------------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------------


def _require(frame: Any, what: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the {what} frame lacks column(s) {', '.join(missing)}")


def _text(frame: Any, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return np.array([None if v is None or v != v else str(v) for v in frame[column].tolist()], dtype=object)


def _table(frame: Any, what: str) -> tuple[Table, dict[str, int]]:
    _require(frame, what, ["code"])
    codes = _text(frame, "code")
    if any(c is None or c == "" for c in codes):
        raise ValueError(f"a {what} has no code (row {next(i for i, c in enumerate(codes) if not c)})")
    order = np.argsort(codes.astype(str), kind="stable")
    table = Table(codes[order], _text(frame, "name")[order], _text(frame, "name_en")[order])
    row_of = {code: i for i, code in enumerate(table.codes)}
    if len(row_of) != len(table.codes):
        seen = [c for i, c in enumerate(table.codes) if i and c == table.codes[i - 1]]
        raise ValueError(f"{what} code {seen[0]} appears more than once")
    return table, row_of


def _rows(cells: Any, column: str, row_of: dict[str, int], what: str, required: bool = True) -> np.ndarray:
    """The row number of each cell's ``column`` code in ``row_of`` (-1 for a missing optional code)."""
    out = np.empty(len(cells), dtype=_INT32)
    for i, (cell, code) in enumerate(zip(cells["code"].tolist(), cells[column].tolist(), strict=True)):
        if code is None or code != code:
            if required:
                raise ValueError(f"cell {cell} has no {column}")
            out[i] = -1
        elif (row := row_of.get(str(code))) is None:
            raise ValueError(f"cell {cell} names {what} {code}, which is not in the {what} frame")
        else:
            out[i] = row
    return out


def _metric_cells(cells: Any, metric_crs: str, size: float, snap_m: float) -> np.ndarray:
    """Cell polygons in the metric CRS, vertices within ``snap_m`` of a grid line put on it."""
    if cells.crs is None:
        raise ValueError("the cells frame has no CRS: set one (the jurisdiction files are EPSG:4326)")
    geoms = np.asarray(cells.geometry.values, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad |= ~np.isin(shapely.get_type_id(geoms), (3, 6))
    if bad.any():
        raise ValueError(f"cell {cells['code'].iloc[int(np.argmax(bad))]} has no polygon geometry")
    to_metric = Transformer.from_crs(CRS.from_user_input(cells.crs), CRS.from_user_input(metric_crs),
                                     always_xy=True)

    def project_and_snap(xy: np.ndarray) -> np.ndarray:
        xy = np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))
        on_grid = np.rint(xy / size) * size
        return np.where(np.abs(xy - on_grid) <= snap_m, on_grid, xy)

    metric = shapely.transform(geoms, project_and_snap)
    invalid = ~shapely.is_valid(metric)  # snapping may make a spike touch its own ring: split it there
    metric[invalid] = shapely.make_valid(metric[invalid], method="structure", keep_collapsed=False)
    return metric


def _pieces(polygons: np.ndarray, size: float) -> tuple[np.ndarray, ...]:
    """Every cell cut by the closed grid squares it reaches: (pieces, cell, col, row), polygons only."""
    bounds = shapely.bounds(polygons)
    lo = np.floor(bounds[:, :2] / size).astype(np.int64)
    hi = np.maximum(np.ceil(bounds[:, 2:] / size).astype(np.int64) - 1, lo)
    span = hi - lo + 1
    count = span[:, 0] * span[:, 1]
    cell = np.repeat(np.arange(len(polygons)), count)
    k = np.arange(len(cell)) - np.repeat(np.cumsum(count) - count, count)
    col = lo[cell, 0] + k % span[cell, 0]
    row = lo[cell, 1] + k // span[cell, 0]
    geoms = polygons[cell].copy()
    cut = count[cell] > 1
    geoms[cut] = shapely.intersection(
        polygons[cell[cut]], shapely.box(col[cut] * size, row[cut] * size, (col[cut] + 1) * size, (row[cut] + 1) * size))
    parts, which = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0.0)
    parts, which = parts[keep], which[keep]
    return parts, cell[which], col[which], row[which]


def _boundary_segments(polygons: np.ndarray, township: np.ndarray, n_townships: int) -> tuple[np.ndarray, ...]:
    """The border of each township's territory (union of its cells) as segments (x0, y0, x1, y1) + township."""
    coords, owners = [], []
    for t in range(n_townships):
        members = polygons[township == t]
        try:
            territory = shapely.coverage_union_all(members)  # fast, for edge-matched cells
        except shapely.errors.GEOSException:
            territory = None
        if territory is None or not shapely.is_valid(territory) or \
                abs(shapely.area(territory) - shapely.area(members).sum()) > 1.0:
            territory = shapely.union_all(members)  # not an edge-matched coverage: the robust, slower union
        rings = shapely.get_rings(shapely.get_parts(territory))
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))  # one direction per segment,
        a[swap], b[swap] = b[swap], a[swap].copy()  # so a border shared by two townships ties exactly
        coords.append(np.hstack([a, b]))
        owners.append(np.full(len(a), t, dtype=_INT32))
    return np.vstack(coords) if coords else np.empty((0, 4)), np.concatenate(owners) if owners else np.empty(0, _INT32)


def _csr(groups: np.ndarray, n: int) -> np.ndarray:
    """Start offsets (n + 1) of sorted ``groups`` ids 0..n-1."""
    return np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=n))]).astype(np.int64)


def _sub_boxes(squares_x: np.ndarray, squares_y: np.ndarray, size: float, parts: int, grow: float,
               keep_within: float | None = None) -> np.ndarray:
    """parts × parts sub-squares (row-major, south to north) of each square, grown by ``grow``; with
    ``keep_within``, clipped to the square shrunk by that much."""
    step = size / parts
    i = np.tile(np.arange(parts), parts)
    j = np.repeat(np.arange(parts), parts)
    x0 = squares_x[:, None] + i * step - grow
    y0 = squares_y[:, None] + j * step - grow
    x1, y1 = x0 + step + 2 * grow, y0 + step + 2 * grow
    if keep_within is not None:
        low_x, low_y = squares_x[:, None] + keep_within, squares_y[:, None] + keep_within
        x0, y0 = np.maximum(x0, low_x), np.maximum(y0, low_y)
        x1, y1 = np.minimum(x1, low_x + size - 2 * keep_within), np.minimum(y1, low_y + size - 2 * keep_within)
    return shapely.box(x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel())


def _outline(west: float, south: float, east: float, north: float, k: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """k points along each side of a rectangle."""
    t = np.linspace(0.0, 1.0, k, endpoint=False)
    x = np.concatenate([west + t * (east - west), np.full(k, east), east - t * (east - west), np.full(k, west)])
    y = np.concatenate([np.full(k, south), south + t * (north - south), np.full(k, north), north - t * (north - south)])
    return x, y


def _first_per_group(group: np.ndarray, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For pairs sorted by group: (groups with a hit, position of their first hit)."""
    positions = np.flatnonzero(hit)
    if len(positions) == 0:
        return positions, positions
    first = np.concatenate([[True], group[positions[1:]] != group[positions[:-1]]])
    return group[positions[first]], positions[first]


class JurisdictionIndex:
    """Point → cell, community, zone, township (or outside, with the distance to the nearest township).

    Build it once with `from_frames` or `from_store`; `locate` answers arrays, `locate_one` one point.
    Attributes worth knowing: ``tables`` (codes and names per level), ``cell_polygons`` (the metric
    cells the rule is defined on), ``projection`` (the fitted projection and its measured error).

    Parameters
    ----------
    cells, communities, zones, townships : GeoDataFrame
        The jurisdiction's layers with the columns of the jurisdiction folder (cells: ``code``,
        ``community_code``, ``zone_code`` (may be empty), ``township_code``; the others ``code``, ``name``,
        ``name_en``). Cells in any CRS; the other three are only read for codes and names.
    near_m : float
        Outside points within this distance of a township get the distance and the township (200 m).
    cell_size, metric_crs : float, str
        The unit grid: squares of ``cell_size`` metres in ``metric_crs`` (100 m in EPSG:4548).
    snap_m : float
        Cell vertices this close to a grid line are put on it (see the module Notes).

    Raises
    ------
    ValueError
        Naming the record: a missing column or code, a duplicated code, a cell naming a community, zone
        or township that is not in its frame, a cell without polygon geometry, cells without a CRS.
    """

    def __init__(self, cells: Any, communities: Any, zones: Any, townships: Any, *, near_m: float = NEAR_M,
                 cell_size: float = CELL_SIZE_M, metric_crs: str = DISTRICT_METRIC_CRS, snap_m: float = SNAP_M) -> None:
        _require(cells, "cells", ["code", "community_code", "zone_code", "township_code", "geometry"])
        if len(cells) == 0:
            raise ValueError("the cells frame is empty: there is no jurisdiction to index")
        if not near_m >= 0.0:
            raise ValueError(f"near_m must be a distance ≥ 0 in metres, not {near_m!r}")
        self.near_m, self.cell_size, self.metric_crs = float(near_m), float(cell_size), metric_crs
        size = self.cell_size
        cell_table, cell_row = _table(cells, "cell")
        cells = cells.iloc[np.argsort([cell_row[c] for c in _text(cells, "code")])]  # frame rows in code order
        self.tables: dict[str, Table] = {"cell": cell_table}
        up = {}
        for level, frame, column in (("community", communities, "community_code"), ("zone", zones, "zone_code"),
                                     ("township", townships, "township_code")):
            self.tables[level], row_of = _table(frame, level)
            up[level] = _rows(cells, column, row_of, level, required=level != "zone")
        # per cell row, with -1 appended so that row -1 ("no cell") maps to -1
        self._up = {level: np.append(rows, -1).astype(_INT32) for level, rows in up.items()}

        self.cell_polygons = _metric_cells(cells, metric_crs, size, snap_m)
        shapely.prepare(self.cell_polygons)
        self._cell_tree = shapely.STRtree(self.cell_polygons)
        self._forward = Transformer.from_crs(CRS.from_user_input(WGS84), CRS.from_user_input(metric_crs), always_xy=True)
        self._build_grid(size)
        self._build_squares(size)
        self._build_distances(size, up["township"])
        # GEOS builds a prepared polygon's point locator on first use: do it now, so threads may share the index
        for polygons in (self.cell_polygons, self._pieces):
            inner = shapely.get_coordinates(shapely.point_on_surface(polygons))
            shapely.intersects_xy(polygons, inner[:, 0], inner[:, 1])

    @classmethod
    def from_frames(cls, cells: Any, communities: Any, zones: Any, townships: Any, **options: Any) -> JurisdictionIndex:
        """Build from the four GeoDataFrames (any CRS; the store's are EPSG:4326). See the class options."""
        return cls(cells, communities, zones, townships, **options)

    @classmethod
    def from_store(cls, source: JurisdictionSource, **options: Any) -> JurisdictionIndex:
        """Build from anything with ``cells()``, ``communities()``, ``zones()`` and ``townships()`` (the store)."""
        return cls(source.cells(), source.communities(), source.zones(), source.townships(), **options)

    # ---- build steps ---------------------------------------------------------------------------------

    def _build_grid(self, size: float) -> None:
        """The lon/lat box of the fitted projection and the square grid over its image."""
        minx, miny, maxx, maxy = shapely.total_bounds(self.cell_polygons)
        reach = self.near_m + _PAD_M
        lon, lat = self._forward.transform(*_outline(minx - reach, miny - reach, maxx + reach, maxy + reach),
                                           direction="INVERSE")
        pad = 1e-6
        box = (float(lon.min()) - pad, float(lat.min()) - pad, float(lon.max()) + pad, float(lat.max()) + pad)
        bx, by = self._forward.transform(*_outline(*box))  # the squares must hold the box's image: clamped points
        self.col0, self.row0 = int(np.floor(bx.min() / size)) - 1, int(np.floor(by.min() / size)) - 1
        self.ncols = int(np.floor(bx.max() / size)) + 2 - self.col0
        self.nrows = int(np.floor(by.max() / size)) + 2 - self.row0
        self.projection = FittedProjection.fit(self._forward, box, (self.col0, self.row0), size, EDGE_MARGIN_M / 10)

    def _build_squares(self, size: float) -> None:
        """Label every square: a cell, outside (far / near), or mixed with a labelled sub-grid."""
        pieces, piece_cell, col, row = _pieces(self.cell_polygons, size)
        square = (row - self.row0) * self.ncols + (col - self.col0)
        order = np.lexsort((piece_cell, square))  # per square, pieces in cell code order (the tie rule)
        self._pieces, self._piece_cell = pieces[order], piece_cell[order].astype(_INT32)
        square = square[order]
        shapely.prepare(self._pieces)
        n_squares = self.nrows * self.ncols
        self._piece_start = _csr(square, n_squares)
        count = np.diff(self._piece_start)
        labels = np.full(n_squares, _FAR, dtype=_INT32)
        one = np.flatnonzero(count == 1)
        first = self._piece_start[one]
        box = self._square_boxes(one, size)
        whole = (shapely.area(self._pieces[first]) >= size * size * (1 - 1e-12)) & shapely.covers(self._pieces[first], box)
        labels[one[whole]] = self._piece_cell[first[whole]]
        mixed = np.setdiff1d(np.flatnonzero(count > 0), one[whole])
        labels[mixed] = _MIXED - np.arange(len(mixed))
        self._labels = labels
        self._mixed = mixed
        self._sub_labels = self._label_sub_squares(mixed, size)

    def _square_boxes(self, squares: np.ndarray, size: float) -> np.ndarray:
        x0, y0 = self._square_origin(squares, size)
        return shapely.box(x0, y0, x0 + size, y0 + size)

    def _square_origin(self, squares: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
        return (squares % self.ncols + self.col0) * size, (squares // self.ncols + self.row0) * size

    def _label_sub_squares(self, mixed: np.ndarray, size: float) -> np.ndarray:
        """Sub-square labels: the cell whose piece holds the sub-square, grown by the edge margin, in its
        interior, else EXACT where a piece reaches into it, else NEAR (outside).

        The grown sub-squares stop half a margin inside their square: points closer to its edges than the
        margin never use these labels (the fitted path sends them to `_resolve`, which tests them).
        """
        f2 = SUBDIVISIONS * SUBDIVISIONS
        x0, y0 = self._square_origin(mixed, size)
        boxes = _sub_boxes(x0, y0, size, SUBDIVISIONS, EDGE_MARGIN_M, keep_within=EDGE_MARGIN_M / 2)
        start, count = self._piece_start[mixed], np.diff(self._piece_start)[mixed]
        per_box = np.repeat(count, f2)
        box_of_pair = np.repeat(np.arange(len(boxes)), per_box)
        offset = np.arange(len(box_of_pair)) - np.repeat(np.cumsum(per_box) - per_box, per_box)
        piece = np.repeat(np.repeat(start, f2), per_box) + offset
        reach = shapely.intersects(self._pieces[piece], boxes[box_of_pair])
        covered = np.zeros(len(piece), dtype=bool)
        covered[reach] = shapely.contains_properly(self._pieces[piece[reach]], boxes[box_of_pair[reach]])
        sub = np.full(len(boxes), _NEAR, dtype=_INT32)
        sub[box_of_pair[reach]] = _EXACT
        owner, position = _first_per_group(box_of_pair, covered)
        sub[owner] = self._piece_cell[piece[position]]
        return sub

    def _build_distances(self, size: float, cells_township: np.ndarray) -> None:
        """Square labels NEAR / FAR for empty squares, and per 20 m sub-square of every square within
        near_m of the border, the border segments that can be nearest to a point in it."""
        n_townships = len(self.tables["township"].codes)
        segments, self._segment_township = _boundary_segments(self.cell_polygons, cells_township, n_townships)
        # segment start (relative to the grid origin), direction and 1 / length², as contiguous 1-D arrays
        self._seg_ax = segments[:, 0] - self.col0 * size
        self._seg_ay = segments[:, 1] - self.row0 * size
        self._seg_dx, self._seg_dy = segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]
        length2 = self._seg_dx**2 + self._seg_dy**2
        self._seg_inv = np.divide(1.0, length2, out=np.zeros_like(length2), where=length2 > 0)
        tree = shapely.STRtree(shapely.linestrings(segments.reshape(-1, 2, 2)))
        not_whole = np.flatnonzero(self._labels < 0)
        near, _ = tree.query(self._square_boxes(not_whole, size), predicate="dwithin", distance=self.near_m)
        near = not_whole[np.unique(near)]
        self._labels[near[self._labels[near] == _FAR]] = _NEAR
        self._distance_block = np.full(self.nrows * self.ncols, -1, dtype=_INT32)
        self._distance_block[near] = np.arange(len(near))
        fd = DISTANCE_SUBDIVISIONS
        x0, y0 = self._square_origin(near, size)
        boxes = _sub_boxes(x0, y0, size, fd, EDGE_MARGIN_M)
        centres = shapely.centroid(boxes)
        # any point of a sub-square is at most (centre's distance + half its diagonal) from the border
        _, to_border = tree.query_nearest(centres, return_distance=True, all_matches=False)
        half_diagonal = (size / fd / 2 + EDGE_MARGIN_M) * np.sqrt(2.0)
        reach = np.minimum(to_border + half_diagonal, self.near_m) + 1e-6
        box, segment = tree.query(boxes, predicate="dwithin", distance=reach)
        order = np.lexsort((segment, self._segment_township[segment], box))  # ties: lower township code
        self._candidates = segment[order].astype(_INT32)
        self._candidate_start = _csr(box[order], len(boxes))

    # ---- locating ------------------------------------------------------------------------------------

    def locate(self, lon: ArrayLike, lat: ArrayLike, crs: str = "wgs84") -> Locations:
        """Locate points given as two arrays (flattened) in ``crs``.

        Parameters
        ----------
        lon, lat : array_like
            Longitude and latitude in degrees; for ``crs="cgcs2000-gk"`` the easting x and northing y in
            metres of EPSG:4548.
        crs : str
            ``"wgs84"`` (default), ``"cgcs2000"``, ``"gcj02"``, ``"bd09"`` or ``"cgcs2000-gk"``.

        Returns
        -------
        Locations
            One entry per point; NaN, infinite or out-of-range input has status INVALID.

        Raises
        ------
        ValueError
            An unknown ``crs`` or arrays of different sizes.
        """
        system = _SYSTEMS.get(str(crs).strip().lower())
        if system is None:
            raise ValueError(f"unknown coordinate system {crs!r}: expected one of {', '.join(INPUT_SYSTEMS)}")
        first = np.ascontiguousarray(lon, dtype=np.float64).ravel()
        second = np.ascontiguousarray(lat, dtype=np.float64).ravel()
        if first.shape != second.shape:
            raise ValueError(f"lon and lat have different sizes ({first.size} and {second.size})")
        if system == "cgcs2000-gk":
            if CRS.from_user_input(DISTRICT_METRIC_CRS) == CRS.from_user_input(self.metric_crs):
                return self._locate_metric_points(first, second)
            ok = np.isfinite(first) & np.isfinite(second)
        elif system in ("gcj02", "bd09"):
            ok = np.isfinite(first) & np.isfinite(second) & (np.abs(first) <= 180.0) & (np.abs(second) <= 90.0)
        else:
            return self._locate_lonlat(first, second)
        lon_, lat_ = np.full_like(first, np.nan), np.full_like(second, np.nan)  # invalid stays NaN → INVALID
        if ok.any():
            lon_[ok], lat_[ok] = convert(first[ok], second[ok], system, "wgs84")
        return self._locate_lonlat(lon_, lat_)

    def locate_one(self, lon: float, lat: float, crs: str = "wgs84") -> dict[str, Any]:
        """One point as a JSON-ready dict (see `Locations.record`)."""
        return self.locate([lon], [lat], crs).record(0)

    def _locate_lonlat(self, lon: np.ndarray, lat: np.ndarray) -> Locations:
        """WGS84 points: the fitted projection, then pyproj and the exact path for the few near an edge."""
        fit = self.projection
        lon0, lat0 = fit.centre
        hu, hv = (fit.box[2] - fit.box[0]) / 2.0, (fit.box[3] - fit.box[1]) / 2.0

        def to_grid(lon_, lat_, gx, gy, u, v, tmp) -> None:
            # clamp into the fitted box (NaN too: fmin/fmax drop it); clamped points land in "far" squares
            np.subtract(lon_, lon0, out=u)
            np.fmax(np.fmin(u, hu, out=u), -hu, out=u)
            np.subtract(lat_, lat0, out=v)
            np.fmax(np.fmin(v, hv, out=v), -hv, out=v)
            fit.evaluate(u, v, 0, gx, tmp)
            fit.evaluate(u, v, 1, gy, tmp)

        labels = self._bin(lon, lat, to_grid)
        special = np.flatnonzero(labels < 0)
        exact = special[labels[special] == _EXACT]
        if len(exact):
            x, y = self._forward.transform(lon[exact], lat[exact])
            labels[exact] = self._resolve(np.asarray(x, float), np.asarray(y, float))
        near = special[labels[special] == _NEAR]
        far = special[labels[special] == _FAR]
        gx, gy = fit.project(lon[near], lat[near])
        invalid = far[~(np.isfinite(lon[far]) & np.isfinite(lat[far]) & (np.abs(lon[far]) <= 180.0)
                        & (np.abs(lat[far]) <= 90.0))]
        return self._answer(labels, near, gx * self.cell_size, gy * self.cell_size, invalid)

    def _locate_metric_points(self, x: np.ndarray, y: np.ndarray) -> Locations:
        """EPSG:4548 points: the same binning without a projection."""
        scale, size = 1.0 / self.cell_size, self.cell_size
        top_x, top_y = self.ncols - 0.5, self.nrows - 0.5

        def to_grid(x_, y_, gx, gy, u, v, tmp) -> None:
            # clamp into the grid (NaN too): the outermost squares are all "far"
            np.multiply(x_, scale, out=gx)
            np.subtract(gx, self.col0, out=gx)
            np.fmax(np.fmin(gx, top_x, out=gx), 0.5, out=gx)
            np.multiply(y_, scale, out=gy)
            np.subtract(gy, self.row0, out=gy)
            np.fmax(np.fmin(gy, top_y, out=gy), 0.5, out=gy)

        labels = self._bin(x, y, to_grid)
        special = np.flatnonzero(labels < 0)
        exact = special[labels[special] == _EXACT]
        if len(exact):
            labels[exact] = self._resolve(x[exact], y[exact])
        near = special[labels[special] == _NEAR]
        far = special[labels[special] == _FAR]
        invalid = far[~(np.isfinite(x[far]) & np.isfinite(y[far]))]
        return self._answer(labels, near, x[near] - self.col0 * size, y[near] - self.row0 * size, invalid)

    def _bin(self, first: np.ndarray, second: np.ndarray, to_grid: Callable[..., None]) -> np.ndarray:
        """Labels of points, a chunk at a time: ``to_grid`` puts them in grid units (x / size − col0,
        y / size − row0, clamped into the grid), two floors and a table look-up do the rest. A point in a
        mixed square gets its sub-square's label, a point within the edge margin of its square EXACT."""
        n = len(first)
        labels = np.empty(n, dtype=_INT32)
        margin = EDGE_MARGIN_M / self.cell_size
        chunk = max(1, min(n, _CHUNK))
        buffers = [np.empty(chunk) for _ in range(5)]
        index, edge = np.empty(chunk, dtype=np.intp), np.empty(chunk, dtype=bool)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            gx, gy, u, v, tmp = (b[: stop - start] for b in buffers)
            index_, edge_ = index[: stop - start], edge[: stop - start]
            to_grid(first[start:stop], second[start:stop], gx, gy, u, v, tmp)
            np.floor(gx, out=u)
            np.subtract(gx, u, out=gx)  # fraction of the square, x
            np.floor(gy, out=v)
            np.subtract(gy, v, out=gy)  # fraction of the square, y
            np.multiply(v, self.ncols, out=v)
            np.add(v, u, out=v)
            np.copyto(index_, v, casting="unsafe")
            out = labels[start:stop]
            np.take(self._labels, index_, out=out, mode="clip")
            mixed = np.flatnonzero(out <= _MIXED)
            if len(mixed):
                out[mixed] = self._sub_label(out[mixed], gx[mixed], gy[mixed])
            # within the margin of a square's edge: the exact path decides
            np.subtract(gx, 0.5, out=gx)
            np.abs(gx, out=gx)
            np.subtract(gy, 0.5, out=gy)
            np.abs(gy, out=gy)
            np.maximum(gx, gy, out=gx)
            np.greater(gx, 0.5 - margin, out=edge_)
            np.copyto(out, _EXACT, where=edge_)
        return labels

    def _sub_label(self, labels: np.ndarray, fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
        """Labels of mixed squares' sub-squares, from the point's fraction (0 ≤ f < 1) of its square."""
        f = SUBDIVISIONS
        sx = np.minimum((fx * f).astype(np.intp), f - 1)
        sy = np.minimum((fy * f).astype(np.intp), f - 1)
        return self._sub_labels[(_MIXED - labels.astype(np.intp)) * (f * f) + sy * f + sx]

    def _resolve(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Exact labels (a cell, NEAR or FAR) of metric points: the rule, with the grid's help."""
        size = self.cell_size
        labels = np.full(len(x), _FAR, dtype=_INT32)
        with np.errstate(invalid="ignore"):
            cx, cy = np.floor(x / size), np.floor(y / size)
            cx += ((cx + 1) * size <= x).astype(float) - (cx * size > x)  # x / size may round up or down
            cy += ((cy + 1) * size <= y).astype(float) - (cy * size > y)
            col, row = cx - self.col0, cy - self.row0
            inside = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        at = np.flatnonzero(inside)
        square = (row[at] * self.ncols + col[at]).astype(np.intp)
        into_x, into_y = x[at] - cx[at] * size, y[at] - cy[at] * size  # exact, in [0, size)
        found = self._labels[square]
        mixed = found <= _MIXED
        found[mixed] = self._sub_label(found[mixed], into_x[mixed] / size, into_y[mixed] / size)
        # sub-square labels hold from a margin off the square's edges (whole and empty squares' labels hold
        # up to them); on its left or lower edge a point may belong to the next square's cell (rule 2)
        margin = EDGE_MARGIN_M
        test = (found == _EXACT) | (into_x == 0.0) | (into_y == 0.0)
        test |= mixed & ((np.minimum(into_x, into_y) < margin) | (np.maximum(into_x, into_y) > size - margin))
        if test.any():
            at_edge = (into_x[test] < _ON_EDGE_M) | (into_y[test] < _ON_EDGE_M)
            found[test] = self._test_pieces(x[at[test]], y[at[test]], square[test], at_edge)
        labels[at] = found
        return labels

    def _test_pieces(self, x: np.ndarray, y: np.ndarray, square: np.ndarray, at_edge: np.ndarray) -> np.ndarray:
        """Rules 1–3 with exact polygon predicates: cell row, or NEAR for a point in no cell.

        Rule 2 can only apply on the left or lower edge of the square (``at_edge``): a cell that covers a
        point inside the square has a piece there that covers it.
        """
        start, count = self._piece_start[square], np.diff(self._piece_start)[square]
        point = np.repeat(np.arange(len(x)), count)
        piece = np.repeat(start - (np.cumsum(count) - count), count) + np.arange(len(point))
        hit = shapely.intersects_xy(self._pieces[piece], x[point], y[point])
        answer = np.full(len(x), _NEAR, dtype=_INT32)
        owner, position = _first_per_group(point, hit)
        answer[owner] = self._piece_cell[piece[position]]
        rest = np.flatnonzero((answer == _NEAR) & at_edge)
        if len(rest):  # rule 2: any cell covering the point, lowest code (cells are in code order)
            which, cell = self._cell_tree.query(shapely.points(x[rest], y[rest]), predicate="intersects")
            if len(which):
                best = np.full(len(rest), np.iinfo(_INT32).max, dtype=np.int64)
                np.minimum.at(best, which, cell)
                covered = best < np.iinfo(_INT32).max
                answer[rest[covered]] = best[covered]
        return answer

    def _distances(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest township and its row, for outside points given relative to the grid
        origin; NaN and -1 beyond near_m."""
        size, fd = self.cell_size, DISTANCE_SUBDIVISIONS
        distance = np.full(len(x), np.nan)
        township = np.full(len(x), -1, dtype=_INT32)
        cx, cy = np.floor(x / size), np.floor(y / size)
        ok = (cx >= 0) & (cx < self.ncols) & (cy >= 0) & (cy < self.nrows)
        at = np.flatnonzero(ok)
        block = self._distance_block[(cy[at] * self.ncols + cx[at]).astype(np.intp)]
        at, block = at[block >= 0], block[block >= 0].astype(np.intp)
        sx = np.clip(((x[at] / size - cx[at]) * fd).astype(np.intp), 0, fd - 1)
        sy = np.clip(((y[at] / size - cy[at]) * fd).astype(np.intp), 0, fd - 1)
        box = block * (fd * fd) + sy * fd + sx
        start = self._candidate_start[box]
        count = self._candidate_start[box + 1] - start
        first = np.cumsum(count) - count
        point = np.repeat(at, count)
        segment = np.take(self._candidates, np.repeat(start - first, count) + np.arange(len(point)))
        px = x[point] - np.take(self._seg_ax, segment)
        py = y[point] - np.take(self._seg_ay, segment)
        dx, dy = np.take(self._seg_dx, segment), np.take(self._seg_dy, segment)
        t = np.clip((px * dx + py * dy) * np.take(self._seg_inv, segment), 0.0, 1.0)
        px -= t * dx
        py -= t * dy
        d2 = px * px + py * py  # squared distance to each candidate segment
        has = count > 0
        if has.any():
            least = np.minimum.reduceat(d2, first[has])
            owner, position = _first_per_group(point, d2 == np.repeat(least, count[has]))
            within = least <= self.near_m**2
            distance[owner[within]] = np.sqrt(least[within])
            township[owner[within]] = self._segment_township[segment[position[within]]]
        return distance, township

    def _answer(self, labels: np.ndarray, near: np.ndarray, near_x: np.ndarray, near_y: np.ndarray,
                invalid: np.ndarray) -> Locations:
        """Turn the labels into the result: cell rows, what they belong to, status and distances."""
        cell = np.maximum(labels, -1, out=labels)
        township = np.take(self._up["township"], cell)
        status = (cell < 0).view(np.int8)
        status[invalid] = INVALID
        distance = np.where(cell >= 0, 0.0, np.nan)
        nearest = township.copy()
        if len(near):
            distance[near], nearest[near] = self._distances(near_x, near_y)
        return Locations(cell, np.take(self._up["community"], cell), np.take(self._up["zone"], cell), township,
                         status, distance, nearest, self.tables)

    def metric(self, lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Exact (pyproj) metric coordinates of WGS84 points, the ones `locate` answers for."""
        x, y = self._forward.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    def metric_to_lonlat(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 longitude/latitude of metric points (pyproj)."""
        lon, lat = self._forward.transform(np.asarray(x, float), np.asarray(y, float), direction="INVERSE")
        return np.asarray(lon), np.asarray(lat)

    def summary(self) -> dict[str, Any]:
        """What was built: grid size, mixed squares, points that need exact tests, the fitted projection."""
        return {"cells": len(self.tables["cell"].codes), "squares": (self.ncols, self.nrows),
                "whole_squares": int((self._labels >= 0).sum()), "mixed_squares": len(self._mixed),
                "exact_sub_squares": int((self._sub_labels == _EXACT).sum()),
                "fit_degree": self.projection.degree, "fit_max_error_m": self.projection.max_error_m}


def locate_by_polygons(polygons: np.ndarray, x: ArrayLike, y: ArrayLike, cell_size: float = CELL_SIZE_M) -> np.ndarray:
    """The rule, written plainly: for metric points, the row of their cell in ``polygons`` (in code order), -1
    outside. Slow (an STRtree query and one polygon intersection per candidate): the reference the index is
    checked against, sharing none of its lookup tables.
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    answer = np.full(len(x), -1, dtype=np.int64)
    points = shapely.points(x, y)
    point, cell = shapely.STRtree(polygons).query(points, predicate="intersects")  # cells covering the point
    if len(point) == 0:
        return answer
    col, row = np.floor(x / cell_size), np.floor(y / cell_size)
    col += ((col + 1) * cell_size <= x).astype(float) - (col * cell_size > x)  # the half-open square, exactly
    row += ((row + 1) * cell_size <= y).astype(float) - (row * cell_size > y)
    c, r = col[point], row[point]
    square = shapely.box(c * cell_size, r * cell_size, (c + 1) * cell_size, (r + 1) * cell_size)
    parts, pair = shapely.get_parts(shapely.intersection(polygons[cell], square), return_index=True)
    polygonal = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, pair = parts[polygonal], pair[polygonal]
    in_square = np.zeros(len(point), dtype=bool)
    in_square[pair[shapely.intersects(parts, points[point[pair]])]] = True
    big = np.iinfo(np.int64).max
    best_in_square, best_any = np.full(len(x), big), np.full(len(x), big)
    np.minimum.at(best_in_square, point[in_square], cell[in_square])  # rule 1
    np.minimum.at(best_any, point, cell)  # rule 2
    answer = np.where(best_in_square < big, best_in_square, np.where(best_any < big, best_any, -1))
    return answer
