"""A live feed over the demo city, for demonstrations and load: ``python -m ingest simulate --rate N``.

:func:`simulate` yields the messages the channels would send, in time order, each as the channel's own JSON
record (12345 work orders with Chinese keys, 12319 cases with Gauss–Krüger X/Y, grid-worker reports in
GCJ-02, 110 transfers in BD-09, officers' findings in WGS-84). ``run_simulate`` parses each through the
channel's adapter and appends the result — a report, or a quarantined record — to the intake stream
(:mod:`live.intake`), paced in real time.

What makes it look like a real township:

* **rhythm** — quiet nights, a morning peak, a busy afternoon and evening; weekends a little lighter by
  day and noisier at night (:data:`HOURLY`, :data:`WEEKDAY`). ``rate`` is the mean over a week, so at 3 a.m.
  the feed runs at a fifth of it and at 10 a.m. at about one and a half times;
* **hotspots** — problems cluster at the gazetteer's markets (street vending, trading outside shops),
  schools (vendors and parking at the gate at opening and closing time), metro station exits (shared
  bicycles), construction sites (dust, spoil trucks, night work) and restaurants and KTVs (fumes, noise),
  with residential compounds and street corners as the background (:data:`ANCHORS`);
* **channel mix by hour** — 12319 supervisors and grid workers report in office hours, officers on patrol
  into the evening, the 12345 hotline and 110 around the clock (:data:`CHANNEL_HOURS`);
* **duplicates** — a share of problems is reported again by another channel minutes later, a few tens of
  metres away, in other words (``duplicate`` marks them; ``event`` names the problem, for measuring the
  de-duplication);
* **malformed records** — a few per thousand, broken the ways the sample files show (missing field,
  hour 25, swapped coordinates, a category no table knows); the adapters quarantine them.

Everything is drawn from one seeded random source: the same seed, start and arguments give the same feed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import heapq
import itertools
import json
import math
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from geo.coords import convert
from ingest.categories import CategoryMap, default_map

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "data" / "demo"

HOURLY = (0.25, 0.15, 0.10, 0.08, 0.08, 0.15, 0.45, 0.95, 1.45, 1.70, 1.70, 1.45,
          1.15, 1.25, 1.50, 1.55, 1.45, 1.35, 1.30, 1.30, 1.20, 0.95, 0.70, 0.45)
"""Relative report volume by local hour (Asia/Shanghai)."""
WEEKDAY = (1.05, 1.05, 1.05, 1.05, 1.05, 0.90, 0.85)
"""Relative volume Monday … Sunday."""

ANCHORS: dict[str, tuple[tuple[str, ...], float, dict[str, float]]] = {
    # anchor: (places.csv categories, share, {item: weight})
    "market": (("market",), 0.17, {"ZF001": 6, "ZF002": 3, "ZF008": 2, "ZF007": 1, "ZF023": 1}),
    "school": (("school", "kindergarten"), 0.11, {"ZF001": 3, "ZF023": 3, "ZF005": 2, "ZF024": 1}),
    "metro": (("metro",), 0.11, {"ZF024": 6, "ZF001": 2, "ZF023": 1, "ZF005": 1}),
    "construction": (("construction_site",), 0.15, {"ZF013": 4, "ZF016": 3, "ZF019": 3, "ZF007": 1}),
    "food_and_fun": (("restaurant", "entertainment", "supermarket"), 0.12,
                     {"ZF011": 4, "ZF010": 3, "ZF015": 3, "ZF002": 1}),
    "residential": (("residential",), 0.20, {"ZF017": 3, "ZF033": 2, "ZF032": 2, "ZF008": 2, "ZF042": 1,
                                             "ZF018": 1, "ZF012": 1}),
    "street": (("", "bus_stop"), 0.14, {"ZF024": 2, "ZF023": 3, "ZF001": 1, "ZF004": 1, "ZF005": 1}),
}
"""Where problems happen and which: each anchor's places and the enforcement items seen there."""

CHANNEL_HOURS: dict[str, tuple[float, tuple[int, int]]] = {
    # channel: (share while on duty, (first hour, end hour) of duty, local time)
    "hotline_12345": (0.36, (0, 24)),
    "dcm_12319": (0.20, (8, 18)),
    "grid_worker": (0.22, (8, 19)),
    "patrol": (0.14, (8, 22)),
    "police_110": (0.08, (0, 24)),
}
"""Who reports, and when they work."""

COMPLAINTS: dict[str, tuple[str, ...]] = {
    "ZF001": ("{p}门口有流动摊贩占道卖水果，行人只能走机动车道", "{p}路边早上有人摆摊卖菜，堵塞人行道",
              "{p}附近晚上有小吃摊占道经营，垃圾遍地", "{p}出口处有游商兜售，占用通道"),
    "ZF002": ("{p}旁边的店铺把货架摆到店外人行道上经营", "{p}一排商铺出店经营，占用盲道"),
    "ZF004": ("{p}门口立了落地广告牌，占用人行道", "{p}楼顶新装了一块大型广告牌，不知是否审批"),
    "ZF005": ("{p}电线杆和墙面被贴满了办证小广告", "{p}附近到处是开锁、通下水道的小广告"),
    "ZF007": ("{p}门口堆放大量建材和沙石，占用人行道", "{p}路边堆了很多废旧家具和杂物，一直没人清理"),
    "ZF008": ("{p}旁边空地有人夜里偷倒生活垃圾，气味很大", "{p}附近有车辆倾倒装修垃圾"),
    "ZF010": ("{p}门口每晚有露天烧烤，油烟很大", "{p}附近几个摊位露天烧烤到凌晨"),
    "ZF011": ("{p}楼下餐馆油烟直排，住户无法开窗", "{p}一家餐饮店没装油烟净化设备，油烟扰民"),
    "ZF012": ("{p}附近有人焚烧垃圾，烟雾很大", "{p}旁边空地有人焚烧树叶杂草"),
    "ZF013": ("{p}没有围挡洒水，扬尘严重", "{p}车辆进出带泥上路，扬尘很大"),
    "ZF015": ("{p}晚上音响声音太大，影响休息", "{p}门口广场舞音响声音过大，十点还没停"),
    "ZF016": ("{p}夜间施工，凌晨还在打桩", "{p}晚上十一点后还在浇筑混凝土，噪声很大"),
    "ZF017": ("{p}有住户在楼顶违规加盖房屋", "{p}一楼住户在院子里违章搭建彩钢房"),
    "ZF018": ("{p}门口有人搭建铁皮棚经营", "{p}路边违规搭建了一个雨棚"),
    "ZF019": ("{p}附近渣土车抛洒，路面全是泥土", "{p}出入的渣土车未密闭运输，沿路撒漏"),
    "ZF023": ("{p}门口人行道上停满机动车", "{p}附近接送孩子的车辆占用人行道，行人无法通行"),
    "ZF024": ("{p}门口共享单车乱停放，堵住出入口", "{p}旁共享单车堆积成山，占用盲道"),
    "ZF032": ("{p}消防通道被车辆堵塞", "{p}楼下消防通道堆放杂物"),
    "ZF033": ("{p}有住户从楼上飞线给电动车充电", "{p}楼道里停放电动车充电，存在火灾隐患"),
    "ZF042": ("{p}门口公共停车位被私人装了地锁", "{p}路边有人私设地桩占用车位"),
}
"""What people say about each item (``{p}`` is the place)."""

SURNAMES = "陈林黄张吴李王郑蔡刘杨许洪苏叶庄曾颜柯谢周徐何高郭"
GIVEN = "伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚志建华文辉鹏斌婷雪琳晨宇浩凯俊鑫振荣海燕玲红峰宏毅兴龙清坤榕"
PHONE_PREFIXES = ("133", "135", "137", "138", "139", "150", "151", "158", "159", "177", "180", "186", "189")
REPEATS = (1, 1, 2)
"""How many further reports a duplicated problem gets (drawn uniformly from these)."""
DUPLICATES_PER_REPEAT = sum(REPEATS) / len(REPEATS)
DUPLICATE_DELAY_S = 900.0
"""Mean delay of a further report after the first, simulated seconds (exponential, cut at 8 times this)."""
METRO_EXITS = ((0.0, 55.0, "A"), (55.0, 0.0, "B"), (0.0, -55.0, "C"), (-55.0, 0.0, "D"))
"""Exit letter and its offset in metres (east, north) from the station's point."""


@dataclass(frozen=True)
class Place:
    name: str
    category: str
    address: str
    township_code: str
    community_code: str
    lon: float
    lat: float


class City:
    """What the simulator needs of a jurisdiction folder: places by anchor, officers, names, cell codes."""

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        if not (folder / "places.csv").exists():
            raise FileNotFoundError(f"no jurisdiction folder at {folder} (places.csv missing): generate the demo "
                                    f"city with `python -m data generate --out {folder}`")
        with (folder / "places.csv").open(encoding="utf-8") as f:
            rows = [row for row in csv.DictReader(f) if row["kind"] != "landmark"]
        places = [Place(r["name"], r["category"], r["address"], r["township_code"], r["community_code"],
                        float(r["lon"]), float(r["lat"])) for r in rows]
        self.anchors = {name: [p for p in places if p.category in categories]
                        for name, (categories, _, _) in ANCHORS.items()}
        empty = [name for name, found in self.anchors.items() if not found]
        if empty:
            raise ValueError(f"{folder / 'places.csv'}: no places for the anchors {empty} "
                             f"(categories {[ANCHORS[name][0] for name in empty]})")
        townships = json.loads((folder / "townships.geojson").read_text(encoding="utf-8"))
        self.township_names = {f["properties"]["code"]: f["properties"]["name"] for f in townships["features"]}
        with (folder / "officers.csv").open(encoding="utf-8") as f:
            officers = [o for o in csv.DictReader(f) if "-ZF0" in o["team_code"]]
        self.officers: dict[str, list[dict[str, str]]] = {}
        for officer in officers:
            self.officers.setdefault(officer["team_code"][:9], []).append(officer)
        self.cells: dict[tuple[int, int], str] = {}
        cells_path = folder / "cells.geojson"
        if cells_path.exists():
            for feature in json.loads(cells_path.read_text(encoding="utf-8"))["features"]:
                props = feature["properties"]
                self.cells[(int(props["col"]), int(props["row"]))] = props["code"]

    def cell(self, x: float, y: float) -> str | None:
        """The unit-grid cell code of a point in EPSG:4548 metres (None outside the grid)."""
        return self.cells.get((math.floor(x / 100), math.floor(y / 100)))


def simulate(rate: float, duration: float | None, seed: int = 350212, *, folder: Path | None = None,
             start: datetime | None = None, speed: float = 1.0, rhythm: bool = True,
             duplicate_share: float = 0.08, malformed_share: float = 0.005,
             city: City | None = None) -> Iterator[dict[str, Any]]:
    """Messages of the live feed, in time order.

    Parameters
    ----------
    rate
        Mean messages per second of wall-clock time (duplicates and malformed records included), averaged
        over a week of the rhythm; with ``rhythm=False`` the rate at every moment.
    duration
        Seconds of wall-clock time to cover; None runs for ever.
    seed
        The random source; together with ``start`` it also makes the message ids of a run its own.
    folder
        The jurisdiction folder (default ``data/demo``; needs places.csv, officers.csv, townships.geojson
        and, for 12319 cell codes, cells.geojson).
    start
        The simulated moment of ``at = 0`` (aware; default now).
    speed
        Simulated seconds per wall-clock second: 60 plays an hour of the rhythm in a minute (the rate stays
        per wall-clock second).
    rhythm
        False: a flat rate, the same channels and hotspots at every hour (load tests).

    Yields
    ------
    dict
        ``at`` (seconds after the start, wall clock), ``received_at`` (simulated time, ISO 8601 with
        +08:00), ``channel``, ``message`` (the channel's JSON record), ``event`` (the real-world problem:
        duplicates share it), ``duplicate`` (bool), ``malformed`` (what was broken, or None). In the first
        simulated hour some duplicates have no first report in the feed: their problem was first reported
        before the feed started (so the rate is right from the first second).
    """
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    city = city or City(folder or DEFAULT_FOLDER)
    start = (start or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    run = hashlib.sha1(f"{seed}:{start.isoformat()}".encode()).hexdigest()[:4].upper()
    feed = _Feed(city, random.Random(seed), run, default_map(), duplicate_share, malformed_share)
    peak = max(HOURLY) * max(WEEKDAY) / _mean_rhythm() if rhythm else 1.0
    repeats = duplicate_share * DUPLICATES_PER_REPEAT  # further reports per problem, on average
    event_rate = rate / (1 + repeats)
    echo_rate = event_rate * repeats  # duplicates of problems first reported before the start (see below)
    rng = feed.rng
    scheduled: list[tuple[float, int, dict[str, Any]]] = []  # messages due later, by wall time
    order = itertools.count()
    next_event = rng.expovariate(event_rate * peak)
    next_echo = rng.expovariate(echo_rate * peak) if echo_rate > 0 else math.inf
    while True:
        at = min(next_event, next_echo)
        while scheduled and scheduled[0][0] <= at:
            message = heapq.heappop(scheduled)[2]
            if duration is not None and message["at"] > duration:
                return
            yield message
        if duration is not None and at > duration:
            return
        moment = start + timedelta(seconds=at * speed)
        # thinning: candidates come at the peak rate and are kept in proportion to the rhythm of the moment
        keep = _rhythm(moment) / peak if rhythm else 1.0
        if at == next_echo:
            next_echo += rng.expovariate(echo_rate * peak)
            # A feed that starts cold would lack, for its first simulated hour, the second reports of
            # problems first reported before it started; these "echoes" stand in for them, fading as the
            # duplicates of the feed's own problems take over, so the rate is the asked one from the start.
            if rng.random() < keep * math.exp(-at * speed / DUPLICATE_DELAY_S):
                message = feed.echo(at, moment)
                heapq.heappush(scheduled, (message["at"], next(order), message))
            continue
        next_event += rng.expovariate(event_rate * peak)
        if rng.random() < keep:
            for message in feed.event(at, moment, speed):
                heapq.heappush(scheduled, (message["at"], next(order), message))


def _mean_rhythm() -> float:
    return sum(HOURLY) / 24 * sum(WEEKDAY) / 7


def _rhythm(moment: datetime) -> float:
    return HOURLY[moment.hour] * WEEKDAY[moment.weekday()] / _mean_rhythm()


class _Feed:
    """Draws problems and turns each into one or more channel messages."""

    def __init__(self, city: City, rng: random.Random, run: str, categories: CategoryMap,
                 duplicate_share: float, malformed_share: float) -> None:
        self.city, self.rng, self.run = city, rng, run
        self.duplicate_share, self.malformed_share = duplicate_share, malformed_share
        self.items = categories.items
        self.sequence = itertools.count(1)
        self.events = itertools.count(1)
        self.wording = {channel: _wordings(categories, channel) for channel in CHANNEL_HOURS}
        self.dcm = {}
        for code in categories.dcm_codes.values():
            if code.item:
                self.dcm.setdefault(code.item, []).append(code)
        self._tables: dict[tuple[int, bool], tuple[list[tuple[str, str]], list[float]]] = {}

    # ------------------------------------------------------------------------------------------ problems

    def event(self, at: float, moment: datetime, speed: float) -> list[dict[str, Any]]:
        """The messages of one new problem: the first report now, any duplicates later."""
        rng = self.rng
        item, place, label, lon, lat, channels = self._where(moment)
        event = f"E{self.run}-{next(self.events):07d}"
        channel = self._pick_channel(channels)
        messages = [self._message(channel, item, place, label, lon, lat, at, moment, event, duplicate=False)]
        if rng.random() < self.duplicate_share:
            others = [c for c in channels if c != channel] or channels
            for _ in range(rng.choice(REPEATS)):
                delay = min(rng.expovariate(1 / DUPLICATE_DELAY_S), 8 * DUPLICATE_DELAY_S)
                d_lon, d_lat = _offset(lon, lat, rng.gauss(0, 25), rng.gauss(0, 25))
                messages.append(self._message(self._pick_channel(others), item, place, label, d_lon, d_lat,
                                              at + delay / speed, moment + timedelta(seconds=delay), event,
                                              duplicate=True))
        return messages

    def echo(self, at: float, moment: datetime) -> dict[str, Any]:
        """A further report of a problem first reported before the feed started (its first is not in it)."""
        item, place, label, lon, lat, channels = self._where(moment)
        event = f"E{self.run}-{next(self.events):07d}"
        return self._message(self._pick_channel(channels), item, place, label, lon, lat, at, moment, event,
                             duplicate=True)

    def _where(self, moment: datetime) -> tuple[str, Place, str, float, float, list[str]]:
        """A problem likely at this hour: item, place, exit label, point, and the channels that may report it."""
        rng = self.rng
        anchor, item = self._problem(moment)
        place = rng.choice(self.city.anchors[anchor])
        east, north, label = (0.0, 0.0, "")
        if anchor == "metro":
            east, north, exit_letter = rng.choice(METRO_EXITS)
            label = f"{exit_letter}出口"
        lon, lat = _offset(place.lon, place.lat, east + rng.gauss(0, 20), north + rng.gauss(0, 20))
        channels = [c for c in self._channels(moment) if self._can_say(c, item)]
        return item, place, label, lon, lat, channels

    def _problem(self, moment: datetime) -> tuple[str, str]:
        key = (moment.hour, moment.weekday() >= 5)
        if key not in self._tables:
            pairs, weights = [], []
            for anchor, (_, share, items) in ANCHORS.items():
                total = sum(items.values())
                for item, weight in items.items():
                    pairs.append((anchor, item))
                    weights.append(share * weight / total * _when(anchor, item, *key))
            self._tables[key] = (pairs, list(itertools.accumulate(weights)))
        pairs, cumulative = self._tables[key]
        return self.rng.choices(pairs, cum_weights=cumulative)[0]

    def _channels(self, moment: datetime) -> list[str]:
        return [c for c, (_, (first, end)) in CHANNEL_HOURS.items() if first <= moment.hour < end]

    def _pick_channel(self, channels: list[str]) -> str:
        return self.rng.choices(channels, weights=[CHANNEL_HOURS[c][0] for c in channels])[0]

    def _can_say(self, channel: str, item: str) -> bool:
        return item in self.dcm if channel == "dcm_12319" else bool(self.wording[channel].get(item))

    # ------------------------------------------------------------------------------------------ messages

    def _message(self, channel: str, item: str, place: Place, label: str, lon: float, lat: float, at: float,
                 moment: datetime, event: str, *, duplicate: bool) -> dict[str, Any]:
        rng = self.rng
        where = f"{place.name}{label}"
        text = rng.choice(COMPLAINTS[item]).format(p=where)
        message = getattr(self, f"_{channel}")(item, place, label, lon, lat, moment, text)
        malformed = None
        if rng.random() < self.malformed_share:
            malformed = _break(channel, message, rng)
        return {"at": at, "received_at": moment.isoformat(timespec="seconds"), "channel": channel,
                "message": message, "event": event, "duplicate": duplicate, "malformed": malformed}

    def _id(self, moment: datetime) -> str:
        return f"{moment:%Y%m%d}{self.run}{next(self.sequence):07d}"

    def _hotline_12345(self, item: str, place: Place, label: str, lon: float, lat: float, moment: datetime,
                       text: str) -> dict[str, Any]:
        rng = self.rng
        township = self.city.township_names.get(place.township_code, "")
        return {
            "工单编号": f"TA12345-{self._id(moment)}", "来电时间": f"{moment:%Y-%m-%d %H:%M:%S}",
            "来电号码": self._phone(), "来电人": self._person() + rng.choice(("", "先生", "女士")),
            "诉求类型": rng.choice(self.wording["hotline_12345"][item]),
            "诉求内容": f"市民来电反映：{text}，请相关部门尽快处理。", "事发地址": self._spoken(place, label),
            "紧急程度": rng.choices(("一般", "紧急"), weights=(9, 1))[0], "承办单位": f"{township}综合执法队",
            "办理时限": rng.choice(("1个工作日", "3个工作日", "5个工作日")),
        }

    def _dcm_12319(self, item: str, place: Place, label: str, lon: float, lat: float, moment: datetime,
                   text: str) -> dict[str, Any]:
        rng = self.rng
        code = rng.choice(self.dcm[item])
        x, y = convert(lon, lat, "wgs84", "EPSG:4548")
        return {
            "案卷号": self._id(moment), "问题来源": rng.choices(("监督员上报", "公众举报", "视频发现"), (7, 2, 1))[0],
            "案件类型": code.kind, "大类代码": code.major, "大类名称": code.major_name, "小类代码": code.minor,
            "小类名称": code.name, "问题描述": f"{place.name}{label}附近{code.name}", "位置描述": place.address,
            "X坐标": f"{float(x):.2f}", "Y坐标": f"{float(y):.2f}", "单元网格": self.city.cell(float(x), float(y)) or "",
            "上报时间": f"{moment:%Y-%m-%d %H:%M:%S}", "监督员": f"{self._person()}(JD{rng.randrange(100, 999):04d})",
            "照片": f"http://12319.xmta.example/photo/{moment:%Y%m%d}/{rng.randrange(10**6):06d}_1.jpg",
        }

    def _grid_worker(self, item: str, place: Place, label: str, lon: float, lat: float, moment: datetime,
                     text: str) -> dict[str, Any]:
        rng = self.rng
        crs = rng.choices(("gcj02", "wgs84", "bd09"), weights=(6, 2, 2))[0]
        x, y = convert(lon, lat, "wgs84", crs)
        number = self._id(moment)
        return {
            "id": f"WG-{number}", "reported_at": moment.isoformat(timespec="seconds"),
            "worker": {"id": f"WG{place.community_code}-{rng.randrange(1, 4):02d}", "name": self._person(),
                       "phone": self._phone()},
            "category": rng.choice(self.wording["grid_worker"][item]), "description": text,
            "location": {"lon": round(float(x), 6), "lat": round(float(y), 6), "crs": crs,
                         "accuracy_m": rng.choice((5, 8, 12, 15, 25))},
            "address": place.address,
            "photos": [f"https://wgy.xmta.example/img/{number}-{k}.jpg" for k in range(1, rng.choice((2, 3, 4)))],
            "urgent": rng.random() < 0.1,
        }

    def _police_110(self, item: str, place: Place, label: str, lon: float, lat: float, moment: datetime,
                    text: str) -> dict[str, Any]:
        rng = self.rng
        call = moment - timedelta(minutes=rng.randrange(3, 25))
        number = self._id(moment)
        record: dict[str, Any] = {
            "transfer_no": f"FL350212{number}", "incident_no": f"J350212{number}",
            "call_time": f"{call:%Y-%m-%d %H:%M:%S}", "transfer_time": f"{moment:%Y-%m-%d %H:%M:%S}",
            "category": rng.choice(self.wording["police_110"][item]), "content": f"报警人称{text}。",
            "caller": {"name": self._person(), "phone": self._phone()}, "address": self._spoken(place, label),
            "level": rng.choices(("一般", "紧急"), weights=(8, 2))[0],
        }
        if rng.random() < 0.7:
            x, y = convert(lon, lat, "wgs84", "bd09")
            record["location"] = {"lng": round(float(x), 6), "lat": round(float(y), 6), "coord_type": "bd09ll"}
        return record

    def _patrol(self, item: str, place: Place, label: str, lon: float, lat: float, moment: datetime,
                text: str) -> dict[str, Any]:
        rng = self.rng
        officers = self.city.officers.get(place.township_code) or [o for g in self.city.officers.values()
                                                                    for o in g]
        officer = rng.choice(officers)
        found = moment - timedelta(minutes=rng.randrange(1, 15), seconds=rng.randrange(60))
        return {
            "finding_id": f"XC-{officer['team_code']}-{self._id(moment)}",
            "officer": {"code": officer["code"], "name": officer["name"]}, "team_code": officer["team_code"],
            "found_at": found.isoformat(timespec="seconds"), "submitted_at": moment.isoformat(timespec="seconds"),
            "item_code": item if rng.random() < 0.75 else self.items[item], "description": text,
            "gps": {"lon": round(lon, 7), "lat": round(lat, 7), "accuracy": round(rng.uniform(4, 30), 1)},
            "address": place.address, "photos": [f"/media/patrol/{moment:%Y/%m/%d}/{rng.randrange(10**6)}.jpg"],
            "priority": rng.choice((2, 3, 3, 3)),
        }

    def _person(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def _phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _spoken(self, place: Place, label: str) -> str:
        """The address as a caller says it: sometimes without the district, with a landmark word."""
        rng = self.rng
        address = place.address
        if place.category == "":  # an intersection: its name is the address
            address = f"{self.city.township_names.get(place.township_code, '')}{place.name}"
        style = rng.randrange(4)
        if label:
            return f"{address}{place.name}{label}"
        if style == 1:
            return address.removeprefix("同安区")
        if style == 2:
            return f"{address}{rng.choice(('附近', '旁边', '对面', '门口', '楼下'))}"
        return address


def _when(anchor: str, item: str, hour: int, weekend: bool) -> float:
    """How much more (or less) likely an anchor's item is at this hour than on average."""
    night = hour >= 22 or hour < 6
    if item == "ZF016":  # construction at night is what people report about night work
        return 4.0 if night else 0.1
    if item in ("ZF010", "ZF015"):  # barbecue and noise: evenings, weekends louder
        return (3.0 if hour >= 19 or hour < 1 else 0.3) * (1.3 if weekend else 1.0)
    if anchor == "school":
        if weekend:
            return 0.1
        return 3.0 if hour in (7, 8, 16, 17) else 0.4
    if anchor == "market":
        return 2.0 if 6 <= hour < 10 or 17 <= hour < 20 else 0.6
    if anchor == "metro":
        return 2.0 if hour in (7, 8, 9, 17, 18, 19) else 0.7
    if anchor == "construction":
        return 0.2 if night else 1.0
    return 1.0


def _wordings(categories: CategoryMap, channel: str) -> dict[str, list[str]]:
    """Item → the channel's words for it (mapped by category_mappings.yaml, so the adapter maps them back)."""
    table = categories.tables.get(channel)
    found: dict[str, list[str]] = {}
    if table is not None:
        for words, item in table.wording.items():
            if item:
                found.setdefault(item, []).append(words)
        if table.accept_item_names or table.accept_item_codes:
            for item, name in categories.items.items():
                found.setdefault(item, [])
                if table.accept_item_names:
                    found[item].append(name)
    return {item: sorted(set(words)) for item, words in found.items() if words}


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point ``east_m``/``north_m`` metres away (small offsets: a local flat approximation suffices)."""
    return (lon + east_m / (111_320.0 * math.cos(math.radians(lat))), lat + north_m / 110_574.0)


def _break(channel: str, message: dict[str, Any], rng: random.Random) -> str:
    """Damage a record the way real feeds do; what was done, for the tests and the operator's curiosity."""
    damage = rng.choice(("missing", "time", "category", *(("coordinates",) if channel != "hotline_12345" else ())))
    required = {"hotline_12345": "诉求类型", "dcm_12319": "上报时间", "grid_worker": "reported_at",
                "police_110": "transfer_no", "patrol": "finding_id"}[channel]
    if damage == "missing":
        message.pop(required, None)
        return f"missing {required}"
    if damage == "time":
        key = {"hotline_12345": "来电时间", "dcm_12319": "上报时间", "grid_worker": "reported_at",
               "police_110": "transfer_time", "patrol": "submitted_at"}[channel]
        message[key] = str(message[key]).replace("T", " ")[:10] + " 25:10:00"
        return f"hour 25 in {key}"
    if damage == "category":
        key = {"hotline_12345": "诉求类型", "grid_worker": "category", "police_110": "category",
               "patrol": "item_code"}.get(channel)
        if key is None:  # 12319: a 大类 that does not exist
            message.update({"大类代码": "09", "小类代码": "99"})
            return "unknown 12319 code 09-99"
        message[key] = {"patrol": "ZF099"}.get(channel, "宠物走失")
        return f"unmapped category in {key}"
    if channel == "dcm_12319":
        x = str(message["X坐标"])
        message["X坐标"] = f"{x[:3]}O{x[4:]}"  # a letter O typed for a digit
        return "letter O in X坐标"
    if channel == "patrol":
        message["gps"]["lon"] = "118.1.2"
        return "gps.lon not a number"
    if channel == "police_110":
        message["location"] = {"lng": 13152345.12, "lat": 2844521.77, "coord_type": "bd09mc"}
        return "Baidu Mercator metres"
    location = message["location"]
    location["lon"], location["lat"] = location["lat"], location["lon"]
    return "lon and lat swapped"


# ------------------------------------------------------------------------------------------ command line


def add_simulate(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``simulate`` on the ``python -m ingest`` command line."""
    parser = subparsers.add_parser(
        "simulate", help="append a realistic live feed over the demo city to the intake stream",
        description="Generate channel messages over the demo city (channel mix, daily and weekly rhythm, "
                    "hotspots at markets, schools, metro exits and construction sites, duplicates across "
                    "channels, a few malformed records), parse them and append them to the Redis intake "
                    "stream in real time. Run `python -m ingest worker` beside it.")
    parser.add_argument("--rate", type=float, default=2.0, help="messages per second, mean over a week (default 2)")
    parser.add_argument("--seconds", type=float, help="run this long (default: until Ctrl-C)")
    parser.add_argument("--seed", type=int, default=350212)
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per second (60: an hour of the daily rhythm per minute)")
    parser.add_argument("--flat", action="store_true", help="no daily/weekly rhythm: exactly --rate on average")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER,
                        help="jurisdiction folder (default data/demo, generated if missing)")
    parser.add_argument("--redis-url", help="Redis URL (default: REDIS_URL, else an embedded server)")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the messages as JSON lines instead of appending them (no Redis)")
    parser.set_defaults(run=run_simulate)
    return parser


def run_simulate(args: argparse.Namespace) -> int:
    """``python -m ingest simulate``: parse and append in real time; a summary at the end."""
    folder = Path(args.folder)
    if not (folder / "manifest.json").exists():
        from data.demo_city import generate

        print(f"generating the demo city in {folder} …", file=sys.stderr)
        generate(folder)
    feed = simulate(args.rate, args.seconds, args.seed, folder=folder, speed=args.speed, rhythm=not args.flat)
    if args.print_only:
        for message in feed:
            print(json.dumps(message, ensure_ascii=False))
        return 0
    from live.connection import connect
    from live.intake import Intake

    sender = Sender(Intake(connect(args.redis_url)))
    try:
        sender.pace(feed)
    except KeyboardInterrupt:
        sender.flush()
    print(sender.summary())
    return 0


class Sender:
    """Parses messages and appends them in small batches, on time; never drops one (it retries)."""

    def __init__(self, intake: Any, *, batch_seconds: float = 0.02, max_batch: int = 200) -> None:
        self.intake = intake
        self.batch_seconds = batch_seconds
        self.max_batch = max_batch
        self.pending: list[Any] = []
        self.reports = self.quarantined = 0
        self.started = time.monotonic()

    def pace(self, feed: Iterator[dict[str, Any]]) -> None:
        """Send each message at its ``at`` (seconds after now), grouping those due within ``batch_seconds``."""
        self.started = time.monotonic()
        for message in feed:
            due = self.started + message["at"]
            if self.pending and (due - time.monotonic() > 0 or len(self.pending) >= self.max_batch):
                self.flush()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.pending.extend(to_records(message))
        self.flush()

    def flush(self) -> None:
        """Append what is pending; while Redis is away or the stream is full, wait and try again."""
        import redis

        from ingest.report import Report
        from live.intake import IntakeFull

        delay = 0.1
        while self.pending:
            try:
                self.intake.append_many(self.pending)
            except (IntakeFull, redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError) as exc:
                print(f"intake not accepting ({exc}); retrying in {delay:.1f} s", file=sys.stderr)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            reports = sum(isinstance(item, Report) for item in self.pending)
            self.reports += reports
            self.quarantined += len(self.pending) - reports
            self.pending = []

    def summary(self) -> str:
        seconds = time.monotonic() - self.started
        total = self.reports + self.quarantined
        return (f"appended {total} messages in {seconds:.1f} s ({total / max(seconds, 1e-9):.1f}/s): "
                f"{self.reports} reports, {self.quarantined} quarantined")


def to_records(message: dict[str, Any]) -> list[Any]:
    """A simulated message through its channel's adapter: a report or a quarantined record (a list of one)."""
    from ingest.parse import parse

    data = json.dumps(message["message"], ensure_ascii=False).encode("utf-8")
    return list(parse(message["channel"], data, filename=f"live/{message['channel']}.json"))
