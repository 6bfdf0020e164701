"""Seeding a jurisdiction folder: all of it or nothing, into an empty store only, checked first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import shapely
import sqlalchemy as sa

from store import Conflict, InvalidData, NotFound, open_store
from store.jurisdiction import read_jurisdiction
from store.models import Item

FILE_TABLE = {
    "townships": "townships", "communities": "communities", "cells": "cells", "zones": "zones",
    "roads": "roads", "places": "places", "items": "items", "authority": "item_authority",
    "teams": "teams", "officers": "officers",
}


def _seeded(url: str, folder: Path):
    store = open_store(url)
    store.upgrade()
    return store, store.seed_jurisdiction(folder)


def test_seed_loads_every_file(database_url: str, tiny_dir: Path) -> None:
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    store, loaded = _seeded(database_url, tiny_dir)
    counts = store.counts()
    for stem, expected in manifest["counts"].items():
        assert loaded[FILE_TABLE[stem]] == counts[FILE_TABLE[stem]] == expected, stem
    assert counts["cases"] == counts["reports"] == 0
    assert not store.is_empty()


def test_the_store_keeps_the_manifest(database_url: str, tiny_dir: Path) -> None:
    """What the folder said about itself is answered by the store alone, the folder gone."""
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    store = open_store(database_url)
    store.upgrade()
    with pytest.raises(NotFound, match="no jurisdiction stored yet"):
        store.jurisdiction_info()
    before = datetime.now(UTC)
    store.seed_jurisdiction(tiny_dir)
    for path in tiny_dir.iterdir():
        path.unlink()
    info = store.jurisdiction_info()
    seeded_at = info.pop("seeded_at")
    assert info == {
        "name": "tiny test city", "demo_boundaries": True, "metric_crs": "EPSG:4548", "cell_size_m": 100.0,
        "generator": "tests/store/conftest.py", "seed": 1, "counts": manifest["counts"], "files": manifest["files"],
    }
    assert seeded_at.tzinfo is UTC and before - timedelta(seconds=1) <= seeded_at <= datetime.now(UTC)
    assert store.counts()["jurisdiction"] == 1


def test_reseed_is_refused_and_changes_nothing(database_url: str, tiny_dir: Path) -> None:
    store, _ = _seeded(database_url, tiny_dir)
    before = store.counts()
    with pytest.raises(Conflict, match="already holds a jurisdiction"):
        store.seed_jurisdiction(tiny_dir)
    assert store.counts() == before


def test_seed_is_one_transaction(database_url: str, tiny_dir: Path) -> None:
    """A failure late in the load (a clashing item) leaves not even the townships behind."""
    store = open_store(database_url)
    store.upgrade()
    with store.session() as session:
        session.add(Item(code="SC001", name="x", name_en="x", domain="x", default_priority=3, time_limit_hours=1))
    with pytest.raises(Conflict):
        store.seed_jurisdiction(tiny_dir)
    assert store.is_empty()
    assert store.counts()["cells"] == 0 and store.counts()["items"] == 1
    assert store.counts()["jurisdiction"] == 0


def test_optional_files_may_be_absent(database_url: str, tiny_dir: Path, rewrite_manifest) -> None:
    for name in ("roads.geojson", "places.csv", "teams.csv", "officers.csv", "items.csv", "authority.csv"):
        (tiny_dir / name).unlink()
    rewrite_manifest(tiny_dir)
    store, loaded = _seeded(database_url, tiny_dir)
    assert set(loaded) == {"townships", "communities", "zones", "cells"}
    assert store.counts()["teams"] == 0 and len(store.teams()) == 0 and len(store.officers()) == 0


def test_geometry_round_trips_exactly(database_url: str, tiny_dir: Path) -> None:
    source = read_jurisdiction(tiny_dir).tables
    store, _ = _seeded(database_url, tiny_dir)
    for name, frame in (("townships", store.townships()), ("communities", store.communities()),
                        ("zones", store.zones()), ("cells", store.cells()), ("teams", store.teams())):
        rows = source[name]
        expected = dict(zip(rows.columns["code"], shapely.to_wkb(rows.geoms), strict=True))
        got = dict(zip(frame["code"], shapely.to_wkb(frame.geometry.values), strict=True))
        assert got == expected, name
    assert store.townships().geometry.geom_type.tolist() == ["Polygon", "MultiPolygon"]


def test_attributes_come_back_as_in_the_files(database_url: str, tiny_dir: Path) -> None:
    store, _ = _seeded(database_url, tiny_dir)
    townships = store.townships()
    assert list(townships.columns) == ["code", "name", "name_en", "kind", "area_km2", "geometry"]
    assert townships.crs.to_epsg() == 4326
    assert townships["name"].tolist() == ["大同街道", "五显镇"]
    cells = store.cells()
    assert list(cells.columns) == ["code", "community_code", "township_code", "zone_code", "col", "row", "area_m2", "geometry"]
    assert cells["code"].is_monotonic_increasing
    assert cells["zone_code"].isna().sum() == (cells["community_code"] == "350212001002").sum() > 0
    teams = store.teams()
    assert teams["code"].tolist() == ["T001", "T001A", "T101"]
    assert teams.set_index("code")["parent_code"].dropna().to_dict() == {"T001A": "T001"}
    officers = store.officers(team_code="T001")
    assert officers["code"].tolist() == ["O0001", "O0002"]
    assert officers["certified"].tolist() == [True, False]


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "cells.geojson").write_text((d / "cells.geojson").read_text() + " "), "cells.geojson: sha256"),
    (lambda d: (d / "zones.geojson").unlink(), "zones.geojson: listed in manifest.json but missing"),
    (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json: not valid JSON"),
    (lambda d: (d / "manifest.json").unlink(), "manifest.json: missing"),
])
def test_bad_manifest_or_checksum_is_refused_naming_the_file(sqlite_url: str, tiny_dir: Path, damage, message) -> None:
    damage(tiny_dir)
    store = open_store(sqlite_url)
    store.upgrade()
    with pytest.raises(InvalidData, match=message):
        store.seed_jurisdiction(tiny_dir)
    assert store.is_empty()


@pytest.mark.parametrize("key, value, message", [
    ("demo_boundaries", None, r"'demo_boundaries' missing or not a boolean"),
    ("demo_boundaries", "false", r"'demo_boundaries' missing or not a boolean"),
    ("name", " ", r"'name' and 'metric_crs' must not be blank"),
    ("metric_crs", 4548, r"'metric_crs' missing or not a string"),
    ("cell_size_m", 0, r"'cell_size_m' must be a positive number of metres, not 0"),
    ("seed", "350212", r"'seed' must be an integer or null"),
])
def test_manifest_facts_the_store_keeps_are_checked(tiny_dir: Path, key: str, value, message: str) -> None:
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    if value is None:
        del manifest[key]
    else:
        manifest[key] = value
    (tiny_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InvalidData, match=rf"manifest.json: {message}"):
        read_jurisdiction(tiny_dir)


def test_required_layer_missing_from_manifest(tiny_dir: Path) -> None:
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    del manifest["files"]["townships.geojson"]
    (tiny_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InvalidData, match="townships.geojson: required"):
        read_jurisdiction(tiny_dir)


def test_unlisted_file_is_refused(tiny_dir: Path) -> None:
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    del manifest["files"]["roads.geojson"]
    (tiny_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InvalidData, match="roads.geojson: in the folder but not listed"):
        read_jurisdiction(tiny_dir)


def test_wrong_count_is_refused(tiny_dir: Path, rewrite_manifest) -> None:
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    rewrite_manifest(tiny_dir, {**manifest["counts"], "cells": manifest["counts"]["cells"] + 1})
    with pytest.raises(InvalidData, match="cells.geojson: manifest.json counts"):
        read_jurisdiction(tiny_dir)


def _edit_feature(folder: Path, file: str, index: int, **changes) -> None:
    collection = json.loads((folder / file).read_text())
    feature = collection["features"][index]
    for key, value in changes.items():
        if key == "geometry":
            feature["geometry"] = value
        else:
            feature["properties"][key] = value
    (folder / file).write_text(json.dumps(collection, ensure_ascii=False))


@pytest.mark.parametrize("file, index, changes, message", [
    ("communities.geojson", 1, {"township_code": "350212999"},
     r"communities.geojson: feature 2 \(code 350212001002\): township_code 350212999 is not in townships.geojson"),
    ("townships.geojson", 0, {"code": "35021"}, r"townships.geojson: feature 1 \(code 35021\): code '35021' does not match"),
    ("townships.geojson", 0, {"kind": "县"}, r"feature 1 \(code 350212001\): kind '县'"),
    ("cells.geojson", 0, {"col": "12"}, r"cells.geojson: feature 1 \(code 350212001001001\): col: expected int"),
    ("cells.geojson", 2, {"code": "350212001001001"}, r"cells.geojson: feature 3 \(code 350212001001001\): code 350212001001001 repeats feature 1"),
    ("zones.geojson", 0, {"cell_count": 1}, r"zones.geojson: feature 1 \(code 35021200101\): cell_count 1, but"),
    ("cells.geojson", 0, {"geometry": None}, r"cells.geojson: feature 1 \(code 350212001001001\): geometry None"),
    ("cells.geojson", 0, {"geometry": {"type": "Point", "coordinates": [118.1, 24.7]}}, r"geometry 'Point', expected"),
    ("townships.geojson", 0, {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}},
     r"townships.geojson: feature 1 \(code 350212001\): invalid polygon \(Self-intersection"),
    ("townships.geojson", 0, {"geometry": {"type": "Polygon", "coordinates": [[[440000, 2730000], [441000, 2730000], [441000, 2731000], [440000, 2730000]]]}},
     r"is not lon/lat"),
])
def test_bad_feature_is_refused_naming_file_and_feature(
    tiny_dir: Path, rewrite_manifest, file: str, index: int, changes: dict, message: str
) -> None:
    _edit_feature(tiny_dir, file, index, **changes)
    rewrite_manifest(tiny_dir)
    with pytest.raises(InvalidData, match=message):
        read_jurisdiction(tiny_dir)


@pytest.mark.parametrize("file, old, new, message", [
    ("officers.csv", "O0003,黄伟,T001A", "O0003,黄伟,T999", r"officers.csv: line 4 \(code O0003\): team_code T999 is not in teams.csv"),
    ("officers.csv", "T001,true", "T001,yes", r"officers.csv: line 2 \(code O0001\): certified: expected true or false"),
    ("teams.csv", "T001,大同中队,Datong Squad,350212001,squad,综合执法,", "T001,大同中队,Datong Squad,350212001,squad,综合执法,T001A",
     r"teams.csv: team T001A?: parent_code forms a cycle"),
    ("authority.csv", "SC001,部门,市场监管", "SC001,部门,", r"authority.csv: line 4: department must be given for 部门"),
    ("places.csv", "118.1301,24.7102", "not-a-number,24.7102", r"places.csv: line 3 \(code P2\): lon: could not convert"),
])
def test_bad_csv_row_is_refused_naming_file_and_line(
    tiny_dir: Path, rewrite_manifest, file: str, old: str, new: str, message: str
) -> None:
    text = (tiny_dir / file).read_text(encoding="utf-8")
    assert old in text
    (tiny_dir / file).write_text(text.replace(old, new), encoding="utf-8")
    rewrite_manifest(tiny_dir)
    with pytest.raises(InvalidData, match=message):
        read_jurisdiction(tiny_dir)


def test_sqlite_rtree_follows_the_rows(sqlite_url: str, tiny_dir: Path) -> None:
    store, loaded = _seeded(sqlite_url, tiny_dir)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from cells_rtree")).scalar() == loaded["cells"]
        assert conn.execute(sa.text("select count(*) from townships_rtree")).scalar() == 2


def test_csv_not_in_utf8_is_refused(tiny_dir: Path, rewrite_manifest) -> None:
    text = (tiny_dir / "officers.csv").read_text(encoding="utf-8")
    (tiny_dir / "officers.csv").write_bytes(text.encode("gbk"))
    rewrite_manifest(tiny_dir)
    with pytest.raises(InvalidData, match="officers.csv: not UTF-8"):
        read_jurisdiction(tiny_dir)


def test_feature_that_is_not_a_feature_is_refused(tiny_dir: Path, rewrite_manifest) -> None:
    collection = json.loads((tiny_dir / "zones.geojson").read_text())
    collection["features"][1] = ["not", "a", "feature"]
    (tiny_dir / "zones.geojson").write_text(json.dumps(collection))
    rewrite_manifest(tiny_dir)
    with pytest.raises(InvalidData, match="zones.geojson: feature 2: not a GeoJSON Feature"):
        read_jurisdiction(tiny_dir)
