"""The report-density layer: reports per cell in a window, merged into blocks when zoomed out.

Expected counts are computed here with pandas from the inserted reports, and each block's square from its
cells' own bounds, on SQLite and PostGIS alike.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import shape

from layers.activity import ActivityQuery
from layers.density import (
    MIN_BLOCK_PX,
    PALETTE,
    DensityLayer,
    block_factor,
    class_breaks,
    levels,
    report_density,
)
from layers.geojson import metres_per_pixel
from layers.registry import Layer, LayerQuery
from store.models import Report

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
WINDOW = ActivityQuery(start=NOW - timedelta(hours=24), end=NOW)
ONE_MB = 1_000_000


def insert_reports(store, seed: int = 7) -> pd.DataFrame:
    """Reports on ~400 random cells (a few very busy), half of them inside the 24-hour window."""
    rng = np.random.default_rng(seed)
    cells = store.cells()
    chosen = cells.iloc[rng.choice(len(cells), 400, replace=False)].reset_index(drop=True)
    per_cell = rng.geometric(0.35, len(chosen))
    per_cell[:5] = [40, 25, 17, 12, 9]  # hot spots
    rows = []
    for i, cell in chosen.iterrows():
        centre = cell.geometry.centroid
        for k in range(int(per_cell[i])):
            at = NOW - timedelta(hours=float(rng.uniform(0, 48)))
            rows.append({
                "channel": ("hotline_12345", "grid_worker", "patrol")[k % 3], "external_id": f"d-{seed}-{i}-{k}",
                "received_at": at, "item_code": "ZF001", "township_code": cell.township_code,
                "community_code": cell.community_code, "cell_code": cell.code, "geom": centre,
                "min_lon": centre.x, "max_lon": centre.x, "min_lat": centre.y, "max_lat": centre.y,
            })
    with store.transaction() as conn:
        conn.execute(sa.insert(Report.__table__), rows)
    frame = pd.DataFrame(rows).merge(chosen[["code", "col", "row"]], left_on="cell_code", right_on="code")
    frame["inside"] = (frame["received_at"] >= WINDOW.start) & (frame["received_at"] < WINDOW.end)
    bounds = chosen.set_index("code").geometry.bounds
    return frame.join(bounds, on="cell_code")


def test_the_layer_is_a_registrable_layer() -> None:
    layer = DensityLayer()
    assert isinstance(layer, Layer) and layer.follows_viewport and layer.name == "density"


def test_block_size_follows_the_zoom() -> None:
    for zoom in (10, 11, 12, 13, 14, 15, 16, 18):
        k = block_factor(zoom)
        assert k >= 1 and (k & (k - 1)) == 0  # a power of two
        assert k * 100 / metres_per_pixel(zoom) >= MIN_BLOCK_PX  # wide enough on screen
        assert k == 1 or (k // 2) * 100 / metres_per_pixel(zoom) < MIN_BLOCK_PX  # and no wider than needed


def test_colour_classes_rise_with_the_count() -> None:
    counts = np.array([1, 1, 2, 3, 5, 9, 17, 40, 41])
    classes = levels(counts)
    assert classes[0] == 0 and classes[-1] == len(PALETTE) - 1
    assert np.all(np.diff(classes) >= 0)
    breaks = class_breaks(int(counts.max()))
    assert breaks[0] == 1 and breaks == sorted(set(breaks))
    for count, level in zip(counts, classes, strict=True):  # the legend's steps agree with the colours
        assert breaks[level] <= count and (level == len(breaks) - 1 or count < breaks[level + 1])
    assert levels(np.array([1, 1, 1])).tolist() == [0, 0, 0]


def test_counts_per_cell_close_up(demo_store) -> None:
    reports = insert_reports(demo_store)
    inside = reports[reports["inside"]]
    answer = report_density(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=16, start=WINDOW.start,
                                                      end=WINDOW.end), now=NOW)
    assert answer["block_m"] == 100.0 and not answer["truncated"]
    got = {f["properties"]["code"]: f["properties"]["count"] for f in answer["features"]}
    assert got == inside.groupby("cell_code").size().to_dict()
    counts = [f["properties"]["count"] for f in answer["features"]]
    assert counts == sorted(counts, reverse=True)  # the busiest first
    first = answer["features"][0]
    cell = reports[reports["cell_code"] == first["properties"]["code"]].iloc[0]
    assert shape(first["geometry"]).bounds == pytest.approx((cell.minx, cell.miny, cell.maxx, cell.maxy), abs=1e-6)
    assert first["properties"]["fill"] == PALETTE[-1] and answer["breaks"][0] == 1

    # only a channel, only a township, nothing for an empty scope
    hotline = report_density(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=16, start=WINDOW.start,
                                                       end=WINDOW.end, channels=("hotline_12345",)), now=NOW)
    assert sum(f["properties"]["count"] for f in hotline["features"]) == int((inside["channel"] == "hotline_12345").sum())
    township = str(inside["township_code"].iloc[0])
    own = report_density(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=16, start=WINDOW.start,
                                                   end=WINDOW.end, townships=(township,)), now=NOW)
    assert sum(f["properties"]["count"] for f in own["features"]) == int((inside["township_code"] == township).sum())
    assert report_density(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=16, townships=()),
                          now=NOW)["features"] == []


def test_blocks_when_zoomed_out_and_the_view(demo_store) -> None:
    reports = insert_reports(demo_store, seed=8)
    inside = reports[reports["inside"]].copy()
    zoom = 11.0
    k = block_factor(zoom)
    assert k > 1
    answer = report_density(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=zoom, start=WINDOW.start,
                                                      end=WINDOW.end), now=NOW)
    assert answer["block_m"] == k * 100.0
    inside["block"] = (inside["col"] // k).astype(str) + ":" + (inside["row"] // k).astype(str)
    expected = inside.groupby("block").size().to_dict()
    got = {f["properties"]["code"]: f["properties"]["count"] for f in answer["features"]}
    assert got == expected
    for feature in answer["features"]:
        members = inside[inside["block"] == feature["properties"]["code"]]
        square = shape(feature["geometry"])
        assert feature["properties"]["cells"] == members["cell_code"].nunique()
        for cell in members.drop_duplicates("cell_code").itertuples():
            assert square.buffer(1e-5).covers(shapely.box(cell.minx, cell.miny, cell.maxx, cell.maxy))
    assert len(json.dumps(answer)) < ONE_MB

    # a view of the district's south-west quarter: only cells meeting it are counted
    min_lon, min_lat, max_lon, max_lat = demo_store.extent()
    view = (min_lon, min_lat, (min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    quarter = report_density(demo_store, ActivityQuery(bbox=view, zoom=16, start=WINDOW.start, end=WINDOW.end),
                             now=NOW)
    meets = ((inside["maxx"] >= view[0]) & (inside["minx"] <= view[2]) & (inside["maxy"] >= view[1])
             & (inside["miny"] <= view[3]))
    assert sum(f["properties"]["count"] for f in quarter["features"]) == int(meets.sum())

    # a plain LayerQuery (the jurisdiction page's kind) means the 24 hours before now
    plain = report_density(demo_store, LayerQuery(bbox=demo_store.extent(), zoom=zoom), now=NOW)
    assert {f["properties"]["code"]: f["properties"]["count"] for f in plain["features"]} == expected
