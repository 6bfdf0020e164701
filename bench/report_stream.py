"""A generated stream of channel reports over a jurisdiction, with known duplicates, for the intake benchmarks.

Problems (*incidents*) happen at places of the gazetteer — many at markets, schools, metro exits,
construction sites, restaurants, few at an ordinary building — with an enforcement item that suits the
place (vending at a market gate, dust at a construction site, fumes at a restaurant). Each incident lasts
until it is handled — about half its item's time limit (items.yaml), so hours for open burning, a day for a
vendor, days for fumes — and is reported once or several times meanwhile, by different channels, each in
its own way:

=============  =========================================================  ===================================
channel        location                                                   description
=============  =========================================================  ===================================
hotline_12345  address text only (the place's name and a side word, or    a caller's words with boilerplate
               its postal address): the 30 % address-only reports
dcm_12319      CGCS2000 Gauss–Krüger metres (EPSG:4548), ~5 m noise      terse supervisor wording
grid_worker    GCJ-02 from the phone, ~15 m noise                        worker's wording
police_110     BD-09, ~30 m noise                                         a transfer's wording
patrol         WGS-84 GPS, ~10 m noise                                    officer's wording
=============  =========================================================  ===================================

Two reports are duplicates exactly when they belong to one incident; *hard negatives* come for free: two
vendors at two gates of one market in one afternoon selling different things, the same problem again once
the first was handled, fumes and a barbecue at one restaurant. Points are placed on the side of the place
the text names (东门 is east of it); 30 % of reports name no side (门口, 附近). Now and then a further report
is filed under a neighbouring item (:data:`CONFUSED`).

    from bench.report_stream import report_stream
    stream = report_stream(Path("data/demo"), n=50_000, seed=350212)
    stream.reports[0], stream.incident[0]

Deterministic for a seed. Descriptions are invented; places come from the jurisdiction folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from geo.coords import convert
from geo.crs import DISTRICT_METRIC_CRS, WGS84, transformer
from ingest.categories import ITEMS_YAML
from ingest.report import Point, Report, SourceRef

CHANNEL_MIX = {"hotline_12345": 0.30, "dcm_12319": 0.25, "grid_worker": 0.20, "patrol": 0.15, "police_110": 0.10}
"""Share of reports per channel; the hotline's are the address-only ones."""
NOISE_M = {"dcm_12319": 5.0, "grid_worker": 15.0, "police_110": 30.0, "patrol": 10.0}
CRS = {"dcm_12319": "EPSG:4548", "grid_worker": "gcj02", "police_110": "bd09", "patrol": "wgs84"}

CATEGORY_WEIGHT = {"market": 40.0, "metro": 25.0, "construction_site": 25.0, "school": 15.0, "kindergarten": 10.0,
                   "bus_station": 12.0, "restaurant": 8.0, "supermarket": 6.0, "park": 6.0, "entertainment": 6.0,
                   "bus_stop": 1.5, "hotel": 3.0, "hospital": 8.0, "scenic": 3.0}
KIND_WEIGHT = {"compound": 2.0, "building": 0.25, "intersection": 1.0, "poi": 1.0, "landmark": 2.0}

ITEMS_AT = {
    "market": {"ZF001": 5, "ZF002": 3, "ZF003": 2, "ZF030": 2, "ZF008": 1, "ZF023": 1, "ZF028": 1, "ZF029": 1},
    "school": {"ZF001": 4, "ZF030": 3, "ZF023": 3, "ZF024": 2, "ZF005": 1, "ZF015": 1},
    "kindergarten": {"ZF001": 3, "ZF023": 3, "ZF030": 2, "ZF024": 1},
    "metro": {"ZF024": 4, "ZF023": 3, "ZF038": 3, "ZF001": 3, "ZF005": 1},
    "bus_station": {"ZF038": 3, "ZF001": 3, "ZF024": 2, "ZF023": 2},
    "construction_site": {"ZF013": 4, "ZF016": 4, "ZF019": 3, "ZF020": 2, "ZF017": 2, "ZF007": 1},
    "restaurant": {"ZF011": 4, "ZF002": 3, "ZF010": 3, "ZF029": 1, "ZF008": 1},
    "residential": {"ZF017": 2, "ZF018": 2, "ZF015": 3, "ZF036": 2, "ZF006": 1, "ZF007": 2, "ZF009": 2, "ZF005": 2,
                    "ZF042": 2, "ZF033": 1, "ZF034": 1, "ZF032": 1, "ZF035": 1, "ZF040": 1},
}
"""Items and relative weights by place category; other places draw from every item."""

ITEM_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # item: (what / who, how it is said)
    "ZF001": (("卖水果的", "卖蔬菜的", "卖海鲜的", "卖早餐的", "卖烤地瓜的", "卖衣服的", "卖花的"),
              ("流动摊贩占道经营", "小贩占用人行道摆卖", "摊贩占道摆摊", "占道经营堵住通道")),
    "ZF002": (("水果店", "小吃店", "五金店", "服装店", "便利店", "杂货店"), ("把货摆到店外经营", "出店经营占用人行道", "店外摆放商品")),
    "ZF003": (("修鞋摊", "钥匙摊", "报刊摊", "奶茶摊", "擦鞋摊"), ("违规设置摊点", "私设摊点", "摆设固定摊位")),
    "ZF004": (("大型广告牌", "楼顶广告", "灯箱广告", "墙体广告"), ("未经审批设置", "违规设置户外广告", "私自悬挂广告")),
    "ZF005": (("电线杆", "墙面", "公交站牌", "楼道口"), ("被贴满小广告", "有人张贴小广告", "乱贴办证广告")),
    "ZF006": (("横幅", "电线", "晾衣绳", "彩旗"), ("乱拉乱挂", "私拉乱挂影响市容", "违规悬挂")),
    "ZF007": (("建材", "废旧家具", "沙石", "纸箱杂物"), ("长期乱堆乱放", "堆放在公共区域", "占道堆放")),
    "ZF008": (("建筑垃圾", "生活垃圾", "装修垃圾", "废弃床垫"), ("被人随意倾倒", "乱倒无人清理", "违规倾倒")),
    "ZF009": (("垃圾桶", "垃圾投放点", "分类垃圾房"), ("垃圾未分类混投", "没有按规定分类", "混装混运")),
    "ZF010": (("烧烤摊", "烤串店", "夜宵摊"), ("露天烧烤烟雾很大", "在路边露天烧烤", "占道烧烤油烟扰民")),
    "ZF011": (("餐馆", "饭店", "大排档", "小吃店"), ("油烟直排扰民", "油烟很大熏到楼上", "未安装油烟净化设施")),
    "ZF012": (("垃圾", "秸秆", "废旧轮胎", "枯枝落叶"), ("有人焚烧冒黑烟", "露天焚烧气味刺鼻", "违规焚烧")),
    "ZF013": (("工地", "拆迁现场", "土方作业点"), ("扬尘很大没有覆盖", "施工扬尘严重", "未洒水降尘")),
    "ZF014": (("餐馆后厨", "洗车店", "小作坊"), ("污水直排雨水管", "乱排污水", "偷排污水发臭")),
    "ZF015": (("广场舞音响", "KTV", "商铺喇叭", "装修电钻"), ("噪音很大扰民", "噪声扰民", "声音太吵影响休息")),
    "ZF016": (("工地", "搅拌车", "打桩机"), ("深夜还在施工", "夜间施工噪音扰民", "凌晨施工")),
    "ZF017": (("楼顶", "院子", "一楼住户", "空地"), ("在违章搭建", "正在加盖违建", "私自扩建")),
    "ZF018": (("铁皮棚", "雨棚", "简易房", "岗亭"), ("违规搭建", "私搭乱建", "违规搭建棚亭")),
    "ZF019": (("渣土车", "泥头车", "运输车"), ("沿路撒漏渣土", "未密闭运输建筑垃圾", "带泥上路")),
    "ZF020": (("人行道", "路面", "绿化带"), ("被挖开未审批", "擅自开挖", "挖掘后未恢复")),
    "ZF021": (("井盖", "护栏", "路灯", "消防栓"), ("被损坏", "遭人破坏", "被撞坏无人修")),
    "ZF022": (("绿地", "草坪", "行道树"), ("被踩踏破坏", "被毁种菜", "被人砍伐")),
    "ZF023": (("私家车", "货车", "电动车", "面包车"), ("停在人行道上", "占用人行道停车", "乱停堵住盲道")),
    "ZF024": (("共享单车", "共享电单车", "自行车"), ("乱停乱放", "堆满人行道", "占道乱停")),
    "ZF025": (("农田", "耕地", "菜地"), ("被占用建房", "违法占用堆土", "被硬化")),
    "ZF026": (("河道", "溪边", "河滩"), ("有人非法采砂", "挖沙船作业", "偷采河沙")),
    "ZF027": (("山林", "林地", "山坡"), ("被占用开挖", "违法毁林", "砍树建房")),
    "ZF028": (("小卖部", "美甲店", "小作坊"), ("无照经营", "没有营业执照", "无证照经营")),
    "ZF029": (("小吃店", "熟食摊", "食堂"), ("食品卫生很差", "卖过期食品", "存在食品安全隐患")),
    "ZF030": (("卖卤味的", "卖凉粉的", "卖包子的", "卖烧饼的"), ("无证食品摊贩", "流动食品摊无证经营", "无证摆卖熟食")),
    "ZF031": (("超市", "水果摊", "停车场"), ("乱收费", "价格欺诈", "不明码标价")),
    "ZF032": (("消防通道", "楼道", "小区出入口"), ("被车辆堵塞", "被杂物堵死", "占用消防通道")),
    "ZF033": (("出租房", "仓库", "小作坊"), ("电线乱拉存在消防隐患", "消防设施缺失", "堆放易燃物")),
    "ZF034": (("餐馆", "出租房", "小吃店"), ("液化气瓶违规存放", "燃气泄漏气味", "燃气管道私改")),
    "ZF035": (("楼下", "广场", "巷子里"), ("有人燃放烟花爆竹", "违规放鞭炮", "燃放礼炮")),
    "ZF036": (("大型犬", "流浪狗", "烈性犬"), ("没拴绳到处跑", "遛狗不拴绳", "犬只扰民")),
    "ZF037": (("网吧", "KTV", "酒吧"), ("接纳未成年人", "超时营业", "违规经营")),
    "ZF038": (("黑车", "摩的", "无牌面包车"), ("在拉客非法营运", "揽客载客", "非法营运")),
    "ZF039": (("店招", "招牌", "门头"), ("违规设置", "超大招牌", "招牌破损有坠落危险")),
    "ZF040": (("鸡鸭", "家禽", "生猪"), ("在小区内饲养", "散养气味很大", "违规饲养")),
    "ZF041": (("工厂", "仓库", "作坊"), ("存在安全生产隐患", "违规操作", "无防护作业")),
    "ZF042": (("地桩", "地锁", "石墩"), ("私自安装占用车位", "违规设置地锁", "乱设地桩")),
}
SIDES = {"门口": (0.0, -1.0), "东门": (1.0, 0.0), "西侧": (-1.0, 0.0), "北侧": (0.0, 1.0), "南门": (0.0, -1.0),
         "对面": (0.0, -1.6), "旁边": (0.7, 0.7), "后门": (0.0, 1.0), "东侧": (1.0, 0.0), "西南角": (-0.7, -0.7)}
VAGUE = ("门口", "旁边", "附近", "")
SAYS_SIDE = 0.7
"""Share of reports that name the side of the place; the others say 门口, 旁边, 附近 or nothing."""
HANDLING = 0.5
"""An incident is handled after this share of its item's time limit (items.yaml ``time_limit_hours``), median,
log-normal (σ 0.5) and at most 1.5 times the limit. Until then the problem stays and gets reported; the
same kind of problem at the same spot (see :data:`BY_SIDE`, :data:`BY_WHAT`) is another report of it."""
BY_SIDE = {"ZF001", "ZF003", "ZF005", "ZF010", "ZF023", "ZF024", "ZF030", "ZF036", "ZF038", "ZF042"}
"""Problems told apart by the side of the place (a vendor at the east gate, another at the north side); another
vendor at the same place at the same time sells something else."""
BY_WHAT = {"ZF002", "ZF014", "ZF017", "ZF018", "ZF028", "ZF029", "ZF031", "ZF033", "ZF034", "ZF037",
           "ZF039", "ZF041"}
"""Problems told apart by what they are about (the fruit shop, the hardware shop); the rest by the place (one
building site's dust, one market's rubbish)."""
CONFUSED = {"ZF001": ("ZF003", "ZF002", "ZF030"), "ZF002": ("ZF001",), "ZF003": ("ZF001",), "ZF030": ("ZF001",),
            "ZF010": ("ZF011",), "ZF011": ("ZF010",), "ZF013": ("ZF016",), "ZF016": ("ZF015",), "ZF015": ("ZF016",),
            "ZF023": ("ZF024",), "ZF024": ("ZF023",), "ZF007": ("ZF008",), "ZF008": ("ZF007",),
            "ZF017": ("ZF018",), "ZF018": ("ZF017",)}
"""Items one problem is easily filed under by another channel (占道经营 or 违规设置摊点 for one vendor …);
ZF030 无证食品摊贩 (市场监管) for a food vendor is filed by the hotline under 占道经营 (市容环境)."""
CONFUSION = 0.15
"""Share of further reports filed under a neighbouring item."""
HOUR_WEIGHTS = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.3, 1.5, 1.5, 1.3,
                         1.0, 1.1, 1.4, 1.5, 1.4, 1.3, 1.0, 0.9, 0.8, 0.6, 0.4, 0.3])
SHANGHAI_OFFSET = timedelta(hours=8)

HOTLINE = ("市民来电反映{spot}{what}{how}，{impact}，请相关部门尽快处理。", "来电人称{spot}{what}{how}，{impact}。",
           "有群众反映：{spot}{what}{how}，希望尽快处理。", "来电反映{spot}{how}，{what}，{impact}。")
IMPACTS = ("影响通行", "影响周边居民生活", "存在安全隐患", "影响市容", "已多次反映", "严重扰民")
WORDING = {
    "dcm_12319": ("{spot}{what}{how}", "{spot}{how}"),
    "grid_worker": ("网格员巡查发现{spot}{what}{how}，已拍照取证。", "{spot}{what}{how}，请执法队处置。"),
    "police_110": ("报警人称{spot}{what}{how}，属非警务类事项，转综合执法处理。", "110转办：{spot}{what}{how}。"),
    "patrol": ("巡查发现{spot}{what}{how}。", "巡查中发现{spot}{what}{how}，现场已拍照。"),
}


@dataclass(frozen=True)
class Stream:
    """The reports in arrival order, each with its incident (duplicates share one) and true position."""

    reports: list[Report]
    incident: np.ndarray
    true_lon: np.ndarray
    true_lat: np.ndarray
    incidents: int
    handled_at: np.ndarray
    """When each incident was handled (seconds since the epoch): its case may close then."""
    place: np.ndarray
    """Each report's place (row of the gazetteer's places): to tell a wrong join at the same place from one
    at another (the benchmark's diagnosis)."""

    @property
    def duplicates(self) -> int:
        """Reports that are not the first of their incident."""
        return len(self.reports) - self.incidents


def report_stream(folder: Path, n: int, seed: int = 350212, per_day: float = 900.0,
                  start: datetime = datetime(2026, 1, 1, tzinfo=UTC), reports_per_incident: float = 1.35,
                  address_only: float = CHANNEL_MIX["hotline_12345"]) -> Stream:
    """``n`` reports over ``n / per_day`` days; ``reports_per_incident`` on average (so about
    ``1 - 1 / reports_per_incident`` of the reports are duplicates); ``address_only`` of them from the hotline."""
    rng = np.random.default_rng(seed)
    places = _places(folder)
    weights = places["weight"].to_numpy()
    weights = weights / weights.sum()
    x, y = transformer(WGS84, DISTRICT_METRIC_CRS).transform(places["lon"].to_numpy(), places["lat"].to_numpy())
    mix = dict(CHANNEL_MIX)
    rest = 1.0 - address_only
    others = {k: v / (1.0 - CHANNEL_MIX["hotline_12345"]) * rest for k, v in mix.items() if k != "hotline_12345"}
    channels = ["hotline_12345", *others]
    channel_p = np.array([address_only, *others.values()])
    extra_p = 1.0 - 1.0 / reports_per_incident  # geometric number of further reports

    limits = _time_limits(folder)
    rows: list[tuple] = []  # (time, incident, channel, x, y, side, what, how, place row, item as reported)
    ongoing: dict[tuple, tuple[int, datetime, float, float, str, str]] = {}
    objects: dict[tuple[int, str], dict[str, datetime]] = {}
    handled: list[datetime] = []
    for k, t0 in _incident_starts(per_day / reports_per_incident, start, weights, rng):
        if len(rows) >= n:
            break
        item = _item_for(places.iloc[k], rng)
        side = str(rng.choice(list(SIDES)))
        what_words, how_words = ITEM_WORDS[item]
        what = str(rng.choice(what_words))
        key = (k, side, item) if item in BY_SIDE else (k, item, what) if item in BY_WHAT else (k, item)
        same = ongoing.get(key)
        if same is not None and same[1] > t0:  # not handled yet: another report of it (starts come in order)
            number, _, ix, iy, side, what = same
            rows.append((t0, number, _channel(channels, channel_p, rng), ix, iy, side, what,
                         str(rng.choice(how_words)), k, _reported_item(item, rng)))
            continue
        dx, dy = SIDES[side]
        offset = rng.uniform(15, 45)
        ix, iy = x[k] + dx * offset, y[k] + dy * offset
        if item in BY_SIDE:
            busy = {w for w, until in objects.get((k, item), {}).items() if until > t0}
            free = [w for w in what_words if w not in busy] or list(what_words)
            what = str(rng.choice(free))
        limit = limits.get(item, 24.0)
        lasts = timedelta(hours=float(min(limit * HANDLING * rng.lognormal(0.0, 0.5), 1.5 * limit)))
        incident = len(handled)
        handled.append(t0 + lasts)
        objects.setdefault((k, item), {})[what] = t0 + lasts
        ongoing[key] = (incident, t0 + lasts, ix, iy, side, what)
        count = 1 + int(rng.geometric(1.0 - extra_p) - 1)
        times = [t0] + sorted(t0 + lasts * float(rng.uniform(0, 1)) for _ in range(count - 1))
        for j, t in enumerate(times):
            reported = item if j == 0 else _reported_item(item, rng)
            rows.append((t, incident, _channel(channels, channel_p, rng), ix, iy, side, what,
                         str(rng.choice(how_words)), k, reported))
    rows.sort(key=lambda r: r[0])
    rows = rows[:n]
    return _reports(rows, places, rng, seed, np.array([int(h.timestamp()) for h in handled], np.int64))


def _incident_starts(per_day: float, start: datetime, weights: np.ndarray,
                     rng: np.random.Generator) -> Iterator[tuple[int, datetime]]:
    """(place row, start time) of incidents, day after day, in time order (until the caller has enough)."""
    hours = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    day = 0
    while True:
        count = int(rng.poisson(per_day))
        places = rng.choice(len(weights), size=count, p=weights)
        at = np.sort(rng.choice(24, size=count, p=hours) + rng.uniform(0, 1, count))
        midnight = start + timedelta(days=day) - SHANGHAI_OFFSET
        for k, hour in zip(places.tolist(), at.tolist(), strict=True):
            yield k, midnight + timedelta(hours=hour)
        day += 1


def _channel(channels: list[str], p: np.ndarray, rng: np.random.Generator) -> str:
    return str(rng.choice(channels, p=p))


def _reported_item(item: str, rng: np.random.Generator) -> str:
    """The item a further report is filed under: now and then a neighbouring one (see :data:`CONFUSED`)."""
    others = CONFUSED.get(item)
    if others and rng.random() < CONFUSION:
        return str(rng.choice(others))
    return item


def _time_limits(folder: Path) -> dict[str, float]:
    """Item code → hours from acceptance to handling (items.csv of the jurisdiction folder, else items.yaml)."""
    path = Path(folder) / "items.csv"
    if path.exists():
        items = pd.read_csv(path)
        return dict(zip(items["code"], items["time_limit_hours"].astype(float), strict=True))
    document = yaml.safe_load(ITEMS_YAML.read_text(encoding="utf-8"))
    return {item["code"]: float(item["time_limit_hours"]) for item in document["items"]}


def _places(folder: Path) -> pd.DataFrame:
    places = pd.read_csv(Path(folder) / "places.csv", dtype={"township_code": str, "community_code": str})
    category = places["category"].fillna("")
    places["weight"] = [CATEGORY_WEIGHT.get(c, KIND_WEIGHT.get(k, 1.0)) for c, k in zip(category, places["kind"],
                                                                                         strict=True)]
    places["category"] = category
    return places.reset_index(drop=True)


def _item_for(place: pd.Series, rng: np.random.Generator) -> str:
    table = ITEMS_AT.get(place["category"])
    if not table:
        return str(rng.choice(list(ITEM_WORDS)))
    codes = list(table)
    p = np.array(list(table.values()), float)
    return str(rng.choice(codes, p=p / p.sum()))


def _reports(rows: list[tuple], places: pd.DataFrame, rng: np.random.Generator, seed: int,
             handled: np.ndarray) -> Stream:
    n = len(rows)
    ix = np.array([r[3] for r in rows])
    iy = np.array([r[4] for r in rows])
    true_lon, true_lat = transformer(DISTRICT_METRIC_CRS, WGS84).transform(ix, iy)
    channel = [r[2] for r in rows]
    noise = np.array([NOISE_M.get(c, 0.0) for c in channel])
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.abs(rng.normal(0, 1, n)) * noise
    px, py = ix + radius * np.cos(angle), iy + radius * np.sin(angle)
    lon, lat = transformer(DISTRICT_METRIC_CRS, WGS84).transform(px, py)
    given_x, given_y = np.array(lon), np.array(lat)
    for crs in ("gcj02", "bd09"):
        mask = np.array([CRS.get(c) == crs for c in channel])
        if mask.any():
            given_x[mask], given_y[mask] = convert(lon[mask], lat[mask], "wgs84", crs)
    dcm = np.array([c == "dcm_12319" for c in channel])
    given_x[dcm], given_y[dcm] = px[dcm], py[dcm]
    names, addresses = places["name"].tolist(), places["address"].fillna("").tolist()
    serial: dict[str, int] = {}
    reports: list[Report] = []
    for i, (t, _incident, ch, _x, _y, side, what, how, k, item) in enumerate(rows):
        serial[ch] = serial.get(ch, 0) + 1
        external_id = f"G{seed}-{ch[:3].upper()}-{serial[ch]:09d}"
        said = side if rng.random() < SAYS_SIDE else str(rng.choice(VAGUE))  # not every reporter says which gate
        spot = f"{names[k]}{said}"
        if ch == "hotline_12345":
            text = str(rng.choice(HOTLINE)).format(spot=spot, what=what, how=how, impact=str(rng.choice(IMPACTS)))
            address = spot if rng.random() < 0.6 or not addresses[k] else addresses[k]
            point = None
        else:
            text = str(rng.choice(WORDING[ch])).format(spot=spot, what=what, how=how)
            address = None
            crs = CRS[ch]
            point = Point(round(float(given_x[i]), 2 if crs == "EPSG:4548" else 7),
                          round(float(given_y[i]), 2 if crs == "EPSG:4548" else 7), crs)
        received = t.replace(microsecond=0)
        raw = {"id": external_id, "time": received.isoformat(), "text": text, "address": address,
               "x": point.x if point else None, "y": point.y if point else None}
        reports.append(Report(
            channel=ch, external_id=external_id, received_at=received, item_code=item, category=item,
            source=SourceRef(f"generated-{ch}.jsonl", i + 1, "record"), description=text, address=address,
            point=point, reporter_phone=f"138{rng.integers(10**8):08d}" if ch == "hotline_12345" else None,
            raw=raw))
    return Stream(reports, np.array([r[1] for r in rows]), np.asarray(true_lon), np.asarray(true_lat),
                  len({r[1] for r in rows}), handled, np.array([r[8] for r in rows], np.int64))
