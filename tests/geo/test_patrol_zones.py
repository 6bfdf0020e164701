"""Patrol zones: contiguous, balanced groups of whole cells inside one township."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crs import DISTRICT_METRIC_CRS
from geo.grid import build_cells
from geo.zones import ZoneError, build_zones, cell_adjacency, share_out

X0, Y0 = 616_000.0, 2_736_000.0


@pytest.fixture(scope="module")
def district() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two townships: a large irregular one, and one in two separate pieces (an enclave across a river)."""
    big = shapely.Polygon([(0, 0), (5000, 0), (5000, 3000), (2000, 3000), (2000, 4500), (0, 4500)])
    small = shapely.MultiPolygon([shapely.box(5400, 0, 7000, 1800), shapely.box(5400, 2600, 6400, 3600)])
    townships = gpd.GeoDataFrame(
        {"code": ["350212105", "350212107"], "name": ["莲花镇", "洪塘镇"], "name_en": ["Lianhua Town", "Hongtang Town"]},
        geometry=[shapely.affinity.translate(g, X0, Y0) for g in (big, small)], crs=DISTRICT_METRIC_CRS)
    parts = [shapely.box(0, 0, 2500, 3000), shapely.box(2500, 0, 5000, 3000), shapely.box(0, 3000, 2000, 4500), small]
    communities = gpd.GeoDataFrame(
        {"code": ["350212105201", "350212105202", "350212105203", "350212107201"],
         "township_code": ["350212105", "350212105", "350212105", "350212107"]},
        geometry=[shapely.affinity.translate(g, X0, Y0) for g in parts], crs=DISTRICT_METRIC_CRS)
    cells = build_cells(communities, output_crs=DISTRICT_METRIC_CRS)
    return townships, cells


def test_share_out_is_proportional_with_a_floor() -> None:
    assert share_out([100, 50, 10], 10, 2) == [6, 2, 2]
    assert sum(share_out([7, 3, 3, 1], 9, 2)) == 9
    assert share_out([5, 5], 1, 2) == [2, 2]  # never below the floor


def test_adjacency_is_rook_only() -> None:
    squares = gpd.GeoDataFrame({"col": [0, 1, 1], "row": [0, 0, 1]},
                               geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100), shapely.box(200, 100, 300, 200)],
                               crs=DISTRICT_METRIC_CRS)
    squares.loc[2, "col"] = 2
    assert cell_adjacency(squares) == [[1], [0], []]


def test_zones_are_contiguous_balanced_and_tile_each_township(district) -> None:
    townships, cells = district
    zones, zoned = build_zones(cells, townships, target_zones=9)
    assert len(zones) == 9 and zoned["zone_code"].notna().all()
    assert zones["code"].str.fullmatch(r"\d{11}").all() and zones["code"].is_unique
    per_township = zones.groupby("township_code").size()
    assert per_township["350212107"] >= 2  # at least one per separate piece, two at least
    for zone in zones.itertuples():
        mine = zoned[zoned["zone_code"] == zone.code]
        assert (mine["township_code"] == zone.township_code).all()
        assert len(mine) == zone.cell_count
        union = shapely.union_all(mine.geometry.to_numpy())
        assert union.geom_type == "Polygon", f"{zone.code} is not contiguous"
        assert abs(union.area - zone.geometry.area) < 1e-6 * union.area
    for t in townships.itertuples():
        area = zones.geometry[zones["township_code"] == t.code].area.sum()
        assert abs(area - t.geometry.area) < 1e-6 * t.geometry.area
    big = zones[zones["township_code"] == "350212105"]["cell_count"]
    assert big.max() / big.min() < 1.3
    assert zones.loc[zones["code"] == "35021210501", "name"].item() == "莲花镇第1片区"
    assert zones.loc[zones["code"] == "35021210501", "name_en"].item() == "Lianhua Town Zone 1"


def test_zones_keep_the_crs_of_the_cells(district) -> None:
    townships, cells = district
    zones, zoned = build_zones(cells.to_crs("EPSG:4326"), townships, target_zones=4)
    assert zones.crs.to_epsg() == 4326 and zoned.crs.to_epsg() == 4326
    assert len(zones) == 4


def test_a_township_without_cells_is_refused(district) -> None:
    townships, cells = district
    more = gpd.GeoDataFrame(
        {"code": ["350212109"], "name": ["汀溪镇"], "name_en": ["Tingxi Town"]},
        geometry=[shapely.box(0, 0, 1, 1)], crs=DISTRICT_METRIC_CRS)
    with pytest.raises(ZoneError, match="350212109"):
        build_zones(cells, gpd.GeoDataFrame(np.concatenate([townships.values, more.values]), columns=townships.columns,
                                            geometry="geometry", crs=DISTRICT_METRIC_CRS))
