"""The district's coordinate systems: constants and conversions both ways."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crs import (
    CELL_SIZE_M,
    DISTRICT_METRIC_CRS,
    WGS84,
    lonlat_to_metric,
    metric_to_lonlat,
    same_crs,
    to_metric,
    to_wgs84,
    transformer,
)


def test_constants_are_those_of_the_contract() -> None:
    assert (WGS84, DISTRICT_METRIC_CRS, CELL_SIZE_M) == ("EPSG:4326", "EPSG:4548", 100.0)


def test_tongan_lies_in_the_zone_with_easting_first() -> None:
    x, y = lonlat_to_metric(118.15, 24.73)
    # 1.15° east of the 117°E central meridian: about 116 km east of the 500 km false easting
    assert 615_000 < float(x) < 618_000 and 2_730_000 < float(y) < 2_740_000


def test_round_trip_is_exact_to_the_millimetre() -> None:
    lon = np.linspace(117.95, 118.35, 50)
    lat = np.linspace(24.55, 24.95, 50)
    x, y = lonlat_to_metric(lon, lat)
    back_lon, back_lat = metric_to_lonlat(x, y)
    assert np.abs(back_lon - lon).max() < 1e-8 and np.abs(back_lat - lat).max() < 1e-8
    assert transformer(WGS84, DISTRICT_METRIC_CRS) is transformer(WGS84, DISTRICT_METRIC_CRS)


def test_frames_are_projected_and_left_alone_when_already_there() -> None:
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(118.15, 24.73)], crs=WGS84)
    metric = to_metric(frame)
    assert same_crs(metric.crs, DISTRICT_METRIC_CRS) and to_metric(metric) is metric
    back = to_wgs84(metric)
    assert back.geometry.iloc[0].distance(frame.geometry.iloc[0]) < 1e-9
    assert to_wgs84(frame) is frame


def test_a_frame_without_crs_is_refused() -> None:
    with pytest.raises(ValueError, match="no CRS"):
        to_metric(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]))
