"""How many cells, zones and communities each township, community and zone holds.

The click panel shows these counts, and only the cells table knows them (a community's cells, the zones
its cells fall in). Reading ~40k cells for every click would be wasteful, so the tally is computed once
per store and kept until the number of cells changes (a re-seed or a boundary import).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class CellTally:
    """Counts keyed by code; a code missing from a mapping has no cells."""

    cells_by_township: dict[str, int] = field(default_factory=dict)
    cells_by_community: dict[str, int] = field(default_factory=dict)
    zones_by_community: dict[str, int] = field(default_factory=dict)
    communities_by_zone: dict[str, int] = field(default_factory=dict)


def tally_cells(cells: pd.DataFrame) -> CellTally:
    """Count cells per township and community, zones per community, communities per zone.

    ``cells`` needs the columns township_code, community_code and zone_code (geometry is ignored).
    A cell with no zone (blank zone_code) counts for its community but in no zone.
    """
    missing = {"township_code", "community_code", "zone_code"} - set(cells.columns)
    if missing:
        raise ValueError(f"cells: missing column(s) {', '.join(sorted(missing))} needed for the tally")
    frame = pd.DataFrame(
        {
            "township": cells["township_code"].astype("string"),
            "community": cells["community_code"].astype("string"),
            "zone": cells["zone_code"].astype("string").replace("", pd.NA),
        }
    )
    return CellTally(
        cells_by_township=_as_dict(frame.groupby("township").size()),
        cells_by_community=_as_dict(frame.groupby("community").size()),
        zones_by_community=_as_dict(frame.dropna(subset=["zone"]).groupby("community")["zone"].nunique()),
        communities_by_zone=_as_dict(frame.dropna(subset=["zone"]).groupby("zone")["community"].nunique()),
    )


def _as_dict(counts: pd.Series) -> dict[str, int]:
    return {str(code): int(n) for code, n in counts.items()}


_memo: weakref.WeakKeyDictionary[Any, tuple[int, CellTally]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def cell_tally(store: Any) -> CellTally:
    """The tally for ``store``'s cells, recomputed only when its number of cells changed."""
    n_cells = int(store.counts().get("cells", 0))
    with _lock:
        cached = _memo.get(store)
        if cached is not None and cached[0] == n_cells:
            return cached[1]
    tally = tally_cells(store.cells())
    with _lock:
        _memo[store] = (n_cells, tally)
    return tally
