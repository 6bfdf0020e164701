"""Locating reports: every coordinate system, addresses, and the manual-location queue instead of loss."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.coords import convert
from geo.crs import lonlat_to_metric, metric_to_lonlat
from geo.geocoder import Geocoder
from geo.jurisdiction_index import JurisdictionIndex
from ingest import Report, parse
from ingest.locate import GEOCODED, LOCATED, NEEDS_MANUAL, PLACED, Locator
from ingest.report import Point, SourceRef

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
ARRIVED = datetime(2026, 11, 6, 0, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def frames(demo_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    return {layer: gpd.read_file(demo_dir / f"{layer}.geojson") for layer in ("cells", "communities", "zones",
                                                                              "townships")}


@pytest.fixture(scope="module")
def locator(frames: dict[str, gpd.GeoDataFrame], demo_dir: Path) -> Locator:
    return Locator(JurisdictionIndex.from_frames(**frames), Geocoder.from_folder(demo_dir))


@pytest.fixture(scope="module")
def cells(frames: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Cells with an inner point far from their edges (a whole 100 m square), in lon/lat."""
    cells = frames["cells"]
    full = cells[cells["area_m2"] > 9999.0].head(200).copy()
    full["point"] = full.geometry.representative_point()
    return full


def report(n: int, point: Point | None = None, address: str | None = None, cell_code: str | None = None,
           item: str = "ZF001") -> Report:
    return Report(channel="patrol", external_id=f"L-{n}", received_at=ARRIVED, item_code=item, category=item,
                  source=SourceRef("test.json", n, "record"), description="卖水果的摊贩占道经营", address=address,
                  point=point, cell_code=cell_code)


def reports_of(channel: str, name: str) -> list[Report]:
    return [o for o in parse(channel, SAMPLES / name, received_at=ARRIVED) if isinstance(o, Report)]


@pytest.mark.parametrize("channel, name, located, geocoded", [
    ("dcm_12319", "dcm_12319.csv", 48, 1), ("grid_worker", "grid_worker.json", 47, 1),
    ("police_110", "police_110.jsonl", 35, 11), ("patrol", "patrol.json", 45, 0),
])
def test_every_sample_report_is_placed_or_waits_for_manual_location(locator: Locator, channel: str, name: str,
                                                                    located: int, geocoded: int) -> None:
    reports = reports_of(channel, name)
    placed = locator.locate(reports)
    assert len(placed) == len(reports)
    statuses = placed.status.tolist()
    assert statuses.count(LOCATED) == located and statuses.count(GEOCODED) == geocoded
    assert statuses.count(NEEDS_MANUAL) == len(reports) - located - geocoded
    inside = placed.placed
    assert all(placed.cell[inside]) and all(placed.township[inside]) and all(placed.community[inside])
    assert np.isfinite(placed.lon[inside]).all()


def test_hotline_addresses_are_geocoded_and_the_unsure_ones_wait_with_candidates(locator: Locator) -> None:
    reports = reports_of("hotline_12345", "hotline_12345.xlsx")
    placed = locator.locate(reports)
    manual = np.flatnonzero(placed.status == NEEDS_MANUAL)
    assert (placed.status == GEOCODED).sum() == len(reports) - len(manual) and 0 < len(manual) <= 5
    for i in manual:
        record = placed.record(int(i))
        assert record["reason"].startswith("address placed with low confidence") and record["cell"] is None
        assert record["candidates"] and record["candidates"][0]["source"] == "geocoder"


def test_gauss_kruger_points_are_converted_in_one_go_like_one_by_one(locator: Locator) -> None:
    reports = reports_of("dcm_12319", "dcm_12319.csv")
    placed = locator.locate(reports)
    for i, r in enumerate(reports):
        if r.point is None or placed.status[i] != LOCATED:
            continue
        lon, lat = convert(r.point.x, r.point.y, r.point.crs, "wgs84")
        assert (placed.lon[i], placed.lat[i]) == pytest.approx((float(lon), float(lat)), abs=1e-9)
        alone = locator.locate([r])
        assert alone.cell[0] == placed.cell[i]


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09", "EPSG:4548", "cgcs2000"])
def test_each_coordinate_system_lands_in_the_same_cell(locator: Locator, cells: gpd.GeoDataFrame, crs: str) -> None:
    lon = cells["point"].x.to_numpy()
    lat = cells["point"].y.to_numpy()
    if crs in ("wgs84", "cgcs2000"):
        x, y = lon, lat
    else:
        x, y = convert(lon, lat, "wgs84", crs)
    batch = [report(k, Point(float(a), float(b), crs)) for k, (a, b) in enumerate(zip(x, y, strict=True))]
    placed = locator.locate(batch)
    assert placed.status.tolist() == [LOCATED] * len(batch)
    assert placed.cell.tolist() == cells["code"].tolist()
    assert placed.lon == pytest.approx(lon, abs=1e-6)


def test_a_mixed_batch_keeps_its_order(locator: Locator, cells: gpd.GeoDataFrame) -> None:
    systems = ["wgs84", "gcj02", "bd09", "EPSG:4548"]
    batch = []
    for k, p in enumerate(cells["point"].head(40)):
        crs = systems[k % 4]
        x, y = (p.x, p.y) if crs == "wgs84" else convert(p.x, p.y, "wgs84", crs)
        batch.append(report(k, Point(float(x), float(y), crs)))
    placed = locator.locate(batch)
    assert placed.cell.tolist() == cells["code"].head(40).tolist()


def test_points_outside_wait_for_manual_location_with_the_nearest_township(
        locator: Locator, frames: dict[str, gpd.GeoDataFrame]) -> None:
    district = shapely.union_all(frames["townships"].to_crs("EPSG:4548").geometry.to_numpy())
    ring = district.buffer(80.0).exterior  # 80 m outside the district's border
    x, y = ring.coords[0]
    lon, lat = metric_to_lonlat(np.array([x]), np.array([y]))
    near = report(1, Point(float(lon[0]), float(lat[0]), "wgs84"))
    far = report(2, Point(119.5, 23.0, "wgs84"))
    placed = locator.locate([near, far])
    assert placed.status.tolist() == [NEEDS_MANUAL, NEEDS_MANUAL]
    assert "lies outside the jurisdiction, 80 m from" in placed.reason[0]
    [candidate] = placed.candidates[0]
    assert candidate["source"] == "nearest_township" and candidate["distance_m"] == pytest.approx(80, abs=1)
    assert "more than 200 m from any township" in placed.reason[1] and placed.candidates[1] == ()
    assert placed.cell[0] is None and placed.township[0] is None


def test_a_point_outside_with_an_address_is_placed_by_the_address(locator: Locator) -> None:
    outside = report(1, Point(119.5, 23.0, "wgs84"), address="同安区大同街道大同派出所")
    placed = locator.locate([outside])
    assert placed.status[0] == GEOCODED and placed.township[0] == "350212001"
    assert any("located from the address instead" in note for note in placed.notes[0])


def test_coordinates_that_are_no_position_wait_for_manual_location(locator: Locator, cells: gpd.GeoDataFrame) -> None:
    p = cells["point"].iloc[0]
    batch = [report(1, Point(p.x, p.y, "wgs84")), report(2, Point(200.0, 24.7, "wgs84")),
             report(3, Point(float("nan"), 24.7, "gcj02")), report(4, Point(616350.0, 99.0, "EPSG:4548"))]
    placed = locator.locate(batch)
    assert placed.status.tolist() == [LOCATED, NEEDS_MANUAL, NEEDS_MANUAL, NEEDS_MANUAL]
    assert "not a position" in placed.reason[1] and "not a position" in placed.reason[2]
    assert placed.reason[3] is not None


def test_addresses_that_name_nothing_wait_for_manual_location(locator: Locator) -> None:
    placed = locator.locate([report(1, address="不知道在哪里"), report(2, address="hello world")])
    assert placed.status.tolist() == [NEEDS_MANUAL, NEEDS_MANUAL]
    assert placed.reason[0].startswith("address not found") and placed.reason[1].startswith("address unreadable")


def test_without_a_geocoder_an_address_only_report_waits(frames: dict[str, gpd.GeoDataFrame]) -> None:
    bare = Locator(JurisdictionIndex.from_frames(**frames))
    placed = bare.locate([report(1, address="同安区大同街道大同派出所")])
    assert placed.status[0] == NEEDS_MANUAL and "no gazetteer" in placed.reason[0]


def test_a_cell_code_that_differs_from_the_located_cell_is_noted(locator: Locator, cells: gpd.GeoDataFrame) -> None:
    p = cells["point"].iloc[0]
    other = cells["code"].iloc[1]
    placed = locator.locate([report(1, Point(p.x, p.y, "wgs84"), cell_code=other),
                             report(2, Point(p.x, p.y, "wgs84"), cell_code=cells["code"].iloc[0])])
    assert placed.notes[0] == (f"channel cell code {other} differs from the located cell {cells['code'].iloc[0]}",)
    assert placed.notes[1] == ()


def test_geocoding_is_remembered_across_batches(locator: Locator) -> None:
    address = "同安区大同街道大同派出所"
    first = locator.locate([report(1, address=address)])
    assert address in locator._cache
    again = locator.locate([replace(report(2, address=address))])
    assert first.cell[0] == again.cell[0]


def test_an_operator_places_a_point(locator: Locator, cells: gpd.GeoDataFrame) -> None:
    p = cells["point"].iloc[3]
    x, y = lonlat_to_metric(np.array([p.x]), np.array([p.y]))
    placed = locator.locate_point(float(x[0]), float(y[0]), "cgcs2000-gk")
    assert placed["status"] == PLACED and placed["cell"] == cells["code"].iloc[3]
    assert locator.locate_point(119.5, 23.0)["status"] == NEEDS_MANUAL
