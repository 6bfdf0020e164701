"""Importing real boundaries: a clean file becomes a jurisdiction folder; every bad one is refused with a
message naming the feature and the problem, and nothing is written."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from data.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
UTM = "EPSG:32650"  # WGS 84 / UTM 50N: a projected CRS other than the district's
TOWNSHIPS = {"名称": ["甲街道", "乙镇"], "代码": ["350299001", "350299101"]}
TOWNSHIP_SHAPES = [shapely.box(616_000, 2_736_000, 619_000, 2_738_000), shapely.box(619_000, 2_736_000, 622_000, 2_739_000)]
COMMUNITIES = {"name": ["一社区居委会", "二村委会", "三村委会", "四村"],
               "code": ["350299001001", "350299001201", "350299101201", "350299101202"]}
COMMUNITY_SHAPES = [shapely.box(616_000, 2_736_000, 617_500, 2_738_000), shapely.box(617_500, 2_736_000, 619_000, 2_738_000),
                    shapely.box(619_000, 2_736_000, 620_500, 2_739_000), shapely.box(620_500, 2_736_000, 622_000, 2_739_000)]


def _write(tmp_path: Path, name: str, columns: dict, shapes: list, crs: str | None = UTM) -> Path:
    path = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns when asked to write a file without a CRS: that is the point
        gpd.GeoDataFrame(columns, geometry=shapes, crs=crs).to_file(path)
    return path


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(["import-boundaries", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_townships_and_communities_become_a_jurisdiction_folder(tmp_path: Path, capsys) -> None:
    townships = _write(tmp_path, "townships.gpkg", TOWNSHIPS, TOWNSHIP_SHAPES)
    communities = _write(tmp_path, "communities.geojson", COMMUNITIES, COMMUNITY_SHAPES)
    out = tmp_path / "out"
    out.mkdir()
    (out / "roads.geojson").write_text("stale demo layer")  # must not survive into an imported folder
    code, stdout, _ = _run(capsys, townships, "--communities", communities, "--out", out, "--zones", 6)
    assert code == 0 and "cells" in stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["demo_boundaries"] is False and manifest["metric_crs"] == "EPSG:4548"
    assert sorted(manifest["files"]) == ["cells.geojson", "communities.geojson", "townships.geojson", "zones.geojson"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["files"], "manifest.json"])
    t = gpd.read_file(out / "townships.geojson")
    assert t.crs.to_epsg() == 4326
    assert dict(zip(t["name"], t["kind"], strict=True)) == {"甲街道": "街道", "乙镇": "镇"}
    assert set(t["name_en"]) == {"Jia Subdistrict", "Yi Town"}
    c = gpd.read_file(out / "communities.geojson").set_index("code")
    assert c.loc["350299001201", "name"] == "二村" and c.loc["350299001201", "official_name"] == "二村委会"
    assert c.loc["350299001001", "kind"] == "社区" and c.loc["350299101202", "kind"] == "村"
    assert c.loc["350299101201", "township_code"] == "350299101"
    cells = gpd.read_file(out / "cells.geojson")
    assert manifest["counts"]["cells"] == len(cells) and cells["zone_code"].notna().all()
    assert (cells["code"].str[:12].isin(c.index)).all()
    zones = gpd.read_file(out / "zones.geojson")
    assert len(zones) == 6 and set(zones["township_code"]) == {"350299001", "350299101"}
    assert shapely.coverage_is_valid(zones.geometry.to_numpy())


def test_without_communities_each_township_is_split(tmp_path: Path, capsys) -> None:
    townships = _write(tmp_path, "townships.geojson", TOWNSHIPS, TOWNSHIP_SHAPES)
    out = tmp_path / "out"
    code, _, _ = _run(capsys, townships, "--out", out)
    assert code == 0
    c = gpd.read_file(out / "communities.geojson")
    assert c["code"].str.fullmatch(r"\d{12}").all()
    assert c["name"].str.fullmatch(r"(甲街道|乙镇)第\d+社区\(生成\)").all()
    assert len(c[c["township_code"] == "350299101"]) == 3  # 9 km² in pieces of about 3 km²
    t = gpd.read_file(out / "townships.geojson").to_crs("EPSG:4548")
    for town in t.itertuples():
        union = shapely.union_all(c.to_crs("EPSG:4548").geometry[c["township_code"] == town.code].to_numpy())
        assert shapely.symmetric_difference(union, town.geometry).area < 1e-6 * town.geometry.area


def _bad(tmp_path: Path, case: str) -> list[str | Path]:
    """Arguments for one bad input (townships file first)."""
    shapes = list(TOWNSHIP_SHAPES)
    names = dict(TOWNSHIPS)
    c_shapes, c_names = list(COMMUNITY_SHAPES), dict(COMMUNITIES)
    if case == "no file":
        return [tmp_path / "missing.geojson"]
    if case == "no crs":
        path = _write(tmp_path, "t.shp", {"name": names["名称"], "code": names["代码"]}, shapes, crs=None)
        path.with_suffix(".prj").unlink(missing_ok=True)
        return [path]
    if case == "empty":
        path = tmp_path / "t.geojson"
        path.write_text('{"type":"FeatureCollection","features":[]}')
        return [path]
    if case == "invalid polygon":
        shapes[1] = shapely.Polygon([(619_000, 2_736_000), (622_000, 2_739_000), (622_000, 2_736_000), (619_000, 2_739_000)])
    elif case == "overlap":
        shapes[1] = shapely.box(618_500, 2_736_000, 622_000, 2_739_000)
    elif case == "not a polygon":
        shapes[1] = shapely.Point(620_000, 2_737_000)
    elif case == "no name column":
        names = {"label": names["名称"], "代码": names["代码"]}
    elif case == "no code column":
        names = {"名称": names["名称"], "id": [1, 2]}
    elif case == "bad code":
        names = {"名称": names["名称"], "代码": ["350299001", "35029"]}
    elif case == "duplicate code":
        names = {"名称": names["名称"], "代码": ["350299001", "350299001"]}
    elif case == "community outside":
        c_shapes[3] = shapely.box(630_000, 2_736_000, 631_000, 2_737_000)
    elif case == "community straddles":
        c_shapes[1] = shapely.box(617_500, 2_736_000, 619_500, 2_738_000)
        c_shapes[2] = shapely.box(619_500, 2_736_000, 620_500, 2_739_000)
    elif case == "community code of another township":
        c_names["code"] = [*c_names["code"][:1], "350299101203", *c_names["code"][2:]]
    elif case == "township not covered":
        c_shapes[3] = shapely.box(620_500, 2_736_000, 621_500, 2_739_000)
    townships = _write(tmp_path, "t.geojson", names, shapes)
    communities = _write(tmp_path, "c.geojson", c_names, c_shapes)
    return [townships, "--communities", communities]


BAD_CASES = {
    "no file": ["missing.geojson", "no such file"],
    "no crs": ["t.shp", "no coordinate reference system"],
    "empty": ["t.geojson", "no features"],
    "invalid polygon": ["feature 2 '乙镇' code 350299101", "invalid polygon", "Self-intersection"],
    "overlap": ["feature 1 '甲街道' code 350299001 and feature 2 '乙镇' code 350299101 overlap by 1,000,"],  # 1 km² in UTM, a little more in EPSG:4548
    "not a polygon": ["feature 2 '乙镇'", "geometry is a Point"],
    "no name column": ["no name column", "label", "--name-column"],
    "no code column": ["no code column", "id", "--code-column"],
    "bad code": ["feature 2 '乙镇'", "'35029' is not a 9-digit division code"],
    "duplicate code": ["feature 2 '乙镇' code 350299001", "already used by feature 1"],
    "community outside": ["community feature 4 '四村' code 350299101202", "lies outside every township"],
    "community straddles": ["community feature 2 '二村' code 350299001201", "straddles 甲街道 and 乙镇"],
    "community code of another township": ["community feature 2 '二村' code 350299101203",
                                           "lies in 甲街道 (code 350299001), but its code does not start"],
    "township not covered": ["township feature 2 '乙镇'", "communities cover only 83.3%"],
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_refused_naming_the_feature_and_writing_nothing(tmp_path: Path, capsys, case: str) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = _run(capsys, *_bad(tmp_path, case), "--out", out)
    assert code == 2
    assert stdout == "" and "nothing written" in stderr
    for fragment in BAD_CASES[case]:
        assert fragment in stderr, f"{fragment!r} not in {stderr!r}"
    assert not out.exists()


def test_the_command_line_exits_with_status_2_on_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _bad(tmp_path, "overlap")
    done = subprocess.run([sys.executable, "-m", "data", "import-boundaries", *map(str, args), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "overlap by" in done.stderr and done.stdout == ""
    assert not out.exists()
