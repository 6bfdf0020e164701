"""When the map asks for new layer data: whole layers per language and detail level, cells per padded view."""

from __future__ import annotations

from dashboard.components.layer_sync import OFF, contains, pad, plan, view_bbox
from layers import registry

TOWNSHIPS = registry.get("townships")
CELLS = registry.get("cells")
VIEW = (118.10, 24.70, 118.12, 24.71)


def test_view_bbox_reads_dash_leaflet_bounds() -> None:
    assert view_bbox([[24.70, 118.10], [24.71, 118.12]]) == VIEW
    assert view_bbox(None) is None
    assert view_bbox([[24.71, 118.12], [24.70, 118.10]]) is None  # inverted
    assert view_bbox("nonsense") is None


def test_whole_layers_are_sent_once_per_language_and_detail_level() -> None:
    first = plan(TOWNSHIPS, bbox=VIEW, zoom=11, lang="zh", shown=True, sent=None)
    assert first.query is not None and first.query.bbox is None
    again = plan(TOWNSHIPS, bbox=(118.0, 24.6, 118.3, 24.9), zoom=12, lang="zh", shown=True, sent=first.signature)
    assert again.keep  # panned and zoomed within the same detail level
    finer = plan(TOWNSHIPS, bbox=VIEW, zoom=14, lang="zh", shown=True, sent=first.signature)
    assert finer.query is not None and finer.signature != first.signature
    english = plan(TOWNSHIPS, bbox=VIEW, zoom=11, lang="en", shown=True, sent=first.signature)
    assert english.query is not None and english.query.lang == "en"


def test_cells_wait_for_zoom_15_and_a_ticked_overlay() -> None:
    low = plan(CELLS, bbox=VIEW, zoom=14, lang="zh", shown=True, sent=None)
    assert low.keep and low.signature == OFF
    hidden = plan(CELLS, bbox=VIEW, zoom=16, lang="zh", shown=False, sent=None)
    assert hidden.keep
    close = plan(CELLS, bbox=VIEW, zoom=15, lang="zh", shown=True, sent=None)
    assert close.query is not None and contains(close.query.bbox, VIEW)
    assert close.query.bbox == tuple(round(v, 6) for v in pad(VIEW))


def test_cells_are_fetched_again_only_when_the_view_leaves_the_padded_box() -> None:
    first = plan(CELLS, bbox=VIEW, zoom=16, lang="zh", shown=True, sent=None)
    nudged = (118.101, 24.7005, 118.121, 24.7105)
    assert plan(CELLS, bbox=nudged, zoom=16, lang="zh", shown=True, sent=first.signature).keep
    far = (118.20, 24.80, 118.22, 24.81)
    moved = plan(CELLS, bbox=far, zoom=16, lang="zh", shown=True, sent=first.signature)
    assert moved.query is not None and contains(moved.query.bbox, far)


def test_cells_are_cleared_when_zoomed_out_or_switched_off() -> None:
    first = plan(CELLS, bbox=VIEW, zoom=16, lang="zh", shown=True, sent=None)
    out = plan(CELLS, bbox=VIEW, zoom=13, lang="zh", shown=True, sent=first.signature)
    assert out.clear and out.query is None and out.signature == OFF
    off = plan(CELLS, bbox=VIEW, zoom=16, lang="zh", shown=False, sent=first.signature)
    assert off.clear
    assert not plan(CELLS, bbox=VIEW, zoom=13, lang="zh", shown=True, sent=OFF).clear  # already empty
