"""Positions as the channels give them: numbers, declared systems, Gauss–Krüger axis order, no-fix points."""

from __future__ import annotations

import doctest

import pytest

import ingest.coordinates
from geo.coords import convert
from ingest.coordinates import GEOGRAPHIC_SYSTEMS, NoFix, coordinate_system, gauss_kruger, lonlat
from ingest.fields import Rejection
from ingest.report import Point


@pytest.mark.parametrize(("declared", "name"), [
    ("wgs84", "wgs84"), ("WGS-84", "wgs84"), ("EPSG:4326", "wgs84"), ("gcj02", "gcj02"), ("GCJ-02", "gcj02"),
    ("高德", "gcj02"), ("bd09ll", "bd09"), ("BD-09", "bd09"), ("百度", "bd09"), ("CGCS2000", "cgcs2000"),
    (" gcj_02 ", "gcj02"),
])
def test_declared_systems(declared, name):
    assert coordinate_system(declared) == name


@pytest.mark.parametrize(("declared", "reason"), [
    ("bd09mc", 'unknown coordinate system "bd09mc" (Baidu Mercator metres: send bd09ll longitude/latitude): '
               "expected wgs84, gcj02 or bd09"),
    ("mars", 'unknown coordinate system "mars": expected wgs84, gcj02 or bd09'),
    (4548, 'unknown coordinate system "4548": expected wgs84, gcj02 or bd09'),
])
def test_unknown_systems_are_refused(declared, reason):
    with pytest.raises(Rejection) as caught:
        coordinate_system(declared)
    assert str(caught.value) == reason


def test_a_system_must_be_declared_unless_the_channel_has_a_default():
    assert coordinate_system(None, "bd09") == "bd09"
    with pytest.raises(Rejection, match="^missing coordinate system: coordinates without crs"):
        coordinate_system("  ")


def test_every_name_the_adapters_produce_is_one_geo_coords_converts():
    names = set(GEOGRAPHIC_SYSTEMS.values())
    for name in names:
        lon, lat = convert(118.15, 24.73, name, "wgs84")
        assert abs(lon - 118.15) < 0.02 and abs(lat - 24.73) < 0.02
    for crs in ("EPSG:4548", "EPSG:4527"):
        point, _ = gauss_kruger(616350.1 + (39_000_000 if crs == "EPSG:4527" else 0), 2736635.2)
        assert point.crs == crs
        lon, lat = convert(point.x, point.y, point.crs, "wgs84")
        assert round(float(lon), 4) == 118.15 and round(float(lat), 4) == 24.73


def test_lonlat_reads_numbers_and_numeric_text():
    assert lonlat(118.15, 24.73, "wgs84") == Point(118.15, 24.73, "wgs84")
    assert lonlat(" 118.15° ", "２４.７３", "gcj02") == Point(118.15, 24.73, "gcj02")
    assert lonlat(None, "", "wgs84") is None


@pytest.mark.parametrize(("lon", "lat", "reason"), [
    ("118.15x", 24.73, 'coordinates not numbers: lon="118.15x", lat=24.73'),
    ("nan", 24.73, 'coordinates not numbers: lon="nan", lat=24.73'),
    (True, 24.73, "coordinates not numbers: lon=True, lat=24.73"),
    (118.15, None, 'coordinates incomplete: lon=118.15, lat=""'),
    (24.73, 118.15, "coordinates out of range: lon=24.73, lat=118.15 (lon and lat swapped?)"),
    (200.0, 24.73, "coordinates out of range: lon=200, lat=24.73"),
])
def test_bad_lonlat(lon, lat, reason):
    with pytest.raises(Rejection) as caught:
        lonlat(lon, lat, "wgs84")
    assert str(caught.value) == reason


def test_zero_zero_is_no_fix():
    with pytest.raises(NoFix, match="the device had no position fix"):
        lonlat(0, "0.0", "wgs84")


def test_gauss_kruger_order_is_read_from_the_magnitudes():
    assert gauss_kruger("616350.12", "2736635.40") == (Point(616350.12, 2736635.4, "EPSG:4548"), None)
    point, note = gauss_kruger(2736635.4, 616350.12, labels=("X坐标", "Y坐标"))
    assert point == Point(616350.12, 2736635.4, "EPSG:4548")
    assert note == "X坐标/Y坐标 in surveying order (X坐标 = northing 2736635.4): read as Y坐标/X坐标"
    assert gauss_kruger(39616350.12, 2736635.4)[0].crs == "EPSG:4527"  # zone-39 prefix
    assert gauss_kruger(40416350.12, 2736635.4)[0].crs == "EPSG:4528"  # zone 40 (CM 120°E)
    assert gauss_kruger("", None) == (None, None)


@pytest.mark.parametrize(("x", "y"), [(118.15, 24.73), (616350.1, 616350.1), (2736635.4, 2736635.4),
                                      (99_616_350.0, 2736635.4)])
def test_values_that_are_not_gauss_kruger_metres_are_refused(x, y):
    with pytest.raises(Rejection, match="^coordinates not Gauss–Krüger metres"):
        gauss_kruger(x, y)


def test_doctests():
    assert doctest.testmod(ingest.coordinates).failed == 0
