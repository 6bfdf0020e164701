"""The address geocoder against the demo city's gazetteer: levels, noise, ambiguity, offsets, garbage."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from bench.noisy_addresses import NOISE_TYPES, look_alikes, noisy_addresses, same_sound
from geo.__main__ import main as geo_main
from geo.crs import lonlat_to_metric
from geo.geocoder import LEVELS, Geocoder, GeocodeResult
from geo.name_index import COMPOUND_SUFFIXES

STATUSES = {"ok", "needs_manual", "ambiguous", "not_found", "unparseable"}


@pytest.fixture(scope="module")
def frames(demo_dir: Path) -> dict:
    return {
        "townships": gpd.read_file(demo_dir / "townships.geojson"),
        "communities": gpd.read_file(demo_dir / "communities.geojson"),
        "roads": gpd.read_file(demo_dir / "roads.geojson"),
        "places": pd.read_csv(demo_dir / "places.csv", dtype=str, keep_default_na=False),
    }


@pytest.fixture(scope="module")
def geocoder(frames: dict) -> Geocoder:
    return Geocoder.from_frames(**frames)


@pytest.fixture(scope="module")
def places(frames: dict) -> pd.DataFrame:
    return frames["places"]


def metres(result: GeocodeResult, lon: float, lat: float) -> float:
    x0, y0 = lonlat_to_metric(result.lon, result.lat)
    x1, y1 = lonlat_to_metric(float(lon), float(lat))
    return float(math.hypot(x0 - x1, y0 - y1))


def township_name(frames: dict, code: str) -> str:
    towns = frames["townships"]
    return str(towns.loc[towns["code"] == code, "name"].iloc[0])


def first(places: pd.DataFrame, **where) -> pd.Series:
    rows = places
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows.iloc[0]


# ----------------------------------------------------------------------------------------------- levels


def test_building(geocoder: Geocoder, places: pd.DataFrame) -> None:
    building = first(places, kind="building")
    result = geocoder.geocode(building["name"])
    assert (result.status, result.level, result.entity.id) == ("ok", "building", building["id"])
    assert result.community_code == building["community_code"]
    assert result.township_code == building["township_code"]
    assert metres(result, building["lon"], building["lat"]) < 0.1
    assert 0.9 <= result.confidence <= 1.0


def test_point_of_interest(geocoder: Geocoder, places: pd.DataFrame) -> None:
    poi = first(places, category="market")
    result = geocoder.geocode(poi["name"])
    assert (result.status, result.level, result.entity.id) == ("ok", "poi", poi["id"])


def test_landmark_and_compound_are_places(geocoder: Geocoder, places: pd.DataFrame) -> None:
    for kind in ("landmark", "compound"):
        place = first(places, kind=kind)
        result = geocoder.geocode(place["name"])
        assert (result.level, result.entity.kind, result.entity.id) == ("poi", kind, place["id"])


def test_intersection_in_every_spelling(geocoder: Geocoder, places: pd.DataFrame) -> None:
    crossing = first(places, kind="intersection")
    a, b = crossing["name"].removesuffix("交叉口").split("与")
    for text in (crossing["name"], f"{a}和{b}路口", f"{b}与{a}交汇处", f"{a}、{b}十字路口", f"{a}{b}路口"):
        result = geocoder.geocode(text)
        assert (result.status, result.level, result.entity.id) == ("ok", "intersection", crossing["id"]), text


def test_crossing_computed_where_the_gazetteer_names_none(geocoder: Geocoder, frames: dict) -> None:
    gaz = geocoder.gazetteer
    pieces = [p for road in gaz.roads.values() for p in road.pieces]
    tree = shapely.STRtree([p.line for p in pieces])
    pair = None
    for i, j in zip(*tree.query([p.line for p in pieces], predicate="intersects"), strict=True):
        a, b = pieces[i].name, pieces[j].name
        if a != b and frozenset((a, b)) not in gaz.crossings:
            pair = (a, b)
            break
    assert pair is not None, "the demo city has crossings of unnamed pairs (乡道)"
    result = geocoder.geocode(f"{pair[0]}与{pair[1]}交叉口")
    assert result.level == "intersection"
    assert "+" in result.entity.id and "computed" in result.reason or result.status == "needs_manual"


def test_house_number_on_a_road(geocoder: Geocoder, places: pd.DataFrame) -> None:
    pattern = re.compile(r"^同安区(.+?(?:街道|镇))(.+?路)(\d+)号$")
    shops = places[(places["kind"] == "poi") & places["address"].str.match(pattern)
                   & ~places["category"].isin(["community_office", "metro", "bus_stop"])]
    near = 0
    for _, shop in shops.head(20).iterrows():
        township, road, number = pattern.match(shop["address"]).groups()
        result = geocoder.geocode(f"{township}{road}{number}号")
        assert (result.level, result.entity.kind, result.entity.name) == ("number", "road", road)
        assert result.status in ("ok", "needs_manual")  # needs_manual: within BORDER_M of another community
        near += metres(result, shop["lon"], shop["lat"]) <= 100.0
    assert near >= 18  # the shop stands 20–45 m off the road; the number is interpolated along it


def test_house_numbers_interpolate_along_the_piece_and_sides_alternate(geocoder: Geocoder) -> None:
    piece = max((p for r in geocoder.gazetteer.roads.values() for p in r.pieces if p.number_from),
                key=lambda p: p.line.length)
    start = shapely.Point(piece.line.coords[0])
    end = shapely.Point(piece.line.coords[-1])
    x, y = geocoder.house_number_point(piece, piece.number_from)
    assert start.distance(shapely.Point(x, y)) < 25.0 + geocoder.side_offset_m
    x, y = geocoder.house_number_point(piece, piece.number_to)
    assert end.distance(shapely.Point(x, y)) < 25.0 + geocoder.side_offset_m
    odd = geocoder.house_number_point(piece, piece.number_from + 20)   # number_from is odd
    even = geocoder.house_number_point(piece, piece.number_from + 21)
    assert math.dist(odd, even) == pytest.approx(2 * geocoder.side_offset_m, rel=0.2)


def test_road_alone(geocoder: Geocoder) -> None:
    road = next(r for r in geocoder.gazetteer.roads.values() if len(r.parts) == 1)
    result = geocoder.geocode(road.name)
    assert result.level == "road" and result.entity.name == road.name
    assert result.status in ("ok", "needs_manual")


def test_village_house_number_gives_the_community(geocoder: Geocoder, places: pd.DataFrame) -> None:
    village = places[places["address"].str.match(r"^同安区.+?镇.+?村\d+号$")].iloc[0]
    result = geocoder.geocode(village["address"])
    assert (result.status, result.level) == ("ok", "community")
    assert result.community_code == village["community_code"]


def test_township_alone_needs_manual_location(geocoder: Geocoder, frames: dict) -> None:
    name = frames["townships"]["name"].iloc[0]
    result = geocoder.geocode(name)
    assert (result.level, result.status) == ("township", "needs_manual")
    assert result.township_code == frames["townships"]["code"].iloc[0] and result.community_code is None
    assert "needs manual location" in result.reason


def test_boundaries_alone_still_place_communities(frames: dict) -> None:
    # an imported jurisdiction has townships and communities but no roads or places yet
    bare = Geocoder.from_frames(frames["townships"], frames["communities"])
    community = frames["communities"].iloc[0]
    result = bare.geocode(f"{community['name']}12号")
    assert (result.status, result.level, result.community_code) == ("ok", "community", community["code"])
    assert bare.geocode("金山小区3号楼").status in ("not_found", "needs_manual", "ambiguous")


def test_bad_gazetteer_rows_are_named(frames: dict) -> None:
    places = frames["places"].copy()
    places.loc[0, "lon"] = "east"
    with pytest.raises(ValueError, match=f"place {places.loc[0, 'id']} .*lon/lat"):
        Geocoder.from_frames(frames["townships"], frames["communities"], frames["roads"], places)
    with pytest.raises(ValueError, match="roads: missing column"):
        Geocoder.from_frames(frames["townships"], frames["communities"], frames["roads"].drop(columns="name"))


def test_levels_are_the_documented_ones() -> None:
    assert LEVELS == ("building", "number", "intersection", "poi", "road", "community", "township")


# ----------------------------------------------------------------------------------------------- noise


def _long_poi(places: pd.DataFrame) -> pd.Series:
    pois = places[(places["kind"] == "poi") & (places["name"].str.len() >= 6) & (places["category"] == "school")]
    return pois.iloc[0]


def test_typo(geocoder: Geocoder, places: pd.DataFrame) -> None:
    poi = _long_poi(places)
    name = poi["name"]
    k, other = next((i, o) for i, ch in enumerate(name) if i > 0 for o in look_alikes(ch) if o not in same_sound(ch))
    typo = name[:k] + other + name[k + 1:]
    result = geocoder.geocode(typo)
    assert (result.status, result.entity.id) == ("ok", poi["id"])
    assert "typo" in result.reason
    assert result.confidence < geocoder.geocode(name).confidence


def test_homophone(geocoder: Geocoder, places: pd.DataFrame) -> None:
    poi = _long_poi(places)
    name = poi["name"]
    k, sound = next((i, same_sound(ch)) for i, ch in enumerate(name) if same_sound(ch))
    result = geocoder.geocode(name[:k] + sound[0] + name[k + 1:])
    assert (result.status, result.entity.id) == ("ok", poi["id"])
    assert "homophone" in result.reason


def test_prefixes_missing_full_and_wrong(geocoder: Geocoder, frames: dict, places: pd.DataFrame) -> None:
    building = first(places, kind="building")
    town = township_name(frames, building["township_code"])
    other = next(n for n in frames["townships"]["name"] if n != town)
    bare = geocoder.geocode(building["name"])
    full = geocoder.geocode(f"福建省厦门市同安区{town}{building['name']}")
    wrong = geocoder.geocode(f"厦门市同安区{other}{building['name']}")
    district = geocoder.geocode(f"厦门市湖里区{town}{building['name']}")
    assert {r.entity.id for r in (bare, full, wrong, district)} == {building["id"]}
    assert full.confidence >= bare.confidence > wrong.confidence
    assert district.confidence < full.confidence
    assert "township named in the text differs" in wrong.reason


def test_abbreviations(geocoder: Geocoder, frames: dict, places: pd.DataFrame) -> None:
    building = first(places, kind="building")
    compound, n = re.match(r"^(.+?)(\d+)号楼$", building["name"]).groups()
    for text in (f"{compound}{n}栋", f"{compound}{n}幢", f"{compound}{n}座", f"{compound}{n}#", f"{compound}{n}号"):
        assert geocoder.geocode(text).entity.id == building["id"], text
    small = places[(places["kind"] == "building") & places["name"].str.contains("小区")].iloc[0]
    compound, n = re.match(r"^(.+?)小区(\d+)号楼$", small["name"]).groups()
    town = township_name(frames, small["township_code"])
    result = geocoder.geocode(f"{town}{compound}{n}栋")  # 小区 dropped: the township picks the compound
    assert result.status == "ambiguous" or result.entity.id == small["id"]
    if result.status == "ambiguous":  # the township has several compounds of that name: all are offered
        assert small["id"] in {c.entity.id for c in result.candidates}


def test_road_without_its_suffix(geocoder: Geocoder, places: pd.DataFrame) -> None:
    pattern = re.compile(r"^同安区(.+?(?:街道|镇))(.+?)路(\d+)号$")
    shop = places[places["address"].str.match(pattern) & (places["kind"] == "poi")].iloc[0]
    township, stem, number = pattern.match(shop["address"]).groups()
    result = geocoder.geocode(f"{township}{stem}{number}号")
    assert result.level == "number" and result.entity.name == f"{stem}路"


def test_extra_words(geocoder: Geocoder, places: pd.DataFrame) -> None:
    building = first(places, kind="building")
    for text in (f"市民反映{building['name']}楼下有人占道经营", f"{building['name']}附近噪音扰民，请尽快处理！"):
        result = geocoder.geocode(text)
        assert (result.status, result.entity.id) == ("ok", building["id"]), text


def test_the_generated_noise_is_mostly_placed_right(geocoder: Geocoder) -> None:
    samples = noisy_addresses(geocoder.gazetteer, n=800, seed=7)
    results = geocoder.geocode_many([s.text for s in samples])
    for noise in NOISE_TYPES:
        mine = [(s, r) for s, r in zip(samples, results, strict=True) if s.noise == noise]
        right = sum(r.status == "ok" and r.community_code == s.community_code for s, r in mine)
        wrong = sum(r.status == "ok" and r.community_code != s.community_code for s, r in mine)
        assert right >= 0.85 * len(mine), noise
        assert wrong <= 0.03 * len(mine), noise


# ----------------------------------------------------------------------------------------------- offsets


@pytest.mark.parametrize(("phrase", "dx", "dy"), [("往北50米", 0, 50), ("东侧约100米", 100, 0), ("向西南约40米", -28.3, -28.3)])
def test_offsets_move_the_point(geocoder: Geocoder, places: pd.DataFrame, phrase: str, dx: float, dy: float) -> None:
    poi = first(places, category="market")
    here = geocoder.geocode(poi["name"])
    there = geocoder.geocode(poi["name"] + phrase)
    x0, y0 = lonlat_to_metric(here.lon, here.lat)
    x1, y1 = lonlat_to_metric(there.lon, there.lat)
    assert float(x1 - x0) == pytest.approx(dx, abs=0.5) and float(y1 - y0) == pytest.approx(dy, abs=0.5)
    assert there.relative == phrase.replace("约", "约") and there.entity == here.entity
    assert there.confidence <= here.confidence


@pytest.mark.parametrize("phrase", ["旁边", "对面", "门口", "附近"])
def test_near_words_keep_the_point(geocoder: Geocoder, places: pd.DataFrame, phrase: str) -> None:
    poi = first(places, category="market")
    here, near = geocoder.geocode(poi["name"]), geocoder.geocode(poi["name"] + phrase)
    assert near.point == here.point and near.relative == phrase


def test_an_offset_from_a_whole_village_is_not_applied(geocoder: Geocoder, places: pd.DataFrame) -> None:
    village = places[places["address"].str.match(r"^同安区.+?镇.+?村\d+号$")].iloc[0]
    here, there = geocoder.geocode(village["address"]), geocoder.geocode(village["address"] + "往北50米")
    assert there.point == here.point and "not applied" in there.reason
    assert there.confidence < here.confidence


# ----------------------------------------------------------------------------------------------- ambiguity


def test_a_road_in_two_townships_is_ambiguous_until_one_is_named(geocoder: Geocoder, frames: dict) -> None:
    road = next(r for r in geocoder.gazetteer.roads.values()
                if len(r.parts) == 2 and min(p.length_m for p in r.parts.values()) > 300)
    result = geocoder.geocode(road.name)
    assert result.status == "ambiguous" and result.point is None
    assert {c.township_code for c in result.candidates} == set(road.parts)
    assert all(c.entity.name == road.name for c in result.candidates)
    for code in road.parts:
        named = geocoder.geocode(township_name(frames, code) + road.name)
        assert named.status != "ambiguous" and named.township_code == code


def test_a_short_compound_name_is_resolved_by_the_township(geocoder: Geocoder, frames: dict,
                                                           places: pd.DataFrame) -> None:
    buildings = places[places["kind"] == "building"].copy()
    suffixes = "|".join(sorted(COMPOUND_SUFFIXES, key=len, reverse=True))
    parts = buildings["name"].str.extract(rf"^(.+?)({suffixes})(\d+)号楼$")
    buildings["stem"], buildings["n"] = parts[0], parts[2]
    shared = buildings.dropna(subset=["stem"]).groupby(["stem", "n"]).filter(
        lambda g: g["township_code"].nunique() >= 2 and g["township_code"].nunique() == len(g))
    stem, n = shared.iloc[0][["stem", "n"]]
    result = geocoder.geocode(f"{stem}{n}号楼")
    assert result.status == "ambiguous" and len(result.candidates) >= 2
    for _, row in shared[(shared["stem"] == stem) & (shared["n"] == n)].iterrows():
        named = geocoder.geocode(f"{township_name(frames, row['township_code'])}{stem}{n}号楼")
        assert (named.status, named.entity.id) == ("ok", row["id"])


# ----------------------------------------------------------------------------------------------- garbage


@pytest.mark.parametrize(
    ("text", "status"),
    [(None, "unparseable"), ("", "unparseable"), ("   ", "unparseable"), ("，，。。！！", "unparseable"),
     ("😀🚧🙏", "unparseable"), ("123 Main Street, Springfield", "unparseable"), ("凤" * 10_240, "unparseable"),
     (float("nan"), "unparseable"), (12345, "unparseable"), ("湖里区华美空间旁边", "not_found"),
     ("请尽快处理", "not_found")],
)
def test_garbage_gets_a_clear_answer(geocoder: Geocoder, text, status: str) -> None:
    result = geocoder.geocode(text)
    assert result.status == status and result.reason
    assert result.point is None and not result.placed


def test_random_text_never_raises(geocoder: Geocoder, places: pd.DataFrame) -> None:
    alphabet = "".join(sorted(set("".join(places["name"].head(300))))) + "0123456789号楼栋与和往北米旁边#-/、 ,."
    rng = random.Random(350212)
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        result = geocoder.geocode(text)
        assert result.status in STATUSES and 0.0 <= result.confidence <= 1.0
        assert (result.point is None) == (result.status in ("ambiguous", "not_found", "unparseable"))


# ----------------------------------------------------------------------------------------------- threshold


def test_threshold_decides_between_ok_and_manual(geocoder: Geocoder, places: pd.DataFrame, frames: dict) -> None:
    building = first(places, kind="building")
    strict = Geocoder(geocoder.gazetteer, threshold=0.99)
    lenient = Geocoder(geocoder.gazetteer, threshold=0.0)
    assert geocoder.geocode(building["name"]).status == "ok"
    result = strict.geocode(building["name"])
    assert result.status == "needs_manual" and result.point is not None and "needs manual location" in result.reason
    assert lenient.geocode(frames["townships"]["name"].iloc[0]).status == "ok"
    with pytest.raises(ValueError, match="threshold"):
        Geocoder(geocoder.gazetteer, threshold=1.5)


def test_geocode_many_matches_geocode(geocoder: Geocoder, places: pd.DataFrame) -> None:
    texts = [*places["name"].head(5), None, places["name"].iloc[0], "😀"]
    batch = geocoder.geocode_many(texts)
    assert len(batch) == len(texts)
    assert batch == [geocoder.geocode(t) for t in texts]


def test_result_as_json(geocoder: Geocoder, places: pd.DataFrame) -> None:
    result = geocoder.geocode(first(places, kind="building")["name"])
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["entity"]["kind"] == "building" and data["status"] == "ok"


# ----------------------------------------------------------------------------------------------- CLI


def test_cli_one_address(demo_dir: Path, places: pd.DataFrame, capsys: pytest.CaptureFixture) -> None:
    building = first(places, kind="building")
    assert geo_main(["geocode", building["name"], "--data", str(demo_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["status"], data["entity"]["id"]) == ("ok", building["id"])
    assert geo_main(["geocode", building["name"], "--data", str(demo_dir)]) == 0
    assert capsys.readouterr().out.startswith("ok | ")


def test_cli_csv_column(demo_dir: Path, places: pd.DataFrame, tmp_path: Path) -> None:
    orders = pd.DataFrame({"工单编号": ["A1", "A2", "A3"],
                           "事发地址": [first(places, kind="building")["name"], "", "湖里区华美空间旁边"]})
    source, out = tmp_path / "orders.csv", tmp_path / "located.csv"
    orders.to_csv(source, index=False, encoding="gb18030")  # as Excel on a Chinese desktop saves it
    assert geo_main(["geocode", "--csv", str(source), "--column", "事发地址", "--out", str(out),
                     "--data", str(demo_dir)]) == 0
    located = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert located["工单编号"].tolist() == ["A1", "A2", "A3"]
    assert located["geo_status"].tolist() == ["ok", "unparseable", "not_found"]
    assert located.loc[0, "geo_level"] == "building" and located.loc[0, "geo_community_code"]


def test_cli_refuses_a_missing_column(demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "orders.csv"
    pd.DataFrame({"地址": ["x"]}).to_csv(source, index=False)
    with pytest.raises(SystemExit) as exit_info:
        geo_main(["geocode", "--csv", str(source), "--column", "事发地址", "--data", str(demo_dir)])
    assert exit_info.value.code == 2
    assert "no column '事发地址'" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_reads_the_store(demo_dir: Path, sqlite_url: str, places: pd.DataFrame,
                             capsys: pytest.CaptureFixture) -> None:
    from store import open_store

    store = open_store(sqlite_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    store.close()
    building = first(places, kind="building")
    assert geo_main(["geocode", building["name"], "--database-url", sqlite_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entity"]["id"] == building["id"]
