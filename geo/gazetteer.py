"""The gazetteer the address geocoder matches against: townships, communities, roads and places.

Built once from the frames of a jurisdiction folder (or of the store), it holds plain records with their
positions in both lon/lat and the district's metric CRS, and what the geocoder derives from geometry:

- each road name's pieces grouped by township, with the community most of that part runs through and how
  much of it does (a road-only address is only as good as that share),
- the buildings of each compound (``金山小区3号楼`` → compound 金山小区, building 3),
- the named crossings of each pair of roads and, from them, which roads meet which,
- a point → community lookup over the community polygons.

>>> from pathlib import Path                                     # doctest: +SKIP
>>> gazetteer = read_gazetteer(Path("data/demo"))                # doctest: +SKIP
>>> gazetteer.roads["凤山路"].parts.keys()                        # doctest: +SKIP

Notes
-----
Input frames are EPSG:4326 (``places`` may be a plain table with ``lon``/``lat``); lengths, house-number
interpolation and offsets use EPSG:4548 metres (:mod:`geo.crs`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import DISTRICT_METRIC_CRS, WGS84, lonlat_to_metric, metric_to_lonlat, to_metric

SAMPLE_STEP_M = 25.0
"""Spacing of the points along a road used to find the communities it runs through (one house pair)."""

_BUILDING_NAME = re.compile(r"^(.+?)(\d+)号楼$")


@dataclass(frozen=True, slots=True)
class Township:
    code: str
    name: str
    kind: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Community:
    code: str
    name: str
    official_name: str
    kind: str
    township_code: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer point: intersection, poi, landmark, compound or building."""

    id: str
    name: str
    kind: str
    category: str
    address: str
    township_code: str
    community_code: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class RoadPiece:
    """One piece of a road (roads are cut at township borders), with its house numbers and metric line."""

    id: str
    name: str
    township_code: str
    number_from: int | None
    number_to: int | None
    line: shapely.LineString

    def has_number(self, number: int) -> bool:
        return self.number_from is not None and self.number_to is not None and \
            self.number_from <= number <= self.number_to


@dataclass(frozen=True, slots=True)
class RoadPart:
    """The pieces of one road in one township, summarised: the point a road-only address gets."""

    township_code: str
    pieces: tuple[RoadPiece, ...]
    length_m: float
    community_code: str | None
    community_share: float
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Road:
    name: str
    kind: str
    parts: dict[str, RoadPart]

    @property
    def pieces(self) -> tuple[RoadPiece, ...]:
        return tuple(p for part in self.parts.values() for p in part.pieces)


@dataclass
class Gazetteer:
    """Everything the geocoder knows, keyed for lookup (see the module docstring)."""

    townships: dict[str, Township]
    communities: dict[str, Community]
    roads: dict[str, Road]
    places: dict[str, Place]
    buildings: dict[str, dict[int, str]] = field(default_factory=dict)
    crossings: dict[frozenset[str], tuple[str, ...]] = field(default_factory=dict)
    partners: dict[str, frozenset[str]] = field(default_factory=dict)
    community_geoms: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    community_codes: tuple[str, ...] = ()
    _cells: _CommunityCells | None = None

    @property
    def cells(self) -> _CommunityCells:
        if self._cells is None:
            self._cells = _CommunityCells(self.community_geoms)
        return self._cells

    def community_at(self, x: float, y: float) -> str | None:
        """Code of the community whose polygon holds the metric point (the first on a shared edge), or None."""
        k = self.cells.containing(x, y)
        return None if k is None else self.community_codes[k]

    def communities_at(self, x: np.ndarray, y: np.ndarray) -> list[str | None]:
        """:meth:`community_at` for arrays of metric points."""
        return [self.community_at(float(a), float(b)) for a, b in zip(x, y, strict=True)]

    def neighbours_within(self, x: float, y: float, metres: float, own: str | None) -> list[str]:
        """Codes of the communities other than ``own`` within ``metres`` of the metric point."""
        return sorted(self.community_codes[k] for k in self.cells.within(x, y, metres)
                      if self.community_codes[k] != own)

    def community_distance(self, code: str, x: float, y: float) -> float:
        """Metres from the metric point to the polygon of community ``code`` (0 inside; inf if unknown)."""
        try:
            k = self.community_codes.index(code)
        except ValueError:
            return float("inf")
        return float(shapely.distance(self.community_geoms[k], shapely.Point(x, y)))

    def road_in_community(self, part: RoadPart, code: str, margin: float) -> tuple[RoadPiece, float, float] | None:
        """The middle of the longest stretch of ``part`` inside community ``code`` (grown by ``margin``
        metres: roads often run along community borders), with its piece; None when the road misses it."""
        try:
            polygon = self.community_geoms[self.community_codes.index(code)]
        except ValueError:
            return None
        area = polygon.buffer(margin)
        best = None
        for piece in part.pieces:
            for stretch in shapely.get_parts(shapely.intersection(piece.line, area)):
                if stretch.geom_type == "LineString" and (best is None or stretch.length > best[1].length):
                    best = (piece, stretch)
        if best is None or best[1].length < margin:
            return None
        middle = best[1].interpolate(0.5, normalized=True)
        return best[0], float(middle.x), float(middle.y)

    def township_of(self, community_code: str | None) -> str | None:
        community = self.communities.get(community_code or "")
        return community.township_code if community else None


class _CommunityCells:
    """Point → community in a dictionary lookup for most points.

    The plane is cut into ``size`` metre squares; each square remembers (computed on first use) the
    polygons that come within ``margin`` of it, and the one polygon that covers it with that margin, if any.
    A point in a covered square needs no geometry at all; elsewhere only the few nearby polygons are tested.
    """

    def __init__(self, geoms: np.ndarray, size: float = 100.0, margin: float = 20.0) -> None:
        self.geoms = geoms
        self.size, self.margin = size, margin
        self.tree = shapely.STRtree(geoms) if len(geoms) else None
        for g in geoms:
            shapely.prepare(g)
        self._cells: dict[tuple[int, int], tuple[tuple[int, ...], int | None]] = {}

    def _cell(self, x: float, y: float) -> tuple[tuple[int, ...], int | None]:
        key = (int(x // self.size), int(y // self.size))
        cell = self._cells.get(key)
        if cell is None:
            box = shapely.box(key[0] * self.size, key[1] * self.size, (key[0] + 1) * self.size,
                              (key[1] + 1) * self.size).buffer(self.margin, join_style="mitre")
            near = tuple(sorted(int(k) for k in self.tree.query(box))) if self.tree is not None else ()
            covering = [k for k in near if self.geoms[k].contains(box)]
            cell = self._cells[key] = (near, covering[0] if len(covering) == 1 else None)
        return cell

    def containing(self, x: float, y: float) -> int | None:
        near, covering = self._cell(x, y)
        if covering is not None:
            return covering
        for k in near:
            if shapely.intersects_xy(self.geoms[k], x, y):
                return k
        return None

    def within(self, x: float, y: float, metres: float) -> list[int]:
        near, covering = self._cell(x, y)
        if covering is not None and metres <= self.margin:
            return [covering]
        if metres > self.margin:
            near = tuple(int(k) for k in self.tree.query(shapely.Point(x, y).buffer(metres)))
        point = shapely.Point(x, y)
        return [k for k in near if shapely.distance(self.geoms[k], point) <= metres]


def read_gazetteer(folder: Path) -> Gazetteer:
    """The gazetteer of a jurisdiction folder (townships, communities, and roads/places when present)."""
    folder = Path(folder)
    for required in ("townships.geojson", "communities.geojson"):
        if not (folder / required).is_file():
            raise ValueError(f"{folder}: no {required} — not a jurisdiction folder (python -m data generate)")
    townships = gpd.read_file(folder / "townships.geojson")
    communities = gpd.read_file(folder / "communities.geojson")
    roads = gpd.read_file(folder / "roads.geojson") if (folder / "roads.geojson").is_file() else None
    places = pd.read_csv(folder / "places.csv", dtype=str, keep_default_na=False) \
        if (folder / "places.csv").is_file() else None
    return build_gazetteer(townships, communities, roads, places)


def build_gazetteer(
    townships: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    places: pd.DataFrame | None = None,
) -> Gazetteer:
    """The gazetteer from frames with the columns of a jurisdiction folder (see the shared contract).

    Raises
    ------
    ValueError
        A frame lacks a column, a record lacks its position or names an unknown township/community; the
        message names the record.
    """
    _require(townships, "townships", ("code", "name", "kind"))
    _require(communities, "communities", ("code", "name", "township_code"))
    town_m = to_metric(townships)
    comm_m = to_metric(communities)
    town_points = town_m.geometry.representative_point()
    comm_points = comm_m.geometry.representative_point()
    gaz = Gazetteer(
        townships={
            str(r.code): Township(str(r.code), str(r.name), str(r.kind), float(p.x), float(p.y))
            for r, p in zip(town_m.itertuples(), town_points, strict=True)
        },
        communities={},
        roads={},
        places={},
        community_geoms=comm_m.geometry.to_numpy(),
        community_codes=tuple(str(c) for c in comm_m["code"]),
    )
    has_kind, has_official = "kind" in comm_m.columns, "official_name" in comm_m.columns
    for r, p in zip(comm_m.itertuples(), comm_points, strict=True):
        if str(r.township_code) not in gaz.townships:
            raise ValueError(f"community {r.code} ({r.name}): unknown township_code {r.township_code}")
        gaz.communities[str(r.code)] = Community(
            str(r.code), str(r.name), str(r.official_name) if has_official else str(r.name),
            str(r.kind) if has_kind else ("村" if str(r.name).endswith("村") else "社区"),
            str(r.township_code), float(p.x), float(p.y),
        )
    if roads is not None and len(roads):
        gaz.roads = _roads(roads, gaz)
    if places is not None and len(places):
        gaz.places = _places(places, gaz)
        gaz.buildings = _buildings(gaz.places)
        gaz.crossings, gaz.partners = _crossings(gaz.places, gaz.roads)
    return gaz


def _require(frame: pd.DataFrame, what: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")


def _number(value, what: str) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: house number {value!r} is not an integer") from exc


def _roads(roads: gpd.GeoDataFrame, gaz: Gazetteer) -> dict[str, Road]:
    """Road pieces grouped by name and township, each part summarised by the communities it runs through."""
    _require(roads, "roads", ("id", "name", "township_code"))
    metric = to_metric(roads)
    has_numbers = {"number_from", "number_to"} <= set(metric.columns)
    pieces: dict[str, dict[str, list[RoadPiece]]] = {}
    kinds: dict[str, str] = {}
    for r in metric.itertuples():
        if r.geometry is None or r.geometry.is_empty:
            raise ValueError(f"road {r.id} ({r.name}): no geometry")
        lines = shapely.get_parts(r.geometry)
        line = lines[0] if len(lines) == 1 else shapely.line_merge(r.geometry)
        if line.geom_type != "LineString":  # a MultiLineString that does not merge: keep its longest part
            line = max(shapely.get_parts(line), key=lambda g: g.length)
        piece = RoadPiece(
            str(r.id), str(r.name), str(r.township_code),
            _number(r.number_from, f"road {r.id}") if has_numbers else None,
            _number(r.number_to, f"road {r.id}") if has_numbers else None,
            line,
        )
        pieces.setdefault(piece.name, {}).setdefault(piece.township_code, []).append(piece)
        kinds.setdefault(piece.name, str(getattr(r, "kind", "")))
    out = {}
    for name, by_town in pieces.items():
        parts = {town: _road_part(town, tuple(ps), gaz) for town, ps in by_town.items()}
        out[name] = Road(name, kinds[name], parts)
    return out


def _road_part(township_code: str, pieces: tuple[RoadPiece, ...], gaz: Gazetteer) -> RoadPart:
    """The part's majority community (by length) and a point on the road inside it, near the part's middle."""
    xs, ys = [], []
    for piece in pieces:
        n = max(2, int(piece.line.length // SAMPLE_STEP_M) + 1)
        pts = shapely.line_interpolate_point(piece.line, np.linspace(0.0, 1.0, n), normalized=True)
        coords = shapely.get_coordinates(pts)
        xs.append(coords[:, 0])
        ys.append(coords[:, 1])
    x, y = np.concatenate(xs), np.concatenate(ys)
    codes = gaz.communities_at(x, y)
    counted = Counter(c for c in codes if c is not None)
    length = float(sum(p.line.length for p in pieces))
    if not counted:
        mid = len(x) // 2
        return RoadPart(township_code, pieces, length, None, 0.0, float(x[mid]), float(y[mid]))
    community, hits = counted.most_common(1)[0]
    inside = [k for k, c in enumerate(codes) if c == community]
    centre = len(codes) / 2
    k = min(inside, key=lambda i: (abs(i - centre), i))
    return RoadPart(township_code, pieces, length, community, hits / len(codes), float(x[k]), float(y[k]))


def _places(places: pd.DataFrame, gaz: Gazetteer) -> dict[str, Place]:
    _require(places, "places", ("id", "name", "kind", "township_code", "community_code"))
    if isinstance(places, gpd.GeoDataFrame) and places.geometry is not None:
        frame = places.to_crs(WGS84) if places.crs is not None else places
        lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    else:
        _require(places, "places", ("lon", "lat"))
        lon = pd.to_numeric(places["lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(places["lat"], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~(np.isfinite(lon) & np.isfinite(lat)))
    if len(bad):
        row = places.iloc[int(bad[0])]
        raise ValueError(f"place {row['id']} ({row['name']}): lon/lat missing or not a number")
    x, y = lonlat_to_metric(lon, lat)
    out = {}
    for k, r in enumerate(places.itertuples(index=False)):
        community = str(r.community_code or "")
        if community and community not in gaz.communities:
            raise ValueError(f"place {r.id} ({r.name}): unknown community_code {community}")
        out[str(r.id)] = Place(
            str(r.id), str(r.name), str(r.kind), str(getattr(r, "category", "") or ""),
            str(getattr(r, "address", "") or ""), str(r.township_code or ""), community,
            float(x[k]), float(y[k]),
        )
    return out


def _buildings(places: dict[str, Place]) -> dict[str, dict[int, str]]:
    """Compound id → {building number: building place id}, from building names ``<compound>N号楼``."""
    compound_ids = {p.name: p.id for p in places.values() if p.kind == "compound"}
    out: dict[str, dict[int, str]] = {}
    for place in places.values():
        m = _BUILDING_NAME.match(place.name) if place.kind == "building" else None
        if m and m.group(1) in compound_ids:
            out.setdefault(compound_ids[m.group(1)], {})[int(m.group(2))] = place.id
    return out


def _crossings(places: dict[str, Place], roads: dict[str, Road]):
    """Named intersections (``A与B交叉口``) by their pair of roads, and the roads each road meets."""
    crossings: dict[frozenset[str], list[str]] = {}
    partners: dict[str, set[str]] = {}
    for place in places.values():
        if place.kind != "intersection":
            continue
        stem = place.name.removesuffix("交叉口")
        if stem.count("与") != 1:
            continue
        a, b = stem.split("与")
        if a in roads and b in roads:
            crossings.setdefault(frozenset((a, b)), []).append(place.id)
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
    return ({k: tuple(v) for k, v in crossings.items()}, {k: frozenset(v) for k, v in partners.items()})


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """A metric point as (lon, lat), rounded to 1e-7° (about 1 cm)."""
    lon, lat = metric_to_lonlat(x, y)
    return round(float(lon), 7), round(float(lat), 7)


__all__ = [
    "DISTRICT_METRIC_CRS", "Community", "Gazetteer", "Place", "Road", "RoadPart", "RoadPiece", "Township",
    "build_gazetteer", "read_gazetteer", "to_lonlat",
]
