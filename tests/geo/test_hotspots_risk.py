"""Next-shift risk and its measures: the kernel forecast, hit rate / PAI / PEI*, and a rolling backtest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from geo.hotspots import queen_weights
from geo.hotspots.backtest import backtest, hit_metrics, naive_risk
from geo.hotspots.risk import decayed_counts, hour_profile, kernel_risk, smoothed

AT = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday, 08:00 in Asia/Shanghai


def stamps(offsets_days) -> np.ndarray:
    base = np.datetime64(AT.replace(tzinfo=None), "us")
    return base + (np.asarray(offsets_days, dtype=float) * 86400e6).astype("timedelta64[us]")


def test_old_reports_fade_and_future_ones_are_ignored() -> None:
    weights = decayed_counts(np.array([0, 1, 1, 2]), stamps([-7, -14, -14, 0.5]), AT, 3, half_life_days=7)
    assert weights.tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert decayed_counts(np.array([0]), stamps([-50]), AT, 1, 7, memory_days=30).tolist() == [0.0]


def test_spreading_keeps_the_total_and_reaches_the_neighbours() -> None:
    w = queen_weights(np.arange(3), np.zeros(3, dtype=int))
    out = smoothed(np.array([0.0, 10.0, 0.0]), w, 0.2)
    assert out.tolist() == pytest.approx([1.0, 8.0, 1.0]) and out.sum() == pytest.approx(10.0)
    island = smoothed(np.array([4.0, 0.0]), queen_weights(np.array([0, 5]), np.array([0, 5])), 0.5)
    assert island.tolist() == [4.0, 0.0]  # nobody to share with


def test_the_profile_follows_the_rhythm_of_the_history() -> None:
    # every report at 10:00 local (02:00 UTC) on a local weekday: those slots dominate, nights stay flat
    moments = [AT - timedelta(days=d) + timedelta(hours=2) for d in range(1, 60)]
    days = [(m - AT) / timedelta(days=1) for m in moments if (m + timedelta(hours=8)).weekday() < 5]
    profile = hour_profile(stamps(np.repeat(days, 10)), AT)  # ten reports each time
    assert profile.shape == (7, 24) and profile.mean() == pytest.approx(1.0)
    assert profile[0, 10] > 10 * profile[0, 3] and profile[6, 10] < profile[0, 10]


def test_expected_counts_scale_with_the_recent_rate() -> None:
    rng = np.random.default_rng(1)
    cells = rng.integers(0, 50, 3000)
    times = stamps(-rng.uniform(0, 60, 3000))  # 50 a day, flat over the day
    risk = kernel_risk(cells, times, AT, 50, half_life_days=14, spread=0.0, memory_days=None)
    assert risk.sum() == pytest.approx(50, rel=0.1)
    shift = kernel_risk(cells, times, AT, 50, horizon=timedelta(hours=8), half_life_days=14, memory_days=None)
    assert shift.sum() == pytest.approx(risk.sum() / 3, rel=0.1)


def test_measures_on_a_known_case() -> None:
    risk = np.array([9.0, 8, 7, 6, 0, 0, 0, 0, 0, 0])
    actual = np.array([1, 0, 0, 0, 0, 4, 0, 0, 0, 0])
    area = np.array([1.0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    at_10 = hit_metrics(risk, actual, area, shares=(0.1,))[0.1]
    assert at_10 == {"cells": 1, "area_share": 0.1, "hits": 1.0, "hit_rate": 0.2, "pai": 2.0, "pei_star": 0.25}
    perfect = hit_metrics(actual.astype(float), actual, area, shares=(0.2,))[0.2]
    assert perfect["pei_star"] == 1.0 and perfect["hit_rate"] == 1.0 and perfect["pai"] == 5.0
    # a big cell uses up the area budget
    big = hit_metrics(risk, actual, np.array([5.0, 1, 1, 1, 1, 1, 1, 1, 1, 1]), shares=(0.3,))[0.3]
    assert big["cells"] == 1 and big["area_share"] == pytest.approx(5 / 14)


def test_the_naive_baseline_counts_the_last_seven_days() -> None:
    risk = naive_risk(np.array([0, 0, 1, 2, -1]), stamps([-1, -6.9, -7.5, 0.2, -1]), AT, 3)
    assert risk.tolist() == [2.0, 0.0, 0.0]


def test_the_kernel_beats_the_naive_baseline_where_problems_keep_coming_back() -> None:
    """The simulator's world: 5 % of cells get 12 times the reports, every day the same cells."""
    rng = np.random.default_rng(0)
    side = 100
    n = side * side
    w = queen_weights(np.tile(np.arange(side), side), np.repeat(np.arange(side), side))
    weights = np.where(rng.random(n) < 0.05, 12.0, 1.0)
    days, per_day = 75, 120
    cells = rng.choice(n, days * per_day, p=weights / weights.sum())
    start = AT - timedelta(days=days)
    times = stamps(np.sort(rng.uniform(-days, 0, days * per_day)))
    origins = [start + timedelta(days=d) for d in range(days - 20, days)]
    scores = backtest({"kernel": lambda at: kernel_risk(cells, times, at, n, neighbours=w),
                       "naive": lambda at: naive_risk(cells, times, at, n)},
                      cells, times, origins, timedelta(days=1), np.ones(n))
    assert scores["kernel"][0.05]["pai"] >= 1.5 * scores["naive"][0.05]["pai"]
    for share in (0.01, 0.05, 0.10):
        assert 0 < scores["kernel"][share]["pei_star"] <= 1
        assert scores["kernel"][share]["hit_rate"] <= scores["kernel"][0.10]["hit_rate"] + 1e-12
