"""GeoDataFrame → GeoJSON helpers: zoom levels, simplification that keeps borders shared, rounding."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo.crs import DISTRICT_METRIC_CRS, WGS84
from layers import geojson
from layers.tally import tally_cells


def wobbly_coverage() -> gpd.GeoDataFrame:
    """Two neighbours in Tong'an sharing a border with 400 small zig-zags (2 m): a coverage."""
    x0, y0 = 616_000.0, 2_736_000.0
    ys = np.linspace(y0, y0 + 4000, 401)
    xs = x0 + 2000 + np.where(np.arange(401) % 2, 2.0, -2.0)
    border = list(zip(xs, ys, strict=True))
    west = shapely.Polygon([(x0, y0), *border, (x0, y0 + 4000)])
    east = shapely.Polygon([*border, (x0 + 4000, y0 + 4000), (x0 + 4000, y0)])
    frame = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[west, east], crs=DISTRICT_METRIC_CRS)
    return frame.to_crs(WGS84)


def test_detail_levels_are_never_coarser_than_the_view() -> None:
    for zoom in np.arange(0, 22, 0.25):
        level = geojson.detail_zoom(float(zoom))
        assert level in geojson.DETAIL_ZOOMS
        assert level >= min(zoom, geojson.DETAIL_ZOOMS[-1])
    assert geojson.simplify_tolerance_m(11) > geojson.simplify_tolerance_m(15) > 0


def test_metres_per_pixel_halves_with_each_zoom_level() -> None:
    assert geojson.metres_per_pixel(13) == pytest.approx(geojson.metres_per_pixel(12) / 2)
    assert geojson.metres_per_pixel(0, lat=0) == pytest.approx(40_075_016.686 / 256)


def test_coverage_simplification_drops_vertices_and_keeps_the_shared_border() -> None:
    frame = wobbly_coverage()
    simplified = geojson.simplify_metric(frame.geometry, geojson.simplify_tolerance_m(11), coverage=True)
    before = shapely.get_num_coordinates(frame.geometry.values).sum()
    after = shapely.get_num_coordinates(simplified.values).sum()
    assert after < before / 10
    assert simplified.is_valid.all()
    metric = simplified.to_crs(DISTRICT_METRIC_CRS)
    # no gap and no overlap opened between the neighbours
    assert metric.iloc[0].intersection(metric.iloc[1]).area < 1.0
    assert metric.union_all().area == pytest.approx(4000 * 4000, rel=1e-3)


def test_zero_tolerance_leaves_geometries_alone() -> None:
    frame = wobbly_coverage()
    same = geojson.simplify_metric(frame.geometry, 0, coverage=True)
    assert same.geom_equals_exact(frame.geometry, tolerance=0).all()


def test_rounding_keeps_the_asked_decimals() -> None:
    poly = shapely.Polygon([(118.123456789, 24.1), (118.2, 24.123456789), (118.2, 24.2)])
    (rounded,) = geojson.round_coordinates([poly], 5)
    coords = shapely.get_coordinates(rounded)
    assert np.array_equal(coords, np.round(coords, 5))
    assert coords[0, 0] == pytest.approx(118.12346)


def test_label_points_are_inside_even_for_a_crescent() -> None:
    outer = shapely.Point(0, 0).buffer(1000)
    crescent = outer.difference(shapely.Point(400, 0).buffer(900))
    frame = gpd.GeoSeries([shapely.affinity.translate(crescent, 616_000, 2_736_000)], crs=DISTRICT_METRIC_CRS)
    lonlat = frame.to_crs(WGS84)
    assert not lonlat.iloc[0].contains(shapely.centroid(lonlat.iloc[0]))  # why the centroid would not do
    (point,) = geojson.label_points(lonlat)
    assert lonlat.iloc[0].contains(point)


def test_features_skip_empty_geometries_and_make_values_json_friendly() -> None:
    out = geojson.features(
        [box(0, 0, 1, 1), shapely.Polygon()],
        pd.DataFrame({"n": [np.int64(3), 1], "x": [float("nan"), 2.0], "s": ["a", None]}),
    )
    assert len(out) == 1
    assert out[0]["properties"] == {"n": 3, "x": None, "s": "a"}
    assert type(out[0]["properties"]["n"]) is int
    assert out[0]["geometry"]["type"] == "Polygon"
    with pytest.raises(ValueError, match="2 geometries but 1 property rows"):
        geojson.features([box(0, 0, 1, 1), box(1, 1, 2, 2)], pd.DataFrame({"n": [1]}))


def test_localised_falls_back_to_chinese_when_english_is_blank() -> None:
    frame = pd.DataFrame({"name": ["大同街道", "新民镇"], "name_en": ["Datong", ""]})
    assert list(geojson.localised(frame, "en")) == ["Datong", "新民镇"]
    assert list(geojson.localised(frame, "zh")) == ["大同街道", "新民镇"]


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="townships: missing column.*kind"):
        geojson.require_columns(pd.DataFrame({"code": []}), ("code", "kind"), "townships")


def test_cell_tally_counts_cells_zones_and_communities() -> None:
    cells = pd.DataFrame(
        {
            "township_code": ["t1", "t1", "t1", "t2"],
            "community_code": ["c1", "c1", "c2", "c3"],
            "zone_code": ["z1", "z2", "z2", None],
        }
    )
    tally = tally_cells(cells)
    assert tally.cells_by_township == {"t1": 3, "t2": 1}
    assert tally.cells_by_community == {"c1": 2, "c2": 1, "c3": 1}
    assert tally.zones_by_community == {"c1": 2, "c2": 1}
    assert tally.communities_by_zone == {"z1": 1, "z2": 2}
    with pytest.raises(ValueError, match="zone_code"):
        tally_cells(cells.drop(columns="zone_code"))
