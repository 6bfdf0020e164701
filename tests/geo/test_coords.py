"""geo.coords: WGS-84 / GCJ-02 / BD-09 / CGCS2000 conversions, checked against published reference values,
an independent straightforward implementation of the published formulas, round trips and the error paths."""

from __future__ import annotations

import doctest
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely import LineString, MultiPolygon, Point, Polygon

import geo.coords as coords
from geo.coords import CHINA_RECTANGLE, convert, convert_geometry, is_geographic, out_of_china

ROOT = Path(__file__).resolve().parents[2]
WGS84_ELLIPSOID = Geod(ellps="WGS84")
MAINLAND = (73.5, 18.0, 135.0, 53.5)  # a box over mainland China, well inside the published rectangle


def random_points(n: int, box: tuple[float, float, float, float] = MAINLAND, seed: int = 350212):
    rng = np.random.default_rng(seed)
    west, south, east, north = box
    return rng.uniform(west, east, n), rng.uniform(south, north, n)


def ground_distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(WGS84_ELLIPSOID.inv(lon1, lat1, lon2, lat2)[2])


# --------------------------------------------------------------------------------------------------------
# An independent oracle: the published formulas written out plainly with np.sin (as coordtransform does)
# --------------------------------------------------------------------------------------------------------
def published_wgs84_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y, pi = lon - 105.0, lat - 35.0, math.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    a, ee = 6378245.0, 0.00669342162296594323
    rad = lat / 180.0 * pi
    magic = 1 - ee * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (a / sqrt_magic * np.cos(rad) * pi)
    inside = ~out_of_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def published_gcj02_to_bd09(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x_pi = math.pi * 3000.0 / 180.0
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * x_pi)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * x_pi)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


# --------------------------------------------------------------------------------------------------------
# Published reference values
# --------------------------------------------------------------------------------------------------------
# coordtransform (wandergis) README, the Tiananmen test point (116.404, 39.915) through every function.
TIANANMEN = (116.404, 39.915)


def test_tiananmen_forward_matches_coordtransform() -> None:
    assert convert(*TIANANMEN, "wgs84", "gcj02") == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-6)
    assert convert(*TIANANMEN, "gcj02", "bd09") == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-6)
    assert convert(*TIANANMEN, "wgs84", "bd09") == pytest.approx((116.41662724378733, 39.922699552216216), abs=1e-6)
    # ... and in fact to the last few bits
    assert convert(*TIANANMEN, "wgs84", "gcj02") == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)


def test_tiananmen_inverses_agree_with_the_published_approximations_and_are_exact() -> None:
    # coordtransform's bd09togcj02 is the published closed-form approximation (~cm off); ours iterates.
    lon, lat = convert(*TIANANMEN, "bd09", "gcj02")
    assert (lon, lat) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-6)
    assert convert(lon, lat, "gcj02", "bd09") == pytest.approx(TIANANMEN, abs=1e-12)
    # coordtransform's gcj02towgs84 is the one-step approximation (metres off); ours is exact.
    lon, lat = convert(*TIANANMEN, "gcj02", "wgs84")
    assert (lon, lat) == pytest.approx((116.39775550083061, 39.91359571849836), abs=1e-5)
    assert convert(lon, lat, "wgs84", "gcj02") == pytest.approx(TIANANMEN, abs=1e-12)


# eviltransform's test set: (wgs lat, wgs lon, gcj lat, gcj lon) for Shanghai, Shenzhen, Beijing.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_eviltransform_reference_pairs_both_ways(wgs_lat, wgs_lon, gcj_lat, gcj_lon) -> None:
    assert convert(wgs_lon, wgs_lat, "wgs84", "gcj02") == pytest.approx((gcj_lon, gcj_lat), abs=1e-6)
    assert convert(gcj_lon, gcj_lat, "gcj02", "wgs84") == pytest.approx((wgs_lon, wgs_lat), abs=1e-6)


def test_forward_equals_the_plainly_written_published_formulas() -> None:
    lon, lat = random_points(100_000, box=(72.01, 0.84, 137.82, 55.82), seed=1)
    np.testing.assert_allclose(convert(lon, lat, "wgs84", "gcj02"), published_wgs84_to_gcj02(lon, lat),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(convert(lon, lat, "gcj02", "bd09"), published_gcj02_to_bd09(lon, lat),
                               rtol=0, atol=1e-12)


def test_forward_equals_coord_convert() -> None:
    from coord_convert.transform import gcj2bd, wgs2gcj  # a published scalar implementation (dev requirement)

    lon, lat = random_points(2_000, seed=2)
    gcj = np.array([wgs2gcj(a, b) for a, b in zip(lon, lat, strict=True)]).T
    np.testing.assert_allclose(convert(lon, lat, "wgs84", "gcj02"), gcj, rtol=0, atol=1e-12)
    bd = np.array([gcj2bd(a, b) for a, b in zip(lon, lat, strict=True)]).T
    np.testing.assert_allclose(convert(lon, lat, "gcj02", "bd09"), bd, rtol=0, atol=1e-12)


def test_fast_sine_and_cosine_match_numpy() -> None:
    rng = np.random.default_rng(3)
    turns = np.concatenate([rng.uniform(-1.0, 1.0, 50_000), rng.uniform(-1200.0, 1200.0, 50_000)])
    s, c, tmp = np.empty_like(turns), np.empty_like(turns), np.empty_like(turns)
    coords._sincos_turns(turns, s, c, tmp)
    reduced = 2 * np.pi * (turns - np.rint(turns))  # np.sin(2π·turns) itself loses digits for large turns
    np.testing.assert_allclose(s, np.sin(reduced), rtol=0, atol=2e-15)
    np.testing.assert_allclose(c, np.cos(reduced), rtol=0, atol=2e-15)


# --------------------------------------------------------------------------------------------------------
# Round trips and the inverse's error bound
# --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b"), [("gcj02", "wgs84"), ("bd09", "wgs84"), ("bd09", "gcj02")])
def test_round_trips_on_100k_points_are_sub_millimetre(a: str, b: str) -> None:
    lon, lat = random_points(100_000, seed=4)
    there = convert(lon, lat, a, b)
    back = convert(*there, b, a)
    assert ground_distance_m(lon, lat, *back).max() < 0.001
    # the other way round: b → a → b
    again = convert(*convert(lon, lat, b, a), a, b)
    assert ground_distance_m(lon, lat, *again).max() < 0.001


def test_inverse_error_stays_within_the_documented_bound() -> None:
    wgs_lon, wgs_lat = random_points(100_000, box=(72.02, 0.85, 137.8, 55.8), seed=5)
    gcj = convert(wgs_lon, wgs_lat, "wgs84", "gcj02")
    lon, lat = convert(*gcj, "gcj02", "wgs84")
    assert max(np.abs(lon - wgs_lon).max(), np.abs(lat - wgs_lat).max()) <= coords.INVERSE_TOL_DEG
    bd = convert(*gcj, "gcj02", "bd09")
    lon, lat = convert(*bd, "bd09", "gcj02")
    assert max(np.abs(lon - gcj[0]).max(), np.abs(lat - gcj[1]).max()) <= coords.INVERSE_TOL_DEG


def test_inverse_on_the_105_degree_meridian_where_the_series_has_a_cusp() -> None:
    rng = np.random.default_rng(6)
    wgs_lon = 105.0 + np.concatenate([np.zeros(100), rng.uniform(-1e-6, 1e-6, 10_000)])
    wgs_lat = rng.uniform(18.0, 45.0, wgs_lon.size)
    lon, lat = convert(*convert(wgs_lon, wgs_lat, "wgs84", "gcj02"), "gcj02", "wgs84")
    assert max(np.abs(lon - wgs_lon).max(), np.abs(lat - wgs_lat).max()) <= 2e-10


def test_one_step_inverse_of_the_peers_is_metres_off_and_ours_is_not() -> None:
    """Why the module exists: the usual one-step inverse p = 2q − forward(q) is metres off."""
    lon, lat = random_points(10_000, seed=7)
    gcj = convert(lon, lat, "wgs84", "gcj02")
    f_lon, f_lat = convert(*gcj, "wgs84", "gcj02")
    one_step = 2 * gcj[0] - f_lon, 2 * gcj[1] - f_lat
    assert ground_distance_m(lon, lat, *one_step).max() > 1.0
    assert ground_distance_m(lon, lat, *convert(*gcj, "gcj02", "wgs84")).max() < 1e-4


def _offset_and_jacobian(rule, lon, lat):
    ws = np.empty((coords._WORKSPACE_ROWS, lon.size))
    dlon, dlat, jacobian = np.empty_like(lon), np.empty_like(lon), np.empty((4, lon.size))
    rule.offset(lon, lat, dlon, dlat, ws, jacobian)
    return np.stack([dlon, dlat]), jacobian


def _finite_differences(rule, lon, lat, h):
    """First derivatives (∂dlon/∂lon, ∂dlon/∂lat, ∂dlat/∂lon, ∂dlat/∂lat) and second differences."""
    f = {(i, j): _offset_and_jacobian(rule, lon + i * h, lat + j * h)[0] for i, j in
         [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]}
    d_lon, d_lat = (f[1, 0] - f[-1, 0]) / (2 * h), (f[0, 1] - f[0, -1]) / (2 * h)
    first = np.stack([d_lon[0], d_lat[0], d_lon[1], d_lat[1]])
    second = np.stack([f[1, 0] - 2 * f[0, 0] + f[-1, 0], f[0, 1] - 2 * f[0, 0] + f[0, -1]]) / h**2
    return first, second


@pytest.mark.parametrize("rule", [coords._GCJ02, coords._BD09], ids=["gcj02", "bd09"])
def test_the_constants_of_the_inverse_error_bound_hold(rule) -> None:
    """The inverses stop on a bound built from these constants: check them by finite differences on a
    grid over the rectangle, and just outside the band around the GCJ-02 cusp at 105°E."""
    lon, lat = np.meshgrid(np.linspace(72.0, 137.84, 661), np.linspace(0.8, 55.84, 331))
    lon, lat = lon.ravel(), lat.ravel()
    lon[np.abs(lon - 105.0) < 0.01] += 0.02  # the band has its own test (below)
    exact, second = _finite_differences(rule, lon, lat, h=1e-6)
    _, jacobian = _offset_and_jacobian(rule, lon, lat)
    assert np.abs(jacobian - exact).max() < rule.jacobian_slack
    assert (np.abs(exact[:2]).sum(axis=0).max() < rule.contraction
            and np.abs(exact[2:]).sum(axis=0).max() < rule.contraction)  # the ∞-norm: the Lipschitz constant
    _, second = _finite_differences(rule, lon, lat, h=1e-4)
    assert np.abs(second).max() < rule.curvature
    if rule.cusp_lon is not None:  # where √|lon − 105| bends hardest, just outside the band
        near = rule.cusp_lon + np.repeat([-1, 1], 500) * np.geomspace(1.05e-4, 1e-2, 1000)
        _, second = _finite_differences(rule, near, np.linspace(1.0, 55.0, near.size), h=5e-6)
        assert np.abs(second).max() < rule.curvature


def test_an_inverse_that_cannot_converge_says_so() -> None:
    with pytest.raises(RuntimeError, match="GCJ-02 inverse did not converge"):
        convert(116.41, 39.916, "gcj02", "wgs84", max_iter=1)


# --------------------------------------------------------------------------------------------------------
# Out of China
# --------------------------------------------------------------------------------------------------------
OUTSIDE = [(-74.006, 40.7128), (-0.1276, 51.5072), (151.2093, -33.8688), (72.003, 30.0), (137.8348, 40.0),
           (110.0, 0.8292), (110.0, 55.8272), (0.0, 0.0), (180.0, 90.0), (-180.0, -90.0)]


def test_points_outside_the_rectangle_are_untouched_by_gcj02_both_ways() -> None:
    lon, lat = np.array(OUTSIDE).T
    assert out_of_china(lon, lat).all()
    for src, dst in (("wgs84", "gcj02"), ("gcj02", "wgs84")):
        out_lon, out_lat = convert(lon, lat, src, dst)
        assert np.array_equal(out_lon, lon) and np.array_equal(out_lat, lat)


def test_the_rectangle_is_the_published_one_edges_included() -> None:
    west, south, east, north = CHINA_RECTANGLE
    assert not out_of_china([west, east, west, east], [south, south, north, north]).any()
    assert convert(west, south, "wgs84", "gcj02") != (west, south)
    assert out_of_china(np.nextafter(west, 0), 30.0) and out_of_china(100.0, np.nextafter(north, 90))


def test_bd09_applies_everywhere_on_top_of_untouched_gcj02() -> None:
    lon, lat = np.array(OUTSIDE[:3]).T
    bd = convert(lon, lat, "wgs84", "bd09")
    np.testing.assert_allclose(bd, published_gcj02_to_bd09(lon, lat), rtol=0, atol=1e-12)
    np.testing.assert_allclose(convert(*bd, "bd09", "wgs84"), (lon, lat), rtol=0, atol=1e-10)


def test_null_island_and_the_whole_globe_stay_finite() -> None:
    """(0, 0) is a common bogus GPS fix; the BD-09 formula divides by |(lon, lat)| there."""
    assert convert(0.0, 0.0, "gcj02", "bd09") == pytest.approx((0.0065, 0.006), abs=1e-15)
    assert convert(0.0065, 0.006, "bd09", "gcj02") == pytest.approx((0.0, 0.0), abs=1e-12)
    lon, lat = np.meshgrid(np.linspace(-180.0, 180.0, 361), np.linspace(-90.0, 90.0, 181))
    for src, dst in [("wgs84", "gcj02"), ("gcj02", "wgs84"), ("gcj02", "bd09"), ("bd09", "gcj02"),
                     ("bd09", "wgs84"), ("wgs84", "bd09")]:
        out_lon, out_lat = convert(lon, lat, src, dst)
        assert np.isfinite(out_lon).all() and np.isfinite(out_lat).all(), (src, dst)


# --------------------------------------------------------------------------------------------------------
# CGCS2000 and Gauss–Krüger
# --------------------------------------------------------------------------------------------------------
def test_cgcs2000_geographic_is_taken_as_wgs84() -> None:
    lon, lat = random_points(100, seed=8)
    out = convert(lon, lat, "cgcs2000", "wgs84")
    assert np.array_equal(out[0], lon) and np.array_equal(out[1], lat)
    np.testing.assert_allclose(convert(lon, lat, "cgcs2000", "gcj02"), convert(lon, lat, "wgs84", "gcj02"))


def test_gauss_kruger_defaults_to_the_district_zone_and_round_trips() -> None:
    from geo.crs import lonlat_to_metric

    lon, lat = random_points(1_000, box=(117.8, 24.4, 118.4, 24.95), seed=9)  # around Tong'an
    x, y = convert(lon, lat, "wgs84", "cgcs2000-gk")
    np.testing.assert_allclose((x, y), lonlat_to_metric(lon, lat, "EPSG:4548"), rtol=0, atol=1e-6)
    assert x.min() > 500_000 and y.min() > 2_000_000  # easting first, northing second
    np.testing.assert_allclose(convert(x, y, "cgcs2000-gk", "wgs84"), (lon, lat), rtol=0, atol=1e-9)
    # Gauss–Krüger straight to BD-09 and back goes through WGS-84 and GCJ-02
    bd = convert(x, y, "cgcs2000-gk", "bd09")
    np.testing.assert_allclose(bd, convert(lon, lat, "wgs84", "bd09"), rtol=0, atol=1e-9)
    np.testing.assert_allclose(convert(*bd, "bd09", "cgcs2000-gk"), (x, y), rtol=0, atol=1e-4)


def test_any_epsg_projection_is_accepted_including_other_gk_zones() -> None:
    lon, lat = 118.15, 24.73
    x, y = convert(lon, lat, "wgs84", "EPSG:4549")  # CM 120°E, the zone east of ours
    assert x < 500_000  # west of that zone's central meridian
    assert convert(x, y, "epsg:4549", "EPSG:4548") == pytest.approx(convert(lon, lat, "wgs84", "EPSG:4548"), abs=1e-4)
    assert convert(lon, lat, "EPSG:4326", "EPSG:4490") == (lon, lat)


def test_swapped_gauss_kruger_axes_are_refused_with_a_hint() -> None:
    x, y = convert(118.15, 24.73, "wgs84", "cgcs2000-gk")
    with pytest.raises(ValueError, match=r"x must be the easting.*swap them"):
        convert(y, x, "cgcs2000-gk", "wgs84")
    with pytest.raises(ValueError, match="point 1 "):
        convert([x, y], [y, x], "cgcs2000-gk", "wgs84")


def test_is_geographic() -> None:
    assert all(is_geographic(s) for s in ("wgs84", "GCJ-02", "bd09", "cgcs2000", "EPSG:4490", "EPSG:4326"))
    assert not any(is_geographic(s) for s in ("cgcs2000-gk", "EPSG:4548", "EPSG:3857"))


# --------------------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------------------
def test_scalars_give_numpy_scalars() -> None:
    lon, lat = convert(118, 24, "wgs84", "gcj02")  # ints are fine too
    assert isinstance(lon, np.float64) and isinstance(lat, np.float64)


def test_lists_tuples_and_arrays_keep_their_shape() -> None:
    lon, lat = random_points(12, seed=10)
    expected = convert(lon, lat, "wgs84", "bd09")
    from_list = convert(list(lon), tuple(lat), "wgs84", "bd09")
    np.testing.assert_array_equal(from_list, expected)
    grid = convert(lon.reshape(3, 4), lat.reshape(3, 4), "wgs84", "bd09")
    assert grid[0].shape == (3, 4) and grid[0].dtype == np.float64
    np.testing.assert_array_equal(grid[0].ravel(), expected[0])
    strided = convert(np.repeat(lon, 2)[::2], np.repeat(lat, 2)[::2], "wgs84", "bd09")
    np.testing.assert_array_equal(strided, expected)


def test_many_chunks_give_the_same_result_as_one_by_one() -> None:
    lon, lat = random_points(coords._CHUNK * 2 + 17, seed=11)
    together = convert(lon, lat, "bd09", "wgs84")
    for i in (0, coords._CHUNK - 1, coords._CHUNK, 2 * coords._CHUNK + 16):
        alone = convert(lon[i], lat[i], "bd09", "wgs84")
        assert alone == pytest.approx((together[0][i], together[1][i]), abs=1e-11)


def test_empty_input_gives_empty_output() -> None:
    for src, dst in (("wgs84", "gcj02"), ("bd09", "wgs84"), ("cgcs2000-gk", "gcj02")):
        lon, lat = convert([], [], src, dst)
        assert lon.shape == (0,) and lat.shape == (0,)


def test_names_are_case_and_dash_insensitive() -> None:
    assert convert(118.0, 24.0, "WGS-84", "GCJ-02") == convert(118.0, 24.0, "wgs84", "gcj02")
    assert convert(118.0, 24.0, "Gcj_02", "BD-09") == convert(118.0, 24.0, "gcj02", "bd09")
    assert convert(118.0, 24.0, "wgs84", "wgs84") == (118.0, 24.0)


@pytest.mark.parametrize(
    ("lon", "lat", "src", "message"),
    [
        (118.0, 24.0, "mars", "unknown coordinate system 'mars'"),
        (118.0, 24.0, "EPSG:999999", "pyproj knows no such EPSG code"),
        (118.0, 24.0, 4326, "coordinate system must be a name"),
        ([118.0, math.nan], [24.0, 25.0], "wgs84", r"lon\[1\] is nan"),
        ([[118.0, 119.0], [120.0, 121.0]], [[24.0, 25.0], [26.0, math.inf]], "gcj02", r"lat\[1, 1\] is inf"),
        (None, 24.0, "wgs84", "lon is nan"),
        ("east", 24.0, "bd09", "lon must be numbers"),
        ([118.0, 119.0], [24.0], "wgs84", r"lon has shape \(2,\) but lat has shape \(1,\)"),
        (24.0, 118.0, "wgs84", r"lat = 118 is outside \[-90, 90\]; are lon and lat swapped"),
        ([0.0, 200.0], [0.0, 0.0], "gcj02", r"lon\[1\] = 200 is outside \[-180, 180\]"),
        ([1.0, math.nan], [2.0, 3.0], "cgcs2000-gk", r"x\[1\] is nan"),
    ],
)
def test_bad_input_gives_a_clear_value_error(lon, lat, src, message) -> None:
    with pytest.raises(ValueError, match=message):
        convert(lon, lat, src, "wgs84")


def test_bad_iteration_settings_are_refused() -> None:
    for settings in ({"tol": 0.0}, {"max_iter": 0}, {"tol": -1e-9}):
        with pytest.raises(ValueError, match="tol must be > 0 and max_iter ≥ 1"):
            convert(118.0, 24.0, "gcj02", "wgs84", **settings)


def test_output_never_aliases_the_input() -> None:
    lon, lat = np.array([118.0, 119.0]), np.array([24.0, 25.0])
    for dst in ("wgs84", "cgcs2000", "gcj02"):
        out_lon, out_lat = convert(lon, lat, "wgs84", dst)
        out_lon += 1.0
        out_lat += 1.0
        assert lon.tolist() == [118.0, 119.0] and lat.tolist() == [24.0, 25.0]


def test_unknown_target_system_is_named() -> None:
    with pytest.raises(ValueError, match="unknown coordinate system 'gcj2'"):
        convert(118.0, 24.0, "wgs84", "gcj2")


# --------------------------------------------------------------------------------------------------------
# Shapely geometries
# --------------------------------------------------------------------------------------------------------
def test_geometries_convert_coordinate_by_coordinate() -> None:
    shell = [(118.1, 24.7), (118.2, 24.7), (118.2, 24.8), (118.1, 24.8), (118.1, 24.7)]
    hole = [(118.12, 24.72), (118.14, 24.72), (118.14, 24.74), (118.12, 24.72)]
    geometries = [
        Point(118.15, 24.73),
        LineString(shell[:3]),
        Polygon(shell, [hole]),
        MultiPolygon([Polygon(shell), Polygon([(x + 1, y) for x, y in shell])]),
    ]
    for geometry in geometries:
        converted = convert_geometry(geometry, "bd09", "wgs84")
        assert converted.geom_type == geometry.geom_type
        lon, lat = shapely.get_coordinates(geometry).T
        np.testing.assert_allclose(shapely.get_coordinates(converted), np.column_stack(convert(lon, lat, "bd09", "wgs84")),
                                   rtol=0, atol=1e-12)
    polygon = convert_geometry(geometries[2], "gcj02", "wgs84")
    assert len(polygon.interiors) == 1 and polygon.is_valid


def test_geometry_arrays_keep_none_and_empty_and_z() -> None:
    array = np.array([Point(118.15, 24.73), None, Point(), Point(118.15, 24.73, 12.5)], dtype=object)
    out = convert_geometry(array, "wgs84", "gcj02")
    assert isinstance(out, np.ndarray) and out[1] is None and out[2].is_empty
    assert out[3].has_z and out[3].z == 12.5
    assert (out[3].x, out[3].y) == pytest.approx(convert(118.15, 24.73, "wgs84", "gcj02"), abs=1e-12)
    assert out[0].equals_exact(Point(out[3].x, out[3].y), tolerance=0)


def test_geoseries_values_work() -> None:
    geopandas = pytest.importorskip("geopandas")
    series = geopandas.GeoSeries([Point(118.15, 24.73), Point(118.2, 24.8)], crs="EPSG:4326")
    out = geopandas.GeoSeries(convert_geometry(series.values, "wgs84", "gcj02"), crs="EPSG:4326")
    assert out.x.tolist() == pytest.approx(convert(series.x, series.y, "wgs84", "gcj02")[0].tolist(), abs=1e-12)


def test_bad_geometries_are_named() -> None:
    with pytest.raises(ValueError, match=r"geometry 1 has a non-finite coordinate \(nan, 24.0\)"):
        convert_geometry([Point(118.0, 24.0), Point(math.nan, 24.0)], "wgs84", "gcj02")
    with pytest.raises(TypeError, match="takes a shapely geometry or an array of them, not str"):
        convert_geometry("POINT (1 2)", "wgs84", "gcj02")
    with pytest.raises(ValueError, match="unknown coordinate system 'gps'"):
        convert_geometry(Point(118.0, 24.0), "gps", "gcj02")
    with pytest.raises(ValueError, match=r"geometry coordinates: lat\[0\] = 95 is outside"):
        convert_geometry(Point(118.0, 95.0), "wgs84", "gcj02")


# --------------------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)


def test_cli_convert_prints_json_with_the_shift() -> None:
    result = run_cli("convert", "--from", "gcj02", "--to", "wgs84", "116.41024449916938", "39.91640428150164")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["from"] == "gcj02" and printed["to"] == "wgs84"
    assert (printed["lon"], printed["lat"]) == pytest.approx(TIANANMEN, abs=1e-9)
    expected_shift = ground_distance_m(116.41024449916938, 39.91640428150164, *TIANANMEN)
    assert printed["shift_m"] == pytest.approx(float(expected_shift), abs=1e-3)
    assert 400 < printed["shift_m"] < 700


def test_cli_convert_takes_gauss_kruger_x_y() -> None:
    x, y = convert(118.15, 24.73, "wgs84", "cgcs2000-gk")
    result = run_cli("convert", "--from", "cgcs2000-gk", "--to", "bd09", repr(float(x)), repr(float(y)))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["input"] == {"x": float(x), "y": float(y)} and printed["shift_m"] is None
    assert (printed["lon"], printed["lat"]) == pytest.approx(convert(118.15, 24.73, "wgs84", "bd09"), abs=1e-9)
    result = run_cli("convert", "--from", "wgs84", "--to", "cgcs2000-gk", "118.15", "24.73")
    assert json.loads(result.stdout)["x"] == pytest.approx(float(x), abs=1e-3)


def test_cli_errors_are_a_clear_message_and_status_2() -> None:
    result = run_cli("convert", "--from", "mars", "--to", "wgs84", "118", "24")
    assert result.returncode == 2 and "unknown coordinate system 'mars'" in result.stderr
    result = run_cli("convert", "--from", "wgs84", "--to", "gcj02", "24.73", "118.15")
    assert result.returncode == 2 and "are lon and lat swapped" in result.stderr
    result = run_cli("convert", "--from", "wgs84", "--to", "gcj02", "118.15")
    assert result.returncode == 2 and "required" in result.stderr
    result = run_cli()
    assert result.returncode == 2 and "convert" in result.stderr


def test_cli_main_in_process_and_a_new_command_is_one_function(capsys) -> None:
    from geo.__main__ import COMMANDS, build_parser, main

    assert main(["convert", "--from", "wgs84", "--to", "gcj02", "116.404", "39.915"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["lon"], printed["lat"]) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)
    names = [add.__name__.removeprefix("add_") for add in COMMANDS]
    assert "convert" in names
    assert all(name in build_parser().format_help() for name in names)


def test_cli_accepts_negative_longitudes() -> None:
    result = run_cli("convert", "--from", "wgs84", "--to", "gcj02", "-74.006", "40.7128")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert (printed["lon"], printed["lat"], printed["shift_m"]) == (-74.006, 40.7128, 0.0)


# --------------------------------------------------------------------------------------------------------
# The docstring examples
# --------------------------------------------------------------------------------------------------------
def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(coords, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 5 and failures == 0
