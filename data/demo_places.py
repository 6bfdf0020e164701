"""Demo gazetteer of places: intersections, points of interest, landmarks, residential compounds and their
buildings, each with a Chinese name, an address on the demo roads and the township and community it lies in.

The hotline (12345) gives only an address; these names and addresses are what the geocoder of a later
issue matches against, so they follow the way people in Tong'an say them: ``大同路与三秀路交叉口``,
``凤山农贸市场``, ``金山小区3号楼``, ``同安区大同街道凤山路123号``.

Notes
-----
Positions are computed in EPSG:4548 metres (columns ``x``, ``y``); the writer converts them to lon/lat.
Township and community codes come from the polygons each point falls in, not from how it was placed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame

from data.demo_roads import KIND_RANK, RoadNetwork, house_number

PLACE_COLUMNS = ["id", "name", "kind", "category", "address", "township_code", "community_code", "x", "y"]

DEPARTMENT_OFFICES = (
    # (category, name pattern by township kind); the team module stations its department units here
    ("police", {"街道": "{short}派出所", "镇": "{short}派出所"}),
    ("market_supervision", {"街道": "{short}市场监管所", "镇": "{short}市场监管所"}),
    ("natural_resources", {"街道": "{short}自然资源所", "镇": "{short}自然资源所"}),
    ("judicial", {"街道": "{short}司法所", "镇": "{short}司法所"}),
    ("emergency", {"街道": "{township}应急管理站", "镇": "{township}应急管理办"}),
)

STREET_POIS = (
    # (category, count in a 街道, count in a 镇, name patterns; {p} = place word of the spot's community)
    ("market", 2, 1, ("{p}农贸市场", "{p}菜市场")),
    ("school", 3, 1, ("同安区{p}小学", "{p}实验小学")),
    ("school", 1, 1, ("{p}中学",)),
    ("kindergarten", 2, 1, ("{p}幼儿园", "{p}中心幼儿园")),
    ("clinic", 1, 0, ("{p}社区卫生服务中心",)),
    ("park", 1, 0, ("{p}公园", "{p}休闲公园")),
    ("restaurant", 8, 3, ("{p}海鲜大排档", "阿{s}烧烤", "老{s}同安封肉馆", "{p}小吃店", "{s}记面线糊", "{p}土笋冻")),
    ("supermarket", 2, 1, ("{p}超市", "{p}便民超市")),
    ("entertainment", 2, 1, ("{p}网吧", "{p}KTV", "星光{p}歌城")),
    ("gas_station", 1, 1, ("{p}加油站",)),
    ("construction_site", 2, 1, ("{p}安置房项目工地", "{p}道路改造工地", "{p}商住项目工地")),
    ("bank", 1, 1, ("{p}信用社", "农村商业银行{p}支行")),
    ("hotel", 1, 0, ("{p}宾馆", "{p}商务酒店")),
)

DISTRICT_POIS = (
    ("同安区人民政府", "government", "大同街道"),
    ("厦门市第三医院", "hospital", "祥平街道"),
    ("同安区中医医院", "hospital", "大同街道"),
    ("同安汽车站", "bus_station", "大同街道"),
    ("同安枢纽站", "bus_station", "西柯街道"),
    ("同安第一中学", "school", "大同街道"),
    ("同安区体育中心", "sports", "祥平街道"),
)

LANDMARKS = (
    # (name, category, township, community or None)
    ("同安孔庙", "heritage", "大同街道", "西安社区"),
    ("梵天寺", "heritage", "大同街道", "东山社区"),
    ("大轮山", "scenic", "大同街道", "东山社区"),
    ("苏颂公园", "park", "大同街道", "三秀社区"),
    ("双溪公园", "park", "大同街道", "溪边社区"),
    ("北辰山", "scenic", "五显镇", "明溪村"),
    ("竹坝华侨农场", "scenic", "五显镇", "竹坝社区"),
    ("汀溪水库", "reservoir", "汀溪镇", "造水村"),
    ("军营村红色教育基地", "scenic", "莲花镇", "军营村"),
    ("小坪森林公园", "park", "莲花镇", "小坪村"),
    ("同安影视城", "scenic", "洪塘镇", "龙西社区"),
    ("丙洲岛", "island", "西柯街道", "丙洲社区"),
    ("美峰生态公园", "park", "美林街道", None),
    ("新民工业园", "industrial", "新民街道", None),
)

COMPOUND_WORDS = (
    "金山", "银湖", "凤凰", "阳光", "滨海", "碧水", "翠湖", "紫荆", "锦绣", "和顺", "书香", "海悦", "溪岸", "御景",
    "龙泉", "东方", "明珠", "盛世", "嘉禾", "玉兰", "丹桂", "榕城", "鹭港", "星河", "春晖", "鑫源", "福润", "怡景",
    "瑞景", "君悦", "天福", "华侨", "聚龙", "双溪", "状元", "莲湖", "美峰", "望海", "观澜", "梧桐",
)
COMPOUND_SUFFIXES = ("小区", "花园", "苑", "家园", "华府", "新城", "公寓", "山庄", "雅居", "名都", "嘉园", "湾")
SURNAMES_SHORT = ("陈", "林", "黄", "张", "吴", "李", "王", "郑", "蔡", "刘", "洪", "苏", "叶", "庄", "曾")


def _place_word(name: str) -> str:
    """A community's name without its kind (凤山社区 → 凤山; 顶村 stays 顶村)."""
    for suffix in ("社区", "村"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class _Gazetteer:
    """Collects places; names each township's spots after their community and addresses them on the roads."""

    def __init__(self, townships: GeoDataFrame, communities: GeoDataFrame, network: RoadNetwork, rng) -> None:
        self.townships = townships.set_index("code")
        self.communities = communities.reset_index(drop=True)
        self.tree = shapely.STRtree(self.communities.geometry.to_numpy())
        self.network = network
        self.rng = rng
        self.rows: list[dict] = []
        self.names: set[str] = set()

    def community_at(self, point) -> pd.Series | None:
        hits = self.tree.query(point, predicate="intersects")
        return self.communities.iloc[int(hits.min())] if len(hits) else None

    def address(self, point) -> tuple[str, shapely.Point]:
        """``同安区<township><road><n>号`` on a street; ``同安区<township><village><n>号`` in the country."""
        road, number, on_road = house_number(self.network, point)
        community = self.community_at(point)
        if community is None:
            return f"同安区{road}{number}号", on_road
        township = self.townships.loc[community["township_code"], "name"]
        kind = self.network.pieces["kind"].iat[self.network.nearest_piece(point)]
        if kind == "乡道" or on_road.distance(point) > 200.0:
            return f"同安区{township}{community['name']}{number}号", on_road
        return f"同安区{township}{road}{number}号", on_road

    def add(self, name: str, kind: str, category: str, point, address: str | None = None, unique: bool = True) -> bool:
        if unique and name in self.names:
            return False
        community = self.community_at(point)
        if community is None:
            return False
        self.names.add(name)
        self.rows.append({
            "name": name, "kind": kind, "category": category,
            "address": address if address is not None else self.address(point)[0],
            "township_code": community["township_code"], "community_code": community["code"],
            "x": float(point.x), "y": float(point.y),
        })
        return True

    def spot(self, township: str, kinds=("主干道", "次干道", "支路", "乡道"), offset=(20.0, 45.0)) -> shapely.Point:
        """A random point beside a road of ``township`` (a frontage), or inside it when it has no road."""
        pieces = self.network.pieces
        mine = pieces[(pieces["township_code"] == township) & pieces["kind"].isin(kinds)]
        if mine.empty:
            return self.townships.loc[township, "geometry"].representative_point()
        length = mine.geometry.length.to_numpy()
        line = mine.geometry.iloc[int(self.rng.choice(len(mine), p=length / length.sum()))]
        for _ in range(20):
            s = self.rng.uniform(0.1, 0.9) * line.length
            a, b = line.interpolate(max(s - 1, 0)), line.interpolate(min(s + 1, line.length))
            norm = np.array([-(b.y - a.y), b.x - a.x])
            norm /= np.hypot(*norm) or 1.0
            at = np.array(line.interpolate(s).coords[0]) + norm * self.rng.choice([-1, 1]) * self.rng.uniform(*offset)
            point = shapely.Point(at)
            community = self.community_at(point)
            if community is not None and community["township_code"] == township:
                return point
        return line.interpolate(0.5, normalized=True)


def _intersections(g: _Gazetteer) -> None:
    """Every vertex where two differently named roads meet (both not 乡道) is a named intersection."""
    meeting: dict[tuple[float, float], set[tuple[int, str]]] = {}
    for name, kind, geom in zip(g.network.pieces["name"], g.network.pieces["kind"], g.network.pieces.geometry, strict=True):
        for xy in shapely.get_coordinates(geom):
            meeting.setdefault((float(xy[0]), float(xy[1])), set()).add((KIND_RANK[kind], name))
    for (x, y), roads in sorted(meeting.items()):
        names = sorted(roads)
        distinct = list(dict.fromkeys(n for _, n in names))
        if len(distinct) < 2 or names[0][0] == KIND_RANK["乡道"]:
            continue
        point = shapely.Point(x, y)
        community = g.community_at(point)
        if community is None:
            continue
        township = g.townships.loc[community["township_code"], "name"]
        title = f"{distinct[0]}与{distinct[1]}交叉口"
        g.add(title, "intersection", "", point, address=f"同安区{township}{title}")


def _offices(g: _Gazetteer) -> None:
    """Township governments, department offices stationed in each township, community committees."""
    for code, town in g.townships.iterrows():
        short = town["name"].removesuffix("街道").removesuffix("镇")
        seat = g.communities[(g.communities["township_code"] == code) & (g.communities["kind"] == "社区")]
        core = (seat.iloc[0] if len(seat) else g.communities[g.communities["township_code"] == code].iloc[0]).geometry
        spots = [g.spot(code, ("主干道", "次干道", "支路")) for _ in range(12)]
        spots.sort(key=lambda p: (p.distance(core.representative_point()), p.x))
        office = f"{town['name']}办事处" if town["kind"] == "街道" else f"{town['name']}人民政府"
        g.add(office, "poi", "government", spots[0])
        for (category, pattern), point in zip(DEPARTMENT_OFFICES, spots[1:], strict=False):
            g.add(pattern[town["kind"]].format(short=short, township=town["name"]), "poi", category, point)
    for community in g.communities.itertuples():
        point = community.geometry.representative_point()
        g.add(community.official_name, "poi", "community_office", point)


def _pois(g: _Gazetteer) -> None:
    """Markets, schools, clinics, parks, shops, construction sites … named after the community they are in."""
    for name, category, township_name in DISTRICT_POIS:
        code = g.townships.index[g.townships["name"] == township_name]
        if len(code):
            g.add(name, "poi", category, g.spot(code[0], ("主干道", "次干道")))
    for code, town in g.townships.iterrows():
        for category, in_street, in_town, patterns in STREET_POIS:
            wanted = in_street if town["kind"] == "街道" else in_town
            made = 0
            for _ in range(wanted * 6):
                if made == wanted:
                    break
                point = g.spot(code)
                community = g.community_at(point)
                if community is None:
                    continue
                name = str(g.rng.choice(patterns)).format(p=_place_word(community["name"]), s=str(g.rng.choice(SURNAMES_SHORT)))
                made += g.add(name, "poi", category, point)
        # a bus stop near every other crossing of this township's main roads
        crossings = [r for r in g.rows if r["kind"] == "intersection" and r["township_code"] == code]
        for row in crossings[:: 2]:
            cross = row["name"].removesuffix("交叉口").split("与")[1]
            g.add(f"{cross}口公交站", "poi", "bus_stop", shapely.Point(row["x"] + 15.0, row["y"] + 15.0))


def _metro(g: _Gazetteer) -> None:
    """Stations of the planned Xiamen Metro Line 4, about 1.3 km apart across the urban townships."""
    streets = g.townships[g.townships["kind"] == "街道"]
    if streets.empty:
        return
    urban = shapely.union_all(streets.geometry.to_numpy()).buffer(-300)
    minx, miny, maxx, maxy = urban.bounds
    line = shapely.LineString([(minx, miny + 0.25 * (maxy - miny)), ((minx + maxx) / 2, (miny + maxy) / 2), (maxx, maxy)])
    inside = shapely.intersection(line, urban)
    for part in shapely.get_parts(inside):
        for s in np.arange(300.0, part.length, 1300.0):
            point = part.interpolate(s)
            community = g.community_at(point)
            if community is not None:
                g.add(f"地铁4号线{_place_word(community['name'])}站", "poi", "metro", point)


def _inside(geom, rng: np.random.Generator) -> shapely.Point:
    """A random point well inside ``geom`` (two landmarks of one community do not share a spot)."""
    core = geom.buffer(-150) if geom.buffer(-150).area > 0 else geom
    minx, miny, maxx, maxy = core.bounds
    for _ in range(200):
        point = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if core.contains(point):
            return point
    return core.representative_point()


def _landmarks(g: _Gazetteer) -> None:
    for name, category, township_name, community_name in LANDMARKS:
        if community_name is not None:
            match = g.communities[g.communities["name"] == community_name]
        else:
            code = g.townships.index[g.townships["name"] == township_name]
            match = g.communities[g.communities["township_code"].isin(code)]
        if not match.empty:
            geom = match.iloc[int(g.rng.integers(len(match)))].geometry
            g.add(name, "landmark", category, _inside(geom, g.rng))


def _compounds(g: _Gazetteer) -> None:
    """Residential compounds (小区) in blocks off the streets, each with its numbered buildings (N号楼)."""
    for code, town in g.townships.iterrows():
        wanted = 32 if town["kind"] == "街道" else 6
        made = 0
        for _ in range(wanted * 8):
            if made == wanted:
                break
            name = f"{g.rng.choice(COMPOUND_WORDS)}{g.rng.choice(COMPOUND_SUFFIXES)}"
            point = g.spot(code, ("次干道", "支路"), offset=(70.0, 110.0))
            address, on_road = g.address(point)
            if not g.add(name, "compound", "residential", point, address=address):
                continue
            made += 1
            # buildings in rows parallel to the road, 30 m apart
            along = np.array([on_road.y - point.y, point.x - on_road.x])
            along /= np.hypot(*along) or 1.0
            away = np.array([point.x - on_road.x, point.y - on_road.y])
            away /= np.hypot(*away) or 1.0
            count = int(g.rng.integers(4, 11))
            for n in range(1, count + 1):
                row, col = divmod(n - 1, 4)
                xy = np.array([point.x, point.y]) + along * (col - 1.5) * 30.0 + away * (row - 0.5) * 35.0
                g.add(f"{name}{n}号楼", "building", "residential", shapely.Point(xy), address=f"{address}{name}{n}号楼")


def build_places(townships: GeoDataFrame, communities: GeoDataFrame, network: RoadNetwork, rng) -> pd.DataFrame:
    """All demo places (EPSG:4548 ``x``/``y``), in a fixed order: intersections, offices, POIs, metro,
    landmarks, compounds and buildings, numbered ``P00001`` …"""
    g = _Gazetteer(townships, communities, network, rng)
    _intersections(g)
    _offices(g)
    _pois(g)
    _metro(g)
    _landmarks(g)
    _compounds(g)
    table = pd.DataFrame(g.rows)
    table.insert(0, "id", [f"P{k:05d}" for k in range(1, len(table) + 1)])
    return table[PLACE_COLUMNS]
