"""Queries: bounding boxes through each backend's index give exactly the rows shapely would pick."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from store import InvalidData, NotFound, open_store
from store.jurisdiction import read_jurisdiction

BOXES = [
    (118.105, 24.705, 118.106, 24.706),  # a few cells inside one community
    (118.1095, 24.70, 118.1105, 24.72),  # along the border of two communities
    (118.119, 24.709, 118.121, 24.711),  # across the border of two townships
    (118.1440, 24.7010, 118.1441, 24.7011),  # inside the MultiPolygon's small part only
    (118.141, 24.701, 118.1415, 24.7015),  # in the gap between the MultiPolygon's parts
    (118.0, 24.0, 118.01, 24.01),  # far away
    (118.0, 24.0, 119.0, 25.0),  # everything
    (118.1055, 24.7055, 118.1055, 24.7055),  # a map click: a box without width or height
    (118.105, 24.70, 118.105, 24.72),  # a box without width: a north–south line
]


def _expected(rows, bbox) -> list[str]:
    hits = shapely.intersects(rows.geoms, shapely.envelope(shapely.multipoints([bbox[:2], bbox[2:]])))
    return sorted(code for code, hit in zip(rows.columns["code"], hits, strict=True) if hit)


@pytest.fixture
def seeded(database_url: str, tiny_dir: Path):
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(tiny_dir)
    return store, read_jurisdiction(tiny_dir).tables


@pytest.mark.parametrize("bbox", BOXES)
def test_bbox_selects_exactly_what_intersects(seeded, bbox) -> None:
    store, source = seeded
    for name, frame in (("townships", store.townships(bbox=bbox)), ("communities", store.communities(bbox=bbox)),
                        ("zones", store.zones(bbox=bbox)), ("cells", store.cells(bbox=bbox))):
        assert frame["code"].tolist() == _expected(source[name], bbox), name
        assert frame.crs.to_epsg() == 4326


def test_filters_and_limit(seeded) -> None:
    store, source = seeded
    assert store.communities(township_code="350212001")["code"].tolist() == ["350212001001", "350212001002"]
    assert store.zones(township_code="350212101")["code"].tolist() == ["35021210101"]
    cells = store.cells(township_code="350212101")
    assert set(cells["township_code"]) == {"350212101"} and len(cells) > 0
    assert store.cells(limit=5)["code"].tolist() == sorted(source["cells"].columns["code"])[:5]
    box = BOXES[1]
    assert store.cells(bbox=box, limit=3)["code"].tolist() == _expected(source["cells"], box)[:3]
    within = store.cells(bbox=box, township_code="350212001")
    assert within["code"].tolist() == _expected(source["cells"], box)
    assert store.teams(township_code="350212101")["code"].tolist() == ["T101"]


def test_empty_result_keeps_columns_and_crs(seeded) -> None:
    store, _ = seeded
    frame = store.cells(bbox=BOXES[5])
    assert len(frame) == 0
    assert list(frame.columns) == ["code", "community_code", "township_code", "zone_code", "col", "row", "area_m2", "geometry"]
    assert frame.crs.to_epsg() == 4326


def test_bad_bbox_is_refused(seeded) -> None:
    store, _ = seeded
    with pytest.raises(InvalidData, match="min must not exceed max"):
        store.cells(bbox=(118.2, 24.7, 118.1, 24.8))
    with pytest.raises(InvalidData, match="expected"):
        store.cells(bbox=(118.1, 24.7))


def test_extent(seeded) -> None:
    store, source = seeded
    assert store.extent() == pytest.approx(tuple(shapely.total_bounds(source["townships"].geoms)), abs=0)


def test_extent_of_an_empty_store(database_url: str) -> None:
    store = open_store(database_url)
    store.upgrade()
    with pytest.raises(NotFound, match="seed a jurisdiction"):
        store.extent()


@pytest.mark.postgis
def test_backends_agree(sqlite_url: str, postgis_url: str, tiny_dir: Path) -> None:
    """The same folder in both stores: the same codes for every box, the same bytes for every geometry."""
    stores = [open_store(sqlite_url), open_store(postgis_url)]
    for store in stores:
        store.upgrade()
        store.seed_jurisdiction(tiny_dir)
    assert stores[0].counts() == stores[1].counts()
    assert stores[0].extent() == stores[1].extent()
    for bbox in BOXES:
        lite, gis = (s.cells(bbox=bbox) for s in stores)
        assert lite["code"].tolist() == gis["code"].tolist()
        assert shapely.to_wkb(lite.geometry.values).tolist() == shapely.to_wkb(gis.geometry.values).tolist()
        assert lite.drop(columns="geometry").equals(gis.drop(columns="geometry"))
