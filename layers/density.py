"""Report density (上报密度): how many reports each unit grid cell received in a time window.

At the wall's usual zoom a 100 m cell is three pixels wide, and a week of a busy district touches tens of
thousands of cells. So the database counts the window's reports per cell, joins the cells in the view and
merges them into square *blocks* of k × k cells (k a power of two, chosen so a block is at least
:data:`MIN_BLOCK_PX` pixels wide at the zoom) using the cells' grid column and row: ``GROUP BY col / k,
row / k``. Close up (k = 1) a block is one cell and carries its code. Only blocks with reports are sent,
the busiest first, at most :data:`MAX_BLOCKS` of them — each a rectangle of five rounded corners, so an
answer stays far under 1 MB.

Every feature: ``layer`` = "density", ``code`` (the cell code, or ``col:row`` of a block), ``label``,
``count`` (reports), ``cells`` (cells with reports in the block), ``level`` (0–4, the colour class) and
``fill``. The collection says ``block_m`` (block side in metres), ``breaks`` (lowest count of each class, for the legend),
``window`` (ISO start and end) and ``truncated`` when blocks were left out.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from layers import geojson
from layers.activity import ActivityQuery, activity, among, divided, in_window, overlaps
from layers.registry import Label, LayerQuery
from store.models import Cell, Report

MIN_BLOCK_PX = 10
"""Narrowest block on screen, in pixels."""
MAX_BLOCKS = 6_000
"""Most blocks one answer holds (about 0.6 MB); the busiest are kept."""
PALETTE = ("#2c7fb8", "#41b6c4", "#fecc5c", "#fd8d3c", "#e31a1c")
"""Five classes, quiet to loud: blue for a few reports, red for the hottest blocks."""
DEFAULT_CELL_M = 100.0

REPORTS: sa.Table = Report.__table__  # type: ignore[assignment]
CELLS: sa.Table = Cell.__table__  # type: ignore[assignment]


def block_factor(zoom: float, cell_m: float = DEFAULT_CELL_M) -> int:
    """Cells per block side at ``zoom``: the smallest power of two making a block ≥ MIN_BLOCK_PX wide.

    >>> [block_factor(z) for z in (11, 12, 13, 14, 15, 16)]
    [8, 4, 2, 1, 1, 1]
    """
    cells = MIN_BLOCK_PX * geojson.metres_per_pixel(zoom) / cell_m
    return 1 if cells <= 1 else 2 ** math.ceil(math.log2(cells))


def block_rows(store: Any, query: ActivityQuery, k: int, now: datetime | None = None) -> pd.DataFrame:
    """Per block of k × k cells in the view with reports in the window: bx, by, count, cells, a cell code
    (the block's only cell when k is 1) and the block's lon/lat box."""
    r, c = REPORTS.c, CELLS.c
    start, end = query.window(now)
    per_cell = (
        sa.select(r.cell_code.label("cell_code"), sa.func.count().label("n"))
        .where(r.cell_code.is_not(None), *in_window(r.received_at, start, end),
               *among(r.township_code, query.townships), *among(r.item_code, query.items),
               *among(r.channel, query.channels))
        .group_by(r.cell_code)
        .subquery("per_cell")
    )
    bx, by = (c.col, c.row) if k == 1 else (divided(c.col, k), divided(c.row, k))  # cols and rows are ≥ 0
    # The window's cells drive the join (few, through the report time index); the view is a plain box test
    # on each cell's bounds. (The spatial index would drive it instead: SQLite then probes every cell of a
    # district-wide view once per counted cell.)
    where = [] if query.bbox is None else overlaps(CELLS, query.bbox)
    statement = (
        sa.select(bx.label("bx"), by.label("by"), sa.func.sum(per_cell.c.n).label("count"),
                  sa.func.count().label("cells"), sa.func.min(c.code).label("cell_code"),
                  sa.func.min(c.min_lon).label("min_lon"), sa.func.min(c.min_lat).label("min_lat"),
                  sa.func.max(c.max_lon).label("max_lon"), sa.func.max(c.max_lat).label("max_lat"))
        .select_from(per_cell.join(CELLS, c.code == per_cell.c.cell_code))
        .where(*where)
        .group_by(bx, by)
    )
    with store.transaction() as conn:
        rows = conn.execute(statement).all()
    columns = ["bx", "by", "count", "cells", "cell_code", "min_lon", "min_lat", "max_lon", "max_lat"]
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def levels(counts: np.ndarray, classes: int = len(PALETTE)) -> np.ndarray:
    """The colour class (0 … classes−1) of each count, on a log scale up to the busiest block in the answer.

    Reports pile up in a few hot blocks (markets, school gates), so a linear scale would paint everything
    else the quietest colour; one report is always class 0, the busiest block the top class (unless the
    busiest holds one report too).

    >>> levels(np.array([1, 2, 3, 5, 10, 20, 40])).tolist()
    [0, 0, 1, 2, 3, 4, 4]
    >>> levels(np.array([1, 1])).tolist()
    [0, 0]
    """
    if len(counts) == 0:
        return np.zeros(0, dtype=int)
    top = np.log(float(counts.max()) + 1.0)
    return np.clip(np.floor(classes * np.log(counts.astype(float)) / top), 0, classes - 1).astype(int)


def class_breaks(top: int, classes: int = len(PALETTE)) -> list[int]:
    """The lowest count of each colour class for a busiest block of ``top`` reports (the legend's steps).

    >>> class_breaks(40)
    [1, 3, 5, 10, 20]
    """
    breaks = []
    for level in range(classes):
        lowest = max(1, math.ceil((top + 1.0) ** (level / classes) - 1e-9))
        breaks.append(max(lowest, breaks[-1] + 1) if breaks else lowest)
    return breaks


def density_collection(blocks: pd.DataFrame, *, k: int, cell_m: float, zoom: float, lang: str,
                       window: tuple[datetime, datetime], max_blocks: int = MAX_BLOCKS) -> dict:
    """Blocks as coloured rectangles, busiest first; the collection carries the legend's breaks."""
    truncated = len(blocks) > max_blocks
    frame = blocks.sort_values(["count", "bx", "by"], ascending=[False, True, True]).head(max_blocks)
    counts = pd.to_numeric(frame["count"]).astype(int).to_numpy()
    classes = levels(counts)
    breaks = class_breaks(int(counts.max()) if len(counts) else 1)
    unit = "reports" if lang == "en" else "件"
    codes = (frame["cell_code"].astype(str) if k == 1
             else frame["bx"].astype(int).astype(str) + ":" + frame["by"].astype(int).astype(str))
    properties = pd.DataFrame({
        "layer": "density",
        "code": codes.to_numpy(),
        "label": [f"{n} {unit}" for n in counts.tolist()],
        "count": counts,
        "cells": pd.to_numeric(frame["cells"]).astype(int).to_numpy(),
        "level": classes,
        "fill": [PALETTE[level] for level in classes.tolist()],
    })
    boxes = shapely.box(frame["min_lon"].to_numpy(float), frame["min_lat"].to_numpy(float),
                        frame["max_lon"].to_numpy(float), frame["max_lat"].to_numpy(float))
    geometries = geojson.round_coordinates(boxes, geojson.coordinate_decimals(zoom))
    out = geojson.collection(geojson.features(geometries, properties))
    out.update(block_m=k * cell_m, breaks=breaks, window=[window[0].isoformat(), window[1].isoformat()],
               truncated=truncated)
    return out


def report_density(store: Any, query: LayerQuery, now: datetime | None = None, *,
                   cell_m: float | None = None) -> dict:
    """The density layer's answer for ``query`` (see the module docstring).

    ``cell_m``: the grid's cell size in metres (default: the store's ``jurisdiction_info()``).
    """
    query = activity(query)
    if cell_m is None:
        cell_m = float(store.jurisdiction_info().get("cell_size_m") or DEFAULT_CELL_M)
    k = block_factor(query.zoom, cell_m)
    window = query.window(now)
    blocks = block_rows(store, query, k, now)
    return density_collection(blocks, k=k, cell_m=cell_m, zoom=query.zoom, lang=query.lang, window=window)


class DensityLayer:
    """上报密度 — reports per cell (merged into blocks when zoomed out) in a time window; follows the view."""

    name = "density"
    label = Label("上报密度", "Report density")
    style = {"color": "#fd8d3c", "weight": 0, "opacity": 0, "fillColor": "#fd8d3c", "fillOpacity": 0.55}
    fields = ("code", "count", "cells")
    palette = PALETTE
    min_zoom = 0.0
    follows_viewport = True
    checked = True

    def query(self, store: Any, query: LayerQuery) -> dict:
        return report_density(store, query)
