"""Start-up without a browser: prepare the store, build the app, answer requests, look up a clicked point.

One SQLite store is seeded from the demo city for the whole module (seeding is the slow part).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from dashboard import bootstrap
from dashboard.components import panel
from data.__main__ import main as data_main
from layers import registry
from store import open_store


@pytest.fixture(scope="module")
def prepared(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('bootstrap') / 'store.sqlite'}"
    runtime = bootstrap.prepare(demo_dir, url)
    yield runtime, url
    runtime.store.close()


@pytest.fixture
def client(sign_in):
    """A signed-in test client of the one app of the test process (see tests/dashboard/conftest.py)."""
    return sign_in("operator")


def test_prepare_seeds_an_empty_store_and_knows_the_demo_boundaries(prepared, demo_dir: Path) -> None:
    runtime, _ = prepared
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    counts = runtime.store.counts()
    for table in ("townships", "communities", "zones", "cells"):
        assert counts[table] == manifest["counts"][table]
    assert runtime.demo_boundaries is manifest["demo_boundaries"] is True
    assert runtime.jurisdiction_name == manifest["name"]
    min_lon, min_lat, max_lon, max_lat = runtime.extent
    assert 117.9 < min_lon < max_lon < 118.5 and 24.5 < min_lat < max_lat < 25.0  # Tong'an
    assert runtime.tile_url == ""


def test_prepare_again_keeps_the_seeded_store(prepared, demo_dir: Path, caplog) -> None:
    _, url = prepared
    caplog.set_level(logging.INFO)
    again = bootstrap.prepare(demo_dir, url)
    try:
        assert again.store.counts()["townships"] == prepared[0].store.counts()["townships"]
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("store holds") for m in messages)
        assert not any(m.startswith("seeded the store") for m in messages)
        assert any(re.search(r"migrated the sqlite store .* \(\d+\.\d\d s\)", m) for m in messages)
    finally:
        again.store.close()


def test_a_store_seeded_with_real_boundaries_is_used_as_it_is(tmp_path: Path, caplog) -> None:
    """Started with the default folder missing, a store seeded from imported boundaries is served as it
    is: no demo city is generated beside it and its boundaries are not called demo ones."""
    survey = tmp_path / "townships.geojson"
    gpd.GeoDataFrame(
        {"名称": ["甲街道", "乙镇"], "代码": ["350299001", "350299101"]},
        geometry=[shapely.box(611_000, 2_732_000, 612_000, 2_733_000), shapely.box(612_000, 2_732_000, 613_000, 2_733_000)],
        crs="EPSG:32650",
    ).to_file(survey)
    assert data_main(["import-boundaries", str(survey), "--zones", "2", "--out", str(tmp_path / "imported")]) == 0
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    seeded = open_store(url)
    seeded.upgrade()
    seeded.seed_jurisdiction(tmp_path / "imported")
    seeded.close()

    caplog.set_level(logging.INFO)
    missing = tmp_path / "demo"
    runtime = bootstrap.prepare(missing, url)
    try:
        assert not missing.exists()
        assert runtime.demo_boundaries is False
        assert runtime.jurisdiction_name.endswith("(imported from townships.geojson)")
        assert runtime.store.counts()["townships"] == 2
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("store holds") for m in messages)
        assert not any(m.startswith(("generated the demo city", "seeded the store")) for m in messages)
        assert any(m.startswith("jurisdiction ") and "real boundaries" in m for m in messages)
    finally:
        runtime.store.close()


def test_a_tile_server_is_taken_from_the_environment(prepared, demo_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("TILE_URL", "http://tiles.intranet.example/{z}/{x}/{y}.png")
    monkeypatch.setenv("TILE_ATTRIBUTION", "内网瓦片")
    runtime = bootstrap.prepare(demo_dir, prepared[1])
    try:
        assert runtime.tile_url.endswith("{y}.png") and runtime.tile_attribution == "内网瓦片"
    finally:
        runtime.store.close()


def test_the_page_and_its_scripts_are_served_locally(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "no script or stylesheet found in the page"
    assert [s for s in sources if re.match(r"(https?:)?//", s)] == []
    assert client.get("/assets/map.js").status_code == 200
    layout = client.get("/_dash-layout").get_json()
    assert "镇街综合行政执法指挥中心" in json.dumps(layout, ensure_ascii=False)
    inputs = {f"{i['id']}.{i['property']}" for c in client.get("/_dash-dependencies").get_json() for i in c["inputs"]}
    assert {"jur-map.bounds", "jur-map.zoom", "jur-map.clickData", "lang.data"} <= inputs


def test_responses_are_compressed(client) -> None:
    response = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"


def test_a_click_finds_the_township_community_zone_and_cell_under_it(prepared, demo_dir: Path) -> None:
    runtime, _ = prepared
    cells = gpd.read_file(demo_dir / "cells.geojson")
    cell = cells.iloc[len(cells) // 2]
    point = cell.geometry.representative_point()
    hits = panel.features_at(runtime.store, registry, point.x, point.y, "en")
    codes = {layer.name: feature["properties"]["code"] for layer, feature in hits}
    assert codes == {
        "townships": cell["township_code"],
        "communities": cell["community_code"],
        "zones": cell["zone_code"],
        "cells": cell["code"],
    }
    cards = panel.location(hits, point.x, point.y, "en", demo_boundaries=True)
    assert len(cards) == 2 + 4 + 1  # heading, coordinates, four cards, the 示意边界 note
    assert panel.features_at(runtime.store, registry, 100.0, 10.0, "zh") == []  # far outside the district


@pytest.mark.slow
def test_a_fresh_clone_generates_the_demo_city_first(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO)
    folder = tmp_path / "demo"
    runtime = bootstrap.prepare(folder, f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        assert (folder / "manifest.json").exists()
        assert runtime.store.counts()["townships"] == 11
        assert any(r.getMessage().startswith(f"generated the demo city in {folder}") for r in caplog.records)
    finally:
        runtime.store.close()
