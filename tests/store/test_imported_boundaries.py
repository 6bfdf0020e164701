"""Real boundaries end to end: a surveyor's file in a projected CRS → ``import-boundaries`` → seeded store.

The townships (and communities) below are drawn in WGS 84 / UTM 50N near 118.1°E 24.7°N, the way an
office might export them; the store must take the folder the import writes (only the four boundary layers,
the optional files absent), remember that its boundaries are real, and hold cells that tile the townships.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from data.__main__ import main as data_main
from geo.grid import SLIVER_SHARE
from store import open_store

ROOT = Path(__file__).resolve().parents[2]
UTM = "EPSG:32650"  # a projected CRS other than the district's EPSG:4548
BOUNDARY_FILES = ["cells.geojson", "communities.geojson", "townships.geojson", "zones.geojson"]
OPTIONAL_TABLES = ("roads", "places", "items", "item_authority", "teams", "officers")

JIA = shapely.box(611_000, 2_732_000, 613_000, 2_733_500)
YI = shapely.box(613_000, 2_732_000, 615_000, 2_734_000)
BING = shapely.Polygon([(611_000, 2_733_500), (613_000, 2_733_500), (613_000, 2_735_000), (611_700, 2_735_300)])
TOWNSHIPS = gpd.GeoDataFrame(
    {"名称": ["甲街道", "乙镇", "丙镇"], "代码": ["350299001", "350299101", "350299102"]}, geometry=[JIA, YI, BING], crs=UTM
)
JIA_EAST, JIA_WEST = sorted(  # split along the diagonal, so cells are clipped off the grid's lines
    shapely.ops.split(JIA, shapely.LineString([(611_000, 2_732_000), (613_000, 2_733_500)])).geoms,
    key=lambda piece: -piece.centroid.x,
)
COMMUNITIES = gpd.GeoDataFrame(
    {"name": ["一社区居委会", "二村委会", "三村", "四社区", "五社区"],
     "code": ["350299001001", "350299001201", "350299101201", "350299101001", "350299102001"]},
    geometry=[JIA_EAST, JIA_WEST, shapely.box(613_000, 2_732_000, 614_200, 2_734_000),
              shapely.box(614_200, 2_732_000, 615_000, 2_734_000), BING],
    crs=UTM,
)


@pytest.fixture(scope="module")
def imported_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``python -m data import-boundaries`` writes for the townships and communities above."""
    source = tmp_path_factory.mktemp("survey")
    TOWNSHIPS.to_file(source / "townships.gpkg")
    COMMUNITIES.to_file(source / "communities.geojson")
    out = source / "imported"
    code = data_main(["import-boundaries", str(source / "townships.gpkg"),
                      "--communities", str(source / "communities.geojson"), "--zones", "4", "--out", str(out)])
    assert code == 0
    return out


def test_an_imported_folder_seeds_with_real_boundaries(database_url: str, imported_dir: Path) -> None:
    manifest = json.loads((imported_dir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == BOUNDARY_FILES  # the optional files are absent
    store = open_store(database_url)
    store.upgrade()
    loaded = store.seed_jurisdiction(imported_dir)
    assert loaded == {stem: manifest["counts"][stem] for stem in ("townships", "communities", "zones", "cells")}
    assert loaded["townships"] == 3 and loaded["communities"] == 5
    counts = store.counts()
    assert all(counts[table] == 0 for table in OPTIONAL_TABLES)

    info = store.jurisdiction_info()
    assert info["demo_boundaries"] is False
    assert info["name"] == manifest["name"] and "imported from townships.gpkg" in info["name"]
    assert info["generator"] == "geo.boundaries" and info["seed"] is None
    assert info["counts"] == manifest["counts"] and info["files"] == manifest["files"]

    townships = store.townships()
    assert dict(zip(townships["code"], townships["kind"], strict=True)) == {
        "350299001": "街道", "350299101": "镇", "350299102": "镇"}
    communities = store.communities()
    assert dict(zip(communities["code"], communities["township_code"], strict=True)) == {
        "350299001001": "350299001", "350299001201": "350299001", "350299101001": "350299101",
        "350299101201": "350299101", "350299102001": "350299102"}
    assert store.extent()[0] == pytest.approx(118.1, abs=0.02) and store.extent()[1] == pytest.approx(24.7, abs=0.02)


def test_the_cells_tile_the_townships(database_url: str, imported_dir: Path) -> None:
    """No gap, no overlap, each cell in its own township and community, on the grid the store names."""
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(imported_dir)
    info = store.jurisdiction_info()
    metric, size = info["metric_crs"], info["cell_size_m"]
    townships = store.townships().to_crs(metric).set_index("code")
    cells = store.cells().to_crs(metric)
    assert cells["zone_code"].notna().all()
    assert (cells["code"].str[:12] == cells["community_code"]).all()
    assert (cells["community_code"].str[:9] == cells["township_code"]).all()

    for code, township in townships.geometry.items():
        own = cells.geometry[cells["township_code"] == code].to_numpy()
        union = shapely.union_all(own)
        # coordinates are stored to 7 decimals (about 1 cm): a band that wide along the border is allowed
        assert shapely.symmetric_difference(union, township).area < 0.01 * township.length, f"gap in {code}"
        assert abs(shapely.area(own).sum() - union.area) < 1e-6 * township.area, f"cells of {code} overlap"

    # a cell is its grid square (col, row) clipped to the community, perhaps with slivers of neighbouring
    # squares merged in: the square it is named after holds at least a fifth of a square of it
    squares = shapely.box(cells["col"] * size, cells["row"] * size, (cells["col"] + 1) * size, (cells["row"] + 1) * size)
    own_part = shapely.area(shapely.intersection(cells.geometry.to_numpy(), squares))
    assert own_part.min() >= 0.999 * SLIVER_SHARE * size * size


def test_command_line_round_trip(tmp_path: Path) -> None:
    """``python -m data import-boundaries FILE --out DIR`` then ``python -m store seed DIR``, as documented."""
    townships = tmp_path / "townships.geojson"
    TOWNSHIPS.to_file(townships)  # without communities: the import draws them
    out = tmp_path / "imported"
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {**os.environ, "DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300)

    done = run("data", "import-boundaries", str(townships), "--out", str(out))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == BOUNDARY_FILES and manifest["demo_boundaries"] is False

    done = run("store", "seed", str(out))
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[0])
    assert loaded == {stem: manifest["counts"][stem] for stem in ("townships", "communities", "zones", "cells")}

    store = open_store(url)
    info = store.jurisdiction_info()
    assert info["demo_boundaries"] is False and info["name"] == manifest["name"]
    assert set(store.communities()["name"].str.extract(r"^(.+)第\d+社区\(生成\)$")[0]) == {"甲街道", "乙镇", "丙镇"}
    store.close()
