"""The full demo city (data.demo_city) seeds into both backends, and both then answer alike."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from store import Conflict, open_store
from store.jurisdiction import read_jurisdiction

pytestmark = pytest.mark.slow

FILE_TABLE = {"authority": "item_authority"}  # every other file stem is its table's name


def test_demo_city_seeds_with_the_manifest_counts(database_url: str, demo_dir: Path) -> None:
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    store = open_store(database_url)
    store.upgrade()
    loaded = store.seed_jurisdiction(demo_dir)
    counts = store.counts()
    for stem, expected in manifest["counts"].items():
        table = FILE_TABLE.get(stem, stem)
        assert loaded[table] == counts[table] == expected, stem
    assert counts["cells"] > 10_000
    min_lon, min_lat, max_lon, max_lat = store.extent()
    assert 117.9 < min_lon < max_lon < 118.5 and 24.5 < min_lat < max_lat < 25.0  # 同安区
    with pytest.raises(Conflict):
        store.seed_jurisdiction(demo_dir)


@pytest.mark.postgis
def test_demo_city_answers_alike_on_both_backends(sqlite_url: str, postgis_url: str, demo_dir: Path) -> None:
    source = read_jurisdiction(demo_dir).tables["cells"]
    stores = [open_store(sqlite_url), open_store(postgis_url)]
    for store in stores:
        store.upgrade()
        store.seed_jurisdiction(demo_dir)
    lite, gis = (s.cells() for s in stores)
    expected = shapely.to_wkb(source.geoms)
    order = np.argsort(source.columns["code"])
    assert lite["code"].tolist() == gis["code"].tolist() == [source.columns["code"][i] for i in order]
    assert shapely.to_wkb(lite.geometry.values).tolist() == shapely.to_wkb(gis.geometry.values).tolist() == expected[order].tolist()
    rng = np.random.default_rng(7)
    west, south, east, north = stores[0].extent()
    for _ in range(20):  # random viewports of 0.5–5 km, tested against shapely on the source file
        size = rng.uniform(0.005, 0.05)
        lon, lat = rng.uniform(west, east - size), rng.uniform(south, north - size)
        bbox = (lon, lat, lon + size, lat + size)
        hits = shapely.intersects(source.geoms, shapely.box(*bbox))
        want = sorted(code for code, hit in zip(source.columns["code"], hits, strict=True) if hit)
        assert stores[0].cells(bbox=bbox)["code"].tolist() == stores[1].cells(bbox=bbox)["code"].tolist() == want
        assert stores[0].communities(bbox=bbox)["code"].tolist() == stores[1].communities(bbox=bbox)["code"].tolist()
