"""Unit grid cells: 100 m squares cut along community borders, slivers merged, coded in reading order."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crs import DISTRICT_METRIC_CRS, WGS84
from geo.grid import MAX_CELLS, SLIVER_SHARE, GridError, build_cells
from geo.partition import split_region

ORIGIN = (616_037.0, 2_736_011.0)  # deliberately off the 100 m grid


@pytest.fixture(scope="module")
def communities() -> gpd.GeoDataFrame:
    """Five communities with bent borders in two townships, off the grid."""
    area = shapely.affinity.translate(shapely.box(0, 0, 2300, 1700), *ORIGIN)
    pieces = split_region(area, [1, 1, 2, 1, 1.5], np.random.default_rng(11))
    codes = ["350212001002", "350212001003", "350212001201", "350212002001", "350212002202"]
    return gpd.GeoDataFrame({"code": codes, "name": list("ABCDE"), "township_code": [c[:9] for c in codes]},
                            geometry=pieces, crs=DISTRICT_METRIC_CRS)


@pytest.fixture(scope="module")
def cells(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return build_cells(communities, output_crs=DISTRICT_METRIC_CRS)


def test_columns_and_default_wgs84(communities: gpd.GeoDataFrame) -> None:
    out = build_cells(communities.to_crs(WGS84))
    assert out.crs.to_epsg() == 4326
    assert list(out.columns) == ["code", "community_code", "township_code", "zone_code", "col", "row", "area_m2", "geometry"]
    assert out["zone_code"].isna().all()


def test_cells_tile_each_community_without_overlap(communities, cells) -> None:
    total = cells.geometry.area.groupby(cells["community_code"]).sum()
    expected = communities.set_index("code").geometry.area
    assert np.allclose(total.loc[expected.index], expected, rtol=1e-9)
    geoms = cells.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    assert shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]])).max() < 1e-6
    assert shapely.coverage_is_valid(geoms)
    for c in communities.itertuples():
        mine = cells.geometry[cells["community_code"] == c.code]
        assert mine.representative_point().within(c.geometry).all()


def test_squares_are_aligned_on_the_100_m_grid(cells) -> None:
    full = cells[np.isclose(cells["area_m2"], 10_000.0)]
    assert len(full) > 100
    minx, miny, _, _ = full.geometry.bounds.T.to_numpy()
    assert np.array_equal(minx, full["col"] * 100.0) and np.array_equal(miny, full["row"] * 100.0)


def test_slivers_are_merged_into_a_neighbour(communities, cells) -> None:
    small = cells[cells["area_m2"] < SLIVER_SHARE * 10_000]
    for cell in small.itertuples():
        same = cells[(cells["community_code"] == cell.community_code) & (cells["code"] != cell.code)]
        shared = shapely.length(shapely.intersection(cell.geometry.boundary, same.geometry.boundary.to_numpy()))
        assert (shared <= 1e-6).all(), f"sliver {cell.code} was left beside a neighbour"
    # merged cells exist: bigger than one square
    assert (cells["area_m2"] > 10_000.5).any()


def test_codes_run_west_to_east_then_north_to_south(cells) -> None:
    assert cells["code"].str.fullmatch(r"\d{15}").all() and cells["code"].is_unique
    assert (cells["code"].str[:12] == cells["community_code"]).all()
    for _, group in cells.groupby("community_code"):
        group = group.sort_values("code")
        assert group["code"].str[12:].astype(int).tolist() == list(range(1, len(group) + 1))
        key = list(zip(-group["row"], group["col"], strict=True))
        assert key == sorted(key)


def test_a_community_needing_more_than_999_cells_is_refused() -> None:
    big = gpd.GeoDataFrame({"code": ["350212105201"], "name": ["莲花村"], "township_code": ["350212105"]},
                           geometry=[shapely.box(600_000, 2_700_000, 604_000, 2_702_600)], crs=DISTRICT_METRIC_CRS)
    with pytest.raises(GridError, match=rf"350212105201.*1040 cells.*{MAX_CELLS}"):
        build_cells(big)
