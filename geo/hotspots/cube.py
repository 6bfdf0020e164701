"""A space-time cube: reports counted per cell and time step (cells × steps).

Steps are equal intervals ending at ``end`` (step 0 the oldest, the last step ends at ``end``), so "the last
12 weeks" is ``step_edges(end, 12, timedelta(weeks=1))``. A report outside the cube's time span, or not
placed in a cell (index −1), is left out; the caller reports how many were.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> edges = step_edges(datetime(2026, 11, 23, tzinfo=UTC), 3, timedelta(days=1))
>>> [e.day for e in edges]
[20, 21, 22, 23]
>>> times = np.array(["2026-11-20T05:00", "2026-11-22T23:59", "2026-11-22T01:00", "2026-11-19T12:00"],
...                  dtype="datetime64[s]")
>>> space_time_cube(np.array([0, 1, 1, 0]), times, edges, n_cells=2).tolist()
[[1, 0, 0], [0, 0, 2]]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

STEPS = {"day": timedelta(days=1), "week": timedelta(weeks=1)}
"""The time steps the command line offers."""


def step_edges(end: datetime, steps: int, step: timedelta) -> list[datetime]:
    """``steps + 1`` instants from ``end − steps × step`` to ``end`` (aware datetimes)."""
    if end.utcoffset() is None:
        raise ValueError(f"end {end.isoformat()} has no time zone")
    if steps < 1:
        raise ValueError(f"a cube needs at least one time step, got {steps}")
    if step <= timedelta(0):
        raise ValueError(f"a time step must be positive, got {step}")
    return [end - (steps - i) * step for i in range(steps + 1)]


def _as_utc64(times) -> np.ndarray:
    """Aware datetimes, pandas timestamps or numpy datetime64 (taken as UTC) → datetime64[us]."""
    array = np.asarray(times)
    if array.dtype.kind == "M":
        return array.astype("datetime64[us]")
    out = [np.datetime64(t.astimezone(UTC).replace(tzinfo=None), "us") for t in array.ravel()]
    return np.array(out, dtype="datetime64[us]").reshape(array.shape)


def space_time_cube(
    cell_index: np.ndarray, times, edges: Sequence[datetime], n_cells: int
) -> np.ndarray:
    """Counts (n_cells, steps): report *k* at cell ``cell_index[k]`` (−1: none) and time ``times[k]``."""
    cells = np.asarray(cell_index, dtype=np.int64)
    when = _as_utc64(times)
    if cells.shape != when.shape:
        raise ValueError(f"one cell per report: {cells.shape} cells for {when.shape} times")
    bounds = _as_utc64(np.array(list(edges), dtype=object)) if not isinstance(edges, np.ndarray) \
        else _as_utc64(edges)
    steps = len(bounds) - 1
    step = np.searchsorted(bounds, when, side="right") - 1
    keep = (cells >= 0) & (cells < n_cells) & (step >= 0) & (step < steps)
    flat = cells[keep] * steps + step[keep]
    return np.bincount(flat, minlength=n_cells * steps).reshape(n_cells, steps)
