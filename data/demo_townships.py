"""Demo boundaries (示意边界) of 同安区: a drawn district split into its 11 townships and 144 communities.

No real boundaries are available offline, so they are drawn: a jittered, fractal district outline around
24.73°N 118.15°E; a weighted Voronoi (power) diagram of one site per township placed roughly where the
real township lies (the four towns large and rural in the north, the seven 街道 small and dense around the
old town and toward the coast in the south); then each township cut the same way into its communities,
villages (村) larger than urban communities (社区). Every shared border is then bent into a fractal line
(:func:`geo.partition.noisy_coverage`), so the map reads as a hand-drawn sketch, not a checkerboard.

Names and codes are real (``data/sources/divisions.csv``); the shapes are not, and every file written from
them says so (``demo_boundaries: true`` in the manifest).

Notes
-----
Built in the district's metric CRS (EPSG:4548). A cell code numbers the cells of a community with three
digits, so no community may need more than 999 cells: the sizes below keep every community far under
that (the largest village is a few km²), and :func:`check_sizes` refuses a layout that would not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame
from shapely import affinity, ops
from shapely.geometry import Polygon

from geo.crs import CELL_SIZE_M, DISTRICT_METRIC_CRS, lonlat_to_metric
from geo.partition import (
    as_polygonal,
    displace_line,
    noisy_coverage,
    power_partition,
    sample_points,
    split_coverage,
)

CENTRE_LONLAT = (118.15, 24.73)
"""Centre of the drawn district (near the old town of 大同街道)."""

SEMI_AXES_M = (8200.0, 10500.0)
"""East–west and north–south half extents of the district outline before its area is set."""

TOWNSHIP_LAYOUT: dict[str, tuple[float, float, float]] = {
    # code: (east, north) as a fraction of the semi-axes from the centre, target area in km²
    "350212105": (-0.55, 0.50, 50.0),  # 莲花镇: north-west, mountains
    "350212109": (0.05, 0.74, 44.0),  # 汀溪镇: north, reservoirs
    "350212110": (0.58, 0.30, 42.0),  # 五显镇: north-east / centre-north, the pilot town
    "350212107": (0.64, -0.40, 38.0),  # 洪塘镇: east / south-east
    "350212002": (-0.36, 0.02, 12.0),  # 祥平街道: west of the old town
    "350212001": (0.02, -0.06, 16.0),  # 大同街道: the old town centre
    "350212006": (0.32, -0.34, 10.0),  # 新美街道: south-east of the centre
    "350212005": (-0.08, -0.34, 9.0),  # 祥和街道: south of the centre
    "350212003": (-0.62, -0.30, 12.0),  # 新民街道: west
    "350212004": (-0.40, -0.72, 14.0),  # 西柯街道: south-west, toward the coast
    "350212007": (0.10, -0.72, 11.0),  # 美林街道: south, toward the coast
}

AREA_LIMITS_KM2 = {"district": (250.0, 350.0), "镇": (30.0, 60.0), "街道": (6.0, 20.0)}
MAX_CELLS_PER_COMMUNITY = 999
VILLAGE_WEIGHT = 2.6
"""A village (村) is drawn about this many times the area of an urban community (社区)."""


class DemoCityError(ValueError):
    """The drawn layout breaks a size rule (district, township or community area)."""


def district_outline(centre: tuple[float, float], area_m2: float, rng: np.random.Generator) -> Polygon:
    """A jittered ellipse with a fractal edge, scaled to ``area_m2``, around ``centre`` (metres)."""
    n = 64
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    a, b = SEMI_AXES_M
    radius = a * b / np.hypot(b * np.cos(theta), a * np.sin(theta))
    for k in range(2, 6):
        radius *= 1 + rng.uniform(0.02, 0.06) * 2 / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    ring = np.column_stack([centre[0] + radius * np.cos(theta), centre[1] + radius * np.sin(theta)])
    ring = np.vstack([ring, ring[:1]])
    bent = np.vstack([displace_line(ring[i : i + 2], rng, 0.12, 60.0)[:-1] for i in range(n)] + [ring[:1]])
    outline = Polygon(bent)
    if not outline.is_valid:
        parts = shapely.get_parts(shapely.make_valid(outline))
        outline = max((p for p in parts if p.geom_type == "Polygon"), key=lambda p: p.area)
    factor = np.sqrt(area_m2 / outline.area)
    return affinity.scale(outline, factor, factor, origin=centre)


def _community_sites(
    township: Polygon, kinds: list[str], core: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One site per community: urban communities nearest the township's core, villages farther out.

    Within each kind, codes go round the core by angle, so neighbouring codes are usually neighbours on
    the map, as in the real lists.
    """
    points = sample_points(township, len(kinds), rng)
    order = np.argsort(np.hypot(*(points - core).T), kind="stable")
    urban = sum(1 for k in kinds if k == "社区")
    groups = [points[order[:urban]], points[order[urban:]]]
    sites = []
    for group in groups:
        angle = np.arctan2(group[:, 1] - core[1], group[:, 0] - core[0])
        sites.append(group[np.argsort(angle, kind="stable")])
    by_kind = {"社区": list(sites[0]), "村": list(sites[1])}
    return np.array([by_kind[k].pop(0) for k in kinds])


def _core(township: Polygon, kind: str, district_centre: np.ndarray) -> np.ndarray:
    """Where a township's urban communities cluster: toward the old town for a 街道, its seat for a 镇."""
    centroid = np.array(township.centroid.coords[0])
    share = 0.55 if kind == "街道" else 0.35
    point = shapely.Point(centroid + share * (district_centre - centroid))
    if not township.contains(point):
        point = ops.nearest_points(township.buffer(-200), point)[0]
    return np.array(point.coords[0])


def check_sizes(townships: GeoDataFrame, communities: GeoDataFrame) -> None:
    """Refuse a layout outside the size rules; the message names the offending division."""
    total = townships.geometry.area.sum() / 1e6
    low, high = AREA_LIMITS_KM2["district"]
    if not low <= total <= high:
        raise DemoCityError(f"district area {total:.1f} km² is outside {low:.0f}–{high:.0f} km²")
    for t in townships.itertuples():
        low, high = AREA_LIMITS_KM2[t.kind]
        area = t.geometry.area / 1e6
        if not low <= area <= high:
            raise DemoCityError(f"township {t.code} {t.name} ({t.kind}) area {area:.1f} km² is outside {low:.0f}–{high:.0f} km²")
    # an upper bound on a community's cells: its whole squares plus one cut square per 100 m of border
    cell = CELL_SIZE_M**2
    for c in communities.itertuples():
        worst = c.geometry.area / cell + c.geometry.length / CELL_SIZE_M
        if worst > MAX_CELLS_PER_COMMUNITY:
            raise DemoCityError(
                f"community {c.code} {c.name} ({c.geometry.area / 1e6:.1f} km²) could need {worst:.0f} cells; "
                f"cell codes allow {MAX_CELLS_PER_COMMUNITY}: shrink the district"
            )


def build_boundaries(divisions: pd.DataFrame, rng: np.random.Generator) -> tuple[GeoDataFrame, GeoDataFrame]:
    """Townships and communities of the demo district, in EPSG:4548.

    Parameters
    ----------
    divisions : DataFrame
        ``data/sources/divisions.csv`` (levels township and community).
    rng : numpy Generator
        The only source of randomness: the same generator state gives the same boundaries.
    """
    towns = divisions[divisions["level"] == "township"].sort_values("code").reset_index(drop=True)
    comms = divisions[divisions["level"] == "community"].sort_values("code").reset_index(drop=True)
    missing = sorted(set(towns["code"]) - set(TOWNSHIP_LAYOUT))
    if missing:
        raise DemoCityError(f"no demo layout for township(s) {missing}")
    cx, cy = (float(v) for v in lonlat_to_metric(*CENTRE_LONLAT))
    centre = np.array([cx, cy])
    layout = np.array([TOWNSHIP_LAYOUT[c] for c in towns["code"]])
    outline = district_outline((cx, cy), layout[:, 2].sum() * 1e6, rng)

    sites = centre + layout[:, :2] * np.array(SEMI_AXES_M)
    straight, _ = power_partition(outline, sites, layout[:, 2], relax=0.15)
    township_shapes = noisy_coverage(straight, rng, roughness=0.14, min_segment=50.0, max_scale=2000.0)

    weights, sites, piece_rows = [], [], []
    for t, shape in zip(towns.itertuples(), township_shapes, strict=True):
        members = comms[comms["parent_code"] == t.code]
        kinds = list(members["kind"])
        core = _core(as_polygonal(shape), t.kind, centre)
        weights.append([
            (VILLAGE_WEIGHT if k == "村" else (1.4 if t.kind == "镇" else 1.0)) * rng.uniform(0.8, 1.25) for k in kinds
        ])
        sites.append(_community_sites(shape, kinds, core, rng))
        piece_rows.extend(members.index)
    community_shapes = [p for pieces in split_coverage(township_shapes, weights, rng, sites=sites) for p in pieces]

    communities = GeoDataFrame(
        {
            "code": comms.loc[piece_rows, "code"].to_numpy(),
            "name": comms.loc[piece_rows, "name"].to_numpy(),
            "official_name": comms.loc[piece_rows, "official_name"].to_numpy(),
            "name_en": comms.loc[piece_rows, "name_en"].to_numpy(),
            "kind": comms.loc[piece_rows, "kind"].to_numpy(),
            "township_code": comms.loc[piece_rows, "parent_code"].to_numpy(),
        },
        geometry=[as_polygonal(s) for s in community_shapes],
        crs=DISTRICT_METRIC_CRS,
    ).sort_values("code", ignore_index=True)
    # a township is the union of its communities, so both layers share every vertex along their borders
    merged = [
        as_polygonal(shapely.coverage_union_all(communities.geometry[communities["township_code"] == code].to_numpy()))
        for code in towns["code"]
    ]
    townships = GeoDataFrame(
        {"code": towns["code"], "name": towns["name"], "name_en": towns["name_en"], "kind": towns["kind"]},
        geometry=merged,
        crs=DISTRICT_METRIC_CRS,
    )
    townships["area_km2"] = townships.geometry.area / 1e6
    communities["area_km2"] = communities.geometry.area / 1e6
    check_sizes(townships, communities)
    return townships, communities
