"""How good is a risk map? Hit rate, PAI and PEI* at a share of the area, and a rolling backtest.

For a forecast (a risk per cell) and what then happened (reports per cell), at an area share ``a``: the
cells of highest risk are taken until they cover ``a`` of the district's area, and

* **hit rate** — the share of the window's reports that fell in those cells;
* **PAI** (Predictive Accuracy Index, Chainey et al. 2008) — hit rate ÷ area share: how many times better
  than spreading patrols evenly;
* **PEI\\*** (Chohan & Mohler's variant of the Predictive Efficiency Index) — hits ÷ the most hits any
  choice of as many cells could have caught: 1 is a perfect map for that patrol budget.

The naive baseline is "the same cells as the last 7 days": risk = reports per cell in the 7 days before.

>>> import numpy as np
>>> risk = np.array([5.0, 4, 3, 0, 0, 0, 0, 0, 0, 0])
>>> actual = np.array([2, 0, 1, 0, 3, 0, 0, 0, 0, 0])
>>> m = hit_metrics(risk, actual, np.ones(10), shares=(0.2,))[0.2]
>>> round(m["hit_rate"], 3), round(m["pai"], 3), m["pei_star"]     # 2 of 6 reports on 20 % of the area
(0.333, 1.667, 0.4)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from geo.hotspots.cube import _as_utc64, space_time_cube

SHARES = (0.01, 0.05, 0.10)
"""Area shares the issue asks about: 1 %, 5 % and 10 % of the district."""


def hit_metrics(risk: np.ndarray, actual: np.ndarray, area: np.ndarray,
                shares: Sequence[float] = SHARES) -> dict[float, dict[str, float]]:
    """Hit rate, PAI and PEI* of one forecast at each area share (ties in risk broken by cell order)."""
    risk, actual, area = (np.asarray(a, dtype=np.float64) for a in (risk, actual, area))
    if not risk.shape == actual.shape == area.shape:
        raise ValueError(f"risk, actual and area differ in shape: {risk.shape}, {actual.shape}, {area.shape}")
    order = np.argsort(-risk, kind="stable")
    cumulative = np.cumsum(area[order]) / area.sum()
    events = actual.sum()
    best = np.cumsum(np.sort(actual)[::-1])
    out = {}
    for share in shares:
        if not 0 < share <= 1:
            raise ValueError(f"an area share must lie in (0, 1], got {share!r}")
        n = int(np.searchsorted(cumulative, share - 1e-12) + 1)  # cells until the share is covered
        chosen = order[:n]
        hits = actual[chosen].sum()
        covered = area[chosen].sum() / area.sum()
        hit_rate = hits / events if events else 0.0
        out[share] = {"cells": n, "area_share": float(covered), "hits": float(hits), "hit_rate": float(hit_rate),
                      "pai": float(hit_rate / covered) if covered else 0.0,
                      "pei_star": float(hits / best[n - 1]) if best[n - 1] > 0 else 0.0}
    return out


def naive_risk(cell_index: np.ndarray, times: np.ndarray, at: datetime, n_cells: int,
               days: float = 7.0) -> np.ndarray:
    """The baseline: reports per cell in the ``days`` before ``at``."""
    when = _as_utc64(times)
    end = np.datetime64(at.astimezone(UTC).replace(tzinfo=None), "us")
    start = end - np.timedelta64(int(days * 86400 * 1e6), "us")
    keep = (when >= start) & (when < end) & (cell_index >= 0)
    return np.bincount(np.asarray(cell_index)[keep], minlength=n_cells).astype(np.float64)


def backtest(models: dict[str, Callable[[datetime], np.ndarray]], cell_index: np.ndarray, times: np.ndarray,
             origins: Iterable[datetime], horizon: timedelta, area: np.ndarray,
             shares: Sequence[float] = SHARES) -> dict[str, dict[float, dict[str, float]]]:
    """Mean hit rate, PAI and PEI* of each model over rolling forecast origins.

    ``models`` maps a name to ``forecast(at) -> risk per cell`` (using only reports before ``at``); each
    origin's forecast is scored on the reports of ``[at, at + horizon)``.
    """
    n_cells = len(area)
    totals: dict[str, dict[float, dict[str, list[float]]]] = {name: {s: {} for s in shares} for name in models}
    for at in origins:
        actual = space_time_cube(cell_index, times, [at, at + horizon], n_cells)[:, 0]
        if actual.sum() == 0:
            continue
        for name, forecast in models.items():
            for share, figures in hit_metrics(forecast(at), actual, area, shares).items():
                for key, value in figures.items():
                    totals[name][share].setdefault(key, []).append(value)
    return {name: {share: {key: float(np.mean(values)) for key, values in figures.items()}
                   for share, figures in by_share.items()} for name, by_share in totals.items()}
