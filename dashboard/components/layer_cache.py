"""Whole layers (townships, communities, zones) built once per language and detail level, then reused.

Their answer depends only on the language and the detail level (:func:`layers.geojson.detail_zoom`),
and building one takes a few hundred milliseconds (simplifying 30k boundary vertices), so every viewer
after the first gets the same dict from memory. :func:`warm` builds the opening view's layers at start-up
so that even the first visitor does not wait.

Notes
-----
The jurisdiction does not change while the dashboard runs (this issue has no boundary editing), so the
cache lives as long as the process; a re-seed needs a restart. When layers come to depend on live data
(cases), they belong in the shared Redis cache (:class:`live.JsonCache`) with its generation counter.
Viewport layers (cells) are never cached: every view asks for a different box.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from layers import Layer, LayerQuery
from layers.geojson import detail_zoom

_answers: dict[tuple, dict] = {}
_lock = threading.Lock()


def layer_data(store: Any, layer: Layer, query: LayerQuery) -> dict:
    """``layer.query(store, query)``, from memory for whole layers already built at this detail level."""
    if layer.follows_viewport:
        return layer.query(store, query)
    level = detail_zoom(query.zoom)
    key = (id(store), layer.name, query.lang, level)
    with _lock:
        cached = _answers.get(key)
    if cached is None:
        cached = layer.query(store, LayerQuery(bbox=None, zoom=float(level), lang=query.lang))
        with _lock:
            _answers[key] = cached
    return cached


def warm(store: Any, layers: Iterable[Layer], zoom: float, langs: Iterable[str] = ("zh", "en")) -> int:
    """Build the whole layers for ``zoom`` in each language; the number of answers now in memory."""
    for lang in langs:
        for layer in layers:
            if not layer.follows_viewport:
                layer_data(store, layer, LayerQuery(zoom=zoom, lang=lang))
    return len(_answers)
