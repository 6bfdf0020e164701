"""A tiny but complete jurisdiction folder, built per test: 2 townships, 3 communities, cells, 2 zones.

Small enough to seed in milliseconds, complete enough to exercise every file of the contract: a
MultiPolygon township, a cell without a zone, a sub-squad listed before its parent squad, a 部门 authority
row. Cells are real 100 m squares of the EPSG:4548 grid, numbered west→east then north→south.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping

METRIC_CRS = "EPSG:4548"
TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

TOWNSHIPS = [
    # code, name, name_en, kind, geometry (lon/lat)
    ("350212001", "大同街道", "Datong Subdistrict", "街道", box(118.100, 24.700, 118.120, 24.720)),
    ("350212101", "五显镇", "Wuxian Town", "镇", shapely.MultiPolygon([
        box(118.120, 24.700, 118.140, 24.720), box(118.142, 24.700, 118.146, 24.704),
    ])),
]
COMMUNITIES = [
    # code, name, official_name, name_en, kind, township_code, geometry
    ("350212001001", "东山社区", "东山社区居委会", "Dongshan Community", "社区", "350212001",
     box(118.100, 24.700, 118.110, 24.720)),
    ("350212001002", "西山社区", "西山社区居委会", "Xishan Community", "社区", "350212001",
     box(118.110, 24.700, 118.120, 24.720)),
    ("350212101201", "五显村", "五显村委会", "Wuxian Village", "村", "350212101", TOWNSHIPS[1][4]),
]
ZONE_OF_COMMUNITY = {"350212001001": "35021200101", "350212101201": "35021210101"}  # 西山 has no zone


def _to_metric(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_METRIC.transform(xy[:, 0], xy[:, 1])))


def _to_lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1])))


def _area_m2(geom: shapely.Geometry) -> float:
    return _to_metric(geom).area


def _cells_of(community_code: str, township_code: str, area: shapely.Geometry) -> list[dict]:
    """Grid squares whose whole square lies inside the community, numbered west→east, north→south."""
    metric = _to_metric(area)
    min_x, min_y, max_x, max_y = metric.bounds
    squares = []
    for row in range(int(max_y // 100), int(min_y // 100) - 1, -1):
        for col in range(int(min_x // 100), int(max_x // 100) + 1):
            square = box(col * 100, row * 100, col * 100 + 100, row * 100 + 100)
            if metric.contains(square):
                squares.append((col, row, square))
    return [
        {
            "code": f"{community_code}{n:03d}", "community_code": community_code, "township_code": township_code,
            "zone_code": ZONE_OF_COMMUNITY.get(community_code), "col": col, "row": row,
            "area_m2": square.area, "geometry": _to_lonlat(square),
        }
        for n, (col, row, square) in enumerate(squares, start=1)
    ]


def _write_geojson(path: Path, records: list[dict]) -> None:
    features = [
        {"type": "Feature", "properties": {k: v for k, v in r.items() if k != "geometry"},
         "geometry": mapping(r["geometry"])}
        for r in records
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_manifest(folder: Path, counts: dict[str, int] | None = None) -> dict:
    """(Re)write manifest.json with the sha256 of every data file now in ``folder``."""
    previous = json.loads((folder / "manifest.json").read_text()) if (folder / "manifest.json").exists() else {}
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir()) if p.name != "manifest.json"
    }
    manifest = {
        "name": "tiny test city", "generator": "tests/store/conftest.py", "seed": 1,
        "metric_crs": METRIC_CRS, "cell_size_m": 100, "demo_boundaries": True,
        "counts": counts if counts is not None else previous.get("counts", {}), "files": files,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def build_tiny_city(out: Path) -> dict:
    """Write the tiny jurisdiction folder into ``out``; returns its manifest."""
    out.mkdir(parents=True, exist_ok=True)
    townships = [
        {"code": c, "name": n, "name_en": e, "kind": k, "area_km2": _area_m2(g) / 1e6, "geometry": g}
        for c, n, e, k, g in TOWNSHIPS
    ]
    communities = [
        {"code": c, "name": n, "official_name": o, "name_en": e, "kind": k, "township_code": t,
         "area_km2": _area_m2(g) / 1e6, "geometry": g}
        for c, n, o, e, k, t, g in COMMUNITIES
    ]
    cells = [cell for c in COMMUNITIES for cell in _cells_of(c[0], c[5], c[6])]
    zones = []
    for zone_code in sorted(set(ZONE_OF_COMMUNITY.values())):
        members = [c for c in cells if c["zone_code"] == zone_code]
        union = shapely.union_all([c["geometry"] for c in members])
        zones.append({
            "code": zone_code, "name": f"第{zone_code[-1]}片区", "name_en": f"Zone {zone_code[-2:]}",
            "township_code": zone_code[:9], "cell_count": len(members),
            "area_km2": sum(c["area_m2"] for c in members) / 1e6, "geometry": union,
        })
    roads = [
        {"id": "R1", "name": "同安大道", "kind": "主干道", "township_code": "350212001", "number_from": 1,
         "number_to": 199, "geometry": shapely.LineString([(118.101, 24.705), (118.139, 24.706)])},
        {"id": "R2", "name": "环城路", "kind": "次干道", "township_code": None, "number_from": None,
         "number_to": None, "geometry": shapely.LineString([(118.105, 24.701), (118.105, 24.719)])},
    ]
    _write_geojson(out / "townships.geojson", townships)
    _write_geojson(out / "communities.geojson", communities)
    _write_geojson(out / "cells.geojson", cells)
    _write_geojson(out / "zones.geojson", zones)
    _write_geojson(out / "roads.geojson", roads)
    _write_csv(out / "places.csv",
               ["id", "name", "kind", "category", "address", "township_code", "community_code", "lon", "lat"], [
                   ["P1", "同安一中", "poi", "school", "大同街道东山路1号", "350212001", "350212001001", 118.1032, 24.7051],
                   ["P2", "五显市场", "poi", "market", "", "350212101", "350212101201", 118.1301, 24.7102],
                   ["P3", "东西路口", "intersection", "", "", "", "", 118.1100, 24.7100],
               ])
    _write_csv(out / "items.csv",
               ["code", "name", "name_en", "domain", "default_priority", "time_limit_hours", "legal_basis"], [
                   ["CG001", "占道经营", "Street vending", "市容", 3, 72, "《城市市容和环境卫生管理条例》"],
                   ["CG002", "违法建设", "Illegal construction", "规划", 2, 48, ""],
                   ["SC001", "无照经营", "Unlicensed business", "市场", 3, 120, "《无证无照经营查处办法》"],
               ])
    _write_csv(out / "authority.csv", ["township_code", "item_code", "authority", "department"], [
        ["350212001", "CG001", "法定", ""],
        ["350212001", "CG002", "赋权", ""],
        ["350212101", "SC001", "部门", "市场监管"],
    ])
    _write_csv(out / "teams.csv",
               ["code", "name", "name_en", "township_code", "kind", "department", "parent_code", "lon", "lat"], [
                   ["T001A", "大同一分队", "Datong Sub-squad 1", "350212001", "sub_squad", "综合执法", "T001", 118.108, 24.708],
                   ["T001", "大同中队", "Datong Squad", "350212001", "squad", "综合执法", "", 118.105, 24.71],
                   ["T101", "五显市场监管所", "Wuxian Market Supervision", "350212101", "department_unit", "市场监管", "",
                    118.131, 24.711],
               ])
    _write_csv(out / "officers.csv",
               ["code", "name", "team_code", "certified", "certificate_no", "duty_pattern", "phone"], [
                   ["O0001", "陈明", "T001", "true", "闽执0001", "day", "13800000001"],
                   ["O0002", "林芳", "T001", "false", "", "day", "13800000002"],
                   ["O0003", "黄伟", "T001A", "true", "闽执0003", "night", ""],
                   ["O0004", "王磊", "T101", "true", "闽执0004", "day", "13800000004"],
               ])
    counts = {
        "townships": len(townships), "communities": len(communities), "cells": len(cells), "zones": len(zones),
        "roads": len(roads), "places": 3, "items": 3, "authority": 3, "teams": 3, "officers": 4,
    }
    return write_manifest(out, counts)


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A fresh tiny jurisdiction folder this test may change."""
    folder = tmp_path / "tiny_city"
    build_tiny_city(folder)
    return folder


@pytest.fixture
def rewrite_manifest() -> Callable[..., dict]:
    """``rewrite_manifest(folder, counts=None)``: refresh the checksums after a test edits a file."""
    return write_manifest
