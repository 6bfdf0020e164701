"""The jurisdiction-folder writer: deterministic text, valid geometry, no stale layers."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from data.jurisdiction import geometry_json, rounded, write_jurisdiction
from geo.crs import lonlat_to_metric


def _townships() -> gpd.GeoDataFrame:
    square = shapely.Polygon([(118.1, 24.7), (118.1, 24.71), (118.11, 24.71), (118.11, 24.7)])  # clockwise
    return gpd.GeoDataFrame({"code": ["350212001"], "name": ["大同街道"], "name_en": ["Datong Subdistrict"], "kind": ["街道"],
                             "area_km2": [1.23456789]}, geometry=[square], crs="EPSG:4326")


def test_geometry_text_for_every_kind() -> None:
    assert geometry_json(shapely.Point(118.5, 24.25)) == '{"type":"Point","coordinates":[118.5,24.25]}'
    assert geometry_json(shapely.LineString([(0, 0), (1, 2)])) == '{"type":"LineString","coordinates":[[0.0,0.0],[1.0,2.0]]}'
    holed = shapely.Polygon(shapely.box(0, 0, 4, 4).exterior, [shapely.box(1, 1, 2, 2).exterior])
    assert json.loads(geometry_json(holed))["coordinates"][1][0] == [2.0, 1.0]
    multi = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])
    assert shapely.geometry.shape(json.loads(geometry_json(multi))).equals(multi)


def test_rounding_keeps_full_precision_where_it_would_break_a_polygon() -> None:
    sliver = shapely.Polygon([(118.0, 24.0), (118.00000001, 24.00000004), (118.0, 24.00000008)])
    plain = shapely.box(118.123456789, 24.1, 118.2, 24.2, ccw=False)
    out = rounded([sliver, plain])
    assert out[0].equals_exact(shapely.orient_polygons(sliver), 0)
    assert shapely.get_coordinates(out[1])[:, 0].min() == 118.1234568
    assert out[1].exterior.is_ccw  # exterior turned counter-clockwise (RFC 7946)


def test_folder_is_written_deterministically_and_stale_layers_go(tmp_path: Path) -> None:
    (tmp_path / "roads.geojson").write_text("old")
    (tmp_path / "notes.txt").write_text("not ours")
    x, y = lonlat_to_metric(118.105, 24.705)
    places = pd.DataFrame({"id": ["P1"], "name": ["凤山农贸市场"], "kind": ["poi"], "category": ["market"],
                           "address": ["同安区大同街道凤山路1号"], "township_code": ["350212001"],
                           "community_code": ["350212001012"], "x": [float(x)], "y": [float(y)]})
    layers = {"townships": _townships(), "places": places}
    first = write_jurisdiction(tmp_path, layers, name="t", generator="test", seed=1, demo_boundaries=True)
    text = (tmp_path / "townships.geojson").read_bytes()
    second = write_jurisdiction(tmp_path, layers, name="t", generator="test", seed=1, demo_boundaries=True)
    assert first == second and (tmp_path / "townships.geojson").read_bytes() == text
    assert not (tmp_path / "roads.geojson").exists() and (tmp_path / "notes.txt").exists()
    assert first["counts"] == {"places": 1, "townships": 1}
    feature = json.loads(text)["features"][0]
    assert list(feature["properties"]) == sorted(feature["properties"])
    assert feature["properties"]["area_km2"] == 1.234568
    assert shapely.geometry.shape(feature["geometry"]).exterior.is_ccw
    row = pd.read_csv(tmp_path / "places.csv", dtype=str).iloc[0]
    assert (row["lon"], row["lat"]) == ("118.1050000", "24.7050000")
