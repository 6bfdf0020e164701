"""The wall's panels drawn from plain data (no server): tiles, ticker, league, charts, township colours,
and the bounded caches and the live version that keep a wall's server flat over hours."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pandas as pd
import plotly.io
import pytest

from dashboard.components import changes, wall_panels
from dashboard.components.changes import TtlCache
from dashboard.feed import commands


def texts(component) -> str:
    return json.dumps(component, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def test_tiles_say_the_days_figures() -> None:
    figures = {"reports": 1234, "accepted": 3, "dispatched": 2, "handled": 1, "closed": 4, "overdue": 5,
               "on_time_closure_rate": 0.75, "closed_cases": 4}
    tiles = wall_panels.tiles(figures, "zh")
    assert [tile.to_plotly_json()["props"]["data-figure"] for tile in tiles] == list(wall_panels.TILES)
    text = texts(tiles)
    assert "1,234" in text and "75.0%" in text and "今日上报" in text and "结案 4 件" in text
    assert "wall-alert" in tiles[5].className  # overdue cases turn the tile red
    quiet = wall_panels.tiles({**figures, "overdue": 0, "on_time_closure_rate": float("nan"), "closed_cases": 0}, "en")
    assert "wall-alert" not in quiet[5].className and "—" in texts(quiet) and "nothing closed yet" in texts(quiet)


def test_the_ticker_shows_places_and_items_never_people() -> None:
    now = datetime(2026, 11, 23, 2, 30, 5, tzinfo=UTC)
    rows = [
        {"id": 12, "received_at": now, "channel": "hotline_12345", "item_code": "ZF001", "item_name": "占道经营",
         "item_name_en": "Street vending", "township": "大同街道", "township_en": "Datong", "community": "东山社区",
         "community_en": "Dongshan", "address": "东山路1号 138****5678"},
        {"id": 11, "received_at": now - timedelta(minutes=1), "channel": "grid", "item_code": "ZF024",
         "item_name": None, "item_name_en": None, "township": None, "township_en": None, "community": None,
         "community_en": None, "address": None},
    ]
    items = wall_panels.ticker(rows, "zh", seen=11)
    assert "wall-new" in items[0].className and "wall-new" not in items[1].className
    text = texts(items)
    assert "10:30:05" in text and "12345热线" in text and "大同街道 · 东山社区" in text and "待人工定位" in text
    assert "ZF024" in text  # no name for the item: its code
    english = texts(wall_panels.ticker(rows, "en", seen=12))
    assert "Street vending" in english and "Datong · Dongshan" in english and "wall-new" not in english
    assert "暂无上报" in texts(wall_panels.ticker([], "zh", seen=0))


def test_league_and_charts() -> None:
    table = pd.DataFrame({"handling_rate": [0.9, 0.5], "on_time_handling_rate": [0.95, 0.4],
                          "rework_rate": [0.01, 0.3], "overdue_pending_rate": [0.0, 0.2],
                          "score": [91.234, 40.0], "rank": [1, 2]}, index=pd.Index(["A", "B"], name="township"))
    text = texts(wall_panels.league_table(table, {"A": "大同街道"}, "zh"))
    assert "大同街道" in text and "91.2" in text and "90.0%" in text and '"B"' in text
    assert "近30天没有案件" in texts(wall_panels.league_table(table.iloc[0:0], {}, "zh"))

    hours = pd.DataFrame({"reports": range(24), "closed": [1] * 24},
                         index=pd.date_range("2026-11-22 03:00", periods=24, freq="h", tz=UTC))
    trend = wall_panels.trend_figure(hours, hours, "en", 20)
    assert [trace.name for trace in trend.data] == ["Reports", "Closed", "Reports a week ago"]
    assert trend.data[0].x[0] == "11:00" and trend.layout.font.size == 20
    plotly.io.to_json(trend)  # serialisable as dcc.Graph receives it

    counts = pd.DataFrame({"code": ["hotline_12345", "other"], "name": ["a", "其他"], "name_en": ["a", "Other"],
                           "count": [5, 2]})
    ring = wall_panels.mix_figure(counts, "zh", 14, "channel")
    assert list(ring.data[0].labels) == ["12345热线", "其他"] and list(ring.data[0].values) == [5, 2]
    items = pd.DataFrame({"code": ["ZF001", "ZF002"], "name": ["占道经营", "店外经营"], "name_en": ["x", "y"],
                          "count": [3, 1]})
    bars = wall_panels.mix_figure(items, "zh", 14, "item")
    assert list(bars.data[0].y) == ["店外经营", "占道经营"]  # the most on top
    empty = wall_panels.mix_figure(items.iloc[0:0], "en", 14, "item")
    assert empty.layout.annotations[0].text == "No report today yet"
    assert (wall_panels.font_px(1920), wall_panels.font_px(3840), wall_panels.font_px("x")) == (14, 28, 14)


def test_township_colours() -> None:
    fills, legend = wall_panels.township_fills({"a": 0, "b": 7, "c": 3, "d": None}, more_is_better=False, whole=True)
    assert set(fills) == {"a", "b", "c"}
    assert fills["a"] == wall_panels.RAMP_MORE_IS_WORSE[0] and fills["b"] == wall_panels.RAMP_MORE_IS_WORSE[-1]
    assert [label for _, label in legend] == ["0–1", "2", "3–4", "5", "6–7"]
    fills, legend = wall_panels.township_fills({"a": 0.5, "b": 0.9}, more_is_better=True)
    assert fills["b"] == wall_panels.RAMP_MORE_IS_BETTER[-1] and len(legend) == 5
    same, legend = wall_panels.township_fills({"a": 2, "b": 2}, more_is_better=False, whole=True)
    assert len(set(same.values())) == 1 and legend == [(same["a"], "2")]
    assert wall_panels.township_fills({}, more_is_better=True) == ({}, [])
    assert "60%" in texts(wall_panels.kpi_legend([("#fff", "0.6–0.7")], True, "zh"))


def test_the_shared_cache_is_bounded_and_expires() -> None:
    cache = TtlCache(max_entries=3)
    calls = []
    for key in range(10):
        cache.get_or_compute(key, 60, lambda key=key: calls.append(key) or key)
    assert len(cache) == 3 and calls == list(range(10))
    assert cache.get_or_compute(9, 60, lambda: "again") == 9  # still fresh: not recomputed
    assert cache.get_or_compute("x", 0, lambda: "first") == "first"
    assert cache.get_or_compute("x", 60, lambda: "second") == "second"  # stored for 0 s: computed again
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", 60, lambda: 1)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 8 and len(cache) <= 3


@pytest.mark.redis
def test_the_live_version_moves_with_announcements(redis_url: str, sqlite_url: str, monkeypatch) -> None:
    import redis

    from live.announce import Announcer
    from store import open_store

    store = open_store(sqlite_url)
    store.upgrade()
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setattr(changes, "_redis", changes._Client())
    monkeypatch.setattr(changes, "_marks", TtlCache(max_entries=2))
    first = changes.current_version(store)
    assert first.redis_up and first.value == "0.0.0"
    Announcer(redis.Redis.from_url(redis_url)).announce([{"id": "report/1"}])
    assert changes.current_version(store).value == "1.0.0"

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setattr(changes, "_redis", changes._Client())
    down = changes.current_version(store)
    assert not down.redis_up and down.value == "-.0.0"


def test_the_feed_commands() -> None:
    worker, simulate = commands(1.5, None)
    assert worker[1:4] == ["-m", "ingest", "worker"] and simulate[1:6] == ["-m", "ingest", "simulate", "--rate", "1.5"]
    with pytest.raises(ValueError, match="--rate must be a positive number"):
        commands(0, None)
