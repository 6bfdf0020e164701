"""Emerging hot spots: the cube, the space-time neighbourhood, Mann–Kendall, and every category.

Each category is checked twice: on hand-written series of significant bins (the rules alone, including
the cases where ArcGIS Pro's wording and sfdep's differ), and end to end on a count cube where each
pattern is planted in its own block of cells.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy import sparse

from geo.hotspots import queen_weights, space_time_weights
from geo.hotspots.categories import CATEGORIES, classify, label_zh
from geo.hotspots.cube import space_time_cube, step_edges
from geo.hotspots.emerging import emerging_hot_spots
from geo.hotspots.mann_kendall import mann_kendall

pymannkendall = pytest.importorskip("pymannkendall")


def flags(text: str) -> np.ndarray:
    """``"..HH.C"`` → hot and cold rows: H hot, C cold, anything else neither."""
    return np.array([c == "H" for c in text]), np.array([c == "C" for c in text])


# (hot/cold series of 10 steps, trend of the z-scores, expected category)
RULES = [
    (".........H", 0, "new_hot"),
    ("......HHHH", 1, "consecutive_hot"),
    ("HHHHHHHHHH", 1, "intensifying_hot"),
    (".HHHHHHHHH", 0, "persistent_hot"),
    ("HHHHHHHHHH", -1, "diminishing_hot"),
    ("..H..H...H", 0, "sporadic_hot"),
    ("..CC.....H", 0, "oscillating_hot"),
    ("HHHHHHHHH.", 0, "historical_hot"),
    (".........C", 0, "new_cold"),
    ("......CCCC", -1, "consecutive_cold"),
    ("CCCCCCCCCC", -1, "intensifying_cold"),
    ("CCCCCCCCCC", 0, "persistent_cold"),
    ("CCCCCCCCCC", 1, "diminishing_cold"),
    ("C...C.C..C", 0, "sporadic_cold"),
    ("HH......CC", 0, "oscillating_cold"),
    ("CCCCCCCCC.", 0, "historical_cold"),
    ("..........", 0, "no_pattern"),
    # where Pro and sfdep differ (see geo/hotspots/categories.py): Pro is followed
    ("..H..H....", 0, "no_pattern"),        # on-and-off hot, not hot now: sfdep "sporadic", Pro nothing
    ("C........H", 0, "oscillating_hot"),   # cold once, hot only now: Pro's "new" wording also fits
    ("HHHHHHHHH.", 1, "historical_hot"),    # a trend does not matter once the final step is not hot
    ("HHHHHHHHHC", 0, "oscillating_cold"),  # hot history, cold now: the final step decides
    ("CC..HHHHHH", 0, "oscillating_hot"),   # consecutive run, but cold before: oscillating
    ("H...HHHHHH", 0, "sporadic_hot"),      # a run at the end, but hot before it: not consecutive
]


@pytest.mark.parametrize(("series", "trend", "expected"), RULES, ids=[f"{r[2]}:{r[0]}" for r in RULES])
def test_category_rules(series: str, trend: int, expected: str) -> None:
    hot, cold = flags(series)
    assert classify(hot[None, :], cold[None, :], np.array([trend], dtype=np.int8)).tolist() == [expected]


def test_every_category_has_a_rule_and_a_chinese_name() -> None:
    assert {expected for _, _, expected in RULES} == set(CATEGORIES)
    assert label_zh("new_hot") == "新增的热点" and label_zh("historical_cold") == "历史的冷点"
    assert label_zh("no_pattern") == "未检测到模式"


def test_the_ninety_percent_share_counts_steps() -> None:
    hot, cold = flags("H" * 18 + "..")  # 18 of 20 = 90 %, final not hot
    assert classify(hot[None], cold[None], np.zeros(1)).tolist() == ["historical_hot"]
    hot, cold = flags("H" * 17 + "...")  # 85 %
    assert classify(hot[None], cold[None], np.zeros(1)).tolist() == ["no_pattern"]


def test_mann_kendall_equals_pymannkendall() -> None:
    rng = np.random.default_rng(0)
    series = np.vstack([rng.poisson(2, (150, 12)), rng.normal(size=(50, 12)).round(1) + np.arange(12) * 0.2])
    trend = mann_kendall(series)
    for i, row in enumerate(series):
        ref = pymannkendall.original_test(row)
        assert trend.s[i] == ref.s and trend.variance[i] == pytest.approx(ref.var_s, abs=1e-9)
        assert trend.z[i] == pytest.approx(ref.z, abs=1e-12) and trend.p[i] == pytest.approx(ref.p, abs=1e-12)
        assert trend.tau[i] == pytest.approx(ref.Tau, abs=1e-12)


def test_space_time_weights_equal_the_kronecker_definition() -> None:
    rng = np.random.default_rng(1)
    for _ in range(25):
        n = int(rng.integers(1, 25))
        spatial = queen_weights(rng.integers(0, 5, n), rng.integers(0, 5, n))
        steps, lags = int(rng.integers(1, 6)), int(rng.integers(0, 4))
        with_self = (spatial + sparse.eye_array(n)).tocsr()
        expected = sparse.kron(sparse.eye_array(steps), spatial)
        for lag in range(1, min(lags, steps - 1) + 1):
            expected = expected + sparse.kron(sparse.eye_array(steps, k=-lag), with_self)
        got = space_time_weights(spatial, steps, lags)
        assert abs(got - expected).sum() == 0 and got.has_sorted_indices


def test_the_cube_counts_reports_per_cell_and_step() -> None:
    end = datetime(2026, 11, 23, 16, tzinfo=UTC)
    edges = step_edges(end, 4, timedelta(weeks=1))
    assert edges[0] == end - timedelta(weeks=4) and edges[-1] == end
    rng = np.random.default_rng(2)
    cells = rng.integers(-1, 30, 2000)
    offsets = rng.uniform(-3 * 86400, 31 * 86400, 2000)
    times = np.array([np.datetime64(edges[0].replace(tzinfo=None), "us") + np.timedelta64(int(s * 1e6), "us")
                      for s in offsets])
    cube = space_time_cube(cells, times, edges, n_cells=30)
    step = np.floor(offsets / (7 * 86400)).astype(int)
    inside = (cells >= 0) & (step >= 0) & (step < 4)
    expected = np.zeros((30, 4), dtype=int)
    np.add.at(expected, (cells[inside], step[inside]), 1)
    assert np.array_equal(cube, expected)


T = 20
BACKGROUND = 6
t = np.arange(T)


def at(steps, high: int, low: int = BACKGROUND) -> np.ndarray:
    series = np.full(T, low)
    series[list(steps)] = high
    return series


PLANTED = {
    "new_hot": at([19], 20),
    "consecutive_hot": at(range(16, 20), 20),
    "intensifying_hot": 12 + 2 * t,
    "persistent_hot": np.full(T, 20),
    "diminishing_hot": 50 - 2 * t,
    "sporadic_hot": at([3, 9, 19], 20),
    "oscillating_hot": np.where(np.isin(t, [2, 3, 4]), 0, np.where(t >= 18, 20, BACKGROUND)),
    "historical_hot": at(range(18), 20),
    "new_cold": at([19], 0),
    "consecutive_cold": at(range(16, 20), 0),
    "intensifying_cold": np.maximum(0, 3 - t // 5),
    "persistent_cold": np.zeros(T, dtype=int),
    "diminishing_cold": np.minimum(3, t // 5),
    "sporadic_cold": at([3, 9, 19], 0),
    "oscillating_cold": np.where(np.isin(t, [2, 3, 4]), 20, np.where(t >= 18, 0, BACKGROUND)),
    "historical_cold": at(range(18), 0),
}


def test_every_category_end_to_end_on_a_planted_cube() -> None:
    """Each pattern on a 3×3 block of a 24×30 grid of quiet cells; the block centre must be classified."""
    side = 6
    cols, rows = np.meshgrid(np.arange(4 * side), np.arange(5 * side))
    cols, rows = cols.ravel(), rows.ravel()
    cube = np.full((len(cols), T), BACKGROUND)
    centres = {}
    for k, (name, series) in enumerate(PLANTED.items()):
        col, row = (k % 4) * side + 2, (k // 4) * side + 2
        cube[(np.abs(cols - col) <= 1) & (np.abs(rows - row) <= 1)] = series
        centres[name] = int(np.flatnonzero((cols == col) & (rows == row))[0])
    result = emerging_hot_spots(cube, queen_weights(cols, rows), lags=1, permutations=199, seed=1)
    assert {name: result.category[i] for name, i in centres.items()} == {name: name for name in PLANTED}
    quiet = rows >= 4 * side + 2  # two rows or more away from every block
    assert (result.category[quiet] == "no_pattern").all()
    again = emerging_hot_spots(cube, queen_weights(cols, rows), lags=1, permutations=199, seed=1)
    assert np.array_equal(result.category, again.category) and np.array_equal(result.p, again.p)


def test_normal_inference_with_fdr_as_pro_does_finds_the_strong_patterns() -> None:
    cols, rows = np.meshgrid(np.arange(12), np.arange(12))
    cols, rows = cols.ravel(), rows.ravel()
    cube = np.full((144, 10), 2)
    block = (cols < 3) & (rows < 3)
    cube[block] = 15
    result = emerging_hot_spots(cube, queen_weights(cols, rows), inference="normal", fdr=True)
    assert result.category[(cols == 1) & (rows == 1)].tolist() == ["persistent_hot"]
    assert result.permutations == 199 and result.inference == "normal"


def test_bad_cubes_are_refused_with_a_reason() -> None:
    w = queen_weights(np.arange(3), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="at least two time steps"):
        emerging_hot_spots(np.ones((3, 1)), w)
    with pytest.raises(ValueError, match="do not match"):
        emerging_hot_spots(np.ones((4, 5)), w)
    with pytest.raises(ValueError, match="inference"):
        emerging_hot_spots(np.ones((3, 5)), w, inference="bayes")
    with pytest.raises(ValueError, match="no time zone"):
        step_edges(datetime(2026, 1, 1), 3, timedelta(days=1))
