"""Demo road network of 同安区: urban streets in the 街道, small street grids in the town seats, and rural
乡道 linking every village, all one connected graph.

- **Urban streets**: a slightly rotated, jittered lattice over the seven 街道 (every fourth line a 主干道,
  every other a 次干道, the rest 支路, a few 支路 blocks left out). Main roads carry real Tong'an road
  names (环城南路, 大同路, 银湖中路 …); the others are named after the community they run through.
- **Town seats**: a small street grid around each town's seat community.
- **乡道**: a minimum spanning tree (plus a few loops) joining every village centre and the street grids,
  each link a gently wandering line.

Roads meet at shared vertices: where two roads cross, the crossing point is inserted into both, so a
routing graph built from the vertices is connected. Each road is cut where it crosses a township border;
every piece carries the house numbers along it (odd on the left, even on the right, one pair per 25 m).

Notes
-----
Built in EPSG:4548 metres; the writer converts to WGS84.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame

from geo.crs import DISTRICT_METRIC_CRS
from geo.partition import displace_line

SPACING_M = 380.0
HOUSE_PAIR_M = 25.0
KIND_RANK = {"主干道": 0, "次干道": 1, "支路": 2, "乡道": 3}

OLD_TOWN_ROADS = {
    # real road names of the old town (大同街道) for the lattice lines through its centre: (axis, line // 2);
    # rows run east–west counted northward from the centre, columns north–south counted eastward
    ("row", 0): "大同路", ("row", -1): "环城南路", ("row", 1): "三秀路", ("row", 2): "凤山路",
    ("col", 0): "南门路", ("col", -1): "环城西路", ("col", 1): "城东路", ("col", 2): "东溪路",
}
TOWNSHIP_ROADS = {
    # more real Tong'an road names, handed out to the main lines of the township they belong to
    "祥平街道": ("祥平路", "银湖中路", "西湖路", "凤岗路"),
    "西柯街道": ("同集路", "滨海西大道", "西柯街", "官浔路"),
    "美林街道": ("美溪道", "美林路", "滨海东大道"),
    "祥和街道": ("祥和路", "阳翟路", "双溪路"),
    "新民街道": ("新民大道", "乌涂路", "柑岭路"),
    "新美街道": ("新美路", "梧侣路", "禾山路"),
    "大同街道": ("朝元路", "碧岳路", "后炉路"),
}
SUFFIXES = {"乡道": ("支线", "连接线"), "主干道": ("大道", "路"), "次干道": ("路", "中路", "东路", "西路", "北路", "南路"), "支路": ("街", "巷", "里", "一路", "二路", "三路")}


@dataclass
class RoadNetwork:
    """Road pieces (one per road and township) and the full centre line of each named road."""

    pieces: GeoDataFrame
    lines: dict[str, shapely.LineString]
    tree: shapely.STRtree | None = None

    def nearest_piece(self, point) -> int:
        """Position in ``pieces`` of the road piece nearest ``point``."""
        if self.tree is None:
            self.tree = shapely.STRtree(self.pieces.geometry.to_numpy())
        return int(self.tree.query_nearest(point)[0])


def _proper(name: str) -> str:
    """A community or town name without its kind, for naming roads after it (同新社区 → 同新)."""
    for suffix in ("社区", "街道", "村", "镇"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class _Namer:
    """Unique road names, built from a place word and a suffix fitting the road's kind."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def take(self, name: str) -> str | None:
        if name in self.used:
            return None
        self.used.add(name)
        return name

    def make(self, place: str, kind: str) -> str:
        options = SUFFIXES.get(kind, ("路",))
        for suffix in self.rng.permutation(options):
            name = self.take(f"{place}{suffix}")
            if name:
                return name
        for n in range(2, 100):
            name = self.take(f"{place}{n}路")
            if name:
                return name
        raise RuntimeError(f"no free road name for {place}")


def _lattice(area, origin, angle, spacing, rng, drop: float) -> list[tuple[str, int, list[np.ndarray]]]:
    """Runs of a jittered rotated lattice inside ``area``: (axis, line index, node coordinates)."""
    u = np.array([np.cos(angle), np.sin(angle)])
    v = np.array([-np.sin(angle), np.cos(angle)])
    corners = np.array(shapely.get_coordinates(shapely.envelope(area)))
    reach = int(np.ceil(np.max(np.hypot(*(corners - origin).T)) / spacing)) + 1
    idx = np.arange(-reach, reach + 1)
    ii, jj = np.meshgrid(idx, idx, indexing="ij")
    jitter = np.clip(rng.normal(size=(*ii.shape, 2)), -2, 2) * 0.1 * spacing
    nodes = origin + (ii[..., None] * u + jj[..., None] * v) * spacing + jitter
    shapely.prepare(area)
    inside = shapely.contains_xy(area, nodes[..., 0], nodes[..., 1])
    runs = []
    for axis in ("row", "col"):
        for line in idx:
            k = line + reach
            pts = nodes[:, k] if axis == "row" else nodes[k, :]
            ok = inside[:, k] if axis == "row" else inside[k, :]
            minor = line % 2 != 0
            edge = ok[:-1] & ok[1:] & shapely.contains(area, shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1)))
            if minor:
                edge &= rng.random(len(edge)) >= drop
            start = None
            for e in range(len(edge) + 1):
                if e < len(edge) and edge[e]:
                    start = e if start is None else start
                elif start is not None:
                    if e - start >= 2:
                        runs.append((axis, int(line), [pts[n] for n in range(start, e + 1)]))
                    start = None
    return runs


def _kind(line: int) -> str:
    """Every fourth lattice line (±2, ±6, … from the centre) a main road, the other even ones secondary."""
    return "主干道" if line % 4 == 2 else ("次干道" if line % 2 == 0 else "支路")


def _community_at(point, communities: GeoDataFrame, tree: shapely.STRtree) -> int:
    hits = tree.query(point, predicate="intersects")
    return int(hits.min()) if len(hits) else int(tree.query_nearest(point)[0])


def _by_township(pts: list[np.ndarray], townships: GeoDataFrame, tree: shapely.STRtree) -> list[tuple[int, list[np.ndarray]]]:
    """A lattice run cut where its nodes pass into another township (roads change names there).

    Consecutive parts share the node where the township changes, so the network stays connected.
    """
    owners = []
    for xy in pts:
        hits = tree.query(shapely.Point(xy), predicate="intersects")
        owners.append(int(hits.min()) if len(hits) else -1)
    parts, start = [], 0
    for k in range(1, len(pts)):
        if owners[k] != owners[start] and owners[k] != -1 and k - start >= 2:
            parts.append((owners[start], pts[start : k + 1]))
            start = k
    if len(pts) - start >= 2:
        parts.append((owners[start], pts[start:]))
    elif parts:
        parts[-1] = (parts[-1][0], parts[-1][1] + pts[start + 1 :])
    return parts


def _urban_roads(townships, communities, tree, rng, namer) -> list[dict]:
    """The street lattice of the 街道, named after the community it runs through or with a real name."""
    urban = shapely.union_all(townships.geometry[townships["kind"] == "街道"].to_numpy()).buffer(-120)
    datong = townships.geometry[townships["name"] == "大同街道"]
    origin = np.array((datong.iloc[0] if len(datong) else urban).centroid.coords[0])
    runs = _lattice(urban, origin, rng.uniform(0.12, 0.25), SPACING_M, rng, drop=0.15)
    township_tree = shapely.STRtree(townships.geometry.to_numpy())
    spare = {name: list(names) for name, names in TOWNSHIP_ROADS.items()}
    roads = []
    for axis, line, pts in sorted(runs, key=lambda r: (r[0], abs(r[1]), r[1], r[2][0][0])):
        kind = _kind(line)
        for owner, part in _by_township(pts, townships, township_tree):
            township = townships.iloc[owner]["name"] if owner >= 0 else ""
            name = None
            if line % 2 == 0 and township == "大同街道" and (axis, line // 2) in OLD_TOWN_ROADS:
                name = namer.take(OLD_TOWN_ROADS[(axis, line // 2)])
            if not name and kind == "主干道" and spare.get(township):
                name = namer.take(spare[township].pop(0))
            if not name:
                middle = shapely.Point(part[len(part) // 2])
                place = _proper(communities.iloc[_community_at(middle, communities, tree)]["name"])
                name = namer.make(place, kind)
            roads.append({"name": name, "kind": kind, "coords": np.array(part)})
    return roads


def _seat_roads(townships, communities, rng, namer) -> list[dict]:
    """A small street grid in each town's seat (its first urban community)."""
    roads = []
    for town in townships[townships["kind"] == "镇"].itertuples():
        seats = communities[(communities["township_code"] == town.code) & (communities["kind"] == "社区")]
        if seats.empty:
            continue
        seat = seats.iloc[0].geometry
        origin = np.array(seat.representative_point().coords[0])
        area = seat.buffer(150).intersection(town.geometry.buffer(-60))
        runs = _lattice(area, origin, rng.uniform(-0.6, 0.6), 260.0, rng, drop=0.0)
        base = _proper(town.name)
        for axis, line, pts in sorted(runs, key=lambda r: (r[0], abs(r[1]), r[1])):
            kind = "次干道" if line == 0 else "支路"
            name = namer.take(f"{base}{'街' if axis == 'row' else '大道'}") if line == 0 else None
            roads.append({"name": name or namer.make(base, kind), "kind": kind, "coords": np.array(pts)})
    return roads


def _rural_roads(communities, lattice_roads, rng, namer) -> list[dict]:
    """乡道: a spanning tree (plus a few loops) over village centres and the street grids."""
    nodes = np.unique(np.vstack([r["coords"] for r in lattice_roads]), axis=0) if lattice_roads else np.empty((0, 2))
    # street grids split into connected clusters: each is one terminal of the tree
    cluster_of = _clusters(lattice_roads, nodes)
    centres = np.array([g.representative_point().coords[0] for g in communities.geometry])
    near = np.min(np.hypot(centres[:, None, 0] - nodes[None, :, 0], centres[:, None, 1] - nodes[None, :, 1]), axis=1) if len(nodes) else np.full(len(centres), np.inf)
    villages = np.flatnonzero(near > 500.0)
    terminals: list[tuple[str, np.ndarray, str]] = [("village", centres[v][None, :], communities.iloc[v]["name"]) for v in villages]
    labels = np.array([cluster_of[tuple(xy)] for xy in nodes], dtype=int)
    for c in np.unique(labels):
        terminals.append(("grid", nodes[labels == c], ""))
    n = len(terminals)
    links = []
    for a in range(n):
        for b in range(a + 1, n):
            d = np.hypot(terminals[a][1][:, None, 0] - terminals[b][1][None, :, 0], terminals[a][1][:, None, 1] - terminals[b][1][None, :, 1])
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            links.append((float(d[i, j]), a, b, terminals[a][1][i], terminals[b][1][j]))
    links.sort(key=lambda x: (x[0], x[1], x[2]))
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    chosen = []
    for link in links:
        ra, rb = root(link[1]), root(link[2])
        if ra != rb:
            parent[ra] = rb
            chosen.append(link)
        elif link[0] < 3000 and rng.random() < 0.12:
            chosen.append(link)
    tree = shapely.STRtree(communities.geometry.to_numpy())
    roads = []
    for _, a, b, pa, pb in chosen:
        names = [terminals[k][2] or communities.iloc[_community_at(shapely.Point(p), communities, tree)]["name"] for k, p in ((a, pa), (b, pb))]
        coords = displace_line(np.array([pa, pb]), rng, 0.06, 80.0, 1500.0)
        a_name, b_name = _proper(names[0]), _proper(names[1])
        name = namer.take(f"{a_name}至{b_name}乡道") or namer.make(f"{a_name}至{b_name}", "乡道")
        roads.append({"name": name, "kind": "乡道", "coords": coords})
    return roads


def _clusters(roads: list[dict], nodes: np.ndarray) -> dict[tuple, int]:
    """Connected groups of street-grid nodes (two nodes are linked when one road has both)."""
    index = {tuple(xy): k for k, xy in enumerate(nodes)}
    parent = list(range(len(nodes)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for road in roads:
        ids = [index[tuple(xy)] for xy in road["coords"]]
        for a, b in zip(ids[:-1], ids[1:], strict=True):
            parent[root(a)] = root(b)
    return {tuple(xy): root(k) for k, xy in enumerate(nodes)}


def _insert_points(coords: np.ndarray, points: list[np.ndarray]) -> np.ndarray:
    """``coords`` with extra vertices at ``points`` (which lie on the line), in order along it."""
    if not points:
        return coords
    line = shapely.LineString(coords)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(seg)])
    extra = np.asarray(points)
    where = shapely.line_locate_point(line, shapely.points(extra))
    keys = np.concatenate([along, where])
    order = np.lexsort((np.r_[np.zeros(len(along)), np.ones(len(where))], keys))
    merged = np.vstack([coords, extra])[order]
    keep = np.r_[True, np.any(np.abs(np.diff(merged, axis=0)) > 0, axis=1)]
    return merged[keep]


def _node(roads: list[dict]) -> None:
    """Insert every crossing between roads into both, so crossings are shared vertices."""
    lines = np.array([shapely.LineString(r["coords"]) for r in roads], dtype=object)
    left, right = shapely.STRtree(lines).query(lines, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left, right, strict=True) if a < b]
    extra: list[list[np.ndarray]] = [[] for _ in roads]
    vertex_sets = [set(map(tuple, r["coords"])) for r in roads]
    for a, b in pairs:
        hit = shapely.intersection(lines[a], lines[b])
        for p in shapely.get_coordinates(shapely.get_parts(hit)[shapely.get_type_id(shapely.get_parts(hit)) == 0]):
            known = [v for v in (_vertex_near(roads[a]["coords"], p), _vertex_near(roads[b]["coords"], p)) if v is not None]
            point = known[0] if known else p
            for k in (a, b):
                if tuple(point) not in vertex_sets[k]:
                    extra[k].append(point)
                    vertex_sets[k].add(tuple(point))
    for road, points in zip(roads, extra, strict=True):
        road["coords"] = _insert_points(road["coords"], points)


def _vertex_near(coords: np.ndarray, p: np.ndarray, tol: float = 1e-6) -> np.ndarray | None:
    d = np.hypot(*(coords - p).T)
    k = int(np.argmin(d))
    return coords[k] if d[k] <= tol else None


def _split_by_township(roads: list[dict], townships: GeoDataFrame) -> list[dict]:
    """Cut each road where it crosses a township border; number the houses along every piece."""
    borders = shapely.union_all(shapely.boundary(townships.geometry.to_numpy()))
    tree = shapely.STRtree(townships.geometry.to_numpy())
    pieces = []
    for road in roads:
        line = shapely.LineString(road["coords"])
        cuts = shapely.get_coordinates(shapely.intersection(line, borders))
        coords = _insert_points(road["coords"], list(cuts))
        cut_set = {tuple(c) for c in cuts}
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
        # cut at border crossings, but never leave a piece shorter than a metre (it would be a gap)
        ends = [k for k in range(1, len(coords) - 1) if tuple(coords[k]) in cut_set]
        bounds = [0]
        for k in ends:
            if along[k] - along[bounds[-1]] >= 1.0 and along[-1] - along[k] >= 1.0:
                bounds.append(k)
        bounds.append(len(coords) - 1)
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            part = coords[start : end + 1]
            mid = shapely.line_interpolate_point(shapely.LineString(part), 0.5, normalized=True)
            hits = tree.query(mid, predicate="intersects")
            owner = int(hits.min()) if len(hits) else int(tree.query_nearest(mid)[0])
            first = 2 * int(along[start] // HOUSE_PAIR_M) + 1
            last = max(first + 1, 2 * int(along[end] // HOUSE_PAIR_M))
            pieces.append({"name": road["name"], "kind": road["kind"], "coords": part,
                           "township_code": townships.iloc[owner]["code"], "number_from": first, "number_to": last})
    return pieces


def _largest_component(pieces: list[dict]) -> list[dict]:
    """Only the pieces of the largest connected part of the network (joined through shared vertices)."""
    index: dict[tuple, int] = {}
    parent: list[int] = []

    def node(xy) -> int:
        key = (float(xy[0]), float(xy[1]))
        if key not in index:
            index[key] = len(parent)
            parent.append(len(parent))
        return index[key]

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for piece in pieces:
        ids = [node(xy) for xy in piece["coords"]]
        for a, b in zip(ids[:-1], ids[1:], strict=True):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[ra] = rb
    roots = [root(node(p["coords"][0])) for p in pieces]
    main = pd.Series(roots).value_counts().index[0] if roots else None
    return [p for p, r in zip(pieces, roots, strict=True) if r == main]


def build_roads(townships: GeoDataFrame, communities: GeoDataFrame, rng: np.random.Generator) -> RoadNetwork:
    """The demo road network (EPSG:4548): pieces with ``id, name, kind, township_code, number_from, number_to``."""
    tree = shapely.STRtree(communities.geometry.to_numpy())
    namer = _Namer(rng)
    urban = _urban_roads(townships, communities, tree, rng, namer)
    seats = _seat_roads(townships, communities, rng, namer)
    rural = _rural_roads(communities, urban + seats, rng, namer)
    roads = urban + seats + rural
    _node(roads)
    pieces = _largest_component(_split_by_township(roads, townships))
    kept = {p["name"] for p in pieces}
    lines = {r["name"]: shapely.LineString(r["coords"]) for r in roads if r["name"] in kept}
    table = GeoDataFrame(
        {
            "id": [f"R{k:04d}" for k in range(1, len(pieces) + 1)],
            "name": [p["name"] for p in pieces],
            "kind": [p["kind"] for p in pieces],
            "township_code": [p["township_code"] for p in pieces],
            "number_from": [p["number_from"] for p in pieces],
            "number_to": [p["number_to"] for p in pieces],
        },
        geometry=[shapely.LineString(p["coords"]) for p in pieces],
        crs=DISTRICT_METRIC_CRS,
    )
    return RoadNetwork(table, lines)


def house_number(network: RoadNetwork, point) -> tuple[str, int, shapely.Point]:
    """The road nearest ``point``, the house number there (odd left, even right), and the point on the road."""
    name = network.pieces["name"].iat[network.nearest_piece(point)]
    line = network.lines[name]
    s = float(shapely.line_locate_point(line, point))
    on = shapely.line_interpolate_point(line, s)
    ahead = shapely.line_interpolate_point(line, min(s + 1.0, line.length))
    back = shapely.line_interpolate_point(line, max(s - 1.0, 0.0))
    dx, dy = ahead.x - back.x, ahead.y - back.y
    left = dx * (point.y - on.y) - dy * (point.x - on.x) > 0
    pair = int(s // HOUSE_PAIR_M)
    return name, 2 * pair + (1 if left else 2), on
