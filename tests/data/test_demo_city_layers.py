"""The demo city as the store and the dashboard will read it: the files of ``demo_dir``, checked layer by layer."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data.catalogue import AUTHORITIES, DEPARTMENTS
from data.divisions import load_divisions
from geo.crs import DISTRICT_METRIC_CRS

LAYERS = ("townships", "communities", "cells", "zones", "roads")


@pytest.fixture(scope="module")
def city(demo_dir: Path) -> dict:
    """Every layer of the demo folder: GeoJSON in the metric CRS, CSV as strings."""
    out = {name: gpd.read_file(demo_dir / f"{name}.geojson").to_crs(DISTRICT_METRIC_CRS) for name in LAYERS}
    for name in ("places", "teams", "officers", "items", "authority"):
        out[name] = pd.read_csv(demo_dir / f"{name}.csv", dtype=str, keep_default_na=False)
    out["manifest"] = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    return out


def test_manifest_hashes_and_counts_match_the_files(demo_dir: Path, city: dict) -> None:
    manifest = city["manifest"]
    assert manifest["metric_crs"] == "EPSG:4548" and manifest["cell_size_m"] == 100
    assert manifest["demo_boundaries"] is True and manifest["seed"] == 350212
    assert sorted(manifest["files"]) == sorted(p.name for p in demo_dir.iterdir() if p.name != "manifest.json")
    for filename, digest in manifest["files"].items():
        assert hashlib.sha256((demo_dir / filename).read_bytes()).hexdigest() == digest, filename
        assert manifest["counts"][Path(filename).stem] == len(city[Path(filename).stem]), filename


def test_counts_are_those_of_tongan(city: dict) -> None:
    townships = city["townships"]
    assert len(townships) == 11
    assert sorted(townships["kind"].value_counts().items()) == [("街道", 7), ("镇", 4)]
    assert len(city["communities"]) == 144
    assert 36 <= len(city["zones"]) <= 44
    assert len(city["roads"]) + len(city["places"]) >= 1500
    assert 55 <= len(city["teams"]) <= 65
    assert 550 <= len(city["officers"]) <= 650
    assert 38 <= len(city["items"]) <= 45


def test_names_and_codes_are_the_real_divisions(city: dict) -> None:
    divisions = load_divisions()
    towns = divisions[divisions["level"] == "township"].set_index("code")
    comms = divisions[divisions["level"] == "community"].set_index("code")
    t = city["townships"].set_index("code")
    c = city["communities"].set_index("code")
    assert sorted(t.index) == sorted(towns.index)
    assert (t["name"] == towns.loc[t.index, "name"]).all()
    assert sorted(c.index) == sorted(comms.index)
    for column in ("name", "official_name", "name_en", "kind"):
        assert (c[column] == comms.loc[c.index, column]).all(), column
    assert (c["township_code"] == comms.loc[c.index, "parent_code"]).all()
    assert c.loc["350212001203", "name"] == "田洋村" and c.loc["350212001002", "name"] == "同新社区"


def test_sizes_fit_the_district_and_the_cell_codes(city: dict) -> None:
    townships = city["townships"]
    area = townships.geometry.area / 1e6
    assert 250 <= area.sum() <= 350
    assert area[townships["kind"] == "镇"].between(30, 60).all()
    assert area[townships["kind"] == "街道"].between(6, 20).all()
    assert np.allclose(area, townships["area_km2"].astype(float), rtol=1e-5)
    communities = city["communities"]
    villages = communities.geometry.area[communities["kind"] == "村"]
    urban = communities.geometry.area[communities["kind"] == "社区"]
    assert villages.median() > urban.median()


@pytest.mark.parametrize("layer", ["townships", "communities", "zones", "cells"])
def test_polygons_are_valid_and_form_a_coverage(city: dict, layer: str) -> None:
    geoms = city[layer].geometry
    assert geoms.is_valid.all()
    assert set(geoms.geom_type) <= {"Polygon", "MultiPolygon"}
    assert shapely.coverage_is_valid(geoms.to_numpy())


def test_communities_partition_their_township(city: dict) -> None:
    communities = city["communities"]
    for t in city["townships"].itertuples():
        union = shapely.union_all(communities.geometry[communities["township_code"] == t.code].to_numpy())
        assert shapely.symmetric_difference(union, t.geometry).area < 1e-6 * t.geometry.area, t.name


def test_cells_tile_each_community(city: dict) -> None:
    cells, communities = city["cells"], city["communities"].set_index("code")
    by_community = cells.geometry.area.groupby(cells["community_code"]).sum()
    assert sorted(by_community.index) == sorted(communities.index)
    assert np.allclose(by_community, communities.geometry.area.loc[by_community.index], rtol=1e-3)
    # lon/lat are written with 7 decimals (about 1 cm): a cell's area moves by a square metre or two at most
    assert np.allclose(cells.geometry.area, cells["area_m2"].astype(float), rtol=0, atol=3.0)
    geoms = cells.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert overlap.max() < 0.01 and overlap.sum() < 1.0


def test_each_cell_lies_in_its_community_zone_and_township(city: dict) -> None:
    cells = city["cells"]
    inside = cells.representative_point()
    for layer, column in (("communities", "community_code"), ("zones", "zone_code"), ("townships", "township_code")):
        polygons = city[layer]
        idx, hits = shapely.STRtree(polygons.geometry.to_numpy()).query(inside.to_numpy(), predicate="within")
        assert np.array_equal(np.sort(idx), np.arange(len(cells))), f"a cell is in no or several {layer}"
        assert (polygons["code"].to_numpy()[hits] == cells[column].to_numpy()[idx]).all(), layer
    zones = city["zones"].set_index("code")
    assert (zones.loc[cells["zone_code"], "township_code"].to_numpy() == cells["township_code"].to_numpy()).all()


def test_cell_codes_number_west_to_east_then_north_to_south(city: dict) -> None:
    cells = city["cells"]
    assert cells["code"].str.fullmatch(r"\d{15}").all() and cells["code"].is_unique
    assert (cells["code"].str[:12] == cells["community_code"]).all()
    assert (cells["community_code"].str[:9] == cells["township_code"]).all()
    centre = cells.geometry.centroid
    for code, group in cells.assign(x=centre.x, y=centre.y).groupby("community_code"):
        group = group.sort_values("code")
        assert group["code"].str[12:].astype(int).tolist() == list(range(1, len(group) + 1)), code
        key = list(zip(-group["row"].astype(int), group["col"].astype(int), strict=True))
        assert key == sorted(key), f"cells of {code} are not numbered west→east, north→south"
        # col/row are the 100 m grid square the (unmerged part of the) cell lies in
        assert ((group["col"].astype(int) - np.floor(group["x"] / 100)).abs() <= 1).all()


def test_zones_are_contiguous_whole_cells_inside_one_township(city: dict) -> None:
    cells, zones, townships = city["cells"], city["zones"], city["townships"].set_index("code")
    counts = cells.groupby("zone_code").size()
    assert (zones.set_index("code")["cell_count"].astype(int) == counts.loc[zones["code"]].to_numpy()).all()
    for zone in zones.itertuples():
        mine = cells.geometry[cells["zone_code"] == zone.code].to_numpy()
        union = shapely.union_all(mine)
        assert union.geom_type == "Polygon", f"zone {zone.code} is not one piece"
        assert abs(union.area - zone.geometry.area) < 1e-6 * union.area
        assert zone.code.startswith(zone.township_code) and len(zone.code) == 11
        assert re.fullmatch(r".+第\d+片区", zone.name) and " Zone " in zone.name_en
    per_township = zones.groupby("township_code").size()
    assert (per_township >= 2).all() and len(per_township) == 11
    area = zones.geometry.area.groupby(zones["township_code"]).sum()
    assert np.allclose(area, townships.geometry.area.loc[area.index], rtol=1e-6)
    sizes = zones["cell_count"].astype(int).groupby(zones["township_code"])
    assert (sizes.max() / sizes.min()).max() < 1.5, "zones of a township are unbalanced"


def test_roads_form_one_connected_network(city: dict) -> None:
    roads = city["roads"]
    assert set(roads["kind"]) == {"主干道", "次干道", "支路", "乡道"}
    assert roads["id"].is_unique and set(roads.geom_type) == {"LineString"}
    assert set(roads["township_code"]) == set(city["townships"]["code"])
    assert (roads["number_from"].astype(int) % 2 == 1).all()
    assert (roads["number_to"].astype(int) > roads["number_from"].astype(int)).all()
    parent: dict = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for geom in roads.geometry:  # projected point by point: equal vertices stay equal
        xy = [tuple(p) for p in shapely.get_coordinates(geom)]
        for a, b in zip(xy[:-1], xy[1:], strict=True):
            parent[root(a)] = root(b)
    assert len({root(x) for x in list(parent)}) == 1, "the road network falls apart"


def test_places_carry_the_codes_of_the_polygons_they_fall_in(city: dict) -> None:
    places, communities = city["places"], city["communities"]
    assert places["id"].is_unique
    assert set(places["kind"]) == {"intersection", "poi", "landmark", "compound", "building"}
    lon, lat = places["lon"].astype(float), places["lat"].astype(float)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(DISTRICT_METRIC_CRS)
    idx, hits = shapely.STRtree(communities.geometry.to_numpy()).query(points.to_numpy(), predicate="intersects")
    first = pd.Series(hits, index=idx).groupby(level=0).min()
    assert len(first) == len(places)
    assert (communities["code"].to_numpy()[first.to_numpy()] == places["community_code"].to_numpy()).all()
    assert (places["community_code"].str[:9] == places["township_code"]).all()
    assert places["address"].str.startswith("同安区").all()
    crossings = places[places["kind"] == "intersection"]
    assert crossings["name"].str.fullmatch(r".+与.+交叉口").all() and crossings["category"].eq("").all()
    buildings = places[places["kind"] == "building"]
    assert buildings["name"].str.fullmatch(r".+\d+号楼").all()
    assert {"market", "school", "hospital", "metro", "park", "government", "bus_station"} <= set(places["category"])
    assert places["address"].str.fullmatch(r"同安区.+(街道|镇).+").all()


def test_teams_and_officers(city: dict) -> None:
    teams, officers, townships = city["teams"], city["officers"], city["townships"]
    assert teams["code"].is_unique and set(teams["kind"]) == {"squad", "sub_squad", "department_unit"}
    assert set(teams["department"]) <= set(DEPARTMENTS)
    parents = teams.loc[teams["parent_code"] != "", "parent_code"]
    assert parents.isin(teams.loc[teams["kind"] == "squad", "code"]).all()
    for code in townships["code"]:
        mine = teams[teams["township_code"] == code]
        assert (mine["kind"] == "squad").sum() == 1 and 2 <= (mine["kind"] == "sub_squad").sum() <= 4
    bases = gpd.GeoSeries(gpd.points_from_xy(teams["lon"].astype(float), teams["lat"].astype(float)), crs="EPSG:4326")
    within = bases.to_crs(DISTRICT_METRIC_CRS).within(shapely.union_all(townships.geometry.to_numpy()))
    assert within.all()
    assert officers["code"].is_unique and officers["team_code"].isin(teams["code"]).all()
    certified = officers["certified"] == "true"
    assert set(officers["certified"]) == {"true", "false"} and 0.75 <= certified.mean() <= 0.95
    assert (officers["certificate_no"] != "").eq(certified).all()
    assert officers["phone"].str.fullmatch(r"1\d{10}").all()
    assert set(officers["duty_pattern"]) <= {"白班", "早晚两班", "四班三运转", "周末轮值"}


def test_items_and_authority(city: dict) -> None:
    items, authority, townships = city["items"], city["authority"], city["townships"]
    assert items["code"].is_unique and set(items["default_priority"]) <= {"1", "2", "3"}
    hours = items["time_limit_hours"].astype(int)
    assert (hours[items["default_priority"] == "1"] <= 4).all() and (hours[items["default_priority"] == "3"] >= 24).all()
    assert len(authority) == len(items) * len(townships)
    assert set(authority["authority"]) <= set(AUTHORITIES)
    owned = authority["authority"] == "部门"
    assert authority.loc[owned, "department"].isin(DEPARTMENTS).all()
    assert (authority.loc[~owned, "department"] == "").all()
    own_items = authority[~owned].groupby("township_code").size()
    assert own_items.idxmax() == "350212110" and own_items.max() > own_items.drop("350212110").max()


@pytest.mark.slow
def test_a_second_run_from_the_command_line_writes_the_same_bytes(demo_dir: Path, tmp_path: Path, capsys) -> None:
    from data.__main__ import main

    assert main(["generate", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "cells" in printed and "generated in" in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in demo_dir.iterdir())
    for path in sorted(demo_dir.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
