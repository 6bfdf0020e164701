"""Emerging hot spot categories from a cell's series of significant hot/cold bins and its trend.

Definitions followed: ArcGIS Pro's *How Emerging Hot Spot Analysis works* (current 3.x wording), with
``n`` time steps, a *hot bin* a statistically significant hot spot at 90 % confidence, and the trend the
Mann–Kendall test of the cell's Gi* z-scores at 90 %:

=============  =========================================================================================
new            hot in the final step, never hot before
consecutive    one uninterrupted run of ≥ 2 hot bins ending with the final step, never hot before the run,
               and fewer than 90 % of the steps hot
intensifying   hot in ≥ 90 % of the steps including the final one, clustering intensity rising
               significantly
persistent     hot in ≥ 90 % of the steps including the final one, no significant trend
diminishing    hot in ≥ 90 % of the steps including the final one, intensity falling significantly
sporadic       hot in the final step, hot on and off before, fewer than 90 % hot, never cold
oscillating    hot in the final step, cold in some earlier step, fewer than 90 % hot
historical     not hot in the final step, but hot in ≥ 90 % of the steps
=============  =========================================================================================

Cold spots mirror them (cold bins; *intensifying* cold means z falling, i.e. getting colder).

Where the wordings differ, and what is followed here
---------------------------------------------------
* **sporadic** — current Pro requires the cell to be hot in the final step; the older wording (ArcMap
  10.x, quoted by R's sfdep, whose rule has no final-step condition) calls any on-and-off hot history
  sporadic. *Followed: Pro* — a cell that was hot now and then but is not hot now shows no pattern.
* **new / consecutive** — Pro: "never been a significant *hot* spot before"; sfdep: no significant bin
  at all before (hot or cold). A cell cold earlier and hot now fits both Pro's *new* and its
  *oscillating*; *followed: the more specific* — it is *oscillating* (so the result equals sfdep's).
* **persistent** — Pro implies the final step is hot (otherwise *historical*); sfdep checks only the 90 %
  share. *Followed: Pro* (final step hot).
* **intensifying** — sfdep counts any significant bin (hot or cold) toward the 90 %; *followed: Pro* (hot
  bins only).
* **historical** — sfdep tests "Gi* negative in the final step"; Pro "not hot in the final step".
  *Followed: Pro.*
* **thresholds** — Pro uses 90 % confidence for the bins and the trend; sfdep and pyehsa default to 0.01.
  *Followed: Pro* (``alpha = 0.10``, configurable).
* **conflicts** — a cell matching a hot and a cold category (hot in ≥ 90 % of the steps, cold in the
  final one) is classified by its final step: the current state comes first.

>>> import numpy as np
>>> hot = np.array([[0, 0, 0, 0, 1], [0, 1, 0, 1, 1], [0, 0, 0, 1, 1]], dtype=bool)
>>> cold = np.zeros_like(hot)
>>> classify(hot, cold, np.zeros(3, dtype=np.int8)).tolist()
['new_hot', 'sporadic_hot', 'consecutive_hot']
"""

from __future__ import annotations

import numpy as np

SHARE = 0.9
"""The "90 percent of the time-step intervals" of Pro's definitions."""

KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
         "historical")
CATEGORIES = (*(f"{kind}_hot" for kind in KINDS), *(f"{kind}_cold" for kind in KINDS), "no_pattern")
"""Every category code, hot first, then cold, then none."""

LABELS_ZH = {
    "new": "新增的", "consecutive": "连续的", "intensifying": "加强的", "persistent": "持续的",
    "diminishing": "逐渐减少的", "sporadic": "分散的", "oscillating": "振荡的", "historical": "历史的",
}
"""Chinese names as ArcGIS Pro's Chinese edition writes them (新增的热点 …)."""


def label_zh(category: str) -> str:
    """The Chinese name of a category code: ``new_hot`` → 新增的热点, ``no_pattern`` → 未检测到模式."""
    if category == "no_pattern":
        return "未检测到模式"
    kind, side = category.rsplit("_", 1)
    return LABELS_ZH[kind] + ("热点" if side == "hot" else "冷点")


def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True that ends at the last column, per row."""
    n = flags.shape[1]
    reversed_off = ~flags[:, ::-1]
    first_off = np.where(reversed_off.any(axis=1), reversed_off.argmax(axis=1), n)
    return first_off


def _side(main: np.ndarray, other: np.ndarray, rising: np.ndarray, falling: np.ndarray) -> np.ndarray:
    """Category kind (index into KINDS, −1 none) for one side (hot, or cold with the trend mirrored)."""
    n = main.shape[1]
    count = main.sum(axis=1)
    mostly = count >= SHARE * n - 1e-9
    last = main[:, -1]
    run = _trailing_run(main)
    ever_other = other.any(axis=1)
    kind = np.full(main.shape[0], -1, dtype=np.int8)
    index = {name: i for i, name in enumerate(KINDS)}
    kind[last & mostly] = index["persistent"]
    kind[last & mostly & rising] = index["intensifying"]
    kind[last & mostly & falling] = index["diminishing"]
    few = last & ~mostly
    kind[few] = index["sporadic"]
    kind[few & (count == run) & (run >= 2)] = index["consecutive"]
    kind[few & (count == 1)] = index["new"]
    kind[few & ever_other] = index["oscillating"]
    kind[~last & mostly] = index["historical"]
    return kind


def classify(hot: np.ndarray, cold: np.ndarray, trend: np.ndarray) -> np.ndarray:
    """Category code of every cell.

    Parameters
    ----------
    hot, cold : bool array (cells, steps)
        Significant hot / cold bins, oldest step first.
    trend : int array (cells,)
        +1 significant rising Gi* z, −1 significant falling, 0 no significant trend.
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    trend = np.asarray(trend)
    if hot.shape != cold.shape or hot.ndim != 2:
        raise ValueError(f"hot and cold must be (cells, steps) of one shape, got {hot.shape} and {cold.shape}")
    if (hot & cold).any():
        raise ValueError("a bin cannot be hot and cold at once")
    if trend.shape != (hot.shape[0],):
        raise ValueError(f"one trend per cell expected, got shape {trend.shape}")
    hot_kind = _side(hot, cold, trend > 0, trend < 0)
    cold_kind = _side(cold, hot, trend < 0, trend > 0)
    names = np.full(hot.shape[0], "no_pattern", dtype=object)
    for i, kind in enumerate(KINDS):
        names[hot_kind == i] = f"{kind}_hot"
    # the final step decides a conflict; without a final-step bin, a historical side stands
    last_cold = cold[:, -1]
    take_cold = (cold_kind >= 0) & (last_cold | (hot_kind < 0))
    for i, kind in enumerate(KINDS):
        names[take_cold & (cold_kind == i)] = f"{kind}_cold"
    return names.astype(str)
