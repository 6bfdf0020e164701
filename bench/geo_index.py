"""Benchmark: the jurisdiction index on the demo city, beside geopandas.sjoin, and its exactness.

    python bench/geo_index.py [--points 1000000] [--check 100000] [--runs 7] [--folder DIR]

Uses data/demo/ when it holds a jurisdiction, else generates the demo city into a temporary folder. Prints
the build time; the throughput of ``JurisdictionIndex.locate`` on ``--points`` random WGS84 points within
and around the district (seeded; the median of ``--runs`` runs, including the outside points' distances);
geopandas.sjoin on the same points and cells (predicates within and intersects, median of fewer runs) and
the ratio; and how many of ``--check`` points (random ones, cell vertices, points on grid lines and corners,
points within 1 cm of a grid line) the index places differently from the polygon-exact reference
`locate_by_polygons`; also the rate on the inside points alone, from GCJ-02, BD-09 and Gauss–Krüger input,
and how many stored cell vertices sjoin(intersects) gives more than one cell. Targets of the issue:
≥ 10,000,000 points/s, ≥ 5 × sjoin, 0 disagreements. The machine is shared and noisy: read medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.coords import convert  # noqa: E402
from geo.jurisdiction_index import (  # noqa: E402
    EDGE_MARGIN_M,
    INSIDE,
    OUTSIDE,
    JurisdictionIndex,
    locate_by_polygons,
)

SEED = 350212
LAYERS = ("cells", "communities", "zones", "townships")
TARGET_POINTS_PER_S = 10_000_000
TARGET_RATIO = 5.0


def demo_folder(folder: Path | None, scratch: Path) -> Path:
    if folder is not None:
        return folder
    default = Path(__file__).resolve().parents[1] / "data" / "demo"
    if all((default / f"{layer}.geojson").is_file() for layer in LAYERS):
        return default
    from data.demo_city import generate

    print(f"generating the demo city into {scratch} ...")
    generate(scratch)
    return scratch


def interleaved_medians(runs_by_name: dict[str, Callable[[], object]], runs: dict[str, int]) -> dict[str, float]:
    """Median seconds of each, timed round-robin so that a burst of load on the machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in runs_by_name}
    for round_ in range(max(runs.values())):
        for name, run in runs_by_name.items():
            if round_ < runs[name]:
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def random_points(bounds: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform over the townships' lon/lat box grown by 10 % on every side: within and around the district."""
    west, south, east, north = bounds
    grow_x, grow_y = (east - west) * 0.1, (north - south) * 0.1
    return rng.uniform(west - grow_x, east + grow_x, n), rng.uniform(south - grow_y, north + grow_y, n)


def edge_points(index: JurisdictionIndex, n: int, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Metric points on the places where answers could go wrong, by kind."""
    size = index.cell_size
    vertices = np.unique(shapely.get_coordinates(index.cell_polygons), axis=0)
    minx, miny, maxx, maxy = shapely.total_bounds(index.cell_polygons)
    cols = rng.integers(int(minx // size), int(maxx // size) + 1, n) * size
    rows = rng.integers(int(miny // size), int(maxy // size) + 1, n) * size
    along_x, along_y = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    near = rng.uniform(-EDGE_MARGIN_M, EDGE_MARGIN_M, n)
    pick = rng.choice(len(vertices), min(n, len(vertices)), replace=False)
    half = n // 2
    return {
        "cell vertices": (vertices[pick, 0], vertices[pick, 1]),
        "on grid lines": (np.concatenate([cols[:half], along_x[half:]]), np.concatenate([along_y[:half], rows[half:]])),
        "grid corners": (cols, rows),
        "within 1 cm of a line": (np.concatenate([cols[:half] + near[:half], along_x[half:]]),
                                  np.concatenate([along_y[:half], rows[half:] + near[half:]])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--check", type=int, default=100_000, help="points checked against the exact reference")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--folder", type=Path, help="a jurisdiction folder (default: data/demo, else generated)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores (os.cpu_count()), {platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, shapely {shapely.__version__}, pyproj {pyproj.__version__}, "
          f"geopandas {gpd.__version__}")

    with tempfile.TemporaryDirectory() as scratch:
        folder = demo_folder(args.folder, Path(scratch))
        frames = {layer: gpd.read_file(folder / f"{layer}.geojson") for layer in LAYERS}
    cells = frames["cells"]
    started = time.perf_counter()
    index = JurisdictionIndex.from_frames(**frames)
    build = time.perf_counter() - started
    fit = index.projection
    print(f"jurisdiction: {folder} — {len(cells):,} cells, {len(frames['communities'])} communities, "
          f"{len(frames['zones'])} zones, {len(frames['townships'])} townships")
    built = index.summary()
    print(f"build: {build:.2f} s; {built['squares'][0]} × {built['squares'][1]} squares, {built['whole_squares']:,} "
          f"wholly in one cell, {built['mixed_squares']:,} mixed; fitted projection degree {fit.degree}, max error "
          f"{fit.max_error_m * 1000:.4f} mm (edge margin {EDGE_MARGIN_M * 1000:.0f} mm)")

    rng = np.random.default_rng(SEED)
    lon, lat = random_points(frames["townships"].total_bounds, args.points, rng)
    found = index.locate(lon, lat)
    inside = int((found.status == INSIDE).sum())
    near = int(((found.status == OUTSIDE) & np.isfinite(found.distance_m)).sum())
    print(f"\n{args.points:,} random points (townships' box + 10 % each side, seed {SEED}): {inside / len(lon):.1%} "
          f"inside, {near / len(lon):.1%} outside within {index.near_m:g} m (distance computed), "
          f"{1 - (inside + near) / len(lon):.1%} farther")

    cells_4326 = cells[["code", "geometry"]].to_crs("EPSG:4326")

    def sjoin(predicate: str) -> Callable[[], object]:
        def run() -> object:
            points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
            return gpd.sjoin(points, cells_4326, how="left", predicate=predicate)
        return run

    sjoin_runs = max(1, min(3, args.runs))
    medians = interleaved_medians(
        {"index": lambda: index.locate(lon, lat), "within": sjoin("within"), "intersects": sjoin("intersects")},
        {"index": args.runs, "within": sjoin_runs, "intersects": sjoin_runs},
    )
    rate = args.points / medians["index"]
    print(f"JurisdictionIndex.locate (wgs84): {medians['index'] * 1000:8.1f} ms  {rate:14,.0f} points/s  "
          f"(median of {args.runs}; target ≥ {TARGET_POINTS_PER_S:,}: {'met' if rate >= TARGET_POINTS_PER_S else 'MISSED'})")
    for predicate in ("within", "intersects"):
        peer = args.points / medians[predicate]
        ratio = rate / peer
        print(f"geopandas.sjoin {predicate:<10}        {medians[predicate] * 1000:8.1f} ms  {peer:14,.0f} points/s  "
              f"(points_from_xy + sjoin, median of {sjoin_runs}); index is {ratio:.1f} × faster "
              f"(target ≥ {TARGET_RATIO:g} ×: {'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    inside_lon, inside_lat = lon[found.status == INSIDE], lat[found.status == INSIDE]
    inside_s = interleaved_medians({"": lambda: index.locate(inside_lon, inside_lat)}, {"": args.runs})[""]
    print(f"  the {len(inside_lon):,} inside points alone: {len(inside_lon) / inside_s:14,.0f} points/s")
    for crs in ("gcj02", "bd09", "cgcs2000-gk"):
        given = convert(lon, lat, "wgs84", crs)
        seconds = interleaved_medians({"": lambda given=given, crs=crs: index.locate(*given, crs=crs)}, {"": 3})[""]
        how = "binned exactly, no projection" if crs == "cgcs2000-gk" else "conversion to WGS84 included"
        print(f"  input {crs:<12} {len(lon) / seconds:14,.0f} points/s (median of 3; {how})")
    xy = shapely.get_coordinates(cells.to_crs("EPSG:4326").geometry.values)
    stored = np.unique(xy, axis=0)[rng.choice(len(np.unique(xy, axis=0)), 10_000, replace=False)]
    vertices = gpd.GeoDataFrame(geometry=gpd.points_from_xy(stored[:, 0], stored[:, 1]), crs="EPSG:4326")
    rows = gpd.sjoin(vertices, cells_4326, how="left", predicate="intersects").index.value_counts()
    answers = index.locate(stored[:, 0], stored[:, 1]).cell
    print(f"  on 10,000 stored cell vertices sjoin intersects gives {int((rows > 1).sum()):,} points 2 or more rows; "
          f"the index gives every point one answer ({int((answers >= 0).sum()):,} in a cell)")

    # exactness: random points and edge cases, through lon/lat and through Gauss–Krüger metres
    print(f"\nagreement with the polygon-exact reference (locate_by_polygons on pyproj coordinates), {args.check:,} points:")
    kinds = edge_points(index, args.check // 8, rng)
    check_lon, check_lat = random_points(frames["townships"].total_bounds, args.check - sum(len(x) for x, _ in kinds.values()), rng)
    x, y = index.metric(check_lon, check_lat)
    kinds = {"random": (x, y), **kinds}
    total = {"wgs84": 0, "cgcs2000-gk": 0}
    for kind, (mx, my) in kinds.items():
        wlon, wlat = index.metric_to_lonlat(mx, my)
        px, py = index.metric(wlon, wlat)  # where pyproj puts those lon/lat: the truth for wgs84 input
        wrong_wgs84 = int((index.locate(wlon, wlat).cell != locate_by_polygons(index.cell_polygons, px, py)).sum())
        wrong_gk = int((index.locate(mx, my, crs="cgcs2000-gk").cell != locate_by_polygons(index.cell_polygons, mx, my)).sum())
        total["wgs84"] += wrong_wgs84
        total["cgcs2000-gk"] += wrong_gk
        print(f"  {kind:<24}{len(mx):>8,} points: {wrong_wgs84} disagreements as wgs84 lon/lat, {wrong_gk} as "
              f"cgcs2000-gk metres")
    checked = sum(len(x) for x, _ in kinds.values())
    print(f"  total {checked:,} points: {total['wgs84']} + {total['cgcs2000-gk']} disagreements (target 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
