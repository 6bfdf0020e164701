"""The live-feed simulator: realistic (rhythm, hotspots, channel mix, duplicates), parseable, reproducible."""

from __future__ import annotations

import argparse
import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from geo.coords import convert
from ingest import Report
from ingest.simulate import City, run_simulate, simulate, to_records

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def city(demo_dir: Path) -> City:
    return City(demo_dir)


@pytest.fixture(scope="module")
def week(city: City) -> list[dict]:
    """A simulated week, played at an hour per second."""
    return list(simulate(20, 7 * 24, seed=7, city=city, start=MONDAY, speed=3600))


def point_of(message: dict) -> tuple[float, float] | None:
    """WGS-84 lon/lat of a message that carries a point (12345 gives an address only)."""
    body, channel = message["message"], message["channel"]
    if channel == "dcm_12319":
        x, y, crs = float(body["X坐标"]), float(body["Y坐标"]), "EPSG:4548"
    elif channel == "grid_worker":
        x, y, crs = body["location"]["lon"], body["location"]["lat"], body["location"]["crs"]
    elif channel == "police_110" and "location" in body:
        x, y, crs = body["location"]["lng"], body["location"]["lat"], "bd09"
    elif channel == "patrol":
        x, y, crs = body["gps"]["lon"], body["gps"]["lat"], "wgs84"
    else:
        return None
    lon, lat = convert(x, y, crs, "wgs84")
    return float(lon), float(lat)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 110_574)


def test_same_seed_and_start_give_the_same_feed(city: City) -> None:
    first = list(simulate(50, 20, seed=3, city=city, start=MONDAY.replace(hour=9)))
    again = list(simulate(50, 20, seed=3, city=city, start=MONDAY.replace(hour=9)))
    other = list(simulate(50, 20, seed=4, city=city, start=MONDAY.replace(hour=9)))
    assert first == again and first != other
    assert [m["at"] for m in first] == sorted(m["at"] for m in first)


def test_flat_rate_is_the_rate_asked(city: City) -> None:
    feed = list(simulate(40, 60, seed=1, city=city, start=MONDAY.replace(hour=3), rhythm=False))
    assert 40 * 60 * 0.9 < len(feed) < 40 * 60 * 1.1
    assert all(0 <= m["at"] <= 60 for m in feed)


def test_every_malformed_record_is_quarantined_and_every_other_is_a_report(city: City) -> None:
    feed = list(simulate(50, 120, seed=2, city=city, start=MONDAY.replace(hour=10), malformed_share=0.1))
    outcomes = [(m, to_records(m)) for m in feed]
    assert all(len(records) == 1 for _, records in outcomes)
    broken = [(m, r[0]) for m, r in outcomes if m["malformed"]]
    assert len(broken) > 200
    assert not [(m["malformed"], r) for m, r in broken if isinstance(r, Report)]
    kinds = {kind for _, r in broken for kind in ("missing required field", "unmapped category", "bad time",
                                                  "coordinates") if r.reason.startswith(kind)}
    assert kinds == {"missing required field", "unmapped category", "bad time", "coordinates"}
    reports = [r[0] for m, r in outcomes if not m["malformed"]]
    assert all(isinstance(r, Report) for r in reports), [r.reason for r in reports if not isinstance(r, Report)][:3]
    assert len({(r.channel, r.external_id) for r in reports}) == len(reports)


def test_daily_and_weekly_rhythm(week: list[dict]) -> None:
    weekday_hours: Counter[int] = Counter()
    by_day: Counter[int] = Counter()
    for message in week:
        moment = datetime.fromisoformat(message["received_at"])
        by_day[moment.weekday()] += 1
        if moment.weekday() < 5:
            weekday_hours[moment.hour] += 1
    night = sum(weekday_hours[h] for h in (2, 3, 4))
    morning = sum(weekday_hours[h] for h in (9, 10, 11))
    assert night * 5 < morning
    assert (by_day[5] + by_day[6]) / 2 < sum(by_day[d] for d in range(5)) / 5
    assert 20 * 7 * 24 * 0.85 < len(week) < 20 * 7 * 24 * 1.15  # the rate is the mean over the week


def test_reports_cluster_at_markets_schools_metro_and_construction(week: list[dict], city: City) -> None:
    hot = [(p.lon, p.lat) for anchor in ("market", "school", "metro", "construction") for p in city.anchors[anchor]]
    hot_x, hot_y = (np.array(v) for v in zip(*hot, strict=True))

    def near_hotspot(point: tuple[float, float]) -> bool:
        dx = (hot_x - point[0]) * 111_320 * math.cos(math.radians(point[1]))
        return bool((np.hypot(dx, (hot_y - point[1]) * 110_574) < 150).any())

    points = [p for p in map(point_of, (m for m in week if not m["malformed"])) if p is not None]
    share = sum(map(near_hotspot, points)) / len(points)
    everywhere = [(p.lon, p.lat) for anchor in ("residential", "street") for p in city.anchors[anchor]]
    baseline = sum(map(near_hotspot, everywhere[::10])) / len(everywhere[::10])
    assert share > 0.5 and share > 3 * baseline, (share, baseline)
    # each hotspot has its own problems: night work and dust at construction sites, bicycles at metro exits
    items = Counter(m["message"].get("item_code") for m in week if m["channel"] == "patrol")
    assert items["ZF024"] and items["ZF013"]


def test_channel_mix_follows_working_hours(week: list[dict]) -> None:
    by_channel = Counter(m["channel"] for m in week)
    assert set(by_channel) == {"hotline_12345", "dcm_12319", "grid_worker", "patrol", "police_110"}
    assert by_channel.most_common(1)[0][0] == "hotline_12345"
    at_night = Counter(m["channel"] for m in week if datetime.fromisoformat(m["received_at"]).hour in (1, 2, 3, 4))
    assert at_night and not at_night["dcm_12319"] and not at_night["grid_worker"]


def test_duplicates_come_from_other_channels_nearby_soon_after(week: list[dict]) -> None:
    events: dict[str, list[dict]] = defaultdict(list)
    for message in week:
        events[message["event"]].append(message)
    repeated = [group for group in events.values() if len(group) > 1]
    assert 0.03 < sum(len(g) - 1 for g in repeated) / len(week) < 0.2
    first_is_original = all(not g[0]["duplicate"] and all(m["duplicate"] for m in g[1:]) for g in repeated)
    assert first_is_original
    other_channel = sum(len({m["channel"] for m in g}) > 1 for g in repeated) / len(repeated)
    assert other_channel > 0.8
    for group in repeated:
        times = [datetime.fromisoformat(m["received_at"]) for m in group]
        assert max(times) - min(times) <= timedelta(seconds=7201)
        points = [p for p in map(point_of, group) if p is not None and not any(m["malformed"] for m in group)]
        for a in points[1:]:
            assert metres(points[0], a) < 250


@pytest.mark.redis
def test_simulate_command_appends_to_the_intake_stream(demo_dir: Path, redis_url: str) -> None:
    from live.connection import connect
    from live.intake import STREAM, decode

    args = argparse.Namespace(rate=100.0, seconds=1.0, seed=5, speed=1.0, flat=True, folder=demo_dir,
                              redis_url=redis_url, print_only=False)
    assert run_simulate(args) == 0
    client = connect(redis_url)
    entries = [decode(i, f) for i, f in client.xrange(STREAM)]
    client.close()
    assert 60 < len(entries) < 140
    assert sum(isinstance(e.item, Report) for e in entries) >= len(entries) - 5
