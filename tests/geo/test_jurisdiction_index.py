"""The jurisdiction index: point → cell, community, zone, township; one exact answer per point, edges included."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.__main__ import main as geo_cli
from geo.coords import convert
from geo.crs import WGS84
from geo.jurisdiction_index import (
    EDGE_MARGIN_M,
    INSIDE,
    INVALID,
    OUTSIDE,
    JurisdictionIndex,
    locate_by_polygons,
)

LAYERS = ("cells", "communities", "zones", "townships")


@pytest.fixture(scope="module")
def frames(demo_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    return {layer: gpd.read_file(demo_dir / f"{layer}.geojson") for layer in LAYERS}


@pytest.fixture(scope="module")
def index(frames) -> JurisdictionIndex:
    return JurisdictionIndex.from_frames(**frames)


@pytest.fixture(scope="module")
def one_township(frames) -> dict[str, gpd.GeoDataFrame]:
    """The layers of a single township: small enough to build in well under a second."""
    code = sorted(frames["townships"]["code"])[0]
    return {"cells": frames["cells"][frames["cells"]["township_code"] == code],
            "communities": frames["communities"][frames["communities"]["township_code"] == code],
            "zones": frames["zones"][frames["zones"]["township_code"] == code],
            "townships": frames["townships"][frames["townships"]["code"] == code]}


def inner_points(polygons: np.ndarray) -> np.ndarray:
    """The centroid of each polygon, or a point on its surface where the centroid falls outside it."""
    points = shapely.centroid(polygons)
    outside = ~shapely.contains(polygons, points)
    points[outside] = shapely.point_on_surface(polygons[outside])
    return shapely.get_coordinates(points)


def reference(index: JurisdictionIndex, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The rule on pyproj's projection of WGS84 points: what `locate` must answer."""
    return locate_by_polygons(index.cell_polygons, *index.metric(lon, lat))


def test_every_cell_centroid_finds_its_cell_and_what_it_belongs_to(index, frames) -> None:
    cells = frames["cells"].sort_values("code", ignore_index=True)
    xy = inner_points(index.cell_polygons)
    lon, lat = index.metric_to_lonlat(xy[:, 0], xy[:, 1])
    for found in (index.locate(lon, lat), index.locate(xy[:, 0], xy[:, 1], crs="cgcs2000-gk")):
        assert (found.status == INSIDE).all()
        assert (found.codes("cell") == cells["code"].to_numpy()).all()
        assert (found.codes("community") == cells["community_code"].to_numpy()).all()
        assert (found.codes("zone") == cells["zone_code"].to_numpy()).all()
        assert (found.codes("township") == cells["township_code"].to_numpy()).all()
        assert (found.distance_m == 0).all()


def test_fitted_projection_error_is_far_below_the_edge_margin(index) -> None:
    fit = index.projection
    west, south, east, north = fit.box
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(west, east, 200_000), rng.uniform(south, north, 200_000)
    gx, gy = fit.project(lon, lat)
    x, y = index.metric(lon, lat)
    size = index.cell_size
    error = max(np.abs((gx + index.col0) * size - x).max(), np.abs((gy + index.row0) * size - y).max())
    assert error <= EDGE_MARGIN_M / 10  # what the build requires
    assert error <= 2 * fit.max_error_m + 1e-8  # the build's own measurement holds on other points
    assert fit.max_error_m < 1e-4  # ≪ 1 mm for a district


def edge_cases(index: JurisdictionIndex, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Metric points on cell vertices, on grid lines, on grid corners and within 1 cm of a grid line."""
    size = index.cell_size
    vertices = np.unique(shapely.get_coordinates(index.cell_polygons), axis=0)
    vertices = vertices[rng.choice(len(vertices), n, replace=False)]
    minx, miny, maxx, maxy = shapely.total_bounds(index.cell_polygons)
    cols = rng.integers(int(minx // size), int(maxx // size) + 1, n) * size
    rows = rng.integers(int(miny // size), int(maxy // size) + 1, n) * size
    along_x, along_y = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    nudge = rng.uniform(-EDGE_MARGIN_M, EDGE_MARGIN_M, n)
    x = np.concatenate([vertices[:, 0], cols, along_x, cols, cols + nudge, along_x])
    y = np.concatenate([vertices[:, 1], along_y, rows, rows, along_y, rows + nudge])
    return x, y


def test_agrees_with_the_polygon_reference_on_random_and_edge_points(index, frames) -> None:
    rng = np.random.default_rng(7)
    west, south, east, north = frames["townships"].total_bounds
    lon = rng.uniform(west - 0.01, east + 0.01, 20_000)
    lat = rng.uniform(south - 0.01, north + 0.01, 20_000)
    x, y = edge_cases(index, 3_000, rng)
    edge_lon, edge_lat = index.metric_to_lonlat(x, y)
    lon, lat = np.concatenate([lon, edge_lon]), np.concatenate([lat, edge_lat])
    found = index.locate(lon, lat)
    assert (found.cell == reference(index, lon, lat)).all()
    assert (found.status == INSIDE).sum() > 10_000  # the sample does reach into the district
    # the same edge points given exactly in Gauss–Krüger metres
    assert (index.locate(x, y, crs="cgcs2000-gk").cell == locate_by_polygons(index.cell_polygons, x, y)).all()


def test_cut_squares_match_the_reference(index, frames) -> None:
    """Squares holding several cells (community borders, merged slivers) are resolved exactly."""
    cells = frames["cells"]
    shared = cells.groupby(["col", "row"]).size()
    squares = shared[shared > 1].index.to_frame().to_numpy()
    assert len(squares) > 100
    rng = np.random.default_rng(3)
    pick = squares[rng.integers(0, len(squares), 20_000)]
    x = (pick[:, 0] + rng.uniform(0, 1, len(pick))) * index.cell_size
    y = (pick[:, 1] + rng.uniform(0, 1, len(pick))) * index.cell_size
    lon, lat = index.metric_to_lonlat(x, y)
    found = index.locate(lon, lat)
    assert (found.cell == reference(index, lon, lat)).all()
    assert len(np.unique(found.cell)) > 1000


def test_shared_edges_and_corners_follow_the_half_open_rule(index, frames) -> None:
    """Between two whole squares a point goes right or up; at a corner to the upper-right square."""
    cells = frames["cells"]
    single = cells.groupby(["col", "row"])["code"].transform("size") == 1
    whole = cells[single & (np.abs(cells["area_m2"] - 10_000) < 0.01)]
    code_at = {(c, r): code for c, r, code in zip(whole["col"], whole["row"], whole["code"], strict=True)}
    blocks = [(c, r) for c, r in code_at if {(c - 1, r), (c, r - 1), (c - 1, r - 1)} <= code_at.keys()][:200]
    assert len(blocks) == 200
    size = index.cell_size
    c, r = np.array(blocks, dtype=float).T
    x = np.concatenate([c * size, c * size + 37.5, c * size, c * size - 12.5])
    y = np.concatenate([r * size + 62.5, r * size, r * size, r * size])
    expected = [code_at[b] for b in blocks] * 3 + [code_at[(int(b[0]) - 1, int(b[1]))] for b in blocks]
    first = index.locate(x, y, crs="cgcs2000-gk")
    assert list(first.codes("cell")) == expected
    again = index.locate(x[::-1], y[::-1], crs="cgcs2000-gk")  # the same answer whatever else is asked along
    assert list(again.codes("cell")) == expected[::-1]


def test_points_on_community_borders_go_to_the_lowest_code(index) -> None:
    """A vertex inside a square shared by several cells belongs to the one with the lowest code."""
    xy = np.unique(shapely.get_coordinates(index.cell_polygons), axis=0)
    inside_square = (np.mod(xy, index.cell_size) != 0).all(axis=1)
    xy = xy[inside_square]
    point, cell = shapely.STRtree(index.cell_polygons).query(shapely.points(xy), predicate="intersects")
    covering = np.bincount(point, minlength=len(xy))
    lowest = np.full(len(xy), np.iinfo(np.int64).max)
    np.minimum.at(lowest, point, cell)  # cells are in code order
    shared = covering >= 2
    assert shared.sum() > 1000
    found = index.locate(xy[shared, 0], xy[shared, 1], crs="cgcs2000-gk")
    assert (found.cell == lowest[shared]).all()


def test_far_outside_points(index) -> None:
    found = index.locate([118.6, 0.0, 179.9, 118.15], [24.73, 0.0, -89.9, 25.5])
    assert (found.status == OUTSIDE).all()
    assert (found.cell == -1).all() and (found.township == -1).all() and (found.nearest_township == -1).all()
    assert np.isnan(found.distance_m).all()
    one = index.locate_one(118.6, 24.73)
    assert one["status"] == "outside" and one["cell"] is None and one["distance_m"] is None


def test_outside_points_near_the_border_get_the_distance_to_the_nearest_township(index) -> None:
    townships = index._up["township"][:-1]
    territory = [shapely.union_all(index.cell_polygons[townships == t]) for t in range(len(index.tables["township"].codes))]
    district = shapely.union_all(territory)
    ring = shapely.difference(shapely.buffer(district, 260.0), district)
    rng = np.random.default_rng(5)
    minx, miny, maxx, maxy = ring.bounds
    x, y = rng.uniform(minx, maxx, 120_000), rng.uniform(miny, maxy, 120_000)
    keep = shapely.contains_xy(ring, x, y)
    x, y = x[keep][:6_000], y[keep][:6_000]
    lon, lat = index.metric_to_lonlat(x, y)
    found = index.locate(lon, lat)
    assert (found.status == OUTSIDE).all()
    distances = np.stack([shapely.distance(t, shapely.points(x, y)) for t in territory], axis=1)
    nearest = distances.min(axis=1)
    near = nearest <= index.near_m
    assert 0.5 < near.mean() < 0.95
    assert np.isnan(found.distance_m[~near]).all() and (found.nearest_township[~near] == -1).all()
    assert np.abs(found.distance_m[near] - nearest[near]).max() < 1e-3
    assert (found.nearest_township[near] == distances[near].argmin(axis=1)).all()
    record = found.record(int(np.flatnonzero(near)[0]))
    assert record["status"] == "outside" and record["township"] is None
    assert record["nearest_township"]["code"] in set(index.tables["township"].codes)
    assert 0 < record["distance_m"] <= 200


def test_near_distance_is_configurable_and_any_source_with_four_layers_will_do(one_township) -> None:
    source = SimpleNamespace(**{layer: (lambda frame=frame: frame) for layer, frame in one_township.items()})
    small = JurisdictionIndex.from_store(source, near_m=50.0)
    territory = shapely.union_all(small.cell_polygons)
    start = np.array(shapely.get_coordinates(shapely.boundary(territory))[::25])
    angles = np.random.default_rng(2).uniform(0, 2 * np.pi, len(start))
    x, y = start[:, 0] + 120 * np.cos(angles), start[:, 1] + 120 * np.sin(angles)
    points = shapely.points(x, y)
    x, y = x[~shapely.intersects(territory, points)], y[~shapely.intersects(territory, points)]
    found = small.locate(x, y, crs="cgcs2000-gk")
    distance = shapely.distance(territory, shapely.points(x, y))
    near = distance <= 50.0
    assert near.any() and (~near).any()
    assert np.abs(found.distance_m[near] - distance[near]).max() < 1e-6
    assert np.isnan(found.distance_m[~near]).all()


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09", "cgcs2000-gk"])
def test_input_systems(index, frames, crs: str) -> None:
    rng = np.random.default_rng(11)
    west, south, east, north = frames["townships"].total_bounds
    lon, lat = rng.uniform(west, east, 10_000), rng.uniform(south, north, 10_000)
    given = convert(lon, lat, "wgs84", crs)
    found = index.locate(*given, crs=crs)
    if crs == "cgcs2000-gk":
        expected = locate_by_polygons(index.cell_polygons, *given)
    else:  # the WGS84 point the converted coordinates stand for, as the index's conversion recovers it
        expected = reference(index, *convert(*given, crs, "wgs84"))
    assert (found.cell == expected).all()
    assert (found.status == INSIDE).mean() > 0.5
    single = index.locate_one(float(given[0][0]), float(given[1][0]), crs=crs)
    assert single["cell"] == found.codes("cell")[0]


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09", "cgcs2000-gk"])
def test_empty_and_invalid_input_give_clear_results(index, crs: str) -> None:
    empty = index.locate(np.array([]), np.array([]), crs=crs)
    assert len(empty) == 0 and len(empty.to_frame()) == 0
    good = (118.15, 24.73) if crs != "cgcs2000-gk" else (616_350.0, 2_736_635.0)
    lon = [np.nan, good[0], np.inf, -np.inf, 200.0 if crs != "cgcs2000-gk" else np.nan, good[0]]
    lat = [good[1], np.nan, good[1], good[1], 24.7, good[1]]
    found = index.locate(lon, lat, crs=crs)
    assert list(found.status) == [INVALID] * 5 + [INSIDE]
    assert (found.cell[:5] == -1).all() and np.isnan(found.distance_m[:5]).all()
    assert index.locate_one(float("nan"), float("nan"), crs=crs)["status"] == "invalid"


def test_bad_arguments_raise_clear_errors(index) -> None:
    with pytest.raises(ValueError, match="unknown coordinate system 'mars'"):
        index.locate([118.15], [24.73], crs="mars")
    with pytest.raises(ValueError, match="different sizes"):
        index.locate([118.15, 118.16], [24.73])


def test_bad_frames_are_named(one_township) -> None:
    cells, communities, zones, townships = (one_township[layer] for layer in LAYERS)
    with pytest.raises(ValueError, match="cells frame lacks column.*zone_code"):
        JurisdictionIndex.from_frames(cells.drop(columns="zone_code"), communities, zones, townships)
    orphan = cells.copy()
    orphan.loc[orphan.index[0], "community_code"] = "350212999999"
    with pytest.raises(ValueError, match=f"cell {orphan['code'].iloc[0]} names community 350212999999"):
        JurisdictionIndex.from_frames(orphan, communities, zones, townships)
    with pytest.raises(ValueError, match="no CRS"):
        JurisdictionIndex.from_frames(cells.set_crs(None, allow_override=True), communities, zones, townships)
    with pytest.raises(ValueError, match="empty"):
        JurisdictionIndex.from_frames(cells.iloc[:0], communities, zones, townships)


def test_frame_and_record_views(index) -> None:
    found = index.locate([118.15, 118.6, np.nan], [24.73, 24.73, 24.73])
    frame = found.to_frame()
    assert list(frame.columns) == ["cell", "community", "zone", "township", "status", "distance_m", "nearest_township"]
    assert list(frame["status"]) == ["inside", "outside", "invalid"]
    assert frame["cell"][0] == found.codes("cell")[0] and len(frame["cell"][0]) == 15
    record = found.record(0)
    assert record["township"]["name"] and record["community"]["name_en"] and record["zone"]["code"]


def test_cli_locate_prints_json(one_township, tmp_path: Path, capsys) -> None:
    for layer, frame in one_township.items():
        frame.to_file(tmp_path / f"{layer}.geojson", driver="GeoJSON")
    cell = one_township["cells"].to_crs(WGS84).sort_values("code").iloc[0]
    lon, lat = (float(v) for v in shapely.get_coordinates(shapely.point_on_surface(cell.geometry))[0])
    assert geo_cli(["locate", repr(lon), repr(lat), "--folder", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "inside" and printed["cell"] == cell["code"]
    assert printed["township"]["code"] == cell["township_code"] and printed["township"]["name"]
    assert printed["community"]["code"] == cell["community_code"] and printed["community"]["name"]
    assert geo_cli(["locate", repr(lon + 1.0), repr(lat), "--folder", str(tmp_path), "--crs", "gcj02"]) == 0
    far = json.loads(capsys.readouterr().out)
    assert far["status"] == "outside" and far["distance_m"] is None and far["input"]["crs"] == "gcj02"
    vertices = shapely.get_coordinates(one_township["cells"].to_crs("EPSG:4548").geometry.values)
    x, y = vertices[vertices[:, 0].argmax()]  # 120 m east of the easternmost vertex: 120 m outside
    assert geo_cli(["locate", repr(float(x) + 120.0), repr(float(y)), "--crs", "cgcs2000-gk",
                    "--folder", str(tmp_path)]) == 0
    near = json.loads(capsys.readouterr().out)
    assert near["status"] == "outside" and near["distance_m"] == pytest.approx(120.0, abs=0.02)
    assert near["nearest_township"]["code"] == cell["township_code"]
    assert geo_cli(["locate", "nan", "24.73", "--folder", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["status"] == "invalid" and "NaN" not in out
    with pytest.raises(SystemExit) as exit_:
        geo_cli(["locate", "118.15", "24.73", "--folder", str(tmp_path / "missing")])
    assert exit_.value.code == 2 and "cells.geojson" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_locate_reads_the_store(demo_dir: Path, tmp_path: Path, capsys) -> None:
    from store import open_store

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    store.close()
    assert geo_cli(["locate", "616350", "2736635", "--crs", "cgcs2000-gk", "--database-url", url]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "inside" and printed["township"]["code"] == "350212001"
    assert printed["input"] == {"x": 616350.0, "y": 2736635.0, "crs": "cgcs2000-gk"}
