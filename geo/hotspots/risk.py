"""Next-shift risk: expected reports per cell in a coming window, from the recent history of reports.

A space-time kernel estimate: every past report adds to its cell a weight that halves every
``half_life`` (recent reports count more, old ones still say where problems live), a share ``spread`` of
each cell's weight goes to its queen neighbours (problems drift a street or two), and the whole is scaled
to the coming window by the district's day-of-week × hour profile (so a Monday morning shift expects more
than a Sunday night one). The ranking of cells — what patrols are sent to — comes from the kernel; the
profile turns it into expected counts.

Why not "the cells busy in the last 7 days" (the naive baseline of :mod:`geo.hotspots.backtest`): a week
holds about one report per hot cell, so a week's map is mostly chance; a half-life of a few weeks sees the
places that keep producing problems.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from geo.hotspots.weights import queen_weights
>>> w = queen_weights(np.arange(4), np.zeros(4, dtype=int))
>>> at = datetime(2026, 11, 23, tzinfo=UTC)
>>> times = [at - timedelta(days=d) for d in (1, 2, 3, 30)]            # three lately in cell 0, one long ago
>>> decayed_counts(np.array([0, 0, 0, 3]), times, at, n_cells=4, half_life_days=7).round(3).tolist()
[2.469, 0.0, 0.0, 0.051]
>>> risk = kernel_risk(np.array([0, 0, 0, 3]), times, at, n_cells=4, neighbours=w, half_life_days=7)
>>> risk.round(3).tolist()                                             # a fifth drifts to the neighbours
[0.194, 0.048, 0.001, 0.004]
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from scipy import sparse

from geo.hotspots.cube import _as_utc64

DAY_S = 86400.0
PRIOR_PER_SLOT = 2.0
"""Pseudo-reports per (weekday, hour) slot added to the profile: 336 in all, few beside a month of reports."""


def decayed_counts(cell_index: np.ndarray, times, at: datetime, n_cells: int, half_life_days: float,
                   memory_days: float | None = None) -> np.ndarray:
    """Σ 2^(−age / half_life) of the reports before ``at`` (and within ``memory_days``), per cell."""
    if not half_life_days > 0:
        raise ValueError(f"the half-life must be positive, got {half_life_days!r}")
    cells = np.asarray(cell_index, dtype=np.int64)
    when = _as_utc64(times)
    end = np.datetime64(at.astimezone(UTC).replace(tzinfo=None), "us")
    age = (end - when) / np.timedelta64(1, "s") / DAY_S
    keep = (age > 0) & (cells >= 0) & (cells < n_cells)
    if memory_days is not None:
        keep &= age <= memory_days
    return np.bincount(cells[keep], weights=np.exp2(-age[keep] / half_life_days), minlength=n_cells)


def smoothed(values: np.ndarray, neighbours: sparse.sparray | None, spread: float) -> np.ndarray:
    """Keep ``1 − spread`` of each cell's weight and share ``spread`` equally among its neighbours."""
    if not 0 <= spread <= 1:
        raise ValueError(f"spread must lie between 0 and 1, got {spread!r}")
    if neighbours is None or spread == 0:
        return np.asarray(values, dtype=np.float64)
    binary = sparse.csr_array(neighbours, dtype=np.float64)
    degree = np.asarray(binary.sum(axis=1)).ravel()
    share = np.divide(values, degree, out=np.zeros(len(degree)), where=degree > 0)
    kept = np.where(degree > 0, 1 - spread, 1.0) * values
    return kept + spread * (binary.T @ share)


def hour_profile(times, at: datetime, local_offset_hours: float = 8.0, half_life_days: float = 28.0) -> np.ndarray:
    """Relative report volume per (weekday, local hour), 7 × 24, mean 1 (flat when there is no history)."""
    when = _as_utc64(times)
    end = np.datetime64(at.astimezone(UTC).replace(tzinfo=None), "us")
    before = when < end
    if not before.any():
        return np.ones((7, 24))
    local = when[before] + np.timedelta64(int(local_offset_hours * 3600), "s")
    hours = (local.astype("datetime64[h]") - local.astype("datetime64[D]")).astype(int)
    weekday = (local.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    age = (end - when[before]) / np.timedelta64(1, "s") / DAY_S
    table = np.bincount(weekday * 24 + hours, weights=np.exp2(-age / half_life_days), minlength=168)
    table = table.reshape(7, 24) + PRIOR_PER_SLOT  # a thin history stays close to flat
    return table / table.mean()


def kernel_risk(
    cell_index: np.ndarray,
    times,
    at: datetime,
    n_cells: int,
    *,
    neighbours: sparse.sparray | None = None,
    horizon: timedelta = timedelta(days=1),
    half_life_days: float = 21.0,
    spread: float = 0.2,
    memory_days: float | None = 120.0,
    local_offset_hours: float = 8.0,
) -> np.ndarray:
    """Expected reports per cell in ``[at, at + horizon)``.

    Parameters
    ----------
    cell_index, times : arrays
        Past reports: the position of their cell (−1: none) and when they were received.
    at : datetime
        Start of the coming window (aware); only reports before it are used.
    neighbours : sparse, optional
        Queen neighbours of the cells, for the spatial part of the kernel.
    horizon : timedelta
        Length of the window (a shift, a day).
    half_life_days, spread, memory_days
        The kernel: how fast old reports fade, the share that drifts to the neighbours, and how far back
        reports are read at all.
    """
    weight = smoothed(decayed_counts(cell_index, times, at, n_cells, half_life_days, memory_days), neighbours,
                      spread)
    total = weight.sum()
    if total <= 0:
        return np.zeros(n_cells)
    # reports per day lately (the same decay), times the profile's share of the coming window
    rate_per_day = total / (half_life_days / np.log(2))
    profile = hour_profile(times, at, local_offset_hours, half_life_days=max(28.0, half_life_days))
    hours = np.arange(int(np.ceil(horizon / timedelta(hours=1))))
    start = at.astimezone(UTC) + timedelta(hours=local_offset_hours)
    slots = [(start + timedelta(hours=int(h))) for h in hours]
    factor = sum(profile[s.weekday(), s.hour] for s in slots) / 24.0
    return weight / total * rate_per_day * factor
