"""Each built-in layer answering from a store seeded with the demo city, on SQLite and on PostGIS.

The store is seeded once per backend (seeding 40k cells is the slow part); each layer is a subtest.
The expected answers come from the jurisdiction folder's own files, read with geopandas.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

import layers.cells
from layers import LayerQuery, registry
from layers.geojson import coordinate_decimals
from store import open_store

TOWNSHIPS, COMMUNITIES, ZONES, CELLS = (registry.get(n) for n in ("townships", "communities", "zones", "cells"))


def areas(fc: dict) -> list[dict]:
    return [f for f in fc["features"] if f["properties"].get("role") != "label"]


def labels(fc: dict) -> list[dict]:
    return [f for f in fc["features"] if f["properties"].get("role") == "label"]


def decimals_used(fc: dict) -> int:
    coords = np.concatenate([shapely.get_coordinates(shape(f["geometry"])).ravel() for f in fc["features"]])
    return max(len(repr(float(v)).split(".")[1]) for v in coords)


def small_box(point: shapely.Point, half_deg: float) -> tuple[float, float, float, float]:
    return (point.x - half_deg, point.y - half_deg, point.x + half_deg, point.y + half_deg)


def check_townships(store, files: dict[str, gpd.GeoDataFrame]) -> None:
    truth = files["townships"].sort_values("code").reset_index(drop=True)
    fc = TOWNSHIPS.query(store, LayerQuery(zoom=11, lang="zh"))
    polygons, points = areas(fc), labels(fc)
    assert len(polygons) == len(points) == len(truth)
    assert [f["properties"]["code"] for f in polygons] == list(truth["code"])
    assert [f["properties"]["label"] for f in polygons] == list(truth["name"])
    assert {f["properties"]["kind"] for f in polygons} <= {"街道", "镇"}
    assert sum(f["properties"]["community_count"] for f in polygons) == len(files["communities"])
    assert sum(f["properties"]["zone_count"] for f in polygons) == len(files["zones"])
    assert sum(f["properties"]["cell_count"] for f in polygons) == files["zones"]["cell_count"].sum()
    assert decimals_used(fc) <= coordinate_decimals(11)
    for feature, point, original in zip(polygons, points, truth.geometry, strict=True):
        geometry = shape(feature["geometry"])
        assert geometry.geom_type in ("Polygon", "MultiPolygon") and geometry.is_valid
        assert geometry.area == pytest.approx(original.area, rel=0.03)
        assert original.contains(shape(point["geometry"])), f"label of {feature['properties']['code']} outside"

    coarse, fine = (TOWNSHIPS.query(store, LayerQuery(zoom=z)) for z in (10, 16))
    vertices = [sum(shapely.get_num_coordinates(shape(f["geometry"])) for f in areas(c)) for c in (coarse, fine)]
    assert vertices[0] < vertices[1] <= shapely.get_num_coordinates(truth.geometry.values).sum()

    english = TOWNSHIPS.query(store, LayerQuery(zoom=11, lang="en"))
    assert [f["properties"]["label"] for f in labels(english)] == list(truth["name_en"])

    # a small box deep inside one township (around its label point) finds that township only
    inside = small_box(shape(points[3]["geometry"]), 0.002)
    found = areas(TOWNSHIPS.query(store, LayerQuery(bbox=inside, zoom=14)))
    assert [f["properties"]["code"] for f in found] == [truth["code"][3]]


def check_communities(store, files: dict[str, gpd.GeoDataFrame]) -> None:
    truth = files["communities"].sort_values("code").reset_index(drop=True)
    township_names = dict(zip(files["townships"]["code"], files["townships"]["name"], strict=True))
    fc = COMMUNITIES.query(store, LayerQuery(zoom=12))
    features = areas(fc)
    assert [f["properties"]["code"] for f in features] == list(truth["code"])
    assert all(f["properties"]["township"] == township_names[f["properties"]["township_code"]] for f in features)
    assert {f["properties"]["kind"] for f in features} <= {"社区", "村"}
    assert sum(f["properties"]["cell_count"] for f in features) == len(files["cells"])
    assert all(f["properties"]["zone_count"] >= 1 for f in features if f["properties"]["cell_count"])
    assert all(shape(f["geometry"]).is_valid for f in features)
    english = areas(COMMUNITIES.query(store, LayerQuery(zoom=12, lang="en")))
    assert [f["properties"]["label"] for f in english] == [e or z for e, z in zip(truth["name_en"], truth["name"], strict=True)]

    point = truth.geometry.iloc[0].representative_point()
    found = areas(COMMUNITIES.query(store, LayerQuery(bbox=small_box(point, 1e-5), zoom=16)))
    assert truth["code"].iloc[0] in [f["properties"]["code"] for f in found]
    assert len(found) < len(truth)


def check_zones(store, files: dict[str, gpd.GeoDataFrame]) -> None:
    truth = files["zones"].sort_values("code").reset_index(drop=True)
    features = areas(ZONES.query(store, LayerQuery(zoom=12, lang="en")))
    assert [f["properties"]["code"] for f in features] == list(truth["code"])
    assert [f["properties"]["cell_count"] for f in features] == list(truth["cell_count"])
    assert all(f["properties"]["community_count"] >= 1 for f in features)
    assert all(f["properties"]["township"] for f in features)
    assert all(f["properties"]["code"].startswith(f["properties"]["township_code"]) for f in features)


def check_cells(store, files: dict[str, gpd.GeoDataFrame], monkeypatch: pytest.MonkeyPatch) -> None:
    truth = files["cells"]
    centre = files["townships"].geometry.iloc[0].representative_point()
    view = (centre.x - 0.004, centre.y - 0.003, centre.x + 0.004, centre.y + 0.003)  # ~800 m × 660 m

    assert CELLS.query(store, LayerQuery(bbox=view, zoom=14))["features"] == []
    with pytest.raises(ValueError, match="needs a bbox"):
        CELLS.query(store, LayerQuery(zoom=15))

    fc = CELLS.query(store, LayerQuery(bbox=view, zoom=15))
    expected = set(truth["code"][truth.intersects(shapely.box(*view))])
    got = [f["properties"]["code"] for f in fc["features"]]
    assert set(got) == expected and len(got) == len(expected)
    assert 20 < len(got) < 200
    assert "truncated" not in fc
    for feature in fc["features"]:
        props = feature["properties"]
        assert props["layer"] == "cells" and props["label"] == props["code"]
        assert props["community_code"] == props["code"][:12]
        assert isinstance(props["col"], int) and isinstance(props["row"], int)
        assert shape(feature["geometry"]).intersects(shapely.box(*view).buffer(1e-6))
    assert decimals_used(fc) <= coordinate_decimals(15)

    monkeypatch.setattr(layers.cells, "MAX_CELLS", 5)
    capped = CELLS.query(store, LayerQuery(bbox=view, zoom=15))
    assert capped["truncated"] is True and len(capped["features"]) == 5


def test_layers_answer_from_a_seeded_store(database_url: str, demo_dir, subtests, monkeypatch) -> None:
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    files = {name: gpd.read_file(demo_dir / f"{name}.geojson") for name in ("townships", "communities", "zones", "cells")}
    try:
        with subtests.test("townships"):
            check_townships(store, files)
        with subtests.test("communities"):
            check_communities(store, files)
        with subtests.test("zones"):
            check_zones(store, files)
        with subtests.test("cells"):
            check_cells(store, files, monkeypatch)
    finally:
        store.close()
